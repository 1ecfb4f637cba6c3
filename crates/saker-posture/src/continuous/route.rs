//! CloudTrail record → the resources to re-describe and the checks to
//! re-run (`../shared/reference/posture.md` §4.2).
//!
//! [`route`] reads one record (the JSON object CloudTrail delivers, or the
//! `detail` of an EventBridge "AWS API Call via CloudTrail" event) and
//! returns a [`Change`]: account, region, the [`Target`]s (resource +
//! checks) and the [`ChangeEvent`] (who, when, from where). It never
//! evaluates compliance from `requestParameters` — their shapes vary — it
//! only finds ids; the re-describe decides.
//!
//! Records route to nothing ([`Unrouted`]) when the call failed
//! (`errorCode`), is read-only (`readOnly: true`), is not in the table, or
//! lacks what a change needs (account, region, eventID, eventTime, a
//! resource id). [`is_routed`] answers the table question from
//! `eventSource` and `eventName` alone, so a caller can skip building a
//! JSON tree for the ~95 % of records that are never routed.
//!
//! Additions to the reference's table, each because the resource's
//! findings end with it: `DeleteSnapshot` (C5), `DeregisterImage` (C6,
//! C16), `DeleteLaunchTemplate`, `DeleteInstanceProfile` (C13), and
//! `TerminateInstances` re-runs every instance check, not only C7/C10/C14.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::check_id::CheckId;
use super::resource::{
    AddressRef, GroupRef, LaunchTemplateRef, NetworkInterfaceRef, Resource, Setting,
};
use super::shape::{payload, string_at, strings_at};
use crate::finding::ChangeEvent;

use CheckId::*;

/// One resource to re-describe and the checks to re-run on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    pub resource: Resource,
    pub checks: BTreeSet<CheckId>,
}

/// What one CloudTrail record changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `recipientAccountId`: the account whose resources changed.
    pub account_id: String,
    /// `awsRegion` (us-east-1 for IAM and account events).
    pub region: String,
    /// `eventSource`: `ec2.amazonaws.com`, `iam.amazonaws.com`,
    /// `account.amazonaws.com`.
    pub event_source: String,
    /// `eventTime`, parsed.
    #[serde(with = "super::serde_time::rfc3339")]
    pub time: DateTime<Utc>,
    /// Who, what, when, where (eventID is the idempotency key).
    pub event: ChangeEvent,
    /// At least one; one per resource id (a `RunInstances` of three
    /// instances gives three instance targets).
    pub targets: Vec<Target>,
}

/// Why a record routes to nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unrouted {
    /// The record is not a JSON object.
    NotAnObject,
    /// The call failed (`errorCode` present): nothing changed.
    Failed { error_code: String },
    /// `readOnly: true`: nothing changed.
    ReadOnly,
    /// `eventSource`/`eventName` not in the routing table.
    NotInTable,
    /// A field a change needs is absent or empty (`recipientAccountId`,
    /// `awsRegion`, `eventID`, `eventTime`).
    MissingField(&'static str),
    /// `eventTime` is not RFC 3339.
    BadEventTime(String),
    /// The event is in the table but no resource id was found where the
    /// API puts it (e.g. `responseElements: null`).
    NoResource,
}

impl Unrouted {
    /// A stable name for counting: `failed`, `read_only`, `not_in_table`,
    /// `missing_field`, `bad_event_time`, `no_resource`, `not_an_object`.
    pub fn name(&self) -> &'static str {
        match self {
            Unrouted::NotAnObject => "not_an_object",
            Unrouted::Failed { .. } => "failed",
            Unrouted::ReadOnly => "read_only",
            Unrouted::NotInTable => "not_in_table",
            Unrouted::MissingField(_) => "missing_field",
            Unrouted::BadEventTime(_) => "bad_event_time",
            Unrouted::NoResource => "no_resource",
        }
    }

    /// True when the record is well-formed and simply changes nothing we
    /// track (failed, read-only, not in the table); false when a record we
    /// should have routed was unusable (report those).
    pub fn is_expected(&self) -> bool {
        matches!(
            self,
            Unrouted::Failed { .. } | Unrouted::ReadOnly | Unrouted::NotInTable
        )
    }
}

