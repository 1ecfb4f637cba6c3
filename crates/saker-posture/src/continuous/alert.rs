//! A [`PostureChange`] as an alert, so that the detection sinks (stdout
//! text and Falco JSON, file, webhook, Slack, falcosidekick) carry posture
//! changes unchanged.
//!
//! Shape (Falco's alert; `source` is `saker_posture`):
//! * `rule`: `Posture: <check title>`;
//! * `priority` from the check's severity: Critical → Critical, High →
//!   Error, Medium → Warning, Low → Notice, Informational →
//!   Informational (a resolution keeps the finding's priority: the window
//!   is what an investigator needs);
//! * `output`: resource, status change, who/when/where, the exposure
//!   window;
//! * `output_fields` (`posture.*`): `finding_id`, `check_id`, `status`,
//!   `previous_status`, `resource`, `resource_type`, `account`, `region`,
//!   `exposure.opened_at`, `exposure.opened_by`, `exposure.closed_at`,
//!   `exposure.closed_by`, `exposure.seconds`, `actor`, `event_id`,
//!   `event_name`, `source_ip`, `implied`, plus `evt.time`.
//!
//! The raw record handed with the alert is a posture-change document whose
//! `eventID` is `posture:<finding_id>:<transition>:<event id or scan
//! time>` and `recipientAccountId` the finding's account: the state
//! store's de-duplication key is then the finding id with the event id,
//! so a redelivered event repeats no posture alert.

use chrono::{DateTime, SecondsFormat, Utc};
use saker_rules::output::{format_evt_time, Alert};
use saker_rules::Priority;
use serde_json::{json, Value};

use crate::checks;
use crate::finding::{ChangeEvent, Severity};

use super::exposure::Closure;
use super::watch::{PostureChange, Transition};

/// The Falco `source` of posture alerts.
pub const SOURCE: &str = "saker_posture";

