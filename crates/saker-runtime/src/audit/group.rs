//! Grouping records into events.
//!
//! All kernel records of one event share `(node, timestamp, serial)`
//! ([`EventKey`]); records of different events may interleave. The kernel
//! writes an event's records in a fixed order — the syscall record, the
//! auxiliary records, `CWD`, `PATH`s, `PROCTITLE` — and closes it with `EOE`
//! (which auditd does not write to `audit.log`). An in-flight event is
//! therefore complete when:
//!
//! 1. its `EOE` arrives (netlink, plugins);
//! 2. its `PROCTITLE` arrives (the last kernel record before `EOE`);
//! 3. it is older than the timeout in stream time (a record at least
//!    `timeout_ms` later than the newest record seen when the event opened
//!    has arrived): lost `EOE`;
//! 4. more than `max_inflight` events are open (the oldest goes);
//! 5. the input ends ([`Grouper::flush`]).
//!
//! User-space records (1100–1299, 2100+) and `ANOM_*` are events on their
//! own. A record arriving for an event that was already emitted (a late
//! record) starts a new event and is counted, never dropped; a late `EOE`
//! after `PROCTITLE` is expected; one for an unknown event is counted.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use super::record::{is_single_record_type, EventKey, Record};

/// How an event was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Completion {
    Eoe,
    Proctitle,
    /// A single-record event.
    Single,
    /// Closed by the stream-time timeout (lost `EOE`).
    Timeout,
    /// Closed because too many events were in flight.
    Overflow,
    /// Closed at the end of the input.
    EndOfInput,
}

/// One audit event: its records in arrival order.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub key: EventKey,
    pub records: Vec<Record>,
    /// 1-based input line of the first record.
    pub first_line: u64,
    pub completion: Completion,
}

impl AuditEvent {
    /// The first record of type `name`.
    pub fn record(&self, name: &str) -> Option<&Record> {
        self.records.iter().find(|r| r.type_name == name)
    }

    /// Every record of type `name`, in order.
    pub fn records_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Record> + 'a {
        self.records.iter().filter(move |r| r.type_name == name)
    }
}

/// Grouping options.
#[derive(Debug, Clone, Copy)]
pub struct GroupOptions {
    /// Stream-time timeout for an event without `EOE`/`PROCTITLE`, in ms.
    pub timeout_ms: u64,
    /// At most this many events in flight.
    pub max_inflight: usize,
}

impl Default for GroupOptions {
    fn default() -> Self {
        GroupOptions {
            timeout_ms: 2_000,
            max_inflight: 4_096,
        }
    }
}

/// Counters of a grouping run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    pub records: u64,
    pub events: u64,
    pub by_eoe: u64,
    pub by_proctitle: u64,
    pub single: u64,
    pub by_timeout: u64,
    pub by_overflow: u64,
    pub at_end: u64,
    /// Records for an event already emitted (started a new event).
    pub late_records: u64,
    /// `EOE` records for an event never seen (or forgotten: closed by
    /// timeout long ago). An `EOE` after `PROCTITLE` closed its event is
    /// expected and not counted.
    pub stray_eoe: u64,
}

struct Inflight {
    records: Vec<Record>,
    first_line: u64,
    /// Stream time when the event was opened: the latest record time seen
    /// then (not the event's own time, so a stream whose clock jumps back
    /// does not close new events at once).
    opened_ms: u64,
}

/// The grouping state machine. Feed records with [`push`](Grouper::push);
/// completed events are appended to the output vector.
pub struct Grouper {
    opts: GroupOptions,
    inflight: HashMap<EventKey, Inflight>,
    /// In-flight keys by (opened ms, serial) for expiry.
    order: BTreeMap<(u64, u64), Vec<EventKey>>,
    done: HashSet<EventKey>,
    done_order: VecDeque<EventKey>,
    latest_ms: u64,
    stats: GroupStats,
}

const DONE_MEMORY: usize = 4_096;

impl Grouper {
    pub fn new(opts: GroupOptions) -> Self {
        Grouper {
            opts,
            inflight: HashMap::new(),
            order: BTreeMap::new(),
            done: HashSet::new(),
            done_order: VecDeque::new(),
            latest_ms: 0,
            stats: GroupStats::default(),
        }
    }

    pub fn stats(&self) -> GroupStats {
        self.stats
    }

    /// Events currently open.
    pub fn inflight(&self) -> usize {
        self.inflight.len()
    }

    /// Add one record read at `line`; completed events go to `out`.
    pub fn push(&mut self, record: Record, line: u64, out: &mut Vec<AuditEvent>) {
        self.stats.records += 1;
        let key = record.key.clone();
        let t = key.time_ms();
        self.latest_ms = self.latest_ms.max(t);
        if record.type_name == "EOE" {
            match self.inflight.remove(&key) {
                Some(ev) => {
                    self.unorder(&key, ev.opened_ms);
                    self.emit(key, ev, Completion::Eoe, out);
                }
                // EOE after PROCTITLE already closed the event: expected
                None if self.done.contains(&key) => {}
                None => self.stats.stray_eoe += 1,
            }
        } else if !self.inflight.contains_key(&key) && is_single_record_type(record.type_num) {
            if self.done.contains(&key) {
                self.stats.late_records += 1;
            }
            self.emit(
                key,
                Inflight {
                    records: vec![record],
                    first_line: line,
                    opened_ms: self.latest_ms,
                },
                Completion::Single,
                out,
            );
        } else {
            let closes = record.type_name == "PROCTITLE";
            if !self.inflight.contains_key(&key) {
                if self.done.contains(&key) {
                    self.stats.late_records += 1;
                }
                self.order
                    .entry((self.latest_ms, key.serial))
                    .or_default()
                    .push(key.clone());
            }
            let opened_ms = self.latest_ms;
            let ev = self.inflight.entry(key.clone()).or_insert(Inflight {
                records: Vec::with_capacity(6),
                first_line: line,
                opened_ms,
            });
            ev.records.push(record);
            if closes {
                let ev = self.inflight.remove(&key).expect("just inserted");
                self.unorder(&key, ev.opened_ms);
                self.emit(key, ev, Completion::Proctitle, out);
            }
        }
        self.expire(out);
    }

