//! Every rpmdb, dpkg, jar and gemspec fixture in `../shared/data/vulns/`
//! reads completely; bad input is reported with its location.

use std::path::Path;

use saker_vulns::inventory::pkglist::{parse_list, ListKind};
use saker_vulns::inventory::{dpkg, gem, jar, os, rpmdb, PackageKind};

const D: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/vulns/");

fn fixture(rel: &str) -> String {
    format!("{D}{rel}")
}

fn read_db(rel: &str) -> saker_vulns::inventory::Inventory {
    rpmdb::read_rpmdb(Path::new(&fixture(rel)), rel)
}

fn nevras(inv: &saker_vulns::inventory::Inventory) -> Vec<String> {
    inv.packages.iter().map(|p| p.nevra()).collect()
}

#[test]
fn rpmdb_formats_are_detected() {
    use rpmdb::RpmdbFormat::*;
    for (rel, want) in [
        ("rpmdb/go-rpmdb/libuuid_bdb_Packages", BerkeleyDb),
        ("rpmdb/syft/dive_bdb_Packages", BerkeleyDb),
        ("rpmdb/go-rpmdb/sle15-bci_ndb_Packages.db", Ndb),
        ("rpmdb/go-rpmdb/cbl-mariner-2.0_rpmdb.sqlite", Sqlite),
    ] {
        let head = std::fs::read(fixture(rel)).unwrap();
        assert_eq!(rpmdb::detect_format(&head[..64]), Some(want), "{rel}");
    }
}

#[test]
fn berkeley_db_rpmdbs_read_completely() {
    let inv = read_db("rpmdb/go-rpmdb/libuuid_bdb_Packages");
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_eq!(nevras(&inv), ["libuuid-2.32.1-42.el8_8.x86_64"]);
    let p = &inv.packages[0];
    assert_eq!(p.source_name.as_deref(), Some("util-linux"));
    assert_eq!(p.source_version.as_deref(), Some("2.32.1-42.el8_8"));
    assert_eq!(p.vendor.as_deref(), Some("Red Hat, Inc."));
    assert_eq!(p.epoch, None);
    assert!(
        p.files
            .iter()
            .any(|f| f.starts_with("/usr/lib64/libuuid.so")),
        "{:?}",
        p.files
    );

    let inv = read_db("rpmdb/syft/dive_bdb_Packages");
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_eq!(nevras(&inv), ["dive-0.9.2-1.x86_64"]);
}

#[test]
fn ndb_rpmdb_reads_completely() {
    let inv = read_db("rpmdb/go-rpmdb/sle15-bci_ndb_Packages.db");
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_eq!(inv.packages.len(), 35);
    let n = nevras(&inv);
    assert!(n.contains(&"glibc-2.31-9.3.2.x86_64".to_string()), "{n:?}");
    assert!(n.contains(&"filesystem-15.0-11.3.2.x86_64".to_string()));
    assert!(inv
        .packages
        .iter()
        .all(|p| p.vendor.as_deref() == Some("SUSE LLC <https://www.suse.com/>")));
}

#[test]
fn sqlite_rpmdb_reads_completely() {
    let inv = read_db("rpmdb/go-rpmdb/cbl-mariner-2.0_rpmdb.sqlite");
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    assert_eq!(inv.packages.len(), 129);
    let n = nevras(&inv);
    for want in [
        "mariner-release-2.0-4.cm2.noarch",
        "glibc-2.34-2.cm2.x86_64",
        "ca-certificates-base-1:2.0.0-1.cm2.noarch",
    ] {
        assert!(n.contains(&want.to_string()), "{want} in {n:?}");
    }
    let ca = inv
        .packages
        .iter()
        .find(|p| p.name == "ca-certificates-base")
        .unwrap();
    assert_eq!(ca.epoch, Some(1));
}

