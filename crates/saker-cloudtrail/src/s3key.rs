//! The S3 key layout of CloudTrail deliveries, and a filter that rejects
//! files by name before they are read.
//!
//! Layout (AWS docs, "Finding your CloudTrail log files"):
//!
//! ```text
//! [prefix/]AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
//!                                   CloudTrail-Digest/…/ACCOUNT_CloudTrail-Digest_REGION_…_YYYYMMDDTHHMMSSZ.json.gz
//!                                   CloudTrail-Insight/…/ACCOUNT_CloudTrail-Insight_REGION_YYYYMMDDTHHMMZ_UNIQUE.json.gz
//! ```
//!
//! Only the file name is needed; the directories are used when present to
//! find the organisation id. Local copies (`aws s3 sync`) keep the names.

use std::fmt;

/// What a delivery file holds, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `CloudTrail`: event records.
    Events,
    /// `CloudTrail-Digest`: integrity digests (no events).
    Digest,
    /// `CloudTrail-Insight`: Insights records.
    Insight,
}

/// The parts of a CloudTrail delivery key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrailKey {
    /// The organisation id (`o-…`) of an organisation trail, if in the path.
    pub org_id: Option<String>,
    /// 12-digit account id (from the file name).
    pub account: String,
    pub region: String,
    pub kind: FileKind,
    /// The file stamp `YYYYMMDDTHHMM[SS]` as seconds since the epoch (UTC):
    /// the END of the delivery window for event files.
    pub stamp_s: i64,
}

impl fmt::Display for TrailKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {:?} @{}",
            self.account, self.region, self.kind, self.stamp_s
        )
    }
}

impl TrailKey {
    /// Parse a key or path; `None` if the file name does not follow the
    /// CloudTrail naming (`ACCOUNT_CloudTrail[-Digest|-Insight]_REGION_STAMP…`).
    pub fn parse(key: &str) -> Option<TrailKey> {
        let key = key.trim_end_matches('/');
        let (dir, file) = match key.rfind(['/', '\\']) {
            Some(i) => (&key[..i], &key[i + 1..]),
            None => ("", key),
        };
        let mut parts = file.split('_');
        let account = parts.next()?;
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let kind = match parts.next()? {
            "CloudTrail" => FileKind::Events,
            "CloudTrail-Digest" => FileKind::Digest,
            "CloudTrail-Insight" => FileKind::Insight,
            _ => return None,
        };
        let region = parts.next()?;
        if region.is_empty() {
            return None;
        }
        // Event/Insight: `…_REGION_STAMP_UNIQUE.json.gz`; digest:
        // `…_REGION_TRAIL_HOMEREGION_STAMP.json.gz`: the first part that is a stamp.
        let stamp_s = parts.find_map(|p| parse_stamp(p.split('.').next()?))?;
        let org_id = dir
            .split(['/', '\\'])
            .find(|s| s.starts_with("o-") && s.len() > 2)
            .map(str::to_string);
        Some(TrailKey {
            org_id,
            account: account.to_string(),
            region: region.to_string(),
            kind,
            stamp_s,
        })
    }
}

/// `YYYYMMDDTHHMMZ` or `YYYYMMDDTHHMMSSZ` → seconds since the epoch.
fn parse_stamp(s: &str) -> Option<i64> {
    let s = s.strip_suffix('Z')?;
    let full = match s.len() {
        13 => format!("{s}00"),
        15 => s.to_string(),
        _ => return None,
    };
    let t = chrono::NaiveDateTime::parse_from_str(&full, "%Y%m%dT%H%M%S").ok()?;
    Some(t.and_utc().timestamp())
}

