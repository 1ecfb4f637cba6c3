//! Bad input never stops decoding: every case is reported with a location
//! and a reason, and the rest is decoded. Inputs are built from a real
//! invictus record.

mod common;
use common::*;
use saker_cloudtrail::{CloudTrailEvent, DecodeOptions, SkipReason};
use std::io::Write;

/// A real record (compact JSON) from the invictus set.
fn real_record() -> String {
    let f = data("invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1215Z_YMDRJwtmC82bUwAo.json");
    decode_path(&f).records.into_iter().next().unwrap()
}

fn records_file(recs: &[String]) -> String {
    format!("{{\"Records\":[{}]}}", recs.join(","))
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn dec(bytes: &[u8]) -> Decoded {
    decode_bytes(bytes, "test", &DecodeOptions::default())
}

fn reasons(d: &Decoded) -> Vec<SkipReason> {
    d.skips.iter().map(|s| s.reason).collect()
}

#[test]
fn truncated_trailing_record_keeps_the_valid_ones() {
    let r = real_record();
    let file = records_file(&[r.clone(), r.clone(), r.clone()]);
    let cut = &file[..file.len() - r.len() / 2];
    let d = dec(cut.as_bytes());
    assert_eq!(d.records.len(), 2);
    assert_eq!(reasons(&d), vec![SkipReason::Truncated]);
    let loc = &d.skips[0].location;
    assert_eq!(loc.record, Some(2));
    assert_eq!(
        loc.offset as usize,
        "{\"Records\":[".len() + 2 * (r.len() + 1)
    );
}

#[test]
fn truncated_gzip_decodes_what_was_inflated() {
    let r = real_record();
    let recs: Vec<String> = (0..400).map(|_| r.clone()).collect();
    let z = gz(records_file(&recs).as_bytes());
    let d = dec(&z[..z.len() * 3 / 4]);
    assert!(
        d.records.len() > 100 && d.records.len() < 400,
        "{}",
        d.records.len()
    );
    let rs = reasons(&d);
    assert!(rs.contains(&SkipReason::Truncated), "{rs:?}");
    assert_eq!(*rs.last().unwrap(), SkipReason::Gzip);
}

#[test]
fn multi_member_gzip() {
    let r = real_record();
    let mut z = gz(format!("{r}\n").as_bytes());
    z.extend(gz(format!("{r}\n").as_bytes()));
    let d = dec(&z);
    assert_eq!(d.records.len(), 2);
    assert!(d.skips.is_empty());
}

#[test]
fn invalid_record_among_valid_ones() {
    let r = real_record();
    let broken = r.replacen("\"eventVersion\":", "\"eventVersion\" ", 1);
    let d = dec(records_file(&[r.clone(), broken, r.clone()]).as_bytes());
    assert_eq!(d.records.len(), 2);
    assert_eq!(reasons(&d), vec![SkipReason::InvalidJson]);
    assert_eq!(d.skips[0].location.record, Some(1));
}

#[test]
fn missing_and_invalid_event_time_are_skipped() {
    let r = real_record();
    let no_time = r.replacen("\"eventTime\"", "\"eventTimeX\"", 1);
    let bad_time = r.replacen("\"eventTime\":\"", "\"eventTime\":\"yesterday ", 1);
    let d = dec(records_file(&[no_time, bad_time, r]).as_bytes());
    assert_eq!(d.records.len(), 1);
    assert_eq!(
        reasons(&d),
        vec![SkipReason::MissingEventTime, SkipReason::InvalidEventTime]
    );
}

#[test]
fn missing_user_identity_and_event_name_are_evaluated() {
    let r = real_record();
    let ev = CloudTrailEvent::parse(r.as_bytes()).unwrap();
    let ui = ev.top(saker_cloudtrail::record::Key::UserIdentity).unwrap();
    let no_user = r.replacen(&format!("\"userIdentity\":{ui},"), "", 1);
    let no_name = r.replacen("\"eventName\"", "\"eventNameX\"", 1);
    let d = dec(records_file(&[no_user, no_name]).as_bytes());
    assert_eq!(d.records.len(), 2);
    assert!(d.skips.is_empty());
    let e0 = CloudTrailEvent::parse(d.records[0].as_bytes()).unwrap();
    assert_eq!(field(&e0, "ct.user"), None);
    assert_eq!(field(&e0, "ct.user.arn"), None);
    assert_eq!(
        field(&e0, "ct.info").as_deref(),
        Some("<invalid cloudtrail event: userIdentity field missing>")
    );
    let e1 = CloudTrailEvent::parse(d.records[1].as_bytes()).unwrap();
    assert_eq!(field(&e1, "ct.name"), None);
    assert_eq!(
        field(&e1, "evt.plugininfo").as_deref(),
        Some("<invalid JSON: event did not contain an eventName>")
    );
    use saker_rules::fields::Event;
    assert_eq!(e1.index_key(), None);
}

#[test]
fn request_parameters_null() {
    let r = real_record();
    let ev = CloudTrailEvent::parse(r.as_bytes()).unwrap();
    let rp = ev
        .top(saker_cloudtrail::record::Key::RequestParameters)
        .unwrap();
    let nulled = r.replacen(
        &format!("\"requestParameters\":{rp}"),
        "\"requestParameters\":null",
        1,
    );
    let d = dec(nulled.as_bytes());
    let e = CloudTrailEvent::parse(d.records[0].as_bytes()).unwrap();
    assert_eq!(field(&e, "ct.request").as_deref(), Some("null"));
    assert_eq!(field(&e, "s3.bucket"), None);
    assert_eq!(field(&e, "ec2.sg.cidrs"), None);
    assert_eq!(field(&e, "json.value[/requestParameters/x]"), None);
}

#[test]
fn multi_megabyte_record() {
    let r = real_record();
    let big = "A".repeat(5 << 20);
    let huge = r.replacen('{', &format!("{{\"someDummyField\":\"{big}\","), 1);
    let d = dec(records_file(&[huge.clone(), r.clone()]).as_bytes());
    assert_eq!(d.records.len(), 2);
    assert_eq!(d.records[0].len(), huge.len());
    let small = DecodeOptions {
        max_record_bytes: 1 << 20,
        ..Default::default()
    };
    let d = decode_bytes(records_file(&[huge, r]).as_bytes(), "t", &small);
    assert_eq!(d.records.len(), 1);
    assert_eq!(reasons(&d), vec![SkipReason::RecordTooLarge]);
}

#[test]
fn non_utf8_bytes_affect_one_record() {
    let r = real_record();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"{\"Records\":[");
    bytes.extend_from_slice(r.as_bytes());
    bytes.push(b',');
    let bad = r.replacen("\"userAgent\":\"", "\"userAgent\":\"\u{1}", 1);
    let mut badb = bad.into_bytes();
    let pos = badb.iter().position(|&b| b == 1).unwrap();
    badb[pos] = 0xff;
    bytes.extend_from_slice(&badb);
    bytes.push(b',');
    bytes.extend_from_slice(r.as_bytes());
    bytes.extend_from_slice(b"]}");
    let d = dec(&bytes);
    assert_eq!(d.records.len(), 2);
    assert_eq!(reasons(&d), vec![SkipReason::InvalidUtf8]);
    assert_eq!(d.skips[0].location.record, Some(1));
}

