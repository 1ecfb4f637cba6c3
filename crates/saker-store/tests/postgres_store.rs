//! The PostgreSQL store against a real server: persistence across
//! reconnects, versions, follow positions in byte order, alert
//! de-duplication with real CloudTrail records, concurrent workers
//! (migrations under the advisory lock, racing writers), a lost connection,
//! a newer schema and bad URLs.
//!
//! `SAKER_TEST_POSTGRES_URL=postgres://user:password@127.0.0.1:PORT/db`
//! names the server (`.ci/run` starts one; see `.ci/postgres.sh`); each test
//! works in a schema of its own, created in that database. Without the
//! variable every test is SKIPPED with a message on stderr.

use std::sync::{Arc, Barrier, Mutex};

use postgres::NoTls;
use saker_alerts::{AlertSink, StreamFormat, StreamSink};
use saker_rules::output::Alert;
use saker_rules::Priority;
use saker_store::{
    open_store, AlertKey, DedupSink, PostgresStore, SharedStore, StateStore, StoreError, UnitId,
    UnitStats,
};

const INVICTUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json"
);

/// The server's URL, or `None` after saying loudly that the test is skipped.
fn server() -> Option<String> {
    match std::env::var("SAKER_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            eprintln!(
                "\n*** SKIPPED: no PostgreSQL server. Set SAKER_TEST_POSTGRES_URL=postgres://USER:PASSWORD@127.0.0.1:PORT/DB \
                 (`.ci/run` starts one with .ci/postgres.sh) to run the PostgreSQL state-store tests. ***\n"
            );
            None
        }
    }
}

/// A URL whose tables live in a new, empty schema of the test database.
fn fresh_url(base: &str, name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let schema = format!("t_{name}_{}_{nanos}", std::process::id());
    let mut c = postgres::Client::connect(base, NoTls).unwrap();
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let sep = if base.contains('?') { '&' } else { '?' };
    format!("{base}{sep}options=-c%20search_path%3D{schema}")
}

fn real_records(n: usize) -> Vec<String> {
    let text = std::fs::read_to_string(INVICTUS).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["Records"].as_array().unwrap()[..n]
        .iter()
        .map(|r| r.to_string())
        .collect()
}

fn alert(rule: &str) -> Alert {
    Alert {
        rule: rule.into(),
        priority: Priority::Warning,
        source: "aws_cloudtrail".into(),
        tags: vec![],
        time_ns: 0,
        hostname: "h".into(),
        output: format!("{rule} fired"),
        message: format!("{rule} fired"),
        output_fields: vec![],
    }
}

fn key(event: &str) -> AlertKey {
    AlertKey {
        account_id: "218007301253".into(),
        event_id: event.into(),
        rule: "R".into(),
    }
}

#[test]
fn processed_units_survive_reconnect_and_track_the_etag() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "units");
    let unit = UnitId::new("s3://trail/AWSLogs/1/x.json.gz", "\"abc\"");
    {
        let mut s = PostgresStore::open(&url).unwrap();
        assert!(!s.is_processed(&unit).unwrap());
        s.mark_processed(
            &unit,
            UnitStats {
                records: 10,
                alerts: 2,
            },
        )
        .unwrap();
        assert!(s.is_processed(&unit).unwrap());
    }
    let mut s = open_store(&url).unwrap();
    assert!(s.is_processed(&unit).unwrap(), "kept across connections");
    let rewritten = UnitId::new(unit.key.clone(), "\"def\"");
    assert!(
        !s.is_processed(&rewritten).unwrap(),
        "new ETag, new content"
    );
    s.mark_processed(&rewritten, UnitStats::default()).unwrap();
    assert!(s.is_processed(&rewritten).unwrap());
    assert!(
        !s.is_processed(&unit).unwrap(),
        "the old version is replaced"
    );
    s.mark_processed(&UnitId::new("sqs://q#m-1", ""), UnitStats::default())
        .unwrap();
    assert_eq!(s.processed_count().unwrap(), 2, "one entry per key");
}

#[test]
fn follow_positions_only_move_forward_in_byte_order() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "follow");
    let mut s = PostgresStore::open(&url).unwrap();
    let scope = "s3://trail/AWSLogs/o-abc/218007301253/CloudTrail/us-east-1/";
    assert_eq!(s.follow_position(scope).unwrap(), None);
    let k1 =
        format!("{scope}2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_a.json.gz");
    let k2 =
        format!("{scope}2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1150Z_a.json.gz");
    s.set_follow_position(scope, &k2).unwrap();
    s.set_follow_position(scope, &k1).unwrap();
    assert_eq!(s.follow_position(scope).unwrap().as_deref(), Some(&*k2));
    // Byte order, not a locale's: 'Z' (0x5A) < 'a' (0x61), '-' (0x2D) <
    // '_' (0x5F), and 'é' (0xC3 0xA9) sorts after 'z' (0x7A).
    for (low, high) in [("a", "Z"), ("x_1", "x-1"), ("é", "z")] {
        let scope = format!("other/{low}");
        let (first, second) = if low > high { (low, high) } else { (high, low) };
        s.set_follow_position(&scope, first).unwrap();
        s.set_follow_position(&scope, second).unwrap();
        let kept = s.follow_position(&scope).unwrap().unwrap();
        assert_eq!(kept, low.max(high), "{low} vs {high}");
    }
    assert_eq!(s.follow_position(scope).unwrap().as_deref(), Some(&*k2));
    // Whatever the database's locale, the column compares bytes.
    let mut c = postgres::Client::connect(&url, NoTls).unwrap();
    let collation: Option<String> = c
        .query_one(
            "SELECT collation_name::text FROM information_schema.columns
             WHERE table_schema = current_schema()
               AND table_name = 'saker_follow_positions' AND column_name = 'last_key'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(collation.as_deref(), Some("C"));
}

