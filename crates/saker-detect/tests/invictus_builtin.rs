//! The built-in rules on real logs (`../shared/data/cloudtrail/invictus`:
//! one hour of a real account under Stratus Red Team attack simulations).

mod common;

use common::{data, detect, event_id};
use saker_detect::{DetectOptions, RuleSources};
use saker_rules::ruleset::RulesetOptions;

fn alerts() -> Vec<(String, String)> {
    let (summary, alerts) = detect(
        &[data("cloudtrail/invictus/CloudTrail")],
        RuleSources {
            builtin: true,
            paths: vec![],
        },
        RulesetOptions::default(),
        DetectOptions::default(),
    );
    assert_eq!(summary.records, 2900);
    assert_eq!(summary.skipped_total(), 0);
    alerts
        .into_iter()
        .map(|(a, raw)| (a.rule, event_id(&raw)))
        .collect()
}

fn fired(alerts: &[(String, String)], rule: &str, id: &str) -> bool {
    alerts.iter().any(|(r, e)| r == rule && e == id)
}

#[test]
fn headline_attacks_are_detected() {
    let a = alerts();
    // Stratus: port 22 opened to 0.0.0.0/0, flat request shape.
    let flat = "74bd84b4-6729-4895-b2a4-e2beb7c6b377";
    assert!(fired(&a, "EC2 Security Group Ingress Authorized", flat));
    assert!(fired(&a, "EC2 Sensitive Port Opened To The World", flat));
    // Terraform: 443 opened to 0.0.0.0/0, nested ipPermissions.items shape;
    // 443 is not an administration port, so no sharper alert.
    let nested = "7e96f0e7-4d78-423d-b3f5-391370685b30";
    assert!(fired(&a, "EC2 Security Group Ingress Authorized", nested));
    assert!(!fired(&a, "EC2 Sensitive Port Opened To The World", nested));
    // EBS snapshot shared with / unshared from another account.
    for id in [
        "741616fd-4713-426d-8861-3ccae4ba994e",
        "3ad01b1d-ebc1-4830-994b-9210534ab9f2",
    ] {
        assert!(fired(&a, "EBS Snapshot Permissions Modified", id), "{id}");
    }
    // AMI launch permission shared / unshared.
    for id in [
        "8fe3095f-909c-41f5-a769-00b9ec6e95df",
        "8d96ddae-ab7e-4230-9935-44dde036f058",
    ] {
        assert!(fired(&a, "EC2 Image Attribute Modified", id), "{id}");
    }
    // Stratus: 29 denied GetPasswordData attempts.
    let pw = a
        .iter()
        .filter(|(r, _)| r == "EC2 Windows Password Data Requested")
        .count();
    assert_eq!(pw, 29);
    // The two successful RunInstances (t3.micro); failed attempts do not alert.
    for id in [
        "86eac0ac-8521-4126-aa32-a22f2b74d02e",
        "8c9d5d59-f65e-4d38-a71b-6d712487cd91",
    ] {
        assert!(fired(&a, "EC2 Instances Launched", id), "{id}");
        assert!(
            fired(&a, "EC2 Instance Launched From Non-Approved Image", id),
            "{id}"
        );
    }
    assert_eq!(
        a.iter()
            .filter(|(r, _)| r == "EC2 Instances Launched")
            .count(),
        2
    );
}

#[test]
fn every_alert_is_pinned() {
    let pinned: Vec<(String, String)> = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/invictus_builtin_alerts.tsv"
    ))
    .expect("pinned alerts")
    .lines()
    .filter(|l| !l.starts_with('#'))
    .map(|l| {
        let (r, e) = l.split_once('\t').expect("rule<TAB>eventID");
        (r.to_string(), e.to_string())
    })
    .collect();
    assert_eq!(alerts(), pinned);
}
