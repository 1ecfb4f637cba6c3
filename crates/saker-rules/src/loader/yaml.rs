//! A small YAML document tree with positions, built from `saphyr-parser`
//! events, with the conversions Falco's rule reader applies through
//! yaml-cpp.
//!
//! Why our own tree: Falco reads every scalar as its *text* (yaml-cpp's
//! `as<std::string>()`), so `items: [1, 2]` gives the strings `"1"` and
//! `"2"` and `enabled: "no"` is the boolean false. A typed YAML loader would
//! lose that. The tree keeps each scalar's text (already folded by the YAML
//! 1.2 rules for plain, quoted, literal and folded scalars), its style and
//! the 1-based line/column where the node starts.
//!
//! Hostile input: aliases are expanded by copy with a budget of
//! [`MAX_NODES`] nodes per stream (against "billion laughs"), nesting is
//! limited to [`MAX_DEPTH`], and a panic inside the YAML parser is caught
//! and reported as a parse error.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError};

/// At most this many nodes per YAML stream, aliases expanded.
pub const MAX_NODES: usize = 2_000_000;
/// At most this nesting depth of sequences and mappings.
pub const MAX_DEPTH: usize = 256;

/// A 1-based line and column (columns in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

/// A YAML node.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeKind {
    /// `~`, `null`, `Null`, `NULL` or nothing, written plain.
    Null,
    /// A scalar's text (after YAML folding and unescaping) and its style.
    Scalar(String, Style),
    Seq(Vec<Node>),
    /// Entries in document order; duplicate keys are kept (lookups take the
    /// first, like yaml-cpp's `node[key]`).
    Map(Vec<(Node, Node)>),
}

/// A node and where it starts.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: NodeKind,
    pub pos: Pos,
}

