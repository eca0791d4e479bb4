//! Test support: a sandboxed HOME, a real `git credential-store`, a loopback
//! host emulator that answers as PROVIDERS.md describes and fronts git's own
//! `git http-backend`, and a trap proxy that catches anything that would
//! leave the machine.
#![allow(dead_code, clippy::pedantic)]

use std::collections::HashMap;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod github_host;
pub mod sshd;
// Each test binary uses a subset of the support, GitHub's emulator included.
#[allow(unused_imports)]
pub use github_host::*;

pub const BIN: &str = env!("CARGO_BIN_EXE_prepush-auth");

/// A GitHub classic token with a valid checksum, built from `random30`.
pub fn classic_token(random30: &str) -> String {
    github_token("ghp_", random30)
}

pub fn github_token(prefix: &str, random30: &str) -> String {
    assert_eq!(random30.len(), 30);
    let crc = crc32(random30.as_bytes());
    let alphabet = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut n = crc;
    let mut sum = [b'0'; 6];
    for slot in sum.iter_mut().rev() {
        *slot = alphabet[(n % 62) as usize];
        n /= 62;
    }
    format!("{prefix}{random30}{}", std::str::from_utf8(&sum).unwrap())
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn fine_grained_token(seed: char) -> String {
    format!("github_pat_{}_{}", seed.to_string().repeat(22), "Zq9".repeat(19) + "ab")
}

/// Writes an executable file from a child process, never from this one.
/// Tests run on many threads: a file this process held open for writing
/// leaks, for a moment, into every child another thread forks, and exec of
/// it then fails with "Text file busy" (ETXTBSY; seen on a copied binary).
/// A `cat` in its own process holds the only writable descriptor.
pub fn write_executable(path: &Path, content: &[u8]) {
    let mut child = Command::new("sh")
        .args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(content).unwrap();
    assert!(child.wait().unwrap().success(), "writing {}", path.display());
}

/// [`write_executable`] with a copy of `src`.
pub fn copy_executable(src: impl AsRef<Path>, dst: &Path) {
    write_executable(dst, &std::fs::read(src).unwrap());
}

// ---------------------------------------------------------------- sandbox

pub struct Sandbox {
    pub dir: tempfile::TempDir,
    pub home: PathBuf,
    pub work: PathBuf,
    pub secrets: Mutex<Vec<String>>,
    trap: Trap,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self::new()
    }
}

