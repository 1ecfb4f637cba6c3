//! From a routed resource to fresh API data patched into the inventory.
//!
//! Three steps, the first and last pure:
//!
//! 1. [`resolve`]: a [`Resource`] as CloudTrail named it → the
//!    [`Lookup`]s that re-read it (one API resource each). Some names need
//!    the inventory: a group by name, an Elastic IP by address or
//!    association, a network interface (→ the instance it is on), a prefix
//!    list (→ the groups that reference it), a flow log (→ its VPC), a
//!    VPC's network ACLs. Launch templates, IAM instance profiles,
//!    profile associations and region opt-ins are not in the inventory:
//!    [`Unresolved::NotModelled`], left to the periodic full scan.
//! 2. [`Describer::describe`]: one [`Lookup`] → [`Described`] (the live
//!    implementation calls the EC2 Query API through
//!    [`crate::collect::redescribe`]; tests use a fake).
//! 3. [`patch`]: [`Described`] → the region's inventory, returning the
//!    resource ids whose findings the re-check keeps.

use std::fmt;

use crate::collect::RegionSettings;
use crate::inventory::{
    Address, FlowLog, Image, Instance, Inventory, ManagedPrefixList, NetworkAcl, RegionInventory,
    SecurityGroup, Snapshot, Subnet, Volume, Vpc,
};

use super::resource::{AddressRef, GroupRef, NetworkInterfaceRef, Resource};

/// One API resource to read again, by id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lookup {
    /// `DescribeSecurityGroups(GroupId)` and the prefix lists it references.
    SecurityGroup(String),
    /// `DescribeInstances(InstanceId)` and the image it runs.
    Instance(String),
    /// `DescribeNetworkAcls(NetworkAclId)`.
    NetworkAcl(String),
    /// `DescribeVolumes(VolumeId)`.
    Volume(String),
    /// `DescribeSnapshots(SnapshotId)` + `DescribeSnapshotAttribute`.
    Snapshot(String),
    /// `DescribeImages(ImageId)` (own images).
    Image(String),
    /// `DescribeAddresses(AllocationId)`.
    Address(String),
    /// `DescribeVpcs(VpcId)` and `DescribeFlowLogs(resource-id)`.
    Vpc(String),
    /// `DescribeSubnets(SubnetId)`.
    Subnet(String),
    /// The region's account-level settings (`Get…` calls).
    RegionSettings,
}

impl fmt::Display for Lookup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lookup::SecurityGroup(id)
            | Lookup::Instance(id)
            | Lookup::NetworkAcl(id)
            | Lookup::Volume(id)
            | Lookup::Snapshot(id)
            | Lookup::Image(id)
            | Lookup::Address(id)
            | Lookup::Vpc(id)
            | Lookup::Subnet(id) => f.write_str(id),
            Lookup::RegionSettings => f.write_str("region settings"),
        }
    }
}

/// What a [`Lookup`] found; `None` = the resource no longer exists.
/// Returned once per lookup and consumed by [`patch`]: the size of the
/// larger variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Described {
    SecurityGroup {
        id: String,
        found: Option<(SecurityGroup, Vec<ManagedPrefixList>)>,
    },
    Instance {
        id: String,
        found: Option<Instance>,
        /// The image the instance runs (any owner), when it still exists.
        images: Vec<Image>,
    },
    NetworkAcl {
        id: String,
        found: Option<NetworkAcl>,
    },
    Volume {
        id: String,
        found: Option<Volume>,
    },
    Snapshot {
        id: String,
        found: Option<Snapshot>,
    },
    Image {
        id: String,
        found: Option<Image>,
    },
    Address {
        id: String,
        found: Option<Address>,
    },
    Vpc {
        id: String,
        found: Option<Vpc>,
        flow_logs: Vec<FlowLog>,
    },
    Subnet {
        id: String,
        found: Option<Subnet>,
    },
    RegionSettings(RegionSettings),
}

/// Reads resources again, and the whole estate for the periodic scan.
/// Errors are one-line messages (the API error code and text); the caller
/// counts and reports them and goes on.
pub trait Describer {
    /// Re-read one resource of `account_id` in `region`.
    ///
    /// # Errors
    /// No credentials for the account; a failed call other than "not
    /// found" (which is `Ok` with `found: None`).
    fn describe(
        &mut self,
        account_id: &str,
        region: &str,
        lookup: &Lookup,
    ) -> Result<Described, String>;

