//! The continuous-posture engine: CloudTrail records in, posture changes
//! out (`saker detect --posture`).
//!
//! ```text
//!  record ─is_routed?─► try_route ─► Change ─┬─► implied FAILs (request shows the exposure) ─► tracker
//!                                            └─► Debouncer ──(due)──► resolve ─► Describer ─► patch inventory
//!                                                                     ─► routed checks on the region
//!                                                                     ─► findings of that resource ─► tracker
//!  periodic full scan (Describer::scan) ─► all checks ─► tracker
//!  tracker outcome: exposure opened ─► PostureChange::Failed; window closed ─► PostureChange::Resolved
//! ```
//!
//! [`PostureWatch`] holds the latest [`Inventory`] (a full scan at start,
//! or a saved one), a [`Debouncer`] and an [`ExposureTracker`]. It is
//! synchronous and clock-free: every call takes `now`, and the
//! [`Describer`] does the I/O, so tests drive it with a fake describer and
//! chosen times.
//!
//! Decisions:
//! * **Observation times.** A re-check result holds from the `eventTime`
//!   of the latest event of its burst ([`Due::latest_time`]), an
//!   event-implied FAIL from its own event's `eventTime`, a scan result
//!   from the inventory's `collected_at`.
//! * **Event-implied FAILs are not debounced**: they are recorded when the
//!   record arrives; the re-describe of the same event then carries the
//!   same `eventID` and is ignored as a duplicate by the tracker, while a
//!   later event of the burst (the revoke) closes the window.
//! * **Scans feed the tracker sparingly**: every FAIL, but a PASS (or a
//!   resource gone) only for a finding with an exposure open since before
//!   the scan. A PASS from a scan taken *after* events still waiting in the
//!   queue would otherwise close their exposures at the scan time rather
//!   than at the revoke that really closed them.
//! * **Baseline.** The first scan (or `--posture-inventory`) reports no
//!   new FAILs — those are `saker posture`'s business — only windows it
//!   closes of exposures carried over in a saved tracker.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::checks::{self, CheckContext};
use crate::finding::{ChangeEvent, Finding, Status};
use crate::inventory::{AccountInventory, Inventory, RegionInventory};
use crate::params::Params;

use super::debounce::{DebounceConfig, Debouncer, Due};
use super::describe::{patch, resolve, Describer};
use super::exposure::{Closure, Exposure, ExposureTracker, Observation, Outcome, Verdict, Window};
use super::implied::implied_failures;
use super::route::try_route;

/// How the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchConfig {
    pub debounce: DebounceConfig,
    /// Time between full scans (`--posture-scan-interval`, default 24 h);
    /// `None`: never after the first.
    pub scan_interval: Option<Duration>,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            debounce: DebounceConfig::default(),
            scan_interval: Some(Duration::from_secs(24 * 3600)),
        }
    }
}

/// Which way a finding moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// It started failing (an exposure opened).
    Failed,
    /// It stopped failing (a window closed: PASS, or the resource is gone).
    Resolved,
}

impl Transition {
    /// `failed` or `resolved`.
    pub fn as_str(self) -> &'static str {
        match self {
            Transition::Failed => "failed",
            Transition::Resolved => "resolved",
        }
    }
}

/// One posture change: a finding that started or stopped failing.
#[derive(Debug, Clone, PartialEq)]
pub struct PostureChange {
    pub transition: Transition,
    /// The finding as last seen (`changed_by` = the event that caused the
    /// change, `None` for a scan). For a resource that is gone, the last
    /// finding seen with status PASS and a detail saying so.
    pub finding: Finding,
    /// The exposure: `[opened_at, closed_at]`, who opened and who closed.
    pub opened_at: DateTime<Utc>,
    pub opened_by: Option<ChangeEvent>,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<ChangeEvent>,
    pub closed_because: Option<Closure>,
    /// The FAIL was implied by the request (see [`super::implied`]).
    pub implied: bool,
    /// A late observation rewrote a window or exposure reported before.
    pub revised: bool,
}

