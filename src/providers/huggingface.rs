//! Hugging Face: huggingface.co and hf.co (PROVIDERS.md).
//!
//! Offline: git has refused account passwords since 2023-10-01, so a secret
//! that is not an `hf_` token is a block, and so is a cut one (`hf_` + 34).
//! One round trip: `GET /api/whoami-v2` (Bearer) names the user and the
//! token's role, `read`, `write` or `fineGrained`; a fine-grained token
//! lists `auth.accessToken.fineGrained.scoped[]` entities with their
//! `permissions`, and pushing needs `repo.write` on the repository's owner
//! or on the repository. For a repository of an organization, the account
//! also needs a writing role there: `orgs[].roleInOrg` (admin or write).
//!
//! The push probe goes along, but its 200 proves only that git accepts the
//! credential: the Hub serves the receive-pack advertisement to accounts that
//! may not write and refuses them when the pack arrives (`huggingface_hub`
//! issue #937). So the verdict stands on whoami, and where whoami cannot tell
//! it says so (`write_access_unknown`), never `ok`.

use chrono::{DateTime, NaiveDate, Utc};

use super::{Answers, Context, Purpose, common_status, cutoff, host_words, probe_other, transport_finding};
use crate::http::{Auth, Request};
use crate::tokens::{self, TokenKind};
use crate::verdict::{Finding, Reason, TokenInfo};

/// Git on Hugging Face refuses account passwords since this day.
const PASSWORDS_REFUSED_SINCE: NaiveDate = cutoff(2023, 10, 1);
/// The fine-grained permission that lets git push ("Write access to contents/settings").
const REPO_WRITE: &str = "repo.write";

/// Settings pages live on huggingface.co, also for remotes on hf.co.
fn site(ctx: &Context) -> String {
    match ctx.url.hostname.as_str() {
        "huggingface.co" | "hf.co" => "https://huggingface.co".to_owned(),
        _ => ctx.web(),
    }
}

fn new_write_token_url(ctx: &Context) -> String {
    format!("{}/settings/tokens/new?tokenType=write", site(ctx))
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_token_line(ctx)))
}

/// The "make a new token" step, with the token page set to a write token.
pub fn new_token_line(ctx: &Context) -> String {
    format!("create a write token: {}", new_write_token_url(ctx))
}

/// A repository as the Hub names it: `datasets/` and `spaces/` prefixes
/// select the type; models have none (and legacy ones no owner).
struct Repo {
    kind: &'static str,
    owner: Option<String>,
    id: String,
}

fn repo(ctx: &Context) -> Repo {
    let parts: Vec<&str> = ctx.url.repository.split('/').filter(|p| !p.is_empty()).collect();
    let (kind, rest) = match parts.split_first() {
        Some((&"datasets", rest)) => ("dataset", rest),
        Some((&"spaces", rest)) => ("space", rest),
        _ => ("model", parts.as_slice()),
    };
    Repo {
        kind,
        owner: (rest.len() >= 2).then(|| rest[0].to_owned()),
        id: rest.join("/"),
    }
}

