//! Loader conformance: every case of `tests/conformance/loader.yaml` loads
//! its rules files and checks the diagnostics (all of them, exactly) and the
//! resulting rules.
//!
//! Case shape:
//!
//! ```yaml
//! - name: what the case shows (Falco source of truth in `ref`)
//!   ref: falco unit_tests/engine/test_rule_loader.cpp …
//!   sources: [syscall, aws_cloudtrail]   # tables to register (default both)
//!   files: ["<rules yaml>", …]           # loaded in order as f0.yaml, f1.yaml…
//!   diagnostics:                         # every diagnostic, in any order
//!     - {severity: error, code: LOAD_ERR_VALIDATE, message: substring,
//!        item: "rule 'x'", file: f0.yaml, line: 3, col: 5}
//!   rules:                               # the resulting rules, in order
//!     - {name: x, condition_text: exact, condition_ast: "falco text",
//!        output: exact, priority: Warning, enabled: true, tags: [a, b]}
//! ```
//!
//! `condition_ast` is compared by parsing it and comparing trees, so Falco's
//! printed compiled conditions (`test_rule_loader.cpp`) can be used as is.

mod loader_common;

use saker_rules::loader::yaml::{parse_documents, Node};
use saker_rules::loader::Loader;
use saker_rules::parser::parse_condition;

const TABLE: &str = include_str!("conformance/loader.yaml");

fn s<'a>(n: &'a Node, key: &str) -> Option<&'a str> {
    n.get(key).and_then(Node::scalar)
}

fn check_case(case: &Node) -> Result<(), String> {
    let sources: Vec<String> = match case.get("sources").and_then(Node::as_seq) {
        Some(seq) => seq
            .iter()
            .filter_map(|n| n.scalar().map(str::to_string))
            .collect(),
        None => vec!["syscall".into(), "aws_cloudtrail".into()],
    };
    let mut loader = Loader::new(loader_common::tables(&sources));
    let files = case
        .get("files")
        .and_then(Node::as_seq)
        .ok_or("case has no files")?;
    for (i, f) in files.iter().enumerate() {
        loader.load_str(&format!("f{i}.yaml"), f.scalar().ok_or("file is not text")?);
    }
    let result = loader.finish();
    let mut actual: Vec<Option<&saker_rules::Diagnostic>> =
        result.diagnostics.iter().map(Some).collect();
    let expected = case
        .get("diagnostics")
        .and_then(Node::as_seq)
        .unwrap_or(&[]);
    for e in expected {
        let found = actual.iter_mut().find(|a| {
            let Some(d) = a else { return false };
            let sev = if d.is_error() { "error" } else { "warning" };
            s(e, "severity").is_none_or(|v| v == sev)
                && s(e, "code").is_none_or(|v| v == d.code)
                && s(e, "message").is_none_or(|v| d.message.contains(v))
                && s(e, "item").is_none_or(|v| {
                    d.item
                        .as_ref()
                        .is_some_and(|(k, n)| format!("{} '{}'", k.as_str(), n) == v)
                })
                && s(e, "file").is_none_or(|v| d.location.as_ref().is_some_and(|l| &*l.file == v))
                && s(e, "line")
                    .is_none_or(|v| d.location.as_ref().is_some_and(|l| l.line.to_string() == v))
                && s(e, "col")
                    .is_none_or(|v| d.location.as_ref().is_some_and(|l| l.col.to_string() == v))
        });
        match found {
            Some(slot) => *slot = None,
            None => {
                return Err(format!(
                    "expected diagnostic not found: {e:?}\nactual:\n{}",
                    result
                        .diagnostics
                        .iter()
                        .map(|d| format!("  {d}"))
                        .collect::<Vec<_>>()
                        .join("\n")
                ))
            }
        }
    }
    let extra: Vec<String> = actual.iter().flatten().map(|d| format!("  {d}")).collect();
    if !extra.is_empty() {
        return Err(format!("unexpected diagnostics:\n{}", extra.join("\n")));
    }

    if let Some(rules) = case.get("rules").and_then(Node::as_seq) {
        let names: Vec<&str> = result.rules.iter().map(|r| r.name.as_str()).collect();
        let want: Vec<&str> = rules.iter().filter_map(|r| s(r, "name")).collect();
        if names != want {
            return Err(format!("rules {names:?}, expected {want:?}"));
        }
        for (r, e) in result.rules.iter().zip(rules) {
            if let Some(t) = s(e, "condition_text") {
                if r.condition_text != t {
                    return Err(format!(
                        "rule '{}': condition_text\n  got:  {}\n  want: {t}",
                        r.name, r.condition_text
                    ));
                }
            }
            if let Some(t) = s(e, "condition_ast") {
                let want = parse_condition(t).map_err(|e| format!("bad condition_ast: {e}"))?;
                if r.condition != want {
                    return Err(format!(
                        "rule '{}': condition tree differs\n  got:  {:?}\n  want: {:?}",
                        r.name, r.condition, want
                    ));
                }
            }
            if let Some(t) = s(e, "output") {
                if r.output != t {
                    return Err(format!(
                        "rule '{}': output {:?}, want {t:?}",
                        r.name, r.output
                    ));
                }
            }
            if let Some(t) = s(e, "desc") {
                if r.desc != t {
                    return Err(format!("rule '{}': desc {:?}, want {t:?}", r.name, r.desc));
                }
            }
            if let Some(t) = s(e, "priority") {
                if r.priority.as_str() != t {
                    return Err(format!(
                        "rule '{}': priority {}, want {t}",
                        r.name, r.priority
                    ));
                }
            }
            if let Some(t) = s(e, "source") {
                if r.source != t {
                    return Err(format!("rule '{}': source {}, want {t}", r.name, r.source));
                }
            }
            if let Some(t) = s(e, "enabled") {
                if r.enabled.to_string() != t {
                    return Err(format!(
                        "rule '{}': enabled {}, want {t}",
                        r.name, r.enabled
                    ));
                }
            }
            if let Some(tags) = e.get("tags").and_then(Node::as_seq) {
                let want: Vec<&str> = tags.iter().filter_map(Node::scalar).collect();
                let got: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                if got != want {
                    return Err(format!("rule '{}': tags {got:?}, want {want:?}", r.name));
                }
            }
        }
    }
    if let Some(skipped) = case.get("skipped").and_then(Node::as_seq) {
        let got: Vec<&str> = result
            .skipped_rules
            .iter()
            .map(|r| r.name.as_str())
            .collect();
        let want: Vec<&str> = skipped.iter().filter_map(Node::scalar).collect();
        if got != want {
            return Err(format!("skipped rules {got:?}, want {want:?}"));
        }
    }
    if let Some(v) = s(case, "required_engine_version") {
        let got = result
            .required_engine_version
            .map(|v| v.to_string())
            .unwrap_or_default();
        if got != v {
            return Err(format!("required_engine_version {got}, want {v}"));
        }
    }
    Ok(())
}

#[test]
fn loader_conformance_table() {
    let docs = parse_documents(TABLE).expect("conformance table is valid YAML");
    let cases = docs[0].as_seq().expect("a sequence of cases");
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = s(case, "name").unwrap_or("<unnamed>");
        if let Err(e) = check_case(case) {
            failures.push(format!("case '{name}': {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
