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
        // No network, nothing stored: git's other helpers store. An
        // observer's `get` answers nothing, so git asks the next helper.
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
    let cred = Credential::new(input.username.clone(), password, rejected_source(&url));
    let target = PushTarget { remote: None, url };
    let opts = options(&setup.engine, Mode::Rejected);
    let check = setup.engine.check(&target, Some(cred), &opts);
    report_rejection(&check);
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

fn report_rejection(check: &Check) {
    let text = match check.kind() {
        Kind::Block => output::human(std::slice::from_ref(check), output::color_for(Stream::Stderr)),
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
        output::write(
            Stream::Stderr,
            &output::human(std::slice::from_ref(&check), output::color_for(Stream::Stderr)),
        );
        return Ok("quit=1\n".to_owned());
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
    fn builds_the_url_git_was_talking_to() {
        let i = HelperInput::parse("protocol=https\nhost=github.com\npath=acme/widgets.git\nusername=a@b.c\n");
        let u = i.url(None).unwrap();
        assert_eq!(u.repository, "acme/widgets");
        assert_eq!(u.username.as_deref(), Some("a@b.c"));
        assert!(HelperInput::parse("protocol=ssh\nhost=x\n").url(None).is_none());
    }
}
