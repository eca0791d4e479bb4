//! The credential git would send, and where it came from.

use std::time::Instant;

use anyhow::Result;
use chrono::{DateTime, TimeZone, Utc};

use crate::git::{self, FillOutcome};
use crate::helpers::{self, Kind, Place};
use crate::secret::Secret;
use crate::target::RemoteUrl;
use crate::tokens::{self, TokenKind};

pub struct Credential {
    pub username: Option<String>,
    pub secret: Secret,
    pub source: Source,
    /// Where the credential lives: the helper known by its command, and the
    /// environment variable it answered from (set by the engine).
    pub place: Place,
    /// `password_expiry_utc` from the helper (git ≥ 2.40).
    pub expiry: Option<DateTime<Utc>>,
    pub kind: TokenKind,
}

#[derive(Clone, PartialEq, Eq)]
pub enum Source {
    /// A helper command, as git runs it (`git credential-store`).
    Helper(String),
    /// Written into the remote URL (`https://user:secret@host/…`).
    Url,
    /// Handed to us by git (the helper protocol's `erase` or `get` input).
    Git,
    /// An `Authorization` header in `http.<url>.extraHeader`: git sends it
    /// on every request, before any helper is asked.
    Header {
        /// The config file that sets it, as `git config --show-origin` names it.
        file: String,
        /// The key, as git spells it (`http.https://github.com/.extraheader`).
        key: String,
        /// The shape actions/checkout writes (`AUTHORIZATION: basic` of
        /// `x-access-token:TOKEN` under `http.<origin>/.extraheader`).
        checkout: bool,
    },
    Unknown,
}

/// Redacted like everything that holds a secret: a shell helper's command
/// line (`!f() { echo password=TOKEN; }; f`) may be one, so `Debug` shows
/// the label, never the command.
impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Helper(_) => write!(f, "Helper({})", self.label()),
            Self::Url => f.write_str("Url"),
            Self::Git => f.write_str("Git"),
            Self::Header { key, .. } => write!(f, "Header({key})"),
            Self::Unknown => f.write_str("Unknown"),
        }
    }
}

/// Redacted: the secret and a token-shaped username show as output shows them.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("username", &self.username_shown())
            .field("secret", &self.secret)
            .field("source", &self.source)
            .field("place", &self.place)
            .field("expiry", &self.expiry)
            .field("kind", &self.kind)
            .finish()
    }
}

impl Source {
    /// What the helper is, known by its command (never the command itself).
    pub fn place(&self) -> Place {
        Place::new(match self {
            Self::Helper(cmd) => helpers::identify(cmd),
            Self::Url => Kind::Url,
            Self::Git => Kind::Git,
            Self::Header { file, key, checkout } => Kind::ExtraHeader {
                file: file.clone(),
                key: key.clone(),
                checkout: *checkout,
            },
            Self::Unknown => Kind::Unknown,
        })
    }

    /// For output: `store`, `gh`, `1password+gh`, `the remote URL`, …
    pub fn label(&self) -> String {
        self.place().name()
    }
}

pub enum Lookup {
    Found(Credential),
    /// Nobody answered: git would prompt, or fail without a terminal.
    Missing {
        helpers_run: Vec<String>,
    },
    TimedOut,
    Failed(String),
}

impl Credential {
    pub fn new(username: Option<String>, secret: Secret, source: Source) -> Self {
        let kind = tokens::classify(secret.expose());
        Self {
            username: username.filter(|u| !u.is_empty()),
            secret,
            place: source.place(),
            source,
            expiry: None,
            kind,
        }
    }

    /// The username as output may show it. GitHub's old convention puts the
    /// token in the username (`https://TOKEN:x-oauth-basic@github.com/…`), so
    /// a username shaped like a token is a secret and shown redacted.
    pub fn username_shown(&self) -> Option<String> {
        let user = self.username.as_deref()?;
        Some(if tokens::classify(user) == TokenKind::Unrecognised {
            user.to_owned()
        } else {
            Secret::new(user).redacted()
        })
    }

