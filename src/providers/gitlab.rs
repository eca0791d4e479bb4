//! gitlab.com and self-managed GitLab (PROVIDERS.md, GitLab).
//!
//! Two round trips. First, sent together:
//! - `GET /personal_access_tokens/self` gives the reason: expired, revoked or
//!   unknown (the 401 bodies differ), the scopes and the expiry date;
//! - `GET /projects/<path>` gives the role and the archived flag when the
//!   token's scopes let it read them (`api`, `read_api`); where they do not
//!   (or for deploy and CI job tokens), git's upload-pack advertisement says
//!   whether the project exists.
//!
//! Then, only for a project seen to exist, the push probe: the only witness
//! for passwords, deploy tokens, CI job tokens and `write_repository`-only
//! tokens. Its 403 texts are GitLab's own (`lib/gitlab/git_access.rb`,
//! `ERROR_MESSAGES`). It is never asked first because GitLab creates a
//! missing project for it (push-to-create, `follow_up`): a check changes
//! nothing on the host.
//!
//! Git itself prints one generic sentence for every credential failure
//! (`HTTP Basic: Access denied …`): only the API can tell the causes apart.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};

use super::{Answers, Context, Purpose, common_status, host_words, probe_not_found, probe_other, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::tokens::TokenKind;
use crate::verdict::{Finding, Reason, TokenInfo};

/// Pushing needs the Developer role (access level 30) or higher.
const DEVELOPER: i64 = 30;
/// Scopes that grant `push_code`; `read_repository` and `read_api` are read-only.
const WRITE_SCOPES: &[&str] = &["write_repository", "api"];
/// Scopes that may read `GET /projects/:id`; the others get 403 `insufficient_scope`.
const PROJECT_SCOPES: &[&str] = &["api", "read_api"];
/// GitLab takes a CI job token only with this username (GitLab docs, "CI/CD job token").
const CI_JOB_USERNAME: &str = "gitlab-ci-token";
/// Usernames with their own meaning in GitLab's git authentication
/// (`Gitlab::Auth.find_for_git_client`): never a deploy token's.
const RESERVED_USERNAMES: &[&str] = &[CI_JOB_USERNAME, "oauth2"];

// The push probe's 403 texts (`Gitlab::GitAccess::ERROR_MESSAGES`).
/// `auth_upload`: the credential's scopes do not include pushing.
const PROBE_NO_WRITE_SCOPE: &str = "You are not allowed to upload code.";
/// `push_code`: the account's role may not push.
const PROBE_NO_ROLE: &str = "You are not allowed to push code to this project.";
/// `archived`: "You can't push code to an archived project."
const PROBE_ARCHIVED: &str = "archived project";

fn new_token_url(ctx: &Context) -> String {
    format!(
        "{}/-/user_settings/personal_access_tokens?name=prepush-auth&scopes=write_repository,read_repository",
        ctx.web()
    )
}

fn deploy_tokens_url(ctx: &Context) -> String {
    format!("{}/{}/-/settings/repository", ctx.web(), ctx.url.repository)
}

/// The "make a new token" step for the kind of credential it is.
pub fn new_token_line(ctx: &Context) -> String {
    match ctx.credential.kind {
        TokenKind::GitlabDeployToken => format!(
            "create a deploy token with write_repository (Settings > Repository > Deploy tokens): {}",
            deploy_tokens_url(ctx)
        ),
        TokenKind::GitlabCiJobToken => {
            "a job token lives only while its job runs: take $CI_JOB_TOKEN from the running job".to_owned()
        }
        _ => format!(
            "create a personal access token with write_repository: {}",
            new_token_url(ctx)
        ),
    }
}

/// A rejected credential: forget the old one, make a new token (SPEC §4).
fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_token_line(ctx)))
}

fn username_words(user: Option<&str>) -> String {
    user.map_or_else(|| "no username".to_owned(), |u| format!("the username {u}"))
}

/// GitLab's rule for a deploy token's username (`DeployToken` validation):
/// letters, digits, `_`, `-`, `+` and `.`; an email address never is one.
fn could_be_deploy_username(user: Option<&str>) -> bool {
    user.is_some_and(|u| {
        !u.is_empty()
            && u.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'+' | b'.'))
            && !RESERVED_USERNAMES.contains(&u.to_ascii_lowercase().as_str())
    })
}

