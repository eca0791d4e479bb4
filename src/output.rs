//! All printing goes through here: human text (colored on a terminal,
//! honouring `NO_COLOR`) and the JSON document of SPEC §5.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};

use serde_json::{Value, json};

use crate::engine::Check;
use crate::verdict::Kind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

pub fn color_for(stream: Stream) -> bool {
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    }
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

fn target_label(c: &Check) -> String {
    let place = match (&c.host, &c.repository) {
        (Some(h), Some(r)) if c.ssh.is_some() => format!("{h}/{r}, over SSH"),
        (Some(h), Some(r)) => format!("{h}/{r}"),
        _ => c.url.clone(),
    };
    match &c.remote {
        Some(name) if place.is_empty() => name.clone(),
        Some(name) => format!("{name} ({place})"),
        None => place,
    }
}

/// Text from elsewhere (a URL's percent-decoded path, a helper's username,
/// git's own complaint) reaches the terminal only without control
/// characters: an escape sequence in it could rewrite what the user sees.
fn printable(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { '?' } else { c }).collect()
}

pub fn human(checks: &[Check], color: bool) -> String {
    let p = Paint(color);
    let mut out = String::new();
    for c in checks {
        let label = printable(&target_label(c));
        let f = &c.finding;
        let head = match c.kind() {
            Kind::Block => format!("push to {label} {}", p.wrap("1;31", "will fail")),
            Kind::Warn => format!("push to {label}: {}", p.wrap("1;33", "warning")),
            Kind::Ok => format!("push to {label}: {}", p.wrap("32", "ok")),
            Kind::Unknown => format!(
                "push to {label}: {} (the push is not blocked)",
                p.wrap("33", "could not check")
            ),
            Kind::Skip => format!("{label}: {}", p.wrap("2", "skipped")),
        };
        let _ = writeln!(out, "prepush-auth: {head}");
        let reason_label = match (c.kind(), &c.ssh) {
            (Kind::Ok, None) => "token: ",
            (Kind::Ok, Some(_)) => "key:   ",
            _ => "reason:",
        };
        let _ = writeln!(out, "  {reason_label} {}", printable(&f.message));
        if let Some(t) = &f.token {
            let mut facts = Vec::new();
            if let Some(scopes) = &t.scopes {
                facts.push(if scopes.is_empty() {
                    "no scopes".to_owned()
                } else {
                    format!("scopes {}", scopes.join(", "))
                });
            }
            if let Some(e) = t.expires_at {
                facts.push(format!("expires {}", e.format("%Y-%m-%d")));
            }
            if !facts.is_empty() && c.kind() != Kind::Block {
                let _ = writeln!(out, "          {}", printable(&facts.join("; ")));
            }
        }
        for (i, line) in f.fix.iter().enumerate() {
            let lead = if i == 0 { "  fix:   " } else { "         " };
            let _ = writeln!(out, "{lead} {}", printable(line));
        }
    }
    out
}

pub fn json(checks: &[Check]) -> String {
    let checks: Vec<Value> = checks.iter().map(check_json).collect();
    let doc = json!({"schema": 1, "checks": checks});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
}

fn check_json(c: &Check) -> Value {
    let f = &c.finding;
    json!({
        "remote": c.remote,
        "url": c.url,
        "host": c.host,
        "provider": c.provider.map(crate::providers::Provider::name),
        "repository": c.repository,
        "verdict": c.kind(),
        "reason": f.reason.code(),
        "message": f.message,
        "fix": f.fix,
        "credential": c.credential.as_ref().map(|cr| json!({
            "username": cr.username,
            "secret": cr.secret,
            "kind": cr.kind,
            "helper": cr.place.id(),
            "helper_name": cr.place.name(),
            "env": cr.place.env,
        })),
        "token": f.token.as_ref().map(|t| json!({
            "login": t.login,
            "scopes": t.scopes,
            "expires_at": t.expires_at.map(|e| e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        })),
        "ssh": c.ssh.as_ref().map(|s| json!({
            "key": s.key,
            "fingerprint": s.fingerprint,
            "account": s.account,
            "connections": s.connections,
        })),
        "requests": c.requests,
        "cached": c.cached,
        "elapsed_ms": c.elapsed_ms,
    })
}

/// The JSON document for an outcome that is no check: a usage or
/// configuration error (`error`), or nothing checked (`checks` empty).
pub fn json_error(error: Option<&str>) -> String {
    let doc = json!({"schema": 1, "checks": [], "error": error});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
}

/// Writes to a stream; a closed pipe (`| head`) is not an error.
pub fn write(stream: Stream, text: &str) {
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

/// One line on stderr, prefixed, for notices and errors.
pub fn notice(line: &str) {
    let one = printable(&line.replace('\n', " "));
    write(Stream::Stderr, &format!("prepush-auth: {one}\n"));
}
