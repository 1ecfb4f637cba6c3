//! Problems met while decoding, reported instead of stopping the run.

use std::fmt;

/// Where in an input a record (or a problem) is.
///
/// `offset` is a byte offset into the *decompressed* input; `record` is the
/// 0-based index of the record among the record candidates of the file (the
/// elements of `Records[]`, the lines of a JSON-lines file, …) when the
/// problem concerns one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The display name the caller gave (file path, `s3://bucket/key`, `-`).
    pub file: String,
    /// 0-based record index within the file, when known.
    pub record: Option<u64>,
    /// Byte offset in the decompressed input.
    pub offset: u64,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.record {
            Some(r) => write!(f, "{}: record {} (byte {})", self.file, r, self.offset),
            None => write!(f, "{}: byte {}", self.file, self.offset),
        }
    }
}

/// Why something was not evaluated. [`SkipReason::name`] is a stable short
/// name for counters and JSON reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// gzip stream corrupt or truncated (data inflated before the error is
    /// still decoded).
    Gzip,
    /// The decompressed size exceeds [`crate::DecodeOptions::max_decompressed_bytes`].
    TooLarge,
    /// The input (or an embedded message) is not JSON at all.
    NotJson,
    /// A JSON value was cut off at the end of the input.
    Truncated,
    /// A record candidate is not valid JSON.
    InvalidJson,
    /// A record contains bytes that are not UTF-8.
    InvalidUtf8,
    /// A record candidate is not a JSON object (e.g. a number inside `Records`).
    NotAnObject,
    /// `eventTime` missing (Falco skips such records too).
    MissingEventTime,
    /// `eventTime` is not an RFC 3339 string (Falco skips such records too).
    InvalidEventTime,
    /// A record exceeds [`crate::DecodeOptions::max_record_bytes`].
    RecordTooLarge,
    /// An EventBridge event that does not carry a CloudTrail record
    /// (`detail-type` not `… via CloudTrail`).
    NotCloudTrail,
}

impl SkipReason {
    /// Stable kebab-case name (`gzip`, `truncated`, `invalid-json`, …).
    pub fn name(self) -> &'static str {
        match self {
            SkipReason::Gzip => "gzip",
            SkipReason::TooLarge => "too-large",
            SkipReason::NotJson => "not-json",
            SkipReason::Truncated => "truncated",
            SkipReason::InvalidJson => "invalid-json",
            SkipReason::InvalidUtf8 => "invalid-utf8",
            SkipReason::NotAnObject => "not-an-object",
            SkipReason::MissingEventTime => "missing-event-time",
            SkipReason::InvalidEventTime => "invalid-event-time",
            SkipReason::RecordTooLarge => "record-too-large",
            SkipReason::NotCloudTrail => "not-cloudtrail",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One thing that was not evaluated, with where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skip {
    pub location: Location,
    pub reason: SkipReason,
    /// Human-readable detail (parser message, offending value, …).
    pub detail: String,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: skipped ({}): {}",
            self.location, self.reason, self.detail
        )
    }
}
