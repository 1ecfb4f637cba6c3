//! Corpus replay for benchmarks: real CloudTrail records, re-issued with
//! fresh `eventID`s and `eventTime`s, written as gzip objects in the S3
//! layout until a target amount of gzip output exists.
//!
//! Memory is bounded by the corpus (held once, as raw JSON text per
//! top-level key) plus one five-minute window of output per
//! (account, region).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::layout;
use crate::rng::Rng;
use crate::time::{days_from_civil, Utc};
use crate::DemoError;

/// What [`replay_corpus`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplaySummary {
    /// Records read from the corpus.
    pub corpus_records: usize,
    /// Corpus files skipped, with the reason (not JSON, no `Records` array).
    pub skipped_files: Vec<(PathBuf, String)>,
    pub objects: usize,
    pub records: u64,
    pub gzip_bytes: u64,
}

/// One record as its top-level keys in order, values kept as raw JSON.
struct RawRecord(Vec<(String, Box<RawValue>)>);

impl<'de> Deserialize<'de> for RawRecord {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawRecord;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a CloudTrail record object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRecord, A::Error> {
                let mut pairs = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, Box<RawValue>>()? {
                    pairs.push((k, v));
                }
                Ok(RawRecord(pairs))
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "Records")]
    records: Vec<RawRecord>,
}

impl RawRecord {
    fn string_field(&self, key: &str) -> Option<String> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .and_then(|(_, v)| serde_json::from_str::<String>(v.get()).ok())
    }

    /// The record as JSON with `eventID` and `eventTime` replaced.
    fn reissue(&self, event_id: &str, event_time: &str, out: &mut String) {
        out.push('{');
        for (i, (k, v)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&serde_json::to_string(k).expect("string"));
            out.push(':');
            match k.as_str() {
                "eventID" => out.push_str(&serde_json::to_string(event_id).expect("string")),
                "eventTime" => out.push_str(&serde_json::to_string(event_time).expect("string")),
                _ => out.push_str(v.get()),
            }
        }
        out.push('}');
    }
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DemoError> {
    let io = |source| DemoError::Io {
        path: dir.to_path_buf(),
        source,
    };
    if dir.is_file() {
        out.push(dir.to_path_buf());
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.is_dir() {
            collect_files(&path, out)?;
        } else if path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.ends_with(".json") || n.ends_with(".json.gz"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Files skipped while reading a corpus, with the reason.
type Skipped = Vec<(PathBuf, String)>;

fn read_corpus(corpus: &Path) -> Result<(Vec<RawRecord>, Skipped), DemoError> {
    let mut files = Vec::new();
    collect_files(corpus, &mut files)?;
    files.sort();
    let mut records = Vec::new();
    let mut skipped = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).map_err(|source| DemoError::Io {
            path: path.clone(),
            source,
        })?;
        let text = if path.extension().is_some_and(|e| e == "gz") {
            use std::io::Read;
            let mut s = Vec::new();
            match flate2::read::MultiGzDecoder::new(&bytes[..]).read_to_end(&mut s) {
                Ok(_) => s,
                Err(e) => {
                    skipped.push((path, format!("gzip: {e}")));
                    continue;
                }
            }
        } else {
            bytes
        };
        match serde_json::from_slice::<Envelope>(&text) {
            Ok(env) => records.extend(env.records),
            Err(e) => skipped.push((path, e.to_string())),
        }
    }
    Ok((records, skipped))
}

/// Replay the CloudTrail records found under `corpus` (a directory searched
/// recursively for `*.json` / `*.json.gz` files holding `{"Records":[...]}`,
/// or one such file) into `out_dir`, until at least `target_bytes` of gzip
/// output are written.
///
/// Records are drawn in a seeded random order (the whole corpus per pass),
/// keep their content, key order and region, and get a fresh random
/// `eventID` and an `eventTime` advancing by 0.2–1.8 s per record from
/// 2026-11-03T00:00:00Z. They are grouped by (recipient account, region) into
/// one object per five-minute window, shuffled inside the object. Output is
/// written as it is produced.
///
/// # Errors
/// [`DemoError::Io`] for unreadable input or unwritable output;
/// [`DemoError::EmptyCorpus`] if no file held records. Unparseable files are
/// skipped and listed in [`ReplaySummary::skipped_files`].
pub fn replay_corpus(
    corpus: &Path,
    out_dir: &Path,
    target_bytes: u64,
    seed: u64,
) -> Result<ReplaySummary, DemoError> {
    let (corpus_records, skipped) = read_corpus(corpus)?;
    if corpus_records.is_empty() {
        return Err(DemoError::EmptyCorpus(corpus.to_path_buf()));
    }
    let places: Vec<(String, String)> = corpus_records
        .iter()
        .map(|r| {
            (
                r.string_field("recipientAccountId")
                    .unwrap_or_else(|| "000000000000".into()),
                r.string_field("awsRegion")
                    .unwrap_or_else(|| "us-east-1".into()),
            )
        })
        .collect();

    let mut rng = Rng::new(seed).fork("replay");
    let mut summary = ReplaySummary {
        corpus_records: corpus_records.len(),
        skipped_files: skipped,
        objects: 0,
        records: 0,
        gzip_bytes: 0,
    };
    let mut clock_ms = days_from_civil(2026, 11, 3) * 86_400_000;
    let mut window = clock_ms.div_euclid(300_000);
    let mut buffers: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut order: Vec<usize> = (0..corpus_records.len()).collect();

    let flush = |buffers: &mut BTreeMap<(String, String), Vec<String>>,
                 window: i64,
                 rng: &mut Rng,
                 summary: &mut ReplaySummary|
     -> Result<(), DemoError> {
        let delivered = Utc::from_unix((window + 1) * 300);
        for ((account, region), mut records) in std::mem::take(buffers) {
            rng.shuffle(&mut records);
            let key = layout::object_key(&account, &region, delivered, rng);
            summary.gzip_bytes += layout::write_object(out_dir, &key, &records)?;
            summary.records += records.len() as u64;
            summary.objects += 1;
        }
        Ok(())
    };

    'passes: loop {
        rng.shuffle(&mut order);
        for &i in &order {
            clock_ms += rng.range(200, 1800) as i64;
            let w = clock_ms.div_euclid(300_000);
            if w != window {
                flush(&mut buffers, window, &mut rng, &mut summary)?;
                window = w;
                if summary.gzip_bytes >= target_bytes {
                    break 'passes;
                }
            }
            let mut text = String::new();
            corpus_records[i].reissue(
                &rng.uuid(),
                &Utc::from_unix(clock_ms.div_euclid(1000)).event_time(),
                &mut text,
            );
            buffers.entry(places[i].clone()).or_default().push(text);
        }
    }
    Ok(summary)
}
