//! `prepush-auth install` and `uninstall` (SPEC §3).
//!
//! The hook goes where git looks (`git rev-parse --git-path hooks`, so
//! `core.hooksPath` is respected). A hook that is not ours is kept and
//! chained, never silently overwritten. Helper entries are appended to the
//! config file as one block between marker comments, so the chain git used
//! before still works and `uninstall` removes exactly what was added. The
//! gate must be asked first: its block resets the helper list (an empty
//! `credential.helper`, as git documents) and re-adds the helpers that were
//! in effect, after the gate.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::{HelperMode, InstallArgs};
use crate::git;
use crate::output;

const HOOK_MARK: &str = "# prepush-auth hook";
const SAVED_SUFFIX: &str = ".prepush-auth-saved";
const BEGIN: &str = "# >>> prepush-auth";
const END: &str = "# <<< prepush-auth";

fn git_out(args: &[&str]) -> Result<String> {
    let mut cmd = git::git();
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    let out =
        git::run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(10))?.context("git did not answer")?;
    if !out.status.success() {
        bail!(
            "git {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("failed")
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim_end_matches('\n').to_owned())
}

fn hooks_dir() -> Result<PathBuf> {
    let path = git_out(&["rev-parse", "--git-path", "hooks"]).context("not in a git repository")?;
    Ok(PathBuf::from(path))
}

fn self_path() -> Result<String> {
    let exe = std::env::current_exe().context("finding the prepush-auth binary")?;
    Ok(exe.to_string_lossy().into_owned())
}

/// Single-quotes for POSIX sh.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `hooks/pre-push` with the binary's path and the chaining decision filled in.
fn hook_script(bin: &str, chain: bool) -> String {
    include_str!("../hooks/pre-push")
        .replace("@PREPUSH_AUTH_BIN@", &sh_quote(bin))
        .replace("@PREPUSH_AUTH_CHAIN@", if chain { "yes" } else { "no" })
}

fn is_ours(path: &Path) -> bool {
    fs::read_to_string(path).is_ok_and(|t| t.contains(HOOK_MARK))
}

fn install_hook(force: bool) -> Result<String> {
    let dir = hooks_dir()?;
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let hook = dir.join("pre-push");
    let saved = dir.join(format!("pre-push{SAVED_SUFFIX}"));
    let mut note = String::new();
    if hook.exists() && !is_ours(&hook) {
        if saved.exists() {
            bail!(
                "{} exists and is not ours, and {} is taken; move one of them away first",
                hook.display(),
                saved.display()
            );
        }
        fs::rename(&hook, &saved).with_context(|| format!("keeping {}", hook.display()))?;
        note = if force {
            format!(
                "; the previous hook is kept as {} (not run; uninstall restores it)",
                saved.display()
            )
        } else {
            format!("; the previous hook still runs first (kept as {})", saved.display())
        };
    }
    let chain = saved.exists() && !force;
    let script = hook_script(&self_path()?, chain);
    if fs::read_to_string(&hook).ok().as_deref() == Some(script.as_str()) {
        return Ok(format!("pre-push hook already installed in {}", dir.display()));
    }
    let tmp = dir.join(".pre-push.prepush-auth.tmp");
    fs::write(&tmp, &script).with_context(|| format!("writing {}", tmp.display()))?;
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755))?;
    fs::rename(&tmp, &hook)?;
    Ok(format!("installed the pre-push hook in {}{note}", dir.display()))
}

fn uninstall_hook() -> Result<Option<String>> {
    let Ok(dir) = hooks_dir() else { return Ok(None) };
    let hook = dir.join("pre-push");
    let saved = dir.join(format!("pre-push{SAVED_SUFFIX}"));
    if !is_ours(&hook) {
        return Ok(None);
    }
    fs::remove_file(&hook)?;
    if saved.exists() {
        fs::rename(&saved, &hook)?;
        return Ok(Some(format!(
            "removed the pre-push hook; restored the previous one in {}",
            dir.display()
        )));
    }
    Ok(Some(format!("removed the pre-push hook from {}", dir.display())))
}

/// The config file `git config --global` (or `--local`) writes to.
fn config_file(global: bool) -> Result<PathBuf> {
    if !global {
        let common = git_out(&["rev-parse", "--git-common-dir"]).context("not in a git repository (use --global)")?;
        return Ok(PathBuf::from(common).join("config"));
    }
    if let Some(p) = std::env::var_os("GIT_CONFIG_GLOBAL").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let home = PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?);
    let dot = home.join(".gitconfig");
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|p| !p.is_empty())
        .map_or_else(|| home.join(".config"), PathBuf::from)
        .join("git/config");
    Ok(if !dot.exists() && xdg.exists() { xdg } else { dot })
}

