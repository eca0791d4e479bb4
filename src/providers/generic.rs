//! Any other smart-HTTP host (PROVIDERS.md). git's own push probe decides
//! whether git gets past the advertisement: 401 rejects the credential, 403
//! and 404 refuse the push. Its 200 proves only that the credential is
//! accepted: Gitea/Forgejo with proc-receive and Hugging Face serve the
//! advertisement to accounts that may not write, so a 200 never claims
//! write access the evidence does not show.
//!
//! Unknown hosts are often self-hosted Gitea, Forgejo or GitLab that nobody
//! named in the config. A GitLab creates a missing project for the push
//! probe (push-to-create: `ensure_project_on_push!`, see
//! [`super::follow_up`]), so the probe is never asked first: git's
//! upload-pack advertisement (which creates nothing) and Gitea's
//! `GET /api/v1/repos/{owner}/{name}` with git's own Basic pair go out at
//! once, to the remote's own host only, and the push probe follows only
//! when the repository answered there. Where that answer is a Gitea repository, its
//! `permissions.push` tells a reader from a writer; where the probe's words
//! are Gitea's or GitLab's, the verdict says so and names the config line
//! that turns on the host's own API.

use super::{Answers, Context, Purpose, gitea, host_words, probe_other, transport_finding};
use crate::http::{Request, Response};
use crate::verdict::{Finding, Reason};

// GitLab's git texts (gitlabhq lib/gitlab/git_access.rb, git_http_spec.rb).
const GITLAB_ACCESS_DENIED: &str = "HTTP Basic: Access denied";
/// `auth_upload`: the credential's abilities (a token's scopes) lack `push_code`.
const GITLAB_TOKEN_SCOPE: &str = "You are not allowed to upload code.";
/// `push_code`: the user's role.
const GITLAB_ROLE: &str = "You are not allowed to push code to this project.";
const GITLAB_ARCHIVED: &str = "You can't push code to an archived project.";

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let mut plan = vec![(Purpose::ReadProbe, ctx.read_probe("git"))];
    if ctx.url.repository.contains('/') {
        let api = format!("{}/api/v1", ctx.web());
        plan.push((Purpose::Repository, gitea::repo_request(ctx, &api)));
    }
    plan
}

/// The push probe, once git's upload-pack advertisement showed the
/// repository there (200, or 403: there, and refused to this account).
pub fn follow_up(ctx: &Context, answers: &Answers) -> Option<(Purpose, Request)> {
    if answers.get(Purpose::PushProbe).is_some() {
        return None;
    }
    answers
        .ok(Purpose::ReadProbe)
        .is_some_and(|r| matches!(r.status, 200 | 403))
        .then(|| (Purpose::PushProbe, ctx.push_probe("git")))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Recognised {
    Gitea,
    Gitlab,
}

impl Recognised {
    fn provider(self) -> &'static str {
        match self {
            Self::Gitea => "gitea",
            Self::Gitlab => "gitlab",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Gitea => "a Gitea or Forgejo server",
            Self::Gitlab => "a GitLab server",
        }
    }
}

/// Who the host says it is, in the answers' own words.
fn recognise(probe: &Response, rest: Option<&Response>) -> Option<Recognised> {
    if rest.is_some_and(|r| gitea::repo_record(r).is_some() || gitea::is_gitea_error(r))
        || gitea::probe_sounds_like_gitea(probe)
    {
        return Some(Recognised::Gitea);
    }
    let text = probe.text();
    [GITLAB_ACCESS_DENIED, GITLAB_TOKEN_SCOPE, GITLAB_ROLE, GITLAB_ARCHIVED]
        .iter()
        .any(|w| text.contains(w))
        .then_some(Recognised::Gitlab)
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let probe = match answers.get(Purpose::PushProbe) {
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
        // Not asked: git's fetch advertisement decided.
        None => match answers.get(Purpose::ReadProbe) {
            None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
            Some(Err(failure)) => return transport_finding(host, failure),
            // git refuses the credential: it would at the push probe too.
            Some(Ok(r)) if r.status == 401 => r,
            Some(Ok(r)) if r.status == 404 => return not_there(ctx, r),
            Some(Ok(r)) => {
                let words = host_words(r)
                    .map(|w| format!(" ({host} says: {w})"))
                    .unwrap_or_default();
                return probe_other(host, r, &words);
            }
        },
    };
    let rest = answers.ok(Purpose::Repository);
    let recognised = recognise(probe, rest);
    let f = if recognised == Some(Recognised::Gitea) {
        judge_gitea(ctx, probe, rest)
    } else {
        judge_probe(ctx, probe)
    };
    match recognised {
        Some(r) if f.reason != Reason::Ok => f.fix(format!(
            "{host} answers as {} does: for its own API, name it in your user config: [hosts.\"{host}\"] provider = \"{}\"",
            r.name(),
            r.provider()
        )),
        None if !matches!(f.reason.kind(), crate::verdict::Kind::Ok | crate::verdict::Kind::Unknown) => {
            f.fix(name_the_host(host))
        }
        _ => f,
    }
}

