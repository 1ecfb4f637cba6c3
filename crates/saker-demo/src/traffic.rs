//! Routine traffic of the demo day: AWS services and agents, console
//! administrators, CI pipelines and the nightly backup job.

use crate::estate::{res_id, Estate};
use crate::json::{s, J};
use crate::record::{role_arn, Actor, Call, ACCOUNT_ID};
use crate::rng::Rng;
use crate::time::Utc;

const SSM_UA: &str = "aws-sdk-go/1.55.5 (go1.22.8; linux; amd64) amazon-ssm-agent/3.3.1142.0";
const CONSOLE_UA: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
const CI_UA: &str = "aws-sdk-js/3.687.0 ua/2.1 os/linux#6.5.0-1025-azure lang/js md/nodejs#20.18.0 api/ecs#3.687.0 m/E";
const BACKUP_UA: &str = "aws-cli/2.18.11 md/awscrt#0.22.0 ua/2.0 os/linux#6.1.112-124.190.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off md/command#ec2.create-snapshot";

const DAY: i64 = 86_400;
const FIVE_MIN: i64 = 300;

/// All routine calls of the day starting at `day` (Unix seconds, midnight UTC).
pub fn routine(rng: &mut Rng, estate: &Estate, day: i64) -> Vec<Call> {
    let mut calls = Vec::new();
    agents_and_services(rng, estate, day, &mut calls);
    admins(rng, estate, day, &mut calls);
    ci_pipelines(rng, estate, day, &mut calls);
    backup_job(rng, estate, day, &mut calls);
    autoscaling(rng, estate, day, &mut calls);
    calls
}

