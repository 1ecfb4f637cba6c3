//! EC2 / IAM / STS response elements → inventory model types.
//!
//! Wire names are the EC2 Query protocol's (`groupId`, `ipPermissions`,
//! `reason` for `StateTransitionReason`, `ipAddress` for `PublicIpAddress`,
//! `status` for a volume's `State`); IAM/STS use PascalCase `member` lists.
//! Empty elements (`<instanceId/>`) are absent values. A missing required
//! field is an error naming the element and the resource, so a collection
//! never stores a half-read resource a check could pass.

use crate::ec2api::Node;
use crate::inventory::{
    Address, FlowLog, IamInstanceProfile, Image, Instance, InstanceMetadataDefaults,
    InstanceNetworkInterface, InstanceProfile, IpPermission, IpRange, Ipv6Range, ManagedPrefixList,
    MetadataOptions, NetworkAcl, NetworkAclAssociation, NetworkAclEntry, PortRange, PrefixListId,
    RegionStatus, Route, RouteTable, RouteTableAssociation, SecurityGroup, SerialConsoleAccess,
    Snapshot, Subnet, Tag, UserIdGroupPair, Volume, Vpc,
};

/// A parse error message.
pub type ParseResult<T> = Result<T, String>;

/// Parse every `<item>` of `list` under `root` with `f`.
pub fn all<T>(root: &Node, list: &str, f: fn(&Node) -> ParseResult<T>) -> ParseResult<Vec<T>> {
    root.items(list).map(f).collect()
}

/// Parse a resource identified by `id_field` with `f`; errors are prefixed
/// with the id.
fn resource<T>(
    n: &Node,
    id_field: &str,
    f: impl FnOnce(String) -> ParseResult<T>,
) -> ParseResult<T> {
    let id = n.required(id_field)?;
    let shown = id.clone();
    f(id).map_err(|e| format!("{shown}: {e}"))
}

fn tags(n: &Node) -> Vec<Tag> {
    n.items("tagSet")
        .filter_map(|t| {
            Some(Tag {
                key: t.string("key")?,
                value: t.string("value").unwrap_or_default(),
            })
        })
        .collect()
}

fn strings(n: &Node, list: &str, field: &str) -> Vec<String> {
    n.items(list).filter_map(|i| i.string(field)).collect()
}

/// `DescribeSecurityGroups` → `securityGroupInfo/item`.
pub fn security_group(n: &Node) -> ParseResult<SecurityGroup> {
    resource(n, "groupId", |group_id| {
        Ok(SecurityGroup {
            group_name: n.required("groupName")?,
            vpc_id: n.string("vpcId"),
            owner_id: n.string("ownerId"),
            ip_permissions: all(n, "ipPermissions", ip_permission)?,
            ip_permissions_egress: all(n, "ipPermissionsEgress", ip_permission)?,
            tags: tags(n),
            group_id,
        })
    })
}

fn ip_permission(n: &Node) -> ParseResult<IpPermission> {
    Ok(IpPermission {
        ip_protocol: n.required("ipProtocol")?,
        from_port: n.i32("fromPort")?,
        to_port: n.i32("toPort")?,
        ip_ranges: n
            .items("ipRanges")
            .map(|r| r.required("cidrIp").map(|cidr_ip| IpRange { cidr_ip }))
            .collect::<ParseResult<_>>()?,
        ipv6_ranges: n
            .items("ipv6Ranges")
            .map(|r| {
                r.required("cidrIpv6")
                    .map(|cidr_ipv6| Ipv6Range { cidr_ipv6 })
            })
            .collect::<ParseResult<_>>()?,
        prefix_list_ids: n
            .items("prefixListIds")
            .map(|r| {
                r.required("prefixListId")
                    .map(|prefix_list_id| PrefixListId { prefix_list_id })
            })
            .collect::<ParseResult<_>>()?,
        user_id_group_pairs: n
            .items("groups")
            .map(|g| UserIdGroupPair {
                group_id: g.string("groupId"),
                user_id: g.string("userId"),
                vpc_peering_connection_id: g.string("vpcPeeringConnectionId"),
            })
            .collect(),
    })
}

