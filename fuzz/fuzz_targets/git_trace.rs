//! git's stderr under `GIT_TRACE` (which helpers ran) and `git config
//! --show-origin --null` output (where a helper is configured), and the
//! helper naming that output is built from.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::credential::Source;
use prepush_auth::git;

/// How output names a helper: its kind or its program, never an argument
/// of its command line (which may be a secret: `--token=…`, a shell
/// function's text).
fn check_named(command: &str) {
    let name = Source::Helper(command.to_owned()).place().name();
    // The program may come after `env` or `VAR=value`: it is shown as
    // itself (and only when it does not look like a token); anything else
    // of the line never.
    for word in command.split_whitespace().skip(1).filter(|w| w.len() >= 20) {
        assert!(name == word || !name.contains(word), "a helper's argument in its name");
    }
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
