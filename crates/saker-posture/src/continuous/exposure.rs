//! Exposure windows: when a finding failed and when it stopped failing.
//!
//! A point-in-time scan cannot see a security group opened at 10:00 and
//! closed at 10:20 between two scans. The [`ExposureTracker`] can: it is
//! fed every re-check result ([`Observation`]: finding id, verdict, the
//! time the verdict holds from and the [`ChangeEvent`] that caused it) and
//! keeps, per finding, the open exposure (FAIL since when, opened by whom)
//! and the closed windows `[opened_at, closed_at]` with who opened and who
//! closed them. It needs no baseline scan: the first FAIL observed opens
//! an exposure, so an authorize → revoke pair replayed from CloudTrail
//! before any scan ran still yields its window.
//!
//! Semantics (decisions, tested in `tests/continuous.rs`):
//! * **Order is `at`, not arrival.** Observations are kept sorted by `at`
//!   (ties: arrival order) and windows are derived from that order, so a
//!   revoke delivered before its authorize (CloudTrail files are not
//!   sorted) gives the same window as in-order delivery; the outcome of
//!   the late authorize reports the window as closed.
//! * **Lateness horizon.** An observation older than the finding's newest
//!   one by more than [`ExposureTracker::horizon`] (default 1 h; CloudTrail
//!   delivers within ~15 min) is refused ([`Outcome::TooLate`]): history
//!   that old is settled and compacted. This bounds memory per finding to
//!   the observations within the horizon plus the closed windows.
//! * **Repeated FAIL** (authorize 22, then authorize 3389) stays one
//!   exposure, opened by the first; [`Exposure::fail_observations`] counts.
//! * **PASS with nothing open** (a revoke with no authorize seen) opens and
//!   closes nothing: a PASS does not prove there was a FAIL before it.
//! * **Gone** (the re-describe found no resource: snapshot deleted) closes
//!   like PASS, with [`Closure::ResourceGone`].
//! * **NOT_EVALUATED** carries no information and is ignored.
//! * **Duplicates**: an observation whose `event_id` was already recorded
//!   for that finding is ignored (CloudTrail is at-least-once).
//! * A FAIL from a scan (no event) opens an exposure with `opened_by:
//!   None`: it began at or before `opened_at`.
//!
//! The state is plain data ([`serde`]): persist it with
//! [`ExposureTracker::to_json`] / [`ExposureTracker::from_json`] (or any
//! serde format) after each batch, e.g. in the state store.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::finding::{ChangeEvent, Finding, Status};

/// What a re-check said about a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Verdict {
    Pass,
    Fail,
    NotEvaluated,
    /// The resource no longer exists (the re-describe returned nothing).
    Gone,
}

impl From<Status> for Verdict {
    fn from(s: Status) -> Self {
        match s {
            Status::Pass => Verdict::Pass,
            Status::Fail => Verdict::Fail,
            Status::NotEvaluated => Verdict::NotEvaluated,
        }
    }
}

/// One re-check result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// [`Finding::finding_id`].
    pub finding_id: String,
    pub verdict: Verdict,
    /// When the verdict holds from: the causing event's `eventTime`, or the
    /// scan time for a scan result.
    #[serde(with = "super::serde_time::rfc3339")]
    pub at: DateTime<Utc>,
    /// The event that caused it; `None` for a scan.
    pub event: Option<ChangeEvent>,
}

impl Observation {
    /// The observation a re-checked finding makes: its status, attributed
    /// to [`Finding::changed_by`], holding from `at`.
    pub fn from_finding(finding: &Finding, at: DateTime<Utc>) -> Self {
        Observation {
            finding_id: finding.finding_id.clone(),
            verdict: finding.status.into(),
            at,
            event: finding.changed_by.clone(),
        }
    }
}

/// Why a window closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Closure {
    /// A re-check passed.
    Passed,
    /// The resource was deleted.
    ResourceGone,
}

/// A finding failing now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exposure {
    pub finding_id: String,
    /// The first FAIL of the run.
    #[serde(with = "super::serde_time::rfc3339")]
    pub opened_at: DateTime<Utc>,
    /// The event that made it fail; `None` when a scan first saw it.
    pub opened_by: Option<ChangeEvent>,
    /// The latest FAIL of the run.
    #[serde(with = "super::serde_time::rfc3339")]
    pub last_fail_at: DateTime<Utc>,
    /// FAIL observations in the run (≥ 1).
    pub fail_observations: u32,
}

/// A finding that failed and then stopped failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub finding_id: String,
    #[serde(with = "super::serde_time::rfc3339")]
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<ChangeEvent>,
    #[serde(with = "super::serde_time::rfc3339")]
    pub closed_at: DateTime<Utc>,
    /// The event that made it pass (or deleted the resource); `None` when a
    /// scan saw it.
    pub closed_by: Option<ChangeEvent>,
    pub closed_because: Closure,
    pub fail_observations: u32,
}

