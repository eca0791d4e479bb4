#![allow(clippy::pedantic)]
//! Hostile and odd input: URLs, git configs, repositories, helpers and a
//! missing git. Each case gets a one-line message, never a panic, and never
//! blocks: exit 0 for what could not be checked, 2 only for usage and
//! configuration errors (SPEC §4).

mod support;

use std::time::{Duration, Instant};

use support::*;

const REPO_JSON: &str = r#"{"full_name":"acme/widgets","private":true,"archived":false,"permissions":{"push":true}}"#;

/// An emulated GitHub API that accepts `secret` for everything.
fn github_accepting(secret: &str) -> FakeHost {
    let secret = secret.to_owned();
    FakeHost::builder()
        .route_fn(move |r| {
            let ok = r.header("authorization") == Some(&format!("Bearer {secret}"));
            Some(if !ok {
                Reply::json(401, r#"{"message":"Bad credentials"}"#)
            } else if r.path.ends_with("/user") {
                Reply::json(200, r#"{"login":"alice"}"#).header("X-OAuth-Scopes", "repo")
            } else {
                Reply::json(200, REPO_JSON).header("X-OAuth-Scopes", "repo")
            })
        })
        .start()
}

fn assert_no_panic(run: &Run) {
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "panic:\n{}",
        run.stderr
    );
}

fn assert_one_line_error(what: &str, run: &Run) {
    assert_no_panic(run);
    assert_eq!(run.code, 2, "{what}: usage error\n{}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{what}: {}", run.stdout);
    assert_eq!(run.stderr.lines().count(), 1, "{what}: one line\n{}", run.stderr);
    assert!(
        run.stderr.starts_with("prepush-auth: error: "),
        "{what}: {}",
        run.stderr
    );
}

// ---------------------------------------------------------------- URLs

#[test]
fn urls_that_are_not_urls_are_one_line_usage_errors() {
    let sb = Sandbox::new();
    let long_junk = format!("https://{}", "\u{1F980}".repeat(20_000));
    for url in [
        "",
        "   ",
        "https://",
        "https://exa mple.com/x",
        "https://host:99999/x",
        "https://[::1/x",
        "https://host/x\nhost=evil.example",
        "https://host/x\r\nhost=evil.example",
        long_junk.as_str(),
    ] {
        let run = sb.run(&["check", url]);
        assert_one_line_error(&format!("{url:.40?}"), &run);
    }
}

#[test]
fn urls_without_an_http_credential_are_skipped_or_unknown_and_run_nothing() {
    let sb = Sandbox::new();
    let marker = sb.home.join("ext-ran");
    let ext = format!("ext::sh -c touch% {}", marker.display());
    let cases = [
        ("file:///srv/git/widgets.git", "skip"),
        ("/srv/git/widgets.git", "skip"),
        ("../sibling", "skip"),
        ("./x", "skip"),
        // Checked over ssh (the sandbox's trap ssh: "could not resolve").
        ("git@github.com:acme/widgets.git", "unknown"),
        ("ssh://git@[::1]:2222/acme/widgets.git", "unknown"),
        ("git://127.0.0.1:9/acme/widgets.git", "unknown"),
        (ext.as_str(), "unknown"),
        ("fd::17/foo", "unknown"),
    ];
    for (url, verdict) in cases {
        let run = sb.run(&["check", url, "--format", "json"]);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{url}: {}", run.stderr);
        let c = run.check();
        assert_eq!(c["verdict"], verdict, "{url}: {c}");
        assert_eq!(c["requests"], 0, "{url}");
    }
    assert!(!marker.exists(), "an ext:: command was run");
}

#[test]
fn control_characters_from_a_url_or_a_helper_never_reach_the_terminal() {
    // gix percent-decodes the path: `%1b` is an escape in the repository
    // name that the human output prints.
    let sb = Sandbox::new();
    sb.user_config("timeout_ms = 500\n");
    sb.git(&[
        "config",
        "--global",
        "--replace-all",
        "credential.helper",
        "!printf 'username=\\033]0;pwned\\007\\033[2J\\npassword=p\\n'",
    ]);
    for url in [
        "http://127.0.0.1:9/%1b%5b31mred%07/x.git",
        "http://127.0.0.1:9/acme/widgets.git",
    ] {
        let run = sb.run(&["check", url]);
        assert_no_panic(&run);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\u{7}'),
            "{:?}",
            run.stdout
        );
        assert!(!run.stderr.contains('\u{1b}'), "{:?}", run.stderr);
    }
}