fn agents_and_services(rng: &mut Rng, e: &Estate, day: i64, out: &mut Vec<Call>) {
    let created = Utc::from_unix(day).event_time();
    for inst in &e.instances {
        let actor = e.instance_actor(rng, inst, &created);
        let ip = inst.private_ip.as_str();
        // SSM agent heartbeat every five minutes.
        let offset = rng.below(FIVE_MIN as u64) as i64;
        let mut t = day + offset;
        while t < day + DAY {
            let host = format!("ip-{}.{}", ip.replace('.', "-"), inst.region);
            out.push(
                Call::new(
                    t,
                    "ssm.amazonaws.com",
                    "UpdateInstanceInformation",
                    inst.region,
                    &actor,
                )
                .from(ip, SSM_UA)
                .req(J::obj([
                    ("instanceId", s(&inst.id)),
                    ("agentVersion", s("3.3.1142.0")),
                    ("agentStatus", s("Active")),
                    ("platformType", s("Linux")),
                    ("platformName", s("Amazon Linux")),
                    ("platformVersion", s("2023")),
                    ("iPAddress", s(ip)),
                    ("computerName", s(format!("{host}.compute.internal"))),
                    ("agentName", s("amazon-ssm-agent")),
                    ("availabilityZone", s(&inst.az)),
                ])),
            );
            t += FIVE_MIN + rng.below(3) as i64 - 1;
        }
        // EC2 refreshes the instance-profile credentials about every hour.
        for hour in 0..24 {
            let t = day + hour * 3600 + rng.below(3600) as i64;
            let mut call = Call::new(
                t,
                "sts.amazonaws.com",
                "AssumeRole",
                inst.region,
                &Actor::Service {
                    invoked_by: "ec2.amazonaws.com".into(),
                },
            )
            .from("ec2.amazonaws.com", "ec2.amazonaws.com")
            .internal()
            .req(J::obj([
                ("roleArn", s(role_arn(e.instance_role))),
                ("roleSessionName", s(&inst.id)),
            ]))
            .resp(J::obj([
                (
                    "credentials",
                    J::obj([
                        ("accessKeyId", s(format!("ASIA{}", rng.upper_b32(16)))),
                        (
                            "sessionToken",
                            s(format!("IQoJb3JpZ2luX2VjE{}", rng.alnum(48))),
                        ),
                        ("expiration", s(Utc::from_unix(t + 6 * 3600).event_time())),
                    ]),
                ),
                (
                    "assumedRoleUser",
                    J::obj([
                        (
                            "assumedRoleId",
                            s(format!("{}:{}", e.instance_role_id, inst.id)),
                        ),
                        (
                            "arn",
                            s(format!(
                                "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{}/{}",
                                e.instance_role, inst.id
                            )),
                        ),
                    ]),
                ),
            ]));
            call.read_only = true;
            call.resources = vec![("AWS::IAM::Role".into(), role_arn(e.instance_role))];
            out.push(call);
        }
    }
    // Applications read their database secret: KMS decrypts on behalf of
    // Secrets Manager.
    for inst in e
        .instances
        .iter()
        .filter(|i| i.name.starts_with("web") || i.name.starts_with("app"))
    {
        let mut actor = e.instance_actor(rng, inst, &created);
        if let Actor::Role { invoked_by, .. } = &mut actor {
            *invoked_by = Some("secretsmanager.amazonaws.com".into());
        }
        let key_arn = format!("arn:aws:kms:{}:{ACCOUNT_ID}:key/{}", inst.region, e.kms_key);
        let secret = format!(
            "arn:aws:secretsmanager:{}:{ACCOUNT_ID}:secret:prod/db-{}",
            inst.region,
            rng.alnum(6)
        );
        let mut t = day + rng.below(900) as i64;
        while t < day + DAY {
            let mut call = Call::new(t, "kms.amazonaws.com", "Decrypt", inst.region, &actor)
                .from(
                    "secretsmanager.amazonaws.com",
                    "secretsmanager.amazonaws.com",
                )
                .internal()
                .req(J::obj([
                    (
                        "encryptionContext",
                        J::obj([
                            ("SecretARN", s(&secret)),
                            ("SecretVersionId", s(rng.uuid())),
                        ]),
                    ),
                    ("encryptionAlgorithm", s("SYMMETRIC_DEFAULT")),
                ]));
            call.resources = vec![("AWS::KMS::Key".into(), key_arn.clone())];
            out.push(call);
            t += 600 + rng.below(1200) as i64;
        }
    }
    // AWS Config records the EC2 configuration every hour in both regions.
    for region in crate::estate::HOME_REGIONS {
        let actor = Actor::Role {
            role: "AWSServiceRoleForConfig".into(),
            role_id: e.config_role_id.clone(),
            session: "AWSConfig-Describe".into(),
            access_key: format!("ASIA{}", rng.upper_b32(16)),
            mfa: false,
            created: created.clone(),
            invoked_by: Some("config.amazonaws.com".into()),
        };
        for hour in 0..24 {
            let t = day + hour * 3600 + rng.below(300) as i64;
            for (i, name) in [
                "DescribeInstances",
                "DescribeSecurityGroups",
                "DescribeVolumes",
            ]
            .iter()
            .enumerate()
            {
                let req = match *name {
                    "DescribeInstances" => J::obj([
                        ("instancesSet", J::obj::<&str>([])),
                        ("filterSet", J::obj::<&str>([])),
                    ]),
                    "DescribeSecurityGroups" => J::obj([
                        ("securityGroupSet", J::obj::<&str>([])),
                        ("securityGroupIdSet", J::obj::<&str>([])),
                        ("filterSet", J::obj::<&str>([])),
                    ]),
                    _ => J::obj([
                        ("volumeSet", J::obj::<&str>([])),
                        ("filterSet", J::obj::<&str>([])),
                    ]),
                };
                out.push(
                    Call::new(
                        t + i as i64 * 2,
                        "ec2.amazonaws.com",
                        name_static(name),
                        region,
                        &actor,
                    )
                    .from("config.amazonaws.com", "config.amazonaws.com")
                    .internal()
                    .req(req),
                );
            }
        }
    }
    // CloudTrail checks its bucket ACL before delivering.
    for hour in 0..24 {
        let t = day + hour * 3600 + rng.below(3600) as i64;
        let mut call = Call::new(
            t,
            "s3.amazonaws.com",
            "GetBucketAcl",
            "us-east-1",
            &Actor::Service {
                invoked_by: "cloudtrail.amazonaws.com".into(),
            },
        )
        .from("cloudtrail.amazonaws.com", "cloudtrail.amazonaws.com")
        .internal()
        .req(J::obj([
            ("bucketName", s("examplecorp-cloudtrail-logs")),
            (
                "Host",
                s("examplecorp-cloudtrail-logs.s3.us-east-1.amazonaws.com"),
            ),
            ("acl", s("")),
        ]));
        call.resources = vec![(
            "AWS::S3::Bucket".into(),
            "arn:aws:s3:::examplecorp-cloudtrail-logs".into(),
        )];
        out.push(call);
    }
}

