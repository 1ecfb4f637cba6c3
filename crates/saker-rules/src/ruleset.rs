//! A compiled, indexed ruleset for one event source, and its evaluation.
//!
//! Built by [`Ruleset::compile`] (module [`crate::compile`]). Rules keep
//! Falco's evaluation order (first-definition order); with
//! [`RuleMatching::First`] evaluation stops at the first match, as Falco's
//! default `rule_matching: first` does.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use crate::eval::{CacheStorage, Ctx, FieldCache, Node};
use crate::fields::{Event, FieldTable, ResolvedField};
use crate::output::Formatter;
use crate::Priority;

/// Falco's `rule_matching` setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RuleMatching {
    /// Every matching rule raises an alert (saker's default).
    #[default]
    All,
    /// Stop at the first matching rule (Falco's default).
    First,
}

/// Which rules run, and how matches are reported.
///
/// Selection, applied in this order to every rule of the source:
/// 1. start from the rule's `enabled` key;
/// 2. `enabled_tags` non-empty (Falco `-t`): a rule with none of these tags
///    is disabled;
/// 3. `enabled_rules` (Falco `rules: - enable: {rule: …}`): a rule whose
///    name matches one of these wildcard patterns (`*`, `?`, `[…]`, fnmatch)
///    is enabled, even if its file says `enabled: false`;
/// 4. `disabled_rules` (Falco `-D` / `rules: - disable: {rule: …}`):
///    a rule whose name matches one of these patterns is disabled.
///    Falco's `-D` matched substrings; write `*name*` for that;
/// 5. `disabled_tags` (Falco `-T`): a rule with any of these tags is disabled;
/// 6. a rule less severe than `min_priority` is disabled.
///
/// Disabled rules are still compiled and validated.
#[derive(Debug, Clone)]
pub struct RulesetOptions {
    pub rule_matching: RuleMatching,
    /// Least severe priority that still runs (Falco `priority`, default `Debug`).
    pub min_priority: Priority,
    pub enabled_tags: BTreeSet<String>,
    pub enabled_rules: Vec<String>,
    pub disabled_rules: Vec<String>,
    pub disabled_tags: BTreeSet<String>,
}

impl Default for RulesetOptions {
    fn default() -> Self {
        RulesetOptions {
            rule_matching: RuleMatching::All,
            min_priority: Priority::Debug,
            enabled_tags: BTreeSet::new(),
            enabled_rules: Vec::new(),
            disabled_rules: Vec::new(),
            disabled_tags: BTreeSet::new(),
        }
    }
}

/// One compiled rule.
#[derive(Debug)]
pub struct CompiledRule {
    pub name: String,
    pub priority: Priority,
    pub source: String,
    /// Sorted.
    pub tags: Vec<String>,
    /// Whether the rule runs (after [`RulesetOptions`] selection).
    pub enabled: bool,
    /// The values of the table's index field the condition requires, or
    /// `None` when it can match any event.
    pub index_values: Option<BTreeSet<String>>,
    pub(crate) condition: Node,
    pub(crate) output: Formatter,
}

/// A rule that matched an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Index into [`Ruleset::rules`].
    pub rule: usize,
}

/// The compiled rules of one source.
pub struct Ruleset {
    pub(crate) table: Arc<dyn FieldTable>,
    pub(crate) rules: Vec<CompiledRule>,
    /// Distinct resolved fields; a field's slot is its index here.
    pub(crate) fields: Vec<ResolvedField>,
    pub(crate) matching: RuleMatching,
    /// Enabled rules, in order.
    pub(crate) all_enabled: Vec<u32>,
    /// Enabled rules that can match an event with this index key, in order.
    pub(crate) by_key: HashMap<String, Vec<u32>>,
    /// Enabled rules that are not pinned to index values, in order.
    pub(crate) unpinned: Vec<u32>,
    /// Slots of the table's `evt.time` / `evt.time.iso8601`, if declared.
    pub(crate) time_slot: Option<usize>,
    pub(crate) time_iso_slot: Option<usize>,
}

impl std::fmt::Debug for Ruleset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ruleset")
            .field("source", &self.table.source())
            .field("rules", &self.rules.len())
            .field("fields", &self.fields.len())
            .finish()
    }
}

impl Ruleset {
    /// The source (`aws_cloudtrail`, …) of this ruleset.
    pub fn source(&self) -> &str {
        self.table.source()
    }

    /// The field table the rules were compiled against.
    pub fn table(&self) -> &Arc<dyn FieldTable> {
        &self.table
    }

    /// Every compiled rule (enabled or not), in evaluation order.
    pub fn rules(&self) -> &[CompiledRule] {
        &self.rules
    }

    /// Number of distinct fields the conditions and outputs read.
    pub fn field_count(&self) -> usize {
        self.fields.len()
    }

    /// The rule-matching mode.
    pub fn rule_matching(&self) -> RuleMatching {
        self.matching
    }

    /// A fresh field cache for `event` (one per event; see
    /// [`FieldCache::recycle`] to reuse its allocation).
    pub fn cache<'e>(&self, event: &'e dyn Event) -> FieldCache<'e> {
        FieldCache::new(event, self.fields.len())
    }

    /// A field cache for `event` in the memory of an earlier one
    /// ([`FieldCache::into_storage`]): a stream of events then allocates
    /// its cache once, not once per event.
    pub fn cache_in<'e>(&self, event: &'e dyn Event, storage: CacheStorage) -> FieldCache<'e> {
        FieldCache::with_storage(event, self.fields.len(), storage)
    }

    /// The rules to try for an event with this index key, in order.
    fn candidates(&self, key: Option<&str>) -> &[u32] {
        match key {
            None => &self.all_enabled,
            Some(k) => self.by_key.get(k).map_or(&self.unpinned, |v| v),
        }
    }

    /// Append the matches of `event` to `out`, in rule order; with
    /// [`RuleMatching::First`] at most one. Allocates one field cache; use
    /// [`Ruleset::evaluate_cached`] to reuse it for output rendering.
    pub fn evaluate(&self, event: &dyn Event, out: &mut Vec<Match>) {
        let cache = self.cache(event);
        self.evaluate_cached(&cache, out);
    }

    /// [`Ruleset::evaluate`] with a caller-provided cache (from
    /// [`Ruleset::cache`] of this ruleset).
    pub fn evaluate_cached(&self, cache: &FieldCache<'_>, out: &mut Vec<Match>) {
        let ctx = Ctx {
            fields: &self.fields,
            cache,
        };
        for &i in self.candidates(cache.event().index_key()) {
            let rule = &self.rules[i as usize];
            if ctx.eval(&rule.condition) {
                out.push(Match { rule: i as usize });
                if self.matching == RuleMatching::First {
                    return;
                }
            }
        }
    }
}
