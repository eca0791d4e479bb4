//! github.com and GitHub Enterprise Server (PROVIDERS.md, GitHub).
//!
//! One round trip: `GET /repos/{o}/{r}` gives the reason; `GET /user` names
//! the token's owner when we do not remember it yet; for tokens whose write
//! grant REST cannot show (fine-grained, App), the push probe goes along.

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{Answers, Context, Purpose, common_status, host_words, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::tokens::{self, TokenKind};
use crate::verdict::{Finding, Reason, TokenInfo};

/// Git on github.com refuses account passwords since this day.
const PASSWORDS_REFUSED_SINCE: &str = "2021-08-13";

/// Usernames that are conventions, not logins: GitHub ignores the username
/// for token authentication (PROVIDERS.md).
const PLACEHOLDER_USERNAMES: &[&str] = &[
    "x-access-token",
    "x-oauth-basic",
    "oauth2",
    "oauth",
    "token",
    "git",
    "pat",
];

fn is_dotcom(ctx: &Context) -> bool {
    ctx.url.hostname == "github.com"
}

/// The web host for settings pages: github.com, or the Enterprise host.
fn web(ctx: &Context) -> String {
    format!("{}://{}", ctx.url.protocol(), ctx.url.host)
}

fn new_token_url(ctx: &Context) -> String {
    if ctx.credential.kind == TokenKind::GithubFineGrainedPat {
        format!("{}/settings/personal-access-tokens/new", web(ctx))
    } else {
        format!(
            "{}/settings/tokens/new?scopes=repo,workflow&description=prepush-auth",
            web(ctx)
        )
    }
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fix(format!("create a new token: {}", new_token_url(ctx)))
        .fix(ctx.forget("the old one"))
}

pub fn offline(ctx: &Context) -> Option<Finding> {
    let secret = ctx.credential.secret.expose();
    let kind = ctx.credential.kind;
    if kind.is_github() {
        if let Some(bad) = tokens::malformed(secret) {
            return Some(renew(ctx, super::malformed_finding(ctx, &bad)));
        }
        if kind == TokenKind::GithubRefresh {
            return Some(renew(
                ctx,
                Finding::new(
                    Reason::TokenInvalid,
                    format!(
                        "{} is a refresh token, which git cannot use; it needs the access token {}",
                        ctx.subject(),
                        ctx.shown()
                    ),
                ),
            ));
        }
        return None;
    }
    // Enterprise Server may still accept passwords; github.com does not.
    if is_dotcom(ctx) && kind == TokenKind::Unrecognised {
        return Some(renew(
            ctx,
            Finding::new(
                Reason::PasswordNotToken,
                format!(
                    "{} is not a GitHub token; github.com refuses account passwords for git since {PASSWORDS_REFUSED_SINCE}",
                    ctx.subject().replace("password or token", "password")
                ),
            ),
        ));
    }
    None
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let Some(api) = ctx.api else {
        return Vec::new();
    };
    let rest = |path: String| {
        Request::get(format!("{api}{path}"), Auth::Bearer)
            .header("accept", "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
    };
    // The helper entries may not know the repository (git sends `path` only
    // with credential.useHttpPath): then the token alone is checked.
    if ctx.url.repository.is_empty() {
        return vec![(Purpose::Rest, rest("/user".to_owned()))];
    }
    let mut plan = vec![(Purpose::Rest, rest(format!("/repos/{}", ctx.url.repository)))];
    let login_known = ctx.remembered.is_some_and(|r| r.token.login.is_some());
    // Installation tokens act as the App, not a user: `/user` answers 403.
    if !login_known && ctx.credential.kind != TokenKind::GithubInstallation {
        plan.push((Purpose::User, rest("/user".to_owned())));
    }
    if !ctx.credential.kind.github_reports_scopes() {
        plan.push((Purpose::PushProbe, ctx.push_probe("x-access-token")));
    }
    plan
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let rest = match answers.get(Purpose::Rest) {
        None => return Finding::new(Reason::UnsupportedHost, format!("no GitHub API is known for {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(resp)) => resp,
    };
    let user = if ctx.url.repository.is_empty() {
        Some(rest)
    } else {
        answers.ok(Purpose::User)
    };
    let mut info = token_info(ctx, rest, user);
    match rest.status {
        401 => return rejected(ctx, rest),
        403 if rest.header("x-github-sso").is_some_and(|v| v.starts_with("required")) => {
            return sso_required(ctx, rest);
        }
        _ => {}
    }
    if let Some(f) = common_status(host, rest) {
        return f;
    }
    match rest.status {
        200 => {}
        404 => return not_found(ctx, &info),
        301 | 302 | 307 | 308 => {
            return Finding::new(
                Reason::UnexpectedResponse,
                format!(
                    "GitHub redirected the repository {} elsewhere; check the remote URL",
                    ctx.url.repository
                ),
            );
        }
        status => {
            let words = host_words(rest).map(|w| format!(": {w}")).unwrap_or_default();
            return Finding::new(
                Reason::UnexpectedResponse,
                format!("GitHub answered HTTP {status}{words}"),
            );
        }
    }
    if ctx.url.repository.is_empty() {
        let owner = info.login.as_ref().map(|l| format!(" of {l}")).unwrap_or_default();
        return Finding::new(
            Reason::Ok,
            format!("GitHub accepts {}{owner} {}", ctx.subject(), ctx.shown()),
        )
        .with_token(info);
    }
    let Some(repo) = rest.json() else {
        return Finding::new(
            Reason::UnexpectedResponse,
            "GitHub answered 200 with a body that is not JSON",
        );
    };
    let full_name = repo["full_name"].as_str().unwrap_or(&ctx.url.repository).to_owned();
    if repo["archived"].as_bool() == Some(true) {
        return Finding::new(
            Reason::RepoArchived,
            format!("{full_name} is archived: it is read-only and refuses every push"),
        )
        .fix(format!("an owner can unarchive it: {}/{full_name}/settings", web(ctx)))
        .with_token(info);
    }
    if repo["permissions"]["push"].as_bool() == Some(false) {
        let who = info
            .login
            .clone()
            .map_or_else(|| "the token's account".to_owned(), |l| format!("the account {l}"));
        return Finding::new(
            Reason::NoRepoAccess,
            format!("{who} can read {full_name} but may not push to it"),
        )
        .fix(format!(
            "ask an owner of {full_name} for write access, or push to a fork"
        ))
        .with_token(info);
    }
    if let Some(scopes) = &info.scopes {
        let private = repo["private"].as_bool().unwrap_or(true);
        let can_write = scopes.iter().any(|s| s == "repo") || (!private && scopes.iter().any(|s| s == "public_repo"));
        if !can_write {
            let have = if scopes.is_empty() {
                "no scopes".to_owned()
            } else {
                format!("scopes {}", scopes.join(", "))
            };
            return Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} has {have}; pushing to {full_name} needs the repo scope {}",
                    ctx.subject(),
                    ctx.shown()
                ),
            )
            .fix_opt(ctx.scope_fix("repo"))
            .fix(format!("add the repo scope to the token: {}/settings/tokens", web(ctx)))
            .fix(format!("or create a new one: {}", new_token_url(ctx)))
            .with_token(info);
        }
    }
    if let Some(f) = judge_push_probe(ctx, answers, &full_name) {
        return f.with_token(info);
    }
    if info.login.is_none() {
        info.login = ctx.remembered.and_then(|r| r.token.login.clone());
    }
    let mismatch = ctx
        .credential
        .username
        .as_ref()
        .zip(info.login.as_ref())
        .filter(|(user, login)| {
            !user.eq_ignore_ascii_case(login) && !PLACEHOLDER_USERNAMES.contains(&user.to_ascii_lowercase().as_str())
        });
    if let Some((user, login)) = mismatch {
        return Finding::new(
            Reason::UsernameMismatch,
            format!("git sends the username {user}, but {} belongs to {login}; GitHub ignores the username, so the push will work", ctx.subject()),
        )
        .fix(format!("store the token under {login} (or x-access-token) to avoid confusion"))
        .with_token(info);
    }
    let owner = info.login.as_ref().map(|l| format!(" of {l}")).unwrap_or_default();
    Finding::new(
        Reason::Ok,
        format!("{}{owner} may push to {full_name} {}", ctx.subject(), ctx.shown()),
    )
    .with_token(info)
}

/// Fine-grained and App tokens: the probe is the only witness of a write grant.
fn judge_push_probe(ctx: &Context, answers: &Answers, full_name: &str) -> Option<Finding> {
    let probe = answers.ok(Purpose::PushProbe)?;
    let text = probe.text();
    match probe.status {
        403 if text.contains("Write access to repository not granted") => Some(
            Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} may read {full_name} but was not granted Contents: write {}",
                    ctx.subject(),
                    ctx.shown()
                ),
            )
            .fix(format!(
                "give the token \"Contents: Read and write\" on {full_name}: {}/settings/personal-access-tokens",
                web(ctx)
            )),
        ),
        403 => Some(
            Finding::new(
                Reason::NoRepoAccess,
                format!(
                    "GitHub refuses the push{}",
                    host_words(probe).map(|w| format!(": {w}")).unwrap_or_default()
                ),
            )
            .fix(format!("ask an owner of {full_name} for write access")),
        ),
        401 => Some(rejected(ctx, probe)),
        _ => None,
    }
}

