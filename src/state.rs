//! What prepush-auth remembers between runs (SPEC §7 rule 1).
//!
//! Keys are HMAC-SHA256 of the secret (and host, username, repository) under
//! a random per-user key: never the secret. The directory is owner-only;
//! writes take a lock, re-read, merge and replace the file atomically, so
//! parallel pushes lose no entry; a corrupt file is discarded and rebuilt.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::secret::Secret;
use crate::verdict::{Reason, TokenInfo};

/// A rejected credential stays rejected: never replay it within this time
/// (GitHub locks out repeated bad logins; GitLab revokes token families).
pub const REJECTION_TTL_SECONDS: i64 = 24 * 3600;
/// How long a write waits for another process's lock on the state.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_millis(300);
/// Facts about a token are kept while they can still explain a rejection.
const REMEMBER_DAYS: i64 = 400;

/// Facts learned while the token worked.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Remembered {
    pub token: TokenInfo,
    pub last_ok: Option<DateTime<Utc>>,
    /// When the pre-push hook last warned that this token expires soon: it
    /// warns at most once a day, `check` every time.
    #[serde(default)]
    pub expiry_warned: Option<DateTime<Utc>>,
    /// How `status` shows the token: never the token itself.
    #[serde(default)]
    pub seen: Option<Seen>,
}

/// A token as `status` lists it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Seen {
    pub host: String,
    /// `ghp_…a1B2`.
    pub redacted: String,
    /// The helper that gave it (its name: `store`, `gh`, …).
    pub helper: String,
}

/// A credential git was refused with, as the observe entry saw it: what
/// the next `check` and `status` say until a credential works again there.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Refusal {
    pub at: DateTime<Utc>,
    pub host: String,
    #[serde(default)]
    pub repository: Option<String>,
    /// `push`, `fetch`, `clone`, … (what git was doing).
    pub verb: String,
    pub reason: Reason,
    /// The reason in a sentence (the secret only redacted).
    pub message: String,
    /// The helper that gave it (its name), and what git did after.
    pub helper: String,
    pub after: String,
    pub redacted: String,
    /// The keyed hash that names the secret (never the secret).
    pub key: String,
    /// The git process that was refused: one explanation per refusal,
    /// however many observe entries git runs.
    #[serde(default)]
    pub git_pid: Option<u32>,
}

/// A remembered verdict: the facts, never its sentences (issue 11). The
/// words depend on this run (which helper gave the credential, today's
/// date), so a hit re-runs the host's pure judge on the host's answers,
/// kept here scrubbed of the secret, with this run's context. `reason` is
/// what the judge concluded then: a hit whose judge now says otherwise
/// (a newer prepush-auth, a body kept only in part) is a miss.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CachedVerdict {
    pub reason: Reason,
    /// The host's answers, in the plan's order. Entries written before
    /// answers were kept have none, and are misses.
    #[serde(default)]
    pub answers: Vec<CachedAnswer>,
    pub at: DateTime<Utc>,
}

/// One answer of the host, as the judge reads it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CachedAnswer {
    /// `rest`, `user`, `repository`, `push_probe`.
    pub purpose: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Up to [`ANSWER_BODY_CAP`] bytes of the body, as text.
    pub body: String,
    /// The request failed instead (`timeout`, `too_large`, `network: …`).
    #[serde(default)]
    pub failure: Option<String>,
}

/// How much of a body is kept: API answers are a few KiB; a push probe's
/// advertisement lists every ref, and its judge reads the first lines.
pub const ANSWER_BODY_CAP: usize = 32 * 1024;

