//! Frameworks as data: the built-in files load and validate, CIS numbering
//! is pinned across versions (`../shared/reference/posture.md` §2),
//! user files are validated with file:line errors, and evaluation gives
//! the documented statuses and score.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Utc};
use saker_posture::checks::{all_checks, check_by_id, run_checks};
use saker_posture::finding::{Finding, Mute, Severity, Status};
use saker_posture::framework::{
    annotate, builtin, evaluate, resolve, Framework, RequirementStatus,
};
use saker_posture::inventory::{
    AccountInventory, Inventory, IpPermission, IpRange, Ipv6Range, RegionInventory, SecurityGroup,
};
use saker_posture::Params;

/// The sixteen core checks, C1…C16 (reference §6).
const CHECKS: &[&str] = &[
    "ec2_sg_open_admin_ports",
    "ec2_nacl_open_admin_ports",
    "ec2_sg_default_restricts_all",
    "ec2_ebs_default_encryption",
    "ec2_ebs_snapshot_public",
    "ec2_ami_public",
    "ec2_instance_public_ip",
    "ec2_instance_imdsv2_required",
    "ec2_serial_console_access",
    "ec2_eip_unused",
    "ec2_ebs_volume_encrypted",
    "vpc_flow_logs_enabled",
    "ec2_instance_profile_attached",
    "ec2_instance_stopped_too_long",
    "ec2_region_approved",
    "ec2_instance_image_approved",
];

fn repo(rel: &str) -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join(rel)
        .display()
        .to_string()
}

fn builtins() -> Vec<Framework> {
    builtin::load_all(CHECKS).unwrap_or_else(|e| panic!("{e}"))
}

fn get<'a>(fws: &'a [Framework], id: &str) -> &'a Framework {
    fws.iter()
        .find(|f| f.id == id)
        .unwrap_or_else(|| panic!("no framework {id}"))
}

/// The requirement ids of `fw` that name `check` (as written: `CHECK` or
/// `CHECK:FAMILY`).
fn reqs_of(fw: &Framework, check: &str) -> Vec<String> {
    fw.requirements
        .iter()
        .filter(|r| r.checks.iter().any(|c| c.text() == check))
        .map(|r| r.id.clone())
        .collect()
}

