//! The continuous-posture engine (`PostureWatch`) with a fake describer
//! that only knows the final state of each resource: real invictus
//! records (sg-04cfb7a4712d75b00 opened on 22 at 12:10:08 and closed at
//! 12:11:57, delivered revoke-first), synthetic ones for the rest, the
//! periodic scan, and the alert rendering. The live run against moto is
//! `crates/saker/tests/posture_continuous.rs`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Utc};
use saker_posture::continuous::describe::{Described, Describer, Lookup};
use saker_posture::continuous::{
    Closure, ExposureTracker, PostureChange, PostureWatch, Transition, WatchConfig,
};
use saker_posture::inventory::{
    AccountInventory, Inventory, IpPermission, IpRange, RegionInventory, SecurityGroup,
};
use saker_posture::Params;
use serde_json::{json, Value};

const ACCOUNT: &str = "123837392027";
const REGION: &str = "us-east-1";
const SG_REAL: &str = "sg-04cfb7a4712d75b00";
const BERT: &str = "arn:aws:iam::123837392027:user/bert-jan";

fn invictus_record(file: &str, event_id: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/cloudtrail/invictus/CloudTrail")
        .join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap();
    v["Records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["eventID"] == event_id)
        .cloned()
        .unwrap_or_else(|| panic!("{event_id} not in {file}"))
}

fn authorize_real() -> Value {
    invictus_record(
        "218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json",
        "74bd84b4-6729-4895-b2a4-e2beb7c6b377",
    )
}

fn revoke_real() -> Value {
    invictus_record(
        "218007301253_CloudTrail_us-east-1_20230710T1215Z_P0WZuP2zvLW2RcUo.json",
        "8733f811-267d-4c46-8e5b-000fe7c6a9f2",
    )
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn group(id: &str, open_22: bool) -> SecurityGroup {
    SecurityGroup {
        group_id: id.into(),
        group_name: format!("name-of-{id}"),
        vpc_id: Some("vpc-1".into()),
        owner_id: Some(ACCOUNT.into()),
        ip_permissions: if open_22 {
            vec![IpPermission {
                ip_protocol: "tcp".into(),
                from_port: Some(22),
                to_port: Some(22),
                ip_ranges: vec![IpRange {
                    cidr_ip: "0.0.0.0/0".into(),
                }],
                ipv6_ranges: vec![],
                prefix_list_ids: vec![],
                user_id_group_pairs: vec![],
            }]
        } else {
            vec![]
        },
        ip_permissions_egress: vec![],
        tags: vec![],
    }
}

fn inventory(collected_at: &str, groups: Vec<SecurityGroup>) -> Inventory {
    let mut region = RegionInventory::new(REGION);
    region.security_groups = Some(groups);
    region.managed_prefix_lists = Some(vec![]);
    let mut inv = Inventory::new(collected_at);
    inv.accounts.push(AccountInventory {
        account_id: ACCOUNT.into(),
        partition: "aws".into(),
        role_arn: None,
        all_regions: None,
        instance_profiles: None,
        regions: vec![region],
        errors: Default::default(),
    });
    inv
}

/// Knows only the current (final) state of each group; counts lookups.
#[derive(Default)]
struct FinalState {
    groups: HashMap<String, Option<SecurityGroup>>,
    scan: Option<Inventory>,
    lookups: Vec<String>,
}

impl Describer for FinalState {
    fn describe(&mut self, account: &str, region: &str, l: &Lookup) -> Result<Described, String> {
        assert_eq!((account, region), (ACCOUNT, REGION));
        self.lookups.push(l.to_string());
        match l {
            Lookup::SecurityGroup(id) => Ok(Described::SecurityGroup {
                id: id.clone(),
                found: self
                    .groups
                    .get(id)
                    .cloned()
                    .flatten()
                    .map(|g| (g, Vec::new())),
            }),
            other => Err(format!("fake describer: {other:?} not supported")),
        }
    }

    fn scan(&mut self) -> Result<Inventory, String> {
        self.scan.clone().ok_or_else(|| "no scan".to_string())
    }
}

/// A synthetic CloudTrail record of `name` on `group_id`.
fn sg_record(event_id: &str, name: &str, time: &str, group_id: &str, perms: Value) -> Value {
    json!({
        "eventVersion": "1.08",
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "eventTime": time,
        "eventID": event_id,
        "awsRegion": REGION,
        "recipientAccountId": ACCOUNT,
        "sourceIPAddress": "203.0.113.9",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123837392027:user/alice"},
        "requestParameters": {"groupId": group_id, "ipPermissions": perms},
        "responseElements": {"_return": true},
    })
}

fn ssh_world() -> Value {
    json!({"items": [{"ipProtocol": "tcp", "fromPort": 22, "toPort": 22,
        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}, "ipv6Ranges": {}, "prefixListIds": {}, "groups": {}}]})
}

fn fid(group_id: &str) -> String {
    format!("saker-ec2_sg_open_admin_ports-{ACCOUNT}-{REGION}-{group_id}")
}

fn start(
    describer: FinalState,
    inv: Inventory,
    scan_every: Option<Duration>,
) -> PostureWatch<FinalState> {
    let (watch, baseline) = PostureWatch::start(
        describer,
        Params::default(),
        Some(inv),
        ExposureTracker::default(),
        WatchConfig {
            scan_interval: scan_every,
            ..WatchConfig::default()
        },
        t("2023-07-10T12:00:00Z"),
    )
    .unwrap();
    assert!(baseline.is_empty(), "a fresh baseline reports nothing");
    watch
}

#[test]
fn real_revert_delivered_out_of_order_yields_the_window_from_requests_and_final_state() {
    let mut fake = FinalState::default();
    // The re-describe only ever sees the final state: port 22 closed.
    fake.groups
        .insert(SG_REAL.into(), Some(group(SG_REAL, false)));
    let mut watch = start(
        fake,
        inventory("2023-07-10T12:00:00Z", vec![group(SG_REAL, false)]),
        None,
    );
    let arrival = t("2023-07-10T12:20:00Z");

    // The file holding the revoke sorts first.
    let revoke = watch.record(&revoke_real(), arrival);
    assert!(revoke.is_empty(), "a revoke implies nothing: {revoke:?}");
    let opened = watch.record(&authorize_real(), arrival);
    assert_eq!(opened.len(), 1, "{opened:?}");
    let c = &opened[0];
    assert_eq!(c.transition, Transition::Failed);
    assert!(c.implied);
    assert_eq!(c.finding.finding_id, fid(SG_REAL));
    assert_eq!(c.opened_at, t("2023-07-10T12:10:08Z"));
    let by = c.opened_by.as_ref().unwrap();
    assert_eq!(by.actor, BERT);
    assert_eq!(by.source_ip.as_deref(), Some("192.168.10.20"));
    assert_eq!(by.event_name, "AuthorizeSecurityGroupIngress");
    assert!(
        c.finding.detail.contains("22"),
        "C1's own wording: {}",
        c.finding.detail
    );

    // Not due yet (2 s quiet window): nothing re-described.
    assert!(watch.tick(arrival).is_empty());
    let closed = watch.tick(arrival + chrono::Duration::seconds(3));
    assert_eq!(closed.len(), 1, "{closed:?}");
    let w = &closed[0];
    assert_eq!(w.transition, Transition::Resolved);
    assert_eq!(w.opened_at, t("2023-07-10T12:10:08Z"));
    assert_eq!(w.closed_at, Some(t("2023-07-10T12:11:57Z")));
    assert_eq!(w.closed_because, Some(Closure::Passed));
    assert_eq!(
        w.closed_by.as_ref().unwrap().event_id,
        "8733f811-267d-4c46-8e5b-000fe7c6a9f2"
    );
    assert_eq!(w.finding.status, saker_posture::Status::Pass);

    let (open, windows) = watch.exposures();
    assert!(open.is_empty());
    assert_eq!(windows.len(), 1);
    let s = watch.stats();
    assert_eq!((s.routed, s.implied, s.rechecks, s.lookups), (2, 1, 1, 1));
    assert_eq!((s.failed, s.resolved), (1, 1));

    // The same records delivered again change nothing.
    assert!(watch.record(&authorize_real(), arrival).is_empty());
    assert!(watch.record(&revoke_real(), arrival).is_empty());
    assert!(watch.finish().is_empty());
}

#[test]
fn open_stays_open_unrelated_and_failed_calls_change_nothing_and_deletion_closes() {
    let mut fake = FinalState::default();
    fake.groups.insert("sg-b".into(), Some(group("sg-b", true)));
    fake.groups.insert("sg-c".into(), None);
    let mut watch = start(
        fake,
        inventory(
            "2023-07-10T12:00:00Z",
            vec![group("sg-b", false), group("sg-c", true)],
        ),
        None,
    );
    let now = t("2023-07-10T13:00:00Z");
    let b = watch.record(
        &sg_record(
            "e-b",
            "AuthorizeSecurityGroupIngress",
            "2023-07-10T12:30:00Z",
            "sg-b",
            ssh_world(),
        ),
        now,
    );
    assert_eq!(b.len(), 1);
    assert_eq!(
        b[0].opened_by.as_ref().unwrap().actor,
        "arn:aws:iam::123837392027:user/alice"
    );

    // Port 443 to the world is not an admin port: no implied FAIL.
    let https = json!({"items": [{"ipProtocol": "tcp", "fromPort": 443, "toPort": 443,
        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]}}]});
    assert!(watch
        .record(
            &sg_record(
                "e-443",
                "AuthorizeSecurityGroupIngress",
                "2023-07-10T12:31:00Z",
                "sg-x",
                https
            ),
            now
        )
        .is_empty());
    // A failed call and an unrelated event.
    let mut failed = sg_record(
        "e-fail",
        "AuthorizeSecurityGroupIngress",
        "2023-07-10T12:32:00Z",
        "sg-y",
        ssh_world(),
    );
    failed["errorCode"] = json!("Client.UnauthorizedOperation");
    assert!(watch.record(&failed, now).is_empty());
    let mut unrelated = sg_record(
        "e-un",
        "DescribeInstances",
        "2023-07-10T12:33:00Z",
        "sg-b",
        json!({}),
    );
    unrelated["readOnly"] = json!(true);
    assert!(watch.record(&unrelated, now).is_empty());
    assert!(!PostureWatch::<FinalState>::selects(
        "ec2.amazonaws.com",
        "DescribeInstances"
    ));
    assert!(PostureWatch::<FinalState>::selects(
        "ec2.amazonaws.com",
        "AuthorizeSecurityGroupIngress"
    ));

    // sg-c, failing since the baseline, is deleted.
    assert!(watch
        .record(
            &sg_record(
                "e-del",
                "DeleteSecurityGroup",
                "2023-07-10T12:40:00Z",
                "sg-c",
                json!({})
            ),
            now
        )
        .is_empty());

    let later = watch.finish();
    assert_eq!(later.len(), 1, "only sg-c's deletion: {later:?}");
    assert_eq!(later[0].finding.resource_id, "sg-c");
    assert_eq!(later[0].closed_because, Some(Closure::ResourceGone));
    assert_eq!(later[0].opened_by, None, "opened before the baseline scan");
    assert_eq!(later[0].closed_at, Some(t("2023-07-10T12:40:00Z")));

    let (open, _) = watch.exposures();
    let open_ids: Vec<&str> = open.iter().map(|e| e.finding_id.as_str()).collect();
    assert_eq!(open_ids, [fid("sg-b").as_str()], "sg-b stays open");
    let s = watch.stats();
    assert_eq!(s.unusable.values().sum::<u64>(), 0);
    // sg-b, sg-x (not found: no finding to close) and sg-c.
    assert_eq!(s.rechecks, 3);
    assert_eq!(s.lookup_errors, 0);
}

