//! Turns the command line into work and the work into one exit status.

use std::time::Duration;

use anyhow::{Result, bail};
use clap::Parser;

use crate::cli::{CheckArgs, Cli, Command, Format};
use crate::config::Config;
use crate::engine::{Check, Engine, Mode, Options};
use crate::http::NetConfig;
use crate::output::{self, Stream};
use crate::target::{self, Repo};
use crate::verdict::{Finding, Kind, Reason};

/// Panics print where, never what. A panic's message may quote the value
/// it choked on, and for a string slice that is the whole string ("byte
/// index 5 is not a char boundary; it is inside 'é' … of \`ghp_…\`"):
/// a token. One line on stderr, like every other error (SPEC §7 rule 1).
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        output::notice(&format!(
            "internal error{place} (a bug in prepush-auth; please report it)"
        ));
    }));
}

/// Whether the command line asks for JSON, read from the raw arguments: a
/// usage error happens before clap has understood them (SPEC §5: with
/// `--format json`, every outcome is one JSON document).
fn wants_json(args: &[std::ffi::OsString]) -> bool {
    let args: Vec<&str> = args.iter().filter_map(|a| a.to_str()).collect();
    args.first().is_some_and(|c| *c == "check")
        && (args.contains(&"--format=json") || args.windows(2).any(|w| w == ["--format", "json"]))
}

pub fn run() -> Result<u8> {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    // The ssh entry takes ssh's arguments as they come (`-G`, `-p`, `-o`):
    // no parser of ours stands between git and ssh.
    if raw.first().is_some_and(|a| a == "ssh") {
        return Ok(crate::ssh_entry::run(&raw[1..]));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() && wants_json(&raw) => {
            let first = e.to_string();
            let line = first.lines().next().unwrap_or("usage error");
            let line = line.strip_prefix("error: ").unwrap_or(line);
            output::write(Stream::Stdout, &output::json_error(Some(line)));
            return Ok(2);
        }
        // Help and version on stdout (exit 0); usage errors on stderr (exit 2).
        Err(e) => e.exit(),
    };
    if std::env::var("PREPUSH_AUTH").is_ok_and(|v| v == "0")
        && !matches!(
            cli.command,
            Command::Install(_) | Command::Uninstall { .. } | Command::Completions { .. } | Command::Status { .. }
        )
    {
        // Hooks and helpers stay silent (git reads a helper's stdout); a
        // `check` someone typed says why it said nothing.
        if let Command::Check(args) = &cli.command {
            output::notice("disabled by PREPUSH_AUTH=0; nothing checked");
            if args.format == Format::Json {
                output::write(Stream::Stdout, &output::json_error(None));
            }
        }
        return Ok(0);
    }
    match cli.command {
        // A panic (a bug) in `check` means the tool could not tell: that is
        // `unknown` (SPEC §4), exit 0, or 1 under --strict; the panic hook
        // has printed its one line. An error is exit 2; with `--format
        // json` it is the document's `error`.
        Command::Check(args) => match unknown_on_panic(args.strict, || check(&args)) {
            Err(e) if args.format == Format::Json => {
                let line = crate::target::without_userinfo(&format!("{e:#}").replace('\n', " "));
                output::write(Stream::Stdout, &output::json_error(Some(&line)));
                Ok(2)
            }
            other => other,
        },
        Command::PrePush { remote, url } => Ok(fail_open(|| crate::hook::run(remote, url))),
        Command::Credential { action, gate } => Ok(fail_open(|| match action.as_str() {
            "get" => crate::helper::run(crate::cli::HelperAction::Get, gate),
            "store" => crate::helper::run(crate::cli::HelperAction::Store, gate),
            "erase" => crate::helper::run(crate::cli::HelperAction::Erase, gate),
            // Unknown actions are ignored, as git expects of helpers (read
            // the input all the same, so git never writes into a closed pipe).
            _ => {
                let _ = std::io::copy(
                    &mut std::io::Read::take(std::io::stdin(), 64 * 1024),
                    &mut std::io::sink(),
                );
                0
            }
        })),
        Command::Ssh { args } => Ok(crate::ssh_entry::run(&args)),
        Command::Install(args) => crate::install::install(&args),
        Command::Uninstall { global } => crate::install::uninstall(global),
        Command::Status { format } => crate::status::run(format),
        Command::Completions { shell } => {
            output::write(Stream::Stdout, &crate::completions::script(shell));
            Ok(0)
        }
    }
}

/// Hook and helper modes: a panic (a bug) is an internal error like any
/// other, one line (the panic hook's) and git goes on (SPEC §4). Uncaught,
/// it exits 101, which fails the push or breaks git's helper chain.
fn fail_open(entry: impl FnOnce() -> u8 + std::panic::UnwindSafe) -> u8 {
    std::panic::catch_unwind(entry).unwrap_or(0)
}

/// `check`: a panic is `unknown`, exit 0, or 1 under `--strict`.
fn unknown_on_panic(strict: bool, entry: impl FnOnce() -> Result<u8> + std::panic::UnwindSafe) -> Result<u8> {
    std::panic::catch_unwind(entry).unwrap_or_else(|_| Ok(u8::from(strict)))
}

