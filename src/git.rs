//! Every git process prepush-auth starts lives here.
//!
//! Facts from SPEC §2: a non-interactive fill sets `GIT_TERMINAL_PROMPT=0`,
//! an empty `GIT_ASKPASS` (git then runs no askpass at all, not even
//! `core.askPass` or `SSH_ASKPASS`) and `credential.interactive=false`; a
//! helper may spawn a browser or refresh a token, so the fill runs in its own
//! process group, killed whole when the deadline passes.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// Set while the gate's own `git credential fill` runs, so that our helper
/// entry, called again by that fill, answers nothing (SPEC §3).
pub const RECURSION_GUARD: &str = "PREPUSH_AUTH_IN_FILL";

pub enum FillOutcome {
    /// `git credential fill` printed these lines; `helpers_run` lists the
    /// helper commands git ran, in order (from `GIT_TRACE`).
    Answered {
        lines: Vec<(String, String)>,
        helpers_run: Vec<String>,
    },
    /// No helper answered and prompting is off: git exits 128.
    NothingStored {
        helpers_run: Vec<String>,
    },
    TimedOut,
    Failed(String),
}

pub fn git() -> Command {
    let mut cmd = Command::new("git");
    cmd.stdin(Stdio::null());
    cmd
}

/// Runs `git credential fill` for `url` with nothing interactive, within `deadline`.
pub fn credential_fill(url: &str, deadline: Instant) -> Result<FillOutcome> {
    let mut cmd = git();
    cmd.args(["-c", "credential.interactive=false", "credential", "fill"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .env("GCM_INTERACTIVE", "never")
        .env("GIT_TRACE", "2")
        .env(RECURSION_GUARD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // The protocol is one `key=value` per line: a newline in the URL would
    // let it name another host, and git would hand us that host's
    // credential (CVE-2020-5260). gix refuses such URLs; this is the guard
    // where it matters.
    if url.contains(['\n', '\r', '\0']) {
        return Ok(FillOutcome::Failed(
            "the URL holds a line break, which git credential cannot carry".to_owned(),
        ));
    }
    let input = format!("url={url}\n\n");
    let Some(output) = run_with_deadline(cmd, input.as_bytes(), deadline)? else {
        return Ok(FillOutcome::TimedOut);
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    let helpers_run = helpers_from_trace(&stderr);
    if output.status.success() {
        let lines = parse_fill_output(&String::from_utf8_lossy(&output.stdout));
        return Ok(FillOutcome::Answered { lines, helpers_run });
    }
    // Never echo helper output: a broken helper may print anything. git's
    // own last word is its `fatal:` line.
    // It may quote the URL, user info included: cut that out.
    let fatal = stderr.lines().rfind(|l| l.starts_with("fatal:")).map(|l| {
        let line: String = l
            .chars()
            .take(160)
            .map(|c| if c.is_control() { '?' } else { c })
            .collect();
        crate::target::without_userinfo(&line)
    });
    // git exits 128 both when nobody had a credential (prompts are off) and
    // when it could not even start (a broken config, a URL it refuses):
    // only the first is "no credential" (it was read as such, so a junk
    // ~/.gitconfig said "no stored credential"). The phrases are git's
    // (2.47: `unable to get password from user`, untranslated; older git:
    // `could not read Username for '…': terminal prompts disabled`). Where
    // `fatal:` itself is translated no line matches, and 128 keeps meaning
    // no credential, as before.
    if output.status.code() == Some(128)
        && fatal
            .as_deref()
            .is_none_or(|f| NOTHING_STORED.iter().any(|p| f.contains(p)))
    {
        return Ok(FillOutcome::NothingStored { helpers_run });
    }
    Ok(FillOutcome::Failed(format!(
        "git credential fill exited with {}{}",
        output
            .status
            .code()
            .map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
        fatal.map(|f| format!(": {f}")).unwrap_or_default()
    )))
}

/// What git says when no helper had a credential and it may not prompt.
const NOTHING_STORED: &[&str] = &[
    "unable to get password from user",
    "could not read Username",
    "could not read Password",
    "terminal prompts disabled",
];

/// The `key=value` lines `git credential fill` prints.
pub fn parse_fill_output(stdout: &str) -> Vec<(String, String)> {
    stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// Where git's configuration is broken, in git's words (`bad config line 3
/// in file .git/config`), which name the place without quoting its text.
/// Asked only after gix failed to read the configuration.
pub fn config_complaint() -> Option<String> {
    let mut cmd = git();
    cmd.args(["config", "--list"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(1)).ok()??;
    if out.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr.lines().rfind(|l| l.starts_with("fatal:"))?;
    Some(line.trim_start_matches("fatal:").trim().chars().take(160).collect())
}

/// Spawns `cmd` in its own process group, feeds `input`, and collects its
/// output unless `deadline` passes first; then the whole group is killed.
pub fn run_with_deadline(mut cmd: Command, input: &[u8], deadline: Instant) -> Result<Option<Output>> {
    // Here, not left to each caller: killing the group of a process that is
    // not a group leader kills nothing (it used to be set only for the fill).
    cmd.process_group(0);
    let mut child = cmd.spawn().context("running git (is git installed and on PATH?)")?;
    let pid = child.id();
    let stdin = child.stdin.take();
    let input = input.to_vec();
    let stdout = child.stdout.take().map(|p| std::thread::spawn(move || read_capped(p)));
    let stderr = child.stderr.take().map(|p| std::thread::spawn(move || read_capped(p)));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // Written here, under the deadline: a process that does not read
        // would block a write larger than the pipe (64 KiB) for ever.
        if let Some(mut stdin) = stdin {
            // A helper that exits without reading closes the pipe: not our error.
            let _ = stdin.write_all(&input);
        }
        let status = child.wait();
        let [stdout, stderr] = [stdout, stderr].map(|r| r.and_then(|t| t.join().ok()).unwrap_or_default());
        let _ = tx.send(status.map(|status| Output { status, stdout, stderr }));
    });
    let remaining = deadline.saturating_duration_since(Instant::now());
    if let Ok(result) = rx.recv_timeout(remaining) {
        Ok(Some(result.context("waiting for git")?))
    } else {
        kill_group(pid);
        Ok(None)
    }
}

/// Reads a child's output to the end but keeps only its first MiB and its
/// last 16 KiB (where git's `fatal:` line is). A helper's stderr reaches us
/// through git: one that floods it (`yes >&2`) grew this process by
/// ~700 MB in a 3 s deadline when everything was kept.
fn read_capped(mut pipe: impl Read) -> Vec<u8> {
    const HEAD: usize = 1 << 20;
    const TAIL: usize = 16 << 10;
    let mut head = Vec::new();
    let mut tail = std::collections::VecDeque::<u8>::new();
    let mut dropped = false;
    let mut buf = [0u8; 8192];
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let take = HEAD.saturating_sub(head.len()).min(n);
        head.extend_from_slice(&buf[..take]);
        tail.extend(&buf[take..n]);
        if tail.len() > TAIL {
            dropped = true;
            tail.drain(..tail.len() - TAIL);
        }
    }
    if dropped {
        // The tail starts mid-line: keep it off the head's last line.
        head.push(b'\n');
    }
    head.extend(tail);
    head
}

fn kill_group(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// `GIT_TRACE` prints `trace: run_command: '<helper> get'` for each helper git
/// asks, in order; git stops at the first that gives a username and password,
/// so the last one is where the credential came from.
pub fn helpers_from_trace(stderr: &str) -> Vec<String> {
    stderr
        .lines()
        .filter_map(|l| l.split_once("trace: run_command: ").map(|(_, cmd)| cmd))
        .map(|cmd| unquote(cmd.trim()))
        .filter_map(|cmd| cmd.strip_suffix(" get").map(str::to_owned))
        .collect()
}

/// Undo git's `sq_quote`: `'a'\''b'` is `a'b`.
fn unquote(s: &str) -> String {
    let inner = s.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')).unwrap_or(s);
    inner.replace("'\\''", "'")
}

/// One `credential.helper` or `credential.<url>.helper` entry, as git reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HelperEntry {
    /// `system`, `global`, `local`, `worktree` or `command`.
    pub scope: String,
    /// The file it is written in (`file:` stripped), or git's word for it.
    pub origin: String,
    /// The URL pattern of `credential.<url>.helper`; `None` for every URL.
    pub url: Option<String>,
    /// Empty: a reset (git then forgets the helpers listed before it).
    pub value: String,
}

impl HelperEntry {
    /// The key as git names it: `credential.helper`, `credential.<url>.helper`.
    pub fn key(&self) -> String {
        self.url
            .as_ref()
            .map_or_else(|| "credential.helper".to_owned(), |u| format!("credential.{u}.helper"))
    }
}

/// Every helper entry git reads here, in the order it reads them (the one
/// reader of helper entries: install, status, the observe entry and the
/// "where it lives" line all use it).
pub fn read_helper_entries() -> Result<Vec<HelperEntry>> {
    let mut cmd = git();
    cmd.args([
        "config",
        "--show-scope",
        "--show-origin",
        "--null",
        "--get-regexp",
        r"^credential\.(.+\.)?helper$",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out = run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(10))?.context("git did not answer")?;
    // 1: no such key, which is no helper at all.
    if !out.status.success() && out.status.code() != Some(1) {
        anyhow::bail!(
            "git cannot read its configuration: {}",
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("failed")
        );
    }
    Ok(parse_helper_entries(&String::from_utf8_lossy(&out.stdout)))
}

/// [`read_helper_entries`], or none when git cannot read its configuration.
pub fn helper_entries() -> Vec<HelperEntry> {
    read_helper_entries().unwrap_or_default()
}

/// `git config --show-scope --show-origin --null --get-regexp` output:
/// `scope NUL origin NUL key LF value NUL`, repeated. A key without a
/// value (`helper` with no `=`) is not a reset: git's credential code
/// refuses it (`missing value for 'credential.helper'`), so it is left out.
pub fn parse_helper_entries(text: &str) -> Vec<HelperEntry> {
    let fields: Vec<&str> = text.split('\0').collect();
    fields
        .chunks(3)
        .filter_map(|c| match c {
            [scope, origin, kv] if !scope.is_empty() => {
                let (key, value) = kv.split_once('\n')?;
                // The key is `credential.helper` or `credential.<url>.helper`;
                // git lowercases section and key, never the URL between them.
                let middle = key.strip_prefix("credential.")?.strip_suffix("helper")?;
                let url = middle.strip_suffix('.').filter(|u| !u.is_empty()).map(str::to_owned);
                if !middle.is_empty() && url.is_none() {
                    return None;
                }
                Some(HelperEntry {
                    scope: (*scope).to_owned(),
                    origin: origin.strip_prefix("file:").unwrap_or(origin).to_owned(),
                    url,
                    value: value.to_owned(),
                })
            }
            _ => None,
        })
        .collect()
}

/// How git turns a `credential.helper` value into the command it runs.
pub fn helper_command(value: &str) -> String {
    if let Some(shell) = value.strip_prefix('!') {
        shell.to_owned()
    } else if value.starts_with('/') {
        value.to_owned()
    } else {
        format!("git credential-{value}")
    }
}

/// The helper commands git runs for `url`, in git's order:
/// `credential.helper` and every `credential.<url>.helper` whose URL
/// matches, as they appear in the configuration; an empty value clears the
/// list. git's `credential.c` applies every matching entry in config order
/// (urlmatch with `select_all`); a key without a scheme
/// (`credential.github.com.helper`) matches the host alone.
pub fn helpers_for(url: &crate::target::RemoteUrl) -> Vec<String> {
    helper_chain(&helper_entries(), url)
        .into_iter()
        .map(|e| helper_command(&e.value))
        .collect()
}

/// The entries whose helpers git runs for `url`, in order (see [`helpers_for`]).
pub fn helper_chain<'a>(entries: &'a [HelperEntry], url: &crate::target::RemoteUrl) -> Vec<&'a HelperEntry> {
    let mut list = Vec::new();
    for e in entries {
        if e.url
            .as_deref()
            .is_some_and(|pattern| !config_url_matches(pattern, url))
        {
            continue;
        }
        if e.value.is_empty() {
            list.clear();
        } else {
            list.push(e);
        }
    }
    list
}

/// The entry whose reset (`helper =`) last cleared the list for `url`.
pub fn last_reset_for<'a>(entries: &'a [HelperEntry], url: &crate::target::RemoteUrl) -> Option<&'a HelperEntry> {
    entries
        .iter()
        .rfind(|e| e.value.is_empty() && e.url.as_deref().is_none_or(|p| config_url_matches(p, url)))
}

