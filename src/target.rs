//! Push target: which remote and URL `git push` would use (SPEC §3).
//!
//! gix reads the config and applies `pushurl`, `url`, `pushInsteadOf` and
//! `insteadOf` as git does; we compare against `git remote get-url --push` in
//! the tests. Deliberate difference: a bare URL given on the command line
//! outside a repository is not rewritten (there is no repository to read
//! `url.*` from; global rewrites then do not apply).

use anyhow::{Context, Result, anyhow, bail};

use crate::secret::Secret;

#[derive(Debug)]
pub struct PushTarget {
    pub remote: Option<String>,
    pub url: RemoteUrl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Https,
    Http,
    Ssh,
    Local,
    /// `git://`, `ext::`, remote helpers: nothing we can check.
    Other,
}

pub struct RemoteUrl {
    pub transport: Transport,
    /// What output shows: never with user info.
    pub display: String,
    /// The URL handed to `git credential fill`: with the username, if any,
    /// but never with a password.
    pub for_credential: String,
    /// `host` or `host:port` when a port is written: the key of
    /// `[hosts."…"]` and of `protocol=…/host=…` for git credential.
    pub host: String,
    /// Host alone, lowercased, without brackets.
    pub hostname: String,
    /// The path as in the URL, starting with `/`.
    pub path: String,
    /// `owner/name` (path without `.git` and slashes).
    pub repository: String,
    pub username: Option<String>,
    /// A password written in the URL itself; git uses it without asking helpers.
    pub password: Option<Secret>,
    /// `host:path` (scp-like) rather than `ssh://host/path`: git then names
    /// the path to the server without its leading slash.
    pub scp_like: bool,
}

/// Redacted: the password is a [`Secret`], and a username shaped like a
/// token (`https://TOKEN:x-oauth-basic@…`) is one too.
impl std::fmt::Debug for RemoteUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let token_user = self
            .username
            .as_deref()
            .filter(|u| crate::tokens::classify(u) != crate::tokens::TokenKind::Unrecognised)
            .map(Secret::new);
        let shown = |text: &str| match &token_user {
            Some(u) => crate::secret::scrub(text, u),
            None => text.to_owned(),
        };
        f.debug_struct("RemoteUrl")
            .field("transport", &self.transport)
            .field("display", &self.display)
            .field("for_credential", &shown(&self.for_credential))
            .field("host", &self.host)
            .field("path", &self.path)
            .field("hostname", &self.hostname)
            .field("repository", &self.repository)
            .field("username", &self.username.as_deref().map(shown))
            .field("password", &self.password)
            .field("scp_like", &self.scp_like)
            .finish()
    }
}

impl RemoteUrl {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            bail!("empty remote URL");
        }
        let url = gix::url::parse(text.as_bytes()).map_err(|_| not_a_url(text))?;
        Ok(Self::from_gix(&url))
    }

    pub fn from_gix(url: &gix::Url) -> Self {
        use gix::url::Scheme;
        let transport = match url.scheme {
            Scheme::Https => Transport::Https,
            Scheme::Http => Transport::Http,
            Scheme::Ssh => Transport::Ssh,
            Scheme::File => Transport::Local,
            _ => Transport::Other,
        };
        let hostname = url
            .host()
            .unwrap_or("")
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_ascii_lowercase();
        let host = match url.port {
            Some(port) if hostname.contains(':') => format!("[{hostname}]:{port}"),
            Some(port) => format!("{hostname}:{port}"),
            None if hostname.contains(':') => format!("[{hostname}]"),
            None => hostname.clone(),
        };
        let path = String::from_utf8_lossy(url.path.as_ref()).into_owned();
        let repository = path
            .split(['?', '#'])
            .next()
            .unwrap_or("")
            .trim_matches('/')
            .trim_end_matches(".git")
            .trim_end_matches('/')
            .to_owned();
        let mut bare = url.clone();
        bare.set_user(None);
        bare.set_password(None);
        let display = bare.to_bstring().to_string();
        let mut with_user = bare.clone();
        with_user.set_user(url.user().map(str::to_owned));
        Self {
            transport,
            display,
            for_credential: with_user.to_bstring().to_string(),
            host,
            hostname,
            path: if path.starts_with('/') {
                path
            } else {
                format!("/{path}")
            },
            repository,
            username: url.user().filter(|u| !u.is_empty()).map(str::to_owned),
            password: url.password().map(Secret::new),
            scp_like: url.serialize_alternative_form && transport == Transport::Ssh,
        }
    }

    /// `protocol` as git credential names it.
    pub fn protocol(&self) -> &'static str {
        match self.transport {
            Transport::Http => "http",
            _ => "https",
        }
    }

    /// Base of the repository for smart-HTTP requests, without a trailing slash.
    pub fn repo_base(&self) -> String {
        let path = self.path.split(['?', '#']).next().unwrap_or("").trim_end_matches('/');
        format!("{}://{}{}", self.protocol(), self.host, path)
    }
}

