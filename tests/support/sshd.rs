//! A real OpenSSH `sshd` on loopback, started per test, playing a host's
//! SSH shell the way hosts deploy gitlab-shell with OpenSSH: one
//! `authorized_keys` line per key, `command="host.sh HOST ACCOUNT",no-pty`.
//! The forced command prints the host's recorded words
//! (`tests/fixtures/ssh/HOST/CASE.txt`) and runs the real
//! `git-receive-pack` / `git-upload-pack` on a bare repository for an
//! account that may.
//!
//! OpenSSH takes `~` from the password database, not `$HOME` (SSH.md §1):
//! every ssh here gets its config with `-F` (through `core.sshCommand`),
//! naming `IdentityFile` and `UserKnownHostsFile`.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Sandbox;

pub struct Sshd {
    pub port: u16,
    pub root: PathBuf,
    pub user: String,
    host: String,
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// The forced command: the host's shell for one account.
const HOST_SH: &str = r#"#!/bin/sh
# host.sh HOST ACCOUNT ROOT: what a host's SSH shell does for ACCOUNT.
host=$1 account=$2 root=$3
cmd=$SSH_ORIGINAL_COMMAND
echo "$account ${cmd:-(shell)}" >> "$root/log"
repo=
emit() {
  f="$root/fixtures/$host/$1.txt"
  code=$(sed -n 's/^# exit: //p' "$f")
  stream=$(sed -n 's/^# stream: //p' "$f")
  text=$(grep -v '^# ' "$f" | sed -e "s|{account}|$account|g" -e "s|{repo}|$repo|g")
  if [ "$stream" = stdout ]; then printf '%s\n' "$text"; else printf '%s\n' "$text" >&2; fi
  exit "${code:-1}"
}
[ -z "$cmd" ] && emit greeting
verb=${cmd%% *}
path=$(printf '%s' "${cmd#* }" | tr -d "'")
path=${path#/}
repo=${path%.git}
case "$verb" in
  git-receive-pack|git-upload-pack) ;;
  *) echo "unknown command" >&2; exit 128 ;;
esac
bare="$root/repos/$repo.git"
[ -d "$bare" ] || emit not-found
rule=$(awk -v a="$account" -v r="$repo" '$1 == a && $2 == r { print $3 }' "$root/access")
case "$rule" in
  write) exec "$verb" "$bare" ;;
  "") emit not-found ;;
esac
# GitLab refuses a blocked or deactivated account, or one that has not accepted the terms,
# on every command, fetch too (gitlabhq spec/lib/gitlab/git_access_spec.rb,
# "terms are enforced": pull_access_check raises the same message).
case "$rule" in blocked|pending|deactivated|terms) emit "$rule" ;; esac
[ "$verb" = git-upload-pack ] && exec "$verb" "$bare"
case "$rule" in
  read) emit denied ;;
  *) emit "$rule" ;;
esac
"#;

