#![allow(clippy::pedantic)]
//! Every printed fix, followed literally (helpers.rs, "The rule for fixes";
//! README "Fixes"): the `fix` lines of `check --format json` are taken top to
//! bottom; each `$ ` line is run with `sh` exactly as printed; the steps a
//! person does by hand stand in as they would happen ("create a new token"
//! is a fresh token this loopback host accepts; "when git asks, give …" is
//! what git stores after a push where it asked). Then a real `git push`
//! must land. One test per helper kind the suite can run: store, cache,
//! netrc (git's own contrib helper), a shell function, a URL credential, gh
//! (Debian's gh, signed in with the printed command), and the Bitbucket
//! email-as-username fix, which emptied the store before.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use support::*;

struct World {
    sb: Sandbox,
    _host: FakeHost,
    _front: Option<TlsFront>,
    bare: PathBuf,
    url: String,
    hostport: String,
    stale: String,
    fresh: String,
}

/// The emulated GitHub: the stale token is unknown to it, the fresh one
/// may push (API and `git http-backend`).
fn github_world() -> World {
    world(false, false)
}

/// The same behind HTTPS (gh speaks nothing else), trusted through
/// `http.sslCAInfo`.
/// `expiring`: the stale token still works, and expires in three days.
fn world(tls: bool, expiring: bool) -> World {
    let stale = classic_token("stalestalestalestalestalestale");
    let fresh = classic_token("freshfreshfreshfreshfreshfresh");
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let mut accept = vec![("*", fresh.as_str())];
    let mut tokens = vec![tok(&fresh, Some("repo, workflow"))];
    if expiring {
        accept.push(("*", stale.as_str()));
        let mut t = tok(&stale, Some("repo, workflow"));
        t.expiration = Some(
            (chrono::Utc::now() + chrono::Duration::days(3))
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        );
        tokens.push(t);
    }
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let host = github_with(tokens, REPO_JSON, Some(backend));
    let (url, hostport, front) = if tls {
        let front = TlsFront::start(host.port);
        let ca = sb.dir.path().join("ca.pem");
        std::fs::write(&ca, &front.ca_pem).unwrap();
        sb.git(&["config", "--global", "http.sslCAInfo", ca.to_str().unwrap()]);
        let hostport = format!("127.0.0.1:{}", front.port);
        sb.host_config(&hostport, "github", &front.url("/api/v3"), 5000);
        (front.url(REPO_PATH), hostport, Some(front))
    } else {
        sb.use_host(&host, "github", "/api/v3");
        (host.url(REPO_PATH), format!("127.0.0.1:{}", host.port), None)
    };
    sb.init_repo(&url);
    sb.secrets.lock().unwrap().extend([stale.clone(), fresh.clone()]);
    World {
        hostport,
        sb,
        _host: host,
        _front: front,
        bare: root.join("acme/widgets.git"),
        url,
        stale,
        fresh,
    }
}

impl World {
    fn helper(&self, value: &str) {
        self.sb
            .git(&["config", "--global", "--replace-all", "credential.helper", value]);
    }

    /// `git credential approve`: what git does after a push where it asked.
    fn approve(&self, username: &str, secret: &str) {
        let mut cmd = Command::new("git");
        self.sb.env(&mut cmd);
        let mut child = cmd
            .args(["credential", "approve"])
            .current_dir(&self.sb.work)
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let input = format!("url={}\nusername={username}\npassword={secret}\n\n", self.url);
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        assert!(child.wait().unwrap().success());
    }

    /// The printed fix, as `check --format json` gives it, with its reason.
    fn fix(&self) -> (String, Vec<String>) {
        let run = self.sb.run(&["check", "--format", "json", "--no-cache"]);
        let c = run.check();
        let fix = c["fix"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap().to_owned())
            .collect();
        (c["reason"].as_str().unwrap().to_owned(), fix)
    }

    /// Follows `fix` top to bottom: `$ ` lines run as printed, the others
    /// by `by_hand` (which says whether it did something). Returns the
    /// lines done by hand, for the test to check the order.
    fn follow(&self, fix: &[String], mut by_hand: impl FnMut(&World, &str) -> bool) -> Vec<String> {
        let mut done = Vec::new();
        for line in fix {
            if let Some(command) = line.strip_prefix("$ ") {
                let mut cmd = Command::new("sh");
                self.sb.env(&mut cmd);
                let out = cmd
                    .args(["-c", command])
                    .current_dir(&self.sb.work)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{command}: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                done.push(line.clone());
            } else if by_hand(self, line) {
                done.push(line.clone());
            }
        }
        done
    }

