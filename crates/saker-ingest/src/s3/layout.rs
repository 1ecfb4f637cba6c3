//! Finding the prefixes to list ("scopes") in the CloudTrail layouts.

use aws_sdk_s3::Client;

use super::S3Url;
use crate::aws::error_chain;

/// A key prefix listed as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub bucket: String,
    /// Ends with `/` unless it is the user's own prefix of an unknown layout.
    pub prefix: String,
    /// Account of a standard-layout region prefix.
    pub account: Option<String>,
    /// Region of a standard-layout region prefix.
    pub region: Option<String>,
    /// `true` for `…/CloudTrail/REGION/`: keys below are
    /// `YYYY/MM/DD/ACCOUNT_CloudTrail_REGION_STAMP_UNIQUE.json.gz`, so a time
    /// can be turned into a `start-after` key.
    pub dated: bool,
}

impl Scope {
    /// `s3://bucket/prefix`: the name of the scope's follow position.
    pub fn name(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.prefix)
    }
}

/// Which accounts, regions and record kinds are wanted.
#[derive(Debug, Clone, Default)]
pub struct ScopeFilter {
    /// Empty: all.
    pub accounts: Vec<String>,
    /// Empty: all.
    pub regions: Vec<String>,
    /// Also list `CloudTrail-Insight/` prefixes (skipped by default).
    pub include_insights: bool,
}

/// A prefix that could not be listed (access denied, throttled after the
/// SDK's retries, …); the other prefixes are still used.
#[derive(Debug, Clone, thiserror::Error)]
#[error("s3://{bucket}/{prefix}: {message}")]
pub struct ListError {
    pub bucket: String,
    pub prefix: String,
    pub message: String,
}

/// Where in the layout a prefix is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// `…/AWSLogs/`: organisation ids or accounts below.
    AwsLogs,
    /// `…/AWSLogs/o-ORG/`: accounts below.
    Org,
    /// `…/ACCOUNT/`: `CloudTrail/`, `CloudTrail-Digest/`, `CloudTrail-Insight/` below.
    Account,
    /// `…/ACCOUNT/CloudTrail/`: regions below.
    Kind,
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Find the scopes under `url`.
///
/// The prefix is taken as a directory (a `/` is added if missing). In the
/// standard layouts, only wanted accounts' `CloudTrail/` (and, if asked,
/// `CloudTrail-Insight/`) region prefixes are returned; digest prefixes are
/// never listed. A prefix that already names a region or a date is one
/// scope. A prefix without `AWSLogs/` below it is one non-dated scope: every
/// key under it is listed and judged by its name.
///
/// Returns the scopes in key order and the prefixes that could not be listed.
pub async fn discover_scopes(
    client: &Client,
    url: &S3Url,
    filter: &ScopeFilter,
) -> (Vec<Scope>, Vec<ListError>) {
    let mut prefix = url.prefix.clone();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let mut scopes = Vec::new();
    let mut errors = Vec::new();
    let segs: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    let start = match segs.iter().position(|s| *s == "AWSLogs") {
        None => {
            let aws_logs = format!("{prefix}AWSLogs/");
            match common_prefixes(client, &url.bucket, &prefix).await {
                Ok(cps) if cps.contains(&aws_logs) => Some((aws_logs, Stage::AwsLogs, None)),
                Ok(_) => None,
                Err(e) => {
                    errors.push(e);
                    return (scopes, errors);
                }
            }
        }
        Some(i) => stage_of(&segs[i + 1..], &prefix),
    };
    match start {
        Some((p, stage, account)) => {
            walk(
                client,
                &url.bucket,
                p,
                stage,
                account,
                filter,
                &mut scopes,
                &mut errors,
            )
            .await
        }
        None => {
            // Unknown layout, or already inside a region/date prefix.
            let (account, region) = region_of(&segs);
            scopes.push(Scope {
                bucket: url.bucket.clone(),
                prefix: prefix.clone(),
                dated: false,
                account,
                region,
            });
        }
    }
    (scopes, errors)
}

/// The stage of a prefix from its segments after `AWSLogs`; `None` when it
/// is at or below a region prefix.
fn stage_of(after: &[&str], prefix: &str) -> Option<(String, Stage, Option<String>)> {
    let mut rest = after;
    if rest.first().is_some_and(|s| s.starts_with("o-")) {
        rest = &rest[1..];
        if rest.is_empty() {
            return Some((prefix.to_string(), Stage::Org, None));
        }
    }
    match rest {
        [] => Some((prefix.to_string(), Stage::AwsLogs, None)),
        [acc] if is_account(acc) => {
            Some((prefix.to_string(), Stage::Account, Some(acc.to_string())))
        }
        [acc, _kind] if is_account(acc) => {
            Some((prefix.to_string(), Stage::Kind, Some(acc.to_string())))
        }
        _ => None,
    }
}

