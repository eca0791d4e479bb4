#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Hugging Face Hub that answers as
//! recorded (`tests/fixtures/huggingface/`): `whoami-v2` names the token's
//! role, its fine-grained permissions and the account's organizations; git's
//! endpoint serves the receive-pack advertisement to every valid token, even
//! to accounts that may not write (huggingface_hub issue #937: the Hub
//! refuses them only at pre-receive). Offline rules run against the real
//! huggingface.co and hf.co URLs (nothing is sent).

mod support;

use support::*;

#[derive(Clone)]
struct Tok {
    secret: String,
    /// The whoami-v2 answer for this token.
    whoami: Reply,
}

/// `hf_` + 34 letters, the shape of real Hub tokens.
fn hf_token(seed: &str) -> String {
    format!("hf_{}", &seed.repeat(34)[..34])
}

/// A recorded answer with one text replaced (a role, a name).
fn edited(path: &str, from: &str, to: &str) -> Reply {
    let mut r = fixture(path);
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.contains(from), "{path} has no {from}");
    r.body = body.replace(from, to).into_bytes();
    r
}

fn hub(repo_path: &'static str, tokens: Vec<Tok>) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let known = presented(r).and_then(|p| tokens.iter().find(|t| t.secret == p).cloned());
            if r.path
                .starts_with(&format!("{repo_path}/info/refs?service=git-receive-pack"))
            {
                return Some(match known {
                    // The Hub's git 401 is text/plain (issue #1393 shows its
                    // headers, not its 29 bytes): none is invented here.
                    None => Reply::new(401, "").header("Content-Type", "text/plain; charset=utf-8"),
                    Some(_) => fixture("huggingface/probe-advertisement-read-token.http"),
                });
            }
            if r.path == "/api/whoami-v2" {
                return Some(match known {
                    None => fixture("huggingface/whoami-invalid-token.http"),
                    Some(t) => t.whoami,
                });
            }
            None
        })
        .start()
}

fn check(host: &FakeHost, repo_path: &str, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    sb.use_host(host, "huggingface", "");
    let url = host.url(repo_path);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

#[test]
fn a_write_token_of_an_org_writer_is_ok_and_the_secret_goes_only_in_authorization() {
    let secret = hf_token("Wrte");
    let host = hub(
        "/acme/widget-model",
        vec![Tok {
            secret: secret.clone(),
            whoami: fixture("huggingface/whoami-write-token-org-member.http"),
        }],
    );
    let (_sb, run) = check(&host, "/acme/widget-model", &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["provider"], "huggingface");
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["token"]["login"], "alice");
    assert_eq!(c["credential"]["kind"], "huggingface_token");
    assert_eq!(c["requests"], 2);
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
    let whoami = host
        .requests()
        .into_iter()
        .find(|r| r.path == "/api/whoami-v2")
        .unwrap();
    assert_eq!(
        whoami.header("authorization"),
        Some(format!("Bearer {secret}").as_str())
    );
}

/// Issue 10, case 1. The Hub answered the push probe with its advertisement
/// for an account that may not write, and the verdict was `ok`.
#[test]
fn bug_a_write_token_of_a_reader_of_the_org_passed() {
    let secret = hf_token("Rder");
    let host = hub(
        "/acme/widget-model",
        vec![Tok {
            secret: secret.clone(),
            whoami: edited(
                "huggingface/whoami-write-token-org-member.http",
                r#""roleInOrg":"write""#,
                r#""roleInOrg":"read""#,
            ),
        }],
    );
    let (_sb, run) = check(&host, "/acme/widget-model", &secret);
    assert_eq!(run.code, 0, "a warning, never a block on what cannot be known");
    let c = run.check();
    assert_eq!(c["verdict"], "warn");
    assert_eq!(c["reason"], "write_access_unknown", "{}", c["message"]);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("role read in acme"), "{message}");
    assert!(!message.contains("may push"), "{message}");
}

