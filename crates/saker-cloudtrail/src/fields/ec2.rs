//! EC2 fields: the plugin's `ec2.name`, `ec2.imageid(s)` and saker's
//! security-group and sharing additions.
//!
//! saker additions (not in Falco; rules using them are saker-only):
//!
//! * `ec2.sg.cidrs` (string list): every CIDR of a security-group
//!   authorize/revoke request (any `ec2.amazonaws.com` record), both request
//!   shapes: flat `requestParameters.cidrIp`/`cidrIpv6`, and nested
//!   `ipPermissions.items[].ipRanges.items[].cidrIp` /
//!   `.ipv6Ranges.items[].cidrIpv6`. Empty `{}` lists contribute nothing;
//!   absent when there is no CIDR.
//! * `ec2.sg.world_port_ranges` (string list): the same ports as merged
//!   `from-to` ranges, compact enough for an alert output;
//! * `ec2.sg.world_ports` (uint64 list): every port opened by a permission
//!   one of whose CIDRs has prefix length 0 (`0.0.0.0/0`, `::/0`, anonymised
//!   `x.x.x.x/0`). `tcp`/`udp`/`6`/`17` give `fromPort..=toPort`; protocol
//!   `-1` (all traffic) gives every port `0..=65535`; ICMP and other
//!   protocols give none. Sorted, without duplicates; absent if empty.
//! * `ec2.sg.permissions` (string list, for outputs): one entry per
//!   (permission, source): `tcp/22 0.0.0.0/0`, `tcp/8000-8100 10.0.0.0/8`,
//!   `all ::/0`, `tcp/443 sg-0abc` (referenced group), `tcp/443 pl-0abc`
//!   (prefix list), `icmp 0.0.0.0/0`.
//! * `ec2.shared_with` / `ec2.unshared_from` (string lists): the `userId`s
//!   (or `all` for `group: "all"`) in `createVolumePermission.add.items[]`
//!   (ModifySnapshotAttribute) or `launchPermission.add.items[]`
//!   (ModifyImageAttribute) — `remove` for `unshared_from`; absent if none.

use crate::rawjson::{self, Kind};
use crate::record::{string_or_empty, CloudTrailEvent, Key};
use std::borrow::Cow;

/// `ec2.name`: over `requestParameters.tagSpecificationSet.items[]` with
/// `resourceType == "instance"`, the first `Name` tag's value; the last
/// such item wins; empty → absent.
pub fn instance_name<'a>(ev: &CloudTrailEvent<'a>) -> Option<Cow<'a, str>> {
    let items = ev.at(Key::RequestParameters, &["tagSpecificationSet", "items"])?;
    let mut name: Cow<'a, str> = Cow::Borrowed("");
    for item in rawjson::elements(items) {
        if rawjson::get(item, "resourceType")
            .map(string_or_empty)
            .as_deref()
            != Some("instance")
        {
            continue;
        }
        let Some(tags) = rawjson::get(item, "tags") else {
            continue;
        };
        for tag in rawjson::elements(tags) {
            if rawjson::get(tag, "key").map(string_or_empty).as_deref() == Some("Name") {
                name = rawjson::get(tag, "value")
                    .map(string_or_empty)
                    .unwrap_or_default();
                break;
            }
        }
    }
    (!name.is_empty()).then_some(name)
}

/// `ec2.imageids` (and `[N]`): see `shared/reference/falco.md` §6.2.
pub fn image_ids<'a>(ev: &CloudTrailEvent<'a>, idx: Option<u64>) -> Option<Vec<Cow<'a, str>>> {
    if let Some(items) = ev.at(Key::ResponseElements, &["instancesSet", "items"]) {
        return match idx {
            None => {
                let ids: Vec<_> = rawjson::elements(items)
                    .filter_map(|it| rawjson::get(it, "imageId").and_then(rawjson::as_str))
                    .filter(|s| !s.is_empty())
                    .collect();
                (!ids.is_empty()).then_some(ids)
            }
            Some(n) => {
                let it = rawjson::index(items, usize::try_from(n).ok()?)?;
                Some(vec![string_or_empty(rawjson::get(it, "imageId")?)])
            }
        };
    }
    if idx.is_some_and(|n| n != 0) {
        return None;
    }
    let rp = ev.top(Key::RequestParameters)?;
    let v = rawjson::get(rp, "imageId")
        .or_else(|| {
            rawjson::path(
                rp,
                &["DescribeFastLaunchImagesRequest", "ImageId", "content"],
            )
        })
        .or_else(|| rawjson::path(rp, &["launchSpecification", "imageId"]))?;
    Some(vec![string_or_empty(v)])
}

/// One security-group permission of a request.
struct Perm<'a> {
    proto: Cow<'a, str>,
    from: Option<i64>,
    to: Option<i64>,
    cidrs: Vec<Cow<'a, str>>,
    /// Referenced groups and prefix lists.
    others: Vec<Cow<'a, str>>,
}

