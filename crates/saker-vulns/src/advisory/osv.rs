//! OSV records (schema 1.7): `affected[].package {ecosystem, name}`,
//! `ranges[] {type, events[introduced|fixed|last_affected]}`, `versions[]`.
//! Severity: `database_specific.severity` (GHSA), the `Ubuntu` severity
//! entry, else the base score of a CVSS v3/v4/v2 vector ([`super::cvss`]);
//! otherwise unknown, with the unscorable vector kept for the report.

use serde::Deserialize;

use super::{cvss, Advisory, Affected, Range, Severity};
use crate::version::Scheme;

#[derive(Deserialize)]
struct Record {
    id: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    upstream: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    severity: Vec<Sev>,
    #[serde(default)]
    affected: Vec<Aff>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Sev {
    #[serde(rename = "type")]
    typ: String,
    score: String,
}

#[derive(Deserialize)]
struct Aff {
    package: Option<Pkg>,
    #[serde(default)]
    ranges: Vec<Rng>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<Sev>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Pkg {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct Rng {
    #[serde(rename = "type")]
    typ: String,
    #[serde(default)]
    events: Vec<std::collections::BTreeMap<String, String>>,
}

/// The version ordering of an OSV ecosystem (the part before `:`).
pub fn scheme_of_ecosystem(eco: &str) -> Scheme {
    match eco.split(':').next().unwrap_or(eco) {
        "Debian" | "Ubuntu" => Scheme::Dpkg,
        "AlmaLinux" | "Rocky Linux" | "Red Hat" | "SUSE" | "openSUSE" | "Mageia" | "openEuler" => {
            Scheme::Rpm
        }
        "Alpine" => Scheme::Apk,
        "Maven" => Scheme::Maven,
        "RubyGems" => Scheme::Gem,
        _ => Scheme::Semver,
    }
}

/// Severity of a record: an ecosystem word first
/// (`database_specific.severity`, GHSA's `MODERATE` etc., on the record or
/// an affected entry), then the `Ubuntu` priority, then the base score of
/// the best CVSS vector ([`cvss::best`]), then a bare numeric score.
fn severity_of(
    words: &[Option<&serde_json::Value>],
    sevs: &[&Sev],
) -> (Severity, Option<cvss::CvssScore>) {
    let vectors: Vec<(&str, &str)> = sevs
        .iter()
        .filter(|s| s.typ.starts_with("CVSS_"))
        .map(|s| (s.typ.as_str(), s.score.as_str()))
        .collect();
    let best = cvss::best(&vectors);
    for w in words.iter().flatten() {
        if let Some(s) = w.get("severity").and_then(|v| v.as_str()) {
            let s = Severity::from_word(s);
            if s != Severity::Unknown {
                return (s, best);
            }
        }
    }
    for s in sevs {
        if s.typ == "Ubuntu" {
            let v = Severity::from_word(&s.score);
            if v != Severity::Unknown {
                return (v, best);
            }
        }
    }
    if let Some(b) = &best {
        if b.score.is_some() {
            return (b.severity, best);
        }
    }
    for s in sevs {
        if let Ok(n) = s.score.trim().parse::<f64>() {
            return (Severity::from_cvss_score(n), best);
        }
    }
    (Severity::Unknown, best)
}

/// Parses one OSV record (JSON text). Withdrawn records yield `Ok(None)`.
pub fn parse_osv(json: &str) -> Result<Option<Advisory>, String> {
    let r: Record = serde_json::from_str(json).map_err(|e| format!("not an OSV record: {e}"))?;
    if r.withdrawn.is_some() {
        return Ok(None);
    }
    let mut cves: Vec<String> = std::iter::once(&r.id)
        .chain(r.aliases.iter())
        .chain(r.upstream.iter())
        .filter(|a| a.starts_with("CVE-"))
        .cloned()
        .collect();
    cves.dedup();
    let mut sevs: Vec<&Sev> = r.severity.iter().collect();
    sevs.extend(r.affected.iter().flat_map(|a| a.severity.iter()));
    let mut words = vec![r.database_specific.as_ref()];
    words.extend(r.affected.iter().map(|a| a.database_specific.as_ref()));
    let (severity, cvss) = severity_of(&words, &sevs);
    let mut affected = Vec::new();
    let mut ecos = Vec::new();
    for a in &r.affected {
        let Some(p) = &a.package else { continue };
        let scheme = scheme_of_ecosystem(&p.ecosystem);
        let mut ranges = Vec::new();
        for rg in a.ranges.iter().filter(|r| r.typ != "GIT") {
            let mut cur: Option<Range> = None;
            for ev in &rg.events {
                if let Some(v) = ev.get("introduced") {
                    if let Some(open) = cur.take() {
                        ranges.push(open);
                    }
                    cur = Some(Range {
                        introduced: (v != "0").then(|| v.clone()),
                        fixed: None,
                        last_affected: None,
                    });
                } else if let Some(v) = ev.get("fixed") {
                    let mut c = cur.take().unwrap_or(Range {
                        introduced: None,
                        fixed: None,
                        last_affected: None,
                    });
                    c.fixed = Some(v.clone());
                    ranges.push(c);
                } else if let Some(v) = ev.get("last_affected") {
                    let mut c = cur.take().unwrap_or(Range {
                        introduced: None,
                        fixed: None,
                        last_affected: None,
                    });
                    c.last_affected = Some(v.clone());
                    ranges.push(c);
                }
            }
            if let Some(open) = cur {
                ranges.push(open);
            }
        }
        ecos.push(p.ecosystem.split(':').next().unwrap_or("").to_string());
        affected.push(Affected {
            platform: p.ecosystem.clone(),
            name: p.name.clone(),
            arch: None,
            stream: None,
            scheme,
            ranges,
            versions: a.versions.clone(),
        });
    }
    ecos.sort();
    ecos.dedup();
    Ok(Some(Advisory {
        link: format!("https://osv.dev/vulnerability/{}", r.id),
        id: r.id,
        source: format!(
            "osv:{}",
            ecos.first().map(String::as_str).unwrap_or("unknown")
        ),
        severity,
        title: r.summary.unwrap_or_default(),
        issued: r.published.unwrap_or_default(),
        updated: r.modified.unwrap_or_default(),
        cves,
        affected,
        cvss,
    }))
}

/// Does `version` fall in an affected entry (ranges or explicit versions)?
/// Returns the fixed version of the matching range (`None` = no fix known).
pub fn affected_by(a: &Affected, version: &str) -> Option<Option<String>> {
    let s = OneSidedEpoch(a.scheme);
    for r in &a.ranges {
        let after_intro = r
            .introduced
            .as_deref()
            .is_none_or(|i| s.compare(version, i) != std::cmp::Ordering::Less);
        if !after_intro {
            continue;
        }
        if let Some(f) = &r.fixed {
            if s.compare(version, f) == std::cmp::Ordering::Less {
                return Some(Some(f.clone()));
            }
        } else if let Some(l) = &r.last_affected {
            if s.compare(version, l) != std::cmp::Ordering::Greater {
                return Some(None);
            }
        } else {
            return Some(None);
        }
    }
    if a.versions
        .iter()
        .any(|v| s.compare(version, v) == std::cmp::Ordering::Equal)
    {
        return Some(None);
    }
    None
}

/// rpm comparison that ignores a one-sided epoch (the bound has none while
/// the installed version has one): advisories that drop epochs would
/// otherwise never match (grype's `MissingEpochStrategy auto`, claircore#835).
struct OneSidedEpoch(Scheme);

impl OneSidedEpoch {
    fn compare(&self, installed: &str, bound: &str) -> std::cmp::Ordering {
        if self.0 == Scheme::Rpm && !bound.contains(':') {
            if let Some((_, rest)) = installed.split_once(':') {
                return self.0.compare(rest, bound);
            }
        }
        self.0.compare(installed, bound)
    }
}