impl Sandbox {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&work).unwrap();
        let sb = Self {
            dir,
            home,
            work,
            secrets: Mutex::new(Vec::new()),
            trap: Trap::start(),
        };
        // ssh never leaves the machine either: git's last choice of ssh
        // (`GIT_SSH`) is a trap that fails as an unknown host does and
        // says it was run. Tests of SSH remotes name their own ssh
        // (`core.sshCommand`, `GIT_SSH_COMMAND`), which git and the check
        // prefer (tests/ssh.rs).
        write_executable(
            &sb.dir.path().join("ssh-trap"),
            b"#!/bin/sh\necho \"$@\" >> \"$HOME/ssh-trap-ran\"\nfor a; do h=$a; done\necho \"ssh: Could not resolve hostname (trapped): Temporary failure in name resolution\" >&2\nexit 255\n",
        );
        sb.git(&["config", "--global", "credential.helper", "store"]);
        sb.git(&["config", "--global", "user.email", "t@example.com"]);
        sb.git(&["config", "--global", "user.name", "T"]);
        sb.git(&["config", "--global", "init.defaultBranch", "main"]);
        sb
    }

    /// Environment every process of the test gets: nothing of the machine.
    pub fn env(&self, cmd: &mut Command) {
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy().to_string();
            if k.starts_with("GIT_")
                || k.starts_with("PREPUSH_AUTH")
                || k.starts_with("XDG_")
                || k.to_ascii_lowercase().ends_with("_proxy")
                || k == "NO_COLOR"
                || k.starts_with("PRE_COMMIT")
                || k.starts_with("LEFTHOOK")
                // gh answers git from these before its own login.
                || k.starts_with("GH_")
                || k.starts_with("GITHUB_")
                || k == "CODESPACES"
                // The machine's ssh agent: tests start their own, or none.
                || k == "SSH_AUTH_SOCK"
                || k == "SSH_AGENT_PID"
            {
                cmd.env_remove(&k);
            }
        }
        let trap = format!("http://127.0.0.1:{}", self.trap.port);
        // The test's own programs (`Sandbox::program`) come first; never an
        // installed prepush-auth.
        let path = std::env::join_paths(
            std::iter::once(self.bin_dir()).chain(std::env::split_paths(&path_without_prepush_auth())),
        )
        .unwrap();
        cmd.env("GIT_SSH", self.dir.path().join("ssh-trap"))
            .env("HOME", &self.home)
            .env("PATH", path)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("XDG_CACHE_HOME", self.home.join(".cache"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("HTTPS_PROXY", &trap)
            .env("HTTP_PROXY", &trap)
            .env("NO_PROXY", "127.0.0.1,localhost,::1");
    }

    pub fn git(&self, args: &[&str]) -> Output {
        self.git_in(&self.work, args)
    }

    /// Where `program` puts executables; first on every process's PATH.
    pub fn bin_dir(&self) -> PathBuf {
        self.dir.path().join("bin")
    }

    /// An executable shell script `name` in `bin_dir()`; its path.
    pub fn program(&self, name: &str, script: &str) -> PathBuf {
        std::fs::create_dir_all(self.bin_dir()).unwrap();
        let path = self.bin_dir().join(name);
        write_executable(&path, format!("#!/bin/sh\n{script}\n").as_bytes());
        path
    }

    /// This build of prepush-auth on the sandbox's PATH (its `bin`, which
    /// `env` puts first), as an installed binary would be.
    pub fn binary_on_path(&self) {
        std::fs::create_dir_all(self.bin_dir()).unwrap();
        std::os::unix::fs::symlink(BIN, self.bin_dir().join("prepush-auth")).unwrap();
    }

    /// `git push -q origin main` as a user runs it (hooks included); its
    /// stderr is checked for secrets.
    pub fn push_main(&self) -> (Output, String) {
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        let out = cmd
            .args(["push", "-q", "origin", "main"])
            .current_dir(&self.work)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        self.assert_no_secret_in(&stderr, "push stderr");
        (out, stderr)
    }

    pub fn git_in(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        let out = cmd.args(args).current_dir(dir).stdin(Stdio::null()).output().unwrap();
        assert!(
            out.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Puts a credential into the real `git credential-store`.
    pub fn store_credential(&self, url: &str, username: &str, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_owned());
        let mut cmd = Command::new("git");
        self.env(&mut cmd);
        let mut child = cmd
            .args(["credential", "approve"])
            .current_dir(&self.home)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let input = format!("url={url}\nusername={username}\npassword={secret}\n\n");
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }

    pub fn user_config(&self, text: &str) {
        let dir = self.home.join(".config/prepush-auth");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("config.toml"), text).unwrap();
    }

    /// `[hosts."127.0.0.1:PORT"]` for an emulated host.
    pub fn use_host(&self, host: &FakeHost, provider: &str, api_path: &str) {
        self.write_hosts_config(&format!("127.0.0.1:{}", host.port), provider, &host.url(api_path), None);
    }

    /// `use_host` with a `timeout_ms` of its own.
    pub fn use_host_timeout(&self, host: &FakeHost, provider: &str, api_path: &str, timeout_ms: u64) {
        self.write_hosts_config(
            &format!("127.0.0.1:{}", host.port),
            provider,
            &host.url(api_path),
            Some(timeout_ms),
        );
    }

    fn write_hosts_config(&self, key: &str, provider: &str, api: &str, timeout_ms: Option<u64>) {
        let timeout = timeout_ms.map(|t| format!("timeout_ms = {t}\n")).unwrap_or_default();
        self.user_config(&format!(
            "{timeout}[hosts.\"{key}\"]\nprovider = \"{provider}\"\napi = \"{api}\"\n"
        ));
    }

    /// A work repository with one commit and `origin` at `url`.
    pub fn init_repo(&self, url: &str) {
        self.git(&["init", "-q"]);
        std::fs::write(self.work.join("README"), "hello\n").unwrap();
        self.git(&["add", "README"]);
        self.git(&["commit", "-qm", "first"]);
        self.git(&["remote", "add", "origin", url]);
    }

    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        self.env(&mut cmd);
        cmd.args(args).current_dir(&self.work).stdin(Stdio::null());
        cmd
    }

    /// Runs prepush-auth and checks that no secret shows in what it printed.
    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.cmd(args).output().unwrap();
        self.finish(out)
    }

    pub fn finish(&self, out: Output) -> Run {
        let run = Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        self.assert_no_secret_in(&run.stdout, "stdout");
        self.assert_no_secret_in(&run.stderr, "stderr");
        run
    }

    pub fn assert_no_secret_in(&self, text: &str, what: &str) {
        for s in self.secrets.lock().unwrap().iter() {
            assert!(!text.contains(s.as_str()), "secret leaked into {what}:\n{text}");
        }
    }

    /// Every file prepush-auth may write (state, cache) is free of secrets.
    pub fn assert_no_secret_in_files(&self) {
        for entry in walk(&self.home.join(".cache")) {
            let bytes = std::fs::read(&entry).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            self.assert_no_secret_in(&text, &entry.display().to_string());
        }
    }

    pub fn trap_hits(&self) -> usize {
        self.trap.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        self.assert_no_secret_in_files();
        assert_eq!(self.trap_hits(), 0, "something tried to reach a host off this machine");
    }
}

