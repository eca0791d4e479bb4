//! User and repository configuration (SPEC §6).
//!
//! The repository file may only change behaviour; it can never name an API
//! endpoint or a provider, because a cloned repository must not be able to
//! send your token elsewhere (SPEC §6, tested).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

use crate::providers::Provider;

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
        if let Some(path) = user_config_path()
            && let Some(text) = read_optional(&path)?
        {
            let file: UserFile = toml::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}", one_line(&e.to_string())))
                .with_context(|| format!("reading {}", path.display()))?;
            config.apply(&file.behaviour);
            config.hosts = file
                .hosts
                .into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect();
        }
        if let Some(root) = work_tree {
            config.apply_repository_file(&root.join(".prepush-auth.toml"))?;
        }
        Ok(config)
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
        let mut table: toml::Table = toml::from_str(&text)
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
fn one_line(text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid TOML").to_owned();
    let last = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with('^'));
    match last {
        Some(l) if l != first => format!("{first} {l}"),
        _ => first,
    }
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

    #[test]
    fn broken_toml_is_one_line() {
        let e = repo_config("timeout_ms = = 3\n").unwrap_err();
        let text = format!("{e:#}");
        assert!(!text.contains('\n'), "{text}");
    }
}
