//! `saker posture diff OLD NEW`: what changed between two runs, keyed by
//! the stable [`Finding::finding_id`].
//!
//! [`diff`] sorts every finding id into categories ([`Diff`]); a finding
//! may be in more than one (an id that appears already failing is both in
//! `appeared` and in `new_failures`; mute changes are orthogonal to status
//! changes; `changed` is the part of `still_failing` whose detail,
//! evidence or requirements changed). [`write_summary`] renders it for a terminal (attacker-
//! controlled text escaped), [`write_json`] as one JSON object (the serde
//! form of [`Diff`]). [`read_findings`] reads findings back from an earlier
//! `--output json` report.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, Read, Write};

use saker_rules::output::escape_for_terminal;
use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Status};

/// One finding id seen in a diff: where it is, and its status and mute
/// state before and after (`None` = absent on that side).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transition {
    pub finding_id: String,
    pub check_id: String,
    pub account_id: String,
    pub region: String,
    pub resource_id: String,
    pub resource_type: String,
    pub old_status: Option<Status>,
    pub new_status: Option<Status>,
    pub old_muted: bool,
    pub new_muted: bool,
    /// The newest detail (NEW's, else OLD's).
    pub detail: String,
}

/// A resource (account, region, type, id) seen on one side only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ResourceKey {
    pub account_id: String,
    pub region: String,
    pub resource_type: String,
    pub resource_id: String,
}

/// The difference between two runs. Every list is sorted by finding id
/// (resources by account, region, type, id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    /// FAIL in NEW and not FAIL in OLD (PASS, NOT_EVALUATED or absent),
    /// muted or not (see `new_muted`).
    pub new_failures: Vec<Transition>,
    /// FAIL in OLD, PASS in NEW.
    pub fixed: Vec<Transition>,
    /// FAIL on both sides.
    pub still_failing: Vec<Transition>,
    /// FAIL on both sides, but the detail, evidence or requirements
    /// changed (say a security group whose open port 22 became 3389): a
    /// subset of `still_failing`.
    #[serde(default)]
    pub changed: Vec<Changed>,
    /// On both sides, unmuted in OLD and muted in NEW.
    pub newly_muted: Vec<Transition>,
    /// On both sides, muted in OLD and unmuted in NEW.
    pub newly_unmuted: Vec<Transition>,
    /// PASS or FAIL in OLD, NOT_EVALUATED in NEW (data no longer
    /// collected: access denied, region disabled…).
    pub now_not_evaluated: Vec<Transition>,
    /// NOT_EVALUATED in OLD, PASS or FAIL in NEW.
    pub now_evaluated: Vec<Transition>,
    /// Finding ids only in NEW.
    pub appeared: Vec<Transition>,
    /// Finding ids only in OLD.
    pub disappeared: Vec<Transition>,
    /// Resources with findings in NEW and none in OLD.
    pub appeared_resources: Vec<ResourceKey>,
    /// Resources with findings in OLD and none in NEW.
    pub disappeared_resources: Vec<ResourceKey>,
    /// Ids on both sides with the same status and mute state.
    pub unchanged: usize,
    /// Finding ids present more than once in OLD or NEW (the last one
    /// counts).
    pub duplicate_ids: Vec<String>,
}

/// A still-failing finding whose content changed between the runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changed {
    #[serde(flatten)]
    pub transition: Transition,
    /// OLD's detail (`transition.detail` is NEW's).
    pub old_detail: String,
    /// What changed: any of `detail`, `evidence`, `requirements`.
    pub fields: Vec<String>,
    /// Requirements (framework id → requirement ids) in NEW's finding and
    /// not in OLD's: they fail now and did not before, so they count as
    /// new failures for `--fail-on-new`.
    pub newly_failing_requirements: BTreeMap<String, Vec<String>>,
}

impl Diff {
    /// True when NEW has a failure OLD did not have, not muted: a new
    /// failing finding id, or a still-failing finding that now fails a
    /// requirement it did not fail before. The condition for a failing
    /// exit code in CI (`--fail-on-new`).
    pub fn has_new_unmuted_failures(&self) -> bool {
        self.new_failures.iter().any(|t| !t.new_muted)
            || self
                .changed
                .iter()
                .any(|c| !c.transition.new_muted && !c.newly_failing_requirements.is_empty())
    }

    /// Requirement ids newly failing on still-failing findings (see
    /// [`Changed::newly_failing_requirements`]), counted once per finding
    /// and requirement.
    pub fn newly_failing_requirement_count(&self) -> usize {
        self.changed
            .iter()
            .flat_map(|c| c.newly_failing_requirements.values())
            .map(Vec::len)
            .sum()
    }
}

