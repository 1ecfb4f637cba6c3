//! A requirement's reference to a check, optionally qualified by address
//! family: `ec2_sg_open_admin_ports` or `ec2_sg_open_admin_ports:ipv4`.
//!
//! CIS AWS splits world-open admin ports on security groups into an IPv4
//! requirement (`0.0.0.0/0`: 5.2 in v3.0, 5.3 in v4.0/v5.0) and an IPv6 one
//! (`::/0`: 5.3 in v3.0, 5.4 in v4.0/v5.0), while C1 judges both families
//! in one finding per group. A failing C1 finding records the families that
//! are open under [`OPEN_ADDRESS_FAMILIES`]; a requirement naming
//! `CHECK:FAMILY` counts such a finding as FAIL only when `FAMILY` is among
//! them, and as PASS otherwise (the group is not open on that family).
//! A failing finding without the key (saved by an older saker) fails every
//! family: unknown is never read as closed.

use crate::checks::net::Family;
use crate::checks::sg::{family_key, parse_family_key, OPEN_ADDRESS_FAMILIES};
use crate::finding::{Finding, Status};

/// The checks whose failing findings record [`OPEN_ADDRESS_FAMILIES`] and
/// so accept a `:ipv4` / `:ipv6` qualifier.
pub const FAMILY_QUALIFIED_CHECKS: &[&str] = &["ec2_sg_open_admin_ports"];

/// One entry of a requirement's `checks:` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRef {
    /// The check id (`ec2_sg_open_admin_ports`).
    pub check_id: String,
    /// `Some` when written `CHECK:ipv4` or `CHECK:ipv6`: only failures on
    /// that family fail the requirement.
    pub family: Option<Family>,
}

impl CheckRef {
    /// Parse `CHECK` or `CHECK:FAMILY` against `known_checks`.
    ///
    /// # Errors
    /// An unknown check id, an unknown family (only `ipv4` and `ipv6`), or
    /// a family on a check outside [`FAMILY_QUALIFIED_CHECKS`]; the message
    /// says which.
    pub fn parse(text: &str, known_checks: &[&str]) -> Result<CheckRef, String> {
        let (id, qualifier) = match text.split_once(':') {
            Some((id, q)) => (id, Some(q)),
            None => (text, None),
        };
        if !known_checks.contains(&id) {
            return Err(format!(
                "unknown check id {id:?} (known: {})",
                known_checks.join(", ")
            ));
        }
        let family = match qualifier {
            None => None,
            Some(q) => {
                if !FAMILY_QUALIFIED_CHECKS.contains(&id) {
                    return Err(format!(
                        "check {id:?} takes no qualifier (\":{q}\"): only {} record address families",
                        FAMILY_QUALIFIED_CHECKS.join(", ")
                    ));
                }
                Some(parse_family_key(q).ok_or_else(|| {
                    format!("{text:?}: unknown address family {q:?}: expected ipv4 or ipv6")
                })?)
            }
        };
        Ok(CheckRef {
            check_id: id.to_string(),
            family,
        })
    }

    /// `CHECK` or `CHECK:FAMILY`, as written in framework files.
    pub fn text(&self) -> String {
        match self.family {
            None => self.check_id.clone(),
            Some(f) => format!("{}:{}", self.check_id, family_key(f)),
        }
    }

    /// Whether `finding` is one of this reference's check.
    pub fn names(&self, finding: &Finding) -> bool {
        finding.check_id == self.check_id
    }

    /// The status `finding` (of this check) has for a requirement naming
    /// this reference: its own status, except a FAIL whose
    /// [`OPEN_ADDRESS_FAMILIES`] evidence lacks this reference's family,
    /// which is PASS.
    pub fn status_of(&self, finding: &Finding) -> Status {
        match (self.family, finding.status) {
            (Some(family), Status::Fail) if !fails_family(finding, family) => Status::Pass,
            (_, status) => status,
        }
    }
}

/// Whether a failing `finding` is open on `family`: listed in its
/// [`OPEN_ADDRESS_FAMILIES`] evidence, or the evidence is missing or not a
/// list of strings (unknown counts as open).
fn fails_family(finding: &Finding, family: Family) -> bool {
    let Some(list) = finding
        .evidence
        .get(OPEN_ADDRESS_FAMILIES)
        .and_then(|v| v.as_array())
    else {
        return true;
    };
    let keys: Option<Vec<&str>> = list.iter().map(|v| v.as_str()).collect();
    match keys {
        Some(keys) => keys.contains(&family_key(family)),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KNOWN: &[&str] = &["ec2_sg_open_admin_ports", "ec2_eip_unused"];

    #[test]
    fn parses_plain_and_qualified_references() {
        let plain = CheckRef::parse("ec2_eip_unused", KNOWN).unwrap();
        assert_eq!(plain.family, None);
        let v6 = CheckRef::parse("ec2_sg_open_admin_ports:ipv6", KNOWN).unwrap();
        assert_eq!(
            (v6.check_id.as_str(), v6.family),
            ("ec2_sg_open_admin_ports", Some(Family::V6))
        );
        assert_eq!(v6.text(), "ec2_sg_open_admin_ports:ipv6");
    }

    #[test]
    fn bad_qualifiers_are_explained() {
        let e = CheckRef::parse("ec2_sg_open_admin_ports:ipv5", KNOWN).unwrap_err();
        assert!(e.contains("unknown address family \"ipv5\""), "{e}");
        let e = CheckRef::parse("ec2_eip_unused:ipv4", KNOWN).unwrap_err();
        assert!(e.contains("takes no qualifier"), "{e}");
        let e = CheckRef::parse("nope:ipv4", KNOWN).unwrap_err();
        assert!(e.contains("unknown check id \"nope\""), "{e}");
    }

    fn fail_with(evidence: Option<serde_json::Value>) -> Finding {
        let mut f: Finding = serde_json::from_value(json!({
            "finding_id": "x", "check_id": "ec2_sg_open_admin_ports", "status": "FAIL",
            "severity": "high", "account_id": "1", "region": "r", "resource_id": "sg-1",
            "resource_type": "AwsEc2SecurityGroup", "detail": ""
        }))
        .unwrap();
        if let Some(v) = evidence {
            f.evidence.insert(OPEN_ADDRESS_FAMILIES.into(), v);
        }
        f
    }

    #[test]
    fn a_failure_counts_only_on_its_families_and_unknown_fails_all() {
        let v4 = CheckRef::parse("ec2_sg_open_admin_ports:ipv4", KNOWN).unwrap();
        let v6 = CheckRef::parse("ec2_sg_open_admin_ports:ipv6", KNOWN).unwrap();
        let only_v4 = fail_with(Some(json!(["ipv4"])));
        assert_eq!(v4.status_of(&only_v4), Status::Fail);
        assert_eq!(v6.status_of(&only_v4), Status::Pass);
        for unknown in [fail_with(None), fail_with(Some(json!("ipv4")))] {
            assert_eq!(v6.status_of(&unknown), Status::Fail);
        }
        let mut pass = fail_with(None);
        pass.status = Status::Pass;
        assert_eq!(v6.status_of(&pass), Status::Pass);
    }
}
