//! git's stderr under `GIT_TRACE` (which helpers ran) and `git config
//! --show-origin --null` output (where a helper is configured), and the
//! helper naming that output is built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::credential::Source;
use prepush_auth::git;
use prepush_auth::tokens::{self, TokenKind};

/// How output names a helper: its kind, or its program's own name, which
/// is shown only when it is not itself a token. (A program's name may
/// contain anything, so a substring check would only find the program.)
fn check_named(command: &str) {
    let name = Source::Helper(command.to_owned()).place().name();
    assert_eq!(
        tokens::classify(&name),
        TokenKind::Unrecognised,
        "a token as a helper's name"
    );
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for helper in git::helpers_from_trace(&text) {
        check_named(&helper);
        check_named(&git::helper_command(&helper));
    }
    for (origin, key, value) in git::parse_config_origins(&text) {
        let _ = (origin, key);
        check_named(&git::helper_command(&value));
    }
});
