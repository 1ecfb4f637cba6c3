//! `saker posture check|diff|frameworks` end to end through the binary, on
//! inventories written from the model types into a temporary directory:
//! framework tables and scores, JSON findings with requirement ids and
//! mutes, --fail-on exit codes, escaping of hostile resource ids, every
//! report format, diff between two runs, and the errors for corrupt,
//! newer, missing inventories and bad framework/mutelist files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use saker_posture::inventory::{
    AccountInventory, CollectError, Inventory, IpPermission, IpRange, RegionInventory,
    RegionStatus, SecurityGroup, Tag,
};
use serde_json::Value;

mod moto;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
/// A group id an attacker cannot choose, but a name-like id with a
/// terminal escape stands for any attacker-shaped text in a cell.
const EVIL: &str = "sg-0e\x1b[2J\u{202e}vil";

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .expect("run saker")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn repo(rel: &str) -> String {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .join(rel)
        .display()
        .to_string()
}

fn sg(id: &str, name: &str, open: &[(&str, i32)], tags: &[(&str, &str)]) -> SecurityGroup {
    SecurityGroup {
        group_id: id.into(),
        group_name: name.into(),
        vpc_id: Some("vpc-1".into()),
        owner_id: Some(ACCOUNT.into()),
        ip_permissions: open
            .iter()
            .map(|(cidr, port)| IpPermission {
                ip_protocol: "tcp".into(),
                from_port: Some(*port),
                to_port: Some(*port),
                ip_ranges: vec![IpRange {
                    cidr_ip: cidr.to_string(),
                }],
                ipv6_ranges: vec![],
                prefix_list_ids: vec![],
                user_id_group_pairs: vec![],
            })
            .collect(),
        ip_permissions_egress: vec![],
        tags: tags
            .iter()
            .map(|(k, v)| Tag {
                key: k.to_string(),
                value: v.to_string(),
            })
            .collect(),
    }
}

/// One account, one region: `sg-open` (22 from 0.0.0.0/0, tagged
/// role=bastion), `sg-closed`, the hostile-id group (3389 from 0.0.0.0/0),
/// an empty default group, EBS default encryption off, snapshots denied;
/// no instances, volumes, VPCs…
fn inventory(open_bastion: bool) -> Inventory {
    let mut r = RegionInventory::new(REGION);
    let bastion: &[(&str, i32)] = if open_bastion {
        &[("0.0.0.0/0", 22)]
    } else {
        &[("10.0.0.0/8", 22)]
    };
    r.security_groups = Some(vec![
        sg("sg-open", "bastion", bastion, &[("role", "bastion")]),
        sg("sg-closed", "web", &[("10.0.0.0/8", 443)], &[]),
        sg(EVIL, "evil", &[("0.0.0.0/0", 3389)], &[]),
        sg("sg-default", "default", &[], &[]),
    ]);
    r.managed_prefix_lists = Some(vec![]);
    r.network_acls = Some(vec![]);
    r.instances = Some(vec![]);
    r.volumes = Some(vec![]);
    r.images = Some(vec![]);
    r.instance_images = Some(vec![]);
    r.addresses = Some(vec![]);
    r.vpcs = Some(vec![]);
    r.subnets = Some(vec![]);
    r.route_tables = Some(vec![]);
    r.flow_logs = Some(vec![]);
    r.ebs_encryption_by_default = Some(false);
    r.errors.insert(
        "DescribeSnapshots".into(),
        CollectError {
            code: "UnauthorizedOperation".into(),
            message: "You are not authorized to perform this operation.".into(),
        },
    );
    let mut inv = Inventory::new("2026-11-29T10:00:00Z");
    inv.accounts.push(AccountInventory {
        account_id: ACCOUNT.into(),
        partition: "aws".into(),
        role_arn: None,
        all_regions: Some(vec![RegionStatus {
            region_name: REGION.into(),
            opt_in_status: Some("opt-in-not-required".into()),
        }]),
        instance_profiles: Some(vec![]),
        regions: vec![r],
        errors: BTreeMap::new(),
    });
    inv
}

fn write_inventory(dir: &Path, name: &str, inv: &Inventory) -> String {
    let p = dir.join(name);
    inv.save(&p).unwrap();
    p.display().to_string()
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let p: PathBuf = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p.display().to_string()
}

fn json_lines(out: &Output) -> Vec<Value> {
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn by_resource<'a>(lines: &'a [Value], check: &str, resource: &str) -> &'a Value {
    lines
        .iter()
        .find(|v| v["check_id"] == check && v["resource_id"] == resource)
        .unwrap_or_else(|| panic!("no {check} finding on {resource}"))
}

