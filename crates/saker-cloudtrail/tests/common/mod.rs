//! Helpers shared by the integration tests: paths into `../shared/data` and
//! owned decode results.
#![allow(dead_code)]

use saker_cloudtrail::{decode, CloudTrailEvent, CloudTrailFields, DecodeOptions, Item, Skip};
use saker_rules::fields::{Event, FieldTable, Value};
use std::path::{Path, PathBuf};

/// `../shared/data/cloudtrail/<rel>` from the repository root.
pub fn data(rel: &str) -> PathBuf {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/cloudtrail"
    ))
    .join(rel)
}

/// Owned summary of decoding one input.
#[derive(Debug, Default)]
pub struct Decoded {
    /// Raw text of each yielded record.
    pub records: Vec<String>,
    pub skips: Vec<Skip>,
    pub digests: usize,
    pub insights: usize,
}

pub fn decode_bytes(bytes: &[u8], name: &str, opts: &DecodeOptions) -> Decoded {
    let mut d = Decoded::default();
    decode(bytes, name, opts, |item| match item {
        Item::Record(r) => d.records.push(r.event.raw().to_string()),
        Item::Skip(s) => d.skips.push(s),
        Item::Digest(_) => d.digests += 1,
        Item::Insight { .. } => d.insights += 1,
    });
    d
}

pub fn decode_path(p: &Path) -> Decoded {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    decode_bytes(&bytes, &p.display().to_string(), &DecodeOptions::default())
}

/// Extract `field` (`name` or `name[arg]`) from `ev` rendered as Falco text,
/// `None` if absent.
pub fn field(ev: &CloudTrailEvent<'_>, token: &str) -> Option<String> {
    let (name, arg) = match token.find('[') {
        Some(i) => (&token[..i], Some(&token[i + 1..token.len() - 1])),
        None => (token, None),
    };
    let rf = CloudTrailFields
        .resolve(name, arg)
        .unwrap_or_else(|e| panic!("{token}: {e}"));
    ev.extract(&rf).map(|v| {
        let mut s = String::new();
        v.render(&mut s);
        s
    })
}

/// The extracted value itself.
pub fn value<'e>(ev: &'e CloudTrailEvent<'_>, token: &str) -> Option<Value<'e>> {
    let (name, arg) = match token.find('[') {
        Some(i) => (&token[..i], Some(&token[i + 1..token.len() - 1])),
        None => (token, None),
    };
    let rf = CloudTrailFields.resolve(name, arg).unwrap();
    ev.extract(&rf)
}

/// Find the record with `eventID == id` among `records` and run `f` on it.
pub fn with_record<R>(
    records: &[String],
    id: &str,
    f: impl FnOnce(&CloudTrailEvent<'_>) -> R,
) -> R {
    let raw = records
        .iter()
        .find(|r| {
            CloudTrailEvent::parse(r.as_bytes())
                .ok()
                .and_then(|e| e.event_id().map(|x| x == id))
                .unwrap_or(false)
        })
        .unwrap_or_else(|| panic!("no record with eventID {id}"));
    let ev = CloudTrailEvent::parse(raw.as_bytes()).unwrap();
    f(&ev)
}

/// Every regular file below `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
