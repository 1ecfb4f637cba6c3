//! CVSS vectors → base score → qualitative severity, for OSV records that
//! carry no ecosystem severity word.
//!
//! * CVSS 3.0 and 3.1 base scores are computed here, following the FIRST
//!   specification (v3.1 §7.1 base equations, §7.4 metric values, Appendix A
//!   `Roundup`). v3.0 has the same base equations and defines round-up as
//!   the smallest one-decimal number ≥ the input, which Appendix A's
//!   integer method computes without floating-point artefacts.
//! * CVSS 4.0 (macrovector lookup and interpolation) and 2.0 scores come
//!   from the rustsec `cvss` crate.
//!
//! Ratings: CVSS v3.1/v4.0 §5 (0.1–3.9 Low, 4.0–6.9 Medium, 7.0–8.9 High,
//! 9.0–10.0 Critical; 0.0 is "None", reported as unknown). CVSS 2.0 has no
//! Critical: NVD's v2 ranges are used (0–3.9 Low, 4.0–6.9 Medium, 7.0–10.0
//! High).

use serde::{Deserialize, Serialize};

use super::Severity;

/// A scored (or unscorable) CVSS vector.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CvssScore {
    /// CVSS version from the vector prefix: `2.0`, `3.0`, `3.1`, `4.0`.
    pub version: String,
    /// The vector as given (`CVSS:3.1/AV:N/AC:L/…`).
    pub vector: String,
    /// Base score 0.0–10.0; `None` when the vector could not be scored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Qualitative rating of the score (`Unknown` when unscored or 0.0).
    pub severity: Severity,
    /// Why the vector could not be scored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// CVSS v3.1 Appendix A `Roundup`: the smallest number, to one decimal,
/// that is equal to or higher than the input, computed on integers to avoid
/// floating-point artefacts (`Roundup(4.02) = 4.1`, `Roundup(4.00) = 4.0`).
pub fn roundup_v31(input: f64) -> f64 {
    let int_input = (input * 100_000.0).round() as i64;
    if int_input % 10_000 == 0 {
        int_input as f64 / 100_000.0
    } else {
        ((int_input / 10_000) as f64 + 1.0) / 10.0
    }
}

/// Base score of a CVSS 3.0 or 3.1 vector (`CVSS:3.x/AV:…/AC:…/PR:…/UI:…/S:…/C:…/I:…/A:…`).
///
/// Temporal and environmental metrics may follow; they are validated by
/// name and ignored (this is the base score).
///
/// # Errors
/// Not a `CVSS:3.0`/`CVSS:3.1` vector, a base metric missing or given
/// twice, an unknown metric or value.
pub fn base_score_v3(vector: &str) -> Result<f64, String> {
    let mut parts = vector.trim().split('/');
    match parts.next() {
        Some("CVSS:3.0") | Some("CVSS:3.1") => {}
        other => return Err(format!("not a CVSS 3.x vector (prefix {other:?})")),
    }
    // AV AC PR UI S C I A
    let mut base: [Option<char>; 8] = [None; 8];
    const BASE: [&str; 8] = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"];
    const OTHER: [&str; 14] = [
        "E", "RL", "RC", "CR", "IR", "AR", "MAV", "MAC", "MPR", "MUI", "MS", "MC", "MI", "MA",
    ];
    for p in parts {
        let (k, v) = p
            .split_once(':')
            .ok_or_else(|| format!("metric {p:?} is not NAME:VALUE"))?;
        let mut chars = v.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            return Err(format!("metric {k} has value {v:?}, not one letter"));
        };
        if let Some(i) = BASE.iter().position(|b| *b == k) {
            if base[i].replace(c).is_some() {
                return Err(format!("metric {k} given twice"));
            }
        } else if !OTHER.contains(&k) {
            return Err(format!("unknown metric {k}"));
        }
    }
    let get = |i: usize| base[i].ok_or_else(|| format!("base metric {} missing", BASE[i]));
    let bad = |i: usize, c: char| format!("metric {} has unknown value {c}", BASE[i]);
    let scope_changed = match get(4)? {
        'U' => false,
        'C' => true,
        c => return Err(bad(4, c)),
    };
    let av = match get(0)? {
        'N' => 0.85,
        'A' => 0.62,
        'L' => 0.55,
        'P' => 0.2,
        c => return Err(bad(0, c)),
    };
    let ac = match get(1)? {
        'L' => 0.77,
        'H' => 0.44,
        c => return Err(bad(1, c)),
    };
    let pr = match (get(2)?, scope_changed) {
        ('N', _) => 0.85,
        ('L', false) => 0.62,
        ('L', true) => 0.68,
        ('H', false) => 0.27,
        ('H', true) => 0.5,
        (c, _) => return Err(bad(2, c)),
    };
    let ui = match get(3)? {
        'N' => 0.85,
        'R' => 0.62,
        c => return Err(bad(3, c)),
    };
    let cia = |i: usize| -> Result<f64, String> {
        match get(i)? {
            'H' => Ok(0.56),
            'L' => Ok(0.22),
            'N' => Ok(0.0),
            c => Err(bad(i, c)),
        }
    };
    let (c, i, a) = (cia(5)?, cia(6)?, cia(7)?);
    let iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    let impact = if scope_changed {
        7.52 * (iss - 0.029) - 3.25 * (iss - 0.02).powi(15)
    } else {
        6.42 * iss
    };
    let exploitability = 8.22 * av * ac * pr * ui;
    if impact <= 0.0 {
        return Ok(0.0);
    }
    let raw = if scope_changed {
        (1.08 * (impact + exploitability)).min(10.0)
    } else {
        (impact + exploitability).min(10.0)
    };
    // v3.0 defines the same round-up (smallest one-decimal number ≥ the
    // input); v3.1's integer method computes it without float artefacts.
    Ok(roundup_v31(raw))
}

