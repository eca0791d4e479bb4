#![allow(clippy::pedantic)]
//! `prepush-auth check` against a host nobody named in the config: the push
//! probe alone, on the remote's own host (PROVIDERS.md, any other host).

mod support;

use support::*;

const REPO_PATH: &str = "/acme/widgets.git";

fn check(host: &FakeHost, secret: &str) -> (Sandbox, Run) {
    let sb = Sandbox::new();
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", secret);
    let run = sb.run(&["check", "--format", "json"]);
    (sb, run)
}

#[test]
fn the_push_probe_alone_decides_on_an_unknown_host() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            Some(match basic_credentials(r) {
                Some((_, p)) if p == "right-password" => advertisement(),
                Some((_, p)) if p == "reader-password" => {
                    Reply::new(403, "You are not allowed to push code to this project.\n")
                }
                Some((_, p)) if p == "archive-password" => {
                    Reply::new(403, "You can't push code to an archived project.\n")
                }
                _ => Reply::new(401, "HTTP Basic: Access denied.\n"),
            })
        })
        .start();
    for (secret, reason, code) in [
        ("right-password", "ok", 0),
        ("reader-password", "no_repo_access", 1),
        ("archive-password", "repo_archived", 1),
        ("wrong-password", "token_invalid", 1),
    ] {
        let (_sb, run) = check(&host, secret);
        assert_eq!(run.code, code, "{secret}");
        let c = run.check();
        assert_eq!(c["provider"], "generic");
        assert_eq!(c["reason"], reason, "{}", c["message"]);
        assert_eq!(c["requests"], 1);
    }
    let (_sb, run) = check(&host, "wrong-password");
    let fix = run.check()["fix"].to_string();
    assert!(
        fix.contains(&format!("[hosts.\\\"127.0.0.1:{}\\\"]", host.port)),
        "{fix}"
    );
}

/// Regression: a rejection is cached, and it used to be cached before the
/// secret was scrubbed from the host's words, so a host that quoted the
/// credential back in its 401 body put the secret into the state file.
#[test]
fn a_host_that_quotes_the_secret_back_never_gets_it_into_output_or_the_state_file() {
    let host = FakeHost::builder()
        .route_fn(|r| {
            Some(Reply::new(
                401,
                &format!("Bad credentials: {}\n", presented(r).unwrap_or_default()),
            ))
        })
        .start();
    let secret = "s3cr3t-Quoted-Back-42";
    let (sb, run) = check(&host, secret);
    assert_eq!(run.check()["reason"], "token_invalid");
    assert!(
        run.check()["message"]
            .as_str()
            .unwrap()
            .contains("Bad credentials: (hidden)"),
        "the quoted secret is replaced, and a secret without a token's shape shows nothing of itself"
    );
    // Cached: the second run reads the state file the first one wrote.
    let again = sb.run(&["check", "--format", "json"]).check();
    assert_eq!(again["cached"], true);
    sb.assert_no_secret_in_files();
}
