//! Falco JSON alerts appended to a file, one per line, synced on flush.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use saker_rules::output::{Alert, JsonOptions};

use crate::AlertSink;

/// A JSON-lines file of Falco JSON alerts (`json_output: true` layout).
///
/// The file is opened for appending (created if missing), so runs add to
/// it. [`flush`](AlertSink::flush) writes the buffered lines and syncs the
/// file to disk (`fdatasync`): once it returned, the alerts survive a crash
/// of the process or of the machine.
pub struct JsonLinesFileSink {
    path: PathBuf,
    out: BufWriter<File>,
    opts: JsonOptions,
}

impl JsonLinesFileSink {
    /// Open `path` for appending.
    ///
    /// # Errors
    /// The file cannot be created or opened; the error names the path.
    pub fn open(path: impl AsRef<Path>, opts: JsonOptions) -> io::Result<Self> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(JsonLinesFileSink {
            path,
            out: BufWriter::new(file),
            opts,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AlertSink for JsonLinesFileSink {
    fn deliver(&mut self, alert: &Alert, _raw: &str) -> io::Result<()> {
        writeln!(self.out, "{}", alert.to_json(&self.opts))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()?;
        self.out.get_ref().sync_data()
    }
}
