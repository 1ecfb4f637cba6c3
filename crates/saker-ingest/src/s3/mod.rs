//! CloudTrail deliveries in S3: `s3://BUCKET[/PREFIX]`.
//!
//! * [`S3Url`]: the parsed location;
//! * [`layout`]: finding the per-account/region prefixes ("scopes") of the
//!   standard layouts by listing with a delimiter, so that accounts, regions,
//!   digest and Insights prefixes that are not wanted are never listed;
//! * [`list`]: listing one scope from a position (`start-after`);
//! * [`fetch`]: downloading objects concurrently into memory.
//!
//! Layout (AWS docs, "Finding your CloudTrail log files"):
//! `[PREFIX/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE`.

pub mod fetch;
pub mod layout;
pub mod list;

use std::fmt;

pub use fetch::{fetch_objects, FetchError, FetchOptions};
pub use layout::{discover_scopes, Scope, ScopeFilter};
pub use list::{list_scope, ListLimits};

/// A bucket and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Url {
    pub bucket: String,
    /// Key prefix, possibly empty; not normalised (`a/b` and `a/b/` differ
    /// in S3 listings).
    pub prefix: String,
}

impl S3Url {
    /// Parse `s3://BUCKET[/PREFIX]`; `None` if `s` is not an `s3://` URL
    /// with a bucket name.
    pub fn parse(s: &str) -> Option<S3Url> {
        let rest = s.strip_prefix("s3://")?;
        let (bucket, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        if bucket.is_empty() {
            return None;
        }
        Some(S3Url {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }

    /// `s3://bucket/key` of an object in this bucket.
    pub fn object_name(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.bucket)
    }
}

impl fmt::Display for S3Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.prefix)
    }
}

/// An object found by a listing or named by a notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectRef {
    pub bucket: String,
    pub key: String,
    /// ETag as S3 lists it (with its quotes); empty if unknown.
    pub etag: String,
    /// Size in bytes (0 if unknown).
    pub size: u64,
}

impl ObjectRef {
    /// `s3://bucket/key`.
    pub fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_urls() {
        assert_eq!(
            S3Url::parse("s3://trail/AWSLogs/o-1/"),
            Some(S3Url {
                bucket: "trail".into(),
                prefix: "AWSLogs/o-1/".into()
            })
        );
        assert_eq!(S3Url::parse("s3://trail").unwrap().prefix, "");
        assert_eq!(S3Url::parse("s3://trail/").unwrap().prefix, "");
        assert_eq!(S3Url::parse("s3:///x"), None);
        assert_eq!(S3Url::parse("/tmp/x"), None);
    }
}
