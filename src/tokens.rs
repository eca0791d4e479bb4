//! Token shapes: what a secret is, judged from its text alone.
//!
//! Sources: PROVIDERS.md (GitHub's formats and checksum, GitLab, Bitbucket,
//! Bitbucket Data Center and Hugging Face prefixes).

use serde::Serialize;

use crate::provider::Provider;
use crate::secret::Secret;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    GithubClassicPat,
    GithubOauth,
    GithubAppUser,
    GithubInstallation,
    GithubRefresh,
    GithubFineGrainedPat,
    GithubLegacyHex,
    GitlabPat,
    GitlabDeployToken,
    GitlabCiJobToken,
    GitlabOauthAppSecret,
    BitbucketApiToken,
    BitbucketAccessToken,
    BitbucketAppPassword,
    BitbucketServerHttpToken,
    HuggingfaceToken,
    /// 40 hex characters on a Gitea, Forgejo or Codeberg host.
    GiteaToken,
    /// An Azure DevOps PAT: 52 base32 characters, or (since 2024) 84 with
    /// the signature `AZDO` at 76..80 (Microsoft DevOps blog, new PAT format).
    AzureDevopsPat,
    /// Nothing recognisable: an account password, or a token of a host whose
    /// format has no prefix (Azure DevOps, Gitea, older app passwords).
    Unrecognised,
}

/// Prefixes, longest first so that `github_pat_` wins over nothing and
/// `glcbt-` over nothing. Shown in the redacted form.
const PREFIXES: &[(&str, TokenKind)] = &[
    ("github_pat_", TokenKind::GithubFineGrainedPat),
    ("ghp_", TokenKind::GithubClassicPat),
    ("gho_", TokenKind::GithubOauth),
    ("ghu_", TokenKind::GithubAppUser),
    ("ghs_", TokenKind::GithubInstallation),
    ("ghr_", TokenKind::GithubRefresh),
    ("glpat-", TokenKind::GitlabPat),
    ("gldt-", TokenKind::GitlabDeployToken),
    ("glcbt-", TokenKind::GitlabCiJobToken),
    ("gloas-", TokenKind::GitlabOauthAppSecret),
    ("ATATT", TokenKind::BitbucketApiToken),
    ("ATCTT", TokenKind::BitbucketAccessToken),
    ("ATBB", TokenKind::BitbucketAppPassword),
    ("BBDC-", TokenKind::BitbucketServerHttpToken),
    ("hf_", TokenKind::HuggingfaceToken),
];

pub fn known_prefix(secret: &str) -> Option<&'static str> {
    PREFIXES.iter().find(|(p, _)| secret.starts_with(p)).map(|(p, _)| *p)
}

/// What the secret is on the host it is sent to. Some shapes mean a kind
/// only there: 40 hex characters are a legacy token on GitHub (and maybe on
/// an unknown host), every access token on Gitea and Forgejo, and no known
/// shape elsewhere; Azure DevOps PATs have no prefix at all.
pub fn classify_for(secret: &Secret, provider: Provider) -> TokenKind {
    let text = secret.expose();
    match (classify(text), provider) {
        (TokenKind::GithubLegacyHex, Provider::Github | Provider::Generic) => TokenKind::GithubLegacyHex,
        (TokenKind::GithubLegacyHex, Provider::Gitea) => TokenKind::GiteaToken,
        (TokenKind::GithubLegacyHex, _) => TokenKind::Unrecognised,
        (TokenKind::Unrecognised, Provider::AzureDevops) if is_azure_pat(text) => TokenKind::AzureDevopsPat,
        (kind, _) => kind,
    }
}

pub fn is_azure_pat(text: &str) -> bool {
    let legacy = text.len() == 52 && text.bytes().all(|b| matches!(b, b'a'..=b'z' | b'2'..=b'7'));
    let current = text.len() == 84 && text.bytes().all(|b| b.is_ascii_alphanumeric()) && &text[76..80] == "AZDO";
    legacy || current
}

pub fn classify(secret: &str) -> TokenKind {
    if let Some((_, kind)) = PREFIXES.iter().find(|(p, _)| secret.starts_with(p)) {
        return *kind;
    }
    if secret.len() == 40 && secret.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return TokenKind::GithubLegacyHex;
    }
    TokenKind::Unrecognised
}

