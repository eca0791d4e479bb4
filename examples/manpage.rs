//! `cargo run --example manpage -- DIR`: writes the man pages (`prepush-auth.1`
//! and one `prepush-auth-SUBCOMMAND.1` per subcommand, as git's are laid out)
//! from the same CLI definition the binary parses, so they cannot drift.
//! An example rather than a subcommand: the shipped binary carries no roff
//! writer (packaging/build-all.sh puts the pages in the release archive).

use clap::CommandFactory;
use prepush_auth::cli::Cli;

fn main() -> std::io::Result<()> {
    let dir = std::env::args_os().nth(1).unwrap_or_else(|| ".".into());
    std::fs::create_dir_all(&dir)?;
    clap_mangen::generate_to(Cli::command(), &dir)
}
