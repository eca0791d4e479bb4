//! `prepush-auth ssh [--then CMD] ARGS…`: the ssh entry git runs as
//! `core.sshCommand` (`install --ssh`). It runs the ssh git would otherwise
//! have run (`CMD`, the user's own command, else `ssh`) with stdin, stdout
//! and stderr inherited (never piped), and returns its exit status
//! unchanged. Only a `git-receive-pack` that fails is diagnosed, by the SSH
//! step under the deadline, and only a reason that explains the failure is
//! printed on stderr, above git's own `fatal:` line. Everything else (git's
//! variant detection `-G`, fetches, our own probes) is the wrapped ssh,
//! replacing this process.

use std::ffi::{OsStr, OsString};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::engine::Check;
use crate::output::{self, Stream};
use crate::ssh::{self, Runner};
use crate::verdict::Kind;

/// `args` are what follows `ssh` on our command line.
pub fn run(args: &[OsString]) -> u8 {
    let (then, ssh_args) = match args {
        [flag, cmd, rest @ ..] if flag == "--then" => (cmd.to_str().map(str::to_owned), rest),
        rest => (None, rest),
    };
    let runner = match then {
        Some(cmd) if !cmd.trim().is_empty() => Runner {
            program: cmd,
            shell: true,
            origin: ssh::ENTRY_ORIGIN,
        },
        _ => Runner::plain(),
    };
    let mut cmd = command(&runner, ssh_args);
    let pushing = ssh_args
        .last()
        .and_then(|a| a.to_str())
        .is_some_and(|a| a.starts_with("git-receive-pack "));
    let quiet = std::env::var_os(ssh::PROBE_GUARD).is_some() || std::env::var("PREPUSH_AUTH").is_ok_and(|v| v == "0");
    if !pushing || quiet {
        // Nothing to add: become the wrapped ssh.
        let err = cmd.exec();
        output::notice(&format!("could not run {}: {err}", runner.program));
        return 255;
    }
    let status = match cmd.status() {
        Ok(s) => s,
        Err(e) => {
            output::notice(&format!("could not run {}: {e}", runner.program));
            return 255;
        }
    };
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(255);
    if code != 0 {
        // Our own failure never changes what git sees.
        let _ = std::panic::catch_unwind(|| diagnose(&runner, ssh_args));
    }
    u8::try_from(code).unwrap_or(255)
}

fn command(runner: &Runner, args: &[OsString]) -> Command {
    // Plain words (`ssh -F ~/.ssh/work.conf` has none of the shell's
    // characters but `~`, which is left to the shell): run without a second
    // shell, one process less on every connection.
    let plain = runner
        .program
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " /._-=,:@+".contains(c));
    if runner.shell && plain {
        let mut words = runner.program.split_whitespace();
        if let Some(first) = words.next() {
            let mut c = Command::new(first);
            c.args(words).args(args);
            return c;
        }
    }
    if runner.shell {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(format!("{} \"$@\"", runner.program))
            .arg(&runner.program)
            .args(args);
        c
    } else {
        let mut c = Command::new(&runner.program);
        c.args(args);
        c
    }
}

/// OpenSSH options that take a value (ssh.1 SYNOPSIS).
const WITH_VALUE: &[&str] = &[
    "-B", "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-P", "-p", "-Q", "-R",
    "-S", "-W", "-w",
];

/// The URL git was pushing to, from the ssh command line git built
/// (SSH.md §0.4: `[-o SendEnv=GIT_PROTOCOL] [-p port] [user@]host "git-receive-pack '<path>'"`).
pub fn url_from_args(args: &[OsString]) -> Option<String> {
    let args: Vec<&str> = args.iter().map(|a| a.to_str()).collect::<Option<_>>()?;
    let (remote, options) = args.split_last()?;
    let mut port = None;
    let mut user = None;
    let mut host = None;
    let mut i = 0;
    while i < options.len() {
        let a = options[i];
        if host.is_none() && a.starts_with('-') && a.len() >= 2 {
            let flag = &a[..2];
            if WITH_VALUE.contains(&flag) {
                let value = if a.len() > 2 {
                    Some(&a[2..])
                } else {
                    i += 1;
                    options.get(i).copied()
                };
                match flag {
                    "-p" => port = value,
                    "-l" => user = value,
                    _ => {}
                }
            }
        } else if host.is_none() {
            host = Some(a);
        }
        i += 1;
    }
    let host = host?;
    let (host_user, hostname) = match host.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, host),
    };
    let user = host_user.or(user).map(|u| format!("{u}@")).unwrap_or_default();
    let quoted = remote.strip_prefix("git-receive-pack ")?.trim();
    let path = quoted
        .strip_prefix('\'')
        .and_then(|p| p.strip_suffix('\''))
        .unwrap_or(quoted)
        .replace(r"'\''", "'");
    let hostname = if hostname.contains(':') {
        format!("[{hostname}]")
    } else {
        hostname.to_owned()
    };
    Some(match (port, path.starts_with('/')) {
        (None, false) => format!("{user}{hostname}:{path}"),
        (Some(p), true) => format!("ssh://{user}{hostname}:{p}{path}"),
        (Some(p), false) => format!("ssh://{user}{hostname}:{p}/{path}"),
        (None, true) => format!("ssh://{user}{hostname}{path}"),
    })
}

