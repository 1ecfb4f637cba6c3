//! C5 — EBS snapshots are not public.
//!
//! A snapshot is public when `CreateVolumePermissions[]` holds
//! `Group = all` (anyone can create a volume from it). The region's
//! snapshot block public access state decides whether that grant still
//! works: `block-all-sharing` makes existing public snapshots private (they
//! pass, with a note); `block-new-sharing` only stops new grants, so
//! existing public snapshots stay public. Sharing with named accounts
//! (`UserId`) is not public; the detail names the accounts.

use serde_json::json;

use super::{list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};

/// C5 — `ec2_ebs_snapshot_public`.
pub struct SnapshotPublic;

static C5: CheckMeta = CheckMeta {
    id: "ec2_ebs_snapshot_public",
    short_id: "C5",
    title: "EBS snapshots are not publicly restorable",
    severity: Severity::Critical,
    resource_type: "AwsEc2Snapshot",
    rationale: "Anyone in any AWS account can create a volume from a public snapshot and read \
        the disk: credentials, keys, databases. Public snapshots are searched for continuously.",
    remediation_cli: "aws ec2 modify-snapshot-attribute --snapshot-id <snap-id> \
        --attribute createVolumePermission --operation-type remove --group-names all; \
        aws ec2 enable-snapshot-block-public-access --state block-all-sharing",
    remediation_console: "EC2 → Snapshots → <snapshot> → Actions → Snapshot settings → Modify \
        permissions → Private; EC2 → Settings → Data protection and security → Block public \
        access for EBS snapshots → Block all public sharing",
    api_fields: "DescribeSnapshots(OwnerIds=self) → Snapshots[].{SnapshotId, Encrypted, State}; \
        DescribeSnapshotAttribute(createVolumePermission) → CreateVolumePermissions[].{Group, \
        UserId}; GetSnapshotBlockPublicAccessState → State",
    needs: &["DescribeSnapshots"],
};

impl Check for SnapshotPublic {
    fn meta(&self) -> &'static CheckMeta {
        &C5
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(snapshots) = need(ctx, &C5, out, "DescribeSnapshots", &ctx.region.snapshots)
        else {
            return;
        };
        let bpa = ctx.region.snapshot_block_public_access.as_deref();
        for s in snapshots {
            let public = s.create_volume_permission_groups.iter().any(|g| g == "all");
            let shared = if s.create_volume_permission_user_ids.is_empty() {
                String::new()
            } else {
                format!(
                    "; shared with account(s) {}",
                    list_some(&s.create_volume_permission_user_ids, 5)
                )
            };
            let (status, detail) = match (public, bpa) {
                (true, Some("block-all-sharing")) => (
                    Status::Pass,
                    format!(
                        "CreateVolumePermissions grants Group=all, but block public access \
                         (block-all-sharing) keeps the snapshot private{shared}"
                    ),
                ),
                (true, _) => (
                    Status::Fail,
                    format!(
                        "snapshot is public: CreateVolumePermissions grants Group=all{}{shared}",
                        bpa.map(|b| format!(" (block public access: {b})"))
                            .unwrap_or_default()
                    ),
                ),
                (false, _) => (Status::Pass, format!("snapshot is not public{shared}")),
            };
            let mut f = with_evidence(
                ctx.finding(&C5, &s.snapshot_id, status, detail),
                [
                    (
                        "CreateVolumePermissions[].Group",
                        json!(s.create_volume_permission_groups),
                    ),
                    (
                        "CreateVolumePermissions[].UserId",
                        json!(s.create_volume_permission_user_ids),
                    ),
                    ("Encrypted", json!(s.encrypted)),
                ],
            );
            if let Some(b) = bpa {
                f.evidence
                    .insert("SnapshotBlockPublicAccessState".into(), json!(b));
            }
            out.push(f);
        }
    }
}
