//! The mutelist: accepted findings, muted with a reason, never hidden.
//!
//! A YAML file with one list, `mutelist:`; each entry:
//!
//! ```yaml
//! mutelist:
//!   - check: ec2_sg_open_admin_ports      # default "*"
//!     account: "123456789012"             # default "*"
//!     region: [eu-west-1, eu-central-1]   # default "*"
//!     resource: "sg-0abc*"                # default "*"
//!     tags: ["role=bastion", "env=dev|env=stg"]   # optional
//!     reason: Bastion hosts, reviewed 2026-10 by secops   # required
//!     exceptions:                         # optional
//!       region: [eu-central-1]
//! ```
//!
//! Semantics (modelled on Prowler's mutelist, `../shared/reference/posture.md`
//! §1.4, with its pitfalls removed):
//! * `check`, `account`, `region`, `resource` each take one pattern or a
//!   list of patterns (a list = any of them). A pattern is a shell wildcard
//!   with `fnmatch` rules (`*`, `?`, `[…]`), matched against the whole value,
//!   case-sensitively: `sg-0abc` is exactly that group, `sg-0abc*` its
//!   prefix, `*` anything. Unlike Prowler there is no substring or regex
//!   matching, so `logs` never mutes `vpc-logs-archive` by accident.
//! * `resource` is matched against the finding's resource id (`sg-…`,
//!   `i-…`, the region name for region-level settings).
//! * `tags` is a list of conditions that must **all** hold; one condition is
//!   alternatives separated by `|`, any of which may hold. An alternative is
//!   `KEY=VALUE` (both wildcards; split at the first `=`) or `KEY` (the tag
//!   is present, any value). Tags are the resource's tags in the inventory;
//!   a resource without tags (region-level settings) matches no tag
//!   condition.
//! * An entry mutes a finding when every field given matches (AND) and its
//!   `exceptions` do not: exceptions (`account`, `region`, `resource`,
//!   `tags`) un-mute findings matching **all** the exception fields given.
//! * The first matching entry, in file order, is recorded on the finding:
//!   [`crate::Mute`] `{reason, entry: "FILE:LINE"}`. The finding keeps its
//!   status and is reported as `MUTED`.
//!
//! Errors (unknown keys, a missing or empty `reason`, an unknown check id
//! without wildcards, an empty `exceptions`) name the file and line.

use std::collections::HashMap;
use std::path::Path;

use saker_rules::glob::Glob;
use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::finding::{Finding, Mute};
use crate::framework::{DataFileError, Problem};
use crate::inventory::{Inventory, Tag};

/// A loaded mutelist.
#[derive(Debug, Clone)]
pub struct Mutelist {
    /// The file it came from.
    pub origin: String,
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    line: u64,
    check: Patterns,
    account: Patterns,
    region: Patterns,
    resource: Patterns,
    tags: Vec<TagCondition>,
    reason: String,
    exceptions: Option<Exceptions>,
}

#[derive(Debug, Clone)]
struct Exceptions {
    account: Option<Patterns>,
    region: Option<Patterns>,
    resource: Option<Patterns>,
    tags: Vec<TagCondition>,
}

/// Any-of wildcard patterns; empty = match everything.
#[derive(Debug, Clone, Default)]
struct Patterns(Vec<Glob>);

impl Patterns {
    fn new(p: Option<OneOrMany>) -> Patterns {
        Patterns(
            p.map(OneOrMany::into_vec)
                .unwrap_or_default()
                .iter()
                .map(|s| Glob::new(s, false))
                .collect(),
        )
    }

    fn matches(&self, value: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|g| g.is_match(value))
    }
}

/// One `tags` item: alternatives, any of which may hold.
#[derive(Debug, Clone)]
struct TagCondition(Vec<(Glob, Option<Glob>)>);

impl TagCondition {
    fn parse(item: &str) -> TagCondition {
        TagCondition(
            item.split('|')
                .map(|alt| match alt.split_once('=') {
                    Some((k, v)) => (Glob::new(k, false), Some(Glob::new(v, false))),
                    None => (Glob::new(alt, false), None),
                })
                .collect(),
        )
    }

    fn holds(&self, tags: &[Tag]) -> bool {
        self.0.iter().any(|(k, v)| {
            tags.iter()
                .any(|t| k.is_match(&t.key) && v.as_ref().is_none_or(|v| v.is_match(&t.value)))
        })
    }
}

