//! What a check concludes. A verdict is a value, not an error.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Skip,
    Ok,
    Unknown,
    Warn,
    Block,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    Ok,
    ExpiresSoon,
    UsernameMismatch,
    NoCredential,
    /// The host accepts the credential, but whether it may push is not known
    /// before the pack arrives (Hugging Face, Gitea/Forgejo with proc-receive,
    /// servers nobody named): say what is unknown, never `ok`.
    WriteAccessUnknown,
    PasswordNotToken,
    TokenMalformed,
    TokenInvalid,
    TokenExpired,
    TokenRevoked,
    CredentialRetired,
    WrongUsername,
    MissingWriteScope,
    MissingWorkflowScope,
    NoRepoAccess,
    SsoRequired,
    RepoArchived,
    /// The host refuses the push for everyone or for a reason it names that
    /// is neither this credential nor this account's access (a mirror, a
    /// server that disabled Basic auth, a branch policy): its words are the
    /// message. `no_repo_access` is kept for where the host says it is the
    /// account's access.
    HostRefused,
    Timeout,
    NetworkError,
    RateLimited,
    HostError,
    UnexpectedResponse,
    UnsupportedHost,
    SshRemote,
    /// SSH (SSH.md §1): ssh had no key to offer.
    SshNoKey,
    /// The host knows the key, but it has a passphrase and is not in the
    /// agent: a push without a terminal fails, one from a terminal asks.
    SshKeyLocked,
    /// The host accepted none of the keys ssh offered.
    SshKeyNotAccepted,
    /// The offered key's account may not push; another key of the user's may.
    WrongAccount,
    DeployKeyReadOnly,
    SshKeyExpired,
    HostKeyUnknown,
    HostKeyChanged,
    SshPortClosed,
    /// GitLab, Gitea/Forgejo: the repository is not there (for this key),
    /// and a push may create it.
    RepoNotFound,
    LocalRemote,
    /// `check --all`: this remote's configuration cannot be read (no URL, a
    /// URL git cannot parse); the other remotes are still checked.
    RemoteMisconfigured,
}

impl Reason {
    /// SPEC §4.
    pub fn kind(self) -> Kind {
        match self {
            Self::Ok => Kind::Ok,
            Self::ExpiresSoon
            | Self::UsernameMismatch
            | Self::NoCredential
            | Self::WriteAccessUnknown
            | Self::SshKeyLocked
            | Self::RepoNotFound => Kind::Warn,
            Self::SshNoKey
            | Self::SshKeyNotAccepted
            | Self::WrongAccount
            | Self::DeployKeyReadOnly
            | Self::SshKeyExpired
            | Self::HostKeyUnknown
            | Self::HostKeyChanged
            | Self::SshPortClosed
            | Self::PasswordNotToken
            | Self::TokenMalformed
            | Self::TokenInvalid
            | Self::TokenExpired
            | Self::TokenRevoked
            | Self::CredentialRetired
            | Self::WrongUsername
            | Self::MissingWriteScope
            | Self::MissingWorkflowScope
            | Self::NoRepoAccess
            | Self::SsoRequired
            | Self::RepoArchived
            | Self::HostRefused => Kind::Block,
            Self::Timeout
            | Self::NetworkError
            | Self::RateLimited
            | Self::HostError
            | Self::UnexpectedResponse
            | Self::UnsupportedHost
            | Self::RemoteMisconfigured => Kind::Unknown,
            Self::SshRemote | Self::LocalRemote => Kind::Skip,
        }
    }

    /// The credential itself is refused: true for every request, fetches
    /// included. Only these may stop git at the gate, and only these are
    /// cached as rejections, because replaying them locks accounts out
    /// (GitHub) or revokes token families (GitLab).
    pub fn rejects_credential(self) -> bool {
        matches!(
            self,
            Self::PasswordNotToken
                | Self::TokenMalformed
                | Self::TokenInvalid
                | Self::TokenExpired
                | Self::TokenRevoked
                | Self::CredentialRetired
                | Self::WrongUsername
        )
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ExpiresSoon => "expires_soon",
            Self::UsernameMismatch => "username_mismatch",
            Self::NoCredential => "no_credential",
            Self::WriteAccessUnknown => "write_access_unknown",
            Self::PasswordNotToken => "password_not_token",
            Self::TokenMalformed => "token_malformed",
            Self::TokenInvalid => "token_invalid",
            Self::TokenExpired => "token_expired",
            Self::TokenRevoked => "token_revoked",
            Self::CredentialRetired => "credential_retired",
            Self::WrongUsername => "wrong_username",
            Self::MissingWriteScope => "missing_write_scope",
            Self::MissingWorkflowScope => "missing_workflow_scope",
            Self::NoRepoAccess => "no_repo_access",
            Self::SsoRequired => "sso_required",
            Self::RepoArchived => "repo_archived",
            Self::HostRefused => "host_refused",
            Self::Timeout => "timeout",
            Self::NetworkError => "network_error",
            Self::RateLimited => "rate_limited",
            Self::HostError => "host_error",
            Self::UnexpectedResponse => "unexpected_response",
            Self::UnsupportedHost => "unsupported_host",
            Self::SshRemote => "ssh_remote",
            Self::SshNoKey => "ssh_no_key",
            Self::SshKeyLocked => "ssh_key_locked",
            Self::SshKeyNotAccepted => "ssh_key_not_accepted",
            Self::WrongAccount => "wrong_account",
            Self::DeployKeyReadOnly => "deploy_key_read_only",
            Self::SshKeyExpired => "ssh_key_expired",
            Self::HostKeyUnknown => "host_key_unknown",
            Self::HostKeyChanged => "host_key_changed",
            Self::SshPortClosed => "ssh_port_closed",
            Self::RepoNotFound => "repo_not_found",
            Self::LocalRemote => "local_remote",
            Self::RemoteMisconfigured => "remote_misconfigured",
        }
    }
}

