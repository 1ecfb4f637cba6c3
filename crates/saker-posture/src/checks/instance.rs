//! Instance checks: C7 (no public IP), C8 (IMDSv2 required), C13 (instance
//! profile attached), C14 (not stopped for too long).
//!
//! Terminated and shutting-down instances are gone or going: no check
//! reports on them.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use serde_json::json;

use super::net::Family;
use super::routes::RouteIndex;
use super::{ev, list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::Instance;

/// C7 — `ec2_instance_public_ip`.
pub struct InstancePublicIp;
/// C8 — `ec2_instance_imdsv2_required`.
pub struct InstanceImdsv2Required;
/// C13 — `ec2_instance_profile_attached`.
pub struct InstanceProfileAttached;
/// C14 — `ec2_instance_stopped_too_long`.
pub struct InstanceStoppedTooLong;

/// An instance that exists: not `terminated` nor `shutting-down`.
pub fn live(i: &Instance) -> bool {
    !matches!(i.state.as_str(), "terminated" | "shutting-down")
}

static C7: CheckMeta = CheckMeta {
    id: "ec2_instance_public_ip",
    short_id: "C7",
    title: "Instances have no public IP address",
    severity: Severity::High,
    resource_type: "AwsEc2Instance",
    rationale: "An instance with a public IPv4 address (or a global IPv6 address in a subnet \
        routed to an internet gateway) is one security group rule away from the internet; \
        instances behind load balancers, NAT or SSM need none.",
    remediation_cli: "aws ec2 disassociate-address --association-id <eipassoc-id> (Elastic IP); \
        aws ec2 modify-network-interface-attribute --network-interface-id <eni-id> \
        --no-associate-public-ip-address (newer CLIs), or relaunch in a private subnet; \
        aws ec2 modify-subnet-attribute --subnet-id <subnet-id> --no-map-public-ip-on-launch",
    remediation_console: "EC2 → Elastic IPs → Disassociate; relaunch the instance in a private \
        subnet with \"Auto-assign public IP\" disabled; VPC → Subnets → Edit subnet settings → \
        clear \"Enable auto-assign public IPv4 address\"",
    api_fields: "DescribeInstances → Reservations[].Instances[].{PublicIpAddress, Ipv6Address, \
        SubnetId, VpcId, NetworkInterfaces[].{Association.PublicIp, Ipv6Addresses[].Ipv6Address, \
        SubnetId}}; DescribeSubnets → Subnets[].VpcId; DescribeRouteTables → RouteTables[].\
        {Associations[].{SubnetId, Main}, Routes[].{DestinationIpv6CidrBlock, GatewayId, State}}",
    needs: &["DescribeInstances"],
};

static C8: CheckMeta = CheckMeta {
    id: "ec2_instance_imdsv2_required",
    short_id: "C8",
    title: "Instances require IMDSv2 (or have the metadata service off)",
    severity: Severity::High,
    resource_type: "AwsEc2Instance",
    rationale: "IMDSv1 answers any GET from the instance, so one server-side request forgery \
        hands out the instance role's credentials; IMDSv2's session token stops that.",
    remediation_cli: "aws ec2 modify-instance-metadata-options --instance-id <i-id> \
        --http-tokens required --http-endpoint enabled",
    remediation_console: "EC2 → Instances → <instance> → Actions → Instance settings → Modify \
        instance metadata options → IMDSv2: Required",
    api_fields: "DescribeInstances → Reservations[].Instances[].MetadataOptions.{HttpTokens, \
        HttpEndpoint, State}",
    needs: &["DescribeInstances"],
};

static C13: CheckMeta = CheckMeta {
    id: "ec2_instance_profile_attached",
    short_id: "C13",
    title: "Instances have an IAM instance profile with a role",
    severity: Severity::Medium,
    resource_type: "AwsEc2Instance",
    rationale: "Without an instance profile, software on the instance reaches AWS with \
        long-lived access keys stored on disk; a profile gives rotated, scoped role credentials \
        (CIS: \"Ensure IAM instance roles are used for AWS resource access from instances\").",
    remediation_cli: "aws ec2 associate-iam-instance-profile --instance-id <i-id> \
        --iam-instance-profile Name=<profile>; aws iam add-role-to-instance-profile \
        --instance-profile-name <profile> --role-name <role>",
    remediation_console: "EC2 → Instances → <instance> → Actions → Security → Modify IAM role → \
        choose a role",
    api_fields: "DescribeInstances → Reservations[].Instances[].IamInstanceProfile.{Arn, Id}; \
        iam:ListInstanceProfiles → InstanceProfiles[].{Arn, Roles[].RoleName}",
    needs: &["DescribeInstances"],
};

static C14: CheckMeta = CheckMeta {
    id: "ec2_instance_stopped_too_long",
    short_id: "C14",
    title: "Instances are not left stopped for longer than the allowed days",
    severity: Severity::Medium,
    resource_type: "AwsEc2Instance",
    rationale: "A long-stopped instance misses every patch while it sleeps, keeps its volumes \
        (and their cost) and can be restarted by anyone with access, stale and vulnerable.",
    remediation_cli: "aws ec2 terminate-instances --instance-ids <i-id> (after a final \
        snapshot: aws ec2 create-image --instance-id <i-id> --name <backup-name>)",
    remediation_console: "EC2 → Instances → filter Instance state = stopped → <instance> → \
        Instance state → Terminate (create an AMI first if it must be kept)",
    api_fields: "DescribeInstances → Reservations[].Instances[].{State.Name, \
        StateTransitionReason, LaunchTime}",
    needs: &["DescribeInstances"],
};

/// The public IPv4 addresses of an instance: `PublicIpAddress` and every
/// `NetworkInterfaces[].Association.PublicIp` (secondary ENIs, EIPs).
fn public_ipv4(i: &Instance) -> Vec<&str> {
    let mut ips: Vec<&str> = i
        .public_ip_address
        .as_deref()
        .into_iter()
        .chain(
            i.network_interfaces
                .iter()
                .filter_map(|n| n.public_ip.as_deref()),
        )
        .filter(|ip| !ip.is_empty())
        .collect();
    ips.sort_unstable();
    ips.dedup();
    ips
}

/// The IPv6 addresses of an instance, each with the subnet it lives in.
fn ipv6_addresses(i: &Instance) -> Vec<(&str, Option<&str>)> {
    let mut v: Vec<(&str, Option<&str>)> = Vec::new();
    for n in &i.network_interfaces {
        let subnet = n.subnet_id.as_deref().or(i.subnet_id.as_deref());
        v.extend(n.ipv6_addresses.iter().map(|a| (a.as_str(), subnet)));
    }
    if let Some(a) = i.ipv6_address.as_deref() {
        if !v.iter().any(|(x, _)| *x == a) {
            v.push((a, i.subnet_id.as_deref()));
        }
    }
    v.retain(|(a, _)| !a.is_empty());
    v
}

impl Check for InstancePublicIp {
    fn meta(&self) -> &'static CheckMeta {
        &C7
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(instances) = need(ctx, &C7, out, "DescribeInstances", &ctx.region.instances)
        else {
            return;
        };
        let routes = ctx
            .region
            .route_tables
            .as_deref()
            .map(|t| RouteIndex::new(t, ctx.region.subnets.as_deref().unwrap_or_default()));
        for inst in instances.iter().filter(|i| live(i)) {
            let v4 = public_ipv4(inst);
            let v6 = ipv6_addresses(inst);
            let (status, detail) = if !v4.is_empty() {
                (
                    Status::Fail,
                    format!("public IPv4 address {}", list_some(&v4, 4)),
                )
            } else if v6.is_empty() {
                (
                    Status::Pass,
                    "no public IPv4 and no IPv6 address".to_string(),
                )
            } else if let Some(idx) = &routes {
                let reachable: Vec<String> = v6
                    .iter()
                    .filter_map(|(addr, subnet)| {
                        let subnet = (*subnet)?;
                        let r = idx.internet_route(subnet, inst.vpc_id.as_deref(), Family::V6)?;
                        Some(format!(
                            "{addr} in {subnet} (::/0 → {})",
                            r.gateway_id.as_deref().unwrap_or("?")
                        ))
                    })
                    .collect();
                if reachable.is_empty() {
                    (
                        Status::Pass,
                        "no public IPv4; its IPv6 addresses are in subnets with no ::/0 route to \
                         an internet gateway"
                            .to_string(),
                    )
                } else {
                    (
                        Status::Fail,
                        format!(
                            "internet-routable IPv6 address {}",
                            list_some(&reachable, 4)
                        ),
                    )
                }
            } else {
                let why = ctx
                    .region
                    .need("DescribeRouteTables", &ctx.region.route_tables)
                    .err()
                    .map(|e| e.to_string())
                    .unwrap_or_default();
                (
                    Status::NotEvaluated,
                    format!(
                        "not evaluated: the instance has IPv6 addresses but route tables were not \
                         collected ({why})"
                    ),
                )
            };
            let v6_only: Vec<&str> = v6.iter().map(|(a, _)| *a).collect();
            out.push(with_evidence(
                ctx.finding(&C7, &inst.instance_id, status, detail),
                [
                    ("PublicIpAddress", json!(inst.public_ip_address)),
                    (
                        "NetworkInterfaces[].Association.PublicIp",
                        json!(inst
                            .network_interfaces
                            .iter()
                            .filter_map(|n| n.public_ip.as_deref())
                            .collect::<Vec<_>>()),
                    ),
                    ("Ipv6Addresses", json!(v6_only)),
                    ("SubnetId", json!(inst.subnet_id)),
                    ("State.Name", json!(inst.state)),
                ],
            ));
        }
    }
}