/// Does the URL of a `credential.<url>.*` key apply to `url`? The same
/// match as an `http.<url>.*` key's (one matcher, [`urlmatch_rank`]), and a
/// bare host name as well.
fn config_url_matches(pattern: &str, url: &crate::target::RemoteUrl) -> bool {
    if !pattern.contains("://") {
        return pattern.eq_ignore_ascii_case(&url.host) || pattern.eq_ignore_ascii_case(&url.hostname);
    }
    urlmatch_rank(pattern, url).is_some()
}

/// `http.*extraheader` entries with the file each comes from, in git's
/// order: `(origin, key, value)`. Asked on every check that asks git for a
/// credential, for git sends a matching `Authorization` header before any
/// credential helper (issue 20); git itself is asked only when the
/// configuration gix reads (the same files, includes followed) has such a
/// key, so the common check spawns no second process.
pub fn extra_header_origins(deadline: Instant) -> Vec<(String, String, String)> {
    if !may_have_extra_headers() {
        return Vec::new();
    }
    let mut cmd = git();
    cmd.args([
        "config",
        "--show-origin",
        "--null",
        "--get-regexp",
        r"^http\..*extraheader$",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null());
    let limit = deadline.min(Instant::now() + Duration::from_millis(500));
    let Ok(Some(out)) = run_with_deadline(cmd, b"", limit) else {
        return Vec::new();
    };
    parse_config_origins(&String::from_utf8_lossy(&out.stdout))
}

/// `git config --show-origin --null --get-regexp` output: `origin NUL
/// key LF value NUL`, repeated, as `(origin, key, value)` (a valueless key
/// reads as empty). Used for keys other than helpers (`http.*.extraHeader`);
/// helper entries have their own reader, [`read_helper_entries`].
pub fn parse_config_origins(text: &str) -> Vec<(String, String, String)> {
    let fields: Vec<&str> = text.split('\0').collect();
    fields
        .chunks(2)
        .filter_map(|pair| match pair {
            [origin, kv] if !origin.is_empty() => {
                let (key, value) = kv.split_once('\n').unwrap_or((kv, ""));
                Some((
                    origin.strip_prefix("file:").unwrap_or(origin).to_owned(),
                    key.to_owned(),
                    value.to_owned(),
                ))
            }
            _ => None,
        })
        .collect()
}

/// Whether git's configuration may hold an `http.*.extraHeader`: read
/// with gix where a repository is open (its files, includes followed);
/// settings given on git's command line (`-c`, handed to hooks as
/// `GIT_CONFIG_PARAMETERS`) or through `GIT_CONFIG_COUNT`, and URL mode
/// outside a repository, leave it to git.
fn may_have_extra_headers() -> bool {
    if std::env::var_os("GIT_CONFIG_PARAMETERS").is_some() || std::env::var_os("GIT_CONFIG_COUNT").is_some() {
        return true;
    }
    // git takes an empty XDG_CONFIG_HOME as unset (`~/.config/git/config`);
    // gix then misses that file: leave it to git.
    if std::env::var_os("XDG_CONFIG_HOME").is_some_and(|v| v.is_empty()) {
        return true;
    }
    if let Some(&seen) = EXTRA_HEADER_SEEN.get() {
        return seen;
    }
    let Ok(Some(repo)) = crate::target::Repo::discover() else {
        return true;
    };
    has_extra_header_key(&repo)
}

/// Whether the repository `setup` opened has an `http.*extraheader` key:
/// read from the repository already open, so a check does not open it a
/// second time (~0.35 ms of a cached check's ~4 ms over the fill).
static EXTRA_HEADER_SEEN: std::sync::OnceLock<bool> = std::sync::OnceLock::new();

/// Notes, for [`extra_header_origins`], what this process's repository
/// configuration says of extra headers.
pub fn note_repository(repo: &crate::target::Repo) {
    let _ = EXTRA_HEADER_SEEN.set(has_extra_header_key(repo));
}

fn has_extra_header_key(repo: &crate::target::Repo) -> bool {
    let config = repo.repo.config_snapshot();
    config.plumbing().sections_by_name("http").is_some_and(|mut sections| {
        sections.any(|section| {
            section
                .value_names()
                .any(|name| name.eq_ignore_ascii_case("extraheader"))
        })
    })
}

/// The extra headers git sends to `url`, with where each is set, as git's
/// `http.c` collects them through `urlmatch_config_entry`: entries whose
/// URL matches are taken in config order, an entry less specific than one
/// already taken is ignored, and an empty value clears the list. So a plain
/// `http.extraHeader` read after `http.https://github.com/.extraHeader` is
/// not sent (checked with git 2.47 against a loopback server).
pub fn extra_headers_for_in(
    entries: &[(String, String, String)],
    url: &crate::target::RemoteUrl,
) -> Vec<(String, String, String)> {
    let mut list: Vec<(String, String, String)> = Vec::new();
    let mut best: Option<UrlMatch> = None;
    for (origin, key, value) in entries {
        let Some(rest) = key.strip_prefix("http.") else {
            continue;
        };
        let Some(pattern) = rest
            .strip_suffix("extraheader")
            .map(|p| p.strip_suffix('.').unwrap_or(p))
        else {
            continue;
        };
        let rank = if pattern.is_empty() {
            Some(UrlMatch::default())
        } else {
            urlmatch_rank(pattern, url)
        };
        let Some(rank) = rank else { continue };
        if best.is_some_and(|b| rank < b) {
            continue;
        }
        best = Some(rank);
        if value.is_empty() {
            list.clear();
        } else {
            list.push((origin.clone(), key.clone(), value.clone()));
        }
    }
    list
}

/// How specifically a `<section>.<url>.*` key matches a URL, ordered as
/// git's `urlmatch.c` `cmp_matches`: the longer host, then the longer
/// path, then a matching user name.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub struct UrlMatch {
    host_len: usize,
    path_len: usize,
    user: bool,
}

