//! What prepush-auth remembers between runs (SPEC §7 rule 1).
//!
//! Keys are HMAC-SHA256 of the secret (and host, username, repository) under
//! a random per-user key: never the secret. The directory is owner-only;
//! writes take a lock, re-read, merge and replace the file atomically, so
//! parallel pushes lose no entry; a corrupt file is discarded and rebuilt.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::verdict::{Reason, TokenInfo};

/// A rejected credential stays rejected: never replay it within this time
/// (GitHub locks out repeated bad logins; GitLab revokes token families).
pub const REJECTION_TTL_SECONDS: i64 = 24 * 3600;
/// Facts about a token are kept while they can still explain a rejection.
const REMEMBER_DAYS: i64 = 400;

/// Facts learned while the token worked.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Remembered {
    pub token: TokenInfo,
    pub last_ok: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CachedVerdict {
    pub reason: Reason,
    pub message: String,
    pub fix: Vec<String>,
    pub token: Option<TokenInfo>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct File1 {
    version: u32,
    #[serde(default)]
    tokens: BTreeMap<String, Remembered>,
    #[serde(default)]
    verdicts: BTreeMap<String, CachedVerdict>,
}

pub struct State {
    dir: PathBuf,
    key: ring::hmac::Key,
    data: File1,
}

pub fn state_dir() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("PREPUSH_AUTH_CACHE_DIR").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("prepush-auth"))
}

impl State {
    /// Opens (creating if needed) the state directory. A corrupt state file
    /// reads as empty.
    pub fn open() -> Result<Self> {
        let dir = state_dir().context("no HOME or cache directory for the state")?;
        create_private_dir(&dir)?;
        let key = load_or_create_key(&dir)?;
        let data = read_file(&dir.join("state.json"));
        Ok(Self { dir, key, data })
    }

    /// The keyed hash that names a secret (and whatever else is bound to it).
    pub fn key_for(&self, parts: &[&str], secret: &Secret) -> String {
        let mut ctx = ring::hmac::Context::with_key(&self.key);
        for p in parts {
            ctx.update(p.as_bytes());
            ctx.update(b"\0");
        }
        ctx.update(secret.expose().as_bytes());
        ctx.sign().as_ref().iter().take(16).fold(String::new(), |mut s, b| {
            use std::fmt::Write as _;
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    pub fn remembered(&self, token_key: &str) -> Option<&Remembered> {
        self.data.tokens.get(token_key)
    }

    pub fn cached(&self, verdict_key: &str, now: DateTime<Utc>, positive_ttl: i64) -> Option<&CachedVerdict> {
        let v = self.data.verdicts.get(verdict_key)?;
        let ttl = if v.reason.rejects_credential() {
            REJECTION_TTL_SECONDS
        } else {
            positive_ttl
        };
        (now - v.at < Duration::seconds(ttl) && v.at <= now).then_some(v)
    }

    /// Records what a check learned and writes it under the lock.
    pub fn record(
        &mut self,
        token_key: &str,
        learned: Option<Remembered>,
        verdict_key: &str,
        verdict: Option<CachedVerdict>,
    ) -> Result<()> {
        let _lock = self.lock()?;
        // Another process may have written since we read: merge onto theirs.
        self.data = read_file(&self.dir.join("state.json"));
        if let Some(l) = learned {
            let entry = self.data.tokens.entry(token_key.to_owned()).or_default();
            if l.token.login.is_some() {
                entry.token.login = l.token.login;
            }
            if l.token.scopes.is_some() {
                entry.token.scopes = l.token.scopes;
            }
            if l.token.expires_at.is_some() {
                entry.token.expires_at = l.token.expires_at;
            }
            entry.last_ok = l.last_ok.or(entry.last_ok);
        }
        match verdict {
            Some(v) => {
                self.data.verdicts.insert(verdict_key.to_owned(), v);
            }
            None => {
                self.data.verdicts.remove(verdict_key);
            }
        }
        self.prune(Utc::now());
        self.write()
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        self.data
            .verdicts
            .retain(|_, v| now - v.at < Duration::seconds(REJECTION_TTL_SECONDS));
        self.data.tokens.retain(|_, t| {
            let seen = t.last_ok.or(t.token.expires_at);
            seen.is_none_or(|s| now - s < Duration::days(REMEMBER_DAYS))
        });
    }

    fn lock(&self) -> Result<File> {
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(self.dir.join("state.lock"))
            .context("opening the state lock")?;
        f.lock().context("locking the state")?;
        Ok(f)
    }

    fn write(&self) -> Result<()> {
        self.data_version_check();
        let path = self.dir.join("state.json");
        let tmp = self.dir.join(format!("state.json.{}.tmp", std::process::id()));
        let mut f = OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .mode(0o600)
            .open(&tmp)
            .context("writing the state")?;
        f.write_all(&serde_json::to_vec(&self.data)?)?;
        f.sync_all().ok();
        fs::rename(&tmp, &path).context("replacing the state file")?;
        Ok(())
    }

    fn data_version_check(&self) {
        debug_assert!(self.data.version <= 1);
    }
}

fn read_file(path: &Path) -> File1 {
    let parsed = fs::read(path)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<File1>(&bytes).ok());
    let mut data = parsed.filter(|d| d.version == 1).unwrap_or_default();
    data.version = 1;
    data
}

fn create_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let perms = fs::metadata(dir)?.permissions();
    if perms.mode() & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).ok();
    }
    Ok(())
}

fn load_or_create_key(dir: &Path) -> Result<ring::hmac::Key> {
    let path = dir.join("key");
    let existing = fs::read(&path);
    if let Ok(bytes) = &existing
        && bytes.len() == 32
    {
        return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, bytes));
    }
    let mut fresh = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut fresh)
        .map_err(|_| anyhow::anyhow!("no randomness for the state key"))?;
    let tmp = dir.join(format!("key.{}.tmp", std::process::id()));
    let mut f = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(&fresh)?;
    drop(f);
    if existing.is_ok() {
        // A damaged key: replace it; what was keyed by it is unreachable anyway.
        fs::rename(&tmp, &path).context("replacing the damaged state key")?;
    } else if fs::hard_link(&tmp, &path).is_err() {
        // Two first runs at once: only one key may win, and both must use it.
        fs::remove_file(&tmp).ok();
        let winner = fs::read(&path).context("reading the state key")?;
        anyhow::ensure!(
            winner.len() == 32,
            "the state key {} is damaged; delete it",
            path.display()
        );
        return Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &winner));
    } else {
        fs::remove_file(&tmp).ok();
    }
    Ok(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &fresh))
}
