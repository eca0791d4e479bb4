#![allow(clippy::pedantic)]
//! Never block a credential that works: real `git push` through the
//! installed pre-push hook to git's own `git http-backend`, with the hosts'
//! REST answers served from recordings (`tests/fixtures/`, sources named in
//! each file). git's own receive-pack advertisement is the witness: what it
//! let through, no REST inference may stop.

mod support;

use std::process::Output;

use support::*;

struct World {
    sb: Sandbox,
    host: FakeHost,
    bare: std::path::PathBuf,
}

fn backend(sb: &Sandbox, secret: &str) -> (GitBackend, std::path::PathBuf) {
    let root = sb.dir.path().join("server");
    let b = GitBackend::new(root.clone(), "acme/widgets.git", &[("*", secret)]);
    (b, root.join("acme/widgets.git"))
}

/// A GitHub (Enterprise layout) answering REST from recordings for `secret`.
fn github_world(secret: &str, username: &str, repo: Reply, user: Option<Reply>) -> World {
    let sb = Sandbox::new();
    let (b, bare) = backend(&sb, secret);
    let host = github_recorded(secret, repo, user, Some(b));
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    World { sb, host, bare }
}

/// A host whose API under `prefix` answers `refused` to any token but
/// `secret`, and `answer` for that one; git's own http-backend behind it.
fn recorded_api(
    backend: GitBackend,
    prefix: &'static str,
    secret: &str,
    refused: Reply,
    answer: impl Fn(&Recorded) -> Reply + Send + Sync + 'static,
) -> FakeHost {
    let wanted = secret.to_owned();
    FakeHost::builder()
        .git(backend)
        .route_fn(move |r| {
            if !r.path.starts_with(prefix) {
                return None;
            }
            let bearer = r.header("authorization").and_then(|a| a.strip_prefix("Bearer "));
            Some(if bearer == Some(wanted.as_str()) {
                answer(r)
            } else {
                refused.clone()
            })
        })
        .start()
}

/// A GitLab answering its token and project APIs from recordings.
fn gitlab_world(secret: &str, token_self: Reply, project: Reply) -> World {
    let sb = Sandbox::new();
    let (b, bare) = backend(&sb, secret);
    let host = recorded_api(
        b,
        "/api/v4/",
        secret,
        fixture("gitlab/unauthorized.http"),
        move |r| match r.path.as_str() {
            "/api/v4/personal_access_tokens/self" => token_self.clone(),
            "/api/v4/projects/acme%2Fwidgets" => project.clone(),
            _ => Reply::json(404, r#"{"message":"404 Not Found"}"#),
        },
    );
    sb.use_host(&host, "gitlab", "/api/v4");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "oauth2", secret);
    World { sb, host, bare }
}

fn push(sb: &Sandbox) -> Output {
    sb.push_main().0
}

fn landed(w: &World) -> bool {
    let head = String::from_utf8(w.sb.git(&["rev-parse", "HEAD"]).stdout).unwrap();
    bare_has(&w.bare, head.trim())
}

