#![allow(clippy::pedantic)]
//! `install --helper gate` keeps, for every URL, exactly the helper chain git
//! used before, over the layouts people really have (issue 11, item 1):
//! what `gh auth setup-git` writes, Git Credential Manager, global
//! `cache` + `store` with a keychain helper in the repository, and a plain
//! `store`. git itself is the oracle: `git credential fill` before and
//! after, byte for byte, and `GIT_TRACE`'s list of the helpers it ran.
//! `uninstall` then leaves every config file byte for byte as it was.
//!
//! The helpers are small scripts named as the real ones (`gh`,
//! `git-credential-manager`, `git-credential-osxkeychain`) on a PATH of the
//! sandbox, each answering `get` with its own token and the host (and path)
//! it was asked about; `store` and `cache` are git's own.

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};

use support::*;

/// A closed loopback port: the gate's question to the host fails at once,
/// which is `unknown`, so the gate hands the credential to git.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

const HOSTS: &[&str] = &[
    "github.com",
    "gist.github.com",
    "gitlab.com",
    "dev.azure.com",
    "example.com",
];

struct Layout {
    sb: Sandbox,
    bin: PathBuf,
}

impl Layout {
    fn new() -> Self {
        let sb = Sandbox::new();
        let bin = sb.dir.path().join("fake-bin");
        std::fs::create_dir_all(&bin).unwrap();
        for (file, name, seed) in [
            ("gh", "gh", "ghfakeghfakeghfakeghfakeghfake"),
            ("git-credential-manager", "manager", "gcmfakegcmfakegcmfakegcmfakegc"),
            (
                "git-credential-osxkeychain",
                "osxkeychain",
                "keychainkeychainkeychainkeycha",
            ),
        ] {
            let token = classic_token(seed);
            sb.secrets.lock().unwrap().push(token.clone());
            // The action is the last argument (`gh auth git-credential get`).
            let script = format!(
                "#!/bin/sh\nfor a; do act=$a; done\nh=; p=\nwhile IFS= read -r l && [ -n \"$l\" ]; do\n  case \"$l\" in host=*) h=${{l#host=}} ;; path=*) p=${{l#path=}} ;; esac\ndone\n[ \"$act\" = get ] || exit 0\necho \"username={name}@$h/$p\"\necho \"password={token}\"\n"
            );
            let path = bin.join(file);
            write_executable(&path, script.as_bytes());
        }
        // Every host the tests name is asked on a closed loopback port:
        // nothing leaves the machine, and the gate's answer is `unknown`.
        let port = closed_port();
        let mut config = String::from("timeout_ms = 2000\n");
        for h in HOSTS {
            config.push_str(&format!(
                "[hosts.\"{h}\"]\nprovider = \"github\"\napi = \"http://127.0.0.1:{port}/api/v3\"\n"
            ));
        }
        sb.user_config(&config);
        sb.init_repo("https://github.com/acme/widgets.git");
        Self { sb, bin }
    }

    fn global_config(&self, credential_part: &str) {
        std::fs::write(
            self.sb.home.join(".gitconfig"),
            format!("[user]\n\temail = t@example.com\n\tname = T\n[init]\n\tdefaultBranch = main\n{credential_part}"),
        )
        .unwrap();
    }

    fn stored(&self, lines: &[&str]) {
        let mut text = String::new();
        for l in lines {
            text.push_str(l);
            text.push('\n');
            if let Some(secret) = l.rsplit_once(':').and_then(|(_, r)| r.split_once('@')).map(|(s, _)| s) {
                self.sb.secrets.lock().unwrap().push(secret.to_owned());
            }
        }
        std::fs::write(self.sb.home.join(".git-credentials"), text).unwrap();
    }

    fn path(&self) -> std::ffi::OsString {
        let mut p = self.bin.clone().into_os_string();
        p.push(":");
        p.push(path_without_prepush_auth());
        p
    }

    fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        self.sb.env(&mut cmd);
        cmd.env("PATH", self.path()).args(args).current_dir(&self.sb.work);
        cmd
    }

    /// `git credential fill` for `url`: its stdout, and the helpers it ran.
    fn fill(&self, url: &str, guard: bool) -> (String, Vec<String>) {
        let mut cmd = self.command("git", &["credential", "fill"]);
        cmd.env("GIT_TRACE", "2")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if guard {
            // As inside the gate's own lookup: the gate answers nothing, so
            // git goes on down the chain and the trace shows all of it.
            cmd.env("PREPUSH_AUTH_IN_FILL", "1");
        }
        let mut child = cmd.spawn().unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), format!("url={url}\n\n").as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        self.sb.assert_no_secret_in(&stderr, "stderr of git credential fill");
        let helpers = stderr
            .lines()
            .filter_map(|l| l.split_once("trace: run_command: ").map(|(_, c)| c.to_owned()))
            .filter(|c| c.ends_with(" get'") || c.ends_with(" get"))
            .collect();
        (stdout, helpers)
    }

    fn prepush_auth(&self, args: &[&str]) -> Run {
        let out = self.command(BIN, args).stdin(Stdio::null()).output().unwrap();
        self.sb.finish(out)
    }

    fn config_files(&self) -> Vec<(PathBuf, Option<Vec<u8>>)> {
        [
            self.sb.home.join(".gitconfig"),
            self.sb.home.join(".config/git/config"),
            self.sb.work.join(".git/config"),
        ]
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).ok();
            (p, bytes)
        })
        .collect()
    }

    /// For every URL: what git gives with the gate installed (with `flags`)
    /// is what it gave before, the gate is the first helper git asks, and
    /// after it comes exactly the chain of before. Uninstall restores every
    /// config file byte for byte.
    fn assert_gate_keeps_every_chain(&self, urls: &[&str], flags: &[&str]) {
        let before_files = self.config_files();
        let before: Vec<_> = urls.iter().map(|u| self.fill(u, false)).collect();
        for ((out, helpers), url) in before.iter().zip(urls) {
            assert!(out.contains("password="), "the layout answers {url} before: {out}");
            assert!(!helpers.is_empty());
        }
        let install = self.prepush_auth(&[&["install", "--helper", "gate"], flags].concat());
        assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
        for (url, (out_before, helpers_before)) in urls.iter().zip(&before) {
            let (guarded, helpers_after) = self.fill(url, true);
            assert_eq!(
                &guarded, out_before,
                "{url}: the chain after the gate answers as before"
            );
            assert!(
                helpers_after.first().is_some_and(|h| h.contains("credential --gate")),
                "{url}: the gate is asked first: {helpers_after:?}"
            );
            assert_eq!(
                &helpers_after[1..],
                &helpers_before[..],
                "{url}: after the gate, git asks exactly the helpers it asked before"
            );
            // And the gate itself hands git the credential the chain gives.
            let (through_gate, helpers) = self.fill(url, false);
            assert_eq!(
                &through_gate, out_before,
                "{url}: the gate hands over what the chain gives"
            );
            assert_eq!(helpers.len(), 1, "{url}: git asked only the gate: {helpers:?}");
        }
        let uninstall = self.prepush_auth(&[&["uninstall"], flags].concat());
        assert_eq!(uninstall.code, 0, "{}", uninstall.stderr);
        assert_eq!(
            self.config_files(),
            before_files,
            "uninstall restores every config file byte for byte"
        );
        for (url, before) in urls.iter().zip(&before) {
            assert_eq!(&self.fill(url, false), before, "{url} after uninstall");
        }
    }
}

fn gh_layout() -> Layout {
    let l = Layout::new();
    let gh = l.bin.join("gh");
    // What `gh auth setup-git` writes (gh 2.x, `gh auth setup-git`), after
    // a global `cache` and `store`.
    l.global_config(&format!(
        "[credential]\n\thelper = cache --timeout=300\n\thelper = store\n\
         [credential \"https://github.com\"]\n\thelper = \n\thelper = !{gh} auth git-credential\n\
         [credential \"https://gist.github.com\"]\n\thelper = \n\thelper = !{gh} auth git-credential\n",
        gh = gh.display()
    ));
    l.stored(&[&format!(
        "https://alice:{}@gitlab.com",
        classic_token("storedgitlabstoredgitlabstored")
    )]);
    l.sb.git(&["config", "--local", "credential.helper", "osxkeychain"]);
    l
}

const GH_URLS: &[&str] = &[
    "https://github.com/acme/widgets.git",
    "https://gist.github.com/0123abcd.git",
    "https://gitlab.com/acme/widgets.git",
    "https://example.com/acme/widgets.git",
];

#[test]
fn gh_setup_git_layout_keeps_every_chain_with_the_gate_in_the_repository() {
    gh_layout().assert_gate_keeps_every_chain(GH_URLS, &[]);
}

