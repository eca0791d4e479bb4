//! One file per host. Each builds its request(s) and judges the answers as a
//! pure function (answers in, finding out), so every host's logic is tested
//! with recorded answers (`tests/fixtures/`) and the end-to-end tests prove
//! the wiring.
//!
//! # Order of evidence
//!
//! Every judge weighs what it hears in this order (PROVIDERS.md, top):
//!
//! 1. **git's own receive-pack advertisement**: the push probe's answer, or,
//!    in the pre-push hook, the fact that git just got past it with this very
//!    credential (the engine then puts a witnessed 200 in its place). Where
//!    the host checks the right to push there
//!    ([`Provider::advertisement_checks_write`]: GitHub, GitLab, Bitbucket
//!    Data Center), a 200 proves the credential may push; elsewhere (Hugging
//!    Face, Gitea/Forgejo with proc-receive, unknown servers) it proves only
//!    that the credential is accepted.
//! 2. **the host's statement about the token itself**: a 401 and its body,
//!    GitHub's `X-OAuth-Scopes` for the kinds that have scopes (`ghp_`,
//!    `gho_`), GitLab's `/personal_access_tokens/self` for legacy scopes.
//! 3. **inferences and predictions**: permission objects
//!    (`permissions.push`), roles (`project_access`), token shapes, and
//!    every date: an expiry remembered from an earlier answer, a helper's
//!    `password_expiry_utc`, a day a host announced for retiring a
//!    credential type (Bitbucket app passwords, Azure DevOps Global PATs).
//!
//! # Time
//!
//! A date never blocks alone. It warns (`expires_soon`) and explains a
//! refusal the host gives ("expired on DATE, as the host reported while it
//! still worked": the engine's `dated`, for every host). Once a remembered
//! expiry has passed, the engine asks the host (the plan's first request
//! decides, the cache is not used) and forgets the date the host
//! contradicts; a judge comparing `Context::since` with an announced day
//! may only choose words or warn, never block (Bitbucket's app passwords
//! are retired by git's 410, not by 2026-07-28). Only the observe entry,
//! run right after git was refused, lets a passed expiry explain that
//! refusal without a request.
//!
//! The offline rules ([`offline`]) are the only blocks without a request,
//! and each is certain without a clock: a failed checksum or impossible
//! length (GitHub, Hugging Face), a secret the host never takes for git
//! (GitHub refresh tokens, GitLab OAuth application secrets, another host's
//! token on Hugging Face, a password where github.com and the Hub refuse
//! passwords), a username the host documents it refuses with that
//! credential (GitLab CI job and deploy tokens, an email address on
//! Bitbucket Cloud). README, "What blocks with no request", says why each is
//! certain. A new date rule goes in a judge's words, never here.
//!
//! A lower level may explain, warn or add a note; it never turns a higher
//! level's "can push" into a block. So a judge reads the probe first where
//! it has one; a REST answer that suggests a refusal, with no probe asked,
//! makes the engine ask it (one more request, only on that path) instead of
//! blocking on a guess; and in the hook the engine turns into warnings the
//! blocks that git's own answer contradicts.

pub mod azure_devops;
pub mod bitbucket;
pub mod bitbucket_server;
pub mod fixture;
pub mod generic;
pub mod gitea;
pub mod github;
pub mod gitlab;
pub mod huggingface;
#[cfg(test)]
pub mod testkit;

use chrono::{DateTime, NaiveDate, Utc};

use crate::credential::Credential;
use crate::http::{Auth, Failure, Outcome, Request, Response};
use crate::state::Remembered;
use crate::target::RemoteUrl;
use crate::verdict::{Finding, Reason};

pub use crate::provider::Provider;

/// The provider and API base for a host: the user's `[hosts."…"]` first,
/// then the hosts we know by name, else the generic push probe.
pub fn for_host(url: &RemoteUrl, configured: Option<&crate::config::HostConfig>) -> (Provider, Option<String>) {
    if let Some(h) = configured {
        let api = h.api.clone().map(|a| a.trim_end_matches('/').to_owned());
        return (h.provider, api.or_else(|| default_api(h.provider, url)));
    }
    let provider = match url.hostname.as_str() {
        "github.com" => Provider::Github,
        "gitlab.com" => Provider::Gitlab,
        "bitbucket.org" => Provider::Bitbucket,
        "codeberg.org" => Provider::Gitea,
        "dev.azure.com" => Provider::AzureDevops,
        h if h.ends_with(".visualstudio.com") => Provider::AzureDevops,
        "huggingface.co" | "hf.co" => Provider::Huggingface,
        _ => Provider::Generic,
    };
    (provider, default_api(provider, url))
}

