//! The `aws_cloudtrail` field table and extraction (Falco cloudtrail plugin
//! 0.17.1, json plugin 0.7.4, generic `evt.*`, saker EC2 additions).
//!
//! Semantics and the source of truth for every field:
//! `shared/reference/falco.md` §6. Deliberate differences from Falco are
//! listed in `docs/falco-compat.md` ("CloudTrail fields").

mod ec2;
mod evt;
mod extract;
mod info;
pub mod json_plugin;
mod table;
mod user;

pub use table::{CloudTrailFields, Fid, ALL_FIDS, FIELDS};
