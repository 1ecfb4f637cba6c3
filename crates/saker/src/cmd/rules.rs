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
        /// Load saker's built-in rules first, as `saker detect --rules FILE`
        /// does: for a file that overrides or appends to the built-in lists
        /// and macros (e.g. `ec2_approved_regions`).
        #[arg(long)]
        builtin: bool,
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
    /// List the fields rules can use for a source: name, type, argument,
    /// list or not, description; with `--examples`, a real value of each
    /// found in your CloudTrail logs.
    Fields {
        /// `aws_cloudtrail` or `syscall`.
        #[arg(long, default_value = "aws_cloudtrail")]
        source: String,
        /// CloudTrail files or directories to take example values from.
        #[arg(long, value_name = "PATH")]
        examples: Vec<String>,
        /// `markdown` prints a table for documentation.
        #[arg(long, value_enum, default_value_t = FieldsFormat::Text)]
        output: FieldsFormat,
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
pub enum FieldsFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

pub fn run(cmd: RulesCommand) -> ExitCode {
    match cmd {
        RulesCommand::Validate { paths, builtin } => validate(&paths, builtin),
        RulesCommand::List { paths, output } => list(&paths, output),
        RulesCommand::Test { paths } => test(&paths),
        RulesCommand::Fields {
            source,
            examples,
            output,
        } => fields(&source, &examples, output),
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
fn load_and_check(paths: &[PathBuf], builtin: bool) -> (LoadResult, Vec<Diagnostic>) {
    let tables = builtin_tables();
    let mut loader = Loader::new(tables.clone());
    if builtin {
        for (name, text) in saker_detect::rulesets::BUILTIN_RULE_FILES {
            loader.load_embedded(name, text);
        }
    }
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

fn validate(paths: &[PathBuf], builtin: bool) -> ExitCode {
    let (result, diags) = load_and_check(paths, builtin);
    for d in &diags {
        eprintln!("{d}");
    }
    // A user file that only adjusts the built-in rules' lists and macros
    // looks broken on its own.
    let names_builtin_item = |d: &Diagnostic| {
        matches!(
            d.code,
            "LOAD_ERR_VALIDATE" | "LOAD_UNUSED_LIST" | "LOAD_UNUSED_MACRO"
        ) && d.item.as_ref().is_some_and(|(_, name)| {
            saker_detect::rulesets::BUILTIN_RULE_FILES
                .iter()
                .any(|(_, rules)| rules.contains(&format!(": {name}\n")))
        })
    };
    if !builtin && diags.iter().any(names_builtin_item) {
        eprintln!(
            "hint: this file adjusts saker's built-in rules; validate it as `saker detect --rules` loads it, with --builtin"
        );
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
    let (result, diags) = load_and_check(paths, false);
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

fn fields(source: &str, examples: &[String], format: FieldsFormat) -> ExitCode {
    use saker_detect::field_examples::{field_examples, FieldExample};
    use saker_rules::fields::ArgForm;
    let Some(table) = builtin_tables().into_iter().find(|t| t.source() == source) else {
        eprintln!("saker rules fields: unknown source '{source}' (known: aws_cloudtrail, syscall)");
        return ExitCode::from(2);
    };
    let (units, errors) = saker_ingest::expand_inputs(examples);
    for e in &errors {
        eprintln!("saker rules fields: {e}");
    }
    if !errors.is_empty() {
        return ExitCode::from(2);
    }
    let rows: Vec<FieldExample> = if source == "aws_cloudtrail" {
        field_examples(table.as_ref(), &units)
    } else {
        field_examples(table.as_ref(), &[])
    };
    let arg = |a: ArgForm| match a {
        ArgForm::None => "",
        ArgForm::IndexOptional => "[N] optional",
        ArgForm::IndexRequired => "[N]",
        ArgForm::KeyOptional => "[key] optional",
        ArgForm::KeyRequired => "[key]",
        ArgForm::IndexOrKey { required: true } => "[N|key]",
        ArgForm::IndexOrKey { required: false } => "[N|key] optional",
    };
    match format {
        FieldsFormat::Json => {
            let v: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    serde_json::json!({
                        "name": r.def.name,
                        "type": r.def.ty.name(),
                        "arg": arg(r.def.arg),
                        "list": r.def.is_list,
                        "description": r.def.desc,
                        "example_token": r.token,
                        "example": r.example,
                    })
                })
                .collect();
            println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        }
        FieldsFormat::Markdown => {
            println!("| field | type | argument | description | example |");
            println!("|---|---|---|---|---|");
            let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
            for r in &rows {
                let ty = if r.def.is_list {
                    format!("list of {}", r.def.ty.name())
                } else {
                    r.def.ty.name().to_string()
                };
                let ex = match &r.example {
                    Some(e) if r.token != r.def.name => {
                        format!("`{}` → `{}`", cell(&r.token), cell(e))
                    }
                    Some(e) => format!("`{}`", cell(e)),
                    None => String::new(),
                };
                println!(
                    "| `{}` | {} | {} | {} | {} |",
                    r.def.name,
                    ty,
                    arg(r.def.arg),
                    cell(r.def.desc),
                    ex
                );
            }
        }
        FieldsFormat::Text => {
            for r in &rows {
                let list = if r.def.is_list { " (list)" } else { "" };
                println!(
                    "{:<36} {:<8}{list} {:<14} {}",
                    r.def.name,
                    r.def.ty.name(),
                    arg(r.def.arg),
                    r.def.desc
                );
                if let Some(e) = &r.example {
                    println!(
                        "{:<36} e.g. {} = {}",
                        "",
                        r.token,
                        saker_rules::output::escape_for_terminal(e)
                    );
                }
            }
        }
    }
    ExitCode::SUCCESS
}
