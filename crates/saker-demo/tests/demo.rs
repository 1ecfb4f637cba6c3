//! The simulated day and the corpus replay, read back as CloudTrail.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use saker_demo::{generate_demo_day, replay_corpus, DemoSummary, ACCOUNT_ID};
use serde_json::Value;

const INVICTUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cloudtrail/invictus"
);

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn records_of(path: &Path) -> Vec<Value> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let v: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    v["Records"].as_array().expect("Records array").clone()
}

/// Checks a key against `AWSLogs/ACCT/CloudTrail/REGION/YYYY/MM/DD/
/// ACCT_CloudTrail_REGION_YYYYMMDDTHHMMZ_<16 alnum>.json.gz`; returns
/// (account, region, stamp).
fn parse_key(key: &str) -> (String, String, String) {
    let parts: Vec<&str> = key.split('/').collect();
    assert_eq!(parts.len(), 8, "{key}");
    assert_eq!(parts[0], "AWSLogs");
    assert_eq!(parts[2], "CloudTrail");
    let (acct, region) = (parts[1], parts[3]);
    let name = parts[7].strip_suffix(".json.gz").expect(key);
    let f: Vec<&str> = name.split('_').collect();
    assert_eq!(f.len(), 5, "{key}");
    assert_eq!((f[0], f[1], f[2]), (acct, "CloudTrail", region), "{key}");
    let stamp = f[3];
    assert_eq!(stamp.len(), 14, "{key}");
    assert_eq!(&stamp[0..4], parts[4], "{key}");
    assert_eq!(&stamp[4..6], parts[5], "{key}");
    assert_eq!(&stamp[6..8], parts[6], "{key}");
    assert!(stamp.ends_with('Z') && &stamp[8..9] == "T", "{key}");
    assert_eq!(f[4].len(), 16, "{key}");
    assert!(f[4].bytes().all(|b| b.is_ascii_alphanumeric()), "{key}");
    (acct.to_string(), region.to_string(), stamp.to_string())
}

/// `YYYYMMDDTHHMMZ` → `YYYY-MM-DDTHH:MM:00Z`, comparable with eventTime text.
fn stamp_to_time(stamp: &str) -> String {
    format!(
        "{}-{}-{}T{}:{}:00Z",
        &stamp[0..4],
        &stamp[4..6],
        &stamp[6..8],
        &stamp[9..11],
        &stamp[11..13]
    )
}

fn generate(seed: u64) -> (tempfile::TempDir, DemoSummary) {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate_demo_day(dir.path(), seed).unwrap();
    (dir, summary)
}

#[test]
fn demo_day_is_cloudtrail_in_the_s3_layout() {
    let (dir, summary) = generate(42);
    let files = files_under(dir.path());
    assert_eq!(files.len(), summary.objects.len());
    let mut total = 0;
    let mut ids = HashSet::new();
    let mut unsorted_files = 0;
    let mut regions = BTreeMap::new();
    for path in &files {
        let key = path
            .strip_prefix(dir.path())
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        assert!(summary.objects.contains(&key), "{key}");
        let (acct, region, stamp) = parse_key(&key);
        assert_eq!(acct, ACCOUNT_ID);
        let delivered = stamp_to_time(&stamp);
        let records = records_of(path);
        assert!(!records.is_empty(), "{key}");
        let mut times = Vec::new();
        for r in &records {
            for k in [
                "eventVersion",
                "userIdentity",
                "eventTime",
                "eventSource",
                "eventName",
                "awsRegion",
                "sourceIPAddress",
                "userAgent",
                "eventID",
                "eventType",
                "recipientAccountId",
                "eventCategory",
            ] {
                assert!(r.get(k).is_some(), "{key}: record without {k}: {r}");
            }
            assert_eq!(r["awsRegion"], region.as_str(), "{key}");
            assert_eq!(r["recipientAccountId"], ACCOUNT_ID);
            assert_eq!(r["eventVersion"], "1.09");
            let t = r["eventTime"].as_str().unwrap().to_string();
            // Delivered at the end of its five-minute window.
            assert!(t < delivered, "{key}: {t} not before {delivered}");
            assert!(
                ids.insert(r["eventID"].as_str().unwrap().to_string()),
                "duplicate id"
            );
            if r["userIdentity"]["type"] == "IAMUser" || r["userIdentity"]["type"] == "AssumedRole"
            {
                assert_eq!(r["userIdentity"]["accountId"], ACCOUNT_ID);
            }
            times.push(t);
        }
        if times.windows(2).any(|w| w[0] > w[1]) {
            unsorted_files += 1;
        }
        *regions.entry(region).or_insert(0) += records.len();
        total += records.len();
    }
    assert_eq!(total, summary.records);
    assert!((1_000..10_000).contains(&total), "{total} records");
    assert!(
        unsorted_files > 0,
        "records inside objects must not be sorted"
    );
    assert!(regions["us-east-1"] > regions["ap-northeast-1"]);
    assert!(regions.contains_key("ap-southeast-3"));
    assert_eq!(summary.home_regions, ["us-east-1", "ap-northeast-1"]);
}

fn find(dir: &Path, key: &str, event_id: &str) -> Value {
    records_of(&dir.join(key))
        .into_iter()
        .find(|r| r["eventID"] == event_id)
        .unwrap_or_else(|| panic!("{event_id} not in {key}"))
}

