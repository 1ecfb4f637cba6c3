//! # saker-runtime — host runtime detection from Linux audit events
//!
//! ```text
//!  audit.log / stdin / netlink ──source──► lines ──audit::record──► records ──audit::group──► events
//!     ──proctable──► process context ──event──► RuntimeEvent (Falco syscall fields)
//!     ──saker_rules::Ruleset──► alerts
//! ```
//!
//! * [`audit`]: record parser, grouping by `(node, timestamp, serial)`.
//! * [`proctable`]: process tree and fd table learned from events.
//! * [`event`]: an audit event seen through Falco's `syscall` field table.
//! * [`source`]: log files (followed across rotation) and stdin.
//! * [`netlink`]: the kernel's audit multicast group (read-only).
//! * [`pipeline`]: lines in, alerts out, with a run summary.
//! * [`instance`]: the EC2 instance id alerts carry (`ec2.instance_id`).
//! * [`audit_rules`] / [`check`]: the audit rules the enabled rules need,
//!   and whether this host's audit configuration provides them.
//! * [`syscall_fields`]: Falco's syscall field table (compile time).

pub mod audit;
pub mod audit_rules;
pub mod check;
pub mod decode;
pub mod event;
pub mod instance;
pub mod netlink;
pub mod pipeline;
pub mod proctable;
pub mod rule_tests;
pub mod rulesets;
pub mod source;
pub mod syscall_fields;

pub use syscall_fields::{
    event_param_type, is_syscall_event_type, syscall_event_types, SyscallFieldTable, SYSCALL_SOURCE,
};
