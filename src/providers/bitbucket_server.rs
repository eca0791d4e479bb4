//! Bitbucket Data Center / Server (PROVIDERS.md).
//!
//! One round trip: `GET /rest/api/1.0/projects?limit=1` validates the
//! credential and its `X-AUSERNAME` header names the user; the push probe,
//! sent with it, answers 403 for a user (or token) without `REPO_WRITE`.
//! HTTP access tokens (`BBDC-…` since 8.x) go to REST as Bearer, the form
//! every token kind takes there (project and repository tokens take no
//! other); anything else goes as git sends it, Basic with git's username.

use super::{Answers, Context, Purpose, common_status, host_words, probe_not_found, probe_other, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::target::RemoteUrl;
use crate::tokens::TokenKind;
use crate::verdict::{Finding, Reason, TokenInfo};

const REST_SUFFIX: &str = "/rest/api/1.0";

/// Git URLs are `https://HOST[/CONTEXT]/scm/PROJECT/repo.git`; the REST API
/// lives under the same context path.
pub fn default_api(url: &RemoteUrl) -> String {
    let context = url.path.find("/scm/").map_or("", |i| &url.path[..i]);
    format!("{}://{}{context}{REST_SUFFIX}", url.protocol(), url.host)
}

/// The server's web base (with its context path), for settings pages.
fn base(ctx: &Context) -> String {
    ctx.api
        .and_then(|a| a.strip_suffix(REST_SUFFIX))
        .map_or_else(|| ctx.web(), str::to_owned)
}

/// `PROJECT/repo` rather than `scm/PROJECT/repo`.
fn repo_name<'a>(ctx: &Context<'a>) -> &'a str {
    let r = ctx.url.repository.as_str();
    r.rsplit_once("scm/").map_or(r, |(_, tail)| tail)
}

pub fn new_token_line(ctx: &Context) -> String {
    format!(
        "create an HTTP access token with the permission Repository write (Manage account > HTTP access tokens): {}/plugins/servlet/access-tokens/manage",
        base(ctx)
    )
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_token_line(ctx)))
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let probe = (Purpose::PushProbe, ctx.push_probe("git"));
    let Some(api) = ctx.api else {
        return vec![probe];
    };
    let auth = if ctx.credential.kind == TokenKind::BitbucketServerHttpToken {
        Auth::Bearer
    } else {
        Auth::Basic {
            username: ctx.username_or("git"),
        }
    };
    vec![
        (Purpose::Rest, Request::get(format!("{api}/projects?limit=1"), auth)),
        probe,
    ]
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let rest = match answers.get(Purpose::Rest) {
        None => return Finding::new(Reason::UnsupportedHost, format!("no Bitbucket API is known for {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    if rest.status == 401 {
        let words = server_words(rest).map(|w| format!(" ({w})")).unwrap_or_default();
        let why = if ctx.credential.kind == TokenKind::Unrecognised {
            "the password or token is wrong, expired or revoked"
        } else {
            "it expired or was revoked"
        };
        return renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!("Bitbucket rejects {}: {why}{words}", ctx.subject()),
            ),
        );
    }
    if let Some(f) = common_status(host, rest) {
        return f;
    }
    let login = (rest.status == 200)
        .then(|| rest.header("x-ausername"))
        .flatten()
        .map(str::to_owned);
    let info = TokenInfo {
        login: login.clone(),
        ..TokenInfo::default()
    };
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure).with_token(info),
        Some(Ok(p)) => p,
    };
    let repo = repo_name(ctx);
    let words = server_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    let basic_rest_worked = rest.status == 200 && ctx.credential.kind != TokenKind::BitbucketServerHttpToken;
    let who = login
        .as_ref()
        .map_or_else(|| "the account".to_owned(), |l| format!("the account {l}"));
    let f = match probe.status {
        200 => Finding::new(
            Reason::Ok,
            format!(
                "{}{} may push to {repo}",
                ctx.subject(),
                login.as_ref().map(|l| format!(" of {l}")).unwrap_or_default()
            ),
        ),
        401 => refused_by_git(ctx, login.as_deref(), &words),
        // Atlassian's KB gives two causes for git's 403 and the answer names
        // neither: the account (or token) lacks REPO_WRITE, or the server
        // turned off "Allow basic authentication on API calls". A REST call
        // that got in with the same Basic pair rules the second out.
        403 if basic_rest_worked => Finding::new(
            Reason::NoRepoAccess,
            format!("{who} may read {repo} but not push to it: pushing needs REPO_WRITE{words}"),
        )
        .fix(format!("ask a project admin of {repo} for write access"))
        .fix("a token also needs the permission Repository write (Manage account > HTTP access tokens)"),
        403 => Finding::new(
            Reason::HostRefused,
            format!(
                "{} refuses git's Basic login a push to {repo} (HTTP 403{}): either {who} (or the token) lacks REPO_WRITE, or the server has \"Allow basic authentication on API calls\" turned off; the answer does not say which",
                ctx.url.host,
                if words.is_empty() { ", without a reason".to_owned() } else { words.clone() }
            ),
        )
        .fix(format!("ask a project admin of {repo} whether you have write access"))
        .fix("if Basic authentication is off on the server, use SSH, or send an HTTP access token as a Bearer header (git -c http.extraHeader='Authorization: Bearer …')"),
        404 => probe_not_found(ctx, repo, &who, &words),
        _ => probe_other(host, probe, &words),
    };
    f.with_token(info)
}