#[test]
fn json_lines_with_a_broken_line() {
    let r = real_record();
    let text = format!("{r}\n{}\n\nnot json at all\n{r}\n", &r[..r.len() - 1]);
    let d = dec(text.as_bytes());
    assert_eq!(d.records.len(), 2);
    assert_eq!(
        reasons(&d),
        vec![SkipReason::Truncated, SkipReason::NotJson]
    );
    assert_eq!(d.skips[1].location.record, Some(2));
}

#[test]
fn bare_array_single_object_and_empty_inputs() {
    let r = real_record();
    assert_eq!(dec(format!("[{r},{r}]").as_bytes()).records.len(), 2);
    assert_eq!(dec(r.as_bytes()).records.len(), 1);
    for empty in ["", "  \n", "[]", "{\"Records\":[]}"] {
        let d = dec(empty.as_bytes());
        assert!(d.records.is_empty() && d.skips.is_empty(), "{empty:?}");
    }
    let d = dec(b"[1, {\"a\":1}]");
    assert_eq!(
        reasons(&d),
        vec![SkipReason::NotAnObject, SkipReason::MissingEventTime]
    );
}

#[test]
fn cloudwatch_logs_envelope() {
    let r = real_record();
    let msg = serde_json::to_string(&r).unwrap();
    let env = format!(
        "{{\"messageType\":\"DATA_MESSAGE\",\"owner\":\"1\",\"logGroup\":\"g\",\"logStream\":\"s\",\"subscriptionFilters\":[\"f\"],\"logEvents\":[{{\"id\":\"1\",\"timestamp\":1,\"message\":{msg}}},{{\"id\":\"2\",\"timestamp\":1,\"message\":\"CWL hello\"}}]}}"
    );
    let d = dec(&gz(env.as_bytes()));
    assert_eq!(d.records, vec![r]);
    assert_eq!(reasons(&d), vec![SkipReason::NotJson]);
    let control = "{\"messageType\":\"CONTROL_MESSAGE\",\"logEvents\":[{\"id\":\"\",\"timestamp\":1,\"message\":\"CWL CONTROL MESSAGE\"}]}";
    let d = dec(control.as_bytes());
    assert!(d.records.is_empty() && d.skips.is_empty());
}