/// This machine's PATH without the directories that hold a `prepush-auth`:
/// a test runs the binary it built (`BIN`), never one installed by
/// `./install.sh`. The README's two commands run in that order, and the
/// hook's fallback (`command -v prepush-auth`) found the installed binary,
/// so a test of "the binary is gone" failed on any machine that had it.
pub fn path_without_prepush_auth() -> std::ffi::OsString {
    static PATH: std::sync::OnceLock<std::ffi::OsString> = std::sync::OnceLock::new();
    PATH.get_or_init(|| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let kept: Vec<PathBuf> = std::env::split_paths(&path)
            .filter(|d| !d.join("prepush-auth").exists())
            .collect();
        std::env::join_paths(kept).unwrap_or_default()
    })
    .clone()
}

pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }

    /// The first check of a JSON document.
    pub fn check(&self) -> serde_json::Value {
        self.json()["checks"][0].clone()
    }
}

/// A proxy that answers nothing and counts who knocked: set as HTTPS_PROXY
/// in every test, so an attempt to reach the internet is caught, not sent.
struct Trap {
    port: u16,
    hits: Arc<AtomicUsize>,
}

impl Trap {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(AtomicUsize::new(0));
        let h = hits.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                h.fetch_add(1, Ordering::SeqCst);
                drop(stream);
            }
        });
        Self { port, hits }
    }
}

// ---------------------------------------------------------------- host emulator

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: HashMap<String, String>,
    pub body_len: usize,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, body: &str) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn json(status: u16, body: &str) -> Self {
        Self::new(status, body).header("Content-Type", "application/json; charset=utf-8")
    }

    pub fn header(mut self, k: &str, v: &str) -> Self {
        self.headers.push((k.to_owned(), v.to_owned()));
        self
    }
}

type Route = Box<dyn Fn(&Recorded) -> Option<Reply> + Send + Sync>;

pub struct FakeHost {
    pub port: u16,
    pub log: Arc<Mutex<Vec<Recorded>>>,
    server: Arc<tiny_http::Server>,
}

pub struct HostBuilder {
    routes: Vec<Route>,
    git: Option<GitBackend>,
}

/// git's own `git http-backend` behind Basic auth: the credentials it accepts.
pub struct GitBackend {
    pub root: PathBuf,
    pub accept: Vec<(String, String)>,
}

