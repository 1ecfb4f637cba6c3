//! Listing one scope, page by page, from a position.

use aws_sdk_s3::Client;

use super::layout::{ListError, Scope};
use super::ObjectRef;
use crate::aws::error_chain;

/// Time bounds turned into key bounds for dated scopes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListLimits {
    /// Start at this day's directory (seconds since the epoch, UTC).
    pub since_s: Option<i64>,
    /// Stop after this day's directory (seconds since the epoch, UTC; the
    /// caller adds any slack).
    pub until_s: Option<i64>,
}

/// `YYYY/MM/DD` of a time.
fn day_dir(s: i64) -> Option<String> {
    chrono::DateTime::from_timestamp(s, 0).map(|t| t.format("%Y/%m/%d").to_string())
}

/// The `start-after` key for a scope: the later of the follow position and
/// the start of `since`'s day, minus nothing else. `None`: from the start.
pub fn start_after(scope: &Scope, position: Option<&str>, limits: &ListLimits) -> Option<String> {
    let from_since = match (scope.dated, limits.since_s.and_then(day_dir)) {
        // "YYYY/MM/DD" sorts before every key of that day ("YYYY/MM/DD/…").
        (true, Some(day)) => Some(format!("{}{day}", scope.prefix)),
        _ => None,
    };
    match (from_since, position) {
        (Some(a), Some(b)) => Some(if a.as_str() > b { a } else { b.to_string() }),
        (a, b) => a.or(b.map(str::to_string)),
    }
}

/// A listing of one scope, one page (at most 1000 keys) at a time.
pub struct ScopeLister<'a> {
    client: &'a Client,
    scope: &'a Scope,
    start_after: Option<String>,
    until_day: Option<String>,
    token: Option<String>,
    done: bool,
}

impl<'a> ScopeLister<'a> {
    /// List `scope` after `start_after` (exclusive), stopping past
    /// `limits.until_s`'s day in dated scopes.
    pub fn new(
        client: &'a Client,
        scope: &'a Scope,
        start_after: Option<String>,
        limits: &ListLimits,
    ) -> Self {
        ScopeLister {
            client,
            scope,
            start_after,
            until_day: if scope.dated {
                limits.until_s.and_then(day_dir)
            } else {
                None
            },
            token: None,
            done: false,
        }
    }

    /// The next page of objects in key order; `Ok(None)` at the end.
    ///
    /// # Errors
    /// The listing failed after the SDK's retries (access denied, bucket
    /// missing, throttled, network).
    pub async fn next_page(&mut self) -> Result<Option<Vec<ObjectRef>>, ListError> {
        if self.done {
            return Ok(None);
        }
        let resp = self
            .client
            .list_objects_v2()
            .bucket(&self.scope.bucket)
            .prefix(&self.scope.prefix)
            .set_start_after(self.start_after.clone())
            .set_continuation_token(self.token.clone())
            .send()
            .await
            .map_err(|e| ListError {
                bucket: self.scope.bucket.clone(),
                prefix: self.scope.prefix.clone(),
                message: error_chain(&e),
            })?;
        match resp.next_continuation_token() {
            Some(t) if resp.is_truncated() == Some(true) => self.token = Some(t.to_string()),
            _ => self.done = true,
        }
        let mut out = Vec::with_capacity(resp.contents().len());
        for obj in resp.contents() {
            let Some(key) = obj.key() else { continue };
            if let Some(until) = &self.until_day {
                let rel = &key[self.scope.prefix.len().min(key.len())..];
                if rel.len() >= 10 && rel[..10] > *until.as_str() {
                    self.done = true;
                    break;
                }
            }
            out.push(ObjectRef {
                bucket: self.scope.bucket.clone(),
                key: key.to_string(),
                etag: obj.e_tag().unwrap_or_default().to_string(),
                size: obj.size().unwrap_or(0).max(0) as u64,
            });
        }
        Ok(Some(out))
    }
}

/// List a whole scope (convenience for small scopes and tests).
///
/// # Errors
/// As [`ScopeLister::next_page`].
pub async fn list_scope(
    client: &Client,
    scope: &Scope,
    start_after: Option<String>,
    limits: &ListLimits,
) -> Result<Vec<ObjectRef>, ListError> {
    let mut lister = ScopeLister::new(client, scope, start_after, limits);
    let mut all = Vec::new();
    while let Some(page) = lister.next_page().await? {
        all.extend(page);
    }
    Ok(all)
}

/// How far before the follow position a poll starts listing again, in
/// seconds (15 minutes).
///
/// CloudTrail names files by the end of their delivery window plus a random
/// suffix, and several files of one window may appear in any order; a file
/// whose name sorts before the last key seen can still appear after it was
/// listed. Listing again from a little earlier finds it; the state store
/// skips the objects already processed without downloading them.
pub const FOLLOW_LOOKBACK_S: i64 = 15 * 60;

/// The `start-after` key for a follow poll: [`FOLLOW_LOOKBACK_S`] before
/// the position's file stamp, in the position's own naming. For keys that
/// are not CloudTrail names, the position itself.
pub fn follow_start(scope: &Scope, position: &str) -> String {
    let Some(tk) = saker_cloudtrail::s3key::TrailKey::parse(position) else {
        return position.to_string();
    };
    if !scope.dated {
        return position.to_string();
    }
    let t = tk.stamp_s - FOLLOW_LOOKBACK_S;
    let Some(dt) = chrono::DateTime::from_timestamp(t, 0) else {
        return position.to_string();
    };
    let kind = match tk.kind {
        saker_cloudtrail::s3key::FileKind::Insight => "CloudTrail-Insight",
        _ => "CloudTrail",
    };
    let k = format!(
        "{}{}/{}_{kind}_{}_{}",
        scope.prefix,
        dt.format("%Y/%m/%d"),
        tk.account,
        tk.region,
        dt.format("%Y%m%dT%H%MZ")
    );
    if k.as_str() < position {
        k
    } else {
        position.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scope() -> Scope {
        Scope {
            bucket: "b".into(),
            prefix: "AWSLogs/o-abc/218007301253/CloudTrail/us-east-1/".into(),
            account: Some("218007301253".into()),
            region: Some("us-east-1".into()),
            dated: true,
        }
    }

    #[test]
    fn follow_polls_look_back_across_midnight() {
        let s = scope();
        let pos = format!(
            "{}2023/07/11/218007301253_CloudTrail_us-east-1_20230711T0005Z_x.json.gz",
            s.prefix
        );
        assert_eq!(
            follow_start(&s, &pos),
            format!(
                "{}2023/07/10/218007301253_CloudTrail_us-east-1_20230710T2350Z",
                s.prefix
            )
        );
        assert_eq!(follow_start(&s, "weird-key"), "weird-key");
    }

    #[test]
    fn since_becomes_a_day_directory() {
        let s = scope();
        let limits = ListLimits {
            since_s: Some(1_688_989_500), // 2023-07-10T11:45Z
            until_s: None,
        };
        let a = start_after(&s, None, &limits).unwrap();
        assert_eq!(a, format!("{}2023/07/10", s.prefix));
        let later = format!("{}2023/07/12/x", s.prefix);
        assert_eq!(start_after(&s, Some(&later), &limits).unwrap(), later);
        assert_eq!(start_after(&s, None, &ListLimits::default()), None);
    }
}
