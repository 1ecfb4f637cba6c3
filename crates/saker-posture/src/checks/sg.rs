//! Security group checks: C1 (admin ports open to the internet) and C3
//! (the default security group restricts all traffic).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use super::net::{describe_sg_rule, sg_rule_covers, AddrSet, Cidr, Family, Proto};
use super::{ev, list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::{IpPermission, ManagedPrefixList, SecurityGroup};

/// C1 — `ec2_sg_open_admin_ports`.
pub struct SgOpenAdminPorts;

/// C3 — `ec2_sg_default_restricts_all`.
pub struct SgDefaultRestrictsAll;

static C1: CheckMeta = CheckMeta {
    id: "ec2_sg_open_admin_ports",
    short_id: "C1",
    title: "Security groups do not allow ingress from the internet to administration ports",
    severity: Severity::High,
    resource_type: "AwsEc2SecurityGroup",
    rationale: "A security group rule that lets 0.0.0.0/0 or ::/0 reach SSH (22) or RDP (3389) \
        exposes remote administration to the whole internet: brute force, credential stuffing \
        and exploits of the service follow within minutes.",
    remediation_cli: "aws ec2 revoke-security-group-ingress --group-id <sg-id> \
        --ip-permissions 'IpProtocol=tcp,FromPort=22,ToPort=22,IpRanges=[{CidrIp=0.0.0.0/0}]' \
        (then authorize only the admin network's CIDR, or use SSM Session Manager)",
    remediation_console: "EC2 → Security Groups → <group> → Inbound rules → Edit inbound rules: \
        delete or narrow the rules whose source is 0.0.0.0/0, ::/0 or a prefix list holding them",
    api_fields: "DescribeSecurityGroups → SecurityGroups[].IpPermissions[].{IpProtocol, FromPort, \
        ToPort, IpRanges[].CidrIp, Ipv6Ranges[].CidrIpv6, PrefixListIds[].PrefixListId, \
        UserIdGroupPairs[]}; GetManagedPrefixListEntries → Entries[].Cidr",
    needs: &["DescribeSecurityGroups"],
};

static C3: CheckMeta = CheckMeta {
    id: "ec2_sg_default_restricts_all",
    short_id: "C3",
    title: "The default security group of every VPC restricts all traffic",
    severity: Severity::High,
    resource_type: "AwsEc2SecurityGroup",
    rationale: "Resources launched without an explicit group land in the VPC's default security \
        group; a default group with no rules forces deliberate, least-privilege groups. AWS \
        creates it with a self-referencing all-traffic inbound rule and all outbound traffic \
        allowed, so every new VPC fails until it is emptied.",
    remediation_cli: "aws ec2 revoke-security-group-ingress --group-id <default-sg-id> \
        --ip-permissions \"$(aws ec2 describe-security-groups --group-ids <default-sg-id> \
        --query 'SecurityGroups[0].IpPermissions')\" ; aws ec2 revoke-security-group-egress \
        --group-id <default-sg-id> --ip-permissions \"$(aws ec2 describe-security-groups \
        --group-ids <default-sg-id> --query 'SecurityGroups[0].IpPermissionsEgress')\"",
    remediation_console: "VPC → Security groups → the group named \"default\" → Inbound rules and \
        Outbound rules → Edit: delete every rule (move resources using it to dedicated groups first)",
    api_fields: "DescribeSecurityGroups(group-name=default) → SecurityGroups[].{GroupName, \
        IpPermissions, IpPermissionsEgress}",
    needs: &["DescribeSecurityGroups"],
};

/// Evidence key of a failing C1 finding: the address families whose whole
/// space reaches an admin port, as [`family_key`]s in family order —
/// `["ipv4"]`, `["ipv6"]` or `["ipv4", "ipv6"]`. Absent on PASS and
/// NOT_EVALUATED findings (and on findings saved before saker recorded it).
/// A framework requirement qualified by family (`ec2_sg_open_admin_ports:ipv4`,
/// see [`crate::framework::CheckRef`]) counts a failing finding only when its
/// family is listed here; CIS AWS 5.3 (0.0.0.0/0) and 5.4 (::/0) in v4.0/v5.0
/// (5.2 and 5.3 in v3.0) are such a pair.
pub const OPEN_ADDRESS_FAMILIES: &str = "OpenAddressFamilies";

/// `ipv4` or `ipv6`: a family as written in [`OPEN_ADDRESS_FAMILIES`] and
/// in framework qualifiers.
pub fn family_key(family: Family) -> &'static str {
    match family {
        Family::V4 => "ipv4",
        Family::V6 => "ipv6",
    }
}

