//! Continuous mode: routing real CloudTrail records, debouncing bursts,
//! exposure windows.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use std::collections::BTreeSet;
use std::time::Duration;

use chrono::{DateTime, Utc};
use saker_cloudtrail::{decode, DecodeOptions, Item};
use saker_posture::continuous::{
    is_routed, route, routed_events, try_route, AddressRef, Change, CheckId, Closure,
    DebounceConfig, Debouncer, ExposureTracker, GroupRef, LaunchTemplateRef, NetworkInterfaceRef,
    Observation, Outcome, Resource, Setting, Unrouted, Verdict,
};
use saker_posture::ChangeEvent;
use serde_json::{json, Value};

use CheckId::*;

fn shared_data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data")
        .join(rel)
}

fn data_dir(rel: &str) -> PathBuf {
    shared_data("cloudtrail").join(rel)
}

/// Routing of one file: the changes in record order and unrouted counts.
#[derive(Default, Debug)]
struct FileRoutes {
    changes: Vec<Change>,
    unrouted: BTreeMap<&'static str, usize>,
    /// Unrouted records that should have routed: (eventName, reason).
    unusable: Vec<(String, String)>,
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let p = entry.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Decode every file under `rel` as `saker detect` does and route each record.
fn route_dir(rel: &str) -> BTreeMap<String, FileRoutes> {
    let dir = data_dir(rel);
    let mut out = BTreeMap::new();
    for path in files_under(&dir) {
        let name = path
            .strip_prefix(&dir)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".md") || name.contains("LICENSE") || name.ends_with(".tsv") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut routes = FileRoutes::default();
        decode(&bytes, &name, &DecodeOptions::default(), |item| {
            if let Item::Record(rec) = item {
                let value: serde_json::Value = serde_json::from_str(rec.event.raw())
                    .unwrap_or_else(|e| panic!("{name}: record {}: {e}", rec.index));
                match try_route(&value) {
                    Ok(change) => routes.changes.push(change),
                    Err(why) => {
                        *routes.unrouted.entry(why.name()).or_default() += 1;
                        if !why.is_expected() {
                            let event = value["eventName"].as_str().unwrap_or("").to_string();
                            routes.unusable.push((event, why.to_string()));
                        }
                    }
                }
            }
        });
        out.insert(name, routes);
    }
    out
}

// ---------------------------------------------------------------------------
// route: real records

/// Every routed change of a dataset, by eventID.
fn changes_by_id(dataset: &str) -> BTreeMap<String, Change> {
    route_dir(dataset)
        .into_values()
        .flat_map(|r| r.changes)
        .map(|c| (c.event.event_id.clone(), c))
        .collect()
}

/// The raw record with `event_id` in file `rel` (JSON object per file or per line).
fn record(rel: &str, event_id: &str) -> Value {
    let bytes = std::fs::read(data_dir(rel)).unwrap();
    let mut found = None;
    decode(&bytes, rel, &DecodeOptions::default(), |item| {
        if let Item::Record(rec) = item {
            let v: Value = serde_json::from_str(rec.event.raw()).unwrap();
            if v["eventID"] == event_id {
                found = Some(v);
            }
        }
    });
    found.unwrap_or_else(|| panic!("{rel}: no record {event_id}"))
}

fn checks(ids: &[CheckId]) -> BTreeSet<CheckId> {
    ids.iter().copied().collect()
}

fn sg(id: &str) -> Resource {
    Resource::SecurityGroup(GroupRef::Id(id.into()))
}

fn targets(c: &Change) -> Vec<(Resource, BTreeSet<CheckId>)> {
    c.targets
        .iter()
        .map(|t| (t.resource.clone(), t.checks.clone()))
        .collect()
}

