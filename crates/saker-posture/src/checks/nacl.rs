//! C2 — network ACLs do not let the internet reach administration ports.
//!
//! Network ACLs are stateless and ordered: per direction and address
//! family, entries are tried in ascending `RuleNumber` and the first one
//! whose protocol, port range and CIDR match decides (`32767` is the
//! catch-all deny AWS returns as an entry). For each admin port, protocol
//! (tcp, udp) and family, C2 replays that order over the whole address
//! space and calls the port *open to the internet* when some address is
//! allowed and no address falls through to a catch-all deny (a `/0` deny
//! entry, or the end of the list): internet hosts not singled out by a
//! narrower entry get in. So `deny 10.0.0.0/8` before `allow 0.0.0.0/0`
//! is still open, `deny 0.0.0.0/0` before `allow 0.0.0.0/0` is closed, and
//! `allow 0.0.0.0/1` + `allow 128.0.0.0/1` is open.
//!
//! Scope, as CIS 5.2 (v5.0): every NACL associated with a subnet, the VPC's
//! default NACL included (Security Hub EC2.21 skips default NACLs; CIS
//! does not). An NACL associated with no subnet filters no traffic: it
//! passes with a note.

use serde_json::json;

use super::net::{describe_nacl_entry, nacl_entry_covers, AddrSet, Cidr, Family, Proto};
use super::{ev, list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::{NetworkAcl, NetworkAclEntry};

/// C2 — `ec2_nacl_open_admin_ports`.
pub struct NaclOpenAdminPorts;

static C2: CheckMeta = CheckMeta {
    id: "ec2_nacl_open_admin_ports",
    short_id: "C2",
    title: "Network ACLs do not allow ingress from the internet to administration ports",
    severity: Severity::Medium,
    resource_type: "AwsEc2NetworkAcl",
    rationale: "A network ACL is the subnet-wide layer under security groups. One that lets \
        0.0.0.0/0 or ::/0 reach SSH (22) or RDP (3389) leaves the subnet one security group \
        mistake away from exposing remote administration to the internet.",
    remediation_cli: "aws ec2 create-network-acl-entry --network-acl-id <acl-id> --ingress \
        --rule-number <lower than the allow> --protocol 6 --port-range From=22,To=22 \
        --cidr-block 0.0.0.0/0 --rule-action deny (same for 3389, and --ipv6-cidr-block ::/0), \
        or aws ec2 replace-network-acl-entry to narrow the allowing entry",
    remediation_console: "VPC → Network ACLs → <acl> → Inbound rules → Edit inbound rules: add \
        deny rules for 22 and 3389 from 0.0.0.0/0 and ::/0 numbered before the allow rules, or \
        narrow the allow rules' sources",
    api_fields: "DescribeNetworkAcls → NetworkAcls[].{NetworkAclId, IsDefault, \
        Associations[].SubnetId, Entries[].{RuleNumber, Protocol, RuleAction, Egress, CidrBlock, \
        Ipv6CidrBlock, PortRange.From, PortRange.To}}",
    needs: &["DescribeNetworkAcls"],
};

/// How the entries treat one port/protocol/family.
#[derive(Debug, PartialEq, Eq)]
enum PortVerdict {
    /// Open to the internet; the allow entries that decided some address.
    Open(Vec<i32>),
    Closed,
    /// An entry's CIDR could not be parsed before the verdict was reached.
    Unknown(String),
}

/// Replay the first-match order of `entries` (ingress, one family) for
/// `proto`/`port`.
fn replay(entries: &[&NetworkAclEntry], family: Family, proto: Proto, port: u16) -> PortVerdict {
    let mut undecided = AddrSet::full(family);
    let mut allowed_by = Vec::new();
    let mut reached_catch_all_deny = false;
    for e in entries {
        if undecided.is_empty() {
            break;
        }
        if !nacl_entry_covers(e, proto, port) {
            continue;
        }
        let text = match family {
            Family::V4 => e.cidr_block.as_deref(),
            Family::V6 => e.ipv6_cidr_block.as_deref(),
        };
        let Some(text) = text else { continue };
        let cidr = match Cidr::parse(text) {
            Ok(c) if c.family == family => c,
            Ok(_) => continue,
            Err(why) => return PortVerdict::Unknown(format!("rule {}: {why}", e.rule_number)),
        };
        if undecided.intersects(&cidr) {
            if e.rule_action.eq_ignore_ascii_case("allow") {
                allowed_by.push(e.rule_number);
            } else if cidr.is_whole_space() {
                reached_catch_all_deny = true;
            }
        }
        undecided.remove(&cidr);
    }
    // Addresses no entry matched are denied (the implicit `*` rule).
    if !undecided.is_empty() {
        reached_catch_all_deny = true;
    }
    if !allowed_by.is_empty() && !reached_catch_all_deny {
        PortVerdict::Open(allowed_by)
    } else {
        PortVerdict::Closed
    }
}

/// The ingress entries of `acl` for `family`, in evaluation order.
fn ingress(acl: &NetworkAcl, family: Family) -> Vec<&NetworkAclEntry> {
    let mut v: Vec<&NetworkAclEntry> = acl
        .entries
        .iter()
        .filter(|e| !e.egress)
        .filter(|e| match family {
            Family::V4 => e.cidr_block.is_some(),
            Family::V6 => e.ipv6_cidr_block.is_some(),
        })
        .collect();
    v.sort_by_key(|e| e.rule_number);
    v
}

/// Every open (port/proto, family, deciding entries) of `acl`, or the
/// reasons it could not be decided.
fn evaluate(acl: &NetworkAcl, ports: &[u16]) -> Result<Vec<String>, Vec<String>> {
    let mut open = Vec::new();
    let mut unknown = Vec::new();
    for family in [Family::V4, Family::V6] {
        let entries = ingress(acl, family);
        for &port in ports {
            for proto in Proto::BOTH {
                match replay(&entries, family, proto, port) {
                    PortVerdict::Open(rules) => {
                        let how: Vec<String> = rules
                            .iter()
                            .filter_map(|n| entries.iter().find(|e| e.rule_number == *n))
                            .map(|e| describe_nacl_entry(e))
                            .collect();
                        open.push(format!(
                            "{port}/{} from {} by {}",
                            proto.name(),
                            family.any(),
                            list_some(&how, 3)
                        ));
                    }
                    PortVerdict::Closed => {}
                    PortVerdict::Unknown(why) => unknown.push(why),
                }
            }
        }
    }
    if !open.is_empty() || unknown.is_empty() {
        Ok(open)
    } else {
        unknown.dedup();
        Err(unknown)
    }
}

impl Check for NaclOpenAdminPorts {
    fn meta(&self) -> &'static CheckMeta {
        &C2
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(acls) = need(
            ctx,
            &C2,
            out,
            "DescribeNetworkAcls",
            &ctx.region.network_acls,
        ) else {
            return;
        };
        for acl in acls {
            let subnets: Vec<&str> = acl
                .associations
                .iter()
                .map(|a| a.subnet_id.as_str())
                .collect();
            let (status, detail) = if subnets.is_empty() {
                (
                    Status::Pass,
                    "associated with no subnet: its entries filter no traffic".to_string(),
                )
            } else {
                match evaluate(acl, &ctx.params.admin_ports) {
                    Ok(open) if open.is_empty() => (
                        Status::Pass,
                        "no admin port is allowed in from the internet".to_string(),
                    ),
                    Ok(open) => (
                        Status::Fail,
                        format!("admin ports open to the internet: {}", open.join("; ")),
                    ),
                    Err(why) => (
                        Status::NotEvaluated,
                        format!("not evaluated: {}", why.join("; ")),
                    ),
                }
            };
            let inbound: Vec<&NetworkAclEntry> = acl.entries.iter().filter(|e| !e.egress).collect();
            out.push(with_evidence(
                ctx.finding(&C2, &acl.network_acl_id, status, detail),
                [
                    ("VpcId", json!(acl.vpc_id)),
                    ("IsDefault", json!(acl.is_default)),
                    ("Associations[].SubnetId", json!(subnets)),
                    ("Entries(Egress=false)", ev(&inbound)),
                ],
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::{NetworkAclAssociation, PortRange};

    fn e(
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

    fn acl(entries: Vec<NetworkAclEntry>) -> NetworkAcl {
        NetworkAcl {
            network_acl_id: "acl-1".into(),
            vpc_id: "vpc-1".into(),
            is_default: false,
            associations: vec![NetworkAclAssociation {
                subnet_id: "subnet-1".into(),
            }],
            entries,
            tags: vec![],
        }
    }

    fn default_entries() -> Vec<NetworkAclEntry> {
        vec![
            e(100, "-1", "allow", "0.0.0.0/0", None),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]
    }

    const ADMIN: &[u16] = &[22, 3389];

    #[test]
    fn the_default_nacl_allow_all_is_open_on_every_admin_port() {
        let open = evaluate(&acl(default_entries()), ADMIN).unwrap();
        assert_eq!(open.len(), 4, "{open:?}");
        assert!(
            open[0].starts_with("22/tcp from 0.0.0.0/0 by rule 100 allow"),
            "{open:?}"
        );
    }

    #[test]
    fn first_match_by_ascending_rule_number_not_list_order() {
        // Listed allow-first, but the deny has the lower number and wins.
        let a = acl(vec![
            e(200, "6", "allow", "0.0.0.0/0", Some((22, 22))),
            e(100, "6", "deny", "0.0.0.0/0", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert!(evaluate(&a, &[22]).unwrap().is_empty());
        // Swap the numbers: the allow decides first.
        let b = acl(vec![
            e(100, "6", "allow", "0.0.0.0/0", Some((22, 22))),
            e(200, "6", "deny", "0.0.0.0/0", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert_eq!(evaluate(&b, &[22]).unwrap().len(), 1);
    }

    #[test]
    fn a_deny_on_another_port_does_not_close_the_admin_port() {
        let a = acl(vec![
            e(90, "6", "deny", "0.0.0.0/0", Some((80, 80))),
            e(100, "-1", "allow", "0.0.0.0/0", None),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert_eq!(evaluate(&a, &[22]).unwrap().len(), 2); // tcp and udp
    }

    #[test]
    fn a_narrow_deny_before_a_world_allow_is_still_open() {
        let a = acl(vec![
            e(90, "6", "deny", "10.0.0.0/8", Some((22, 22))),
            e(100, "6", "allow", "0.0.0.0/0", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert_eq!(evaluate(&a, &[22]).unwrap().len(), 1);
    }

    #[test]
    fn a_narrow_allow_before_the_catch_all_deny_is_closed() {
        let a = acl(vec![
            e(100, "6", "allow", "203.0.113.0/24", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert!(evaluate(&a, ADMIN).unwrap().is_empty());
    }

    #[test]
    fn split_halves_allowing_the_port_are_open() {
        let a = acl(vec![
            e(100, "6", "allow", "0.0.0.0/1", Some((22, 22))),
            e(110, "6", "allow", "128.0.0.0/1", Some((0, 1023))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        let open = evaluate(&a, &[22]).unwrap();
        assert_eq!(open.len(), 1);
        assert!(
            open[0].contains("rule 100") && open[0].contains("rule 110"),
            "{open:?}"
        );
    }

    #[test]
    fn ipv6_entries_are_their_own_family() {
        let a = acl(vec![
            e(100, "6", "deny", "0.0.0.0/0", Some((22, 22))),
            e(101, "6", "allow", "::/0", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
            e(32768, "-1", "deny", "::/0", None),
        ]);
        let open = evaluate(&a, &[22]).unwrap();
        assert_eq!(
            open,
            vec!["22/tcp from ::/0 by rule 101 allow protocol 6 port 22 from ::/0"]
        );
    }

    #[test]
    fn icmp_entries_never_open_ports() {
        let a = acl(vec![
            e(100, "1", "allow", "0.0.0.0/0", None),
            e(101, "58", "allow", "::/0", None),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert!(evaluate(&a, ADMIN).unwrap().is_empty());
    }

    #[test]
    fn egress_entries_are_ignored() {
        let mut out = e(100, "-1", "allow", "0.0.0.0/0", None);
        out.egress = true;
        let a = acl(vec![out, e(32767, "-1", "deny", "0.0.0.0/0", None)]);
        assert!(evaluate(&a, ADMIN).unwrap().is_empty());
    }

    #[test]
    fn an_unparsable_cidr_before_the_verdict_is_unknown() {
        let a = acl(vec![
            e(100, "6", "allow", "not-a-cidr", Some((22, 22))),
            e(32767, "-1", "deny", "0.0.0.0/0", None),
        ]);
        assert!(evaluate(&a, &[22]).is_err());
    }
}
