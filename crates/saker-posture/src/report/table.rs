//! Terminal tables: one per framework (requirements, status, failing
//! resources, score) and one of findings (status, severity, check,
//! resource, region, detail).
//!
//! Resource ids, regions, details, tags and mute reasons come from the
//! inventory, which an attacker can shape (resource names and tags are
//! free text): every cell goes through
//! [`saker_rules::output::escape_for_terminal`] (control and bidi-override
//! characters become `\xNN` / `\u{NNNN}`), so no cell can move the cursor,
//! recolour the terminal or forge a line.

use std::borrow::Cow;
use std::io::{self, Write};

use saker_rules::output::escape_for_terminal;

use crate::finding::{Finding, Status};
use crate::framework::{FrameworkResult, RequirementStatus, Score};

/// Write rows as left-aligned columns separated by two spaces; the last
/// column is not padded. Widths count characters.
fn columns<W: Write>(out: &mut W, indent: &str, rows: &[Vec<Cow<'_, str>>]) -> io::Result<()> {
    let n = rows.iter().map(Vec::len).max().unwrap_or(0);
    let mut widths = vec![0usize; n];
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            widths[i] = widths[i].max(c.chars().count());
        }
    }
    for r in rows {
        let mut line = String::from(indent);
        for (i, c) in r.iter().enumerate() {
            line.push_str(c);
            if i + 1 < r.len() {
                let pad = widths[i] - c.chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

fn esc(s: &str) -> Cow<'_, str> {
    escape_for_terminal(s)
}

/// The score line: `score: 80% (4 of 5 decided requirements pass; 1 not
/// evaluated, 0 without resources, 6 manual)`; `score: n/a (…)` when no
/// requirement was decided.
pub fn score_line(s: &Score) -> String {
    let pct = match s.percent() {
        Some(p) => format!("{p:.0}%"),
        None => "n/a".to_string(),
    };
    format!(
        "score: {pct} ({} of {} decided requirements pass; {} not evaluated, {} without resources, {} manual)",
        s.passed,
        s.passed + s.failed,
        s.not_evaluated,
        s.no_resources,
        s.manual
    )
}

/// One framework: a title line, a row per requirement (id, status,
/// failing resources, muted findings, title) and the score line.
pub fn write_framework<W: Write>(mut out: W, result: &FrameworkResult<'_>) -> io::Result<()> {
    writeln!(out, "{}", esc(&result.framework.label()))?;
    let mut rows: Vec<Vec<Cow<'_, str>>> = vec![vec![
        "REQUIREMENT".into(),
        "STATUS".into(),
        "FAILING".into(),
        "MUTED".into(),
        "TITLE".into(),
    ]];
    for r in &result.requirements {
        let count = |n: usize, shown: bool| -> Cow<'_, str> {
            if shown {
                n.to_string().into()
            } else {
                "-".into()
            }
        };
        let covered = r.status != RequirementStatus::Manual;
        let mut title = esc(&r.requirement.title).into_owned();
        if !r.checks_not_run.is_empty() {
            title.push_str(&format!(" [not run: {}]", r.checks_not_run.join(", ")));
        }
        rows.push(vec![
            esc(&r.requirement.id),
            r.status.as_str().into(),
            count(r.failing_resources, covered),
            count(r.muted, covered),
            title.into(),
        ]);
    }
    columns(&mut out, "  ", &rows)?;
    writeln!(out, "  {}", score_line(&result.score()))
}

/// Order for the findings table: FAIL, NOT_EVALUATED, MUTED, PASS; then
/// severity (worst first), check, account, region, resource.
fn rank(f: &Finding) -> u8 {
    match (f.muted.is_some(), f.status) {
        (false, Status::Fail) => 0,
        (false, Status::NotEvaluated) => 1,
        (true, _) => 2,
        (false, Status::Pass) => 3,
    }
}

