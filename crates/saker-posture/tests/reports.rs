//! Per-finding report formats: OCSF Detection Finding JSON, CSV, HTML, and
//! the diff between two runs. Each format is rendered from one set of
//! findings (PASS, FAIL, muted, not evaluated, changed by a CloudTrail
//! event, hostile text, an unknown check) and parsed back.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};
use saker_posture::checks::CheckMeta;
use saker_posture::report::{csv as csv_report, diff, html, ocsf};
use saker_posture::{ChangeEvent, Finding, Mute, Severity, Status};
use serde_json::{json, Value};

const HOSTILE_TAG: &str = "<script>alert(1)</script>\" onmouseover=\"x' &amp;";

static SG_META: CheckMeta = CheckMeta {
    id: "ec2_sg_open_admin_ports",
    short_id: "C1",
    title: "Security groups do not allow ingress from the internet to administration ports",
    severity: Severity::High,
    resource_type: "AwsEc2SecurityGroup",
    rationale: "An SSH or RDP port open to 0.0.0.0/0 is scanned within minutes.",
    remediation_cli: "aws ec2 revoke-security-group-ingress --group-id <sg-id> --ip-permissions '[{\"IpProtocol\":\"tcp\",\"FromPort\":22,\"ToPort\":22}]'",
    remediation_console: "EC2 > Security Groups > Inbound rules > Edit",
    api_fields: "DescribeSecurityGroups → IpPermissions[].{IpProtocol,FromPort,ToPort,IpRanges}",
    needs: &["DescribeSecurityGroups"],
};

static IMDS_META: CheckMeta = CheckMeta {
    id: "ec2_instance_imdsv2_required",
    short_id: "C8",
    title: "EC2 instances require IMDSv2",
    severity: Severity::Medium,
    resource_type: "AwsEc2Instance",
    rationale: "IMDSv1 lets an SSRF read instance credentials.",
    remediation_cli:
        "aws ec2 modify-instance-metadata-options --instance-id <id> --http-tokens required",
    remediation_console: "EC2 > Instances > Actions > Modify instance metadata options",
    api_fields: "DescribeInstances → MetadataOptions.{HttpTokens,HttpEndpoint}",
    needs: &["DescribeInstances"],
};

fn lookup(id: &str) -> Option<&'static CheckMeta> {
    [&SG_META, &IMDS_META].into_iter().find(|m| m.id == id)
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap()
}

const ACCOUNT: &str = "123456789012";

fn finding(
    meta: &CheckMeta,
    region: &str,
    resource: &str,
    status: Status,
    detail: &str,
) -> Finding {
    Finding {
        finding_id: Finding::id_for(meta.id, ACCOUNT, region, resource),
        check_id: meta.id.into(),
        status,
        severity: meta.severity,
        account_id: ACCOUNT.into(),
        region: region.into(),
        resource_id: resource.into(),
        resource_type: meta.resource_type.into(),
        detail: detail.into(),
        evidence: BTreeMap::new(),
        requirements: BTreeMap::new(),
        muted: None,
        changed_by: None,
    }
}