fn all_hold(conditions: &[TagCondition], tags: &[Tag]) -> bool {
    conditions.iter().all(|c| c.holds(tags))
}

impl Exceptions {
    fn except(&self, f: &Finding, tags: &[Tag]) -> bool {
        self.account
            .as_ref()
            .is_none_or(|p| p.matches(&f.account_id))
            && self.region.as_ref().is_none_or(|p| p.matches(&f.region))
            && self
                .resource
                .as_ref()
                .is_none_or(|p| p.matches(&f.resource_id))
            && all_hold(&self.tags, tags)
    }
}

impl Entry {
    fn matches(&self, f: &Finding, tags: &[Tag]) -> bool {
        self.check.matches(&f.check_id)
            && self.account.matches(&f.account_id)
            && self.region.matches(&f.region)
            && self.resource.matches(&f.resource_id)
            && all_hold(&self.tags, tags)
            && !self.exceptions.as_ref().is_some_and(|x| x.except(f, tags))
    }
}

/// What [`Mutelist::apply`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MuteStats {
    /// Findings muted.
    pub muted: usize,
    /// `FILE:LINE` of entries that muted nothing (stale or mistyped).
    pub unused_entries: Vec<String>,
}

impl Mutelist {
    /// Parse a mutelist. `known_checks` are the check ids a `check` pattern
    /// without wildcards may name; `origin` names the file in errors.
    ///
    /// # Errors
    /// Every problem, each with its line: YAML syntax, unknown keys, a
    /// missing or empty `reason`, an unknown check id, an empty
    /// `exceptions` block.
    pub fn from_yaml(
        text: &str,
        origin: &str,
        known_checks: &[&str],
    ) -> Result<Self, DataFileError> {
        let raw: RawFile =
            serde_saphyr::from_str(text).map_err(|e| DataFileError::from_yaml(origin, &e))?;
        let mut problems = Vec::new();
        let mut entries = Vec::with_capacity(raw.mutelist.len());
        for e in raw.mutelist {
            let line = e.referenced.line();
            let mut problem = |message: String| {
                problems.push(Problem {
                    line,
                    column: e.referenced.column(),
                    message,
                })
            };
            let r = e.value;
            let reason = r.reason.unwrap_or_default();
            if reason.trim().is_empty() {
                problem(
                    "entry has no `reason` (required: say why the findings are accepted)".into(),
                );
            }
            if let Some(checks) = &r.check {
                for c in checks.as_slice() {
                    let wild = c.contains(['*', '?', '[']);
                    if !wild && !known_checks.contains(&c.as_str()) {
                        problem(format!("unknown check id {c:?}"));
                    }
                }
            }
            let exceptions = match r.exceptions {
                None => None,
                Some(x) => {
                    if x.account.is_none()
                        && x.region.is_none()
                        && x.resource.is_none()
                        && x.tags.is_empty()
                    {
                        problem(
                            "`exceptions` is empty: give account, region, resource or tags".into(),
                        );
                    }
                    Some(Exceptions {
                        account: x.account.map(|p| Patterns::new(Some(p))),
                        region: x.region.map(|p| Patterns::new(Some(p))),
                        resource: x.resource.map(|p| Patterns::new(Some(p))),
                        tags: x.tags.iter().map(|t| TagCondition::parse(t)).collect(),
                    })
                }
            };
            entries.push(Entry {
                line,
                check: Patterns::new(r.check),
                account: Patterns::new(r.account),
                region: Patterns::new(r.region),
                resource: Patterns::new(r.resource),
                tags: r.tags.iter().map(|t| TagCondition::parse(t)).collect(),
                reason,
                exceptions,
            });
        }
        if !problems.is_empty() {
            return Err(DataFileError {
                origin: origin.to_string(),
                problems,
            });
        }
        Ok(Mutelist {
            origin: origin.to_string(),
            entries,
        })
    }

