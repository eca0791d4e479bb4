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

/// The width human text is wrapped to: the terminal's, else 80 columns
/// (a pipe, a file, CI logs, git's hook output). JSON is never wrapped.
pub fn width_for(stream: Stream) -> usize {
    let tty = match stream {
        Stream::Stdout => std::io::stdout().is_terminal(),
        Stream::Stderr => std::io::stderr().is_terminal(),
    };
    if tty {
        textwrap::termwidth().clamp(40, 200)
    } else {
        DEFAULT_WIDTH
    }
}

pub const DEFAULT_WIDTH: usize = 80;

/// Where continuation lines start: under the text after "  reason: ".
const INDENT: &str = "          ";

/// `text` after `first` (the label), wrapped to `width`; continuation
/// lines start at [`INDENT`]. A word longer than the line (a URL) is never
/// broken: a terminal makes it clickable whole.
fn wrapped(out: &mut String, first: &str, text: &str, width: usize) {
    let opts = textwrap::Options::new(width)
        .initial_indent(first)
        .subsequent_indent(INDENT)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    for line in textwrap::wrap(text, opts) {
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

/// A command (`$ …`) wrapped as the shell reads it: each broken line ends
/// in ` \` and the next is indented further, so pasting all of them runs
/// the one command. Not broken at all when a space sits inside single
/// quotes, as the shell reads them or as the command inside a
/// double-quoted value will (`"ssh -i '/my keys/k'"`): a break there would
/// put the continuation's indent inside a path.
fn wrapped_command(out: &mut String, first: &str, command: &str, width: usize) {
    if space_in_single_quotes(command) || first.chars().count() + command.chars().count() <= width {
        let _ = writeln!(out, "{first}{command}");
        return;
    }
    let cont = format!("{INDENT}    ");
    let opts = textwrap::Options::new(width.saturating_sub(2))
        .initial_indent(first)
        .subsequent_indent(&cont)
        .break_words(false)
        .word_separator(textwrap::WordSeparator::AsciiSpace)
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    let lines = textwrap::wrap(command, opts);
    let last = lines.len().saturating_sub(1);
    for (i, line) in lines.iter().enumerate() {
        let tail = if i == last { "" } else { " \\" };
        let _ = writeln!(out, "{}{tail}", line.trim_end());
    }
}

/// Whether a space in `command` is inside single quotes: the shell's own
/// (outside double quotes) or those of the command a double-quoted value
/// holds. A backslash outside single quotes escapes the next character;
/// where the reading is unsure, the answer is yes (never break).
fn space_in_single_quotes(command: &str) -> bool {
    // `inner`: the single quotes of the command a double-quoted value
    // holds; `inner_double`: its escaped double quotes (`"ssh -F \"/My
    // Configs/c\""`), which the command's own shell reads as quotes.
    let (mut single, mut double, mut inner, mut inner_double) = (false, false, false, false);
    let mut chars = command.chars();
    while let Some(c) = chars.next() {
        match c {
            ' ' if single || inner || inner_double => return true,
            '\'' if double => inner = !inner,
            '\'' => single = !single,
            '"' if !single => double = !double,
            // The escaped character is skipped; an escaped `"` in a
            // double-quoted value opens or closes the inner quotes.
            '\\' if !single => inner_double ^= chars.next() == Some('"') && double && !inner,
            _ => {}
        }
    }
    single || double || inner || inner_double
}

/// "at 14:05 UTC (in 1 h 12 min)" when under a day away, else the date.
pub fn when(at: chrono::DateTime<chrono::Utc>, now: chrono::DateTime<chrono::Utc>) -> String {
    let left = at - now;
    if left > chrono::Duration::zero() && left < chrono::Duration::days(1) {
        format!("{} UTC (in {})", at.format("%Y-%m-%d %H:%M"), span(left))
    } else {
        at.format("%Y-%m-%d").to_string()
    }
}

/// "75 s", "12 min", "3 h 5 min", joined by no-break spaces: wrapping
/// never parts a number from its unit.
pub fn span(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let text = match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min", secs / 60),
        _ if secs % 3600 / 60 == 0 => format!("{} h", secs / 3600),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    };
    text.replace(' ', "\u{a0}")
}

pub fn human(checks: &[Check], color: bool, width: usize) -> String {
    let p = Paint(color);
    let mut out = String::new();
    let now = chrono::Utc::now();
    for c in checks {
        let label = printable(&target_label(c));
        let f = &c.finding;
        // Wrapped uncolored, then painted: escape codes have no width.
        let (plain, word, code) = match c.kind() {
            Kind::Block => (format!("push to {label} will fail"), "will fail", "1;31"),
            Kind::Warn => (format!("push to {label}: warning"), "warning", "1;33"),
            Kind::Ok => (format!("push to {label}: ok"), "ok", "32"),
            Kind::Unknown => (
                format!("push to {label}: could not check (the push is not blocked)"),
                "could not check",
                "33",
            ),
            Kind::Skip => (format!("{label}: skipped"), "skipped", "2"),
        };
        let mut head = String::new();
        wrapped(&mut head, "prepush-auth: ", &plain, width);
        if let Some(at) = head.rfind(word) {
            head.replace_range(at..at + word.len(), &p.wrap(code, word));
        }
        out.push_str(&head);
        let reason_label = match (c.kind(), &c.ssh) {
            (Kind::Ok, None) => "  token:  ",
            (Kind::Ok, Some(_)) => "  key:    ",
            _ => "  reason: ",
        };
        wrapped(&mut out, reason_label, &printable(&f.message), width);
        if let Some(t) = &f.token {
            let mut facts = Vec::new();
            if let Some(scopes) = &t.scopes {
                facts.push(if scopes.is_empty() {
                    "no scopes".to_owned()
                } else {
                    format!("scopes {}", scopes.join(", "))
                });
            }
            // The reason of an expiry warning already says when.
            if let Some(e) = t.expires_at.filter(|_| f.reason != crate::verdict::Reason::ExpiresSoon) {
                facts.push(format!("expires {}", when(e, now)));
            }
            if !facts.is_empty() && c.kind() != Kind::Block {
                wrapped(&mut out, INDENT, &printable(&facts.join("; ")), width);
            }
        }
        if c.cached {
            let ago = c
                .cached_at
                .map(|at| format!(" {} ago", span(now - at)))
                .unwrap_or_default();
            wrapped(
                &mut out,
                INDENT,
                &format!("(from a check{ago}; --no-cache asks again)"),
                width,
            );
        }
        for (i, line) in f.fix.iter().enumerate() {
            let lead = if i == 0 { "  fix:    " } else { INDENT };
            let line = printable(line);
            if let Some(cmd) = line.strip_prefix(crate::helpers::COMMAND) {
                wrapped_command(&mut out, &format!("{lead}{}", crate::helpers::COMMAND), cmd, width);
            } else {
                wrapped(&mut out, lead, &line, width);
            }
        }
    }
    out
}

/// A note `check` adds below its verdicts: a refusal the observe entry
/// remembered on `host` (`kind` `refusal`), or one of our entries git no
/// longer runs there (`entry_not_run`). Human output prints `text` after
/// "prepush-auth: note: "; JSON lists them under `notes`.
pub struct Note {
    pub host: String,
    pub kind: &'static str,
    pub text: String,
}

pub fn json(checks: &[Check], notes: &[Note]) -> String {
    let checks: Vec<Value> = checks.iter().map(check_json).collect();
    let notes: Vec<Value> = notes
        .iter()
        .map(|n| json!({"host": n.host, "kind": n.kind, "text": n.text}))
        .collect();
    let doc = json!({"schema": 1, "checks": checks, "notes": notes});
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
    let doc = json!({"schema": 1, "checks": [], "notes": [], "error": error});
    format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default())
}

