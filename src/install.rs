//! `prepush-auth install` and `uninstall` (SPEC §3).
//!
//! The hook goes where git looks (`git rev-parse --git-path hooks`, so
//! `core.hooksPath` is respected). A hook that is not ours is kept and
//! chained, never silently overwritten; one that already runs prepush-auth
//! (pre-commit's, lefthook's) is left alone. Helper entries live in our own
//! file, included from the user's config by one line ([`crate::included`]),
//! so the user's `git config` edits never meet them and `uninstall` removes
//! exactly that line and that file. The observer is asked last and answers
//! nothing to `get`: the chain before it is untouched. The gate must be
//! asked first without changing what the rest of the chain gives for any
//! URL: see [`gate_sections`]. Where that cannot be done faithfully (a
//! helper from a conditional include), it refuses and says why. An entry
//! runs the binary only while it is there: after it moved, git goes on as
//! if the entry were not there, silently.

use std::fmt::Write as _;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cli::{HelperMode, InstallArgs};
use crate::git;
use crate::included::{self, Included};
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
pub(crate) fn already_runs_us(hook: &Path, top: &Path) -> bool {
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

/// The hook manager whose hook this is, by what it says about itself.
pub(crate) fn hook_manager(hook: &Path) -> &'static str {
    let text = fs::read_to_string(hook).unwrap_or_default();
    if text.contains("lefthook") {
        "lefthook"
    } else if text.contains("pre-commit") {
        "pre-commit"
    } else if text.contains("husky") {
        "husky"
    } else {
        "its own line"
    }
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
    // pre-commit's, lefthook's or husky's hook that already runs us:
    // chaining would run the check twice (and the hidden first run would
    // spend the once-a-day expiry warning).
    if hook.exists()
        && !is_ours(&hook)
        && let Ok(top) = git_out(&["rev-parse", "--show-toplevel"])
        && already_runs_us(&hook, Path::new(&top))
    {
        return Ok(format!(
            "{} already runs prepush-auth (through {}); left as is, so the check runs once per push",
            hook.display(),
            hook_manager(&hook)
        ));
    }
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
pub(crate) fn config_file(global: bool) -> Result<PathBuf> {
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
    is_our_command(value) && value.contains("credential --gate")
}

/// One of our helper entries (or the command git runs for it), whichever
/// binary path and form: the shell wrapper, or the bare command of older
/// installs.
pub fn is_our_command(command: &str) -> bool {
    command.contains("prepush-auth") && command.contains(" credential")
}

/// The helper entry for our binary: it runs the binary while it is there,
/// and when it is gone (moved, uninstalled) it reads git's request and
/// exits 0 without a word, so git goes on as if the entry were not there.
fn entry_value(bin: &str, gate: bool) -> String {
    let gate = if gate { " --gate" } else { "" };
    format!(
        "!f() {{ b={}; if [ -x \"$b\" ]; then exec \"$b\" credential{gate} \"$@\"; fi; cat >/dev/null; }}; f",
        sh_quote(bin)
    )
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
fn gate_sections(replayed: &[git::HelperEntry], gate: &str) -> Vec<(Option<String>, String)> {
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
            text.push_str(&included::section_header("credential", url.as_deref()));
            section = Some(url);
        }
        if value.is_empty() {
            text.push_str("\thelper =\n");
        } else {
            let _ = writeln!(text, "\thelper = {}", included::quote(value));
        }
    }
    text
}

/// Removes the blocks older versions appended to the config file itself
/// (each with the separation put before it). Returns the text and how many
/// blocks were removed, and whether one of them created the file.
fn without_legacy_blocks(text: &str) -> (String, usize, bool) {
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
        if keep.ends_with("\n\n") || (keep == "\n") {
            keep = &keep[..keep.len() - 1];
            if begin_line.contains("; the line above had no newline") && keep.ends_with('\n') {
                keep = &keep[..keep.len() - 1];
            }
        }
        created |= begin_line.contains("; the file was created for it");
        out.push_str(keep);
        rest = &rest[end_line..];
        removed += 1;
    }
    out.push_str(rest);
    (out, removed, created)
}

