//! Building the `aws_cloudtrail` ruleset a detection run uses: saker's
//! built-in rules (embedded in the binary) plus the user's files.

use std::path::PathBuf;
use std::sync::Arc;

use saker_cloudtrail::CloudTrailFields;
use saker_rules::fields::FieldTable;
use saker_rules::loader::{LoadStats, Loader};
use saker_rules::ruleset::{Ruleset, RulesetOptions};
use saker_rules::Diagnostic;
use saker_runtime::SyscallFieldTable;

/// saker's built-in rule files: (file name, content), in load order.
pub const BUILTIN_RULE_FILES: &[(&str, &str)] =
    &[("aws_ec2.yaml", include_str!("../../../rules/aws_ec2.yaml"))];

/// The field tables saker knows: `aws_cloudtrail` and `syscall`. Rules of
/// other sources load with Falco's `LOAD_UNKNOWN_SOURCE` warning.
pub fn builtin_tables() -> Vec<Arc<dyn FieldTable>> {
    vec![
        Arc::new(CloudTrailFields) as Arc<dyn FieldTable>,
        Arc::new(SyscallFieldTable::new()),
    ]
}

/// Where rules come from: the built-in files unless `builtin` is false,
/// then each path (file or directory, Falco's expansion) in order, so a
/// user's file can append to or override a built-in list, macro or rule.
#[derive(Debug, Clone, Default)]
pub struct RuleSources {
    pub builtin: bool,
    pub paths: Vec<PathBuf>,
}

/// A compiled `aws_cloudtrail` ruleset and what loading it said.
#[derive(Debug)]
pub struct LoadedRuleset {
    pub ruleset: Ruleset,
    /// Warnings (loading and compiling); never errors.
    pub warnings: Vec<Diagnostic>,
    pub stats: LoadStats,
}

/// Load, resolve and compile the CloudTrail rules of `sources`.
///
/// Rules of other sources (e.g. `syscall` rules in a shared directory) are
/// loaded and validated too, but only `aws_cloudtrail` rules are compiled
/// into the returned ruleset.
///
/// # Errors
/// Every diagnostic (errors and warnings) when any error was found: the
/// rules are unusable, as in Falco.
pub fn load_cloudtrail_ruleset(
    sources: &RuleSources,
    opts: &RulesetOptions,
) -> Result<LoadedRuleset, Vec<Diagnostic>> {
    let tables = builtin_tables();
    let mut loader = Loader::new(tables.clone());
    if sources.builtin {
        for (name, text) in BUILTIN_RULE_FILES {
            loader.load_embedded(name, text);
        }
    }
    for p in &sources.paths {
        loader.load_path(p);
    }
    let result = loader.finish();
    let mut diagnostics = result.diagnostics.clone();
    let mut cloudtrail = None;
    for table in tables {
        let is_cloudtrail = table.source() == "aws_cloudtrail";
        let (ruleset, d) = Ruleset::compile(&result.rules, table, opts);
        diagnostics.extend(d);
        if is_cloudtrail {
            cloudtrail = Some(ruleset);
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    Ok(LoadedRuleset {
        ruleset: cloudtrail.expect("the CloudTrail table is built in"),
        warnings: diagnostics,
        stats: result.stats,
    })
}