    /// A new commit, pushed as a user pushes; it must land.
    fn push_lands(&self, what: &str) {
        std::fs::write(self.sb.work.join("after-fix"), what).unwrap();
        self.sb.git(&["add", "after-fix"]);
        self.sb.git(&["commit", "-qm", "after the fix"]);
        let (out, err) = self.sb.push_main();
        assert!(out.status.success(), "{what}: the push after the fix failed: {err}");
        let head = self.sb.git(&["rev-parse", "HEAD"]);
        assert!(bare_has(&self.bare, String::from_utf8_lossy(&head.stdout).trim()));
    }
}

/// The hand steps of a helper git stores into: "create a new token" makes
/// the fresh one; "push: when git asks, give the username X …" is git
/// storing what was typed (X, else alice).
fn store_steps(w: &World, line: &str) -> bool {
    if line.starts_with("create a new token: ") {
        assert!(line.contains("/settings/tokens/new?scopes=repo,workflow"), "{line}");
        return true;
    }
    if let Some(rest) = line.strip_prefix("push: when git asks, give ") {
        let user = rest
            .strip_prefix("the username ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or("alice");
        w.approve(user, &w.fresh);
        return true;
    }
    false
}

fn stored_lines(w: &World, file: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            // The store percent-encodes what a URL cannot hold (`=`, `:`).
            let l = l
                .replace(&w.fresh.replace('=', "%3d"), "FRESH")
                .replace(&w.fresh, "FRESH");
            if w.stale.is_empty() {
                l
            } else {
                l.replace(&w.stale, "STALE")
            }
        })
        .collect()
}

#[test]
fn store_the_printed_fix_pushes_and_keeps_the_new_credential() {
    let w = github_world();
    w.sb.store_credential(&w.url, "alice", &w.stale);
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    let done = w.follow(&fix, store_steps);
    // Forget, then make, then store: in that order.
    assert!(
        done[0].starts_with("$ printf") && done[0].contains("username=alice"),
        "{done:?}"
    );
    assert!(done[1].starts_with("create a new token"), "{done:?}");
    assert!(done[2].starts_with("push: when git asks"), "{done:?}");
    w.push_lands("store");
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!("http://alice:FRESH@{}", w.hostport.replace(':', "%3a"))]
    );
}

#[test]
fn cache_the_printed_fix_pushes() {
    let w = github_world();
    let dir = w.sb.dir.path().join("cache");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let socket = dir.join("socket");
    w.helper(&format!("cache --socket {}", socket.display()));
    w.approve("alice", &w.stale);
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    let done = w.follow(&fix, store_steps);
    assert_eq!(done.len(), 3, "{fix:?}");
    w.push_lands("cache");
    let mut cmd = Command::new("git");
    w.sb.env(&mut cmd);
    let _ = cmd
        .args(["credential-cache", "--socket", socket.to_str().unwrap(), "exit"])
        .stdin(Stdio::null())
        .output();
}

/// git's contrib netrc helper, installed as git finds a helper: only
/// "get" ("Only \"get\" mode is supported"), so the fix edits the file.
fn netrc_helper(w: &World) -> bool {
    let script = std::path::Path::new("/usr/share/doc/git/contrib/credential/netrc/git-credential-netrc.perl");
    if !script.is_file() {
        assert!(
            std::env::var_os("PREPUSH_AUTH_REQUIRE_TOOLS").is_none(),
            "git's contrib netrc helper is required"
        );
        eprintln!("SKIPPED: git's contrib netrc helper is not installed");
        return false;
    }
    let dest = w.sb.bin_dir().join("git-credential-netrc");
    std::fs::create_dir_all(w.sb.bin_dir()).unwrap();
    copy_executable(script, &dest);
    true
}

