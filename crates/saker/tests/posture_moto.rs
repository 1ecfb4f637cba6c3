//! `saker posture` against a real moto server (with
//! `../shared/tools/moto_plus.py` for the account settings moto lacks),
//! through the binary: a twin estate built with boto3
//! (`crates/saker-posture/tests/estate/build_estate.py --twins`) where every
//! check C1–C16 has violating resources and compliant twins, and each check
//! must FAIL exactly the violating resource ids and PASS exactly the twins
//! (sets of ids, not counts). Also: a region whose every call is denied is
//! NOT_EVALUATED and reported partial while the other region is complete;
//! corrupt and old inventories are refused with exit 2.
//!
//! Each test builds in its own account (moto maps an assumed role's keys to
//! the role's account; the builder and saker both use `--role-arn`), so the
//! tests never see each other's resources, even on one shared server
//! (`SAKER_TEST_AWS_ENDPOINT`).
//!
//! C14 (stopped too long): moto stamps `StateTransitionReason` with its own
//! clock when an instance stops and has no API to backdate it, so the
//! estate cannot hold an instance stopped 30 days ago. The twin is made by
//! the threshold instead: the same stopped instance PASSes under the default
//! `posture_max_stopped_days` (30) and FAILs under 0. The backdated times
//! (GMT and UTC forms, the LaunchTime fallback) are covered by the
//! hand-built inventories of `crates/saker-posture/tests/checks.rs`.

mod moto;
#[path = "../../saker-posture/tests/estate/http.rs"]
mod proxy_http;

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

/// Approved (and first: EBS encryption by default, serial console and
/// snapshot block public access on).
const R1: &str = "us-east-1";
/// Approved, account settings at their defaults (all off).
const R2: &str = "eu-west-1";
/// Not in the default `ec2_approved_regions`; holds one instance.
const R_UNAPPROVED_USED: &str = "ap-south-1";
/// Not approved either; holds nothing but AWS's defaults.
const R_UNAPPROVED_EMPTY: &str = "sa-east-1";

const C1: &str = "ec2_sg_open_admin_ports";
const C2: &str = "ec2_nacl_open_admin_ports";
const C3: &str = "ec2_sg_default_restricts_all";
const C4: &str = "ec2_ebs_default_encryption";
const C5: &str = "ec2_ebs_snapshot_public";
const C6: &str = "ec2_ami_public";
const C7: &str = "ec2_instance_public_ip";
const C8: &str = "ec2_instance_imdsv2_required";
const C9: &str = "ec2_serial_console_access";
const C10: &str = "ec2_eip_unused";
const C11: &str = "ec2_ebs_volume_encrypted";
const C12: &str = "vpc_flow_logs_enabled";
const C13: &str = "ec2_instance_profile_attached";
const C14: &str = "ec2_instance_stopped_too_long";
const C15: &str = "ec2_region_approved";
const C16: &str = "ec2_instance_image_approved";
const ALL_CHECKS: [&str; 16] = [
    C1, C2, C3, C4, C5, C6, C7, C8, C9, C10, C11, C12, C13, C14, C15, C16,
];

// ------------------------------------------------------------- harness

/// A fresh 12-digit account id for one test.
fn new_account() -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let v = (u64::from(std::process::id()) * 1_000_003
        + nanos / 1000 * 7
        + N.fetch_add(1, Ordering::SeqCst) * 104_729)
        % 900_000_000_000;
    format!("{}", 300_000_000_000 + v % 600_000_000_000)
}

fn role_of(account: &str) -> String {
    format!("arn:aws:iam::{account}:role/saker-estate")
}

/// Build the estate with the boto3 script; its manifest.
fn build_estate(endpoint: &str, account: &str, regions: &[&str], extra: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("manifest.json");
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../saker-posture/tests/estate/build_estate.py"
    );
    let mut cmd = Command::new("python3");
    for (k, v) in moto::AWS_ENV {
        cmd.env(k, v);
    }
    let status = cmd
        .arg(script)
        .args(["--endpoint", endpoint, "--regions", &regions.join(",")])
        .args(["--role-arn", &role_of(account)])
        .args(extra)
        .arg("--out")
        .arg(&out)
        .env_remove("AWS_PROFILE")
        .status()
        .expect("run build_estate.py");
    assert!(status.success(), "build_estate.py failed");
    let m: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(m["account"], account);
    m
}

