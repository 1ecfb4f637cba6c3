//! Alert de-duplication in front of the sinks.

use std::io;
use std::sync::{Arc, Mutex};

use saker_alerts::AlertSink;
use saker_rules::output::Alert;

use crate::StateStore;

/// The identity of an alert: the CloudTrail record that raised it and the
/// rule.
///
/// A record is identified by `(recipientAccountId, eventID)`: `eventID` is a
/// GUID unique per record in one account's trail (AWS CloudTrail record
/// contents), and the same record delivered to several trails or twice to
/// one (at-least-once delivery) keeps it. The rule name is part of the key
/// because one record may raise several rules' alerts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AlertKey {
    pub account_id: String,
    pub event_id: String,
    pub rule: String,
}

#[derive(serde::Deserialize)]
struct RecordIds {
    #[serde(rename = "recipientAccountId")]
    recipient_account_id: Option<String>,
    #[serde(rename = "eventID")]
    event_id: Option<String>,
}

impl AlertKey {
    /// The key of `alert` raised by the CloudTrail record `raw` (JSON text).
    /// `None` when the record has no `eventID` (not a CloudTrail record, or a
    /// damaged one): such alerts are never suppressed. A missing
    /// `recipientAccountId` (seen in some Insights and EventBridge copies)
    /// is the empty string.
    pub fn of(alert: &Alert, raw: &str) -> Option<AlertKey> {
        let ids: RecordIds = serde_json::from_str(raw).ok()?;
        let event_id = ids.event_id.filter(|e| !e.is_empty())?;
        Some(AlertKey {
            account_id: ids.recipient_account_id.unwrap_or_default(),
            event_id,
            rule: alert.rule.clone(),
        })
    }
}

/// A store shared by the de-duplicating sink and the code that acknowledges
/// source units.
pub type SharedStore = Arc<Mutex<Box<dyn StateStore>>>;

/// An [`AlertSink`] that passes each alert to `inner` once per
/// [`AlertKey`], whatever the number of times its record is evaluated.
///
/// Each new alert is delivered to `inner`, `inner` is flushed (the file
/// synced, the webhook answered or the alert spooled), and only then is its
/// key remembered in the store. A crash before the key is committed
/// re-delivers that alert rather than losing it: delivery is at least once,
/// and exactly once unless the process dies in the instant between one
/// alert's flush and its commit — then that one alert (not the rest of its
/// unit) is delivered again.
///
/// Costs one sink flush and one store commit per alert (not per record):
/// alerts are a small fraction of records.
pub struct DedupSink<S: AlertSink> {
    inner: S,
    store: SharedStore,
    suppressed: u64,
}

impl<S: AlertSink> DedupSink<S> {
    pub fn new(inner: S, store: SharedStore) -> Self {
        DedupSink {
            inner,
            store,
            suppressed: 0,
        }
    }

    /// Alerts not passed on because they were delivered before.
    pub fn suppressed(&self) -> u64 {
        self.suppressed
    }

    pub fn into_inner(self) -> S {
        self.inner
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Box<dyn StateStore>> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl<S: AlertSink> AlertSink for DedupSink<S> {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        let Some(key) = AlertKey::of(alert, raw) else {
            return self.inner.deliver(alert, raw);
        };
        if self
            .lock()
            .alert_delivered(&key)
            .map_err(io::Error::other)?
        {
            self.suppressed += 1;
            return Ok(());
        }
        self.inner.deliver(alert, raw)?;
        self.inner.flush()?;
        self.lock()
            .mark_alert_delivered(&key)
            .map_err(io::Error::other)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
