//! github.com and GitHub Enterprise Server (PROVIDERS.md, GitHub).
//!
//! One round trip: `GET /repos/{o}/{r}` gives the reason; `GET /user` names
//! the token's owner when we do not remember it yet; for tokens whose write
//! grant REST cannot show (fine-grained, App), the push probe goes along.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDateTime, Utc};

use super::{Answers, Context, Purpose, common_status, host_words, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::tokens::{self, TokenKind};
use crate::verdict::{Finding, Kind, Reason, TokenInfo};

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

/// The "make a new token" step, with the token page and its scopes prefilled.
pub fn new_token_line(ctx: &Context) -> String {
    format!("create a new token: {}", new_token_url(ctx))
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_token_line(ctx)))
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
                        "{} is a refresh token, which git cannot use; it needs the access token",
                        ctx.subject()
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
    // `/user` also carries `X-GitHub-SSO: partial-results` for the orgs a
    // classic or OAuth token is not authorized in: always asked for those
    // (same round trip), so a 404 is told apart from SSO every time.
    // Installation tokens act as the App, not a user: `/user` answers 403.
    let sso_kind = ctx.credential.kind.github_reports_scopes();
    if (sso_kind || !login_known) && ctx.credential.kind != TokenKind::GithubInstallation {
        plan.push((Purpose::User, rest("/user".to_owned())));
    }
    if !ctx.credential.kind.github_reports_scopes() {
        plan.push((Purpose::PushProbe, ctx.push_probe("x-access-token")));
    }
    plan
}

/// The order of evidence (`providers`, top) for GitHub: the push probe (or
/// git's own advertisement in the hook) decides whether the credential may
/// push; REST explains why not, names the token's owner, scopes and expiry,
/// and stands alone only where it speaks for the token itself (a 401, the
/// scopes of a classic or OAuth token, an SSO demand, a missing repository).
pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let probe = answers.get(Purpose::PushProbe);
    let git = probe.and_then(|p| p.as_ref().ok());
    let rest = match answers.get(Purpose::Rest) {
        None => return Finding::new(Reason::UnsupportedHost, format!("no GitHub API is known for {host}")),
        Some(Err(failure)) => return without_rest(ctx, git, transport_finding(host, failure)),
        Some(Ok(resp)) => resp,
    };
    if let Some(f) = rate_limited(host, rest) {
        return without_rest(ctx, git, f);
    }
    let from_rest = judge_rest(ctx, answers, rest);
    if from_rest.kind() == Kind::Unknown {
        return without_rest(ctx, git, from_rest);
    }
    let Some(probe) = probe else {
        return from_rest;
    };
    let probe = match probe {
        Err(failure) if from_rest.unconfirmed => {
            // An inference never blocks alone: without git's answer, not known.
            let mut f = transport_finding(host, failure);
            f.add(&format!("the API suggests: {}", from_rest.message));
            return f;
        }
        Err(failure) if from_rest.kind() != Kind::Block => return transport_finding(host, failure),
        Err(_) => return from_rest,
        Ok(p) => p,
    };
    if probe.status == 403
        && let Some(limited) = rate_limited(host, probe)
    {
        return limited;
    }
    match probe.status {
        // Level 1: git may push. What REST suggested is overruled; where it
        // said something (not the meaningless flags of an App installation),
        // the verdict says what was overruled.
        200 if from_rest.kind() == Kind::Block => {
            let note = from_rest.message;
            let mut f = accepted_by_git(ctx, "");
            let _ = write!(
                f.message,
                "; the API suggested otherwise ({note}), but git's own push check lets it through"
            );
            f.token = from_rest.token;
            f
        }
        200 => from_rest,
        401 => rejected(ctx, probe),
        // git refuses: REST's block explains why, else the probe's words do.
        403 | 404 if from_rest.kind() == Kind::Block => {
            let mut f = Finding {
                unconfirmed: false,
                ..from_rest
            };
            if let Some(words) = host_words(probe) {
                f.add(&format!("git's push check says: {words}"));
            }
            f
        }
        403 => {
            // The account's own right to push, as REST shows it (meaningless
            // for installation tokens, whose flags are all false).
            let account_may_push = rest
                .json()
                .and_then(|r| r["permissions"]["push"].as_bool())
                .filter(|_| ctx.credential.kind != TokenKind::GithubInstallation);
            refused_by_git(ctx, probe, from_rest.token.unwrap_or_default(), account_may_push)
        }
        404 => {
            let info = from_rest.token.clone().unwrap_or_default();
            not_found(ctx, &info, None)
        }
        _ => {
            let words = host_words(probe).map(|w| format!(": {w}")).unwrap_or_default();
            super::probe_other(host, probe, &words)
        }
    }
}