fn t(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

#[test]
fn invictus_routed_changes_per_file() {
    let routes = route_dir("invictus");
    let expected: BTreeMap<&str, usize> = [
        ("20230710T1200Z_iLj9fb7yyUG9X4Bf", 5),
        ("20230710T1200Z_x9kHmzMa7cx6l9wM", 2),
        ("20230710T1205Z_SjF3IkuNXJkoHyar", 4),
        ("20230710T1205Z_UljXNp9xLp8nsAGc", 1),
        ("20230710T1205Z_dOIWyEekdNWhkpqY", 1),
        ("20230710T1210Z_2ru8PrDKZmsO3yWC", 1),
        ("20230710T1210Z_6CICdbJQM3beT7n3", 5),
        ("20230710T1210Z_QY5iPRtGUt0EpVaH", 2),
        ("20230710T1210Z_vj0QE0Tf5ZmzMsCo", 5),
        ("20230710T1215Z_MifI13MOmOjRfXzJ", 2),
        ("20230710T1215Z_P0WZuP2zvLW2RcUo", 4),
        ("20230710T1215Z_YMDRJwtmC82bUwAo", 11),
        ("20230710T1215Z_YxpR6PTmNBivhnJJ", 2),
        ("20230710T1215Z_Z8x5aqgtcXn5NEG9", 5),
        ("20230710T1215Z_nBsuPO1qSTEVerMD", 7),
        ("20230710T1220Z_WMiHxZgr5Hdd6UDc", 1),
        ("20230710T1220Z_ovtmbuX3ENJ119uH", 5),
        ("20230710T1220Z_r7NFD65BgeDMqD23", 2),
        ("20230710T1220Z_sM25jC0Ku0QcGkDa", 1),
        ("20230710T1230Z_9SJSsrxJ0ChF5VFb", 4),
        ("20230710T1230Z_AvIajGd5rkz6vTy4", 1),
        ("20230710T1235Z_YbVFCP9AYzJDhHV9", 2),
    ]
    .into_iter()
    .collect();
    assert_eq!(routes.len(), 55, "55 data files");
    let mut totals: BTreeMap<&str, usize> = BTreeMap::new();
    for (file, r) in &routes {
        let key = file
            .trim_start_matches("CloudTrail/218007301253_CloudTrail_us-east-1_")
            .trim_end_matches(".json");
        assert_eq!(
            r.changes.len(),
            expected.get(key).copied().unwrap_or(0),
            "routed changes in {file}"
        );
        assert!(r.unusable.is_empty(), "{file}: {:?}", r.unusable);
        *totals.entry("routed").or_default() += r.changes.len();
        for (why, n) in &r.unrouted {
            *totals.entry(why).or_default() += n;
        }
    }
    // Every one of the 2,900 records is accounted for.
    let want: BTreeMap<&str, usize> = [
        ("routed", 73),
        ("failed", 300),
        ("read_only", 2120),
        ("not_in_table", 407),
    ]
    .into_iter()
    .collect();
    assert_eq!(totals, want);
    for c in routes.values().flat_map(|r| &r.changes) {
        assert_eq!(
            c.account_id, "123837392027",
            "recipientAccountId, not the object-name account"
        );
        assert_eq!(c.region, "us-east-1");
        assert!(!c.targets.is_empty());
    }
}

#[test]
fn invictus_exact_extractions() {
    let by_id = changes_by_id("invictus");

    // Stratus' flat legacy form (cidrIp/fromPort at the top, `ipPermissions: {}`).
    let c = &by_id["74bd84b4-6729-4895-b2a4-e2beb7c6b377"];
    assert_eq!(c.event.event_name, "AuthorizeSecurityGroupIngress");
    assert_eq!(c.event.event_time, "2023-07-10T12:10:08Z");
    assert_eq!(c.time, t("2023-07-10T12:10:08Z"));
    assert_eq!(c.event.actor, "arn:aws:iam::123837392027:user/bert-jan");
    assert_eq!(c.event.source_ip.as_deref(), Some("192.168.10.20"));
    assert_eq!(c.event_source, "ec2.amazonaws.com");
    assert_eq!(
        targets(c),
        vec![(
            sg("sg-04cfb7a4712d75b00"),
            checks(&[SgOpenAdminPorts, SgDefaultRestrictsAll])
        )]
    );

    // Create*: the id is in responseElements.
    let c = &by_id["7475937c-a863-44ce-9878-81e8a268e966"];
    assert_eq!(c.event.event_name, "CreateSecurityGroup");
    assert_eq!(targets(c)[0].0, sg("sg-04cfb7a4712d75b00"));

    // RunInstances: instancesSet.items[] in the response, and its groups.
    let c = &by_id["86eac0ac-8521-4126-aa32-a22f2b74d02e"];
    assert_eq!(
        targets(c),
        vec![
            (
                Resource::Instance("i-0dbc91f429e48eeed".into()),
                checks(&[
                    SgOpenAdminPorts,
                    SgDefaultRestrictsAll,
                    InstancePublicIp,
                    InstanceImdsv2Required,
                    EbsVolumeEncrypted,
                    InstanceProfileAttached,
                    RegionApproved,
                    InstanceImageApproved
                ])
            ),
            (
                sg("sg-0b233157065b7d5e2"),
                checks(&[SgOpenAdminPorts, SgDefaultRestrictsAll])
            ),
        ]
    );

    // CreateFlowLogs: {"CreateFlowLogsRequest": {"ResourceId": {"tag":1,"content":"vpc-…"}}}.
    let c = &by_id["a3fbe842-f8df-4bb3-accf-1407cc925cbd"];
    assert_eq!(
        targets(c),
        vec![(
            Resource::Vpc("vpc-0255d384b4b458b46".into()),
            checks(&[VpcFlowLogsEnabled])
        )]
    );
    // DeleteFlowLogs names only the flow log.
    let c = &by_id["de58d903-38d7-4f30-a84b-b79d858e8376"];
    assert_eq!(
        targets(c)[0].0,
        Resource::FlowLog("fl-064ed3a785e4a37ef".into())
    );

    // Snapshot share and image share (add userId): re-check, don't judge.
    let c = &by_id["741616fd-4713-426d-8861-3ccae4ba994e"];
    assert_eq!(
        targets(c),
        vec![(
            Resource::Snapshot("snap-083d3b857c13988bc".into()),
            checks(&[EbsSnapshotPublic])
        )]
    );
    let c = &by_id["8fe3095f-909c-41f5-a769-00b9ec6e95df"];
    assert_eq!(
        targets(c),
        vec![(
            Resource::Image("ami-0aa1d83d0b0985c86".into()),
            checks(&[AmiPublic, InstanceImageApproved])
        )]
    );

    // CreateVpc: flow logs, the new default group (by name in the VPC), its NACLs.
    let c = &by_id["f5e4b2d3-a4a2-4a78-b81f-9036f12b623e"];
    let vpc = "vpc-06fe1a64761a0f720".to_string();
    assert_eq!(
        targets(c),
        vec![
            (Resource::Vpc(vpc.clone()), checks(&[VpcFlowLogsEnabled])),
            (
                Resource::SecurityGroup(GroupRef::Name {
                    name: "default".into(),
                    vpc_id: Some(vpc.clone())
                }),
                checks(&[SgOpenAdminPorts, SgDefaultRestrictsAll])
            ),
            (Resource::VpcNetworkAcls(vpc), checks(&[NaclOpenAdminPorts])),
        ]
    );

    // Elastic IPs by allocation id (response for Allocate, request for Release).
    let c = &by_id["a4ff516f-8f9a-4c36-9700-b31a883c1a6e"];
    assert_eq!(
        targets(c),
        vec![(
            Resource::Address(AddressRef::AllocationId(
                "eipalloc-08a083beb7e83dbc0".into()
            )),
            checks(&[InstancePublicIp, EipUnused])
        )]
    );

    // IAM (global, recorded in us-east-1): the instance profile by name.
    let c = &by_id["73ce3be7-b19c-4331-9dfc-5d963b9da02a"];
    assert_eq!(c.event_source, "iam.amazonaws.com");
    assert_eq!(
        targets(c),
        vec![(
            Resource::InstanceProfile("stratus-red-team-ec2-steal-credentials-instance".into()),
            checks(&[InstanceProfileAttached])
        )]
    );

    // A call made by a service on the account's behalf: the service role, the service as source.
    let c = &by_id["75f05727-9451-4593-9dd2-921cb841f2c3"];
    assert_eq!(
        c.event.actor,
        "arn:aws:sts::123837392027:assumed-role/AWSServiceRoleForRDS/SLRManagement"
    );
    assert_eq!(c.event.source_ip.as_deref(), Some("rds.amazonaws.com"));
    assert_eq!(
        targets(c)[0].0,
        Resource::NetworkInterface(NetworkInterfaceRef::Id("eni-0938d805949b4e134".into()))
    );
    assert_eq!(targets(c)[1].0, sg("sg-0a1ae80d31d1e9c86"));

    // TerminateInstances ends every instance finding.
    let c = &by_id["2d893b1d-e8f2-499b-a558-cb927d9b48ea"];
    assert_eq!(targets(c)[0].1.len(), 8);
    assert!(targets(c)[0].1.contains(&InstanceStoppedTooLong));
}

#[test]
fn failed_and_read_only_calls_route_to_nothing() {
    let dir = "invictus/CloudTrail/";
    // RunInstances p2.xlarge refused (Client.VcpuLimitExceeded).
    let rec = record(
        &format!("{dir}218007301253_CloudTrail_us-east-1_20230710T1210Z_vj0QE0Tf5ZmzMsCo.json"),
        "8e865acb-b1e1-41d1-bdf3-47462f79d24c",
    );
    assert_eq!(
        try_route(&rec),
        Err(Unrouted::Failed {
            error_code: "Client.VcpuLimitExceeded".into()
        })
    );
    assert!(route(&rec).is_none());
    // Revoke of a rule that was not there (Client.InvalidPermission.NotFound).
    let rec = record(
        &format!("{dir}218007301253_CloudTrail_us-east-1_20230710T1215Z_Z8x5aqgtcXn5NEG9.json"),
        "5966ab0e-411b-402f-81a9-d638a8c71a53",
    );
    assert!(matches!(try_route(&rec), Err(Unrouted::Failed { .. })));
    // DescribeSecurityGroups on the same group: read-only.
    let rec = record(
        &format!("{dir}218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json"),
        "022cdbe6-18e5-4e5c-9c90-cd118970fbf9",
    );
    assert_eq!(try_route(&rec), Err(Unrouted::ReadOnly));

    // TrailDiscover: mostly denied calls; exactly one successful routed call.
    let routes = route_dir("traildiscover");
    let routed: Vec<&Change> = routes.values().flat_map(|r| &r.changes).collect();
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].event.event_name, "CreateLaunchTemplate");
    // {"CreateLaunchTemplateResponse": {"launchTemplate": {"launchTemplateId": …}}}
    assert_eq!(
        targets(routed[0]),
        vec![(
            Resource::LaunchTemplate(LaunchTemplateRef::Id("lt-0780d55503d605988".into())),
            checks(&[
                InstancePublicIp,
                InstanceImdsv2Required,
                InstanceImageApproved
            ])
        )]
    );
    let denied =
        routes["docs/logExamples/EnableSerialConsoleAccess.json.cloudtrail"].unrouted["failed"];
    assert_eq!(denied, 1);
    for (file, r) in &routes {
        assert!(r.unusable.is_empty(), "{file}: {:?}", r.unusable);
    }
}