#[test]
fn corrupt_rpmdbs_are_reported_with_location() {
    let dir = tempfile::tempdir().unwrap();
    // Truncated Berkeley DB: keep the metadata page and part of page 1.
    let full = std::fs::read(fixture("rpmdb/go-rpmdb/libuuid_bdb_Packages")).unwrap();
    let cut = dir.path().join("Packages");
    std::fs::write(&cut, &full[..4096 + 100]).unwrap();
    let inv = rpmdb::read_rpmdb(&cut, "/var/lib/rpm/Packages");
    assert!(inv.packages.is_empty());
    assert!(
        inv.problems
            .iter()
            .any(|p| p.location.starts_with("/var/lib/rpm/Packages")
                && p.message.contains("truncated")),
        "{:?}",
        inv.problems
    );
    // A header blob cut short inside the SQLite database.
    let bad = dir.path().join("rpmdb.sqlite");
    {
        let c = rusqlite::Connection::open(&bad).unwrap();
        c.execute_batch("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB NOT NULL)")
            .unwrap();
        c.execute("INSERT INTO Packages VALUES (7, x'0000000500000100')", [])
            .unwrap();
    }
    let inv = rpmdb::read_rpmdb(&bad, "/var/lib/rpm/rpmdb.sqlite");
    assert_eq!(inv.problems.len(), 1);
    assert_eq!(inv.problems[0].location, "/var/lib/rpm/rpmdb.sqlite hnum 7");
    assert!(
        inv.problems[0].message.contains("truncated"),
        "{}",
        inv.problems[0]
    );
    // Unknown format.
    let junk = dir.path().join("junk");
    std::fs::write(
        &junk,
        b"this is not an rpmdb at all, just some text padding it out",
    )
    .unwrap();
    let inv = rpmdb::read_rpmdb(&junk, "/var/lib/rpm/Packages");
    assert!(inv.problems[0].message.contains("unknown rpmdb format"));
}

#[test]
fn corrupt_sqlite_page_loses_only_its_rows() {
    // The real CBL-Mariner rpmdb.sqlite (129 packages) with one page in the
    // middle overwritten: the table scan stops there, the rows on other
    // pages are still read by hnum, and the lost ones are named.
    let dir = tempfile::tempdir().unwrap();
    let mut b = std::fs::read(fixture("rpmdb/go-rpmdb/cbl-mariner-2.0_rpmdb.sqlite")).unwrap();
    let page = u16::from_be_bytes([b[16], b[17]]) as usize;
    let page = if page == 1 { 65536 } else { page };
    let mid = (b.len() / page / 2) * page;
    for (i, x) in b[mid..mid + page].iter_mut().enumerate() {
        *x = (i * 7 + 13) as u8;
    }
    let p = dir.path().join("rpmdb.sqlite");
    std::fs::write(&p, &b).unwrap();
    let inv = rpmdb::read_rpmdb(&p, "/var/lib/rpm/rpmdb.sqlite");
    // The page held hnum 74's row: the table scan stops there; looking up
    // every other hnum reads the rows stored after it.
    assert_eq!(inv.packages.len(), 128);
    assert_eq!(inv.problems.len(), 1, "{:?}", inv.problems);
    let salvage = &inv.problems[0];
    assert_eq!(
        salvage.message,
        "corrupt SQLite rpmdb (database disk image is malformed): 128 rows read by hnum lookup; 1 rows unreadable (hnum 74)"
    );
    assert_eq!(salvage.location, "/var/lib/rpm/rpmdb.sqlite");
    assert!(salvage.message.contains("rows unreadable"), "{salvage}");
}

/// The `-- var/lib/dpkg/status --` section of trivy's txtar fixture.
fn txtar_section(text: &str, name: &str) -> String {
    let marker = format!("-- {name} --\n");
    let start = text.find(&marker).unwrap() + marker.len();
    let rest = &text[start..];
    let end = rest.find("\n-- ").map_or(rest.len(), |e| e + 1);
    rest[..end].to_string()
}

