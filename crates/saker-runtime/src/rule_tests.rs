//! Rule tests for `syscall` rules files: raw audit log text that must and
//! must not trigger each rule, kept beside the rules
//! (`rules/host.yaml` → `rules/host.tests.yaml`).
//!
//! The format is CloudTrail's (`docs/rules.md`, "Rule tests": `rule`,
//! `expect`, `note`, `extra_rules`) with the event given as audit records:
//!
//! * `audit:` the raw lines (a YAML block scalar), or
//! * `audit_file:` a log file (relative to the tests file, its parent, or
//!   the current directory) and `serial:` the event under test.
//!
//! Every line is replayed through the runtime pipeline (so earlier events
//! build the process table: parents, fd → path), and the verdict is whether
//! the rule alerted on the event with `serial` — the last syscall event when
//! `serial` is not given. The alert output is rendered on the way.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_rules::Ruleset;
use serde::Deserialize;

pub use saker_rules::rule_tests::{event_file_dirs, CaseResult, Expect, FileReport};

use crate::pipeline::{Runtime, RuntimeOptions};
use crate::rulesets::load_runtime_ruleset;

/// One case of a `*.tests.yaml` file for syscall rules.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub rule: String,
    pub expect: Expect,
    pub note: String,
    /// Raw audit lines.
    #[serde(default)]
    pub audit: Option<String>,
    /// A file of audit lines.
    #[serde(default)]
    pub audit_file: Option<String>,
    /// The serial of the event under test (default: the last syscall event).
    #[serde(default)]
    pub serial: Option<u64>,
    /// Rules text loaded after the file under test.
    #[serde(default)]
    pub extra_rules: Option<String>,
}

/// Whether the tests text is for syscall rules (a case has `audit:` or
/// `audit_file:`): how `saker rules test` picks this runner.
pub fn is_audit_tests(tests_text: &str) -> bool {
    tests_text.lines().any(|l| {
        let t = l.trim_start_matches([' ', '-']);
        t.starts_with("audit:") || t.starts_with("audit_file:")
    })
}

fn load(rules_file: &Path, extra: Option<&str>) -> Result<Ruleset, String> {
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let mut paths = vec![rules_file.to_path_buf()];
    let tmp;
    if let Some(e) = extra {
        tmp = std::env::temp_dir().join(format!(
            "saker-extra-rules-{}-{}.yaml",
            std::process::id(),
            paths.len()
        ));
        std::fs::write(&tmp, e).map_err(|e| format!("extra_rules: {e}"))?;
        paths.push(tmp.clone());
    }
    let r = load_runtime_ruleset(false, &paths, vec![], &opts)
        .map(|l| l.ruleset)
        .map_err(|d| {
            d.iter()
                .filter(|d| d.is_error())
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        });
    if paths.len() > 1 {
        let _ = std::fs::remove_file(&paths[1]);
    }
    r
}

