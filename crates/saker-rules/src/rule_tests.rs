//! Rule tests: records that must and must not trigger each rule, kept
//! beside the rules (`rules/NAME.yaml` → `rules/NAME.tests.yaml`; format in
//! `docs/rules.md`, "Rule tests"). This module holds what every source's
//! runner shares — the verdict, the per-case and per-file report — so that
//! `saker rules test` prints one report whatever the source.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What a case expects of its rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Match,
    NoMatch,
}

/// The outcome of one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// 1-based position of the case in its tests file.
    pub number: usize,
    pub rule: String,
    pub expect: Expect,
    pub note: String,
    /// `None` when the case passed, else why it failed.
    pub failure: Option<String>,
}

/// The outcome of one rules file's tests.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub rules_file: PathBuf,
    pub tests_file: PathBuf,
    pub cases: Vec<CaseResult>,
    /// Problems that fail the file as a whole: unreadable tests, rules that
    /// do not load, rules without a `match` or a `no_match` case.
    pub errors: Vec<String>,
}

impl FileReport {
    pub fn passed(&self) -> usize {
        self.cases.iter().filter(|c| c.failure.is_none()).count()
    }

    pub fn failed(&self) -> usize {
        self.cases.len() - self.passed()
    }

    pub fn ok(&self) -> bool {
        self.errors.is_empty() && self.failed() == 0
    }
}

impl fmt::Display for FileReport {
    /// One line per failure and per error, then a count line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for e in &self.errors {
            writeln!(f, "{}: error: {e}", self.tests_file.display())?;
        }
        for c in &self.cases {
            if let Some(why) = &c.failure {
                writeln!(
                    f,
                    "{}: case {} FAILED: rule '{}' expected {}: {why} ({})",
                    self.tests_file.display(),
                    c.number,
                    c.rule,
                    match c.expect {
                        Expect::Match => "match",
                        Expect::NoMatch => "no_match",
                    },
                    c.note
                )?;
            }
        }
        write!(
            f,
            "{}: {} cases, {} passed, {} failed",
            self.rules_file.display(),
            self.cases.len(),
            self.passed(),
            self.failed()
        )
    }
}

/// Where relative `event_file` paths are looked up: the tests file's
/// directory, its parent (the repository root for `rules/`), then the
/// current directory.
pub fn event_file_dirs(tests_file: &Path) -> Vec<PathBuf> {
    let dir = tests_file
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut v = vec![dir.clone()];
    if let Some(p) = dir.parent() {
        v.push(p.to_path_buf());
    }
    v.push(PathBuf::from("."));
    v
}
