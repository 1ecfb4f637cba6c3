//! The PostgreSQL backend: one database shared by workers on several
//! machines (`--state postgres://user:password@host:port/db`).
//!
//! * Tables are prefixed `saker_` so the database may hold other things;
//!   put them in their own schema with `?options=-c%20search_path%3Dsaker`
//!   in the URL if you prefer.
//! * The schema is versioned in `saker_schema_migrations` (one row per
//!   applied migration). Migrations run in one transaction under a
//!   transaction-scoped advisory lock ([`MIGRATION_LOCK`]), so workers
//!   starting at once on several machines apply each migration exactly
//!   once; the others wait, then see the new version.
//! * Every [`StateStore`] method is one statement (or one transaction),
//!   committed before it returns, and safe under concurrency:
//!   `INSERT … ON CONFLICT` does the read-modify-write atomically.
//! * Follow positions compare with `COLLATE "C"`: byte order of the UTF-8
//!   text, the order of S3 listings (a locale collation would sort `_`
//!   and `-` differently and move a position backwards).
//! * `synchronous_commit` is off for saker's sessions (see [`connect`]'s
//!   notes; `options=-c%20synchronous_commit%3Don` keeps the server's).
//! * A connection lost between calls (server restart, idle timeout in a
//!   proxy) is re-opened on the next call, and the call is retried once:
//!   every statement here is idempotent.
//!
//! TLS: this build connects **without TLS**. `sslmode=disable` and
//! `sslmode=prefer` (libpq's default) connect in clear text;
//! `sslmode=require` is refused with [`StoreError::PostgresTls`] rather than
//! silently downgraded. Reach a remote server through a private network,
//! an SSH tunnel or a local TLS-terminating proxy.
//!
//! URL parameters understood (libpq names): `host`, `port`, `user`,
//! `password`, `dbname`, `options`, `application_name`, `connect_timeout`
//! (seconds; default here [`DEFAULT_CONNECT_TIMEOUT`]), `keepalives`,
//! `keepalives_idle`, `target_session_attrs`, `sslmode`.

use std::time::Duration;

use postgres::{Client, Config, NoTls};

use crate::{AlertKey, StateStore, StoreError, UnitId, UnitStats};

/// Key of the advisory lock held while migrating (`pg_advisory_xact_lock`):
/// the bytes of `"saker-st"` read as a big-endian integer.
pub const MIGRATION_LOCK: i64 = i64::from_be_bytes(*b"saker-st");

/// Connect timeout when the URL gives none.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// Schema migrations, applied in order; migration `i` brings the schema to
/// version `i + 1`. Never edit a released entry: append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: processed units, follow positions, delivered alerts.
    r#"CREATE TABLE saker_processed_units (
           unit_key     text PRIMARY KEY,
           version      text NOT NULL,
           records      bigint NOT NULL,
           alerts       bigint NOT NULL,
           processed_at timestamptz NOT NULL DEFAULT now()
       );
       CREATE TABLE saker_follow_positions (
           scope      text PRIMARY KEY,
           last_key   text COLLATE "C" NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
       );
       CREATE TABLE saker_delivered_alerts (
           account_id   text NOT NULL,
           event_id     text NOT NULL,
           rule         text NOT NULL,
           delivered_at timestamptz NOT NULL DEFAULT now(),
           PRIMARY KEY (account_id, event_id, rule)
       );"#,
    // 2: named state documents (continuous posture's exposure tracker).
    r#"CREATE TABLE saker_state_values (
           name       text PRIMARY KEY,
           value      text NOT NULL,
           updated_at timestamptz NOT NULL DEFAULT now()
       );"#,
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// [`StoreError::Postgres`] for `source`, with the server's message when
/// there is one (the client's own `Display` says only "db error").
fn pg_error(url: &str, source: postgres::Error) -> StoreError {
    let detail = match source.as_db_error() {
        Some(db) => format!(
            "{} {} (SQLSTATE {})",
            db.severity(),
            db.message(),
            db.code().code()
        ),
        None => {
            let mut d = source.to_string();
            let mut cause = std::error::Error::source(&source);
            while let Some(c) = cause {
                d.push_str(": ");
                d.push_str(&c.to_string());
                cause = c.source();
            }
            d
        }
    };
    StoreError::Postgres {
        url: url.to_string(),
        detail,
        source,
    }
}