pub fn offline(ctx: &Context) -> Option<Finding> {
    match ctx.credential.kind {
        TokenKind::HuggingfaceToken => {
            let bad = tokens::malformed(ctx.credential.secret.expose())?;
            Some(renew(ctx, super::malformed_finding(ctx, &bad)))
        }
        TokenKind::Unrecognised => Some(renew(
            ctx,
            Finding::new(
                Reason::PasswordNotToken,
                format!(
                    "{} is not a Hugging Face token (hf_…); Hugging Face refuses passwords for git since {PASSWORDS_REFUSED_SINCE}",
                    ctx.subject().replace("password or token", "password")
                ),
            ),
        )),
        other => Some(renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "{} is a token of another host ({}); Hugging Face takes only its own hf_ tokens",
                    ctx.subject(),
                    other.describe()
                ),
            ),
        )),
    }
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let probe = (Purpose::PushProbe, ctx.push_probe("user"));
    let Some(api) = ctx.api else {
        return vec![probe];
    };
    vec![
        (
            Purpose::Rest,
            Request::get(format!("{api}/api/whoami-v2"), Auth::Bearer),
        ),
        probe,
    ]
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let whoami = match answers.get(Purpose::Rest) {
        None => {
            return Finding::new(
                Reason::UnsupportedHost,
                format!("no Hugging Face API is known for {host}"),
            );
        }
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    if whoami.status == 401 {
        let words = host_words(whoami).map(|w| format!(" ({w})")).unwrap_or_default();
        return renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "Hugging Face rejects {}: it is invalid, expired or revoked, and the Hub does not say which{words}",
                    ctx.subject()
                ),
            ),
        );
    }
    if let Some(f) = common_status(host, whoami) {
        return f;
    }
    let Some(json) = (whoami.status == 200).then(|| whoami.json()).flatten() else {
        let words = host_words(whoami).map(|w| format!(": {w}")).unwrap_or_default();
        return Finding::new(
            Reason::UnexpectedResponse,
            format!("{host} answered whoami with HTTP {}{words}", whoami.status),
        );
    };
    let repo = repo(ctx);
    let token = &json["auth"]["accessToken"];
    let role = token["role"].as_str().unwrap_or("");
    let granted = granted_on(token, &repo);
    let login = json["name"].as_str().map(str::to_owned);
    let info = TokenInfo {
        login: login.clone(),
        scopes: Some(if role == "fineGrained" {
            granted.clone()
        } else {
            vec![role.to_owned()]
        }),
        // huggingface.js types it `auth.accessToken.expiration` (a string);
        // no recorded answer shows one, so its form is not known: both
        // places and both forms are read, and nothing is concluded without it.
        expires_at: token["expiration"]
            .as_str()
            .or_else(|| json["auth"]["expiresAt"].as_str())
            .and_then(parse_time),
    };

    // Level 2, the Hub's statement about the token: a read token, or a
    // fine-grained one without repo.write here, is refused at pre-receive
    // (huggingface_hub issue #937: a "read" token, "DENIED update
    // refs/heads/main: forbidden").
    if let Some(f) = token_cannot_write(ctx, &repo, role, &granted) {
        return f.with_token(info);
    }
    let grant = match role {
        "write" => "a write token".to_owned(),
        "fineGrained" => format!("a fine-grained token with {REPO_WRITE} here"),
        other => {
            return Finding::new(
                Reason::WriteAccessUnknown,
                format!(
                    "Hugging Face accepts {} of {}, but its role \"{other}\" is not one whose write access is known (read, write, fineGrained): whether it may push to {} is not known",
                    ctx.subject(),
                    who(login.as_deref()),
                    repo.id
                ),
            )
            .with_token(info);
        }
    };

    // git's own answer: what git gets from this request, the push gets.
    // Its 200 proves only that the credential is accepted: the Hub serves
    // the advertisement to accounts that may not write (issue #937).
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure).with_token(info),
        Some(Ok(p)) => p,
    };
    let words = host_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    let who_text = who(login.as_deref());
    let owner_or_repo = repo.owner.clone().unwrap_or_else(|| repo.id.clone());
    let f = match probe.status {
        200 => account_may_write(ctx, &repo, &json, login.as_deref(), &grant),
        401 => renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!("the Hub's API accepts {}, but git refuses it{words}", ctx.subject()),
            ),
        ),
        403 => Finding::new(
            Reason::NoRepoAccess,
            format!("{host} refuses {who_text} a push to {}{words}", repo.id),
        )
        .fix(format!(
            "ask an admin of {owner_or_repo} for the write role, or push to a repository of your own"
        )),
        404 => Finding::new(
            Reason::NoRepoAccess,
            format!(
                "{} does not exist on {host}, or {who_text} cannot see it{words}",
                repo.id
            ),
        )
        .fix(format!(
            "check the remote URL ({}); datasets and Spaces live under /datasets/ and /spaces/",
            ctx.url.display
        )),
        _ => probe_other(host, probe, &words),
    };
    f.with_token(info)
}

