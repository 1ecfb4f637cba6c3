//! Framework evaluation: requirement statuses and the score, from findings.
//!
//! Per requirement, over the findings of its checks (a FAIL of a check
//! named `CHECK:FAMILY` counts as PASS when the finding is not open on that
//! family: [`super::CheckRef::status_of`]):
//! * `MANUAL` — the requirement names no check (not covered by saker).
//! * `FAIL` — at least one unmuted finding is FAIL.
//! * `NOT_EVALUATED` — none failed, but an unmuted finding is
//!   NOT_EVALUATED (data not collected: access denied, throttled…) or one of
//!   its checks was not run.
//! * `NO_RESOURCES` — its checks ran and produced no finding at all (no
//!   instances, say): nothing to judge, as Security Hub's "no data".
//! * `PASS` — otherwise: every finding passed or is muted.
//!
//! Muted findings (see [`crate::mutelist`]) never make a requirement fail or
//! not evaluated, whatever their status; they are counted and shown.
//!
//! Score = passed / (passed + failed) requirements. `NOT_EVALUATED`,
//! `NO_RESOURCES` and `MANUAL` requirements are left out of the score and
//! counted beside it, so a partial collection never raises it silently.

use std::collections::{BTreeSet, HashSet};

use super::{Framework, Requirement};
use crate::finding::{Finding, Status};

/// A requirement's status in one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RequirementStatus {
    Pass,
    Fail,
    NotEvaluated,
    NoResources,
    Manual,
}

impl RequirementStatus {
    /// `PASS`, `FAIL`, `NOT_EVALUATED`, `NO_RESOURCES`, `MANUAL`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequirementStatus::Pass => "PASS",
            RequirementStatus::Fail => "FAIL",
            RequirementStatus::NotEvaluated => "NOT_EVALUATED",
            RequirementStatus::NoResources => "NO_RESOURCES",
            RequirementStatus::Manual => "MANUAL",
        }
    }
}

/// One requirement's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RequirementResult<'a> {
    pub requirement: &'a Requirement,
    pub status: RequirementStatus,
    /// Findings of its checks, by status (muted ones only under `muted`).
    pub passed: usize,
    pub failed: usize,
    pub not_evaluated: usize,
    pub muted: usize,
    /// Distinct resources with an unmuted FAIL.
    pub failing_resources: usize,
    /// Its checks that were not run.
    pub checks_not_run: Vec<&'a str>,
}

/// Requirement counts and the score of one framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Score {
    pub passed: usize,
    pub failed: usize,
    pub not_evaluated: usize,
    pub no_resources: usize,
    pub manual: usize,
}

impl Score {
    /// passed / (passed + failed) as a percentage; `None` when no
    /// requirement was decided.
    pub fn percent(&self) -> Option<f64> {
        let decided = self.passed + self.failed;
        (decided > 0).then(|| 100.0 * self.passed as f64 / decided as f64)
    }
}

/// A framework's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct FrameworkResult<'a> {
    pub framework: &'a Framework,
    /// In the framework's order.
    pub requirements: Vec<RequirementResult<'a>>,
}

impl FrameworkResult<'_> {
    /// Requirement counts by status.
    pub fn score(&self) -> Score {
        let mut s = Score::default();
        for r in &self.requirements {
            match r.status {
                RequirementStatus::Pass => s.passed += 1,
                RequirementStatus::Fail => s.failed += 1,
                RequirementStatus::NotEvaluated => s.not_evaluated += 1,
                RequirementStatus::NoResources => s.no_resources += 1,
                RequirementStatus::Manual => s.manual += 1,
            }
        }
        s
    }
}

/// Evaluate `framework` over `findings`. `checks_run` are the ids of the
/// checks that ran (a requirement naming another check is NOT_EVALUATED).
pub fn evaluate<'a>(
    framework: &'a Framework,
    findings: &[Finding],
    checks_run: &HashSet<&str>,
) -> FrameworkResult<'a> {
    let requirements = framework
        .requirements
        .iter()
        .map(|req| evaluate_requirement(req, findings, checks_run))
        .collect();
    FrameworkResult {
        framework,
        requirements,
    }
}

fn evaluate_requirement<'a>(
    req: &'a Requirement,
    findings: &[Finding],
    checks_run: &HashSet<&str>,
) -> RequirementResult<'a> {
    let mut r = RequirementResult {
        requirement: req,
        status: RequirementStatus::Manual,
        passed: 0,
        failed: 0,
        not_evaluated: 0,
        muted: 0,
        failing_resources: 0,
        checks_not_run: req
            .checks
            .iter()
            .map(|c| c.check_id.as_str())
            .filter(|c| !checks_run.contains(c))
            .collect(),
    };
    if req.checks.is_empty() {
        return r;
    }
    let mut failing: BTreeSet<(&str, &str, &str)> = BTreeSet::new();
    for (f, check) in findings
        .iter()
        .filter_map(|f| req.checks.iter().find(|c| c.names(f)).map(|c| (f, c)))
    {
        if f.muted.is_some() {
            r.muted += 1;
            continue;
        }
        match check.status_of(f) {
            Status::Pass => r.passed += 1,
            Status::Fail => {
                r.failed += 1;
                failing.insert((&f.account_id, &f.region, &f.resource_id));
            }
            Status::NotEvaluated => r.not_evaluated += 1,
        }
    }
    r.failing_resources = failing.len();
    r.status = if r.failed > 0 {
        RequirementStatus::Fail
    } else if r.not_evaluated > 0 || !r.checks_not_run.is_empty() {
        RequirementStatus::NotEvaluated
    } else if r.passed + r.muted == 0 {
        RequirementStatus::NoResources
    } else {
        RequirementStatus::Pass
    };
    r
}

/// Fill [`Finding::requirements`]: for each framework, the ids of the
/// requirements that name the finding's check (frameworks without one are
/// left out of the map). A FAIL finding is not listed under a requirement
/// it does not fail: one naming `CHECK:FAMILY` when the finding is open
/// only on the other family.
pub fn annotate(findings: &mut [Finding], frameworks: &[Framework]) {
    for f in findings.iter_mut() {
        for fw in frameworks {
            let ids: Vec<String> = fw
                .requirements
                .iter()
                .filter(|r| {
                    r.checks.iter().any(|c| {
                        c.names(f) && (f.status != Status::Fail || c.status_of(f) == Status::Fail)
                    })
                })
                .map(|r| r.id.clone())
                .collect();
            if !ids.is_empty() {
                f.requirements.insert(fw.id.clone(), ids);
            }
        }
    }
}