fn rejected(ctx: &Context, resp: &Response) -> Finding {
    let remembered_expiry = ctx.remembered.and_then(|r| r.token.expires_at);
    if let Some(expired) = remembered_expiry.filter(|e| *e <= ctx.now) {
        return renew(
            ctx,
            Finding::new(
                Reason::TokenExpired,
                format!(
                    "{} expired on {} {}",
                    ctx.subject(),
                    expired.format("%Y-%m-%d"),
                    ctx.shown()
                ),
            ),
        )
        .with_token(TokenInfo {
            expires_at: Some(expired),
            ..ctx.remembered.map(|r| r.token.clone()).unwrap_or_default()
        });
    }
    let words = host_words(resp).unwrap_or_else(|| "Bad credentials".to_owned());
    let why = if ctx.credential.kind == TokenKind::Unrecognised {
        "the password or token is wrong, or this server refuses passwords"
    } else {
        "it is invalid, expired or revoked (GitHub does not say which)"
    };
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!("GitHub rejects {} ({words}): {why} {}", ctx.subject(), ctx.shown()),
        ),
    )
}

fn sso_required(ctx: &Context, resp: &Response) -> Finding {
    let header = resp.header("x-github-sso").unwrap_or("");
    let url = header
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("url="))
        .map(str::to_owned);
    let org = url
        .as_deref()
        .and_then(|u| u.split("/orgs/").nth(1))
        .and_then(|rest| rest.split('/').next())
        .map_or_else(|| "the organization".to_owned(), |o| format!("the organization {o}"));
    let f = Finding::new(
        Reason::SsoRequired,
        format!(
            "{org} enforces SAML single sign-on and {} is not authorized for it {}",
            ctx.subject(),
            ctx.shown()
        ),
    );
    match url {
        Some(u) => f.fix(format!("authorize the token (link valid for one hour): {u}")),
        None => f.fix(format!("authorize the token for SSO: {}/settings/tokens", web(ctx))),
    }
}

