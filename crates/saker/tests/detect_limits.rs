//! `saker detect` size limits end to end: a gzip bomb (generated here,
//! small on disk) is cut at `--max-decoded-size` and reported with its file,
//! an over-size record is skipped with its file and record index, and the
//! other inputs (the real invictus logs) are still evaluated.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn shared(rel: &str) -> PathBuf {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data")).join(rel)
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

/// The first record of a real invictus delivery file, as a JSON object.
fn real_record() -> serde_json::Map<String, serde_json::Value> {
    let dir = shared("cloudtrail/invictus/CloudTrail");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&files[0]).unwrap()).unwrap();
    v["Records"][0].as_object().unwrap().clone()
}

/// A gzip bomb: `decoded` bytes of spaces after a `{"Records":[` head with
/// one real record, written streaming so the test never holds it decoded.
fn write_bomb(path: &Path, decoded: usize) -> u64 {
    let f = std::fs::File::create(path).unwrap();
    let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::best());
    let head = format!(
        "{{\"Records\":[{},",
        serde_json::Value::Object(real_record())
    );
    gz.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 1 << 20];
    for _ in 0..decoded / chunk.len() {
        gz.write_all(&chunk).unwrap();
    }
    gz.finish().unwrap();
    std::fs::metadata(path).unwrap().len()
}

#[test]
fn gzip_bomb_and_oversize_record_are_skipped_and_the_rest_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.json.gz");
    let on_disk = write_bomb(&bomb, 64 << 20);
    assert!(on_disk < 256 << 10, "bomb is {on_disk} bytes on disk");

    // Three records; the middle one carries 2 MiB of requestParameters.
    let rec = real_record();
    let mut huge = rec.clone();
    huge.insert(
        "requestParameters".into(),
        serde_json::json!({ "policy": "A".repeat(2 << 20) }),
    );
    let big = dir.path().join("big-record.json");
    let body = serde_json::json!({ "Records": [rec.clone(), huge, rec] });
    std::fs::write(&big, serde_json::to_vec(&body).unwrap()).unwrap();

    let out = saker(&[
        "detect",
        "--max-decoded-size",
        "8M",
        "--max-record-size",
        "1M",
        bomb.to_str().unwrap(),
        big.to_str().unwrap(),
        &invictus(),
    ]);
    let stderr = text(&out.stderr);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stderr}");

    // The bomb: cut at 8 MiB, reported once with its file name.
    assert!(stderr.contains("skipped too-large: 1"), "{stderr}");
    let bomb_line = stderr
        .lines()
        .find(|l| l.contains("decoded size over 8 MiB"))
        .unwrap_or_else(|| panic!("no decoded-size skip in:\n{stderr}"));
    assert!(bomb_line.contains("bomb.json.gz"), "{bomb_line}");

    // The over-size record: skipped with file and record index.
    assert!(stderr.contains("skipped record-too-large: 1"), "{stderr}");
    let rec_line = stderr
        .lines()
        .find(|l| l.contains("over the record size limit 1 MiB"))
        .unwrap_or_else(|| panic!("no record-size skip in:\n{stderr}"));
    assert!(rec_line.contains("big-record.json: record 1"), "{rec_line}");

    // Everything else is evaluated: 2900 invictus records, the two small
    // records of big-record.json and the one record before the bomb's
    // padding.
    assert!(stderr.contains("records: 2903 evaluated"), "{stderr}");
    assert!(
        stdout.contains(": Critical Sensitive port opened to the Internet"),
        "{stdout}"
    );
    // No alert line carries the over-size record.
    assert!(stdout.lines().all(|l| l.len() < 64 << 10));
}

#[test]
fn defaults_are_documented_and_bad_sizes_rejected() {
    let help = text(&saker(&["detect", "--help"]).stdout);
    assert!(help.contains("--max-decoded-size <SIZE>"), "{help}");
    assert!(help.contains("[default: 1G]"), "{help}");
    assert!(help.contains("[default: 16M]"), "{help}");

    for bad in ["0", "12X", "G", "99999999999T"] {
        let out = saker(&["detect", "--max-decoded-size", bad, &invictus()]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(
            text(&out.stderr).contains("--max-decoded-size"),
            "{bad}: {}",
            text(&out.stderr)
        );
    }
    // A valid size in another spelling is accepted and the run is normal.
    let out = saker(&["detect", "-q", "--max-decoded-size", "512MiB", &invictus()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Sensitive port opened"));
}