/// A repository opened for reading config, or none (URL mode outside a repo).
pub struct Repo {
    pub repo: gix::Repository,
}

impl Repo {
    pub fn discover() -> Result<Option<Self>> {
        // Hooks run with GIT_DIR set; otherwise look upwards as git does.
        // Not finding a repository is normal (URL mode); a repository that
        // cannot be opened (broken config) is an error worth a line.
        if std::env::var_os("GIT_DIR").is_none() && gix::discover::upwards(std::path::Path::new(".")).is_err() {
            return Ok(None);
        }
        // Only gix's top-level message: its error chain quotes the config
        // text it choked on, which may be a secret. git names the place
        // (file and line) without quoting it.
        let repo = gix::discover_with_environment_overrides(".").map_err(|e| {
            let place = crate::git::config_complaint()
                .map(|c| format!(" ({c})"))
                .unwrap_or_default();
            anyhow!("{}{place}", without_userinfo(&e.to_string()))
        });
        let repo = repo.context("opening the git repository")?;
        Ok(Some(Self { repo }))
    }

    pub fn work_tree(&self) -> Option<std::path::PathBuf> {
        self.repo.workdir().map(std::path::Path::to_path_buf)
    }

    /// Push remote of the current branch: `branch.<b>.pushRemote`,
    /// `remote.pushDefault`, `branch.<b>.remote`, then `origin`.
    pub fn push_remote_name(&self) -> String {
        let branch = self
            .repo
            .head_name()
            .ok()
            .flatten()
            .map(|name| name.shorten().to_string());
        if let Some(branch) = branch {
            if let Some(name) = self
                .repo
                .branch_remote_name(branch.as_str(), gix::remote::Direction::Push)
            {
                return name.as_bstr().to_string();
            }
        } else if let Some(name) = self.repo.config_snapshot().string("remote.pushDefault") {
            return name.to_string();
        }
        "origin".to_owned()
    }

    pub fn remote_names(&self) -> Vec<String> {
        self.repo
            .remote_names()
            .iter()
            .map(std::string::ToString::to_string)
            .collect()
    }

    pub fn has_remote(&self, name: &str) -> bool {
        self.repo.remote_names().iter().any(|n| n.as_slice() == name.as_bytes())
    }

    pub fn push_target(&self, name: &str) -> Result<PushTarget> {
        let remote = self
            .repo
            .find_remote(name)
            .map_err(|e| anyhow!("remote '{name}': {}", without_userinfo(&e.to_string())))?;
        let url = remote
            .url(gix::remote::Direction::Push)
            .ok_or_else(|| anyhow!("remote '{name}' has no URL"))?;
        Ok(PushTarget {
            remote: Some(name.to_owned()),
            url: RemoteUrl::from_gix(url),
        })
    }

    /// A URL given on the command line, rewritten by `url.*.pushInsteadOf`
    /// and `insteadOf` as `git push URL` would.
    pub fn url_target(&self, text: &str) -> Result<PushTarget> {
        let parsed = gix::url::parse(text.trim().as_bytes()).map_err(|_| not_a_url(text))?;
        let remote = self
            .repo
            .remote_at(parsed.clone())
            .map_err(|e| anyhow!("{}", without_userinfo(&e.to_string())))?;
        let url = remote.url(gix::remote::Direction::Push).unwrap_or(&parsed);
        Ok(PushTarget {
            remote: None,
            url: RemoteUrl::from_gix(url),
        })
    }
}

/// The error for text that is not a URL. gix's own error quotes the whole
/// input, user info included (`input="https://alice:TOKEN@exa mple.com"`):
/// never forward it (SPEC §7 rule 1). A text that failed to parse has no
/// reliable structure, so everything up to its last `@` is hidden.
fn not_a_url(text: &str) -> anyhow::Error {
    let text = text.trim();
    let shown = match text.rfind('@') {
        Some(at) => {
            let scheme = text.find("://").filter(|i| *i < at).map_or("", |i| &text[..i + 3]);
            format!("{scheme}…{}", &text[at..])
        }
        None => text.to_owned(),
    };
    let shown: String = shown.chars().map(|c| if c.is_control() { '?' } else { c }).collect();
    let shown = match shown.char_indices().nth(120) {
        Some((cut, _)) => format!("{}…", &shown[..cut]),
        None => shown,
    };
    anyhow!("not a git URL: {shown:?}")
}

