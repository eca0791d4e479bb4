//! Azure DevOps: dev.azure.com/{org}, {org}.visualstudio.com, and Azure
//! DevOps Server (PROVIDERS.md).
//!
//! One round trip: `GET {org}/_apis/connectionData` tells whether the PAT
//! signs in and names the user; the push probe, sent with it, tells whether
//! git may push (the scope Code (Read & write)). Both carry git's own Basic
//! pair; Azure DevOps ignores the username with a PAT.
//!
//! Quirks: a bad PAT often gets 203 with an HTML sign-in page instead of 401,
//! so a 203 or a body that is not JSON is a rejection; a PAT cannot read its
//! own expiry, so prepush-auth cannot warn before one expires or say that a
//! rejected one did. An identity without Contribute on the repository is
//! refused at the advertisement (403 `TF401027 … GenericContribute`,
//! recorded); branch policies (`TF402455`) apply per ref when the pack
//! arrives and cannot be seen before. What the advertisement answers a PAT
//! with Code (Read) only is not publicly recorded: the verdict says so.

use chrono::NaiveDate;

use super::{
    Answers, Context, Purpose, common_status, cutoff, host_words, probe_not_found, probe_other, transport_finding,
};
use crate::http::{Auth, Request, Response};
use crate::target::RemoteUrl;
use crate::verdict::{Finding, Reason, TokenInfo};

/// Global PATs ("All accessible organizations") stop working on this day,
/// as announced: only the fix's words depend on it, never a verdict (the
/// host's 401 is the evidence; a date is a prediction).
const GLOBAL_PATS_END: NaiveDate = cutoff(2026, 12, 1);

/// The organization (or collection) base the `_apis` live under. On
/// `{org}.visualstudio.com` that is the remote's own host, so the secret
/// goes nowhere git does not already send it.
pub fn default_api(url: &RemoteUrl) -> Option<String> {
    let web = format!("{}://{}", url.protocol(), url.host);
    if url.hostname == "dev.azure.com" {
        let org = url.repository.split('/').next().filter(|o| !o.is_empty())?;
        return Some(format!("https://dev.azure.com/{org}"));
    }
    if url.hostname.ends_with(".visualstudio.com") {
        return Some(web);
    }
    // Azure DevOps Server: `/{collection path}/{project}/_git/{repo}`.
    let before_git: Vec<&str> = url
        .repository
        .split("/_git/")
        .next()
        .unwrap_or("")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let collection = match before_git.as_slice() {
        [] | [_] => before_git.join("/"),
        [rest @ .., _project] => rest.join("/"),
    };
    Some(if collection.is_empty() {
        web
    } else {
        format!("{web}/{collection}")
    })
}

/// `project/repo` for messages.
fn repo_label(ctx: &Context) -> String {
    let r = &ctx.url.repository;
    let tail = if ctx.url.hostname == "dev.azure.com" {
        r.split_once('/').map_or(r.as_str(), |(_, t)| t)
    } else {
        r.as_str()
    };
    tail.replace("/_git/", "/")
}

fn tokens_url(ctx: &Context) -> String {
    format!(
        "{}/_usersSettings/tokens",
        ctx.api.map_or_else(|| ctx.web(), str::to_owned)
    )
}

pub fn new_pat_fix(ctx: &Context) -> String {
    let global = if ctx.since(GLOBAL_PATS_END) {
        format!(
            "for this organization only: Microsoft announced that Global PATs (All accessible organizations) stop working on {GLOBAL_PATS_END}"
        )
    } else {
        format!(
            "for this organization, not All accessible organizations: Global PATs stop working on {GLOBAL_PATS_END}"
        )
    };
    format!(
        "create a PAT with the scope Code (Read & write), {global}: {}",
        tokens_url(ctx)
    )
}

