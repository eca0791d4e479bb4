//! Where the token really lives, and how to replace it there.
//!
//! A credential helper is known by its command, not by the first word of
//! `credential.helper`: `!op plugin run -- gh auth git-credential` is
//! 1Password handing a token to gh, `gh auth git-credential` is gh,
//! `manager` is Git Credential Manager. Not every helper erases (SPEC §2,
//! last row): gh's `git-credential erase` is a no-op ("we don't want git to
//! cause user to be logged out", cli/cli `pkg/cmd/auth/gitcredential/helper.go`),
//! 1Password's plugin only reads an item, a shell function answers what it
//! echoes. So every fix line that gets rid of a stale token comes from here,
//! and names the one place that really holds it.

use std::path::Path;

use crate::secret::Secret;
use crate::target::RemoteUrl;

/// What supplied the credential, by what it is (never by its command text:
/// a shell helper's command may hold the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `gh auth git-credential`: GitHub CLI's login (or its environment).
    Gh,
    /// `op plugin run -- gh auth git-credential`: 1Password's shell plugin
    /// runs gh with the token of one item in its environment.
    OnePasswordGh,
    /// Git Credential Manager: `manager`, `manager-core`, `git-credential-manager`.
    Gcm,
    Osxkeychain,
    Wincred,
    Libsecret,
    /// `store`, with its `--file` when one is given.
    Store {
        file: Option<String>,
    },
    /// `cache`, with its `--socket` when one is given.
    Cache {
        socket: Option<String>,
    },
    /// `git-credential-oauth`: mints a token in the browser; a storage helper keeps it.
    Oauth,
    /// `netrc` (git's contrib helper): reads `~/.authinfo`, `~/.netrc` (or
    /// their `.gpg`) or the `-f` file; "Only \"get\" mode is supported"
    /// (git `contrib/credential/netrc/git-credential-netrc.perl`).
    Netrc {
        file: Option<String>,
    },
    /// A shell function or snippet (`!f() { …; }; f`).
    Shell,
    /// Any other program, by its name.
    Program(String),
    /// Written into the remote URL.
    Url,
    /// An `Authorization` header in `http.<url>.extraHeader`, which git
    /// sends on every request before it asks any helper; `checkout` when it
    /// has the shape actions/checkout persists.
    ExtraHeader {
        file: String,
        key: String,
        checkout: bool,
    },
    /// Handed to us by git (the helper protocol), from a helper we cannot name.
    Git,
    Unknown,
}

/// Where the credential lives: the helper, and the environment variable it
/// answered from (gh's `GH_TOKEN` …), by name only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    pub kind: Kind,
    pub env: Option<&'static str>,
    /// Where that variable is set, when a shell startup file says so
    /// (`~/.zshrc line 12`).
    pub env_set_in: Option<String>,
}

