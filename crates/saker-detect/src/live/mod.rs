//! Live sources: CloudTrail deliveries in S3 (one pass or `--follow`) and
//! notifications in SQS, with a state store so that a restart neither loses
//! nor repeats work.
//!
//! ```text
//!  S3 listing / SQS message ─► fetch (concurrent, bounded batches) ─► pipeline::run
//!      ─► DedupSink (store: (recipientAccountId, eventID, rule)) ─► sinks
//!      ─► per unit, once its alerts are flushed: store.mark_processed;
//!         per message, once all its units are: DeleteMessage
//! ```
//!
//! A unit (object, message body) is acknowledged — marked processed in the
//! store, its SQS message deleted — only from the pipeline's progress
//! callback, which runs after the unit's alerts were delivered to the sink
//! and flushed. A crash before that makes the unit be read again; alerts
//! already delivered are then suppressed by the store's de-duplication.

pub mod s3;
pub mod sqs;
pub mod status;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use saker_alerts::AlertSink;
use saker_ingest::aws::{sdk_config, AwsOptions};
use saker_ingest::s3::FetchOptions;
use saker_ingest::sqs::ReceiveOptions;
use saker_ingest::SourceUnit;
use saker_rules::ruleset::Ruleset;
use saker_store::{DedupSink, SharedStore, StoreError, UnitStats};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::pipeline::{run_tapped, DetectOptions, Progress, RunError};
use crate::summary::Summary;
use crate::tap::RecordTap;
pub use status::{LiveSource, ProgressEvent, StatusTracker};

/// How a live run reads and acknowledges.
#[derive(Debug, Clone)]
pub struct LiveOptions {
    /// Rules, filters and threads, as for files. `file_filter` is applied to
    /// S3 keys before listing results or notifications are downloaded.
    pub detect: DetectOptions,
    pub aws: AwsOptions,
    pub fetch: FetchOptions,
    /// At most this many objects are evaluated per pipeline batch.
    pub batch_objects: usize,
    /// At most about this many bytes (listed sizes) per batch; with the
    /// next batch prefetched, memory for content is about twice this.
    pub batch_bytes: u64,
    /// S3: poll again after this pause, until stopped; `None`: one pass.
    pub follow: Option<Duration>,
    /// SQS: how messages are received.
    pub receive: ReceiveOptions,
    /// SQS: stop when a receive returns no message (batch jobs, tests).
    pub until_empty: bool,
}

impl Default for LiveOptions {
    fn default() -> Self {
        LiveOptions {
            detect: DetectOptions::default(),
            aws: AwsOptions::default(),
            fetch: FetchOptions::default(),
            batch_objects: 64,
            batch_bytes: 256 << 20,
            follow: None,
            receive: ReceiveOptions::default(),
            until_empty: false,
        }
    }
}

/// Cumulative counts of a live run, reported after each unit, each
/// acknowledged batch and each poll ([`ProgressEvent`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveProgress {
    /// Units evaluated: S3 objects and EventBridge events.
    pub units: u64,
    /// Records evaluated by the rules.
    pub records: u64,
    /// Alerts raised (before de-duplication).
    pub alerts: u64,
    /// Bytes downloaded (compressed size).
    pub bytes: u64,
    /// SQS messages done and deleted.
    pub messages_deleted: u64,
    /// Newest `eventTime` evaluated (ns since the epoch): the lag behind
    /// real time is `now - newest`.
    pub newest_event_ns: Option<i64>,
}

/// Why a live run stopped.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// A sink refused an alert; nothing more is acknowledged.
    #[error("alert delivery failed: {0}")]
    Sink(#[source] std::io::Error),
    /// The state store failed; nothing more is acknowledged.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The async runtime could not be started.
    #[error("cannot start the I/O runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Stop requests (SIGINT, SIGTERM, or the caller): the current batch is
/// finished and acknowledged, then the run returns.
#[derive(Clone, Default)]
pub struct StopSignal {
    stopped: Arc<AtomicBool>,
    notify: Arc<Notify>,
}

impl StopSignal {
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::SeqCst);
        self.notify.notify_one();
    }
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::SeqCst)
    }
    /// Wait for `d` or a stop request.
    async fn sleep(&self, d: Duration) {
        if self.is_stopped() {
            return;
        }
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            () = self.notify.notified() => { self.notify.notify_one(); }
        }
    }
}

/// A live detection run: runtime, AWS configuration, store, sink.
pub struct Live<'a> {
    rt: Runtime,
    config: saker_ingest::aws::AwsConfig,
    ruleset: &'a Ruleset,
    opts: LiveOptions,
    store: SharedStore,
    sink: DedupSink<Box<dyn AlertSink + 'a>>,
    summary: Summary,
    progress: LiveProgress,
    stop: StopSignal,
    started: Instant,
    warn: Box<dyn FnMut(&str) + 'a>,
    on_progress: ProgressFn<'a>,
    tap: Option<Box<dyn RecordTap + 'a>>,
}

/// The `on_progress` callback.
type ProgressFn<'a> = Box<dyn FnMut(ProgressEvent, &LiveProgress) + 'a>;