fn renew(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace("the old one", &new_pat_fix(ctx)))
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let probe = (Purpose::PushProbe, ctx.push_probe("pat"));
    let Some(api) = ctx.api else {
        return vec![probe];
    };
    let rest = Request::get(
        format!("{api}/_apis/connectionData"),
        Auth::Basic {
            username: ctx.username_or("pat"),
        },
    )
    .header("accept", "application/json");
    vec![(Purpose::Rest, rest), probe]
}

/// 401, 203, a redirect to sign in, or a page instead of JSON: not signed in.
fn signed_out(resp: &Response) -> bool {
    match resp.status {
        401 | 203 => true,
        301..=303 | 307 | 308 => resp
            .header("location")
            .is_some_and(|l| l.contains("signin") || l.contains("login")),
        200 => resp.json().is_none(),
        _ => false,
    }
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let rest = match answers.get(Purpose::Rest) {
        None => {
            return Finding::new(
                Reason::UnsupportedHost,
                format!("no Azure DevOps organization is known for {host}"),
            );
        }
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(r)) => r,
    };
    if signed_out(rest) {
        return rejected(ctx, rest);
    }
    if let Some(f) = common_status(host, rest) {
        return f;
    }
    if rest.status != 200 {
        let words = host_words(rest).map(|w| format!(": {w}")).unwrap_or_default();
        return Finding::new(
            Reason::UnexpectedResponse,
            format!("{host} answered connectionData with HTTP {}{words}", rest.status),
        );
    }
    let Some(login) = rest.json().as_ref().and_then(signed_in_user) else {
        return rejected(ctx, rest);
    };
    let info = TokenInfo {
        login: Some(login.clone()),
        ..TokenInfo::default()
    };
    let repo = repo_label(ctx);
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure).with_token(info),
        Some(Ok(p)) => p,
    };
    let text = probe.text();
    let words = azure_words(probe).map(|w| format!(" ({w})")).unwrap_or_default();
    let f = match probe.status {
        200 if advertises(probe) => Finding::new(
            Reason::Ok,
            format!(
                "{} signs in as {login} and may push to {repo}; Azure DevOps does not let a PAT read its own expiry, so no warning can come before it expires",
                ctx.subject()
            ),
        ),
        // The account's permission, in Azure DevOps' own words (recorded).
        403 if text.contains("TF401027") || text.contains("GenericContribute") => Finding::new(
            Reason::NoRepoAccess,
            format!("{login} may not contribute to {repo}{words}"),
        )
        .fix(format!("ask a project administrator for Contribute on {repo}")),
        // Any other TF code is the host's own reason: say it, do not guess whose.
        403 if !words.is_empty() => Finding::new(
            Reason::HostRefused,
            format!("Azure DevOps refuses {login} a push to {repo}{words}"),
        ),
        // The PAT signs in, yet git is refused at the advertisement without
        // a word (a 200 here is a sign-in page). Azure DevOps' answer for a
        // PAT with Code (Read) only is not publicly recorded.
        200 | 203 | 401 | 403 => renew(
            ctx,
            Finding::new(
                Reason::MissingWriteScope,
                format!(
                    "{} signs in as {login}, but git refuses it a push to {repo}: the PAT most likely lacks the scope Code (Read & write) (what Azure DevOps answers such a PAT is not publicly recorded); if it has it, the account lacks Contribute on the repository{words}",
                    ctx.subject()
                ),
            ),
        ),
        404 => probe_not_found(ctx, &repo, &login, &words),
        _ => probe_other(host, probe, &words),
    };
    f.with_token(info)
}

fn rejected(ctx: &Context, rest: &Response) -> Finding {
    let how = match rest.status {
        203 => " (HTTP 203 with a sign-in page, Azure DevOps' way of saying no)".to_owned(),
        200 => " (a sign-in page instead of an answer)".to_owned(),
        s => format!(" (HTTP {s})"),
    };
    renew(
        ctx,
        Finding::new(
            Reason::TokenInvalid,
            format!(
                "Azure DevOps rejects {}{how}: it expired, was revoked, or is not valid for this organization; a PAT cannot read its own expiry, so prepush-auth cannot say which",
                ctx.subject()
            ),
        ),
    )
}

