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
use crate::verdict::Kind;

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

pub fn run() -> Result<u8> {
    let cli = Cli::parse();
    if std::env::var("PREPUSH_AUTH").is_ok_and(|v| v == "0")
        && !matches!(
            cli.command,
            Command::Install(_) | Command::Uninstall { .. } | Command::Completions { .. }
        )
    {
        return Ok(0);
    }
    match cli.command {
        // A panic (a bug) in `check` means the tool could not tell: that is
        // `unknown` (SPEC §4), exit 0, or 1 under --strict; the panic hook
        // has printed its one line.
        Command::Check(args) => unknown_on_panic(args.strict, || check(&args)),
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
        Command::Install(args) => crate::install::install(&args),
        Command::Uninstall { global } => crate::install::uninstall(global),
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
    let mut s = setup()?;
    if !s.engine.config.enabled {
        output::notice("disabled by configuration (enabled = false)");
        return Ok(0);
    }
    let targets = match (&args.target, args.all, &s.repo) {
        (_, true, None) | (None, false, None) => bail!("not in a git repository; give a URL to check"),
        (_, true, Some(repo)) => {
            let names = repo.remote_names();
            if names.is_empty() {
                bail!("this repository has no remotes");
            }
            names.iter().map(|n| repo.push_target(n)).collect::<Result<Vec<_>>>()?
        }
        (None, false, Some(repo)) => vec![repo.push_target(&repo.push_remote_name())?],
        (Some(t), false, Some(repo)) if repo.has_remote(t) => vec![repo.push_target(t)?],
        (Some(t), false, Some(repo)) => vec![repo.url_target(t)?],
        (Some(t), false, None) => vec![target::url_target_without_repo(t)?],
    };
    let opts = Options {
        timeout: Duration::from_millis(args.timeout_ms.unwrap_or(s.engine.config.timeout_ms).max(1)),
        use_cache: !args.no_cache,
        offline: args.offline,
        mode: Mode::Check,
    };
    let checks: Vec<Check> = targets.iter().map(|t| s.engine.check(t, None, &opts)).collect();
    match args.format {
        Format::Human => output::write(
            Stream::Stdout,
            &output::human(&checks, output::color_for(Stream::Stdout)),
        ),
        Format::Json => output::write(Stream::Stdout, &output::json(&checks)),
    }
    let strict = args.strict || s.engine.config.strict;
    Ok(exit_status(&checks, strict))
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
