//! End to end on an Amazon Linux 2023-style root built here: os-release,
//! system-release, a running kernel, an `rpmdb.sqlite` whose headers are
//! encoded by the test (no `rpm` binary), a jar owned by an rpm and one
//! that is not. Advisories: the AL2023 updateinfo fixtures (core,
//! kernel-livepatch, nvidia) and the kernel6.12 advisory ALAS2023-2025-935.

use std::path::Path;

use saker_vulns::advisory::db::{load_path, Db};
use saker_vulns::advisory::Severity;
use saker_vulns::inventory::root::{scan_root, KernelChoice};
use saker_vulns::inventory::rpm_header::encode_package;
use saker_vulns::inventory::rpmdb::write_sqlite_rpmdb;
use saker_vulns::matcher::{filter, match_host, AdvisoryIndex, Finding};

const ALAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/alas/"
);
const LANG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/lang/trivy/"
);

/// (name, epoch, version, release, arch, files)
type Pkg<'a> = (
    &'a str,
    Option<u32>,
    &'a str,
    &'a str,
    &'a str,
    &'a [&'a str],
);

/// Writes an rpm ≥ 4.16-style SQLite rpmdb with the given packages.
pub fn write_rpmdb(path: &Path, pkgs: &[Pkg]) {
    let blobs: Vec<Vec<u8>> = pkgs
        .iter()
        .map(|(n, e, v, r, a, f)| encode_package(n, *e, v, r, a, f))
        .collect();
    write_sqlite_rpmdb(path, &blobs).unwrap();
}

const RUNNING: &str = "6.12.20-25.90.amzn2023.x86_64";

fn build_root(dir: &Path) {
    let w = |rel: &str, text: &str| {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("etc/os-release", "NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nID_LIKE=\"fedora\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241010\"\n");
    w(
        "etc/system-release",
        "Amazon Linux release 2023.6.20241010 (Amazon Linux)\n",
    );
    w("proc/sys/kernel/osrelease", &format!("{RUNNING}\n"));
    let pkgs: &[Pkg] = &[
        // Older than ALAS2023-2023-001's 8.2204.0-3.amzn2023.0.2: vulnerable.
        ("rsyslog", None, "8.2204.0", "1.amzn2023", "x86_64", &[]),
        // Exactly at the fix, and above it: not vulnerable.
        (
            "rsyslog-gnutls",
            Some(0),
            "8.2204.0",
            "3.amzn2023.0.2",
            "x86_64",
            &[],
        ),
        (
            "rsyslog-openssl",
            None,
            "8.2204.0",
            "3.amzn2023.0.10",
            "x86_64",
            &[],
        ),
        // Running kernel (6.12.20 < 6.12.22 fix): vulnerable.
        (
            "kernel6.12",
            None,
            "6.12.20",
            "25.90.amzn2023",
            "x86_64",
            &[],
        ),
        // Older kernel still installed but not running: not judged.
        (
            "kernel6.12",
            None,
            "6.12.10",
            "20.80.amzn2023",
            "x86_64",
            &[],
        ),
        // kernel-headers of the 6.1 line: the 6.12 entries of ALAS2023-2025-935 do not apply.
        (
            "kernel-headers",
            None,
            "6.1.100",
            "1.amzn2023",
            "x86_64",
            &[],
        ),
        // Shared kernel-tools of the 6.12 line: vulnerable.
        (
            "kernel-tools",
            None,
            "6.12.20",
            "25.90.amzn2023",
            "x86_64",
            &[],
        ),
        (
            "kernel-livepatch-6.1.12-19.43",
            None,
            "0.9",
            "1.amzn2023",
            "x86_64",
            &[],
        ),
        ("libnvidia-container1", None, "1.17.3", "1", "x86_64", &[]),
        (
            "bash",
            None,
            "5.2.15",
            "1.amzn2023.0.2",
            "x86_64",
            &["/usr/bin/bash"],
        ),
        // An rpm owning a jar: the jar is not reported a second time.
        (
            "guava",
            None,
            "29.0",
            "1.amzn2023",
            "noarch",
            &["/usr/share/java/guava.jar"],
        ),
    ];
    write_rpmdb(&dir.join("var/lib/rpm/rpmdb.sqlite"), pkgs);
    let jar = std::fs::read(format!("{LANG}hadoop-shaded-guava-1.1.0-SNAPSHOT.jar")).unwrap();
    std::fs::create_dir_all(dir.join("usr/share/java")).unwrap();
    std::fs::write(dir.join("usr/share/java/guava.jar"), &jar).unwrap();
    std::fs::create_dir_all(dir.join("opt/app/lib")).unwrap();
    std::fs::copy(
        format!("{LANG}nested.jar"),
        dir.join("opt/app/lib/nested.jar"),
    )
    .unwrap();
    std::fs::write(dir.join("opt/app/lib/broken.jar"), b"not a zip").unwrap();
}

fn database(dir: &Path) -> AdvisoryIndex {
    let mut db = Db::open(&dir.join("vulns.db")).unwrap();
    let mut all = Vec::new();
    for f in [
        "vuls-data-update/updateinfo_2023.xml.gz",
        "vuls-data-update/updateinfo_2023_kernel-livepatch.xml.gz",
        "vuls-data-update/updateinfo_2023_nvidia.xml.gz",
        "vuls-data-update/ALAS2023-2025-935.json",
        "vuls-data-update/updateinfo_2_kernel-5.15.xml.gz",
    ] {
        let (a, p) = load_path(Path::new(&format!("{ALAS}{f}")));
        assert!(p.is_empty(), "{p:?}");
        all.extend(a);
    }
    // One batch: a source is replaced as a whole by what the batch holds.
    db.replace(&all, ALAS).unwrap();
    AdvisoryIndex::new(
        db.advisories_for(&["amzn:2023".into(), "Maven".into()])
            .unwrap(),
    )
}

fn find<'a>(f: &'a [Finding], pkg: &str) -> Vec<&'a Finding> {
    f.iter().filter(|x| x.package == pkg).collect()
}