/// The family named by a [`family_key`] (exact, lowercase); `None` for
/// anything else.
pub fn parse_family_key(key: &str) -> Option<Family> {
    [Family::V4, Family::V6]
        .into_iter()
        .find(|f| family_key(*f) == key)
}

/// The API name under which prefix-list collection failures are recorded.
const PREFIX_LIST_API: &str = "GetManagedPrefixListEntries";

/// One way a security group lets the whole internet reach an admin port.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Exposure {
    port: u16,
    proto: &'static str,
    family: Family,
    /// The rules and sources that together cover the family's whole space.
    via: Vec<String>,
}

/// What C1 concluded about one group.
enum Verdict {
    Open(Vec<Exposure>),
    Closed,
    /// Some sources could not be read (an unresolved prefix list, an
    /// unparsable CIDR) and nothing else opened the group.
    Unknown(Vec<String>),
}

/// The sources of one rule for one family, each as (CIDR text, where it
/// came from): `IpRanges`/`Ipv6Ranges` and the entries of referenced prefix
/// lists. `UserIdGroupPairs` (referenced groups) are not addresses and are
/// left out: they are not internet exposure.
fn rule_sources(
    perm: &IpPermission,
    family: Family,
    lists: Option<&[ManagedPrefixList]>,
    unknown: &mut BTreeSet<String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match family {
        Family::V4 => out.extend(
            perm.ip_ranges
                .iter()
                .map(|r| (r.cidr_ip.clone(), String::new())),
        ),
        Family::V6 => out.extend(
            perm.ipv6_ranges
                .iter()
                .map(|r| (r.cidr_ipv6.clone(), String::new())),
        ),
    }
    for pl in &perm.prefix_list_ids {
        match lists.and_then(|ls| ls.iter().find(|l| l.prefix_list_id == pl.prefix_list_id)) {
            Some(list) => out.extend(
                list.entries
                    .iter()
                    .map(|c| (c.clone(), format!(" in prefix list {}", pl.prefix_list_id))),
            ),
            None => {
                unknown.insert(format!(
                    "prefix list {} was not collected",
                    pl.prefix_list_id
                ));
            }
        }
    }
    out
}

/// C1's core: for each admin port, protocol (tcp, udp) and family, the
/// union of the sources of every ingress rule that reaches the port; the
/// port is open to the internet when that union is the whole address space
/// (`0.0.0.0/0`, `::/0`, or splits like `0.0.0.0/1` + `128.0.0.0/1`). A
/// single `0.0.0.0/1` is half the internet, not the whole: not flagged here.
fn evaluate(sg: &SecurityGroup, ports: &[u16], lists: Option<&[ManagedPrefixList]>) -> Verdict {
    let mut exposures = Vec::new();
    let mut unknown = BTreeSet::new();
    for &port in ports {
        for proto in Proto::BOTH {
            for family in [Family::V4, Family::V6] {
                let mut set = AddrSet::empty(family);
                let mut via = Vec::new();
                for perm in sg
                    .ip_permissions
                    .iter()
                    .filter(|p| sg_rule_covers(p, proto, port))
                {
                    for (cidr, origin) in rule_sources(perm, family, lists, &mut unknown) {
                        match Cidr::parse(&cidr) {
                            Ok(c) if c.family == family => {
                                set.insert(&c);
                                via.push(format!("{cidr}{origin} ({})", describe_sg_rule(perm)));
                            }
                            Ok(_) => {}
                            Err(e) => {
                                unknown.insert(e);
                            }
                        }
                    }
                }
                if set.is_full() {
                    exposures.push(Exposure {
                        port,
                        proto: proto.name(),
                        family,
                        via,
                    });
                }
            }
        }
    }
    if !exposures.is_empty() {
        Verdict::Open(exposures)
    } else if !unknown.is_empty() {
        Verdict::Unknown(unknown.into_iter().collect())
    } else {
        Verdict::Closed
    }
}

