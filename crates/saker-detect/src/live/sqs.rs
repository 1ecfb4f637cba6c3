//! `saker detect --sqs QUEUE_URL`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use saker_ingest::aws::sqs_sdk::Client as SqsClient;
use saker_ingest::aws::{s3_client, sqs_client};
use saker_ingest::s3::{fetch_objects, ObjectRef};
use saker_ingest::sqs::{
    delete_many, extend_visibility, parse_message, receive, MessageContent, QueueMessage,
};
use saker_ingest::SourceUnit;
use saker_store::{UnitId, UnitStats};

use super::{Live, LiveError, ProgressEvent};

/// The store name of a message.
fn message_unit(queue_url: &str, message_id: &str) -> UnitId {
    UnitId::new(format!("sqs://{queue_url}#{message_id}"), "")
}

/// Skip reason counted for messages that are not understood.
pub const SKIP_MESSAGE_NOT_UNDERSTOOD: &str = "sqs_message_not_understood";

impl Live<'_> {
    /// Long-poll `queue_url` and evaluate what its messages name, until
    /// stopped (or, with [`until_empty`](super::LiveOptions::until_empty),
    /// until a receive returns nothing).
    ///
    /// A message is deleted only after every record it names was evaluated
    /// and its alerts delivered; meanwhile its visibility timeout is
    /// extended every third of [`ReceiveOptions::visibility_s`](saker_ingest::sqs::ReceiveOptions::visibility_s).
    /// A message that is not understood, or names an object that cannot be
    /// downloaded, is reported and left in the queue: it is received again
    /// after its visibility timeout and moved to the dead-letter queue by
    /// the queue's redrive policy. Failed receives are retried with
    /// exponential backoff (1 s to 60 s).
    ///
    /// # Errors
    /// Sink and store failures stop the run.
    pub fn run_sqs(&mut self, queue_url: &str) -> Result<(), LiveError> {
        let sqs = sqs_client(&self.config);
        let mut backoff = Duration::from_secs(1);
        while !self.stopped() {
            let stop = self.stop.clone();
            let ropts = self.opts.receive;
            let received = self.rt.block_on(async {
                tokio::select! {
                    r = receive(&sqs, queue_url, &ropts) => Some(r),
                    () = stop.sleep(Duration::from_secs(3600)) => None,
                }
            });
            let messages = match received {
                None => break,
                Some(Ok(m)) => {
                    backoff = Duration::from_secs(1);
                    m
                }
                Some(Err(e)) => {
                    self.warn(&format!("{e}; retrying in {}s", backoff.as_secs()));
                    let stop = self.stop.clone();
                    self.rt.block_on(stop.sleep(backoff));
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                    continue;
                }
            };
            if messages.is_empty() {
                self.tick_tap(false)?;
                self.flush_sinks()?;
                self.report(ProgressEvent::Poll);
                if self.opts.until_empty {
                    break;
                }
                continue;
            }
            self.handle_messages(&sqs, queue_url, messages)?;
            self.tick_tap(false)?;
        }
        self.tick_tap(true)?;
        self.flush_sinks()?;
        Ok(())
    }

    fn handle_messages(
        &mut self,
        sqs: &SqsClient,
        queue_url: &str,
        messages: Vec<QueueMessage>,
    ) -> Result<(), LiveError> {
        // Receipt handles of the messages in work, extended by a heartbeat.
        let in_flight: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(
            messages
                .iter()
                .map(|m| (m.message_id.clone(), m.receipt_handle.clone()))
                .collect(),
        ));
        let heartbeat = {
            let (sqs, url, in_flight) = (sqs.clone(), queue_url.to_string(), in_flight.clone());
            let vis = self.opts.receive.visibility_s.max(3);
            self.rt.spawn(async move {
                let every = Duration::from_secs((vis / 3).max(1) as u64);
                loop {
                    tokio::time::sleep(every).await;
                    let handles: Vec<String> = in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .values()
                        .cloned()
                        .collect();
                    for h in handles {
                        // A failure means the handle expired; the message
                        // may be processed twice, which the store absorbs.
                        let _ = extend_visibility(&sqs, &url, &h, vis).await;
                    }
                }
            })
        };
        let result = self.work_on(sqs, queue_url, &messages, &in_flight);
        heartbeat.abort();
        result
    }

    fn work_on(
        &mut self,
        sqs: &SqsClient,
        queue_url: &str,
        messages: &[QueueMessage],
        in_flight: &Arc<Mutex<HashMap<String, String>>>,
    ) -> Result<(), LiveError> {
        let n = messages.len();
        let mut remaining = vec![0usize; n];
        let mut failed = vec![false; n];
        let mut units: Vec<SourceUnit> = Vec::new();
        // Per unit: its message and its own store id (objects only).
        let mut owners: Vec<(usize, Option<UnitId>)> = Vec::new();
        let mut to_fetch: Vec<(usize, ObjectRef)> = Vec::new();

        for (mi, m) in messages.iter().enumerate() {
            if self
                .lock_store()
                .is_processed(&message_unit(queue_url, &m.message_id))?
            {
                self.summary.units_done_before += 1;
                continue;
            }
            match parse_message(&m.body) {
                Err(e) => {
                    failed[mi] = true;
                    let what = format!(
                        "SQS message {} (received {} time(s)): {e}; left for the queue's redrive policy",
                        m.message_id, m.receive_count
                    );
                    self.warn(&what);
                    self.summary
                        .skipped
                        .entry(SKIP_MESSAGE_NOT_UNDERSTOOD.to_string())
                        .or_default()
                        .add(|| what.clone());
                }
                Ok(MessageContent::Nothing(_)) => {}
                Ok(MessageContent::CloudTrailEvent) => {
                    units.push(SourceUnit::Fetched {
                        name: format!("sqs://{queue_url}#{}", m.message_id),
                        bytes: Arc::from(m.body.as_bytes()),
                    });
                    owners.push((mi, None));
                    remaining[mi] += 1;
                }
                Ok(MessageContent::Objects(objects)) => {
                    for o in objects {
                        if !self.opts.detect.file_filter.accepts(&o.key) {
                            self.summary.units += 1;
                            self.summary.units_filtered += 1;
                            continue;
                        }
                        if !o.etag.is_empty()
                            && self
                                .lock_store()
                                .is_processed(&UnitId::new(o.name(), o.etag.clone()))?
                        {
                            self.summary.units_done_before += 1;
                            continue;
                        }
                        to_fetch.push((mi, o));
                    }
                }
            }
        }

        if !to_fetch.is_empty() {
            let s3 = s3_client(&self.config);
            let objects: Vec<ObjectRef> = to_fetch.iter().map(|(_, o)| o.clone()).collect();
            let fetched = self
                .rt
                .block_on(fetch_objects(&s3, &objects, &self.opts.fetch));
            for ((mi, _), r) in to_fetch.into_iter().zip(fetched) {
                match r {
                    Ok(f) => {
                        // Notifications without an ETag: judged after download.
                        let id = UnitId::new(f.object.name(), f.object.etag);
                        if self.lock_store().is_processed(&id)? {
                            self.summary.units_done_before += 1;
                            continue;
                        }
                        owners.push((mi, Some(id)));
                        units.push(f.unit);
                        remaining[mi] += 1;
                    }
                    Err(e) => {
                        failed[mi] = true;
                        let what = format!(
                            "cannot download {e} (SQS message {}); the message is left for retry and the redrive policy",
                            messages[mi].message_id
                        );
                        self.warn(&what);
                        self.summary.units += 1;
                        self.summary.unit_errors.push(e.to_string());
                    }
                }
            }
        }

        // A message is complete once every unit it names was evaluated and
        // its alerts delivered: it is remembered in the store at once, and
        // deleted (in batches) after the pipeline batch.
        let store = self.store.clone();
        let mut completed: Vec<usize> = Vec::new();
        let mut complete = |mi: usize| -> Result<(), LiveError> {
            store
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .mark_processed(
                    &message_unit(queue_url, &messages[mi].message_id),
                    UnitStats::default(),
                )?;
            completed.push(mi);
            Ok(())
        };
        // Messages with nothing to evaluate are complete now.
        for mi in 0..n {
            if remaining[mi] == 0 && !failed[mi] {
                complete(mi)?;
            }
        }
        let store = self.store.clone();
        let evaluated = self.evaluate(&units, &mut |ui, stats| {
            let (mi, id) = &owners[ui];
            if let Some(id) = id {
                store
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .mark_processed(id, stats)?;
            }
            remaining[*mi] -= 1;
            if remaining[*mi] == 0 && !failed[*mi] {
                complete(*mi)?;
            }
            Ok(())
        });
        // Delete what is complete even if the batch stopped on an error.
        let handles: Vec<String> = completed
            .iter()
            .map(|&mi| messages[mi].receipt_handle.clone())
            .collect();
        let undeleted = self.rt.block_on(delete_many(sqs, queue_url, &handles));
        {
            let mut in_flight = in_flight.lock().unwrap_or_else(|p| p.into_inner());
            for &mi in &completed {
                in_flight.remove(&messages[mi].message_id);
            }
        }
        self.progress.messages_deleted += (handles.len() - undeleted.len()) as u64;
        for (_, e) in undeleted {
            // Received again later, then found processed in the store.
            self.warn(&e.to_string());
        }
        self.report(ProgressEvent::Batch);
        evaluated?;
        Ok(())
    }
}