    /// Close events older than the timeout relative to `now_ms` (wall
    /// clock, for live sources whose stream went quiet).
    pub fn expire_at(&mut self, now_ms: u64, out: &mut Vec<AuditEvent>) {
        self.latest_ms = self.latest_ms.max(now_ms);
        self.expire(out);
    }

    fn expire(&mut self, out: &mut Vec<AuditEvent>) {
        loop {
            let Some((&(t, s), _)) = self.order.iter().next() else {
                return;
            };
            let how = if t.saturating_add(self.opts.timeout_ms) < self.latest_ms {
                Completion::Timeout
            } else if self.inflight.len() > self.opts.max_inflight {
                Completion::Overflow
            } else {
                return;
            };
            let keys = self.order.remove(&(t, s)).unwrap_or_default();
            for k in keys {
                if let Some(ev) = self.inflight.remove(&k) {
                    self.emit(k, ev, how, out);
                }
            }
        }
    }

    /// Close every open event (end of input), oldest first.
    pub fn flush(&mut self, out: &mut Vec<AuditEvent>) {
        let order = std::mem::take(&mut self.order);
        for (_, keys) in order {
            for k in keys {
                if let Some(ev) = self.inflight.remove(&k) {
                    self.emit(k, ev, Completion::EndOfInput, out);
                }
            }
        }
    }

    fn unorder(&mut self, key: &EventKey, opened_ms: u64) {
        let slot = (opened_ms, key.serial);
        if let Some(v) = self.order.get_mut(&slot) {
            v.retain(|k| k != key);
            if v.is_empty() {
                self.order.remove(&slot);
            }
        }
    }

    fn emit(&mut self, key: EventKey, ev: Inflight, how: Completion, out: &mut Vec<AuditEvent>) {
        self.stats.events += 1;
        match how {
            Completion::Eoe => self.stats.by_eoe += 1,
            Completion::Proctitle => self.stats.by_proctitle += 1,
            Completion::Single => self.stats.single += 1,
            Completion::Timeout => self.stats.by_timeout += 1,
            Completion::Overflow => self.stats.by_overflow += 1,
            Completion::EndOfInput => self.stats.at_end += 1,
        }
        if how != Completion::Single && self.done.insert(key.clone()) {
            self.done_order.push_back(key.clone());
            if self.done_order.len() > DONE_MEMORY {
                if let Some(old) = self.done_order.pop_front() {
                    self.done.remove(&old);
                }
            }
        }
        out.push(AuditEvent {
            key,
            records: ev.records,
            first_line: ev.first_line,
            completion: how,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::record::parse_line;
    use super::*;

    fn feed(lines: &[&str]) -> (Vec<AuditEvent>, GroupStats) {
        let mut g = Grouper::new(GroupOptions::default());
        let mut out = Vec::new();
        for (i, l) in lines.iter().enumerate() {
            g.push(parse_line(l.as_bytes()).unwrap(), i as u64 + 1, &mut out);
        }
        g.flush(&mut out);
        (out, g.stats())
    }

    #[test]
    fn interleaved_events_are_separated() {
        let (ev, st) = feed(&[
            "type=SYSCALL msg=audit(10.000:1): syscall=1",
            "type=SYSCALL msg=audit(10.000:2): syscall=2",
            "type=CWD msg=audit(10.000:1): cwd=\"/\"",
            "type=EOE msg=audit(10.000:2):",
            "type=PROCTITLE msg=audit(10.000:1): proctitle=\"x\"",
        ]);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].key.serial, 2);
        assert_eq!(ev[0].completion, Completion::Eoe);
        assert_eq!(ev[1].records.len(), 3);
        assert_eq!(ev[1].completion, Completion::Proctitle);
        assert_eq!(st.records, 5);
    }

    #[test]
    fn lost_eoe_times_out_in_stream_time_and_late_records_are_kept() {
        let (ev, st) = feed(&[
            "type=SYSCALL msg=audit(10.000:1): syscall=1",
            "type=USER_CMD msg=audit(13.000:5): cmd=6C73",
            "type=PATH msg=audit(10.000:1): item=0",
            "type=EOE msg=audit(10.000:1):",
        ]);
        assert_eq!(ev[0].completion, Completion::Single);
        assert_eq!(ev[1].completion, Completion::Timeout);
        assert_eq!(ev[2].records[0].type_name, "PATH");
        assert_eq!(st.late_records, 1);
        // the late PATH opens a new event (its timeout counts from now),
        // which the EOE then closes
        assert_eq!(ev[2].completion, Completion::Eoe);
        assert_eq!(st.events, 3);
        assert_eq!(st.stray_eoe, 0);
    }

    #[test]
    fn a_clock_jumping_back_does_not_split_new_events() {
        let (ev, st) = feed(&[
            "type=SYSCALL msg=audit(100.000:1): syscall=1",
            "type=PROCTITLE msg=audit(100.000:1): proctitle=\"a\"",
            // e.g. a rotated log replayed, or the wall clock set back
            "type=SYSCALL msg=audit(10.000:2): syscall=2",
            "type=PATH msg=audit(10.000:2): item=0",
            "type=PROCTITLE msg=audit(10.000:2): proctitle=\"b\"",
        ]);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[1].records.len(), 3);
        assert_eq!(st.by_timeout, 0);
    }
}