/// The findings table. PASS findings are left out unless `include_pass`
/// (they are counted in [`summary_line`]). Muted findings show their
/// reason and mutelist entry after the detail.
pub fn write_findings<W: Write>(
    mut out: W,
    findings: &[Finding],
    include_pass: bool,
) -> io::Result<()> {
    let mut shown: Vec<&Finding> = findings
        .iter()
        .filter(|f| include_pass || f.muted.is_some() || f.status != Status::Pass)
        .collect();
    if shown.is_empty() {
        return Ok(());
    }
    shown.sort_by(|a, b| {
        rank(a)
            .cmp(&rank(b))
            .then(b.severity.cmp(&a.severity))
            .then_with(|| a.check_id.cmp(&b.check_id))
            .then_with(|| a.account_id.cmp(&b.account_id))
            .then_with(|| a.region.cmp(&b.region))
            .then_with(|| a.resource_id.cmp(&b.resource_id))
    });
    let accounts: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.account_id.as_str()).collect();
    let with_account = accounts.len() > 1;
    let mut head: Vec<Cow<'_, str>> = vec![
        "STATUS".into(),
        "SEVERITY".into(),
        "CHECK".into(),
        "RESOURCE".into(),
    ];
    if with_account {
        head.push("ACCOUNT".into());
    }
    head.extend(["REGION".into(), "DETAIL".into()]);
    let mut rows = vec![head];
    for f in shown {
        let mut detail = esc(&f.detail).into_owned();
        if let Some(m) = &f.muted {
            detail.push_str(&format!(" [muted: {} ({})]", esc(&m.reason), esc(&m.entry)));
        }
        let mut row: Vec<Cow<'_, str>> = vec![
            f.reported_status().into(),
            f.severity.as_str().into(),
            f.check_id.as_str().into(),
            esc(&f.resource_id),
        ];
        if with_account {
            row.push(esc(&f.account_id));
        }
        row.extend([esc(&f.region), detail.into()]);
        rows.push(row);
    }
    columns(&mut out, "", &rows)
}

/// `findings: 120 (5 FAIL, 100 PASS, 10 MUTED, 5 NOT_EVALUATED)`.
pub fn summary_line(findings: &[Finding]) -> String {
    let count = |s: &str| findings.iter().filter(|f| f.reported_status() == s).count();
    format!(
        "findings: {} ({} FAIL, {} PASS, {} MUTED, {} NOT_EVALUATED)",
        findings.len(),
        count("FAIL"),
        count("PASS"),
        count("MUTED"),
        count("NOT_EVALUATED")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Mute, Severity};

    fn finding(id: &str, status: Status, severity: Severity) -> Finding {
        Finding {
            finding_id: Finding::id_for("ec2_sg_open_admin_ports", "111122223333", "eu-west-1", id),
            check_id: "ec2_sg_open_admin_ports".into(),
            status,
            severity,
            account_id: "111122223333".into(),
            region: "eu-west-1".into(),
            resource_id: id.into(),
            resource_type: "AwsEc2SecurityGroup".into(),
            detail: "tcp 22 from 0.0.0.0/0".into(),
            evidence: Default::default(),
            requirements: Default::default(),
            muted: None,
            changed_by: None,
        }
    }

    #[test]
    fn control_characters_in_resource_ids_and_reasons_are_escaped() {
        let mut f = finding("sg-1\x1b[2J\nFAKE", Status::Fail, Severity::High);
        f.muted = Some(Mute {
            reason: "ok\u{202e}txt".into(),
            entry: "m.yaml:2".into(),
        });
        let mut out = Vec::new();
        write_findings(&mut out, &[f], false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            !text.contains('\x1b') && !text.contains('\u{202e}'),
            "{text:?}"
        );
        assert!(text.contains("sg-1\\x1b[2J\\x0aFAKE"), "{text}");
        assert!(
            text.contains("[muted: ok\\u{202e}txt (m.yaml:2)]"),
            "{text}"
        );
        assert_eq!(text.lines().count(), 2, "{text}");
    }

    #[test]
    fn failures_come_first_and_passes_are_only_counted() {
        let fs = vec![
            finding("sg-pass", Status::Pass, Severity::High),
            finding("sg-low", Status::Fail, Severity::Low),
            finding("sg-ne", Status::NotEvaluated, Severity::Critical),
            finding("sg-crit", Status::Fail, Severity::Critical),
        ];
        let mut out = Vec::new();
        write_findings(&mut out, &fs, false).unwrap();
        let text = String::from_utf8(out).unwrap();
        let order: Vec<&str> = text
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().nth(3).unwrap())
            .collect();
        assert_eq!(order, ["sg-crit", "sg-low", "sg-ne"]);
        assert_eq!(
            summary_line(&fs),
            "findings: 4 (2 FAIL, 1 PASS, 0 MUTED, 1 NOT_EVALUATED)"
        );
    }

    #[test]
    fn score_line_names_what_is_left_out() {
        let s = Score {
            passed: 3,
            failed: 1,
            not_evaluated: 2,
            no_resources: 1,
            manual: 5,
        };
        assert_eq!(
            score_line(&s),
            "score: 75% (3 of 4 decided requirements pass; 2 not evaluated, 1 without resources, 5 manual)"
        );
        assert!(score_line(&Score::default()).starts_with("score: n/a "));
    }
}
