//! The attack of the demo day: the `svc-backup` IAM user's access keys are
//! used from an unusual address. The intruder looks around, opens SSH to the
//! world on the web security group, disables EBS encryption by default,
//! launches an instance from an unknown image in an unused region,
//! snapshots the database volume and makes the snapshot public, then closes
//! SSH again 40 minutes after opening it.

use crate::estate::{res_id, Estate};
use crate::json::{s, J};
use crate::record::{Actor, Call, ACCOUNT_ID};
use crate::rng::Rng;

/// The intruder's address (documentation range, never routed).
pub const ATTACKER_IP: &str = "198.51.100.200";
/// The unused region the intruder launches in.
pub const ATTACK_REGION: &str = "ap-southeast-3";

fn ua(command: &str) -> String {
    format!(
        "aws-cli/2.13.5 Python/3.11.4 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023 prompt/off command/{command}"
    )
}

/// A RunInstances call (successful) with its response.
pub fn run_instances(
    rng: &mut Rng,
    e: &Estate,
    t: i64,
    region: &str,
    actor: &Actor,
    image: &str,
    instance_type: &str,
) -> Call {
    let instance = res_id(rng, "i");
    let ip = format!(
        "10.{}.{}.{}",
        rng.range(50, 90),
        rng.range(1, 3),
        rng.range(10, 250)
    );
    let az = format!("{region}a");
    Call::new(t, "ec2.amazonaws.com", "RunInstances", region, actor)
        .req(J::obj([
            (
                "instancesSet",
                J::items(vec![J::obj([
                    ("imageId", s(image)),
                    ("minCount", J::Int(1)),
                    ("maxCount", J::Int(1)),
                ])]),
            ),
            ("instanceType", s(instance_type)),
            ("blockDeviceMapping", J::obj::<&str>([])),
            ("monitoring", J::obj([("enabled", J::Bool(false))])),
            ("disableApiTermination", J::Bool(false)),
            ("disableApiStop", J::Bool(false)),
            ("clientToken", s(rng.uuid())),
        ]))
        .resp(J::obj([
            ("requestId", s(rng.uuid())),
            ("reservationId", s(res_id(rng, "r"))),
            ("ownerId", s(ACCOUNT_ID)),
            ("groupSet", J::obj::<&str>([])),
            (
                "instancesSet",
                J::items(vec![J::obj([
                    ("instanceId", s(&instance)),
                    ("imageId", s(image)),
                    (
                        "instanceState",
                        J::obj([("code", J::Int(0)), ("name", s("pending"))]),
                    ),
                    (
                        "privateDnsName",
                        s(format!(
                            "ip-{}.{region}.compute.internal",
                            ip.replace('.', "-")
                        )),
                    ),
                    ("amiLaunchIndex", J::Int(0)),
                    ("productCodes", J::obj::<&str>([])),
                    ("instanceType", s(instance_type)),
                    ("launchTime", J::Int(t * 1000)),
                    (
                        "placement",
                        J::obj([("availabilityZone", s(&az)), ("tenancy", s("default"))]),
                    ),
                    ("monitoring", J::obj([("state", s("disabled"))])),
                    (
                        "subnetId",
                        s(if region == "us-east-1" {
                            e.subnet.clone()
                        } else {
                            res_id(rng, "subnet")
                        }),
                    ),
                    ("privateIpAddress", s(&ip)),
                    (
                        "architecture",
                        s(if instance_type.contains('g') {
                            "arm64"
                        } else {
                            "x86_64"
                        }),
                    ),
                    ("rootDeviceType", s("ebs")),
                    ("rootDeviceName", s("/dev/xvda")),
                    ("hypervisor", s("xen")),
                ])]),
            ),
        ]))
}

fn ingress(e: &Estate, rng: &mut Rng, grant: bool) -> (J, J) {
    let req = J::obj([
        ("groupId", s(&e.web_sg)),
        (
            "ipPermissions",
            J::items(vec![J::obj([
                ("ipProtocol", s("tcp")),
                ("fromPort", J::Int(22)),
                ("toPort", J::Int(22)),
                ("groups", J::obj::<&str>([])),
                (
                    "ipRanges",
                    J::items(vec![J::obj([("cidrIp", s("0.0.0.0/0"))])]),
                ),
                ("ipv6Ranges", J::obj::<&str>([])),
                ("prefixListIds", J::obj::<&str>([])),
            ])]),
        ),
    ]);
    let resp = if grant {
        crate::traffic::sg_rule_response(rng, &e.web_sg, "tcp", 22, "cidrIpv4", "0.0.0.0/0")
    } else {
        J::obj([("requestId", s(rng.uuid())), ("_return", J::Bool(true))])
    };
    (req, resp)
}

