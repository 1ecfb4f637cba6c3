//! Rendering host reports: a terminal table (most severe first), the fleet
//! view (one line per host), JSON (stable field names: see
//! `docs/vulns.md`), SARIF 2.1.0 and a CycloneDX 1.5 SBOM of the inventory.
//! Package names and versions come from the scanned host: control
//! characters are escaped before they reach a terminal.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::inventory::root::HostInventory;
use crate::inventory::PackageKind;
use crate::matcher::HostReport;

/// Escapes control characters (`\x1b` → `\x1b` as text) for terminals.
pub fn term_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// The summary line of one host.
pub fn summary_line(r: &HostReport) -> String {
    let s = &r.summary;
    format!(
        "{}: {} packages, {} vulnerable; {} findings: {} critical, {} high, {} medium, {} low, {} unknown; {} fixable{}{}",
        term_safe(&r.host),
        s.packages,
        s.vulnerable_packages,
        r.findings.len(),
        s.critical,
        s.high,
        s.medium,
        s.low,
        s.unknown,
        s.fixable,
        if s.fix_in_newer_release > 0 {
            format!(
                " ({} only in a newer Amazon Linux 2023 release)",
                s.fix_in_newer_release
            )
        } else {
            String::new()
        },
        if r.not_evaluated.is_empty() {
            String::new()
        } else {
            format!("; {} items not evaluated (listed above)", r.not_evaluated.len())
        }
    )
}

/// The findings table, the not-evaluated list and the summary line.
pub fn render_text(r: &HostReport) -> String {
    let mut out = String::new();
    let os = r.os.as_ref().map_or("unknown OS".into(), |o| {
        if o.pretty_name.is_empty() {
            o.label()
        } else {
            o.pretty_name.clone()
        }
    });
    let kernel = match &r.kernel {
        crate::inventory::root::KernelChoice::Running(k) => format!("running kernel {k}"),
        crate::inventory::root::KernelChoice::NewestInstalled(k) => {
            format!("kernel {k} (newest installed; offline scan, running kernel unknown)")
        }
        crate::inventory::root::KernelChoice::Given(k) => format!("kernel {k} (given)"),
        crate::inventory::root::KernelChoice::None => "no kernel package".into(),
    };
    let _ = writeln!(
        out,
        "== {} — {}, {}",
        term_safe(&r.host),
        term_safe(&os),
        term_safe(&kernel)
    );
    if !r.findings.is_empty() {
        let head = [
            "PACKAGE",
            "INSTALLED",
            "FIXED",
            "ADVISORY",
            "CVES",
            "SEVERITY",
            "LINK",
        ];
        let rows: Vec<[String; 7]> = r
            .findings
            .iter()
            .map(|f| {
                let cves = match f.cves.len() {
                    0 => "-".to_string(),
                    1..=2 => f.cves.join(","),
                    n => format!("{},{} +{}", f.cves[0], f.cves[1], n - 2),
                };
                let fixed = match (&f.fixed, &f.fix_release) {
                    (None, _) => "(no fix)".to_string(),
                    (Some(v), Some(rel)) if !rel.in_host_release => {
                        format!("{} (newer release)", term_safe(v))
                    }
                    (Some(v), _) => term_safe(v),
                };
                let severity = match (&f.severity, &f.cvss) {
                    (crate::advisory::Severity::Unknown, Some(c)) => {
                        format!("unknown ({})", term_safe(&c.vector))
                    }
                    (s, _) => s.as_str().to_string(),
                };
                [
                    term_safe(&f.package),
                    term_safe(&f.installed),
                    fixed,
                    term_safe(&f.advisory),
                    cves,
                    severity,
                    term_safe(&f.link),
                ]
            })
            .collect();
        let mut w = head.map(|h| h.len());
        for row in &rows {
            for (i, c) in row.iter().enumerate() {
                w[i] = w[i].max(c.chars().count());
            }
        }
        let line = |cells: &[String]| {
            let mut l = String::new();
            for (i, c) in cells.iter().enumerate() {
                if i + 1 == cells.len() {
                    l.push_str(c);
                } else {
                    let _ = write!(l, "{:<width$}  ", c, width = w[i]);
                }
            }
            l.trim_end().to_string()
        };
        let _ = writeln!(out, "{}", line(&head.map(String::from)));
        for row in &rows {
            let _ = writeln!(out, "{}", line(row));
        }
    }
    if let Some(rel) = r
        .findings
        .iter()
        .filter_map(|f| f.fix_release.as_ref())
        .find(|x| !x.in_host_release)
    {
        let _ = writeln!(
            out,
            "note: fixes marked (newer release) were issued after this host's Amazon Linux release {}; \
             its versioned repositories do not have them: `dnf check-release-update`, then \
             `dnf upgrade --releasever=<newer release>`",
            term_safe(&rel.host_release)
        );
    }
    for p in &r.not_evaluated {
        let _ = writeln!(
            out,
            "not evaluated: {}: {}",
            term_safe(&p.location),
            term_safe(&p.message)
        );
    }
    let _ = writeln!(out, "{}", summary_line(r));
    out
}