fn int(raw: Option<&str>) -> Option<i64> {
    let r = raw?;
    match rawjson::kind(r) {
        Kind::Number => r
            .parse::<i64>()
            .ok()
            .or_else(|| r.parse::<f64>().ok().map(|f| f as i64)),
        Kind::String => rawjson::as_str(r)?.trim().parse().ok(),
        _ => None,
    }
}

fn proto_of(raw: Option<&str>) -> Cow<'_, str> {
    match raw {
        Some(r) if rawjson::kind(r) == Kind::Number => Cow::Borrowed(r),
        Some(r) => string_or_empty(r),
        None => Cow::Borrowed(""),
    }
}

fn list_items<'a>(obj: &'a str, list: &str, key: &str) -> impl Iterator<Item = Cow<'a, str>> + 'a {
    let items = rawjson::get(obj, list)
        .and_then(|l| rawjson::get(l, "items"))
        .unwrap_or("");
    let key = key.to_string();
    rawjson::elements(items).filter_map(move |it| rawjson::get(it, &key).and_then(rawjson::as_str))
}

fn permissions<'a>(ev: &CloudTrailEvent<'a>) -> Vec<Perm<'a>> {
    let mut out = Vec::new();
    if ev.string(Key::EventSource, &[]).as_deref() != Some("ec2.amazonaws.com") {
        return out;
    }
    let Some(rp) = ev
        .top(Key::RequestParameters)
        .filter(|r| rawjson::kind(r) == Kind::Object)
    else {
        return out;
    };
    if let Some(items) = rawjson::get(rp, "ipPermissions").and_then(|p| rawjson::get(p, "items")) {
        for it in rawjson::elements(items) {
            let mut cidrs: Vec<_> = list_items(it, "ipRanges", "cidrIp").collect();
            cidrs.extend(list_items(it, "ipv6Ranges", "cidrIpv6"));
            let mut others: Vec<_> = rawjson::get(it, "groups")
                .and_then(|g| rawjson::get(g, "items"))
                .map(|items| {
                    rawjson::elements(items)
                        .filter_map(|g| {
                            rawjson::get(g, "groupId")
                                .or_else(|| rawjson::get(g, "groupName"))
                                .and_then(rawjson::as_str)
                        })
                        .collect()
                })
                .unwrap_or_default();
            others.extend(list_items(it, "prefixListIds", "prefixListId"));
            out.push(Perm {
                proto: proto_of(rawjson::get(it, "ipProtocol")),
                from: int(rawjson::get(it, "fromPort")),
                to: int(rawjson::get(it, "toPort")),
                cidrs,
                others,
            });
        }
    }
    let flat: Vec<_> = ["cidrIp", "cidrIpv6"]
        .iter()
        .filter_map(|k| rawjson::get(rp, k).and_then(rawjson::as_str))
        .collect();
    let flat_group = rawjson::get(rp, "sourceSecurityGroupName").and_then(rawjson::as_str);
    if !flat.is_empty() || flat_group.is_some() {
        out.push(Perm {
            proto: proto_of(rawjson::get(rp, "ipProtocol")),
            from: int(rawjson::get(rp, "fromPort")),
            to: int(rawjson::get(rp, "toPort")),
            cidrs: flat,
            others: flat_group.into_iter().collect(),
        });
    }
    out
}

/// Protocol class of an `ipProtocol` value.
#[derive(PartialEq, Eq)]
enum Proto {
    All,
    Ported(&'static str),
    Icmp(&'static str),
    Other,
}

fn classify(p: &str) -> Proto {
    match p.to_ascii_lowercase().as_str() {
        "-1" | "all" => Proto::All,
        "tcp" | "6" => Proto::Ported("tcp"),
        "udp" | "17" => Proto::Ported("udp"),
        "icmp" | "1" => Proto::Icmp("icmp"),
        "icmpv6" | "58" => Proto::Icmp("icmpv6"),
        _ => Proto::Other,
    }
}

fn port_range(p: &Perm<'_>) -> (u64, u64) {
    let from = p.from.filter(|f| (0..=65535).contains(f)).unwrap_or(0) as u64;
    let to = p.to.filter(|t| (0..=65535).contains(t)).unwrap_or(65535) as u64;
    (from, to.max(from))
}

fn is_world(cidr: &str) -> bool {
    cidr.trim().ends_with("/0")
}

/// `ec2.sg.cidrs`.
pub fn sg_cidrs<'a>(ev: &CloudTrailEvent<'a>) -> Option<Vec<Cow<'a, str>>> {
    let v: Vec<_> = permissions(ev).into_iter().flat_map(|p| p.cidrs).collect();
    (!v.is_empty()).then_some(v)
}

