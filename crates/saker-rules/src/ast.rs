//! The condition syntax tree produced by the parser (libsinsp `filter/ast.h`).
//!
//! The tree keeps what the text said (`=` vs `==`, quoting) closely enough that
//! printing it with [`std::fmt::Display`] and parsing the result again gives
//! the same tree. Spans are byte offsets into the condition text that was
//! parsed (after list substitution); the loader turns them into file
//! line:column positions.

use std::fmt;

/// A half-open byte range `[start, end)` in the parsed condition text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }
}

/// A boolean expression: Falco's `Expr`.
///
/// Equality ignores spans (see the manual `PartialEq` impls), so a tree
/// parsed from printed text compares equal to the original.
#[derive(Debug, Clone)]
pub enum Expr {
    /// `a and b and c` (two or more operands, in order).
    And(Vec<Expr>),
    /// `a or b or c` (two or more operands, in order).
    Or(Vec<Expr>),
    /// `not a`.
    Not(Box<Expr>),
    /// A bare identifier in check position: a macro reference, replaced by the
    /// macro's tree during macro resolution.
    Macro { name: String, span: Span },
    /// A field comparison.
    Check(Box<Check>),
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Expr::And(a), Expr::And(b)) | (Expr::Or(a), Expr::Or(b)) => a == b,
            (Expr::Not(a), Expr::Not(b)) => a == b,
            (Expr::Macro { name: a, .. }, Expr::Macro { name: b, .. }) => a == b,
            (Expr::Check(a), Expr::Check(b)) => a == b,
            _ => false,
        }
    }
}

/// `<lhs> <op> [modifier] <rhs>`, e.g. `ct.name = "RunInstances"`,
/// `ct.user exists`, `tolower(ct.user) in (alice, bob)`.
#[derive(Debug, Clone)]
pub struct Check {
    pub lhs: Operand,
    pub op: Op,
    /// `oneof` / `anyof` / `allof` after a string operator (libs ≥ 0.25).
    pub modifier: Option<Modifier>,
    pub rhs: Rhs,
    /// The whole check, for error locations.
    pub span: Span,
}

impl PartialEq for Check {
    fn eq(&self, other: &Self) -> bool {
        self.lhs == other.lhs
            && self.op == other.op
            && self.modifier == other.modifier
            && self.rhs == other.rhs
    }
}

/// A field reference, possibly wrapped in transformers.
#[derive(Debug, Clone)]
pub enum Operand {
    /// `name` or `name[arg]`.
    Field(FieldRef),
    /// `tolower(x)`, `len(x)`, `join(",", x)`, … (and `val(x)` on the RHS).
    Transform {
        kind: Transformer,
        args: Vec<TransformArg>,
        /// `getopt(args, "abc")[c]` takes a bracket argument after the call.
        arg: Option<String>,
        span: Span,
    },
}

impl PartialEq for Operand {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Operand::Field(a), Operand::Field(b)) => a == b,
            (
                Operand::Transform {
                    kind: ka,
                    args: aa,
                    arg: ga,
                    ..
                },
                Operand::Transform {
                    kind: kb,
                    args: ab,
                    arg: gb,
                    ..
                },
            ) => ka == kb && aa == ab && ga == gb,
            _ => false,
        }
    }
}

impl Operand {
    pub fn span(&self) -> Span {
        match self {
            Operand::Field(f) => f.span,
            Operand::Transform { span, .. } => *span,
        }
    }
}

/// `name` or `name[arg]` — the field's name as written and its unescaped
/// bracket argument.
#[derive(Debug, Clone)]
pub struct FieldRef {
    pub name: String,
    pub arg: Option<String>,
    pub span: Span,
}

impl PartialEq for FieldRef {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.arg == other.arg
    }
}

/// An argument of a transformer call.
#[derive(Debug, Clone, PartialEq)]
pub enum TransformArg {
    /// A field or a nested transformer.
    Operand(Operand),
    /// A quoted string or number literal (multi-value transformers only).
    Literal(Literal),
    /// `(a, b, …)` of operands or literals (multi-value transformers only).
    List(Vec<TransformArg>),
}

