//! Every updateinfo fixture in `../shared/data/vulns/alas/` loads, with
//! pinned advisory and package-entry counts; repomd.xml leads to the
//! updateinfo; malformed XML and a missing epoch are reported.

use std::path::Path;

use saker_vulns::advisory::db::{load_osv_zip, load_path, Db, STALE_AFTER_SECONDS};
use saker_vulns::advisory::updateinfo::{counts, parse_updateinfo, Counts};
use saker_vulns::advisory::{alas_link, osv, repomd, Severity};

const D: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/alas/"
);

#[test]
fn every_updateinfo_fixture_loads_with_pinned_counts() {
    let cases: &[(&str, usize, usize, &str)] = &[
        (
            "vuln-list-update/updateinfo_2_items.xml.gz",
            2,
            22,
            "alas:amzn:2/core",
        ),
        (
            "vuln-list-update/updateinfo_AL2023.xml.gz",
            1,
            61,
            "alas:amzn:2023/core",
        ),
        (
            "vuls-data-update/updateinfo_1.xml.gz",
            1,
            1,
            "alas:amzn:1/core",
        ),
        (
            "vuls-data-update/updateinfo_2.xml.gz",
            1,
            1,
            "alas:amzn:2/core",
        ),
        (
            "vuls-data-update/updateinfo_2022.xml.gz",
            1,
            2,
            "alas:amzn:2022/core",
        ),
        (
            "vuls-data-update/updateinfo_2023.xml.gz",
            1,
            61,
            "alas:amzn:2023/core",
        ),
        (
            "vuls-data-update/updateinfo_2023_kernel-livepatch.xml.gz",
            1,
            1,
            "alas:amzn:2023/kernel-livepatch",
        ),
        (
            "vuls-data-update/updateinfo_2023_nvidia.xml.gz",
            1,
            6,
            "alas:amzn:2023/nvidia",
        ),
        (
            "vuls-data-update/updateinfo_2_kernel-5.15.xml.gz",
            1,
            31,
            "alas:amzn:2/kernel-5.15",
        ),
    ];
    for (rel, advs, pkgs, source) in cases {
        let (a, problems) = load_path(Path::new(&format!("{D}{rel}")));
        assert!(problems.is_empty(), "{rel}: {problems:?}");
        let c = counts(&a);
        assert_eq!(c.advisories, *advs, "{rel} advisories");
        assert_eq!(c.packages, *pkgs, "{rel} package entries");
        assert!(
            a.iter().all(|x| x.source == *source),
            "{rel}: {:?}",
            a.iter().map(|x| &x.source).collect::<Vec<_>>()
        );
        println!("{rel}: {c:?}");
    }
}

#[test]
fn updateinfo_records_carry_epoch_severity_cves_and_links() {
    let (a, _) = load_path(Path::new(&format!(
        "{D}vuln-list-update/updateinfo_2_items.xml.gz"
    )));
    let java = a.iter().find(|x| x.id == "ALAS2-2018-949").unwrap();
    assert_eq!(java.severity, Severity::High);
    assert!(java.cves.contains(&"CVE-2018-2579".to_string()));
    assert_eq!(
        java.link,
        "https://alas.aws.amazon.com/AL2/ALAS-2018-949.html"
    );
    let jdk = java
        .affected
        .iter()
        .find(|p| p.name == "java-1.8.0-openjdk")
        .unwrap();
    assert_eq!(
        jdk.ranges[0].fixed.as_deref(),
        Some("1:1.8.0.161-0.b14.amzn2")
    );
    let qemu = a.iter().find(|x| x.id == "ALAS2-2018-942").unwrap();
    let q = qemu.affected.iter().find(|p| p.name == "qemu-kvm").unwrap();
    assert_eq!(q.ranges[0].fixed.as_deref(), Some("10:1.5.3-141.amzn2.5.3"));

    let (a, _) = load_path(Path::new(&format!(
        "{D}vuls-data-update/updateinfo_2023.xml.gz"
    )));
    assert_eq!(a[0].id, "ALAS2023-2023-001");
    assert_eq!(a[0].severity, Severity::High, "AL2023 writes \"Important\"");
    assert_eq!(
        a[0].link,
        "https://alas.aws.amazon.com/AL2023/ALAS-2023-001.html"
    );
    let (a, _) = load_path(Path::new(&format!(
        "{D}vuls-data-update/updateinfo_2_kernel-5.15.xml.gz"
    )));
    assert_eq!(a[0].affected[0].stream.as_deref(), Some("kernel-5.15"));
    assert_eq!(
        a[0].link,
        "https://alas.aws.amazon.com/AL2/ALASKERNEL-5.15-2022-001.html"
    );
    let (a, _) = load_path(Path::new(&format!(
        "{D}vuls-data-update/updateinfo_1.xml.gz"
    )));
    assert_eq!(a[0].affected[0].platform, "amzn:1");
    assert_eq!(
        alas_link("ALAS2023LIVEPATCH-2023-001"),
        "https://alas.aws.amazon.com/AL2023/ALASLIVEPATCH-2023-001.html"
    );
}

