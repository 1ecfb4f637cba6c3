//! Address and port arithmetic shared by the network checks (C1, C2, C7).
//!
//! * [`Cidr`]: an IPv4 or IPv6 block parsed from API text (`CidrIp`,
//!   `CidrIpv6`, `CidrBlock`, prefix-list `Cidr`); host bits are ignored, as
//!   AWS does (`1.2.3.4/0` is the whole IPv4 space).
//! * [`AddrSet`]: a set of addresses of one family as disjoint ranges, so
//!   "is this port open to the whole internet?" is a question about the
//!   union of every source that reaches it: `0.0.0.0/0`, `::/0`, or splits
//!   such as `0.0.0.0/1` + `128.0.0.0/1` that evade a literal comparison.
//! * [`Proto`] and the protocol/port matchers for security group rules
//!   (`IpProtocol` names) and network ACL entries (protocol numbers).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::inventory::{IpPermission, NetworkAclEntry};

/// An address family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    V4,
    V6,
}

impl Family {
    /// The largest address of the family, as a number.
    fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    /// The whole-space block as AWS writes it: `0.0.0.0/0` or `::/0`.
    pub fn any(self) -> &'static str {
        match self {
            Family::V4 => "0.0.0.0/0",
            Family::V6 => "::/0",
        }
    }

    /// `IPv4` or `IPv6`.
    pub fn name(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }
}

/// A CIDR block: the inclusive address range `first..=last` of `family`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub family: Family,
    pub prefix: u8,
    pub first: u128,
    pub last: u128,
}

impl Cidr {
    /// Parse `a.b.c.d/n` or `x:y::/n`. A bare address is a single host
    /// (`/32`, `/128`).
    ///
    /// # Errors
    /// Text that is not an IPv4 or IPv6 CIDR block, or a prefix length
    /// larger than the family's width.
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (addr, len) = match text.split_once('/') {
            Some((a, l)) => (a, Some(l)),
            None => (text, None),
        };
        let (family, value, width) = if let Ok(v4) = addr.parse::<Ipv4Addr>() {
            (Family::V4, u128::from(u32::from(v4)), 32u8)
        } else if let Ok(v6) = addr.parse::<Ipv6Addr>() {
            (Family::V6, u128::from(v6), 128u8)
        } else {
            return Err(format!("{text:?} is not an IP address or CIDR block"));
        };
        let prefix = match len {
            None => width,
            Some(l) => match l.parse::<u8>() {
                Ok(p) if p <= width => p,
                _ => return Err(format!("{text:?} has an invalid prefix length")),
            },
        };
        let host_bits = u32::from(width - prefix);
        let span = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let first = value & !span & family.max();
        Ok(Cidr {
            family,
            prefix,
            first,
            last: first | span,
        })
    }

    /// Prefix length 0: every address of the family (`0.0.0.0/0`, `::/0`).
    pub fn is_whole_space(&self) -> bool {
        self.prefix == 0
    }
}

/// A set of addresses of one family, as sorted, disjoint, non-adjacent
/// inclusive ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddrSet {
    family: Family,
    ranges: Vec<(u128, u128)>,
}

impl AddrSet {
    /// No address.
    pub fn empty(family: Family) -> Self {
        AddrSet {
            family,
            ranges: Vec::new(),
        }
    }