fn who(login: Option<&str>) -> String {
    login.map_or_else(|| "the token's account".to_owned(), |l| format!("the account {l}"))
}

/// A read token, or a fine-grained token without `repo.write` on the
/// repository's owner or the repository: the token itself cannot push.
fn token_cannot_write(ctx: &Context, repo: &Repo, role: &str, granted: &[String]) -> Option<Finding> {
    let owner_or_repo = repo.owner.clone().unwrap_or_else(|| repo.id.clone());
    let (what, fix) = match role {
        "read" => (
            "a read token".to_owned(),
            format!("create a write token: {}", new_write_token_url(ctx)),
        ),
        "fineGrained" if !granted.iter().any(|p| p == REPO_WRITE) => (
            format!(
                "a fine-grained token without {REPO_WRITE} (\"Write access to contents/settings\") on {owner_or_repo} or {}",
                repo.id
            ),
            format!(
                "add that permission for {owner_or_repo} to the token: {}/settings/tokens",
                site(ctx)
            ),
        ),
        _ => return None,
    };
    Some(
        Finding::new(
            Reason::MissingWriteScope,
            format!(
                "{} is {what}; the Hub refuses its pushes to {} when the pack arrives (\"DENIED update refs/heads/main: forbidden\")",
                ctx.subject(),
                repo.id
            ),
        )
        .fix(fix)
        .fix("or replace it:".to_owned())
        .fixes(ctx.replace("the old one", &new_token_line(ctx))),
    )
}

