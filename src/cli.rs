//! Command line (SPEC §3).

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "prepush-auth",
    version,
    about = "Tells why git will reject your credential, and how to fix it"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the credential git would use to push.
    Check(CheckArgs),
    /// Git pre-push hook entry: reads git's ref lines on stdin.
    PrePush {
        /// Remote name, as git passes it.
        remote: Option<String>,
        /// Remote URL, as git passes it.
        url: Option<String>,
    },
    /// Git credential-helper entry.
    Credential {
        /// Act as the gate (installed first in the helper chain).
        #[arg(long)]
        gate: bool,
        /// get, store or erase; other actions are ignored, as git expects of helpers.
        action: String,
    },
    /// Install the pre-push hook and the observe entry (or one of them).
    Install(InstallArgs),
    /// Remove what `install` added, restoring what was there.
    Uninstall {
        /// Undo a `--global` helper install.
        #[arg(long)]
        global: bool,
    },
    /// The ssh entry for `core.sshCommand` (`install --ssh`): runs your ssh
    /// unchanged and, when a push is refused, says why on stderr.
    #[command(disable_help_flag = true)]
    Ssh {
        /// The command it wraps (`--then 'ssh -F cfg'`), then ssh's own arguments.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// What is installed where, each remote's helper chain, the tokens seen
    /// and the last refusals (nothing is sent anywhere).
    Status {
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
    },
    /// Print a shell completion script (e.g. `prepush-auth completions bash > /etc/bash_completion.d/prepush-auth`).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// A remote name or a URL; default: the current branch's push remote.
    pub target: Option<String>,
    /// Check every remote.
    #[arg(long, conflicts_with = "target")]
    pub all: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Total time budget in milliseconds (at least 1).
    #[arg(long, value_parser = at_least_one_ms)]
    pub timeout_ms: Option<u64>,
    /// Exit 1 when the host could not be asked (unknown).
    #[arg(long)]
    pub strict: bool,
    /// Ignore remembered verdicts.
    #[arg(long)]
    pub no_cache: bool,
    /// Send nothing: offline rules and remembered verdicts only.
    #[arg(long)]
    pub offline: bool,
    /// Tell each step on stderr: the push target and how it was chosen, the
    /// credential helpers and which one answered, each request (method,
    /// host, path, status, time). Never a secret.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperAction {
    Get,
    Store,
    Erase,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum HelperMode {
    /// Last in git's helper chain: explains a refusal the moment git gets one; changes nothing.
    Observe,
    /// First in git's helper chain: stops git before it sends a credential the host has rejected.
    Gate,
}

#[derive(clap::Args, Debug)]
pub struct InstallArgs {
    /// Only the pre-push hook (with no option: the hook and the observe entry).
    #[arg(long)]
    pub hook: bool,
    /// Only this credential-helper entry (observe explains a refusal; gate stops a dead credential first).
    #[arg(long, value_enum)]
    pub helper: Option<HelperMode>,
    /// The helper entry for every repository (your global config) instead of this one.
    #[arg(long)]
    pub global: bool,
    /// Set `core.sshCommand` to the ssh entry (wrapping your own command).
    #[arg(long)]
    pub ssh: bool,
    /// Replace a hook prepush-auth did not write (it is kept and chained otherwise).
    #[arg(long)]
    pub force: bool,
}

/// `--timeout-ms 0` would give up before starting (it said "within 1 ms").
fn at_least_one_ms(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(0) => Err("0 leaves no time to check; give at least 1 (milliseconds)".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e} (a number of milliseconds)")),
    }
}
