//! # saker-alerts — where alerts go
//!
//! An [`AlertSink`] receives every alert of a run, in order. A source unit
//! (file, S3 object, SQS message) counts as handled only once its alerts were
//! accepted by every sink, so a sink must not return from
//! [`AlertSink::deliver`] before the alert is as durable as that sink can
//! make it (written to its stream, spooled, …).
//!
//! One module per sink: [`stream`] writes Falco's text line or Falco's JSON
//! alert layout to any `Write` (stdout); [`file`] appends Falco JSON alerts
//! to a file synced on flush; [`http`] POSTs them to a webhook (Falco's JSON
//! body, for falcosidekick) or to Slack, with retries and a disk [`spool`].
//! [`MultiSink`] sends every alert to several sinks.

pub mod file;
pub mod http;
pub mod spool;
pub mod stream;

pub use file::JsonLinesFileSink;
pub use http::{HttpBody, HttpSink, RetryPolicy};
pub use stream::{StreamFormat, StreamSink};

use saker_rules::output::Alert;
use std::io;

/// A destination for alerts.
///
/// The pipeline calls [`deliver`](AlertSink::deliver) once per alert, from
/// one thread, in the order of the input; then [`flush`](AlertSink::flush)
/// when a source unit is complete and at the end of the run. The `raw`
/// argument is the CloudTrail record (or other event) as JSON text, for sinks
/// that keep it.
///
/// # Errors
/// An I/O error means the alert was **not** delivered; the pipeline stops
/// acknowledging input and reports it.
pub trait AlertSink: Send {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()>;
    fn flush(&mut self) -> io::Result<()>;
}

impl<S: AlertSink + ?Sized> AlertSink for Box<S> {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        (**self).deliver(alert, raw)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
}

impl<S: AlertSink + ?Sized> AlertSink for &mut S {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        (**self).deliver(alert, raw)
    }
    fn flush(&mut self) -> io::Result<()> {
        (**self).flush()
    }
}

/// Several sinks at once: each alert goes to every sink, in order; a flush
/// flushes them all. The first failure is returned (the alert or unit is
/// then not acknowledged), after every sink was given the call.
#[derive(Default)]
pub struct MultiSink<'a> {
    sinks: Vec<Box<dyn AlertSink + 'a>>,
}

impl<'a> MultiSink<'a> {
    pub fn new() -> Self {
        MultiSink { sinks: Vec::new() }
    }

    pub fn push(&mut self, sink: Box<dyn AlertSink + 'a>) {
        self.sinks.push(sink);
    }

    pub fn len(&self) -> usize {
        self.sinks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sinks.is_empty()
    }
}

impl AlertSink for MultiSink<'_> {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        let mut first = Ok(());
        for s in &mut self.sinks {
            if let Err(e) = s.deliver(alert, raw) {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut first = Ok(());
        for s in &mut self.sinks {
            if let Err(e) = s.flush() {
                if first.is_ok() {
                    first = Err(e);
                }
            }
        }
        first
    }
}