    /// Every address of the family.
    pub fn full(family: Family) -> Self {
        AddrSet {
            family,
            ranges: vec![(0, family.max())],
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// True when the set holds every address of its family.
    pub fn is_full(&self) -> bool {
        self.ranges == [(0, self.family.max())]
    }

    /// Add a block (of the same family; others are ignored).
    pub fn insert(&mut self, c: &Cidr) {
        if c.family != self.family {
            return;
        }
        let (mut lo, mut hi) = (c.first, c.last);
        let mut kept = Vec::with_capacity(self.ranges.len() + 1);
        for &(a, b) in &self.ranges {
            // Disjoint and not adjacent: keep as is.
            if b.checked_add(1).is_some_and(|n| n < lo) || hi.checked_add(1).is_some_and(|n| n < a)
            {
                kept.push((a, b));
            } else {
                lo = lo.min(a);
                hi = hi.max(b);
            }
        }
        kept.push((lo, hi));
        kept.sort_unstable();
        self.ranges = kept;
    }

    /// Remove a block.
    pub fn remove(&mut self, c: &Cidr) {
        if c.family != self.family {
            return;
        }
        let mut kept = Vec::with_capacity(self.ranges.len() + 1);
        for &(a, b) in &self.ranges {
            if b < c.first || a > c.last {
                kept.push((a, b));
                continue;
            }
            if a < c.first {
                kept.push((a, c.first - 1));
            }
            if b > c.last {
                kept.push((c.last + 1, b));
            }
        }
        self.ranges = kept;
    }

    /// True when the set and the block share an address.
    pub fn intersects(&self, c: &Cidr) -> bool {
        c.family == self.family
            && self
                .ranges
                .iter()
                .any(|&(a, b)| a <= c.last && b >= c.first)
    }
}

/// The transport protocols whose ports the admin-port checks ask about.
/// CIS counts TCP, UDP and "all" (`-1`) for ports 22 and 3389.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Proto {
    Tcp,
    Udp,
}

impl Proto {
    pub const BOTH: [Proto; 2] = [Proto::Tcp, Proto::Udp];

    /// `tcp` / `udp`.
    pub fn name(self) -> &'static str {
        match self {
            Proto::Tcp => "tcp",
            Proto::Udp => "udp",
        }
    }

    /// The IANA protocol number, as network ACLs write it.
    fn number(self) -> &'static str {
        match self {
            Proto::Tcp => "6",
            Proto::Udp => "17",
        }
    }
}

/// Whether `port` lies in `[from, to]`; a missing bound, `-1` or an
/// inverted range means every port (what AWS reports for all ports), so
/// incomplete data never narrows exposure.
fn port_in(from: Option<i32>, to: Option<i32>, port: u16) -> bool {
    match (from, to) {
        (Some(f), Some(t)) if f >= 0 && t >= 0 && f <= t => (f..=t).contains(&i32::from(port)),
        _ => true,
    }
}

/// Does a security group rule (`IpPermissions[]` item) let `proto`/`port`
/// in, whatever its sources?
///
/// * `-1`: all protocols and all ports.
/// * `tcp`/`6`, `udp`/`17`: inclusive `FromPort..=ToPort`; absent ports
///   mean all.
/// * `icmp`/`1`, `icmpv6`/`58`: `FromPort`/`ToPort` are ICMP type and code,
///   never ports: no match.
/// * Any other protocol number (e.g. `50`, ESP): all of that protocol's
///   traffic, which carries no TCP or UDP port: no match.
pub fn sg_rule_covers(perm: &IpPermission, proto: Proto, port: u16) -> bool {
    let p = perm.ip_protocol.trim().to_ascii_lowercase();
    match p.as_str() {
        "-1" | "all" => true,
        "tcp" | "6" => proto == Proto::Tcp && port_in(perm.from_port, perm.to_port, port),
        "udp" | "17" => proto == Proto::Udp && port_in(perm.from_port, perm.to_port, port),
        _ => false,
    }
}

/// Does a network ACL entry apply to `proto`/`port`? `Protocol` is a
/// number as text: `-1` all (no `PortRange`), `6` tcp, `17` udp; ICMP
/// (`1`, `58`) and other protocols never carry a TCP/UDP port. A tcp/udp
/// entry without `PortRange` applies to every port.
pub fn nacl_entry_covers(entry: &NetworkAclEntry, proto: Proto, port: u16) -> bool {
    let p = entry.protocol.trim().to_ascii_lowercase();
    let same = p == proto.number() || p == proto.name();
    match p.as_str() {
        "-1" | "all" => true,
        _ if same => match entry.port_range {
            Some(r) => port_in(Some(r.from), Some(r.to), port),
            None => true,
        },
        _ => false,
    }
}

/// A security group rule's protocol and ports, for details:
/// `tcp 0-65535`, `udp 22`, `all traffic (-1)`.
pub fn describe_sg_rule(perm: &IpPermission) -> String {
    let p = perm.ip_protocol.as_str();
    if p == "-1" {
        return "all traffic (-1)".into();
    }
    match (perm.from_port, perm.to_port) {
        (Some(f), Some(t)) if f == t => format!("{p} {f}"),
        (Some(f), Some(t)) => format!("{p} {f}-{t}"),
        _ => format!("{p} all ports"),
    }
}

