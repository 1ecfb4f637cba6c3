//! Condition compilation and evaluation: the conformance table in
//! `tests/conformance/eval.yaml`, plus diagnostics, index and cache checks.

mod common;

use std::collections::BTreeSet;

use saker_rules::diag::{ItemKind, Location};
use saker_rules::{Diagnostic, Priority, RuleMatching, Ruleset, RulesetOptions, Severity};
use serde_json::Value as J;

use common::{event, rule, table};

fn load(name: &str) -> J {
    let path = format!("{}/tests/conformance/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn empty() -> serde_json::Map<String, J> {
    serde_json::Map::new()
}

/// Compile one condition as rule "r" on the (unindexed) test table.
fn compile_one(cond: &str) -> Result<(Ruleset, Vec<Diagnostic>), String> {
    let expr = saker_rules::parser::parse_condition(cond).map_err(|e| e.message)?;
    let mut r = rule("r", "t.str exists", "out");
    r.condition = expr;
    r.condition_text = cond.to_string();
    let (rs, diags) = Ruleset::compile(&[r], table(false), &RulesetOptions::default());
    if let Some(e) = diags.iter().find(|d| d.is_error()) {
        return Err(e.message.clone());
    }
    Ok((rs, diags))
}

#[test]
fn conformance_cases() {
    let doc = load("eval.yaml");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 60, "at least 60 eval cases");
    let mut failures = Vec::new();
    for case in cases {
        let cond = case["cond"].as_str().expect("cond");
        match (compile_one(cond), case.get("error")) {
            (Err(msg), Some(want)) => {
                let want = want.as_str().unwrap();
                if !msg.contains(want) {
                    failures.push(format!("{cond}: error {msg:?} lacks {want:?}"));
                }
            }
            (Err(msg), None) => failures.push(format!("{cond}: unexpected error {msg:?}")),
            (Ok(_), Some(want)) => {
                failures.push(format!("{cond}: compiled, expected error {want}"))
            }
            (Ok((rs, diags)), None) => {
                if let Some(w) = case.get("warning").and_then(J::as_str) {
                    if !diags
                        .iter()
                        .any(|d| d.severity == Severity::Warning && d.message.contains(w))
                    {
                        failures.push(format!("{cond}: no warning containing {w:?}: {diags:?}"));
                    }
                }
                let fields = case["event"].as_object().cloned().unwrap_or_else(empty);
                let ev = event(&fields, 0);
                let mut out = Vec::new();
                rs.evaluate(&ev, &mut out);
                let got = !out.is_empty();
                let want = case["expect"].as_bool().expect("expect");
                if got != want {
                    failures.push(format!("{cond} on {fields:?}: got {got}, want {want}"));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn options(o: Option<&J>) -> RulesetOptions {
    let mut opts = RulesetOptions::default();
    let Some(o) = o else { return opts };
    let strs = |k: &str| -> Vec<String> {
        o.get(k)
            .and_then(J::as_array)
            .map(|a| a.iter().map(|s| s.as_str().unwrap().to_string()).collect())
            .unwrap_or_default()
    };
    if o.get("rule_matching").and_then(J::as_str) == Some("first") {
        opts.rule_matching = RuleMatching::First;
    }
    if let Some(p) = o.get("min_priority").and_then(J::as_str) {
        opts.min_priority = p.parse().unwrap();
    }
    opts.enabled_rules = strs("enabled_rules");
    opts.disabled_rules = strs("disabled_rules");
    opts.enabled_tags = strs("enabled_tags").into_iter().collect();
    opts.disabled_tags = strs("disabled_tags").into_iter().collect();
    opts
}

#[test]
fn conformance_rulesets() {
    let doc = load("eval.yaml");
    for set in doc["rulesets"].as_array().expect("rulesets") {
        let name = set["name"].as_str().unwrap();
        let rules: Vec<_> = set["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let mut d = rule(
                    r["name"].as_str().unwrap(),
                    r["condition"].as_str().unwrap(),
                    "o",
                );
                if let Some(p) = r.get("priority").and_then(J::as_str) {
                    d.priority = p.parse().unwrap();
                }
                if let Some(t) = r.get("tags").and_then(J::as_array) {
                    d.tags = t.iter().map(|s| s.as_str().unwrap().to_string()).collect();
                }
                if let Some(e) = r.get("enabled").and_then(J::as_bool) {
                    d.enabled = e;
                }
                d
            })
            .collect();
        let indexed = set.get("indexed").and_then(J::as_bool).unwrap_or(false);
        for ev in set["events"].as_array().unwrap() {
            let opts = options(ev.get("options"));
            let want: Vec<&str> = ev["expect"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap())
                .collect();
            let fields = ev["event"].as_object().cloned().unwrap_or_else(empty);
            // The same rules with and without the index must agree.
            for use_index in [indexed, false] {
                let (rs, diags) = Ruleset::compile(&rules, table(use_index), &opts);
                assert!(diags.iter().all(|d| !d.is_error()), "{name}: {diags:?}");
                let e = event(&fields, 0);
                let mut out = Vec::new();
                rs.evaluate(&e, &mut out);
                let got: Vec<&str> = out
                    .iter()
                    .map(|m| rs.rules()[m.rule].name.as_str())
                    .collect();
                assert_eq!(got, want, "{name}: event {fields:?}, index {use_index}");
            }
        }
    }
}

#[test]
fn index_pins_only_rules_that_require_values() {
    let rules = vec![
        rule("pinned", "t.name in (A, B) and t.str = x", "o"),
        rule("or_other_field", "t.name in (A, B) or t.num = 1", "o"),
        rule("negated", "not t.name = A", "o"),
        rule("intersection", "t.name in (A, B) and t.name in (B, C)", "o"),
    ];
    let (rs, diags) = Ruleset::compile(&rules, table(true), &RulesetOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let pins: Vec<_> = rs.rules().iter().map(|r| r.index_values.clone()).collect();
    let set = |xs: &[&str]| Some(xs.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>());
    assert_eq!(pins, vec![set(&["A", "B"]), None, None, set(&["B"])]);
    // Without an index field nothing is pinned.
    let (rs, _) = Ruleset::compile(&rules, table(false), &RulesetOptions::default());
    assert!(rs.rules().iter().all(|r| r.index_values.is_none()));
}

#[test]
fn each_field_is_extracted_at_most_once_per_event() {
    let rules: Vec<_> = (0..20)
        .map(|i| {
            rule(
                &format!("r{i}"),
                &format!("t.str startswith a and (t.num > {i} or tolower(t.str) = abc)"),
                "%t.str %t.num",
            )
        })
        .collect();
    let (rs, _) = Ruleset::compile(&rules, table(false), &RulesetOptions::default());
    let fields = serde_json::json!({"t.str": "abd", "t.num": 5});
    let ev = event(fields.as_object().unwrap(), 0);
    let cache = rs.cache(&ev);
    let mut out = Vec::new();
    rs.evaluate_cached(&cache, &mut out);
    assert_eq!(out.len(), 5);
    for m in &out {
        let _ = rs.alert(m, &cache, &Default::default());
    }
    let counts = ev.extracts.borrow();
    assert_eq!(counts.get("t.str"), Some(&1));
    assert_eq!(counts.get("t.num"), Some(&1));
    // A field only the skipped branch would read is never extracted.
    let rules = vec![rule("lazy", "t.num = 1 and t.str2 = x", "o")];
    let (rs, _) = Ruleset::compile(&rules, table(false), &RulesetOptions::default());
    let ev = event(serde_json::json!({"t.num": 2}).as_object().unwrap(), 0);
    rs.evaluate(&ev, &mut Vec::new());
    assert_eq!(ev.extracts.borrow().get("t.str2"), None);
}

#[test]
fn compile_errors_are_located_rule_diagnostics() {
    let loc = Location {
        file: "rules.yaml".into(),
        line: 3,
        col: 1,
    };
    let mut bad = rule("Bad", "t.str = a and t.num = 0x10", "o");
    bad.location = Some(loc.clone());
    bad.enabled = false; // disabled rules are still validated
    let mut bad_out = rule("BadOut", "t.str = a", "x=%t.nope");
    bad_out.location = Some(loc.clone());
    let good = rule("Good", "t.str = a", "o");
    let mut other = rule("Other source", "t.whatever = 1", "o");
    other.source = "syscall".into();
    let (rs, diags) = Ruleset::compile(
        &[bad, bad_out, good, other],
        table(false),
        &RulesetOptions::default(),
    );
    assert_eq!(diags.len(), 2, "{diags:?}");
    let d = &diags[0];
    assert_eq!(d.severity, Severity::Error);
    assert_eq!(d.code, "LOAD_ERR_COMPILE_CONDITION");
    assert_eq!(d.item, Some((ItemKind::Rule, "Bad".to_string())));
    assert_eq!(d.location, Some(loc.clone()));
    assert!(
        d.message.contains("0x10 is not a valid number"),
        "{}",
        d.message
    );
    assert!(d.message.contains("'0x10' at offset 22"), "{}", d.message);
    assert_eq!(diags[1].code, "LOAD_ERR_COMPILE_OUTPUT");
    assert!(
        diags[1].message.contains("unknown filter: t.nope"),
        "{}",
        diags[1].message
    );
    // Only the good rule is in the ruleset; the other source is ignored.
    let names: Vec<_> = rs.rules().iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Good"]);
}

#[test]
fn skip_if_unknown_filter_turns_unknown_fields_into_warnings() {
    let mut r = rule("Skip", "t.nope = 1", "o");
    r.skip_if_unknown_filter = true;
    let mut r2 = rule("SkipOut", "t.str = a", "%t.nope");
    r2.skip_if_unknown_filter = true;
    // A type error is not an unknown filter: still an error.
    let mut r3 = rule("TypeErr", "t.num = x", "o");
    r3.skip_if_unknown_filter = true;
    let (rs, diags) = Ruleset::compile(&[r, r2, r3], table(false), &RulesetOptions::default());
    let codes: Vec<_> = diags.iter().map(|d| (d.code, d.severity)).collect();
    assert_eq!(
        codes,
        [
            ("LOAD_UNKNOWN_FILTER", Severity::Warning),
            ("LOAD_UNKNOWN_FILTER", Severity::Warning),
            ("LOAD_ERR_COMPILE_CONDITION", Severity::Error)
        ]
    );
    assert!(rs.rules().is_empty());
}

#[test]
fn priorities_of_compiled_rules_are_kept() {
    let mut r = rule("P", "t.num = 1", "o");
    r.priority = Priority::Critical;
    let (rs, _) = Ruleset::compile(&[r], table(false), &RulesetOptions::default());
    assert_eq!(rs.rules()[0].priority, Priority::Critical);
    assert_eq!(rs.source(), "test");
}

mod index_equivalence {
    use super::*;
    use proptest::prelude::*;

    fn atom() -> impl Strategy<Value = String> {
        let name = prop::sample::select(vec!["A", "B", "C"]);
        prop_oneof![
            name.clone().prop_map(|n| format!("t.name = {n}")),
            (name.clone(), name.clone()).prop_map(|(a, b)| format!("t.name in ({a}, {b})")),
            (name.clone(), name.clone()).prop_map(|(a, b)| format!("t.name = anyof ({a}, {b})")),
            name.clone().prop_map(|n| format!("t.name != {n}")),
            Just("t.num = 1".to_string()),
            Just("t.name exists".to_string()),
            Just("t.name startswith A".to_string()),
        ]
    }

    fn condition() -> impl Strategy<Value = String> {
        atom().prop_recursive(3, 12, 3, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} and {b})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                inner.prop_map(|a| format!("not ({a})")),
            ]
        })
    }

    fn an_event() -> impl Strategy<Value = serde_json::Map<String, J>> {
        (
            prop::option::of(prop::sample::select(vec!["A", "B", "C", "D"])),
            prop::option::of(0u64..3),
        )
            .prop_map(|(n, num)| {
                let mut m = serde_json::Map::new();
                if let Some(n) = n {
                    m.insert("t.name".into(), J::from(n));
                }
                if let Some(x) = num {
                    m.insert("t.num".into(), J::from(x));
                }
                m
            })
    }

    proptest! {
        #[test]
        fn the_index_never_changes_matches(
            conds in prop::collection::vec(condition(), 1..6),
            events in prop::collection::vec(an_event(), 1..6),
            first in any::<bool>(),
        ) {
            let rules: Vec<_> = conds
                .iter()
                .enumerate()
                .map(|(i, c)| rule(&format!("r{i}"), c, "o"))
                .collect();
            let opts = RulesetOptions {
                rule_matching: if first { RuleMatching::First } else { RuleMatching::All },
                ..Default::default()
            };
            let (plain, _) = Ruleset::compile(&rules, table(false), &opts);
            let (indexed, _) = Ruleset::compile(&rules, table(true), &opts);
            for fields in &events {
                let ev = event(fields, 0);
                let (mut a, mut b) = (Vec::new(), Vec::new());
                plain.evaluate(&ev, &mut a);
                indexed.evaluate(&ev, &mut b);
                prop_assert_eq!(&a, &b, "conditions {:?} event {:?}", conds, fields);
            }
        }
    }
}