impl Window {
    /// `closed_at - opened_at`.
    pub fn duration(&self) -> chrono::Duration {
        self.closed_at - self.opened_at
    }
}

/// What [`ExposureTracker::observe`] did. Returned once per observation,
/// never stored: the size of `Recorded` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The observation was recorded.
    Recorded {
        /// An exposure opened (or its start changed) with this observation.
        opened: Option<Exposure>,
        /// Windows that closed with this observation (a late observation
        /// can close a window between two earlier ones).
        closed: Vec<Window>,
        /// A window or exposure reported before changed (a late
        /// observation rewrote history within the horizon).
        revised: bool,
    },
    /// Same `event_id` already recorded for this finding.
    Duplicate,
    /// Older than the horizon allows; ignored.
    TooLate,
    /// `NOT_EVALUATED`: ignored.
    NotEvaluated,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Point {
    #[serde(with = "super::serde_time::rfc3339")]
    at: DateTime<Utc>,
    /// Arrival order, to break ties in `at`.
    seq: u64,
    verdict: Verdict,
    event: Option<ChangeEvent>,
    /// Same-verdict observations merged into this one by compaction.
    #[serde(default)]
    merged: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Track {
    /// Sorted by (`at`, `seq`); the state before the first is "not open".
    points: Vec<Point>,
    /// Windows settled beyond the horizon.
    closed: Vec<Window>,
}

/// Open exposures and closed windows per finding (see the module doc).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExposureTracker {
    /// [`Self::STATE_VERSION`] of the serialized state.
    version: u32,
    /// Lateness horizon, in milliseconds when serialized.
    #[serde(with = "super::serde_time::millis")]
    horizon: Duration,
    seq: u64,
    findings: BTreeMap<String, Track>,
}

/// Loading saved tracker state failed.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("exposure state is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("exposure state version {found} is not supported (expected {expected})")]
    Version { found: u32, expected: u32 },
}

impl Default for ExposureTracker {
    fn default() -> Self {
        ExposureTracker::new(Duration::from_secs(3600))
    }
}

/// Windows derived from a track's points, and the open exposure.
#[derive(Debug, Default, PartialEq)]
struct Derived {
    closed: Vec<Window>,
    open: Option<Exposure>,
}

fn derive(finding_id: &str, points: &[Point]) -> Derived {
    let mut out = Derived::default();
    for p in points {
        let runs = 1 + p.merged;
        match (p.verdict, &mut out.open) {
            (Verdict::Fail, Some(open)) => {
                open.last_fail_at = p.at;
                open.fail_observations += runs;
            }
            (Verdict::Fail, None) => {
                out.open = Some(Exposure {
                    finding_id: finding_id.to_string(),
                    opened_at: p.at,
                    opened_by: p.event.clone(),
                    last_fail_at: p.at,
                    fail_observations: runs,
                });
            }
            (Verdict::Pass | Verdict::Gone, open) => {
                if let Some(o) = open.take() {
                    out.closed.push(Window {
                        finding_id: o.finding_id,
                        opened_at: o.opened_at,
                        opened_by: o.opened_by,
                        closed_at: p.at,
                        closed_by: p.event.clone(),
                        closed_because: if p.verdict == Verdict::Gone {
                            Closure::ResourceGone
                        } else {
                            Closure::Passed
                        },
                        fail_observations: o.fail_observations,
                    });
                }
            }
            (Verdict::NotEvaluated, _) => {}
        }
    }
    out
}

fn is_fail(v: Verdict) -> bool {
    v == Verdict::Fail
}

impl ExposureTracker {
    /// Version of the serialized state this build reads and writes.
    pub const STATE_VERSION: u32 = 1;

    /// An empty tracker refusing observations older than `horizon` before
    /// a finding's newest one.
    pub fn new(horizon: Duration) -> Self {
        ExposureTracker {
            version: Self::STATE_VERSION,
            horizon,
            seq: 0,
            findings: BTreeMap::new(),
        }
    }

    pub fn horizon(&self) -> Duration {
        self.horizon
    }