/// The requirement ids of `new` that `old` does not have, by framework.
fn added_requirements(old: &Finding, new: &Finding) -> BTreeMap<String, Vec<String>> {
    let mut added = BTreeMap::new();
    for (fw, ids) in &new.requirements {
        let before = old.requirements.get(fw);
        let extra: Vec<String> = ids
            .iter()
            .filter(|id| before.is_none_or(|b| !b.contains(id)))
            .cloned()
            .collect();
        if !extra.is_empty() {
            added.insert(fw.clone(), extra);
        }
    }
    added
}

/// [`Changed`] for two FAIL findings with the same id, `None` when the
/// detail, evidence and requirements are the same.
fn changed(old: &Finding, new: &Finding, t: &Transition) -> Option<Changed> {
    let mut fields = Vec::new();
    if old.detail != new.detail {
        fields.push("detail".to_string());
    }
    if old.evidence != new.evidence {
        fields.push("evidence".to_string());
    }
    if old.requirements != new.requirements {
        fields.push("requirements".to_string());
    }
    (!fields.is_empty()).then(|| Changed {
        transition: t.clone(),
        old_detail: old.detail.clone(),
        fields,
        newly_failing_requirements: added_requirements(old, new),
    })
}

fn index<'a>(fs: &'a [Finding], dups: &mut BTreeSet<String>) -> BTreeMap<&'a str, &'a Finding> {
    let mut m = BTreeMap::new();
    for f in fs {
        if m.insert(f.finding_id.as_str(), f).is_some() {
            dups.insert(f.finding_id.clone());
        }
    }
    m
}

fn resource(f: &Finding) -> ResourceKey {
    ResourceKey {
        account_id: f.account_id.clone(),
        region: f.region.clone(),
        resource_type: f.resource_type.clone(),
        resource_id: f.resource_id.clone(),
    }
}

fn transition(old: Option<&Finding>, new: Option<&Finding>) -> Transition {
    let f = new.or(old).expect("one side is present");
    Transition {
        finding_id: f.finding_id.clone(),
        check_id: f.check_id.clone(),
        account_id: f.account_id.clone(),
        region: f.region.clone(),
        resource_id: f.resource_id.clone(),
        resource_type: f.resource_type.clone(),
        old_status: old.map(|o| o.status),
        new_status: new.map(|n| n.status),
        old_muted: old.is_some_and(|o| o.muted.is_some()),
        new_muted: new.is_some_and(|n| n.muted.is_some()),
        detail: f.detail.clone(),
    }
}

/// Compare two runs' findings by finding id (see [`Diff`] for the
/// categories).
pub fn diff(old: &[Finding], new: &[Finding]) -> Diff {
    let mut dups = BTreeSet::new();
    let o = index(old, &mut dups);
    let n = index(new, &mut dups);
    let mut d = Diff {
        duplicate_ids: dups.into_iter().collect(),
        ..Diff::default()
    };
    let ids: BTreeSet<&str> = o.keys().chain(n.keys()).copied().collect();
    for id in ids {
        let (of, nf) = (o.get(id).copied(), n.get(id).copied());
        let t = transition(of, nf);
        let (os, ns) = (t.old_status, t.new_status);
        match (of, nf) {
            (None, Some(_)) => d.appeared.push(t.clone()),
            (Some(_), None) => d.disappeared.push(t.clone()),
            _ => {}
        }
        if ns == Some(Status::Fail) && os != Some(Status::Fail) {
            d.new_failures.push(t.clone());
        }
        if of.is_none() || nf.is_none() {
            continue;
        }
        match (os, ns) {
            (Some(Status::Fail), Some(Status::Pass)) => d.fixed.push(t.clone()),
            (Some(Status::Fail), Some(Status::Fail)) => {
                if let (Some(a), Some(b)) = (of, nf) {
                    d.changed.extend(changed(a, b, &t));
                }
                d.still_failing.push(t.clone())
            }
            _ => {}
        }
        match (os, ns) {
            (Some(a), Some(Status::NotEvaluated)) if a != Status::NotEvaluated => {
                d.now_not_evaluated.push(t.clone())
            }
            (Some(Status::NotEvaluated), Some(b)) if b != Status::NotEvaluated => {
                d.now_evaluated.push(t.clone())
            }
            _ => {}
        }
        match (t.old_muted, t.new_muted) {
            (false, true) => d.newly_muted.push(t.clone()),
            (true, false) => d.newly_unmuted.push(t.clone()),
            _ => {}
        }
        if os == ns && t.old_muted == t.new_muted {
            d.unchanged += 1;
        }
    }
    let old_res: BTreeSet<ResourceKey> = old.iter().map(resource).collect();
    let new_res: BTreeSet<ResourceKey> = new.iter().map(resource).collect();
    d.appeared_resources = new_res.difference(&old_res).cloned().collect();
    d.disappeared_resources = old_res.difference(&new_res).cloned().collect();
    d
}