fn name_static(n: &str) -> &'static str {
    match n {
        "DescribeInstances" => "DescribeInstances",
        "DescribeSecurityGroups" => "DescribeSecurityGroups",
        "DescribeVolumes" => "DescribeVolumes",
        "DescribeVpcs" => "DescribeVpcs",
        "DescribeAlarms" => "DescribeAlarms",
        "LookupEvents" => "LookupEvents",
        "ListBuckets" => "ListBuckets",
        _ => "DescribeInstances",
    }
}

fn admins(rng: &mut Rng, e: &Estate, day: i64, out: &mut Vec<Call>) {
    // Office hours in Japan: 00:00-09:00 UTC.
    for (actor, ip) in &e.admins {
        let mut t = day + 30 * 60 + rng.below(90 * 60) as i64;
        let mut login = Call::new(
            t,
            "signin.amazonaws.com",
            "ConsoleLogin",
            "us-east-1",
            actor,
        )
        .from(ip, CONSOLE_UA)
        .resp(J::obj([("ConsoleLogin", s("Success"))]));
        login.event_type = "AwsConsoleSignIn";
        login.read_only = false;
        login.additional = Some(J::obj([(
            "additionalEventData",
            J::obj([("MobileVersion", s("No")), ("MFAUsed", s("Yes"))]),
        )]));
        out.push(login);
        let sessions = rng.range(4, 7);
        for _ in 0..sessions {
            t += rng.range(15 * 60, 80 * 60) as i64;
            if t > day + 9 * 3600 {
                break;
            }
            let region = *rng.pick(crate::estate::HOME_REGIONS);
            for _ in 0..rng.range(3, 8) {
                t += rng.range(2, 40) as i64;
                let (src, name) = *rng.pick(&[
                    ("ec2.amazonaws.com", "DescribeInstances"),
                    ("ec2.amazonaws.com", "DescribeSecurityGroups"),
                    ("ec2.amazonaws.com", "DescribeVpcs"),
                    ("ec2.amazonaws.com", "DescribeVolumes"),
                    ("monitoring.amazonaws.com", "DescribeAlarms"),
                    ("cloudtrail.amazonaws.com", "LookupEvents"),
                    ("s3.amazonaws.com", "ListBuckets"),
                ]);
                let req = match name {
                    "DescribeInstances" => J::obj([
                        ("maxResults", J::Int(50)),
                        ("instancesSet", J::obj::<&str>([])),
                        ("filterSet", J::obj::<&str>([])),
                    ]),
                    "LookupEvents" => J::obj([("maxResults", J::Int(50))]),
                    "ListBuckets" => J::obj([("Host", s("s3.amazonaws.com"))]),
                    "DescribeAlarms" => J::obj([("maxRecords", J::Int(100))]),
                    _ => J::obj([("filterSet", J::obj::<&str>([]))]),
                };
                let mut call = Call::new(t, src, name, region, actor)
                    .from(ip, CONSOLE_UA)
                    .req(req);
                call.console = true;
                out.push(call);
            }
        }
    }
    // One planned change: HTTPS opened to the world on the web security group.
    let (actor, ip) = &e.admins[0];
    let t = day + 5 * 3600 + rng.below(1800) as i64;
    let mut call = Call::new(
        t,
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        "us-east-1",
        actor,
    )
    .from(ip, CONSOLE_UA)
    .req(J::obj([
        ("groupId", s(&e.web_sg)),
        (
            "ipPermissions",
            J::items(vec![J::obj([
                ("ipProtocol", s("tcp")),
                ("fromPort", J::Int(443)),
                ("toPort", J::Int(443)),
                ("groups", J::obj::<&str>([])),
                (
                    "ipRanges",
                    J::items(vec![J::obj([
                        ("cidrIp", s("0.0.0.0/0")),
                        ("description", s("public HTTPS")),
                    ])]),
                ),
                ("ipv6Ranges", J::obj::<&str>([])),
                ("prefixListIds", J::obj::<&str>([])),
            ])]),
        ),
    ]))
    .resp(sg_rule_response(
        rng,
        &e.web_sg,
        "tcp",
        443,
        "cidrIpv4",
        "0.0.0.0/0",
    ));
    call.console = true;
    out.push(call);
}

