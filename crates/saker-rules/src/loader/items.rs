//! Reading the items of one rules file into the collector (Falco
//! `rule_loader_reader.cpp`; `shared/reference/falco.md` §2.1–§2.5).
//!
//! Falco stops at the first error; this reader reports the first error of
//! each item and goes on with the next item, so one run lists every broken
//! item. An item with an error is not collected.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::diag::{Diagnostic, ItemKind, Location};
use crate::Priority;

use super::collector::{Collector, ListInfo, MacroInfo, RuleInfo, RuleUpdate, TextSource};
use super::exceptions::{Entry, ExceptionInfo};
use super::versions::{parse_u32, PluginRequirement, Version};
use super::yaml::{self, parse_bool, Node, NodeKind, Pos, Style};
use super::FALCO_ENGINE_VERSION;

const WARNING_APPEND: &str = "'append' key is deprecated. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";
const WARNING_ENABLED: &str = "The standalone 'enabled' key usage is deprecated. The correct approach requires also a 'replace' entry under the 'override' key (i.e. 'enabled: replace').";
const ERROR_OVERRIDE_APPEND: &str = "Keys 'override' and 'append: true' cannot be used together. Add an 'append' entry (e.g. 'condition: append') under 'override' instead.";

const RULE_KEYS: &[&str] = &[
    "rule",
    "condition",
    "output",
    "desc",
    "priority",
    "source",
    "enabled",
    "tags",
    "exceptions",
    "capture",
    "capture_duration",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "override",
    "append",
];
const RULE_APPENDABLE: &[&str] = &["condition", "output", "desc", "tags", "exceptions"];
const RULE_REPLACEABLE: &[&str] = &[
    "condition",
    "output",
    "desc",
    "priority",
    "tags",
    "exceptions",
    "enabled",
    "warn_evttypes",
    "skip-if-unknown-filter",
    "capture",
    "capture_duration",
];

/// An item-level error: code, message and where.
struct ItemError {
    code: &'static str,
    message: String,
    pos: Pos,
}

type R<T> = Result<T, ItemError>;

fn verr(message: impl Into<String>, pos: Pos) -> ItemError {
    ItemError {
        code: "LOAD_ERR_YAML_VALIDATE",
        message: message.into(),
        pos,
    }
}

/// Reads one file's documents into a collector.
pub struct FileReader<'a> {
    file: Arc<str>,
    lines: Vec<&'a str>,
    collector: &'a mut Collector,
    diags: &'a mut Vec<Diagnostic>,
}

impl<'a> FileReader<'a> {
    pub fn new(
        file: Arc<str>,
        text: &'a str,
        collector: &'a mut Collector,
        diags: &'a mut Vec<Diagnostic>,
    ) -> Self {
        FileReader {
            file,
            lines: text.split('\n').collect(),
            collector,
            diags,
        }
    }

