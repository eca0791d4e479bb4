//! Recorded answers and a ready `Context` for the host judges' unit tests.

use chrono::{DateTime, TimeZone, Utc};

use super::{Answers, Context, Provider, Purpose, for_host};
use crate::credential::{Credential, Source};
use crate::http::{Outcome, Request, Response};
use crate::secret::Secret;
use crate::state::Remembered;
use crate::target::RemoteUrl;
use crate::verdict::Finding;

/// An answer as the host sent it: status, headers (any case), body.
#[allow(clippy::unnecessary_wraps)] // answers are outcomes
pub fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Outcome {
    Ok(Response {
        status,
        headers: headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
            .collect(),
        body: body.as_bytes().to_vec(),
    })
}

/// A recorded real answer from `tests/fixtures/` (`host/name.http`), as the
/// HTTP module would hand it to a judge.
pub fn fixture(path: &str) -> Outcome {
    let file = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
    let recorded = super::fixture::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    Ok(recorded.response())
}

/// The day the unit tests live on: after Bitbucket removed app passwords
/// (2026-07-28), before Azure DevOps ends Global PATs (2026-12-01).
pub fn today() -> DateTime<Utc> {
    day(2026, 11, 22)
}

pub fn day(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 12, 0, 0).unwrap()
}

/// One check's inputs: the remote, its provider and API as `for_host` picks
/// them, the credential from a helper, and the clock.
pub struct Case {
    pub url: RemoteUrl,
    pub provider: Provider,
    pub api: Option<String>,
    pub cred: Credential,
    pub remembered: Option<Remembered>,
    pub now: DateTime<Utc>,
}

impl Case {
    pub fn new(url: &str, username: Option<&str>, secret: &str) -> Self {
        let url = RemoteUrl::parse(url).unwrap();
        let (provider, api) = for_host(&url, None);
        let mut cred = Credential::new(
            username.map(str::to_owned),
            Secret::new(secret),
            Source::Helper("git credential-store".into()),
        );
        // As the engine does once the provider is known.
        cred.kind = crate::tokens::classify_for(&cred.secret, provider);
        Self {
            url,
            provider,
            api,
            cred,
            remembered: None,
            now: today(),
        }
    }

    pub fn ctx(&self) -> Context<'_> {
        Context {
            url: &self.url,
            api: self.api.as_deref(),
            credential: &self.cred,
            remembered: self.remembered.as_ref(),
            now: self.now,
        }
    }

    pub fn offline(&self) -> Option<Finding> {
        super::offline(self.provider, &self.ctx())
    }

    pub fn plan(&self) -> Vec<(Purpose, Request)> {
        super::plan(self.provider, &self.ctx())
    }

    pub fn judge(&self, answers: Vec<(Purpose, Outcome)>) -> Finding {
        super::judge(self.provider, &self.ctx(), &Answers(answers))
    }
}

/// `host` or `host:port` of every planned request: where the secret would go.
pub fn destinations(plan: &[(Purpose, Request)]) -> Vec<String> {
    let mut hosts: Vec<String> = plan
        .iter()
        .map(|(_, r)| {
            let u = reqwest::Url::parse(&r.url).unwrap();
            match u.port() {
                Some(p) => format!("{}:{p}", u.host_str().unwrap()),
                None => u.host_str().unwrap().to_owned(),
            }
        })
        .collect();
    hosts.sort();
    hosts.dedup();
    hosts
}

/// The request planned for `purpose`.
pub fn planned(plan: &[(Purpose, Request)], purpose: Purpose) -> &Request {
    &plan.iter().find(|(p, _)| *p == purpose).unwrap().1
}
