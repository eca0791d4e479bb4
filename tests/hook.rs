#![allow(clippy::pedantic)]
//! Meeting git where pushes fail: real `git push` against git's own
//! `git http-backend` on loopback with Basic auth, the GitHub API emulated
//! beside it, the credential in a real `git credential-store`.

mod support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::*;

struct World {
    sb: Sandbox,
    host: FakeHost,
    bare: std::path::PathBuf,
    url: String,
}

/// A pushable repository: `tokens` are what the API knows, `accepted` what
/// the git server takes.
fn world(tokens: Vec<Tok>, accepted: &[&str], stored: &str) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = accepted.iter().map(|t| ("*", *t)).collect();
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let host = github_with(tokens, REPO_JSON, Some(backend));
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", stored);
    World {
        bare: root.join("acme/widgets.git"),
        sb,
        host,
        url,
    }
}

fn push(sb: &Sandbox, args: &[&str]) -> Output {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    // The installed hook finds the binary by the absolute path it was installed with.
    cmd.arg("push")
        .args(args)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn good(secret: &str, scopes: &'static str) -> Tok {
    tok(secret, Some(scopes))
}

#[test]
fn a_good_push_lands_and_the_hook_stays_quiet() {
    let secret = classic_token("goodpushgoodpushgoodpushgoodpu");
    let w = world(vec![good(&secret, "repo, workflow")], &[&secret], &secret);
    let inst = w.sb.run(&["install"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    assert!(inst.stdout.contains("installed the pre-push hook"), "{}", inst.stdout);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    w.sb.assert_no_secret_in(&text(&out), "push stderr");
    assert!(
        !text(&out).contains("prepush-auth"),
        "quiet when all is well: {}",
        text(&out)
    );
    assert!(bare_has(&w.bare, "refs/heads/main"));
    assert!(
        w.host.count_path("/api/v3/repos/acme/widgets") >= 1,
        "the hook asked the API"
    );
}

#[test]
fn a_workflow_change_without_the_workflow_scope_is_stopped_before_the_pack_is_sent() {
    let secret = classic_token("workflowworkflowworkflowworkfl");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    w.sb.run(&["install"]);
    // A first push without workflows goes through.
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", "."]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let packs = |h: &FakeHost| {
        h.requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/git-receive-pack"))
            .count()
    };
    let packs_before = packs(&w.host);
    let out = push(&w.sb, &["origin", "main"]);
    assert!(!out.status.success(), "the push should be stopped");
    let err = text(&out);
    assert!(err.contains("workflow scope"), "{err}");
    assert!(err.contains("settings/tokens"), "{err}");
    assert!(packs_before >= 1, "the first push sent its pack");
    assert_eq!(packs(&w.host), packs_before, "the server received a pack");
    let head = String::from_utf8(w.sb.git(&["rev-parse", "HEAD"]).stdout).unwrap();
    assert!(!bare_has(&w.bare, head.trim()));
}

#[test]
fn a_workflow_change_with_the_workflow_scope_lands() {
    let secret = classic_token("wfscopewfscopewfscopewfscopewf");
    let w = world(vec![good(&secret, "repo, workflow")], &[&secret], &secret);
    w.sb.run(&["install"]);
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", "."]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_rejected_credential_is_explained_by_the_observing_helper() {
    let stale = classic_token("stalestalestalestalestalestale");
    let w = world(vec![], &["something-else"], &stale);
    let inst = w.sb.run(&["install", "--helper", "observe"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let out = push(&w.sb, &["origin", "main"]);
    assert!(!out.status.success());
    let err = text(&out);
    w.sb.assert_no_secret_in(&err, "push stderr");
    let ours = err
        .find("GitHub rejects the classic personal access token")
        .unwrap_or_else(|| panic!("{err}"));
    let fatal = err
        .find("fatal: Authentication failed")
        .unwrap_or_else(|| panic!("{err}"));
    assert!(ours < fatal, "our reason comes before git's fatal line:\n{err}");
    assert!(
        err.contains("git credential reject") || err.contains("git now erases it"),
        "{err}"
    );
}

#[test]
fn the_gate_keeps_a_bad_credential_from_ever_reaching_the_git_server() {
    let stale = classic_token("gategategategategategategategat"[..30].as_ref());
    let w = world(vec![], &["something-else"], &stale);
    let inst = w.sb.run(&["install", "--helper", "gate"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);
    let out = push(&w.sb, &["origin", "main"]);
    assert!(!out.status.success());
    let err = text(&out);
    assert!(err.contains("GitHub rejects"), "{err}");
    assert!(err.contains("told us to quit"), "{err}");
    let git_requests: Vec<_> = w
        .host
        .requests()
        .into_iter()
        .filter(|r| !r.path.starts_with("/api/"))
        .collect();
    assert!(!git_requests.is_empty(), "git asked the server at least once");
    for r in git_requests {
        assert_ne!(
            basic_credentials(&r).map(|(_, p)| p),
            Some(stale.clone()),
            "the bad credential reached the git server"
        );
    }
}

#[test]
fn the_gate_hands_a_good_credential_to_git() {
    let secret = classic_token("gateokgateokgateokgateokgateok");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    w.sb.run(&["install", "--helper", "gate"]);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(bare_has(&w.bare, "refs/heads/main"));
}

#[test]
fn an_existing_hook_keeps_running() {
    let secret = classic_token("chainchainchainchainchainchain");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    let hooks = w.sb.work.join(".git/hooks");
    let marker = w.sb.dir.path().join("old-hook-ran");
    write_executable(
        &hooks.join("pre-push"),
        format!(
            "#!/bin/sh\ncat > '{}'\necho \"$1 $2\" >> '{}'\n",
            marker.display(),
            marker.display()
        )
        .as_bytes(),
    );
    let inst = w.sb.run(&["install"]);
    assert!(inst.stdout.contains("still runs first"), "{}", inst.stdout);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    let seen = std::fs::read_to_string(&marker).unwrap();
    assert!(
        seen.contains("refs/heads/main "),
        "the old hook got git's ref lines: {seen}"
    );
    assert!(seen.contains(&format!("origin {}", w.url)), "and its arguments: {seen}");
    assert!(w.host.count_path("/api/v3/") >= 1, "and prepush-auth ran too");
}

fn snapshot(sb: &Sandbox) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walk(&sb.work.join(".git/hooks"))
        .into_iter()
        .chain([sb.work.join(".git/config"), sb.home.join(".gitconfig")])
        .filter(|p| p.exists())
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

#[test]
fn install_is_idempotent_and_uninstall_restores_exactly_what_was_there() {
    let secret = classic_token("restorerestorerestorerestorere");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    std::fs::write(w.sb.work.join(".git/hooks/pre-push"), "#!/bin/sh\nexit 0\n").unwrap();
    let before = snapshot(&w.sb);
    assert_eq!(w.sb.run(&["install", "--hook", "--helper", "observe"]).code, 0);
    assert_eq!(w.sb.run(&["install", "--helper", "gate", "--global"]).code, 0);
    let once = snapshot(&w.sb);
    assert_ne!(once, before);
    assert_eq!(w.sb.run(&["install", "--hook", "--helper", "observe"]).code, 0);
    assert_eq!(w.sb.run(&["install", "--helper", "gate", "--global"]).code, 0);
    assert_eq!(snapshot(&w.sb), once, "installing twice changes nothing");
    // The chain git used before still answers while installed.
    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["credential"]["helper"], "store");
    assert_eq!(c["reason"], "ok");
    assert_eq!(w.sb.run(&["uninstall"]).code, 0);
    assert_eq!(w.sb.run(&["uninstall", "--global"]).code, 0);
    assert_eq!(snapshot(&w.sb), before, "uninstall left something behind");
}

/// `install --global` in a repository sets the hook up there too;
/// `uninstall --global` removes the global entry and says the hook stays,
/// with the command that removes it (it was silent before).
#[test]
fn uninstall_global_names_the_hook_it_leaves() {
    let secret = classic_token("globalglobalglobalglobalglobal");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    assert_eq!(w.sb.run(&["install", "--global"]).code, 0);
    assert!(w.sb.work.join(".git/hooks/pre-push").exists());
    let run = w.sb.run(&["uninstall", "--global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("the pre-push hook in this repository stays")
            && run
                .stdout
                .contains("`prepush-auth uninstall` (without --global) removes it"),
        "{}",
        run.stdout
    );
    let run = w.sb.run(&["uninstall"]);
    assert!(run.stdout.contains("removed the pre-push hook"), "{}", run.stdout);
    assert!(!w.sb.work.join(".git/hooks/pre-push").exists());
    assert_eq!(
        w.sb.run(&["uninstall", "--global"]).stdout,
        "prepush-auth: nothing to uninstall here\n"
    );
}

#[test]
fn the_hook_goes_where_core_hooks_path_points() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    // Outside the work tree: this machine's own hooks directory.
    let hooks = sb.dir.path().join("my-hooks");
    sb.git(&["config", "core.hooksPath", hooks.to_str().unwrap()]);
    let run = sb.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(hooks.join("pre-push").exists());
    assert!(!sb.work.join(".git/hooks/pre-push").exists());
}

fn tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    files
}

/// husky ≥ 9: `core.hooksPath = .husky/_` (generated stubs) running the
/// committed `.husky/pre-push`.
fn husky(sb: &Sandbox, user_hook: &str) {
    std::fs::create_dir_all(sb.work.join(".husky/_")).unwrap();
    std::fs::write(
        sb.work.join(".husky/_/pre-push"),
        "#!/usr/bin/env sh\n. \"$(dirname \"$0\")/h\"\n",
    )
    .unwrap();
    std::fs::write(sb.work.join(".husky/_/.gitignore"), "*\n").unwrap();
    std::fs::write(sb.work.join(".husky/pre-push"), user_hook).unwrap();
    sb.git(&["add", ".husky/pre-push"]);
    sb.git(&["commit", "-qm", "husky"]);
    sb.git(&["config", "core.hooksPath", ".husky/_"]);
}

/// Regression (issue 11): `install` rewrote the committed `.husky/pre-push`
/// with this machine's absolute path and left an untracked
/// `pre-push.prepush-auth-saved` beside it.
#[test]
fn a_committed_hooks_directory_gets_no_machine_path_but_the_line_to_add() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    husky(&sb, "npm test\n");
    let before = tree(&sb.work.join(".husky"));
    let run = sb.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        tree(&sb.work.join(".husky")),
        before,
        "nothing written into the committed hooks"
    );
    assert!(!sb.work.join(".git/hooks/pre-push").exists());
    assert!(run.stdout.contains("nothing was changed"), "{}", run.stdout);
    assert!(
        run.stdout.contains("add this line to .husky/pre-push:"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains(r#"prepush-auth pre-push "$@""#),
        "the one line: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("run: prepush-auth pre-push {1} {2}"),
        "lefthook: {}",
        run.stdout
    );
    assert!(
        run.stdout.contains("entry: prepush-auth pre-push"),
        "pre-commit: {}",
        run.stdout
    );
    assert!(!run.stdout.contains(BIN), "no machine path: {}", run.stdout);
    assert_eq!(
        sb.git(&["status", "--porcelain"]).stdout,
        b"",
        "no untracked file left behind"
    );
}

/// Regression (issue 11): where the husky script already ran prepush-auth,
/// install added a second run (the check ran twice per push).
#[test]
fn a_committed_hook_that_already_runs_prepush_auth_is_left_alone() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    husky(&sb, "npm test\nprepush-auth pre-push \"$@\"\n");
    let before = tree(&sb.work.join(".husky"));
    let run = sb.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("already runs prepush-auth; left as is"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("add this line"), "{}", run.stdout);
    assert_eq!(tree(&sb.work.join(".husky")), before);
}

/// The line the advice gives works: with prepush-auth on PATH it runs the
/// check (a bad push is stopped); without it the push goes on.
#[test]
fn the_advised_line_runs_the_check_and_is_harmless_without_the_binary() {
    let secret = classic_token("advisedadvisedadvisedadvisedad");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    let run = w.sb.run(&["install"]);
    assert!(run.stdout.contains("installed"), "{}", run.stdout);
    w.sb.run(&["uninstall"]);
    husky(&w.sb, "#!/bin/sh\n");
    let advice = w.sb.run(&["install"]).stdout;
    let line = advice
        .lines()
        .skip_while(|l| !l.contains("add this line"))
        .nth(1)
        .unwrap()
        .trim()
        .to_owned();
    // husky's stub, reduced to what it does: run the committed hook.
    write_executable(
        &w.sb.work.join(".husky/_/pre-push"),
        b"#!/bin/sh\nexec sh -e \"$(dirname \"$0\")/../pre-push\" \"$@\"\n",
    );
    std::fs::write(w.sb.work.join(".husky/pre-push"), format!("#!/bin/sh\n{line}\n")).unwrap();
    // Without prepush-auth on PATH: the push lands.
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    // With it: a workflow change from a token lacking `workflow` is stopped
    // (the one thing the hook stops: git's own check let the token through).
    std::fs::create_dir_all(w.sb.work.join(".github/workflows")).unwrap();
    std::fs::write(w.sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    w.sb.git(&["add", "."]);
    w.sb.git(&["commit", "-qm", "add CI"]);
    w.sb.binary_on_path();
    let (out, _) = w.sb.push_main();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("workflow scope"), "{}", text(&out));
}

fn pre_push(sb: &Sandbox, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
    let mut cmd = sb.cmd(&[&["pre-push"], args].concat());
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    sb.finish(child.wait_with_output().unwrap())
}

const Z: &str = "0000000000000000000000000000000000000000";

/// `git push https://alice:PASS@host/o/r main`: git hands the hook the URL,
/// as typed, in place of the remote's name (githooks(5): the two arguments
/// are then equal), so the "name" holds the password. It was printed as
/// "push to http://alice:PASS@…"; it is no name, and never shown.
#[test]
fn a_push_to_a_url_with_a_password_never_shows_it() {
    let secret = classic_token("urlpassurlpassurlpassurlpassur");
    // A token that works and expires in three days: the hook warns, and
    // names the push target as it does.
    let expiring = || {
        let mut t = good(&secret, "repo, workflow");
        t.expiration = Some(
            (chrono::Utc::now() + chrono::Duration::days(3))
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
        );
        t
    };
    let line = format!("refs/heads/main 1111111111111111111111111111111111111111 refs/heads/main {Z}\n");
    for from_pre_commit in [false, true] {
        let w = world(
            vec![expiring()],
            &[&secret],
            &classic_token("storedstoredstoredstoredstored"),
        );
        let with_password = w.url.replace("http://", &format!("http://alice:{secret}@"));
        let pair = [
            ("PRE_COMMIT_REMOTE_NAME", with_password.as_str()),
            ("PRE_COMMIT_REMOTE_URL", with_password.as_str()),
        ];
        let run = if from_pre_commit {
            pre_push(&w.sb, &[], &line, &pair)
        } else {
            pre_push(&w.sb, &[&with_password, &with_password], &line, &[])
        };
        assert!(
            !run.stderr.contains(&secret) && !run.stdout.contains(&secret),
            "{}",
            run.stderr
        );
        assert!(
            run.stderr.contains("prepush-auth: push to 127.0.0.1:") && run.stderr.contains("but it expires in"),
            "{from_pre_commit}: [{}]",
            run.stderr
        );
    }
}

#[test]
fn ssh_remotes_and_delete_only_pushes_ask_nobody() {
    let secret = classic_token("deletedeletedeletedeletedelete");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    let ssh = pre_push(&w.sb, &["origin", "git@github.com:acme/widgets.git"], "", &[]);
    assert_eq!((ssh.code, ssh.stderr.as_str()), (0, ""));
    let line = format!("(delete) {Z} refs/heads/old 1111111111111111111111111111111111111111\n");
    let del = pre_push(&w.sb, &["origin", &w.url], &line, &[]);
    assert_eq!((del.code, del.stderr.as_str()), (0, ""));
    assert_eq!(w.host.count(), 0);
}

#[test]
fn the_pre_commit_framework_environment_is_enough() {
    // (This test used to expect a block for a token without `repo`: in the
    // hook git has already been let through with the credential, so that
    // REST finding may not block there; see tests/evidence.rs.)
    let secret = classic_token("precommitprecommitprecommitpre");
    let mut t = good(&secret, "repo");
    t.expiration = Some(
        (chrono::Utc::now() + chrono::Duration::days(2))
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
    );
    let w = world(vec![t], &[&secret], &secret);
    let run = pre_push(
        &w.sb,
        &[],
        "",
        &[("PRE_COMMIT_REMOTE_NAME", "origin"), ("PRE_COMMIT_REMOTE_URL", &w.url)],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("expires in"), "{}", run.stderr);
    assert!(
        w.host.count_path("/api/v3/repos/acme/widgets") >= 1,
        "the remote came from the environment"
    );
}

#[test]
fn a_stdin_nobody_writes_to_does_not_hang_the_hook() {
    let secret = classic_token("hanghanghanghanghanghanghangha");
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    let mut cmd = w.sb.cmd(&["pre-push", "origin", &w.url]);
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let _open_forever = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(started.elapsed() < Duration::from_secs(3), "the hook waited on stdin");
    assert!(w.host.count() >= 1);
}

#[test]
fn an_internal_failure_never_blocks_the_push() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    sb.user_config("timeout_ms = = broken\n");
    let run = pre_push(&sb, &["origin", "https://github.com/acme/widgets.git"], "", &[]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("the push goes on"), "{}", run.stderr);
}

/// The hook installed, then the binary it names gone from that path.
fn installed_then_moved(seed: &str) -> World {
    let secret = classic_token(seed);
    let w = world(vec![good(&secret, "repo")], &[&secret], &secret);
    w.sb.run(&["install"]);
    let hook = w.sb.work.join(".git/hooks/pre-push");
    let script = std::fs::read_to_string(&hook)
        .unwrap()
        .replace(BIN, "/nonexistent/prepush-auth");
    std::fs::write(&hook, script).unwrap();
    w
}

#[test]
fn a_missing_binary_says_so_in_one_line_and_lets_the_push_go() {
    let w = installed_then_moved("missingmissingmissingmissingmi");
    // The sandbox's PATH holds no `prepush-auth` (support::path_without_prepush_auth),
    // so a binary installed on this machine cannot stand in for the missing one.
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        text(&out).trim(),
        "prepush-auth: not found; pushing without the credential check"
    );
    assert!(bare_has(&w.bare, "refs/heads/main"));
}