    fn loc(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            line: pos.line.max(1),
            col: pos.col.max(1),
        }
    }

    fn warn(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        pos: Pos,
        item: Option<(ItemKind, &str)>,
    ) {
        let mut d = Diagnostic::warning(code, msg).at(self.loc(pos));
        if let Some((k, n)) = item {
            d = d.about(k, n);
        }
        self.diags.push(d);
    }

    fn error(&mut self, e: ItemError, item: Option<(ItemKind, &str)>) {
        let mut d = Diagnostic::error(e.code, e.message).at(self.loc(e.pos));
        if let Some((k, n)) = item {
            d = d.about(k, n);
        }
        self.diags.push(d);
    }

    /// Parse `text` and read every document.
    pub fn read(&mut self, text: &str) {
        let docs = match yaml::parse_documents(text) {
            Ok(d) => d,
            Err(e) => {
                self.error(
                    ItemError {
                        code: "LOAD_ERR_YAML_PARSE",
                        message: e.message,
                        pos: e.pos,
                    },
                    None,
                );
                return;
            }
        };
        for doc in &docs {
            match &doc.kind {
                NodeKind::Null => {}
                NodeKind::Scalar(..) => {
                    self.error(verr("Rules content is not yaml", doc.pos), None)
                }
                NodeKind::Map(_) => self.error(
                    verr("Rules content is not yaml array of objects", doc.pos),
                    None,
                ),
                NodeKind::Seq(items) => {
                    for item in items {
                        if !item.is_null() {
                            self.read_item(item);
                        }
                    }
                }
            }
        }
    }

    /// The column where a scalar's text starts, when it appears verbatim on
    /// its line.
    fn value_col(&self, node: &Node) -> Option<u32> {
        let value = node.scalar()?;
        if value.contains('\n') {
            return None;
        }
        let shift = match node.style()? {
            Style::Plain => 0,
            Style::SingleQuoted | Style::DoubleQuoted => 1,
            Style::Literal | Style::Folded => return None,
        };
        let line = self.lines.get(node.pos.line.checked_sub(1)? as usize)?;
        let start = node.pos.col as usize - 1 + shift;
        let rest: String = line.chars().skip(start).collect();
        rest.starts_with(value)
            .then_some(node.pos.col + shift as u32)
    }

    fn text_source(&self, node: &Node) -> TextSource {
        TextSource {
            location: self.loc(node.pos),
            value_col: self.value_col(node),
            text: node.scalar().unwrap_or_default().to_string(),
        }
    }

    fn read_item(&mut self, item: &Node) {
        if !item.is_map() {
            self.error(
                verr(
                    "Unexpected element type. Each element should be a yaml associative array.",
                    item.pos,
                ),
                None,
            );
            return;
        }
        let kind = [
            "required_engine_version",
            "required_plugin_versions",
            "list",
            "macro",
            "rule",
        ]
        .into_iter()
        .find(|k| item.get_entry(k).is_some());
        match kind {
            Some("required_engine_version") => {
                self.unknown_keys(
                    item,
                    &["required_engine_version"],
                    ItemKind::RequiredEngineVersion,
                    "",
                );
                if let Err(e) = self.read_engine_version(item) {
                    self.error(e, Some((ItemKind::RequiredEngineVersion, "")));
                }
            }
            Some("required_plugin_versions") => {
                self.unknown_keys(
                    item,
                    &["required_plugin_versions"],
                    ItemKind::RequiredPluginVersions,
                    "",
                );
                if let Err((e, name)) = self.read_plugin_versions(item) {
                    self.error(e, Some((ItemKind::RequiredPluginVersions, &name)));
                }
            }
            Some("list") => self.read_list(item),
            Some("macro") => self.read_macro(item),
            Some("rule") => self.read_rule(item),
            _ => self.warn(
                "LOAD_UNKNOWN_ITEM",
                "Unknown top level item",
                item.pos,
                None,
            ),
        }
    }

    fn unknown_keys(&mut self, item: &Node, known: &[&str], kind: ItemKind, name: &str) {
        let Some(entries) = item.as_map() else { return };
        for (k, _) in entries {
            let key = k.scalar().unwrap_or_default();
            if !known.contains(&key) {
                self.warn(
                    "LOAD_UNKNOWN_KEY",
                    format!("Unknown key '{key}'. The key will be ignored."),
                    k.pos,
                    Some((kind, name)),
                );
            }
        }
    }

    fn read_engine_version(&mut self, item: &Node) -> R<()> {
        let (text, node) = decode_str(item, "required_engine_version", true)?.expect("required");
        let version = match parse_u32(&text) {
            Some(n) => Version::new(0, n, 0),
            None => Version::parse(&text).ok_or_else(|| verr(format!("Unable to parse engine version '{text}' as a semver string. Expected \"x.y.z\" semver format."), node.pos))?,
        };
        if !FALCO_ENGINE_VERSION.compatible_with(version) {
            return Err(ItemError {
                code: "LOAD_ERR_VALIDATE",
                message: format!(
                    "Rules require engine version {version}, but engine version is {FALCO_ENGINE_VERSION}"
                ),
                pos: item.pos,
            });
        }
        self.collector.define_engine_version(version);
        Ok(())
    }

    fn read_plugin_versions(&mut self, item: &Node) -> Result<(), (ItemError, String)> {
        let node = item.get("required_plugin_versions").expect("present");
        let Some(entries) = node.as_seq() else {
            return Err((
                verr(
                    "Value of required_plugin_versions must be a sequence",
                    node.pos,
                ),
                String::new(),
            ));
        };
        for entry in entries {
            if !entry.is_map() {
                return Err((
                    verr("Plugin version must be a mapping", entry.pos),
                    String::new(),
                ));
            }
            let (name, _) = decode_str(entry, "name", true)
                .map_err(|e| (e, String::new()))?
                .expect("required");
            let (version, _) = decode_str(entry, "version", true)
                .map_err(|e| (e, name.clone()))?
                .expect("required");
            let mut req = PluginRequirement {
                alternatives: vec![(name.clone(), version)],
            };
            if let Some(alts) = entry.get("alternatives") {
                let Some(alts) = alts.as_seq() else {
                    return Err((
                        verr(
                            "Value of plugin version alternatives must be a sequence",
                            entry.pos,
                        ),
                        name,
                    ));
                };
                for alt in alts {
                    if !alt.is_map() {
                        return Err((
                            verr("Plugin version alternative must be a mapping", alt.pos),
                            name,
                        ));
                    }
                    let (an, _) = decode_str(alt, "name", true)
                        .map_err(|e| (e, name.clone()))?
                        .expect("required");
                    let (av, _) = decode_str(alt, "version", true)
                        .map_err(|e| (e, an.clone()))?
                        .expect("required");
                    req.alternatives.push((an, av));
                }
            }
            let loc = self.loc(entry.pos);
            self.collector
                .define_plugin_requirement(req, loc)
                .map_err(|m| {
                    (
                        ItemError {
                            code: "LOAD_ERR_VALIDATE",
                            message: m,
                            pos: entry.pos,
                        },
                        name.clone(),
                    )
                })?;
        }
        Ok(())
    }

    fn read_list(&mut self, item: &Node) {
        let name = match decode_str(item, "list", true) {
            Ok(v) => v.expect("required").0,
            Err(e) => return self.error(e, None),
        };
        self.unknown_keys(
            item,
            &["list", "items", "append", "override"],
            ItemKind::List,
            &name,
        );
        if let Err(e) = self.read_list_body(item, &name) {
            self.error(e, Some((ItemKind::List, &name)));
        }
    }

    fn read_list_body(&mut self, item: &Node, name: &str) -> R<()> {
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| !matches!(c, '(' | ')' | '"' | '\'' | '=' | ',') && !is_posix_space(c));
        if !valid {
            self.warn(
                "LOAD_INVALID_LIST_NAME",
                "List has an invalid name. List names should match a regular expression: ([^()\"'[:space:]=,]+)",
                item.pos,
                Some((ItemKind::List, name)),
            );
        }
        let items = decode_seq(item, "items", true)?.unwrap_or_default();
        let append = decode_bool(item, "append")?.unwrap_or(false);
        if append {
            self.warn(
                "LOAD_DEPRECATED_ITEM",
                WARNING_APPEND,
                item.pos,
                Some((ItemKind::List, name)),
            );
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["items"], &["items"])?;
        if append && !(ov_append.is_empty() && ov_replace.is_empty()) {
            return Err(verr(ERROR_OVERRIDE_APPEND, item.pos));
        }
        let info = ListInfo {
            name: name.to_string(),
            items,
            index: 0,
            visibility: 0,
            location: self.loc(item.pos),
        };
        if append || ov_append.contains("items") {
            self.collector.append_list(info).map_err(|m| ItemError {
                code: "LOAD_ERR_VALIDATE",
                message: m,
                pos: item.pos,
            })
        } else {
            self.collector.define_list(info);
            Ok(())
        }
    }

    fn read_macro(&mut self, item: &Node) {
        let name = match decode_str(item, "macro", true) {
            Ok(v) => v.expect("required").0,
            Err(e) => return self.error(e, None),
        };
        self.unknown_keys(
            item,
            &["macro", "condition", "append", "override"],
            ItemKind::Macro,
            &name,
        );
        if let Err(e) = self.read_macro_body(item, &name) {
            self.error(e, Some((ItemKind::Macro, &name)));
        }
    }

    fn read_macro_body(&mut self, item: &Node, name: &str) -> R<()> {
        if !is_identifier(name) {
            self.warn(
                "LOAD_INVALID_MACRO_NAME",
                "Macro has an invalid name. Macro names should match a regular expression: ([a-zA-Z]+[a-zA-Z0-9_]*)",
                item.pos,
                Some((ItemKind::Macro, name)),
            );
        }
        let (cond, cond_node) = decode_str(item, "condition", true)?.expect("required");
        let append = decode_bool(item, "append")?.unwrap_or(false);
        if append {
            self.warn(
                "LOAD_DEPRECATED_ITEM",
                WARNING_APPEND,
                item.pos,
                Some((ItemKind::Macro, name)),
            );
        }
        let (ov_append, ov_replace) = decode_overrides(item, &["condition"], &["condition"])?;
        if append && !(ov_append.is_empty() && ov_replace.is_empty()) {
            return Err(verr(ERROR_OVERRIDE_APPEND, item.pos));
        }
        let info = MacroInfo {
            name: name.to_string(),
            cond,
            cond_source: self.text_source(cond_node),
            index: 0,
            visibility: 0,
            location: self.loc(item.pos),
        };
        if append || ov_append.contains("condition") {
            self.collector.append_macro(info).map_err(|m| ItemError {
                code: "LOAD_ERR_VALIDATE",
                message: m,
                pos: item.pos,
            })
        } else {
            self.collector.define_macro(info);
            Ok(())
        }
    }

    fn read_rule(&mut self, item: &Node) {
        let name = match decode_str(item, "rule", true) {
            Ok(v) => v.expect("required").0,
            Err(e) => return self.error(e, None),
        };
        self.unknown_keys(item, RULE_KEYS, ItemKind::Rule, &name);
        if let Err(e) = self.read_rule_body(item, &name) {
            self.error(e, Some((ItemKind::Rule, &name)));
        }
    }

    fn collect_err(&self, item: &Node, (message, loc): (String, Option<Location>)) -> ItemError {
        let pos = loc
            .map(|l| Pos {
                line: l.line,
                col: l.col,
            })
            .unwrap_or(item.pos);
        ItemError {
            code: "LOAD_ERR_VALIDATE",
            message,
            pos,
        }
    }

    fn read_rule_body(&mut self, item: &Node, name: &str) -> R<()> {
        let ctx = Some((ItemKind::Rule, name));
        let has_append_flag = decode_bool(item, "append")?.unwrap_or(false);
        if has_append_flag {
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_APPEND, item.pos, ctx);
        }
        let (ov_append, ov_replace) = decode_overrides(item, RULE_APPENDABLE, RULE_REPLACEABLE)?;
        let has_overrides = !ov_append.is_empty() || !ov_replace.is_empty();
        if has_append_flag && has_overrides {
            return Err(verr(ERROR_OVERRIDE_APPEND, item.pos));
        }

        if has_overrides {
            let mut expected: BTreeSet<&str> = RULE_APPENDABLE
                .iter()
                .chain(RULE_REPLACEABLE)
                .copied()
                .filter(|k| item.get_entry(k).is_some())
                .collect();
            let mut updates = Vec::new();
            for (op, set) in [("append", &ov_append), ("replace", &ov_replace)] {
                if set.is_empty() {
                    continue;
                }
                let mut u = RuleUpdate {
                    name: name.to_string(),
                    ..RuleUpdate::default()
                };
                let mut want = |key: &str| -> R<bool> {
                    if !set.contains(key) {
                        return Ok(false);
                    }
                    if !expected.remove(key) {
                        return Err(verr(
                            format!("An {op} override for '{key}' was specified but '{key}' is not defined"),
                            item.pos,
                        ));
                    }
                    Ok(true)
                };
                if want("condition")? {
                    let (cond, node) = decode_str(item, "condition", true)?.expect("required");
                    u.cond = Some(cond);
                    u.cond_source = Some(self.text_source(node));
                }
                if want("exceptions")? {
                    u.exceptions = Some(self.read_exceptions(item, true, name)?);
                }
                if want("output")? {
                    u.output = Some(decode_str(item, "output", true)?.expect("required").0);
                }
                if want("desc")? {
                    u.desc = Some(decode_str(item, "desc", true)?.expect("required").0);
                }
                if want("tags")? {
                    u.tags = Some(
                        decode_seq(item, "tags", false)?
                            .unwrap_or_default()
                            .into_iter()
                            .collect(),
                    );
                }
                if want("priority")? {
                    u.priority = Some(decode_priority(item)?);
                }
                if want("enabled")? {
                    u.enabled = decode_bool(item, "enabled")?;
                }
                if want("warn_evttypes")? {
                    u.warn_evttypes = decode_bool(item, "warn_evttypes")?;
                }
                if want("skip-if-unknown-filter")? {
                    u.skip_if_unknown_filter = decode_bool(item, "skip-if-unknown-filter")?;
                }
                if want("capture")? {
                    u.capture = decode_bool(item, "capture")?;
                }
                if want("capture_duration")? {
                    u.capture_duration = decode_u32(item, "capture_duration")?;
                }
                updates.push((op, u));
            }
            if let Some(key) = expected.into_iter().next() {
                let pos = item.get_entry(key).map(|(k, _)| k.pos).unwrap_or(item.pos);
                return Err(verr(
                    format!("Unexpected key '{key}': no corresponding entry under 'override' is defined."),
                    pos,
                ));
            }
            for (op, u) in updates {
                let r = if op == "append" {
                    self.collector.append_rule(u)
                } else {
                    self.collector.replace_rule(u)
                };
                r.map_err(|e| self.collect_err(item, e))?;
            }
            return Ok(());
        }

        if has_append_flag {
            let mut u = RuleUpdate {
                name: name.to_string(),
                ..RuleUpdate::default()
            };
            if item.get_entry("condition").is_some() {
                u.cond = Some(decode_str(item, "condition", true)?.expect("required").0);
            }
            if item.get_entry("exceptions").is_some() {
                u.exceptions = Some(self.read_exceptions(item, true, name)?);
            }
            return self
                .collector
                .append_rule(u)
                .map_err(|e| self.collect_err(item, e));
        }

        let has_any = ["condition", "output", "desc", "priority"]
            .iter()
            .any(|k| item.get_entry(k).is_some());
        if !has_any {
            let enabled = decode_bool_required(item, "enabled")?;
            self.warn("LOAD_DEPRECATED_ITEM", WARNING_ENABLED, item.pos, ctx);
            return self
                .collector
                .enable_rule(name, enabled)
                .map_err(|m| self.collect_err(item, (m, None)));
        }

        let (cond, cond_node) = decode_str(item, "condition", true)?.expect("required");
        let cond_source = self.text_source(cond_node);
        let (output, _) = decode_str(item, "output", true)?.expect("required");
        let (desc, _) = decode_str(item, "desc", true)?.expect("required");
        let priority = decode_priority(item)?;
        let source = decode_str(item, "source", false)?
            .map(|(s, _)| s)
            .unwrap_or_else(|| "syscall".to_string());
        let info = RuleInfo {
            name: name.to_string(),
            cond,
            cond_source,
            output: falco_trim(&output).to_string(),
            desc,
            priority,
            source: source.clone(),
            enabled: decode_bool(item, "enabled")?.unwrap_or(true),
            warn_evttypes: decode_bool(item, "warn_evttypes")?.unwrap_or(true),
            skip_if_unknown_filter: decode_bool(item, "skip-if-unknown-filter")?.unwrap_or(false),
            capture: decode_bool(item, "capture")?.unwrap_or(false),
            capture_duration: decode_u32(item, "capture_duration")?.unwrap_or(0),
            tags: decode_seq(item, "tags", false)?
                .unwrap_or_default()
                .into_iter()
                .collect(),
            exceptions: self.read_exceptions(item, false, name)?,
            unknown_source: false,
            index: 0,
            visibility: 0,
            location: self.loc(item.pos),
        };
        // Falco silently replaces a redefined rule (the way rules were
        // customised before `override`), so across files this is normal;
        // within one file it is almost always a copy-paste mistake.
        let same_file_duplicate = self
            .collector
            .rule_location(name)
            .filter(|l| l.file == self.file)
            .map(|l| l.line);
        let unknown = self
            .collector
            .define_rule(info)
            .map_err(|e| self.collect_err(item, e))?;
        if let Some(line) = same_file_duplicate {
            self.warn(
                "SAKER_DUPLICATE_RULE",
                format!("Rule '{name}' is defined again in the same file (first at line {line}); this definition replaces it, as in Falco"),
                item.pos,
                ctx,
            );
        }
        if unknown {
            self.warn(
                "LOAD_UNKNOWN_SOURCE",
                format!("Unknown source {source}, skipping"),
                item.pos,
                ctx,
            );
        }
        Ok(())
    }

    fn read_exceptions(&mut self, item: &Node, append: bool, rule: &str) -> R<Vec<ExceptionInfo>> {
        let mut out: Vec<ExceptionInfo> = Vec::new();
        let Some(exs) = item.get("exceptions") else {
            return Ok(out);
        };
        if exs.is_null() {
            return Ok(out);
        }
        let Some(list) = exs.as_seq() else {
            return Err(verr("Rule exceptions must be a sequence", exs.pos));
        };
        for ex in list {
            if !ex.is_map() {
                return Err(verr("Rule exception must be a mapping", ex.pos));
            }
            let (name, _) = decode_str(ex, "name", true)?.expect("required");
            if out.iter().any(|e| e.name == name) {
                self.warn(
                    "LOAD_EXCEPTION_NAME_NOT_UNIQUE",
                    format!("Multiple definitions of exception '{name}' in the same rule"),
                    ex.pos,
                    Some((ItemKind::Rule, rule)),
                );
            }
            let fields = match ex.get("fields") {
                None if append => None,
                None => return Err(verr("Item has no mapping for key 'fields'", ex.pos)),
                Some(n) => decode_entry(n)?,
            };
            let comps = match ex.get("comps") {
                None => None,
                Some(n) => decode_entry(n)?,
            };
            let mut values = Vec::new();
            match ex.get("values") {
                Some(vals) => {
                    let Some(rows) = vals.as_seq() else {
                        return Err(verr("Rule exception values must be a sequence", vals.pos));
                    };
                    for row in rows {
                        values.push(decode_entry(row)?.unwrap_or(Entry::Scalar(String::new())));
                    }
                }
                None if append => self.warn(
                    "LOAD_APPEND_NO_VALUES",
                    "Overriding/appending exception with no values",
                    ex.pos,
                    Some((ItemKind::Rule, rule)),
                ),
                None => {}
            }
            out.push(ExceptionInfo {
                name,
                fields,
                comps,
                values,
                location: self.loc(ex.pos),
            });
        }
        Ok(out)
    }
}