/// Scores a vector of any supported version. `kind` is the OSV severity
/// `type` (`CVSS_V2`, `CVSS_V3`, `CVSS_V4`), used when the vector has no
/// `CVSS:x.y/` prefix (CVSS 2.0 vectors have none).
pub fn score(kind: &str, vector: &str) -> CvssScore {
    let v = vector.trim();
    let version = if let Some(rest) = v.strip_prefix("CVSS:") {
        rest.split('/').next().unwrap_or("").to_string()
    } else if kind == "CVSS_V2" {
        "2.0".to_string()
    } else {
        String::new()
    };
    let scored: Result<(f64, Severity), String> = match version.as_str() {
        "3.0" | "3.1" => base_score_v3(v).map(|s| (s, Severity::from_cvss_score(s))),
        "4.0" => v
            .parse::<cvss::v4::Vector>()
            .map_err(|e| format!("invalid CVSS 4.0 vector: {e}"))
            .map(|vec| {
                let s = vec.score().value();
                (s, Severity::from_cvss_score(s))
            }),
        "2.0" => v
            .strip_prefix("(")
            .and_then(|x| x.strip_suffix(")"))
            .unwrap_or(v)
            .parse::<cvss::v2::Vector>()
            .map_err(|e| format!("invalid CVSS 2.0 vector: {e}"))
            .map(|vec| {
                let s = vec.score().value();
                let sev = if s >= 7.0 {
                    Severity::High
                } else {
                    Severity::from_cvss_score(s)
                };
                (s, sev)
            }),
        other => Err(format!("unsupported CVSS version {other:?}")),
    };
    match scored {
        Ok((s, sev)) => CvssScore {
            version,
            vector: v.to_string(),
            score: Some(s),
            severity: sev,
            error: None,
        },
        Err(e) => CvssScore {
            version,
            vector: v.to_string(),
            score: None,
            severity: Severity::Unknown,
            error: Some(e),
        },
    }
}

/// Picks the vector that decides the severity among those a record gives:
/// CVSS 3.1, then 3.0, then 4.0, then 2.0 (the v3 score is what most
/// feeds and scanners rate by; v4 when it is the only one). Vectors that
/// cannot be scored lose to any that can. `None` when there are none.
pub fn best(vectors: &[(&str, &str)]) -> Option<CvssScore> {
    let rank = |c: &CvssScore| -> u8 {
        let v = match c.version.as_str() {
            "3.1" => 4,
            "3.0" => 3,
            "4.0" => 2,
            "2.0" => 1,
            _ => 0,
        };
        if c.score.is_some() {
            v + 10
        } else {
            v
        }
    };
    vectors
        .iter()
        .map(|(k, v)| score(k, v))
        .max_by_key(|c| rank(c))
}
