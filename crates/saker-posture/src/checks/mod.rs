//! The posture checks (`../shared/reference/posture.md` §4 and §6, C1–C16).
//!
//! A check is a pure function of one region's inventory (plus the account's
//! and the parameters): the full scan and the event-driven re-check run the
//! same code. Each check emits one finding per resource it applies to, PASS
//! or FAIL, or one `NOT_EVALUATED` finding per region when the API data it
//! needs was not collected.

use chrono::{DateTime, Utc};

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
    Vec::new()
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
