#![allow(clippy::pedantic)]
//! Every printed fix, followed literally (helpers.rs, "The rule for fixes";
//! README "Fixes"): the `fix` lines of `check --format json` are taken top to
//! bottom; each `$ ` line is run with `sh` exactly as printed; the steps a
//! person does by hand stand in as they would happen ("create …: PAGE" is
//! checked to be the host's token page, then is a fresh token this loopback
//! host accepts; "when git asks, give …" is what git stores after a push
//! where it asked; "add the scope on its page" gives the same token the
//! scope). Then a real `git push` must land, made with the new token. Every
//! reason a loopback host produces (GitHub, GitLab, Gitea, Azure DevOps,
//! Hugging Face, Bitbucket Cloud, each with `git http-backend` behind it) on
//! every helper kind the suite can run: store, cache, netrc (git's own
//! contrib helper), a shell function, a URL credential, gh (Debian's gh,
//! its browser steps checked against its help and stood in).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

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
    /// What the emulated GitHub knows, changed as a settings page would.
    tokens: Arc<Mutex<Vec<Tok>>>,
    /// The host's page for a new token, scopes prefilled, as the fix must
    /// print it.
    page: String,
    /// The username git stores with the new token (the one the fix names,
    /// else the one typed: alice).
    new_user: &'static str,
    /// The username git holds with the stale (or kept) token.
    old_user: &'static str,
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
    let mut accept = vec![fresh.clone()];
    let mut tokens = vec![tok(&fresh, Some("repo, workflow"))];
    if expiring {
        accept.push(stale.clone());
        let mut t = tok(&stale, Some("repo, workflow"));
        t.expiration = Some(
            (chrono::Utc::now() + chrono::Duration::days(3))
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        );
        tokens.push(t);
    }
    github_world_of(tls, tokens, &accept, REPO_JSON, stale, fresh)
}

/// An emulated GitHub knowing `tokens`, whose git endpoint takes `accept`
/// under any username.
fn github_world_of(
    tls: bool,
    tokens: Vec<Tok>,
    accept: &[String],
    repo_json: &'static str,
    stale: String,
    fresh: String,
) -> World {
    github_world_before(FakeHost::builder(), tls, tokens, accept, repo_json, stale, fresh)
}

/// [`github_world_of`] with `first`'s routes answering before GitHub's.
fn github_world_before(
    first: HostBuilder,
    tls: bool,
    tokens: Vec<Tok>,
    accept: &[String],
    repo_json: &'static str,
    stale: String,
    fresh: String,
) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = accept.iter().map(|t| ("*", t.as_str())).collect();
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let bare = root.join("acme/widgets.git");
    let tokens = Arc::new(Mutex::new(tokens));
    let host = github_routes(first, tokens.clone(), repo_json, true)
        .route_fn(workflow_rule_of(tokens.clone(), bare.clone()))
        .git(backend)
        .start();
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
    sb.secrets
        .lock()
        .unwrap()
        .extend([stale.clone(), fresh.clone()].into_iter().filter(|s| !s.is_empty()));
    World {
        hostport,
        sb,
        _host: host,
        _front: front,
        bare,
        page: format!(
            "{}/settings/tokens/new?scopes=repo,workflow&description=prepush-auth",
            url.strip_suffix(REPO_PATH).unwrap()
        ),
        url,
        stale,
        fresh,
        tokens,
        new_user: "alice",
        old_user: "alice",
    }
}

/// GitHub's own workflow rule, on the server: a push that creates or
/// updates a file under `.github/workflows/` from a token without the
/// `workflow` scope is refused after the pack arrived (PROVIDERS.md). The
/// pushing token's scopes are written beside the bare repository for its
/// `pre-receive` hook, which refuses in GitHub's words.
fn workflow_rule_of(
    tokens: Arc<Mutex<Vec<Tok>>>,
    bare: PathBuf,
) -> impl Fn(&Recorded) -> Option<Reply> + Send + Sync + 'static {
    move |r| {
        if r.method == "POST" && r.path.ends_with("/git-receive-pack") {
            let pass = basic_credentials(r).map(|(_, p)| p);
            let scopes = tokens
                .lock()
                .unwrap()
                .iter()
                .find(|t| Some(&t.secret) == pass.as_ref())
                .and_then(|t| t.scopes)
                .unwrap_or("");
            std::fs::write(bare.join("pusher-scopes"), scopes).unwrap();
            if !bare.join("hooks/pre-receive").exists() {
                write_executable(&bare.join("hooks/pre-receive"), PRE_RECEIVE.as_bytes());
            }
        }
        None
    }
}

const PRE_RECEIVE: &str = r#"#!/bin/sh
case ", $(cat pusher-scopes), " in *", workflow, "*) exit 0 ;; esac
while read old new ref; do
    case $old in 0000000000000000000000000000000000000000) range=$new ;; *) range=$old..$new ;; esac
    f=$(git log --format= --name-only "$range" -- .github/workflows | head -n 1)
    if [ -n "$f" ]; then
        echo "refusing to allow a Personal Access Token to create or update workflow \`$f\` without \`workflow\` scope" >&2
        exit 1
    fi
done
"#;

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

    /// The reason `check` gives now, and its fix (none when all is well).
    fn fix_or_none(&self) -> (String, Vec<String>) {
        let run = self.sb.run(&["check", "--format", "json", "--no-cache"]);
        let c = run.check();
        let fix = c["fix"]
            .as_array()
            .map(|a| a.iter().map(|l| l.as_str().unwrap().to_owned()).collect())
            .unwrap_or_default();
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
        // With the new token: a token that still works (expires soon) must
        // not be what pushed.
        let pack = self
            ._host
            .requests()
            .into_iter()
            .rfind(|r| r.method == "POST" && r.path.ends_with("/git-receive-pack"))
            .expect("the pack went to the host");
        assert!(
            presented(&pack) == Some(self.fresh.clone()),
            "{what}: the push did not use the new token"
        );
    }
}