/// Where each provider's API lives. Public hosts use their documented API
/// host (SPEC §7 rule 2: the only other place the secret may go); a
/// configured host without `api` gets the self-hosted default of SPEC §6.
fn default_api(provider: Provider, url: &RemoteUrl) -> Option<String> {
    let web = format!("{}://{}", url.protocol(), url.host);
    Some(match (provider, url.hostname.as_str()) {
        (Provider::Github, "github.com") => "https://api.github.com".to_owned(),
        (Provider::Github, _) => format!("{web}/api/v3"),
        (Provider::Gitlab, _) => format!("{web}/api/v4"),
        (Provider::Bitbucket, "bitbucket.org") => "https://api.bitbucket.org/2.0".to_owned(),
        (Provider::Bitbucket, _) => format!("{web}/2.0"),
        (Provider::BitbucketServer, _) => bitbucket_server::default_api(url),
        (Provider::Gitea, _) => format!("{web}/api/v1"),
        (Provider::AzureDevops, _) => azure_devops::default_api(url)?,
        (Provider::Huggingface, "huggingface.co" | "hf.co") => "https://huggingface.co".to_owned(),
        (Provider::Huggingface, _) => web,
        (Provider::Generic, _) => return None,
    })
}

/// A host's cut-off day (passwords refused, a credential type retired), as
/// the host announced it: a calendar date, compared with `Context::now`.
pub const fn cutoff(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("not a calendar date"),
    }
}

/// "classic personal access token ghp_…a1B2", or "password (not shown)":
/// `what` the credential is, and as much of it as output may show.
pub fn named(what: &str, redacted: &str) -> String {
    if redacted == crate::secret::NOT_SHOWN {
        format!("{what} (not shown)")
    } else {
        format!("{what} {redacted}")
    }
}

/// Everything a judge may look at. Built by the engine.
pub struct Context<'a> {
    pub url: &'a RemoteUrl,
    pub api: Option<&'a str>,
    pub credential: &'a Credential,
    pub remembered: Option<&'a Remembered>,
    pub now: DateTime<Utc>,
}

impl Context<'_> {
    /// "the classic personal access token ghp_…a1B2 from credential helper
    /// 'store'", "… from 1Password, handed to git by gh (…)": the token, as
    /// far as it may be shown, and its place, by name. Named here, next to
    /// what it is, the token never trails a sentence in parentheses.
    pub fn subject(&self) -> String {
        let what = named(self.credential.kind.describe(), &self.credential.secret.redacted());
        let from = self.credential.place.from_phrase();
        if from.is_empty() {
            format!("the {what}")
        } else {
            format!("the {what} {from}")
        }
    }

    /// The web host for settings pages: `https://gitlab.com`, or the self-hosted one.
    pub fn web(&self) -> String {
        format!("{}://{}", self.url.protocol(), self.url.host)
    }

    /// Whether `now` is on or after a host's cut-off day.
    pub fn since(&self, day: NaiveDate) -> bool {
        self.now.date_naive() >= day
    }

    pub fn username_or(&self, fallback: &str) -> String {
        self.credential.username.clone().unwrap_or_else(|| fallback.to_owned())
    }

    /// `GET <repo>/info/refs?service=git-upload-pack` with the credential
    /// git sends: whether the repository exists and this credential may
    /// read it, asking nothing a host creates a repository for (GitLab's
    /// push-to-create runs for `git-receive-pack` only).
    pub fn read_probe(&self, fallback_username: &str) -> Request {
        Request::get(
            format!("{}/info/refs?service=git-upload-pack", self.url.repo_base()),
            Auth::Basic {
                username: self.username_or(fallback_username),
            },
        )
        .header("git-protocol", "version=2")
    }

    /// `GET <repo>/info/refs?service=git-receive-pack` with the credential git
    /// sends: the push probe. It is what git fetches first; on a repository
    /// that exists it changes nothing, but GitLab creates a missing project
    /// for it (see [`follow_up`]), so hosts that do ask it only of a
    /// repository they have seen exist.
    pub fn push_probe(&self, fallback_username: &str) -> Request {
        Request::get(
            format!("{}/info/refs?service=git-receive-pack", self.url.repo_base()),
            Auth::Basic {
                username: self.username_or(fallback_username),
            },
        )
        .header("git-protocol", "version=2")
    }

    /// The username git sends, when it may be shown (a token written as
    /// the username never is).
    pub fn plain_username(&self) -> Option<&str> {
        self.credential
            .username
            .as_deref()
            .filter(|u| crate::tokens::classify(u) == crate::tokens::TokenKind::Unrecognised)
    }

    /// The steps that replace the stale credential where it really lives
    /// (helpers.rs, "The rule for fixes"): forget `which` ("the old one")
    /// first, then `make` ("create a new token: <page>"), then push.
    pub fn replace(&self, which: &str, make: &str) -> Vec<String> {
        crate::helpers::replace_steps(
            &self.credential.place,
            self.url,
            self.plain_username(),
            which,
            Some(make),
            None,
        )
    }

    /// The same with a username the host needs (Bitbucket's fixed ones).
    pub fn replace_as(&self, which: &str, make: &str, username: &str) -> Vec<String> {
        crate::helpers::replace_steps(
            &self.credential.place,
            self.url,
            self.plain_username(),
            which,
            Some(make),
            Some(username),
        )
    }

    /// The same token under another username: forget the entry stored
    /// under the current one, push and give `username`.
    pub fn store_under(&self, which: &str, username: &str) -> Vec<String> {
        crate::helpers::replace_steps(
            &self.credential.place,
            self.url,
            self.plain_username(),
            which,
            None,
            Some(username),
        )
    }

    /// GitHub: the steps that add `scope` where the token lives.
    pub fn scope_steps(&self, scope: &str, page: &str, new_page: &str) -> Vec<String> {
        crate::helpers::scope_steps(&self.credential.place, &self.url.host, scope, page, new_page)
    }
}