    /// Parses the `key=value` lines of git's credential protocol.
    pub fn from_protocol(lines: &[(String, String)], source: Source) -> Option<Self> {
        let get = |key: &str| lines.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
        // git ≥ 2.46 helpers may answer with a pre-encoded `credential` and
        // `authtype` instead of a password; a Bearer token is still a token.
        let secret = get("password").filter(|p| !p.is_empty()).or_else(|| {
            get("credential").filter(|_| get("authtype").is_some_and(|t| t.eq_ignore_ascii_case("bearer")))
        })?;
        let mut cred = Self::new(get("username").map(str::to_owned), Secret::new(secret), source);
        cred.expiry = get("password_expiry_utc")
            .and_then(|v| v.trim().parse::<i64>().ok())
            .and_then(|secs| Utc.timestamp_opt(secs, 0).single());
        Some(cred)
    }
}

/// The credential in an `Authorization` extra header git sends to `url`:
/// `Basic base64(user:token)` or `Bearer token` (the scheme in any case, as
/// HTTP allows). `None` when no matching header carries one.
pub fn from_extra_header(url: &RemoteUrl, entries: &[(String, String, String)]) -> Option<Credential> {
    use base64::Engine as _;
    let (file, key, value) = git::extra_headers_for_in(entries, url)
        .into_iter()
        .rev()
        .find(|(_, _, v)| {
            v.split_once(':')
                .is_some_and(|(name, _)| name.trim().eq_ignore_ascii_case("authorization"))
        })?;
    let (_, credentials) = value.split_once(':')?;
    let (scheme, rest) = credentials.trim().split_once(' ')?;
    let rest = rest.trim();
    let (username, token) = if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (user, token) = text.split_once(':')?;
        (Some(user.to_owned()), token.to_owned())
    } else if scheme.eq_ignore_ascii_case("bearer") {
        (None, rest.to_owned())
    } else {
        return None;
    };
    if token.is_empty() {
        return None;
    }
    // actions/checkout `src/git-auth-helper.ts`: key `http.${origin}/.extraheader`,
    // value `AUTHORIZATION: basic ${base64("x-access-token:" + token)}`.
    let checkout = username.as_deref() == Some("x-access-token") && key.ends_with("/.extraheader");
    let file = file.strip_prefix("file:").unwrap_or(&file).to_owned();
    Some(Credential::new(
        username,
        Secret::new(token),
        Source::Header { file, key, checkout },
    ))
}

/// Asks git for the credential it would send to `url`, strictly
/// non-interactively, in git's own order: an `Authorization` extra header
/// (sent on every request; git asks no helper while it works), a password
/// in the URL, then the helpers through `git credential fill` (which applies
/// `credential.<url>.username` and the URL's user itself).
pub fn lookup(url: &RemoteUrl, deadline: Instant) -> Result<Lookup> {
    if let Some(found) = from_extra_header(url, &git::extra_header_origins(deadline)) {
        return Ok(Lookup::Found(found));
    }
    if let Some(password) = &url.password {
        return Ok(Lookup::Found(Credential::new(
            url.username.clone(),
            password.clone(),
            Source::Url,
        )));
    }
    lookup_helpers(&url.for_credential, deadline)
}

