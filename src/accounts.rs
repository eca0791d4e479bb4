//! The other accounts for this host (issue 20): when the credential git
//! sends may not push, the user often holds another one for the same host
//! that may, in the same helper or in another. Found on the failure path
//! only, asked with git's own push check under the check's deadline, and
//! named with the pin that makes git send it, which differs per helper.
//!
//! Where they are looked for, without asking anyone:
//! - `store` files, read as `git credential-store` reads them
//!   (`~/.git-credentials`, `$XDG_CONFIG_HOME/git/credentials`, or the
//!   helper's `--file`): one URL per line, the user info percent-encoded;
//! - `netrc` files (`machine HOST login USER password SECRET`);
//! - gh's logged-in accounts for the host (gh ≥ 2.40 keeps several per
//!   host under `users:` in `hosts.yml`); their tokens from
//!   `gh auth token -h HOST -u USER`;
//! - usernames in the URLs of the repository's other remotes, asked of
//!   the helpers with `git credential fill` for that username.
//!
//! The tokens are the user's own: each is sent only to the host it is
//! stored for, as git would send it, and never shown.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::credential::{Credential, Source};
use crate::helpers::{Kind, Place};
use crate::secret::Secret;
use crate::target::RemoteUrl;

/// Never more than this many accounts are asked about.
pub const MAX_ASKED: usize = 5;

/// Another credential git could be made to send to this host.
pub struct Candidate {
    pub credential: Credential,
}

impl Candidate {
    fn new(username: &str, secret: &str, source: Source, place: Place) -> Self {
        let mut credential = Credential::new(Some(username.to_owned()), Secret::new(secret), source);
        credential.place = place;
        Self { credential }
    }

    pub fn username(&self) -> &str {
        self.credential.username.as_deref().unwrap_or_default()
    }
}

/// The other accounts for `url`'s host, at most [`MAX_ASKED`], none with
/// `current`'s secret or username, each once.
pub fn candidates(
    url: &RemoteUrl,
    current: &Credential,
    other_remotes: &[RemoteUrl],
    deadline: Instant,
) -> Vec<Candidate> {
    let helpers = crate::git::helpers_for(url);
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let mut found: Vec<Candidate> = Vec::new();
    for command in &helpers {
        let kind = crate::helpers::identify(command);
        let source = || Source::Helper(command.clone());
        match &kind {
            Kind::Store { file } => {
                for path in store_files(file.as_deref(), home.as_deref()) {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (user, secret) in store_entries(&text, url) {
                        found.push(Candidate::new(&user, &secret, source(), Place::new(kind.clone())));
                    }
                }
            }
            Kind::Netrc { file } => {
                for path in netrc_files(file.as_deref(), home.as_deref()) {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for (user, secret) in netrc_entries(&text, &url.hostname) {
                        found.push(Candidate::new(&user, &secret, source(), Place::new(kind.clone())));
                    }
                }
            }
            Kind::Gh => {
                let program = gh_program(command);
                for user in gh_accounts(&url.host, &url.hostname) {
                    if found.len() >= MAX_ASKED * 2 {
                        break;
                    }
                    if current.username.as_deref() == Some(user.as_str()) {
                        continue;
                    }
                    if let Some(token) = crate::git::gh_auth_token(&program, &url.host, &user, deadline) {
                        found.push(Candidate::new(&user, token.expose(), source(), Place::new(Kind::Gh)));
                    }
                }
            }
            _ => {}
        }
    }
    // A username in another remote's URL: the helpers that select by
    // username answer for it (gh does not: it answers only for its active
    // account).
    for other in other_remotes {
        if found.len() >= MAX_ASKED * 2 {
            break;
        }
        let Some(user) = other.username.as_deref() else {
            continue;
        };
        if other.host != url.host || other.protocol() != url.protocol() {
            continue;
        }
        if found.iter().any(|c| c.username() == user) || current.username.as_deref() == Some(user) {
            continue;
        }
        let with_user = format!("{}://{user}@{}{}", url.protocol(), url.host, url.path);
        if let Ok(crate::credential::Lookup::Found(c)) = crate::credential::lookup_helpers(&with_user, deadline) {
            found.push(Candidate { credential: c });
        }
    }
    let mut seen: Vec<String> = Vec::new();
    found.retain(|c| {
        let key = c.username().to_owned();
        // A username shaped like a token (`https://TOKEN:x-oauth-basic@…`)
        // is a secret: such an account could not be named, nor pinned.
        let fresh = crate::tokens::classify(c.username()) == crate::tokens::TokenKind::Unrecognised
            && c.credential.secret.expose() != current.secret.expose()
            && current.username.as_deref() != Some(c.username())
            && !seen.contains(&key);
        seen.push(key);
        fresh
    });
    found.truncate(MAX_ASKED);
    found
}