/// What each planned request is for, so judges find answers by purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The REST call that gives the reason.
    Rest,
    /// Who the token belongs to.
    User,
    /// The repository's own record (role, archived), when the reason comes
    /// from another call (GitLab).
    Repository,
    /// Smart-HTTP receive-pack advertisement.
    PushProbe,
    /// Smart-HTTP upload-pack advertisement: the repository exists and may
    /// be read (asked before the push probe where that could create it).
    ReadProbe,
}

pub struct Answers(pub Vec<(Purpose, Outcome)>);

impl Answers {
    pub fn get(&self, purpose: Purpose) -> Option<&Outcome> {
        self.0.iter().find(|(p, _)| *p == purpose).map(|(_, o)| o)
    }

    pub fn ok(&self, purpose: Purpose) -> Option<&Response> {
        self.get(purpose).and_then(|o| o.as_ref().ok())
    }
}

/// The push probe of a host whose judge asks it only when REST suggests a
/// refusal (see the order of evidence above); `None` where the host's plan
/// always carries it or its probe proves nothing about pushing.
pub fn push_probe(provider: Provider, ctx: &Context) -> Option<Request> {
    match provider {
        Provider::Github if !ctx.url.repository.is_empty() => Some(ctx.push_probe("x-access-token")),
        _ => None,
    }
}

/// The "make a new token" step of every fix that replaces a token: the
/// host's token page, with the scopes prefilled where the page takes them.
pub fn new_token_line(provider: Provider, ctx: &Context) -> String {
    match provider {
        Provider::Github => github::new_token_line(ctx),
        Provider::Gitlab => gitlab::new_token_line(ctx),
        Provider::Bitbucket => bitbucket::new_token_line(),
        Provider::BitbucketServer => bitbucket_server::new_token_line(ctx),
        Provider::Gitea => gitea::new_token_line(ctx),
        Provider::AzureDevops => azure_devops::new_pat_fix(ctx),
        Provider::Huggingface => huggingface::new_token_line(ctx),
        Provider::Generic => format!("get a new password or token for {}", ctx.url.host),
    }
}

/// What to ask once the first answers are in, one request at a time (the
/// engine asks again until there is nothing more): GitLab asks the push
/// probe only of a project it has seen exist. gitlabhq runs
/// `ensure_project_on_push!` (`lib/gitlab/git_access_project.rb`) from the
/// access check of `info_refs` (`app/controllers/repositories/git_http_controller.rb`,
/// `access.check(git_command, ANY)`): a receive-pack advertisement for a
/// missing project, asked by an account that may create projects in that
/// namespace, creates it (private). A check changes nothing on the host.
pub fn follow_up(provider: Provider, ctx: &Context, answers: &Answers) -> Option<(Purpose, Request)> {
    match provider {
        Provider::Gitlab => gitlab::follow_up(ctx, answers),
        Provider::Generic => generic::follow_up(ctx, answers),
        _ => None,
    }
}