impl Place {
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            env: None,
            env_set_in: None,
        }
    }

    /// " (set in ~/.zshrc line 12)", or nothing.
    fn set_in(&self) -> String {
        self.env_set_in
            .as_deref()
            .map(|w| format!(" (set in {w})"))
            .unwrap_or_default()
    }

    /// The stable id of SPEC §5's `credential.helper`: `gh`, `1password+gh`,
    /// `gcm`, `osxkeychain`, `store`, `shell`, a program's name, `url`.
    pub fn id(&self) -> String {
        match &self.kind {
            Kind::Gh => "gh".into(),
            Kind::OnePasswordGh => "1password+gh".into(),
            Kind::Gcm => "gcm".into(),
            Kind::Osxkeychain => "osxkeychain".into(),
            Kind::Wincred => "wincred".into(),
            Kind::Libsecret => "libsecret".into(),
            Kind::Store { .. } => "store".into(),
            Kind::Cache { .. } => "cache".into(),
            Kind::Oauth => "oauth".into(),
            Kind::Netrc { .. } => "netrc".into(),
            Kind::Shell => "shell".into(),
            Kind::Program(p) => p.clone(),
            Kind::Url => "url".into(),
            Kind::ExtraHeader { .. } => "extraheader".into(),
            Kind::Git => "git".into(),
            Kind::Unknown => "unknown".into(),
        }
    }

    /// The name a person knows it by.
    pub fn name(&self) -> String {
        match &self.kind {
            Kind::Gh => "gh (GitHub CLI)".into(),
            Kind::OnePasswordGh => "1Password via gh".into(),
            Kind::Gcm => "Git Credential Manager".into(),
            Kind::Osxkeychain => "osxkeychain (macOS keychain)".into(),
            Kind::Wincred => "wincred (Windows Credential Manager)".into(),
            Kind::Libsecret => "libsecret (Secret Service keyring)".into(),
            Kind::Oauth => "git-credential-oauth".into(),
            Kind::Shell => "a shell function".into(),
            Kind::Url => "the remote URL".into(),
            Kind::ExtraHeader { .. } => "an http.extraHeader in git's config".into(),
            _ => self.id(),
        }
    }

    /// Where a credential came from, for a sentence: "from credential
    /// helper 'store'", "from 1Password, handed to git by gh (…)".
    /// Empty when nothing is known.
    pub fn from_phrase(&self) -> String {
        if let Some(var) = self.env {
            return format!("from the environment variable {var} (gh hands it to git before its own login)");
        }
        match &self.kind {
            Kind::Gh => "from gh (credential helper `gh auth git-credential`)".into(),
            Kind::OnePasswordGh => {
                "from 1Password, handed to git by gh (`op plugin run -- gh auth git-credential`)".into()
            }
            Kind::Gcm => "from Git Credential Manager".into(),
            Kind::Osxkeychain => "from the macOS keychain (credential helper 'osxkeychain')".into(),
            Kind::Wincred => "from Windows Credential Manager (credential helper 'wincred')".into(),
            Kind::Libsecret => "from the Secret Service keyring (credential helper 'libsecret')".into(),
            Kind::Oauth => "from git-credential-oauth".into(),
            Kind::Netrc { file } => format!(
                "from credential helper 'netrc'{}",
                file.as_deref().map(|f| format!(" ({f})")).unwrap_or_default()
            ),
            Kind::Shell => "from a credential helper written as a shell function".into(),
            Kind::Url => "written in the remote URL".into(),
            Kind::ExtraHeader { file, key, checkout } => format!(
                "from the Authorization header `{key}` ({file}: git sends it before asking any credential helper{})",
                if *checkout {
                    "; actions/checkout persists this token unless `persist-credentials: false`"
                } else {
                    ""
                }
            ),
            Kind::Git | Kind::Unknown => String::new(),
            Kind::Store { .. } | Kind::Cache { .. } | Kind::Program(_) => {
                format!("from credential helper '{}'", self.id())
            }
        }
    }

    /// Whether `git credential reject` removes the credential from here.
    fn erases(&self) -> Erases {
        if self.env.is_some() {
            return Erases::No;
        }
        match self.kind {
            // git-credential-oauth is "a read-only Git credential helper",
            // configured after a storage helper (its man page: `cache
            // --timeout 7200`, then `oauth`): that one erases, oauth mints anew.
            Kind::Gcm
            | Kind::Osxkeychain
            | Kind::Wincred
            | Kind::Libsecret
            | Kind::Store { .. }
            | Kind::Cache { .. }
            | Kind::Oauth
            | Kind::Git
            | Kind::Unknown => Erases::Yes,
            Kind::Gh
            | Kind::OnePasswordGh
            | Kind::Netrc { .. }
            | Kind::Shell
            | Kind::Url
            | Kind::ExtraHeader { .. } => Erases::No,
            Kind::Program(_) => Erases::Maybe,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Erases {
    Yes,
    No,
    Maybe,
}

/// Where the netrc helper looks without `-f`.
const NETRC_FILES: &str = "~/.netrc (or ~/.authinfo, or their .gpg)";

/// # The rule for fixes
///
/// A fix is a sequence of steps the user follows literally, top to bottom,
/// and then pushes. A line that starts with [`COMMAND`] (`$ `) is a command
/// to type as shown, after the `$ `; every other line is a step done by
/// hand (a settings page, an app). Two things keep such a sequence working:
///
/// - a step that makes git forget a credential comes before any step that
///   stores the new one, and names the username it forgets (`username=…`
///   in the `git credential reject` line) when there is one, so it can
///   never erase the new credential (it did: "store it under the right
///   username, then forget the one under the email address" emptied the
///   store, the new credential with it);
/// - each place gets its own route only: gh users `gh auth login` or
///   `gh auth refresh`, never a token made by hand; a variable is set where
///   it is set; a file the helper only reads is edited.
///
/// Every fix of a rejected credential is built by [`replace_steps`], every
/// missing GitHub scope by [`scope_steps`], every renewal by
/// [`renew_steps`]: providers only say how a new token is made.
pub const COMMAND: &str = "$ ";

/// Tests: what `sh` makes of `line`'s words (`printf '%s\n' LINE`), with
/// `HOME=/home/u` for the `~` a path may start with.
#[cfg(test)]
pub(crate) fn sh_words(line: &str) -> Vec<String> {
    let out = std::process::Command::new("sh")
        .args(["-c", &format!("printf '%s\\n' {line}")])
        .env("HOME", "/home/u")
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn command(line: &str) -> String {
    format!("{COMMAND}{line}")
}

/// One word as `sh` reads it: plain words as they are, anything else (a
/// space, a quote, a `$`) single-quoted. Every value a `$ ` line embeds
/// (a path, a URL, a username) goes through here.
pub fn shell_word(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@._+-=:/%".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The command that makes git forget a credential (SPEC §4); never run by
/// us. With a username, only the entry stored under it is forgotten. One
/// short word per line of git's input, so it wraps at its spaces.
pub fn reject_command(url: &RemoteUrl, username: Option<&str>) -> String {
    let user = username
        .filter(|u| !u.is_empty() && !u.contains(['\n', '\0']))
        .map(|u| format!(" {}", shell_word(&format!("username={u}"))))
        .unwrap_or_default();
    format!(
        r"printf '%s\n' protocol={} host={}{user} | git credential reject",
        url.protocol(),
        url.host
    )
}

/// What git asks for at the next push, and who keeps it.
fn push_and_give(place: &Place, new_username: Option<&str>, new_token: bool) -> String {
    let user = new_username.map_or_else(|| "your username".to_owned(), |u| format!("the username {u}"));
    let token = if new_token { "the new token" } else { "the same token" };
    let keeps = match &place.kind {
        Kind::Url | Kind::Git | Kind::Unknown => {
            " (a credential helper keeps them: `git config --global credential.helper store`)".to_owned()
        }
        _ => format!("; {} keeps them", place.name()),
    };
    format!("push: when git asks, give {user} and, as the password, {token}{keeps}")
}

/// The steps that replace a credential where it lives: forget `which` (the
/// stored one, under `old_username`), make a new token (`make`: "create a
/// new token: <page>"; `None` when the same token is kept and only the
/// username changes), and push, giving `new_username` when the host
/// needs a particular one. See the rule above.
pub fn replace_steps(
    place: &Place,
    url: &RemoteUrl,
    old_username: Option<&str>,
    which: &str,
    make: Option<&str>,
    new_username: Option<&str>,
) -> Vec<String> {
    let steps = steps_for_place(place, url, old_username, which, make, new_username);
    // git takes the username from the remote URL before any helper or
    // prompt: while the URL names another one, a credential stored under
    // the right username is never asked for, and git never asks for one.
    let in_url = url.username.as_deref();
    let uses_username = !matches!(place.kind, Kind::Url | Kind::Gh | Kind::OnePasswordGh) && place.env.is_none();
    match (new_username, in_url) {
        (Some(new), Some(old)) if new != old && uses_username => [
            format!("take the username {old} out of the remote URL first (git takes the username from the URL before asking any helper):"),
            command(&format!("git remote set-url <remote> {}", shell_word(&url.display))),
        ]
        .into_iter()
        .chain(steps)
        .collect(),
        _ => steps,
    }
}

/// [`replace_steps`] where the username is not in the way.
fn steps_for_place(
    place: &Place,
    url: &RemoteUrl,
    old_username: Option<&str>,
    which: &str,
    make: Option<&str>,
    new_username: Option<&str>,
) -> Vec<String> {
    let reject = command(&reject_command(url, old_username));
    let host = &url.host;
    let new = make.is_some();
    let make = make.map(str::to_owned);
    let push_again = "push again".to_owned();
    if let Some(var) = place.env {
        return make
            .into_iter()
            .chain([
                format!(
                    "set {var} to it where it is set{}, or `unset {var}` to let gh use its login: gh gives {var} to git first (`git credential reject` cannot change a variable)",
                    place.set_in()
                ),
                push_again,
            ])
            .collect();
    }
    match &place.kind {
        // gh signs in through the browser and hands git the new token: no
        // token made by hand, nothing to reject (gh ignores it).
        Kind::Gh => vec![
            command(&format!("gh auth login -h {host}")),
            "gh signs in through the browser and gives git the new token (it ignores `git credential reject`)".into(),
            push_again,
        ],
        Kind::OnePasswordGh => make
            .into_iter()
            .chain([
                "put it in the 1Password item the gh plugin uses (`op plugin inspect gh` shows which): the plugin only reads that item, so there is nothing to reject".into(),
                push_again,
            ])
            .collect(),
        Kind::Gcm | Kind::Oauth => vec![
            format!("forget {which}:"),
            reject,
            format!("push: {} signs you in again through the browser", place.name()),
        ],
        Kind::Store { file } => [
            format!(
                "forget {which} first{}:",
                file.as_deref().map(|f| format!(" (store keeps it in {f})")).unwrap_or_default()
            ),
            reject,
        ]
        .into_iter()
        .chain(make)
        .chain([push_and_give(place, new_username, new)])
        .collect(),
        Kind::Cache { socket } => [
            format!(
                "forget {which} first (or empty the whole cache: `git credential-cache{} exit`):",
                socket.as_deref().map(|s| format!(" --socket {}", shell_word(s))).unwrap_or_default()
            ),
            reject,
        ]
        .into_iter()
        .chain(make)
        .chain([push_and_give(place, new_username, new)])
        .collect(),
        Kind::Netrc { file } => {
            let file = file.as_deref().unwrap_or(NETRC_FILES);
            let change = match (new, new_username) {
                (true, Some(u)) => format!("in {file}, set the login for {host} to {u} and the password to the new token"),
                (true, None) => format!("in {file}, set the password for {host} to the new token"),
                (false, Some(u)) => format!("in {file}, set the login for {host} to {u}"),
                (false, None) => format!("in {file}, correct the entry for {host}"),
            };
            make.into_iter()
                .chain([
                    change,
                    "(the netrc helper only reads that file: `git credential reject` cannot remove it)".into(),
                    push_again,
                ])
                .collect()
        }
        Kind::Shell => {
            let change = match (new, new_username) {
                (true, Some(u)) => format!("make that shell-function helper answer the username {u} and the new token (git cannot make a shell function forget {which})"),
                (true, None) => format!("put the new token where that shell-function helper reads it (git cannot make a shell function forget {which})"),
                (false, Some(u)) => format!("make that shell-function helper answer the username {u}"),
                (false, None) => "change what that shell-function helper answers".into(),
            };
            make.into_iter().chain([change, push_again]).collect()
        }
        Kind::Program(p) => [
            format!("forget {which} ('{p}' may not implement erase; then change it where '{p}' reads it):"),
            reject,
        ]
        .into_iter()
        .chain(make)
        .chain([push_and_give(place, new_username, new)])
        .collect(),
        Kind::Url => [
            format!("take {which} out of the remote URL:"),
            command(&format!("git remote set-url <remote> {}", shell_word(&url.display))),
        ]
        .into_iter()
        .chain(make)
        .chain([push_and_give(place, new_username, new)])
        .collect(),
        // The header wins over every helper: while it is there no other
        // token is sent. actions/checkout writes it anew on every run.
        Kind::ExtraHeader { file, key, checkout: true } => {
            make.into_iter().chain([header_line(file, key, true, which)]).collect()
        }
        Kind::ExtraHeader { file, key, .. } => [
            format!(
                "remove {which} from the Authorization header (git sends it before any credential helper, so while it is there no other token is used):"
            ),
            command(&format!(
                "git config --file {} --unset-all {}",
                shell_word(file),
                shell_word(key)
            )),
        ]
        .into_iter()
        .chain(make)
        .chain([push_and_give(place, new_username, new)])
        .collect(),
        Kind::Osxkeychain | Kind::Wincred | Kind::Libsecret | Kind::Git | Kind::Unknown => {
            [format!("forget {which} first:"), reject]
                .into_iter()
                .chain(make)
                .chain([push_and_give(place, new_username, new)])
                .collect()
        }
    }
}

/// How to get rid of a token in an extra header: the header wins over
/// every helper, so a new token anywhere else is never sent while it stays.
fn header_line(file: &str, key: &str, checkout: bool, which: &str) -> String {
    if checkout {
        format!(
            "actions/checkout persists {which} in `{key}` ({file}) unless `persist-credentials: false`: give actions/checkout a token that may push (`with: token:`), or set `persist-credentials: false` and push with a credential of your own"
        )
    } else {
        format!(
            "then replace {which} in the header or remove it: git config --file {} --unset-all {} (git sends the header before any credential helper, so while it is there no other token is used)",
            shell_word(file),
            shell_word(key)
        )
    }
}

/// GitHub: the steps that give the token a missing `scope` where it
/// lives. gh: `gh auth refresh` (gh's own route); 1Password and the
/// environment: a new token with the scope, put where it is read; a
/// classic token elsewhere: the scope added on its page (the token, and
/// so the stored credential, stays the same). `page` is the tokens page.
pub fn scope_steps(place: &Place, host: &str, scope: &str, page: &str, new_page: &str) -> Vec<String> {
    let make = format!("create a new token with the {scope} scope: {new_page}");
    if let Some(var) = place.env {
        return vec![
            make,
            format!(
                "set {var} to it where it is set{} (gh prefers it over its login), or `unset {var}` and run `gh auth refresh -h {host} -s {scope}`",
                place.set_in()
            ),
            "push again".into(),
        ];
    }
    match place.kind {
        Kind::Gh => vec![
            command(&format!("gh auth refresh -h {host} -s {scope}")),
            "push again".into(),
        ],
        Kind::OnePasswordGh => vec![
            make,
            "put it in the 1Password item the gh plugin uses (`op plugin inspect gh` shows which)".into(),
            "push again".into(),
        ],
        _ => vec![
            format!("add the {scope} scope to this token on its page (the token stays the same): {page}"),
            "push again".into(),
        ],
    }
}

/// The steps for a token that works but expires soon: a new one made
/// before then, by the route of the place (gh: `gh auth login`).
pub fn renew_steps(place: &Place, url: &RemoteUrl, old_username: Option<&str>, make: &str) -> Vec<String> {
    std::iter::once("replace it before then:".to_owned())
        .chain(replace_steps(place, url, old_username, "the old one", Some(make), None))
        .collect()
}

/// Where the stale credential lives, for a block that rejects it:
/// `origin` is the config key and file of the helper entry, when known.
pub fn lives_line(place: &Place, url: &RemoteUrl, origin: Option<&str>) -> Option<String> {
    let origin = origin.map(|o| format!(" ({o})")).unwrap_or_default();
    if let Some(var) = place.env {
        return Some(format!(
            "the stale token is the environment variable {var}{}: gh prefers it over its own login{origin}",
            place.set_in()
        ));
    }
    Some(match &place.kind {
        Kind::Url => "the secret is written in the remote URL: `git remote set-url` it without the token".into(),
        Kind::ExtraHeader { file, key, .. } => format!(
            "the token git sends is the Authorization header `{key}` in {file}: git sends it on every request; when the host refuses it, git asks the credential helpers but still sends the header, then makes them erase their credential"
        ),
        Kind::Git | Kind::Unknown => return None,
        Kind::Gh => format!(
            "the stale token is gh's login for {} (`gh auth status -h {}` shows it){origin}",
            url.host, url.host
        ),
        Kind::OnePasswordGh => {
            format!("the stale token is in 1Password, read by `op plugin run -- gh auth git-credential`{origin}")
        }
        Kind::Shell => format!("the stale token comes from a shell-function helper{origin}"),
        _ => format!("the stale credential is stored by helper '{}'{origin}", place.id()),
    })
}

/// The note under a refusal seen by the observe helper: git now calls
/// `erase` on every helper. Whether that helps depends on the place.
pub fn after_refusal_note(place: &Place) -> String {
    match place.erases() {
        Erases::Yes => {
            "git now erases it from every credential helper; if it comes back, it is stored where git cannot erase it"
                .into()
        }
        Erases::No => format!(
            "git now asks every helper to erase it, but {} keeps it: it comes back until it is replaced there",
            place.name()
        ),
        Erases::Maybe => format!(
            "git now asks every helper to erase it; if it comes back, {} does not erase, and the token has to be changed where it reads it",
            place.name()
        ),
    }
}

/// What happened to a refused credential, told later (`check`, `status`):
/// what git did with it, and what to do now.
pub fn after_refusal_past(place: &Place) -> String {
    match (place.erases(), &place.kind) {
        (Erases::Yes, Kind::Git | Kind::Unknown) => {
            "git then erased it from its credential helpers: store a new one (push, and enter a new token when git asks)".into()
        }
        (Erases::Yes, _) => format!(
            "git then erased it from {}: store a new one (push, and enter a new token when git asks)",
            place.name()
        ),
        (Erases::No, _) => format!("{} still holds it: replace it there", place.name()),
        (Erases::Maybe, _) => format!(
            "git asked {} to erase it: if it comes back, replace it where {} reads it",
            place.name(),
            place.name()
        ),
    }
}

/// gh answers from these variables before its stored login: `GH_TOKEN`,
/// `GITHUB_TOKEN` for github.com (and `*.ghe.com`, `github.localhost`);
/// `GH_ENTERPRISE_TOKEN`, `GITHUB_ENTERPRISE_TOKEN` for any other host, and
/// `GITHUB_TOKEN` there only in Codespaces (cli/go-gh `pkg/auth/auth.go`
/// `tokenForHost`; checked with Debian's gh 2.23 against a loopback host).
fn gh_variables(hostname: &str, codespaces: bool) -> &'static [&'static str] {
    let h = hostname.to_ascii_lowercase();
    let dotcom_like = h == "github.com"
        || h.ends_with(".github.com")
        || h == "github.localhost"
        || h.ends_with(".github.localhost")
        || h.ends_with(".ghe.com");
    match (dotcom_like, codespaces) {
        (true, _) => &["GH_TOKEN", "GITHUB_TOKEN"],
        (false, false) => &["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN"],
        (false, true) => &["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "GITHUB_TOKEN"],
    }
}

/// The variable gh took `secret` from, when gh is the helper and the
/// variable it prefers holds exactly this secret (compared, never shown).
pub fn gh_variable(
    kind: &Kind,
    hostname: &str,
    secret: &Secret,
    env: impl Fn(&str) -> Option<String>,
) -> Option<&'static str> {
    if *kind != Kind::Gh {
        return None;
    }
    let codespaces = env("CODESPACES").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
    let first = gh_variables(hostname, codespaces)
        .iter()
        .copied()
        .find(|v| env(v).is_some_and(|x| !x.is_empty()))?;
    (env(first).as_deref() == Some(secret.expose())).then_some(first)
}

/// Where `var` is set, when a shell startup file in `home` assigns it:
/// `~/.zshrc line 12`. Read only once a variable is known to be the stale
/// token; the line itself is never shown (it holds the token).
pub fn variable_set_in(var: &str, home: &Path) -> Option<String> {
    const FILES: &[&str] = &[
        ".bashrc",
        ".bash_profile",
        ".bash_login",
        ".profile",
        ".zshenv",
        ".zprofile",
        ".zshrc",
        ".config/fish/config.fish",
        ".envrc",
    ];
    FILES.iter().find_map(|file| {
        let text = std::fs::read_to_string(home.join(file)).ok()?;
        let line = text.lines().position(|line| {
            let l = line.trim_start();
            let l = ["export ", "set -gx ", "set -x ", "setenv "]
                .iter()
                .find_map(|p| l.strip_prefix(p))
                .unwrap_or(l)
                .trim_start();
            l.strip_prefix(var)
                .is_some_and(|rest| rest.starts_with('=') || rest.starts_with(' '))
        })?;
        Some(format!("~/{file} line {}", line + 1))
    })
}

/// Knows a helper by the command git runs (`git credential-store --file x`,
/// `/usr/bin/gh auth git-credential`, a `!` shell snippet without its `!`).
pub fn identify(command: &str) -> Kind {
    let trimmed = command.trim();
    if is_function(trimmed) {
        return Kind::Shell;
    }
    let words = shell_words(trimmed);
    let mut rest: &[String] = &words;
    // `VAR=value prog …`, `exec prog`, `env prog`: the program comes after.
    while let Some(w) = rest.first() {
        if w == "exec" || w == "env" || is_assignment(w) {
            rest = &rest[1..];
        } else {
            break;
        }
    }
    let Some((program, args)) = rest.split_first() else {
        return Kind::Shell;
    };
    let base = program_name(program);
    if base == "git" {
        return match args.split_first() {
            Some((sub, more)) if sub.starts_with("credential-") => by_name(&sub["credential-".len()..], more),
            _ => Kind::Program("git".into()),
        };
    }
    if let Some(name) = base.strip_prefix("git-credential-") {
        return by_name(name, args);
    }
    match base.as_str() {
        "gh" if runs_gh_helper(args) => Kind::Gh,
        "op" if op_runs_gh(args) => Kind::OnePasswordGh,
        _ => program_kind(&base),
    }
}

/// A helper by the name after `git credential-` (`credential.helper = store`).
fn by_name(name: &str, args: &[String]) -> Kind {
    let name = name.strip_suffix(".exe").unwrap_or(name);
    match name {
        "manager" | "manager-core" => Kind::Gcm,
        "osxkeychain" => Kind::Osxkeychain,
        "wincred" => Kind::Wincred,
        "libsecret" => Kind::Libsecret,
        "store" => Kind::Store {
            file: option(args, &["--file"]),
        },
        "cache" => Kind::Cache {
            socket: option(args, &["--socket"]),
        },
        "oauth" => Kind::Oauth,
        "netrc" => Kind::Netrc {
            file: option(args, &["-f", "--file"]),
        },
        other => program_kind(other),
    }
}

/// A program's name is shown only when it looks like one: never text that
/// could be a token or a snippet.
fn program_kind(name: &str) -> Kind {
    let plain = !name.is_empty()
        && name.len() <= 40
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c))
        && crate::tokens::classify(name) == crate::tokens::TokenKind::Unrecognised;
    if plain {
        Kind::Program(name.to_owned())
    } else {
        Kind::Shell
    }
}

/// `gh auth git-credential`.
fn runs_gh_helper(args: &[String]) -> bool {
    args.windows(2)
        .next()
        .is_some_and(|w| w[0] == "auth" && w[1] == "git-credential")
}

/// `op plugin run [--] gh auth git-credential` (1Password's shell plugin).
fn op_runs_gh(args: &[String]) -> bool {
    let Some(at) = args.windows(2).position(|w| w[0] == "plugin" && w[1] == "run") else {
        return false;
    };
    let mut rest = &args[at + 2..];
    while rest.first().is_some_and(|w| w.starts_with('-')) {
        rest = &rest[1..];
    }
    rest.split_first()
        .is_some_and(|(prog, more)| program_name(prog) == "gh" && runs_gh_helper(more))
}

/// `/opt/homebrew/bin/gh` → `gh`; `C:/…/git-credential-manager.exe` → `git-credential-manager`.
fn program_name(word: &str) -> String {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    base.strip_suffix(".exe").unwrap_or(base).to_owned()
}

fn option(args: &[String], names: &[&str]) -> Option<String> {
    let mut it = args.iter();
    while let Some(a) = it.next() {
        for n in names {
            if a == n {
                return it.next().cloned();
            }
            if let Some(v) = a.strip_prefix(&format!("{n}=")) {
                return Some(v.to_owned());
            }
        }
    }
    None
}

fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit())
    })
}