fn not_found(ctx: &Context, info: &TokenInfo) -> Finding {
    let repo = &ctx.url.repository;
    let hint = match (&info.scopes, ctx.credential.kind) {
        (Some(scopes), _) if !scopes.iter().any(|s| s == "repo") => {
            "; if it is private, the token lacks the repo scope it needs to see it"
        }
        (_, TokenKind::GithubFineGrainedPat) => {
            "; a fine-grained token sees only the repositories it was granted, of one resource owner"
        }
        _ => "",
    };
    Finding::new(
        Reason::NoRepoAccess,
        format!(
            "{repo} does not exist or {} cannot see it{hint} {}",
            ctx.subject(),
            ctx.shown()
        ),
    )
    .fix(format!(
        "check the remote URL ({}), or grant the token access: {}",
        ctx.url.display,
        new_token_url(ctx)
    ))
    .with_token(info.clone())
}

fn token_info(ctx: &Context, rest: &Response, user: Option<&Response>) -> TokenInfo {
    let scopes = rest.header("x-oauth-scopes").map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect::<Vec<_>>()
    });
    let login = user
        .filter(|u| u.status == 200)
        .and_then(Response::json)
        .and_then(|j| j["login"].as_str().map(str::to_owned))
        .or_else(|| ctx.remembered.and_then(|r| r.token.login.clone()));
    TokenInfo {
        login,
        scopes,
        expires_at: rest
            .header("github-authentication-token-expiration")
            .and_then(parse_expiration),
    }
}

