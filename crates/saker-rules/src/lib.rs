//! # saker-rules — Falco's rule language
//!
//! Loads Falco rule files unchanged and evaluates them with Falco's semantics.
//! The exact behaviour reproduced here is specified in `shared/reference/falco.md`
//! (read from falcosecurity/libs, falco and plugins sources).
//!
//! The crate knows nothing about CloudTrail, files on S3 or AWS: every event
//! source plugs in through [`fields::FieldTable`] (its field table, checked at
//! compile time) and [`fields::Event`] (field extraction at run time).
//!
//! Pipeline, one module per step:
//!
//! ```text
//!  YAML text ──loader──► items (list, macro, rule) ──lists──► condition text
//!     ──parser──► ast::Expr ──macros──► expanded Expr ──compile──► Ruleset ──eval──► matches
//!                                                                    └──output──► alert text / JSON
//! ```

pub mod ast;
pub mod compile;
pub mod diag;
pub mod eval;
pub mod fields;
pub mod glob;
pub mod loader;
pub mod output;
pub mod parser;
pub mod pmatch;
pub mod priority;
pub mod rule;
pub mod rule_tests;
pub mod ruleset;
pub mod transform;

pub use diag::{Diagnostic, Location, Severity};
pub use output::{Alert, JsonOptions, OutputOptions};
pub use priority::Priority;
pub use rule::RuleDef;
pub use ruleset::{Match, RuleMatching, Ruleset, RulesetOptions};
