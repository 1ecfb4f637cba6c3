//! Coalescing bursts of changes to one resource before re-describing it.
//!
//! A console edit of a security group emits several calls within a second
//! or two (revoke, authorize, update descriptions); re-describing after
//! each would cost API calls and report transient states. The
//! [`Debouncer`] holds each (account, region, resource) until no new
//! change arrived for [`DebounceConfig::window`] (default 2 s), or until
//! [`DebounceConfig::max_wait`] (default 10 s) after its first change so
//! that a steady stream of edits cannot postpone the re-check forever.
//!
//! The clock is the caller's: every call takes `now` (wall-clock arrival
//! time for a live queue; the records' `eventTime` when replaying files),
//! so the behaviour is deterministic and testable without sleeping. A
//! caller drains what is due with [`Debouncer::drain_due`], sleeping until
//! [`Debouncer::next_due`] in between, and flushes the rest with
//! [`Debouncer::drain_all`] at the end of a batch.
//!
//! What a burst keeps: the union of the checks asked for, the first and
//! the latest [`ChangeEvent`] by `eventTime` (CloudTrail delivers out of
//! order; ties go to the later arrival), and how many events were merged.
//! A change reverted within the window (authorize then revoke 1 s later)
//! is therefore re-checked once, after the revert: such a sub-window
//! exposure is not seen by the re-describe (see `docs/posture.md`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::check_id::CheckId;
use super::resource::Resource;
use super::route::Change;
use crate::finding::ChangeEvent;

/// Debounce timing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DebounceConfig {
    /// Quiet time after the latest change before re-describing. Default 2 s.
    #[serde(with = "super::serde_time::millis")]
    pub window: Duration,
    /// Longest a resource waits after its first change. Default 10 s;
    /// never less than `window`.
    #[serde(with = "super::serde_time::millis")]
    pub max_wait: Duration,
}

impl Default for DebounceConfig {
    fn default() -> Self {
        DebounceConfig {
            window: Duration::from_secs(2),
            max_wait: Duration::from_secs(10),
        }
    }
}

/// What is debounced: one resource of one account and region.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ResourceKey {
    pub account_id: String,
    pub region: String,
    pub resource: Resource,
}

/// A resource whose burst is over: re-describe it and re-run `checks`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Due {
    pub key: ResourceKey,
    /// Union of the checks of every merged change.
    pub checks: BTreeSet<CheckId>,
    /// The change with the latest `eventTime`: the one a new finding
    /// status is attributed to.
    pub latest: ChangeEvent,
    /// `eventTime` of `latest`.
    #[serde(with = "super::serde_time::rfc3339")]
    pub latest_time: DateTime<Utc>,
    /// The change with the earliest `eventTime` (the burst's start).
    pub first: ChangeEvent,
    /// `eventTime` of `first`.
    #[serde(with = "super::serde_time::rfc3339")]
    pub first_time: DateTime<Utc>,
    /// How many changes were merged (repeats of one eventID count once).
    pub events: u32,
}

#[derive(Debug, Clone)]
struct Pending {
    due: Due,
    /// Arrival (`now`) of the first and latest change.
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    event_ids: BTreeSet<String>,
}

impl Pending {
    fn due_at(&self, cfg: &DebounceConfig) -> DateTime<Utc> {
        let quiet = self.last_seen + to_chrono(cfg.window);
        let cap = self.first_seen + to_chrono(cfg.max_wait.max(cfg.window));
        quiet.min(cap)
    }
}

fn to_chrono(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

/// Per-resource burst coalescing (see the module doc).
#[derive(Debug, Clone, Default)]
pub struct Debouncer {
    config: DebounceConfig,
    pending: BTreeMap<ResourceKey, Pending>,
}

impl Debouncer {
    pub fn new(config: DebounceConfig) -> Self {
        Debouncer {
            config,
            pending: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &DebounceConfig {
        &self.config
    }

    /// Add every target of `change`, arrived at `now`. A repeated delivery
    /// of the same `eventID` for a resource is merged without counting.
    pub fn push(&mut self, change: &Change, now: DateTime<Utc>) {
        for target in &change.targets {
            let key = ResourceKey {
                account_id: change.account_id.clone(),
                region: change.region.clone(),
                resource: target.resource.clone(),
            };
            match self.pending.get_mut(&key) {
                Some(p) => {
                    p.due.checks.extend(target.checks.iter().copied());
                    if !p.event_ids.insert(change.event.event_id.clone()) {
                        continue;
                    }
                    p.last_seen = p.last_seen.max(now);
                    p.due.events += 1;
                    if change.time >= p.due.latest_time {
                        p.due.latest = change.event.clone();
                        p.due.latest_time = change.time;
                    }
                    if change.time < p.due.first_time {
                        p.due.first = change.event.clone();
                        p.due.first_time = change.time;
                    }
                }
                None => {
                    let due = Due {
                        key: key.clone(),
                        checks: target.checks.clone(),
                        latest: change.event.clone(),
                        latest_time: change.time,
                        first: change.event.clone(),
                        first_time: change.time,
                        events: 1,
                    };
                    let pending = Pending {
                        due,
                        first_seen: now,
                        last_seen: now,
                        event_ids: BTreeSet::from([change.event.event_id.clone()]),
                    };
                    self.pending.insert(key, pending);
                }
            }
        }
    }

    /// When the next resource becomes due, if any is pending.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.pending.values().map(|p| p.due_at(&self.config)).min()
    }

    /// Remove and return every resource due at `now`, earliest due first
    /// (ties in key order).
    pub fn drain_due(&mut self, now: DateTime<Utc>) -> Vec<Due> {
        let config = self.config;
        let ready: Vec<(DateTime<Utc>, ResourceKey)> = self
            .pending
            .iter()
            .map(|(k, p)| (p.due_at(&config), k))
            .filter(|(at, _)| *at <= now)
            .map(|(at, k)| (at, k.clone()))
            .collect();
        let mut ready = ready;
        ready.sort();
        ready
            .into_iter()
            .filter_map(|(_, k)| self.pending.remove(&k).map(|p| p.due))
            .collect()
    }

    /// Remove and return everything pending (end of a batch), earliest due
    /// first.
    pub fn drain_all(&mut self) -> Vec<Due> {
        match self.pending.values().map(|p| p.due_at(&self.config)).max() {
            Some(last) => self.drain_due(last),
            None => Vec::new(),
        }
    }

    /// Resources waiting.
    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
