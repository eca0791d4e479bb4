//! The SSH step of the engine: a push over SSH checked the way git connects
//! (SSH.md §0.4): the same ssh program (`GIT_SSH_COMMAND`, `core.sshCommand`,
//! `GIT_SSH`, else `ssh`, with the user's `~/.ssh/config`), asked for
//! git's own push check, the receive-pack advertisement, and sent nothing
//! but the flush `git push --dry-run` sends after it (SSH.md §0.5, §9).
//!
//! Never prompting: `BatchMode=yes`, `SSH_ASKPASS_REQUIRE=never`, an empty
//! `GIT_ASKPASS`, stdin a pipe, in its own process group killed whole at the
//! deadline. `-v` makes ssh say which key it offered and which the server
//! accepted; those debug lines are read, never shown.
//!
//! On GitLab and Gitea/Forgejo a receive-pack request for a repository that
//! does not exist may create it (push-to-create): there the upload-pack
//! advertisement is asked first, and the receive-pack one only for a
//! repository that answered.
//!
//! Only when the offered key is refused, or its account may not push, are
//! the user's other keys tried (the agent's, and the `*.pub` files with a
//! private half beside them in `~/.ssh` and in the directories of the
//! identity files ssh is configured with), each alone, concurrently, under
//! the same deadline. Only public keys leave the machine, only to the
//! remote's own host.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::helpers::{COMMAND, shell_word};
use crate::provider::Provider;
use crate::ssh_words::{self, Said};
use crate::target::RemoteUrl;
use crate::verdict::{Finding, Reason};

/// Set in the environment of every ssh this step runs: the ssh entry
/// (`prepush-auth ssh`, when it is the user's `core.sshCommand`) then runs
/// the ssh it wraps and nothing else.
pub const PROBE_GUARD: &str = "PREPUSH_AUTH_SSH_PROBE";

/// A [`Runner`]'s origin when it is the command the ssh entry wraps.
pub const ENTRY_ORIGIN: &str = "prepush-auth ssh";

/// What output shows of an SSH check: the key, its fingerprint, the account
/// the host named. Never a private key, never a file's contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshView {
    pub key: Option<String>,
    pub fingerprint: Option<String>,
    pub account: Option<String>,
    pub connections: usize,
}

/// How git runs ssh: the program, and whether git hands it to the shell.
#[derive(Clone, Debug)]
pub struct Runner {
    pub program: String,
    pub shell: bool,
    /// Where it came from, for the fix: `GIT_SSH_COMMAND`, `core.sshCommand`, …
    pub origin: &'static str,
}

impl Runner {
    /// As git decides (SSH.md §0.4): `GIT_SSH_COMMAND`, else
    /// `core.sshCommand`, else `GIT_SSH` (no shell), else `ssh`.
    pub fn resolve() -> Self {
        let configured = std::env::var("GIT_SSH_COMMAND")
            .ok()
            .filter(|c| !c.trim().is_empty())
            .map(|c| (c, "GIT_SSH_COMMAND"))
            .or_else(|| git_config("core.sshCommand").map(|c| (c, "core.sshCommand")));
        if let Some((cmd, origin)) = configured {
            // Our own entry stands in for the user's command: the probe runs
            // the one it wraps (or plain ssh).
            if crate::ssh_entry::is_entry(&cmd) {
                return Self {
                    program: crate::ssh_entry::wrapped(&cmd).unwrap_or_else(|| "ssh".to_owned()),
                    shell: true,
                    origin: if origin == "GIT_SSH_COMMAND" {
                        origin
                    } else {
                        ENTRY_ORIGIN
                    },
                };
            }
            return Self {
                program: cmd,
                shell: true,
                origin,
            };
        }
        if let Some(prog) = std::env::var("GIT_SSH").ok().filter(|c| !c.trim().is_empty()) {
            return Self {
                program: prog,
                shell: false,
                origin: "GIT_SSH",
            };
        }
        Self::plain()
    }

    pub fn plain() -> Self {
        Self {
            program: "ssh".to_owned(),
            shell: false,
            origin: "ssh",
        }
    }

    /// The ssh command as a user types it for a fix line: the configured
    /// command as git runs it (through `sh`), a `GIT_SSH` program as one
    /// word, else `ssh`. So `ssh -T` reads the same config (`-F`, its
    /// `UserKnownHostsFile`) as git's connections.
    ///
    /// Only a command that is ssh itself is repeated: another program
    /// (`sshpass -p SECRET ssh`, a wrapper script) may carry a secret on its
    /// command line, and a fix line never prints one; plain `ssh` then.
    fn as_typed(&self) -> String {
        // `GIT_SSH` names a program git runs without the shell: one word,
        // a path, which carries nothing but itself.
        if !self.shell {
            return shell_word(&self.program);
        }
        if matches!(self.program_name(), "ssh" | "ssh.exe") {
            self.program.trim().to_owned()
        } else {
            "ssh".to_owned()
        }
    }

    /// The name of the program git runs: the first word of a command it
    /// runs through `sh`, else the whole `GIT_SSH` path; without its folder.
    fn program_name(&self) -> &str {
        let first = if self.shell {
            self.program.split_whitespace().next().unwrap_or("")
        } else {
            self.program.as_str()
        };
        Path::new(first).file_name().and_then(|n| n.to_str()).unwrap_or("")
    }

    /// OpenSSH, as git guesses from the program's name; `PuTTY`'s `plink`
    /// and `TortoisePlink` take other options.
    pub fn is_openssh(&self) -> bool {
        // As git's `determine_ssh_variant`: `GIT_SSH_VARIANT`, else
        // `ssh.variant`; `auto` (or neither) guesses from the name. `simple`
        // takes no options at all, so none of ours (BatchMode, -v) either.
        let variant = std::env::var("GIT_SSH_VARIANT")
            .ok()
            .filter(|v| !v.is_empty())
            .or_else(|| git_config("ssh.variant"));
        if let Some(v) = variant.filter(|v| v != "auto") {
            return v == "ssh";
        }
        let name = self.program_name().to_ascii_lowercase();
        !(name.starts_with("plink") || name.starts_with("putty") || name.starts_with("tortoiseplink"))
    }

