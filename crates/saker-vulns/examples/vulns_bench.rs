//! Benchmark for docs/BENCHMARKS.md ("Vulnerabilities"): database build
//! time (the ALAS fixtures, and a synthetic updateinfo the size of the real
//! AL2023 core feed), and the scan time of a root with many packages.
//!
//! It also loads a synthetic osv.dev-style `Debian/all.zip` and scans a
//! dpkg root against it.
//!
//! `cargo run --release -p saker-vulns --example vulns_bench -- [PACKAGES] [ADVISORIES] [OSV_RECORDS]`
//! (defaults 1500, 3000 and 40000); run under `/usr/bin/time -v` for peak memory.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use saker_vulns::advisory::db::{load_path, Db};
use saker_vulns::inventory::root::scan_root;
use saker_vulns::inventory::rpm_header::encode_package;
use saker_vulns::inventory::rpmdb::write_sqlite_rpmdb;
use saker_vulns::matcher::{match_host, AdvisoryIndex};

/// Current and peak resident memory (Linux `/proc/self/status`), in MB.
fn mem() -> String {
    let st = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |k: &str| {
        st.lines()
            .find(|l| l.starts_with(k))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
            / 1024.0
    };
    format!("rss {:.0} MB, peak {:.0} MB", kb("VmRSS:"), kb("VmHWM:"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let npkgs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(1500);
    let nadv: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3000);
    let nosv: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(40000);
    let tmp = tempfile::tempdir().expect("tempdir");
    let alas = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/vulns/alas"
    );

    // 1. Database from the fixtures.
    let t = Instant::now();
    let (advs, problems) = load_path(Path::new(alas));
    let mut db = Db::open(&tmp.path().join("fixtures.db")).expect("db");
    db.replace(&advs, alas).expect("store");
    println!(
        "db build (fixtures): {} advisories, {} problems, {:.1} ms",
        advs.len(),
        problems.len(),
        t.elapsed().as_secs_f64() * 1e3
    );

    // 2. A synthetic AL2023 core updateinfo: `nadv` advisories of 30
    //    packages each (the real feed holds a few thousand updates).
    let ui = tmp.path().join("updateinfo.xml.gz");
    {
        let f = std::fs::File::create(&ui).expect("create");
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::default());
        writeln!(gz, "<?xml version=\"1.0\"?><updates>").unwrap();
        for a in 0..nadv {
            write!(gz, "<update type=\"security\"><id>ALAS2023-2024-{a}</id><title>t</title><issued date=\"2024-01-01 00:00\"/><updated date=\"2024-01-02 00:00\"/><severity>{}</severity><description>d</description><references><reference type=\"cve\" id=\"CVE-2024-{a}\" href=\"x\"/></references><pkglist><collection short=\"amazon-linux-2023\"><name>Amazon Linux 2023</name>",
                ["Critical", "Important", "Medium", "Low"][a % 4]).unwrap();
            for k in 0..30 {
                let p = (a * 7 + k) % (npkgs * 2);
                write!(gz, "<package name=\"pkg{p}\" epoch=\"0\" version=\"1.{}\" release=\"1.amzn2023\" arch=\"x86_64\"><filename>x</filename></package>", a % 50).unwrap();
            }
            write!(gz, "</collection></pkglist></update>").unwrap();
        }
        writeln!(gz, "</updates>").unwrap();
        gz.finish().unwrap();
    }
    let size = std::fs::metadata(&ui).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let (big, _) = load_path(&ui);
    let parsed = t.elapsed();
    let mut bigdb = Db::open(&tmp.path().join("big.db")).expect("db");
    bigdb.replace(&big, "synthetic").expect("store");
    println!(
        "db build (synthetic {} advisories, {} entries, {:.1} MB gz): parse {:.0} ms, total {:.0} ms",
        big.len(),
        big.iter().map(|a| a.affected.len()).sum::<usize>(),
        size as f64 / 1e6,
        parsed.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3
    );

    // 3. A root with `npkgs` rpm packages (file lists of 20 paths each).
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=\"amzn\"\nVERSION_ID=\"2023\"\n",
    )
    .unwrap();
    let files: Vec<String> = (0..20).map(|i| format!("/usr/lib64/lib{i}.so")).collect();
    let file_refs: Vec<&str> = files.iter().map(String::as_str).collect();
    let blobs: Vec<Vec<u8>> = (0..npkgs)
        .map(|i| {
            encode_package(
                &format!("pkg{i}"),
                None,
                &format!("1.{}", i % 60),
                "1.amzn2023",
                "x86_64",
                &file_refs,
            )
        })
        .collect();
    write_sqlite_rpmdb(&root.join("var/lib/rpm/rpmdb.sqlite"), &blobs).expect("rpmdb");

    for run in 0..3 {
        let t = Instant::now();
        let inv = scan_root(&root, false);
        let t_inv = t.elapsed();
        let index = AdvisoryIndex::new(bigdb.advisories_for(&["amzn:2023".into()]).expect("load"));
        let t_load = t.elapsed();
        let report = match_host(&inv, &index);
        println!(
            "scan run {run}: {} packages, {} findings; inventory {:.1} ms, advisories loaded {:.1} ms, total {:.1} ms",
            report.summary.packages,
            report.findings.len(),
            t_inv.as_secs_f64() * 1e3,
            (t_load - t_inv).as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
    }

    // 4. A synthetic osv.dev Debian export: `nosv` records, each affecting
    //    one source package in Debian 11 and 12 (the real Debian export
    //    holds tens of thousands of DEBIAN-CVE/DSA/DLA records).
    let zpath = tmp.path().join("Debian-all.zip");
    {
        let f = std::fs::File::create(&zpath).expect("create");
        let mut z = zip::ZipWriter::new(f);
        for r in 0..nosv {
            z.start_file(
                format!("DEBIAN-CVE-2024-{r}.json"),
                zip::write::SimpleFileOptions::default(),
            )
            .unwrap();
            let src = r % (npkgs * 4);
            let sev = [
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N",
            ][r % 2];
            write!(z, r#"{{"id":"DEBIAN-CVE-2024-{r}","aliases":["CVE-2024-{r}"],"modified":"2024-05-01T00:00:00Z","published":"2024-04-01T00:00:00Z",
  "severity":[{{"type":"CVSS_V3","score":"{sev}"}}],
  "affected":[{{"package":{{"ecosystem":"Debian:11","name":"src{src}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{f}-1+deb11u1"}}]}}]}},
              {{"package":{{"ecosystem":"Debian:12","name":"src{src}"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"1.{f}-1+deb12u1"}}]}}]}}]}}"#,
                f = r % 40).unwrap();
        }
        z.finish().unwrap();
    }
    let zsize = std::fs::metadata(&zpath).map(|m| m.len()).unwrap_or(0);
    let t = Instant::now();
    let (osv, problems) = load_path(&zpath);
    let parsed = t.elapsed();
    println!("  after OSV parse: {}", mem());
    let mut osvdb = Db::open(&tmp.path().join("osv.db")).expect("db");
    osvdb.replace(&osv, "synthetic").expect("store");
    println!("  after OSV store: {}", mem());
    println!(
        "db build (synthetic OSV Debian zip, {} records, {:.1} MB, {} problems): parse {:.0} ms, total {:.0} ms",
        osv.len(),
        zsize as f64 / 1e6,
        problems.len(),
        parsed.as_secs_f64() * 1e3,
        t.elapsed().as_secs_f64() * 1e3
    );
    drop(osv);

    // 5. A Debian 12 root with `npkgs` packages (source = src<i>).
    let deb = tmp.path().join("deb");
    std::fs::create_dir_all(deb.join("etc")).unwrap();
    std::fs::create_dir_all(deb.join("var/lib/dpkg")).unwrap();
    std::fs::write(deb.join("etc/os-release"), "ID=debian\nVERSION_ID=\"12\"\n").unwrap();
    let mut status = String::new();
    for i in 0..npkgs {
        status.push_str(&format!(
            "Package: bin{i}\nStatus: install ok installed\nSource: src{i}\nVersion: 1.{}-1\nArchitecture: amd64\n\n",
            i % 50
        ));
    }
    std::fs::write(deb.join("var/lib/dpkg/status"), status).unwrap();
    for run in 0..3 {
        let t = Instant::now();
        let inv = scan_root(&deb, false);
        let t_inv = t.elapsed();
        let index = AdvisoryIndex::new(osvdb.advisories_for(&["Debian:12".into()]).expect("load"));
        let t_load = t.elapsed();
        let report = match_host(&inv, &index);
        println!("  {}", mem());
        println!(
            "debian scan run {run}: {} packages, {} findings against {} advisories; inventory {:.1} ms, advisories loaded {:.1} ms, total {:.1} ms",
            report.summary.packages,
            report.findings.len(),
            index.len(),
            t_inv.as_secs_f64() * 1e3,
            (t_load - t_inv).as_secs_f64() * 1e3,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
}
