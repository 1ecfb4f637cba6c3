//! From collected items to [`RuleDef`]s: Falco's `rule_loader_compiler.cpp`
//! steps before the filter compiler — lists expanded, conditions parsed
//! after list substitution, exceptions appended, macros resolved, unused
//! lists and macros reported.

use std::collections::HashMap;

use crate::diag::{Diagnostic, ItemKind};
use crate::parser::parse_condition;
use crate::RuleDef;

use super::collector::{Collector, TextSource};
use super::exceptions::build_condition;
use super::lists::{quote_item, resolve_list};
use super::macros::{resolve, MacroEnv, MacroError, Slot};

/// A rule whose `source` has no field table: kept for listings.
#[derive(Debug, Clone)]
pub struct SkippedRule {
    pub name: String,
    pub source: String,
    pub priority: crate::Priority,
    pub enabled: bool,
    pub tags: std::collections::BTreeSet<String>,
    pub location: Option<crate::Location>,
}

/// The outcome of one compile pass over everything collected so far.
pub struct Compiled {
    pub rules: Vec<RuleDef>,
    pub skipped: Vec<SkippedRule>,
    pub diagnostics: Vec<Diagnostic>,
}

struct CompiledList {
    name: String,
    items: Vec<String>,
}

fn parse_error(
    kind: ItemKind,
    name: &str,
    source: &TextSource,
    text: &str,
    prefix: usize,
    err: crate::parser::ParseError,
) -> Diagnostic {
    Diagnostic::error("LOAD_ERR_COMPILE_CONDITION", err.to_string())
        .at(source.locate(text, prefix, err.pos))
        .about(kind, name)
}

fn macro_errors(
    errs: Vec<MacroError>,
    kind: ItemKind,
    name: &str,
    source: &TextSource,
    text: &str,
    prefix: usize,
) -> (bool, Vec<Diagnostic>) {
    let failed = !errs.is_empty();
    let mut out = Vec::new();
    for e in errs {
        if let Some(msg) = e.message() {
            let loc = e
                .span()
                .map(|s| source.locate(text, prefix, s.start))
                .unwrap_or_else(|| source.location.clone());
            out.push(
                Diagnostic::error("LOAD_ERR_VALIDATE", msg)
                    .at(loc)
                    .about(kind, name),
            );
        }
    }
    (failed, out)
}

