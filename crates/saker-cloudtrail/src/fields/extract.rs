//! `Event::extract` for CloudTrail records: one `match` over [`Fid`].

use super::table::Fid;
use super::{ec2, evt, info, json_plugin, user};
use crate::rawjson::{self, Kind};
use crate::record::{CloudTrailEvent, Key};
use saker_rules::fields::{Event, FieldArg, ResolvedField, Value};
use std::borrow::Cow;

fn s(v: Cow<'_, str>) -> Value<'_> {
    Value::Str(v)
}

/// `"true"` for JSON `true`, `"false"` for anything else, absent if missing.
fn bool_text(raw: Option<&str>) -> Option<Value<'static>> {
    raw.map(|r| Value::Str(Cow::Borrowed(if r == "true" { "true" } else { "false" })))
}

impl<'a> CloudTrailEvent<'a> {
    /// `json.value[ptr]`: a first token naming an indexed top-level member
    /// starts from that member's span instead of scanning the record.
    fn json_value(&self, ptr: &str) -> Option<Cow<'a, str>> {
        let p = ptr.strip_prefix('/').unwrap_or(ptr);
        let (first, rest) = p.split_once('/').map_or((p, None), |(a, b)| (a, Some(b)));
        match (
            ptr.is_empty() || first.contains('~'),
            crate::record::key_of(first),
        ) {
            (false, Some(key)) => {
                json_plugin::walk(self.top(key)?, rest.into_iter().flat_map(|r| r.split('/')))
            }
            _ => json_plugin::value(self.raw(), ptr),
        }
    }

    /// ⟨m⟩ marshal rule: compact JSON of the original text.
    fn marshal(&self, key: Key) -> Option<Value<'a>> {
        Some(Value::Str(rawjson::minify(self.top(key)?)))
    }

    fn req(&self, name: &str) -> Option<Value<'a>> {
        self.direct(Key::RequestParameters, &[name]).map(s)
    }

    /// `ct.shortsrc`.
    pub(crate) fn short_src(&self) -> Option<Cow<'a, str>> {
        let src = self.direct(Key::EventSource, &[])?;
        const SUFFIX: &str = ".amazonaws.com";
        if src.len() > SUFFIX.len() && src.ends_with(SUFFIX) {
            Some(match src {
                Cow::Borrowed(b) => Cow::Borrowed(&b[..b.len() - SUFFIX.len()]),
                Cow::Owned(mut o) => {
                    o.truncate(o.len() - SUFFIX.len());
                    Cow::Owned(o)
                }
            })
        } else {
            Some(src)
        }
    }

    /// `s3.bytes.in` / `.out` raw values.
    fn s3_bytes_side(&self, name: &str) -> Option<u64> {
        self.at(Key::AdditionalEventData, &[name])
            .map(rawjson::number_as_u64)
    }

    /// `s3.bytes`: sum of both sides, present if either exists.
    pub(crate) fn s3_bytes(&self) -> Option<u64> {
        let i = self.s3_bytes_side("bytesTransferredIn");
        let o = self.s3_bytes_side("bytesTransferredOut");
        if i.is_none() && o.is_none() {
            None
        } else {
            Some(i.unwrap_or(0).wrapping_add(o.unwrap_or(0)))
        }
    }

    /// `s3.uri`: both bucketName and key must be strings.
    pub(crate) fn s3_uri(&self) -> Option<String> {
        let b = self.string(Key::RequestParameters, &["bucketName"])?;
        let k = self.string(Key::RequestParameters, &["key"])?;
        Some(format!("s3://{b}/{k}"))
    }

    fn event_name_is(&self, name: &str) -> bool {
        self.event_name().is_some_and(|n| n == name)
    }
}

