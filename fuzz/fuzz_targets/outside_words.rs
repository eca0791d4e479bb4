//! What arrives from outside on the paths added in issues 17, 19 and 20:
//! ssh's stdout, stderr and exit status (`ssh::Probe::parse`, and the
//! known_hosts file it names for a changed key, `Probe::offending_file`), a host's
//! words over SSH (`ssh_words::{recognise, account_in_refusal,
//! account_in_greeting}`), `git config` helper entries
//! (`git::parse_helper_entries`) and an `Authorization` extra header
//! (`credential::from_extra_header`). Besides not panicking: a credential
//! taken from a header never shows its token in its `Debug` form.
#![no_main]

use libfuzzer_sys::fuzz_target;
use prepush_auth::provider::Provider;
use prepush_auth::target::RemoteUrl;
use prepush_auth::{credential, git, ssh, ssh_words};

const PROVIDERS: [Provider; 8] = [
    Provider::Github,
    Provider::Gitlab,
    Provider::Bitbucket,
    Provider::BitbucketServer,
    Provider::Gitea,
    Provider::AzureDevops,
    Provider::Huggingface,
    Provider::Generic,
];

fuzz_target!(|data: &[u8]| {
    // ssh: the first byte chooses the exit status, the rest splits at the
    // first NUL into stdout and stderr.
    let (exit, rest) = data
        .split_first()
        .map_or((None, data), |(b, r)| (Some(i32::from(*b)), r));
    let (out, err) = match rest.iter().position(|b| *b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    let probe = ssh::Probe::parse(out, err, exit);
    let _ = probe.offending_file();
    for provider in PROVIDERS {
        if let Some((_, line)) = ssh_words::recognise(provider, &probe.said) {
            let _ = ssh_words::account_in_refusal(&line);
        }
    }
    let text = String::from_utf8_lossy(data);
    let _ = ssh_words::account_in_greeting(&text);
    let _ = git::parse_helper_entries(&text);

    // An extra header: the fuzzer's text as the value of one matching key.
    let url = RemoteUrl::parse("https://github.com/acme/widgets.git").expect("a fixed URL parses");
    let entries = vec![(
        "/home/u/.gitconfig".to_owned(),
        "http.https://github.com/.extraheader".to_owned(),
        text.into_owned(),
    )];
    if let Some(c) = credential::from_extra_header(&url, &entries) {
        let shown = format!("{c:?}");
        let secret = c.secret.expose();
        assert!(
            secret.len() < 20 || !shown.contains(secret),
            "Debug shows the header's token"
        );
    }
});
