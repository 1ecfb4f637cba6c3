//! Errors in framework and mutelist files: every problem with its file,
//! line and column.

use std::fmt;

/// One problem at a place in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line; 0 when the problem is not tied to a line.
    pub line: u64,
    /// 1-based column; 0 when unknown.
    pub column: u64,
    pub message: String,
}

/// Every problem found in one data file (a framework or a mutelist). Shown
/// as one `FILE:LINE:COLUMN: message` line per problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFileError {
    /// The file path, or `built-in:NAME` for embedded files.
    pub origin: String,
    pub problems: Vec<Problem>,
}

impl DataFileError {
    /// A single problem.
    pub fn one(origin: &str, line: u64, column: u64, message: impl Into<String>) -> Self {
        DataFileError {
            origin: origin.to_string(),
            problems: vec![Problem {
                line,
                column,
                message: message.into(),
            }],
        }
    }

    /// A YAML syntax or shape error from `serde_saphyr`, with its location
    /// and without the source snippet.
    pub fn from_yaml(origin: &str, e: &serde_saphyr::Error) -> Self {
        let (line, column) = e
            .location()
            .map(|l| (l.line(), l.column()))
            .unwrap_or((0, 0));
        let text = e.without_snippet().to_string();
        // serde_saphyr prefixes "error: line L column C: "; we print the
        // place ourselves.
        let message = match text.split_once(": ") {
            Some((_, rest)) if text.starts_with("error: line ") => rest
                .split_once(": ")
                .map(|(_, m)| m.to_string())
                .unwrap_or_else(|| rest.to_string()),
            _ => text.strip_prefix("error: ").unwrap_or(&text).to_string(),
        };
        Self::one(origin, line, column, message.trim().to_string())
    }
}

impl fmt::Display for DataFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.problems.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match (p.line, p.column) {
                (0, _) => write!(f, "{}: {}", self.origin, p.message)?,
                (l, 0) => write!(f, "{}:{l}: {}", self.origin, p.message)?,
                (l, c) => write!(f, "{}:{l}:{c}: {}", self.origin, p.message)?,
            }
        }
        Ok(())
    }
}

impl std::error::Error for DataFileError {}
