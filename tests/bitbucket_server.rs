#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Bitbucket Data Center served under
//! a context path (`/bitbucket`): `GET /rest/api/1.0/projects?limit=1` names
//! the user in `X-AUSERNAME`, the push probe answers 403 without REPO_WRITE.

mod support;

use support::*;

const REPO_PATH: &str = "/bitbucket/scm/ops/widgets.git";

#[derive(Clone)]
struct Account {
    login: &'static str,
    secret: String,
    writer: bool,
}

fn http_token(seed: &str) -> String {
    format!("BBDC-{}", seed.repeat(40 / seed.len()))
}

fn server(accounts: Vec<Account>) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let failed = || fixture("bitbucket-server/rest-401-authentication-failed.http");
            if r.path.starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack")) {
                // Git's Basic login: the username must be the token's owner.
                let Some(a) = basic_credentials(r)
                    .and_then(|(u, p)| accounts.iter().find(|a| a.secret == p && a.login.eq_ignore_ascii_case(&u)))
                else {
                    return Some(Reply::new(401, "").header("WWW-Authenticate", "Basic realm=\"Atlassian Bitbucket\""));
                };
                return Some(if a.writer {
                    advertisement()
                } else {
                    fixture("bitbucket-server/probe-403.http")
                });
            }
            if r.path == "/bitbucket/rest/api/1.0/projects?limit=1" {
                let bearer = r.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).map(str::to_owned);
                let account = match bearer {
                    Some(b) => accounts.iter().find(|a| a.secret == b),
                    None => basic_credentials(r).and_then(|(u, p)| accounts.iter().find(|a| a.secret == p && a.login == u)),
                };
                return Some(match account {
                    None => failed(),
                    Some(a) => Reply::json(
                        200,
                        r#"{"size":1,"limit":1,"isLastPage":false,"values":[{"key":"OPS","id":1,"name":"Ops","public":false,"type":"NORMAL"}],"start":0,"nextPageStart":1}"#,
                    )
                    .header("X-AUSERNAME", a.login)
                    .header("X-AUSERID", "11"),
                });
            }
            None
        })
        .start()
}

fn check(host: &FakeHost, username: &str, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    // No `api`: the default follows the context path of the git URL.
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"bitbucket-server\"\n",
        host.port
    ));
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

#[test]
fn a_writer_token_is_ok_named_by_x_ausername_and_goes_only_to_the_server() {
    let secret = http_token("Mzk4");
    let host = server(vec![Account {
        login: "alice",
        secret: secret.clone(),
        writer: true,
    }]);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["provider"], "bitbucket-server");
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["token"]["login"], "alice");
    assert_eq!(c["repository"], "bitbucket/scm/ops/widgets");
    assert!(c["message"].as_str().unwrap().contains("ops/widgets"));
    assert_eq!(c["requests"], 2);
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
    let rest = host.requests().into_iter().find(|r| r.path.contains("/rest/")).unwrap();
    assert_eq!(rest.header("authorization"), Some(format!("Bearer {secret}").as_str()));
}

/// Issue 10, case 8: with a token (REST as Bearer) git's bare 403 may be the
/// server's Basic-auth switch; with a password that REST took, it is the role.
#[test]
fn a_read_only_user_is_refused_by_the_probe_and_the_verdict_names_what_the_403_can_mean() {
    let secret = http_token("UmVh");
    let host = server(vec![
        Account {
            login: "alice",
            secret: secret.clone(),
            writer: false,
        },
        Account {
            login: "bob",
            secret: "hunter2-hunter2".to_owned(),
            writer: false,
        },
    ]);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "host_refused", "{}", c["message"]);
    assert!(c["message"].as_str().unwrap().contains("REPO_WRITE"));
    let (_sb, run) = check(&host, "bob", "hunter2-hunter2");
    assert_eq!(run.code, 1);
    assert_eq!(run.check()["reason"], "no_repo_access");
}

#[test]
fn an_unknown_token_is_invalid_and_a_token_under_another_name_gets_both_fixes() {
    let secret = http_token("S25v");
    let host = server(vec![Account {
        login: "alice",
        secret: secret.clone(),
        writer: true,
    }]);
    let (_sb, run) = check(&host, "alice", &http_token("TmV3"));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        c["message"].as_str().unwrap().contains("Authentication failed"),
        "{}",
        c["message"]
    );
    assert!(
        c["fix"]
            .to_string()
            .contains("/bitbucket/plugins/servlet/access-tokens/manage")
    );

    // Issue 10, case 5: the token may be alice's, or a project token that
    // Basic login never takes: both fixes, never only "another username".
    let (_sb, run) = check(&host, "bob", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    let fix = c["fix"].to_string();
    assert!(
        fix.contains("if it is alice's own HTTP access token, store it under the username alice:"),
        "{fix}"
    );
    assert!(fix.contains("project or repository token"), "{fix}");
    assert!(fix.contains("username=bob"), "only bob's entry is forgotten: {fix}");
}

#[test]
fn a_password_is_checked_as_git_sends_it() {
    let host = server(vec![Account {
        login: "alice",
        secret: "hunter2-hunter2".to_owned(),
        writer: true,
    }]);
    let (_sb, run) = check(&host, "alice", "hunter2-hunter2");
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "ok");
    let rest = host.requests().into_iter().find(|r| r.path.contains("/rest/")).unwrap();
    assert_eq!(
        basic_credentials(&rest),
        Some(("alice".to_owned(), "hunter2-hunter2".to_owned()))
    );
}
