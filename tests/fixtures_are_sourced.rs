//! Every recorded answer under `tests/fixtures/` parses and names its public
//! source: a blocking verdict must stand on a real answer, not an imagined one.

use std::path::Path;

fn fixtures(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let p = entry.path();
        if p.is_dir() {
            fixtures(&p, out);
        } else if p.extension().is_some_and(|e| e == "http" || e == "txt") {
            out.push(p);
        }
    }
}

#[test]
fn every_fixture_parses_and_names_its_source() {
    let mut all = Vec::new();
    fixtures(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"), &mut all);
    assert!(!all.is_empty(), "no fixtures found");
    for path in all {
        let text = std::fs::read_to_string(&path).unwrap();
        // SSH fixtures (tests/fixtures/ssh/): a host's words, played by the
        // loopback sshd's forced command.
        if path.extension().is_some_and(|e| e == "txt") {
            let sources: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# source: ")).collect();
            assert!(!sources.is_empty(), "{}: no `# source:` line", path.display());
            for source in sources {
                assert!(source.len() > 10, "{}: a source says where: {source:?}", path.display());
            }
            for field in ["# stream: ", "# exit: "] {
                assert!(text.contains(field), "{}: no `{field}` line", path.display());
            }
            continue;
        }
        let recorded =
            prepush_auth::providers::fixture::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for source in &recorded.sources {
            assert!(source.len() > 10, "{}: a source says where: {source:?}", path.display());
        }
    }
}