/// Everything the engine needs from the environment, read once.
pub struct Setup {
    pub repo: Option<Repo>,
    pub engine: Engine,
}

pub fn setup() -> Result<Setup> {
    let repo = Repo::discover()?;
    if let Some(repo) = &repo {
        crate::git::note_repository(repo);
    }
    let config = Config::load(repo.as_ref().and_then(Repo::work_tree).as_deref())?;
    for n in &config.notices {
        output::notice(n);
    }
    let net = net_config(repo.as_ref());
    Ok(Setup {
        repo,
        engine: Engine::new(config, net),
    })
}

/// `http.proxy` and `http.sslCAInfo` as git reads them; `GIT_SSL_CAINFO` wins.
fn net_config(repo: Option<&Repo>) -> NetConfig {
    let (proxy, ca) = match repo {
        Some(r) => {
            let snap = r.repo.config_snapshot();
            (
                snap.string("http.proxy").map(|s| s.to_string()),
                snap.string("http.sslCAInfo").map(|s| s.to_string()),
            )
        }
        None => match gix::config::File::from_globals() {
            Ok(f) => (
                f.string("http.proxy").map(|s| s.to_string()),
                f.string("http.sslCAInfo").map(|s| s.to_string()),
            ),
            Err(_) => (None, None),
        },
    };
    let ca = std::env::var_os("GIT_SSL_CAINFO")
        .map(Into::into)
        .or_else(|| ca.map(Into::into));
    NetConfig {
        proxy: proxy.filter(|p| !p.is_empty()),
        ca_file: ca,
    }
}

fn check(args: &CheckArgs) -> Result<u8> {
    output::set_verbose(args.verbose);
    let mut s = setup()?;
    if !s.engine.config.enabled {
        output::notice("disabled by configuration (enabled = false)");
        if args.format == Format::Json {
            output::write(Stream::Stdout, &output::json_error(None));
        }
        return Ok(0);
    }
    let opts = Options {
        timeout: Duration::from_millis(args.timeout_ms.unwrap_or(s.engine.config.timeout_ms).max(1)),
        use_cache: !args.no_cache,
        offline: args.offline,
        mode: Mode::Check,
    };
    // What the branch would push is judged as the hook judges it without
    // ref lines: the current branch's commits the remote does not have.
    let judged = |engine: &mut Engine, t: &target::PushTarget| {
        let check = engine.check(t, None, &opts);
        if t.remote.is_some() {
            crate::hook::judge_pushed_commits(engine, check, t, &[], &opts)
        } else {
            check
        }
    };
    let checks: Vec<Check> = if let (true, Some(repo)) = (args.all, &s.repo) {
        let names = repo.remote_names();
        if names.is_empty() {
            bail!("this repository has no remotes");
        }
        // A broken remote is its own entry; the others are still checked.
        let targets: Vec<_> = names.iter().map(|n| (n, repo.push_target(n))).collect();
        targets
            .into_iter()
            .map(|(name, target)| match target {
                Ok(t) => judged(&mut s.engine, &t),
                Err(e) => misconfigured(name, &e),
            })
            .collect()
    } else {
        let targets = match (&args.target, args.all, &s.repo) {
            (_, true, _) | (None, false, None) => bail!("not in a git repository; give a URL to check"),
            (None, false, Some(repo)) => {
                let name = repo.push_remote_name();
                if !repo.has_remote(&name) {
                    let names = repo.remote_names();
                    if names.is_empty() {
                        bail!("this repository has no remotes; give a URL to check");
                    }
                    bail!(
                        "there is no remote named '{name}' (the remotes here: {}); name one, as in `prepush-auth check {}`, or check them all with --all",
                        names.join(", "),
                        names[0]
                    );
                }
                output::step(|| {
                    format!(
                        "push target: remote '{name}', the current branch's push remote (branch.<name>.pushRemote, remote.pushDefault, branch.<name>.remote, else origin)"
                    )
                });
                vec![repo.push_target(&name)?]
            }
            (Some(t), false, Some(repo)) if repo.has_remote(t) => {
                output::step(|| format!("push target: remote '{t}', as named"));
                vec![repo.push_target(t)?]
            }
            (Some(t), false, Some(repo)) => {
                refuse_unknown_name(t, Some(repo))?;
                output::step(|| "push target: the URL given".to_owned());
                vec![repo.url_target(t)?]
            }
            (Some(t), false, None) => {
                refuse_unknown_name(t, None)?;
                output::step(|| "push target: the URL given (outside a repository)".to_owned());
                vec![target::url_target_without_repo(t)?]
            }
        };
        for t in &targets {
            output::step(|| format!("push URL: {}", t.url.display));
        }
        targets.iter().map(|t| judged(&mut s.engine, t)).collect()
    };
    let notes = remembered_notes(&checks, s.repo.as_ref());
    match args.format {
        Format::Human => {
            output::print_human(Stream::Stdout, &checks);
            let mut lines = String::new();
            for n in &notes {
                lines.push_str("prepush-auth: note: ");
                lines.push_str(&n.text);
                lines.push('\n');
            }
            output::write(Stream::Stdout, &lines);
        }
        Format::Json => output::write(Stream::Stdout, &output::json(&checks, &notes)),
    }
    let strict = args.strict || s.engine.config.strict;
    // A remote that cannot be read is a configuration error (SPEC §4: 2),
    // reported after every other remote was checked.
    if checks.iter().any(|c| c.finding.reason == Reason::RemoteMisconfigured) {
        return Ok(2);
    }
    Ok(exit_status(&checks, strict))
}

