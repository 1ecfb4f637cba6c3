//! OCSF Detection Finding report (`--output ocsf`).
//!
//! One OCSF 1.x *Detection Finding* event (`class_uid` 2004, category
//! Findings = 2, activity Create = 1, `type_uid` 200401) per finding,
//! written as **one JSON array** of objects, as Prowler's `json-ocsf` output
//! is, so the file can be loaded whole by Security Hub, Security Lake
//! mappers or `jq '.[]'`. Source of truth: the OCSF schema
//! (`events/findings/detection_finding.json`, `finding.json`,
//! `base_event.json`, objects `finding_info`, `metadata`, `product`,
//! `resource_details`, `cloud`, `account`, `remediation`, `evidences`,
//! `actor`, `user`, `api`, `network_endpoint`), version [`OCSF_VERSION`].
//!
//! Mapping (shapes as OCSF types them):
//! * `time`, `finding_info.created_time`: the report's generation time,
//!   `timestamp_t` = integer milliseconds since the Unix epoch; the `_dt`
//!   siblings (datetime profile) carry the same instant as RFC 3339 text.
//! * `finding_info`: `uid` = [`Finding::finding_id`] (stable across runs),
//!   `title` = the check's title, `desc`, `types`, `analytic` (the check as
//!   a rule); `first_seen_time` = the time of the CloudTrail event that made
//!   the finding what it is, when known ([`Finding::changed_by`]).
//! * `severity_id`/`severity` from [`Severity::ocsf_id`](crate::Severity::ocsf_id); `status_id`/`status`
//!   = 1 New, or 3 Suppressed when muted; `status_code` = `PASS`, `FAIL` or
//!   `NOT_EVALUATED`; `status_detail` and `message` = the finding's detail.
//! * `risk_details` = the check's rationale; `remediation.desc` = console
//!   steps then the AWS CLI command.
//! * `resources[0]`: `uid` = resource id, `type` (ASFF name), `region`,
//!   `cloud_partition`, `labels` (`Key=Value` from the evidence's `Tags`).
//! * `cloud`: `provider` `AWS`, `account.uid`, `region`.
//! * `evidences[0]` (only with `changed_by`): `actor.user.uid` = the
//!   principal ARN, `api.operation` = eventName, `api.request.uid` =
//!   eventID, `src_endpoint.ip` (or `.hostname` when CloudTrail's
//!   sourceIPAddress is a service name), `data.event_time`.
//! * `unmapped`: `compliance` (framework id → requirement ids), `evidence`
//!   (the API fields the verdict rests on), `mute` (reason and mutelist
//!   entry) when muted.

use std::io::{self, Write};
use std::net::IpAddr;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use crate::checks::CheckMeta;
use crate::finding::{ChangeEvent, Finding, Status};

/// The OCSF schema version the events follow (the version AWS Security Hub
/// reads).
pub const OCSF_VERSION: &str = "1.6.0";
/// `class_uid` of Detection Finding.
pub const CLASS_UID: u32 = 2004;
/// `category_uid` of Findings.
pub const CATEGORY_UID: u32 = 2;
/// `activity_id` Create.
pub const ACTIVITY_CREATE: u32 = 1;
/// `type_uid` = `class_uid * 100 + activity_id`.
pub const TYPE_UID: u32 = CLASS_UID * 100 + ACTIVITY_CREATE;
/// `status_id` New.
pub const STATUS_NEW: u32 = 1;
/// `status_id` Suppressed (muted findings).
pub const STATUS_SUPPRESSED: u32 = 3;
/// `analytic.type_id` Rule.
const ANALYTIC_RULE: u32 = 1;
/// `account.type_id` AWS Account.
const ACCOUNT_AWS: u32 = 10;

/// Write `findings` as one JSON array of OCSF Detection Findings to `out`.
///
/// `meta` finds a check's [`CheckMeta`] by check id; a finding whose check
/// is unknown is still written, with the check id as title and without
/// `risk_details`/`remediation`. `generated_at` is the report time
/// (`time`, `finding_info.created_time`). Errors: only those of `out`.
pub fn write<'m, W: Write>(
    mut out: W,
    findings: &[Finding],
    meta: impl Fn(&str) -> Option<&'m CheckMeta>,
    generated_at: DateTime<Utc>,
) -> io::Result<()> {
    out.write_all(b"[")?;
    for (i, f) in findings.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        let event = detection_finding(f, meta(&f.check_id), generated_at);
        serde_json::to_writer(&mut out, &event)?;
    }
    out.write_all(if findings.is_empty() {
        b"]\n"
    } else {
        b"\n]\n"
    })?;
    out.flush()
}