    /// `ssh [options] [-p port] [user@]host [remote command]`.
    fn command(&self, options: &[String], url: &RemoteUrl, remote: Option<&str>) -> Command {
        let mut args: Vec<String> = options.to_vec();
        if let Some(port) = port_of(url) {
            args.push("-p".to_owned());
            args.push(port);
        }
        args.push(match &url.username {
            Some(u) => format!("{u}@{}", url.hostname),
            None => url.hostname.clone(),
        });
        if let Some(r) = remote {
            args.push(r.to_owned());
        }
        let mut cmd = if self.shell {
            let mut c = Command::new("sh");
            c.arg("-c").arg(format!("{} \"$@\"", self.program)).arg(&self.program);
            c
        } else {
            Command::new(&self.program)
        };
        cmd.args(args)
            .env(PROBE_GUARD, "1")
            .env("SSH_ASKPASS_REQUIRE", "never")
            .env("GIT_ASKPASS", "")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env_remove("DISPLAY")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }

    /// The command line that pins `key` for this repository, built on the
    /// user's own ssh command.
    fn pinned(&self, key: &str) -> String {
        format!("{} -i {} -o IdentitiesOnly=yes", self.as_typed(), shell_path(key))
    }
}

fn git_config(key: &str) -> Option<String> {
    let mut cmd = crate::git::git();
    cmd.args(["config", "--get", key])
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let out = crate::git::run_with_deadline(cmd, b"", Instant::now() + std::time::Duration::from_secs(2)).ok()??;
    let value = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !value.is_empty()).then_some(value)
}

fn port_of(url: &RemoteUrl) -> Option<String> {
    let (_, port) = url.host.rsplit_once(':')?;
    (!port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())).then(|| port.to_owned())
}

/// The path git names in `git-receive-pack '<path>'` (SSH.md §0.4): as
/// written after the colon for scp-like URLs, with its leading slash for
/// `ssh://` (but `/~user/…` is `~user/…`).
pub fn remote_path(url: &RemoteUrl) -> String {
    let path = url.path.split(['?', '#']).next().unwrap_or("");
    if url.scp_like || path.starts_with("/~") {
        path.trim_start_matches('/').to_owned()
    } else {
        path.to_owned()
    }
}

/// `git-receive-pack 'o/r.git'`, quoted as git's `sq_quote_buf` does.
pub fn service_command(service: &str, url: &RemoteUrl) -> String {
    format!("{service} '{}'", remote_path(url).replace('\'', r"'\''"))
}

/// A key as ssh reported it: its path (or agent comment) and fingerprint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyRef {
    pub path: String,
    pub fingerprint: String,
}

/// What one ssh run told.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    pub advertised: bool,
    pub exit: Option<i32>,
    pub timed_out: bool,
    /// stderr lines meant for the user (ssh's own and the host's), without
    /// ssh's debug lines.
    pub said: Vec<String>,
    pub offered: Vec<KeyRef>,
    pub accepted: Option<KeyRef>,
    pub authenticated: bool,
    /// Everything on stdout when no advertisement came (a greeting).
    pub stdout: String,
}

impl Probe {
    pub fn parse(stdout: &[u8], stderr: &[u8], exit: Option<i32>) -> Self {
        let mut p = Probe {
            exit,
            advertised: is_pkt_line(stdout),
            ..Probe::default()
        };
        if !p.advertised {
            p.stdout = String::from_utf8_lossy(&stdout[..stdout.len().min(4096)]).into_owned();
        }
        for line in String::from_utf8_lossy(stderr).lines() {
            let line = line.trim_end_matches('\r');
            if let Some(rest) = line.strip_prefix("debug1: Offering public key: ") {
                p.offered.extend(key_ref(rest));
            } else if let Some(rest) = line.strip_prefix("debug1: Server accepts key: ") {
                p.accepted = key_ref(rest);
            } else if line.starts_with("Authenticated to ") {
                p.authenticated = true;
            } else if line.starts_with("debug")
                || line.starts_with("OpenSSH_")
                || line.starts_with("Transferred: ")
                || line.starts_with("Bytes per second")
                || line.starts_with("Warning: Permanently added")
                || line.trim().is_empty()
            {
            } else {
                p.said.push(line.to_owned());
            }
        }
        p
    }

    fn said_any(&self, needle: &str) -> bool {
        self.said.iter().any(|l| l.contains(needle))
    }

    /// The `known_hosts` file that holds the key a host no longer has, as
    /// OpenSSH names it (`Offending ECDSA key in /home/u/.ssh/known_hosts:3`):
    /// the one `ssh-keygen -R` must edit, which is not the default where the
    /// user's ssh config sets `UserKnownHostsFile`.
    pub fn offending_file(&self) -> Option<String> {
        self.said.iter().find_map(|l| {
            let (_, rest) = l.split_once("Offending ")?;
            let (_, place) = rest.split_once(" key in ")?;
            let file = place.trim().rsplit_once(':').map_or(place.trim(), |(f, _)| f);
            (!file.is_empty()).then(|| file.to_owned())
        })
    }

    /// The key the host took, as a view.
    fn view(&self, home: Option<&Path>) -> SshView {
        let key = self.accepted.as_ref().or(self.offered.first());
        SshView {
            key: key.map(|k| shown_path(&k.path, home)),
            fingerprint: key.map(|k| k.fingerprint.clone()),
            account: None,
            connections: 1,
        }
    }
}

/// `PATH TYPE SHA256:… [explicit] [agent]` (sshconnect2.c).
fn key_ref(text: &str) -> Option<KeyRef> {
    let words: Vec<&str> = text.split(' ').collect();
    let at = words.iter().position(|w| w.starts_with("SHA256:"))?;
    let path = words[..at.saturating_sub(1)].join(" ");
    Some(KeyRef {
        path,
        fingerprint: words[at].to_owned(),
    })
}

fn is_pkt_line(out: &[u8]) -> bool {
    out.len() >= 4 && out[..4].iter().all(u8::is_ascii_hexdigit)
}