#[test]
fn gh_setup_git_layout_keeps_every_chain_with_the_gate_in_global_config() {
    let l = gh_layout();
    l.assert_gate_keeps_every_chain(GH_URLS, &["--global"]);
    // Regression (issue 11): a global gate copied this repository's
    // `helper = osxkeychain` into ~/.gitconfig, for every repository.
    l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    let global = std::fs::read_to_string(l.sb.home.join(".gitconfig")).unwrap();
    assert!(!global.contains("osxkeychain"), "{global}");
}

/// Regression (issue 11): with the gh layout, the gate block re-added only
/// the helpers after the last reset of *any* section, and
/// `git credential fill` for github.com then failed.
#[test]
fn bug_the_gate_lost_the_github_chain_of_gh_setup_git() {
    let l = gh_layout();
    l.prepush_auth(&["install", "--helper", "gate"]);
    let (out, _) = l.fill("https://github.com/acme/widgets.git", false);
    assert!(out.contains("username=gh@github.com/"), "{out}");
    let c = l.prepush_auth(&["check", "--format", "json"]).check();
    assert_eq!(c["credential"]["username"], "gh@github.com/", "{c}");
}

#[test]
fn git_credential_manager_layout_keeps_every_chain() {
    let l = Layout::new();
    l.global_config("[credential]\n\thelper = manager\n[credential \"https://dev.azure.com\"]\n\tuseHttpPath = true\n");
    let urls = [
        "https://dev.azure.com/org/project/_git/repo",
        "https://dev.azure.com/org/other/_git/repo",
        "https://github.com/acme/widgets.git",
    ];
    l.assert_gate_keeps_every_chain(&urls, &[]);
    l.assert_gate_keeps_every_chain(&urls, &["--global"]);
    // useHttpPath still reaches the helper: the path is in its answer.
    let (out, _) = l.fill(urls[0], false);
    assert!(
        out.contains("username=manager@dev.azure.com/org/project/_git/repo"),
        "{out}"
    );
}

#[test]
fn plain_store_layout_keeps_every_chain() {
    let l = Layout::new();
    l.global_config("[credential]\n\thelper = store\n");
    l.stored(&[
        &format!(
            "https://alice:{}@github.com",
            classic_token("storedgithubstoredgithubstored")
        ),
        &format!(
            "https://bob:{}@example.com",
            classic_token("storedexamplestoredexamplestor")
        ),
    ]);
    let urls = ["https://github.com/acme/widgets.git", "https://example.com/x.git"];
    l.assert_gate_keeps_every_chain(&urls, &[]);
    l.assert_gate_keeps_every_chain(&urls, &["--global"]);
}

#[test]
fn a_config_file_without_a_final_newline_is_restored_exactly() {
    let l = Layout::new();
    std::fs::write(
        l.sb.home.join(".gitconfig"),
        "[user]\n\temail = t@example.com\n\tname = T\n[credential]\n\thelper = store",
    )
    .unwrap();
    l.stored(&[&format!(
        "https://alice:{}@github.com",
        classic_token("nonewlinenonewlinenonewlinenon")
    )]);
    l.assert_gate_keeps_every_chain(&["https://github.com/acme/widgets.git"], &["--global"]);
}

