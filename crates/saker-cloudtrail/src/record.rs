//! One CloudTrail record: validated once, indexed once, read lazily.
//!
//! [`CloudTrailEvent::parse`] validates the record text with `serde_json`
//! (no DOM is built), then records where each well-known top-level member
//! starts and ends. Field reads walk the original text from there
//! ([`crate::rawjson`]), so strings without escapes are borrowed, and the
//! marshal fields reproduce the original bytes.

use crate::rawjson;
use std::borrow::Cow;

macro_rules! top_keys {
    ($($id:ident = $name:literal,)*) => {
        /// Top-level record members indexed at parse time.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(usize)]
        pub enum Key { $($id,)* }
        const KEY_COUNT: usize = [$($name,)*].len();
        #[inline]
        fn key_of(raw_key: &str) -> Option<Key> {
            match raw_key {
                $($name => Some(Key::$id),)*
                _ => None,
            }
        }
    };
}

top_keys! {
    EventId = "eventID",
    ErrorCode = "errorCode",
    ErrorMessage = "errorMessage",
    EventTime = "eventTime",
    EventSource = "eventSource",
    EventName = "eventName",
    UserIdentity = "userIdentity",
    AwsRegion = "awsRegion",
    SourceIpAddress = "sourceIPAddress",
    UserAgent = "userAgent",
    ManagementEvent = "managementEvent",
    ReadOnly = "readOnly",
    RequestId = "requestID",
    EventType = "eventType",
    ApiVersion = "apiVersion",
    Resources = "resources",
    RecipientAccountId = "recipientAccountId",
    ServiceEventDetails = "serviceEventDetails",
    SharedEventId = "sharedEventID",
    VpcEndpointId = "vpcEndpointId",
    EventCategory = "eventCategory",
    Addendum = "addendum",
    SessionCredentialFromConsole = "sessionCredentialFromConsole",
    EdgeDeviceDetails = "edgeDeviceDetails",
    TlsDetails = "tlsDetails",
    AdditionalEventData = "additionalEventData",
    RequestParameters = "requestParameters",
    ResponseElements = "responseElements",
}

/// Byte spans (relative to the record text) of the indexed members' values.
#[derive(Debug, Clone, Copy)]
struct TopIndex {
    spans: [(u32, u32); KEY_COUNT],
}

const NONE: (u32, u32) = (u32::MAX, 0);

/// Why a record candidate was not turned into an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    InvalidUtf8(String),
    InvalidJson(String),
    NotAnObject,
    MissingEventTime,
    InvalidEventTime(String),
}

/// One CloudTrail record as an event for the rule engine
/// (implements [`saker_rules::fields::Event`] in [`crate::fields`]).
///
/// Borrows the record text from the decoded buffer. `Clone` is cheap (the
/// index is a fixed array of spans).
#[derive(Debug, Clone)]
pub struct CloudTrailEvent<'a> {
    raw: &'a str,
    idx: TopIndex,
    ts: i64,
    num: u64,
    first_ts: i64,
}

