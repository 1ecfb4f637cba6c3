//! `saker detect`, `saker demo` and `saker rules test` end to end: the real
//! binary on real logs and on broken input.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
}

fn repo(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../..")).join(rel)
}

fn saker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .output()
        .expect("run saker")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn invictus() -> String {
    shared("cloudtrail/invictus/CloudTrail")
        .display()
        .to_string()
}

#[test]
fn detect_on_real_logs_prints_alerts_and_a_summary() {
    let out = saker(&["detect", &invictus()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains(": Critical Sensitive port opened to the Internet"),
        "{stdout}"
    );
    assert!(stdout.contains("tcp/22 0.0.0.0/0"));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("records: 2900 evaluated"), "{stderr}");
    assert!(stderr.contains("EC2 Windows Password Data Requested"));
    assert!(stderr.contains("records/s"));
}

#[test]
fn json_output_is_one_falco_alert_per_line() {
    let out = saker(&["detect", "-q", "--output", "json", &invictus()]);
    assert_eq!(out.status.code(), Some(0));
    let lines: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(lines.len(), 74);
    for a in &lines {
        let keys: Vec<&String> = a.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "hostname",
                "output",
                "output_fields",
                "priority",
                "rule",
                "source",
                "tags",
                "time"
            ]
        );
        assert_eq!(a["source"], "aws_cloudtrail");
    }
    assert!(out.stderr.is_empty(), "-q keeps stderr quiet");
}

