//! `prepush-auth install` and `uninstall` (SPEC §3).
//!
//! The hook goes where git looks (`git rev-parse --git-path hooks`, so
//! `core.hooksPath` is respected). A hook that is not ours is kept and
//! chained, never silently overwritten. Helper entries are appended to the
//! config file as one block between marker comments, so `uninstall`
//! removes exactly what was added, byte for byte. The observer is asked
//! last and answers nothing to `get`: the chain before it is untouched. The
//! gate must be asked first without changing what the rest of the chain
//! gives for any URL: see [`gate_sections`]. Where that cannot be done
//! faithfully (a helper from a conditional include), it refuses and says why.

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

/// The line that runs the check from a shared hook: a clone on a machine
/// without prepush-auth pushes as before.
const SHARED_HOOK_LINE: &str =
    r#"if command -v prepush-auth >/dev/null 2>&1; then prepush-auth pre-push "$@" || exit 1; fi"#;

/// `dir` as an absolute path, through symlinks where it exists.
fn absolute(dir: &Path) -> PathBuf {
    let abs = if dir.is_absolute() {
        dir.to_owned()
    } else {
        std::env::current_dir().map_or_else(|_| dir.to_owned(), |d| d.join(dir))
    };
    fs::canonicalize(&abs).unwrap_or(abs)
}

/// The work tree when the hooks directory is inside it but not inside the
/// git directory: a committed directory (husky's `.husky`, a `githooks/`
/// set with `core.hooksPath`), shared with everyone who clones it.
fn committed_hooks_root(dir: &Path) -> Option<PathBuf> {
    let top = absolute(Path::new(&git_out(&["rev-parse", "--show-toplevel"]).ok()?));
    let git_dir = absolute(Path::new(&git_out(&["rev-parse", "--git-common-dir"]).ok()?));
    let dir = absolute(dir);
    (dir.starts_with(&top) && !dir.starts_with(&git_dir)).then_some(top)
}

/// The hook file a person edits: husky ≥ 9 points `core.hooksPath` at
/// `.husky/_` (generated, ignored) whose stubs run `.husky/<hook>`.
fn editable_hook(dir: &Path) -> PathBuf {
    if dir.file_name().is_some_and(|n| n == "_")
        && let Some(parent) = dir.parent()
    {
        return parent.join("pre-push");
    }
    dir.join("pre-push")
}

/// Whether a hook already runs prepush-auth, itself or through the hook
/// manager it hands over to (lefthook, pre-commit).
fn already_runs_us(hook: &Path, top: &Path) -> bool {
    let Ok(text) = fs::read_to_string(hook) else {
        return false;
    };
    if text.contains("prepush-auth") {
        return true;
    }
    let mentions = |files: &[&str]| {
        files
            .iter()
            .any(|f| fs::read_to_string(top.join(f)).is_ok_and(|t| t.contains("prepush-auth")))
    };
    (text.contains("lefthook") && mentions(&["lefthook.yml", ".lefthook.yml", "lefthook.yaml", ".lefthook.yaml"]))
        || (text.contains("pre-commit") && mentions(&[".pre-commit-config.yaml"]))
}