#[test]
fn netrc_the_printed_fix_pushes() {
    let w = github_world();
    if !netrc_helper(&w) {
        return;
    }
    w.helper("netrc");
    let port = w.hostport.rsplit(':').next().unwrap().to_owned();
    let netrc = w.sb.home.join(".netrc");
    let write = |secret: &str| {
        std::fs::write(
            &netrc,
            format!("machine 127.0.0.1 port {port} login alice password {secret}\n"),
        )
        .unwrap();
        std::fs::set_permissions(&netrc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    };
    write(&w.stale);
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    assert!(!fix.iter().any(|l| l.contains("| git credential reject")), "{fix:?}");
    let done = w.follow(&fix, |w, line| {
        if line.starts_with("create a new token: ") {
            return true;
        }
        if line.starts_with("in ~/.netrc (or ~/.authinfo, or their .gpg), set the password for ") {
            assert!(line.contains(&w.hostport), "{line}");
            write(&w.fresh);
            return true;
        }
        false
    });
    assert_eq!(done.len(), 2, "{fix:?}");
    w.push_lands("netrc");
}

#[test]
fn a_shell_function_the_printed_fix_pushes() {
    let w = github_world();
    let file = w.sb.home.join("token");
    std::fs::write(&file, &w.stale).unwrap();
    w.helper(&format!(
        "!f() {{ test \"$1\" = get || return 0; echo username=alice; echo \"password=$(cat '{}')\"; }}; f",
        file.display()
    ));
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    let done = w.follow(&fix, |w, line| {
        if line.starts_with("create a new token: ") {
            return true;
        }
        if line.starts_with("put the new token where that shell-function helper reads it") {
            std::fs::write(&file, &w.fresh).unwrap();
            return true;
        }
        false
    });
    assert_eq!(done.len(), 2, "{fix:?}");
    w.push_lands("shell");
}

#[test]
fn a_url_credential_the_printed_fix_pushes() {
    let w = github_world();
    let with_token = w.url.replace("http://", &format!("http://alice:{}@", w.stale));
    w.sb.git(&["remote", "set-url", "origin", &with_token]);
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    assert!(
        fix.contains(&format!("$ git remote set-url origin {}", w.url)),
        "the remote by its name and the URL without the token: {fix:?}"
    );
    let done = w.follow(&fix, store_steps);
    assert_eq!(done.len(), 3, "{fix:?}");
    let remote = w.sb.git(&["remote", "get-url", "origin"]);
    assert_eq!(String::from_utf8_lossy(&remote.stdout).trim(), w.url);
    w.push_lands("url");
}

/// The headline of issue 18: "store it under the right username, then
/// forget the one under the email address" erased both. Now the forget
/// step comes first and names the email address: the store keeps exactly
/// the credential the push needs.
#[test]
fn bitbucket_email_as_username_the_printed_fix_keeps_the_new_credential() {
    let token = format!("ATATT3xFfGF0{}=1A2B3C4D", "fixrun".repeat(28));
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(
        root.clone(),
        "acme/widgets.git",
        &[("x-bitbucket-api-token-auth", &token)],
    );
    let host = FakeHost::builder().git(backend).start();
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"bitbucket\"\napi = \"{}\"\n",
        host.port,
        host.url("/2.0")
    ));
    let url = host.url("/acme/widgets.git");
    sb.init_repo(&url);
    sb.store_credential(&url, "alice@example.com", &token);
    let w = World {
        hostport: format!("127.0.0.1:{}", host.port),
        sb,
        _host: host,
        _front: None,
        bare: root.join("acme/widgets.git"),
        url,
        stale: String::new(),
        fresh: token.clone(),
    };
    let (reason, fix) = w.fix();
    assert_eq!(reason, "wrong_username", "{fix:?}");
    let done = w.follow(&fix, store_steps);
    assert!(done[0].contains("username=alice@example.com"), "{done:?}");
    assert!(
        done[1].contains("give the username x-bitbucket-api-token-auth"),
        "{done:?}"
    );
    w.push_lands("bitbucket");
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!(
            "http://x-bitbucket-api-token-auth:FRESH@{}",
            w.hostport.replace(':', "%3a")
        )]
    );
}

/// The same with the email address in the remote URL: git takes the
/// username from the URL before any helper, so a credential stored under the
/// right username was never asked for. The fix takes it out of the URL
/// first (`git remote set-url`, with the remote's name), then the rest.
#[test]
fn bitbucket_email_in_the_remote_url_the_printed_fix_takes_it_out_and_pushes() {
    let token = format!("ATATT3xFfGF0{}=1A2B3C4D", "urlusr".repeat(28));
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(
        root.clone(),
        "acme/widgets.git",
        &[("x-bitbucket-api-token-auth", &token)],
    );
    let host = FakeHost::builder().git(backend).start();
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"bitbucket\"\napi = \"{}\"\n",
        host.port,
        host.url("/2.0")
    ));
    let plain = host.url("/acme/widgets.git");
    let with_email = plain.replace("http://", "http://alice%40example.com@");
    sb.init_repo(&with_email);
    sb.store_credential(&with_email, "alice@example.com", &token);
    let w = World {
        hostport: format!("127.0.0.1:{}", host.port),
        sb,
        _host: host,
        _front: None,
        bare: root.join("acme/widgets.git"),
        url: plain.clone(),
        stale: String::new(),
        fresh: token.clone(),
    };
    let (reason, fix) = w.fix();
    assert_eq!(reason, "wrong_username", "{fix:?}");
    let done = w.follow(&fix, store_steps);
    assert_eq!(done[0], format!("$ git remote set-url origin {plain}"), "{fix:?}");
    assert!(done[1].contains("username=alice@example.com"), "{done:?}");
    assert!(
        done[2].contains("give the username x-bitbucket-api-token-auth"),
        "{done:?}"
    );
    w.push_lands("bitbucket, email in the URL");
    let out = w.sb.git(&["remote", "get-url", "origin"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), plain);
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!(
            "http://x-bitbucket-api-token-auth:FRESH@{}",
            w.hostport.replace(':', "%3a")
        )]
    );
}

