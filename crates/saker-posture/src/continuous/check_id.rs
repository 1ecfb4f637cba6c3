//! The ids of the sixteen core checks (`../shared/reference/posture.md`
//! §6, C1–C16), as the continuous path names the checks to re-run.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the sixteen core checks. Serialized as its stable snake_case id
/// (`ec2_sg_open_admin_ports`), the same string as
/// [`CheckMeta::id`](crate::checks::CheckMeta::id) and
/// [`Finding::check_id`](crate::finding::Finding::check_id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum CheckId {
    /// C1: security group ingress from the internet to admin ports.
    #[serde(rename = "ec2_sg_open_admin_ports")]
    SgOpenAdminPorts,
    /// C2: network ACL ingress from the internet to admin ports.
    #[serde(rename = "ec2_nacl_open_admin_ports")]
    NaclOpenAdminPorts,
    /// C3: the default security group has no rules.
    #[serde(rename = "ec2_sg_default_restricts_all")]
    SgDefaultRestrictsAll,
    /// C4: EBS encryption by default (per region).
    #[serde(rename = "ec2_ebs_default_encryption")]
    EbsDefaultEncryption,
    /// C5: public snapshots; snapshot block public access.
    #[serde(rename = "ec2_ebs_snapshot_public")]
    EbsSnapshotPublic,
    /// C6: public images; image block public access.
    #[serde(rename = "ec2_ami_public")]
    AmiPublic,
    /// C7: instances with a public IP.
    #[serde(rename = "ec2_instance_public_ip")]
    InstancePublicIp,
    /// C8: IMDSv2 required (instances, launch templates, account default).
    #[serde(rename = "ec2_instance_imdsv2_required")]
    InstanceImdsv2Required,
    /// C9: serial console access off (per region).
    #[serde(rename = "ec2_serial_console_access")]
    SerialConsoleAccess,
    /// C10: Elastic IPs not associated.
    #[serde(rename = "ec2_eip_unused")]
    EipUnused,
    /// C11: EBS volumes encrypted.
    #[serde(rename = "ec2_ebs_volume_encrypted")]
    EbsVolumeEncrypted,
    /// C12: VPC flow logs enabled.
    #[serde(rename = "vpc_flow_logs_enabled")]
    VpcFlowLogsEnabled,
    /// C13: instances have an instance profile (with a role).
    #[serde(rename = "ec2_instance_profile_attached")]
    InstanceProfileAttached,
    /// C14: instances stopped for too long.
    #[serde(rename = "ec2_instance_stopped_too_long")]
    InstanceStoppedTooLong,
    /// C15: EC2 resources only in approved regions.
    #[serde(rename = "ec2_region_approved")]
    RegionApproved,
    /// C16: instances launched from approved images.
    #[serde(rename = "ec2_instance_image_approved")]
    InstanceImageApproved,
}

impl CheckId {
    /// Every check, C1 … C16.
    pub const ALL: [CheckId; 16] = [
        CheckId::SgOpenAdminPorts,
        CheckId::NaclOpenAdminPorts,
        CheckId::SgDefaultRestrictsAll,
        CheckId::EbsDefaultEncryption,
        CheckId::EbsSnapshotPublic,
        CheckId::AmiPublic,
        CheckId::InstancePublicIp,
        CheckId::InstanceImdsv2Required,
        CheckId::SerialConsoleAccess,
        CheckId::EipUnused,
        CheckId::EbsVolumeEncrypted,
        CheckId::VpcFlowLogsEnabled,
        CheckId::InstanceProfileAttached,
        CheckId::InstanceStoppedTooLong,
        CheckId::RegionApproved,
        CheckId::InstanceImageApproved,
    ];

    /// The stable id: `ec2_sg_open_admin_ports` …
    pub fn as_str(self) -> &'static str {
        match self {
            CheckId::SgOpenAdminPorts => "ec2_sg_open_admin_ports",
            CheckId::NaclOpenAdminPorts => "ec2_nacl_open_admin_ports",
            CheckId::SgDefaultRestrictsAll => "ec2_sg_default_restricts_all",
            CheckId::EbsDefaultEncryption => "ec2_ebs_default_encryption",
            CheckId::EbsSnapshotPublic => "ec2_ebs_snapshot_public",
            CheckId::AmiPublic => "ec2_ami_public",
            CheckId::InstancePublicIp => "ec2_instance_public_ip",
            CheckId::InstanceImdsv2Required => "ec2_instance_imdsv2_required",
            CheckId::SerialConsoleAccess => "ec2_serial_console_access",
            CheckId::EipUnused => "ec2_eip_unused",
            CheckId::EbsVolumeEncrypted => "ec2_ebs_volume_encrypted",
            CheckId::VpcFlowLogsEnabled => "vpc_flow_logs_enabled",
            CheckId::InstanceProfileAttached => "ec2_instance_profile_attached",
            CheckId::InstanceStoppedTooLong => "ec2_instance_stopped_too_long",
            CheckId::RegionApproved => "ec2_region_approved",
            CheckId::InstanceImageApproved => "ec2_instance_image_approved",
        }
    }

    /// The reference's short name: `C1` … `C16`.
    pub fn short_id(self) -> &'static str {
        const SHORT: [&str; 16] = [
            "C1", "C2", "C3", "C4", "C5", "C6", "C7", "C8", "C9", "C10", "C11", "C12", "C13",
            "C14", "C15", "C16",
        ];
        SHORT[self as usize]
    }

    /// The check with stable id `id`, if it is one of the sixteen.
    pub fn from_id(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.as_str() == id)
    }
}

impl fmt::Display for CheckId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