/// A committed hooks directory gets no path of this machine: say what to add.
fn shared_hook_advice(dir: &Path, top: &Path) -> String {
    let hook = editable_hook(dir);
    if already_runs_us(&hook, top) || already_runs_us(&dir.join("pre-push"), top) {
        return format!(
            "{} already runs prepush-auth; left as is (the hooks directory is committed, so nothing of this machine is written there)",
            hook.display()
        );
    }
    let shown = hook.strip_prefix(top).unwrap_or(&hook).display().to_string();
    let add = if hook.exists() {
        format!("add this line to {shown}:\n    {SHARED_HOOK_LINE}")
    } else {
        format!("create {shown} (executable) with:\n    #!/bin/sh\n    {SHARED_HOOK_LINE}")
    };
    format!(
        "the hooks directory {} (core.hooksPath) is in the work tree and shared with everyone who clones it, so this machine's path is not written into it; nothing was changed.\n\
         prepush-auth: {add}\n\
         prepush-auth: or with lefthook (lefthook.yml):\n\
         \x20   pre-push:\n\
         \x20     commands:\n\
         \x20       prepush-auth:\n\
         \x20         run: prepush-auth pre-push {{1}} {{2}}\n\
         \x20         use_stdin: true\n\
         prepush-auth: or with pre-commit (.pre-commit-config.yaml; then `pre-commit install --hook-type pre-push`):\n\
         \x20   - repo: local\n\
         \x20     hooks:\n\
         \x20       - id: prepush-auth\n\
         \x20         name: prepush-auth\n\
         \x20         entry: prepush-auth pre-push\n\
         \x20         language: system\n\
         \x20         stages: [pre-push]\n\
         \x20         pass_filenames: false\n\
         \x20         always_run: true\n\
         \x20         verbose: true",
        dir.strip_prefix(top).unwrap_or(dir).display()
    )
}

fn install_hook(force: bool) -> Result<String> {
    let dir = hooks_dir()?;
    if let Some(top) = committed_hooks_root(&dir) {
        return Ok(shared_hook_advice(&dir, &top));
    }
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
    let escaped = s
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
        .replace('\t', "\\t");
    format!("\"{escaped}\"")
}

/// A section header: `[credential]` or `[credential "https://github.com"]`.
fn section_header(url: Option<&str>) -> String {
    match url {
        None => "[credential]".to_owned(),
        Some(u) => format!("[credential \"{}\"]", u.replace('\\', "\\\\").replace('"', "\\\"")),
    }
}

/// One `credential.helper` or `credential.<url>.helper` entry, as git reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct HelperEntry {
    /// `system`, `global`, `local`, `worktree` or `command`.
    scope: String,
    /// The file it is written in (`file:` stripped), or git's word for it.
    origin: String,
    /// The URL pattern of `credential.<url>.helper`; `None` for every URL.
    url: Option<String>,
    /// Empty: a reset (git then forgets the helpers listed before it).
    value: String,
}

/// `git config --show-scope --show-origin --null --get-regexp` output:
/// `scope NUL origin NUL key LF value NUL`, repeated. A key without a
/// value (`helper` with no `=`) is an error to git's credential code and
/// is left out.
fn parse_helper_entries(text: &str) -> Vec<HelperEntry> {
    let fields: Vec<&str> = text.split('\0').collect();
    fields
        .chunks(3)
        .filter_map(|c| match c {
            [scope, origin, kv] if !scope.is_empty() => {
                let (key, value) = kv.split_once('\n')?;
                // The key is `credential.helper` or `credential.<url>.helper`;
                // git lowercases section and key, never the URL between them.
                let middle = key.strip_prefix("credential.")?.strip_suffix("helper")?;
                let url = middle.strip_suffix('.').filter(|u| !u.is_empty()).map(str::to_owned);
                if !middle.is_empty() && url.is_none() {
                    return None;
                }
                Some(HelperEntry {
                    scope: (*scope).to_owned(),
                    origin: origin.strip_prefix("file:").unwrap_or(origin).to_owned(),
                    url,
                    value: value.to_owned(),
                })
            }
            _ => None,
        })
        .collect()
}

