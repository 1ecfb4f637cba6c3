//! saker posture: CSPM for EC2, VPC and EBS.
//!
//! Data flow, one module per stage: [`ec2api`] (signed EC2/IAM/STS Query
//! calls with pagination and adaptive retries) → [`collect`] (one paginated
//! call per API per region, joined in memory) → [`inventory`] (versioned
//! JSON) → [`checks`] (C1–C16, pure functions of the inventory) →
//! [`framework`] (CIS, FSBP, user-defined mappings; mutelist) → [`report`]
//! (table, JSON, OCSF, CSV, HTML, diff). Specification:
//! `../shared/reference/posture.md`.

pub mod checks;
pub mod collect;
pub mod continuous;
pub mod ec2api;
pub mod finding;
pub mod framework;
pub mod inventory;
pub mod mutelist;
pub mod params;
pub mod report;

pub use finding::{ChangeEvent, Finding, Mute, Severity, Status};
pub use inventory::{Inventory, InventoryError};
pub use params::Params;