#[test]
fn repomd_points_at_updateinfo() {
    for rel in [
        "vuln-list-update/repomd_valid.xml",
        "vuls-data-update/repomd_valid.xml",
    ] {
        let loc =
            repomd::updateinfo_location(&std::fs::read_to_string(format!("{D}{rel}")).unwrap())
                .unwrap()
                .unwrap();
        assert!(
            loc.starts_with("repodata/") && loc.contains("updateinfo"),
            "{loc}"
        );
    }
}

#[test]
fn malformed_xml_and_missing_epoch_are_reported() {
    let xml = r#"<?xml version="1.0"?><updates>
<update type="security"><id>ALAS2023-2099-001</id><severity>Critical</severity>
<pkglist><collection short="amazon-linux-2023"><package name="foo" version="1.0" release="1.amzn2023" arch="x86_64"/></collection></pkglist></update>
<update type="security"><id>ALAS2023-2099-002</id><severity>low</severity></oops></update></updates>"#;
    let (a, p) = parse_updateinfo(xml.as_bytes(), "t", "updateinfo.xml");
    assert_eq!(
        counts(&a),
        Counts {
            advisories: 1,
            packages: 1
        }
    );
    assert_eq!(
        a[0].affected[0].ranges[0].fixed.as_deref(),
        Some("1.0-1.amzn2023")
    );
    assert!(
        p.iter().any(
            |x| x.location == "updateinfo.xml ALAS2023-2099-001 package foo"
                && x.message.contains("missing epoch")
        ),
        "{p:?}"
    );
    assert!(
        p.iter()
            .any(|x| x.location.starts_with("updateinfo.xml byte ")
                && x.message.contains("malformed XML")),
        "{p:?}"
    );
}

#[test]
fn database_stores_sources_with_freshness() {
    let dir = tempfile::tempdir().unwrap();
    let mut db = Db::open(&dir.path().join("vulns.db")).unwrap();
    let (a, problems) = load_path(Path::new(D));
    // Every file is either loaded or known (the extras catalog names repositories).
    assert!(problems.is_empty(), "{problems:?}");
    let st = db.replace(&a, D).unwrap();
    let names: Vec<_> = st.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "alas:amzn:1/core",
            "alas:amzn:2/core",
            "alas:amzn:2/kernel-5.15",
            "alas:amzn:2022/core",
            "alas:amzn:2023/core",
            "alas:amzn:2023/kernel-livepatch",
            "alas:amzn:2023/nvidia",
        ]
    );
    let status = db.status().unwrap();
    assert!(status.built_at.is_some());
    let core23 = status
        .sources
        .iter()
        .find(|s| s.name == "alas:amzn:2023/core")
        .unwrap();
    // Both fixtures hold ALAS2023-2023-001 (61 entries): stored once;
    // ALAS2023-2025-935 adds 42 entries.
    assert_eq!((core23.advisories, core23.entries), (2, 103));
    assert_eq!(core23.newest.get(..10), Some("2025-06-19"));
    let back = db.advisories_for(&["amzn:2023".to_string()]).unwrap();
    // core (ALAS2023-2023-001, and ALAS2023-2025-935 from vuls JSON), livepatch, nvidia.
    assert_eq!(back.len(), 4);
    let k = back.iter().find(|a| a.id == "ALAS2023-2025-935").unwrap();
    assert_eq!(k.cves.len(), 14);
    assert!(k.affected.iter().any(|p| p.name == "kernel6.12"));

    // Freshness: just loaded, so young; a source loaded long ago is stale.
    assert!(core23.age_seconds.is_some_and(|a| (0..600).contains(&a)));
    drop(db);
    let c = rusqlite::Connection::open(dir.path().join("vulns.db")).unwrap();
    c.execute(
        "UPDATE sources SET loaded_at = '2026-01-01T00:00:00Z' WHERE name = 'alas:amzn:2/core'",
        [],
    )
    .unwrap();
    drop(c);
    let db = Db::open(&dir.path().join("vulns.db")).unwrap();
    let st = db.status().unwrap();
    let age = |n: &str| {
        st.sources
            .iter()
            .find(|s| s.name == n)
            .unwrap()
            .age_seconds
            .unwrap()
    };
    assert!(age("alas:amzn:2/core") > STALE_AFTER_SECONDS);
    assert!(age("alas:amzn:2023/core") < STALE_AFTER_SECONDS);
}

