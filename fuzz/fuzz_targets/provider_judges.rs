//! Every host's `offline`, `plan` and `judge` (`providers::*`) on the same
//! answers, with the token kind classified per host as the engine does.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use prepush_auth::config::HostConfig;
use prepush_auth::providers::{self, Answers, Context, Provider};
use prepush_auth::target::RemoteUrl;
use prepush_auth::tokens;

/// A remote each host would have, on its public and a self-hosted name.
const REMOTES: &[(Provider, &str)] = &[
    (Provider::Github, "https://github.com/acme/widgets.git"),
    (Provider::Github, "https://ghe.example:8443/acme/widgets"),
    (Provider::Gitlab, "https://gitlab.com/group/sub/project.git"),
    (Provider::Bitbucket, "https://alice@bitbucket.org/ws/repo.git"),
    (Provider::BitbucketServer, "https://bb.example/scm/proj/repo.git"),
    (Provider::Gitea, "https://codeberg.org/owner/repo.git"),
    (Provider::AzureDevops, "https://dev.azure.com/org/project/_git/repo"),
    (Provider::AzureDevops, "https://org.visualstudio.com/project/_git/repo"),
    (Provider::Huggingface, "https://huggingface.co/org/model"),
    (Provider::Huggingface, "https://huggingface.co/datasets/org/data"),
    (Provider::Generic, "https://git.example.org/team/project.git"),
];

fuzz_target!(|data: &[u8]| {
    let case = common::case(data);
    for (provider, remote) in REMOTES {
        let url = RemoteUrl::parse(remote).unwrap();
        let configured = HostConfig {
            provider: *provider,
            api: None,
        };
        let (_, api) = providers::for_host(&url, Some(&configured));
        let mut credential = case.credential();
        credential.kind = tokens::classify_for(&credential.secret, *provider);
        let ctx = Context {
            url: &url,
            api: api.as_deref(),
            credential: &credential,
            remembered: case.remembered.as_ref(),
            now: case.now,
        };
        let _ = providers::offline(*provider, &ctx);
        let _ = providers::plan(*provider, &ctx);
        let finding = providers::judge(*provider, &ctx, &Answers(case.answers.clone()));
        assert!(!finding.message.is_empty(), "{provider:?}");
    }
});
