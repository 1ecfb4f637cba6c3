//! Image checks: C6 (the account's AMIs are not public) and C16 (instances
//! run approved images).

use serde_json::json;

use super::instance::live;
use super::{ev, need, with_evidence, Check, CheckContext, CheckMeta};
use crate::finding::{Finding, Severity, Status};
use crate::inventory::Image;

/// C6 — `ec2_ami_public`.
pub struct AmiPublic;

/// C16 — `ec2_instance_image_approved`.
pub struct InstanceImageApproved;

static C6: CheckMeta = CheckMeta {
    id: "ec2_ami_public",
    short_id: "C6",
    title: "AMIs owned by the account are not public",
    severity: Severity::Critical,
    resource_type: "AwsEc2Image",
    rationale: "Any AWS account can launch a public AMI and read its disks, including the \
        backing snapshots, baked-in credentials and application code.",
    remediation_cli: "aws ec2 modify-image-attribute --image-id <ami-id> --launch-permission \
        'Remove=[{Group=all}]'; aws ec2 enable-image-block-public-access \
        --image-block-public-access-state block-new-sharing",
    remediation_console: "EC2 → AMIs → <image> → Actions → Edit AMI permissions → Private; EC2 → \
        Settings → Data protection and security → Block public access for AMIs → Block new \
        public sharing",
    api_fields: "DescribeImages(Owners=self) → Images[].{ImageId, Public, OwnerId}; \
        DescribeImageAttribute(launchPermission) → LaunchPermissions[].Group; \
        GetImageBlockPublicAccessState → ImageBlockPublicAccessState",
    needs: &["DescribeImages"],
};

static C16: CheckMeta = CheckMeta {
    id: "ec2_instance_image_approved",
    short_id: "C16",
    title: "Instances run approved images",
    severity: Severity::Medium,
    resource_type: "AwsEc2Instance",
    rationale: "An instance launched from an unvetted, deregistered or community AMI may carry \
        backdoors, miners or unpatched software; an allow-list of image ids, owners or names \
        keeps launches to hardened images.",
    remediation_cli: "aws ec2 describe-images --image-ids <ami-id> (identify the image); \
        replace the instance from an approved AMI (aws ec2 run-instances --image-id \
        <approved-ami>) or add the image to the ec2_approved_images list; optionally enforce with \
        aws ec2 enable-allowed-images-settings --allowed-images-settings-state enabled",
    remediation_console: "EC2 → Instances → <instance> → Details → AMI ID: relaunch from an \
        approved AMI; EC2 → Settings → Allowed AMIs to enforce the list account-wide",
    api_fields: "DescribeInstances → Reservations[].Instances[].ImageId; DescribeImages(ImageIds) \
        → Images[].{ImageId, OwnerId, ImageOwnerAlias, Name, ImageAllowed}",
    needs: &["DescribeInstances", "DescribeImages"],
};

impl Check for AmiPublic {
    fn meta(&self) -> &'static CheckMeta {
        &C6
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(images) = need(ctx, &C6, out, "DescribeImages", &ctx.region.images) else {
            return;
        };
        let account = ctx.account.account_id.as_str();
        let bpa = ctx.region.image_block_public_access.as_deref();
        // `images` holds the account's own images; skip any other owner's a
        // collector might have mixed in.
        for img in images
            .iter()
            .filter(|i| i.owner_id.as_deref().is_none_or(|o| o == account))
        {
            let (status, detail) = if img.public {
                (
                    Status::Fail,
                    format!(
                        "image is public (Public=true, launch permission Group=all){}",
                        match bpa {
                            Some(b) => format!(
                                "; image block public access is {b}, which does not \
                                unpublish existing public images"
                            ),
                            None => String::new(),
                        }
                    ),
                )
            } else {
                (Status::Pass, "image is private".to_string())
            };
            let mut f = with_evidence(
                ctx.finding(&C6, &img.image_id, status, detail),
                [
                    ("Public", json!(img.public)),
                    ("Name", json!(img.name)),
                    ("OwnerId", json!(img.owner_id)),
                ],
            );
            if let Some(b) = bpa {
                f.evidence
                    .insert("ImageBlockPublicAccessState".into(), json!(b));
            }
            out.push(f);
        }
    }
}