#[test]
fn al2023_root_reports_exactly_the_vulnerable_packages() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    build_root(&root);
    let inv = scan_root(&root, true);
    assert_eq!(inv.kernel, KernelChoice::Running(RUNNING.into()));
    assert_eq!(
        inv.os.as_ref().unwrap().release.as_deref(),
        Some("2023.6.20241010")
    );
    let index = database(tmp.path());
    let report = match_host(&inv, &index);
    let f = &report.findings;

    let rs = find(f, "rsyslog");
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].advisory, "ALAS2023-2023-001");
    assert_eq!(rs[0].fixed.as_deref(), Some("0:8.2204.0-3.amzn2023.0.2"));
    assert_eq!(rs[0].severity, Severity::High);
    assert!(rs[0].cves.contains(&"CVE-2022-24903".to_string()));
    assert_eq!(
        rs[0].link,
        "https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html"
    );
    assert!(find(f, "rsyslog-gnutls").is_empty(), "at the fix");
    assert!(find(f, "rsyslog-openssl").is_empty(), "above the fix");

    let k = find(f, "kernel6.12");
    assert_eq!(k.len(), 1, "only the running kernel: {k:?}");
    assert_eq!(k[0].installed, "6.12.20-25.90.amzn2023");
    assert_eq!(
        (k[0].advisory.as_str(), k[0].fixed.as_deref()),
        ("ALAS2023-2025-935", Some("0:6.12.22-27.96.amzn2023"))
    );
    assert_eq!(k[0].cves.len(), 14);
    assert!(
        report.not_evaluated.iter().any(|p| p
            .message
            .contains("kernel6.12-6.12.10-20.80.amzn2023.x86_64")),
        "{:?}",
        report.not_evaluated
    );
    assert!(
        find(f, "kernel-headers").is_empty(),
        "6.1 headers vs 6.12 advisory"
    );
    assert_eq!(find(f, "kernel-tools").len(), 1);

    let lp = find(f, "kernel-livepatch-6.1.12-19.43");
    assert_eq!(
        (lp[0].advisory.as_str(), lp[0].fixed.as_deref()),
        ("ALAS2023LIVEPATCH-2023-001", Some("0:1.0-1.amzn2023"))
    );
    let nv = find(f, "libnvidia-container1");
    assert_eq!(
        (nv[0].advisory.as_str(), nv[0].severity),
        ("ALAS2023NVIDIA-2025-001", Severity::High)
    );
    assert!(nv[0].cves.contains(&"CVE-2025-23359".to_string()));
    assert!(find(f, "bash").is_empty());
    // The extras kernel-5.15 advisory (AL2) never applies to AL2023.
    assert!(f.iter().all(|x| !x.advisory.starts_with("ALAS2KERNEL")));

    // The rpm-owned jar is dropped; the application jars are inventoried;
    // the broken jar is reported with its path.
    let names: Vec<_> = inv
        .inventory
        .packages
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert!(!names.contains(&"com.google.guava:guava"), "{names:?}");
    assert!(names.contains(&"test:nested3"));
    assert!(report
        .not_evaluated
        .iter()
        .any(|p| p.location == "/opt/app/lib/broken.jar"));

    assert_eq!(
        report.summary.packages,
        11 + 3,
        "11 rpms + 3 jars of nested.jar"
    );
    assert_eq!(report.summary.vulnerable_packages, 5);
    assert_eq!((report.summary.high, report.summary.fixable), (5, 5));
    assert!(f.windows(2).all(|w| w[0].severity >= w[1].severity));

    let mut only = report.clone();
    filter(&mut only, &[Severity::Critical], true);
    assert!(only.findings.is_empty());

    // Versioned AL2023 repositories: the host is on 2023.6.20241010, so a
    // fix issued after 2024-10-10 is only in a newer release.
    let rel = |pkg: &str| {
        let r = find(f, pkg)[0].fix_release.clone().unwrap();
        assert_eq!(r.host_release, "2023.6.20241010");
        (r.advisory_issued, r.in_host_release)
    };
    assert_eq!(rel("rsyslog"), ("2023-02-17".into(), true));
    assert_eq!(
        rel("kernel-livepatch-6.1.12-19.43"),
        ("2023-04-13".into(), true)
    );
    assert_eq!(rel("kernel6.12"), ("2025-04-09".into(), false));
    assert_eq!(rel("kernel-tools"), ("2025-04-09".into(), false));
    assert_eq!(rel("libnvidia-container1"), ("2025-02-14".into(), false));
    assert_eq!(report.summary.fix_in_newer_release, 3);
    let text = saker_vulns::report::render_text(&report);
    assert!(
        text.contains("0:6.12.22-27.96.amzn2023 (newer release)"),
        "{text}"
    );
    assert!(
        text.contains("issued after this host's Amazon Linux release 2023.6.20241010"),
        "{text}"
    );
    assert!(
        text.contains("5 fixable (3 only in a newer Amazon Linux 2023 release)"),
        "{text}"
    );

    // A host already on a release after every advisory: all installable.
    let mut newer = inv.clone();
    newer.os.as_mut().unwrap().release = Some("2023.7.20250701".into());
    let r2 = match_host(&newer, &index);
    assert_eq!(r2.summary.fix_in_newer_release, 0);
    assert!(r2
        .findings
        .iter()
        .all(|x| x.fix_release.as_ref().unwrap().in_host_release));
    // No system-release (release unknown): no claim either way.
    let mut unknown = inv.clone();
    unknown.os.as_mut().unwrap().release = None;
    let r3 = match_host(&unknown, &index);
    assert!(r3.findings.iter().all(|x| x.fix_release.is_none()));
}