/// Whether the URL of an `http.<url>.*` key matches `url`, and how well.
/// git needs a full URL here (a scheme and a host); `*` matches one label.
pub fn urlmatch_rank(pattern: &str, url: &crate::target::RemoteUrl) -> Option<UrlMatch> {
    let (scheme, rest) = pattern.split_once("://")?;
    if !scheme.eq_ignore_ascii_case(url.protocol()) {
        return None;
    }
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let (user, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.split(':').next().unwrap_or(u)), h),
        None => (None, authority),
    };
    if user.is_some_and(|u| url.username.as_deref() != Some(u)) {
        return None;
    }
    let default_port = if url.protocol() == "https" { "443" } else { "80" };
    let split = |hp: &str| -> (String, String) {
        match hp
            .rsplit_once(':')
            .filter(|(_, p)| p.chars().all(|c| c.is_ascii_digit()))
        {
            Some((h, p)) => (h.to_ascii_lowercase(), p.to_owned()),
            None => (hp.to_ascii_lowercase(), default_port.to_owned()),
        }
    };
    let (want_host, want_port) = split(hostport);
    let (have_host, have_port) = split(&url.host);
    let host_ok = want_host == have_host || {
        let (w, h): (Vec<&str>, Vec<&str>) = (want_host.split('.').collect(), have_host.split('.').collect());
        w.len() == h.len() && w.iter().zip(&h).all(|(w, h)| *w == "*" || w == h)
    };
    let path = path.trim_end_matches('/');
    let have_path = url.path.trim_start_matches('/');
    let path_ok = path.is_empty() || have_path == path || have_path.starts_with(&format!("{path}/"));
    (host_ok && want_port == have_port && path_ok).then(|| UrlMatch {
        host_len: if want_port == default_port {
            want_host.len()
        } else {
            want_host.len() + 1 + want_port.len()
        },
        path_len: if path.is_empty() { 1 } else { path.len() + 2 },
        user: user.is_some(),
    })
}

