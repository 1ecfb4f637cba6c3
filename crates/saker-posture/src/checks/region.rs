//! Region-level checks: C9 (serial console access off) and C15 (EC2
//! resources only in approved regions).

use serde_json::{json, Map, Value};

use super::instance::live;
use super::{need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::CollectError;

/// C9 — `ec2_serial_console_access`.
pub struct SerialConsoleAccess;

/// C15 — `ec2_region_approved`.
pub struct RegionApproved;

static C9: CheckMeta = CheckMeta {
    id: "ec2_serial_console_access",
    short_id: "C9",
    title: "EC2 serial console access is disabled",
    severity: Severity::Medium,
    resource_type: "AwsAccount",
    rationale: "The serial console reaches an instance's console below the network: security \
        groups, NACLs and SSH keys do not apply. Leave it off unless a break-glass procedure \
        needs it.",
    remediation_cli: "aws ec2 disable-serial-console-access --region <region>",
    remediation_console: "EC2 → (choose the region) → Settings → Data protection and security → \
        EC2 Serial Console → Manage → clear Allow",
    api_fields: "GetSerialConsoleAccessStatus → SerialConsoleAccessEnabled, ManagedBy",
    needs: &["GetSerialConsoleAccessStatus"],
};

static C15: CheckMeta = CheckMeta {
    id: "ec2_region_approved",
    short_id: "C15",
    title: "EC2 resources exist only in approved regions",
    severity: Severity::High,
    resource_type: "AwsAccount",
    rationale: "Resources in regions nobody watches (miners launched with stolen keys, forgotten \
        experiments) escape monitoring, budgets and data-residency rules; an allow-list of \
        regions, ideally enforced by an SCP on aws:RequestedRegion, keeps the estate where it is \
        looked after.",
    remediation_cli: "aws ec2 describe-instances --region <region> (review), then aws ec2 \
        terminate-instances / delete-volume / delete-snapshot / deregister-image / \
        release-address --region <region>; or add the region to the ec2_approved_regions list",
    remediation_console: "EC2 → choose the region → EC2 Global View lists resources per region: \
        remove them; Organizations → Policies → SCP denying ec2:* outside approved regions",
    api_fields: "DescribeRegions(AllRegions) → Regions[].{RegionName, OptInStatus}; per region \
        DescribeInstances → InstanceId, State.Name; DescribeVolumes → VolumeId; \
        DescribeSnapshots(OwnerIds=self) → SnapshotId; DescribeImages(Owners=self) → ImageId; \
        DescribeAddresses → AllocationId; DescribeVpcs → VpcId, IsDefault; \
        DescribeSecurityGroups → GroupId, GroupName; DescribeNetworkAcls → NetworkAclId, IsDefault",
    needs: &[
        "DescribeInstances",
        "DescribeVolumes",
        "DescribeSnapshots",
        "DescribeImages",
        "DescribeAddresses",
        "DescribeVpcs",
        "DescribeSecurityGroups",
        "DescribeNetworkAcls",
    ],
};

impl Check for SerialConsoleAccess {
    fn meta(&self) -> &'static CheckMeta {
        &C9
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(s) = need(
            ctx,
            &C9,
            out,
            "GetSerialConsoleAccessStatus",
            &ctx.region.serial_console_access,
        ) else {
            return;
        };
        let by = s
            .managed_by
            .as_deref()
            .map(|m| format!(" (managed by {m})"))
            .unwrap_or_default();
        let (status, detail) = if s.serial_console_access_enabled {
            (
                Status::Fail,
                format!("serial console access is enabled{by}"),
            )
        } else {
            (
                Status::Pass,
                format!("serial console access is disabled{by}"),
            )
        };
        out.push(with_evidence(
            ctx.finding(&C9, &ctx.region.region, status, detail),
            [
                (
                    "SerialConsoleAccessEnabled",
                    json!(s.serial_console_access_enabled),
                ),
                ("ManagedBy", json!(s.managed_by)),
            ],
        ));
    }
}

