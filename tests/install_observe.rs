#![allow(clippy::pedantic)]
//! `prepush-auth install` as README says, met by real git: a push the host
//! refuses is explained at that moment (once, in git's own verb), `check`
//! and `status` remember it until a credential works, and the user's own
//! `git config` edits keep working around our included file and survive
//! `uninstall` byte for byte.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use support::*;

struct World {
    sb: Sandbox,
    host: FakeHost,
    url: String,
}

/// A GitHub-like host whose git server takes `accepted`; `stored` is in
/// `git credential-store`.
fn world(tokens: Vec<Tok>, accepted: &[&str], stored: &str) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = accepted.iter().map(|t| ("*", *t)).collect();
    let backend = GitBackend::new(root, "acme/widgets.git", &accept);
    let host = github_with(tokens, REPO_JSON, Some(backend));
    // A deadline no loaded machine misses: these tests are about wording and config.
    sb.use_host_timeout(&host, "github", "/api/v3", 20_000);
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", stored);
    World { sb, host, url }
}

fn git_out(sb: &Sandbox, args: &[&str]) -> (Output, String) {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(args)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    sb.assert_no_secret_in(&err, "git stderr");
    (out, err)
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[test]
fn install_explains_a_refused_push_check_remembers_it_and_a_working_token_clears_it() {
    let stale = classic_token("refusedrefusedrefusedrefusedre");
    let fresh = classic_token("freshfreshfreshfreshfreshfresh");
    let w = world(vec![tok(&fresh, Some("repo, workflow"))], &[&fresh], &stale);
    w.sb.secrets.lock().unwrap().push(fresh.clone());
    let inst = w.sb.run(&["install"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    assert!(inst.stdout.contains("installed the pre-push hook"), "{}", inst.stdout);
    assert!(inst.stdout.contains("credential helper (observe)"), "{}", inst.stdout);
    assert!(
        inst.stdout
            .contains("explains a refused credential at the moment git refuses it")
            && inst.stdout.contains("warns before a token expires"),
        "{}",
        inst.stdout
    );
    // Installed in both places: still one explanation per refusal.
    assert_eq!(w.sb.run(&["install", "--global"]).code, 0);

    let (out, err) = w.sb.push_main();
    eprintln!("refused push:\n{err}");
    assert!(!out.status.success());
    let ours = err.find("was refused because:").unwrap_or_else(|| panic!("{err}"));
    let fatal = err
        .find("fatal: Authentication failed")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(ours < fatal, "our reason comes above git's fatal line: {err}");
    assert!(err.contains("prepush-auth: the push to 127.0.0.1:"), "{err}");
    assert!(
        err.contains("GitHub rejects the classic personal access token"),
        "{err}"
    );
    assert!(!err.contains("will fail"), "said in the future after the fact: {err}");
    assert_eq!(count(&err, "was refused because"), 1, "explained once: {err}");

    // git erased the stale token from store; check still says why the push failed.
    let run = w.sb.run(&["check"]);
    eprintln!("check after:\n{}", run.stdout);
    assert!(run.stdout.contains("the push at "), "{}", run.stdout);
    assert!(run.stdout.contains("was refused: GitHub rejects"), "{}", run.stdout);
    assert!(
        run.stdout.contains("git then erased it from store: store a new one"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("asked: store, prepush-auth"), "{}", run.stdout);
    assert!(
        !run.stdout.contains("prepush-auth (observe)") && !run.stdout.contains("with store, prepush"),
        "{}",
        run.stdout
    );
    // The same note for scripts, under `notes`.
    let json = w.sb.run(&["check", "--format", "json"]).json();
    let notes = json["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{json:#}");
    assert_eq!(notes[0]["kind"], "refusal");
    assert_eq!(notes[0]["host"], json["checks"][0]["host"]);
    assert!(
        notes[0]["text"]
            .as_str()
            .unwrap()
            .contains("was refused: GitHub rejects"),
        "{json:#}"
    );
    let status = w.sb.run(&["status"]);
    assert!(
        status.stdout.contains("was refused: GitHub rejects"),
        "{}",
        status.stdout
    );
    let state = std::fs::read_to_string(w.sb.home.join(".cache/prepush-auth/state.json")).unwrap();
    assert!(state.contains("refusals") && state.contains("ghp_"), "{state}");
    w.sb.assert_no_secret_in_files();

    // A fresh token works: git stores it, and the refusal is history.
    w.sb.store_credential(&w.url, "alice", &fresh);
    let (out, err) = w.sb.push_main();
    assert!(out.status.success(), "{err}");
    let run = w.sb.run(&["check"]);
    assert!(!run.stdout.contains("was refused"), "{}", run.stdout);
    assert!(!w.sb.run(&["status"]).stdout.contains("was refused"));
    assert_eq!(
        w.sb.run(&["check", "--format", "json"]).json()["notes"],
        serde_json::json!([])
    );
    let _ = &w.host;
}

#[test]
fn a_refused_fetch_says_fetch() {
    let stale = classic_token("fetchfetchfetchfetchfetchfetch");
    let w = world(vec![], &["something-else"], &stale);
    assert_eq!(w.sb.run(&["install"]).code, 0);
    let (out, err) = git_out(&w.sb, &["fetch", "origin"]);
    eprintln!("refused fetch:\n{err}");
    assert!(!out.status.success());
    assert!(err.contains("prepush-auth: the fetch from 127.0.0.1:"), "{err}");
    assert!(!err.contains("push to") && !err.contains("will fail"), "{err}");
    let run = w.sb.run(&["check"]);
    assert!(run.stdout.contains("the fetch at "), "{}", run.stdout);
}

/// A copy of the binary that can be moved away.
fn movable_binary(sb: &Sandbox) -> PathBuf {
    let dir = sb.home.join("opt/bin");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("prepush-auth");
    copy_executable(BIN, &bin);
    bin
}

#[test]
fn entries_whose_binary_moved_stay_silent() {
    let good = classic_token("movedmovedmovedmovedmovedmoved");
    let w = world(vec![tok(&good, Some("repo"))], &[&good], &good);
    let bin = movable_binary(&w.sb);
    for args in [
        &["install", "--helper", "observe"][..],
        &["install", "--helper", "observe", "--global"],
        &["install", "--helper", "gate", "--global"],
    ] {
        let mut cmd = Command::new(&bin);
        w.sb.env(&mut cmd);
        let out = cmd.args(args).current_dir(&w.sb.work).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::remove_file(&bin).unwrap();
    let (out, err) = w.sb.push_main();
    assert!(out.status.success(), "{err}");
    assert_eq!(err, "", "nothing of ours, nothing from sh");
    let (out, err) = git_out(&w.sb, &["fetch", "-q", "origin"]);
    assert!(out.status.success(), "{err}");
    assert_eq!(err, "");
    // Refused, git says only its own words.
    w.sb.store_credential(&w.url, "alice", &classic_token("stalestalestalestalestalestale"));
    let (out, err) = git_out(&w.sb, &["fetch", "-q", "origin"]);
    assert!(!out.status.success());
    assert!(!err.contains("prepush-auth") && !err.contains("not found"), "{err}");
}

#[test]
fn a_global_entry_is_refused_from_node_modules() {
    let sb = Sandbox::new();
    let dir = sb.home.join("proj/node_modules/.bin");
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("prepush-auth");
    copy_executable(BIN, &bin);
    let before = std::fs::read(sb.home.join(".gitconfig")).unwrap();
    let mut cmd = Command::new(&bin);
    sb.env(&mut cmd);
    let out = cmd
        .args(["install", "--helper", "observe", "--global"])
        .current_dir(&sb.home)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("node_modules") && err.contains("then run: prepush-auth install --global"),
        "{err}"
    );
    assert_eq!(std::fs::read(sb.home.join(".gitconfig")).unwrap(), before);
}

/// The user's config files, as bytes.
fn files(sb: &Sandbox) -> Vec<(PathBuf, Vec<u8>)> {
    [sb.home.join(".gitconfig"), sb.work.join(".git/config")]
        .into_iter()
        .map(|p| {
            let b = std::fs::read(&p).unwrap_or_default();
            (p, b)
        })
        .collect()
}

fn fill(sb: &Sandbox, url: &str) -> String {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let mut child = cmd
        .args(["credential", "fill"])
        .current_dir(&sb.work)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(format!("url={url}\n\n").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `git credential approve` in the repository, as git does after a push.
fn approve(sb: &Sandbox, url: &str, secret: &str) {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let mut child = cmd
        .args(["credential", "approve"])
        .current_dir(&sb.work)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    let input = format!("url={url}\nusername=alice\npassword={secret}\n\n");
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
}

/// The user's own edits, as they would type them.
fn user_edits(sb: &Sandbox, gh: bool) {
    let edits: [&[&str]; 4] = [
        &["config", "--global", "credential.helper", "cache --timeout=3600"],
        &["config", "--add", "credential.helper", "cache"],
        &["config", "credential.useHttpPath", "true"],
        // A dotfiles idiom: git appends this key to the `[include]` section it finds last (ours).
        &["config", "--global", "--add", "include.path", "~/.gitconfig.local"],
    ];
    for e in edits {
        let (out, err) = git_out(sb, e);
        assert!(out.status.success(), "git {e:?}: {err}");
    }
    if gh {
        let mut cmd = Command::new("gh");
        sb.env(&mut cmd);
        let out = cmd
            .args(["auth", "setup-git"])
            .env("GH_TOKEN", "not-a-real-token")
            .current_dir(&sb.work)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "gh auth setup-git: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn the_users_git_config_edits_work_around_the_entries_and_survive_uninstall_byte_for_byte() {
    let gh = Command::new("gh")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let secret = classic_token("editseditseditseditseditsedits");
    // The same user twice: once with prepush-auth installed, once without.
    let with = world(vec![tok(&secret, Some("repo"))], &[&secret], &secret);
    let without = world(vec![tok(&secret, Some("repo"))], &[&secret], &secret);
    // Same bytes to start from (the remote's port differs: compare each to its own start).
    let fill_before = fill(&with.sb, &with.url);
    assert!(fill_before.contains("password="), "{fill_before}");
    for args in [
        &["install"][..],
        &["install", "--global"],
        &["install", "--helper", "gate", "--global"],
    ] {
        let r = with.sb.run(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
    }
    assert_eq!(
        fill(&with.sb, &with.url),
        fill_before,
        "fill answers as before, installed"
    );
    // `git config --global` sees only the user's values.
    let (out, _) = git_out(&with.sb, &["config", "--global", "--get-all", "credential.helper"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "store\n");

    // The order git computes (GIT_TRACE): the gate first, the chain it
    // repeats, then each observe entry.
    let traced = |sb: &Sandbox| {
        let mut cmd = Command::new("git");
        sb.env(&mut cmd);
        let mut child = cmd
            .args(["credential", "fill"])
            .env("GIT_TRACE", "2")
            .env("PREPUSH_AUTH_IN_FILL", "1")
            .current_dir(&sb.work)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"url=https://example.com/x.git\n\n")
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter_map(|l| {
                l.split_once("trace: run_command: ")
                    .map(|(_, c)| c.trim_matches('\'').to_owned())
            })
            .filter(|c| c.ends_with(" get"))
            .map(|c| {
                if c.contains("credential --gate") {
                    "gate".to_owned()
                } else if c.contains("prepush-auth") {
                    "observe".to_owned()
                } else {
                    c
                }
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        traced(&with.sb),
        ["gate", "git credential-store get", "observe", "observe"]
    );
    user_edits(&with.sb, gh);
    user_edits(&without.sb, gh);
    let ours = std::fs::read_to_string(with.sb.home.join(".config/prepush-auth/gitconfig")).unwrap();
    assert!(
        !ours.contains("cache") && !ours.contains("useHttpPath"),
        "the user's edits landed in our file: {ours}"
    );
    // The gate's copy of the chain is the one before the edit: said, with the command that updates it.
    let status = with.sb.run(&["status"]);
    let line = status
        .stdout
        .lines()
        .find(|l| l.contains("repeats helpers"))
        .unwrap_or_else(|| panic!("{}", status.stdout));
    assert!(
        line.ends_with("update it with: prepush-auth install --helper gate --global"),
        "{line}"
    );
    assert_eq!(with.sb.run(&["install", "--helper", "gate", "--global"]).code, 0);
    assert!(!with.sb.run(&["status"]).stdout.contains("repeats helpers"));
    // The user's new helper (cache) keeps what git approves, on both sides alike.
    let port = |w: &World| w.url.split('/').nth(2).unwrap().to_owned();
    for w in [&with, &without] {
        approve(&w.sb, &w.url, &secret);
    }
    let answer = |w: &World| fill(&w.sb, &w.url).replace(&port(w), "HOST");
    assert!(
        answer(&with).contains("path=acme/widgets.git"),
        "useHttpPath is the user's: {}",
        answer(&with)
    );
    assert_eq!(answer(&with), answer(&without), "fill answers as without prepush-auth");

    assert_eq!(with.sb.run(&["uninstall"]).code, 0);
    assert_eq!(with.sb.run(&["uninstall", "--global"]).code, 0);
    assert_eq!(answer(&with), answer(&without), "fill answers as before, uninstalled");
    let norm = |w: &World| {
        files(&w.sb)
            .into_iter()
            .map(|(_, b)| {
                String::from_utf8(b)
                    .unwrap()
                    .replace(&port(w), "HOST")
                    .replace(w.sb.dir.path().to_str().unwrap(), "SB")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        norm(&with),
        norm(&without),
        "uninstall kept every edit and left every other byte"
    );
    assert!(!with.sb.home.join(".config/prepush-auth/gitconfig").exists());
    for w in [&with, &without] {
        git_out(&w.sb, &["credential-cache", "exit"]);
    }
    assert!(!with.sb.work.join(".git/prepush-auth.gitconfig").exists());
}

/// A helper for one host behind a reset, as 1Password's snippet and `gh
/// auth setup-git` write it: `helper =` then the helper.
fn reset_layout(sb: &Sandbox, url_prefix: &str, item: &Path) {
    let prog = sb.program(
        "op-like",
        &format!(
            "cat >/dev/null; echo username=alice; echo \"password=$(cat '{}')\"",
            item.display()
        ),
    );
    let key = format!("credential.{url_prefix}.helper");
    git_out(sb, &["config", "--global", "--replace-all", &key, ""]);
    git_out(
        sb,
        &["config", "--global", "--add", &key, &format!("!{} get", prog.display())],
    );
}

#[test]
fn a_reset_before_install_is_passed_and_one_added_after_is_named_with_its_restoring_command() {
    let stale = classic_token("opstaleopstaleopstaleopstaleop");
    // Before: the layout exists, then `install --global`.
    let w = world(vec![], &["something-else"], &stale);
    let item = w.sb.dir.path().join("item");
    std::fs::write(&item, &stale).unwrap();
    let prefix = w.url.split("/acme").next().unwrap().to_owned();
    reset_layout(&w.sb, &prefix, &item);
    assert_eq!(w.sb.run(&["install", "--global"]).code, 0);
    let (out, err) = w.sb.push_main();
    assert!(!out.status.success());
    assert!(
        err.contains("was refused because:"),
        "explained behind the reset: {err}"
    );

    // After: installed first, the layout added later.
    let stale2 = classic_token("opstaleopstaleopstaleopstaleoq");
    let v = world(vec![], &["something-else"], &stale2);
    let item = v.sb.dir.path().join("item");
    std::fs::write(&item, &stale2).unwrap();
    assert_eq!(v.sb.run(&["install", "--global"]).code, 0);
    let prefix = v.url.split("/acme").next().unwrap().to_owned();
    reset_layout(&v.sb, &prefix, &item);
    let status = v.sb.run(&["status"]);
    eprintln!("status:\n{}", status.stdout);
    let line = status
        .stdout
        .lines()
        .find(|l| l.contains("no longer runs"))
        .unwrap_or_else(|| panic!("{}", status.stdout));
    assert!(
        line.contains("the observe entry (global) no longer runs for 127.0.0.1:"),
        "{line}"
    );
    let restore = line.split("restore it with: ").nth(1).unwrap();
    assert_eq!(restore, "prepush-auth install --helper observe --global");
    let check = v.sb.run(&["check"]);
    assert!(check.stdout.contains(restore), "{}", check.stdout);
    let args: Vec<&str> = restore.split(' ').skip(1).collect();
    assert_eq!(v.sb.run(&args).code, 0);
    assert!(!v.sb.run(&["status"]).stdout.contains("no longer runs"));
    let (out, err) = v.sb.push_main();
    assert!(!out.status.success());
    assert!(err.contains("was refused because:"), "explained once restored: {err}");
}

#[test]
fn install_leaves_a_pre_commit_hook_that_already_runs_prepush_auth() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    let hook = "#!/usr/bin/env bash\n# File generated by pre-commit: https://pre-commit.com\nexec pre-commit hook-impl --hook-type=pre-push -- \"$@\"\n";
    std::fs::write(sb.work.join(".git/hooks/pre-push"), hook).unwrap();
    std::fs::write(
        sb.work.join(".pre-commit-config.yaml"),
        "repos:\n  - repo: https://github.com/example/prepush-auth-pre-commit\n    rev: v0.1.0\n    hooks:\n      - id: prepush-auth\n",
    )
    .unwrap();
    let run = sb.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("already runs prepush-auth (through pre-commit)"),
        "{}",
        run.stdout
    );
    assert_eq!(
        std::fs::read_to_string(sb.work.join(".git/hooks/pre-push")).unwrap(),
        hook
    );
    assert!(!sb.work.join(".git/hooks/pre-push.prepush-auth-saved").exists());
    let status = sb.run(&["status"]);
    assert!(
        status
            .stdout
            .contains("pre-push hook:  runs prepush-auth through pre-commit"),
        "{}",
        status.stdout
    );
}

#[test]
fn status_shows_what_is_installed_each_remotes_chain_the_tokens_and_the_refusals() {
    let good = classic_token("statusstatusstatusstatusstatus");
    let w = world(vec![tok(&good, Some("repo, workflow"))], &[&good], &good);
    // A second remote on github.com, whose helper is gh (`gh auth setup-git`'s layout).
    git_out(
        &w.sb,
        &["remote", "add", "upstream", "https://github.com/acme/upstream.git"],
    );
    git_out(
        &w.sb,
        &[
            "config",
            "--global",
            "--replace-all",
            "credential.https://github.com.helper",
            "",
        ],
    );
    git_out(
        &w.sb,
        &[
            "config",
            "--global",
            "--add",
            "credential.https://github.com.helper",
            "!/usr/bin/gh auth git-credential",
        ],
    );
    assert_eq!(w.sb.run(&["install"]).code, 0);
    assert_eq!(w.sb.run(&["install", "--global"]).code, 0);
    assert_eq!(w.sb.run(&["check"]).code, 0);
    let started = std::time::Instant::now();
    let run = w.sb.run(&["status"]);
    let took = started.elapsed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let port = w.url.split('/').nth(2).unwrap();
    let text = run
        .stdout
        .replace(port, "HOST")
        .replace(&good[good.len() - 4..], "LAST")
        .replace(w.sb.dir.path().to_str().unwrap(), "SB");
    assert_eq!(
        text,
        "prepush-auth status (read locally; nothing was sent)
installed:
  pre-push hook:  installed (.git/hooks/pre-push)
  repository:     observe (.git/prepush-auth.gitconfig)
  global:         observe (SB/home/.config/prepush-auth/gitconfig)
remotes (helpers in the order git asks them):
  origin  http://HOST/acme/widgets.git
    helpers: store, prepush-auth (observe), prepush-auth (observe)
  upstream  https://github.com/acme/upstream.git
    helpers: gh (GitHub CLI), prepush-auth (observe), prepush-auth (observe)
tokens seen (soonest expiry first):
  ghp_…LAST  HOST  from store  expiry not known
",
        "{}",
        run.stdout
    );
    let sent = w.host.count();
    w.sb.run(&["status", "--format", "json"]);
    assert_eq!(w.host.count(), sent, "status sends nothing");
    assert_eq!(w.sb.trap_hits(), 0, "nor through a proxy");
    let json = w.sb.run(&["status", "--format", "json"]).json();
    assert_eq!(json["remotes"][1]["helpers"][0], "gh", "{json}");
    assert_eq!(json["remotes"][0]["helpers"][1], "prepush-auth-observe", "{json}");
    assert_eq!(json["tokens"][0]["helper"], "store", "{json}");
    eprintln!("status took {took:?}");
}

/// An entry an older prepush-auth wrote into `~/.gitconfig` itself (between
/// marker comments) moves into our file on the next install, and the user's
/// file ends as it was before that older install.
#[test]
fn an_older_block_in_the_users_config_moves_into_our_file() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    let gitconfig = sb.home.join(".gitconfig");
    let before = std::fs::read_to_string(&gitconfig).unwrap();
    let old = format!(
        "{before}\n# >>> prepush-auth observe (added by `prepush-auth install`; `prepush-auth uninstall` removes it)\n[credential]\n\thelper = \"!'{BIN}' credential\"\n# <<< prepush-auth observe\n"
    );
    std::fs::write(&gitconfig, &old).unwrap();
    let run = sb.run(&["install", "--helper", "observe", "--global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let now = std::fs::read_to_string(&gitconfig).unwrap();
    assert!(!now.contains("# >>> prepush-auth"), "{now}");
    assert!(now.starts_with(&before) && now.contains("[include] path = "), "{now}");
    let (out, _) = git_out(&sb, &["config", "--get-all", "credential.helper"]);
    assert_eq!(count(&String::from_utf8_lossy(&out.stdout), "prepush-auth"), 1);
    assert_eq!(sb.run(&["uninstall", "--global"]).code, 0);
    assert_eq!(std::fs::read_to_string(&gitconfig).unwrap(), before);
}

/// `git config --global include.path X` (without --add) replaces the only
/// `include.path` of the file, which is ours: status says so and how to
/// restore it, and the restore keeps the user's include.
#[test]
fn our_include_replaced_by_the_users_own_is_said_and_restored() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    assert_eq!(sb.run(&["install", "--global"]).code, 0);
    git_out(&sb, &["config", "--global", "include.path", "~/.gitconfig.local"]);
    let status = sb.run(&["status"]);
    let line = status
        .stdout
        .lines()
        .find(|l| l.contains("no longer includes it"))
        .unwrap_or_else(|| panic!("{}", status.stdout));
    assert!(line.ends_with("restore with: prepush-auth install --global)"), "{line}");
    assert_eq!(sb.run(&["install", "--global"]).code, 0);
    let status = sb.run(&["status"]);
    assert!(
        status.stdout.contains("  global:         observe ("),
        "{}",
        status.stdout
    );
    let (out, _) = git_out(&sb, &["config", "--global", "--get-all", "include.path"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("~/.gitconfig.local\n"));
}

/// Review bug: a refusal the observe entry remembered was cleared by the
/// next `check` when that check's `ok` was only replayed from the cache (a
/// verdict from before the refusal, under another key: with two remotes on
/// the host the observe entry cannot name the repository). A replayed ok
/// is no credential working again: the refusal stays and is said.
#[test]
fn a_remembered_ok_does_not_clear_a_later_refusal() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let token = classic_token("laterlaterlaterlaterlaterlater");
    let sb = Sandbox::new();
    sb.secrets.lock().unwrap().push(token.clone());
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(root, "acme/widgets.git", &[("*", token.as_str())]);
    let revoked = Arc::new(AtomicBool::new(false));
    let (known, gone) = (token.clone(), revoked.clone());
    let host = FakeHost::builder()
        .git(backend)
        .route_fn(move |r| {
            let works = !gone.load(Ordering::SeqCst) && presented(r).as_deref() == Some(known.as_str());
            if r.path.contains("/info/refs?service=git-receive-pack") {
                return (!works).then(|| fixture("github/probe-bad-credentials.http"));
            }
            if !r.path.starts_with("/api/v3/") {
                return None;
            }
            if !works {
                return Some(fixture("github/bad-credentials.http"));
            }
            Some(match r.path.as_str() {
                "/api/v3/user" => Reply::json(200, r#"{"login":"alice","id":7,"type":"User"}"#),
                "/api/v3/repos/acme/widgets" => Reply::json(200, REPO_JSON),
                _ => fixture("github/not-found.http"),
            })
        })
        .start();
    sb.use_host_timeout(&host, "github", "/api/v3", 20_000);
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &token);

    let first = sb.run(&["check", "origin"]);
    assert_eq!(first.code, 0, "{}", first.stdout);

    // The token is revoked; git is refused and runs the observe entry (a
    // helper that keeps the token: nothing erased it from the store).
    revoked.store(true, Ordering::SeqCst);
    sb.git(&[
        "remote",
        "add",
        "upstream",
        &url.replace("acme/widgets", "upstream/widgets"),
    ]);
    let port = url.split(':').nth(2).and_then(|p| p.split('/').next()).unwrap();
    let mut erase = sb.cmd(&["credential", "erase"]);
    erase
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = erase.spawn().unwrap();
    std::io::Write::write_all(
        child.stdin.as_mut().unwrap(),
        format!("protocol=http\nhost=127.0.0.1:{port}\nusername=alice\npassword={token}\n\n").as_bytes(),
    )
    .unwrap();
    let observed = sb.finish(child.wait_with_output().unwrap());
    assert_eq!(observed.code, 0);
    assert!(observed.stdout.is_empty(), "{}", observed.stdout);
    assert!(observed.stderr.contains("refused"), "{}", observed.stderr);
    assert!(sb.run(&["status"]).stdout.contains("was refused"), "remembered");

    // check within the cache's lifetime asks the host again rather than
    // replay the ok from before the refusal; the refusal stays.
    let run = sb.run(&["check", "origin"]);
    assert_eq!(run.code, 1, "a replayed ok hid the refusal:\n{}", run.stdout);
    assert!(run.stdout.contains("was refused"), "{}", run.stdout);
    let status = sb.run(&["status"]);
    assert!(
        status.stdout.contains("was refused"),
        "cleared by a replayed ok:\n{}",
        status.stdout
    );
}
