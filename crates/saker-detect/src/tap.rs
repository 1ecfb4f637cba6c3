//! A consumer of selected records beside the rules (e.g. continuous
//! posture, `saker detect --posture`).
//!
//! Execution model: the pipeline's workers call the [`RecordTap::selects`]
//! filter — a plain function of `eventSource` and `eventName`, so it costs
//! one lookup per record and needs no locking — and keep the raw JSON of
//! the records it accepts. The delivering thread then hands each selected
//! record to [`RecordTap::record`], in input order, right after the alerts
//! of its unit were delivered and before the unit is acknowledged (marked
//! processed, its SQS message deleted). Work the tap defers (debounced
//! re-checks, periodic scans) runs in [`RecordTap::tick`], which live runs
//! call after each batch and each poll, and every run calls once at the end
//! with `end = true`.
//!
//! A tap delivers its own alerts to the `sink` it is given: the run's sink,
//! de-duplicated by the state store in live runs. Deferred work is not
//! covered by the unit's acknowledgement: a crash between the two loses it,
//! and the tap's periodic full scan is the safety net.

use std::io;

use saker_alerts::AlertSink;

/// See the module doc.
pub trait RecordTap {
    /// The record filter run on worker threads: `true` keeps the record
    /// for [`record`](Self::record).
    fn selects(&self) -> fn(event_source: &str, event_name: &str) -> bool;

    /// One selected record (the CloudTrail record's JSON text).
    ///
    /// # Errors
    /// A sink failure; the run stops as for rule alerts.
    fn record(&mut self, raw: &str, sink: &mut dyn AlertSink) -> io::Result<()>;

    /// Deferred work due now; everything left when `end` is true.
    ///
    /// # Errors
    /// A sink failure.
    fn tick(&mut self, sink: &mut dyn AlertSink, end: bool) -> io::Result<()>;
}
