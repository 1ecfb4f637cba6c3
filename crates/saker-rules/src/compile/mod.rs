//! Compilation of resolved rules ([`RuleDef`]) into a [`Ruleset`]: field
//! resolution through the source's [`FieldTable`], operator/type checks
//! (`flt_is_comparable`), RHS constant parsing per LHS type
//! (`value_parser.cpp`), regex/glob/pmatch compilation, the compiler's
//! warnings, the index-field pinning and the output formatters.
//!
//! Source of truth: libsinsp `filter.cpp` / `sinsp_filtercheck.cpp` and Falco
//! `rule_loader_compiler.cpp` (see `shared/reference/falco.md` §2.8, §3.4,
//! §3.5, §4, §11).

mod comparable;
mod index;
pub mod value_parser;

use std::collections::HashMap;
use std::sync::Arc;

use regex::Regex;

pub use comparable::{flt_is_comparable, param_type_name};

use crate::ast::{Check, Expr, Literal, Op, Operand, Rhs, Span, TransformArg, Transformer};
use crate::diag::{Diagnostic, ItemKind};
use crate::eval::{CArg, COperand, CheckNode, Const, ConstSet, ConstTest, Node};
use crate::fields::{FieldFlags, FieldTable, FieldType, ResolvedField};
use crate::glob::{glob_match, Glob};
use crate::output::Formatter;
use crate::pmatch::PathPrefixSearch;
use crate::ruleset::{CompiledRule, Ruleset, RulesetOptions};
use crate::transform;
use crate::RuleDef;

pub use crate::ruleset::RuleMatching;

/// Diagnostic codes used here (Falco `falco_load_result.cpp`).
pub const LOAD_ERR_COMPILE_CONDITION: &str = "LOAD_ERR_COMPILE_CONDITION";
pub const LOAD_ERR_COMPILE_OUTPUT: &str = "LOAD_ERR_COMPILE_OUTPUT";
pub const LOAD_UNKNOWN_FILTER: &str = "LOAD_UNKNOWN_FILTER";
pub const LOAD_COMPILE_CONDITION: &str = "LOAD_COMPILE_CONDITION";
pub const LOAD_UNSAFE_NA_CHECK: &str = "LOAD_UNSAFE_NA_CHECK";
pub const LOAD_DEPRECATED_ITEM: &str = "LOAD_DEPRECATED_ITEM";

/// Messages that make a failure an "unknown filter" (skippable with
/// `skip-if-unknown-filter`), as Falco's `rule_loader_compiler` decides.
fn is_unknown_filter(msg: &str) -> bool {
    [
        "nonexistent field",
        "invalid formatting token",
        "unknown event type",
        "unknown filter:",
    ]
    .iter()
    .any(|m| msg.contains(m))
}

/// A compile failure: message plus where in the condition it happened.
#[derive(Debug, Clone)]
pub(crate) struct CompileError {
    pub message: String,
    pub token: Option<(String, Span)>,
}

impl CompileError {
    fn new(message: impl Into<String>) -> Self {
        CompileError {
            message: message.into(),
            token: None,
        }
    }

    fn at(mut self, token: impl Into<String>, span: Span) -> Self {
        if self.token.is_none() {
            self.token = Some((token.into(), span));
        }
        self
    }

    fn render(&self) -> String {
        match &self.token {
            Some((tok, span)) => {
                format!("{} (token '{tok}' at offset {})", self.message, span.start)
            }
            None => self.message.clone(),
        }
    }
}

/// The distinct fields a ruleset reads, each with its cache slot.
pub(crate) struct FieldRegistry {
    pub table: Arc<dyn FieldTable>,
    pub list: Vec<ResolvedField>,
    index: HashMap<ResolvedField, usize>,
}

