#![allow(clippy::pedantic)]
//! Which credential git really sends, and which account may push (issue 20):
//! real `git push` to git's own `git http-backend` on loopback, credentials
//! in a real `git credential-store`, an `Authorization` extra header in the
//! repository's config as actions/checkout writes it.

mod support;

use base64::Engine as _;
use support::*;

/// What actions/checkout persists (`src/git-auth-helper.ts`):
/// `http.<origin>/.extraheader = AUTHORIZATION: basic base64(x-access-token:TOKEN)`,
/// in `.git/config` (checkout v2 to v4), or (today) in a
/// `git-credentials-<uuid>.config` under `RUNNER_TEMP` that `.git/config`
/// includes with `includeIf.gitdir:<repo>/.git.path`. The file it is in.
fn checkout_header(sb: &Sandbox, host: &FakeHost, token: &str, included: bool) -> (String, String) {
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{token}"));
    sb.secrets.lock().unwrap().push(basic.clone());
    let key = format!("http.http://127.0.0.1:{}/.extraheader", host.port);
    let value = format!("AUTHORIZATION: basic {basic}");
    if !included {
        sb.git(&["config", "--local", &key, &value]);
        return (key, ".git/config".to_owned());
    }
    let temp = sb.dir.path().join("runner_temp");
    std::fs::create_dir_all(&temp).unwrap();
    let file = temp.join("git-credentials-0b1c2d3e.config");
    let file = file.to_str().unwrap().to_owned();
    sb.git(&["config", "--file", &file, &key, &value]);
    let gitdir = sb.work.join(".git");
    sb.git(&[
        "config",
        "--local",
        &format!("includeIf.gitdir:{}.path", gitdir.display()),
        &file,
    ]);
    (key, file)
}

struct World {
    sb: Sandbox,
    host: FakeHost,
    bare: std::path::PathBuf,
}

/// An emulated GitHub that knows `alive` (may push), with git's backend
/// accepting them; the work repository's origin points at it.
fn world(alive: &[&str]) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = alive.iter().map(|t| ("*", *t)).collect();
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let host = github_with(
        alive.iter().map(|t| tok(t, Some("repo"))).collect(),
        REPO_JSON,
        Some(backend),
    );
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    World {
        sb,
        host,
        bare: root.join("acme/widgets.git"),
    }
}

#[test]
fn the_extra_header_is_what_git_sends_and_what_check_judges() {
    let good = classic_token("headerheaderheaderheaderheader");
    let stale = classic_token("stalestalestalestalestalestale");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &stale);
    let (key, file) = checkout_header(&w.sb, &w.host, &good, true);

    // git sends the header and never asks the store: the push lands.
    let (out, stderr) = w.sb.push_main();
    assert!(out.status.success(), "{stderr}");
    assert!(bare_has(&w.bare, "main"));
    assert!(
        std::fs::read_to_string(w.sb.home.join(".git-credentials"))
            .unwrap()
            .contains(&stale),
        "the stale entry was not even asked, so not erased"
    );

    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["helper"], "extraheader");
    assert_eq!(c["credential"]["secret"], format!("ghp_…{}", &good[36..]));
    // The header's token went to the API, the store's never.
    assert!(
        w.host
            .requests()
            .iter()
            .all(|r| presented(r).as_deref() == Some(good.as_str()))
    );

    let human = w.sb.run(&["check", "--no-cache"]);
    assert!(flat(&human.stdout).contains(&key), "{}", human.stdout);
    assert!(
        flat(&human.stdout).contains("actions/checkout persists this token unless `persist-credentials: false`"),
        "{}",
        human.stdout
    );
    assert!(
        flat(&human.stdout).contains(&file),
        "the included file: {}",
        human.stdout
    );
}