/// Every helper entry git reads here, in the order it reads them.
fn helper_entries() -> Result<Vec<HelperEntry>> {
    let mut cmd = git::git();
    cmd.args([
        "config",
        "--show-scope",
        "--show-origin",
        "--null",
        "--get-regexp",
        r"^credential\.(.+\.)?helper$",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let out =
        git::run_with_deadline(cmd, b"", Instant::now() + Duration::from_secs(10))?.context("git did not answer")?;
    // 1: no such key, which is no helper at all.
    if !out.status.success() && out.status.code() != Some(1) {
        bail!(
            "git cannot read its configuration: {}",
            String::from_utf8_lossy(&out.stderr).lines().next().unwrap_or("failed")
        );
    }
    Ok(parse_helper_entries(&String::from_utf8_lossy(&out.stdout)))
}

/// Whether a conditional include (`includeIf`) is configured anywhere git reads.
fn has_conditional_includes() -> bool {
    !conditional_includes().is_empty()
}

/// The `includeif.<condition>.path` keys git sees, lowercased.
fn conditional_includes() -> Vec<String> {
    git_out(&["config", "--name-only", "--get-regexp", r"^includeif\."])
        .map(|t| t.lines().map(str::to_ascii_lowercase).collect())
        .unwrap_or_default()
}

/// A helper command with a token-shaped word in it (`!f() { echo
/// password=ghp_…; }; f`).
fn holds_a_token(command: &str) -> bool {
    command
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .any(|word| crate::tokens::known_prefix(word).is_some() && word.len() >= 20)
}

/// The order git reads scopes in; the helpers of a later scope come after.
fn scope_rank(scope: &str) -> u8 {
    match scope {
        "system" => 0,
        "global" => 1,
        "local" => 2,
        "worktree" => 3,
        _ => 4,
    }
}

/// Our own gate entry (from any install, whichever binary path): replayed,
/// it would ask the gate twice.
fn is_gate_entry(value: &str) -> bool {
    value.starts_with('!') && value.ends_with(" credential --gate") && value.contains("prepush-auth")
}

/// The gate's block: the gate first for every URL, then exactly the chain
/// git computed before, for every URL.
///
/// git builds a URL's helper list by reading every `credential.helper` and
/// every matching `credential.<url>.helper` in config order, an empty value
/// clearing what came before (credential.c, `credential_config_callback`
/// over `urlmatch_config_entry` with `select_all`: order, not specificity,
/// decides). So the block, read last in its scope, clears the list
/// (`helper =`), names the gate, and replays every entry git read up to
/// here, in order, each in its own section: the same folds give the same
/// list for every URL. After each replayed reset the gate is named again
/// in that reset's section, so a URL whose list that reset clears (the
/// layout `gh auth setup-git` writes) still asks the gate first.
fn gate_sections(replayed: &[HelperEntry], gate: &str) -> Vec<(Option<String>, String)> {
    let mut lines = vec![(None, String::new()), (None, gate.to_owned())];
    for e in replayed {
        lines.push((e.url.clone(), e.value.clone()));
        if e.value.is_empty() {
            lines.push((e.url.clone(), gate.to_owned()));
        }
    }
    lines
}

fn render_sections(lines: &[(Option<String>, String)]) -> String {
    let mut text = String::new();
    let mut section: Option<&Option<String>> = None;
    for (url, value) in lines {
        if section != Some(url) {
            let _ = writeln!(text, "{}", section_header(url.as_deref()));
            section = Some(url);
        }
        if value.is_empty() {
            text.push_str("\thelper =\n");
        } else {
            let _ = writeln!(text, "\thelper = {}", config_value(value));
        }
    }
    text
}

fn mode_name(mode: HelperMode) -> &'static str {
    match mode {
        HelperMode::Observe => "observe",
        HelperMode::Gate => "gate",
    }
}

/// Said in the block's first line when we ended the file's last line.
const ADDED_NEWLINE: &str = "; the line above had no newline";
/// Said in the block's first line when the file did not exist.
const CREATED: &str = "; the file was created for it";

/// Removes our blocks (each with the separation we put before it) from `text`.
/// Returns the text and how many blocks were removed, and whether one of
/// them created the file.
fn without_blocks(text: &str) -> (String, usize, bool) {
    let mut out = String::new();
    let mut removed = 0;
    let mut created = false;
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let Some(end_rel) = rest[start..].find(END) else { break };
        let begin_line = rest[start..].lines().next().unwrap_or("");
        let end_line = rest[start + end_rel..]
            .find('\n')
            .map_or(rest.len(), |i| start + end_rel + i + 1);
        let mut keep = &rest[..start];
        // The block was appended after a separating blank line: take it back,
        // and the newline we gave a last line that had none.
        if keep.ends_with("\n\n") || (keep == "\n") {
            keep = &keep[..keep.len() - 1];
            if begin_line.contains(ADDED_NEWLINE) && keep.ends_with('\n') {
                keep = &keep[..keep.len() - 1];
            }
        }
        created |= begin_line.contains(CREATED);
        out.push_str(keep);
        rest = &rest[end_line..];
        removed += 1;
    }
    out.push_str(rest);
    (out, removed, created)
}

