//! `saker rules validate|list` end to end: the real binary on Falco's own
//! rules files (`shared/data/falco`) and on broken files, one per problem.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn data(rel: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/falco"
    ))
    .join(rel)
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

/// Falco's shipped rules files validate with no error and no warning
/// (Falco itself reports none for them: every macro and list is used).
#[test]
fn falco_rules_files_validate_cleanly() {
    for (file, summary) in [
        (
            "aws_cloudtrail_rules.yaml",
            "1 files, 1 lists, 0 macros, 22 rules (aws_cloudtrail: 22); 0 errors, 0 warnings",
        ),
        (
            "falco_rules.yaml",
            "1 files, 49 lists, 87 macros, 25 rules (syscall: 25); 0 errors, 0 warnings",
        ),
        (
            "falco-incubating_rules.yaml",
            "1 files, 54 lists, 82 macros, 31 rules (syscall: 31); 0 errors, 0 warnings",
        ),
        (
            "falco-sandbox_rules.yaml",
            "1 files, 60 lists, 183 macros, 37 rules (syscall: 37); 0 errors, 0 warnings",
        ),
    ] {
        let out = saker(&["rules", "validate", data(file).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{file}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{file}");
        assert_eq!(text(&out.stdout).trim(), summary, "{file}");
    }
}

#[test]
fn legacy_plugin_tests_rule_loading() {
    // detect_create_instance: the rules file loads.
    let ok = saker(&[
        "rules",
        "validate",
        data("falco_legacy_tests/cloudtrail_create_instances.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    // incompat_plugin_rules_version: Falco's error text.
    let bad = saker(&[
        "rules",
        "validate",
        data("falco_legacy_tests/cloudtrail_incompat_plugin_version.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let err = text(&bad.stderr);
    assert!(
        err.contains(":2:7: error: Plugin 'cloudtrail' version '0.17.1' is not compatible with required plugin version '100000.0.0'"),
        "{err}"
    );
    // With the cloudtrail table loaded, the exceptions file's fields are
    // checked (Falco skips the check only when the source is unknown).
    let ex = saker(&[
        "rules",
        "validate",
        data("falco_legacy_tests/cloudtrail_create_instances_exceptions.yaml")
            .to_str()
            .unwrap(),
    ]);
    assert_eq!(ex.status.code(), Some(2));
    assert!(text(&ex.stderr).contains(":6:5: error: 'aws.user' is not a supported filter field (rule 'Cloudtrail Create Instance') [LOAD_ERR_VALIDATE]"));
}

/// Validate one broken file; return (exit code, stderr).
fn validate_text(yaml: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rules.yaml");
    std::fs::write(&path, yaml).unwrap();
    let out = saker(&["rules", "validate", path.to_str().unwrap()]);
    let err = text(&out.stderr).replace(path.to_str().unwrap(), "rules.yaml");
    assert!(!err.contains("panicked"), "{err}");
    (out.status.code(), err)
}

fn assert_one_error(yaml: &str, expected: &str) {
    let (code, err) = validate_text(yaml);
    assert_eq!(code, Some(2), "{err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.contains(": error: ")).collect();
    assert_eq!(errors.len(), 1, "{err}");
    assert!(
        errors[0].starts_with(expected),
        "got {:?}, want prefix {expected:?}",
        errors[0]
    );
}

const RULE_HEAD: &str =
    "- rule: R\n  desc: d\n  priority: INFO\n  output: o\n  source: aws_cloudtrail\n";

#[test]
fn malformed_yaml() {
    assert_one_error("- rule: R\n  desc: \"open\n", "rules.yaml:");
    let (_, err) = validate_text("- rule: R\n  desc: \"open\n");
    assert!(err.contains("[LOAD_ERR_YAML_PARSE]"), "{err}");
}

#[test]
fn non_sequence_document() {
    assert_one_error("rule: R\ndesc: d\n", "rules.yaml:1:1: error: Rules content is not yaml array of objects [LOAD_ERR_YAML_VALIDATE]");
}

#[test]
fn unknown_top_level_item_is_a_warning() {
    let (code, err) = validate_text("- rulez: R\n");
    assert_eq!(code, Some(0));
    assert_eq!(
        err.trim(),
        "rules.yaml:1:3: warning: Unknown top level item [LOAD_UNKNOWN_ITEM]"
    );
}

#[test]
fn undefined_macro() {
    assert_one_error(
        &format!("{RULE_HEAD}  condition: ct.name = x and no_such_macro\n"),
        "rules.yaml:6:30: error: Undefined macro 'no_such_macro' used in filter. (rule 'R') [LOAD_ERR_VALIDATE]",
    );
}

#[test]
fn undefined_list_name_is_a_plain_string() {
    let (code, err) = validate_text(&format!(
        "{RULE_HEAD}  condition: ct.name in (no_such_list)\n"
    ));
    assert_eq!(
        code,
        Some(0),
        "an undefined list name is a plain string in Falco: {err}"
    );
}

#[test]
fn cyclic_macro() {
    assert_one_error(
        &format!("- macro: a\n  condition: ct.name = x\n- macro: b\n  condition: a\n- macro: a\n  condition: or b\n  override:\n    condition: append\n{RULE_HEAD}  condition: b\n"),
        "rules.yaml:2:14: error: reference loop in macro 'a' (macro 'a') [LOAD_ERR_VALIDATE]",
    );
}

#[test]
fn unknown_operator() {
    assert_one_error(
        &format!("{RULE_HEAD}  condition: ct.name like x\n"),
        "rules.yaml:6:",
    );
    let (_, err) = validate_text(&format!("{RULE_HEAD}  condition: ct.name like x\n"));
    assert!(
        err.contains("(rule 'R') [LOAD_ERR_COMPILE_CONDITION]"),
        "{err}"
    );
}

#[test]
fn unknown_field() {
    assert_one_error(
        &format!("{RULE_HEAD}  condition: ct.nosuchfield = x\n"),
        "rules.yaml:6:14: error: filter_check called with nonexistent field ct.nosuchfield",
    );
}

#[test]
fn type_mismatch() {
    assert_one_error(
        &format!("{RULE_HEAD}  condition: evt.num contains abc\n"),
        "rules.yaml:6:14: error: 'contains' operator not supported for numeric filters",
    );
}

#[test]
fn unclosed_quote() {
    // The `"` is inside a plain YAML scalar, so the filter parser sees it;
    // the column points into the condition.
    assert_one_error(
        &format!("{RULE_HEAD}  condition: ct.name = \"x\n"),
        "rules.yaml:6:24: error: filter error at 1:11:",
    );
    let (_, err) = validate_text(&format!("{RULE_HEAD}  condition: ct.name = \"x\n"));
    assert!(
        err.contains("(rule 'R') [LOAD_ERR_COMPILE_CONDITION]"),
        "{err}"
    );
}

#[test]
fn unclosed_parenthesis() {
    assert_one_error(
        &format!("{RULE_HEAD}  condition: (ct.name = x\n"),
        "rules.yaml:6:",
    );
}

#[test]
fn duplicate_rule_replaces_with_a_warning() {
    let yaml =
        format!("{RULE_HEAD}  condition: ct.name = x\n{RULE_HEAD}  condition: ct.name = y\n");
    let (code, err) = validate_text(&yaml);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        err.trim(),
        "rules.yaml:7:3: warning: Rule 'R' is defined again in the same file (first at line 1); this definition replaces it, as in Falco (rule 'R') [SAKER_DUPLICATE_RULE]"
    );
}

#[test]
fn append_or_override_to_nothing() {
    assert_one_error(
        "- rule: Nope\n  condition: and ct.name = x\n  override:\n    condition: append\n",
        "rules.yaml:1:3: error: Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists (rule 'Nope') [LOAD_ERR_VALIDATE]",
    );
    assert_one_error(
        "- rule: Nope\n  priority: ERROR\n  override:\n    priority: replace\n",
        "rules.yaml:1:3: error: An 'override.<key>: replace' to a rule was requested but no rule by that name already exists (rule 'Nope') [LOAD_ERR_VALIDATE]",
    );
    assert_one_error(
        "- list: nope\n  items: [a]\n  override:\n    items: append\n",
        "rules.yaml:1:3: error: List uses 'append' or 'override.items: append' but no list by that name already exists (list 'nope') [LOAD_ERR_VALIDATE]",
    );
}

#[test]
fn missing_required_keys() {
    for key in ["condition", "output", "priority"] {
        let mut yaml = String::from("- rule: R\n  desc: d\n  source: aws_cloudtrail\n");
        for (k, v) in [
            ("condition", "ct.name = x"),
            ("output", "o"),
            ("priority", "INFO"),
        ] {
            if k != key {
                yaml.push_str(&format!("  {k}: {v}\n"));
            }
        }
        assert_one_error(
            &yaml,
            &format!("rules.yaml:1:3: error: Item has no mapping for key '{key}' (rule 'R') [LOAD_ERR_YAML_VALIDATE]"),
        );
    }
}

#[test]
fn every_broken_item_is_reported() {
    let yaml = "- rule: A\n  desc: d\n  output: o\n  priority: INFO\n- rule: B\n  desc: d\n  condition: evt.num > 0\n  output: o\n  priority: nope\n";
    let (code, err) = validate_text(yaml);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("rules.yaml:1:3: error: Item has no mapping for key 'condition' (rule 'A')"),
        "{err}"
    );
    assert!(
        err.contains("rules.yaml:9:13: error: Invalid priority (rule 'B')"),
        "{err}"
    );
}

#[test]
fn directories_expand_to_sorted_yaml_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("b.yml"),
        "- rule: R\n  condition: and ct.name = y\n  override:\n    condition: append\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        format!("{RULE_HEAD}  condition: ct.name = x\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("c.txt"), "not rules").unwrap();
    let out = saker(&[
        "rules",
        "list",
        "--output",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rules[0]["condition"], "ct.name = x and ct.name = y");
}

#[test]
fn list_shows_rules_in_evaluation_order() {
    let path = data("aws_cloudtrail_rules.yaml");
    let out = saker(&["rules", "list", "--output", "json", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let rules: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rules = rules.as_array().unwrap();
    assert_eq!(rules.len(), 22);
    assert_eq!(rules[0]["name"], "All Cloudtrail Events");
    assert_eq!(rules[0]["enabled"], false);
    assert_eq!(rules[0]["priority"], "Debug");
    assert_eq!(rules[0]["condition"], "evt.num > 0");
    assert_eq!(rules[0]["tags"], serde_json::json!(["aws", "cloud"]));
    assert_eq!(
        rules[1]["output"],
        "Detected a console login through Assume Role (principal=%ct.user.principalid, assumedRole=%ct.user.arn, requesting IP=%ct.srcip, AWS region=%ct.region)"
    );
    let txt = saker(&["rules", "list", path.to_str().unwrap()]);
    assert_eq!(txt.status.code(), Some(0));
    let stdout = text(&txt.stdout);
    assert_eq!(stdout.lines().count(), 23);
    assert!(stdout
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("All Cloudtrail Events"));
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(saker(&["rules", "validate"]).status.code(), Some(2));
    assert_eq!(
        saker(&["rules", "list", "--output", "xml", "x.yaml"])
            .status
            .code(),
        Some(2)
    );
}

/// A file that only adjusts a built-in list (as users override
/// `ec2_approved_regions`) looks broken on its own: validate says so and
/// points at `--builtin`, which loads the built-in rules first, as
/// `saker detect --rules` does.
#[test]
fn an_override_of_a_built_in_list_validates_with_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.yaml");
    std::fs::write(
        &path,
        "- list: ec2_approved_regions\n  items: [eu-north-1]\n  override:\n    items: append\n",
    )
    .unwrap();
    let p = path.display().to_string();
    let alone = saker(&["rules", "validate", &p]);
    assert_eq!(alone.status.code(), Some(2));
    let err = text(&alone.stderr);
    assert!(err.contains("no list by that name"), "{err}");
    assert!(err.contains("with --builtin"), "{err}");
    let with = saker(&["rules", "validate", "--builtin", &p]);
    assert_eq!(with.status.code(), Some(0), "{}", text(&with.stderr));
    assert!(text(&with.stdout).contains("0 errors, 0 warnings"));
    // An unrelated broken file gets no such hint.
    std::fs::write(&path, "- list: my_own\n  items: [a]\n").unwrap();
    let other = saker(&["rules", "validate", &p]);
    assert!(!text(&other.stderr).contains("--builtin"));
}