impl fmt::Display for Unrouted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unrouted::NotAnObject => f.write_str("record is not a JSON object"),
            Unrouted::Failed { error_code } => write!(f, "call failed ({error_code:?})"),
            Unrouted::ReadOnly => f.write_str("read-only call"),
            Unrouted::NotInTable => f.write_str("event not in the routing table"),
            Unrouted::MissingField(field) => write!(f, "{field} missing or empty"),
            Unrouted::BadEventTime(t) => write!(f, "eventTime {t:?} is not RFC 3339"),
            Unrouted::NoResource => f.write_str("no resource id in the record"),
        }
    }
}

/// How ids are found for a group of events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    SecurityGroup,
    PrefixList,
    RunInstances,
    InstanceState,
    TerminateInstances,
    InstanceAttribute,
    NetworkInterface,
    InstanceMetadata,
    NetworkAcl,
    Setting(Setting, CheckId),
    Snapshot,
    Image,
    Address,
    Subnet,
    LaunchTemplate,
    Volume,
    FlowLogs,
    Vpc,
    ProfileAssociation,
    InstanceProfile,
    Region,
}

const EC2: &str = "ec2.amazonaws.com";
const IAM: &str = "iam.amazonaws.com";
const ACCOUNT: &str = "account.amazonaws.com";

