//! A rule as the loader hands it to the compiler: every list substituted,
//! every exception appended, every macro expanded.

use std::collections::BTreeSet;

use crate::ast::Expr;
use crate::diag::Location;
use crate::Priority;

/// A fully resolved rule definition (after all files, appends and
/// overrides), in Falco's evaluation order (first-definition order).
#[derive(Debug, Clone)]
pub struct RuleDef {
    pub name: String,
    /// The condition with lists substituted, exceptions appended and macros
    /// expanded.
    pub condition: Expr,
    /// The condition text that was parsed (after list substitution and
    /// exceptions), for messages and `saker rules list --output json`.
    pub condition_text: String,
    /// The output format, YAML-folded and trimmed; Falco's `*` prefix is not
    /// included.
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    /// Event source, `syscall` when the file does not say.
    pub source: String,
    pub enabled: bool,
    /// Sorted, de-duplicated.
    pub tags: BTreeSet<String>,
    /// `skip-if-unknown-filter`: an unknown field skips the rule with a
    /// warning instead of failing the load.
    pub skip_if_unknown_filter: bool,
    /// Where the rule was first defined.
    pub location: Option<Location>,
    /// Where the rule's condition text starts (the `condition:` value), for
    /// compile errors; `None` falls back to [`RuleDef::location`].
    pub condition_location: Option<Location>,
}