impl Check for InstanceImdsv2Required {
    fn meta(&self) -> &'static CheckMeta {
        &C8
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(instances) = need(ctx, &C8, out, "DescribeInstances", &ctx.region.instances)
        else {
            return;
        };
        for inst in instances.iter().filter(|i| live(i)) {
            let mo = inst.metadata_options.as_ref();
            let endpoint = mo.and_then(|m| m.http_endpoint.as_deref());
            let tokens = mo.and_then(|m| m.http_tokens.as_deref());
            let state = mo.and_then(|m| m.state.as_deref());
            let (status, detail) = match (endpoint, tokens, state) {
                (Some("disabled"), _, _) => (
                    Status::Pass,
                    "instance metadata service is off (HttpEndpoint=disabled)".to_string(),
                ),
                (_, Some("required"), Some("applied") | None) => (
                    Status::Pass,
                    "IMDSv2 is required (HttpTokens=required)".to_string(),
                ),
                (_, Some("required"), Some(s)) => (
                    Status::Fail,
                    format!(
                        "HttpTokens=required is not in force yet (MetadataOptions.State={s}); \
                         until it is applied the previous setting holds"
                    ),
                ),
                (_, Some(t), _) => (Status::Fail, format!("IMDSv1 is allowed (HttpTokens={t})")),
                (_, None, _) => (
                    Status::NotEvaluated,
                    "not evaluated: DescribeInstances gave no MetadataOptions.HttpTokens"
                        .to_string(),
                ),
            };
            out.push(with_evidence(
                ctx.finding(&C8, &inst.instance_id, status, detail),
                [
                    ("MetadataOptions.HttpTokens", json!(tokens)),
                    ("MetadataOptions.HttpEndpoint", json!(endpoint)),
                    ("MetadataOptions.State", json!(state)),
                ],
            ));
        }
    }
}

