//! The sixteen posture checks over a hand-built inventory: for each check a
//! violating and a compliant twin, asserting exactly which resources FAIL,
//! PASS or are NOT_EVALUATED; a region whose APIs all failed; and the
//! parameters read from the real built-in `rules/aws_ec2.yaml` plus a
//! user's override file.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use saker_posture::checks::{all_checks, check_by_id, run_checks};
use saker_posture::inventory::*;
use saker_posture::params::ParamsError;
use saker_posture::{Finding, Params, Severity, Status};

const ACCOUNT: &str = "111122223333";

fn now() -> DateTime<Utc> {
    "2026-11-29T12:00:00Z".parse().unwrap()
}

// ---- builders -------------------------------------------------------------

fn perm(proto: &str, ports: Option<(i32, i32)>) -> IpPermission {
    IpPermission {
        ip_protocol: proto.into(),
        from_port: ports.map(|p| p.0),
        to_port: ports.map(|p| p.1),
        ip_ranges: vec![],
        ipv6_ranges: vec![],
        prefix_list_ids: vec![],
        user_id_group_pairs: vec![],
    }
}

fn from_v4(mut p: IpPermission, cidr: &str) -> IpPermission {
    p.ip_ranges.push(IpRange {
        cidr_ip: cidr.into(),
    });
    p
}

fn from_v6(mut p: IpPermission, cidr: &str) -> IpPermission {
    p.ipv6_ranges.push(Ipv6Range {
        cidr_ipv6: cidr.into(),
    });
    p
}

fn from_list(mut p: IpPermission, id: &str) -> IpPermission {
    p.prefix_list_ids.push(PrefixListId {
        prefix_list_id: id.into(),
    });
    p
}

fn from_group(mut p: IpPermission, group: &str) -> IpPermission {
    p.user_id_group_pairs.push(UserIdGroupPair {
        group_id: Some(group.into()),
        user_id: Some(ACCOUNT.into()),
        vpc_peering_connection_id: None,
    });
    p
}

fn sg(id: &str, name: &str, vpc: &str, ingress: Vec<IpPermission>) -> SecurityGroup {
    SecurityGroup {
        group_id: id.into(),
        group_name: name.into(),
        vpc_id: Some(vpc.into()),
        owner_id: Some(ACCOUNT.into()),
        ip_permissions: ingress,
        ip_permissions_egress: vec![],
        tags: vec![],
    }
}

fn prefix_list(id: &str, entries: &[&str]) -> ManagedPrefixList {
    ManagedPrefixList {
        prefix_list_id: id.into(),
        prefix_list_name: Some(id.into()),
        owner_id: Some(ACCOUNT.into()),
        entries: entries.iter().map(|e| (*e).into()).collect(),
    }
}

fn nacl_entry(
    n: i32,
    proto: &str,
    action: &str,
    cidr: &str,
    ports: Option<(i32, i32)>,
) -> NetworkAclEntry {
    let v6 = cidr.contains(':');
    NetworkAclEntry {
        rule_number: n,
        protocol: proto.into(),
        rule_action: action.into(),
        egress: false,
        cidr_block: (!v6).then(|| cidr.into()),
        ipv6_cidr_block: v6.then(|| cidr.into()),
        port_range: ports.map(|(from, to)| PortRange { from, to }),
    }
}

fn nacl(id: &str, default: bool, subnets: &[&str], entries: Vec<NetworkAclEntry>) -> NetworkAcl {
    NetworkAcl {
        network_acl_id: id.into(),
        vpc_id: "vpc-a".into(),
        is_default: default,
        associations: subnets
            .iter()
            .map(|s| NetworkAclAssociation {
                subnet_id: (*s).into(),
            })
            .collect(),
        entries,
        tags: vec![],
    }
}

/// A compliant running instance: no public IP, IMDSv2 required and
/// applied, a profile with a role, an approved image.
fn instance(id: &str) -> Instance {
    Instance {
        instance_id: id.into(),
        image_id: Some("ami-golden".into()),
        instance_type: Some("t3.micro".into()),
        state: "running".into(),
        launch_time: Some("2026-11-01T08:00:00.000Z".into()),
        state_transition_reason: Some(String::new()),
        vpc_id: Some("vpc-a".into()),
        subnet_id: Some("subnet-private".into()),
        public_ip_address: None,
        ipv6_address: None,
        network_interfaces: vec![InstanceNetworkInterface {
            network_interface_id: format!("eni-{id}"),
            subnet_id: Some("subnet-private".into()),
            public_ip: None,
            ipv6_addresses: vec![],
            groups: vec!["sg-office".into()],
        }],
        security_groups: vec!["sg-office".into()],
        metadata_options: Some(MetadataOptions {
            state: Some("applied".into()),
            http_tokens: Some("required".into()),
            http_endpoint: Some("enabled".into()),
            http_put_response_hop_limit: Some(1),
        }),
        iam_instance_profile: Some(IamInstanceProfile {
            arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/app"),
            id: Some("AIPAEXAMPLE".into()),
        }),
        volume_ids: vec![],
        tags: vec![],
    }
}

fn stopped(id: &str, reason: &str, launch: Option<&str>) -> Instance {
    let mut i = instance(id);
    i.state = "stopped".into();
    i.state_transition_reason = Some(reason.into());
    i.launch_time = launch.map(String::from);
    i
}

fn image(id: &str, owner: &str, alias: Option<&str>, name: &str) -> Image {
    Image {
        image_id: id.into(),
        name: Some(name.into()),
        owner_id: Some(owner.into()),
        image_owner_alias: alias.map(String::from),
        public: false,
        state: Some("available".into()),
        creation_date: None,
        deprecation_time: None,
        image_allowed: None,
        tags: vec![],
    }
}

