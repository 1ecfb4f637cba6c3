//! EBS checks: C4 (encryption by default, per region) and C11 (volumes are
//! encrypted).

use serde_json::json;

use super::{list_some, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};

/// C4 — `ec2_ebs_default_encryption`.
pub struct EbsDefaultEncryption;

/// C11 — `ec2_ebs_volume_encrypted`.
pub struct VolumeEncrypted;

static C4: CheckMeta = CheckMeta {
    id: "ec2_ebs_default_encryption",
    short_id: "C4",
    title: "EBS encryption by default is enabled in every region",
    severity: Severity::Medium,
    resource_type: "AwsAccount",
    rationale: "With encryption by default on, every new EBS volume and snapshot copy in the \
        region is encrypted whoever creates it; without it, encryption depends on each launch \
        remembering to ask. New opt-in regions start with it off.",
    remediation_cli: "aws ec2 enable-ebs-encryption-by-default --region <region>",
    remediation_console: "EC2 → (choose the region) → Settings → Data protection and security → \
        EBS encryption → Manage → Enable",
    api_fields: "GetEbsEncryptionByDefault → EbsEncryptionByDefault",
    needs: &["GetEbsEncryptionByDefault"],
};

static C11: CheckMeta = CheckMeta {
    id: "ec2_ebs_volume_encrypted",
    short_id: "C11",
    title: "EBS volumes are encrypted",
    severity: Severity::Medium,
    resource_type: "AwsEc2Volume",
    rationale: "An unencrypted volume's data, and every snapshot taken of it, is readable by \
        anyone who can attach or share it, and does not meet at-rest encryption requirements.",
    remediation_cli: "aws ec2 create-snapshot --volume-id <vol-id>; aws ec2 copy-snapshot \
        --source-snapshot-id <snap-id> --source-region <region> --encrypted [--kms-key-id <key>]; \
        aws ec2 create-volume --snapshot-id <encrypted-snap-id> --availability-zone <az>; then \
        swap the volumes (detach-volume / attach-volume)",
    remediation_console: "EC2 → Volumes → <volume> → Actions → Create snapshot; Snapshots → \
        Copy snapshot with Encryption on; Create volume from the copy; replace the volume on \
        its instance",
    api_fields: "DescribeVolumes → Volumes[].{VolumeId, Encrypted, KmsKeyId, State, \
        Attachments[].InstanceId}",
    needs: &["DescribeVolumes"],
};

impl Check for EbsDefaultEncryption {
    fn meta(&self) -> &'static CheckMeta {
        &C4
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(&on) = need(
            ctx,
            &C4,
            out,
            "GetEbsEncryptionByDefault",
            &ctx.region.ebs_encryption_by_default,
        ) else {
            return;
        };
        let (status, detail) = if on {
            (Status::Pass, "EBS encryption by default is enabled")
        } else {
            (Status::Fail, "EBS encryption by default is disabled")
        };
        out.push(with_evidence(
            ctx.finding(&C4, &ctx.region.region, status, detail),
            [("EbsEncryptionByDefault", json!(on))],
        ));
    }
}

impl Check for VolumeEncrypted {
    fn meta(&self) -> &'static CheckMeta {
        &C11
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(volumes) = need(ctx, &C11, out, "DescribeVolumes", &ctx.region.volumes) else {
            return;
        };
        for v in volumes
            .iter()
            .filter(|v| !matches!(v.state.as_str(), "deleting" | "deleted"))
        {
            let attached = if v.attached_instance_ids.is_empty() {
                format!("not attached ({})", v.state)
            } else {
                format!("attached to {}", list_some(&v.attached_instance_ids, 3))
            };
            let (status, detail) = if v.encrypted {
                (
                    Status::Pass,
                    format!(
                        "encrypted with {}; {attached}",
                        v.kms_key_id.as_deref().unwrap_or("the default EBS key")
                    ),
                )
            } else {
                (Status::Fail, format!("volume is not encrypted; {attached}"))
            };
            out.push(with_evidence(
                ctx.finding(&C11, &v.volume_id, status, detail),
                [
                    ("Encrypted", json!(v.encrypted)),
                    ("KmsKeyId", json!(v.kms_key_id)),
                    ("State", json!(v.state)),
                    ("Attachments[].InstanceId", json!(v.attached_instance_ids)),
                ],
            ));
        }
    }
}
