//! Token shapes (`tokens::{classify, known_prefix, malformed}`), the
//! redacted form and the scrubber. The input is `secret \0 text`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::secret::{Secret, scrub};
use prepush_auth::tokens;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (secret, around) = text.split_once('\0').unwrap_or((&text, ""));
    let kind = tokens::classify(secret);
    let _ = tokens::known_prefix(secret);
    if let Some(bad) = tokens::malformed(secret) {
        assert!(kind.is_github() || kind == tokens::TokenKind::HuggingfaceToken);
        let _ = bad.explain();
    }
    let _ = kind.describe();
    let s = Secret::new(secret);
    let shown = s.redacted();
    if secret.chars().count() >= 20 {
        assert!(!shown.contains(secret), "{shown}");
        let scrubbed = scrub(around, &s);
        assert!(!scrubbed.contains(secret), "scrub left the secret in {scrubbed:?}");
    }
});