/// A network ACL entry, for details: `rule 100 allow -1 (all) from 0.0.0.0/0`.
pub fn describe_nacl_entry(entry: &NetworkAclEntry) -> String {
    let ports = match (entry.protocol.as_str(), entry.port_range) {
        ("-1", _) => "all traffic (-1)".to_string(),
        (p, Some(r)) if r.from == r.to => format!("protocol {p} port {}", r.from),
        (p, Some(r)) => format!("protocol {p} ports {}-{}", r.from, r.to),
        (p, None) => format!("protocol {p} all ports"),
    };
    let cidr = entry
        .cidr_block
        .as_deref()
        .or(entry.ipv6_cidr_block.as_deref())
        .unwrap_or("?");
    format!(
        "rule {} {} {ports} from {cidr}",
        entry.rule_number, entry.rule_action
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::PortRange;

    fn c(s: &str) -> Cidr {
        Cidr::parse(s).unwrap()
    }

    fn perm(proto: &str, from: Option<i32>, to: Option<i32>) -> IpPermission {
        IpPermission {
            ip_protocol: proto.into(),
            from_port: from,
            to_port: to,
            ip_ranges: vec![],
            ipv6_ranges: vec![],
            prefix_list_ids: vec![],
            user_id_group_pairs: vec![],
        }
    }

    fn entry(proto: &str, range: Option<(i32, i32)>) -> NetworkAclEntry {
        NetworkAclEntry {
            rule_number: 100,
            protocol: proto.into(),
            rule_action: "allow".into(),
            egress: false,
            cidr_block: Some("0.0.0.0/0".into()),
            ipv6_cidr_block: None,
            port_range: range.map(|(from, to)| PortRange { from, to }),
        }
    }

    #[test]
    fn whole_space_is_prefix_zero_in_either_family_even_with_host_bits() {
        assert!(c("0.0.0.0/0").is_whole_space());
        assert!(c("::/0").is_whole_space());
        assert!(c("10.1.2.3/0").is_whole_space());
        assert!(!c("0.0.0.0/1").is_whole_space());
        assert!(!c("2001:db8::/32").is_whole_space());
        assert_eq!(
            c("10.1.2.3/8").first,
            u128::from(u32::from(Ipv4Addr::new(10, 0, 0, 0)))
        );
        assert_eq!(c("192.0.2.7").prefix, 32);
    }

    #[test]
    fn bad_cidrs_are_errors() {
        assert!(Cidr::parse("0.0.0.0/33").is_err());
        assert!(Cidr::parse("::/129").is_err());
        assert!(Cidr::parse("example.com/0").is_err());
        assert!(Cidr::parse("").is_err());
    }

    #[test]
    fn split_halves_cover_the_whole_space_one_half_does_not() {
        let mut s = AddrSet::empty(Family::V4);
        s.insert(&c("0.0.0.0/1"));
        assert!(!s.is_full());
        s.insert(&c("128.0.0.0/1"));
        assert!(s.is_full());

        let mut v6 = AddrSet::empty(Family::V6);
        v6.insert(&c("::/1"));
        v6.insert(&c("8000::/1"));
        assert!(v6.is_full());

        // Adjacent small blocks merge; a gap keeps the set partial.
        let mut g = AddrSet::empty(Family::V4);
        g.insert(&c("0.0.0.0/2"));
        g.insert(&c("128.0.0.0/1"));
        assert!(!g.is_full());
        g.insert(&c("64.0.0.0/2"));
        assert!(g.is_full());
    }

    #[test]
    fn other_family_blocks_are_ignored() {
        let mut s = AddrSet::empty(Family::V4);
        s.insert(&c("::/0"));
        assert!(s.is_empty());
        assert!(!AddrSet::full(Family::V4).intersects(&c("::/0")));
    }

    #[test]
    fn remove_carves_holes_and_intersects_sees_them() {
        let mut s = AddrSet::full(Family::V4);
        s.remove(&c("10.0.0.0/8"));
        assert!(!s.is_full());
        assert!(!s.intersects(&c("10.1.0.0/16")));
        assert!(s.intersects(&c("11.0.0.0/8")));
        s.remove(&c("0.0.0.0/0"));
        assert!(s.is_empty());
    }

    #[test]
    fn protocol_all_covers_every_port_of_tcp_and_udp() {
        let p = perm("-1", None, None);
        assert!(sg_rule_covers(&p, Proto::Tcp, 22));
        assert!(sg_rule_covers(&p, Proto::Udp, 3389));
    }

    #[test]
    fn port_ranges_are_inclusive_and_per_protocol() {
        let p = perm("tcp", Some(20), Some(22));
        assert!(sg_rule_covers(&p, Proto::Tcp, 22));
        assert!(sg_rule_covers(&p, Proto::Tcp, 20));
        assert!(!sg_rule_covers(&p, Proto::Tcp, 23));
        assert!(!sg_rule_covers(&p, Proto::Udp, 22));
        let u = perm("udp", Some(3000), Some(4000));
        assert!(sg_rule_covers(&u, Proto::Udp, 3389));
        assert!(sg_rule_covers(
            &perm("tcp", Some(0), Some(65535)),
            Proto::Tcp,
            3389
        ));
        // Numeric forms of tcp/udp are the same protocols.
        assert!(sg_rule_covers(
            &perm("6", Some(22), Some(22)),
            Proto::Tcp,
            22
        ));
        assert!(sg_rule_covers(
            &perm("17", Some(22), Some(22)),
            Proto::Udp,
            22
        ));
        // Missing ports on tcp mean all ports (never narrow on bad data).
        assert!(sg_rule_covers(&perm("tcp", None, None), Proto::Tcp, 22));
    }

    #[test]
    fn icmp_type_and_code_are_not_ports() {
        // ICMP type 22 / code 22 would read as "port 22" to a naive matcher.
        for proto in ["icmp", "1", "icmpv6", "58"] {
            let p = perm(proto, Some(22), Some(22));
            assert!(!sg_rule_covers(&p, Proto::Tcp, 22), "{proto}");
            assert!(!sg_rule_covers(
                &perm(proto, Some(-1), Some(-1)),
                Proto::Tcp,
                22
            ));
        }
    }

    #[test]
    fn other_protocol_numbers_carry_no_tcp_or_udp_ports() {
        // ESP (50) without ports is all ESP traffic, which has no port 22.
        let p = perm("50", None, None);
        assert!(!sg_rule_covers(&p, Proto::Tcp, 22));
        assert!(!sg_rule_covers(&p, Proto::Udp, 22));
    }

    #[test]
    fn nacl_protocol_numbers_and_port_ranges() {
        assert!(nacl_entry_covers(&entry("-1", None), Proto::Tcp, 22));
        assert!(nacl_entry_covers(
            &entry("6", Some((22, 22))),
            Proto::Tcp,
            22
        ));
        assert!(!nacl_entry_covers(
            &entry("6", Some((22, 22))),
            Proto::Udp,
            22
        ));
        assert!(nacl_entry_covers(
            &entry("17", Some((1024, 65535))),
            Proto::Udp,
            3389
        ));
        assert!(!nacl_entry_covers(
            &entry("6", Some((1024, 65535))),
            Proto::Tcp,
            22
        ));
        assert!(nacl_entry_covers(&entry("6", None), Proto::Tcp, 22));
        // ICMP's IcmpTypeCode is no port; protocol 50 has no ports.
        assert!(!nacl_entry_covers(&entry("1", None), Proto::Tcp, 22));
        assert!(!nacl_entry_covers(&entry("58", None), Proto::Tcp, 22));
        assert!(!nacl_entry_covers(&entry("50", None), Proto::Tcp, 22));
    }

    #[test]
    fn descriptions_name_protocol_ports_and_source() {
        assert_eq!(
            describe_sg_rule(&perm("tcp", Some(0), Some(65535))),
            "tcp 0-65535"
        );
        assert_eq!(
            describe_sg_rule(&perm("-1", None, None)),
            "all traffic (-1)"
        );
        assert_eq!(
            describe_nacl_entry(&entry("6", Some((22, 22)))),
            "rule 100 allow protocol 6 port 22 from 0.0.0.0/0"
        );
    }
}
