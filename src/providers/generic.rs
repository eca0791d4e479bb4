//! Any other smart-HTTP host: the push probe alone (PROVIDERS.md).
//! 401 rejects the credential, 403 means authenticated without push rights,
//! 200 means git will get past the advertisement. The host's own words are
//! reported, trimmed.

use super::{Answers, Context, Purpose, common_status, host_words, transport_finding};
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
        401 => Finding::new(
            Reason::TokenInvalid,
            format!("{host} rejects {}{words} {}", ctx.subject(), ctx.shown()),
        )
        .fix(format!(
            "get a new password or token for {host}, then forget the old one: {}",
            ctx.forget_command()
        )),
        403 => Finding::new(
            Reason::NoRepoAccess,
            format!(
                "{host} accepts {} but refuses a push to {}{words}",
                ctx.subject(),
                ctx.url.repository
            ),
        )
        .fix(format!("ask the owner of {} for write access", ctx.url.repository)),
        404 => Finding::new(
            Reason::NoRepoAccess,
            format!("{} was not found on {host}{words}", ctx.url.repository),
        )
        .fix(format!("check the remote URL ({})", ctx.url.display)),
        _ => common_status(host, probe).unwrap_or_else(|| {
            Finding::new(
                Reason::UnexpectedResponse,
                format!("{host} answered the push probe with HTTP {}{words}", probe.status),
            )
        }),
    }
}
