//! `--output json`: one JSON object per finding, one per line.
//!
//! The object is [`Finding`]'s serde form with two changes, so `jq` filters
//! read naturally and muted findings never pass for failures:
//! * `status` is the *reported* status: `PASS`, `FAIL`, `MUTED` or
//!   `NOT_EVALUATED` ([`Finding::reported_status`]);
//! * `check_status` is the check's own verdict (`PASS`, `FAIL`,
//!   `NOT_EVALUATED`), which a muted finding keeps;
//!
//! plus `check_title` (the check's title, when the check is known). Keys:
//! `finding_id`, `check_id`, `check_title`, `status`, `check_status`,
//! `severity` (`critical` … `informational`), `account_id`, `region`,
//! `resource_id`, `resource_type`, `requirements` (framework id →
//! requirement ids), `detail`, `evidence` (API field → value), `muted`
//! (`{reason, entry}` or null), `changed_by` (the CloudTrail event, or
//! null). [`super::diff::read_findings`] reads a report back.

use std::io::{self, Write};

use serde_json::{Map, Value};

use crate::checks::CheckMeta;
use crate::finding::Finding;

/// The JSON object of one finding (see the module doc).
pub fn finding_object(f: &Finding, meta: Option<&CheckMeta>) -> Value {
    let Value::Object(form) = serde_json::to_value(f).expect("findings serialize") else {
        unreachable!("a Finding serializes to an object")
    };
    let mut o = Map::with_capacity(form.len() + 2);
    for (k, v) in form {
        match k.as_str() {
            "check_id" => {
                o.insert(k, v);
                if let Some(m) = meta {
                    o.insert("check_title".into(), Value::from(m.title));
                }
            }
            "status" => {
                o.insert(k, Value::from(f.reported_status()));
                o.insert("check_status".into(), v);
            }
            _ => {
                o.insert(k, v);
            }
        }
    }
    Value::Object(o)
}

/// Write one line per finding. `meta` finds a check's metadata by id (for
/// `check_title`). Errors: those of `out`.
pub fn write<'m, W: Write>(
    mut out: W,
    findings: &[Finding],
    meta: impl Fn(&str) -> Option<&'m CheckMeta>,
) -> io::Result<()> {
    for f in findings {
        serde_json::to_writer(&mut out, &finding_object(f, meta(&f.check_id)))?;
        out.write_all(b"\n")?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Mute, Severity, Status};

    fn finding(status: Status, muted: bool) -> Finding {
        Finding {
            finding_id: Finding::id_for(
                "ec2_eip_unused",
                "111122223333",
                "eu-west-1",
                "eipalloc-1",
            ),
            check_id: "ec2_eip_unused".into(),
            status,
            severity: Severity::Low,
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            resource_id: "eipalloc-1".into(),
            resource_type: "AwsEc2Eip".into(),
            detail: "not associated".into(),
            evidence: [("AssociationId".to_string(), Value::Null)].into(),
            requirements: [("example".to_string(), vec!["GOV-02".to_string()])].into(),
            muted: muted.then(|| Mute {
                reason: "kept for DR".into(),
                entry: "mute.yaml:3".into(),
            }),
            changed_by: None,
        }
    }

    #[test]
    fn muted_fail_is_reported_muted_and_keeps_its_verdict() {
        let f = finding(Status::Fail, true);
        let mut buf = Vec::new();
        write(&mut buf, std::slice::from_ref(&f), |_| None).unwrap();
        let line = String::from_utf8(buf).unwrap();
        assert_eq!(line.lines().count(), 1);
        let v: Value = serde_json::from_str(line.trim()).unwrap();
        assert_eq!(v["status"], "MUTED");
        assert_eq!(v["check_status"], "FAIL");
        assert_eq!(v["severity"], "low");
        assert_eq!(v["muted"]["reason"], "kept for DR");
        assert_eq!(v["requirements"]["example"][0], "GOV-02");
        let back =
            super::super::diff::finding_from_json(serde_json::from_str(line.trim()).unwrap());
        assert_eq!(back.unwrap(), f);
    }
}