#[test]
fn eventbridge_events() {
    let r = real_record();
    let eb = |dt: &str| {
        format!("{{\"version\":\"0\",\"id\":\"x\",\"detail-type\":\"{dt}\",\"source\":\"aws.ec2\",\"account\":\"1\",\"time\":\"2023-07-10T12:07:57Z\",\"region\":\"us-east-1\",\"resources\":[],\"detail\":{r}}}")
    };
    let api = eb("AWS API Call via CloudTrail");
    let d = dec(format!("{api}\n{api}\n").as_bytes());
    assert_eq!(d.records, vec![r.clone(), r.clone()]);
    let d = dec(format!("[{api},{}]", eb("EC2 Instance State-change Notification")).as_bytes());
    assert_eq!(d.records.len(), 1);
    assert_eq!(reasons(&d), vec![SkipReason::NotCloudTrail]);
}

#[test]
fn digest_and_insight_are_counted_not_evaluated() {
    let digest = data("fixtures/elastic_integrations_cloudtrail_pipeline_tests/packages/aws/data_stream/cloudtrail/_dev/test/pipeline/test-cloudtrail-digest-json.log");
    let d = decode_path(&digest);
    assert_eq!((d.records.len(), d.digests), (0, 1));
    let insight = r#"{"Records":[{"eventVersion":"1.07","eventTime":"2023-07-10T12:00:00Z","awsRegion":"us-east-1","eventID":"i","eventType":"AwsCloudTrailInsight","recipientAccountId":"1","sharedEventID":"s","insightDetails":{"state":"Start"},"eventCategory":"Insight"}]}"#;
    let d = dec(insight.as_bytes());
    assert_eq!((d.records.len(), d.insights), (0, 1));
    let all = DecodeOptions {
        evaluate_insights: true,
        ..Default::default()
    };
    assert_eq!(decode_bytes(insight.as_bytes(), "t", &all).records.len(), 1);
}

#[test]
fn size_limit_on_decompression() {
    let r = real_record();
    let recs: Vec<String> = (0..50).map(|_| r.clone()).collect();
    let z = gz(records_file(&recs).as_bytes());
    let opts = DecodeOptions {
        max_decompressed_bytes: 10_000,
        ..Default::default()
    };
    let d = decode_bytes(&z, "t", &opts);
    assert!(d.records.len() < 50);
    assert_eq!(*reasons(&d).last().unwrap(), SkipReason::TooLarge);
}

/// A broken record in the middle of a `Records` array (an unterminated
/// string, a stray `}]`) costs that record only: decoding resumes at the
/// next record, and the bytes passed over are reported.
#[test]
fn a_broken_record_mid_array_does_not_lose_the_rest() {
    let r = real_record();
    let good: Vec<String> = (0..50).map(|_| r.clone()).collect();
    for broken in [
        r#"{"eventName":"oops, "x":1}"#.to_string(),
        format!("{}}}]", r),
        r#"{"eventTime":"2023-07-10T12:00:00Z","a":[1,{"b":"unterminated}]}"#.to_string(),
    ] {
        let mut recs = vec![r.clone(), broken.clone()];
        recs.extend(good.iter().cloned());
        let d = dec(records_file(&recs).as_bytes());
        assert!(
            d.records.len() >= 51,
            "{broken}: only {} records decoded",
            d.records.len()
        );
        assert!(!d.skips.is_empty(), "{broken}: nothing reported");
        assert!(
            d.skips.iter().all(|s| s.location.offset > 0),
            "{broken}: a skip without its byte offset"
        );
    }
}