#[test]
fn table_shows_each_framework_with_score_and_escaped_findings() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write_inventory(dir.path(), "inv.json", &inventory(true));
    let out = saker(&[
        "posture",
        "check",
        &inv,
        "--framework",
        "cis-aws-5.0",
        "--framework",
        &repo("frameworks/examples/company-baseline.yaml"),
    ]);
    let stdout = text(&out.stdout);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stdout.contains("CIS AWS Foundations Benchmark v5.0.0 (cis-aws-5.0)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Example Corp EC2 baseline v2026.1 (example-corp-ec2-baseline)"),
        "{stdout}"
    );
    let row = |id: &str| {
        stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row {id}:\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    // 5.3: two groups open to 0.0.0.0/0 on admin ports.
    assert_eq!(row("5.3")[..3], ["5.3", "FAIL", "2"]);
    assert_eq!(row("5.1.1")[..3], ["5.1.1", "FAIL", "1"]);
    assert_eq!(row("5.5")[..2], ["5.5", "PASS"]);
    assert_eq!(row("5.1.2")[..3], ["5.1.2", "MANUAL", "-"]);
    assert_eq!(row("3.7")[..2], ["3.7", "NO_RESOURCES"]);
    assert_eq!(row("NET-01")[..3], ["NET-01", "FAIL", "2"]);
    // snapshots were denied: never a pass
    assert_eq!(row("DATA-02")[..2], ["DATA-02", "NOT_EVALUATED"]);
    assert!(stdout.contains("  score: "), "{stdout}");
    // the findings table: hostile text escaped, never raw
    assert!(
        !stdout.contains('\x1b') && !stdout.contains('\u{202e}'),
        "{stdout:?}"
    );
    assert!(stdout.contains("sg-0e\\x1b[2J\\u{202e}vil"), "{stdout}");
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("FAIL") && l.contains("sg-open")),
        "{stdout}"
    );
    assert!(
        !stdout.lines().any(|l| l.contains("sg-closed")),
        "PASS rows are only counted:\n{stdout}"
    );
    assert!(stdout.contains("findings: "), "{stdout}");
    assert!(
        stderr.contains("partial inventory: 1 API call(s) failed"),
        "{stderr}"
    );
    assert!(
        stderr.contains("DescribeSnapshots: UnauthorizedOperation"),
        "{stderr}"
    );
}

#[test]
fn json_lines_carry_status_requirements_and_mutes() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write_inventory(dir.path(), "inv.json", &inventory(true));
    let mutelist = write(
        dir.path(),
        "mute.yaml",
        "# accepted\nmutelist:\n  - check: ec2_sg_open_admin_ports\n    tags: [role=bastion]\n    reason: bastion, reviewed by secops\n  - resource: sg-gone\n    reason: stale entry\n",
    );
    let out = saker(&[
        "posture",
        "check",
        &inv,
        "--output",
        "json",
        "--mutelist",
        &mutelist,
    ]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let lines = json_lines(&out);
    assert!(!lines.is_empty());
    for v in &lines {
        for key in [
            "finding_id",
            "check_id",
            "status",
            "check_status",
            "severity",
            "account_id",
            "region",
            "resource_id",
            "resource_type",
            "requirements",
            "detail",
            "evidence",
        ] {
            assert!(v.get(key).is_some(), "{key} missing in {v}");
        }
    }
    let open = by_resource(&lines, "ec2_sg_open_admin_ports", "sg-open");
    assert_eq!(open["status"], "MUTED");
    assert_eq!(open["check_status"], "FAIL");
    assert_eq!(open["muted"]["reason"], "bastion, reviewed by secops");
    assert_eq!(open["muted"]["entry"], format!("{mutelist}:3"));
    assert_eq!(
        open["finding_id"],
        format!("saker-ec2_sg_open_admin_ports-{ACCOUNT}-{REGION}-sg-open")
    );
    assert_eq!(open["account_id"], ACCOUNT);
    assert_eq!(open["resource_type"], "AwsEc2SecurityGroup");
    // Open to 0.0.0.0/0 only: the IPv4 requirement, not the ::/0 one.
    assert_eq!(
        open["evidence"]["OpenAddressFamilies"],
        serde_json::json!(["ipv4"])
    );
    assert_eq!(
        open["requirements"]["cis-aws-3.0"],
        serde_json::json!(["5.2"])
    );
    assert_eq!(
        open["requirements"]["cis-aws-5.0"],
        serde_json::json!(["5.3"])
    );
    let evil = by_resource(&lines, "ec2_sg_open_admin_ports", EVIL);
    assert_eq!(evil["status"], "FAIL");
    assert!(evil["muted"].is_null());
    assert_eq!(
        by_resource(&lines, "ec2_sg_open_admin_ports", "sg-closed")["status"],
        "PASS"
    );
    let ebs = by_resource(&lines, "ec2_ebs_default_encryption", REGION);
    assert_eq!(
        (ebs["status"].as_str(), ebs["severity"].as_str()),
        (Some("FAIL"), Some("medium"))
    );
    assert_eq!(
        ebs["requirements"]["aws-fsbp"],
        serde_json::json!(["EC2.7"])
    );
    let snap = lines
        .iter()
        .find(|v| v["check_id"] == "ec2_ebs_snapshot_public")
        .expect("a snapshot finding");
    assert_eq!(snap["status"], "NOT_EVALUATED");
    assert!(
        snap["detail"]
            .as_str()
            .unwrap()
            .contains("UnauthorizedOperation"),
        "{snap}"
    );
    assert!(stderr.contains("1 finding(s) muted"), "{stderr}");
    assert!(
        stderr.contains(&format!("mutelist entry {mutelist}:6 muted nothing")),
        "{stderr}"
    );
}

