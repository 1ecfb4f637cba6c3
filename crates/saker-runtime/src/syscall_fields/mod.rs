//! Falco's `syscall` field table, for type-checking Falco's syscall rule files.
//!
//! Source of truth: `shared/reference/falco.md` §11 and the TSV files next to
//! it (falcosecurity/libs 0.25.4 filtercheck classes, then the `container`
//! plugin 0.7.1). The rows live in the generated [`table`] module; this
//! module reproduces libsinsp's name resolution
//! (`filter_check_list::new_filter_check_from_fldname`):
//!
//! 1. the field classes are tried in order (gen_event, event, thread, user,
//!    group, fd, fs.path, util, fdlist, container plugin);
//! 2. the first class with a registered name that is a prefix of the token
//!    decides, with its longest such name;
//! 3. that field's parser must consume the whole token, else the field is
//!    "nonexistent" (later classes are not tried).
//!
//! Argument forms: bracket arguments as in [`saker_rules::fields::ArgForm`], plus the dot-suffix
//! forms of the event class — `evt.arg.<param>` (or `evt.arg[N]`),
//! `evt.rawarg.<param>` (typed like the parameter), `evt.type.is.<event>`,
//! `evt.abspath[.src|.dst]` — and `thread.cgroup.<subsystem>`. A dot suffix
//! is returned as [`FieldArg::Key`] without its dot.
//!
//! Extraction is not implemented yet: this is the compile-time table only.

mod table;

use saker_rules::fields::{parse_arg, FieldArg, FieldDef, FieldTable, FieldType, ResolvedField};

/// The libsinsp filtercheck class a row belongs to, in resolution order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FieldClass {
    GenEvent,
    Event,
    Thread,
    User,
    Group,
    Fd,
    FsPath,
    Util,
    FdList,
    ContainerPlugin,
}

/// Fields whose argument a class-specific parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SpecialArg {
    /// Generic parsing: exact name, then the row's bracket [`ArgForm`].
    None,
    /// `evt.arg[N]` or `evt.arg.<param>`.
    EvtArg,
    /// `evt.rawarg.<param>` only; the type is the parameter's.
    EvtRawarg,
    /// `evt.around[T]`, T a ns timestamp.
    EvtAround,
    /// `evt.abspath`, `evt.abspath.src`, `evt.abspath.dst`.
    EvtAbspath,
    /// `evt.type.is.<event-table name or decimal code>`.
    EvtTypeIs,
    /// `thread.cgroup.<subsystem>` (letters and `_`).
    ThreadCgroup,
}

/// The name of Falco's syscall event source.
pub const SYSCALL_SOURCE: &str = "syscall";

/// The field table of Falco's `syscall` source (libs fields plus the
/// `container` plugin's), implementing [`FieldTable`].
///
/// [`FieldTable::plugins`] reports `container` 0.7.1 (Falco's rules require
/// ≥ 0.4.0) and [`FieldTable::index_field`] is `evt.type`.
/// [`FieldTable::check_value`] rejects an `evt.type` / `syscall.type` value
/// that is not a known event name (`unknown event type X`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SyscallFieldTable;

impl SyscallFieldTable {
    pub fn new() -> Self {
        SyscallFieldTable
    }
}

/// Every value `evt.type` accepts on the right-hand side (490 names, sorted
/// by bytes): libsinsp event-table names, ppm_sc syscall names and the
/// container plugin's async event names.
pub fn syscall_event_types() -> &'static [&'static str] {
    table::EVENT_TYPES
}

/// Whether `name` is a valid `evt.type` value (see [`syscall_event_types`]).
pub fn is_syscall_event_type(name: &str) -> bool {
    table::EVENT_TYPES.binary_search(&name).is_ok()
}

/// The type `evt.rawarg.<param>` compiles to, or `None` if `param` is not an
/// event-parameter name.
pub fn event_param_type(param: &str) -> Option<FieldType> {
    table::EVENT_PARAMS
        .binary_search_by(|(p, _)| (*p).cmp(param))
        .ok()
        .map(|i| table::EVENT_PARAMS[i].1)
}

fn nonexistent(token: &str) -> String {
    format!("filter_check called with nonexistent field {token}")
}

/// libsinsp `find_longest_matching_evt_param`: the longest parameter name
/// that is a prefix of `suffix`.
fn longest_param(suffix: &str) -> Option<(&'static str, FieldType)> {
    table::EVENT_PARAMS
        .iter()
        .filter(|(p, _)| suffix.starts_with(p))
        .max_by_key(|(p, _)| p.len())
        .copied()
}

