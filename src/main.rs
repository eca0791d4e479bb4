//! prepush-auth: turns git's generic authentication failures into the
//! specific reason and the fix.

use std::process::ExitCode;

use prepush_auth::{app, output};

fn main() -> ExitCode {
    app::install_panic_hook();
    match app::run() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            output::notice(&format!("error: {e:#}"));
            ExitCode::from(2)
        }
    }
}