#[test]
fn fail_on_counts_unmuted_failures_at_or_above_the_severity() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write_inventory(dir.path(), "inv.json", &inventory(true));
    let lines = json_lines(&saker(&["posture", "check", &inv, "--output", "json"]));
    let rank = |s: &str| {
        ["informational", "low", "medium", "high", "critical"]
            .iter()
            .position(|x| *x == s)
            .unwrap()
    };
    for sev in ["informational", "low", "medium", "high", "critical"] {
        let expect_fail = lines
            .iter()
            .any(|v| v["status"] == "FAIL" && rank(v["severity"].as_str().unwrap()) >= rank(sev));
        let out = saker(&[
            "posture",
            "check",
            &inv,
            "--output",
            "json",
            "--fail-on",
            sev,
        ]);
        assert_eq!(
            out.status.code(),
            Some(if expect_fail { 1 } else { 0 }),
            "--fail-on {sev}: {}",
            text(&out.stderr)
        );
    }
    // at least one failure exists, so informational fires…
    let out = saker(&["posture", "check", &inv, "--fail-on", "informational"]);
    assert_eq!(out.status.code(), Some(1));
    // …and muting everything (with a reason) silences it, while the
    // findings stay in the report as MUTED.
    let all = write(
        dir.path(),
        "all.yaml",
        "mutelist:\n  - check: \"*\"\n    reason: lab account\n",
    );
    let out = saker(&[
        "posture",
        "check",
        &inv,
        "--output",
        "json",
        "--mutelist",
        &all,
        "--fail-on",
        "informational",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let muted = json_lines(&out);
    assert_eq!(muted.len(), lines.len());
    assert!(muted.iter().all(|v| v["status"] == "MUTED"));
    let out = saker(&["posture", "check", &inv, "--fail-on", "urgent"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid severity 'urgent'"));
}

#[test]
fn every_report_format_writes_the_same_findings() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write_inventory(dir.path(), "inv.json", &inventory(true));
    let n = json_lines(&saker(&["posture", "check", &inv, "--output", "json"])).len();
    let run = |fmt: &str| {
        let file = dir.path().join(format!("report.{fmt}"));
        let out = saker(&[
            "posture",
            "check",
            &inv,
            "--output",
            fmt,
            "--out",
            file.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{fmt}: {}", text(&out.stderr));
        assert!(out.stdout.is_empty(), "{fmt}: the report goes to --out");
        assert!(text(&out.stderr).contains("findings: "), "{fmt}");
        std::fs::read_to_string(file).unwrap()
    };
    let ocsf: Vec<Value> = serde_json::from_str(&run("ocsf")).unwrap();
    assert_eq!(ocsf.len(), n);
    assert!(ocsf.iter().all(|e| e["class_uid"] == 2004));
    let csv = run("csv");
    assert_eq!(csv.lines().count(), n + 1, "header + one row per finding");
    let html = run("html");
    assert!(
        html.starts_with("<!DOCTYPE html>") || html.starts_with("<!doctype html>"),
        "{}",
        &html[..80.min(html.len())]
    );
    assert!(!html.contains('\x1b'));
    let table = run("table");
    assert!(
        table.contains("cis-aws-4.0") && table.contains("aws-fsbp"),
        "all built-ins by default"
    );
}

#[test]
fn diff_between_two_runs_names_what_was_fixed() {
    let dir = tempfile::tempdir().unwrap();
    let before = write_inventory(dir.path(), "before.json", &inventory(true));
    let after = write_inventory(dir.path(), "after.json", &inventory(false));
    let report = |inv: &str, name: &str| {
        let p = dir.path().join(name);
        let out = saker(&[
            "posture",
            "check",
            inv,
            "--output",
            "json",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        p.display().to_string()
    };
    let old = report(&before, "old.json");
    let new = report(&after, "new.json");
    let out = saker(&["posture", "diff", &old, &new, "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    let fixed: Vec<&str> = d["fixed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["resource_id"].as_str().unwrap())
        .collect();
    assert_eq!(fixed, ["sg-open"]);
    assert!(d["new_failures"].as_array().unwrap().is_empty());
    // the other way round, the bastion is a new failure
    let out = saker(&["posture", "diff", &new, &old, "--fail-on-new"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("sg-open"));
    let out = saker(&["posture", "diff", &old, &new, "--fail-on-new"]);
    assert_eq!(out.status.code(), Some(0));
    let out = saker(&["posture", "diff", &old, &before]);
    assert_eq!(out.status.code(), Some(2), "an inventory is not a report");
    assert!(
        text(&out.stderr).contains(&format!(
            "{before} is an inventory: run `saker posture check"
        )),
        "{}",
        text(&out.stderr)
    );

    // A findings report given to check: said so, not a serde error.
    let out = saker(&["posture", "check", &old]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&format!("{old} is a findings report, not an inventory")),
        "{}",
        text(&out.stderr)
    );

    // An empty or whitespace-only report is an error naming the file.
    for (name, content) in [("empty.json", ""), ("blank.json", " \n\n")] {
        let empty = write(dir.path(), name, content);
        let out = saker(&["posture", "diff", &old, &empty]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
        assert!(
            text(&out.stderr).contains(&format!("{empty}: empty file")),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn diff_fail_on_new_sees_a_new_exposure_on_a_group_already_failing() {
    let dir = tempfile::tempdir().unwrap();
    // sg-open: port 22 from 0.0.0.0/0, then port 3389 from ::/0 only.
    let before = write_inventory(dir.path(), "before.json", &inventory(true));
    let mut changed = inventory(true);
    let groups = changed.accounts[0].regions[0]
        .security_groups
        .as_mut()
        .unwrap();
    let g = groups.iter_mut().find(|g| g.group_id == "sg-open").unwrap();
    let perm = &mut g.ip_permissions[0];
    perm.from_port = Some(3389);
    perm.to_port = Some(3389);
    perm.ip_ranges.clear();
    perm.ipv6_ranges = vec![saker_posture::inventory::Ipv6Range {
        cidr_ipv6: "::/0".into(),
    }];
    let after = write_inventory(dir.path(), "after.json", &changed);
    let report = |inv: &str, name: &str| {
        let p = dir.path().join(name);
        let out = saker(&[
            "posture",
            "check",
            inv,
            "--output",
            "json",
            "--out",
            p.to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        p.display().to_string()
    };
    let old = report(&before, "old.json");
    let new = report(&after, "new.json");

    let out = saker(&[
        "posture",
        "diff",
        &old,
        &new,
        "--output",
        "json",
        "--fail-on-new",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let d: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(d["new_failures"].as_array().unwrap().is_empty());
    let changed = d["changed"].as_array().unwrap();
    let c = changed
        .iter()
        .find(|c| c["resource_id"] == "sg-open")
        .unwrap_or_else(|| panic!("sg-open not changed: {d}"));
    assert_eq!(c["new_status"], "FAIL");
    assert_ne!(c["old_detail"], c["detail"]);
    let newly = c["newly_failing_requirements"].as_object().unwrap();
    assert!(
        newly
            .iter()
            .any(|(fw, ids)| fw.starts_with("cis")
                && ids.as_array().unwrap().iter().any(|i| i == "5.3")),
        "{c}"
    );
    assert!(text(&out.stderr).contains("newly failing requirement(s)"));

    let out = saker(&["posture", "diff", &old, &new]);
    assert_eq!(out.status.code(), Some(0));
    let t = text(&out.stdout);
    assert!(t.contains("Changed, still failing ("), "{t}");
    assert!(t.contains("newly failing cis"), "{t}");
    // Unchanged runs: nothing changed, --fail-on-new passes.
    let out = saker(&["posture", "diff", &old, &old, "--fail-on-new"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
}

#[test]
fn fail_on_with_nothing_evaluated_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut inv = inventory(true);
    let err = CollectError {
        code: "UnknownRegion".into(),
        message: "xx-nowhere-9 is not a region".into(),
    };
    let mut r = RegionInventory::new("xx-nowhere-9");
    for api in [
        "DescribeSecurityGroups",
        "DescribeInstances",
        "DescribeVolumes",
    ] {
        r.errors.insert(api.into(), err.clone());
    }
    inv.accounts[0].regions = vec![r];
    inv.accounts[0].all_regions = None;
    inv.accounts[0].instance_profiles = None;
    let path = write_inventory(dir.path(), "nothing.json", &inv);
    let out = saker(&[
        "posture",
        "check",
        &path,
        "--fail-on",
        "low",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert!(e.contains("nothing was evaluated"), "{e}");
    // The identical per-API errors of the region are one line.
    assert_eq!(e.matches("UnknownRegion").count(), 1, "{e}");
    assert!(e.contains("xx-nowhere-9 3 APIs: UnknownRegion"), "{e}");
    // Without --fail-on the report is still written, exit 0.
    let out = saker(&["posture", "check", &path, "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn unusable_inventories_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let corrupt = write(
        dir.path(),
        "corrupt.json",
        "{\"format\": \"saker-posture-inventory\",\n  \"version\": 1,\n  \"accounts\": [ oops",
    );
    let out = saker(&["posture", "check", &corrupt]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains(&format!("{corrupt}: not a saker inventory (line 3")),
        "{e}"
    );
    assert!(out.stdout.is_empty());

    let mut newer: Value = serde_json::to_value(inventory(true)).unwrap();
    newer["version"] = Value::from(99);
    let newer = write(dir.path(), "newer.json", &newer.to_string());
    let out = saker(&["posture", "check", &newer]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains(&format!(
            "{newer}: inventory version 99 is newer than this saker reads"
        )),
        "{e}"
    );

    let other = write(dir.path(), "other.json", "{\"Records\": []}");
    let out = saker(&["posture", "check", &other]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("expected \"saker-posture-inventory\""),
        "{}",
        text(&out.stderr)
    );

    let missing = dir.path().join("missing.json").display().to_string();
    let out = saker(&["posture", "check", &missing]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(&missing),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn bad_framework_and_mutelist_files_are_errors_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write_inventory(dir.path(), "inv.json", &inventory(true));
    let fw = write(
        dir.path(),
        "fw.yaml",
        "id: mine\nname: Mine\nversion: '1'\nrequirements:\n  - id: R1\n    title: t\n    checks: [ec2_sg_open_admin_port]\n",
    );
    let out = saker(&["posture", "check", &inv, "--framework", &fw]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains(&format!("{fw}:7:"))
            && e.contains("unknown check id \"ec2_sg_open_admin_port\""),
        "{e}"
    );

    let out = saker(&["posture", "check", &inv, "--framework", "cis-aws-9.9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cis-aws-9.9: no such framework"));

    let m = write(
        dir.path(),
        "m.yaml",
        "mutelist:\n  - check: ec2_eip_unused\n    resource: eipalloc-1\n",
    );
    let out = saker(&["posture", "check", &inv, "--mutelist", &m]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains(&format!("{m}:2:")) && e.contains("no `reason`"),
        "{e}"
    );
}

#[test]
fn frameworks_lists_builtins_and_checks() {
    let out = saker(&["posture", "frameworks", "--checks"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    for id in ["cis-aws-3.0", "cis-aws-4.0", "cis-aws-5.0", "aws-fsbp"] {
        assert!(stdout.lines().any(|l| l.starts_with(id)), "{id}:\n{stdout}");
    }
    let cis5: Vec<&str> = stdout
        .lines()
        .find(|l| l.starts_with("cis-aws-5.0"))
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(cis5[1], "5.0.0");
    let checks: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("ec2_") || l.starts_with("vpc_"))
        .collect();
    assert_eq!(checks.len(), 16, "{stdout}");
}

#[test]
fn scan_of_an_unknown_region_is_a_usage_error() {
    let Some(m) = moto::moto() else { return };
    let out = m.saker(&[
        "posture",
        "scan",
        "--region",
        "xx-nowhere-9",
        "--fail-on",
        "low",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let e = text(&out.stderr);
    assert_eq!(
        e.matches("xx-nowhere-9").count(),
        1,
        "one line names the region: {e}"
    );
    assert!(
        e.contains("--region xx-nowhere-9: not a region of the account"),
        "{e}"
    );
    assert!(out.stdout.is_empty());
    // A known region beside it does not make the unknown one acceptable.
    let out = m.saker(&[
        "posture",
        "scan",
        "--region",
        "us-east-1",
        "--region",
        "xx-nowhere-9",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // A known region alone scans.
    let out = m.saker(&[
        "posture",
        "scan",
        "--region",
        "us-east-1",
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}
