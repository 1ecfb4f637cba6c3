//! # saker-detect — the detection pipeline
//!
//! ```text
//!  SourceUnit (file, stdin) ─► read ─► decode (saker-cloudtrail) ─► Ruleset::evaluate (saker-rules)
//!        ─► Alert ─► AlertSink (saker-alerts)          └─► Summary (counts, skips, throughput)
//! ```
//!
//! Units are processed in parallel by worker threads; their alerts reach the
//! sinks in input order, so a run's output is reproducible whatever the
//! thread count. Nothing is dropped silently: a unit that cannot be read, a
//! record that cannot be decoded, a record outside the requested window —
//! each is counted in the [`Summary`], with the first locations of each kind.

pub mod field_examples;
pub mod live;
pub mod pipeline;
pub mod rule_tests;
pub mod rulesets;
pub mod summary;
pub mod tap;
pub mod window;

pub use pipeline::{run, run_tapped, DetectOptions, Progress, RunError};
pub use rulesets::{
    builtin_tables, load_cloudtrail_ruleset, LoadedRuleset, RuleSources, BUILTIN_RULE_FILES,
};
pub use summary::Summary;
pub use tap::RecordTap;
pub use window::{parse_time_arg, TimeWindow};