/// Escapes a value for a git config file (inside double quotes).
fn config_value(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The helpers git asks today, in order: what follows the last reset.
fn effective_helpers() -> Vec<(String, String)> {
    let all: Vec<(String, String)> = git::helper_origins().into_iter().map(|(_, k, v)| (k, v)).collect();
    let after_reset = all.iter().rposition(|(_, v)| v.is_empty()).map_or(0, |i| i + 1);
    all[after_reset..].to_vec()
}

fn helper_block(mode: HelperMode, bin: &str) -> String {
    let entry = match mode {
        HelperMode::Observe => format!("!{} credential", sh_quote(bin)),
        HelperMode::Gate => format!("!{} credential --gate", sh_quote(bin)),
    };
    let mut block = format!(
        "{BEGIN} {} (added by `prepush-auth install`; `prepush-auth uninstall` removes it)\n",
        mode_name(mode)
    );
    block.push_str("[credential]\n");
    if mode == HelperMode::Gate {
        // Everything git would ask today, in order, to re-add after the gate.
        let before = effective_helpers();
        block.push_str("\thelper =\n");
        let _ = writeln!(block, "\thelper = {}", config_value(&entry));
        let mut section = String::from("credential");
        for (key, value) in before {
            let sub = key
                .strip_prefix("credential.")
                .and_then(|k| k.strip_suffix(".helper"))
                .map(str::to_owned);
            let want = sub.map_or_else(|| "credential".to_owned(), |s| format!("credential \"{s}\""));
            if want != section {
                let _ = writeln!(block, "[{want}]");
                section = want;
            }
            let _ = writeln!(block, "\thelper = {}", config_value(&value));
        }
    } else {
        let _ = writeln!(block, "\thelper = {}", config_value(&entry));
    }
    let _ = writeln!(block, "{END} {}", mode_name(mode));
    block
}

fn mode_name(mode: HelperMode) -> &'static str {
    match mode {
        HelperMode::Observe => "observe",
        HelperMode::Gate => "gate",
    }
}

/// Removes our blocks (each with the newline we put before it) from `text`.
fn without_blocks(text: &str) -> (String, usize) {
    let mut out = String::new();
    let mut removed = 0;
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let Some(end_rel) = rest[start..].find(END) else { break };
        let end_line = rest[start + end_rel..]
            .find('\n')
            .map_or(rest.len(), |i| start + end_rel + i + 1);
        let mut keep = &rest[..start];
        // The block was appended after a separating newline: take it back.
        if keep.ends_with("\n\n") || (keep == "\n") {
            keep = &keep[..keep.len() - 1];
        }
        out.push_str(keep);
        rest = &rest[end_line..];
        removed += 1;
    }
    out.push_str(rest);
    (out, removed)
}

fn install_helper(mode: HelperMode, global: bool) -> Result<String> {
    let file = config_file(global)?;
    let original = match fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", file.display())),
    };
    let (base, had) = without_blocks(&original);
    // The gate re-adds the helpers in effect: read them without our own block.
    if had > 0 {
        write_config(&file, &base)?;
    }
    let block = helper_block(mode, &self_path()?);
    let mut text = base.clone();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&block);
    write_config(&file, &text)?;
    if text == original {
        return Ok(format!(
            "credential helper ({}) already installed in {}",
            mode_name(mode),
            file.display()
        ));
    }
    let verb = if had > 0 { "replaced" } else { "added" };
    Ok(format!(
        "{verb} the credential helper ({}) in {}",
        mode_name(mode),
        file.display()
    ))
}

fn write_config(file: &Path, text: &str) -> Result<()> {
    if let Some(dir) = file.parent() {
        fs::create_dir_all(dir)?;
    }
    let tmp = file.with_extension("prepush-auth.tmp");
    fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    if let Ok(meta) = fs::metadata(file) {
        fs::set_permissions(&tmp, meta.permissions())?;
    }
    fs::rename(&tmp, file).with_context(|| format!("replacing {}", file.display()))
}

fn uninstall_helper(global: bool) -> Result<Option<String>> {
    let Ok(file) = config_file(global) else { return Ok(None) };
    let Ok(original) = fs::read_to_string(&file) else {
        return Ok(None);
    };
    let (text, removed) = without_blocks(&original);
    if removed == 0 {
        return Ok(None);
    }
    if text.trim().is_empty() && global {
        // We created the file: leave no empty file behind.
        fs::remove_file(&file)?;
    } else {
        write_config(&file, &text)?;
    }
    Ok(Some(format!("removed the credential helper from {}", file.display())))
}

pub fn install(args: &InstallArgs) -> Result<u8> {
    let hook = args.hook || args.helper.is_none();
    if hook {
        output::write(
            output::Stream::Stdout,
            &format!("prepush-auth: {}\n", install_hook(args.force)?),
        );
    }
    if let Some(mode) = args.helper {
        output::write(
            output::Stream::Stdout,
            &format!("prepush-auth: {}\n", install_helper(mode, args.global)?),
        );
    }
    Ok(0)
}

pub fn uninstall(global: bool) -> Result<u8> {
    let mut said = false;
    if !global && let Some(line) = uninstall_hook()? {
        output::write(output::Stream::Stdout, &format!("prepush-auth: {line}\n"));
        said = true;
    }
    if let Some(line) = uninstall_helper(global)? {
        output::write(output::Stream::Stdout, &format!("prepush-auth: {line}\n"));
        said = true;
    }
    if !said {
        output::write(output::Stream::Stdout, "prepush-auth: nothing to uninstall here\n");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removing_blocks_restores_the_text_exactly() {
        let original = "[user]\n\tname = A\n";
        let block = format!("{BEGIN} observe\n[credential]\n\thelper = x\n{END} observe\n");
        let installed = format!("{original}\n{block}");
        assert_eq!(without_blocks(&installed), (original.to_owned(), 1));
        assert_eq!(without_blocks(&format!("\n{block}")), (String::new(), 1));
        assert_eq!(without_blocks(original), (original.to_owned(), 0));
    }

    #[test]
    fn config_values_are_quoted() {
        assert_eq!(config_value(r"!'/a b/c' x"), r#""!'/a b/c' x""#);
        assert_eq!(config_value(r"a\b"), r#""a\\b""#);
    }
}