/// Offline rules of the host: no request sent.
pub fn offline(provider: Provider, ctx: &Context) -> Option<Finding> {
    match provider {
        Provider::Github => github::offline(ctx),
        Provider::Gitlab => gitlab::offline(ctx),
        Provider::Bitbucket => bitbucket::offline(ctx),
        Provider::Huggingface => huggingface::offline(ctx),
        Provider::BitbucketServer | Provider::Gitea | Provider::AzureDevops | Provider::Generic => None,
    }
}

pub fn plan(provider: Provider, ctx: &Context) -> Vec<(Purpose, Request)> {
    match provider {
        Provider::Github => github::plan(ctx),
        Provider::Gitlab => gitlab::plan(ctx),
        Provider::Bitbucket => bitbucket::plan(ctx),
        Provider::BitbucketServer => bitbucket_server::plan(ctx),
        Provider::Gitea => gitea::plan(ctx),
        Provider::AzureDevops => azure_devops::plan(ctx),
        Provider::Huggingface => huggingface::plan(ctx),
        Provider::Generic => generic::plan(ctx),
    }
}

pub fn judge(provider: Provider, ctx: &Context, answers: &Answers) -> Finding {
    match provider {
        Provider::Github => github::judge(ctx, answers),
        Provider::Gitlab => gitlab::judge(ctx, answers),
        Provider::Bitbucket => bitbucket::judge(ctx, answers),
        Provider::BitbucketServer => bitbucket_server::judge(ctx, answers),
        Provider::Gitea => gitea::judge(ctx, answers),
        Provider::AzureDevops => azure_devops::judge(ctx, answers),
        Provider::Huggingface => huggingface::judge(ctx, answers),
        Provider::Generic => generic::judge(ctx, answers),
    }
}

/// The unknown verdicts every host shares: the request never got an answer
/// we can read.
pub fn transport_finding(host: &str, failure: &Failure) -> Finding {
    match failure {
        Failure::Timeout => Finding::new(
            Reason::Timeout,
            format!("{host} did not answer in time; the credential was not checked"),
        ),
        Failure::Network(why) => Finding::new(Reason::NetworkError, format!("could not reach {host}: {why}")),
        Failure::TooLarge => Finding::new(
            Reason::UnexpectedResponse,
            format!(
                "{host} sent an answer larger than {} KiB; not an API answer",
                crate::http::BODY_CAP / 1024
            ),
        ),
        Failure::NotAllowed(why) => Finding::new(Reason::UnsupportedHost, format!("not checked: {why}")),
    }
}

/// The status-only judgements shared by hosts: rate limits and server errors.
pub fn common_status(host: &str, resp: &Response) -> Option<Finding> {
    let status = resp.status;
    if status == 429 || (status == 403 && resp.header("x-ratelimit-remaining") == Some("0")) {
        let when = resp
            .header("x-ratelimit-reset")
            .and_then(|s| s.parse::<i64>().ok())
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| format!(" until {}", t.format("%H:%M UTC")))
            .unwrap_or_default();
        return Some(Finding::new(
            Reason::RateLimited,
            format!("{host} is rate limiting requests{when}; the credential was not checked"),
        ));
    }
    if status >= 500 {
        return Some(Finding::new(
            Reason::HostError,
            format!("{host} answered HTTP {status}; the credential was not checked"),
        ));
    }
    None
}

/// The push probe's 404: the repository is missing, or `who` cannot see it.
pub fn probe_not_found(ctx: &Context, repo: &str, who: &str, words: &str) -> Finding {
    Finding::new(
        Reason::NoRepoAccess,
        format!(
            "{repo} does not exist on {}, or {who} cannot see it{words}",
            ctx.url.host
        ),
    )
    .fix(format!("check the remote URL ({})", ctx.url.display))
}

/// Any other push-probe answer: the rate limits and server errors every
/// host shares, else an answer we do not know how to read.
pub fn probe_other(host: &str, probe: &Response, words: &str) -> Finding {
    common_status(host, probe).unwrap_or_else(|| {
        Finding::new(
            Reason::UnexpectedResponse,
            format!("{host} answered the push probe with HTTP {}{words}", probe.status),
        )
    })
}

