//! The `syscall` ruleset of a runtime run: saker's built-in host rules
//! (embedded) plus the user's files.

use std::path::PathBuf;
use std::sync::Arc;

use saker_rules::fields::FieldTable;
use saker_rules::loader::{LoadStats, Loader};
use saker_rules::ruleset::{Ruleset, RulesetOptions};
use saker_rules::Diagnostic;

use crate::syscall_fields::SyscallFieldTable;

/// saker's built-in host rule files: (file name, content), in load order.
pub const BUILTIN_HOST_RULE_FILES: &[(&str, &str)] =
    &[("host.yaml", include_str!("../../../rules/host.yaml"))];

/// A compiled `syscall` ruleset and what loading it said.
#[derive(Debug)]
pub struct LoadedRuleset {
    pub ruleset: Ruleset,
    /// Warnings (loading and compiling); never errors.
    pub warnings: Vec<Diagnostic>,
    pub stats: LoadStats,
}

/// Load and compile the syscall rules: the built-in host rules unless
/// `builtin` is false, then each path (file or directory) in order.
/// `extra_tables` are tables of other sources whose rules may share the
/// files (they are validated, not compiled here).
///
/// # Errors
/// Every diagnostic when any error was found: the rules are unusable.
pub fn load_runtime_ruleset(
    builtin: bool,
    paths: &[PathBuf],
    extra_tables: Vec<Arc<dyn FieldTable>>,
    opts: &RulesetOptions,
) -> Result<LoadedRuleset, Vec<Diagnostic>> {
    let table: Arc<dyn FieldTable> = Arc::new(SyscallFieldTable::new());
    let mut tables = vec![table.clone()];
    tables.extend(extra_tables);
    let mut loader = Loader::new(tables);
    if builtin {
        for (name, text) in BUILTIN_HOST_RULE_FILES {
            loader.load_embedded(name, text);
        }
    }
    for p in paths {
        loader.load_path(p);
    }
    let result = loader.finish();
    let mut diagnostics = result.diagnostics.clone();
    let (ruleset, d) = Ruleset::compile(&result.rules, table, opts);
    diagnostics.extend(d);
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(diagnostics);
    }
    Ok(LoadedRuleset {
        ruleset,
        warnings: diagnostics,
        stats: result.stats,
    })
}
