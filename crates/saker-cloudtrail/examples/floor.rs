//! The throughput floor for `saker detect`: what reading and inflating a
//! corpus costs, and what inflating plus the cheapest full JSON parse of
//! every record costs, on one thread, with no rules.
//!
//! `cargo run --release -p saker-cloudtrail --example floor -- MODE DIR`
//!
//! `DIR` is searched recursively for `*.json.gz` files (S3 layout, as
//! written by `saker-demo`'s `replay` example); they are processed in path
//! order, one at a time. `MODE`:
//!
//! - `inflate`: read each file and inflate it with [`saker_cloudtrail::gzip::inflate`]
//!   (the same path `saker detect` uses: libdeflate for single-member objects,
//!   the buffer reused from file to file);
//! - `serde`: `inflate`, then validate the whole `{"Records":[…]}` document
//!   with `serde_json` into `IgnoredAny` (no allocation per value), counting
//!   the records;
//! - `simd`: `inflate`, then build a `simd-json` tape of the whole document
//!   (SIMD structural index + string unescaping), counting the records.
//!
//! Prints one line `mode files gz_bytes raw_bytes records seconds raw_MB/s records/s`
//! (MB = 10^6 bytes; `raw` = inflated JSON).

use std::path::{Path, PathBuf};
use std::time::Instant;

use saker_cloudtrail::gzip;
use serde::de::IgnoredAny;

/// `{"Records":[…]}` with every record parsed and thrown away.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(rename = "Records")]
    records: Vec<IgnoredAny>,
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.to_string_lossy().ends_with(".json.gz") {
            out.push(path);
        }
    }
    Ok(())
}

/// Records in the tape of `{"Records":[…]}`: the length of the array
/// under the top-level key `Records`.
fn tape_records(tape: &simd_json::Tape<'_>) -> u64 {
    use simd_json::Node;
    let nodes = &tape.0;
    let Some(Node::Object { len, .. }) = nodes.first() else {
        return 0;
    };
    // Walk the top-level members: a key node, then its value (containers
    // span `count` further nodes).
    let mut i = 1;
    for _ in 0..*len {
        let key = matches!(nodes.get(i), Some(Node::String("Records")));
        i += 1;
        match nodes.get(i) {
            Some(Node::Array { len, .. }) if key => return *len as u64,
            Some(Node::Array { count, .. }) | Some(Node::Object { count, .. }) => i += 1 + count,
            Some(_) => i += 1,
            None => break,
        }
    }
    0
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(mode), Some(dir)) = (args.first(), args.get(1)) else {
        eprintln!("usage: floor inflate|serde|simd DIR");
        std::process::exit(2);
    };
    if !matches!(mode.as_str(), "inflate" | "serde" | "simd") {
        eprintln!("unknown mode {mode}: inflate, serde or simd");
        std::process::exit(2);
    }
    let mut files = Vec::new();
    if let Err(e) = collect(Path::new(dir), &mut files) {
        eprintln!("{dir}: {e}");
        std::process::exit(1);
    }
    files.sort();

    let (mut gz_bytes, mut raw_bytes, mut records) = (0u64, 0u64, 0u64);
    let mut buffers = simd_json::Buffers::default();
    let start = Instant::now();
    for path in &files {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("{}: {e}", path.display());
                continue;
            }
        };
        gz_bytes += bytes.len() as u64;
        let mut inflated = gzip::inflate(&bytes, 4 << 30);
        if let Some(e) = &inflated.error {
            eprintln!("{}: {e:?}", path.display());
        }
        raw_bytes += inflated.data.len() as u64;
        match mode.as_str() {
            "serde" => match serde_json::from_slice::<Envelope>(&inflated.data) {
                Ok(env) => records += env.records.len() as u64,
                Err(e) => eprintln!("{}: {e}", path.display()),
            },
            "simd" => match simd_json::to_tape_with_buffers(&mut inflated.data, &mut buffers) {
                Ok(tape) => records += tape_records(&tape),
                Err(e) => eprintln!("{}: {e}", path.display()),
            },
            _ => {}
        }
        // As `saker detect` does: the next file inflates into this memory.
        gzip::recycle(inflated.data);
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "{mode} files={} gz_bytes={gz_bytes} raw_bytes={raw_bytes} records={records} seconds={secs:.3} raw_MB/s={:.1} records/s={:.0}",
        files.len(),
        raw_bytes as f64 / 1e6 / secs,
        records as f64 / secs
    );
}
