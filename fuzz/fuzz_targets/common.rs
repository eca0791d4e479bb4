//! A text form for what a host answers, so that seed corpora can be written
//! by hand and libFuzzer mutates something that looks like HTTP.
//!
//! ```text
//! <secret>\n<username>\n<remembered expiry, RFC 3339 or empty>\n
//! ====\n
//! <status>\n<Header: value>\n…\n\n<body>      (the REST answer)
//! ====\n
//! …                                          (the /user answer)
//! ====\n
//! …                                          (the push probe answer)
//! ====\n
//! …                                          (the repository answer, GitLab)
//! ```
//! A response section that is `!timeout`, `!network`, `!large` or
//! `!refused` is that transport failure; a missing section is no answer.
#![allow(dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use prepush_auth::credential::{Credential, Source};
use prepush_auth::http::{Failure, Outcome, Response};
use prepush_auth::providers::Purpose;
use prepush_auth::secret::Secret;
use prepush_auth::state::Remembered;
use prepush_auth::verdict::TokenInfo;

pub struct Case {
    pub secret: String,
    pub username: Option<String>,
    pub credential: Credential,
    pub remembered: Option<Remembered>,
    pub answers: Vec<(Purpose, Outcome)>,
    pub now: DateTime<Utc>,
}

impl Case {
    /// The credential again (for a judge that needs its own copy).
    pub fn credential(&self) -> Credential {
        Credential::new(
            self.username.clone(),
            Secret::new(self.secret.clone()),
            Source::Helper("git credential-store".to_owned()),
        )
    }
}

pub fn case(data: &[u8]) -> Case {
    let text = String::from_utf8_lossy(data);
    let mut sections = text.split("====\n");
    let head = sections.next().unwrap_or("");
    let mut lines = head.lines();
    let secret = lines.next().unwrap_or("").to_owned();
    let username = lines.next().map(str::to_owned);
    let remembered = lines
        .next()
        .and_then(|l| DateTime::parse_from_rfc3339(l.trim()).ok())
        .map(|e| Remembered {
            token: TokenInfo {
                expires_at: Some(e.with_timezone(&Utc)),
                ..TokenInfo::default()
            },
            ..Remembered::default()
        });
    let credential = Credential::new(
        username.clone(),
        Secret::new(secret.clone()),
        Source::Helper("git credential-store".to_owned()),
    );
    let answers = [Purpose::Rest, Purpose::User, Purpose::PushProbe, Purpose::Repository]
        .into_iter()
        .zip(sections)
        .map(|(p, s)| (p, outcome(s)))
        .collect();
    Case {
        secret,
        username,
        credential,
        remembered,
        answers,
        now: Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap(),
    }
}

fn outcome(section: &str) -> Outcome {
    match section.trim_end() {
        "!timeout" => return Err(Failure::Timeout),
        "!network" => return Err(Failure::Network("connection reset".to_owned())),
        "!large" => return Err(Failure::TooLarge),
        "!refused" => return Err(Failure::NotAllowed("not the remote's host".to_owned())),
        _ => {}
    }
    let (head, body) = section.split_once("\n\n").unwrap_or((section, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.trim().parse::<u16>().ok()).unwrap_or(200);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Ok(Response {
        status,
        headers,
        body: body.as_bytes().to_vec(),
    })
}
