//! The EC2 instance id of this host, for the "where" of alerts.
//!
//! In order (first found wins):
//! 1. an explicit id (`saker runtime --instance-id i-…`);
//! 2. `/sys/devices/virtual/dmi/id/board_asset_tag`: on Nitro instances the
//!    firmware puts the instance id there (AWS EC2 User Guide, "Identify
//!    EC2 Linux instances"); no network needed;
//! 3. the instance metadata service, IMDSv2: `PUT /latest/api/token` with
//!    `X-aws-ec2-metadata-token-ttl-seconds`, then
//!    `GET /latest/meta-data/instance-id` with `X-aws-ec2-metadata-token`
//!    (AWS EC2 User Guide, "Use IMDSv2"), each with a short timeout. It is
//!    asked only when the host looks like EC2 (DMI `sys_vendor`/`bios_vendor`
//!    `Amazon EC2`, a product UUID or `/sys/hypervisor/uuid` starting with
//!    `ec2` — Xen instances) or when `AWS_EC2_METADATA_SERVICE_ENDPOINT`
//!    names an endpoint; `AWS_EC2_METADATA_DISABLED=true` turns it off (the
//!    AWS SDKs' variables).
//!
//! Off EC2 nothing is found and alerts carry no instance id.

use std::path::Path;
use std::time::Duration;

/// The IMDS endpoint on EC2 (IPv4).
pub const IMDS_ENDPOINT: &str = "http://169.254.169.254";
/// Timeout of each IMDS request.
pub const IMDS_TIMEOUT: Duration = Duration::from_millis(1000);

/// Where the instance id came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdSource {
    Flag,
    AssetTag,
    Imds,
}

/// Whether `s` has the shape of an instance id: `i-` then lowercase
/// letters and digits (real ids have 8 or 17 hex digits; emulators use
/// other names), at most 64 bytes.
pub fn is_instance_id(s: &str) -> bool {
    s.len() <= 64
        && s.strip_prefix("i-").is_some_and(|r| {
            !r.is_empty()
                && r.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn read_trimmed(p: &Path) -> Option<String> {
    std::fs::read_to_string(p)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The id in `DMI_DIR/board_asset_tag` (Nitro), if it is one.
pub fn from_asset_tag(dmi_dir: &Path) -> Option<String> {
    read_trimmed(&dmi_dir.join("board_asset_tag")).filter(|s| is_instance_id(s))
}

/// Whether DMI (`dmi_dir`) or the Xen hypervisor UUID (`hypervisor_uuid`)
/// says this is an EC2 instance.
pub fn looks_like_ec2(dmi_dir: &Path, hypervisor_uuid: &Path) -> bool {
    let vendor = |f: &str| read_trimmed(&dmi_dir.join(f)).is_some_and(|v| v == "Amazon EC2");
    let ec2_uuid =
        |p: &Path| read_trimmed(p).is_some_and(|u| u.to_ascii_lowercase().starts_with("ec2"));
    vendor("sys_vendor")
        || vendor("bios_vendor")
        || ec2_uuid(&dmi_dir.join("product_uuid"))
        || ec2_uuid(hypervisor_uuid)
}

/// Ask IMDSv2 at `endpoint` (`http://host[:port]`, no trailing slash).
///
/// # Errors
/// A message naming the request that failed (connection, timeout, HTTP
/// status, or an answer that is not an instance id).
pub fn from_imds(endpoint: &str, timeout: Duration) -> Result<String, String> {
    let client = reqwest::blocking::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| format!("HTTP client: {e}"))?;
    let token_url = format!("{endpoint}/latest/api/token");
    let token = client
        .put(&token_url)
        .header("X-aws-ec2-metadata-token-ttl-seconds", "60")
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.text())
        .map_err(|e| format!("PUT {token_url}: {e}"))?;
    let id_url = format!("{endpoint}/latest/meta-data/instance-id");
    let id = client
        .get(&id_url)
        .header("X-aws-ec2-metadata-token", token.trim())
        .send()
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.text())
        .map_err(|e| format!("GET {id_url}: {e}"))?;
    let id = id.trim();
    if is_instance_id(id) {
        Ok(id.to_string())
    } else {
        Err(format!(
            "GET {id_url}: not an instance id: {:?}",
            id.escape_debug().to_string()
        ))
    }
}

/// Find this host's instance id (see the module docs). `explicit` is the
/// `--instance-id` value. Returns the id and its source, or `None` with the
/// IMDS error when it was asked and failed.
pub fn discover(explicit: Option<&str>) -> (Option<(String, IdSource)>, Option<String>) {
    if let Some(id) = explicit {
        return (Some((id.to_string(), IdSource::Flag)), None);
    }
    let dmi = Path::new("/sys/devices/virtual/dmi/id");
    if let Some(id) = from_asset_tag(dmi) {
        return (Some((id, IdSource::AssetTag)), None);
    }
    let disabled =
        std::env::var("AWS_EC2_METADATA_DISABLED").is_ok_and(|v| v.eq_ignore_ascii_case("true"));
    if disabled {
        return (None, None);
    }
    let endpoint = match std::env::var("AWS_EC2_METADATA_SERVICE_ENDPOINT") {
        Ok(e) if !e.is_empty() => e.trim_end_matches('/').to_string(),
        _ if looks_like_ec2(dmi, Path::new("/sys/hypervisor/uuid")) => IMDS_ENDPOINT.to_string(),
        _ => return (None, None),
    };
    match from_imds(&endpoint, IMDS_TIMEOUT) {
        Ok(id) => (Some((id, IdSource::Imds)), None),
        Err(e) => (None, Some(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_id_shapes() {
        assert!(is_instance_id("i-0123456789abcdef0"));
        assert!(is_instance_id("i-12345678"));
        assert!(!is_instance_id("i-"));
        assert!(!is_instance_id("ec2-user"));
        assert!(!is_instance_id("i-0123\n"));
        assert!(!is_instance_id("Default string"));
    }

    #[test]
    fn asset_tag_and_ec2_detection_read_dmi_files() {
        let dir = std::env::temp_dir().join(format!("saker-dmi-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let none = dir.join("no-hypervisor-uuid");
        assert_eq!(from_asset_tag(&dir), None);
        assert!(!looks_like_ec2(&dir, &none));
        // a non-EC2 board puts other text in the asset tag
        std::fs::write(dir.join("board_asset_tag"), "Default string\n").unwrap();
        assert_eq!(from_asset_tag(&dir), None);
        std::fs::write(dir.join("board_asset_tag"), "i-0abc1234def567890\n").unwrap();
        assert_eq!(from_asset_tag(&dir).as_deref(), Some("i-0abc1234def567890"));
        std::fs::write(dir.join("sys_vendor"), "Amazon EC2\n").unwrap();
        assert!(looks_like_ec2(&dir, &none));
        std::fs::remove_file(dir.join("sys_vendor")).unwrap();
        let xen = dir.join("hypervisor-uuid");
        std::fs::write(&xen, "ec2e1916-9099-7caf-fd21-012345abcdef\n").unwrap();
        assert!(looks_like_ec2(&dir, &xen));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
