//! The rpm header blob stored in every rpmdb (Berkeley DB, NDB, SQLite):
//! `il` (u32 BE, index count), `dl` (u32 BE, data length), `il` index
//! entries of 16 bytes (tag, type, offset, count; all BE), then `dl` bytes
//! of data. Source of truth: rpm `lib/header.c`, go-rpmdb `entry.go`.

use super::{Package, PackageKind};

/// rpm tag numbers used here (`rpmtag.h`).
pub mod tag {
    /// Package name.
    pub const NAME: i32 = 1000;
    /// Version.
    pub const VERSION: i32 = 1001;
    /// Release.
    pub const RELEASE: i32 = 1002;
    /// Epoch (INT32).
    pub const EPOCH: i32 = 1003;
    /// Vendor.
    pub const VENDOR: i32 = 1011;
    /// Old-style full file names.
    pub const OLDFILENAMES: i32 = 1027;
    /// Architecture.
    pub const ARCH: i32 = 1022;
    /// Source rpm file name.
    pub const SOURCERPM: i32 = 1044;
    /// Index into DIRNAMES per file.
    pub const DIRINDEXES: i32 = 1116;
    /// File base names.
    pub const BASENAMES: i32 = 1117;
    /// Directory names.
    pub const DIRNAMES: i32 = 1118;
    /// Modularity label.
    pub const MODULARITYLABEL: i32 = 5096;
}

const TYPE_INT32: u32 = 4;
const TYPE_STRING: u32 = 6;
const TYPE_STRING_ARRAY: u32 = 8;
const TYPE_I18NSTRING: u32 = 9;

/// Upper bounds that keep a hostile header from allocating unboundedly.
const MAX_INDEX: u32 = 0x0001_0000;
const MAX_DATA: u32 = 256 * 1024 * 1024;

struct Entry {
    tag: i32,
    typ: u32,
    offset: usize,
    count: usize,
}

/// A parsed header: index entries over a borrowed data store.
pub struct Header<'a> {
    entries: Vec<Entry>,
    data: &'a [u8],
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    b.get(at..at + 4)
        .map(|s| u32::from_be_bytes([s[0], s[1], s[2], s[3]]))
}

impl<'a> Header<'a> {
    /// Parses a header blob. Errors name the byte offset that was bad.
    pub fn parse(blob: &'a [u8]) -> Result<Self, String> {
        let il = be32(blob, 0).ok_or("header shorter than 8 bytes")?;
        let dl = be32(blob, 4).ok_or("header shorter than 8 bytes")?;
        if il == 0 || il > MAX_INDEX {
            return Err(format!("bad index count {il} at offset 0"));
        }
        if dl > MAX_DATA {
            return Err(format!("bad data length {dl} at offset 4"));
        }
        let data_start = 8 + il as usize * 16;
        let data_end = data_start + dl as usize;
        if blob.len() < data_end {
            return Err(format!(
                "header truncated: {} bytes, index and data need {data_end}",
                blob.len()
            ));
        }
        let data = &blob[data_start..data_end];
        let mut entries = Vec::with_capacity(il as usize);
        for k in 0..il as usize {
            let at = 8 + k * 16;
            let tag = be32(blob, at).unwrap_or(0) as i32;
            let typ = be32(blob, at + 4).unwrap_or(0);
            let offset = be32(blob, at + 8).unwrap_or(0) as usize;
            let count = be32(blob, at + 12).unwrap_or(0) as usize;
            if offset > data.len() {
                return Err(format!(
                    "index entry {k} (tag {tag}) points past the data (offset {offset} > {})",
                    data.len()
                ));
            }
            entries.push(Entry {
                tag,
                typ,
                offset,
                count,
            });
        }
        Ok(Header { entries, data })
    }

    fn entry(&self, tag: i32) -> Option<&Entry> {
        self.entries.iter().find(|e| e.tag == tag)
    }

