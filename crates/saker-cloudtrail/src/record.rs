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
        pub(crate) fn key_of(raw_key: &str) -> Option<Key> {
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

/// Top-level member spans as absolute (address, length) pairs, filled by
/// serde in the validating pass (address 0 = absent; first duplicate wins).
struct TopSpans<'de> {
    spans: [(usize, usize); KEY_COUNT],
    _input: std::marker::PhantomData<&'de ()>,
}

impl<'de> serde::Deserialize<'de> for TopSpans<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(TopVisitor(std::marker::PhantomData))
    }
}

struct TopVisitor<'de>(std::marker::PhantomData<&'de ()>);

impl<'de> serde::de::Visitor<'de> for TopVisitor<'de> {
    type Value = TopSpans<'de>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a CloudTrail record object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        let mut spans = [(0usize, 0usize); KEY_COUNT];
        while let Some(key) = m.next_key_seed(KeySeed)? {
            match key {
                Some(k) => {
                    let v: &'de serde_json::value::RawValue = m.next_value()?;
                    let slot = &mut spans[k as usize];
                    if slot.0 == 0 {
                        let t = v.get();
                        *slot = (t.as_ptr() as usize, t.len());
                    }
                }
                None => {
                    m.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        Ok(TopSpans {
            spans,
            _input: std::marker::PhantomData,
        })
    }
}

/// Map keys to [`Key`]s without allocating (escaped keys are compared
/// after unescaping).
struct KeySeed;

impl<'de> serde::de::DeserializeSeed<'de> for KeySeed {
    type Value = Option<Key>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl serde::de::Visitor<'_> for KeyVisitor {
    type Value = Option<Key>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a key")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(key_of(v))
    }
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
    /// The input ends inside the record.
    Truncated,
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
    /// Validate and index one record (the whole of `bytes`, surrounding
    /// whitespace allowed).
    ///
    /// # Errors
    /// Not UTF-8, not valid JSON, not an object, `eventTime` missing or not
    /// an RFC 3339 string (Falco skips those records too).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, RecordError> {
        let start = rawjson::skip_ws(bytes, 0);
        let rest = &bytes[start..];
        let (res, end) = match simdutf8::basic::from_utf8(rest) {
            Ok(text) => Self::parse_prefix_str(text),
            Err(_) => Self::parse_prefix(rest),
        };
        let ev = res?;
        let end = end.unwrap_or(0) + start;
        if rawjson::skip_ws(bytes, end) != bytes.len() {
            return Err(RecordError::InvalidJson(format!(
                "unexpected text after the record at byte {end}"
            )));
        }
        Ok(ev)
    }

    /// [`parse`](Self::parse) for text already known to be UTF-8.
    ///
    /// # Errors
    /// As [`parse`](Self::parse).
    pub fn parse_str(raw: &'a str) -> Result<Self, RecordError> {
        Self::parse(raw.as_bytes())
    }

    /// Parse the record that starts at `data[0]` and ends somewhere in
    /// `data`, in one `serde_json` pass that validates it and indexes its
    /// top-level members. Returns the result and, when it can be found, the
    /// end offset of the record (also on errors, so that the caller can
    /// continue after a bad record).
    pub fn parse_prefix(data: &'a [u8]) -> (Result<Self, RecordError>, Option<usize>) {
        Self::parse_prefix_in(data, None)
    }

    /// [`parse_prefix`](Self::parse_prefix) for text already validated as
    /// UTF-8 (e.g. a whole decoded file checked once with SIMD): serde then
    /// skips its per-string UTF-8 checks, which otherwise cost about a
    /// tenth of decoding.
    pub fn parse_prefix_str(text: &'a str) -> (Result<Self, RecordError>, Option<usize>) {
        Self::parse_prefix_in(text.as_bytes(), Some(text))
    }

    /// `data` is the input; `text` is the same input when known to be UTF-8.
    fn parse_prefix_in(
        data: &'a [u8],
        text: Option<&'a str>,
    ) -> (Result<Self, RecordError>, Option<usize>) {
        if data.first() != Some(&b'{') {
            let end = rawjson::skip_value(data, 0).ok();
            let err = if data.is_empty() {
                RecordError::Truncated
            } else {
                RecordError::NotAnObject
            };
            return (Err(err), end);
        }
        // Fast path first; whatever it declines gets the full serde parse.
        if let Some((t, scan)) = text.and_then(|t| Some((t, crate::topscan::scan::<KEY_COUNT>(t)?)))
        {
            let raw = &t[..scan.end];
            let mut idx = TopIndex {
                spans: [NONE; KEY_COUNT],
            };
            for (slot, span) in idx.spans.iter_mut().zip(scan.spans) {
                if let Some(span) = span {
                    *slot = span;
                }
            }
            return (Self::finish(raw, idx), Some(scan.end));
        }
        let (first, end) = match text {
            Some(t) => {
                let mut stream = serde_json::Deserializer::from_str(t).into_iter::<TopSpans<'a>>();
                (stream.next(), stream.byte_offset())
            }
            None => {
                let mut stream =
                    serde_json::Deserializer::from_slice(data).into_iter::<TopSpans<'a>>();
                (stream.next(), stream.byte_offset())
            }
        };
        let spans = match first {
            Some(Ok(s)) => s,
            Some(Err(e)) if e.is_eof() => return (Err(RecordError::Truncated), None),
            Some(Err(e)) => {
                let end = rawjson::skip_value(data, 0).ok();
                let bad_utf8 = end.is_some_and(|end| std::str::from_utf8(&data[..end]).is_err());
                let err = if bad_utf8 {
                    RecordError::InvalidUtf8(format!("record is not valid UTF-8 ({e})"))
                } else {
                    RecordError::InvalidJson(e.to_string())
                };
                return (Err(err), end);
            }
            None => return (Err(RecordError::Truncated), None),
        };
        // The record ends on `}`, a character boundary of `text`. Otherwise
        // SIMD validation for the common (valid) case; std only to describe
        // an error.
        let checked = match text.and_then(|t| t.get(..end)) {
            Some(r) => Ok(r),
            None => simdutf8::basic::from_utf8(&data[..end]),
        };
        let raw = match checked {
            Ok(r) => r,
            Err(_) => {
                let detail = std::str::from_utf8(&data[..end])
                    .err()
                    .map_or_else(|| "invalid UTF-8".to_string(), |e| e.to_string());
                return (Err(RecordError::InvalidUtf8(detail)), Some(end));
            }
        };
        let base = raw.as_ptr() as usize;
        let mut idx = TopIndex {
            spans: [NONE; KEY_COUNT],
        };
        for (slot, &(ptr, len)) in idx.spans.iter_mut().zip(spans.spans.iter()) {
            if ptr != 0 {
                let s = ptr - base;
                *slot = (s as u32, (s + len) as u32);
            }
        }
        (Self::finish(raw, idx), Some(end))
    }

    /// The event of a validated, indexed record: reads `eventTime`.
    fn finish(raw: &'a str, idx: TopIndex) -> Result<Self, RecordError> {
        let mut ev = CloudTrailEvent {
            raw,
            idx,
            ts: 0,
            num: 0,
            first_ts: 0,
        };
        let Some(t) = ev.top(Key::EventTime) else {
            return Err(RecordError::MissingEventTime);
        };
        match rawjson::as_str(t).and_then(|s| parse_rfc3339_ns(&s)) {
            Some(ts) => {
                ev.ts = ts;
                ev.first_ts = ts;
                Ok(ev)
            }
            None => Err(RecordError::InvalidEventTime(t.chars().take(80).collect())),
        }
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
    // CloudTrail's own form, `YYYY-MM-DDTHH:MM:SSZ`, read directly.
    if let Some(ns) = parse_plain_utc(b) {
        return Some(ns);
    }
    if b.get(10) != Some(&b'T') || b.get(17..19) == Some(b"60") || s.ends_with('z') {
        return None;
    }
    chrono::DateTime::parse_from_rfc3339(s)
        .ok()?
        .timestamp_nanos_opt()
}

