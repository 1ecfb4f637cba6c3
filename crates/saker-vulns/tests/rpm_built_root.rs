//! An Amazon Linux 2023-style root whose `rpmdb.sqlite` is written by the
//! real `rpm` (Debian's rpm 4.18: `rpmbuild -bb` of small spec files, then
//! `rpm --justdb --dbpath … -i`), scanned against the AL2023 updateinfo
//! fixtures. Needs `rpm` and `rpmbuild` (`apt-get install rpm`); without
//! them the test says SKIPPED and checks nothing.

use std::path::Path;
use std::process::Command;

use saker_vulns::advisory::db::{load_path, Db};
use saker_vulns::inventory::root::{scan_root, KernelChoice};
use saker_vulns::matcher::{match_host, AdvisoryIndex};

const ALAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/alas/vuls-data-update/"
);

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A spec with a main package and optional sub-packages (same EVR).
fn spec(name: &str, epoch: Option<u32>, ver: &str, rel: &str, subs: &[&str]) -> String {
    let mut s = format!(
        "Name: {name}\nVersion: {ver}\nRelease: {rel}\n{}Summary: t\nLicense: MIT\nBuildArch: x86_64\n%description\nt\n%files\n",
        epoch.map(|e| format!("Epoch: {e}\n")).unwrap_or_default()
    );
    for sub in subs {
        s.push_str(&format!(
            "%package -n {sub}\nSummary: t\n%description -n {sub}\nt\n%files -n {sub}\n"
        ));
    }
    s
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn root_with_an_rpm_written_sqlite_rpmdb() {
    if !have("rpm") || !have("rpmbuild") {
        eprintln!("SKIPPED: rpm/rpmbuild not installed (apt-get install rpm)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path().join("rpmbuild");
    let specs = [
        // Below ALAS2023-2023-001's fix 8.2204.0-3.amzn2023.0.2.
        spec(
            "rsyslog",
            None,
            "8.2204.0",
            "1.amzn2023",
            &["rsyslog-mmaudit"],
        ),
        // At the fix (epoch 0 written explicitly) and above it.
        spec(
            "rsyslog-openssl",
            Some(0),
            "8.2204.0",
            "3.amzn2023.0.2",
            &[],
        ),
        spec(
            "rsyslog-elasticsearch",
            None,
            "8.2204.0",
            "3.amzn2023.0.10",
            &[],
        ),
        // Two kernels: only the newest installed one is judged offline.
        spec(
            "kernel6.12",
            None,
            "6.12.20",
            "25.90.amzn2023",
            &["kernel-tools"],
        ),
        spec("kernel6.12", None, "6.12.10", "20.80.amzn2023", &[]),
        spec("libnvidia-container1", None, "1.17.3", "1", &[]),
    ];
    let mut rpms = Vec::new();
    for (i, s) in specs.iter().enumerate() {
        let p = tmp.path().join(format!("{i}.spec"));
        std::fs::write(&p, s).unwrap();
        run(Command::new("rpmbuild")
            .arg("--quiet")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .arg("-bb")
            .arg(&p));
    }
    for e in walk(&top.join("RPMS")) {
        rpms.push(e);
    }
    assert_eq!(rpms.len(), 8, "{rpms:?}");
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"amzn\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241010\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("etc/system-release"),
        "Amazon Linux release 2023.6.20241010 (Amazon Linux)\n",
    )
    .unwrap();
    // One package a transaction, with --oldpackage: rpm otherwise refuses
    // the older kernel6.12 once the newer one is installed.
    for r in &rpms {
        run(Command::new("rpm")
            .arg("--define")
            .arg("_db_backend sqlite")
            .arg("--dbpath")
            .arg(root.join("var/lib/rpm"))
            .args(["--justdb", "--nodeps", "--ignorearch", "--oldpackage", "-i"])
            .arg(r));
    }
    assert!(root.join("var/lib/rpm/rpmdb.sqlite").is_file());

    let inv = scan_root(&root, false);
    assert!(
        inv.inventory.problems.is_empty(),
        "{:?}",
        inv.inventory.problems
    );
    let mut nevras: Vec<String> = inv.inventory.packages.iter().map(|p| p.nevra()).collect();
    nevras.sort();
    assert_eq!(
        nevras,
        [
            "kernel-tools-6.12.20-25.90.amzn2023.x86_64",
            "kernel6.12-6.12.10-20.80.amzn2023.x86_64",
            "kernel6.12-6.12.20-25.90.amzn2023.x86_64",
            "libnvidia-container1-1.17.3-1.x86_64",
            "rsyslog-8.2204.0-1.amzn2023.x86_64",
            "rsyslog-elasticsearch-8.2204.0-3.amzn2023.0.10.x86_64",
            "rsyslog-mmaudit-8.2204.0-1.amzn2023.x86_64",
            "rsyslog-openssl-8.2204.0-3.amzn2023.0.2.x86_64",
        ]
    );
    // The explicit `Epoch: 0` is read (and printed as rpm does, without 0:).
    let openssl = inv
        .inventory
        .packages
        .iter()
        .find(|p| p.name == "rsyslog-openssl")
        .unwrap();
    assert_eq!(openssl.epoch, Some(0));
    assert!(inv
        .inventory
        .packages
        .iter()
        .all(|p| p.name == "rsyslog-openssl" || p.epoch.is_none()));
    assert_eq!(
        inv.kernel,
        KernelChoice::NewestInstalled("6.12.20-25.90.amzn2023.x86_64".into())
    );

    let mut db = Db::open(&tmp.path().join("vulns.db")).unwrap();
    let mut all = Vec::new();
    for f in [
        "updateinfo_2023.xml.gz",
        "updateinfo_2023_nvidia.xml.gz",
        "ALAS2023-2025-935.json",
    ] {
        let (a, p) = load_path(Path::new(&format!("{ALAS}{f}")));
        assert!(p.is_empty(), "{p:?}");
        all.extend(a);
    }
    db.replace(&all, ALAS).unwrap();
    let index = AdvisoryIndex::new(db.advisories_for(&["amzn:2023".into()]).unwrap());
    let report = match_host(&inv, &index);
    let mut got: Vec<(String, String, String, bool)> = report
        .findings
        .iter()
        .map(|f| {
            (
                format!("{}-{}", f.package, f.installed),
                f.advisory.clone(),
                f.fixed.clone().unwrap_or_default(),
                f.fix_release.as_ref().unwrap().in_host_release,
            )
        })
        .collect();
    got.sort();
    let want = [
        (
            "kernel-tools-6.12.20-25.90.amzn2023",
            "ALAS2023-2025-935",
            "0:6.12.22-27.96.amzn2023",
            false,
        ),
        (
            "kernel6.12-6.12.20-25.90.amzn2023",
            "ALAS2023-2025-935",
            "0:6.12.22-27.96.amzn2023",
            false,
        ),
        (
            "libnvidia-container1-1.17.3-1",
            "ALAS2023NVIDIA-2025-001",
            "0:1.17.4-1",
            false,
        ),
        (
            "rsyslog-8.2204.0-1.amzn2023",
            "ALAS2023-2023-001",
            "0:8.2204.0-3.amzn2023.0.2",
            true,
        ),
        (
            "rsyslog-mmaudit-8.2204.0-1.amzn2023",
            "ALAS2023-2023-001",
            "0:8.2204.0-3.amzn2023.0.2",
            true,
        ),
    ];
    let want: Vec<(String, String, String, bool)> = want
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), *d))
        .collect();
    assert_eq!(got, want);
    // The older kernel is named as not judged.
    assert!(report.not_evaluated.iter().any(|p| p
        .message
        .contains("kernel6.12-6.12.10-20.80.amzn2023.x86_64")));
    assert!(report
        .findings
        .iter()
        .all(|f| f.severity == saker_vulns::advisory::Severity::High));
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "rpm") {
            out.push(p);
        }
    }
    out.sort();
    out
}