/// `base` with `block` appended in a way [`without_blocks`] undoes exactly.
fn with_block(base: &str, existed: bool, block_body: &str, mode: HelperMode) -> String {
    with_named_block(base, existed, block_body, mode_name(mode))
}

/// [`with_block`] for any entry: `name` follows the markers.
fn with_named_block(base: &str, existed: bool, block_body: &str, name: &str) -> String {
    let mut notes = String::new();
    let mut text = base.to_owned();
    if !text.is_empty() {
        if !text.ends_with('\n') {
            text.push('\n');
            notes.push_str(ADDED_NEWLINE);
        }
        text.push('\n');
    }
    if !existed {
        notes.push_str(CREATED);
    }
    let _ = writeln!(
        text,
        "{BEGIN} {name} (added by `prepush-auth install`; `prepush-auth uninstall` removes it{notes})"
    );
    text.push_str(block_body);
    let _ = writeln!(text, "{END} {name}");
    text
}

/// What the gate's block replays, or why the gate cannot go first faithfully.
struct GatePlan {
    replayed: Vec<HelperEntry>,
    /// Entries read after the block (a later scope): kept as they are.
    later: Vec<HelperEntry>,
    copied_from_global: usize,
}

fn plan_gate(entries: Vec<HelperEntry>, global: bool) -> Result<GatePlan> {
    let target = if global { "global" } else { "local" };
    let (mut replayed, later): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .filter(|e| e.scope != "command")
        .partition(|e| scope_rank(&e.scope) <= scope_rank(target));
    replayed.retain(|e| !is_gate_entry(&e.value));
    // An entry from a conditionally included file holds only for some
    // repositories (`includeIf "gitdir:…"`) or branches (`onbranch:`):
    // replayed unconditionally it would change the chain elsewhere.
    let main_files = main_config_files();
    let included: Vec<&HelperEntry> = replayed
        .iter()
        // git names the repository's own file relatively (`.git/config`).
        .filter(|e| Path::new(&e.origin).is_absolute())
        .filter(|e| !main_files.iter().any(|f| same_file(f, Path::new(&e.origin))))
        .collect();
    if let Some(e) = included.first()
        && has_conditional_includes()
    {
        bail!(
            "not installing the gate: the credential helper set in {} may come from a conditional include (includeIf), \
             which the gate's block cannot reproduce for every repository; nothing was changed",
            e.origin
        );
    }
    // A global block is read in every repository, each with its own
    // includeIf matches (a `gitdir:~/work/` include this repository does not
    // see): what it replays here would reset the helpers included there. A
    // local one is read only here, but an `onbranch:` include changes with
    // the branch.
    let conditional = conditional_includes();
    if (global && !conditional.is_empty()) || conditional.iter().any(|c| c.starts_with("includeif.onbranch:")) {
        bail!(
            "not installing the gate: your git config has a conditional include (includeIf), so the helpers git uses \
             differ between repositories or branches, and the gate's block cannot keep each chain as it is; nothing was changed"
        );
    }
    // Replaying copies each helper entry into the block's file: one that
    // holds a token written inline would put the secret into a second file.
    let target_files = if global { "~/.gitconfig" } else { ".git/config" };
    if let Some(e) = replayed
        .iter()
        .filter(|e| e.scope != target)
        .find(|e| holds_a_token(&e.value))
    {
        bail!(
            "not installing the gate: a credential helper entry in {} holds what looks like a token, and the gate would \
             copy it into {target_files}; keep the token out of the helper command (or in a helper that reads it), then \
             install again; nothing was changed",
            e.origin
        );
    }
    let copied_from_global = if global {
        0
    } else {
        replayed.iter().filter(|e| e.scope != "local").count()
    };
    Ok(GatePlan {
        replayed,
        later,
        copied_from_global,
    })
}