/// `~/…` for a path under the home ssh uses.
fn shown_path(path: &str, home: Option<&Path>) -> String {
    if let Some(home) = home.and_then(Path::to_str)
        && let Some(rest) = path.strip_prefix(home)
        && rest.starts_with('/')
    {
        return format!("~{rest}");
    }
    path.to_owned()
}

/// A key's path as one shell word: a leading `~/` stays outside the quotes
/// (the shell expands it there), the rest is quoted where it must be.
fn shell_path(path: &str) -> String {
    match path.strip_prefix("~/") {
        Some(rest) if !rest.is_empty() => format!("~/{}", shell_word(rest)),
        _ => shell_word(path),
    }
}

/// `value` as one shell word for a `$ ` line: double-quoted (readable;
/// single quotes inside stay literal), `$`, a backquote and `"` escaped,
/// and a backslash where `sh` would read it as an escape; single-quoted
/// when it holds a `!` (bash's history expansion, which double quotes do
/// not stop).
fn shell_value(value: &str) -> String {
    if value.contains('!') {
        return shell_word(value);
    }
    let chars: Vec<char> = value.chars().collect();
    let mut out = String::from("\"");
    for (i, &c) in chars.iter().enumerate() {
        let escapes_next = chars
            .get(i + 1)
            .is_none_or(|n| matches!(n, '$' | '`' | '"' | '\\' | '\n'));
        if matches!(c, '$' | '`' | '"') || (c == '\\' && escapes_next) {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// An `ssh_config` argument: double-quoted when it holds a space (ssh's
/// own quoting in that file).
fn config_word(value: &str) -> String {
    if value.contains(char::is_whitespace) {
        format!("\"{value}\"")
    } else {
        value.to_owned()
    }
}

/// Runs one ssh to `url` with `options` (after ours) and `remote` as the
/// command; sends git's flush and reads what came back, under `deadline`.
fn run(runner: &Runner, url: &RemoteUrl, extra: &[String], remote: Option<&str>, deadline: Instant) -> Probe {
    let mut options = vec!["-o".to_owned(), "BatchMode=yes".to_owned(), "-v".to_owned()];
    if remote.is_none() {
        options.push("-T".to_owned());
    }
    options.extend_from_slice(extra);
    let cmd = runner.command(&options, url, remote);
    // The flush is all `git push --dry-run` sends after the advertisement
    // (send-pack.c): written at once, read by receive-pack only after it
    // has advertised, and never by a host that refused.
    let input: &[u8] = if remote.is_some() { b"0000" } else { b"" };
    match crate::git::run_with_deadline(cmd, input, deadline) {
        Ok(Some(out)) => Probe::parse(&out.stdout, &out.stderr, out.status.code()),
        Ok(None) => Probe {
            timed_out: true,
            ..Probe::default()
        },
        Err(e) => Probe {
            said: vec![format!("could not run {}: {e:#}", runner.program)],
            exit: Some(127),
            ..Probe::default()
        },
    }
}

/// The home ssh expands `~` from: the password database's, not `$HOME`
/// (SSH.md §1, measured).
pub fn ssh_home() -> Option<PathBuf> {
    let uid = rustix::process::getuid().as_raw().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok();
    let from_passwd = passwd.as_deref().and_then(|text| {
        text.lines().find_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            (f.len() >= 6 && f[2] == uid).then(|| PathBuf::from(f[5]))
        })
    });
    from_passwd.or_else(|| std::env::var_os("HOME").map(PathBuf::from))
}

/// The SSH step: the verdict on a push to `url` over SSH, and what output
/// shows of the key.
pub fn check(url: &RemoteUrl, provider: Provider, deadline: Instant) -> (Finding, SshView) {
    let runner = Runner::resolve();
    check_with(&runner, url, provider, deadline)
}

pub fn check_with(runner: &Runner, url: &RemoteUrl, provider: Provider, deadline: Instant) -> (Finding, SshView) {
    let (finding, view) = check_inner(runner, url, provider, deadline);
    (bitbucket_moved(url, finding), view)
}

/// Bitbucket Cloud moved SSH from `bitbucket.org` to `ssh.bitbucket.org`
/// (announced for 2026-11-12, SSH.md §4): a failure to reach the old name
/// says so, with the new remote. A date alone never blocks: only a failure
/// of this run gets the explanation.
fn bitbucket_moved(url: &RemoteUrl, mut finding: Finding) -> Finding {
    let failed = matches!(
        finding.reason,
        Reason::SshPortClosed
            | Reason::NetworkError
            | Reason::UnexpectedResponse
            | Reason::HostKeyChanged
            | Reason::HostKeyUnknown
            | Reason::Timeout
    );
    if url.hostname != "bitbucket.org" || !failed {
        return finding;
    }
    finding.add(
        "Bitbucket Cloud moved SSH from bitbucket.org to ssh.bitbucket.org (announced for 2026-11-12), so bitbucket.org may no longer answer SSH",
    );
    let user = url.username.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
    // `<remote>` is named by the engine, as for every set-url line.
    let moved = format!("{user}ssh.bitbucket.org:{}", remote_path(url).trim_start_matches('/'));
    finding.fix.splice(
        0..0,
        [
            "point the remote at the new host:".to_owned(),
            format!("{COMMAND}git remote set-url <remote> {}", shell_word(&moved)),
        ],
    );
    finding
}

fn check_inner(runner: &Runner, url: &RemoteUrl, provider: Provider, deadline: Instant) -> (Finding, SshView) {
    let home = ssh_home();
    if !runner.is_openssh() {
        return (
            Finding::new(
                Reason::UnsupportedHost,
                format!("git runs {} for ssh, which is not OpenSSH; not checked", runner.program),
            ),
            SshView::default(),
        );
    }
    let mut connections = 0;
    // Push-to-create hosts: has the repository been seen?
    if matches!(provider, Provider::Gitlab | Provider::Gitea) {
        let seen = run(
            runner,
            url,
            &[],
            Some(&service_command("git-upload-pack", url)),
            deadline,
        );
        connections += 1;
        if !seen.advertised {
            let (mut finding, mut view) = judge_refusal(runner, url, provider, &seen, home.as_deref(), deadline);
            view.connections += connections - 1;
            if finding.reason == Reason::NoRepoAccess && seen_said(provider, &seen) == Some(Said::NotFound) {
                finding = not_found_may_create(provider, url, &view, &seen);
            }
            return (finding, view);
        }
    }
    let probe = run(
        runner,
        url,
        &[],
        Some(&service_command("git-receive-pack", url)),
        deadline,
    );
    connections += 1;
    let (finding, mut view) = if probe.advertised {
        let view = probe.view(home.as_deref());
        (advertised(provider, url, &view), view)
    } else {
        judge_refusal(runner, url, provider, &probe, home.as_deref(), deadline)
    };
    view.connections += connections - 1;
    (finding, view)
}

fn seen_said(provider: Provider, probe: &Probe) -> Option<Said> {
    ssh_words::recognise(provider, &probe.said).map(|(s, _)| s)
}

fn key_phrase(view: &SshView) -> String {
    match (&view.key, &view.fingerprint) {
        (Some(k), Some(f)) => format!("the key {k} ({f})"),
        (Some(k), None) => format!("the key {k}"),
        _ => "its key".to_owned(),
    }
}

/// Level 1: the host gave git's push check its advertisement.
fn advertised(provider: Provider, url: &RemoteUrl, view: &SshView) -> Finding {
    let key = key_phrase(view);
    match provider {
        Provider::Github | Provider::Gitlab | Provider::Bitbucket => Finding::new(
            Reason::Ok,
            format!(
                "ssh offers {key}, and {} answered git's push check for {} (receive-pack advertisement)",
                host_name(provider),
                url.repository
            ),
        ),
        _ => Finding::new(
            Reason::WriteAccessUnknown,
            format!(
                "ssh offers {key}, which {} accepts; whether it may push to {} is decided only after the pack arrives (the host's advertisement does not check write access)",
                host_name(provider),
                url.repository
            ),
        ),
    }
}

fn host_name(provider: Provider) -> &'static str {
    match provider {
        Provider::Github => "GitHub",
        Provider::Gitlab => "GitLab",
        Provider::Bitbucket => "Bitbucket",
        Provider::BitbucketServer => "Bitbucket Data Center",
        Provider::Gitea => "the Gitea/Forgejo host",
        Provider::AzureDevops => "Azure DevOps",
        Provider::Huggingface => "Hugging Face",
        Provider::Generic => "the host",
    }
}

