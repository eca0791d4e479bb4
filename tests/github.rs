#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback emulation of the GitHub API and
//! git smart-HTTP, with the credential in a real `git credential-store`.

mod support;

use std::time::{Duration, Instant};

use support::*;

fn setup(host: &FakeHost, secret: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.use_host(host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    sb
}

fn utc_in(d: chrono::Duration) -> String {
    (chrono::Utc::now() + d).format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[test]
fn a_good_token_is_ok_with_login_scopes_and_expiry_then_cached() {
    let secret = classic_token("okokokokokokokokokokokokokokok");
    let mut t = tok(&secret, Some("repo, workflow"));
    t.expiration = Some(utc_in(chrono::Duration::days(90)));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);

    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["verdict"], "ok");
    assert_eq!(c["reason"], "ok");
    assert_eq!(c["remote"], "origin");
    assert_eq!(c["provider"], "github");
    assert_eq!(c["repository"], "acme/widgets");
    assert_eq!(c["token"]["login"], "alice");
    assert_eq!(c["token"]["scopes"], serde_json::json!(["repo", "workflow"]));
    assert!(c["token"]["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(c["credential"]["helper"], "store");
    assert_eq!(c["credential"]["kind"], "github_classic_pat");
    assert_eq!(c["credential"]["secret"], format!("ghp_…{}", &secret[36..]));
    assert_eq!(c["cached"], false);
    assert_eq!(c["requests"].as_u64().unwrap() as usize, host.count());
    // The token went only as a Bearer header to the API.
    assert!(
        host.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {secret}")))
    );

    let before = host.count();
    let again = sb.run(&["check", "--format", "json"]);
    let c = again.check();
    assert_eq!(c["verdict"], "ok");
    assert_eq!(c["cached"], true);
    assert_eq!(c["requests"], 0);
    assert_eq!(host.count(), before, "a cached verdict sends nothing");

    let human = sb.run(&["check", "--no-cache"]);
    assert!(
        human.stdout.starts_with("prepush-auth: push to origin (127.0.0.1:"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(": ok"), "{}", human.stdout);
    assert!(human.stdout.contains("scopes repo, workflow"), "{}", human.stdout);
    // A classic token's `/user` is asked every time, in the same round trip:
    // it carries `X-GitHub-SSO: partial-results`, which tells a 404 from an
    // SSO refusal (issue 9, case 8). A fine-grained token's login is
    // remembered instead (src/providers/github.rs, plan).
    assert_eq!(host.count(), before + 2, "the repository and /user, together");
}

#[test]
fn a_token_expiring_within_the_warning_window_warns_with_the_date() {
    let secret = classic_token("soonsoonsoonsoonsoonsoonsoonso");
    let mut t = tok(&secret, Some("repo"));
    t.expiration = Some(utc_in(chrono::Duration::days(3) + chrono::Duration::hours(2)));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    let mut run = sb.run(&["check"]);
    run.stdout = flat(&run.stdout);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("warning"), "{}", run.stdout);
    assert!(run.stdout.contains("expires in 3 days"), "{}", run.stdout);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "expires_soon");
}

#[test]
fn a_rejected_token_blocks_with_the_fix_and_where_it_is_stored() {
    let secret = classic_token("badbadbadbadbadbadbadbadbadbad");
    let host = github(vec![], REPO_JSON);
    let sb = setup(&host, &secret);
    let mut run = sb.run(&["check"]);
    run.stdout = flat(&run.stdout);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("will fail"), "{}", run.stdout);
    assert!(run.stdout.contains("from credential helper 'store'"), "{}", run.stdout);
    assert!(run.stdout.contains(&format!("ghp_…{}", &secret[36..])));
    assert!(
        run.stdout.contains("/settings/tokens/new?scopes=repo,workflow"),
        "{}",
        run.stdout
    );
    let reject = format!(
        "$ printf '%s\\n' protocol=http host=127.0.0.1:{} username=alice | git credential reject",
        host.port
    );
    assert!(run.stdout.contains(&reject), "{}", run.stdout);
    assert!(
        run.stdout.contains(".gitconfig)"),
        "names the config file: {}",
        run.stdout
    );
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "token_invalid");
    // The rejection is remembered: the bad token is not replayed.
    assert_eq!(c["cached"], true);
    assert_eq!(c["requests"], 0);
}