#[test]
fn fixture_records_route() {
    let by_id = changes_by_id("fixtures");
    assert_eq!(by_id.len(), 8);
    // Two instances in one StopInstances: two targets.
    let c = &by_id["9357a8cc-a0eb-46a1-b67e-EXAMPLE19b14"];
    assert_eq!(
        targets(c),
        vec![
            (
                Resource::Instance("i-EXAMPLE56126103cb".into()),
                checks(&[InstancePublicIp, EipUnused, InstanceStoppedTooLong])
            ),
            (
                Resource::Instance("i-EXAMPLEaff4840c22".into()),
                checks(&[InstancePublicIp, EipUnused, InstanceStoppedTooLong])
            ),
        ]
    );
    // Egress opened by an EC2 instance role.
    let c = &by_id["72a37ea2-cbf9-47bf-9ae0-0149d8acbbbc"];
    assert_eq!(
        c.event.actor,
        "arn:aws:sts::000000000:assumed-role/ec2-instance-role/i-06815aa7cf7d21f8f"
    );
    assert_eq!(targets(c)[0].0, sg("sg-038ccc3a1f7b05f42"));
    // Snapshot made private again (remove group all).
    let c = &by_id["5e68a70c-9e8b-49c3-a6c5-63ab2bc2685a"];
    assert_eq!(
        targets(c)[0].0,
        Resource::Snapshot("snap-0a392d80692e2526a".into())
    );
    // Region other than us-east-1.
    assert_eq!(
        by_id["d07df1c3-b488-4434-a18a-e136e1b5f7f7"].region,
        "us-east-2"
    );
}

/// A real (denied) record turned into the successful call it attempted:
/// same shape, no errorCode/errorMessage.
fn succeeded(mut rec: Value) -> Value {
    let obj = rec.as_object_mut().unwrap();
    assert!(
        obj.remove("errorCode").is_some(),
        "the source record failed"
    );
    obj.remove("errorMessage");
    rec
}

