//! SSH remotes against a real OpenSSH sshd on loopback (tests/support/sshd.rs)
//! whose forced command plays the host's shell with its recorded words,
//! and real `git push` through it.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use support::sshd::Sshd;
use support::{Run, Sandbox, flat};

const REPO: &str = "acme/widgets";

fn check(sb: &Sandbox) -> (Run, serde_json::Value) {
    let run = sb.run(&["check", "--format", "json", "--no-cache"]);
    let c = run.check();
    assert!(!run.stdout.contains("PRIVATE KEY"), "{}", run.stdout);
    (run, c)
}

fn fingerprint(private: &Path) -> String {
    let out = Command::new("ssh-keygen")
        .args(["-l", "-E", "sha256", "-f"])
        .arg(private.with_extension("pub"))
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .nth(1)
        .unwrap()
        .to_owned()
}

/// `git push origin main` as the user runs it, with no terminal.
fn push(sb: &Sandbox) -> (bool, String) {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn a_key_whose_account_may_push_is_ok_and_the_push_goes_through() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["verdict"], "ok", "{}", run.stdout);
    assert_eq!(c["provider"], "github");
    assert_eq!(c["ssh"]["fingerprint"], fingerprint(&key));
    assert_eq!(c["ssh"]["connections"], 1, "one connection on the success path");
    assert_eq!(run.code, 0);
    // Nothing was pushed by the check (only a flush after the advertisement).
    assert!(!sshd.has_ref(REPO, "refs/heads/main"));
    let (ok, err) = push(&sb);
    assert!(ok, "{err}");
    assert!(sshd.has_ref(REPO, "refs/heads/main"));
}

#[test]
fn the_wrong_account_is_named_with_the_key_that_works_and_its_fix_works() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("bob", REPO, "read");
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    let work = sshd.key(&sb, "work_ed25519", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&personal]);
    sb.init_repo(&sshd.url(REPO));

    // What git says without us.
    let (ok, err) = push(&sb);
    assert!(!ok);
    assert!(err.contains("denied to bob"), "{err}");

    let (run, c) = check(&sb);
    assert_eq!(c["verdict"], "block", "{}", run.stdout);
    assert_eq!(c["reason"], "wrong_account", "{}", run.stdout);
    assert_eq!(c["ssh"]["account"], "bob");
    assert_eq!(c["ssh"]["fingerprint"], fingerprint(&personal));
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains("knows as bob, and bob may not push to acme/widgets"),
        "{message}"
    );
    assert!(message.contains(&fingerprint(&work)), "{message}");
    assert!(message.contains("is alice's, and alice may push here"), "{message}");
    assert_eq!(run.code, 1);

    // The human form, and its fix followed literally.
    let human = sb.run(&["check", "--no-cache"]);
    assert!(
        human.stdout.contains("acme/widgets, over SSH) will fail"),
        "{}",
        human.stdout
    );
    assert_eq!(c["fix"][0], "use it for this repository:");
    let command = c["fix"][1].as_str().unwrap().strip_prefix("$ ").unwrap();
    assert!(command.starts_with("git config core.sshCommand "), "{command}");
    let mut sh = Command::new("sh");
    sb.env(&mut sh);
    assert!(
        sh.args(["-c", command])
            .current_dir(&sb.work)
            .status()
            .unwrap()
            .success()
    );
    let (ok, err) = push(&sb);
    assert!(ok, "the printed fix did not make the push work: {err}");
    let (_, c) = check(&sb);
    assert_eq!(c["verdict"], "ok");
}

#[test]
fn a_key_the_host_does_not_know_is_not_accepted() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    let sb = Sandbox::new();
    let stranger = sshd.key(&sb, "id_stranger", None, "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&stranger]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "ssh_key_not_accepted", "{}", run.stdout);
    assert!(c["message"].as_str().unwrap().contains(&fingerprint(&stranger)));
    assert_eq!(run.code, 1);
    let (ok, err) = push(&sb);
    assert!(!ok && err.contains("Permission denied (publickey)"), "{err}");
}

#[test]
fn no_key_to_offer() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    let sb = Sandbox::new();
    let missing = sb.home.join(".ssh/id_none");
    let sb = {
        sshd.as_provider(&sb, "github");
        sshd.use_config(&sb, &[&missing]);
        sb.init_repo(&sshd.url(REPO));
        sb
    };
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "ssh_no_key", "{}", run.stdout);
    assert!(
        c["message"].as_str().unwrap().contains("no agent is running"),
        "{}",
        run.stdout
    );
    let (ok, _) = push(&sb);
    assert!(!ok);
}