/// REST could not be read (`unknown`): git's own push check, where it was
/// asked, still decides; otherwise the unknown stands.
fn without_rest(ctx: &Context, git: Option<&Response>, unknown: Finding) -> Finding {
    let host = ctx.url.host.as_str();
    match git {
        Some(p) if p.status == 200 => accepted_by_git(ctx, &unknown.message),
        Some(p) if p.status == 401 => rejected(ctx, p),
        Some(p) if p.status == 403 => {
            rate_limited(host, p).unwrap_or_else(|| refused_by_git(ctx, p, TokenInfo::default(), None))
        }
        _ => unknown,
    }
}

/// REST alone: the reason, the owner, the scopes, the expiry.
/// A permissions-object refusal comes back `unconfirmed`: the probe decides.
fn judge_rest(ctx: &Context, answers: &Answers, rest: &Response) -> Finding {
    let user = if ctx.url.repository.is_empty() {
        Some(rest)
    } else {
        answers.ok(Purpose::User)
    };
    let mut info = token_info(ctx, rest, user);
    match rest.status {
        401 => return rejected(ctx, rest),
        403 | 404 if rest.header("x-github-sso").is_some_and(|v| v.starts_with("required")) => {
            return sso_required(ctx, rest).with_token(info);
        }
        403 => return forbidden(ctx, rest).with_token(info),
        404 => return not_found(ctx, &info, answers.ok(Purpose::User)),
        200 => {}
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
            if let Some(f) = common_status(&ctx.url.host, rest) {
                return f;
            }
            let words = host_words(rest).map(|w| format!(": {w}")).unwrap_or_default();
            return Finding::new(
                Reason::UnexpectedResponse,
                format!("GitHub answered HTTP {status}{words}"),
            );
        }
    }
    if ctx.url.repository.is_empty() {
        let owner = info.login.as_ref().map(|l| format!(" of {l}")).unwrap_or_default();
        return Finding::new(Reason::Ok, format!("GitHub accepts {}{owner}", ctx.subject())).with_token(info);
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
    if let Some(scopes) = &info.scopes {
        let private = repo["private"].as_bool().unwrap_or(true);
        let can_write = scopes.iter().any(|s| s == "repo") || (!private && scopes.iter().any(|s| s == "public_repo"));
        if !can_write {
            return missing_repo_scope(ctx, scopes, &full_name).with_token(info);
        }
    }
    // Installation tokens (`ghs_`) get every permission flag false whatever
    // the installation's grant (recorded: PyGithub
    // GithubIntegration.testGetGithubForInstallation): the flags say nothing.
    let flags_mean_something = ctx.credential.kind != TokenKind::GithubInstallation;
    if flags_mean_something && repo["permissions"]["push"].as_bool() == Some(false) {
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
        .with_token(info)
        .unconfirmed();
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
        return
            Finding::new(
                Reason::UsernameMismatch,
                format!("git sends the username {user}, but {} belongs to {login}; GitHub ignores the username, so the push will work", ctx.subject()),
            )
            .fix(format!("store the token under {login} (or x-access-token) to avoid confusion"))
            .with_token(info)
        ;
    }
    let owner = info.login.as_ref().map(|l| format!(" of {l}")).unwrap_or_default();
    let may = if ctx.credential.kind.github_reports_scopes() || answers.get(Purpose::PushProbe).is_some() {
        "may push to"
    } else {
        // REST cannot show a fine-grained or App token's write grant; the
        // probe was not answered (the caller adds what it knows).
        "may read"
    };

    Finding::new(Reason::Ok, format!("{}{owner} {may} {full_name}", ctx.subject())).with_token(info)
}

/// A classic or OAuth token without `repo` (or `public_repo` on a public
/// repository) cannot push anywhere (PROVIDERS.md).
fn missing_repo_scope(ctx: &Context, scopes: &[String], repo: &str) -> Finding {
    let have = if scopes.is_empty() {
        "no scopes".to_owned()
    } else {
        format!("scopes {}", scopes.join(", "))
    };
    Finding::new(
        Reason::MissingWriteScope,
        format!("{} has {have}; pushing to {repo} needs the repo scope", ctx.subject()),
    )
    .fixes(ctx.scope_steps("repo", &format!("{}/settings/tokens", web(ctx)), &new_token_url(ctx)))
}