/// The findings every format is tested on, in this order:
/// 0 FAIL changed by a user from an IP, hostile tag and detail;
/// 1 PASS; 2 FAIL muted; 3 NOT_EVALUATED; 4 FAIL changed by a service,
/// formula-shaped detail; 5 a check this build does not know.
fn fixture() -> Vec<Finding> {
    let mut open = finding(
        &SG_META,
        "eu-west-1",
        "sg-0a1b2c3d",
        Status::Fail,
        "tcp 0-65535 from 0.0.0.0/0 covers 22, \"bastion\"\nsecond line <script>x</script>",
    );
    open.evidence.insert(
        "IpPermissions".into(),
        json!([{"IpProtocol": "tcp", "FromPort": 0, "ToPort": 65535, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]),
    );
    open.evidence.insert(
        "Tags".into(),
        json!([{"Key": "Name", "Value": HOSTILE_TAG}, {"Key": "env", "Value": "prod"}]),
    );
    open.requirements
        .insert("cis-aws-5.0".into(), vec!["5.3".into(), "5.4".into()]);
    open.requirements
        .insert("fsbp".into(), vec!["EC2.19".into()]);
    open.changed_by = Some(ChangeEvent {
        event_id: "0f7e3c1a-1111-2222-3333-444455556666".into(),
        event_name: "AuthorizeSecurityGroupIngress".into(),
        event_time: "2026-11-30T08:15:42Z".into(),
        actor: "arn:aws:iam::123456789012:user/mallory".into(),
        source_ip: Some("203.0.113.9".into()),
    });

    let closed = finding(
        &SG_META,
        "eu-west-1",
        "sg-0ffffff1",
        Status::Pass,
        "no ingress from the internet to 22, 3389",
    );

    let mut muted = finding(
        &SG_META,
        "us-east-1",
        "sg-0bastion",
        Status::Fail,
        "tcp 22 from 0.0.0.0/0",
    );
    muted.muted = Some(Mute {
        reason: "bastion host, \"approved\" by SEC-42".into(),
        entry: "mutelist.yaml:7".into(),
    });
    muted
        .requirements
        .insert("cis-aws-5.0".into(), vec!["5.3".into()]);

    let mut not_eval = finding(
        &IMDS_META,
        "ap-south-1",
        "ap-south-1",
        Status::NotEvaluated,
        "not evaluated: DescribeInstances: AccessDenied",
    );
    not_eval.resource_type = "AwsAccount".into();

    let mut imds = finding(
        &IMDS_META,
        "eu-west-1",
        "i-0123456789abcdef0",
        Status::Fail,
        "=HYPERLINK(\"http://evil\",\"x\") HttpTokens optional",
    );
    imds.changed_by = Some(ChangeEvent {
        event_id: "evt-2".into(),
        event_name: "ModifyInstanceMetadataOptions".into(),
        event_time: "2026-11-30T09:00:00.250+01:00".into(),
        actor: "arn:aws:sts::123456789012:assumed-role/ops/bob".into(),
        source_ip: Some("ec2.amazonaws.com".into()),
    });

    let unknown = Finding {
        finding_id: Finding::id_for("custom_check", ACCOUNT, "eu-west-1", "vpc-1"),
        check_id: "custom_check".into(),
        status: Status::Fail,
        severity: Severity::Low,
        account_id: ACCOUNT.into(),
        region: "eu-west-1".into(),
        resource_id: "vpc-1".into(),
        resource_type: "AwsEc2Vpc".into(),
        detail: "@SUM(1+1)".into(),
        evidence: BTreeMap::new(),
        requirements: BTreeMap::new(),
        muted: None,
        changed_by: None,
    };
    vec![open, closed, muted, not_eval, imds, unknown]
}

// ───────────────────────────── OCSF ─────────────────────────────

fn ocsf_events(findings: &[Finding]) -> Vec<Value> {
    let mut out = Vec::new();
    ocsf::write(&mut out, findings, lookup, now()).unwrap();
    let v: Value = serde_json::from_slice(&out).expect("OCSF output is one JSON document");
    v.as_array().expect("a JSON array").clone()
}

fn at<'a>(v: &'a Value, ptr: &str) -> &'a Value {
    v.pointer(ptr)
        .unwrap_or_else(|| panic!("{ptr} missing in {v}"))
}

#[derive(Clone, Copy, Debug)]
enum Ty {
    Int,
    Str,
    Bool,
    Obj,
    StrArray,
    ObjArray,
}

fn has_type(v: &Value, t: Ty) -> bool {
    match t {
        Ty::Int => v.is_i64() || v.is_u64(),
        Ty::Str => v.is_string(),
        Ty::Bool => v.is_boolean(),
        Ty::Obj => v.is_object(),
        Ty::StrArray => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        Ty::ObjArray => v
            .as_array()
            .is_some_and(|a| !a.is_empty() && a.iter().all(Value::is_object)),
    }
}

/// OCSF 1.x Detection Finding: the required attributes (base event,
/// finding, finding_info, metadata, cloud profile, remediation) and the
/// recommended ones saker fills, with their schema types (integer_t,
/// timestamp_t = integer ms, string_t, boolean_t, object, arrays).
const SCHEMA: &[(&str, Ty)] = &[
    ("/activity_id", Ty::Int),
    ("/category_uid", Ty::Int),
    ("/class_uid", Ty::Int),
    ("/type_uid", Ty::Int),
    ("/severity_id", Ty::Int),
    ("/time", Ty::Int),
    ("/metadata", Ty::Obj),
    ("/metadata/version", Ty::Str),
    ("/metadata/product", Ty::Obj),
    ("/metadata/product/name", Ty::Str),
    ("/metadata/product/vendor_name", Ty::Str),
    ("/metadata/event_code", Ty::Str),
    ("/metadata/profiles", Ty::StrArray),
    ("/finding_info", Ty::Obj),
    ("/finding_info/uid", Ty::Str),
    ("/finding_info/title", Ty::Str),
    ("/finding_info/types", Ty::StrArray),
    ("/finding_info/created_time", Ty::Int),
    ("/finding_info/analytic/type_id", Ty::Int),
    ("/activity_name", Ty::Str),
    ("/category_name", Ty::Str),
    ("/class_name", Ty::Str),
    ("/type_name", Ty::Str),
    ("/severity", Ty::Str),
    ("/status_id", Ty::Int),
    ("/status", Ty::Str),
    ("/status_code", Ty::Str),
    ("/status_detail", Ty::Str),
    ("/message", Ty::Str),
    ("/is_alert", Ty::Bool),
    ("/resources", Ty::ObjArray),
    ("/resources/0/uid", Ty::Str),
    ("/resources/0/type", Ty::Str),
    ("/resources/0/region", Ty::Str),
    ("/resources/0/cloud_partition", Ty::Str),
    ("/resources/0/labels", Ty::StrArray),
    ("/cloud", Ty::Obj),
    ("/cloud/provider", Ty::Str),
    ("/cloud/region", Ty::Str),
    ("/cloud/account/uid", Ty::Str),
    ("/cloud/account/type_id", Ty::Int),
    ("/unmapped", Ty::Obj),
    ("/unmapped/compliance", Ty::Obj),
    ("/unmapped/evidence", Ty::Obj),
];