/// What the observe entry saw since the last credential that worked (a
/// refusal git has since erased the evidence of), and our entries git no
/// longer runs for these hosts, each with the command that restores it.
fn remembered_notes(checks: &[Check], repo: Option<&Repo>) -> Vec<output::Note> {
    let mut notes = Vec::new();
    let mut hosts: Vec<&str> = Vec::new();
    // git is asked for the helper entries only where one of ours may be.
    let entries = if crate::status::may_have_entries(repo) {
        crate::git::helper_entries()
    } else {
        Vec::new()
    };
    for c in checks {
        let Some(host) = c.host.as_deref() else { continue };
        if hosts.contains(&host) {
            continue;
        }
        hosts.push(host);
        // A credential works there again: the refusal is history. A
        // replayed ok (from before the refusal) is not that.
        if c.credential.is_some() && c.kind() == Kind::Ok && !c.cached {
            if let Ok(mut state) = crate::state::State::open() {
                let _ = state.clear_refusals(host);
            }
        } else {
            for r in crate::status::refusals_for(host) {
                notes.push(output::Note {
                    host: host.to_owned(),
                    kind: "refusal",
                    text: crate::status::refusal_line(&r),
                });
            }
        }
        if let Ok(url) = crate::target::RemoteUrl::parse(&c.url) {
            for text in crate::status::shadowed(&entries, &url) {
                notes.push(output::Note {
                    host: host.to_owned(),
                    kind: "entry_not_run",
                    text,
                });
            }
        }
    }
    notes
}

/// The entry of a remote whose configuration cannot be read.
fn misconfigured(name: &str, error: &anyhow::Error) -> Check {
    Check {
        remote: Some(name.to_owned()),
        url: String::new(),
        host: None,
        provider: None,
        repository: None,
        finding: Finding::new(Reason::RemoteMisconfigured, format!("{error:#}; not checked"))
            .fix(format!("see `git remote get-url --push {name}`")),
        credential: None,
        token_key: None,
        ssh: None,
        requests: 0,
        cached: false,
        cached_at: None,
        elapsed_ms: 0,
    }
}

/// git refuses a push to a name that is neither a remote nor a path
/// (`'nosuch' does not appear to be a git repository`); so does `check`,
/// rather than calling it a local remote and passing (issue 11).
///
/// Only a bare word (what a remote name looks like) is refused: a text with
/// a slash is a path the user meant, and stays a local remote (`skip`).
fn refuse_unknown_name(text: &str, repo: Option<&Repo>) -> Result<()> {
    if looks_like_url(text) || text.contains('/') || std::path::Path::new(text).exists() {
        return Ok(());
    }
    let remotes = repo.map(Repo::remote_names).unwrap_or_default();
    let known = if remotes.is_empty() {
        if repo.is_some() {
            "this repository has no remotes".to_owned()
        } else {
            "not in a git repository".to_owned()
        }
    } else {
        format!("the remotes here are: {}", remotes.join(", "))
    };
    let shown: String = text
        .chars()
        .take(120)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    bail!("'{shown}' is neither a remote nor a URL nor an existing path ({known})")
}

/// A URL as git reads one: `scheme://…`, or scp-like `host:path` (a colon
/// before any slash).
fn looks_like_url(text: &str) -> bool {
    text.contains("://") || text.find(':').is_some_and(|colon| !text[..colon].contains('/'))
}

/// SPEC §4: 1 for block (and unknown under strict), else 0.
pub fn exit_status(checks: &[Check], strict: bool) -> u8 {
    let worst = checks.iter().map(Check::kind).max().unwrap_or(Kind::Ok);
    let blocked = checks.iter().any(|c| c.kind() == Kind::Block);
    let unknown = checks.iter().any(|c| c.kind() == Kind::Unknown);
    u8::from(blocked || (strict && unknown) || (strict && worst == Kind::Unknown))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_check_is_unknown_failing_only_under_strict() {
        assert_eq!(unknown_on_panic(false, || panic!("a bug")).unwrap(), 0);
        assert_eq!(unknown_on_panic(true, || panic!("a bug")).unwrap(), 1);
        assert_eq!(unknown_on_panic(false, || Ok(1)).unwrap(), 1);
    }

    #[test]
    fn a_panic_in_hook_or_helper_mode_lets_git_go_on() {
        assert_eq!(fail_open(|| panic!("a bug")), 0);
        assert_eq!(fail_open(|| 1), 1);
    }
}