#[test]
fn nested_request_shapes_from_real_records() {
    let td = "traildiscover/docs/logExamples/";
    // {"EnableSerialConsoleAccessRequest": ""}: a region-level setting.
    let rec = record(
        &format!("{td}EnableSerialConsoleAccess.json.cloudtrail"),
        "891e8360-60c1-47a1-aada-1f4aebef6e88",
    );
    assert!(matches!(try_route(&rec), Err(Unrouted::Failed { .. })));
    let c = route(&succeeded(rec)).unwrap();
    assert_eq!(
        targets(&c),
        vec![(
            Resource::RegionSettings(Setting::SerialConsole),
            checks(&[SerialConsoleAccess])
        )]
    );

    // {"ReplaceIamInstanceProfileAssociationRequest": {"AssociationId": …}}: PascalCase.
    let rec = record(
        &format!("{td}ReplaceIamInstanceProfileAssociation.json.cloudtrail"),
        "90862b16-990e-4d37-ad4c-83485df2675e",
    );
    let c = route(&succeeded(rec)).unwrap();
    assert_eq!(
        targets(&c),
        vec![(
            Resource::IamInstanceProfileAssociation("iip-assoc-060bae234aac2e7fa".into()),
            checks(&[InstanceProfileAttached])
        )]
    );

    // Network ACL entry.
    let rec = record(
        &format!("{td}CreateNetworkAclEntry.json.cloudtrail"),
        "e7921105-f089-46b8-b97c-01b819b7036c",
    );
    let c = route(&succeeded(rec)).unwrap();
    assert_eq!(
        targets(&c),
        vec![(
            Resource::NetworkAcl("acl-5fb85d36".into()),
            checks(&[NaclOpenAdminPorts])
        )]
    );

    // CreateSecurityGroup by name only (no VPC, no response): the group by name.
    let rec = record(
        &format!("{td}CreateSecurityGroup.json.cloudtrail"),
        "e09e1709-c0a7-4996-8d45-18d20763690b",
    );
    let c = route(&succeeded(rec)).unwrap();
    assert_eq!(
        targets(&c)[0].0,
        Resource::SecurityGroup(GroupRef::Name {
            name: "TrailDiscoverGroupName".into(),
            vpc_id: None
        })
    );

    // DeleteFlowLogs {"FlowLogId": {"content": …, "tag": 1}}.
    let rec = record(
        &format!("{td}DeleteFlowLogs.json.cloudtrail"),
        "d6135b67-b4ea-4142-928c-77d83c95e320",
    );
    let c = route(&succeeded(rec)).unwrap();
    assert_eq!(
        targets(&c)[0].0,
        Resource::FlowLog("TrailDiscoverFlowLogId".into())
    );
}

/// Synthetic records (no public example exists; shapes from the EC2 API
/// reference): a base record with the given name and parameters.
fn synthetic(source: &str, name: &str, request: Value, response: Value) -> Value {
    json!({
        "eventVersion": "1.09",
        "userIdentity": {"type": "AssumedRole", "principalId": "AROAEXAMPLE:alice",
                         "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice"},
        "eventTime": "2026-01-05T10:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": "eu-west-1",
        "sourceIPAddress": "198.51.100.7",
        "requestParameters": request,
        "responseElements": response,
        "eventID": format!("synthetic-{name}"),
        "readOnly": false,
        "eventType": "AwsApiCall",
        "recipientAccountId": "111122223333"
    })
}

