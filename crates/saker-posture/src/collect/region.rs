//! Everything of one region: one paginated call per API, run concurrently
//! and joined in memory. A failed call leaves its field `None` and records
//! the error under the field's API name; the rest goes on.

use std::collections::{BTreeMap, BTreeSet};

use crate::collect::api;
use crate::collect::describe::RegionApi;
use crate::ec2api::ApiError;
use crate::inventory::{
    CollectError, Image, Instance, InstanceMetadataDefaults, ManagedPrefixList, RegionInventory,
    SecurityGroup, SerialConsoleAccess, Snapshot,
};

/// Collect one region of `account` (the account id filters snapshots).
pub async fn collect_region(api: RegionApi<'_>, account: &str) -> RegionInventory {
    let (sgs, acls, instances, volumes, snapshots, images, addresses) = tokio::join!(
        security_groups_and_lists(api),
        api.network_acls(&[]),
        instances_and_images(api),
        api.volumes(&[]),
        snapshots_with_sharing(api, account),
        api.own_images(&[]),
        api.addresses(&[]),
    );
    let (vpcs, subnets, route_tables, flow_logs, settings) = tokio::join!(
        api.vpcs(&[]),
        api.subnets(&[]),
        api.route_tables(None),
        api.flow_logs(None),
        region_settings(api),
    );

    let mut inv = RegionInventory::new(api.region);
    let errors = &mut inv.errors;
    let (sg_result, pl_result) = sgs;
    inv.security_groups = keep(errors, api::DESCRIBE_SECURITY_GROUPS, sg_result);
    if let Some((lists, describe_error)) = keep(errors, api::PREFIX_LIST_ENTRIES, pl_result) {
        if let Some(e) = describe_error {
            errors.insert(api::DESCRIBE_MANAGED_PREFIX_LISTS.into(), e.into());
        }
        inv.managed_prefix_lists = Some(lists);
    }
    inv.network_acls = keep(errors, api::DESCRIBE_NETWORK_ACLS, acls);
    let (instance_result, image_result) = instances;
    inv.instances = keep(errors, api::DESCRIBE_INSTANCES, instance_result);
    inv.volumes = keep(errors, api::DESCRIBE_VOLUMES, volumes);
    inv.snapshots = keep(errors, api::DESCRIBE_SNAPSHOTS, snapshots);
    inv.images = keep(
        errors,
        api::DESCRIBE_IMAGES,
        images.map_err(|e| prefixed("Owners=self", e)),
    );
    inv.instance_images = keep(errors, api::DESCRIBE_IMAGES, image_result);
    inv.addresses = keep(errors, api::DESCRIBE_ADDRESSES, addresses);
    inv.vpcs = keep(errors, api::DESCRIBE_VPCS, vpcs);
    inv.subnets = keep(errors, api::DESCRIBE_SUBNETS, subnets);
    inv.route_tables = keep(errors, api::DESCRIBE_ROUTE_TABLES, route_tables);
    inv.flow_logs = keep(errors, api::DESCRIBE_FLOW_LOGS, flow_logs);
    settings.apply_to(&mut inv);
    inv
}

/// The value, or `None` with the error recorded under `key` (appended to
/// an error already there, so two calls sharing a key both show).
fn keep<T, E: Into<CollectError>>(
    errors: &mut BTreeMap<String, CollectError>,
    key: &str,
    r: Result<T, E>,
) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let e: CollectError = e.into();
            match errors.get_mut(key) {
                Some(prev) => prev.message = format!("{}; {}: {}", prev.message, e.code, e.message),
                None => {
                    errors.insert(key.to_string(), e);
                }
            }
            None
        }
    }
}

/// An error whose message names the call variant or the call that failed.
fn prefixed(what: &str, mut e: ApiError) -> ApiError {
    e.message = format!("{what}: {}", e.message);
    e
}

type ListsResult = Result<(Vec<ManagedPrefixList>, Option<ApiError>), ApiError>;

/// Security groups, then the prefix lists their rules reference.
async fn security_groups_and_lists(
    api: RegionApi<'_>,
) -> (Result<Vec<SecurityGroup>, ApiError>, ListsResult) {
    match api.security_groups(&[]).await {
        Ok(groups) => {
            let ids = referenced_prefix_lists(&groups);
            let lists = api.prefix_lists(&ids).await;
            (Ok(groups), lists)
        }
        Err(e) => {
            let lists = Err(ApiError {
                code: "NotCollected".into(),
                message: "prefix lists are read for the security groups' rules, and \
                          DescribeSecurityGroups failed"
                    .into(),
                status: None,
                attempts: 0,
            });
            (Err(e), lists)
        }
    }
}

