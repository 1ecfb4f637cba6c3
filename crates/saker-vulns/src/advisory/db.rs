//! The local advisory database (SQLite): advisories with their affected
//! packages (JSON), an index on `(platform, name)`, per-source freshness
//! (location, load time, counts, newest advisory date) and the build time.
//!
//! `saker vulns db update --from PATH…` fills it from files/directories
//! ([`load_path`]); `saker vulns db status` reads [`Db::status`].

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::{params, Connection};
use serde::Serialize;

use super::{osv, repomd, updateinfo, Advisory};
use crate::inventory::Problem;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
  name TEXT PRIMARY KEY, location TEXT NOT NULL, loaded_at TEXT NOT NULL,
  advisories INTEGER NOT NULL, entries INTEGER NOT NULL, newest TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
  rowid INTEGER PRIMARY KEY, source TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  UNIQUE(source, id));
CREATE TABLE IF NOT EXISTS affected_index (
  platform TEXT NOT NULL, name TEXT NOT NULL, advisory INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS affected_by_name ON affected_index(platform, name);
";

/// One source's freshness.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SourceStatus {
    /// Source name (`alas:amzn:2023/core`, `osv:Debian`…).
    pub name: String,
    /// File or directory it was loaded from.
    pub location: String,
    /// When it was loaded (RFC 3339, UTC).
    pub loaded_at: String,
    /// Advisories loaded.
    pub advisories: u64,
    /// Affected-package entries loaded.
    pub entries: u64,
    /// Newest issued/updated date among its advisories.
    pub newest: String,
    /// Seconds since it was loaded, at the time of [`Db::status`]
    /// (`None` when `loaded_at` does not parse).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub age_seconds: Option<i64>,
}

/// A source older than this (7 days) is reported as stale.
pub const STALE_AFTER_SECONDS: i64 = 7 * 24 * 3600;

fn age_of(loaded_at: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(loaded_at)
        .ok()
        .map(|t| (chrono::Utc::now() - t.with_timezone(&chrono::Utc)).num_seconds())
}

/// Database status.
#[derive(Debug, Clone, Serialize)]
pub struct DbStatus {
    /// Database file.
    pub path: String,
    /// Last build time (RFC 3339, UTC), if ever built.
    pub built_at: Option<String>,
    /// Per-source freshness.
    pub sources: Vec<SourceStatus>,
}

/// An open advisory database.
pub struct Db {
    conn: Connection,
    path: String,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Db {
    /// Opens (creating when missing) the database at `path`.
    pub fn open(path: &Path) -> Result<Db, String> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let conn = Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        conn.execute_batch(SCHEMA).map_err(|e| {
            format!(
                "{}: not a saker vulnerability database: {e}",
                path.display()
            )
        })?;
        Ok(Db {
            conn,
            path: path.display().to_string(),
        })
    }

