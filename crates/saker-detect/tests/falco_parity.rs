//! Falco parity on real records: with only Falco's own
//! `aws_cloudtrail_rules.yaml` and `rule_matching: first`, saker raises
//! exactly the alerts Falco would.
//!
//! The expectation `tests/data/falco_cloudtrail_expected.json` is NOT
//! produced by saker: it is written by the independent oracle
//! `tests/oracles/falco_cloudtrail_expected.py` (repository root), which
//! hand-translates the 22 rules into Python predicates following
//! `reference/falco.md` (§1 first match and shadowing, §4 absent fields,
//! §6.2 plugin field extraction, §7.3 which records Falco emits). It covers
//! only S3-delivery files (`{"Records":[…]}`), where Falco's behaviour is
//! unambiguous.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{data, event_id, Collect};
use saker_detect::{load_cloudtrail_ruleset, run, DetectOptions, RuleSources, Summary};
use saker_ingest::expand_inputs;
use saker_rules::output::Alert;
use saker_rules::ruleset::{RuleMatching, Ruleset, RulesetOptions};
use serde::Deserialize;

#[derive(Deserialize)]
struct Expected {
    inputs: Vec<ExpectedInput>,
    alerts: Vec<ExpectedAlert>,
    all_events_samples: Vec<AllEventsSample>,
    record_level: RecordLevel,
}

/// Record-level parity on records Falco would not read as files.
#[derive(Deserialize)]
struct RecordLevel {
    /// Records considered (Panther test events, TrailDiscover examples).
    candidates: usize,
    /// Those Falco would emit as events.
    falco_events: u64,
    alerts: Vec<RecordAlert>,
}

#[derive(Deserialize)]
struct RecordAlert {
    /// `path:line` or `path#index` under `../shared/data`.
    record: String,
    rule: String,
    priority: String,
    message: String,
}

/// The output of `All Cloudtrail Events` (re-enabled) for one record.
#[derive(Deserialize)]
struct AllEventsSample {
    file: String,
    #[serde(rename = "eventID")]
    event_id: String,
    /// What Falco prints.
    message: String,
    /// What saker prints instead, where it deliberately differs
    /// (`docs/falco-compat.md`).
    saker_message: Option<String>,
}

/// A file and how many events Falco's cloudtrail plugin emits for it.
#[derive(Deserialize)]
struct ExpectedInput {
    file: String,
    events: u64,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ExpectedAlert {
    file: String,
    #[serde(rename = "eventID")]
    event_id: String,
    rule: String,
    priority: String,
    time_ns: i64,
    /// The rendered rule output (Falco's message, without the time prefix).
    message: String,
}

fn expected() -> Expected {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/falco_cloudtrail_expected.json"
    );
    let text = std::fs::read_to_string(path).expect("expectation file");
    serde_json::from_str(&text).expect("expectation parses")
}

/// Only Falco's rules file, Falco's default `rule_matching: first`.
fn falco_ruleset() -> Ruleset {
    ruleset_from(vec![data("falco/aws_cloudtrail_rules.yaml")])
}

fn ruleset_from(paths: Vec<PathBuf>) -> Ruleset {
    let sources = RuleSources {
        builtin: false,
        paths,
    };
    let opts = RulesetOptions {
        rule_matching: RuleMatching::First,
        ..RulesetOptions::default()
    };
    let loaded = load_cloudtrail_ruleset(&sources, &opts).expect("Falco's rules load");
    loaded.ruleset
}

/// Run the real pipeline over one file, one thread.
fn detect_file(ruleset: &Ruleset, path: &Path) -> (Summary, Vec<(Alert, String)>) {
    let (units, errors) = expand_inputs(&[path.display().to_string()]);
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(units.len(), 1, "{}", path.display());
    let mut sink = Collect::default();
    let opts = DetectOptions {
        threads: 1,
        ..DetectOptions::default()
    };
    let summary = run(&units, ruleset, &opts, &mut sink, &mut |_| {}).expect("run");
    (summary, sink.alerts)
}

