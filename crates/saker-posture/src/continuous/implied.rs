//! Event-implied failures: calls whose request alone shows an exposure.
//!
//! The re-describe only sees the state when it runs: an ingress rule
//! authorized and revoked before it (or before the queue was read at all)
//! leaves no trace in it. For a few calls the request itself proves that
//! the resource failed a check from the call's `eventTime` on, whatever
//! came before or after, and saker records that FAIL at once (not
//! debounced) as an *event-implied* observation; the re-describe then
//! decides the current state:
//!
//! | call | implied FAIL |
//! |---|---|
//! | `AuthorizeSecurityGroupIngress` whose `ipPermissions` open an admin port to the internet | C1 on the group: the permissions are converted to the inventory model and judged by C1 itself |
//! | `ModifySnapshotAttribute` adding `createVolumePermission` group `all` (unless the region's snapshot block public access is `block-all-sharing`) | C5 on the snapshot |
//! | `ModifyImageAttribute` adding `launchPermission` group `all` | C6 on the image |
//! | `EnableSerialConsoleAccess` | C9 on the region |
//! | `DisableEbsEncryptionByDefault` | C4 on the region |
//! | `ModifyInstanceMetadataOptions` with `HttpTokens=optional` (endpoint not disabled) | C8 on the instance |
//!
//! Only successful calls reach here (routing drops `errorCode` records).
//! Adding permissions can only widen access, so the request is enough;
//! removals are never implied (a revoke may leave another open rule).

use serde_json::{Map, Value};

use crate::checks::{self, Check, CheckContext};
use crate::finding::{Finding, Status};
use crate::inventory::{
    AccountInventory, Inventory, IpPermission, IpRange, Ipv6Range, PrefixListId, RegionInventory,
    SecurityGroup, UserIdGroupPair,
};
use crate::params::Params;

use super::check_id::CheckId;
use super::resource::{GroupRef, Resource};
use super::route::Change;
use super::shape::{member, payload, string_at, strings_at};

