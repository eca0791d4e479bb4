//! One file per host. Each builds its request(s) and judges the answers as a
//! pure function (answers in, finding out), so every host's logic is tested
//! with recorded answers and the end-to-end tests prove the wiring.

pub mod generic;
pub mod github;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::credential::Credential;
use crate::http::{Auth, Failure, Outcome, Request, Response};
use crate::state::Remembered;
use crate::target::RemoteUrl;
use crate::verdict::{Finding, Reason};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Github,
    Gitlab,
    Bitbucket,
    BitbucketServer,
    Gitea,
    AzureDevops,
    Huggingface,
    Generic,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Bitbucket => "bitbucket",
            Self::BitbucketServer => "bitbucket-server",
            Self::Gitea => "gitea",
            Self::AzureDevops => "azure-devops",
            Self::Huggingface => "huggingface",
            Self::Generic => "generic",
        }
    }
}

/// The provider and API base for a host: the user's `[hosts."…"]` first,
/// then the hosts we know by name, else the generic push probe.
pub fn for_host(url: &RemoteUrl, configured: Option<&crate::config::HostConfig>) -> (Provider, Option<String>) {
    if let Some(h) = configured {
        let api = h.api.clone().map(|a| a.trim_end_matches('/').to_owned());
        return (h.provider, api.or_else(|| default_api(h.provider, url)));
    }
    let provider = match url.hostname.as_str() {
        "github.com" => Provider::Github,
        _ => Provider::Generic,
    };
    (provider, default_api(provider, url))
}

fn default_api(provider: Provider, url: &RemoteUrl) -> Option<String> {
    let host = &url.host;
    let scheme = url.protocol();
    Some(match provider {
        Provider::Github if url.hostname == "github.com" => "https://api.github.com".to_owned(),
        Provider::Github => format!("{scheme}://{host}/api/v3"),
        _ => return None,
    })
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
    /// "the classic personal access token from credential helper 'store'"
    pub fn subject(&self) -> String {
        let what = self.credential.kind.describe();
        match &self.credential.source {
            crate::credential::Source::Helper(cmd) => {
                format!(
                    "the {what} from credential helper '{}'",
                    crate::git::helper_short_name(cmd)
                )
            }
            crate::credential::Source::Url => format!("the {what} written in the remote URL"),
            _ => format!("the {what}"),
        }
    }

    /// "(ghp_…a1B2)"
    pub fn shown(&self) -> String {
        let r = self.credential.secret.redacted();
        if r.starts_with('(') { r } else { format!("({r})") }
    }

    pub fn username_or(&self, fallback: &str) -> String {
        self.credential.username.clone().unwrap_or_else(|| fallback.to_owned())
    }

    /// `GET <repo>/info/refs?service=git-receive-pack` with the credential git
    /// sends: the push probe. No side effects; it is what git fetches first.
    pub fn push_probe(&self, fallback_username: &str) -> Request {
        Request::get(
            format!("{}/info/refs?service=git-receive-pack", self.url.repo_base()),
            Auth::Basic {
                username: self.username_or(fallback_username),
            },
        )
        .header("git-protocol", "version=2")
    }

    /// The command that forgets the stale credential (SPEC §4); never run by us.
    pub fn forget_command(&self) -> String {
        forget_command(self.url)
    }
}

pub fn forget_command(url: &RemoteUrl) -> String {
    format!(
        "printf 'protocol={}\\nhost={}\\n\\n' | git credential reject",
        url.protocol(),
        url.host
    )
}

/// What each planned request is for, so judges find answers by purpose.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    /// The REST call that gives the reason.
    Rest,
    /// Who the token belongs to.
    User,
    /// Smart-HTTP receive-pack advertisement.
    PushProbe,
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

/// Offline rules of the host: no request sent.
pub fn offline(provider: Provider, ctx: &Context) -> Option<Finding> {
    match provider {
        Provider::Github => github::offline(ctx),
        _ => None,
    }
}

pub fn plan(provider: Provider, ctx: &Context) -> Vec<(Purpose, Request)> {
    match provider {
        Provider::Github => github::plan(ctx),
        _ => generic::plan(ctx),
    }
}

pub fn judge(provider: Provider, ctx: &Context, answers: &Answers) -> Finding {
    match provider {
        Provider::Github => github::judge(ctx, answers),
        _ => generic::judge(ctx, answers),
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
