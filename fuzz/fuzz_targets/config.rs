//! The user's and a repository's config files: `Config::from_texts`.
//! Errors are one line, and a repository can never choose where a token
//! goes (no hosts from the repository file).
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::config::Config;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (user, repository) = text.split_once("\0").unwrap_or((&text, ""));
    for (u, r) in [(Some(user), None), (None, Some(user)), (Some(user), Some(repository))] {
        match Config::from_texts(u, r) {
            Ok(c) => {
                if u.is_none() {
                    assert!(c.hosts.is_empty(), "a repository named a host");
                }
                let _ = c.host("github.com");
            }
            Err(e) => {
                let message = format!("{e:#}");
                assert!(!message.contains('\n'), "{message}");
            }
        }
    }
});
