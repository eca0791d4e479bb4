//! `prepush-auth pre-push`: the git pre-push hook, also run by lefthook and
//! the pre-commit framework.
//!
//! SPEC §2: git runs this hook only after the receive-pack advertisement
//! succeeded, so the credential it used has just worked and was just stored;
//! what the hook adds is what is being pushed: the workflow scope, an
//! archived repository, an expiry ahead. It never blocks on stdin, never
//! blocks a push on its own failure, and costs nothing for SSH remotes and
//! delete-only pushes: those return before any config or repository is read.

use std::io::{BufRead, IsTerminal, Read as _};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::engine::{Check, Mode, Options};
use crate::git::RefUpdate;
use crate::output::{self, Stream};
use crate::target::{PushTarget, RemoteUrl, Transport};
use crate::verdict::Kind;

/// How long the hook waits for the first ref line, and between lines. git
/// writes all lines at once and closes the pipe; lefthook without
/// `use_stdin` leaves a pipe nobody writes to, and must not hang the push.
const FIRST_LINE_WAIT: Duration = Duration::from_millis(150);
const TOTAL_STDIN_BOUND: Duration = Duration::from_secs(2);
const MAX_REF_LINES: usize = 10_000;

/// Reads ref lines while they arrive, within a short bound. Garbage lines
/// are skipped; a terminal is never read.
pub fn read_ref_lines() -> Vec<RefUpdate> {
    if std::io::stdin().is_terminal() {
        return Vec::new();
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut lock = stdin.lock();
        let mut buf = Vec::new();
        loop {
            buf.clear();
            // Bound a single line: a hostile stdin must not fill memory.
            match (&mut lock).take(4096).read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx.send(String::from_utf8_lossy(&buf).into_owned()).is_err() {
                        break;
                    }
                    if !buf.ends_with(b"\n") {
                        // An over-long line: skip the rest of it.
                        let mut sink = Vec::new();
                        if lock.read_until(b'\n', &mut sink).unwrap_or(0) == 0 {
                            break;
                        }
                    }
                }
            }
        }
    });
    let started = Instant::now();
    let mut updates = Vec::new();
    let mut lines = 0;
    while let Ok(line) = rx.recv_timeout(FIRST_LINE_WAIT) {
        lines += 1;
        if let Some(u) = RefUpdate::parse(&line) {
            updates.push(u);
        }
        if lines >= MAX_REF_LINES || started.elapsed() > TOTAL_STDIN_BOUND {
            break;
        }
    }
    updates
}

/// Remote name and URL: git's arguments, else the pre-commit framework's
/// environment, else the current branch's push remote.
fn hook_target(remote: Option<String>, url: Option<String>) -> (Option<String>, Option<String>) {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let (remote, url) = match (remote, url) {
        (Some(r), Some(u)) => (Some(r), Some(u)),
        (Some(r), None) => (Some(r), env("PRE_COMMIT_REMOTE_URL")),
        (None, _) => (env("PRE_COMMIT_REMOTE_NAME"), env("PRE_COMMIT_REMOTE_URL")),
    };
    // A push to a URL rather than a remote (`git push https://u:p@h/o/r`):
    // git passes the URL, as typed, in place of the name (githooks(5):
    // "those arguments will be equal"). It is no name, and may hold a
    // password: never shown, never put in a fix line.
    let remote = remote.filter(|r| Some(r) != url.as_ref() && !r.contains("://"));
    (remote, url)
}

pub fn run(remote: Option<String>, url: Option<String>) -> u8 {
    match run_inner(remote, url) {
        Ok(code) => code,
        Err(e) => {
            // Our failure never blocks a push (SPEC §4).
            output::notice(&format!("could not check the credential ({e:#}); the push goes on"));
            0
        }
    }
}

