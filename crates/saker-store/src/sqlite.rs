//! The SQLite backend: one file, WAL journal, schema versioned with
//! `PRAGMA user_version`.
//!
//! Several processes on one machine may share the file (WAL allows one
//! writer and many readers; writers wait up to [`BUSY_TIMEOUT`]). Workers on
//! several machines need a server database.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::{params, Connection, OptionalExtension};

use crate::{AlertKey, StateStore, StoreError, UnitId, UnitStats};

/// How long a writer waits for another process's transaction.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Schema migrations, applied in order; migration `i` brings the schema
/// to version `i + 1`. Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: processed units, follow positions, delivered alerts.
    "CREATE TABLE processed_units (
         unit_key     TEXT PRIMARY KEY,
         version      TEXT NOT NULL,
         records      INTEGER NOT NULL,
         alerts       INTEGER NOT NULL,
         processed_at INTEGER NOT NULL  -- seconds since the epoch
     );
     CREATE TABLE follow_positions (
         scope      TEXT PRIMARY KEY,
         last_key   TEXT NOT NULL,
         updated_at INTEGER NOT NULL
     );
     CREATE TABLE delivered_alerts (
         account_id   TEXT NOT NULL,
         event_id     TEXT NOT NULL,
         rule         TEXT NOT NULL,
         delivered_at INTEGER NOT NULL,
         PRIMARY KEY (account_id, event_id, rule)
     ) WITHOUT ROWID;",
    // 2: named state documents (continuous posture's exposure tracker).
    "CREATE TABLE state_values (
         name       TEXT PRIMARY KEY,
         value      TEXT NOT NULL,
         updated_at INTEGER NOT NULL
     );",
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// A [`StateStore`] in a SQLite file.
pub struct SqliteStore {
    conn: Connection,
    path: String,
}

impl SqliteStore {
    /// Open (creating if needed) the database at `path` and bring its schema
    /// up to date.
    ///
    /// # Errors
    /// [`StoreError::Sqlite`] if the file cannot be opened or is not a
    /// SQLite database; [`StoreError::NewerSchema`] if a newer saker wrote it.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let shown = path.as_ref().display().to_string();
        let err = |source| StoreError::Sqlite {
            path: shown.clone(),
            source,
        };
        let conn = Connection::open(path.as_ref()).map_err(err)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
        // WAL: readers do not block the writer; NORMAL sync is durable
        // against process crashes (a power loss may lose the last commits,
        // which only means re-reading, and de-duplication covers alerts).
        // (An in-memory database answers "memory".)
        set_wal(&conn).map_err(err)?;
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        let mut store = SqliteStore { conn, path: shown };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the open database.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }

    fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Apply the missing migrations, each in its own transaction (a
    /// concurrent opener waits on the write lock, then sees the new version).
    fn migrate(&mut self) -> Result<(), StoreError> {
        loop {
            let tx = self
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
            let version: i64 = tx
                .query_row("PRAGMA user_version", [], |r| r.get(0))
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
            if version > SCHEMA_VERSION {
                return Err(StoreError::NewerSchema {
                    path: self.path.clone(),
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            if version == SCHEMA_VERSION {
                return Ok(());
            }
            let sql = MIGRATIONS[version as usize];
            tx.execute_batch(sql)
                .and_then(|()| tx.pragma_update(None, "user_version", version + 1))
                .and_then(|()| tx.commit())
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
    }
}

/// Switch `conn` to the WAL journal (a persistent property of the file).
///
/// SQLite takes the exclusive lock this needs without calling the busy
/// handler, so two processes opening a new file at once see `SQLITE_BUSY`
/// at once: retry until [`BUSY_TIMEOUT`].
fn set_wal(conn: &Connection) -> rusqlite::Result<()> {
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    loop {
        let mode = conn.query_row("PRAGMA journal_mode", [], |r| r.get::<_, String>(0));
        let result = match mode {
            // An in-memory database answers "memory"; it cannot be shared.
            Ok(m) if m.eq_ignore_ascii_case("wal") || m.eq_ignore_ascii_case("memory") => {
                return Ok(())
            }
            Ok(_) => conn
                .pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
                .map(drop),
            Err(e) => Err(e),
        };
        match result {
            Err(rusqlite::Error::SqliteFailure(f, _))
                if matches!(
                    f.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(10));
            }
            other => return other,
        }
    }
}

fn now_s() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl StateStore for SqliteStore {
    fn state_value(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM state_values WHERE name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_state_value(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO state_values (name, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET
                   value = excluded.value, updated_at = excluded.updated_at",
                params![name, value, now_s()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn is_processed(&mut self, unit: &UnitId) -> Result<bool, StoreError> {
        let version: Option<String> = self
            .conn
            .query_row(
                "SELECT version FROM processed_units WHERE unit_key = ?1",
                [&unit.key],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(version.is_some_and(|v| v == unit.version))
    }

    fn mark_processed(&mut self, unit: &UnitId, stats: UnitStats) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO processed_units (unit_key, version, records, alerts, processed_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (unit_key) DO UPDATE SET
                   version = excluded.version, records = excluded.records,
                   alerts = excluded.alerts, processed_at = excluded.processed_at",
                params![
                    unit.key,
                    unit.version,
                    stats.records as i64,
                    stats.alerts as i64,
                    now_s()
                ],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn processed_count(&mut self) -> Result<u64, StoreError> {
        self.conn
            .query_row("SELECT count(*) FROM processed_units", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|n| n.max(0) as u64)
            .map_err(|e| self.err(e))
    }

    fn follow_position(&mut self, scope: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT last_key FROM follow_positions WHERE scope = ?1",
                [scope],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    fn set_follow_position(&mut self, scope: &str, last_key: &str) -> Result<(), StoreError> {
        // SQLite compares TEXT with memcmp (BINARY collation): UTF-8 byte
        // order, the order of S3 listings.
        self.conn
            .execute(
                "INSERT INTO follow_positions (scope, last_key, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scope) DO UPDATE SET
                   last_key = excluded.last_key, updated_at = excluded.updated_at
                 WHERE excluded.last_key > follow_positions.last_key",
                params![scope, last_key, now_s()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }

    fn alert_delivered(&mut self, key: &AlertKey) -> Result<bool, StoreError> {
        self.conn
            .query_row(
                "SELECT 1 FROM delivered_alerts
                 WHERE account_id = ?1 AND event_id = ?2 AND rule = ?3",
                params![key.account_id, key.event_id, key.rule],
                |_| Ok(()),
            )
            .optional()
            .map(|found| found.is_some())
            .map_err(|e| self.err(e))
    }

    fn mark_alerts_delivered(&mut self, keys: &[AlertKey]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        let path = self.path.clone();
        let err = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO delivered_alerts (account_id, event_id, rule, delivered_at)
                     VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(err)?;
            let now = now_s();
            for k in keys {
                stmt.execute(params![k.account_id, k.event_id, k.rule, now])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }

    fn mark_alert_delivered(&mut self, key: &AlertKey) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT OR IGNORE INTO delivered_alerts (account_id, event_id, rule, delivered_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![key.account_id, key.event_id, key.rule, now_s()],
            )
            .map_err(|e| self.err(e))?;
        Ok(())
    }
}