/// Write `d` as one pretty-printed JSON object (the serde form of
/// [`Diff`]; statuses as `PASS`/`FAIL`/`NOT_EVALUATED`, absent = `null`)
/// and a newline.
pub fn write_json<W: Write>(mut out: W, d: &Diff) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut out, d)?;
    out.write_all(b"\n")?;
    out.flush()
}

/// ` (N changed, M newly failing requirements)` when some still-failing
/// finding changed, else nothing.
fn changed_note(d: &Diff) -> String {
    if d.changed.is_empty() {
        return String::new();
    }
    format!(
        " ({} changed, {} newly failing requirements)",
        d.changed.len(),
        d.newly_failing_requirement_count()
    )
}

fn status_text(s: Option<Status>, muted: bool) -> &'static str {
    match (s, muted) {
        (None, _) => "absent",
        (Some(_), true) => "MUTED",
        (Some(s), false) => s.as_str(),
    }
}

/// Write a terminal summary of `d`: a count line, then one block per
/// non-empty category with a line per finding
/// (`OLD -> NEW  CHECK  ACCOUNT REGION RESOURCE  DETAIL`). Control and
/// bidi characters in finding text are escaped
/// ([`escape_for_terminal`]).
pub fn write_summary<W: Write>(mut out: W, d: &Diff) -> io::Result<()> {
    writeln!(
        out,
        "{} new failures, {} fixed, {} still failing{}, {} newly muted, {} unmuted, {} now not evaluated, {} evaluated again, {} appeared, {} disappeared ({} resources appeared, {} disappeared), {} unchanged",
        d.new_failures.len(),
        d.fixed.len(),
        d.still_failing.len(),
        changed_note(d),
        d.newly_muted.len(),
        d.newly_unmuted.len(),
        d.now_not_evaluated.len(),
        d.now_evaluated.len(),
        d.appeared.len(),
        d.disappeared.len(),
        d.appeared_resources.len(),
        d.disappeared_resources.len(),
        d.unchanged,
    )?;
    let blocks: [(&str, &[Transition]); 8] = [
        ("New failures", &d.new_failures),
        ("Fixed", &d.fixed),
        ("Newly muted", &d.newly_muted),
        ("Unmuted", &d.newly_unmuted),
        ("Now not evaluated", &d.now_not_evaluated),
        ("Evaluated again", &d.now_evaluated),
        ("Appeared", &d.appeared),
        ("Disappeared", &d.disappeared),
    ];
    for (title, ts) in blocks {
        if ts.is_empty() {
            continue;
        }
        writeln!(out, "\n{title} ({}):", ts.len())?;
        for t in ts {
            writeln!(
                out,
                "  {} -> {}  {}  {} {} {}  {}",
                status_text(t.old_status, t.old_muted),
                status_text(t.new_status, t.new_muted),
                escape_for_terminal(&t.check_id),
                escape_for_terminal(&t.account_id),
                escape_for_terminal(&t.region),
                escape_for_terminal(&t.resource_id),
                escape_for_terminal(&t.detail),
            )?;
        }
    }
    if !d.changed.is_empty() {
        writeln!(out, "\nChanged, still failing ({}):", d.changed.len())?;
        for c in &d.changed {
            let t = &c.transition;
            writeln!(
                out,
                "  {} -> {}  {}  {} {} {}  changed: {}",
                status_text(t.old_status, t.old_muted),
                status_text(t.new_status, t.new_muted),
                escape_for_terminal(&t.check_id),
                escape_for_terminal(&t.account_id),
                escape_for_terminal(&t.region),
                escape_for_terminal(&t.resource_id),
                c.fields.join(", "),
            )?;
            if c.old_detail != t.detail {
                writeln!(out, "    was: {}", escape_for_terminal(&c.old_detail))?;
                writeln!(out, "    now: {}", escape_for_terminal(&t.detail))?;
            }
            for (fw, ids) in &c.newly_failing_requirements {
                writeln!(
                    out,
                    "    newly failing {}: {}",
                    escape_for_terminal(fw),
                    escape_for_terminal(&ids.join(", "))
                )?;
            }
        }
    }
    if !d.still_failing.is_empty() {
        writeln!(out, "\nStill failing: {}", d.still_failing.len())?;
    }
    if !d.duplicate_ids.is_empty() {
        writeln!(
            out,
            "\nwarning: {} finding ids appear more than once in an input (the last one counts)",
            d.duplicate_ids.len()
        )?;
    }
    out.flush()
}

