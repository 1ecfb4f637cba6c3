//! Field values of specific real records (eventIDs from
//! `../shared/data/cloudtrail`), checked against the Falco semantics in
//! `shared/reference/falco.md` §6.

mod common;
use common::*;
use saker_rules::fields::Value;
use std::sync::OnceLock;

fn invictus() -> &'static [String] {
    static R: OnceLock<Vec<String>> = OnceLock::new();
    R.get_or_init(|| {
        files_under(&data("invictus/CloudTrail"))
            .iter()
            .flat_map(|f| decode_path(f).records)
            .collect()
    })
}

fn traildiscover(file: &str) -> Vec<String> {
    decode_path(&data(&format!("traildiscover/docs/logExamples/{file}"))).records
}

fn elastic(file: &str) -> Vec<String> {
    decode_path(&data(&format!(
        "fixtures/elastic_integrations_cloudtrail_pipeline_tests/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/{file}"
    )))
    .records
}

fn f(id: &str, token: &str) -> Option<String> {
    with_record(invictus(), id, |e| field(e, token))
}

const FLAT_INGRESS: &str = "74bd84b4-6729-4895-b2a4-e2beb7c6b377";
const NESTED_INGRESS: &str = "7e96f0e7-4d78-423d-b3f5-391370685b30";
const ALL_EGRESS: &str = "914469fc-c658-434c-a560-0219c0ac3b55";

#[test]
fn direct_fields_of_the_flat_port_22_ingress() {
    let id = FLAT_INGRESS;
    assert_eq!(f(id, "ct.id").as_deref(), Some(id));
    assert_eq!(
        f(id, "ct.name").as_deref(),
        Some("AuthorizeSecurityGroupIngress")
    );
    assert_eq!(f(id, "ct.src").as_deref(), Some("ec2.amazonaws.com"));
    assert_eq!(f(id, "ct.shortsrc").as_deref(), Some("ec2"));
    assert_eq!(f(id, "ct.region").as_deref(), Some("us-east-1"));
    assert_eq!(f(id, "ct.srcip").as_deref(), Some("192.168.10.20"));
    assert_eq!(f(id, "ct.user").as_deref(), Some("bert-jan"));
    assert_eq!(f(id, "ct.originaluser").as_deref(), Some("bert-jan"));
    assert_eq!(f(id, "ct.user.identitytype").as_deref(), Some("IAMUser"));
    assert_eq!(f(id, "ct.user.accountid").as_deref(), Some("123837392027"));
    assert_eq!(f(id, "ct.readonly").as_deref(), Some("false"));
    assert_eq!(f(id, "ct.managementevent").as_deref(), Some("true"));
    assert_eq!(
        f(id, "ct.tlsdetails.tlsversion").as_deref(),
        Some("TLSv1.2")
    );
    assert_eq!(f(id, "ct.error"), None);
    assert_eq!(f(id, "ct.request.groupname"), None);
    assert_eq!(
        f(id, "ct.info").as_deref(),
        Some("bert-jan via 192.168.10.20 \u{2192} AuthorizeSecurityGroupIngress")
    );
    assert_eq!(
        f(id, "evt.plugininfo").as_deref(),
        Some("us-east-1 bert-jan ec2 AuthorizeSecurityGroupIngress bert-jan via 192.168.10.20 \u{2192} AuthorizeSecurityGroupIngress")
    );
    assert_eq!(
        f(id, "ct.request").as_deref(),
        Some(
            r#"{"groupId":"sg-04cfb7a4712d75b00","ipPermissions":{},"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0"}"#
        )
    );
    assert_eq!(
        f(id, "json.value[/requestParameters/fromPort]").as_deref(),
        Some("22")
    );
    assert_eq!(
        f(id, "json.value[/responseElements/_return]").as_deref(),
        Some("true")
    );
    assert_eq!(
        f(
            id,
            "jevt.value[/responseElements/securityGroupRuleSet/items/0/cidrIpv4]"
        )
        .as_deref(),
        Some("0.0.0.0/0")
    );
    assert_eq!(
        f(id, "json.value[/requestParameters/ipPermissions]").as_deref(),
        Some("{}")
    );
    assert_eq!(f(id, "json.value[/nope]"), None);
    assert_eq!(f(id, "s3.cnt.other").as_deref(), Some("1"));
    assert_eq!(f(id, "s3.cnt.get"), None);
    assert_eq!(f(id, "evt.source").as_deref(), Some("aws_cloudtrail"));
    assert_eq!(
        f(id, "evt.time.iso8601").as_deref(),
        Some("2023-07-10T12:10:08.000000000+0000")
    );
    assert_eq!(f(id, "evt.rawtime").as_deref(), Some("1688991008000000000"));
    assert_eq!(
        f(id, "json.rawtime").as_deref(),
        Some("1688991008000000000")
    );
}