/// A URL checked by itself has no remote name: the fix that takes the token
/// out of a URL says so in words, never as a command with `<remote>` (which
/// the shell reads as a redirection); through the remote, the name is there.
#[test]
fn a_url_checked_by_itself_gets_no_remote_placeholder_in_a_command() {
    let secret = classic_token("urlurlurlurlurlurlurlurlurlurl");
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.secrets.lock().unwrap().push(secret.clone());
    let url = host.url(REPO_PATH);
    let with_token = url.replace("http://", &format!("http://alice:{secret}@"));
    sb.init_repo(&with_token);
    let by_url = sb
        .run(&["check", &with_token, "--format", "json", "--no-cache"])
        .check();
    assert_eq!(by_url["reason"], "token_invalid", "{by_url}");
    let fix: Vec<&str> = by_url["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(fix.iter().all(|l| !l.contains("<remote>")), "{fix:?}");
    assert!(
        fix.iter()
            .any(|l| l.starts_with("set the URL of each remote that uses this one to ") && l.contains(&url)),
        "{fix:?}"
    );
    let by_remote = sb.run(&["check", "--format", "json", "--no-cache"]).check();
    let fix: Vec<&str> = by_remote["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(
        fix.contains(&format!("$ git remote set-url origin {url}").as_str()),
        "{fix:?}"
    );
}

#[test]
fn the_expiry_learned_while_valid_names_the_date_after_the_token_dies() {
    let secret = classic_token("diesdiesdiesdiesdiesdiesdiesdi");
    let mut t = tok(&secret, Some("repo"));
    // Seconds enough for the first check on a loaded 2-core machine.
    let expiry = chrono::Utc::now() + chrono::Duration::seconds(6);
    t.expiration = Some(expiry.format("%Y-%m-%d %H:%M:%S UTC").to_string());
    t.dies_at = Some(std::time::SystemTime::from(expiry));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    let first = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(first["reason"], "expires_soon");
    while chrono::Utc::now() <= expiry + chrono::Duration::milliseconds(200) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let before = host.count();
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_expired");
    assert!(
        c["message"].as_str().unwrap().contains(&format!(
            "expired on {}, as the host reported while it still worked",
            expiry.format("%Y-%m-%d")
        )),
        "{}",
        c["message"]
    );
    // The date is a prediction: the host is asked (issue 16), with the one
    // request that decides, and its refusal is what blocks.
    assert_eq!(c["requests"], 1);
    assert_eq!(host.count(), before + 1);
}

#[test]
fn a_password_on_github_com_blocks_without_any_request() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    sb.store_credential("https://github.com/acme/widgets.git", "alice", "correct-horse-battery");
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "password_not_token");
    assert_eq!(c["requests"], 0);
    assert!(c["message"].as_str().unwrap().contains("2021-08-13"));
}

#[test]
fn a_truncated_token_is_malformed_without_any_request() {
    let sb = Sandbox::new();
    let token = classic_token("trunctrunctrunctrunctrunctrunc");
    sb.store_credential("https://github.com", "alice", &token[..37]);
    let run = sb.run(&["check", "https://github.com/acme/widgets.git", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_malformed");
    assert_eq!(c["requests"], 0);
    assert_eq!(c["remote"], serde_json::Value::Null);
}

#[test]
fn missing_repo_scope_blocks() {
    let secret = classic_token("scopescopescopescopescopescope");
    let host = github(vec![tok(&secret, Some("read:org, gist"))], REPO_JSON);
    let sb = setup(&host, &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.check()["reason"], "missing_write_scope");
}

#[test]
fn a_fine_grained_token_without_contents_write_is_caught_by_the_push_probe() {
    let secret = fine_grained_token('F');
    let mut t = tok(&secret, None);
    t.contents_write = false;
    t.expiration = Some("2027-03-31 00:00:00 +0900".to_owned());
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(c["fix"][0].as_str().unwrap().contains("Contents"));
    assert_eq!(host.count_path("/info/refs?service=git-receive-pack"), 1);
    // The probe carries git's Basic credential; REST the Bearer one.
    let probe = host
        .requests()
        .into_iter()
        .find(|r| r.path.contains("info/refs"))
        .unwrap();
    assert_eq!(basic_credentials(&probe).unwrap(), ("alice".to_owned(), secret.clone()));
}

#[test]
fn repository_states_block() {
    for (json, reason) in [
        (
            r#"{"full_name":"acme/widgets","private":true,"archived":true,"permissions":{"push":true}}"#,
            "repo_archived",
        ),
        (
            r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"push":false}}"#,
            "no_repo_access",
        ),
    ] {
        let secret = classic_token("statestatestatestatestatestate");
        let json: &'static str = Box::leak(json.to_owned().into_boxed_str());
        let host = github(vec![tok(&secret, Some("repo"))], json);
        let sb = setup(&host, &secret);
        let run = sb.run(&["check", "--format", "json"]);
        assert_eq!(run.code, 1);
        assert_eq!(run.check()["reason"], reason);
        // A permissions flag is an inference: git's own push check confirms
        // it (one more request); the archived flag is the host's statement.
        let probes = host.count_path("/info/refs?service=git-receive-pack");
        assert_eq!(probes, usize::from(reason == "no_repo_access"), "{reason}");
        assert_eq!(run.check()["requests"].as_u64().unwrap() as usize, host.count());
    }
}

