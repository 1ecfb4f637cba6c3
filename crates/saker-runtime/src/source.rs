//! Where audit lines come from: a log file (read once, or followed across
//! rotation like `tail -F`), or stdin (auditd plugin, pipes).
//!
//! Lines are bytes: a corrupted line may hold non-UTF-8 bytes, and it is
//! the parser that reports it. A final line without newline is delivered
//! at end of input (batch) or when the file is rotated (follow); while
//! following, an incomplete last line waits for its newline.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// Read every line of `r`, calling `on_line(line_number, bytes)` with the
/// newline removed. Returns the number of lines.
///
/// # Errors
/// The reader's I/O error (lines before it were delivered).
pub fn read_lines<R: BufRead>(mut r: R, on_line: &mut dyn FnMut(u64, &[u8])) -> io::Result<u64> {
    let mut buf = Vec::with_capacity(1024);
    let mut n = 0;
    loop {
        buf.clear();
        if r.read_until(b'\n', &mut buf)? == 0 {
            return Ok(n);
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        on_line(n, &buf);
    }
}

/// What a [`Follower::poll`] saw besides lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FollowEvent {
    /// The file was replaced (rotation): the rest of the old file was read,
    /// reading continues at the start of the new one.
    Rotated { at_line: u64 },
    /// The file shrank (truncated in place): reading restarts at 0.
    Truncated { at_line: u64 },
    /// The path is gone (between rotation steps); retried on next poll.
    Missing,
}

/// A file followed across rotation (`tail -F`).
///
/// Rotation is detected by the path's inode changing (auditd's
/// `max_log_file_action = ROTATE` renames `audit.log` to `audit.log.1` and
/// opens a new one) or by the file shrinking (copy-truncate). Line numbers
/// keep counting across files.
pub struct Follower {
    path: PathBuf,
    file: Option<BufReader<File>>,
    ino: u64,
    pos: u64,
    line: u64,
    partial: Vec<u8>,
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    use std::os::unix::fs::MetadataExt;
    m.ino()
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

impl Follower {
    /// Open `path`; `from_end` skips what the file already holds.
    ///
    /// # Errors
    /// The file cannot be opened.
    pub fn open(path: &Path, from_end: bool) -> io::Result<Follower> {
        let mut f = File::open(path)?;
        let meta = f.metadata()?;
        let pos = if from_end {
            f.seek(SeekFrom::End(0))?
        } else {
            0
        };
        Ok(Follower {
            path: path.to_path_buf(),
            file: Some(BufReader::new(f)),
            ino: inode(&meta),
            pos,
            line: 0,
            partial: Vec::new(),
        })
    }

    /// Lines delivered so far.
    pub fn line(&self) -> u64 {
        self.line
    }

    fn drain(&mut self, on_line: &mut dyn FnMut(u64, &[u8])) -> io::Result<u64> {
        let Some(f) = self.file.as_mut() else {
            return Ok(0);
        };
        let mut got = 0;
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let n = f.read(&mut chunk)?;
            if n == 0 {
                return Ok(got);
            }
            self.pos += n as u64;
            got += n as u64;
            let mut rest = &chunk[..n];
            while let Some(i) = rest.iter().position(|&b| b == b'\n') {
                self.partial.extend_from_slice(&rest[..i]);
                self.line += 1;
                on_line(self.line, &self.partial);
                self.partial.clear();
                rest = &rest[i + 1..];
            }
            self.partial.extend_from_slice(rest);
        }
    }

    fn flush_partial(&mut self, on_line: &mut dyn FnMut(u64, &[u8])) {
        if !self.partial.is_empty() {
            self.line += 1;
            on_line(self.line, &self.partial);
            self.partial.clear();
        }
    }

    /// Read what is available; detect rotation and truncation. Returns the
    /// bytes read and what happened to the file.
    ///
    /// # Errors
    /// I/O errors other than the path being temporarily missing.
    pub fn poll(
        &mut self,
        on_line: &mut dyn FnMut(u64, &[u8]),
    ) -> io::Result<(u64, Option<FollowEvent>)> {
        let mut got = self.drain(on_line)?;
        let meta = match std::fs::metadata(&self.path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((got, Some(FollowEvent::Missing)))
            }
            Err(e) => return Err(e),
        };
        if inode(&meta) != self.ino {
            // rotated: finish the old file, then switch
            got += self.drain(on_line)?;
            self.flush_partial(on_line);
            let at_line = self.line;
            let f = File::open(&self.path)?;
            self.ino = inode(&f.metadata()?);
            self.file = Some(BufReader::new(f));
            self.pos = 0;
            got += self.drain(on_line)?;
            return Ok((got, Some(FollowEvent::Rotated { at_line })));
        }
        if meta.len() < self.pos {
            self.flush_partial(on_line);
            if let Some(f) = self.file.as_mut() {
                f.seek(SeekFrom::Start(0))?;
            }
            self.pos = 0;
            let at_line = self.line;
            got += self.drain(on_line)?;
            return Ok((got, Some(FollowEvent::Truncated { at_line })));
        }
        Ok((got, None))
    }

    /// Deliver an incomplete last line (end of a batch read).
    pub fn finish(&mut self, on_line: &mut dyn FnMut(u64, &[u8])) {
        self.flush_partial(on_line);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn lines_without_final_newline_are_delivered() {
        let mut got = Vec::new();
        let n = read_lines(&b"a\nb\r\n\xff\nlast"[..], &mut |i, l| {
            got.push((i, l.to_vec()))
        })
        .unwrap();
        assert_eq!(n, 4);
        assert_eq!(got[3], (4, b"last".to_vec()));
        assert_eq!(got[2], (3, vec![0xff]));
    }

    #[test]
    fn follower_reads_across_rotation_and_truncation() {
        let dir = std::env::temp_dir().join(format!("saker-follow-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("audit.log");
        std::fs::write(&path, "one\ntw").unwrap();
        let mut f = Follower::open(&path, false).unwrap();
        let mut lines: Vec<String> = Vec::new();
        let mut cb = |_: u64, l: &[u8]| lines.push(String::from_utf8_lossy(l).into_owned());
        assert_eq!(f.poll(&mut cb).unwrap().1, None);
        // append the rest of the line, then rotate (rename + new file)
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"o\nthree")
            .unwrap();
        std::fs::rename(&path, dir.join("audit.log.1")).unwrap();
        std::fs::write(&path, "four\n").unwrap();
        let (_, ev) = f.poll(&mut cb).unwrap();
        assert_eq!(ev, Some(FollowEvent::Rotated { at_line: 3 }));
        // truncate in place
        std::fs::write(&path, "").unwrap();
        assert_eq!(
            f.poll(&mut cb).unwrap().1,
            Some(FollowEvent::Truncated { at_line: 4 })
        );
        std::fs::write(&path, "five\n").unwrap();
        f.poll(&mut cb).unwrap();
        assert_eq!(lines, ["one", "two", "three", "four", "five"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
