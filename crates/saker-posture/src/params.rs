//! Check parameters.
//!
//! They come from the same rules files as the detection rules' lists, where
//! they mean the same thing (`ec2_approved_regions`,
//! `ec2_approved_images`), plus posture-only lists (`posture_admin_ports`,
//! `posture_max_stopped_days`), so one local rules file configures both.

/// The parameters of the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    /// Regions where EC2 resources may exist (C15). Rules list
    /// `ec2_approved_regions`.
    pub approved_regions: Vec<String>,
    /// Approved images (C16): AMI ids (`ami-…`), owner account ids
    /// (12 digits), owner aliases (`amazon`, `aws-marketplace`) or image-name
    /// globs (`name:amzn2-ami-*`). Rules list `ec2_approved_images`. Empty =
    /// every image is accepted unless `ImageAllowed` is false.
    pub approved_images: Vec<String>,
    /// Ports that must not be open to the internet (C1, C2). Rules list
    /// `posture_admin_ports`; default 22 and 3389 (CIS "remote server
    /// administration ports").
    pub admin_ports: Vec<u16>,
    /// Days an instance may stay stopped (C14). Rules list
    /// `posture_max_stopped_days`; default 30 (Security Hub EC2.4).
    pub max_stopped_days: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            approved_regions: [
                "us-east-1",
                "us-east-2",
                "us-west-2",
                "eu-west-1",
                "eu-central-1",
                "ap-northeast-1",
            ]
            .map(String::from)
            .to_vec(),
            approved_images: Vec::new(),
            admin_ports: vec![22, 3389],
            max_stopped_days: 30,
        }
    }
}
