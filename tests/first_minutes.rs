#![allow(clippy::pedantic)]
//! The first five minutes (issue 11): a mistyped remote, a broken remote
//! among good ones, errors under `--format json`, and the small words a new
//! user meets (`PREPUSH_AUTH=0`, `PREPUSH_AUTH_CONFIG`, `--timeout-ms 0`,
//! the fix for a missing credential).

mod support;

use support::*;

fn with_two_remotes() -> Sandbox {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    sb.git(&["remote", "add", "upstream", "https://github.com/upstream/widgets.git"]);
    sb
}

/// Regression: `check nosuch` said "local remote: no credential involved",
/// exit 0, where git fails with "does not appear to be a git repository".
#[test]
fn a_mistyped_remote_name_is_a_usage_error_naming_the_remotes() {
    let sb = with_two_remotes();
    let run = sb.run(&["check", "nosuch"]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("'nosuch' is neither a remote"), "{}", run.stderr);
    assert!(run.stderr.contains("origin, upstream"), "{}", run.stderr);

    let run = sb.run(&["check", "nosuch", "--format", "json"]);
    assert_eq!(run.code, 2);
    let doc = run.json();
    assert_eq!(doc["schema"], 1);
    assert_eq!(doc["checks"], serde_json::json!([]));
    assert!(doc["error"].as_str().unwrap().contains("origin, upstream"), "{doc}");

    // Outside a repository, too.
    let mut cmd = sb.cmd(&["check", "nosuch"]);
    cmd.current_dir(&sb.home);
    let run = sb.finish(cmd.output().unwrap());
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("not in a git repository"), "{}", run.stderr);
}