/// Cuts the user info out of every `scheme://user:password@host` in `text`:
/// for messages of other libraries (gix, git) that may quote URLs. The user
/// info is what lies between `://` and the last `@` before the next `/` (as
/// git's `credential_from_url` reads it); without a `/`, up to the text's
/// end. A space or a quote does not end it: a URL that failed to parse may
/// hold either in its password.
pub fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find('/').unwrap_or(tail.len());
        rest = match tail[..end].rfind('@') {
            Some(cut) => {
                out.push('…');
                // Scanning resumes at the `@`: a later URL is still found.
                &tail[cut..]
            }
            None => tail,
        };
    }
    out.push_str(rest);
    out
}

pub fn url_target_without_repo(text: &str) -> Result<PushTarget> {
    Ok(PushTarget {
        remote: None,
        url: RemoteUrl::parse(text)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_cut_from_every_url_in_a_text() {
        assert_eq!(
            without_userinfo(r#"input="https://alice:pa ss"word@exa mple.com/x""#),
            r#"input="https://…@exa mple.com/x""#
        );
        assert_eq!(
            without_userinfo(r#"bad url, input="https://alice:s3cret@exa mple.com/x", at https://b:p2@h/y"#),
            r#"bad url, input="https://…@exa mple.com/x", at https://…@h/y"#
        );
        assert_eq!(
            without_userinfo("https://a:p@h, then https://b:q@h2/"),
            "https://…@h, then https://…@h2/"
        );
        assert_eq!(without_userinfo("no url here @ all"), "no url here @ all");
        assert_eq!(without_userinfo("https://host/@scope/pkg"), "https://host/@scope/pkg");
        assert_eq!(without_userinfo("ünï://ü:ö@ä/"), "ünï://…@ä/");
    }

    /// Regression: gix's parse error quotes its whole input, and
    /// `RemoteUrl::parse` forwarded it, so `check 'https://u:TOKEN@bad host/'`
    /// printed the token.
    #[test]
    fn bug_url_parse_errors_quoted_the_password() {
        for text in [
            "https://alice:s3cretS3CRET@exa mple.com/x",
            "https://s3cretS3CRET@exa mple.com/x",
            "https://alice:s3cretS3CRET@[::1/x",
            "https://alice:s3cret/S3CRET@host:99999/x",
        ] {
            let e = format!("{:#}", RemoteUrl::parse(text).unwrap_err());
            assert!(!e.contains("s3cret") && !e.contains("S3CRET"), "{e}");
            assert!(e.starts_with("not a git URL: "), "{e}");
        }
    }

    #[test]
    fn https_url_parts() {
        let u = RemoteUrl::parse("https://alice:s3cret@GitHub.com/acme/widgets.git/").unwrap();
        assert_eq!(u.transport, Transport::Https);
        assert_eq!(u.host, "github.com");
        assert_eq!(u.repository, "acme/widgets");
        assert_eq!(u.username.as_deref(), Some("alice"));
        assert_eq!(u.password.as_ref().map(Secret::expose), Some("s3cret"));
        assert!(
            !u.display.contains("s3cret") && !u.display.contains("alice"),
            "{}",
            u.display
        );
        assert!(!u.for_credential.contains("s3cret"));
        assert_eq!(u.repo_base(), "https://github.com/acme/widgets.git");
    }

    #[test]
    fn ports_and_ipv6_are_kept_in_the_host_key() {
        let u = RemoteUrl::parse("http://127.0.0.1:8080/o/r.git").unwrap();
        assert_eq!(u.host, "127.0.0.1:8080");
        let u = RemoteUrl::parse("https://[::1]:8443/o/r").unwrap();
        assert_eq!(u.hostname, "::1");
        assert_eq!(u.host, "[::1]:8443");
    }

    #[test]
    fn a_url_that_does_not_parse_never_echoes_its_password() {
        for bad in [
            "https://alice:SECRETTOKEN@exa mple.com/x",
            "https://alice:SECRETTOKEN@host:99999/x",
            "ssh://alice:SECRETTOKEN@host:port/x",
        ] {
            let e = format!("{:#}", RemoteUrl::parse(bad).unwrap_err());
            assert!(!e.contains("SECRETTOKEN"), "{e}");
        }
        assert_eq!(
            without_userinfo("a https://u:p@h/x and http://h/y"),
            "a https://…@h/x and http://h/y"
        );
    }

    #[test]
    fn ssh_and_local_forms() {
        assert_eq!(
            RemoteUrl::parse("git@github.com:acme/w.git").unwrap().transport,
            Transport::Ssh
        );
        assert_eq!(
            RemoteUrl::parse("ssh://git@host:22/x").unwrap().transport,
            Transport::Ssh
        );
        assert_eq!(RemoteUrl::parse("/srv/repo.git").unwrap().transport, Transport::Local);
        assert_eq!(
            RemoteUrl::parse("file:///srv/repo.git").unwrap().transport,
            Transport::Local
        );
        assert_eq!(RemoteUrl::parse("../sibling").unwrap().transport, Transport::Local);
    }
}
