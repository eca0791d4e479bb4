#![allow(clippy::pedantic)]
//! Where the token really lives: real gh (Debian's `gh`) as the credential
//! helper over HTTPS to the loopback GitHub emulation, 1Password's
//! `op plugin run -- gh auth git-credential` (a stand-in `op` that does what
//! the plugin does), and every other helper kind by a program of its name.
//! Each verdict must name the place and give the fix that works there.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use support::*;

/// Debian's gh, or a skip that says so (a failure where CI requires it).
fn gh() -> Option<String> {
    let found = Command::new("sh")
        .args(["-c", "command -v gh"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if found.is_none() {
        assert!(
            std::env::var_os("PREPUSH_AUTH_REQUIRE_TOOLS").is_none(),
            "gh is required (apt-get install gh)"
        );
        eprintln!("SKIPPED: gh is not installed");
    }
    found
}

/// A GitHub (Enterprise Server layout) behind HTTPS on loopback, with git's
/// own http-backend, trusted through `http.sslCAInfo`.
struct Https {
    sb: Sandbox,
    host: FakeHost,
    front: TlsFront,
    /// `127.0.0.1:PORT`: gh's host name for it, and prepush-auth's.
    hostport: String,
    url: String,
}

fn https(tokens: Vec<Tok>, accepted: &[&str]) -> Https {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = accepted.iter().map(|t| ("*", *t)).collect();
    let backend = GitBackend::new(root, "acme/widgets.git", &accept);
    let host = github_with(tokens, REPO_JSON, Some(backend));
    let front = TlsFront::start(host.port);
    let hostport = format!("127.0.0.1:{}", front.port);
    let ca = sb.dir.path().join("ca.pem");
    std::fs::write(&ca, &front.ca_pem).unwrap();
    sb.git(&["config", "--global", "http.sslCAInfo", ca.to_str().unwrap()]);
    sb.host_config(&hostport, "github", &front.url("/api/v3"), 5000);
    let url = front.url(REPO_PATH);
    sb.init_repo(&url);
    Https {
        sb,
        host,
        front,
        hostport,
        url,
    }
}

impl Https {
    /// `[credential "https://HOST"] helper = ; helper = VALUE`: the layout
    /// `gh auth setup-git` writes, and the one of issue 13.
    fn only_helper(&self, value: &str) {
        let key = format!("credential.https://{}.helper", self.hostport);
        self.sb.git(&["config", "--global", "--add", &key, ""]);
        self.sb.git(&["config", "--global", "--add", &key, value]);
    }

    /// gh's login for this host, in its hosts file.
    fn gh_login(&self, token: &str) {
        self.sb.secrets.lock().unwrap().push(token.to_owned());
        let dir = self.sb.home.join(".config/gh");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("hosts.yml"),
            format!(
                "{}:\n    oauth_token: {token}\n    user: alice\n    git_protocol: https\n",
                self.hostport
            ),
        )
        .unwrap();
    }

    fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.sb.cmd(args);
        cmd.envs(env.iter().copied());
        self.sb.finish(cmd.output().unwrap())
    }

    fn push(&self) -> Output {
        let n = self.sb.git(&["rev-list", "--count", "HEAD"]);
        let file = format!("f{}", String::from_utf8_lossy(&n.stdout).trim());
        std::fs::write(self.sb.work.join(&file), "x\n").unwrap();
        self.sb.git(&["add", &file]);
        self.sb.git(&["commit", "-qm", &file]);
        let mut cmd = Command::new("git");
        self.sb.env(&mut cmd);
        let out = cmd
            .args(["push", "origin", "main"])
            .current_dir(&self.sb.work)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        self.sb.assert_no_secret_in(&err, "git push stderr");
        out
    }
}

fn utc(at: SystemTime) -> chrono::DateTime<chrono::Utc> {
    at.into()
}

fn expiring(secret: &str, in_: Duration) -> (Tok, chrono::DateTime<chrono::Utc>) {
    let at = SystemTime::now() + in_;
    let mut t = tok(secret, Some("repo, workflow"));
    t.expiration = Some(utc(at).format("%Y-%m-%d %H:%M:%S UTC").to_string());
    t.dies_at = Some(at);
    (t, utc(at))
}

