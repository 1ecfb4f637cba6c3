//! Decoding throughput: gzip only, gzip + parse (validate + index), and
//! gzip + parse + ~20 field extractions, on gzipped `{"Records":[…]}` files
//! generated here from the invictus records (`../shared/data`; nothing is
//! committed). Results: `docs/BENCHMARKS.md`, "Decoding".

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use saker_cloudtrail::{decode, CloudTrailFields, DecodeOptions, Item};
use saker_rules::fields::{Event, FieldTable, ResolvedField};
use std::io::Write;
use std::path::Path;

const FIELDS: &[(&str, Option<&str>)] = &[
    ("ct.name", None),
    ("ct.src", None),
    ("ct.user", None),
    ("ct.user.identitytype", None),
    ("ct.user.arn", None),
    ("ct.user.accountid", None),
    ("ct.srcip", None),
    ("ct.useragent", None),
    ("ct.region", None),
    ("ct.error", None),
    ("ct.readonly", None),
    ("ct.id", None),
    ("ct.request", None),
    ("ct.request.groupname", None),
    ("s3.bucket", None),
    ("ec2.imageids", None),
    ("ec2.sg.world_ports", None),
    (
        "json.value",
        Some("/userIdentity/sessionContext/attributes/mfaAuthenticated"),
    ),
    ("json.value", Some("/responseElements/ConsoleLogin")),
    ("ct.info", None),
];

/// 20 files of ~1000 invictus records each, gzipped.
fn corpus() -> (Vec<Vec<u8>>, usize, usize) {
    let dir = Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cloudtrail/invictus/CloudTrail"
    ));
    let mut records = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    for p in paths {
        let bytes = std::fs::read(&p).unwrap();
        decode(&bytes, "x", &DecodeOptions::default(), |item| {
            if let Item::Record(r) = item {
                records.push(r.event.raw().to_string());
            }
        });
    }
    let (mut files, mut raw, mut n) = (Vec::new(), 0, 0);
    for f in 0..20 {
        let chunk: Vec<&str> = (0..1000)
            .map(|i| records[(f * 1000 + i) % records.len()].as_str())
            .collect();
        let json = format!("{{\"Records\":[{}]}}", chunk.join(","));
        raw += json.len();
        n += chunk.len();
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(json.as_bytes()).unwrap();
        files.push(e.finish().unwrap());
    }
    (files, raw, n)
}

fn bench(c: &mut Criterion) {
    let (files, raw, n) = corpus();
    let fields: Vec<ResolvedField> = FIELDS
        .iter()
        .map(|(f, a)| CloudTrailFields.resolve(f, *a).unwrap())
        .collect();
    let opts = DecodeOptions::default();
    let mut g = c.benchmark_group("decode");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(raw as u64));
    eprintln!(
        "corpus: {} files, {n} records, {raw} bytes of JSON",
        files.len()
    );
    g.bench_function("gzip_only", |b| {
        b.iter(|| {
            files
                .iter()
                .map(|f| saker_cloudtrail::gzip::inflate(f, u64::MAX).data.len())
                .sum::<usize>()
        })
    });
    g.bench_function("gzip_parse", |b| {
        b.iter(|| {
            let mut k = 0usize;
            for f in &files {
                decode(f, "b", &opts, |item| {
                    if let Item::Record(_) = item {
                        k += 1;
                    }
                });
            }
            assert_eq!(k, n);
        })
    });
    g.bench_function("gzip_parse_extract20", |b| {
        b.iter(|| {
            let mut present = 0usize;
            for f in &files {
                decode(f, "b", &opts, |item| {
                    if let Item::Record(r) = item {
                        for rf in &fields {
                            if r.event.extract(rf).is_some() {
                                present += 1;
                            }
                        }
                    }
                });
            }
            present
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