fn not_found_may_create(provider: Provider, url: &RemoteUrl, view: &SshView, seen: &Probe) -> Finding {
    let hostn = host_name(provider);
    let repo = &url.repository;
    // The host's words last: they end in their own period.
    let said = ssh_words::recognise(provider, &seen.said)
        .map(|(_, line)| format!("; {hostn} says: {}", said_line(&line)))
        .unwrap_or_default();
    Finding::new(
        Reason::RepoNotFound,
        format!(
            "there is no repository {repo} as far as {} can see, and a push would create it where your account may create repositories (not probed, so nothing was created){said}",
            key_phrase(view)
        ),
    )
    .fix(format!(
        "check the remote's path ({repo}): if it is right, the push creates the repository there; if not, correct it with `git remote set-url`"
    ))
}

/// A host's line as quoted: without git's `remote:` prefix.
fn said_line(line: &str) -> String {
    line.trim().trim_start_matches("remote:").trim().to_owned()
}

/// No advertisement: ssh's own words (client side) or the host's.
fn judge_refusal(
    runner: &Runner,
    url: &RemoteUrl,
    provider: Provider,
    probe: &Probe,
    home: Option<&Path>,
    deadline: Instant,
) -> (Finding, SshView) {
    let mut view = probe.view(home);
    let host = &url.hostname;
    if probe.timed_out {
        return (
            Finding::new(
                Reason::Timeout,
                format!("ssh to {host} did not finish within the deadline; not checked"),
            ),
            view,
        );
    }
    // Client side (ssh exits 255 for its own errors).
    if probe.said_any("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        let page = ssh_words::fingerprints_page(host).map_or_else(
            || format!("the fingerprints {host}'s administrators publish"),
            str::to_owned,
        );
        return (
            Finding::new(
                Reason::HostKeyChanged,
                format!(
                    "the host key {host} sent is not the one in your known_hosts, so ssh refuses to connect (this may be an attack, or the host rotated its key)"
                ),
            )
            .fix(format!(
                "compare the fingerprint ssh printed with {page}; never accept it unseen, and only if they match, forget the old key:"
            ))
            .fix(format!(
                "{COMMAND}ssh-keygen {}-R {}",
                probe
                    .offending_file()
                    .map(|f| format!("-f {} ", shell_path(&f)))
                    .unwrap_or_default(),
                known_hosts_name(url)
            ))
            .fix("then connect once from a terminal and answer yes:")
            .fix(format!("{COMMAND}{} -T {}", runner.as_typed(), login(url))),
            view,
        );
    }
    if probe.said_any("Host key verification failed") {
        let page = ssh_words::fingerprints_page(host).map_or_else(
            || format!("the fingerprints {host}'s administrators publish"),
            str::to_owned,
        );
        return (
            Finding::new(
                Reason::HostKeyUnknown,
                format!("ssh does not know {host}'s host key yet and may not ask (no terminal), so it refuses to connect"),
            )
            .fix(format!(
                "connect once from a terminal with `{} -T {}`, compare the fingerprint it shows with {page}, and answer yes only if they match",
                runner.as_typed(),
                login(url)
            )),
            view,
        );
    }
    if let Some(line) = probe.said.iter().find(|l| l.contains("Could not resolve hostname")) {
        return (
            Finding::new(Reason::NetworkError, format!("ssh could not resolve {host}: {line}")),
            view,
        );
    }
    if let Some(line) = probe.said.iter().find(|l| l.starts_with("ssh: connect to host")) {
        let mut f = Finding::new(Reason::SshPortClosed, format!("ssh could not connect: {line}"));
        if let Some(lines) = ssh_words::port_443(host) {
            f = f.fix(format!(
                "if your network blocks port 22, use {host}'s SSH endpoint on port 443: add to ~/.ssh/config the lines {lines}"
            ));
        }
        return (f, view);
    }
    if probe.said_any("kex_exchange_identification") || probe.said_any("Connection closed by") {
        return (
            Finding::new(
                Reason::NetworkError,
                format!("the SSH connection to {host} was closed before it began (a proxy or firewall?)"),
            ),
            view,
        );
    }
    if probe.said_any("Permission denied (") {
        return search_or(
            runner,
            url,
            provider,
            probe,
            home,
            deadline,
            denied_at_login(url, provider, probe, home),
        );
    }
    // The host's words.
    let Some((said, line)) = ssh_words::recognise(provider, &probe.said) else {
        let words = probe.said.iter().take(3).cloned().collect::<Vec<_>>().join(" / ");
        if probe.exit == Some(255) || words.is_empty() {
            return (
                Finding::new(
                    Reason::UnexpectedResponse,
                    format!(
                        "ssh to {host} ended (exit {}) before git's push check answered{}",
                        probe.exit.map_or_else(|| "by a signal".to_owned(), |c| c.to_string()),
                        if words.is_empty() {
                            String::new()
                        } else {
                            format!(": {words}")
                        }
                    ),
                ),
                view,
            );
        }
        return (
            Finding::new(
                Reason::HostRefused,
                format!(
                    "{} refused before its push check answered: {words}",
                    host_name(provider)
                ),
            ),
            view,
        );
    };
    let quoted = said_line(&line);
    view.account = ssh_words::account_in_refusal(&line);
    let key = key_phrase(&view);
    let hostn = host_name(provider);
    let repo = &url.repository;
    let finding = match said {
        Said::KeyRefusedAtCommand => {
            // Azure DevOps takes any key at login and refuses it at the
            // command (SSH.md §7): a greeting there proves nothing.
            let f = Finding::new(
                Reason::SshKeyNotAccepted,
                format!(
                    "ssh offers {key}, which {hostn} let in at login but refuses for the repository (it accepts any key at login); {hostn} says: {quoted}"
                ),
            );
            return search_or(runner, url, provider, probe, home, deadline, (f, view));
        }
        Said::NoAccess | Said::NotFound => {
            let who = view
                .account
                .as_ref()
                .map(|a| format!(", which {hostn} knows as {a}"))
                .unwrap_or_default();
            let account = view.account.as_deref().unwrap_or("the key's account");
            let f = Finding::new(
                Reason::NoRepoAccess,
                format!("ssh offers {key}{who}; {hostn} says: {quoted}"),
            )
            .fix(format!(
                "check the remote's path ({repo}), then ask the repository's owner to give {account} write access, or push with a key of an account that has it (none of your other keys does)"
            ));
            return search_or(runner, url, provider, probe, home, deadline, (f, view));
        }
        Said::DeployKeyReadOnly => Finding::new(
            Reason::DeployKeyReadOnly,
            format!("ssh offers {key}, a read-only deploy key of {repo}; {hostn} says: {quoted}"),
        )
        .fix("give the deploy key write access in the repository's settings (Deploy keys), or push with your own key"),
        Said::OtherDeployKey => {
            let f = Finding::new(
                Reason::NoRepoAccess,
                format!("ssh offers {key}, a deploy key of another repository; {hostn} says: {quoted}"),
            )
            .fix(format!(
                "add a deploy key with write access to {repo}, or push with your own key"
            ));
            return search_or(runner, url, provider, probe, home, deadline, (f, view));
        }
        Said::Archived => Finding::new(
            Reason::RepoArchived,
            format!("{repo} is archived; {hostn} says: {quoted}"),
        )
        .fix("unarchive the repository in its settings (an owner can), or push elsewhere"),
        Said::Sso => Finding::new(
            Reason::SsoRequired,
            format!("the organization requires SAML SSO and {key} is not authorized for it; {hostn} says: {quoted}"),
        )
        .fix(format!(
            "authorize the key for the organization: https://{host}/settings/keys, \"Configure SSO\" next to the key"
        )),
        Said::KeyExpired => Finding::new(
            Reason::SshKeyExpired,
            format!("{key} has expired; {hostn} says: {quoted}"),
        )
        .fix_opt(
            ssh_words::keys_page(provider, host)
                .map(|p| format!("make a new key (ssh-keygen -t ed25519) and add its .pub at {p}")),
        ),
        Said::HostRule => {
            let f = Finding::new(Reason::HostRefused, format!("{hostn} refuses: {quoted}"));
            if quoted.contains("RSA key with SHA-1") {
                // GitHub refuses ssh-rsa (SHA-1) signatures: the host's own
                // advice is a newer client or another key type (SSH.md §2).
                f.fix_opt(ssh_words::keys_page(provider, host).map(|p| {
                    format!("make an Ed25519 key (ssh-keygen -t ed25519) and add its .pub at {p}, or update the ssh client so it signs with rsa-sha2-256/512")
                }))
            } else {
                f
            }
        }
    };
    (finding, view)
}