#[test]
fn the_reference_check_ids_are_the_registered_checks() {
    let registered: Vec<&str> = all_checks().iter().map(|c| c.meta().id).collect();
    assert_eq!(registered, CHECKS, "C1…C16 in order");
    builtin::load_all(&registered).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn builtin_frameworks_load_with_their_ids_and_versions() {
    let fws = builtins();
    let ids: Vec<(&str, &str)> = fws
        .iter()
        .map(|f| (f.id.as_str(), f.version.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("cis-aws-3.0", "3.0.0"),
            ("cis-aws-4.0", "4.0.1"),
            ("cis-aws-5.0", "5.0.0"),
            ("aws-fsbp", "1.0.0")
        ]
    );
    for f in &fws {
        assert!(f.origin.starts_with("built-in:"), "{}", f.origin);
        assert!(
            f.requirements.iter().all(|r| !r.title.is_empty()),
            "{}",
            f.id
        );
    }
}

/// (check, requirement ids in v3.0, v4.0.1, v5.0.0).
type Pinned = (
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static [&'static str],
);

#[test]
fn cis_numbering_is_pinned_per_version() {
    let fws = builtins();
    let (v3, v4, v5) = (
        get(&fws, "cis-aws-3.0"),
        get(&fws, "cis-aws-4.0"),
        get(&fws, "cis-aws-5.0"),
    );
    // (check, v3.0, v4.0.1, v5.0.0) — reference §2
    let table: &[Pinned] = &[
        ("ec2_sg_open_admin_ports", &[], &[], &[]),
        ("ec2_sg_open_admin_ports:ipv4", &["5.2"], &["5.3"], &["5.3"]),
        ("ec2_sg_open_admin_ports:ipv6", &["5.3"], &["5.4"], &["5.4"]),
        ("ec2_nacl_open_admin_ports", &["5.1"], &["5.2"], &["5.2"]),
        ("ec2_sg_default_restricts_all", &["5.4"], &["5.5"], &["5.5"]),
        (
            "ec2_ebs_default_encryption",
            &["2.2.1"],
            &["5.1.1"],
            &["5.1.1"],
        ),
        ("ec2_instance_imdsv2_required", &["5.6"], &["5.7"], &["5.7"]),
        ("vpc_flow_logs_enabled", &["3.7"], &["3.7"], &["3.7"]),
        (
            "ec2_instance_profile_attached",
            &["1.18"],
            &["1.18"],
            &["1.17"],
        ),
    ];
    for (check, a, b, c) in table {
        assert_eq!(reqs_of(v3, check), *a, "v3.0 {check}");
        assert_eq!(reqs_of(v4, check), *b, "v4.0 {check}");
        assert_eq!(reqs_of(v5, check), *c, "v5.0 {check}");
    }
    // The titles move with the numbers: 5.2 (v3.0) and 5.3 (v4.0/v5.0) are
    // the same IPv4 requirement.
    let title = |fw: &Framework, id: &str| {
        fw.requirements
            .iter()
            .find(|r| r.id == id)
            .unwrap()
            .title
            .clone()
    };
    assert_eq!(title(v3, "5.2"), title(v4, "5.3"));
    assert_eq!(title(v4, "5.3"), title(v5, "5.3"));
    assert!(title(v5, "5.3").contains("0.0.0.0/0"));
    assert!(title(v5, "5.4").contains("::/0"));
}

#[test]
fn uncovered_requirements_are_listed_without_checks() {
    let fws = builtins();
    let v4 = get(&fws, "cis-aws-4.0");
    let v5 = get(&fws, "cis-aws-5.0");
    let cifs4 = v4.requirements.iter().find(|r| r.id == "5.1.2").unwrap();
    let cifs5 = v5.requirements.iter().find(|r| r.id == "5.1.2").unwrap();
    assert!(cifs4.checks.is_empty() && cifs5.checks.is_empty());
    assert_eq!(
        (cifs4.automated, cifs5.automated),
        (Some(false), Some(true))
    );
    for fw in [get(&fws, "cis-aws-3.0"), v4, v5] {
        for id in ["4.10", "4.11", "4.12", "4.13", "4.14"] {
            let r = fw.requirements.iter().find(|r| r.id == id).unwrap();
            assert!(r.checks.is_empty(), "{} {id}", fw.id);
        }
    }
    assert!(!get(&fws, "cis-aws-3.0")
        .requirements
        .iter()
        .any(|r| r.id == "5.1.2"));
}

#[test]
fn fsbp_maps_ec2_controls_with_security_hub_severities() {
    let fws = builtins();
    let fsbp = get(&fws, "aws-fsbp");
    let control = |id: &str| fsbp.requirements.iter().find(|r| r.id == id);
    let expect: &[(&str, &str, Severity)] = &[
        ("EC2.1", "ec2_ebs_snapshot_public", Severity::Critical),
        ("EC2.2", "ec2_sg_default_restricts_all", Severity::High),
        ("EC2.3", "ec2_ebs_volume_encrypted", Severity::Medium),
        ("EC2.4", "ec2_instance_stopped_too_long", Severity::Medium),
        ("EC2.6", "vpc_flow_logs_enabled", Severity::Medium),
        ("EC2.7", "ec2_ebs_default_encryption", Severity::Medium),
        ("EC2.8", "ec2_instance_imdsv2_required", Severity::High),
        ("EC2.9", "ec2_instance_public_ip", Severity::High),
        ("EC2.21", "ec2_nacl_open_admin_ports", Severity::Medium),
    ];
    for (id, check, sev) in expect {
        let r = control(id).unwrap_or_else(|| panic!("{id}"));
        let names: Vec<String> = r.checks.iter().map(|c| c.text()).collect();
        assert_eq!(names, [*check], "{id}");
        assert_eq!(r.severity, Some(*sev), "{id}");
    }
    // Not in FSBP (PCI / CIS standards only).
    for id in ["EC2.12", "EC2.13", "EC2.14", "EC2.53", "EC2.54"] {
        assert!(control(id).is_none(), "{id} is not an FSBP control");
    }
    // EC2.19's port list is wider than the admin ports: not claimed.
    assert!(control("EC2.19").unwrap().checks.is_empty());
}

#[test]
fn the_example_company_framework_covers_every_check() {
    let fw = Framework::load_file(
        Path::new(&repo("frameworks/examples/company-baseline.yaml")),
        CHECKS,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let named: HashSet<&str> = fw
        .requirements
        .iter()
        .flat_map(|r| r.checks.iter().map(|c| c.check_id.as_str()))
        .collect();
    assert_eq!(named, CHECKS.iter().copied().collect());
}

#[test]
fn unknown_checks_and_duplicate_ids_are_errors_with_lines() {
    let text = "\
id: mine
name: Mine
version: '1'
requirements:
  - id: A
    title: a
    checks: [ec2_sg_open_admin_ports, ec2_no_such_check]
  - id: B
    title: b
    checks: []
    severity: urgent
  - id: A
    title: again
    checks: [ec2_eip_unused, ec2_eip_unused]
";
    let e = Framework::from_yaml(text, "mine.yaml", CHECKS).unwrap_err();
    let lines: Vec<String> = e.to_string().lines().map(String::from).collect();
    assert_eq!(lines.len(), 4, "{e}");
    assert!(
        lines[0].starts_with("mine.yaml:7:")
            && lines[0].contains("unknown check id \"ec2_no_such_check\""),
        "{e}"
    );
    assert!(
        lines[1].starts_with("mine.yaml:11:") && lines[1].contains("unknown severity \"urgent\""),
        "{e}"
    );
    assert!(
        lines[2].starts_with("mine.yaml:12:")
            && lines[2].contains("duplicate requirement id \"A\" (first at line 5)"),
        "{e}"
    );
    assert!(
        lines[3].starts_with("mine.yaml:14:") && lines[3].contains("listed twice"),
        "{e}"
    );

    let e = Framework::from_yaml(
        "\
id: q
name: Q
version: '1'
requirements:
  - id: A
    title: a
    checks:
      - ec2_sg_open_admin_ports:ipv5
      - 'ec2_eip_unused:ipv4'
  - id: B
    title: b
    checks: [\"ec2_sg_open_admin_ports:ipv4\", ec2_sg_open_admin_ports]
",
        "q.yaml",
        CHECKS,
    )
    .unwrap_err();
    let lines: Vec<String> = e.to_string().lines().map(String::from).collect();
    assert_eq!(lines.len(), 3, "{e}");
    assert!(
        lines[0].starts_with("q.yaml:8:")
            && lines[0].contains("unknown address family \"ipv5\": expected ipv4 or ipv6"),
        "{e}"
    );
    assert!(
        lines[1].starts_with("q.yaml:9:")
            && lines[1].contains("check \"ec2_eip_unused\" takes no qualifier"),
        "{e}"
    );
    assert!(
        lines[2].starts_with("q.yaml:12:") && lines[2].contains("listed twice"),
        "{e}"
    );

    let e = Framework::from_yaml(
        "id: x\nname: X\nversion: '1'\nrequirements:\n  - id: A\n    titel: a\n    checks: []\n",
        "x.yaml",
        CHECKS,
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("x.yaml:6:5: unknown field `titel`"),
        "{e}"
    );
}

#[test]
fn resolve_takes_builtin_ids_and_files_and_rejects_the_rest() {
    let all = resolve(&[], CHECKS).unwrap();
    assert_eq!(all.len(), builtin::BUILTIN.len());
    let picked = resolve(
        &[
            "cis-aws-5.0".to_string(),
            repo("frameworks/examples/company-baseline.yaml"),
        ],
        CHECKS,
    )
    .unwrap();
    assert_eq!(picked[0].id, "cis-aws-5.0");
    assert_eq!(picked[1].id, "example-corp-ec2-baseline");
    let e = resolve(&["cis-aws-9.9".to_string()], CHECKS).unwrap_err();
    assert!(
        e.to_string().contains("cis-aws-9.9: no such framework"),
        "{e}"
    );
    let e = resolve(&["aws-fsbp".to_string(), "aws-fsbp".to_string()], CHECKS).unwrap_err();
    assert!(e.to_string().contains("also the id of"), "{e}");
}

fn finding(check: &str, resource: &str, status: Status) -> Finding {
    Finding {
        finding_id: Finding::id_for(check, "111122223333", "eu-west-1", resource),
        check_id: check.into(),
        status,
        severity: Severity::High,
        account_id: "111122223333".into(),
        region: "eu-west-1".into(),
        resource_id: resource.into(),
        resource_type: "AwsEc2SecurityGroup".into(),
        detail: String::new(),
        evidence: Default::default(),
        requirements: Default::default(),
        muted: None,
        changed_by: None,
    }
}

#[test]
fn evaluation_statuses_and_score() {
    let fw = Framework::from_yaml(
        "\
id: t
name: T
version: '1'
requirements:
  - {id: FAILS, title: f, checks: [ec2_sg_open_admin_ports]}
  - {id: MUTED, title: m, checks: [ec2_eip_unused]}
  - {id: NE, title: n, checks: [ec2_ebs_default_encryption, ec2_ami_public]}
  - {id: NONE, title: z, checks: [ec2_ebs_snapshot_public]}
  - {id: NOTRUN, title: r, checks: [ec2_region_approved]}
  - {id: MAN, title: x, checks: []}
  - {id: OK, title: o, checks: [ec2_sg_default_restricts_all]}
",
        "t.yaml",
        CHECKS,
    )
    .unwrap();
    let mut muted = finding("ec2_eip_unused", "eipalloc-1", Status::Fail);
    muted.muted = Some(Mute {
        reason: "DR".into(),
        entry: "m.yaml:2".into(),
    });
    let mut findings = vec![
        finding("ec2_sg_open_admin_ports", "sg-1", Status::Fail),
        finding("ec2_sg_open_admin_ports", "sg-1", Status::Fail),
        finding("ec2_sg_open_admin_ports", "sg-2", Status::Fail),
        finding("ec2_sg_open_admin_ports", "sg-3", Status::Pass),
        muted,
        finding("ec2_ebs_default_encryption", "eu-west-1", Status::Pass),
        finding("ec2_ami_public", "eu-west-1", Status::NotEvaluated),
        finding("ec2_sg_default_restricts_all", "sg-9", Status::Pass),
    ];
    let run: HashSet<&str> = CHECKS
        .iter()
        .copied()
        .filter(|c| *c != "ec2_region_approved")
        .collect();
    let result = evaluate(&fw, &findings, &run);
    let statuses: Vec<(&str, RequirementStatus)> = result
        .requirements
        .iter()
        .map(|r| (r.requirement.id.as_str(), r.status))
        .collect();
    assert_eq!(
        statuses,
        [
            ("FAILS", RequirementStatus::Fail),
            ("MUTED", RequirementStatus::Pass),
            ("NE", RequirementStatus::NotEvaluated),
            ("NONE", RequirementStatus::NoResources),
            ("NOTRUN", RequirementStatus::NotEvaluated),
            ("MAN", RequirementStatus::Manual),
            ("OK", RequirementStatus::Pass),
        ]
    );
    let fails = &result.requirements[0];
    assert_eq!(
        (fails.failed, fails.passed, fails.failing_resources),
        (3, 1, 2)
    );
    assert_eq!(result.requirements[1].muted, 1);
    assert_eq!(
        result.requirements[4].checks_not_run,
        ["ec2_region_approved"]
    );
    let s = result.score();
    assert_eq!(
        (
            s.passed,
            s.failed,
            s.not_evaluated,
            s.no_resources,
            s.manual
        ),
        (2, 1, 2, 1, 1)
    );
    assert!((s.percent().unwrap() - 200.0 / 3.0).abs() < 1e-9);

    annotate(&mut findings, &builtins());
    let sg = &findings[0].requirements;
    assert_eq!(sg["cis-aws-3.0"], ["5.2", "5.3"]);
    assert_eq!(sg["cis-aws-5.0"], ["5.3", "5.4"]);
    assert!(!sg.contains_key("aws-fsbp"), "no FSBP control claims C1");
    assert_eq!(findings[5].requirements["aws-fsbp"], ["EC2.7"]);
}

// ---- address-family qualifiers on real C1 findings --------------------------

fn admin_rule(port: i32, v4: &[&str], v6: &[&str]) -> IpPermission {
    IpPermission {
        ip_protocol: "tcp".into(),
        from_port: Some(port),
        to_port: Some(port),
        ip_ranges: v4
            .iter()
            .map(|c| IpRange {
                cidr_ip: (*c).into(),
            })
            .collect(),
        ipv6_ranges: v6
            .iter()
            .map(|c| Ipv6Range {
                cidr_ipv6: (*c).into(),
            })
            .collect(),
        prefix_list_ids: vec![],
        user_id_group_pairs: vec![],
    }
}

/// The findings of the real C1 check on a region holding one group with
/// `rules`.
fn c1_findings(rules: Vec<IpPermission>) -> Vec<Finding> {
    let mut region = RegionInventory::new("eu-west-1");
    region.security_groups = Some(vec![SecurityGroup {
        group_id: "sg-0123456789abcdef0".into(),
        group_name: "web".into(),
        vpc_id: Some("vpc-1".into()),
        owner_id: Some("111122223333".into()),
        ip_permissions: rules,
        ip_permissions_egress: vec![],
        tags: vec![],
    }]);
    region.managed_prefix_lists = Some(vec![]);
    let mut inv = Inventory::new("2026-11-29T12:00:00Z");
    inv.accounts.push(AccountInventory {
        account_id: "111122223333".into(),
        partition: "aws".into(),
        role_arn: None,
        all_regions: None,
        instance_profiles: None,
        regions: vec![region],
        errors: BTreeMap::new(),
    });
    let now: DateTime<Utc> = "2026-11-29T12:00:00Z".parse().unwrap();
    let c1 = check_by_id("ec2_sg_open_admin_ports").unwrap();
    run_checks(&[c1], &inv, &Params::default(), now)
}

/// (status of the IPv4 requirement, status of the IPv6 requirement,
/// requirement ids annotated on the finding) in `framework`.
fn sg_requirements(
    framework: &str,
    v4: &str,
    v6: &str,
    findings: &mut [Finding],
) -> (RequirementStatus, RequirementStatus, Vec<String>) {
    let fws = builtins();
    let fw = get(&fws, framework);
    let run: HashSet<&str> = CHECKS.iter().copied().collect();
    let result = evaluate(fw, findings, &run);
    let status = |id: &str| {
        result
            .requirements
            .iter()
            .find(|r| r.requirement.id == id)
            .unwrap()
            .status
    };
    let (a, b) = (status(v4), status(v6));
    annotate(findings, &fws);
    let ids = findings[0]
        .requirements
        .get(framework)
        .cloned()
        .unwrap_or_default();
    (a, b, ids)
}

#[test]
fn a_group_open_only_on_ipv4_fails_the_ipv4_requirement_and_passes_the_ipv6_one() {
    use RequirementStatus::{Fail, Pass};
    let mut f = c1_findings(vec![admin_rule(22, &["0.0.0.0/0"], &["2001:db8::/32"])]);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].status, Status::Fail);
    assert_eq!(
        f[0].evidence["OpenAddressFamilies"],
        serde_json::json!(["ipv4"])
    );
    assert_eq!(
        sg_requirements("cis-aws-5.0", "5.3", "5.4", &mut f),
        (Fail, Pass, vec!["5.3".to_string()])
    );
    let mut f = c1_findings(vec![admin_rule(22, &["0.0.0.0/0"], &[])]);
    assert_eq!(
        sg_requirements("cis-aws-3.0", "5.2", "5.3", &mut f),
        (Fail, Pass, vec!["5.2".to_string()])
    );
}

#[test]
fn a_group_open_only_on_ipv6_fails_the_ipv6_requirement_and_passes_the_ipv4_one() {
    use RequirementStatus::{Fail, Pass};
    let mut f = c1_findings(vec![admin_rule(3389, &["203.0.113.0/24"], &["::/0"])]);
    assert_eq!(
        f[0].evidence["OpenAddressFamilies"],
        serde_json::json!(["ipv6"])
    );
    assert_eq!(
        sg_requirements("cis-aws-5.0", "5.3", "5.4", &mut f),
        (Pass, Fail, vec!["5.4".to_string()])
    );
    let mut f = c1_findings(vec![admin_rule(3389, &[], &["::/0"])]);
    assert_eq!(
        sg_requirements("cis-aws-4.0", "5.3", "5.4", &mut f),
        (Pass, Fail, vec!["5.4".to_string()])
    );
}

#[test]
fn a_group_open_on_both_families_fails_both_and_a_closed_one_passes_both() {
    use RequirementStatus::{Fail, Pass};
    let mut f = c1_findings(vec![
        admin_rule(22, &["0.0.0.0/0"], &[]),
        admin_rule(3389, &[], &["::/0"]),
    ]);
    assert_eq!(
        f[0].evidence["OpenAddressFamilies"],
        serde_json::json!(["ipv4", "ipv6"])
    );
    let both = vec!["5.3".to_string(), "5.4".to_string()];
    assert_eq!(
        sg_requirements("cis-aws-5.0", "5.3", "5.4", &mut f),
        (Fail, Fail, both.clone())
    );
    let mut f = c1_findings(vec![admin_rule(22, &["198.51.100.7/32"], &[])]);
    assert_eq!(f[0].status, Status::Pass);
    assert!(!f[0].evidence.contains_key("OpenAddressFamilies"));
    assert_eq!(
        sg_requirements("cis-aws-5.0", "5.3", "5.4", &mut f),
        (Pass, Pass, both)
    );
}

#[test]
fn a_saved_failure_without_families_fails_both_requirements() {
    // Findings written before C1 recorded OpenAddressFamilies (or edited by
    // hand) say nothing about the family: never read as closed.
    use RequirementStatus::Fail;
    let mut f = vec![finding("ec2_sg_open_admin_ports", "sg-1", Status::Fail)];
    assert_eq!(
        sg_requirements("cis-aws-5.0", "5.3", "5.4", &mut f),
        (Fail, Fail, vec!["5.3".to_string(), "5.4".to_string()])
    );
}
