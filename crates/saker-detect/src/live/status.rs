//! What a live run tells about itself while it runs: a one-line status for
//! a terminal and a structured (logfmt) line for logs.
//!
//! The lag behind real time is `now − newest eventTime evaluated`:
//! CloudTrail delivers a record to S3 about 5 minutes (up to 15) after the
//! call, so a healthy follower shows a lag of minutes; a growing lag means
//! saker falls behind (or the trail stopped delivering).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use super::LiveProgress;

/// Why progress is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressEvent {
    /// One unit (S3 object, EventBridge event) evaluated and acknowledged.
    Unit,
    /// A batch acknowledged: S3, up to `batch_objects` objects marked
    /// processed; SQS, the messages of one receive done and deleted.
    Batch,
    /// A poll ended: S3, a pass over every prefix (new objects or not);
    /// SQS, a receive that returned no message.
    Poll,
}

/// Which live source a run reads (changes the words, not the counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveSource {
    S3,
    Sqs,
}

/// Records/s are measured over about this much recent time.
pub const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Idle polls (nothing new) are logged at most this often.
pub const IDLE_LOG_EVERY: Duration = Duration::from_secs(60);

/// Turns [`LiveProgress`] reports into status text: keeps the samples the
/// records/s rate needs and when the last log line was written.
#[derive(Debug)]
pub struct StatusTracker {
    source: LiveSource,
    /// `(when, records)` over the last [`RATE_WINDOW`] (plus one older).
    samples: VecDeque<(Instant, u64)>,
    /// `(when, records)` at the last log line.
    last_log: Option<(Instant, u64)>,
    last_idle_log: Option<Instant>,
    /// Records at the last poll: a poll with no new record is idle.
    records_at_last_poll: u64,
}

impl StatusTracker {
    pub fn new(source: LiveSource, now: Instant) -> Self {
        StatusTracker {
            source,
            samples: VecDeque::from([(now, 0)]),
            last_log: Some((now, 0)),
            last_idle_log: None,
            records_at_last_poll: 0,
        }
    }

    /// Take a report into account (call on every [`ProgressEvent`]).
    pub fn observe(&mut self, p: &LiveProgress, now: Instant) {
        self.samples.push_back((now, p.records));
        // Keep one sample older than the window as the rate's baseline.
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|&(t, _)| now.duration_since(t) >= RATE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Records evaluated per second over the last [`RATE_WINDOW`] or so,
    /// as of `now` (a pause lowers it).
    pub fn records_per_s(&self, now: Instant) -> f64 {
        match (self.samples.front(), self.samples.back()) {
            (Some(&(t0, r0)), Some(&(_, r1))) => {
                let dt = now.duration_since(t0).as_secs_f64();
                if dt > 0.0 {
                    r1.saturating_sub(r0) as f64 / dt
                } else {
                    0.0
                }
            }
            _ => 0.0,
        }
    }

    /// The terminal status line, e.g.
    /// `55 objects · 2900 records (1450/s) · 74 alerts · lag 12m 04s`.
    pub fn terminal_line(&self, p: &LiveProgress, now: Instant, now_ns: i64) -> String {
        let mut s = match self.source {
            LiveSource::S3 => format!("{} objects", p.units),
            LiveSource::Sqs => format!(
                "{} messages done · {} objects/events",
                p.messages_deleted, p.units
            ),
        };
        let _ = write!(
            s,
            " · {} records ({}/s) · {} alerts · lag {}",
            p.records,
            rate_text(self.records_per_s(now)),
            p.alerts,
            lag_s(p, now_ns).map_or_else(|| "-".to_string(), human_duration)
        );
        s
    }

    /// The log line for `event`, or `None` when it is not logged: single
    /// units never are, idle polls at most once per [`IDLE_LOG_EVERY`].
    ///
    /// `ts=2026-11-29T16:03:06.123Z level=info msg=batch source=s3 units=55
    /// messages=0 records=2900 records_per_s=1450.0 alerts=74 bytes=3700000
    /// lag_s=724` — logfmt, one line; `records_per_s` is measured since the
    /// previous log line; `lag_s` is left out until a record was evaluated.
    pub fn log_line(
        &mut self,
        event: ProgressEvent,
        p: &LiveProgress,
        now: Instant,
        now_ns: i64,
    ) -> Option<String> {
        let msg = match event {
            ProgressEvent::Unit => return None,
            ProgressEvent::Batch => "batch",
            ProgressEvent::Poll => {
                let idle = p.records == self.records_at_last_poll;
                self.records_at_last_poll = p.records;
                if idle {
                    if self
                        .last_idle_log
                        .is_some_and(|t| now.duration_since(t) < IDLE_LOG_EVERY)
                    {
                        return None;
                    }
                    self.last_idle_log = Some(now);
                    "idle"
                } else {
                    "poll"
                }
            }
        };
        let rate = match self.last_log {
            Some((t, r)) if now > t => {
                p.records.saturating_sub(r) as f64 / now.duration_since(t).as_secs_f64()
            }
            _ => 0.0,
        };
        self.last_log = Some((now, p.records));
        let ts = chrono::DateTime::from_timestamp_nanos(now_ns)
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let source = match self.source {
            LiveSource::S3 => "s3",
            LiveSource::Sqs => "sqs",
        };
        let mut line = format!(
            "ts={ts} level=info msg={msg} source={source} units={} messages={} records={} records_per_s={rate:.1} alerts={} bytes={}",
            p.units, p.messages_deleted, p.records, p.alerts, p.bytes
        );
        if let Some(lag) = lag_s(p, now_ns) {
            let _ = write!(line, " lag_s={lag}");
        }
        Some(line)
    }
}

/// Whole seconds between the newest `eventTime` evaluated and `now_ns`
/// (negative if records come from the future, e.g. a skewed clock).
pub fn lag_s(p: &LiveProgress, now_ns: i64) -> Option<i64> {
    p.newest_event_ns
        .map(|t| now_ns.saturating_sub(t).div_euclid(1_000_000_000))
}

/// `42s`, `12m 04s`, `3h 05m`, `2d 04h`.
pub fn human_duration(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    let text = match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        3600..=86_399 => format!("{}h {:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d {:02}h", s / 86_400, s % 86_400 / 3600),
    };
    format!("{sign}{text}")
}

