//! Bitbucket Cloud: bitbucket.org, API at api.bitbucket.org/2.0 (PROVIDERS.md).
//!
//! The username trap shapes everything here. Git over HTTPS with an API token
//! needs the *Bitbucket username* (or the fixed `x-bitbucket-api-token-auth`);
//! the REST API with the same token needs the *email address*. So the
//! (username, token) pair git holds cannot be checked on the REST API, where
//! it always fails: it is checked with the push probe on bitbucket.org itself,
//! whose 401/403/410 texts name the cause. Access tokens (`ATCTT…`) also go to
//! REST as a Bearer token, which is how Bitbucket takes them there, for their
//! scopes (`X-OAuth-Scopes`).

use chrono::NaiveDate;

use super::{Answers, Context, Purpose, cutoff, host_words, probe_not_found, probe_other, transport_finding};
use crate::http::{Auth, Request, Response};
use crate::tokens::TokenKind;
use crate::verdict::{Finding, Reason, TokenInfo};

/// Git on bitbucket.org refuses account passwords since this day.
const PASSWORDS_REFUSED_SINCE: NaiveDate = cutoff(2022, 3, 1);
/// App passwords: none could be created after this day,
const APP_PASSWORDS_FROZEN: NaiveDate = cutoff(2025, 9, 9);
/// brownouts (some requests refused) from this day,
const APP_PASSWORDS_BROWNOUTS: NaiveDate = cutoff(2026, 6, 9);
/// and removed on this day: git then answers 410.
const APP_PASSWORDS_REMOVED: NaiveDate = cutoff(2026, 7, 28);

/// The fixed git username for Atlassian API tokens (Bitbucket docs).
const API_TOKEN_USERNAME: &str = "x-bitbucket-api-token-auth";
/// The fixed git username for repository, project and workspace access tokens.
const ACCESS_TOKEN_USERNAME: &str = "x-token-auth";
/// Where Atlassian API tokens (with scopes) are made; Bitbucket has no page of its own.
const API_TOKENS_URL: &str = "https://id.atlassian.com/manage-profile/security/api-tokens";
const API_TOKEN_SCOPES: &str = "read:repository:bitbucket and write:repository:bitbucket";

// The push probe's 403 texts (PROVIDERS.md, Bitbucket Cloud).
const PROBE_NO_SCOPE: &str = "lack one or more required privilege scopes";
const PROBE_NEEDS_2FA: &str = "enable two-step authentication";
const PROBE_IP_ALLOWLIST: &str = "whitelist your IP";
const PROBE_NO_ACCESS: &str = "either does not exist or you do not have access";

/// Bitbucket's git answers are a few plain-text lines (a change id, the
/// sentence, a link): the sentences, without the links, in one line.
fn bitbucket_words(resp: &Response) -> Option<String> {
    let text = resp.text();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("http"))
        .collect();
    if lines.is_empty() {
        return host_words(resp);
    }
    let joined: String = lines
        .join(" / ")
        .chars()
        .filter(|c| !c.is_control())
        .take(240)
        .collect();
    Some(joined)
}

/// The "make a new token" step for an Atlassian API token.
pub fn new_token_line() -> String {
    format!(
        "create an API token with the scopes {API_TOKEN_SCOPES} (\"Create API token with scopes\", app Bitbucket; a token without scopes cannot be used for git): {API_TOKENS_URL}"
    )
}

/// Forget the old one, make an API token, push with the fixed username
/// (your Bitbucket username works too; the email address never does).
fn api_token_fixes(ctx: &Context, f: Finding) -> Finding {
    f.fixes(ctx.replace_as("the old one", &new_token_line(), API_TOKEN_USERNAME))
}

fn access_token_fixes(ctx: &Context, f: Finding) -> Finding {
    let make = format!(
        "create a repository access token with repository:write (Repository settings > Access tokens): {}/{}/admin/access-tokens",
        ctx.web(),
        ctx.url.repository
    );
    f.fixes(ctx.replace_as("the old one", &make, ACCESS_TOKEN_USERNAME))
}

/// A rejected credential: the fix for the kind of credential it is.
fn renew(ctx: &Context, f: Finding) -> Finding {
    if ctx.credential.kind == TokenKind::BitbucketAccessToken {
        access_token_fixes(ctx, f)
    } else {
        api_token_fixes(ctx, f)
    }
}