/// Installs the hook, pushes, and returns git's stderr; the push must land.
fn push_lands(w: &World) -> String {
    let inst = w.sb.run(&["install"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let (out, err) = w.sb.push_main();
    assert!(out.status.success(), "the push was stopped:\n{err}");
    assert!(landed(w), "the commit did not reach the server:\n{err}");
    err
}

/// `check` with `args` says `ok` (exit 0); the JSON check, for more.
fn checks_ok(w: &World, args: &[&str]) -> serde_json::Value {
    let run = w.sb.run(&[&["check", "--format", "json"], args].concat());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["verdict"], "ok", "{}", c["message"]);
    c
}

/// The repository's recorded body with another recording's headers: the
/// scope headers belong to the token, not the endpoint (there is no
/// recording of `GET /repos` with an App user token; its headers are
/// recorded on `GET /user`).
fn recorded_repo_with_headers_of(headers: &str) -> Reply {
    let mut repo = fixture("github/repo-classic-token.http");
    repo.headers = fixture(headers).headers;
    repo
}

/// A recording's expiry header moved to a year from now, in the same form:
/// the recordings are old, and a token that expired in 2023 would be one.
fn expiring_next_year(mut reply: Reply) -> Reply {
    let next_year = (chrono::Utc::now() + chrono::Duration::days(365))
        .format("%Y-%m-%d %H:%M:%S UTC")
        .to_string();
    for (k, v) in &mut reply.headers {
        if k.eq_ignore_ascii_case("github-authentication-token-expiration") {
            *v = next_year.clone();
        }
    }
    reply
}

#[test]
fn an_app_user_token_with_empty_scope_headers_pushes_and_checks_ok() {
    let secret = github_token("ghu_", "AppUserAppUserAppUserAppUserAp");
    let w = github_world(
        &secret,
        "alice",
        expiring_next_year(recorded_repo_with_headers_of("github/user-app-user-token.http")),
        Some(expiring_next_year(fixture("github/user-app-user-token.http"))),
    );
    let err = push_lands(&w);
    assert!(!err.contains("prepush-auth"), "quiet when all is well:\n{err}");
    let c = checks_ok(&w, &[]);
    assert_eq!(
        c["token"]["scopes"],
        serde_json::Value::Null,
        "an empty header is not 'no scopes'"
    );
}

#[test]
fn installation_tokens_short_and_long_push_and_check_ok() {
    for secret in [
        github_token("ghs_", "InstallInstallInstallInstallIn"),
        format!("ghs_987654_{}", "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.x".repeat(14)),
    ] {
        let w = github_world(
            &secret,
            "x-access-token",
            fixture("github/repo-installation-token.http"),
            None,
        );
        let err = push_lands(&w);
        assert!(!err.contains("prepush-auth"), "quiet when all is well:\n{err}");
        checks_ok(&w, &[]);
        assert_eq!(w.host.count_path("/api/v3/user"), 0, "an App has no /user");
    }
}

#[test]
fn a_gitlab_fine_grained_token_pushes_and_checks_ok() {
    let secret = "glpat-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc.01.1a2b3c4d5";
    // The recording's placeholder expiry (2026-12-01) is moved to a month
    // from today: this test is about a token that has not expired, on any day.
    let mut this_self = fixture("gitlab/pat-self-granular.http");
    let month_ahead = (chrono::Utc::now() + chrono::Duration::days(30)).format("%Y-%m-%d");
    this_self.body = String::from_utf8(this_self.body)
        .unwrap()
        .replace(
            r#""expires_at":"2026-12-01""#,
            &format!(r#""expires_at":"{month_ahead}""#),
        )
        .into_bytes();
    assert!(String::from_utf8_lossy(&this_self.body).contains(&month_ahead.to_string()));
    let w = gitlab_world(secret, this_self, fixture("gitlab/insufficient-scope.http"));
    let err = push_lands(&w);
    assert!(!err.contains("prepush-auth"), "quiet when all is well:\n{err}");
    checks_ok(&w, &["--no-cache"]);
}

#[test]
fn a_gitlab_reporter_who_is_developer_through_a_group_share_pushes() {
    let secret = "glpat-ReporterReporterReporter";
    let mut reporter = fixture("gitlab/project-guest-direct-owner-group.http");
    let body = String::from_utf8(reporter.body.clone()).unwrap();
    reporter.body = body
        .replace(r#""access_level":10"#, r#""access_level":20"#)
        .replace(
            r#""group_access":{"access_level":50,"notification_level":3}"#,
            r#""group_access":null"#,
        )
        .into_bytes();
    let w = gitlab_world(secret, fixture("gitlab/pat-self-legacy.http"), reporter);
    push_lands(&w);
    checks_ok(&w, &["--no-cache"]);
}

/// The hook runs after git got the advertisement with this credential: an
/// API that calls the token bad contradicts git (level 1 beats level 2), so
/// the push goes on.
#[test]
fn in_the_hook_a_rest_refusal_git_contradicts_never_stops_the_push() {
    let secret = classic_token("ContradictContradictContradict");
    let w = github_world(&secret, "alice", fixture("github/bad-credentials.http"), None);
    let err = push_lands(&w);
    assert!(!err.contains("will fail"), "{err}");
    assert!(
        w.host.count_path("/api/v3/repos/acme/widgets") >= 1,
        "the hook asked the API"
    );
    // `check` has no such witness: the hook's remembered answers, judged
    // without it, say otherwise, so it asks again, and the host's 401 blocks.
    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.check()["cached"], false, "{}", run.stdout);
}

/// Recorded: GitHub refuses workflow changes from a token without the
/// `workflow` scope only after the pack arrives; the hook stops it first.
#[test]
fn a_workflow_change_with_a_classic_token_without_workflow_is_stopped_before_upload() {
    let secret = classic_token("NoWorkflowNoWorkflowNoWorkflow");
    let mut repo = expiring_next_year(fixture("github/repo-classic-token.http"));
    for (k, v) in &mut repo.headers {
        if k.eq_ignore_ascii_case("x-oauth-scopes") {
            *v = "repo".to_owned();
        }
    }
    let w = github_world(&secret, "alice", repo, None);
    w.sb.run(&["install"]);
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", "."]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let out = push(&w.sb);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the push should be stopped:\n{err}");
    assert!(err.contains("workflow scope"), "{err}");
    let packs = w
        .host
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/git-receive-pack"))
        .count();
    assert_eq!(packs, 0, "no pack may reach the server");
    assert!(!landed(&w));
}

/// Hugging Face serves git's advertisement to accounts that may not write
/// (huggingface_hub issue #937): where whoami cannot tell, `check` says the
/// write access is unknown, and so does the hook, once a day, without
/// stopping the push.
#[test]
fn an_unknown_write_access_is_said_and_never_stops_the_push() {
    let secret = format!("hf_{}", "AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh");
    let sb = Sandbox::new();
    let (b, bare) = backend(&sb, &secret);
    let mut whoami = fixture("huggingface/whoami-write-token-org-member.http");
    whoami.body = String::from_utf8(whoami.body.clone())
        .unwrap()
        .replace(r#""roleInOrg":"write""#, r#""roleInOrg":"contributor""#)
        .into_bytes();
    let host = recorded_api(
        b,
        "/api/whoami-v2",
        &secret,
        fixture("huggingface/whoami-invalid-token.http"),
        move |_| whoami.clone(),
    );
    sb.use_host(&host, "huggingface", "");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);
    let w = World { sb, host, bare };
    let run = w.sb.run(&["check", "--format", "json", "--no-cache"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(
        (c["verdict"].as_str(), c["reason"].as_str()),
        (Some("warn"), Some("write_access_unknown")),
        "{}",
        c["message"]
    );
    let err = push_lands(&w);
    assert!(err.contains("not known"), "the hook says what is unknown:\n{err}");
    assert!(w.host.count_path("/api/whoami-v2") >= 1, "the Hub was asked");
    // Once a day, not on every push.
    std::fs::write(w.sb.work.join("more"), "x\n").unwrap();
    w.sb.git(&["add", "more"]);
    w.sb.git(&["commit", "-qm", "more"]);
    let err = push_lands(&w);
    assert!(!err.contains("prepush-auth"), "said already today:\n{err}");
}

/// The hook's workflow rule never blocks on scopes remembered from before:
/// the user who just added `workflow`, as the fix said, pushes at once.
#[test]
fn a_workflow_block_is_never_made_of_remembered_scopes() {
    let secret = classic_token("RememberedScopesRememberedScop");
    let scopes = std::sync::Arc::new(std::sync::Mutex::new("repo".to_owned()));
    let sb = Sandbox::new();
    let (b, bare) = backend(&sb, &secret);
    let current = scopes.clone();
    let host = recorded_api(
        b,
        "/api/v3/",
        &secret,
        fixture("github/bad-credentials.http"),
        move |_| {
            let mut reply = expiring_next_year(fixture("github/repo-classic-token.http"));
            for (k, v) in &mut reply.headers {
                if k.eq_ignore_ascii_case("x-oauth-scopes") {
                    *v = current.lock().unwrap().clone();
                }
            }
            reply
        },
    );
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);
    let w = World { sb, host, bare };
    w.sb.run(&["install"]);
    // A first push remembers the scopes (repo).
    push_lands(&w);
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", "."]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let out = push(&w.sb);
    assert!(!out.status.success(), "stopped without workflow");
    // The user adds the scope; the next push goes through at once.
    *scopes.lock().unwrap() = "repo, workflow".to_owned();
    let err = push_lands(&w);
    assert!(!err.contains("workflow scope"), "{err}");
}