/// A repository the token cannot see (404): with `repo`, it is missing or
/// hidden (no_repo_access); a classic token with neither `repo` nor
/// `public_repo` cannot push to any repository, so that is the cause, not
/// this one's visibility (issue 9, case 6).
#[test]
fn a_repository_the_token_cannot_see_is_access_or_the_missing_scope() {
    for (scopes, reason, words) in [
        ("repo", "no_repo_access", "does not exist or"),
        ("gist", "missing_write_scope", "needs the repo scope"),
    ] {
        let secret = classic_token("hiddenhiddenhiddenhiddenhidden");
        let host = github(vec![tok(&secret, Some(scopes))], REPO_JSON);
        let sb = Sandbox::new();
        sb.use_host(&host, "github", "/api/v3");
        let url = host.url("/acme/secret.git");
        sb.store_credential(&url, "alice", &secret);
        let run = sb.run(&["check", &url, "--format", "json"]);
        assert_eq!(run.code, 1);
        let c = run.check();
        assert_eq!(c["reason"], reason, "{scopes}");
        assert!(c["message"].as_str().unwrap().contains(words), "{}", c["message"]);
    }
}

fn fixed_host(reply: Reply) -> FakeHost {
    FakeHost::builder().route("/", reply).start()
}

fn check_against(host: &FakeHost, extra: &[&str]) -> (Sandbox, Run) {
    let secret = classic_token("fixedfixedfixedfixedfixedfixed");
    let sb = Sandbox::new();
    sb.use_host(host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.store_credential(&url, "alice", &secret);
    let mut args = vec!["check", url.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let run = sb.run(&args);
    (sb, run)
}

#[test]
fn sso_enforcement_blocks_with_the_authorization_url() {
    let host = fixed_host(
        Reply::json(403, r#"{"message":"Resource protected by organization SAML enforcement. You must grant your Personal Access token access to this organization.","documentation_url":"https://docs.github.com/articles/authenticating-to-a-github-organization-with-saml-single-sign-on/"}"#)
            .header("X-GitHub-SSO", "required; url=https://github.com/orgs/acme/sso?authorization_request=AAAB7"),
    );
    let (_sb, run) = check_against(&host, &[]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "sso_required");
    assert!(
        c["fix"][0]
            .as_str()
            .unwrap()
            .contains("https://github.com/orgs/acme/sso?authorization_request=AAAB7")
    );
}

#[test]
fn host_trouble_is_unknown_and_fails_open_unless_strict() {
    let cases = [
        (
            Reply::json(403, r#"{"message":"API rate limit exceeded for user ID 1."}"#)
                .header("X-RateLimit-Remaining", "0")
                .header("X-RateLimit-Reset", "1900000000"),
            "rate_limited",
        ),
        (
            Reply::json(429, r#"{"message":"You have exceeded a secondary rate limit."}"#),
            "rate_limited",
        ),
        (Reply::new(502, "<html>Bad gateway</html>"), "host_error"),
        (Reply::new(200, "<html>a captive portal</html>"), "unexpected_response"),
    ];
    for (reply, reason) in cases {
        let host = fixed_host(reply);
        let (_sb, run) = check_against(&host, &[]);
        assert_eq!(run.code, 0, "{reason}: unknown never blocks");
        assert_eq!(run.check()["verdict"], "unknown");
        assert_eq!(run.check()["reason"], reason);
        let (_sb, strict) = check_against(&host, &["--strict"]);
        assert_eq!(strict.code, 1, "{reason}: --strict turns unknown into a failure");
    }
}

#[test]
fn a_server_that_never_answers_cannot_hold_the_check_past_its_deadline() {
    let silent = Silent::start();
    let sb = Sandbox::new();
    let url = format!("http://127.0.0.1:{}/acme/widgets.git", silent.port);
    sb.user_config(&format!(
        "timeout_ms = 700\n[hosts.\"127.0.0.1:{p}\"]\nprovider = \"github\"\napi = \"http://127.0.0.1:{p}/api/v3\"\n",
        p = silent.port
    ));
    sb.store_credential(&url, "alice", &classic_token("silentsilentsilentsilentsilent"));
    let started = Instant::now();
    let run = sb.run(&["check", &url, "--format", "json"]);
    let took = started.elapsed();
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "timeout");
    assert!(silent.accepted.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    // Generous bound: a functional check that the deadline holds, not a benchmark.
    assert!(took < Duration::from_millis(700 + 1500), "took {took:?}");
}

#[test]
fn a_closed_port_is_a_network_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let sb = Sandbox::new();
    let url = format!("http://127.0.0.1:{port}/acme/widgets.git");
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{port}\"]\nprovider = \"github\"\napi = \"http://127.0.0.1:{port}/api/v3\"\n"
    ));
    sb.store_credential(&url, "alice", &classic_token("closedclosedclosedclosedclosed"));
    let run = sb.run(&["check", &url, "--format", "json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "network_error");
}

#[test]
fn local_remotes_are_skipped_and_ssh_remotes_go_to_ssh_without_asking_anyone() {
    let sb = Sandbox::new();
    sb.init_repo("git@github.com:acme/widgets.git");
    sb.git(&["remote", "add", "local", "/srv/git/widgets.git"]);
    sb.git(&["remote", "add", "file", "file:///srv/git/widgets.git"]);
    sb.git(&["remote", "add", "ssh", "ssh://git@example.com:2222/acme/widgets.git"]);
    let run = sb.run(&["check", "--all", "--format", "json"]);
    assert_eq!(run.code, 0);
    let checks = run.json()["checks"].as_array().unwrap().clone();
    assert_eq!(checks.len(), 4);
    // Local remotes are skipped; SSH remotes are checked over ssh (here the
    // sandbox's trap ssh, which fails as an unknown host), never over HTTP.
    for c in &checks {
        let ssh = c["ssh"].is_object();
        assert_eq!(c["verdict"], if ssh { "unknown" } else { "skip" }, "{c}");
        assert_eq!(c["requests"], 0);
        assert_eq!(c["credential"], serde_json::Value::Null);
    }
    let reasons: Vec<_> = checks
        .iter()
        .map(|c| c["reason"].as_str().unwrap().to_owned())
        .collect();
    assert!(reasons.contains(&"network_error".to_owned()) && reasons.contains(&"local_remote".to_owned()));
}

#[test]
fn no_stored_credential_is_a_warning_not_a_prompt() {
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    // An askpass that would answer if it were ever run: it must not be.
    let askpass = sb.home.join("askpass.sh");
    write_executable(
        &askpass,
        "#!/bin/sh\necho leaked > \"$HOME/askpass-ran\"\necho hunter2\n".as_bytes(),
    );
    let out = sb
        .cmd(&["check", "--format", "json"])
        .env("GIT_ASKPASS", &askpass)
        .env("SSH_ASKPASS", &askpass)
        .output()
        .unwrap();
    let run = sb.finish(out);
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "no_credential");
    assert_eq!(run.check()["verdict"], "warn");
    assert!(!sb.home.join("askpass-ran").exists(), "an askpass program was run");
    assert_eq!(host.count(), 0);
}

#[test]
fn the_push_url_is_what_git_push_would_use() {
    let secret = classic_token("pushurlpushurlpushurlpushurlpu");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = setup(&host, &secret);
    // Fetch from elsewhere, push through pushInsteadOf to the emulated host.
    sb.git(&["remote", "set-url", "origin", "https://fetch.example/acme/widgets.git"]);
    sb.git(&[
        "config",
        &format!("url.{}.pushInsteadOf", host.url("/")),
        "https://fetch.example/",
    ]);
    let git_says = String::from_utf8(sb.git(&["remote", "get-url", "--push", "origin"]).stdout).unwrap();
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["url"].as_str().unwrap(), git_says.trim());
    assert_eq!(c["reason"], "ok");

    // branch.<b>.pushRemote wins over origin.
    sb.git(&["remote", "add", "other", "git@github.com:acme/widgets.git"]);
    sb.git(&["config", "branch.main.pushRemote", "other"]);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["remote"], "other");
    assert!(c["ssh"].is_object(), "checked over ssh: {c}");
}

#[test]
fn a_credential_in_the_url_counts_and_never_shows() {
    let secret = classic_token("inurlinurlinurlinurlinurlinurl");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = Sandbox::new();
    sb.secrets.lock().unwrap().push(secret.clone());
    sb.use_host(&host, "github", "/api/v3");
    let url = format!("http://alice:{secret}@127.0.0.1:{}{REPO_PATH}", host.port);
    sb.init_repo(&url);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "ok");
    assert_eq!(c["credential"]["helper"], "url");
    assert_eq!(c["credential"]["helper_name"], "the remote URL");
    assert_eq!(c["url"], host.url(REPO_PATH));
}