/// The hand steps of a helper git stores into: "create a new token" makes
/// the fresh one; "push: when git asks, give the username X …" is git
/// storing what was typed (X, else alice).
fn store_steps(w: &World, line: &str) -> bool {
    // "create a new token: PAGE", or the host's own words for its kind of
    // token ("create a personal access token with write_repository: PAGE").
    if line.starts_with("create ") {
        let page = line.rsplit_once(": ").map(|(_, p)| p);
        assert_eq!(page, Some(w.page.as_str()), "the host's token page: {line}");
        return true;
    }
    // No credential yet: git asks at the push and its helper keeps what
    // was typed (a token the host accepts).
    if line.starts_with("push once from a terminal and enter a token when git asks") {
        w.approve("alice", &w.fresh);
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
    let w = bitbucket_email_world();
    w.sb.store_credential(&w.url, w.old_user, &w.fresh);
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
        tokens: Arc::default(),
        page: String::new(),
        new_user: "x-bitbucket-api-token-auth",
        old_user: "alice@example.com",
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

/// Debian's gh, when installed (required under PREPUSH_AUTH_REQUIRE_TOOLS).
fn gh_path() -> Option<String> {
    let gh = Command::new("sh")
        .args(["-c", "command -v gh"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if gh.is_none() {
        assert!(
            std::env::var_os("PREPUSH_AUTH_REQUIRE_TOOLS").is_none(),
            "gh is required"
        );
        eprintln!("SKIPPED: gh is not installed");
    }
    gh
}

/// gh's login for this host holds `token` (as `gh auth login` leaves it).
fn gh_holds(w: &World, token: &str) {
    let dir = w.sb.home.join(".config/gh");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("hosts.yml"),
        format!(
            "{}:\n    oauth_token: {token}\n    user: alice\n    git_protocol: https\n",
            w.hostport
        ),
    )
    .unwrap();
}

/// gh as git's helper, holding the world's held token; `reason`'s fix is
/// gh's own one command (`command`, checked against gh's own help for
/// each flag in `flags`), never a token page. The command needs a browser:
/// `stand_in` does what it does (a new login, or the same token with a
/// scope more), then the push lands.
fn gh_follows(w: &World, gh: &str, reason: &str, command: &str, flags: &[&str], stand_in: impl Fn(&World)) {
    w.helper(&format!("!{gh} auth git-credential"));
    gh_holds(w, Place::held(w));
    let (got, fix) = w.fix();
    assert_eq!(got, reason, "{fix:?}");
    assert_eq!(fix.iter().filter(|l| l.starts_with("$ ")).count(), 1, "{fix:?}");
    assert!(
        !fix.iter().any(|l| l.contains("/settings/tokens")),
        "gh's route only: {fix:?}"
    );
    let printed = fix.iter().find_map(|l| l.strip_prefix("$ ")).unwrap();
    assert_eq!(printed, command, "{fix:?}");
    // The printed words against gh's own help.
    let sub: Vec<&str> = command.split(' ').skip(1).take(2).collect();
    let mut help = Command::new(gh);
    w.sb.env(&mut help);
    let help = help.args(&sub).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned() + &String::from_utf8_lossy(&help.stderr);
    for flag in flags {
        assert!(help.contains(flag), "{flag}: {help}");
    }
    stand_in(w);
    w.push_lands(&format!("gh {reason}"));
}

/// gh: the printed `gh auth login -h HOST` signs in through a browser,
/// which a test cannot. gh checks a token it is given (`--with-token`)
/// against the host over HTTPS, which this loopback host does not speak:
/// the new login is written where gh keeps it instead. Then the push
/// lands, for every reason whose fix is a new login.
#[test]
fn gh_the_printed_sign_in_is_ghs_own_and_the_push_lands() {
    let Some(gh) = gh_path() else { return };
    let login = |w: &World| gh_holds(w, &w.fresh);
    for (reason, w) in [
        ("token_invalid", world(true, false)),
        ("expires_soon", world(true, true)),
    ] {
        let command = format!("gh auth login -h {}", w.hostport);
        gh_follows(&w, &gh, reason, &command, &["-h, --hostname string"], login);
    }
}

/// gh: a token without a scope gets `gh auth refresh -h HOST -s SCOPE`
/// (a browser): stood in by the scope added to gh's token.
#[test]
fn gh_the_printed_refresh_adds_the_scope_and_the_push_lands() {
    let Some(gh) = gh_path() else { return };
    let token = classic_token("ghnarrowghnarrowghnarrowghnarr");
    let w = github_world_of(
        true,
        vec![tok(&token, Some("read:org"))],
        std::slice::from_ref(&token),
        PUBLIC_REPO_JSON,
        String::new(),
        token.clone(),
    );
    let command = format!("gh auth refresh -h {} -s repo", w.hostport);
    let flags = ["-h, --hostname string", "-s, --scopes strings"];
    gh_follows(&w, &gh, "missing_write_scope", &command, &flags, |w| {
        w.set_scopes(&w.fresh, "read:org, repo")
    });
    let w = github_world_of(
        true,
        vec![tok(&token, Some("repo"))],
        std::slice::from_ref(&token),
        REPO_JSON,
        String::new(),
        token.clone(),
    );
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", ".github"]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let command = format!("gh auth refresh -h {} -s workflow", w.hostport);
    gh_follows(&w, &gh, "missing_workflow_scope", &command, &flags, |w| {
        w.set_scopes(&w.fresh, "repo, workflow")
    });
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

impl World {
    /// `git push` refused by the host, in the host's `words`.
    fn push_refused(&self, words: &str) {
        let (out, err) = self.sb.push_main();
        assert!(!out.status.success(), "the push before the fix landed");
        assert!(err.contains(words), "{err}");
    }

    /// The emulated GitHub's token page: the token keeps its secret and now
    /// has `scopes`.
    fn set_scopes(&self, secret: &str, scopes: &'static str) {
        for t in self.tokens.lock().unwrap().iter_mut() {
            if t.secret == secret {
                t.scopes = Some(scopes);
            }
        }
    }
}

/// The hand step of a scope fix for a token git keeps: "add the SCOPE scope
/// to this token on its page (the token stays the same): PAGE", done on the
/// emulated host's page (GitHub keeps a classic token's secret when its
/// scopes are edited).
fn scope_step(scope: &'static str, scopes_after: &'static str) -> impl FnMut(&World, &str) -> bool {
    move |w, line| {
        let Some(page) = line.strip_prefix(&format!(
            "add the {scope} scope to this token on its page (the token stays the same): "
        )) else {
            return false;
        };
        assert_eq!(page, format!("http://{}/settings/tokens", w.hostport), "{line}");
        w.set_scopes(&w.fresh, scopes_after);
        true
    }
}

/// A public repository: a classic token needs `public_repo` or `repo` to
/// push to it.
const PUBLIC_REPO_JSON: &str = r#"{"id":1,"name":"widgets","full_name":"acme/widgets","private":false,"archived":false,"permissions":{"admin":false,"maintain":false,"push":true,"triage":true,"pull":true}}"#;

/// A classic token the API accepts, without `repo`: GitHub refuses its
/// push; the printed fix adds the scope on the token's page, the stored
/// credential (the same token) is kept, and the push lands.
#[test]
fn missing_write_scope_store_the_printed_fix_pushes_with_the_same_token() {
    let token = classic_token("scopeless0scopeless0scopeless0");
    let w = github_world_of(
        false,
        vec![tok(&token, Some("gist, read:org"))],
        std::slice::from_ref(&token),
        PUBLIC_REPO_JSON,
        String::new(),
        token.clone(),
    );
    w.sb.store_credential(&w.url, "alice", &token);
    w.push_refused("Permission to acme/widgets.git denied to alice");
    let (reason, fix) = w.fix();
    assert_eq!(reason, "missing_write_scope", "{fix:?}");
    let done = w.follow(&fix, scope_step("repo", "gist, read:org, repo"));
    assert_eq!(done.len(), 1, "{fix:?}");
    assert_eq!(fix.last().map(String::as_str), Some("push again"), "{fix:?}");
    w.push_lands("scope added");
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!("http://alice:FRESH@{}", w.hostport.replace(':', "%3a"))]
    );
}

/// An unpushed commit that changes `.github/workflows/` and a token with
/// `repo` but not `workflow`: GitHub refuses the push after the upload;
/// `check` says so first, naming the commit; the printed fix adds the
/// scope, and the push, workflow file included, lands.
#[test]
fn missing_workflow_scope_store_the_printed_fix_pushes_the_workflow() {
    let token = classic_token("repoonly0repoonly0repoonly0rep");
    let w = github_world_of(
        false,
        vec![tok(&token, Some("repo"))],
        std::slice::from_ref(&token),
        REPO_JSON,
        String::new(),
        token.clone(),
    );
    w.sb.store_credential(&w.url, "alice", &token);
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", ".github"]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let commit = String::from_utf8(w.sb.git(&["rev-parse", "--short", "HEAD"]).stdout).unwrap();
    w.push_refused("without `workflow` scope");
    let run = w.sb.run(&["check", "--format", "json", "--no-cache"]);
    let message = run.check()["message"].as_str().unwrap().to_owned();
    assert!(message.contains(commit.trim()), "names the commit: {message}");
    let (reason, fix) = w.fix();
    assert_eq!(reason, "missing_workflow_scope", "{fix:?}");
    let done = w.follow(&fix, scope_step("workflow", "repo, workflow"));
    assert_eq!(done.len(), 1, "{fix:?}");
    w.push_lands("workflow scope added");
    let ci = Command::new("git")
        .arg("--git-dir")
        .arg(&w.bare)
        .args(["cat-file", "-e", "main:.github/workflows/ci.yml"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(ci.success(), "the workflow file was pushed");
    assert_eq!(
        stored_lines(&w, &w.sb.home.join(".git-credentials")),
        [format!("http://alice:FRESH@{}", w.hostport.replace(':', "%3a"))]
    );
}

/// A host of the suite besides GitHub, emulated as its own test file does
/// for the stale credential (its recorded refusals), with git's own
/// `git http-backend` behind it taking the fresh one.
struct Host {
    provider: &'static str,
    /// The API root's path, for `[hosts]`.
    api: &'static str,
    /// The repository's path in its URL.
    repo: &'static str,
    /// The usernames the git endpoint takes with the fresh token (`*`: any).
    users: &'static [&'static str],
    /// The token page the fix must print, after the host's origin.
    page: &'static str,
}

/// `host` emulated: the stale credential gets `refuse(request)` on every
/// path, anything else goes to git's backend (which asks for Basic first).
fn host_world(
    host: &Host,
    stale: &str,
    fresh: &str,
    refuse: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let name = host.repo.trim_start_matches('/');
    let accept: Vec<(&str, &str)> = host.users.iter().map(|u| (*u, fresh)).collect();
    let backend = GitBackend::new(root.clone(), name, &accept);
    let stale_secret = stale.to_owned();
    let fake = FakeHost::builder()
        .route_fn(move |r| (presented(r).as_deref() == Some(stale_secret.as_str())).then(|| refuse(r)))
        .git(backend)
        .start();
    sb.use_host(&fake, host.provider, host.api);
    let url = fake.url(host.repo);
    sb.init_repo(&url);
    sb.secrets
        .lock()
        .unwrap()
        .extend([stale, fresh].into_iter().filter(|s| !s.is_empty()).map(str::to_owned));
    World {
        hostport: format!("127.0.0.1:{}", fake.port),
        page: if host.page.starts_with("https://") {
            host.page.to_owned()
        } else {
            format!("{}{}", fake.url(""), host.page)
        },
        sb,
        _host: fake,
        _front: None,
        bare: root.join(name),
        url,
        stale: stale.to_owned(),
        fresh: fresh.to_owned(),
        tokens: Arc::default(),
        new_user: host.users.iter().find(|u| **u != "*").copied().unwrap_or("alice"),
        old_user: "alice",
    }
}

/// The store's fix for a refused token, followed: forget (naming the
/// username), make (the host's page), push giving what the fix names; the
/// store then holds the new token only, under `user_after`.
fn store_fix_lands(w: &World, stored_user: &str, reason: &str, user_after: &str) -> Vec<String> {
    w.sb.store_credential(&w.url, stored_user, &w.stale);
    let (got, fix) = w.fix();
    assert_eq!(got, reason, "{fix:?}");
    let done = w.follow(&fix, store_steps);
    assert_eq!(done.len(), 3, "{fix:?}");
    assert!(
        done[0].starts_with("$ printf") && done[0].contains(&format!("username={stored_user}")),
        "{done:?}"
    );
    assert!(done[1].starts_with("create "), "{done:?}");
    assert!(done[2].starts_with("push: when git asks"), "{done:?}");
    w.push_lands(w.sb.home.to_str().unwrap());
    assert_eq!(
        stored_lines(w, &w.sb.home.join(".git-credentials")),
        [format!(
            "http://{}:FRESH@{}",
            user_after.replace('@', "%40"),
            w.hostport.replace(':', "%3a")
        )]
    );
    fix
}

const GITLAB: Host = Host {
    provider: "gitlab",
    api: "/api/v4",
    repo: "/acme/widgets.git",
    users: &["*"],
    page: "/-/user_settings/personal_access_tokens?name=prepush-auth&scopes=write_repository,read_repository",
};

/// GitLab's answers to a token it refuses: `api` on its API (the token's
/// own state, `personal_access_tokens/self`), the recorded Basic refusal
/// on git's endpoint.
fn gitlab_refuses(api: &'static str) -> impl Fn(&Recorded) -> Reply + Send + Sync + 'static {
    move |r| {
        if r.path.starts_with("/api/v4/") {
            fixture(api)
        } else {
            fixture("gitlab/probe-unauthorized.http")
        }
    }
}

fn gitlab_world(refusal: &'static str) -> World {
    host_world(
        &GITLAB,
        &format!("glpat-{}", "s".repeat(20)),
        &format!("glpat-{}", "f".repeat(20)),
        gitlab_refuses(refusal),
    )
}

#[test]
fn gitlab_token_invalid_store_the_printed_fix_pushes() {
    store_fix_lands(
        &gitlab_world("gitlab/unauthorized.http"),
        "alice",
        "token_invalid",
        "alice",
    );
}

#[test]
fn gitlab_token_expired_store_the_printed_fix_pushes() {
    store_fix_lands(
        &gitlab_world("gitlab/token-expired.http"),
        "alice",
        "token_expired",
        "alice",
    );
}

#[test]
fn gitlab_token_revoked_store_the_printed_fix_pushes() {
    store_fix_lands(
        &gitlab_world("gitlab/token-revoked.http"),
        "alice",
        "token_revoked",
        "alice",
    );
}

const GITEA: Host = Host {
    provider: "gitea",
    api: "/api/v1",
    repo: "/acme/widgets.git",
    users: &["*"],
    page: "/user/settings/applications",
};

fn gitea_world() -> World {
    host_world(&GITEA, &"5".repeat(40), &"f".repeat(40), |r| {
        if r.path.starts_with("/api/v1/") {
            fixture("gitea/api-401-invalid-credentials.http")
        } else {
            fixture("gitea/probe-401-verify.http")
        }
    })
}

#[test]
fn gitea_token_invalid_store_the_printed_fix_pushes() {
    store_fix_lands(&gitea_world(), "alice", "token_invalid", "alice");
}

const AZURE: Host = Host {
    provider: "azure-devops",
    api: "/acme",
    repo: "/acme/Widgets/_git/widgets",
    users: &["*"],
    page: "/acme/_usersSettings/tokens",
};

fn azure_world() -> World {
    host_world(&AZURE, &"s".repeat(52), &"f".repeat(52), |r| {
        if r.path.contains("/_apis/") {
            fixture("azure-devops/rest-203-sign-in.http")
        } else {
            fixture("azure-devops/rest-401-pat.http")
        }
    })
}

#[test]
fn azure_devops_token_invalid_store_the_printed_fix_pushes() {
    // Azure DevOps ignores the username with a PAT: "your username" is
    // whatever is typed (alice).
    store_fix_lands(&azure_world(), "acme", "token_invalid", "alice");
}

fn hub_world() -> World {
    let hub = Host {
        provider: "huggingface",
        api: "",
        repo: "/acme/widget-model",
        users: &["*"],
        page: "/settings/tokens/new?tokenType=write",
    };
    host_world(
        &hub,
        &format!("hf_{}", "s".repeat(34)),
        &format!("hf_{}", "f".repeat(34)),
        |r| {
            if r.path.starts_with("/api/") {
                fixture("huggingface/whoami-invalid-token.http")
            } else {
                Reply::new(401, "").header("Content-Type", "text/plain; charset=utf-8")
            }
        },
    )
}

#[test]
fn hugging_face_token_invalid_store_the_printed_fix_pushes() {
    store_fix_lands(&hub_world(), "alice", "token_invalid", "alice");
}

const BITBUCKET: Host = Host {
    provider: "bitbucket",
    api: "/2.0",
    repo: "/acme/widgets.git",
    users: &["x-bitbucket-api-token-auth"],
    page: "https://id.atlassian.com/manage-profile/security/api-tokens",
};

fn bitbucket_api_token(seed: &str) -> String {
    format!("ATATT3xFfGF0{}=1A2B3C4D", seed.repeat(170 / seed.len()))
}

/// Bitbucket Cloud: the stale credential gets `probe` on git's endpoint
/// and REST's 401.
fn bitbucket_world(stale: &str, probe: &'static str) -> World {
    host_world(&BITBUCKET, stale, &bitbucket_api_token("fresh"), move |r| {
        if r.path.starts_with("/2.0/") {
            Reply::json(401, r#"{"type":"error","error":{"message":"Unauthorized"}}"#)
        } else {
            fixture(probe)
        }
    })
}

#[test]
fn bitbucket_token_invalid_store_the_printed_fix_pushes() {
    let w = bitbucket_world(&bitbucket_api_token("stale"), "bitbucket/probe-401-api-token.http");
    let fix = store_fix_lands(
        &w,
        "x-bitbucket-api-token-auth",
        "token_invalid",
        "x-bitbucket-api-token-auth",
    );
    assert!(
        fix.iter()
            .any(|l| l.contains("read:repository:bitbucket and write:repository:bitbucket")),
        "the scopes git needs: {fix:?}"
    );
}

/// GitHub answers an expired token as any unknown one (401 "Bad
/// credentials"); the expiry it announced while the token worked names the
/// cause once a check has remembered it. The stale token here is announced
/// to expire, and dies, `secs` seconds from now.
fn expiring_world(secs: i64) -> (World, chrono::DateTime<chrono::Utc>) {
    let stale = classic_token("expiredexpiredexpiredexpiredex");
    let fresh = classic_token("freshfreshfreshfreshfreshfresh");
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(secs);
    let mut t = tok(&stale, Some("repo, workflow"));
    t.expiration = Some(expiry.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    t.dies_at = Some(std::time::SystemTime::from(expiry));
    let w = github_world_of(
        false,
        vec![t, tok(&fresh, Some("repo, workflow"))],
        std::slice::from_ref(&fresh),
        REPO_JSON,
        stale,
        fresh.clone(),
    );
    (w, expiry)
}

/// The first check, while the token works: the host announces its expiry.
fn remember_the_expiry(w: &World) {
    let first = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(first["reason"], "expires_soon", "{}", first["message"]);
}

/// Until `expiry` (whole seconds in the header) has passed.
fn wait_until(expiry: chrono::DateTime<chrono::Utc>) {
    let left = (expiry - chrono::Utc::now()).num_milliseconds() + 1200;
    if left > 0 {
        std::thread::sleep(std::time::Duration::from_millis(left as u64));
    }
}

/// An app password, which Bitbucket now refuses with 410 Gone: the fix is
/// an API token (Atlassian's page, its scopes named) under the username
/// git needs with it, and the push lands with it.
/// A good API token held under the account's email address, which git's
/// Basic login never takes (Bitbucket wants the username or
/// x-bitbucket-api-token-auth): a block without any request.
fn bitbucket_email_world() -> World {
    let mut w = host_world(&BITBUCKET, "", &bitbucket_api_token("fixrun"), |_| {
        unreachable!("the email address is refused without a request")
    });
    w.old_user = "alice@example.com";
    w
}

const APP_PASSWORD: &str = "ATBBaBcDeFgHiJkLmNoPqRsTuVwXyZ012345";

#[test]
fn bitbucket_credential_retired_store_the_printed_fix_pushes() {
    let w = bitbucket_world(APP_PASSWORD, "bitbucket/probe-410-app-password.http");
    store_fix_lands(&w, "alice", "credential_retired", "x-bitbucket-api-token-auth");
}

// ---------------------------------------------------------------- every reason × every helper

/// The helpers (besides gh, whose routes need a browser) where git can get
/// a token from, each with the token put where it reads it and the hand
/// steps of its fixes stood in.
#[derive(Clone, Copy, Debug)]
enum Place {
    Store,
    Cache,
    Netrc,
    Shell,
    Url,
}

const PLACES: [Place; 5] = [Place::Store, Place::Cache, Place::Netrc, Place::Shell, Place::Url];

impl Place {
    /// The token this world's helper gives git now: the stale one, or, when
    /// the same token is kept (a scope added), the only one.
    fn held(w: &World) -> &str {
        if w.stale.is_empty() { &w.fresh } else { &w.stale }
    }

    /// Puts the held token where this helper gives it to git (user alice).
    /// False when the helper is not installed on this machine.
    fn hold(self, w: &World) -> bool {
        let secret = Self::held(w);
        match self {
            Place::Store => w.sb.store_credential(&w.url, w.old_user, secret),
            Place::Cache => {
                let dir = w.sb.dir.path().join("cache");
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
                w.helper(&format!("cache --socket {}", dir.join("socket").display()));
                w.approve(w.old_user, secret);
            }
            Place::Netrc => {
                if !netrc_helper(w) {
                    return false;
                }
                w.helper("netrc");
                self.write(w, w.old_user, secret);
            }
            Place::Shell => {
                let file = w.sb.home.join("token");
                w.helper(&format!(
                    "!f() {{ test \"$1\" = get || return 0; echo \"username=$(cat '{0}.user')\"; echo \"password=$(cat '{0}')\"; }}; f",
                    file.display()
                ));
                self.write(w, w.old_user, secret);
            }
            Place::Url => {
                let user = w.old_user.replace('@', "%40");
                let with_token = w.url.replace("http://", &format!("http://{user}:{secret}@"));
                w.sb.git(&["remote", "set-url", "origin", &with_token]);
            }
        }
        true
    }

    /// The files a reading-only helper reads, rewritten with `user` and
    /// `secret`.
    fn write(self, w: &World, user: &str, secret: &str) {
        match self {
            Place::Netrc => {
                let netrc = w.sb.home.join(".netrc");
                let port = w.hostport.rsplit(':').next().unwrap();
                std::fs::write(
                    &netrc,
                    format!("machine 127.0.0.1 port {port} login {user} password {secret}\n"),
                )
                .unwrap();
                std::fs::set_permissions(&netrc, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
            }
            Place::Shell => {
                std::fs::write(w.sb.home.join("token.user"), user).unwrap();
                std::fs::write(w.sb.home.join("token"), secret).unwrap();
            }
            _ => unreachable!(),
        }
    }

    /// This helper's hand steps: the token page, and where the new token
    /// goes (git stores it after the push, or the file is edited).
    fn by_hand(self, w: &World, line: &str) -> bool {
        match self {
            Place::Netrc if line.starts_with("in ~/.netrc (or ~/.authinfo, or their .gpg), set the ") => {
                // "set the password for HOST to the new token", or "set the
                // login for HOST to USER and the password to the new token".
                let login = format!("set the login for {} to ", w.hostport);
                let user = line.split_once(&login).map(|(_, r)| r.split(' ').next().unwrap());
                assert!(
                    user.is_some() || line.contains(&format!("set the password for {} to the new token", w.hostport)),
                    "{line}"
                );
                self.write(w, user.unwrap_or("alice"), &w.fresh);
                true
            }
            Place::Shell if line.starts_with("put the new token where that shell-function helper reads it") => {
                self.write(w, "alice", &w.fresh);
                true
            }
            Place::Shell if line.starts_with("make that shell-function helper answer the username ") => {
                let rest = line
                    .strip_prefix("make that shell-function helper answer the username ")
                    .unwrap();
                // "… and the new token", or the same token under the username.
                let secret = if rest.contains(" and the new token") {
                    &w.fresh
                } else {
                    Self::held(w)
                };
                self.write(w, rest.split(' ').next().unwrap(), secret);
                true
            }
            _ => store_steps(w, line),
        }
    }

    /// After the push: the store holds the new token only; the cache's
    /// daemon is stopped.
    fn after(self, w: &World) {
        match self {
            Place::Store => assert_eq!(
                stored_lines(w, &w.sb.home.join(".git-credentials")),
                [format!(
                    "http://{}:FRESH@{}",
                    // git's store percent-encodes what a URL's user cannot hold.
                    w.new_user.replace('@', "%40").replace('+', "%2b"),
                    w.hostport.replace(':', "%3a")
                )]
            ),
            Place::Cache => {
                let socket = w.sb.dir.path().join("cache/socket");
                let mut cmd = Command::new("git");
                w.sb.env(&mut cmd);
                let _ = cmd
                    .args(["credential-cache", "--socket", socket.to_str().unwrap(), "exit"])
                    .stdin(Stdio::null())
                    .output();
            }
            // The token is out of the URL when the fix replaced it.
            Place::Url if !w.stale.is_empty() => {
                let remote = w.sb.git(&["remote", "get-url", "origin"]);
                assert_eq!(String::from_utf8_lossy(&remote.stdout).trim(), w.url);
            }
            _ => {}
        }
    }
}

/// `reason`'s printed fix in world `w` for `place`, followed (the hand
/// steps by `extra` first, then the place's), then a push that lands.
/// `held`: the token was put in place already.
fn follow_and_push(w: &World, place: Place, reason: &str, mut extra: impl FnMut(&World, &str) -> bool) {
    let (got, fix) = w.fix();
    assert_eq!(got, reason, "{place:?}: {fix:?}");
    let done = w.follow(&fix, |w, line| extra(w, line) || place.by_hand(w, line));
    assert!(
        done.iter().any(|l| !l.starts_with("$ ")),
        "{place:?}: no hand step was followed: {fix:?}"
    );
    w.push_lands(&format!("{reason} {place:?}"));
    // Where the emulated host knows the new token (GitHub's), `check` then
    // says what the push showed.
    if !w.tokens.lock().unwrap().is_empty() {
        let (after, fix) = w.fix_or_none();
        assert_eq!(after, "ok", "{reason} {place:?}: check after the fix: {fix:?}");
    }
    place.after(w);
}

/// Every place, for a reason whose world is made by `world`.
fn every_place(reason: &str, world: impl Fn() -> World, extra: impl Fn(&World, &str) -> bool) {
    for place in PLACES {
        let w = world();
        if !place.hold(&w) {
            continue;
        }
        follow_and_push(&w, place, reason, &extra);
    }
}

fn nothing_more(_: &World, _: &str) -> bool {
    false
}

#[test]
fn token_invalid_every_helper_the_printed_fix_pushes() {
    every_place("token_invalid", github_world, nothing_more);
}

#[test]
fn expires_soon_every_helper_the_printed_renewal_pushes() {
    every_place("expires_soon", || world(false, true), nothing_more);
}

#[test]
fn missing_write_scope_every_helper_the_printed_fix_pushes() {
    let token = classic_token("scopeless0scopeless0scopeless0");
    let make = || {
        github_world_of(
            false,
            vec![tok(&token, Some("gist, read:org"))],
            std::slice::from_ref(&token),
            PUBLIC_REPO_JSON,
            String::new(),
            token.clone(),
        )
    };
    let mut step = scope_step("repo", "gist, read:org, repo");
    let step = std::cell::RefCell::new(&mut step);
    every_place("missing_write_scope", make, |w, l| (step.borrow_mut())(w, l));
}

#[test]
fn missing_workflow_scope_every_helper_the_printed_fix_pushes() {
    let token = classic_token("repoonly0repoonly0repoonly0rep");
    let make = || {
        let w = github_world_of(
            false,
            vec![tok(&token, Some("repo"))],
            std::slice::from_ref(&token),
            REPO_JSON,
            String::new(),
            token.clone(),
        );
        std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
        std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
        w.sb.git(&["add", ".github"]);
        w.sb.git(&["commit", "-qm", "add CI"]);
        w
    };
    let mut step = scope_step("workflow", "repo, workflow");
    let step = std::cell::RefCell::new(&mut step);
    every_place("missing_workflow_scope", make, |w, l| (step.borrow_mut())(w, l));
}

/// One wait for all: each world's token is announced to die a few seconds
/// after it is made, its first check remembers that, then all are followed.
#[test]
fn token_expired_every_helper_the_printed_fix_pushes() {
    let mut worlds = Vec::new();
    for place in PLACES {
        // Time for the world and its first check on a loaded machine.
        let (w, expiry) = expiring_world(10);
        if !place.hold(&w) {
            continue;
        }
        remember_the_expiry(&w);
        worlds.push((place, w, expiry));
    }
    wait_until(worlds.iter().map(|(_, _, e)| *e).max().unwrap());
    for (place, w, _) in &worlds {
        follow_and_push(w, *place, "token_expired", nothing_more);
    }
}

/// The other hosts' refused token, on every helper: each fix is the same
/// rule with the host's own token page and username.
#[test]
fn other_hosts_token_invalid_every_helper_the_printed_fix_pushes() {
    let bitbucket = || bitbucket_world(&bitbucket_api_token("stale"), "bitbucket/probe-401-api-token.http");
    let gitlab = || gitlab_world("gitlab/unauthorized.http");
    let hosts: [&dyn Fn() -> World; 5] = [&gitlab, &gitea_world, &azure_world, &hub_world, &bitbucket];
    for world in hosts {
        every_place("token_invalid", world, nothing_more);
    }
}

/// GitLab's expired and revoked tokens, Bitbucket's retired app password,
/// on every helper.
#[test]
fn named_refusals_every_helper_the_printed_fix_pushes() {
    every_place(
        "token_expired",
        || gitlab_world("gitlab/token-expired.http"),
        nothing_more,
    );
    every_place(
        "token_revoked",
        || gitlab_world("gitlab/token-revoked.http"),
        nothing_more,
    );
    every_place(
        "credential_retired",
        || bitbucket_world(APP_PASSWORD, "bitbucket/probe-410-app-password.http"),
        nothing_more,
    );
}

/// The email address as Bitbucket username, on every helper: the fix keeps
/// the token and changes the username where the helper keeps it.
#[test]
fn wrong_username_every_helper_the_printed_fix_pushes() {
    every_place("wrong_username", bitbucket_email_world, nothing_more);
}

/// A token cut short (a checksum that does not match), on every helper.
#[test]
fn token_malformed_every_helper_the_printed_fix_pushes() {
    let make = || {
        let mut w = github_world();
        w.stale.truncate(37);
        w
    };
    every_place("token_malformed", make, nothing_more);
}

/// No credential anywhere: the fix makes one and git stores it at the push.
#[test]
fn no_credential_store_the_printed_fix_pushes() {
    let w = github_world();
    let (reason, fix) = w.fix();
    assert_eq!(reason, "no_credential", "{fix:?}");
    let done = w.follow(&fix, store_steps);
    assert_eq!(done.len(), 1, "{fix:?}");
    w.push_lands("no credential");
    Place::Store.after(&w);
}

// ---------------------------------------------------------------- a token that may not push, on the other hosts

/// `reply` with one text of its body replaced (a role).
fn edited(mut reply: Reply, from: &str, to: &str) -> Reply {
    let body = String::from_utf8(reply.body).unwrap();
    assert!(body.contains(from), "no {from} in {body}");
    reply.body = body.replace(from, to).into_bytes();
    reply
}

/// GitLab: a token with read_repository and read_api only. Its own record
/// names its scopes, the project its role; git's endpoint refuses the
/// upload (`Gitlab::GitAccess`, recorded text).
fn gitlab_read_only_world() -> World {
    host_world(
        &GITLAB,
        &format!("glpat-{}", "o".repeat(20)),
        &format!("glpat-{}", "f".repeat(20)),
        |r| match r.path.as_str() {
            "/api/v4/personal_access_tokens/self" => Reply::json(
                200,
                r#"{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":["read_repository","read_api"],"user_id":24,"last_used_at":null,"active":true,"expires_at":null}"#,
            ),
            "/api/v4/projects/acme%2Fwidgets" => Reply::json(
                200,
                r#"{"id":7,"path_with_namespace":"acme/widgets","archived":false,"permissions":{"project_access":{"access_level":30,"notification_level":3},"group_access":null}}"#,
            ),
            p if p.contains("/info/refs?service=git-receive-pack") => fixture("gitlab/probe-upload-code.http"),
            _ => Reply::json(404, r#"{"message":"404 Not Found"}"#),
        },
    )
}

/// Gitea: a token without any repository scope: REST refuses to read the
/// repository, git's endpoint refuses the push (recorded answers).
fn gitea_no_repository_scope_world() -> World {
    host_world(&GITEA, &"7".repeat(40), &"f".repeat(40), |r| {
        if r.path.starts_with("/api/v1/") {
            fixture("gitea/api-403-no-repository-scope.http")
        } else {
            fixture("gitea/probe-403-forbidden.http")
        }
    })
}

/// Hugging Face: a read token of the repository's owner (whoami-v2 names
/// the role); git's endpoint serves it the advertisement all the same.
fn hub_read_token_world() -> World {
    let hub = Host {
        provider: "huggingface",
        api: "",
        repo: "/alice/widget-model",
        users: &["*"],
        page: "/settings/tokens/new?tokenType=write",
    };
    host_world(
        &hub,
        &format!("hf_{}", "r".repeat(34)),
        &format!("hf_{}", "f".repeat(34)),
        |r| {
            if r.path.starts_with("/api/") {
                edited(
                    fixture("huggingface/whoami-write-token.http"),
                    r#""role":"write""#,
                    r#""role":"read""#,
                )
            } else {
                fixture("huggingface/probe-advertisement-read-token.http")
            }
        },
    )
}

/// Bitbucket Cloud: an API token without both repository scopes.
fn bitbucket_no_scope_world() -> World {
    bitbucket_world(&bitbucket_api_token("sC0p"), "bitbucket/probe-403-no-scope.http")
}

/// Azure DevOps: a PAT that signs in but git refuses without words (no
/// public recording of the Code (Read) answer exists: a 403 without words
/// stands for it, as in tests/azure_devops.rs).
fn azure_no_code_write_world() -> World {
    host_world(&AZURE, &"r".repeat(52), &"f".repeat(52), |r| {
        if r.path.contains("/_apis/connectionData") {
            Reply::json(
                200,
                r#"{"authenticatedUser":{"id":"6c2b1a3e-0000-0000-0000-000000000001","descriptor":"Microsoft.IdentityModel.Claims.ClaimsIdentity;00000000@example.com","subjectDescriptor":"aad.MDAw","providerDisplayName":"Alice Example","isActive":true,"properties":{"Account":{"$type":"System.String","$value":"alice@example.com"}},"resourceVersion":2,"metaTypeId":0},"authorizedUser":{"providerDisplayName":"Alice Example"},"instanceId":"00000000-0000-0000-0000-000000000002","deploymentType":"hosted"}"#,
            )
        } else if r.path.contains("/info/refs?service=git-receive-pack") {
            Reply::new(403, "")
        } else {
            Reply::new(404, "")
        }
    })
}

/// A token the host takes but that may not push, on every other host and
/// every helper: the fix is a new token with the scope, made on the host's
/// page, put where the helper keeps it.
#[test]
fn missing_write_scope_other_hosts_every_helper_the_printed_fix_pushes() {
    let hosts: [&dyn Fn() -> World; 5] = [
        &gitlab_read_only_world,
        &gitea_no_repository_scope_world,
        &hub_read_token_world,
        &bitbucket_no_scope_world,
        &azure_no_code_write_world,
    ];
    for world in hosts {
        every_place("missing_write_scope", world, nothing_more);
    }
}

/// An organization that enforces SAML SSO and a token not yet authorized
/// for it: GitHub's recorded 403 with `X-GitHub-SSO: required; url=…`. The
/// printed fix is that link (a browser page): following it authorizes the
/// token, the same one, and the push lands with it.
#[test]
fn sso_required_every_helper_the_printed_authorization_pushes() {
    let token = classic_token("ssossossossossossossossossosso");
    let authorized = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sso = fixture("github/sso-required.http");
    let link = sso
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("X-GitHub-SSO"))
        .and_then(|(_, v)| v.strip_prefix("required; url="))
        .unwrap()
        .to_owned();
    for place in PLACES {
        authorized.store(false, std::sync::atomic::Ordering::SeqCst);
        let (a, reply) = (authorized.clone(), sso.clone());
        // git's endpoint refuses an unauthorized token too; its words are
        // not recorded here, so a 403 without words stands for them.
        let enforcing = FakeHost::builder().route_fn(move |r| {
            if a.load(std::sync::atomic::Ordering::SeqCst) {
                return None;
            }
            if r.path.starts_with("/api/v3/repos/") {
                return Some(reply.clone());
            }
            r.path
                .contains("/info/refs?service=git-receive-pack")
                .then(|| Reply::new(403, "").header("Content-Type", "text/plain"))
        });
        let w = github_world_before(
            enforcing,
            false,
            vec![tok(&token, Some("repo, workflow"))],
            std::slice::from_ref(&token),
            REPO_JSON,
            String::new(),
            token.clone(),
        );
        if !place.hold(&w) {
            continue;
        }
        if matches!(place, Place::Store) {
            w.push_refused("403");
        }
        let link = link.clone();
        let authorized = authorized.clone();
        follow_and_push(&w, place, "sso_required", move |_, line| {
            let Some(url) = line.strip_prefix("authorize the token (link valid for one hour): ") else {
                return false;
            };
            assert_eq!(url, link, "GitHub's own link");
            authorized.store(true, std::sync::atomic::Ordering::SeqCst);
            true
        });
    }
}

/// GitLab: a working token whose own record says it expires in three days;
/// the renewal is made on GitLab's page and the push uses the new token.
fn gitlab_expiring_world() -> World {
    let expires = (chrono::Utc::now() + chrono::Duration::days(3))
        .format("%Y-%m-%d")
        .to_string();
    host_world(
        &GITLAB,
        &format!("glpat-{}", "x".repeat(20)),
        &format!("glpat-{}", "f".repeat(20)),
        move |r| match r.path.as_str() {
            "/api/v4/personal_access_tokens/self" => Reply::json(
                200,
                &format!(
                    r#"{{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":["api","write_repository"],"user_id":24,"last_used_at":null,"active":true,"expires_at":"{expires}"}}"#
                ),
            ),
            "/api/v4/projects/acme%2Fwidgets" => Reply::json(
                200,
                r#"{"id":7,"path_with_namespace":"acme/widgets","archived":false,"permissions":{"project_access":{"access_level":30,"notification_level":3},"group_access":null}}"#,
            ),
            p if p.contains("/info/refs?service=git-receive-pack") => advertisement(),
            _ => Reply::json(404, r#"{"message":"404 Not Found"}"#),
        },
    )
}

#[test]
fn gitlab_expires_soon_every_helper_the_printed_renewal_pushes() {
    every_place("expires_soon", gitlab_expiring_world, nothing_more);
}

// ---------------------------------------------------------------- an account password where a token belongs

const PASSWORD: &str = "correct-horse-battery-staple";

/// An account password refused where git needs a token, on every host that
/// says so and every helper: the fix is a token from the host's page.
#[test]
fn password_not_token_every_helper_the_printed_fix_pushes() {
    let gitlab = || {
        host_world(
            &GITLAB,
            PASSWORD,
            &format!("glpat-{}", "f".repeat(20)),
            gitlab_refuses("gitlab/unauthorized.http"),
        )
    };
    // A two-factor account's password (recorded answers: the API asks for
    // the one-time code, git's endpoint names two-factor authentication).
    let gitea = || {
        host_world(&GITEA, PASSWORD, &"f".repeat(40), |r| {
            if r.path.starts_with("/api/v1/") {
                fixture("gitea/api-401-invalid-otp.http")
            } else {
                fixture("gitea/probe-401-two-factor.http")
            }
        })
    };
    let bitbucket = || bitbucket_world(PASSWORD, "bitbucket/probe-401-api-token.http");
    let hosts: [&dyn Fn() -> World; 3] = [&gitlab, &gitea, &bitbucket];
    for world in hosts {
        every_place("password_not_token", world, nothing_more);
    }
}

/// A GitLab deploy token stored under `oauth2`: it works only under its
/// own username, which the fix sends the user to read on the project's
/// deploy-token page (`gitlab+deploy-token-N`; here N is 7, as that page
/// would show). The same token, under that username, then pushes.
#[test]
fn gitlab_deploy_token_wrong_username_every_helper_the_printed_fix_pushes() {
    const DEPLOY_USER: &str = "gitlab+deploy-token-7";
    let deploy = Host {
        users: &[DEPLOY_USER],
        ..GITLAB
    };
    for place in PLACES {
        let mut w = host_world(&deploy, "", &format!("gldt-{}", "d".repeat(20)), |_| {
            unreachable!("a deploy token under a reserved username is refused without a request")
        });
        w.old_user = "oauth2";
        if !place.hold(&w) {
            continue;
        }
        let page = format!("{}/acme/widgets/-/settings/repository", w._host.url(""));
        follow_and_push(&w, place, "wrong_username", |w, line| {
            if line.starts_with("find the token's username") {
                assert!(
                    line.ends_with(&format!(": {page}")),
                    "the project's deploy tokens: {line}"
                );
                return true;
            }
            // The user writes the N the page showed.
            let line = line.replace("gitlab+deploy-token-N", DEPLOY_USER);
            line.contains(DEPLOY_USER) && place.by_hand(w, &line)
        });
    }
}