#[test]
fn read_tokens_and_fine_grained_tokens_without_repo_write_are_missing_write_scope() {
    let read = hf_token("Read");
    let fine = hf_token("Fine");
    let host = hub(
        "/alice/widget-model",
        vec![
            Tok {
                secret: read.clone(),
                whoami: edited(
                    "huggingface/whoami-write-token.http",
                    r#""role":"write""#,
                    r#""role":"read""#,
                ),
            },
            Tok {
                secret: fine.clone(),
                whoami: edited(
                    "huggingface/whoami-fine-grained-user-scoped.http",
                    r#""repo.access.read","repo.write","#,
                    r#""repo.access.read","#,
                ),
            },
        ],
    );
    for secret in [&read, &fine] {
        let (_sb, run) = check(&host, "/alice/widget-model", secret);
        assert_eq!(run.code, 1);
        let c = run.check();
        assert_eq!(c["reason"], "missing_write_scope", "{}", c["message"]);
    }
    let (_sb, run) = check(&host, "/alice/widget-model", &fine);
    assert!(run.check()["message"].as_str().unwrap().contains("repo.write"));
}

#[test]
fn a_fine_grained_token_with_repo_write_on_its_user_may_push_there() {
    let secret = hf_token("Ownr");
    let host = hub(
        "/alice/widget-model",
        vec![Tok {
            secret: secret.clone(),
            whoami: fixture("huggingface/whoami-fine-grained-user-scoped.http"),
        }],
    );
    let (_sb, run) = check(&host, "/alice/widget-model", &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(run.check()["reason"], "ok", "{}", run.check()["message"]);
}

#[test]
fn an_unknown_token_is_invalid() {
    let host = hub("/alice/widget-model", vec![]);
    let (_sb, run) = check(&host, "/alice/widget-model", &hf_token("Badd"));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("Invalid credentials in Authorization header")
    );
    assert!(c["fix"].to_string().contains("/settings/tokens/new?tokenType=write"));
}

#[test]
fn on_the_real_hosts_a_password_and_a_cut_token_block_without_any_request() {
    for (url, secret, reason) in [
        (
            "https://huggingface.co/acme/widget-model",
            "hunter2-hunter2".to_owned(),
            "password_not_token",
        ),
        (
            "https://hf.co/datasets/acme/corpus",
            hf_token("Cutt")[..30].to_owned(),
            "token_malformed",
        ),
    ] {
        let sb = Sandbox::new();
        sb.store_credential(url, "alice", &secret);
        let run = sb.run(&["check", url, "--format", "json"]);
        assert_eq!(run.code, 1, "{reason}");
        let c = run.check();
        assert_eq!(c["provider"], "huggingface");
        assert_eq!(c["reason"], reason);
        assert_eq!(c["requests"], 0);
    }
}

/// A real `git push` through the installed hook to git's own http-backend,
/// whoami answered as recorded. What the hook cannot know it says, and the
/// push goes on; a read token, which the Hub refuses at pre-receive (issue
/// #937), is stopped before the pack is uploaded.
#[test]
fn through_the_hook_an_unknown_write_access_warns_and_a_read_token_is_stopped() {
    for (role_in_org, role, lands) in [("read", "write", true), ("write", "read", false)] {
        let secret = hf_token("Hook");
        let sb = Sandbox::new();
        let root = sb.dir.path().join("server");
        let backend = GitBackend::new(root.clone(), "acme/widget-model", &[("*", &secret)]);
        let whoami = edited(
            "huggingface/whoami-write-token-org-member.http",
            r#""roleInOrg":"write""#,
            &format!(r#""roleInOrg":"{role_in_org}""#),
        );
        let whoami = {
            let mut r = whoami;
            r.body = String::from_utf8(r.body)
                .unwrap()
                .replace(r#""role":"write""#, &format!(r#""role":"{role}""#))
                .into_bytes();
            r
        };
        let host = FakeHost::builder()
            .route_fn(move |r| (r.path == "/api/whoami-v2").then(|| whoami.clone()))
            .git(backend)
            .start();
        sb.use_host(&host, "huggingface", "");
        let url = host.url("/acme/widget-model");
        sb.init_repo(&url);
        sb.store_credential(&url, "alice", &secret);
        assert_eq!(sb.run(&["install"]).code, 0);
        let (out, stderr) = sb.push_main();
        let landed = bare_has(&root.join("acme/widget-model"), "refs/heads/main");
        assert_eq!(out.status.success(), lands, "{stderr}");
        assert_eq!(landed, lands, "{stderr}");
        if lands {
            assert!(
                flat(&stderr).contains("role read in acme"),
                "the hook says what is unknown: {stderr}"
            );
        } else {
            assert!(flat(&stderr).contains("read token"), "{stderr}");
        }
    }
}