/// `responseElements` of a successful AuthorizeSecurityGroupIngress.
pub fn sg_rule_response(
    rng: &mut Rng,
    group: &str,
    proto: &str,
    port: i64,
    cidr_key: &str,
    cidr: &str,
) -> J {
    J::obj([
        ("requestId", s(rng.uuid())),
        ("_return", J::Bool(true)),
        (
            "securityGroupRuleSet",
            J::items(vec![J::obj([
                ("groupOwnerId", s(ACCOUNT_ID)),
                ("groupId", s(group)),
                ("securityGroupRuleId", s(res_id(rng, "sgr"))),
                ("isEgress", J::Bool(false)),
                ("ipProtocol", s(proto)),
                ("fromPort", J::Int(port)),
                ("toPort", J::Int(port)),
                (cidr_key, s(cidr)),
            ])]),
        ),
    ])
}

fn ci_pipelines(rng: &mut Rng, e: &Estate, day: i64, out: &mut Vec<Call>) {
    let provider =
        format!("arn:aws:iam::{ACCOUNT_ID}:oidc-provider/token.actions.githubusercontent.com");
    let subject = "repo:examplecorp/storefront:ref:refs/heads/main";
    let runs = rng.range(8, 12);
    for _ in 0..runs {
        let mut t = day + rng.below(14 * 3600) as i64;
        let run = rng.range(11_000_000_000, 11_999_999_999);
        let session = format!("GitHubActions-{run}");
        let ip = format!("192.0.2.{}", rng.range(100, 200));
        let web = Actor::WebIdentity {
            provider: provider.clone(),
            subject: subject.into(),
        };
        let mut assume = Call::new(
            t,
            "sts.amazonaws.com",
            "AssumeRoleWithWebIdentity",
            "us-east-1",
            &web,
        )
        .from(
            &ip,
            "aws-sdk-js/3.687.0 ua/2.1 os/linux lang/js md/nodejs#20.18.0 api/sts#3.687.0 m/E,e",
        )
        .req(J::obj([
            ("roleArn", s(role_arn("ci-deployer"))),
            ("roleSessionName", s(&session)),
            ("durationSeconds", J::Int(3600)),
        ]))
        .resp(J::obj([
            (
                "credentials",
                J::obj([
                    ("accessKeyId", s(format!("ASIA{}", rng.upper_b32(16)))),
                    (
                        "sessionToken",
                        s(format!("IQoJb3JpZ2luX2VjE{}", rng.alnum(48))),
                    ),
                    ("expiration", s(Utc::from_unix(t + 3600).event_time())),
                ]),
            ),
            ("subjectFromWebIdentityToken", s(subject)),
            ("provider", s(&provider)),
            ("audience", s("sts.amazonaws.com")),
        ]));
        assume.read_only = true;
        assume.resources = vec![("AWS::IAM::Role".into(), role_arn("ci-deployer"))];
        out.push(assume);
        let actor = Actor::Role {
            role: "ci-deployer".into(),
            role_id: e.ci_role_id.clone(),
            session,
            access_key: format!("ASIA{}", rng.upper_b32(16)),
            mfa: false,
            created: Utc::from_unix(t).event_time(),
            invoked_by: None,
        };
        let repo = "storefront";
        let tag = rng.hex(12);
        let steps: [(&'static str, &'static str, J); 7] = [
            ("ecr.amazonaws.com", "GetAuthorizationToken", J::Null),
            (
                "ecr.amazonaws.com",
                "BatchCheckLayerAvailability",
                J::obj([
                    ("repositoryName", s(repo)),
                    (
                        "layerDigests",
                        J::Arr(vec![s(format!("sha256:{}", rng.hex(64)))]),
                    ),
                ]),
            ),
            (
                "ecr.amazonaws.com",
                "PutImage",
                J::obj([("repositoryName", s(repo)), ("imageTag", s(&tag))]),
            ),
            (
                "ecs.amazonaws.com",
                "RegisterTaskDefinition",
                J::obj([("family", s(repo)), ("networkMode", s("awsvpc"))]),
            ),
            (
                "ecs.amazonaws.com",
                "UpdateService",
                J::obj([
                    ("cluster", s("prod")),
                    ("service", s(repo)),
                    ("taskDefinition", s(repo)),
                ]),
            ),
            (
                "ecs.amazonaws.com",
                "DescribeServices",
                J::obj([("cluster", s("prod")), ("services", J::Arr(vec![s(repo)]))]),
            ),
            (
                "ecs.amazonaws.com",
                "DescribeServices",
                J::obj([("cluster", s("prod")), ("services", J::Arr(vec![s(repo)]))]),
            ),
        ];
        for (src, name, req) in steps {
            t += rng.range(3, 60) as i64;
            out.push(
                Call::new(t, src, name, "us-east-1", &actor)
                    .from(&ip, CI_UA)
                    .req(req),
            );
        }
    }
}

