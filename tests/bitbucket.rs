#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Bitbucket Cloud: git's endpoint
//! answers the push probe with Bitbucket's 401/403/410 texts, the REST API
//! (`/2.0`) takes access tokens as Bearer only (PROVIDERS.md). Offline rules
//! run against the real bitbucket.org URL: they send nothing, and the
//! sandbox's trap proxy would catch anything that tried.

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widgets.git";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    /// `ATATT…`: git needs the Bitbucket username or x-bitbucket-api-token-auth.
    ApiToken { both_scopes: bool },
    /// `ATCTT…`: git needs x-token-auth.
    AccessToken,
    /// Removed on 2026-07-28: git answers 410.
    AppPassword,
    /// An app password the host still takes after that day (Atlassian has
    /// moved these dates before; a workspace may have had an extension).
    AppPasswordStillAccepted,
}

#[derive(Clone)]
struct Cred {
    secret: String,
    kind: Kind,
}

#[derive(Clone, Copy)]
enum Workspace {
    Writer,
    NoAccess,
    TwoFactorRequired,
    IpAllowlist,
}

fn api_token(seed: &str) -> String {
    format!("ATATT3xFfGF0{}=1A2B3C4D", seed.repeat(170 / seed.len()))
}

fn access_token(seed: &str) -> String {
    format!("ATCTT3xFfGN0{}=9F8E7D6C", seed.repeat(170 / seed.len()))
}

fn bitbucket(creds: Vec<Cred>, workspace: Workspace) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            if r.path
                .starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack"))
            {
                return Some(probe(&creds, workspace, r));
            }
            // REST: access tokens as Bearer. Basic with a git username always
            // fails here (the REST API wants the email address).
            let bearer = r.header("authorization").and_then(|a| a.strip_prefix("Bearer "));
            let known = creds
                .iter()
                .find(|c| Some(c.secret.as_str()) == bearer && c.kind == Kind::AccessToken);
            Some(match (known, r.path.as_str()) {
                (Some(_), "/2.0/repositories/acme/widgets") => Reply::json(
                    200,
                    r#"{"type":"repository","full_name":"acme/widgets","is_private":true}"#,
                )
                .header("X-OAuth-Scopes", "repository:write, pullrequest")
                .header("X-Credential-Type", "repo_access_token"),
                _ => Reply::json(401, r#"{"type":"error","error":{"message":"Unauthorized"}}"#),
            })
        })
        .start()
}

fn probe(creds: &[Cred], workspace: Workspace, r: &Recorded) -> Reply {
    // Every refusal of the credential: the recorded 401 (Community 3213684).
    let refused = || fixture("bitbucket/probe-401-api-token.http");
    let Some((user, pass)) = basic_credentials(r) else {
        return refused();
    };
    let Some(c) = creds.iter().find(|c| c.secret == pass) else {
        return refused();
    };
    match c.kind {
        Kind::AppPassword => return fixture("bitbucket/probe-410-app-password.http"),
        Kind::AppPasswordStillAccepted => {}
        Kind::ApiToken { .. } if user != "x-bitbucket-api-token-auth" && user != "alice" => return refused(),
        Kind::AccessToken if user != "x-token-auth" => return refused(),
        Kind::ApiToken { both_scopes: false } => return fixture("bitbucket/probe-403-no-scope.http"),
        _ => {}
    }
    match workspace {
        Workspace::Writer => advertisement(),
        Workspace::NoAccess => fixture("bitbucket/probe-403-no-access.http"),
        Workspace::TwoFactorRequired => fixture("bitbucket/probe-403-two-step-required.http"),
        Workspace::IpAllowlist => fixture("bitbucket/probe-403-ip-allowlist.http"),
    }
}

fn setup(host: &FakeHost, username: &str, secret: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.use_host(host, "bitbucket", "/2.0");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    sb
}