/// The files git reads for the system, global and local scopes.
fn main_config_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    if let Ok(p) = config_file(true) {
        files.push(p);
    }
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        files.push(home.join(".gitconfig"));
        files.push(
            std::env::var_os("XDG_CONFIG_HOME")
                .filter(|p| !p.is_empty())
                .map_or_else(|| home.join(".config"), PathBuf::from)
                .join("git/config"),
        );
    }
    if let Some(p) = std::env::var_os("GIT_CONFIG_SYSTEM") {
        files.push(PathBuf::from(p));
    } else {
        files.push(PathBuf::from("/etc/gitconfig"));
    }
    if let Ok(p) = config_file(false) {
        files.push(p);
    }
    files
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

fn read_config_text(file: &Path) -> Result<(String, bool)> {
    match fs::read_to_string(file) {
        Ok(t) => Ok((t, true)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((String::new(), false)),
        Err(e) => Err(e).with_context(|| format!("reading {}", file.display())),
    }
}

fn install_helper(mode: HelperMode, global: bool) -> Result<String> {
    let file = config_file(global)?;
    let (original, existed) = read_config_text(&file)?;
    let (base, had, created) = without_blocks(&original);
    let existed = existed && !created;
    let bin = self_path()?;
    let mut notes = Vec::new();
    let body = match mode {
        HelperMode::Observe => {
            // Asked last, answering nothing to `get`: the chain before it is untouched.
            render_sections(&[(None, format!("!{} credential", sh_quote(&bin)))])
        }
        HelperMode::Gate => {
            // Read the chain without our own block in the way.
            if had > 0 {
                write_config(&file, &base)?;
            }
            let plan = plan_gate(helper_entries()?, global);
            let plan = match plan {
                Ok(p) => p,
                Err(e) => {
                    if had > 0 {
                        write_config(&file, &original)?;
                    }
                    return Err(e);
                }
            };
            if plan.copied_from_global > 0 {
                notes.push(format!(
                    "the gate is followed by the {} helper entr{} git read before this repository's config (copied into it, so they keep their order after the gate); run this again after changing them",
                    plan.copied_from_global,
                    if plan.copied_from_global == 1 { "y" } else { "ies" }
                ));
            }
            // A reset followed by a gate is another gate block (the
            // repository's own): there the gate is asked first already.
            let later = &plan.later;
            let bare_resets = later.iter().enumerate().filter(|(i, e)| {
                e.value.is_empty()
                    && !later
                        .get(i + 1)
                        .is_some_and(|next| next.url == e.url && is_gate_entry(&next.value))
            });
            for (_, e) in bare_resets {
                notes.push(format!(
                    "{} resets the helpers for {} after the gate's block: there git does not ask the gate (install it there too: prepush-auth install --helper gate)",
                    e.origin,
                    e.url.as_deref().unwrap_or("every URL")
                ));
            }
            let gate = format!("!{} credential --gate", sh_quote(&bin));
            render_sections(&gate_sections(&plan.replayed, &gate))
        }
    };
    let text = with_block(&base, existed, &body, mode);
    if text == original {
        if had > 0 {
            write_config(&file, &original)?;
        }
        return Ok(format!(
            "credential helper ({}) already installed in {}",
            mode_name(mode),
            file.display()
        ));
    }
    write_config(&file, &text)?;
    if mode == HelperMode::Gate
        && let Err(e) = verify_gate(&file, global, &body)
    {
        write_config(&file, &original)?;
        return Err(e);
    }
    let verb = if had > 0 { "replaced" } else { "added" };
    let mut said = format!(
        "{verb} the credential helper ({}) in {}",
        mode_name(mode),
        file.display()
    );
    for n in notes {
        let _ = write!(said, "\nprepush-auth: note: {n}");
    }
    Ok(said)
}

/// git reads back the block's entries as written, in order, last in its scope.
fn verify_gate(file: &Path, global: bool, body: &str) -> Result<()> {
    let scope = if global { "global" } else { "local" };
    let read: Vec<(Option<String>, String)> = helper_entries()?
        .into_iter()
        .filter(|e| e.scope == scope)
        .map(|e| (e.url, e.value))
        .collect();
    let written = parse_helper_entries_of_block(body);
    if !read.ends_with(&written) {
        bail!(
            "not installing the gate: git reads the block written to {} differently than intended; nothing was changed",
            file.display()
        );
    }
    Ok(())
}

/// The `(url, value)` lines of a block we rendered.
fn parse_helper_entries_of_block(body: &str) -> Vec<(Option<String>, String)> {
    let mut url: Option<String> = None;
    let mut out = Vec::new();
    for line in body.lines() {
        if let Some(h) = line.strip_prefix("[credential") {
            url = h
                .trim_end_matches(']')
                .trim()
                .strip_prefix('"')
                .and_then(|u| u.strip_suffix('"'))
                .map(|u| u.replace("\\\"", "\"").replace("\\\\", "\\"));
        } else if let Some(v) = line.trim().strip_prefix("helper =") {
            let v = v.trim();
            let v = v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).map_or_else(
                || v.to_owned(),
                |v| {
                    v.replace("\\n", "\n")
                        .replace("\\t", "\t")
                        .replace("\\\"", "\"")
                        .replace("\\\\", "\\")
                },
            );
            out.push((url.clone(), v));
        }
    }
    out
}