/// POSIX `[:space:]`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_posix_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `[a-zA-Z]+[a-zA-Z0-9_]*`, whole string.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Falco's `trim`: blanks `" \t\n\r\f\v"` at both ends.
fn falco_trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c' | '\x0b'))
}

/// Falco `decode_val<std::string>`: `Ok(None)` when optional and absent.
fn decode_str<'n>(item: &'n Node, key: &str, required: bool) -> R<Option<(String, &'n Node)>> {
    let Some(val) = item.get(key) else {
        if required {
            return Err(verr(
                format!("Item has no mapping for key '{key}'"),
                item.pos,
            ));
        }
        return Ok(None);
    };
    if val.is_null() {
        return Err(verr(format!("Mapping for key '{key}' is empty"), item.pos));
    }
    let Some(s) = val.scalar() else {
        return Err(verr("Value is not a scalar value", val.pos));
    };
    if s.is_empty() {
        return Err(verr("Value must be non-empty", val.pos));
    }
    Ok(Some((s.to_string(), val)))
}

fn decode_bool(item: &Node, key: &str) -> R<Option<bool>> {
    match decode_str(item, key, false)? {
        None => Ok(None),
        Some((s, node)) => parse_bool(&s)
            .map(Some)
            .ok_or_else(|| verr("Can't decode YAML scalar value", node.pos)),
    }
}

