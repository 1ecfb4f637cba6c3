//! Loading Falco rules files: YAML items → resolved [`RuleDef`]s.
//!
//! Reproduces Falco's rule loader (`rule_loader_reader.cpp`,
//! `rule_loader_collector.cpp`, `rule_loader_compiler.cpp`,
//! `filter_macro_resolver.cpp`), as specified in
//! `shared/reference/falco.md` §1–§2:
//!
//! * files are read in load order into **one collector**, so a later file
//!   can append to or override an earlier file's items;
//! * lists are substituted **textually** into conditions, exceptions are
//!   appended as text (`(cond) and not …`), the text is parsed, then macros
//!   are expanded in the AST (with Falco's visibility rules and loop
//!   detection);
//! * every error and warning carries Falco's code (`LOAD_ERR_*`, `LOAD_*`),
//!   its message, the file:line:column and the item.
//!
//! Differences from Falco, on purpose:
//! * Falco stops at the first error; the loader reports **every** error it
//!   can find (the first of each item, each broken condition) and never
//!   panics. The result is unusable as soon as one error exists
//!   ([`LoadResult::has_errors`]).
//! * Falco recompiles everything after each file; so does
//!   [`Loader::load_str`] (errors only), and [`Loader::finish`] compiles
//!   once more for the final rules and the unused list/macro warnings, so
//!   an error is reported once even if it shows in several passes.
//! * Type checking against the field tables (unknown fields, operators,
//!   values, outputs) is the next step, `Ruleset::compile`; the loader only
//!   uses the tables to know which sources exist (`LOAD_UNKNOWN_SOURCE`),
//!   to check exception `fields`, and for `required_plugin_versions`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use saker_rules::loader::Loader;
//! # fn tables() -> Vec<Arc<dyn saker_rules::fields::FieldTable>> { vec![] }
//! let mut loader = Loader::new(tables());
//! loader.load_path("rules/aws_cloudtrail_rules.yaml");
//! loader.load_path("/etc/saker/rules.d");
//! let result = loader.finish();
//! for d in &result.diagnostics {
//!     eprintln!("{d}");
//! }
//! assert!(!result.has_errors());
//! ```

mod collector;
mod exceptions;
mod items;
mod lists;
mod macros;
mod resolve;
mod versions;
pub mod yaml;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, ItemKind, Location};
use crate::fields::FieldTable;
use crate::RuleDef;

pub use resolve::SkippedRule;
pub use versions::{PluginRequirement, Version};

use collector::Collector;

/// The Falco engine version saker declares, for `required_engine_version`
/// (Falco master; Falco 0.44.1 is engine 0.62.0).
pub const FALCO_ENGINE_VERSION: Version = Version::new(0, 63, 0);

/// Counts for summaries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LoadStats {
    /// Files read (directory entries expanded), in load order.
    pub files: Vec<String>,
    /// Distinct lists, macros and rules (after redefinitions).
    pub lists: usize,
    pub macros: usize,
    pub rules: usize,
}

/// What loading produced.
#[derive(Debug, Clone)]
pub struct LoadResult {
    /// Rules whose source has a field table, in Falco's evaluation order
    /// (first-definition order across files). Each has its condition
    /// macro-expanded and its `condition_text` (what was parsed). Rules with
    /// an error are missing, so only use this when [`Self::has_errors`] is
    /// false.
    pub rules: Vec<RuleDef>,
    /// Rules skipped because no table serves their `source` (each also has
    /// a `LOAD_UNKNOWN_SOURCE` warning).
    pub skipped_rules: Vec<SkippedRule>,
    /// Every error and warning, in the order found.
    pub diagnostics: Vec<Diagnostic>,
    /// The highest `required_engine_version` seen.
    pub required_engine_version: Option<Version>,
    /// Every `required_plugin_versions` entry, in order.
    pub required_plugin_versions: Vec<PluginRequirement>,
    /// Every list as loaded (appends and overrides applied), in
    /// first-definition order. Lets callers other than the condition
    /// compiler read a list's values (e.g. posture check parameters).
    pub lists: Vec<ResolvedList>,
    pub stats: LoadStats,
}

/// A list's final items: an item naming an earlier-defined list is
/// replaced by that list's items (one level, as Falco expands lists);
/// items are as written in the YAML, unquoted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedList {
    pub name: String,
    pub items: Vec<String>,
    /// Where the list's latest definition (not append) is.
    pub location: Location,
}

impl LoadResult {
    /// True when any diagnostic is an error: the rules must not be used.
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }

    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| !d.is_error())
    }

    /// The list called `name`, if any file defined it.
    pub fn list(&self, name: &str) -> Option<&ResolvedList> {
        self.lists.iter().find(|l| l.name == name)
    }
}

/// Loads rules files in order into one collector.
pub struct Loader {
    collector: Collector,
    diagnostics: Vec<Diagnostic>,
    /// Errors already reported by a compile pass (message + location).
    reported: HashSet<(String, Option<Location>)>,
    files: Vec<String>,
}

impl Loader {
    /// A loader for rules whose sources are served by `tables` (e.g. the
    /// `aws_cloudtrail` and `syscall` tables). Rules of other sources are
    /// skipped with `LOAD_UNKNOWN_SOURCE`.
    pub fn new(tables: Vec<Arc<dyn FieldTable>>) -> Self {
        Loader {
            collector: Collector::new(tables),
            diagnostics: Vec::new(),
            reported: HashSet::new(),
            files: Vec::new(),
        }
    }