/// `gh auth token -h HOST -u USER` (gh ≥ 2.40): the token of one of gh's
/// accounts, under the deadline. Asked only on the account search's path.
pub fn gh_auth_token(program: &str, host: &str, user: &str, deadline: Instant) -> Option<crate::secret::Secret> {
    let mut cmd = Command::new(program);
    cmd.args(["auth", "token", "-h", host, "-u", user])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let limit = deadline.min(Instant::now() + Duration::from_secs(2));
    let out = run_with_deadline(cmd, b"", limit).ok()??;
    let token = String::from_utf8(out.stdout).ok()?.trim().to_owned();
    (out.status.success() && !token.is_empty() && !token.contains(char::is_whitespace))
        .then(|| crate::secret::Secret::new(token))
}

/// Where git keeps its own programs (`git-credential-store` …).
pub fn exec_path() -> Option<std::path::PathBuf> {
    let mut cmd = git();
    cmd.arg("--exec-path").stdout(Stdio::piped()).stderr(Stdio::null());
    let out = run_with_deadline(cmd, b"", Instant::now() + Duration::from_millis(500)).ok()??;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && !text.is_empty()).then(|| text.into())
}

/// One line of git's pre-push input:
/// `<local ref> SP <local sha> SP <remote ref> SP <remote sha>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefUpdate {
    pub local_ref: String,
    pub local_sha: String,
    pub remote_ref: String,
    pub remote_sha: String,
}

