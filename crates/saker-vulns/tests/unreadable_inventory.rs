//! Roots and lists whose package inventory cannot be read at all are marked
//! (`no_package_db`), problems name paths under the scanned root, and purls
//! percent-encode every character outside the purl-safe set.

use std::path::Path;

use saker_vulns::inventory::pkglist::host_from_list;
use saker_vulns::inventory::root::scan_root;
use saker_vulns::report::{purl_encode, to_cyclonedx};

const BDB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/vulns/rpmdb/go-rpmdb/libuuid_bdb_Packages"
);

fn corrupt_rpmdb_root(root: &Path) {
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=amzn\nVERSION_ID=\"2023\"\n",
    )
    .unwrap();
    // Not SQLite, Berkeley DB hash or NDB.
    let junk: Vec<u8> = (0..8192u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(root.join("var/lib/rpm/Packages"), junk).unwrap();
}

#[test]
fn corrupt_rpmdb_is_no_package_db_and_named_under_the_root() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root2");
    corrupt_rpmdb_root(&root);
    let h = scan_root(&root, false);
    assert!(h.inventory.packages.is_empty());
    let want = root.join("var/lib/rpm/Packages").display().to_string();
    let p = h
        .inventory
        .problems
        .iter()
        .find(|p| p.message.contains("unknown rpmdb format"))
        .expect("unknown format reported");
    assert_eq!(p.location, want);
    let why = h.no_package_db.expect("marked as not read");
    assert!(why.contains("no readable package database"), "{why}");
    assert!(why.contains(&want), "{why}");
}

#[test]
fn root_without_any_package_db_is_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("empty");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    let h = scan_root(&root, false);
    let why = h.no_package_db.expect("marked as not read");
    assert!(why.starts_with("no package database under"), "{why}");
    assert!(why.contains("var/lib/rpm/Packages"), "{why}");
}

#[test]
fn readable_rpmdb_is_not_marked() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("ok");
    std::fs::create_dir_all(root.join("var/lib/rpm")).unwrap();
    std::fs::copy(BDB, root.join("var/lib/rpm/Packages")).unwrap();
    let h = scan_root(&root, false);
    assert!(!h.inventory.packages.is_empty());
    assert_eq!(h.no_package_db, None);
    // The missing os-release is named under the root too.
    assert!(h
        .inventory
        .problems
        .iter()
        .any(|p| p.location == root.join("etc/os-release").display().to_string()));
}

#[test]
fn unreadable_list_is_marked_and_readable_list_is_not() {
    let bad = host_from_list("garbage\nx\n", "list.txt");
    let why = bad.no_package_db.expect("marked");
    assert!(why.contains("list.txt:1"), "{why}");
    let good = host_from_list("bash 5.2.15-2 amd64\n", "list.txt");
    assert_eq!(good.no_package_db, None);
    assert_eq!(good.inventory.packages.len(), 1);
}

#[test]
fn purl_percent_encodes_control_and_reserved_characters() {
    assert_eq!(purl_encode("\u{0}\u{1}\u{2}"), "%00%01%02");
    assert_eq!(
        purl_encode("a b/c@d?e#f%g+h&i"),
        "a%20b%2Fc%40d%3Fe%23f%25g%2Bh%26i"
    );
    assert_eq!(purl_encode("é\u{7f}"), "%C3%A9%7F");
    assert_eq!(purl_encode("libc6-dev_2.36~x.y:1"), "libc6-dev_2.36~x.y:1");
    // The line a new user tried: the SBOM carries no raw control character.
    let h = host_from_list("\u{0}\u{1}\u{2} a b\n", "-");
    let sbom = to_cyclonedx(&h);
    let purls: Vec<&str> = sbom["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["purl"].as_str().unwrap())
        .collect();
    assert_eq!(purls.len(), 1, "{sbom}");
    assert!(
        purls[0].starts_with("pkg:deb/unknown/%00%01%02@a"),
        "{}",
        purls[0]
    );
    assert!(!purls[0].chars().any(char::is_control), "{}", purls[0]);
}
