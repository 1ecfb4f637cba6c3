//! Conformance of the condition parser with Falco's grammar
//! (`shared/reference/falco.md` §3.1–§3.3).
//!
//! - `conformance/grammar.yaml`: a data table of accepted conditions (with
//!   their tree and printed form) and rejected ones (with the error message).
//! - Spans, error positions and the nesting limit.
//! - Property tests: the parser never panics, and printing any tree it can
//!   produce gives text that parses back to the same tree.

use proptest::prelude::*;
use saker_rules::ast::{
    Check, Expr, Literal, Modifier, Op, Operand, Rhs, Span, TransformArg, Transformer,
};
use saker_rules::parser::{parse_condition, parse_operand_at, quote_str, unescape_str};
use serde::Deserialize;

// ---------------------------------------------------------------------------
// The conformance table
// ---------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    accept: Option<String>,
    reject: Option<String>,
    tree: Option<String>,
    print: Option<String>,
    error: Option<String>,
    at: Option<String>,
    #[allow(dead_code)]
    note: Option<String>,
}

fn cases() -> Vec<Case> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/conformance/grammar.yaml"
    );
    let text = std::fs::read_to_string(path).expect("read grammar.yaml");
    serde_saphyr::from_str(&text).expect("parse grammar.yaml")
}

/// The table's s-expression notation of a tree (see grammar.yaml's header).
fn sexpr(e: &Expr) -> String {
    fn join(items: &[Expr]) -> String {
        items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
    }
    match e {
        Expr::And(c) => format!("(and {})", join(c)),
        Expr::Or(c) => format!("(or {})", join(c)),
        Expr::Not(c) => format!("(not {})", sexpr(c)),
        Expr::Macro { name, .. } => name.clone(),
        Expr::Check(c) => {
            let mut s = format!("({} {}", c.op, operand(&c.lhs));
            if let Some(m) = c.modifier {
                s += &format!(" {}", m.as_str());
            }
            match &c.rhs {
                Rhs::None => {}
                Rhs::Value(l) => s += &format!(" {:?}", l.value),
                Rhs::List(items) => s += &format!(" {}", list(items)),
                Rhs::Field(op) => s += &format!(" {}", operand(op)),
                Rhs::ListName(l) => s += &format!(" @{}", l.value),
            }
            s + ")"
        }
    }
}

fn list(items: &[Literal]) -> String {
    let v: Vec<String> = items.iter().map(|l| format!("{:?}", l.value)).collect();
    format!("[{}]", v.join(" "))
}

fn bracket(arg: &Option<String>) -> String {
    arg.as_ref().map(|a| format!("[{a:?}]")).unwrap_or_default()
}

fn operand(op: &Operand) -> String {
    match op {
        Operand::Field(f) => format!("{}{}", f.name, bracket(&f.arg)),
        Operand::Transform {
            kind, args, arg, ..
        } => {
            let a: Vec<String> = args.iter().map(transform_arg).collect();
            format!("({} {}){}", kind.name(), a.join(" "), bracket(arg))
        }
    }
}

fn transform_arg(a: &TransformArg) -> String {
    match a {
        TransformArg::Operand(op) => operand(op),
        TransformArg::Literal(l) => format!("{:?}", l.value),
        TransformArg::List(items) => {
            let v: Vec<String> = items.iter().map(transform_arg).collect();
            format!("[{}]", v.join(" "))
        }
    }
}