#[test]
fn a_repository_config_cannot_send_the_token_to_another_api() {
    let secret = classic_token("evilevilevilevilevilevilevilev");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let evil = FakeHost::builder().route("/", Reply::json(200, REPO_JSON)).start();
    let sb = setup(&host, &secret);
    std::fs::write(
        sb.work.join(".prepush-auth.toml"),
        format!("timeout_ms = 2000\n[hosts.\"127.0.0.1:{}\"]\nprovider = \"github\"\napi = \"http://127.0.0.1:{}/api/v3\"\n", host.port, evil.port),
    )
    .unwrap();
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.check()["reason"], "ok");
    assert_eq!(evil.count(), 0, "the token went to the repository's API");
    assert!(
        run.stderr
            .contains("a repository may not choose where your token is sent"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_api_host_must_be_the_remote_or_its_configured_api() {
    // Even the user's config cannot turn plain HTTP to a non-loopback host on.
    let sb = Sandbox::new();
    sb.user_config("[hosts.\"git.example.com\"]\nprovider = \"github\"\napi = \"http://git.example.com/api/v3\"\n");
    sb.store_credential(
        "http://git.example.com/acme/widgets.git",
        "alice",
        &classic_token("plainplainplainplainplainplain"),
    );
    let run = sb.run(&["check", "http://git.example.com/acme/widgets.git", "--format", "json"]);
    assert_eq!(run.code, 0);
    let c = run.check();
    assert_eq!(c["verdict"], "unknown");
    assert!(
        c["message"].as_str().unwrap().contains("plain HTTP"),
        "{}",
        c["message"]
    );
    assert_eq!(c["requests"], 0);
}

#[test]
fn every_field_of_the_json_document_is_present() {
    let secret = classic_token("fieldsfieldsfieldsfieldsfields");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = setup(&host, &secret);
    let doc = sb.run(&["check", "--format", "json"]).json();
    assert_eq!(doc["schema"], 1);
    let c = &doc["checks"][0];
    for key in [
        "remote",
        "url",
        "host",
        "provider",
        "repository",
        "verdict",
        "reason",
        "message",
        "fix",
        "credential",
        "token",
        "requests",
        "cached",
        "elapsed_ms",
    ] {
        assert!(c.get(key).is_some(), "missing {key}");
    }
    for key in ["username", "secret", "kind", "helper"] {
        assert!(c["credential"].get(key).is_some(), "missing credential.{key}");
    }
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let sb = Sandbox::new();
    let run = sb.run(&["check"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    sb.user_config("timeout_ms = = 1\n");
    let run = sb.run(&["check", "https://github.com/a/b.git"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("config.toml"), "{}", run.stderr);
}

#[test]
fn prepush_auth_0_skips_everything() {
    let sb = Sandbox::new();
    let out = sb.cmd(&["check"]).env("PREPUSH_AUTH", "0").output().unwrap();
    let run = sb.finish(out);
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty());
}

#[test]
fn a_malformed_url_with_a_password_is_refused_without_echoing_it() {
    // Regression: gix's parse error quoted the whole input, password included.
    let sb = Sandbox::new();
    let secret = classic_token("echoechoechoechoechoechoechoec");
    sb.secrets.lock().unwrap().push(secret.clone());
    let run = sb.run(&["check", &format!("https://alice:{secret}@exa mple.com/x")]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let hook = sb.run(&["pre-push", "origin", &format!("https://alice:{secret}@host:99999/x")]);
    assert_eq!(hook.code, 0, "never blocks a push");
}

#[test]
fn a_token_in_the_username_with_x_oauth_basic_is_judged_by_the_token() {
    // Regression: `https://TOKEN:x-oauth-basic@github.com/…` pushes fine (GitHub
    // takes the token from the username), but the password was judged, and a
    // good push would have been blocked.
    let secret = classic_token("inuserinuserinuserinuserinuser");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = Sandbox::new();
    sb.secrets.lock().unwrap().push(secret.clone());
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, &secret, "x-oauth-basic");
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "ok");
    assert_eq!(c["credential"]["kind"], "github_classic_pat");
    assert!(
        host.requests()
            .iter()
            .all(|r| r.header("authorization") == Some(&format!("Bearer {secret}")))
    );
}
