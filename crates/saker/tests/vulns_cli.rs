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

#[path = "../../saker-vulns/tests/http_fixture/mod.rs"]
mod http_fixture;

/// An OSV Maven record with only a CVSS v3.1 vector (7.5 → high) and one
/// with only a v4.0 vector (9.3 → critical), for the jar in the root.
const OSV_MAVEN: &str = r#"[
 {"id":"OSV-CLI-V3","aliases":["CVE-2099-2001"],"summary":"v3 only",
  "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
  "affected":[{"package":{"ecosystem":"Maven","name":"test:nested"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.0.2"}]}]}]},
 {"id":"OSV-CLI-V4","aliases":["CVE-2099-2002"],"summary":"v4 only",
  "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
  "affected":[{"package":{"ecosystem":"Maven","name":"test:nested2"},
    "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"0.0.3"}]}]}]}
]"#;

#[test]
fn vulns_db_update_from_urls_and_release_semantics() {
    let srv = http_fixture::Server::start(|base| {
        let f = |rel: &str| std::fs::read(format!("{ALAS}/{rel}")).unwrap();
        let mut r = std::collections::HashMap::new();
        r.insert(
            "/al2023/core/mirrors/latest/x86_64/mirror.list".to_string(),
            format!("{base}/core/g1/x86_64/\n").into_bytes(),
        );
        r.insert(
            "/core/g1/x86_64/repodata/repomd.xml".into(),
            f("vuls-data-update/repomd_valid.xml"),
        );
        r.insert(
            "/core/g1/x86_64/repodata/updateinfo.xml.gz".into(),
            f("vuls-data-update/updateinfo_2023.xml.gz"),
        );
        r.insert(
            "/al2023/nvidia/x86_64/repodata/repomd.xml".into(),
            f("vuls-data-update/repomd_valid.xml"),
        );
        r.insert(
            "/al2023/nvidia/x86_64/repodata/updateinfo.xml.gz".into(),
            f("vuls-data-update/updateinfo_2023_nvidia.xml.gz"),
        );
        r.insert("/osv/maven.json".into(), OSV_MAVEN.as_bytes().to_vec());
        r
    });
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("vulns.db");
    let db = db.to_str().unwrap();
    let core = format!("{}/al2023/core/mirrors/latest/x86_64/mirror.list", srv.base);
    let nvidia = format!("{}/al2023/nvidia/x86_64/", srv.base);
    let osv = format!("{}/osv/maven.json", srv.base);
    let (code, out, err) = saker(
        &[
            "vulns", "db", "update", "--db", db, "--from", &core, "--from", &nvidia, "--from", &osv,
        ],
        None,
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("alas:amzn:2023/core: 1 advisories, 61 package entries")
            && out.contains("alas:amzn:2023/nvidia: 1 advisories, 6 package entries")
            && out.contains("osv:Maven: 2 advisories, 2 package entries"),
        "{out}"
    );
    // Freshness: each source records the URL it came from.
    let (_, out, _) = saker(
        &["vulns", "db", "status", "--db", db, "--output", "json"],
        None,
    );
    let st: serde_json::Value = serde_json::from_str(&out).unwrap();
    let loc = |name: &str| {
        st["sources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .map(|s| s["location"].as_str().unwrap().to_string())
    };
    assert_eq!(loc("alas:amzn:2023/core").as_deref(), Some(core.as_str()));
    assert_eq!(loc("osv:Maven").as_deref(), Some(osv.as_str()));

    // A failed download loads nothing, keeps the source, and exits 1.
    let missing = format!("{}/nope/updateinfo.xml.gz", srv.base);
    let (code, _, err) = saker(
        &["vulns", "db", "update", "--db", db, "--from", &missing],
        None,
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("404") && err.contains(&missing), "{err}");
    let (_, out, _) = saker(&["vulns", "db", "status", "--db", db], None);
    assert!(out.contains("alas:amzn:2023/core"), "{out}");

    // A root on release 2023.6.20241010 with a jar: the nvidia fix (issued
    // 2025-02-14) is only in a newer release; the rsyslog fix is not.
    let root = tmp.path().join("host");
    al2023_root(&root);
    std::fs::write(
        root.join("etc/system-release"),
        "Amazon Linux release 2023.6.20241010 (Amazon Linux)\n",
    )
    .unwrap();
    std::fs::create_dir_all(root.join("opt/app")).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/vulns/lang/trivy/nested.jar"
        ),
        root.join("opt/app/nested.jar"),
    )
    .unwrap();
    let r = root.to_str().unwrap();
    let (code, out, err) = saker(&["vulns", "scan", "--db", db, "--output", "json", r], None);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let h = &v["hosts"][0];
    let get = |pkg: &str| {
        h["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["package"] == pkg)
            .unwrap_or_else(|| panic!("{pkg}: {out}"))
            .clone()
    };
    assert_eq!(get("rsyslog")["fix_release"]["in_host_release"], true);
    let nv = get("libnvidia-container1");
    assert_eq!(nv["fix_release"]["in_host_release"], false);
    assert_eq!(nv["fix_release"]["advisory_issued"], "2025-02-14");
    let v3 = get("test:nested");
    assert_eq!(v3["severity"], "high");
    assert_eq!(v3["cvss"]["score"], 7.5);
    let v4 = get("test:nested2");
    assert_eq!(
        (&v4["severity"], &v4["cvss"]["version"]),
        (&serde_json::json!("critical"), &serde_json::json!("4.0"))
    );
    assert_eq!(h["summary"]["fix_in_newer_release"], 1);
    let (code, out, _) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--severity",
            "critical",
            "--fixable",
            "--fail-on",
            "critical",
            r,
        ],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        out.contains("test:nested2") && !out.contains("rsyslog "),
        "{out}"
    );

    // Package lists: `# system-release` on stdin, or `--os amzn:<release>`.
    let list = "# os-release ID=amzn VERSION_ID=2023\n# system-release Amazon Linux release 2023.7.20250512 (Amazon Linux)\nlibnvidia-container1 0 1.17.3 1 x86_64 libnvidia-container-1.17.3-1.src.rpm\n";
    let (_, out, _) = saker(
        &["vulns", "scan", "--db", db, "--output", "json", "-"],
        Some(list),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["hosts"][0]["findings"][0];
    assert_eq!(f["fix_release"]["host_release"], "2023.7.20250512");
    assert_eq!(f["fix_release"]["in_host_release"], true);
    let bare = "libnvidia-container1 0 1.17.3 1 x86_64 libnvidia-container-1.17.3-1.src.rpm\n";
    let (_, out, _) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--os",
            "amzn:2023.6.20241010",
            "--output",
            "json",
            "-",
        ],
        Some(bare),
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let f = &v["hosts"][0]["findings"][0];
    assert_eq!(f["advisory"], "ALAS2023NVIDIA-2025-001");
    assert_eq!(f["fix_release"]["in_host_release"], false);
}

#[test]
fn vulns_reports_what_it_could_not_evaluate() {
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("vulns.db");
    let db = db.to_str().unwrap();
    let (code, _, err) = saker(
        &[
            "vulns",
            "db",
            "update",
            "--db",
            db,
            "--from",
            &format!("{ALAS}/vuls-data-update/updateinfo_2023.xml.gz"),
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    // An OS the database does not cover, an unknown rpmdb format, and jars
    // with no Maven advisories loaded: each named, none silent.
    let root = tmp.path().join("deb");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\n\nPackage: odd\nStatus: install ok installed\n",
    )
    .unwrap();
    std::fs::write(root.join("var/lib/rpm/Packages"), vec![0x5a; 8192]).unwrap();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/vulns/lang/trivy/test.jar"
        ),
        root.join("app.jar"),
    )
    .unwrap();
    let (code, out, err) = saker(&["vulns", "scan", "--db", db, root.to_str().unwrap()], None);
    assert_eq!(code, 0, "{err}");
    for want in [
        &format!(
            "not evaluated: {}: unknown rpmdb format",
            root.join("var/lib/rpm/Packages").display()
        ),
        &format!(
            "not evaluated: {}:5: stanza without Version",
            root.join("var/lib/dpkg/status").display()
        ),
        "OS debian 12 not covered by the advisory database: 1 OS packages not evaluated",
        "no OSV Maven advisories in the database: 1 Maven packages not evaluated",
        "0 findings",
        "4 items not evaluated",
    ] {
        assert!(out.contains(want), "{want}: {out}");
    }

    // A fleet with a root whose only package database is corrupt and a root
    // that does not exist: both named, the readable root still reported,
    // and the run fails (2) even though --fail-on low found nothing.
    let bad = tmp.path().join("root2");
    std::fs::create_dir_all(bad.join("var/lib/rpm")).unwrap();
    std::fs::create_dir_all(bad.join("etc")).unwrap();
    std::fs::write(bad.join("etc/os-release"), "ID=amzn\nVERSION_ID=\"2023\"\n").unwrap();
    std::fs::write(bad.join("var/lib/rpm/Packages"), vec![0xa7; 8192]).unwrap();
    let missing = tmp.path().join("nonexistent");
    let (code, out, err) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--fail-on",
            "low",
            root.to_str().unwrap(),
            bad.to_str().unwrap(),
            missing.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{out}\n{err}");
    assert!(out.contains("OS debian 12 not covered"), "{out}");
    let bad_db = bad.join("var/lib/rpm/Packages").display().to_string();
    assert!(
        out.contains(&format!("not evaluated: {bad_db}: unknown rpmdb format")),
        "{out}"
    );
    let lines: Vec<&str> = err.lines().collect();
    assert!(
        lines.iter().any(|l| l.contains(&format!(
            "{}: no readable package database: {bad_db}",
            bad.display()
        ))),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(&format!("saker vulns: {}:", missing.display()))),
        "{err}"
    );
    assert!(err.contains("2 of 3 inputs not evaluated"), "{err}");
    // The corrupt root alone fails a CI gate too.
    let (code, _, err) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--fail-on",
            "low",
            bad.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2, "{err}");
    // A bad --fail-on value lists the valid ones.
    let (code, _, err) = saker(
        &[
            "vulns",
            "scan",
            "--db",
            db,
            "--fail-on",
            "error",
            root.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(
        err.contains("unknown --fail-on severity \"error\" (critical, high, medium, low, unknown)"),
        "{err}"
    );
}

#[test]
fn vulns_cyclonedx_purls_are_percent_encoded() {
    let (code, out, err) = saker(
        &["vulns", "scan", "--output", "cyclonedx", "-"],
        Some("\u{0}\u{1}\u{2} a b\nlibc6 2.36-9+deb12u4 amd64\n"),
    );
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let purls: Vec<&str> = v["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(
        purls,
        [
            "pkg:deb/unknown/%00%01%02@a?arch=b",
            "pkg:deb/unknown/libc6@2.36-9%2Bdeb12u4?arch=amd64"
        ]
    );
}
