#![allow(clippy::pedantic)]
//! The exact human output of each reason, pinned by snapshots
//! (tests/snapshots/), as a user sees it in a pipe or CI log: wrapped to 80
//! columns, every line within them but a URL (never broken, so a terminal
//! keeps it clickable). Ports, temporary paths, dates, times, commit hashes
//! and SSH key fingerprints are filtered; everything else is the text itself.
//!
//! Also here: `check` judges what the branch would push (issue 18), the
//! missing-`origin` error, the cached note and `-v`.

mod support;

use support::*;

fn filtered(text: &str) -> String {
    let rules: &[(&str, &str)] = &[
        (r"127\.0\.0\.1:\d+", "127.0.0.1:PORT"),
        // Before [TIME]: a fingerprint is random, and one that began with two
        // digits read as a time ("SHA256:56np…" became "SHA2[TIME]np…").
        (r"SHA256:[A-Za-z0-9+/]{43}", "SHA256:[FINGERPRINT]"),
        (r"/tmp/\.tmp[A-Za-z0-9]+", "[TMP]"),
        (r"\d{4}-\d{2}-\d{2}", "[DATE]"),
        (r"\d{2}:\d{2}", "[TIME]"),
        (
            r"\d+\x{a0}h\x{a0}\d+\x{a0}min|\d+\x{a0}h|\d+\x{a0}min|\d+\x{a0}s",
            "[SPAN]",
        ),
        (r"commit [0-9a-f]{7,}", "commit [HASH]"),
        (r"port \d+", "port PORT"),
        (r"-p \d+", "-p PORT"),
        (r"\]:\d+", "]:PORT"),
    ];
    let mut out = text.to_owned();
    for (pattern, with) in rules {
        out = regex_replace(&out, pattern, with);
    }
    out
}

fn regex_replace(text: &str, pattern: &str, with: &str) -> String {
    regex::Regex::new(pattern).unwrap().replace_all(text, with).into_owned()
}

/// Every line within 80 columns, but a line that is one unbreakable word
/// after its indent (a URL, a path).
fn assert_fits(text: &str) {
    for line in text.lines() {
        let width = line.chars().count();
        let words = line.split_whitespace().count();
        assert!(
            width <= 80 || words <= 1 || line.trim_start().starts_with("$") && words <= 3,
            "{width} columns: {line}"
        );
    }
}

/// No clumsy joins: a host's quoted sentence (ending in its period) glued
/// to more text by `;`, `:` or `,`, parentheses doubled or back to back,
/// two periods, or a comma after a colon.
fn assert_reads_well(text: &str) {
    let flat = flat(text);
    for bad in [".;", ". ;", ".):", ".);", ".),", "((", "))", ") (", ":,", ".,"] {
        assert!(!flat.contains(bad), "{bad:?} in: {flat}");
    }
    assert!(
        !regex::Regex::new(r"\.\.[^/]").unwrap().is_match(&flat),
        "\"..\" in: {flat}"
    );
}

/// `check` as a user runs it in a pipe: the text, checked for width and
/// for its joins, filtered.
fn human(sb: &Sandbox, args: &[&str]) -> String {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let run = sb.run(&all);
    assert_fits(&run.stdout);
    assert_reads_well(&run.stdout);
    filtered(&run.stdout)
}

