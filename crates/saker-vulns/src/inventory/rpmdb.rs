//! rpmdb readers, without the `rpm` binary: SQLite `rpmdb.sqlite`
//! (AL2023, Fedora ≥ 33, EL9), Berkeley DB hash `Packages` (AL1, AL2,
//! EL7/8) and NDB `Packages.db` (SUSE). Each record is an rpm header blob
//! ([`super::rpm_header`]). Formats: go-rpmdb `pkg/bdb`, `pkg/ndb`,
//! `pkg/sqlite3` (vulns-and-runtime.md A1.2).

use std::path::Path;

use super::rpm_header::package_from_header;
use super::{Inventory, Problem};

/// The on-disk format of an rpmdb file, told by its magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RpmdbFormat {
    /// SQLite 3 database (`SQLite format 3\0`).
    Sqlite,
    /// Berkeley DB hash database (magic 0x061561 at offset 12).
    BerkeleyDb,
    /// NDB (`RpmP` header magic, little-endian).
    Ndb,
}

const BDB_HASH_MAGIC: u32 = 0x0006_1561;
const NDB_HEADER_MAGIC: u32 = u32::from_le_bytes(*b"RpmP");
const NDB_SLOT_MAGIC: u32 = u32::from_le_bytes(*b"Slot");
const NDB_BLOB_MAGIC: u32 = u32::from_le_bytes(*b"BlbS");

/// Tells the format from the first bytes of the file.
pub fn detect_format(head: &[u8]) -> Option<RpmdbFormat> {
    if head.starts_with(b"SQLite format 3\0") {
        return Some(RpmdbFormat::Sqlite);
    }
    if head.len() >= 16 {
        let le = u32::from_le_bytes([head[12], head[13], head[14], head[15]]);
        let be = u32::from_be_bytes([head[12], head[13], head[14], head[15]]);
        if le == BDB_HASH_MAGIC || be == BDB_HASH_MAGIC {
            return Some(RpmdbFormat::BerkeleyDb);
        }
    }
    if head.len() >= 4
        && u32::from_le_bytes([head[0], head[1], head[2], head[3]]) == NDB_HEADER_MAGIC
    {
        return Some(RpmdbFormat::Ndb);
    }
    None
}

/// Reads every package of an rpmdb file of any supported format.
/// `display` is the path shown in the report (e.g. relative to the root).
/// Unreadable records become problems; the rest is still returned.
pub fn read_rpmdb(path: &Path, display: &str) -> Inventory {
    let mut inv = Inventory::default();
    let head = match std::fs::File::open(path).and_then(|mut f| {
        use std::io::Read;
        let mut b = vec![0u8; 64];
        let n = f.read(&mut b)?;
        b.truncate(n);
        Ok(b)
    }) {
        Ok(h) => h,
        Err(e) => {
            inv.problems
                .push(Problem::new(display, format!("cannot read rpmdb: {e}")));
            return inv;
        }
    };
    let blobs = match detect_format(&head) {
        Some(RpmdbFormat::Sqlite) => sqlite_blobs(path, display, &mut inv.problems),
        Some(RpmdbFormat::BerkeleyDb) => match std::fs::read(path) {
            Ok(b) => bdb_blobs(&b, display, &mut inv.problems),
            Err(e) => {
                inv.problems
                    .push(Problem::new(display, format!("cannot read rpmdb: {e}")));
                return inv;
            }
        },
        Some(RpmdbFormat::Ndb) => match std::fs::read(path) {
            Ok(b) => ndb_blobs(&b, display, &mut inv.problems),
            Err(e) => {
                inv.problems
                    .push(Problem::new(display, format!("cannot read rpmdb: {e}")));
                return inv;
            }
        },
        None => {
            inv.problems.push(Problem::new(
                display,
                "unknown rpmdb format (not SQLite, Berkeley DB hash or NDB); rpm packages not evaluated",
            ));
            return inv;
        }
    };
    for (record, blob) in blobs {
        let loc = format!("{display} {record}");
        match package_from_header(&blob, display) {
            Ok(p) if p.name == "gpg-pubkey" => {}
            Ok(p) => inv.packages.push(p),
            Err(e) => inv.problems.push(Problem::new(
                loc,
                format!("bad rpm header: {e}; package skipped"),
            )),
        }
    }
    inv
}