/// Run saker with dummy credentials and no shared config.
fn saker(args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_saker"));
    for (k, v) in moto::AWS_ENV {
        cmd.env(k, v);
    }
    cmd.env_remove("AWS_PROFILE")
        .env_remove("AWS_ENDPOINT_URL")
        .args(args)
        .output()
        .expect("run saker")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `args` plus `--region` for each region.
fn with_regions<'a>(mut args: Vec<&'a str>, regions: &[&'a str]) -> Vec<&'a str> {
    for r in regions {
        args.extend(["--region", r]);
    }
    args
}

fn read_findings(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON finding per line"))
        .collect()
}

fn named(m: &Value, region: &str, key: &str) -> String {
    m["regions"][region]["named"][key]
        .as_str()
        .unwrap_or_else(|| panic!("manifest has no {region}.named.{key}"))
        .to_string()
}

fn all(m: &Value, region: &str, kind: &str) -> BTreeSet<String> {
    m["regions"][region]["all"][kind]
        .as_array()
        .unwrap_or_else(|| panic!("manifest has no {region}.all.{kind}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn set(ids: &[String]) -> BTreeSet<String> {
    ids.iter().cloned().collect()
}

/// The resource ids of `check` in `region` with `status`.
fn with_status(findings: &[Value], check: &str, region: &str, status: &str) -> BTreeSet<String> {
    findings
        .iter()
        .filter(|f| f["check_id"] == check && f["region"] == region && f["status"] == status)
        .map(|f| f["resource_id"].as_str().unwrap().to_string())
        .collect()
}

/// `check` in `region` fails exactly `fail` and passes exactly `pass`,
/// with nothing else (no NOT_EVALUATED, no MUTED).
fn assert_verdicts(
    findings: &[Value],
    check: &str,
    region: &str,
    fail: BTreeSet<String>,
    pass: BTreeSet<String>,
) {
    assert_eq!(
        with_status(findings, check, region, "FAIL"),
        fail,
        "{check} in {region}: FAIL set"
    );
    assert_eq!(
        with_status(findings, check, region, "PASS"),
        pass,
        "{check} in {region}: PASS set"
    );
    let others: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            f["check_id"] == check
                && f["region"] == region
                && f["status"] != "FAIL"
                && f["status"] != "PASS"
        })
        .collect();
    assert!(others.is_empty(), "{check} in {region}: {others:?}");
}

/// A Falco rules file setting lists (the check parameters).
fn rules_file(dir: &Path, name: &str, lists: &[(&str, Vec<String>)]) -> String {
    let mut s = String::new();
    for (list, items) in lists {
        s += &format!("- list: {list}\n  items: [{}]\n", items.join(", "));
    }
    let p = dir.join(name);
    std::fs::write(&p, s).unwrap();
    p.display().to_string()
}

// ---------------------------------------------------------------- twins

/// The expected verdicts of every resource check in one fully built region
/// (`first`: the region with the account settings turned on), from the
/// manifest's named ids and its complete per-kind id sets.
fn assert_region(findings: &[Value], m: &Value, r: &str, first: bool) {
    let n = |k: &str| named(m, r, k);
    let minus = |whole: BTreeSet<String>, part: &BTreeSet<String>| -> BTreeSet<String> {
        whole.difference(part).cloned().collect()
    };

    // C1: IPv4 and IPv6, 22 and 3389, protocol -1, a range covering 22 and
    // a prefix list holding 0.0.0.0/0 fail; internal CIDRs, a referenced
    // group, ICMP, 443, a narrow prefix list and empty groups pass.
    let c1_fail = set(&[
        n("sg_ssh_world"),
        n("sg_ssh_world_v6"),
        n("sg_rdp_world"),
        n("sg_rdp_world_v6"),
        n("sg_all_protocols"),
        n("sg_range_covers_22"),
        n("sg_prefix_list"),
    ]);
    let c1_pass = minus(all(m, r, "security_groups"), &c1_fail);
    for twin in [
        "sg_ssh_internal",
        "sg_referenced",
        "sg_icmp_world",
        "sg_https_world",
        "sg_prefix_list_narrow",
        "sg_default_closed",
    ] {
        assert!(c1_pass.contains(&n(twin)), "{twin} is a C1 twin");
    }
    assert_verdicts(findings, C1, r, c1_fail, c1_pass);

    // C2: first match on associated NACLs; the default NACLs' allow-all
    // fails where they guard a subnet; a NACL guarding nothing passes.
    let c2_fail = set(&[
        n("nacl_open_admin"),
        n("nacl_default_vpc_b"),
        n("nacl_default_default_vpc"),
    ]);
    let c2_pass = set(&[n("nacl_deny_first"), n("nacl_default_unassociated")]);
    assert_eq!(
        &c2_fail | &c2_pass,
        all(m, r, "network_acls"),
        "every NACL has an expectation"
    );
    assert_verdicts(findings, C2, r, c2_fail, c2_pass);

    // C3: default groups only; moto gives the default VPC's group AWS's
    // allow-all egress rule.
    assert_verdicts(
        findings,
        C3,
        r,
        set(&[n("sg_default_with_rules"), n("sg_default_default_vpc")]),
        set(&[n("sg_default_closed")]),
    );

    // C4 and C9: settings of the region (the resource is the region).
    let region = set(&[r.to_string()]);
    let none = BTreeSet::new();
    if first {
        assert_verdicts(findings, C4, r, none.clone(), region.clone());
        assert_verdicts(findings, C9, r, region.clone(), none.clone());
    } else {
        assert_verdicts(findings, C4, r, region.clone(), none.clone());
        assert_verdicts(findings, C9, r, none.clone(), region.clone());
    }

    // C5: the public snapshot fails, unless snapshot block public access
    // is block-all-sharing (the first region); private and account-shared
    // snapshots pass.
    let snapshots = all(m, r, "snapshots");
    let public = set(&[n("snapshot_public")]);
    if first {
        assert_verdicts(findings, C5, r, none.clone(), snapshots);
    } else {
        let pass = minus(snapshots, &public);
        assert!(pass.contains(&n("snapshot_shared")) && pass.contains(&n("snapshot_private")));
        assert_verdicts(findings, C5, r, public, pass);
    }

    // C6.
    assert_verdicts(
        findings,
        C6,
        r,
        set(&[n("image_public")]),
        set(&[n("image_private")]),
    );

    let instances = all(m, r, "instances");
    // C7: auto-assigned public IP (public subnet) and an associated EIP.
    let c7_fail = set(&[n("instance_imdsv1"), n("instance_imdsv2_profile")]);
    assert_verdicts(
        findings,
        C7,
        r,
        c7_fail.clone(),
        minus(instances.clone(), &c7_fail),
    );
    // C8.
    let c8_fail = set(&[n("instance_imdsv1")]);
    assert_verdicts(
        findings,
        C8,
        r,
        c8_fail.clone(),
        minus(instances.clone(), &c8_fail),
    );
    // C10.
    assert_verdicts(
        findings,
        C10,
        r,
        set(&[n("address_unused")]),
        set(&[n("address_used")]),
    );
    // C11: every volume but the encrypted one (moto creates instance root
    // volumes unencrypted, whatever the region's default).
    let c11_pass = set(&[n("volume_encrypted")]);
    let c11_fail = minus(all(m, r, "volumes"), &c11_pass);
    assert!(c11_fail.contains(&n("volume_unencrypted")));
    assert_verdicts(findings, C11, r, c11_fail, c11_pass);
    // C12.
    let c12_fail = set(&[n("vpc_no_flow_logs"), n("vpc_default")]);
    let c12_pass = set(&[n("vpc_flow_logged")]);
    assert_eq!(&c12_fail | &c12_pass, all(m, r, "vpcs"));
    assert_verdicts(findings, C12, r, c12_fail, c12_pass);
    // C13: only the profile with a role passes; no profile and a profile
    // without a role fail.
    let c13_pass = set(&[n("instance_imdsv2_profile")]);
    let c13_fail = minus(instances.clone(), &c13_pass);
    assert!(c13_fail.contains(&n("instance_empty_profile")));
    assert_verdicts(findings, C13, r, c13_fail, c13_pass);
    // C14 under the default 30 days: the instance stopped just now passes;
    // running instances get no finding.
    assert_verdicts(
        findings,
        C14,
        r,
        none.clone(),
        set(&[n("instance_stopped")]),
    );
    // C16 with ec2_approved_images = the private images: the instance of
    // the private image passes; the account's public image (known, not
    // approved) and the never-registered image fail.
    let c16_pass = set(&[n("instance_own_image")]);
    let c16_fail = minus(instances, &c16_pass);
    assert!(c16_fail.contains(&n("instance_public_image")));
    assert_verdicts(findings, C16, r, c16_fail, c16_pass);
    let public_image = findings
        .iter()
        .find(|f| f["check_id"] == C16 && f["resource_id"] == n("instance_public_image").as_str())
        .unwrap();
    let detail = public_image["detail"].as_str().unwrap();
    assert!(
        detail.contains(&n("image_public")) && !detail.contains("unknown image"),
        "{detail}"
    );
}

#[test]
fn every_check_fails_the_violators_and_passes_the_twins() {
    let Some(moto) = moto::moto() else { return };
    let account = new_account();
    let role = role_of(&account);
    let m = build_estate(
        &moto.endpoint,
        &account,
        &[R1, R2],
        &["--twins", "--bare-regions", R_UNAPPROVED_USED],
    );
    let dir = tempfile::tempdir().unwrap();
    let approved = rules_file(
        dir.path(),
        "approved.yaml",
        &[(
            "ec2_approved_images",
            vec![
                named(&m, R1, "image_private"),
                named(&m, R2, "image_private"),
            ],
        )],
    );
    let regions = [R1, R2, R_UNAPPROVED_USED, R_UNAPPROVED_EMPTY];

    // scan = collect + check.
    let report = dir.path().join("scan.json");
    let report_s = report.display().to_string();
    let args = with_regions(
        vec![
            "posture",
            "scan",
            "--endpoint-url",
            &moto.endpoint,
            "--role-arn",
            &role,
            "--rules",
            &approved,
            "--output",
            "json",
            "--out",
            &report_s,
        ],
        &regions,
    );
    let out = saker(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("collected 1 account(s), 4 region(s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("partial inventory"), "{stderr}");
    let findings = read_findings(&report);

    // Every check ran and nothing was left unevaluated.
    let seen: BTreeSet<&str> = findings
        .iter()
        .map(|f| f["check_id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ALL_CHECKS.iter().copied().collect());
    let unevaluated: Vec<&Value> = findings
        .iter()
        .filter(|f| f["status"] != "FAIL" && f["status"] != "PASS")
        .collect();
    assert!(unevaluated.is_empty(), "{unevaluated:?}");
    assert!(findings.iter().all(|f| f["account_id"] == account.as_str()));

    assert_region(&findings, &m, R1, true);
    assert_region(&findings, &m, R2, false);

    // C15: approved regions pass; a non-approved region fails when it
    // holds a resource (the instance) and passes when it holds only AWS's
    // defaults.
    let only = |r: &str| set(&[r.to_string()]);
    let none = BTreeSet::new();
    assert_verdicts(&findings, C15, R1, none.clone(), only(R1));
    assert_verdicts(&findings, C15, R2, none.clone(), only(R2));
    assert_verdicts(
        &findings,
        C15,
        R_UNAPPROVED_USED,
        only(R_UNAPPROVED_USED),
        none.clone(),
    );
    assert_verdicts(
        &findings,
        C15,
        R_UNAPPROVED_EMPTY,
        none.clone(),
        only(R_UNAPPROVED_EMPTY),
    );
    let used = findings
        .iter()
        .find(|f| f["check_id"] == C15 && f["region"] == R_UNAPPROVED_USED)
        .unwrap();
    let instance = named(&m, R_UNAPPROVED_USED, "instance_only");
    assert!(
        used["detail"].as_str().unwrap().contains(&instance),
        "{used}"
    );

    // collect --out, then check offline, with C14's threshold at 0 days:
    // the same verdicts, except that the stopped instances now fail C14.
    let inventory = dir.path().join("inventory.json");
    let inventory_s = inventory.display().to_string();
    let args = with_regions(
        vec![
            "posture",
            "collect",
            "--endpoint-url",
            &moto.endpoint,
            "--role-arn",
            &role,
            "--out",
            &inventory_s,
            "--verbose",
        ],
        &regions,
    );
    let out = saker(&args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // --verbose lists the requests per API; the inventory keeps the same
    // counts, and they add up to the total the collector prints.
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&inventory).unwrap()).unwrap();
    let per_api = saved["api_calls"].as_object().expect("api_calls saved");
    let total: u64 = per_api
        .values()
        .map(|c| c["requests"].as_u64().unwrap())
        .sum();
    assert!(
        stderr.contains(&format!(": {total} API request(s)")),
        "{stderr}"
    );
    assert!(
        per_api["ec2:DescribeSecurityGroups"]["requests"].as_u64() >= Some(regions.len() as u64)
    );
    for (api, c) in per_api {
        let row: Vec<String> = stderr
            .lines()
            .find(|l| l.split_whitespace().next() == Some(api.as_str()))
            .unwrap_or_else(|| panic!("no row for {api}: {stderr}"))
            .split_whitespace()
            .map(String::from)
            .collect();
        assert_eq!(row[1], c["requests"].to_string(), "{api}: {stderr}");
    }
    let zero_days = rules_file(
        dir.path(),
        "stopped.yaml",
        &[("posture_max_stopped_days", vec!["0".into()])],
    );
    let checked = dir.path().join("check.json");
    let checked_s = checked.display().to_string();
    let out = saker(&[
        "posture",
        "check",
        &inventory_s,
        "--rules",
        &approved,
        "--rules",
        &zero_days,
        "--output",
        "json",
        "--out",
        &checked_s,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let offline = read_findings(&checked);
    for r in [R1, R2] {
        assert_verdicts(
            &offline,
            C14,
            r,
            set(&[named(&m, r, "instance_stopped")]),
            BTreeSet::new(),
        );
    }
    let verdicts = |fs: &[Value]| -> BTreeSet<(String, String, String, String)> {
        fs.iter()
            .filter(|f| f["check_id"] != C14)
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_string();
                (s("check_id"), s("region"), s("resource_id"), s("status"))
            })
            .collect()
    };
    assert_eq!(verdicts(&offline), verdicts(&findings));
}

// ------------------------------------------------------ a denied region

/// A proxy in front of moto that answers every request signed for
/// `region` with `UnauthorizedOperation` (HTTP 403), as AWS does for a
/// role without EC2 permissions there, and forwards the rest.
fn deny_region_proxy(upstream: &str, region: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let upstream = upstream.clone();
            std::thread::spawn(move || proxy_one(conn, &upstream, region));
        }
    });
    endpoint
}

const UNAUTHORIZED: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error>\
    <Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message>\
    </Error></Errors><RequestID>denied</RequestID></Response>";

fn proxy_one(mut conn: TcpStream, upstream: &str, denied: &str) {
    let Some(received) = proxy_http::read_request(&mut conn) else {
        return;
    };
    let (head, region) = (received.head(), received.region());
    let response = if region == denied {
        format!(
            "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{UNAUTHORIZED}",
            UNAUTHORIZED.len()
        )
        .into_bytes()
    } else {
        // One request per connection: ask moto to close after answering.
        let mut request: Vec<u8> = Vec::new();
        for (i, line) in head.trim_end().split("\r\n").enumerate() {
            if i > 0 && line.to_ascii_lowercase().starts_with("connection:") {
                continue;
            }
            request.extend_from_slice(line.as_bytes());
            request.extend_from_slice(b"\r\n");
        }
        request.extend_from_slice(b"Connection: close\r\n\r\n");
        request.extend_from_slice(received.body());
        let mut up = TcpStream::connect(upstream).expect("moto");
        up.write_all(&request).unwrap();
        let mut out = Vec::new();
        up.read_to_end(&mut out).unwrap();
        out
    };
    let _ = conn.write_all(&response);
    let _ = conn.shutdown(Shutdown::Both);
}

#[test]
fn a_denied_region_is_not_evaluated_and_the_rest_is_complete() {
    let Some(moto) = moto::moto() else { return };
    let account = new_account();
    let role = role_of(&account);
    let m = build_estate(&moto.endpoint, &account, &[R1, R2], &[]);
    let proxy = deny_region_proxy(&moto.endpoint, R2);
    let dir = tempfile::tempdir().unwrap();
    let inventory = dir.path().join("inventory.json");
    let inventory_s = inventory.display().to_string();
    let report = dir.path().join("scan.json");
    let report_s = report.display().to_string();
    let out = saker(&with_regions(
        vec![
            "posture",
            "scan",
            "--endpoint-url",
            &proxy,
            "--role-arn",
            &role,
            "--inventory-out",
            &inventory_s,
            "--output",
            "json",
            "--out",
            &report_s,
        ],
        &[R1, R2],
    ));
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    // The report says partial, naming the region and the error.
    assert!(
        stderr.contains("partial inventory:") && stderr.contains("NOT_EVALUATED"),
        "{stderr}"
    );
    let error_lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("UnauthorizedOperation"))
        .collect();
    assert!(!error_lines.is_empty(), "{stderr}");
    assert!(
        error_lines
            .iter()
            .all(|l| l.contains(&format!("{account} {R2} "))),
        "{error_lines:?}"
    );

    let findings = read_findings(&report);
    // The denied region: every check NOT_EVALUATED — never PASS — except
    // C15, which passes an approved region without needing its data.
    for check in ALL_CHECKS {
        let statuses: BTreeSet<&str> = findings
            .iter()
            .filter(|f| f["check_id"] == check && f["region"] == R2)
            .map(|f| f["status"].as_str().unwrap())
            .collect();
        let expected = if check == C15 {
            "PASS"
        } else {
            "NOT_EVALUATED"
        };
        assert_eq!(statuses, BTreeSet::from([expected]), "{check} in {R2}");
    }
    let uneval = findings
        .iter()
        .find(|f| f["check_id"] == C1 && f["region"] == R2)
        .unwrap();
    assert_eq!(uneval["resource_id"], R2);
    assert!(
        uneval["detail"]
            .as_str()
            .unwrap()
            .contains("UnauthorizedOperation"),
        "{uneval}"
    );

    // The other region is complete: every check decided, with the same
    // verdicts on the named resources as without the fault.
    let r1: Vec<&Value> = findings.iter().filter(|f| f["region"] == R1).collect();
    assert!(r1
        .iter()
        .all(|f| f["status"] == "PASS" || f["status"] == "FAIL"));
    let seen: BTreeSet<&str> = r1.iter().map(|f| f["check_id"].as_str().unwrap()).collect();
    assert_eq!(seen, ALL_CHECKS.iter().copied().collect());
    let n = |k: &str| named(&m, R1, k);
    assert_eq!(
        with_status(&findings, C1, R1, "FAIL"),
        set(&[
            n("sg_ssh_world"),
            n("sg_rdp_world_v6"),
            n("sg_all_protocols"),
            n("sg_range_covers_22"),
            n("sg_prefix_list"),
        ])
    );
    assert_eq!(
        with_status(&findings, C11, R1, "PASS"),
        set(&[n("volume_encrypted")])
    );

    // The saved inventory keeps the errors: checking it offline says
    // partial too.
    let out = saker(&["posture", "check", &inventory_s]);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("partial inventory:"), "{stderr}");
    let table = text(&out.stdout);
    assert!(table.contains("NOT_EVALUATED"), "{table}");
}

