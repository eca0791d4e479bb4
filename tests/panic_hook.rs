#![allow(clippy::pedantic)]
//! A panic prints where it happened, never its message: the message of a
//! slicing panic quotes the whole string, and that string may be a token.
//!
//! The test runs itself again as a child that installs the product's hook
//! and panics on purpose; the parent reads the child's stderr.

const CHILD: &str = "PREPUSH_AUTH_PANIC_HOOK_CHILD";
const TOKEN: &str = "ghp_PANICpanicPANICpanicPANICpanic0123é5";

#[test]
fn a_panic_prints_one_line_without_its_message() {
    if std::env::var_os(CHILD).is_some() {
        prepush_auth::app::install_panic_hook();
        let token = std::hint::black_box(TOKEN.to_owned());
        // The classic: byte-slicing a token that holds a non-ASCII character.
        let _ = &token[..39];
        unreachable!();
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_panic_prints_one_line_without_its_message",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("prepush-auth:")).collect();
    assert_eq!(lines.len(), 1, "{stderr}");
    assert!(lines[0].contains("internal error at tests/panic_hook.rs:"), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    for text in [&*stderr, &*stdout] {
        assert!(
            !text.contains("PANICpanic"),
            "the panic message reached the output:\n{text}"
        );
        assert!(!text.contains("char boundary"), "{text}");
    }
}