/// `Permission denied (publickey)`: which of ssh's cases it was (SSH.md §1).
fn denied_at_login(url: &RemoteUrl, provider: Provider, probe: &Probe, home: Option<&Path>) -> (Finding, SshView) {
    let view = probe.view(home);
    let host = &url.hostname;
    let register = ssh_words::keys_page(provider, host).map_or_else(
        || format!("add its .pub to your account on {host}"),
        |p| format!("add its .pub at {p}"),
    );
    if let Some(accepted) = &probe.accepted
        && !probe.authenticated
    {
        let k = shown_path(&accepted.path, home);
        return (
            Finding::new(
                Reason::SshKeyLocked,
                format!(
                    "{host} knows the key {k} ({}), but ssh could not use it without asking: it has a passphrase and is not in the agent; a push without a terminal fails",
                    accepted.fingerprint
                ),
            )
            .fix("add it to the agent (ssh-add asks for the passphrase once):")
            .fix(format!("{COMMAND}ssh-add {}", shell_path(&k))),
            view,
        );
    }
    if probe.offered.is_empty() {
        return (
            Finding::new(
                Reason::SshNoKey,
                format!("ssh had no key to offer {host}: {}", agent_state()),
            )
            .fix("make a key:")
            .fix(format!("{COMMAND}ssh-keygen -t ed25519"))
            .fix(register),
            view,
        );
    }
    let offered: Vec<String> = probe
        .offered
        .iter()
        .map(|k| format!("{} ({})", shown_path(&k.path, home), k.fingerprint))
        .collect();
    (
        Finding::new(
            Reason::SshKeyNotAccepted,
            format!("{host} accepted none of the keys ssh offered: {}", offered.join(", ")),
        )
        .fix(format!("register the key with your account: {register}")),
        view,
    )
}