    /// Record one re-check result.
    pub fn observe(&mut self, obs: Observation) -> Outcome {
        if obs.verdict == Verdict::NotEvaluated {
            return Outcome::NotEvaluated;
        }
        let horizon = chrono::Duration::from_std(self.horizon).unwrap_or(chrono::Duration::MAX);
        let track = self.findings.entry(obs.finding_id.clone()).or_default();
        if let Some(newest) = track.points.last() {
            if obs.at < newest.at - horizon {
                return Outcome::TooLate;
            }
        }
        if let Some(id) = obs.event.as_ref().map(|e| &e.event_id) {
            let seen = track
                .points
                .iter()
                .any(|p| p.event.as_ref().is_some_and(|e| &e.event_id == id));
            if seen {
                return Outcome::Duplicate;
            }
        }
        let before = derive(&obs.finding_id, &track.points);
        self.seq += 1;
        let point = Point {
            at: obs.at,
            seq: self.seq,
            verdict: obs.verdict,
            event: obs.event,
            merged: 0,
        };
        let pos = track
            .points
            .partition_point(|p| (p.at, p.seq) <= (point.at, point.seq));
        track.points.insert(pos, point);
        let after = derive(&obs.finding_id, &track.points);

        let closed: Vec<Window> = after
            .closed
            .iter()
            .filter(|w| !before.closed.contains(w))
            .cloned()
            .collect();
        let start = |e: &Option<Exposure>| {
            e.as_ref().map(|e| {
                (
                    e.opened_at,
                    e.opened_by.as_ref().map(|c| c.event_id.clone()),
                )
            })
        };
        let opened = match &after.open {
            Some(o) if start(&before.open) != start(&after.open) => Some(o.clone()),
            _ => None,
        };
        let dropped_window = before.closed.iter().any(|w| !after.closed.contains(w));
        let moved_open = before.open.is_some() && after.open.is_some() && opened.is_some();
        let revised = dropped_window || moved_open;
        compact(&obs.finding_id, track, horizon);
        Outcome::Recorded {
            opened,
            closed,
            revised,
        }
    }

    /// Every finding failing now, by finding id.
    pub fn open_exposures(&self) -> Vec<Exposure> {
        self.findings
            .iter()
            .filter_map(|(id, t)| derive(id, &t.points).open)
            .collect()
    }

    /// Every closed window, oldest `closed_at` first (ties by finding id).
    pub fn closed_windows(&self) -> Vec<Window> {
        let mut all: Vec<Window> = self
            .findings
            .iter()
            .flat_map(|(id, t)| {
                let mut w = t.closed.clone();
                w.extend(derive(id, &t.points).closed);
                w
            })
            .collect();
        all.sort_by(|a, b| (a.closed_at, &a.finding_id).cmp(&(b.closed_at, &b.finding_id)));
        all
    }

    /// The open exposure of one finding.
    pub fn exposure(&self, finding_id: &str) -> Option<Exposure> {
        let t = self.findings.get(finding_id)?;
        derive(finding_id, &t.points).open
    }

    /// The closed windows of one finding, oldest first.
    pub fn windows(&self, finding_id: &str) -> Vec<Window> {
        let Some(t) = self.findings.get(finding_id) else {
            return Vec::new();
        };
        let mut w = t.closed.clone();
        w.extend(derive(finding_id, &t.points).closed);
        w
    }

    /// Findings tracked.
    pub fn len(&self) -> usize {
        self.findings.len()
    }

    pub fn is_empty(&self) -> bool {
        self.findings.is_empty()
    }

    /// Drop settled windows that closed before `cutoff` (retention), and
    /// findings left with nothing; returns how many windows were dropped.
    pub fn prune_closed_before(&mut self, cutoff: DateTime<Utc>) -> usize {
        let mut dropped = 0;
        for t in self.findings.values_mut() {
            let n = t.closed.len();
            t.closed.retain(|w| w.closed_at >= cutoff);
            dropped += n - t.closed.len();
        }
        self.findings
            .retain(|_, t| !t.points.is_empty() || !t.closed.is_empty());
        dropped
    }

    /// The state as JSON (for the state store).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("tracker state serializes")
    }

    /// State saved by [`Self::to_json`]; refuses another state version.
    pub fn from_json(text: &str) -> Result<Self, StateError> {
        let tracker: ExposureTracker = serde_json::from_str(text)?;
        if tracker.version != Self::STATE_VERSION {
            return Err(StateError::Version {
                found: tracker.version,
                expected: Self::STATE_VERSION,
            });
        }
        Ok(tracker)
    }
}

/// Settle what is older than the horizon: merge same-class runs into their
/// first point, move windows that closed there into `closed`, and drop
/// their points.
fn compact(finding_id: &str, track: &mut Track, horizon: chrono::Duration) {
    let Some(newest) = track.points.last().map(|p| p.at) else {
        return;
    };
    let cutoff = newest - horizon;
    let settled = track.points.partition_point(|p| p.at < cutoff);
    if settled == 0 {
        return;
    }
    // Merge runs of the same class (FAIL vs not FAIL) within the settled part.
    let mut merged: Vec<Point> = Vec::with_capacity(settled);
    for p in track.points.drain(..settled) {
        match merged.last_mut() {
            Some(last) if is_fail(last.verdict) == is_fail(p.verdict) => {
                last.merged += 1 + p.merged
            }
            _ => merged.push(p),
        }
    }
    // Freeze through the last non-FAIL settled point: nothing is open after it.
    let freeze = merged.iter().rposition(|p| !is_fail(p.verdict));
    if let Some(k) = freeze {
        let frozen: Vec<Point> = merged.drain(..=k).collect();
        track.closed.extend(derive(finding_id, &frozen).closed);
    }
    merged.append(&mut track.points);
    track.points = merged;
}