fn setup(host: &FakeHost, secret: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.use_host(host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    sb
}

fn utc_in(d: chrono::Duration) -> String {
    (chrono::Utc::now() + d).format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[test]
fn ok() {
    let secret = classic_token("okokokokokokokokokokokokokokok");
    let mut t = tok(&secret, Some("repo, workflow"));
    t.expiration = Some(utc_in(chrono::Duration::days(90)));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
    // A second check answers from the cache, and says so.
    let cached = human(&sb, &[]);
    assert!(
        cached.contains("(from a check [SPAN] ago; --no-cache asks again)"),
        "{cached}"
    );
}

#[test]
fn expires_soon_in_days_and_within_a_day() {
    let secret = classic_token("soonsoonsoonsoonsoonsoonsoonso");
    let mut t = tok(&secret, Some("repo"));
    t.expiration = Some(utc_in(chrono::Duration::days(3) + chrono::Duration::hours(2)));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    insta::assert_snapshot!("expires_soon_days", human(&sb, &["--no-cache"]));

    let secret = classic_token("hourhourhourhourhourhourhourho");
    let mut t = tok(&secret, Some("repo"));
    t.expiration = Some(utc_in(chrono::Duration::hours(5) + chrono::Duration::minutes(30)));
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    let text = human(&sb, &["--no-cache"]);
    assert!(
        flat(&text).contains("expires in [SPAN], on [DATE] at [TIME] UTC"),
        "{text}"
    );
    insta::assert_snapshot!("expires_soon_hours", text);
}

#[test]
fn token_invalid() {
    let host = github(vec![], REPO_JSON);
    let sb = setup(&host, &classic_token("badbadbadbadbadbadbadbadbadbad"));
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn token_malformed() {
    let host = github(vec![], REPO_JSON);
    let mut secret = classic_token("mangledmangledmangledmangledma");
    let last = if secret.ends_with('A') { "B" } else { "A" };
    secret.replace_range(secret.len() - 1.., last);
    let sb = setup(&host, &secret);
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn password_not_shown() {
    let host = github(vec![], REPO_JSON);
    let sb = setup(&host, "correct-horse-battery-staple");
    let text = human(&sb, &["--no-cache"]);
    assert!(!text.contains("(hidden)"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn missing_write_scope() {
    let secret = classic_token("narrownarrownarrownarrownarrow");
    let host = github(vec![tok(&secret, Some("read:org"))], REPO_JSON);
    let sb = setup(&host, &secret);
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

/// Issue 18: `check` judges what the branch would push, as the hook does
/// without ref lines: an unpushed commit that changes a workflow, with a
/// token without `workflow`, is a block naming the commit.
#[test]
fn missing_workflow_scope_names_the_unpushed_commit() {
    let secret = classic_token("repoonlyrepoonlyrepoonlyrepoon");
    let host = github(vec![tok(&secret, Some("repo"))], REPO_JSON);
    let sb = setup(&host, &secret);
    // Without such a commit: ok.
    let run = sb.run(&["check", "--format", "json", "--no-cache"]);
    assert_eq!(run.check()["reason"], "ok", "{}", run.stdout);
    std::fs::create_dir_all(sb.work.join(".github/workflows")).unwrap();
    std::fs::write(sb.work.join(".github/workflows/ci.yml"), "on: push\n").unwrap();
    sb.git(&["add", ".github"]);
    sb.git(&["commit", "-qm", "CI on every push"]);
    let short = sb.git(&["rev-parse", "--short", "HEAD"]);
    let short = String::from_utf8_lossy(&short.stdout).trim().to_owned();
    let run = sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "missing_workflow_scope");
    let message = c["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("commit {short} (CI on every push)")),
        "{message}"
    );
    insta::assert_snapshot!(human(&sb, &[]));
}

#[test]
fn no_credential() {
    let host = github(vec![], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    insta::assert_snapshot!(human(&sb, &[]));
}

#[test]
fn wrong_username_on_bitbucket() {
    let sb = Sandbox::new();
    let url = "https://bitbucket.org/acme/widgets.git";
    sb.init_repo(url);
    let token = format!("ATATT3xFfGF0{}=1A2B3C4D", "snap".repeat(42));
    sb.store_credential(url, "alice@example.com", &token);
    insta::assert_snapshot!(human(&sb, &[]));
}

#[test]
fn skipped_and_not_checked() {
    // (SSH remotes are checked over SSH since issue 19: tests/ssh.rs.)
    let sb = Sandbox::new();
    sb.init_repo("../elsewhere.git");
    let other = sb.dir.path().join("other.git");
    std::fs::create_dir_all(&other).unwrap();
    insta::assert_snapshot!("local_remote", human(&sb, &[other.to_str().unwrap()]));
    let host = github(vec![], REPO_JSON);
    let sb = setup(&host, &classic_token("offlineofflineofflineofflineof"));
    insta::assert_snapshot!("offline", human(&sb, &["--offline"]));
}

#[test]
fn timeout_names_the_limit_and_the_setting() {
    let silent = Silent::start();
    let sb = Sandbox::new();
    let key = format!("127.0.0.1:{}", silent.port);
    let url = format!("http://{key}/acme/widgets.git");
    sb.host_config(&key, "github", &format!("http://{key}/api/v3"), 300);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &classic_token("slowslowslowslowslowslowslowsl"));
    let text = human(&sb, &["--no-cache"]);
    assert!(text.contains("300 ms") && text.contains("timeout_ms"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn host_error() {
    let host = FakeHost::builder().route("/", Reply::new(502, "Bad gateway")).start();
    let sb = setup(&host, &classic_token("fivehundredfivehundredfivehund"));
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn a_missing_origin_lists_the_remotes_and_suggests_all() {
    let sb = Sandbox::new();
    sb.git(&["init", "-q"]);
    sb.git(&["remote", "add", "upstream", "https://github.com/acme/widgets.git"]);
    sb.git(&["remote", "add", "fork", "https://github.com/alice/widgets.git"]);
    let run = sb.run(&["check"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr.trim(),
        "prepush-auth: error: there is no remote named 'origin' (the remotes here: fork, upstream); name one, as in `prepush-auth check fork`, or check them all with --all"
    );
}

#[test]
fn verbose_tells_each_step_and_never_a_secret() {
    let secret = classic_token("verboseverboseverboseverbosevv");
    let host = github(vec![tok(&secret, Some("repo, workflow"))], REPO_JSON);
    let sb = setup(&host, &secret);
    let run = sb.run(&["check", "-v", "--no-cache"]);
    let err = filtered(&run.stderr);
    for step in [
        "push target: remote 'origin', the current branch's push remote",
        "push URL: http://127.0.0.1:PORT/acme/widgets.git",
        "credential helpers git runs for this URL, in order: store (credential.helper in [TMP]/home/.gitconfig)",
        "the credential: classic personal access token for 127.0.0.1:PORT, from credential helper 'store'",
        "GET 127.0.0.1/api/v3/repos/acme/widgets -> HTTP 200 in",
        "github judged it: ok",
    ] {
        assert!(err.contains(step), "{step}\n{err}");
    }
    // Without -v, nothing on stderr.
    assert_eq!(sb.run(&["check", "--no-cache"]).stderr, "");
}

#[test]
fn repo_archived() {
    let secret = classic_token("archivedarchivedarchivedarchiv");
    let json: &'static str = Box::leak(
        REPO_JSON
            .replace("\"archived\":false", "\"archived\":true")
            .into_boxed_str(),
    );
    let host = github(vec![tok(&secret, Some("repo, workflow"))], json);
    let sb = setup(&host, &secret);
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn rate_limited() {
    let host = FakeHost::builder()
        .route(
            "/",
            Reply::json(403, r#"{"message":"API rate limit exceeded"}"#)
                .header("x-ratelimit-remaining", "0")
                .header("x-ratelimit-reset", "4102444800"),
        )
        .start();
    let sb = setup(&host, &classic_token("ratelimitratelimitratelimitrat"));
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn network_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let sb = Sandbox::new();
    let key = format!("127.0.0.1:{port}");
    let url = format!("http://{key}/acme/widgets.git");
    sb.host_config(&key, "github", &format!("http://{key}/api/v3"), 2000);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &classic_token("closedclosedclosedclosedclosed"));
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn remote_misconfigured_among_all() {
    let sb = Sandbox::new();
    sb.init_repo("../elsewhere.git");
    sb.git(&["config", "remote.broken.fetch", "+refs/heads/*:refs/remotes/broken/*"]);
    insta::assert_snapshot!(human(&sb, &["--all"]));
}

/// `install --help` explains each entry in one line.
#[test]
fn install_help_explains_each_entry_in_one_line() {
    let sb = Sandbox::new();
    let help = sb.run(&["install", "--help"]).stdout;
    for entry in ["--hook", "--helper <HELPER>", "- observe:", "- gate:", "--global"] {
        let at = help.find(entry).unwrap_or_else(|| panic!("{entry}: {help}"));
        assert!(help[at..].lines().count() > 1, "{help}");
    }
    assert!(
        help.contains("- observe: Last in git's helper chain: explains a refusal"),
        "{help}"
    );
    assert!(
        help.contains("- gate:    First in git's helper chain: stops git before it sends"),
        "{help}"
    );
}

/// The reason the snapshot below shows, as `--format json` names it: a
/// snapshot accepted blindly still cannot pin another reason.
fn assert_reason(sb: &Sandbox, reason: &str) {
    let run = sb.run(&["check", "--format", "json", "--no-cache"]);
    assert_eq!(run.check()["reason"], reason, "{}", run.stdout);
}

/// A check of `host` (as `provider`, its API under `api`) for the
/// repository at `path`, with `username` and `secret` stored for it.
fn setup_as(host: &FakeHost, provider: &str, api: &str, path: &str, username: &str, secret: &str) -> Sandbox {
    let sb = Sandbox::new();
    sb.use_host(host, provider, api);
    let url = host.url(path);
    sb.init_repo(&url);
    sb.store_credential(&url, username, secret);
    sb
}

/// A recorded answer with one text replaced (a role, a flag).
fn edited(path: &str, from: &str, to: &str) -> Reply {
    let mut r = fixture(path);
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.contains(from), "{path} has no {from}");
    r.body = body.replace(from, to).into_bytes();
    r
}

#[test]
fn sso_required() {
    // GitHub's recorded 403 with X-GitHub-SSO (tests/fixtures/github).
    let host = FakeHost::builder()
        .route("/", fixture("github/sso-required.http"))
        .start();
    let sb = setup(&host, &classic_token("ssossossossossossossossossosso"));
    assert_reason(&sb, "sso_required");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn no_repo_access() {
    // The repository says push: false; git's probe gets GitHub's recorded
    // "Permission to … denied".
    let secret = classic_token("readerreaderreaderreaderreader");
    let json: &'static str = Box::leak(REPO_JSON.replace("\"push\":true", "\"push\":false").into_boxed_str());
    let host = github(vec![tok(&secret, Some("repo, workflow"))], json);
    let sb = setup(&host, &secret);
    assert_reason(&sb, "no_repo_access");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn token_revoked() {
    // GitLab: git's endpoint refuses it, the API answers its recorded
    // "Token was revoked" (tests/fixtures/gitlab).
    let host = FakeHost::builder()
        .route_fn(|r| {
            Some(if r.path.contains("/info/refs?service=") {
                fixture("gitlab/probe-unauthorized.http")
            } else {
                fixture("gitlab/token-revoked.http")
            })
        })
        .start();
    let secret = format!("glpat-{}", "r".repeat(20));
    let sb = setup_as(&host, "gitlab", "/api/v4", REPO_PATH, "alice", &secret);
    assert_reason(&sb, "token_revoked");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

/// Bitbucket Cloud: git's endpoint answers `probe`, the REST API refuses
/// any credential but an access token (as in tests/bitbucket.rs).
fn bitbucket(probe: &'static str) -> FakeHost {
    FakeHost::builder()
        .route_fn(move |r| {
            Some(if r.path.contains("/info/refs?service=") {
                fixture(probe)
            } else {
                Reply::json(401, r#"{"type":"error","error":{"message":"Unauthorized"}}"#)
            })
        })
        .start()
}

#[test]
fn credential_retired() {
    // An app password: git's recorded 410 from Bitbucket.
    let host = bitbucket("bitbucket/probe-410-app-password.http");
    let secret = "ATBBzYxWvUtSrQpOnMlKjIhGfEdCbA543210";
    let sb = setup_as(&host, "bitbucket", "/2.0", REPO_PATH, "alice", secret);
    assert_reason(&sb, "credential_retired");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn host_refused() {
    // A workspace that requires two-step verification: Bitbucket's recorded 403.
    let host = bitbucket("bitbucket/probe-403-two-step-required.http");
    let secret = format!("ATATT3xFfGF0{}=1A2B3C4D", "twoS".repeat(42));
    let sb = setup_as(&host, "bitbucket", "/2.0", REPO_PATH, "alice", &secret);
    assert_reason(&sb, "host_refused");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn write_access_unknown() {
    // Hugging Face: a write token of an org member whose role gives no
    // known answer; the Hub's probe advertises to any reader.
    let secret = format!("hf_{}", &"Cntr".repeat(9)[..34]);
    let whoami = edited(
        "huggingface/whoami-write-token-org-member.http",
        r#""roleInOrg":"write""#,
        r#""roleInOrg":"contributor""#,
    );
    let host = FakeHost::builder()
        .route_fn(move |r| {
            if r.path.contains("/info/refs?service=") {
                return Some(fixture("huggingface/probe-advertisement-read-token.http"));
            }
            (r.path == "/api/whoami-v2").then(|| whoami.clone())
        })
        .start();
    let sb = setup_as(&host, "huggingface", "", "/acme/widget-model", "alice", &secret);
    assert_reason(&sb, "write_access_unknown");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn username_mismatch() {
    // The token belongs to bob; git sends the username alice.
    let secret = classic_token("bobbobbobbobbobbobbobbobbobbob");
    let mut t = tok(&secret, Some("repo, workflow"));
    t.login = "bob";
    let host = github(vec![t], REPO_JSON);
    let sb = setup(&host, &secret);
    assert_reason(&sb, "username_mismatch");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn unexpected_response() {
    // A captive portal answers everything with a page of HTML.
    let host = FakeHost::builder()
        .route("/", Reply::new(200, "<html>a captive portal</html>"))
        .start();
    let sb = setup(&host, &classic_token("portalportalportalportalportal"));
    assert_reason(&sb, "unexpected_response");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn token_expired() {
    // GitLab: the API answers its recorded "Token has expired".
    let host = FakeHost::builder()
        .route_fn(|r| {
            Some(if r.path.contains("/info/refs?service=") {
                fixture("gitlab/probe-unauthorized.http")
            } else {
                fixture("gitlab/token-expired.http")
            })
        })
        .start();
    let secret = format!("glpat-{}", "e".repeat(20));
    let sb = setup_as(&host, "gitlab", "/api/v4", REPO_PATH, "alice", &secret);
    assert_reason(&sb, "token_expired");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

/// SSH remotes against the real sshd of tests/support/sshd.rs (skipped
/// where it cannot start, as tests/ssh.rs is); the login name, which is
/// this machine's, is filtered too.
fn ssh_human(sb: &Sandbox, sshd: &support::sshd::Sshd, reason: &str) -> String {
    assert_reason(sb, reason);
    human(sb, &["--no-cache"]).replace(&format!("{}@", sshd.user), "[USER]@")
}

#[test]
fn ssh_key_not_accepted() {
    let Some(sshd) = support::sshd::Sshd::start("github") else {
        return;
    };
    sshd.repo("acme/widgets");
    let sb = Sandbox::new();
    let stranger = sshd.key(&sb, "id_stranger", None, "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&stranger]);
    sb.init_repo(&sshd.url("acme/widgets"));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "ssh_key_not_accepted"));
}

#[test]
fn ssh_no_key() {
    let Some(sshd) = support::sshd::Sshd::start("github") else {
        return;
    };
    sshd.repo("acme/widgets");
    let sb = Sandbox::new();
    let missing = sb.home.join(".ssh/id_none");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&missing]);
    sb.init_repo(&sshd.url("acme/widgets"));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "ssh_no_key"));
}

#[test]
fn ssh_port_closed() {
    let Some(sshd) = support::sshd::Sshd::start("github") else {
        return;
    };
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&key]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    sb.init_repo(&format!("ssh://{}@127.0.0.1:{port}/acme/widgets.git", sshd.user));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "ssh_port_closed"));
}

/// An sshd playing `host`, where alice's key has `rule` on acme/widgets.
fn ssh_world(host: &str, rule: &str) -> Option<(support::sshd::Sshd, Sandbox)> {
    let sshd = support::sshd::Sshd::start(host)?;
    sshd.repo("acme/widgets");
    sshd.grant("alice", "acme/widgets", rule);
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, host);
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url("acme/widgets"));
    Some((sshd, sb))
}

#[test]
fn deploy_key_read_only() {
    // GitHub's recorded "has been marked as read only" over SSH.
    let Some((sshd, sb)) = ssh_world("github", "deploy-read-only") else {
        return;
    };
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "deploy_key_read_only"));
}

#[test]
fn ssh_key_expired() {
    // GitLab's recorded "Your SSH key has expired."
    let Some((sshd, sb)) = ssh_world("gitlab", "expired") else {
        return;
    };
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "ssh_key_expired"));
}

#[test]
fn host_key_unknown_and_changed() {
    let Some((sshd, sb)) = ssh_world("github", "write") else {
        return;
    };
    std::fs::write(sshd.root.join("known_hosts"), "").unwrap();
    // This one names the login (`ssh -T -p PORT LOGIN@127.0.0.1`) in its
    // prose, whose length moves the wrap from one machine to the next: the
    // words are pinned with the wrap joined (`human` still checks every
    // line's width).
    insta::assert_snapshot!("host_key_unknown", flat(&ssh_human(&sb, &sshd, "host_key_unknown")));
    // Another host's key recorded for this one.
    let other = sshd.root.join("other_key");
    std::process::Command::new("ssh-keygen")
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
    // The login is on a `$ ` line of its own here, never wrapped: pinned as printed.
    insta::assert_snapshot!("host_key_changed", ssh_human(&sb, &sshd, "host_key_changed"));
}

#[test]
fn password_not_token() {
    // A password on github.com: known without asking the host.
    let sb = Sandbox::new();
    let url = "https://github.com/acme/widgets.git";
    sb.init_repo(url);
    sb.store_credential(url, "alice", "correct-horse-battery");
    assert_reason(&sb, "password_not_token");
    insta::assert_snapshot!(human(&sb, &["--no-cache"]));
}

#[test]
fn repo_not_found() {
    // GitLab over SSH, a project that does not exist (never asked for
    // receive-pack, which would create it).
    let Some(sshd) = support::sshd::Sshd::start("gitlab") else {
        return;
    };
    let sb = Sandbox::new();
    let key = sshd.key(&sb, "id_alice", Some("alice"), "");
    sshd.as_provider(&sb, "gitlab");
    sshd.use_config(&sb, &[&key]);
    sb.init_repo(&sshd.url("acme/widgets"));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "repo_not_found"));
}

#[test]
fn wrong_account() {
    // ssh offers bob's key (may read), alice's key may push.
    let Some(sshd) = support::sshd::Sshd::start("github") else {
        return;
    };
    sshd.repo("acme/widgets");
    sshd.grant("bob", "acme/widgets", "read");
    sshd.grant("alice", "acme/widgets", "write");
    let sb = Sandbox::new();
    let personal = sshd.key(&sb, "id_personal", Some("bob"), "");
    sshd.key(&sb, "work_ed25519", Some("alice"), "");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&personal]);
    sb.init_repo(&sshd.url("acme/widgets"));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "wrong_account"));
}

#[test]
fn ssh_key_locked() {
    // The host knows the key, but it has a passphrase and no agent holds
    // it: ssh (BatchMode) skips it without asking.
    let Some(sshd) = support::sshd::Sshd::start("github") else {
        return;
    };
    sshd.repo("acme/widgets");
    sshd.grant("alice", "acme/widgets", "write");
    let sb = Sandbox::new();
    let locked = sshd.key(&sb, "id_locked", Some("alice"), "correct horse");
    sshd.as_provider(&sb, "github");
    sshd.use_config(&sb, &[&locked]);
    sb.init_repo(&sshd.url("acme/widgets"));
    insta::assert_snapshot!(ssh_human(&sb, &sshd, "ssh_key_locked"));
}

#[test]
fn unsupported_host() {
    // git would run PuTTY's plink for ssh, whose options are not OpenSSH's.
    let sb = Sandbox::new();
    sb.git(&["config", "--global", "core.sshCommand", "plink -batch"]);
    sb.init_repo("ssh://git@127.0.0.1:9/acme/widgets.git");
    assert_reason(&sb, "unsupported_host");
    insta::assert_snapshot!("unsupported_host_plink", human(&sb, &["--no-cache"]));
    // The git:// protocol carries no credential at all.
    let sb = Sandbox::new();
    sb.init_repo("git://127.0.0.1:9/acme/widgets.git");
    assert_reason(&sb, "unsupported_host");
    insta::assert_snapshot!("unsupported_host_git_protocol", human(&sb, &["--no-cache"]));
    // Offline, with nothing remembered.
    let host = github(vec![], REPO_JSON);
    let sb = setup(&host, &classic_token("offlineofflineofflineofflineof"));
    let run = sb.run(&["check", "--format", "json", "--offline"]);
    assert_eq!(run.check()["reason"], "unsupported_host", "{}", run.stdout);
}
