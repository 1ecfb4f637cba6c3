//! saker's built-in rules against Panther's labelled rule tests.
//!
//! `tests/data/panther_mapping.yaml` maps the Panther rules whose behaviour
//! one of our rules covers to those rules. Every test case of a mapped
//! Panther rule (`../shared/data/rule-tests/panther_tests.jsonl`) is written
//! as its own JSON-lines file and run through the real pipeline with the
//! built-in rules; our verdict (one of the mapped rules fired) must equal
//! Panther's `expected`, except for the disagreements the mapping lists
//! with a reason. Report: `docs/panther-agreement.md`.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use chrono::NaiveDateTime;
use saker_detect::{load_cloudtrail_ruleset, run, DetectOptions, RuleSources};
use saker_ingest::SourceUnit;
use saker_rules::ruleset::{Ruleset, RulesetOptions};
use serde::Deserialize;
use serde_json::Value;

const MAPPING: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/panther_mapping.yaml"
);

/// One comparison: a Panther rule against one or more of our rules.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mapping {
    panther_rule: String,
    our_rules: Vec<String>,
    relation: Relation,
    note: String,
    #[serde(default)]
    mocked: Vec<Mocked>,
    #[serde(default)]
    disagreements: Vec<Disagreement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Relation {
    Same,
    Narrower,
    Broader,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mocked {
    test: String,
    action: MockAction,
    reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum MockAction {
    Evaluate,
    Skip,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Disagreement {
    test: String,
    reason: String,
}

/// One line of `panther_tests.jsonl` (the fields used here).
#[derive(Debug, Deserialize)]
struct PantherTest {
    rule_id: String,
    test_name: String,
    expected: bool,
    mocks: Option<Value>,
    event: Value,
}

fn mappings() -> Vec<Mapping> {
    let text = std::fs::read_to_string(MAPPING).expect("mapping file");
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{MAPPING}: {e}"))
}

fn panther_tests() -> Vec<PantherTest> {
    let path = common::data("rule-tests/panther_tests.jsonl");
    std::fs::read_to_string(&path)
        .expect("panther_tests.jsonl")
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

fn panther_rule_ids() -> BTreeSet<String> {
    let path = common::data("rule-tests/panther_rules.jsonl");
    std::fs::read_to_string(&path)
        .expect("panther_rules.jsonl")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("rule metadata is JSON");
            v["rule_id"].as_str().expect("rule_id").to_string()
        })
        .collect()
}

fn builtin_ruleset() -> Ruleset {
    let sources = RuleSources {
        builtin: true,
        paths: vec![],
    };
    load_cloudtrail_ruleset(&sources, &RulesetOptions::default())
        .expect("built-in rules load")
        .ruleset
}

/// What [`cloudtrail_event_time`] did to a test event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum TimeFix {
    /// Already RFC 3339, as CloudTrail writes it.
    Unchanged,
    /// Panther's normalised form, `2024-12-16 18:41:07.000000000`.
    Rewritten,
    /// Absent or a placeholder (`redacted`, `...`).
    Supplied,
}

/// A time for events that carry none; no built-in rule reads the time.
const PLACEHOLDER_TIME: &str = "2000-01-01T00:00:00Z";

/// Give a Panther test event the RFC 3339 `eventTime` CloudTrail writes.
///
/// Panther stores `eventTime` in its own normalised form
/// (`YYYY-MM-DD HH:MM:SS[.fraction]`) and many test events omit it or hold a
/// placeholder. saker, like Falco's cloudtrail plugin, skips a record whose
/// `eventTime` is not RFC 3339 (`docs/falco-compat.md`), so without this the
/// record would never reach the rules. No built-in rule reads the time.
fn cloudtrail_event_time(event: &mut Value) -> TimeFix {
    let current = event.get("eventTime").and_then(Value::as_str);
    if let Some(t) = current {
        // Go's time.RFC3339, which Falco uses, wants the `T`.
        if t.as_bytes().get(10) == Some(&b'T') && chrono::DateTime::parse_from_rfc3339(t).is_ok() {
            return TimeFix::Unchanged;
        }
        let t = t.trim_end_matches('Z');
        if let Ok(dt) = NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S%.f") {
            event["eventTime"] = Value::from(dt.format("%Y-%m-%dT%H:%M:%S%.fZ").to_string());
            return TimeFix::Rewritten;
        }
    }
    event["eventTime"] = Value::from(PLACEHOLDER_TIME);
    TimeFix::Supplied
}

