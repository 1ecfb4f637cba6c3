//! Re-describe ONE resource (continuous mode): after a CloudTrail event
//! names a resource, read its current state with the same calls and parsers
//! as the full scan. `Ok(None)` = the resource no longer exists.

use crate::collect::describe::RegionApi;
use crate::collect::region::{self, RegionSettings};
use crate::ec2api::{ApiError, Client};
use crate::inventory::{
    Address, FlowLog, Image, Instance, ManagedPrefixList, NetworkAcl, SecurityGroup, Snapshot,
    Subnet, Volume, Vpc,
};

fn first_or_none<T>(r: Result<Vec<T>, ApiError>) -> Result<Option<T>, ApiError> {
    match r {
        Ok(v) => Ok(v.into_iter().next()),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

fn ids(id: &str) -> [String; 1] {
    [id.to_string()]
}

/// A security group by id (`DescribeSecurityGroups(GroupId)`), with the
/// prefix lists its rules reference (`DescribeManagedPrefixLists` +
/// `GetManagedPrefixListEntries`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn security_group(
    client: &Client,
    region: &str,
    group_id: &str,
) -> Result<Option<(SecurityGroup, Vec<ManagedPrefixList>)>, ApiError> {
    let api = RegionApi::new(client, region);
    let Some(sg) = first_or_none(api.security_groups(&ids(group_id)).await)? else {
        return Ok(None);
    };
    let (lists, _) = api
        .prefix_lists(&region::referenced_prefix_lists(std::slice::from_ref(&sg)))
        .await?;
    Ok(Some((sg, lists)))
}

/// An instance by id (`DescribeInstances(InstanceId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn instance(
    client: &Client,
    region: &str,
    instance_id: &str,
) -> Result<Option<Instance>, ApiError> {
    first_or_none(
        RegionApi::new(client, region)
            .instances(&ids(instance_id))
            .await,
    )
}

/// Images by id, any owner (`DescribeImages(ImageIds)`, bisecting away ids
/// that are gone): for an instance's `ImageId`.
///
/// # Errors
/// A failed call other than a bad image id.
pub async fn images_by_id(
    client: &Client,
    region: &str,
    image_ids: &[String],
) -> Result<Vec<Image>, ApiError> {
    RegionApi::new(client, region).images_by_id(image_ids).await
}

/// A network ACL by id (`DescribeNetworkAcls(NetworkAclId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn network_acl(
    client: &Client,
    region: &str,
    network_acl_id: &str,
) -> Result<Option<NetworkAcl>, ApiError> {
    first_or_none(
        RegionApi::new(client, region)
            .network_acls(&ids(network_acl_id))
            .await,
    )
}

/// A volume by id (`DescribeVolumes(VolumeId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn volume(
    client: &Client,
    region: &str,
    volume_id: &str,
) -> Result<Option<Volume>, ApiError> {
    first_or_none(
        RegionApi::new(client, region)
            .volumes(&ids(volume_id))
            .await,
    )
}

/// A snapshot by id (`DescribeSnapshots(SnapshotId)`) with its sharing
/// (`DescribeSnapshotAttribute(createVolumePermission)`, always read for
/// a single snapshot).
///
/// # Errors
/// A failed call other than "not found".
pub async fn snapshot(
    client: &Client,
    region: &str,
    snapshot_id: &str,
) -> Result<Option<Snapshot>, ApiError> {
    let api = RegionApi::new(client, region);
    let account = client.account().unwrap_or("self");
    let Some(mut s) = first_or_none(api.snapshots(account, &ids(snapshot_id)).await)? else {
        return Ok(None);
    };
    match api.snapshot_permissions(snapshot_id).await {
        Ok((groups, users)) => {
            s.create_volume_permission_groups = groups;
            s.create_volume_permission_user_ids = users;
            Ok(Some(s))
        }
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}

/// One of the account's images by id (`DescribeImages(ImageId)`).
///
/// # Errors
/// A failed call other than "not found" / malformed id.
pub async fn image(
    client: &Client,
    region: &str,
    image_id: &str,
) -> Result<Option<Image>, ApiError> {
    match RegionApi::new(client, region)
        .own_images(&ids(image_id))
        .await
    {
        Ok(v) => Ok(v.into_iter().next()),
        Err(e) if e.is_not_found() || e.code.starts_with("InvalidAMIID.") => Ok(None),
        Err(e) => Err(e),
    }
}

/// An Elastic IP by allocation id (`DescribeAddresses(AllocationId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn address(
    client: &Client,
    region: &str,
    allocation_id: &str,
) -> Result<Option<Address>, ApiError> {
    first_or_none(
        RegionApi::new(client, region)
            .addresses(&ids(allocation_id))
            .await,
    )
}

/// A VPC by id (`DescribeVpcs(VpcId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn vpc(client: &Client, region: &str, vpc_id: &str) -> Result<Option<Vpc>, ApiError> {
    first_or_none(RegionApi::new(client, region).vpcs(&ids(vpc_id)).await)
}

/// A subnet by id (`DescribeSubnets(SubnetId)`).
///
/// # Errors
/// A failed call other than "not found".
pub async fn subnet(
    client: &Client,
    region: &str,
    subnet_id: &str,
) -> Result<Option<Subnet>, ApiError> {
    first_or_none(
        RegionApi::new(client, region)
            .subnets(&ids(subnet_id))
            .await,
    )
}

/// The flow logs of one VPC (`DescribeFlowLogs(Filter resource-id)`).
///
/// # Errors
/// A failed call.
pub async fn vpc_flow_logs(
    client: &Client,
    region: &str,
    vpc_id: &str,
) -> Result<Vec<FlowLog>, ApiError> {
    RegionApi::new(client, region).flow_logs(Some(vpc_id)).await
}

/// The account-level settings of a region (EBS default encryption, serial
/// console, snapshot and image block public access, IMDS defaults); apply
/// with [`RegionSettings::apply_to`].
pub async fn region_settings(client: &Client, region: &str) -> RegionSettings {
    region::region_settings(RegionApi::new(client, region)).await
}