#[test]
fn a_dead_extra_header_is_named_as_the_fault_beside_a_good_store_entry() {
    let good = classic_token("goodgoodgoodgoodgoodgoodgoodgo");
    let dead = classic_token("deaddeaddeaddeaddeaddeaddeadde");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &good);
    let (key, _) = checkout_header(&w.sb, &w.host, &dead, false);

    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "token_invalid", "{c}");
    assert_eq!(c["credential"]["helper"], "extraheader");
    let fix = c["fix"].to_string();
    assert!(fix.contains(&key), "{fix}");
    assert!(fix.contains("persist-credentials: false"), "{fix}");
    assert!(fix.contains("still sends the header"), "{fix}");

    // And git agrees: the header wins over the good store entry.
    let (out, _) = w.sb.push_main();
    assert!(!out.status.success());
    assert!(!bare_has(&w.bare, "main"));
}

/// Review bug: with `XDG_CONFIG_HOME` set but empty (git treats that as
/// unset and reads `~/.config/git/config`), the gix pre-read missed an
/// extra header there, so `check` judged the store's stale entry while git
/// sent the header (and pushed).
#[test]
fn an_extra_header_in_the_xdg_config_is_seen_when_xdg_config_home_is_empty() {
    let good = classic_token("xdgxdgxdgxdgxdgxdgxdgxdgxdgxdg");
    let stale = classic_token("oldoldoldoldoldoldoldoldoldold");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &stale);
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("x-access-token:{good}"));
    w.sb.secrets.lock().unwrap().push(basic.clone());
    let xdg = w.sb.home.join(".config/git/config");
    std::fs::create_dir_all(xdg.parent().unwrap()).unwrap();
    let key = format!("http.http://127.0.0.1:{}/.extraheader", w.host.port);
    w.sb.git(&[
        "config",
        "--file",
        xdg.to_str().unwrap(),
        &key,
        &format!("AUTHORIZATION: basic {basic}"),
    ]);

    let mut cmd = w.sb.cmd(&["check", "--format", "json"]);
    cmd.env("XDG_CONFIG_HOME", "");
    let run = w.sb.finish(cmd.output().unwrap());
    assert_eq!(run.code, 0, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["helper"], "extraheader", "{c}");
}

const REPO_READ_ONLY: &str = r#"{"id":1,"name":"widgets","full_name":"acme/widgets","private":true,"archived":false,"permissions":{"admin":false,"maintain":false,"push":false,"triage":false,"pull":true}}"#;