#[test]
fn demo_day_contains_the_attack() {
    let (dir, summary) = generate(42);
    let by_name: BTreeMap<&str, &saker_demo::AttackEvent> = summary
        .attack
        .iter()
        .map(|a| (a.event_name.as_str(), a))
        .collect();
    let get = |name: &str| {
        let a = by_name[name];
        find(dir.path(), &a.object_key, &a.event_id)
    };

    // Every step comes from the backup user's keys at the attacker's address.
    for a in &summary.attack {
        let r = find(dir.path(), &a.object_key, &a.event_id);
        assert_eq!(r["sourceIPAddress"], summary.attacker_ip.as_str());
        assert_eq!(r["userIdentity"]["type"], "IAMUser");
        assert_eq!(r["userIdentity"]["userName"], "svc-backup");
        assert_eq!(r["eventTime"], a.event_time.as_str());
        assert_eq!(r["awsRegion"], a.region.as_str());
    }

    let open = get("AuthorizeSecurityGroupIngress");
    assert!(open.get("errorCode").is_none());
    let perm = &open["requestParameters"]["ipPermissions"]["items"][0];
    assert_eq!(perm["fromPort"], 22);
    assert_eq!(perm["toPort"], 22);
    assert_eq!(perm["ipRanges"]["items"][0]["cidrIp"], "0.0.0.0/0");
    let close = get("RevokeSecurityGroupIngress");
    assert_eq!(
        close["requestParameters"]["groupId"],
        open["requestParameters"]["groupId"]
    );
    assert_eq!(
        close["requestParameters"]["ipPermissions"]["items"][0]["ipRanges"]["items"][0]["cidrIp"],
        "0.0.0.0/0"
    );
    // Closed 40 minutes after opening.
    let minutes = |t: &Value| {
        let t = t.as_str().unwrap();
        t[11..13].parse::<i64>().unwrap() * 60 + t[14..16].parse::<i64>().unwrap()
    };
    assert_eq!(
        minutes(&close["eventTime"]) - minutes(&open["eventTime"]),
        40
    );

    let ebs = get("DisableEbsEncryptionByDefault");
    assert_eq!(ebs["eventSource"], "ec2.amazonaws.com");
    assert_eq!(
        ebs["responseElements"]["DisableEbsEncryptionByDefaultResponse"]["ebsEncryptionByDefault"],
        false
    );

    let run = get("RunInstances");
    assert_eq!(run["awsRegion"], "ap-southeast-3");
    let image = run["responseElements"]["instancesSet"]["items"][0]["imageId"]
        .as_str()
        .unwrap();
    assert!(image.starts_with("ami-"));
    assert!(!summary.approved_images.iter().any(|i| i == image));
    assert!(!summary.home_regions.iter().any(|r| r == "ap-southeast-3"));

    let public = get("ModifySnapshotAttribute");
    assert_eq!(
        public["requestParameters"]["createVolumePermission"]["add"]["items"][0]["group"],
        "all"
    );
    let snap = get("CreateSnapshot");
    assert_eq!(
        public["requestParameters"]["snapshotId"],
        snap["responseElements"]["snapshotId"]
    );

    let probe = get("GetPasswordData");
    assert_eq!(probe["errorCode"], "Client.UnauthorizedOperation");
}

#[test]
fn demo_day_is_deterministic_per_seed() {
    let (a, sa) = generate(7);
    let (b, sb) = generate(7);
    let (c, sc) = generate(8);
    assert_eq!(sa, sb);
    for key in &sa.objects {
        assert_eq!(
            std::fs::read(a.path().join(key)).unwrap(),
            std::fs::read(b.path().join(key)).unwrap(),
            "{key}"
        );
    }
    assert_ne!(sa.objects, sc.objects);
    assert_ne!(sa.attack[0].event_id, sc.attack[0].event_id);
    drop(c);
}

#[test]
fn replay_reissues_the_corpus_until_the_target_size() {
    let out = tempfile::tempdir().unwrap();
    let target = 600_000;
    let s = replay_corpus(Path::new(INVICTUS), out.path(), target, 1).unwrap();
    assert_eq!(s.corpus_records, 2900);
    assert!(s.skipped_files.is_empty(), "{:?}", s.skipped_files);
    assert!(s.gzip_bytes >= target);

    let corpus_ids: HashSet<String> = files_under(Path::new(INVICTUS))
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .flat_map(|p| {
            let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
            v["Records"].as_array().unwrap().clone()
        })
        .map(|r| r["eventID"].as_str().unwrap().to_string())
        .collect();

    let files = files_under(out.path());
    assert_eq!(files.len(), s.objects);
    let mut bytes = 0;
    let mut ids = HashSet::new();
    let mut n = 0u64;
    for p in &files {
        bytes += std::fs::metadata(p).unwrap().len();
        let key = p.strip_prefix(out.path()).unwrap().to_str().unwrap();
        let (acct, region, stamp) = parse_key(key);
        let delivered = stamp_to_time(&stamp);
        for r in records_of(p) {
            let id = r["eventID"].as_str().unwrap().to_string();
            assert!(!corpus_ids.contains(&id));
            assert!(ids.insert(id));
            assert_eq!(r["recipientAccountId"], acct.as_str());
            assert_eq!(r["awsRegion"], region.as_str());
            assert!(r["eventTime"].as_str().unwrap() < delivered.as_str());
            assert!(r["eventTime"].as_str().unwrap().starts_with("2026-11-03T"));
            n += 1;
        }
    }
    assert_eq!(bytes, s.gzip_bytes);
    assert_eq!(n, s.records);
    assert!(n > 2900, "more than one pass over the corpus: {n}");
}

#[test]
fn replay_reports_an_empty_corpus() {
    let empty = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    assert!(replay_corpus(empty.path(), out.path(), 1000, 1).is_err());
}
