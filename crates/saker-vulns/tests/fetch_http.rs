//! `db update --from URL` against a loopback HTTP server that serves the
//! real ALAS fixtures (read in place) behind generated mirror lists:
//! mirror.list → repomd.xml → updateinfo.xml.gz (with a dead first mirror),
//! the AL2 extras catalogue → every topic's repository, an osv.dev-style
//! `<ecosystem>/all.zip`, and the failures (404, a repomd with no
//! updateinfo, garbage) reported with their URL.

mod http_fixture;

use std::collections::HashMap;
use std::io::Write;

use http_fixture::Server;
use saker_vulns::advisory::fetch::Fetcher;
use saker_vulns::advisory::Severity;

const ALAS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/alas/"
);

fn fixture(rel: &str) -> Vec<u8> {
    std::fs::read(format!("{ALAS}{rel}")).unwrap()
}

/// A repomd.xml with no updateinfo entry (a repository without advisories).
const REPOMD_NO_UPDATEINFO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary"><location href="repodata/primary.xml.gz"/></data></repomd>"#;

/// OSV records as osv.dev publishes them in `<ecosystem>/all.zip`.
pub fn osv_zip(records: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in records {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

pub const OSV_WORD: &str = r#"{"id":"GHSA-jfh8-c2jp-5v3q","aliases":["CVE-2021-44228"],"summary":"Log4Shell",
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H"}],
 "database_specific":{"severity":"CRITICAL"},
 "affected":[{"package":{"ecosystem":"Maven","name":"org.apache.logging.log4j:log4j-core"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"2.0-beta9"},{"fixed":"2.15.0"}]}]}]}"#;