#[test]
fn synthetic_shapes() {
    let ec2 = "ec2.amazonaws.com";
    let c = route(&synthetic(
        ec2,
        "ModifyInstanceMetadataOptions",
        json!({"ModifyInstanceMetadataOptionsRequest": {"InstanceId": "i-0abc", "HttpTokens": "required"}}),
        json!({"ModifyInstanceMetadataOptionsResponse": {"instanceId": "i-0abc"}}),
    ))
    .unwrap();
    assert_eq!(
        targets(&c),
        vec![(
            Resource::Instance("i-0abc".into()),
            checks(&[InstanceImdsv2Required])
        )]
    );
    assert_eq!(c.region, "eu-west-1");
    assert_eq!(
        c.event.actor,
        "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    );

    // Default-VPC call naming the group.
    let c = route(&synthetic(
        ec2,
        "AuthorizeSecurityGroupIngress",
        json!({"groupName": "default", "ipPermissions": {"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22}]}}),
        json!({"_return": true}),
    ))
    .unwrap();
    assert_eq!(
        targets(&c)[0].0,
        Resource::SecurityGroup(GroupRef::Name {
            name: "default".into(),
            vpc_id: None
        })
    );

    let c = route(&synthetic(
        ec2,
        "DisableEbsEncryptionByDefault",
        json!({"DisableEbsEncryptionByDefaultRequest": ""}),
        Value::Null,
    ))
    .unwrap();
    assert_eq!(
        targets(&c),
        vec![(
            Resource::RegionSettings(Setting::EbsEncryption),
            checks(&[EbsDefaultEncryption])
        )]
    );

    // Several resource ids as {tag, content} items; subnet flow logs do not count for C12.
    let flow = |ty: &str| {
        synthetic(
            ec2,
            "CreateFlowLogs",
            json!({"CreateFlowLogsRequest": {"ResourceType": ty, "TrafficType": "ALL",
                   "ResourceId": [{"tag": 1, "content": "vpc-1"}, {"tag": 2, "content": "vpc-2"}]}}),
            Value::Null,
        )
    };
    let c = route(&flow("VPC")).unwrap();
    assert_eq!(
        c.targets
            .iter()
            .map(|t| t.resource.clone())
            .collect::<Vec<_>>(),
        vec![Resource::Vpc("vpc-1".into()), Resource::Vpc("vpc-2".into())]
    );
    assert_eq!(try_route(&flow("Subnet")), Err(Unrouted::NoResource));

    // Disassociating an EIP names only the association; the instance is re-checked through it.
    let c = route(&synthetic(
        ec2,
        "DisassociateAddress",
        json!({"associationId": "eipassoc-1"}),
        json!({"_return": true}),
    ))
    .unwrap();
    assert_eq!(
        targets(&c)[0].0,
        Resource::Address(AddressRef::AssociationId("eipassoc-1".into()))
    );
    let c = route(&synthetic(
        ec2,
        "AssociateAddress",
        json!({"allocationId": "eipalloc-1", "instanceId": "i-1"}),
        json!({"associationId": "eipassoc-2"}),
    ))
    .unwrap();
    assert_eq!(
        targets(&c),
        vec![
            (
                Resource::Address(AddressRef::AllocationId("eipalloc-1".into())),
                checks(&[InstancePublicIp, EipUnused])
            ),
            (
                Resource::Instance("i-1".into()),
                checks(&[InstancePublicIp])
            ),
        ]
    );

    // account:EnableRegion is recorded in us-east-1 and names the region.
    let c = route(&synthetic(
        "account.amazonaws.com",
        "EnableRegion",
        json!({"RegionName": "eu-south-2"}),
        Value::Null,
    ))
    .unwrap();
    assert_eq!(
        targets(&c)[0].0,
        Resource::Region {
            name: "eu-south-2".into(),
            enabled: true
        }
    );
    assert!(targets(&c)[0].1.contains(&RegionApproved));
    // Same name, other service: not ours.
    let other = synthetic(
        "cloudtrail.amazonaws.com",
        "EnableRegion",
        json!({"RegionName": "eu-south-2"}),
        Value::Null,
    );
    assert_eq!(try_route(&other), Err(Unrouted::NotInTable));
    // RDS's AuthorizeDBSecurityGroupIngress is not EC2's.
    let rds = synthetic(
        "rds.amazonaws.com",
        "AuthorizeSecurityGroupIngress",
        json!({"groupId": "sg-1"}),
        Value::Null,
    );
    assert_eq!(try_route(&rds), Err(Unrouted::NotInTable));

    // readOnly as a string, errorCode null (Panther-style): read-only / not failed.
    let mut ro = synthetic(
        ec2,
        "DeleteVolume",
        json!({"volumeId": "vol-1"}),
        Value::Null,
    );
    ro["readOnly"] = json!("true");
    assert_eq!(try_route(&ro), Err(Unrouted::ReadOnly));
    let mut ok = synthetic(
        ec2,
        "DeleteVolume",
        json!({"volumeId": "vol-1"}),
        Value::Null,
    );
    ok["errorCode"] = Value::Null;
    assert_eq!(
        targets(&route(&ok).unwrap())[0].0,
        Resource::Volume("vol-1".into())
    );
    // Bad eventTime is named.
    let mut bad = ok.clone();
    bad["eventTime"] = json!("yesterday");
    assert_eq!(
        try_route(&bad),
        Err(Unrouted::BadEventTime("yesterday".into()))
    );
    assert_eq!(try_route(&json!([1, 2])), Err(Unrouted::NotAnObject));
}

#[test]
fn panther_record_without_event_id_is_reported() {
    // Panther's DisableEbsEncryptionByDefault test event has no eventID,
    // eventTime or userIdentity: routed by name, but unusable — say which field.
    let text = std::fs::read_to_string(shared_data("rule-tests/panther_tests.jsonl")).unwrap();
    let event = text
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|t| t["event"]["eventName"] == "DisableEbsEncryptionByDefault")
        .map(|t| t["event"].clone())
        .unwrap();
    let why = try_route(&event).unwrap_err();
    assert_eq!(why, Unrouted::MissingField("eventID"));
    assert!(!why.is_expected());
    assert_eq!(why.to_string(), "eventID missing or empty");
}

#[test]
fn routing_table_prefilter() {
    let all: Vec<(&str, &str)> = routed_events().collect();
    assert_eq!(all.len(), 78);
    assert!(all.iter().all(|(s, n)| is_routed(s, n)));
    assert!(is_routed("ec2.amazonaws.com", "ModifySnapshotAttribute"));
    assert!(is_routed("iam.amazonaws.com", "AddRoleToInstanceProfile"));
    assert!(!is_routed("ec2.amazonaws.com", "DescribeInstances"));
    assert!(!is_routed("iam.amazonaws.com", "CreateRole"));
    // Every check is re-run by some event.
    let mut covered = BTreeSet::new();
    for c in changes_by_id("invictus").values() {
        for t in &c.targets {
            covered.extend(t.checks.iter().copied());
        }
    }
    // The real invictus traffic alone exercises all but the region-level settings.
    let missing: Vec<&str> = CheckId::ALL
        .iter()
        .filter(|c| !covered.contains(c))
        .map(|c| c.short_id())
        .collect();
    assert_eq!(missing, ["C4", "C9"]);
    assert_eq!(
        CheckId::from_id("vpc_flow_logs_enabled"),
        Some(VpcFlowLogsEnabled)
    );
    assert_eq!(
        serde_json::to_string(&SgOpenAdminPorts).unwrap(),
        "\"ec2_sg_open_admin_ports\""
    );
}

// ---------------------------------------------------------------------------
// debounce

/// The real Terraform + Stratus story of sg-04cfb7a4712d75b00, across four
/// invictus files (delivered out of order), in file order.
fn sg_story() -> Vec<Change> {
    let mut out: Vec<Change> = route_dir("invictus")
        .into_values()
        .flat_map(|r| r.changes)
        .filter(|c| {
            c.targets
                .iter()
                .any(|t| t.resource == sg("sg-04cfb7a4712d75b00"))
        })
        .collect();
    // route_dir returns files in name order: keep that as the arrival order.
    out.dedup_by(|a, b| a.event.event_id == b.event.event_id);
    out
}

#[test]
fn debounce_real_console_burst_by_event_time() {
    let story = sg_story();
    let names: Vec<&str> = story.iter().map(|c| c.event.event_name.as_str()).collect();
    assert_eq!(
        names,
        [
            "AuthorizeSecurityGroupEgress",  // P0WZ 12:10:06
            "RevokeSecurityGroupIngress",    // P0WZ 12:11:57
            "CreateSecurityGroup",           // YMDR 12:10:01
            "AuthorizeSecurityGroupIngress", // YMDR 12:10:05
            "AuthorizeSecurityGroupIngress", // YMDR 12:10:08
            "DeleteSecurityGroup",           // YMDR 12:12:06
            "RevokeSecurityGroupEgress",     // nBsu 12:10:03
        ]
    );
    // Replay by eventTime (the clock of a batch replay).
    let mut by_time = story.clone();
    by_time.sort_by_key(|c| c.time);
    let replay = |window_secs: u64| {
        let cfg = DebounceConfig {
            window: Duration::from_secs(window_secs),
            ..DebounceConfig::default()
        };
        let mut d = Debouncer::new(cfg);
        let mut due = Vec::new();
        for c in &by_time {
            due.extend(d.drain_due(c.time));
            d.push(c, c.time);
        }
        due.extend(d.drain_all());
        assert!(d.is_empty());
        due
    };
    let summary = |due: &[saker_posture::continuous::Due]| -> Vec<(u32, String, String)> {
        due.iter()
            .map(|d| {
                (
                    d.events,
                    d.first.event_id[..8].to_string(),
                    d.latest.event_id[..8].to_string(),
                )
            })
            .collect()
    };
    let s = |n: u32, a: &str, b: &str| (n, a.to_string(), b.to_string());
    // Default 2 s: Terraform's calls at 12:10:01, :03, :05, :06, :08 are
    // 2 s apart at most; a gap of exactly the window ends a burst.
    let due = replay(2);
    assert_eq!(
        summary(&due),
        [
            s(1, "7475937c", "7475937c"), // CreateSecurityGroup 12:10:01
            s(1, "d2dedbf2", "d2dedbf2"), // RevokeSecurityGroupEgress 12:10:03
            s(2, "7e96f0e7", "914469fc"), // AuthorizeIngress 443 :05 + AuthorizeEgress :06
            s(1, "74bd84b4", "74bd84b4"), // AuthorizeIngress 22 (Stratus) 12:10:08
            s(1, "8733f811", "8733f811"), // RevokeSecurityGroupIngress 12:11:57
            s(1, "9606afeb", "9606afeb"), // DeleteSecurityGroup 12:12:06
        ]
    );
    // A 3 s window coalesces the whole set-up into one re-check.
    let due = replay(3);
    assert_eq!(
        summary(&due),
        [
            s(5, "7475937c", "74bd84b4"),
            s(1, "8733f811", "8733f811"),
            s(1, "9606afeb", "9606afeb")
        ]
    );
    assert_eq!(
        due[0].checks,
        checks(&[SgOpenAdminPorts, SgDefaultRestrictsAll])
    );
    assert_eq!(due[0].key.account_id, "123837392027");
    assert_eq!(due[0].first_time, t("2023-07-10T12:10:01Z"));
    assert_eq!(due[0].latest_time, t("2023-07-10T12:10:08Z"));
}

#[test]
fn debounce_keeps_latest_by_event_time_not_arrival() {
    // All seven delivered at once, in file order: latest/first follow eventTime.
    let story = sg_story();
    let now = t("2023-07-10T12:20:00Z");
    let mut d = Debouncer::new(DebounceConfig::default());
    for c in &story {
        d.push(c, now);
    }
    assert_eq!(d.len(), 1);
    assert!(d.drain_due(t("2023-07-10T12:20:01Z")).is_empty());
    assert_eq!(d.next_due(), Some(t("2023-07-10T12:20:02Z")));
    let due = d.drain_due(t("2023-07-10T12:20:02Z"));
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].events, 7);
    assert_eq!(due[0].latest.event_name, "DeleteSecurityGroup");
    assert_eq!(due[0].first.event_name, "CreateSecurityGroup");
    // A redelivery of an eventID is merged but not counted.
    d.push(&story[0], now);
    d.push(&story[0], now);
    assert_eq!(d.drain_all()[0].events, 1);
}

#[test]
fn debounce_window_cap_and_keys() {
    let base = t("2026-01-05T10:00:00Z");
    let secs = |s: i64| base + chrono::Duration::seconds(s);
    let change =
        |id: &str, resource: Resource, region: &str, at: DateTime<Utc>, c: &[CheckId]| Change {
            account_id: "111122223333".into(),
            region: region.into(),
            event_source: "ec2.amazonaws.com".into(),
            time: at,
            event: ChangeEvent {
                event_id: id.into(),
                event_name: "ModifySecurityGroupRules".into(),
                event_time: at.to_rfc3339(),
                actor: "arn:aws:iam::111122223333:user/bob".into(),
                source_ip: None,
            },
            targets: vec![saker_posture::continuous::Target {
                resource,
                checks: checks(c),
            }],
        };
    let cfg = DebounceConfig {
        window: Duration::from_secs(2),
        max_wait: Duration::from_secs(10),
    };
    // An edit every 1.5 s for 15 s: the cap forces a re-check 10 s after the first.
    let mut d = Debouncer::new(cfg);
    let mut due = Vec::new();
    for i in 0..10 {
        let at = base + chrono::Duration::milliseconds(1500 * i);
        due.extend(d.drain_due(at));
        d.push(
            &change(
                &format!("e{i}"),
                sg("sg-1"),
                "eu-west-1",
                at,
                &[SgOpenAdminPorts],
            ),
            at,
        );
    }
    assert_eq!(due.len(), 1, "capped at 10 s: {due:?}");
    assert_eq!(
        due[0].events, 7,
        "e0..e6 (0–9 s) merged, e7 at 10.5 s starts a new burst"
    );
    let rest = d.drain_all();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].events, 3);

    // Same id in another region, another resource, the union of checks.
    let mut d = Debouncer::new(cfg);
    d.push(
        &change("a", sg("sg-1"), "eu-west-1", secs(0), &[SgOpenAdminPorts]),
        secs(0),
    );
    d.push(
        &change("b", sg("sg-1"), "us-east-1", secs(0), &[SgOpenAdminPorts]),
        secs(0),
    );
    d.push(
        &change("c", sg("sg-2"), "eu-west-1", secs(0), &[SgOpenAdminPorts]),
        secs(0),
    );
    d.push(
        &change(
            "d",
            sg("sg-1"),
            "eu-west-1",
            secs(1),
            &[SgDefaultRestrictsAll],
        ),
        secs(1),
    );
    assert_eq!(d.len(), 3);
    let due = d.drain_due(secs(2));
    assert_eq!(due.len(), 2, "sg-1/us-east-1 and sg-2 (quiet since 0 s)");
    let due = d.drain_due(secs(3));
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].checks,
        checks(&[SgOpenAdminPorts, SgDefaultRestrictsAll])
    );
    assert_eq!(due[0].events, 2);
    assert_eq!(d.next_due(), None);
}