/// Removes an older version's blocks from the config file.
fn remove_legacy_blocks(file: &Path) -> Result<bool> {
    let Ok(original) = fs::read_to_string(file) else {
        return Ok(false);
    };
    let (text, removed, created) = without_legacy_blocks(&original);
    if removed == 0 {
        return Ok(false);
    }
    if text.is_empty() && created {
        fs::remove_file(file)?;
    } else {
        write_config(file, &text)?;
    }
    Ok(true)
}

/// What the gate's block replays, or why the gate cannot go first faithfully.
struct GatePlan {
    replayed: Vec<git::HelperEntry>,
    /// Entries read after the block (a later scope): kept as they are.
    later: Vec<git::HelperEntry>,
    copied_from_global: usize,
}

fn plan_gate(entries: Vec<git::HelperEntry>, global: bool) -> Result<GatePlan> {
    let target = if global { "global" } else { "local" };
    let (mut replayed, later): (Vec<_>, Vec<_>) = entries
        .into_iter()
        .filter(|e| e.scope != "command")
        // Our own file for this scope is what gets rewritten: never replayed.
        .filter(|e| !(e.scope == target && included::is_our_file(&e.origin)))
        .partition(|e| scope_rank(&e.scope) <= scope_rank(target));
    replayed.retain(|e| !is_gate_entry(&e.value));
    // An entry from a conditionally included file holds only for some
    // repositories (`includeIf "gitdir:…"`) or branches (`onbranch:`):
    // replayed unconditionally it would change the chain elsewhere.
    let main_files = main_config_files();
    let included: Vec<&git::HelperEntry> = replayed
        .iter()
        // git names the repository's own file relatively (`.git/config`).
        .filter(|e| Path::new(&e.origin).is_absolute())
        .filter(|e| !included::is_our_file(&e.origin))
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

/// Where a binary should not be named from the global config: a
/// project's `node_modules` (npx, a dev dependency) or a temporary
/// directory is gone, or another project's, tomorrow.
fn transient_place(bin: &str) -> Option<&'static str> {
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    // A home directory under /tmp (a container's, a test's) is still home.
    let home = std::env::var("HOME").unwrap_or_default();
    let in_home = !home.is_empty() && Path::new(bin).starts_with(&home);
    if bin.contains("/node_modules/") {
        Some("a project's node_modules")
    } else if bin.contains("/_npx/")
        || (!in_home
            && (bin.starts_with(tmp.trim_end_matches('/'))
                || bin.starts_with("/tmp/")
                || bin.starts_with("/var/folders/")))
    {
        Some("a temporary directory")
    } else {
        None
    }
}

fn install_helper(mode: HelperMode, global: bool) -> Result<String> {
    let file = Included::at(global)?;
    let bin = self_path()?;
    if global && let Some(place) = transient_place(&bin) {
        bail!(
            "not adding the credential helper to your global config: this prepush-auth ({bin}) is in {place}, \
             which every repository would then run; install it for your user first (`npm install -g prepush-auth`, \
             `pipx install prepush-auth` or `cargo install --locked prepush-auth`), then run: prepush-auth install --global"
        );
    }
    // Blocks an older version wrote into the config file itself.
    let migrated = remove_legacy_blocks(&file.config)?;
    let mut notes = Vec::new();
    let mut gate_lines = Vec::new();
    let (name, body) = match mode {
        HelperMode::Observe => ("observe", render_sections(&[(None, entry_value(&bin, false))])),
        HelperMode::Gate => {
            let plan = plan_gate(git::read_helper_entries()?, global)?;
            if plan.copied_from_global > 0 {
                notes.push(format!(
                    "the gate is followed by the {} helper entr{} git read before this repository's config (copied into it, so they keep their order after the gate); run this again after changing them",
                    plan.copied_from_global,
                    if plan.copied_from_global == 1 { "y" } else { "ies" }
                ));
            }
            // A reset followed by a gate for its URLs (the repository's own
            // gate block, read later): there the gate is asked first already.
            let later = &plan.later;
            let bare_resets = later.iter().enumerate().filter(|(i, e)| {
                e.value.is_empty()
                    && !later[i + 1..]
                        .iter()
                        .any(|next| is_gate_entry(&next.value) && (next.url.is_none() || next.url == e.url))
            });
            for (_, e) in bare_resets {
                notes.push(format!(
                    "{} resets the helpers for {} after the gate's block: there git does not ask the gate (install it there too: prepush-auth install --helper gate)",
                    e.origin,
                    e.url.as_deref().unwrap_or("every URL")
                ));
            }
            gate_lines = gate_sections(&plan.replayed, &entry_value(&bin, true));
            ("gate", render_sections(&gate_lines))
        }
    };
    let before = (fs::read(&file.config).ok(), fs::read(&file.ours).ok());
    let changed = file.set(name, &body)?;
    if mode == HelperMode::Gate
        && let Err(e) = verify_gate(&file, &gate_lines)
    {
        restore(&file.config, before.0.as_deref())?;
        restore(&file.ours, before.1.as_deref())?;
        return Err(e);
    }
    let mut said = if changed || migrated {
        format!(
            "added the credential helper ({name}) in {}, included from {}",
            file.ours.display(),
            file.config.display()
        )
    } else {
        format!(
            "credential helper ({name}) already installed in {}",
            file.ours.display()
        )
    };
    for n in notes {
        let _ = write!(said, "\nprepush-auth: note: {n}");
    }
    Ok(said)
}