fn fixes(c: &serde_json::Value) -> Vec<String> {
    c["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

/// Human output as one line per idea again: wrapped continuation lines
/// joined (stderr is no terminal here, so it is wrapped to 80 columns).
fn flat(text: &str) -> String {
    text.replace("\n          ", " ")
        .replace("\n  prepush-auth", "\nprepush-auth")
}

fn wait_until(at: chrono::DateTime<chrono::Utc>) {
    while chrono::Utc::now() <= at + chrono::Duration::milliseconds(200) {
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn gh_with_an_expiring_then_dead_token_in_its_hosts_file_says_gh_and_gh_auth_login() {
    let Some(gh) = gh() else { return };
    let secret = classic_token("ghhostsghhostsghhostsghhostsgh");
    // Seconds enough for the first check on a loaded 2-core machine.
    let (t, expiry) = expiring(&secret, Duration::from_secs(8));
    let w = https(vec![t], &[&secret]);
    w.only_helper(&format!("!{gh} auth git-credential"));
    w.gh_login(&secret);

    let soon = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(soon.code, 0, "{}", soon.stderr);
    let c = soon.check();
    assert_eq!(c["reason"], "expires_soon", "{c}");
    assert_eq!(c["credential"]["helper"], "gh");
    assert_eq!(c["credential"]["helper_name"], "gh (GitHub CLI)");
    assert_eq!(c["credential"]["env"], serde_json::Value::Null);
    assert_eq!(
        fixes(&c),
        vec![
            "replace it before then:".to_owned(),
            format!("$ gh auth login -h {}", w.hostport),
            "gh signs in through the browser and gives git the new token (it ignores `git credential reject`)"
                .to_owned(),
            "push again".to_owned(),
        ]
    );

    wait_until(expiry);
    let dead = w.sb.run(&["check"]);
    assert_eq!(dead.code, 1, "{}", dead.stdout);
    let out = &flat(&dead.stdout);
    assert!(
        out.contains(&format!(
            "from gh (credential helper `gh auth git-credential`) expired on {}",
            expiry.format("%Y-%m-%d")
        )),
        "{out}"
    );
    assert!(out.contains(&format!("$ gh auth login -h {}", w.hostport)), "{out}");
    // gh's route only: no token made by hand.
    assert!(!out.contains("settings/tokens/new"), "{out}");
    assert!(
        out.contains(&format!("the stale token is gh's login for {}", w.hostport)),
        "{out}"
    );
    // gh's erase is a no-op: `git credential reject` would change nothing.
    assert!(!out.contains("| git credential reject"), "{out}");

    // The host's own refusal (nothing remembered) gives gh's fix too.
    let fresh = w.run_env(
        &["check", "--format", "json", "--no-cache"],
        &[(
            "PREPUSH_AUTH_CACHE_DIR",
            w.sb.dir.path().join("other-cache").to_str().unwrap(),
        )],
    );
    let c = fresh.check();
    assert_eq!(c["reason"], "token_invalid", "{c}");
    assert!(fixes(&c).contains(&format!("$ gh auth login -h {}", w.hostport)), "{c}");
    drop(w.front);
    drop(w.host);
}

#[test]
fn a_stale_enterprise_token_in_the_environment_is_the_variable_gh_hands_over() {
    let Some(gh) = gh() else { return };
    let good = classic_token("ghgoodghgoodghgoodghgoodghgood");
    let stale = classic_token("ghenvstaleghenvstaleghenvstale");
    let w = https(vec![tok(&good, Some("repo, workflow"))], &[&good]);
    w.only_helper(&format!("!{gh} auth git-credential"));
    w.gh_login(&good);
    w.sb.secrets.lock().unwrap().push(stale.clone());
    // Where it is set, named by file and line, never quoted.
    std::fs::write(
        w.sb.home.join(".bashrc"),
        format!("alias ll='ls -l'\nexport GH_ENTERPRISE_TOKEN={stale}\n"),
    )
    .unwrap();

    // gh takes GH_ENTERPRISE_TOKEN for a host other than github.com, before its login.
    let run = w.run_env(&["check", "--format", "json"], &[("GH_ENTERPRISE_TOKEN", &stale)]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert_eq!(c["credential"]["helper"], "gh");
    assert_eq!(c["credential"]["env"], "GH_ENTERPRISE_TOKEN");
    let f = fixes(&c).join("\n");
    assert!(f.contains("`unset GH_ENTERPRISE_TOKEN`"), "{f}");
    assert!(f.contains("(set in ~/.bashrc line 2)"), "{f}");
    assert!(
        f.contains("the stale token is the environment variable GH_ENTERPRISE_TOKEN"),
        "{f}"
    );
    assert!(!f.contains("| git credential reject"), "{f}");
    let human = w.run_env(&["check"], &[("GH_ENTERPRISE_TOKEN", &stale)]);
    assert!(
        flat(&human.stdout)
            .contains("from the environment variable GH_ENTERPRISE_TOKEN (gh hands it to git before its own login)"),
        "{}",
        human.stdout
    );

    // GH_TOKEN is for github.com: gh ignores it here and answers its login.
    let run = w.run_env(&["check", "--format", "json"], &[("GH_TOKEN", &stale)]);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["env"], serde_json::Value::Null);
    w.sb.assert_no_secret_in_files();
}

/// A stand-in for 1Password's `op`: `op plugin run -- gh …` runs gh with the
/// token of "the item" in its environment, as the gh plugin's provisioner
/// does (1Password/shell-plugins `plugins/github/provisioner.go`: GH_TOKEN
/// and GITHUB_TOKEN for github.com, GH_ENTERPRISE_TOKEN and
/// GITHUB_ENTERPRISE_TOKEN with GH_HOST for any other host, as this one is).
fn fake_op(sb: &Sandbox, item: &std::path::Path, host: &str) -> PathBuf {
    sb.program(
        "op",
        &format!(
            r#"[ "$1" = plugin ] && [ "$2" = run ] || {{ echo "op: only plugin run" >&2; exit 2; }}
shift 2
[ "$1" = -- ] && shift
token=$(cat '{}')
GH_ENTERPRISE_TOKEN=$token GITHUB_ENTERPRISE_TOKEN=$token GH_HOST='{host}' exec "$@""#,
            item.display()
        ),
    )
}

#[test]
fn the_1password_gh_layout_is_named_from_check_the_hook_and_the_observe_helper() {
    let Some(_gh) = gh() else { return };
    let secret = classic_token("onepassonepassonepassonepasson");
    // install, two pushes and a check come first: seconds enough under load.
    let (t, expiry) = expiring(&secret, Duration::from_secs(20));
    let w = https(vec![t], &[&secret]);
    w.sb.secrets.lock().unwrap().push(secret.clone());
    let item = w.sb.dir.path().join("1password-item");
    std::fs::write(&item, &secret).unwrap();
    let op = fake_op(&w.sb, &item, &w.hostport);
    // Exactly the snippet of issue 13, with this host and this op.
    w.only_helper(&format!("!{} plugin run -- gh auth git-credential", op.display()));
    let day = expiry.format("%Y-%m-%d").to_string();

    // check, before it expires: named, dated, and the fix is the item.
    let run = w.sb.run(&["check", "--format", "json"]);
    let c = run.check();
    assert_eq!(c["reason"], "expires_soon", "{c}");
    assert_eq!(c["credential"]["helper"], "1password+gh");
    assert_eq!(c["credential"]["helper_name"], "1Password via gh");
    let msg = c["message"].as_str().unwrap();
    assert!(msg.contains("from 1Password, handed to git by gh"), "{msg}");
    assert!(
        msg.contains(&format!("on {day} at ")) && msg.contains("expires in "),
        "{msg}"
    );
    let f = fixes(&c);
    assert_eq!(f[0], "replace it before then:");
    assert!(f[1].contains("/settings/tokens/new?scopes=repo,workflow"), "{f:?}");
    assert!(
        f[2].starts_with("put it in the 1Password item the gh plugin uses (`op plugin inspect gh` shows which)"),
        "{f:?}"
    );

    // The hook, on a push that works: the warning, once a day.
    let inst = w.sb.run(&["install"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let inst = w.sb.run(&["install", "--helper", "observe", "--global"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let first = w.push();
    let err = flat(&String::from_utf8_lossy(&first.stderr));
    eprintln!("git push, with the hook:\n{err}");
    assert!(first.status.success(), "{err}");
    for words in ["1Password", "gh", &format!("on {day} at "), "1Password item"] {
        assert!(err.contains(words), "{words}: {err}");
    }
    let second = w.push();
    let err2 = String::from_utf8_lossy(&second.stderr).into_owned();
    assert!(second.status.success(), "{err2}");
    assert!(!err2.contains("prepush-auth"), "warned twice in a day: {err2}");
    // `check` always shows it.
    let again = w.sb.run(&["check"]);
    assert!(again.stdout.contains(&format!("on {day}")), "{}", again.stdout);

    // It expires; git is refused; the observe helper explains at that moment.
    wait_until(expiry);
    let refused = w.push();
    let err = flat(&String::from_utf8_lossy(&refused.stderr));
    eprintln!("git push, refused, with the observe helper:\n{err}");
    assert!(!refused.status.success(), "{err}");
    for words in [
        "from 1Password, handed to git by gh",
        &format!("expired on {day}"),
        "put it in the 1Password item the gh plugin uses (`op plugin inspect gh` shows which)",
        "nothing to reject",
        "but 1Password via gh keeps it",
    ] {
        assert!(err.contains(words), "{words}: {err}");
    }
    assert!(!err.contains("| git credential reject"), "{err}");
    let at = err.find("prepush-auth:").unwrap();
    let fatal = err.find("fatal: Authentication failed").unwrap();
    assert!(at < fatal, "explained before git's fatal line: {err}");

    // And check, afterwards.
    eprintln!("check:\n{}", w.sb.run(&["check"]).stdout);
    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_expired");
    let msg = c["message"].as_str().unwrap();
    assert!(
        msg.contains("1Password") && msg.contains("gh") && msg.contains(&format!("expired on {day}")),
        "{msg}"
    );
    assert!(fixes(&c).iter().any(|f| f.contains("1Password item")), "{c}");
    assert!(!fixes(&c).iter().any(|f| f.contains("| git credential reject")), "{c}");
    w.sb.assert_no_secret_under_home();
    drop(w.front);
    let _ = w.url;
}

/// A credential helper program that hands out `secret`.
fn answering(secret: &str) -> String {
    // The action comes last: `git credential-NAME [ARGS…] get`.
    format!("for a; do last=$a; done\n[ \"$last\" = get ] || exit 0\necho username=alice\necho password={secret}")
}

#[test]
fn every_other_helper_kind_is_named_with_the_fix_that_works_there() {
    let secret = classic_token("kindskindskindskindskindskinds");
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.secrets.lock().unwrap().push(secret.clone());
    let reject = format!(
        "$ printf '%s\\n' protocol=http host=127.0.0.1:{} username=alice | git credential reject",
        host.port
    );
    let creds = sb.dir.path().join("creds");
    std::fs::write(&creds, format!("http://alice:{secret}@127.0.0.1:{}\n", host.port)).unwrap();
    // credential-cache refuses a socket directory others may read.
    let socket_dir = sb.dir.path().join("cache");
    std::fs::create_dir_all(&socket_dir).unwrap();
    std::fs::set_permissions(&socket_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let socket = socket_dir.join("socket");
    let store_value = format!("store --file {}", creds.display());
    let cache_value = format!("cache --socket {}", socket.display());
    let shell_value = format!("!f() {{ echo username=alice; echo password={secret}; }}; f");
    // (credential.helper, program to provide, id, a fix line that must be
    // there, whether `git credential reject` is a step of the fix)
    let cases: Vec<(&str, Option<&str>, &str, String, bool)> = vec![
        (
            "manager",
            Some("git-credential-manager"),
            "gcm",
            "push: Git Credential Manager signs you in again through the browser".into(),
            true,
        ),
        (
            "manager-core",
            Some("git-credential-manager-core"),
            "gcm",
            "push: Git Credential Manager signs you in again through the browser".into(),
            true,
        ),
        (
            "osxkeychain",
            Some("git-credential-osxkeychain"),
            "osxkeychain",
            "forget the old one first:".into(),
            true,
        ),
        (
            "wincred",
            Some("git-credential-wincred"),
            "wincred",
            "forget the old one first:".into(),
            true,
        ),
        (
            "libsecret",
            Some("git-credential-libsecret"),
            "libsecret",
            "forget the old one first:".into(),
            true,
        ),
        (
            "oauth",
            Some("git-credential-oauth"),
            "oauth",
            "push: git-credential-oauth signs you in again through the browser".into(),
            true,
        ),
        (
            "netrc",
            Some("git-credential-netrc"),
            "netrc",
            format!(
                "in ~/.netrc (or ~/.authinfo, or their .gpg), set the password for 127.0.0.1:{} to the new token",
                host.port
            ),
            false,
        ),
        (
            "passbolt --x",
            Some("git-credential-passbolt"),
            "passbolt",
            "forget the old one ('passbolt' may not implement erase; then change it where 'passbolt' reads it):".into(),
            true,
        ),
        (
            &shell_value,
            None,
            "shell",
            "put the new token where that shell-function helper reads it (git cannot make a shell function forget the old one)".into(),
            false,
        ),
        (
            &store_value,
            None,
            "store",
            format!("forget the old one first (store keeps it in {}):", creds.display()),
            true,
        ),
        (
            &cache_value,
            None,
            "cache",
            format!(
                "forget the old one first (or empty the whole cache: `git credential-cache --socket {} exit`):",
                socket.display()
            ),
            true,
        ),
    ];
    for (value, program, id, fix, reject_works) in cases {
        if let Some(p) = program {
            sb.program(p, &answering(&secret));
        }
        sb.git(&["config", "--global", "--replace-all", "credential.helper", value]);
        if id == "cache" {
            let mut cmd = Command::new("git");
            sb.env(&mut cmd);
            let mut child = cmd
                .args(["credential-cache", "--socket", socket.to_str().unwrap(), "store"])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            use std::io::Write;
            let input = format!(
                "protocol=http\nhost=127.0.0.1:{}\nusername=alice\npassword={secret}\n\n",
                host.port
            );
            child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
            assert!(child.wait().unwrap().success());
        }
        let run = sb.run(&["check", "--format", "json", "--no-cache"]);
        let c = run.check();
        assert_eq!(c["reason"], "token_invalid", "{value}: {c}");
        assert_eq!(c["credential"]["helper"], id, "{value}");
        let all = fixes(&c);
        assert!(all.iter().any(|f| f.contains(&fix)), "{value}: {fix}\n{all:#?}");
        assert_eq!(all.contains(&reject), reject_works, "{value}: {all:#?}");
        let human = sb.run(&["check", "--no-cache"]);
        assert!(!human.stdout.contains("a shell helper"), "{}", human.stdout);
        if id == "cache" {
            let mut cmd = Command::new("git");
            sb.env(&mut cmd);
            cmd.args(["credential-cache", "--socket", socket.to_str().unwrap(), "exit"])
                .stdin(Stdio::null())
                .output()
                .unwrap();
        }
    }
}

#[test]
fn a_helper_that_is_not_installed_is_named_as_missing() {
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    // A macOS ~/.gitconfig on Linux: git says "not a git command" in passing.
    sb.git(&[
        "config",
        "--global",
        "--replace-all",
        "credential.helper",
        "osxkeychain",
    ]);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_credential");
    let msg = c["message"].as_str().unwrap();
    assert!(
        msg.contains("asked: osxkeychain (not installed: git-credential-osxkeychain not found)"),
        "{msg}"
    );
    assert!(
        fixes(&c)[0].starts_with("install git-credential-osxkeychain, or remove that credential.helper entry"),
        "{c}"
    );
    // A configured, working helper that simply has nothing: not told to configure `store`.
    sb.git(&["config", "--global", "--replace-all", "credential.helper", "store"]);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_credential");
    assert!(!fixes(&c)[0].contains("credential.helper store"), "{c}");
}

/// `jj` from the `jj-cli` crate, given by `PREPUSH_AUTH_JJ=/path/to/jj`
/// (it is slow to build, so CI runs this only when it is there).
fn jj() -> Option<String> {
    let jj = std::env::var("PREPUSH_AUTH_JJ").ok().filter(|p| !p.is_empty());
    if jj.is_none() {
        eprintln!("SKIPPED: set PREPUSH_AUTH_JJ=/path/to/jj to run the Jujutsu test");
    }
    jj
}

fn jj_run(sb: &Sandbox, jj: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(jj);
    sb.env(&mut cmd);
    let out = cmd
        .args(args)
        .env("JJ_USER", "T")
        .env("JJ_EMAIL", "t@example.com")
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    sb.assert_no_secret_in(&text, "jj output");
    out
}

/// `jj git push` runs `git push --no-verify`: git's credential helpers, but
/// no pre-push hook. Proves what README's "Jujutsu" says, in a colocated
/// repository against git's own http-backend.
#[test]
fn jj_git_push_meets_the_helper_entries_but_not_the_hook() {
    let Some(jj) = jj() else { return };
    let good = classic_token("jjgoodjjgoodjjgoodjjgoodjjgood");
    let dead = classic_token("jjdeadjjdeadjjdeadjjdeadjjdead");
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &[("*", good.as_str())]);
    // The token may push, but lacks the workflow scope: the hook would block
    // a push touching .github/workflows/.
    let host = github_with(vec![tok(&good, Some("repo"))], REPO_JSON, Some(backend));
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &good);
    sb.secrets.lock().unwrap().push(dead.clone());
    assert!(jj_run(&sb, &jj, &["git", "init", "--colocate"]).status.success());
    assert_eq!(sb.run(&["install"]).code, 0);
    assert_eq!(sb.run(&["install", "--helper", "observe", "--global"]).code, 0);

    // 1. The hook does not run: a workflow change without the scope lands.
    std::fs::create_dir_all(sb.work.join(".github/workflows")).unwrap();
    std::fs::write(sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    assert!(jj_run(&sb, &jj, &["commit", "-m", "ci"]).status.success());
    assert!(
        jj_run(&sb, &jj, &["bookmark", "set", "main", "-r", "@-"])
            .status
            .success()
    );
    let out = jj_run(&sb, &jj, &["git", "push", "--bookmark", "main", "--remote", "origin"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("jj git push (workflow change, token without workflow):\n{err}");
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("prepush-auth"), "the pre-push hook ran under jj: {err}");

    // 2. The observe helper explains a refused credential under jj.
    let creds = sb.home.join(".git-credentials");
    std::fs::write(&creds, format!("http://alice:{dead}@127.0.0.1:{}\n", host.port)).unwrap();
    std::fs::write(sb.work.join("more"), "x\n").unwrap();
    assert!(jj_run(&sb, &jj, &["commit", "-m", "more"]).status.success());
    assert!(
        jj_run(&sb, &jj, &["bookmark", "set", "main", "-r", "@-"])
            .status
            .success()
    );
    let out = jj_run(&sb, &jj, &["git", "push", "--bookmark", "main", "--remote", "origin"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("jj git push (dead token, observe helper):\n{err}");
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("prepush-auth: push to"), "{err}");
    assert!(err.contains("GitHub rejects"), "{err}");

    // 3. The gate stops it before it is sent.
    std::fs::write(&creds, format!("http://alice:{dead}@127.0.0.1:{}\n", host.port)).unwrap();
    assert_eq!(sb.run(&["uninstall", "--global"]).code, 0);
    assert_eq!(sb.run(&["install", "--helper", "gate", "--global"]).code, 0);
    let sent_dead = || {
        host.requests()
            .iter()
            .filter(|r| r.path.contains("git-receive-pack") && presented(r).as_deref() == Some(dead.as_str()))
            .count()
    };
    let before = sent_dead();
    let out = jj_run(&sb, &jj, &["git", "push", "--bookmark", "main", "--remote", "origin"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    eprintln!("jj git push (dead token, gate):\n{err}");
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("told us to quit"), "{err}");
    assert!(err.contains("GitHub rejects"), "{err}");
    assert_eq!(sent_dead(), before, "the dead token was sent to git's endpoint");
}

#[test]
fn gh_missing_scopes_are_fixed_with_gh_auth_refresh() {
    let Some(gh) = gh() else { return };
    // No repo scope: `check` says which scope and how gh adds it.
    let narrow = classic_token("ghnarrowghnarrowghnarrowghnarr");
    let w = https(vec![tok(&narrow, Some("read:org"))], &[&narrow]);
    w.only_helper(&format!("!{gh} auth git-credential"));
    w.gh_login(&narrow);
    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "missing_write_scope", "{c}");
    assert_eq!(
        fixes(&c),
        [
            format!("$ gh auth refresh -h {} -s repo", w.hostport),
            "push again".to_owned()
        ]
    );

    // No workflow scope: the hook stops a push that changes a workflow.
    let repo_only = classic_token("ghrepoonlyghrepoonlyghrepoonly");
    let w = https(vec![tok(&repo_only, Some("repo"))], &[&repo_only]);
    w.only_helper(&format!("!{gh} auth git-credential"));
    w.gh_login(&repo_only);
    assert_eq!(w.sb.run(&["install"]).code, 0);
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", ".github"]);
    let out = w.push();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains(&format!("fix:    $ gh auth refresh -h {} -s workflow", w.hostport)),
        "{err}"
    );
}
