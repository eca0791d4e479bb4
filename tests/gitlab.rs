#![allow(clippy::pedantic)]
//! `prepush-auth check` against a loopback GitLab: the token API, the
//! project API and the push probe answer as GitLab does (PROVIDERS.md;
//! probe texts from GitLab's `lib/gitlab/git_access.rb`), with the
//! credential in a real `git credential-store`.

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widgets.git";
const PROJECT_API: &str = "/api/v4/projects/acme%2Fwidgets";

#[derive(Clone, Copy, PartialEq)]
enum State {
    Active,
    Expired,
    Revoked,
}

/// What the emulated GitLab knows about one credential.
#[derive(Clone)]
struct Cred {
    /// For deploy tokens and passwords the username counts; tokens ignore it.
    username: Option<&'static str>,
    secret: String,
    /// `None`: a password (the API never takes it).
    scopes: Option<Vec<&'static str>>,
    expires_at: Option<String>,
    state: State,
    two_factor: bool,
}

fn pat(secret: &str, scopes: &[&'static str]) -> Cred {
    Cred {
        username: None,
        secret: secret.to_owned(),
        scopes: Some(scopes.to_vec()),
        expires_at: None,
        state: State::Active,
        two_factor: false,
    }
}

fn token(n: char) -> String {
    format!("glpat-{}", n.to_string().repeat(20))
}

struct Project {
    level: i64,
    archived: bool,
}

/// Git's upload-pack advertisement: any credential git's endpoint takes may
/// read a project it can see (a 404 otherwise, as GitLab answers).
fn read_probe(creds: &[Cred], r: &Recorded) -> Reply {
    let Some((user, pass)) = basic_credentials(r) else {
        return fixture("gitlab/probe-unauthorized.http");
    };
    let known = creds
        .iter()
        .any(|c| c.secret == pass && c.state == State::Active && c.username.is_none_or(|u| u == user) && !c.two_factor);
    if known {
        Reply::new(200, "001e# service=git-upload-pack\n0000")
            .header("Content-Type", "application/x-git-upload-pack-advertisement")
    } else {
        fixture("gitlab/probe-unauthorized.http")
    }
}

fn gitlab(creds: Vec<Cred>, project: Project) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            if r.path.starts_with(&format!("{REPO_PATH}/info/refs?service=git-receive-pack")) {
                return Some(probe(&creds, &project, r));
            }
            if r.path.starts_with(&format!("{REPO_PATH}/info/refs?service=git-upload-pack")) {
                return Some(read_probe(&creds, r));
            }
            let bearer = r.header("authorization")?.strip_prefix("Bearer ")?.to_owned();
            let Some(c) = creds.iter().find(|c| c.secret == bearer && c.scopes.is_some()) else {
                return Some(fixture("gitlab/unauthorized.http"));
            };
            match c.state {
                State::Expired => return Some(fixture("gitlab/token-expired.http")),
                State::Revoked => return Some(fixture("gitlab/token-revoked.http")),
                State::Active => {}
            }
            let scopes = c.scopes.clone().unwrap();
            if r.path == "/api/v4/personal_access_tokens/self" {
                let list: Vec<String> = scopes.iter().map(|s| format!("\"{s}\"")).collect();
                let expires = c.expires_at.as_ref().map_or("null".to_owned(), |e| format!("\"{e}\""));
                return Some(Reply::json(
                    200,
                    &format!(
                        r#"{{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":[{}],"user_id":24,"last_used_at":null,"active":true,"expires_at":{expires}}}"#,
                        list.join(",")
                    ),
                ));
            }
            if r.path == PROJECT_API {
                if !scopes.iter().any(|s| *s == "api" || *s == "read_api") {
                    return Some(fixture("gitlab/insufficient-scope.http"));
                }
                return Some(Reply::json(
                    200,
                    &format!(
                        r#"{{"id":7,"path_with_namespace":"acme/widgets","archived":{},"permissions":{{"project_access":{{"access_level":{},"notification_level":3}},"group_access":null}}}}"#,
                        project.archived, project.level
                    ),
                ));
            }
            Some(Reply::json(404, r#"{"message":"404 Not Found"}"#))
        })
        .start()
}

