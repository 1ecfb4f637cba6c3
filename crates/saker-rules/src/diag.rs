//! Diagnostics: the errors and warnings of loading and compiling rules, with
//! Falco's codes (`falco_load_result.cpp`) and a file:line:column location.

use std::fmt;
use std::sync::Arc;

/// Error stops the load (Falco exits); warning lets it continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// A position in a rules file: 1-based line and column (columns count
/// characters, not bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The file as the user named it (or `<string>` for in-memory content).
    pub file: Arc<str>,
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// The kind of a rules-file item, as Falco names them in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    RequiredEngineVersion,
    RequiredPluginVersions,
    List,
    Macro,
    Rule,
    Unknown,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::RequiredEngineVersion => "required_engine_version",
            ItemKind::RequiredPluginVersions => "required_plugin_versions",
            ItemKind::List => "list",
            ItemKind::Macro => "macro",
            ItemKind::Rule => "rule",
            ItemKind::Unknown => "item",
        }
    }
}

/// One error or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Falco's code, e.g. `LOAD_ERR_COMPILE_CONDITION`, `LOAD_UNKNOWN_KEY`.
    pub code: &'static str,
    pub message: String,
    pub location: Option<Location>,
    /// The item the diagnostic is about: its kind and name.
    pub item: Option<(ItemKind, String)>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            item: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    pub fn about(mut self, kind: ItemKind, name: impl Into<String>) -> Self {
        self.item = Some((kind, name.into()));
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// `file:line:col: error: message (rule 'Name') [CODE]`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(loc) = &self.location {
            write!(f, "{loc}: ")?;
        }
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}", self.message)?;
        if let Some((kind, name)) = &self.item {
            write!(f, " ({} '{}')", kind.as_str(), name)?;
        }
        write!(f, " [{}]", self.code)
    }
}