    fn cstr(&self, at: usize) -> Option<&'a str> {
        let rest = self.data.get(at..)?;
        let end = rest.iter().position(|&c| c == 0)?;
        std::str::from_utf8(&rest[..end]).ok()
    }

    /// A STRING (or first I18NSTRING) tag.
    pub fn string(&self, tag: i32) -> Option<&'a str> {
        let e = self.entry(tag)?;
        match e.typ {
            TYPE_STRING | TYPE_I18NSTRING | TYPE_STRING_ARRAY => self.cstr(e.offset),
            _ => None,
        }
    }

    /// A STRING_ARRAY tag (also accepts a single STRING).
    pub fn strings(&self, tag: i32) -> Option<Vec<&'a str>> {
        let e = self.entry(tag)?;
        if !matches!(e.typ, TYPE_STRING_ARRAY | TYPE_STRING | TYPE_I18NSTRING) {
            return None;
        }
        let n = if e.typ == TYPE_STRING { 1 } else { e.count };
        let mut out = Vec::with_capacity(n.min(65536));
        let mut at = e.offset;
        for _ in 0..n {
            let s = self.cstr(at)?;
            at += s.len() + 1;
            out.push(s);
        }
        Some(out)
    }

    /// An INT32 array tag.
    pub fn int32s(&self, tag: i32) -> Option<Vec<u32>> {
        let e = self.entry(tag)?;
        if e.typ != TYPE_INT32 {
            return None;
        }
        let bytes = self
            .data
            .get(e.offset..e.offset.checked_add(e.count.checked_mul(4)?)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        )
    }

    /// Full file paths (BASENAMES/DIRNAMES/DIRINDEXES, or OLDFILENAMES).
    pub fn files(&self) -> Vec<String> {
        if let (Some(base), Some(dirs), Some(idx)) = (
            self.strings(tag::BASENAMES),
            self.strings(tag::DIRNAMES),
            self.int32s(tag::DIRINDEXES),
        ) {
            return base
                .iter()
                .zip(idx.iter())
                .filter_map(|(b, &i)| dirs.get(i as usize).map(|d| format!("{d}{b}")))
                .collect();
        }
        self.strings(tag::OLDFILENAMES)
            .map(|v| v.into_iter().map(String::from).collect())
            .unwrap_or_default()
    }
}

/// Splits a `SOURCERPM` file name `name-version-release.src.rpm` into
/// `(name, version-release)`.
pub fn split_source_rpm(s: &str) -> Option<(String, String)> {
    let base = s.strip_suffix(".rpm")?;
    let base = base.rsplit_once('.').map(|(b, _arch)| b)?;
    let (nv, rel) = base.rsplit_once('-')?;
    let (name, ver) = nv.rsplit_once('-')?;
    Some((name.to_string(), format!("{ver}-{rel}")))
}

/// Decodes a header blob into a [`Package`]. `location` names the database
/// (and record) for the report. The public key pseudo-packages
/// (`gpg-pubkey`) are returned too; callers decide.
pub fn package_from_header(blob: &[u8], location: &str) -> Result<Package, String> {
    let h = Header::parse(blob)?;
    let name = h.string(tag::NAME).ok_or("no NAME tag")?;
    let version = h.string(tag::VERSION).ok_or("no VERSION tag")?;
    let release = h.string(tag::RELEASE).unwrap_or("");
    let epoch = h
        .int32s(tag::EPOCH)
        .and_then(|v| v.first().copied())
        .map(u64::from);
    let evr = crate::version::rpm::Evr::new(epoch, version, release);
    let mut p = Package::new(PackageKind::Rpm, name, &evr.to_string(), location);
    p.epoch = epoch;
    p.arch = h.string(tag::ARCH).map(String::from);
    p.vendor = h.string(tag::VENDOR).map(String::from);
    p.modularity_label = h
        .string(tag::MODULARITYLABEL)
        .filter(|s| !s.is_empty())
        .map(String::from);
    if let Some(src) = h.string(tag::SOURCERPM) {
        if let Some((n, vr)) = split_source_rpm(src) {
            p.source_name = Some(n);
            p.source_version = Some(vr);
        }
    }
    p.files = h.files();
    Ok(p)
}

