//! Running the rules over source units, in parallel, with ordered output.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Condvar, Mutex};
use std::time::Instant;

use saker_alerts::AlertSink;
use saker_cloudtrail::record::Key;
use saker_cloudtrail::s3key::FileFilter;
use saker_cloudtrail::{decode, CloudTrailEvent, DecodeOptions, Item};
use saker_ingest::SourceUnit;
use saker_rules::eval::CacheStorage;
use saker_rules::output::{Alert, OutputOptions};
use saker_rules::ruleset::{Match, Ruleset};

use crate::summary::{RuleCount, Summary};
use crate::tap::RecordTap;
use crate::window::TimeWindow;

/// What to read and how.
#[derive(Debug, Clone, Default)]
pub struct DetectOptions {
    /// Worker threads; 0 means one per available core.
    pub threads: usize,
    /// Skips S3-layout files by name before they are opened.
    pub file_filter: FileFilter,
    /// Records whose `eventTime` lies outside are counted, not evaluated.
    pub window: TimeWindow,
    /// Keep only records of these accounts (`recipientAccountId`); empty: all.
    pub accounts: Vec<String>,
    /// Keep only records of these regions (`awsRegion`); empty: all.
    pub regions: Vec<String>,
    pub decode: DecodeOptions,
    pub output: OutputOptions,
}

/// Progress after each completed unit.
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    pub units_done: u64,
    pub units_total: u64,
    pub records: u64,
    pub alerts: u64,
    pub bytes_read: u64,
}

/// Why a run stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// A sink refused an alert: the alert was not delivered, so the run
    /// stops rather than lose more.
    #[error("alert delivery failed: {0}")]
    Sink(#[source] io::Error),
}

/// The outcome of one unit, handed from a worker to the ordered emitter.
struct UnitResult {
    summary: Summary,
    /// Alerts and the raw record each came from, in record order.
    alerts: Vec<(Alert, String)>,
    /// Raw records a [`RecordTap`] selected, in record order.
    tapped: Vec<String>,
}

/// The tap's record filter, if any.
type Select = Option<fn(&str, &str) -> bool>;

/// Evaluate `ruleset` over every unit, delivering alerts to `sink` in input
/// order, and return the run's [`Summary`].
///
/// Units are decoded and evaluated by [`DetectOptions::threads`] workers; at
/// most four units per worker wait for delivery, so memory stays bounded
/// whatever the input size. `evt.num` is the record's 1-based position in
/// the run with one thread, and within its unit with several (documented in
/// `docs/falco-compat.md`).
///
/// # Errors
/// [`RunError::Sink`] when a sink fails; alerts already delivered stay
/// delivered and the summary of what was done is lost with the error.
pub fn run(
    units: &[SourceUnit],
    ruleset: &Ruleset,
    opts: &DetectOptions,
    sink: &mut dyn AlertSink,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, RunError> {
    run_tapped(units, ruleset, opts, sink, None, on_progress)
}

/// [`run`], also handing the records `tap` selects to it (see
/// [`crate::tap`]). The tap's deferred work is not run here: call
/// [`RecordTap::tick`] after the run.
///
/// # Errors
/// As [`run`], and a sink failure in the tap.
pub fn run_tapped(
    units: &[SourceUnit],
    ruleset: &Ruleset,
    opts: &DetectOptions,
    sink: &mut dyn AlertSink,
    mut tap: Option<&mut dyn RecordTap>,
    on_progress: &mut dyn FnMut(&Progress),
) -> Result<Summary, RunError> {
    let start = Instant::now();
    let select: Select = tap.as_ref().map(|t| t.selects());
    let threads = match opts.threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
        n => n,
    }
    .min(units.len().max(1));

    let mut total = Summary {
        threads,
        ..Summary::default()
    };
    let mut progress = Progress {
        units_total: units.len() as u64,
        ..Progress::default()
    };
    let mut deliver = |r: UnitResult, total: &mut Summary| -> Result<(), RunError> {
        for (alert, raw) in &r.alerts {
            sink.deliver(alert, raw).map_err(RunError::Sink)?;
        }
        if let Some(tap) = tap.as_mut() {
            for raw in &r.tapped {
                tap.record(raw, sink).map_err(RunError::Sink)?;
            }
        }
        sink.flush().map_err(RunError::Sink)?;
        total.merge(r.summary);
        progress.units_done += 1;
        progress.records = total.records;
        progress.alerts = total.alerts;
        progress.bytes_read = total.bytes_read;
        on_progress(&progress);
        Ok(())
    };

    if threads <= 1 {
        let mut num = 0u64;
        for unit in units {
            let r = process_unit(unit, ruleset, opts, select, &mut num);
            deliver(r, &mut total)?;
        }
    } else {
        run_parallel(units, ruleset, opts, select, threads, &mut |r| {
            deliver(r, &mut total)
        })?;
    }

    total.rule_counts = total
        .alerts_by_rule
        .iter()
        .map(|(&i, &count)| RuleCount {
            rule: ruleset.rules()[i].name.clone(),
            priority: ruleset.rules()[i].priority,
            count,
        })
        .collect();
    total.elapsed = start.elapsed();
    Ok(total)
}