impl TokenKind {
    pub fn is_github(self) -> bool {
        matches!(
            self,
            Self::GithubClassicPat
                | Self::GithubOauth
                | Self::GithubAppUser
                | Self::GithubInstallation
                | Self::GithubRefresh
                | Self::GithubFineGrainedPat
                | Self::GithubLegacyHex
        )
    }

    /// Tokens whose grants GitHub lists in `X-OAuth-Scopes`; for the others
    /// REST cannot show write access (PROVIDERS.md).
    pub fn github_reports_scopes(self) -> bool {
        matches!(self, Self::GithubClassicPat | Self::GithubOauth | Self::GithubLegacyHex)
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::GithubClassicPat => "classic personal access token",
            Self::GithubOauth => "OAuth token",
            Self::GithubAppUser => "GitHub App user token",
            Self::GithubInstallation => "GitHub App installation token",
            Self::GithubRefresh => "GitHub App refresh token",
            Self::GithubFineGrainedPat => "fine-grained personal access token",
            Self::GithubLegacyHex => "legacy 40-hex token",
            Self::GitlabPat | Self::BitbucketAccessToken | Self::HuggingfaceToken | Self::GiteaToken => "access token",
            Self::AzureDevopsPat => "personal access token",
            Self::GitlabDeployToken => "deploy token",
            Self::GitlabCiJobToken => "CI job token",
            Self::GitlabOauthAppSecret => "OAuth application secret",
            Self::BitbucketApiToken => "Atlassian API token",
            Self::BitbucketAppPassword => "app password",
            Self::BitbucketServerHttpToken => "HTTP access token",
            Self::Unrecognised => "password or token",
        }
    }
}

/// Why a token with a known prefix cannot be a whole token.
#[derive(Debug, PartialEq, Eq)]
pub enum Malformed {
    Length { expected: &'static str, actual: usize },
    Characters,
    Checksum,
}

impl Malformed {
    pub fn explain(&self) -> String {
        match self {
            Self::Length { expected, actual } => {
                format!("it is {actual} characters long where this kind has {expected}")
            }
            Self::Characters => "it holds characters this kind of token never has".to_owned(),
            Self::Checksum => "its built-in checksum does not match".to_owned(),
        }
    }
}

/// Offline shape check. `None` means the shape is plausible (or unknown).
pub fn malformed(secret: &str) -> Option<Malformed> {
    match classify(secret) {
        TokenKind::GithubClassicPat | TokenKind::GithubOauth | TokenKind::GithubAppUser | TokenKind::GithubRefresh => {
            github_checksummed(secret)
        }
        // Since 2026 installation tokens on github.com may be ~520 characters
        // (`ghs_<appid>_<jwt>`): only the 40-character form has a checksum.
        TokenKind::GithubInstallation => match secret.len().cmp(&40) {
            std::cmp::Ordering::Equal => github_checksummed(secret),
            std::cmp::Ordering::Less => Some(Malformed::Length {
                expected: "40 or more",
                actual: secret.len(),
            }),
            std::cmp::Ordering::Greater => None,
        },
        TokenKind::GithubFineGrainedPat => github_fine_grained(secret),
        // OAuth access tokens (`hf_oauth_…`) have a length of their own.
        TokenKind::HuggingfaceToken if secret.starts_with("hf_oauth_") => None,
        TokenKind::HuggingfaceToken => {
            let body = &secret[3..];
            if body.len() != 34 {
                Some(Malformed::Length {
                    expected: "37",
                    actual: secret.len(),
                })
            } else if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Some(Malformed::Characters)
            } else {
                None
            }
        }
        _ => None,
    }
}

/// `gh?_` + 30 random + 6 checksum, where the checksum is the CRC-32 (IEEE)
/// of the 30 random characters in base 62, left-padded with `0` to 6.
fn github_checksummed(secret: &str) -> Option<Malformed> {
    if secret.len() != 40 {
        return Some(Malformed::Length {
            expected: "40",
            actual: secret.chars().count(),
        });
    }
    let body = &secret[4..];
    if !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Some(Malformed::Characters);
    }
    let (random, checksum) = body.split_at(30);
    (base62_6(crc32fast::hash(random.as_bytes())) != checksum).then_some(Malformed::Checksum)
}