#[derive(Debug, Default, Serialize, Deserialize)]
struct File1 {
    version: u32,
    #[serde(default)]
    tokens: BTreeMap<String, Remembered>,
    #[serde(default)]
    verdicts: BTreeMap<String, CachedVerdict>,
    #[serde(default)]
    refusals: BTreeMap<String, Refusal>,
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
        Self::open_at(&state_dir().context("no HOME or cache directory for the state")?)
    }

    /// [`State::open`] on a given directory.
    pub fn open_at(dir: &Path) -> Result<Self> {
        create_private_dir(dir)?;
        let key = load_or_create_key(dir)?;
        let data = read_file(&dir.join("state.json"));
        Ok(Self {
            dir: dir.to_owned(),
            key,
            data,
        })
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
        // A retired credential type is the host's statement, not a replayed
        // bad login: Bitbucket's 410 for app passwords came and went with
        // each brownout window (2026-06-09 to 2026-07-27), so it is kept no
        // longer than any other answer.
        let ttl = if v.reason.rejects_credential() && v.reason != Reason::CredentialRetired {
            REJECTION_TTL_SECONDS
        } else {
            positive_ttl
        };
        // `cache_ttl_seconds` comes from config files, a cloned repository's
        // included: `Duration::seconds` panics past ~292 million years, so
        // an absurd value means "as long as kept" (pruned after a day), never
        // a crash.
        let ttl = Duration::try_seconds(ttl).unwrap_or(if ttl < 0 { Duration::MIN } else { Duration::MAX });
        (now - v.at < ttl && v.at <= now).then_some(v)
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
            // An expiry that had passed when the host accepted the token
            // was wrong (a misread, an extension): forgotten, or replaced by
            // what the host says now. Otherwise an answer without one keeps it.
            let contradicted = entry.token.expires_at.zip(l.last_ok).is_some_and(|(at, ok)| at <= ok);
            if l.token.expires_at.is_some() || contradicted {
                entry.token.expires_at = l.token.expires_at;
            }
            entry.last_ok = l.last_ok.or(entry.last_ok);
            if l.seen.is_some() {
                entry.seen = l.seen;
            }
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

    /// Whether the hook should warn now that this token expires soon: the
    /// first time in a day, which it records. A state it cannot write says
    /// yes: a warning too many beats one never seen.
    pub fn first_expiry_warning_today(&mut self, token_key: &str, now: DateTime<Utc>) -> bool {
        let Ok(_lock) = self.lock() else { return true };
        self.data = read_file(&self.dir.join("state.json"));
        let entry = self.data.tokens.entry(token_key.to_owned()).or_default();
        if entry
            .expiry_warned
            .is_some_and(|at| at <= now && now - at < Duration::days(1))
        {
            return false;
        }
        entry.expiry_warned = Some(now);
        let _ = self.write();
        true
    }

    /// Every token seen working, with how it is shown.
    pub fn tokens_seen(&self) -> Vec<&Remembered> {
        self.data.tokens.values().filter(|t| t.seen.is_some()).collect()
    }

    /// The refusals remembered, newest first.
    pub fn refusals(&self) -> Vec<&Refusal> {
        let mut all: Vec<&Refusal> = self.data.refusals.values().collect();
        all.sort_by_key(|r| std::cmp::Reverse(r.at));
        all
    }

    /// Remembers a refusal (one per secret and host: the latest).
    pub fn record_refusal(&mut self, refusal: Refusal) -> Result<()> {
        let _lock = self.lock()?;
        self.data = read_file(&self.dir.join("state.json"));
        self.data
            .refusals
            .insert(format!("{}|{}", refusal.host, refusal.key), refusal);
        self.prune(Utc::now());
        self.write()
    }

    /// A credential worked on `host` again: its refusals are history.
    pub fn clear_refusals(&mut self, host: &str) -> Result<()> {
        if !self.data.refusals.values().any(|r| r.host.eq_ignore_ascii_case(host)) {
            return Ok(());
        }
        let _lock = self.lock()?;
        self.data = read_file(&self.dir.join("state.json"));
        self.data.refusals.retain(|_, r| !r.host.eq_ignore_ascii_case(host));
        self.write()
    }

    fn prune(&mut self, now: DateTime<Utc>) {
        self.data
            .refusals
            .retain(|_, r| now - r.at < Duration::days(REMEMBER_DAYS));
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
        // Never a blocking lock: a process that holds it and stops (a push
        // suspended with Ctrl-Z mid-write, a stale NFS lock) would hang every
        // later check. The writes it guards take microseconds; after
        // LOCK_WAIT the cache is not written, which costs the next check a
        // request, nothing more.
        let waited_until = std::time::Instant::now() + LOCK_WAIT;
        loop {
            match f.try_lock() {
                Ok(()) => return Ok(f),
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < waited_until => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!("the state is locked by another process"),
                Err(std::fs::TryLockError::Error(e)) => return Err(e).context("locking the state"),
            }
        }
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
        // No fsync: this is a cache, and a file a crash left torn reads as
        // empty and is rebuilt. An fsync is held under the lock: where a
        // disk takes ~25 ms for one (CI's lost 4 of 16 entries; a shim that
        // makes fsync sleep 25 ms reproduces it), 16 parallel pushes waited
        // out LOCK_WAIT and dropped their entries.
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
    // 0700 for every directory created on the way, as the XDG base
    // directory spec asks: a missing ~/.cache made under umask 000 was 0777.
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))?;
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
        // Whoever can read the key can test guesses against the keyed
        // hashes offline: a key someone loosened (a copied HOME, a chmod
        // -R) is made owner-only again.
        if fs::metadata(&path).is_ok_and(|m| m.permissions().mode() & 0o077 != 0) {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).ok();
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn verdict(reason: Reason, at: DateTime<Utc>) -> CachedVerdict {
        CachedVerdict {
            reason,
            answers: Vec::new(),
            at,
        }
    }

    #[test]
    fn two_homes_key_the_same_secret_differently_and_one_home_stays_stable() {
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let secret = Secret::new("ghp_sameSecretInBothHomes0123456789abcd");
        let in_a = State::open_at(a.path()).unwrap().key_for(&["token", "h"], &secret);
        let in_b = State::open_at(b.path()).unwrap().key_for(&["token", "h"], &secret);
        assert_ne!(in_a, in_b, "the key is per user, not a plain hash");
        assert!(!in_a.contains("Secret") && in_a.len() == 32);
        let again = State::open_at(a.path()).unwrap().key_for(&["token", "h"], &secret);
        assert_eq!(in_a, again);
        // Bound parts change the key: no collision across hosts.
        let other_host = State::open_at(a.path()).unwrap().key_for(&["token", "h2"], &secret);
        assert_ne!(in_a, other_host);
    }

    #[test]
    fn state_directory_and_files_are_owner_only() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("made/on/the/way");
        let mut st = State::open_at(&dir).unwrap();
        st.record(
            "t",
            Some(Remembered::default()),
            "v",
            Some(verdict(Reason::Ok, Utc::now())),
        )
        .unwrap();
        for d in [root.path().join("made"), dir.clone()] {
            assert_eq!(mode(&d), 0o700, "{}", d.display());
        }
        for f in ["key", "state.json", "state.lock"] {
            assert_eq!(mode(&dir.join(f)), 0o600, "{f}");
        }
        fs::set_permissions(dir.join("key"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        State::open_at(&dir).unwrap();
        assert_eq!(mode(&dir.join("key")), 0o600);
        assert_eq!(mode(&dir), 0o700);
    }

    /// Regression: `cache_ttl_seconds` is read from config files, a cloned
    /// repository's included, and `Duration::seconds` panicked on values
    /// past ~292 million years: the check crashed (exit 101) on a cache hit.
    #[test]
    fn bug_an_absurd_cache_ttl_panicked_on_a_cache_hit() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open_at(dir.path()).unwrap();
        let now = Utc::now();
        st.record("t", None, "v", Some(verdict(Reason::Ok, now))).unwrap();
        assert!(st.cached("v", now, i64::MAX).is_some());
        assert!(st.cached("v", now, i64::MIN).is_none());
    }

    /// Issue 10, case 7: Bitbucket's 410 for app passwords was cached for
    /// 24 h as "removed" during the brownouts, when the same password worked
    /// again minutes later. A retirement is kept as long as any answer; a
    /// refused credential still for a day.
    #[test]
    fn bug_a_retired_credential_was_cached_for_a_day() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open_at(dir.path()).unwrap();
        let then = Utc::now() - Duration::seconds(600);
        st.record("t", None, "retired", Some(verdict(Reason::CredentialRetired, then)))
            .unwrap();
        st.record("t", None, "invalid", Some(verdict(Reason::TokenInvalid, then)))
            .unwrap();
        let now = Utc::now();
        assert!(st.cached("retired", now, 300).is_none());
        assert!(st.cached("retired", now, 3600).is_some());
        assert!(st.cached("invalid", now, 300).is_some());
    }

    /// Regression: the state lock was a blocking flock, so a process
    /// stopped while holding it (Ctrl-Z during a push) hung every later
    /// check in `record` for ever.
    #[test]
    fn bug_a_held_lock_hung_the_writer() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open_at(dir.path()).unwrap();
        let holder = File::create(dir.path().join("state.lock")).unwrap();
        holder.lock().unwrap();
        let started = std::time::Instant::now();
        let result = st.record("t", None, "v", Some(verdict(Reason::Ok, Utc::now())));
        assert!(result.is_err());
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        drop(holder);
        st.record("t", None, "v", Some(verdict(Reason::Ok, Utc::now())))
            .unwrap();
    }

    /// Issue 16: an expiry the host contradicted (it accepted the token
    /// after that day) is forgotten, or replaced by the one it reports now;
    /// an answer without one keeps a date still ahead.
    #[test]
    fn an_expiry_the_host_contradicted_is_forgotten() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open_at(dir.path()).unwrap();
        let now = Utc::now();
        let learned = |expires_at, at| Remembered {
            token: TokenInfo {
                expires_at,
                ..TokenInfo::default()
            },
            last_ok: Some(at),
            expiry_warned: None,
            seen: None,
        };
        let soon = now + Duration::days(3);
        st.record("t", Some(learned(Some(soon), now)), "v", None).unwrap();
        st.record("t", Some(learned(None, now)), "v", None).unwrap();
        assert_eq!(st.remembered("t").unwrap().token.expires_at, Some(soon), "kept");
        let later = soon + Duration::days(1);
        st.record("t", Some(learned(None, later)), "v", None).unwrap();
        assert_eq!(st.remembered("t").unwrap().token.expires_at, None, "forgotten");
        st.record("t", Some(learned(Some(soon), now)), "v", None).unwrap();
        let extended = later + Duration::days(30);
        st.record("t", Some(learned(Some(extended), later)), "v", None).unwrap();
        assert_eq!(st.remembered("t").unwrap().token.expires_at, Some(extended), "replaced");
    }

    #[test]
    fn the_hook_warns_of_an_expiry_once_a_day_per_token() {
        let dir = tempfile::tempdir().unwrap();
        let mut st = State::open_at(dir.path()).unwrap();
        let now = Utc::now();
        assert!(st.first_expiry_warning_today("t", now));
        assert!(!st.first_expiry_warning_today("t", now + Duration::hours(23)));
        // Another token is warned about on its own.
        assert!(st.first_expiry_warning_today("u", now));
        // Another process sees the same record; a day later it warns again.
        let mut other = State::open_at(dir.path()).unwrap();
        assert!(!other.first_expiry_warning_today("t", now + Duration::hours(1)));
        assert!(other.first_expiry_warning_today("t", now + Duration::hours(25)));
        // What the check learned later keeps the record.
        other
            .record("t", Some(Remembered::default()), "v", Some(verdict(Reason::Ok, now)))
            .unwrap();
        assert!(
            !State::open_at(dir.path())
                .unwrap()
                .first_expiry_warning_today("t", now + Duration::hours(26))
        );
    }

    #[test]
    fn corrupt_state_files_read_as_empty_and_are_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        for junk in [
            &b"\xff\xfe garbage"[..],
            b"{\"version\":1,\"tokens\":{\"a\":",
            b"{\"version\":99,\"tokens\":{},\"verdicts\":{}}",
            b"{\"version\":1,\"verdicts\":{\"v\":{\"reason\":\"no_such_reason\"}}}",
            b"[]",
            b"",
        ] {
            fs::write(dir.path().join("state.json"), junk).unwrap();
            let mut st = State::open_at(dir.path()).unwrap();
            assert!(st.cached("v", Utc::now(), 300).is_none());
            st.record("t", None, "v", Some(verdict(Reason::Ok, Utc::now())))
                .unwrap();
            let back = State::open_at(dir.path()).unwrap();
            assert!(back.cached("v", Utc::now(), 300).is_some());
        }
        // A damaged key is replaced, not fatal.
        fs::write(dir.path().join("key"), b"short").unwrap();
        State::open_at(dir.path()).unwrap();
        assert_eq!(fs::read(dir.path().join("key")).unwrap().len(), 32);
    }
}