/// The alert priority of a check severity.
pub fn priority_of(severity: Severity) -> Priority {
    match severity {
        Severity::Critical => Priority::Critical,
        Severity::High => Priority::Error,
        Severity::Medium => Priority::Warning,
        Severity::Low => Priority::Notice,
        Severity::Informational => Priority::Informational,
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn who(e: Option<&ChangeEvent>) -> String {
    match e {
        Some(e) => format!(
            "{} by {}{} at {}",
            e.event_name,
            e.actor,
            e.source_ip
                .as_deref()
                .map(|ip| format!(" from {ip}"))
                .unwrap_or_default(),
            e.event_time
        ),
        None => "a full scan".to_string(),
    }
}

/// A duration as `1h2m3s`, `4m0s`, `12s`.
fn span(d: chrono::Duration) -> String {
    let s = d.num_seconds().max(0);
    match (s / 3600, (s % 3600) / 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec}s"),
        (h, m, sec) => format!("{h}h{m}m{sec}s"),
    }
}

impl PostureChange {
    /// The check's title (`Posture: <title>` is the alert's rule).
    pub fn title(&self) -> &'static str {
        checks::check_by_id(&self.finding.check_id)
            .map(|c| c.meta().title)
            .unwrap_or("unknown check")
    }

    /// The de-duplication id of this change (see the module doc).
    pub fn dedup_id(&self) -> String {
        let cause = match self.event() {
            Some(e) => e.event_id.clone(),
            None => format!("scan@{}", rfc3339(self.time())),
        };
        format!(
            "posture:{}:{}:{}",
            self.finding.finding_id,
            self.transition.as_str(),
            cause
        )
    }

    /// The alert and its raw record (the change as JSON).
    pub fn to_alert(&self, hostname: &str) -> (Alert, String) {
        let f = &self.finding;
        let priority = priority_of(f.severity);
        let time = self.time();
        let time_ns = time.timestamp_nanos_opt().unwrap_or(0);
        let resource = format!("{} {}", f.resource_type, f.resource_id);
        let place = format!("account {} region {}", f.account_id, f.region);
        let message = match self.transition {
            Transition::Failed => format!(
                "{resource} ({place}) now FAILS {} [{}]: {}; changed by {}",
                f.check_id,
                short_id(&f.check_id),
                f.detail,
                who(self.opened_by.as_ref()),
            ),
            Transition::Resolved => {
                let closed = self.closed_at.unwrap_or(self.opened_at);
                format!(
                    "{resource} ({place}) resolved {} [{}]: FAIL -> {}; exposure window {} – {} ({}), opened by {}, closed by {}",
                    f.check_id,
                    short_id(&f.check_id),
                    match self.closed_because {
                        Some(Closure::ResourceGone) => "resource gone",
                        _ => "PASS",
                    },
                    rfc3339(self.opened_at),
                    rfc3339(closed),
                    span(closed - self.opened_at),
                    who(self.opened_by.as_ref()),
                    who(self.closed_by.as_ref()),
                )
            }
        };
        let event = self.event();
        let (status, previous) = match self.transition {
            Transition::Failed => ("FAIL", "PASS"),
            Transition::Resolved => match self.closed_because {
                Some(Closure::ResourceGone) => ("GONE", "FAIL"),
                _ => ("PASS", "FAIL"),
            },
        };
        let s = |v: &str| Some(Value::String(v.to_string()));
        let opt = |v: Option<String>| Some(v.map_or(Value::Null, Value::String));
        let mut fields: Vec<(String, Option<Value>)> = vec![
            ("evt.time".into(), Some(Value::from(time_ns))),
            ("posture.account".into(), s(&f.account_id)),
            ("posture.actor".into(), opt(event.map(|e| e.actor.clone()))),
            ("posture.check_id".into(), s(&f.check_id)),
            (
                "posture.event_id".into(),
                opt(event.map(|e| e.event_id.clone())),
            ),
            (
                "posture.event_name".into(),
                opt(event.map(|e| e.event_name.clone())),
            ),
            (
                "posture.exposure.closed_at".into(),
                opt(self.closed_at.map(rfc3339)),
            ),
            (
                "posture.exposure.closed_by".into(),
                opt(self.closed_by.as_ref().map(|e| e.actor.clone())),
            ),
            (
                "posture.exposure.opened_at".into(),
                s(&rfc3339(self.opened_at)),
            ),
            (
                "posture.exposure.opened_by".into(),
                opt(self.opened_by.as_ref().map(|e| e.actor.clone())),
            ),
            (
                "posture.exposure.seconds".into(),
                Some(self.closed_at.map_or(Value::Null, |c| {
                    Value::from((c - self.opened_at).num_seconds())
                })),
            ),
            ("posture.finding_id".into(), s(&f.finding_id)),
            ("posture.implied".into(), Some(Value::Bool(self.implied))),
            ("posture.previous_status".into(), s(previous)),
            ("posture.region".into(), s(&f.region)),
            ("posture.resource".into(), s(&f.resource_id)),
            ("posture.resource_type".into(), s(&f.resource_type)),
            (
                "posture.source_ip".into(),
                opt(event.and_then(|e| e.source_ip.clone())),
            ),
            ("posture.status".into(), s(status)),
        ];
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        let mut tags = vec![
            "posture".to_string(),
            short_id(&f.check_id).to_string(),
            f.check_id.clone(),
        ];
        tags.sort();
        let alert = Alert {
            rule: format!("Posture: {}", self.title()),
            priority,
            source: SOURCE.to_string(),
            tags,
            time_ns,
            hostname: hostname.to_string(),
            output: format!("{}: {} {}", format_evt_time(time_ns), priority, message),
            message,
            output_fields: fields,
        };
        let raw = json!({
            "eventID": self.dedup_id(),
            "recipientAccountId": f.account_id,
            "awsRegion": f.region,
            "posture": {
                "transition": self.transition.as_str(),
                "finding": f,
                "opened_at": rfc3339(self.opened_at),
                "opened_by": self.opened_by,
                "closed_at": self.closed_at.map(rfc3339),
                "closed_by": self.closed_by,
                "closed_because": self.closed_because,
                "implied": self.implied,
                "revised": self.revised,
            }
        })
        .to_string();
        (alert, raw)
    }
}

fn short_id(check_id: &str) -> &'static str {
    checks::check_by_id(check_id)
        .map(|c| c.meta().short_id)
        .unwrap_or("?")
}