/// Gitea's git endpoint answered, and perhaps its API: its words decide.
fn judge_gitea(ctx: &Context, probe: &Response, rest: Option<&Response>) -> Finding {
    let repo = gitea::owner_and_name(ctx);
    if probe.status == 401 {
        return gitea::rejected(ctx, rest, Some(probe));
    }
    if let Some(f) = gitea::judge_probe(ctx, probe, &repo) {
        return f;
    }
    // The advertisement: git's 200 saw the token's write:repository scope,
    // not the role (proc-receive). The API's permissions.push is the role.
    match rest.and_then(gitea::repo_record) {
        Some(r) if r.push == Some(false) => Finding::new(
            Reason::NoRepoAccess,
            format!(
                "{} accepts {} but its API says the account may not push to {repo} (permissions.push is false); git's advertisement does not show this, the server refuses when the pack arrives",
                ctx.url.host,
                ctx.subject()
            ),
        )
        .fix(format!("ask an owner of {repo} for write access, or push to a fork")),
        Some(r) if r.push == Some(true) => Finding::new(
            Reason::Ok,
            format!(
                "{} may push to {repo}: the server's API says so (permissions.push) and git's advertisement accepted the token",
                ctx.subject()
            ),
        ),
        _ => accepted(ctx),
    }
}

/// The probe alone.
fn judge_probe(ctx: &Context, probe: &Response) -> Finding {
    let host = ctx.url.host.as_str();
    let repo = &ctx.url.repository;
    let text = probe.text();
    let words = host_words(probe)
        .map(|w| format!(" ({host} says: {w})"))
        .unwrap_or_default();
    match probe.status {
        200 => accepted(ctx),
        401 => Finding::new(Reason::TokenInvalid, format!("{host} rejects {}{words}", ctx.subject()))
            .fixes(ctx.replace("the old one", &format!("get a new password or token for {host}"))),
        403 if text.contains(GITLAB_ARCHIVED) => Finding::new(
            Reason::RepoArchived,
            format!("{repo} is archived on {host}: it refuses every push{words}"),
        )
        .fix(format!("an owner can unarchive {repo} in its settings")),
        // GitLab checks the credential's abilities before the role: this is
        // the token's scope (write_repository), not the account.
        403 if text.contains(GITLAB_TOKEN_SCOPE) => Finding::new(
            Reason::MissingWriteScope,
            format!(
                "{host} accepts {} but its scopes do not allow pushing: a GitLab token needs write_repository{words}",
                ctx.subject()
            ),
        )
        .fix(format!(
            "create a token with the scope write_repository: {}/-/user_settings/personal_access_tokens",
            ctx.web()
        )),
        403 if text.contains(GITLAB_ROLE) => Finding::new(
            Reason::NoRepoAccess,
            format!(
                "{host} accepts {} but the account may not push to {repo}{words}",
                ctx.subject()
            ),
        )
        .fix(format!(
            "ask a maintainer of {repo} for the Developer role, or push to a fork"
        )),
        // Any other refusal: the host's words, not a guess at whose it is.
        403 => Finding::new(
            Reason::HostRefused,
            format!(
                "{host} accepts {} but refuses a push to {repo}{}",
                ctx.subject(),
                if words.is_empty() {
                    " (HTTP 403, without a reason)".to_owned()
                } else {
                    words.clone()
                }
            ),
        ),
        404 => Finding::new(Reason::NoRepoAccess, format!("{repo} was not found on {host}{words}"))
            .fix(format!("check the remote URL ({})", ctx.url.display)),
        _ => probe_other(host, probe, &words),
    }
}