fn check(host: &FakeHost, username: &str, secret: &str) -> (Sandbox, Run) {
    let sb = setup(host, username, secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

#[test]
fn an_email_address_as_username_on_bitbucket_org_blocks_without_any_request() {
    let sb = Sandbox::new();
    let url = "https://bitbucket.org/acme/widgets.git";
    sb.init_repo(url);
    sb.store_credential(url, "alice@example.com", &api_token("qW3e"));
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["provider"], "bitbucket");
    assert_eq!(c["reason"], "wrong_username");
    assert_eq!(c["requests"], 0);
    assert_eq!(c["credential"]["kind"], "bitbucket_api_token");
    let fix = &c["fix"].to_string();
    assert!(fix.contains("x-bitbucket-api-token-auth"), "{fix}");
    assert!(
        fix.contains(
            "printf '%s\\\\n' protocol=https host=bitbucket.org username=alice@example.com | git credential reject"
        ),
        "{fix}"
    );

    let human = sb.run(&["check", "--no-cache"]);
    // Wrapped to 80 columns (stdout is no terminal); the command broken
    // with ` \`, so pasting both lines runs it.
    let expected = r"prepush-auth: push to origin (bitbucket.org/acme/widgets) will fail
  reason: git sends the email address alice@example.com as the username with the
          Atlassian API token ATATT…3C4D from credential helper 'store'; git on
          Bitbucket needs your Bitbucket username or x-bitbucket-api-token-auth:
          the email address works only for the REST API
  fix:    the stale credential is stored by helper 'store' (credential.helper in
          HOME/.gitconfig)
          forget the one stored under the email address first:
          $ printf '%s\n' protocol=https host=bitbucket.org \
              username=alice@example.com | git credential reject
          push: when git asks, give the username x-bitbucket-api-token-auth and,
          as the password, the same token; store keeps them
";
    let shown = human.stdout.replace(sb.home.to_str().unwrap(), "HOME");
    assert_eq!(shown, expected);
}

/// Issue 16: the removal day (2026-07-28) is a prediction; git's 410 is
/// the evidence. An app password the host still takes is never blocked by
/// the calendar, one it refuses with 410 is retired, and both cost the one
/// request that decides (the push probe on git's endpoint).
#[test]
fn an_app_password_is_retired_by_the_hosts_410_never_by_the_date() {
    let still = "ATBBaBcDeFgHiJkLmNoPqRsTuVwXyZ012345";
    let gone = "ATBBzYxWvUtSrQpOnMlKjIhGfEdCbA543210";
    let host = bitbucket(
        vec![
            Cred {
                secret: still.to_owned(),
                kind: Kind::AppPasswordStillAccepted,
            },
            Cred {
                secret: gone.to_owned(),
                kind: Kind::AppPassword,
            },
        ],
        Workspace::Writer,
    );
    // This suite runs after the announced day: the host still takes it.
    let (_sb, run) = check(&host, "alice", still);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["verdict"], "warn", "{}", c["message"]);
    assert_eq!(c["reason"], "expires_soon");
    assert_eq!(c["requests"], 1);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("bitbucket.org accepts"), "{message}");
    assert!(message.contains("2026-07-28, which has passed"), "{message}");
    assert!(
        c["fix"]
            .to_string()
            .contains("read:repository:bitbucket and write:repository:bitbucket")
    );

    // Git's recorded 410: retired, in the host's words.
    let (_sb, run) = check(&host, "alice", gone);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "credential_retired");
    assert_eq!(c["requests"], 1);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("HTTP 410"), "{message}");
    assert!(
        message.contains("App passwords are deprecated and must be replaced with API tokens."),
        "{message}"
    );
}

#[test]
fn an_api_token_is_checked_by_the_probe_on_the_git_host_never_on_rest() {
    let secret = api_token("aB3d");
    let host = bitbucket(
        vec![Cred {
            secret: secret.clone(),
            kind: Kind::ApiToken { both_scopes: true },
        }],
        Workspace::Writer,
    );
    for user in ["x-bitbucket-api-token-auth", "alice"] {
        let (_sb, run) = check(&host, user, &secret);
        assert_eq!(run.code, 0, "{}", run.stdout);
        let c = run.check();
        assert_eq!(c["reason"], "ok", "{}", c["message"]);
        assert_eq!(c["requests"], 1);
    }
    assert_eq!(
        host.count_path("/2.0/"),
        0,
        "the REST API never sees the git username pair"
    );
    assert_eq!(host.count(), 2);
    for r in host.requests() {
        assert_eq!(presented(&r).as_deref(), Some(secret.as_str()));
    }

    // A username that is neither: the probe refuses, the message says why.
    let (_sb, run) = check(&host, "alice-smith", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("alice-smith is not your Bitbucket username"),
        "{}",
        c["message"]
    );
}