/// Run the compile pass. Never fails: problems are diagnostics, and a rule
/// with an error is left out of `rules`.
pub fn compile(col: &Collector) -> Compiled {
    let mut diags = Vec::new();

    // Lists: expand items naming an earlier list (one level, as Falco).
    let mut lists: Vec<CompiledList> = Vec::with_capacity(col.lists.len());
    let mut list_used = vec![false; col.lists.len()];
    let list_pos: HashMap<&str, usize> = col
        .lists
        .iter()
        .enumerate()
        .map(|(i, l)| (l.name.as_str(), i))
        .collect();
    for list in &col.lists {
        let mut items = Vec::new();
        for item in &list.items {
            match col.list(item) {
                Some(r) if r.index < list.visibility => {
                    list_used[list_pos[r.name.as_str()]] = true;
                    items.extend(r.items.iter().map(|v| quote_item(v)));
                }
                _ => items.push(quote_item(item)),
            }
        }
        lists.push(CompiledList {
            name: list.name.clone(),
            items,
        });
    }
    let substitute = |text: &mut String, used: &mut [bool]| {
        for (i, l) in lists.iter().enumerate() {
            if resolve_list(text, &l.name, &l.items) {
                used[i] = true;
            }
        }
    };

    // Macros: parse each body on its own.
    let mut slots: Vec<Slot> = Vec::with_capacity(col.macros.len());
    let mut macro_texts = Vec::with_capacity(col.macros.len());
    for m in &col.macros {
        let mut text = m.cond.clone();
        substitute(&mut text, &mut list_used);
        match parse_condition(&text) {
            Ok(e) => slots.push(Slot::Ready(e)),
            Err(e) => {
                diags.push(parse_error(
                    ItemKind::Macro,
                    &m.name,
                    &m.cond_source,
                    &text,
                    0,
                    e,
                ));
                slots.push(Slot::Broken);
            }
        }
        macro_texts.push(text);
    }

    // Macros: resolve in definition order, each seeing the macros defined
    // before its last definition or append.
    let mut macro_used = vec![false; col.macros.len()];
    for (i, m) in col.macros.iter().enumerate() {
        let Slot::Ready(mut expr) = std::mem::replace(&mut slots[i], Slot::InProgress) else {
            slots[i] = Slot::Broken;
            continue;
        };
        let visible = |name: &str| {
            col.macro_index(name)
                .filter(|&j| col.macros[j].index < m.visibility)
        };
        let errs = resolve(
            &mut expr,
            &mut MacroEnv {
                visible: &visible,
                slots: &slots,
                used: &mut macro_used,
            },
        );
        let (failed, ds) = macro_errors(
            errs,
            ItemKind::Macro,
            &m.name,
            &m.cond_source,
            &macro_texts[i],
            0,
        );
        diags.extend(ds);
        slots[i] = if failed {
            Slot::Broken
        } else {
            Slot::Ready(expr)
        };
    }

    // Rules, in first-definition order.
    let mut rules = Vec::new();
    let mut skipped = Vec::new();
    for r in &col.rules {
        if r.unknown_source {
            skipped.push(SkippedRule {
                name: r.name.clone(),
                source: r.source.clone(),
                priority: r.priority,
                enabled: r.enabled,
                tags: r.tags.clone(),
                location: Some(r.location.clone()),
            });
            continue;
        }
        let mut text = match build_condition(&r.cond, &r.exceptions) {
            Ok(t) => t,
            Err((msg, loc)) => {
                diags.push(
                    Diagnostic::error("LOAD_ERR_VALIDATE", msg)
                        .at(loc)
                        .about(ItemKind::Rule, &r.name),
                );
                continue;
            }
        };
        let prefix = usize::from(!r.exceptions.is_empty());
        substitute(&mut text, &mut list_used);
        let mut expr = match parse_condition(&text) {
            Ok(e) => e,
            Err(e) => {
                diags.push(parse_error(
                    ItemKind::Rule,
                    &r.name,
                    &r.cond_source,
                    &text,
                    prefix,
                    e,
                ));
                continue;
            }
        };
        let visible = |name: &str| col.macro_index(name);
        let errs = resolve(
            &mut expr,
            &mut MacroEnv {
                visible: &visible,
                slots: &slots,
                used: &mut macro_used,
            },
        );
        let (failed, ds) =
            macro_errors(errs, ItemKind::Rule, &r.name, &r.cond_source, &text, prefix);
        diags.extend(ds);
        if failed {
            continue;
        }
        rules.push(RuleDef {
            name: r.name.clone(),
            condition: expr,
            condition_text: text,
            output: r.output.clone(),
            desc: r.desc.clone(),
            priority: r.priority,
            source: r.source.clone(),
            enabled: r.enabled,
            tags: r.tags.clone(),
            skip_if_unknown_filter: r.skip_if_unknown_filter,
            location: Some(r.location.clone()),
            condition_location: Some(r.cond_source.location.clone()),
        });
    }

    // Unused lists and macros: only meaningful when everything compiled.
    if !diags.iter().any(Diagnostic::is_error) {
        for (m, used) in col.macros.iter().zip(&macro_used) {
            if !used {
                diags.push(
                    Diagnostic::warning(
                        "LOAD_UNUSED_MACRO",
                        "Macro not referred to by any other rule/macro",
                    )
                    .at(m.location.clone())
                    .about(ItemKind::Macro, &m.name),
                );
            }
        }
        for (l, used) in col.lists.iter().zip(&list_used) {
            if !used {
                diags.push(
                    Diagnostic::warning(
                        "LOAD_UNUSED_LIST",
                        "List not referred to by any other rule/macro",
                    )
                    .at(l.location.clone())
                    .about(ItemKind::List, &l.name),
                );
            }
        }
    }

    Compiled {
        rules,
        skipped,
        diagnostics: diags,
    }
}