/// The routing table: (eventSource, eventName, how to read it).
const TABLE: &[(&str, &str, Kind)] = &[
    (EC2, "AuthorizeSecurityGroupIngress", Kind::SecurityGroup),
    (EC2, "AuthorizeSecurityGroupEgress", Kind::SecurityGroup),
    (EC2, "RevokeSecurityGroupIngress", Kind::SecurityGroup),
    (EC2, "RevokeSecurityGroupEgress", Kind::SecurityGroup),
    (EC2, "ModifySecurityGroupRules", Kind::SecurityGroup),
    (EC2, "CreateSecurityGroup", Kind::SecurityGroup),
    (EC2, "DeleteSecurityGroup", Kind::SecurityGroup),
    (EC2, "ModifyManagedPrefixList", Kind::PrefixList),
    (EC2, "RunInstances", Kind::RunInstances),
    (EC2, "StartInstances", Kind::InstanceState),
    (EC2, "StopInstances", Kind::InstanceState),
    (EC2, "TerminateInstances", Kind::TerminateInstances),
    (EC2, "ModifyInstanceAttribute", Kind::InstanceAttribute),
    (
        EC2,
        "ModifyNetworkInterfaceAttribute",
        Kind::NetworkInterface,
    ),
    (EC2, "CreateNetworkInterface", Kind::NetworkInterface),
    (EC2, "DeleteNetworkInterface", Kind::NetworkInterface),
    (EC2, "AttachNetworkInterface", Kind::NetworkInterface),
    (EC2, "DetachNetworkInterface", Kind::NetworkInterface),
    (EC2, "ModifyInstanceMetadataOptions", Kind::InstanceMetadata),
    (EC2, "CreateNetworkAclEntry", Kind::NetworkAcl),
    (EC2, "ReplaceNetworkAclEntry", Kind::NetworkAcl),
    (EC2, "DeleteNetworkAclEntry", Kind::NetworkAcl),
    (EC2, "CreateNetworkAcl", Kind::NetworkAcl),
    (EC2, "DeleteNetworkAcl", Kind::NetworkAcl),
    (EC2, "ReplaceNetworkAclAssociation", Kind::NetworkAcl),
    (
        EC2,
        "EnableEbsEncryptionByDefault",
        Kind::Setting(Setting::EbsEncryption, EbsDefaultEncryption),
    ),
    (
        EC2,
        "DisableEbsEncryptionByDefault",
        Kind::Setting(Setting::EbsEncryption, EbsDefaultEncryption),
    ),
    (
        EC2,
        "ModifyEbsDefaultKmsKeyId",
        Kind::Setting(Setting::EbsEncryption, EbsDefaultEncryption),
    ),
    (
        EC2,
        "ResetEbsDefaultKmsKeyId",
        Kind::Setting(Setting::EbsEncryption, EbsDefaultEncryption),
    ),
    (EC2, "ModifySnapshotAttribute", Kind::Snapshot),
    (EC2, "ResetSnapshotAttribute", Kind::Snapshot),
    (EC2, "CreateSnapshot", Kind::Snapshot),
    (EC2, "CreateSnapshots", Kind::Snapshot),
    (EC2, "CopySnapshot", Kind::Snapshot),
    (EC2, "DeleteSnapshot", Kind::Snapshot),
    (
        EC2,
        "EnableSnapshotBlockPublicAccess",
        Kind::Setting(Setting::SnapshotBpa, EbsSnapshotPublic),
    ),
    (
        EC2,
        "DisableSnapshotBlockPublicAccess",
        Kind::Setting(Setting::SnapshotBpa, EbsSnapshotPublic),
    ),
    (EC2, "ModifyImageAttribute", Kind::Image),
    (EC2, "ResetImageAttribute", Kind::Image),
    (EC2, "CreateImage", Kind::Image),
    (EC2, "RegisterImage", Kind::Image),
    (EC2, "CopyImage", Kind::Image),
    (EC2, "DeregisterImage", Kind::Image),
    (
        EC2,
        "EnableImageBlockPublicAccess",
        Kind::Setting(Setting::ImageBpa, AmiPublic),
    ),
    (
        EC2,
        "DisableImageBlockPublicAccess",
        Kind::Setting(Setting::ImageBpa, AmiPublic),
    ),
    (EC2, "AllocateAddress", Kind::Address),
    (EC2, "AssociateAddress", Kind::Address),
    (EC2, "DisassociateAddress", Kind::Address),
    (EC2, "ReleaseAddress", Kind::Address),
    (EC2, "ModifySubnetAttribute", Kind::Subnet),
    (EC2, "CreateSubnet", Kind::Subnet),
    (
        EC2,
        "ModifyInstanceMetadataDefaults",
        Kind::Setting(Setting::ImdsDefaults, InstanceImdsv2Required),
    ),
    (EC2, "CreateLaunchTemplate", Kind::LaunchTemplate),
    (EC2, "ModifyLaunchTemplate", Kind::LaunchTemplate),
    (EC2, "CreateLaunchTemplateVersion", Kind::LaunchTemplate),
    (EC2, "DeleteLaunchTemplate", Kind::LaunchTemplate),
    (
        EC2,
        "EnableSerialConsoleAccess",
        Kind::Setting(Setting::SerialConsole, SerialConsoleAccess),
    ),
    (
        EC2,
        "DisableSerialConsoleAccess",
        Kind::Setting(Setting::SerialConsole, SerialConsoleAccess),
    ),
    (EC2, "CreateVolume", Kind::Volume),
    (EC2, "AttachVolume", Kind::Volume),
    (EC2, "DetachVolume", Kind::Volume),
    (EC2, "DeleteVolume", Kind::Volume),
    (EC2, "CreateFlowLogs", Kind::FlowLogs),
    (EC2, "DeleteFlowLogs", Kind::FlowLogs),
    (EC2, "CreateVpc", Kind::Vpc),
    (EC2, "CreateDefaultVpc", Kind::Vpc),
    (EC2, "DeleteVpc", Kind::Vpc),
    (EC2, "AssociateIamInstanceProfile", Kind::ProfileAssociation),
    (
        EC2,
        "DisassociateIamInstanceProfile",
        Kind::ProfileAssociation,
    ),
    (
        EC2,
        "ReplaceIamInstanceProfileAssociation",
        Kind::ProfileAssociation,
    ),
    (IAM, "AddRoleToInstanceProfile", Kind::InstanceProfile),
    (IAM, "RemoveRoleFromInstanceProfile", Kind::InstanceProfile),
    (IAM, "DeleteInstanceProfile", Kind::InstanceProfile),
    (
        EC2,
        "EnableAllowedImagesSettings",
        Kind::Setting(Setting::AllowedImages, InstanceImageApproved),
    ),
    (
        EC2,
        "DisableAllowedImagesSettings",
        Kind::Setting(Setting::AllowedImages, InstanceImageApproved),
    ),
    (
        EC2,
        "ReplaceImageCriteriaInAllowedImagesSettings",
        Kind::Setting(Setting::AllowedImages, InstanceImageApproved),
    ),
    (ACCOUNT, "EnableRegion", Kind::Region),
    (ACCOUNT, "DisableRegion", Kind::Region),
];