impl Check for InstanceProfileAttached {
    fn meta(&self) -> &'static CheckMeta {
        &C13
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(instances) = need(ctx, &C13, out, "DescribeInstances", &ctx.region.instances)
        else {
            return;
        };
        let profiles = ctx.account.instance_profiles.as_deref();
        for inst in instances.iter().filter(|i| live(i)) {
            let arn = inst.iam_instance_profile.as_ref().map(|p| p.arn.as_str());
            let profile = arn.and_then(|a| profiles?.iter().find(|p| p.arn == a));
            let (status, detail) = match (arn, profiles, profile) {
                (None, _, _) => (Status::Fail, "no IAM instance profile attached".to_string()),
                (Some(a), None, _) => {
                    let why = ctx
                        .account
                        .errors
                        .get("ListInstanceProfiles")
                        .map(|e| format!(" ({e})"))
                        .unwrap_or_default();
                    (
                        Status::NotEvaluated,
                        format!(
                            "not evaluated: profile {a} is attached but the account's instance \
                             profiles were not collected{why}, so its roles are unknown"
                        ),
                    )
                }
                (Some(a), Some(_), None) => (
                    Status::Fail,
                    format!("attached profile {a} does not exist in the account any more"),
                ),
                (Some(a), Some(_), Some(p)) if p.roles.is_empty() => (
                    Status::Fail,
                    format!("attached profile {a} has no role: the instance gets no credentials"),
                ),
                (Some(a), Some(_), Some(p)) => (
                    Status::Pass,
                    format!("profile {a} with role {}", list_some(&p.roles, 3)),
                ),
            };
            let mut f = with_evidence(
                ctx.finding(&C13, &inst.instance_id, status, detail),
                [("IamInstanceProfile", ev(&inst.iam_instance_profile))],
            );
            if let Some(p) = profile {
                f.evidence
                    .insert("InstanceProfile.Roles".into(), json!(p.roles));
            }
            out.push(f);
        }
    }
}