fn volume(id: &str, encrypted: bool, state: &str) -> Volume {
    Volume {
        volume_id: id.into(),
        encrypted,
        kms_key_id: encrypted.then(|| "alias/aws/ebs".into()),
        state: state.into(),
        attached_instance_ids: vec![],
        snapshot_id: None,
        tags: vec![],
    }
}

fn snapshot(id: &str, groups: &[&str], users: &[&str]) -> Snapshot {
    Snapshot {
        snapshot_id: id.into(),
        volume_id: Some("vol-enc".into()),
        encrypted: false,
        state: Some("completed".into()),
        start_time: None,
        owner_id: ACCOUNT.into(),
        create_volume_permission_groups: groups.iter().map(|s| (*s).into()).collect(),
        create_volume_permission_user_ids: users.iter().map(|s| (*s).into()).collect(),
        tags: vec![],
    }
}

fn address(
    alloc: &str,
    assoc: Option<&str>,
    instance: Option<&str>,
    managed: Option<&str>,
) -> Address {
    Address {
        allocation_id: Some(alloc.into()),
        public_ip: "127.0.0.10".into(),
        association_id: assoc.map(String::from),
        instance_id: instance.map(String::from),
        network_interface_id: None,
        domain: Some("vpc".into()),
        service_managed: managed.map(String::from),
        tags: vec![],
    }
}

fn vpc(id: &str, default: bool) -> Vpc {
    Vpc {
        vpc_id: id.into(),
        is_default: default,
        state: Some("available".into()),
        owner_id: Some(ACCOUNT.into()),
        cidr_block: Some("10.0.0.0/16".into()),
        tags: vec![],
    }
}

fn flow_log(id: &str, resource: &str, status: &str, traffic: &str, delivery: &str) -> FlowLog {
    FlowLog {
        flow_log_id: id.into(),
        resource_id: resource.into(),
        flow_log_status: Some(status.into()),
        deliver_logs_status: Some(delivery.into()),
        traffic_type: Some(traffic.into()),
        log_destination_type: Some("s3".into()),
    }
}

fn subnet(id: &str, vpc: &str) -> Subnet {
    Subnet {
        subnet_id: id.into(),
        vpc_id: vpc.into(),
        map_public_ip_on_launch: false,
        availability_zone: Some("us-east-1a".into()),
        tags: vec![],
    }
}

fn route_table(id: &str, main: bool, subnets: &[&str], routes: Vec<Route>) -> RouteTable {
    let mut associations: Vec<RouteTableAssociation> = subnets
        .iter()
        .map(|s| RouteTableAssociation {
            main: false,
            subnet_id: Some((*s).into()),
        })
        .collect();
    if main {
        associations.push(RouteTableAssociation {
            main: true,
            subnet_id: None,
        });
    }
    RouteTable {
        route_table_id: id.into(),
        vpc_id: "vpc-a".into(),
        associations,
        routes,
    }
}

fn v6_route(gateway: &str) -> Route {
    Route {
        destination_cidr_block: None,
        destination_ipv6_cidr_block: Some("::/0".into()),
        gateway_id: Some(gateway.into()),
        state: Some("active".into()),
    }
}

// ---- the estate -------------------------------------------------------------

