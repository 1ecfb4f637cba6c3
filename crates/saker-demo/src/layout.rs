//! CloudTrail's S3 delivery layout: object keys and gzip-compressed
//! `{"Records":[...]}` objects.
//!
//! Key shape (AWS CloudTrail User Guide, "Finding your CloudTrail log
//! files"): `AWSLogs/<account>/CloudTrail/<region>/<YYYY>/<MM>/<DD>/
//! <account>_CloudTrail_<region>_<YYYYMMDDTHHMMZ>_<16 alphanumerics>.json.gz`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::rng::Rng;
use crate::time::Utc;
use crate::DemoError;

/// The object key (relative path) of a log file delivered at `delivered`.
pub fn object_key(account: &str, region: &str, delivered: Utc, rng: &mut Rng) -> String {
    format!(
        "AWSLogs/{account}/CloudTrail/{region}/{}/{account}_CloudTrail_{region}_{}_{}.json.gz",
        delivered.date_path(),
        delivered.object_stamp(),
        rng.alnum(16)
    )
}

/// Write `records` (each one serialised JSON object) as a gzip
/// `{"Records":[...]}` object at `root/key`, creating directories.
/// Returns the compressed size in bytes.
///
/// # Errors
/// [`DemoError::Io`] naming the file.
pub fn write_object(root: &Path, key: &str, records: &[String]) -> Result<u64, DemoError> {
    let path: PathBuf = root.join(key);
    let io = |source| DemoError::Io {
        path: path.clone(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(io)?;
    }
    let file = File::create(&path).map_err(io)?;
    let mut gz = GzEncoder::new(BufWriter::new(file), Compression::default());
    gz.write_all(b"{\"Records\":[").map_err(io)?;
    for (i, r) in records.iter().enumerate() {
        if i > 0 {
            gz.write_all(b",").map_err(io)?;
        }
        gz.write_all(r.as_bytes()).map_err(io)?;
    }
    gz.write_all(b"]}").map_err(io)?;
    let mut out = gz.finish().map_err(io)?;
    out.flush().map_err(io)?;
    let file = out.into_inner().map_err(|e| io(e.into_error()))?;
    Ok(file.metadata().map_err(io)?.len())
}
