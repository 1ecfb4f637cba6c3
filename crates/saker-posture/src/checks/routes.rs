//! Public-subnet resolution through route tables (C7).
//!
//! A subnet's traffic follows its explicitly associated route table
//! (`RouteTables[].Associations[].SubnetId`), else its VPC's main route table
//! (`Associations[].Main = true`). The subnet is *public* for a family when
//! that table routes the whole space (`0.0.0.0/0` / `::/0`) to an internet
//! gateway (`GatewayId = igw-…`, not blackholed). An egress-only internet
//! gateway (`eigw-…`) lets IPv6 traffic out but nothing in, so it does not
//! make a subnet public. Source: posture reference §1.7 and §4.1 (C7).

use std::collections::HashMap;

use super::net::{Cidr, Family};
use crate::inventory::{Route, RouteTable, Subnet};

/// Route tables indexed for subnet lookups.
pub struct RouteIndex<'a> {
    explicit: HashMap<&'a str, &'a RouteTable>,
    main: HashMap<&'a str, &'a RouteTable>,
    subnet_vpc: HashMap<&'a str, &'a str>,
}

impl<'a> RouteIndex<'a> {
    /// Index `tables`; `subnets` give each subnet's VPC (for the main-table
    /// fallback when the caller does not know it).
    pub fn new(tables: &'a [RouteTable], subnets: &'a [Subnet]) -> Self {
        let mut explicit = HashMap::new();
        let mut main = HashMap::new();
        for t in tables {
            for a in &t.associations {
                if a.main {
                    main.insert(t.vpc_id.as_str(), t);
                }
                if let Some(s) = a.subnet_id.as_deref() {
                    explicit.insert(s, t);
                }
            }
        }
        let subnet_vpc = subnets
            .iter()
            .map(|s| (s.subnet_id.as_str(), s.vpc_id.as_str()))
            .collect();
        RouteIndex {
            explicit,
            main,
            subnet_vpc,
        }
    }

    /// The route table governing `subnet_id` (explicit association, else
    /// the main table of its VPC — `vpc_id` when given, else the VPC
    /// `DescribeSubnets` names).
    pub fn table_for(&self, subnet_id: &str, vpc_id: Option<&str>) -> Option<&'a RouteTable> {
        if let Some(t) = self.explicit.get(subnet_id) {
            return Some(t);
        }
        let vpc = vpc_id.or_else(|| self.subnet_vpc.get(subnet_id).copied())?;
        self.main.get(vpc).copied()
    }

    /// The route that makes `subnet_id` public for `family`, if any.
    pub fn internet_route(
        &self,
        subnet_id: &str,
        vpc_id: Option<&str>,
        family: Family,
    ) -> Option<&'a Route> {
        self.table_for(subnet_id, vpc_id)?
            .routes
            .iter()
            .find(|r| is_internet_route(r, family))
    }
}

/// A whole-space route of `family` to an internet gateway that is not a
/// blackhole.
pub fn is_internet_route(r: &Route, family: Family) -> bool {
    let dest = match family {
        Family::V4 => r.destination_cidr_block.as_deref(),
        Family::V6 => r.destination_ipv6_cidr_block.as_deref(),
    };
    let whole = dest
        .and_then(|d| Cidr::parse(d).ok())
        .is_some_and(|c| c.family == family && c.is_whole_space());
    let igw = r
        .gateway_id
        .as_deref()
        .is_some_and(|g| g.starts_with("igw-"));
    whole && igw && r.state.as_deref() != Some("blackhole")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::RouteTableAssociation;

    fn route(v4: Option<&str>, v6: Option<&str>, gw: &str, state: Option<&str>) -> Route {
        Route {
            destination_cidr_block: v4.map(String::from),
            destination_ipv6_cidr_block: v6.map(String::from),
            gateway_id: Some(gw.into()),
            state: state.map(String::from),
        }
    }

    fn table(id: &str, main: bool, subnets: &[&str], routes: Vec<Route>) -> RouteTable {
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
            vpc_id: "vpc-1".into(),
            associations,
            routes,
        }
    }

    fn subnet(id: &str) -> Subnet {
        Subnet {
            subnet_id: id.into(),
            vpc_id: "vpc-1".into(),
            map_public_ip_on_launch: false,
            availability_zone: None,
            tags: vec![],
        }
    }

    #[test]
    fn explicit_association_wins_over_the_main_table() {
        let tables = vec![
            table(
                "rtb-main",
                true,
                &[],
                vec![route(Some("0.0.0.0/0"), None, "igw-1", Some("active"))],
            ),
            table("rtb-private", false, &["subnet-priv"], vec![]),
        ];
        let subnets = vec![subnet("subnet-priv"), subnet("subnet-other")];
        let idx = RouteIndex::new(&tables, &subnets);
        assert!(idx
            .internet_route("subnet-priv", None, Family::V4)
            .is_none());
        // No explicit association: the VPC's main table applies.
        assert!(idx
            .internet_route("subnet-other", None, Family::V4)
            .is_some());
    }

    #[test]
    fn egress_only_gateways_and_blackholes_are_not_internet_routes() {
        assert!(!is_internet_route(
            &route(None, Some("::/0"), "eigw-1", None),
            Family::V6
        ));
        assert!(!is_internet_route(
            &route(Some("0.0.0.0/0"), None, "igw-1", Some("blackhole")),
            Family::V4
        ));
        assert!(is_internet_route(
            &route(None, Some("::/0"), "igw-1", None),
            Family::V6
        ));
        // A narrower route to the IGW does not make the subnet public.
        assert!(!is_internet_route(
            &route(Some("10.0.0.0/8"), None, "igw-1", None),
            Family::V4
        ));
        // The IPv4 default route says nothing about IPv6.
        assert!(!is_internet_route(
            &route(Some("0.0.0.0/0"), None, "igw-1", None),
            Family::V6
        ));
    }
}