fn table() -> &'static HashMap<(&'static str, &'static str), Kind> {
    static MAP: OnceLock<HashMap<(&'static str, &'static str), Kind>> = OnceLock::new();
    MAP.get_or_init(|| TABLE.iter().map(|&(s, n, k)| ((s, n), k)).collect())
}

fn kind_of(event_source: &str, event_name: &str) -> Option<Kind> {
    table().get(&(event_source, event_name)).copied()
}

/// Whether (`eventSource`, `eventName`) is in the routing table. Cheap: a
/// caller holding a borrowed record can test this before parsing it into a
/// [`serde_json::Value`] for [`route`].
pub fn is_routed(event_source: &str, event_name: &str) -> bool {
    kind_of(event_source, event_name).is_some()
}

/// Every routed (`eventSource`, `eventName`), in table order: the
/// `detail.eventName` list of the EventBridge rule (§4.3).
pub fn routed_events() -> impl Iterator<Item = (&'static str, &'static str)> {
    TABLE.iter().map(|&(s, n, _)| (s, n))
}

/// The checks an instance's findings come from, re-run when it ends.
const INSTANCE_ALL: &[CheckId] = &[
    InstancePublicIp,
    InstanceImdsv2Required,
    EipUnused,
    EbsVolumeEncrypted,
    InstanceProfileAttached,
    InstanceStoppedTooLong,
    RegionApproved,
    InstanceImageApproved,
];

/// Route one CloudTrail record; `None` when it changes nothing tracked or
/// is unusable (see [`try_route`] for the reason).
pub fn route(record: &Value) -> Option<Change> {
    try_route(record).ok()
}

/// Route one CloudTrail record, or say why it routes to nothing.
pub fn try_route(record: &Value) -> Result<Change, Unrouted> {
    let rec = record.as_object().ok_or(Unrouted::NotAnObject)?;
    if let Some(code) = rec.get("errorCode").filter(|v| !is_blank(v)) {
        let error_code = code
            .as_str()
            .map_or_else(|| code.to_string(), str::to_string);
        return Err(Unrouted::Failed { error_code });
    }
    if matches!(rec.get("readOnly"), Some(Value::Bool(true)))
        || rec.get("readOnly").and_then(Value::as_str) == Some("true")
    {
        return Err(Unrouted::ReadOnly);
    }
    let source = text(rec, "eventSource").unwrap_or_default();
    let name = text(rec, "eventName").unwrap_or_default();
    let kind = kind_of(source, name).ok_or(Unrouted::NotInTable)?;

    let account_id =
        text(rec, "recipientAccountId").ok_or(Unrouted::MissingField("recipientAccountId"))?;
    let region = text(rec, "awsRegion").ok_or(Unrouted::MissingField("awsRegion"))?;
    let event_id = text(rec, "eventID").ok_or(Unrouted::MissingField("eventID"))?;
    let event_time = text(rec, "eventTime").ok_or(Unrouted::MissingField("eventTime"))?;
    let time = DateTime::parse_from_rfc3339(event_time)
        .map_err(|_| Unrouted::BadEventTime(event_time.to_string()))?
        .with_timezone(&Utc);

    let empty = Map::new();
    let req = payload(rec.get("requestParameters"), name).unwrap_or(&empty);
    let resp = payload(rec.get("responseElements"), name).unwrap_or(&empty);
    let mut targets = Targets::default();
    extract(kind, name, req, resp, &mut targets);
    if targets.0.is_empty() {
        return Err(Unrouted::NoResource);
    }
    Ok(Change {
        account_id: account_id.to_string(),
        region: region.to_string(),
        event_source: source.to_string(),
        time,
        event: ChangeEvent {
            event_id: event_id.to_string(),
            event_name: name.to_string(),
            event_time: event_time.to_string(),
            actor: actor(rec),
            source_ip: text(rec, "sourceIPAddress").map(str::to_string),
        },
        targets: targets.0,
    })
}