/// GitLab's git endpoint: who is it, may they push (`Gitlab::GitAccess`).
fn probe(creds: &[Cred], project: &Project, r: &Recorded) -> Reply {
    let denied = || fixture("gitlab/probe-unauthorized.http");
    let Some((user, pass)) = basic_credentials(r) else {
        return denied();
    };
    let Some(c) = creds.iter().find(|c| {
        c.secret == pass && c.state == State::Active && c.username.is_none_or(|u| u == user) && !c.two_factor
    }) else {
        return denied();
    };
    let may_push = c
        .scopes
        .as_ref()
        .is_none_or(|s| s.iter().any(|x| *x == "write_repository" || *x == "api"));
    // In the order `Gitlab::GitAccess` checks them (recorded texts).
    if !may_push {
        return fixture("gitlab/probe-upload-code.http");
    }
    if project.archived {
        return fixture("gitlab/probe-archived.http");
    }
    if project.level < 30 {
        return fixture("gitlab/probe-push-code.http");
    }
    advertisement()
}

fn developer() -> Project {
    Project {
        level: 30,
        archived: false,
    }
}

fn setup(host: &FakeHost, username: &str, secret: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.use_host(host, "gitlab", "/api/v4");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    sb
}

fn in_days(days: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn a_developer_token_is_ok_with_scopes_and_expiry_in_one_round_trip() {
    let secret = token('a');
    let mut c = pat(&secret, &["api", "write_repository"]);
    c.expires_at = Some(in_days(90));
    let host = gitlab(vec![c], developer());
    let sb = setup(&host, "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["provider"], "gitlab");
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["credential"]["kind"], "gitlab_pat");
    assert_eq!(c["token"]["scopes"], serde_json::json!(["api", "write_repository"]));
    assert_eq!(c["token"]["expires_at"], format!("{}T00:00:00Z", in_days(90)));
    assert_eq!(c["requests"], 3, "token, project and probe together");
    assert_secret_only_in_authorization(&host, &secret, &c["requests"]);
    let probe = host
        .requests()
        .into_iter()
        .find(|r| r.path.contains("info/refs"))
        .unwrap();
    assert_eq!(basic_credentials(&probe).unwrap().0, "alice", "git's own username");

    let again = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(again["cached"], true);
    assert_eq!(again["requests"], 0);
}

#[test]
fn expired_revoked_and_unknown_tokens_are_told_apart() {
    let mut expired = pat(&token('e'), &["api"]);
    expired.state = State::Expired;
    let mut revoked = pat(&token('r'), &["api"]);
    revoked.state = State::Revoked;
    let host = gitlab(vec![expired, revoked], developer());
    for (secret, reason, words) in [
        (token('e'), "token_expired", "expired"),
        (token('r'), "token_revoked", "revoked"),
        (token('u'), "token_invalid", "does not know"),
    ] {
        let sb = setup(&host, "alice", &secret);
        let run = sb.run(&["check", "--format", "json"]);
        assert_eq!(run.code, 1, "{reason}");
        let c = run.check();
        assert_eq!(c["reason"], reason);
        assert!(c["message"].as_str().unwrap().contains(words), "{}", c["message"]);
        let fix = c["fix"].to_string();
        assert!(
            fix.contains("/-/user_settings/personal_access_tokens?name=prepush-auth&scopes=write_repository"),
            "{fix}"
        );
        assert!(fix.contains("git credential reject"), "{fix}");
    }
}

#[test]
fn a_password_is_refused_for_a_two_factor_account_and_accepted_without() {
    let password = |two_factor| Cred {
        username: Some("alice"),
        secret: "hunter2-hunter2".to_owned(),
        scopes: None,
        expires_at: None,
        state: State::Active,
        two_factor,
    };
    let host = gitlab(vec![password(true)], developer());
    let sb = setup(&host, "alice", "hunter2-hunter2");
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "password_not_token");
    assert_eq!(c["credential"]["secret"], "(hidden)");

    let host = gitlab(vec![password(false)], developer());
    let sb = setup(&host, "alice", "hunter2-hunter2");
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "ok", "git takes it: {}", c["message"]);
}

