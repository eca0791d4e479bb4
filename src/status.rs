//! `prepush-auth status`: what is installed where, each remote's helper
//! chain as git computes it, the tokens seen and the last refusals. Reads
//! git's configuration and the state; sends nothing anywhere.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Local, Utc};
use serde_json::{Value, json};

use crate::cli::Format;
use crate::git::{self, HelperEntry};
use crate::included::{self, Included};
use crate::output::{self, Stream};
use crate::state::{Refusal, State};
use crate::target::{RemoteUrl, Repo};

/// "the push at 10:42 was refused: …; git then erased it from store: store
/// a new one" (the date too when it was not today).
pub fn refusal_line(r: &Refusal) -> String {
    let local: DateTime<Local> = r.at.into();
    let when = if local.date_naive() == Local::now().date_naive() {
        local.format("%H:%M").to_string()
    } else {
        local.format("%Y-%m-%d %H:%M").to_string()
    };
    let place = match &r.repository {
        Some(repo) if !repo.is_empty() => format!("{}/{repo}", r.host),
        _ => r.host.clone(),
    };
    format!(
        "the {} at {when} ({place}) was refused: {}; {}",
        r.verb, r.message, r.after
    )
}

/// Remembered refusals on `host`, newest first.
pub fn refusals_for(host: &str) -> Vec<Refusal> {
    State::open()
        .map(|s| {
            s.refusals()
                .into_iter()
                .filter(|r| r.host.eq_ignore_ascii_case(host))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

/// Whether one of our included files exists (global, or this
/// repository's): without one there is no entry of ours to be shadowed,
/// and no need to ask git for its helper entries.
pub fn may_have_entries(repo: Option<&Repo>) -> bool {
    Included::at_global_path().is_some_and(|p| p.exists())
        || repo.is_some_and(|r| r.repo.common_dir().join("prepush-auth.gitconfig").exists())
}

/// One of our entries, where it is and which kind.
struct Entry {
    global: bool,
    kind: &'static str,
}

fn our_entries(entries: &[HelperEntry]) -> Vec<Entry> {
    let mut found: Vec<Entry> = Vec::new();
    for e in entries.iter().filter(|e| crate::install::is_our_command(&e.value)) {
        let kind = if e.value.contains("credential --gate") {
            "gate"
        } else {
            "observe"
        };
        let global = e.scope == "global" || e.scope == "system";
        if !found.iter().any(|f| f.kind == kind && f.global == global) {
            found.push(Entry { global, kind });
        }
    }
    found
}

/// For each of our entries git does not run for `url`: what resets it and
/// the one command that restores it.
pub fn shadowed(entries: &[HelperEntry], url: &RemoteUrl) -> Vec<String> {
    if !matches!(url.protocol(), "https" | "http") {
        return Vec::new();
    }
    let chain = git::helper_chain(entries, url);
    let mut said = Vec::new();
    for ours in our_entries(entries) {
        let runs = match ours.kind {
            "gate" => chain.first().is_some_and(|e| e.value.contains("credential --gate")),
            _ => chain
                .iter()
                .any(|e| crate::install::is_our_command(&e.value) && !e.value.contains("credential --gate")),
        };
        if runs && ours.kind == "gate" {
            if let Some(stale) = stale_gate_copy(entries, url, ours.global) {
                said.push(stale);
            }
            continue;
        }
        if runs {
            continue;
        }
        let reset = git::last_reset_for(entries, url);
        // A reset in the repository's config is after every global entry:
        // only the repository's own entry can come after it.
        let local_reset = reset.is_some_and(|r| r.scope == "local" || r.scope == "worktree");
        let flag = if ours.global && !local_reset { " --global" } else { "" };
        let mode = if ours.kind == "gate" {
            " --helper gate"
        } else {
            " --helper observe"
        };
        let by = reset.map_or_else(
            || "a later entry".to_owned(),
            |r| format!("`{} =` in {}", r.key(), r.origin),
        );
        let what = if ours.kind == "gate" {
            "is no longer asked first"
        } else {
            "no longer runs"
        };
        said.push(format!(
            "the {} entry{} {what} for {}: {by} resets the helper list after it; restore it with: prepush-auth install{mode}{flag}",
            ours.kind,
            if ours.global { " (global)" } else { "" },
            url.host
        ));
    }
    said
}

/// The helpers git asks for `url`, in order: by name, or by stable id
/// (`gh`, `store`, as in `check --format json`) with `ids`.
/// The gate repeats the helpers git asked before it was installed: after
/// the user changes them (`git config --global credential.helper cache`),
/// the copy is out of date, and git asks the old ones after the gate.
fn stale_gate_copy(entries: &[HelperEntry], url: &RemoteUrl, global: bool) -> Option<String> {
    let theirs: Vec<HelperEntry> = entries
        .iter()
        .filter(|e| !included::is_our_file(&e.origin) && !crate::install::is_our_command(&e.value))
        .cloned()
        .collect();
    let want: Vec<&str> = git::helper_chain(&theirs, url)
        .iter()
        .map(|e| e.value.as_str())
        .collect();
    let have: Vec<&str> = git::helper_chain(entries, url)
        .iter()
        .map(|e| e.value.as_str())
        .filter(|v| !crate::install::is_our_command(v))
        .collect();
    (want != have).then(|| {
        format!(
            "the gate{} repeats helpers for {} that your config no longer has (git asks {} after it; your config says {}); update it with: prepush-auth install --helper gate{}",
            if global { " (global)" } else { "" },
            url.host,
            list(&have),
            list(&want),
            if global { " --global" } else { "" }
        )
    })
}

fn list(values: &[&str]) -> String {
    if values.is_empty() {
        return "none".to_owned();
    }
    values
        .iter()
        .map(|v| crate::credential::Source::Helper(git::helper_command(v)).place().name())
        .collect::<Vec<_>>()
        .join(", ")
}

fn chain_names(entries: &[HelperEntry], url: &RemoteUrl, ids: bool) -> Vec<String> {
    git::helper_chain(entries, url)
        .iter()
        .map(|e| {
            if crate::install::is_our_command(&e.value) {
                if e.value.contains("credential --gate") {
                    if ids {
                        "prepush-auth-gate"
                    } else {
                        "prepush-auth (gate)"
                    }
                    .to_owned()
                } else {
                    if ids {
                        "prepush-auth-observe"
                    } else {
                        "prepush-auth (observe)"
                    }
                    .to_owned()
                }
            } else {
                let place = crate::credential::Source::Helper(git::helper_command(&e.value)).place();
                if ids { place.id() } else { place.name() }
            }
        })
        .collect()
}

fn hook_state() -> Option<String> {
    let out = git::git()
        .args(["rev-parse", "--git-path", "hooks"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let hook = Path::new(&dir).join("pre-push");
    let text = std::fs::read_to_string(&hook).unwrap_or_default();
    Some(if text.contains("# prepush-auth hook") {
        format!("installed ({})", hook.display())
    } else if top().is_some_and(|t| crate::install::already_runs_us(&hook, &t)) {
        format!(
            "runs prepush-auth through {} ({})",
            crate::install::hook_manager(&hook),
            hook.display()
        )
    } else if hook.exists() {
        format!("not installed ({} is another hook)", hook.display())
    } else {
        "not installed".to_owned()
    })
}

fn top() -> Option<std::path::PathBuf> {
    let out = git::git()
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().into())
}

fn included_state(global: bool) -> Option<(String, Vec<String>)> {
    let file = Included::at(global).ok()?;
    if !file.is_included() {
        // Our file without our line: `git config include.path X` (without
        // --add) replaces the only include.path of a file, ours.
        return file.ours.exists().then(|| {
            (
                format!(
                    "{}, but {} no longer includes it; restore with: prepush-auth install{}",
                    file.ours.display(),
                    file.config.display(),
                    if global { " --global" } else { "" }
                ),
                vec!["not included:".to_owned()],
            )
        });
    }
    let names = file.blocks().into_iter().map(|(n, _)| n).collect();
    Some((file.ours.display().to_string(), names))
}

fn expiry_words(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match at {
        None => "expiry not known".to_owned(),
        Some(e) if e < now => format!("expired {}", e.format("%Y-%m-%d")),
        Some(e) => format!("expires {} (in {} days)", e.format("%Y-%m-%d"), (e - now).num_days()),
    }
}

pub fn run(format: Format) -> Result<u8> {
    let repo = Repo::discover().ok().flatten();
    let entries = git::helper_entries();
    let now = Utc::now();
    let hook = if repo.is_some() { hook_state() } else { None };
    let local = if repo.is_some() { included_state(false) } else { None };
    let global = included_state(true);
    let remotes: Vec<(String, Option<RemoteUrl>)> = repo
        .as_ref()
        .map(|r| {
            r.remote_names()
                .into_iter()
                .map(|n| {
                    let url = r.push_target(&n).ok().map(|t| t.url);
                    (n, url)
                })
                .collect()
        })
        .unwrap_or_default();
    let state = State::open().ok();
    let mut tokens: Vec<_> = state
        .as_ref()
        .map(|s| s.tokens_seen().into_iter().cloned().collect())
        .unwrap_or_default();
    tokens.sort_by_key(|t| (t.token.expires_at.is_none(), t.token.expires_at));
    let refusals: Vec<Refusal> = state
        .as_ref()
        .map(|s| s.refusals().into_iter().cloned().collect())
        .unwrap_or_default();

    if format == Format::Json {
        let doc = json!({
            "schema": 1,
            "hook": hook,
            "entries": {
                "repository": local.as_ref().map(|(f, n)| json!({"file": f, "entries": n})),
                "global": global.as_ref().map(|(f, n)| json!({"file": f, "entries": n})),
            },
            "remotes": remotes.iter().map(|(name, url)| json!({
                "name": name,
                "url": url.as_ref().map(|u| u.display.clone()),
                "helpers": url.as_ref().map(|u| chain_names(&entries, u, true)),
                "shadowed": url.as_ref().map(|u| shadowed(&entries, u)).unwrap_or_default(),
            })).collect::<Vec<Value>>(),
            "tokens": tokens.iter().filter_map(|t| t.seen.as_ref().map(|s| json!({
                "host": s.host, "secret": s.redacted, "helper": s.helper,
                "login": t.token.login,
                "expires_at": t.token.expires_at.map(|e| e.to_rfc3339()),
            }))).collect::<Vec<Value>>(),
            "refusals": refusals.iter().map(|r| json!({
                "at": r.at.to_rfc3339(), "host": r.host, "repository": r.repository,
                "verb": r.verb, "reason": r.reason, "message": r.message,
                "helper": r.helper, "secret": r.redacted, "text": refusal_line(r),
            })).collect::<Vec<Value>>(),
        });
        output::write(Stream::Stdout, &format!("{doc}\n"));
        return Ok(0);
    }

    let mut out = String::new();
    let _ = writeln!(out, "prepush-auth status (read locally; nothing was sent)");
    let _ = writeln!(out, "installed:");
    if let Some(h) = &hook {
        let _ = writeln!(out, "  pre-push hook:  {h}");
    }
    let entries_line = |e: &Option<(String, Vec<String>)>| {
        e.as_ref()
            .map_or_else(|| "none".to_owned(), |(f, n)| format!("{} ({f})", n.join(", ")))
    };
    if repo.is_some() {
        let _ = writeln!(out, "  repository:     {}", entries_line(&local));
    }
    let _ = writeln!(out, "  global:         {}", entries_line(&global));
    if !remotes.is_empty() {
        let _ = writeln!(out, "remotes (helpers in the order git asks them):");
    }
    for (name, url) in &remotes {
        match url {
            Some(u) => {
                let _ = writeln!(out, "  {name}  {}", u.display);
                if matches!(u.protocol(), "https" | "http") {
                    let names = chain_names(&entries, u, false);
                    let shown = if names.is_empty() {
                        "none".to_owned()
                    } else {
                        names.join(", ")
                    };
                    let _ = writeln!(out, "    helpers: {shown}");
                    for s in shadowed(&entries, u) {
                        let _ = writeln!(out, "    note: {s}");
                    }
                }
            }
            None => {
                let _ = writeln!(out, "  {name}  (its URL cannot be read)");
            }
        }
    }
    let _ = writeln!(out, "tokens seen (soonest expiry first):");
    if tokens.is_empty() {
        let _ = writeln!(out, "  none yet");
    }
    for t in &tokens {
        if let Some(s) = &t.seen {
            let _ = writeln!(
                out,
                "  {}  {}  from {}  {}",
                s.redacted,
                s.host,
                s.helper,
                expiry_words(t.token.expires_at, now)
            );
        }
    }
    if !refusals.is_empty() {
        let _ = writeln!(out, "refusals:");
        for r in &refusals {
            let _ = writeln!(out, "  {}", refusal_line(r));
        }
    }
    output::write(Stream::Stdout, &out);
    Ok(0)
}