#[test]
fn osv_records_parse_and_ranges_match() {
    let rec = r#"{"id":"GHSA-7g45-4rm6-3mm3","aliases":["CVE-2023-2976"],"summary":"Guava temp dir","modified":"2024-01-01T00:00:00Z",
      "database_specific":{"severity":"HIGH"},
      "affected":[{"package":{"ecosystem":"Maven","name":"com.google.guava:guava"},
        "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"1.0"},{"fixed":"32.0.0-android"}]}]}]}"#;
    let a = osv::parse_osv(rec).unwrap().unwrap();
    assert_eq!(
        (a.severity, a.cves.as_slice(), a.source.as_str()),
        (
            Severity::High,
            &["CVE-2023-2976".to_string()][..],
            "osv:Maven"
        )
    );
    assert_eq!(
        osv::affected_by(&a.affected[0], "29.0-jre"),
        Some(Some("32.0.0-android".into()))
    );
    assert_eq!(osv::affected_by(&a.affected[0], "32.1.0-jre"), None);
    let deb = r#"{"id":"DSA-5000-1","aliases":["CVE-2021-1"],"affected":[{"package":{"ecosystem":"Debian:12","name":"glibc"},
      "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.36-9+deb12u3"}]}]}]}"#;
    let d = osv::parse_osv(deb).unwrap().unwrap();
    assert_eq!(
        osv::affected_by(&d.affected[0], "2.36-9+deb12u1"),
        Some(Some("2.36-9+deb12u3".into()))
    );
    assert_eq!(osv::affected_by(&d.affected[0], "2.36-9+deb12u3"), None);
    assert!(osv::parse_osv("{\"nope\":1}").is_err());
}

#[test]
fn osv_zip_entries_stored_deflated_and_corrupt() {
    use std::io::Write;
    let rec = |id: &str| {
        format!(
            r#"{{"id":"{id}","affected":[{{"package":{{"ecosystem":"RubyGems","name":"rake"}},
            "ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"13.0.4"}}]}}]}}]}}"#
        )
    };
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    w.start_file("A.json", stored).unwrap();
    w.write_all(rec("OSV-A").as_bytes()).unwrap();
    w.start_file("B.json", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(rec("OSV-B").as_bytes()).unwrap();
    w.start_file("C.json", stored).unwrap();
    w.write_all(rec("OSV-C").as_bytes()).unwrap();
    let mut bytes = w.finish().unwrap().into_inner();
    let mut advs = Vec::new();
    let mut problems = Vec::new();
    load_osv_zip(
        bytes.clone(),
        "x.zip",
        Some("osv:RubyGems"),
        &mut advs,
        &mut problems,
    );
    assert!(problems.is_empty(), "{problems:?}");
    let ids: Vec<_> = advs
        .iter()
        .map(|a| (a.id.as_str(), a.source.as_str()))
        .collect();
    assert_eq!(
        ids,
        [
            ("OSV-A", "osv:RubyGems"),
            ("OSV-B", "osv:RubyGems"),
            ("OSV-C", "osv:RubyGems")
        ]
    );
    // Flip a byte inside C's stored data: its CRC no longer matches.
    let at = bytes.windows(5).rposition(|w| w == b"OSV-C").unwrap();
    bytes[at + 4] = b'X';
    let (mut advs, mut problems) = (Vec::new(), Vec::new());
    load_osv_zip(bytes, "x.zip", None, &mut advs, &mut problems);
    assert_eq!(advs.len(), 2);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(problems[0].location, "x.zip!C.json");
    assert!(problems[0].message.contains("CRC mismatch"));
}
