//! `prepush-auth credential <get|store|erase>`: git's credential-helper
//! protocol (SPEC §2, §3).
//!
//! - observe (default): on `erase`, which git sends to every helper right
//!   after a 401, diagnose the rejected credential and print the reason on
//!   stderr, next to git's `fatal: Authentication failed`. Never erases,
//!   never writes to stdout.
//! - gate (`--gate`, installed first in the chain): on `get`, obtain what the
//!   rest of the chain would give, and hand it to git unless the host
//!   definitively rejects it; then answer `quit=1` so the bad credential is
//!   never sent. It also runs for fetches, so it only stops on reasons that
//!   reject the credential itself.

use std::fmt::Write as _;
use std::io::{BufRead, Read};
use std::time::Duration;

use crate::credential::{self, Credential, Lookup, Source};
use crate::engine::{Check, Mode, Options};
use crate::git::RECURSION_GUARD;
use crate::output::{self, Stream};
use crate::secret::Secret;
use crate::target::{PushTarget, RemoteUrl};
use crate::verdict::Kind;

/// What git sends a helper: `key=value` lines up to a blank line.
#[derive(Debug, Default)]
pub struct HelperInput {
    pub protocol: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub username: Option<String>,
    pub password: Option<Secret>,
    pub password_expiry_utc: Option<String>,
}

impl HelperInput {
    pub fn parse(text: &str) -> Self {
        let mut input = Self::default();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            let Some((k, v)) = line.split_once('=') else { continue };
            let v = v.to_owned();
            match k {
                "protocol" => input.protocol = Some(v),
                "host" => input.host = Some(v),
                "path" => input.path = Some(v),
                "username" => input.username = Some(v),
                "password" => input.password = Some(Secret::new(v)),
                "password_expiry_utc" => input.password_expiry_utc = Some(v),
                _ => {}
            }
        }
        input
    }

    /// The URL git was talking to. Without `path` (git sends it only with
    /// `credential.useHttpPath`), the repository is taken from the current
    /// repository's remote on that host, when exactly one matches.
    fn url(&self, repo: Option<&crate::target::Repo>) -> Option<RemoteUrl> {
        let protocol = self.protocol.as_deref().filter(|p| matches!(*p, "https" | "http"))?;
        let host = self.host.as_deref().filter(|h| !h.is_empty())?;
        let user = self
            .username
            .as_deref()
            .map(|u| format!("{}@", percent_encode(u)))
            .unwrap_or_default();
        let path = match &self.path {
            Some(p) => p.trim_start_matches('/').to_owned(),
            None => repo.and_then(|r| remote_path_on(r, host)).unwrap_or_default(),
        };
        RemoteUrl::parse(&format!("{protocol}://{user}{host}/{path}")).ok()
    }
}