/// Azure DevOps' reason: the first `TF…:` sentence (a refusal may come
/// after pkt-line bytes of an advertisement, recorded), else the first line.
fn azure_words(resp: &Response) -> Option<String> {
    let text = resp.text();
    let tf = text.lines().find_map(|l| {
        let at = l.find("TF")?;
        let sentence = &l[at..];
        sentence[2..]
            .starts_with(|c: char| c.is_ascii_digit())
            .then(|| sentence.trim().to_owned())
    });
    match tf {
        Some(t) => Some(t.chars().filter(|c| !c.is_control()).take(200).collect()),
        None if resp.header("content-type").is_some_and(|c| c.contains("html")) => None,
        None => host_words(resp),
    }
}

/// A receive-pack ref advertisement, not a sign-in page served with 200.
fn advertises(resp: &Response) -> bool {
    resp.header("content-type")
        .is_some_and(|c| c.contains("git-receive-pack-advertisement"))
        || resp.text().contains("# service=git-receive-pack")
}

/// The signed-in user of a connectionData answer: the account name
/// (`properties.Account.$value`, an email address), else the display name.
/// An anonymous answer names nobody.
fn signed_in_user(json: &serde_json::Value) -> Option<String> {
    let user = &json["authenticatedUser"];
    let display = user["providerDisplayName"].as_str().filter(|d| !d.is_empty());
    if display.is_none_or(|d| d.eq_ignore_ascii_case("anonymous")) {
        return None;
    }
    user["properties"]["Account"]["$value"]
        .as_str()
        .filter(|a| !a.is_empty())
        .or(display)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Failure;
    use crate::providers::testkit::{Case, day, destinations, fixture, planned, resp};

    const URL: &str = "https://acme@dev.azure.com/acme/Widgets/_git/widgets";
    const PAT: &str = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst";
    const CONNECTION: &str = r#"{"authenticatedUser":{"id":"6c2b1a3e-0000-0000-0000-000000000001","descriptor":"Microsoft.IdentityModel.Claims.ClaimsIdentity;0000@example.com","subjectDescriptor":"aad.MDAw","providerDisplayName":"Alice Example","isActive":true,"properties":{"Account":{"$type":"System.String","$value":"alice@example.com"}},"resourceVersion":2,"metaTypeId":0},"authorizedUser":{"providerDisplayName":"Alice Example"},"instanceId":"00000000-0000-0000-0000-000000000002","deploymentType":"hosted","locationServiceData":{}}"#;
    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";
    const SIGN_IN: &str =
        "<!DOCTYPE html><html><head><title>Azure DevOps Services | Sign In</title></head><body></body></html>";

    fn case() -> Case {
        Case::new(URL, Some("acme"), PAT)
    }

    #[test]
    fn both_url_forms_are_known_and_the_secret_stays_on_microsoft_hosts_git_uses() {
        let c = case();
        assert_eq!(c.api.as_deref(), Some("https://dev.azure.com/acme"));
        let plan = c.plan();
        assert_eq!(destinations(&plan), vec!["dev.azure.com"]);
        assert_eq!(
            planned(&plan, Purpose::Rest).url,
            "https://dev.azure.com/acme/_apis/connectionData"
        );
        assert_eq!(
            planned(&plan, Purpose::PushProbe).url,
            "https://dev.azure.com/acme/Widgets/_git/widgets/info/refs?service=git-receive-pack"
        );
        let vs = Case::new(
            "https://acme.visualstudio.com/DefaultCollection/Widgets/_git/widgets",
            None,
            PAT,
        );
        assert_eq!(vs.api.as_deref(), Some("https://acme.visualstudio.com"));
        assert_eq!(destinations(&vs.plan()), vec!["acme.visualstudio.com"]);
        let server = RemoteUrl::parse("https://tfs.example.com/tfs/DefaultCollection/Widgets/_git/widgets").unwrap();
        assert_eq!(
            default_api(&server).as_deref(),
            Some("https://tfs.example.com/tfs/DefaultCollection")
        );
    }

    #[test]
    fn a_signed_in_pat_that_may_push_is_ok_and_says_its_expiry_is_unknowable() {
        let f = case().judge(vec![
            (
                Purpose::Rest,
                resp(200, &[("Content-Type", "application/json")], CONNECTION),
            ),
            (Purpose::PushProbe, resp(200, &[], ADVERTISEMENT)),
        ]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        assert!(f.message.contains("alice@example.com"));
        assert!(
            f.message.contains("cannot") || f.message.contains("does not let"),
            "{}",
            f.message
        );
        assert_eq!(f.token.unwrap().login.as_deref(), Some("alice@example.com"));
    }

    #[test]
    fn a_203_sign_in_page_is_a_rejection_with_the_global_pat_date() {
        let f = case().judge(vec![(Purpose::Rest, fixture("azure-devops/rest-203-sign-in.http"))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(f.message.contains("203"), "{}", f.message);
        assert!(f.message.contains("cannot read its own expiry"), "{}", f.message);
        assert!(f.fix[2].contains("stop working on 2026-12-01"), "{:?}", f.fix);
        assert!(f.fix[2].contains("https://dev.azure.com/acme/_usersSettings/tokens"));
        assert!(f.fix[1].contains("git credential reject"));
        // After the day, it is said as what was announced: the date is a
        // prediction, the 401 the evidence.
        let mut later = case();
        later.now = day(2027, 1, 10);
        let f = later.judge(vec![(Purpose::Rest, fixture("azure-devops/rest-401-pat.http"))]);
        assert!(
            f.fix
                .iter()
                .any(|l| l.contains("organization only: Microsoft announced")),
            "{:?}",
            f.fix
        );
        // A 200 that is a page, not JSON, is the same.
        let f = case().judge(vec![(Purpose::Rest, resp(200, &[], SIGN_IN))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        // An anonymous identity is nobody.
        let anon = r#"{"authenticatedUser":{"providerDisplayName":"Anonymous","properties":{}}}"#;
        let f = case().judge(vec![(Purpose::Rest, resp(200, &[], anon))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
    }

    #[test]
    fn a_pat_without_code_write_is_caught_by_the_probe() {
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], CONNECTION)),
            (Purpose::PushProbe, resp(403, &[], "")),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("Code (Read & write)"));
        for refused in [resp(401, &[], ""), resp(203, &[], SIGN_IN), resp(200, &[], SIGN_IN)] {
            let f = case().judge(vec![
                (Purpose::Rest, resp(200, &[], CONNECTION)),
                (Purpose::PushProbe, refused),
            ]);
            assert_eq!(f.reason, Reason::MissingWriteScope);
        }
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], CONNECTION)),
            (
                Purpose::PushProbe,
                resp(404, &[], "TF401019: The Git repository with name or identifier widgets does not exist or you do not have permissions for the operation you are attempting."),
            ),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(f.message.contains("TF401019"));
        assert_eq!(
            case().judge(vec![(Purpose::Rest, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
    }

    /// Recorded: an identity without Contribute is refused at the
    /// advertisement with TF401027, after pkt-line bytes; the words are the
    /// sentence, not the bytes.
    #[test]
    fn tf401027_at_the_advertisement_is_the_accounts_missing_contribute() {
        let f = case().judge(vec![
            (Purpose::Rest, resp(200, &[], CONNECTION)),
            (Purpose::PushProbe, fixture("azure-devops/probe-403-tf401027.http")),
        ]);
        assert_eq!(f.reason, Reason::NoRepoAccess);
        assert!(
            f.message
                .contains("(TF401027: You need the Git 'GenericContribute' permission"),
            "{}",
            f.message
        );
        assert!(!f.message.contains("service=git-receive-pack"), "{}", f.message);
    }
}
