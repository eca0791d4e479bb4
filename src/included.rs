//! prepush-auth's own git config file, included from the user's config by
//! one line (SPEC §3).
//!
//! The user's config (`~/.gitconfig`, or the repository's `.git/config`)
//! gets exactly one line, appended last:
//!
//! ```text
//! [include] path = "~/.config/prepush-auth/gitconfig"  # prepush-auth: …
//! ```
//!
//! Everything else lives in that file, as named blocks. `git config
//! [--global] credential.helper X` (which writes one file and does not
//! follow includes) never sees our values, so it keeps working, and never
//! writes into our file. `uninstall` removes the line and the file, and the
//! user's file is byte for byte what it would be had we never been there.
//!
//! Another kind of entry lives here the same way: a block is a name and a
//! config text, e.g. for `install --ssh`:
//!
//! ```ignore
//! let file = Included::at(global)?;
//! let body = format!("{}\tsshCommand = {}\n", section_header("core", None), quote(&cmd));
//! file.set("ssh", &body)?;   // and file.remove("ssh")? on uninstall
//! ```
//!
//! Blocks keep a fixed order ([`rank`]): the gate's block, which resets the
//! helper list, comes before every other, so it never drops them.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// The end of our line in the user's config.
const LINE_MARK: &str = "# prepush-auth: `prepush-auth uninstall` removes this line";
/// Added to our line when the user's last line had no newline: we gave it
/// one, at this byte. Removed with our line only while it is still right
/// before it (a line git inserted since owns it).
const ADDED_NEWLINE: &str = " (and the newline at byte ";
/// Added to our line when the user's file did not exist.
const CREATED: &str = " (the file was created for it)";
const BEGIN: &str = "# >>> ";
const END: &str = "# <<< ";

/// Escapes and double-quotes a value for a git config file: the one
/// quoting rule for everything written there.
pub fn quote(value: &str) -> String {
    format!("\"{}\"", escape(value))
}

fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\t', "\\t")
}

/// `[credential]` or `[credential "https://github.com"]`, with its newline.
pub fn section_header(section: &str, subsection: Option<&str>) -> String {
    match subsection {
        None => format!("[{section}]\n"),
        Some(s) => format!("[{section} \"{}\"]\n", escape(s)),
    }
}

/// Where a block goes among the others: the gate's first (it resets the
/// helper list), then the rest in the order they were added.
pub fn rank(name: &str) -> u8 {
    u8::from(name != "gate")
}

/// Whether a config origin (`git config --show-origin`) is one of our files.
pub fn is_our_file(origin: &str) -> bool {
    let p = Path::new(origin);
    p.ends_with("prepush-auth.gitconfig") || p.ends_with("prepush-auth/gitconfig")
}

/// Our file for one scope and the user's file that includes it.
#[derive(Clone, Debug)]
pub struct Included {
    pub global: bool,
    /// The user's config file (`git config [--global]` writes there).
    pub config: PathBuf,
    /// Our file.
    pub ours: PathBuf,
    /// The value of our `include.path` (`~/…`, or relative to `.git/`).
    include_value: String,
}