impl PostureChange {
    /// When the change holds: `closed_at` for a resolution, else `opened_at`.
    pub fn time(&self) -> DateTime<Utc> {
        self.closed_at.unwrap_or(self.opened_at)
    }

    /// The event the change is attributed to (`None`: a scan).
    pub fn event(&self) -> Option<&ChangeEvent> {
        match self.transition {
            Transition::Failed => self.opened_by.as_ref(),
            Transition::Resolved => self.closed_by.as_ref(),
        }
    }
}

/// Counts of one engine run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchStats {
    /// Records handed to [`PostureWatch::record`].
    pub records: u64,
    /// Records that routed to a change.
    pub routed: u64,
    /// Records in the routing table that could not be used, by reason
    /// ([`super::Unrouted::name`]).
    pub unusable: BTreeMap<&'static str, u64>,
    /// Records that are not JSON.
    pub bad_records: u64,
    /// Event-implied FAIL observations.
    pub implied: u64,
    /// Debounced re-checks run.
    pub rechecks: u64,
    /// Resources re-read.
    pub lookups: u64,
    /// Re-reads that failed; the first few messages in `errors`.
    pub lookup_errors: u64,
    /// Routed resources with nothing to re-read, by reason
    /// ([`super::describe::Unresolved::name`]): left to the periodic scan.
    pub unresolved: BTreeMap<&'static str, u64>,
    /// Full scans done (the first included) and failed.
    pub scans: u64,
    pub scan_errors: u64,
    /// Observations refused as older than the tracker's horizon.
    pub too_late: u64,
    /// Changes reported.
    pub failed: u64,
    pub resolved: u64,
    /// The first messages of failures (at most 10).
    pub errors: Vec<String>,
}

impl WatchStats {
    fn error(&mut self, msg: String) {
        if self.errors.len() < 10 {
            self.errors.push(msg);
        }
    }
}

/// The finding a finding id last had, per resource.
type Known = BTreeMap<(String, String, String), BTreeMap<String, Finding>>;

/// The engine (see the module doc).
pub struct PostureWatch<D: Describer> {
    describer: D,
    params: Params,
    inventory: Inventory,
    debouncer: Debouncer,
    tracker: ExposureTracker,
    known: Known,
    scan_interval: Option<chrono::Duration>,
    last_scan: DateTime<Utc>,
    stats: WatchStats,
}

fn key_of(f: &Finding) -> (String, String, String) {
    (
        f.account_id.clone(),
        f.region.clone(),
        f.resource_id.clone(),
    )
}

fn collected_at(inv: &Inventory, fallback: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&inv.collected_at)
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(fallback)
}