#[test]
fn ocsf_events_have_the_detection_finding_attributes_with_their_types() {
    let findings = fixture();
    let events = ocsf_events(&findings);
    assert_eq!(events.len(), findings.len());
    for (e, f) in events.iter().zip(&findings) {
        for (ptr, ty) in SCHEMA {
            assert!(
                has_type(at(e, ptr), *ty),
                "{}: {ptr} is not {ty:?}: {}",
                f.finding_id,
                at(e, ptr)
            );
        }
        assert_eq!(e["class_uid"], 2004);
        assert_eq!(e["category_uid"], 2);
        assert_eq!(e["activity_id"], 1);
        assert_eq!(e["type_uid"], 200401);
        assert_eq!(e["time"], now().timestamp_millis());
        assert_eq!(e["finding_info"]["created_time"], now().timestamp_millis());
        assert_eq!(e["time_dt"], "2026-12-01T10:30:00.000Z");
        assert!(at(e, "/metadata/version")
            .as_str()
            .unwrap()
            .starts_with("1."));
        assert_eq!(e["metadata"]["product"]["name"], "saker");
        assert_eq!(e["metadata"]["event_code"], f.check_id.as_str());
        assert_eq!(e["finding_info"]["uid"], f.finding_id.as_str());
        assert_eq!(e["severity_id"], f.severity.ocsf_id());
        assert_eq!(e["severity"], f.severity.as_str());
        assert_eq!(e["status_code"], f.status.as_str());
        assert_eq!(e["status_detail"], f.detail.as_str());
        assert_eq!(e["resources"][0]["uid"], f.resource_id.as_str());
        assert_eq!(e["resources"][0]["type"], f.resource_type.as_str());
        assert_eq!(e["resources"][0]["region"], f.region.as_str());
        assert_eq!(e["resources"][0]["cloud_partition"], "aws");
        assert_eq!(e["cloud"]["provider"], "AWS");
        assert_eq!(e["cloud"]["account"]["uid"], ACCOUNT);
        assert_eq!(e["cloud"]["region"], f.region.as_str());
        // Remediation: `desc` is required when the object is present.
        if let Some(r) = e.get("remediation") {
            assert!(r["desc"].is_string());
        }
        if let Some(ev) = e.get("evidences") {
            assert!(has_type(ev, Ty::ObjArray));
        }
    }
}

#[test]
fn ocsf_maps_status_mute_check_text_and_compliance() {
    let findings = fixture();
    let events = ocsf_events(&findings);
    let (open, pass, muted, not_eval, _, unknown) = (
        &events[0], &events[1], &events[2], &events[3], &events[4], &events[5],
    );

    assert_eq!(
        (open["status_id"].clone(), open["status"].clone()),
        (json!(1), json!("New"))
    );
    assert_eq!(open["status_code"], "FAIL");
    assert_eq!(open["is_alert"], true);
    assert_eq!(pass["status_code"], "PASS");
    assert_eq!(pass["is_alert"], false);
    assert_eq!(
        (muted["status_id"].clone(), muted["status"].clone()),
        (json!(3), json!("Suppressed"))
    );
    assert_eq!(
        muted["status_code"], "FAIL",
        "a muted finding keeps its verdict"
    );
    assert_eq!(muted["is_alert"], false);
    assert_eq!(
        muted["unmapped"]["mute"]["reason"],
        "bastion host, \"approved\" by SEC-42"
    );
    assert_eq!(muted["unmapped"]["mute"]["entry"], "mutelist.yaml:7");
    assert_eq!(not_eval["status_code"], "NOT_EVALUATED");
    assert_eq!(not_eval["resources"][0]["type"], "AwsAccount");

    assert_eq!(open["finding_info"]["title"], SG_META.title);
    assert!(open["finding_info"]["desc"]
        .as_str()
        .unwrap()
        .contains("DescribeSecurityGroups"));
    assert_eq!(open["risk_details"], SG_META.rationale);
    let rem = open["remediation"]["desc"].as_str().unwrap();
    assert!(rem.contains(SG_META.remediation_console) && rem.contains(SG_META.remediation_cli));
    assert_eq!(
        open["unmapped"]["compliance"],
        json!({"cis-aws-5.0": ["5.3", "5.4"], "fsbp": ["EC2.19"]})
    );
    assert_eq!(
        open["unmapped"]["evidence"]["IpPermissions"][0]["ToPort"],
        65535
    );
    assert_eq!(
        open["resources"][0]["labels"],
        json!([format!("Name={HOSTILE_TAG}"), "env=prod"])
    );

    // A check this build does not know: still reported, titled by its id.
    assert_eq!(unknown["finding_info"]["title"], "custom_check");
    assert!(unknown.get("remediation").is_none() && unknown.get("risk_details").is_none());
}

