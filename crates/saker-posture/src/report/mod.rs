//! Reports of posture findings: terminal table per framework, JSON lines,
//! OCSF Detection Finding JSON, CSV, a self-contained HTML file, and the
//! diff between two runs. Every renderer takes `&[Finding]` and writes to
//! an `io::Write`.

pub mod csv;
pub mod diff;
pub mod html;
pub mod json;
pub mod ocsf;
pub mod table;