pub const OSV_V3_ONLY: &str = r#"{"id":"OSV-TEST-V3","aliases":["CVE-2099-0003"],
 "severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N"}],
 "affected":[{"package":{"ecosystem":"Maven","name":"com.example:v3"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#;
pub const OSV_V4_ONLY: &str = r#"{"id":"OSV-TEST-V4","aliases":["CVE-2099-0004"],
 "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}],
 "affected":[{"package":{"ecosystem":"Maven","name":"com.example:v4"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#;
pub const OSV_BAD_VECTOR: &str = r#"{"id":"OSV-TEST-BAD","aliases":["CVE-2099-0005"],
 "severity":[{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/XX:Q"}],
 "affected":[{"package":{"ecosystem":"Maven","name":"com.example:bad"},
   "ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#;

/// The routes of an Amazon Linux CDN look-alike plus an OSV bucket.
pub fn routes(base: &str) -> HashMap<String, Vec<u8>> {
    let mut r = HashMap::new();
    let mut put = |p: &str, b: Vec<u8>| {
        r.insert(p.to_string(), b);
    };
    // AL2023 core: the first mirror is dead, the second serves the repo.
    put(
        "/al2023/core/mirrors/latest/x86_64/mirror.list",
        format!("{base}/dead/x86_64/\n{base}/core/guids/abc/x86_64/\n").into_bytes(),
    );
    put(
        "/core/guids/abc/x86_64/repodata/repomd.xml",
        fixture("vuls-data-update/repomd_valid.xml"),
    );
    put(
        "/core/guids/abc/x86_64/repodata/updateinfo.xml.gz",
        fixture("vuls-data-update/updateinfo_2023.xml.gz"),
    );
    // AL2 extras: catalogue (topics emacs and kernel-5.15).
    put(
        "/2/extras-catalog.json",
        fixture("vuls-data-update/extras-catalog_valid.json"),
    );
    put(
        "/2/extras/kernel-5.15/latest/x86_64/mirror.list",
        format!("{base}/2/extras/kernel-5.15/stable/x86_64\n").into_bytes(),
    );
    put(
        "/2/extras/kernel-5.15/stable/x86_64/repodata/repomd.xml",
        fixture("vuln-list-update/repomd_valid.xml"),
    );
    put(
        "/2/extras/kernel-5.15/stable/x86_64/repodata/updateinfo.xml.gz",
        fixture("vuls-data-update/updateinfo_2_kernel-5.15.xml.gz"),
    );
    put(
        "/2/extras/emacs/latest/x86_64/mirror.list",
        format!("{base}/2/extras/emacs/25.3/x86_64/\n").into_bytes(),
    );
    put(
        "/2/extras/emacs/25.3/x86_64/repodata/repomd.xml",
        REPOMD_NO_UPDATEINFO.as_bytes().to_vec(),
    );
    // AL2023 nvidia, addressed as a repository root.
    put(
        "/al2023/nvidia/x86_64/repodata/repomd.xml",
        fixture("vuls-data-update/repomd_valid.xml"),
    );
    put(
        "/al2023/nvidia/x86_64/repodata/updateinfo.xml.gz",
        fixture("vuls-data-update/updateinfo_2023_nvidia.xml.gz"),
    );
    // A bare updateinfo under a hashed name (no "updateinfo" in it).
    put(
        "/direct/abc123.xml.gz",
        fixture("vuls-data-update/updateinfo_2023_kernel-livepatch.xml.gz"),
    );
    put(
        "/osv/Maven/all.zip",
        osv_zip(&[
            ("GHSA-jfh8-c2jp-5v3q.json", OSV_WORD),
            ("OSV-TEST-V3.json", OSV_V3_ONLY),
            ("OSV-TEST-V4.json", OSV_V4_ONLY),
            ("OSV-TEST-BAD.json", OSV_BAD_VECTOR),
            ("broken.json", "{\"id\": "),
        ]),
    );
    put("/garbage/repodata/repomd.xml", b"<repomd><data".to_vec());
    put("/notzip/all.zip", b"PK\x03\x04 this is not a zip".to_vec());
    r
}

fn fetcher() -> Fetcher {
    Fetcher::new(std::time::Duration::from_secs(30)).unwrap()
}

#[test]
fn mirror_list_repomd_updateinfo_over_http() {
    let srv = Server::start(routes);
    let url = format!("{}/al2023/core/mirrors/latest/x86_64/mirror.list", srv.base);
    let (advs, problems) = fetcher().load_url(&url);
    assert!(problems.is_empty(), "{problems:?}");
    assert_eq!(advs.len(), 1);
    let a = &advs[0];
    assert_eq!(
        (a.id.as_str(), a.source.as_str(), a.severity),
        ("ALAS2023-2023-001", "alas:amzn:2023/core", Severity::High)
    );
    assert_eq!(a.affected.len(), 61);
    assert_eq!(
        srv.hits(),
        [
            "/al2023/core/mirrors/latest/x86_64/mirror.list",
            "/dead/x86_64/repodata/repomd.xml",
            "/core/guids/abc/x86_64/repodata/repomd.xml",
            "/core/guids/abc/x86_64/repodata/updateinfo.xml.gz",
        ]
    );
}

#[test]
fn extras_catalogue_fetches_every_topic() {
    let srv = Server::start(routes);
    let (advs, problems) = fetcher().load_url(&format!("{}/2/extras-catalog.json", srv.base));
    // emacs has no updateinfo: not a problem, just no advisories.
    assert!(problems.is_empty(), "{problems:?}");
    let ids: Vec<(&str, &str, usize)> = advs
        .iter()
        .map(|a| (a.id.as_str(), a.source.as_str(), a.affected.len()))
        .collect();
    assert_eq!(
        ids,
        [("ALAS2KERNEL-5.15-2022-001", "alas:amzn:2/kernel-5.15", 31)]
    );
    let hits = srv.hits();
    assert!(hits.contains(&"/2/extras/emacs/25.3/x86_64/repodata/repomd.xml".to_string()));
}

#[test]
fn repo_root_bare_updateinfo_and_osv_zip() {
    let srv = Server::start(routes);
    let f = fetcher();
    let (a, p) = f.load_url(&format!("{}/al2023/nvidia/x86_64/", srv.base));
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(
        (a[0].id.as_str(), a[0].source.as_str()),
        ("ALAS2023NVIDIA-2025-001", "alas:amzn:2023/nvidia")
    );
    let (a, p) = f.load_url(&format!("{}/direct/abc123.xml.gz", srv.base));
    assert!(p.is_empty(), "{p:?}");
    assert_eq!(a[0].source, "alas:amzn:2023/kernel-livepatch");

    let (a, p) = f.load_url(&format!("{}/osv/Maven/all.zip", srv.base));
    // The truncated record is reported with its entry; the others load.
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].location.ends_with("all.zip!broken.json"), "{p:?}");
    let by_id = |id: &str| a.iter().find(|x| x.id == id).unwrap();
    assert!(a.iter().all(|x| x.source == "osv:Maven"));
    // The ecosystem word wins over the vector.
    assert_eq!(by_id("GHSA-jfh8-c2jp-5v3q").severity, Severity::Critical);
    // v3.1 only: AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N = 5.9 (Medium).
    let v3 = by_id("OSV-TEST-V3");
    assert_eq!(v3.severity, Severity::Medium);
    assert_eq!(v3.cvss.as_ref().unwrap().score, Some(5.9));
    // v4 only: AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N = 9.3.
    let v4 = by_id("OSV-TEST-V4");
    assert_eq!(
        (v4.severity, v4.cvss.as_ref().unwrap().score),
        (Severity::Critical, Some(9.3))
    );
    // An unscorable vector: unknown, with the vector kept to show.
    let bad = by_id("OSV-TEST-BAD");
    assert_eq!(bad.severity, Severity::Unknown);
    let c = bad.cvss.as_ref().unwrap();
    assert_eq!((c.vector.as_str(), c.score), ("CVSS:4.0/AV:N/XX:Q", None));
    assert!(c.error.is_some());
}

#[test]
fn failures_name_their_url() {
    let srv = Server::start(routes);
    let f = fetcher();
    let missing = format!("{}/missing/updateinfo.xml.gz", srv.base);
    let (a, p) = f.load_url(&missing);
    assert!(a.is_empty());
    assert_eq!(p[0].location, missing);
    assert!(p[0].message.contains("404"), "{p:?}");

    let (a, p) = f.load_url(&format!("{}/2/extras/emacs/25.3/x86_64/", srv.base));
    assert!(a.is_empty());
    assert!(p[0].message.contains("no updateinfo entry"), "{p:?}");

    let (_, p) = f.load_url(&format!("{}/garbage/repodata/repomd.xml", srv.base));
    assert!(p[0].location.ends_with("/garbage/repodata/repomd.xml"));
    assert!(p[0].message.contains("malformed repomd.xml"), "{p:?}");

    let (_, p) = f.load_url(&format!("{}/notzip/all.zip", srv.base));
    assert!(p[0].message.contains("not a zip"), "{p:?}");

    // Nothing listens on the dead mirror list's hosts: every mirror named.
    let list = format!("{}/dead/mirror.list", srv.base);
    let (_, p) = f.load_url(&list);
    assert!(p[0].message.contains("404"), "{p:?}");
}
