//! # saker-demo — simulated CloudTrail
//!
//! Two generators of CloudTrail log files in the S3 delivery layout
//! (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/…json.gz`):
//!
//! * [`generate_demo_day`]: one day of a fictional account (`111122223333`,
//!   "ExampleCorp") — AWS services and agents, console administrators, CI
//!   pipelines, a nightly backup job — with an attack story woven in (see
//!   [`story`]). Deterministic for a seed; a few thousand records, so a demo
//!   runs in about a second.
//! * [`replay_corpus`]: for benchmarks, replays real records from a corpus
//!   directory with fresh event ids and times until a target size of gzip
//!   output is reached, streaming.
//!
//! Record shapes copy real CloudTrail (key order, `eventVersion`,
//! `userIdentity` variants, `tlsDetails`, …); every value is our own.

mod estate;
mod json;
mod layout;
mod record;
mod replay;
mod rng;
pub mod story;
mod time;
mod traffic;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use record::{ACCOUNT_ID, ACCOUNT_NAME};
pub use replay::{replay_corpus, ReplaySummary};

use estate::Estate;
use rng::Rng;
use time::Utc;

/// Errors of the generators.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The replay corpus held no usable record.
    #[error("no CloudTrail records (files with a \"Records\" array) under {0}")]
    EmptyCorpus(PathBuf),
}

/// The simulated day: 2026-11-02 (UTC).
pub const DEMO_DAY: (i64, u32, u32) = (2026, 11, 2);

/// One call of the attack story as written to the logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttackEvent {
    /// What the step is, e.g. `ssh opened to 0.0.0.0/0`.
    pub label: String,
    pub event_name: String,
    pub event_id: String,
    /// `eventTime` text.
    pub event_time: String,
    pub region: String,
    /// The object key holding the record.
    pub object_key: String,
}

/// What [`generate_demo_day`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    pub account_id: String,
    /// The day, `YYYY-MM-DD`.
    pub day: String,
    /// Object keys written, relative to the output directory, sorted.
    pub objects: Vec<String>,
    pub records: usize,
    /// Total size of the gzip objects.
    pub gzip_bytes: u64,
    /// The account's own images: what a user would put in `approved_images`.
    pub approved_images: Vec<String>,
    /// Regions the account normally uses (`approved_regions`).
    pub home_regions: Vec<String>,
    /// The intruder's source IP.
    pub attacker_ip: String,
    /// The attack's calls, in story order.
    pub attack: Vec<AttackEvent>,
}

struct Pending {
    time: i64,
    record: String,
    attack: Option<usize>,
}

/// Write one simulated day of CloudTrail for the example account under
/// `out_dir` (created if missing) and describe it. The same `seed` always
/// gives byte-identical files.
///
/// Records are grouped into one gzip object per region and five-minute
/// window, named after the window's end, and shuffled inside an object as
/// CloudTrail does not sort them.
///
/// # Errors
/// [`DemoError::Io`] if a directory or file cannot be written.
pub fn generate_demo_day(out_dir: &Path, seed: u64) -> Result<DemoSummary, DemoError> {
    let root = Rng::new(seed);
    let (y, m, d) = DEMO_DAY;
    let day = time::days_from_civil(y, m, d) * 86_400;
    let estate = Estate::new(&mut root.fork("estate"), day);

    let mut calls: Vec<(Option<&'static str>, record::Call)> =
        traffic::routine(&mut root.fork("traffic"), &estate, day)
            .into_iter()
            .map(|c| (None, c))
            .collect();
    let mut story_rng = root.fork("story");
    let start = day + 14 * 3600 + story_rng.below(1800) as i64;
    let story_calls = story::attack(&mut story_rng, &estate, start);
    let n_story = story_calls.len();
    calls.extend(story_calls.into_iter().map(|(l, c)| (Some(l), c)));

    // Records, bucketed by (region, five-minute window).
    let mut ids = root.fork("ids");
    let mut buckets: BTreeMap<(String, i64), Vec<Pending>> = BTreeMap::new();
    let mut attack = vec![None; n_story];
    let mut labels = Vec::with_capacity(n_story);
    for (label, call) in &calls {
        let rec = call.record(&mut ids);
        let attack_idx = label.map(|l| {
            labels.push(l);
            labels.len() - 1
        });
        if let Some(i) = attack_idx {
            attack[i] = Some((call.clone(), rec.clone()));
        }
        let record = serde_json::to_string(&rec).expect("serialising an in-memory JSON value");
        buckets
            .entry((call.region.clone(), call.time.div_euclid(300)))
            .or_default()
            .push(Pending {
                time: call.time,
                record,
                attack: attack_idx,
            });
    }

    let mut files = root.fork("files");
    let mut summary = DemoSummary {
        account_id: ACCOUNT_ID.to_string(),
        day: format!("{y:04}-{m:02}-{d:02}"),
        objects: Vec::new(),
        records: 0,
        gzip_bytes: 0,
        approved_images: estate.approved_images.clone(),
        home_regions: estate::HOME_REGIONS.iter().map(|r| r.to_string()).collect(),
        attacker_ip: story::ATTACKER_IP.to_string(),
        attack: Vec::new(),
    };
    let mut attack_keys = vec![String::new(); n_story];
    for ((region, window), mut pending) in buckets {
        let delivered = Utc::from_unix((window + 1) * 300);
        let key = layout::object_key(ACCOUNT_ID, &region, delivered, &mut files);
        files.shuffle(&mut pending);
        debug_assert!(pending.iter().all(|p| p.time.div_euclid(300) == window));
        for p in &pending {
            if let Some(i) = p.attack {
                attack_keys[i] = key.clone();
            }
        }
        let records: Vec<String> = pending.into_iter().map(|p| p.record).collect();
        summary.gzip_bytes += layout::write_object(out_dir, &key, &records)?;
        summary.records += records.len();
        summary.objects.push(key);
    }
    summary.objects.sort();
    for (i, slot) in attack.into_iter().enumerate() {
        let (call, rec) = slot.expect("every story call was recorded");
        summary.attack.push(AttackEvent {
            label: labels[i].to_string(),
            event_name: call.name.to_string(),
            event_id: rec
                .get("eventID")
                .and_then(json::J::as_str)
                .unwrap_or_default()
                .to_string(),
            event_time: Utc::from_unix(call.time).event_time(),
            region: call.region.clone(),
            object_key: attack_keys[i].clone(),
        });
    }
    Ok(summary)
}