/// One finding as an OCSF Detection Finding object (see the module doc for
/// the mapping).
pub fn detection_finding(
    f: &Finding,
    meta: Option<&CheckMeta>,
    generated_at: DateTime<Utc>,
) -> Value {
    let now_ms = generated_at.timestamp_millis();
    let now_dt = rfc3339(generated_at);
    let muted = f.muted.is_some();
    let (status_id, status) = if muted {
        (STATUS_SUPPRESSED, "Suppressed")
    } else {
        (STATUS_NEW, "New")
    };
    let title = meta.map_or(f.check_id.as_str(), |m| m.title);
    let changed_at = f.changed_by.as_ref().and_then(event_time);

    let mut finding_info = Map::new();
    finding_info.insert("uid".into(), f.finding_id.clone().into());
    finding_info.insert("title".into(), title.into());
    if let Some(m) = meta {
        finding_info.insert(
            "desc".into(),
            format!("{} ({}). Reads: {}", m.title, m.short_id, m.api_fields).into(),
        );
    }
    finding_info.insert(
        "types".into(),
        json!(["Software and Configuration Checks/AWS Security Best Practices"]),
    );
    finding_info.insert("created_time".into(), now_ms.into());
    finding_info.insert("created_time_dt".into(), now_dt.clone().into());
    if let Some(t) = changed_at {
        finding_info.insert("first_seen_time".into(), t.timestamp_millis().into());
        finding_info.insert("first_seen_time_dt".into(), rfc3339(t).into());
    }
    let mut analytic = json!({
        "uid": f.check_id,
        "name": f.check_id,
        "type_id": ANALYTIC_RULE,
        "type": "Rule",
    });
    if let Some(m) = meta {
        analytic["desc"] = m.title.into();
    }
    finding_info.insert("analytic".into(), analytic);

    let mut ev = Map::new();
    ev.insert("message".into(), f.detail.clone().into());
    ev.insert(
        "metadata".into(),
        json!({
            "event_code": f.check_id,
            "product": {
                "name": "saker",
                "vendor_name": "saker",
                "uid": "saker-posture",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "profiles": ["cloud", "datetime"],
            "version": OCSF_VERSION,
        }),
    );
    ev.insert("severity_id".into(), f.severity.ocsf_id().into());
    ev.insert("severity".into(), f.severity.as_str().into());
    ev.insert("status_id".into(), status_id.into());
    ev.insert("status".into(), status.into());
    ev.insert("status_code".into(), f.status.as_str().into());
    ev.insert("status_detail".into(), f.detail.clone().into());
    ev.insert("activity_id".into(), ACTIVITY_CREATE.into());
    ev.insert("activity_name".into(), "Create".into());
    ev.insert("category_uid".into(), CATEGORY_UID.into());
    ev.insert("category_name".into(), "Findings".into());
    ev.insert("class_uid".into(), CLASS_UID.into());
    ev.insert("class_name".into(), "Detection Finding".into());
    ev.insert("type_uid".into(), TYPE_UID.into());
    ev.insert("type_name".into(), "Detection Finding: Create".into());
    ev.insert("time".into(), now_ms.into());
    ev.insert("time_dt".into(), now_dt.into());
    ev.insert(
        "is_alert".into(),
        (f.status == Status::Fail && !muted).into(),
    );
    if let Some(t) = changed_at {
        ev.insert("start_time".into(), t.timestamp_millis().into());
        ev.insert("start_time_dt".into(), rfc3339(t).into());
    }
    ev.insert("finding_info".into(), Value::Object(finding_info));
    if let Some(m) = meta {
        ev.insert("risk_details".into(), m.rationale.into());
        ev.insert(
            "remediation".into(),
            json!({ "desc": format!(
                "Console: {}\nAWS CLI: {}",
                m.remediation_console, m.remediation_cli
            ) }),
        );
    }
    ev.insert(
        "resources".into(),
        json!([{
            "uid": f.resource_id,
            "name": f.resource_id,
            "type": f.resource_type,
            "region": f.region,
            "cloud_partition": partition(&f.region),
            "labels": labels(f),
        }]),
    );
    ev.insert(
        "cloud".into(),
        json!({
            "provider": "AWS",
            "account": { "uid": f.account_id, "type_id": ACCOUNT_AWS, "type": "AWS Account" },
            "region": f.region,
        }),
    );
    if let Some(c) = &f.changed_by {
        ev.insert("evidences".into(), json!([evidence(c)]));
    }
    let mut unmapped = Map::new();
    unmapped.insert("compliance".into(), json!(f.requirements));
    unmapped.insert("evidence".into(), json!(f.evidence));
    if let Some(m) = &f.muted {
        unmapped.insert(
            "mute".into(),
            json!({ "reason": m.reason, "entry": m.entry }),
        );
    }
    ev.insert("unmapped".into(), Value::Object(unmapped));
    Value::Object(ev)
}

/// The `evidences` object of a CloudTrail change event.
fn evidence(c: &ChangeEvent) -> Value {
    let mut e = Map::new();
    e.insert("actor".into(), json!({ "user": { "uid": c.actor } }));
    e.insert(
        "api".into(),
        json!({ "operation": c.event_name, "request": { "uid": c.event_id } }),
    );
    if let Some(src) = c.source_ip.as_deref().filter(|s| !s.is_empty()) {
        // CloudTrail's sourceIPAddress is a service name ("ec2.amazonaws.com")
        // when a service acted on the principal's behalf: not an `ip_t`.
        let endpoint = if src.parse::<IpAddr>().is_ok() {
            json!({ "ip": src })
        } else {
            json!({ "hostname": src })
        };
        e.insert("src_endpoint".into(), endpoint);
    }
    e.insert("data".into(), json!({ "event_time": c.event_time }));
    Value::Object(e)
}

/// The change event's time, if it parses as RFC 3339.
fn event_time(c: &ChangeEvent) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&c.event_time)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// The AWS partition of a region: `aws-cn` for `cn-*`, `aws-us-gov` for
/// `us-gov-*`, `aws-iso`/`aws-iso-b` for `us-iso-*`/`us-isob-*`, else `aws`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else {
        "aws"
    }
}

/// `Key=Value` labels from the evidence's `Tags` (the API's
/// `[{Key, Value}]` list), when the check recorded them.
pub fn labels(f: &Finding) -> Vec<String> {
    let Some(Value::Array(tags)) = f.evidence.get("Tags") else {
        return Vec::new();
    };
    tags.iter()
        .filter_map(|t| {
            let k = t.get("Key")?.as_str()?;
            let v = t.get("Value").and_then(Value::as_str).unwrap_or("");
            Some(format!("{k}={v}"))
        })
        .collect()
}
