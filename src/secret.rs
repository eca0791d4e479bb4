//! The one type that holds a password or token.
//!
//! It has no `Display`, its `Debug` is redacted, and the bytes are reachable
//! only through [`Secret::expose`], which the HTTP and state modules use. The
//! compiler then helps keep SPEC §7 rule 1: the secret never reaches output.

use std::fmt;

pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw bytes, for an `Authorization` header or a keyed hash only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What output may show: a known prefix and the last four characters of a
    /// token (`ghp_…a1B2`), so the user can tell which token it was. Anything
    /// without a token's shape may be a password, of any length: nothing of
    /// it is shown.
    pub fn redacted(&self) -> String {
        let s = &self.0;
        let chars: Vec<char> = s.chars().collect();
        let token_shaped =
            crate::tokens::classify(s) != crate::tokens::TokenKind::Unrecognised || crate::tokens::is_azure_pat(s);
        if chars.len() < 20 || !token_shaped {
            return NOT_SHOWN.to_owned();
        }
        let prefix = crate::tokens::known_prefix(s).unwrap_or("");
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{prefix}…{tail}")
    }
}

/// How a secret that is no token (a password) is named: never a part of it.
/// "(hidden)" at the end of a sentence read as if something were concealed
/// from the user.
pub const NOT_SHOWN: &str = "password (not shown)";

impl Clone for Secret {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret({})", self.redacted())
    }
}

/// Replace every occurrence of `secret` in `text`. The last line of defence
/// for text that came from elsewhere (a host's error body, a helper's name
/// that is a shell snippet) and might quote the secret back.
pub fn scrub(text: &str, secret: &Secret) -> String {
    let raw = secret.expose();
    if raw.len() < 4 || !text.contains(raw) {
        return text.to_owned();
    }
    let shown = secret.redacted();
    let mut out = text.replace(raw, &shown);
    // The shown form keeps the last four characters, which can meet the
    // text that follows and spell the secret again (a secret that begins
    // with its own tail, quoted twice in a row; found by fuzzing). Replace
    // until it is gone: every round shortens the text, with the shown form
    // when it is shorter than the secret, else with a bare ellipsis.
    let filler = if shown.len() < raw.len() { shown.as_str() } else { "…" };
    while out.contains(raw) {
        out = out.replace(raw, filler);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_secret() {
        let s = Secret::new("ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
        let shown = format!("{s:?}");
        assert!(!shown.contains("ABCDEFGHIJ"), "{shown}");
        assert_eq!(shown, "Secret(ghp_…6789)");
    }

    #[test]
    fn passwords_show_no_characters_however_long() {
        assert_eq!(Secret::new("hunter22").redacted(), "password (not shown)");
        assert_eq!(
            Secret::new("correct horse battery staple, quite long").redacted(),
            "password (not shown)"
        );
    }

    /// Regression (fuzz target `tokens`): the redacted form's tail joined
    /// the following text and the secret appeared again in the output.
    #[test]
    fn bug_scrub_could_spell_the_secret_again() {
        // Token-shaped, so shown as prefix and tail: `ghp_…ghp_`, and the
        // tail meets the text after it.
        let raw = format!("ghp_{}ghp_", "x".repeat(17));
        let s = Secret::new(raw.clone());
        assert_eq!(s.redacted(), "ghp_…ghp_");
        let text = format!("{raw}{}", &raw[4..]);
        let out = scrub(&text, &s);
        assert!(!out.contains(&raw), "{out}");
        // Shown forms longer than the secret end too.
        let s = Secret::new("hidden");
        let out = scrub("hiddenhidden (hidden)", &s);
        assert!(!out.contains("hidden"), "{out}");
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let s = Secret::new("glpat-aaaaaaaaaaaaaaaaaaaa");
        let out = scrub("x glpat-aaaaaaaaaaaaaaaaaaaa y glpat-aaaaaaaaaaaaaaaaaaaa", &s);
        assert_eq!(out, "x glpat-…aaaa y glpat-…aaaa");
    }
}