fn restore(path: &Path, bytes: Option<&[u8]>) -> Result<()> {
    match bytes {
        Some(b) => fs::write(path, b).with_context(|| format!("restoring {}", path.display())),
        None => match fs::remove_file(path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        },
    }
}

/// git reads back the gate's block first in our file, as written, in order.
fn verify_gate(file: &Included, written: &[(Option<String>, String)]) -> Result<()> {
    let scope = if file.global { "global" } else { "local" };
    let read: Vec<(Option<String>, String)> = git::read_helper_entries()?
        .into_iter()
        .filter(|e| e.scope == scope && included::is_our_file(&e.origin))
        .map(|e| (e.url, e.value))
        .collect();
    if !read.starts_with(written) || written.is_empty() {
        bail!(
            "not installing the gate: git reads the block written to {} differently than intended; nothing was changed",
            file.ours.display()
        );
    }
    Ok(())
}

pub(crate) fn write_config(file: &Path, text: &str) -> Result<()> {
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
    let Ok(file) = Included::at(global) else {
        return Ok(None);
    };
    let legacy = remove_legacy_blocks(&file.config)?;
    if !file.remove_all()? && !legacy {
        return Ok(None);
    }
    Ok(Some(format!(
        "removed the credential helper: {} and its line in {}",
        file.ours.display(),
        file.config.display()
    )))
}

/// The ssh entry as git's `core.sshCommand`, in our included file (read
/// after the user's own config, so it wins there); the user's own value stays
/// where it is and is what the entry runs (`--then`).
fn install_ssh(global: bool) -> Result<String> {
    let file = Included::at(global)?;
    let mut current = git_out(&["config", "--get", "core.sshCommand"])
        .ok()
        .filter(|c| !c.is_empty());
    // Installed already: the user's own value, read without our file, may
    // have changed since (a key pinned, as `check` advises): wrap that one.
    let ours_already = current.as_deref().is_some_and(crate::ssh_entry::is_entry);
    if ours_already {
        current = git_out(&["config", "--no-includes", "--get", "core.sshCommand"])
            .ok()
            .filter(|c| !c.is_empty() && !crate::ssh_entry::is_entry(c));
    }
    if ours_already
        && file.block("ssh").is_some_and(|b| match &current {
            Some(own) => b.contains(&included::quote(&sh_quote(own))[1..]),
            None => !b.contains(" --then "),
        })
    {
        return Ok(format!(
            "the ssh entry is already core.sshCommand ({})",
            file.ours.display()
        ));
    }
    let mut entry = format!("{} ssh", sh_quote(&self_path()?));
    if let Some(own) = &current {
        let _ = write!(entry, " --then {}", sh_quote(own));
    }
    let mut body = format!(
        "{}\tsshCommand = {}\n",
        included::section_header("core", None),
        included::quote(&entry)
    );
    // git guesses the ssh variant from the program's name; for ours it
    // would run `-G` first on every connection (SSH.md §0.4). Said once
    // here instead, where the command wrapped is OpenSSH and the user has
    // not chosen a variant.
    let wrapped = crate::ssh::Runner {
        program: current.clone().unwrap_or_else(|| "ssh".to_owned()),
        shell: true,
        origin: crate::ssh::ENTRY_ORIGIN,
    };
    if wrapped.is_openssh() && git_out(&["config", "--get", "ssh.variant"]).is_err() {
        let _ = writeln!(body, "{}\tvariant = ssh", included::section_header("ssh", None));
    }
    file.set("ssh", &body)?;
    let mut said = format!(
        "core.sshCommand is now the ssh entry, in {}, included from {}",
        file.ours.display(),
        file.config.display()
    );
    if let Some(own) = current {
        let _ = write!(said, "; it runs your own command: {own}");
    }
    if std::env::var_os("GIT_SSH_COMMAND").is_some_and(|v| !v.is_empty()) {
        said.push_str("; note: GIT_SSH_COMMAND is set in this environment and wins over core.sshCommand");
    }
    Ok(said)
}