/// The token may write; may the account? Its own namespace, yes; an
/// organization's repository, by its role there (`orgs[].roleInOrg`).
/// Where whoami cannot tell, say what is unknown: the Hub serves git's
/// advertisement to non-writers, so nothing else can tell before the push.
fn account_may_write(
    ctx: &Context,
    repo: &Repo,
    whoami: &serde_json::Value,
    login: Option<&str>,
    grant: &str,
) -> Finding {
    let subject = ctx.subject();
    let who_text = who(login);
    let Some(owner) = repo.owner.as_deref() else {
        return Finding::new(
            Reason::WriteAccessUnknown,
            format!(
                "Hugging Face accepts {subject}, {grant}, but {} has no owner in its name, so whether {who_text} may write to it is not known before the push",
                repo.id
            ),
        );
    };
    if login.is_some_and(|l| l.eq_ignore_ascii_case(owner)) {
        return Finding::new(
            Reason::Ok,
            format!(
                "{subject} of {who_text} may push to {}: {grant}, in its own namespace",
                repo.id
            ),
        );
    }
    let org = whoami["orgs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|o| o["name"].as_str().is_some_and(|n| n.eq_ignore_ascii_case(owner)));
    let Some(org) = org else {
        return Finding::new(
            Reason::WriteAccessUnknown,
            format!(
                "Hugging Face accepts {subject}, {grant}, but {who_text} is not {owner} and whoami lists no membership of an organization {owner}: the Hub will most likely refuse the push when the pack arrives; git's advertisement cannot tell"
            ),
        )
        .fix(format!(
            "check the remote URL ({}), or ask {owner} to add {} as a writer",
            ctx.url.display,
            login.unwrap_or("you")
        ));
    };
    match org["roleInOrg"].as_str() {
        Some(role @ ("admin" | "write")) => Finding::new(
            Reason::Ok,
            format!(
                "{subject} of {who_text} may push to {}: {grant}, and the role {role} in {owner}",
                repo.id
            ),
        ),
        Some(role) => Finding::new(
            Reason::WriteAccessUnknown,
            format!(
                "Hugging Face accepts {subject}, {grant}, but {who_text} has the role {role} in {owner}{}: whether it may write to {} is not known before the push (the Hub checks it only when the pack arrives)",
                if role == "contributor" {
                    " (contributors write only to repositories they created)"
                } else {
                    " (a read role writes only where a resource group grants it)"
                },
                repo.id
            ),
        )
        .fix(format!("if the push is refused, ask an admin of {owner} for the write role")),
        None => Finding::new(
            Reason::WriteAccessUnknown,
            format!(
                "Hugging Face accepts {subject}, {grant}, and {who_text} belongs to {owner}, but whoami does not say its role there: whether it may write to {} is not known before the push",
                repo.id
            ),
        ),
    }
}

/// The fine-grained permissions that apply to `repo`: those on its owner
/// (a user or an organization) and those on the repository itself.
fn granted_on(token: &serde_json::Value, repo: &Repo) -> Vec<String> {
    let mut out: Vec<String> = token["fineGrained"]["scoped"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| {
            let kind = s["entity"]["type"].as_str().unwrap_or("");
            let name = s["entity"]["name"].as_str().unwrap_or("");
            match kind {
                "user" | "org" => repo.owner.as_deref() == Some(name),
                k => k == repo.kind && name == repo.id,
            }
        })
        .flat_map(|s| s["permissions"].as_array().into_iter().flatten())
        .filter_map(|p| p.as_str().map(str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// `expiration`, when the token has one: a timestamp, or a bare date.
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::{Failure, Outcome};
    use crate::providers::testkit::{Case, destinations, fixture, planned, resp};

    const URL: &str = "https://huggingface.co/acme/widget-model";
    const OWN: &str = "https://huggingface.co/alice/widget-model";
    /// `hf_` + 34 letters, the shape of real Hub tokens.
    const TOKEN: &str = "hf_AbCdEfGhIjKlMnOpQrStUvWxYzAbCdEfGh";

    fn case(url: &str) -> Case {
        Case::new(url, Some("alice"), TOKEN)
    }

    /// A recorded answer with one text replaced (a role, a name).
    #[allow(clippy::unnecessary_wraps)] // answers are outcomes
    fn edited(path: &str, from: &str, to: &str) -> Outcome {
        let mut r = fixture(path).unwrap();
        let body = String::from_utf8(r.body).unwrap();
        assert!(body.contains(from), "{path} has no {from}");
        r.body = body.replace(from, to).into_bytes();
        Ok(r)
    }

    fn advertisement() -> Outcome {
        fixture("huggingface/probe-advertisement-read-token.http")
    }

    fn judge(url: &str, whoami: Outcome) -> Finding {
        case(url).judge(vec![(Purpose::Rest, whoami), (Purpose::PushProbe, advertisement())])
    }

    #[test]
    fn both_hosts_are_known_and_the_api_is_huggingface_co() {
        let plan = case(URL).plan();
        assert_eq!(destinations(&plan), vec!["huggingface.co"]);
        assert_eq!(
            planned(&plan, Purpose::Rest).url,
            "https://huggingface.co/api/whoami-v2"
        );
        let short = Case::new("https://hf.co/datasets/acme/corpus", Some("alice"), TOKEN);
        assert_eq!(destinations(&short.plan()), vec!["hf.co", "huggingface.co"]);
    }

    #[test]
    fn passwords_foreign_tokens_and_cut_tokens_are_refused_offline() {
        let f = Case::new(URL, Some("alice"), "correct-horse-battery")
            .offline()
            .unwrap();
        assert_eq!(f.reason, Reason::PasswordNotToken);
        assert!(f.message.contains("2023-10-01"));
        let f = Case::new(URL, Some("alice"), &TOKEN[..30]).offline().unwrap();
        assert_eq!(f.reason, Reason::TokenMalformed);
        let f = Case::new(URL, Some("alice"), "glpat-abcdefghijKLMNOPQRST")
            .offline()
            .unwrap();
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(case(URL).offline().is_none());
    }

    #[test]
    fn a_write_token_in_its_own_namespace_is_ok() {
        let f = judge(OWN, fixture("huggingface/whoami-write-token.http"));
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("own namespace"), "{}", f.message);
        let t = f.token.unwrap();
        assert_eq!(t.login.as_deref(), Some("alice"));
        assert_eq!(t.scopes.unwrap(), vec!["write"]);
    }

    /// Issue 10, case 1: the Hub served the advertisement, so the probe's 200
    /// says nothing; the account's role in the organization decides.
    #[test]
    fn bug_a_write_token_of_an_account_that_may_not_write_to_the_org_was_ok() {
        let org = "huggingface/whoami-write-token-org-member.http";
        let f = judge(URL, fixture(org));
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("role write in acme"), "{}", f.message);
        let f = judge(URL, edited(org, r#""roleInOrg":"write""#, r#""roleInOrg":"admin""#));
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);

        for role in ["read", "contributor"] {
            let f = judge(
                URL,
                edited(org, r#""roleInOrg":"write""#, &format!(r#""roleInOrg":"{role}""#)),
            );
            assert_eq!(f.reason, Reason::WriteAccessUnknown, "{role}: {}", f.message);
            assert_eq!(f.reason.kind(), crate::verdict::Kind::Warn);
            assert!(f.message.contains(&format!("role {role} in acme")), "{}", f.message);
            assert!(f.message.contains("not known"), "{}", f.message);
        }
        // No role given: unknown, not ok.
        let f = judge(URL, edited(org, r#","roleInOrg":"write""#, ""));
        assert_eq!(f.reason, Reason::WriteAccessUnknown, "{}", f.message);
        // Not a member at all (the recorded answer has no orgs).
        let f = judge(URL, fixture("huggingface/whoami-write-token.http"));
        assert_eq!(f.reason, Reason::WriteAccessUnknown, "{}", f.message);
        assert!(
            f.message.contains("no membership of an organization acme"),
            "{}",
            f.message
        );
    }

    #[test]
    fn a_read_token_is_missing_write_scope_whatever_the_probe_says() {
        // issue #937: a read token got the advertisement and was refused at pre-receive.
        let f = judge(
            OWN,
            edited(
                "huggingface/whoami-write-token.http",
                r#""role":"write""#,
                r#""role":"read""#,
            ),
        );
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("DENIED"), "{}", f.message);
        assert!(f.fix[0].contains("tokenType=write"), "{:?}", f.fix);
    }

    #[test]
    fn fine_grained_tokens_need_repo_write_on_the_owner_or_the_repository() {
        let fg = "huggingface/whoami-fine-grained-user-scoped.http";
        // repo.write on the user alice: her own repository.
        let f = judge(OWN, fixture(fg));
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert_eq!(
            f.token
                .unwrap()
                .scopes
                .unwrap()
                .iter()
                .filter(|p| *p == REPO_WRITE)
                .count(),
            1
        );
        // The same grant says nothing about acme's repository.
        let f = judge(URL, fixture(fg));
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("repo.write"), "{}", f.message);
        // Without repo.write on alice either.
        let f = judge(
            OWN,
            edited(fg, r#""repo.access.read","repo.write","#, r#""repo.access.read","#),
        );
        assert_eq!(f.reason, Reason::MissingWriteScope);
        // Scoped on the repository itself (a dataset is matched as a dataset).
        let on_ds = edited(
            fg,
            r#""type":"user","name":"alice"}"#,
            r#""type":"dataset","name":"alice/corpus"}"#,
        );
        let f = judge("https://huggingface.co/datasets/alice/corpus", on_ds);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn rejection_and_refusals() {
        let f = case(URL).judge(vec![(Purpose::Rest, fixture("huggingface/whoami-invalid-token.http"))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("Invalid credentials"));
        assert!(f.fix[1].contains("git credential reject"));
        let f = case(OWN).judge(vec![
            (Purpose::Rest, fixture("huggingface/whoami-write-token.http")),
            (Purpose::PushProbe, resp(403, &[], "Forbidden")),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert_eq!(
            case(URL).judge(vec![(Purpose::Rest, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
    }

    #[test]
    fn an_expiry_is_read_where_huggingface_js_says_it_is() {
        let expiring = edited(
            "huggingface/whoami-write-token.http",
            r#""role":"write""#,
            r#""role":"write","expiration":"2026-12-01T00:00:00.000Z""#,
        );
        let f = judge(OWN, expiring);
        assert_eq!(
            f.token.unwrap().expires_at.unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
    }
}