/// Where `git credential-store` reads: its `--file`, else
/// `~/.git-credentials` and `$XDG_CONFIG_HOME/git/credentials` (or
/// `~/.config/git/credentials`), as its documentation says.
fn store_files(file: Option<&str>, home: Option<&Path>) -> Vec<PathBuf> {
    if let Some(f) = file {
        return vec![expand_home(f, home)];
    }
    let mut files = Vec::new();
    if let Some(h) = home {
        files.push(h.join(".git-credentials"));
    }
    match std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(x) => files.push(PathBuf::from(x).join("git/credentials")),
        None => files.extend(home.map(|h| h.join(".config/git/credentials"))),
    }
    files
}

fn netrc_files(file: Option<&str>, home: Option<&Path>) -> Vec<PathBuf> {
    if let Some(f) = file {
        return vec![expand_home(f, home)];
    }
    // The helper also reads `.gpg` files through gpg: those stay unread.
    home.map(|h| vec![h.join(".authinfo"), h.join(".netrc")])
        .unwrap_or_default()
}

fn expand_home(path: &str, home: Option<&Path>) -> PathBuf {
    match (path.strip_prefix("~/"), home) {
        (Some(rest), Some(h)) => h.join(rest),
        _ => PathBuf::from(path),
    }
}

/// `(username, secret)` of each store line for `url`'s protocol and host,
/// as credential-store matches them (the path only counts with
/// `credential.useHttpPath`, which git does not pass here).
pub fn store_entries(text: &str, url: &RemoteUrl) -> Vec<(String, String)> {
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8()
            .ok()
            .map(std::borrow::Cow::into_owned)
    };
    text.lines()
        .filter_map(|line| {
            let (scheme, rest) = line.trim().split_once("://")?;
            if !scheme.eq_ignore_ascii_case(url.protocol()) {
                return None;
            }
            let authority = rest.split('/').next()?;
            let (userinfo, host) = authority.rsplit_once('@')?;
            if !decode(host)?.eq_ignore_ascii_case(&url.host) {
                return None;
            }
            let (user, secret) = userinfo.split_once(':')?;
            let (user, secret) = (decode(user)?, decode(secret)?);
            (!user.is_empty() && !secret.is_empty()).then_some((user, secret))
        })
        .collect()
}

/// `(login, password)` of each netrc `machine` entry for `hostname`.
pub fn netrc_entries(text: &str, hostname: &str) -> Vec<(String, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < words.len() {
        if words[i] != "machine" {
            i += 1;
            continue;
        }
        let machine = words.get(i + 1).copied().unwrap_or_default();
        let (mut login, mut password) = (None, None);
        i += 2;
        while i < words.len() && words[i] != "machine" && words[i] != "default" {
            match (words[i], words.get(i + 1)) {
                ("login", Some(v)) => login = Some((*v).to_owned()),
                ("password", Some(v)) => password = Some((*v).to_owned()),
                _ => {}
            }
            i += 2;
        }
        if machine.eq_ignore_ascii_case(hostname)
            && let (Some(l), Some(p)) = (login, password)
        {
            out.push((l, p));
        }
    }
    out
}