    /// Replaces every advisory of each source present in `advs` (grouped by
    /// [`Advisory::source`]) and records the sources' freshness.
    pub fn replace(
        &mut self,
        advs: &[Advisory],
        location: &str,
    ) -> Result<Vec<SourceStatus>, String> {
        let mut by_source: BTreeMap<&str, Vec<&Advisory>> = BTreeMap::new();
        let mut slot: std::collections::HashMap<(&str, &str), usize> =
            std::collections::HashMap::new();
        for a in advs {
            let list = by_source.entry(a.source.as_str()).or_default();
            // The same advisory from two files (two mirrors): keep the last.
            match slot.get(&(a.source.as_str(), a.id.as_str())) {
                Some(&i) => list[i] = a,
                None => {
                    slot.insert((a.source.as_str(), a.id.as_str()), list.len());
                    list.push(a);
                }
            }
        }
        let tx = self.conn.transaction().map_err(|e| e.to_string())?;
        let at = now();
        let mut out = Vec::new();
        for (source, list) in by_source {
            tx.execute(
                "DELETE FROM affected_index WHERE advisory IN (SELECT rowid FROM advisories WHERE source = ?1)",
                [source],
            )
            .map_err(|e| e.to_string())?;
            tx.execute("DELETE FROM advisories WHERE source = ?1", [source])
                .map_err(|e| e.to_string())?;
            let mut entries = 0u64;
            let mut newest = String::new();
            {
                let mut ins = tx
                    .prepare(
                        "INSERT OR REPLACE INTO advisories (source, id, body) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(|e| e.to_string())?;
                let mut idx = tx
                    .prepare(
                        "INSERT INTO affected_index (platform, name, advisory) VALUES (?1, ?2, ?3)",
                    )
                    .map_err(|e| e.to_string())?;
                for a in &list {
                    let body = serde_json::to_string(a).map_err(|e| e.to_string())?;
                    ins.execute(params![source, a.id, body])
                        .map_err(|e| e.to_string())?;
                    let row = tx.last_insert_rowid();
                    let mut seen = std::collections::HashSet::new();
                    for af in &a.affected {
                        entries += 1;
                        if seen.insert((af.platform.as_str(), af.name.as_str())) {
                            idx.execute(params![af.platform, af.name, row])
                                .map_err(|e| e.to_string())?;
                        }
                    }
                    for d in [&a.issued, &a.updated] {
                        if *d > newest {
                            newest = d.clone();
                        }
                    }
                }
            }
            let st = SourceStatus {
                name: source.to_string(),
                location: location.to_string(),
                loaded_at: at.clone(),
                advisories: list.len() as u64,
                entries,
                newest,
                age_seconds: Some(0),
            };
            tx.execute(
                "INSERT OR REPLACE INTO sources VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    st.name,
                    st.location,
                    st.loaded_at,
                    st.advisories as i64,
                    st.entries as i64,
                    st.newest
                ],
            )
            .map_err(|e| e.to_string())?;
            out.push(st);
        }
        tx.execute("INSERT OR REPLACE INTO meta VALUES ('built_at', ?1)", [&at])
            .map_err(|e| e.to_string())?;
        tx.commit().map_err(|e| e.to_string())?;
        Ok(out)
    }

    /// Build time and per-source freshness.
    pub fn status(&self) -> Result<DbStatus, String> {
        let built_at = self
            .conn
            .query_row("SELECT value FROM meta WHERE key = 'built_at'", [], |r| {
                r.get::<_, String>(0)
            })
            .ok();
        let mut st = self
            .conn
            .prepare("SELECT name, location, loaded_at, advisories, entries, newest FROM sources ORDER BY name")
            .map_err(|e| e.to_string())?;
        let sources = st
            .query_map([], |r| {
                Ok(SourceStatus {
                    name: r.get(0)?,
                    location: r.get(1)?,
                    loaded_at: r.get(2)?,
                    advisories: r.get::<_, i64>(3)? as u64,
                    entries: r.get::<_, i64>(4)? as u64,
                    newest: r.get(5)?,
                    age_seconds: None,
                })
            })
            .map_err(|e| e.to_string())?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        let sources = sources
            .into_iter()
            .map(|mut s| {
                s.age_seconds = age_of(&s.loaded_at);
                s
            })
            .collect();
        Ok(DbStatus {
            path: self.path.clone(),
            built_at,
            sources,
        })
    }

    /// Every advisory with an affected entry whose platform is one of
    /// `platforms` or starts with `prefix:` for one of them.
    pub fn advisories_for(&self, platforms: &[String]) -> Result<Vec<Advisory>, String> {
        let mut st = self
            .conn
            .prepare(
                "SELECT body FROM advisories WHERE rowid IN \
                 (SELECT advisory FROM affected_index WHERE platform = ?1 OR platform LIKE ?2)",
            )
            .map_err(|e| e.to_string())?;
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for p in platforms {
            let rows = st
                .query_map(params![p, format!("{p}:%")], |r| r.get::<_, String>(0))
                .map_err(|e| e.to_string())?;
            for body in rows {
                let body = body.map_err(|e| e.to_string())?;
                let a: Advisory = serde_json::from_str(&body)
                    .map_err(|e| format!("corrupt advisory row: {e}"))?;
                if seen.insert((a.source.clone(), a.id.clone())) {
                    out.push(a);
                }
            }
        }
        Ok(out)
    }
}