/// `checks` in human form on `stream`, coloured and wrapped for it: what
/// `check` prints on stdout and the hook and the entries on stderr.
pub fn print_human(stream: Stream, checks: &[Check]) {
    write(stream, &human(checks, color_for(stream), width_for(stream)));
}

/// Writes to a stream; a closed pipe (`| head`) is not an error.
pub fn write(stream: Stream, text: &str) {
    let _ = match stream {
        Stream::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Stream::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

/// One line on stderr, prefixed, for notices and errors: one line, never
/// wrapped (scripts and tests read an error as the one line it is).
pub fn notice(line: &str) {
    let one = printable(&line.replace('\n', " "));
    write(Stream::Stderr, &format!("prepush-auth: {one}\n"));
}

static VERBOSE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// `check -v`: each step is told on stderr.
pub fn set_verbose(on: bool) {
    VERBOSE.store(on, std::sync::atomic::Ordering::Relaxed);
}

pub fn verbose() -> bool {
    VERBOSE.load(std::sync::atomic::Ordering::Relaxed)
}

/// One step of the check, on stderr, under `-v`. Callers pass what is
/// safe to show (names, hosts, paths, statuses): never a secret, and the
/// line is printable-filtered like every other.
pub fn step(line: impl FnOnce() -> String) {
    if verbose() {
        let one = printable(&line().replace('\n', " "));
        write(Stream::Stderr, &format!("prepush-auth: · {one}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_break_only_outside_quoted_spaces() {
        assert!(!space_in_single_quotes(
            r"printf '%s\n' protocol=https host=h | git credential reject"
        ));
        assert!(!space_in_single_quotes(
            r#"git config core.sshCommand "ssh -F /c -i /k -o IdentitiesOnly=yes""#
        ));
        assert!(space_in_single_quotes("ssh-add '/my keys/k'"));
        assert!(space_in_single_quotes(
            r#"git config core.sshCommand "ssh -i '/my keys/k'""#
        ));
        // `'\''` ends the quotes and starts new ones: the space after is in them.
        assert!(space_in_single_quotes(r"ssh-add '/k/alice'\''s work key'"));
        assert!(space_in_single_quotes(
            r#"git config core.sshCommand "ssh -i '/k/alice'\''s work key' -o X=y""#
        ));
        // Escaped double quotes inside the value quote for the command's
        // own shell too (a user's `ssh -F "/My Configs/c"`).
        assert!(space_in_single_quotes(
            r#"git config core.sshCommand "ssh -F \"/home/u/My Configs/c\" -i /k""#
        ));
        assert!(!space_in_single_quotes(
            r#"git config core.sshCommand "ssh -F \"/home/u/c\" -i /k""#
        ));
        let mut out = String::new();
        let long = r#"git config core.sshCommand "ssh -F /a/very/long/path/to/config -i '/k/alice'\''s work key' -o IdentitiesOnly=yes""#;
        wrapped_command(&mut out, "  fix:    $ ", long, 80);
        assert_eq!(out.lines().count(), 1, "{out}");
    }
}
