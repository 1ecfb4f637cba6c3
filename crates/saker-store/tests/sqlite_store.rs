//! The SQLite store on real files: persistence across reopen, versions,
//! follow positions, alert de-duplication with real CloudTrail records,
//! schema migrations and bad files.

use std::sync::{Arc, Mutex};

use saker_alerts::{AlertSink, StreamFormat, StreamSink};
use saker_rules::output::Alert;
use saker_rules::Priority;
use saker_store::{
    open_store, AlertKey, DedupSink, SharedStore, SqliteStore, StateStore, StoreError, UnitId,
    UnitStats,
};

const INVICTUS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/cloudtrail/invictus/CloudTrail/218007301253_CloudTrail_us-east-1_20230710T1145Z_7xgocspSowgK0Gto.json"
);

/// The first `n` records of a real delivery file, as JSON text.
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

#[test]
fn processed_units_survive_reopen_and_track_the_etag() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let unit = UnitId::new("s3://trail/AWSLogs/1/x.json.gz", "\"abc\"");
    {
        let mut s = SqliteStore::open(&path).unwrap();
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
    let mut s = open_store(path.to_str().unwrap()).unwrap();
    assert!(s.is_processed(&unit).unwrap(), "kept across reopen");
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
}

#[test]
fn follow_positions_only_move_forward_in_s3_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = SqliteStore::open(dir.path().join("state.db")).unwrap();
    let scope = "s3://trail/AWSLogs/o-abc/218007301253/CloudTrail/us-east-1/";
    assert_eq!(s.follow_position(scope).unwrap(), None);
    let k1 =
        format!("{scope}2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1145Z_a.json.gz");
    let k2 =
        format!("{scope}2023/07/10/218007301253_CloudTrail_us-east-1_20230710T1150Z_a.json.gz");
    s.set_follow_position(scope, &k2).unwrap();
    s.set_follow_position(scope, &k1).unwrap();
    assert_eq!(s.follow_position(scope).unwrap().as_deref(), Some(&*k2));
    // Byte order, not locale order: 'Z' (0x5A) sorts before 'a' (0x61).
    s.set_follow_position("other", "a").unwrap();
    s.set_follow_position("other", "Z").unwrap();
    assert_eq!(s.follow_position("other").unwrap().as_deref(), Some("a"));
    assert_eq!(s.follow_position(scope).unwrap().as_deref(), Some(&*k2));
}

#[test]
fn alert_keys_come_from_real_records() {
    let raw = &real_records(1)[0];
    let key = AlertKey::of(&alert("R"), raw).unwrap();
    let v: serde_json::Value = serde_json::from_str(raw).unwrap();
    assert_eq!(key.account_id, v["recipientAccountId"].as_str().unwrap());
    assert_eq!(key.event_id, v["eventID"].as_str().unwrap());
    assert_eq!(key.rule, "R");
    assert_eq!(AlertKey::of(&alert("R"), "{\"eventName\":\"x\"}"), None);
    assert_eq!(AlertKey::of(&alert("R"), "not json"), None);
}

#[test]
fn dedup_sink_delivers_each_alert_once_across_runs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let records = real_records(3);
    let run = |records: &[String]| -> (String, u64) {
        let store: SharedStore = Arc::new(Mutex::new(open_store(path.to_str().unwrap()).unwrap()));
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
    // A second run over overlapping records (a re-read object): only the
    // new record's alerts come out.
    let (second, suppressed) = run(&records);
    assert_eq!(second.lines().count(), 2, "{second}");
    assert_eq!(suppressed, 7);
    // A record without eventID is never suppressed.
    let (third, _) = run(&["{\"eventName\":\"x\"}".to_string()]);
    assert_eq!(third.lines().count(), 3);
}

/// A sink whose flush fails: nothing may be remembered as delivered.
struct FailingFlush(Vec<String>);

impl AlertSink for FailingFlush {
    fn deliver(&mut self, alert: &Alert, _raw: &str) -> std::io::Result<()> {
        self.0.push(alert.rule.clone());
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Err(std::io::Error::other("endpoint down"))
    }
}

#[test]
fn alerts_not_flushed_are_not_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let raw = &real_records(1)[0];
    let store: SharedStore = Arc::new(Mutex::new(open_store(path.to_str().unwrap()).unwrap()));
    let mut sink = DedupSink::new(FailingFlush(Vec::new()), store.clone());
    // The alert is flushed as it is delivered: the failure shows at once.
    assert!(sink.deliver(&alert("A"), raw).is_err());
    assert!(sink.flush().is_err());
    let key = AlertKey::of(&alert("A"), raw).unwrap();
    assert!(!store.lock().unwrap().alert_delivered(&key).unwrap());
}

#[test]
fn two_connections_share_one_file() {
    // Two workers on one machine: each process has its own connection.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let mut a = SqliteStore::open(&path).unwrap();
    let mut b = SqliteStore::open(&path).unwrap();
    let unit = UnitId::new("sqs://q#m-1", "");
    a.mark_processed(&unit, UnitStats::default()).unwrap();
    assert!(b.is_processed(&unit).unwrap());
    let key = AlertKey {
        account_id: "218007301253".into(),
        event_id: "e".into(),
        rule: "R".into(),
    };
    b.mark_alert_delivered(&key).unwrap();
    b.mark_alert_delivered(&key).unwrap();
    assert!(a.alert_delivered(&key).unwrap());
}