/// The source name of an ALAS advisory: `alas:amzn:2023/core`,
/// `alas:amzn:2/kernel-5.15`.
pub fn alas_source(a: &Advisory) -> String {
    let (p, s) = a
        .affected
        .first()
        .map(|f| (f.platform.as_str(), f.stream.as_deref().unwrap_or("core")))
        .unwrap_or(("amzn:unknown", "core"));
    format!("alas:{p}/{s}")
}

/// Loads advisories from a file or directory: `updateinfo*.xml[.gz]`,
/// `repomd.xml` (follows its updateinfo location when the file is there),
/// OSV `*.json` (one record or an array) and OSV `*.zip` exports.
pub fn load_path(path: &Path) -> (Vec<Advisory>, Vec<Problem>) {
    let mut advs = Vec::new();
    let mut problems = Vec::new();
    let files: Vec<std::path::PathBuf> = if path.is_dir() {
        let mut v: Vec<_> = walkdir::WalkDir::new(path)
            .into_iter()
            .flatten()
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut done = std::collections::HashSet::new();
    for f in files {
        load_file(&f, &mut advs, &mut problems, &mut done, path.is_dir());
    }
    (advs, problems)
}

fn load_file(
    f: &Path,
    advs: &mut Vec<Advisory>,
    problems: &mut Vec<Problem>,
    done: &mut std::collections::HashSet<std::path::PathBuf>,
    in_dir: bool,
) {
    let display = f.display().to_string();
    let name = f
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !done.insert(f.to_path_buf()) {
        return;
    }
    if name == "repomd.xml" {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return problems.push(Problem::new(display, format!("unreadable: {e}"))),
        };
        match repomd::updateinfo_location(&text) {
            Ok(Some(href)) => {
                // repodata/repomd.xml → the repo root is two levels up.
                let root = f
                    .parent()
                    .and_then(|p| p.parent())
                    .unwrap_or(Path::new("."));
                let target = root.join(&href);
                if target.is_file() {
                    load_file(&target, advs, problems, done, in_dir);
                } else if !in_dir {
                    problems.push(Problem::new(
                        display,
                        format!("updateinfo {href} named here is not present next to it; fetch it and pass it with --from"),
                    ));
                }
            }
            Ok(None) => problems.push(Problem::new(
                display,
                "no updateinfo entry; repository has no advisories",
            )),
            Err(e) => problems.push(Problem::new(display, e)),
        }
        return;
    }
    let lower = name.to_ascii_lowercase();
    if lower.contains("updateinfo") && (lower.ends_with(".xml") || lower.ends_with(".xml.gz")) {
        let file = match std::fs::File::open(f) {
            Ok(x) => x,
            Err(e) => return problems.push(Problem::new(display, format!("unreadable: {e}"))),
        };
        let gz = lower.ends_with(".gz");
        load_updateinfo(std::io::BufReader::new(file), gz, &display, advs, problems);
    } else if lower.starts_with("extras-catalog") && lower.ends_with(".json") {
        // The AL2 extras topic list: it names repositories, holds no advisories.
    } else if lower.ends_with(".json") {
        let text = match std::fs::read_to_string(f) {
            Ok(t) => t,
            Err(e) => return problems.push(Problem::new(display, format!("unreadable: {e}"))),
        };
        load_osv_text(&text, &display, advs, problems);
    } else if lower.ends_with(".zip") {
        match std::fs::read(f) {
            Ok(b) => load_osv_zip(b, &display, None, advs, problems),
            Err(e) => problems.push(Problem::new(display, format!("unreadable: {e}"))),
        }
    } else if !in_dir {
        problems.push(Problem::new(
            display,
            "not an advisory file (updateinfo*.xml[.gz], repomd.xml, OSV .json or .zip)",
        ));
    }
}

