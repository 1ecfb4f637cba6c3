//! Advisories: Amazon Linux `updateinfo.xml` (ALAS) and OSV records, in one
//! model ([`Advisory`] → [`Affected`] packages with version [`Range`]s),
//! stored in SQLite ([`db`]).

pub mod cvss;
pub mod db;
pub mod fetch;
pub mod osv;
pub mod repomd;
pub mod updateinfo;

use serde::{Deserialize, Serialize};

use crate::version::Scheme;

/// Qualitative severity. ALAS: low→Low, medium→Medium, important→High,
/// critical→Critical (trivy-db and vunnel agree), case-insensitive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not given or not recognised.
    Unknown,
    /// Low.
    Low,
    /// Medium (OSV/GHSA "moderate").
    Medium,
    /// High (ALAS "important").
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Maps a severity word (ALAS, GHSA, Ubuntu priority, Debian urgency).
    pub fn from_word(s: &str) -> Severity {
        match s.trim().to_ascii_lowercase().as_str() {
            "critical" => Severity::Critical,
            "important" | "high" => Severity::High,
            "medium" | "moderate" => Severity::Medium,
            "low" | "negligible" | "unimportant" => Severity::Low,
            _ => Severity::Unknown,
        }
    }

    /// CVSS base score → qualitative rating (CVSS v3.x specification §5).
    pub fn from_cvss_score(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Unknown
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One affected version range: `introduced <= v < fixed` or
/// `introduced <= v <= last_affected` (OSV semantics; `None` introduced = 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// First affected version (`None` = every version).
    pub introduced: Option<String>,
    /// First fixed version.
    pub fixed: Option<String>,
    /// Last affected version, when no fix is known.
    pub last_affected: Option<String>,
}

/// A package an advisory applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// Where it applies: `amzn:2`, `amzn:2023`, `Debian:12`, `Ubuntu:22.04:LTS`,
    /// `AlmaLinux:9`, `Alpine:v3.19`, `Maven`, `RubyGems`…
    pub platform: String,
    /// Package name as keyed by the source (binary rpm for ALAS, source
    /// package for Debian/Ubuntu/Alma/Rocky/Alpine OSV, `group:artifact` for Maven).
    pub name: String,
    /// Architecture (ALAS), when given.
    pub arch: Option<String>,
    /// ALAS stream: extras topic (`kernel-5.15`), `kernel-livepatch`, `nvidia`;
    /// `None` for the core repo.
    pub stream: Option<String>,
    /// Version ordering.
    pub scheme: Scheme,
    /// Affected ranges.
    pub ranges: Vec<Range>,
    /// Explicit affected versions (OSV `versions[]`).
    pub versions: Vec<String>,
}

/// One advisory (an ALAS or an OSV record).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Advisory id as published by the source (`ALAS2023-2023-001`, `DSA-…`, `GHSA-…`).
    pub id: String,
    /// Source it was loaded from (`alas:2023/core`, `osv:Debian`…).
    pub source: String,
    /// Severity (per advisory for ALAS).
    pub severity: Severity,
    /// Title or summary.
    pub title: String,
    /// Issued date as given.
    pub issued: String,
    /// Updated date as given.
    pub updated: String,
    /// CVE ids (ALAS references, OSV id/aliases).
    pub cves: Vec<String>,
    /// Human page for the advisory.
    pub link: String,
    /// Affected packages.
    pub affected: Vec<Affected>,
    /// The CVSS vector the severity was derived from (OSV records without
    /// a severity word), or the record's preferred vector otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cvss: Option<cvss::CvssScore>,
}

/// The alas.aws.amazon.com page of an updateinfo id: the web names drop the
/// release infix (`ALAS2023-2023-126` → `/AL2023/ALAS-2023-126.html`,
/// `ALAS2KERNEL-5.15-2022-001` → `/AL2/ALASKERNEL-5.15-2022-001.html`).
pub fn alas_link(id: &str) -> String {
    let base = "https://alas.aws.amazon.com";
    for (prefix, dir, web) in [
        ("ALAS2023LIVEPATCH-", "AL2023", "ALASLIVEPATCH-"),
        ("ALAS2023NVIDIA-", "AL2023", "ALASNVIDIA-"),
        ("ALAS2023-", "AL2023", "ALAS-"),
        ("ALAS2022-", "AL2022", "ALAS-"),
        ("ALAS2KERNEL-", "AL2", "ALASKERNEL-"),
        ("ALAS2LIVEPATCH-", "AL2", "ALASLIVEPATCH-"),
        ("ALAS2ECS-", "AL2", "ALASECS-"),
        ("ALAS2DOCKER-", "AL2", "ALASDOCKER-"),
        ("ALAS2NITRO-ENCLAVES-", "AL2", "ALASNITRO-ENCLAVES-"),
        ("ALAS2-", "AL2", "ALAS-"),
    ] {
        if let Some(rest) = id.strip_prefix(prefix) {
            return format!("{base}/{dir}/{web}{rest}.html");
        }
    }
    if let Some(rest) = id.strip_prefix("ALAS2") {
        // Other AL2 extras prefixes: ALAS2<TOPIC>-…
        return format!("{base}/AL2/ALAS{rest}.html");
    }
    format!("{base}/{id}.html")
}