/// An emulated GitHub where each `(login, token, may_push)` is an account:
/// REST answers per token, git's push check refuses the ones that may not
/// push with GitHub's recorded words (`Permission to acme/widgets.git denied
/// to alice.`), and git's own backend takes the pushes of the others.
fn accounts_world(accounts: &[(&'static str, &str, bool)]) -> World {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("server");
    let accept: Vec<(&str, &str)> = accounts.iter().filter(|a| a.2).map(|a| ("*", a.1)).collect();
    let backend = GitBackend::new(root.clone(), "acme/widgets.git", &accept);
    let known: Vec<(&'static str, String, bool)> = accounts.iter().map(|(l, t, m)| (*l, (*t).to_owned(), *m)).collect();
    for (_, t, _) in &known {
        sb.secrets.lock().unwrap().push(t.clone());
    }
    let host = FakeHost::builder()
        .git(backend)
        .route_fn(move |r| {
            let account = presented(r).and_then(|p| known.iter().find(|(_, t, _)| *t == p).cloned());
            if r.path.contains("/info/refs?service=git-receive-pack") {
                return match account {
                    None => Some(fixture("github/probe-bad-credentials.http")),
                    Some((_, _, false)) => Some(fixture("github/probe-permission-denied.http")),
                    Some(_) => None,
                };
            }
            if !r.path.starts_with("/api/v3/") {
                return None;
            }
            let Some((login, _, may)) = account else {
                return Some(fixture("github/bad-credentials.http"));
            };
            let reply = match r.path.as_str() {
                "/api/v3/user" => Reply::json(200, &format!(r#"{{"login":"{login}","id":7,"type":"User"}}"#)),
                "/api/v3/repos/acme/widgets" => Reply::json(200, if may { REPO_JSON } else { REPO_READ_ONLY }),
                _ => fixture("github/not-found.http"),
            };
            Some(
                reply
                    .header("X-OAuth-Scopes", "repo")
                    .header("X-RateLimit-Remaining", "4999"),
            )
        })
        .start();
    sb.use_host(&host, "github", "/api/v3");
    sb.init_repo(&host.url(REPO_PATH));
    World {
        sb,
        host,
        bare: root.join("acme/widgets.git"),
    }
}

/// The first command the check prints between backticks in a fix line
/// that names `user`, run as printed.
fn follow_pin(w: &World, fix: &serde_json::Value, user: &str) -> String {
    let line = fix
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .find(|l| l.starts_with(&format!("{user} (")))
        .unwrap_or_else(|| panic!("no line for {user}: {fix}"));
    let pin = line.split('`').nth(1).unwrap().to_owned();
    let mut cmd = std::process::Command::new("sh");
    w.sb.env(&mut cmd);
    let out = cmd.arg("-c").arg(&pin).current_dir(&w.sb.work).output().unwrap();
    assert!(out.status.success(), "{pin}: {}", String::from_utf8_lossy(&out.stderr));
    pin
}

#[test]
fn the_store_account_that_may_push_is_named_with_the_pin_that_makes_the_push_land() {
    let denied = classic_token("aliceAliceAliceAliceAliceAlice");
    let may = classic_token("bobBobBobBobBobBobBobBobBobBob");
    let w = accounts_world(&[("alice", &denied, false), ("bob", &may, true)]);
    let url = w.host.url(REPO_PATH);
    // credential-store writes the newest entry first and git takes the
    // first that matches: alice's.
    w.sb.store_credential(&url, "bob", &may);
    w.sb.store_credential(&url, "alice", &denied);
    let (out, stderr) = w.sb.push_main();
    assert!(!out.status.success(), "git picked alice, who may not push");
    assert!(flat(&stderr).contains("denied to alice"), "{stderr}");
    // git erased alice's entry when refused: put it back as the user has it.
    w.sb.store_credential(&url, "alice", &denied);

    let before = w.host.count();
    let run = w.sb.run(&["check", "--format", "json"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let c = run.check();
    assert_eq!(c["reason"], "no_repo_access", "{c}");
    assert_eq!(c["credential"]["username"], "alice");
    let fix = &c["fix"];
    assert!(
        fix[0]
            .as_str()
            .unwrap()
            .starts_with("bob (store) may push to acme/widgets"),
        "{fix}"
    );
    let port = w.host.port;
    assert!(
        fix[0]
            .as_str()
            .unwrap()
            .contains(&format!("`git config credential.http://127.0.0.1:{port}.username bob`")),
        "{fix}"
    );
    // Every request the check sent is counted, bob's probe included, and
    // bob's token went to this host's push check only.
    assert_eq!(c["requests"].as_u64().unwrap() as usize, w.host.count() - before);
    let bob_requests: Vec<_> = w.host.requests()[before..]
        .iter()
        .filter(|r| presented(r).as_deref() == Some(may.as_str()))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        bob_requests,
        vec![format!("{REPO_PATH}/info/refs?service=git-receive-pack")]
    );

    let human = w.sb.run(&["check"]);
    assert!(
        flat(&human.stdout).contains("bob (store) may push to acme/widgets (git's push check lets bob in): pin it"),
        "{}",
        human.stdout
    );
    let pin = follow_pin(&w, fix, "bob");
    assert!(pin.starts_with("git config credential."), "{pin}");
    let (out, stderr) = w.sb.push_main();
    assert!(out.status.success(), "{stderr}");
    assert!(bare_has(&w.bare, "main"));

    // Now git sends bob's: ok, and no search on the success path.
    let before = w.host.count();
    let c = w.sb.run(&["check", "--format", "json", "--no-cache"]).check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["credential"]["username"], "bob");
    assert!(
        w.host.requests()[before..]
            .iter()
            .all(|r| presented(r).as_deref() == Some(may.as_str()))
    );
}

#[test]
fn when_no_account_may_push_it_says_so_and_the_success_path_asks_no_more() {
    let a = classic_token("aliceAliceAliceAliceAliceAlice");
    let c2 = classic_token("carolCarolCarolCarolCarolCarol");
    let d = classic_token("daveDaveDaveDaveDaveDaveDaveDa");
    let w = accounts_world(&[("alice", &a, false), ("carol", &c2, false), ("dave", &d, false)]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "dave", &d);
    w.sb.store_credential(&url, "carol", &c2);
    w.sb.store_credential(&url, "alice", &a);
    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access");
    let first = c["fix"][0].as_str().unwrap();
    assert!(
        first.starts_with(&format!(
            "none of the 3 accounts for 127.0.0.1:{} may push to acme/widgets (alice, carol, dave)",
            w.host.port
        )),
        "{first}"
    );

    // One account that may push and another stored beside it: an ok check
    // sends what it sent before the search existed, and nothing with the
    // other token.
    let ok = classic_token("okayOkayOkayOkayOkayOkayOkayOk");
    let other = classic_token("otherOtherOtherOtherOtherOther");
    let w = accounts_world(&[("alice", &ok, true), ("bob", &other, true)]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "bob", &other);
    w.sb.store_credential(&url, "alice", &ok);
    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "ok", "{c}");
    assert_eq!(c["requests"], 2, "the repository and /user, as before");
    assert_eq!(w.host.count(), 2);
    assert!(
        w.host
            .requests()
            .iter()
            .all(|r| presented(r).as_deref() == Some(ok.as_str()))
    );
}

/// A stand-in for gh ≥ 2.40 with several accounts per host: `hosts.yml` as
/// gh writes it, one token file per account; its credential helper answers
/// only for the active account, and nothing when git asks for another
/// username (cli/cli `pkg/cmd/auth/gitcredential/helper.go`); `auth token
/// -u` and `auth switch -u` as gh's. (Debian's gh is 2.23, one account per
/// host, and its helper answers only over https.)
fn gh_standin(sb: &Sandbox, host: &str, accounts: &[(&str, &str)], active: &str) {
    let dir = sb.home.join(".config/gh");
    std::fs::create_dir_all(dir.join("tokens")).unwrap();
    let mut yml = format!("{host}:\n    users:\n");
    for (user, token) in accounts {
        yml.push_str(&format!("        {user}:\n"));
        std::fs::write(dir.join("tokens").join(user), token).unwrap();
    }
    yml.push_str(&format!("    git_protocol: https\n    user: {active}\n"));
    std::fs::write(dir.join("hosts.yml"), yml).unwrap();
    sb.program(
        "gh",
        r#"dir="$XDG_CONFIG_HOME/gh"
active=$(sed -n 's/^    user: //p' "$dir/hosts.yml")
case "$1 $2" in
"auth git-credential")
  [ "$3" = get ] || exit 0
  wanted=; host=
  while IFS= read -r line && [ -n "$line" ]; do
    case "$line" in username=*) wanted=${line#username=};; host=*) host=${line#host=};; esac
  done
  if [ -n "$wanted" ] && [ "$wanted" != "$active" ]; then exit 1; fi
  printf 'protocol=http\nhost=%s\nusername=%s\npassword=%s\n' "$host" "$active" "$(cat "$dir/tokens/$active")";;
"auth token")
  user=$active; while [ $# -gt 0 ]; do [ "$1" = -u ] && user=$2; shift; done
  cat "$dir/tokens/$user" 2>/dev/null || exit 1;;
"auth switch")
  user=; while [ $# -gt 0 ]; do [ "$1" = -u ] && user=$2; shift; done
  [ -f "$dir/tokens/$user" ] || exit 1
  sed -i "s/^    user: .*/    user: $user/" "$dir/hosts.yml";;
*) exit 1;;
esac"#,
    );
    sb.git(&["config", "--global", "--unset-all", "credential.helper"]);
    sb.git(&["config", "--global", "credential.helper", "!gh auth git-credential"]);
}

#[test]
fn with_gh_holding_two_accounts_the_fix_is_gh_auth_switch_and_the_push_lands() {
    let denied = classic_token("aliceAliceAliceAliceAliceAlice");
    let may = classic_token("bobBobBobBobBobBobBobBobBobBob");
    let w = accounts_world(&[("alice", &denied, false), ("bob", &may, true)]);
    let host = format!("127.0.0.1:{}", w.host.port);
    gh_standin(&w.sb, &host, &[("alice", &denied), ("bob", &may)], "alice");

    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access", "{c}");
    assert_eq!(c["credential"]["helper"], "gh");
    let fix = &c["fix"];
    let first = fix[0].as_str().unwrap();
    assert!(first.starts_with("bob (gh) may push"), "{fix}");
    assert!(first.contains(&format!("`gh auth switch -h {host} -u bob`")), "{first}");
    assert!(
        first.contains("a username in the remote URL does not select a gh account"),
        "{first}"
    );

    // The usual pin does not work with gh: git asks for bob, gh answers nothing.
    w.sb.git(&[
        "remote",
        "set-url",
        "origin",
        &w.host.url(REPO_PATH).replace("http://", "http://bob@"),
    ]);
    let (out, _) = w.sb.push_main();
    assert!(!out.status.success());
    w.sb.git(&["remote", "set-url", "origin", &w.host.url(REPO_PATH)]);

    let pin = follow_pin(&w, fix, "bob");
    assert!(pin.starts_with("gh auth switch"), "{pin}");
    let (out, stderr) = w.sb.push_main();
    assert!(out.status.success(), "{stderr}");
    assert!(bare_has(&w.bare, "main"));
}

/// Refused with a dead header in place, git asks the helpers and calls
/// `erase` with the store's (good) credential, but the header is what it
/// sent: the observe helper names the header, not the store.
#[test]
fn the_observe_helper_names_a_dead_header_not_the_good_store_entry() {
    let good = classic_token("goodgoodgoodgoodgoodgoodgoodgo");
    let dead = classic_token("deaddeaddeaddeaddeaddeaddeadde");
    let w = world(&[&good]);
    let url = w.host.url(REPO_PATH);
    w.sb.store_credential(&url, "alice", &good);
    let (key, _) = checkout_header(&w.sb, &w.host, &dead, false);
    let inst = w.sb.run(&["install", "--helper", "observe", "--global"]);
    assert_eq!(inst.code, 0, "{}", inst.stderr);

    let (out, stderr) = w.sb.push_main();
    assert!(!out.status.success());
    assert!(
        flat(&stderr).contains(&format!("from the Authorization header `{key}`")),
        "{stderr}"
    );
    assert!(flat(&stderr).contains(&format!("ghp_…{}", &dead[36..])), "{stderr}");
    assert!(!flat(&stderr).contains(&format!("ghp_…{}", &good[36..])), "{stderr}");
}

/// A helper that cannot be listed (`cache`, like the keychains) is asked
/// for the usernames in the repository's other remotes.
#[test]
fn a_username_in_another_remote_finds_the_cached_account_that_may_push() {
    let denied = classic_token("aliceAliceAliceAliceAliceAlice");
    let may = classic_token("bobBobBobBobBobBobBobBobBobBob");
    let w = accounts_world(&[("alice", &denied, false), ("bob", &may, true)]);
    let url = w.host.url(REPO_PATH);
    w.sb.git(&["config", "--global", "--unset-all", "credential.helper"]);
    w.sb.git(&["config", "--global", "credential.helper", "cache --timeout 60"]);
    // The cache answers with the first entry that matches: alice's.
    w.sb.store_credential(&url, "alice", &denied);
    w.sb.store_credential(&url, "bob", &may);
    w.sb.git(&["remote", "add", "upstream", &url.replace("http://", "http://bob@")]);

    let c = w.sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access", "{c}");
    assert_eq!(c["credential"]["username"], "alice");
    let first = c["fix"][0].as_str().unwrap();
    assert!(first.starts_with("bob (cache) may push to acme/widgets"), "{first}");
    let pin = follow_pin(&w, &c["fix"], "bob");
    assert!(pin.contains(".username bob"), "{pin}");
    let (out, stderr) = w.sb.push_main();
    w.sb.git(&["credential-cache", "exit"]);
    assert!(out.status.success(), "{stderr}");
    assert!(bare_has(&w.bare, "main"));
}

/// An emulated GitLab where each `(token, access_level)` is an account:
/// the projects API answers the level, git's endpoint refuses a Reporter
/// with GitLab's recorded role refusal and serves a Developer the
/// advertisement.
fn gitlab_accounts(accounts: &[(&str, i64)]) -> FakeHost {
    let known: Vec<(String, i64)> = accounts.iter().map(|(t, l)| ((*t).to_owned(), *l)).collect();
    FakeHost::builder()
        .route_fn(move |r| {
            let account = presented(r).and_then(|p| known.iter().find(|(t, _)| *t == p).cloned());
            if r.path.contains("/info/refs?service=") {
                let Some((_, level)) = account else {
                    return Some(fixture("gitlab/probe-unauthorized.http"));
                };
                return Some(if r.path.ends_with("git-upload-pack") {
                    Reply::new(200, "001e# service=git-upload-pack\n0000")
                        .header("Content-Type", "application/x-git-upload-pack-advertisement")
                } else if level < 30 {
                    fixture("gitlab/probe-push-code.http")
                } else {
                    advertisement()
                });
            }
            let Some((_, level)) = account else {
                return Some(fixture("gitlab/unauthorized.http"));
            };
            Some(match r.path.as_str() {
                "/api/v4/personal_access_tokens/self" => Reply::json(
                    200,
                    r#"{"id":4,"name":"laptop","revoked":false,"created_at":"2026-01-02T10:00:00.000Z","description":"","scopes":["api","write_repository"],"user_id":24,"last_used_at":null,"active":true,"expires_at":null}"#,
                ),
                "/api/v4/projects/acme%2Fwidgets" => Reply::json(
                    200,
                    &format!(
                        r#"{{"id":7,"path_with_namespace":"acme/widgets","archived":false,"permissions":{{"project_access":{{"access_level":{level},"notification_level":3}},"group_access":null}}}}"#
                    ),
                ),
                _ => Reply::json(404, r#"{"message":"404 Not Found"}"#),
            })
        })
        .start()
}

/// GitLab's role refusal (`You are not allowed to push code to this
/// project.`) is the same failure path: the Developer account is named.
#[test]
fn after_gitlabs_role_refusal_the_developer_account_is_named() {
    let reporter = format!("glpat-{}", "r".repeat(20));
    let developer = format!("glpat-{}", "d".repeat(20));
    let host = gitlab_accounts(&[(&reporter, 20), (&developer, 30)]);
    let sb = Sandbox::new();
    sb.use_host(&host, "gitlab", "/api/v4");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "dev", &developer);
    sb.store_credential(&url, "rep", &reporter);

    let c = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(c["reason"], "no_repo_access", "{c}");
    assert_eq!(c["credential"]["username"], "rep");
    let first = c["fix"][0].as_str().unwrap();
    assert!(first.starts_with("dev (store) may push to acme/widgets"), "{first}");
    assert!(first.contains(".username dev`"), "{first}");
    assert_eq!(c["requests"].as_u64().unwrap() as usize, host.count());
}
