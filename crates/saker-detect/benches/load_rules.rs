//! Time to load and compile real rules files: Falco's `falco_rules.yaml`
//! (syscall source), Falco's `aws_cloudtrail_rules.yaml` and saker's
//! built-in EC2 rules. Reads `../shared/data/falco` beside the repository.

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use saker_detect::{builtin_tables, BUILTIN_RULE_FILES};
use saker_rules::loader::Loader;
use saker_rules::ruleset::{Ruleset, RulesetOptions};

fn falco(file: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/falco"
    ))
    .join(file)
}

/// Load `files` (and the built-in rules when asked), then compile every
/// source's ruleset; returns the number of compiled rules.
fn load_and_compile(files: &[PathBuf], builtin: bool) -> usize {
    let tables = builtin_tables();
    let mut loader = Loader::new(tables.clone());
    if builtin {
        for (name, text) in BUILTIN_RULE_FILES {
            loader.load_embedded(name, text);
        }
    }
    for f in files {
        loader.load_path(f);
    }
    let result = loader.finish();
    assert!(!result.has_errors());
    tables
        .into_iter()
        .map(|t| {
            Ruleset::compile(&result.rules, t, &RulesetOptions::default())
                .0
                .rules()
                .len()
        })
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("load_and_compile");
    g.sample_size(20);
    let syscall = [falco("falco_rules.yaml")];
    assert_eq!(load_and_compile(&syscall, false), 25);
    g.bench_function("falco_rules.yaml", |b| {
        b.iter(|| load_and_compile(&syscall, false))
    });
    let ct = [falco("aws_cloudtrail_rules.yaml")];
    g.bench_function("aws_cloudtrail_rules.yaml", |b| {
        b.iter(|| load_and_compile(&ct, false))
    });
    g.bench_function("builtin aws_ec2.yaml", |b| {
        b.iter(|| load_and_compile(&[], true))
    });
    let all = [
        falco("falco_rules.yaml"),
        falco("falco-incubating_rules.yaml"),
        falco("falco-sandbox_rules.yaml"),
    ];
    g.bench_function("falco_rules + incubating + sandbox", |b| {
        b.iter(|| load_and_compile(&all, false))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