pub fn install(args: &InstallArgs) -> Result<u8> {
    let say = |line: &str| output::write(output::Stream::Stdout, &format!("prepush-auth: {line}\n"));
    if args.ssh {
        say(&install_ssh(args.global)?);
        if !args.hook && args.helper.is_none() {
            return Ok(0);
        }
    }
    let everything = !args.hook && args.helper.is_none();
    let mut hook_here = true;
    if args.hook || everything {
        // `install --global` also sets the hook up here when "here" is a
        // repository; outside one only the global entry has a meaning.
        match (everything && args.global, hooks_dir()) {
            (true, Err(_)) => {
                hook_here = false;
                say(
                    "not in a repository: the pre-push hook belongs to one; run `prepush-auth install --hook` in each repository to guard",
                );
            }
            _ => say(&install_hook(args.force)?),
        }
    }
    let mode = args.helper.or(everything.then_some(HelperMode::Observe));
    if let Some(mode) = mode {
        say(&install_helper(mode, args.global)?);
    }
    if everything {
        // What each part covers, so neither is taken for the other.
        if hook_here {
            say("  the pre-push hook checks the workflow scope and warns before a token expires, before each push");
        }
        say(&format!(
            "  the observe entry explains a refused credential at the moment git refuses it ({})",
            if args.global {
                "every repository"
            } else {
                "this repository"
            }
        ));
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
    // `install --global` in a repository also set the hook up there; the
    // hook is this repository's, so `--global` leaves it, and says how.
    if global && hooks_dir().is_ok_and(|dir| is_ours(&dir.join("pre-push"))) {
        output::write(
            output::Stream::Stdout,
            "prepush-auth: the pre-push hook in this repository stays; `prepush-auth uninstall` (without --global) removes it\n",
        );
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
    fn removing_legacy_blocks_restores_the_text_exactly() {
        let old = "[user]\n\tname = A\n\n# >>> prepush-auth observe (added by `prepush-auth install`; `prepush-auth uninstall` removes it)\n[credential]\n\thelper = x\n# <<< prepush-auth observe\n";
        assert_eq!(
            without_legacy_blocks(old),
            ("[user]\n\tname = A\n".to_owned(), 1, false)
        );
        assert_eq!(without_legacy_blocks("[a]\n"), ("[a]\n".to_owned(), 0, false));
    }

    #[test]
    fn the_entry_runs_the_binary_only_while_it_is_there() {
        let v = entry_value("/opt/it's/prepush-auth", true);
        assert!(is_our_command(&v) && is_gate_entry(&v));
        assert!(v.contains(r"b='/opt/it'\''s/prepush-auth'"), "{v}");
        assert!(!is_gate_entry(&entry_value("/b/prepush-auth", false)));
        assert_eq!(
            transient_place("/w/app/node_modules/.bin/prepush-auth"),
            Some("a project's node_modules")
        );
        assert_eq!(transient_place("/home/a/.cargo/bin/prepush-auth"), None);
    }

    #[test]
    fn the_block_reads_back_as_rendered() {
        let entry = |url: Option<&str>, value: &str| git::HelperEntry {
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
        assert!(render_sections(&lines).contains("[credential \"https://github.com\"]\n\thelper =\n"));
    }
}