impl Node {
    /// The value of `key` in a mapping (first match), `None` otherwise.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.get_entry(key).map(|(_, v)| v)
    }

    /// The key node and value of `key` in a mapping.
    pub fn get_entry(&self, key: &str) -> Option<(&Node, &Node)> {
        match &self.kind {
            NodeKind::Map(entries) => entries
                .iter()
                .find(|(k, _)| k.scalar() == Some(key))
                .map(|(k, v)| (k, v)),
            _ => None,
        }
    }

    /// The scalar text; `None` for null, sequences and mappings.
    pub fn scalar(&self) -> Option<&str> {
        match &self.kind {
            NodeKind::Scalar(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn style(&self) -> Option<Style> {
        match &self.kind {
            NodeKind::Scalar(_, st) => Some(*st),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, NodeKind::Null)
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, NodeKind::Map(_))
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            NodeKind::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            NodeKind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Number of nodes in this tree (itself included).
    fn count(&self) -> usize {
        match &self.kind {
            NodeKind::Null | NodeKind::Scalar(..) => 1,
            NodeKind::Seq(items) => 1 + items.iter().map(Node::count).sum::<usize>(),
            NodeKind::Map(entries) => {
                1 + entries
                    .iter()
                    .map(|(k, v)| k.count() + v.count())
                    .sum::<usize>()
            }
        }
    }
}

/// yaml-cpp's `convert<bool>`: `true/false/yes/no/on/off/y/n`, written all
/// lower-case, all upper-case or capitalised (`True`, `TRUE`, not `tRUE`).
pub fn parse_bool(s: &str) -> Option<bool> {
    let flexible = s.chars().all(|c| c.is_ascii_lowercase())
        || s.chars().all(|c| c.is_ascii_uppercase())
        || (s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
            && s.chars().skip(1).all(|c| c.is_ascii_lowercase()));
    if !flexible {
        return None;
    }
    match s.to_ascii_lowercase().as_str() {
        "y" | "yes" | "true" | "on" => Some(true),
        "n" | "no" | "false" | "off" => Some(false),
        _ => None,
    }
}

/// A YAML syntax error (or a limit exceeded) and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

fn scan_error(e: &ScanError) -> YamlError {
    YamlError {
        message: e.info().to_string(),
        pos: Pos {
            line: e.marker().line() as u32,
            col: e.marker().col() as u32 + 1,
        },
    }
}

fn is_null_scalar(value: &str, style: ScalarStyle) -> bool {
    style == ScalarStyle::Plain && matches!(value, "" | "~" | "null" | "Null" | "NULL")
}

/// A collection being built.
enum Frame {
    Seq {
        items: Vec<Node>,
        pos: Pos,
        anchor: usize,
    },
    Map {
        entries: Vec<(Node, Node)>,
        key: Option<Node>,
        pos: Pos,
        anchor: usize,
    },
}

/// Parse every document of a YAML stream. An empty document (or a stream
/// with only comments) gives a [`NodeKind::Null`] root.
///
/// # Errors
/// The first YAML syntax error, an undefined alias, or a limit exceeded
/// ([`MAX_NODES`], [`MAX_DEPTH`]); never panics.
pub fn parse_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    match std::panic::catch_unwind(|| parse_documents_inner(text)) {
        Ok(r) => r,
        Err(_) => Err(YamlError {
            message: "internal error in the YAML parser".to_string(),
            pos: Pos { line: 1, col: 1 },
        }),
    }
}

fn parse_documents_inner(text: &str) -> Result<Vec<Node>, YamlError> {
    match parse_strict(text) {
        Err(e) if e.message.contains("indentation") => match relax_flow_indentation(text) {
            // yaml-cpp (Falco) accepts flow collections whose continuation
            // lines are less indented than YAML 1.2 requires (e.g. a closing
            // `]` under the key); retry with those lines indented.
            Some(relaxed) => parse_strict(&relaxed).map_err(|_| e),
            None => Err(e),
        },
        r => r,
    }
}

/// Indent the continuation lines of flow collections (`[ … ]`, `{ … }`
/// spanning lines) to two columns past their parent key, as yaml-cpp
/// tolerates. Block scalars and quoted strings are left alone. `None` when
/// nothing changes.
pub fn relax_flow_indentation(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len() + 64);
    let mut depth = 0usize;
    let mut required = 0usize;
    let mut quote: Option<char> = None;
    let mut block_scalar_indent: Option<usize> = None;
    let mut changed = false;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim();
        if let Some(bi) = block_scalar_indent {
            if content.is_empty() || indent > bi {
                out.push_str(line);
                continue;
            }
            block_scalar_indent = None;
        }
        let mut chars: Vec<char> = line.chars().collect();
        if depth > 0 && quote.is_none() && !content.is_empty() && indent < required {
            let pad = required - indent;
            chars.splice(0..0, std::iter::repeat_n(' ', pad));
            changed = true;
        }
        // Scan the line.
        let mut i = 0;
        let mut at_value_start = depth == 0;
        // Effective indentation: past `- ` sequence indicators.
        let mut eff = chars.iter().take_while(|c| **c == ' ').count();
        if depth == 0 && quote.is_none() {
            while chars.get(eff) == Some(&'-') && chars.get(eff + 1).is_some_and(|c| *c == ' ') {
                eff += 2;
                while chars.get(eff) == Some(&' ') {
                    eff += 1;
                }
            }
        }
        while i < chars.len() {
            let c = chars[i];
            if let Some(q) = quote {
                if q == '\'' && c == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                } else if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                } else if q == '"' && c == '"' {
                    quote = None;
                }
                i += 1;
                continue;
            }
            let prev_blank = i == 0 || chars[i - 1] == ' ' || chars[i - 1] == '\t';
            match c {
                '#' if prev_blank => break,
                '\'' | '"' if depth > 0 || at_value_start => quote = Some(c),
                '[' | '{' if depth > 0 || at_value_start => {
                    if depth == 0 {
                        required = eff + 2;
                    }
                    depth += 1;
                }
                ']' | '}' if depth > 0 => depth -= 1,
                '|' | '>' if depth == 0 && at_value_start => {
                    block_scalar_indent = Some(eff);
                    break;
                }
                ' ' | '\t' | '\r' | '\n' => {}
                '-' if depth == 0 && at_value_start && chars.get(i + 1) == Some(&' ') => {}
                ':' if depth == 0 && chars.get(i + 1).is_none_or(|n| n.is_whitespace()) => {
                    at_value_start = true;
                    i += 1;
                    continue;
                }
                _ => {
                    if depth == 0 {
                        at_value_start = false;
                    }
                }
            }
            i += 1;
        }
        out.extend(chars);
    }
    changed.then_some(out)
}

