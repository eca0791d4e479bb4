#![allow(clippy::pedantic)]
//! Which credential git really sends, and which account may push (issue 20):
//! real `git push` to git's own `git http-backend` on loopback, credentials
//! in a real `git credential-store`, an `Authorization` extra header in the
//! repository's config as actions/checkout writes it.

mod support;

use base64::Engine as _;
use support::*;

/// What actions/checkout persists (`src/git-auth-helper.ts`):
/// `http.<origin>/.extraheader = AUTHORIZATION: basic base64(x-access-token:TOKEN)`.
fn checkout_header(sb: &Sandbox, host: &FakeHost, token: &str) -> String {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    sb.secrets.lock().unwrap().push(basic.clone());
    let key = format!("http.http://127.0.0.1:{}/.extraheader", host.port);
    sb.git(&["config", "--local", &key, &format!("AUTHORIZATION: basic {basic}")]);
    key
}

struct World {
    sb: Sandbox,
    host: FakeHost,
    bare: std::path::PathBuf,
}

/// An emulated GitHub that knows `alive` (may push), with git's backend
/// accepting them; the work repository's origin points at it.
fn world(alive: &[&str]) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = alive.iter().map(|t| ("*", *t)).collect();
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let host = github_with(
        alive.iter().map(|t| tok(t, Some("repo"))).collect(),
        REPO_JSON,
        Some(backend),
    );
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    World {
        sb,
        host,
        bare: root.join("acme/widgets.git"),
    }
}

#[test]
fn the_extra_header_is_what_git_sends_and_what_check_judges() {
    let good = classic_token("headerheaderheaderheaderheader");
    let stale = classic_token("stalestalestalestalestalestale");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &stale);
    let key = checkout_header(&w.sb, &w.host, &good);

    // git sends the header and never asks the store: the push lands.
    let (out, stderr) = w.sb.push_main();
    assert!(out.status.success(), "{stderr}");
    assert!(bare_has(&w.bare, "main"));
    assert!(
        std::fs::read_to_string(w.sb.home.join(".git-credentials"))
            .unwrap()
            .contains(&stale),
        "the stale entry was not even asked, so not erased"
    );

    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["helper"], "extraheader");
    assert_eq!(c["credential"]["secret"], format!("ghp_…{}", &good[36..]));
    // The header's token went to the API, the store's never.
    assert!(
        w.host
            .requests()
            .iter()
            .all(|r| presented(r).as_deref() == Some(good.as_str()))
    );

    let human = w.sb.run(&["check", "--no-cache"]);
    assert!(human.stdout.contains(&key), "{}", human.stdout);
    assert!(
        human
            .stdout
            .contains("actions/checkout persists this token unless `persist-credentials: false`"),
        "{}",
        human.stdout
    );
    assert!(human.stdout.contains(".git/config"), "{}", human.stdout);
}

#[test]
fn a_dead_extra_header_is_named_as_the_fault_beside_a_good_store_entry() {
    let good = classic_token("goodgoodgoodgoodgoodgoodgoodgo");
    let dead = classic_token("deaddeaddeaddeaddeaddeaddeadde");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &good);
    let key = checkout_header(&w.sb, &w.host, &dead);

    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid", "{c}");
    assert_eq!(c["credential"]["helper"], "extraheader");
    let fix = c["fix"].to_string();
    assert!(fix.contains(&key), "{fix}");
    assert!(fix.contains("persist-credentials: false"), "{fix}");
    assert!(fix.contains("still sends the header"), "{fix}");

    // And git agrees: the header wins over the good store entry.
    let (out, _) = w.sb.push_main();
    assert!(!out.status.success());
    assert!(!bare_has(&w.bare, "main"));
}