pub fn offline(ctx: &Context) -> Option<Finding> {
    let kind = ctx.credential.kind;
    if let Some(user) = ctx.credential.username.as_deref().filter(|u| u.contains('@')) {
        let wanted = if kind == TokenKind::BitbucketAccessToken {
            format!("the fixed username {ACCESS_TOKEN_USERNAME}, which access tokens use")
        } else {
            format!("your Bitbucket username or {API_TOKEN_USERNAME}")
        };
        let store_under = if kind == TokenKind::BitbucketAccessToken {
            ACCESS_TOKEN_USERNAME
        } else {
            API_TOKEN_USERNAME
        };
        return Some(
            Finding::new(
                Reason::WrongUsername,
                format!(
                    "git sends the email address {user} as the username with {}; git on Bitbucket needs {wanted}: the email address works only for the REST API",
                    ctx.subject()
                ),
            )
            .fixes(ctx.store_under("the one stored under the email address", store_under)),
        );
    }
    // No rule on app passwords here: their removal day is a prediction
    // (Atlassian moved these dates before; a workspace may have an
    // extension). Git's 410 is the evidence (see `judge`); until it comes,
    // an app password that works is a warning.
    None
}

pub fn plan(ctx: &Context) -> Vec<(Purpose, Request)> {
    let access_token = ctx.credential.kind == TokenKind::BitbucketAccessToken;
    let fallback = if access_token {
        ACCESS_TOKEN_USERNAME
    } else {
        API_TOKEN_USERNAME
    };
    let mut plan = vec![(Purpose::PushProbe, ctx.push_probe(fallback))];
    if access_token && let Some(api) = ctx.api {
        plan.push((
            Purpose::Rest,
            Request::get(format!("{api}/repositories/{}", ctx.url.repository), Auth::Bearer),
        ));
    }
    plan
}

pub fn judge(ctx: &Context, answers: &Answers) -> Finding {
    let host = ctx.url.host.as_str();
    let probe = match answers.get(Purpose::PushProbe) {
        None => return Finding::new(Reason::UnsupportedHost, format!("nothing to ask {host}")),
        Some(Err(failure)) => return transport_finding(host, failure),
        Some(Ok(p)) => p,
    };
    let info = answers.ok(Purpose::Rest).and_then(access_token_info);
    let text = probe.text();
    let words = bitbucket_words(probe)
        .map(|w| format!(" (bitbucket.org says: {w})"))
        .unwrap_or_default();
    let repo = &ctx.url.repository;
    let f = match probe.status {
        200 => accepted(ctx),
        401 => refused(ctx, &words),
        // The host's own statement (tests/fixtures/bitbucket/probe-410-app-password.http):
        // during the brownouts it is true for minutes at a time, after the
        // removal for good. Either way the verdict says what the host said;
        // the state caches it no longer than any other answer (state.rs).
        410 => {
            let what = if ctx.credential.kind == TokenKind::BitbucketAppPassword {
                ctx.subject()
            } else {
                format!("{} (an app password: older ones have no prefix)", ctx.subject())
            };
            let when = if ctx.since(APP_PASSWORDS_REMOVED) {
                format!("app passwords were removed on {APP_PASSWORDS_REMOVED}")
            } else if ctx.since(APP_PASSWORDS_BROWNOUTS) {
                format!(
                    "this is a brownout window (app passwords fail for minutes at a time from {APP_PASSWORDS_BROWNOUTS}), and they stop working for good on {APP_PASSWORDS_REMOVED}"
                )
            } else {
                format!("app passwords are deprecated and stop working on {APP_PASSWORDS_REMOVED}")
            };
            api_token_fixes(
                ctx,
                Finding::new(
                    Reason::CredentialRetired,
                    format!(
                        "bitbucket.org refuses {what} with HTTP 410: {when}{words}"
                    ),
                ),
            )
        }
        403 if text.contains(PROBE_NO_SCOPE) => missing_scope(ctx, info.as_ref(), &words),
        // Workspace policies: not this account's access to the repository.
        403 if text.contains(PROBE_NEEDS_2FA) => Finding::new(
            Reason::HostRefused,
            format!("the workspace of {repo} admits only accounts with two-step verification, and yours does not use it{words}"),
        )
        .fix(format!(
            "turn on two-step verification (Personal settings > Two-step verification): {}/account/settings/",
            ctx.web()
        )),
        403 if text.contains(PROBE_IP_ALLOWLIST) => Finding::new(
            Reason::HostRefused,
            format!("the workspace of {repo} admits only allowlisted IP addresses, and yours is not one{words}"),
        )
        .fix("ask a workspace admin to add your IP address (Workspace settings > IP allowlisting), or push from an allowed network"),
        // "The requested repository either does not exist or you do not have access."
        403 if text.contains(PROBE_NO_ACCESS) => Finding::new(
            Reason::NoRepoAccess,
            format!("Bitbucket accepts {} but refuses a push to {repo}{words}", ctx.subject()),
        )
        .fix(format!("ask a workspace admin of {repo} for write access, or push to a fork")),
        403 => Finding::new(
            Reason::HostRefused,
            format!("Bitbucket accepts {} but refuses a push to {repo}{words}", ctx.subject()),
        ),
        404 => probe_not_found(ctx, repo, &ctx.subject(), &words),
        _ => probe_other(host, probe, &words),
    };
    match info {
        Some(i) => f.with_token(i),
        None => f,
    }
}