/// An encrypted key, no agent, no terminal: nothing asks for the
/// passphrase, and the reason says what happened.
#[test]
fn a_passphrase_key_outside_the_agent_never_prompts() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let locked = sshd.key(&sb, "id_locked", Some("alice"), "correct horse");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&locked]);
    sb.init_repo(&sshd.url(REPO));
    let started = std::time::Instant::now();
    // setsid: no controlling terminal at all, as under an IDE or CI.
    let out = Command::new("setsid")
        .arg("-w")
        .arg(support::BIN)
        .args(["check", "--format", "json", "--no-cache"])
        .current_dir(&sb.work)
        .envs(env_of(&sb))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let run = sb.finish(out);
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    let c = run.check();
    assert_eq!(c["reason"], "ssh_key_locked", "{}", run.stdout);
    assert_eq!(c["verdict"], "warn");
    assert_eq!(c["fix"][1], format!("$ ssh-add {}", locked.display()));
    assert!(!run.stderr.to_lowercase().contains("passphrase for"), "{}", run.stderr);
}

fn env_of(sb: &Sandbox) -> Vec<(String, String)> {
    let mut cmd = Command::new("true");
    sb.env(&mut cmd);
    cmd.get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
        .collect()
}

/// One refusal of GitHub's, as recorded, and the verdict it gives.
fn github_refusal(rule: &str, reason: &str, quoted: &str) -> Option<serde_json::Value> {
    let sshd = Sshd::start("github")?;
    sshd.repo(REPO);
    sshd.grant("alice", REPO, rule);
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    let sb = {
        sshd.as_provider(&sb, "github");
        sshd.use_config(&sb, &[&key]);
        sb.init_repo(&sshd.url(REPO));
        sb
    };
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], reason, "{}", run.stdout);
    assert_eq!(c["verdict"], "block");
    assert!(c["message"].as_str().unwrap().contains(quoted), "{}", run.stdout);
    let (ok, err) = push(&sb);
    assert!(!ok && err.contains(quoted), "{err}");
    Some(c)
}

#[test]
fn github_read_only_deploy_key() {
    github_refusal(
        "deploy-read-only",
        "deploy_key_read_only",
        "has been marked as read only",
    );
}

#[test]
fn github_archived_repository() {
    github_refusal("archived", "repo_archived", "archived so it is read-only");
}

#[test]
fn github_saml_sso_for_an_ssh_key() {
    github_refusal("sso", "sso_required", "enabled or enforced SAML SSO");
}

#[test]
fn github_repository_not_found() {
    let Some(sshd) = Sshd::start("github") else { return };
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    let sb = {
        sshd.as_provider(&sb, "github");
        sshd.use_config(&sb, &[&key]);
        sb.init_repo(&sshd.url(REPO));
        sb
    };
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "no_repo_access", "{}", run.stdout);
    assert!(c["message"].as_str().unwrap().contains("Repository not found."));
}

/// GitLab creates a missing project on a receive-pack request: the check
/// asks upload-pack first and never sends receive-pack for it.
#[test]
fn gitlab_missing_project_is_never_asked_for_receive_pack() {
    let Some(sshd) = Sshd::start("gitlab") else { return };
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    let sb = {
        sshd.as_provider(&sb, "gitlab");
        sshd.use_config(&sb, &[&key]);
        sb.init_repo(&sshd.url(REPO));
        sb
    };
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "repo_not_found", "{}", run.stdout);
    assert_eq!(c["verdict"], "warn");
    assert!(c["message"].as_str().unwrap().contains("a push would create it"));
    let log = sshd.log();
    assert!(log.contains("git-upload-pack"), "{log}");
    assert!(
        !log.contains("git-receive-pack"),
        "receive-pack asked for a missing project: {log}"
    );
}