/// `SELECT hnum, blob FROM Packages` from a read-only, immutable open
/// (the file may be in WAL mode on a read-only volume).
fn sqlite_blobs(path: &Path, display: &str, problems: &mut Vec<Problem>) -> Vec<(String, Vec<u8>)> {
    use rusqlite::{Connection, OpenFlags};
    let uri = format!("file:{}?immutable=1", path.display());
    let conn = match Connection::open_with_flags(
        &uri,
        OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    ) {
        Ok(c) => c,
        Err(e) => {
            problems.push(Problem::new(
                display,
                format!("cannot open SQLite rpmdb: {e}"),
            ));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let mut failed = None;
    let res = (|| -> rusqlite::Result<()> {
        let mut st = conn.prepare("SELECT hnum, blob FROM Packages")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))?;
        for row in rows {
            match row {
                Ok((h, b)) => out.push((h, b)),
                Err(e) => {
                    // A corrupt page ends the table scan: salvage below.
                    failed = Some(e.to_string());
                    break;
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = res {
        problems.push(Problem::new(
            display,
            format!("cannot query SQLite rpmdb Packages table: {e}"),
        ));
        return Vec::new();
    }
    if let Some(e) = failed {
        salvage_sqlite(&conn, display, &e, &mut out, problems);
    }
    out.into_iter()
        .map(|(h, b)| (format!("hnum {h}"), b))
        .collect()
}

/// After a failed table scan: looks every `hnum` up by its rowid (rpm's
/// `Packages.hnum` is the INTEGER PRIMARY KEY), so only the rows stored on
/// corrupt pages are lost, and reports which.
fn salvage_sqlite(
    conn: &rusqlite::Connection,
    display: &str,
    error: &str,
    out: &mut Vec<(i64, Vec<u8>)>,
    problems: &mut Vec<Problem>,
) {
    const MAX_PROBES: i64 = 1_000_000;
    let max = conn
        .query_row(
            "SELECT seq FROM sqlite_sequence WHERE name = 'Packages'",
            [],
            |r| r.get::<_, i64>(0),
        )
        .or_else(|_| conn.query_row("SELECT max(hnum) FROM Packages", [], |r| r.get::<_, i64>(0)))
        .unwrap_or_else(|_| out.iter().map(|(h, _)| *h).max().unwrap_or(0) + 1024);
    let have: std::collections::HashSet<i64> = out.iter().map(|(h, _)| *h).collect();
    let mut lost = Vec::new();
    if let Ok(mut st) = conn.prepare("SELECT blob FROM Packages WHERE hnum = ?1") {
        for h in 1..=max.clamp(0, MAX_PROBES) {
            if have.contains(&h) {
                continue;
            }
            match st.query_row([h], |r| r.get::<_, Vec<u8>>(0)) {
                Ok(b) => out.push((h, b)),
                Err(rusqlite::Error::QueryReturnedNoRows) => {}
                Err(_) => lost.push(h),
            }
        }
    }
    out.sort_by_key(|(h, _)| *h);
    let listed: Vec<String> = lost.iter().take(20).map(|h| h.to_string()).collect();
    problems.push(Problem::new(
        display,
        format!(
            "corrupt SQLite rpmdb ({error}): {} rows read by hnum lookup; {} rows unreadable{}{}",
            out.len(),
            lost.len(),
            if lost.is_empty() {
                String::new()
            } else {
                format!(" (hnum {})", listed.join(", "))
            },
            if lost.len() > listed.len() {
                ", …"
            } else {
                ""
            }
        ),
    ));
}

const BDB_PAGE_HEADER: usize = 26;
const BDB_HASH_UNSORTED: u8 = 2;
const BDB_HASH: u8 = 13;
const BDB_HOFFPAGE: u8 = 3;

/// Walks the hash pages of a Berkeley DB hash file and concatenates the
/// overflow-page chains of every off-page value.
fn bdb_blobs(db: &[u8], display: &str, problems: &mut Vec<Problem>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    if db.len() < 72 {
        problems.push(Problem::new(display, "Berkeley DB metadata page truncated"));
        return out;
    }
    let swapped = u32::from_le_bytes([db[12], db[13], db[14], db[15]]) != BDB_HASH_MAGIC;
    let u32_at = |b: &[u8], at: usize| -> Option<u32> {
        let s = b.get(at..at + 4)?;
        let a = [s[0], s[1], s[2], s[3]];
        Some(if swapped {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    };
    let u16_at = |b: &[u8], at: usize| -> Option<u16> {
        let s = b.get(at..at + 2)?;
        let a = [s[0], s[1]];
        Some(if swapped {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    };
    let page_size = u32_at(db, 20).unwrap_or(0) as usize;
    let last_page = u32_at(db, 32).unwrap_or(0) as usize;
    if !(512..=65536).contains(&page_size) || !page_size.is_power_of_two() {
        problems.push(Problem::new(
            display,
            format!("bad Berkeley DB page size {page_size}"),
        ));
        return out;
    }
    let npages = db.len() / page_size;
    if last_page >= npages {
        problems.push(Problem::new(
            display,
            format!(
                "Berkeley DB truncated: last page {last_page} but file holds {npages} pages; pages past the end not read"
            ),
        ));
    }
    for pno in 1..=last_page.min(npages.saturating_sub(1)) {
        let page = &db[pno * page_size..(pno + 1) * page_size];
        let ptype = page[25];
        if ptype != BDB_HASH && ptype != BDB_HASH_UNSORTED {
            continue;
        }
        let entries = u16_at(page, 20).unwrap_or(0) as usize;
        if entries % 2 != 0 || BDB_PAGE_HEADER + entries * 2 > page_size {
            problems.push(Problem::new(
                format!("{display} page {pno}"),
                format!("bad hash page: {entries} entries; page skipped"),
            ));
            continue;
        }
        for k in (1..entries).step_by(2) {
            let off = u16_at(page, BDB_PAGE_HEADER + k * 2).unwrap_or(0) as usize;
            if off >= page_size || page[off] != BDB_HOFFPAGE {
                // Inline key/data items hold no package header.
                continue;
            }
            if off + 12 > page_size {
                problems.push(Problem::new(
                    format!("{display} page {pno} entry {k}"),
                    "off-page item crosses the page end; record skipped",
                ));
                continue;
            }
            let mut next = u32_at(page, off + 4).unwrap_or(0) as usize;
            let length = u32_at(page, off + 8).unwrap_or(0) as usize;
            let mut value = Vec::with_capacity(length.min(64 << 20));
            let mut hops = 0usize;
            let mut broken = None;
            while next != 0 {
                hops += 1;
                if hops > npages || next >= npages {
                    broken = Some(format!("overflow chain broken at page {next}"));
                    break;
                }
                let op = &db[next * page_size..(next + 1) * page_size];
                let nn = u32_at(op, 16).unwrap_or(0) as usize;
                let free = u16_at(op, 22).unwrap_or(0) as usize;
                let chunk = if nn == 0 {
                    op.get(BDB_PAGE_HEADER..BDB_PAGE_HEADER + free)
                } else {
                    op.get(BDB_PAGE_HEADER..)
                };
                match chunk {
                    Some(c) => value.extend_from_slice(c),
                    None => {
                        broken = Some(format!(
                            "overflow page {next} length {free} exceeds the page"
                        ));
                        break;
                    }
                }
                next = nn;
            }
            match broken {
                Some(msg) => problems.push(Problem::new(
                    format!("{display} page {pno} entry {k}"),
                    format!("{msg}; record skipped"),
                )),
                None => out.push((format!("page {pno} entry {k}"), value)),
            }
        }
    }
    out
}

/// Reads the NDB slot pages and the blob each used slot points at.
fn ndb_blobs(db: &[u8], display: &str, problems: &mut Vec<Problem>) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let le = |at: usize| -> Option<u32> {
        db.get(at..at + 4)
            .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    };
    let (Some(version), Some(nslot_pages)) = (le(4), le(12)) else {
        problems.push(Problem::new(display, "NDB header truncated"));
        return out;
    };
    if version != 0 || nslot_pages == 0 || nslot_pages > 2048 {
        problems.push(Problem::new(
            display,
            format!("bad NDB header (version {version}, {nslot_pages} slot pages)"),
        ));
        return out;
    }
    let nslots = nslot_pages as usize * 4096 / 16 - 2;
    for s in 0..nslots {
        let at = 32 + s * 16;
        let (Some(magic), Some(pkg), Some(blk)) = (le(at), le(at + 4), le(at + 8)) else {
            problems.push(Problem::new(
                format!("{display} slot {s}"),
                "NDB slot table truncated; remaining slots not read",
            ));
            break;
        };
        if magic != NDB_SLOT_MAGIC {
            problems.push(Problem::new(
                format!("{display} slot {s} (offset {at})"),
                "bad NDB slot magic; remaining slots not read",
            ));
            break;
        }
        if pkg == 0 {
            continue;
        }
        let off = blk as usize * 16;
        let (Some(bmagic), Some(blen)) = (le(off), le(off + 12)) else {
            problems.push(Problem::new(
                format!("{display} slot {s}"),
                format!("blob offset {off} past the end of the file; package {pkg} skipped"),
            ));
            continue;
        };
        if bmagic != NDB_BLOB_MAGIC {
            problems.push(Problem::new(
                format!("{display} offset {off}"),
                format!("bad NDB blob magic; package {pkg} skipped"),
            ));
            continue;
        }
        match db.get(off + 16..off + 16 + blen as usize) {
            Some(b) => out.push((format!("package {pkg}"), b.to_vec())),
            None => problems.push(Problem::new(
                format!("{display} offset {off}"),
                format!("NDB blob truncated; package {pkg} skipped"),
            )),
        }
    }
    out
}

/// Writes an rpm ≥ 4.16-style SQLite rpmdb (`Packages(hnum, blob)`) from
/// header blobs ([`super::rpm_header::encode_header`]). For tests, fixtures
/// and benchmarks: building an rpmdb needs no `rpm` binary.
pub fn write_sqlite_rpmdb(path: &Path, blobs: &[Vec<u8>]) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut c = rusqlite::Connection::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    c.execute_batch("CREATE TABLE IF NOT EXISTS Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL);")
        .map_err(|e| e.to_string())?;
    let tx = c.transaction().map_err(|e| e.to_string())?;
    for b in blobs {
        tx.execute("INSERT INTO Packages (blob) VALUES (?1)", [b])
            .map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())
}
