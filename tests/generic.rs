#![allow(clippy::pedantic)]
//! `prepush-auth check` against a host nobody named in the config: the push
//! probe alone, on the remote's own host (PROVIDERS.md, any other host).

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widgets.git";

fn check(host: &FakeHost, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

/// git's upload-pack advertisement of an existing repository (the first
/// request to an unnamed host: it creates nothing, the push probe could).
fn fetch_advertisement() -> Reply {
    Reply::new(200, "001e# service=git-upload-pack\n0000")
        .header("Content-Type", "application/x-git-upload-pack-advertisement")
}

/// A GitLab nobody named: its recorded texts on git's endpoint
/// (`tests/fixtures/generic/gitlab-*`), its API elsewhere (`/api/v1` is not it).
#[test]
fn the_push_probe_decides_on_an_unknown_host_in_the_hosts_own_words() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            let known = basic_credentials(r).is_some_and(|(_, p)| {
                [
                    "right-password",
                    "reader-password",
                    "scope-password",
                    "archive-password",
                ]
                .contains(&p.as_str())
            });
            if r.path.contains("/info/refs?service=git-upload-pack") {
                return Some(if known {
                    fetch_advertisement()
                } else {
                    fixture("generic/gitlab-probe-401-access-denied.http")
                });
            }
            if !r.path.contains("/info/refs?service=git-receive-pack") {
                return None;
            }
            Some(match basic_credentials(r) {
                Some((_, p)) if p == "right-password" => advertisement(),
                Some((_, p)) if p == "reader-password" => fixture("generic/gitlab-probe-403-push-code.http"),
                Some((_, p)) if p == "scope-password" => fixture("generic/gitlab-probe-403-auth-upload.http"),
                Some((_, p)) if p == "archive-password" => fixture("generic/gitlab-probe-403-archived.http"),
                _ => fixture("generic/gitlab-probe-401-access-denied.http"),
            })
        })
        .start();
    for (secret, reason, code) in [
        ("right-password", "ok", 0),
        ("reader-password", "no_repo_access", 1),
        ("scope-password", "missing_write_scope", 1),
        ("archive-password", "repo_archived", 1),
        ("wrong-password", "token_invalid", 1),
    ] {
        let (_sb, run) = check(&host, secret);
        assert_eq!(run.code, code, "{secret}");
        let c = run.check();
        assert_eq!(c["provider"], "generic");
        assert_eq!(c["reason"], reason, "{}", c["message"]);
        // git's fetch advertisement and Gitea's API at once, then the push
        // probe only for a repository that answered (issue 16).
        let expected = if secret == "wrong-password" { 2 } else { 3 };
        assert_eq!(c["requests"], expected, "{}", c["message"]);
    }
    // A 200 is "accepted", and says that write access is not known.
    let (_sb, run) = check(&host, "right-password");
    let message = run.check()["message"].as_str().unwrap().to_owned();
    assert!(message.contains("is not known"), "{message}");
    assert!(!message.contains("may push"), "{message}");
    let (_sb, run) = check(&host, "wrong-password");
    let fix = run.check()["fix"].to_string();
    assert!(
        fix.contains(&format!(r#"[hosts.\"127.0.0.1:{}\"] provider = \"gitlab\""#, host.port)),
        "{fix}"
    );
}

/// Issue 10, case 2: a Gitea nobody named serves the advertisement to a
/// read-only collaborator; its API tells.
#[test]
fn a_read_only_collaborator_on_an_unnamed_gitea_is_not_ok() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            let known = basic_credentials(r).is_some_and(|(_, p)| p == "reader-password");
            if r.path
                .starts_with(&format!("{REPO_PATH}/info/refs?service=git-upload-pack"))
            {
                return Some(if known {
                    fetch_advertisement()
                } else {
                    fixture("gitea/probe-401-verify.http")
                });
            }
            if r.path
                .starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack"))
            {
                return Some(if known {
                    fixture("gitea/probe-advertisement-reader.http")
                } else {
                    fixture("gitea/probe-401-verify.http")
                });
            }
            if r.path == "/api/v1/repos/acme/widgets" {
                return Some(if known {
                    fixture("gitea/api-repo-reader.http")
                } else {
                    fixture("gitea/api-401-invalid-credentials.http")
                });
            }
            None
        })
        .start();
    let (_sb, run) = check(&host, "reader-password");
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["provider"], "generic");
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    assert!(
        c["fix"]
            .to_string()
            .contains(&format!(r#"[hosts.\"127.0.0.1:{}\"] provider = \"gitea\""#, host.port)),
        "{}",
        c["fix"]
    );
    assert_secret_only_in_authorization(&host, "reader-password", &c["requests"]);

    // A password the auth layer refuses with its one word: two-factor is
    // named as the likely cause, not claimed.
    let (_sb, run) = check(&host, "other-password");
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("Verify") && message.contains("likely cause"),
        "{message}"
    );
}