/// The gh program the helper runs (`/usr/bin/gh auth git-credential`), or `gh`.
fn gh_program(command: &str) -> String {
    command
        .split_whitespace()
        .find(|w| Path::new(w).file_name().is_some_and(|n| n == "gh"))
        .unwrap_or("gh")
        .to_owned()
}

/// gh's config directory: `GH_CONFIG_DIR`, else `$XDG_CONFIG_HOME/gh`,
/// else `~/.config/gh` (cli/go-gh `pkg/config`).
fn gh_config_dir() -> Option<PathBuf> {
    if let Some(d) = std::env::var_os("GH_CONFIG_DIR").filter(|v| !v.is_empty()) {
        return Some(d.into());
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("gh"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/gh"))
}

/// The accounts gh is logged in to for the host: the keys of `users:`
/// under the host in `hosts.yml` (gh ≥ 2.40), and the active `user:`.
pub fn gh_accounts(host: &str, hostname: &str) -> Vec<String> {
    let Some(text) = gh_config_dir().and_then(|d| std::fs::read_to_string(d.join("hosts.yml")).ok()) else {
        return Vec::new();
    };
    let accounts = gh_hosts_accounts(&text, host);
    if accounts.is_empty() && host != hostname {
        return gh_hosts_accounts(&text, hostname);
    }
    accounts
}

/// The part of gh's `hosts.yml` that names accounts, as gh writes it: a
/// top-level key per host, under it `user: ACTIVE` and a `users:` map whose
/// keys are the logins (their values hold tokens only where gh could not
/// use a keyring: never read here).
pub fn gh_hosts_accounts(text: &str, host: &str) -> Vec<String> {
    let unquote = |s: &str| s.trim().trim_matches(|c| c == '"' || c == '\'').to_owned();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut out: Vec<String> = Vec::new();
    let mut in_host = false;
    let mut users_indent: Option<usize> = None;
    // The indent of the logins under `users:` (deeper keys are theirs).
    let mut login_indent: Option<usize> = None;
    for line in text.lines() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let depth = indent(line);
        if depth == 0 {
            in_host = line
                .strip_suffix(':')
                .is_some_and(|k| unquote(k).eq_ignore_ascii_case(host));
            users_indent = None;
            continue;
        }
        if !in_host {
            continue;
        }
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        match users_indent {
            Some(u) if depth > u => {
                if *login_indent.get_or_insert(depth) == depth {
                    let name = unquote(key);
                    if !out.contains(&name) {
                        out.push(name);
                    }
                }
                continue;
            }
            Some(_) => users_indent = None,
            None => {}
        }
        if key.trim() == "users" && value.trim().is_empty() {
            users_indent = Some(depth);
            login_indent = None;
        } else if key.trim() == "user" {
            let name = unquote(value);
            if !name.is_empty() && !out.contains(&name) {
                out.push(name);
            }
        }
    }
    out
}

/// The pin that makes git send `user`'s credential from `place`, for the
/// remote `remote` at `url`.
pub fn pin_line(place: &Place, url: &RemoteUrl, remote: Option<&str>, user: &str) -> String {
    let remote = remote.unwrap_or("origin");
    // In a URL the username is percent-encoded (`a@b.c` is `a%40b.c`), as
    // git decodes it; on a command line it is quoted when the shell would
    // split or expand it.
    let encoded = percent_encoding::utf8_percent_encode(user, USERINFO).to_string();
    let with_user = format!("{}://{encoded}@{}{}", url.protocol(), url.host, url.path);
    let with_user = crate::helpers::shell_word(&with_user);
    let user = crate::helpers::shell_word(user);
    match place.kind {
        Kind::Gh => format!(
            "make it gh's active account: `gh auth switch -h {} -u {user}` (gh's helper answers only for its active account, and nothing when git asks for another username, so a username in the remote URL does not select a gh account; where one tree always needs another account, give it a GH_CONFIG_DIR of its own)",
            url.host
        ),
        _ if url.username.is_some() => format!(
            "pin it in the remote URL: `git remote set-url {remote} {with_user}` ({} selects the credential by the username git asks for)",
            place.name()
        ),
        _ => format!(
            "pin it for this repository: `git config credential.{}://{}.username {user}` (or put it in the remote URL: git remote set-url {remote} {with_user}; {} selects the credential by the username git asks for)",
            url.protocol(),
            url.host,
            place.name()
        ),
    }
}

/// What a username may not hold unencoded in a URL's user info.
const USERINFO: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> RemoteUrl {
        RemoteUrl::parse("http://127.0.0.1:8080/acme/widgets.git").unwrap()
    }

    #[test]
    fn store_lines_are_read_as_credential_store_writes_them() {
        let text = "http://alice:s3cret%2Fx@127.0.0.1%3a8080\nhttps://bob:b@127.0.0.1%3a8080\nhttp://carol:c@127.0.0.1%3a8080/acme/widgets.git\nhttp://dave:d@example.com\njunk\n";
        assert_eq!(
            store_entries(text, &url()),
            vec![
                ("alice".to_owned(), "s3cret/x".to_owned()),
                ("carol".to_owned(), "c".to_owned())
            ]
        );
    }

    #[test]
    fn netrc_entries_for_the_host() {
        let text = "machine 127.0.0.1 login alice password a\nmachine example.com\n  login bob\n  password b\nmachine 127.0.0.1 login carol password c\n";
        assert_eq!(
            netrc_entries(text, "127.0.0.1"),
            vec![
                ("alice".to_owned(), "a".to_owned()),
                ("carol".to_owned(), "c".to_owned())
            ]
        );
    }

    /// gh 2.40's layout (`users:` per host), and older files with `user:` only.
    #[test]
    fn gh_accounts_per_host() {
        let text = "github.com:\n    users:\n        alice:\n        bob:\n            oauth_token: gho_x\n    git_protocol: https\n    user: bob\nghe.example.com:\n    user: carol\n    oauth_token: x\n";
        assert_eq!(gh_hosts_accounts(text, "github.com"), vec!["alice", "bob"]);
        assert_eq!(gh_hosts_accounts(text, "ghe.example.com"), vec!["carol"]);
        assert!(gh_hosts_accounts(text, "gitlab.com").is_empty());
    }

    #[test]
    fn the_pin_fits_the_helper() {
        let u = url();
        let store = pin_line(&Place::new(Kind::Store { file: None }), &u, Some("origin"), "bob");
        assert!(
            store.contains("`git config credential.http://127.0.0.1:8080.username bob`"),
            "{store}"
        );
        let email = pin_line(&Place::new(Kind::Store { file: None }), &u, Some("origin"), "a@b.c");
        assert!(email.contains("http://a%40b.c@127.0.0.1:8080/"), "{email}");
        let odd = pin_line(&Place::new(Kind::Store { file: None }), &u, Some("origin"), "it's me");
        assert!(odd.contains(".username 'it'\\''s me'`"), "{odd}");
        let gh = pin_line(&Place::new(Kind::Gh), &u, Some("origin"), "bob");
        assert!(gh.contains("`gh auth switch -h 127.0.0.1:8080 -u bob`"), "{gh}");
        assert!(gh.contains("does not select a gh account"), "{gh}");
        let with_user = RemoteUrl::parse("http://alice@127.0.0.1:8080/acme/widgets.git").unwrap();
        let pinned = pin_line(&Place::new(Kind::Osxkeychain), &with_user, Some("up"), "bob");
        assert!(
            pinned.contains("`git remote set-url up http://bob@127.0.0.1:8080/acme/widgets.git`"),
            "{pinned}"
        );
    }
}