/// Encodes a header blob from `(tag, value)` pairs: the inverse of
/// [`Header::parse`] for STRING, STRING_ARRAY and INT32 values. Used to
/// build test rpmdbs without the `rpm` binary.
pub fn encode_header(entries: &[(i32, HeaderValue)]) -> Vec<u8> {
    let mut index = Vec::new();
    let mut data: Vec<u8> = Vec::new();
    for (t, v) in entries {
        let (typ, count) = match v {
            HeaderValue::Str(s) => {
                let off = data.len();
                data.extend_from_slice(s.as_bytes());
                data.push(0);
                (TYPE_STRING, (1usize, off))
            }
            HeaderValue::Strs(ss) => {
                let off = data.len();
                for s in ss {
                    data.extend_from_slice(s.as_bytes());
                    data.push(0);
                }
                (TYPE_STRING_ARRAY, (ss.len(), off))
            }
            HeaderValue::Int32(ns) => {
                while data.len() % 4 != 0 {
                    data.push(0);
                }
                let off = data.len();
                for n in ns {
                    data.extend_from_slice(&n.to_be_bytes());
                }
                (TYPE_INT32, (ns.len(), off))
            }
        };
        index.push((*t, typ, count.1 as u32, count.0 as u32));
    }
    let mut out = Vec::new();
    out.extend_from_slice(&(index.len() as u32).to_be_bytes());
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    for (t, typ, off, cnt) in index {
        out.extend_from_slice(&t.to_be_bytes());
        out.extend_from_slice(&typ.to_be_bytes());
        out.extend_from_slice(&off.to_be_bytes());
        out.extend_from_slice(&cnt.to_be_bytes());
    }
    out.extend_from_slice(&data);
    out
}

/// A value for [`encode_header`].
#[derive(Debug, Clone)]
pub enum HeaderValue {
    /// STRING.
    Str(String),
    /// STRING_ARRAY.
    Strs(Vec<String>),
    /// INT32 array.
    Int32(Vec<u32>),
}

/// Encodes a minimal rpm header for a package: NAME, VERSION, RELEASE,
/// ARCH, VENDOR "Amazon Linux", SOURCERPM, EPOCH when given, and the file
/// list. Test and benchmark helper.
pub fn encode_package(
    name: &str,
    epoch: Option<u32>,
    version: &str,
    release: &str,
    arch: &str,
    files: &[&str],
) -> Vec<u8> {
    let mut e = vec![
        (tag::NAME, HeaderValue::Str(name.into())),
        (tag::VERSION, HeaderValue::Str(version.into())),
        (tag::RELEASE, HeaderValue::Str(release.into())),
        (tag::ARCH, HeaderValue::Str(arch.into())),
        (tag::VENDOR, HeaderValue::Str("Amazon Linux".into())),
        (
            tag::SOURCERPM,
            HeaderValue::Str(format!("{name}-{version}-{release}.src.rpm")),
        ),
    ];
    if let Some(ep) = epoch {
        e.push((tag::EPOCH, HeaderValue::Int32(vec![ep])));
    }
    if !files.is_empty() {
        let mut dirs: Vec<String> = Vec::new();
        let mut idx = Vec::new();
        let mut base = Vec::new();
        for f in files {
            let (d, b) = f.rsplit_once('/').unwrap_or(("", f));
            let d = format!("{d}/");
            let i = match dirs.iter().position(|x| *x == d) {
                Some(i) => i,
                None => {
                    dirs.push(d);
                    dirs.len() - 1
                }
            };
            idx.push(i as u32);
            base.push(b.to_string());
        }
        e.push((tag::DIRINDEXES, HeaderValue::Int32(idx)));
        e.push((tag::BASENAMES, HeaderValue::Strs(base)));
        e.push((tag::DIRNAMES, HeaderValue::Strs(dirs)));
    }
    encode_header(&e)
}