/// Who made the call: `userIdentity.arn`, else `principalId`, else
/// `invokedBy` (AWS service events carry only that), else `type`, else
/// `unknown`.
fn actor(rec: &Map<String, Value>) -> String {
    let Some(who) = rec.get("userIdentity").and_then(Value::as_object) else {
        return "unknown".to_string();
    };
    ["arn", "principalId", "invokedBy", "type"]
        .iter()
        .find_map(|k| text(who, k))
        .unwrap_or("unknown")
        .to_string()
}

fn text<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn is_blank(v: &Value) -> bool {
    v.is_null() || v.as_str().is_some_and(str::is_empty)
}

/// Targets in first-seen order, merged per resource.
#[derive(Default)]
struct Targets(Vec<Target>);

impl Targets {
    fn add(&mut self, resource: Resource, checks: &[CheckId]) {
        if let Some(t) = self.0.iter_mut().find(|t| t.resource == resource) {
            t.checks.extend(checks.iter().copied());
        } else {
            self.0.push(Target {
                resource,
                checks: checks.iter().copied().collect(),
            });
        }
    }

    fn add_all(&mut self, ids: Vec<String>, make: impl Fn(String) -> Resource, checks: &[CheckId]) {
        for id in ids {
            self.add(make(id), checks);
        }
    }
}

/// `path` in the request, then in the response ([`Targets::add`] merges
/// repeats).
fn ids(req: &Map<String, Value>, resp: &Map<String, Value>, path: &[&str]) -> Vec<String> {
    let mut out = strings_at(req, path);
    out.extend(strings_at(resp, path));
    out
}

