//! Downloading objects concurrently into memory.

use std::sync::Arc;

use aws_sdk_s3::Client;
use tokio::sync::Semaphore;

use super::ObjectRef;
use crate::aws::error_chain;
use crate::SourceUnit;

/// How objects are downloaded.
#[derive(Debug, Clone, Copy)]
pub struct FetchOptions {
    /// Downloads in flight at once.
    pub concurrency: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions { concurrency: 8 }
    }
}

/// An object that could not be downloaded.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{name}: {message}")]
pub struct FetchError {
    /// `s3://bucket/key`.
    pub name: String,
    pub message: String,
}

/// A downloaded object.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The object, with the ETag of the content actually downloaded.
    pub object: ObjectRef,
    /// Its content as a source unit named `s3://bucket/key`.
    pub unit: SourceUnit,
}

/// Download `objects` with at most `opts.concurrency` requests in flight;
/// results come back in the order of `objects`. Memory is the sum of the
/// objects' sizes: callers bound it by the batches they pass.
pub async fn fetch_objects(
    client: &Client,
    objects: &[ObjectRef],
    opts: &FetchOptions,
) -> Vec<Result<Fetched, FetchError>> {
    let permits = Arc::new(Semaphore::new(opts.concurrency.max(1)));
    let mut tasks = Vec::with_capacity(objects.len());
    for obj in objects {
        let client = client.clone();
        let obj = obj.clone();
        let permits = permits.clone();
        tasks.push(tokio::spawn(async move {
            let _permit = permits.acquire_owned().await;
            fetch_one(&client, obj).await
        }));
    }
    let mut out = Vec::with_capacity(tasks.len());
    for (task, obj) in tasks.into_iter().zip(objects) {
        out.push(match task.await {
            Ok(r) => r,
            Err(e) => Err(FetchError {
                name: obj.name(),
                message: format!("download task failed: {e}"),
            }),
        });
    }
    out
}

async fn fetch_one(client: &Client, mut obj: ObjectRef) -> Result<Fetched, FetchError> {
    let name = obj.name();
    let err = |message: String| FetchError {
        name: name.clone(),
        message,
    };
    let resp = client
        .get_object()
        .bucket(&obj.bucket)
        .key(&obj.key)
        .send()
        .await
        .map_err(|e| err(error_chain(&e)))?;
    if let Some(etag) = resp.e_tag() {
        obj.etag = etag.to_string();
    }
    let body = resp
        .body
        .collect()
        .await
        .map_err(|e| err(format!("reading the body: {}", error_chain(&e))))?
        .into_bytes();
    obj.size = body.len() as u64;
    let unit = SourceUnit::Fetched {
        name: name.clone(),
        bytes: Arc::from(&body[..]),
    };
    Ok(Fetched { object: obj, unit })
}