    /// Read and parse a mutelist file.
    ///
    /// # Errors
    /// The file cannot be read, or as [`from_yaml`](Self::from_yaml).
    pub fn load_file(path: &Path, known_checks: &[&str]) -> Result<Self, DataFileError> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path)
            .map_err(|e| DataFileError::one(&origin, 0, 0, e.to_string()))?;
        Self::from_yaml(&text, &origin, known_checks)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The mute for `finding`, whose resource has `tags`: the first
    /// matching entry's reason and place.
    pub fn mute_for(&self, finding: &Finding, tags: &[Tag]) -> Option<Mute> {
        self.first_match(finding, tags).map(|i| self.mute(i))
    }

    fn first_match(&self, finding: &Finding, tags: &[Tag]) -> Option<usize> {
        self.entries.iter().position(|e| e.matches(finding, tags))
    }

    fn mute(&self, i: usize) -> Mute {
        let e = &self.entries[i];
        Mute {
            reason: e.reason.clone(),
            entry: format!("{}:{}", self.origin, e.line),
        }
    }

    /// Set [`Finding::muted`] on every finding an entry matches, looking up
    /// resource tags in `inventory` (see [`ResourceTags`]). Findings already
    /// muted keep their mute.
    pub fn apply(&self, findings: &mut [Finding], inventory: &Inventory) -> MuteStats {
        let tags = ResourceTags::new(inventory);
        let mut used = vec![false; self.entries.len()];
        let mut stats = MuteStats::default();
        for f in findings.iter_mut().filter(|f| f.muted.is_none()) {
            if let Some(i) = self.first_match(f, tags.get(&f.account_id, &f.region, &f.resource_id))
            {
                used[i] = true;
                f.muted = Some(self.mute(i));
                stats.muted += 1;
            }
        }
        stats.unused_entries = used
            .iter()
            .enumerate()
            .filter(|(_, u)| !**u)
            .map(|(i, _)| format!("{}:{}", self.origin, self.entries[i].line))
            .collect();
        stats
    }
}

/// Tags of every tagged resource in an inventory, by (account, region,
/// resource id): security groups, network ACLs, instances, volumes,
/// snapshots, images, Elastic IPs (by allocation id and by public IP), VPCs
/// and subnets.
pub struct ResourceTags<'a> {
    map: HashMap<(&'a str, &'a str, &'a str), &'a [Tag]>,
}

impl<'a> ResourceTags<'a> {
    /// Index `inventory`.
    pub fn new(inventory: &'a Inventory) -> Self {
        let mut map = HashMap::new();
        for a in &inventory.accounts {
            for r in &a.regions {
                let mut put = |id: &'a str, tags: &'a [Tag]| {
                    if !tags.is_empty() {
                        map.insert((a.account_id.as_str(), r.region.as_str(), id), tags);
                    }
                };
                for x in r.security_groups.iter().flatten() {
                    put(&x.group_id, &x.tags);
                }
                for x in r.network_acls.iter().flatten() {
                    put(&x.network_acl_id, &x.tags);
                }
                for x in r.instances.iter().flatten() {
                    put(&x.instance_id, &x.tags);
                }
                for x in r.volumes.iter().flatten() {
                    put(&x.volume_id, &x.tags);
                }
                for x in r.snapshots.iter().flatten() {
                    put(&x.snapshot_id, &x.tags);
                }
                for x in r.images.iter().flatten() {
                    put(&x.image_id, &x.tags);
                }
                for x in r.addresses.iter().flatten() {
                    if let Some(id) = &x.allocation_id {
                        put(id, &x.tags);
                    }
                    put(&x.public_ip, &x.tags);
                }
                for x in r.vpcs.iter().flatten() {
                    put(&x.vpc_id, &x.tags);
                }
                for x in r.subnets.iter().flatten() {
                    put(&x.subnet_id, &x.tags);
                }
            }
        }
        ResourceTags { map }
    }

