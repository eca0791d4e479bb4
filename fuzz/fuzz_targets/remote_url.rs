//! `RemoteUrl::parse` on anything. Besides not panicking:
//! - neither the shown URL nor the one handed to `git credential fill`
//!   carries a password;
//! - the URL handed to git names the same host and user as the remote, or
//!   git would give us another host's credential to send to this one;
//! - errors never quote a password.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::target::{RemoteUrl, Transport};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RemoteUrl::parse(text) {
        Ok(url) => {
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
        Err(e) => {
            let message = format!("{e:#}");
            // The user info as git would read it: after `://`, up to the last
            // `@`. Only a password that the message would not spell
            // without it (our own words included) can be told apart.
            if let Some((scheme, rest)) = text.split_once("://")
                && let Some((userinfo, after)) = rest.rsplit_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
                && password.len() >= 6
                && !format!("not a git URL: \"{scheme}://…@{after}\"").contains(password)
            {
                assert!(!message.contains(password), "{message}");
            }
        }
    }
});
