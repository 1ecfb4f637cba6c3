//! A disk spool: alert bodies that an endpoint did not accept yet.
//!
//! One JSON-lines file per endpoint; each line is one request body as a
//! JSON string. Appends are synced before they return, so an alert in the
//! spool survives a crash and is sent by the next run.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// The spool file of one endpoint.
#[derive(Debug, Clone)]
pub struct Spool {
    path: PathBuf,
}

impl Spool {
    /// The spool of endpoint `name` in `dir` (created if missing). The file
    /// name is `name` with every character outside `[A-Za-z0-9._-]` replaced
    /// by `_`, plus `.spool.jsonl`.
    ///
    /// # Errors
    /// The directory cannot be created.
    pub fn open(dir: &Path, name: &str) -> io::Result<Spool> {
        fs::create_dir_all(dir)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", dir.display())))?;
        let safe: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        Ok(Spool {
            path: dir.join(format!("{safe}.spool.jsonl")),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Append bodies, synced to disk.
    ///
    /// # Errors
    /// The spool file cannot be written: the bodies are not durable.
    pub fn append(&self, bodies: &[String]) -> io::Result<()> {
        if bodies.is_empty() {
            return Ok(());
        }
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)?;
        let mut buf = String::new();
        for b in bodies {
            buf.push_str(&serde_json::to_string(b).map_err(io::Error::other)?);
            buf.push('\n');
        }
        f.write_all(buf.as_bytes())?;
        f.sync_data()
    }

    /// The spooled bodies, oldest first. A damaged line (a torn write at a
    /// crash) is skipped.
    ///
    /// # Errors
    /// The spool file exists but cannot be read.
    pub fn load(&self) -> io::Result<Vec<String>> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| serde_json::from_str::<String>(l).ok())
                .collect()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// Replace the spool with `rest` (the bodies not sent yet): written to a
    /// temporary file, synced, then renamed over the spool.
    ///
    /// # Errors
    /// The spool cannot be rewritten; it then still holds every body
    /// (some may be sent twice).
    pub fn replace(&self, rest: &[String]) -> io::Result<()> {
        if rest.is_empty() {
            return match fs::remove_file(&self.path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            };
        }
        let tmp = self.path.with_extension("jsonl.tmp");
        {
            let mut f = fs::File::create(&tmp)?;
            for b in rest {
                writeln!(f, "{}", serde_json::to_string(b).map_err(io::Error::other)?)?;
            }
            f.sync_data()?;
        }
        fs::rename(&tmp, &self.path)
    }
}
