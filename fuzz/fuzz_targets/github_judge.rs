//! `providers::github::{offline, plan, judge, parse_expiration}` on any answer.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use prepush_auth::providers::{Answers, Context, github};
use prepush_auth::target::RemoteUrl;

fuzz_target!(|data: &[u8]| {
    let case = common::case(data);
    for remote in [
        "https://github.com/acme/widgets.git",
        "https://ghe.example:8443/acme/widgets",
    ] {
        let url = RemoteUrl::parse(remote).unwrap();
        let ctx = Context {
            url: &url,
            api: Some("https://api.github.com"),
            credential: &case.credential,
            remembered: case.remembered.as_ref(),
            now: case.now,
        };
        let _ = github::offline(&ctx);
        let _ = github::plan(&ctx);
        let finding = github::judge(&ctx, &Answers(case.answers.clone()));
        assert!(!finding.message.is_empty());
    }
    // The expiry header's two forms, and anything else.
    if let Some(Ok(rest)) = case.answers.first().map(|(_, o)| o)
        && let Some(v) = rest.header("github-authentication-token-expiration")
    {
        let _ = github::parse_expiration(v);
    }
    let _ = github::parse_expiration(&String::from_utf8_lossy(data));
});
