//! Check parameters.
//!
//! They come from the same rules files as the detection rules' lists, where
//! they mean the same thing (`ec2_approved_regions`,
//! `ec2_approved_images`), plus posture-only lists (`posture_admin_ports`,
//! `posture_max_stopped_days`), so one local rules file configures both.
//!
//! A user overrides a list the Falco way, in a file loaded after the
//! built-in `rules/aws_ec2.yaml`:
//!
//! ```yaml
//! - list: ec2_approved_regions
//!   items: [eu-west-1, eu-central-1]
//!   override:
//!     items: replace
//! - list: posture_admin_ports        # posture only: C1, C2
//!   items: [22, 3389, 5985, 5986]
//! - list: posture_max_stopped_days   # posture only: C14, one number
//!   items: [14]
//! ```
//!
//! A list no file defines keeps its [`Params::default`] value.

use std::path::Path;

use saker_rules::diag::ItemKind;
use saker_rules::loader::{LoadResult, Loader, ResolvedList};
use saker_rules::Diagnostic;

/// The rules lists the parameters are read from.
pub const LIST_APPROVED_REGIONS: &str = "ec2_approved_regions";
pub const LIST_APPROVED_IMAGES: &str = "ec2_approved_images";
pub const LIST_ADMIN_PORTS: &str = "posture_admin_ports";
pub const LIST_MAX_STOPPED_DAYS: &str = "posture_max_stopped_days";

/// Why parameters could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ParamsError {
    /// Loading the rules files gave errors (unreadable file, bad YAML…):
    /// every error, each with its file:line:column.
    #[error("the rules files are unusable:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Rules(Vec<Diagnostic>),
    /// A list item is not what the parameter needs.
    #[error("{location}: list {list}: {message}")]
    BadList {
        /// `file:line:column` of the list's definition.
        location: String,
        list: String,
        message: String,
    },
}

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

impl Params {
    /// Read the parameters from rules files loaded in order (later files
    /// override or append to earlier lists, as in Falco): pass the built-in
    /// `rules/aws_ec2.yaml` first, then the user's files. Rules in the
    /// files are not compiled here (only their lists are read), so files
    /// with rules of any source, or requiring plugins, are fine.
    ///
    /// # Errors
    /// [`ParamsError::Rules`] when loading gives errors (a missing file,
    /// invalid YAML); [`ParamsError::BadList`] for an item that is not a
    /// port, a region name or a day count.
    pub fn from_rules_files<P: AsRef<Path>>(paths: &[P]) -> Result<Params, ParamsError> {
        Self::from_rules(&[], paths)
    }

    /// As [`from_rules_files`](Self::from_rules_files), with rules files
    /// compiled into the binary (`(name, content)`, e.g. saker's built-in
    /// rules) loaded before `paths`.
    ///
    /// # Errors
    /// As [`from_rules_files`](Self::from_rules_files).
    pub fn from_rules<P: AsRef<Path>>(
        embedded: &[(&str, &'static str)],
        paths: &[P],
    ) -> Result<Params, ParamsError> {
        let mut loader = Loader::new(Vec::new());
        for (name, text) in embedded {
            loader.load_embedded(name, text);
        }
        for p in paths {
            loader.load_path(p);
        }
        let result = loader.finish();
        // Only lists are read here: the plugins a file requires
        // (`required_plugin_versions`) matter to rule evaluation, which the
        // detection side checks with its field tables.
        let errors: Vec<Diagnostic> = result
            .errors()
            .filter(|d| !matches!(d.item, Some((ItemKind::RequiredPluginVersions, _))))
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(ParamsError::Rules(errors));
        }
        Self::from_load_result(&result)
    }

    /// The parameters a finished load defines (for callers that load the
    /// rules themselves, e.g. once for detection and posture); lists it
    /// does not define keep their defaults.
    ///
    /// # Errors
    /// [`ParamsError::BadList`], as [`from_rules_files`](Self::from_rules_files).
    pub fn from_load_result(result: &LoadResult) -> Result<Params, ParamsError> {
        let mut p = Params::default();
        if let Some(l) = result.list(LIST_APPROVED_REGIONS) {
            p.approved_regions = words(l, "an AWS region name", false)?;
        }
        if let Some(l) = result.list(LIST_APPROVED_IMAGES) {
            p.approved_images = words(l, "an image id, owner id, owner alias or name:GLOB", true)?;
        }
        if let Some(l) = result.list(LIST_ADMIN_PORTS) {
            p.admin_ports = l
                .items
                .iter()
                .map(|i| match i.trim().parse::<u16>() {
                    Ok(port) if port > 0 => Ok(port),
                    _ => Err(bad(l, format!("{i:?} is not a port number (1-65535)"))),
                })
                .collect::<Result<_, _>>()?;
            p.admin_ports.sort_unstable();
            p.admin_ports.dedup();
        }
        if let Some(l) = result.list(LIST_MAX_STOPPED_DAYS) {
            p.max_stopped_days = match l.items.as_slice() {
                [one] => one
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| bad(l, format!("{one:?} is not a number of days")))?,
                _ => {
                    return Err(bad(
                        l,
                        format!(
                            "needs exactly one number of days, found {} items",
                            l.items.len()
                        ),
                    ))
                }
            };
        }
        Ok(p)
    }
}

fn bad(l: &ResolvedList, message: String) -> ParamsError {
    ParamsError::BadList {
        location: l.location.to_string(),
        list: l.name.clone(),
        message,
    }
}

/// Non-empty trimmed items; blanks inside only when `spaces` (image name
/// globs may hold spaces, region names never do).
fn words(l: &ResolvedList, what: &str, spaces: bool) -> Result<Vec<String>, ParamsError> {
    l.items
        .iter()
        .map(|i| {
            let t = i.trim();
            if t.is_empty() || (!spaces && t.contains(char::is_whitespace)) {
                Err(bad(l, format!("{i:?} is not {what}")))
            } else {
                Ok(t.to_string())
            }
        })
        .collect()
}