/// git's fetch advertisement found no repository: missing, or hidden from
/// this account. Not git's push answer (not asked: it could create the
/// repository), so a prediction that never blocks alone.
fn not_there(ctx: &Context, read: &Response) -> Finding {
    let host = ctx.url.host.as_str();
    let repo = &ctx.url.repository;
    let words = host_words(read)
        .map(|w| format!(" ({host} says: {w})"))
        .unwrap_or_default();
    let mut f = Finding::new(
        Reason::NoRepoAccess,
        format!(
            "no such repository {repo} on {host} for {}: it does not exist, or this account cannot see it; some servers (GitLab, Gitea and Forgejo with push-to-create) create it on push, so the push probe was not sent{words}",
            ctx.subject()
        ),
    )
    .fix(format!("check the remote URL ({})", ctx.url.display));
    f.unconfirmed = true;
    f
}

/// git gets past the advertisement: the credential is accepted. Whether
/// the account may write is not shown by it on every server.
fn accepted(ctx: &Context) -> Finding {
    Finding::new(
        Reason::Ok,
        format!(
            "{} accepts {} for git (its push advertisement answered 200); whether the account may write to {} is not known: some servers (Gitea, Forgejo, Hugging Face) check that only when the pack arrives",
            ctx.url.host,
            ctx.subject(),
            ctx.url.repository
        ),
    )
}