fn remote_path_on(repo: &crate::target::Repo, host: &str) -> Option<String> {
    let mut paths = repo
        .remote_names()
        .into_iter()
        .filter_map(|n| repo.push_target(&n).ok())
        .filter(|t| t.url.host.eq_ignore_ascii_case(host))
        .map(|t| t.url.path.trim_start_matches('/').to_owned());
    let first = paths.next()?;
    paths.all(|p| p == first).then_some(first)
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const INPUT_CAP: u64 = 64 * 1024;

fn read_input() -> HelperInput {
    let mut text = String::new();
    let stdin = std::io::stdin();
    let mut limited = stdin.lock().take(INPUT_CAP);
    let mut line = String::new();
    while limited.read_line(&mut line).unwrap_or(0) > 0 {
        if line.trim_end_matches(['\n', '\r']).is_empty() {
            break;
        }
        text.push_str(&line);
        line.clear();
    }
    HelperInput::parse(&text)
}

pub fn run(action: crate::cli::HelperAction, gate: bool) -> u8 {
    use crate::cli::HelperAction;
    // Always read what git sends, so git never writes into a closed pipe.
    let input = read_input();
    // Called again by the gate's own `git credential fill`: stay silent.
    if std::env::var_os(RECURSION_GUARD).is_some() {
        return 0;
    }
    match action {
        HelperAction::Erase if !gate => {
            if let Err(e) = explain_rejection(&input) {
                output::notice(&format!("could not explain the rejection: {e:#}"));
            }
        }
        HelperAction::Get if gate => match gate_get(&input) {
            Ok(answer) => output::write(Stream::Stdout, &answer),
            Err(e) => output::notice(&format!("gate could not check the credential ({e:#}); git goes on")),
        },
        // git sends `store` once a credential worked: the host's refusals
        // remembered by the observer are history. No network.
        HelperAction::Store if !gate => forget_refusals(&input),
        // Nothing stored: git's other helpers store. An observer's `get`
        // answers nothing, so git asks the next helper.
        HelperAction::Get | HelperAction::Store | HelperAction::Erase => {}
    }
    0
}

fn options(engine: &crate::engine::Engine, mode: Mode) -> Options {
    Options {
        timeout: Duration::from_millis(engine.config.timeout_ms),
        use_cache: true,
        offline: false,
        mode,
    }
}

fn forget_refusals(input: &HelperInput) {
    if let Some(host) = input.host.as_deref().filter(|h| !h.is_empty())
        && let Ok(mut state) = crate::state::State::open()
    {
        let _ = state.clear_refusals(host);
    }
}

/// What git was doing when the host refused it, from the process that ran
/// us: `git-remote-https` (our parent, for HTTP) was started by `git push`,
/// `git fetch` (also under `git pull`), `git clone`, `git ls-remote`. Read
/// from each ancestor's command line (`/proc`, or `ps` where there is no
/// `/proc`); `None` where neither says.
pub fn git_verb() -> Option<&'static str> {
    let mut pid = rustix::process::getppid()?.as_raw_nonzero().get().unsigned_abs();
    for _ in 0..4 {
        let (args, parent) = process(pid)?;
        if let Some(verb) = verb_of(&args) {
            return Some(verb);
        }
        if parent <= 1 {
            return None;
        }
        pid = parent;
    }
    None
}

/// A process's arguments and its parent.
fn process(pid: u32) -> Option<(Vec<String>, u32)> {
    if let Ok(cmdline) = std::fs::read(format!("/proc/{pid}/cmdline")) {
        let args = cmdline
            .split(|b| *b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let parent = stat.rsplit_once(") ")?.1.split_whitespace().nth(1)?.parse().ok()?;
        return Some((args, parent));
    }
    // macOS and the BSDs: ps (arguments joined by spaces, which is enough
    // to find git's subcommand).
    let out = std::process::Command::new("ps")
        .args(["-o", "ppid=", "-o", "command=", "-p", &pid.to_string()])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let parent = words.next()?.parse().ok()?;
    Some((words.map(str::to_owned).collect(), parent))
}

/// Whether `pid` runs git (`git`, `git-remote-https`, …).
fn is_git_process(pid: u32) -> bool {
    process(pid).is_some_and(|(args, _)| {
        args.first().is_some_and(|first| {
            std::path::Path::new(first)
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("git"))
        })
    })
}

/// The verb of a git command line (`git -c x=y push origin` is a push).
fn verb_of(args: &[String]) -> Option<&'static str> {
    let program = std::path::Path::new(args.first()?)
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let mut rest = args.iter().skip(1);
    let sub = if let Some(sub) = program.strip_prefix("git-") {
        sub.to_owned()
    } else if program == "git" {
        let mut sub = None;
        while let Some(a) = rest.next() {
            if matches!(a.as_str(), "-c" | "-C" | "--git-dir" | "--work-tree" | "--namespace") {
                rest.next();
            } else if !a.starts_with('-') {
                sub = Some(a.clone());
                break;
            }
        }
        sub?
    } else {
        return None;
    };
    Some(match sub.as_str() {
        "push" | "send-pack" => "push",
        "fetch" | "pull" | "fetch-pack" => "fetch",
        "clone" => "clone",
        "ls-remote" => "ls-remote",
        _ => return None,
    })
}