pub fn offline(ctx: &Context) -> Option<Finding> {
    let user = ctx.credential.username.as_deref();
    match ctx.credential.kind {
        TokenKind::GitlabOauthAppSecret => Some(renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "{} is an OAuth application secret (gloas-): it identifies an application to GitLab's OAuth server and is never accepted by git",
                    ctx.subject()
                ),
            ),
        )),
        TokenKind::GitlabCiJobToken if user != Some(CI_JOB_USERNAME) => Some(
            Finding::new(
                Reason::WrongUsername,
                format!(
                    "git sends {} with {}; GitLab accepts a CI job token only with the username {CI_JOB_USERNAME}",
                    ctx.subject(),
                    username_words(user)
                ),
            )
            .fix(format!(
                "use the username {CI_JOB_USERNAME}: https://{CI_JOB_USERNAME}:${{CI_JOB_TOKEN}}@{}/{}.git",
                ctx.url.host, ctx.url.repository
            ))
            .fix("(in a job, the remote URL carries it: nothing stored to forget)".to_owned()),
        ),
        TokenKind::GitlabDeployToken if !could_be_deploy_username(user) => Some(
            Finding::new(
                Reason::WrongUsername,
                format!(
                    "git sends {} with {}; a deploy token works only with its own username (gitlab+deploy-token-N unless one was chosen)",
                    ctx.subject(),
                    username_words(user)
                ),
            )
            .fix(format!(
                "find the token's username (shown when it was made; Settings > Repository > Deploy tokens): {}",
                deploy_tokens_url(ctx)
            ))
            .fixes(ctx.store_under("the one stored now", "gitlab+deploy-token-N (the token's username)")),
        ),
        _ => None,
    }
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    // Never the push probe here: it could create the project (see
    // `follow_up`). Git's upload-pack advertisement says whether the project
    // exists where the API cannot.
    let exists = (Purpose::ReadProbe, ctx.read_probe("oauth2"));
    let Some(api) = ctx.api else {
        return vec![exists];
    };
    // The token API knows personal, project and group access tokens (and
    // answers 401 for anything else); deploy and job tokens have only git.
    if matches!(
        ctx.credential.kind,
        TokenKind::GitlabDeployToken | TokenKind::GitlabCiJobToken
    ) {
        return vec![exists];
    }
    // Bearer, not PRIVATE-TOKEN: GitLab takes access tokens either way, and
    // Bearer also carries the OAuth tokens that credential helpers mint.
    let mut plan = vec![(
        Purpose::Rest,
        Request::get(format!("{api}/personal_access_tokens/self"), Auth::Bearer),
    )];
    // A token remembered without `api`/`read_api` would only get 403 there.
    let project_readable = ctx
        .remembered
        .and_then(|r| r.token.scopes.as_ref())
        .is_none_or(|scopes| scopes.iter().any(|s| PROJECT_SCOPES.contains(&s.as_str())));
    plan.push(if project_readable {
        (
            Purpose::Repository,
            Request::get(
                format!("{api}/projects/{}", encode_path(&ctx.url.repository)),
                Auth::Bearer,
            ),
        )
    } else {
        exists
    });
    plan
}

/// The push probe, once the project is seen to exist: the projects API
/// found it (200), or git's upload-pack advertisement did (200, or 403:
/// there and refused). A project neither shows (404) is not probed: for a
/// missing one, GitLab would create it (`ensure_project_on_push!`,
/// `lib/gitlab/git_access_project.rb`, reached from `info_refs` with
/// `changes == ANY`). Where the API cannot tell (403 `insufficient_scope`,
/// a 401 for a password sent as Bearer, no answer), git's upload-pack
/// advertisement is asked first.
pub fn follow_up(ctx: &Context, answers: &Answers) -> Option<(Purpose, Request)> {
    if answers.get(Purpose::PushProbe).is_some() {
        return None;
    }
    let push = || Some((Purpose::PushProbe, ctx.push_probe("oauth2")));
    if let Some(read) = answers.get(Purpose::ReadProbe) {
        return match read {
            Ok(r) if matches!(r.status, 200 | 403) => push(),
            // 404: missing or not visible; 401: git refuses the credential
            // (it would at the push probe too, before any project lookup).
            _ => None,
        };
    }
    match answers.get(Purpose::Repository) {
        Some(Ok(r)) if r.status == 200 => push(),
        Some(Ok(r)) if r.status == 404 => None,
        _ => Some((Purpose::ReadProbe, ctx.read_probe("oauth2"))),
    }
}

/// The project is not there for this credential: GitLab's API or git's
/// upload-pack advertisement answered 404, and the push probe was not asked
/// (it could create the project).
fn project_missing(answers: &Answers) -> bool {
    answers.get(Purpose::PushProbe).is_none()
        && [Purpose::ReadProbe, Purpose::Repository]
            .into_iter()
            .any(|p| answers.ok(p).is_some_and(|r| r.status == 404))
}

fn no_such_project(ctx: &Context) -> Finding {
    let repo = &ctx.url.repository;
    let namespace = repo.rsplit_once('/').map_or(repo.as_str(), |(ns, _)| ns);
    let mut f = Finding::new(
        Reason::NoRepoAccess,
        format!(
            "no such project {repo} on {} for {}: it does not exist, or this account cannot see it; a push would create it in {namespace} if your account may create projects there (GitLab creates a missing project on push), so the push probe was not sent",
            ctx.url.host,
            ctx.subject()
        ),
    )
    .fix(format!("check the remote URL ({})", ctx.url.display));
    // Not git's answer: a prediction of it, which never blocks alone.
    f.unconfirmed = true;
    f
}

/// The order of evidence (`providers`, top) for GitLab: the push probe
/// (git's own check, recorded texts in `lib/gitlab/git_access.rb`) decides;
/// `/personal_access_tokens/self` speaks for the token (its 401 bodies, its
/// legacy scopes); the project's roles only explain. Fine-grained tokens
/// (`"granular": true`, scopes `["granular"]`, or a 403
/// `insufficient_granular_scope` where they may not read themselves) say
/// nothing about pushing there: the probe alone does.
pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let git_lets_push = answers.ok(Purpose::PushProbe).is_some_and(|p| p.status == 200);
    // Where the API cannot be read, git's own answer (if it has a verdict:
    // let through, refused) still decides.
    let git_decides = git_answer(answers).is_some_and(|p| matches!(p.status, 200 | 401 | 403));
    let missing = project_missing(answers);
    let token = match answers.get(Purpose::Rest) {
        // Deploy and CI job tokens: git alone.
        None if missing => return no_such_project(ctx),
        None => return judge_probe(ctx, answers, &Api::default()),
        Some(Err(_)) if git_decides => return judge_probe(ctx, answers, &Api::default()),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(resp)) => resp,
    };
    if token.status == 401 {
        let refused = rejected(ctx, token, answers);
        if git_lets_push && refused.reason.rejects_credential() {
            return overruled(judge_probe(ctx, answers, &Api::default()), &refused);
        }
        return refused;
    }
    if let Some(f) = common_status(host, token) {
        return if git_decides {
            judge_probe(ctx, answers, &Api::default())
        } else {
            f
        };
    }
    // Anything but 200 (an OAuth token on this route, a fine-grained token
    // that may not read itself, an old server without it): the probe tells
    // what git will meet.
    let Some(info) = (token.status == 200).then(|| token_info(token)).flatten() else {
        return judge_probe(ctx, answers, &Api::default());
    };
    if let Some(f) = inactive(ctx, token, &info) {
        if git_lets_push {
            return overruled(judge_probe(ctx, answers, &Api::default()), &f);
        }
        return f;
    }
    if missing {
        return no_such_project(ctx).with_token(info);
    }
    let granular = token.json().is_some_and(|j| j["granular"].as_bool() == Some(true))
        || info
            .scopes
            .as_deref()
            .is_some_and(|s| s.iter().any(|x| x == "granular"));
    let scope_block = info
        .scopes
        .as_ref()
        .filter(|_| !granular)
        .filter(|s| !s.iter().any(|x| WRITE_SCOPES.contains(&x.as_str())))
        .map(|scopes| missing_write_scope(ctx, scopes).with_token(info.clone()));
    let project = answers
        .ok(Purpose::Repository)
        .filter(|r| r.status == 200)
        .and_then(Response::json);
    let api = Api {
        info: Some(info),
        scope_block,
        archived: project.as_ref().is_some_and(|p| p["archived"].as_bool() == Some(true)),
        // 403 insufficient_scope (a write_repository-only token) or 404:
        // no role known; the probe decides either way.
        role: project.as_ref().and_then(access_level),
    };
    judge_probe(ctx, answers, &api)
}

