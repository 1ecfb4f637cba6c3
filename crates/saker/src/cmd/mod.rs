//! One module per `saker` command.

pub mod demo;
pub mod detect;
pub mod detect_live;
pub mod detect_posture;
pub mod posture;
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

/// `--min-priority` / `--fail-on` values: Falco's priority names,
/// case-insensitive, `info` for `Informational`.
pub fn parse_priority(s: &str) -> Result<saker_rules::Priority, String> {
    s.parse::<saker_rules::Priority>().map_err(|_| {
        format!("invalid priority '{s}': expected emergency, alert, critical, error, warning, notice, info or debug")
    })
}

/// Falco's hostname for alerts: `FALCO_HOSTNAME`, else the machine's name.
pub fn hostname() -> String {
    std::env::var("FALCO_HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned())
}