#[test]
fn periodic_scan_closes_what_events_missed() {
    let fake = FinalState {
        scan: Some(inventory(
            "2023-07-11T12:00:00Z",
            vec![group("sg-b", false)],
        )),
        ..FinalState::default()
    };
    let mut watch = start(
        fake,
        inventory("2023-07-10T12:00:00Z", vec![group("sg-b", true)]),
        Some(Duration::from_secs(3600)),
    );
    assert!(watch.tick(t("2023-07-10T12:30:00Z")).is_empty(), "not yet");
    let changes = watch.tick(t("2023-07-11T12:00:00Z"));
    assert_eq!(changes.len(), 1, "{changes:?}");
    let c = &changes[0];
    assert_eq!(c.transition, Transition::Resolved);
    assert_eq!(c.closed_at, Some(t("2023-07-11T12:00:00Z")));
    assert_eq!(c.closed_by, None, "a scan saw it");
    assert_eq!(watch.stats().scans, 2);
}

#[test]
fn a_saved_tracker_is_closed_by_the_baseline() {
    let mut tracker = ExposureTracker::default();
    tracker.observe(saker_posture::continuous::Observation {
        finding_id: fid("sg-b"),
        verdict: saker_posture::continuous::Verdict::Fail,
        at: t("2023-07-09T00:00:00Z"),
        event: None,
    });
    let saved = tracker.to_json();
    let (_, baseline) = PostureWatch::start(
        FinalState::default(),
        Params::default(),
        Some(inventory(
            "2023-07-10T12:00:00Z",
            vec![group("sg-b", false)],
        )),
        ExposureTracker::from_json(&saved).unwrap(),
        WatchConfig::default(),
        t("2023-07-10T12:00:00Z"),
    )
    .unwrap();
    assert_eq!(baseline.len(), 1);
    assert_eq!(baseline[0].transition, Transition::Resolved);
    assert_eq!(baseline[0].opened_at, t("2023-07-09T00:00:00Z"));
}

