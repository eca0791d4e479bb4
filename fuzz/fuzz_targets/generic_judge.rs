//! `providers::generic::{plan, judge}` on any answer.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use prepush_auth::providers::{Answers, Context, Purpose, generic};
use prepush_auth::target::RemoteUrl;

fuzz_target!(|data: &[u8]| {
    let case = common::case(data);
    let url = RemoteUrl::parse("https://git.example.org/team/project.git").unwrap();
    let ctx = Context {
        url: &url,
        api: None,
        credential: &case.credential,
        remembered: case.remembered.as_ref(),
        now: case.now,
    };
    let _ = generic::plan(&ctx);
    // The generic judge reads only the probe: give it each answer as one.
    for (_, outcome) in &case.answers {
        let finding = generic::judge(&ctx, &Answers(vec![(Purpose::PushProbe, outcome.clone())]));
        assert!(!finding.message.is_empty());
    }
    let _ = generic::judge(&ctx, &Answers(Vec::new()));
});