/// The port ranges (inclusive, sorted, merged) a security-group request
/// opens to a `/0` CIDR; `None` when it opens none.
fn world_port_ranges(ev: &CloudTrailEvent<'_>) -> Option<Vec<(u64, u64)>> {
    let mut ranges = Vec::new();
    for p in permissions(ev) {
        if !p.cidrs.iter().any(|c| is_world(c)) {
            continue;
        }
        ranges.push(match classify(&p.proto) {
            Proto::All => (0, 65535),
            Proto::Ported(_) => port_range(&p),
            Proto::Icmp(_) | Proto::Other => continue,
        });
    }
    if ranges.is_empty() {
        return None;
    }
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for (from, to) in ranges {
        match merged.last_mut() {
            Some(last) if from <= last.1 + 1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    Some(merged)
}

/// `ec2.sg.world_ports`: every port, ascending.
pub fn sg_world_ports(ev: &CloudTrailEvent<'_>) -> Option<Vec<u64>> {
    let ranges = world_port_ranges(ev)?;
    Some(
        ranges
            .into_iter()
            .flat_map(|(from, to)| from..=to)
            .collect(),
    )
}

/// `ec2.sg.world_port_ranges`: the same ports as `from-to` ranges (`22`,
/// `8000-8080`, `0-65535`), for outputs.
pub fn sg_world_port_ranges(ev: &CloudTrailEvent<'_>) -> Option<Vec<String>> {
    let ranges = world_port_ranges(ev)?;
    Some(
        ranges
            .into_iter()
            .map(|(from, to)| {
                if from == to {
                    from.to_string()
                } else {
                    format!("{from}-{to}")
                }
            })
            .collect(),
    )
}

/// `ec2.sg.permissions`.
pub fn sg_permissions(ev: &CloudTrailEvent<'_>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for p in permissions(ev) {
        let head = match classify(&p.proto) {
            Proto::All => "all".to_string(),
            Proto::Ported(name) => {
                if p.from.is_none() && p.to.is_none() {
                    name.to_string()
                } else {
                    let (f, t) = port_range(&p);
                    if f == t {
                        format!("{name}/{f}")
                    } else {
                        format!("{name}/{f}-{t}")
                    }
                }
            }
            Proto::Icmp(name) => name.to_string(),
            Proto::Other => format!("proto-{}", p.proto),
        };
        for src in p.cidrs.iter().chain(p.others.iter()) {
            out.push(format!("{head} {src}"));
        }
    }
    (!out.is_empty()).then_some(out)
}

/// `ec2.shared_with` (`side = "add"`) / `ec2.unshared_from` (`"remove"`).
pub fn shared<'a>(ev: &CloudTrailEvent<'a>, side: &str) -> Option<Vec<Cow<'a, str>>> {
    let rp = ev.top(Key::RequestParameters)?;
    let mut out = Vec::new();
    for attr in ["createVolumePermission", "launchPermission"] {
        let Some(items) = rawjson::path(rp, &[attr, side, "items"]) else {
            continue;
        };
        for it in rawjson::elements(items) {
            if let Some(u) = rawjson::get(it, "userId").and_then(rawjson::as_str) {
                out.push(u);
            } else if rawjson::get(it, "group")
                .and_then(rawjson::as_str)
                .as_deref()
                == Some("all")
            {
                out.push(Cow::Borrowed("all"));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Overlapping and adjacent world ranges merge; private CIDRs and ICMP
    /// open no world port.
    #[test]
    fn world_port_ranges_merge() {
        let raw = r#"{"eventTime":"2024-01-01T00:00:00Z","eventSource":"ec2.amazonaws.com",
            "eventName":"AuthorizeSecurityGroupIngress","requestParameters":{"groupId":"sg-1",
            "ipPermissions":{"items":[
              {"ipProtocol":"tcp","fromPort":22,"toPort":30,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},
              {"ipProtocol":"tcp","fromPort":20,"toPort":25,"ipv6Ranges":{"items":[{"cidrIpv6":"::/0"}]}},
              {"ipProtocol":"udp","fromPort":31,"toPort":31,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},
              {"ipProtocol":"tcp","fromPort":443,"toPort":443,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}},
              {"ipProtocol":"tcp","fromPort":3389,"toPort":3389,"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},
              {"ipProtocol":"icmp","fromPort":-1,"toPort":-1,"ipRanges":{"items":[{"cidrIp":"0.0.0.0/0"}]}}
            ]}}}"#;
        let ev = CloudTrailEvent::parse(raw.as_bytes()).unwrap();
        assert_eq!(
            sg_world_port_ranges(&ev).unwrap(),
            ["20-31".to_string(), "443".to_string()]
        );
        let ports = sg_world_ports(&ev).unwrap();
        assert_eq!(ports.len(), 13);
        assert_eq!((ports[0], ports[11], ports[12]), (20, 31, 443));
    }
}