fn field<'a>(fields: &'a [(String, Option<Value>)], key: &str) -> &'a Value {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| v.as_ref())
        .unwrap_or_else(|| panic!("no {key}"))
}

#[test]
fn changes_render_as_falco_shaped_alerts_with_a_dedup_id() {
    let mut fake = FinalState::default();
    fake.groups
        .insert(SG_REAL.into(), Some(group(SG_REAL, false)));
    let mut watch = start(
        fake,
        inventory("2023-07-10T12:00:00Z", vec![group(SG_REAL, false)]),
        None,
    );
    let now = t("2023-07-10T12:20:00Z");
    let mut changes: Vec<PostureChange> = watch.record(&authorize_real(), now);
    watch.record(&revoke_real(), now);
    changes.extend(watch.finish());
    assert_eq!(changes.len(), 2);

    let (failed, raw) = changes[0].to_alert("host-1");
    assert_eq!(
        failed.rule,
        "Posture: Security groups do not allow ingress from the internet to administration ports"
    );
    assert_eq!(failed.priority, saker_rules::Priority::Error, "C1 is High");
    assert_eq!(failed.source, "saker_posture");
    assert!(failed.output.contains(SG_REAL) && failed.output.contains(BERT));
    assert_eq!(field(&failed.output_fields, "posture.status"), "FAIL");
    assert_eq!(field(&failed.output_fields, "posture.actor"), BERT);
    let keys: Vec<&str> = failed
        .output_fields
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "Falco sorts output_fields");
    let raw: Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(
        raw["eventID"],
        format!(
            "posture:{}:failed:74bd84b4-6729-4895-b2a4-e2beb7c6b377",
            fid(SG_REAL)
        )
    );
    assert_eq!(raw["recipientAccountId"], ACCOUNT);

    let (resolved, _) = changes[1].to_alert("host-1");
    assert_eq!(field(&resolved.output_fields, "posture.status"), "PASS");
    assert_eq!(
        field(&resolved.output_fields, "posture.exposure.opened_at"),
        "2023-07-10T12:10:08Z"
    );
    assert_eq!(
        field(&resolved.output_fields, "posture.exposure.closed_at"),
        "2023-07-10T12:11:57Z"
    );
    assert_eq!(
        field(&resolved.output_fields, "posture.exposure.seconds"),
        109
    );
    assert!(
        resolved
            .output
            .contains("2023-07-10T12:10:08Z – 2023-07-10T12:11:57Z (1m49s)"),
        "{}",
        resolved.output
    );
}