#[test]
fn an_api_token_without_both_repository_scopes_is_missing_write_scope() {
    let secret = api_token("sC0p");
    let host = bitbucket(
        vec![Cred {
            secret: secret.clone(),
            kind: Kind::ApiToken { both_scopes: false },
        }],
        Workspace::Writer,
    );
    let (_sb, run) = check(&host, "x-bitbucket-api-token-auth", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(
        c["message"].as_str().unwrap().contains("write does not include read"),
        "{}",
        c["message"]
    );
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
}

/// Issue 10, case 8: a workspace's policies are not the account's access.
#[test]
fn missing_access_is_no_repo_access_and_workspace_policies_are_the_hosts_refusal() {
    let secret = api_token("wSpc");
    for (workspace, reason, words) in [
        (Workspace::NoAccess, "no_repo_access", "do not have access"),
        (Workspace::TwoFactorRequired, "host_refused", "two-step verification"),
        (Workspace::IpAllowlist, "host_refused", "allowlisted IP"),
    ] {
        let host = bitbucket(
            vec![Cred {
                secret: secret.clone(),
                kind: Kind::ApiToken { both_scopes: true },
            }],
            workspace,
        );
        let (_sb, run) = check(&host, "alice", &secret);
        assert_eq!(run.code, 1);
        let c = run.check();
        assert_eq!(c["reason"], reason);
        assert!(c["message"].as_str().unwrap().contains(words), "{}", c["message"]);
    }
}

/// Issue 10, case 6: the recorded 401 for an API token names the token
/// made without scopes first, and the fix says how to make one with them.
#[test]
fn a_refused_api_token_says_a_token_without_scopes_cannot_be_used_for_git() {
    let host = bitbucket(vec![], Workspace::Writer);
    let (_sb, run) = check(&host, "x-bitbucket-api-token-auth", &api_token("nOsC"));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .contains("without scopes cannot be used for git"),
        "{}",
        c["message"]
    );
    let fix = &c["fix"].to_string();
    assert!(
        fix.contains("Create API token with scopes") && fix.contains("write:repository:bitbucket"),
        "{fix}"
    );
}

/// Issue 10, case 7: the 410 is cached no longer than any other answer.
#[test]
fn bug_a_410_for_an_app_password_was_remembered_for_a_day() {
    let host = bitbucket(
        vec![Cred {
            secret: "Xy7Kp2Qr9Lm4Zt8Vw3Nb".to_owned(),
            kind: Kind::AppPassword,
        }],
        Workspace::Writer,
    );
    let sb = Sandbox::new();
    let url = host.url(REPO_PATH);
    sb.user_config(&format!(
        "cache_ttl_seconds = 0\n[hosts.\"127.0.0.1:{}\"]\nprovider = \"bitbucket\"\napi = \"{}\"\n",
        host.port,
        host.url("/2.0")
    ));
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", "Xy7Kp2Qr9Lm4Zt8Vw3Nb");
    let first = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(first["reason"], "credential_retired");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("App passwords are deprecated and must be replaced with API tokens."),
        "{}",
        first["message"]
    );
    let second = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(
        second["cached"], false,
        "asked again: the host's answer may have changed"
    );
    assert_eq!(second["requests"], 1);
}

#[test]
fn a_password_is_refused_with_the_day_passwords_ended_and_an_old_app_password_is_retired() {
    let host = bitbucket(
        vec![Cred {
            secret: "Xy7Kp2Qr9Lm4Zt8Vw3Nb".to_owned(),
            kind: Kind::AppPassword,
        }],
        Workspace::Writer,
    );
    let (_sb, run) = check(&host, "alice", "hunter2-hunter2");
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "password_not_token");
    assert!(
        c["message"].as_str().unwrap().contains("since 2022-03-01"),
        "{}",
        c["message"]
    );

    // An app password from before the ATBB prefix: git's 410 says it.
    let (_sb, run) = check(&host, "alice", "Xy7Kp2Qr9Lm4Zt8Vw3Nb");
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "credential_retired");
    assert_eq!(c["requests"], 1);
}

#[test]
fn an_access_token_goes_to_rest_as_bearer_for_its_scopes_and_needs_x_token_auth() {
    let secret = access_token("rT5y");
    let host = bitbucket(
        vec![Cred {
            secret: secret.clone(),
            kind: Kind::AccessToken,
        }],
        Workspace::Writer,
    );
    let (_sb, run) = check(&host, "x-token-auth", &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "ok");
    assert_eq!(c["credential"]["kind"], "bitbucket_access_token");
    assert_eq!(
        c["token"]["scopes"],
        serde_json::json!(["repository:write", "pullrequest"])
    );
    assert_eq!(c["requests"], 2);
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
    let rest = host
        .requests()
        .into_iter()
        .find(|r| r.path.starts_with("/2.0/"))
        .unwrap();
    assert_eq!(rest.header("authorization"), Some(format!("Bearer {secret}").as_str()));

    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 1);
    assert_eq!(run.check()["reason"], "wrong_username");
}
