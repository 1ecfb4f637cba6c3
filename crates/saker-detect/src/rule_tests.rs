//! Rule tests: CloudTrail records that must and must not trigger each rule,
//! kept beside the rules (`rules/NAME.yaml` → `rules/NAME.tests.yaml`).
//!
//! The file format is documented in `docs/rules.md` ("Rule tests"). For
//! each case the runner loads the rules file under test (plus the case's
//! `extra_rules`), evaluates the one record with `rule_matching: all`, and
//! checks whether the named rule is among the matches; the alert output is
//! rendered once to prove it formats.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use saker_cloudtrail::{decode, DecodeOptions, Item};
use saker_rules::loader::Loader;
use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, Ruleset, RulesetOptions};
use serde::Deserialize;

pub use saker_rules::rule_tests::{event_file_dirs, CaseResult, Expect, FileReport};

use crate::rulesets::builtin_tables;

/// One case of a `*.tests.yaml` file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub rule: String,
    pub expect: Expect,
    pub note: String,
    /// The record itself (a YAML map, converted to JSON keeping key order).
    #[serde(default)]
    pub event: Option<serde_json::Value>,
    /// A file holding the record (any CloudTrail container).
    #[serde(default)]
    pub event_file: Option<String>,
    /// The record's `eventID` when `event_file` holds several.
    #[serde(default)]
    pub event_id: Option<String>,
    /// Rules text loaded after the file under test.
    #[serde(default)]
    pub extra_rules: Option<String>,
}

/// The tests file beside a rules file: `x.yaml` → `x.tests.yaml`.
pub fn tests_file_for(rules_file: &Path) -> PathBuf {
    let stem = rules_file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = rules_file
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "yaml".into());
    rules_file.with_file_name(format!("{stem}.tests.{ext}"))
}

/// Rules files with tests under `path`: the file itself, or every
/// `*.yaml`/`*.yml` (not `*.tests.*`) in a directory that has a tests file
/// beside it, sorted by name.
pub fn discover(path: &Path) -> Vec<PathBuf> {
    if !path.is_dir() {
        return vec![path.to_path_buf()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    (name.ends_with(".yaml") || name.ends_with(".yml"))
                        && !name.contains(".tests.")
                        && tests_file_for(p).is_file()
                })
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Run the tests of one rules file.
pub fn run_file(rules_file: &Path) -> FileReport {
    let tests_file = tests_file_for(rules_file);
    let mut report = FileReport {
        rules_file: rules_file.to_path_buf(),
        tests_file: tests_file.clone(),
        ..FileReport::default()
    };
    let text = match std::fs::read_to_string(&tests_file) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(format!("cannot read tests: {e}"));
            return report;
        }
    };
    if saker_runtime::rule_tests::is_audit_tests(&text) {
        return saker_runtime::rule_tests::run_file(rules_file, &tests_file);
    }
    let cases: Vec<Case> = match serde_saphyr::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(format!("invalid tests file: {e}"));
            return report;
        }
    };
    let base_dirs = event_file_dirs(&tests_file);
    let mut rulesets: HashMap<Option<String>, Result<Ruleset, String>> = HashMap::new();
    let mut coverage: BTreeMap<String, (usize, usize)> = BTreeMap::new();

    for (i, case) in cases.iter().enumerate() {
        let ruleset = rulesets
            .entry(case.extra_rules.clone())
            .or_insert_with(|| load(rules_file, case.extra_rules.as_deref()));
        let failure = match ruleset {
            Err(e) => Some(format!("rules do not load: {e}")),
            Ok(rs) => {
                let cov = coverage.entry(case.rule.clone()).or_default();
                match case.expect {
                    Expect::Match => cov.0 += 1,
                    Expect::NoMatch => cov.1 += 1,
                }
                check_case(rs, case, &base_dirs).err()
            }
        };
        report.cases.push(CaseResult {
            number: i + 1,
            rule: case.rule.clone(),
            expect: case.expect,
            note: case.note.clone(),
            failure,
        });
    }

    if let Some(Ok(rs)) = rulesets.get(&None).or_else(|| rulesets.values().next()) {
        for rule in rs.rules() {
            match coverage.get(&rule.name) {
                Some((m, n)) if *m > 0 && *n > 0 => {}
                Some((0, _)) | None if !rule.enabled => {}
                Some((m, _)) => report.errors.push(format!(
                    "rule '{}' needs at least one 'match' and one 'no_match' case (has {} match, {} no_match)",
                    rule.name,
                    m,
                    coverage[&rule.name].1
                )),
                None => report
                    .errors
                    .push(format!("rule '{}' has no test case", rule.name)),
            }
        }
    }
    report
}