/// Parses an updateinfo document (gzip-compressed when `gz`) and tags each
/// advisory with its [`alas_source`].
pub fn load_updateinfo<R: std::io::BufRead>(
    input: R,
    gz: bool,
    display: &str,
    advs: &mut Vec<Advisory>,
    problems: &mut Vec<Problem>,
) {
    let (mut a, p) = if gz {
        updateinfo::parse_updateinfo(
            std::io::BufReader::new(flate2::read::MultiGzDecoder::new(input)),
            "",
            display,
        )
    } else {
        updateinfo::parse_updateinfo(input, "", display)
    };
    for adv in &mut a {
        adv.source = alas_source(adv);
    }
    advs.extend(a);
    problems.extend(p);
}

/// Largest OSV record accepted from a zip entry (64 MiB).
pub const MAX_OSV_ENTRY: u64 = 64 << 20;

/// Loads an osv.dev export (`<ecosystem>/all.zip`: one JSON record per
/// entry). `source` overrides the records' source name (`osv:Debian` for
/// the Debian export, so a reload replaces exactly that export).
pub fn load_osv_zip(
    bytes: Vec<u8>,
    display: &str,
    source: Option<&str>,
    advs: &mut Vec<Advisory>,
    problems: &mut Vec<Problem>,
) {
    use std::io::Read;
    let mut z = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => return problems.push(Problem::new(display, format!("not a zip: {e}"))),
    };
    let first = advs.len();
    // One inflater and one text buffer for every entry: a fresh inflater
    // per entry (tens of thousands in an osv.dev export) interleaves its
    // ~40 KB state with the small advisory allocations that stay, and the
    // heap fragments (measured: 20 KB of RSS per record).
    let mut inflate = flate2::Decompress::new(false);
    let mut raw = Vec::new();
    let mut text = Vec::new();
    for i in 0..z.len() {
        let mut e = match z.by_index_raw(i) {
            Ok(e) => e,
            Err(err) => {
                problems.push(Problem::new(
                    format!("{display} entry {i}"),
                    format!("unreadable entry: {err}"),
                ));
                continue;
            }
        };
        if e.is_dir() {
            continue;
        }
        let entry = format!("{display}!{}", String::from_utf8_lossy(e.name_raw()));
        if e.size() > MAX_OSV_ENTRY {
            problems.push(Problem::new(
                entry,
                format!(
                    "entry of {} bytes is over {MAX_OSV_ENTRY}; skipped",
                    e.size()
                ),
            ));
            continue;
        }
        raw.clear();
        text.clear();
        let read = match e.compression() {
            zip::CompressionMethod::Stored => e
                .read_to_end(&mut text)
                .map(|_| ())
                .map_err(|err| err.to_string()),
            zip::CompressionMethod::Deflated => match e.read_to_end(&mut raw) {
                Err(err) => Err(err.to_string()),
                Ok(_) => {
                    inflate.reset(false);
                    text.reserve(e.size() as usize);
                    match inflate.decompress_vec(&raw, &mut text, flate2::FlushDecompress::Finish) {
                        Ok(flate2::Status::StreamEnd) => Ok(()),
                        Ok(_) => Err("deflate stream does not end where the entry says".into()),
                        Err(err) => Err(format!("bad deflate data: {err}")),
                    }
                }
            },
            other => Err(format!("compression {other} not supported")),
        };
        if let Err(err) = read {
            problems.push(Problem::new(entry, format!("unreadable entry: {err}")));
            continue;
        }
        let mut crc = flate2::Crc::new();
        crc.update(&text);
        if crc.sum() != e.crc32() {
            problems.push(Problem::new(entry, "CRC mismatch; entry skipped"));
            continue;
        }
        match std::str::from_utf8(&text) {
            Ok(t) => load_osv_text(t, &entry, advs, problems),
            Err(err) => problems.push(Problem::new(entry, format!("not UTF-8: {err}"))),
        }
    }
    if let Some(src) = source {
        for a in &mut advs[first..] {
            a.source = src.to_string();
        }
    }
}