#[test]
fn an_existing_path_is_still_a_local_remote() {
    let sb = with_two_remotes();
    let bare = sb.dir.path().join("local.git");
    sb.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    let run = sb.run(&["check", bare.to_str().unwrap(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.check()["reason"], "local_remote");
}

/// Regression: `check --all` stopped at the first broken remote (exit 2,
/// the others unchecked).
#[test]
fn check_all_reports_a_broken_remote_and_checks_the_rest() {
    let secret = classic_token("allremotesallremotesallremotes");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    // "aaa" sorts before "origin": the broken one comes first.
    sb.init_repo(&host.url(REPO_PATH));
    sb.git(&["config", "remote.aaa.fetch", "+refs/heads/*:refs/remotes/aaa/*"]);
    sb.store_credential(&host.url(REPO_PATH), "alice", &secret);
    let run = sb.run(&["check", "--all", "--format", "json"]);
    assert_eq!(run.code, 2, "a broken remote is a configuration error: {}", run.stderr);
    let checks = run.json()["checks"].as_array().unwrap().clone();
    assert_eq!(checks.len(), 2, "{checks:?}");
    let broken = checks.iter().find(|c| c["remote"] == "aaa").unwrap();
    assert_eq!(broken["reason"], "remote_misconfigured");
    assert_eq!(broken["verdict"], "unknown");
    assert!(broken["message"].as_str().unwrap().contains("has no URL"), "{broken}");
    let origin = checks.iter().find(|c| c["remote"] == "origin").unwrap();
    assert_eq!(origin["reason"], "ok", "{origin}");
    assert!(host.count_path("/api/v3/") >= 1, "origin was checked");

    let human = sb.run(&["check", "--all"]);
    assert_eq!(human.code, 2);
    assert!(human.stdout.contains("aaa"), "{}", human.stdout);
    assert!(human.stdout.contains("push to origin"), "{}", human.stdout);
}

/// Regression: outside a repository `check --format json` printed plain text.
#[test]
fn every_outcome_is_one_json_document_under_format_json() {
    let sb = Sandbox::new();
    let cases: Vec<Vec<&str>> = vec![
        vec!["check", "--format", "json"],
        vec!["check", "--format=json", "--bogus"],
        vec!["check", "--format", "json", "--timeout-ms", "0"],
        vec!["check", "--format", "json", "--timeout-ms", "soon"],
        vec!["check", "--format", "json", "https://exa mple.com/x"],
    ];
    for args in cases {
        let mut cmd = sb.cmd(&args);
        cmd.current_dir(&sb.home);
        let run = sb.finish(cmd.output().unwrap());
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        let doc: serde_json::Value =
            serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {}", run.stdout));
        assert_eq!(doc["schema"], 1, "{args:?}");
        assert!(doc["error"].as_str().is_some_and(|e| !e.is_empty()), "{args:?}: {doc}");
        assert_eq!(doc["checks"], serde_json::json!([]), "{args:?}");
    }
    // A broken user config too.
    sb.user_config("timeout_ms = = 1\n");
    let run = sb.run(&["check", "https://github.com/a/b.git", "--format", "json"]);
    assert_eq!(run.code, 2);
    assert!(run.json()["error"].as_str().unwrap().contains("config.toml"));
    // Help is still help.
    let run = sb.run(&["check", "--help", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("Usage"), "{}", run.stdout);
}

/// Regression: `--timeout-ms 0` ran and reported "within 1 ms".
#[test]
fn a_zero_timeout_is_refused() {
    let sb = Sandbox::new();
    let run = sb.run(&["check", "https://github.com/a/b.git", "--timeout-ms", "0"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("--timeout-ms"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

/// Regression: `PREPUSH_AUTH=0 prepush-auth check` printed nothing at all.
#[test]
fn prepush_auth_0_says_so_in_one_line_on_stderr() {
    let sb = Sandbox::new();
    let run = sb.finish(sb.cmd(&["check"]).env("PREPUSH_AUTH", "0").output().unwrap());
    assert_eq!(run.code, 0);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("PREPUSH_AUTH=0"), "{}", run.stderr);
    // Hooks and helpers stay silent.
    let run = sb.finish(
        sb.cmd(&["pre-push", "origin", "https://github.com/a/b.git"])
            .env("PREPUSH_AUTH", "0")
            .output()
            .unwrap(),
    );
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
}

/// Regression: a `PREPUSH_AUTH_CONFIG` naming a missing file was ignored.
#[test]
fn a_missing_prepush_auth_config_is_an_error_that_never_blocks_a_push() {
    let sb = Sandbox::new();
    let missing = sb.home.join("no-such-config.toml");
    let run = sb.finish(
        sb.cmd(&["check", "https://github.com/a/b.git"])
            .env("PREPUSH_AUTH_CONFIG", &missing)
            .output()
            .unwrap(),
    );
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("PREPUSH_AUTH_CONFIG"), "{}", run.stderr);
    assert!(run.stderr.contains("does not exist"), "{}", run.stderr);
    sb.init_repo("https://github.com/a/b.git");
    let hook = sb.finish(
        sb.cmd(&["pre-push", "origin", "https://github.com/a/b.git"])
            .env("PREPUSH_AUTH_CONFIG", &missing)
            .output()
            .unwrap(),
    );
    assert_eq!(hook.code, 0, "never blocks a push: {}", hook.stderr);
}

/// Regression: with `store` configured, the fix said to configure `store`.
#[test]
fn the_no_credential_fix_never_suggests_the_helper_already_set() {
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_credential");
    let fix = c["fix"].to_string();
    assert!(!fix.contains("credential.helper store"), "{fix}");
    assert!(fix.contains("saves it with store"), "{fix}");

    // Without any helper, configuring one is the fix.
    sb.git(&["config", "--global", "--unset", "credential.helper"]);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_credential");
    assert!(c["fix"].to_string().contains("credential.helper store"), "{c}");
}

/// Regression (issue 11 item 5): after switching where the credential
/// lives, a cached `ok` replayed the old sentence ("written in the remote
/// URL"). The cache keeps the host's answers; a hit judges them again with
/// this run's credential, so the words name where it comes from now.
#[test]
fn a_cached_verdict_names_where_the_credential_comes_from_now() {
    let secret = classic_token("switchswitchswitchswitchswitch");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.secrets.lock().unwrap().push(secret.clone());
    let in_url = host
        .url(REPO_PATH)
        .replacen("http://", &format!("http://alice:{secret}@"), 1);
    sb.init_repo(&in_url);
    let first = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(first["reason"], "ok", "{first}");
    assert_eq!(first["cached"], false);
    assert_eq!(first["credential"]["helper"], "url");
    let sent = host.count();

    // The same token, now from `store`, the URL without it.
    sb.git(&["remote", "set-url", "origin", &host.url(REPO_PATH)]);
    sb.store_credential(&host.url(REPO_PATH), "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    let c = run.check();
    assert_eq!(c["cached"], true, "{c}");
    assert_eq!(host.count(), sent, "a cache hit sends nothing");
    assert_eq!(c["reason"], "ok");
    assert_eq!(c["credential"]["helper"], "store");
    let words = format!("{} {}", c["message"], c["fix"]);
    assert!(!words.contains("remote URL"), "stale words from the cache: {words}");
    let human = sb.run(&["check"]);
    assert!(!human.stdout.contains("remote URL"), "{}", human.stdout);
    // Whatever the judge says about the token, it says it as the fresh check does.
    let fresh = sb.run(&["check", "--format", "json", "--no-cache"]).check();
    assert_eq!(c["message"], fresh["message"]);
    assert_eq!(c["fix"], fresh["fix"]);
    assert_eq!(c["token"], fresh["token"]);
}

/// A rejection read from the cache names the helper that holds the stale
/// credential now, as a fresh one does.
#[test]
fn a_cached_rejection_names_this_runs_helper() {
    let secret = classic_token("rejectedrejectedrejectedreject");
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.secrets.lock().unwrap().push(secret.clone());
    let in_url = host
        .url(REPO_PATH)
        .replacen("http://", &format!("http://alice:{secret}@"), 1);
    sb.init_repo(&in_url);
    let first = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(first["verdict"], "block", "{first}");
    assert!(first.to_string().contains("remote URL"), "{first}");
    sb.git(&["remote", "set-url", "origin", &host.url(REPO_PATH)]);
    sb.store_credential(&host.url(REPO_PATH), "alice", &secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["cached"], true, "{c}");
    assert_eq!(c["verdict"], "block");
    let words = format!("{} {}", c["message"], c["fix"]);
    assert!(!words.contains("remote URL"), "{words}");
    assert!(words.contains("store"), "{words}");
}