#[test]
fn workers_opening_a_new_file_at_once_all_succeed() {
    // Several workers started together on a state file that does not exist
    // yet: each creates, switches to WAL and migrates without "database is
    // locked", and every write is kept.
    for round in 0..50 {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.db");
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|s| {
            for w in 0..8 {
                let (path, barrier) = (&path, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut store = SqliteStore::open(path)
                        .unwrap_or_else(|e| panic!("round {round}, worker {w}: {e}"));
                    let unit = UnitId::new(format!("sqs://q#m-{w}"), "");
                    store.mark_processed(&unit, UnitStats::default()).unwrap();
                });
            }
        });
        let mut store = SqliteStore::open(&path).unwrap();
        assert_eq!(store.processed_count().unwrap(), 8);
    }
}

#[test]
fn schema_is_versioned_and_newer_schemas_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let v = SqliteStore::open(&path).unwrap().schema_version().unwrap();
    assert!(v >= 1);
    assert_eq!(
        SqliteStore::open(&path).unwrap().schema_version().unwrap(),
        v
    );
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", v + 1).unwrap();
    }
    match SqliteStore::open(&path) {
        Err(StoreError::NewerSchema { found, known, .. }) => {
            assert_eq!((found, known), (v + 1, v))
        }
        other => panic!("expected NewerSchema, got {:?}", other.err()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_reported_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db");
    std::fs::write(
        &path,
        b"this is not SQLite, just text long enough to fill a header......",
    )
    .unwrap();
    let err = SqliteStore::open(&path).err().unwrap().to_string();
    assert!(err.contains("not-a-db"), "{err}");
    let missing_dir = dir.path().join("no/such/dir/state.db");
    let err = SqliteStore::open(&missing_dir).err().unwrap().to_string();
    assert!(err.contains("no/such/dir"), "{err}");
}

/// A sink recording how many alerts it had when each flush came.
struct CountingFlush {
    delivered: usize,
    flushed_at: Vec<usize>,
}

impl AlertSink for CountingFlush {
    fn deliver(&mut self, _alert: &Alert, _raw: &str) -> std::io::Result<()> {
        self.delivered += 1;
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.flushed_at.push(self.delivered);
        Ok(())
    }
}

#[test]
fn each_alert_is_flushed_then_remembered_before_the_next() {
    // A kill in the middle of a unit repeats at most the alert in flight,
    // not the unit's earlier alerts.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    let records = real_records(3);
    let store: SharedStore = Arc::new(Mutex::new(open_store(path.to_str().unwrap()).unwrap()));
    let mut sink = DedupSink::new(
        CountingFlush {
            delivered: 0,
            flushed_at: vec![],
        },
        store.clone(),
    );
    for (i, raw) in records.iter().enumerate() {
        sink.deliver(&alert("A"), raw).unwrap();
        let key = AlertKey::of(&alert("A"), raw).unwrap();
        assert!(
            store.lock().unwrap().alert_delivered(&key).unwrap(),
            "alert {i} remembered before the unit ends"
        );
    }
    assert_eq!(sink.into_inner().flushed_at, vec![1, 2, 3]);
}

#[test]
fn state_values_persist_replace_and_arrive_by_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.db");
    // A database at schema 1 (before state values existed) gains the table.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE processed_units (unit_key TEXT PRIMARY KEY, version TEXT NOT NULL,
               records INTEGER NOT NULL, alerts INTEGER NOT NULL, processed_at INTEGER NOT NULL);
             CREATE TABLE follow_positions (scope TEXT PRIMARY KEY, last_key TEXT NOT NULL,
               updated_at INTEGER NOT NULL);
             CREATE TABLE delivered_alerts (account_id TEXT NOT NULL, event_id TEXT NOT NULL,
               rule TEXT NOT NULL, delivered_at INTEGER NOT NULL,
               PRIMARY KEY (account_id, event_id, rule)) WITHOUT ROWID;
             PRAGMA user_version = 1;",
        )
        .unwrap();
    }
    {
        let mut s = SqliteStore::open(&path).unwrap();
        assert!(s.schema_version().unwrap() >= 2);
        assert_eq!(s.state_value("posture.exposures").unwrap(), None);
        s.set_state_value("posture.exposures", "{\"v\":1}").unwrap();
        s.set_state_value("posture.exposures", "{\"v\":2}").unwrap();
        s.set_state_value("other", "x").unwrap();
    }
    let mut s = open_store(path.to_str().unwrap()).unwrap();
    assert_eq!(
        s.state_value("posture.exposures").unwrap().as_deref(),
        Some("{\"v\":2}"),
        "the last value, kept across reopen"
    );
    assert_eq!(s.state_value("other").unwrap().as_deref(), Some("x"));
}
