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

// Gitea's and Forgejo's own words (go-gitea/gitea routers/web/repo/githttp.go,
// services/auth/basic.go, routers/api/v1/api.go; Forgejo services/auth/basic.go).
/// githttp.go, a password login of a two-factor account that got that far.
const PROBE_2FA: &str = "two-factor authentication";
/// basic.go: a password of an account with TOTP, without the OTP header.
const API_OTP: &str = "invalid provided OTP";
/// Forgejo basic.go: a password of an account with a security key.
const API_SECURITY_KEYS: &str = "not allowed while having security keys enrolled";
/// web.go webAuth: every refusal of the auth layer on git's endpoint.
const AUTH_LAYER: &str = "Verify";
/// githttp.go: "This repo is archived. You can view files and clone it, …"
const PROBE_ARCHIVED: &str = "This repo is archived";
/// githttp.go: pushing to a pull mirror, after the role check.
pub(super) const PROBE_MIRROR: &str = "mirror repository is read-only";
/// api.go checkTokenPublicOnly.
const API_PUBLIC_ONLY: &str = "token scope is limited to public";

fn tokens_url(ctx: &Context) -> String {
    format!("{}/user/settings/applications", ctx.web())
}

/// The "make a new token" step: Gitea's page has no prefill (its form
/// reads no query), so it names the scope to pick.
pub fn new_token_line(ctx: &Context) -> String {
    format!(
        "create an access token with repository Read and Write (write:repository): {}",
        tokens_url(ctx)
    )
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_token_line(ctx)))
}

/// `owner/name`: the last two segments (a server may live under a sub-path).
pub(super) fn owner_and_name(ctx: &Context) -> String {
    let parts: Vec<&str> = ctx.url.repository.rsplitn(3, '/').collect();
    match parts.as_slice() {
        [name, owner, ..] => format!("{owner}/{name}"),
        _ => ctx.url.repository.clone(),
    }
}

/// `GET {api}/repos/{owner}/{name}` with git's own Basic pair.
pub(super) fn repo_request(ctx: &Context, api: &str) -> Request {
    Request::get(
        format!("{api}/repos/{}", owner_and_name(ctx)),
        Auth::Basic {
            username: ctx.username_or("git"),
        },
    )
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let probe = (Purpose::PushProbe, ctx.push_probe("git"));
    let Some(api) = ctx.api else {
        return vec![probe];
    };
    vec![(Purpose::Rest, repo_request(ctx, api)), probe]
}

/// What Gitea's REST answer says about the repository, when it is one.
pub(super) struct RepoRecord {
    pub push: Option<bool>,
    pub archived: bool,
    pub mirror: bool,
}

/// A 200 whose JSON has Gitea's repository shape (`full_name`, `permissions`).
pub(super) fn repo_record(rest: &Response) -> Option<RepoRecord> {
    let json = (rest.status == 200).then(|| rest.json()).flatten()?;
    json["full_name"].as_str()?;
    let permissions = json["permissions"].as_object()?;
    Some(RepoRecord {
        push: permissions.get("push").and_then(serde_json::Value::as_bool),
        archived: json["archived"].as_bool() == Some(true),
        mirror: json["mirror"].as_bool() == Some(true),
    })
}

/// Gitea's API errors: `{"message": …, "url": "…/api/swagger"}`.
pub(super) fn is_gitea_error(rest: &Response) -> bool {
    rest.json()
        .is_some_and(|j| j["message"].is_string() && j["url"].as_str().is_some_and(|u| u.ends_with("/api/swagger")))
}