/// The pre-push rule for `.github/workflows/` (PROVIDERS.md): GitHub refuses
/// a push that creates or updates a workflow with a token lacking the
/// `workflow` scope, but only after the whole pack was uploaded. Classic and
/// OAuth tokens list their scopes, so the hook can stop it first; for
/// fine-grained and App tokens the grant ("Workflows: Read and write") is
/// invisible, so the hook says so and does not block.
pub fn apply_workflow_rule(check: &mut crate::engine::Check, touches: impl FnOnce() -> Option<bool>) {
    use crate::verdict::Kind;
    if check.provider != Some(super::Provider::Github) || !matches!(check.kind(), Kind::Ok | Kind::Warn) {
        return;
    }
    let Some(cred) = &check.credential else { return };
    let scopes = check.finding.token.as_ref().and_then(|t| t.scopes.clone());
    let reports_scopes = cred.kind.github_reports_scopes();
    let lacks_workflow = scopes.as_ref().is_some_and(|s| !s.iter().any(|x| x == "workflow"));
    if reports_scopes && !lacks_workflow {
        return;
    }
    if touches() != Some(true) {
        return;
    }
    let scheme = check.url.split("://").next().unwrap_or("https");
    let web = format!("{scheme}://{}", check.host.clone().unwrap_or_default());
    if reports_scopes {
        let have = scopes.map(|s| s.join(", ")).unwrap_or_default();
        check.finding = Finding {
            reason: Reason::MissingWorkflowScope,
            message: format!(
                "this push changes .github/workflows/, and GitHub refuses that (after uploading everything) from a token without the workflow scope; the {} {} has scopes {have}",
                cred.kind.describe(),
                if cred.secret.starts_with('(') {
                    cred.secret.clone()
                } else {
                    format!("({})", cred.secret)
                },
            ),
            fix: crate::helpers::scope_line(&cred.place, check.host.as_deref().unwrap_or_default(), "workflow")
                .into_iter()
                .chain([
                    format!("add the workflow scope to the token: {web}/settings/tokens"),
                    format!(
                        "or create a new one: {web}/settings/tokens/new?scopes=repo,workflow&description=prepush-auth"
                    ),
                ])
                .collect(),
            token: check.finding.token.clone(),
        };
    } else {
        check.finding.message.push_str(
            "; this push changes .github/workflows/, which needs the token's \"Workflows: Read and write\" permission: GitHub does not show it, so it is not checked",
        );
    }
}

