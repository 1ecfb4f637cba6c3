//! Who and where of a log read after the fact: the real lab capture
//! `shared/data/audit/lab/audit-lab.log` with its ENRICHED names removed
//! (as a `log_format = RAW` auditd writes it), with and without `node=`.

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_rules::Alert;
use saker_runtime::event::{parse_passwd, UserNames};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::load_runtime_ruleset;

const LAB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/audit/lab/audit-lab.log"
);

/// The lab log's lines, ENRICHED part (from 0x1D) cut, `node=` prefixed.
fn raw_lines(node: Option<&str>) -> Vec<Vec<u8>> {
    let text = std::fs::read(LAB).unwrap();
    text.split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let raw = l.split(|&b| b == 0x1d).next().unwrap_or(l);
            let mut out = node
                .map(|n| format!("node={n} ").into_bytes())
                .unwrap_or_default();
            out.extend_from_slice(raw);
            out
        })
        .collect()
}

fn alerts(lines: &[Vec<u8>], users: UserNames, hostname: &str) -> Vec<Alert> {
    let ropts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(true, &[], vec![], &ropts).expect("built-in rules load");
    let mut rt = Runtime::new(
        &loaded.ruleset,
        RuntimeOptions {
            output: OutputOptions {
                hostname: hostname.into(),
                time_format_iso_8601: false,
            },
            users,
            ..RuntimeOptions::default()
        },
    );
    let mut out = Vec::new();
    let mut cb = |a: &Alert, _e: &saker_runtime::event::RuntimeEvent| out.push(a.clone());
    for (i, l) in lines.iter().enumerate() {
        rt.feed_line(i as u64 + 1, l, &mut cb);
    }
    rt.finish(&mut cb);
    out
}

#[test]
fn raw_log_without_names_renders_numeric_ids_and_the_given_host() {
    let lines = raw_lines(None);
    assert!(lines.iter().all(|l| !l.contains(&0x1d)));
    let a = alerts(&lines, UserNames::default(), "<NA>");
    assert_eq!(a.len(), 10);
    // the lab's login user is uid 1001 (ec2-user on the lab machine)
    let first = &a[0];
    assert!(first.output.contains("loginuser=1001 "), "{}", first.output);
    assert!(first.output.contains("host=<NA>"), "{}", first.output);
    assert_eq!(first.hostname, "<NA>");
    assert!(a.iter().all(|x| !x.output.contains("ec2-user")));
}

#[test]
fn raw_log_names_from_a_given_passwd() {
    let users =
        parse_passwd("root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1001::/home/alice:/bin/bash\n");
    let a = alerts(&raw_lines(None), users, "here");
    assert!(a[0].output.contains("loginuser=alice "), "{}", a[0].output);
    assert!(a[0].output.contains("host=here"), "{}", a[0].output);
}

#[test]
fn node_names_the_host_of_the_text_and_the_json_alert() {
    let a = alerts(&raw_lines(Some("web-1")), UserNames::default(), "<NA>");
    assert_eq!(a.len(), 10);
    for x in &a {
        assert!(x.output.contains("host=web-1"), "{}", x.output);
        assert_eq!(x.hostname, "web-1");
    }
}
