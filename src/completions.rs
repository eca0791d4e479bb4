//! `prepush-auth completions SHELL`: the completion script for one shell,
//! generated from the same CLI definition the binary parses.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

const NAME: &str = "prepush-auth";

pub fn script(shell: Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), NAME, &mut out);
    let script = String::from_utf8_lossy(&out).into_owned();
    match shell {
        // clap_complete (4.6.11 and earlier) spells the case arms for a
        // hyphenated bin name `prepush__subcmd__auth__subcmd__check` while
        // its dispatch loop arrives at `prepush__auth__subcmd__check`, so no
        // subcommand's options ever complete (clap-rs/clap#6421, open; the
        // fix #6428 was not merged). Spell the arms as the loop does; once
        // clap is fixed this replaces nothing. tests/completions.rs drives
        // the script in a real bash.
        Shell::Bash => script.replace("prepush__subcmd__auth", "prepush__auth"),
        _ => script,
    }
}