/// The attack's calls, each with a short label, in story order. `start` is
/// the first call (Unix seconds).
pub fn attack(rng: &mut Rng, e: &Estate, start: i64) -> Vec<(&'static str, Call)> {
    let who = &e.backup_user;
    let home = "us-east-1";
    let mut v = Vec::new();
    let at = |m: i64, sec: i64| start + m * 60 + sec;

    v.push((
        "recon: whoami",
        Call::new(
            at(0, 0),
            "sts.amazonaws.com",
            "GetCallerIdentity",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("sts.get-caller-identity")),
    ));
    v.push((
        "recon: list instances",
        Call::new(
            at(1, 12),
            "ec2.amazonaws.com",
            "DescribeInstances",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.describe-instances"))
        .req(J::obj([
            ("instancesSet", J::obj::<&str>([])),
            ("filterSet", J::obj::<&str>([])),
        ])),
    ));
    v.push((
        "recon: list security groups",
        Call::new(
            at(2, 40),
            "ec2.amazonaws.com",
            "DescribeSecurityGroups",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.describe-security-groups"))
        .req(J::obj([
            ("securityGroupSet", J::obj::<&str>([])),
            ("filterSet", J::obj::<&str>([])),
        ])),
    ));
    let (req, resp) = ingress(e, rng, true);
    v.push((
        "ssh opened to 0.0.0.0/0",
        Call::new(
            at(4, 5),
            "ec2.amazonaws.com",
            "AuthorizeSecurityGroupIngress",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.authorize-security-group-ingress"))
        .req(req)
        .resp(resp),
    ));
    v.push((
        "windows password probe (denied)",
        Call::new(at(6, 30), "ec2.amazonaws.com", "GetPasswordData", home, who)
            .from(ATTACKER_IP, &ua("ec2.get-password-data"))
            .req(J::obj([("instanceId", s(&e.instances[2].id))]))
            .failed(
                "Client.UnauthorizedOperation",
                &format!(
                    "You are not authorized to perform this operation. User: arn:aws:iam::{ACCOUNT_ID}:user/svc-backup is not authorized to perform: ec2:GetPasswordData on resource: arn:aws:ec2:us-east-1:{ACCOUNT_ID}:instance/{} because no identity-based policy allows the ec2:GetPasswordData action",
                    e.instances[2].id
                ),
            ),
    ));
    v.push((
        "EBS encryption by default disabled",
        Call::new(
            at(12, 48),
            "ec2.amazonaws.com",
            "DisableEbsEncryptionByDefault",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.disable-ebs-encryption-by-default"))
        .req(J::obj([("DisableEbsEncryptionByDefaultRequest", s(""))]))
        .resp(J::obj([(
            "DisableEbsEncryptionByDefaultResponse",
            J::obj([
                ("xmlns", s("http://ec2.amazonaws.com/doc/2016-11-15/")),
                ("requestId", s(rng.uuid())),
                ("ebsEncryptionByDefault", J::Bool(false)),
            ]),
        )])),
    ));
    let unknown_image = res_id(rng, "ami");
    v.push((
        "instance from unknown image in unused region",
        run_instances(
            rng,
            e,
            at(17, 3),
            ATTACK_REGION,
            who,
            &unknown_image,
            "c6i.8xlarge",
        )
        .from(ATTACKER_IP, &ua("ec2.run-instances")),
    ));
    let snap = res_id(rng, "snap");
    v.push((
        "database volume snapshot",
        Call::new(at(22, 19), "ec2.amazonaws.com", "CreateSnapshot", home, who)
            .from(ATTACKER_IP, &ua("ec2.create-snapshot"))
            .req(J::obj([("volumeId", s(&e.db_volume))]))
            .resp(J::obj([
                ("requestId", s(rng.uuid())),
                ("snapshotId", s(&snap)),
                ("volumeId", s(&e.db_volume)),
                ("status", s("pending")),
                ("startTime", J::Int(at(22, 19) * 1000)),
                ("progress", s("")),
                ("ownerId", s(ACCOUNT_ID)),
                ("volumeSize", J::Int(200)),
                ("encrypted", J::Bool(true)),
            ])),
    ));
    v.push((
        "snapshot made public",
        Call::new(
            at(31, 55),
            "ec2.amazonaws.com",
            "ModifySnapshotAttribute",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.modify-snapshot-attribute"))
        .req(J::obj([
            ("snapshotId", s(&snap)),
            (
                "createVolumePermission",
                J::obj([("add", J::items(vec![J::obj([("group", s("all"))])]))]),
            ),
            ("attributeType", s("CREATE_VOLUME_PERMISSION")),
        ]))
        .resp(J::obj([
            ("requestId", s(rng.uuid())),
            ("_return", J::Bool(true)),
        ])),
    ));
    let (req, resp) = ingress(e, rng, false);
    v.push((
        "ssh closed again",
        Call::new(
            at(44, 5),
            "ec2.amazonaws.com",
            "RevokeSecurityGroupIngress",
            home,
            who,
        )
        .from(ATTACKER_IP, &ua("ec2.revoke-security-group-ingress"))
        .req(req)
        .resp(resp),
    ));
    v
}