/// `HH:MM:SS.nnnnnnnnn` in the host's time zone: only the seconds and
/// nanoseconds do not depend on the zone (offsets are whole minutes).
fn assert_time_prefix(prefix: &str, time_ns: i64) {
    let b = prefix.as_bytes();
    assert_eq!(b.len(), 18, "{prefix:?}");
    assert!(b[2] == b':' && b[5] == b':' && b[8] == b'.', "{prefix:?}");
    let secs = time_ns.div_euclid(1_000_000_000);
    let want = format!(
        "{:02}.{:09}",
        secs.rem_euclid(60),
        time_ns.rem_euclid(1_000_000_000)
    );
    assert_eq!(&prefix[6..], want, "{prefix:?}");
}

#[test]
fn falco_rules_raise_exactly_what_falco_would() {
    let exp = expected();
    let ruleset = falco_ruleset();
    let mut got = Vec::new();
    let mut records = 0;
    for input in &exp.inputs {
        let (summary, alerts) = detect_file(&ruleset, &data(&input.file));
        assert!(summary.unit_errors.is_empty(), "{:?}", summary.unit_errors);
        assert_eq!(
            summary.records, input.events,
            "{}: records evaluated by saker vs events Falco emits",
            input.file
        );
        records += summary.records;
        for (a, raw) in alerts {
            let (prefix, rest) = a.output.split_once(": ").expect("time prefix");
            assert_time_prefix(prefix, a.time_ns);
            assert_eq!(
                rest,
                format!("{} {}", a.priority.as_str(), a.message),
                "text line = <time>: <Priority> <message>"
            );
            got.push(ExpectedAlert {
                file: input.file.clone(),
                event_id: event_id(&raw),
                rule: a.rule,
                priority: a.priority.as_str().to_string(),
                time_ns: a.time_ns,
                message: a.message,
            });
        }
    }
    let mut want = exp.alerts.clone();
    got.sort();
    want.sort();
    let missing: Vec<_> = want.iter().filter(|a| !got.contains(a)).collect();
    let extra: Vec<_> = got.iter().filter(|a| !want.contains(a)).collect();
    assert!(
        missing.is_empty() && extra.is_empty() && got.len() == want.len(),
        "Falco would raise but saker did not: {missing:#?}\nsaker raised but Falco would not: {extra:#?}"
    );
    // The oracle's scope: all of invictus plus the Records-shaped fixtures.
    assert!(records >= 2_900, "{records}");
    assert!(!want.is_empty());
}

#[test]
fn first_match_shadows_later_rules_and_disabled_rules_never_run() {
    let sources = || RuleSources {
        builtin: false,
        paths: vec![data("falco/aws_cloudtrail_rules.yaml")],
    };
    let count = |rule_matching| {
        let opts = RulesetOptions {
            rule_matching,
            ..RulesetOptions::default()
        };
        let (_, alerts) = common::detect(
            &[data("cloudtrail/invictus")],
            sources(),
            opts,
            DetectOptions::default(),
        );
        alerts.into_iter().fold(BTreeMap::new(), |mut m, (a, _)| {
            *m.entry(a.rule).or_insert(0u32) += 1;
            m
        })
    };
    let first = count(RuleMatching::First);
    let all = count(RuleMatching::All);
    // §1: both RunInstances rules match the 2 successful RunInstances…
    assert_eq!(all.get("Run Instances"), Some(&2));
    assert_eq!(all.get("Run Instances in Non-approved Region"), Some(&2));
    // …but with `first` only the earlier one alerts.
    assert_eq!(first.get("Run Instances"), Some(&2));
    assert_eq!(first.get("Run Instances in Non-approved Region"), None);
    // `enabled: false` rules never run, whatever the matching mode: the
    // data has 3 successful ListBuckets.
    for counts in [&first, &all] {
        assert_eq!(counts.get("List Buckets"), None);
        assert_eq!(counts.get("All Cloudtrail Events"), None);
    }
}

