//! The posture checks (`../shared/reference/posture.md` §4 and §6, C1–C16).
//!
//! A check is a pure function of one region's inventory (plus the account's
//! and the parameters): the full scan and the event-driven re-check run the
//! same code. Each check emits one finding per resource it applies to, PASS
//! or FAIL, or one `NOT_EVALUATED` finding per region when the API data it
//! needs was not collected.
//!
//! One module per resource family: [`sg`] (C1, C3), [`nacl`] (C2), [`ebs`]
//! (C4, C11), [`snapshot`] (C5), [`image`] (C6, C16), [`instance`] (C7, C8,
//! C13, C14), [`region`] (C9, C15), [`eip`] (C10), [`flowlogs`] (C12);
//! shared arithmetic in [`net`] (CIDRs, address sets, protocol/port
//! matching) and [`routes`] (public subnets).

pub mod ebs;
pub mod eip;
pub mod flowlogs;
pub mod image;
pub mod instance;
pub mod nacl;
pub mod net;
pub mod region;
pub mod routes;
pub mod sg;
pub mod snapshot;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::finding::{Finding, Severity, Status};
use crate::inventory::{AccountInventory, CollectError, RegionInventory};
use crate::params::Params;

/// What a check is, for reports: everything but the logic.
#[derive(Debug, Clone, Copy)]
pub struct CheckMeta {
    /// Stable id, snake_case: `ec2_sg_open_admin_ports`.
    pub id: &'static str,
    /// The reference's short name (`C1` … `C16`).
    pub short_id: &'static str,
    /// What must be true, as a sentence: "Security groups do not allow
    /// ingress from the internet to administration ports".
    pub title: &'static str,
    pub severity: Severity,
    /// The resource type of its findings (see [`Finding::resource_type`]).
    pub resource_type: &'static str,
    /// Why it matters, one or two sentences.
    pub rationale: &'static str,
    /// How to fix it with the AWS CLI (a command with placeholders).
    pub remediation_cli: &'static str,
    /// How to fix it in the console (menu path).
    pub remediation_console: &'static str,
    /// The API calls and fields the check reads, e.g.
    /// `DescribeSecurityGroups → IpPermissions[].{IpProtocol,FromPort,…}`.
    pub api_fields: &'static str,
    /// The API names (as in [`RegionInventory::errors`]) whose data the
    /// check needs; if one is missing the check is not evaluated.
    pub needs: &'static [&'static str],
}

/// The input of one check run: one region of one account.
pub struct CheckContext<'a> {
    pub account: &'a AccountInventory,
    pub region: &'a RegionInventory,
    pub params: &'a Params,
    /// "Now" for time-based checks (stopped for N days).
    pub now: DateTime<Utc>,
}

impl CheckContext<'_> {
    /// A finding of `meta` on `resource_id`, with the stable id filled in.
    pub fn finding(
        &self,
        meta: &CheckMeta,
        resource_id: &str,
        status: Status,
        detail: impl Into<String>,
    ) -> Finding {
        Finding {
            finding_id: Finding::id_for(
                meta.id,
                &self.account.account_id,
                &self.region.region,
                resource_id,
            ),
            check_id: meta.id.to_string(),
            status,
            severity: meta.severity,
            account_id: self.account.account_id.clone(),
            region: self.region.region.clone(),
            resource_id: resource_id.to_string(),
            resource_type: meta.resource_type.to_string(),
            detail: detail.into(),
            evidence: Default::default(),
            requirements: Default::default(),
            muted: None,
            changed_by: None,
        }
    }

    /// The `NOT_EVALUATED` finding for this region when data is missing;
    /// its resource is the region.
    pub fn not_evaluated(&self, meta: &CheckMeta, error: &CollectError) -> Finding {
        let mut f = self.finding(
            meta,
            &self.region.region,
            Status::NotEvaluated,
            format!("not evaluated: {error}"),
        );
        f.resource_type = "AwsAccount".into();
        f
    }
}

/// One posture check.
pub trait Check: Sync {
    fn meta(&self) -> &'static CheckMeta;
    /// Append this check's findings for `ctx`'s region to `out`.
    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>);
}

/// Every built-in check, in C1…C16 order.
pub fn all_checks() -> Vec<&'static dyn Check> {
    vec![
        &sg::SgOpenAdminPorts,
        &nacl::NaclOpenAdminPorts,
        &sg::SgDefaultRestrictsAll,
        &ebs::EbsDefaultEncryption,
        &snapshot::SnapshotPublic,
        &image::AmiPublic,
        &instance::InstancePublicIp,
        &instance::InstanceImdsv2Required,
        &region::SerialConsoleAccess,
        &eip::EipUnused,
        &ebs::VolumeEncrypted,
        &flowlogs::VpcFlowLogsEnabled,
        &instance::InstanceProfileAttached,
        &instance::InstanceStoppedTooLong,
        &region::RegionApproved,
        &image::InstanceImageApproved,
    ]
}

/// The check with id `id` (`ec2_sg_open_admin_ports`) or short id (`C1`).
pub fn check_by_id(id: &str) -> Option<&'static dyn Check> {
    all_checks()
        .into_iter()
        .find(|c| c.meta().id == id || c.meta().short_id.eq_ignore_ascii_case(id))
}

/// `data` when `api`'s data was collected in the context's region;
/// otherwise push the region's `NOT_EVALUATED` finding for `meta` and
/// return `None` (the caller then returns: one such finding per check per
/// region).
pub(crate) fn need<'a, T>(
    ctx: &CheckContext<'a>,
    meta: &CheckMeta,
    out: &mut Vec<Finding>,
    api: &str,
    data: &'a Option<T>,
) -> Option<&'a T> {
    match ctx.region.need(api, data) {
        Ok(v) => Some(v),
        Err(e) => {
            out.push(ctx.not_evaluated(meta, &e));
            None
        }
    }
}

/// Add API field values to a finding's evidence, by API field name.
pub(crate) fn with_evidence<'k>(
    mut f: Finding,
    fields: impl IntoIterator<Item = (&'k str, serde_json::Value)>,
) -> Finding {
    for (k, v) in fields {
        f.evidence.insert(k.to_string(), v);
    }
    f
}

/// Serialize an API value for [`Finding::evidence`].
pub(crate) fn ev<T: Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}

/// Up to `max` items joined with `, `, then `… (N more)`.
pub(crate) fn list_some<S: AsRef<str>>(items: &[S], max: usize) -> String {
    let mut s = items
        .iter()
        .take(max)
        .map(AsRef::as_ref)
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > max {
        s.push_str(&format!(", … ({} more)", items.len() - max));
    }
    s
}

/// Run `checks` over every region of every account in `inventory`.
pub fn run_checks(
    checks: &[&dyn Check],
    inventory: &crate::inventory::Inventory,
    params: &Params,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    for account in &inventory.accounts {
        for region in &account.regions {
            let ctx = CheckContext {
                account,
                region,
                params,
                now,
            };
            for check in checks {
                check.run(&ctx, &mut out);
            }
        }
    }
    out
}