#[test]
fn a_helper_from_a_conditional_include_refuses_the_global_gate_and_changes_nothing() {
    let l = Layout::new();
    let work_conf = l.sb.home.join(".gitconfig-work");
    std::fs::write(&work_conf, "[credential]\n\thelper = osxkeychain\n").unwrap();
    let gitdir = format!("{}/", l.sb.work.display());
    l.global_config(&format!(
        "[credential]\n\thelper = store\n[includeIf \"gitdir:{gitdir}\"]\n\tpath = {}\n",
        work_conf.display()
    ));
    let before = l.config_files();
    let run = l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("conditional include"), "{}", run.stderr);
    assert!(run.stderr.contains("nothing was changed"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert_eq!(l.config_files(), before);
}

/// Review: a dotfiles `~/.gitconfig` that is a link stays a link through
/// install and uninstall, and its target comes back byte for byte.
#[test]
fn a_linked_gitconfig_stays_a_link() {
    let l = Layout::new();
    let dotfiles = l.sb.home.join("dotfiles");
    std::fs::create_dir_all(&dotfiles).unwrap();
    let real = dotfiles.join("gitconfig");
    std::fs::write(
        &real,
        "[user]\n\temail = t@example.com\n\tname = T\n[credential]\n\thelper = store\n",
    )
    .unwrap();
    let link = l.sb.home.join(".gitconfig");
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let before = std::fs::read(&real).unwrap();
    let run = l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_ne!(
        std::fs::read(&real).unwrap(),
        before,
        "the block went into the link's target"
    );
    let run = l.prepush_auth(&["uninstall", "--global"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), before);
}

/// Review: an include that does not apply here (another repository's
/// `gitdir:`) still holds in those repositories; a global block would reset
/// their included helpers. The gate refuses, and changes nothing.
#[test]
fn an_include_for_other_repositories_refuses_the_global_gate_and_changes_nothing() {
    let l = Layout::new();
    let work_conf = l.sb.home.join(".gitconfig-work");
    std::fs::write(&work_conf, "[credential]\n\thelper = manager\n").unwrap();
    l.global_config(&format!(
        "[credential]\n\thelper = store\n[includeIf \"gitdir:{}/elsewhere/\"]\n\tpath = {}\n",
        l.sb.home.display(),
        work_conf.display()
    ));
    let before = l.config_files();
    let run = l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("conditional include"), "{}", run.stderr);
    assert_eq!(l.config_files(), before);
}

/// Review: a global helper written with its token inline would be copied
/// into the repository's config by a local gate: refused, nothing changed.
#[test]
fn a_helper_holding_a_token_inline_is_never_copied_into_another_file() {
    let l = Layout::new();
    let token = classic_token("inlineinlineinlineinlineinline");
    l.sb.secrets.lock().unwrap().push(token.clone());
    l.global_config(&format!(
        "[credential]\n\thelper = \"!f() {{ echo username=alice; echo password={token}; }}; f\"\n"
    ));
    let before = l.config_files();
    let run = l.prepush_auth(&["install", "--helper", "gate"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stderr.contains("looks like a token"), "{}", run.stderr);
    assert_eq!(l.config_files(), before);
    let local = std::fs::read_to_string(l.sb.work.join(".git/config")).unwrap();
    assert!(!local.contains(&token));
}

/// Issue 11: `install --global` without `--helper` installed the local hook
/// and said nothing about `--global`. Issue 17: it sets up the hook here and
/// the observe entry for every repository, and says which covers what.
#[test]
fn install_global_without_helper_says_what_it_did() {
    let l = Layout::new();
    let run = l.prepush_auth(&["install", "--global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("installed the pre-push hook in"), "{}", run.stdout);
    assert!(
        run.stdout.contains("added the credential helper (observe)")
            && run.stdout.contains("included from")
            && run.stdout.contains(".gitconfig"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("explains a refused credential at the moment git refuses it (every repository)"),
        "{}",
        run.stdout
    );
}

/// A reset in this repository's config comes after a global gate: git
/// there asks the repository's own chain, without the gate. Faithful, and
/// said.
#[test]
fn a_repository_reset_after_the_global_gate_is_said_and_its_chain_kept() {
    let l = Layout::new();
    l.global_config("[credential]\n\thelper = store\n");
    l.stored(&[&format!(
        "https://alice:{}@github.com",
        classic_token("resetlaterresetlaterresetlater")
    )]);
    l.sb.git(&["config", "--local", "credential.https://github.com.helper", ""]);
    l.sb.git(&[
        "config",
        "--local",
        "--add",
        "credential.https://github.com.helper",
        "osxkeychain",
    ]);
    let url = "https://github.com/acme/widgets.git";
    let before = l.fill(url, false);
    let run = l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("resets the helpers for https://github.com after the gate's block"),
        "{}",
        run.stdout
    );
    assert_eq!(l.fill(url, false), before, "the repository's chain is kept");
    // Installed in the repository too, the gate is first there again, and
    // the global install no longer warns.
    let local = l.prepush_auth(&["install", "--helper", "gate"]);
    assert_eq!(local.code, 0, "{}", local.stderr);
    let (out, helpers) = l.fill(url, true);
    assert_eq!(out, before.0);
    assert!(helpers[0].contains("credential --gate"), "{helpers:?}");
    assert_eq!(&helpers[1..], &before.1[..]);
    let again = l.prepush_auth(&["install", "--helper", "gate", "--global"]);
    assert!(!again.stdout.contains("resets the helpers"), "{}", again.stdout);
}