#[test]
fn conformance_table() {
    let cases = cases();
    assert!(cases.len() >= 90, "table has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        match (&case.accept, &case.reject) {
            (Some(text), None) => match parse_condition(text) {
                Err(e) => failures.push(format!("{text:?}: rejected: {e}")),
                Ok(tree) => {
                    if let Some(want) = &case.tree {
                        let got = sexpr(&tree);
                        if &got != want {
                            failures.push(format!("{text:?}: tree {got} != {want}"));
                        }
                    }
                    let printed = tree.to_string();
                    if let Some(want) = &case.print {
                        if &printed != want {
                            failures.push(format!("{text:?}: printed {printed:?} != {want:?}"));
                        }
                    }
                    // parse → print → parse gives the same tree.
                    match parse_condition(&printed) {
                        Ok(again) if again == tree => {}
                        Ok(again) => failures.push(format!(
                            "{text:?}: printed {printed:?} reparses to {}",
                            sexpr(&again)
                        )),
                        Err(e) => {
                            failures.push(format!("{text:?}: printed {printed:?} rejected: {e}"))
                        }
                    }
                }
            },
            (None, Some(text)) => {
                let want = case.error.as_deref().expect("reject cases name an error");
                match parse_condition(text) {
                    Ok(tree) => failures.push(format!("{text:?}: accepted as {}", sexpr(&tree))),
                    Err(e) => {
                        if !e.message.contains(want) {
                            failures
                                .push(format!("{text:?}: error {:?} lacks {want:?}", e.message));
                        }
                        if let Some(at) = &case.at {
                            let got = format!("{}:{}", e.line, e.col);
                            if &got != at {
                                failures.push(format!("{text:?}: error at {got}, want {at}"));
                            }
                        }
                        let shown = e.to_string();
                        assert!(shown.starts_with("filter error at "), "{shown}");
                    }
                }
            }
            _ => failures.push(format!("bad case {case:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------
// Spans, positions, limits
// ---------------------------------------------------------------------------

fn text_at(text: &str, span: Span) -> &str {
    &text[span.start..span.end]
}

#[test]
fn spans_cover_the_source_text() {
    let text = "not ct.name[x] = 'a b' and (m1 or tolower(ct.user) in (x, \"y\"))";
    let Expr::And(children) = parse_condition(text).unwrap() else {
        panic!("and expected")
    };
    let Expr::Not(first) = &children[0] else {
        panic!("not expected")
    };
    let Expr::Check(c) = &**first else {
        panic!("check expected")
    };
    assert_eq!(text_at(text, c.span), "ct.name[x] = 'a b'");
    assert_eq!(text_at(text, c.lhs.span()), "ct.name[x]");
    let Rhs::Value(v) = &c.rhs else {
        panic!("value expected")
    };
    assert_eq!(text_at(text, v.span), "'a b'");
    assert!(v.quoted);
    let Expr::Or(alts) = &children[1] else {
        panic!("or expected")
    };
    let Expr::Macro { name, span } = &alts[0] else {
        panic!("macro expected")
    };
    assert_eq!((name.as_str(), text_at(text, *span)), ("m1", "m1"));
    let Expr::Check(c) = &alts[1] else {
        panic!("check expected")
    };
    assert_eq!(text_at(text, c.span), "tolower(ct.user) in (x, \"y\")");
    assert_eq!(text_at(text, c.lhs.span()), "tolower(ct.user)");
    let Rhs::List(items) = &c.rhs else {
        panic!("list expected")
    };
    let spans: Vec<&str> = items.iter().map(|l| text_at(text, l.span)).collect();
    assert_eq!(spans, ["x", "\"y\""]);
    assert_eq!(
        items.iter().map(|l| l.quoted).collect::<Vec<_>>(),
        [false, true]
    );
}

#[test]
fn error_columns_count_characters() {
    // "é" is two bytes but one column.
    let e = parse_condition("ct.user = é x").unwrap_err();
    assert_eq!((e.line, e.col, e.pos), (1, 13, 13));
    assert_eq!(
        e.to_string(),
        "filter error at 1:13: unexpected token after 'é', expecting 'or', 'and'"
    );
}

#[test]
fn nesting_is_limited_without_overflowing_the_stack() {
    // One parenthesised group costs five parser levels, as in libsinsp.
    let nested = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
    assert!(parse_condition(&nested(150)).is_ok());
    let e = parse_condition(&nested(250)).unwrap_err();
    assert_eq!(e.message, "exceeded max depth limit of 1000");
    for text in [
        "(".repeat(100_000),
        "not(".repeat(100_000),
        format!("{}a.b exists", "not (".repeat(50_000)),
        format!(
            "a.b = {}c.d{}",
            "tolower(".repeat(50_000),
            ")".repeat(50_000)
        ),
        format!("{}a.b) exists", "concat(".repeat(50_000)),
    ] {
        let e = parse_condition(&text).unwrap_err();
        assert!(
            e.message.contains("exceeded max depth limit"),
            "{}",
            e.message
        );
    }
    // A flat chain is not nesting.
    let flat = vec!["a"; 10_000].join(" and ");
    let Expr::And(c) = parse_condition(&flat).unwrap() else {
        panic!("and expected")
    };
    assert_eq!(c.len(), 10_000);
    // Many `not`s toggle in a loop.
    assert_eq!(
        parse_condition(&format!("{}a", "not ".repeat(100_001))).unwrap(),
        Expr::Not(Box::new(Expr::Macro {
            name: "a".into(),
            span: Span::default()
        }))
    );
}

#[test]
fn operands_for_output_tokens() {
    let fmt = "user=%ct.user[x]s %tolower(ct.name), %json.value[/a/b]";
    let (op, end) = parse_operand_at(fmt, 6).unwrap();
    assert_eq!(
        (operand(&op), &fmt[end..end + 1]),
        ("ct.user[\"x\"]".to_string(), "s")
    );
    let start = fmt.find("tolower").unwrap();
    let (op, end) = parse_operand_at(fmt, start).unwrap();
    assert_eq!(
        (operand(&op), &fmt[end..end + 1]),
        ("(tolower ct.name)".to_string(), ",")
    );
    let start = fmt.find("json").unwrap();
    let (op, end) = parse_operand_at(fmt, start).unwrap();
    assert_eq!(
        (operand(&op), end),
        ("json.value[\"/a/b\"]".to_string(), fmt.len())
    );
    // Longest syntactic match: the formatter shortens it if unknown.
    let (op, _) = parse_operand_at("%ct.users", 1).unwrap();
    assert_eq!(operand(&op), "ct.users");
    assert!(parse_operand_at("%val(ct.user)", 1).is_err());
    assert!(parse_operand_at("%user", 1).is_err());
    assert!(parse_operand_at("%ct.user", 9).is_err());
    assert!(parse_operand_at("é", 1).is_err());
}

#[test]
fn quoting_round_trips_through_the_lexer() {
    for v in [
        "",
        "a b",
        "c:\\",
        "x\\\\",
        "\"q\"",
        "it's",
        "\u{8}\u{c}\n\r\t",
        "日本\\",
    ] {
        let q = quote_str(v);
        assert_eq!(unescape_str(&q).unwrap(), v);
        let tree = parse_condition(&format!("ct.x = {q} and m")).unwrap();
        let Expr::And(c) = tree else {
            panic!("and expected")
        };
        let Expr::Check(c) = &c[0] else {
            panic!("check expected")
        };
        let Rhs::Value(l) = &c.rhs else {
            panic!("value expected")
        };
        assert_eq!(l.value, v);
    }
}

// ---------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------

const TOKENS: &[&str] = &[
    "a",
    "ct.name",
    "json.value[/a]",
    "x.y[",
    "]",
    "(",
    ")",
    "not",
    "not ",
    "not(",
    "and",
    "or",
    " ",
    "\t",
    "\n",
    "\u{8}",
    "\u{c}",
    "=",
    "==",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "exists",
    "in",
    "intersects",
    "pmatch",
    "contains ",
    "glob ",
    "regex ",
    "oneof",
    "anyof ",
    ",",
    "\"",
    "'",
    "\\",
    "\"a\\\"b\"",
    "'c:\\\\'",
    "\\x4",
    "\\x41",
    "val(",
    "tolower(",
    "len(",
    "join(",
    "concat(",
    "getopt(",
    "0x1F",
    "-1.5e+3",
    "é",
    "日本",
    "\0",
    "[",
    "*.log",
    "my_list",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn never_panics_on_arbitrary_text(text in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
        let _ = parse_condition(&text);
        for i in 0..=text.len() {
            let _ = parse_operand_at(&text, i);
        }
    }

    #[test]
    fn never_panics_on_token_soup(idx in prop::collection::vec(0..TOKENS.len(), 0..30)) {
        let text: String = idx.iter().map(|i| TOKENS[*i]).collect();
        if let Ok(tree) = parse_condition(&text) {
            // Whatever is accepted prints to text that parses back.
            let printed = tree.to_string();
            let again = parse_condition(&printed);
            prop_assert_eq!(again.as_ref(), Ok(&tree), "{}", printed);
        }
        for i in (0..=text.len()).filter(|i| text.is_char_boundary(*i)) {
            let _ = parse_operand_at(&text, i);
        }
    }

    #[test]
    fn printed_trees_parse_back(tree in expr_strategy()) {
        let printed = tree.to_string();
        match parse_condition(&printed) {
            Ok(again) => prop_assert_eq!(&again, &tree, "{}", printed),
            Err(e) => prop_assert!(false, "{:?} rejected: {}", printed, e),
        }
    }
}

// Generators of trees the parser can produce.

fn lit(value: String, quoted: bool) -> Literal {
    Literal {
        value,
        quoted,
        span: Span::default(),
    }
}

fn identifier() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,6}"
        .prop_filter("keywords", |s| !matches!(s.as_str(), "and" | "or" | "not"))
}

fn field_name() -> impl Strategy<Value = String> {
    "[a-zA-Z][a-zA-Z0-9_]{0,4}(\\.[a-zA-Z][a-zA-Z0-9_]{0,4}){1,2}"
}

/// Any text without NUL: quoting must cope with quotes, backslashes,
/// control characters and non-ASCII.
fn any_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[^\\x00]{0,8}",
        "[a-z\\\\\"' ()=,\\[\\]\\x08\\t\\n]{0,8}",
        "[a-zA-Z0-9_./*-]{1,8}",
    ]
}

fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        "[+-]?[0-9]{1,4}(\\.[0-9]{0,3})?([eE][+-][0-9]{1,2})?",
        "0[xX][0-9a-fA-F]{1,4}",
    ]
}

fn field_ref() -> impl Strategy<Value = Operand> {
    (field_name(), prop::option::of(any_value())).prop_map(|(name, arg)| {
        Operand::Field(saker_rules::ast::FieldRef {
            name,
            arg,
            span: Span::default(),
        })
    })
}

fn transform(kind: Transformer, args: Vec<TransformArg>, arg: Option<String>) -> Operand {
    Operand::Transform {
        kind,
        args,
        arg,
        span: Span::default(),
    }
}

/// A field or transformer (no `val`), as allowed on the left-hand side.
fn operand_strategy() -> impl Strategy<Value = Operand> {
    let single = prop::sample::select(vec![
        Transformer::ToLower,
        Transformer::ToUpper,
        Transformer::B64,
        Transformer::Basename,
        Transformer::Len,
    ]);
    field_ref().prop_recursive(3, 12, 4, move |inner| {
        let literal = prop_oneof![
            any_value().prop_map(|v| TransformArg::Literal(lit(v, true))),
            number().prop_map(|v| TransformArg::Literal(lit(v, false))),
        ];
        let item = prop_oneof![inner.clone().prop_map(TransformArg::Operand), literal];
        let arg = prop_oneof![
            3 => item.clone(),
            1 => prop::collection::vec(item, 0..3).prop_map(TransformArg::List),
        ];
        let multi = prop::sample::select(vec![
            Transformer::Join,
            Transformer::Concat,
            Transformer::Getopt,
        ]);
        prop_oneof![
            (single.clone(), inner).prop_map(|(k, op)| transform(
                k,
                vec![TransformArg::Operand(op)],
                None
            )),
            (
                multi,
                prop::collection::vec(arg, 1..4),
                prop::option::of(any_value())
            )
                .prop_map(|(k, args, a)| {
                    let a = if k == Transformer::Getopt { a } else { None };
                    transform(k, args, a)
                }),
        ]
    })
}