/// `DescribeManagedPrefixLists` → `prefixListSet/item` (entries empty; see
/// [`prefix_list_entries`]).
pub fn managed_prefix_list(n: &Node) -> ParseResult<ManagedPrefixList> {
    Ok(ManagedPrefixList {
        prefix_list_id: n.required("prefixListId")?,
        prefix_list_name: n.string("prefixListName"),
        owner_id: n.string("ownerId"),
        entries: Vec::new(),
    })
}

/// `GetManagedPrefixListEntries` → `entrySet/item/cidr`.
pub fn prefix_list_entries(root: &Node) -> ParseResult<Vec<String>> {
    root.items("entrySet").map(|e| e.required("cidr")).collect()
}

/// `DescribeNetworkAcls` → `networkAclSet/item`.
pub fn network_acl(n: &Node) -> ParseResult<NetworkAcl> {
    resource(n, "networkAclId", |id| {
        Ok(NetworkAcl {
            vpc_id: n.required("vpcId")?,
            is_default: n.bool("default")?.unwrap_or(false),
            associations: n
                .items("associationSet")
                .filter_map(|a| a.string("subnetId"))
                .map(|subnet_id| NetworkAclAssociation { subnet_id })
                .collect(),
            entries: all(n, "entrySet", network_acl_entry)?,
            tags: tags(n),
            network_acl_id: id,
        })
    })
}

fn network_acl_entry(n: &Node) -> ParseResult<NetworkAclEntry> {
    let port_range = match n.child("portRange") {
        Some(p) if !p.children.is_empty() => Some(PortRange {
            from: p.i32("from")?.ok_or("<portRange> has no <from>")?,
            to: p.i32("to")?.ok_or("<portRange> has no <to>")?,
        }),
        _ => None,
    };
    Ok(NetworkAclEntry {
        rule_number: n
            .i32("ruleNumber")?
            .ok_or("<entrySet> item has no <ruleNumber>")?,
        protocol: n.required("protocol")?,
        rule_action: n.required("ruleAction")?,
        egress: n.bool("egress")?.ok_or("<entrySet> item has no <egress>")?,
        cidr_block: n.string("cidrBlock"),
        ipv6_cidr_block: n.string("ipv6CidrBlock"),
        port_range,
    })
}

/// `DescribeInstances` → `reservationSet/item/instancesSet/item`.
pub fn instance(n: &Node) -> ParseResult<Instance> {
    resource(n, "instanceId", |id| {
        let state = n
            .child("instanceState")
            .and_then(|s| s.string("name"))
            .ok_or("no <instanceState><name>")?;
        let metadata_options = match n.child("metadataOptions") {
            Some(m) => Some(MetadataOptions {
                state: m.string("state"),
                http_tokens: m.string("httpTokens"),
                http_endpoint: m.string("httpEndpoint"),
                http_put_response_hop_limit: m.i32("httpPutResponseHopLimit")?,
            }),
            None => None,
        };
        let iam_instance_profile = n.child("iamInstanceProfile").and_then(|p| {
            Some(IamInstanceProfile {
                arn: p.string("arn")?,
                id: p.string("id"),
            })
        });
        Ok(Instance {
            image_id: n.string("imageId"),
            instance_type: n.string("instanceType"),
            state,
            launch_time: n.string("launchTime"),
            state_transition_reason: n.string("reason"),
            vpc_id: n.string("vpcId"),
            subnet_id: n.string("subnetId"),
            public_ip_address: n.string("ipAddress"),
            ipv6_address: n.string("ipv6Address"),
            network_interfaces: n
                .items("networkInterfaceSet")
                .map(network_interface)
                .collect::<ParseResult<_>>()?,
            security_groups: strings(n, "groupSet", "groupId"),
            metadata_options,
            iam_instance_profile,
            volume_ids: n
                .items("blockDeviceMapping")
                .filter_map(|b| b.child("ebs")?.string("volumeId"))
                .collect(),
            tags: tags(n),
            instance_id: id,
        })
    })
}

fn network_interface(n: &Node) -> ParseResult<InstanceNetworkInterface> {
    Ok(InstanceNetworkInterface {
        network_interface_id: n.required("networkInterfaceId")?,
        subnet_id: n.string("subnetId"),
        public_ip: n.child("association").and_then(|a| a.string("publicIp")),
        ipv6_addresses: strings(n, "ipv6AddressesSet", "ipv6Address"),
        groups: strings(n, "groupSet", "groupId"),
    })
}