#[test]
fn security_group_fields_flat_shape() {
    assert_eq!(
        f(FLAT_INGRESS, "ec2.sg.cidrs").as_deref(),
        Some("(0.0.0.0/0)")
    );
    assert_eq!(
        f(FLAT_INGRESS, "ec2.sg.world_ports").as_deref(),
        Some("(22)")
    );
    assert_eq!(
        f(FLAT_INGRESS, "ec2.sg.permissions").as_deref(),
        Some("(tcp/22 0.0.0.0/0)")
    );
}

#[test]
fn security_group_fields_nested_shape() {
    assert_eq!(
        f(NESTED_INGRESS, "ec2.sg.cidrs").as_deref(),
        Some("(0.0.0.0/0)")
    );
    assert_eq!(
        f(NESTED_INGRESS, "ec2.sg.world_ports").as_deref(),
        Some("(443)")
    );
    assert_eq!(
        f(NESTED_INGRESS, "ec2.sg.permissions").as_deref(),
        Some("(tcp/443 0.0.0.0/0)")
    );
    // All-traffic egress to 0.0.0.0/0 and ::/0: every port.
    assert_eq!(
        f(ALL_EGRESS, "ec2.sg.cidrs").as_deref(),
        Some("(0.0.0.0/0,::/0)")
    );
    assert_eq!(
        f(ALL_EGRESS, "ec2.sg.permissions").as_deref(),
        Some("(all 0.0.0.0/0,all ::/0)")
    );
    with_record(invictus(), ALL_EGRESS, |e| {
        match value(e, "ec2.sg.world_ports") {
            Some(Value::List(v)) => {
                assert_eq!(v.len(), 65536);
                assert_eq!(v[0], Value::U64(0));
                assert_eq!(v[65535], Value::U64(65535));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            field(e, "ec2.sg.world_port_ranges").as_deref(),
            Some("(0-65535)")
        );
    });
    assert_eq!(
        f(FLAT_INGRESS, "ec2.sg.world_port_ranges").as_deref(),
        Some("(22)")
    );
    // Non-world CIDR (traildiscover's 0.0.0.0/24): CIDRs, no world ports.
    let td = traildiscover("AuthorizeSecurityGroupIngress.json.cloudtrail");
    with_record(&td, "b87911ca-8464-4181-a78a-1bb80498e32c", |e| {
        assert_eq!(field(e, "ec2.sg.cidrs").as_deref(), Some("(0.0.0.0/24)"));
        assert_eq!(field(e, "ec2.sg.world_ports"), None);
        // Pretty-printed source: the marshal field is compact, key order kept.
        assert_eq!(
            field(e, "ct.request").as_deref(),
            Some(
                r#"{"groupId":"sg-0683fcf7a41c82593","ipPermissions":{"items":[{"fromPort":22,"groups":{},"ipProtocol":"tcp","ipRanges":{"items":[{"cidrIp":"0.0.0.0/24"}]},"ipv6Ranges":{},"prefixListIds":{},"toPort":22}]}}"#
            )
        );
    });
    // Not a security-group request.
    assert_eq!(
        f("86eac0ac-8521-4126-aa32-a22f2b74d02e", "ec2.sg.cidrs"),
        None
    );
}

#[test]
fn sharing_fields() {
    assert_eq!(
        f("8fe3095f-909c-41f5-a769-00b9ec6e95df", "ec2.shared_with").as_deref(),
        Some("(012345678901)")
    );
    assert_eq!(
        f("8fe3095f-909c-41f5-a769-00b9ec6e95df", "ec2.unshared_from"),
        None
    );
    assert_eq!(
        f("8d96ddae-ab7e-4230-9935-44dde036f058", "ec2.unshared_from").as_deref(),
        Some("(012345678901)")
    );
    assert_eq!(
        f("741616fd-4713-426d-8861-3ccae4ba994e", "ec2.shared_with").as_deref(),
        Some("(012345678912)")
    );
    assert_eq!(
        f("3ad01b1d-ebc1-4830-994b-9210534ab9f2", "ec2.unshared_from").as_deref(),
        Some("(012345678912)")
    );
    assert_eq!(
        f("3ad01b1d-ebc1-4830-994b-9210534ab9f2", "ec2.shared_with"),
        None
    );
    // elastic: remove group "all".
    let r = elastic("test-modify-image-attribute-json.log");
    assert_eq!(r.len(), 1);
    let e = saker_cloudtrail::CloudTrailEvent::parse(r[0].as_bytes()).unwrap();
    let all = field(&e, "ec2.unshared_from").or_else(|| field(&e, "ec2.shared_with"));
    assert_eq!(all.as_deref(), Some("(all)"));
}

#[test]
fn image_ids_of_run_instances() {
    let id = "86eac0ac-8521-4126-aa32-a22f2b74d02e";
    assert_eq!(
        f(id, "ec2.imageids").as_deref(),
        Some("(ami-029eb80bc237bec6f)")
    );
    assert_eq!(
        f(id, "ec2.imageids[0]").as_deref(),
        Some("(ami-029eb80bc237bec6f)")
    );
    assert_eq!(f(id, "ec2.imageids[1]"), None);
    assert_eq!(
        f(id, "ec2.imageid").as_deref(),
        Some("ami-029eb80bc237bec6f")
    );
    // No Name tag in tagSpecificationSet.
    assert_eq!(f(id, "ec2.name"), None);
    // ModifyImageAttribute: from requestParameters.imageId.
    assert_eq!(
        f("8fe3095f-909c-41f5-a769-00b9ec6e95df", "ec2.imageids").as_deref(),
        Some("(ami-0aa1d83d0b0985c86)")
    );
    assert_eq!(
        f("8fe3095f-909c-41f5-a769-00b9ec6e95df", "ec2.imageids[1]"),
        None
    );
    assert_eq!(f(FLAT_INGRESS, "ec2.imageids"), None);
}

#[test]
fn user_per_identity_type() {
    // AssumedRole: the role name; originaluser: the session name.
    let id = "fbd91225-39aa-4c00-822c-9f0b96e7758f";
    assert_eq!(
        f(id, "ct.user").as_deref(),
        Some("stratus-red-team-ec2-get-password-data-role")
    );
    assert_eq!(
        f(id, "ct.originaluser").as_deref(),
        Some("aws-go-sdk-1688990082523310002")
    );
    assert_eq!(
        f(id, "ct.error").as_deref(),
        Some("Client.UnauthorizedOperation")
    );
    assert_eq!(
        f(id, "ct.info").as_deref(),
        Some("stratus-red-team-ec2-get-password-data-role via 192.168.10.20 !\u{2190} GetPasswordData")
    );
    // AWSService: invokedBy, and user == srcip gives the short info form.
    let id = "a4a7b25e-c2d5-436f-8a7e-ea89f50541ab";
    assert_eq!(
        f(id, "ct.user").as_deref(),
        Some("inspector2.amazonaws.com")
    );
    assert_eq!(
        f(id, "ct.info").as_deref(),
        Some("inspector2.amazonaws.com \u{2190} AssumeRole")
    );
    assert_eq!(f(id, "ct.originaluser"), None);
    // No userIdentity.type: user absent, info says so, accountid from userIdentity.
    let id = "895dc875-cb08-45a5-b8c2-9158838741c0";
    assert_eq!(f(id, "ct.user"), None);
    assert_eq!(f(id, "ct.user.identitytype"), None);
    assert_eq!(
        f(id, "ct.info").as_deref(),
        Some("<invalid cloudtrail event: userIdentity field missing>")
    );
    assert_eq!(f(id, "ct.request").as_deref(), Some("null"));
    assert_eq!(f(id, "ct.serviceeventdetails").as_deref(), Some(""));
    assert_eq!(
        f(id, "json.value[/requestParameters]").as_deref(),
        Some("null")
    );
    assert_eq!(f(id, "ct.request.name"), None);
    // IdentityCenterUser: not a type the plugin knows.
    let r = elastic("test-user-authentication.log");
    let e = saker_cloudtrail::CloudTrailEvent::parse(r[0].as_bytes()).unwrap();
    assert_eq!(
        field(&e, "ct.user.identitytype").as_deref(),
        Some("IdentityCenterUser")
    );
    assert_eq!(field(&e, "ct.user"), None);
    // Unknown type (traildiscover).
    let td = traildiscover("AcceptAgreementRequest.json.cloudtrail");
    with_record(&td, "a048ca6f-5d17-48ef-a818-8db62b4cf3bd", |e| {
        assert_eq!(field(e, "ct.user"), None);
        assert_eq!(field(e, "ct.user.identitytype").as_deref(), Some("Unknown"));
    });
}

#[test]
fn s3_fields_and_info() {
    let id = "d9a07e9d-28ac-45d9-b8ef-43433808f2f0";
    assert_eq!(
        f(id, "s3.bucket").as_deref(),
        Some("baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w")
    );
    assert_eq!(f(id, "s3.key"), None);
    assert_eq!(f(id, "s3.uri"), None);
    assert_eq!(f(id, "s3.bytes").as_deref(), Some("552"));
    assert_eq!(f(id, "s3.bytes.in").as_deref(), Some("0"));
    assert_eq!(f(id, "s3.bytes.out").as_deref(), Some("552"));
    assert_eq!(f(id, "s3.cnt.other").as_deref(), Some("1"));
    assert_eq!(f(id, "ct.readonly").as_deref(), Some("true"));
    assert_eq!(
        f(id, "ct.info").as_deref(),
        Some("benjamin via 10.248.16.43 \u{2190} GetBucketAcl Size=552 Bucket=baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w")
    );
    assert_eq!(
        f(id, "ct.resources").as_deref(),
        Some(
            r#"{"accountId":"123837392027","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::baker221b-bucketssecuritylogsbef08b3e-13nrzhi7fcs7w"}"#
        )
    );
    // mfaAuthenticated is a string in the data.
    assert_eq!(
        f(
            id,
            "json.value[/userIdentity/sessionContext/attributes/mfaAuthenticated]"
        )
        .as_deref(),
        Some("true")
    );
}

#[test]
fn console_login_json_values() {
    let id = "70e5932e-9022-4b38-837e-ca10dad94eb7";
    assert_eq!(
        f(id, "json.value[/responseElements/ConsoleLogin]").as_deref(),
        Some("Success")
    );
    assert_eq!(
        f(id, "json.value[/additionalEventData/MFAUsed]").as_deref(),
        Some("No")
    );
    assert_eq!(f(id, "ct.sessioncredentialfromconsole"), None);
    let obj = f(id, "json.obj").unwrap();
    assert!(
        obj.starts_with(
            "{\n  \"eventVersion\": \"1.08\",\n  \"userIdentity\": {\n    \"type\": \"IAMUser\","
        ),
        "{obj}"
    );
    assert!(obj.ends_with("\n}"));
}

#[test]
fn session_credential_from_console_string_true() {
    // CloudTrail writes the string "true"; Falco's plugin yields "false" (bug), saker "true".
    let rec = invictus()
        .iter()
        .find(|r| r.contains(r#""sessionCredentialFromConsole":"true""#))
        .expect("a record with sessionCredentialFromConsole");
    let e = saker_cloudtrail::CloudTrailEvent::parse(rec.as_bytes()).unwrap();
    assert_eq!(
        field(&e, "ct.sessioncredentialfromconsole").as_deref(),
        Some("true")
    );
}

#[test]
fn every_field_extracts_on_every_real_record_without_panicking() {
    use saker_cloudtrail::fields::FIELDS;
    let mut present = vec![0usize; FIELDS.len()];
    for r in invictus() {
        let e = saker_cloudtrail::CloudTrailEvent::parse(r.as_bytes()).unwrap();
        for (i, def) in FIELDS.iter().enumerate() {
            let token = match def.arg {
                saker_rules::fields::ArgForm::KeyRequired => {
                    format!("{}[/userIdentity/arn]", def.name)
                }
                _ => def.name.to_string(),
            };
            if field(&e, &token).is_some() {
                present[i] += 1;
            }
        }
    }
    let by_name = |n: &str| present[FIELDS.iter().position(|d| d.name == n).unwrap()];
    assert_eq!(by_name("ct.name"), 2900);
    assert_eq!(by_name("ct.info"), 2900);
    assert_eq!(by_name("evt.asynctype"), 0);
    assert!(by_name("ct.user") > 2800);
    assert!(by_name("ec2.sg.cidrs") >= 4);
}

/// The `event` objects of `../shared/data/rule-tests/panther_tests.jsonl`
/// (raw text, as written).
fn panther_events() -> Vec<String> {
    let p = data("../rule-tests/panther_tests.jsonl");
    std::fs::read_to_string(p)
        .unwrap()
        .lines()
        .filter_map(|l| saker_cloudtrail::rawjson::get(l, "event").map(str::to_string))
        .collect()
}

#[test]
fn panther_events_each_give_one_item() {
    let events = panther_events();
    assert_eq!(events.len(), 472);
    let (mut yielded, mut expected) = (0, 0);
    for e in &events {
        let d = decode_bytes(
            e.as_bytes(),
            "panther",
            &saker_cloudtrail::DecodeOptions::default(),
        );
        assert_eq!(d.records.len() + d.skips.len() + d.insights, 1, "{e}");
        yielded += d.records.len();
        // Panther tests often carry no eventTime or a zone-less one
        // ("2022-12-11 19:42:55"), which Falco's RFC 3339 parse rejects too.
        let time = saker_cloudtrail::rawjson::get(e, "eventTime")
            .and_then(saker_cloudtrail::rawjson::as_str);
        if time.is_some_and(|t| saker_cloudtrail::record::parse_rfc3339_ns(&t).is_some()) {
            expected += 1;
        } else {
            use saker_cloudtrail::SkipReason::*;
            assert!(
                matches!(d.skips[0].reason, MissingEventTime | InvalidEventTime),
                "{:?}",
                d.skips
            );
        }
    }
    assert_eq!(yielded, expected);
    assert!(yielded > 300, "{yielded}");
}

#[test]
fn user_for_root_awsaccount_and_federated_user() {
    let events = panther_events();
    let find = |ty: &str| -> String {
        events
            .iter()
            .find(|e| {
                (e.contains(&format!("\"type\": \"{ty}\""))
                    || e.contains(&format!("\"type\":\"{ty}\"")))
                    && saker_cloudtrail::CloudTrailEvent::parse(e.as_bytes()).is_ok()
            })
            .unwrap_or_else(|| panic!("no {ty} event"))
            .clone()
    };
    let root = find("Root");
    let e = saker_cloudtrail::CloudTrailEvent::parse(root.as_bytes()).unwrap();
    // Root: ct.user is userIdentity.userName, absent (as is common) when
    // missing, and then ct.info reports it.
    let user_name = field(&e, "json.value[/userIdentity/userName]");
    assert_eq!(field(&e, "ct.user"), user_name);
    assert_eq!(field(&e, "ct.user.identitytype").as_deref(), Some("Root"));
    if user_name.is_none() {
        assert_eq!(
            field(&e, "ct.info").as_deref(),
            Some("<invalid cloudtrail event: userIdentity field missing>")
        );
    }
    let acct = find("AWSAccount");
    let e = saker_cloudtrail::CloudTrailEvent::parse(acct.as_bytes()).unwrap();
    assert_eq!(field(&e, "ct.user").as_deref(), Some("AWSAccount"));
    let fed = find("FederatedUser");
    let e = saker_cloudtrail::CloudTrailEvent::parse(fed.as_bytes()).unwrap();
    assert_eq!(field(&e, "ct.user").as_deref(), Some("FederatedUser"));
    assert_eq!(
        field(&e, "ct.user.arn").as_deref(),
        Some("arn:aws:sts::123456789012:federated-user/federated-user")
    );
}

#[test]
fn put_bucket_public_access_block_info() {
    let events = panther_events();
    let ev = events
        .iter()
        .find(|e| e.contains("\"PutBucketPublicAccessBlock\""))
        .expect("a PutBucketPublicAccessBlock event");
    let e = saker_cloudtrail::CloudTrailEvent::parse(ev.as_bytes()).unwrap();
    let user = field(&e, "ct.user").unwrap();
    // No PublicAccessBlockConfiguration object: no flags, and no Bucket=
    // either (Falco returns early for this event name).
    assert_eq!(
        field(&e, "ct.info").unwrap(),
        format!("{user} via 1.2.3.4 \u{2192} PutBucketPublicAccessBlock")
    );
    // With a configuration, saker prints the real flags (Falco: always false).
    let cfg = "\"requestParameters\": {\"PublicAccessBlockConfiguration\": {\"BlockPublicAcls\": true, \"IgnorePublicAcls\": false, \"BlockPublicPolicy\": true, \"RestrictPublicBuckets\": false},";
    let with_cfg = if ev.contains("\"requestParameters\":{") {
        ev.replacen("\"requestParameters\":{", cfg, 1)
    } else {
        ev.replacen("\"requestParameters\": {", cfg, 1)
    };
    let e = saker_cloudtrail::CloudTrailEvent::parse(with_cfg.as_bytes()).unwrap();
    assert_eq!(
        field(&e, "ct.info").unwrap(),
        format!(
            "{user} via 1.2.3.4 \u{2192} PutBucketPublicAccessBlock BlockPublicAcls=true BlockPublicPolicy=true IgnorePublicAcls=false RestrictPublicBuckets=false "
        )
    );
    assert_eq!(
        field(
            &e,
            "json.value[/requestParameters/PublicAccessBlockConfiguration/RestrictPublicBuckets]"
        )
        .as_deref(),
        Some("false")
    );
}

#[test]
fn instance_name_from_tag_specifications() {
    let r = elastic("test-run-instances-json.log");
    let e = saker_cloudtrail::CloudTrailEvent::parse(r[0].as_bytes()).unwrap();
    // The tag key is "name" (lower case): keys are case-sensitive.
    assert_eq!(field(&e, "ec2.name"), None);
    assert_eq!(
        field(&e, "ec2.imageids").as_deref(),
        Some("(ami-00a4cd63f089232e0)")
    );
    let named = r[0]
        .replacen("\"key\": \"name\"", "\"key\": \"Name\"", 1)
        .replacen("\"key\":\"name\"", "\"key\":\"Name\"", 1);
    let e = saker_cloudtrail::CloudTrailEvent::parse(named.as_bytes()).unwrap();
    assert_eq!(
        field(&e, "ec2.name").as_deref(),
        Some("cloudtrail-event-test")
    );
    // A Name tag on a VPC is not an instance name.
    assert_eq!(f("f5e4b2d3-a4a2-4a78-b81f-9036f12b623e", "ec2.name"), None);
}

/// `json.value` pointers whose first token is an indexed top-level member
/// start from that member; on every real record they give what walking the
/// whole record gives.
#[test]
fn json_value_from_the_index_agrees_with_a_full_walk() {
    let pointers = [
        "/eventName",
        "eventTime",
        "/userIdentity",
        "/userIdentity/arn",
        "/userIdentity/sessionContext/attributes/mfaAuthenticated",
        "/requestParameters",
        "/requestParameters/ipPermissions/items/0/ipRanges/items/0/cidrIp",
        "/requestParameters/instancesSet/items/0/imageId",
        "/responseElements/_return",
        "/resources/0/ARN",
        "/additionalEventData/MFAUsed",
        "/readOnly",
        "/eventVersion",
        "/nope",
    ];
    let mut compared = 0;
    for raw in invictus() {
        let ev = saker_cloudtrail::CloudTrailEvent::parse(raw.as_bytes()).unwrap();
        for p in pointers {
            let full = saker_cloudtrail::fields::json_plugin::value(raw, p).map(|v| v.into_owned());
            assert_eq!(
                field(&ev, &format!("json.value[{p}]")),
                full,
                "{p} in {raw}"
            );
            compared += usize::from(full.is_some());
        }
    }
    assert!(compared > 10_000, "only {compared} values compared");
}