/// REST took the token, git's Basic login did not. Atlassian: project and
/// repository tokens work only as Bearer and must not be used with a username
/// in Basic authentication, so git's login refuses them whatever the
/// username; a user's token fails only under another name. REST cannot tell
/// the two kinds apart (no recorded answer shows what a project token's
/// `X-AUSERNAME` is), so where the names differ both fixes are given.
fn refused_by_git(ctx: &Context, login: Option<&str>, words: &str) -> Finding {
    let user = ctx.credential.username.as_deref();
    let project_token_fix = format!(
        "if it is a project or repository token: it never works with git's Basic login (Atlassian: Bearer only); use an HTTP access token of your own user (Manage account > HTTP access tokens: {}/plugins/servlet/access-tokens/manage) or SSH",
        base(ctx)
    );
    if let (Some(user), Some(login)) = (user, login)
        && !user.eq_ignore_ascii_case(login)
    {
        return Finding::new(
            Reason::TokenInvalid,
            format!(
                "the REST API accepts {} as {login}, but git's Basic login refuses it with the username {user}: either it is {login}'s own token stored under another name, or it is a project or repository token, which Basic login never takes{words}",
                ctx.subject()
            ),
        )
        .fix(project_token_fix)
        .fix(format!("if it is {login}'s own HTTP access token, store it under the username {login}:"))
        .fixes(ctx.store_under("the old entry", login));
    }
    if ctx.credential.kind == TokenKind::BitbucketServerHttpToken {
        return Finding::new(
            Reason::TokenInvalid,
            format!(
                "the REST API accepts {} as a Bearer token, but git's Basic login refuses it: a project or repository token works only as Bearer, never as git's password{words}",
                ctx.subject()
            ),
        )
        .fix(project_token_fix)
        .fixes(ctx.replace("the old entry", &new_token_line(ctx)));
    }
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!(
                "the REST API accepts {}, but git's login refuses it{words}",
                ctx.subject()
            ),
        ),
    )
}

