//! Lines in, alerts out: parse → group → process table → evaluate.
//!
//! [`Runtime`] is the whole per-host state machine. Feed it lines with
//! [`Runtime::feed_line`] (any source), call [`Runtime::tick`] when a live
//! source is idle (closes events whose `EOE` was lost) and
//! [`Runtime::finish`] at the end of the input. Every alert goes to the
//! callback with the event that raised it, in input order.
//!
//! Nothing is dropped silently: lines that are not records are counted in
//! [`RunSummary::skipped_lines`] with their first [`MAX_REPORTED`]
//! locations; events without a `SYSCALL` record (user-space messages such
//! as `USER_LOGIN`, `CONFIG_CHANGE` alone) are counted as
//! `non_syscall_events` — Falco's syscall rules cannot see them.

use std::collections::BTreeMap;
use std::fmt;

use saker_rules::output::{Alert, OutputOptions};
use saker_rules::ruleset::Ruleset;
use saker_rules::Priority;

use crate::audit::{parse_line, AuditEvent, GroupOptions, GroupStats, Grouper};
use crate::decode::Syscall;
use crate::event::{RuntimeEvent, UserNames};
use crate::proctable::ProcTable;

/// How many problem locations a summary keeps (the counts are complete).
pub const MAX_REPORTED: usize = 20;

/// Options of a run.
#[derive(Debug, Clone, Default)]
pub struct RuntimeOptions {
    pub group: GroupOptions,
    /// `output.hostname`: `evt.hostname` and the alert's `hostname` when
    /// records carry no `node=` (the records' `node=` wins). This host's
    /// name for live sources; `<NA>` for a log read after the fact.
    pub output: OutputOptions,
    /// uid → name for records without ENRICHED names (see [`UserNames`]:
    /// this host's `/etc/passwd` only for live sources; unknown uids
    /// render as numbers).
    pub users: UserNames,
    /// Process-table capacity (0: the default, 65,536).
    pub max_processes: usize,
    /// The EC2 instance id ([`crate::instance::discover`] for live
    /// sources, only an explicit `--instance-id` for a log file): added
    /// to every alert as the output field `ec2.instance_id` and appended to
    /// its text as ` instance_id=<id>` (as Falco's `append_output` adds
    /// fixed fields). `None`: alerts carry no instance id.
    pub instance_id: Option<String>,
}

/// The output field carrying [`RuntimeOptions::instance_id`].
pub const INSTANCE_ID_FIELD: &str = "ec2.instance_id";

/// Add the instance id to an alert (see [`RuntimeOptions::instance_id`]).
pub fn add_instance_id(alert: &mut Alert, id: &str) {
    let suffix = format!(" instance_id={id}");
    alert.output.push_str(&suffix);
    alert.message.push_str(&suffix);
    let value = Some(serde_json::Value::String(id.to_string()));
    match alert
        .output_fields
        .binary_search_by(|(k, _)| k.as_str().cmp(INSTANCE_ID_FIELD))
    {
        Ok(i) => alert.output_fields[i].1 = value,
        Err(i) => alert
            .output_fields
            .insert(i, (INSTANCE_ID_FIELD.to_string(), value)),
    }
}

/// What a run saw.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    pub lines: u64,
    pub skipped_lines: u64,
    /// `(line, reason)` of the first skipped lines.
    pub skipped: Vec<(u64, String)>,
    pub group: GroupStats,
    pub syscall_events: u64,
    pub non_syscall_events: u64,
    /// Events whose `arch=` saker has no syscall table for.
    pub unknown_arch_events: u64,
    /// Decoding problems: `(line, message)` of the first ones.
    pub warnings: Vec<(u64, String)>,
    pub warning_count: u64,
    pub alerts: u64,
    pub alerts_by_rule: BTreeMap<String, u64>,
    pub most_severe: Option<Priority>,
    pub processes: usize,
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "audit: {} lines, {} records, {} events ({} syscall, {} other), {} skipped line(s)",
            self.lines,
            self.group.records,
            self.group.events,
            self.syscall_events,
            self.non_syscall_events,
            self.skipped_lines
        )?;
        for (line, why) in &self.skipped {
            writeln!(f, "  line {line}: {why}")?;
        }
        if self.skipped_lines as usize > self.skipped.len() {
            writeln!(
                f,
                "  … {} more",
                self.skipped_lines as usize - self.skipped.len()
            )?;
        }
        let g = &self.group;
        if g.by_timeout + g.by_overflow + g.at_end + g.late_records + g.stray_eoe > 0 {
            writeln!(
                f,
                "grouping: {} closed by timeout (lost EOE), {} by overflow, {} at end of input, {} late record(s), {} stray EOE",
                g.by_timeout, g.by_overflow, g.at_end, g.late_records, g.stray_eoe
            )?;
        }
        if self.warning_count > 0 {
            writeln!(f, "decoding: {} warning(s)", self.warning_count)?;
            for (line, w) in &self.warnings {
                writeln!(f, "  line {line}: {w}")?;
            }
        }
        write!(f, "alerts: {}", self.alerts)?;
        for (rule, n) in &self.alerts_by_rule {
            write!(f, "\n  {n:>6}  {rule}")?;
        }
        Ok(())
    }
}

