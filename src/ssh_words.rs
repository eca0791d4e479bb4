//! What each host's SSH server says before the ref advertisement, and what
//! it means (SSH.md §2–§7). Every text here arrives on stderr before git's
//! `fatal: Could not read from remote repository.` (SSH.md §0.1), so it is a
//! refusal git meets too: level 2 of the order of evidence.
//!
//! Matched on the message text, never on a prefix (`ERROR:`, `GitLab:`,
//! `remote:`, `conq:`, `Gitea:` vary between versions, SSH.md §3.1).

use crate::provider::Provider;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Said {
    /// The key's account may not push here (or cannot see the repository):
    /// another key may be the right one.
    NoAccess,
    /// The repository does not exist (or this key cannot see it).
    NotFound,
    DeployKeyReadOnly,
    /// A deploy key of another repository.
    OtherDeployKey,
    Archived,
    Sso,
    KeyExpired,
    /// Azure DevOps takes any key at login and refuses at the command.
    KeyRefusedAtCommand,
    /// A refusal about the host's rules, the account's state, the client.
    HostRule,
}

/// (host, text the host prints, meaning). `None` as host: any host (the
/// texts are distinctive enough, and self-hosted servers are often named
/// generically).
const WORDS: &[(Option<Provider>, &str, Said)] = &[
    // GitHub (SSH.md §2, recorded).
    (None, "denied to deploy key", Said::OtherDeployKey),
    (None, "has been marked as read only", Said::DeployKeyReadOnly),
    (None, "Write access to repository not granted", Said::NoAccess),
    (None, "This repository was archived so it is read-only", Said::Archived),
    (None, "organization has enabled or enforced SAML SSO", Said::Sso),
    (None, "IP allow list enabled", Said::HostRule),
    (None, "RSA key with SHA-1, which is no longer allowed", Said::HostRule),
    (None, "We're doing an SSH key audit", Said::HostRule),
    (Some(Provider::Github), "Repository not found.", Said::NotFound),
    // `ERROR: Permission to OWNER/REPO.git denied to USER.` (after the
    // deploy-key form above, which also says "denied to").
    (None, "ERROR: Permission to ", Said::NoAccess),
    // GitLab (SSH.md §3, gitlab-shell / Rails source).
    (
        None,
        "could not be found or you don't have permission to view it",
        Said::NotFound,
    ),
    (None, "You are not allowed to push code to this project", Said::NoAccess),
    (
        None,
        "This deploy key does not have write access to this project",
        Said::DeployKeyReadOnly,
    ),
    (None, "You can't push code to an archived project", Said::Archived),
    (None, "Your SSH key has expired", Said::KeyExpired),
    (None, "Your account has been blocked", Said::HostRule),
    (None, "must accept the Terms of Service", Said::HostRule),
    (None, "Your account has been deactivated", Said::HostRule),
    (None, "Your account is pending approval", Said::HostRule),
    (None, "Your password expired", Said::HostRule),
    (None, "Your primary email address is not confirmed", Said::HostRule),
    (None, "Git access over SSH is not allowed", Said::HostRule),
    (None, "The repository is temporarily read-only", Said::HostRule),
    // Bitbucket Cloud (SSH.md §4).
    (
        None,
        "access via a deployment key is read-only",
        Said::DeployKeyReadOnly,
    ),
    (None, "conq: repository does not exist", Said::NotFound),
    (None, "conq: repository access denied", Said::NoAccess),
    // Bitbucket Data Center (SSH.md §5).
    (
        None,
        "The requested repository does not exist, or you do not have permission",
        Said::NotFound,
    ),
    // Gitea / Forgejo (SSH.md §6, source).
    (None, "Cannot find repository:", Said::NotFound),
    (Some(Provider::Gitea), " is archived.", Said::Archived),
    (None, "is read-only", Said::HostRule),
    (Some(Provider::Gitea), "Deploy Key: ", Said::DeployKeyReadOnly),
    (Some(Provider::Gitea), "Public (Deploy) Key: ", Said::OtherDeployKey),
    (Some(Provider::Gitea), "is not authorized to write to", Said::NoAccess),
    (None, "Your account is disabled", Said::HostRule),
    (
        None,
        "Repository does not exist or you do not have access",
        Said::NotFound,
    ),
    // Azure DevOps (SSH.md §7).
    (None, "Public key authentication failed", Said::KeyRefusedAtCommand),
];

/// The first host text in `lines` that this table knows, with its meaning
/// and the line it was found in.
pub fn recognise(provider: Provider, lines: &[String]) -> Option<(Said, String)> {
    for (host, needle, said) in WORDS {
        if host.is_some_and(|h| h != provider) {
            continue;
        }
        if let Some(line) = lines.iter().find(|l| l.contains(needle)) {
            return Some((*said, line.clone()));
        }
    }
    None
}