/// us-east-1: a violating and a compliant twin of every resource check.
fn main_region() -> RegionInventory {
    let mut r = RegionInventory::new("us-east-1");

    // C1 / C3.
    let mut default_a = sg(
        "sg-default-a",
        "default",
        "vpc-a",
        vec![from_group(perm("-1", None), "sg-default-a")],
    );
    default_a.ip_permissions_egress = vec![from_v4(perm("-1", None), "0.0.0.0/0")];
    r.security_groups = Some(vec![
        sg(
            "sg-ssh-world",
            "ssh",
            "vpc-a",
            vec![from_v4(perm("tcp", Some((22, 22))), "0.0.0.0/0")],
        ),
        sg(
            "sg-rdp-v6",
            "rdp",
            "vpc-a",
            vec![from_v6(perm("tcp", Some((3389, 3389))), "::/0")],
        ),
        sg(
            "sg-all-proto",
            "all",
            "vpc-a",
            vec![from_v4(perm("-1", None), "0.0.0.0/0")],
        ),
        sg(
            "sg-range",
            "range",
            "vpc-a",
            vec![from_v4(perm("tcp", Some((0, 1024))), "0.0.0.0/0")],
        ),
        sg(
            "sg-udp",
            "udp",
            "vpc-a",
            vec![from_v4(perm("udp", Some((3389, 3389))), "0.0.0.0/0")],
        ),
        sg(
            "sg-prefix-world",
            "pl",
            "vpc-a",
            vec![from_list(perm("tcp", Some((22, 22))), "pl-world")],
        ),
        sg(
            "sg-halves",
            "halves",
            "vpc-a",
            vec![
                from_v4(perm("tcp", Some((22, 22))), "0.0.0.0/1"),
                from_v4(perm("tcp", Some((22, 22))), "128.0.0.0/1"),
            ],
        ),
        sg(
            "sg-office",
            "office",
            "vpc-a",
            vec![from_v4(perm("tcp", Some((22, 22))), "203.0.113.0/24")],
        ),
        sg(
            "sg-https",
            "https",
            "vpc-a",
            vec![from_v4(perm("tcp", Some((443, 443))), "0.0.0.0/0")],
        ),
        sg(
            "sg-icmp",
            "icmp",
            "vpc-a",
            vec![from_v4(perm("icmp", Some((22, 22))), "0.0.0.0/0")],
        ),
        sg(
            "sg-peer",
            "peer",
            "vpc-a",
            vec![from_group(perm("-1", None), "sg-office")],
        ),
        sg(
            "sg-prefix-office",
            "plo",
            "vpc-a",
            vec![from_list(perm("tcp", Some((22, 22))), "pl-office")],
        ),
        default_a,
        sg("sg-default-b", "default", "vpc-b", vec![]),
    ]);
    r.managed_prefix_lists = Some(vec![
        prefix_list("pl-world", &["198.51.100.0/24", "0.0.0.0/0"]),
        prefix_list("pl-office", &["198.51.100.0/24"]),
    ]);

    // C2.
    let default_entries = || {
        vec![
            nacl_entry(100, "-1", "allow", "0.0.0.0/0", None),
            nacl_entry(32767, "-1", "deny", "0.0.0.0/0", None),
        ]
    };
    r.network_acls = Some(vec![
        nacl("acl-default", true, &["subnet-private"], default_entries()),
        nacl(
            "acl-v6-ssh",
            false,
            &["subnet-pub6"],
            vec![
                nacl_entry(100, "6", "allow", "::/0", Some((22, 22))),
                nacl_entry(32767, "-1", "deny", "0.0.0.0/0", None),
                nacl_entry(32768, "-1", "deny", "::/0", None),
            ],
        ),
        nacl(
            "acl-deny-first",
            false,
            &["subnet-eigw"],
            vec![
                nacl_entry(50, "-1", "deny", "0.0.0.0/0", None),
                nacl_entry(100, "-1", "allow", "0.0.0.0/0", None),
            ],
        ),
        nacl(
            "acl-web",
            false,
            &["subnet-web"],
            vec![
                nacl_entry(100, "6", "allow", "0.0.0.0/0", Some((443, 443))),
                nacl_entry(110, "1", "allow", "0.0.0.0/0", None),
                nacl_entry(32767, "-1", "deny", "0.0.0.0/0", None),
            ],
        ),
        nacl("acl-unused", false, &[], default_entries()),
    ]);

    // C4, C9: compliant here, violating in us-east-2.
    r.ebs_encryption_by_default = Some(true);
    r.serial_console_access = Some(SerialConsoleAccess {
        serial_console_access_enabled: false,
        managed_by: Some("account".into()),
    });

    // C5.
    r.snapshots = Some(vec![
        snapshot("snap-public", &["all"], &[]),
        snapshot("snap-private", &[], &[]),
        snapshot("snap-shared", &[], &["444455556666"]),
    ]);
    r.snapshot_block_public_access = Some("unblocked".into());

    // C6.
    let mut public_ami = image("ami-own-public", ACCOUNT, None, "app-build-1");
    public_ami.public = true;
    r.images = Some(vec![
        public_ami,
        image("ami-golden", ACCOUNT, None, "golden-2026-11"),
    ]);

    // C7, C8, C13, C14, C16.
    let mut i_public = instance("i-public");
    i_public.public_ip_address = Some("54.1.2.3".into());
    let mut i_eni_eip = instance("i-eni-eip");
    i_eni_eip.network_interfaces[0].public_ip = Some("127.0.0.10".into());
    let mut i_v6_igw = instance("i-v6-igw");
    i_v6_igw.subnet_id = Some("subnet-pub6".into());
    i_v6_igw.network_interfaces[0].subnet_id = Some("subnet-pub6".into());
    i_v6_igw.network_interfaces[0].ipv6_addresses = vec!["2600:1f18::10".into()];
    let mut i_v6_eigw = instance("i-v6-eigw");
    i_v6_eigw.subnet_id = Some("subnet-eigw".into());
    i_v6_eigw.network_interfaces[0].subnet_id = Some("subnet-eigw".into());
    i_v6_eigw.network_interfaces[0].ipv6_addresses = vec!["2600:1f18::20".into()];
    let mut i_imdsv1 = instance("i-imdsv1");
    i_imdsv1.metadata_options.as_mut().unwrap().http_tokens = Some("optional".into());
    let mut i_imds_off = instance("i-imds-off");
    {
        let m = i_imds_off.metadata_options.as_mut().unwrap();
        m.http_tokens = Some("optional".into());
        m.http_endpoint = Some("disabled".into());
    }
    let mut i_imds_pending = instance("i-imds-pending");
    i_imds_pending.metadata_options.as_mut().unwrap().state = Some("pending".into());
    let mut i_no_profile = instance("i-no-profile");
    i_no_profile.iam_instance_profile = None;
    let mut i_roleless = instance("i-roleless");
    i_roleless.iam_instance_profile.as_mut().unwrap().arn =
        format!("arn:aws:iam::{ACCOUNT}:instance-profile/empty");
    let mut i_community = instance("i-community");
    i_community.image_id = Some("ami-community".into());
    let mut i_amazon = instance("i-amazon");
    i_amazon.image_id = Some("ami-amzn".into());
    let mut i_corp = instance("i-corp");
    i_corp.image_id = Some("ami-corp".into());
    let mut i_refused = instance("i-refused");
    i_refused.image_id = Some("ami-refused".into());
    let mut i_gone_image = instance("i-gone-image");
    i_gone_image.image_id = Some("ami-deregistered".into());
    let mut i_terminated = instance("i-terminated");
    i_terminated.state = "terminated".into();
    i_terminated.public_ip_address = Some("54.9.9.9".into());
    i_terminated.iam_instance_profile = None;
    r.instances = Some(vec![
        instance("i-good"),
        i_public,
        i_eni_eip,
        i_v6_igw,
        i_v6_eigw,
        i_imdsv1,
        i_imds_off,
        i_imds_pending,
        i_no_profile,
        i_roleless,
        i_community,
        i_amazon,
        i_corp,
        i_refused,
        i_gone_image,
        i_terminated,
        stopped(
            "i-stopped-old-gmt",
            "User initiated (2026-09-01 10:00:00 GMT)",
            None,
        ),
        stopped(
            "i-stopped-recent-utc",
            "User initiated (2026-11-24 09:30:00 UTC)",
            Some("2025-01-01T00:00:00.000Z"),
        ),
        stopped(
            "i-stopped-launch-fallback",
            "",
            Some("2026-06-01T00:00:00.000Z"),
        ),
        stopped("i-stopped-unknown", "", None),
    ]);
    let mut refused = image(
        "ami-refused",
        "137112412989",
        Some("amazon"),
        "amzn2-ami-hvm-old",
    );
    refused.image_allowed = Some(false);
    r.instance_images = Some(vec![
        image("ami-golden", ACCOUNT, None, "golden-2026-11"),
        image(
            "ami-amzn",
            "137112412989",
            Some("amazon"),
            "al2023-ami-2023.6",
        ),
        image("ami-corp", "444455556666", None, "corp-base-2026-11"),
        image("ami-community", "999988887777", None, "fast-miner"),
        refused,
    ]);

    // C7 context: subnet-pub6 routes ::/0 to an IGW (explicit table),
    // subnet-eigw only to an egress-only IGW, the rest use the main table.
    r.subnets = Some(vec![
        subnet("subnet-private", "vpc-a"),
        subnet("subnet-pub6", "vpc-a"),
        subnet("subnet-eigw", "vpc-a"),
        subnet("subnet-web", "vpc-a"),
    ]);
    r.route_tables = Some(vec![
        route_table("rtb-main", true, &[], vec![]),
        route_table("rtb-pub6", false, &["subnet-pub6"], vec![v6_route("igw-1")]),
        route_table(
            "rtb-eigw",
            false,
            &["subnet-eigw"],
            vec![v6_route("eigw-1")],
        ),
    ]);

    // C10.
    r.addresses = Some(vec![
        address("eipalloc-unused", None, None, None),
        address("eipalloc-used", Some("eipassoc-1"), Some("i-good"), None),
        address("eipalloc-moto-blank", None, Some(""), None),
        address("eipalloc-nat", None, None, Some("nat")),
    ]);

    // C11.
    r.volumes = Some(vec![
        volume("vol-plain", false, "available"),
        volume("vol-enc", true, "in-use"),
        volume("vol-going", false, "deleted"),
    ]);

    // C12.
    r.vpcs = Some(vec![
        vpc("vpc-a", false),
        vpc("vpc-b", true),
        vpc("vpc-c", false),
        vpc("vpc-d", false),
        vpc("vpc-e", false),
    ]);
    r.flow_logs = Some(vec![
        flow_log("fl-a", "vpc-a", "ACTIVE", "REJECT", "SUCCESS"),
        flow_log("fl-b", "vpc-b", "ACTIVE", "ACCEPT", "SUCCESS"),
        flow_log("fl-c-subnet", "subnet-private", "ACTIVE", "ALL", "SUCCESS"),
        flow_log("fl-d", "vpc-d", "ACTIVE", "ALL", "FAILED"),
        flow_log("fl-e", "vpc-e", "ACTIVE", "ALL", "SUCCESS"),
    ]);
    r
}

