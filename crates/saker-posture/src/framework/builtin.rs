//! The built-in frameworks: `frameworks/*.yaml` at the repository root,
//! compiled into the binary.

use super::{DataFileError, Framework};

/// (file name, text) of every built-in framework, in display order.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "cis-aws-3.0.yaml",
        include_str!("../../../../frameworks/cis-aws-3.0.yaml"),
    ),
    (
        "cis-aws-4.0.yaml",
        include_str!("../../../../frameworks/cis-aws-4.0.yaml"),
    ),
    (
        "cis-aws-5.0.yaml",
        include_str!("../../../../frameworks/cis-aws-5.0.yaml"),
    ),
    (
        "aws-fsbp.yaml",
        include_str!("../../../../frameworks/aws-fsbp.yaml"),
    ),
];

/// Parse every built-in framework against `known_checks`.
///
/// # Errors
/// A built-in file names a check `known_checks` lacks (a build whose
/// frameworks and checks disagree) or is malformed; the origin is
/// `built-in:FILE`.
pub fn load_all(known_checks: &[&str]) -> Result<Vec<Framework>, DataFileError> {
    BUILTIN
        .iter()
        .map(|(name, text)| Framework::from_yaml(text, &format!("built-in:{name}"), known_checks))
        .collect()
}