/// Where a fine-grained or App token's write grant is set: the token's
/// settings page, or, for App tokens, the App's permissions and installation.
fn grant_contents_write(ctx: &Context) -> String {
    let repo = &ctx.url.repository;
    match ctx.credential.kind {
        TokenKind::GithubAppUser | TokenKind::GithubInstallation => format!(
            "the GitHub App needs the repository permission \"Contents: Read and write\" and access to {repo}: its owner sets the permission in the App's settings, and the installation must accept it and include {repo} ({}/settings/installations)",
            web(ctx)
        ),
        _ => format!(
            "give the token access to {repo} with \"Contents: Read and write\": {}/settings/personal-access-tokens",
            web(ctx)
        ),
    }
}

/// git's push check lets the credential through (level 1).
fn accepted_by_git(ctx: &Context, why_no_more: &str) -> Finding {
    let more = if why_no_more.is_empty() {
        String::new()
    } else {
        format!(" ({why_no_more})")
    };
    Finding::new(
        Reason::Ok,
        format!(
            "git's push check accepts {} for {}{more}",
            ctx.subject(),
            ctx.url.repository
        ),
    )
}

/// Rate limits are never a verdict on the credential: primary (remaining 0,
/// or 429) and secondary (a 403 whose message says so, with requests left;
/// github/docs "Troubleshooting the REST API").
fn rate_limited(host: &str, resp: &Response) -> Option<Finding> {
    let secondary =
        resp.status == 403 && host_words(resp).is_some_and(|w| w.to_ascii_lowercase().contains("secondary rate limit"));
    if secondary {
        let after = resp
            .header("retry-after")
            .map(|s| format!(" (retry after {s} s)"))
            .unwrap_or_default();
        return Some(Finding::new(
            Reason::RateLimited,
            format!("{host} hit its secondary rate limit{after}; the credential was not checked"),
        ));
    }
    if resp.status == 429 || (resp.status == 403 && resp.header("x-ratelimit-remaining") == Some("0")) {
        return common_status(host, resp);
    }
    None
}

/// A REST 403 that is not SSO nor a rate limit: the organization's token
/// policies say so in words (recorded), else we do not know what it means.
fn forbidden(ctx: &Context, resp: &Response) -> Finding {
    let words = host_words(resp).unwrap_or_default();
    let lower = words.to_ascii_lowercase();
    if let Some(f) = org_policy(ctx, &lower, &words) {
        return f;
    }
    Finding::new(Reason::UnexpectedResponse, format!("GitHub answered HTTP 403: {words}"))
}

/// Organizations may forbid classic tokens, or fine-grained tokens that live
/// too long; GitHub's words name the organization.
fn org_policy(ctx: &Context, lower: &str, words: &str) -> Option<Finding> {
    if lower.contains("personal access token (classic)") || lower.contains("personal access tokens (classic)") {
        return Some(
            Finding::new(
                Reason::NoRepoAccess,
                format!(
                    "the organization forbids classic personal access tokens, so {} cannot push to {} ({words})",
                    ctx.subject(),
                    ctx.url.repository
                ),
            )
            .fix(format!(
                "create a fine-grained token for the organization instead: {}/settings/personal-access-tokens/new",
                web(ctx)
            )),
        );
    }
    if lower.contains("fine-grained personal access token") && lower.contains("lifetime") {
        return Some(
            Finding::new(
                Reason::NoRepoAccess,
                format!(
                    "the organization refuses {} because it lives longer than the organization allows ({words})",
                    ctx.subject()
                ),
            )
            .fix(format!(
                "give the token a shorter lifetime (regenerate it): {}/settings/personal-access-tokens",
                web(ctx)
            )),
        );
    }
    None
}

