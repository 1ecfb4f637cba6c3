//! Alerts POSTed to HTTP endpoints: a webhook receiving Falco's JSON alert
//! (falcosidekick and its outputs accept it unchanged) or a Slack incoming
//! webhook, with retries and a disk spool.

use std::io;
use std::path::Path;
use std::thread::sleep;
use std::time::Duration;

use saker_rules::output::{format_evt_time, Alert, JsonOptions};
use serde_json::{json, Value};

use crate::spool::Spool;
use crate::AlertSink;

/// What is POSTed for each alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpBody {
    /// Falco's JSON alert (the body Falco's `http_output` sends), content
    /// type `application/json`.
    FalcoJson,
    /// A Slack incoming-webhook message: `{"text": …}` saying who did what,
    /// when and where (from the CloudTrail record), and the rule's output.
    Slack,
}

/// Retries of one request.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request before the alert goes to the spool (≥ 1).
    pub attempts: u32,
    /// Pause after the first failure; doubled after each further one.
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Timeout of one request (connect + response).
    pub timeout: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            timeout: Duration::from_secs(10),
        }
    }
}

/// An HTTP endpoint receiving one POST per alert.
///
/// Alerts are sent when the pipeline flushes (end of each source unit), in
/// order. A request that fails (connection error, timeout, a status other
/// than 2xx) is retried with exponential backoff; when the attempts are
/// exhausted, that alert and every later one are appended to the spool
/// (synced to disk) and [`flush`](AlertSink::flush) returns `Ok`: the
/// alerts are durable, and the source unit can be acknowledged. Each flush
/// (and the first one of a run, so a spool left by an earlier run is
/// drained) first resends the spool, oldest first; new alerts go straight
/// to the spool while it is not empty, to keep the order.
///
/// Delivery is at least once: an endpoint that stored an alert but whose
/// answer was lost receives it again.
pub struct HttpSink {
    name: String,
    url: String,
    body: HttpBody,
    json: JsonOptions,
    retry: RetryPolicy,
    client: reqwest::blocking::Client,
    spool: Spool,
    pending: Vec<String>,
    /// Alerts sent (accepted by the endpoint) during this run.
    sent: u64,
    /// Alerts put in the spool during this run.
    spooled: u64,
}

