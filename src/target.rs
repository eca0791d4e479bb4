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

#[derive(Debug)]
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
}

impl RemoteUrl {
    pub fn parse(text: &str) -> Result<Self> {
        let text = text.trim();
        if text.is_empty() {
            bail!("empty remote URL");
        }
        let url = gix::url::parse(text.as_bytes()).map_err(|e| parse_error(&e))?;
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
        let repo = gix::discover_with_environment_overrides(".")
            .map_err(|e| anyhow!("{}", without_userinfo(&e.to_string())))
            .context("opening the git repository")?;
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
        let parsed = gix::url::parse(text.trim().as_bytes()).map_err(|e| parse_error(&e))?;
        let remote = self.repo.remote_at(parsed.clone()).map_err(|e| anyhow!("{e}"))?;
        let url = remote.url(gix::remote::Direction::Push).unwrap_or(&parsed);
        Ok(PushTarget {
            remote: None,
            url: RemoteUrl::from_gix(url),
        })
    }
}

/// gix quotes the whole input in its errors, password included.
fn parse_error(e: &dyn std::fmt::Display) -> anyhow::Error {
    anyhow!("not a git URL: {}", without_userinfo(&e.to_string()))
}

/// Removes `user:password@` from every URL in `text`, for messages about
/// URLs we could not parse (so no parser can be trusted to find them).
pub fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let authority_end = tail.find(['/', '"', ' ', '\'', '\n']).unwrap_or(tail.len());
        match tail[..authority_end].rfind('@') {
            Some(at) => {
                out.push_str("…@");
                rest = &tail[at + 1..];
            }
            None => rest = tail,
        }
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