fn run_inner(remote: Option<String>, url: Option<String>) -> Result<u8> {
    let (remote, url) = hook_target(remote, url);
    // Cheapest exits first: an SSH or local remote needs nothing else.
    let parsed = url.as_deref().map(RemoteUrl::parse).transpose()?;
    if parsed
        .as_ref()
        .is_some_and(|u| !matches!(u.transport, Transport::Https | Transport::Http))
    {
        return Ok(0);
    }
    let updates = read_ref_lines();
    if !updates.is_empty() && updates.iter().all(RefUpdate::is_delete) {
        return Ok(0);
    }

    let mut setup = crate::app::setup()?;
    if !setup.engine.config.enabled {
        return Ok(0);
    }
    let target = if let Some(url) = parsed {
        PushTarget {
            remote: remote.clone(),
            url,
        }
    } else {
        let repo = setup
            .repo
            .as_ref()
            .ok_or_else(|| anyhow::anyhow!("not in a git repository"))?;
        let name = remote.clone().unwrap_or_else(|| repo.push_remote_name());
        repo.push_target(&name)?
    };
    if !matches!(target.url.transport, Transport::Https | Transport::Http) {
        return Ok(0);
    }
    let opts = Options {
        timeout: Duration::from_millis(setup.engine.config.timeout_ms),
        use_cache: true,
        offline: false,
        mode: Mode::PrePush,
    };
    let check = setup.engine.check(&target, None, &opts);
    let check = judge_pushed_commits(&mut setup.engine, check, &target, &updates, &opts);
    // Warned once a day, not on every push: the hook that talks too much
    // gets uninstalled, and `check` shows it whenever asked. So is a write
    // access the host cannot tell before the pack arrives (Hugging Face,
    // Gitea/Forgejo): true of every push there, and the host's own refusal
    // follows at once if there is one.
    let daily = matches!(
        check.finding.reason,
        crate::verdict::Reason::ExpiresSoon | crate::verdict::Reason::WriteAccessUnknown
    );
    let repeat = daily && !setup.engine.first_daily_warning_today(&check);
    if !repeat {
        report(&check);
    }
    let strict = setup.engine.config.strict;
    Ok(crate::app::exit_status(std::slice::from_ref(&check), strict))
}

/// The check weighed with what the push carries: GitHub's workflow rule
/// for the commits git's ref lines name, or, without ref lines (`check`,
/// lefthook without `use_stdin`), the current branch's commits the remote
/// does not have. Used by the hook and by `check`, so both judge alike.
pub fn judge_pushed_commits(
    engine: &mut crate::engine::Engine,
    mut check: Check,
    target: &PushTarget,
    updates: &[RefUpdate],
    opts: &Options,
) -> Check {
    let remote_name = target.remote.clone().filter(|r| !r.contains('/') && !r.contains(':'));
    let touches = std::cell::OnceCell::new();
    let touches_workflows = || {
        touches
            .get_or_init(|| crate::git::pushed_commit_touching(".github/workflows/", updates, remote_name.as_deref()))
            .clone()
    };
    if let Some(mut blocked) = workflow_rule(&check, target, touches_workflows) {
        // Scopes remembered from before may be stale (the user has just
        // added `workflow`, as the fix said): a block is never made of them.
        if check.cached && blocked.reason == crate::verdict::Reason::MissingWorkflowScope {
            check = engine.check(
                target,
                None,
                &Options {
                    use_cache: false,
                    ..opts.clone()
                },
            );
            blocked = workflow_rule(&check, target, touches_workflows).unwrap_or_else(|| check.finding.clone());
        }
        check.finding = blocked;
    }
    check
}

/// GitHub's workflow rule for this push, if it changes the verdict.
fn workflow_rule(
    check: &Check,
    target: &PushTarget,
    touches: impl FnOnce() -> Option<String>,
) -> Option<crate::verdict::Finding> {
    if check.provider != Some(crate::provider::Provider::Github) {
        return None;
    }
    let cred = check.credential.as_ref()?;
    let web = format!("{}://{}", target.url.protocol(), target.url.host);
    let fix = crate::helpers::scope_steps(
        &cred.place,
        &target.url.host,
        "workflow",
        &format!("{web}/settings/tokens"),
        &format!("{web}/settings/tokens/new?scopes=repo,workflow&description=prepush-auth"),
    );
    crate::providers::github::workflow_rule(&check.finding, cred.kind, &cred.secret, fix, touches)
}

/// A hook that talks on every push gets uninstalled: quiet when all is
/// well, and about "no stored credential" too: git has just authenticated
/// (from a prompt, an askpass, an environment helper), so it says nothing new.
fn report(check: &Check) {
    if matches!(check.kind(), Kind::Ok | Kind::Skip) || check.finding.reason == crate::verdict::Reason::NoCredential {
        return;
    }
    output::print_human(Stream::Stderr, std::slice::from_ref(check));
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "1111111111111111111111111111111111111111";
    const Z: &str = "0000000000000000000000000000000000000000";

    #[test]
    fn parses_git_ref_lines() {
        let u = RefUpdate::parse(&format!("refs/heads/main {A} refs/heads/main {Z}\n")).unwrap();
        assert_eq!(u.local_ref, "refs/heads/main");
        assert!(!u.is_delete());
        assert!(
            RefUpdate::parse(&format!("(delete) {Z} refs/heads/old {A}"))
                .unwrap()
                .is_delete()
        );
    }

    #[test]
    fn garbage_is_not_a_ref_line() {
        for junk in [
            "",
            "hello",
            "a b c d",
            &format!("r {A} r {A} extra"),
            "r zz r zz",
            "\u{0}\u{1}",
        ] {
            assert!(RefUpdate::parse(junk).is_none(), "{junk:?}");
        }
    }
}
