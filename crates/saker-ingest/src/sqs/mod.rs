//! Notifications in SQS: receiving, understanding, extending and deleting
//! messages.
//!
//! A message is deleted only by the caller, after the work it names is
//! done; while the work lasts, its visibility timeout is extended with
//! [`extend_visibility`]. A message that is not understood is left alone:
//! it reappears after its visibility timeout and goes to the queue's
//! dead-letter queue after `maxReceiveCount` receives (redrive policy).

pub mod message;

use aws_sdk_sqs::types::MessageSystemAttributeName;
use aws_sdk_sqs::Client;

pub use message::{parse_message, MessageContent, MessageError};

use crate::aws::error_chain;

/// One received message.
#[derive(Debug, Clone)]
pub struct QueueMessage {
    pub message_id: String,
    /// Handle for delete/extend calls of this receive.
    pub receipt_handle: String,
    pub body: String,
    /// `ApproximateReceiveCount` (1 on the first receive).
    pub receive_count: u32,
}

/// An SQS call that failed after the SDK's retries.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{queue_url}: {operation}: {message}")]
pub struct SqsError {
    pub queue_url: String,
    pub operation: &'static str,
    pub message: String,
}

/// How to receive.
#[derive(Debug, Clone, Copy)]
pub struct ReceiveOptions {
    /// At most this many messages per call (1..=10).
    pub max_messages: i32,
    /// Long-poll wait in seconds (0..=20).
    pub wait_s: i32,
    /// Visibility timeout given to received messages, in seconds.
    pub visibility_s: i32,
}

impl Default for ReceiveOptions {
    fn default() -> Self {
        ReceiveOptions {
            max_messages: 10,
            wait_s: 20,
            visibility_s: 120,
        }
    }
}

/// Long-poll the queue once.
///
/// # Errors
/// [`SqsError`] when the call fails (queue missing, access denied, network).
pub async fn receive(
    client: &Client,
    queue_url: &str,
    opts: &ReceiveOptions,
) -> Result<Vec<QueueMessage>, SqsError> {
    let resp = client
        .receive_message()
        .queue_url(queue_url)
        .max_number_of_messages(opts.max_messages.clamp(1, 10))
        .wait_time_seconds(opts.wait_s.clamp(0, 20))
        .visibility_timeout(opts.visibility_s.max(0))
        .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
        .send()
        .await
        .map_err(|e| SqsError {
            queue_url: queue_url.to_string(),
            operation: "ReceiveMessage",
            message: error_chain(&e),
        })?;
    Ok(resp
        .messages()
        .iter()
        .filter_map(|m| {
            Some(QueueMessage {
                message_id: m.message_id()?.to_string(),
                receipt_handle: m.receipt_handle()?.to_string(),
                body: m.body().unwrap_or_default().to_string(),
                receive_count: m
                    .attributes()
                    .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                    .and_then(|c| c.parse().ok())
                    .unwrap_or(1),
            })
        })
        .collect())
}

/// Delete a message (its work is done).
///
/// # Errors
/// [`SqsError`]; the message will then be received again and its work found
/// done in the state store.
pub async fn delete(
    client: &Client,
    queue_url: &str,
    receipt_handle: &str,
) -> Result<(), SqsError> {
    client
        .delete_message()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| SqsError {
            queue_url: queue_url.to_string(),
            operation: "DeleteMessage",
            message: error_chain(&e),
        })
}

/// Delete messages by receipt handle, ten per `DeleteMessageBatch` call.
/// Returns the handles that could not be deleted, each with the reason.
pub async fn delete_many(
    client: &Client,
    queue_url: &str,
    receipt_handles: &[String],
) -> Vec<(String, SqsError)> {
    use aws_sdk_sqs::types::DeleteMessageBatchRequestEntry;
    let mut failed = Vec::new();
    for chunk in receipt_handles.chunks(10) {
        let entries: Vec<DeleteMessageBatchRequestEntry> = chunk
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .receipt_handle(h)
                    .build()
                    .ok()
            })
            .collect();
        let err = |message: String| SqsError {
            queue_url: queue_url.to_string(),
            operation: "DeleteMessageBatch",
            message,
        };
        match client
            .delete_message_batch()
            .queue_url(queue_url)
            .set_entries(Some(entries))
            .send()
            .await
        {
            Ok(resp) => {
                for f in resp.failed() {
                    if let Some(h) = f.id().parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                        failed.push((
                            h.clone(),
                            err(format!("{}: {}", f.code(), f.message().unwrap_or(""))),
                        ));
                    }
                }
            }
            Err(e) => {
                let message = error_chain(&e);
                failed.extend(chunk.iter().map(|h| (h.clone(), err(message.clone()))));
            }
        }
    }
    failed
}

/// Make a message invisible for `visibility_s` more seconds from now.
///
/// # Errors
/// [`SqsError`], e.g. when the receipt handle expired because the timeout
/// already passed (another worker may then hold the message).
pub async fn extend_visibility(
    client: &Client,
    queue_url: &str,
    receipt_handle: &str,
    visibility_s: i32,
) -> Result<(), SqsError> {
    client
        .change_message_visibility()
        .queue_url(queue_url)
        .receipt_handle(receipt_handle)
        .visibility_timeout(visibility_s)
        .send()
        .await
        .map(|_| ())
        .map_err(|e| SqsError {
            queue_url: queue_url.to_string(),
            operation: "ChangeMessageVisibility",
            message: error_chain(&e),
        })
}

/// The region in an SQS queue URL (`https://sqs.REGION.amazonaws.com/…`),
/// used when no region is configured.
pub fn region_of_queue_url(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split('/').next()?;
    let mut parts = host.split('.');
    if parts.next()? != "sqs" {
        return None;
    }
    let region = parts.next()?;
    (parts.next()? == "amazonaws").then(|| region.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn region_from_queue_urls() {
        use super::region_of_queue_url as r;
        assert_eq!(
            r("https://sqs.eu-west-3.amazonaws.com/123456789012/trail").as_deref(),
            Some("eu-west-3")
        );
        assert_eq!(r("http://127.0.0.1:5000/123456789012/trail"), None);
    }
}
