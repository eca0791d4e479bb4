//! User and repository configuration (SPEC §6).
//!
//! The repository file may only change behaviour; it can never name an API
//! endpoint or a provider, because a cloned repository must not be able to
//! send your token elsewhere (SPEC §6, tested).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::provider::Provider;

#[derive(Debug, Clone)]
pub struct Config {
    pub timeout_ms: u64,
    pub warn_expiry_days: i64,
    pub strict: bool,
    pub enabled: bool,
    /// How long a positive verdict is reused without asking the host again.
    pub cache_ttl_seconds: u64,
    pub hosts: BTreeMap<String, HostConfig>,
    /// One-line notices about the config itself (ignored repository keys).
    pub notices: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostConfig {
    pub provider: Provider,
    pub api: Option<String>,
}

/// Behaviour keys, the same in both files.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Behaviour {
    timeout_ms: Option<u64>,
    warn_expiry_days: Option<i64>,
    strict: Option<bool>,
    enabled: Option<bool>,
    cache_ttl_seconds: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UserFile {
    #[serde(flatten)]
    behaviour: Behaviour,
    #[serde(default)]
    hosts: BTreeMap<String, HostConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            timeout_ms: 3000,
            warn_expiry_days: 7,
            strict: false,
            enabled: true,
            cache_ttl_seconds: 300,
            hosts: BTreeMap::new(),
            notices: Vec::new(),
        }
    }
}

/// A repository may lower or raise the deadline, but not past this: a
/// cloned repository must not be able to make every push wait a minute.
const REPO_TIMEOUT_CAP_MS: u64 = 10_000;

pub fn user_config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PREPUSH_AUTH_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(base.join("prepush-auth").join("config.toml"))
}

impl Config {
    /// Reads the user config, then the repository's. A missing file is the
    /// defaults; a broken one is an error the caller reports in one line.
    pub fn load(work_tree: Option<&Path>) -> Result<Self> {
        let mut config = Self::default();
        // A file named on purpose must exist: a typo in PREPUSH_AUTH_CONFIG
        // silently ran with the defaults (issue 11), another host's API unset.
        if let Some(named) = std::env::var_os("PREPUSH_AUTH_CONFIG").filter(|p| !p.is_empty())
            && !Path::new(&named).exists()
        {
            anyhow::bail!(
                "PREPUSH_AUTH_CONFIG names {}, which does not exist",
                Path::new(&named).display()
            );
        }
        if let Some(path) = user_config_path()
            && let Some(text) = read_optional(&path)?
        {
            config
                .apply_user_text(&text)
                .with_context(|| format!("reading {}", path.display()))?;
        }
        if let Some(root) = work_tree {
            config.apply_repository_file(&root.join(".prepush-auth.toml"))?;
        }
        Ok(config)
    }

    /// The configuration the two files' texts give, without touching the
    /// file system (the fuzz target's entry).
    pub fn from_texts(user: Option<&str>, repository: Option<&str>) -> Result<Self> {
        let mut config = Self::default();
        if let Some(text) = user {
            config.apply_user_text(text)?;
        }
        if let Some(text) = repository {
            config.apply_repository_text(text, Path::new(".prepush-auth.toml"))?;
        }
        Ok(config)
    }

    fn apply_user_text(&mut self, text: &str) -> Result<()> {
        let file: UserFile = toml::from_str(text).map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))?;
        self.apply(&file.behaviour);
        self.hosts = file
            .hosts
            .into_iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v))
            .collect();
        Ok(())
    }

    fn apply(&mut self, b: &Behaviour) {
        if let Some(v) = b.timeout_ms {
            self.timeout_ms = v.max(1);
        }
        if let Some(v) = b.warn_expiry_days {
            self.warn_expiry_days = v;
        }
        if let Some(v) = b.strict {
            self.strict = v;
        }
        if let Some(v) = b.enabled {
            self.enabled = v;
        }
        if let Some(v) = b.cache_ttl_seconds {
            self.cache_ttl_seconds = v;
        }
    }

    fn apply_repository_file(&mut self, path: &Path) -> Result<()> {
        let Some(text) = read_optional(path)? else {
            return Ok(());
        };
        self.apply_repository_text(&text, path)
    }

    fn apply_repository_text(&mut self, text: &str, path: &Path) -> Result<()> {
        let mut table: toml::Table = toml::from_str(text)
            .map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))
            .with_context(|| format!("reading {}", path.display()))?;
        // Anything that could redirect the token is refused, loudly.
        for key in ["hosts", "api", "provider"] {
            if table.remove(key).is_some() {
                self.notices.push(format!(
                    "{}: ignored `{key}`: a repository may not choose where your token is sent (put it in your user config)",
                    path.display()
                ));
            }
        }
        let mut behaviour: Behaviour = toml::Value::Table(table)
            .try_into()
            .map_err(|e: toml::de::Error| anyhow::anyhow!("{}", one_line(&e.to_string())))
            .with_context(|| format!("reading {}", path.display()))?;
        if let Some(t) = behaviour.timeout_ms.as_mut() {
            *t = (*t).min(REPO_TIMEOUT_CAP_MS);
        }
        self.apply(&behaviour);
        Ok(())
    }

    pub fn host(&self, host_with_port: &str) -> Option<&HostConfig> {
        self.hosts.get(&host_with_port.to_ascii_lowercase())
    }
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// toml's errors span several lines with a caret diagram; we promise one line.
/// The diagram quotes the offending source line and type errors quote the
/// value (`invalid type: string "ghp_…", expected u64`): a config line may
/// hold a secret, so neither is shown; the line and column say where.
fn one_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid TOML").to_owned();
    let last = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with('^') && !is_diagram_line(l));
    let line = match last {
        Some(l) if l != first => format!("{first} {l}"),
        _ => first,
    };
    mask_quoted(&line)
}