impl HttpSink {
    /// A sink POSTing to `url`, spooling into `spool_dir`.
    ///
    /// # Errors
    /// The spool directory cannot be created, or the HTTP client cannot be
    /// built (TLS setup).
    pub fn new(
        url: &str,
        body: HttpBody,
        retry: RetryPolicy,
        spool_dir: &Path,
    ) -> io::Result<HttpSink> {
        let client = reqwest::blocking::Client::builder()
            .timeout(retry.timeout)
            .user_agent(concat!("saker/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(io::Error::other)?;
        let name = redact(url);
        Ok(HttpSink {
            spool: Spool::open(spool_dir, &name)?,
            name,
            url: url.to_string(),
            body,
            json: JsonOptions::default(),
            retry,
            client,
            pending: Vec::new(),
            sent: 0,
            spooled: 0,
        })
    }

    /// The endpoint as shown in messages (path and query hidden: Slack and
    /// many webhooks carry their secret in the URL).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// (sent, spooled) during this run.
    pub fn counts(&self) -> (u64, u64) {
        (self.sent, self.spooled)
    }

    /// POST one body with retries; `Err` with the last failure.
    fn send(&self, body: &str) -> Result<(), String> {
        let mut backoff = self.retry.first_backoff;
        let mut last = String::new();
        for attempt in 0..self.retry.attempts.max(1) {
            if attempt > 0 {
                sleep(backoff);
                backoff = (backoff * 2).min(self.retry.max_backoff);
            }
            match self
                .client
                .post(&self.url)
                .header("Content-Type", "application/json")
                .body(body.to_string())
                .send()
            {
                Ok(r) if r.status().is_success() => return Ok(()),
                Ok(r) => last = format!("HTTP {}", r.status()),
                Err(e) => last = e.without_url().to_string(),
            }
        }
        Err(last)
    }

    /// Send `bodies` in order; return how many were accepted before the
    /// first failure.
    fn send_all(&mut self, bodies: &[String]) -> (usize, Option<String>) {
        for (i, b) in bodies.iter().enumerate() {
            if let Err(e) = self.send(b) {
                return (i, Some(e));
            }
            self.sent += 1;
        }
        (bodies.len(), None)
    }
}

impl AlertSink for HttpSink {
    fn deliver(&mut self, alert: &Alert, raw: &str) -> io::Result<()> {
        let body = match self.body {
            HttpBody::FalcoJson => alert.to_json(&self.json),
            HttpBody::Slack => slack_message(alert, raw).to_string(),
        };
        self.pending.push(body);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        // 1. The spool, oldest first.
        let spooled = self.spool.load()?;
        if !spooled.is_empty() {
            let (n, failure) = self.send_all(&spooled);
            if n > 0 {
                self.spool.replace(&spooled[n..])?;
            }
            if let Some(e) = failure {
                // Still down: new alerts queue behind the spooled ones.
                let pending = std::mem::take(&mut self.pending);
                self.spool.append(&pending)?;
                self.spooled += pending.len() as u64;
                if !pending.is_empty() {
                    eprintln!(
                        "saker: {}: {e}; {} alert(s) kept in {}",
                        self.name,
                        spooled.len() - n + pending.len(),
                        self.spool.path().display()
                    );
                }
                return Ok(());
            }
        }
        // 2. This unit's alerts.
        let pending = std::mem::take(&mut self.pending);
        let (n, failure) = self.send_all(&pending);
        if let Some(e) = failure {
            self.spool.append(&pending[n..])?;
            self.spooled += (pending.len() - n) as u64;
            eprintln!(
                "saker: {}: {e} after {} attempt(s); {} alert(s) kept in {} and resent later",
                self.name,
                self.retry.attempts.max(1),
                pending.len() - n,
                self.spool.path().display()
            );
        }
        Ok(())
    }
}

/// `scheme://host[:port]/…`: the URL without path, query or credentials.
fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "endpoint".to_string();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or(authority);
    let has_path = rest.len() > authority.len();
    format!("{scheme}://{host}{}", if has_path { "/…" } else { "" })
}

/// Slack `mrkdwn` escaping of `&`, `<`, `>`.
fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A readable Slack message: rule and priority, then who, what, when and
/// where from the CloudTrail record, then the rule's output.
pub fn slack_message(alert: &Alert, raw: &str) -> Value {
    let rec: Value = serde_json::from_str(raw).unwrap_or(Value::Null);
    let s = |v: &Value| v.as_str().map(str::to_string);
    let who = s(&rec["userIdentity"]["arn"])
        .or_else(|| s(&rec["userIdentity"]["principalId"]))
        .or_else(|| s(&rec["userIdentity"]["invokedBy"]))
        .unwrap_or_else(|| "unknown principal".into());
    let what = match (s(&rec["eventName"]), s(&rec["eventSource"])) {
        (Some(n), Some(src)) => format!("{n} ({src})"),
        (Some(n), None) => n,
        _ => "unknown event".into(),
    };
    let when = s(&rec["eventTime"]).unwrap_or_else(|| format_evt_time(alert.time_ns));
    let mut place = Vec::new();
    if let Some(a) = s(&rec["recipientAccountId"]) {
        place.push(format!("account {a}"));
    }
    if let Some(r) = s(&rec["awsRegion"]) {
        place.push(r);
    }
    if let Some(ip) = s(&rec["sourceIPAddress"]) {
        place.push(format!("from {ip}"));
    }
    let outcome = match s(&rec["errorCode"]) {
        Some(code) => format!(" — failed: {code}"),
        None => String::new(),
    };
    let text = format!(
        "*{}* {}\n*Who:* {}\n*What:* {}{}\n*When:* {}\n*Where:* {}\n{}",
        alert.priority.as_str(),
        slack_escape(&alert.rule),
        slack_escape(&who),
        slack_escape(&what),
        slack_escape(&outcome),
        slack_escape(&when),
        slack_escape(&place.join(", ")),
        slack_escape(&alert.message),
    );
    json!({ "text": text })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_their_secrets() {
        assert_eq!(
            redact("https://hooks.slack.com/services/T000/B000/XXXX"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(redact("http://user:pw@host:2801"), "http://host:2801");
        assert_eq!(redact("nonsense"), "endpoint");
    }
}