/// us-east-2: the account-level settings' violating twins.
fn settings_region() -> RegionInventory {
    let mut r = RegionInventory::new("us-east-2");
    r.ebs_encryption_by_default = Some(false);
    r.serial_console_access = Some(SerialConsoleAccess {
        serial_console_access_enabled: true,
        managed_by: None,
    });
    r
}

/// A non-approved region holding an instance and an EIP, next to its
/// default VPC, security group and network ACL.
fn unapproved_with_resources() -> RegionInventory {
    let mut r = defaults_only("ap-south-1");
    r.instances = Some(vec![instance("i-miner")]);
    r.addresses = Some(vec![address("eipalloc-far", None, None, None)]);
    r
}

/// A region with only what AWS creates everywhere.
fn defaults_only(name: &str) -> RegionInventory {
    let mut r = RegionInventory::new(name);
    r.instances = Some(vec![]);
    r.volumes = Some(vec![]);
    r.snapshots = Some(vec![]);
    r.images = Some(vec![]);
    r.addresses = Some(vec![]);
    r.vpcs = Some(vec![vpc("vpc-default", true)]);
    r.security_groups = Some(vec![sg("sg-default", "default", "vpc-default", vec![])]);
    r.network_acls = Some(vec![nacl("acl-default", true, &[], vec![])]);
    r
}

fn denied() -> CollectError {
    CollectError {
        code: "UnauthorizedOperation".into(),
        message: "You are not authorized to perform this operation.".into(),
    }
}

/// us-west-2: every API was denied.
fn denied_region() -> RegionInventory {
    let mut r = RegionInventory::new("us-west-2");
    for api in [
        "DescribeSecurityGroups",
        "DescribeNetworkAcls",
        "GetEbsEncryptionByDefault",
        "DescribeSnapshots",
        "DescribeImages",
        "DescribeInstances",
        "GetSerialConsoleAccessStatus",
        "DescribeAddresses",
        "DescribeVolumes",
        "DescribeVpcs",
        "DescribeFlowLogs",
    ] {
        r.errors.insert(api.into(), denied());
    }
    r
}

/// ap-northeast-2 (not approved): DescribeInstances denied and nothing
/// else found, so C15 cannot say the region is clean.
fn unapproved_blind() -> RegionInventory {
    let mut r = defaults_only("ap-northeast-2");
    r.instances = None;
    r.errors.insert("DescribeInstances".into(), denied());
    r
}

fn inventory() -> Inventory {
    let mut inv = Inventory::new("2026-11-29T12:00:00Z");
    inv.accounts.push(AccountInventory {
        account_id: ACCOUNT.into(),
        partition: "aws".into(),
        role_arn: None,
        all_regions: None,
        instance_profiles: Some(vec![
            InstanceProfile {
                arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/app"),
                instance_profile_name: "app".into(),
                roles: vec!["app-role".into()],
            },
            InstanceProfile {
                arn: format!("arn:aws:iam::{ACCOUNT}:instance-profile/empty"),
                instance_profile_name: "empty".into(),
                roles: vec![],
            },
        ]),
        regions: vec![
            main_region(),
            settings_region(),
            unapproved_with_resources(),
            defaults_only("sa-east-1"),
            unapproved_blind(),
            denied_region(),
        ],
        errors: BTreeMap::new(),
    });
    inv
}