impl<D: Describer> PostureWatch<D> {
    /// Start from `inventory` (`None`: a full scan through `describer` now)
    /// and `tracker` (fresh, or loaded from the state store). Returns the
    /// engine and the baseline's changes (windows of carried-over
    /// exposures that the baseline closes).
    ///
    /// # Errors
    /// The first scan failed.
    pub fn start(
        mut describer: D,
        params: Params,
        inventory: Option<Inventory>,
        tracker: ExposureTracker,
        config: WatchConfig,
        now: DateTime<Utc>,
    ) -> Result<(Self, Vec<PostureChange>), String> {
        let inventory = match inventory {
            Some(i) => i,
            None => describer.scan()?,
        };
        let mut watch = PostureWatch {
            describer,
            params,
            inventory: Inventory::new(String::new()),
            debouncer: Debouncer::new(config.debounce),
            tracker,
            known: Known::new(),
            scan_interval: config
                .scan_interval
                .map(|d| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)),
            last_scan: now,
            stats: WatchStats::default(),
        };
        let mut changes = watch.apply_scan(inventory, now);
        changes.retain(|c| c.transition == Transition::Resolved);
        watch.count(&changes);
        Ok((watch, changes))
    }

    pub fn stats(&self) -> &WatchStats {
        &self.stats
    }

    pub fn tracker(&self) -> &ExposureTracker {
        &self.tracker
    }

    pub fn inventory(&self) -> &Inventory {
        &self.inventory
    }

    /// Open exposures, and closed windows, as the tracker holds them.
    pub fn exposures(&self) -> (Vec<Exposure>, Vec<Window>) {
        (self.tracker.open_exposures(), self.tracker.closed_windows())
    }

    /// When the next debounced re-check is due, if any is waiting.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.debouncer.next_due()
    }

    /// Cheap prefilter for the hot path: whether a record with this
    /// `eventSource`/`eventName` can matter ([`super::is_routed`]).
    pub fn selects(event_source: &str, event_name: &str) -> bool {
        super::route::is_routed(event_source, event_name)
    }

    /// One CloudTrail record as JSON text (see [`Self::record`]).
    pub fn record_json(&mut self, raw: &str, now: DateTime<Utc>) -> Vec<PostureChange> {
        match serde_json::from_str::<Value>(raw) {
            Ok(v) => self.record(&v, now),
            Err(e) => {
                self.stats.records += 1;
                self.stats.bad_records += 1;
                self.stats.error(format!("record is not JSON: {e}"));
                Vec::new()
            }
        }
    }

    /// One CloudTrail record, arrived at `now`: routed, its implied FAILs
    /// recorded at once, its resources queued for a re-check.
    pub fn record(&mut self, record: &Value, now: DateTime<Utc>) -> Vec<PostureChange> {
        self.stats.records += 1;
        let change = match try_route(record) {
            Ok(c) => c,
            Err(why) => {
                if !why.is_expected() {
                    *self.stats.unusable.entry(why.name()).or_default() += 1;
                }
                return Vec::new();
            }
        };
        self.stats.routed += 1;
        let mut out = Vec::new();
        for f in implied_failures(record, &change, &self.inventory, &self.params) {
            self.stats.implied += 1;
            let k = key_of(&f);
            let per = self.known.entry(k).or_default();
            per.entry(f.check_id.clone()).or_insert_with(|| f.clone());
            self.observe(&f, Verdict::Fail, change.time, true, &mut out);
        }
        self.debouncer.push(&change, now);
        self.count(&out);
        out
    }

    /// Run the re-checks due at `now`, and the periodic scan when due.
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<PostureChange> {
        let mut out = Vec::new();
        for due in self.debouncer.drain_due(now) {
            self.recheck(due, &mut out);
        }
        if let Some(every) = self.scan_interval {
            if now - self.last_scan >= every {
                self.last_scan = now;
                match self.describer.scan() {
                    Ok(inv) => out.extend(self.apply_scan(inv, now)),
                    Err(e) => {
                        self.stats.scan_errors += 1;
                        self.stats.error(format!("periodic scan: {e}"));
                    }
                }
            }
        }
        self.count(&out);
        out
    }

    /// Run every waiting re-check now (end of input).
    pub fn finish(&mut self) -> Vec<PostureChange> {
        let mut out = Vec::new();
        for due in self.debouncer.drain_all() {
            self.recheck(due, &mut out);
        }
        self.count(&out);
        out
    }

    fn count(&mut self, changes: &[PostureChange]) {
        for c in changes {
            match c.transition {
                Transition::Failed => self.stats.failed += 1,
                Transition::Resolved => self.stats.resolved += 1,
            }
        }
    }

    /// Record one verdict on `finding` and turn the tracker's outcome into
    /// changes.
    fn observe(
        &mut self,
        finding: &Finding,
        verdict: Verdict,
        at: DateTime<Utc>,
        implied: bool,
        out: &mut Vec<PostureChange>,
    ) {
        let outcome = self.tracker.observe(Observation {
            finding_id: finding.finding_id.clone(),
            verdict,
            at,
            event: finding.changed_by.clone(),
        });
        let (opened, closed, revised) = match outcome {
            Outcome::Recorded {
                opened,
                closed,
                revised,
            } => (opened, closed, revised),
            Outcome::TooLate => {
                self.stats.too_late += 1;
                return;
            }
            Outcome::Duplicate | Outcome::NotEvaluated => return,
        };
        if let Some(e) = opened {
            out.push(PostureChange {
                transition: Transition::Failed,
                finding: finding.clone(),
                opened_at: e.opened_at,
                opened_by: e.opened_by,
                closed_at: None,
                closed_by: None,
                closed_because: None,
                implied,
                revised,
            });
        }
        for w in closed {
            out.push(PostureChange {
                transition: Transition::Resolved,
                finding: finding.clone(),
                opened_at: w.opened_at,
                opened_by: w.opened_by,
                closed_at: Some(w.closed_at),
                closed_by: w.closed_by,
                closed_because: Some(w.closed_because),
                implied: false,
                revised,
            });
        }
    }

    /// Re-describe one debounced resource and re-run its checks.
    fn recheck(&mut self, due: Due, out: &mut Vec<PostureChange>) {
        self.stats.rechecks += 1;
        let key = &due.key;
        let lookups = {
            let region = self
                .inventory
                .accounts
                .iter()
                .find(|a| a.account_id == key.account_id)
                .and_then(|a| a.regions.iter().find(|r| r.region == key.region));
            match resolve(&key.resource, region) {
                Ok(l) => l,
                Err(why) => {
                    *self.stats.unresolved.entry(why.name()).or_default() += 1;
                    return;
                }
            }
        };
        let mut described = Vec::new();
        for lookup in &lookups {
            self.stats.lookups += 1;
            match self
                .describer
                .describe(&key.account_id, &key.region, lookup)
            {
                Ok(d) => described.push(d),
                Err(e) => {
                    self.stats.lookup_errors += 1;
                    self.stats.error(format!(
                        "re-describe {lookup} in {}/{}: {e}",
                        key.account_id, key.region
                    ));
                }
            }
        }
        if described.is_empty() {
            return;
        }
        let region = region_mut(&mut self.inventory, &key.account_id, &key.region);
        let mut keep: BTreeSet<String> = BTreeSet::new();
        for d in described {
            keep.extend(patch(region, d));
        }
        let check_ids: BTreeSet<&str> = due.checks.iter().map(|c| c.as_str()).collect();
        let findings =
            self.run_on_region(&key.account_id, &key.region, &check_ids, due.latest_time);
        let mut seen: BTreeSet<String> = BTreeSet::new();
        for mut f in findings
            .into_iter()
            .filter(|f| keep.contains(&f.resource_id))
        {
            f.changed_by = Some(due.latest.clone());
            seen.insert(f.finding_id.clone());
            self.observe(&f, f.status.into(), due.latest_time, false, out);
            self.known
                .entry(key_of(&f))
                .or_default()
                .insert(f.check_id.clone(), f);
        }
        // Findings of these resources and checks that are no longer
        // produced: the resource is gone.
        for rid in &keep {
            let k = (key.account_id.clone(), key.region.clone(), rid.clone());
            let gone: Vec<Finding> = self
                .known
                .get(&k)
                .map(|m| {
                    m.values()
                        .filter(|f| check_ids.contains(f.check_id.as_str()))
                        .filter(|f| !seen.contains(&f.finding_id))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default();
            for mut f in gone {
                if let Some(m) = self.known.get_mut(&k) {
                    m.remove(&f.check_id);
                }
                f.status = Status::Pass;
                f.detail = format!("resource {} no longer exists", f.resource_id);
                f.changed_by = Some(due.latest.clone());
                self.observe(&f, Verdict::Gone, due.latest_time, false, out);
            }
        }
    }

    /// Run `check_ids` on one region of the inventory.
    fn run_on_region(
        &self,
        account_id: &str,
        region: &str,
        check_ids: &BTreeSet<&str>,
        now: DateTime<Utc>,
    ) -> Vec<Finding> {
        let mut out = Vec::new();
        let Some(account) = self
            .inventory
            .accounts
            .iter()
            .find(|a| a.account_id == account_id)
        else {
            return out;
        };
        let Some(region) = account.regions.iter().find(|r| r.region == region) else {
            return out;
        };
        let ctx = CheckContext {
            account,
            region,
            params: &self.params,
            now,
        };
        for check in checks::all_checks() {
            if check_ids.contains(check.meta().id) {
                check.run(&ctx, &mut out);
            }
        }
        out
    }

    /// Take a full scan's inventory: run every check, feed the tracker (see
    /// the module doc), keep the inventory and the findings.
    fn apply_scan(&mut self, inventory: Inventory, now: DateTime<Utc>) -> Vec<PostureChange> {
        self.stats.scans += 1;
        let at = collected_at(&inventory, now);
        let findings = checks::run_checks(&checks::all_checks(), &inventory, &self.params, now);
        let mut out = Vec::new();
        let mut fresh = Known::new();
        for f in findings {
            let open_before = self
                .tracker
                .exposure(&f.finding_id)
                .is_some_and(|e| e.last_fail_at < at);
            match f.status {
                Status::Fail => self.observe(&f, Verdict::Fail, at, false, &mut out),
                Status::Pass if open_before => self.observe(&f, Verdict::Pass, at, false, &mut out),
                _ => {}
            }
            fresh
                .entry(key_of(&f))
                .or_default()
                .insert(f.check_id.clone(), f);
        }
        // Known findings the scan no longer produces, where their data was
        // collected: the resource is gone.
        let old = std::mem::take(&mut self.known);
        for (k, per) in old {
            for (check_id, mut f) in per {
                let produced = fresh.get(&k).is_some_and(|m| m.contains_key(&check_id));
                if produced || !collected(&inventory, &f) {
                    continue;
                }
                let open_before = self
                    .tracker
                    .exposure(&f.finding_id)
                    .is_some_and(|e| e.last_fail_at < at);
                if open_before {
                    f.status = Status::Pass;
                    f.detail = format!("resource {} no longer exists", f.resource_id);
                    f.changed_by = None;
                    self.observe(&f, Verdict::Gone, at, false, &mut out);
                }
            }
        }
        self.known = fresh;
        self.inventory = inventory;
        out
    }
}

/// Whether the data `finding`'s check needs was collected in its region.
fn collected(inventory: &Inventory, finding: &Finding) -> bool {
    let Some(check) = checks::check_by_id(&finding.check_id) else {
        return false;
    };
    inventory
        .accounts
        .iter()
        .find(|a| a.account_id == finding.account_id)
        .and_then(|a| a.regions.iter().find(|r| r.region == finding.region))
        .is_some_and(|r| {
            check
                .meta()
                .needs
                .iter()
                .all(|api| !r.errors.contains_key(*api))
        })
}

/// The account and region of the inventory, added (empty) when missing.
fn region_mut<'a>(
    inventory: &'a mut Inventory,
    account_id: &str,
    region: &str,
) -> &'a mut RegionInventory {
    let ai = match inventory
        .accounts
        .iter()
        .position(|a| a.account_id == account_id)
    {
        Some(i) => i,
        None => {
            inventory.accounts.push(AccountInventory {
                account_id: account_id.to_string(),
                partition: "aws".into(),
                role_arn: None,
                all_regions: None,
                instance_profiles: None,
                regions: Vec::new(),
                errors: Default::default(),
            });
            inventory.accounts.len() - 1
        }
    };
    let account = &mut inventory.accounts[ai];
    let ri = match account.regions.iter().position(|r| r.region == region) {
        Some(i) => i,
        None => {
            account.regions.push(RegionInventory::new(region));
            account.regions.len() - 1
        }
    };
    &mut account.regions[ri]
}