/// Whether one `ec2_approved_images` entry approves `img`:
/// * `ami-…`: the image id;
/// * twelve digits: the owner account (`OwnerId`);
/// * `name:GLOB`: the image `Name`, shell wildcards (`*`, `?`, `[…]`);
/// * anything else: the owner alias (`ImageOwnerAlias`: `amazon`,
///   `aws-marketplace`, …), ASCII case ignored.
pub fn entry_approves(entry: &str, img: &Image) -> bool {
    let entry = entry.trim();
    if entry.starts_with("ami-") {
        img.image_id == entry
    } else if let Some(pattern) = entry.strip_prefix("name:") {
        img.name
            .as_deref()
            .is_some_and(|n| saker_rules::glob::glob_match(pattern, n, false))
    } else if entry.len() == 12 && entry.bytes().all(|b| b.is_ascii_digit()) {
        img.owner_id.as_deref() == Some(entry)
    } else {
        img.image_owner_alias
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(entry))
    }
}

impl Check for InstanceImageApproved {
    fn meta(&self) -> &'static CheckMeta {
        &C16
    }

    fn run(&self, ctx: &CheckContext<'_>, out: &mut Vec<Finding>) {
        let Some(instances) = need(ctx, &C16, out, "DescribeInstances", &ctx.region.instances)
        else {
            return;
        };
        let Some(images) = need(
            ctx,
            &C16,
            out,
            "DescribeImages",
            &ctx.region.instance_images,
        ) else {
            return;
        };
        let approved = &ctx.params.approved_images;
        for inst in instances.iter().filter(|i| live(i)) {
            let Some(image_id) = inst.image_id.as_deref() else {
                out.push(ctx.finding(
                    &C16,
                    &inst.instance_id,
                    Status::NotEvaluated,
                    "not evaluated: DescribeInstances gave no ImageId",
                ));
                continue;
            };
            let image = images.iter().find(|i| i.image_id == image_id);
            let (status, detail) = match image {
                None => (
                    Status::Fail,
                    format!(
                        "unknown image {image_id}: DescribeImages does not return it \
                         (deregistered or no longer shared)"
                    ),
                ),
                Some(img) if img.image_allowed == Some(false) => (
                    Status::Fail,
                    format!("image {image_id} is not allowed by the Allowed AMIs settings (ImageAllowed=false)"),
                ),
                Some(_) if approved.is_empty() => (
                    Status::Pass,
                    format!("image {image_id}: no ec2_approved_images list set and not refused by Allowed AMIs"),
                ),
                Some(img) => match approved.iter().find(|e| entry_approves(e, img)) {
                    Some(entry) => (
                        Status::Pass,
                        format!("image {image_id} approved by ec2_approved_images entry {entry:?}"),
                    ),
                    None => (
                        Status::Fail,
                        format!(
                            "image {image_id} ({}, owner {}) matches no ec2_approved_images entry",
                            img.name.as_deref().unwrap_or("no name"),
                            img.image_owner_alias
                                .as_deref()
                                .or(img.owner_id.as_deref())
                                .unwrap_or("unknown")
                        ),
                    ),
                },
            };
            let mut f = with_evidence(
                ctx.finding(&C16, &inst.instance_id, status, detail),
                [("ImageId", json!(image_id))],
            );
            if let Some(img) = image {
                f.evidence.insert("Image".into(), ev(img));
            }
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn img() -> Image {
        Image {
            image_id: "ami-0abc".into(),
            name: Some("amzn2-ami-hvm-2.0.2026-x86_64-gp2".into()),
            owner_id: Some("137112412989".into()),
            image_owner_alias: Some("amazon".into()),
            public: true,
            state: Some("available".into()),
            creation_date: None,
            deprecation_time: None,
            image_allowed: None,
            tags: vec![],
        }
    }

    #[test]
    fn entries_approve_by_id_owner_alias_and_name_glob() {
        let i = img();
        assert!(entry_approves("ami-0abc", &i));
        assert!(!entry_approves("ami-0abcd", &i));
        assert!(entry_approves("137112412989", &i));
        assert!(!entry_approves("123456789012", &i));
        assert!(entry_approves("amazon", &i));
        assert!(entry_approves("Amazon", &i));
        assert!(!entry_approves("aws-marketplace", &i));
        assert!(entry_approves("name:amzn2-ami-hvm-*", &i));
        assert!(!entry_approves("name:ubuntu/*", &i));
    }

    #[test]
    fn a_name_glob_never_approves_an_image_without_a_name() {
        let mut i = img();
        i.name = None;
        assert!(!entry_approves("name:*", &i));
    }
}