/// `22/tcp, 22/udp from 0.0.0.0/0 (all traffic (-1))`, grouping the
/// port/protocol pairs that share the same sources.
fn describe_exposures(exposures: &[Exposure]) -> String {
    let mut by_via: BTreeMap<&[String], Vec<String>> = BTreeMap::new();
    for e in exposures {
        by_via
            .entry(&e.via)
            .or_default()
            .push(format!("{}/{}", e.port, e.proto));
    }
    by_via
        .into_iter()
        .map(|(via, ports)| format!("{} from {}", ports.join(", "), list_some(via, 4)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The [`family_key`]s of the families among `exposures`, in family order.
fn open_families(exposures: &[Exposure]) -> Vec<&'static str> {
    [Family::V4, Family::V6]
        .into_iter()
        .filter(|f| exposures.iter().any(|e| e.family == *f))
        .map(family_key)
        .collect()
}

/// The prefix lists a group's ingress rules reference, resolved, as
/// evidence.
fn referenced_lists<'a>(
    sg: &SecurityGroup,
    lists: Option<&'a [ManagedPrefixList]>,
) -> Vec<&'a ManagedPrefixList> {
    let ids: BTreeSet<&str> = sg
        .ip_permissions
        .iter()
        .flat_map(|p| p.prefix_list_ids.iter().map(|l| l.prefix_list_id.as_str()))
        .collect();
    lists
        .unwrap_or_default()
        .iter()
        .filter(|l| ids.contains(l.prefix_list_id.as_str()))
        .collect()
}

impl Check for SgOpenAdminPorts {
    fn meta(&self) -> &'static CheckMeta {
        &C1
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(groups) = need(
            ctx,
            &C1,
            out,
            "DescribeSecurityGroups",
            &ctx.region.security_groups,
        ) else {
            return;
        };
        let lists = ctx.region.managed_prefix_lists.as_deref();
        let list_error = ctx
            .region
            .need(PREFIX_LIST_API, &ctx.region.managed_prefix_lists)
            .err();
        let ports = &ctx.params.admin_ports;
        let port_text = list_some(&ports.iter().map(u16::to_string).collect::<Vec<_>>(), 8);
        for sg in groups {
            let mut families = None;
            let (status, detail) = match evaluate(sg, ports, lists) {
                Verdict::Open(exps) => {
                    families = Some(open_families(&exps));
                    (
                        Status::Fail,
                        format!(
                            "admin ports open to the internet: {}",
                            describe_exposures(&exps)
                        ),
                    )
                }
                Verdict::Closed => (
                    Status::Pass,
                    format!("no ingress rule opens ports {port_text} to 0.0.0.0/0 or ::/0"),
                ),
                Verdict::Unknown(why) => {
                    let cause = list_error
                        .as_ref()
                        .map(|e| format!(" ({PREFIX_LIST_API}: {e})"))
                        .unwrap_or_default();
                    (
                        Status::NotEvaluated,
                        format!("not evaluated: {}{cause}", why.join("; ")),
                    )
                }
            };
            let mut f = with_evidence(
                ctx.finding(&C1, &sg.group_id, status, detail),
                [
                    ("GroupName", json!(sg.group_name)),
                    ("IpPermissions", ev(&sg.ip_permissions)),
                ],
            );
            if let Some(families) = families {
                f.evidence
                    .insert(OPEN_ADDRESS_FAMILIES.into(), json!(families));
            }
            let resolved = referenced_lists(sg, lists);
            if !resolved.is_empty() {
                f.evidence
                    .insert("ManagedPrefixLists".into(), ev(&resolved));
            }
            out.push(f);
        }
    }
}