fn explain_rejection(input: &HelperInput) -> anyhow::Result<()> {
    let Some(password) = input.password.clone() else {
        return Ok(());
    };
    let mut setup = crate::app::setup()?;
    if !setup.engine.config.enabled {
        return Ok(());
    }
    let Some(url) = input.url(setup.repo.as_ref()) else {
        return Ok(());
    };
    // One explanation per refusal: with an entry in the repository and one
    // in the global config, git runs both for the same refusal.
    // (Only a git parent is one refusal: anything else may ask again.)
    let git_pid = rustix::process::getppid()
        .map(|p| p.as_raw_nonzero().get().unsigned_abs())
        .filter(|pid| is_git_process(*pid));
    let mut state = crate::state::State::open().ok();
    let key = state.as_ref().map(|s| s.key_for(&["refusal", &url.host], &password));
    if let (Some(state), Some(key), Some(pid)) = (&state, &key, git_pid)
        && state.refusals().iter().any(|r| {
            r.key == *key && r.git_pid == Some(pid) && (chrono::Utc::now() - r.at) < chrono::Duration::minutes(10)
        })
    {
        return Ok(());
    }
    let redacted = password.redacted();
    let cred = Credential::new(input.username.clone(), password, rejected_source(&url));
    let helper = cred.source.label();
    let place = cred.source.place();
    let target = PushTarget { remote: None, url };
    let opts = options(&setup.engine, Mode::Rejected);
    let check = setup.engine.check(&target, Some(cred), &opts);
    let verb = git_verb();
    report_rejection(&check, verb);
    if let (Some(state), Some(key)) = (&mut state, key) {
        let message = match check.kind() {
            Kind::Block => check.finding.message.clone(),
            _ => format!(
                "the host refused it; prepush-auth could not tell why ({})",
                check.finding.message
            ),
        };
        let _ = state.record_refusal(crate::state::Refusal {
            at: chrono::Utc::now(),
            host: target.url.host.clone(),
            repository: check.repository.clone(),
            verb: verb.unwrap_or("request").to_owned(),
            reason: check.finding.reason,
            message,
            helper,
            after: crate::helpers::after_refusal_past(&place),
            redacted,
            key,
            git_pid,
        });
    }
    Ok(())
}

/// Which helper gave git the credential it was refused with. git does not
/// say; when exactly one helper besides ours is configured for the URL
/// (the layout of a host-specific `helper =` reset, or a single helper), it
/// is that one. With several, the first that had one answered: unknown here.
fn rejected_source(url: &RemoteUrl) -> Source {
    let others: Vec<String> = crate::git::helpers_for(url)
        .into_iter()
        .filter(|cmd| !is_ours(cmd))
        .collect();
    match others.as_slice() {
        [only] => Source::Helper(only.clone()),
        _ => Source::Git,
    }
}

/// Our own entries (`!'/path/prepush-auth' credential`): never the source.
fn is_ours(command: &str) -> bool {
    command.contains("prepush-auth")
}

/// "the push to github.com/acme/widgets was refused because:" — said after
/// the fact, with git's own verb.
fn refused_head(check: &Check, verb: Option<&str>) -> String {
    let place = match (&check.host, &check.repository) {
        (Some(h), Some(r)) if !r.is_empty() => format!("{h}/{r}"),
        (Some(h), _) => h.clone(),
        _ => check.url.clone(),
    };
    let place: String = place.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    match verb {
        Some(v @ ("fetch" | "clone" | "ls-remote")) => {
            format!("prepush-auth: the {v} from {place} was refused because:\n")
        }
        Some(v) => format!("prepush-auth: the {v} to {place} was refused because:\n"),
        None => format!("prepush-auth: git's request to {place} was refused because:\n"),
    }
}

fn report_rejection(check: &Check, verb: Option<&str>) {
    let text = match check.kind() {
        Kind::Block => {
            let full = output::human(
                std::slice::from_ref(check),
                output::color_for(Stream::Stderr),
                output::width_for(Stream::Stderr),
            );
            // The head says what will happen; here it has happened.
            let rest = full.split_once('\n').map_or("", |(_, r)| r);
            format!("{}{rest}", refused_head(check, verb))
        }
        Kind::Ok | Kind::Warn => format!(
            "prepush-auth: {} refused the credential for git, but its API accepts it ({}); the cause is not the token itself: check the username and the repository URL\n",
            check.host.as_deref().unwrap_or("the host"),
            check.finding.message
        ),
        Kind::Unknown => format!(
            "prepush-auth: could not tell why the credential was refused: {}\n",
            check.finding.message
        ),
        Kind::Skip => String::new(),
    };
    let note = check.credential.as_ref().map_or_else(
        || {
            format!(
                "  note:   {}\n",
                crate::helpers::after_refusal_note(&crate::helpers::Place::new(crate::helpers::Kind::Git))
            )
        },
        |c| format!("  note:   {}\n", crate::helpers::after_refusal_note(&c.place)),
    );
    if !text.is_empty() {
        output::write(Stream::Stderr, &text);
        if check.kind() == Kind::Block && check.finding.reason.rejects_credential() {
            output::write(Stream::Stderr, &note);
        }
    }
}