fn params() -> Params {
    Params {
        approved_images: vec![
            "ami-golden".into(),
            "amazon".into(),
            "name:corp-base-*".into(),
        ],
        ..Params::default()
    }
}

fn run(inv: &Inventory, params: &Params) -> Vec<Finding> {
    run_checks(&all_checks(), inv, params, now())
}

/// `resource → status` of one check in one region.
fn verdicts(findings: &[Finding], check: &str, region: &str) -> BTreeMap<String, Status> {
    let mut m = BTreeMap::new();
    for f in findings
        .iter()
        .filter(|f| f.check_id == check && f.region == region)
    {
        let dup = m.insert(f.resource_id.clone(), f.status);
        assert!(dup.is_none(), "{check} reported {} twice", f.resource_id);
    }
    m
}

fn expect(pairs: &[(&str, Status)]) -> BTreeMap<String, Status> {
    pairs.iter().map(|(r, s)| ((*r).to_string(), *s)).collect()
}

fn one<'a>(findings: &'a [Finding], check: &str, resource: &str) -> &'a Finding {
    let hits: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.check_id == check && f.resource_id == resource)
        .collect();
    assert_eq!(hits.len(), 1, "{check} {resource}: {hits:?}");
    hits[0]
}

use Status::{Fail, NotEvaluated as NotEval, Pass};

/// The live instances of us-east-1 that pass every instance check but the
/// one under test.
const COMPLIANT_INSTANCES: &[&str] = &[
    "i-good",
    "i-public",
    "i-eni-eip",
    "i-v6-igw",
    "i-v6-eigw",
    "i-imdsv1",
    "i-imds-off",
    "i-imds-pending",
    "i-no-profile",
    "i-roleless",
    "i-community",
    "i-amazon",
    "i-corp",
    "i-refused",
    "i-gone-image",
    "i-stopped-old-gmt",
    "i-stopped-recent-utc",
    "i-stopped-launch-fallback",
    "i-stopped-unknown",
];

/// Every live instance PASS except `exceptions`.
fn instances_pass_except(exceptions: &[(&str, Status)]) -> BTreeMap<String, Status> {
    let mut m: BTreeMap<String, Status> = COMPLIANT_INSTANCES
        .iter()
        .map(|i| ((*i).to_string(), Pass))
        .collect();
    for (i, s) in exceptions {
        m.insert((*i).to_string(), *s);
    }
    m
}

// ---- per check ----------------------------------------------------------------

#[test]
fn c1_fails_exactly_the_world_open_admin_ports() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_sg_open_admin_ports", "us-east-1"),
        expect(&[
            ("sg-ssh-world", Fail),
            ("sg-rdp-v6", Fail),
            ("sg-all-proto", Fail),
            ("sg-range", Fail),
            ("sg-udp", Fail),
            ("sg-prefix-world", Fail),
            ("sg-halves", Fail),
            ("sg-office", Pass),
            ("sg-https", Pass),
            ("sg-icmp", Pass),
            ("sg-peer", Pass),
            ("sg-prefix-office", Pass),
            ("sg-default-a", Pass),
            ("sg-default-b", Pass),
        ])
    );
    let pl = one(&f, "ec2_sg_open_admin_ports", "sg-prefix-world");
    assert!(
        pl.detail.contains("22/tcp") && pl.detail.contains("prefix list pl-world"),
        "{}",
        pl.detail
    );
    assert!(pl.evidence.contains_key("ManagedPrefixLists"));
    assert!(pl.evidence.contains_key("IpPermissions"));
    let v6 = one(&f, "ec2_sg_open_admin_ports", "sg-rdp-v6");
    assert!(v6.detail.contains("3389/tcp from ::/0"), "{}", v6.detail);
    assert_eq!(v6.severity, Severity::High);
    assert_eq!(v6.resource_type, "AwsEc2SecurityGroup");
    assert_eq!(
        v6.finding_id,
        format!("saker-ec2_sg_open_admin_ports-{ACCOUNT}-us-east-1-sg-rdp-v6")
    );
}

#[test]
fn c1_without_prefix_list_data_does_not_pass_groups_that_use_lists() {
    let mut inv = inventory();
    let r = &mut inv.accounts[0].regions[0];
    r.managed_prefix_lists = None;
    r.errors
        .insert("GetManagedPrefixListEntries".into(), denied());
    let f = run(&inv, &params());
    let v = verdicts(&f, "ec2_sg_open_admin_ports", "us-east-1");
    assert_eq!(v["sg-prefix-world"], NotEval);
    assert_eq!(v["sg-prefix-office"], NotEval);
    assert_eq!(v["sg-ssh-world"], Fail);
    assert_eq!(v["sg-office"], Pass);
    let d = &one(&f, "ec2_sg_open_admin_ports", "sg-prefix-office").detail;
    assert!(
        d.contains("pl-office") && d.contains("UnauthorizedOperation"),
        "{d}"
    );
}

#[test]
fn c2_fails_associated_nacls_whose_first_match_lets_the_internet_in() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_nacl_open_admin_ports", "us-east-1"),
        expect(&[
            ("acl-default", Fail),
            ("acl-v6-ssh", Fail),
            ("acl-deny-first", Pass),
            ("acl-web", Pass),
            ("acl-unused", Pass),
        ])
    );
    let d = &one(&f, "ec2_nacl_open_admin_ports", "acl-v6-ssh").detail;
    assert!(d.contains("22/tcp from ::/0 by rule 100"), "{d}");
    assert!(one(&f, "ec2_nacl_open_admin_ports", "acl-unused")
        .detail
        .contains("no subnet"));
}