/// A right-hand field reference: `val(field)` or a transformer.
fn rhs_field() -> impl Strategy<Value = Rhs> {
    prop_oneof![
        field_ref().prop_map(|f| Rhs::Field(transform(
            Transformer::Val,
            vec![TransformArg::Operand(f)],
            None
        ))),
        operand_strategy()
            .prop_filter("transformer", |o| matches!(o, Operand::Transform { .. }))
            .prop_map(Rhs::Field),
    ]
}

fn list_rhs() -> impl Strategy<Value = Rhs> {
    prop_oneof![
        prop::collection::vec((any_value(), any::<bool>()), 0..4)
            .prop_map(|v| Rhs::List(v.into_iter().map(|(s, q)| lit(s, q)).collect())),
        identifier().prop_map(|n| Rhs::ListName(lit(n, false))),
    ]
}

const STR_OPS: &[Op] = &[
    Op::Eq,
    Op::EqEq,
    Op::Ne,
    Op::Contains,
    Op::IContains,
    Op::BContains,
    Op::StartsWith,
    Op::BStartsWith,
    Op::EndsWith,
    Op::Glob,
    Op::IGlob,
    Op::Regex,
];

fn check_strategy() -> impl Strategy<Value = Expr> {
    let str_op = prop::sample::select(STR_OPS.to_vec());
    let cond = prop_oneof![
        Just((Op::Exists, None, Rhs::None)),
        (
            prop::sample::select(vec![Op::Lt, Op::Le, Op::Gt, Op::Ge]),
            prop_oneof![
                number().prop_map(|n| Rhs::Value(lit(n, false))),
                rhs_field()
            ]
        )
            .prop_map(|(op, rhs)| (op, None, rhs)),
        (
            str_op.clone(),
            prop_oneof![
                (any_value(), any::<bool>()).prop_map(|(v, q)| Rhs::Value(lit(v, q))),
                rhs_field()
            ]
        )
            .prop_map(|(op, rhs)| (op, None, rhs)),
        (
            str_op,
            prop::sample::select(vec![Modifier::OneOf, Modifier::AnyOf, Modifier::AllOf]),
            list_rhs()
        )
            .prop_map(|(op, m, rhs)| (op, Some(m), rhs)),
        (
            prop::sample::select(vec![Op::In, Op::Intersects, Op::PMatch]),
            prop_oneof![list_rhs(), rhs_field()]
        )
            .prop_map(|(op, rhs)| (op, None, rhs)),
    ];
    (operand_strategy(), cond).prop_map(|(lhs, (op, modifier, rhs))| {
        Expr::Check(Box::new(Check {
            lhs,
            op,
            modifier,
            rhs,
            span: Span::default(),
        }))
    })
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        check_strategy(),
        identifier().prop_map(|name| Expr::Macro {
            name,
            span: Span::default()
        }),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Expr::Or),
            inner.prop_map(|e| Expr::Not(Box::new(e))),
        ]
    })
}
