//! Quick decoding throughput check, robust to a busy machine (best of N
//! runs per stage): `cargo run --release -p saker-cloudtrail --example throughput`.
//! The criterion bench (`benches/decode.rs`) is the reference; this prints
//! the stages side by side with the serde_json validation floor.

use saker_cloudtrail::{decode, CloudTrailFields, DecodeOptions, Item};
use saker_rules::fields::{Event, FieldTable, ResolvedField};
use std::io::Write;
use std::path::Path;
use std::time::Instant;

fn main() {
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
    let mut plain = Vec::new();
    let mut gz = Vec::new();
    for f in 0..20 {
        let chunk: Vec<&str> = (0..1000)
            .map(|i| records[(f * 1000 + i) % records.len()].as_str())
            .collect();
        let json = format!("{{\"Records\":[{}]}}", chunk.join(","));
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(json.as_bytes()).unwrap();
        gz.push(e.finish().unwrap());
        plain.push(json.into_bytes());
    }
    let raw: usize = plain.iter().map(Vec::len).sum();
    let names = [
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
    let fields: Vec<ResolvedField> = names
        .iter()
        .map(|(f, a)| CloudTrailFields.resolve(f, *a).unwrap())
        .collect();
    let opts = DecodeOptions::default();
    let best = |f: &mut dyn FnMut()| {
        (0..15)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::MAX, f64::min)
    };
    let report = |name: &str, s: f64| {
        println!(
            "{name:<28} {:>8.1} ms {:>8.0} MB/s",
            s * 1e3,
            raw as f64 / s / 1e6
        )
    };
    println!(
        "{} records, {} MB JSON, {} MB gzip",
        20_000,
        raw / 1_000_000,
        gz.iter().map(Vec::len).sum::<usize>() / 1_000_000
    );
    report(
        "gzip only",
        best(&mut || {
            for f in &gz {
                std::hint::black_box(saker_cloudtrail::gzip::inflate(f, u64::MAX));
            }
        }),
    );
    report(
        "serde validate (floor)",
        best(&mut || {
            for f in &plain {
                std::hint::black_box(serde_json::from_slice::<serde::de::IgnoredAny>(f).unwrap());
            }
        }),
    );
    report(
        "parse (plain)",
        best(&mut || {
            for f in &plain {
                decode(f, "b", &opts, |i| {
                    std::hint::black_box(i);
                });
            }
        }),
    );
    report(
        "gzip + parse",
        best(&mut || {
            for f in &gz {
                decode(f, "b", &opts, |i| {
                    std::hint::black_box(i);
                });
            }
        }),
    );
    report(
        "gzip + parse + 20 fields",
        best(&mut || {
            for f in &gz {
                decode(f, "b", &opts, |i| {
                    if let Item::Record(r) = i {
                        for rf in &fields {
                            std::hint::black_box(r.event.extract(rf));
                        }
                    }
                });
            }
        }),
    );
    for rf in &fields {
        let s = best(&mut || {
            for f in &plain {
                decode(f, "b", &opts, |i| {
                    if let Item::Record(r) = i {
                        std::hint::black_box(r.event.extract(rf));
                    }
                });
            }
        });
        println!("  + {:<50} {:>8.1} ms", rf.display, s * 1e3);
    }
}