/// Git would get past the advertisement. App passwords still work until
/// their removal day; say how long.
fn accepted(ctx: &Context) -> Finding {
    let ok = format!(
        "bitbucket.org accepts {} for pushing to {}",
        ctx.subject(),
        ctx.url.repository
    );
    if ctx.credential.kind != TokenKind::BitbucketAppPassword {
        return Finding::new(Reason::Ok, ok);
    }
    if ctx.since(APP_PASSWORDS_REMOVED) {
        // The announced day has passed and the host still takes it: the
        // host decides, and the date only warns (order of evidence).
        return api_token_fixes(
            ctx,
            Finding::new(
                Reason::ExpiresSoon,
                format!(
                    "{ok} — but Atlassian announced that app passwords stop working on {APP_PASSWORDS_REMOVED}, which has passed: this one may be refused (HTTP 410) any day; replace it with an API token"
                ),
            ),
        );
    }
    if ctx.since(APP_PASSWORDS_BROWNOUTS) {
        return api_token_fixes(
            ctx,
            Finding::new(
                Reason::ExpiresSoon,
                format!(
                    "{ok} — but app passwords are in brownouts since {APP_PASSWORDS_BROWNOUTS} (some pushes fail) and stop working on {APP_PASSWORDS_REMOVED}"
                ),
            ),
        );
    }
    api_token_fixes(
        ctx,
        Finding::new(
            Reason::Ok,
            format!(
                "{ok}; app passwords stop working on {APP_PASSWORDS_REMOVED} (brownouts from {APP_PASSWORDS_BROWNOUTS}): replace it before then"
            ),
        ),
    )
}

