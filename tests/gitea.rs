#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback Gitea/Forgejo that answers as its
//! source does (`tests/fixtures/gitea/`, `routers/web/repo/githttp.go` on a
//! server whose git supports proc-receive): git's endpoint serves the
//! advertisement to read-only collaborators and checks only the token's
//! `write:repository` (a bare `Forbidden`); every refusal of the auth layer
//! is a bare `Verify`; the REST API shows the role and `archived`, and names
//! a two-factor password (`invalid provided OTP`).

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

/// The recorded reader's repository, with this repository's role and state.
fn repo_record(repo: Repo) -> Reply {
    let mut r = fixture("gitea/api-repo-reader.http");
    r.body = String::from_utf8(r.body)
        .unwrap()
        .replace(r#""push":false"#, &format!(r#""push":{}"#, repo.push))
        .replace(r#""archived":false"#, &format!(r#""archived":{}"#, repo.archived))
        .into_bytes();
    r
}

fn gitea(creds: Vec<Cred>, repo: Repo) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            let presented = basic_credentials(r).map(|(_, p)| p);
            let known = creds.iter().find(|c| Some(&c.secret) == presented.as_ref());
            if r.path
                .starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack"))
            {
                // Archived is checked before authentication (githttp.go).
                if repo.archived {
                    return Some(fixture("gitea/probe-403-archived.http"));
                }
                return Some(match known {
                    // The auth layer: unknown credential, or a two-factor
                    // account's password without an OTP, all say "Verify".
                    None => fixture("gitea/probe-401-verify.http"),
                    Some(c) if c.two_factor => fixture("gitea/probe-401-verify.http"),
                    Some(c) if c.scopes.is_some_and(|s| !s.contains("write:repository")) => {
                        fixture("gitea/probe-403-forbidden.http")
                    }
                    // Readers and writers alike: the role waits for the pack.
                    Some(_) => fixture("gitea/probe-advertisement-reader.http"),
                });
            }
            if r.path == "/api/v1/repos/acme/widgets" {
                return Some(match known {
                    None => fixture("gitea/api-401-invalid-credentials.http"),
                    Some(c) if c.two_factor => fixture("gitea/api-401-invalid-otp.http"),
                    Some(c) if c.scopes.is_some_and(|s| !s.contains("repository")) => {
                        fixture("gitea/api-403-no-repository-scope.http")
                    }
                    Some(_) => repo_record(repo),
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
    // The token by its shown form, then its place.
    let message = c["message"].as_str().unwrap();
    assert!(message.starts_with("the access token "), "{message}");
    assert!(
        message.contains("…") && message.contains(" from credential helper 'store'"),
        "{message}"
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
    assert!(c["fix"].to_string().contains("/user/settings/applications"));

    // No repository scope at all: REST already refuses to read.
    let secret = hex_token('c');
    let host = gitea(vec![token(&secret, "read:user")], WRITER);
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.check()["reason"], "missing_write_scope");
}

/// Issue 10, case 2: the advertisement is served to a reader (proc-receive).
#[test]
fn a_reader_gets_the_advertisement_and_is_still_refused_by_the_role_rest_shows() {
    let secret = hex_token('d');
    let host = gitea(
        vec![token(&secret, "write:repository")],
        Repo {
            push: false,
            archived: false,
        },
    );
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    assert!(c["message"].as_str().unwrap().contains("permissions.push"));

    let host = gitea(
        vec![token(&secret, "write:repository")],
        Repo {
            push: true,
            archived: true,
        },
    );
    let (_sb, run) = check(&host, "alice", &secret);
    assert_eq!(run.code, 1);
    assert_eq!(run.check()["reason"], "repo_archived");
}

/// Issue 10, case 4: the real 401s of a two-factor account's password.
#[test]
fn a_two_factor_password_and_an_unknown_token_are_rejections_in_the_hosts_words() {
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
    assert!(
        c["message"].as_str().unwrap().contains("invalid provided OTP"),
        "{}",
        c["message"]
    );
    assert!(c["message"].as_str().unwrap().contains("two-factor"));

    let (_sb, run) = check(&host, "alice", &hex_token('e'));
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid");
    assert!(
        !c["message"].as_str().unwrap().contains("two-factor"),
        "{}",
        c["message"]
    );
    assert!(c["fix"].to_string().contains("git credential reject"));
}