/// All instances of a `DescribeInstances` page (flattening reservations).
pub fn instances_page(root: &Node) -> ParseResult<Vec<Instance>> {
    let mut out = Vec::new();
    for r in root.items("reservationSet") {
        for i in r.items("instancesSet") {
            out.push(instance(i)?);
        }
    }
    Ok(out)
}

/// `DescribeVolumes` → `volumeSet/item`.
pub fn volume(n: &Node) -> ParseResult<Volume> {
    resource(n, "volumeId", |id| {
        Ok(Volume {
            encrypted: n.bool("encrypted")?.ok_or("no <encrypted>")?,
            kms_key_id: n.string("kmsKeyId"),
            state: n.required("status")?,
            attached_instance_ids: strings(n, "attachmentSet", "instanceId"),
            snapshot_id: n.string("snapshotId"),
            tags: tags(n),
            volume_id: id,
        })
    })
}

/// `DescribeSnapshots` → `snapshotSet/item` (sharing empty; see
/// [`create_volume_permissions`]).
pub fn snapshot(n: &Node) -> ParseResult<Snapshot> {
    resource(n, "snapshotId", |id| {
        Ok(Snapshot {
            volume_id: n.string("volumeId"),
            encrypted: n.bool("encrypted")?.ok_or("no <encrypted>")?,
            state: n.string("status"),
            start_time: n.string("startTime"),
            owner_id: n.required("ownerId")?,
            create_volume_permission_groups: Vec::new(),
            create_volume_permission_user_ids: Vec::new(),
            tags: tags(n),
            snapshot_id: id,
        })
    })
}

/// `DescribeSnapshotAttribute(createVolumePermission)` →
/// (`createVolumePermission/item/group`, `…/userId`).
pub fn create_volume_permissions(root: &Node) -> (Vec<String>, Vec<String>) {
    (
        strings(root, "createVolumePermission", "group"),
        strings(root, "createVolumePermission", "userId"),
    )
}

/// `DescribeImages` → `imagesSet/item`.
pub fn image(n: &Node) -> ParseResult<Image> {
    resource(n, "imageId", |id| {
        Ok(Image {
            name: n.string("name"),
            owner_id: n.string("imageOwnerId"),
            image_owner_alias: n.string("imageOwnerAlias"),
            public: n.bool("isPublic")?.ok_or("no <isPublic>")?,
            state: n.string("imageState"),
            creation_date: n.string("creationDate"),
            deprecation_time: n.string("deprecationTime"),
            image_allowed: n.bool("imageAllowed")?,
            tags: tags(n),
            image_id: id,
        })
    })
}

/// `DescribeAddresses` → `addressesSet/item`. Empty `instanceId` /
/// `networkInterfaceId` elements (moto sends them for unassociated
/// addresses) are `None`.
pub fn address(n: &Node) -> ParseResult<Address> {
    Ok(Address {
        allocation_id: n.string("allocationId"),
        public_ip: n.required("publicIp")?,
        association_id: n.string("associationId"),
        instance_id: n.string("instanceId"),
        network_interface_id: n.string("networkInterfaceId"),
        domain: n.string("domain"),
        service_managed: n.string("serviceManaged"),
        tags: tags(n),
    })
}

/// `DescribeVpcs` → `vpcSet/item`.
pub fn vpc(n: &Node) -> ParseResult<Vpc> {
    Ok(Vpc {
        vpc_id: n.required("vpcId")?,
        is_default: n.bool("isDefault")?.unwrap_or(false),
        state: n.string("state"),
        owner_id: n.string("ownerId"),
        cidr_block: n.string("cidrBlock"),
        tags: tags(n),
    })
}

/// `DescribeSubnets` → `subnetSet/item`.
pub fn subnet(n: &Node) -> ParseResult<Subnet> {
    resource(n, "subnetId", |id| {
        Ok(Subnet {
            vpc_id: n.required("vpcId")?,
            map_public_ip_on_launch: n.bool("mapPublicIpOnLaunch")?.unwrap_or(false),
            availability_zone: n.string("availabilityZone"),
            tags: tags(n),
            subnet_id: id,
        })
    })
}