#[test]
fn gitlab_expired_key_and_push_refusal() {
    for (rule, reason, quoted) in [
        ("expired", "ssh_key_expired", "Your SSH key has expired."),
        (
            "read",
            "no_repo_access",
            "You are not allowed to push code to this project.",
        ),
        (
            "archived",
            "repo_archived",
            "You can't push code to an archived project.",
        ),
    ] {
        let Some(sshd) = Sshd::start("gitlab") else { return };
        sshd.repo(REPO);
        sshd.grant("alice", REPO, rule);
        let sb = Sandbox::new();
        let key = sshd.key(&sb, "id_alice", Some("alice"), "");
        sshd.as_provider(&sb, "gitlab");
        sshd.use_config(&sb, &[&key]);
        sb.init_repo(&sshd.url(REPO));
        let (run, c) = check(&sb);
        assert_eq!(c["reason"], reason, "{rule}: {}", run.stdout);
        assert!(c["message"].as_str().unwrap().contains(quoted), "{}", run.stdout);
        let (ok, err) = push(&sb);
        assert!(!ok && err.contains(quoted), "{err}");
    }
}

#[test]
fn bitbucket_read_only_access_key() {
    let Some(sshd) = Sshd::start("bitbucket") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "deploy-read-only");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "bitbucket");
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "deploy_key_read_only", "{}", run.stdout);
}

#[test]
fn an_unknown_host_key_is_never_trusted() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    // The user's ssh command (core.sshCommand, with its -F config): the
    // fixes connect with it, not with a plain `ssh` that reads other files.
    let own = sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    std::fs::write(sshd.root.join("known_hosts"), "").unwrap();
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "host_key_unknown", "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(sshd.root.join("known_hosts")).unwrap(),
        "",
        "the host key was trusted for the user"
    );
    // A changed key: another host's key recorded for this one.
    let other = sshd.root.join("other_key");
    Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&other)
        .status()
        .unwrap();
    let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
    let key_text: Vec<&str> = public.split_whitespace().take(2).collect();
    std::fs::write(
        sshd.root.join("known_hosts"),
        format!("[127.0.0.1]:{} {}\n", sshd.port, key_text.join(" ")),
    )
    .unwrap();
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "host_key_changed", "{}", run.stdout);
    // The file ssh named as holding the old key (this test's, set by
    // UserKnownHostsFile), not the default one: pasted as printed, the line
    // forgets the key there.
    let known = sshd.root.join("known_hosts");
    let forget = format!("ssh-keygen -f {} -R '[127.0.0.1]:{}'", known.display(), sshd.port);
    assert_eq!(
        commands(&c),
        [
            forget.clone(),
            format!("{own} -T -p {} {}@127.0.0.1", sshd.port, sshd.user)
        ]
    );
    paste(&sb, &forget, &[]);
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "host_key_unknown", "{}", run.stdout);
}

#[test]
fn a_closed_port_is_said() {
    let Some(sshd) = Sshd::start("github") else { return };
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&key]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    sb.init_repo(&format!("ssh://{}@127.0.0.1:{port}/{REPO}.git", sshd.user));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "ssh_port_closed", "{}", run.stdout);
    assert!(c["message"].as_str().unwrap().contains("Connection refused"));
}