// ---------------------------------------------------------------------------
// exposure

const FID: &str = "saker-ec2_sg_open_admin_ports-123837392027-us-east-1-sg-04cfb7a4712d75b00";

/// The re-check result a change leads to: `verdict` attributed to `c`.
fn obs(c: &Change, verdict: Verdict) -> Observation {
    Observation {
        finding_id: FID.into(),
        verdict,
        at: c.time,
        event: Some(c.event.clone()),
    }
}

/// The verdict C1 gives after each step of the real SG story: only the
/// Stratus authorize of tcp 22 from 0.0.0.0/0 opens an admin port; its
/// revoke closes it; the delete removes the group.
fn c1_after(c: &Change) -> Verdict {
    match c.event.event_id.as_str() {
        "74bd84b4-6729-4895-b2a4-e2beb7c6b377" => Verdict::Fail,
        "9606afeb-3e3a-4f54-88ad-556e3d02d102" => Verdict::Gone,
        _ => Verdict::Pass,
    }
}

#[test]
fn exposure_window_authorize_then_revoke_real_events() {
    let story = sg_story();
    // In eventTime order …
    let mut by_time = story.clone();
    by_time.sort_by_key(|c| c.time);
    let mut in_order = ExposureTracker::default();
    let outcomes: Vec<Outcome> = by_time
        .iter()
        .map(|c| in_order.observe(obs(c, c1_after(c))))
        .collect();
    let Outcome::Recorded {
        opened: Some(open), ..
    } = &outcomes[4]
    else {
        panic!("the authorize opens: {:?}", outcomes[4]);
    };
    assert_eq!(open.opened_at, t("2023-07-10T12:10:08Z"));
    let Outcome::Recorded { closed, .. } = &outcomes[5] else {
        panic!()
    };
    assert_eq!(closed.len(), 1, "the revoke closes");
    assert!(in_order.open_exposures().is_empty());
    let windows = in_order.closed_windows();
    assert_eq!(windows.len(), 1);
    let w = &windows[0];
    assert_eq!(
        (w.opened_at, w.closed_at),
        (t("2023-07-10T12:10:08Z"), t("2023-07-10T12:11:57Z"))
    );
    assert_eq!(w.duration(), chrono::Duration::seconds(109));
    let opened_by = w.opened_by.as_ref().unwrap();
    assert_eq!(opened_by.event_name, "AuthorizeSecurityGroupIngress");
    assert_eq!(opened_by.actor, "arn:aws:iam::123837392027:user/bert-jan");
    assert_eq!(opened_by.source_ip.as_deref(), Some("192.168.10.20"));
    let closed_by = w.closed_by.as_ref().unwrap();
    assert_eq!(closed_by.event_id, "8733f811-267d-4c46-8e5b-000fe7c6a9f2");
    assert_eq!(w.closed_because, Closure::Passed);

    // … and in delivery (file) order, where the revoke arrives before the
    // authorize: the same window, reported when the authorize arrives.
    let mut delivered = ExposureTracker::default();
    let mut closed_when = None;
    for c in &story {
        if let Outcome::Recorded { closed, .. } = delivered.observe(obs(c, c1_after(c))) {
            if !closed.is_empty() {
                closed_when = Some(c.event.event_name.clone());
            }
        }
    }
    assert_eq!(
        closed_when.as_deref(),
        Some("AuthorizeSecurityGroupIngress")
    );
    assert_eq!(delivered.closed_windows(), windows);
    assert!(delivered.open_exposures().is_empty());
}