/// `DescribeRouteTables` → `routeTableSet/item`.
pub fn route_table(n: &Node) -> ParseResult<RouteTable> {
    resource(n, "routeTableId", |id| {
        Ok(RouteTable {
            vpc_id: n.required("vpcId")?,
            associations: n
                .items("associationSet")
                .map(|a| {
                    Ok(RouteTableAssociation {
                        main: a.bool("main")?.unwrap_or(false),
                        subnet_id: a.string("subnetId"),
                    })
                })
                .collect::<ParseResult<_>>()?,
            routes: n
                .items("routeSet")
                .map(|r| Route {
                    destination_cidr_block: r.string("destinationCidrBlock"),
                    destination_ipv6_cidr_block: r.string("destinationIpv6CidrBlock"),
                    gateway_id: r.string("gatewayId"),
                    state: r.string("state"),
                })
                .collect(),
            route_table_id: id,
        })
    })
}

/// `DescribeFlowLogs` → `flowLogSet/item`.
pub fn flow_log(n: &Node) -> ParseResult<FlowLog> {
    resource(n, "flowLogId", |id| {
        Ok(FlowLog {
            resource_id: n.required("resourceId")?,
            flow_log_status: n.string("flowLogStatus"),
            deliver_logs_status: n.string("deliverLogsStatus"),
            traffic_type: n.string("trafficType"),
            log_destination_type: n.string("logDestinationType"),
            flow_log_id: id,
        })
    })
}

/// `iam:ListInstanceProfiles` → `InstanceProfiles/member`.
pub fn instance_profile(n: &Node) -> ParseResult<InstanceProfile> {
    Ok(InstanceProfile {
        arn: n.required("Arn")?,
        instance_profile_name: n.required("InstanceProfileName")?,
        roles: strings(n, "Roles", "RoleName"),
    })
}

/// `DescribeRegions` → `regionInfo/item`.
pub fn region_status(n: &Node) -> ParseResult<RegionStatus> {
    Ok(RegionStatus {
        region_name: n.required("regionName")?,
        opt_in_status: n.string("optInStatus"),
    })
}

/// `GetEbsEncryptionByDefault` → `ebsEncryptionByDefault`.
pub fn ebs_encryption_by_default(root: &Node) -> ParseResult<bool> {
    root.bool("ebsEncryptionByDefault")?
        .ok_or_else(|| "no <ebsEncryptionByDefault>".into())
}

/// `GetSerialConsoleAccessStatus`.
pub fn serial_console_access(root: &Node) -> ParseResult<SerialConsoleAccess> {
    Ok(SerialConsoleAccess {
        serial_console_access_enabled: root
            .bool("serialConsoleAccessEnabled")?
            .ok_or("no <serialConsoleAccessEnabled>")?,
        managed_by: root.string("managedBy"),
    })
}

/// `GetSnapshotBlockPublicAccessState` → `state`.
pub fn snapshot_block_public_access(root: &Node) -> ParseResult<String> {
    root.required("state")
}

/// `GetImageBlockPublicAccessState` → `imageBlockPublicAccessState`.
pub fn image_block_public_access(root: &Node) -> ParseResult<String> {
    root.required("imageBlockPublicAccessState")
}

/// `GetInstanceMetadataDefaults` → `accountLevel` (absent or empty = no
/// account default).
pub fn instance_metadata_defaults(root: &Node) -> ParseResult<InstanceMetadataDefaults> {
    Ok(match root.child("accountLevel") {
        Some(a) => InstanceMetadataDefaults {
            http_tokens: a.string("httpTokens"),
            http_endpoint: a.string("httpEndpoint"),
            http_put_response_hop_limit: a.i32("httpPutResponseHopLimit")?,
        },
        None => InstanceMetadataDefaults::default(),
    })
}