/// The pre-push hook on an SSH remote says nothing and asks nothing: git
/// has already authenticated and read the advertisement.
#[test]
fn the_hook_is_silent_on_an_ssh_push() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    sb.binary_on_path();
    let run = sb.run(&["install"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (ok, err) = push(&sb);
    assert!(ok, "{err}");
    assert!(!err.contains("prepush-auth"), "{err}");
    let connections = sshd.log().lines().count();
    assert_eq!(connections, 1, "the hook connected: {}", sshd.log());
}

/// `git config --get` in the sandbox's work tree.
fn config_get(sb: &Sandbox, key: &str) -> String {
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["config", "--get", key])
        .current_dir(&sb.work)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// With the ssh entry as `core.sshCommand`, a refused push says why, right
/// above git's own `fatal:` line; git's exit status is unchanged; fetches
/// and good pushes go through untouched; `uninstall` restores every byte.
#[test]
fn the_ssh_entry_explains_a_refused_push_and_stays_out_of_the_way() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("bob", REPO, "read");
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    sshd.key(&sb, "work_ed25519", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    let own = sshd.use_config(&sb, &[&personal]);
    sb.init_repo(&sshd.url(REPO));
    let config_file = sb.work.join(".git/config");
    let before = std::fs::read(&config_file).unwrap();

    // Without the entry: git's words only.
    let (ok, plain) = push(&sb);
    assert!(!ok);
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let plain_code = cmd
        .args(["push", "origin", "main"])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap()
        .status
        .code();

    let run = sb.run(&["install", "--ssh"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let entry = config_get(&sb, "core.sshCommand");
    assert!(entry.contains(" ssh --then "), "{entry}");
    assert!(entry.contains(&own), "{entry}");
    // No `-G` round before every connection: the variant is said.
    assert_eq!(config_get(&sb, "ssh.variant"), "ssh");

    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = flat(&String::from_utf8_lossy(&out.stderr));
    assert_eq!(out.status.code(), plain_code, "exit status changed: {err}");
    assert!(
        err.contains("denied to bob"),
        "the host's words are passed through: {err}"
    );
    let ours = err
        .find("is alice's, and alice may push here")
        .unwrap_or_else(|| panic!("{err}"));
    let fatal = err.find("fatal: Could not read from remote repository.").unwrap();
    assert!(ours < fatal, "{err}");
    assert!(plain.contains("denied to bob"));

    // A fetch through the entry: untouched, and silent.
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["ls-remote", "origin"])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("prepush-auth"));

    // A push that works: silent.
    let access = std::fs::read_to_string(sshd.root.join("access")).unwrap();
    std::fs::write(
        sshd.root.join("access"),
        access.replace("bob acme/widgets read", "bob acme/widgets write"),
    )
    .unwrap();
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains("prepush-auth"), "{err}");
    assert!(sshd.has_ref(REPO, "refs/heads/main"));

    let run = sb.run(&["uninstall"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read(&config_file).unwrap(),
        before,
        "uninstall left the config changed"
    );
    assert_eq!(config_get(&sb, "core.sshCommand"), own);
    assert_eq!(config_get(&sb, "ssh.variant"), "");
}

/// An encrypted key, no agent, no terminal, through the entry: git fails
/// as it would (no prompt), and the reason names the key to add.
#[test]
fn the_ssh_entry_names_a_locked_key_without_prompting() {
    let Some(sshd) = Sshd::start("gitlab") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let locked = sshd.key(&sb, "id_locked", Some("alice"), "correct horse");
    sshd.as_provider(&sb, "gitlab");
    sshd.use_config(&sb, &[&locked]);
    sb.init_repo(&sshd.url(REPO));
    assert_eq!(sb.run(&["install", "--ssh"]).code, 0);
    let out = Command::new("setsid")
        .args(["-w", "git", "push", "origin", "main"])
        .current_dir(&sb.work)
        .envs(env_of(&sb))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = flat(&String::from_utf8_lossy(&out.stderr));
    assert!(!out.status.success());
    assert!(err.contains("has a passphrase and is not in the agent"), "{err}");
    assert!(err.contains(&format!("ssh-add {}", locked.display())), "{err}");
    assert!(!err.to_lowercase().contains("enter passphrase"), "{err}");
}

/// The printed fix lines (`$ …`) of a check, as a user pastes them.
fn commands(c: &serde_json::Value) -> Vec<String> {
    c["fix"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str()?.strip_prefix("$ ").map(str::to_owned))
        .collect()
}

/// The command a human output prints from `start` (after its `$ `), with
/// the lines it continues onto (` \` at the end), as a user copies it.
fn printed_command(human: &str, start: &str) -> String {
    let mut lines = human.lines().skip_while(|l| !l.contains(start));
    let first = lines.next().unwrap_or_else(|| panic!("no {start:?} in {human}"));
    let mut text = first[first.find("$ ").unwrap() + 2..].to_owned();
    let mut more = text.ends_with(" \\");
    for l in lines {
        if !more {
            break;
        }
        text.push('\n');
        text.push_str(l);
        more = l.ends_with(" \\");
    }
    text
}

/// `line` as pasted into a shell in the work tree, with `env` added.
fn paste(sb: &Sandbox, line: &str, env: &[(&str, &Path)]) {
    let mut sh = Command::new("sh");
    sb.env(&mut sh);
    for (k, v) in env {
        sh.env(k, v);
    }
    let out = sh
        .args(["-c", line])
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the printed line failed: {line}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The wrong-account fix names a key whose path holds a space and a
/// quote: pasted as printed, it pins that very key and the push lands.
#[test]
fn a_key_path_with_a_space_is_quoted_in_the_printed_fix() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("bob", REPO, "read");
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    let work = sshd.key(&sb, "alice's work key", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&personal]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "wrong_account", "{}", run.stdout);
    let lines = commands(&c);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains(r"'\''s work key'"), "{}", lines[0]);
    // The human form, as a terminal shows it (wrapped where it may be),
    // pasted from its `$ ` to the end of the command.
    let human = sb.run(&["check", "--no-cache"]).stdout;
    let printed = printed_command(&human, "$ git config core.sshCommand");
    paste(&sb, &printed, &[]);
    assert!(config_get(&sb, "core.sshCommand").contains(&format!("-i '{}'", work.display()).replace("'s", r"'\''s")));
    let (ok, err) = push(&sb);
    assert!(ok, "the printed fix did not make the push work: {err}");
}