/// `YYYY-MM-DDTHH:MM:SSZ` exactly (every CloudTrail `eventTime`), as ns
/// since the epoch; `None` for any other shape or an invalid date or time
/// (left to the full RFC 3339 parser, which reports it).
fn parse_plain_utc(b: &[u8]) -> Option<i64> {
    if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' || b[19] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let time = chrono::NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, num(17..19)?)?;
    date.and_time(time).and_utc().timestamp_nanos_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The direct reading of CloudTrail's form agrees with chrono's RFC
    /// 3339 parser, and declines what it does not cover.
    #[test]
    fn plain_utc_times() {
        for t in [
            "2023-07-10T11:40:05Z",
            "1970-01-01T00:00:00Z",
            "2000-02-29T23:59:59Z",
            "2262-04-11T23:47:16Z",
        ] {
            let want = chrono::DateTime::parse_from_rfc3339(t)
                .unwrap()
                .timestamp_nanos_opt();
            assert_eq!(parse_plain_utc(t.as_bytes()), want, "{t}");
            assert_eq!(parse_rfc3339_ns(t), want, "{t}");
        }
        for t in [
            "2023-02-29T00:00:00Z",
            "2023-13-01T00:00:00Z",
            "2023-07-10T24:00:00Z",
            "2023-07-10T11:40:60Z",
            "2023-07-10 11:40:05Z",
            "2023-07-10T11:40:05z",
            "2023-07-10T11:40:05.5Z",
            "+023-07-10T11:40:05Z",
            "2262-04-11T23:47:17Z",
        ] {
            assert_eq!(parse_plain_utc(t.as_bytes()), None, "{t}");
        }
        assert_eq!(
            parse_rfc3339_ns("2023-07-10T11:40:05.5Z"),
            Some(1_688_989_205_500_000_000)
        );
    }

    #[test]
    fn parse_indexes_first_duplicate() {
        let r = br#"{"eventTime":"2023-07-10T11:40:05Z","eventName":"A","eventName":"B","x":{"eventName":"C"}}"#;
        let e = CloudTrailEvent::parse(r).unwrap();
        assert_eq!(e.event_name().unwrap(), "A");
        assert_eq!(e.time_ns(), 1_688_989_205_000_000_000);
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            CloudTrailEvent::parse(b"{\"a\":").unwrap_err(),
            RecordError::Truncated
        );
        assert!(matches!(
            CloudTrailEvent::parse(b"{\"a\" 1}"),
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