/// Rejects delivery files by name before they are read.
///
/// A file whose name is not a CloudTrail delivery name is always accepted
/// (its records are filtered by time later, if at all).
///
/// **Time slack.** A file's stamp is the *end* of its delivery window
/// (~5 minutes), but records inside may be older: CloudTrail delivers an
/// event "within about 5 minutes" on average and late events (service
/// events, retries) land in later files. So a file is kept when its stamp is
/// in `[since, until + SLACK]` with [`FileFilter::SLACK_S`] = 1 hour; a file
/// stamped before `since` is rejected, since it cannot hold later events.
/// The caller still filters each record by `eventTime`.
#[derive(Debug, Clone, Default)]
pub struct FileFilter {
    /// Keep files that may hold events at or after this time (s since epoch).
    pub since_s: Option<i64>,
    /// Keep files that may hold events at or before this time (s since epoch).
    pub until_s: Option<i64>,
    /// Keep only these accounts (empty: all).
    pub accounts: Vec<String>,
    /// Keep only these regions (empty: all).
    pub regions: Vec<String>,
    /// Keep digest files (default false: they hold no events).
    pub keep_digests: bool,
}

impl FileFilter {
    /// Slack after `until`, in seconds (1 hour).
    pub const SLACK_S: i64 = 3600;

    /// `true` if the file named `key` may hold wanted events.
    pub fn accepts(&self, key: &str) -> bool {
        let Some(k) = TrailKey::parse(key) else {
            return true;
        };
        if k.kind == FileKind::Digest && !self.keep_digests {
            return false;
        }
        if !self.accounts.is_empty() && !self.accounts.contains(&k.account) {
            return false;
        }
        if !self.regions.is_empty() && !self.regions.contains(&k.region) {
            return false;
        }
        if self.since_s.is_some_and(|s| k.stamp_s < s) {
            return false;
        }
        if self
            .until_s
            .is_some_and(|u| k.stamp_s > u.saturating_add(Self::SLACK_S))
        {
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AWSLogs/o-abc1234567/218007301253/CloudTrail/us-east-1/2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json.gz";

    #[test]
    fn parses_event_digest_and_insight_keys() {
        let k = TrailKey::parse(KEY).unwrap();
        assert_eq!(k.account, "218007301253");
        assert_eq!(k.region, "us-east-1");
        assert_eq!(k.kind, FileKind::Events);
        assert_eq!(k.org_id.as_deref(), Some("o-abc1234567"));
        assert_eq!(k.stamp_s, 1_688_989_500);
        let d = TrailKey::parse(
            "AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/01/02/111122223333_CloudTrail-Digest_eu-west-1_trail_us-east-1_20240102T030405Z.json.gz",
        );
        let d = d.unwrap();
        assert_eq!(
            (d.kind, d.region.as_str(), d.stamp_s),
            (FileKind::Digest, "eu-west-1", 1_704_164_645)
        );
        let i =
            TrailKey::parse("111122223333_CloudTrail-Insight_eu-west-1_20240102T0305Z_abc.json.gz")
                .unwrap();
        assert_eq!(i.kind, FileKind::Insight);
        assert!(TrailKey::parse("foo.json").is_none());
        assert!(TrailKey::parse("12345_CloudTrail_us-east-1_20230710T1145Z_x.json").is_none());
    }

    #[test]
    fn filter_is_conservative() {
        let t = 1_688_989_500; // 2023-07-10T11:45Z
        let f = FileFilter {
            since_s: Some(t - 60),
            until_s: Some(t - 1800),
            ..Default::default()
        };
        assert!(f.accepts(KEY), "stamped within the hour after until");
        let f = FileFilter {
            since_s: Some(t + 1),
            ..Default::default()
        };
        assert!(!f.accepts(KEY));
        let f = FileFilter {
            until_s: Some(t - 3601),
            ..Default::default()
        };
        assert!(!f.accepts(KEY));
        let f = FileFilter {
            accounts: vec!["123456789012".into()],
            ..Default::default()
        };
        assert!(!f.accepts(KEY));
        let f = FileFilter {
            regions: vec!["us-east-1".into()],
            ..Default::default()
        };
        assert!(f.accepts(KEY));
        assert!(f.accepts("not-a-trail-file.json"));
    }
}
