//! HTML report (`--output html`): one self-contained file (inline CSS, no
//! script, no external assets), readable offline and safe to mail.
//!
//! Layout: a header (generation time, accounts, regions), summary counts by
//! reported status (`FAIL`, `PASS`, `MUTED`, `NOT_EVALUATED`) and by
//! severity, a table of contents, then one section per check (most severe
//! and most failing first) with its title, severity, rationale, remediation
//! (console and AWS CLI), the API fields it reads, and a table of its
//! findings (failures first) with detail, requirements, mute reason, the
//! change event that made it so and the evidence (collapsed). A checkbox
//! hides passing rows through CSS alone.
//!
//! Every string that comes from the estate or from input files (resource
//! ids, details, evidence, tags, CloudTrail actors, mute reasons, check ids
//! read back from JSON) goes through [`escape`]; element ids are reduced to
//! `[A-Za-z0-9_-]`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use chrono::{DateTime, SecondsFormat, Utc};

use super::csv::{changed_by_summary, compliance_pairs};
use crate::checks::CheckMeta;
use crate::finding::{Finding, Severity, Status};

/// HTML-escape text for element content and quoted attribute values:
/// `&`, `<`, `>`, `"`, `'` become character references.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            // C0 controls other than tab and line ends are not allowed in
            // HTML text; show them as U+FFFD rather than pass them through.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{fffd}'),
            c => o.push(c),
        }
    }
    o
}

/// An element id from arbitrary text: characters outside `[A-Za-z0-9_-]`
/// become `_`.
fn anchor(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

const STYLE: &str = r#"
:root { color-scheme: light dark; --fail:#b42318; --pass:#067647; --muted:#6b6b6b; --ne:#b54708; --line:#d0d5dd; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 80rem; padding: 1rem 1.5rem 3rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; }
h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid var(--line); padding-bottom: .2rem; }
table { border-collapse: collapse; width: 100%; margin: .6rem 0; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: color-mix(in srgb, var(--line) 35%, transparent); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { font: 13px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; word-break: break-word; margin: .2rem 0; }
.st { font-weight: 700; white-space: nowrap; }
.st-FAIL { color: var(--fail); } .st-PASS { color: var(--pass); }
.st-MUTED { color: var(--muted); } .st-NOT_EVALUATED { color: var(--ne); }
.meta { color: var(--muted); }
dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dt { font-weight: 600; }
dd { margin: 0; }
#only-failing:checked ~ main tr.row-PASS { display: none; }
.wrap { word-break: break-all; }
"#;

/// Write the report for `findings` to `out`.
///
/// `meta` finds a check's [`CheckMeta`] by id (unknown checks get a
/// section titled by their id, without rationale or remediation);
/// `generated_at` is shown in the header. Errors: those of `out`.
pub fn write<'m, W: Write>(
    mut out: W,
    findings: &[Finding],
    meta: impl Fn(&str) -> Option<&'m CheckMeta>,
    generated_at: DateTime<Utc>,
) -> io::Result<()> {
    let mut h = String::with_capacity(4096 + findings.len() * 512);
    head(&mut h, findings, generated_at);
    summary(&mut h, findings);

    // Group by check; order: worst severity, most failures, then id.
    let mut by_check: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_check.entry(&f.check_id).or_default().push(f);
    }
    let mut groups: Vec<(&str, Vec<&Finding>)> = by_check.into_iter().collect();
    let failing = |fs: &[&Finding]| fs.iter().filter(|f| f.reported_status() == "FAIL").count();
    let severity = |fs: &[&Finding]| fs.iter().map(|f| f.severity).max();
    groups.sort_by(|a, b| {
        severity(&b.1)
            .cmp(&severity(&a.1))
            .then(failing(&b.1).cmp(&failing(&a.1)))
            .then(a.0.cmp(b.0))
    });

    h.push_str("<nav aria-labelledby=\"toc\"><h2 id=\"toc\">Checks</h2><table><thead><tr><th scope=\"col\">Check</th><th scope=\"col\">Severity</th><th scope=\"col\">FAIL</th><th scope=\"col\">PASS</th><th scope=\"col\">MUTED</th><th scope=\"col\">NOT_EVALUATED</th></tr></thead><tbody>\n");
    for (id, fs) in &groups {
        let m = meta(id);
        let c = counts(fs.iter().copied());
        let _ = writeln!(
            h,
            "<tr><td><a href=\"#check-{a}\">{short}{title}</a></td><td>{sev}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            c[0],
            c[1],
            c[2],
            c[3],
            a = anchor(id),
            short = m.map(|m| format!("{} · ", escape(m.short_id))).unwrap_or_default(),
            title = escape(m.map_or(id, |m| m.title)),
            sev = severity(fs).map_or("", Severity::as_str),
        );
    }
    h.push_str("</tbody></table></nav>\n<main>\n");
    for (id, fs) in &mut groups {
        fs.sort_by(|a, b| {
            row_rank(a)
                .cmp(&row_rank(b))
                .then(a.account_id.cmp(&b.account_id))
                .then(a.region.cmp(&b.region))
                .then(a.resource_id.cmp(&b.resource_id))
        });
        check_section(&mut h, id, meta(id), fs);
    }
    h.push_str("</main>\n</body>\n</html>\n");
    out.write_all(h.as_bytes())?;
    out.flush()
}