/// The fleet view: one line per host.
pub fn render_fleet(reports: &[HostReport]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<40} {:<14} {:>8} {:>8} {:>6} {:>8} {:>8} {:>13}",
        "HOST", "OS", "PACKAGES", "CRITICAL", "HIGH", "FIXABLE", "TIME", "NOT-EVALUATED"
    );
    for r in reports {
        let _ = writeln!(
            out,
            "{:<40} {:<14} {:>8} {:>8} {:>6} {:>8} {:>6}ms {:>13}",
            term_safe(&r.host),
            r.os.as_ref().map_or("unknown".into(), |o| o.label()),
            r.summary.packages,
            r.summary.critical,
            r.summary.high,
            r.summary.fixable,
            r.scan_ms,
            r.not_evaluated.len()
        );
    }
    out
}

/// JSON document: `{"hosts": [HostReport…]}`.
pub fn to_json(reports: &[HostReport]) -> Value {
    json!({ "hosts": reports })
}

/// SARIF 2.1.0: one rule per advisory, one result per finding (the
/// location is the package database or file).
pub fn to_sarif(reports: &[HostReport]) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut results = Vec::new();
    for r in reports {
        for f in &r.findings {
            if seen.insert(f.advisory.clone()) {
                rules.push(json!({
                    "id": f.advisory,
                    "shortDescription": {"text": if f.title.is_empty() { f.advisory.clone() } else { f.title.clone() }},
                    "helpUri": f.link,
                    "properties": {"severity": f.severity, "cves": f.cves},
                }));
            }
            let level = match f.severity {
                crate::advisory::Severity::Critical | crate::advisory::Severity::High => "error",
                crate::advisory::Severity::Medium => "warning",
                _ => "note",
            };
            results.push(json!({
                "ruleId": f.advisory,
                "level": level,
                "message": {"text": format!("{} {} is vulnerable ({}); fixed in {}", f.package, f.installed,
                    if f.cves.is_empty() { f.advisory.clone() } else { f.cves.join(", ") },
                    f.fixed.as_deref().unwrap_or("no released version"))},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": f.location}}}],
                "properties": {"host": r.host, "package": f.package, "installed": f.installed, "fixed": f.fixed,
                               "severity": f.severity, "cvss": f.cvss, "fix_release": f.fix_release},
            }));
        }
    }
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "saker-vulns", "informationUri": "https://github.com/saker-security/saker", "rules": rules}},
            "results": results,
        }]
    })
}

/// Percent-encodes one purl component (namespace, name, version or qualifier
/// value) per the package-url spec: every UTF-8 byte outside `A-Z a-z 0-9 . - _ ~`
/// and `:` becomes `%XX` (upper-case hex), so control characters, spaces,
/// `/ @ ? # % + &` and non-ASCII text never appear raw in a purl.
pub fn purl_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'~' | b':') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The package URL of a package (`pkg:rpm/amzn/bash@5.2-1?arch=x86_64`).
pub fn purl(p: &crate::inventory::Package, os_id: &str) -> String {
    let enc = purl_encode;
    match p.kind {
        PackageKind::Rpm | PackageKind::Deb => {
            let t = if p.kind == PackageKind::Rpm {
                "rpm"
            } else {
                "deb"
            };
            let (ver, epoch) = match (p.kind, p.version.split_once(':')) {
                (PackageKind::Rpm, Some((e, v))) => (v.to_string(), Some(e.to_string())),
                _ => (p.version.clone(), None),
            };
            let mut q = Vec::new();
            if let Some(a) = &p.arch {
                q.push(format!("arch={}", enc(a)));
            }
            if let Some(e) = epoch {
                q.push(format!("epoch={}", enc(&e)));
            }
            let q = if q.is_empty() {
                String::new()
            } else {
                format!("?{}", q.join("&"))
            };
            format!("pkg:{t}/{}/{}@{}{q}", enc(os_id), enc(&p.name), enc(&ver))
        }
        PackageKind::Maven => {
            let (g, a) = p.name.split_once(':').unwrap_or(("", &p.name));
            if g.is_empty() {
                format!("pkg:maven/{}@{}", enc(a), enc(&p.version))
            } else {
                format!("pkg:maven/{}/{}@{}", enc(g), enc(a), enc(&p.version))
            }
        }
        PackageKind::Gem => format!("pkg:gem/{}@{}", enc(&p.name), enc(&p.version)),
    }
}

/// CycloneDX 1.5 SBOM of one host's inventory.
pub fn to_cyclonedx(inv: &HostInventory) -> Value {
    let os_id = inv
        .os
        .as_ref()
        .map_or("unknown".to_string(), |o| o.id.clone());
    let comps: Vec<Value> = inv
        .inventory
        .packages
        .iter()
        .map(|p| {
            json!({
                "type": "library",
                "name": p.name,
                "version": p.version,
                "purl": purl(p, &os_id),
                "properties": [{"name": "saker:location", "value": p.location}],
            })
        })
        .collect();
    let mut meta = json!({"tools": {"components": [{"type": "application", "name": "saker"}]},
                          "component": {"type": "operating-system", "name": inv.host}});
    if let Some(o) = &inv.os {
        meta["component"]["name"] = json!(o.id);
        meta["component"]["version"] = json!(o.version_id);
        meta["component"]["description"] = json!(inv.host);
    }
    json!({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1, "metadata": meta, "components": comps})
}