impl Included {
    /// The pair for `--global` or for the current repository.
    pub fn at(global: bool) -> Result<Self> {
        let config = crate::install::config_file(global)?;
        if global {
            let home = PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?);
            let ours = global_file(&home);
            let include_value = ours.strip_prefix(&home).map_or_else(
                |_| ours.to_string_lossy().into_owned(),
                |rel| format!("~/{}", rel.to_string_lossy()),
            );
            Ok(Self {
                global,
                config,
                ours,
                include_value,
            })
        } else {
            let dir = config.parent().map(Path::to_owned).unwrap_or_default();
            Ok(Self {
                global,
                ours: dir.join("prepush-auth.gitconfig"),
                config,
                // Relative to the including file: survives moving the repository.
                include_value: "prepush-auth.gitconfig".to_owned(),
            })
        }
    }

    /// Where our global file is (without asking git anything).
    pub fn at_global_path() -> Option<PathBuf> {
        let home = PathBuf::from(std::env::var_os("HOME")?);
        Some(global_file(&home))
    }

    /// The blocks of our file, in order: `(name, body)`.
    pub fn blocks(&self) -> Vec<(String, String)> {
        fs::read_to_string(&self.ours).map_or_else(|_| Vec::new(), |t| parse_blocks(&t))
    }

    pub fn block(&self, name: &str) -> Option<String> {
        self.blocks().into_iter().find(|(n, _)| n == name).map(|(_, b)| b)
    }

    /// Whether the user's config has our line.
    pub fn is_included(&self) -> bool {
        fs::read_to_string(&self.config).is_ok_and(|t| find_line(&t).is_some())
    }

    /// Whether our line is the last thing git reads in the user's file (so
    /// no later entry there can reset ours).
    pub fn is_last(&self) -> bool {
        fs::read_to_string(&self.config).is_ok_and(|t| {
            find_line(&t).is_some_and(|(_, end)| t[end..].lines().all(|l| l.trim().is_empty() || is_comment(l)))
        })
    }

    /// Sets block `name` to `body` and makes our line the user's file's
    /// last. Returns whether anything changed.
    pub fn set(&self, name: &str, body: &str) -> Result<bool> {
        let mut blocks = self.blocks();
        match blocks.iter_mut().find(|(n, _)| n == name) {
            Some(b) => body.clone_into(&mut b.1),
            None => blocks.push((name.to_owned(), body.to_owned())),
        }
        blocks.sort_by_key(|(n, _)| rank(n));
        let text = render_blocks(&blocks, self.global);
        let changed_file = fs::read_to_string(&self.ours).ok().as_deref() != Some(text.as_str());
        if changed_file {
            write_file(&self.ours, &text)?;
        }
        let changed_line = if self.is_last() { false } else { self.append_line()? };
        Ok(changed_file || changed_line)
    }

    /// Removes block `name`; with none left, our file and our line go too.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let mut blocks = self.blocks();
        let before = blocks.len();
        blocks.retain(|(n, _)| n != name);
        if blocks.len() == before {
            return Ok(false);
        }
        if blocks.is_empty() {
            return self.remove_all();
        }
        write_file(&self.ours, &render_blocks(&blocks, self.global))?;
        Ok(true)
    }

    /// Removes our line from the user's file and our file. Returns whether
    /// there was anything.
    pub fn remove_all(&self) -> Result<bool> {
        let mut any = false;
        if let Ok(original) = fs::read_to_string(&self.config) {
            let (text, removed, created) = without_line(&original);
            if removed {
                any = true;
                if text.is_empty() && created {
                    fs::remove_file(&self.config)?;
                } else {
                    crate::install::write_config(&self.config, &text)?;
                }
            }
        }
        match fs::remove_file(&self.ours) {
            Ok(()) => {
                any = true;
                // Our directory (`~/.config/prepush-auth`) goes too when
                // nothing else is in it (its config.toml stays).
                if self.global
                    && let Some(dir) = self.ours.parent()
                {
                    let _ = fs::remove_dir(dir);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("removing {}", self.ours.display())),
        }
        Ok(any)
    }

    /// Our line, appended last (moved there when it was elsewhere).
    fn append_line(&self) -> Result<bool> {
        let (original, existed) = match fs::read_to_string(&self.config) {
            Ok(t) => (t, true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (String::new(), false),
            Err(e) => return Err(e).with_context(|| format!("reading {}", self.config.display())),
        };
        let (mut text, _, created) = without_line(&original);
        let mut notes = String::new();
        if !text.is_empty() && !text.ends_with('\n') {
            let _ = write!(notes, "{ADDED_NEWLINE}{})", text.len());
            text.push('\n');
        }
        if !existed || created {
            notes.push_str(CREATED);
        }
        let _ = writeln!(
            text,
            "[include] path = {}  {LINE_MARK}{notes}",
            quote(&self.include_value)
        );
        crate::install::write_config(&self.config, &text)?;
        Ok(text != original)
    }
}

fn global_file(home: &Path) -> PathBuf {
    std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map_or_else(|| home.join(".config"), PathBuf::from)
        .join("prepush-auth/gitconfig")
}

fn is_comment(line: &str) -> bool {
    let l = line.trim_start();
    l.starts_with('#') || l.starts_with(';')
}

/// Our line's byte range in `text` (its newline included).
fn find_line(text: &str) -> Option<(usize, usize)> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("[include] path = ") && line.contains(LINE_MARK) {
            return Some((at, at + line.len()));
        }
        at += line.len();
    }
    None
}