/// Loads OSV JSON text: one record, or an array of records. A JSON object
/// with `Pkglist` is vuls-data-update's ALAS form ([`vuls_alas_json`]).
pub fn load_osv_text(
    text: &str,
    display: &str,
    advs: &mut Vec<Advisory>,
    problems: &mut Vec<Problem>,
) {
    let t = text.trim_start();
    if t.starts_with('[') {
        match serde_json::from_str::<Vec<serde_json::Value>>(t) {
            Ok(list) => {
                for (i, v) in list.iter().enumerate() {
                    match osv::parse_osv(&v.to_string()) {
                        Ok(Some(a)) => advs.push(a),
                        Ok(None) => {}
                        Err(e) => problems.push(Problem::new(format!("{display}[{i}]"), e)),
                    }
                }
            }
            Err(e) => problems.push(Problem::new(display, format!("bad JSON: {e}"))),
        }
        return;
    }
    if t.starts_with('{') && t.contains("\"Pkglist\"") {
        match vuls_alas_json(t) {
            Ok(a) => advs.push(a),
            Err(e) => problems.push(Problem::new(display, e)),
        }
        return;
    }
    match osv::parse_osv(t) {
        Ok(Some(a)) => advs.push(a),
        Ok(None) => {}
        Err(e) => problems.push(Problem::new(display, e)),
    }
}

/// One ALAS in vuls-data-update's fetched JSON form (`ID`, `Severity`,
/// `References.Reference[]`, `Pkglist.Collection.{Short, Package[]}`):
/// the same fields as an updateinfo `<update>`.
pub fn vuls_alas_json(text: &str) -> Result<Advisory, String> {
    use serde_json::Value;
    let v: Value = serde_json::from_str(text).map_err(|e| format!("bad JSON: {e}"))?;
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    let id = s(&v, "ID");
    if id.is_empty() {
        return Err("ALAS JSON without ID".into());
    }
    let refs = v
        .pointer("/References/Reference")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let cves = refs
        .iter()
        .filter(|r| s(r, "Type") == "cve")
        .map(|r| s(r, "ID"))
        .filter(|x| !x.is_empty())
        .collect();
    let colls: Vec<Value> = match v.pointer("/Pkglist/Collection") {
        Some(Value::Array(a)) => a.clone(),
        Some(c) => vec![c.clone()],
        None => Vec::new(),
    };
    let mut affected = Vec::new();
    for c in &colls {
        let (platform, stream) = super::updateinfo::platform_of_collection(&s(c, "Short"))
            .or_else(|| super::updateinfo::platform_of_id(&id).map(|p| (p.to_string(), None)))
            .unwrap_or(("amzn:unknown".into(), None));
        for p in c
            .get("Package")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let epoch = s(p, "Epoch");
            let fixed = if epoch.is_empty() {
                format!("{}-{}", s(p, "Version"), s(p, "Release"))
            } else {
                format!("{epoch}:{}-{}", s(p, "Version"), s(p, "Release"))
            };
            affected.push(super::Affected {
                platform: platform.clone(),
                name: s(p, "Name"),
                arch: Some(s(p, "Arch")).filter(|a| !a.is_empty()),
                stream: stream.clone(),
                scheme: crate::version::Scheme::Rpm,
                ranges: vec![super::Range {
                    introduced: None,
                    fixed: Some(fixed),
                    last_affected: None,
                }],
                versions: Vec::new(),
            });
        }
    }
    let mut a = Advisory {
        link: super::alas_link(&id),
        severity: super::Severity::from_word(&s(&v, "Severity")),
        title: s(&v, "Title"),
        issued: v
            .pointer("/Issued/Date")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        updated: v
            .pointer("/Updated/Date")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        cves,
        affected,
        cvss: None,
        source: String::new(),
        id,
    };
    a.source = alas_source(&a);
    Ok(a)
}