/// A passphrase key whose path holds a space: the printed `ssh-add` line,
/// pasted (the passphrase given as ssh-add asks for it), puts that key in
/// the agent, and the push lands.
#[test]
fn the_printed_ssh_add_line_works_for_a_path_with_a_space() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let locked = sshd.key(&sb, "my locked key", Some("alice"), "correct horse");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&locked]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "ssh_key_locked", "{}", run.stdout);
    let lines = commands(&c);
    assert_eq!(lines, [format!("ssh-add '{}'", locked.display())]);
    // ssh-add asks through SSH_ASKPASS when it has no terminal.
    let askpass = sb.dir.path().join("askpass");
    support::write_executable(&askpass, b"#!/bin/sh\necho 'correct horse'\n");
    let agent = agent(&sb);
    paste(
        &sb,
        &lines[0],
        &[
            ("SSH_AUTH_SOCK", &agent.sock),
            ("SSH_ASKPASS", &askpass),
            ("SSH_ASKPASS_REQUIRE", Path::new("force")),
        ],
    );
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .env("SSH_AUTH_SOCK", &agent.sock)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(sshd.has_ref(REPO, "refs/heads/main"));
}

/// A real ssh-agent for the sandbox; killed on drop.
struct Agent {
    child: std::process::Child,
    sock: std::path::PathBuf,
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent(sb: &Sandbox) -> Agent {
    let sock = sb.dir.path().join("agent.sock");
    let child = Command::new("ssh-agent")
        .args(["-D", "-a"])
        .arg(&sock)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("ssh-agent (openssh-client)");
    let start = std::time::Instant::now();
    while !sock.exists() && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    Agent { child, sock }
}

/// Both keys live only in the agent (their files are gone), the wrong one
/// first, as ssh offers them: the search finds the other there and names it.
#[test]
fn the_working_key_is_found_in_the_agent() {
    let Some(sshd) = Sshd::start("gitlab") else { return };
    sshd.repo(REPO);
    sshd.grant("bob", REPO, "read");
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    let work = sshd.key(&sb, "work_ed25519", Some("alice"), "");
    let agent = agent(&sb);
    for key in [&personal, &work] {
        let added = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &agent.sock)
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert!(added.success());
    }
    let work_fp = fingerprint(&work);
    for key in [&personal, &work] {
        std::fs::remove_file(key).unwrap();
        std::fs::remove_file(key.with_extension("pub")).unwrap();
    }
    sshd.as_provider(&sb, "gitlab");
    sshd.use_config(&sb, &[&sb.home.join(".ssh/id_none")]);
    sb.init_repo(&sshd.url(REPO));
    let run = sb.finish(
        sb.cmd(&["check", "--format", "json", "--no-cache"])
            .env("SSH_AUTH_SOCK", &agent.sock)
            .output()
            .unwrap(),
    );
    let c = run.check();
    assert_eq!(c["reason"], "wrong_account", "{}", run.stdout);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("which GitLab knows as bob"), "{message}");
    assert!(message.contains(&work_fp), "{message}");
    assert!(message.contains("(in the agent)"), "{message}");
    assert!(message.contains("is alice's, and"), "{message}");
    // The fix, followed literally, in order: then the push works.
    let fixes: Vec<&str> = c["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(fixes[0], "save the agent key's public half:");
    assert_eq!(fixes[2], "use it for this repository:");
    let save = fixes[1].strip_prefix("$ ").unwrap();
    let pin = fixes[3].strip_prefix("$ ").unwrap();
    for line in [save, pin] {
        let mut sh = Command::new("sh");
        sb.env(&mut sh);
        let ok = sh
            .args(["-c", line])
            .env("SSH_AUTH_SOCK", &agent.sock)
            .current_dir(&sb.work)
            .status()
            .unwrap();
        assert!(ok.success(), "{line}");
    }
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .env("SSH_AUTH_SOCK", &agent.sock)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Gitea/Forgejo checks a user key's write access only after the pack
/// (SSH.md §6): the check says it cannot tell, after seeing the repository
/// exists (upload-pack first: push-to-create).
#[test]
fn gitea_user_key_write_access_cannot_be_told() {
    let Some(sshd) = Sshd::start("gitea") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    sshd.grant("alice", "acme/old", "archived");
    sshd.repo("acme/old");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "gitea");
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "write_access_unknown", "{}", run.stdout);
    assert_eq!(run.code, 0);
    let log = sshd.log();
    let upload = log.find("git-upload-pack").unwrap();
    let receive = log.find("git-receive-pack").unwrap();
    assert!(upload < receive, "{log}");

    let run = sb.run(&["check", "--format", "json", "--no-cache", &sshd.url("acme/old")]);
    assert_eq!(run.check()["reason"], "repo_archived", "{}", run.stdout);

    let before = sshd.log().matches("git-receive-pack").count();
    let run = sb.run(&["check", "--format", "json", "--no-cache", &sshd.url("acme/missing")]);
    assert_eq!(run.check()["reason"], "repo_not_found", "{}", run.stdout);
    assert_eq!(sshd.log().matches("git-receive-pack").count(), before, "{}", sshd.log());
}

