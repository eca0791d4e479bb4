//! Gitea, Forgejo and Codeberg (PROVIDERS.md; Gitea's `routers/web/repo/githttp.go`).
//!
//! One round trip: `GET /api/v1/repos/{o}/{r}` gives the account's role
//! (`permissions.push`) and `archived`; the push probe, sent with it, is the
//! only witness of the token's `write:repository` scope. REST cannot show a
//! missing write scope: a GET needs only `read:repository`. Both requests
//! carry git's own Basic pair: Gitea takes a token as the password with any
//! username (the username is ignored), and a password exactly as git would.
//!
//! On servers whose git supports proc-receive (≥ 2.29) the probe checks only
//! read access for the role (githttp.go lowers the mode for `AGit` refs), so
//! the role comes from REST and the scope from the probe.

use super::{Answers, Context, Purpose, common_status, host_words, probe_not_found, probe_other, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::tokens::TokenKind;
use crate::verdict::{Finding, Reason};

/// githttp.go: a password from an account with two-factor authentication.
const PROBE_2FA: &str = "two-factor authentication";
/// githttp.go: "This repo is archived. You can view files and clone it, …"
const PROBE_ARCHIVED: &str = "This repo is archived";

fn tokens_url(ctx: &Context) -> String {
    format!("{}/user/settings/applications", ctx.web())
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fix(format!(
        "create an access token with repository Read and Write (write:repository): {}",
        tokens_url(ctx)
    ))
    .fix(ctx.forget("the old one"))
}

/// `owner/name`: the last two segments (a server may live under a sub-path).
fn owner_and_name(ctx: &Context) -> String {
    let parts: Vec<&str> = ctx.url.repository.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [name, owner, ..] => format!("{owner}/{name}"),
        _ => ctx.url.repository.clone(),
    }
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let probe = (Purpose::PushProbe, ctx.push_probe("git"));
    let Some(api) = ctx.api else {
        return vec![probe];
    };
    let rest = Request::get(
        format!("{api}/repos/{}", owner_and_name(ctx)),
        Auth::Basic {
            username: ctx.username_or("git"),
        },
    );
    vec![(Purpose::Rest, rest), probe]
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let repo = owner_and_name(ctx);
    let rest = match answers.get(Purpose::Rest) {
        None => return Finding::new(Reason::UnsupportedHost, format!("no Gitea API is known for {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    let probe = answers.get(Purpose::PushProbe);
    let probe_ok = answers.ok(Purpose::PushProbe);
    if rest.status == 401 || probe_ok.is_some_and(|p| p.status == 401) {
        return rejected(ctx, rest, probe_ok);
    }
    if let Some(f) = common_status(host, rest) {
        return f;
    }
    let words = host_words(rest).map(|w| format!(" ({w})")).unwrap_or_default();
    match rest.status {
        200 => {}
        // "token does not have at least one of required scope(s): [read:repository]"
        403 if rest.text().contains("scope") => {
            return renew(
                ctx,
                Finding::new(
                    Reason::MissingWriteScope,
                    format!(
                        "{} has no repository scope{words}; pushing needs write:repository {}",
                        ctx.subject(),
                        ctx.shown()
                    ),
                ),
            );
        }
        404 => {
            return probe_not_found(ctx, &repo, &ctx.subject(), &words);
        }
        status => {
            return Finding::new(
                Reason::UnexpectedResponse,
                format!("{host} answered HTTP {status}{words}"),
            );
        }
    }
    let Some(json) = rest.json() else {
        return Finding::new(
            Reason::UnexpectedResponse,
            format!("{host} answered 200 with a body that is not JSON"),
        );
    };
    if json["archived"].as_bool() == Some(true) {
        return archived(ctx, &repo);
    }
    if json["permissions"]["push"].as_bool() == Some(false) {
        return Finding::new(
            Reason::NoRepoAccess,
            format!("the account may read {repo} but not push to it"),
        )
        .fix(format!("ask an owner of {repo} for write access, or push to a fork"));
    }
    let probe = match probe {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => {
            let f = transport_finding(host, failure);
            return Finding::new(
                f.reason,
                format!(
                    "the account may push to {repo}, but whether the token has write:repository is not known: REST cannot show it, and the push probe failed ({})",
                    f.message
                ),
            );
        }
        Some(Ok(p)) => p,
    };
    let text = probe.text();
    let probe_words = host_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    match probe.status {
        200 => Finding::new(
            Reason::Ok,
            format!("{} may push to {repo} {}", ctx.subject(), ctx.shown()),
        ),
        403 if text.contains(PROBE_ARCHIVED) => archived(ctx, &repo),
        // CheckRepoScopedToken answers a bare 403: the token lacks write:repository.
        403 if is_bare(&text) => renew(
            ctx,
            Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} may read {repo} but lacks the write:repository scope (Gitea's API cannot show scopes; git's push endpoint refuses it) {}",
                    ctx.subject(),
                    ctx.shown()
                ),
            ),
        ),
        403 | 404 => Finding::new(
            Reason::NoRepoAccess,
            format!("{host} refuses a push to {repo}{probe_words}"),
        )
        .fix(format!("ask an owner of {repo} for write access, or push to a fork")),
        _ => probe_other(host, probe, &probe_words),
    }
}