impl<'a> CloudTrailEvent<'a> {
    /// Validate and index one record.
    ///
    /// # Errors
    /// Not UTF-8, not valid JSON, not an object, `eventTime` missing or not
    /// an RFC 3339 string (Falco skips those records too).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RecordError> {
        let raw =
            std::str::from_utf8(bytes).map_err(|e| RecordError::InvalidUtf8(e.to_string()))?;
        Self::parse_str(raw)
    }

    /// [`parse`](Self::parse) for text already known to be UTF-8.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_str(raw: &'a str) -> Result<Self, RecordError> {
        let raw = raw.trim_matches(|c| matches!(c, ' ' | '\n' | '\r' | '\t'));
        serde_json::from_str::<serde::de::IgnoredAny>(raw)
            .map_err(|e| RecordError::InvalidJson(e.to_string()))?;
        if rawjson::kind(raw) != rawjson::Kind::Object {
            return Err(RecordError::NotAnObject);
        }
        let mut idx = TopIndex {
            spans: [NONE; KEY_COUNT],
        };
        let base = raw.as_ptr() as usize;
        for (k, v) in rawjson::members(raw) {
            if let Some(key) = key_of(k) {
                let slot = &mut idx.spans[key as usize];
                if slot.0 == u32::MAX {
                    let start = v.as_ptr() as usize - base;
                    *slot = (start as u32, (start + v.len()) as u32);
                }
            }
        }
        let mut ev = CloudTrailEvent {
            raw,
            idx,
            ts: 0,
            num: 0,
            first_ts: 0,
        };
        let t = ev
            .top(Key::EventTime)
            .ok_or(RecordError::MissingEventTime)?;
        let ts = rawjson::as_str(t)
            .and_then(|s| parse_rfc3339_ns(&s))
            .ok_or_else(|| RecordError::InvalidEventTime(t.chars().take(80).collect()))?;
        ev.ts = ts;
        ev.first_ts = ts;
        Ok(ev)
    }

    /// The record's JSON text exactly as in the input (the Falco event
    /// payload, `json.obj` source, the alert's raw record).
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    /// `eventTime` in ns since the Unix epoch.
    pub fn time_ns(&self) -> i64 {
        self.ts
    }

    /// `evt.num`: the 1-based event counter (0 until the caller sets it).
    pub fn num(&self) -> u64 {
        self.num
    }

    /// Set `evt.num` (the caller numbers events across files, 1-based as
    /// Falco's inspector does).
    pub fn set_num(&mut self, num: u64) {
        self.num = num;
    }

    /// Set the timestamp of the first event of the run (ns), the origin of
    /// `evt.reltime*`. Defaults to this event's own time.
    pub fn set_first_time_ns(&mut self, ns: i64) {
        self.first_ts = ns;
    }

    pub(crate) fn first_time_ns(&self) -> i64 {
        self.first_ts
    }

    /// Raw value of an indexed top-level member.
    #[inline]
    pub fn top(&self, key: Key) -> Option<&'a str> {
        let (s, e) = self.idx.spans[key as usize];
        if s == u32::MAX {
            None
        } else {
            Some(&self.raw[s as usize..e as usize])
        }
    }

    /// Raw value at a path of object keys starting from a top-level member.
    #[inline]
    pub fn at(&self, key: Key, rest: &[&str]) -> Option<&'a str> {
        rawjson::path(self.top(key)?, rest)
    }

    /// ⟨d⟩ Falco direct string rule: absent if the path is missing, the
    /// unescaped string if a string, `""` for any other JSON value.
    #[inline]
    pub fn direct(&self, key: Key, rest: &[&str]) -> Option<Cow<'a, str>> {
        Some(string_or_empty(self.at(key, rest)?))
    }

    /// The unescaped string at a path, `None` if missing or not a string.
    #[inline]
    pub fn string(&self, key: Key, rest: &[&str]) -> Option<Cow<'a, str>> {
        rawjson::as_str(self.at(key, rest)?)
    }

    /// `eventID` (for de-duplication), if a string.
    pub fn event_id(&self) -> Option<Cow<'a, str>> {
        self.string(Key::EventId, &[])
    }

    /// `eventName`, if a string.
    pub fn event_name(&self) -> Option<Cow<'a, str>> {
        self.string(Key::EventName, &[])
    }

    /// `eventName` borrowed when it has no escapes (the rule index key).
    pub fn event_name_raw(&self) -> Option<&'a str> {
        let v = self.top(Key::EventName)?;
        let body = v.strip_prefix('"')?.strip_suffix('"')?;
        if body.contains('\\') {
            None
        } else {
            Some(body)
        }
    }
}

/// ⟨d⟩ string rule on a raw value.
#[inline]
pub fn string_or_empty(raw: &str) -> Cow<'_, str> {
    rawjson::as_str(raw).unwrap_or(Cow::Borrowed(""))
}

/// Parse an RFC 3339 timestamp (Go `time.RFC3339`, fractional seconds
/// allowed) to ns since the epoch.
///
/// As Go's parser, and unlike chrono's, only an upper-case `T` separates
/// date and time, the zone is `Z` or `±hh:mm` (no `z`) and a second of 60
/// is refused: Falco's plugin skips `2021-05-20 15:53:47Z`.
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.get(10) != Some(&b'T') || b.get(17..19) == Some(b"60") || s.ends_with('z') {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()?
        .timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_indexes_first_duplicate() {
        let r = br#"{"eventTime":"2023-07-10T11:40:05Z","eventName":"A","eventName":"B","x":{"eventName":"C"}}"#;
        let e = CloudTrailEvent::parse(r).unwrap();
        assert_eq!(e.event_name().unwrap(), "A");
        assert_eq!(e.time_ns(), 1_688_989_205_000_000_000);
    }

    #[test]
    fn parse_errors() {
        assert!(matches!(
            CloudTrailEvent::parse(b"{\"a\":"),
            Err(RecordError::InvalidJson(_))
        ));
        assert_eq!(
            CloudTrailEvent::parse(b"[1]").unwrap_err(),
            RecordError::NotAnObject
        );
        assert_eq!(
            CloudTrailEvent::parse(b"{}").unwrap_err(),
            RecordError::MissingEventTime
        );
        assert!(matches!(
            CloudTrailEvent::parse(br#"{"eventTime":12}"#),
            Err(RecordError::InvalidEventTime(_))
        ));
        assert!(matches!(
            CloudTrailEvent::parse(b"{\"eventTime\":\"\xff\"}"),
            Err(RecordError::InvalidUtf8(_))
        ));
    }
}
