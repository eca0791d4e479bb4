//! Any other smart-HTTP host: the push probe alone (PROVIDERS.md).
//! 401 rejects the credential, 403 means authenticated without push rights,
//! 200 means git will get past the advertisement. The host's own words are
//! reported, trimmed. Unknown hosts are often self-hosted GitLab or Gitea
//! that nobody named in the config: their words for an archived repository
//! and for a password refused under two-factor authentication are specific
//! enough to name the reason, and the fix says how to get the precise one.

use super::{Answers, Context, Purpose, host_words, probe_other, transport_finding};
use crate::http::Request;
use crate::verdict::{Finding, Reason};

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    vec![(Purpose::PushProbe, ctx.push_probe("git"))]
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    let text = probe.text();
    let words = host_words(probe)
        .map(|w| format!(" ({host} says: {w})"))
        .unwrap_or_default();
    match probe.status {
        200 => Finding::new(
            Reason::Ok,
            format!(
                "{host} accepts {} for pushing to {} {}",
                ctx.subject(),
                ctx.url.repository,
                ctx.shown()
            ),
        ),
        // Gitea's and Forgejo's sentence (githttp.go).
        401 if text.contains("two-factor authentication") => Finding::new(
            Reason::PasswordNotToken,
            format!(
                "{host} refuses {} for git: the account uses two-factor authentication, so git needs an access token{words}",
                ctx.subject().replace("password or token", "password")
            ),
        )
        .fix(format!("create an access token on {host}, {}", ctx.forget("the password"))),
        401 => Finding::new(
            Reason::TokenInvalid,
            format!("{host} rejects {}{words} {}", ctx.subject(), ctx.shown()),
        )
        .fix(format!("get a new password or token for {host}, {}", ctx.forget("the old one")))
        .fix(name_the_host(host)),
        // GitLab: "You can't push code to an archived project."; Gitea: "This repo is archived."
        403 if text.contains("archived") => Finding::new(
            Reason::RepoArchived,
            format!("{} is archived on {host}: it refuses every push{words}", ctx.url.repository),
        )
        .fix(format!("an owner can unarchive {} in its settings", ctx.url.repository)),
        403 => Finding::new(
            Reason::NoRepoAccess,
            format!(
                "{host} accepts {} but refuses a push to {}{words}",
                ctx.subject(),
                ctx.url.repository
            ),
        )
        .fix(format!("ask the owner of {} for write access", ctx.url.repository))
        .fix(name_the_host(host)),
        404 => Finding::new(
            Reason::NoRepoAccess,
            format!("{} was not found on {host}{words}", ctx.url.repository),
        )
        .fix(format!("check the remote URL ({})", ctx.url.display)),
        _ => probe_other(host, probe, &words),
    }
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
    use crate::http::Failure;
    use crate::providers::testkit::{Case, destinations, resp};

    const URL: &str = "https://git.example.com/acme/widgets.git";

    fn judge(status: u16, body: &str) -> Finding {
        let case = Case::new(URL, Some("alice"), "hunter2-hunter2");
        case.judge(vec![(Purpose::PushProbe, resp(status, &[], body))])
    }

    #[test]
    fn only_the_remote_itself_is_asked() {
        let case = Case::new(URL, Some("alice"), "hunter2-hunter2");
        assert_eq!(case.provider, crate::providers::Provider::Generic);
        assert_eq!(destinations(&case.plan()), vec!["git.example.com"]);
    }

    #[test]
    fn the_probe_status_is_the_verdict() {
        assert_eq!(judge(200, "001f# service=git-receive-pack\n0000").reason, Reason::Ok);
        let f = judge(401, "HTTP Basic: Access denied.");
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("HTTP Basic: Access denied."));
        assert!(f.fix[1].contains("[hosts.\"git.example.com\"]"), "{:?}", f.fix);
        assert_eq!(judge(403, "").reason, Reason::NoRepoAccess);
        assert_eq!(judge(404, "").reason, Reason::NoRepoAccess);
        assert_eq!(judge(502, "").reason, Reason::HostError);
        let case = Case::new(URL, Some("alice"), "hunter2-hunter2");
        assert_eq!(
            case.judge(vec![(Purpose::PushProbe, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
    }

    #[test]
    fn gitlab_and_gitea_words_name_archived_and_two_factor() {
        assert_eq!(
            judge(403, "You can't push code to an archived project.").reason,
            Reason::RepoArchived
        );
        assert_eq!(
            judge(
                403,
                "This repo is archived. You can view files and clone it, but cannot push or open issues/pull-requests."
            )
            .reason,
            Reason::RepoArchived
        );
        let f = judge(
            401,
            "Users with two-factor authentication enabled cannot perform HTTP/HTTPS operations via plain username and password. Please create and use a personal access token on the user settings page",
        );
        assert_eq!(f.reason, Reason::PasswordNotToken);
    }
}
