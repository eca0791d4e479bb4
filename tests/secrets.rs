#![allow(clippy::pedantic)]
//! SPEC §7 rule 1 with a canary: one recognisable secret goes through every
//! path `check` can take (human and JSON, every verdict kind, cached and
//! fresh, errors), and must never appear in stdout, stderr, or any file
//! under HOME except git's own `.git-credentials`. Hosts that quote the
//! secret back are included: the tool must not repeat or cache it.
//!
//! `Sandbox::finish` checks stdout and stderr of every run; each test ends
//! with a scan of the whole HOME.

mod support;

use support::*;

/// 30 characters that are easy to spot anywhere, inside a token with a
/// valid checksum (so offline rules let it through to the host).
const BODY: &str = "CANARYcanaryCANARYcanaryCANARY";

fn canary() -> String {
    classic_token(BODY)
}

/// Every form of the canary that would count as a leak: the token, its
/// random part, and the Basic header value carrying it.
fn register(sb: &Sandbox, secret: &str, username: &str) {
    let mut s = sb.secrets.lock().unwrap();
    s.push(secret.to_owned());
    if secret.len() > 24 {
        s.push(secret[4..28].to_owned());
    }
    s.push(base64(format!("{username}:{secret}").as_bytes()));
}

fn base64(input: &[u8]) -> String {
    let table = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in input.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Runs check in human and JSON form, fresh and then from the cache, and
/// returns the reasons seen (JSON, fresh).
fn every_form(sb: &Sandbox, args: &[&str]) -> String {
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json", "--no-cache"]);
    let fresh = sb.run(&json_args);
    assert!(fresh.code == 0 || fresh.code == 1, "{}", fresh.stderr);
    let reason = fresh.check()["reason"].as_str().unwrap().to_owned();
    let mut human_args = args.to_vec();
    human_args.push("--no-cache");
    sb.run(&human_args);
    // And through the cache, which was written by the runs above.
    sb.run(args);
    let mut cached = args.to_vec();
    cached.extend(["--format", "json"]);
    sb.run(&cached);
    let mut offline = args.to_vec();
    offline.push("--offline");
    sb.run(&offline);
    reason
}

/// An emulated GitHub that answers `reply` to every API request after
/// checking nothing: each case decides what the host says.
fn host_saying(reply: Reply) -> FakeHost {
    FakeHost::builder().route("/", reply).start()
}

fn sandbox_for(host: &FakeHost, secret: &str, username: &str) -> (Sandbox, String) {
    let sb = Sandbox::new();
    register(&sb, secret, username);
    sb.use_host_timeout(host, "github", "/api/v3", 1500);
    let url = host.url("/acme/widgets.git");
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    (sb, url)
}

const REPO: &str = r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"push":true}}"#;