fn ev(id: &str, at: &str) -> ChangeEvent {
    ChangeEvent {
        event_id: id.into(),
        event_name: format!("Event{id}"),
        event_time: at.into(),
        actor: format!("arn:aws:iam::111122223333:user/{id}"),
        source_ip: Some("198.51.100.7".into()),
    }
}

fn o(verdict: Verdict, id: &str, at: &str) -> Observation {
    Observation {
        finding_id: "f1".into(),
        verdict,
        at: t(at),
        event: Some(ev(id, at)),
    }
}

#[test]
fn exposure_repeated_authorize_is_one_window() {
    let mut x = ExposureTracker::default();
    x.observe(o(Verdict::Fail, "a22", "2026-01-05T10:00:00Z"));
    let second = x.observe(o(Verdict::Fail, "a3389", "2026-01-05T10:05:00Z"));
    assert_eq!(
        second,
        Outcome::Recorded {
            opened: None,
            closed: vec![],
            revised: false
        }
    );
    // Revoking one port leaves the other open.
    x.observe(o(Verdict::Fail, "r22", "2026-01-05T10:06:00Z"));
    let open = x.exposure("f1").unwrap();
    assert_eq!(open.opened_by.unwrap().event_id, "a22");
    assert_eq!(open.fail_observations, 3);
    assert_eq!(open.last_fail_at, t("2026-01-05T10:06:00Z"));
    let Outcome::Recorded { closed, .. } =
        x.observe(o(Verdict::Pass, "r3389", "2026-01-05T10:10:00Z"))
    else {
        panic!()
    };
    assert_eq!(closed.len(), 1);
    assert_eq!(
        (closed[0].opened_at, closed[0].closed_at),
        (t("2026-01-05T10:00:00Z"), t("2026-01-05T10:10:00Z"))
    );
    assert_eq!(closed[0].closed_by.as_ref().unwrap().event_id, "r3389");
    assert_eq!(closed[0].fail_observations, 3);
    // A second exposure later is a second window.
    x.observe(o(Verdict::Fail, "b", "2026-01-05T11:00:00Z"));
    x.observe(o(Verdict::Pass, "c", "2026-01-05T11:01:00Z"));
    assert_eq!(x.windows("f1").len(), 2);
}

#[test]
fn exposure_revoke_without_authorize_opens_nothing() {
    let mut x = ExposureTracker::default();
    let out = x.observe(o(Verdict::Pass, "r", "2026-01-05T10:00:00Z"));
    assert_eq!(
        out,
        Outcome::Recorded {
            opened: None,
            closed: vec![],
            revised: false
        }
    );
    assert!(x.open_exposures().is_empty());
    assert!(x.closed_windows().is_empty());
    // Deleting a resource that never failed: nothing either.
    x.observe(o(Verdict::Gone, "d", "2026-01-05T10:01:00Z"));
    assert!(x.closed_windows().is_empty());
    assert_eq!(
        x.observe(Observation {
            verdict: Verdict::NotEvaluated,
            ..o(Verdict::Pass, "n", "2026-01-05T10:02:00Z")
        }),
        Outcome::NotEvaluated
    );
}