#[test]
fn dpkg_status_files_read_completely() {
    let txt = std::fs::read_to_string(fixture("dpkg/trivy/valid.txtar")).unwrap();
    let status = txtar_section(&txt, "var/lib/dpkg/status");
    let inv = dpkg::parse_status(&status, "/var/lib/dpkg/status");
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    // 91 stanzas, one is "deinstall ok config-files".
    assert_eq!(inv.packages.len(), 90);
    let with_src_ver: Vec<_> = inv
        .packages
        .iter()
        .filter(|p| p.source_version.as_deref() != Some(p.version.as_str()))
        .map(|p| {
            (
                p.name.as_str(),
                p.source_name.as_deref().unwrap(),
                p.source_version.as_deref().unwrap(),
            )
        })
        .collect();
    assert!(!with_src_ver.is_empty());

    let inv = dpkg::parse_status(
        &std::fs::read_to_string(fixture("dpkg/syft/status_image-pkg-coverage")).unwrap(),
        "s",
    );
    assert_eq!(inv.packages.len(), 1);
    assert_eq!(inv.packages[0].source_name.as_deref(), Some("apt-dev"));

    let inv = dpkg::parse_status(
        &std::fs::read_to_string(fixture("dpkg/syft/status.d_coreutils-relationships")).unwrap(),
        "c",
    );
    assert!(inv.problems.is_empty());
    assert_eq!(inv.packages.len(), 9);
    let sel = inv
        .packages
        .iter()
        .find(|p| p.name == "libselinux1")
        .unwrap();
    assert_eq!(
        (
            sel.version.as_str(),
            sel.source_name.as_deref(),
            sel.source_version.as_deref()
        ),
        ("3.4-1+b6", Some("libselinux"), Some("3.4-1"))
    );

    // Odd stanzas ("Package:" empty, no Version) are reported by line.
    let inv = dpkg::parse_status(
        &std::fs::read_to_string(fixture("dpkg/syft/status.d_multiple")).unwrap(),
        "/var/lib/dpkg/status.d/multiple",
    );
    let names: Vec<_> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["tzdata", "util-linux"]);
    let locs: Vec<_> = inv.problems.iter().map(|p| p.location.as_str()).collect();
    assert_eq!(
        locs,
        [
            "/var/lib/dpkg/status.d/multiple:1",
            "/var/lib/dpkg/status.d/multiple:3"
        ]
    );
}

fn jar_pkgs(rel: &str) -> Vec<(String, String, String)> {
    let inv = jar::read_jar_bytes(&std::fs::read(fixture(rel)).unwrap(), rel);
    assert!(inv.problems.is_empty(), "{:?}", inv.problems);
    inv.packages
        .into_iter()
        .map(|p| (p.name, p.version, p.location))
        .collect()
}

#[test]
fn jars_read_completely() {
    let shaded = jar_pkgs("lang/trivy/hadoop-shaded-guava-1.1.0-SNAPSHOT.jar");
    let names: Vec<_> = shaded.iter().map(|(n, v, _)| format!("{n}@{v}")).collect();
    assert_eq!(names.len(), 5);
    assert!(
        names.contains(&"com.google.guava:guava@29.0-jre".to_string()),
        "{names:?}"
    );
    assert!(names
        .contains(&"org.apache.hadoop.thirdparty:hadoop-shaded-guava@1.1.0-SNAPSHOT".to_string()));

    let nested = jar_pkgs("lang/trivy/nested.jar");
    assert_eq!(
        nested,
        [
            (
                "test:nested".into(),
                "0.0.1".into(),
                "lang/trivy/nested.jar".into()
            ),
            (
                "test:nested2".into(),
                "0.0.2".into(),
                "lang/trivy/nested.jar!META-INF/jars/nested2.jar".into()
            ),
            (
                "test:nested3".into(),
                "0.0.3".into(),
                "lang/trivy/nested.jar!META-INF/jars/nested2.jar!META-INF/jars/nested3.jar".into()
            ),
        ]
    );
    let manifest = jar_pkgs("lang/trivy/test.jar");
    assert_eq!(manifest[0].1, "2.5.6.SEC03");
    let heuristic = jar_pkgs("lang/trivy/heuristic-1.0.0-SNAPSHOT.jar");
    assert_eq!(
        (heuristic[0].0.as_str(), heuristic[0].1.as_str()),
        ("heuristic", "1.0.0-SNAPSHOT")
    );

    let inv = jar::read_jar_bytes(b"PK\x03\x04 definitely not a zip", "/opt/app/broken.jar");
    assert!(inv.packages.is_empty());
    assert_eq!(inv.problems[0].location, "/opt/app/broken.jar");
    assert!(inv.problems[0].message.contains("not a readable zip"));
}

