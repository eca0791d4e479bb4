//! prepush-auth: turns git's generic authentication failures into the
//! specific reason and the fix.

mod app;
mod cli;
mod config;
mod credential;
mod engine;
mod git;
mod helper;
mod hook;
mod http;
mod install;
mod output;
mod providers;
mod secret;
mod state;
mod target;
mod tokens;
mod verdict;

use std::process::ExitCode;

fn main() -> ExitCode {
    match app::run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::notice(&format!("error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