/// `GIT_SSH_COMMAND` (no `core.sshCommand`) and a host alias of the ssh
/// config with an scp-like remote: the check goes where git goes.
#[test]
fn git_ssh_command_and_a_host_alias_are_honoured() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "write");
    sshd.grant("bob", REPO, "read");
    let sb = Sandbox::new();
    let work = sshd.key(&sb, "work_ed25519", Some("alice"), "");
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    let cfg = sb.home.join(".ssh/config-alias");
    std::fs::write(
        &cfg,
        format!(
            "Host work-alias\n  HostName 127.0.0.1\n  Port {}\n  User {}\n  IdentityFile {}\n  IdentitiesOnly yes\n\
             Host *\n  UserKnownHostsFile {}\n  IdentityFile {}\n",
            sshd.port,
            sshd.user,
            work.display(),
            sshd.root.join("known_hosts").display(),
            personal.display()
        ),
    )
    .unwrap();
    sb.user_config("timeout_ms = 20000\n[hosts.\"work-alias\"]\nprovider = \"github\"\n");
    sb.init_repo("work-alias:acme/widgets.git");
    let git_ssh = format!("ssh -F {}", cfg.display());
    let run = sb.finish(
        sb.cmd(&["check", "--format", "json", "--no-cache"])
            .env("GIT_SSH_COMMAND", &git_ssh)
            .output()
            .unwrap(),
    );
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{}", run.stdout);
    assert_eq!(c["ssh"]["fingerprint"], fingerprint(&work));
    let mut cmd = Command::new("git");
    sb.env(&mut cmd);
    let out = cmd
        .args(["push", "origin", "main"])
        .env("GIT_SSH_COMMAND", &git_ssh)
        .current_dir(&sb.work)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(
        sshd.log().contains("alice git-receive-pack 'acme/widgets.git'"),
        "{}",
        sshd.log()
    );
}

/// With the ssh entry installed, the wrong-account fix is followed
/// literally (pin the key, let the entry wrap the pinned command), and the
/// push through the entry then works.
#[test]
fn the_wrong_account_fix_works_under_the_ssh_entry() {
    let Some(sshd) = Sshd::start("github") else { return };
    sshd.repo(REPO);
    sshd.grant("bob", REPO, "read");
    sshd.grant("alice", REPO, "write");
    let sb = Sandbox::new();
    sb.binary_on_path();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    sshd.key(&sb, "work_ed25519", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&personal]);
    sb.init_repo(&sshd.url(REPO));
    assert_eq!(sb.run(&["install", "--ssh"]).code, 0);
    let (_, c) = check(&sb);
    assert_eq!(c["reason"], "wrong_account", "{c}");
    let fixes: Vec<&str> = c["fix"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert_eq!(fixes[0], "use it for this repository:");
    assert_eq!(fixes[2], "then let the ssh entry wrap it:");
    let pin = fixes[1].strip_prefix("$ ").unwrap();
    let wrap = fixes[3].strip_prefix("$ ").unwrap();
    for line in [pin, wrap] {
        let mut sh = Command::new("sh");
        sb.env(&mut sh);
        assert!(
            sh.args(["-c", line]).current_dir(&sb.work).status().unwrap().success(),
            "{line}"
        );
    }
    assert!(config_get(&sb, "core.sshCommand").contains("work_ed25519"));
    let (ok, err) = push(&sb);
    assert!(ok, "{err}");
    assert!(sshd.has_ref(REPO, "refs/heads/main"));
}

