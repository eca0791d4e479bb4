//! What `git credential fill` prints, through our reading of it:
//! `git::parse_fill_output` then `Credential::from_protocol`. A credential's
//! `Debug` and redacted forms never show a secret long enough to be one.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::credential::{Credential, Source};
use prepush_auth::git;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let lines = git::parse_fill_output(&text);
    for source in [Source::Helper(text.to_string()), Source::Url, Source::Unknown] {
        let Some(cred) = Credential::from_protocol(&lines, source) else {
            continue;
        };
        let secret = cred.secret.expose().to_owned();
        let shown = cred.secret.redacted();
        let debug = format!("{:?}", cred.secret);
        if secret.chars().count() >= 20 {
            assert!(!shown.contains(&secret), "redacted form shows the secret");
            assert!(!debug.contains(&secret), "Debug shows the secret");
        }
        // The credential's Debug: the source (a shell helper's command line,
        // here the whole input) must not show through.
        let whole = format!("{cred:?}");
        if text.len() >= 20 && !cred.username.as_deref().is_some_and(|u| u.contains(text.as_ref())) {
            assert!(!whole.contains(text.as_ref()), "Debug shows the helper command");
        }
        let _ = cred.username_shown();
        let _ = cred.source.label();
        let _ = prepush_auth::tokens::malformed(&secret);
    }
});