#[test]
fn c3_fails_default_groups_with_any_rule_including_the_self_reference() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_sg_default_restricts_all", "us-east-1"),
        expect(&[("sg-default-a", Fail), ("sg-default-b", Pass)])
    );
    let d = &one(&f, "ec2_sg_default_restricts_all", "sg-default-a").detail;
    assert!(
        d.contains("self-reference") && d.contains("outbound"),
        "{d}"
    );
}

#[test]
fn c4_and_c9_are_region_settings() {
    let f = run(&inventory(), &params());
    for (check, bad) in [
        ("ec2_ebs_default_encryption", "EbsEncryptionByDefault"),
        ("ec2_serial_console_access", "SerialConsoleAccessEnabled"),
    ] {
        assert_eq!(
            verdicts(&f, check, "us-east-1"),
            expect(&[("us-east-1", Pass)])
        );
        assert_eq!(
            verdicts(&f, check, "us-east-2"),
            expect(&[("us-east-2", Fail)])
        );
        let e = f
            .iter()
            .find(|x| x.check_id == check && x.region == "us-east-2")
            .unwrap();
        assert_eq!(e.resource_type, "AwsAccount");
        assert!(e.evidence.contains_key(bad), "{:?}", e.evidence);
    }
}

#[test]
fn c5_fails_snapshots_restorable_by_all() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_ebs_snapshot_public", "us-east-1"),
        expect(&[
            ("snap-public", Fail),
            ("snap-private", Pass),
            ("snap-shared", Pass)
        ])
    );
    assert!(one(&f, "ec2_ebs_snapshot_public", "snap-shared")
        .detail
        .contains("444455556666"));
}

#[test]
fn c5_block_all_sharing_makes_public_snapshots_private_block_new_does_not() {
    let mut inv = inventory();
    inv.accounts[0].regions[0].snapshot_block_public_access = Some("block-all-sharing".into());
    let f = run(&inv, &params());
    assert_eq!(
        verdicts(&f, "ec2_ebs_snapshot_public", "us-east-1")["snap-public"],
        Pass
    );
    inv.accounts[0].regions[0].snapshot_block_public_access = Some("block-new-sharing".into());
    let f = run(&inv, &params());
    assert_eq!(
        verdicts(&f, "ec2_ebs_snapshot_public", "us-east-1")["snap-public"],
        Fail
    );
}

#[test]
fn c6_fails_the_accounts_public_images() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_ami_public", "us-east-1"),
        expect(&[("ami-own-public", Fail), ("ami-golden", Pass)])
    );
}

#[test]
fn c7_fails_public_ipv4_and_igw_routed_ipv6() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_instance_public_ip", "us-east-1"),
        instances_pass_except(&[("i-public", Fail), ("i-eni-eip", Fail), ("i-v6-igw", Fail)])
    );
    let d = &one(&f, "ec2_instance_public_ip", "i-v6-igw").detail;
    assert!(d.contains("2600:1f18::10") && d.contains("igw-1"), "{d}");
    assert!(one(&f, "ec2_instance_public_ip", "i-public")
        .detail
        .contains("54.1.2.3"));
}

#[test]
fn c7_cannot_clear_an_ipv6_instance_without_route_tables() {
    let mut inv = inventory();
    inv.accounts[0].regions[0].route_tables = None;
    let f = run(&inv, &params());
    let v = verdicts(&f, "ec2_instance_public_ip", "us-east-1");
    assert_eq!(v["i-v6-igw"], NotEval);
    assert_eq!(v["i-v6-eigw"], NotEval);
    assert_eq!(v["i-public"], Fail);
    assert_eq!(v["i-good"], Pass);
}

#[test]
fn c8_fails_imdsv1_and_not_yet_applied_requirements() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_instance_imdsv2_required", "us-east-1"),
        instances_pass_except(&[("i-imdsv1", Fail), ("i-imds-pending", Fail)])
    );
    let e = &one(&f, "ec2_instance_imdsv2_required", "i-imdsv1").evidence;
    assert_eq!(e["MetadataOptions.HttpTokens"], "optional");
    assert!(one(&f, "ec2_instance_imdsv2_required", "i-imds-off")
        .detail
        .contains("HttpEndpoint=disabled"));
}

#[test]
fn c13_fails_instances_without_a_profile_or_with_a_roleless_one() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_instance_profile_attached", "us-east-1"),
        instances_pass_except(&[("i-no-profile", Fail), ("i-roleless", Fail)])
    );
}

#[test]
fn c13_without_iam_data_fails_what_it_can_and_evaluates_nothing_else() {
    let mut inv = inventory();
    inv.accounts[0].instance_profiles = None;
    inv.accounts[0]
        .errors
        .insert("ListInstanceProfiles".into(), denied());
    let f = run(&inv, &params());
    let v = verdicts(&f, "ec2_instance_profile_attached", "us-east-1");
    assert_eq!(v["i-no-profile"], Fail);
    assert_eq!(v["i-good"], NotEval);
    assert_eq!(v["i-roleless"], NotEval);
}

#[test]
fn c14_fails_instances_stopped_longer_than_the_limit() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_instance_stopped_too_long", "us-east-1"),
        expect(&[
            ("i-stopped-old-gmt", Fail),
            ("i-stopped-recent-utc", Pass),
            ("i-stopped-launch-fallback", Fail),
            ("i-stopped-unknown", NotEval),
        ])
    );
    let d = &one(
        &f,
        "ec2_instance_stopped_too_long",
        "i-stopped-launch-fallback",
    )
    .detail;
    assert!(d.contains("LaunchTime"), "{d}");
    // The recent one was launched long ago: the stop time, not the launch, counts.
    let d = &one(&f, "ec2_instance_stopped_too_long", "i-stopped-recent-utc").detail;
    assert!(d.contains("2026-11-24 09:30:00 UTC"), "{d}");
    // A longer limit clears the old stop.
    let lenient = Params {
        max_stopped_days: 120,
        ..params()
    };
    let f = run(&inventory(), &lenient);
    assert_eq!(
        verdicts(&f, "ec2_instance_stopped_too_long", "us-east-1")["i-stopped-old-gmt"],
        Pass
    );
}