impl<'a> Live<'a> {
    /// Prepare a run: start the I/O runtime and load the AWS configuration
    /// (credentials are resolved lazily, on the first call).
    ///
    /// # Errors
    /// [`LiveError::Runtime`] if the runtime cannot start.
    pub fn new(
        ruleset: &'a Ruleset,
        opts: LiveOptions,
        store: SharedStore,
        sink: Box<dyn AlertSink + 'a>,
        stop: StopSignal,
    ) -> Result<Live<'a>, LiveError> {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(LiveError::Runtime)?;
        let config = rt.block_on(sdk_config(&opts.aws));
        Ok(Live {
            rt,
            config,
            ruleset,
            opts,
            sink: DedupSink::new(sink, store.clone()),
            store,
            summary: Summary::default(),
            progress: LiveProgress::default(),
            stop,
            started: Instant::now(),
            warn: Box::new(|m| eprintln!("saker detect: {m}")),
            on_progress: Box::new(|_, _| {}),
            tap: None,
        })
    }

    /// Hand the records `tap` selects to it (see [`crate::tap`]); its
    /// deferred work runs after each batch and each poll, and at the end
    /// of [`run_sqs`](Self::run_sqs) / [`run_s3`](Self::run_s3). Its
    /// alerts go through the de-duplicating sink.
    pub fn set_tap(&mut self, tap: Box<dyn RecordTap + 'a>) {
        self.tap = Some(tap);
    }

    /// Run the tap's deferred work (all of it when `end`).
    ///
    /// # Errors
    /// [`LiveError::Sink`].
    pub fn tick_tap(&mut self, end: bool) -> Result<(), LiveError> {
        if let Some(tap) = self.tap.as_mut() {
            tap.tick(&mut self.sink, end).map_err(LiveError::Sink)?;
        }
        Ok(())
    }

    /// Where warnings go (default: stderr, prefixed `saker detect: `).
    pub fn on_warning(&mut self, f: impl FnMut(&str) + 'a) {
        self.warn = Box::new(f);
    }

    /// Called after each unit, each acknowledged batch and each poll, on
    /// the thread that runs the live loop (keep it quick).
    pub fn on_progress(&mut self, f: impl FnMut(ProgressEvent, &LiveProgress) + 'a) {
        self.on_progress = Box::new(f);
    }

    /// Report progress to the `on_progress` callback.
    fn report(&mut self, event: ProgressEvent) {
        (self.on_progress)(event, &self.progress);
    }

    /// Install SIGINT/SIGTERM handlers that request a clean stop; a second
    /// signal exits at once (status 130).
    pub fn stop_on_signals(&self) {
        let stop = self.stop.clone();
        self.rt.spawn(async move {
            let mut seen = 0;
            loop {
                wait_for_signal().await;
                seen += 1;
                if seen > 1 {
                    std::process::exit(130);
                }
                stop.stop();
            }
        });
    }

    /// Alerts suppressed as already delivered.
    pub fn duplicates_suppressed(&self) -> u64 {
        self.sink.suppressed()
    }

    /// The run's summary so far (elapsed time and rule counts filled in).
    pub fn summary(&self) -> Summary {
        let mut s = self.summary.clone();
        s.elapsed = self.started.elapsed();
        s
    }

    /// Flush the sinks: HTTP sinks resend their spool (also when nothing
    /// new was read). Called after each S3 poll, each SQS receive and by
    /// the caller at the end.
    ///
    /// # Errors
    /// [`LiveError::Sink`].
    pub fn flush_sinks(&mut self) -> Result<(), LiveError> {
        saker_alerts::AlertSink::flush(&mut self.sink).map_err(LiveError::Sink)
    }

    fn warn(&mut self, msg: &str) {
        (self.warn)(msg);
    }

    fn stopped(&self) -> bool {
        self.stop.is_stopped()
    }

    /// Evaluate `units` and call `done(i, stats)` for each unit `i`, in
    /// order, once its alerts are delivered and flushed.
    ///
    /// # Errors
    /// A sink failure (the remaining units are not acknowledged) or a store
    /// failure reported by `done`.
    fn evaluate(
        &mut self,
        units: &[SourceUnit],
        done: &mut dyn FnMut(usize, UnitStats) -> Result<(), LiveError>,
    ) -> Result<(), LiveError> {
        if units.is_empty() {
            return Ok(());
        }
        let mut last = Progress::default();
        let mut failure: Option<LiveError> = None;
        let before = self.progress;
        let on_progress = &mut self.on_progress;
        let tap: Option<&mut dyn RecordTap> = match self.tap.as_mut() {
            Some(t) => Some(t.as_mut()),
            None => None,
        };
        let result = run_tapped(
            units,
            self.ruleset,
            &self.opts.detect,
            &mut self.sink,
            tap,
            &mut |p: &Progress| {
                let stats = UnitStats {
                    records: p.records - last.records,
                    alerts: p.alerts - last.alerts,
                };
                last = *p;
                if failure.is_none() {
                    if let Err(e) = done(p.units_done as usize - 1, stats) {
                        failure = Some(e);
                    }
                }
                let now = LiveProgress {
                    units: before.units + p.units_done,
                    records: before.records + p.records,
                    alerts: before.alerts + p.alerts,
                    bytes: before.bytes + p.bytes_read,
                    ..before
                };
                on_progress(ProgressEvent::Unit, &now);
            },
        );
        let batch = match result {
            Ok(s) => s,
            Err(RunError::Sink(e)) => return Err(LiveError::Sink(e)),
        };
        self.summary.threads = self.summary.threads.max(batch.threads);
        self.progress.units += batch.units_read;
        self.progress.records += batch.records;
        self.progress.alerts += batch.alerts;
        self.progress.bytes += batch.bytes_read;
        self.progress.newest_event_ns = self.progress.newest_event_ns.max(batch.newest_event_ns);
        self.summary.merge(batch);
        match failure {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    fn lock_store(&self) -> std::sync::MutexGuard<'_, Box<dyn saker_store::StateStore>> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => {
            tokio::select! {
                _ = int.recv() => {}
                _ = term.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
