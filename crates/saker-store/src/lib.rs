//! # saker-store — durable state of live ingestion
//!
//! CloudTrail delivers every record at least once, S3 event notifications
//! and SQS messages are delivered at least once, and a worker may be killed
//! at any instant. The store remembers what was already done so that a
//! restart neither loses nor repeats work:
//!
//! * **processed source units**: an S3 object (`s3://bucket/key` and its
//!   ETag — a new ETag means new content and is processed again) or an SQS
//!   message (its message id);
//! * **follow positions**: for `--follow`, the last key seen under each
//!   account/region prefix, used as S3 `ListObjectsV2` `start-after`;
//! * **delivered alerts**: `(recipientAccountId, eventID, rule)`, so that a
//!   record that reaches the engine twice (duplicate delivery, a unit
//!   re-read after a crash) raises its alerts once.
//!
//! [`StateStore`] is the seam; [`SqliteStore`] is the default backend
//! (`--state PATH`, several processes on one machine); [`PostgresStore`]
//! (`--state postgres://…`) serves workers on several machines sharing one
//! queue. [`open_store`] picks the backend from the `--state` value.

mod dedup;
mod postgres;
mod sqlite;

pub use self::postgres::PostgresStore;
pub use dedup::{AlertKey, DedupSink, SharedStore};
pub use sqlite::SqliteStore;

/// What can go wrong with the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite database could not be opened, read or written.
    #[error("state store {path}: {source}")]
    Sqlite {
        path: String,
        #[source]
        source: rusqlite::Error,
    },
    /// The database was written by a newer saker (schema version unknown
    /// to this build); it is left untouched.
    #[error("state store {path}: schema version {found} is newer than this saker knows ({known}); upgrade saker")]
    NewerSchema {
        path: String,
        found: i64,
        known: i64,
    },
    /// The PostgreSQL server could not be reached, refused the login, or
    /// failed a statement (`url` is shown without its password).
    #[error("state store {url}: {detail}")]
    Postgres {
        url: String,
        /// The server's message (severity, text, SQLSTATE) or the chain of
        /// client errors (e.g. `error connecting to server: Connection refused`).
        detail: String,
        #[source]
        source: ::postgres::Error,
    },
    /// `sslmode=require` in a PostgreSQL URL: this build connects without
    /// TLS and will not downgrade silently.
    #[error("state store {0}: sslmode=require, but this saker connects to PostgreSQL without TLS; use sslmode=disable over a private network or a tunnel")]
    PostgresTls(String),
}

/// One source unit as the store identifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitId {
    /// Stable name: `s3://bucket/key` for an object, `sqs://queue-url#message-id` for a message.
    pub key: String,
    /// Content version: the object's ETag (quotes kept as S3 returns them);
    /// empty when the key alone identifies the content (an SQS message id).
    pub version: String,
}

impl UnitId {
    pub fn new(key: impl Into<String>, version: impl Into<String>) -> Self {
        UnitId {
            key: key.into(),
            version: version.into(),
        }
    }
}

/// What is remembered about a processed unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UnitStats {
    /// Records evaluated.
    pub records: u64,
    /// Alerts raised (before de-duplication).
    pub alerts: u64,
}

/// The durable state of live ingestion.
///
/// Every method is a short transaction committed before it returns: once
/// `mark_processed` returned `Ok`, a crash cannot make the unit be read
/// again. Methods take `&mut self` because backends hold one connection.
pub trait StateStore: Send {
    /// `true` if `unit` (same key and same version) was processed.
    fn is_processed(&mut self, unit: &UnitId) -> Result<bool, StoreError>;

    /// Record that `unit` was processed and all its alerts delivered.
    /// Processing a key again with another version replaces the entry.
    fn mark_processed(&mut self, unit: &UnitId, stats: UnitStats) -> Result<(), StoreError>;

    /// How many units are recorded as processed (every version counts once
    /// per key).
    fn processed_count(&mut self) -> Result<u64, StoreError>;

    /// The follow position of `scope` (e.g. `s3://bucket/AWSLogs/o-x/ACCOUNT/CloudTrail/REGION/`):
    /// the last key seen there, if any.
    fn follow_position(&mut self, scope: &str) -> Result<Option<String>, StoreError>;

    /// Move the follow position of `scope` to `last_key`. Positions only
    /// move forward: a `last_key` that sorts before the stored one is ignored
    /// (S3 lists keys in UTF-8 binary order, which is byte order).
    fn set_follow_position(&mut self, scope: &str, last_key: &str) -> Result<(), StoreError>;

    /// `true` if an alert with this key was already delivered.
    fn alert_delivered(&mut self, key: &AlertKey) -> Result<bool, StoreError>;

    /// Remember that the alert with this key was delivered to every sink.
    fn mark_alert_delivered(&mut self, key: &AlertKey) -> Result<(), StoreError>;

    /// Remember several delivered alerts at once (one transaction where the
    /// backend has them: all or none are remembered).
    fn mark_alerts_delivered(&mut self, keys: &[AlertKey]) -> Result<(), StoreError> {
        for k in keys {
            self.mark_alert_delivered(k)?;
        }
        Ok(())
    }

    /// The value saved under `name` with [`set_state_value`](Self::set_state_value),
    /// if any: small documents a job keeps between runs (e.g.
    /// `posture.exposures`, the continuous-posture exposure tracker as JSON).
    fn state_value(&mut self, name: &str) -> Result<Option<String>, StoreError>;

    /// Save `value` under `name`, replacing what was there (last writer
    /// wins).
    fn set_state_value(&mut self, name: &str, value: &str) -> Result<(), StoreError>;
}

/// Open the store named by a `--state` value: a `postgres://` or
/// `postgresql://` URL ([`PostgresStore`]), otherwise a SQLite file path
/// ([`SqliteStore`], created with its schema if missing; `:memory:` for a
/// store that lasts one run).
///
/// # Errors
/// The database cannot be opened, reached or migrated.
pub fn open_store(spec: &str) -> Result<Box<dyn StateStore>, StoreError> {
    if is_postgres_url(spec) {
        return Ok(Box::new(PostgresStore::open(spec)?));
    }
    Ok(Box::new(SqliteStore::open(spec)?))
}

/// `true` if a `--state` value names a PostgreSQL database.
pub fn is_postgres_url(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}

/// A URL without its password, for messages.
fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..s + 3], &url[at..])
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_errors_do_not_leak_the_password() {
        // sslmode=require is refused before any connection is tried.
        let err = open_store("postgres://saker:s3cret@db.invalid:5432/saker?sslmode=require")
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("without TLS"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        assert!(err.contains("saker:***@db.invalid"), "{err}");
        // A malformed URL is reported with the URL, not its password.
        let err = open_store("postgresql://saker:s3cret@db/saker?sslmode=sometimes")
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.starts_with("state store postgresql://saker:***@db"),
            "{err}"
        );
        assert!(!err.contains("s3cret"), "{err}");
    }
}