/// The runtime state machine (see the module docs).
pub struct Runtime<'r> {
    ruleset: &'r Ruleset,
    opts: RuntimeOptions,
    grouper: Grouper,
    table: ProcTable,
    summary: RunSummary,
    events: Vec<AuditEvent>,
    matches: Vec<saker_rules::Match>,
}

impl<'r> Runtime<'r> {
    pub fn new(ruleset: &'r Ruleset, opts: RuntimeOptions) -> Self {
        let table = if opts.max_processes > 0 {
            ProcTable::new(opts.max_processes)
        } else {
            ProcTable::default()
        };
        Runtime {
            ruleset,
            grouper: Grouper::new(opts.group),
            opts,
            table,
            summary: RunSummary::default(),
            events: Vec::new(),
            matches: Vec::new(),
        }
    }

    /// The process table (e.g. to seed it from `/proc`).
    pub fn table_mut(&mut self) -> &mut ProcTable {
        &mut self.table
    }

    pub fn summary(&self) -> &RunSummary {
        &self.summary
    }

    /// Feed one input line (1-based `line` number).
    pub fn feed_line(
        &mut self,
        line: u64,
        bytes: &[u8],
        on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent),
    ) {
        self.summary.lines += 1;
        match parse_line(bytes) {
            Ok(rec) => {
                let mut evs = std::mem::take(&mut self.events);
                self.grouper.push(rec, line, &mut evs);
                self.drain(&mut evs, on_alert);
                self.events = evs;
            }
            Err(crate::audit::RecordError::Empty) => {}
            Err(e) => {
                self.summary.skipped_lines += 1;
                if self.summary.skipped.len() < MAX_REPORTED {
                    self.summary.skipped.push((line, e.to_string()));
                }
            }
        }
    }

    /// Close events older than the grouping timeout at wall-clock `now_ms`.
    pub fn tick(&mut self, now_ms: u64, on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent)) {
        let mut evs = std::mem::take(&mut self.events);
        self.grouper.expire_at(now_ms, &mut evs);
        self.drain(&mut evs, on_alert);
        self.events = evs;
    }

    /// End of input: close every open event; returns the summary.
    pub fn finish(&mut self, on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent)) -> RunSummary {
        let mut evs = std::mem::take(&mut self.events);
        self.grouper.flush(&mut evs);
        self.drain(&mut evs, on_alert);
        self.summary.group = self.grouper.stats();
        self.summary.processes = self.table.len();
        self.summary.clone()
    }

    fn drain(
        &mut self,
        evs: &mut Vec<AuditEvent>,
        on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent),
    ) {
        for ev in evs.drain(..) {
            self.process(&ev, on_alert);
        }
        self.summary.group = self.grouper.stats();
    }

    /// Evaluate one grouped event.
    pub fn process(&mut self, ev: &AuditEvent, on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent)) {
        let Some(sc) = Syscall::decode(ev) else {
            self.summary.non_syscall_events += 1;
            return;
        };
        self.summary.syscall_events += 1;
        if sc.arch.is_none() {
            self.summary.unknown_arch_events += 1;
        }
        for w in &sc.warnings {
            self.summary.warning_count += 1;
            if self.summary.warnings.len() < MAX_REPORTED {
                self.summary.warnings.push((sc.line, w.clone()));
            }
        }
        self.table.observe(&sc);
        let rev = RuntimeEvent::build(
            sc,
            &self.table,
            &self.opts.output.hostname,
            &self.opts.users,
        );
        let cache = self.ruleset.cache(&rev);
        self.matches.clear();
        self.ruleset.evaluate_cached(&cache, &mut self.matches);
        for m in &self.matches {
            let mut alert = self.ruleset.alert(m, &cache, &self.opts.output);
            // the records' `node=` names the host that wrote them
            alert.hostname.clone_from(&rev.hostname);
            if let Some(id) = &self.opts.instance_id {
                add_instance_id(&mut alert, id);
            }
            self.summary.alerts += 1;
            *self
                .summary
                .alerts_by_rule
                .entry(alert.rule.clone())
                .or_default() += 1;
            if self
                .summary
                .most_severe
                .is_none_or(|w| alert.priority.at_least(w) && alert.priority != w)
            {
                self.summary.most_severe = Some(alert.priority);
            }
            on_alert(&alert, &rev);
        }
    }
}
