//! One module per `saker` command.

pub mod demo;
pub mod detect;
pub mod detect_live;
pub mod rules;
pub mod runtime;
pub mod sinks;
pub mod vulns;

use std::sync::Arc;

use saker_rules::fields::FieldTable;

/// The field tables saker serves: `aws_cloudtrail` (CloudTrail + json
/// plugins) and `syscall` (Falco's syscall source, for runtime rules).
pub fn builtin_tables() -> Vec<Arc<dyn FieldTable>> {
    vec![
        Arc::new(saker_cloudtrail::CloudTrailFields),
        Arc::new(saker_runtime::SyscallFieldTable::new()),
    ]
}
