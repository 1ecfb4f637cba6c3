//! `required_engine_version` and `required_plugin_versions`
//! (Falco `rule_loader_reader.cpp`, `rule_loader_collector.cpp`,
//! `falco_engine.cpp: check_plugin_requirements`, libsinsp `sinsp_version`).

use std::fmt;

/// A `major.minor.patch` version (libsinsp `sinsp_version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl Version {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        Version {
            major,
            minor,
            patch,
        }
    }

    /// Parse like libsinsp's `sinsp_version`: `sscanf("%u.%u.%u")`, so
    /// leading blanks are skipped and anything after the third number is
    /// ignored (`0.10.0-rc1` is `0.10.0`).
    pub fn parse(s: &str) -> Option<Version> {
        let s = s.trim_start();
        let mut rest = s;
        let mut nums = [0u32; 3];
        for (i, n) in nums.iter_mut().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix('.')?;
            }
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            *n = rest[..digits].parse().ok()?;
            rest = &rest[digits..];
        }
        Some(Version::new(nums[0], nums[1], nums[2]))
    }

    /// Falco's compatibility rule: same major and `self >= required`.
    pub fn compatible_with(self, required: Version) -> bool {
        self.major == required.major && self >= required
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// yaml-cpp `convert<uint32_t>` of a scalar: decimal digits only (an
/// optional leading `+`), no trailing text.
pub fn parse_u32(s: &str) -> Option<u32> {
    let digits = s.strip_prefix('+').unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// One `required_plugin_versions` entry: satisfied by any alternative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginRequirement {
    /// `(name, version)` pairs, the entry's own first, then `alternatives`.
    pub alternatives: Vec<(String, String)>,
}

/// Check one requirement against the loaded plugins (`(name, version)`).
///
/// # Errors
/// Falco's messages: `Plugin 'x' version 'v' is not compatible with required
/// plugin version 'r'` when a named plugin is loaded with an incompatible
/// version, `Plugin requirement not satisfied, must load one of: a (>= v), …`
/// when none is loaded.
pub fn check_plugin_requirement(
    req: &PluginRequirement,
    plugins: &[(&str, &str)],
) -> Result<(), String> {
    for (name, version) in &req.alternatives {
        let Some((pname, pver)) = plugins.iter().find(|(n, _)| n == name) else {
            continue;
        };
        let required = Version::parse(version).unwrap_or(Version::new(0, 0, 0));
        let Some(loaded) = Version::parse(pver) else {
            return Err(format!(
                "Plugin '{pname}' has invalid version string '{pver}'"
            ));
        };
        if !loaded.compatible_with(required) {
            return Err(format!(
                "Plugin '{pname}' version '{pver}' is not compatible with required plugin version '{version}'"
            ));
        }
        return Ok(());
    }
    let wanted: Vec<String> = req
        .alternatives
        .iter()
        .map(|(n, v)| format!("{n} (>= {v})"))
        .collect();
    Err(format!(
        "Plugin requirement not satisfied, must load one of: {}",
        wanted.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_like_sscanf() {
        assert_eq!(Version::parse("0.57.0"), Some(Version::new(0, 57, 0)));
        assert_eq!(Version::parse(" 1.2.3-rc1"), Some(Version::new(1, 2, 3)));
        assert_eq!(Version::parse("1.2"), None);
        assert_eq!(Version::parse("x.1.2"), None);
        assert_eq!(parse_u32("10"), Some(10));
        assert_eq!(parse_u32("0.57.0"), None);
    }

    #[test]
    fn compatibility_is_same_major_and_not_older() {
        let engine = Version::new(0, 63, 0);
        assert!(engine.compatible_with(Version::new(0, 10, 0)));
        assert!(engine.compatible_with(Version::new(0, 63, 0)));
        assert!(!engine.compatible_with(Version::new(0, 64, 0)));
        assert!(!engine.compatible_with(Version::new(1, 0, 0)));
    }

    #[test]
    fn plugin_requirements_use_falco_messages() {
        let req = PluginRequirement {
            alternatives: vec![("cloudtrail".into(), "100000.0.0".into())],
        };
        assert_eq!(
            check_plugin_requirement(&req, &[("cloudtrail", "0.17.1")]).unwrap_err(),
            "Plugin 'cloudtrail' version '0.17.1' is not compatible with required plugin version '100000.0.0'"
        );
        assert_eq!(
            check_plugin_requirement(&req, &[]).unwrap_err(),
            "Plugin requirement not satisfied, must load one of: cloudtrail (>= 100000.0.0)"
        );
        let ok = PluginRequirement {
            alternatives: vec![("json".into(), "0.7.0".into())],
        };
        assert!(check_plugin_requirement(&ok, &[("json", "0.7.4")]).is_ok());
    }
}