#[test]
fn ocsf_evidence_carries_the_change_event() {
    let events = ocsf_events(&fixture());
    let (open, pass, imds) = (&events[0], &events[1], &events[4]);
    let ev = &open["evidences"][0];
    assert_eq!(
        ev["actor"]["user"]["uid"],
        "arn:aws:iam::123456789012:user/mallory"
    );
    assert_eq!(ev["src_endpoint"]["ip"], "203.0.113.9");
    assert_eq!(ev["api"]["operation"], "AuthorizeSecurityGroupIngress");
    assert_eq!(
        ev["api"]["request"]["uid"],
        "0f7e3c1a-1111-2222-3333-444455556666"
    );
    let changed = Utc.with_ymd_and_hms(2026, 11, 30, 8, 15, 42).unwrap();
    assert_eq!(
        open["finding_info"]["first_seen_time"],
        changed.timestamp_millis()
    );
    assert_eq!(open["start_time"], changed.timestamp_millis());

    // A service principal's sourceIPAddress is a host name, not an ip_t.
    let ev = &imds["evidences"][0];
    assert_eq!(ev["src_endpoint"], json!({"hostname": "ec2.amazonaws.com"}));
    let t = Utc
        .with_ymd_and_hms(2026, 11, 30, 8, 0, 0)
        .unwrap()
        .timestamp_millis()
        + 250;
    assert_eq!(
        imds["finding_info"]["first_seen_time"], t,
        "offset +01:00 converted to UTC ms"
    );

    assert!(pass.get("evidences").is_none());
    assert!(pass["finding_info"].get("first_seen_time").is_none());
}

#[test]
fn ocsf_empty_input_is_an_empty_array_and_partitions_follow_the_region() {
    let mut out = Vec::new();
    ocsf::write(&mut out, &[], lookup, now()).unwrap();
    assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), json!([]));

    let mut f = fixture().remove(1);
    for (region, partition) in [
        ("cn-north-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
        ("eu-central-2", "aws"),
    ] {
        f.region = region.into();
        let e = ocsf::detection_finding(&f, Some(&SG_META), now());
        assert_eq!(e["resources"][0]["cloud_partition"], partition, "{region}");
    }
}

// ───────────────────────────── CSV ─────────────────────────────

fn csv_rows(findings: &[Finding]) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
    let mut out = Vec::new();
    csv_report::write(&mut out, findings, lookup, now()).unwrap();
    let mut r = ::csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    let rows = r
        .records()
        .map(|rec| {
            let rec = rec.expect("well-formed CSV record");
            assert_eq!(rec.len(), header.len(), "every row has every column");
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect();
    (header, rows)
}

#[test]
fn csv_has_the_columns_and_round_trips_hostile_text() {
    let findings = fixture();
    let (header, rows) = csv_rows(&findings);
    assert_eq!(header, csv_report::COLUMNS);
    assert_eq!(rows.len(), findings.len());
    for (row, f) in rows.iter().zip(&findings) {
        assert_eq!(row["TIMESTAMP"], "2026-12-01T10:30:00Z");
        assert_eq!(row["ACCOUNT_UID"], ACCOUNT);
        assert_eq!(row["FINDING_UID"], f.finding_id);
        assert_eq!(row["CHECK_ID"], f.check_id);
        assert_eq!(row["STATUS"], f.status.as_str());
        assert_eq!(row["SEVERITY"], f.severity.as_str());
        assert_eq!(row["RESOURCE_TYPE"], f.resource_type);
        assert_eq!(row["RESOURCE_UID"], f.resource_id);
    }
    let open = &rows[0];
    // Comma, quotes and a line break survive RFC 4180 quoting.
    assert_eq!(open["DETAIL"], findings[0].detail);
    assert_eq!(open["CHECK_TITLE"], SG_META.title);
    assert_eq!(open["RISK"], SG_META.rationale);
    assert_eq!(open["REMEDIATION_CLI"], SG_META.remediation_cli);
    assert_eq!(open["REMEDIATION_CONSOLE"], SG_META.remediation_console);
    assert_eq!(
        open["COMPLIANCE"],
        "cis-aws-5.0:5.3;cis-aws-5.0:5.4;fsbp:EC2.19"
    );
    assert_eq!(
        open["CHANGED_BY"],
        "arn:aws:iam::123456789012:user/mallory AuthorizeSecurityGroupIngress at 2026-11-30T08:15:42Z from 203.0.113.9 (event 0f7e3c1a-1111-2222-3333-444455556666)"
    );
    assert_eq!(
        (open["MUTED"].as_str(), open["MUTE_REASON"].as_str()),
        ("False", "")
    );

    let muted = &rows[2];
    assert_eq!(muted["STATUS"], "FAIL");
    assert_eq!(muted["MUTED"], "True");
    assert_eq!(muted["MUTE_REASON"], "bastion host, \"approved\" by SEC-42");
    assert_eq!(rows[3]["STATUS"], "NOT_EVALUATED");
    assert_eq!(rows[3]["CHANGED_BY"], "");
    assert_eq!(rows[5]["CHECK_TITLE"], "custom_check");
    assert_eq!(rows[5]["REMEDIATION_CLI"], "");
}

#[test]
fn csv_neutralises_formulas() {
    let (_, rows) = csv_rows(&fixture());
    assert_eq!(
        rows[4]["DETAIL"],
        "'=HYPERLINK(\"http://evil\",\"x\") HttpTokens optional"
    );
    assert_eq!(rows[5]["DETAIL"], "'@SUM(1+1)");
    for cell in ["=1+1", "+1", "-1", "@x", "\tx", "\rx"] {
        assert_eq!(csv_report::neutralise_formula(cell), format!("'{cell}"));
    }
    for cell in ["sg-1", "1-2", "", "a=b", "'=x"] {
        assert_eq!(csv_report::neutralise_formula(cell), cell);
    }
    // No cell of the report starts with a formula character.
    for row in &rows {
        for (col, v) in row {
            assert!(
                !matches!(v.chars().next(), Some('=' | '+' | '-' | '@' | '\t' | '\r')),
                "{col}: {v}"
            );
        }
    }
}

// ───────────────────────────── HTML ─────────────────────────────

fn render_html(findings: &[Finding]) -> String {
    let mut out = Vec::new();
    html::write(&mut out, findings, lookup, now()).unwrap();
    String::from_utf8(out).unwrap()
}

const VOID: &[&str] = &["meta", "br", "input", "link", "img", "hr", "wbr"];

/// Tags balance (void elements aside), every `&` starts one of the
/// references `escape` writes, and no `<` or `>` appears outside a tag:
/// text with markup characters would break one of these.
fn assert_well_formed(h: &str) {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = h;
    while let Some(i) = rest.find(['<', '>']) {
        let text = &rest[..i];
        assert_entities(text);
        assert!(
            rest[i..].starts_with('<'),
            "stray '>' after {:?}",
            &text[text.len().saturating_sub(60)..]
        );
        let end = rest[i..].find('>').expect("tag closed") + i;
        let tag = &rest[i + 1..end];
        assert!(!tag.contains('<'), "'<' inside tag {tag:?}");
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("</{name}> closes nothing"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
        } else if !tag.starts_with('!') {
            let name: String = tag
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            assert!(!name.is_empty(), "tag without a name: {tag:?}");
            assert_attributes(tag);
            if !VOID.contains(&name.as_str()) {
                stack.push(name);
            }
        }
        rest = &rest[end + 1..];
    }
    assert_entities(rest);
    assert!(stack.is_empty(), "unclosed: {stack:?}");
}

fn assert_entities(text: &str) {
    for (i, _) in text.match_indices('&') {
        let r = &text[i..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| r.starts_with(e)),
            "bare '&' in {:?}",
            &r[..r.len().min(30)]
        );
    }
}

