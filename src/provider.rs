//! Which kind of host a remote is: the one fact the token shapes, the
//! config and the host judges all need, so it lives below all of them.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Provider {
    Github,
    Gitlab,
    Bitbucket,
    BitbucketServer,
    Gitea,
    AzureDevops,
    Huggingface,
    Generic,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Self::Github => "github",
            Self::Gitlab => "gitlab",
            Self::Bitbucket => "bitbucket",
            Self::BitbucketServer => "bitbucket-server",
            Self::Gitea => "gitea",
            Self::AzureDevops => "azure-devops",
            Self::Huggingface => "huggingface",
            Self::Generic => "generic",
        }
    }
}

impl Provider {
    /// Order of evidence, level 1 (PROVIDERS.md): does this host refuse the
    /// receive-pack advertisement to a credential that may not push? Where it
    /// does (GitHub, GitLab: recorded 403s on `info/refs?service=git-receive-pack`;
    /// Bitbucket Data Center: 403 for a read-only user), a 200 there, or git
    /// having got past it in the pre-push hook, proves the credential may push,
    /// and no REST inference may turn that into a block. Hugging Face and
    /// Gitea/Forgejo (proc-receive) serve the advertisement to read-only
    /// accounts; for the other hosts there is no public recording, so their
    /// 200 proves only that the credential is accepted.
    pub fn advertisement_checks_write(self) -> bool {
        matches!(self, Self::Github | Self::Gitlab | Self::BitbucketServer)
    }
}
