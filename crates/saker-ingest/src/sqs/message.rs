//! What an SQS message carries, from its body.
//!
//! Accepted shapes (AWS docs: "Event message structure" for S3
//! notifications, "Amazon SNS message and JSON formats", "Amazon EventBridge
//! events" and "CloudTrail events in EventBridge"):
//!
//! * an S3 event notification: `{"Records":[{"eventSource":"aws:s3","s3":{"bucket":{"name"},"object":{"key","eTag","size"}}}]}`
//!   — keys are URL-encoded (`+` for a space);
//! * the S3 test event `{"Service":"Amazon S3","Event":"s3:TestEvent",…}`;
//! * either of those wrapped by SNS: `{"Type":"Notification","Message":"<JSON text>"}`;
//! * an EventBridge S3 `Object Created` event: `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{"name"},"object":{"key","etag","size"}}}`;
//! * an EventBridge CloudTrail event (`detail-type` `AWS API Call via
//!   CloudTrail` and the other CloudTrail detail types): the record is
//!   `detail`, evaluated from the body itself.

use serde_json::Value;

use crate::s3::ObjectRef;

/// The content of one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageContent {
    /// S3 objects to download and evaluate (possibly none: e.g. a
    /// notification for a key that was then filtered).
    Objects(Vec<ObjectRef>),
    /// One CloudTrail record in an EventBridge envelope: the body is
    /// evaluated as is.
    CloudTrailEvent,
    /// A message that needs no work (the S3 test event sent when a
    /// notification is configured).
    Nothing(&'static str),
}

/// Why a body is not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    #[error("the body is not JSON: {0}")]
    NotJson(String),
    #[error("unknown message shape: {0}")]
    Unknown(String),
}

/// EventBridge detail types that carry one CloudTrail record.
const CLOUDTRAIL_DETAIL_TYPES: &[&str] = &[
    "AWS API Call via CloudTrail",
    "AWS Console Sign In via CloudTrail",
    "AWS Service Event via CloudTrail",
    "AWS Console Action via CloudTrail",
    "AWS Insight via CloudTrail",
];

/// Understand a message body.
///
/// # Errors
/// [`MessageError`] for a body that is not JSON or not one of the accepted
/// shapes, with a short description of what was found.
pub fn parse_message(body: &str) -> Result<MessageContent, MessageError> {
    let v: Value = serde_json::from_str(body).map_err(|e| MessageError::NotJson(e.to_string()))?;
    parse_value(&v, 0)
}

fn parse_value(v: &Value, depth: u8) -> Result<MessageContent, MessageError> {
    let Some(obj) = v.as_object() else {
        return Err(MessageError::Unknown(format!(
            "a JSON {} instead of an object",
            json_kind(v)
        )));
    };
    // SNS envelope.
    if obj.get("Type").and_then(Value::as_str) == Some("Notification") && depth == 0 {
        let Some(inner) = obj.get("Message").and_then(Value::as_str) else {
            return Err(MessageError::Unknown(
                "SNS notification without a Message string".into(),
            ));
        };
        let inner: Value = serde_json::from_str(inner)
            .map_err(|e| MessageError::NotJson(format!("SNS Message: {e}")))?;
        return parse_value(&inner, depth + 1);
    }
    // S3 test event.
    if obj.get("Event").and_then(Value::as_str) == Some("s3:TestEvent") {
        return Ok(MessageContent::Nothing("S3 test event"));
    }
    // S3 event notification.
    if let Some(records) = obj.get("Records").and_then(Value::as_array) {
        let mut objects = Vec::new();
        for (i, r) in records.iter().enumerate() {
            if r.get("eventSource").and_then(Value::as_str) != Some("aws:s3") {
                return Err(MessageError::Unknown(format!(
                    "Records[{i}] is not an S3 event (eventSource {})",
                    r.get("eventSource")
                        .map_or("missing".into(), |s| s.to_string())
                )));
            }
            let event = r.get("eventName").and_then(Value::as_str).unwrap_or("");
            if !event.starts_with("ObjectCreated:") {
                continue; // deletions, restores, …: nothing to read
            }
            let s3 = &r["s3"];
            let (Some(bucket), Some(key)) =
                (s3["bucket"]["name"].as_str(), s3["object"]["key"].as_str())
            else {
                return Err(MessageError::Unknown(format!(
                    "Records[{i}] has no s3.bucket.name or s3.object.key"
                )));
            };
            objects.push(ObjectRef {
                bucket: bucket.to_string(),
                key: url_decode_key(key),
                etag: s3["object"]["eTag"]
                    .as_str()
                    .map(quote_etag)
                    .unwrap_or_default(),
                size: s3["object"]["size"].as_u64().unwrap_or(0),
            });
        }
        return Ok(MessageContent::Objects(objects));
    }
    // EventBridge.
    if let Some(detail_type) = obj.get("detail-type").and_then(Value::as_str) {
        let detail = &v["detail"];
        if CLOUDTRAIL_DETAIL_TYPES.contains(&detail_type) {
            if detail.get("eventName").is_none() {
                return Err(MessageError::Unknown(format!(
                    "EventBridge '{detail_type}' event without detail.eventName"
                )));
            }
            return Ok(MessageContent::CloudTrailEvent);
        }
        if detail_type == "Object Created"
            && obj.get("source").and_then(Value::as_str) == Some("aws.s3")
        {
            let (Some(bucket), Some(key)) = (
                detail["bucket"]["name"].as_str(),
                detail["object"]["key"].as_str(),
            ) else {
                return Err(MessageError::Unknown(
                    "EventBridge Object Created event without detail.bucket.name or detail.object.key".into(),
                ));
            };
            return Ok(MessageContent::Objects(vec![ObjectRef {
                bucket: bucket.to_string(),
                key: key.to_string(),
                etag: detail["object"]["etag"]
                    .as_str()
                    .map(quote_etag)
                    .unwrap_or_default(),
                size: detail["object"]["size"].as_u64().unwrap_or(0),
            }]));
        }
        return Err(MessageError::Unknown(format!(
            "EventBridge event of detail-type '{detail_type}'"
        )));
    }
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).take(5).collect();
    keys.sort_unstable();
    Err(MessageError::Unknown(format!(
        "a JSON object with members {}",
        keys.join(", ")
    )))
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// S3 notifications carry ETags without quotes; listings and `GetObject`
/// with them. The store keeps the quoted form; an empty ETag stays empty
/// (unknown).
fn quote_etag(e: &str) -> String {
    if e.is_empty() || e.starts_with('"') {
        e.to_string()
    } else {
        format!("\"{e}\"")
    }
}