fn require_tools() -> bool {
    std::env::var("PREPUSH_AUTH_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

fn run_ok(cmd: &mut Command) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

impl Sshd {
    /// An sshd playing `host` (a directory of `tests/fixtures/ssh/`), or
    /// `None` (the test then says so and passes) where sshd cannot run;
    /// under `PREPUSH_AUTH_REQUIRE_TOOLS=1` that is a failure.
    pub fn start(host: &str) -> Option<Self> {
        match Self::try_start(host) {
            Ok(s) => Some(s),
            Err(why) if require_tools() => panic!("cannot start sshd: {why}"),
            Err(why) => {
                eprintln!("SKIPPED: cannot start sshd: {why}");
                None
            }
        }
    }

    fn try_start(host: &str) -> Result<Self, String> {
        let sshd = Path::new("/usr/sbin/sshd");
        if !sshd.exists() {
            return Err("no /usr/sbin/sshd (apt-get install openssh-server)".into());
        }
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?.keep();
        let root = dir.clone();
        std::fs::create_dir_all(root.join("repos")).unwrap();
        std::fs::write(root.join("access"), "").unwrap();
        std::fs::write(root.join("log"), "").unwrap();
        std::fs::write(root.join("authorized_keys"), "").unwrap();
        // The host's words, as the fixtures record them.
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/ssh")
            .join(host);
        std::os::unix::fs::symlink(&fixtures, {
            std::fs::create_dir_all(root.join("fixtures")).unwrap();
            root.join("fixtures").join(host)
        })
        .unwrap();
        let script = root.join("host.sh");
        super::write_executable(&script, HOST_SH.as_bytes());
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(root.join("host_key")),
        );
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
            .trim()
            .to_owned();
        let root_user = String::from_utf8_lossy(&Command::new("id").arg("-u").output().unwrap().stdout).trim() == "0";
        if root_user {
            // Privilege separation needs its directory when sshd runs as root.
            let _ = std::fs::create_dir_all("/run/sshd");
        }
        let config = root.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "HostKey {root}/host_key\nAuthorizedKeysFile {root}/authorized_keys\nStrictModes no\nUsePAM no\n\
                 PidFile none\nListenAddress 127.0.0.1\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\nPermitUserEnvironment no\nLogLevel ERROR\nMaxStartups 100\n",
                root = root.display()
            ),
        )
        .unwrap();
        for _ in 0..5 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut child = Command::new(sshd)
                .args(["-D", "-e", "-f"])
                .arg(&config)
                .arg("-p")
                .arg(port.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| e.to_string())?;
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(5) {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    let host_pub = std::fs::read_to_string(root.join("host_key.pub")).unwrap();
                    let key: Vec<&str> = host_pub.split_whitespace().take(2).collect();
                    std::fs::write(
                        root.join("known_hosts"),
                        format!("[127.0.0.1]:{port} {}\n", key.join(" ")),
                    )
                    .unwrap();
                    return Ok(Self {
                        port,
                        root,
                        user,
                        host: host.to_owned(),
                        child,
                    });
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let out = child.wait_with_output().map_err(|e| e.to_string())?;
            let why = String::from_utf8_lossy(&out.stderr).into_owned();
            if !why.contains("Address already in use") {
                return Err(why);
            }
        }
        Err("no free port".into())
    }

    /// A key pair `name` in the sandbox's `~/.ssh` (with `passphrase`), and,
    /// with an account, its `authorized_keys` line. Returns the private path.
    pub fn key(&self, sb: &Sandbox, name: &str, account: Option<&str>, passphrase: &str) -> PathBuf {
        let dir = sb.home.join(".ssh");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        run_ok(
            Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f"])
                .arg(&path),
        );
        if let Some(account) = account {
            self.authorize(&path, account);
        }
        path
    }

    /// Registers the key at `private` for `account` on this host.
    pub fn authorize(&self, private: &Path, account: &str) {
        let public = std::fs::read_to_string(private.with_extension("pub")).unwrap();
        let host = &self.host;
        let line = format!(
            "command=\"{}/host.sh {host} {account} {}\",no-pty,no-port-forwarding {}",
            self.root.display(),
            self.root.display(),
            public.trim()
        );
        let mut keys = std::fs::read_to_string(self.root.join("authorized_keys")).unwrap();
        keys.push_str(&line);
        keys.push('\n');
        std::fs::write(self.root.join("authorized_keys"), keys).unwrap();
    }

    /// A bare repository `owner/name` on the host, holding one commit.
    pub fn repo(&self, repo: &str) -> PathBuf {
        let bare = self.root.join("repos").join(format!("{repo}.git"));
        run_ok(
            Command::new("git")
                .args(["init", "-q", "--bare", "-b", "main"])
                .arg(&bare),
        );
        bare
    }

    /// `account` may `rule` (write, read, deploy-read-only, archived, sso,
    /// expired, sha1, blocked, pending, deactivated, terms, key-refused) on `repo`.
    pub fn grant(&self, account: &str, repo: &str, rule: &str) {
        let mut text = std::fs::read_to_string(self.root.join("access")).unwrap();
        text.push_str(&format!("{account} {repo} {rule}\n"));
        std::fs::write(self.root.join("access"), text).unwrap();
    }

    /// An ssh config naming this host's known_hosts and `identities`.
    pub fn ssh_config(&self, sb: &Sandbox, identities: &[&Path]) -> PathBuf {
        let mut text = format!(
            "Host *\n  UserKnownHostsFile {}\n",
            self.root.join("known_hosts").display()
        );
        for id in identities {
            // Quoted as ssh_config quotes: a key path may hold a space.
            text.push_str(&format!("  IdentityFile \"{}\"\n", id.display()));
        }
        let path = sb.home.join(".ssh").join("config-test");
        std::fs::create_dir_all(sb.home.join(".ssh")).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The user's `core.sshCommand` (global): ssh with that config.
    pub fn use_config(&self, sb: &Sandbox, identities: &[&Path]) -> String {
        let cfg = self.ssh_config(sb, identities);
        let cmd = format!("ssh -F {}", cfg.display());
        sb.git(&["config", "--global", "core.sshCommand", &cmd]);
        cmd
    }

    pub fn url(&self, repo: &str) -> String {
        format!("ssh://{}@127.0.0.1:{}/{repo}.git", self.user, self.port)
    }

    /// What the host was asked, one line per connection: `ACCOUNT COMMAND`.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.root.join("log")).unwrap_or_default()
    }

    /// `[hosts."127.0.0.1:PORT"] provider = …` in the sandbox's user config.
    pub fn as_provider(&self, sb: &Sandbox, provider: &str) {
        sb.user_config(&format!(
            "timeout_ms = 20000\n[hosts.\"127.0.0.1:{}\"]\nprovider = \"{provider}\"\n",
            self.port
        ));
    }

    pub fn has_ref(&self, repo: &str, reference: &str) -> bool {
        Command::new("git")
            .args(["--git-dir"])
            .arg(self.root.join("repos").join(format!("{repo}.git")))
            .args(["rev-parse", "--verify", "-q", reference])
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success()
    }
}
