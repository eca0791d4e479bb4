#![allow(clippy::pedantic)]
//! Many checks at once share one state file: it stays whole and loses no
//! entry (writes take a lock, re-read, merge and rename). A corrupt state
//! file is discarded and rebuilt, never fatal.

mod support;

use std::process::Child;

use support::*;

const N: usize = 16;

const REPO_JSON: &str = r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"push":true}}"#;

/// An emulated GitHub that accepts any of `tokens` for any repository.
fn github_accepting(tokens: Vec<String>) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let bearer = r.header("authorization").and_then(|a| a.strip_prefix("Bearer "));
            if !tokens.iter().any(|t| Some(t.as_str()) == bearer) {
                return Some(Reply::json(401, r#"{"message":"Bad credentials"}"#));
            }
            Some(
                if r.path.ends_with("/user") {
                    Reply::json(200, r#"{"login":"alice"}"#)
                } else {
                    Reply::json(200, REPO_JSON)
                }
                .header("X-OAuth-Scopes", "repo"),
            )
        })
        .start()
}

fn token(i: usize) -> String {
    classic_token(&format!("{:0>30}", format!("parallel{i}")))
}

/// N repositories on one host, each with its own token in the store
/// (`credential.useHttpPath`, so the store keeps one per path).
fn setup() -> (Sandbox, FakeHost, Vec<String>) {
    let tokens: Vec<String> = (0..N).map(token).collect();
    let host = github_accepting(tokens.clone());
    let sb = Sandbox::new();
    // Generous: 16 processes on 2 cores; the deadline is not the subject.
    sb.use_host_timeout(&host, "github", "/api/v3", 20_000);
    sb.git(&["config", "--global", "credential.useHttpPath", "true"]);
    let urls: Vec<String> = (0..N).map(|i| host.url(&format!("/acme/widgets-{i}.git"))).collect();
    for (url, t) in urls.iter().zip(&tokens) {
        sb.store_credential(url, "alice", t);
    }
    (sb, host, urls)
}

/// Starts every check at once, then collects them.
fn all_at_once(sb: &Sandbox, urls: &[String], extra: &[&str]) -> Vec<serde_json::Value> {
    let children: Vec<Child> = urls
        .iter()
        .map(|url| {
            let mut args = vec!["check", url.as_str(), "--format", "json"];
            args.extend_from_slice(extra);
            sb.cmd(&args)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|c| {
            let run = sb.finish(c.wait_with_output().unwrap());
            assert_eq!(run.code, 0, "{}", run.stderr);
            run.check()
        })
        .collect()
}

fn state_file(sb: &Sandbox) -> serde_json::Value {
    let text = std::fs::read_to_string(sb.home.join(".cache/prepush-auth/state.json")).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("the state file is not whole ({e}):\n{text}"))
}

#[test]
fn parallel_checks_keep_the_state_whole_and_lose_no_entry() {
    let (sb, host, urls) = setup();

    // Round 1: a fresh HOME, so the processes also race to create the key.
    let first = all_at_once(&sb, &urls, &[]);
    for (i, c) in first.iter().enumerate() {
        assert_eq!(c["reason"], "ok", "{i}: {c}");
        assert_eq!(c["cached"], false);
        assert_eq!(
            c["credential"]["secret"],
            format!("ghp_…{}", &token(i)[36..]),
            "{i}: its own token"
        );
    }
    // Round 2: everyone writes again, at once.
    all_at_once(&sb, &urls, &["--no-cache"]);
    let state = state_file(&sb);
    assert_eq!(state["version"], 1);
    assert_eq!(state["verdicts"].as_object().unwrap().len(), N, "{state:#}");
    assert_eq!(state["tokens"].as_object().unwrap().len(), N, "{state:#}");

    // Round 3: every verdict is remembered, under the one key they all used.
    let before = host.count();
    let third = all_at_once(&sb, &urls, &[]);
    for (i, c) in third.iter().enumerate() {
        assert_eq!(c["reason"], "ok", "{i}: {c}");
        assert_eq!(c["cached"], true, "{i}: {c}");
        assert_eq!(c["requests"], 0, "{i}");
    }
    assert_eq!(host.count(), before, "a cached round sends nothing");
    let leftovers: Vec<_> = walk(&sb.home.join(".cache/prepush-auth"))
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left behind: {leftovers:?}");
}