fn write_config(file: &Path, text: &str) -> Result<()> {
    // A dotfiles `~/.gitconfig` is often a link: write where it points, so
    // the link stays a link (renaming over it would replace it by a file).
    let resolved = fs::canonicalize(file).ok();
    let file = resolved.as_deref().unwrap_or(file);
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
    let (text, removed, created) = without_blocks(&original);
    if removed == 0 {
        return Ok(None);
    }
    if text.is_empty() && created {
        // We created the file: leave no empty file behind.
        fs::remove_file(&file)?;
    } else {
        write_config(&file, &text)?;
    }
    Ok(Some(format!(
        "removed what install added (credential helper, ssh entry) from {}",
        file.display()
    )))
}

/// The block that makes the ssh entry git's `core.sshCommand`: appended
/// last, so it wins over the user's own value, which stays where it is and
/// is what the entry runs (`--then`). `uninstall` removes the block.
fn install_ssh(global: bool) -> Result<String> {
    let file = config_file(global)?;
    let current = git_out(&["config", "--get", "core.sshCommand"])
        .ok()
        .filter(|c| !c.is_empty());
    if current.as_deref().is_some_and(crate::ssh_entry::is_entry) {
        return Ok(format!(
            "the ssh entry is already core.sshCommand (in {})",
            file.display()
        ));
    }
    let mut entry = format!("{} ssh", sh_quote(&self_path()?));
    if let Some(own) = &current {
        let _ = write!(entry, " --then {}", sh_quote(own));
    }
    let mut body = format!("[core]\n\tsshCommand = {}\n", config_value(&entry));
    // git guesses the ssh variant from the program's name; for ours it
    // would run `-G` first on every connection (SSH.md §0.4). Said once
    // here instead, where the command wrapped is OpenSSH and the user has
    // not chosen a variant.
    let wrapped = crate::ssh::Runner {
        program: current.clone().unwrap_or_else(|| "ssh".to_owned()),
        shell: true,
        origin: "core.sshCommand",
    };
    if wrapped.is_openssh() && git_out(&["config", "--get", "ssh.variant"]).is_err() {
        body.push_str("[ssh]\n\tvariant = ssh\n");
    }
    let (base, existed) = read_config_text(&file)?;
    write_config(&file, &with_named_block(&base, existed, &body, "ssh"))?;
    let mut said = format!("core.sshCommand is now the ssh entry (in {})", file.display());
    if let Some(own) = current {
        let _ = write!(said, "; it runs your own command: {own}");
    }
    if std::env::var_os("GIT_SSH_COMMAND").is_some_and(|v| !v.is_empty()) {
        said.push_str("; note: GIT_SSH_COMMAND is set in this environment and wins over core.sshCommand");
    }
    Ok(said)
}