/// Attribute values are double-quoted: outside quotes, every `=` is
/// followed by `"`, and quotes pair up.
fn assert_attributes(tag: &str) {
    let mut in_quote = false;
    let b = tag.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'"' => in_quote = !in_quote,
            b'=' if !in_quote => {
                assert_eq!(b.get(i + 1), Some(&b'"'), "unquoted attribute in <{tag}>")
            }
            _ => {}
        }
    }
    assert!(!in_quote, "unbalanced quotes in <{tag}>");
}

#[test]
fn html_is_self_contained_and_escapes_estate_text() {
    let findings = fixture();
    let h = render_html(&findings);
    assert_well_formed(&h);
    assert!(h.starts_with("<!DOCTYPE html>"));
    let lower = h.to_lowercase();
    assert!(
        !lower.contains("<script"),
        "no script element, from data or otherwise"
    );
    assert!(!lower.contains(" src=") && !lower.contains("<link") && !lower.contains("url("));
    assert!(
        !lower.contains("onmouseover=\""),
        "an attribute injected through a quote"
    );
    // The hostile tag value (in the evidence) and detail, escaped.
    // (inside the evidence's JSON, where `"` is `\"`)
    assert!(h.contains(
        "&lt;script&gt;alert(1)&lt;/script&gt;\\&quot; onmouseover=\\&quot;x&#39; &amp;amp;"
    ));
    assert!(h.contains("second line &lt;script&gt;x&lt;/script&gt;"));
    assert!(h.contains("bastion host, &quot;approved&quot; by SEC-42"));
    // Every href is an in-page anchor.
    for (i, _) in h.match_indices("href=\"") {
        assert!(h[i + 6..].starts_with('#'), "external href at {i}");
    }
}

