//! `saker vulns` end to end through the binary: db update/status, scan of a
//! built AL2023 root (JSON fields, filters, --fail-on exit codes), the
//! fleet view over two inputs, a package list on stdin, and a CycloneDX SBOM.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use saker_vulns::inventory::rpm_header::encode_package;
use saker_vulns::inventory::rpmdb::write_sqlite_rpmdb;

const ALAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/alas"
);

fn saker(args: &[&str], stdin: Option<&str>) -> (i32, String, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_saker"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(s) = stdin {
        c.stdin.take().unwrap().write_all(s.as_bytes()).unwrap();
    }
    drop(c.stdin.take());
    let o = c.wait_with_output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn al2023_root(root: &Path) {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"amzn\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023\"\n",
    )
    .unwrap();
    let blobs = vec![
        encode_package("rsyslog", None, "8.2204.0", "1.amzn2023", "x86_64", &[]),
        encode_package(
            "rsyslog-openssl",
            None,
            "8.2204.0",
            "3.amzn2023.0.2",
            "x86_64",
            &[],
        ),
        encode_package("libnvidia-container1", None, "1.17.3", "1", "x86_64", &[]),
        encode_package(
            "bash",
            None,
            "5.2.15",
            "1.amzn2023.0.2",
            "x86_64",
            &["/usr/bin/bash"],
        ),
    ];
    write_sqlite_rpmdb(&root.join("var/lib/rpm/rpmdb.sqlite"), &blobs).unwrap();
}

#[test]
fn vulns_db_and_scan_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("vulns.db");
    let db = db.to_str().unwrap();
    let (code, out, err) = saker(&["vulns", "db", "update", "--db", db, "--from", ALAS], None);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("alas:amzn:2023/core: 2 advisories, 103 package entries"),
        "{out}"
    );
    let (code, out, _) = saker(
        &["vulns", "db", "status", "--db", db, "--output", "json"],
        None,
    );
    assert_eq!(code, 0);
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(st["built_at"].is_string());
    assert_eq!(st["sources"].as_array().unwrap().len(), 7);

    let root = tmp.path().join("host-a");
    al2023_root(&root);
    let r = root.to_str().unwrap();
    let (code, out, err) = saker(&["vulns", "scan", "--db", db, "--output", "json", r], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let host = &v["hosts"][0];
    assert_eq!(host["os"]["id"], "amzn");
    assert_eq!(host["kernel"]["source"], "none");
    let ids: Vec<(&str, &str, &str)> = host["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["package"].as_str().unwrap(),
                f["advisory"].as_str().unwrap(),
                f["severity"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        ids,
        [
            ("libnvidia-container1", "ALAS2023NVIDIA-2025-001", "high"),
            ("rsyslog", "ALAS2023-2023-001", "high")
        ]
    );
    let f = &host["findings"][1];
    assert_eq!(f["installed"], "8.2204.0-1.amzn2023");
    assert_eq!(f["fixed"], "0:8.2204.0-3.amzn2023.0.2");
    assert_eq!(
        f["link"],
        "https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html"
    );
    assert_eq!(host["summary"]["packages"], 4);
    assert_eq!(host["summary"]["fixable"], 2);

    // Text table and summary line; --fail-on high fires, critical does not.
    let (code, out, _) = saker(&["vulns", "scan", "--db", db, "--fail-on", "high", r], None);
    assert_eq!(code, 1);
    assert!(
        out.contains("ALAS2023-2023-001") && out.contains("4 packages, 2 vulnerable"),
        "{out}"
    );
    let (code, out, _) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--severity",
            "critical",
            "--fail-on",
            "critical",
            r,
        ],
        None,
    );
    assert_eq!(code, 0);
    assert!(out.contains("0 findings"), "{out}");
    let (code, _, err) = saker(
        &["vulns", "scan", "--db", db, "--severity", "severe", r],
        None,
    );
    assert_eq!(code, 2, "{err}");

    // Fleet: a root and a package list from stdin, one line per host.
    let list = "# os-release ID=amzn VERSION_ID=2023\nrsyslog 0 8.2204.0 2.amzn2023 x86_64 rsyslog-8.2204.0-2.amzn2023.src.rpm\nnot a package line\n";
    let (code, out, _) = saker(&["vulns", "scan", "--db", db, r, "-"], Some(list));
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("HOST"), "{out}");
    assert!(
        lines[1].starts_with(r) && lines[1].contains("amzn 2023"),
        "{out}"
    );
    assert!(
        lines[2].starts_with("- ") && lines[2].trim_end().ends_with('1'),
        "one item not evaluated: {out}"
    );
    assert!(
        out.contains("not evaluated: -:3: unrecognised Rpm package line"),
        "{out}"
    );

    // SARIF and the CycloneDX SBOM.
    let (_, out, _) = saker(&["vulns", "scan", "--db", db, "--output", "sarif", r], None);
    let s: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(s["runs"][0]["results"].as_array().unwrap().len(), 2);
    let (_, out, _) = saker(&["vulns", "scan", "--output", "cyclonedx", r], None);
    let b: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(b["bomFormat"], "CycloneDX");
    let purls: Vec<&str> = b["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert!(
        purls.contains(&"pkg:rpm/amzn/bash@5.2.15-1.amzn2023.0.2?arch=x86_64"),
        "{purls:?}"
    );

    // No database: a clear error, exit 2.
    let (code, _, err) = saker(&["vulns", "scan", "--db", "/nonexistent/v.db", r], None);
    assert_eq!(code, 2);
    assert!(err.contains("no advisory database"));
}
