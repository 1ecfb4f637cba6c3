//! Host vulnerability scanning for EC2 estates: package inventories read
//! straight from a root filesystem (rpmdb in Berkeley DB, NDB and SQLite
//! form, dpkg status, jars, gem specifications), advisory databases (Amazon
//! Linux `updateinfo.xml`, OSV) kept in SQLite, and exact version matching.
//!
//! Specification: `reference/vulns-and-runtime.md` part A.

pub mod advisory;
pub mod inventory;
pub mod matcher;
pub mod report;
pub mod version;