#[test]
fn html_summarises_and_has_a_section_per_check() {
    let findings = fixture();
    let h = render_html(&findings);
    // FAIL: open, imds, unknown; PASS 1; MUTED 1; NOT_EVALUATED 1.
    for (status, n) in [("FAIL", 3), ("PASS", 1), ("MUTED", 1), ("NOT_EVALUATED", 1)] {
        assert!(
            h.contains(&format!("id=\"count-{status}\">{n}<")),
            "{status} count {n}"
        );
    }
    assert!(h.contains(&format!("{} findings", findings.len())));
    for m in [&SG_META, &IMDS_META] {
        let start = h
            .find(&format!("<section class=\"check\" id=\"check-{}\"", m.id))
            .expect("section");
        let section = &h[start..start + h[start..].find("</section>").unwrap()];
        assert!(section.contains(&html::escape(m.title)));
        assert!(section.contains(&html::escape(m.rationale)));
        assert!(section.contains(&html::escape(m.remediation_cli)));
        assert!(section.contains(&html::escape(m.remediation_console)));
        for f in findings.iter().filter(|f| f.check_id == m.id) {
            assert!(section.contains(&format!("<code>{}</code>", html::escape(&f.resource_id))));
        }
    }
    assert!(h.contains("id=\"check-custom_check\""));
    // Within the SG check, the failure comes before the mute and the pass.
    let (fail, muted, pass) = (
        h.find("sg-0a1b2c3d").unwrap(),
        h.find("sg-0bastion").unwrap(),
        h.find("sg-0ffffff1").unwrap(),
    );
    assert!(fail < muted && muted < pass);
    // The change event and the requirements are shown.
    assert!(h.contains("arn:aws:iam::123456789012:user/mallory AuthorizeSecurityGroupIngress"));
    assert!(h.contains("cis-aws-5.0:5.4"));
    assert!(h.contains("<td class=\"st st-MUTED\">MUTED <span class=\"meta\">(FAIL)</span>"));
}

#[test]
fn html_escape_and_anchors_neutralise_markup() {
    assert_eq!(
        html::escape("<a href=\"x\">'&'</a>"),
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
    );
    assert_eq!(
        html::escape("bell\u{7}\u{1b}[31m"),
        "bell\u{fffd}\u{fffd}[31m"
    );
    // A check id read back from a JSON file is attacker-controlled too.
    let mut f = fixture().remove(5);
    f.check_id = "x\"><script>alert(1)</script>".into();
    let h = render_html(&[f]);
    assert_well_formed(&h);
    assert!(!h.to_lowercase().contains("<script"));
    assert!(h.contains("id=\"check-x___script_alert_1___script_\""));
}

// ───────────────────────────── diff ─────────────────────────────

fn with_status(mut f: Finding, s: Status) -> Finding {
    f.status = s;
    f
}

fn ids(ts: &[diff::Transition]) -> Vec<&str> {
    ts.iter().map(|t| t.resource_id.as_str()).collect()
}

/// OLD and NEW of a run where every kind of change happens once.
fn two_runs() -> (Vec<Finding>, Vec<Finding>) {
    let base = |r: &str, s: Status| finding(&SG_META, "eu-west-1", r, s, "d");
    let mute = |mut f: Finding| {
        f.muted = Some(Mute {
            reason: "ok".into(),
            entry: "m.yaml:1".into(),
        });
        f
    };
    let old = vec![
        base("sg-fixed", Status::Fail),
        base("sg-broke", Status::Pass),
        base("sg-still", Status::Fail),
        base("sg-mute", Status::Fail),
        mute(base("sg-unmute", Status::Fail)),
        base("sg-lost-access", Status::Pass),
        base("sg-back", Status::NotEvaluated),
        base("sg-same", Status::Pass),
        base("sg-gone", Status::Fail),
    ];
    let new = vec![
        base("sg-fixed", Status::Pass),
        base("sg-broke", Status::Fail),
        base("sg-still", Status::Fail),
        mute(base("sg-mute", Status::Fail)),
        base("sg-unmute", Status::Fail),
        base("sg-lost-access", Status::NotEvaluated),
        base("sg-back", Status::Fail),
        base("sg-same", Status::Pass),
        base("sg-new", Status::Fail),
        base("sg-new-ok", Status::Pass),
    ];
    (old, new)
}

#[test]
fn diff_sorts_every_kind_of_change() {
    let (old, new) = two_runs();
    let d = diff::diff(&old, &new);
    assert_eq!(ids(&d.new_failures), ["sg-back", "sg-broke", "sg-new"]);
    assert_eq!(ids(&d.fixed), ["sg-fixed"]);
    assert_eq!(ids(&d.still_failing), ["sg-mute", "sg-still", "sg-unmute"]);
    assert_eq!(ids(&d.newly_muted), ["sg-mute"]);
    assert_eq!(ids(&d.newly_unmuted), ["sg-unmute"]);
    assert_eq!(ids(&d.now_not_evaluated), ["sg-lost-access"]);
    assert_eq!(ids(&d.now_evaluated), ["sg-back"]);
    assert_eq!(ids(&d.appeared), ["sg-new", "sg-new-ok"]);
    assert_eq!(ids(&d.disappeared), ["sg-gone"]);
    assert_eq!(
        d.appeared_resources
            .iter()
            .map(|r| r.resource_id.as_str())
            .collect::<Vec<_>>(),
        ["sg-new", "sg-new-ok"]
    );
    assert_eq!(d.disappeared_resources.len(), 1);
    assert_eq!(d.disappeared_resources[0].resource_id, "sg-gone");
    assert_eq!(d.unchanged, 2, "sg-same and sg-still");
    assert!(d.duplicate_ids.is_empty());
    assert!(d.has_new_unmuted_failures());

    let broke = &d.new_failures[1];
    assert_eq!(
        (broke.old_status, broke.new_status),
        (Some(Status::Pass), Some(Status::Fail))
    );
    let appeared = &d.new_failures[2];
    assert_eq!(
        (appeared.old_status, appeared.new_status),
        (None, Some(Status::Fail))
    );

    // The same run against itself: nothing changed.
    let same = diff::diff(&new, &new);
    assert_eq!(same.unchanged, new.len());
    assert!(same.new_failures.is_empty() && same.fixed.is_empty() && same.appeared.is_empty());
    assert!(!same.has_new_unmuted_failures());
}