/// Regression (issue 11): this test's twin failed after `./install.sh`,
/// because the hook's fallback found the installed binary on PATH. Here
/// the test sets PATH itself: a binary that moved is found there.
#[test]
fn a_moved_binary_is_found_on_path() {
    let w = installed_then_moved("movedmovedmovedmovedmovedmoved");
    w.sb.binary_on_path();
    let (out, _) = w.sb.push_main();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("not found"), "{}", text(&out));
    assert!(w.host.count_path("/api/v3/") >= 1, "the binary on PATH ran");
}

#[test]
fn force_replaces_a_foreign_hook_but_uninstall_still_restores_it() {
    let sb = Sandbox::new();
    let bare = sb.dir.path().join("local.git");
    sb.git(&["init", "-q", "--bare", bare.to_str().unwrap()]);
    sb.init_repo(bare.to_str().unwrap());
    let hook = sb.work.join(".git/hooks/pre-push");
    write_executable(&hook, b"#!/bin/sh\necho foreign >&2\nexit 1\n");
    let refused = push(&sb, &["origin", "main"]);
    assert!(
        text(&refused).contains("foreign") && !refused.status.success(),
        "the foreign hook runs before install"
    );
    let run = sb.run(&["install", "--force"]);
    assert!(run.stdout.contains("not run; uninstall restores it"), "{}", run.stdout);
    let out = push(&sb, &["origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("foreign"), "the replaced hook ran: {}", text(&out));
    sb.run(&["uninstall"]);
    assert_eq!(
        std::fs::read_to_string(&hook).unwrap(),
        "#!/bin/sh\necho foreign >&2\nexit 1\n"
    );
}

#[test]
fn a_token_expiring_soon_warns_in_the_hook_and_the_push_lands() {
    let secret = classic_token("expiringexpiringexpiringexpiri");
    let mut t = good(&secret, "repo");
    t.expiration = Some(
        (chrono::Utc::now() + chrono::Duration::days(2))
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
    );
    let w = world(vec![t], &[&secret], &secret);
    w.sb.run(&["install"]);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("warning"), "{}", text(&out));
    assert!(text(&out).contains("expires in"), "{}", text(&out));
    assert!(bare_has(&w.bare, "refs/heads/main"));
}

fn helper(sb: &Sandbox, args: &[&str], input: &str) -> Run {
    let mut cmd = sb.cmd(&[&["credential"], args].concat());
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    sb.finish(child.wait_with_output().unwrap())
}

#[test]
fn the_observing_helper_never_writes_to_stdout_and_store_sends_nothing() {
    let stale = classic_token("observerobserverobserverobserv");
    let w = world(vec![], &["x"], &stale);
    let input = format!(
        "protocol=http\nhost=127.0.0.1:{}\npath=acme/widgets.git\nusername=alice\npassword={stale}\n\n",
        w.host.port
    );
    let before = w.host.count();
    let store = helper(&w.sb, &["store"], &input);
    assert_eq!((store.code, store.stdout.as_str(), store.stderr.as_str()), (0, "", ""));
    assert_eq!(w.host.count(), before, "store must not touch the network");
    let get = helper(&w.sb, &["get"], &input);
    assert_eq!(
        (get.code, get.stdout.as_str()),
        (0, ""),
        "an observer answers nothing to get"
    );
    let erase = helper(&w.sb, &["erase"], &input);
    assert_eq!(erase.code, 0);
    assert_eq!(erase.stdout, "", "erase must never print on stdout");
    assert!(erase.stderr.contains("GitHub rejects"), "{}", erase.stderr);
    // Nothing was erased by us: the credential is still in the store.
    let c = w.sb.run(&["check", "--format", "json", "--no-cache"]).check();
    assert_eq!(c["credential"]["helper"], "store");
    // An unknown action is ignored, as git expects of helpers.
    let other = helper(&w.sb, &["capability"], "");
    assert_eq!((other.code, other.stdout.as_str(), other.stderr.as_str()), (0, "", ""));
}

#[test]
fn the_helper_finds_the_repository_from_the_remote_when_git_sends_no_path() {
    let secret = classic_token("nopathnopathnopathnopathnopath");
    let w = world(vec![good(&secret, "read:org")], &[&secret], &secret);
    let input = format!(
        "protocol=http\nhost=127.0.0.1:{}\nusername=alice\npassword={secret}\n\n",
        w.host.port
    );
    let erase = helper(&w.sb, &["erase"], &input);
    assert!(
        flat(&erase.stderr).contains("needs the repo scope"),
        "asked about acme/widgets: {}",
        erase.stderr
    );
}

#[test]
fn the_hook_never_blocks_on_an_offline_rule_once_git_has_authenticated() {
    // The host accepts a token our shape rules call malformed: if a rule
    // were ever wrong, `check` would say so, but a push git has already
    // authenticated must still land (the host decides in the hook).
    let odd = format!("{}Zz", &classic_token("offlineoffline0offlineoffline0")[..38]);
    let w = world(vec![good(&odd, "repo")], &[&odd], &odd);
    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "token_malformed", "the offline rule fires in check");
    w.sb.run(&["install"]);
    let out = push(&w.sb, &["-q", "origin", "main"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(bare_has(&w.bare, "refs/heads/main"));
}