/// Runs single events through the pipeline, one JSON-lines file each.
struct Runner {
    ruleset: Ruleset,
    dir: PathBuf,
    next: usize,
}

impl Runner {
    fn new() -> Self {
        let dir =
            std::env::temp_dir().join(format!("saker-panther-agreement-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        Runner {
            ruleset: builtin_ruleset(),
            dir,
            next: 0,
        }
    }

    /// The names of the rules that fired on `event`. Panics unless the
    /// pipeline evaluated exactly one record.
    fn fired(&mut self, label: &str, event: &Value) -> BTreeSet<String> {
        self.next += 1;
        let path = self.dir.join(format!("{:03}.jsonl", self.next));
        std::fs::write(&path, format!("{event}\n")).expect("write test event");
        let mut sink = common::Collect::default();
        let opts = DetectOptions {
            threads: 1,
            ..DetectOptions::default()
        };
        let summary = run(
            &[SourceUnit::File(path)],
            &self.ruleset,
            &opts,
            &mut sink,
            &mut |_| {},
        )
        .expect("run");
        assert!(
            summary.records == 1 && summary.skipped_total() == 0,
            "{label}: the event was not evaluated: {summary}"
        );
        sink.alerts.into_iter().map(|(a, _)| a.rule).collect()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn mapping_names_real_rules_tests_and_reasons() {
    let maps = mappings();
    let tests = panther_tests();
    let panther_ids = panther_rule_ids();
    let ours: BTreeSet<String> = builtin_ruleset()
        .rules()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    let mut seen = BTreeSet::new();
    for m in &maps {
        let at = format!("{} -> {:?}", m.panther_rule, m.our_rules);
        assert!(seen.insert(at.clone()), "{at}: listed twice");
        assert!(
            panther_ids.contains(&m.panther_rule),
            "{at}: unknown Panther rule"
        );
        assert!(!m.our_rules.is_empty(), "{at}: no rule of ours");
        for r in &m.our_rules {
            assert!(ours.contains(r), "{at}: no built-in rule {r:?}");
        }
        assert!(!m.note.trim().is_empty(), "{at}: empty note");
        let cases: BTreeMap<&str, &PantherTest> = tests
            .iter()
            .filter(|t| t.rule_id == m.panther_rule)
            .map(|t| (t.test_name.as_str(), t))
            .collect();
        assert!(!cases.is_empty(), "{at}: Panther has no tests for it");
        let mut mocked = BTreeSet::new();
        for x in &m.mocked {
            let t = cases
                .get(x.test.as_str())
                .unwrap_or_else(|| panic!("{at}: mocked: no test {:?}", x.test));
            assert!(t.mocks.is_some(), "{at}: {:?} has no mocks", x.test);
            assert!(
                !x.reason.trim().is_empty(),
                "{at}: {:?}: empty reason",
                x.test
            );
            assert!(mocked.insert(x.test.as_str()), "{at}: {:?} twice", x.test);
        }
        for (name, t) in &cases {
            assert!(
                t.mocks.is_none() || mocked.contains(name),
                "{at}: test {name:?} has mocks: list it under `mocked`"
            );
        }
        let mut disagree = BTreeSet::new();
        for d in &m.disagreements {
            assert!(
                cases.contains_key(d.test.as_str()),
                "{at}: disagreements: no test {:?}",
                d.test
            );
            assert!(
                !d.reason.trim().is_empty(),
                "{at}: {:?}: empty reason",
                d.test
            );
            assert!(disagree.insert(d.test.as_str()), "{at}: {:?} twice", d.test);
            assert!(
                !m.mocked
                    .iter()
                    .any(|x| x.test == d.test && x.action == MockAction::Skip),
                "{at}: {:?} is skipped and listed as a disagreement",
                d.test
            );
        }
        // A `same` mapping may only disagree where Panther's rule() is not
        // what the test judges; none do today.
        if m.relation == Relation::Same {
            assert!(
                m.disagreements.is_empty(),
                "{at}: `same` with disagreements"
            );
        }
    }
}

#[test]
fn our_verdicts_agree_with_panther_except_listed_disagreements() {
    let maps = mappings();
    let mut tests = panther_tests();
    let mut runner = Runner::new();
    let mut time_fixes: BTreeMap<TimeFix, usize> = BTreeMap::new();
    // Fired rules per Panther test (rule_id, test_name); each event is run
    // once even when several mappings use it.
    let mut fired: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
    for t in tests.iter_mut() {
        if !maps.iter().any(|m| m.panther_rule == t.rule_id) {
            continue;
        }
        *time_fixes
            .entry(cloudtrail_event_time(&mut t.event))
            .or_default() += 1;
        let label = format!("{} / {}", t.rule_id, t.test_name);
        let rules = runner.fired(&label, &t.event);
        fired.insert((t.rule_id.clone(), t.test_name.clone()), rules);
    }

    let (mut agree, mut disagree, mut skipped) = (0, 0, 0);
    let mut failures = Vec::new();
    for m in &maps {
        for t in tests.iter().filter(|t| t.rule_id == m.panther_rule) {
            let name = t.test_name.as_str();
            let mock = m.mocked.iter().find(|x| x.test == name);
            if mock.is_some_and(|x| x.action == MockAction::Skip) {
                skipped += 1;
                continue;
            }
            let rules = &fired[&(t.rule_id.clone(), t.test_name.clone())];
            let ours = m.our_rules.iter().any(|r| rules.contains(r));
            let listed = m.disagreements.iter().any(|d| d.test == name);
            let verdict = format!(
                "{} / {name}: Panther {}, ours {} ({:?} fired)",
                m.panther_rule, t.expected, ours, rules
            );
            match (ours == t.expected, listed) {
                (true, false) => agree += 1,
                (false, true) => disagree += 1,
                (false, false) => failures.push(format!("unlisted disagreement: {verdict}")),
                (true, true) => failures.push(format!(
                    "listed as a disagreement but agrees now: {verdict}"
                )),
            }
        }
    }
    eprintln!(
        "Panther agreement: {agree} agree, {disagree} justified disagreements, \
         {skipped} skipped (mocked state); {} events run, eventTime {time_fixes:?}",
        fired.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The numbers docs/panther-agreement.md reports.
    assert_eq!((agree, disagree, skipped), (40, 11, 1));
    assert_eq!(fired.len(), 42);
}

#[test]
fn panther_event_times_become_rfc3339() {
    let fix = |v: Value| {
        let mut e = serde_json::json!({ "eventTime": v });
        let r = cloudtrail_event_time(&mut e);
        (r, e["eventTime"].as_str().unwrap().to_string())
    };
    assert_eq!(
        fix("2024-12-16 18:41:07.000000000".into()),
        (TimeFix::Rewritten, "2024-12-16T18:41:07Z".into())
    );
    assert_eq!(
        fix("2021-01-24 04:55:45.123".into()),
        (TimeFix::Rewritten, "2021-01-24T04:55:45.123Z".into())
    );
    assert_eq!(
        fix("2022-09-25 16:16:37Z".into()),
        (TimeFix::Rewritten, "2022-09-25T16:16:37Z".into())
    );
    assert_eq!(
        fix("2019-01-01T00:00:00Z".into()),
        (TimeFix::Unchanged, "2019-01-01T00:00:00Z".into())
    );
    assert_eq!(
        fix("redacted".into()),
        (TimeFix::Supplied, PLACEHOLDER_TIME.into())
    );
    assert_eq!(
        fix(Value::Null),
        (TimeFix::Supplied, PLACEHOLDER_TIME.into())
    );
}