/// Run the tests of one syscall rules file (`tests_file` beside it).
pub fn run_file(rules_file: &Path, tests_file: &Path) -> FileReport {
    let mut report = FileReport {
        rules_file: rules_file.to_path_buf(),
        tests_file: tests_file.to_path_buf(),
        ..FileReport::default()
    };
    let text = match std::fs::read_to_string(tests_file) {
        Ok(t) => t,
        Err(e) => {
            report.errors.push(format!("cannot read tests: {e}"));
            return report;
        }
    };
    let cases: Vec<Case> = match serde_saphyr::from_str(&text) {
        Ok(c) => c,
        Err(e) => {
            report.errors.push(format!("invalid tests file: {e}"));
            return report;
        }
    };
    let bases = event_file_dirs(tests_file);
    let mut rulesets: HashMap<Option<String>, Result<Ruleset, String>> = HashMap::new();
    let mut coverage: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        let rs = rulesets
            .entry(case.extra_rules.clone())
            .or_insert_with(|| load(rules_file, case.extra_rules.as_deref()));
        let failure = match rs {
            Err(e) => Some(format!("rules do not load: {e}")),
            Ok(rs) => {
                let cov = coverage.entry(case.rule.clone()).or_default();
                match case.expect {
                    Expect::Match => cov.0 += 1,
                    Expect::NoMatch => cov.1 += 1,
                }
                check_case(rs, case, &bases).err()
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
    if let Some(Ok(rs)) = rulesets.get(&None) {
        for rule in rs.rules().iter().filter(|r| r.enabled) {
            match coverage.get(&rule.name) {
                Some((m, n)) if *m > 0 && *n > 0 => {}
                Some((m, n)) => report.errors.push(format!(
                    "rule '{}' needs at least one 'match' and one 'no_match' case (has {m} match, {n} no_match)",
                    rule.name
                )),
                None => report.errors.push(format!("rule '{}' has no test case", rule.name)),
            }
        }
    }
    report
}

/// Evaluate one case against a compiled ruleset.
///
/// # Errors
/// Why the case failed.
pub fn check_case(rs: &Ruleset, case: &Case, bases: &[PathBuf]) -> Result<(), String> {
    let Some(rule) = rs.rules().iter().find(|r| r.name == case.rule) else {
        return Err(format!(
            "no rule named '{}' in the file under test",
            case.rule
        ));
    };
    if !rule.enabled {
        return Err("the rule is disabled".into());
    }
    let bytes = match (&case.audit, &case.audit_file) {
        (Some(t), None) => t.clone().into_bytes(),
        (None, Some(f)) => {
            let p = bases
                .iter()
                .map(|b| b.join(f))
                .find(|p| p.is_file())
                .ok_or_else(|| format!("audit_file '{f}' not found"))?;
            std::fs::read(&p).map_err(|e| format!("{}: {e}", p.display()))?
        }
        _ => return Err("give exactly one of 'audit' and 'audit_file'".into()),
    };
    let mut rt = Runtime::new(
        rs,
        RuntimeOptions {
            output: OutputOptions {
                hostname: "test".into(),
                time_format_iso_8601: false,
            },
            ..RuntimeOptions::default()
        },
    );
    let mut fired: Vec<u64> = Vec::new();
    let mut empty_output = false;
    let mut cb = |a: &saker_rules::Alert, e: &crate::event::RuntimeEvent| {
        if a.rule == case.rule {
            fired.push(e.sc.serial);
            empty_output |= a.output.is_empty();
        }
    };
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        rt.feed_line(i as u64 + 1, line, &mut cb);
    }
    let summary = rt.finish(&mut cb);
    if summary.skipped_lines > 0 {
        return Err(format!(
            "{} line(s) are not audit records (first: line {} {})",
            summary.skipped_lines, summary.skipped[0].0, summary.skipped[0].1
        ));
    }
    let target = match case.serial {
        Some(s) => s,
        None => last_syscall_serial(&bytes).ok_or("no SYSCALL record in the case")?,
    };
    if !bytes_have_serial(&bytes, target) {
        return Err(format!("no event with serial {target}"));
    }
    if empty_output {
        return Err("the alert output is empty".into());
    }
    let hit = fired.contains(&target);
    match (case.expect, hit) {
        (Expect::Match, true) | (Expect::NoMatch, false) => Ok(()),
        (Expect::Match, false) => Err("the rule did not match".into()),
        (Expect::NoMatch, true) => Err("the rule matched".into()),
    }
}

fn serial_of(line: &[u8]) -> Option<u64> {
    let l = String::from_utf8_lossy(line);
    let i = l.find("msg=audit(")?;
    let rest = &l[i + 10..];
    let colon = rest.find(':')?;
    let close = rest.find(')')?;
    rest.get(colon + 1..close)?.parse().ok()
}

fn last_syscall_serial(bytes: &[u8]) -> Option<u64> {
    bytes
        .split(|&b| b == b'\n')
        .rev()
        .filter(|l| l.windows(12).any(|w| w == b"type=SYSCALL"))
        .find_map(serial_of)
}

fn bytes_have_serial(bytes: &[u8], s: u64) -> bool {
    bytes
        .split(|&b| b == b'\n')
        .any(|l| serial_of(l) == Some(s))
}