#[test]
fn racing_workers_keep_the_greatest_follow_position() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "race");
    PostgresStore::open(&url).unwrap();
    let barrier = Barrier::new(6);
    std::thread::scope(|s| {
        for w in 0..6 {
            let (url, barrier) = (&url, &barrier);
            s.spawn(move || {
                let mut store = PostgresStore::open(url).unwrap();
                barrier.wait();
                // Interleaved, each worker's keys increasing.
                for i in 0..40 {
                    let k = format!("2023/07/10/{:04}-{w}", i * 6 + w);
                    store.set_follow_position("scope", &k).unwrap();
                }
            });
        }
    });
    let mut s = PostgresStore::open(&url).unwrap();
    assert_eq!(
        s.follow_position("scope").unwrap().as_deref(),
        Some("2023/07/10/0239-5")
    );
}

#[test]
fn dedup_sink_delivers_each_alert_once_across_runs() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "dedup");
    let records = real_records(3);
    let run = |records: &[String]| -> (String, u64) {
        let store: SharedStore = Arc::new(Mutex::new(open_store(&url).unwrap()));
        let mut sink = DedupSink::new(StreamSink::new(Vec::new(), StreamFormat::Text), store);
        for raw in records {
            sink.deliver(&alert("A"), raw).unwrap();
            sink.deliver(&alert("B"), raw).unwrap();
            sink.deliver(&alert("A"), raw).unwrap(); // same record twice in a unit
        }
        sink.flush().unwrap();
        let suppressed = sink.suppressed();
        (
            String::from_utf8(sink.into_inner().into_inner()).unwrap(),
            suppressed,
        )
    };
    let (first, suppressed) = run(&records[..2]);
    assert_eq!(first.lines().count(), 4, "{first}");
    assert_eq!(suppressed, 2);
    let (second, suppressed) = run(&records);
    assert_eq!(second.lines().count(), 2, "{second}");
    assert_eq!(suppressed, 7);
    let (third, _) = run(&["{\"eventName\":\"x\"}".to_string()]);
    assert_eq!(third.lines().count(), 3, "no eventID: never suppressed");
}

struct FailingFlush;

impl AlertSink for FailingFlush {
    fn deliver(&mut self, _alert: &Alert, _raw: &str) -> std::io::Result<()> {
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("endpoint down"))
    }
}

#[test]
fn alerts_not_flushed_are_not_remembered() {
    let Some(base) = server() else { return };
    let store: SharedStore = Arc::new(Mutex::new(
        open_store(&fresh_url(&base, "noflush")).unwrap(),
    ));
    let raw = &real_records(1)[0];
    let mut sink = DedupSink::new(FailingFlush, store.clone());
    // The alert is flushed as it is delivered: the failure shows at once.
    assert!(sink.deliver(&alert("A"), raw).is_err());
    assert!(sink.flush().is_err());
    let key = AlertKey::of(&alert("A"), raw).unwrap();
    assert!(!store.lock().unwrap().alert_delivered(&key).unwrap());
}