/// The FAIL findings `record` (routed as `change`) implies, each with
/// `changed_by` set to the change's event. Empty for calls not in the
/// table above or requests that do not show an exposure.
pub fn implied_failures(
    record: &Value,
    change: &Change,
    inventory: &Inventory,
    params: &Params,
) -> Vec<Finding> {
    let name = change.event.event_name.as_str();
    let empty = Map::new();
    let req = payload(record.get("requestParameters"), name).unwrap_or(&empty);
    let account = inventory
        .accounts
        .iter()
        .find(|a| a.account_id == change.account_id);
    let region = account.and_then(|a| a.regions.iter().find(|r| r.region == change.region));
    let mut out = match name {
        "AuthorizeSecurityGroupIngress" => sg_ingress(req, change, region, params),
        "ModifySnapshotAttribute" => {
            let blocked = region.and_then(|r| r.snapshot_block_public_access.as_deref())
                == Some("block-all-sharing");
            if !blocked && adds_group_all(req, "createVolumePermission") {
                strings_at(req, &["snapshotId"])
                    .into_iter()
                    .map(|id| {
                        failing(
                            change,
                            CheckId::EbsSnapshotPublic,
                            &id,
                            "request adds createVolumePermission group all: the snapshot is public",
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            }
        }
        "ModifyImageAttribute" if adds_group_all(req, "launchPermission") => {
            strings_at(req, &["imageId"])
                .into_iter()
                .map(|id| {
                    failing(
                        change,
                        CheckId::AmiPublic,
                        &id,
                        "request adds launchPermission group all: the image is public",
                    )
                })
                .collect()
        }
        "EnableSerialConsoleAccess" => vec![failing(
            change,
            CheckId::SerialConsoleAccess,
            &change.region,
            "EnableSerialConsoleAccess: serial console access is on in this region",
        )],
        "DisableEbsEncryptionByDefault" => vec![failing(
            change,
            CheckId::EbsDefaultEncryption,
            &change.region,
            "DisableEbsEncryptionByDefault: new volumes are not encrypted by default",
        )],
        "ModifyInstanceMetadataOptions" => {
            let tokens = string_at(req, &["HttpTokens"]);
            let endpoint = string_at(req, &["HttpEndpoint"]);
            if tokens.as_deref() == Some("optional") && endpoint.as_deref() != Some("disabled") {
                strings_at(req, &["InstanceId"])
                    .into_iter()
                    .map(|id| {
                        failing(
                            change,
                            CheckId::InstanceImdsv2Required,
                            &id,
                            "ModifyInstanceMetadataOptions HttpTokens=optional: IMDSv1 is allowed",
                        )
                    })
                    .collect()
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    for f in &mut out {
        f.changed_by = Some(change.event.clone());
    }
    out
}

/// A FAIL finding of `check` on `resource_id`, described by `detail`.
fn failing(change: &Change, check: CheckId, resource_id: &str, detail: &str) -> Finding {
    let meta = checks::check_by_id(check.as_str())
        .expect("every CheckId is a built-in check")
        .meta();
    let mut f = Finding {
        finding_id: Finding::id_for(meta.id, &change.account_id, &change.region, resource_id),
        check_id: meta.id.to_string(),
        status: Status::Fail,
        severity: meta.severity,
        account_id: change.account_id.clone(),
        region: change.region.clone(),
        resource_id: resource_id.to_string(),
        resource_type: meta.resource_type.to_string(),
        detail: format!("{detail} (implied by the request)"),
        evidence: Default::default(),
        requirements: Default::default(),
        muted: None,
        changed_by: None,
    };
    f.evidence.insert(
        "implied_by".into(),
        Value::String(change.event.event_name.clone()),
    );
    f
}

/// `{"add": {"items": [{"group": "all"}]}}` under `attribute`.
fn adds_group_all(req: &Map<String, Value>, attribute: &str) -> bool {
    let Some(attr) = member(req, attribute).and_then(Value::as_object) else {
        return false;
    };
    let Some(add) = member(attr, "add").and_then(Value::as_object) else {
        return false;
    };
    strings_at(add, &["group"]).iter().any(|g| g == "all")
}

/// C1 on the permissions the request adds, judged by the C1 check itself
/// on a one-group region (the group's name and VPC and the prefix lists
/// from the inventory, when known).
fn sg_ingress(
    req: &Map<String, Value>,
    change: &Change,
    region: Option<&RegionInventory>,
    params: &Params,
) -> Vec<Finding> {
    let perms = ip_permissions(req);
    if perms.is_empty() {
        return Vec::new();
    }
    let known = region
        .and_then(|r| r.security_groups.as_deref())
        .unwrap_or(&[]);
    let mut out = Vec::new();
    for target in &change.targets {
        let Resource::SecurityGroup(group) = &target.resource else {
            continue;
        };
        let existing = known.iter().find(|g| match group {
            GroupRef::Id(id) => &g.group_id == id,
            GroupRef::Name { name, vpc_id } => {
                &g.group_name == name && (vpc_id.is_none() || &g.vpc_id == vpc_id)
            }
        });
        let group_id = match (group, existing) {
            (_, Some(g)) => g.group_id.clone(),
            (GroupRef::Id(id), None) => id.clone(),
            // A group named but unknown: no finding id to attach it to.
            (GroupRef::Name { .. }, None) => continue,
        };
        let mut synthetic = RegionInventory::new(change.region.clone());
        synthetic.security_groups = Some(vec![SecurityGroup {
            group_id,
            group_name: existing.map(|g| g.group_name.clone()).unwrap_or_default(),
            vpc_id: existing.and_then(|g| g.vpc_id.clone()),
            owner_id: existing.and_then(|g| g.owner_id.clone()),
            ip_permissions: perms.clone(),
            ip_permissions_egress: Vec::new(),
            tags: Vec::new(),
        }]);
        synthetic.managed_prefix_lists = Some(
            region
                .and_then(|r| r.managed_prefix_lists.clone())
                .unwrap_or_default(),
        );
        let account = AccountInventory {
            account_id: change.account_id.clone(),
            partition: "aws".into(),
            role_arn: None,
            all_regions: None,
            instance_profiles: None,
            regions: Vec::new(),
            errors: Default::default(),
        };
        let ctx = CheckContext {
            account: &account,
            region: &synthetic,
            params,
            now: change.time,
        };
        let mut findings = Vec::new();
        checks::sg::SgOpenAdminPorts.run(&ctx, &mut findings);
        for mut f in findings.into_iter().filter(|f| f.status == Status::Fail) {
            f.detail = format!("{} (implied by the request)", f.detail);
            f.evidence.insert(
                "implied_by".into(),
                Value::String(change.event.event_name.clone()),
            );
            out.push(f);
        }
    }
    out
}

/// `requestParameters.ipPermissions.items[]` (or the flat single-rule
/// form: `ipProtocol`, `fromPort`, `toPort`, `cidrIp`) as the inventory's
/// [`IpPermission`]s.
pub fn ip_permissions(req: &Map<String, Value>) -> Vec<IpPermission> {
    let mut out = Vec::new();
    if let Some(v) = member(req, "ipPermissions") {
        for item in items(v) {
            if let Some(obj) = item.as_object() {
                out.extend(permission(obj));
            }
        }
    }
    if out.is_empty() && member(req, "ipProtocol").is_some() {
        out.extend(permission(req));
    }
    out
}

/// The elements of a list however EC2 wrapped it.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("items").or_else(|| o.get("item")) {
            Some(inner) => items(inner),
            None => vec![v],
        },
        _ => Vec::new(),
    }
}

fn port(obj: &Map<String, Value>, name: &str) -> Option<i32> {
    match member(obj, name)? {
        Value::Number(n) => n.as_i64().and_then(|n| i32::try_from(n).ok()),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn permission(obj: &Map<String, Value>) -> Option<IpPermission> {
    let proto = string_at(obj, &["ipProtocol"])?;
    // AWS normalises protocol numbers; so does the inventory (moto too).
    let ip_protocol = match proto.as_str() {
        "6" => "tcp".to_string(),
        "17" => "udp".to_string(),
        "1" => "icmp".to_string(),
        "58" => "icmpv6".to_string(),
        other => other.to_ascii_lowercase(),
    };
    let all_ports = ip_protocol == "-1";
    let mut ip_ranges: Vec<IpRange> = strings_at(obj, &["ipRanges", "cidrIp"])
        .into_iter()
        .map(|cidr_ip| IpRange { cidr_ip })
        .collect();
    ip_ranges.extend(string_at(obj, &["cidrIp"]).map(|cidr_ip| IpRange { cidr_ip }));
    Some(IpPermission {
        ip_protocol,
        from_port: if all_ports {
            None
        } else {
            port(obj, "fromPort")
        },
        to_port: if all_ports { None } else { port(obj, "toPort") },
        ip_ranges,
        ipv6_ranges: strings_at(obj, &["ipv6Ranges", "cidrIpv6"])
            .into_iter()
            .map(|cidr_ipv6| Ipv6Range { cidr_ipv6 })
            .collect(),
        prefix_list_ids: strings_at(obj, &["prefixListIds", "prefixListId"])
            .into_iter()
            .map(|prefix_list_id| PrefixListId { prefix_list_id })
            .collect(),
        user_id_group_pairs: strings_at(obj, &["groups", "groupId"])
            .into_iter()
            .map(|g| UserIdGroupPair {
                group_id: Some(g),
                user_id: None,
                vpc_peering_connection_id: None,
            })
            .collect(),
    })
}