#[test]
fn a_recycled_cache_reads_the_new_event() {
    let rules = vec![rule("r", "t.str = a", "o")];
    let (rs, _) = Ruleset::compile(&rules, table(false), &RulesetOptions::default());
    let e1 = event(serde_json::json!({"t.str": "a"}).as_object().unwrap(), 0);
    let e2 = event(serde_json::json!({"t.str": "b"}).as_object().unwrap(), 0);
    let mut out = Vec::new();
    let cache = rs.cache(&e1);
    rs.evaluate_cached(&cache, &mut out);
    assert_eq!(out.len(), 1);
    let cache = cache.recycle(&e2);
    out.clear();
    rs.evaluate_cached(&cache, &mut out);
    assert!(out.is_empty());
    assert_eq!(e2.extracts.borrow().get("t.str"), Some(&1));
}

#[test]
fn a_cache_built_in_stored_memory_reads_only_its_own_event() {
    let rules = vec![rule("r", "t.str = a", "o")];
    let (rs, _) = Ruleset::compile(&rules, table(false), &RulesetOptions::default());
    let e1 = event(serde_json::json!({"t.str": "a"}).as_object().unwrap(), 0);
    let e2 = event(serde_json::json!({"t.str": "b"}).as_object().unwrap(), 0);
    let mut out = Vec::new();
    let cache = rs.cache_in(&e1, Default::default());
    rs.evaluate_cached(&cache, &mut out);
    assert_eq!(out.len(), 1);
    let storage = cache.into_storage();
    drop(e1);
    out.clear();
    let cache = rs.cache_in(&e2, storage);
    rs.evaluate_cached(&cache, &mut out);
    assert!(out.is_empty(), "the first event's cached t.str leaked");
    assert_eq!(e2.extracts.borrow().get("t.str"), Some(&1));
}

