//! CSV report (`--output csv`): one row per finding, RFC 4180 quoting
//! (fields with commas, quotes or line breaks are double-quoted, quotes
//! doubled) by the `csv` crate, a header row, `\n` line ends.
//!
//! Columns, in order ([`COLUMNS`]), modelled on Prowler's CSV:
//! `TIMESTAMP` (report time, RFC 3339 UTC), `ACCOUNT_UID`, `REGION`,
//! `FINDING_UID` (stable id), `CHECK_ID`, `CHECK_TITLE`, `STATUS`
//! (`PASS`/`FAIL`/`NOT_EVALUATED`: the verdict, muted or not), `MUTED`
//! (`True`/`False`), `MUTE_REASON`, `SEVERITY` (`Informational`…`Critical`),
//! `RESOURCE_TYPE`, `RESOURCE_UID`, `DETAIL`, `RISK` (the check's
//! rationale), `REMEDIATION_CLI`, `REMEDIATION_CONSOLE`, `COMPLIANCE`
//! (`framework:requirement` pairs joined by `;`), `CHANGED_BY` (see
//! [`changed_by_summary`]).
//!
//! Spreadsheet formula injection: resource names, tags and CloudTrail
//! fields are attacker-controlled, and a cell starting with `=`, `+`, `-`,
//! `@`, tab or carriage return is run as a formula by Excel, LibreOffice
//! and Google Sheets. Every such cell gets a leading `'` (OWASP's advice),
//! whatever its column; no other cell is changed.

use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use crate::checks::CheckMeta;
use crate::finding::{ChangeEvent, Finding};

/// The header row.
pub const COLUMNS: [&str; 18] = [
    "TIMESTAMP",
    "ACCOUNT_UID",
    "REGION",
    "FINDING_UID",
    "CHECK_ID",
    "CHECK_TITLE",
    "STATUS",
    "MUTED",
    "MUTE_REASON",
    "SEVERITY",
    "RESOURCE_TYPE",
    "RESOURCE_UID",
    "DETAIL",
    "RISK",
    "REMEDIATION_CLI",
    "REMEDIATION_CONSOLE",
    "COMPLIANCE",
    "CHANGED_BY",
];

/// Write the header and one row per finding to `out`.
///
/// `meta` finds a check's [`CheckMeta`] by id; for an unknown check the
/// title is the check id and `RISK`/`REMEDIATION_*` are empty.
/// `generated_at` fills `TIMESTAMP`. Errors: those of `out`.
pub fn write<'m, W: Write>(
    out: W,
    findings: &[Finding],
    meta: impl Fn(&str) -> Option<&'m CheckMeta>,
    generated_at: DateTime<Utc>,
) -> io::Result<()> {
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::Any(b'\n'))
        .from_writer(out);
    w.write_record(COLUMNS).map_err(io::Error::from)?;
    let ts = generated_at.to_rfc3339_opts(SecondsFormat::Secs, true);
    for f in findings {
        let m = meta(&f.check_id);
        let row: [String; 18] = [
            ts.clone(),
            f.account_id.clone(),
            f.region.clone(),
            f.finding_id.clone(),
            f.check_id.clone(),
            m.map_or_else(|| f.check_id.clone(), |m| m.title.to_string()),
            f.status.as_str().to_string(),
            if f.muted.is_some() { "True" } else { "False" }.to_string(),
            f.muted
                .as_ref()
                .map(|m| m.reason.clone())
                .unwrap_or_default(),
            f.severity.as_str().to_string(),
            f.resource_type.clone(),
            f.resource_id.clone(),
            f.detail.clone(),
            m.map(|m| m.rationale.to_string()).unwrap_or_default(),
            m.map(|m| m.remediation_cli.to_string()).unwrap_or_default(),
            m.map(|m| m.remediation_console.to_string())
                .unwrap_or_default(),
            compliance_pairs(f).join(";"),
            f.changed_by
                .as_ref()
                .map(changed_by_summary)
                .unwrap_or_default(),
        ];
        w.write_record(row.iter().map(|c| neutralise_formula(c).into_owned()))
            .map_err(io::Error::from)?;
    }
    w.flush()
}

/// `cell` with a leading `'` when a spreadsheet would read it as a formula
/// (first character `=`, `+`, `-`, `@`, tab or carriage return).
pub fn neutralise_formula(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// The finding's framework requirements as `framework:requirement`, sorted
/// by framework id then in the framework layer's order
/// (`cis-aws-5.0:5.3`, `fsbp:EC2.19`).
pub fn compliance_pairs(f: &Finding) -> Vec<String> {
    f.requirements
        .iter()
        .flat_map(|(fw, reqs)| reqs.iter().map(move |r| format!("{fw}:{r}")))
        .collect()
}

/// One line on a change event: `ACTOR EVENT_NAME at TIME from IP (event
/// EVENT_ID)`, the `from` part only when the source address is known.
/// Not escaped: callers escape for their medium.
pub fn changed_by_summary(c: &ChangeEvent) -> String {
    let mut s = format!("{} {} at {}", c.actor, c.event_name, c.event_time);
    if let Some(ip) = c.source_ip.as_deref().filter(|s| !s.is_empty()) {
        s.push_str(" from ");
        s.push_str(ip);
    }
    s.push_str(" (event ");
    s.push_str(&c.event_id);
    s.push(')');
    s
}