/// Git's own answer: the push probe's, else a refusal of the credential at
/// the upload-pack advertisement (the push probe is then not asked).
fn git_answer(answers: &Answers) -> Option<&Response> {
    answers
        .ok(Purpose::PushProbe)
        .or_else(|| answers.ok(Purpose::ReadProbe).filter(|r| r.status == 401))
}

fn git_refusal(answers: &Answers) -> Option<&crate::http::Outcome> {
    answers
        .get(Purpose::ReadProbe)
        .filter(|o| o.as_ref().is_ok_and(|r| r.status == 401))
}

/// What the API said, for the probe's verdict to use.
#[derive(Default)]
struct Api {
    info: Option<TokenInfo>,
    /// Legacy scopes without `write_repository`/`api`: the host's own
    /// statement about the token (level 2). Stands without the probe.
    scope_block: Option<Finding>,
    /// The project is archived (the host's statement about the project).
    archived: bool,
    /// The higher of the direct and group roles: an inference (level 3).
    /// Access through sharing the project with a group shows in neither
    /// (`lib/api/entities/project_with_access.rb`), so a low role here only
    /// explains a refusal git makes.
    role: Option<i64>,
}

fn missing_write_scope(ctx: &Context, scopes: &[String]) -> Finding {
    let have = if scopes.is_empty() {
        "no scopes".to_owned()
    } else {
        format!("the scopes {}", scopes.join(", "))
    };
    Finding::new(
        Reason::MissingWriteScope,
        format!("{} has {have}; pushing needs write_repository (or api)", ctx.subject()),
    )
    .fixes(ctx.replace(
        "the old one",
        &format!(
            "GitLab cannot add scopes to a token: create one with write_repository: {}",
            new_token_url(ctx)
        ),
    ))
}

/// git's push check lets the credential through although the API said
/// otherwise: the higher evidence wins, the lower one is noted.
fn overruled(mut ok: Finding, api_said: &Finding) -> Finding {
    if ok.reason == Reason::Ok {
        let _ = write!(
            ok.message,
            "; the API suggested otherwise ({}), but git's own push check lets it through",
            api_said.message
        );
    }
    ok
}

/// The push probe: git's own view of the credential and the project.
fn judge_probe(ctx: &Context, answers: &Answers, api: &Api) -> Finding {
    let host = ctx.url.host.as_str();
    let with_info = |f: Finding| match &api.info {
        Some(i) => f.with_token(i.clone()),
        None => f,
    };
    let probe = match answers.get(Purpose::PushProbe).or_else(|| git_refusal(answers)) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => {
            // The token's own scopes stand without git; a role never does.
            if let Some(block) = &api.scope_block {
                return block.clone();
            }
            let mut f = transport_finding(host, failure);
            if let Some(level) = api.role.filter(|l| *l < DEVELOPER) {
                let _ = write!(
                    f.message,
                    "; the project shows the role {} (a group share would not show there)",
                    role_name(level)
                );
            }
            return with_info(f);
        }
        Some(Ok(p)) => p,
    };
    let text = probe.text();
    let words = host_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    let repo = &ctx.url.repository;
    let kind = ctx.credential.kind;
    let f = match probe.status {
        200 => {
            let role = api
                .role
                .filter(|l| *l >= DEVELOPER)
                .map(|l| format!(" as {}", role_name(l)))
                .unwrap_or_default();
            let ok = Finding::new(
                Reason::Ok,
                format!("{}{role} may push to {repo}", ctx.subject()),
            );
            match &api.scope_block {
                Some(block) => overruled(ok, block),
                None => ok,
            }
        }
        401 => return with_info(refused_by_git(ctx, api.info.is_some())),
        403 if text.contains(PROBE_ARCHIVED) => archived(ctx),
        403 if text.contains(PROBE_NO_WRITE_SCOPE) && kind == TokenKind::GitlabCiJobToken => Finding::new(
            Reason::NoRepoAccess,
            format!("GitLab refuses a push with this CI job token to {repo}{words}"),
        )
        .fix(format!(
            "a job token may push only where the project allows Git pushes with job tokens (Settings > CI/CD > Job token permissions); else use a project access token with write_repository: {}/{repo}/-/settings/access_tokens",
            ctx.web()
        )),
        403 if text.contains(PROBE_NO_WRITE_SCOPE) => {
            if let Some(block) = &api.scope_block {
                return block.clone();
            }
            let fix = if kind == TokenKind::GitlabDeployToken {
                format!(
                    "create a deploy token with write_repository: {}",
                    deploy_tokens_url(ctx)
                )
            } else {
                format!("create a token with write_repository: {}", new_token_url(ctx))
            };
            Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} may read {repo} but not push: its scopes or permissions do not include pushing code{words}",
                    ctx.subject()
                ),
            )
            .fixes(ctx.replace("the old one", &fix))
        }
        403 if api.archived => archived(ctx),
        403 => {
            let why = if text.contains(PROBE_NO_ROLE) {
                match api.role {
                    Some(level) if level < DEVELOPER => format!(
                        ": pushing needs the Developer role or higher, and the account's role there is {}",
                        role_name(level)
                    ),
                    _ => ": pushing needs the Developer role or higher".to_owned(),
                }
            } else {
                String::new()
            };
            Finding::new(
                Reason::NoRepoAccess,
                format!("GitLab refuses a push to {repo}{why}{words}"),
            )
            .fix(format!(
                "ask a Maintainer of {repo} for the Developer role, or push to a fork"
            ))
        }
        404 => probe_not_found(ctx, repo, &ctx.subject(), &words),
        _ => probe_other(host, probe, &words),
    };
    with_info(f)
}

