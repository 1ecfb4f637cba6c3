//! # saker-cloudtrail — CloudTrail records for the rule engine
//!
//! Container decoding (S3 delivery files, arrays, JSON lines, CloudWatch Logs
//! and EventBridge envelopes, gzip) and the `aws_cloudtrail` field table
//! (`ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*`, `json.*`, `evt.*`) with the
//! semantics of Falco's CloudTrail and json plugins
//! (`shared/reference/falco.md` §6).
//!
//! ```no_run
//! use saker_cloudtrail::{decode, CloudTrailFields, DecodeOptions, Item};
//! let bytes = std::fs::read("trail.json.gz").unwrap();
//! let mut n = 0;
//! decode(&bytes, "trail.json.gz", &DecodeOptions::default(), |item| match item {
//!     Item::Record(mut rec) => {
//!         n += 1;
//!         rec.event.set_num(n);
//!         // engine.evaluate(&rec.event) …
//!     }
//!     Item::Skip(skip) => eprintln!("{skip}"),
//!     Item::Digest(_) | Item::Insight { .. } => {}
//! });
//! ```
//!
//! Each record is validated once by `serde_json` (no DOM), its top-level
//! members indexed once, and every field read walks the original bytes
//! (see [`rawjson`]): strings without escapes are borrowed, marshal fields
//! are the original text minified.

mod container;
pub mod fields;
pub mod gzip;
pub mod rawjson;
pub mod record;
pub mod s3key;
mod skip;
mod topscan;

pub use container::{
    decode, format_byte_limit, DecodeOptions, DecodeSummary, Item, Record,
    DEFAULT_MAX_DECODED_BYTES, DEFAULT_MAX_RECORD_BYTES,
};
pub use fields::CloudTrailFields;
pub use record::{CloudTrailEvent, RecordError};
pub use skip::{Location, Skip, SkipReason};
