//! What a detection run did: the closing summary printed on stderr.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::Duration;

use saker_rules::Priority;

/// How many example locations are kept per skip reason.
pub const EXAMPLES_PER_REASON: usize = 3;

/// Skips of one reason: how many, and where the first few were.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SkipCount {
    pub count: u64,
    /// `location: detail` of the first [`EXAMPLES_PER_REASON`] skips.
    pub examples: Vec<String>,
}

impl SkipCount {
    pub(crate) fn add(&mut self, example: impl FnOnce() -> String) {
        self.count += 1;
        if self.examples.len() < EXAMPLES_PER_REASON {
            self.examples.push(example());
        }
    }

    pub(crate) fn merge(&mut self, other: SkipCount) {
        self.count += other.count;
        for e in other.examples {
            if self.examples.len() < EXAMPLES_PER_REASON {
                self.examples.push(e);
            }
        }
    }
}

/// Alerts raised by one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCount {
    pub rule: String,
    pub priority: Priority,
    pub count: u64,
}

/// Counts for a whole run (or one unit, before merging).
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Source units named or found (files, stdin).
    pub units: u64,
    /// Units read and decoded.
    pub units_read: u64,
    /// Units skipped by their S3-layout name (`--since/--until/--account/--region`,
    /// digest files) without being opened.
    pub units_filtered: u64,
    /// Units that could not be read: `name: error`.
    pub unit_errors: Vec<String>,
    /// Live sources: units found already processed in the state store
    /// (not read again).
    pub units_done_before: u64,
    /// Bytes read from units (compressed size).
    pub bytes_read: u64,
    /// Bytes after decompression.
    pub bytes_decoded: u64,
    /// Records evaluated by the rules.
    pub records: u64,
    /// Records outside the time window / account / region filters.
    pub records_filtered: u64,
    /// Digest files or objects recognised (not evaluated).
    pub digests: u64,
    /// Insights records recognised (not evaluated by default).
    pub insights: u64,
    /// Records or inputs that could not be evaluated, by reason name.
    pub skipped: BTreeMap<String, SkipCount>,
    /// Alerts per rule index, in the ruleset's order.
    pub alerts_by_rule: BTreeMap<usize, u64>,
    /// Resolved names/priorities for `alerts_by_rule` (filled by the pipeline).
    pub rule_counts: Vec<RuleCount>,
    pub alerts: u64,
    /// The most severe priority among the alerts raised.
    pub most_severe: Option<Priority>,
    /// Newest `eventTime` among the evaluated records, in nanoseconds since
    /// the epoch (live sources report the lag behind real time from it).
    pub newest_event_ns: Option<i64>,
    pub elapsed: Duration,
    pub threads: usize,
}

impl Summary {
    /// Total records and inputs skipped.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().map(|s| s.count).sum()
    }

    /// Alerts per priority, most severe first.
    pub fn alerts_by_priority(&self) -> Vec<(Priority, u64)> {
        let mut by: BTreeMap<Priority, u64> = BTreeMap::new();
        for rc in &self.rule_counts {
            *by.entry(rc.priority).or_default() += rc.count;
        }
        by.into_iter().collect()
    }

    /// Add `other`'s counts to these (a run made of several pipeline runs,
    /// e.g. S3 batches). Rule counts are added by rule name; `elapsed` and
    /// `threads` are left to the caller.
    pub fn merge(&mut self, other: Summary) {
        for rc in &other.rule_counts {
            match self.rule_counts.iter_mut().find(|c| c.rule == rc.rule) {
                Some(c) => c.count += rc.count,
                None => self.rule_counts.push(rc.clone()),
            }
        }
        self.units += other.units;
        self.units_read += other.units_read;
        self.units_filtered += other.units_filtered;
        self.unit_errors.extend(other.unit_errors);
        self.units_done_before += other.units_done_before;
        self.bytes_read += other.bytes_read;
        self.bytes_decoded += other.bytes_decoded;
        self.records += other.records;
        self.records_filtered += other.records_filtered;
        self.digests += other.digests;
        self.insights += other.insights;
        for (k, v) in other.skipped {
            self.skipped.entry(k).or_default().merge(v);
        }
        for (k, v) in other.alerts_by_rule {
            *self.alerts_by_rule.entry(k).or_default() += v;
        }
        self.alerts += other.alerts;
        self.newest_event_ns = self.newest_event_ns.max(other.newest_event_ns);
        self.most_severe = match (self.most_severe, other.most_severe) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

impl fmt::Display for Summary {
    /// The closing summary: several lines, meant for stderr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        let mut s = String::new();
        let _ = writeln!(
            s,
            "saker detect: {} input(s): {} read, {} skipped by name, {} unreadable; {} in, {} decoded",
            self.units,
            self.units_read,
            self.units_filtered,
            self.unit_errors.len(),
            human_bytes(self.bytes_read),
            human_bytes(self.bytes_decoded),
        );
        if self.units_done_before > 0 {
            let _ = writeln!(
                s,
                "state: {} input(s) already processed in an earlier run, not read again",
                self.units_done_before
            );
        }
        let _ = writeln!(
            s,
            "records: {} evaluated, {} outside filters, {} skipped, {} digest file(s), {} insights record(s)",
            self.records,
            self.records_filtered,
            self.skipped_total(),
            self.digests,
            self.insights
        );
        if self.alerts == 0 {
            let _ = writeln!(s, "alerts: none");
        } else {
            let by_prio: Vec<String> = self
                .alerts_by_priority()
                .into_iter()
                .map(|(p, n)| format!("{n} {p}"))
                .collect();
            let _ = writeln!(s, "alerts: {} ({})", self.alerts, by_prio.join(", "));
            let mut rules = self.rule_counts.clone();
            rules.sort_by(|a, b| {
                a.priority
                    .cmp(&b.priority)
                    .then(b.count.cmp(&a.count))
                    .then(a.rule.cmp(&b.rule))
            });
            for rc in rules {
                let _ = writeln!(
                    s,
                    "  {:>7}  {:<13} {}",
                    rc.count,
                    rc.priority.as_str(),
                    rc.rule
                );
            }
        }
        for e in &self.unit_errors {
            let _ = writeln!(s, "unreadable: {e}");
        }
        for (reason, sc) in &self.skipped {
            let _ = writeln!(s, "skipped {reason}: {}", sc.count);
            for ex in &sc.examples {
                let _ = writeln!(s, "  {}", saker_rules::output::escape_for_terminal(ex));
            }
            if sc.count > sc.examples.len() as u64 {
                let _ = writeln!(s, "  … and {} more", sc.count - sc.examples.len() as u64);
            }
        }
        let _ = write!(
            s,
            "{:.2}s, {} thread(s): {:.0} records/s, {}/s decoded",
            self.elapsed.as_secs_f64(),
            self.threads,
            self.records as f64 / secs,
            human_bytes((self.bytes_decoded as f64 / secs) as u64)
        );
        f.write_str(&s)
    }
}