/// git refused the credential (the probe's 401).
fn refused_by_git(ctx: &Context, api_knows_it: bool) -> Finding {
    let subject = ctx.subject();
    let user = username_words(ctx.credential.username.as_deref());
    let f = match ctx.credential.kind {
        TokenKind::GitlabDeployToken => Finding::new(
            Reason::TokenInvalid,
            format!("GitLab rejects {subject} with {user}: it is revoked or expired, or that is not its username"),
        ),
        TokenKind::GitlabCiJobToken => Finding::new(
            Reason::TokenInvalid,
            format!("GitLab rejects {subject}: a job token stops working when its job ends"),
        ),
        TokenKind::Unrecognised if !api_knows_it => password_refused(ctx),
        _ => Finding::new(
            Reason::TokenInvalid,
            format!("GitLab's API accepts {subject}, but git over HTTPS refuses it with {user}"),
        ),
    };
    renew(ctx, f)
}

fn password_refused(ctx: &Context) -> Finding {
    Finding::new(
        Reason::PasswordNotToken,
        format!(
            "GitLab rejects {}: it is not a GitLab access token, and GitLab refuses the account password for git when the account uses two-factor authentication or single sign-on (or the password is wrong)",
            ctx.subject().replace("password or token", "password")
        ),
    )
}

/// `personal_access_tokens/self` answered 401: its body names the cause.
fn rejected(ctx: &Context, token: &Response, answers: &Answers) -> Finding {
    let why = format!(
        "{} {}",
        host_words(token).unwrap_or_default(),
        token.header("www-authenticate").unwrap_or("")
    );
    if why.contains("Token is expired") {
        let remembered = ctx.remembered.and_then(|r| r.token.expires_at);
        let when = remembered.map_or_else(
            || "has expired (GitLab does not say since when)".to_owned(),
            |e| format!("expired on {}", e.format("%Y-%m-%d")),
        );
        let info = TokenInfo {
            expires_at: remembered,
            ..ctx.remembered.map(|r| r.token.clone()).unwrap_or_default()
        };
        return renew(
            ctx,
            Finding::new(Reason::TokenExpired, format!("{} {when}", ctx.subject())),
        )
        .with_token(info);
    }
    if why.contains("Token was revoked") {
        return renew(
            ctx,
            Finding::new(
                Reason::TokenRevoked,
                format!(
                    "{} was revoked on GitLab (by its owner, an administrator, or token rotation)",
                    ctx.subject()
                ),
            ),
        );
    }
    // "401 Unauthorized": a token GitLab does not know, or no token at all.
    // The API never takes a password, git may: the probe decides.
    if ctx.credential.kind == TokenKind::Unrecognised {
        return match answers.get(Purpose::PushProbe) {
            Some(Ok(p)) if p.status == 401 => renew(ctx, password_refused(ctx)),
            Some(Ok(_)) => judge_probe(ctx, answers, &Api::default()),
            Some(Err(failure)) => transport_finding(&ctx.url.host, failure),
            None => renew(ctx, password_refused(ctx)),
        };
    }
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!(
                "GitLab does not know {} (401 Unauthorized): it was deleted, mistyped, or belongs to another GitLab instance",
                ctx.subject()
            ),
        ),
    )
}

/// A 200 for a token that no longer works (defensive: GitLab answers 401).
fn inactive(ctx: &Context, token: &Response, info: &TokenInfo) -> Option<Finding> {
    let json = token.json()?;
    if json["revoked"].as_bool() == Some(true) {
        return Some(renew(
            ctx,
            Finding::new(Reason::TokenRevoked, format!("{} was revoked on GitLab", ctx.subject())),
        ));
    }
    if json["active"].as_bool() == Some(false) {
        let date = info
            .expires_at
            .map(|e| format!(" on {}", e.format("%Y-%m-%d")))
            .unwrap_or_default();
        return Some(
            renew(
                ctx,
                Finding::new(Reason::TokenExpired, format!("{} expired{date}", ctx.subject())),
            )
            .with_token(info.clone()),
        );
    }
    None
}

fn archived(ctx: &Context) -> Finding {
    Finding::new(
        Reason::RepoArchived,
        format!(
            "{} is archived: it is read-only and refuses every push",
            ctx.url.repository
        ),
    )
    .fix(format!(
        "an Owner can unarchive it (Settings > General > Advanced): {}/{}/edit",
        ctx.web(),
        ctx.url.repository
    ))
}