/// `12 | text of the line` in toml's caret diagram.
fn is_diagram_line(l: &str) -> bool {
    l.split_once('|')
        .is_some_and(|(n, _)| !n.trim().is_empty() && n.trim().bytes().all(|b| b.is_ascii_digit()))
}

/// Values quoted back are masked: `"anything"` becomes `"…"`, and so does
/// a backquoted rejected value (after ``unknown variant ``) or a name
/// shaped like a token; field names and the expected choices stay readable.
fn mask_quoted(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut quoted: Option<(char, String)> = None;
    for c in line.chars() {
        match &mut quoted {
            Some((open, inner)) if c == *open => {
                let hide = c == '"'
                    || out.ends_with("variant `")
                    || crate::tokens::classify(inner) != crate::tokens::TokenKind::Unrecognised;
                out.push_str(if hide { "…" } else { inner });
                out.push(c);
                quoted = None;
            }
            Some((_, inner)) => inner.push(c),
            None if c == '"' || c == '`' => {
                out.push(c);
                quoted = Some((c, String::new()));
            }
            None => out.push(c),
        }
    }
    // An unclosed quote: what follows it is hidden too.
    if quoted.is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo_config(text: &str) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".prepush-auth.toml"), text).unwrap();
        let mut c = Config::default();
        c.apply_repository_file(&dir.path().join(".prepush-auth.toml"))?;
        Ok(c)
    }

    #[test]
    fn a_repository_cannot_name_an_api() {
        let c = repo_config(
            "timeout_ms = 500\n[hosts.\"github.com\"]\nprovider = \"gitlab\"\napi = \"https://evil.example/api/v4\"\n",
        )
        .unwrap();
        assert!(c.hosts.is_empty());
        assert_eq!(c.timeout_ms, 500);
        assert_eq!(c.notices.len(), 1);
    }

    #[test]
    fn a_repository_cannot_stretch_the_deadline_past_the_cap() {
        let c = repo_config("timeout_ms = 600000\n").unwrap();
        assert_eq!(c.timeout_ms, REPO_TIMEOUT_CAP_MS);
    }

    /// Regression: toml's type errors quote the value, so a config line
    /// holding a token (`timeout_ms = "ghp_…"`) printed it.
    #[test]
    fn bug_config_errors_quoted_the_value() {
        for text in [
            "timeout_ms = \"ghp_SECRETSECRETSECRET\"\n",
            "strict = \"ghp_SECRETSECRETSECRET\"\n",
            "timeout_ms = 1\nghp_SECRETSECRETSECRET\n",
            "[hosts.\"h\"]\nprovider = \"ghp_SECRETSECRETSECRET\"\n",
            "x = \"\"\"ghp_SECRETSECRETSECRET\n",
            "ghp_SECRETSECRETSECRET = 1\n",
        ] {
            let e = format!("{:#}", Config::from_texts(Some(text), None).unwrap_err());
            assert!(!e.contains("SECRET"), "{e}");
            assert!(!e.contains('\n'), "{e}");
            assert!(e.contains("line "), "{e}");
            if let Err(e) = Config::from_texts(None, Some(text)) {
                let e = format!("{e:#}");
                assert!(!e.contains("SECRET"), "{e}");
            }
        }
    }

    #[test]
    fn field_names_and_choices_stay_readable() {
        let e = format!("{:#}", Config::from_texts(Some("tiemout_ms = 1\n"), None).unwrap_err());
        assert!(e.contains("unknown field `tiemout_ms`"), "{e}");
        let e = format!(
            "{:#}",
            Config::from_texts(Some("[hosts.\"h\"]\nprovider = \"githb\"\n"), None).unwrap_err()
        );
        assert!(e.contains("unknown variant `…`, expected one of `github`"), "{e}");
    }

    #[test]
    fn broken_toml_is_one_line() {
        let e = repo_config("timeout_ms = = 3\n").unwrap_err();
        let text = format!("{e:#}");
        assert!(!text.contains('\n'), "{text}");
    }
}
