//! # saker-runtime — host runtime detection
//!
//! For now: the field table of Falco's `syscall` source, so that Falco's
//! syscall rule files type-check exactly as in Falco.

pub mod syscall_fields;

pub use syscall_fields::{
    event_param_type, is_syscall_event_type, syscall_event_types, SyscallFieldTable, SYSCALL_SOURCE,
};
