#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Azure DevOps organization `acme`:
//! `_apis/connectionData` names the signed-in user, a bad PAT gets 203 with
//! an HTML sign-in page (PROVIDERS.md), and git's endpoint refuses a PAT
//! without the scope Code (Read & write).

mod support;

use support::*;

const REPO_PATH: &str = "/acme/Widgets/_git/widgets";

#[derive(Clone)]
struct Pat {
    secret: String,
    code_write: bool,
}

fn pat(seed: char) -> String {
    // The 52-character base32 form of Azure DevOps PATs.
    seed.to_string().repeat(52)
}

fn azure(pats: Vec<Pat>) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let known = basic_credentials(r).and_then(|(_, p)| pats.iter().find(|t| t.secret == p).cloned());
            if r.path.contains("/info/refs?service=git-receive-pack") {
                if !r.path.starts_with(REPO_PATH) {
                    return Some(Reply::new(
                        404,
                        "TF401019: The Git repository with name or identifier nope does not exist or you do not have permissions for the operation you are attempting.",
                    ));
                }
                return Some(match known {
                    None => fixture("azure-devops/rest-401-pat.http"),
                    // No public recording of this answer exists (a PAT with
                    // Code (Read) only): a 403 without words stands for it.
                    Some(t) if !t.code_write => Reply::new(403, ""),
                    Some(_) => advertisement(),
                });
            }
            if r.path == "/acme/_apis/connectionData" {
                return Some(match known {
                    None => fixture("azure-devops/rest-203-sign-in.http"),
                    Some(_) => Reply::json(
                        200,
                        r#"{"authenticatedUser":{"id":"6c2b1a3e-0000-0000-0000-000000000001","descriptor":"Microsoft.IdentityModel.Claims.ClaimsIdentity;00000000@example.com","subjectDescriptor":"aad.MDAw","providerDisplayName":"Alice Example","isActive":true,"properties":{"Account":{"$type":"System.String","$value":"alice@example.com"}},"resourceVersion":2,"metaTypeId":0},"authorizedUser":{"providerDisplayName":"Alice Example"},"instanceId":"00000000-0000-0000-0000-000000000002","deploymentType":"hosted"}"#,
                    ),
                });
            }
            None
        })
        .start()
}

fn check(host: &FakeHost, path: &str, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    sb.use_host(host, "azure-devops", "/acme");
    let url = host.url(path);
    sb.init_repo(&url);
    sb.store_credential(&url, "acme", secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

#[test]
fn a_pat_with_code_write_is_ok_names_the_user_and_says_its_expiry_cannot_be_read() {
    let secret = pat('a');
    let host = azure(vec![Pat {
        secret: secret.clone(),
        code_write: true,
    }]);
    let (_sb, run) = check(&host, REPO_PATH, &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["provider"], "azure-devops");
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["credential"]["kind"], "azure_devops_pat");
    // The token by its shown form, then its place.
    let message = c["message"].as_str().unwrap();
    assert!(message.starts_with("the personal access token "), "{message}");
    assert!(
        message.contains("…") && message.contains(" from credential helper 'store'"),
        "{message}"
    );
    assert_eq!(c["token"]["login"], "alice@example.com");
    assert_eq!(c["token"]["expires_at"], serde_json::Value::Null);
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("does not let a PAT read its own expiry")
    );
    assert!(
        c["message"].as_str().unwrap().contains("Widgets/widgets"),
        "{}",
        c["message"]
    );
    assert_eq!(c["requests"], 2);
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
}

#[test]
fn a_203_sign_in_page_is_a_rejection_and_the_fix_names_the_global_pat_end() {
    let host = azure(vec![]);
    let (_sb, run) = check(&host, REPO_PATH, &pat('x'));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(c["message"].as_str().unwrap().contains("203"), "{}", c["message"]);
    let fix = &c["fix"].to_string();
    assert!(
        fix.contains("Code (Read & write)") && fix.contains("2026-12-01"),
        "{fix}"
    );
    assert!(
        fix.contains(&format!("http://127.0.0.1:{}/acme/_usersSettings/tokens", host.port)),
        "{fix}"
    );
    assert!(c["fix"].to_string().contains("| git credential reject"));
}

#[test]
fn a_pat_without_code_write_and_a_missing_repository() {
    let secret = pat('r');
    let host = azure(vec![Pat {
        secret: secret.clone(),
        code_write: false,
    }]);
    let (_sb, run) = check(&host, REPO_PATH, &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(c["message"].as_str().unwrap().contains("signs in as alice@example.com"));

    let (_sb, run) = check(&host, "/acme/Widgets/_git/nope", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access");
    assert!(c["message"].as_str().unwrap().contains("TF401019"));
}

/// Recorded (gbrueckl/PowerBI.CICD issue #2): an identity without Contribute
/// is refused at the advertisement with TF401027; that is the account's
/// access, said in Azure DevOps' words.
#[test]
fn an_identity_without_contribute_is_refused_at_the_advertisement_in_the_hosts_words() {
    let secret = pat('c');
    let host = FakeHost::builder()
        .route_fn(|r| {
            if r.path.contains("/info/refs?service=git-receive-pack") {
                return Some(fixture("azure-devops/probe-403-tf401027.http"));
            }
            (r.path == "/acme/_apis/connectionData").then(|| {
                Reply::json(
                    200,
                    r#"{"authenticatedUser":{"id":"6c2b1a3e-0000-0000-0000-000000000001","providerDisplayName":"Alice Example","isActive":true,"properties":{"Account":{"$type":"System.String","$value":"alice@example.com"}}},"deploymentType":"hosted"}"#,
                )
            })
        })
        .start();
    let (_sb, run) = check(&host, REPO_PATH, &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    assert!(c["message"].as_str().unwrap().contains("TF401027"), "{}", c["message"]);
}