impl FakeHost {
    pub fn builder() -> HostBuilder {
        HostBuilder {
            routes: Vec::new(),
            git: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    pub fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    pub fn count_path(&self, needle: &str) -> usize {
        self.requests().iter().filter(|r| r.path.contains(needle)).count()
    }
}

impl Drop for FakeHost {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl HostBuilder {
    /// Answers `reply` to requests whose path (with query) starts with `prefix`.
    pub fn route(mut self, prefix: &str, reply: Reply) -> Self {
        let prefix = prefix.to_owned();
        self.routes
            .push(Box::new(move |r| r.path.starts_with(&prefix).then(|| reply.clone())));
        self
    }

    pub fn route_fn(mut self, f: impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static) -> Self {
        self.routes.push(Box::new(f));
        self
    }

    pub fn git(mut self, backend: GitBackend) -> Self {
        self.git = Some(backend);
        self
    }

    pub fn start(self) -> FakeHost {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let log = Arc::new(Mutex::new(Vec::new()));
        let routes = Arc::new(self.routes);
        let git = Arc::new(self.git);
        let (s, l) = (server.clone(), log.clone());
        std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let routes = routes.clone();
                let git = git.clone();
                let log = l.clone();
                std::thread::spawn(move || {
                    let mut body = Vec::new();
                    let _ = req.as_reader().read_to_end(&mut body);
                    let rec = Recorded {
                        method: req.method().to_string(),
                        path: req.url().to_owned(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| {
                                (
                                    h.field.as_str().as_str().to_ascii_lowercase(),
                                    h.value.as_str().to_owned(),
                                )
                            })
                            .collect(),
                        body_len: body.len(),
                    };
                    log.lock().unwrap().push(rec.clone());
                    let reply = routes
                        .iter()
                        .find_map(|r| r(&rec))
                        .or_else(|| git.as_ref().as_ref().map(|g| g.serve(&rec, &body)))
                        .unwrap_or_else(|| Reply::json(404, r#"{"message":"Not Found"}"#));
                    let mut resp = tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
                    for (k, v) in reply.headers {
                        resp.add_header(tiny_http::Header::from_bytes(k.as_bytes(), v.as_bytes()).unwrap());
                    }
                    let _ = req.respond(resp);
                });
            }
        });
        FakeHost { port, log, server }
    }
}

pub fn basic_credentials(rec: &Recorded) -> Option<(String, String)> {
    // The scheme is case-insensitive (RFC 9110 §11.1): actions/checkout
    // writes `AUTHORIZATION: basic …`.
    let header = rec.header("authorization")?;
    let (scheme, value) = header.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64_decode(value.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = table.iter().position(|&t| t == c)? as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
        }
    }
    Some(out)
}

impl GitBackend {
    /// A bare repository `name` under a fresh root, accepting `accept`.
    pub fn new(root: PathBuf, name: &str, accept: &[(&str, &str)]) -> Self {
        std::fs::create_dir_all(&root).unwrap();
        let st = Command::new("git")
            .args(["init", "-q", "--bare", "-b", "main"])
            .arg(root.join(name))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &root)
            .status()
            .unwrap();
        assert!(st.success());
        Self {
            root,
            accept: accept.iter().map(|(u, p)| ((*u).to_owned(), (*p).to_owned())).collect(),
        }
    }

    fn serve(&self, rec: &Recorded, body: &[u8]) -> Reply {
        let Some((user, pass)) = basic_credentials(rec)
            .filter(|(u, p)| self.accept.iter().any(|(au, ap)| (au == "*" || au == u) && ap == p))
        else {
            return Reply::new(401, "Invalid username or token.\n").header("WWW-Authenticate", "Basic realm=\"fake\"");
        };
        let _ = pass;
        let (path, query) = rec.path.split_once('?').unwrap_or((&rec.path, ""));
        let mut cmd = Command::new("git");
        cmd.arg("http-backend")
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("HOME", &self.root)
            .env("GIT_PROJECT_ROOT", &self.root)
            .env("GIT_HTTP_EXPORT_ALL", "1")
            .env("PATH_INFO", path)
            .env("QUERY_STRING", query)
            .env("REQUEST_METHOD", &rec.method)
            .env("REMOTE_USER", &user)
            .env("REMOTE_ADDR", "127.0.0.1")
            .env("CONTENT_LENGTH", body.len().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(ct) = rec.header("content-type") {
            cmd.env("CONTENT_TYPE", ct);
        }
        if let Some(enc) = rec.header("content-encoding") {
            cmd.env("HTTP_CONTENT_ENCODING", enc);
        }
        if let Some(p) = rec.header("git-protocol") {
            cmd.env("GIT_PROTOCOL", p);
        }
        let mut child = cmd.spawn().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        let body = body.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = stdin.write_all(&body);
        });
        let out = child.wait_with_output().unwrap();
        let _ = writer.join();
        parse_cgi(&out.stdout)
    }
}