impl Event for CloudTrailEvent<'_> {
    fn extract(&self, field: &ResolvedField) -> Option<Value<'_>> {
        let fid = Fid::from_id(field.id)?;
        use Fid::*;
        match fid {
            EvtNum => Some(Value::U64(self.num())),
            EvtTime | EvtTimeS | EvtTimeIso8601 | EvtDatetime | EvtDatetimeS => {
                Some(Value::Str(Cow::Owned(evt::time_text(fid, self.time_ns()))))
            }
            EvtRawtime => Some(Value::U64(self.time_ns() as u64)),
            EvtRawtimeS => Some(Value::U64(self.time_ns().div_euclid(1_000_000_000) as u64)),
            EvtRawtimeNs => Some(Value::U64(self.time_ns().rem_euclid(1_000_000_000) as u64)),
            EvtReltime | EvtReltimeS | EvtReltimeNs => {
                let d = self.time_ns().saturating_sub(self.first_time_ns()).max(0) as u64;
                Some(Value::U64(match fid {
                    EvtReltime => d,
                    EvtReltimeS => d / 1_000_000_000,
                    _ => d % 1_000_000_000,
                }))
            }
            EvtPluginname => Some(s(Cow::Borrowed("cloudtrail"))),
            EvtPlugininfo => Some(s(Cow::Owned(info::plugin_info(self)))),
            EvtSource => Some(s(Cow::Borrowed("aws_cloudtrail"))),
            EvtIsAsync => Some(Value::Bool(false)),
            EvtAsynctype => None,
            EvtHostname => Some(s(Cow::Borrowed(evt::hostname()))),

            CtId => self.direct(Key::EventId, &[]).map(s),
            CtError => self.direct(Key::ErrorCode, &[]).map(s),
            CtErrorMessage => self.direct(Key::ErrorMessage, &[]).map(s),
            CtTime => self.direct(Key::EventTime, &[]).map(s),
            CtSrc => self.direct(Key::EventSource, &[]).map(s),
            CtShortSrc => self.short_src().map(s),
            CtName => self.direct(Key::EventName, &[]).map(s),
            CtUser => user::user(self).map(s),
            CtOriginalUser => user::original_user(self).map(s),
            CtUserAccountId => self
                .direct(Key::UserIdentity, &["accountId"])
                .or_else(|| self.direct(Key::RecipientAccountId, &[]))
                .map(s),
            CtUserIdentityType => self.direct(Key::UserIdentity, &["type"]).map(s),
            CtUserPrincipalId => self.direct(Key::UserIdentity, &["principalId"]).map(s),
            CtUserArn => self.direct(Key::UserIdentity, &["arn"]).map(s),
            CtRegion => self.direct(Key::AwsRegion, &[]).map(s),
            CtSrcIp => self.direct(Key::SourceIpAddress, &[]).map(s),
            CtUserAgent => self.direct(Key::UserAgent, &[]).map(s),
            CtInfo => Some(s(Cow::Owned(info::info(self)))),
            CtManagementEvent => bool_text(self.top(Key::ManagementEvent)),
            CtReadOnly => bool_text(self.top(Key::ReadOnly)),
            CtRequestId => self.direct(Key::RequestId, &[]).map(s),
            CtEventType => self.direct(Key::EventType, &[]).map(s),
            CtApiVersion => self.direct(Key::ApiVersion, &[]).map(s),
            CtResources => {
                let raw = self.top(Key::Resources)?;
                if rawjson::kind(raw) != Kind::Array {
                    return None;
                }
                let mut out = String::new();
                for (i, e) in rawjson::elements(raw).enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    rawjson::minify_into(e, &mut out);
                }
                if out.is_empty() {
                    None
                } else {
                    Some(s(Cow::Owned(out)))
                }
            }
            CtRecipientAccountId => self.direct(Key::RecipientAccountId, &[]).map(s),
            CtServiceEventDetails => self.direct(Key::ServiceEventDetails, &[]).map(s),
            CtSharedEventId => self.direct(Key::SharedEventId, &[]).map(s),
            CtVpcEndpointId => self.direct(Key::VpcEndpointId, &[]).map(s),
            CtEventCategory => self.direct(Key::EventCategory, &[]).map(s),
            CtAddendumReason => self.direct(Key::Addendum, &["reason"]).map(s),
            CtAddendumUpdatedFields => self.direct(Key::Addendum, &["updatedFields"]).map(s),
            CtAddendumOriginalRequestId => {
                self.direct(Key::Addendum, &["originalRequestID"]).map(s)
            }
            CtAddendumOriginalEventId => self.direct(Key::Addendum, &["originalEventID"]).map(s),
            // Falco's plugin compares with JSON `true` only, but CloudTrail
            // writes the string "true": accept both (docs/falco-compat.md).
            CtSessionCredentialFromConsole => {
                self.top(Key::SessionCredentialFromConsole).map(|r| {
                    s(Cow::Borrowed(if r == "true" || r == "\"true\"" {
                        "true"
                    } else {
                        "false"
                    }))
                })
            }
            CtEdgeDeviceDetails => self.direct(Key::EdgeDeviceDetails, &[]).map(s),
            CtTlsVersion => self.direct(Key::TlsDetails, &["tlsVersion"]).map(s),
            CtTlsCipherSuite => self.direct(Key::TlsDetails, &["cipherSuite"]).map(s),
            CtTlsHostHeader => self
                .direct(Key::TlsDetails, &["clientProvidedHostHeader"])
                .map(s),
            CtAdditionalEventData => self.marshal(Key::AdditionalEventData),
            CtRequest => self.marshal(Key::RequestParameters),
            CtResponse => self.marshal(Key::ResponseElements),
            CtRequestAvailabilityZone => self.req("availabilityZone"),
            CtRequestCluster => self.req("cluster"),
            CtRequestFunctionName => self.req("functionName"),
            CtRequestGroupName => self.req("groupName"),
            CtRequestHost => self.req("Host"),
            CtRequestName => self.req("name"),
            CtRequestPolicy => self.req("policy"),
            CtRequestReason => self.req("reason"),
            CtRequestTarget => self.req("target"),
            // Never extracted by Falco's plugin (case typo): we extract it.
            CtRequestDocumentName => self.req("documentName"),
            CtRequestSerialNumber => self.req("serialNumber"),
            CtRequestServiceName => self.req("serviceName"),
            CtRequestSubnetId => self.req("subnetId"),
            CtRequestTaskDefinition => self.req("taskDefinition"),
            CtRequestUserName => self.req("userName"),
            CtResponseSubnetId => self.direct(Key::ResponseElements, &["subnetId"]).map(s),
            CtResponseReservationId => self
                .direct(Key::ResponseElements, &["reservationId"])
                .map(s),
            S3Bucket => self.req("bucketName"),
            S3Key => self.req("key"),
            S3Uri => self.s3_uri().map(|u| s(Cow::Owned(u))),
            S3Bytes => self.s3_bytes().map(Value::U64),
            S3BytesIn => self.s3_bytes_side("bytesTransferredIn").map(Value::U64),
            S3BytesOut => self.s3_bytes_side("bytesTransferredOut").map(Value::U64),
            S3CntGet => self.event_name_is("GetObject").then_some(Value::U64(1)),
            S3CntPut => self.event_name_is("PutObject").then_some(Value::U64(1)),
            S3CntOther => (!self.event_name_is("GetObject") && !self.event_name_is("PutObject"))
                .then_some(Value::U64(1)),
            Ec2Name => ec2::instance_name(self).map(s),
            Ec2ImageId => ec2::image_ids(self, Some(0))?.into_iter().next().map(s),
            Ec2ImageIds => {
                let idx = match &field.arg {
                    FieldArg::Index(i) => Some(*i),
                    _ => None,
                };
                let ids = ec2::image_ids(self, idx)?;
                Some(Value::List(ids.into_iter().map(s).collect()))
            }
            EcrRepository => self.req("repositoryName"),
            EcrImageTag => self.req("imageTag"),
            IamRole => self.req("roleName"),
            IamPolicy => self.req("policyName"),
            Ec2SgCidrs => ec2::sg_cidrs(self).map(|v| Value::List(v.into_iter().map(s).collect())),
            Ec2SgWorldPorts => ec2::sg_world_ports(self)
                .map(|v| Value::List(v.into_iter().map(Value::U64).collect())),
            Ec2SgWorldPortRanges => ec2::sg_world_port_ranges(self)
                .map(|v| Value::List(v.into_iter().map(|r| s(Cow::Owned(r))).collect())),
            Ec2SgPermissions => ec2::sg_permissions(self)
                .map(|v| Value::List(v.into_iter().map(|p| s(Cow::Owned(p))).collect())),
            Ec2SharedWith => {
                ec2::shared(self, "add").map(|v| Value::List(v.into_iter().map(s).collect()))
            }
            Ec2UnsharedFrom => {
                ec2::shared(self, "remove").map(|v| Value::List(v.into_iter().map(s).collect()))
            }
            JsonValue | JevtValue => match &field.arg {
                FieldArg::Key(k) => self.json_value(k).map(s),
                FieldArg::Index(i) => json_plugin::value(self.raw(), &i.to_string()).map(s),
                FieldArg::None => None,
            },
            JsonObj | JevtObj => Some(s(Cow::Owned(json_plugin::obj(self.raw())))),
            JsonRawtime | JevtRawtime => Some(s(Cow::Owned(self.time_ns().to_string()))),
        }
    }

    fn index_key(&self) -> Option<&str> {
        self.event_name_raw()
    }

    fn timestamp_ns(&self) -> i64 {
        self.time_ns()
    }
}
