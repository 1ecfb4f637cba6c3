//! Output formatting: the conformance table in
//! `tests/conformance/output.yaml` (formats and Falco's worked alert
//! examples, whose rules are read from `../shared/data`).

mod common;

use saker_rules::output::{escape_for_terminal, JsonOptions, OutputOptions};
use saker_rules::{Priority, RuleDef, Ruleset, RulesetOptions};
use serde_json::Value as J;

use common::{ct_table, event, rule, table};

fn load(path: &str) -> J {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn conformance() -> J {
    load(&format!(
        "{}/tests/conformance/output.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
}

fn opts() -> OutputOptions {
    OutputOptions {
        hostname: "myhost".into(),
        ..Default::default()
    }
}

#[test]
fn conformance_formats() {
    let doc = conformance();
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 25, "at least 25 output cases");
    let mut failures = Vec::new();
    for case in cases {
        let format = case["format"].as_str().unwrap();
        let r = rule("R", "t.num exists or not t.num exists", format);
        let (rs, diags) = Ruleset::compile(&[r], table(false), &RulesetOptions::default());
        if let Some(want) = case.get("error").and_then(J::as_str) {
            match diags.iter().find(|d| d.is_error()) {
                Some(d) if d.code == "LOAD_ERR_COMPILE_OUTPUT" && d.message.contains(want) => {}
                other => failures.push(format!("{format:?}: want error {want:?}, got {other:?}")),
            }
            continue;
        }
        if let Some(d) = diags.iter().find(|d| d.is_error()) {
            failures.push(format!("{format:?}: unexpected {d}"));
            continue;
        }
        let fields = case["event"].as_object().cloned().unwrap_or_default();
        let ts = case.get("time").and_then(J::as_i64).unwrap_or(0);
        let ev = event(&fields, ts);
        let cache = rs.cache(&ev);
        let mut out = Vec::new();
        rs.evaluate_cached(&cache, &mut out);
        assert_eq!(out.len(), 1, "{format:?}");
        let alert = rs.alert(&out[0], &cache, &opts());
        let want_text = case["text"].as_str().unwrap();
        if alert.message != want_text {
            failures.push(format!(
                "{format:?}: text {:?}, want {want_text:?}",
                alert.message
            ));
        }
        let got_fields: serde_json::Map<String, J> = alert
            .output_fields
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().unwrap_or(J::Null)))
            .collect();
        let want_fields = case["output_fields"].as_object().unwrap();
        if &got_fields != want_fields {
            failures.push(format!(
                "{format:?}: output_fields {got_fields:?}, want {want_fields:?}"
            ));
        }
        // Keys are unique and sorted (nlohmann::json's std::map order).
        let keys: Vec<_> = alert.output_fields.iter().map(|(k, _)| k.clone()).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted, "{format:?}");
        // The text line is the prefix plus the message.
        let prefix = format!("{}: Warning ", saker_rules::output::format_evt_time(ts));
        assert_eq!(alert.output, format!("{prefix}{}", alert.message));
        assert_eq!(rs.render_output(&out[0], &cache), alert.message);
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A rule definition read from a Falco rules file in `../shared/data`.
fn falco_rule(file: &str, name: &str) -> RuleDef {
    let path = format!("{}/../../../shared/data/{file}", env!("CARGO_MANIFEST_DIR"));
    let items = load(&path);
    let item = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i.get("rule").and_then(J::as_str) == Some(name))
        .unwrap_or_else(|| panic!("{name} not in {file}"));
    let s = |k: &str| item[k].as_str().unwrap().trim().to_string();
    let mut r = rule(name, &s("condition"), &s("output"));
    r.priority = s("priority").parse::<Priority>().unwrap();
    r.source = s("source");
    r.tags = item
        .get("tags")
        .and_then(J::as_array)
        .map(|t| t.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    r
}

#[test]
fn falco_worked_examples() {
    let doc = conformance();
    for case in doc["alerts"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let r = falco_rule(
            case["rules_file"].as_str().unwrap(),
            case["rule"].as_str().unwrap(),
        );
        let (rs, diags) = Ruleset::compile(&[r], ct_table(), &RulesetOptions::default());
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let fields = case["event"].as_object().unwrap();
        let ev = event(fields, case["time"].as_i64().unwrap());
        let cache = rs.cache(&ev);
        let mut out = Vec::new();
        rs.evaluate_cached(&cache, &mut out);
        assert_eq!(out.len(), 1, "{name}: the rule matches");
        let alert = rs.alert(&out[0], &cache, &opts());
        assert_eq!(alert.text(false), case["text"].as_str().unwrap(), "{name}");
        assert_eq!(
            alert.to_json(&JsonOptions::default()),
            case["json"].as_str().unwrap(),
            "{name}"
        );
    }
}

#[test]
fn create_aws_user_output_is_yaml_folded() {
    let r = falco_rule("falco/aws_cloudtrail_rules.yaml", "Create AWS user");
    assert_eq!(
        r.output,
        "A new AWS user has been created (requesting user=%ct.user, requesting IP=%ct.srcip, AWS region=%ct.region, new user created=%ct.request.username)"
    );
}

#[test]
fn json_options_and_iso_prefix() {
    let mut r = rule("Iso", "t.str exists", "v=%t.str");
    r.tags = ["b", "a"].iter().map(|s| s.to_string()).collect();
    let (rs, _) = Ruleset::compile(&[r], table(false), &RulesetOptions::default());
    let fields =
        serde_json::json!({"t.str": "x", "evt.time.iso8601": "2014-03-06T21:22:54.000000000+0000"});
    let ev = event(fields.as_object().unwrap(), 1_394_140_974_000_000_000);
    let cache = rs.cache(&ev);
    let mut out = Vec::new();
    rs.evaluate_cached(&cache, &mut out);
    let alert = rs.alert(
        &out[0],
        &cache,
        &OutputOptions {
            hostname: "h".into(),
            time_format_iso_8601: true,
        },
    );
    assert_eq!(
        alert.output,
        "2014-03-06T21:22:54.000000000+0000: Warning v=x"
    );
    let json = alert.to_json(&JsonOptions {
        include_output: false,
        include_tags: false,
        include_message: true,
        include_output_fields: false,
    });
    assert_eq!(
        json,
        r#"{"hostname":"h","message":"v=x","priority":"Warning","rule":"Iso","source":"test","time":"2014-03-06T21:22:54.000000000Z"}"#
    );
    let full = alert.to_json(&JsonOptions::default());
    assert!(full.contains(r#""tags":["a","b"]"#), "{full}");
    assert!(
        full.contains(r#""evt.time.iso8601":1394140974000000000"#),
        "{full}"
    );
}

#[test]
fn terminal_escaping_neutralises_attacker_controlled_values() {
    let r = rule("T", "t.str exists", "user=%t.str");
    let (rs, _) = Ruleset::compile(&[r], table(false), &RulesetOptions::default());
    let fields = serde_json::json!({"t.str": "evil\u{1b}]0;pwned\u{7}\r\nFAKE ALERT\u{202e}"});
    let ev = event(fields.as_object().unwrap(), 0);
    let cache = rs.cache(&ev);
    let mut out = Vec::new();
    rs.evaluate_cached(&cache, &mut out);
    let alert = rs.alert(&out[0], &cache, &opts());
    let safe = alert.text(true);
    assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
    assert!(
        safe.ends_with(r"user=evil\x1b]0;pwned\x07\x0d\x0aFAKE ALERT\u{202e}"),
        "{safe}"
    );
    // Raw text and JSON keep the value (JSON escapes it itself).
    assert!(alert.text(false).contains('\u{1b}'));
    assert!(alert
        .to_json(&JsonOptions::default())
        .contains(r"\u001b]0;pwned\u0007\r\n"));
    assert_eq!(escape_for_terminal("plain"), "plain");
}