/// `text` without our line (and the newline we added before it). Returns
/// the text, whether the line was there, and whether we created the file.
fn without_line(text: &str) -> (String, bool, bool) {
    let Some((start, end)) = find_line(text) else {
        return (text.to_owned(), false, false);
    };
    let line = &text[start..end];
    let mut before = &text[..start];
    let added_at = line
        .split_once(ADDED_NEWLINE)
        .and_then(|(_, n)| n.split(')').next()?.parse::<usize>().ok());
    if added_at.is_some_and(|n| n + 1 == start) && before.ends_with('\n') {
        before = &before[..before.len() - 1];
    }
    // `git config --add include.path X` appends to our line's section:
    // those keys keep their `[include]` header, which is what git would
    // have written for them had our line never been there.
    let rest = &text[end..];
    let keys_follow = rest
        .lines()
        .find(|l| !l.trim().is_empty() && !is_comment(l))
        .is_some_and(|l| !l.trim_start().starts_with('['));
    let header = if keys_follow { "[include]\n" } else { "" };
    (format!("{before}{header}{rest}"), true, line.contains(CREATED))
}

fn parse_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(String, String)> = None;
    for line in text.split_inclusive('\n') {
        if let Some(name) = line.strip_prefix(BEGIN) {
            current = Some((name.trim().to_owned(), String::new()));
        } else if line.starts_with(END) {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
        } else if let Some((_, body)) = &mut current {
            body.push_str(line);
        }
    }
    blocks
}

fn render_blocks(blocks: &[(String, String)], global: bool) -> String {
    let from = if global {
        "your global git config"
    } else {
        "this repository's .git/config"
    };
    let mut text = format!(
        "# prepush-auth's git config, included by the last line of {from}.\n\
         # Written by `prepush-auth install`; `prepush-auth uninstall` removes it and that line.\n"
    );
    for (name, body) in blocks {
        let _ = writeln!(text, "{BEGIN}{name}");
        text.push_str(body);
        if !body.ends_with('\n') {
            text.push('\n');
        }
        let _ = writeln!(text, "{END}{name}");
    }
    text
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let tmp = path.with_extension("prepush-auth.tmp");
    fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_our_line_restores_the_text_exactly() {
        for original in ["[user]\n\tname = A\n", "[user]\n\tname = A", "\n", "", "[a]\n\n"] {
            let mut text = original.to_owned();
            let mut notes = String::new();
            if !text.is_empty() && !text.ends_with('\n') {
                let _ = write!(notes, "{ADDED_NEWLINE}{})", text.len());
                text.push('\n');
            }
            let _ = writeln!(text, "[include] path = \"x\"  {LINE_MARK}{notes}");
            assert_eq!(without_line(&text), (original.to_owned(), true, false));
            // The user adds after it.
            let after = format!("{text}[credential]\n\thelper = cache\n");
            let (back, removed, _) = without_line(&after);
            assert!(removed);
            assert_eq!(
                back,
                format!("{original}[credential]\n\thelper = cache\n"),
                "{original:?}"
            );
            // `git config --add include.path x` after it: its header stays.
            let added = format!("{text}\tpath = ~/x\n");
            let (back, _, _) = without_line(&added);
            assert_eq!(back, format!("{original}[include]\n\tpath = ~/x\n"), "{original:?}");
            // git inserts before it: the newline is the inserted line's now.
            if let Some(last) = original.rfind('\n').map(|i| i + 1).filter(|i| *i < original.len()) {
                let inserted = format!("{}\n\tx = 1\n{}", &text[..original.len()], &text[original.len() + 1..]);
                let (back, _, _) = without_line(&inserted);
                assert_eq!(back, format!("{}\n\tx = 1\n", &original), "{last}");
            }
        }
    }

    #[test]
    fn blocks_read_back_in_rank_order() {
        let blocks = vec![
            ("gate".to_owned(), "[credential]\n\thelper =\n".to_owned()),
            ("observe".to_owned(), "[credential]\n\thelper = x\n".to_owned()),
        ];
        assert_eq!(parse_blocks(&render_blocks(&blocks, true)), blocks);
        assert!(rank("gate") < rank("observe") && rank("observe") == rank("ssh"));
    }

    #[test]
    fn values_and_headers_are_quoted_once() {
        assert_eq!(quote(r"!'/a b/c' x"), r#""!'/a b/c' x""#);
        assert_eq!(quote("a\\b\"c\n"), r#""a\\b\"c\n""#);
        assert_eq!(
            section_header("credential", Some("https://h/\"x")),
            "[credential \"https://h/\\\"x\"]\n"
        );
    }
}