/// Field transformers (libsinsp `sinsp_filter_transformers`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transformer {
    /// `val(f)`: identity; only makes the RHS a field reference.
    Val,
    ToLower,
    ToUpper,
    B64,
    Basename,
    Len,
    Join,
    Concat,
    Getopt,
}

impl Transformer {
    /// The name as written before `(`.
    pub fn name(self) -> &'static str {
        match self {
            Transformer::Val => "val",
            Transformer::ToLower => "tolower",
            Transformer::ToUpper => "toupper",
            Transformer::B64 => "b64",
            Transformer::Basename => "basename",
            Transformer::Len => "len",
            Transformer::Join => "join",
            Transformer::Concat => "concat",
            Transformer::Getopt => "getopt",
        }
    }

    /// Look a transformer up by name (case-sensitive, like Falco's lexer).
    pub fn from_name(name: &str) -> Option<Transformer> {
        Some(match name {
            "val" => Transformer::Val,
            "tolower" => Transformer::ToLower,
            "toupper" => Transformer::ToUpper,
            "b64" => Transformer::B64,
            "basename" => Transformer::Basename,
            "len" => Transformer::Len,
            "join" => Transformer::Join,
            "concat" => Transformer::Concat,
            "getopt" => Transformer::Getopt,
            _ => return None,
        })
    }
}

/// Comparison operators (libsinsp `cmpop`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `=`
    Eq,
    /// `==` (same meaning as `=`; kept apart so printing round-trips)
    EqEq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
    IContains,
    BContains,
    StartsWith,
    BStartsWith,
    EndsWith,
    Glob,
    IGlob,
    Regex,
    In,
    Intersects,
    PMatch,
    Exists,
}

impl Op {
    /// The operator's text as Falco spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::EqEq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
            Op::IContains => "icontains",
            Op::BContains => "bcontains",
            Op::StartsWith => "startswith",
            Op::BStartsWith => "bstartswith",
            Op::EndsWith => "endswith",
            Op::Glob => "glob",
            Op::IGlob => "iglob",
            Op::Regex => "regex",
            Op::In => "in",
            Op::Intersects => "intersects",
            Op::PMatch => "pmatch",
            Op::Exists => "exists",
        }
    }

    /// Parse an operator name (used for exception `comps`).
    pub fn from_str_op(s: &str) -> Option<Op> {
        Some(match s {
            "=" => Op::Eq,
            "==" => Op::EqEq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "contains" => Op::Contains,
            "icontains" => Op::IContains,
            "bcontains" => Op::BContains,
            "startswith" => Op::StartsWith,
            "bstartswith" => Op::BStartsWith,
            "endswith" => Op::EndsWith,
            "glob" => Op::Glob,
            "iglob" => Op::IGlob,
            "regex" => Op::Regex,
            "in" => Op::In,
            "intersects" => Op::Intersects,
            "pmatch" => Op::PMatch,
            "exists" => Op::Exists,
            _ => return None,
        })
    }

    /// `in`, `intersects`, `pmatch`: the RHS is a list.
    pub fn takes_list(self) -> bool {
        matches!(self, Op::In | Op::Intersects | Op::PMatch)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `oneof` / `anyof` / `allof` list modifiers of string operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Modifier {
    OneOf,
    AnyOf,
    AllOf,
}

impl Modifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Modifier::OneOf => "oneof",
            Modifier::AnyOf => "anyof",
            Modifier::AllOf => "allof",
        }
    }
}

/// A constant on the right-hand side, after unescaping.
#[derive(Debug, Clone)]
pub struct Literal {
    /// The value after quote removal and unescaping.
    pub value: String,
    /// Whether it was written quoted (a bare word that looks like a field
    /// name earns a "may be a valid field misused as a const string" warning
    /// only when unquoted).
    pub quoted: bool,
    pub span: Span,
}

impl PartialEq for Literal {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

/// The right-hand side of a check.
#[derive(Debug, Clone, PartialEq)]
pub enum Rhs {
    /// No right-hand side (`exists`).
    None,
    /// One constant.
    Value(Literal),
    /// `(a, b, …)`; may be empty.
    List(Vec<Literal>),
    /// A field reference: `val(f)` or any transformer.
    Field(Operand),
    /// A bare identifier in list position that list substitution did not
    /// replace (an undefined list); rejected by the compiler.
    ListName(Literal),
}