#[test]
fn rulesets_can_be_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Ruleset>();
}

/// A scalar field whose event value is a list (Falco's bare `proc.aname`:
/// every ancestor) holds a check when any value holds it, for every
/// operator; a declared list field keeps the list semantics.
#[test]
fn multi_valued_scalar_fields_match_any_value() {
    use saker_rules::fields::Value;
    use std::borrow::Cow;
    let s = |v: &str| Value::Str(Cow::Owned(v.to_string()));
    let mut e = common::MapEvent::default();
    e.values.insert(
        "t.str".into(),
        Value::List(vec![s("bash"), s("sshd"), s("systemd")]),
    );
    e.values
        .insert("t.list".into(), Value::List(vec![s("bash"), s("sshd")]));
    e.values.insert("t.str2".into(), s("sshd"));
    let holds_on = |e: &common::MapEvent, cond: &str| {
        let (rs, _) = compile_one(cond).unwrap_or_else(|m| panic!("{cond}: {m}"));
        let mut out = Vec::new();
        rs.evaluate(e, &mut out);
        !out.is_empty()
    };
    let holds = |cond: &str| holds_on(&e, cond);
    assert!(holds("t.str = sshd"));
    assert!(!holds("t.str = cron"));
    assert!(holds("t.str in (cron, systemd)"));
    assert!(!holds("t.str in (cron, atd)"));
    assert!(holds("t.str startswith sys"));
    assert!(holds("t.str != bash"), "some value differs from bash");
    assert!(!holds("not t.str = sshd"));
    assert!(holds("t.str exists"));
    assert!(holds("t.str = val(t.str2)"));
    // a declared list field: `in` needs every value
    assert!(!holds("t.list in (sshd)"));
    assert!(holds("t.list in (sshd, bash)"));
    // an empty list is absent
    let mut empty = e.clone();
    empty.values.insert("t.str".into(), Value::List(Vec::new()));
    assert!(!holds_on(&empty, "t.str != x"));
    assert!(!holds_on(&empty, "t.str exists"));
}