/// Why the push was refused, on stderr; nothing when the SSH step finds
/// git's push check answering (the failure came later, or went away).
fn diagnose(runner: &Runner, args: &[OsString]) {
    let Some(text) = url_from_args(args) else { return };
    let Ok(url) = crate::target::RemoteUrl::parse(&text) else {
        return;
    };
    let work_tree = crate::target::Repo::discover()
        .ok()
        .flatten()
        .and_then(|r| r.work_tree());
    let Ok(config) = crate::config::Config::load(work_tree.as_deref()) else {
        return;
    };
    if !config.enabled {
        return;
    }
    let (provider, _) = crate::providers::for_host(&url, config.host(&url.host));
    let start = Instant::now();
    let deadline = start + Duration::from_millis(config.timeout_ms);
    let (mut finding, view) = ssh::check_with(runner, &url, provider, deadline);
    if !matches!(finding.kind(), Kind::Block | Kind::Warn) {
        return;
    }
    // git runs ssh for a URL, not a remote name: which remote pushes there
    // is not known here.
    crate::engine::name_remote(&mut finding.fix, None);
    let check = Check {
        remote: None,
        url: url.display.clone(),
        host: Some(url.host.clone()),
        provider: Some(provider),
        repository: (!url.repository.is_empty()).then(|| url.repository.clone()),
        finding,
        credential: None,
        requests: 0,
        cached: false,
        cached_at: None,
        elapsed_ms: u64::try_from(start.elapsed().as_millis()).unwrap_or(u64::MAX),
        token_key: None,
        ssh: Some(view),
    };
    output::print_human(Stream::Stderr, std::slice::from_ref(&check));
}

/// Whether `value` (a `core.sshCommand`) is this entry.
pub fn is_entry(value: &str) -> bool {
    let mut words = value.split_whitespace();
    let first = words.next().unwrap_or("").trim_matches(['\'', '"']);
    std::path::Path::new(first)
        .file_name()
        .is_some_and(|n| n == OsStr::new("prepush-auth"))
        && words.next() == Some("ssh")
}

/// The user's own command an entry wraps (`--then 'CMD'`), if any.
pub fn wrapped(value: &str) -> Option<String> {
    let rest = value.split_once(" --then ")?.1.trim();
    let inner = rest.strip_prefix('\'')?;
    // POSIX single quotes: `'\''` is a quote inside.
    let mut out = String::new();
    let mut chars = inner;
    loop {
        let end = chars.find('\'')?;
        out.push_str(&chars[..end]);
        chars = &chars[end + 1..];
        if let Some(after) = chars.strip_prefix(r"\''") {
            out.push('\'');
            chars = after;
        } else {
            return Some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_url_is_read_back_from_gits_ssh_arguments() {
        assert_eq!(
            url_from_args(&os(&["git@github.com", "git-receive-pack 'acme/w.git'"])).as_deref(),
            Some("git@github.com:acme/w.git")
        );
        assert_eq!(
            url_from_args(&os(&[
                "-o",
                "SendEnv=GIT_PROTOCOL",
                "-p",
                "2222",
                "git@127.0.0.1",
                "git-receive-pack '/acme/w.git'"
            ]))
            .as_deref(),
            Some("ssh://git@127.0.0.1:2222/acme/w.git")
        );
        assert_eq!(url_from_args(&os(&["-G", "github.com"])), None);
        assert_eq!(url_from_args(&os(&["host", "git-upload-pack 'a'"])), None);
    }

    #[test]
    fn the_wrapped_command_is_read_back() {
        let v = r"'/usr/bin/prepush-auth' ssh --then 'ssh -F '\''my cfg'\'''";
        assert!(is_entry(v));
        assert_eq!(wrapped(v).as_deref(), Some("ssh -F 'my cfg'"));
        assert_eq!(wrapped("prepush-auth ssh"), None);
    }
}