    /// Load a file or a directory.
    ///
    /// * A directory is expanded to its regular files (symlinks followed),
    ///   **not** recursively, sorted by byte order of their names, keeping
    ///   only `*.yaml` and `*.yml` — as Falco does.
    /// * An explicit file whose name does not end in `.yaml`/`.yml` is
    ///   ignored, as Falco does; we add a warning (code
    ///   `SAKER_IGNORED_FILE`) so the user knows.
    /// * A path that cannot be read gives `LOAD_ERR_FILE_READ`.
    pub fn load_path(&mut self, path: impl AsRef<Path>) {
        let path = path.as_ref();
        let display = path.display().to_string();
        if path.is_dir() {
            let entries = match std::fs::read_dir(path) {
                Ok(e) => e,
                Err(e) => return self.file_error(&display, &e.to_string()),
            };
            let mut files: Vec<PathBuf> = entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file() && has_yaml_extension(p) && !is_rule_tests_file(p))
                .collect();
            files.sort_by(|a, b| {
                a.as_os_str()
                    .as_encoded_bytes()
                    .cmp(b.as_os_str().as_encoded_bytes())
            });
            for f in files {
                self.load_file(&f);
            }
        } else if !has_yaml_extension(path) {
            self.diagnostics.push(Diagnostic::warning(
                "SAKER_IGNORED_FILE",
                format!("{display}: not a .yaml or .yml file, ignored (as Falco does)"),
            ));
        } else {
            self.load_file(path);
        }
    }

    fn file_error(&mut self, display: &str, why: &str) {
        self.diagnostics.push(
            Diagnostic::error(
                "LOAD_ERR_FILE_READ",
                format!("Could not read rules file {display}: {why}"),
            )
            .at(Location {
                file: Arc::from(display),
                line: 1,
                col: 1,
            }),
        );
    }

    fn load_file(&mut self, path: &Path) {
        let display = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => self.load_str(&display, &text),
                Err(e) => self.file_error(
                    &display,
                    &format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
                ),
            },
            Err(e) => self.file_error(&display, &e.to_string()),
        }
    }

    /// Load rules content held in memory; `name` is used in locations.
    /// After the file, everything collected so far is compiled, as Falco
    /// does, and new errors are reported.
    pub fn load_str(&mut self, name: &str, text: &str) {
        self.files.push(name.to_string());
        let file: Arc<str> = Arc::from(name);
        let mut diags = Vec::new();
        items::FileReader::new(file, text, &mut self.collector, &mut diags).read(text);
        self.diagnostics.extend(diags);
        let compiled = resolve::compile(&self.collector);
        for d in compiled
            .diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
        {
            self.report_once(d);
        }
    }

    /// Load a rules file compiled into the binary (`include_str!`); its
    /// locations read `<builtin>/<name>`.
    pub fn load_embedded(&mut self, name: &str, text: &'static str) {
        self.load_str(&format!("<builtin>/{name}"), text);
    }

    fn report_once(&mut self, d: Diagnostic) {
        let key = (d.message.clone(), d.location.clone());
        if self.reported.insert(key) {
            self.diagnostics.push(d);
        }
    }

    /// Finish loading: compile everything, report unused lists/macros,
    /// check `required_plugin_versions` against the tables' plugins, and
    /// return the rules and every diagnostic.
    pub fn finish(mut self) -> LoadResult {
        let compiled = resolve::compile(&self.collector);
        for d in compiled.diagnostics {
            if d.is_error() {
                self.report_once(d);
            } else {
                self.diagnostics.push(d);
            }
        }
        let plugins: Vec<(&str, &str)> = self
            .collector
            .tables
            .iter()
            .flat_map(|t| t.plugins().iter().map(|(n, v)| (*n, *v)))
            .collect();
        let mut plugin_diags = Vec::new();
        for (req, loc) in &self.collector.plugin_requirements {
            if let Err(msg) = versions::check_plugin_requirement(req, &plugins) {
                plugin_diags.push(
                    Diagnostic::error("LOAD_ERR_VALIDATE", msg)
                        .at(loc.clone())
                        .about(ItemKind::RequiredPluginVersions, &req.alternatives[0].0),
                );
            }
        }
        self.diagnostics.extend(plugin_diags);
        let col = &self.collector;
        let lists = col
            .lists
            .iter()
            .map(|l| ResolvedList {
                name: l.name.clone(),
                items: l
                    .items
                    .iter()
                    .flat_map(|item| match col.list(item) {
                        Some(r) if r.index < l.visibility => r.items.clone(),
                        _ => vec![item.clone()],
                    })
                    .collect(),
                location: l.location.clone(),
            })
            .collect();
        LoadResult {
            lists,
            stats: LoadStats {
                files: self.files,
                lists: self.collector.lists.len(),
                macros: self.collector.macros.len(),
                rules: self.collector.rules.len(),
            },
            rules: compiled.rules,
            skipped_rules: compiled.skipped,
            diagnostics: self.diagnostics,
            required_engine_version: self.collector.required_engine_version,
            required_plugin_versions: self
                .collector
                .plugin_requirements
                .iter()
                .map(|(r, _)| r.clone())
                .collect(),
        }
    }
}

/// `NAME.tests.yaml` files hold rule test cases (`saker rules test`), not
/// rules: a directory load passes over them.
fn is_rule_tests_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.ends_with(".tests.yaml") || n.ends_with(".tests.yml"))
}

fn has_yaml_extension(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("yaml") | Some("yml")
    )
}