/// Account and region of a prefix at or below a region prefix.
fn region_of(segs: &[&str]) -> (Option<String>, Option<String>) {
    let Some(i) = segs.iter().position(|s| *s == "AWSLogs") else {
        return (None, None);
    };
    let mut rest = &segs[i + 1..];
    if rest.first().is_some_and(|s| s.starts_with("o-")) {
        rest = &rest[1..];
    }
    match rest {
        [acc, _kind, region, ..] if is_account(acc) => {
            (Some(acc.to_string()), Some(region.to_string()))
        }
        _ => (None, None),
    }
}

#[allow(clippy::too_many_arguments)]
async fn walk(
    client: &Client,
    bucket: &str,
    prefix: String,
    stage: Stage,
    account: Option<String>,
    filter: &ScopeFilter,
    scopes: &mut Vec<Scope>,
    errors: &mut Vec<ListError>,
) {
    // Iterative depth-first walk, in key order.
    let mut stack = vec![(prefix, stage, account)];
    while let Some((prefix, stage, account)) = stack.pop() {
        let cps = match common_prefixes(client, bucket, &prefix).await {
            Ok(cps) => cps,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut children = Vec::new();
        for cp in cps {
            let name = cp[prefix.len()..].trim_end_matches('/').to_string();
            match stage {
                Stage::AwsLogs if name.starts_with("o-") => {
                    children.push((cp, Stage::Org, None));
                }
                Stage::AwsLogs | Stage::Org
                    if is_account(&name)
                        && (filter.accounts.is_empty() || filter.accounts.contains(&name)) =>
                {
                    children.push((cp, Stage::Account, Some(name)));
                }
                Stage::Account
                    if name == "CloudTrail"
                        || (name == "CloudTrail-Insight" && filter.include_insights) =>
                {
                    children.push((cp, Stage::Kind, account.clone()));
                }
                Stage::Kind if filter.regions.is_empty() || filter.regions.contains(&name) => {
                    scopes.push(Scope {
                        bucket: bucket.to_string(),
                        prefix: cp,
                        account: account.clone(),
                        region: Some(name),
                        dated: true,
                    });
                }
                _ => {} // digests, other files beside the trail, unknown names
            }
        }
        stack.extend(children.into_iter().rev());
    }
}

/// Every common prefix directly under `prefix` (delimiter `/`), in key order.
async fn common_prefixes(
    client: &Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, ListError> {
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let resp = client
            .list_objects_v2()
            .bucket(bucket)
            .prefix(prefix)
            .delimiter("/")
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| ListError {
                bucket: bucket.to_string(),
                prefix: prefix.to_string(),
                message: error_chain(&e),
            })?;
        out.extend(
            resp.common_prefixes()
                .iter()
                .filter_map(|cp| cp.prefix().map(str::to_string)),
        );
        match resp.next_continuation_token() {
            Some(t) if resp.is_truncated() == Some(true) => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_from_user_prefixes() {
        let st = |p: &str| {
            let segs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
            let i = segs.iter().position(|s| *s == "AWSLogs").unwrap();
            stage_of(&segs[i + 1..], p).map(|(_, s, a)| (s, a))
        };
        assert_eq!(st("AWSLogs/"), Some((Stage::AwsLogs, None)));
        assert_eq!(st("x/AWSLogs/o-abc/"), Some((Stage::Org, None)));
        assert_eq!(
            st("AWSLogs/o-abc/218007301253/"),
            Some((Stage::Account, Some("218007301253".into())))
        );
        assert_eq!(
            st("AWSLogs/218007301253/CloudTrail/"),
            Some((Stage::Kind, Some("218007301253".into())))
        );
        assert_eq!(st("AWSLogs/218007301253/CloudTrail/us-east-1/"), None);
        assert_eq!(
            region_of(&[
                "AWSLogs",
                "o-a",
                "218007301253",
                "CloudTrail",
                "eu-west-1",
                "2023"
            ]),
            (Some("218007301253".into()), Some("eu-west-1".into()))
        );
    }
}
