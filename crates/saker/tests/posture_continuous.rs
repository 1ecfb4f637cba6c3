//! Acceptance of continuous posture (issue 5, "Continuous"): CloudTrail-
//! shaped events injected through a real moto EventBridge rule into SQS
//! make findings appear and disappear with the actor and the exposure
//! window, through `saker detect --sqs QUEUE --posture`.
//!
//! The setup (`posture_continuous/setup_events.py`, boto3 against moto):
//! a VPC with two security groups; an EventBridge rule `source aws.ec2`,
//! `detail-type "AWS API Call via CloudTrail"` targeting an SQS queue;
//! sg1: 0.0.0.0/0:22 authorized in moto + its event (alice), revoked in
//! moto + its event; sg2: authorized + event (bob), never revoked; an
//! unrelated `CreateTags` event. saker starts only after all of that, so
//! its collection and every re-describe see sg1 closed: the window
//! [authorize, revoke] can only come from the events themselves.

mod moto;

use std::process::Command;

use serde_json::Value;

fn setup(endpoint: &str) -> Value {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/posture_continuous/setup_events.py"
    );
    let out = Command::new("python3")
        .arg(script)
        .arg(endpoint)
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "setup failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("setup prints JSON")
}

fn field<'a>(alert: &'a Value, key: &str) -> &'a Value {
    &alert["output_fields"][key]
}

#[test]
fn reverted_ingress_leaves_its_window_and_open_ingress_stays_open() {
    let Some(moto) = moto::moto() else { return };
    let s = setup(&moto.endpoint);
    let (queue, sg1, sg2) = (
        s["queue"].as_str().unwrap(),
        s["sg1"].as_str().unwrap(),
        s["sg2"].as_str().unwrap(),
    );
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.db");
    let out = moto.saker(&[
        "detect",
        "--sqs",
        queue,
        "--posture",
        "--posture-region",
        "us-east-1",
        "--until-empty",
        "--sqs-wait",
        "1",
        "--output",
        "json",
        "--state",
        state.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "saker failed: {stderr}");
    let alerts: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let posture: Vec<&Value> = alerts
        .iter()
        .filter(|a| a["source"] == "saker_posture")
        .collect();
    let rule =
        "Posture: Security groups do not allow ingress from the internet to administration ports";
    assert!(posture.iter().all(|a| a["rule"] == rule), "{posture:#?}");
    // Exactly: sg1 FAIL, sg1 resolved, sg2 FAIL; CreateTags changes nothing.
    let of = |sg: &str, status: &str| -> Vec<&Value> {
        posture
            .iter()
            .copied()
            .filter(|a| field(a, "posture.resource") == sg && field(a, "posture.status") == status)
            .collect()
    };
    assert_eq!(posture.len(), 3, "{posture:#?}");

    let alice = "arn:aws:iam::123456789012:user/alice";
    let failed = of(sg1, "FAIL");
    assert_eq!(failed.len(), 1, "{posture:#?}");
    let f = failed[0];
    assert_eq!(f["priority"], "Error", "C1 is High severity");
    assert_eq!(field(f, "posture.actor"), alice);
    assert_eq!(field(f, "posture.source_ip"), "198.51.100.7");
    assert_eq!(
        field(f, "posture.event_name"),
        "AuthorizeSecurityGroupIngress"
    );
    assert_eq!(field(f, "posture.exposure.opened_at"), &s["t_auth"]);
    assert_eq!(field(f, "posture.account"), "123456789012");
    assert_eq!(field(f, "posture.region"), "us-east-1");
    assert_eq!(
        field(f, "posture.finding_id"),
        format!("saker-ec2_sg_open_admin_ports-123456789012-us-east-1-{sg1}").as_str()
    );
    assert!(f["output"].as_str().unwrap().contains(alice));

    let resolved = of(sg1, "PASS");
    assert_eq!(resolved.len(), 1, "{posture:#?}");
    let r = resolved[0];
    assert_eq!(field(r, "posture.previous_status"), "FAIL");
    assert_eq!(field(r, "posture.exposure.opened_at"), &s["t_auth"]);
    assert_eq!(field(r, "posture.exposure.closed_at"), &s["t_revoke"]);
    assert_eq!(field(r, "posture.exposure.seconds"), 60);
    assert_eq!(field(r, "posture.exposure.opened_by"), alice);
    assert_eq!(field(r, "posture.event_name"), "RevokeSecurityGroupIngress");

    let open = of(sg2, "FAIL");
    assert_eq!(open.len(), 1, "{posture:#?}");
    assert_eq!(
        field(open[0], "posture.actor"),
        "arn:aws:iam::123456789012:user/bob"
    );
    assert_eq!(field(open[0], "posture.exposure.opened_at"), &s["t_auth2"]);
    assert!(of(sg2, "PASS").is_empty(), "sg2 was never revoked");

    // The summary: sg2 open (opened by an event), sg1's window closed.
    assert!(
        stderr.contains("3 change(s): 2 new FAIL, 1 resolved"),
        "{stderr}"
    );
    let open_line = stderr
        .lines()
        .find(|l| l.contains(sg2) && l.contains("open since"))
        .unwrap_or_else(|| panic!("no open exposure for {sg2}: {stderr}"));
    assert!(open_line.contains("user/bob"));
    assert!(stderr.contains("closed windows: 1"), "{stderr}");
    let window = stderr
        .lines()
        .find(|l| l.contains(sg1) && l.contains(" – "))
        .unwrap_or_else(|| panic!("no window for {sg1}: {stderr}"));
    assert!(
        window.contains(&format!(
            "{} – {} (60s)",
            s["t_auth"].as_str().unwrap(),
            s["t_revoke"].as_str().unwrap()
        )),
        "{window}"
    );

    // The tracker was saved in the state store.
    let mut store = saker_store::open_store(state.to_str().unwrap()).unwrap();
    let saved = store
        .state_value("posture.exposures")
        .unwrap()
        .expect("exposure state saved");
    let tracker = saker_posture::continuous::ExposureTracker::from_json(&saved).unwrap();
    let fid2 = format!("saker-ec2_sg_open_admin_ports-123456789012-us-east-1-{sg2}");
    assert!(
        tracker.exposure(&fid2).is_some(),
        "sg2 open in the saved state"
    );
    let fid1 = format!("saker-ec2_sg_open_admin_ports-123456789012-us-east-1-{sg1}");
    assert_eq!(tracker.windows(&fid1).len(), 1);
}