/// Prefix list ids referenced by any rule (ingress or egress), sorted.
pub fn referenced_prefix_lists(groups: &[SecurityGroup]) -> Vec<String> {
    groups
        .iter()
        .flat_map(|g| g.ip_permissions.iter().chain(&g.ip_permissions_egress))
        .flat_map(|p| &p.prefix_list_ids)
        .map(|p| p.prefix_list_id.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

type ImagesResult = Result<Vec<Image>, ApiError>;

/// Instances, then the images they run (by id, any owner).
async fn instances_and_images(
    api: RegionApi<'_>,
) -> (Result<Vec<Instance>, ApiError>, ImagesResult) {
    match api.instances(&[]).await {
        Ok(instances) => {
            let ids: Vec<String> = instances
                .iter()
                .filter_map(|i| i.image_id.clone())
                .collect();
            let images = api
                .images_by_id(&ids)
                .await
                .map_err(|e| prefixed("ImageIds", e));
            (Ok(instances), images)
        }
        Err(e) => {
            let images = Err(ApiError {
                code: "NotCollected".into(),
                message: "instance images are read for the instances, and DescribeInstances failed"
                    .into(),
                status: None,
                attempts: 0,
            });
            (Err(e), images)
        }
    }
}

/// The account's snapshots with the sharing of the public candidates:
/// `DescribeSnapshots(owner)` + `DescribeSnapshots(RestorableBy=all)` +
/// `DescribeSnapshotAttribute` per candidate. A candidate deleted between
/// the calls is dropped.
pub async fn snapshots_with_sharing(
    api: RegionApi<'_>,
    account: &str,
) -> Result<Vec<Snapshot>, ApiError> {
    let (all, candidates) = tokio::join!(
        api.snapshots(account, &[]),
        api.public_snapshot_candidates(account)
    );
    let mut all = all?;
    let candidates: BTreeSet<String> = candidates
        .map_err(|e| prefixed("RestorableBy=all", e))?
        .into_iter()
        .collect();
    let mut gone = BTreeSet::new();
    for s in all
        .iter_mut()
        .filter(|s| candidates.contains(&s.snapshot_id))
    {
        match api.snapshot_permissions(&s.snapshot_id).await {
            Ok((groups, users)) => {
                s.create_volume_permission_groups = groups;
                s.create_volume_permission_user_ids = users;
            }
            Err(e) if e.is_not_found() => {
                gone.insert(s.snapshot_id.clone());
            }
            Err(e) => {
                return Err(prefixed(
                    &format!("DescribeSnapshotAttribute({})", s.snapshot_id),
                    e,
                ))
            }
        }
    }
    all.retain(|s| !gone.contains(&s.snapshot_id));
    Ok(all)
}

/// The account-level EC2 settings of a region, each read on its own.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionSettings {
    /// `GetEbsEncryptionByDefault` → `EbsEncryptionByDefault`.
    pub ebs_encryption_by_default: Option<bool>,
    /// `GetSerialConsoleAccessStatus`.
    pub serial_console_access: Option<SerialConsoleAccess>,
    /// `GetSnapshotBlockPublicAccessState` → `State`.
    pub snapshot_block_public_access: Option<String>,
    /// `GetImageBlockPublicAccessState` → `ImageBlockPublicAccessState`.
    pub image_block_public_access: Option<String>,
    /// `GetInstanceMetadataDefaults` → `AccountLevel`.
    pub instance_metadata_defaults: Option<InstanceMetadataDefaults>,
    /// Failed calls by API name.
    pub errors: BTreeMap<String, CollectError>,
}

impl RegionSettings {
    /// Store into a region's inventory: every setting replaced (a failed
    /// one becomes `None` with its error), other errors kept.
    pub fn apply_to(self, inv: &mut RegionInventory) {
        for key in api::SETTINGS {
            inv.errors.remove(*key);
        }
        inv.ebs_encryption_by_default = self.ebs_encryption_by_default;
        inv.serial_console_access = self.serial_console_access;
        inv.snapshot_block_public_access = self.snapshot_block_public_access;
        inv.image_block_public_access = self.image_block_public_access;
        inv.instance_metadata_defaults = self.instance_metadata_defaults;
        inv.errors.extend(self.errors);
    }
}

/// Read the five account-level settings of a region.
pub async fn region_settings(api: RegionApi<'_>) -> RegionSettings {
    let (ebs, serial, snap, image, imds) = tokio::join!(
        api.ebs_encryption_by_default(),
        api.serial_console_access(),
        api.snapshot_block_public_access(),
        api.image_block_public_access(),
        api.instance_metadata_defaults(),
    );
    let mut s = RegionSettings::default();
    let e = &mut s.errors;
    s.ebs_encryption_by_default = keep(e, api::GET_EBS_ENCRYPTION_BY_DEFAULT, ebs);
    s.serial_console_access = keep(e, api::GET_SERIAL_CONSOLE_ACCESS_STATUS, serial);
    s.snapshot_block_public_access = keep(e, api::GET_SNAPSHOT_BLOCK_PUBLIC_ACCESS_STATE, snap);
    s.image_block_public_access = keep(e, api::GET_IMAGE_BLOCK_PUBLIC_ACCESS_STATE, image);
    s.instance_metadata_defaults = keep(e, api::GET_INSTANCE_METADATA_DEFAULTS, imds);
    s
}