/// What the helpers answer for `for_credential` (a URL without password,
/// with the username git would pass): `git credential fill`.
pub fn lookup_helpers(for_credential: &str, deadline: Instant) -> Result<Lookup> {
    Ok(match git::credential_fill(for_credential, deadline)? {
        FillOutcome::Answered { lines, helpers_run } => {
            let source = helpers_run.last().cloned().map_or(Source::Unknown, Source::Helper);
            match Credential::from_protocol(&lines, source) {
                Some(c) => Lookup::Found(c),
                None => Lookup::Missing { helpers_run },
            }
        }
        FillOutcome::NothingStored { helpers_run } => Lookup::Missing { helpers_run },
        FillOutcome::TimedOut => Lookup::TimedOut,
        FillOutcome::Failed(why) => Lookup::Failed(why),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn reads_username_password_and_expiry() {
        let c = Credential::from_protocol(
            &lines(&[
                ("username", "alice"),
                ("password", "hunter2"),
                ("password_expiry_utc", "1700000000"),
            ]),
            Source::Unknown,
        )
        .unwrap();
        assert_eq!(c.username.as_deref(), Some("alice"));
        assert_eq!(c.secret.expose(), "hunter2");
        assert_eq!(c.expiry.unwrap().timestamp(), 1_700_000_000);
    }

    #[test]
    fn a_bearer_credential_counts() {
        let c = Credential::from_protocol(
            &lines(&[("authtype", "Bearer"), ("credential", "tok")]),
            Source::Unknown,
        )
        .unwrap();
        assert_eq!(c.secret.expose(), "tok");
    }

    /// Every type that holds a secret formats it redacted with `{:?}` and
    /// `{:#?}`: the credential, its source, the URL it came from, the push
    /// target (SPEC §7 rule 1).
    #[test]
    fn debug_of_everything_that_holds_a_secret_is_redacted() {
        let token = "ghp_DEBUGdebugDEBUGdebugDEBUGdebug012345";
        let user_token = "ghp_USERuserUSERuserUSERuserUSER0123456";
        let helper = format!("f() {{ echo password={token}; }}; f");
        let cred = Credential::from_protocol(
            &lines(&[("username", user_token), ("password", token)]),
            Source::Helper(helper.clone()),
        )
        .unwrap();
        let url = RemoteUrl::parse(&format!("https://{user_token}:{token}@github.com/a/b.git")).unwrap();
        let target = crate::target::PushTarget {
            remote: Some("origin".to_owned()),
            url: RemoteUrl::parse(&format!("https://alice:{token}@github.com/a/b.git")).unwrap(),
        };
        let shown = [
            format!("{cred:?}"),
            format!("{cred:#?}"),
            format!("{:?}", Source::Helper(helper)),
            format!("{url:?}"),
            format!("{url:#?}"),
            format!("{target:?}"),
            format!("{:?}", cred.secret),
        ];
        for text in shown {
            for secret in [token, user_token, "DEBUGdebug", "USERuser"] {
                assert!(!text.contains(secret), "{secret} in {text}");
            }
        }
        assert!(format!("{cred:?}").contains("ghp_…2345"));
    }

    #[test]
    fn a_username_shaped_like_a_token_is_shown_redacted() {
        let c = Credential::new(
            Some("ghp_USERuserUSERuserUSERuserUSER0123456".to_owned()),
            Secret::new("x-oauth-basic"),
            Source::Url,
        );
        assert_eq!(c.username_shown().as_deref(), Some("ghp_…3456"));
        let c = Credential::new(Some("alice".to_owned()), Secret::new("x"), Source::Url);
        assert_eq!(c.username_shown().as_deref(), Some("alice"));
    }

    #[test]
    fn an_authorization_extra_header_is_the_credential() {
        use base64::Engine as _;
        let url = RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap();
        let token = "ghp_HEADERheaderHEADERheaderHEADER012345";
        let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
        let e = |key: &str, value: String| vec![("file:.git/config".to_owned(), key.to_owned(), value)];
        let c = from_extra_header(
            &url,
            &e(
                "http.https://github.com/.extraheader",
                format!("AUTHORIZATION: basic {basic}"),
            ),
        )
        .unwrap();
        assert_eq!(c.secret.expose(), token);
        assert_eq!(c.username.as_deref(), Some("x-access-token"));
        assert_eq!(
            c.source,
            Source::Header {
                file: ".git/config".into(),
                key: "http.https://github.com/.extraheader".into(),
                checkout: true
            }
        );
        assert!(!format!("{c:?}").contains("HEADERheader"));
        let c = from_extra_header(&url, &e("http.extraheader", format!("Authorization: Bearer {token}"))).unwrap();
        assert_eq!((c.secret.expose(), c.username), (token, None));
        assert!(matches!(c.source, Source::Header { checkout: false, .. }));
        // Other headers, other schemes, other hosts: no credential here.
        assert!(from_extra_header(&url, &e("http.extraheader", "X-Token: abc".into())).is_none());
        assert!(from_extra_header(&url, &e("http.extraheader", "Authorization: Negotiate abc".into())).is_none());
        assert!(
            from_extra_header(
                &url,
                &e(
                    "http.https://gitlab.com/.extraheader",
                    format!("Authorization: Bearer {token}")
                )
            )
            .is_none()
        );
    }

    #[test]
    fn no_password_is_no_credential() {
        assert!(Credential::from_protocol(&lines(&[("username", "alice")]), Source::Unknown).is_none());
    }
}
