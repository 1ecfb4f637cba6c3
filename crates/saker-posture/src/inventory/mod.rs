//! The inventory: what one collection saw, per account and region.
//!
//! `saker posture collect --out inventory.json` writes it and
//! `saker posture check inventory.json` reads it back, so the JSON shape is
//! versioned ([`INVENTORY_VERSION`]). Every API result is an `Option`:
//! `None` means the call was not made or failed, and the reason is in
//! [`RegionInventory::errors`] under the API's name; checks that need it
//! report *not evaluated*, never PASS.

pub mod model;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub use model::*;

/// The value of [`Inventory::format`].
pub const INVENTORY_FORMAT: &str = "saker-posture-inventory";

/// The inventory version this build writes. Readers accept versions
/// `1..=INVENTORY_VERSION`; older files are upgraded on load.
pub const INVENTORY_VERSION: u32 = 1;

/// One collection run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    /// Always [`INVENTORY_FORMAT`].
    pub format: String,
    /// [`INVENTORY_VERSION`] when written by this build.
    pub version: u32,
    /// When collection started, RFC 3339 UTC.
    pub collected_at: String,
    /// The saker version that collected it.
    #[serde(default)]
    pub collector: String,
    pub accounts: Vec<AccountInventory>,
    /// HTTP requests the collection made, by API (`ec2:DescribeInstances`,
    /// `sts:AssumeRole`), retries and pages included; `None` when not
    /// recorded (inventories written before saker recorded it, or built by
    /// hand). Optional and informational: no version bump, and readers
    /// that predate it ignore it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<BTreeMap<String, crate::ec2api::ApiCounts>>,
}

/// Everything collected in one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountInventory {
    /// `sts:GetCallerIdentity` → `Account`.
    pub account_id: String,
    /// `aws`, `aws-cn`, `aws-us-gov`.
    #[serde(default = "default_partition")]
    pub partition: String,
    /// The role assumed into the account, if any.
    #[serde(default)]
    pub role_arn: Option<String>,
    /// `DescribeRegions(AllRegions = true)`: every region and its
    /// `OptInStatus` (`opt-in-not-required`, `opted-in`, `not-opted-in`).
    #[serde(default)]
    pub all_regions: Option<Vec<RegionStatus>>,
    /// `iam:ListInstanceProfiles` (global).
    #[serde(default)]
    pub instance_profiles: Option<Vec<InstanceProfile>>,
    /// The regions collected (enabled ones, narrowed by `--region`).
    pub regions: Vec<RegionInventory>,
    /// Account-wide failures (`sts`, `iam`, `DescribeRegions`), by API name.
    #[serde(default)]
    pub errors: BTreeMap<String, CollectError>,
}

fn default_partition() -> String {
    "aws".to_string()
}

/// `DescribeRegions` → `Regions[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RegionStatus {
    pub region_name: String,
    #[serde(default)]
    pub opt_in_status: Option<String>,
}

impl RegionStatus {
    /// `false` only for `not-opted-in` (an opt-in region the account has not
    /// enabled): such regions cannot hold resources and are not collected.
    pub fn enabled(&self) -> bool {
        self.opt_in_status.as_deref() != Some("not-opted-in")
    }
}

/// Everything collected in one region of one account. `None` = not
/// collected; see [`errors`](Self::errors).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RegionInventory {
    pub region: String,
    #[serde(default)]
    pub security_groups: Option<Vec<SecurityGroup>>,
    /// The prefix lists security group rules reference, with entries.
    #[serde(default)]
    pub managed_prefix_lists: Option<Vec<ManagedPrefixList>>,
    #[serde(default)]
    pub network_acls: Option<Vec<NetworkAcl>>,
    #[serde(default)]
    pub instances: Option<Vec<Instance>>,
    #[serde(default)]
    pub volumes: Option<Vec<Volume>>,
    #[serde(default)]
    pub snapshots: Option<Vec<Snapshot>>,
    /// Images owned by the account.
    #[serde(default)]
    pub images: Option<Vec<Image>>,
    /// Images the region's instances run (any owner); an id missing here
    /// was not found (deregistered or no longer shared).
    #[serde(default)]
    pub instance_images: Option<Vec<Image>>,
    #[serde(default)]
    pub addresses: Option<Vec<Address>>,
    #[serde(default)]
    pub vpcs: Option<Vec<Vpc>>,
    #[serde(default)]
    pub subnets: Option<Vec<Subnet>>,
    #[serde(default)]
    pub route_tables: Option<Vec<RouteTable>>,
    #[serde(default)]
    pub flow_logs: Option<Vec<FlowLog>>,
    /// `GetEbsEncryptionByDefault` → `EbsEncryptionByDefault`.
    #[serde(default)]
    pub ebs_encryption_by_default: Option<bool>,
    /// `GetSerialConsoleAccessStatus`.
    #[serde(default)]
    pub serial_console_access: Option<SerialConsoleAccess>,
    /// `GetSnapshotBlockPublicAccessState` → `State`.
    #[serde(default)]
    pub snapshot_block_public_access: Option<String>,
    /// `GetImageBlockPublicAccessState` → `ImageBlockPublicAccessState`.
    #[serde(default)]
    pub image_block_public_access: Option<String>,
    /// `GetInstanceMetadataDefaults` → `AccountLevel`.
    #[serde(default)]
    pub instance_metadata_defaults: Option<InstanceMetadataDefaults>,
    /// Failed calls, by API name (`DescribeSecurityGroups`, …).
    #[serde(default)]
    pub errors: BTreeMap<String, CollectError>,
}