/// Workers take units in order; results are emitted in order through a
/// reorder buffer; a worker does not start unit `i` before unit
/// `i - window` was emitted.
fn run_parallel(
    units: &[SourceUnit],
    ruleset: &Ruleset,
    opts: &DetectOptions,
    select: Select,
    threads: usize,
    emit: &mut dyn FnMut(UnitResult) -> Result<(), RunError>,
) -> Result<(), RunError> {
    let window = threads * 4;
    let next = AtomicUsize::new(0);
    let abort = AtomicBool::new(false);
    let emitted = Mutex::new(0usize);
    let advanced = Condvar::new();
    let (tx, rx) = mpsc::sync_channel::<(usize, UnitResult)>(window);

    std::thread::scope(|scope| {
        for _ in 0..threads {
            let tx = tx.clone();
            let (next, abort, emitted, advanced) = (&next, &abort, &emitted, &advanced);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= units.len() {
                    break;
                }
                {
                    let mut e = emitted.lock().unwrap_or_else(|p| p.into_inner());
                    while i >= *e + window && !abort.load(Ordering::Relaxed) {
                        e = advanced.wait(e).unwrap_or_else(|p| p.into_inner());
                    }
                }
                if abort.load(Ordering::Relaxed) {
                    break;
                }
                let mut num = 0;
                let r = process_unit(&units[i], ruleset, opts, select, &mut num);
                if tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(tx);

        let mut pending: BTreeMap<usize, UnitResult> = BTreeMap::new();
        let mut next_emit = 0usize;
        let mut failure = None;
        for (i, r) in rx {
            if failure.is_some() {
                continue; // drain so workers can finish
            }
            pending.insert(i, r);
            while let Some(r) = pending.remove(&next_emit) {
                if let Err(e) = emit(r) {
                    failure = Some(e);
                    abort.store(true, Ordering::Relaxed);
                    break;
                }
                next_emit += 1;
            }
            *emitted.lock().unwrap_or_else(|p| p.into_inner()) = next_emit;
            advanced.notify_all();
        }
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    })
}

/// Read, decode and evaluate one unit. `num` is the last `evt.num` given
/// out; it is advanced for every evaluated record.
fn process_unit(
    unit: &SourceUnit,
    ruleset: &Ruleset,
    opts: &DetectOptions,
    select: Select,
    num: &mut u64,
) -> UnitResult {
    let name = unit.display_name();
    let mut summary = Summary {
        units: 1,
        ..Summary::default()
    };
    let mut alerts = Vec::new();
    let mut tapped = Vec::new();

    if let Some(path) = unit.path() {
        if !opts.file_filter.accepts(&path.to_string_lossy()) {
            summary.units_filtered = 1;
            return UnitResult {
                summary,
                alerts,
                tapped,
            };
        }
    }
    let bytes = match unit.bytes() {
        Ok(b) => b,
        Err(e) => {
            summary.unit_errors.push(format!("{name}: {e}"));
            return UnitResult {
                summary,
                alerts,
                tapped,
            };
        }
    };
    summary.units_read = 1;
    summary.bytes_read = bytes.len() as u64;

    let mut matches: Vec<Match> = Vec::new();
    let mut cache_storage = CacheStorage::default();
    let decoded = decode(&bytes, &name, &opts.decode, |item| match item {
        Item::Record(mut rec) => {
            if !wanted(&rec.event, opts) {
                summary.records_filtered += 1;
                return;
            }
            *num += 1;
            rec.event.set_num(*num);
            summary.records += 1;
            let t = rec.event.time_ns();
            if t > 0 {
                summary.newest_event_ns = summary.newest_event_ns.max(Some(t));
            }
            matches.clear();
            let cache = ruleset.cache_in(&rec.event, std::mem::take(&mut cache_storage));
            ruleset.evaluate_cached(&cache, &mut matches);
            for m in &matches {
                let alert = ruleset.alert(m, &cache, &opts.output);
                summary.alerts += 1;
                *summary.alerts_by_rule.entry(m.rule).or_default() += 1;
                summary.most_severe = Some(
                    summary
                        .most_severe
                        .map_or(alert.priority, |p| p.min(alert.priority)),
                );
                alerts.push((alert, rec.event.raw().to_string()));
            }
            if let Some(select) = select {
                let source = rec.event.string(Key::EventSource, &[]);
                let name = rec.event.string(Key::EventName, &[]);
                if let (Some(s), Some(n)) = (source, name) {
                    if select(&s, &n) {
                        tapped.push(rec.event.raw().to_string());
                    }
                }
            }
            cache_storage = cache.into_storage();
        }
        Item::Skip(skip) => summary
            .skipped
            .entry(skip.reason.name().to_string())
            .or_default()
            .add(|| format!("{}: {}", skip.location, skip.detail)),
        Item::Digest(_) => summary.digests += 1,
        Item::Insight { .. } => summary.insights += 1,
    });
    summary.bytes_decoded = decoded.decoded_bytes;
    UnitResult {
        summary,
        alerts,
        tapped,
    }
}

/// The record-level `--since/--until/--account/--region` filters.
fn wanted(event: &CloudTrailEvent<'_>, opts: &DetectOptions) -> bool {
    if !opts.window.contains(event.time_ns()) {
        return false;
    }
    let matches_any = |key: Key, allowed: &[String]| {
        allowed.is_empty()
            || event
                .string(key, &[])
                .is_some_and(|v: Cow<'_, str>| allowed.iter().any(|a| a == v.as_ref()))
    };
    matches_any(Key::RecipientAccountId, &opts.accounts)
        && matches_any(Key::AwsRegion, &opts.regions)
}