/// Resource ids by kind (`Instances`, `Volumes`, …).
type ByKind = Vec<(&'static str, Vec<String>)>;

/// The EC2 resources of one region that C15 counts, by kind, plus the APIs
/// whose data was missing. Default VPCs, default security groups and
/// default network ACLs exist in every region and are not counted.
fn resources_in(ctx: &CheckContext<'_>) -> (ByKind, Vec<(String, CollectError)>) {
    let r = ctx.region;
    let mut found: ByKind = Vec::new();
    let mut missing = Vec::new();
    let mut take = |api: &str, kind: &'static str, ids: Option<Vec<String>>| match ids {
        Some(ids) => {
            if !ids.is_empty() {
                found.push((kind, ids));
            }
        }
        None => {
            let e = r.need::<()>(api, &None).unwrap_err();
            missing.push((api.to_string(), e));
        }
    };
    take(
        "DescribeInstances",
        "Instances",
        r.instances.as_ref().map(|v| {
            v.iter()
                .filter(|i| live(i))
                .map(|i| i.instance_id.clone())
                .collect()
        }),
    );
    take(
        "DescribeVolumes",
        "Volumes",
        r.volumes
            .as_ref()
            .map(|v| v.iter().map(|x| x.volume_id.clone()).collect()),
    );
    take(
        "DescribeSnapshots",
        "Snapshots",
        r.snapshots
            .as_ref()
            .map(|v| v.iter().map(|x| x.snapshot_id.clone()).collect()),
    );
    take(
        "DescribeImages",
        "Images",
        r.images
            .as_ref()
            .map(|v| v.iter().map(|x| x.image_id.clone()).collect()),
    );
    take(
        "DescribeAddresses",
        "Addresses",
        r.addresses.as_ref().map(|v| {
            v.iter()
                .map(|x| {
                    x.allocation_id
                        .clone()
                        .unwrap_or_else(|| x.public_ip.clone())
                })
                .collect()
        }),
    );
    take(
        "DescribeVpcs",
        "Vpcs",
        r.vpcs.as_ref().map(|v| {
            v.iter()
                .filter(|x| !x.is_default)
                .map(|x| x.vpc_id.clone())
                .collect()
        }),
    );
    take(
        "DescribeSecurityGroups",
        "SecurityGroups",
        r.security_groups.as_ref().map(|v| {
            v.iter()
                .filter(|x| x.group_name != "default")
                .map(|x| x.group_id.clone())
                .collect()
        }),
    );
    take(
        "DescribeNetworkAcls",
        "NetworkAcls",
        r.network_acls.as_ref().map(|v| {
            v.iter()
                .filter(|x| !x.is_default)
                .map(|x| x.network_acl_id.clone())
                .collect()
        }),
    );
    (found, missing)
}

impl Check for RegionApproved {
    fn meta(&self) -> &'static CheckMeta {
        &C15
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let region = ctx.region.region.as_str();
        if ctx.params.approved_regions.iter().any(|r| r == region) {
            out.push(with_evidence(
                ctx.finding(
                    &C15,
                    region,
                    Status::Pass,
                    "region is in ec2_approved_regions",
                ),
                [("RegionName", json!(region))],
            ));
            return;
        }
        let (found, missing) = resources_in(ctx);
        if found.is_empty() {
            if let Some((_, e)) = missing.first() {
                out.push(ctx.not_evaluated(&C15, e));
                return;
            }
        }
        let mut evidence = Map::new();
        for (kind, ids) in &found {
            evidence.insert((*kind).to_string(), json!(ids));
        }
        let (status, detail) = if found.is_empty() {
            (
                Status::Pass,
                "region is not approved and holds no EC2 resources".to_string(),
            )
        } else {
            let summary: Vec<String> = found
                .iter()
                .map(|(kind, ids)| {
                    let shown: Vec<&str> = ids.iter().take(3).map(String::as_str).collect();
                    let more = if ids.len() > 3 {
                        format!(", … {} more", ids.len() - 3)
                    } else {
                        String::new()
                    };
                    format!("{} {kind} ({}{more})", ids.len(), shown.join(", "))
                })
                .collect();
            let partial = if missing.is_empty() {
                String::new()
            } else {
                format!(
                    "; not collected: {}",
                    missing
                        .iter()
                        .map(|(api, _)| api.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            (
                Status::Fail,
                format!(
                    "region is not in ec2_approved_regions but holds {}{partial}",
                    summary.join(", ")
                ),
            )
        };
        out.push(with_evidence(
            ctx.finding(&C15, region, status, detail),
            [
                ("RegionName", json!(region)),
                ("Resources", Value::Object(evidence)),
            ],
        ));
    }
}