/// Connect, and turn `synchronous_commit` off for the session unless the
/// URL's `options` set it.
///
/// Off, a commit returns before its WAL record is flushed to disk: a crash
/// *of the database server* (not of saker) may forget the last commits made
/// in the last fraction of a second (3 × `wal_writer_delay`), never corrupts
/// anything, and forgetting means only re-reading a unit or repeating an
/// alert — the trade-off of the SQLite store's `synchronous=NORMAL`. It
/// saves one disk flush per call, which dominates the cost per alert on a
/// server with real disks (docs/BENCHMARKS.md). `options=-c
/// synchronous_commit=on` in the URL keeps the server's setting.
fn connect(config: &Config) -> Result<Client, postgres::Error> {
    let mut client = config.connect(NoTls)?;
    let set_by_url = config
        .get_options()
        .is_some_and(|o| o.contains("synchronous_commit"));
    if !set_by_url {
        client.batch_execute("SET synchronous_commit = off")?;
    }
    Ok(client)
}

/// A [`StateStore`] in a PostgreSQL database.
pub struct PostgresStore {
    client: Client,
    config: Config,
    /// The URL without its password, for messages.
    shown: String,
}

impl PostgresStore {
    /// Connect to the database named by `url` (`postgres://` or
    /// `postgresql://`, libpq's URL syntax) and bring its schema up to date.
    ///
    /// # Errors
    /// [`StoreError::Postgres`] if the URL is malformed, the server cannot
    /// be reached or refuses the login, or a migration fails;
    /// [`StoreError::PostgresTls`] for `sslmode=require`;
    /// [`StoreError::NewerSchema`] if a newer saker migrated the database.
    pub fn open(url: &str) -> Result<PostgresStore, StoreError> {
        let shown = crate::redact_url(url);
        let mut config: Config = url.parse().map_err(|source| pg_error(&shown, source))?;
        if config.get_ssl_mode() == postgres::config::SslMode::Require {
            return Err(StoreError::PostgresTls(shown));
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(DEFAULT_CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("saker");
        }
        let client = connect(&config).map_err(|source| pg_error(&shown, source))?;
        let mut store = PostgresStore {
            client,
            config,
            shown,
        };
        store.migrate()?;
        Ok(store)
    }

    /// The schema version of the database (0 before the first migration).
    ///
    /// # Errors
    /// [`StoreError::Postgres`].
    pub fn schema_version(&mut self) -> Result<i64, StoreError> {
        self.with_retry(|c| {
            let exists: bool = c
                .query_one(
                    "SELECT to_regclass('saker_schema_migrations') IS NOT NULL",
                    &[],
                )?
                .get(0);
            if !exists {
                return Ok(0);
            }
            c.query_one(
                "SELECT coalesce(max(version), 0)::bigint FROM saker_schema_migrations",
                &[],
            )
            .map(|r| r.get(0))
        })
    }

    /// The value of a run-time parameter in this store's session
    /// (`current_setting(name)`), for diagnostics: e.g. `synchronous_commit`.
    ///
    /// # Errors
    /// [`StoreError::Postgres`], also for an unknown parameter.
    pub fn session_setting(&mut self, name: &str) -> Result<String, StoreError> {
        self.with_retry(|c| {
            c.query_one("SELECT current_setting($1)", &[&name])
                .map(|r| r.get(0))
        })
    }

    fn err(&self, source: postgres::Error) -> StoreError {
        pg_error(&self.shown, source)
    }

    /// Run `f`; if the connection was found closed (before or during the
    /// call), reconnect and run it once more.
    fn with_retry<T>(
        &mut self,
        mut f: impl FnMut(&mut Client) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        if self.client.is_closed() {
            self.reconnect()?;
        }
        match f(&mut self.client) {
            Err(e) if e.is_closed() || self.client.is_closed() => {
                self.reconnect()?;
                f(&mut self.client).map_err(|e| self.err(e))
            }
            other => other.map_err(|e| self.err(e)),
        }
    }

    fn reconnect(&mut self) -> Result<(), StoreError> {
        self.client = connect(&self.config).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Apply the missing migrations in one transaction under
    /// [`MIGRATION_LOCK`].
    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self
            .client
            .transaction()
            .map_err(|e| pg_error(&self.shown, e))?;
        let step = |tx: &mut postgres::Transaction<'_>| -> Result<i64, postgres::Error> {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
            tx.batch_execute(
                "CREATE TABLE IF NOT EXISTS saker_schema_migrations (
                     version    integer PRIMARY KEY,
                     applied_at timestamptz NOT NULL DEFAULT now()
                 )",
            )?;
            let row = tx.query_one(
                "SELECT coalesce(max(version), 0)::bigint FROM saker_schema_migrations",
                &[],
            )?;
            Ok(row.get(0))
        };
        let found = step(&mut tx).map_err(|e| pg_error(&self.shown, e))?;
        if found > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: self.shown.clone(),
                found,
                known: SCHEMA_VERSION,
            });
        }
        let apply = |tx: &mut postgres::Transaction<'_>| -> Result<(), postgres::Error> {
            for (i, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
                tx.batch_execute(sql)?;
                tx.execute(
                    "INSERT INTO saker_schema_migrations (version) VALUES ($1)",
                    &[&(i as i32 + 1)],
                )?;
            }
            Ok(())
        };
        apply(&mut tx)
            .and_then(|()| tx.commit())
            .map_err(|e| pg_error(&self.shown, e))
    }
}

