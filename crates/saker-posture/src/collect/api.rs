//! The API names under which [`RegionInventory::errors`] and
//! [`AccountInventory::errors`] record failures: one per inventory field,
//! the field's primary call. When a secondary call of a field fails (the
//! `DescribeSnapshotAttribute` of a public snapshot candidate, the
//! `DescribeImages(ImageIds)` of the instances' images), its error is
//! recorded under the field's key with the call named in the message.
//!
//! [`RegionInventory::errors`]: crate::inventory::RegionInventory::errors
//! [`AccountInventory::errors`]: crate::inventory::AccountInventory::errors

/// `security_groups`.
pub const DESCRIBE_SECURITY_GROUPS: &str = "DescribeSecurityGroups";
/// `managed_prefix_lists` (entries are what the checks need).
pub const PREFIX_LIST_ENTRIES: &str = "GetManagedPrefixListEntries";
/// Names and owners of the prefix lists; the lists are still stored
/// (without names) when only this call fails.
pub const DESCRIBE_MANAGED_PREFIX_LISTS: &str = "DescribeManagedPrefixLists";
/// `network_acls`.
pub const DESCRIBE_NETWORK_ACLS: &str = "DescribeNetworkAcls";
/// `instances`.
pub const DESCRIBE_INSTANCES: &str = "DescribeInstances";
/// `volumes`.
pub const DESCRIBE_VOLUMES: &str = "DescribeVolumes";
/// `snapshots` (with `DescribeSnapshotAttribute` of public candidates).
pub const DESCRIBE_SNAPSHOTS: &str = "DescribeSnapshots";
/// `images` (`Owners=self`) and `instance_images` (`ImageIds`).
pub const DESCRIBE_IMAGES: &str = "DescribeImages";
/// `addresses`.
pub const DESCRIBE_ADDRESSES: &str = "DescribeAddresses";
/// `vpcs`.
pub const DESCRIBE_VPCS: &str = "DescribeVpcs";
/// `subnets`.
pub const DESCRIBE_SUBNETS: &str = "DescribeSubnets";
/// `route_tables`.
pub const DESCRIBE_ROUTE_TABLES: &str = "DescribeRouteTables";
/// `flow_logs`.
pub const DESCRIBE_FLOW_LOGS: &str = "DescribeFlowLogs";
/// `ebs_encryption_by_default`.
pub const GET_EBS_ENCRYPTION_BY_DEFAULT: &str = "GetEbsEncryptionByDefault";
/// `serial_console_access`.
pub const GET_SERIAL_CONSOLE_ACCESS_STATUS: &str = "GetSerialConsoleAccessStatus";
/// `snapshot_block_public_access`.
pub const GET_SNAPSHOT_BLOCK_PUBLIC_ACCESS_STATE: &str = "GetSnapshotBlockPublicAccessState";
/// `image_block_public_access`.
pub const GET_IMAGE_BLOCK_PUBLIC_ACCESS_STATE: &str = "GetImageBlockPublicAccessState";
/// `instance_metadata_defaults`.
pub const GET_INSTANCE_METADATA_DEFAULTS: &str = "GetInstanceMetadataDefaults";

/// Account level: the account id (and, with a role, `sts:AssumeRole`).
pub const GET_CALLER_IDENTITY: &str = "GetCallerIdentity";
/// Account level: `all_regions`.
pub const DESCRIBE_REGIONS: &str = "DescribeRegions";
/// Account level: `instance_profiles`.
pub const LIST_INSTANCE_PROFILES: &str = "ListInstanceProfiles";

/// The account-level settings of a region.
pub const SETTINGS: &[&str] = &[
    GET_EBS_ENCRYPTION_BY_DEFAULT,
    GET_SERIAL_CONSOLE_ACCESS_STATUS,
    GET_SNAPSHOT_BLOCK_PUBLIC_ACCESS_STATE,
    GET_IMAGE_BLOCK_PUBLIC_ACCESS_STATE,
    GET_INSTANCE_METADATA_DEFAULTS,
];

/// Every per-region key, in inventory field order.
pub const REGION_APIS: &[&str] = &[
    DESCRIBE_SECURITY_GROUPS,
    PREFIX_LIST_ENTRIES,
    DESCRIBE_NETWORK_ACLS,
    DESCRIBE_INSTANCES,
    DESCRIBE_VOLUMES,
    DESCRIBE_SNAPSHOTS,
    DESCRIBE_IMAGES,
    DESCRIBE_ADDRESSES,
    DESCRIBE_VPCS,
    DESCRIBE_SUBNETS,
    DESCRIBE_ROUTE_TABLES,
    DESCRIBE_FLOW_LOGS,
    GET_EBS_ENCRYPTION_BY_DEFAULT,
    GET_SERIAL_CONSOLE_ACCESS_STATUS,
    GET_SNAPSHOT_BLOCK_PUBLIC_ACCESS_STATE,
    GET_IMAGE_BLOCK_PUBLIC_ACCESS_STATE,
    GET_INSTANCE_METADATA_DEFAULTS,
];