#[test]
fn c10_fails_unassociated_addresses_and_skips_service_managed_ones() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_eip_unused", "us-east-1"),
        expect(&[
            ("eipalloc-unused", Fail),
            ("eipalloc-used", Pass),
            ("eipalloc-moto-blank", Fail),
        ])
    );
}

#[test]
fn c11_fails_unencrypted_volumes() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_ebs_volume_encrypted", "us-east-1"),
        expect(&[("vol-plain", Fail), ("vol-enc", Pass)])
    );
}

#[test]
fn c12_needs_an_active_vpc_level_log_of_rejected_traffic() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "vpc_flow_logs_enabled", "us-east-1"),
        expect(&[
            ("vpc-a", Pass),
            ("vpc-b", Fail),
            ("vpc-c", Fail),
            ("vpc-d", Fail),
            ("vpc-e", Pass),
        ])
    );
    assert!(one(&f, "vpc_flow_logs_enabled", "vpc-b")
        .detail
        .contains("TrafficType=ACCEPT"));
    assert!(one(&f, "vpc_flow_logs_enabled", "vpc-d")
        .detail
        .contains("DeliverLogsStatus=FAILED"));
}

#[test]
fn c15_fails_unapproved_regions_holding_resources() {
    let f = run(&inventory(), &params());
    let c15: BTreeMap<String, Status> = f
        .iter()
        .filter(|x| x.check_id == "ec2_region_approved")
        .map(|x| (x.region.clone(), x.status))
        .collect();
    assert_eq!(
        c15,
        expect(&[
            ("us-east-1", Pass),
            ("us-east-2", Pass),
            ("ap-south-1", Fail),
            ("sa-east-1", Pass),
            ("ap-northeast-2", NotEval),
            ("us-west-2", Pass),
        ])
    );
    let bad = one(&f, "ec2_region_approved", "ap-south-1");
    assert!(
        bad.detail.contains("i-miner") && bad.detail.contains("eipalloc-far"),
        "{}",
        bad.detail
    );
    assert_eq!(bad.evidence["Resources"]["Instances"][0], "i-miner");
    assert!(
        bad.evidence["Resources"].get("Vpcs").is_none(),
        "default VPCs are not counted"
    );
}

#[test]
fn c16_approves_by_id_owner_alias_and_name_glob() {
    let f = run(&inventory(), &params());
    assert_eq!(
        verdicts(&f, "ec2_instance_image_approved", "us-east-1"),
        instances_pass_except(&[
            ("i-community", Fail),
            ("i-refused", Fail),
            ("i-gone-image", Fail),
        ])
    );
    assert!(one(&f, "ec2_instance_image_approved", "i-gone-image")
        .detail
        .contains("unknown image"));
    assert!(one(&f, "ec2_instance_image_approved", "i-refused")
        .detail
        .contains("ImageAllowed=false"));
    // Owner account ids approve too.
    let by_owner = Params {
        approved_images: vec!["999988887777".into()],
        ..params()
    };
    let f = run(&inventory(), &by_owner);
    let v = verdicts(&f, "ec2_instance_image_approved", "us-east-1");
    assert_eq!(v["i-community"], Pass);
    assert_eq!(v["i-good"], Fail);
}

#[test]
fn c16_with_no_list_only_fails_unknown_and_refused_images() {
    let open = Params {
        approved_images: vec![],
        ..params()
    };
    let f = run(&inventory(), &open);
    assert_eq!(
        verdicts(&f, "ec2_instance_image_approved", "us-east-1"),
        instances_pass_except(&[("i-refused", Fail), ("i-gone-image", Fail)])
    );
}

// ---- missing data -------------------------------------------------------------

#[test]
fn a_region_whose_apis_failed_gets_one_not_evaluated_per_check_and_no_pass() {
    let f = run(&inventory(), &params());
    let here: Vec<&Finding> = f.iter().filter(|x| x.region == "us-west-2").collect();
    for check in all_checks() {
        let id = check.meta().id;
        let mine: Vec<&&Finding> = here.iter().filter(|x| x.check_id == id).collect();
        assert_eq!(mine.len(), 1, "{id}: {mine:?}");
        if id == "ec2_region_approved" {
            // An approved region passes C15 whatever it holds.
            assert_eq!(mine[0].status, Pass);
            continue;
        }
        assert_eq!(mine[0].status, NotEval, "{id}");
        assert_eq!(mine[0].resource_id, "us-west-2");
        assert!(
            mine[0].detail.contains("UnauthorizedOperation"),
            "{id}: {}",
            mine[0].detail
        );
    }
}

#[test]
fn data_never_collected_and_no_error_recorded_is_not_evaluated_too() {
    // us-east-2 only has the two settings: everything else is None with no
    // error entry.
    let f = run(&inventory(), &params());
    let sg = f
        .iter()
        .find(|x| x.check_id == "ec2_sg_open_admin_ports" && x.region == "us-east-2")
        .unwrap();
    assert_eq!(sg.status, NotEval);
    assert!(sg.detail.contains("NotCollected"), "{}", sg.detail);
}

#[test]
fn the_checks_run_the_same_on_a_saved_and_reloaded_inventory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("inventory.json");
    let inv = inventory();
    inv.save(&path).unwrap();
    let back = Inventory::load(&path).unwrap();
    assert_eq!(run(&back, &params()), run(&inv, &params()));
}

// ---- metadata -----------------------------------------------------------------