fn load(rules_file: &Path, extra: Option<&str>) -> Result<Ruleset, String> {
    let tables = builtin_tables();
    let mut loader = Loader::new(tables.clone());
    loader.load_path(rules_file);
    if let Some(extra) = extra {
        loader.load_str("<extra_rules>", extra);
    }
    let result = loader.finish();
    let mut errors: Vec<String> = result.errors().map(|d| d.to_string()).collect();
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let table = tables
        .into_iter()
        .find(|t| t.source() == "aws_cloudtrail")
        .expect("CloudTrail table is built in");
    let (ruleset, diags) = Ruleset::compile(&result.rules, table, &opts);
    errors.extend(diags.iter().filter(|d| d.is_error()).map(|d| d.to_string()));
    if errors.is_empty() {
        Ok(ruleset)
    } else {
        Err(errors.join("; "))
    }
}

fn check_case(rs: &Ruleset, case: &Case, base_dirs: &[PathBuf]) -> Result<(), String> {
    let Some(rule_idx) = rs.rules().iter().position(|r| r.name == case.rule) else {
        return Err(format!(
            "no rule named '{}' in the file under test",
            case.rule
        ));
    };
    if !rs.rules()[rule_idx].enabled {
        return Err("the rule is disabled".into());
    }
    let (bytes, name) = match (&case.event, &case.event_file) {
        (Some(ev), None) => (
            serde_json::to_vec(ev).map_err(|e| format!("event: {e}"))?,
            "<event>".to_string(),
        ),
        (None, Some(file)) => {
            let path = base_dirs
                .iter()
                .map(|b| b.join(file))
                .find(|p| p.is_file())
                .ok_or_else(|| format!("event_file '{file}' not found"))?;
            (
                std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?,
                path.display().to_string(),
            )
        }
        _ => return Err("give exactly one of 'event' and 'event_file'".into()),
    };

    let mut verdicts: Vec<bool> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    let mut matches = Vec::new();
    decode(
        &bytes,
        &name,
        &DecodeOptions::default(),
        |item| match item {
            Item::Record(mut rec) => {
                if let Some(want) = &case.event_id {
                    if rec.event.event_id().as_deref() != Some(want.as_str()) {
                        return;
                    }
                }
                rec.event.set_num(1);
                matches.clear();
                let cache = rs.cache(&rec.event);
                rs.evaluate_cached(&cache, &mut matches);
                let fired = matches.iter().find(|m| m.rule == rule_idx);
                if let Some(m) = fired {
                    // The output must render (no panic, non-empty).
                    let alert = rs.alert(m, &cache, &OutputOptions::default());
                    if alert.output.is_empty() {
                        problems.push("the alert output is empty".into());
                    }
                }
                verdicts.push(fired.is_some());
            }
            Item::Skip(s) => problems.push(s.to_string()),
            Item::Digest(_) | Item::Insight { .. } => {}
        },
    );
    if let Some(p) = problems.first() {
        if verdicts.is_empty() || case.event.is_some() {
            return Err(p.clone());
        }
    }
    let fired = match verdicts.as_slice() {
        [one] => *one,
        [] => {
            return Err(match &case.event_id {
                Some(id) => format!("no record with eventID {id}"),
                None => "no record in the event".into(),
            })
        }
        many => {
            return Err(format!(
                "{} records match; give event_id to pick one",
                many.len()
            ))
        }
    };
    match (case.expect, fired) {
        (Expect::Match, true) | (Expect::NoMatch, false) => Ok(()),
        (Expect::Match, false) => Err("the rule did not match".into()),
        (Expect::NoMatch, true) => Err("the rule matched".into()),
    }
}