/// What the token is, as the host told us (or as we remembered it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct TokenInfo {
    pub login: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// A judgement: the reason with its words. Built by the offline rules and
/// the host judges, completed by the engine.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub reason: Reason,
    pub message: String,
    pub fix: Vec<String>,
    pub token: Option<TokenInfo>,
    /// A block that a higher level of evidence contradicts (git itself was
    /// just let through with this credential): shown and counted as a
    /// warning, never as a block. See `providers` (order of evidence).
    pub advisory: bool,
    /// An inference (a permissions object, a role: level 3 of the order of
    /// evidence) that git's own push check has not confirmed. It may not
    /// block alone: the engine asks the push probe, and if that cannot be
    /// read, the finding is only a warning.
    pub unconfirmed: bool,
}

impl Finding {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
            fix: Vec::new(),
            token: None,
            advisory: false,
            unconfirmed: false,
        }
    }

    /// Adds `clause` to the message: after "; ", or, where the message ends
    /// in a sentence of its own (a host's quoted words end in their period),
    /// as the next sentence: never ".;".
    pub fn add(&mut self, clause: &str) {
        let ends_sentence =
            self.message.trim_end().ends_with(['.', '!', '?']) || self.message.trim_end().ends_with(".)");
        if ends_sentence {
            let mut chars = clause.chars();
            let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
            self.message = format!("{} {first}{}", self.message.trim_end(), chars.as_str());
        } else {
            self.message.push_str("; ");
            self.message.push_str(clause);
        }
    }

    /// Marks an inference that git's push check must confirm (see `unconfirmed`).
    #[must_use]
    pub fn unconfirmed(mut self) -> Self {
        self.unconfirmed = true;
        self
    }

    /// The verdict: the reason's (SPEC §4), except that an advisory block
    /// is a warning.
    pub fn kind(&self) -> Kind {
        match self.reason.kind() {
            Kind::Block if self.advisory => Kind::Warn,
            kind => kind,
        }
    }

    #[must_use]
    pub fn fix(mut self, line: impl Into<String>) -> Self {
        self.fix.push(line.into());
        self
    }

    /// Steps of a fix, in order (helpers.rs, "The rule for fixes").
    #[must_use]
    pub fn fixes(mut self, lines: impl IntoIterator<Item = String>) -> Self {
        self.fix.extend(lines);
        self
    }

    /// A fix line only where there is one (a helper-specific command).
    #[must_use]
    pub fn fix_opt(mut self, line: Option<String>) -> Self {
        self.fix.extend(line);
        self
    }

    #[must_use]
    pub fn with_token(mut self, token: TokenInfo) -> Self {
        self.token = Some(token);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_after_quoted_words_is_a_new_sentence() {
        let mut f = Finding::new(Reason::TokenInvalid, "it is wrong; GitHub says: Bad credentials");
        f.add("git has just been let through");
        assert_eq!(
            f.message,
            "it is wrong; GitHub says: Bad credentials; git has just been let through"
        );
        let mut f = Finding::new(Reason::TokenInvalid, "GitLab says: ERROR: not found.");
        f.add("git has just been let through");
        assert_eq!(
            f.message,
            "GitLab says: ERROR: not found. Git has just been let through"
        );
        let mut f = Finding::new(Reason::HostRefused, "it is off (bitbucket.org says: enable it.)");
        f.add("more");
        assert_eq!(f.message, "it is off (bitbucket.org says: enable it.) More");
    }

    #[test]
    fn reason_codes_match_their_serde_names() {
        for r in [
            Reason::Ok,
            Reason::TokenExpired,
            Reason::MissingWorkflowScope,
            Reason::WriteAccessUnknown,
            Reason::HostRefused,
            Reason::SshRemote,
            Reason::SshKeyNotAccepted,
            Reason::WrongAccount,
            Reason::RepoNotFound,
            Reason::RemoteMisconfigured,
        ] {
            assert_eq!(serde_json::to_value(r).unwrap(), r.code());
        }
    }
}