#[test]
fn diff_resources_are_per_resource_and_duplicates_are_reported() {
    // A resource with two checks: one finding disappears, the resource stays.
    let mut sg = finding(&SG_META, "eu-west-1", "i-1", Status::Fail, "d");
    sg.resource_type = IMDS_META.resource_type.into();
    let imds = finding(&IMDS_META, "eu-west-1", "i-1", Status::Fail, "d");
    let d = diff::diff(&[sg.clone(), imds.clone()], &[imds.clone(), imds.clone()]);
    assert_eq!(ids(&d.disappeared), ["i-1"]);
    assert_eq!(d.disappeared[0].check_id, SG_META.id);
    assert!(d.disappeared_resources.is_empty());
    assert_eq!(d.duplicate_ids, [imds.finding_id.as_str()]);

    // A muted new failure does not fail CI.
    let mut m = with_status(sg.clone(), Status::Fail);
    m.muted = Some(Mute {
        reason: "r".into(),
        entry: "e:1".into(),
    });
    let d = diff::diff(&[with_status(sg, Status::Pass)], &[m]);
    assert_eq!(d.new_failures.len(), 1);
    assert!(!d.has_new_unmuted_failures());
}

#[test]
fn diff_json_round_trips_and_the_summary_escapes_control_characters() {
    let (old, mut new) = two_runs();
    new[1].detail = "opened by \u{1b}[31mred\u{1b}[0m \u{202e}evil".into();
    let d = diff::diff(&old, &new);

    let mut out = Vec::new();
    diff::write_json(&mut out, &d).unwrap();
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["new_failures"][1]["old_status"], "PASS");
    assert_eq!(v["new_failures"][2]["old_status"], Value::Null);
    assert_eq!(v["fixed"][0]["new_status"], "PASS");
    assert_eq!(v["unchanged"], 2);
    let back: diff::Diff = serde_json::from_value(v).unwrap();
    assert_eq!(back, d);

    let mut out = Vec::new();
    diff::write_summary(&mut out, &d).unwrap();
    let s = String::from_utf8(out).unwrap();
    assert!(s.starts_with("3 new failures, 1 fixed, 3 still failing, 1 newly muted, 1 unmuted, 1 now not evaluated, 1 evaluated again, 2 appeared, 1 disappeared"));
    assert!(!s.contains('\u{1b}') && !s.contains('\u{202e}'));
    assert!(s.contains("\\x1b[31mred"));
    assert!(s.contains("PASS -> FAIL  ec2_sg_open_admin_ports  123456789012 eu-west-1 sg-broke"));
    assert!(s.contains("FAIL -> MUTED"));
    assert!(s.contains("absent -> FAIL"));
    assert!(s.contains("\nStill failing: 3\n"));
}

#[test]
fn findings_read_back_from_json_lines_and_arrays() {
    let findings = fixture();
    let dir = tempfile::tempdir().unwrap();
    // `--output json`: one object per line, Finding's serde form.
    let mut lines = String::new();
    for f in &findings {
        // The `--output json` form: `status` is the reported status (MUTED),
        // `check_status` the verdict; `check_title` is extra.
        let mut v = serde_json::to_value(f).unwrap();
        v["check_status"] = v["status"].clone();
        v["status"] = f.reported_status().into();
        v["check_title"] = "a title".into();
        lines.push_str(&serde_json::to_string(&v).unwrap());
        lines.push('\n');
    }
    lines.insert(0, '\n');
    lines.push_str("{\"not\": \"a finding\"}\n");
    let path = dir.path().join("run1.json");
    std::fs::write(&path, &lines).unwrap();
    let read = diff::read_findings(std::fs::File::open(&path).unwrap(), "run1.json").unwrap();
    assert_eq!(read.findings, findings);
    assert_eq!(read.skipped.len(), 1);
    assert!(
        read.skipped[0].starts_with(&format!("run1.json:{}: ", findings.len() + 2)),
        "{:?}",
        read.skipped
    );

    assert_eq!(
        lines
            .lines()
            .nth(3)
            .map(|l| l.contains("\"status\":\"MUTED\"")),
        Some(true),
        "the muted finding's line says MUTED"
    );

    // Finding's plain serde form, as one JSON array.
    let arr = serde_json::to_string(&findings).unwrap();
    let read = diff::read_findings(arr.as_bytes(), "run2.json").unwrap();
    assert_eq!(read.findings, findings);
    assert!(read.skipped.is_empty());

    // An OCSF report is not a findings report: a clear error naming the file.
    let mut ocsf_out = Vec::new();
    ocsf::write(&mut ocsf_out, &findings, lookup, now()).unwrap();
    let err = diff::read_findings(ocsf_out.as_slice(), "ocsf.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("ocsf.json: not a saker findings report"),
        "{err}"
    );
    let err = diff::read_findings(&b"{\"version\": 1, \"accounts\": []}"[..], "inventory.json")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("inventory.json is an inventory: run `saker posture check"),
        "{err}"
    );

    // A size limit: reading stops past it, with an error naming the file.
    let err = diff::read_findings_limited(std::io::repeat(b' '), "/dev/zero", 4096)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "/dev/zero: larger than 4096 bytes");
    let ok = diff::read_findings_limited(arr.as_bytes(), "run2.json", arr.len() as u64).unwrap();
    assert_eq!(ok.findings.len(), findings.len());

    // An empty or whitespace-only file is an error naming it (a failed
    // run, not one where everything disappeared).
    for empty in [&b""[..], &b" \n\n  \t\n"[..]] {
        let err = diff::read_findings(empty, "empty.json")
            .unwrap_err()
            .to_string();
        assert_eq!(err, "empty.json: empty file, not a saker findings report");
    }
}

