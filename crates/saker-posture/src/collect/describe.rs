//! One function per API: the paginated list call of a region (optionally
//! narrowed to ids), parsed into model types. The full scan and the
//! single-resource re-describe of continuous mode both call these, so a
//! resource is read the same way on both paths.

use std::collections::{BTreeMap, BTreeSet};

use crate::collect::parse::{self, ParseResult};
use crate::ec2api::{ApiError, Client, Node, Params, Service};
use crate::inventory::{
    Address, FlowLog, Image, Instance, InstanceMetadataDefaults, InstanceProfile,
    ManagedPrefixList, NetworkAcl, RegionStatus, RouteTable, SecurityGroup, SerialConsoleAccess,
    Snapshot, Subnet, Volume, Vpc,
};

/// Most image ids per `DescribeImages(ImageIds)` call.
pub const IMAGE_BATCH: usize = 200;

/// The EC2 API of one region of one account.
#[derive(Debug, Clone, Copy)]
pub struct RegionApi<'a> {
    pub client: &'a Client,
    pub region: &'a str,
    /// Page size override (`MaxResults`), clamped to each API's range;
    /// `None` = the API's maximum (fewest calls).
    pub page_size: Option<u32>,
}

impl<'a> RegionApi<'a> {
    /// The API of `region` through `client`, largest pages.
    pub fn new(client: &'a Client, region: &'a str) -> RegionApi<'a> {
        RegionApi {
            client,
            region,
            page_size: None,
        }
    }

    fn max_results(&self, api_max: u32) -> String {
        self.page_size
            .map_or(api_max, |p| p.clamp(5, api_max))
            .to_string()
    }

    async fn list<T>(
        &self,
        action: &str,
        params: Params,
        extract: impl FnMut(&Node) -> ParseResult<Vec<T>>,
    ) -> Result<Vec<T>, ApiError> {
        self.client
            .pages(Service::Ec2, self.region, action, &params, extract)
            .await
    }

    async fn one(&self, action: &str, params: Params) -> Result<Node, ApiError> {
        self.client
            .call(Service::Ec2, self.region, action, &params)
            .await
    }

    /// `DescribeSecurityGroups` (all, or `GroupId.N`; paginated when all,
    /// `MaxResults` ≤ 1000).
    pub async fn security_groups(&self, ids: &[String]) -> Result<Vec<SecurityGroup>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("GroupId", ids)
        };
        self.list("DescribeSecurityGroups", params, |r| {
            parse::all(r, "securityGroupInfo", parse::security_group)
        })
        .await
    }

    /// `DescribeManagedPrefixLists(PrefixListId.N)` then
    /// `GetManagedPrefixListEntries` for each of `ids` (there is no batch
    /// entries call). Lists that do not exist (deleted, no longer shared)
    /// are left out. A failed `DescribeManagedPrefixLists` leaves names and
    /// owners unknown but still reads the entries; its error is returned
    /// beside the lists.
    pub async fn prefix_lists(
        &self,
        ids: &[String],
    ) -> Result<(Vec<ManagedPrefixList>, Option<ApiError>), ApiError> {
        if ids.is_empty() {
            return Ok((Vec::new(), None));
        }
        let described = self
            .list(
                "DescribeManagedPrefixLists",
                Params::new()
                    .list("PrefixListId", ids)
                    .set("MaxResults", self.max_results(100)),
                |r| parse::all(r, "prefixListSet", parse::managed_prefix_list),
            )
            .await;
        let (mut known, describe_error): (BTreeMap<String, ManagedPrefixList>, _) = match described
        {
            Ok(lists) => (
                lists
                    .into_iter()
                    .map(|l| (l.prefix_list_id.clone(), l))
                    .collect(),
                None,
            ),
            Err(e) if e.is_not_found() => (BTreeMap::new(), None),
            Err(e) => (BTreeMap::new(), Some(e)),
        };
        let mut out = Vec::new();
        for id in ids {
            let entries = self
                .list(
                    "GetManagedPrefixListEntries",
                    Params::new()
                        .set("PrefixListId", id.as_str())
                        .set("MaxResults", self.max_results(100)),
                    parse::prefix_list_entries,
                )
                .await;
            let entries = match entries {
                Ok(e) => e,
                Err(e) if e.is_not_found() => continue,
                Err(e) => return Err(e),
            };
            let mut list = known.remove(id).unwrap_or(ManagedPrefixList {
                prefix_list_id: id.clone(),
                prefix_list_name: None,
                owner_id: None,
                entries: Vec::new(),
            });
            list.entries = entries;
            out.push(list);
        }
        Ok((out, describe_error))
    }

    /// `DescribeNetworkAcls` (all paginated, `MaxResults` ≤ 100, or
    /// `NetworkAclId.N`).
    pub async fn network_acls(&self, ids: &[String]) -> Result<Vec<NetworkAcl>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(100))
        } else {
            Params::new().list("NetworkAclId", ids)
        };
        self.list("DescribeNetworkAcls", params, |r| {
            parse::all(r, "networkAclSet", parse::network_acl)
        })
        .await
    }

    /// `DescribeInstances` (all paginated, `MaxResults` ≤ 1000, or
    /// `InstanceId.N`), reservations flattened. Terminated instances are
    /// included as the API returns them.
    pub async fn instances(&self, ids: &[String]) -> Result<Vec<Instance>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("InstanceId", ids)
        };
        self.list("DescribeInstances", params, parse::instances_page)
            .await
    }

    /// `DescribeVolumes` (all paginated, `MaxResults` ≤ 500, or
    /// `VolumeId.N`).
    pub async fn volumes(&self, ids: &[String]) -> Result<Vec<Volume>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(500))
        } else {
            Params::new().list("VolumeId", ids)
        };
        self.list("DescribeVolumes", params, |r| {
            parse::all(r, "volumeSet", parse::volume)
        })
        .await
    }

    /// The account's snapshots: `DescribeSnapshots(Owner=self, Filter
    /// owner-id=account)` (paginated, `MaxResults` ≤ 1000), or
    /// `SnapshotId.N`. Sharing is not read here; see
    /// [`public_snapshot_candidates`](Self::public_snapshot_candidates).
    ///
    /// The `owner-id` filter matters on emulators: moto ignores `Owner`
    /// and `RestorableBy` (reference §5.2) and would return every seeded
    /// public snapshot.
    pub async fn snapshots(
        &self,
        account: &str,
        ids: &[String],
    ) -> Result<Vec<Snapshot>, ApiError> {
        let params = if ids.is_empty() {
            Params::new()
                .list("Owner", &["self"])
                .filter("owner-id", &[account])
                .set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("SnapshotId", ids)
        };
        self.list("DescribeSnapshots", params, |r| {
            parse::all(r, "snapshotSet", parse::snapshot)
        })
        .await
    }

    /// Ids of the account's snapshots that anyone may restore:
    /// `DescribeSnapshots(Owner=self, RestorableBy=all, Filter
    /// owner-id=account)` ("`all` for public snapshots", EC2 API
    /// reference). Candidates only: each is confirmed with
    /// [`snapshot_permissions`](Self::snapshot_permissions).
    pub async fn public_snapshot_candidates(&self, account: &str) -> Result<Vec<String>, ApiError> {
        let params = Params::new()
            .list("Owner", &["self"])
            .list("RestorableBy", &["all"])
            .filter("owner-id", &[account])
            .set("MaxResults", self.max_results(1000));
        self.list("DescribeSnapshots", params, |r| {
            Ok(r.items("snapshotSet")
                .filter_map(|s| s.string("snapshotId"))
                .collect())
        })
        .await
    }

    /// `DescribeSnapshotAttribute(createVolumePermission)` → (groups, user
    /// ids): `["all"]` in groups means public.
    pub async fn snapshot_permissions(
        &self,
        snapshot_id: &str,
    ) -> Result<(Vec<String>, Vec<String>), ApiError> {
        let root = self
            .one(
                "DescribeSnapshotAttribute",
                Params::new()
                    .set("SnapshotId", snapshot_id)
                    .set("Attribute", "createVolumePermission"),
            )
            .await?;
        Ok(parse::create_volume_permissions(&root))
    }

    /// The account's own images: `DescribeImages(Owner=self)` (paginated,
    /// `MaxResults` ≤ 1000), or `ImageId.N`.
    pub async fn own_images(&self, ids: &[String]) -> Result<Vec<Image>, ApiError> {
        let params = if ids.is_empty() {
            Params::new()
                .list("Owner", &["self"])
                .set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("ImageId", ids)
        };
        self.list("DescribeImages", params, |r| {
            parse::all(r, "imagesSet", parse::image)
        })
        .await
    }

    /// The images with these ids, any owner, deprecated and disabled ones
    /// included: `DescribeImages(ImageId.N)` in batches of ≤ 200
    /// ([`IMAGE_BATCH`]). AWS fails a whole batch with
    /// `InvalidAMIID.NotFound` / `InvalidAMIID.Malformed` /
    /// `InvalidAMIID.Unavailable` when one id is gone or malformed; such a
    /// batch is split in halves until the bad ids are alone, and those are
    /// left out (an id of `ids` missing from the result was not found).
    /// Calls: one per batch plus about 2·log₂(batch) per bad id.
    pub async fn images_by_id(&self, ids: &[String]) -> Result<Vec<Image>, ApiError> {
        let unique: Vec<String> = ids
            .iter()
            .cloned()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut out = Vec::new();
        let mut work: Vec<Vec<String>> = unique.chunks(IMAGE_BATCH).map(<[_]>::to_vec).collect();
        work.reverse();
        while let Some(batch) = work.pop() {
            let params = Params::new()
                .list("ImageId", &batch)
                .set("IncludeDeprecated", "true")
                .set("IncludeDisabled", "true");
            let r = self
                .list("DescribeImages", params, |r| {
                    parse::all(r, "imagesSet", parse::image)
                })
                .await;
            match r {
                Ok(images) => out.extend(images),
                Err(e) if is_bad_image_id(&e) => {
                    if batch.len() > 1 {
                        let (a, b) = batch.split_at(batch.len() / 2);
                        work.push(b.to_vec());
                        work.push(a.to_vec());
                    }
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// `DescribeAddresses` (not paginated), or `AllocationId.N`.
    pub async fn addresses(&self, allocation_ids: &[String]) -> Result<Vec<Address>, ApiError> {
        let params = Params::new().list("AllocationId", allocation_ids);
        let root = self.one("DescribeAddresses", params).await?;
        parse::all(&root, "addressesSet", parse::address)
            .map_err(|e| ApiError::parse(format!("DescribeAddresses response: {e}")))
    }

    /// `DescribeVpcs` (all paginated, `MaxResults` ≤ 1000, or `VpcId.N`).
    pub async fn vpcs(&self, ids: &[String]) -> Result<Vec<Vpc>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("VpcId", ids)
        };
        self.list("DescribeVpcs", params, |r| {
            parse::all(r, "vpcSet", parse::vpc)
        })
        .await
    }

    /// `DescribeSubnets` (all paginated, `MaxResults` ≤ 1000, or
    /// `SubnetId.N`).
    pub async fn subnets(&self, ids: &[String]) -> Result<Vec<Subnet>, ApiError> {
        let params = if ids.is_empty() {
            Params::new().set("MaxResults", self.max_results(1000))
        } else {
            Params::new().list("SubnetId", ids)
        };
        self.list("DescribeSubnets", params, |r| {
            parse::all(r, "subnetSet", parse::subnet)
        })
        .await
    }

    /// `DescribeRouteTables` (all paginated, `MaxResults` ≤ 100), or the
    /// route tables of one VPC (`Filter vpc-id`).
    pub async fn route_tables(&self, vpc_id: Option<&str>) -> Result<Vec<RouteTable>, ApiError> {
        let mut params = Params::new().set("MaxResults", self.max_results(100));
        if let Some(v) = vpc_id {
            params = params.filter("vpc-id", &[v]);
        }
        self.list("DescribeRouteTables", params, |r| {
            parse::all(r, "routeTableSet", parse::route_table)
        })
        .await
    }

    /// `DescribeFlowLogs` (all paginated, `MaxResults` ≤ 1000), or the flow
    /// logs of one resource (`Filter resource-id`, e.g. a VPC).
    pub async fn flow_logs(&self, resource_id: Option<&str>) -> Result<Vec<FlowLog>, ApiError> {
        let mut params = Params::new().set("MaxResults", self.max_results(1000));
        if let Some(r) = resource_id {
            params = params.filter("resource-id", &[r]);
        }
        self.list("DescribeFlowLogs", params, |r| {
            parse::all(r, "flowLogSet", parse::flow_log)
        })
        .await
    }

    async fn setting<T>(
        &self,
        action: &str,
        f: fn(&Node) -> ParseResult<T>,
    ) -> Result<T, ApiError> {
        let root = self.one(action, Params::new()).await?;
        f(&root).map_err(|e| ApiError::parse(format!("{action} response: {e}")))
    }

    /// `GetEbsEncryptionByDefault` → `EbsEncryptionByDefault`.
    pub async fn ebs_encryption_by_default(&self) -> Result<bool, ApiError> {
        self.setting(
            "GetEbsEncryptionByDefault",
            parse::ebs_encryption_by_default,
        )
        .await
    }

    /// `GetSerialConsoleAccessStatus`.
    pub async fn serial_console_access(&self) -> Result<SerialConsoleAccess, ApiError> {
        self.setting("GetSerialConsoleAccessStatus", parse::serial_console_access)
            .await
    }

    /// `GetSnapshotBlockPublicAccessState` → `State`.
    pub async fn snapshot_block_public_access(&self) -> Result<String, ApiError> {
        self.setting(
            "GetSnapshotBlockPublicAccessState",
            parse::snapshot_block_public_access,
        )
        .await
    }

    /// `GetImageBlockPublicAccessState` → `ImageBlockPublicAccessState`.
    pub async fn image_block_public_access(&self) -> Result<String, ApiError> {
        self.setting(
            "GetImageBlockPublicAccessState",
            parse::image_block_public_access,
        )
        .await
    }

    /// `GetInstanceMetadataDefaults` → `AccountLevel`.
    pub async fn instance_metadata_defaults(&self) -> Result<InstanceMetadataDefaults, ApiError> {
        self.setting(
            "GetInstanceMetadataDefaults",
            parse::instance_metadata_defaults,
        )
        .await
    }

    /// `DescribeRegions(AllRegions=true)`: every region with its
    /// `OptInStatus`.
    pub async fn all_regions(&self) -> Result<Vec<RegionStatus>, ApiError> {
        let root = self
            .one("DescribeRegions", Params::new().set("AllRegions", "true"))
            .await?;
        parse::all(&root, "regionInfo", parse::region_status)
            .map_err(|e| ApiError::parse(format!("DescribeRegions response: {e}")))
    }
}

fn is_bad_image_id(e: &ApiError) -> bool {
    e.code.starts_with("InvalidAMIID.")
}

/// `iam:ListInstanceProfiles` (global; paginated by `Marker`, `MaxItems`
/// 1000), called through `region` for the partition's endpoint.
pub async fn instance_profiles(
    client: &Client,
    region: &str,
    page_size: Option<u32>,
) -> Result<Vec<InstanceProfile>, ApiError> {
    let max = page_size.map_or(1000, |p| p.clamp(1, 1000));
    client
        .pages(
            Service::Iam,
            region,
            "ListInstanceProfiles",
            &Params::new().set("MaxItems", max.to_string()),
            |r| {
                let result = r
                    .child("ListInstanceProfilesResult")
                    .ok_or("no <ListInstanceProfilesResult>")?;
                parse::all(result, "InstanceProfiles", parse::instance_profile)
            },
        )
        .await
}

/// `sts:GetCallerIdentity` → (account id, caller ARN).
pub async fn caller_identity(client: &Client, region: &str) -> Result<(String, String), ApiError> {
    let root = client
        .call(Service::Sts, region, "GetCallerIdentity", &Params::new())
        .await?;
    parse::caller_identity(&root)
        .map_err(|e| ApiError::parse(format!("GetCallerIdentity response: {e}")))
}
