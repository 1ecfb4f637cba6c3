//! The resources the checks read, as the EC2 API returns them.
//!
//! Field names are the API's own (PascalCase in the JSON inventory, as in
//! the EC2 API reference and `aws ec2 describe-*` output); only the fields
//! the checks of `../shared/reference/posture.md` §4 read are kept. Absent
//! optional API fields are `None` / empty, never a default that could make a
//! check pass.

use serde::{Deserialize, Serialize};

/// A resource tag (`Tags[].{Key, Value}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    pub key: String,
    #[serde(default)]
    pub value: String,
}

/// `DescribeSecurityGroups` → `SecurityGroups[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub ip_permissions: Vec<IpPermission>,
    #[serde(default)]
    pub ip_permissions_egress: Vec<IpPermission>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// One rule of a security group (`IpPermissions[]`).
///
/// `ip_protocol` is `tcp`, `udp`, `icmp`, `icmpv6`, `-1` (all protocols and
/// all ports; no ports given) or another protocol number (no ports = all).
/// For ICMP, `from_port`/`to_port` are the ICMP type and code, not ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpPermission {
    pub ip_protocol: String,
    #[serde(default)]
    pub from_port: Option<i32>,
    #[serde(default)]
    pub to_port: Option<i32>,
    #[serde(default)]
    pub ip_ranges: Vec<IpRange>,
    #[serde(default)]
    pub ipv6_ranges: Vec<Ipv6Range>,
    #[serde(default)]
    pub prefix_list_ids: Vec<PrefixListId>,
    #[serde(default)]
    pub user_id_group_pairs: Vec<UserIdGroupPair>,
}

/// `IpRanges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IpRange {
    pub cidr_ip: String,
}

/// `Ipv6Ranges[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ipv6Range {
    pub cidr_ipv6: String,
}

/// `PrefixListIds[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PrefixListId {
    pub prefix_list_id: String,
}

/// `UserIdGroupPairs[]`: a referenced security group (not internet exposure).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserIdGroupPair {
    #[serde(default)]
    pub group_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub vpc_peering_connection_id: Option<String>,
}

/// A managed prefix list (`DescribeManagedPrefixLists`) with its entries
/// (`GetManagedPrefixListEntries` → `Entries[].Cidr`), collected for the
/// lists that security group rules reference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ManagedPrefixList {
    pub prefix_list_id: String,
    #[serde(default)]
    pub prefix_list_name: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    /// `Entries[].Cidr`.
    #[serde(default)]
    pub entries: Vec<String>,
}

/// `DescribeNetworkAcls` → `NetworkAcls[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAcl {
    pub network_acl_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub associations: Vec<NetworkAclAssociation>,
    #[serde(default)]
    pub entries: Vec<NetworkAclEntry>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `NetworkAcls[].Associations[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclAssociation {
    pub subnet_id: String,
}

/// `NetworkAcls[].Entries[]`. Rules are evaluated per direction and
/// address family in ascending `rule_number`; the first match decides.
/// `protocol` is a protocol number as text: `-1` all, `6` tcp, `17` udp,
/// `1` icmp, `58` icmpv6.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkAclEntry {
    pub rule_number: i32,
    pub protocol: String,
    /// `allow` or `deny`.
    pub rule_action: String,
    pub egress: bool,
    #[serde(default)]
    pub cidr_block: Option<String>,
    #[serde(default)]
    pub ipv6_cidr_block: Option<String>,
    #[serde(default)]
    pub port_range: Option<PortRange>,
}

/// `PortRange{From, To}`, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PortRange {
    pub from: i32,
    pub to: i32,
}

/// `DescribeInstances` → `Reservations[].Instances[]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Instance {
    pub instance_id: String,
    #[serde(default)]
    pub image_id: Option<String>,
    #[serde(default)]
    pub instance_type: Option<String>,
    /// `State.Name`: `pending`, `running`, `shutting-down`, `terminated`,
    /// `stopping`, `stopped`.
    pub state: String,
    /// RFC 3339.
    #[serde(default)]
    pub launch_time: Option<String>,
    /// E.g. `User initiated (2016-09-14 15:07:39 GMT)` for a stopped instance.
    #[serde(default)]
    pub state_transition_reason: Option<String>,
    #[serde(default)]
    pub vpc_id: Option<String>,
    #[serde(default)]
    pub subnet_id: Option<String>,
    #[serde(default)]
    pub public_ip_address: Option<String>,
    #[serde(default)]
    pub ipv6_address: Option<String>,
    #[serde(default)]
    pub network_interfaces: Vec<InstanceNetworkInterface>,
    /// `SecurityGroups[].GroupId`.
    #[serde(default)]
    pub security_groups: Vec<String>,
    #[serde(default)]
    pub metadata_options: Option<MetadataOptions>,
    #[serde(default)]
    pub iam_instance_profile: Option<IamInstanceProfile>,
    /// `BlockDeviceMappings[].Ebs.VolumeId`.
    #[serde(default)]
    pub volume_ids: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `Instances[].NetworkInterfaces[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceNetworkInterface {
    pub network_interface_id: String,
    #[serde(default)]
    pub subnet_id: Option<String>,
    /// `Association.PublicIp`.
    #[serde(default)]
    pub public_ip: Option<String>,
    /// `Ipv6Addresses[].Ipv6Address`.
    #[serde(default)]
    pub ipv6_addresses: Vec<String>,
    /// `Groups[].GroupId`.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// `Instances[].MetadataOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    /// `pending` or `applied`.
    #[serde(default)]
    pub state: Option<String>,
    /// `optional` or `required`.
    #[serde(default)]
    pub http_tokens: Option<String>,
    /// `enabled` or `disabled`.
    #[serde(default)]
    pub http_endpoint: Option<String>,
    #[serde(default)]
    pub http_put_response_hop_limit: Option<i32>,
}