/// A token of a known shape that cannot be whole: known without a request.
pub fn malformed_finding(ctx: &Context, bad: &crate::tokens::Malformed) -> Finding {
    Finding::new(
        Reason::TokenMalformed,
        format!(
            "{} cannot be a whole token: {} (a truncated or mistyped paste)",
            ctx.subject(),
            bad.explain()
        ),
    )
}

/// The host's own words, trimmed to one short line, for messages.
pub fn host_words(resp: &Response) -> Option<String> {
    let text = if let Some(json) = resp.json() {
        json.get("message")
            .or_else(|| json.get("error_description"))
            .or_else(|| json.get("error"))
            .and_then(|m| m.as_str().map(str::to_owned))?
    } else {
        resp.text()
    };
    let line: String = text
        .lines()
        .map(|l| l.trim().trim_start_matches("remote:").trim())
        .find(|l| !l.is_empty())?
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    (!line.is_empty()).then_some(line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::HostConfig;

    fn known(url: &str) -> (Provider, Option<String>) {
        for_host(&RemoteUrl::parse(url).unwrap(), None)
    }

    #[test]
    fn known_hosts_and_their_documented_api_hosts() {
        for (url, provider, api) in [
            (
                "https://github.com/o/r.git",
                Provider::Github,
                Some("https://api.github.com"),
            ),
            (
                "https://gitlab.com/g/sub/p.git",
                Provider::Gitlab,
                Some("https://gitlab.com/api/v4"),
            ),
            (
                "https://bitbucket.org/ws/r.git",
                Provider::Bitbucket,
                Some("https://api.bitbucket.org/2.0"),
            ),
            (
                "https://codeberg.org/o/r.git",
                Provider::Gitea,
                Some("https://codeberg.org/api/v1"),
            ),
            (
                "https://dev.azure.com/org/p/_git/r",
                Provider::AzureDevops,
                Some("https://dev.azure.com/org"),
            ),
            (
                "https://org.visualstudio.com/p/_git/r",
                Provider::AzureDevops,
                Some("https://org.visualstudio.com"),
            ),
            (
                "https://huggingface.co/o/m",
                Provider::Huggingface,
                Some("https://huggingface.co"),
            ),
            (
                "https://hf.co/o/m",
                Provider::Huggingface,
                Some("https://huggingface.co"),
            ),
            ("https://git.example.com/o/r.git", Provider::Generic, None),
        ] {
            assert_eq!(known(url), (provider, api.map(str::to_owned)), "{url}");
        }
    }

    #[test]
    fn configured_hosts_get_the_self_hosted_defaults_of_spec_6() {
        let url = RemoteUrl::parse("https://git.example.com/scm/o/r.git").unwrap();
        for (provider, api) in [
            (Provider::Github, "https://git.example.com/api/v3"),
            (Provider::Gitlab, "https://git.example.com/api/v4"),
            (Provider::Gitea, "https://git.example.com/api/v1"),
            (Provider::Bitbucket, "https://git.example.com/2.0"),
            (Provider::BitbucketServer, "https://git.example.com/rest/api/1.0"),
            (Provider::Huggingface, "https://git.example.com"),
        ] {
            let configured = HostConfig { provider, api: None };
            assert_eq!(
                for_host(&url, Some(&configured)).1.as_deref(),
                Some(api),
                "{provider:?}"
            );
        }
        // The user's own `api` wins, without its trailing slash.
        let configured = HostConfig {
            provider: Provider::Gitlab,
            api: Some("https://gl.internal/api/v4/".into()),
        };
        assert_eq!(
            for_host(&url, Some(&configured)),
            (Provider::Gitlab, Some("https://gl.internal/api/v4".into()))
        );
    }

    #[test]
    fn cutoff_days_compare_with_the_clock() {
        let url = RemoteUrl::parse("https://bitbucket.org/ws/r.git").unwrap();
        let cred = Credential::new(
            None,
            crate::secret::Secret::new("x"),
            crate::credential::Source::Unknown,
        );
        let at = |d: &str| Context {
            url: &url,
            api: None,
            credential: &cred,
            remembered: None,
            now: format!("{d}T00:00:00Z").parse().unwrap(),
        };
        let day = cutoff(2026, 7, 28);
        assert!(!at("2026-07-27").since(day));
        assert!(at("2026-07-28").since(day));
    }
}