/// `2026-10-07 19:07:53 UTC` (classic) or `2027-03-31 00:00:00 +0900` (others).
pub fn parse_expiration(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Some(utc) = text.strip_suffix(" UTC") {
        return NaiveDateTime::parse_from_str(utc, "%Y-%m-%d %H:%M:%S")
            .ok()
            .map(|n| n.and_utc());
    }
    DateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S %z")
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::super::testkit::resp;
    use super::*;
    use crate::credential::{Credential, Source};
    use crate::http::{Failure, Outcome};
    use crate::secret::Secret;
    use crate::state::Remembered;
    use crate::target::RemoteUrl;
    use chrono::TimeZone;

    fn classic() -> String {
        tokens::github_token_with_checksum("ghp_", "0123456789abcdefghijABCDEFGHIJ")
    }

    struct Case {
        url: RemoteUrl,
        cred: Credential,
        remembered: Option<Remembered>,
    }

    impl Case {
        fn new(secret: &str) -> Self {
            Self {
                url: RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap(),
                cred: Credential::new(
                    Some("alice".into()),
                    Secret::new(secret),
                    Source::Helper("git credential-store".into()),
                ),
                remembered: None,
            }
        }
        fn ctx(&self) -> Context<'_> {
            Context {
                url: &self.url,
                api: Some("https://api.github.com"),
                credential: &self.cred,
                remembered: self.remembered.as_ref(),
                now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
            }
        }
        fn judge(&self, answers: Vec<(Purpose, Outcome)>) -> Finding {
            judge(&self.ctx(), &Answers(answers))
        }
    }

    const REPO: &str = r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"admin":false,"push":true,"pull":true}}"#;

    #[test]
    fn good_classic_token_is_ok_with_login_scopes_and_expiry() {
        let case = Case::new(&classic());
        let f = case.judge(vec![
            (
                Purpose::Rest,
                resp(
                    200,
                    &[
                        ("X-OAuth-Scopes", "repo, workflow"),
                        ("GitHub-Authentication-Token-Expiration", "2027-01-05 10:00:00 UTC"),
                    ],
                    REPO,
                ),
            ),
            (Purpose::User, resp(200, &[], r#"{"login":"alice"}"#)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let t = f.token.unwrap();
        assert_eq!(t.login.as_deref(), Some("alice"));
        assert_eq!(t.scopes.unwrap(), vec!["repo", "workflow"]);
        assert_eq!(t.expires_at.unwrap().to_rfc3339(), "2027-01-05T10:00:00+00:00");
    }

    #[test]
    fn bad_credentials_is_token_invalid_without_memory() {
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(401, &[], r#"{"message":"Bad credentials"}"#),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.fix.iter().any(|l| l.contains("git credential reject")));
    }

    #[test]
    fn bad_credentials_with_remembered_past_expiry_is_token_expired_with_the_date() {
        let mut case = Case::new(&classic());
        case.remembered = Some(Remembered {
            token: TokenInfo {
                expires_at: Some(Utc.with_ymd_and_hms(2026, 4, 27, 8, 0, 0).unwrap()),
                ..TokenInfo::default()
            },
            ..Remembered::default()
        });
        let f = case.judge(vec![(
            Purpose::Rest,
            resp(401, &[], r#"{"message":"Bad credentials"}"#),
        )]);
        assert_eq!(f.reason, Reason::TokenExpired);
        assert!(f.message.contains("expired on 2026-04-27"), "{}", f.message);
    }

    #[test]
    fn sso_header_gives_the_authorization_url() {
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(
                403,
                &[(
                    "X-GitHub-SSO",
                    "required; url=https://github.com/orgs/acme/sso?authorization_request=XYZ",
                )],
                r#"{"message":"Resource protected by organization SAML enforcement."}"#,
            ),
        )]);
        assert_eq!(f.reason, Reason::SsoRequired);
        assert!(f.message.contains("acme"));
        assert!(f.fix[0].contains("https://github.com/orgs/acme/sso?authorization_request=XYZ"));
    }

    #[test]
    fn partial_results_sso_on_200_is_not_a_block() {
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(
                200,
                &[
                    ("X-OAuth-Scopes", "repo"),
                    ("X-GitHub-SSO", "partial-results; organizations=21955855"),
                ],
                REPO,
            ),
        )]);
        assert_eq!(f.reason, Reason::Ok);
    }

    #[test]
    fn rate_limit_is_unknown() {
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(
                403,
                &[("X-RateLimit-Remaining", "0")],
                r#"{"message":"API rate limit exceeded"}"#,
            ),
        )]);
        assert_eq!(f.reason, Reason::RateLimited);
        let f = Case::new(&classic()).judge(vec![(Purpose::Rest, resp(429, &[], "{}"))]);
        assert_eq!(f.reason, Reason::RateLimited);
    }

    #[test]
    fn scopes_without_repo_is_missing_write_scope() {
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(200, &[("X-OAuth-Scopes", "read:org, gist")], REPO),
        )]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        let public = REPO.replace(r#""private":true"#, r#""private":false"#);
        let f = Case::new(&classic()).judge(vec![(
            Purpose::Rest,
            resp(200, &[("X-OAuth-Scopes", "public_repo")], &public),
        )]);
        assert_eq!(f.reason, Reason::Ok);
    }

    #[test]
    fn archived_and_read_only_role() {
        let archived = REPO.replace(r#""archived":false"#, r#""archived":true"#);
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(
                    Purpose::Rest,
                    resp(200, &[("X-OAuth-Scopes", "repo")], &archived)
                )])
                .reason,
            Reason::RepoArchived
        );
        let read_only = REPO.replace(r#""push":true"#, r#""push":false"#);
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(
                    Purpose::Rest,
                    resp(200, &[("X-OAuth-Scopes", "repo")], &read_only)
                )])
                .reason,
            Reason::NoRepoAccess
        );
    }

    #[test]
    fn fine_grained_write_comes_from_the_probe() {
        let fg = format!("github_pat_{}_{}", "A".repeat(22), "b".repeat(59));
        let f = Case::new(&fg).judge(vec![
            (Purpose::Rest, resp(200, &[], REPO)),
            (
                Purpose::PushProbe,
                resp(403, &[], "Write access to repository not granted.\n"),
            ),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.fix[0].contains("Contents"));
        let f = Case::new(&fg).judge(vec![
            (Purpose::Rest, resp(200, &[], REPO)),
            (
                Purpose::PushProbe,
                resp(403, &[], "Permission to acme/widgets.git denied to alice.\n"),
            ),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.message.contains("denied to alice"));
    }

    #[test]
    fn not_found_and_transport_failures() {
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(
                    Purpose::Rest,
                    resp(404, &[("X-OAuth-Scopes", "")], r#"{"message":"Not Found"}"#)
                )])
                .reason,
            Reason::NoRepoAccess
        );
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(Purpose::Rest, Err(Failure::Timeout))])
                .reason,
            Reason::Timeout
        );
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(Purpose::Rest, resp(502, &[], "<html>"))])
                .reason,
            Reason::HostError
        );
        assert_eq!(
            Case::new(&classic())
                .judge(vec![(Purpose::Rest, resp(200, &[], "<html>"))])
                .reason,
            Reason::UnexpectedResponse
        );
    }

    #[test]
    fn username_that_is_not_the_owner_warns() {
        let mut case = Case::new(&classic());
        case.cred.username = Some("bob".into());
        let f = case.judge(vec![
            (Purpose::Rest, resp(200, &[("X-OAuth-Scopes", "repo")], REPO)),
            (Purpose::User, resp(200, &[], r#"{"login":"alice"}"#)),
        ]);
        assert_eq!(f.reason, Reason::UsernameMismatch);
        case.cred.username = Some("x-access-token".into());
        let f = case.judge(vec![
            (Purpose::Rest, resp(200, &[("X-OAuth-Scopes", "repo")], REPO)),
            (Purpose::User, resp(200, &[], r#"{"login":"alice"}"#)),
        ]);
        assert_eq!(f.reason, Reason::Ok);
    }

    #[test]
    fn offline_rules() {
        let case = Case::new("correct-horse-battery");
        assert_eq!(offline(&case.ctx()).unwrap().reason, Reason::PasswordNotToken);
        let truncated = &classic()[..38];
        let case = Case::new(truncated);
        assert_eq!(offline(&case.ctx()).unwrap().reason, Reason::TokenMalformed);
        assert!(offline(&Case::new(&classic()).ctx()).is_none());
    }

    #[test]
    fn both_expiration_forms_parse() {
        assert_eq!(
            parse_expiration("2026-10-07 19:07:53 UTC").unwrap().to_rfc3339(),
            "2026-10-07T19:07:53+00:00"
        );
        assert_eq!(
            parse_expiration("2027-03-31 00:00:00 +0900").unwrap().to_rfc3339(),
            "2027-03-30T15:00:00+00:00"
        );
        assert!(parse_expiration("soon").is_none());
    }
}
