//! Falco's legacy plugin regression tests (`falco_tests_plugins.yaml`):
//! `detect_create_instance` and `detect_create_instance_bigevent` expect one
//! `Cloudtrail Create Instance` detection each.

mod common;

use common::{data, detect};
use saker_detect::{DetectOptions, RuleSources};
use saker_rules::ruleset::{RuleMatching, RulesetOptions};

fn falco_parity() -> RulesetOptions {
    RulesetOptions {
        rule_matching: RuleMatching::First,
        ..RulesetOptions::default()
    }
}

fn legacy(rules: &str, input: &str) -> Vec<saker_rules::output::Alert> {
    let sources = RuleSources {
        builtin: false,
        paths: vec![data(&format!("falco/falco_legacy_tests/{rules}"))],
    };
    let (summary, alerts) = detect(
        &[data(&format!("falco/falco_legacy_tests/{input}"))],
        sources,
        falco_parity(),
        DetectOptions {
            threads: 1,
            ..DetectOptions::default()
        },
    );
    assert_eq!(summary.records, 1);
    assert_eq!(summary.skipped_total(), 0);
    alerts.into_iter().map(|(a, _)| a).collect()
}

#[test]
fn detect_create_instance() {
    let alerts = legacy(
        "cloudtrail_create_instances.yaml",
        "alice_start_instances.json",
    );
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.rule, "Cloudtrail Create Instance");
    assert_eq!(a.priority.as_str(), "Informational");
    assert_eq!(a.time_ns, 1_394_140_974_000_000_000);
    // Worked example A of reference/falco.md §5.3 (time prefix aside, which
    // is in the host's local timezone).
    assert!(
        a.output.ends_with(
            ": Informational EC2 Instance Created (evtnum=1 info=us-east-2 Alice ec2 StartInstances Alice via 205.251.233.176 \u{2190} StartInstances id=<NA> user name=Alice)"
        ),
        "{}",
        a.output
    );
    let fields: std::collections::BTreeMap<_, _> = a.output_fields.iter().cloned().collect();
    assert_eq!(fields["ct.id"], None);
    assert_eq!(fields["evt.num"], Some(serde_json::json!(1)));
    assert_eq!(
        fields["evt.time"],
        Some(serde_json::json!(1_394_140_974_000_000_000i64))
    );
    assert_eq!(
        fields["json.value[/userIdentity/userName]"],
        Some(serde_json::json!("Alice"))
    );
}

#[test]
fn detect_create_instance_bigevent() {
    let alerts = legacy(
        "cloudtrail_create_instances.yaml",
        "alice_start_instances_bigevent.json",
    );
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule, "Cloudtrail Create Instance");
}