/// Words of Gitea's or Forgejo's git endpoint, recognisable on any host.
pub(super) fn probe_sounds_like_gitea(probe: &Response) -> bool {
    let text = probe.text();
    let t = text.trim();
    probe
        .header("www-authenticate")
        .is_some_and(|w| w.contains("realm=\"Gitea"))
        || (probe.status == 401 && t == AUTH_LAYER)
        || t.starts_with(PROBE_ARCHIVED)
        || t == PROBE_MIRROR
        || t.contains("two-factor authentication enabled cannot perform HTTP/HTTPS operations")
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let repo = owner_and_name(ctx);
    let probe = answers.get(Purpose::PushProbe);
    let probe_ok = answers.ok(Purpose::PushProbe);
    // A refusal by git's own endpoint stands even when REST did not answer.
    let rest_ok = answers.ok(Purpose::Rest);
    if rest_ok.is_some_and(|r| r.status == 401) || probe_ok.is_some_and(|p| p.status == 401) {
        return rejected(ctx, rest_ok, probe_ok);
    }
    let rest = match answers.get(Purpose::Rest) {
        None => return Finding::new(Reason::UnsupportedHost, format!("no Gitea API is known for {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    if let Some(f) = common_status(host, rest) {
        return f;
    }
    let words = host_words(rest).map(|w| format!(" ({w})")).unwrap_or_default();
    match rest.status {
        200 => {}
        403 if rest.text().contains(API_PUBLIC_ONLY) => return public_only(ctx, &repo, &words),
        // "token does not have at least one of required scope(s): [read:repository]"
        403 if rest.text().contains("scope") => {
            return renew(
                ctx,
                Finding::new(
                    Reason::MissingWriteScope,
                    format!(
                        "{} has no repository scope; pushing needs write:repository{words}",
                        ctx.subject()
                    ),
                ),
            );
        }
        // git's own advertisement was served for this URL (the probe, or
        // in the hook git itself): the repository is there for git even
        // where REST cannot see it (a wiki, a push-to-create repository).
        404 if probe_ok.is_some_and(|p| p.status == 200) => {
            return Finding::new(
                Reason::WriteAccessUnknown,
                format!(
                    "{host} accepts {} for git, but its API does not show {repo} (a wiki, or a repository the push will create?), so whether it may write is not known before the pack arrives{words}",
                    ctx.subject()
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
    let Some(record) = repo_record(rest) else {
        return Finding::new(
            Reason::UnexpectedResponse,
            format!("{host} answered 200 with a body that is not a Gitea repository"),
        );
    };
    if record.archived {
        return archived(ctx, &repo);
    }
    if record.mirror {
        return mirror(ctx, &repo, " (its API: \"mirror\": true)");
    }
    if record.push == Some(false) {
        return role_refused(ctx, &repo);
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
    judge_probe(ctx, probe, &repo).unwrap_or_else(|| {
        // The role (REST permissions.push) and the write scope (the probe
        // checks write:repository before it lowers the mode for proc-receive)
        // are both known.
        Finding::new(Reason::Ok, format!("{} may push to {repo}", ctx.subject()))
    })
}

/// The probe's answer, where it is not a plain 200: what Gitea's git
/// endpoint says (githttp.go). `None` for the advertisement.
pub(super) fn judge_probe(ctx: &Context, probe: &Response, repo: &str) -> Option<Finding> {
    let host = ctx.url.host.as_str();
    let text = probe.text();
    let words = host_words(probe)
        .map(|w| format!(" ({host} says: {w})"))
        .unwrap_or_default();
    Some(match probe.status {
        200 => return None,
        401 => rejected(ctx, None, Some(probe)),
        403 if text.contains(PROBE_ARCHIVED) => archived(ctx, repo),
        403 if text.trim() == PROBE_MIRROR => mirror(ctx, repo, &words),
        // CheckRepoScopedToken answers a bare 403 before any role check: the
        // token lacks write:repository (a public-only token on a private
        // repository gets the same; the REST call, when sent, tells those apart).
        403 if is_bare(&text) => renew(
            ctx,
            Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} lacks the write:repository scope: git's push endpoint refuses it with a bare Forbidden (Gitea's API cannot show scopes)",
                    ctx.subject()
                ),
            ),
        ),
        // "Your account is disabled.", "Push to create is not enabled …"
        403 => Finding::new(Reason::HostRefused, format!("{host} refuses a push to {repo}{words}")),
        404 => probe_not_found(ctx, repo, &ctx.subject(), &words),
        _ => probe_other(host, probe, &words),
    })
}

/// A 401 from REST or the probe: the auth layer refused the credential.
/// Its words name a two-factor account only on the API (`invalid provided
/// OTP`, Forgejo's security keys); git's endpoint says `Verify` for every
/// refusal (web.go), so for a password that is the likely cause, not a fact.
pub(super) fn rejected(ctx: &Context, rest: Option<&Response>, probe: Option<&Response>) -> Finding {
    let host = &ctx.url.host;
    let said: Vec<String> = rest
        .into_iter()
        .chain(probe)
        .filter(|r| r.status == 401)
        .map(Response::text)
        .collect();
    let two_factor = said
        .iter()
        .any(|t| t.contains(API_OTP) || t.contains(API_SECURITY_KEYS) || t.contains(PROBE_2FA));
    let git_words = probe
        .filter(|p| p.status == 401)
        .and_then(host_words)
        .map(|w| format!("git's endpoint: {w}"));
    let api_words = rest
        .filter(|r| r.status == 401)
        .and_then(host_words)
        .map(|w| format!("its API: {w}"));
    let said_words: Vec<String> = git_words.into_iter().chain(api_words).collect();
    let words = if said_words.is_empty() {
        String::new()
    } else {
        format!(" ({host} says, {})", said_words.join("; "))
    };
    let password = ctx.credential.kind == TokenKind::Unrecognised;
    let subject = if password {
        ctx.subject().replace("password or token", "password")
    } else {
        ctx.subject()
    };
    if two_factor {
        return renew(
            ctx,
            Finding::new(
                Reason::PasswordNotToken,
                format!(
                    "{host} refuses {subject} for git: the account uses two-factor authentication (or a security key), and then a password does not work for git: it needs an access token{words}"
                ),
            ),
        );
    }
    let why = if password {
        "the password is wrong, or the account uses two-factor authentication, where a password never works for git: the likely cause when the password is right, and the server does not say which"
    } else {
        "it was deleted or mistyped, and the server does not say which"
    };
    renew(
        ctx,
        Finding::new(Reason::TokenInvalid, format!("{host} rejects {subject}: {why}{words}")),
    )
}

fn public_only(ctx: &Context, repo: &str, words: &str) -> Finding {
    Finding::new(
        Reason::MissingWriteScope,
        format!(
            "{} is limited to public repositories, and {repo} is private{words}",
            ctx.subject()
        ),
    )
    .fixes(ctx.replace(
        "the old one",
        &format!(
            "create a token without the public-only restriction (\"Only public repositories\" unticked) and with write:repository: {}",
            tokens_url(ctx)
        ),
    ))
}

fn role_refused(ctx: &Context, repo: &str) -> Finding {
    Finding::new(
        Reason::NoRepoAccess,
        format!(
            "the account may read {repo} but not push to it (Gitea's API: permissions.push is false; git's advertisement does not show this, the server checks it when the pack arrives)"
        ),
    )
    .fix(format!("ask an owner of {repo} for write access, or push to a fork"))
    .fix(format!("{}/{repo}", ctx.web()))
}

fn mirror(ctx: &Context, repo: &str, words: &str) -> Finding {
    Finding::new(
        Reason::HostRefused,
        format!(
            "{repo} is a mirror on {}: the server refuses every push to it, whoever pushes{words}",
            ctx.url.host
        ),
    )
    .fix(format!(
        "push to the repository it mirrors, or ask an owner to convert it to a regular repository: {}/{repo}/settings",
        ctx.web()
    ))
}

pub(super) fn archived(ctx: &Context, repo: &str) -> Finding {
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
    use crate::http::{Failure, Outcome};
    use crate::providers::testkit::{Case, destinations, fixture, planned};

    const URL: &str = "https://codeberg.org/acme/widgets.git";
    const TOKEN: &str = "0123456789abcdef0123456789abcdef01234567";

    fn case() -> Case {
        Case::new(URL, Some("alice"), TOKEN)
    }

    /// The recorded reader's answer with its role or state changed.
    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn repo(from: &str, to: &str) -> Outcome {
        let mut r = fixture("gitea/api-repo-reader.http").unwrap();
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains(from));
        r.body = body.replace(from, to).into_bytes();
        Ok(r)
    }

    fn writer() -> Outcome {
        repo(r#""push":false"#, r#""push":true"#)
    }

    fn judge(rest: Outcome, probe: Outcome) -> Finding {
        case().judge(vec![(Purpose::Rest, rest), (Purpose::PushProbe, probe)])
    }

    /// A wiki (`proj.wiki.git`) or a push-to-create repository: git's
    /// advertisement is served (in the hook: git got it), the API answers
    /// 404. That is no refusal of the push.
    #[test]
    fn an_api_404_for_a_repository_git_serves_is_not_a_block() {
        let f = judge(
            fixture("gitea/api-404-not-found.http"),
            fixture("gitea/probe-advertisement-reader.http"),
        );
        assert_eq!(f.reason, Reason::WriteAccessUnknown, "{}", f.message);
        let f = judge(
            fixture("gitea/api-404-not-found.http"),
            fixture("gitea/probe-404-not-found.http"),
        );
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
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
        let f = judge(writer(), fixture("gitea/probe-advertisement-reader.http"));
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    /// Issue 10, case 2: with proc-receive the advertisement is served to a
    /// reader; REST's permissions.push is the witness.
    #[test]
    fn a_reader_is_refused_by_rest_though_git_serves_the_advertisement() {
        let f = judge(
            fixture("gitea/api-repo-reader.http"),
            fixture("gitea/probe-advertisement-reader.http"),
        );
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.message.contains("permissions.push"), "{}", f.message);
    }

    /// Issue 10, case 3: a bare Forbidden is the token's write:repository.
    #[test]
    fn a_bare_forbidden_on_the_probe_is_the_missing_write_scope() {
        let f = judge(writer(), fixture("gitea/probe-403-forbidden.http"));
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("write:repository"), "{}", f.message);
        assert!(f.fix[2].contains("https://codeberg.org/user/settings/applications"));
        // Without the probe's answer: say it is not known, do not guess.
        let f = judge(writer(), Err(Failure::Timeout));
        assert_eq!(f.reason, Reason::Timeout);
        assert!(f.message.contains("is not known"), "{}", f.message);
    }

    /// Issue 10, case 3: a public-only token on a private repository.
    #[test]
    fn a_public_only_token_gets_a_fix_without_the_restriction() {
        let f = judge(
            fixture("gitea/api-403-public-only.http"),
            fixture("gitea/probe-403-forbidden.http"),
        );
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("limited to public repositories"), "{}", f.message);
        assert!(f.fix[2].contains("without the public-only restriction"), "{:?}", f.fix);
        let f = judge(
            fixture("gitea/api-403-no-repository-scope.http"),
            fixture("gitea/probe-403-forbidden.http"),
        );
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("no repository scope"), "{}", f.message);
    }

    #[test]
    fn archived_and_missing_repositories() {
        let f = judge(
            repo(r#""archived":false"#, r#""archived":true"#),
            fixture("gitea/probe-403-archived.http"),
        );
        assert_eq!(f.reason, Reason::RepoArchived);
        let f = judge(writer(), fixture("gitea/probe-403-archived.http"));
        assert_eq!(f.reason, Reason::RepoArchived);
        let f = judge(writer(), fixture("gitea/probe-404-not-found.http"));
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.message.contains("Repository not found"), "{}", f.message);
    }

    /// Issue 10, case 8: a mirror refuses everyone; it is not the account's access.
    #[test]
    fn a_mirror_is_the_servers_refusal_not_the_accounts() {
        let f = judge(writer(), fixture("gitea/probe-403-mirror.http"));
        assert_eq!(f.reason, Reason::HostRefused);
        assert!(f.message.contains("mirror repository is read-only"), "{}", f.message);
        let f = judge(
            repo(r#""mirror":false"#, r#""mirror":true"#),
            fixture("gitea/probe-403-mirror.http"),
        );
        assert_eq!(f.reason, Reason::HostRefused);
    }

    /// Issue 10, case 4: the real texts of a two-factor account's password.
    #[test]
    fn two_factor_passwords_are_named_by_the_hosts_words_or_as_the_likely_cause() {
        let pw = Case::new(URL, Some("alice"), "correct-horse-battery");
        let f = pw.judge(vec![
            (Purpose::Rest, fixture("gitea/api-401-invalid-otp.http")),
            (Purpose::PushProbe, fixture("gitea/probe-401-verify.http")),
        ]);
        assert_eq!(f.reason, Reason::PasswordNotToken, "{}", f.message);
        assert!(f.message.contains("invalid provided OTP"), "{}", f.message);
        let f = pw.judge(vec![
            (Purpose::Rest, fixture("forgejo/api-401-security-keys.http")),
            (Purpose::PushProbe, fixture("gitea/probe-401-verify.http")),
        ]);
        assert_eq!(f.reason, Reason::PasswordNotToken, "{}", f.message);
        let f = pw.judge(vec![
            (Purpose::Rest, writer()),
            (Purpose::PushProbe, fixture("gitea/probe-401-two-factor.http")),
        ]);
        assert_eq!(f.reason, Reason::PasswordNotToken, "{}", f.message);
        // Only "Verify": the likely cause, not a claim.
        for rest in [Err(Failure::Timeout), writer()] {
            let f = pw.judge(vec![
                (Purpose::Rest, rest),
                (Purpose::PushProbe, fixture("gitea/probe-401-verify.http")),
            ]);
            assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
            assert!(f.message.contains("Verify"), "{}", f.message);
            assert!(f.message.contains("likely cause"), "{}", f.message);
        }
        // A token refused with the same word: no two-factor story.
        let f = judge(writer(), fixture("gitea/probe-401-verify.http"));
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(!f.message.contains("two-factor"), "{}", f.message);
        assert!(f.fix[1].contains("git credential reject"));
    }

    #[test]
    fn a_sub_path_server_still_names_owner_and_repo() {
        let c = Case::new("https://git.example.com/gitea/acme/widgets.git", Some("a"), TOKEN);
        assert_eq!(owner_and_name(&c.ctx()), "acme/widgets");
    }
}