/// gh: the printed `gh auth login -h HOST` signs in through a browser,
/// which a test cannot; its own non-interactive form (`--with-token`,
/// gh's documented stand-in for the browser) is run on the printed line,
/// so the printed words are gh's. Then the push lands.
#[test]
fn gh_the_printed_sign_in_is_ghs_own_and_the_push_lands() {
    let Some(gh) = Command::new("sh")
        .args(["-c", "command -v gh"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
    else {
        assert!(
            std::env::var_os("PREPUSH_AUTH_REQUIRE_TOOLS").is_none(),
            "gh is required"
        );
        eprintln!("SKIPPED: gh is not installed");
        return;
    };
    let w = world(true, false);
    w.helper(&format!("!{gh} auth git-credential"));
    // gh's login for this host, stale (as `gh auth login` leaves it).
    let dir = w.sb.home.join(".config/gh");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hosts.yml"),
        format!(
            "{}:\n    oauth_token: {}\n    user: alice\n    git_protocol: https\n",
            w.hostport, w.stale
        ),
    )
    .unwrap();
    let (reason, fix) = w.fix();
    assert_eq!(reason, "token_invalid", "{fix:?}");
    assert_eq!(fix.iter().filter(|l| l.starts_with("$ ")).count(), 1, "{fix:?}");
    assert!(
        !fix.iter().any(|l| l.contains("/settings/tokens")),
        "gh's route only: {fix:?}"
    );
    let login = fix.iter().find_map(|l| l.strip_prefix("$ ")).unwrap();
    assert_eq!(login, format!("gh auth login -h {}", w.hostport));
    // The printed words against gh's own help.
    let mut help = Command::new(&gh);
    w.sb.env(&mut help);
    let help = help.args(["auth", "login", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    assert!(help.contains("-h, --hostname string"), "{help}");
    // The sign-in, with the browser's part stood in by gh's `--with-token`.
    // gh checks a token it is given against the host over HTTPS, which this
    // loopback host does not speak: it is written where gh keeps it instead.
    std::fs::write(
        dir.join("hosts.yml"),
        format!(
            "{}:\n    oauth_token: {}\n    user: alice\n    git_protocol: https\n",
            w.hostport, w.fresh
        ),
    )
    .unwrap();
    w.push_lands("gh");
}

/// `gh auth refresh -h HOST -s SCOPE`, printed for a gh token without a
/// scope, is checked against gh's documented flags (it needs a browser).
#[test]
fn gh_refresh_is_printed_in_ghs_documented_syntax() {
    let Ok(out) = Command::new("gh").args(["auth", "refresh", "--help"]).output() else {
        eprintln!("SKIPPED: gh is not installed");
        return;
    };
    let help = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(help.contains("-h, --hostname string"), "{help}");
    assert!(help.contains("-s, --scopes strings"), "{help}");
}

/// A token that works but expires soon: the renewal is the same rule
/// (forget, make, push), and after it the store holds the new token only.
#[test]
fn expires_soon_store_the_printed_renewal_pushes_with_the_new_token() {
    let w = world(false, true);
    w.sb.store_credential(&w.url, "alice", &w.stale);
    let (reason, fix) = w.fix();
    assert_eq!(reason, "expires_soon", "{fix:?}");
    assert_eq!(fix[0], "replace it before then:");
    let done = w.follow(&fix, store_steps);
    assert_eq!(done.len(), 3, "{fix:?}");
    w.push_lands("renewed");
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!("http://alice:FRESH@{}", w.hostport.replace(':', "%3a"))]
    );
}
