#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Hugging Face Hub: `whoami-v2`
//! answers with the token's role and fine-grained permissions, git's endpoint
//! refuses a push to an organization the account may not write to. Offline
//! rules run against the real huggingface.co and hf.co URLs (nothing is sent).

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widget-model";

#[derive(Clone)]
struct Tok {
    secret: String,
    /// `auth.accessToken` without the braces.
    access_token: String,
    /// The account may write to the `acme` organization's repositories.
    org_writer: bool,
}

/// `hf_` + 34 alphanumerics, the shape of a whole token.
fn hf_token(seed: &str) -> String {
    format!("hf_{}", &seed.repeat(34)[..34])
}

fn role(role: &str) -> String {
    format!(r#""displayName":"laptop","role":"{role}","createdAt":"2026-07-23T10:27:03.276Z""#)
}

fn fine_grained(entity_type: &str, name: &str, perms: &str) -> String {
    format!(
        r#"{},"fineGrained":{{"canReadGatedRepos":true,"global":["discussion.write"],"scoped":[{{"entity":{{"_id":"6a61","type":"{entity_type}","name":"{name}"}},"permissions":[{perms}]}}]}}"#,
        role("fineGrained")
    )
}

fn hub(tokens: Vec<Tok>) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let known = presented(r).and_then(|p| tokens.iter().find(|t| t.secret == p).cloned());
            if r.path.starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack")) {
                let may_write = known.as_ref().map(|t| {
                    t.org_writer
                        && (t.access_token.contains(r#""role":"write""#) || t.access_token.contains("repo.write"))
                });
                return Some(match may_write {
                    None => Reply::new(401, "Invalid username or password.\n"),
                    Some(false) => Reply::new(403, "You are not authorized to push to this repo.\n"),
                    Some(true) => advertisement(),
                });
            }
            if r.path == "/api/whoami-v2" {
                return Some(match known {
                    None => Reply::json(401, r#"{"error":"Invalid credentials in Authorization header"}"#),
                    Some(t) => Reply::json(
                        200,
                        &format!(
                            r#"{{"type":"user","id":"6a61ec32","name":"alice","fullname":"Alice","isPro":false,"orgs":[{{"type":"org","name":"acme"}}],"auth":{{"type":"access_token","accessToken":{{{}}}}}}}"#,
                            t.access_token
                        ),
                    ),
                });
            }
            None
        })
        .start()
}

fn check(host: &FakeHost, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    sb.use_host(host, "huggingface", "");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

fn tok(secret: &str, access_token: String, org_writer: bool) -> Tok {
    Tok {
        secret: secret.to_owned(),
        access_token,
        org_writer,
    }
}

#[test]
fn a_write_token_of_an_org_writer_is_ok() {
    let secret = hf_token("Wr1t");
    let host = hub(vec![tok(&secret, role("write"), true)]);
    let (_sb, run) = check(&host, &secret);
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

#[test]
fn read_tokens_and_fine_grained_tokens_without_repo_write_on_the_owner_are_missing_write_scope() {
    let read = hf_token("R3ad");
    let only_user = hf_token("Us3r");
    let on_org = hf_token("0rgW");
    let host = hub(vec![
        tok(&read, role("read"), true),
        tok(
            &only_user,
            fine_grained("user", "alice", r#""repo.content.read","repo.write""#),
            true,
        ),
        tok(
            &on_org,
            fine_grained("org", "acme", r#""repo.content.read","repo.write""#),
            true,
        ),
    ]);
    for secret in [&read, &only_user] {
        let (_sb, run) = check(&host, secret);
        assert_eq!(run.code, 1);
        let c = run.check();
        assert_eq!(c["reason"], "missing_write_scope", "{}", c["message"]);
    }
    let (_sb, run) = check(&host, &only_user);
    assert!(run.check()["message"].as_str().unwrap().contains("repo.write"));
    let (_sb, run) = check(&host, &on_org);
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "ok");
    assert_eq!(
        run.check()["token"]["scopes"],
        serde_json::json!(["repo.content.read", "repo.write"])
    );
}

#[test]
fn a_write_token_of_a_non_writer_is_refused_by_the_probe_and_a_bad_token_is_invalid() {
    let secret = hf_token("N0wr");
    let host = hub(vec![tok(&secret, role("write"), false)]);
    let (_sb, run) = check(&host, &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access");
    assert!(
        c["message"].as_str().unwrap().contains("not authorized to push"),
        "{}",
        c["message"]
    );

    let (_sb, run) = check(&host, &hf_token("Bad0"));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        c["fix"][0]
            .as_str()
            .unwrap()
            .contains("/settings/tokens/new?tokenType=write")
    );
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
            hf_token("Cut0")[..30].to_owned(),
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
