//! Retries with backoff, and a client-side rate limiter that slows down
//! after throttling.
//!
//! EC2 throttles per account, per region, per API with a token bucket and
//! answers `RequestLimitExceeded` (EC2 developer guide, "Request
//! throttling"); IAM and STS answer `Throttling`. The SDKs' *adaptive* retry
//! mode combines exponential backoff with full jitter and a client-side
//! token bucket whose fill rate drops when the service throttles. This
//! module does the same, keyed by (account, region, API): a scan of many
//! regions and APIs slows down only where it is throttled.
//!
//! The bucket is off until the first throttle of its key (no delay in the
//! common case); then its rate starts at 70 % of the measured send rate,
//! drops by 30 % at each further throttle (never below
//! [`MIN_RATE`] requests/s) and grows by [`RATE_STEP`] requests/s per
//! success, up to twice the measured send rate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Retry settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryConfig {
    /// Requests per call, the first included (≥ 1). Default 8.
    pub max_attempts: u32,
    /// Backoff base: attempt `n` (1-based) sleeps a random duration in
    /// `[0, min(max_backoff, base × 2^(n-1))]` ("full jitter"). Default 200 ms.
    pub base_delay: Duration,
    /// Longest single backoff. Default 20 s (the SDKs' cap).
    pub max_backoff: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 8,
            base_delay: Duration::from_millis(200),
            max_backoff: Duration::from_secs(20),
        }
    }
}

impl RetryConfig {
    /// The sleep before attempt `attempt + 1`, after `attempt` failures.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let cap = exp.min(self.max_backoff);
        cap.mul_f64(fastrand::f64())
    }
}

/// Lowest fill rate of a throttled bucket, requests per second.
pub const MIN_RATE: f64 = 0.5;
/// Fill-rate increase per successful request, requests per second.
pub const RATE_STEP: f64 = 0.5;
/// Fill-rate factor at each throttle (the SDKs' β).
const BETA: f64 = 0.7;
/// Window of the send-rate measurement.
const MEASURE_WINDOW: Duration = Duration::from_millis(500);

/// One token bucket (one account, region and API).
#[derive(Debug)]
struct Bucket {
    /// Off until the first throttle.
    enabled: bool,
    /// Tokens per second.
    fill_rate: f64,
    tokens: f64,
    last_refill: Instant,
    /// Smoothed requests per second actually sent.
    measured_rate: f64,
    window_start: Instant,
    window_count: u32,
}

impl Bucket {
    fn new(now: Instant) -> Bucket {
        Bucket {
            enabled: false,
            fill_rate: f64::INFINITY,
            tokens: 1.0,
            last_refill: now,
            measured_rate: 0.0,
            window_start: now,
            window_count: 0,
        }
    }

    fn capacity(&self) -> f64 {
        self.fill_rate.max(1.0)
    }

    fn refill(&mut self, now: Instant) {
        let dt = now.duration_since(self.last_refill).as_secs_f64();
        self.tokens = (self.tokens + dt * self.fill_rate).min(self.capacity());
        self.last_refill = now;
    }

    fn note_send(&mut self, now: Instant) {
        self.window_count += 1;
        let dt = now.duration_since(self.window_start);
        if dt >= MEASURE_WINDOW {
            let rate = f64::from(self.window_count) / dt.as_secs_f64();
            self.measured_rate = if self.measured_rate == 0.0 {
                rate
            } else {
                0.8 * rate + 0.2 * self.measured_rate
            };
            self.window_start = now;
            self.window_count = 0;
        }
    }

    /// Take a token, or say how long to wait for one.
    fn try_take(&mut self, now: Instant) -> Option<Duration> {
        if !self.enabled {
            self.note_send(now);
            return None;
        }
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.note_send(now);
            None
        } else {
            Some(Duration::from_secs_f64(
                (1.0 - self.tokens) / self.fill_rate,
            ))
        }
    }

    fn on_throttle(&mut self, now: Instant) {
        let current = if self.enabled {
            self.fill_rate
        } else {
            // What we were sending at; before any measurement, assume a
            // modest rate so the first slowdown is not a stall.
            let in_window = now.duration_since(self.window_start).as_secs_f64();
            let recent = if in_window > 0.0 {
                f64::from(self.window_count) / in_window.max(MEASURE_WINDOW.as_secs_f64())
            } else {
                0.0
            };
            self.measured_rate.max(recent).max(2.0 * MIN_RATE)
        };
        self.refill(now);
        self.enabled = true;
        self.fill_rate = (current * BETA).max(MIN_RATE);
        self.tokens = self.tokens.min(self.capacity());
    }

    fn on_success(&mut self) {
        if self.enabled {
            let ceiling = (2.0 * self.measured_rate).max(self.fill_rate);
            self.fill_rate = (self.fill_rate + RATE_STEP).min(ceiling);
        }
    }
}