/// `f() { …; }; f` or `function f { …; }`: a shell function.
fn is_function(text: &str) -> bool {
    text.starts_with("function ")
        || text.find("()").is_some_and(|i| {
            let name = text[..i].trim();
            !name.is_empty() && !name.contains(char::is_whitespace) && text[i + 2..].trim_start().starts_with('{')
        })
}

/// Words as `sh` splits them: quotes and backslashes, nothing else.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                word.extend(chars.by_ref().take_while(|&c| c != '\''));
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' => word.extend(chars.next()),
                        c => word.push(c),
                    }
                }
            }
            '\\' => {
                in_word = true;
                word.extend(chars.next());
            }
            c if c.is_whitespace() || c == ';' || c == '|' || c == '&' => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
                if !c.is_whitespace() {
                    // A second command: only the first one names the helper.
                    break;
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// The program a helper command needs (its name, or the path as written),
/// when it is not installed: git
/// looks for `git-credential-NAME` in its exec-path and on `PATH`; a
/// shell snippet's first program on `PATH`; an absolute path as written.
pub fn missing_program(command: &str, exec_path: Option<&Path>) -> Option<String> {
    let trimmed = command.trim();
    if is_function(trimmed) {
        return None;
    }
    let words = shell_words(trimmed);
    let first = words
        .iter()
        .find(|w| !is_assignment(w) && *w != "exec" && *w != "env")?;
    let needed = if program_name(first) == "git" {
        let sub = words.iter().skip_while(|w| *w != first).nth(1)?;
        if !sub.starts_with("credential-") {
            return None;
        }
        format!("git-{sub}")
    } else {
        first.clone()
    };
    // The shell expands `~`, `$HOME` and friends (we do not), and a word
    // that is no plain program name may be a secret written into the
    // helper: neither is ever called missing, nor shown.
    let plain = !needed.starts_with('~')
        && needed
            .split('/')
            .filter(|part| !part.is_empty())
            .all(|part| matches!(program_kind(part), Kind::Program(_)));
    if !plain {
        return None;
    }
    let found = if needed.contains('/') {
        Path::new(&needed).is_file()
    } else {
        let path = std::env::var_os("PATH").unwrap_or_default();
        exec_path
            .map(Path::to_path_buf)
            .into_iter()
            .chain(std::env::split_paths(&path))
            .any(|dir| dir.join(&needed).is_file())
            || SHELL_BUILTINS.contains(&needed.as_str())
    };
    (!found).then(|| {
        if needed.contains('/') {
            needed
        } else {
            program_name(&needed)
        }
    })
}

/// Commands a `!` snippet may start with that are no program on PATH.
const SHELL_BUILTINS: &[&str] = &[
    "echo", "printf", "test", "[", "read", "cat", ":", "true", "false", "eval", ".",
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::helper_command;

    fn id(value: &str) -> String {
        Place::new(identify(&helper_command(value))).id()
    }

    fn url() -> RemoteUrl {
        RemoteUrl::parse("https://github.com/acme/widgets.git").unwrap()
    }

    #[test]
    fn helpers_are_known_by_their_command() {
        for (value, want) in [
            ("gh", "gh"),
            ("!gh auth git-credential", "gh"),
            ("!/usr/bin/gh auth git-credential", "gh"),
            ("!'/opt/my tools/gh' auth git-credential", "gh"),
            (
                "!/opt/homebrew/bin/op plugin run -- gh auth git-credential",
                "1password+gh",
            ),
            ("!op plugin run gh auth git-credential", "1password+gh"),
            ("manager", "gcm"),
            ("manager-core", "gcm"),
            ("/usr/local/bin/git-credential-manager", "gcm"),
            (
                "!\"C:/Program Files/Git/mingw64/bin/git-credential-manager.exe\"",
                "gcm",
            ),
            ("osxkeychain", "osxkeychain"),
            ("wincred", "wincred"),
            ("libsecret", "libsecret"),
            (
                "/usr/share/doc/git/contrib/credential/libsecret/git-credential-libsecret",
                "libsecret",
            ),
            ("store", "store"),
            ("store --file ~/.my-credentials", "store"),
            ("cache --timeout 300", "cache"),
            ("oauth", "oauth"),
            ("!git-credential-oauth", "oauth"),
            ("netrc -f ~/.authinfo.gpg", "netrc"),
            ("!f() { echo username=x; echo password=ghp_x; }; f", "shell"),
            ("!function f { echo x; }; f", "shell"),
            ("!pass-git-helper $@", "pass-git-helper"),
            ("!GH_HOST=x /usr/bin/gh auth git-credential", "gh"),
            ("keepassxc --unlock 0", "keepassxc"),
            ("!echo password=ghp_16C7e42F292c6912E7710c838347Ae178B4a", "echo"),
            ("!ghp_16C7e42F292c6912E7710c838347Ae178B4a", "shell"),
            ("!", "shell"),
        ] {
            assert_eq!(id(value), want, "{value}");
        }
        // `gh` without `auth git-credential` is some other use of gh.
        assert_eq!(identify("gh api user"), Kind::Program("gh".into()));
    }

    #[test]
    fn store_and_cache_keep_their_file_and_socket() {
        assert_eq!(
            identify(&helper_command("store --file=/x/creds")),
            Kind::Store {
                file: Some("/x/creds".into())
            }
        );
        assert_eq!(
            identify(&helper_command("store --file '/a b/c'")),
            Kind::Store {
                file: Some("/a b/c".into())
            }
        );
        assert_eq!(
            identify(&helper_command("cache --socket /run/s")),
            Kind::Cache {
                socket: Some("/run/s".into())
            }
        );
    }

    fn steps(kind: Kind, user: Option<&str>) -> Vec<String> {
        replace_steps(
            &Place::new(kind),
            &url(),
            user,
            "the old one",
            Some("create a new token: https://github.com/settings/tokens/new"),
            None,
        )
    }

    const REJECT: &str = r"$ printf '%s\n' protocol=https host=github.com | git credential reject";

    #[test]
    fn the_fix_is_the_one_that_works_where_the_token_lives() {
        assert_eq!(
            steps(Kind::Gh, None),
            [
                "$ gh auth login -h github.com",
                "gh signs in through the browser and gives git the new token (it ignores `git credential reject`)",
                "push again"
            ]
        );
        let op = steps(Kind::OnePasswordGh, None);
        assert!(
            op[1].contains("1Password item") && op[1].contains("op plugin inspect gh"),
            "{op:?}"
        );
        assert!(!op.iter().any(|l| l.contains("git credential reject |")), "{op:?}");
        assert!(steps(Kind::Gcm, None).iter().any(|l| l == REJECT));
        assert!(steps(Kind::Gcm, None).last().unwrap().contains("browser"));
        for k in [
            Kind::Osxkeychain,
            Kind::Wincred,
            Kind::Libsecret,
            Kind::Store { file: None },
        ] {
            let s = steps(k, None);
            assert_eq!(
                s[..2],
                ["forget the old one first:".to_owned(), REJECT.to_owned()],
                "{s:?}"
            );
        }
        assert!(
            steps(
                Kind::Store {
                    file: Some("/x/c".into())
                },
                None
            )[0]
            .contains("(store keeps it in /x/c)")
        );
        assert!(steps(Kind::Cache { socket: None }, None)[0].contains("git credential-cache exit"));
        assert!(
            steps(
                Kind::Cache {
                    socket: Some("/s".into())
                },
                None
            )[0]
            .contains("git credential-cache --socket /s exit")
        );
        for k in [Kind::Shell, Kind::Netrc { file: None }] {
            assert!(
                !steps(k.clone(), None).iter().any(|l| l.contains("credential reject |")),
                "{k:?}"
            );
        }
        assert!(
            steps(Kind::Url, None)
                .contains(&"$ git remote set-url <remote> https://github.com/acme/widgets.git".to_owned())
        );
        let env = Place {
            kind: Kind::Gh,
            env: Some("GH_TOKEN"),
            env_set_in: None,
        };
        let l = replace_steps(&env, &url(), None, "the old one", Some("make one"), None);
        assert!(
            l[1].contains("set GH_TOKEN") && !l.iter().any(|x| x.contains("reject |")),
            "{l:?}"
        );
    }

    /// A `$ ` line is pasted into a shell: a config file in a directory
    /// with a space, a socket path, a URL are one word each there.
    #[test]
    fn paths_and_urls_in_commands_are_one_shell_word() {
        let sh = sh_words;
        let header = Place::new(Kind::ExtraHeader {
            file: "/home/a/My Repos/w/.git/config".into(),
            key: "http.https://github.com/.extraheader".into(),
            checkout: false,
        });
        let l = replace_steps(&header, &url(), None, "the old one", None, None);
        let line = l.iter().find_map(|x| x.strip_prefix(COMMAND)).unwrap();
        assert_eq!(
            sh(line),
            [
                "git",
                "config",
                "--file",
                "/home/a/My Repos/w/.git/config",
                "--unset-all",
                "http.https://github.com/.extraheader"
            ]
        );
        let cache = steps(
            Kind::Cache {
                socket: Some("/run/my sock".into()),
            },
            None,
        );
        assert!(
            cache[0].contains("git credential-cache --socket '/run/my sock' exit"),
            "{cache:?}"
        );
        let odd = RemoteUrl::parse("https://github.com/acme/it's%20here.git").unwrap();
        let l = replace_steps(&Place::new(Kind::Url), &odd, None, "it", None, None);
        // `<remote>` is named by the engine before it is printed.
        let line = l.iter().find_map(|x| x.strip_prefix(COMMAND)).unwrap();
        let line = line.replace("<remote>", "origin");
        assert_eq!(sh(&line).last().unwrap(), &odd.display, "{line}");
    }

    /// The rule: a forget step comes before every step that stores, and
    /// names the username it forgets, so it cannot erase the new one.
    #[test]
    fn forgetting_comes_first_and_names_its_username() {
        for kind in [
            Kind::Store { file: None },
            Kind::Cache { socket: None },
            Kind::Osxkeychain,
            Kind::Gcm,
            Kind::Url,
            Kind::Program("p".into()),
        ] {
            let s = steps(kind.clone(), Some("me@example.com"));
            let forget = s.iter().position(|l| l.starts_with(COMMAND)).unwrap();
            let make = s.iter().position(|l| l.starts_with("create")).unwrap_or(usize::MAX);
            let push = s.iter().position(|l| l.starts_with("push")).unwrap();
            assert!(forget < make.min(push), "{kind:?}: {s:?}");
            if !matches!(kind, Kind::Url) {
                assert!(s[forget].contains(" username=me@example.com |"), "{kind:?}: {s:?}");
            }
        }
        // A username the shell would split or expand is quoted.
        assert_eq!(
            reject_command(&url(), Some("it's $x")),
            r"printf '%s\n' protocol=https host=github.com 'username=it'\''s $x' | git credential reject"
        );
    }

    #[test]
    fn the_note_after_a_refusal_says_whether_git_erase_helps() {
        assert!(after_refusal_note(&Place::new(Kind::Store { file: None })).starts_with("git now erases it"));
        assert!(after_refusal_note(&Place::new(Kind::OnePasswordGh)).contains("but 1Password via gh keeps it"));
        assert!(
            after_refusal_note(&Place::new(Kind::Program("p".into()))).contains("if it comes back, p does not erase")
        );
    }

    #[test]
    fn gh_scope_fixes_refresh_the_login() {
        let gh = Place::new(Kind::Gh);
        assert_eq!(
            scope_steps(&gh, "github.com", "workflow", "P", "N"),
            ["$ gh auth refresh -h github.com -s workflow", "push again"]
        );
        assert!(
            scope_steps(&Place::new(Kind::OnePasswordGh), "github.com", "repo", "P", "N")[1].contains("1Password item")
        );
        assert_eq!(
            scope_steps(&Place::new(Kind::Store { file: None }), "github.com", "repo", "P", "N")[0],
            "add the repo scope to this token on its page (the token stays the same): P"
        );
    }

    #[test]
    fn gh_prefers_the_environment_and_the_variable_is_named_only_when_it_is_the_token() {
        let tok = "ghp_envenvenvenvenvenvenvenvenvenvenv0";
        let secret = Secret::new(tok);
        let with = |pairs: &[(&'static str, &str)]| {
            let pairs: Vec<(&str, String)> = pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
            move |k: &str| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
        };
        let gh = |host: &str, pairs: &[(&'static str, &str)]| gh_variable(&Kind::Gh, host, &secret, with(pairs));
        assert_eq!(gh("github.com", &[("GH_TOKEN", tok)]), Some("GH_TOKEN"));
        assert_eq!(
            gh("github.com", &[("GH_TOKEN", ""), ("GITHUB_TOKEN", tok)]),
            Some("GITHUB_TOKEN")
        );
        // An Enterprise host reads GH_ENTERPRISE_TOKEN, never GH_TOKEN.
        assert_eq!(gh("ghe.example.com", &[("GH_TOKEN", tok)]), None);
        assert_eq!(
            gh("127.0.0.1", &[("GITHUB_ENTERPRISE_TOKEN", tok)]),
            Some("GITHUB_ENTERPRISE_TOKEN")
        );
        assert_eq!(
            gh("127.0.0.1", &[("CODESPACES", "true"), ("GITHUB_TOKEN", tok)]),
            Some("GITHUB_TOKEN")
        );
        assert_eq!(gh("acme.ghe.com", &[("GH_TOKEN", tok)]), Some("GH_TOKEN"));
        // Another value: the token came from elsewhere.
        assert_eq!(gh("github.com", &[("GH_TOKEN", "ghp_other")]), None);
        // 1Password's plugin sets its own variable inside `op`, not here.
        assert_eq!(
            gh_variable(&Kind::OnePasswordGh, "github.com", &secret, with(&[("GH_TOKEN", tok)])),
            None
        );
    }

    #[test]
    fn where_the_stale_variable_is_set_is_named_by_file_and_line() {
        let home = tempfile::tempdir().unwrap();
        std::fs::write(home.path().join(".bashrc"), "# GH_TOKEN=old\nalias x=y\n").unwrap();
        assert_eq!(variable_set_in("GH_TOKEN", home.path()), None);
        std::fs::write(
            home.path().join(".zshrc"),
            "export PATH=x\nexport GH_TOKENS=no\n  export GH_TOKEN=ghp_x\n",
        )
        .unwrap();
        assert_eq!(
            variable_set_in("GH_TOKEN", home.path()).as_deref(),
            Some("~/.zshrc line 3")
        );
        std::fs::create_dir_all(home.path().join(".config/fish")).unwrap();
        std::fs::write(
            home.path().join(".config/fish/config.fish"),
            "set -gx GITHUB_TOKEN ghp_y\n",
        )
        .unwrap();
        assert_eq!(
            variable_set_in("GITHUB_TOKEN", home.path()).as_deref(),
            Some("~/.config/fish/config.fish line 1")
        );
        let place = Place {
            kind: Kind::Gh,
            env: Some("GH_TOKEN"),
            env_set_in: Some("~/.zshrc line 3".into()),
        };
        assert!(
            replace_steps(&place, &url(), None, "the old one", Some("m"), None)[1].contains("(set in ~/.zshrc line 3)")
        );
    }

    #[test]
    fn a_missing_helper_program_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("git-credential-store"), "").unwrap();
        let exec = Some(dir.path());
        assert_eq!(missing_program("git credential-store", exec), None);
        assert_eq!(
            missing_program("git credential-nosuchhelper --x", exec).as_deref(),
            Some("git-credential-nosuchhelper")
        );
        assert_eq!(
            missing_program("/no/such/op plugin run -- gh auth git-credential", exec).as_deref(),
            Some("/no/such/op")
        );
        assert_eq!(missing_program("f() { echo; }; f", exec), None);
        assert_eq!(missing_program("echo password=x", exec), None);
        // A token written as the helper is never shown, and what the shell
        // expands is never called missing.
        let token = crate::tokens::github_token_with_checksum("ghp_", "0123456789abcdefghijABCDEFGHIJ");
        assert_eq!(missing_program(&token, exec), None);
        assert_eq!(missing_program(&format!("/opt/{token}/helper"), exec), None);
        assert_eq!(missing_program("~/bin/helper get", exec), None);
        assert_eq!(missing_program("$HOME/bin/helper", exec), None);
        assert_eq!(missing_program("{ echo; }", exec), None);
    }

    #[test]
    fn subjects_name_the_place_and_never_the_command() {
        let shell = Place::new(identify("f() { echo password=ghp_SECRETsecret; }; f"));
        assert!(!shell.from_phrase().contains("SECRET"));
        assert_eq!(
            shell.from_phrase(),
            "from a credential helper written as a shell function"
        );
        assert!(
            Place::new(Kind::OnePasswordGh)
                .from_phrase()
                .starts_with("from 1Password, handed to git by gh")
        );
        assert_eq!(
            Place::new(Kind::Store { file: None }).from_phrase(),
            "from credential helper 'store'"
        );
    }
}
