//! Detection over the real CloudTrail data in `../shared/data/cloudtrail`.

mod common;

use common::{data, detect};
use saker_detect::{DetectOptions, RuleSources};
use saker_rules::ruleset::RulesetOptions;

fn builtin() -> RuleSources {
    RuleSources {
        builtin: true,
        paths: vec![],
    }
}

#[test]
fn every_file_is_read_and_every_record_accounted_for() {
    let (summary, _alerts) = detect(
        &[data("cloudtrail")],
        builtin(),
        RulesetOptions::default(),
        DetectOptions::default(),
    );
    eprintln!("{summary}");
    assert!(summary.unit_errors.is_empty(), "{:?}", summary.unit_errors);
    assert_eq!(
        summary.units, summary.units_read,
        "no name filter was given"
    );
    // invictus alone holds 2,900 records.
    assert!(summary.records > 3000, "{}", summary.records);
    // Non-CloudTrail files (README, LICENSE, MANIFEST.tsv, YAML scenarios)
    // and the truncated fixture are reported, not dropped.
    assert!(summary.skipped_total() > 0);
    assert!(
        summary.skipped.contains_key("not-json"),
        "{:?}",
        summary.skipped.keys()
    );
    assert!(summary.digests >= 1);
    assert!(summary.insights >= 1);
}

#[test]
fn output_order_does_not_depend_on_threads() {
    let run = |threads| {
        let (_, alerts) = detect(
            &[data("cloudtrail/invictus")],
            builtin(),
            RulesetOptions::default(),
            DetectOptions {
                threads,
                ..DetectOptions::default()
            },
        );
        alerts
            .into_iter()
            .map(|(a, raw)| (a.rule, common::event_id(&raw)))
            .collect::<Vec<_>>()
    };
    let one = run(1);
    assert!(!one.is_empty());
    assert_eq!(one, run(2));
    assert_eq!(one, run(3));
}

/// Falco's `aws_cloudtrail_rules.yaml` defines its own `approved_regions`
/// list; loading it after the built-in rules must not change what the
/// built-in rules raise (their parameters have `ec2_` names).
#[test]
fn falco_rules_loaded_beside_builtin_change_nothing_builtin() {
    let run = |paths: Vec<std::path::PathBuf>| {
        let (_, alerts) = detect(
            &[data("cloudtrail/invictus/CloudTrail")],
            RuleSources {
                builtin: true,
                paths,
            },
            RulesetOptions::default(),
            DetectOptions::default(),
        );
        alerts
            .into_iter()
            .map(|(a, raw)| (a.rule, common::event_id(&raw)))
            .collect::<Vec<_>>()
    };
    let builtin_only = run(vec![]);
    let with_falco = run(vec![data("falco/aws_cloudtrail_rules.yaml")]);
    let builtin_names: std::collections::BTreeSet<_> =
        builtin_only.iter().map(|(r, _)| r.clone()).collect();
    let builtin_part: Vec<_> = with_falco
        .iter()
        .filter(|(r, _)| {
            builtin_names.contains(r) || r.starts_with("EC2 ") || r.starts_with("EBS ")
        })
        .cloned()
        .collect();
    assert_eq!(builtin_part, builtin_only);
    assert!(with_falco.iter().any(|(r, _)| r == "Run Instances"));
}
