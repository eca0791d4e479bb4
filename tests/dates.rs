#![allow(clippy::pedantic)]
//! Issue 16: a date is a prediction, the host's answer is the evidence.
//! A remembered expiry never blocks a token the host still takes — not in
//! `check`, not under `--no-cache`, not in the gate that stands before git —
//! and explains the refusal once the host gives one. Every date is computed
//! from now: the suite passes on any day (CI reruns it with the clock moved
//! ahead).

mod support;

use std::time::Duration;

use chrono::{DateTime, Utc};
use support::*;

struct World {
    sb: Sandbox,
    host: FakeHost,
    bare: std::path::PathBuf,
    /// The moment the host announced.
    expiry: DateTime<Utc>,
}

impl World {
    fn day(&self) -> String {
        self.expiry.format("%Y-%m-%d").to_string()
    }
}

/// GitHub's header form for classic tokens (the other, `+0900`, is read too).
fn github_form(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A fine-grained token whose host announces that it expires a few seconds
/// from now (and keeps announcing that moment), with git's own http-backend
/// behind it; if `dies`, the host refuses it from that moment on. One
/// `check` has run, so the date is remembered. The margin gives that check
/// time to finish on a loaded machine (CI runs the suite under faketime).
fn announced(seed: char, dies: bool) -> World {
    let secret = fine_grained_token(seed);
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &[("*", &secret)]);
    let expiry = Utc::now() + chrono::Duration::seconds(6);
    let mut t = tok(&secret, None);
    t.expiration = Some(github_form(expiry));
    t.dies_at = dies.then(|| std::time::SystemTime::from(expiry));
    let host = github_with(vec![t], REPO_JSON, Some(backend));
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);
    let first = sb.run(&["check", "--format", "json"]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    let c = first.check();
    assert_eq!(c["reason"], "expires_soon", "{}", c["message"]);
    World {
        sb,
        host,
        bare: root.join("acme/widgets.git"),
        expiry,
    }
}

/// Until every announced moment has passed (the header has whole seconds).
fn wait_until_passed(worlds: &[&World]) {
    let last = worlds.iter().map(|w| w.expiry).max().unwrap();
    let left = (last - Utc::now()).num_milliseconds() + 1200;
    if left > 0 {
        std::thread::sleep(Duration::from_millis(left as u64));
    }
}

fn landed(w: &World) -> bool {
    let head = String::from_utf8(w.sb.git(&["rev-parse", "HEAD"]).stdout).unwrap();
    bare_has(&w.bare, head.trim())
}

#[test]
fn a_token_the_host_still_takes_after_its_announced_expiry_checks_and_pushes() {
    // Three homes, each remembering the date: one per way in.
    let worlds: Vec<World> = ['a', 'b', 'c'].into_iter().map(|s| announced(s, false)).collect();
    wait_until_passed(&worlds.iter().collect::<Vec<_>>());

    for (w, args) in worlds[..2].iter().zip([&[][..], &["--no-cache"][..]]) {
        let run = w.sb.run(&[&["check", "--format", "json"][..], args].concat());
        assert_eq!(run.code, 0, "check {args:?}: {}", run.stdout);
        let c = run.check();
        assert_eq!(c["verdict"], "ok", "check {args:?}: {}", c["message"]);
        assert_eq!(c["cached"], false, "a passed date is asked, never replayed");
        let message = c["message"].as_str().unwrap();
        assert!(
            message.contains(&format!(
                "the host had announced that it expires on {}, which has passed, and still accepts it",
                w.day()
            )),
            "{message}"
        );
        // The date is forgotten: the next check is an ordinary one.
        let again = w.sb.run(&["check", "--format", "json"]).check();
        assert_eq!(again["verdict"], "ok", "{}", again["message"]);
        assert!(
            !again["message"].as_str().unwrap().contains("had announced"),
            "{}",
            again["message"]
        );
    }

    // A real push through the gate, first in git's credential chain.
    let w = &worlds[2];
    let inst = w.sb.run(&["install", "--helper", "gate"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let (out, err) = w.sb.push_main();
    assert!(out.status.success(), "the push was stopped:\n{err}");
    assert!(!err.contains("told us to quit"), "{err}");
    assert!(landed(w), "the commit did not reach the server:\n{err}");
    w.sb.assert_no_secret_in_files();
}

#[test]
fn once_the_host_refuses_it_the_remembered_date_explains_the_refusal() {
    let w = announced('d', true);
    let gated = announced('e', true);
    wait_until_passed(&[&w, &gated]);

    let before = w.host.count();
    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "token_expired");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "expired on {}, as the host reported while it still worked",
            w.day()
        )),
        "{message}"
    );
    assert_eq!(c["requests"], 1, "the one request that decides");
    assert_eq!(w.host.count(), before + 1);

    // The gate hears the same refusal in its own run, and only then stops git.
    let inst = gated.sb.run(&["install", "--helper", "gate"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let (out, err) = gated.sb.push_main();
    assert!(!out.status.success());
    assert!(err.contains("told us to quit"), "{err}");
    assert!(err.contains(&format!("expired on {}", gated.day())), "{err}");
    assert!(!landed(&gated));
}

#[test]
fn an_expiry_of_the_answers_own_time_is_said_and_never_learned() {
    let secret = classic_token("nownownownownownownownownownow");
    let wanted = secret.clone();
    // GitHub was reported sending the current time as a fine-grained token's
    // expiry (google/go-github#3708): the header says "now", the Date
    // header (added by the server) says the same second.
    let host = FakeHost::builder()
        .route_fn(move |r| {
            let bearer = r.header("authorization").and_then(|a| a.strip_prefix("Bearer "));
            if bearer != Some(wanted.as_str()) {
                return Some(fixture("github/bad-credentials.http"));
            }
            let body = match r.path.as_str() {
                "/api/v3/repos/acme/widgets" => REPO_JSON.to_owned(),
                "/api/v3/user" => r#"{"login":"alice","id":7,"type":"User"}"#.to_owned(),
                _ => return Some(fixture("github/not-found.http")),
            };
            Some(
                Reply::json(200, &body)
                    .header("X-OAuth-Scopes", "repo, workflow")
                    .header("GitHub-Authentication-Token-Expiration", &github_form(Utc::now())),
            )
        })
        .start();
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);

    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["verdict"], "ok", "{}", c["message"]);
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("the host reported an expiry of now for a token it accepted"),
        "{message}"
    );
    assert!(c["token"]["expires_at"].is_null(), "{}", c["token"]);

    // Nothing was learned: later runs, after that "expiry", ask nothing
    // about a date and never say it.
    std::thread::sleep(Duration::from_millis(1100));
    let state = std::fs::read_to_string(sb.home.join(".cache/prepush-auth/state.json")).unwrap();
    let state: serde_json::Value = serde_json::from_str(&state).unwrap();
    for (_, t) in state["tokens"].as_object().unwrap() {
        assert!(t["token"]["expires_at"].is_null(), "learned: {t}");
    }
    let later = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(later["verdict"], "ok", "{}", later["message"]);
    assert!(!later["message"].as_str().unwrap().contains("had announced"));
}
