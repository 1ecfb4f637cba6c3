//! State-store cost per object, as a live run pays it:
//! `cargo run --release -p saker-store --example store_bench -- STATE [OBJECTS] [ALERTS_PER_OBJECT]`.
//!
//! `STATE` is a `--state` value (a SQLite path, or a `postgres://` URL; the
//! tables must be empty for the numbers to mean "new objects"). For each of
//! `OBJECTS` (default 2000) objects the calls of `saker detect s3://…` are
//! made: `is_processed`, one `alert_delivered` per alert,
//! `mark_alerts_delivered` (one transaction), `mark_processed`, and one
//! `set_follow_position` per 64 objects (a batch). Prints the mean wall time
//! per object and per call kind, in microseconds.

use std::time::{Duration, Instant};

use saker_store::{open_store, AlertKey, UnitId, UnitStats};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(spec) = args.first() else {
        eprintln!("usage: store_bench STATE [OBJECTS] [ALERTS_PER_OBJECT]");
        std::process::exit(2);
    };
    let objects: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(2000);
    let per_object: u64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
    let mut store = open_store(spec).unwrap_or_else(|e| {
        eprintln!("store_bench: {e}");
        std::process::exit(1);
    });
    let run = std::process::id();
    let (mut t_check, mut t_alerts, mut t_mark, mut t_follow) = (
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
        Duration::ZERO,
    );
    let started = Instant::now();
    for i in 0..objects {
        let unit = UnitId::new(
            format!("s3://bench/AWSLogs/123456789012/CloudTrail/us-east-1/2026/01/01/{run}-{i:08}.json.gz"),
            format!("\"{i:032x}\""),
        );
        let t = Instant::now();
        let done = store.is_processed(&unit).expect("is_processed");
        assert!(!done, "the store must start empty");
        t_check += t.elapsed();

        let t = Instant::now();
        let keys: Vec<AlertKey> = (0..per_object)
            .map(|a| AlertKey {
                account_id: "123456789012".into(),
                event_id: format!("{run}-{i}-{a}"),
                rule: "EC2 Sensitive Port Opened To The World".into(),
            })
            .collect();
        for k in &keys {
            assert!(!store.alert_delivered(k).expect("alert_delivered"));
            store.mark_alert_delivered(k).expect("mark_alert_delivered");
        }
        t_alerts += t.elapsed();

        let t = Instant::now();
        store
            .mark_processed(
                &unit,
                UnitStats {
                    records: 100,
                    alerts: per_object,
                },
            )
            .expect("mark_processed");
        t_mark += t.elapsed();

        if i % 64 == 63 {
            let t = Instant::now();
            store
                .set_follow_position(
                    "s3://bench/AWSLogs/123456789012/CloudTrail/us-east-1/",
                    &unit.key,
                )
                .expect("set_follow_position");
            t_follow += t.elapsed();
        }
    }
    let total = started.elapsed();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / objects as f64;
    println!(
        "objects={objects} alerts_per_object={per_object} per_object_us={:.0} is_processed_us={:.0} alerts_us={:.0} mark_processed_us={:.0} follow_us={:.1}",
        us(total),
        us(t_check),
        us(t_alerts),
        us(t_mark),
        us(t_follow)
    );
}