#[test]
fn workers_starting_at_once_migrate_once_and_share_everything() {
    let Some(base) = server() else { return };
    // Several rounds: each a new, empty schema opened by 8 workers at once.
    for round in 0..5 {
        let url = fresh_url(&base, &format!("start{round}"));
        let barrier = Barrier::new(8);
        std::thread::scope(|s| {
            for w in 0..8 {
                let (url, barrier) = (&url, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut store = PostgresStore::open(url)
                        .unwrap_or_else(|e| panic!("round {round}, worker {w}: {e}"));
                    store
                        .mark_processed(
                            &UnitId::new(format!("sqs://q#m-{w}"), ""),
                            UnitStats::default(),
                        )
                        .unwrap();
                    // Overlapping alert batches: each key is kept once.
                    let keys: Vec<AlertKey> =
                        (0..20).map(|i| key(&format!("e-{}", i + w))).collect();
                    store.mark_alerts_delivered(&keys).unwrap();
                    store.mark_alert_delivered(&key("e-0")).unwrap();
                });
            }
        });
        let mut store = PostgresStore::open(&url).unwrap();
        assert_eq!(store.processed_count().unwrap(), 8);
        assert_eq!(
            store.schema_version().unwrap(),
            saker_store::PostgresStore::open(&url)
                .unwrap()
                .schema_version()
                .unwrap()
        );
        for i in 0..27 {
            assert!(store.alert_delivered(&key(&format!("e-{i}"))).unwrap());
        }
        assert!(!store.alert_delivered(&key("e-27")).unwrap());
        let mut c = postgres::Client::connect(&url, NoTls).unwrap();
        let rows: i64 = c
            .query_one("SELECT count(*) FROM saker_schema_migrations", &[])
            .unwrap()
            .get(0);
        assert_eq!(
            rows,
            store.schema_version().unwrap(),
            "each migration applied once"
        );
        let alerts: i64 = c
            .query_one("SELECT count(*) FROM saker_delivered_alerts", &[])
            .unwrap()
            .get(0);
        assert_eq!(alerts, 27);
    }
}

#[test]
fn commits_skip_the_wal_flush_unless_the_url_says_otherwise() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "sync");
    let mut store = PostgresStore::open(&url).unwrap();
    assert_eq!(store.session_setting("synchronous_commit").unwrap(), "off");
    store
        .mark_processed(&UnitId::new("u", ""), UnitStats::default())
        .unwrap();
    let kept = url.replace(
        "search_path%3D",
        "synchronous_commit%3Don%20-c%20search_path%3D",
    );
    let mut store = PostgresStore::open(&kept).unwrap();
    assert_eq!(store.session_setting("synchronous_commit").unwrap(), "on");
    assert!(store.is_processed(&UnitId::new("u", "")).unwrap());
    assert!(store.session_setting("no_such_setting").is_err());
}

#[test]
fn a_lost_connection_is_reopened() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "reconnect") + "&application_name=saker-reconnect-test";
    let mut s = PostgresStore::open(&url).unwrap();
    let unit = UnitId::new("sqs://q#m-1", "");
    s.mark_processed(&unit, UnitStats::default()).unwrap();
    // The server ends the session (as on a restart or an admin's kill).
    let mut admin = postgres::Client::connect(&base, NoTls).unwrap();
    let ended: i64 = admin
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
             WHERE application_name = 'saker-reconnect-test') t",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(ended, 1);
    assert!(
        s.is_processed(&unit).unwrap(),
        "answered after reconnecting"
    );
    assert_eq!(s.session_setting("synchronous_commit").unwrap(), "off");
    s.mark_alert_delivered(&key("e")).unwrap();
    assert!(s.alert_delivered(&key("e")).unwrap());
}

#[test]
fn a_newer_schema_is_refused() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "newer");
    let v = PostgresStore::open(&url).unwrap().schema_version().unwrap();
    assert!(v >= 1);
    let mut c = postgres::Client::connect(&url, NoTls).unwrap();
    c.execute(
        "INSERT INTO saker_schema_migrations (version) VALUES ($1)",
        &[&(v as i32 + 1)],
    )
    .unwrap();
    match PostgresStore::open(&url) {
        Err(StoreError::NewerSchema { found, known, .. }) => {
            assert_eq!((found, known), (v + 1, v))
        }
        other => panic!("expected NewerSchema, got {:?}", other.err()),
    }
}

#[test]
fn bad_logins_and_unreachable_servers_are_reported_without_the_password() {
    let Some(base) = server() else { return };
    // The right server, a wrong password.
    let wrong = match base.rfind('@') {
        Some(at) => {
            let user_end = base[..at].rfind(':').unwrap();
            format!("{}:not-the-password{}", &base[..user_end], &base[at..])
        }
        None => return,
    };
    let err = open_store(&wrong).err().unwrap().to_string();
    assert!(err.contains("password"), "{err}");
    assert!(!err.contains("not-the-password"), "{err}");
    // A port where nothing listens.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let err = open_store(&format!(
        "postgres://saker:s3cret@127.0.0.1:{port}/saker?connect_timeout=5"
    ))
    .err()
    .unwrap()
    .to_string();
    assert!(
        err.contains(&format!("saker:***@127.0.0.1:{port}")),
        "{err}"
    );
    assert!(!err.contains("s3cret"), "{err}");
}

#[test]
fn state_values_persist_and_replace() {
    let Some(base) = server() else { return };
    let url = fresh_url(&base, "state_values");
    {
        let mut s = PostgresStore::open(&url).unwrap();
        assert_eq!(s.state_value("posture.exposures").unwrap(), None);
        s.set_state_value("posture.exposures", "{\"v\":1}").unwrap();
        s.set_state_value("posture.exposures", "{\"v\":2}").unwrap();
    }
    let mut s = open_store(&url).unwrap();
    assert_eq!(
        s.state_value("posture.exposures").unwrap().as_deref(),
        Some("{\"v\":2}")
    );
}
