//! Local inputs: files, directories (walked recursively in a stable order)
//! and `-` for standard input.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One unit of local input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceUnit {
    /// A regular file, named as the user wrote it (or as found under a
    /// directory they named).
    File(PathBuf),
    /// Standard input (`-`).
    Stdin,
    /// Content already fetched from a remote source: an S3 object
    /// (`name` = `s3://bucket/key`) or an SQS message body
    /// (`name` = `sqs://…#message-id`).
    Fetched { name: String, bytes: Arc<[u8]> },
}

impl SourceUnit {
    /// The name used in messages and skip locations: the path, or `<stdin>`.
    pub fn display_name(&self) -> String {
        match self {
            SourceUnit::File(p) => p.display().to_string(),
            SourceUnit::Stdin => "<stdin>".to_string(),
            SourceUnit::Fetched { name, .. } => name.clone(),
        }
    }

    /// The path, for file units (used to filter S3-layout files by name
    /// before opening them).
    pub fn path(&self) -> Option<&Path> {
        match self {
            SourceUnit::File(p) => Some(p),
            SourceUnit::Stdin | SourceUnit::Fetched { .. } => None,
        }
    }

    /// Read the whole unit into memory. CloudTrail delivers objects of at
    /// most tens of MB, so whole-buffer reads are the fast path for
    /// decompression and parsing.
    ///
    /// # Errors
    /// The I/O error, e.g. permission denied or a file removed after the
    /// directory walk.
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        match self {
            SourceUnit::File(p) => read_bounded(std::fs::File::open(p)?),
            SourceUnit::Stdin => read_bounded(io::stdin().lock()),
            SourceUnit::Fetched { bytes, .. } => Ok(bytes.to_vec()),
        }
    }

    /// The unit's bytes: read (files, stdin) or borrowed (fetched units,
    /// without a copy).
    ///
    /// # Errors
    /// As [`read_all`](Self::read_all).
    pub fn bytes(&self) -> io::Result<Cow<'_, [u8]>> {
        match self {
            SourceUnit::Fetched { bytes, .. } => Ok(Cow::Borrowed(bytes)),
            _ => self.read_all().map(Cow::Owned),
        }
    }
}

/// Largest unit read into memory: 1 GiB (CloudTrail delivers objects of at
/// most tens of MB). Bounds memory on endless inputs such as `/dev/zero` or
/// a pipe that never closes.
pub const MAX_UNIT_BYTES: u64 = 1 << 30;

/// Read at most [`MAX_UNIT_BYTES`]; a longer input is an error, not a
/// truncated read.
fn read_bounded(r: impl Read) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(MAX_UNIT_BYTES + 1).read_to_end(&mut buf)?;
    if buf.len() as u64 > MAX_UNIT_BYTES {
        return Err(io::Error::other(format!(
            "input larger than {MAX_UNIT_BYTES} bytes; split it (saker reads each file or stream whole)"
        )));
    }
    Ok(buf)
}

impl fmt::Display for SourceUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display_name())
    }
}

/// A named input that could not be used at all.
#[derive(Debug, thiserror::Error)]
#[error("{input}: {source}")]
pub struct InputError {
    /// The input as the user named it (or a path found under it).
    pub input: String,
    #[source]
    pub source: io::Error,
}

/// Expand command-line inputs into source units, in order.
///
/// * `-` is standard input (at most once; later `-` are ignored).
/// * A file is used as is, whatever its name: content, not the name, decides
///   how it is decoded.
/// * A directory is walked recursively; entries are sorted by file name at
///   each level so runs are reproducible. Every regular file found is a unit
///   (non-CloudTrail files are reported as skipped by the decoder, never
///   silently ignored). Symbolic links to files are followed; symlinked
///   directories are not descended into (no cycles).
///
/// Inputs that cannot be read (missing path, unreadable directory) are
/// returned as errors beside the units; the caller reports them and goes
/// on with the rest.
pub fn expand_inputs<S: AsRef<str>>(inputs: &[S]) -> (Vec<SourceUnit>, Vec<InputError>) {
    let mut units = Vec::new();
    let mut errors = Vec::new();
    let mut stdin_seen = false;
    for input in inputs {
        let input = input.as_ref();
        if input == "-" {
            if !stdin_seen {
                units.push(SourceUnit::Stdin);
                stdin_seen = true;
            }
            continue;
        }
        let path = Path::new(input);
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk_dir(path, &mut units, &mut errors),
            Ok(_) => units.push(SourceUnit::File(path.to_path_buf())),
            Err(source) => errors.push(InputError {
                input: input.to_string(),
                source,
            }),
        }
    }
    (units, errors)
}

fn walk_dir(dir: &Path, units: &mut Vec<SourceUnit>, errors: &mut Vec<InputError>) {
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        match entry {
            Ok(entry) => {
                let ft = entry.file_type();
                if ft.is_file() {
                    units.push(SourceUnit::File(entry.into_path()));
                } else if ft.is_symlink() {
                    // A link to a file is data the user put there; a link to a
                    // directory is not followed.
                    if std::fs::metadata(entry.path()).is_ok_and(|m| m.is_file()) {
                        units.push(SourceUnit::File(entry.into_path()));
                    }
                }
            }
            Err(err) => {
                let input = err
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| dir.display().to_string());
                let source = err
                    .into_io_error()
                    .unwrap_or_else(|| io::Error::other("directory walk failed"));
                errors.push(InputError { input, source });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_walk_recursively_in_name_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("b/inner")).unwrap();
        std::fs::create_dir_all(root.join("a")).unwrap();
        for f in ["b/inner/z.json", "b/y.json.gz", "a/x.json", "c.json"] {
            std::fs::write(root.join(f), b"{}").unwrap();
        }
        let (units, errors) = expand_inputs(&[root.to_str().unwrap()]);
        assert!(errors.is_empty());
        let rel: Vec<String> = units
            .iter()
            .map(|u| {
                u.path()
                    .unwrap()
                    .strip_prefix(root)
                    .unwrap()
                    .display()
                    .to_string()
            })
            .collect();
        assert_eq!(rel, ["a/x.json", "b/inner/z.json", "b/y.json.gz", "c.json"]);
    }

    #[test]
    fn missing_inputs_are_reported_and_the_rest_kept() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f.json");
        std::fs::write(&file, b"[]").unwrap();
        let missing = tmp.path().join("nope");
        let (units, errors) =
            expand_inputs(&[missing.to_str().unwrap(), file.to_str().unwrap(), "-", "-"]);
        assert_eq!(units, [SourceUnit::File(file.clone()), SourceUnit::Stdin]);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("nope"));
    }

    #[test]
    fn real_cloudtrail_tree_is_fully_listed() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/cloudtrail/invictus"
        );
        let (units, errors) = expand_inputs(&[dir]);
        assert!(errors.is_empty());
        let json = units
            .iter()
            .filter(|u| u.display_name().ends_with(".json"))
            .count();
        assert_eq!(json, 55, "the invictus set has 55 delivery files");
    }
}
