//! `rules/host.tests.yaml`: every built-in host rule has match and
//! no_match cases (real lab events and synthetic records), all passing.

use std::path::Path;

use saker_runtime::rule_tests::{is_audit_tests, run_file};

#[test]
fn host_rule_tests_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = root.join("rules/host.yaml");
    let tests = root.join("rules/host.tests.yaml");
    assert!(is_audit_tests(&std::fs::read_to_string(&tests).unwrap()));
    let report = run_file(&rules, &tests);
    for c in &report.cases {
        if let Some(f) = &c.failure {
            eprintln!(
                "case {} '{}' ({:?}): {f} — {}",
                c.number, c.rule, c.expect, c.note
            );
        }
    }
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!(report.failed(), 0);
    assert!(report.cases.len() >= 28, "{}", report.cases.len());
}

#[test]
fn wrong_expectations_fail() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let rules = root.join("rules/host.yaml");
    let text = std::fs::read_to_string(root.join("rules/host.tests.yaml")).unwrap();
    // flip every expectation: every case must now fail
    let flipped = text
        .replace("expect: match", "expect: X")
        .replace("expect: no_match", "expect: match")
        .replace("expect: X", "expect: no_match")
        .replace(
            "audit_file: ../shared",
            &format!(
                "audit_file: {}/../shared",
                root.canonicalize().unwrap().display()
            ),
        );
    let dir = std::env::temp_dir().join(format!("saker-rt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let tests = dir.join("host.tests.yaml");
    std::fs::write(&tests, flipped).unwrap();
    let report = run_file(&rules, &tests);
    std::fs::remove_dir_all(&dir).unwrap();
    for c in &report.cases {
        let f = c.failure.as_deref().unwrap_or("");
        assert!(
            f == "the rule matched" || f == "the rule did not match",
            "case {}: {f}",
            c.number
        );
    }
    assert_eq!(
        report.passed(),
        0,
        "{:?}",
        report
            .cases
            .iter()
            .filter(|c| c.failure.is_none())
            .map(|c| c.number)
            .collect::<Vec<_>>()
    );
}
