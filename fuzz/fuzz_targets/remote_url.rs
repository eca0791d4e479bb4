//! `RemoteUrl::parse` on anything. Besides not panicking:
//! - neither the shown URL nor the one handed to `git credential fill`
//!   carries a password;
//! - the URL handed to git names the same host and user as the remote, or
//!   git would give us another host's credential to send to this one;
//! - a canary planted in the password never shows, in an error message
//!   (everything before the last `@` of a URL that does not parse is
//!   hidden) or in the shown and credential URLs.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::target::{RemoteUrl, Transport};

/// Ours, so that the message can be checked exactly: the fuzzer's own
/// bytes may spell anything, our words and the rest of the URL included.
const CANARY: &str = "Zq9CANARYxPw";

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    check(text);
    // The same input with the canary planted at the end of its password
    // (after the fuzzer's own, so odd passwords keep their oddity).
    if !text.contains(CANARY)
        && let Some((scheme, rest)) = text.split_once("://")
        && let Some((userinfo, after)) = rest.rsplit_once('@')
    {
        let planted = format!("{scheme}://{userinfo}{CANARY}@{after}");
        match RemoteUrl::parse(&planted) {
            Err(e) => {
                let message = format!("{e:#}");
                assert!(!message.contains(CANARY), "{planted:?}: {message}");
            }
            Ok(url) if url.password.as_ref().is_some_and(|p| p.expose().contains(CANARY)) => {
                for shown in [&url.display, &url.for_credential, &format!("{url:?}")] {
                    assert!(!shown.contains(CANARY), "{planted:?}: {shown}");
                }
            }
            Ok(_) => {}
        }
    }
});

fn check(text: &str) {
    let Ok(url) = RemoteUrl::parse(text) else {
        return;
    };
    let _ = url.repo_base();
    let _ = url.protocol();
    let _ = format!("{url:?}");
    if !matches!(url.transport, Transport::Https | Transport::Http) {
        return;
    }
    for shown in [&url.display, &url.for_credential] {
        if let Ok(again) = RemoteUrl::parse(shown) {
            assert!(again.password.is_none(), "{shown:?} carries a password");
            assert_eq!(again.host, url.host, "{text:?} -> {shown:?}");
        }
    }
    if let Ok(again) = RemoteUrl::parse(&url.for_credential) {
        assert_eq!(again.username, url.username, "{text:?} -> {:?}", url.for_credential);
    }
}