/// The key of a bucket: account, region, API (`ec2:DescribeInstances`).
pub type LimiterKey = (String, String, String);

/// Token buckets for every (account, region, API) a collection touches.
/// Shared by all clients of a run.
#[derive(Debug, Default)]
pub struct Limiter {
    buckets: Mutex<HashMap<LimiterKey, Arc<Mutex<Bucket>>>>,
}

impl Limiter {
    /// A limiter with no buckets yet.
    pub fn new() -> Limiter {
        Limiter::default()
    }

    fn bucket(&self, key: &LimiterKey) -> Arc<Mutex<Bucket>> {
        let mut map = self.buckets.lock().expect("limiter lock");
        map.entry(key.clone())
            .or_insert_with(|| Arc::new(Mutex::new(Bucket::new(Instant::now()))))
            .clone()
    }

    /// Wait until the key's bucket allows one more request.
    pub async fn acquire(&self, key: &LimiterKey) {
        let bucket = self.bucket(key);
        loop {
            let wait = bucket.lock().expect("bucket lock").try_take(Instant::now());
            match wait {
                None => return,
                Some(d) => tokio::time::sleep(d).await,
            }
        }
    }

    /// The service throttled a request of `key`.
    pub fn on_throttle(&self, key: &LimiterKey) {
        self.bucket(key)
            .lock()
            .expect("bucket lock")
            .on_throttle(Instant::now());
    }

    /// A request of `key` succeeded.
    pub fn on_success(&self, key: &LimiterKey) {
        self.bucket(key).lock().expect("bucket lock").on_success();
    }

    /// The current fill rate of `key` in requests per second; `None` while
    /// the bucket is off (never throttled).
    pub fn rate(&self, key: &LimiterKey) -> Option<f64> {
        let b = self.bucket(key);
        let b = b.lock().expect("bucket lock");
        b.enabled.then_some(b.fill_rate)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_capped() {
        let cfg = RetryConfig {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_backoff: Duration::from_millis(350),
        };
        for _ in 0..200 {
            assert!(cfg.backoff(1) <= Duration::from_millis(100));
            assert!(cfg.backoff(2) <= Duration::from_millis(200));
            assert!(cfg.backoff(3) <= Duration::from_millis(350));
            assert!(cfg.backoff(30) <= Duration::from_millis(350));
        }
        // Jitter: not always the cap.
        assert!((0..50).any(|_| cfg.backoff(3) < Duration::from_millis(300)));
    }

    #[test]
    fn bucket_is_off_until_throttled_then_slows_and_recovers() {
        let t0 = Instant::now();
        let mut b = Bucket::new(t0);
        for i in 0..100 {
            assert_eq!(b.try_take(t0 + Duration::from_millis(i * 10)), None);
        }
        let t1 = t0 + Duration::from_millis(1000);
        b.on_throttle(t1);
        assert!(b.enabled);
        let first = b.fill_rate;
        assert!((MIN_RATE..100.0).contains(&first), "{first}");
        b.on_throttle(t1);
        assert!(b.fill_rate < first);
        // Drain the bucket: the next request must wait.
        while b.try_take(t1).is_none() {}
        let wait = b.try_take(t1).unwrap();
        assert!(wait > Duration::ZERO);
        // Successes raise the rate again.
        let slow = b.fill_rate;
        b.on_success();
        assert!(b.fill_rate >= slow);
        for _ in 0..20 {
            b.on_throttle(t1);
        }
        assert!((b.fill_rate - MIN_RATE).abs() < 1e-9);
    }

    #[test]
    fn limiter_keys_are_independent() {
        let l = Limiter::new();
        let a = (
            "1".to_string(),
            "us-east-1".to_string(),
            "ec2:DescribeInstances".to_string(),
        );
        let b = (
            "1".to_string(),
            "eu-west-1".to_string(),
            "ec2:DescribeInstances".to_string(),
        );
        l.on_throttle(&a);
        assert!(l.rate(&a).is_some());
        assert_eq!(l.rate(&b), None);
    }
}
