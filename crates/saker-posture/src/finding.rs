//! Findings: one check's verdict on one resource.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A check's verdict. Muting is separate ([`Finding::muted`]): a muted
/// finding keeps its status and is reported as `MUTED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Pass,
    Fail,
    /// The data the check needs was not collected (access denied,
    /// throttled, region disabled…): neither pass nor fail.
    NotEvaluated,
}

impl Status {
    /// `PASS`, `FAIL`, `NOT_EVALUATED`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::NotEvaluated => "NOT_EVALUATED",
        }
    }
}

/// Check severity, as in Security Hub and OCSF (`severity_id` 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// `Informational` … `Critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
            Severity::Critical => "Critical",
        }
    }

    /// OCSF `severity_id`: 1 Informational … 5 Critical.
    pub fn ocsf_id(self) -> u8 {
        self as u8 + 1
    }
}

/// Why a finding is muted: the mutelist entry that matched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mute {
    /// The mutelist entry's reason (required in the mutelist).
    pub reason: String,
    /// Where the entry is: `FILE:LINE`.
    pub entry: String,
}

/// The CloudTrail event that last changed a finding's resource (continuous
/// mode): who did what, when and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeEvent {
    pub event_id: String,
    pub event_name: String,
    /// RFC 3339.
    pub event_time: String,
    /// `userIdentity.arn` (or principal id when there is no ARN).
    pub actor: String,
    #[serde(default)]
    pub source_ip: Option<String>,
}

/// One check's verdict on one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// `saker-<check_id>-<account>-<region>-<resource_id>`: stable across
    /// runs, the key for diffs and upserts.
    pub finding_id: String,
    pub check_id: String,
    pub status: Status,
    pub severity: Severity,
    pub account_id: String,
    pub region: String,
    /// The resource's id (`sg-…`, `i-…`, `acl-…`), or the region name for
    /// account-level settings.
    pub resource_id: String,
    /// ASFF-style type: `AwsEc2SecurityGroup`, `AwsEc2Instance`,
    /// `AwsEc2NetworkAcl`, `AwsEc2Volume`, `AwsEc2Snapshot`, `AwsEc2Image`,
    /// `AwsEc2Eip`, `AwsEc2Vpc`, `AwsAccount` (region-level settings).
    pub resource_type: String,
    /// One sentence on why it passed or failed, naming the offending values
    /// (e.g. `tcp 0-65535 from 0.0.0.0/0 covers 22`).
    pub detail: String,
    /// The API fields the verdict rests on, by their API names
    /// (`IpPermissions`, `MetadataOptions.HttpTokens`, …).
    #[serde(default)]
    pub evidence: BTreeMap<String, serde_json::Value>,
    /// Framework requirement ids, by framework id (`cis-aws-5.0` →
    /// `["5.3"]`), filled in by the framework layer.
    #[serde(default)]
    pub requirements: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub muted: Option<Mute>,
    /// Continuous mode: the event that made this finding what it is.
    #[serde(default)]
    pub changed_by: Option<ChangeEvent>,
}

impl Finding {
    /// The stable id of (check, account, region, resource).
    pub fn id_for(check_id: &str, account_id: &str, region: &str, resource_id: &str) -> String {
        format!("saker-{check_id}-{account_id}-{region}-{resource_id}")
    }

    /// The status reported: `MUTED` when muted, else [`Status::as_str`].
    pub fn reported_status(&self) -> &'static str {
        if self.muted.is_some() {
            "MUTED"
        } else {
            self.status.as_str()
        }
    }
}