pub fn install(args: &InstallArgs) -> Result<u8> {
    if args.ssh {
        output::write(
            output::Stream::Stdout,
            &format!("prepush-auth: {}\n", install_ssh(args.global)?),
        );
    }
    let hook = args.hook || (args.helper.is_none() && !args.ssh);
    if hook {
        output::write(
            output::Stream::Stdout,
            &format!("prepush-auth: {}\n", install_hook(args.force)?),
        );
    }
    if args.global && args.helper.is_none() && !args.ssh {
        // A pre-push hook belongs to one repository; only the helper entry
        // has a global form. Said, so `--global` is not taken as "every repository".
        output::write(
            output::Stream::Stdout,
            "prepush-auth: note: --global applies to the credential-helper entry (--helper observe|gate); the pre-push hook was installed in this repository only\n",
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
        let body = "[credential]\n\thelper = x\n";
        for (original, existed) in [
            ("[user]\n\tname = A\n", true),
            ("[user]\n\tname = A", true),
            ("[user]\n\tname = A\n\n", true),
            ("\n", true),
            ("", true),
            ("", false),
        ] {
            let installed = with_block(original, existed, body, HelperMode::Gate);
            assert!(installed.contains(body));
            assert_eq!(
                without_blocks(&installed),
                (original.to_owned(), 1, !existed),
                "{original:?}"
            );
        }
        assert_eq!(without_blocks("[a]\n"), ("[a]\n".to_owned(), 0, false));
    }

    #[test]
    fn helper_entries_are_read_with_scope_origin_and_url() {
        let text = "global\0file:/h/.gitconfig\0credential.helper\nstore\0\
                    global\0file:/h/.gitconfig\0credential.https://github.com.helper\n\0\
                    local\0file:.git/config\0credential.https://Dev.Azure.com/x.helper\nmanager\0\
                    local\0file:.git/config\0credential.helper\0";
        let e = parse_helper_entries(text);
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].url.as_deref(), e[0].value.as_str()), (None, "store"));
        assert_eq!(e[1].url.as_deref(), Some("https://github.com"));
        assert!(e[1].value.is_empty());
        assert_eq!(e[2].url.as_deref(), Some("https://Dev.Azure.com/x"));
        assert_eq!(e[2].scope, "local");
    }

    #[test]
    fn the_block_reads_back_as_rendered() {
        let entry = |url: Option<&str>, value: &str| HelperEntry {
            scope: "global".to_owned(),
            origin: "/h/.gitconfig".to_owned(),
            url: url.map(str::to_owned),
            value: value.to_owned(),
        };
        let lines = gate_sections(
            &[
                entry(None, "cache --timeout=300"),
                entry(Some("https://github.com"), ""),
                entry(Some("https://github.com"), "!/usr/bin/gh auth git-credential"),
                entry(None, "!f() { echo \"a\\b\"; }; f"),
            ],
            "!'/bin/prepush-auth' credential --gate",
        );
        assert_eq!(lines[0], (None, String::new()));
        assert_eq!(lines[1].1, "!'/bin/prepush-auth' credential --gate");
        assert_eq!(lines[4], (Some("https://github.com".to_owned()), lines[1].1.clone()));
        assert_eq!(parse_helper_entries_of_block(&render_sections(&lines)), lines);
    }

    #[test]
    fn config_values_are_quoted() {
        assert_eq!(config_value(r"!'/a b/c' x"), r#""!'/a b/c' x""#);
        assert_eq!(config_value(r"a\b"), r#""a\\b""#);
    }
}