impl StateStore for PostgresStore {
    fn state_value(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        self.with_retry(|c| {
            c.query_opt(
                "SELECT value FROM saker_state_values WHERE name = $1",
                &[&name],
            )
            .map(|r| r.map(|r| r.get(0)))
        })
    }

    fn set_state_value(&mut self, name: &str, value: &str) -> Result<(), StoreError> {
        self.with_retry(|c| {
            c.execute(
                "INSERT INTO saker_state_values (name, value) VALUES ($1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = now()",
                &[&name, &value],
            )
        })?;
        Ok(())
    }

    fn is_processed(&mut self, unit: &UnitId) -> Result<bool, StoreError> {
        let row = self.with_retry(|c| {
            c.query_opt(
                "SELECT version FROM saker_processed_units WHERE unit_key = $1",
                &[&unit.key],
            )
        })?;
        Ok(row.is_some_and(|r| r.get::<_, &str>(0) == unit.version))
    }

    fn mark_processed(&mut self, unit: &UnitId, stats: UnitStats) -> Result<(), StoreError> {
        let (records, alerts) = (stats.records as i64, stats.alerts as i64);
        self.with_retry(|c| {
            c.execute(
                "INSERT INTO saker_processed_units (unit_key, version, records, alerts)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (unit_key) DO UPDATE SET
                   version = excluded.version, records = excluded.records,
                   alerts = excluded.alerts, processed_at = now()",
                &[&unit.key, &unit.version, &records, &alerts],
            )
        })?;
        Ok(())
    }

    fn processed_count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self.with_retry(|c| {
            c.query_one("SELECT count(*) FROM saker_processed_units", &[])
                .map(|r| r.get(0))
        })?;
        Ok(n.max(0) as u64)
    }

    fn follow_position(&mut self, scope: &str) -> Result<Option<String>, StoreError> {
        self.with_retry(|c| {
            c.query_opt(
                "SELECT last_key FROM saker_follow_positions WHERE scope = $1",
                &[&scope],
            )
            .map(|r| r.map(|r| r.get(0)))
        })
    }

    fn set_follow_position(&mut self, scope: &str, last_key: &str) -> Result<(), StoreError> {
        // last_key is COLLATE "C": byte order, as S3 lists keys. The
        // conflict path locks the row, so concurrent writers serialise and
        // the greatest key wins.
        self.with_retry(|c| {
            c.execute(
                "INSERT INTO saker_follow_positions (scope, last_key) VALUES ($1, $2)
                 ON CONFLICT (scope) DO UPDATE SET
                   last_key = excluded.last_key, updated_at = now()
                 WHERE excluded.last_key > saker_follow_positions.last_key",
                &[&scope, &last_key],
            )
        })?;
        Ok(())
    }

    fn alert_delivered(&mut self, key: &AlertKey) -> Result<bool, StoreError> {
        self.with_retry(|c| {
            c.query_opt(
                "SELECT 1 FROM saker_delivered_alerts
                 WHERE account_id = $1 AND event_id = $2 AND rule = $3",
                &[&key.account_id, &key.event_id, &key.rule],
            )
            .map(|r| r.is_some())
        })
    }

    fn mark_alert_delivered(&mut self, key: &AlertKey) -> Result<(), StoreError> {
        self.mark_alerts_delivered(std::slice::from_ref(key))
    }

    fn mark_alerts_delivered(&mut self, keys: &[AlertKey]) -> Result<(), StoreError> {
        if keys.is_empty() {
            return Ok(());
        }
        // One statement: all keys or none.
        let accounts: Vec<&str> = keys.iter().map(|k| k.account_id.as_str()).collect();
        let events: Vec<&str> = keys.iter().map(|k| k.event_id.as_str()).collect();
        let rules: Vec<&str> = keys.iter().map(|k| k.rule.as_str()).collect();
        self.with_retry(|c| {
            c.execute(
                "INSERT INTO saker_delivered_alerts (account_id, event_id, rule)
                 SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
                 ON CONFLICT DO NOTHING",
                &[&accounts, &events, &rules],
            )
        })?;
        Ok(())
    }
}
