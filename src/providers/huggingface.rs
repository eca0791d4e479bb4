//! Hugging Face: huggingface.co and hf.co (PROVIDERS.md).
//!
//! Offline: git has refused account passwords since 2023-10-01, so a secret
//! that is not an `hf_` token is a block, and so is a cut one (`hf_` + 34).
//! One round trip: `GET /api/whoami-v2` (Bearer) names the user and the
//! token's role, `read`, `write` or `fineGrained`; a fine-grained token
//! lists `auth.accessToken.fineGrained.scoped[]` entities with their
//! `permissions`, and pushing needs `repo.write` on the repository's owner
//! or on the repository. The push probe goes along: a write token may still
//! lack the repository (an organization it is not a writer of).

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
    f.fix(format!("create a write token: {}", new_write_token_url(ctx)))
        .fix(ctx.forget("the old one"))
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
                    "{} is a token of another host ({}); Hugging Face takes only its own hf_ tokens {}",
                    ctx.subject(),
                    other.describe(),
                    ctx.shown()
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
                    "Hugging Face rejects {}{words}: it is invalid, expired or revoked (the Hub does not say which) {}",
                    ctx.subject(),
                    ctx.shown()
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
    let info = TokenInfo {
        login: json["name"].as_str().map(str::to_owned),
        scopes: Some(if role == "fineGrained" {
            granted.clone()
        } else {
            vec![role.to_owned()]
        }),
        expires_at: token["expiration"]
            .as_str()
            .or_else(|| json["auth"]["expiration"].as_str())
            .and_then(parse_time),
    };
    let owner_or_repo = repo.owner.clone().unwrap_or_else(|| repo.id.clone());
    let may_write = match role {
        "write" => true,
        "fineGrained" => granted.iter().any(|p| p == REPO_WRITE),
        _ => false,
    };
    if !may_write {
        let (what, fix) = if role == "fineGrained" {
            (
                format!(
                    "a fine-grained token without {REPO_WRITE} (\"Write access to contents/settings\") on {owner_or_repo} or {}",
                    repo.id
                ),
                format!(
                    "add that permission for {owner_or_repo} to the token: {}/settings/tokens",
                    site(ctx)
                ),
            )
        } else {
            (
                format!("a {} token", if role.is_empty() { "read-only" } else { role }),
                format!("create a write token: {}", new_write_token_url(ctx)),
            )
        };
        return Finding::new(
            Reason::MissingWriteScope,
            format!(
                "{} is {what}; pushing to {} needs write access {}",
                ctx.subject(),
                repo.id,
                ctx.shown()
            ),
        )
        .fix(fix)
        .fix(format!("or replace it, {}", ctx.forget("the old one")))
        .with_token(info);
    }
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure).with_token(info),
        Some(Ok(p)) => p,
    };
    let words = host_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    let who = info
        .login
        .as_ref()
        .map_or_else(|| "the token's account".to_owned(), |l| format!("the account {l}"));
    let f = match probe.status {
        200 => Finding::new(
            Reason::Ok,
            format!("{} of {who} may push to {} {}", ctx.subject(), repo.id, ctx.shown()),
        ),
        401 => renew(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "the Hub's API accepts {}, but git refuses it{words} {}",
                    ctx.subject(),
                    ctx.shown()
                ),
            ),
        ),
        403 => Finding::new(
            Reason::NoRepoAccess,
            format!("{who} may not push to {}{words}", repo.id),
        )
        .fix(format!(
            "ask an admin of {owner_or_repo} for the write role, or push to a repository of your own"
        )),
        404 => Finding::new(
            Reason::NoRepoAccess,
            format!("{} does not exist on {host}, or {who} cannot see it{words}", repo.id),
        )
        .fix(format!(
            "check the remote URL ({}); datasets and Spaces live under /datasets/ and /spaces/",
            ctx.url.display
        )),
        _ => probe_other(host, probe, &words),
    };
    f.with_token(info)
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
    use crate::http::Failure;
    use crate::providers::testkit::{Case, destinations, planned, resp};

    const URL: &str = "https://huggingface.co/acme/widget-model";
    const TOKEN: &str = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567";
    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";

    fn whoami(role: &str, extra: &str) -> String {
        format!(
            r#"{{"type":"user","id":"6a61ec32fc25ba6426e21b6f","name":"alice","fullname":"Alice","isPro":false,"orgs":[{{"type":"org","name":"acme","roleInOrg":"write"}}],"auth":{{"type":"access_token","accessToken":{{"displayName":"laptop","role":"{role}","createdAt":"2026-07-23T10:27:03.276Z"{extra}}}}}}}"#
        )
    }

    fn scoped(entity_type: &str, name: &str, perms: &str) -> String {
        format!(
            r#","fineGrained":{{"canReadGatedRepos":true,"global":["discussion.write"],"scoped":[{{"entity":{{"_id":"x","type":"{entity_type}","name":"{name}"}},"permissions":[{perms}]}}]}}"#
        )
    }

    fn case() -> Case {
        Case::new(URL, Some("alice"), TOKEN)
    }

    #[test]
    fn both_hosts_are_known_and_the_api_is_huggingface_co() {
        let plan = case().plan();
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
        assert!(case().offline().is_none());
    }

    #[test]
    fn a_write_token_that_git_accepts_is_ok() {
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], &whoami("write", ""))),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let t = f.token.unwrap();
        assert_eq!(t.login.as_deref(), Some("alice"));
        assert_eq!(t.scopes.unwrap(), vec!["write"]);
    }

    #[test]
    fn a_read_token_is_missing_write_scope() {
        let f = case().judge(vec![(Purpose::Rest, resp(200, &[], &whoami("read", "")))]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.fix[0].contains("tokenType=write"), "{:?}", f.fix);
    }

    #[test]
    fn fine_grained_tokens_need_repo_write_on_the_owner_or_the_repository() {
        let ok_owner = whoami(
            "fineGrained",
            &scoped("org", "acme", r#""repo.content.read","repo.write""#),
        );
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], &ok_owner)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let ok_repo = whoami("fineGrained", &scoped("model", "acme/widget-model", r#""repo.write""#));
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], &ok_repo)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let read_only = whoami("fineGrained", &scoped("org", "acme", r#""repo.content.read""#));
        let f = case().judge(vec![(Purpose::Rest, resp(200, &[], &read_only))]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("repo.write"), "{}", f.message);
        let elsewhere = whoami("fineGrained", &scoped("user", "alice", r#""repo.write""#));
        let f = case().judge(vec![(Purpose::Rest, resp(200, &[], &elsewhere))]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        // A dataset is matched as a dataset.
        let ds = Case::new("https://huggingface.co/datasets/acme/corpus", Some("alice"), TOKEN);
        let on_ds = whoami("fineGrained", &scoped("dataset", "acme/corpus", r#""repo.write""#));
        let f = ds.judge(vec![
            (Purpose::Rest, resp(200, &[], &on_ds)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
    }

    #[test]
    fn rejection_expiry_and_refusals() {
        let f = case().judge(vec![(
            Purpose::Rest,
            resp(401, &[], r#"{"error":"Invalid credentials in Authorization header"}"#),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("Invalid credentials"));
        assert!(f.fix[1].contains("git credential reject"));
        let expiring = whoami("write", r#","expiration":"2026-12-01T00:00:00.000Z""#);
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], &expiring)),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(
            f.token.unwrap().expires_at.unwrap().to_rfc3339(),
            "2026-12-01T00:00:00+00:00"
        );
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], &whoami("write", ""))),
            (
                Purpose::PushProbe,
                resp(403, &[], "You are not authorized to push to this repo."),
            ),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert_eq!(
            case().judge(vec![(Purpose::Rest, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
    }
}