    /// A full collection (as `saker posture collect`).
    ///
    /// # Errors
    /// The collection could not start (no credentials).
    fn scan(&mut self) -> Result<Inventory, String>;
}

/// Why a resource has no [`Lookup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unresolved {
    /// The inventory does not hold this kind of resource (launch
    /// templates, IAM instance profiles and associations, region opt-in).
    NotModelled,
    /// The name could not be matched to an id in the inventory (a group
    /// name, an address, an interface the inventory does not know yet).
    NotInInventory,
}

impl Unresolved {
    /// `not_modelled` or `not_in_inventory`, for counting.
    pub fn name(&self) -> &'static str {
        match self {
            Unresolved::NotModelled => "not_modelled",
            Unresolved::NotInInventory => "not_in_inventory",
        }
    }
}

/// The lookups that re-read `resource`, using the region's inventory to
/// turn names into ids.
///
/// # Errors
/// [`Unresolved`] when there is nothing to look up.
pub fn resolve(
    resource: &Resource,
    region: Option<&RegionInventory>,
) -> Result<Vec<Lookup>, Unresolved> {
    let nothing = Err(Unresolved::NotInInventory);
    let found = |v: Vec<Lookup>| if v.is_empty() { nothing.clone() } else { Ok(v) };
    let groups = region
        .and_then(|r| r.security_groups.as_deref())
        .unwrap_or(&[]);
    let instances = region.and_then(|r| r.instances.as_deref()).unwrap_or(&[]);
    match resource {
        Resource::SecurityGroup(GroupRef::Id(id)) => Ok(vec![Lookup::SecurityGroup(id.clone())]),
        Resource::SecurityGroup(GroupRef::Name { name, vpc_id }) => {
            let default_vpc = region
                .and_then(|r| r.vpcs.as_deref())
                .and_then(|v| v.iter().find(|v| v.is_default))
                .map(|v| v.vpc_id.as_str());
            let want_vpc = vpc_id.as_deref().or(default_vpc);
            found(
                groups
                    .iter()
                    .filter(|g| &g.group_name == name)
                    .filter(|g| want_vpc.is_none() || g.vpc_id.as_deref() == want_vpc)
                    .map(|g| Lookup::SecurityGroup(g.group_id.clone()))
                    .collect(),
            )
        }
        Resource::Instance(id) => Ok(vec![Lookup::Instance(id.clone())]),
        Resource::NetworkInterface(NetworkInterfaceRef::Id(eni)) => found(
            instances
                .iter()
                .filter(|i| {
                    i.network_interfaces
                        .iter()
                        .any(|n| &n.network_interface_id == eni)
                })
                .map(|i| Lookup::Instance(i.instance_id.clone()))
                .collect(),
        ),
        Resource::NetworkInterface(NetworkInterfaceRef::AttachmentId(_)) => nothing,
        Resource::NetworkAcl(id) => Ok(vec![Lookup::NetworkAcl(id.clone())]),
        Resource::VpcNetworkAcls(vpc) => found(
            region
                .and_then(|r| r.network_acls.as_deref())
                .unwrap_or(&[])
                .iter()
                .filter(|a| &a.vpc_id == vpc)
                .map(|a| Lookup::NetworkAcl(a.network_acl_id.clone()))
                .collect(),
        ),
        Resource::Volume(id) => Ok(vec![Lookup::Volume(id.clone())]),
        Resource::Snapshot(id) => Ok(vec![Lookup::Snapshot(id.clone())]),
        Resource::Image(id) => Ok(vec![Lookup::Image(id.clone())]),
        Resource::Address(AddressRef::AllocationId(id)) => Ok(vec![Lookup::Address(id.clone())]),
        Resource::Address(by) => {
            let addresses = region.and_then(|r| r.addresses.as_deref()).unwrap_or(&[]);
            found(
                addresses
                    .iter()
                    .filter(|a| match by {
                        AddressRef::PublicIp(ip) => &a.public_ip == ip,
                        AddressRef::AssociationId(id) => a.association_id.as_ref() == Some(id),
                        AddressRef::AllocationId(id) => a.allocation_id.as_ref() == Some(id),
                    })
                    .filter_map(|a| a.allocation_id.clone())
                    .map(Lookup::Address)
                    .collect(),
            )
        }
        Resource::Vpc(id) => Ok(vec![Lookup::Vpc(id.clone())]),
        Resource::FlowLog(id) => found(
            region
                .and_then(|r| r.flow_logs.as_deref())
                .unwrap_or(&[])
                .iter()
                .filter(|f| &f.flow_log_id == id && f.resource_id.starts_with("vpc-"))
                .map(|f| Lookup::Vpc(f.resource_id.clone()))
                .collect(),
        ),
        Resource::Subnet(id) => Ok(vec![Lookup::Subnet(id.clone())]),
        Resource::PrefixList(pl) => found(
            groups
                .iter()
                .filter(|g| {
                    g.ip_permissions
                        .iter()
                        .any(|p| p.prefix_list_ids.iter().any(|l| &l.prefix_list_id == pl))
                })
                .map(|g| Lookup::SecurityGroup(g.group_id.clone()))
                .collect(),
        ),
        Resource::RegionSettings(_) => Ok(vec![Lookup::RegionSettings]),
        Resource::LaunchTemplate(_)
        | Resource::InstanceProfile(_)
        | Resource::IamInstanceProfileAssociation(_)
        | Resource::Region { .. } => Err(Unresolved::NotModelled),
    }
}