fn head(h: &mut String, findings: &[Finding], generated_at: DateTime<Utc>) {
    let accounts: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.account_id.as_str()).collect();
    let regions: std::collections::BTreeSet<&str> =
        findings.iter().map(|f| f.region.as_str()).collect();
    let join = |s: &std::collections::BTreeSet<&str>| {
        s.iter().map(|x| escape(x)).collect::<Vec<_>>().join(", ")
    };
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>saker posture report</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<header>\n<h1>saker posture report</h1>\n<p class=\"meta\">Generated {} by saker {} · {} findings · accounts: {} · regions: {}</p>\n</header>\n<input type=\"checkbox\" id=\"only-failing\"> <label for=\"only-failing\">Hide passing findings</label>\n",
        generated_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        env!("CARGO_PKG_VERSION"),
        findings.len(),
        join(&accounts),
        join(&regions),
    );
}

/// Counts by reported status: FAIL, PASS, MUTED, NOT_EVALUATED.
fn counts<'a>(fs: impl Iterator<Item = &'a Finding>) -> [usize; 4] {
    let mut c = [0; 4];
    for f in fs {
        let col = match (f.muted.is_some(), f.status) {
            (true, _) => 2,
            (false, Status::Fail) => 0,
            (false, Status::Pass) => 1,
            (false, Status::NotEvaluated) => 3,
        };
        c[col] += 1;
    }
    c
}

/// Row order within a check: FAIL, NOT_EVALUATED, MUTED, PASS.
fn row_rank(f: &Finding) -> u8 {
    match (f.muted.is_some(), f.status) {
        (false, Status::Fail) => 0,
        (false, Status::NotEvaluated) => 1,
        (true, _) => 2,
        (false, Status::Pass) => 3,
    }
}

fn summary(h: &mut String, findings: &[Finding]) {
    let c = counts(findings.iter());
    h.push_str("<section aria-labelledby=\"summary\"><h2 id=\"summary\">Summary</h2>\n<table><thead><tr><th scope=\"col\">Severity</th><th scope=\"col\">FAIL</th><th scope=\"col\">PASS</th><th scope=\"col\">MUTED</th><th scope=\"col\">NOT_EVALUATED</th><th scope=\"col\">Total</th></tr></thead><tbody>\n");
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ] {
        let s = counts(findings.iter().filter(|f| f.severity == sev));
        let _ = writeln!(
            h,
            "<tr><th scope=\"row\">{}</th><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            sev.as_str(),
            s[0],
            s[1],
            s[2],
            s[3],
            s.iter().sum::<usize>()
        );
    }
    let _ = writeln!(
        h,
        "<tr><th scope=\"row\">All</th><td class=\"num\" id=\"count-FAIL\">{}</td><td class=\"num\" id=\"count-PASS\">{}</td><td class=\"num\" id=\"count-MUTED\">{}</td><td class=\"num\" id=\"count-NOT_EVALUATED\">{}</td><td class=\"num\">{}</td></tr>\n</tbody></table></section>",
        c[0],
        c[1],
        c[2],
        c[3],
        findings.len()
    );
}