#[test]
fn exposure_out_of_order_duplicates_and_horizon() {
    let mut x = ExposureTracker::new(Duration::from_secs(3600));
    // Revoke first, then the authorize that preceded it.
    x.observe(o(Verdict::Pass, "revoke", "2026-01-05T10:20:00Z"));
    let Outcome::Recorded {
        opened,
        closed,
        revised,
    } = x.observe(o(Verdict::Fail, "authorize", "2026-01-05T10:00:00Z"))
    else {
        panic!()
    };
    assert_eq!(opened, None);
    assert!(!revised);
    assert_eq!(closed.len(), 1);
    assert_eq!(
        (closed[0].opened_at, closed[0].closed_at),
        (t("2026-01-05T10:00:00Z"), t("2026-01-05T10:20:00Z"))
    );
    // At-least-once delivery: the same eventID again changes nothing.
    assert_eq!(
        x.observe(o(Verdict::Fail, "authorize", "2026-01-05T10:00:00Z")),
        Outcome::Duplicate
    );
    // A late PASS inside the window splits history: the window is revised.
    let Outcome::Recorded {
        closed, revised, ..
    } = x.observe(o(Verdict::Pass, "early-fix", "2026-01-05T10:05:00Z"))
    else {
        panic!()
    };
    assert!(revised);
    assert_eq!(closed[0].closed_at, t("2026-01-05T10:05:00Z"));
    assert_eq!(x.windows("f1").len(), 1);
    // An earlier FAIL moves an open exposure's start: reported as opened + revised.
    x.observe(o(Verdict::Fail, "again", "2026-01-05T10:30:00Z"));
    let Outcome::Recorded {
        opened, revised, ..
    } = x.observe(o(Verdict::Fail, "earlier", "2026-01-05T10:25:00Z"))
    else {
        panic!()
    };
    assert_eq!(opened.unwrap().opened_at, t("2026-01-05T10:25:00Z"));
    assert!(revised);
    // Older than the horizon before the newest observation: refused.
    assert_eq!(
        x.observe(o(Verdict::Fail, "ancient", "2026-01-05T09:29:59Z")),
        Outcome::TooLate
    );
    assert_eq!(
        x.exposure("f1").unwrap().opened_at,
        t("2026-01-05T10:25:00Z")
    );
}

#[test]
fn exposure_scan_and_gone_and_compaction() {
    let mut x = ExposureTracker::new(Duration::from_secs(600));
    // A scan finds it failing (no event): open since at most the scan.
    let scan = Observation {
        finding_id: "f1".into(),
        verdict: Verdict::Fail,
        at: t("2026-01-05T08:00:00Z"),
        event: None,
    };
    let Outcome::Recorded {
        opened: Some(e), ..
    } = x.observe(scan)
    else {
        panic!()
    };
    assert_eq!(e.opened_by, None);
    // Many FAIL re-checks over hours, then the snapshot is deleted.
    for h in 0..30 {
        let at = t("2026-01-05T08:00:00Z") + chrono::Duration::minutes(10 * h + 5);
        x.observe(Observation {
            finding_id: "f1".into(),
            verdict: Verdict::Fail,
            at,
            event: None,
        });
    }
    let Outcome::Recorded { closed, .. } =
        x.observe(o(Verdict::Gone, "DeleteSnapshot", "2026-01-05T13:30:00Z"))
    else {
        panic!()
    };
    assert_eq!(closed[0].closed_because, Closure::ResourceGone);
    assert_eq!(closed[0].fail_observations, 31);
    assert_eq!(closed[0].opened_at, t("2026-01-05T08:00:00Z"));
    // Compaction settled the old points without changing the answer.
    for m in 1..=3 {
        let at = t("2026-01-05T13:30:00Z") + chrono::Duration::minutes(11 * m);
        x.observe(Observation {
            finding_id: "f1".into(),
            verdict: Verdict::Gone,
            at,
            event: None,
        });
    }
    let windows = x.windows("f1");
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0].fail_observations, 31);
    assert_eq!(
        windows[0].closed_by.as_ref().unwrap().event_id,
        "DeleteSnapshot"
    );
    let state = x.to_json();
    assert!(
        state.len() < 2_000,
        "settled history is compact: {} bytes",
        state.len()
    );
    // Retention drops the settled window and the finding.
    assert_eq!(x.prune_closed_before(t("2026-01-06T00:00:00Z")), 1);
}

#[test]
fn exposure_state_round_trips() {
    let mut x = ExposureTracker::default();
    x.observe(o(Verdict::Fail, "a", "2026-01-05T10:00:00Z"));
    x.observe(o(Verdict::Pass, "b", "2026-01-05T10:02:00Z"));
    let mut y = x.clone();
    y.observe(Observation {
        finding_id: "f2".into(),
        ..o(Verdict::Fail, "c", "2026-01-05T10:03:00Z")
    });
    let saved = y.to_json();
    let mut restored = ExposureTracker::from_json(&saved).unwrap();
    assert_eq!(restored, y);
    assert_eq!(restored.open_exposures().len(), 1);
    assert_eq!(restored.closed_windows().len(), 1);
    // Restored state keeps deduplicating and closing.
    assert_eq!(
        restored.observe(o(Verdict::Pass, "b", "2026-01-05T10:02:00Z")),
        Outcome::Duplicate
    );
    let v: Value = serde_json::from_str(&saved).unwrap();
    assert_eq!(v["version"], 1);
    assert_eq!(v["horizon"], 3_600_000);
    let mut wrong = v.clone();
    wrong["version"] = json!(99);
    let err = ExposureTracker::from_json(&wrong.to_string()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "exposure state version 99 is not supported (expected 1)"
    );
    assert!(ExposureTracker::from_json("{")
        .unwrap_err()
        .to_string()
        .starts_with("exposure state is not valid JSON"));
}