#[test]
fn github_rsa_sha1_signature_refused() {
    let Some(c) = github_refusal("sha1", "host_refused", "RSA key with SHA-1, which is no longer allowed") else {
        return;
    };
    let fix = c["fix"][0].as_str().unwrap_or_default();
    assert!(
        fix.contains("ssh-keygen -t ed25519") && fix.contains("/settings/keys"),
        "{c}"
    );
}

/// GitLab's account states (blocked, pending approval, deactivated, terms
/// not accepted) refuse every
/// command, fetch included: the reason is the host's, not the key's.
#[test]
fn gitlab_account_states_blocked_pending_deactivated_terms() {
    for (rule, quoted) in [
        ("blocked", "Your account has been blocked."),
        (
            "pending",
            "Your account is pending approval from your administrator and hence blocked.",
        ),
        (
            "deactivated",
            "Your account has been deactivated by your administrator.",
        ),
        (
            "terms",
            "You (@alice) must accept the Terms of Service in order to perform this action.",
        ),
    ] {
        let Some(sshd) = Sshd::start("gitlab") else { return };
        sshd.repo(REPO);
        sshd.grant("alice", REPO, rule);
        let sb = Sandbox::new();
        let key = sshd.key(&sb, "id_alice", Some("alice"), "");
        sshd.as_provider(&sb, "gitlab");
        sshd.use_config(&sb, &[&key]);
        sb.init_repo(&sshd.url(REPO));
        let (run, c) = check(&sb);
        assert_eq!(c["reason"], "host_refused", "{rule}: {}", run.stdout);
        assert_eq!(c["verdict"], "block", "{rule}: {}", run.stdout);
        assert!(c["message"].as_str().unwrap().contains(quoted), "{}", run.stdout);
        let (ok, err) = push(&sb);
        assert!(!ok && err.contains(quoted), "{err}");
    }
}

/// Azure DevOps lets any key in at login (its greeting comes through) and
/// refuses it at the command: the check says the key is not accepted.
#[test]
fn azure_devops_refuses_the_key_at_the_command_after_a_greeting() {
    let Some(sshd) = Sshd::start("azure") else { return };
    sshd.repo(REPO);
    sshd.grant("alice", REPO, "key-refused");
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "azure-devops");
    let ssh = sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url(REPO));
    // The greeting: login succeeded.
    let greeting = Command::new("sh")
        .arg("-c")
        .arg(format!("{ssh} -T -p {} {}@127.0.0.1", sshd.port, sshd.user))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&greeting.stderr).contains("Shell access is not supported."),
        "{greeting:?}"
    );
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "ssh_key_not_accepted", "{}", run.stdout);
    assert_eq!(c["verdict"], "block", "{}", run.stdout);
    let message = c["message"].as_str().unwrap();
    assert!(message.contains("Public key authentication failed."), "{message}");
    assert!(message.contains("accepts any key at login"), "{message}");
    let (ok, err) = push(&sb);
    assert!(!ok && err.contains("Public key authentication failed."), "{err}");
}

/// git's variant, as `determine_ssh_variant` has it: `ssh.variant` (or
/// `GIT_SSH_VARIANT`) names it; `auto` guesses from the program's name.
/// A program named like OpenSSH that the user says is `PuTTY` is not run with
/// OpenSSH's options, and `auto` still knows plink by its name.
#[test]
fn the_ssh_variant_git_is_told_is_the_one_checked() {
    let sb = Sandbox::new();
    sb.init_repo("ssh://git@127.0.0.1:9/acme/widgets.git");
    sb.git(&["config", "--global", "ssh.variant", "putty"]);
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "unsupported_host", "{}", run.stdout);
    assert!(!sb.home.join("ssh-trap-ran").exists(), "ssh was run");
    sb.git(&["config", "--global", "ssh.variant", "auto"]);
    sb.git(&["config", "--global", "core.sshCommand", "plink -batch"]);
    let (run, c) = check(&sb);
    assert_eq!(c["reason"], "unsupported_host", "{}", run.stdout);
}
