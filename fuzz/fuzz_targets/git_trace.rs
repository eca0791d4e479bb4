//! git's stderr under `GIT_TRACE` (which helpers ran) and `git config
//! --show-origin --null` output (where a helper is configured), and the
//! helper naming that output is built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::git;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for helper in git::helpers_from_trace(&text) {
        let name = git::helper_short_name(&helper);
        // A shell helper's text may be anything, a secret included: it is
        // never shown, only "a shell helper".
        if !helper.starts_with("git credential-") && !helper.starts_with('/') {
            assert_eq!(name, "a shell helper");
        }
        let _ = git::helper_short_name(&git::helper_command(&helper));
    }
    for (origin, key, value) in git::parse_config_origins(&text) {
        let _ = (origin, key);
        let _ = git::helper_short_name(&git::helper_command(&value));
    }
});
