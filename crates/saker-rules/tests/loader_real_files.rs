//! The loader on Falco's real rules files (`shared/data/falco`), with test
//! tables (type checking is tested with the real tables in the `saker`
//! crate).

mod loader_common;

use saker_rules::loader::Loader;

fn data(rel: &str) -> String {
    format!(
        "{}/../../../shared/data/falco/{rel}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn load(paths: &[&str], sources: &[&str]) -> saker_rules::loader::LoadResult {
    let sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
    let mut loader = Loader::new(loader_common::tables(&sources));
    for p in paths {
        loader.load_path(data(p));
    }
    loader.finish()
}

/// falco_tests_plugins.yaml `no_plugins_unknown_source` and
/// `no_plugins_unknown_source_rule_exception`: with no table for
/// `aws_cloudtrail`, one LOAD_UNKNOWN_SOURCE warning, no error.
#[test]
fn legacy_no_plugins_unknown_source() {
    for file in [
        "falco_legacy_tests/cloudtrail_create_instances.yaml",
        "falco_legacy_tests/cloudtrail_create_instances_exceptions.yaml",
    ] {
        let r = load(&[file], &["syscall"]);
        let d: Vec<String> = r.diagnostics.iter().map(|d| d.to_string()).collect();
        assert_eq!(d.len(), 1, "{file}: {d:?}");
        let w = &r.diagnostics[0];
        assert!(!w.is_error());
        assert_eq!(w.code, "LOAD_UNKNOWN_SOURCE");
        assert_eq!(w.message, "Unknown source aws_cloudtrail, skipping");
        assert_eq!(
            w.item,
            Some((
                saker_rules::diag::ItemKind::Rule,
                "Cloudtrail Create Instance".to_string()
            ))
        );
        assert!(r.rules.is_empty());
        assert_eq!(r.skipped_rules.len(), 1);
    }
}

/// The shipped files load without diagnostics; order and versions as in
/// the files.
#[test]
fn shipped_files_load_cleanly() {
    let r = load(&["aws_cloudtrail_rules.yaml"], &["aws_cloudtrail"]);
    assert!(r.diagnostics.is_empty(), "{:?}", r.diagnostics);
    assert_eq!(r.rules.len(), 22);
    assert_eq!(r.rules[0].name, "All Cloudtrail Events");
    assert_eq!(
        r.required_engine_version.map(|v| v.to_string()).as_deref(),
        Some("0.10.0")
    );
    for f in [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ] {
        let r = load(&[f], &["syscall"]);
        assert!(r.diagnostics.is_empty(), "{f}: {:?}", r.diagnostics);
        assert_eq!(
            r.required_engine_version.map(|v| v.to_string()).as_deref(),
            Some("0.57.0")
        );
    }
    // Without the syscall table every syscall rule is skipped, and the
    // container plugin requirement fails, exactly as in a Falco without
    // the container plugin.
    let r = load(&["falco_rules.yaml"], &["aws_cloudtrail"]);
    let errors: Vec<String> = r.errors().map(|d| d.to_string()).collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].ends_with(
        "falco_rules.yaml:31:7: error: Plugin requirement not satisfied, must load one of: container (>= 0.4.0) (required_plugin_versions 'container') [LOAD_ERR_VALIDATE]"
    ), "{errors:?}");
    assert_eq!(
        r.warnings()
            .filter(|d| d.code == "LOAD_UNKNOWN_SOURCE")
            .count(),
        25
    );
}

/// A directory loads its *.yaml files in byte order; an explicit non-YAML
/// file is ignored with a warning; a missing file is an error.
#[test]
fn paths() {
    let dir = data("falco_legacy_tests");
    let mut loader = Loader::new(loader_common::tables(&[
        "aws_cloudtrail".into(),
        "syscall".into(),
    ]));
    loader.load_path(&dir);
    loader.load_path(data("PROVENANCE.md"));
    loader.load_path(data("no-such-file.yaml"));
    let r = loader.finish();
    let names: Vec<&str> = r
        .stats
        .files
        .iter()
        .map(|f| f.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "cloudtrail_create_instances.yaml",
            "cloudtrail_create_instances_exceptions.yaml",
            "cloudtrail_incompat_plugin_version.yaml",
            "cloudtrail_json_create_instances.yaml",
            "falco_tests_plugins.yaml",
        ]
    );
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"SAKER_IGNORED_FILE"), "{codes:?}");
    assert!(codes.contains(&"LOAD_ERR_FILE_READ"), "{codes:?}");
}