#[test]
fn a_huge_url_is_handled_within_the_deadline() {
    // Over 64 KiB: more than a pipe holds, so writing it to git's stdin
    // must not be able to block past the deadline either.
    let sb = Sandbox::new();
    sb.user_config("timeout_ms = 1000\n");
    let url = format!("http://127.0.0.1:9/{}.git", "a".repeat(100_000));
    let started = Instant::now();
    let run = sb.run(&["check", &url, "--format", "json"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_millis(1000 + 1500));
}

#[test]
fn an_ipv6_loopback_literal_with_a_port_reaches_its_host() {
    let secret = classic_token("ipv6ipv6ipv6ipv6ipv6ipv6ipv6ip");
    let s2 = secret.clone();
    let server = RawServer::start_on("[::1]:0", true, move |s| {
        use std::io::Write;
        let _ = s.write_all(&http_reply("200 OK", &[("X-OAuth-Scopes", "repo")], REPO_JSON));
        let _ = &s2;
    });
    let sb = Sandbox::new();
    let port = server.port;
    let url = format!("http://[::1]:{port}/acme/widgets.git");
    sb.host_config(
        &format!("[::1]:{port}"),
        "github",
        &format!("http://[::1]:{port}/api/v3"),
        2000,
    );
    sb.store_credential(&url, "alice", &secret);
    let run = sb.run(&["check", &url, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["host"], format!("[::1]:{port}"));
    assert!(server.heads.lock().unwrap()[0].contains(&format!("Bearer {secret}")));
}

#[test]
fn percent_encoded_user_info_is_decoded_as_git_decodes_it() {
    // git is the oracle: the same URL must work for `git ls-remote`, and the
    // probe must carry exactly what git sends.
    let sb = Sandbox::new();
    let (user, password) = ("al@ice", "p@ss:w0rd/%ü");
    sb.secrets.lock().unwrap().push(password.to_owned());
    sb.secrets.lock().unwrap().push("p%40ss%3Aw0rd".to_owned());
    let host = FakeHost::builder()
        .git(GitBackend::new(
            sb.dir.path().join("srv"),
            "widgets.git",
            &[(user, password)],
        ))
        .start();
    let encoded = format!(
        "http://al%40ice:p%40ss%3Aw0rd%2F%25%C3%BC@127.0.0.1:{}/widgets.git",
        host.port
    );
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"generic\"\n",
        host.port
    ));
    sb.git(&["ls-remote", &encoded]);
    let run = sb.run(&["check", &encoded, "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["username"], user);
    assert_eq!(c["url"], host.url("/widgets.git"));
    let probe = host
        .requests()
        .into_iter()
        .rfind(|r| r.path.contains("info/refs"))
        .unwrap();
    assert_eq!(
        basic_credentials(&probe).unwrap(),
        (user.to_owned(), password.to_owned())
    );
}

// ---------------------------------------------------------------- git and its config

#[test]
fn a_broken_global_git_config_is_reported_not_mistaken_for_no_credential() {
    let sb = Sandbox::new();
    let host = github_accepting("unused");
    sb.use_host_timeout(&host, "github", "/api/v3", 2000);
    let url = host.url("/acme/widgets.git");
    std::fs::write(sb.home.join(".gitconfig"), "[junk\nthis is not [a config\n\0\u{1}").unwrap();
    // URL mode: git itself cannot read its config, so nothing can be checked.
    let run = sb.run(&["check", &url, "--format", "json"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["verdict"], "unknown", "{c}");
    assert!(c["message"].as_str().unwrap().contains("bad config"), "{c}");
    assert_eq!(host.count(), 0);
}

#[test]
fn a_broken_git_config_inside_a_repository_is_a_one_line_configuration_error() {
    let sb = Sandbox::new();
    sb.init_repo("https://github.com/acme/widgets.git");
    std::fs::write(
        sb.work.join(".git/config"),
        "[core\n\tbare = maybe\n[remote \"origin\"\n",
    )
    .unwrap();
    let run = sb.run(&["check"]);
    assert_one_line_error("broken .git/config", &run);
    assert!(run.stderr.contains("config"), "{}", run.stderr);
}

#[test]
fn a_missing_git_binary_is_unknown_with_a_clear_line() {
    let sb = Sandbox::new();
    let secret = classic_token("nogitnogitnogitnogitnogitnogit");
    let host = github_accepting(&secret);
    sb.use_host_timeout(&host, "github", "/api/v3", 2000);
    sb.init_repo(&host.url("/acme/widgets.git"));
    let empty = sb.dir.path().join("empty-path");
    std::fs::create_dir_all(&empty).unwrap();
    for args in [
        vec!["check", "--format", "json"],
        vec!["check", "https://example.invalid/a/b.git", "--format", "json"],
    ] {
        let out = sb.cmd(&args).env("PATH", &empty).output().unwrap();
        let run = sb.finish(out);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        let c = run.check();
        assert_eq!(c["verdict"], "unknown", "{c}");
        assert!(c["message"].as_str().unwrap().contains("git"), "{c}");
    }
    assert_eq!(host.count(), 0);
}

#[test]
fn outside_a_repository_without_a_url_is_a_usage_error() {
    let sb = Sandbox::new();
    // "origin" outside a repository is neither a remote nor an existing
    // path: a usage error, as git's "does not appear to be a git
    // repository" (issue 11; it used to be read as a local path and pass).
    for args in [vec!["check"], vec!["check", "--all"], vec!["check", "origin"]] {
        let run = sb.run(&args);
        assert_one_line_error(&format!("{args:?}"), &run);
    }
}

/// A repository checked from `dir`, with origin on an emulated host.
fn checks_ok_from(sb: &Sandbox, dir: &std::path::Path) {
    let out = sb
        .cmd(&["check", "--format", "json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let run = sb.finish(out);
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["remote"], "origin", "{c}");
    assert_eq!(c["reason"], "ok", "{c}");
}

fn repo_on_host(sb: &Sandbox) -> FakeHost {
    let secret = classic_token("repokindsrepokindsrepokindsrep");
    let host = github_accepting(&secret);
    sb.use_host_timeout(&host, "github", "/api/v3", 2000);
    sb.init_repo(&host.url("/acme/widgets.git"));
    sb.store_credential(&host.url("/acme/widgets.git"), "alice", &secret);
    host
}

#[test]
fn a_bare_repository_is_checked() {
    let sb = Sandbox::new();
    let _host = repo_on_host(&sb);
    let bare = sb.dir.path().join("bare.git");
    sb.git(&[
        "clone",
        "-q",
        "--bare",
        sb.work.to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let url = String::from_utf8(sb.git(&["remote", "get-url", "origin"]).stdout).unwrap();
    sb.git_in(&bare, &["remote", "set-url", "origin", url.trim()]);
    checks_ok_from(&sb, &bare);
}

#[test]
fn a_linked_worktree_is_checked() {
    let sb = Sandbox::new();
    let _host = repo_on_host(&sb);
    let wt = sb.dir.path().join("linked");
    sb.git(&["worktree", "add", "-q", "-b", "feature", wt.to_str().unwrap()]);
    checks_ok_from(&sb, &wt);
    checks_ok_from(&sb, &wt.join("."));
}

#[test]
fn a_detached_head_is_checked() {
    let sb = Sandbox::new();
    let _host = repo_on_host(&sb);
    sb.git(&["checkout", "-q", "--detach"]);
    checks_ok_from(&sb, &sb.work);
}

#[test]
fn a_subdirectory_and_an_unborn_branch_are_checked() {
    let sb = Sandbox::new();
    let _host = repo_on_host(&sb);
    let sub = sb.work.join("deep/er");
    std::fs::create_dir_all(&sub).unwrap();
    checks_ok_from(&sb, &sub);
    sb.git(&["checkout", "-q", "--orphan", "unborn"]);
    checks_ok_from(&sb, &sb.work);
}

// ---------------------------------------------------------------- credential helpers

#[test]
fn a_hanging_helper_is_killed_with_its_whole_process_group_at_the_deadline() {
    let sb = Sandbox::new();
    let host = github_accepting("unused");
    sb.use_host_timeout(&host, "github", "/api/v3", 800);
    let pids = sb.home.join("helper.pids");
    // The helper records its pid and process group, leaves a background
    // child behind, and waits forever, as a helper waiting on a GUI would.
    let helper = format!(
        "!f() {{ sleep 300 & echo \"$$ $! $(cut -d' ' -f5 /proc/$$/stat)\" > {}; sleep 300; }}; f",
        pids.display()
    );
    sb.git(&["config", "--global", "--replace-all", "credential.helper", &helper]);
    let started = Instant::now();
    let run = sb.run(&["check", &host.url("/acme/widgets.git"), "--format", "json"]);
    let took = started.elapsed();
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let c = run.check();
    assert_eq!(c["reason"], "timeout", "{c}");
    assert!(took < Duration::from_millis(800 + 1500), "took {took:?}");
    let text = std::fs::read_to_string(&pids).expect("the helper ran");
    let f: Vec<i32> = text.split_whitespace().map(|n| n.parse().unwrap()).collect();
    let pgid = f[2];
    // The kill is synchronous; give the kernel a moment to reap.
    let gone_by = Instant::now() + Duration::from_secs(2);
    while group_alive(pgid) && Instant::now() < gone_by {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!group_alive(pgid), "the helper's process group outlived the check");
    assert_eq!(host.count(), 0);
}

#[test]
fn a_helper_that_never_reads_its_input_and_floods_its_output_is_cut_off() {
    let sb = Sandbox::new();
    sb.user_config("timeout_ms = 800\n");
    sb.git(&[
        "config",
        "--global",
        "--replace-all",
        "credential.helper",
        "!yes junk-line #",
    ]);
    let started = Instant::now();
    let run = sb.run(&["check", "http://127.0.0.1:9/acme/widgets.git", "--format", "json"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(started.elapsed() < Duration::from_millis(800 + 1500));
}

#[test]
fn a_helper_that_floods_stderr_cannot_make_the_check_grow_without_bound() {
    // git relays a helper's stderr to ours. Kept whole, this grew the
    // process by ~700 MB within a 3 s deadline.
    let sb = Sandbox::new();
    sb.user_config("timeout_ms = 2500\n");
    sb.git(&[
        "config",
        "--global",
        "--replace-all",
        "credential.helper",
        "!f() { yes 0123456789abcdef0123456789abcdef0123456789abcdef >&2; }; f",
    ]);
    let mut child = sb
        .cmd(&["check", "http://127.0.0.1:9/acme/widgets.git", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let status = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    while child.try_wait().unwrap().is_none() {
        let hwm = std::fs::read_to_string(&status).ok().and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        });
        peak_kb = peak_kb.max(hwm.unwrap_or(0));
        std::thread::sleep(Duration::from_millis(25));
    }
    let run = sb.finish(child.wait_with_output().unwrap());
    assert_no_panic(&run);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.check()["reason"], "timeout");
    assert!(peak_kb < 100 * 1024, "peak resident set {peak_kb} kB");
}

#[test]
fn a_helper_that_prints_junk_is_no_credential_not_a_crash() {
    let sb = Sandbox::new();
    for helper in [
        "!printf 'junk\\000\\001\\002\\377\\nusername\\n=\\n===\\npassword\\n'",
        "!printf 'password_expiry_utc=99999999999999999999\\nusername=\\377\\376\\n'",
        "!printf '\\033[31mred\\033[0m\\n'",
        "!exit 3",
        "!kill -9 $$",
    ] {
        sb.git(&["config", "--global", "--replace-all", "credential.helper", helper]);
        let run = sb.run(&["check", "http://127.0.0.1:9/acme/widgets.git", "--format", "json"]);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{helper}: {}", run.stderr);
        let c = run.check();
        assert_eq!(c["reason"], "no_credential", "{helper}: {c}");
        assert!(
            !run.stdout.contains('\u{1b}'),
            "{helper}: escape codes reached the output"
        );
    }
}

#[test]
fn a_helper_answer_with_odd_fields_is_read_without_a_crash() {
    let sb = Sandbox::new();
    let host = github_accepting("\u{fffd}\u{fffd}-not-a-token");
    sb.use_host_timeout(&host, "github", "/api/v3", 2000);
    for helper in [
        // Expiry far beyond what a date can hold, a negative one, junk.
        "!printf 'username=alice\\npassword=p\\npassword_expiry_utc=99999999999999999999\\n'",
        "!printf 'username=alice\\npassword=p\\npassword_expiry_utc=-99999999999\\n'",
        "!printf 'username=alice\\npassword=\\377\\376-not-a-token\\npassword_expiry_utc=soon\\n'",
        "!printf 'username=alice\\npassword=ghp_\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\n'",
        "!printf 'username=alice\\npassword=hf_\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\n'",
        "!printf 'username=alice\\npassword=github_pat_\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\303\\251\\n'",
        "!printf 'authtype=Bearer\\ncredential=\\001\\002\\n'",
    ] {
        sb.git(&["config", "--global", "--replace-all", "credential.helper", helper]);
        let run = sb.run(&[
            "check",
            &host.url("/acme/widgets.git"),
            "--format",
            "json",
            "--no-cache",
        ]);
        assert_no_panic(&run);
        assert!(run.code == 0 || run.code == 1, "{helper}: {}", run.stderr);
        run.check();
    }
}

// ---------------------------------------------------------------- options

#[test]
fn extreme_timeouts_neither_panic_nor_hang() {
    let sb = Sandbox::new();
    for t in ["1", "18446744073709551615"] {
        let run = sb.run(&["check", "git@github.com:a/b.git", "--timeout-ms", t]);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{t}: {}", run.stderr);
    }
    // 0 is refused as a usage error (issue 11: it reported "within 1 ms").
    let run = sb.run(&["check", "git@github.com:a/b.git", "--timeout-ms", "0"]);
    assert_no_panic(&run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // The same deadlines through a real exchange: git, the TLS-free HTTP
    // client, tokio's timers.
    let secret = classic_token("timeoutstimeoutstimeoutstimeou");
    let host = github_accepting(&secret);
    sb.user_config(&format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"github\"\napi = \"{}\"\n",
        host.port,
        host.url("/api/v3")
    ));
    sb.store_credential(&host.url("/acme/widgets.git"), "alice", &secret);
    for t in ["18446744073709551615", "9223372036854775807"] {
        let run = sb.run(&[
            "check",
            &host.url("/acme/widgets.git"),
            "--timeout-ms",
            t,
            "--no-cache",
            "--format",
            "json",
        ]);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{t}: {}", run.stderr);
        assert_eq!(run.check()["reason"], "ok", "{t}");
    }
    let run = sb.run(&["check", "git@github.com:a/b.git", "--timeout-ms", "-1"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = sb.run(&["check", "--bogus"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn extreme_config_values_neither_panic_nor_block() {
    let secret = classic_token("extremeextremeextremeextremeex");
    let host = github_accepting(&secret);
    let sb = Sandbox::new();
    sb.init_repo(&host.url("/acme/widgets.git"));
    sb.store_credential(&host.url("/acme/widgets.git"), "alice", &secret);
    let hosts = format!(
        "[hosts.\"127.0.0.1:{}\"]\nprovider = \"github\"\napi = \"{}\"\n",
        host.port,
        host.url("/api/v3")
    );
    for behaviour in [
        "cache_ttl_seconds = 9223372036854775807\nwarn_expiry_days = 9223372036854775807\ntimeout_ms = 9223372036854775807\n",
        "cache_ttl_seconds = 0\nwarn_expiry_days = -9223372036854775808\ntimeout_ms = 0\n",
    ] {
        sb.user_config(&format!("{behaviour}{hosts}"));
        // Twice: the second run goes through the cache with the same values.
        for _ in 0..2 {
            let run = sb.run(&["check", "--format", "json"]);
            assert_no_panic(&run);
            assert_eq!(run.code, 0, "{behaviour}: {}", run.stderr);
        }
    }
    // A cloned repository's own file may not make the tool crash either.
    sb.user_config(&hosts);
    std::fs::write(
        sb.work.join(".prepush-auth.toml"),
        "cache_ttl_seconds = 9223372036854775807\nwarn_expiry_days = -9223372036854775808\n",
    )
    .unwrap();
    for _ in 0..2 {
        let run = sb.run(&["check", "--format", "json"]);
        assert_no_panic(&run);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
}

#[test]
fn a_configured_api_that_is_not_a_usable_url_is_unknown() {
    let sb = Sandbox::new();
    let secret = classic_token("badapibadapibadapibadapibadapi");
    for api in ["not a url", "ftp://127.0.0.1/x", "", "http://", "javascript:alert(1)"] {
        sb.user_config(&format!(
            "[hosts.\"127.0.0.1:9\"]\nprovider = \"github\"\napi = \"{api}\"\n"
        ));
        sb.store_credential("http://127.0.0.1:9/acme/widgets.git", "alice", &secret);
        let run = sb.run(&["check", "http://127.0.0.1:9/acme/widgets.git", "--format", "json"]);
        assert_no_panic(&run);
        assert!(run.code == 0 || run.code == 2, "{api}: {}", run.stderr);
        if run.code == 0 {
            assert_eq!(run.check()["verdict"], "unknown", "{api}");
        }
    }
}