/// `sts:GetCallerIdentity` → (`Account`, `Arn`).
pub fn caller_identity(root: &Node) -> ParseResult<(String, String)> {
    let r = root
        .child("GetCallerIdentityResult")
        .ok_or("no <GetCallerIdentityResult>")?;
    Ok((r.required("Account")?, r.required("Arn")?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ec2api::xml::parse;

    #[test]
    fn security_group_rules_in_wire_shape() {
        let root = parse(
            "<R><securityGroupInfo><item><groupId>sg-1</groupId><groupName>web</groupName>\
             <vpcId>vpc-1</vpcId><ipPermissions>\
             <item><ipProtocol>-1</ipProtocol><groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>\
             <item><ipProtocol>tcp</ipProtocol><fromPort>22</fromPort><toPort>22</toPort>\
             <groups><item><userId>1</userId><groupId>sg-2</groupId></item></groups>\
             <ipv6Ranges><item><cidrIpv6>::/0</cidrIpv6></item></ipv6Ranges>\
             <prefixListIds><item><prefixListId>pl-1</prefixListId></item></prefixListIds></item>\
             </ipPermissions><ipPermissionsEgress/><tagSet><item><key>Name</key><value/></item></tagSet></item>\
             </securityGroupInfo></R>",
        )
        .unwrap();
        let sgs = all(&root, "securityGroupInfo", security_group).unwrap();
        assert_eq!(sgs.len(), 1);
        let sg = &sgs[0];
        assert_eq!(sg.group_id, "sg-1");
        assert_eq!(sg.ip_permissions[0].ip_protocol, "-1");
        assert_eq!(sg.ip_permissions[0].from_port, None);
        assert_eq!(sg.ip_permissions[0].ip_ranges[0].cidr_ip, "0.0.0.0/0");
        let p = &sg.ip_permissions[1];
        assert_eq!((p.from_port, p.to_port), (Some(22), Some(22)));
        assert_eq!(p.ipv6_ranges[0].cidr_ipv6, "::/0");
        assert_eq!(p.prefix_list_ids[0].prefix_list_id, "pl-1");
        assert_eq!(p.user_id_group_pairs[0].group_id.as_deref(), Some("sg-2"));
        assert!(sg.ip_permissions_egress.is_empty());
        assert_eq!(
            sg.tags,
            vec![Tag {
                key: "Name".into(),
                value: String::new()
            }]
        );
    }

    #[test]
    fn missing_required_field_names_the_resource() {
        let root = parse(
            "<R><volumeSet><item><volumeId>vol-1</volumeId><status>in-use</status></item></volumeSet></R>",
        )
        .unwrap();
        let err = all(&root, "volumeSet", volume).unwrap_err();
        assert_eq!(err, "vol-1: no <encrypted>");
        let root =
            parse("<R><ipPermissions><item><fromPort>x</fromPort></item></ipPermissions></R>")
                .unwrap();
        assert!(all(&root, "ipPermissions", ip_permission).is_err());
    }

    #[test]
    fn empty_address_fields_are_none() {
        let root = parse(
            "<R><addressesSet><item><allocationId>eipalloc-1</allocationId><domain>vpc</domain>\
             <networkInterfaceId/><instanceId/><publicIp>127.0.0.1</publicIp></item></addressesSet></R>",
        )
        .unwrap();
        let a = &all(&root, "addressesSet", address).unwrap()[0];
        assert_eq!(a.instance_id, None);
        assert_eq!(a.network_interface_id, None);
        assert_eq!(a.association_id, None);
    }

    #[test]
    fn nacl_entries_with_and_without_port_range() {
        let root = parse(
            "<R><networkAclSet><item><networkAclId>acl-1</networkAclId><vpcId>vpc-1</vpcId><default>false</default>\
             <associationSet><item><subnetId>subnet-1</subnetId></item></associationSet><entrySet>\
             <item><ruleNumber>100</ruleNumber><protocol>6</protocol><ruleAction>allow</ruleAction><egress>false</egress>\
             <cidrBlock>0.0.0.0/0</cidrBlock><portRange><from>22</from><to>22</to></portRange></item>\
             <item><ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction><egress>false</egress>\
             <ipv6CidrBlock>::/0</ipv6CidrBlock></item></entrySet></item></networkAclSet></R>",
        )
        .unwrap();
        let acl = &all(&root, "networkAclSet", network_acl).unwrap()[0];
        assert_eq!(acl.associations[0].subnet_id, "subnet-1");
        assert_eq!(
            acl.entries[0].port_range,
            Some(PortRange { from: 22, to: 22 })
        );
        assert_eq!(acl.entries[1].port_range, None);
        assert_eq!(acl.entries[1].ipv6_cidr_block.as_deref(), Some("::/0"));
    }
}