    /// The tags of a resource (empty when untagged or unknown).
    pub fn get(&self, account: &str, region: &str, resource_id: &str) -> &'a [Tag] {
        self.map
            .get(&(account, region, resource_id))
            .copied()
            .unwrap_or(&[])
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    mutelist: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn as_slice(&self) -> &[String] {
        match self {
            OneOrMany::One(s) => std::slice::from_ref(s),
            OneOrMany::Many(v) => v,
        }
    }

    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    #[serde(default)]
    check: Option<OneOrMany>,
    #[serde(default)]
    account: Option<OneOrMany>,
    #[serde(default)]
    region: Option<OneOrMany>,
    #[serde(default)]
    resource: Option<OneOrMany>,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    exceptions: Option<RawExceptions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExceptions {
    #[serde(default)]
    account: Option<OneOrMany>,
    #[serde(default)]
    region: Option<OneOrMany>,
    #[serde(default)]
    resource: Option<OneOrMany>,
    #[serde(default)]
    tags: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::{Severity, Status};

    const KNOWN: &[&str] = &[
        "ec2_sg_open_admin_ports",
        "ec2_eip_unused",
        "ec2_ebs_default_encryption",
    ];

    fn finding(check: &str, account: &str, region: &str, resource: &str) -> Finding {
        Finding {
            finding_id: Finding::id_for(check, account, region, resource),
            check_id: check.into(),
            status: Status::Fail,
            severity: Severity::High,
            account_id: account.into(),
            region: region.into(),
            resource_id: resource.into(),
            resource_type: "AwsEc2SecurityGroup".into(),
            detail: String::new(),
            evidence: Default::default(),
            requirements: Default::default(),
            muted: None,
            changed_by: None,
        }
    }

    fn tags(pairs: &[(&str, &str)]) -> Vec<Tag> {
        pairs
            .iter()
            .map(|(k, v)| Tag {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect()
    }

    fn list(yaml: &str) -> Mutelist {
        Mutelist::from_yaml(yaml, "m.yaml", KNOWN).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn all_fields_must_match_and_lists_are_any_of() {
        let m = list(
            "mutelist:\n  - check: ec2_sg_open_admin_ports\n    account: \"111122223333\"\n    region: [eu-west-1, eu-central-1]\n    resource: sg-0abc*\n    reason: bastions\n",
        );
        let hit = finding(
            "ec2_sg_open_admin_ports",
            "111122223333",
            "eu-central-1",
            "sg-0abc9",
        );
        assert_eq!(
            m.mute_for(&hit, &[]),
            Some(Mute {
                reason: "bastions".into(),
                entry: "m.yaml:2".into()
            })
        );
        for miss in [
            finding("ec2_eip_unused", "111122223333", "eu-central-1", "sg-0abc9"),
            finding(
                "ec2_sg_open_admin_ports",
                "999999999999",
                "eu-central-1",
                "sg-0abc9",
            ),
            finding(
                "ec2_sg_open_admin_ports",
                "111122223333",
                "us-east-1",
                "sg-0abc9",
            ),
            // whole-value match: no substring semantics
            finding(
                "ec2_sg_open_admin_ports",
                "111122223333",
                "eu-west-1",
                "xsg-0abc9",
            ),
        ] {
            assert_eq!(m.mute_for(&miss, &[]), None, "{miss:?}");
        }
    }

    #[test]
    fn omitted_fields_match_everything_and_globs_cover_checks() {
        let m = list("mutelist:\n  - check: \"ec2_*\"\n    reason: sandbox account\n    account: \"222233334444\"\n");
        assert!(m
            .mute_for(
                &finding("ec2_eip_unused", "222233334444", "ap-south-1", "eipalloc-1"),
                &[]
            )
            .is_some());
        assert!(m
            .mute_for(
                &finding("ec2_eip_unused", "111122223333", "ap-south-1", "eipalloc-1"),
                &[]
            )
            .is_none());
    }

    #[test]
    fn tags_are_and_across_items_and_or_inside_one() {
        let m =
            list("mutelist:\n  - tags: [\"env=dev|env=stg\", \"owner\"]\n    reason: non-prod\n");
        let f = finding("ec2_sg_open_admin_ports", "1", "eu-west-1", "sg-1");
        assert!(m
            .mute_for(&f, &tags(&[("env", "stg"), ("owner", "bob")]))
            .is_some());
        assert!(m
            .mute_for(&f, &tags(&[("env", "dev"), ("owner", "")]))
            .is_some());
        // the second condition (owner present) fails
        assert!(m.mute_for(&f, &tags(&[("env", "dev")])).is_none());
        // neither alternative of the first holds
        assert!(m
            .mute_for(&f, &tags(&[("env", "prod"), ("owner", "bob")]))
            .is_none());
        // untagged resources never match a tag condition
        assert!(m.mute_for(&f, &[]).is_none());
        // tag values are wildcards too
        let w = list("mutelist:\n  - tags: [\"team=net-*\"]\n    reason: network team\n");
        assert!(w.mute_for(&f, &tags(&[("team", "net-core")])).is_some());
        assert!(w.mute_for(&f, &tags(&[("team", "app")])).is_none());
    }

    #[test]
    fn exceptions_unmute_when_all_their_fields_match() {
        let m = list(
            "mutelist:\n  - check: ec2_ebs_default_encryption\n    reason: legacy regions\n    exceptions:\n      region: [us-east-1]\n      account: \"111122223333\"\n",
        );
        let c = "ec2_ebs_default_encryption";
        assert!(m
            .mute_for(&finding(c, "111122223333", "us-east-1", "us-east-1"), &[])
            .is_none());
        // only one of the two exception fields matches: still muted
        assert!(m
            .mute_for(&finding(c, "999999999999", "us-east-1", "us-east-1"), &[])
            .is_some());
        assert!(m
            .mute_for(&finding(c, "111122223333", "eu-west-1", "eu-west-1"), &[])
            .is_some());
    }

    #[test]
    fn first_matching_entry_is_recorded() {
        let m = list(
            "mutelist:\n  - resource: sg-2\n    reason: first\n  - resource: \"sg-*\"\n    reason: second\n",
        );
        let f = finding("ec2_sg_open_admin_ports", "1", "r", "sg-2");
        let first = m.mute_for(&f, &[]).unwrap();
        assert_eq!(
            (first.reason.as_str(), first.entry.as_str()),
            ("first", "m.yaml:2")
        );
        let g = finding("ec2_sg_open_admin_ports", "1", "r", "sg-3");
        let second = m.mute_for(&g, &[]).unwrap();
        assert_eq!(
            (second.reason.as_str(), second.entry.as_str()),
            ("second", "m.yaml:4")
        );
    }

    #[test]
    fn bad_entries_are_reported_with_their_lines() {
        let e = Mutelist::from_yaml(
            "mutelist:\n  - check: ec2_sg_open_admin_port\n    reason: typo\n  - resource: sg-1\n  - resource: sg-2\n    reason: x\n    exceptions: {}\n",
            "m.yaml",
            KNOWN,
        )
        .unwrap_err();
        let text = e.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(
            lines[0].starts_with("m.yaml:2:")
                && lines[0].contains("unknown check id \"ec2_sg_open_admin_port\""),
            "{text}"
        );
        assert!(
            lines[1].starts_with("m.yaml:4:") && lines[1].contains("no `reason`"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("m.yaml:5:") && lines[2].contains("`exceptions` is empty"),
            "{text}"
        );

        let e = Mutelist::from_yaml(
            "mutelist:\n  - resource: sg-1\n    reson: typo\n",
            "m.yaml",
            KNOWN,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("m.yaml:3:5: unknown field `reson`"),
            "{e}"
        );
        let e = Mutelist::from_yaml("mutelist: [\n", "m.yaml", KNOWN).unwrap_err();
        assert!(e.to_string().starts_with("m.yaml:1:"), "{e}");
    }

    #[test]
    fn apply_marks_findings_counts_and_lists_stale_entries() {
        use crate::inventory::{AccountInventory, RegionInventory, SecurityGroup};
        let mut inv = Inventory::new("2026-11-29T00:00:00Z");
        let mut region = RegionInventory::new("eu-west-1");
        region.security_groups = Some(vec![SecurityGroup {
            group_id: "sg-1".into(),
            group_name: "bastion".into(),
            vpc_id: None,
            owner_id: None,
            ip_permissions: vec![],
            ip_permissions_egress: vec![],
            tags: tags(&[("role", "bastion")]),
        }]);
        inv.accounts.push(AccountInventory {
            account_id: "111122223333".into(),
            partition: "aws".into(),
            role_arn: None,
            all_regions: None,
            instance_profiles: None,
            regions: vec![region],
            errors: Default::default(),
        });
        let m = list(
            "mutelist:\n  - tags: [role=bastion]\n    reason: bastion\n  - resource: sg-none\n    reason: stale\n",
        );
        let mut fs = vec![
            finding(
                "ec2_sg_open_admin_ports",
                "111122223333",
                "eu-west-1",
                "sg-1",
            ),
            finding(
                "ec2_sg_open_admin_ports",
                "111122223333",
                "eu-west-1",
                "sg-2",
            ),
            // same id in another account: not the tagged group
            finding(
                "ec2_sg_open_admin_ports",
                "999999999999",
                "eu-west-1",
                "sg-1",
            ),
        ];
        let stats = m.apply(&mut fs, &inv);
        assert_eq!(stats.muted, 1);
        assert_eq!(stats.unused_entries, ["m.yaml:4"]);
        assert_eq!(fs[0].reported_status(), "MUTED");
        assert_eq!(
            fs[0].status,
            Status::Fail,
            "a muted finding keeps its verdict"
        );
        assert_eq!(fs[1].reported_status(), "FAIL");
        assert_eq!(fs[2].reported_status(), "FAIL");
    }
}