// ------------------------------------------------ unusable inventories

#[test]
fn corrupt_and_old_inventories_are_refused_with_exit_2() {
    let Some(moto) = moto::moto() else { return };
    let account = new_account();
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("inventory.json");
    let good_s = good.display().to_string();
    let out = saker(&[
        "posture",
        "collect",
        "--endpoint-url",
        &moto.endpoint,
        "--role-arn",
        &role_of(&account),
        "--region",
        R1,
        "--out",
        &good_s,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = saker(&["posture", "check", &good_s, "--output", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!out.stdout.is_empty());

    let original = std::fs::read_to_string(&good).unwrap();
    let check = |name: &str, content: &str| -> (Option<i32>, String, String) {
        let p = dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        let ps = p.display().to_string();
        let out = saker(&["posture", "check", &ps]);
        (out.status.code(), text(&out.stderr), ps)
    };

    // Cut in the middle (an interrupted copy).
    let (code, stderr, path) = check("cut.json", &original[..original.len() / 2]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}: not a saker inventory (line ")),
        "{stderr}"
    );

    // A field of the wrong type.
    let mut v: Value = serde_json::from_str(&original).unwrap();
    v["accounts"] = Value::String("x".into());
    let (code, stderr, path) = check("wrong.json", &v.to_string());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("{path}: not a saker inventory")),
        "{stderr}"
    );

    // An older inventory version than any this saker reads.
    let mut v: Value = serde_json::from_str(&original).unwrap();
    assert_eq!(v["version"], 1);
    v["version"] = Value::from(0);
    let (code, stderr, path) = check("old.json", &v.to_string());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}: inventory version 0 is not supported (this saker reads 1..=1)"
        )),
        "{stderr}"
    );

    // And a newer one.
    v["version"] = Value::from(2);
    let (code, stderr, path) = check("new.json", &v.to_string());
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!(
            "{path}: inventory version 2 is newer than this saker reads (1); upgrade saker"
        )),
        "{stderr}"
    );
}
