//! Compliance frameworks as data: requirement → checks mappings.
//!
//! A framework file (`frameworks/*.yaml` at the repository root, embedded in
//! the binary, or a user's own file) names its requirements and, for each,
//! the saker checks that decide it. CIS numbering moves between versions
//! (`../shared/reference/posture.md` §2), so every version is its own file,
//! keyed by `id` (`cis-aws-3.0`, `cis-aws-4.0`, `cis-aws-5.0`, `aws-fsbp`).
//!
//! Shape (YAML):
//!
//! ```yaml
//! id: cis-aws-5.0              # unique; what --framework names
//! name: CIS AWS Foundations Benchmark
//! version: "5.0.0"
//! description: …
//! requirements:
//!   - id: "5.3"                 # unique within the file
//!     title: No security group admits 0.0.0.0/0 to admin ports
//!     section: 5 Networking      # optional
//!     profile: Level 1           # optional (CIS profile)
//!     severity: High             # optional (Security Hub severity)
//!     automated: true            # optional (the benchmark's assessment status)
//!     checks: ["ec2_sg_open_admin_ports:ipv4"]   # [] = not covered: MANUAL
//!     note: …                    # optional
//! ```
//!
//! A `checks:` entry is a check id, or `CHECK:ipv4` / `CHECK:ipv6` for a
//! check that records the address families it found open (see
//! [`check_ref`]): the requirement then fails only on that family.
//!
//! Loading validates: unknown keys, unknown check ids, bad qualifiers,
//! duplicate requirement ids and a check listed twice are errors naming the
//! file and line. Evaluation is in [`evaluate`].

pub mod builtin;
pub mod check_ref;
pub mod error;
pub mod evaluate;

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

pub use check_ref::CheckRef;
pub use error::{DataFileError, Problem};
pub use evaluate::{
    annotate, evaluate, FrameworkResult, RequirementResult, RequirementStatus, Score,
};

use crate::finding::Severity;

/// A loaded, validated framework.
#[derive(Debug, Clone, PartialEq)]
pub struct Framework {
    /// Stable id (`cis-aws-5.0`); the key of [`crate::Finding::requirements`].
    pub id: String,
    /// Display name (`CIS AWS Foundations Benchmark`).
    pub name: String,
    /// The framework's own version string (`5.0.0`).
    pub version: String,
    pub description: String,
    /// Where it was loaded from: a path, or `built-in:FILE`.
    pub origin: String,
    /// In file order.
    pub requirements: Vec<Requirement>,
}

/// One requirement (CIS recommendation, Security Hub control, company rule).
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// Unique within the framework (`5.3`, `EC2.8`, `NET-01`).
    pub id: String,
    pub title: String,
    pub section: Option<String>,
    /// CIS profile (`Level 1`, `Level 2`).
    pub profile: Option<String>,
    /// Security Hub severity of the control, when the framework has one.
    pub severity: Option<Severity>,
    /// The framework's assessment status (CIS Automated/Manual), when given.
    pub automated: Option<bool>,
    /// The checks that decide it, each at most once, optionally qualified
    /// by address family; empty = not covered by saker (reported MANUAL).
    pub checks: Vec<CheckRef>,
    pub note: Option<String>,
    /// Line of the requirement in its file.
    pub line: u64,
}

impl Framework {
    /// `NAME vVERSION (ID)`.
    pub fn label(&self) -> String {
        format!("{} v{} ({})", self.name, self.version, self.id)
    }

