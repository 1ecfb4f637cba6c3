//! Every real CloudTrail file in `../shared/data/cloudtrail` decodes, and
//! every record candidate is either yielded or reported with a reason.

mod common;
use common::*;
use saker_cloudtrail::SkipReason;
use std::collections::BTreeMap;

/// `MANIFEST.tsv`: path → (events, format).
fn manifest() -> BTreeMap<String, (usize, String)> {
    let text = std::fs::read_to_string(data("MANIFEST.tsv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            (c[0].to_string(), (c[3].parse().unwrap(), c[4].to_string()))
        })
        .collect()
}

#[test]
fn manifest_files_yield_the_manifest_counts() {
    let mut mismatches = Vec::new();
    let mut total = 0;
    for (path, (events, format)) in manifest() {
        let d = decode_path(&data(&path));
        total += d.records.len();
        let got = d.records.len() + d.insights;
        match format.as_str() {
            "UNPARSEABLE-line" => {
                assert!(d.records.is_empty(), "{path}");
                assert!(!d.skips.is_empty(), "{path}: broken file must be reported");
            }
            "DIGEST-file(not events)" => assert_eq!((got, d.digests), (0, 1), "{path}"),
            _ => {
                if got != events || !d.skips.is_empty() {
                    mismatches.push(format!(
                        "{path}: manifest {events}, got {got} records+insights, skips {:?}",
                        d.skips
                    ));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(total > 3400, "{total}");
}

#[test]
fn invictus_has_2900_records_and_no_skips() {
    let mut records = 0;
    let files = files_under(&data("invictus/CloudTrail"));
    assert_eq!(files.len(), 55);
    for f in files {
        let d = decode_path(&f);
        assert!(d.skips.is_empty(), "{}: {:?}", f.display(), d.skips);
        records += d.records.len();
    }
    assert_eq!(records, 2900);
}

#[test]
fn gzip_object_matches_its_plain_copy() {
    let base = "fixtures/trailscraper_tests/tests/cloudtrail/data/111111111111_CloudTrail_eu-central-1_20171211T1505Z_A6kvhMoVeCsc7v8U.json";
    let plain = decode_path(&data(base));
    let gz = decode_path(&data(&format!("{base}.gz")));
    assert_eq!(plain.records.len(), 2);
    assert_eq!(plain.records, gz.records);
}

#[test]
fn truncated_file_is_reported_with_location() {
    let p = data("fixtures/cloudgrep_tests/tests/data/bad_cloudtrail.json");
    let d = decode_path(&p);
    assert!(d.records.is_empty());
    assert_eq!(d.skips.len(), 1, "{:?}", d.skips);
    let s = &d.skips[0];
    assert!(
        matches!(s.reason, SkipReason::Truncated | SkipReason::InvalidJson),
        "{s}"
    );
    assert!(s.location.file.ends_with("bad_cloudtrail.json"));
}

#[test]
fn insights_and_cloudwatch_fixtures() {
    let d = decode_path(&data(
        "fixtures/otel_contrib_cloudtraillog_testdata/testdata/cloudtrail_log.json",
    ));
    assert!(d.insights >= 1, "{d:?}");
    assert!(d.skips.is_empty());
    let d = decode_path(&data(
        "fixtures/otel_contrib_cloudtraillog_testdata/testdata/cloudtrail_log_cw.json",
    ));
    assert_eq!(d.records.len(), 1);
}