/// `github_pat_` + 22 + `_` + 59 alphanumerics.
fn github_fine_grained(secret: &str) -> Option<Malformed> {
    let body = &secret["github_pat_".len()..];
    if !body.is_ascii() {
        return Some(Malformed::Characters);
    }
    if body.len() != 82 {
        return Some(Malformed::Length {
            expected: "93",
            actual: secret.chars().count(),
        });
    }
    let (id, rest) = body.split_at(22);
    let ok = id.bytes().all(|b| b.is_ascii_alphanumeric())
        && rest.starts_with('_')
        && rest[1..].bytes().all(|b| b.is_ascii_alphanumeric());
    (!ok).then_some(Malformed::Characters)
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn base62_6(mut n: u32) -> String {
    let mut out = [b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
/// Builds a well-formed GitHub token of the given prefix from 30 random
/// characters; used by tests to make tokens that pass the checksum.
pub fn github_token_with_checksum(prefix: &str, random30: &str) -> String {
    assert_eq!(random30.len(), 30);
    format!("{prefix}{random30}{}", base62_6(crc32fast::hash(random30.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RANDOM: &str = "aBcDeFgHiJkLmNoPqRsTuVwXyZ0123";

    #[test]
    fn a_checksummed_classic_token_is_well_formed() {
        let t = github_token_with_checksum("ghp_", RANDOM);
        assert_eq!(t.len(), 40);
        assert_eq!(classify(&t), TokenKind::GithubClassicPat);
        assert_eq!(malformed(&t), None);
    }

    #[test]
    fn a_mistyped_character_fails_the_checksum() {
        let t = github_token_with_checksum("ghp_", RANDOM);
        let typo = t.replacen('a', "b", 1);
        assert_eq!(malformed(&typo), Some(Malformed::Checksum));
    }

    #[test]
    fn a_truncated_paste_is_the_wrong_length() {
        let t = github_token_with_checksum("ghp_", RANDOM);
        assert!(matches!(
            malformed(&t[..39]),
            Some(Malformed::Length { actual: 39, .. })
        ));
    }

    #[test]
    fn long_installation_tokens_are_accepted() {
        let t = format!("ghs_12345_{}", "x".repeat(510));
        assert_eq!(malformed(&t), None);
    }

    #[test]
    fn fine_grained_shape() {
        let good = format!("github_pat_{}_{}", "A".repeat(22), "b".repeat(59));
        assert_eq!(malformed(&good), None);
        assert!(malformed(&good[..good.len() - 3]).is_some());
    }

    #[test]
    fn base62_pads_with_zeros() {
        assert_eq!(base62_6(0), "000000");
        assert_eq!(base62_6(61), "00000z");
        assert_eq!(base62_6(62), "000010");
    }

    #[test]
    fn forty_hex_is_a_gitea_token_on_gitea_and_nothing_known_elsewhere() {
        let on = |text: &str, p| classify_for(&Secret::new(text), p);
        let hex = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(on(hex, Provider::Github), TokenKind::GithubLegacyHex);
        assert_eq!(on(hex, Provider::Gitea), TokenKind::GiteaToken);
        assert_eq!(on(hex, Provider::Gitlab), TokenKind::Unrecognised);
        assert_eq!(on("glpat-x", Provider::Gitea), TokenKind::GitlabPat);
    }

    #[test]
    fn azure_devops_pats_are_known_by_shape_on_azure_devops_only() {
        let on = |text: &str, p| classify_for(&Secret::new(text), p);
        let legacy = "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrst";
        let current = format!("{}AZDO{}", "A1b2".repeat(19), "x9Y8");
        assert_eq!(current.len(), 84);
        assert_eq!(on(legacy, Provider::AzureDevops), TokenKind::AzureDevopsPat);
        assert_eq!(on(&current, Provider::AzureDevops), TokenKind::AzureDevopsPat);
        assert_eq!(on(legacy, Provider::Generic), TokenKind::Unrecognised);
        assert_eq!(on("hunter2-hunter2", Provider::AzureDevops), TokenKind::Unrecognised);
    }

    #[test]
    fn hugging_face_oauth_tokens_are_not_cut_pats() {
        assert_eq!(malformed("hf_oauth_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789ab"), None);
        assert!(malformed("hf_AbCdEfGhIjKlMnOpQrStUvWxYz012").is_some());
    }

    #[test]
    fn unknown_text_is_unrecognised() {
        assert_eq!(classify("correct horse battery staple"), TokenKind::Unrecognised);
        assert_eq!(classify(&"a".repeat(40)), TokenKind::GithubLegacyHex);
    }
}
