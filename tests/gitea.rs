#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Gitea/Forgejo: the REST API shows
//! the role and `archived` but not the token's scopes; git's endpoint answers
//! as `routers/web/repo/githttp.go` does on a server with git ≥ 2.29 (the role
//! is checked only when the pack arrives, a missing write scope is a bare
//! 403, a password of a two-factor account is refused with Gitea's sentence).

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widgets.git";

#[derive(Clone)]
struct Cred {
    secret: String,
    /// `None`: a password.
    scopes: Option<&'static str>,
    two_factor: bool,
}

#[derive(Clone, Copy)]
struct Repo {
    push: bool,
    archived: bool,
}

fn hex_token(c: char) -> String {
    c.to_string().repeat(40)
}

fn token(secret: &str, scopes: &'static str) -> Cred {
    Cred {
        secret: secret.to_owned(),
        scopes: Some(scopes),
        two_factor: false,
    }
}

fn gitea(creds: Vec<Cred>, repo: Repo) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let presented = basic_credentials(r).map(|(_, p)| p);
            let known = creds.iter().find(|c| Some(&c.secret) == presented.as_ref());
            if r.path.starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack")) {
                return Some(match known {
                    None => Reply::new(401, "Unauthorized\n").header("WWW-Authenticate", "Basic realm=\"Gitea\""),
                    Some(c) if c.two_factor => Reply::new(
                        401,
                        "Users with two-factor authentication enabled cannot perform HTTP/HTTPS operations via plain username and password. Please create and use a personal access token on the user settings page",
                    ),
                    Some(_) if repo.archived => Reply::new(
                        403,
                        "This repo is archived. You can view files and clone it, but cannot push or open issues/pull-requests.",
                    ),
                    Some(c) if c.scopes.is_some_and(|s| !s.contains("write:repository")) => {
                        Reply::new(403, "Forbidden\n")
                    }
                    Some(_) => advertisement(),
                });
            }
            if r.path == "/api/v1/repos/acme/widgets" {
                return Some(match known {
                    None => Reply::json(401, r#"{"message":"user's password is invalid [uid: 2, name: alice]","url":"http://gitea/api/swagger"}"#),
                    Some(c) if c.two_factor => Reply::json(401, r#"{"message":"Only signed in user is allowed to call APIs."}"#),
                    Some(c) if c.scopes.is_some_and(|s| !s.contains("repository")) => Reply::json(
                        403,
                        &format!(
                            r#"{{"message":"token does not have at least one of required scope(s), required=[read:repository], token scope={}","url":"http://gitea/api/swagger"}}"#,
                            c.scopes.unwrap()
                        ),
                    ),
                    Some(_) => Reply::json(
                        200,
                        &format!(
                            r#"{{"id":1,"full_name":"acme/widgets","private":true,"archived":{},"permissions":{{"admin":false,"push":{},"pull":true}}}}"#,
                            repo.archived, repo.push
                        ),
                    ),
                });
            }
            None
        })
        .start()
}

fn check(host: &FakeHost, username: &str, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    sb.use_host(host, "gitea", "/api/v1");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

const WRITER: Repo = Repo {
    push: true,
    archived: false,
};

#[test]
fn a_write_token_with_push_rights_is_ok_and_is_a_gitea_token_not_a_github_one() {
    let secret = hex_token('a');
    let host = gitea(vec![token(&secret, "write:repository,read:user")], WRITER);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["provider"], "gitea");
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["credential"]["kind"], "gitea_token");
    assert!(
        c["message"]
            .as_str()
            .unwrap()
            .starts_with("the access token from credential helper 'store'")
    );
    assert_eq!(c["requests"], 2);
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
}

#[test]
fn a_read_scoped_token_is_caught_only_by_the_probe_and_the_verdict_says_so() {
    let secret = hex_token('b');
    let host = gitea(vec![token(&secret, "read:repository")], WRITER);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(
        c["message"].as_str().unwrap().contains("API cannot show scopes"),
        "{}",
        c["message"]
    );
    assert!(c["fix"][0].as_str().unwrap().contains("/user/settings/applications"));

    // No repository scope at all: REST already refuses to read.
    let secret = hex_token('c');
    let host = gitea(vec![token(&secret, "read:user")], WRITER);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.check()["reason"], "missing_write_scope");
}

#[test]
fn the_role_and_archived_state_come_from_rest() {
    let secret = hex_token('d');
    for (repo, reason) in [
        (
            Repo {
                push: false,
                archived: false,
            },
            "no_repo_access",
        ),
        (
            Repo {
                push: true,
                archived: true,
            },
            "repo_archived",
        ),
    ] {
        let host = gitea(vec![token(&secret, "write:repository")], repo);
        let (_sb, run) = check(&host, "alice", &secret);
        assert_eq!(run.code, 1);
        assert_eq!(run.check()["reason"], reason);
    }
}

#[test]
fn a_two_factor_password_and_an_unknown_token_are_rejections() {
    let host = gitea(
        vec![Cred {
            secret: "hunter2-hunter2".to_owned(),
            scopes: None,
            two_factor: true,
        }],
        WRITER,
    );
    let (_sb, run) = check(&host, "alice", "hunter2-hunter2");
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "password_not_token");
    assert!(c["message"].as_str().unwrap().contains("two-factor"));

    let (_sb, run) = check(&host, "alice", &hex_token('e'));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(c["fix"].to_string().contains("git credential reject"));
}