fn rate_text(r: f64) -> String {
    if r >= 10_000.0 {
        format!("{:.0}k", r / 1000.0)
    } else {
        format!("{r:.0}")
    }
}

/// Nanoseconds since the epoch now (0 if the clock is before 1970).
pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress(records: u64, newest_s: Option<i64>) -> LiveProgress {
        LiveProgress {
            units: 3,
            records,
            alerts: 2,
            bytes: 1000,
            messages_deleted: 1,
            newest_event_ns: newest_s.map(|s| s * 1_000_000_000),
        }
    }

    #[test]
    fn durations_read_like_a_clock() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(724), "12m 04s");
        assert_eq!(human_duration(3 * 3600 + 5 * 60 + 9), "3h 05m");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2d 04h");
        assert_eq!(human_duration(-5), "-5s");
    }

    #[test]
    fn lag_is_now_minus_the_newest_event() {
        let now = 1_700_000_724 * 1_000_000_000;
        assert_eq!(lag_s(&progress(1, Some(1_700_000_000)), now), Some(724));
        assert_eq!(lag_s(&progress(1, None), now), None);
    }

    #[test]
    fn rate_covers_the_recent_window() {
        let t0 = Instant::now();
        let mut t = StatusTracker::new(LiveSource::S3, t0);
        for i in 1..=20u64 {
            t.observe(&progress(i * 100, None), t0 + Duration::from_secs(i));
        }
        // 100 records per second, whatever came before the window.
        let r = t.records_per_s(t0 + Duration::from_secs(20));
        assert!((r - 100.0).abs() < 25.0, "{r}");
        assert!(t.samples.len() <= 7, "{}", t.samples.len());
        let line = t.terminal_line(
            &progress(2000, Some(100)),
            t0 + Duration::from_secs(20),
            824 * 1_000_000_000,
        );
        assert!(line.starts_with("3 objects · 2000 records ("), "{line}");
        assert!(line.ends_with("· 2 alerts · lag 12m 04s"), "{line}");
    }

    #[test]
    fn log_lines_for_batches_and_polls_not_units() {
        let t0 = Instant::now();
        let mut t = StatusTracker::new(LiveSource::Sqs, t0);
        let now_ns = 1_700_000_724 * 1_000_000_000;
        let p = progress(500, Some(1_700_000_000));
        assert_eq!(
            t.log_line(ProgressEvent::Unit, &p, t0 + Duration::from_secs(1), now_ns),
            None
        );
        let line = t
            .log_line(
                ProgressEvent::Batch,
                &p,
                t0 + Duration::from_secs(2),
                now_ns,
            )
            .unwrap();
        assert_eq!(
            line,
            "ts=2023-11-14T22:25:24.000Z level=info msg=batch source=sqs units=3 messages=1 \
             records=500 records_per_s=250.0 alerts=2 bytes=1000 lag_s=724"
        );
        // The poll that read those records is not idle; the polls after it
        // are: the first is logged, then at most one a minute.
        let at = |s| t0 + Duration::from_secs(s);
        let idle = |t: &mut StatusTracker, s| t.log_line(ProgressEvent::Poll, &p, at(s), now_ns);
        assert!(idle(&mut t, 2).unwrap().contains("msg=poll"));
        assert!(idle(&mut t, 3).unwrap().contains("msg=idle"));
        assert_eq!(idle(&mut t, 30), None);
        assert!(idle(&mut t, 64).is_some());
        // A poll that evaluated records is always logged.
        let busy = progress(900, None);
        let line = t
            .log_line(ProgressEvent::Poll, &busy, at(65), now_ns)
            .unwrap();
        assert!(line.contains("msg=poll"), "{line}");
        assert!(!line.contains("lag_s"), "{line}");
    }
}
