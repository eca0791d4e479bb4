//! Builds of prepush-auth against each other (issue 21): the same cached
//! `check`, `--version` (process start: what the npm launcher's probe costs)
//! and the npm launcher around the cached check, by this bench's own binary
//! (built by cargo on this machine) and by each binary named in
//! `PREPUSH_AUTH_BENCH_BINARIES` (`label=path,label=path`), interleaved run
//! by run so that machine drift hits them alike, in one run on one machine.
//!
//!     PREPUSH_AUTH_BENCH_BINARIES=manylinux2014=target/x86_64-unknown-linux-gnu/release/prepush-auth \
//!       cargo bench --bench binaries
//!
//! `PREPUSH_AUTH_BENCH_RUNS` sets the number of rounds (default 60). Besides
//! the medians it prints the median of the round-by-round differences, which
//! a loaded machine's drift does not move. Starts its own loopback GitHub
//! emulation; nothing leaves the machine.
#![allow(clippy::pedantic)]

#[path = "../tests/support/mod.rs"]
mod support;
mod timing;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::*;
use timing::{RUNS, WARMUP, median, ms, timed};

fn time(cmd: Command, stdin: &[u8]) -> Duration {
    let (took, status) = timed(cmd, stdin);
    assert_eq!(status.code(), Some(0), "a timed run failed");
    took
}

/// Runs every candidate once per round, `WARMUP` rounds unrecorded then
/// `runs` recorded; every sample, per candidate, in the candidates' order.
fn compare(cands: &mut [Box<dyn FnMut() -> Duration + '_>], runs: usize) -> Vec<Vec<Duration>> {
    for _ in 0..WARMUP {
        for f in cands.iter_mut() {
            f();
        }
    }
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); cands.len()];
    for _ in 0..runs {
        for (i, f) in cands.iter_mut().enumerate() {
            samples[i].push(f());
        }
    }
    samples
}

/// The median of `b - a` taken round by round (ms): what drift between
/// rounds (a loaded machine) does not move, unlike a difference of medians.
fn paired_ms(a: &[Duration], b: &[Duration]) -> f64 {
    let mut d: Vec<f64> = a.iter().zip(b).map(|(a, b)| ms(*b) - ms(*a)).collect();
    d.sort_by(|x, y| x.partial_cmp(y).unwrap());
    d[d.len() / 2]
}

fn main() {
    let runs: usize = std::env::var("PREPUSH_AUTH_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(RUNS);
    let mut bins: Vec<(String, PathBuf)> = vec![("cargo build (this machine's glibc)".into(), PathBuf::from(BIN))];
    for item in std::env::var("PREPUSH_AUTH_BENCH_BINARIES")
        .unwrap_or_default()
        .split(',')
        .filter(|s| !s.is_empty())
    {
        let (label, path) = item
            .split_once('=')
            .expect("PREPUSH_AUTH_BENCH_BINARIES: label=path,...");
        let path = std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        bins.push((label.to_owned(), path));
    }
    if bins.len() < 2 {
        println!("name the builds to compare in PREPUSH_AUTH_BENCH_BINARIES=label=path,... (see benches/binaries.rs)");
        return;
    }

    let secret = classic_token("benchbenchbenchbenchbenchbench");
    let host = github(vec![tok(&secret, Some("repo, workflow"))], REPO_JSON);
    let sb = Sandbox::new();
    sb.use_host(&host, "github", "/api/v3");
    let url = host.url(REPO_PATH);
    sb.init_repo(&url);
    sb.store_credential(&url, "alice", &secret);

    let cmd = |bin: &PathBuf, args: &[&str]| {
        let mut c = Command::new(bin);
        sb.env(&mut c);
        c.args(args).current_dir(&sb.work);
        c
    };
    let launcher = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("packaging/npm/prepush-auth/bin/prepush-auth.js");
    let via_npm = |bin: &PathBuf| {
        let mut c = Command::new("node");
        sb.env(&mut c);
        c.arg(&launcher)
            .arg("check")
            .env("PREPUSH_AUTH_BINARY", bin)
            .current_dir(&sb.work);
        c
    };

    println!("prepush-auth builds compared: {runs} runs after {WARMUP} warm-up runs, interleaved, medians");
    for (label, path) in &bins {
        let out = cmd(path, &["check", "--format", "json"]).output().unwrap();
        assert!(
            out.status.success(),
            "{label}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = cmd(path, &["check", "--format", "json"]).output().unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let cached = json.get("cached").or_else(|| json.pointer("/checks/0/cached"));
        assert_eq!(
            cached,
            Some(&serde_json::json!(true)),
            "{label}: the second check is not cached: {json}"
        );
        println!(
            "  {label}: {} ({} bytes)",
            path.display(),
            std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
        );
    }
    println!();

    let fill_input = format!("url={url}\n\n");
    let mut cands: Vec<Box<dyn FnMut() -> Duration + '_>> = vec![Box::new(|| {
        let mut c = Command::new("git");
        sb.env(&mut c);
        c.args(["-c", "credential.interactive=false", "credential", "fill"])
            .env("GIT_ASKPASS", "")
            .current_dir(&sb.work);
        time(c, fill_input.as_bytes())
    })];
    for (_, path) in &bins {
        cands.push(Box::new(move || time(cmd(path, &["check"]), b"")));
        cands.push(Box::new(move || time(cmd(path, &["--version"]), b"")));
    }
    let node = Command::new("node").arg("--version").output().is_ok();
    if node {
        for (_, path) in &bins {
            cands.push(Box::new(move || time(via_npm(path), b"")));
        }
    }
    let samples = compare(&mut cands, runs);
    let m: Vec<Duration> = samples.iter().cloned().map(median).collect();
    let fill = m[0];
    println!(
        "{:<58} {:>8.2} ms",
        "git credential fill (floor of a cached check)",
        ms(fill)
    );
    for (i, (label, _)) in bins.iter().enumerate() {
        let (check, version) = (m[1 + 2 * i], m[2 + 2 * i]);
        println!(
            "{:<58} {:>8.2} ms  ratio to fill {:>5.2}",
            format!("check, cached verdict: {label}"),
            ms(check),
            ms(check) / ms(fill)
        );
        println!(
            "{:<58} {:>8.2} ms",
            format!("--version (process start): {label}"),
            ms(version)
        );
    }
    if node {
        for (i, (label, _)) in bins.iter().enumerate() {
            let npm = m[1 + 2 * bins.len() + i];
            println!(
                "{:<58} {:>8.2} ms",
                format!("npm launcher (node + probe) + cached check: {label}"),
                ms(npm)
            );
        }
    }
    let base = m[1];
    for (i, (label, _)) in bins.iter().enumerate().skip(1) {
        println!(
            "cached check, {label} against {}: {:+.2} ms ({:.3}x); round by round, median {:+.2} ms",
            bins[0].0,
            ms(m[1 + 2 * i]) - ms(base),
            ms(m[1 + 2 * i]) / ms(base),
            paired_ms(&samples[1], &samples[1 + 2 * i])
        );
        println!(
            "--version, {label} against {}: round by round, median {:+.2} ms",
            bins[0].0,
            paired_ms(&samples[2], &samples[2 + 2 * i])
        );
    }
}