/// Keys in S3 event notifications are URL-encoded like HTML form values:
/// `+` is a space, `%XX` a byte.
pub fn url_decode_key(key: &str) -> String {
    let b = key.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AWSLogs/o-abc1234567/218007301253/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz";

    fn s3_notification(key: &str) -> String {
        serde_json::json!({"Records":[{
            "eventVersion":"2.1","eventSource":"aws:s3","awsRegion":"us-east-1",
            "eventTime":"2023-07-10T11:46:01.000Z","eventName":"ObjectCreated:Put",
            "s3":{"s3SchemaVersion":"1.0","bucket":{"name":"trail","arn":"arn:aws:s3:::trail"},
                  "object":{"key":key,"size":1234,"eTag":"0123abcd","sequencer":"00"}}}]})
        .to_string()
    }

    #[test]
    fn s3_notifications_direct_and_through_sns() {
        let direct = s3_notification(KEY);
        let want = MessageContent::Objects(vec![ObjectRef {
            bucket: "trail".into(),
            key: KEY.into(),
            etag: "\"0123abcd\"".into(),
            size: 1234,
        }]);
        assert_eq!(parse_message(&direct).unwrap(), want);
        let sns = serde_json::json!({"Type":"Notification","MessageId":"m","TopicArn":"arn:aws:sns:us-east-1:1:t","Message":direct}).to_string();
        assert_eq!(parse_message(&sns).unwrap(), want);
    }

    #[test]
    fn keys_are_url_decoded() {
        assert_eq!(url_decode_key("a+b%2Fc%3D%zz%"), "a b/c=%zz%");
        let m = parse_message(&s3_notification("my+trail/AWSLogs/x%281%29.json")).unwrap();
        let MessageContent::Objects(o) = m else {
            panic!()
        };
        assert_eq!(o[0].key, "my trail/AWSLogs/x(1).json");
    }

    #[test]
    fn eventbridge_and_test_events() {
        let ct =
            serde_json::json!({"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail",
            "source":"aws.ec2","detail":{"eventName":"RunInstances","eventID":"e"}})
            .to_string();
        assert_eq!(parse_message(&ct).unwrap(), MessageContent::CloudTrailEvent);
        let created =
            serde_json::json!({"version":"0","detail-type":"Object Created","source":"aws.s3",
            "detail":{"bucket":{"name":"trail"},"object":{"key":KEY,"size":5,"etag":"ab"}}})
            .to_string();
        let MessageContent::Objects(o) = parse_message(&created).unwrap() else {
            panic!()
        };
        assert_eq!((o[0].key.as_str(), o[0].etag.as_str()), (KEY, "\"ab\""));
        let test = r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Time":"2023-07-10T11:46:01.000Z","Bucket":"trail"}"#;
        assert!(matches!(
            parse_message(test).unwrap(),
            MessageContent::Nothing(_)
        ));
    }

    #[test]
    fn foreign_and_malformed_messages_are_errors() {
        assert!(matches!(
            parse_message("{not json"),
            Err(MessageError::NotJson(_))
        ));
        assert!(matches!(
            parse_message("[1]"),
            Err(MessageError::Unknown(_))
        ));
        // A CloudTrail delivery file is not a notification.
        let file = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json"
        ))
        .unwrap();
        let e = parse_message(&file).unwrap_err().to_string();
        assert!(e.contains("not an S3 event"), "{e}");
        let other =
            serde_json::json!({"detail-type":"EC2 Instance State-change Notification","detail":{}})
                .to_string();
        assert!(parse_message(&other)
            .unwrap_err()
            .to_string()
            .contains("EC2 Instance State-change"));
        let sns_bad = r#"{"Type":"Notification","Message":"{oops"}"#;
        assert!(matches!(
            parse_message(sns_bad),
            Err(MessageError::NotJson(_))
        ));
    }
}