/// `ssh-add -l` in words (SSH.md §1: exit 1 no identities, 2 no agent).
fn agent_state() -> String {
    let mut cmd = Command::new("ssh-add");
    cmd.arg("-l").stdout(Stdio::null()).stderr(Stdio::null());
    match crate::git::run_with_deadline(cmd, b"", Instant::now() + std::time::Duration::from_millis(500)) {
        Ok(Some(o)) if o.status.code() == Some(1) => {
            "the agent holds no keys, and no key file is configured or present".to_owned()
        }
        Ok(Some(o)) if o.status.code() == Some(2) => {
            "no agent is running (SSH_AUTH_SOCK), and no key file is configured or present".to_owned()
        }
        _ => "no key file is configured or present".to_owned(),
    }
}

fn login(url: &RemoteUrl) -> String {
    let user = url.username.as_deref().map(|u| format!("{u}@")).unwrap_or_default();
    match port_of(url) {
        Some(p) => format!("-p {p} {user}{}", url.hostname),
        None => format!("{user}{}", url.hostname),
    }
}

fn known_hosts_name(url: &RemoteUrl) -> String {
    match port_of(url) {
        Some(p) => format!("'[{}]:{p}'", url.hostname),
        None => url.hostname.clone(),
    }
}

// ---------------------------------------------------------------- other keys

/// A candidate, the probe that let it in (if any), and the connections made.
type Tried = (Candidate, Option<Probe>, usize);

/// A key of the user's that ssh could offer alone.
#[derive(Clone, Debug)]
struct Candidate {
    /// What `-i` names: the private half, or a `.pub` of an agent key.
    identity: PathBuf,
    shown: String,
    fingerprint: String,
    /// An agent key: its public key text (what `ssh-add -L` prints), for
    /// the fix that saves it beside the others.
    agent_key: Option<String>,
}

/// On the failure path: the user's other keys, each tried alone; the first
/// whose account may push turns the finding into `wrong_account`.
fn search_or(
    runner: &Runner,
    url: &RemoteUrl,
    provider: Provider,
    probe: &Probe,
    home: Option<&Path>,
    deadline: Instant,
    (finding, mut view): (Finding, SshView),
) -> (Finding, SshView) {
    let tried: Vec<String> = probe
        .offered
        .iter()
        .chain(probe.accepted.iter())
        .map(|k| k.fingerprint.clone())
        .collect();
    let scratch = Scratch::new();
    let candidates: Vec<Candidate> = candidates(runner, url, home, scratch.as_ref().map(|s| s.0.as_path()), deadline)
        .into_iter()
        .filter(|c| !tried.contains(&c.fingerprint))
        .collect();
    if candidates.is_empty() {
        return (finding, view);
    }
    // The offered key's account, where the refusal did not name it (its
    // greeting), asked alongside the other keys.
    let greet_offered = view.account.is_none() && probe.authenticated;
    let (results, offered_greeting): (Vec<Tried>, Option<Probe>) = std::thread::scope(|s| {
        let greeting = greet_offered.then(|| s.spawn(|| run(runner, url, &[], None, deadline)));
        let handles: Vec<_> = candidates
            .into_iter()
            .map(|c| s.spawn(move || try_alone(runner, url, provider, c, deadline)))
            .collect();
        (
            handles.into_iter().filter_map(|h| h.join().ok()).collect(),
            greeting.and_then(|h| h.join().ok()),
        )
    });
    view.connections += usize::from(offered_greeting.is_some());
    view.connections += results.iter().map(|r| r.2).sum::<usize>();
    let Some((winner, _, _)) = results.into_iter().find(|r| r.1.is_some()) else {
        return (finding, view);
    };
    // Whose key it is: the greeting, where the host names one.
    let greeting = run(
        runner,
        url,
        &[
            "-i".to_owned(),
            winner.identity.to_string_lossy().into_owned(),
            "-o".to_owned(),
            "IdentitiesOnly=yes".to_owned(),
        ],
        None,
        deadline,
    );
    view.connections += 1;
    let theirs = ssh_words::account_in_greeting(&greeting.stdout)
        .or_else(|| greeting.said.iter().find_map(|l| ssh_words::account_in_greeting(l)));
    let offered_account = view.account.clone().or_else(|| {
        let g = offered_greeting?;
        ssh_words::account_in_greeting(&g.stdout)
            .or_else(|| g.said.iter().find_map(|l| ssh_words::account_in_greeting(l)))
    });
    let hostn = host_name(provider);
    let repo = &url.repository;
    let offered = key_phrase(&view);
    let first = match (&offered_account, finding.reason) {
        (Some(a), _) => format!("ssh offers {offered}, which {hostn} knows as {a}, and {a} may not push to {repo}"),
        (None, Reason::SshNoKey) => format!("ssh offers no key that {hostn} accepts"),
        (None, _) => format!("ssh offers {offered}, which may not push to {repo}"),
    };
    // Two sentences: what ssh does, and the key that would work.
    let second = match &theirs {
        Some(a) => format!(
            "The key {} ({}) is {a}'s, and {a} may push here",
            winner.shown, winner.fingerprint
        ),
        None => format!("The key {} ({}) may push here", winner.shown, winner.fingerprint),
    };
    let mut fixed = Finding::new(Reason::WrongAccount, format!("{first}. {second}"));
    // An agent key has no file for `-i`: its public half, saved, names it.
    let pin = match &winner.agent_key {
        Some(public) => {
            let name: String = winner
                .shown
                .trim_end_matches(" (in the agent)")
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                .collect();
            let name = if name.is_empty() { "agent-key".to_owned() } else { name };
            let blob = public.split_whitespace().nth(1).unwrap_or_default();
            let path = format!("~/.ssh/{name}.pub");
            fixed = fixed
                .fix("save the agent key's public half:")
                .fix(format!("{COMMAND}ssh-add -L | grep -F '{blob}' > {path}"));
            path
        }
        None => winner.shown.clone(),
    };
    // `$ ` lines are printed whole (a shell continuation where they wrap):
    // a command wrapped inside its quotes would set a value with newlines.
    fixed = fixed.fix("use it for this repository:").fix(format!(
        "{COMMAND}git config core.sshCommand {}",
        shell_value(&runner.pinned(&pin))
    ));
    if runner.origin == ENTRY_ORIGIN {
        // The entry, read after the user's own config, would keep running
        // the old command: wrapped again, it runs the pinned one.
        fixed = fixed
            .fix("then let the ssh entry wrap it:")
            .fix(format!("{COMMAND}prepush-auth install --ssh"));
    }
    if runner.origin == "GIT_SSH_COMMAND" {
        fixed = fixed.fix(
            "(GIT_SSH_COMMAND is set and wins over core.sshCommand: add `-i KEY -o IdentitiesOnly=yes` there instead)"
                .replace("KEY", &shell_path(&pin)),
        );
    }
    let alias = format!(
        "or give it a host alias in ~/.ssh/config (Host {h}-alt / HostName {h} / IdentityFile {k} / IdentitiesOnly yes) and set the remote to {u}{h}-alt:{p}",
        h = url.hostname,
        k = config_word(&pin),
        u = url.username.as_deref().map(|u| format!("{u}@")).unwrap_or_default(),
        p = remote_path(url).trim_start_matches('/'),
    );
    if port_of(url).is_none() {
        fixed = fixed.fix(alias);
    }
    view.account = offered_account;
    (fixed, view)
}