impl RefUpdate {
    pub fn parse(line: &str) -> Option<Self> {
        let mut parts = line.split_whitespace();
        let (lr, ls, rr, rs) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let is_oid = |s: &str| matches!(s.len(), 40 | 64) && s.bytes().all(|b| b.is_ascii_hexdigit());
        (parts.next().is_none() && is_oid(ls) && is_oid(rs)).then(|| Self {
            local_ref: lr.to_owned(),
            local_sha: ls.to_owned(),
            remote_ref: rr.to_owned(),
            remote_sha: rs.to_owned(),
        })
    }

    pub fn is_delete(&self) -> bool {
        is_zero(&self.local_sha)
    }
}

fn is_zero(oid: &str) -> bool {
    oid.bytes().all(|b| b == b'0')
}

/// Whether the commits being pushed change anything under `prefix`.
///
/// What is pushed is every pushed tip minus what the remote already has: the
/// old remote tips from git's ref lines and the remote-tracking refs. With
/// no ref lines (lefthook without `use_stdin`, pre-commit on a root push)
/// it is the current branch's commits the remote does not have yet (SPEC
/// §3). One bounded `git log`, stopping at the first match: that commit as
/// "abc1234 (subject)"; `None` when none does or git cannot tell.
pub fn pushed_commit_touching(prefix: &str, updates: &[RefUpdate], remote: Option<&str>) -> Option<String> {
    let mut cmd = git();
    cmd.args(["log", "-1", "--format=%h (%s)", "--ignore-missing"]);
    let mut tips = 0;
    for u in updates.iter().filter(|u| !u.is_delete()) {
        cmd.arg(&u.local_sha);
        tips += 1;
    }
    if tips == 0 {
        let to = std::env::var("PRE_COMMIT_TO_REF").ok().filter(|s| !s.is_empty());
        cmd.arg(to.as_deref().unwrap_or("HEAD"));
    }
    cmd.arg("--not");
    for u in updates.iter().filter(|u| !u.remote_sha.bytes().all(|b| b == b'0')) {
        cmd.arg(&u.remote_sha);
    }
    if let Some(from) = std::env::var("PRE_COMMIT_FROM_REF")
        .ok()
        .filter(|s| !s.is_empty() && tips == 0)
    {
        cmd.arg(from);
    }
    match remote {
        Some(r) => cmd.arg(format!("--remotes={r}")),
        None => cmd.arg("--remotes"),
    };
    cmd.args(["--", prefix]).stdout(Stdio::piped()).stderr(Stdio::null());
    let out = run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(5)).ok()??;
    let commit = String::from_utf8_lossy(out.stdout.trim_ascii()).into_owned();
    (out.status.success() && !commit.is_empty()).then_some(commit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_names_the_helpers_in_order() {
        let trace = "02:26:15.04 git.c:479 trace: built-in: git credential fill\n\
            02:26:15.04 run-command.c:666 trace: run_command: 'git credential-store get'\n\
            02:26:15.05 run-command.c:758 trace: start_command: /bin/sh -c 'git credential-store get'\n\
            02:26:15.05 run-command.c:666 trace: run_command: 'f() { echo '\\''x'\\''; }; f get'\n";
        assert_eq!(
            helpers_from_trace(trace),
            vec!["git credential-store".to_owned(), "f() { echo 'x'; }; f".to_owned()]
        );
    }

    /// Is `pid` alive (a zombie counts as dead: only reaping is left)?
    fn alive(pid: u32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| s.rsplit_once(") ").map(|(_, rest)| !rest.starts_with('Z')))
            .unwrap_or(false)
    }

    /// Regression: the input was written before the deadline was armed, so
    /// a process that never reads its stdin held the caller for ever once
    /// the input was larger than a pipe.
    #[test]
    fn bug_input_larger_than_a_pipe_to_a_process_that_never_reads_outlived_the_deadline() {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", "sleep 30"]).stdin(Stdio::piped()).stdout(Stdio::null());
        let started = Instant::now();
        let out = run_with_deadline(cmd, &vec![b'x'; 1 << 20], started + Duration::from_millis(300)).unwrap();
        assert!(out.is_none());
        assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    }

    /// Regression: only the credential fill asked for its own process
    /// group, so at the deadline `kill_group` of any other command killed
    /// nothing and left it (and its children) running.
    #[test]
    fn bug_a_command_without_its_own_group_survived_the_deadline() {
        let dir = tempfile::tempdir().unwrap();
        let pids = dir.path().join("pids");
        let mut cmd = Command::new("sh");
        cmd.args(["-c", &format!("sleep 300 & echo \"$$ $!\" > {}; wait", pids.display())])
            .stdout(Stdio::piped());
        let started = Instant::now();
        let out = run_with_deadline(cmd, b"", started + Duration::from_millis(300)).unwrap();
        assert!(out.is_none());
        let text = std::fs::read_to_string(&pids).unwrap();
        let ids: Vec<u32> = text.split_whitespace().map(|p| p.parse().unwrap()).collect();
        let gone_by = Instant::now() + Duration::from_secs(2);
        while ids.iter().any(|p| alive(*p)) && Instant::now() < gone_by {
            std::thread::sleep(Duration::from_millis(20));
        }
        for pid in ids {
            assert!(!alive(pid), "{pid} outlived the deadline");
        }
    }

    /// Regression: everything a child printed was kept, so a credential
    /// helper flooding stderr (relayed by git) grew us without bound.
    #[test]
    fn bug_a_flood_of_output_was_kept_whole() {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "yes 0123456789abcdef0123456789abcdef | head -c 30000000 >&2; echo >&2; echo 'fatal: the last word' >&2; echo out",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let out = run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(20))
            .unwrap()
            .expect("finishes");
        assert!(out.stderr.len() <= (1 << 20) + (16 << 10) + 1, "{}", out.stderr.len());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.lines().last(), Some("fatal: the last word"));
        assert_eq!(out.stdout, b"out\n");
    }

    #[test]
    fn small_output_is_kept_exactly() {
        let data: Vec<u8> = (0..=255u8).cycle().take((1 << 20) + 1000).collect();
        assert_eq!(read_capped(&data[..]), data);
    }

    #[test]
    fn a_url_with_a_line_break_never_reaches_git_credential() {
        let deadline = Instant::now() + Duration::from_secs(1);
        for url in ["https://h/x\nhost=evil.example", "https://h/x\rhost=e", "https://h/\0"] {
            assert!(matches!(
                credential_fill(url, deadline).unwrap(),
                FillOutcome::Failed(_)
            ));
        }
    }

    #[test]
    fn fill_output_lines() {
        assert_eq!(
            parse_fill_output("protocol=https\nhost=h\npassword=a=b\r\njunk\n"),
            vec![
                ("protocol".to_owned(), "https".to_owned()),
                ("host".to_owned(), "h".to_owned()),
                ("password".to_owned(), "a=b".to_owned()),
            ]
        );
    }

    #[test]
    fn helper_entries_are_read_with_scope_origin_and_url() {
        let text = "global\0file:/h/.gitconfig\0credential.helper\nstore\0\
                    global\0file:/h/.gitconfig\0credential.https://github.com.helper\n\0\
                    local\0file:.git/config\0credential.https://Dev.Azure.com/x.helper\nmanager\0\
                    local\0file:.git/config\0credential.helper\0";
        let e = parse_helper_entries(text);
        // The valueless `helper` (no `=`) is refused by git, not a reset: left out.
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].url.as_deref(), e[0].value.as_str()), (None, "store"));
        assert_eq!(e[0].origin, "/h/.gitconfig");
        assert_eq!(e[1].url.as_deref(), Some("https://github.com"));
        assert_eq!(e[1].key(), "credential.https://github.com.helper");
        assert!(e[1].value.is_empty());
        assert_eq!(e[2].url.as_deref(), Some("https://Dev.Azure.com/x"));
        assert_eq!(e[2].scope, "local");
    }

    /// As git 2.47 sent them to a loopback server: the most specific
    /// match wins, a less specific entry read after it is ignored, an
    /// empty value clears what came before.
    #[test]
    fn the_extra_headers_git_sends_to_a_url() {
        let url = crate::target::RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap();
        let e = |key: &str, value: &str| (".git/config".to_owned(), key.to_owned(), value.to_owned());
        let values = |entries: &[(String, String, String)]| -> Vec<String> {
            extra_headers_for_in(entries, &url)
                .into_iter()
                .map(|(_, _, v)| v)
                .collect()
        };
        assert_eq!(
            values(&[
                e("http.https://github.com/.extraheader", "AUTHORIZATION: basic A"),
                e("http.extraheader", "X-After: 1"),
            ]),
            vec!["AUTHORIZATION: basic A"]
        );
        assert_eq!(
            values(&[
                e("http.extraheader", "X-Before: 1"),
                e("http.https://github.com/.extraheader", "AUTHORIZATION: basic A"),
            ]),
            vec!["X-Before: 1", "AUTHORIZATION: basic A"]
        );
        assert_eq!(
            values(&[
                e("http.https://github.com/.extraheader", "AUTHORIZATION: basic A"),
                e("http.https://github.com/acme.extraheader", ""),
                e("http.https://github.com/acme.extraheader", "Authorization: Bearer B"),
            ]),
            vec!["Authorization: Bearer B"]
        );
        for key in [
            "http.https://gitlab.com/.extraheader",
            "http.http://github.com/.extraheader",
            "http.https://github.com/acm.extraheader",
            "http.https://bob@github.com/.extraheader",
            "http.github.com.extraheader",
        ] {
            assert!(values(&[e(key, "AUTHORIZATION: basic A")]).is_empty(), "{key}");
        }
        assert!(urlmatch_rank("https://*.com", &url) < urlmatch_rank("https://github.com", &url));
        assert!(urlmatch_rank("https://github.com", &url) < urlmatch_rank("https://github.com/acme", &url));
    }

    /// git is the oracle: for each layout and URL, the header git's own
    /// urlmatch picks (`git config --get-urlmatch`, one value: the best
    /// match's last) is the last one in our list.
    #[test]
    fn extra_headers_agree_with_git_config_get_urlmatch() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config");
        let layouts = [
            "[http \"https://github.com/\"]\n\textraheader = A: 1\n[http]\n\textraheader = B: 2\n",
            "[http]\n\textraheader = B: 2\n[http \"https://github.com/\"]\n\textraheader = A: 1\n",
            "[http \"https://github.com/acme\"]\n\textraheader = C: 3\n[http \"https://github.com\"]\n\textraheader = A: 1\n",
            "[http \"https://*.com\"]\n\textraheader = W: 1\n[http \"https://github.com:443/\"]\n\textraheader = A: 1\n",
            "[http \"https://github.com/acme/\"]\n\textraheader = C: 3\n\textraheader = \n",
            "[http \"https://alice@github.com/\"]\n\textraheader = U: 1\n[http \"https://github.com/\"]\n\textraheader = A: 1\n",
            "[http \"http://github.com/\"]\n\textraheader = H: 1\n",
        ];
        let urls = [
            "https://github.com/acme/widgets.git",
            "https://alice@github.com/acme/widgets.git",
            "https://github.com/other/x.git",
            "https://gitlab.com/acme/widgets.git",
        ];
        for layout in layouts {
            std::fs::write(&file, layout).unwrap();
            let run = |args: &[&str]| {
                let out = Command::new("git")
                    .args(["config", "-f"])
                    .arg(&file)
                    .args(args)
                    .env("GIT_CONFIG_NOSYSTEM", "1")
                    .output()
                    .unwrap();
                String::from_utf8(out.stdout).unwrap()
            };
            let entries = parse_config_origins(&run(&[
                "--show-origin",
                "--null",
                "--get-regexp",
                r"^http\..*extraheader$",
            ]));
            for u in urls {
                let url = crate::target::RemoteUrl::parse(u).unwrap();
                let ours = extra_headers_for_in(&entries, &url)
                    .last()
                    .map(|(_, _, v)| v.clone())
                    .unwrap_or_default();
                let gits = run(&["--get-urlmatch", "http.extraheader", u]);
                assert_eq!(ours, gits.trim_end_matches('\n'), "{layout} {u}");
            }
        }
    }

    #[test]
    fn the_helpers_git_runs_for_a_url() {
        let url = crate::target::RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap();
        let e = |key: &str, value: &str| HelperEntry {
            scope: "global".to_owned(),
            origin: "~/.gitconfig".to_owned(),
            url: key
                .strip_prefix("credential.")
                .and_then(|k| k.strip_suffix(".helper"))
                .map(str::to_owned),
            value: value.to_owned(),
        };
        // The layout of issue 13: the host's entry resets the list.
        let entries = [
            e("credential.helper", "store"),
            e("credential.https://github.com.helper", ""),
            e(
                "credential.https://github.com.helper",
                "!/opt/homebrew/bin/op plugin run -- gh auth git-credential",
            ),
            e("credential.https://gitlab.com.helper", "cache"),
        ];
        assert_eq!(
            helper_chain(&entries, &url)
                .iter()
                .map(|e| helper_command(&e.value))
                .collect::<Vec<_>>(),
            vec!["/opt/homebrew/bin/op plugin run -- gh auth git-credential".to_owned()]
        );
        let other = crate::target::RemoteUrl::parse("https://example.com/a/b.git").unwrap();
        assert_eq!(
            helper_chain(&entries, &other)
                .iter()
                .map(|e| helper_command(&e.value))
                .collect::<Vec<_>>(),
            vec!["git credential-store".to_owned()]
        );
        for (pattern, matches) in [
            ("https://github.com", true),
            ("https://github.com:443", true),
            ("https://GitHub.com/", true),
            ("https://github.com/acme", true),
            ("https://github.com/acme/widgets.git", true),
            ("https://github.com/acm", false),
            ("http://github.com", false),
            ("https://*.com", true),
            ("https://gist.github.com", false),
            ("https://bob@github.com", false),
            ("github.com", true),
        ] {
            assert_eq!(config_url_matches(pattern, &url), matches, "{pattern}");
        }
    }
}