#[test]
fn a_read_only_token_is_missing_write_scope() {
    let secret = token('o');
    let host = gitlab(vec![pat(&secret, &["read_repository", "read_api"])], developer());
    let sb = setup(&host, "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(c["message"].as_str().unwrap().contains("read_repository, read_api"));
}

#[test]
fn the_role_is_read_from_the_project_or_from_the_probe_when_the_scope_hides_it() {
    // `api`: the project record names the role.
    let secret = token('p');
    let host = gitlab(
        vec![pat(&secret, &["api"])],
        Project {
            level: 20,
            archived: false,
        },
    );
    let sb = setup(&host, "alice", &secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access");
    assert!(c["message"].as_str().unwrap().contains("Reporter"), "{}", c["message"]);

    // `write_repository` only: the project says 403 insufficient_scope, which
    // is not a block; the probe tells the role.
    let secret = token('w');
    let host = gitlab(
        vec![pat(&secret, &["write_repository"])],
        Project {
            level: 20,
            archived: false,
        },
    );
    let sb = setup(&host, "alice", &secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access");
    assert!(
        c["message"].as_str().unwrap().contains("not allowed to push code"),
        "{}",
        c["message"]
    );
    let host = gitlab(vec![pat(&secret, &["write_repository"])], developer());
    let sb = setup(&host, "alice", &secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    // Remembered scopes without api/read_api: the project is not asked
    // again; git's upload-pack advertisement says it is there, then the
    // push probe (issue 16: never first, it could create the project).
    let c = sb.run(&["check", "--format", "json", "--no-cache"]).check();
    assert_eq!(c["requests"], 3);
    assert_eq!(host.count_path(PROJECT_API), 1);
}

#[test]
fn an_archived_project_blocks() {
    let secret = token('z');
    let host = gitlab(
        vec![pat(&secret, &["api"])],
        Project {
            level: 40,
            archived: true,
        },
    );
    let sb = setup(&host, "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.check()["reason"], "repo_archived");
}

#[test]
fn a_token_expiring_within_the_window_warns() {
    let secret = token('s');
    let mut c = pat(&secret, &["write_repository"]);
    c.expires_at = Some(in_days(3));
    let host = gitlab(vec![c], developer());
    let sb = setup(&host, "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.check()["reason"], "expires_soon");
}

#[test]
fn deploy_tokens_need_their_own_username_and_write_repository() {
    let secret = "gldt-ABCDEFGHIJklmnopqrst";
    let deploy = |scopes: &[&'static str]| Cred {
        username: Some("gitlab+deploy-token-7"),
        secret: secret.to_owned(),
        scopes: Some(scopes.to_vec()),
        expires_at: None,
        state: State::Active,
        two_factor: false,
    };
    // Offline: an email address is never a deploy token's username.
    let host = gitlab(vec![deploy(&["write_repository"])], developer());
    let sb = setup(&host, "alice@example.com", secret);
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1);
    let c = run.check();
    assert_eq!(c["reason"], "wrong_username");
    assert_eq!(c["requests"], 0);
    assert_eq!(host.count(), 0);

    // Its own username: git alone (the token API does not know it): the
    // upload-pack advertisement, then the push probe.
    let sb = setup(&host, "gitlab+deploy-token-7", secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "ok", "{}", c["message"]);
    assert_eq!(c["requests"], 2);
    let host = gitlab(vec![deploy(&["read_repository"])], developer());
    let sb = setup(&host, "gitlab+deploy-token-7", secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "missing_write_scope");
    assert!(
        c["fix"][0]
            .as_str()
            .unwrap()
            .contains("/acme/widgets/-/settings/repository"),
        "{}",
        c["fix"]
    );
}

#[test]
fn on_gitlab_com_a_job_token_with_the_wrong_username_and_an_oauth_app_secret_send_nothing() {
    for (user, secret, reason) in [
        ("alice", "glcbt-64_ABCDEFGHIJklmnopqrstu", "wrong_username"),
        (
            "oauth2",
            "gloas-0123456789abcdef0123456789abcdef0123456789abcdef0123456789ab",
            "token_invalid",
        ),
    ] {
        let sb = Sandbox::new();
        let url = "https://gitlab.com/acme/widgets.git";
        sb.store_credential(url, user, secret);
        let run = sb.run(&["check", url, "--format", "json"]);
        assert_eq!(run.code, 1, "{reason}");
        let c = run.check();
        assert_eq!(c["provider"], "gitlab");
        assert_eq!(c["reason"], reason);
        assert_eq!(c["requests"], 0);
        // The sandbox's trap proxy fails the test if anything tried to leave.
    }
}

/// Issue 16: GitLab creates a missing project when an account that may
/// create projects in the namespace asks for its receive-pack advertisement
/// (gitlabhq `lib/gitlab/git_access_project.rb`, `ensure_project_on_push!`,
/// reached from `info_refs` with `changes == ANY`). A check changes nothing
/// on the host: for a project the API says is not there, the push probe is
/// never sent, and the verdict says what a push would do.
/// A GitLab without the project acme/widgets: the projects API answers
/// `project` (404, or 403 for a token without read_api), git 404.
fn without_the_project(secret: &str, project: Reply) -> FakeHost {
    let wanted = secret.to_owned();
    FakeHost::builder()
        .route_fn(move |r| {
            if r.path.contains("service=git-receive-pack") {
                // What GitLab would do: create the project, then advertise it empty.
                return Some(advertisement());
            }
            if r.path.contains("service=git-upload-pack") {
                return Some(Reply::new(
                    404,
                    "The project you were looking for could not be found or you don't have permission to view it.",
                ));
            }
            let bearer = r.header("authorization")?.strip_prefix("Bearer ")?.to_owned();
            if bearer != wanted {
                return Some(fixture("gitlab/unauthorized.http"));
            }
            Some(match r.path.as_str() {
                "/api/v4/personal_access_tokens/self" => Reply::json(
                    200,
                    r#"{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":["api"],"user_id":24,"last_used_at":null,"active":true,"expires_at":null}"#,
                ),
                PROJECT_API => project.clone(),
                _ => Reply::json(404, r#"{"message":"404 Not Found"}"#),
            })
        })
        .start()
}

/// Issue 16: GitLab creates a missing project when an account that may
/// create projects in the namespace asks for its receive-pack advertisement
/// (gitlabhq `lib/gitlab/git_access_project.rb`, `ensure_project_on_push!`,
/// reached from `info_refs` with `changes == ANY`). A check changes nothing
/// on the host: for a project the API says is not there, the push probe is
/// never sent, and the verdict says what a push would do.
#[test]
fn a_missing_project_is_never_created_by_a_check() {
    let secret = token('m');
    let host = without_the_project(&secret, Reply::json(404, r#"{"message":"404 Project Not Found"}"#));
    let sb = setup(&host, "alice", &secret);
    let run = sb.run(&["check", "--format", "json"]);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    // A prediction of git's answer, not git's answer: it warns.
    assert_eq!(c["verdict"], "warn", "{}", c["message"]);
    assert_eq!(run.code, 0);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("no such project acme/widgets"), "{message}");
    assert!(message.contains("a push would create it in acme"), "{message}");
    assert_eq!(c["requests"], 2, "the token and the project, nothing more");
    assert_eq!(host.count_path("service=git-receive-pack"), 0, "the probe was sent");

    // The API cannot tell (a token without read_api): git's upload-pack
    // advertisement, which creates nothing, says it is not there.
    let host = without_the_project(&secret, fixture("gitlab/insufficient-scope.http"));
    let sb = setup(&host, "alice", &secret);
    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access", "{}", c["message"]);
    assert_eq!(c["requests"], 3);
    assert_eq!(host.count_path("service=git-upload-pack"), 1);
    assert_eq!(host.count_path("service=git-receive-pack"), 0, "the probe was sent");
}