/// git's push check refuses (403) and REST saw nothing wrong: the probe's
/// words say why (recorded texts, PROVIDERS.md).
/// `account_may_push` is REST's `permissions.push`, where it means something.
fn refused_by_git(ctx: &Context, probe: &Response, info: TokenInfo, account_may_push: Option<bool>) -> Finding {
    let repo = ctx.url.repository.as_str();
    let text = probe.text();
    let words = host_words(probe).unwrap_or_default();
    if let Some(f) = org_policy(ctx, &text.to_ascii_lowercase(), &words) {
        return f.with_token(info);
    }
    if text.contains("archived so it is read-only") {
        return Finding::new(
            Reason::RepoArchived,
            format!("{repo} is archived: it is read-only and refuses every push ({words})"),
        )
        .fix(format!("an owner can unarchive it: {}/{repo}/settings", web(ctx)))
        .with_token(info);
    }
    if text.contains("Write access to repository not granted") {
        return Finding::new(
            Reason::MissingWriteScope,
            format!("{} may read {repo} but was not granted Contents: write", ctx.subject()),
        )
        .fix(grant_contents_write(ctx))
        .with_token(info);
    }
    // `Permission to O/R.git denied to U.`: U has no push access, except
    // that fine-grained tokens get it where U owns O/R (saadmk11 issue #63):
    // then it is the token's grant that is missing.
    let denied_to = words
        .split(" denied to ")
        .nth(1)
        .map(|u| u.trim_end_matches('.').trim().to_owned());
    let owner = repo.split('/').next().unwrap_or_default();
    // The same text where REST says the account itself may push: then too
    // it is the token's grant (fine-grained or App) that is missing.
    let grant_kind = !ctx.credential.kind.github_reports_scopes();
    let owns = denied_to.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(owner));
    if grant_kind && (owns || account_may_push == Some(true)) {
        let why = if owns {
            format!("{owner} owns {repo}")
        } else {
            format!("the account may push to {repo}")
        };
        return Finding::new(
            Reason::MissingWriteScope,
            format!(
                "GitHub refuses the push: {why}, so it is {}'s grant that lacks Contents: write on it; GitHub says: {words}",
                ctx.subject()
            ),
        )
        .fix(grant_contents_write(ctx))
        .with_token(info);
    }
    let who = denied_to.map_or_else(|| "the token's account".to_owned(), |u| format!("the account {u}"));
    Finding::new(
        Reason::NoRepoAccess,
        format!("GitHub refuses the push: {who} has no write access to {repo} ({words})"),
    )
    .fix(format!("ask an owner of {repo} for write access, or push to a fork"))
    .with_token(info)
}

/// GitHub's 401 does not say why. A remembered expiry that has passed
/// explains it (the engine's `dated`, for every host alike).
fn rejected(ctx: &Context, resp: &Response) -> Finding {
    let words = host_words(resp).unwrap_or_else(|| "Bad credentials".to_owned());
    let why = if ctx.credential.kind == TokenKind::Unrecognised {
        "the password or token is wrong, or this server refuses passwords"
    } else {
        "it is invalid, expired or revoked, and GitHub does not say which"
    };
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!("GitHub rejects {}: {why}; GitHub says: {words}", ctx.subject()),
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
            "{org} enforces SAML single sign-on and {} is not authorized for it",
            ctx.subject()
        ),
    );
    match url {
        Some(u) => f.fix(format!("authorize the token (link valid for one hour): {u}")),
        None => f.fix(format!("authorize the token for SSO: {}/settings/tokens", web(ctx))),
    }
}

fn not_found(ctx: &Context, info: &TokenInfo, user: Option<&Response>) -> Finding {
    let repo = &ctx.url.repository;
    // A classic or OAuth token with neither `repo` nor `public_repo` cannot
    // push to any repository: that, not this one's visibility, is the cause.
    if let Some(scopes) = info
        .scopes
        .as_ref()
        .filter(|s| !s.iter().any(|x| x == "repo" || x == "public_repo"))
    {
        return missing_repo_scope(ctx, scopes, repo).with_token(info.clone());
    }
    // GitHub may answer an SSO-protected resource with 404; `/user` then
    // names the organizations the token is not authorized for
    // (github/docs, "Authenticating to the REST API").
    let partial = user
        .and_then(|u| u.header("x-github-sso"))
        .filter(|v| v.starts_with("partial-results"))
        .and_then(|v| v.split("organizations=").nth(1))
        .map(str::trim);
    if let Some(orgs) = partial {
        let owner = repo.split('/').next().unwrap_or_default();
        return Finding::new(
            Reason::SsoRequired,
            format!(
                "GitHub does not show {repo} to {}, and says the token is not authorized for SAML single sign-on in the organizations with ids {orgs}; if {owner} is one of them (`gh api orgs/{owner} --jq .id` shows its id), that is why",
                ctx.subject()
            ),
        )
        .fix(format!(
            "authorize the token for the organization (Configure SSO): {}/settings/tokens",
            web(ctx)
        ))
        .with_token(info.clone());
    }
    let hint = match ctx.credential.kind {
        TokenKind::GithubFineGrainedPat => {
            "; a fine-grained token sees only the repositories it was granted, of one resource owner"
        }
        _ => "",
    };
    Finding::new(
        Reason::NoRepoAccess,
        format!("{repo} does not exist or {} cannot see it{hint}", ctx.subject()),
    )
    .fix(format!(
        "check the remote URL ({}), or grant the token access: {}",
        ctx.url.display,
        new_token_url(ctx)
    ))
    .with_token(info.clone())
}