/// The stop time in `StateTransitionReason`, e.g.
/// `User initiated (2016-09-14 15:07:39 GMT)`: AWS writes `GMT`, moto
/// `UTC`; both mean UTC.
pub fn stopped_at(reason: &str) -> Option<DateTime<Utc>> {
    let open = reason.rfind('(')?;
    let close = open + reason[open..].find(')')?;
    let inner = reason[open + 1..close].trim();
    let stamp = inner
        .strip_suffix("GMT")
        .or_else(|| inner.strip_suffix("UTC"))?
        .trim();
    NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

impl Check for InstanceStoppedTooLong {
    fn meta(&self) -> &'static CheckMeta {
        &C14
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(instances) = need(ctx, &C14, out, "DescribeInstances", &ctx.region.instances)
        else {
            return;
        };
        let max_days = ctx.params.max_stopped_days;
        for inst in instances.iter().filter(|i| i.state == "stopped") {
            let from_reason = inst.state_transition_reason.as_deref().and_then(stopped_at);
            let from_launch = inst
                .launch_time
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| t.with_timezone(&Utc));
            let (since, source) = match (from_reason, from_launch) {
                (Some(t), _) => (Some(t), "StateTransitionReason"),
                (None, Some(t)) => (Some(t), "LaunchTime (stop time unknown)"),
                (None, None) => (None, ""),
            };
            let (status, detail) = match since {
                None => (
                    Status::NotEvaluated,
                    "not evaluated: neither StateTransitionReason nor LaunchTime gives a time"
                        .to_string(),
                ),
                Some(t) => {
                    let days = (ctx.now - t).num_days();
                    if ctx.now - t > Duration::days(i64::from(max_days)) {
                        (
                            Status::Fail,
                            format!(
                                "stopped since {} ({days} days, from {source}); the limit is \
                                 {max_days} days",
                                t.format("%Y-%m-%d %H:%M:%S UTC")
                            ),
                        )
                    } else {
                        (
                            Status::Pass,
                            format!(
                                "stopped since {} ({days} days, from {source}); within the \
                                 {max_days}-day limit",
                                t.format("%Y-%m-%d %H:%M:%S UTC")
                            ),
                        )
                    }
                }
            };
            out.push(with_evidence(
                ctx.finding(&C14, &inst.instance_id, status, detail),
                [
                    ("State.Name", json!(inst.state)),
                    ("StateTransitionReason", json!(inst.state_transition_reason)),
                    ("LaunchTime", json!(inst.launch_time)),
                ],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_time_parses_with_gmt_or_utc() {
        let gmt = stopped_at("User initiated (2016-09-14 15:07:39 GMT)").unwrap();
        assert_eq!(gmt.to_rfc3339(), "2016-09-14T15:07:39+00:00");
        let utc = stopped_at("User initiated (2026-11-29 11:42:39 UTC)").unwrap();
        assert_eq!(utc.to_rfc3339(), "2026-11-29T11:42:39+00:00");
    }

    #[test]
    fn reasons_without_a_stop_time_give_none() {
        assert!(stopped_at("").is_none());
        assert!(stopped_at("Server.ScheduledStop: Stopped due to scheduled retirement").is_none());
        assert!(stopped_at("User initiated (yesterday GMT)").is_none());
        assert!(stopped_at("User initiated (2016-09-14 15:07:39 PST)").is_none());
    }
}