fn decode_bool_required(item: &Node, key: &str) -> R<bool> {
    let (s, node) = decode_str(item, key, true)?.expect("required");
    parse_bool(&s).ok_or_else(|| verr("Can't decode YAML scalar value", node.pos))
}

fn decode_u32(item: &Node, key: &str) -> R<Option<u32>> {
    match decode_str(item, key, false)? {
        None => Ok(None),
        Some((s, node)) => parse_u32(&s)
            .map(Some)
            .ok_or_else(|| verr("Can't decode YAML scalar value", node.pos)),
    }
}

fn decode_priority(item: &Node) -> R<Priority> {
    let (s, node) = decode_str(item, "priority", true)?.expect("required");
    s.parse::<Priority>()
        .map_err(|_| verr("Invalid priority", node.pos))
}

/// Falco `decode_seq`: a sequence of scalars.
fn decode_seq(item: &Node, key: &str, required: bool) -> R<Option<Vec<String>>> {
    let Some(val) = item.get(key) else {
        if required {
            return Err(verr(
                format!("Item has no mapping for key '{key}'"),
                item.pos,
            ));
        }
        return Ok(None);
    };
    let Some(seq) = val.as_seq() else {
        return Err(verr("Value is not a sequence", val.pos));
    };
    let mut out = Vec::with_capacity(seq.len());
    for v in seq {
        match v.scalar() {
            Some(s) => out.push(s.to_string()),
            None => return Err(verr("sequence value is not scalar", v.pos)),
        }
    }
    Ok(Some(out))
}

