//! The Linux audit stream: records ([`record`]), their grouping into events
//! ([`group`]) and syscall names per architecture ([`syscalls`]).

pub mod group;
pub mod record;
pub mod syscalls;

pub use group::{AuditEvent, Completion, GroupOptions, GroupStats, Grouper};
pub use record::{parse_line, EventKey, RawValue, Record, RecordError};
pub use syscalls::Arch;
