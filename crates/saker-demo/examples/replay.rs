//! Build a benchmark corpus by replaying real CloudTrail records:
//! `cargo run --release -p saker-demo --example replay -- OUT_DIR BYTES [CORPUS_DIR] [SEED]`.
//!
//! `BYTES` is the gzip output target (suffixes `K`, `M`, `G` are powers of
//! 1000). `CORPUS_DIR` defaults to `../shared/data/cloudtrail/invictus`
//! relative to the repository root; `SEED` defaults to 1. Prints the
//! [`saker_demo::ReplaySummary`] counts.

use std::path::PathBuf;

fn parse_bytes(s: &str) -> Option<u64> {
    let (num, mult) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1_000),
        'M' | 'm' => (&s[..s.len() - 1], 1_000_000),
        'G' | 'g' => (&s[..s.len() - 1], 1_000_000_000),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mult)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(out), Some(bytes)) = (args.first(), args.get(1).and_then(|b| parse_bytes(b))) else {
        eprintln!("usage: replay OUT_DIR BYTES[K|M|G] [CORPUS_DIR] [SEED]");
        std::process::exit(2);
    };
    let corpus = args.get(2).map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/cloudtrail/invictus")
    });
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(1);
    let started = std::time::Instant::now();
    match saker_demo::replay_corpus(&corpus, std::path::Path::new(out), bytes, seed) {
        Ok(s) => {
            println!(
                "{} records ({} distinct in the corpus) in {} objects, {} bytes gzip, in {:.1?}",
                s.records,
                s.corpus_records,
                s.objects,
                s.gzip_bytes,
                started.elapsed()
            );
            for (path, why) in &s.skipped_files {
                eprintln!("skipped {}: {why}", path.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