fn token_info(ctx: &Context, rest: &Response, user: Option<&Response>) -> TokenInfo {
    // `X-OAuth-Scopes` lists a classic or OAuth token's scopes (empty: none).
    // App user tokens get the header present and empty (recorded: PyGithub
    // Authentication.testAppUserAuthentication): not "no scopes" but "not a
    // scoped token", like fine-grained and installation tokens (no header).
    let has_scopes = ctx.credential.kind.github_reports_scopes();
    let scopes = rest.header("x-oauth-scopes").filter(|_| has_scopes).map(|s| {
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
/// invisible, so the hook says so and does not block. `finding` is the
/// check's verdict; the answer is the verdict to show instead, if any.
/// `redacted` is the secret as output shows it; `touches` names the first
/// pushed commit that changes `.github/workflows/` ("abc1234 (subject)").
/// `fix` is the steps that add the scope where the token really lives
/// (`helpers::scope_steps`).
pub fn workflow_rule(
    finding: &Finding,
    kind: TokenKind,
    redacted: &str,
    fix: Vec<String>,
    touches: impl FnOnce() -> Option<String>,
) -> Option<Finding> {
    if !matches!(finding.kind(), Kind::Ok | Kind::Warn) {
        return None;
    }
    let scopes = finding.token.as_ref().and_then(|t| t.scopes.clone());
    let reports_scopes = kind.github_reports_scopes();
    let lacks_workflow = scopes.as_ref().is_some_and(|s| !s.iter().any(|x| x == "workflow"));
    if reports_scopes && !lacks_workflow {
        return None;
    }
    let commit = touches()?;
    if !reports_scopes {
        let mut noted = finding.clone();
        let _ = write!(
            noted.message,
            "; commit {commit} changes .github/workflows/, which needs the token's \"Workflows: Read and write\" permission: GitHub does not show it, so it is not checked"
        );
        return Some(noted);
    }
    let have = scopes.map(|s| s.join(", ")).unwrap_or_default();
    let token = super::named(kind.describe(), redacted);
    Some(Finding {
        reason: Reason::MissingWorkflowScope,
        message: format!(
            "commit {commit} changes .github/workflows/, and GitHub refuses that (after uploading everything) from a token without the workflow scope; the {token} has scopes {have}",
        ),
        fix,
        token: finding.token.clone(),
        advisory: false,
        unconfirmed: false,
    })
}

/// `GitHub-Authentication-Token-Expiration`, in the two forms recorded in
/// public: `2026-10-07 19:07:53 UTC` and `2027-03-31 00:00:00 +0900`, both
/// 24-hour (go-github#2649 read the hour as 12-hour and the zone as a name;
/// its fix, go-github PR #2650, and tektoncd/pipelines-as-code PR #1132 list
/// both forms as seen in their logs). Anything else is not read: no date is
/// better than a wrong one.
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
        // The account may not push (REST): then the refusal is its access.
        let read_only = REPO.replace(r#""push":true"#, r#""push":false"#);
        let f = Case::new(&fg).judge(vec![
            (Purpose::Rest, resp(200, &[], &read_only)),
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
                    resp(404, &[("X-OAuth-Scopes", "repo")], r#"{"message":"Not Found"}"#)
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

/// Issue "Never block a credential that works": every case on a recorded
/// real answer (`tests/fixtures/github`, each file names its source).
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::http::{Failure, Outcome};
    use crate::providers::testkit::{Case, fixture};

    const URL: &str = "https://github.com/acme/widgets.git";

    fn token(prefix: &str) -> String {
        tokens::github_token_with_checksum(prefix, "Rec0rdedRec0rdedRec0rdedRec0rd")
    }

    fn fine_grained() -> String {
        format!("github_pat_{}_{}", "A1".repeat(11), "b2C".repeat(19) + "dd")
    }

    /// The recorded repository body with another recorded answer's headers:
    /// the scope headers belong to the token, not to the endpoint.
    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn with_headers_of(body: &str, headers: &str) -> Outcome {
        let mut resp = fixture(body).unwrap();
        resp.headers = fixture(headers).unwrap().headers;
        Ok(resp)
    }

    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn git_says(status: u16) -> Outcome {
        match status {
            200 => Ok(Response::git_witnessed_advertisement()),
            _ => unreachable!("use a recorded fixture"),
        }
    }

    #[test]
    fn app_user_token_with_empty_scope_headers_is_not_a_token_without_scopes() {
        let case = Case::new(URL, Some("alice"), &token("ghu_"));
        let rest = with_headers_of("github/repo-classic-token.http", "github/user-app-user-token.http");
        let f = case.judge(vec![
            (Purpose::Rest, rest.clone()),
            (Purpose::User, fixture("github/user-app-user-token.http")),
            (Purpose::PushProbe, git_says(200)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert_eq!(
            f.token.as_ref().unwrap().scopes,
            None,
            "an empty header is not 'no scopes'"
        );
        // Without git's answer it is still no block: REST cannot see the grant.
        let f = case.judge(vec![(Purpose::Rest, rest)]);
        assert_ne!(f.reason.kind(), Kind::Block, "{}", f.message);
        assert!(plan(&case.ctx()).iter().any(|(p, _)| *p == Purpose::PushProbe));
    }

    #[test]
    fn installation_tokens_all_false_permissions_do_not_block() {
        for secret in [
            token("ghs_"),
            format!("ghs_1234567_{}", "eyJhbGciOiJSUzI1NiJ9.x".repeat(24)),
        ] {
            let case = Case::new(URL, Some("x-access-token"), &secret);
            assert!(case.offline().is_none(), "a long ghs_ token is well formed");
            let f = case.judge(vec![
                (Purpose::Rest, fixture("github/repo-installation-token.http")),
                (Purpose::PushProbe, git_says(200)),
            ]);
            assert_eq!(f.reason, Reason::Ok, "{}", f.message);
            assert!(
                !f.message.contains("suggested"),
                "the flags mean nothing: {}",
                f.message
            );
            let f = case.judge(vec![
                (Purpose::Rest, fixture("github/repo-installation-token.http")),
                (Purpose::PushProbe, fixture("github/probe-write-not-granted.http")),
            ]);
            assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
            assert!(
                !plan(&case.ctx()).iter().any(|(p, _)| *p == Purpose::User),
                "/user is 403 for an App"
            );
        }
    }

    #[test]
    fn classic_and_oauth_tokens_good_paths_with_their_scopes_and_expiry() {
        let f = Case::new(URL, Some("alice"), &token("ghp_"))
            .judge(vec![(Purpose::Rest, fixture("github/repo-classic-token.http"))]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let t = f.token.unwrap();
        assert_eq!(t.scopes.unwrap(), vec!["repo", "workflow"]);
        assert_eq!(t.expires_at.unwrap().to_rfc3339(), "2024-05-13T19:47:28+00:00");
        let f = Case::new(URL, Some("alice"), &token("gho_"))
            .judge(vec![(Purpose::Rest, fixture("github/repo-oauth-token.http"))]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.token.unwrap().scopes.unwrap().contains(&"repo".to_owned()));
    }

    #[test]
    fn fine_grained_good_path_reads_both_expiry_forms_and_needs_git_for_write() {
        let case = Case::new(URL, Some("alice"), &fine_grained());
        for (file, expiry) in [
            ("github/repo-fine-grained-token.http", "2025-11-13T20:31:56+00:00"),
            ("github/repo-fine-grained-token-utc.http", "2026-09-19T08:26:39+00:00"),
        ] {
            let f = case.judge(vec![
                (Purpose::Rest, fixture(file)),
                (Purpose::PushProbe, git_says(200)),
            ]);
            assert_eq!(f.reason, Reason::Ok, "{}", f.message);
            assert_eq!(f.token.unwrap().expires_at.unwrap().to_rfc3339(), expiry);
        }
        let f = case.judge(vec![
            (Purpose::Rest, fixture("github/repo-fine-grained-token.http")),
            (Purpose::PushProbe, Err(Failure::Timeout)),
        ]);
        assert_eq!(
            f.reason,
            Reason::Timeout,
            "write is not known without git: {}",
            f.message
        );
    }

    #[test]
    fn a_classic_token_without_repo_or_public_repo_on_a_404_lacks_the_scope() {
        let mut case = Case::new(URL, Some("alice"), &token("ghp_"));
        case.cred.username = Some("alice".into());
        let mut not_found = fixture("github/not-found.http").unwrap();
        not_found
            .headers
            .push(("x-oauth-scopes".into(), "gist, read:org".into()));
        let f = case.judge(vec![(Purpose::Rest, Ok(not_found))]);
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        assert!(f.fix.iter().any(|l| l.contains("repo scope")), "{:?}", f.fix);
        assert!(!f.message.contains("does not exist"), "{}", f.message);
        // With repo, a 404 is the repository: missing or hidden.
        let mut not_found = fixture("github/not-found.http").unwrap();
        not_found.headers.push(("x-oauth-scopes".into(), "repo".into()));
        let f = case.judge(vec![(Purpose::Rest, Ok(not_found))]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
    }

    #[test]
    fn permission_denied_to_the_owner_is_the_fine_grained_grant_to_another_the_access() {
        let owner = Case::new("https://github.com/alice/widgets.git", Some("alice"), &fine_grained());
        let f = owner.judge(vec![
            (Purpose::Rest, fixture("github/repo-fine-grained-token.http")),
            (Purpose::PushProbe, fixture("github/probe-permission-denied-owner.http")),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        assert!(f.fix[0].contains("Contents"), "{:?}", f.fix);
        // A classic token on someone else's repository: the account's access.
        let read_only = fixture("github/repo-classic-token.http")
            .unwrap()
            .body
            .iter()
            .map(|b| char::from(*b))
            .collect::<String>()
            .replace(r#""push":true"#, r#""push":false"#);
        let mut rest = fixture("github/repo-classic-token.http").unwrap();
        rest.body = read_only.into_bytes();
        let classic = Case::new(URL, Some("alice"), &token("ghp_"));
        let alone = classic.judge(vec![(Purpose::Rest, Ok(rest.clone()))]);
        assert!(alone.unconfirmed, "a permissions flag waits for git: {}", alone.message);
        let f = classic.judge(vec![
            (Purpose::Rest, Ok(rest.clone())),
            (Purpose::PushProbe, fixture("github/probe-permission-denied.http")),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(!f.unconfirmed);
        // git lets it through: the flag is overruled.
        let f = classic.judge(vec![(Purpose::Rest, Ok(rest)), (Purpose::PushProbe, git_says(200))]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn sso_is_named_where_the_headers_say_so_never_does_not_exist() {
        let classic = Case::new(URL, Some("alice"), &token("ghp_"));
        let f = classic.judge(vec![(Purpose::Rest, fixture("github/sso-required.http"))]);
        assert_eq!(f.reason, Reason::SsoRequired, "{}", f.message);
        assert!(
            f.fix[0].contains("/orgs/acme/sso?authorization_request="),
            "{:?}",
            f.fix
        );
        // The docs allow a 404 for an SSO-protected resource, with the header.
        let mut hidden = fixture("github/not-found.http").unwrap();
        hidden.headers.push(("x-oauth-scopes".into(), "repo".into()));
        let mut with_sso = hidden.clone();
        with_sso.headers.push((
            "x-github-sso".into(),
            fixture("github/sso-required.http")
                .unwrap()
                .header("x-github-sso")
                .unwrap()
                .into(),
        ));
        let f = classic.judge(vec![(Purpose::Rest, Ok(with_sso))]);
        assert_eq!(f.reason, Reason::SsoRequired, "{}", f.message);
        // partial-results on /user: the token lacks authorization there.
        let f = classic.judge(vec![
            (Purpose::Rest, Ok(hidden)),
            (Purpose::User, fixture("github/user-sso-partial-results.http")),
        ]);
        assert_eq!(f.reason, Reason::SsoRequired, "{}", f.message);
        assert!(f.message.contains("21955855"), "{}", f.message);
        assert!(!f.message.contains("does not exist"), "{}", f.message);
    }

    #[test]
    fn org_policies_are_certain_refusals_and_secondary_limits_are_rate_limits() {
        let classic = Case::new(URL, Some("alice"), &token("ghp_"));
        let f = classic.judge(vec![(
            Purpose::Rest,
            fixture("github/classic-pat-forbidden-by-org.http"),
        )]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.fix[0].contains("fine-grained"), "{:?}", f.fix);
        let f = classic.judge(vec![
            (Purpose::Rest, fixture("github/repo-classic-token.http")),
            (Purpose::PushProbe, fixture("github/probe-classic-forbidden.http")),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.fix[0].contains("fine-grained"), "{:?}", f.fix);
        let fg = Case::new(URL, Some("alice"), &fine_grained());
        let f = fg.judge(vec![(Purpose::Rest, fixture("github/fine-grained-lifetime-cap.http"))]);
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.fix[0].contains("lifetime"), "{:?}", f.fix);
        for file in ["github/secondary-rate-limit.http", "github/primary-rate-limit.http"] {
            let f = classic.judge(vec![(Purpose::Rest, fixture(file))]);
            assert_eq!(f.reason, Reason::RateLimited, "{file}: {}", f.message);
        }
    }

    #[test]
    fn bad_credentials_on_rest_and_on_git() {
        let classic = Case::new(URL, Some("alice"), &token("ghp_"));
        let f = classic.judge(vec![(Purpose::Rest, fixture("github/bad-credentials.http"))]);
        assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
        let fg = Case::new(URL, Some("alice"), &fine_grained());
        let f = fg.judge(vec![
            (Purpose::Rest, fixture("github/repo-fine-grained-token.http")),
            (Purpose::PushProbe, fixture("github/probe-bad-credentials.http")),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
        // An archived repository: GitHub refuses the advertisement itself.
        let f = fg.judge(vec![
            (Purpose::Rest, fixture("github/repo-fine-grained-token.http")),
            (Purpose::PushProbe, fixture("github/probe-archived.http")),
        ]);
        assert_eq!(f.reason, Reason::RepoArchived, "{}", f.message);
    }

    #[test]
    fn when_rest_cannot_be_read_git_still_decides() {
        let fg = Case::new(URL, Some("alice"), &fine_grained());
        let server_error = Ok(Response {
            status: 503,
            ..Response::default()
        });
        for rest in [
            server_error,
            Err(Failure::Timeout),
            fixture("github/secondary-rate-limit.http"),
            fixture("github/primary-rate-limit.http"),
        ] {
            let f = fg.judge(vec![(Purpose::Rest, rest.clone()), (Purpose::PushProbe, git_says(200))]);
            assert_eq!(f.reason, Reason::Ok, "git let it through: {}", f.message);
            let f = fg.judge(vec![
                (Purpose::Rest, rest.clone()),
                (Purpose::PushProbe, fixture("github/probe-write-not-granted.http")),
            ]);
            assert_eq!(
                f.reason,
                Reason::MissingWriteScope,
                "git's refusal stands: {}",
                f.message
            );
            let f = fg.judge(vec![(Purpose::Rest, rest)]);
            assert_eq!(f.reason.kind(), Kind::Unknown, "{}", f.message);
        }
    }

    #[test]
    fn permission_denied_where_rest_says_the_account_may_push_is_the_grant() {
        // alice may push (REST, recorded), and git refuses her token: the
        // fine-grained or App grant is missing, not her access.
        for secret in [fine_grained(), token("ghu_")] {
            let case = Case::new(URL, Some("alice"), &secret);
            let f = case.judge(vec![
                (Purpose::Rest, fixture("github/repo-classic-token.http")),
                (Purpose::PushProbe, fixture("github/probe-permission-denied.http")),
            ]);
            assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
            let app = secret.starts_with("ghu_");
            assert_eq!(f.fix[0].contains("GitHub App"), app, "{:?}", f.fix);
        }
    }

    #[test]
    fn user_is_asked_for_classic_tokens_every_time_for_its_sso_header() {
        let mut case = Case::new(URL, Some("alice"), &token("ghp_"));
        case.remembered = Some(crate::state::Remembered {
            token: TokenInfo {
                login: Some("alice".into()),
                ..TokenInfo::default()
            },
            ..crate::state::Remembered::default()
        });
        assert!(plan(&case.ctx()).iter().any(|(p, _)| *p == Purpose::User));
        let mut fg = Case::new(URL, Some("alice"), &fine_grained());
        fg.remembered = case.remembered.clone();
        assert!(!plan(&fg.ctx()).iter().any(|(p, _)| *p == Purpose::User));
    }
}