/// A few alerts written out by hand from the rules file and the records,
/// independently of both programs: YAML folding of the multi-line output,
/// `<NA>` for absent fields, `""` for a non-string ⟨d⟩ field.
#[test]
fn rendered_messages_match_falco() {
    let ruleset = falco_ruleset();
    let message = |file: &str, id: &str| -> (String, String) {
        let (_, alerts) = detect_file(&ruleset, &data(file));
        let (a, _) = alerts
            .into_iter()
            .find(|(_, raw)| event_id(raw) == id)
            .unwrap_or_else(|| panic!("no alert for {id}"));
        (a.rule, a.output.split_once(": ").unwrap().1.to_string())
    };
    // RunInstances: availabilityZone and subnetId are not where the plugin
    // looks (they are inside instancesSet.items[]), so they print <NA>.
    assert_eq!(
        message(
            "cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1200Z_x9kHmzMa7cx6l9wM.json",
            "86eac0ac-8521-4126-aa32-a22f2b74d02e"
        ),
        (
            "Run Instances".to_string(),
            "Warning A number of instances have been launched. (requesting user=bert-jan, \
             requesting IP=192.168.10.20, AWS region=us-east-1, availability zone=<NA>, \
             subnet id=<NA>, reservation id=r-0ac0088de73525c3c)"
                .to_string()
        )
    );
    // PutBucketPolicy: the record has `"policy": ""` (the document is in
    // `bucketPolicy`): a present empty string prints nothing, not <NA>.
    assert_eq!(
        message(
            "cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1230Z_ZtUNbBkwAu98FPZb.json",
            "d58cf935-0194-41d0-baa0-9efc030ce2e6"
        ),
        (
            "Put Bucket Policy".to_string(),
            "Warning An Amazon S3 bucket policy has been applied to an Amazon S3 bucket. \
             (requesting user=bert-jan, requesting IP=192.168.10.20, AWS region=us-east-1, \
             bucket name=stratus-red-team-bdbp-lhfzvgcamn, policy=)"
                .to_string()
        )
    );
    // An IAM user's console login without MFA (not Root, not AssumedRole).
    assert_eq!(
        message(
            "cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1225Z_4iD2boYSOwmb6sWd.json",
            "70e5932e-9022-4b38-837e-ca10dad94eb7"
        ),
        (
            "Console Login Without MFA".to_string(),
            "Critical Detected a console login without MFA (requesting \
             user=stratus-red-team-nmfalu-gfjyeaypjt, requesting IP=192.168.10.20, \
             AWS region=us-east-1)"
                .to_string()
        )
    );
}

/// Falco's disabled `All Cloudtrail Events` rule, re-enabled in place, is
/// first in the file, so it fires for every event and shadows every other
/// rule. Its output exercises `evt.num`, `evt.plugininfo` (hence `ct.info`
/// and its code paths: user vs IP, `!`, `→`/`←`, `Size=`, `URI=`,
/// `Bucket=`, `Host=`, the `<invalid cloudtrail event: …>` texts),
/// `evt.time.iso8601`, and `<NA>` for an absent `ct.id`/`ct.error`.
#[test]
fn all_cloudtrail_events_output_matches_falco() {
    let exp = expected();
    let ruleset = ruleset_from(vec![
        data("falco/aws_cloudtrail_rules.yaml"),
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/falco_enable_all_events.yaml"
        )),
    ]);
    let mut by_file: BTreeMap<&str, Vec<&AllEventsSample>> = BTreeMap::new();
    for s in &exp.all_events_samples {
        by_file.entry(s.file.as_str()).or_default().push(s);
    }
    let mut checked = 0;
    let mut differences = 0;
    for input in &exp.inputs {
        let (_, alerts) = detect_file(&ruleset, &data(&input.file));
        assert_eq!(alerts.len() as u64, input.events, "{}", input.file);
        assert!(
            alerts
                .iter()
                .all(|(a, _)| a.rule == "All Cloudtrail Events"),
            "{}",
            input.file
        );
        for s in by_file.remove(input.file.as_str()).unwrap_or_default() {
            let (a, _) = alerts
                .iter()
                .find(|(_, raw)| event_id(raw) == s.event_id)
                .unwrap_or_else(|| panic!("{}: no alert for {}", s.file, s.event_id));
            let want = s.saker_message.as_deref().unwrap_or(&s.message);
            differences += usize::from(s.saker_message.is_some());
            assert_eq!(a.message, want, "{} {}", s.file, s.event_id);
            checked += 1;
        }
    }
    assert!(
        by_file.is_empty(),
        "samples outside the inputs: {:?}",
        by_file.keys()
    );
    assert_eq!(checked, exp.all_events_samples.len());
    assert!(checked > 30, "{checked}");
    // Only the documented plugininfo difference (absent ct.user).
    assert!(differences <= 2, "{differences}");
}

