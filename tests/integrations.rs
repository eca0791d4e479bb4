#![allow(clippy::pedantic)]
//! The hook as lefthook and the pre-commit framework run it, for real: both
//! tools installed from their registries (`.ci/run` installs them), a real
//! `git push` through git's own `git http-backend` on loopback.
//!
//! Where a tool is not installed these tests print `skipped: <tool> not
//! installed` (uncaptured, so it shows in `cargo test`'s output) and pass, unless
//! `PREPUSH_AUTH_REQUIRE_TOOLS=1` (set by `.ci/run`), where its absence fails.

mod support;

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use support::*;

fn tool(name: &str) -> Option<PathBuf> {
    let local = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(".ci/tools/node_modules/.bin")
        .join(name);
    if local.exists() {
        return Some(local);
    }
    let found =
        std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join(name)).find(|p| p.is_file()));
    if found.is_none() {
        assert!(
            std::env::var("PREPUSH_AUTH_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{name} is required here but not installed"
        );
        // Straight to the process's stderr, past the test harness's capture
        // (which hides `eprintln!` of a passing test): a skip must show as
        // one, not as a silent pass.
        let _ = writeln!(
            std::io::stderr(),
            "skipped: {name} not installed (this integration test did not run)"
        );
    }
    found
}

struct World {
    sb: Sandbox,
    host: FakeHost,
}

fn world(scopes: &'static str, random: &str) -> World {
    let secret = classic_token(random);
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let backend = GitBackend::new(root, "acme/widgets.git", &[("*", &secret)]);
    let host = github_with(vec![tok(&secret, Some(scopes))], REPO_JSON, Some(backend));
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);
    World { sb, host }
}

fn run_in(sb: &Sandbox, program: &std::path::Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(program);
    sb.env(&mut cmd);
    cmd.args(args)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// What a hook manager showed: lefthook relays hooks on its stdout.
fn all_output(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn add_workflow(sb: &Sandbox) {
    std::fs::create_dir_all(sb.work.join(".github/workflows")).unwrap();
    std::fs::write(sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    sb.git(&["add", "."]);
    sb.git(&["commit", "-qm", "add CI"]);
}

fn push(sb: &Sandbox) -> Output {
    run_in(sb, std::path::Path::new("git"), &["push", "origin", "main"])
}

fn lefthook_case(use_stdin: bool) {
    let Some(lefthook) = tool("lefthook") else { return };
    let w = world(
        "repo",
        if use_stdin {
            "lefthookstdinlefthookstdinleft"
        } else {
            "lefthooknostdinlefthooknostdin"
        },
    );
    std::fs::write(
        w.sb.work.join("lefthook.yml"),
        format!(
            "pre-push:\n  commands:\n    prepush-auth:\n      run: {BIN} pre-push {{1}} {{2}}\n      use_stdin: {use_stdin}\n"
        ),
    )
    .unwrap();
    w.sb.git(&["add", "lefthook.yml"]);
    w.sb.git(&["commit", "-qm", "lefthook"]);
    let out = run_in(&w.sb, &lefthook, &["install"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // A plain push lands through lefthook.
    let out = push(&w.sb);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(
        w.host.count_path("/api/v3/repos/acme/widgets") >= 1,
        "lefthook ran prepush-auth"
    );
    // A workflow change with a token lacking `workflow` is stopped, with or
    // without git's ref lines on stdin.
    add_workflow(&w.sb);
    let out = push(&w.sb);
    // lefthook relays the hook's output on its stdout.
    let err = all_output(&out);
    assert!(!out.status.success(), "lefthook let it through: {err}");
    assert!(err.contains("workflow scope"), "{err}");
}

#[test]
fn lefthook_with_stdin_runs_the_hook() {
    lefthook_case(true);
}

#[test]
fn lefthook_without_stdin_runs_the_hook_and_does_not_hang() {
    lefthook_case(false);
}

#[test]
fn the_pre_commit_framework_runs_the_hook() {
    let Some(pre_commit) = tool("pre-commit") else { return };
    let w = world("repo", "precommitrealprecommitrealprec");
    std::fs::write(
        w.sb.work.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: prepush-auth\n    name: prepush-auth\n    entry: {BIN} pre-push\n    language: system\n    stages: [pre-push]\n    pass_filenames: false\n    always_run: true\n"
        ),
    )
    .unwrap();
    w.sb.git(&["add", ".pre-commit-config.yaml"]);
    w.sb.git(&["commit", "-qm", "pre-commit"]);
    let out = run_in(&w.sb, &pre_commit, &["install", "--hook-type", "pre-push"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = push(&w.sb);
    assert!(out.status.success(), "{}", all_output(&out));
    assert!(
        w.host.count_path("/api/v3/repos/acme/widgets") >= 1,
        "pre-commit ran prepush-auth"
    );
    add_workflow(&w.sb);
    let out = push(&w.sb);
    let all = all_output(&out);
    assert!(!out.status.success(), "pre-commit let it through: {all}");
    assert!(all.contains("workflow scope"), "{all}");
}

#[test]
fn the_published_pre_commit_hook_is_a_pre_push_hook_of_this_binary() {
    let text =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    assert!(text.contains("id: prepush-auth"));
    assert!(text.contains("entry: prepush-auth pre-push"));
    assert!(text.contains("stages: [pre-push]"));
    assert!(text.contains("pass_filenames: false"));
    // The hook is silent when all is well; without `verbose`, pre-commit
    // shows its warnings ("expires in 1 day") only as `Passed` (issue 11).
    assert!(text.contains("verbose: true"), "{text}");
    assert!(text.contains("language: rust"), "{text}");
}