/// The probe's 401: the credential (or, for tokens, the username with it).
fn refused(ctx: &Context, words: &str) -> Finding {
    let subject = ctx.subject();
    let user = ctx.credential.username.as_deref();
    match ctx.credential.kind {
        TokenKind::BitbucketAccessToken if user.is_some_and(|u| u != ACCESS_TOKEN_USERNAME) => access_token_fixes(
            ctx,
            Finding::new(
                Reason::WrongUsername,
                format!(
                    "bitbucket.org rejects {subject} with the username {}: access tokens work only with the username {ACCESS_TOKEN_USERNAME}{words}",
                    user.unwrap_or_default()
                ),
            ),
        ),
        // Access tokens do not expire (Atlassian's access-token docs).
        TokenKind::BitbucketAccessToken => access_token_fixes(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "bitbucket.org rejects {subject}: it was revoked or mistyped, as access tokens do not expire{words}"
                ),
            ),
        ),
        // Atlassian (Community 3057268, staff): an API token created without
        // scopes cannot be used for git; git answers it with the same 401.
        TokenKind::BitbucketApiToken => {
            let username = match user {
                Some(u) if u != API_TOKEN_USERNAME => format!(
                    "; or {u} is not your Bitbucket username (git needs that username or {API_TOKEN_USERNAME}, never the email address)"
                ),
                _ => String::new(),
            };
            api_token_fixes(
                ctx,
                Finding::new(
                    Reason::TokenInvalid,
                    format!(
                        "bitbucket.org rejects {subject}: an API token created without scopes cannot be used for git at all, so if it was made with \"Create API token\" rather than \"Create API token with scopes\", that is the cause; otherwise it expired or was revoked{username}, and Bitbucket does not say which{words}"
                    ),
                ),
            )
        }
        TokenKind::BitbucketAppPassword => api_token_fixes(
            ctx,
            Finding::new(
                Reason::TokenInvalid,
                format!(
                    "bitbucket.org rejects {subject}: it was revoked or mistyped; app passwords cannot be made since {APP_PASSWORDS_FROZEN} and stop working on {APP_PASSWORDS_REMOVED}{words}"
                ),
            ),
        ),
        TokenKind::Unrecognised => {
            let app_passwords = if ctx.since(APP_PASSWORDS_REMOVED) {
                format!("; older app passwords (no prefix) were removed on {APP_PASSWORDS_REMOVED}")
            } else {
                "; an older app password (no prefix) may have been revoked".to_owned()
            };
            api_token_fixes(
                ctx,
                Finding::new(
                    Reason::PasswordNotToken,
                    format!(
                        "bitbucket.org rejects {}: it is neither an API token (ATATT…) nor an access token (ATCTT…), and Bitbucket refuses account passwords for git since {PASSWORDS_REFUSED_SINCE}{app_passwords}{words}",
                        subject.replace("password or token", "password")
                    ),
                ),
            )
        }
        _ => renew(
            ctx,
            Finding::new(Reason::TokenInvalid, format!("bitbucket.org rejects {subject}{words}")),
        ),
    }
}

fn missing_scope(ctx: &Context, info: Option<&TokenInfo>, words: &str) -> Finding {
    let has = info
        .and_then(|i| i.scopes.as_ref())
        .map(|s| {
            format!(
                " (it has {})",
                if s.is_empty() {
                    "no scopes".to_owned()
                } else {
                    s.join(", ")
                }
            )
        })
        .unwrap_or_default();
    let (needs, fixes): (String, fn(&Context, Finding) -> Finding) = match ctx.credential.kind {
        TokenKind::BitbucketAccessToken => ("the scope repository:write".to_owned(), access_token_fixes),
        _ => (
            format!("both {API_TOKEN_SCOPES} (write does not include read); scopes cannot be added to a token"),
            api_token_fixes,
        ),
    };
    fixes(
        ctx,
        Finding::new(
            Reason::MissingWriteScope,
            format!(
                "{}{has} lacks a scope git needs to push: pushing needs {needs}{words}",
                ctx.subject()
            ),
        ),
    )
}