#[test]
fn gemspecs_read() {
    let cases = [
        ("normal00.gemspec", "rake", "13.0.3"),
        ("normal01.gemspec", "async", "1.25.0"),
    ];
    for (f, n, v) in cases {
        let p = gem::parse_gemspec(
            &std::fs::read_to_string(fixture(&format!("lang/trivy/{f}"))).unwrap(),
            f,
        )
        .unwrap();
        assert_eq!(
            (p.kind, p.name.as_str(), p.version.as_str()),
            (PackageKind::Gem, n, v)
        );
    }
    let p = gem::parse_gemspec(
        &std::fs::read_to_string(fixture("lang/trivy/multiple_licenses.gemspec")).unwrap(),
        "m",
    )
    .unwrap();
    assert!(!p.name.is_empty() && !p.version.is_empty());
    assert!(gem::parse_gemspec("puts 1", "/x.gemspec").is_err());
}

#[test]
fn package_lists_from_stdin() {
    let rpm = "bash 0 5.2.15 1.amzn2023.0.2 x86_64 bash-5.2.15-1.amzn2023.0.2.src.rpm\n\
               java-17 1 17.0.9 1.amzn2023 x86_64 java-17-17.0.9-1.amzn2023.src.rpm\n\
               openssl-libs-3.0.8-1.amzn2023.0.3.x86_64\n\
               garbage line that is no package\n";
    let inv = parse_list(rpm, ListKind::Rpm, "-");
    assert_eq!(
        nevras(&inv),
        [
            "bash-5.2.15-1.amzn2023.0.2.x86_64",
            "java-17-1:17.0.9-1.amzn2023.x86_64",
            "openssl-libs-3.0.8-1.amzn2023.0.3.x86_64"
        ]
    );
    assert_eq!(inv.problems[0].location, "-:4");
    let deb = "libc6 2.36-9+deb12u1 amd64 glibc 2.36-9+deb12u1\ncurl\t7.88.1-10\n";
    let inv = parse_list(deb, ListKind::Dpkg, "-");
    assert_eq!(inv.packages[0].source_name.as_deref(), Some("glibc"));
    assert_eq!(inv.packages[1].version, "7.88.1-10");
}

#[test]
fn os_release_and_system_release() {
    let o = os::parse_os_release("NAME=\"Amazon Linux\"\nVERSION=\"2023\"\nID=\"amzn\"\nVERSION_ID=\"2023\"\nPRETTY_NAME=\"Amazon Linux 2023.6.20241010\"\n");
    assert_eq!(o.amazon_linux(), Some("2023"));
    let s =
        os::parse_system_release("Amazon Linux release 2023.6.20241010 (Amazon Linux)\n").unwrap();
    assert_eq!(
        (s.version_id.as_str(), s.release.as_deref()),
        ("2023", Some("2023.6.20241010"))
    );
    let s = os::parse_system_release("Amazon Linux release 2 (Karoo)\n").unwrap();
    assert_eq!(s.amazon_linux(), Some("2"));
    let s = os::parse_system_release("Amazon Linux AMI release 2018.03\n").unwrap();
    assert_eq!(s.amazon_linux(), Some("1"));
}