/// Regression: a rejection is cached, and it used to be cached before the
/// secret was scrubbed from the host's words, so a host that quoted the
/// credential back in its 401 body put the secret into the state file.
#[test]
fn a_host_that_quotes_the_secret_back_never_gets_it_into_output_or_the_state_file() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            Some(Reply::new(
                401,
                &format!("Bad credentials: {}\n", presented(r).unwrap_or_default()),
            ))
        })
        .start();
    let secret = "s3cr3t-Quoted-Back-42";
    let (sb, run) = check(&host, secret);
    assert_eq!(run.check()["reason"], "token_invalid");
    assert!(
        run.check()["message"]
            .as_str()
            .unwrap()
            .contains("Bad credentials: password (not shown)"),
        "the quoted secret is replaced, and a secret without a token's shape shows nothing of itself"
    );
    // Cached: the second run reads the state file the first one wrote.
    let again = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(again["cached"], true);
    sb.assert_no_secret_in_files();
}

/// A real `git push` through the installed hook to an unnamed Gitea-like
/// host (git's own http-backend, which, like Gitea with proc-receive, lets a
/// reader past the advertisement): its API's permissions.push stops a
/// reader before the pack is sent, and a writer's push lands quietly.
#[test]
fn through_the_hook_an_unnamed_giteas_reader_is_stopped_and_a_writer_lands() {
    for (push_right, lands) in [(false, false), (true, true)] {
        let sb = Sandbox::new();
        let root = sb.dir.path().join("server");
        let backend = GitBackend::new(root.clone(), "acme/widgets.git", &[("*", "s3cret-Pass-word")]);
        let mut record = fixture("gitea/api-repo-reader.http");
        record.body = String::from_utf8(record.body)
            .unwrap()
            .replace(r#""push":false"#, &format!(r#""push":{push_right}"#))
            .into_bytes();
        let host = FakeHost::builder()
            .route_fn(move |r| (r.path == "/api/v1/repos/acme/widgets").then(|| record.clone()))
            .git(backend)
            .start();
        let url = host.url(REPO_PATH);
        sb.init_repo(&url);
        sb.store_credential(&url, "alice", "s3cret-Pass-word");
        assert_eq!(sb.run(&["install"]).code, 0);
        let (out, stderr) = sb.push_main();
        let landed = bare_has(&root.join("acme/widgets.git"), "refs/heads/main");
        assert_eq!(out.status.success(), lands, "{stderr}");
        assert_eq!(landed, lands, "{stderr}");
        if lands {
            assert!(!stderr.contains("prepush-auth"), "quiet: {stderr}");
        } else {
            assert!(stderr.contains("permissions.push is false"), "{stderr}");
        }
    }
}

/// Issue 16: an unnamed server may be a GitLab, which creates a missing
/// project for the push probe (push-to-create): for a repository git's
/// fetch advertisement does not show, the probe is never sent, and the
/// verdict says why without blocking.
#[test]
fn a_repository_git_does_not_show_is_never_probed_for_push() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            if r.path.contains("service=git-upload-pack") {
                return Some(Reply::new(
                    404,
                    "The project you were looking for could not be found or you don't have permission to view it.",
                ));
            }
            // What a GitLab would do: create the project, then advertise it.
            r.path.contains("service=git-receive-pack").then(advertisement)
        })
        .start();
    let (_sb, run) = check(&host, "right-password");
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    assert_eq!(c["verdict"], "warn");
    assert!(
        c["message"].as_str().unwrap().contains("create it on push"),
        "{}",
        c["message"]
    );
    assert_eq!(
        host.count_path("service=git-receive-pack"),
        0,
        "the push probe was sent"
    );
}