/// Bitbucket Server's errors: `{"errors":[{"message":"…"}]}`.
fn server_words(resp: &Response) -> Option<String> {
    let from_errors = resp
        .json()
        .and_then(|j| j["errors"][0]["message"].as_str().map(str::to_owned))
        .map(|m| m.chars().filter(|c| !c.is_control()).take(200).collect::<String>());
    from_errors.or_else(|| host_words(resp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostConfig;
    use crate::http::Failure;
    use crate::providers::testkit::{Case, destinations, fixture, planned, resp};
    use crate::providers::{Provider, for_host};

    const URL: &str = "https://git.acme.example/bitbucket/scm/ops/widgets.git";
    const TOKEN: &str = "BBDC-MTIzNDU2Nzg5MDEyOnN1cGVyc2VjcmV0dG9rZW4K";
    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";

    fn case(user: &str, secret: &str) -> Case {
        let mut c = Case::new(URL, Some(user), secret);
        let configured = HostConfig {
            provider: Provider::BitbucketServer,
            api: None,
        };
        (c.provider, c.api) = for_host(&c.url, Some(&configured));
        c
    }

    #[test]
    fn the_default_api_keeps_the_context_path_and_the_secret_stays_on_the_server() {
        let c = case("alice", TOKEN);
        assert_eq!(
            c.api.as_deref(),
            Some("https://git.acme.example/bitbucket/rest/api/1.0")
        );
        let plan = c.plan();
        assert_eq!(destinations(&plan), vec!["git.acme.example"]);
        let rest = planned(&plan, Purpose::Rest);
        assert_eq!(
            rest.url,
            "https://git.acme.example/bitbucket/rest/api/1.0/projects?limit=1"
        );
        assert!(matches!(rest.auth, Auth::Bearer));
        // A password goes as git sends it.
        let pw = case("alice", "hunter2-hunter2");
        assert!(matches!(planned(&pw.plan(), Purpose::Rest).auth, Auth::Basic { .. }));
        let root = RemoteUrl::parse("https://bb.example/scm/ops/w.git").unwrap();
        assert_eq!(default_api(&root), "https://bb.example/rest/api/1.0");
    }

    fn projects() -> crate::http::Outcome {
        fixture("bitbucket-server/rest-200-projects.http")
    }

    #[test]
    fn a_writer_is_ok_and_named_by_x_ausername() {
        let f = case("alice", TOKEN).judge(vec![
            (Purpose::Rest, projects()),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("of alice") && f.message.contains("ops/widgets"));
        assert_eq!(f.token.unwrap().login.as_deref(), Some("alice"));
    }

    /// Issue 10, case 8: git's 403 is a missing `REPO_WRITE` or a server with
    /// Basic authentication off (Atlassian KB); only a Basic REST call that
    /// got in rules the second out.
    #[test]
    fn a_403_is_the_accounts_access_only_where_basic_auth_is_known_to_work() {
        let f = case("alice", TOKEN).judge(vec![
            (Purpose::Rest, projects()),
            (Purpose::PushProbe, fixture("bitbucket-server/probe-403.http")),
        ]);
        assert_eq!(f.reason, Reason::HostRefused, "{}", f.message);
        assert!(
            f.message.contains("REPO_WRITE") && f.message.contains("basic authentication"),
            "{}",
            f.message
        );
        let f = case("alice", "hunter2-hunter2").judge(vec![
            (Purpose::Rest, projects()),
            (Purpose::PushProbe, fixture("bitbucket-server/probe-403.http")),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
    }

    /// Issue 10, case 5: project and repository tokens never work with
    /// git's Basic login; "store it under <login>" alone cannot fix them.
    #[test]
    fn rejections_and_usernames() {
        let f = case("alice", TOKEN).judge(vec![(
            Purpose::Rest,
            fixture("bitbucket-server/rest-401-authentication-failed.http"),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("Authentication failed"), "{}", f.message);
        assert!(f.fix[1].contains("git credential reject"));

        let f = case("bob", TOKEN).judge(vec![
            (Purpose::Rest, projects()),
            (Purpose::PushProbe, resp(401, &[], "")),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
        assert!(f.fix[1].contains("store it under the username alice"), "{:?}", f.fix);
        assert!(
            f.fix[0].contains("project or repository token") && f.fix[0].contains("SSH"),
            "{:?}",
            f.fix
        );
        let f = case("alice", TOKEN).judge(vec![
            (Purpose::Rest, projects()),
            (Purpose::PushProbe, resp(401, &[], "")),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("Bearer"), "{}", f.message);
        assert!(!f.fix.iter().any(|l| l.contains("store it under")), "{:?}", f.fix);
        assert_eq!(
            case("alice", TOKEN)
                .judge(vec![(Purpose::Rest, Err(Failure::Timeout))])
                .reason,
            Reason::Timeout
        );
    }
}
