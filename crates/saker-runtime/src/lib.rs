//! # saker-runtime — host runtime detection
//!
//! For now: the field table of Falco's `syscall` source, so that Falco's
//! syscall rule files type-check exactly as in Falco.