/// Replace (or add, or remove when `found` is `None`) the item with id
/// `id` in a collected list; a list that was not collected becomes a list
/// of what was found.
fn upsert<T>(list: &mut Option<Vec<T>>, id_of: impl Fn(&T) -> &str, id: &str, found: Option<T>) {
    let items = list.get_or_insert_with(Vec::new);
    items.retain(|x| id_of(x) != id);
    items.extend(found);
}

/// Apply `described` to `region`; returns the resource ids whose findings
/// the re-check keeps (the finding `resource_id`s the data decides).
pub fn patch(region: &mut RegionInventory, described: Described) -> Vec<String> {
    match described {
        Described::SecurityGroup { id, found } => {
            let (group, lists) = match found {
                Some((g, l)) => (Some(g), l),
                None => (None, Vec::new()),
            };
            upsert(&mut region.security_groups, |g| &g.group_id, &id, group);
            if !lists.is_empty() {
                let known = region.managed_prefix_lists.get_or_insert_with(Vec::new);
                for l in lists {
                    known.retain(|k| k.prefix_list_id != l.prefix_list_id);
                    known.push(l);
                }
            }
            vec![id]
        }
        Described::Instance { id, found, images } => {
            upsert(&mut region.instances, |i| &i.instance_id, &id, found);
            for img in images {
                let img_id = img.image_id.clone();
                upsert(
                    &mut region.instance_images,
                    |i| &i.image_id,
                    &img_id,
                    Some(img),
                );
            }
            vec![id]
        }
        Described::NetworkAcl { id, found } => {
            upsert(&mut region.network_acls, |a| &a.network_acl_id, &id, found);
            vec![id]
        }
        Described::Volume { id, found } => {
            upsert(&mut region.volumes, |v| &v.volume_id, &id, found);
            vec![id]
        }
        Described::Snapshot { id, found } => {
            upsert(&mut region.snapshots, |s| &s.snapshot_id, &id, found);
            vec![id]
        }
        Described::Image { id, found } => {
            upsert(&mut region.images, |i| &i.image_id, &id, found);
            vec![id]
        }
        Described::Address { id, found } => {
            let items = region.addresses.get_or_insert_with(Vec::new);
            items.retain(|a| a.allocation_id.as_deref() != Some(id.as_str()));
            items.extend(found);
            vec![id]
        }
        Described::Vpc {
            id,
            found,
            flow_logs,
        } => {
            let gone = found.is_none();
            upsert(&mut region.vpcs, |v| &v.vpc_id, &id, found);
            let logs = region.flow_logs.get_or_insert_with(Vec::new);
            logs.retain(|f| f.resource_id != id);
            if !gone {
                logs.extend(flow_logs);
            }
            vec![id]
        }
        Described::Subnet { id, found } => {
            upsert(&mut region.subnets, |s| &s.subnet_id, &id, found);
            vec![id]
        }
        Described::RegionSettings(settings) => {
            settings.apply_to(region);
            vec![region.region.clone()]
        }
    }
}