/// Why an API call gave no result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectError {
    /// The AWS error code (`UnauthorizedOperation`, `AuthFailure`,
    /// `RequestLimitExceeded`, …) or `Transport` / `Parse`.
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for CollectError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl RegionInventory {
    /// An empty inventory for `region` (nothing collected).
    pub fn new(region: impl Into<String>) -> Self {
        RegionInventory {
            region: region.into(),
            ..Default::default()
        }
    }

    /// `data` if it was collected, else the error recorded for `api` (or a
    /// `NotCollected` error when there is none).
    ///
    /// # Errors
    /// The data is `None`.
    pub fn need<'a, T>(&'a self, api: &str, data: &'a Option<T>) -> Result<&'a T, CollectError> {
        data.as_ref().ok_or_else(|| {
            self.errors.get(api).cloned().unwrap_or(CollectError {
                code: "NotCollected".into(),
                message: format!("{api} was not collected in {}", self.region),
            })
        })
    }
}

/// Errors reading an inventory file.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: not a saker inventory (line {line}, column {column}): {message}")]
    Corrupt {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}: format is {found:?}, expected {INVENTORY_FORMAT:?}")]
    WrongFormat { path: String, found: String },
    #[error("{path}: inventory version {found} is newer than this saker reads ({INVENTORY_VERSION}); upgrade saker")]
    NewerVersion { path: String, found: u32 },
    #[error("{path}: inventory version {found} is not supported (this saker reads 1..={INVENTORY_VERSION})")]
    UnknownVersion { path: String, found: u32 },
}

impl Inventory {
    /// A new, empty inventory stamped now.
    pub fn new(collected_at: impl Into<String>) -> Self {
        Inventory {
            format: INVENTORY_FORMAT.into(),
            version: INVENTORY_VERSION,
            collected_at: collected_at.into(),
            collector: format!("saker {}", env!("CARGO_PKG_VERSION")),
            accounts: Vec::new(),
            api_calls: None,
        }
    }

    /// Read an inventory file, checking its format and version.
    ///
    /// # Errors
    /// Unreadable file, invalid JSON (with line and column), another
    /// format, or a version this build cannot read.
    pub fn load(path: &Path) -> Result<Inventory, InventoryError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Io {
            path: shown.clone(),
            source,
        })?;
        Self::from_json(&text, &shown)
    }

    /// Parse inventory JSON; `origin` names it in errors.
    ///
    /// # Errors
    /// As [`load`](Self::load).
    pub fn from_json(text: &str, origin: &str) -> Result<Inventory, InventoryError> {
        let corrupt = |e: serde_json::Error| InventoryError::Corrupt {
            path: origin.to_string(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        };
        // Check format and version before the full shape, so an old or
        // foreign file gets the right message.
        #[derive(Deserialize)]
        struct Header {
            #[serde(default)]
            format: String,
            #[serde(default)]
            version: u32,
        }
        let header: Header = serde_json::from_str(text).map_err(corrupt)?;
        if header.format != INVENTORY_FORMAT {
            return Err(InventoryError::WrongFormat {
                path: origin.to_string(),
                found: header.format,
            });
        }
        if header.version > INVENTORY_VERSION {
            return Err(InventoryError::NewerVersion {
                path: origin.to_string(),
                found: header.version,
            });
        }
        if header.version == 0 {
            return Err(InventoryError::UnknownVersion {
                path: origin.to_string(),
                found: header.version,
            });
        }
        serde_json::from_str(text).map_err(corrupt)
    }

    /// Write the inventory as pretty JSON.
    ///
    /// # Errors
    /// The file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), InventoryError> {
        let text = serde_json::to_string_pretty(self).expect("inventory serializes");
        std::fs::write(path, text + "\n").map_err(|source| InventoryError::Io {
            path: path.display().to_string(),
            source,
        })
    }
}