#[test]
fn offline_volume_judges_the_newest_installed_kernel() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    build_root(&root);
    std::fs::remove_dir_all(root.join("proc")).unwrap();
    let inv = scan_root(&root, false);
    assert_eq!(inv.kernel, KernelChoice::NewestInstalled(RUNNING.into()));
    let report = match_host(&inv, &database(tmp.path()));
    assert!(report
        .not_evaluated
        .iter()
        .any(|p| p.message.contains("newest installed; offline scan")));
    assert_eq!(find(&report.findings, "kernel6.12").len(), 1);
}

#[test]
fn os_not_covered_is_reported_not_silent() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    build_root(&root);
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"amzn\"\nVERSION_ID=\"2\"\n",
    )
    .unwrap();
    std::fs::remove_file(root.join("etc/system-release")).unwrap();
    let inv = scan_root(&root, true);
    let report = match_host(&inv, &database(tmp.path()));
    // No amzn:2 core advisories loaded here: rpm packages are not evaluated, and the report says so.
    assert!(report
        .findings
        .iter()
        .all(|f| f.kind != saker_vulns::inventory::PackageKind::Rpm));
    assert!(
        report
            .not_evaluated
            .iter()
            .any(|p| p.message.contains("OS amzn 2 not covered")
                && p.message.contains("11 OS packages")),
        "{:?}",
        report.not_evaluated
    );
}