fn parse_cgi(out: &[u8]) -> Reply {
    let split = out
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2)));
    let Some((at, len)) = split else {
        return Reply::new(500, "bad CGI output");
    };
    let head = String::from_utf8_lossy(&out[..at]);
    let mut reply = Reply {
        status: 200,
        headers: Vec::new(),
        body: out[at + len..].to_vec(),
    };
    for line in head.lines() {
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("status") {
                reply.status = v.trim().split(' ').next().unwrap_or("200").parse().unwrap_or(200);
            } else {
                reply.headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
        }
    }
    reply
}

/// A server that accepts connections and never answers.
pub struct Silent {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
}

impl Silent {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let a = accepted.clone();
        std::thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            for s in listener.incoming().flatten() {
                a.fetch_add(1, Ordering::SeqCst);
                held.push(s);
                if held.len() > 64 {
                    held.remove(0);
                }
            }
        });
        std::thread::sleep(Duration::from_millis(1));
        Self { port, accepted }
    }
}

// ---------------------------------------------------------------- where the secret went

/// The secret a request presented: a Bearer token or a Basic password.
pub fn presented(rec: &Recorded) -> Option<String> {
    let bearer = rec
        .header("authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::to_owned);
    bearer.or_else(|| basic_credentials(rec).map(|(_, p)| p))
}

/// SPEC §7 rule 2 on the wire: the check sent `requests` requests, the
/// emulated host saw exactly those, each carried the secret in its
/// `Authorization` header and nowhere else (the trap proxy, checked when the
/// sandbox drops, sees everything that tried to go elsewhere).
pub fn assert_secret_only_in_authorization(host: &FakeHost, secret: &str, requests: &serde_json::Value) {
    let seen = host.requests();
    assert_eq!(
        requests.as_u64(),
        Some(seen.len() as u64),
        "requests counted vs seen: {seen:?}"
    );
    for r in &seen {
        assert_eq!(presented(r).as_deref(), Some(secret), "{} {}", r.method, r.path);
        assert!(!r.path.contains(secret), "the secret is in a URL: {}", r.path);
        for (k, v) in &r.headers {
            if k != "authorization" {
                assert!(!v.contains(secret), "the secret is in header {k}");
            }
        }
    }
}

/// A recorded real answer from `tests/fixtures/` (`host/name.http`), served
/// as the host sent it. Every fixture names its public source.
pub fn fixture(path: &str) -> Reply {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    let recorded = prepush_auth::providers::fixture::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    Reply {
        status: recorded.status,
        headers: recorded.headers,
        body: recorded.body,
    }
}

/// Does the bare repository `bare` (a server's) have `rev`?
pub fn bare_has(bare: &Path, rev: &str) -> bool {
    Command::new("git")
        .arg("--git-dir")
        .arg(bare)
        .args(["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
        .status
        .success()
}

/// `git-receive-pack` ref advertisement, as a host answers the push probe.
pub fn advertisement() -> Reply {
    Reply::new(200, "001f# service=git-receive-pack\n0000")
        .header("Content-Type", "application/x-git-receive-pack-advertisement")
}

// ---------------------------------------------------------------- hostile servers

/// A loopback server written on raw sockets, for answers tiny_http cannot
/// give: trickles, lies about lengths, hangs up mid-answer, speaks garbage.
/// Each connection's request head (up to the blank line) is recorded, then
/// `behaviour` owns the socket.
pub struct RawServer {
    pub port: u16,
    pub accepted: Arc<AtomicUsize>,
    pub heads: Arc<Mutex<Vec<String>>>,
}

impl RawServer {
    pub fn start(behaviour: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> Self {
        Self::start_with(true, behaviour)
    }

    /// `read_head: false` hands the socket over untouched (for TLS).
    pub fn start_with(read_head: bool, behaviour: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> Self {
        Self::start_on("127.0.0.1:0", read_head, behaviour)
    }

    /// On another loopback address, e.g. `[::1]:0`.
    pub fn start_on(addr: &str, read_head: bool, behaviour: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind(addr).unwrap();
        let port = listener.local_addr().unwrap().port();
        let accepted = Arc::new(AtomicUsize::new(0));
        let heads = Arc::new(Mutex::new(Vec::new()));
        let behaviour = Arc::new(behaviour);
        let (a, h) = (accepted.clone(), heads.clone());
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                a.fetch_add(1, Ordering::SeqCst);
                let (h, behaviour) = (h.clone(), behaviour.clone());
                std::thread::spawn(move || {
                    if read_head {
                        let head = read_head_of(&mut stream);
                        h.lock().unwrap().push(head);
                    }
                    behaviour(&mut stream);
                });
            }
        });
        Self { port, accepted, heads }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

fn read_head_of(stream: &mut TcpStream) -> String {
    use std::io::Read;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 64 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

/// A TLS server on loopback whose certificate is self-signed for 127.0.0.1:
/// it does not verify against any root the client trusts. Records whatever
/// plaintext reaches it after a handshake (there should be none).
pub struct SelfSignedTls {
    pub server: RawServer,
    pub plaintext: Arc<Mutex<Vec<u8>>>,
    /// The certificate as PEM, for a test that trusts it (GIT_SSL_CAINFO).
    pub ca_pem: String,
}

/// A TLS server configuration with a fresh certificate self-signed for
/// 127.0.0.1 and localhost, and that certificate as PEM (for a client that
/// trusts it through `http.sslCAInfo` or `GIT_SSL_CAINFO`).
fn self_signed_server_config() -> (Arc<rustls::ServerConfig>, String) {
    let ck = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    let cert = ck.cert.der().clone();
    let ca_pem = pem("CERTIFICATE", &cert);
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(ck.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .unwrap();
    (Arc::new(config), ca_pem)
}

impl SelfSignedTls {
    pub fn start() -> Self {
        let (config, ca_pem) = self_signed_server_config();
        let plaintext = Arc::new(Mutex::new(Vec::new()));
        let p = plaintext.clone();
        let server = RawServer::start_with(false, move |stream| {
            use std::io::Read;
            stream.set_read_timeout(Some(Duration::from_secs(5))).ok();
            let conn = rustls::ServerConnection::new(config.clone()).unwrap();
            let mut tls = rustls::StreamOwned::new(conn, stream.try_clone().unwrap());
            let mut buf = [0u8; 4096];
            // Whatever arrives in the clear after a handshake is a request:
            // record it and answer as a GitHub API would (a verified peer).
            while let Ok(n) = tls.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut seen = p.lock().unwrap();
                seen.extend_from_slice(&buf[..n]);
                if seen.ends_with(b"\r\n\r\n") {
                    drop(seen);
                    let body =
                        r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"push":true}}"#;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-OAuth-Scopes: repo\r\nContent-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = tls.write_all(reply.as_bytes());
                    let _ = tls.flush();
                }
            }
        });
        Self {
            server,
            plaintext,
            ca_pem,
        }
    }
}

/// HTTPS in front of a loopback emulator: TLS with a self-signed
/// certificate for 127.0.0.1 (trusted through `http.sslCAInfo`), every byte
/// relayed to the plain-HTTP host behind it. gh answers git only for
/// `protocol=https` (cli/cli `pkg/cmd/auth/gitcredential/helper.go`), so
/// its tests need a real TLS remote.
pub struct TlsFront {
    pub port: u16,
    /// The certificate as PEM: the CA to trust.
    pub ca_pem: String,
    _server: RawServer,
}

impl TlsFront {
    pub fn start(backend_port: u16) -> Self {
        let (config, ca_pem) = self_signed_server_config();
        let server = RawServer::start_with(false, move |tcp| relay_tls(tcp, config.clone(), backend_port));
        Self {
            port: server.port,
            ca_pem,
            _server: server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

/// One TLS connection relayed to `backend_port` until both sides are done.
fn relay_tls(tcp: &mut TcpStream, config: Arc<rustls::ServerConfig>, backend_port: u16) {
    use std::io::{ErrorKind, Read};
    let Ok(mut conn) = rustls::ServerConnection::new(config) else {
        return;
    };
    let Ok(mut backend) = TcpStream::connect(("127.0.0.1", backend_port)) else {
        return;
    };
    let tick = Some(Duration::from_millis(2));
    tcp.set_read_timeout(tick).ok();
    backend.set_read_timeout(tick).ok();
    let idle = |e: &std::io::Error| matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut);
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut buf = vec![0u8; 64 * 1024];
    let (mut client_open, mut backend_open) = (true, true);
    while backend_open && std::time::Instant::now() < deadline {
        if client_open {
            match conn.read_tls(tcp) {
                Ok(0) => {
                    client_open = false;
                    let _ = backend.shutdown(std::net::Shutdown::Write);
                }
                Ok(_) => {
                    if conn.process_new_packets().is_err() {
                        let _ = conn.write_tls(tcp);
                        return;
                    }
                }
                Err(e) if idle(&e) => {}
                Err(_) => client_open = false,
            }
        }
        loop {
            match conn.reader().read(&mut buf) {
                Ok(0) => {
                    if client_open {
                        client_open = false;
                        let _ = backend.shutdown(std::net::Shutdown::Write);
                    }
                    break;
                }
                Ok(n) => {
                    if backend.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                Err(_) => break,
            }
        }
        match backend.read(&mut buf) {
            Ok(0) => {
                backend_open = false;
                conn.send_close_notify();
            }
            Ok(n) => {
                let _ = conn.writer().write_all(&buf[..n]);
            }
            Err(e) if idle(&e) => {}
            Err(_) => backend_open = false,
        }
        while conn.wants_write() {
            if conn.write_tls(tcp).is_err() {
                return;
            }
        }
    }
}

impl Sandbox {
    /// `[hosts."<key>"]` pointing at `api`, with a deadline.
    pub fn host_config(&self, key: &str, provider: &str, api: &str, timeout_ms: u64) {
        self.write_hosts_config(key, provider, api, Some(timeout_ms));
    }

    /// No registered secret in any file under HOME but git's own
    /// `.git-credentials` (where the test put it).
    pub fn assert_no_secret_under_home(&self) {
        for entry in walk(&self.home) {
            if entry.file_name().is_some_and(|n| n == ".git-credentials") {
                continue;
            }
            let bytes = std::fs::read(&entry).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            self.assert_no_secret_in(&text, &entry.display().to_string());
        }
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for chunk in der.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// A canned HTTP/1.1 answer with a body and a length.
pub fn http_reply(status: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// Is any live (not zombie) process in process group `pgid`?
pub fn group_alive(pgid: i32) -> bool {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return false;
    };
    rd.flatten().any(|e| {
        let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
            return false;
        };
        // pid (comm) state ppid pgrp ...; comm may hold spaces: split after ')'.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            return false;
        };
        let f: Vec<&str> = rest.split_whitespace().collect();
        f.len() > 2 && f[0] != "Z" && f[2].parse::<i32>().ok() == Some(pgid)
    })
}

/// Human output with its wrapping undone: continuation lines joined to the
/// line they continue, a command broken with ` \` joined again. Output to
/// a pipe is wrapped to 80 columns; tests that look for a sentence read it
/// whole.
pub fn flat(text: &str) -> String {
    text.replace(" \\\n              ", " ").replace("\n          ", " ")
}