fn parse_strict(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut docs = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;

    let parser = Parser::new_from_str(text);
    for ev in parser {
        let (event, span) = ev.map_err(|e| scan_error(&e))?;
        let pos = Pos {
            line: span.start.line() as u32,
            col: span.start.col() as u32 + 1,
        };
        let finished: Option<(Node, usize)> = match event {
            Event::StreamStart | Event::StreamEnd | Event::Nothing => None,
            Event::DocumentStart(_) => {
                anchors.clear();
                root = None;
                None
            }
            Event::DocumentEnd => {
                docs.push(root.take().unwrap_or(Node {
                    kind: NodeKind::Null,
                    pos,
                }));
                None
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().ok_or_else(|| YamlError {
                    message: "unknown anchor".to_string(),
                    pos,
                })?;
                nodes += node.count();
                Some((node, 0))
            }
            Event::Scalar(value, style, anchor, _tag) => {
                nodes += 1;
                let kind = if is_null_scalar(&value, style) {
                    NodeKind::Null
                } else {
                    let st = match style {
                        ScalarStyle::Plain => Style::Plain,
                        ScalarStyle::SingleQuoted => Style::SingleQuoted,
                        ScalarStyle::DoubleQuoted => Style::DoubleQuoted,
                        ScalarStyle::Literal => Style::Literal,
                        ScalarStyle::Folded => Style::Folded,
                    };
                    NodeKind::Scalar(value.into_owned(), st)
                };
                Some((Node { kind, pos }, anchor))
            }
            Event::SequenceStart(anchor, _) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("YAML nesting deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                }
                stack.push(Frame::Seq {
                    items: Vec::new(),
                    pos,
                    anchor,
                });
                None
            }
            Event::MappingStart(anchor, _) => {
                nodes += 1;
                if stack.len() >= MAX_DEPTH {
                    return Err(YamlError {
                        message: format!("YAML nesting deeper than {MAX_DEPTH} levels"),
                        pos,
                    });
                }
                stack.push(Frame::Map {
                    entries: Vec::new(),
                    key: None,
                    pos,
                    anchor,
                });
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq { items, pos, anchor }) => Some((
                    Node {
                        kind: NodeKind::Seq(items),
                        pos,
                    },
                    anchor,
                )),
                _ => {
                    return Err(YamlError {
                        message: "unbalanced sequence end".to_string(),
                        pos,
                    })
                }
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map {
                    entries,
                    pos,
                    anchor,
                    ..
                }) => Some((
                    Node {
                        kind: NodeKind::Map(entries),
                        pos,
                    },
                    anchor,
                )),
                _ => {
                    return Err(YamlError {
                        message: "unbalanced mapping end".to_string(),
                        pos,
                    })
                }
            },
        };
        if nodes > MAX_NODES {
            return Err(YamlError {
                message: format!(
                    "YAML document too large: more than {MAX_NODES} nodes after alias expansion"
                ),
                pos,
            });
        }
        if let Some((node, anchor)) = finished {
            if anchor != 0 {
                anchors.insert(anchor, node.clone());
            }
            match stack.last_mut() {
                None => root = Some(node),
                Some(Frame::Seq { items, .. }) => items.push(node),
                Some(Frame::Map { entries, key, .. }) => match key.take() {
                    None => *key = Some(node),
                    Some(k) => entries.push((k, node)),
                },
            }
        }
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(text: &str) -> Node {
        let mut d = parse_documents(text).unwrap();
        assert_eq!(d.len(), 1);
        d.remove(0)
    }

    #[test]
    fn plain_multiline_scalars_fold_to_single_spaces() {
        let n = one("- rule: x\n  output:\n    a b\n    (c=%d,\n    e)\n  condition: >\n    a\n    b\n\n    c\n");
        let item = &n.as_seq().unwrap()[0];
        assert_eq!(item.get("output").unwrap().scalar(), Some("a b (c=%d, e)"));
        assert_eq!(item.get("condition").unwrap().scalar(), Some("a b\nc\n"));
        assert_eq!(item.get("output").unwrap().pos, Pos { line: 3, col: 5 });
        assert_eq!(item.pos, Pos { line: 1, col: 3 });
    }

    #[test]
    fn scalars_keep_their_text_and_nulls_are_recognised() {
        let n = one("a: [1, 'no', ~, '']\nb:\n");
        let a = n.get("a").unwrap().as_seq().unwrap();
        assert_eq!(a[0].scalar(), Some("1"));
        assert_eq!(a[1].scalar(), Some("no"));
        assert!(a[2].is_null());
        assert_eq!(a[3].scalar(), Some(""));
        assert!(n.get("b").unwrap().is_null());
    }

    #[test]
    fn aliases_expand_and_bombs_are_bounded() {
        let n = one("a: &x [p, q]\nb: *x\n");
        assert_eq!(n.get("b").unwrap().as_seq().unwrap().len(), 2);
        let mut bomb = String::from("a: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            bomb.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse_documents(&bomb).unwrap_err();
        assert!(e.message.contains("too large"), "{e:?}");
    }

    #[test]
    fn deep_nesting_and_syntax_errors_are_errors() {
        let deep = "[".repeat(10_000);
        assert!(parse_documents(&deep).is_err());
        let e = parse_documents("- rule: x\n  desc: \"unterminated\n").unwrap_err();
        assert!(e.pos.line >= 2, "{e:?}");
    }

    #[test]
    fn flow_sequences_closed_under_their_key_load_like_yaml_cpp() {
        let text = "- list: l\n  items: [\n    \"a b\",\n    c\n  ]\n- rule: r\n  condition: >\n    x in [y]\n";
        let d = parse_documents(text).unwrap();
        let items = d[0].as_seq().unwrap()[0]
            .get("items")
            .unwrap()
            .as_seq()
            .unwrap();
        assert_eq!(items[0].scalar(), Some("a b"));
        assert_eq!(items[1].scalar(), Some("c"));
        let cond = d[0].as_seq().unwrap()[1].get("condition").unwrap();
        assert_eq!(cond.scalar(), Some("x in [y]\n"));
    }

    #[test]
    fn multiple_documents() {
        let d = parse_documents("- a: 1\n---\n- b: 2\n---\n").unwrap();
        assert!(d.len() >= 2);
    }

    #[test]
    fn yaml_cpp_booleans() {
        for t in ["true", "True", "TRUE", "yes", "Y", "y", "on", "ON"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "no", "N", "off", "Off"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["tRUE", "1", "", "yess"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
    }
}