/// Amazon Linux 2: core advisories with epochs, the kernel-5.15 extras
/// topic scoped to its kernel line (a 4.x `kernel-headers` is not matched
/// against ALAS2KERNEL-5.15, the grype-db#149 false positive), the running
/// kernel only.
#[test]
fn al2_root_scopes_extras_to_their_kernel_line() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("proc/sys/kernel")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"amzn\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n",
    )
    .unwrap();
    std::fs::write(
        root.join("proc/sys/kernel/osrelease"),
        "4.9.62-21.56.amzn2.x86_64\n",
    )
    .unwrap();
    let pkgs: &[Pkg] = &[
        ("kernel", None, "4.9.62", "21.56.amzn2", "x86_64", &[]),
        ("kernel", None, "4.9.70", "22.55.amzn2", "x86_64", &[]),
        (
            "kernel-headers",
            None,
            "4.9.62",
            "21.56.amzn2",
            "x86_64",
            &[],
        ),
        ("perf", None, "5.15.40", "1.amzn2", "x86_64", &[]),
        (
            "qemu-kvm",
            Some(10),
            "1.5.3",
            "141.amzn2.5.2",
            "x86_64",
            &[],
        ),
        (
            "java-1.8.0-openjdk",
            Some(1),
            "1.8.0.161",
            "0.b14.amzn2",
            "x86_64",
            &[],
        ),
        // Without its epoch 10 this would compare below the fix; with it, above.
        (
            "qemu-img",
            Some(10),
            "1.5.3",
            "141.amzn2.5.3",
            "x86_64",
            &[],
        ),
    ];
    write_rpmdb(&root.join("var/lib/rpm/rpmdb.sqlite"), pkgs);
    let mut all = Vec::new();
    for f in [
        "vuln-list-update/updateinfo_2_items.xml.gz",
        "vuls-data-update/updateinfo_2.xml.gz",
        "vuls-data-update/updateinfo_2_kernel-5.15.xml.gz",
    ] {
        all.extend(load_path(Path::new(&format!("{ALAS}{f}"))).0);
    }
    let mut db = Db::open(&tmp.path().join("v.db")).unwrap();
    db.replace(&all, ALAS).unwrap();
    let index = AdvisoryIndex::new(db.advisories_for(&["amzn:2".into()]).unwrap());
    let report = match_host(&scan_root(&root, true), &index);
    let got: Vec<(&str, &str, &str, Severity)> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.package.as_str(),
                f.installed.as_str(),
                f.advisory.as_str(),
                f.severity,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "kernel",
                "4.9.62-21.56.amzn2",
                "ALAS2-2018-939",
                Severity::Critical
            ),
            (
                "perf",
                "5.15.40-1.amzn2",
                "ALAS2KERNEL-5.15-2022-001",
                Severity::High
            ),
            (
                "qemu-kvm",
                "10:1.5.3-141.amzn2.5.2",
                "ALAS2-2018-942",
                Severity::High
            ),
        ]
    );
    assert_eq!(
        report.findings[2].fixed.as_deref(),
        Some("10:1.5.3-141.amzn2.5.3")
    );
}