/// Why findings could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{name}: {source}")]
    Io {
        name: String,
        #[source]
        source: io::Error,
    },
    #[error("{name}: not a saker findings report: {reason}")]
    NotFindings { name: String, reason: String },
    #[error("{name}: larger than {limit} bytes")]
    TooLarge { name: String, limit: u64 },
    /// The file is empty or holds only whitespace: a truncated or failed
    /// run, not a run that found nothing to diff against.
    #[error("{name}: empty file, not a saker findings report")]
    Empty { name: String },
    /// The file is a `saker posture collect` inventory, not findings.
    #[error("{name} is an inventory: run `saker posture check {name} --output json --out REPORT` on it first")]
    Inventory { name: String },
}

/// The largest report [`read_findings`] reads (1 GiB), so a wrong path
/// (`/dev/zero`) cannot exhaust memory.
pub const MAX_REPORT_BYTES: u64 = 1 << 30;

/// Findings read back from a report, and the lines that were not findings.
#[derive(Debug, Default)]
pub struct ReadFindings {
    pub findings: Vec<Finding>,
    /// `NAME:LINE: reason` of every line skipped.
    pub skipped: Vec<String>,
}

/// Read findings from an earlier `--output json` report: one JSON object
/// per line (blank lines ignored), or one JSON array of such objects.
/// `name` (the file name) labels errors.
///
/// An object is [`Finding`]'s serde form, or the `--output json` form
/// (`report::json`), where `status` is the reported status (`MUTED` for a
/// muted finding) and `check_status` the verdict: the verdict is read back
/// from `check_status` when present ([`finding_from_json`]). Fields
/// `Finding` does not have (`check_title`) are ignored.
///
/// A line that is not a finding is skipped and listed with its line
/// number; the rest are read. Errors: an I/O error, or a file with no
/// finding at all while some line was skipped (not a findings report:
/// say an OCSF file), an inventory ([`ReadError::Inventory`]), an empty
/// or whitespace-only file ([`ReadError::Empty`]), or more than
/// [`MAX_REPORT_BYTES`].
pub fn read_findings<R: Read>(r: R, name: &str) -> Result<ReadFindings, ReadError> {
    read_findings_limited(r, name, MAX_REPORT_BYTES)
}

/// [`read_findings`] with another size limit, in bytes.
pub fn read_findings_limited<R: Read>(
    r: R,
    name: &str,
    limit: u64,
) -> Result<ReadFindings, ReadError> {
    let io_err = |source| ReadError::Io {
        name: name.to_string(),
        source,
    };
    let mut text = String::new();
    r.take(limit.saturating_add(1))
        .read_to_string(&mut text)
        .map_err(io_err)?;
    if text.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            name: name.to_string(),
            limit,
        });
    }
    if text.trim().is_empty() {
        return Err(ReadError::Empty {
            name: name.to_string(),
        });
    }
    if is_inventory(&text) {
        return Err(ReadError::Inventory {
            name: name.to_string(),
        });
    }
    let mut out = ReadFindings::default();
    if text.trim_start().starts_with('[') {
        let values: Vec<serde_json::Value> =
            serde_json::from_str(&text).map_err(|e| ReadError::NotFindings {
                name: name.to_string(),
                reason: e.to_string(),
            })?;
        for (i, v) in values.into_iter().enumerate() {
            match finding_from_json(v) {
                Ok(f) => out.findings.push(f),
                Err(e) => out.skipped.push(format!("{name}: element {i}: {e}")),
            }
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str(line).and_then(finding_from_json) {
                Ok(f) => out.findings.push(f),
                Err(e) => out.skipped.push(format!("{name}:{}: {e}", i + 1)),
            }
        }
    }
    if out.findings.is_empty() && !out.skipped.is_empty() {
        return Err(ReadError::NotFindings {
            name: name.to_string(),
            reason: out.skipped.swap_remove(0),
        });
    }
    Ok(out)
}

/// True when `text` is one JSON object with an `accounts` array (an
/// inventory of `saker posture collect`, [`crate::Inventory`]).
pub fn is_inventory(text: &str) -> bool {
    if !text.trim_start().starts_with('{') {
        return false;
    }
    serde_json::from_str::<serde_json::Value>(text)
        .ok()
        .and_then(|v| v.get("accounts").map(serde_json::Value::is_array))
        .unwrap_or(false)
}

/// A [`Finding`] from one JSON object of a report: `check_status`, when
/// present (the `--output json` form), is the verdict and replaces the
/// reported `status`.
///
/// # Errors
/// The object is not a finding (a field missing or of the wrong type).
pub fn finding_from_json(mut v: serde_json::Value) -> Result<Finding, serde_json::Error> {
    if let Some(o) = v.as_object_mut() {
        if let Some(verdict) = o.remove("check_status") {
            o.insert("status".into(), verdict);
        }
    }
    serde_json::from_value(v)
}
