//! Rule-engine benchmarks: evaluation of a 100-rule set against an
//! in-memory event (with and without the index excluding most rules),
//! alert rendering, and compilation of the set.
//!
//! Run: `cargo bench -p saker-rules --bench engine`. Results and method:
//! `docs/BENCHMARKS.md`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use saker_rules::fields::{Event, ResolvedField, Value};
use saker_rules::output::JsonOptions;
use saker_rules::{RuleDef, Ruleset, RulesetOptions};

/// An event whose string values borrow from it (no allocation per read),
/// like a parsed CloudTrail record.
struct BenchEvent {
    name: String,
    values: Vec<(u32, Val)>,
}

enum Val {
    S(String),
    N(u64),
    L(Vec<String>),
}

impl Event for BenchEvent {
    fn extract(&self, field: &ResolvedField) -> Option<Value<'_>> {
        let (_, v) = self.values.iter().find(|(id, _)| *id == field.id)?;
        Some(match v {
            Val::S(s) => Value::Str(Cow::Borrowed(s)),
            Val::N(n) => Value::U64(*n),
            Val::L(l) => Value::List(l.iter().map(|s| Value::Str(Cow::Borrowed(s))).collect()),
        })
    }
    fn index_key(&self) -> Option<&str> {
        Some(&self.name)
    }
    fn timestamp_ns(&self) -> i64 {
        1_689_803_080_000_000_000
    }
}

fn id(name: &str) -> u32 {
    common::FIELDS.iter().position(|d| d.name == name).unwrap() as u32
}

/// 100 rules shaped like CloudTrail rules: most pinned to one event name,
/// a few matching any event.
fn rules() -> Vec<RuleDef> {
    let users: Vec<String> = (0..40).map(|i| format!("svc-user-{i}")).collect();
    let users = users.join(", ");
    (0..100)
        .map(|i| {
            let cond = match i % 5 {
                0 => format!("t.name = Event{i} and not t.str2 exists and t.num > 3"),
                1 => format!("t.name in (Event{i}, Other{i}) and t.str in ({users})"),
                2 => format!(
                    "t.name = Event{i} and (tolower(t.str) contains admin or t.list intersects (a, b))"
                ),
                3 => format!("t.name = Event{i} and t.str glob \"arn:aws:iam::*:user/*\""),
                // Unpinned: evaluated on every event.
                _ => format!("t.str icontains root{i} and t.num != {i}"),
            };
            common::rule(
                &format!("Rule {i}"),
                &cond,
                "user=%t.str name=%t.name n=%t.num list=%t.list",
            )
        })
        .collect()
}

fn event(name: &str) -> BenchEvent {
    BenchEvent {
        name: name.to_string(),
        values: vec![
            (id("t.name"), Val::S(name.to_string())),
            (
                id("t.str"),
                Val::S("arn:aws:iam::123456789012:user/svc-admin".into()),
            ),
            (id("t.num"), Val::N(7)),
            (id("t.list"), Val::L(vec!["x".into(), "b".into()])),
        ],
    }
}

fn bench(c: &mut Criterion) {
    let rules = rules();
    let opts = RulesetOptions::default();
    let (plain, d1) = Ruleset::compile(&rules, common::table(false), &opts);
    let (indexed, d2) = Ruleset::compile(&rules, common::table(true), &opts);
    assert!(d1.iter().chain(&d2).all(|d| !d.is_error()));
    let ev = event("Event2");

    let mut g = c.benchmark_group("eval_100_rules");
    g.bench_function("no_index", |b| {
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            out.clear();
            plain.evaluate(black_box(&ev), &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("index", |b| {
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            out.clear();
            indexed.evaluate(black_box(&ev), &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("index_no_match", |b| {
        let ev = event("NoSuchEvent");
        let mut out = Vec::with_capacity(4);
        b.iter(|| {
            out.clear();
            indexed.evaluate(black_box(&ev), &mut out);
            black_box(out.len())
        })
    });
    g.finish();

    c.bench_function("alert_text_and_json", |b| {
        let cache = indexed.cache(&ev);
        let mut out = Vec::new();
        indexed.evaluate_cached(&cache, &mut out);
        let m = out[0];
        let oo = Default::default();
        b.iter(|| {
            let a = indexed.alert(&m, &cache, &oo);
            black_box(a.to_json(&JsonOptions::default()).len() + a.output.len())
        })
    });

    c.bench_function("compile_100_rules", |b| {
        b.iter(|| Ruleset::compile(black_box(&rules), common::table(true), &opts).0)
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
