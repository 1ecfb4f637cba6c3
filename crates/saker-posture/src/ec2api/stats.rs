//! Counts of the API requests a collection made, per API.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// Counts for one API (`ec2:DescribeInstances`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiCounts {
    /// HTTP requests sent, retries and every page included.
    pub requests: u64,
    /// Requests that were retries of a failed one.
    pub retries: u64,
    /// Responses that were throttling errors.
    pub throttled: u64,
    /// Calls that failed for good (after any retries).
    pub failed: u64,
}

/// Request counts by API name (`service:Action`), shared by every client of
/// a collection. Cloning shares the counts.
#[derive(Debug, Clone, Default)]
pub struct ApiStats {
    inner: Arc<Mutex<BTreeMap<String, ApiCounts>>>,
}

impl ApiStats {
    /// No requests yet.
    pub fn new() -> ApiStats {
        ApiStats::default()
    }

    fn with(&self, api: &str, f: impl FnOnce(&mut ApiCounts)) {
        let mut m = self.inner.lock().expect("stats lock");
        f(m.entry(api.to_string()).or_default());
    }

    /// One HTTP request of `api` was sent.
    pub fn record_request(&self, api: &str) {
        self.with(api, |c| c.requests += 1);
    }

    /// One HTTP request of `api` was a retry.
    pub fn record_retry(&self, api: &str) {
        self.with(api, |c| c.retries += 1);
    }

    /// One response of `api` was a throttling error.
    pub fn record_throttle(&self, api: &str) {
        self.with(api, |c| c.throttled += 1);
    }

    /// A call of `api` failed for good.
    pub fn record_failure(&self, api: &str) {
        self.with(api, |c| c.failed += 1);
    }

    /// A copy of the counts, by API name.
    pub fn snapshot(&self) -> BTreeMap<String, ApiCounts> {
        self.inner.lock().expect("stats lock").clone()
    }

    /// Total HTTP requests over all APIs.
    pub fn total_requests(&self) -> u64 {
        self.inner
            .lock()
            .expect("stats lock")
            .values()
            .map(|c| c.requests)
            .sum()
    }
}
