//! What an event asks to re-describe: one resource (or one region-level
//! setting) of one account and region.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A security group as CloudTrail names it: by id, or — for calls made
/// against EC2-Classic/default-VPC groups with `GroupName` — by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupRef {
    /// `sg-…` (`DescribeSecurityGroups GroupIds`).
    Id(String),
    /// `group-name` filter, within `vpc_id` when the call named one (a
    /// new VPC's `default` group), else the region's default VPC.
    Name {
        name: String,
        vpc_id: Option<String>,
    },
}

/// An Elastic IP as the address calls name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AddressRef {
    /// `eipalloc-…` (`DescribeAddresses AllocationIds`).
    AllocationId(String),
    /// The public IPv4 address (`DescribeAddresses PublicIps`).
    PublicIp(String),
    /// `eipassoc-…` (`DescribeAddresses` filter `association-id`), as
    /// `DisassociateAddress` names it.
    AssociationId(String),
}

/// A network interface by id, or by attachment (`DetachNetworkInterface`
/// names only `eni-attach-…`; filter `attachment.attachment-id`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkInterfaceRef {
    Id(String),
    AttachmentId(String),
}

/// A launch template by id (`lt-…`) or by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LaunchTemplateRef {
    Id(String),
    Name(String),
}

/// A region-level account setting, read with one `Get…` call per region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// `GetEbsEncryptionByDefault` (and `GetEbsDefaultKmsKeyId`).
    EbsEncryption,
    /// `GetSerialConsoleAccessStatus`.
    SerialConsole,
    /// `GetSnapshotBlockPublicAccessState`.
    SnapshotBpa,
    /// `GetImageBlockPublicAccessState`.
    ImageBpa,
    /// `GetInstanceMetadataDefaults`.
    ImdsDefaults,
    /// `GetAllowedImagesSettings`.
    AllowedImages,
}

/// The thing to re-describe. Ids are as CloudTrail recorded them
/// (attacker-controlled text: escape before printing).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", content = "id")]
pub enum Resource {
    SecurityGroup(GroupRef),
    /// `i-…`. For C1/C3 the re-check covers the groups attached to the
    /// instance; for C11 the volumes attached to it.
    Instance(String),
    /// `iip-assoc-…` when the event named no instance
    /// (`DescribeIamInstanceProfileAssociations AssociationIds`).
    IamInstanceProfileAssociation(String),
    /// For C1 the groups on the interface, for C7/C10 the instance it is
    /// attached to and its addresses.
    NetworkInterface(NetworkInterfaceRef),
    /// `acl-…`.
    NetworkAcl(String),
    /// Every network ACL of VPC `vpc-…` (new VPC, new subnet association).
    VpcNetworkAcls(String),
    Volume(String),
    Snapshot(String),
    Image(String),
    Address(AddressRef),
    /// `vpc-…`; for C12 its flow logs (`DescribeFlowLogs` filter
    /// `resource-id`).
    Vpc(String),
    /// `fl-…` from `DeleteFlowLogs`: re-check the VPC the flow log
    /// belonged to (known from the previous inventory).
    FlowLog(String),
    Subnet(String),
    LaunchTemplate(LaunchTemplateRef),
    /// `pl-…`: re-check the security groups that reference it.
    PrefixList(String),
    /// A setting of the event's region.
    RegionSettings(Setting),
    /// An IAM instance profile by name (IAM is global; its events are
    /// recorded in us-east-1): re-check the instances using it, in every
    /// region.
    InstanceProfile(String),
    /// A region was enabled or disabled (`account:EnableRegion` /
    /// `DisableRegion`, recorded in us-east-1): rescan that region.
    Region {
        name: String,
        enabled: bool,
    },
}

impl Resource {
    /// A short kind name: `security_group`, `instance`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Resource::SecurityGroup(_) => "security_group",
            Resource::Instance(_) => "instance",
            Resource::IamInstanceProfileAssociation(_) => "iam_instance_profile_association",
            Resource::NetworkInterface(_) => "network_interface",
            Resource::NetworkAcl(_) => "network_acl",
            Resource::VpcNetworkAcls(_) => "vpc_network_acls",
            Resource::Volume(_) => "volume",
            Resource::Snapshot(_) => "snapshot",
            Resource::Image(_) => "image",
            Resource::Address(_) => "address",
            Resource::Vpc(_) => "vpc",
            Resource::FlowLog(_) => "flow_log",
            Resource::Subnet(_) => "subnet",
            Resource::LaunchTemplate(_) => "launch_template",
            Resource::PrefixList(_) => "prefix_list",
            Resource::RegionSettings(_) => "region_settings",
            Resource::InstanceProfile(_) => "instance_profile",
            Resource::Region { .. } => "region",
        }
    }
}

impl fmt::Display for Resource {
    /// `kind:id`, e.g. `security_group:sg-0abc`, `security_group:name=default@vpc-1`,
    /// `region_settings:serial_console`, `region:eu-south-2(enabled)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = self.kind();
        match self {
            Resource::SecurityGroup(GroupRef::Id(id)) => write!(f, "{kind}:{id}"),
            Resource::SecurityGroup(GroupRef::Name { name, vpc_id }) => match vpc_id {
                Some(vpc) => write!(f, "{kind}:name={name}@{vpc}"),
                None => write!(f, "{kind}:name={name}"),
            },
            Resource::Instance(id)
            | Resource::IamInstanceProfileAssociation(id)
            | Resource::NetworkAcl(id)
            | Resource::VpcNetworkAcls(id)
            | Resource::Volume(id)
            | Resource::Snapshot(id)
            | Resource::Image(id)
            | Resource::Vpc(id)
            | Resource::FlowLog(id)
            | Resource::Subnet(id)
            | Resource::PrefixList(id)
            | Resource::InstanceProfile(id)
            | Resource::NetworkInterface(NetworkInterfaceRef::Id(id))
            | Resource::LaunchTemplate(LaunchTemplateRef::Id(id))
            | Resource::Address(AddressRef::AllocationId(id)) => write!(f, "{kind}:{id}"),
            Resource::NetworkInterface(NetworkInterfaceRef::AttachmentId(id)) => {
                write!(f, "{kind}:attachment={id}")
            }
            Resource::LaunchTemplate(LaunchTemplateRef::Name(n)) => write!(f, "{kind}:name={n}"),
            Resource::Address(AddressRef::PublicIp(ip)) => write!(f, "{kind}:ip={ip}"),
            Resource::Address(AddressRef::AssociationId(id)) => {
                write!(f, "{kind}:association={id}")
            }
            Resource::RegionSettings(s) => {
                let s = serde_json::to_value(s).ok();
                write!(
                    f,
                    "{kind}:{}",
                    s.as_ref().and_then(|v| v.as_str()).unwrap_or("?")
                )
            }
            Resource::Region { name, enabled } => {
                let state = if *enabled { "enabled" } else { "disabled" };
                write!(f, "{kind}:{name}({state})")
            }
        }
    }
}