/// The one line of config that turns the push probe into the host's own API.
fn name_the_host(host: &str) -> String {
    format!(
        "for the precise reason, name the server in your user config: [hosts.\"{host}\"] provider = \"gitlab\" (or gitea, bitbucket-server, github, azure-devops)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Failure, Outcome};
    use crate::providers::testkit::{Case, destinations, fixture, planned, resp};

    const URL: &str = "https://git.example.com/acme/widgets.git";

    fn case(secret: &str) -> Case {
        Case::new(URL, Some("alice"), secret)
    }

    fn probe_only(status: u16, body: &str) -> Finding {
        case("hunter2-hunter2").judge(vec![(Purpose::PushProbe, resp(status, &[], body))])
    }

    fn both(probe: Outcome, rest: Outcome) -> Finding {
        case("0123456789abcdef0123456789abcdef01234567")
            .judge(vec![(Purpose::PushProbe, probe), (Purpose::Repository, rest)])
    }

    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn gitea_writer() -> Outcome {
        let mut r = fixture("gitea/api-repo-reader.http").unwrap();
        r.body = String::from_utf8(r.body)
            .unwrap()
            .replace(r#""push":false"#, r#""push":true"#)
            .into_bytes();
        Ok(r)
    }

    fn not_found() -> Outcome {
        resp(404, &[("Content-Type", "text/html")], "<html>404</html>")
    }

    #[test]
    fn only_the_remote_itself_is_asked() {
        let c = case("hunter2-hunter2");
        assert_eq!(c.provider, crate::providers::Provider::Generic);
        let plan = c.plan();
        assert_eq!(destinations(&plan), vec!["git.example.com"]);
        assert_eq!(
            planned(&plan, Purpose::Repository).url,
            "https://git.example.com/api/v1/repos/acme/widgets"
        );
        // Never the push probe first: an unnamed GitLab would create a
        // missing project for it.
        assert_eq!(
            planned(&plan, Purpose::ReadProbe).url,
            "https://git.example.com/acme/widgets.git/info/refs?service=git-upload-pack"
        );
        assert!(plan.iter().all(|(p, _)| *p != Purpose::PushProbe));
    }

    /// Issue 16: the push probe follows only a repository git's fetch
    /// advertisement showed; one it did not is said, not blocked on.
    #[test]
    fn the_push_probe_follows_only_a_repository_git_showed() {
        let c = case("hunter2-hunter2");
        let ctx = c.ctx();
        let follow =
            |status| follow_up(&ctx, &Answers(vec![(Purpose::ReadProbe, resp(status, &[], ""))])).map(|(p, _)| p);
        assert_eq!(follow(200), Some(Purpose::PushProbe));
        assert_eq!(follow(403), Some(Purpose::PushProbe));
        assert_eq!(follow(404), None);
        assert_eq!(follow(401), None);
        let f = c.judge(vec![
            (Purpose::ReadProbe, resp(404, &[], "Repository not found")),
            (Purpose::Repository, not_found()),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.unconfirmed);
        assert!(f.message.contains("create it on push"), "{}", f.message);
        let f = c.judge(vec![(
            Purpose::ReadProbe,
            fixture("generic/gitlab-probe-401-access-denied.http"),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid, "{}", f.message);
    }

    /// Issue 10, case 2: a 200 is "accepted", never "may push".
    #[test]
    fn a_200_says_the_credential_is_accepted_and_write_access_is_not_known() {
        let f = both(fixture("gitea/probe-advertisement-reader.http"), not_found());
        assert_eq!(f.reason, Reason::Ok);
        assert!(f.message.contains("accepts"), "{}", f.message);
        assert!(f.message.contains("is not known"), "{}", f.message);
        assert!(!f.message.contains("may push"), "{}", f.message);
    }

    /// Issue 10, case 2: a Gitea that nobody named, recognised by its API.
    #[test]
    fn bug_a_read_only_collaborator_on_an_unnamed_gitea_was_ok() {
        let f = both(
            fixture("gitea/probe-advertisement-reader.http"),
            fixture("gitea/api-repo-reader.http"),
        );
        assert_eq!(f.reason, Reason::NoRepoAccess, "{}", f.message);
        assert!(f.message.contains("permissions.push is false"), "{}", f.message);
        assert!(
            f.fix
                .iter()
                .any(|l| l.contains(r#"[hosts."git.example.com"] provider = "gitea""#)),
            "{:?}",
            f.fix
        );
        let f = both(fixture("gitea/probe-advertisement-reader.http"), gitea_writer());
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("permissions.push"), "{}", f.message);
        let f = both(fixture("gitea/probe-403-forbidden.http"), gitea_writer());
        assert_eq!(f.reason, Reason::MissingWriteScope, "{}", f.message);
        let f = both(fixture("gitea/probe-403-mirror.http"), gitea_writer());
        assert_eq!(f.reason, Reason::HostRefused, "{}", f.message);
    }

    #[test]
    fn gitea_words_alone_name_it_and_a_refused_password_gets_the_two_factor_hint() {
        let f = case("hunter2-hunter2").judge(vec![
            (Purpose::PushProbe, fixture("gitea/probe-401-verify.http")),
            (Purpose::Repository, Err(Failure::Timeout)),
        ]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("two-factor"), "{}", f.message);
        assert!(f.fix.iter().any(|l| l.contains(r#"provider = "gitea""#)), "{:?}", f.fix);
        let f = case("hunter2-hunter2").judge(vec![(Purpose::PushProbe, fixture("gitea/probe-403-archived.http"))]);
        assert_eq!(f.reason, Reason::RepoArchived);
        let f = case("hunter2-hunter2").judge(vec![(Purpose::PushProbe, fixture("gitea/probe-401-two-factor.http"))]);
        assert_eq!(f.reason, Reason::PasswordNotToken);
    }

    /// Issue 10, case 3: GitLab's scope text is the token's, its role text the account's.
    #[test]
    fn gitlab_words_tell_the_tokens_scope_from_the_accounts_role() {
        for (path, reason) in [
            ("generic/gitlab-probe-403-auth-upload.http", Reason::MissingWriteScope),
            ("generic/gitlab-probe-403-push-code.http", Reason::NoRepoAccess),
            ("generic/gitlab-probe-403-archived.http", Reason::RepoArchived),
            (
                "generic/gitlab-probe-403-push-over-http-disabled.http",
                Reason::HostRefused,
            ),
            ("generic/gitlab-probe-401-access-denied.http", Reason::TokenInvalid),
        ] {
            let f = both(fixture(path), not_found());
            assert_eq!(f.reason, reason, "{path}: {}", f.message);
        }
        let f = both(fixture("generic/gitlab-probe-401-access-denied.http"), not_found());
        assert!(
            f.fix.iter().any(|l| l.contains(r#"provider = "gitlab""#)),
            "{:?}",
            f.fix
        );
        let f = both(fixture("generic/gitlab-probe-403-auth-upload.http"), not_found());
        assert!(f.fix[0].contains("write_repository"), "{:?}", f.fix);
    }

    #[test]
    fn other_answers() {
        let f = probe_only(401, "Unauthorized");
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.fix[4].contains("[hosts.\"git.example.com\"]"), "{:?}", f.fix);
        // A bare 403 from an unknown server does not say whose refusal it is.
        assert_eq!(probe_only(403, "").reason, Reason::HostRefused);
        assert_eq!(probe_only(404, "").reason, Reason::NoRepoAccess);
        assert_eq!(probe_only(502, "").reason, Reason::HostError);
        assert_eq!(
            case("x")
                .judge(vec![(Purpose::PushProbe, Err(Failure::Timeout))])
                .reason,
            Reason::Timeout
        );
    }
}