fn backup_job(rng: &mut Rng, e: &Estate, day: i64, out: &mut Vec<Call>) {
    let t = day + 3 * 3600 + rng.below(120) as i64;
    let snap = res_id(rng, "snap");
    out.push(
        Call::new(
            t,
            "ec2.amazonaws.com",
            "CreateSnapshot",
            "us-east-1",
            &e.backup_user,
        )
        .from(e.nat_ip, BACKUP_UA)
        .req(J::obj([
            ("volumeId", s(&e.db_volume)),
            ("description", s("nightly db backup")),
        ]))
        .resp(J::obj([
            ("requestId", s(rng.uuid())),
            ("snapshotId", s(snap)),
            ("volumeId", s(&e.db_volume)),
            ("status", s("pending")),
            ("startTime", J::Int(t * 1000)),
            ("progress", s("")),
            ("ownerId", s(ACCOUNT_ID)),
            ("volumeSize", J::Int(200)),
            ("encrypted", J::Bool(true)),
            ("description", s("nightly db backup")),
        ])),
    );
}

fn autoscaling(rng: &mut Rng, e: &Estate, day: i64, out: &mut Vec<Call>) {
    let actor = Actor::Role {
        role: "AWSServiceRoleForAutoScaling".into(),
        role_id: e.autoscaling_role_id.clone(),
        session: "AutoScaling".into(),
        access_key: format!("ASIA{}", rng.upper_b32(16)),
        mfa: false,
        created: Utc::from_unix(day).event_time(),
        invoked_by: Some("autoscaling.amazonaws.com".into()),
    };
    for hour in [1, 7] {
        let t = day + hour * 3600 + rng.below(3600) as i64;
        let image = e.approved_images[0].clone();
        out.push(
            crate::story::run_instances(rng, e, t, "ap-northeast-1", &actor, &image, "m7g.large")
                .from("autoscaling.amazonaws.com", "autoscaling.amazonaws.com")
                .internal(),
        );
    }
}