impl Check for SgDefaultRestrictsAll {
    fn meta(&self) -> &'static CheckMeta {
        &C3
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(groups) = need(
            ctx,
            &C3,
            out,
            "DescribeSecurityGroups",
            &ctx.region.security_groups,
        ) else {
            return;
        };
        for sg in groups.iter().filter(|g| g.group_name == "default") {
            let inbound = sg.ip_permissions.len();
            let outbound = sg.ip_permissions_egress.len();
            let (status, detail) = if inbound == 0 && outbound == 0 {
                (
                    Status::Pass,
                    "default security group has no rules".to_string(),
                )
            } else {
                let self_ref = sg.ip_permissions.iter().any(|p| {
                    p.user_id_group_pairs
                        .iter()
                        .any(|g| g.group_id.as_deref() == Some(sg.group_id.as_str()))
                });
                let mut parts = Vec::new();
                if inbound > 0 {
                    parts.push(format!(
                        "{inbound} inbound rule(s){}",
                        if self_ref {
                            " (including the self-reference AWS creates)"
                        } else {
                            ""
                        }
                    ));
                }
                if outbound > 0 {
                    let rules: Vec<String> = sg
                        .ip_permissions_egress
                        .iter()
                        .map(describe_sg_rule)
                        .collect();
                    parts.push(format!(
                        "{outbound} outbound rule(s): {}",
                        list_some(&rules, 3)
                    ));
                }
                (
                    Status::Fail,
                    format!("default security group has {}", parts.join(" and ")),
                )
            };
            out.push(with_evidence(
                ctx.finding(&C3, &sg.group_id, status, detail),
                [
                    ("GroupName", json!(sg.group_name)),
                    ("VpcId", json!(sg.vpc_id)),
                    ("IpPermissions", ev(&sg.ip_permissions)),
                    ("IpPermissionsEgress", ev(&sg.ip_permissions_egress)),
                ],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};

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

    fn v4(mut p: IpPermission, cidrs: &[&str]) -> IpPermission {
        p.ip_ranges.extend(cidrs.iter().map(|c| IpRange {
            cidr_ip: (*c).into(),
        }));
        p
    }

    fn v6(mut p: IpPermission, cidrs: &[&str]) -> IpPermission {
        p.ipv6_ranges.extend(cidrs.iter().map(|c| Ipv6Range {
            cidr_ipv6: (*c).into(),
        }));
        p
    }

    fn sg(perms: Vec<IpPermission>) -> SecurityGroup {
        SecurityGroup {
            group_id: "sg-1".into(),
            group_name: "web".into(),
            vpc_id: Some("vpc-1".into()),
            owner_id: None,
            ip_permissions: perms,
            ip_permissions_egress: vec![],
            tags: vec![],
        }
    }

    fn open(v: Verdict) -> Vec<Exposure> {
        match v {
            Verdict::Open(e) => e,
            Verdict::Closed => panic!("expected open, got closed"),
            Verdict::Unknown(w) => panic!("expected open, got unknown: {w:?}"),
        }
    }

    fn closed(v: Verdict) -> bool {
        matches!(v, Verdict::Closed)
    }

    const ADMIN: &[u16] = &[22, 3389];

    #[test]
    fn protocol_all_from_ipv4_any_opens_every_admin_port_on_tcp_and_udp() {
        let e = open(evaluate(
            &sg(vec![v4(perm("-1", None), &["0.0.0.0/0"])]),
            ADMIN,
            None,
        ));
        let got: Vec<_> = e.iter().map(|x| (x.port, x.proto, x.family)).collect();
        assert_eq!(
            got,
            vec![
                (22, "tcp", Family::V4),
                (22, "udp", Family::V4),
                (3389, "tcp", Family::V4),
                (3389, "udp", Family::V4)
            ]
        );
        assert_eq!(open_families(&e), ["ipv4"]);
    }

    #[test]
    fn ipv6_any_counts_like_ipv4_any() {
        let e = open(evaluate(
            &sg(vec![v6(perm("tcp", Some((3389, 3389))), &["::/0"])]),
            ADMIN,
            None,
        ));
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].port, e[0].family), (3389, Family::V6));
        assert_eq!(open_families(&e), ["ipv6"]);
    }

    #[test]
    fn both_families_open_on_different_ports_are_both_recorded() {
        let e = open(evaluate(
            &sg(vec![
                v6(perm("tcp", Some((22, 22))), &["::/0"]),
                v4(perm("tcp", Some((3389, 3389))), &["0.0.0.0/0"]),
            ]),
            ADMIN,
            None,
        ));
        assert_eq!(open_families(&e), ["ipv4", "ipv6"]);
        assert_eq!(parse_family_key("ipv6"), Some(Family::V6));
        assert_eq!(parse_family_key("IPv6"), None);
    }

    #[test]
    fn a_port_range_covering_22_is_open_and_one_beside_it_is_not() {
        assert_eq!(
            open(evaluate(
                &sg(vec![v4(perm("tcp", Some((20, 25))), &["0.0.0.0/0"])]),
                ADMIN,
                None
            ))[0]
                .port,
            22
        );
        assert!(closed(evaluate(
            &sg(vec![v4(perm("tcp", Some((23, 3388))), &["0.0.0.0/0"])]),
            ADMIN,
            None
        )));
    }

    #[test]
    fn udp_counts_as_cis_requires() {
        let e = open(evaluate(
            &sg(vec![v4(perm("udp", Some((22, 22))), &["0.0.0.0/0"])]),
            ADMIN,
            None,
        ));
        assert_eq!((e[0].port, e[0].proto), (22, "udp"));
    }

    #[test]
    fn icmp_and_other_protocols_never_open_admin_ports() {
        let g = sg(vec![
            v4(perm("icmp", Some((22, 22))), &["0.0.0.0/0"]),
            v6(perm("icmpv6", Some((-1, -1))), &["::/0"]),
            v4(perm("50", None), &["0.0.0.0/0"]),
        ]);
        assert!(closed(evaluate(&g, ADMIN, None)));
    }

    #[test]
    fn split_halves_across_rules_are_the_whole_internet_one_half_is_not() {
        let halves = sg(vec![
            v4(perm("tcp", Some((22, 22))), &["0.0.0.0/1"]),
            v4(perm("tcp", Some((0, 1024))), &["128.0.0.0/1"]),
        ]);
        assert_eq!(open(evaluate(&halves, ADMIN, None))[0].via.len(), 2);
        let half = sg(vec![v4(perm("tcp", Some((22, 22))), &["0.0.0.0/1"])]);
        assert!(closed(evaluate(&half, ADMIN, None)));
        // Halves on different ports do not combine.
        let apart = sg(vec![
            v4(perm("tcp", Some((22, 22))), &["0.0.0.0/1"]),
            v4(perm("tcp", Some((3389, 3389))), &["128.0.0.0/1"]),
        ]);
        assert!(closed(evaluate(&apart, ADMIN, None)));
    }

    #[test]
    fn narrow_sources_and_referenced_groups_are_not_internet_exposure() {
        let mut by_group = perm("-1", None);
        by_group.user_id_group_pairs.push(UserIdGroupPair {
            group_id: Some("sg-other".into()),
            user_id: Some("999999999999".into()),
            vpc_peering_connection_id: None,
        });
        let g = sg(vec![
            by_group,
            v4(perm("tcp", Some((22, 22))), &["203.0.113.0/24"]),
        ]);
        assert!(closed(evaluate(&g, ADMIN, None)));
    }

    fn with_list(id: &str) -> IpPermission {
        let mut p = perm("tcp", Some((22, 22)));
        p.prefix_list_ids.push(PrefixListId {
            prefix_list_id: id.into(),
        });
        p
    }

    fn list(id: &str, entries: &[&str]) -> ManagedPrefixList {
        ManagedPrefixList {
            prefix_list_id: id.into(),
            prefix_list_name: None,
            owner_id: None,
            entries: entries.iter().map(|s| (*s).into()).collect(),
        }
    }

    #[test]
    fn prefix_lists_are_resolved_through_their_entries() {
        let lists = [
            list("pl-open", &["10.0.0.0/8", "0.0.0.0/0"]),
            list("pl-office", &["198.51.100.0/24"]),
        ];
        let e = open(evaluate(
            &sg(vec![with_list("pl-open")]),
            ADMIN,
            Some(&lists),
        ));
        assert!(
            e[0].via[0].contains("prefix list pl-open"),
            "{:?}",
            e[0].via
        );
        assert!(closed(evaluate(
            &sg(vec![with_list("pl-office")]),
            ADMIN,
            Some(&lists)
        )));
    }

    #[test]
    fn an_unresolved_prefix_list_is_unknown_never_closed() {
        match evaluate(&sg(vec![with_list("pl-gone")]), ADMIN, None) {
            Verdict::Unknown(why) => assert!(why[0].contains("pl-gone")),
            _ => panic!("an unresolved prefix list must not pass"),
        }
        // ...but a group already open elsewhere still fails.
        let g = sg(vec![
            with_list("pl-gone"),
            v4(perm("tcp", Some((22, 22))), &["0.0.0.0/0"]),
        ]);
        assert!(matches!(evaluate(&g, ADMIN, None), Verdict::Open(_)));
    }

    #[test]
    fn configured_ports_replace_the_default_pair() {
        let g = sg(vec![v4(perm("tcp", Some((5432, 5432))), &["0.0.0.0/0"])]);
        assert!(closed(evaluate(&g, ADMIN, None)));
        assert_eq!(open(evaluate(&g, &[5432], None))[0].port, 5432);
    }

    #[test]
    fn exposures_sharing_sources_are_described_together() {
        let e = open(evaluate(
            &sg(vec![v4(perm("-1", None), &["0.0.0.0/0"])]),
            &[22],
            None,
        ));
        assert_eq!(
            describe_exposures(&e),
            "22/tcp, 22/udp from 0.0.0.0/0 (all traffic (-1))"
        );
    }
}
