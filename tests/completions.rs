#![allow(clippy::pedantic)]
//! `prepush-auth completions SHELL`: the script each shell loads, tried in a
//! real bash the way a user's `source <(prepush-auth completions bash)` would.

mod support;

use support::*;

/// What bash offers for the words typed so far (the last one being completed).
fn bash_offers(sb: &Sandbox, words: &[&str]) -> Vec<String> {
    let script = sb.dir.path().join("prepush-auth.bash");
    let run = sb.run(&["completions", "bash"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    std::fs::write(&script, &run.stdout).unwrap();
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        r#"source '{}' || exit 9
f=$(complete -p prepush-auth | sed -E 's/.*-F ([^ ]+).*/\1/')
COMP_WORDS=({})
COMP_CWORD={}
COMP_LINE="${{COMP_WORDS[*]}}"
COMP_POINT=${{#COMP_LINE}}
"$f" prepush-auth "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        script.display(),
        quoted.join(" "),
        words.len() - 1
    );
    let mut cmd = std::process::Command::new("bash");
    sb.env(&mut cmd);
    let out = cmd.args(["--norc", "-c", &program]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_options_and_their_values() {
    let sb = Sandbox::new();
    assert_eq!(bash_offers(&sb, &["prepush-auth", "ch"]), vec!["check"]);
    assert!(bash_offers(&sb, &["prepush-auth", "check", "--f"]).contains(&"--format".to_owned()));
    assert_eq!(
        bash_offers(&sb, &["prepush-auth", "check", "--format", ""]),
        vec!["human", "json"]
    );
    assert_eq!(
        bash_offers(&sb, &["prepush-auth", "install", "--helper", ""]),
        vec!["observe", "gate"]
    );
}

#[test]
fn every_shell_gets_a_script_registered_for_the_command() {
    let sb = Sandbox::new();
    for (shell, registers) in [
        ("bash", "complete -F _prepush__auth"),
        ("zsh", "#compdef prepush-auth"),
        ("fish", "complete -c prepush-auth"),
        (
            "powershell",
            "Register-ArgumentCompleter -Native -CommandName 'prepush-auth'",
        ),
    ] {
        let run = sb.run(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        assert!(run.stdout.contains(registers), "{shell}:\n{}", run.stdout);
        assert!(
            run.stdout.contains("pre-push"),
            "{shell} does not offer the subcommands"
        );
        assert!(run.stderr.is_empty(), "{shell}: {}", run.stderr);
    }
}

#[test]
fn completions_print_even_when_prepush_auth_is_turned_off() {
    let sb = Sandbox::new();
    let out = sb
        .cmd(&["completions", "fish"])
        .env("PREPUSH_AUTH", "0")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("complete -c prepush-auth"));
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let sb = Sandbox::new();
    let run = sb.run(&["completions", "tcsh"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("'tcsh'"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}