/// Tries `c` alone: upload-pack first on push-to-create hosts, then the
/// receive-pack advertisement; the probe when the host took this very key
/// and advertised.
fn try_alone(
    runner: &Runner,
    url: &RemoteUrl,
    provider: Provider,
    c: Candidate,
    deadline: Instant,
) -> (Candidate, Option<Probe>, usize) {
    let alone = vec![
        "-i".to_owned(),
        c.identity.to_string_lossy().into_owned(),
        "-o".to_owned(),
        "IdentitiesOnly=yes".to_owned(),
    ];
    let ours = |p: &Probe| p.advertised && p.accepted.as_ref().is_some_and(|k| k.fingerprint == c.fingerprint);
    let mut n = 0;
    if matches!(provider, Provider::Gitlab | Provider::Gitea) {
        let seen = run(
            runner,
            url,
            &alone,
            Some(&service_command("git-upload-pack", url)),
            deadline,
        );
        n += 1;
        if !ours(&seen) {
            return (c, None, n);
        }
    }
    let p = run(
        runner,
        url,
        &alone,
        Some(&service_command("git-receive-pack", url)),
        deadline,
    );
    n += 1;
    if ours(&p) { (c, Some(p), n) } else { (c, None, n) }
}

/// A private directory for agent keys' `.pub` files, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new() -> Option<Self> {
        use std::os::unix::fs::DirBuilderExt;
        let dir = std::env::temp_dir().join(format!(
            "prepush-auth-ssh-{}-{}",
            std::process::id(),
            Instant::now().elapsed().as_nanos()
        ));
        std::fs::DirBuilder::new().mode(0o700).create(&dir).ok()?;
        Some(Self(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The user's keys: `*.pub` with a private half beside them in `~/.ssh`
/// (the passwd home) and in the directories of the identity files ssh is
/// configured with for this host (`ssh -G`), and the agent's keys.
fn candidates(
    runner: &Runner,
    url: &RemoteUrl,
    home: Option<&Path>,
    scratch: Option<&Path>,
    deadline: Instant,
) -> Vec<Candidate> {
    let mut dirs: Vec<PathBuf> = home.map(|h| h.join(".ssh")).into_iter().collect();
    let mut g = runner.command(&["-G".to_owned()], url, None);
    g.stdin(Stdio::null());
    if let Ok(Some(out)) = crate::git::run_with_deadline(g, b"", deadline) {
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if let Some(path) = line.strip_prefix("identityfile ") {
                let path = expand(path.trim(), home);
                if let Some(dir) = path.parent()
                    && !dirs.iter().any(|d| d == dir)
                {
                    dirs.push(dir.to_owned());
                }
            }
        }
    }
    let mut pubs: Vec<(PathBuf, String, Option<String>)> = Vec::new();
    for dir in &dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut found: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "pub") && p.with_extension("").is_file())
            .collect();
        found.sort();
        for p in found {
            let shown = shown_path(&p.with_extension("").to_string_lossy(), home);
            pubs.push((p, shown, None));
        }
    }
    // The agent's keys, each written to a .pub of its own for `-i`.
    if let Some(scratch) = scratch {
        let mut cmd = Command::new("ssh-add");
        cmd.arg("-L").stdout(Stdio::piped()).stderr(Stdio::null());
        if let Ok(Some(out)) = crate::git::run_with_deadline(cmd, b"", deadline)
            && out.status.success()
        {
            for (i, line) in String::from_utf8_lossy(&out.stdout).lines().enumerate() {
                let path = scratch.join(format!("agent-{i}.pub"));
                if std::fs::write(&path, format!("{line}\n")).is_ok() {
                    let comment = line.split_whitespace().nth(2).unwrap_or("agent key").to_owned();
                    pubs.push((path, format!("{comment} (in the agent)"), Some(line.to_owned())));
                }
            }
        }
    }
    let mut out: Vec<Candidate> = std::thread::scope(|s| {
        let handles: Vec<_> = pubs
            .iter()
            .map(|(p, shown, agent)| {
                s.spawn(move || fingerprint(p, deadline).map(|f| (p.clone(), shown.clone(), agent.clone(), f)))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| h.join().ok().flatten())
            .map(|(p, shown, agent_key, fingerprint)| Candidate {
                identity: if agent_key.is_some() { p } else { p.with_extension("") },
                shown,
                fingerprint,
                agent_key,
            })
            .collect()
    });
    let mut seen = Vec::new();
    out.retain(|c| {
        let fresh = !seen.contains(&c.fingerprint);
        seen.push(c.fingerprint.clone());
        fresh
    });
    out
}