fn check_section(h: &mut String, id: &str, m: Option<&CheckMeta>, fs: &[&Finding]) {
    let title = m.map_or(id, |m| m.title);
    let _ = write!(
        h,
        "<section class=\"check\" id=\"check-{}\" aria-labelledby=\"h-{0}\">\n<h2 id=\"h-{0}\">{}{}</h2>\n<p class=\"meta\"><code>{}</code>",
        anchor(id),
        m.map(|m| format!("{} · ", escape(m.short_id)))
            .unwrap_or_default(),
        escape(title),
        escape(id),
    );
    if let Some(m) = m {
        let _ = write!(
            h,
            " · severity {} · resource type <code>{}</code></p>\n<dl>\n<dt>Rationale</dt><dd>{}</dd>\n<dt>Remediation (console)</dt><dd>{}</dd>\n<dt>Remediation (AWS CLI)</dt><dd><pre><code>{}</code></pre></dd>\n<dt>API fields</dt><dd><code>{}</code></dd>\n</dl>\n",
            m.severity.as_str(),
            escape(m.resource_type),
            escape(m.rationale),
            escape(m.remediation_console),
            escape(m.remediation_cli),
            escape(m.api_fields),
        );
    } else {
        h.push_str(" · check not known to this saker build</p>\n");
    }
    h.push_str("<table><thead><tr><th scope=\"col\">Status</th><th scope=\"col\">Account</th><th scope=\"col\">Region</th><th scope=\"col\">Resource</th><th scope=\"col\">Detail</th><th scope=\"col\">Requirements</th><th scope=\"col\">Changed by</th></tr></thead><tbody>\n");
    for f in fs {
        finding_row(h, f);
    }
    h.push_str("</tbody></table>\n</section>\n");
}

fn finding_row(h: &mut String, f: &Finding) {
    let st = f.reported_status();
    let _ = write!(
        h,
        "<tr class=\"row-{st}\" id=\"f-{}\"><td class=\"st st-{st}\">{st}",
        anchor(&f.finding_id)
    );
    if f.muted.is_some() {
        let _ = write!(h, " <span class=\"meta\">({})</span>", f.status.as_str());
    }
    let _ = write!(
        h,
        "</td><td>{}</td><td>{}</td><td class=\"wrap\"><code>{}</code><br><span class=\"meta\">{}</span></td><td>{}",
        escape(&f.account_id),
        escape(&f.region),
        escape(&f.resource_id),
        escape(&f.resource_type),
        escape(&f.detail),
    );
    if let Some(m) = &f.muted {
        let _ = write!(
            h,
            "<br><span class=\"meta\">Muted: {} ({})</span>",
            escape(&m.reason),
            escape(&m.entry)
        );
    }
    if !f.evidence.is_empty() {
        let json = serde_json::to_string_pretty(&f.evidence).unwrap_or_default();
        let _ = write!(
            h,
            "<details><summary>Evidence</summary><pre><code>{}</code></pre></details>",
            escape(&json)
        );
    }
    let reqs = compliance_pairs(f)
        .iter()
        .map(|r| escape(r))
        .collect::<Vec<_>>()
        .join("<br>");
    let changed = f
        .changed_by
        .as_ref()
        .map(|c| escape(&changed_by_summary(c)))
        .unwrap_or_default();
    let _ = writeln!(
        h,
        "</td><td>{reqs}</td><td class=\"wrap\">{changed}</td></tr>"
    );
}