/// The gate's answer on stdout: the credential for git, `quit=1`, or nothing.
fn gate_get(input: &HelperInput) -> anyhow::Result<String> {
    let mut setup = crate::app::setup()?;
    if !setup.engine.config.enabled {
        return Ok(String::new());
    }
    let Some(url) = input.url(setup.repo.as_ref()) else {
        return Ok(String::new());
    };
    let opts = options(&setup.engine, Mode::Gate);
    let deadline = std::time::Instant::now() + opts.timeout;
    // Nothing to hand over: git asks the rest of the chain itself.
    let Lookup::Found(cred) = credential::lookup(&url, deadline)? else {
        return Ok(String::new());
    };
    let username = cred.username.clone();
    let secret = cred.secret.clone();
    let expiry = cred.expiry;
    let target = PushTarget { remote: None, url };
    let check = setup.engine.check(&target, Some(cred), &opts);
    if gate_stops(&check) {
        output::print_human(Stream::Stderr, std::slice::from_ref(&check));
        return Ok("quit=1\n".to_owned());
    }
    // git sends an `Authorization` extra header over anything a helper
    // gives, and would have a storing helper keep what we hand over (a CI
    // token in ~/.git-credentials): the header is judged, never handed on.
    if matches!(
        check.credential.as_ref().map(|c| &c.place.kind),
        Some(crate::helpers::Kind::ExtraHeader { .. })
    ) {
        return Ok(String::new());
    }
    // Valid or unverifiable: hand it to git, as the helper that had it would.
    let mut answer = String::new();
    if let Some(u) = username {
        let _ = writeln!(answer, "username={u}");
    }
    let _ = writeln!(answer, "password={}", secret.expose());
    if let Some(e) = expiry {
        let _ = writeln!(answer, "password_expiry_utc={}", e.timestamp());
    }
    Ok(answer)
}

/// The gate keeps a credential from git only on a refusal the host gave in
/// this run, or on an offline rule no clock can change (a failed checksum,
/// a username shape the host documents it refuses): never on a date, never
/// on a remembered verdict (order of evidence, README).
fn gate_stops(check: &Check) -> bool {
    check.kind() == Kind::Block && check.finding.reason.rejects_credential() && !check.cached
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_helper_protocol_up_to_the_blank_line() {
        let i = HelperInput::parse(
            "protocol=https\nhost=github.com\nusername=alice\npassword=p\nwwwauth[]=Basic realm=\"GitHub\"\n\npassword=late\n",
        );
        assert_eq!(i.protocol.as_deref(), Some("https"));
        assert_eq!(i.password.as_ref().map(Secret::expose), Some("p"));
    }

    #[test]
    fn the_verb_is_read_from_gits_command_line() {
        let v = |args: &[&str]| verb_of(&args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>());
        assert_eq!(v(&["git", "push", "origin", "main"]), Some("push"));
        assert_eq!(
            v(&["/usr/bin/git", "-c", "a.b=push", "-C", "/w", "fetch", "origin"]),
            Some("fetch")
        );
        assert_eq!(v(&["git", "pull"]), Some("fetch"));
        assert_eq!(v(&["git", "--no-pager", "ls-remote", "x"]), Some("ls-remote"));
        assert_eq!(
            v(&["/usr/lib/git-core/git-remote-https", "origin", "https://h/x"]),
            None
        );
        assert_eq!(v(&["git", "credential", "reject"]), None);
        assert_eq!(v(&["bash"]), None);
    }

    #[test]
    fn builds_the_url_git_was_talking_to() {
        let i = HelperInput::parse("protocol=https\nhost=github.com\npath=acme/widgets.git\nusername=a@b.c\n");
        let u = i.url(None).unwrap();
        assert_eq!(u.repository, "acme/widgets");
        assert_eq!(u.username.as_deref(), Some("a@b.c"));
        assert!(HelperInput::parse("protocol=ssh\nhost=x\n").url(None).is_none());
    }
}