fn extract(
    kind: Kind,
    name: &str,
    req: &Map<String, Value>,
    resp: &Map<String, Value>,
    t: &mut Targets,
) {
    const SG: &[CheckId] = &[SgOpenAdminPorts, SgDefaultRestrictsAll];
    match kind {
        Kind::SecurityGroup => {
            let by_id = ids(req, resp, &["groupId"]);
            if by_id.is_empty() {
                if let Some(group) = string_at(req, &["groupName"]) {
                    let vpc_id = string_at(req, &["vpcId"]);
                    t.add(
                        Resource::SecurityGroup(GroupRef::Name {
                            name: group,
                            vpc_id,
                        }),
                        SG,
                    );
                }
            }
            t.add_all(by_id, |id| Resource::SecurityGroup(GroupRef::Id(id)), SG);
        }
        Kind::PrefixList => {
            t.add_all(
                ids(req, resp, &["prefixListId"]),
                Resource::PrefixList,
                &[SgOpenAdminPorts],
            );
        }
        Kind::RunInstances => {
            let launched = strings_at(resp, &["instancesSet", "instanceId"]);
            let checks = [
                SgOpenAdminPorts,
                SgDefaultRestrictsAll,
                InstancePublicIp,
                InstanceImdsv2Required,
                EbsVolumeEncrypted,
                InstanceProfileAttached,
                RegionApproved,
                InstanceImageApproved,
            ];
            t.add_all(launched, Resource::Instance, &checks);
            let mut groups = strings_at(resp, &["instancesSet", "groupSet", "groupId"]);
            groups.extend(strings_at(resp, &["groupSet", "groupId"]));
            if !t.0.is_empty() {
                t.add_all(groups, |id| Resource::SecurityGroup(GroupRef::Id(id)), SG);
            }
        }
        Kind::InstanceState => {
            let checks = [InstancePublicIp, EipUnused, InstanceStoppedTooLong];
            t.add_all(
                ids(req, resp, &["instancesSet", "instanceId"]),
                Resource::Instance,
                &checks,
            );
        }
        Kind::TerminateInstances => {
            t.add_all(
                ids(req, resp, &["instancesSet", "instanceId"]),
                Resource::Instance,
                INSTANCE_ALL,
            );
        }
        Kind::InstanceAttribute => {
            let checks = [
                SgOpenAdminPorts,
                SgDefaultRestrictsAll,
                InstancePublicIp,
                EipUnused,
            ];
            t.add_all(ids(req, resp, &["instanceId"]), Resource::Instance, &checks);
            t.add_all(
                strings_at(req, &["groupSet", "groupId"]),
                |id| Resource::SecurityGroup(GroupRef::Id(id)),
                SG,
            );
        }
        Kind::NetworkInterface => {
            let checks = [SgOpenAdminPorts, InstancePublicIp, EipUnused];
            let enis = [
                strings_at(req, &["networkInterfaceId"]),
                strings_at(resp, &["networkInterface", "networkInterfaceId"]),
            ]
            .concat();
            let by_attachment = enis.is_empty();
            t.add_all(
                enis,
                |id| Resource::NetworkInterface(NetworkInterfaceRef::Id(id)),
                &checks,
            );
            if by_attachment {
                t.add_all(
                    strings_at(req, &["attachmentId"]),
                    |id| Resource::NetworkInterface(NetworkInterfaceRef::AttachmentId(id)),
                    &checks,
                );
            }
            t.add_all(
                strings_at(req, &["instanceId"]),
                Resource::Instance,
                &[InstancePublicIp, EipUnused],
            );
            t.add_all(
                strings_at(req, &["groupSet", "groupId"]),
                |id| Resource::SecurityGroup(GroupRef::Id(id)),
                SG,
            );
        }
        Kind::InstanceMetadata => {
            t.add_all(
                ids(req, resp, &["instanceId"]),
                Resource::Instance,
                &[InstanceImdsv2Required],
            );
        }
        Kind::NetworkAcl => {
            let mut acls = strings_at(req, &["networkAclId"]);
            acls.extend(strings_at(resp, &["networkAcl", "networkAclId"]));
            t.add_all(acls, Resource::NetworkAcl, &[NaclOpenAdminPorts]);
        }
        Kind::Setting(setting, check) => t.add(Resource::RegionSettings(setting), &[check]),
        Kind::Snapshot => {
            let mut snaps = ids(req, resp, &["snapshotId"]);
            snaps.extend(strings_at(resp, &["snapshotSet", "snapshotId"]));
            t.add_all(snaps, Resource::Snapshot, &[EbsSnapshotPublic]);
        }
        Kind::Image => {
            t.add_all(
                ids(req, resp, &["imageId"]),
                Resource::Image,
                &[AmiPublic, InstanceImageApproved],
            );
        }
        Kind::Address => {
            let checks = [InstancePublicIp, EipUnused];
            let allocations = ids(req, resp, &["allocationId"]);
            if !allocations.is_empty() {
                t.add_all(
                    allocations,
                    |id| Resource::Address(AddressRef::AllocationId(id)),
                    &checks,
                );
            } else if let Some(assoc) = string_at(req, &["associationId"]) {
                t.add(Resource::Address(AddressRef::AssociationId(assoc)), &checks);
            } else {
                t.add_all(
                    ids(req, resp, &["publicIp"]),
                    |ip| Resource::Address(AddressRef::PublicIp(ip)),
                    &checks,
                );
            }
            t.add_all(
                strings_at(req, &["instanceId"]),
                Resource::Instance,
                &[InstancePublicIp],
            );
            t.add_all(
                strings_at(req, &["networkInterfaceId"]),
                |id| Resource::NetworkInterface(NetworkInterfaceRef::Id(id)),
                &[InstancePublicIp],
            );
        }
        Kind::Subnet => {
            let mut subnets = strings_at(req, &["subnetId"]);
            subnets.extend(strings_at(resp, &["subnet", "subnetId"]));
            t.add_all(subnets, Resource::Subnet, &[InstancePublicIp]);
            if name == "CreateSubnet" && !t.0.is_empty() {
                let vpc =
                    string_at(resp, &["subnet", "vpcId"]).or_else(|| string_at(req, &["vpcId"]));
                t.add_all(
                    vpc.into_iter().collect(),
                    Resource::VpcNetworkAcls,
                    &[NaclOpenAdminPorts],
                );
            }
        }
        Kind::LaunchTemplate => {
            let checks = [
                InstancePublicIp,
                InstanceImdsv2Required,
                InstanceImageApproved,
            ];
            let mut by_id = strings_at(req, &["launchTemplateId"]);
            by_id.extend(strings_at(resp, &["launchTemplate", "launchTemplateId"]));
            by_id.extend(strings_at(
                resp,
                &["launchTemplateVersion", "launchTemplateId"],
            ));
            if by_id.is_empty() {
                t.add_all(
                    strings_at(req, &["launchTemplateName"]),
                    |n| Resource::LaunchTemplate(LaunchTemplateRef::Name(n)),
                    &checks,
                );
            }
            t.add_all(
                by_id,
                |id| Resource::LaunchTemplate(LaunchTemplateRef::Id(id)),
                &checks,
            );
        }
        Kind::Volume => {
            t.add_all(
                ids(req, resp, &["volumeId"]),
                Resource::Volume,
                &[EbsVolumeEncrypted],
            );
        }
        Kind::FlowLogs => {
            if name == "DeleteFlowLogs" {
                t.add_all(
                    strings_at(req, &["flowLogId"]),
                    Resource::FlowLog,
                    &[VpcFlowLogsEnabled],
                );
            } else {
                // Only VPC flow logs count for C12; subnet/ENI ones do not.
                let resource_type = string_at(req, &["resourceType"]);
                let vpcs: Vec<String> = strings_at(req, &["resourceId"])
                    .into_iter()
                    .filter(|id| match &resource_type {
                        Some(ty) => ty.eq_ignore_ascii_case("VPC"),
                        None => id.starts_with("vpc-"),
                    })
                    .collect();
                t.add_all(vpcs, Resource::Vpc, &[VpcFlowLogsEnabled]);
            }
        }
        Kind::Vpc => {
            let mut vpcs = strings_at(req, &["vpcId"]);
            vpcs.extend(strings_at(resp, &["vpc", "vpcId"]));
            for vpc in vpcs {
                t.add(Resource::Vpc(vpc.clone()), &[VpcFlowLogsEnabled]);
                let default_group = GroupRef::Name {
                    name: "default".into(),
                    vpc_id: Some(vpc.clone()),
                };
                t.add(Resource::SecurityGroup(default_group), SG);
                t.add(Resource::VpcNetworkAcls(vpc), &[NaclOpenAdminPorts]);
            }
        }
        Kind::ProfileAssociation => {
            let mut instances = strings_at(req, &["instanceId"]);
            instances.extend(strings_at(
                resp,
                &["iamInstanceProfileAssociation", "instanceId"],
            ));
            if instances.is_empty() {
                t.add_all(
                    strings_at(req, &["associationId"]),
                    Resource::IamInstanceProfileAssociation,
                    &[InstanceProfileAttached],
                );
            }
            t.add_all(instances, Resource::Instance, &[InstanceProfileAttached]);
        }
        Kind::InstanceProfile => {
            t.add_all(
                strings_at(req, &["instanceProfileName"]),
                Resource::InstanceProfile,
                &[InstanceProfileAttached],
            );
        }
        Kind::Region => {
            let enabled = name == "EnableRegion";
            let checks = [
                RegionApproved,
                EbsDefaultEncryption,
                EbsSnapshotPublic,
                AmiPublic,
                InstanceImdsv2Required,
                SerialConsoleAccess,
                InstanceImageApproved,
            ];
            t.add_all(
                strings_at(req, &["regionName"]),
                |name| Resource::Region { name, enabled },
                &checks,
            );
        }
    }
}