#[test]
fn fail_on_says_why_it_exits_1_and_a_bare_until_date_is_the_whole_day() {
    let out = saker(&["detect", "--fail-on", "critical", &invictus()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("exit 1: --fail-on Critical: an alert at Critical fired"),
        "{}",
        text(&out.stderr)
    );
    // The invictus records are all on 2023-07-10.
    let out = saker(&[
        "detect",
        "--since",
        "2023-07-10",
        "--until",
        "2023-07-10",
        &invictus(),
    ]);
    let err = text(&out.stderr);
    assert!(
        err.contains("records: 2900 evaluated, 0 outside filters"),
        "{err}"
    );
    // A gate with no rule to fire is a usage error, not a silent pass.
    let out = saker(&[
        "detect",
        "--no-default-rules",
        "--fail-on",
        "warning",
        &invictus(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--fail-on could never fire"));
    let out = saker(&["detect", "--until", "2023-07-09", &invictus()]);
    let err = text(&out.stderr);
    assert!(err.contains("records: 0 evaluated"), "{err}");
}

#[test]
fn fail_on_sets_the_exit_status() {
    assert_eq!(
        saker(&["detect", "-q", "--fail-on", "critical", &invictus()])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(
        saker(&["detect", "-q", "--fail-on", "emergency", &invictus()])
            .status
            .code(),
        Some(0)
    );
    // Only rules at least as severe as --min-priority run.
    let out = saker(&[
        "detect",
        "-q",
        "--min-priority",
        "critical",
        "--output",
        "json",
        &invictus(),
    ]);
    assert_eq!(text(&out.stdout).lines().count(), 1);
}

#[test]
fn filters_by_time_account_and_region() {
    // The Stratus port-22 opening happened at 11:55Z; the file stamps and
    // the records both say so.
    let out = saker(&[
        "detect",
        "-q",
        "--output",
        "json",
        "--since",
        "2023-07-10T12:30:00Z",
        &invictus(),
    ]);
    assert!(!text(&out.stdout).contains("Sensitive"));
    let out = saker(&["detect", "--region", "eu-west-3", &invictus()]);
    assert!(out.stdout.is_empty());
    assert!(
        text(&out.stderr).contains("57 skipped by name")
            || text(&out.stderr).contains("outside filters")
    );
    let out = saker(&["detect", "--since", "yesterday-ish", &invictus()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("invalid time"));
}

#[test]
fn falco_rules_with_first_matching() {
    let out = saker(&[
        "detect",
        "-q",
        "--no-default-rules",
        "--rules",
        &shared("falco/falco_legacy_tests/cloudtrail_create_instances.yaml")
            .display()
            .to_string(),
        "--rule-matching",
        "first",
        &shared("falco/falco_legacy_tests/alice_start_instances.json")
            .display()
            .to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    assert_eq!(stdout.lines().count(), 1);
    assert!(stdout.contains(
        "Informational EC2 Instance Created (evtnum=1 info=us-east-2 Alice ec2 StartInstances"
    ));
}

#[test]
fn stdin_is_read_with_dash() {
    let rec = std::fs::read(shared(
        "falco/falco_legacy_tests/alice_start_instances.json",
    ))
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_saker"))
        .args([
            "detect",
            "--no-default-rules",
            "--rules",
            &shared("falco/falco_legacy_tests/cloudtrail_create_instances.yaml")
                .display()
                .to_string(),
            "-",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&rec).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout).lines().count(), 1);
    assert!(text(&out.stderr).contains("records: 1 evaluated"));
}

/// Broken input: every problem is reported with its file and record, the
/// rest is evaluated, and the exit status stays 0.
#[test]
fn bad_input_is_reported_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory","accountId":"111122223333","userName":"mallory"},"eventTime":"2026-11-02T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"us-east-1","sourceIPAddress":"198.51.100.7","userAgent":"evil\u001b[2J\u001b]0;pwned\u0007agent","requestParameters":{"groupId":"sg-1","ipPermissions":{},"ipProtocol":"tcp","fromPort":22,"toPort":22,"cidrIp":"0.0.0.0/0"},"responseElements":null,"eventID":"11111111-1111-1111-1111-111111111111","eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;
    // A file with a good record, an invalid one, one without eventName and
    // userIdentity, one with requestParameters null.
    let no_name =
        r#"{"eventTime":"2026-11-02T10:00:01Z","eventSource":"ec2.amazonaws.com","eventID":"2"}"#;
    let null_params = r#"{"eventTime":"2026-11-02T10:00:02Z","eventSource":"ec2.amazonaws.com","eventName":"DescribeInstances","requestParameters":null,"eventID":"3","userIdentity":{"type":"Root"}}"#;
    std::fs::write(
        d.join("mixed.json"),
        format!("{{\"Records\":[{good},{{\"broken\": tru}},{no_name},{null_params}]}}"),
    )
    .unwrap();
    // A truncated gzip file.
    let mut gz = Vec::new();
    {
        let mut enc = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::default());
        enc.write_all(format!("{{\"Records\":[{good}]}}").as_bytes())
            .unwrap();
        enc.finish().unwrap();
    }
    std::fs::write(d.join("cut.json.gz"), &gz[..gz.len() / 2]).unwrap();
    // Not UTF-8 at all, and an empty file.
    std::fs::write(d.join("binary.json"), [0xff, 0xfe, 0x00, 0x9f]).unwrap();
    std::fs::write(d.join("empty.json"), b"").unwrap();

    let out = saker(&["detect", &d.display().to_string()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // The good record alerted, with its user agent defanged.
    assert!(
        stdout.contains("Sensitive port opened to the Internet"),
        "{stdout}"
    );
    assert!(
        !stdout.contains('\u{1b}'),
        "raw ESC reached the terminal: {stdout:?}"
    );
    assert!(!stdout.contains('\u{7}'));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("mixed.json: record 1"), "{stderr}");
    assert!(stderr.contains("cut.json.gz"), "{stderr}");
    assert!(stderr.contains("binary.json"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'));
}

#[test]
fn unusable_rules_and_inputs_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "- rule: x\n  condition: ct.nope = 1\n  output: o\n  desc: d\n  priority: INFO\n  source: aws_cloudtrail\n").unwrap();
    let out = saker(&["detect", "--rules", &bad.display().to_string(), &invictus()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("bad.yaml:2:"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        saker(&["detect", "/nonexistent/trail"]).status.code(),
        Some(2)
    );
    assert_eq!(
        saker(&["detect", "--min-priority", "loud", &invictus()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn built_in_rule_tests_pass() {
    let out = saker(&["rules", "test", &repo("rules").display().to_string()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    assert!(text(&out.stdout).contains(" 0 failed"));
}

#[test]
fn demo_writes_a_day_and_finds_the_attack() {
    let dir = tempfile::tempdir().unwrap();
    let out = saker(&[
        "demo",
        "--out",
        &dir.path().display().to_string(),
        "--output",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rules: Vec<String> = text(&out.stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for want in [
        "EC2 Sensitive Port Opened To The World",
        "EC2 Security Group Ingress Revoked",
        "EBS Default Encryption Disabled",
        "EC2 Instance Launched From Non-Approved Image",
        "EC2 Instance Launched In Non-Approved Region",
        "EBS Snapshot Made Public",
    ] {
        assert!(
            rules.iter().any(|r| r == want),
            "{want} missing from {rules:?}"
        );
    }
    // The story reads in time order (objects are evaluated by delivery
    // time across regions, not region by region).
    let at = |rule: &str| rules.iter().position(|r| r == rule).unwrap();
    assert!(at("EC2 Sensitive Port Opened To The World") < at("EBS Default Encryption Disabled"));
    assert!(at("EBS Default Encryption Disabled") < at("EBS Snapshot Made Public"));
    // The launch in an unapproved region is in another region's directory,
    // which sorts before us-east-1.
    assert!(
        at("EBS Default Encryption Disabled") < at("EC2 Instance Launched In Non-Approved Region")
    );
    assert!(at("EBS Snapshot Made Public") < at("EC2 Security Group Ingress Revoked"));
    assert!(text(&out.stderr).contains("skipped") || text(&out.stderr).contains("0 skipped"));
}

#[test]
fn a_missing_input_is_reported_counted_and_exits_2_after_the_rest() {
    let out = saker(&["detect", &invictus(), "/nonexistent/trail.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        !out.stdout.is_empty(),
        "the readable input was still evaluated"
    );
    let stderr = text(&out.stderr);
    assert!(stderr.contains("1 unreadable"), "{stderr}");
    assert!(stderr.contains("/nonexistent/trail.json"));
}

#[test]
fn the_rules_directory_loads_without_its_test_files() {
    let out = saker(&[
        "detect",
        "-q",
        "--no-default-rules",
        "--rules",
        &repo("rules").display().to_string(),
        &invictus(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Sensitive port opened to the Internet"));
}

#[test]
fn closing_the_pipe_early_is_not_a_crash() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(["rules", "fields"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | None),
        "{:?}",
        out.status
    );
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}