/// A finding failing with `detail` and CIS requirements `reqs`.
fn failing_sg(detail: &str, port: i64, reqs: &[&str]) -> Finding {
    let mut f = Finding {
        finding_id: Finding::id_for(
            "ec2_sg_open_admin_port",
            "111122223333",
            "eu-west-1",
            "sg-1",
        ),
        check_id: "ec2_sg_open_admin_port".into(),
        status: Status::Fail,
        severity: Severity::High,
        account_id: "111122223333".into(),
        region: "eu-west-1".into(),
        resource_id: "sg-1".into(),
        resource_type: "AwsEc2SecurityGroup".into(),
        detail: detail.into(),
        evidence: Default::default(),
        requirements: Default::default(),
        muted: None,
        changed_by: None,
    };
    f.evidence.insert("port".into(), port.into());
    f.requirements.insert(
        "cis_aws_3.0".into(),
        reqs.iter().map(|r| r.to_string()).collect(),
    );
    f
}

#[test]
fn diff_reports_changed_failures_and_newly_failing_requirements() {
    let old = vec![failing_sg("port 22 open to 0.0.0.0/0", 22, &["5.2"])];
    // Same finding id, still FAIL, another exposure and requirement.
    let new = vec![failing_sg("port 3389 open to ::/0", 3389, &["5.3"])];
    let d = diff::diff(&old, &new);
    assert!(d.new_failures.is_empty());
    assert_eq!(d.still_failing.len(), 1);
    assert_eq!(d.changed.len(), 1);
    let c = &d.changed[0];
    assert_eq!(c.fields, ["detail", "evidence", "requirements"]);
    assert_eq!(c.old_detail, "port 22 open to 0.0.0.0/0");
    assert_eq!(c.transition.detail, "port 3389 open to ::/0");
    assert_eq!(
        c.newly_failing_requirements.get("cis_aws_3.0"),
        Some(&vec!["5.3".to_string()])
    );
    assert!(d.has_new_unmuted_failures(), "5.3 fails now and did not");
    assert_eq!(d.newly_failing_requirement_count(), 1);

    let mut text = Vec::new();
    diff::write_summary(&mut text, &d).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("1 still failing (1 changed, 1 newly failing requirements)"),
        "{text}"
    );
    assert!(text.contains("was: port 22 open to 0.0.0.0/0"), "{text}");
    assert!(text.contains("newly failing cis_aws_3.0: 5.3"), "{text}");
    let mut json_out = Vec::new();
    diff::write_json(&mut json_out, &d).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json_out).unwrap();
    assert_eq!(v["changed"][0]["old_detail"], "port 22 open to 0.0.0.0/0");
    assert_eq!(
        v["changed"][0]["newly_failing_requirements"]["cis_aws_3.0"][0],
        "5.3"
    );

    // Only the detail changed, requirements the same: listed, not new.
    let new = vec![failing_sg(
        "port 22 open to 0.0.0.0/0 and ::/0",
        22,
        &["5.2"],
    )];
    let d = diff::diff(&old, &new);
    assert_eq!(d.changed.len(), 1);
    assert_eq!(d.changed[0].fields, ["detail"]);
    assert!(!d.has_new_unmuted_failures());

    // A requirement dropped only: not a new failure. Identical: not changed.
    let new = vec![failing_sg("port 22 open to 0.0.0.0/0", 22, &[])];
    assert!(!diff::diff(&old, &new).has_new_unmuted_failures());
    assert!(diff::diff(&old, &old).changed.is_empty());

    // Muted in NEW: changed, but not a failure for CI.
    let mut new = vec![failing_sg("port 3389 open to ::/0", 3389, &["5.3"])];
    new[0].muted = Some(Mute {
        reason: "accepted".into(),
        entry: "m1".into(),
    });
    assert!(!diff::diff(&old, &new).has_new_unmuted_failures());
}