/// 401 from REST or the probe.
fn rejected(ctx: &Context, rest: &Response, probe: Option<&Response>) -> Finding {
    let host = &ctx.url.host;
    if probe.is_some_and(|p| p.status == 401 && p.text().contains(PROBE_2FA)) {
        return renew(
            ctx,
            Finding::new(
                Reason::PasswordNotToken,
                format!(
                    "{host} refuses {} for git: the account uses two-factor authentication, so git needs an access token {}",
                    ctx.subject().replace("password or token", "password"),
                    ctx.shown()
                ),
            ),
        );
    }
    let words = host_words(rest)
        .or_else(|| probe.and_then(host_words))
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    let why = if ctx.credential.kind == TokenKind::Unrecognised {
        "the password or token is wrong"
    } else {
        "it was deleted or mistyped (Gitea does not say which)"
    };
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!("{host} rejects {}{words}: {why} {}", ctx.subject(), ctx.shown()),
        ),
    )
}

fn archived(ctx: &Context, repo: &str) -> Finding {
    Finding::new(
        Reason::RepoArchived,
        format!("{repo} is archived: it is read-only and refuses every push"),
    )
    .fix(format!(
        "an owner can unarchive it (Settings > Danger Zone): {}/{repo}/settings",
        ctx.web()
    ))
}

/// `ctx.HTTPError(403)` writes only the status text.
fn is_bare(text: &str) -> bool {
    let t = text.trim();
    t.is_empty() || t.eq_ignore_ascii_case("forbidden") || t.eq_ignore_ascii_case("403 forbidden")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Failure;
    use crate::providers::testkit::{Case, destinations, planned, resp};

    const URL: &str = "https://codeberg.org/acme/widgets.git";
    const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";
    const REPO: &str = r#"{"id":1,"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"admin":false,"push":true,"pull":true}}"#;
    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";

    fn case() -> Case {
        Case::new(URL, Some("alice"), TOKEN)
    }

    #[test]
    fn codeberg_is_known_and_the_secret_stays_there() {
        let c = case();
        assert_eq!(c.api.as_deref(), Some("https://codeberg.org/api/v1"));
        let plan = c.plan();
        assert_eq!(destinations(&plan), vec!["codeberg.org"]);
        assert_eq!(
            planned(&plan, Purpose::Rest).url,
            "https://codeberg.org/api/v1/repos/acme/widgets"
        );
    }

    #[test]
    fn push_rights_and_a_write_scope_are_ok() {
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], REPO)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn only_the_probe_reveals_a_missing_write_scope() {
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], REPO)),
            (Purpose::PushProbe, resp(403, &[], "Forbidden\n")),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("cannot show scopes"), "{}", f.message);
        assert!(f.fix[0].contains("https://codeberg.org/user/settings/applications"));
        // Without the probe's answer: say it is not known, do not guess.
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], REPO)),
            (Purpose::PushProbe, Err(Failure::Timeout)),
        ]);
        assert_eq!(f.reason, Reason::Timeout);
        assert!(f.message.contains("is not known"), "{}", f.message);
    }

    #[test]
    fn role_archived_and_missing_repository_scope_come_from_rest() {
        let f = case().judge(vec![(
            Purpose::Rest,
            resp(200, &[], &REPO.replace(r#""push":true"#, r#""push":false"#)),
        )]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        let f = case().judge(vec![(
            Purpose::Rest,
            resp(200, &[], &REPO.replace(r#""archived":false"#, r#""archived":true"#)),
        )]);
        assert_eq!(f.reason, Reason::RepoArchived);
        let f = case().judge(vec![(
            Purpose::Rest,
            resp(
                403,
                &[],
                r#"{"message":"token does not have at least one of required scope(s), required=[read:repository], token scope=write:user","url":"https://codeberg.org/api/swagger"}"#,
            ),
        )]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        let f = case().judge(vec![(
            Purpose::Rest,
            resp(404, &[], r#"{"errors":["user redirect does not exist [name: acme]"],"message":"GetUserByName","url":"https://codeberg.org/api/swagger"}"#),
        )]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
    }

    #[test]
    fn rejections_tell_a_two_factor_password_from_a_bad_token() {
        let pw = Case::new(URL, Some("alice"), "correct-horse-battery");
        let f = pw.judge(vec![
            (Purpose::Rest, resp(401, &[], r#"{"message":"user's password is invalid [uid: 2, name: alice]","url":"https://codeberg.org/api/swagger"}"#)),
            (
                Purpose::PushProbe,
                resp(401, &[], "Users with two-factor authentication enabled cannot perform HTTP/HTTPS operations via plain username and password. Please create and use a personal access token on the user settings page"),
            ),
        ]);
        assert_eq!(f.reason, Reason::PasswordNotToken);
        let f = case().judge(vec![
            (Purpose::Rest, resp(401, &[], r#"{"message":"token is required"}"#)),
            (Purpose::PushProbe, resp(401, &[], "Unauthorized\n")),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.fix[1].contains("git credential reject"));
    }

    #[test]
    fn a_sub_path_server_still_names_owner_and_repo() {
        let c = Case::new("https://git.example.com/gitea/acme/widgets.git", Some("a"), TOKEN);
        assert_eq!(owner_and_name(&c.ctx()), "acme/widgets");
    }
}