/// Scopes of an access token, from the REST answer's `X-OAuth-Scopes`.
fn access_token_info(rest: &Response) -> Option<TokenInfo> {
    if rest.status != 200 {
        return None;
    }
    let scopes = rest.header("x-oauth-scopes")?;
    Some(TokenInfo {
        scopes: Some(
            scopes
                .split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        ..TokenInfo::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Failure;
    use crate::providers::testkit::{Case, day, destinations, fixture, planned, resp};

    const URL: &str = "https://bitbucket.org/acme/widgets.git";
    const ADVERTISEMENT: &str = "001f# service=git-receive-pack\n0000";

    fn api_token() -> String {
        format!("ATATT3xFfGF0{}=1A2B3C4D", "aB3dE".repeat(34))
    }
    fn access_token() -> String {
        format!("ATCTT3xFfGN0{}=9F8E7D6C", "Qw5rT".repeat(34))
    }
    const APP_PASSWORD: &str = "ATBBaBcDeFgHiJkLmNoPqRsTuVwXyZ012345";

    #[test]
    fn an_email_address_as_username_is_wrong_without_any_request() {
        let f = Case::new(URL, Some("alice@example.com"), &api_token())
            .offline()
            .unwrap();
        assert_eq!(f.reason, Reason::WrongUsername);
        assert!(f.message.contains("alice@example.com"));
        assert!(f.fix[2].contains(API_TOKEN_USERNAME), "{:?}", f.fix);
        assert!(f.fix[1].contains("username=alice@example.com"), "{:?}", f.fix);
        assert!(f.fix[1].contains("git credential reject"));
        let f = Case::new(URL, Some("ci@acme.example"), &access_token())
            .offline()
            .unwrap();
        assert!(f.fix[2].contains(ACCESS_TOKEN_USERNAME));
        assert!(Case::new(URL, Some("alice"), &api_token()).offline().is_none());
    }

    #[test]
    fn app_passwords_are_judged_by_the_date() {
        let ok = || vec![(Purpose::PushProbe, resp(200, &[], ADVERTISEMENT))];
        // After the announced removal: no offline rule (a date is a
        // prediction); one the host still takes is a warning, never a block.
        let after = Case::new(URL, Some("alice"), APP_PASSWORD);
        assert!(after.offline().is_none());
        let f = after.judge(ok());
        assert_eq!(f.reason, Reason::ExpiresSoon);
        assert!(f.message.contains("2026-07-28, which has passed"), "{}", f.message);
        assert!(f.fix[2].contains(API_TOKENS_URL) && f.fix[2].contains("write:repository:bitbucket"));
        // And git's 410 is what retires it.
        let f = after.judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-410-app-password.http"),
        )]);
        assert_eq!(f.reason, Reason::CredentialRetired);
        assert!(f.message.contains("HTTP 410"), "{}", f.message);

        // During the brownouts: it works, but not for long.
        let mut brownout = Case::new(URL, Some("alice"), APP_PASSWORD);
        brownout.now = day(2026, 6, 20);
        assert!(brownout.offline().is_none());
        let f = brownout.judge(ok());
        assert_eq!(f.reason, Reason::ExpiresSoon);
        assert!(f.message.contains("brownouts since 2026-06-09"), "{}", f.message);

        // Before: fine, with the date to move by.
        let mut before = Case::new(URL, Some("alice"), APP_PASSWORD);
        before.now = day(2026, 1, 15);
        let f = before.judge(ok());
        assert_eq!(f.reason, Reason::Ok);
        assert!(f.message.contains("stop working on 2026-07-28"), "{}", f.message);

        // Git's own answer after the removal, for an unprefixed one.
        let f = Case::new(URL, Some("alice"), "x7Gh2KpQ9mZr4TvW8yBn").judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-410-app-password.http"),
        )]);
        assert_eq!(f.reason, Reason::CredentialRetired);
        assert!(f.message.contains("older ones have no prefix"), "{}", f.message);
    }

    #[test]
    fn a_rejected_password_names_the_day_passwords_ended() {
        let f = Case::new(URL, Some("alice"), "correct-horse-battery")
            .judge(vec![(Purpose::PushProbe, resp(401, &[], ""))]);
        assert_eq!(f.reason, Reason::PasswordNotToken);
        assert!(f.message.contains("since 2022-03-01"), "{}", f.message);
        assert!(f.fix.iter().any(|l| l.contains("git credential reject")));
    }

    #[test]
    fn api_tokens_are_checked_on_the_git_host_only() {
        let case = Case::new(URL, Some("alice"), &api_token());
        let plan = case.plan();
        assert_eq!(plan.len(), 1, "never the REST API with the git username");
        assert_eq!(destinations(&plan), vec!["bitbucket.org"]);
        let f = case.judge(vec![(Purpose::PushProbe, resp(200, &[], ADVERTISEMENT))]);
        assert_eq!(f.reason, Reason::Ok, "{}", f.message);
        let f = case.judge(vec![(Purpose::PushProbe, resp(401, &[], ""))]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(
            f.message.contains("alice is not your Bitbucket username"),
            "{}",
            f.message
        );
    }

    #[test]
    fn access_tokens_also_ask_rest_for_their_scopes_on_the_api_host() {
        let case = Case::new(URL, Some(ACCESS_TOKEN_USERNAME), &access_token());
        let plan = case.plan();
        assert_eq!(destinations(&plan), vec!["api.bitbucket.org", "bitbucket.org"]);
        assert_eq!(
            planned(&plan, Purpose::Rest).url,
            "https://api.bitbucket.org/2.0/repositories/acme/widgets"
        );
        let rest = resp(
            200,
            &[
                ("X-OAuth-Scopes", "repository"),
                ("X-Credential-Type", "repo_access_token"),
            ],
            r#"{"full_name":"acme/widgets"}"#,
        );
        let f = case.judge(vec![
            (Purpose::PushProbe, fixture("bitbucket/probe-403-no-scope.http")),
            (Purpose::Rest, rest),
        ]);
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(f.message.contains("(it has repository)"), "{}", f.message);
        assert!(f.message.contains("repository:write"));
        assert_eq!(f.token.unwrap().scopes.unwrap(), vec!["repository"]);

        let wrong = Case::new(URL, Some("alice"), &access_token());
        let f = wrong.judge(vec![(Purpose::PushProbe, resp(401, &[], ""))]);
        assert_eq!(f.reason, Reason::WrongUsername);
        assert!(f.message.contains(ACCESS_TOKEN_USERNAME));
    }

    #[test]
    fn the_probe_403_texts_name_the_cause() {
        let case = Case::new(URL, Some(API_TOKEN_USERNAME), &api_token());
        let judge = |path: &str| case.judge(vec![(Purpose::PushProbe, fixture(path))]);
        let f = judge("bitbucket/probe-403-no-scope.http");
        assert_eq!(f.reason, Reason::MissingWriteScope);
        assert!(
            f.message
                .contains("read:repository:bitbucket and write:repository:bitbucket")
        );
        let f = judge("bitbucket/probe-403-no-access.http");
        assert_eq!(f.reason, Reason::NoRepoAccess);
        // Issue 10, case 8: workspace policies are not the account's access.
        let f = judge("bitbucket/probe-403-two-step-required.http");
        assert_eq!(f.reason, Reason::HostRefused);
        assert!(f.message.contains("two-step"));
        let f = judge("bitbucket/probe-403-ip-allowlist.http");
        assert_eq!(f.reason, Reason::HostRefused);
        assert!(f.message.contains("whitelist your IP"), "{}", f.message);
        assert!(f.fix[0].contains("IP allowlisting"));
        assert_eq!(
            case.judge(vec![(Purpose::PushProbe, Err(Failure::Timeout))]).reason,
            Reason::Timeout
        );
        assert_eq!(
            case.judge(vec![(Purpose::PushProbe, resp(500, &[], ""))]).reason,
            Reason::HostError
        );
    }

    /// Issue 10, case 6: an API token without scopes is refused by git with
    /// the same 401 as any other: say so first, and never "expired" for
    /// access tokens.
    #[test]
    fn a_refused_api_token_names_the_missing_scopes_and_access_tokens_never_expire() {
        let f = Case::new(URL, Some(API_TOKEN_USERNAME), &api_token()).judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-401-api-token.http"),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(
            f.message.contains("without scopes cannot be used for git"),
            "{}",
            f.message
        );
        assert!(
            f.message.contains("You may not have access to this repository"),
            "{}",
            f.message
        );
        assert!(f.fix[2].contains("Create API token with scopes"), "{:?}", f.fix);
        assert!(f.fix[2].contains("read:repository:bitbucket and write:repository:bitbucket"));
        let f = Case::new(URL, Some(ACCESS_TOKEN_USERNAME), &access_token()).judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-401-api-token.http"),
        )]);
        assert_eq!(f.reason, Reason::TokenInvalid);
        assert!(!f.message.contains("expired"), "{}", f.message);
        assert!(f.message.contains("do not expire"), "{}", f.message);
    }

    /// Issue 10, case 7: the 410 is the host's statement; during the
    /// brownouts it says so, and names the day of the removal.
    #[test]
    fn a_410_says_what_the_host_said_in_a_brownout_and_after_the_removal() {
        let mut brownout = Case::new(URL, Some("alice"), APP_PASSWORD);
        brownout.now = day(2026, 6, 20);
        let f = brownout.judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-410-app-password.http"),
        )]);
        assert_eq!(f.reason, Reason::CredentialRetired);
        assert!(
            f.message
                .contains("App passwords are deprecated and must be replaced with API tokens."),
            "{}",
            f.message
        );
        assert!(f.message.contains("brownout window"), "{}", f.message);
        assert!(!f.message.contains("http"), "no links in the words: {}", f.message);
        let f = Case::new(URL, Some("alice"), "x7Gh2KpQ9mZr4TvW8yBn").judge(vec![(
            Purpose::PushProbe,
            fixture("bitbucket/probe-410-app-password.http"),
        )]);
        assert_eq!(f.reason, Reason::CredentialRetired);
        assert!(f.message.contains("removed on 2026-07-28"), "{}", f.message);
    }
}
