//! `saker rules validate|list`: load Falco rules files, report every error
//! and warning, list the rules.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Subcommand, ValueEnum};
use saker_rules::loader::{LoadResult, Loader};
use saker_rules::{Diagnostic, Ruleset, RulesetOptions};

use super::builtin_tables;

#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// Load rules files as Falco does and report every error and warning
    /// (`file:line:col: error|warning: message (rule 'Name') [CODE]`).
    /// Exit 0 when the rules are usable, 2 when they are not.
    Validate {
        /// Rules files or directories (a directory's *.yaml/*.yml files,
        /// not recursive, in byte order), loaded in the order given.
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
    },
    /// Run the test cases kept beside rules files (`NAME.yaml` →
    /// `NAME.tests.yaml`): records that must and must not trigger each
    /// rule. Exit 0 when every case passes, 1 when one fails, 2 on errors.
    Test {
        /// Rules files, or directories holding rules files with tests
        /// beside them.
        #[arg(value_name = "FILE|DIR", default_value = "rules")]
        paths: Vec<PathBuf>,
    },
    /// List the rules: name, priority, source, enabled, tags.
    List {
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
        /// `json` prints an array with one object per rule, including its
        /// condition text and output.
        #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
        output: OutputFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

pub fn run(cmd: RulesCommand) -> ExitCode {
    match cmd {
        RulesCommand::Validate { paths } => validate(&paths),
        RulesCommand::List { paths, output } => list(&paths, output),
        RulesCommand::Test { paths } => test(&paths),
    }
}

fn test(paths: &[PathBuf]) -> ExitCode {
    use saker_detect::rule_tests::{discover, run_file};
    let files: Vec<PathBuf> = paths.iter().flat_map(|p| discover(p)).collect();
    if files.is_empty() {
        eprintln!(
            "saker rules test: no rules file with a .tests.yaml beside it under {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return ExitCode::from(2);
    }
    let (mut passed, mut failed, mut errors) = (0, 0, 0);
    for f in files {
        let report = run_file(&f);
        println!("{report}");
        passed += report.passed();
        failed += report.failed();
        errors += report.errors.len();
    }
    println!("rule tests: {passed} passed, {failed} failed");
    if errors > 0 {
        ExitCode::from(2)
    } else if failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Load the paths and type-check every rule against its source's table.
/// Returns the load result and every diagnostic (loader then compiler).
fn load_and_check(paths: &[PathBuf]) -> (LoadResult, Vec<Diagnostic>) {
    let tables = builtin_tables();
    let mut loader = Loader::new(tables.clone());
    for p in paths {
        loader.load_path(p);
    }
    let result = loader.finish();
    let mut diags = result.diagnostics.clone();
    let opts = RulesetOptions::default();
    for table in tables {
        let (_, d) = Ruleset::compile(&result.rules, table, &opts);
        diags.extend(d);
    }
    (result, diags)
}

fn validate(paths: &[PathBuf]) -> ExitCode {
    let (result, diags) = load_and_check(paths);
    for d in &diags {
        eprintln!("{d}");
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    let warnings = diags.len() - errors;
    let mut per_source: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &result.rules {
        *per_source.entry(r.source.as_str()).or_default() += 1;
    }
    let mut skipped: BTreeMap<&str, usize> = BTreeMap::new();
    for r in &result.skipped_rules {
        *skipped.entry(r.source.as_str()).or_default() += 1;
    }
    let mut sources: Vec<String> = per_source
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect();
    sources.extend(
        skipped
            .iter()
            .map(|(s, n)| format!("{s}: {n} skipped, unknown source")),
    );
    println!(
        "{} files, {} lists, {} macros, {} rules ({}); {} errors, {} warnings",
        result.stats.files.len(),
        result.stats.lists,
        result.stats.macros,
        result.stats.rules,
        sources.join(", "),
        errors,
        warnings
    );
    if errors > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}

fn list(paths: &[PathBuf], format: OutputFormat) -> ExitCode {
    let (result, diags) = load_and_check(paths);
    let errors: Vec<&Diagnostic> = diags.iter().filter(|d| d.is_error()).collect();
    if !errors.is_empty() {
        for d in errors {
            eprintln!("{d}");
        }
        eprintln!("error: the rules cannot be used; run `saker rules validate` for every warning");
        return ExitCode::from(2);
    }
    match format {
        OutputFormat::Text => {
            println!(
                "{:<60} {:<13} {:<15} {:<7} TAGS",
                "NAME", "PRIORITY", "SOURCE", "ENABLED"
            );
            for r in &result.rules {
                let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                println!(
                    "{:<60} {:<13} {:<15} {:<7} {}",
                    r.name,
                    r.priority,
                    r.source,
                    r.enabled,
                    tags.join(",")
                );
            }
            for r in &result.skipped_rules {
                let tags: Vec<&str> = r.tags.iter().map(String::as_str).collect();
                println!(
                    "{:<60} {:<13} {:<15} {:<7} {}",
                    r.name,
                    r.priority,
                    format!("{} (unknown)", r.source),
                    r.enabled,
                    tags.join(",")
                );
            }
        }
        OutputFormat::Json => {
            let mut out: Vec<serde_json::Value> = result
                .rules
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.name,
                        "priority": r.priority.as_str(),
                        "source": r.source,
                        "enabled": r.enabled,
                        "tags": r.tags,
                        "desc": r.desc,
                        "condition": r.condition_text,
                        "output": r.output,
                        "location": r.location.as_ref().map(|l| l.to_string()),
                    })
                })
                .collect();
            out.extend(result.skipped_rules.iter().map(|r| {
                serde_json::json!({
                    "name": r.name,
                    "priority": r.priority.as_str(),
                    "source": r.source,
                    "enabled": r.enabled,
                    "tags": r.tags,
                    "skipped": "unknown source",
                    "location": r.location.as_ref().map(|l| l.to_string()),
                })
            }));
            match serde_json::to_string_pretty(&out) {
                Ok(s) => println!("{s}"),
                Err(e) => {
                    eprintln!("error: {e}");
                    return ExitCode::from(2);
                }
            }
        }
    }
    ExitCode::SUCCESS
}