/// The row that decides a token: the first class with a name prefixing it,
/// and that class's longest such name.
fn deciding_row(name: &str) -> Option<usize> {
    let fields = table::FIELDS;
    let meta = table::FIELD_META;
    let mut i = 0;
    while i < fields.len() {
        let class = meta[i].0;
        let mut best: Option<usize> = None;
        let mut j = i;
        while j < fields.len() && meta[j].0 == class {
            let n = fields[j].name;
            if name.starts_with(n) && best.is_none_or(|b| fields[b].name.len() < n.len()) {
                best = Some(j);
            }
            j += 1;
        }
        if best.is_some() {
            return best;
        }
        i = j;
    }
    None
}

impl FieldTable for SyscallFieldTable {
    fn source(&self) -> &str {
        SYSCALL_SOURCE
    }

    fn fields(&self) -> &[FieldDef] {
        table::FIELDS
    }

    fn resolve(&self, name: &str, arg: Option<&str>) -> Result<ResolvedField, String> {
        let token = match arg {
            Some(a) => format!("{name}[{a}]"),
            None => name.to_string(),
        };
        let id = deciding_row(name).ok_or_else(|| nonexistent(&token))?;
        let def = &table::FIELDS[id];
        let rest = &name[def.name.len()..];
        let suffix = rest.strip_prefix('.');
        let mut ty = def.ty;
        let parsed = match table::FIELD_META[id].1 {
            SpecialArg::None => {
                if !rest.is_empty() {
                    return Err(nonexistent(&token));
                }
                parse_arg(name, def.arg, arg)?
            }
            SpecialArg::EvtArg | SpecialArg::EvtRawarg => match (suffix, arg) {
                (None, Some(a)) if rest.is_empty() => {
                    if table::FIELD_META[id].1 == SpecialArg::EvtRawarg {
                        return Err("evt.arg fields must be expressed explicitly".into());
                    }
                    let n: u32 = a
                        .parse()
                        .map_err(|_| format!("{token}: argument index must be a number"))?;
                    FieldArg::Index(u64::from(n))
                }
                (Some(s), None) => {
                    let (param, pty) =
                        longest_param(s).ok_or_else(|| format!("unknown event argument {s}"))?;
                    if param.len() != s.len() {
                        return Err(nonexistent(&token));
                    }
                    if table::FIELD_META[id].1 == SpecialArg::EvtRawarg {
                        ty = pty;
                    }
                    FieldArg::Key(param.to_string())
                }
                (Some(_), Some(_)) => return Err(nonexistent(&token)),
                (None, _) => return Err(format!("filter syntax error: {token}")),
            },
            SpecialArg::EvtAround => match (suffix, arg) {
                (None, Some(a)) if rest.is_empty() => FieldArg::Index(
                    a.parse()
                        .map_err(|_| format!("{token}: argument must be a number"))?,
                ),
                (Some(_), _) => return Err("wrong syntax for evt.around".into()),
                _ => return Err(format!("filter syntax error: {token}")),
            },
            SpecialArg::EvtAbspath => match (rest, arg) {
                ("", None) => FieldArg::None,
                (".src", None) => FieldArg::Key("src".into()),
                (".dst", None) => FieldArg::Key("dst".into()),
                _ => return Err(nonexistent(&token)),
            },
            SpecialArg::EvtTypeIs => match (suffix, arg) {
                (Some(s), None) if s.parse::<u32>().is_ok() || is_syscall_event_type(s) => {
                    FieldArg::Key(s.to_string())
                }
                (Some(_), _) => return Err(nonexistent(&token)),
                (None, _) => return Err(format!("filter syntax error: {token}")),
            },
            SpecialArg::ThreadCgroup => match (suffix, arg) {
                (Some(s), None)
                    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphabetic() || b == b'_') =>
                {
                    FieldArg::Key(s.to_string())
                }
                (Some(_), _) => return Err(nonexistent(&token)),
                (None, _) => return Err(format!("filter syntax error: {token}")),
            },
        };
        Ok(ResolvedField {
            id: id as u32,
            arg: parsed,
            ty,
            is_list: def.is_list,
            flags: def.flags,
            display: token,
        })
    }

    fn plugins(&self) -> &[(&'static str, &'static str)] {
        &[("container", "0.7.1")]
    }

    fn index_field(&self) -> Option<&str> {
        Some("evt.type")
    }

    fn check_value(&self, field: &ResolvedField, value: &str) -> Result<(), String> {
        let name = table::FIELDS[field.id as usize].name;
        if (name == "evt.type" || name == "syscall.type") && !is_syscall_event_type(value) {
            return Err(format!("unknown event type {value}"));
        }
        Ok(())
    }
}