/// Falco `decode_exception_info_entry`: a non-empty scalar or a sequence of
/// entries; null (or a mapping) gives `None` (an invalid entry).
fn decode_entry(node: &Node) -> R<Option<Entry>> {
    match &node.kind {
        NodeKind::Scalar(s, _) => {
            if s.is_empty() {
                return Err(verr("Value must be non-empty", node.pos));
            }
            Ok(Some(Entry::Scalar(s.clone())))
        }
        NodeKind::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for i in items {
                out.push(decode_entry(i)?.unwrap_or(Entry::Scalar(String::new())));
            }
            Ok(Some(Entry::List(out)))
        }
        NodeKind::Null | NodeKind::Map(_) => Ok(None),
    }
}

/// Falco `decode_overrides`: the keys to append and to replace.
fn decode_overrides(
    item: &Node,
    appendable: &[&str],
    replaceable: &[&str],
) -> R<(BTreeSet<String>, BTreeSet<String>)> {
    let mut ap = BTreeSet::new();
    let mut rp = BTreeSet::new();
    let Some(val) = item.get("override") else {
        return Ok((ap, rp));
    };
    let entries = match &val.kind {
        NodeKind::Map(entries) => entries,
        NodeKind::Null | NodeKind::Scalar(..) => return Ok((ap, rp)),
        NodeKind::Seq(_) => {
            return Err(verr(
                "Value of 'override' must be a mapping of keys to 'append' or 'replace'",
                val.pos,
            ))
        }
    };
    for (k, v) in entries {
        let key = k.scalar().unwrap_or_default().to_string();
        let op = v.scalar().unwrap_or_default();
        let can_append = appendable.contains(&key.as_str());
        let can_replace = replaceable.contains(&key.as_str());
        match op {
            "append" => {
                if !can_append {
                    return Err(verr(
                        format!("Key '{key}' cannot be appended to, use 'replace' instead"),
                        k.pos,
                    ));
                }
                ap.insert(key);
            }
            "replace" => {
                if !can_replace {
                    return Err(verr(format!("Key '{key}' cannot be replaced"), k.pos));
                }
                rp.insert(key);
            }
            _ => {
                let mut msg = format!(
                    "Invalid override operation for key '{key}': '{op}'. Allowed values are: "
                );
                if can_append {
                    msg.push_str("append ");
                }
                if can_replace {
                    msg.push_str("replace ");
                }
                return Err(verr(msg, v.pos));
            }
        }
    }
    Ok((ap, rp))
}