    /// Parse and validate a framework file's text. `known_checks` are the
    /// check ids a requirement may name (normally
    /// [`crate::checks::all_checks`]' ids); `origin` names the file in
    /// errors.
    ///
    /// # Errors
    /// YAML syntax, unknown or missing keys, empty requirement list,
    /// duplicate requirement ids, unknown check ids, a bad `:ipv4`/`:ipv6`
    /// qualifier ([`CheckRef::parse`]), a check listed twice in one
    /// requirement (qualified or not), an unknown severity: every problem,
    /// with its line.
    pub fn from_yaml(
        text: &str,
        origin: &str,
        known_checks: &[&str],
    ) -> Result<Framework, DataFileError> {
        let raw: RawFramework =
            serde_saphyr::from_str(text).map_err(|e| DataFileError::from_yaml(origin, &e))?;
        let mut problems = Vec::new();
        let mut at = |s: &Spanned<String>, message: String| {
            problems.push(Problem {
                line: s.referenced.line(),
                column: s.referenced.column(),
                message,
            })
        };
        for (field, value) in [
            ("id", &raw.id),
            ("name", &raw.name),
            ("version", &raw.version),
        ] {
            if value.value.trim().is_empty() {
                at(value, format!("`{field}` is empty"));
            }
        }
        if raw.id.value.chars().any(char::is_whitespace) {
            at(
                &raw.id,
                format!("framework id {:?} contains whitespace", raw.id.value),
            );
        }
        if raw.requirements.is_empty() {
            at(&raw.id, "the framework has no requirements".to_string());
        }
        let mut seen: HashMap<&str, u64> = HashMap::new();
        let mut requirements = Vec::with_capacity(raw.requirements.len());
        for r in &raw.requirements {
            let line = r.id.referenced.line();
            if r.id.value.trim().is_empty() {
                at(&r.id, "requirement id is empty".to_string());
            } else if let Some(first) = seen.insert(r.id.value.as_str(), line) {
                at(
                    &r.id,
                    format!(
                        "duplicate requirement id {:?} (first at line {first})",
                        r.id.value
                    ),
                );
            }
            let mut checks: Vec<CheckRef> = Vec::with_capacity(r.checks.len());
            for c in &r.checks {
                match CheckRef::parse(&c.value, known_checks) {
                    Err(e) => at(c, format!("requirement {:?}: {e}", r.id.value)),
                    Ok(parsed) => {
                        if let Some(prev) = checks.iter().find(|p| p.check_id == parsed.check_id) {
                            at(
                                c,
                                format!(
                                    "requirement {:?}: check {:?} listed twice (as {:?} and {:?})",
                                    r.id.value,
                                    parsed.check_id,
                                    prev.text(),
                                    c.value
                                ),
                            );
                        } else {
                            checks.push(parsed);
                        }
                    }
                }
            }
            let severity = match &r.severity {
                None => None,
                Some(s) => match parse_severity(&s.value) {
                    Some(v) => Some(v),
                    None => {
                        at(
                            s,
                            format!(
                                "unknown severity {:?}: expected informational, low, medium, high or critical",
                                s.value
                            ),
                        );
                        None
                    }
                },
            };
            requirements.push(Requirement {
                id: r.id.value.clone(),
                title: r.title.clone(),
                section: r.section.clone(),
                profile: r.profile.clone(),
                severity,
                automated: r.automated,
                checks,
                note: r.note.clone(),
                line,
            });
        }
        if !problems.is_empty() {
            return Err(DataFileError {
                origin: origin.to_string(),
                problems,
            });
        }
        Ok(Framework {
            id: raw.id.value,
            name: raw.name.value,
            version: raw.version.value,
            description: raw.description.unwrap_or_default(),
            origin: origin.to_string(),
            requirements,
        })
    }

    /// Read and validate a framework file.
    ///
    /// # Errors
    /// The file cannot be read, or as [`from_yaml`](Self::from_yaml).
    pub fn load_file(path: &Path, known_checks: &[&str]) -> Result<Framework, DataFileError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| DataFileError::one(&origin, 0, 0, e.to_string()))?;
        Self::from_yaml(&text, &origin, known_checks)
    }
}

/// Resolve `--framework` arguments: each is a built-in id
/// ([`builtin::BUILTIN`]) or a path to a framework file. An empty list means
/// every built-in framework. Two frameworks with the same id are an error
/// (findings key their requirements by framework id).
///
/// # Errors
/// An argument that is neither a built-in id nor a readable file, an
/// invalid file, or a duplicate framework id.
pub fn resolve(specs: &[String], known_checks: &[&str]) -> Result<Vec<Framework>, DataFileError> {
    let builtins = builtin::load_all(known_checks)?;
    if specs.is_empty() {
        return Ok(builtins);
    }
    let mut out: Vec<Framework> = Vec::new();
    for spec in specs {
        let fw = if let Some(b) = builtins.iter().find(|b| b.id == *spec) {
            b.clone()
        } else if Path::new(spec).exists() {
            Framework::load_file(Path::new(spec), known_checks)?
        } else {
            let ids: Vec<&str> = builtins.iter().map(|b| b.id.as_str()).collect();
            return Err(DataFileError::one(
                spec,
                0,
                0,
                format!(
                    "no such framework: not a built-in id ({}) nor an existing file",
                    ids.join(", ")
                ),
            ));
        };
        if let Some(prev) = out.iter().find(|p| p.id == fw.id) {
            return Err(DataFileError::one(
                &fw.origin,
                0,
                0,
                format!("framework id {:?} is also the id of {}", fw.id, prev.origin),
            ));
        }
        out.push(fw);
    }
    Ok(out)
}

/// Severity names, case-insensitive (`Critical`, `high`, `info`).
pub fn parse_severity(s: &str) -> Option<Severity> {
    match s.trim().to_ascii_lowercase().as_str() {
        "informational" | "info" => Some(Severity::Informational),
        "low" => Some(Severity::Low),
        "medium" => Some(Severity::Medium),
        "high" => Some(Severity::High),
        "critical" => Some(Severity::Critical),
        _ => None,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFramework {
    id: Spanned<String>,
    name: Spanned<String>,
    version: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    requirements: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    section: Option<String>,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    severity: Option<Spanned<String>>,
    #[serde(default)]
    automated: Option<bool>,
    checks: Vec<Spanned<String>>,
    #[serde(default)]
    note: Option<String>,
}