#[test]
fn a_corrupt_state_file_is_discarded_and_rebuilt() {
    let secret = token(99);
    let host = github_accepting(vec![secret.clone()]);
    let url = host.url("/acme/widgets.git");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\xff\xfe\x00garbage{{{".to_vec()),
        (
            "truncated",
            br#"{"version":1,"tokens":{"ab":{"token":{"login":"al"#.to_vec(),
        ),
        ("wrong version", br#"{"version":7,"tokens":{},"verdicts":{}}"#.to_vec()),
        ("wrong shape", br#"{"version":1,"verdicts":[1,2,3]}"#.to_vec()),
        ("empty", Vec::new()),
        ("huge", vec![b' '; 4 * 1024 * 1024]),
    ];
    for (what, bytes) in cases {
        let (sb, dir) = sandbox_with_state_dir(&host, &url, &secret, 5000);
        std::fs::write(dir.join("state.json"), &bytes).unwrap();
        let run = sb.run(&["check", &url, "--format", "json"]);
        assert_eq!(run.code, 0, "{what}: {}", run.stderr);
        assert_eq!(run.check()["reason"], "ok", "{what}");
        assert!(run.stderr.is_empty(), "{what}: {}", run.stderr);
        assert_eq!(state_file(&sb)["version"], 1, "{what}: rebuilt");
        let again = sb.run(&["check", &url, "--format", "json"]).check();
        assert_eq!(again["cached"], true, "{what}: the rebuilt state works");
    }
}

#[test]
fn an_unusable_state_directory_costs_the_cache_never_the_check() {
    let secret = token(98);
    let host = github_accepting(vec![secret.clone()]);
    let url = host.url("/acme/widgets.git");
    type Breakage = Box<dyn Fn(&std::path::Path)>;
    let breakages: Vec<(&str, Breakage)> = vec![
        (
            "state.json is a directory",
            Box::new(|d| std::fs::create_dir_all(d.join("state.json/x")).unwrap()),
        ),
        (
            "key is a directory",
            Box::new(|d| std::fs::create_dir_all(d.join("key/x")).unwrap()),
        ),
        (
            "damaged key",
            Box::new(|d| std::fs::write(d.join("key"), b"short").unwrap()),
        ),
        (
            "state directory is a file",
            Box::new(|d| {
                std::fs::remove_dir_all(d).unwrap();
                std::fs::write(d, b"not a directory").unwrap();
            }),
        ),
    ];
    for (what, breakage) in breakages {
        let (sb, dir) = sandbox_with_state_dir(&host, &url, &secret, 5000);
        breakage(&dir);
        for _ in 0..2 {
            let run = sb.run(&["check", &url, "--format", "json"]);
            assert_eq!(run.code, 0, "{what}: {}", run.stderr);
            assert_eq!(run.check()["reason"], "ok", "{what}");
        }
    }
}

#[test]
fn a_lock_held_for_ever_by_a_stopped_process_costs_the_cache_not_the_check() {
    let secret = token(97);
    let host = github_accepting(vec![secret.clone()]);
    let url = host.url("/acme/widgets.git");
    let (sb, dir) = sandbox_with_state_dir(&host, &url, &secret, 2000);
    // As a check stopped mid-write would: the lock taken and never let go.
    let holder = std::fs::File::create(dir.join("state.lock")).unwrap();
    holder.lock().unwrap();
    let started = std::time::Instant::now();
    let run = sb.run(&["check", &url, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.check()["reason"], "ok");
    assert!(
        started.elapsed() < std::time::Duration::from_millis(2000 + 1500),
        "{:?}",
        started.elapsed()
    );
    drop(holder);
    sb.run(&["check", &url, "--format", "json"]);
    assert_eq!(sb.run(&["check", &url, "--format", "json"]).check()["cached"], true);
}

/// A sandbox pointed at `host` with `secret` stored for `url`, and the
/// (created) state directory, for the tests that break it on purpose.
fn sandbox_with_state_dir(host: &FakeHost, url: &str, secret: &str, timeout_ms: u64) -> (Sandbox, std::path::PathBuf) {
    let sb = Sandbox::new();
    sb.use_host_timeout(host, "github", "/api/v3", timeout_ms);
    sb.store_credential(url, "alice", secret);
    let dir = sb.home.join(".cache/prepush-auth");
    std::fs::create_dir_all(&dir).unwrap();
    (sb, dir)
}