fn expand(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(path),
    }
}

/// `ssh-keygen -l -f KEY.pub`: `256 SHA256:… comment (ED25519)`.
fn fingerprint(pub_path: &Path, deadline: Instant) -> Option<String> {
    let mut cmd = Command::new("ssh-keygen");
    cmd.arg("-l")
        .arg("-E")
        .arg("sha256")
        .arg("-f")
        .arg(pub_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let out = crate::git::run_with_deadline(cmd, b"", deadline).ok()??;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_debug_lines_name_the_offered_and_accepted_key() {
        let err = b"OpenSSH_9.2p1 Debian-2+deb12u10, OpenSSL 3.0.19 27 Jan 2026\n\
debug1: Offering public key: /tmp/a b/locked ED25519 SHA256:GOvF explicit\n\
debug1: Server accepts key: /tmp/a b/locked ED25519 SHA256:GOvF explicit\n\
debug1: No more authentication methods to try.\n\
git@127.0.0.1: Permission denied (publickey).\n";
        let p = Probe::parse(b"", err, Some(255));
        assert_eq!(p.offered[0].path, "/tmp/a b/locked");
        assert_eq!(p.accepted.as_ref().unwrap().fingerprint, "SHA256:GOvF");
        assert!(!p.authenticated);
        assert_eq!(p.said, vec!["git@127.0.0.1: Permission denied (publickey).".to_owned()]);
    }

    #[test]
    fn bitbucket_org_failures_name_the_new_ssh_host() {
        let url = RemoteUrl::parse("git@bitbucket.org:acme/w.git").unwrap();
        let f = bitbucket_moved(
            &url,
            Finding::new(Reason::SshPortClosed, "ssh could not connect: Connection refused"),
        );
        assert!(f.message.contains("ssh.bitbucket.org"), "{}", f.message);
        assert_eq!(
            f.fix[..2],
            [
                "point the remote at the new host:",
                "$ git remote set-url <remote> git@ssh.bitbucket.org:acme/w.git"
            ]
        );
        // A key refusal is not about the move.
        let f = bitbucket_moved(&url, Finding::new(Reason::SshKeyNotAccepted, "x"));
        assert!(f.fix.is_empty());
    }

    #[test]
    fn the_path_is_what_git_would_send() {
        let scp = RemoteUrl::parse("git@github.com:acme/w.git").unwrap();
        assert_eq!(
            service_command("git-receive-pack", &scp),
            "git-receive-pack 'acme/w.git'"
        );
        let ssh = RemoteUrl::parse("ssh://git@host:2222/acme/w.git").unwrap();
        assert_eq!(
            service_command("git-receive-pack", &ssh),
            "git-receive-pack '/acme/w.git'"
        );
        assert_eq!(port_of(&ssh).as_deref(), Some("2222"));
        let tilde = RemoteUrl::parse("ssh://host/~alice/w.git").unwrap();
        assert_eq!(remote_path(&tilde), "~alice/w.git");
    }

    use crate::helpers::sh_words;

    #[test]
    fn key_paths_in_commands_are_one_shell_word() {
        for path in ["/k/id_ed25519", "/my keys/it's $HOME", "/a\\b/`x`!"] {
            assert_eq!(sh_words(&shell_path(path)), [path], "{path}");
        }
        // `~/` is left for the shell to expand, the rest quoted.
        assert_eq!(shell_path("~/.ssh/work key"), "~/'.ssh/work key'");
        assert_eq!(sh_words(&shell_path("~/.ssh/work key")), ["/home/u/.ssh/work key"]);
        // The core.sshCommand value: one word, and git's own `sh -c` then
        // reads the path in it as one word too.
        let runner = Runner {
            program: "ssh -F /c".into(),
            shell: true,
            origin: "core.sshCommand",
        };
        let pinned = runner.pinned("/my keys/it's");
        assert_eq!(pinned, r"ssh -F /c -i '/my keys/it'\''s' -o IdentitiesOnly=yes");
        assert_eq!(sh_words(&shell_value(&pinned)), [pinned.as_str()]);
        assert_eq!(
            sh_words(&pinned),
            ["ssh", "-F", "/c", "-i", "/my keys/it's", "-o", "IdentitiesOnly=yes"]
        );
        assert_eq!(shell_value(&pinned), format!("\"{pinned}\""));
        for value in ["ssh -i '/a b'", "it's \"$x\" `y` \\ !", "a\\$b \\\\ `c` \"d\" \\'e\\"] {
            assert_eq!(sh_words(&shell_value(value)), [value], "{value}");
        }
        assert_eq!(shell_value("ssh -i /k"), "\"ssh -i /k\"");
        // GIT_SSH is a program, not a command line.
        let runner = Runner {
            program: "/opt/my ssh".into(),
            shell: false,
            origin: "GIT_SSH",
        };
        assert_eq!(runner.pinned("/k"), "'/opt/my ssh' -i /k -o IdentitiesOnly=yes");
        // A command that is not ssh itself may carry a secret: never
        // repeated in a fix line.
        let runner = Runner {
            program: "sshpass -p hunter2 ssh -F /c".into(),
            shell: true,
            origin: "GIT_SSH_COMMAND",
        };
        assert_eq!(runner.as_typed(), "ssh");
        assert_eq!(runner.pinned("/k"), "ssh -i /k -o IdentitiesOnly=yes");
        assert_eq!(config_word("/my keys/k"), "\"/my keys/k\"");
    }
}