/// `Instances[].IamInstanceProfile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfile {
    pub arn: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// `DescribeVolumes` → `Volumes[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Volume {
    pub volume_id: String,
    pub encrypted: bool,
    #[serde(default)]
    pub kms_key_id: Option<String>,
    /// `creating`, `available`, `in-use`, `deleting`, `deleted`, `error`.
    pub state: String,
    /// `Attachments[].InstanceId`.
    #[serde(default)]
    pub attached_instance_ids: Vec<String>,
    #[serde(default)]
    pub snapshot_id: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeSnapshots(owner-id = self)` → `Snapshots[]`, with the sharing
/// read from `DescribeSnapshotAttribute(createVolumePermission)` for the
/// snapshots `DescribeSnapshots(RestorableByUserIds = all)` names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Snapshot {
    pub snapshot_id: String,
    #[serde(default)]
    pub volume_id: Option<String>,
    pub encrypted: bool,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    pub owner_id: String,
    /// `CreateVolumePermissions[].Group`: `["all"]` for a public snapshot.
    #[serde(default)]
    pub create_volume_permission_groups: Vec<String>,
    /// `CreateVolumePermissions[].UserId`: accounts it is shared with.
    #[serde(default)]
    pub create_volume_permission_user_ids: Vec<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeImages` → `Images[]`: the account's own images
/// (`Owners = self`) and the images its instances run (`ImageIds`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Image {
    pub image_id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    /// `amazon`, `aws-marketplace`, … for images not owned by an account.
    #[serde(default)]
    pub image_owner_alias: Option<String>,
    /// `Public` (`isPublic` on the wire).
    #[serde(default)]
    pub public: bool,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub creation_date: Option<String>,
    #[serde(default)]
    pub deprecation_time: Option<String>,
    /// `ImageAllowed` (Allowed AMIs settings); absent when the setting is off.
    #[serde(default)]
    pub image_allowed: Option<bool>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeAddresses` → `Addresses[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Address {
    #[serde(default)]
    pub allocation_id: Option<String>,
    pub public_ip: String,
    /// Absent when the address is not associated.
    #[serde(default)]
    pub association_id: Option<String>,
    /// Empty strings from the API are stored as `None`.
    #[serde(default)]
    pub instance_id: Option<String>,
    #[serde(default)]
    pub network_interface_id: Option<String>,
    #[serde(default)]
    pub domain: Option<String>,
    /// E.g. `alb`, `nlb`, `nat`: addresses AWS manages for a service.
    #[serde(default)]
    pub service_managed: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeVpcs` → `Vpcs[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    pub vpc_id: String,
    #[serde(default)]
    pub is_default: bool,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub owner_id: Option<String>,
    #[serde(default)]
    pub cidr_block: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeSubnets` → `Subnets[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    pub subnet_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub map_public_ip_on_launch: bool,
    #[serde(default)]
    pub availability_zone: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

/// `DescribeRouteTables` → `RouteTables[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    pub route_table_id: String,
    pub vpc_id: String,
    #[serde(default)]
    pub associations: Vec<RouteTableAssociation>,
    #[serde(default)]
    pub routes: Vec<Route>,
}

/// `RouteTables[].Associations[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTableAssociation {
    #[serde(default)]
    pub main: bool,
    #[serde(default)]
    pub subnet_id: Option<String>,
}

/// `RouteTables[].Routes[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    #[serde(default)]
    pub destination_cidr_block: Option<String>,
    #[serde(default)]
    pub destination_ipv6_cidr_block: Option<String>,
    /// `igw-…` for an internet gateway (`eigw-…` is egress-only).
    #[serde(default)]
    pub gateway_id: Option<String>,
    /// `active` or `blackhole`.
    #[serde(default)]
    pub state: Option<String>,
}

/// `DescribeFlowLogs` → `FlowLogs[]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlowLog {
    pub flow_log_id: String,
    /// The VPC, subnet or network interface logged.
    pub resource_id: String,
    /// `ACTIVE`.
    #[serde(default)]
    pub flow_log_status: Option<String>,
    /// `SUCCESS` or `FAILED`.
    #[serde(default)]
    pub deliver_logs_status: Option<String>,
    /// `ACCEPT`, `REJECT` or `ALL`.
    #[serde(default)]
    pub traffic_type: Option<String>,
    #[serde(default)]
    pub log_destination_type: Option<String>,
}

/// `iam:ListInstanceProfiles` → `InstanceProfiles[]` (global; one paginated
/// call per account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    pub arn: String,
    pub instance_profile_name: String,
    /// `Roles[].RoleName`.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// `GetSerialConsoleAccessStatus`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SerialConsoleAccess {
    pub serial_console_access_enabled: bool,
    /// `account` or `declarative-policy`.
    #[serde(default)]
    pub managed_by: Option<String>,
}

/// `GetInstanceMetadataDefaults` → `AccountLevel` (all absent = no default).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceMetadataDefaults {
    #[serde(default)]
    pub http_tokens: Option<String>,
    #[serde(default)]
    pub http_endpoint: Option<String>,
    #[serde(default)]
    pub http_put_response_hop_limit: Option<i32>,
}