/// The account a refusal names: GitHub's `… denied to USER.`.
pub fn account_in_refusal(line: &str) -> Option<String> {
    let (_, rest) = line.split_once(" denied to ")?;
    let name = rest.trim().trim_end_matches('.');
    (!name.is_empty() && !name.contains(' ')).then(|| name.to_owned())
}

/// The account a greeting (`ssh -T`) names, where the host prints one.
pub fn account_in_greeting(text: &str) -> Option<String> {
    let patterns: [(&str, &str); 4] = [
        // GitHub: `Hi USERNAME! You've successfully authenticated…`
        ("Hi ", "! You've successfully authenticated"),
        // GitLab: `Welcome to GitLab, @USERNAME!`
        ("Welcome to GitLab, @", "!"),
        // Gitea/Forgejo: `Hi there, USER! You've successfully authenticated…`
        ("Hi there, ", "! You've successfully authenticated"),
        // Hugging Face: `Hi USER, welcome to Hugging Face.`
        ("Hi ", ", welcome to Hugging Face."),
    ];
    for line in text.lines() {
        for (before, after) in patterns {
            if let Some(rest) = line.trim().strip_prefix(before)
                && let Some((name, _)) = rest.split_once(after)
                && !name.is_empty()
                && !name.contains(' ')
                && name != "anonymous"
                && name != "there"
            {
                return Some(name.to_owned());
            }
        }
    }
    None
}

/// The host's documented SSH endpoint on port 443, as `~/.ssh/config` lines.
pub fn port_443(hostname: &str) -> Option<&'static str> {
    match hostname {
        "github.com" => Some("Host github.com / Hostname ssh.github.com / Port 443 / User git"),
        "gitlab.com" => Some("Host gitlab.com / Hostname altssh.gitlab.com / Port 443 / User git"),
        "bitbucket.org" | "ssh.bitbucket.org" => {
            Some("Host bitbucket.org / Hostname altssh.bitbucket.org / Port 443 / User git")
        }
        _ => None,
    }
}

/// Where the host publishes its SSH host key fingerprints.
pub fn fingerprints_page(hostname: &str) -> Option<&'static str> {
    match hostname {
        "github.com" | "ssh.github.com" => Some(
            "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/githubs-ssh-key-fingerprints",
        ),
        "gitlab.com" | "altssh.gitlab.com" => {
            Some("https://docs.gitlab.com/user/gitlab_com/#ssh-host-keys-fingerprints")
        }
        "bitbucket.org" | "ssh.bitbucket.org" | "altssh.bitbucket.org" => {
            Some("https://support.atlassian.com/bitbucket-cloud/docs/configure-ssh-and-two-step-verification/")
        }
        "ssh.dev.azure.com" => {
            Some("https://learn.microsoft.com/en-us/azure/devops/repos/git/use-ssh-keys-to-authenticate")
        }
        _ => None,
    }
}

/// Where the user registers an SSH key on the host.
pub fn keys_page(provider: Provider, hostname: &str) -> Option<String> {
    Some(match provider {
        Provider::Github => format!("https://{hostname}/settings/keys"),
        Provider::Gitlab => format!("https://{hostname}/-/user_settings/ssh_keys"),
        Provider::Bitbucket => "https://bitbucket.org/account/settings/ssh-keys/".to_owned(),
        Provider::Gitea => format!("https://{hostname}/user/settings/keys"),
        Provider::Huggingface => "https://huggingface.co/settings/keys".to_owned(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn github_refusals_are_told_apart() {
        let denied = lines("ERROR: Permission to acme/widgets.git denied to bob.");
        assert_eq!(recognise(Provider::Github, &denied).unwrap().0, Said::NoAccess);
        assert_eq!(account_in_refusal(&denied[0]).as_deref(), Some("bob"));
        let deploy = lines("ERROR: Permission to acme/widgets.git denied to deploy key");
        assert_eq!(recognise(Provider::Github, &deploy).unwrap().0, Said::OtherDeployKey);
        let ro = lines("ERROR: The key you are authenticating with has been marked as read only.");
        assert_eq!(recognise(Provider::Github, &ro).unwrap().0, Said::DeployKeyReadOnly);
    }

    #[test]
    fn greetings_name_the_account() {
        assert_eq!(
            account_in_greeting(
                "Hi alice! You've successfully authenticated, but GitHub does not provide shell access."
            )
            .as_deref(),
            Some("alice")
        );
        assert_eq!(account_in_greeting("Welcome to GitLab, @bob!").as_deref(), Some("bob"));
        assert_eq!(account_in_greeting("Welcome to GitLab, Anonymous!"), None);
        assert_eq!(
            account_in_greeting("Hi there, zzps! You've successfully authenticated with the key named k, but Gitea does not provide shell access.").as_deref(),
            Some("zzps")
        );
        assert_eq!(account_in_greeting("Hi anonymous, welcome to Hugging Face."), None);
    }
}
