//! What both benches measure with: a timed run of one process, and the
//! medians and milliseconds they report.

use std::io::Write;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Runs per figure, after the warm-up runs.
pub const RUNS: usize = 60;
pub const WARMUP: usize = 8;

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `cmd` to completion with `stdin`, returning the wall time and how
/// it ended (each bench asserts what it needs of that).
pub fn timed(mut cmd: Command, stdin: &[u8]) -> (Duration, ExitStatus) {
    cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd.spawn().expect("spawn");
    {
        let mut i = child.stdin.take().unwrap();
        let _ = i.write_all(stdin);
    }
    let status = child.wait().unwrap();
    (start.elapsed(), status)
}