/// The records of the record-level check, in the oracle's order: the
/// `event` of every Panther test (line order), then every element of the
/// TrailDiscover examples (file name order); each as its exact JSON text.
fn record_level_candidates() -> Vec<(String, String)> {
    use serde_json::value::RawValue;

    #[derive(Deserialize)]
    struct PantherTest<'a> {
        #[serde(borrow)]
        event: Option<&'a RawValue>,
    }
    let is_object = |r: &RawValue| r.get().starts_with('{');
    let mut out = Vec::new();
    let panther = "rule-tests/panther_tests.jsonl";
    let text = std::fs::read_to_string(data(panther)).expect("panther tests");
    for (n, line) in text.lines().enumerate() {
        let test: PantherTest<'_> = serde_json::from_str(line).expect("panther test line");
        if let Some(ev) = test.event.filter(|e| is_object(e)) {
            out.push((format!("{panther}:{}", n + 1), ev.get().to_string()));
        }
    }
    let folder = "cloudtrail/traildiscover/docs/logExamples";
    let mut names: Vec<String> = std::fs::read_dir(data(folder))
        .expect("traildiscover examples")
        .map(|e| {
            e.expect("dir entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|n| n.ends_with(".cloudtrail"))
        .collect();
    names.sort();
    for name in names {
        let text = std::fs::read_to_string(data(&format!("{folder}/{name}"))).expect("example");
        let records: Vec<&RawValue> = match serde_json::from_str::<Vec<&RawValue>>(&text) {
            Ok(v) => v,
            Err(_) => vec![serde_json::from_str(&text).expect("example is JSON")],
        };
        for (i, r) in records.into_iter().enumerate() {
            if is_object(r) {
                out.push((format!("{folder}/{name}#{i}"), r.get().to_string()));
            }
        }
    }
    out
}

/// Panther's rule-test events and TrailDiscover's examples are JSON lines
/// and bare arrays, which Falco's plugin does not read; judged record by
/// record inside a `{"Records":[…]}` file, saker raises what Falco would.
/// They cover rules and paths invictus does not: Root and AssumedRole
/// console logins (`Console Root Login Without MFA` shadowed), `ct.user`
/// `AssumedRole`/`FederatedUser` literals and `<NA>`, failed calls, bucket
/// encryption/ACL and trail rules, records whose `eventTime` is not
/// RFC 3339 (skipped).
#[test]
fn record_level_parity_on_test_events() {
    let exp = expected().record_level;
    let candidates = record_level_candidates();
    assert_eq!(candidates.len(), exp.candidates);
    let mut body = String::from("{\"Records\":[");
    for (i, (_, raw)) in candidates.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(raw);
    }
    body.push_str("]}");
    let path = std::env::temp_dir().join(format!("saker-falco-parity-{}.json", std::process::id()));
    std::fs::write(&path, body).expect("temp file");
    let (summary, alerts) = detect_file(&falco_ruleset(), &path);
    std::fs::remove_file(&path).ok();
    assert_eq!(summary.records, exp.falco_events, "records evaluated");

    let raw_of: BTreeMap<&str, &str> = candidates
        .iter()
        .map(|(loc, raw)| (loc.as_str(), raw.as_str()))
        .collect();
    let mut want: Vec<(&str, &str, &str, &str)> = exp
        .alerts
        .iter()
        .map(|a| {
            let raw = raw_of
                .get(a.record.as_str())
                .unwrap_or_else(|| panic!("{}", a.record));
            (
                *raw,
                a.rule.as_str(),
                a.priority.as_str(),
                a.message.as_str(),
            )
        })
        .collect();
    let mut got: Vec<(&str, &str, &str, &str)> = alerts
        .iter()
        .map(|(a, raw)| {
            let raw = raw_of
                .values()
                .find(|r| **r == raw.as_str())
                .expect("alert raw is a candidate record");
            (
                *raw,
                a.rule.as_str(),
                a.priority.as_str(),
                a.message.as_str(),
            )
        })
        .collect();
    want.sort();
    got.sort();
    let locate = |raw: &str| -> Vec<&str> {
        candidates
            .iter()
            .filter(|(_, r)| r == raw)
            .map(|(l, _)| l.as_str())
            .collect()
    };
    let missing: Vec<_> = want
        .iter()
        .filter(|w| !got.contains(w))
        .map(|w| (locate(w.0), w.1, w.3))
        .collect();
    let extra: Vec<_> = got
        .iter()
        .filter(|g| !want.contains(g))
        .map(|g| (locate(g.0), g.1, g.3))
        .collect();
    assert!(
        want == got,
        "Falco would raise but saker did not: {missing:#?}\nsaker raised but Falco would not: {extra:#?}"
    );
    assert!(want.len() > 30, "{}", want.len());
}

/// `Delete Bucket Public Access Block` has no positive case in the public
/// data, so here the record is built after AWS's documented
/// `PutBucketPublicAccessBlock` shape and the outcome derived by hand from
/// reference/falco.md §6.4: `json.value` of a JSON `false` is the string
/// `false` (and so is the JSON string `"false"`), an absent pointer never
/// compares equal.
#[test]
fn public_access_block_removal_follows_json_value_semantics() {
    let record = |extra: &str, flags: &str| {
        format!(
            r#"{{"eventVersion":"1.08","userIdentity":{{"type":"IAMUser","userName":"alice"}},"eventTime":"2024-01-15T10:45:23Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketPublicAccessBlock","awsRegion":"eu-west-1","sourceIPAddress":"192.0.2.7","requestParameters":{{{extra}"PublicAccessBlockConfiguration":{{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/",{flags}}},"bucketName":"b1","Host":"b1.s3.eu-west-1.amazonaws.com"}},"responseElements":null,"eventID":"e-1","eventType":"AwsApiCall"}}"#
        )
    };
    let flags = |v: &str| {
        format!(
            r#""RestrictPublicBuckets":{v},"BlockPublicPolicy":{v},"BlockPublicAcls":{v},"IgnorePublicAcls":{v}"#
        )
    };
    let cases = [
        (record(r#""publicAccessBlock":"","#, &flags("false")), true),
        (
            record(r#""publicAccessBlock":"","#, &flags("\"false\"")),
            true,
        ),
        (record(r#""publicAccessBlock":"","#, &flags("true")), false),
        (record("", &flags("false")), false),
    ];
    let ruleset = falco_ruleset();
    for (i, (rec, fires)) in cases.iter().enumerate() {
        let path =
            std::env::temp_dir().join(format!("saker-falco-pab-{}-{i}.json", std::process::id()));
        std::fs::write(&path, format!("{{\"Records\":[{rec}]}}")).expect("temp file");
        let (summary, alerts) = detect_file(&ruleset, &path);
        std::fs::remove_file(&path).ok();
        assert_eq!(summary.records, 1, "case {i}");
        let got: Vec<_> = alerts.iter().map(|(a, _)| a.rule.as_str()).collect();
        if *fires {
            assert_eq!(got, ["Delete Bucket Public Access Block"], "case {i}");
            assert_eq!(
                alerts[0].0.output.split_once(": ").unwrap().1,
                "Critical A public access block for a bucket has been deleted \
                 (requesting user=alice, requesting IP=192.0.2.7, AWS region=eu-west-1, bucket=b1)"
            );
        } else {
            assert!(got.is_empty(), "case {i}: {got:?}");
        }
    }
}