#[test]
fn the_canary_never_leaks_through_any_verdict_a_host_can_cause() {
    let secret = canary();
    let echo = |s: &str| s.replace("{T}", &secret);
    let soon = (chrono::Utc::now() + chrono::Duration::days(2))
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    let cases: Vec<(Reply, &str)> = vec![
        (Reply::json(200, REPO).header("X-OAuth-Scopes", "repo"), "ok"),
        (
            Reply::json(200, REPO)
                .header("X-OAuth-Scopes", "repo")
                .header("GitHub-Authentication-Token-Expiration", &soon),
            "expires_soon",
        ),
        (
            Reply::json(401, &echo(r#"{"message":"Bad credentials: {T}"}"#)),
            "token_invalid",
        ),
        (
            Reply::json(200, REPO).header("X-OAuth-Scopes", &echo("gist, {T}")),
            "missing_write_scope",
        ),
        (
            Reply::json(404, &echo(r#"{"message":"Not Found {T}"}"#)).header("X-OAuth-Scopes", "repo"),
            "no_repo_access",
        ),
        (
            Reply::json(403, &echo(r#"{"message":"SAML {T}"}"#)).header(
                "X-GitHub-SSO",
                &echo("required; url=https://github.com/orgs/acme/sso?authorization_request={T}"),
            ),
            "sso_required",
        ),
        (
            Reply::json(200, &REPO.replace(r#""archived":false"#, r#""archived":true"#))
                .header("X-OAuth-Scopes", "repo"),
            "repo_archived",
        ),
        (
            Reply::json(403, &echo(r#"{"message":"rate limit {T}"}"#)).header("X-RateLimit-Remaining", "0"),
            "rate_limited",
        ),
        (Reply::new(502, &echo("<html>upstream {T} failed</html>")), "host_error"),
        (
            Reply::new(200, &echo("<html>captive portal {T}</html>")),
            "unexpected_response",
        ),
        (
            Reply::json(418, &echo(r#"{"message":"teapot {T}"}"#)),
            "unexpected_response",
        ),
        (
            Reply::new(302, "").header("Location", &echo("http://127.0.0.1:9/{T}")),
            "unexpected_response",
        ),
    ];
    for (reply, expected) in cases {
        let host = host_saying(reply);
        let (sb, _url) = sandbox_for(&host, &secret, "alice");
        let reason = every_form(&sb, &["check"]);
        assert_eq!(reason, expected);
        sb.assert_no_secret_under_home();
    }
}

#[test]
fn the_canary_never_leaks_when_the_host_owner_differs_or_the_username_is_the_token() {
    let secret = canary();
    let host = FakeHost::builder()
        .route(
            "/api/v3/user",
            Reply::json(200, r#"{"login":"bob"}"#).header("X-OAuth-Scopes", "repo"),
        )
        .route("/", Reply::json(200, REPO).header("X-OAuth-Scopes", "repo"))
        .start();
    let (sb, url) = sandbox_for(&host, &secret, "alice");
    assert_eq!(every_form(&sb, &["check"]), "username_mismatch");
    sb.assert_no_secret_under_home();

    // GitHub's old convention puts the token in the username
    // (`https://TOKEN:x-oauth-basic@github.com/…`): a username can be a secret.
    let other = classic_token("USERNAMEisTOKENusernameISTOKEN");
    sb.secrets.lock().unwrap().push(other.clone());
    sb.store_credential(&url, &other, "x-oauth-basic");
    sb.run(&["check", "--no-cache"]);
    sb.run(&["check", "--no-cache", "--format", "json"]);
    sb.assert_no_secret_under_home();
}

#[test]
fn the_canary_never_leaks_from_offline_verdicts() {
    let sb = Sandbox::new();
    // Malformed: the truncated canary is itself the secret.
    let truncated = &canary()[..37];
    register(&sb, truncated, "alice");
    sb.store_credential("https://github.com", "alice", truncated);
    assert_eq!(
        every_form(&sb, &["check", "https://github.com/acme/widgets.git"]),
        "token_malformed"
    );
    // An account password on github.com.
    let password = "CanaryPassword-with-enough-length-7f3a9c";
    register(&sb, password, "alice");
    sb.store_credential("https://github.com", "alice", password);
    assert_eq!(
        every_form(&sb, &["check", "https://github.com/acme/widgets.git"]),
        "password_not_token"
    );
    sb.assert_no_secret_under_home();
}

#[test]
fn the_canary_never_leaks_from_a_shell_helper_that_holds_it() {
    // `credential.helper = !f() { echo password=TOKEN; }; f` is common in CI:
    // the helper's command line is itself a secret, and so is the expiry
    // verdict's path through it.
    let secret = canary();
    let host = host_saying(Reply::json(401, r#"{"message":"Bad credentials"}"#));
    let sb = Sandbox::new();
    register(&sb, &secret, "alice");
    sb.use_host_timeout(&host, "github", "/api/v3", 1500);
    let url = host.url("/acme/widgets.git");
    sb.init_repo(&url);
    // With a past `password_expiry_utc` git (>= 2.40) discards the answer
    // itself: then the check sees no credential at all.
    for (extra, expected) in [
        ("", "token_invalid"),
        ("echo password_expiry_utc=1000; ", "no_credential"),
    ] {
        let helper = format!("!f() {{ echo username=alice; echo password={secret}; {extra}}}; f");
        sb.git(&["config", "--global", "--replace-all", "credential.helper", &helper]);
        assert_eq!(every_form(&sb, &["check"]), expected);
        let run = sb.run(&["check", "--no-cache"]);
        // Named by what it is, never by its command (which holds the token).
        assert!(run.stdout.contains("shell function"), "{}", run.stdout);
    }
    // The test put the secret into ~/.gitconfig; the tool must have put it nowhere.
    sb.git(&["config", "--global", "--unset-all", "credential.helper"]);
    sb.assert_no_secret_under_home();
}

#[test]
fn the_canary_never_leaks_when_nothing_can_be_checked() {
    let secret = canary();
    let silent = Silent::start();
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    for port in [silent.port, closed] {
        let sb = Sandbox::new();
        register(&sb, &secret, "alice");
        sb.host_config(
            &format!("127.0.0.1:{port}"),
            "github",
            &format!("http://127.0.0.1:{port}/api/v3"),
            600,
        );
        let url = format!("http://127.0.0.1:{port}/acme/widgets.git");
        sb.init_repo(&url);
        sb.store_credential(&url, "alice", &secret);
        let reason = every_form(&sb, &["check"]);
        assert!(reason == "timeout" || reason == "network_error", "{reason}");
        // Strict mode and --all take other exits through the same output.
        sb.run(&["check", "--strict"]);
        sb.run(&["check", "--all", "--format", "json"]);
        sb.assert_no_secret_under_home();
    }
}

#[test]
fn the_canary_never_leaks_from_a_credential_written_in_the_url() {
    let secret = canary();
    let host = host_saying(Reply::json(
        401,
        &format!(r#"{{"message":"Bad credentials {secret}"}}"#),
    ));
    let sb = Sandbox::new();
    register(&sb, &secret, "alice");
    sb.use_host_timeout(&host, "github", "/api/v3", 1500);
    let url = format!("http://alice:{secret}@127.0.0.1:{}/acme/widgets.git", host.port);
    assert_eq!(every_form(&sb, &["check", &url]), "token_invalid");
    sb.init_repo(&url);
    assert_eq!(every_form(&sb, &["check"]), "token_invalid");
    sb.run(&["check", "origin", "--format", "json"]);
    // Every kind at once: block (origin), unknown (ssh, through the
    // sandbox's trap ssh), skip (local), --all in both forms.
    sb.git(&["remote", "add", "ssh", "git@github.com:acme/widgets.git"]);
    sb.git(&["remote", "add", "local", "../elsewhere.git"]);
    let run = sb.run(&["check", "--all", "--format", "json"]);
    let kinds: Vec<String> = run.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["verdict"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "skip").count(), 1, "{kinds:?}");
    assert!(kinds.contains(&"unknown".to_owned()), "{kinds:?}");
    assert!(kinds.contains(&"block".to_owned()), "{kinds:?}");
    sb.run(&["check", "--all"]);
    sb.run(&["check", "--all", "--strict", "--no-cache"]);
    sb.assert_no_secret_under_home();
}

#[test]
fn the_canary_never_leaks_through_error_messages() {
    let secret = canary();
    let sb = Sandbox::new();
    register(&sb, &secret, "alice");
    // URLs that do not parse, carrying the secret in their user info.
    for url in [
        format!("https://alice:{secret}@exa mple.com/x"),
        format!("https://alice:{secret}@[::1/x"),
        format!("https://alice:{secret}@host:99999/x"),
        format!("https://{secret}@exa mple.com/x"),
        format!("https://alice:{secret}@host/x\nhost=evil"),
    ] {
        let run = sb.run(&["check", &url]);
        assert_eq!(run.code, 2, "{}", run.stderr);
        let run = sb.run(&["check", &url, "--format", "json"]);
        assert_eq!(run.code, 2, "{}", run.stderr);
    }
    // A repository whose remote URL holds the secret and does not parse.
    sb.init_repo("https://example.com/placeholder.git");
    for bad in [
        format!("https://alice:{secret}@exa mple.com/x"),
        format!("https://alice:{secret}@[::1/x"),
    ] {
        sb.git(&["config", "remote.origin.url", &bad]);
        for args in [
            &["check"][..],
            &["check", "--all"],
            &["check", "origin", "--format", "json"],
        ] {
            let run = sb.run(args);
            assert_ne!(run.code, 1, "{}", run.stderr);
        }
    }
    // A git config broken right next to the secret.
    std::fs::write(
        sb.work.join(".git/config"),
        format!("[remote \"origin\"]\n\turl = https://alice:{secret}@example.com/x\n[broken\n{secret}\n"),
    )
    .unwrap();
    let run = sb.run(&["check"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The user's own config broken next to it (outside the repository, so
    // that the broken repository config above does not stop the run first).
    for text in [
        format!("[hosts.\"{secret}\"]\nprovider = \"nope\"\n"),
        format!("timeout_ms = \"{secret}\"\n"),
        format!("strict = \"{secret}\"\n"),
        format!("[hosts.\"h\"]\nprovider = \"github\"\napi = [\"{secret}\"]\n"),
        format!("timeout_ms = 1\n{secret}\n"),
        format!("token = \"{secret}\"\n"),
    ] {
        sb.user_config(&text);
        let out = sb
            .cmd(&["check", "https://github.com/a/b.git"])
            .current_dir(&sb.home)
            .output()
            .unwrap();
        let run = sb.finish(out);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
    }
    // A cloned repository's file is not the user's secret, but its errors
    // go through the same line.
    std::fs::write(sb.work.join(".git/config"), "").unwrap();
    sb.user_config("");
    std::fs::write(
        sb.work.join(".prepush-auth.toml"),
        format!("timeout_ms = \"{secret}\"\n"),
    )
    .unwrap();
    let run = sb.run(&["check", "https://github.com/a/b.git"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The test wrote the secret into the user config; the tool nowhere.
    sb.user_config("");
    sb.assert_no_secret_under_home();
}

#[test]
fn the_state_directory_and_files_are_owner_only_even_under_a_permissive_umask() {
    use std::os::unix::fs::PermissionsExt;
    let secret = canary();
    let host = host_saying(Reply::json(200, REPO).header("X-OAuth-Scopes", "repo"));
    let (sb, _url) = sandbox_for(&host, &secret, "alice");
    let mut cmd = sb.cmd(&[]);
    cmd.arg("check");
    let mut sh = std::process::Command::new("sh");
    sb.env(&mut sh);
    let out = sh
        .args(["-c", "umask 000; exec \"$0\" check --format json"])
        .arg(BIN)
        .current_dir(&sb.work)
        .output()
        .unwrap();
    let run = sb.finish(out);
    assert_eq!(run.check()["reason"], "ok", "{}", run.stderr);
    let dir = sb.home.join(".cache/prepush-auth");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700, "state directory");
    let files: Vec<_> = walk(&dir);
    assert!(files.iter().any(|f| f.ends_with("state.json")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("key")), "{files:?}");
    for f in &files {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    // A key file that someone loosened is tightened again on the next run.
    std::fs::set_permissions(dir.join("key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.run(&["check", "--no-cache"]);
    assert_eq!(mode(&dir.join("key")), 0o600);
    assert_eq!(mode(&dir), 0o700);
    sb.assert_no_secret_under_home();
}