fn token_info(token: &Response) -> Option<TokenInfo> {
    let json = token.json()?;
    let scopes = json["scopes"].as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_owned))
            .collect::<Vec<_>>()
    });
    Some(TokenInfo {
        login: None,
        scopes,
        expires_at: json["expires_at"].as_str().and_then(parse_expiry),
    })
}

/// `expires_at` is a date; GitLab ends the token as that day begins, UTC
/// (GitLab docs: tokens "expire on that date at midnight UTC").
fn parse_expiry(text: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(text.get(..10)?, "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0).map(|d| d.and_utc())
}

/// The higher of the project and group roles; `None` when GitLab shows
/// neither (an administrator, or a public project the account is not in).
fn access_level(project: &serde_json::Value) -> Option<i64> {
    let p = &project["permissions"];
    [
        p["project_access"]["access_level"].as_i64(),
        p["group_access"]["access_level"].as_i64(),
    ]
    .into_iter()
    .flatten()
    .max()
}

fn role_name(level: i64) -> String {
    match level {
        0 => "No access".to_owned(),
        5 => "Minimal Access".to_owned(),
        10 => "Guest".to_owned(),
        15 => "Planner".to_owned(),
        20 => "Reporter".to_owned(),
        30 => "Developer".to_owned(),
        40 => "Maintainer".to_owned(),
        50 => "Owner".to_owned(),
        n => format!("access level {n}"),
    }
}

/// `group/sub/project` as one path segment: `group%2Fsub%2Fproject`.
fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len() * 3);
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Failure;
    use crate::providers::testkit::{Case, destinations, planned, resp};
    use crate::state::Remembered;

    const URL: &str = "https://gitlab.com/acme/widgets.git";
    const PAT: &str = "glpat-abcdefghijKLMNOPQRST";

    fn self_ok(scopes: &str, expires_at: &str) -> String {
        format!(
            r#"{{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":[{scopes}],"user_id":24,"last_used_at":"2026-11-20T08:00:00.000Z","active":true,"expires_at":{expires_at}}}"#
        )
    }

    fn project(level: i64, archived: bool) -> String {
        format!(
            r#"{{"id":7,"path_with_namespace":"acme/widgets","archived":{archived},"permissions":{{"project_access":{{"access_level":{level},"notification_level":3}},"group_access":null}}}}"#
        )
    }

    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";

    fn pat() -> Case {
        Case::new(URL, Some("alice"), PAT)
    }

    #[test]
    fn a_developer_token_with_write_repository_is_ok_with_scopes_and_expiry() {
        let f = pat().judge(vec![
            (
                Purpose::Rest,
                resp(200, &[], &self_ok(r#""api","write_repository""#, r#""2027-01-05""#)),
            ),
            (Purpose::Repository, resp(200, &[], &project(30, false))),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("as Developer"), "{}", f.message);
        let t = f.token.unwrap();
        assert_eq!(t.scopes.unwrap(), vec!["api", "write_repository"]);
        assert_eq!(t.expires_at.unwrap().to_rfc3339(), "2027-01-05T00:00:00+00:00");
    }

    #[test]
    fn the_401_bodies_tell_expired_from_revoked_from_unknown() {
        let expired = resp(
            401,
            &[(
                "WWW-Authenticate",
                r#"Bearer realm="Protected by OAuth 2.0", error="invalid_token", error_description="Token is expired. You can either do re-authorization or token refresh.""#,
            )],
            r#"{"error":"invalid_token","error_description":"Token is expired. You can either do re-authorization or token refresh."}"#,
        );
        let f = pat().judge(vec![(Purpose::Rest, expired.clone())]);
        assert_eq!(f.reason, Reason::TokenExpired);
        assert!(f.message.contains("does not say since when"), "{}", f.message);
        assert!(f.fix.iter().any(|l| l.contains("git credential reject")));
        assert!(f.fix[2].contains("scopes=write_repository"), "{:?}", f.fix);

        let mut case = pat();
        case.remembered = Some(Remembered {
            token: TokenInfo {
                expires_at: parse_expiry("2026-11-01"),
                ..TokenInfo::default()
            },
            ..Remembered::default()
        });
        let f = case.judge(vec![(Purpose::Rest, expired)]);
        assert!(f.message.contains("expired on 2026-11-01"), "{}", f.message);

        let f = pat().judge(vec![(
            Purpose::Rest,
            resp(
                401,
                &[],
                r#"{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}"#,
            ),
        )]);
        assert_eq!(f.reason, Reason::TokenRevoked);

        let unknown = resp(401, &[], r#"{"message":"401 Unauthorized"}"#);
        let refused = resp(401, &[], "HTTP Basic: Access denied.\n");
        let f = pat().judge(vec![
            (Purpose::Rest, unknown.clone()),
            (Purpose::PushProbe, refused.clone()),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("does not know"), "{}", f.message);

        // No token shape: a password, which git refuses for 2FA accounts.
        let pw = Case::new(URL, Some("alice"), "correct-horse-battery");
        let f = pw.judge(vec![(Purpose::Rest, unknown.clone()), (Purpose::PushProbe, refused)]);
        assert_eq!(f.reason, Reason::PasswordNotToken);
        assert!(f.message.contains("two-factor"), "{}", f.message);
        assert!(f.fix[2].contains("personal_access_tokens"), "{:?}", f.fix);

        // A password git still accepts (no 2FA): the probe is the witness.
        let f = pw.judge(vec![
            (Purpose::Rest, unknown),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn read_only_scopes_are_missing_write_scope() {
        let f = pat().judge(vec![
            (
                Purpose::Rest,
                resp(200, &[], &self_ok(r#""read_repository","read_api""#, "null")),
            ),
            (Purpose::Repository, resp(200, &[], &project(30, false))),
            (
                Purpose::PushProbe,
                resp(403, &[], "You are not allowed to upload code."),
            ),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("read_repository, read_api"), "{}", f.message);
        assert!(f.fix[2].contains("scopes=write_repository"), "{:?}", f.fix);
    }

    #[test]
    fn role_and_archived_come_from_the_project_when_readable() {
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &self_ok(r#""api""#, "null"))),
            (Purpose::Repository, resp(200, &[], &project(20, false))),
            (Purpose::PushProbe, resp(403, &[], PROBE_NO_ROLE)),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.message.contains("Reporter"), "{}", f.message);

        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &self_ok(r#""api""#, "null"))),
            (Purpose::Repository, resp(200, &[], &project(40, true))),
            (
                Purpose::PushProbe,
                resp(403, &[], "You can't push code to an archived project."),
            ),
        ]);
        assert_eq!(f.reason, Reason::RepoArchived);
        assert!(f.fix[0].contains("/acme/widgets/edit"));

        // The group role counts when it is the higher one.
        let via_group = r#"{"archived":false,"permissions":{"project_access":{"access_level":10},"group_access":{"access_level":40}}}"#;
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &self_ok(r#""api""#, "null"))),
            (Purpose::Repository, resp(200, &[], via_group)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok);
        assert!(f.message.contains("Maintainer"), "{}", f.message);
    }

    #[test]
    fn insufficient_scope_on_the_project_is_not_a_block_the_probe_decides() {
        let insufficient = resp(
            403,
            &[],
            r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_api"}"#,
        );
        let write_only = self_ok(r#""write_repository""#, "null");
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &write_only)),
            (Purpose::Repository, insufficient.clone()),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &write_only)),
            (Purpose::Repository, insufficient.clone()),
            (Purpose::PushProbe, resp(403, &[], PROBE_NO_ROLE)),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.message.contains("Developer"), "{}", f.message);
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &write_only)),
            (Purpose::Repository, insufficient),
            (
                Purpose::PushProbe,
                resp(
                    404,
                    &[],
                    "The project you were looking for could not be found or you don't have permission to view it.",
                ),
            ),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
    }

    #[test]
    fn deploy_and_job_tokens_have_username_rules_and_use_the_probe_alone() {
        let job = "glcbt-64_abcdefghijklmnopqrstu";
        let f = Case::new(URL, Some("alice"), job).offline().unwrap();
        assert_eq!(f.reason, Reason::WrongUsername);
        assert!(f.fix[0].contains("gitlab-ci-token"), "{:?}", f.fix);
        let ok_job = Case::new(URL, Some("gitlab-ci-token"), job);
        assert!(ok_job.offline().is_none());
        let plan = ok_job.plan();
        assert_eq!(plan.len(), 1);
        // Git alone: first whether the project is there (upload-pack), the
        // push probe only then (`follow_up`).
        assert_eq!(plan[0].0, Purpose::ReadProbe);
        let f = ok_job.judge(vec![(Purpose::PushProbe, resp(403, &[], PROBE_NO_WRITE_SCOPE))]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.fix[0].contains("Job token permissions"), "{:?}", f.fix);

        let deploy = "gldt-abcdefghijKLMNOPQRST";
        for bad in [Some("alice@example.com"), Some("gitlab-ci-token"), Some("oauth2"), None] {
            let f = Case::new(URL, bad, deploy).offline();
            assert_eq!(f.map(|f| f.reason), Some(Reason::WrongUsername), "{bad:?}");
        }
        let named = Case::new(URL, Some("gitlab+deploy-token-12"), deploy);
        assert!(named.offline().is_none());
        let f = named.judge(vec![(Purpose::PushProbe, resp(403, &[], PROBE_NO_WRITE_SCOPE))]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.fix[2].contains("Deploy tokens") || f.fix[2].contains("settings/repository"));
        let f = named.judge(vec![(Purpose::PushProbe, resp(401, &[], "HTTP Basic: Access denied."))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("not its username"), "{}", f.message);
        let f = named.judge(vec![(Purpose::PushProbe, resp(200, &[], ADVERTISEMENT))]);
        assert_eq!(f.reason, Reason::Ok);
    }

    #[test]
    fn an_oauth_application_secret_is_refused_offline() {
        let f = Case::new(URL, Some("oauth2"), "gloas-0123456789abcdef0123456789abcdef")
            .offline()
            .unwrap();
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("OAuth application secret"));
    }

    #[test]
    fn host_trouble_is_unknown() {
        assert_eq!(
            pat().judge(vec![(Purpose::Rest, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
        assert_eq!(
            pat().judge(vec![(Purpose::Rest, resp(503, &[], "<html>"))]).reason,
            Reason::HostError
        );
        assert_eq!(
            pat()
                .judge(vec![(Purpose::Rest, resp(429, &[], r#"{"message":"Retry later"}"#))])
                .reason,
            Reason::RateLimited
        );
        let f = pat().judge(vec![
            (Purpose::Rest, resp(200, &[], &self_ok(r#""api""#, "null"))),
            (Purpose::PushProbe, Err(Failure::Timeout)),
        ]);
        assert_eq!(f.reason, Reason::Timeout);
    }

    #[test]
    fn the_plan_sends_the_secret_only_to_gitlab_com_and_skips_a_project_it_cannot_read() {
        let case = pat();
        let plan = case.plan();
        assert_eq!(destinations(&plan), vec!["gitlab.com"]);
        assert_eq!(
            planned(&plan, Purpose::Rest).url,
            "https://gitlab.com/api/v4/personal_access_tokens/self"
        );
        assert_eq!(
            planned(&plan, Purpose::Repository).url,
            "https://gitlab.com/api/v4/projects/acme%2Fwidgets"
        );
        // Never in the first round trip: it could create the project.
        assert!(plan.iter().all(|(p, _)| *p != Purpose::PushProbe));
        let mut known = pat();
        known.remembered = Some(Remembered {
            token: TokenInfo {
                scopes: Some(vec!["write_repository".into()]),
                ..TokenInfo::default()
            },
            ..Remembered::default()
        });
        assert!(known.plan().iter().all(|(p, _)| *p != Purpose::Repository));
        assert_eq!(
            planned(&known.plan(), Purpose::ReadProbe).url,
            "https://gitlab.com/acme/widgets.git/info/refs?service=git-upload-pack"
        );
    }

    /// Issue 16: GitLab creates a missing project for a receive-pack
    /// advertisement (`ensure_project_on_push!`, reached from `info_refs`):
    /// the push probe is asked only of a project seen to exist.
    #[test]
    fn the_push_probe_follows_only_a_project_seen_to_exist() {
        let case = pat();
        let ctx = case.ctx();
        let follow = |answers: Vec<(Purpose, crate::http::Outcome)>| follow_up(&ctx, &Answers(answers)).map(|(p, _)| p);
        let looked_up = |status| resp(status, &[], r#"{"message":"404 Project Not Found"}"#);
        let me = || (Purpose::Rest, resp(200, &[], &self_ok(r#""api""#, "null")));
        assert_eq!(
            follow(vec![me(), (Purpose::Repository, resp(200, &[], &project(30, false)))]),
            Some(Purpose::PushProbe)
        );
        assert_eq!(follow(vec![me(), (Purpose::Repository, looked_up(404))]), None);
        // The API cannot tell: git's upload-pack advertisement is asked first.
        assert_eq!(
            follow(vec![me(), (Purpose::Repository, looked_up(403))]),
            Some(Purpose::ReadProbe)
        );
        let read = |status| (Purpose::ReadProbe, resp(status, &[], ""));
        assert_eq!(follow(vec![read(200)]), Some(Purpose::PushProbe));
        assert_eq!(follow(vec![read(403)]), Some(Purpose::PushProbe));
        assert_eq!(follow(vec![read(404)]), None);
        assert_eq!(follow(vec![read(401)]), None);
        // Asked once.
        assert_eq!(
            follow(vec![read(200), (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT))]),
            None
        );

        // The verdict for a project that is not there: said, never blocked on.
        let f = case.judge(vec![me(), (Purpose::Repository, looked_up(404))]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.unconfirmed);
        assert!(
            f.message.contains("no such project acme/widgets") && f.message.contains("a push would create it in acme"),
            "{}",
            f.message
        );
        // A credential git refuses at the upload-pack advertisement is refused.
        let f = case.judge(vec![
            (
                Purpose::Rest,
                crate::providers::testkit::fixture("gitlab/unauthorized.http"),
            ),
            (
                Purpose::ReadProbe,
                crate::providers::testkit::fixture("gitlab/probe-unauthorized.http"),
            ),
        ]);
        assert!(f.reason.rejects_credential(), "{:?} {}", f.reason, f.message);
    }

    #[test]
    fn nested_group_paths_are_one_encoded_segment() {
        assert_eq!(encode_path("a/b.c/d_e-f"), "a%2Fb.c%2Fd_e-f");
    }
}

/// Issue "Never block a credential that works": GitLab's cases on recorded
/// answers (`tests/fixtures/gitlab`, each file names its source).
#[cfg(test)]
mod recorded {
    use super::*;
    use crate::http::{Failure, Outcome};
    use crate::providers::testkit::{Case, fixture};

    const URL: &str = "https://gitlab.com/acme/widgets.git";
    /// A routable token's shape (`glpat-<base64url>.<len><crc>`): no length rule.
    const ROUTABLE: &str = "glpat-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abc.01.1a2b3c4d5";

    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn git_lets_push() -> Outcome {
        Ok(Response::git_witnessed_advertisement())
    }

    fn case() -> Case {
        Case::new(URL, Some("alice"), ROUTABLE)
    }

    #[test]
    fn a_fine_grained_token_is_judged_by_git_not_by_its_granular_scope() {
        let f = case().judge(vec![
            (Purpose::Rest, fixture("gitlab/pat-self-granular.http")),
            (Purpose::Repository, fixture("gitlab/insufficient-scope.http")),
            (Purpose::PushProbe, git_lets_push()),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(!f.message.contains("write_repository"), "{}", f.message);
        // git refuses: then the permissions lack pushing, in GitLab's words.
        let f = case().judge(vec![
            (Purpose::Rest, fixture("gitlab/pat-self-granular.http")),
            (Purpose::PushProbe, fixture("gitlab/probe-upload-code.http")),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        assert!(
            f.message.contains("You are not allowed to upload code."),
            "{}",
            f.message
        );
        // Without git's answer, not known: never a block on "granular".
        let f = case().judge(vec![
            (Purpose::Rest, fixture("gitlab/pat-self-granular.http")),
            (Purpose::PushProbe, Err(Failure::Timeout)),
        ]);
        assert_eq!(f.reason, Reason::Timeout, "{}", f.message);
    }

    #[test]
    fn a_fine_grained_token_that_may_not_read_itself_is_not_refused() {
        let f = case().judge(vec![
            (
                Purpose::Rest,
                fixture("gitlab/pat-self-insufficient-granular-scope.http"),
            ),
            (Purpose::PushProbe, git_lets_push()),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn a_role_from_the_project_object_explains_a_refusal_and_never_causes_one() {
        // Guest directly, Owner through the group (documented example), or
        // nothing shown at all (access through a group share): git decides.
        for project in [
            "gitlab/project-guest-direct-owner-group.http",
            "gitlab/project-group-share.http",
        ] {
            let f = case().judge(vec![
                (Purpose::Rest, fixture("gitlab/pat-self-legacy.http")),
                (Purpose::Repository, fixture(project)),
                (Purpose::PushProbe, git_lets_push()),
            ]);
            assert_eq!(f.reason, Reason::Ok, "{project}: {}", f.message);
        }
        // A Reporter (direct) whom git lets through (a group share): ok.
        let mut reporter = fixture("gitlab/project-guest-direct-owner-group.http").unwrap();
        reporter.body = reporter
            .text()
            .replace(r#""access_level":10"#, r#""access_level":20"#)
            .replace(
                r#""group_access":{"access_level":50,"notification_level":3}"#,
                r#""group_access":null"#,
            )
            .into_bytes();
        let with = |probe: Outcome| {
            case().judge(vec![
                (Purpose::Rest, fixture("gitlab/pat-self-legacy.http")),
                (Purpose::Repository, Ok(reporter.clone())),
                (Purpose::PushProbe, probe),
            ])
        };
        let f = with(git_lets_push());
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        // git refuses for the role: the project's role explains it.
        let f = with(fixture("gitlab/probe-push-code.http"));
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.message.contains("Reporter"), "{}", f.message);
        // git cannot be asked: a role alone is no block.
        let f = with(Err(Failure::Timeout));
        assert_eq!(f.reason, Reason::Timeout, "{}", f.message);
    }

    #[test]
    fn legacy_scopes_are_the_hosts_statement_and_git_still_wins() {
        let mut read_only = fixture("gitlab/pat-self-legacy.http").unwrap();
        read_only.body = read_only
            .text()
            .replace(r#"["api"]"#, r#"["read_repository"]"#)
            .into_bytes();
        let f = case().judge(vec![
            (Purpose::Rest, Ok(read_only.clone())),
            (Purpose::PushProbe, fixture("gitlab/probe-upload-code.http")),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        assert!(f.message.contains("read_repository"), "{}", f.message);
        let f = case().judge(vec![
            (Purpose::Rest, Ok(read_only.clone())),
            (Purpose::PushProbe, Err(Failure::Timeout)),
        ]);
        assert_eq!(
            f.reason,
            Reason::MissingWriteScope,
            "level 2 stands alone: {}",
            f.message
        );
        let f = case().judge(vec![
            (Purpose::Rest, Ok(read_only)),
            (Purpose::PushProbe, git_lets_push()),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn the_probe_texts_name_scope_role_and_archive_apart() {
        let probe = |file: &str| {
            case().judge(vec![
                (Purpose::Rest, fixture("gitlab/pat-self-legacy.http")),
                (Purpose::PushProbe, fixture(file)),
            ])
        };
        assert_eq!(probe("gitlab/probe-upload-code.http").reason, Reason::MissingWriteScope);
        assert_eq!(probe("gitlab/probe-push-code.http").reason, Reason::NoRepoAccess);
        assert_eq!(probe("gitlab/probe-archived.http").reason, Reason::RepoArchived);
        assert_eq!(probe("gitlab/probe-unauthorized.http").reason, Reason::TokenInvalid);
    }

    #[test]
    fn the_401_bodies_tell_expired_revoked_and_unknown_apart() {
        for (file, reason) in [
            ("gitlab/token-expired.http", Reason::TokenExpired),
            ("gitlab/token-revoked.http", Reason::TokenRevoked),
            ("gitlab/unauthorized.http", Reason::TokenInvalid),
        ] {
            let f = case().judge(vec![
                (Purpose::Rest, fixture(file)),
                (Purpose::PushProbe, fixture("gitlab/probe-unauthorized.http")),
            ]);
            assert_eq!(f.reason, reason, "{file}: {}", f.message);
        }
        // An OAuth token on the token route: git decides.
        let f = case().judge(vec![
            (Purpose::Rest, fixture("gitlab/pat-self-oauth.http")),
            (Purpose::PushProbe, git_lets_push()),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn deploy_and_job_tokens_are_judged_by_git_alone() {
        let deploy = Case::new(URL, Some("gitlab+deploy-token-7"), "gldt-AbCdEfGhIjKlMnOpQrSt");
        assert!(deploy.offline().is_none());
        assert!(deploy.plan().iter().all(|(p, _)| *p == Purpose::ReadProbe));
        let f = deploy.judge(vec![(Purpose::PushProbe, git_lets_push())]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let f = deploy.judge(vec![(Purpose::PushProbe, fixture("gitlab/probe-upload-code.http"))]);
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        let job = Case::new(URL, Some("gitlab-ci-token"), "glcbt-64_AbCdEfGhIjKlMnOpQrSt");
        assert!(job.offline().is_none());
        let f = job.judge(vec![(Purpose::PushProbe, git_lets_push())]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let f = job.judge(vec![(Purpose::PushProbe, fixture("gitlab/probe-unauthorized.http"))]);
        assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
    }

    #[test]
    fn when_the_api_cannot_be_read_git_still_decides() {
        let limited = Ok(Response {
            status: 429,
            ..Response::default()
        });
        for rest in [Err(Failure::Timeout), limited] {
            let f = case().judge(vec![
                (Purpose::Rest, rest.clone()),
                (Purpose::PushProbe, git_lets_push()),
            ]);
            assert_eq!(f.reason, Reason::Ok, "{}", f.message);
            let f = case().judge(vec![
                (Purpose::Rest, rest.clone()),
                (Purpose::PushProbe, fixture("gitlab/probe-upload-code.http")),
            ]);
            assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
            let f = case().judge(vec![(Purpose::Rest, rest), (Purpose::PushProbe, Err(Failure::Timeout))]);
            assert_eq!(f.reason.kind(), crate::verdict::Kind::Unknown, "{}", f.message);
        }
    }
}
