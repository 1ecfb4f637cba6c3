//! Operating-system identification from `/etc/os-release` (or
//! `/usr/lib/os-release`) and `/etc/system-release`
//! (`Amazon Linux release 2023.6.20241010 (Amazon Linux)`).

use std::path::Path;

use serde::Serialize;

/// The OS of a scanned root.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OsInfo {
    /// os-release `ID` (`amzn`, `debian`, `ubuntu`, `almalinux`, `rocky`, `alpine`…).
    pub id: String,
    /// os-release `VERSION_ID` (`2`, `2023`, `12`, `22.04`…).
    pub version_id: String,
    /// os-release `PRETTY_NAME`.
    pub pretty_name: String,
    /// Full release from `/etc/system-release` on Amazon Linux 2023
    /// (`2023.6.20241010`), when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

impl OsInfo {
    /// Amazon Linux major version (`1`, `2`, `2022`, `2023`), if Amazon Linux.
    pub fn amazon_linux(&self) -> Option<&str> {
        if self.id != "amzn" {
            return None;
        }
        Some(match self.version_id.as_str() {
            "2018.03" | "2017.09" | "2017.03" | "2016.09" | "2016.03" => "1",
            v => v.split('.').next().unwrap_or(v),
        })
    }

    /// A short label: `amzn 2023`, `debian 12`.
    pub fn label(&self) -> String {
        if self.id.is_empty() {
            "unknown".into()
        } else {
            format!("{} {}", self.id, self.version_id)
        }
    }
}

/// Parses os-release `KEY=value` lines (values may be quoted).
pub fn parse_os_release(text: &str) -> OsInfo {
    let mut os = OsInfo::default();
    for line in text.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        let v = v.trim().trim_matches('"').trim_matches('\'').to_string();
        match k.trim() {
            "ID" => os.id = v,
            "VERSION_ID" => os.version_id = v,
            "PRETTY_NAME" => os.pretty_name = v,
            _ => {}
        }
    }
    os
}

/// Parses `/etc/system-release`. Recognises Amazon Linux lines
/// (`Amazon Linux AMI release 2018.03`, `Amazon Linux release 2 (Karoo)`,
/// `Amazon Linux release 2023.6.20241010 (Amazon Linux)`).
pub fn parse_system_release(text: &str) -> Option<OsInfo> {
    let line = text.lines().next()?.trim();
    let rest = line
        .strip_prefix("Amazon Linux AMI release ")
        .or_else(|| line.strip_prefix("Amazon Linux release "))?;
    let ver = rest.split_whitespace().next()?;
    let major = if line.starts_with("Amazon Linux AMI") {
        ver.to_string()
    } else {
        ver.split('.').next().unwrap_or(ver).to_string()
    };
    Some(OsInfo {
        id: "amzn".into(),
        version_id: major,
        pretty_name: line.to_string(),
        release: ver.contains('.').then(|| ver.to_string()),
    })
}

/// Identifies the OS under `root`. Returns `None` when neither file exists.
pub fn identify(root: &Path) -> Option<OsInfo> {
    let os_release = ["etc/os-release", "usr/lib/os-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(root.join(p)).ok())
        .map(|t| parse_os_release(&t));
    let sys = ["etc/system-release", "usr/lib/system-release"]
        .iter()
        .find_map(|p| std::fs::read_to_string(root.join(p)).ok())
        .and_then(|t| parse_system_release(&t));
    match (os_release, sys) {
        (Some(mut o), Some(s)) => {
            if o.id == "amzn" {
                o.release = s.release;
            }
            Some(o)
        }
        (Some(o), None) => Some(o),
        (None, s) => s,
    }
}
