//! `ct.info` (plugin `getEvtInfo`) and `evt.plugininfo` (plugin `String()`).

use crate::rawjson::{self, Kind};
use crate::record::{CloudTrailEvent, Key};

/// `ct.info`: `"<user> via <ip> <!><rw> <name>"` (or `"<user> <!><rw>
/// <name>"` when user == ip), with `→` (U+2192) for `readOnly: false` and
/// `←` (U+2190) otherwise, then ` Size=<s3.bytes>` and the first of
/// ` URI=`, ` Bucket=`, ` Key=`, ` Host=`. Early `<invalid cloudtrail
/// event: …>` texts when `ct.user`, `ct.srcip` or `ct.name` is absent, as
/// in Falco.
///
/// `PutBucketPublicAccessBlock`: appends the four flags of
/// `requestParameters.PublicAccessBlockConfiguration` (with Falco's
/// trailing space). Falco's plugin reads the flags from the wrong object
/// and always prints `false`; saker prints the real values
/// (`docs/falco-compat.md`).
pub fn info(ev: &CloudTrailEvent<'_>) -> String {
    let Some(user) = super::user::user(ev) else {
        return "<invalid cloudtrail event: userIdentity field missing>".into();
    };
    let Some(ip) = ev.direct(Key::SourceIpAddress, &[]) else {
        return "<invalid cloudtrail event: eventSource field missing>".into();
    };
    let err = if ev.top(Key::ErrorCode).is_some() {
        "!"
    } else {
        ""
    };
    let rw = match ev.top(Key::ReadOnly) {
        Some(r) if r != "true" => "\u{2192}",
        _ => "\u{2190}",
    };
    let Some(name) = ev.direct(Key::EventName, &[]) else {
        return "<invalid cloudtrail event: eventName field missing>".into();
    };
    let mut info = if user == ip {
        format!("{user} {err}{rw} {name}")
    } else {
        format!("{user} via {ip} {err}{rw} {name}")
    };
    if name == "PutBucketPublicAccessBlock" {
        if let Some(cfg) = ev
            .at(Key::RequestParameters, &["PublicAccessBlockConfiguration"])
            .filter(|c| rawjson::kind(c) == Kind::Object)
        {
            let flag = |k: &str| rawjson::get(cfg, k) == Some("true");
            info.push_str(&format!(
                " BlockPublicAcls={} BlockPublicPolicy={} IgnorePublicAcls={} RestrictPublicBuckets={} ",
                flag("BlockPublicAcls"),
                flag("BlockPublicPolicy"),
                flag("IgnorePublicAcls"),
                flag("RestrictPublicBuckets"),
            ));
        }
        return info;
    }
    if let Some(n) = ev.s3_bytes() {
        info.push_str(&format!(" Size={n}"));
    }
    if let Some(uri) = ev.s3_uri() {
        info.push_str(" URI=");
        info.push_str(&uri);
    } else if let Some(b) = ev.direct(Key::RequestParameters, &["bucketName"]) {
        info.push_str(" Bucket=");
        info.push_str(&b);
    } else if let Some(k) = ev.direct(Key::RequestParameters, &["key"]) {
        info.push_str(" Key=");
        info.push_str(&k);
    } else if let Some(h) = ev.direct(Key::RequestParameters, &["Host"]) {
        info.push_str(" Host=");
        info.push_str(&h);
    }
    info
}

/// `evt.plugininfo`: `"<awsRegion>[ <ct.user>] <eventSource minus
/// .amazonaws.com> <eventName> <ct.info>"`; eventSource, awsRegion and
/// eventName must be strings, else Falco's error text.
pub fn plugin_info(ev: &CloudTrailEvent<'_>) -> String {
    let Some(src) = ev.string(Key::EventSource, &[]) else {
        return "<invalid JSON: event did not contain a source>".into();
    };
    let Some(region) = ev.string(Key::AwsRegion, &[]) else {
        return "<invalid JSON: event did not contain an awsRegion>".into();
    };
    let Some(name) = ev.string(Key::EventName, &[]) else {
        return "<invalid JSON: event did not contain an eventName>".into();
    };
    const SUFFIX: &str = ".amazonaws.com";
    let src = if src.len() > SUFFIX.len() && src.ends_with(SUFFIX) {
        &src[..src.len() - SUFFIX.len()]
    } else {
        &src[..]
    };
    let user = match super::user::user(ev) {
        Some(u) if !u.is_empty() => format!(" {u}"),
        _ => String::new(),
    };
    format!("{region}{user} {src} {name} {}", info(ev))
}
