//! The collector: every list, macro and rule definition across all files,
//! with Falco's define / append / replace semantics
//! (`rule_loader_collector.cpp`, `shared/reference/falco.md` §2.4).
//!
//! Indices follow Falco: one counter across all item kinds and files. A
//! redefinition replaces the item but keeps its first index (its
//! evaluation order and position); every define/append/replace moves the
//! item's *visibility* (which earlier macros and lists its body may name)
//! to the current counter.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::diag::Location;
use crate::fields::FieldTable;
use crate::Priority;

use super::exceptions::{self, ExceptionInfo};
use super::versions::{PluginRequirement, Version};

/// Where a condition's text came from, to turn a byte offset in the parsed
/// text back into a file position.
#[derive(Debug, Clone)]
pub struct TextSource {
    /// Where the YAML scalar starts.
    pub location: Location,
    /// The column of the scalar's first character of *text* when the value
    /// appears verbatim on one line of the file (plain or quoted without
    /// escapes); `None` otherwise.
    pub value_col: Option<u32>,
    /// The scalar's value.
    pub text: String,
}

impl TextSource {
    /// The file position of byte `pos` of `parsed`, whose text starting at
    /// byte `prefix` began as this scalar. Exact while the parsed text still
    /// equals the scalar up to `pos`; the scalar's start otherwise.
    pub fn locate(&self, parsed: &str, prefix: usize, pos: usize) -> Location {
        let Some(col) = self.value_col else {
            return self.location.clone();
        };
        if pos < prefix || prefix > parsed.len() {
            return self.location.clone();
        }
        let rel = pos - prefix;
        let tail = &parsed.as_bytes()[prefix..];
        let common = tail
            .iter()
            .zip(self.text.as_bytes())
            .take_while(|(a, b)| a == b)
            .count();
        if rel > common || !self.text.is_char_boundary(rel.min(self.text.len())) {
            return self.location.clone();
        }
        let chars = self.text[..rel.min(self.text.len())].chars().count() as u32;
        Location {
            file: self.location.file.clone(),
            line: self.location.line,
            col: col + chars,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ListInfo {
    pub name: String,
    pub items: Vec<String>,
    pub index: u32,
    pub visibility: u32,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct MacroInfo {
    pub name: String,
    pub cond: String,
    pub cond_source: TextSource,
    pub index: u32,
    pub visibility: u32,
    pub location: Location,
}

#[derive(Debug, Clone)]
pub struct RuleInfo {
    pub name: String,
    pub cond: String,
    pub cond_source: TextSource,
    pub output: String,
    pub desc: String,
    pub priority: Priority,
    pub source: String,
    pub enabled: bool,
    pub tags: BTreeSet<String>,
    pub exceptions: Vec<ExceptionInfo>,
    pub capture: bool,
    pub capture_duration: u32,
    pub warn_evttypes: bool,
    pub skip_if_unknown_filter: bool,
    /// No field table is registered for `source`: the rule is skipped.
    pub unknown_source: bool,
    pub index: u32,
    pub visibility: u32,
    pub location: Location,
}

/// An `append` or `replace` to an existing rule: only the given keys.
#[derive(Debug, Clone, Default)]
pub struct RuleUpdate {
    pub name: String,
    pub cond: Option<String>,
    /// Where `cond` was written (used when it replaces the condition).
    pub cond_source: Option<TextSource>,
    pub output: Option<String>,
    pub desc: Option<String>,
    pub tags: Option<BTreeSet<String>>,
    pub exceptions: Option<Vec<ExceptionInfo>>,
    pub priority: Option<Priority>,
    pub enabled: Option<bool>,
    pub warn_evttypes: Option<bool>,
    pub skip_if_unknown_filter: Option<bool>,
    pub capture: Option<bool>,
    pub capture_duration: Option<u32>,
}

impl RuleUpdate {
    fn has_any_value(&self) -> bool {
        self.cond.is_some()
            || self.output.is_some()
            || self.desc.is_some()
            || self.tags.is_some()
            || self.exceptions.is_some()
            || self.priority.is_some()
            || self.enabled.is_some()
            || self.warn_evttypes.is_some()
            || self.skip_if_unknown_filter.is_some()
            || self.capture.is_some()
            || self.capture_duration.is_some()
    }
}

/// An error raised while collecting, with its location when it is not the
/// item's own.
pub type CollectError = (String, Option<Location>);

/// All definitions so far, across files.
pub struct Collector {
    pub tables: Vec<Arc<dyn FieldTable>>,
    pub lists: Vec<ListInfo>,
    pub macros: Vec<MacroInfo>,
    pub rules: Vec<RuleInfo>,
    list_idx: HashMap<String, usize>,
    macro_idx: HashMap<String, usize>,
    rule_idx: HashMap<String, usize>,
    cur_index: u32,
    pub required_engine_version: Option<Version>,
    pub plugin_requirements: Vec<(PluginRequirement, Location)>,
}

impl Collector {
    pub fn new(tables: Vec<Arc<dyn FieldTable>>) -> Self {
        Collector {
            tables,
            lists: Vec::new(),
            macros: Vec::new(),
            rules: Vec::new(),
            list_idx: HashMap::new(),
            macro_idx: HashMap::new(),
            rule_idx: HashMap::new(),
            cur_index: 0,
            required_engine_version: None,
            plugin_requirements: Vec::new(),
        }
    }

    /// The field table registered for `source`.
    pub fn table(&self, source: &str) -> Option<&Arc<dyn FieldTable>> {
        self.tables.iter().find(|t| t.source() == source)
    }

    fn next_index(&mut self) -> u32 {
        let i = self.cur_index;
        self.cur_index += 1;
        i
    }

    pub fn list(&self, name: &str) -> Option<&ListInfo> {
        self.list_idx.get(name).map(|&i| &self.lists[i])
    }

    pub fn macro_index(&self, name: &str) -> Option<usize> {
        self.macro_idx.get(name).copied()
    }

    pub fn define_engine_version(&mut self, v: Version) {
        if self.required_engine_version.is_none_or(|cur| cur < v) {
            self.required_engine_version = Some(v);
        }
    }

    /// # Errors
    /// Invalid version text or duplicate alternative names.
    pub fn define_plugin_requirement(
        &mut self,
        req: PluginRequirement,
        location: Location,
    ) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        for (name, version) in &req.alternatives {
            if Version::parse(version).is_none() {
                return Err(format!(
                    "Invalid required version '{version}' for plugin '{name}'"
                ));
            }
            if !seen.insert(name.clone()) {
                return Err(format!(
                    "Defined multiple alternative version requirements for plugin '{name}'"
                ));
            }
        }
        self.plugin_requirements.push((req, location));
        Ok(())
    }

    pub fn define_list(&mut self, mut info: ListInfo) {
        let id = self.next_index();
        info.visibility = id;
        match self.list_idx.get(&info.name) {
            Some(&i) => {
                info.index = self.lists[i].index;
                self.lists[i] = info;
            }
            None => {
                info.index = id;
                self.list_idx.insert(info.name.clone(), self.lists.len());
                self.lists.push(info);
            }
        }
    }

    /// # Errors
    /// No list by that name yet.
    pub fn append_list(&mut self, info: ListInfo) -> Result<(), String> {
        let Some(&i) = self.list_idx.get(&info.name) else {
            return Err("List uses 'append' or 'override.items: append' but no list by that name already exists".into());
        };
        let id = self.next_index();
        let prev = &mut self.lists[i];
        prev.items.extend(info.items);
        prev.visibility = id;
        Ok(())
    }

    pub fn define_macro(&mut self, mut info: MacroInfo) {
        let id = self.next_index();
        info.visibility = id;
        match self.macro_idx.get(&info.name) {
            Some(&i) => {
                info.index = self.macros[i].index;
                self.macros[i] = info;
            }
            None => {
                info.index = id;
                self.macro_idx.insert(info.name.clone(), self.macros.len());
                self.macros.push(info);
            }
        }
    }

    /// # Errors
    /// No macro by that name yet.
    pub fn append_macro(&mut self, info: MacroInfo) -> Result<(), String> {
        let Some(&i) = self.macro_idx.get(&info.name) else {
            return Err("Macro uses 'append' or 'override.condition: append' but no macro by that name already exists".into());
        };
        let id = self.next_index();
        let prev = &mut self.macros[i];
        prev.cond.push(' ');
        prev.cond.push_str(&info.cond);
        prev.visibility = id;
        Ok(())
    }

    /// Define (or redefine) a rule. Returns whether its source is unknown
    /// (the caller reports `LOAD_UNKNOWN_SOURCE`).
    ///
    /// # Errors
    /// A redefinition with another source, or an invalid exception (with the
    /// exception's location).
    pub fn define_rule(&mut self, mut info: RuleInfo) -> Result<bool, CollectError> {
        if let Some(&i) = self.rule_idx.get(&info.name) {
            if self.rules[i].source != info.source {
                return Err((
                    "Rule has been re-defined with a different source".into(),
                    None,
                ));
            }
        }
        let table = self.table(&info.source).cloned();
        info.unknown_source = table.is_none();
        for ex in &mut info.exceptions {
            if !ex.fields_valid() {
                return Err((
                    "Rule exception item must have fields property with a list of fields".into(),
                    Some(ex.location.clone()),
                ));
            }
            exceptions::validate(ex, table.as_deref())
                .map_err(|m| (m, Some(ex.location.clone())))?;
        }
        let unknown = info.unknown_source;
        let id = self.next_index();
        info.visibility = id;
        match self.rule_idx.get(&info.name) {
            Some(&i) => {
                info.index = self.rules[i].index;
                self.rules[i] = info;
            }
            None => {
                info.index = id;
                self.rule_idx.insert(info.name.clone(), self.rules.len());
                self.rules.push(info);
            }
        }
        Ok(unknown)
    }

    /// Where a rule of that name was defined, if it was.
    pub fn rule_location(&self, name: &str) -> Option<&Location> {
        self.rule_idx.get(name).map(|&i| &self.rules[i].location)
    }

    fn prev_rule_table(&self, i: usize) -> Option<Arc<dyn FieldTable>> {
        let prev = &self.rules[i];
        if prev.unknown_source {
            None
        } else {
            self.table(&prev.source).cloned()
        }
    }

    /// `append: true` or `override: {key: append}` on a rule.
    ///
    /// # Errors
    /// Falco's messages (no previous rule, nothing to append, exceptions).
    pub fn append_rule(&mut self, info: RuleUpdate) -> Result<(), CollectError> {
        let Some(&i) = self.rule_idx.get(&info.name) else {
            return Err((
                "Rule uses 'append' or 'override.<key>: append' but no rule by that name already exists".into(),
                None,
            ));
        };
        if !info.has_any_value() {
            return Err((
                "Appended rule must have exceptions or condition property".into(),
                None,
            ));
        }
        let table = self.prev_rule_table(i);
        // Validate the exceptions before changing anything.
        let mut new_exceptions = Vec::new();
        if let Some(exs) = &info.exceptions {
            for ex in exs {
                let existing = self.rules[i].exceptions.iter().any(|p| p.name == ex.name);
                if existing {
                    if ex.fields_valid() {
                        return Err((
                            "Can not append exception fields to existing exception, only values"
                                .into(),
                            Some(ex.location.clone()),
                        ));
                    }
                    if ex.comps_valid() {
                        return Err((
                            "Can not append exception comps to existing exception, only values"
                                .into(),
                            Some(ex.location.clone()),
                        ));
                    }
                } else {
                    if !ex.fields_valid() {
                        return Err((
                            "Rule exception must have fields property with a list of fields".into(),
                            Some(ex.location.clone()),
                        ));
                    }
                    if ex.values.is_empty() {
                        return Err((
                            "Rule exception must have values property with a list of values".into(),
                            Some(ex.location.clone()),
                        ));
                    }
                    let mut ex = ex.clone();
                    exceptions::validate(&mut ex, table.as_deref())
                        .map_err(|m| (m, Some(ex.location.clone())))?;
                    new_exceptions.push(ex);
                }
            }
        }
        let id = self.next_index();
        let prev = &mut self.rules[i];
        let join = |prev: &mut String, add: &Option<String>| {
            if let Some(add) = add {
                if !add.is_empty() {
                    prev.push(' ');
                    prev.push_str(add);
                }
            }
        };
        join(&mut prev.cond, &info.cond);
        join(&mut prev.output, &info.output);
        join(&mut prev.desc, &info.desc);
        if let Some(tags) = info.tags {
            prev.tags.extend(tags);
        }
        if let Some(exs) = info.exceptions {
            for ex in exs {
                if let Some(p) = prev.exceptions.iter_mut().find(|p| p.name == ex.name) {
                    p.values.extend(ex.values);
                }
            }
            prev.exceptions.extend(new_exceptions);
        }
        prev.visibility = id;
        Ok(())
    }

    /// `override: {key: replace}` on a rule.
    ///
    /// # Errors
    /// No previous rule, or nothing to replace.
    pub fn replace_rule(&mut self, info: RuleUpdate) -> Result<(), CollectError> {
        let Some(&i) = self.rule_idx.get(&info.name) else {
            return Err((
                "An 'override.<key>: replace' to a rule was requested but no rule by that name already exists".into(),
                None,
            ));
        };
        if !info.has_any_value() {
            return Err((
                "The rule must have at least one field that can be replaced".into(),
                None,
            ));
        }
        let table = self.prev_rule_table(i);
        let mut info = info;
        if let Some(exs) = &mut info.exceptions {
            for ex in exs.iter_mut() {
                exceptions::validate(ex, table.as_deref())
                    .map_err(|m| (m, Some(ex.location.clone())))?;
            }
        }
        let id = self.next_index();
        let prev = &mut self.rules[i];
        if let Some(v) = info.cond {
            prev.cond = v;
            if let Some(src) = info.cond_source {
                prev.cond_source = src;
            }
        }
        if let Some(v) = info.output {
            prev.output = v;
        }
        if let Some(v) = info.desc {
            prev.desc = v;
        }
        if let Some(v) = info.tags {
            prev.tags = v;
        }
        if let Some(v) = info.exceptions {
            prev.exceptions = v;
        }
        if let Some(v) = info.priority {
            prev.priority = v;
        }
        if let Some(v) = info.enabled {
            prev.enabled = v;
        }
        if let Some(v) = info.warn_evttypes {
            prev.warn_evttypes = v;
        }
        if let Some(v) = info.skip_if_unknown_filter {
            prev.skip_if_unknown_filter = v;
        }
        if let Some(v) = info.capture {
            prev.capture = v;
        }
        if let Some(v) = info.capture_duration {
            prev.capture_duration = v;
        }
        prev.visibility = id;
        Ok(())
    }

    /// The legacy standalone `enabled` item.
    ///
    /// # Errors
    /// No rule by that name yet.
    pub fn enable_rule(&mut self, name: &str, enabled: bool) -> Result<(), String> {
        let Some(&i) = self.rule_idx.get(name) else {
            return Err("Rule has 'enabled' key but no rule by that name already exists".into());
        };
        self.rules[i].enabled = enabled;
        Ok(())
    }
}