#[test]
fn sixteen_checks_in_order_with_complete_metadata() {
    let checks = all_checks();
    let ids: Vec<(&str, &str)> = checks
        .iter()
        .map(|c| (c.meta().short_id, c.meta().id))
        .collect();
    assert_eq!(
        ids,
        vec![
            ("C1", "ec2_sg_open_admin_ports"),
            ("C2", "ec2_nacl_open_admin_ports"),
            ("C3", "ec2_sg_default_restricts_all"),
            ("C4", "ec2_ebs_default_encryption"),
            ("C5", "ec2_ebs_snapshot_public"),
            ("C6", "ec2_ami_public"),
            ("C7", "ec2_instance_public_ip"),
            ("C8", "ec2_instance_imdsv2_required"),
            ("C9", "ec2_serial_console_access"),
            ("C10", "ec2_eip_unused"),
            ("C11", "ec2_ebs_volume_encrypted"),
            ("C12", "vpc_flow_logs_enabled"),
            ("C13", "ec2_instance_profile_attached"),
            ("C14", "ec2_instance_stopped_too_long"),
            ("C15", "ec2_region_approved"),
            ("C16", "ec2_instance_image_approved"),
        ]
    );
    for c in &checks {
        let m = c.meta();
        for (what, text) in [
            ("title", m.title),
            ("resource_type", m.resource_type),
            ("rationale", m.rationale),
            ("remediation_cli", m.remediation_cli),
            ("remediation_console", m.remediation_console),
            ("api_fields", m.api_fields),
        ] {
            assert!(!text.trim().is_empty(), "{} has no {what}", m.id);
        }
        assert!(m.remediation_cli.contains("aws "), "{}", m.id);
        assert!(!m.needs.is_empty(), "{}", m.id);
        for api in m.needs {
            assert!(
                m.api_fields.contains(api),
                "{}: {api} not in api_fields",
                m.id
            );
        }
    }
    assert_eq!(
        check_by_id("c12").unwrap().meta().id,
        "vpc_flow_logs_enabled"
    );
    assert_eq!(check_by_id("ec2_ami_public").unwrap().meta().short_id, "C6");
    assert!(check_by_id("C17").is_none());
}

// ---- parameters from rules files ----------------------------------------------

fn builtin_rules() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../rules/aws_ec2.yaml")
}

#[test]
fn params_from_the_builtin_rules_alone_are_the_defaults() {
    let p = Params::from_rules_files(&[builtin_rules()]).unwrap();
    assert_eq!(p, Params::default());
    assert!(p.approved_regions.contains(&"us-east-1".to_string()));
    assert!(p.approved_images.is_empty());
}

#[test]
fn a_users_file_overrides_appends_and_adds_posture_lists() {
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local.yaml");
    std::fs::write(
        &local,
        r#"
- list: ec2_approved_regions
  items: [eu-west-1, eu-central-1]
  override:
    items: replace

- list: golden_images
  items: [ami-0123456789abcdef0]

- list: ec2_approved_images
  items: [golden_images, amazon, "name:corp base *"]
  override:
    items: append

- list: posture_admin_ports
  items: [3389, 22, 5985, 22]

- list: posture_max_stopped_days
  items: [14]
"#,
    )
    .unwrap();
    let p = Params::from_rules_files(&[builtin_rules(), local]).unwrap();
    assert_eq!(p.approved_regions, vec!["eu-west-1", "eu-central-1"]);
    assert_eq!(
        p.approved_images,
        vec!["ami-0123456789abcdef0", "amazon", "name:corp base *"]
    );
    assert_eq!(p.admin_ports, vec![22, 3389, 5985]);
    assert_eq!(p.max_stopped_days, 14);

    // The loaded parameters drive the checks: us-east-1 is no longer
    // approved and holds resources; WinRM (5985) now counts.
    let mut inv = inventory();
    inv.accounts[0].regions[0]
        .security_groups
        .as_mut()
        .unwrap()
        .push(sg(
            "sg-winrm",
            "winrm",
            "vpc-a",
            vec![from_v4(perm("tcp", Some((5985, 5986))), "0.0.0.0/0")],
        ));
    let f = run(&inv, &p);
    assert_eq!(one(&f, "ec2_region_approved", "us-east-1").status, Fail);
    assert_eq!(
        verdicts(&f, "ec2_sg_open_admin_ports", "us-east-1")["sg-winrm"],
        Fail
    );
}

#[test]
fn bad_parameter_lists_name_the_file_and_list() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "- list: posture_admin_ports\n  items: [22, ssh]\n",
            "posture_admin_ports",
            "\"ssh\"",
        ),
        (
            "- list: posture_admin_ports\n  items: [70000]\n",
            "posture_admin_ports",
            "70000",
        ),
        (
            "- list: posture_max_stopped_days\n  items: [7, 30]\n",
            "posture_max_stopped_days",
            "exactly one",
        ),
        (
            "- list: posture_max_stopped_days\n  items: [-3]\n",
            "posture_max_stopped_days",
            "\"-3\"",
        ),
        (
            "- list: ec2_approved_regions\n  items: [\"eu west 1\"]\n",
            "ec2_approved_regions",
            "region",
        ),
    ];
    for (i, (text, list, needle)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.yaml"));
        std::fs::write(&path, text).unwrap();
        let err = Params::from_rules_files(&[builtin_rules(), path.clone()]).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, ParamsError::BadList { .. }), "{msg}");
        assert!(msg.contains(&format!("bad{i}.yaml:1:")), "{msg}");
        assert!(msg.contains(list) && msg.contains(needle), "{msg}");
    }
}

#[test]
fn unusable_rules_files_are_an_error_with_their_location() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let err = Params::from_rules_files(&[missing]).unwrap_err();
    assert!(matches!(err, ParamsError::Rules(_)));
    assert!(err.to_string().contains("nope.yaml"), "{err}");

    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "- list: posture_admin_ports\n  items: [22\n").unwrap();
    let err = Params::from_rules_files(&[broken]).unwrap_err();
    assert!(err.to_string().contains("broken.yaml"), "{err}");
}