impl FieldRegistry {
    pub fn new(table: Arc<dyn FieldTable>) -> Self {
        FieldRegistry {
            table,
            list: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// The slot of `f`, adding it on first use.
    pub fn slot(&mut self, f: ResolvedField) -> usize {
        if let Some(&i) = self.index.get(&f) {
            return i;
        }
        let i = self.list.len();
        self.list.push(f.clone());
        self.index.insert(f, i);
        i
    }
}

/// A compiled operand with its (transformed) type.
pub(crate) struct Typed {
    pub op: COperand,
    pub ty: FieldType,
    pub is_list: bool,
    pub flags: FieldFlags,
    /// Field name (for messages).
    pub name: String,
}

/// Compiles the expressions of one rule.
pub(crate) struct RuleCompiler<'r> {
    pub reg: &'r mut FieldRegistry,
    pub warnings: Vec<(&'static str, String)>,
}

impl RuleCompiler<'_> {
    /// Resolve and type an operand (field or transformer).
    pub fn operand(&mut self, o: &Operand) -> Result<Typed, CompileError> {
        match o {
            Operand::Field(f) => {
                let rf = self
                    .reg
                    .table
                    .resolve(&f.name, f.arg.as_deref())
                    .map_err(|m| CompileError::new(m).at(field_token(&f.name, &f.arg), f.span))?;
                if rf.flags.deprecated {
                    self.warnings.push((
                        LOAD_DEPRECATED_ITEM,
                        format!("field '{}' is deprecated", rf.display),
                    ));
                }
                let t = Typed {
                    ty: rf.ty,
                    is_list: rf.is_list,
                    flags: rf.flags,
                    name: rf.display.clone(),
                    op: COperand::Field(self.reg.slot(rf)),
                };
                Ok(t)
            }
            Operand::Transform {
                kind,
                args,
                arg,
                span,
            } => {
                let err_at = |e: String| CompileError::new(e).at(kind.name(), *span);
                if arg.is_some() && *kind != Transformer::Getopt {
                    return Err(err_at(format!(
                        "transformer '{}' does not support field arguments",
                        kind.name()
                    )));
                }
                match kind {
                    Transformer::Join | Transformer::Concat | Transformer::Getopt => {
                        self.multi_transform(*kind, args, arg.as_deref(), *span)
                    }
                    _ => {
                        if args.len() != 1 {
                            return Err(err_at(format!(
                                "transformer '{}' takes exactly one argument",
                                kind.name()
                            )));
                        }
                        let TransformArg::Operand(inner) = &args[0] else {
                            return Err(err_at(format!(
                                "transformer '{}' requires a field argument",
                                kind.name()
                            )));
                        };
                        let t = self.operand(inner)?;
                        if t.flags.no_transformer && *kind != Transformer::Val {
                            return Err(err_at(format!(
                                "field '{}' does not support transformers",
                                t.name
                            )));
                        }
                        let (ty, is_list) =
                            transform::transformed_type(*kind, t.ty, t.is_list).map_err(err_at)?;
                        Ok(Typed {
                            op: COperand::Transform(*kind, vec![CArg::Operand(t.op)]),
                            ty,
                            is_list,
                            flags: t.flags,
                            name: if *kind == Transformer::Val {
                                t.name
                            } else {
                                format!("{}({})", kind.name(), t.name)
                            },
                        })
                    }
                }
            }
        }
    }

    /// `join(sep, list)`, `concat(a, b, …)`, `getopt(argv, optstring)[c]`
    /// (libsinsp `sinsp_filtercheck_multivalue_transformer.cpp`).
    fn multi_transform(
        &mut self,
        kind: Transformer,
        args: &[TransformArg],
        selector: Option<&str>,
        span: Span,
    ) -> Result<Typed, CompileError> {
        let err_at = |e: &str| CompileError::new(e).at(kind.name(), span);
        let mut cargs = Vec::with_capacity(args.len());
        let mut shapes = Vec::with_capacity(args.len());
        for a in args {
            let (c, ty, is_list) = self.transform_arg(a)?;
            cargs.push(c);
            shapes.push((ty, is_list));
        }
        let strings = shapes.iter().all(|(t, _)| *t == FieldType::String);
        let mut is_list = false;
        match kind {
            Transformer::Join => {
                if shapes.len() != 2 {
                    return Err(err_at(
                        "join() requires exactly 2 arguments: separator and list",
                    ));
                }
                if shapes[0].1 {
                    return Err(err_at(
                        "join() first argument (separator) must be a single value, not a list",
                    ));
                }
                if !shapes[1].1 {
                    return Err(err_at("join() second argument must be a list"));
                }
            }
            Transformer::Concat => {
                if shapes.len() < 2 {
                    return Err(err_at("concat() requires at least 2 arguments"));
                }
                if !strings || shapes.iter().any(|(_, l)| *l) {
                    return Err(err_at("concat() arguments must be strings"));
                }
            }
            _ => {
                if shapes.len() != 2 {
                    return Err(err_at(
                        "getopt() requires exactly 2 arguments: args list and optstring",
                    ));
                }
                if !shapes[0].1 {
                    return Err(err_at("getopt() first argument must be a list"));
                }
                if shapes[1].1 {
                    return Err(err_at(
                        "getopt() second argument (optstring) must be a single value",
                    ));
                }
                if !strings {
                    return Err(err_at("getopt() arguments must be strings"));
                }
                match selector {
                    None => is_list = true,
                    Some(c) if c.len() == 1 => {}
                    Some(_) => {
                        return Err(err_at(
                            "getopt() field argument must be a single option character",
                        ))
                    }
                }
            }
        }
        let op = if kind == Transformer::Getopt {
            COperand::Getopt {
                args: cargs,
                selector: selector.map(|c| c.as_bytes()[0]),
            }
        } else {
            COperand::Transform(kind, cargs)
        };
        Ok(Typed {
            op,
            ty: FieldType::String,
            is_list,
            flags: FieldFlags::default(),
            name: format!("{}(...)", kind.name()),
        })
    }

    /// One argument of a multi-value transformer, with its type and
    /// list-ness (a literal is a string; `(…)` is a list).
    fn transform_arg(&mut self, a: &TransformArg) -> Result<(CArg, FieldType, bool), CompileError> {
        Ok(match a {
            TransformArg::Literal(l) => (CArg::Literal(l.value.clone()), FieldType::String, false),
            TransformArg::List(xs) => {
                let mut items = Vec::with_capacity(xs.len());
                let mut ty = FieldType::String;
                for x in xs {
                    let (c, t, _) = self.transform_arg(x)?;
                    if t != FieldType::String {
                        ty = t;
                    }
                    items.push(c);
                }
                (CArg::List(items), ty, true)
            }
            TransformArg::Operand(o) => {
                let t = self.operand(o)?;
                (CArg::Operand(t.op), t.ty, t.is_list)
            }
        })
    }

    /// Compile a condition tree.
    pub fn expr(&mut self, e: &Expr) -> Result<Node, CompileError> {
        Ok(match e {
            Expr::And(xs) => Node::And(xs.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?),
            Expr::Or(xs) => Node::Or(xs.iter().map(|x| self.expr(x)).collect::<Result<_, _>>()?),
            Expr::Not(x) => Node::Not(Box::new(self.expr(x)?)),
            Expr::Macro { name, span } => {
                return Err(CompileError::new(format!("unexpected identifier '{name}'"))
                    .at(name.clone(), *span))
            }
            Expr::Check(c) => Node::Check(Box::new(self.check(c)?)),
        })
    }

    fn check(&mut self, c: &Check) -> Result<CheckNode, CompileError> {
        let lhs = self.operand(&c.lhs)?;
        let lhs_tok = lhs.name.clone();
        let op = match c.op {
            Op::EqEq => Op::Eq,
            o => o,
        };
        flt_is_comparable(op, c.modifier, lhs.ty, lhs.is_list)
            .map_err(|m| CompileError::new(m).at(format!("{lhs_tok} {}", c.op), c.span))?;

        if op == Op::Exists {
            if c.rhs != Rhs::None {
                return Err(CompileError::new("'exists' operator does not take a value")
                    .at(c.op.as_str(), c.span));
            }
            return Ok(CheckNode::Exists(lhs.op));
        }

        // Field on the right-hand side.
        if let Rhs::Field(r) = &c.rhs {
            if matches!(op, Op::Regex | Op::PMatch) || lhs.ty == FieldType::IpNet {
                return Err(CompileError::new(format!(
                    "'{op}' operator does not support a field on the right-hand side"
                ))
                .at(lhs_tok, c.span));
            }
            let rt = self.operand(r)?;
            if lhs.flags.no_rhs || rt.flags.no_rhs {
                let f = if lhs.flags.no_rhs {
                    &lhs.name
                } else {
                    &rt.name
                };
                return Err(CompileError::new(format!(
                    "field '{f}' cannot be compared with another field"
                ))
                .at(f.clone(), c.span));
            }
            if lhs.ty != rt.ty || lhs.is_list != rt.is_list {
                let l = |t: &Typed| if t.is_list { " (list)" } else { "" };
                return Err(CompileError::new(format!(
                    "field '{}' has type '{}{}' while the right-hand side field '{}' has incompatible type '{}{}'",
                    lhs.name,
                    param_type_name(lhs.ty),
                    l(&lhs),
                    rt.name,
                    param_type_name(rt.ty),
                    l(&rt)
                ))
                .at(rt.name.clone(), r.span()));
            }
            if c.modifier.is_some() {
                return Err(CompileError::new(
                    "list modifiers require a list of values on the right-hand side",
                )
                .at(lhs_tok, c.span));
            }
            return Ok(CheckNode::Field {
                lhs: lhs.op,
                lhs_is_list: lhs.is_list,
                op,
                rhs: rt.op,
            });
        }

        let literals: Vec<&Literal> = match &c.rhs {
            Rhs::None => {
                return Err(
                    CompileError::new(format!("'{op}' operator requires a value"))
                        .at(lhs_tok, c.span),
                )
            }
            Rhs::Value(l) => vec![l],
            Rhs::List(ls) => ls.iter().collect(),
            Rhs::ListName(l) => {
                // An identifier in list position that no list replaced: Falco's
                // macro resolver reports it as an undefined macro.
                return Err(CompileError::new(format!(
                    "Undefined macro '{}' used in filter.",
                    l.value
                ))
                .at(l.value.clone(), l.span));
            }
            Rhs::Field(_) => unreachable!("handled above"),
        };
        for l in &literals {
            self.literal_warnings(&lhs, op, l);
            if let COperand::Field(slot) = lhs.op {
                let rf = &self.reg.list[slot];
                self.reg
                    .table
                    .check_value(rf, &l.value)
                    .map_err(|m| CompileError::new(m).at(l.value.clone(), l.span))?;
            }
        }

        let test = if op == Op::PMatch {
            let mut p = PathPrefixSearch::new();
            for l in &literals {
                check_nul(l)?;
                p.add(&l.value);
            }
            ConstTest::PMatch(p)
        } else if let Some(m) = c.modifier {
            let consts = literals
                .iter()
                .map(|l| self.constant(op, lhs.ty, l))
                .collect::<Result<Vec<_>, _>>()?;
            ConstTest::Modifier(m, op, consts)
        } else if op.takes_list() || matches!(c.rhs, Rhs::List(_)) {
            let consts = literals
                .iter()
                .map(|l| self.constant(Op::Eq, lhs.ty, l))
                .collect::<Result<Vec<_>, _>>()?;
            ConstTest::In {
                op,
                set: ConstSet::new(consts),
            }
        } else {
            ConstTest::One(op, self.constant(op, lhs.ty, literals[0])?)
        };
        Ok(CheckNode::Const {
            lhs: lhs.op,
            lhs_is_list: lhs.is_list,
            test,
        })
    }

    /// Parse one RHS constant for `op` on type `ty`.
    fn constant(&mut self, op: Op, ty: FieldType, l: &Literal) -> Result<Const, CompileError> {
        check_nul(l)?;
        let at = |m: String| CompileError::new(m).at(l.value.clone(), l.span);
        let v = l.value.as_str();
        Ok(match op {
            Op::Glob => Const::Glob(Glob::new(v, false)),
            Op::IGlob => Const::Glob(Glob::new(v, true)),
            Op::IContains => Const::ILower(v.to_ascii_lowercase().into_bytes().into()),
            Op::Regex => Const::Regex(compile_regex(v).map_err(at)?),
            Op::BContains | Op::BStartsWith => Const::Val(crate::fields::Value::Bytes(
                value_parser::parse_hex(v).map_err(at)?.into(),
            )),
            _ if ty == FieldType::IpNet => Const::Net(value_parser::parse_net(v).map_err(at)?),
            _ => Const::Val(value_parser::parse_value(ty, v).map_err(at)?),
        })
    }

    fn literal_warnings(&mut self, lhs: &Typed, op: Op, l: &Literal) {
        if !l.quoted && looks_like_field(&l.value) {
            let (name, arg) = split_field_token(&l.value);
            if self.reg.table.resolve(name, arg).is_ok() {
                self.warnings.push((
                    LOAD_COMPILE_CONDITION,
                    format!(
                        "'{}' may be a valid field misused as a const string value",
                        l.value
                    ),
                ));
            }
        }
        if op == Op::Regex && regex_is_plain(&l.value) {
            self.warnings.push((
                LOAD_COMPILE_CONDITION,
                format!(
                    "regex check with '{}' may be optimized with simpler operators such as '=', 'contains', 'startswith', 'endswith'",
                    l.value
                ),
            ));
        }
        if matches!(op, Op::Eq | Op::Ne | Op::In | Op::Intersects | Op::PMatch)
            && l.value == "<NA>"
            && (lhs.name.starts_with("ka.") || lhs.name.starts_with("jevt."))
        {
            self.warnings.push((
                LOAD_UNSAFE_NA_CHECK,
                "comparing a field value with <NA> is unsafe and can lead to unpredictable behavior of the rule condition. If you need to check for the existence of a field, consider using the 'exists' operator instead.".into(),
            ));
        }
    }
}

fn check_nul(l: &Literal) -> Result<(), CompileError> {
    if l.value.contains('\0') {
        return Err(
            CompileError::new("filter value cannot contain a NUL byte (\\x00)")
                .at(l.value.replace('\0', "\\x00"), l.span),
        );
    }
    Ok(())
}

fn field_token(name: &str, arg: &Option<String>) -> String {
    match arg {
        Some(a) => format!("{name}[{a}]"),
        None => name.to_string(),
    }
}

/// `FieldName` of the condition grammar (`a.b`, `a.b_c.d`), with an optional
/// `[arg]` suffix.
fn looks_like_field(s: &str) -> bool {
    let (name, _) = split_field_token(s);
    let mut segs = name.split('.');
    let ok_seg = |seg: &str| {
        let mut cs = seg.chars();
        cs.next().is_some_and(|c| c.is_ascii_alphabetic())
            && cs.all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    name.contains('.') && segs.all(ok_seg)
}

fn split_field_token(s: &str) -> (&str, Option<&str>) {
    match s.find('[') {
        Some(i) if s.ends_with(']') => (&s[..i], Some(&s[i + 1..s.len() - 1])),
        _ => (s, None),
    }
}

/// A regex with no metacharacters (besides a leading/trailing `.*`) could
/// be `=`, `contains`, `startswith` or `endswith`.
fn regex_is_plain(p: &str) -> bool {
    let core = p.strip_prefix(".*").unwrap_or(p);
    let core = core.strip_suffix(".*").unwrap_or(core);
    !core.chars().any(|c| "\\.^$|?*+()[]{}".contains(c))
}

/// Compile a Falco `regex` pattern: RE2 POSIX syntax, anchored at both ends.
///
/// Perl extensions RE2 rejects in POSIX mode (`\d`, `\s`, `\w`, `\b`, `\A`,
/// `\z`, `(?…)` groups and flags, lazy quantifiers) are rejected here too.
///
/// # Errors
/// `invalid regex pattern: <reason>`.
pub fn compile_regex(p: &str) -> Result<Regex, String> {
    let err = |m: &str| format!("invalid regex pattern: {m}");
    // Translate to the `regex` crate's syntax while checking what RE2's
    // POSIX mode rejects.
    let b = p.as_bytes();
    let mut out = String::with_capacity(p.len() + 8);
    let mut i = 0;
    let mut in_class = false;
    while i < b.len() {
        let c = b[i];
        match c {
            b'\\' if i + 1 < b.len() => {
                let e = b[i + 1];
                if b"dDsSwWpP".contains(&e) || (!in_class && b"bBAzQEC".contains(&e)) {
                    return Err(err(&format!("invalid escape sequence: \\{}", e as char)));
                }
                out.push_str(&p[i..i + 2]);
                i += 2;
                continue;
            }
            b'[' if in_class && b.get(i + 1) == Some(&b':') => {
                // POSIX class inside a bracket expression: copy through ":]".
                let end = p[i + 2..].find(":]").map_or(b.len(), |k| i + 2 + k + 2);
                out.push_str(&p[i..end]);
                i = end;
                continue;
            }
            b'[' if !in_class => {
                in_class = true;
                out.push('[');
                i += 1;
                // A leading ']' (after an optional '^') is literal.
                if b.get(i) == Some(&b'^') {
                    out.push('^');
                    i += 1;
                }
                if b.get(i) == Some(&b']') {
                    out.push_str("\\]");
                    i += 1;
                }
                continue;
            }
            b'[' if in_class => {
                out.push_str("\\[");
                i += 1;
                continue;
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class && b.get(i + 1) == Some(&b'?') => {
                return Err(err("missing argument to repetition operator: ?"));
            }
            b'?' | b'+' if !in_class && i > 0 && matches!(b[i - 1], b'*' | b'+' | b'?' | b'}') => {
                return Err(err(&format!(
                    "bad repetition operator: {}{}",
                    b[i - 1] as char,
                    c as char
                )));
            }
            b'{' if !in_class => {
                if is_repetition(&p[i..]) {
                    let end = i + p[i..].find('}').unwrap_or(0) + 1;
                    out.push_str(&p[i..end]);
                    i = end;
                } else {
                    // RE2 takes a '{' that starts no valid repetition literally.
                    out.push_str("\\{");
                    i += 1;
                }
                continue;
            }
            b'}' if !in_class => {
                out.push_str("\\}");
                i += 1;
                continue;
            }
            _ => {}
        }
        // Copy one whole UTF-8 character.
        let len = p[i..].chars().next().map_or(1, char::len_utf8);
        out.push_str(&p[i..i + len]);
        i += len;
    }
    // FullMatch anchoring; in POSIX mode without one_line, ^ and $ inside the
    // pattern match at line boundaries.
    Regex::new(&format!("\\A(?m:{out})\\z")).map_err(|e| {
        let msg = e.to_string();
        let last = msg
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        err(last.trim_start_matches("error: ").trim())
    })
}

/// Whether `s` (starting at `{`) is a repetition `{n}`, `{n,}` or `{n,m}`.
fn is_repetition(s: &str) -> bool {
    let Some(end) = s.find('}') else {
        return false;
    };
    let body = &s[1..end];
    let (lo, hi) = match body.split_once(',') {
        Some((lo, hi)) => (lo, Some(hi)),
        None => (body, None),
    };
    !lo.is_empty()
        && lo.bytes().all(|b| b.is_ascii_digit())
        && hi.is_none_or(|h| h.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a rule name matches one of the selection patterns.
fn name_matches(patterns: &[String], name: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, name, false))
}

fn selected(rule: &RuleDef, opts: &RulesetOptions) -> bool {
    let mut on = rule.enabled;
    if !opts.enabled_tags.is_empty() && rule.tags.is_disjoint(&opts.enabled_tags) {
        on = false;
    }
    if name_matches(&opts.enabled_rules, &rule.name) {
        on = true;
    }
    if name_matches(&opts.disabled_rules, &rule.name) {
        on = false;
    }
    if !rule.tags.is_disjoint(&opts.disabled_tags) {
        on = false;
    }
    on && rule.priority.at_least(opts.min_priority)
}

impl Ruleset {
    /// Compiles every rule of `table.source()`; rules of other sources are
    /// ignored (the caller warns).
    ///
    /// Returns the ruleset plus diagnostics. A rule that fails to compile
    /// yields an Error diagnostic with code `LOAD_ERR_COMPILE_CONDITION` /
    /// `LOAD_ERR_COMPILE_OUTPUT`, item (Rule, name), location =
    /// `rule.location`, and a message naming the offending token and its
    /// byte offset in the condition; the rule is left out of the ruleset.
    /// With `skip_if_unknown_filter`, an unknown field instead gives a
    /// `LOAD_UNKNOWN_FILTER` warning and the rule is skipped. Compiler hints
    /// are `LOAD_COMPILE_CONDITION` / `LOAD_UNSAFE_NA_CHECK` warnings.
    /// Disabled rules are still compiled and validated.
    pub fn compile(
        rules: &[RuleDef],
        table: Arc<dyn FieldTable>,
        opts: &RulesetOptions,
    ) -> (Ruleset, Vec<Diagnostic>) {
        let source = table.source().to_string();
        let index_field = table.index_field().map(str::to_string);
        let mut reg = FieldRegistry::new(table.clone());
        let mut diags = Vec::new();
        let mut compiled = Vec::new();
        for rule in rules.iter().filter(|r| r.source == source) {
            let diag = |sev_err: bool, code: &'static str, msg: String| {
                let d = if sev_err {
                    Diagnostic::error(code, msg)
                } else {
                    Diagnostic::warning(code, msg)
                };
                let d = d.about(ItemKind::Rule, rule.name.clone());
                match &rule.location {
                    Some(l) => d.at(l.clone()),
                    None => d,
                }
            };
            let mut rc = RuleCompiler {
                reg: &mut reg,
                warnings: Vec::new(),
            };
            let cond = rc.expr(&rule.condition);
            let cond = match cond {
                Ok(n) => n,
                Err(e) => {
                    let msg = e.render();
                    if rule.skip_if_unknown_filter && is_unknown_filter(&e.message) {
                        diags.push(diag(
                            false,
                            LOAD_UNKNOWN_FILTER,
                            format!("{msg}; rule skipped (skip-if-unknown-filter)"),
                        ));
                    } else {
                        let d = diag(true, LOAD_ERR_COMPILE_CONDITION, msg);
                        diags.push(match &rule.condition_location {
                            Some(l) => d.at(l.clone()),
                            None => d,
                        });
                    }
                    continue;
                }
            };
            let output = match Formatter::compile(&rule.output, &mut rc) {
                Ok(f) => f,
                Err(msg) => {
                    if rule.skip_if_unknown_filter && is_unknown_filter(&msg) {
                        diags.push(diag(
                            false,
                            LOAD_UNKNOWN_FILTER,
                            format!("{msg}; rule skipped (skip-if-unknown-filter)"),
                        ));
                    } else {
                        diags.push(diag(true, LOAD_ERR_COMPILE_OUTPUT, msg));
                    }
                    continue;
                }
            };
            for (code, msg) in rc.warnings {
                diags.push(diag(false, code, msg));
            }
            let index_values = index_field
                .as_deref()
                .and_then(|f| index::required_values(&rule.condition, f));
            compiled.push(CompiledRule {
                name: rule.name.clone(),
                priority: rule.priority,
                source: rule.source.clone(),
                tags: rule.tags.iter().cloned().collect(),
                enabled: selected(rule, opts),
                index_values,
                condition: cond,
                output,
            });
        }

        let all_enabled: Vec<u32> = compiled
            .iter()
            .enumerate()
            .filter(|(_, r)| r.enabled)
            .map(|(i, _)| i as u32)
            .collect();
        let unpinned: Vec<u32> = all_enabled
            .iter()
            .copied()
            .filter(|&i| compiled[i as usize].index_values.is_none())
            .collect();
        let mut by_key: HashMap<String, Vec<u32>> = HashMap::new();
        for &i in &all_enabled {
            if let Some(vals) = &compiled[i as usize].index_values {
                for v in vals {
                    by_key.entry(v.clone()).or_default().push(i);
                }
            }
        }
        for list in by_key.values_mut() {
            list.extend_from_slice(&unpinned);
            list.sort_unstable();
            list.dedup();
        }
        let time_slot = table.resolve("evt.time", None).ok().map(|f| reg.slot(f));
        let time_iso_slot = table
            .resolve("evt.time.iso8601", None)
            .ok()
            .map(|f| reg.slot(f));
        (
            Ruleset {
                table,
                time_slot,
                time_iso_slot,
                rules: compiled,
                fields: reg.list,
                matching: opts.rule_matching,
                all_enabled,
                by_key,
                unpinned,
            },
            diags,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_is_posix_and_anchored() {
        let r = compile_regex("a.c").unwrap();
        assert!(r.is_match("abc"));
        assert!(!r.is_match("xabc"));
        assert!(compile_regex("a|b").unwrap().is_match("b"));
        assert!(compile_regex("\\d+").is_err());
        assert!(compile_regex("(?i)a").is_err());
        assert!(compile_regex("a*?").is_err());
        assert!(compile_regex("[\\d]").is_err());
        assert!(compile_regex("[a\\]]").is_ok());
        assert!(compile_regex("[[:alpha:]]+").unwrap().is_match("abc"));
        assert!(compile_regex("[]a]").unwrap().is_match("]"));
        assert!(compile_regex("a{2}").unwrap().is_match("aa"));
        assert!(compile_regex("a{,2}").unwrap().is_match("a{,2}"));
        assert!(compile_regex("{x}").unwrap().is_match("{x}"));
        assert!(compile_regex("a^b").is_ok());
        assert!(compile_regex("x\\pL").is_err());
        assert!(compile_regex("é.").unwrap().is_match("éa"));
        assert!(compile_regex("(")
            .unwrap_err()
            .starts_with("invalid regex pattern: "));
    }

    #[test]
    fn plain_regexes_are_flagged() {
        assert!(regex_is_plain("abc"));
        assert!(regex_is_plain(".*abc.*"));
        assert!(!regex_is_plain("a.c"));
    }

    #[test]
    fn field_like_words() {
        assert!(looks_like_field("ct.user"));
        assert!(looks_like_field("json.value[/a]"));
        assert!(!looks_like_field("ct"));
        assert!(!looks_like_field("1.2"));
    }
}
