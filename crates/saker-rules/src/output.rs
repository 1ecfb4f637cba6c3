//! Alert output: rule output formats compiled once per rule, rendered per
//! match from the evaluation's field cache, as Falco does
//! (`shared/reference/falco.md` §5; libsinsp `eventformatter.cpp`, Falco
//! `formats.cpp` / `falco_outputs.cpp`).
//!
//! Format strings:
//! * `%` starts a token: an optional decimal width (`%20ct.user` pads with
//!   spaces on the right or truncates to exactly 20 characters), then a
//!   field (`ct.user`, `json.value[/a/b]`) or a transformer call
//!   (`%tolower(ct.user)`).
//! * The longest valid prefix wins: `%ct.users` is `ct.user` then `s`.
//! * There is no escape for `%`; a trailing `%` is an error
//!   (`invalid formatting syntax: formatting cannot end with a %`, or `…
//!   with a number` after a width); `%` followed by no known field is
//!   `unknown filter: …`.
//! * A missing value prints `<NA>`.
//!
//! Alerts: the text line is `"<evt.time>: <Priority> <output>"`; the JSON
//! alert has the keys `hostname, output, output_fields, priority, rule,
//! source, tags, time` (sorted), where `output_fields` maps each token's text
//! to its typed value (`null` when missing; `evt.time*` / `evt.datetime*` →
//! the int64 ns timestamp; transformer tokens omitted).

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value as Json;

use crate::ast::Transformer;
use crate::compile::RuleCompiler;
use crate::eval::{COperand, Ctx, FieldCache};
use crate::fields::Value;
use crate::ruleset::{Match, Ruleset};
use crate::Priority;

/// Field names whose JSON value is the raw event timestamp in ns
/// (libsinsp `extract_as_js`).
const TIME_FIELDS: [&str; 5] = [
    "evt.time",
    "evt.time.s",
    "evt.time.iso8601",
    "evt.datetime",
    "evt.datetime.s",
];

#[derive(Debug)]
enum Tok {
    Text(String),
    Field {
        operand: COperand,
        width: Option<usize>,
        /// The token as written: the `output_fields` key.
        key: String,
        json: JsonKind,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonKind {
    Value,
    Timestamp,
    Omit,
}

/// A compiled output format.
#[derive(Debug)]
pub(crate) struct Formatter {
    toks: Vec<Tok>,
}

fn is_field_start(b: u8) -> bool {
    b.is_ascii_alphabetic()
}

/// The syntactic `FieldName` (`[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`)
/// at the start of `s`: its byte length, or 0.
fn field_name_len(s: &[u8]) -> usize {
    let seg = |i: usize| -> usize {
        if i >= s.len() || !is_field_start(s[i]) {
            return 0;
        }
        let mut j = i + 1;
        while j < s.len() && (s[j].is_ascii_alphanumeric() || s[j] == b'_') {
            j += 1;
        }
        j - i
    };
    let first = seg(0);
    if first == 0 {
        return 0;
    }
    let mut end = first;
    let mut segments = 1;
    while end < s.len() && s[end] == b'.' {
        let n = seg(end + 1);
        if n == 0 {
            break;
        }
        end += 1 + n;
        segments += 1;
    }
    if segments < 2 {
        0
    } else {
        end
    }
}

/// `[arg]` right after a field name: (arg, bytes consumed incl. brackets).
fn bracket_arg(s: &str) -> Option<(&str, usize)> {
    let rest = s.strip_prefix('[')?;
    let close = rest.find(']')?;
    let arg = &rest[..close];
    if arg.is_empty()
        || arg.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'' || c == '[')
    {
        return None;
    }
    Some((arg, close + 2))
}

impl Formatter {
    /// Compile `format`, resolving every token through the rule compiler's
    /// field registry.
    ///
    /// # Errors
    /// Falco's message (`invalid formatting syntax: formatting cannot end with
    /// a %`, `unknown filter: x`,
    /// `x is filter only and cannot be used as a display field`, …).
    pub(crate) fn compile(format: &str, rc: &mut RuleCompiler<'_>) -> Result<Formatter, String> {
        let mut toks = Vec::new();
        let mut text = String::new();
        let bytes = format.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let Some(off) = format[i..].find('%') else {
                text.push_str(&format[i..]);
                break;
            };
            text.push_str(&format[i..i + off]);
            i += off + 1;
            if i >= bytes.len() {
                return Err("invalid formatting syntax: formatting cannot end with a %".into());
            }
            let wstart = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            let width = if i > wstart {
                Some(format[wstart..i].parse::<usize>().unwrap_or(usize::MAX))
            } else {
                None
            };
            if i >= bytes.len() {
                return Err(
                    "invalid formatting syntax: formatting cannot end with a number".into(),
                );
            }
            let (operand, key, json, end) = Self::token(format, i, rc)?;
            if !text.is_empty() {
                toks.push(Tok::Text(std::mem::take(&mut text)));
            }
            toks.push(Tok::Field {
                operand,
                width,
                key,
                json,
            });
            i = end;
        }
        if !text.is_empty() {
            toks.push(Tok::Text(text));
        }
        Ok(Formatter { toks })
    }

    /// Resolve the token starting at byte `start`.
    fn token(
        format: &str,
        start: usize,
        rc: &mut RuleCompiler<'_>,
    ) -> Result<(COperand, String, JsonKind, usize), String> {
        let rest = &format[start..];
        // Transformer call: `name(`.
        if let Some(p) = rest.find('(') {
            if Transformer::from_name(&rest[..p]).is_some() {
                let (operand, end) = crate::parser::parse_operand_at(format, start)
                    .map_err(|e| format!("unknown filter: {}", e.message))?;
                let t = rc.operand(&operand).map_err(|e| e.message)?;
                return Ok((t.op, format[start..end].to_string(), JsonKind::Omit, end));
            }
        }
        let table = rc.reg.table.clone();
        let mut candidates: Vec<(&str, Option<&str>, usize)> = Vec::new();
        // 1. The syntactic token, with its argument.
        let n = field_name_len(rest.as_bytes());
        if n > 0 {
            match bracket_arg(&rest[n..]) {
                Some((arg, used)) => candidates.push((&rest[..n], Some(arg), n + used)),
                None => candidates.push((&rest[..n], None, n)),
            }
        }
        // 2. The longest declared field name that prefixes the text.
        if let Some(def) = table
            .fields()
            .iter()
            .filter(|d| rest.starts_with(d.name))
            .max_by_key(|d| d.name.len())
        {
            let n = def.name.len();
            match bracket_arg(&rest[n..]) {
                Some((arg, used)) if def.arg != crate::fields::ArgForm::None => {
                    candidates.push((def.name, Some(arg), n + used))
                }
                _ => candidates.push((def.name, None, n)),
            }
        }
        let mut first_err = None;
        for (name, arg, len) in candidates {
            match table.resolve(name, arg) {
                Ok(rf) => {
                    if rf.flags.filter_only {
                        return Err(format!(
                            "{} is filter only and cannot be used as a display field",
                            rf.display
                        ));
                    }
                    let json = if TIME_FIELDS.contains(&name) {
                        JsonKind::Timestamp
                    } else {
                        JsonKind::Value
                    };
                    let key = rest[..len].to_string();
                    let slot = rc.reg.slot(rf);
                    return Ok((COperand::Field(slot), key, json, start + len));
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        let shown: String = rest.chars().take_while(|c| !c.is_whitespace()).collect();
        Err(match first_err {
            Some(e) if e.contains("argument") => format!("unknown filter: {shown}: {e}"),
            _ => format!("unknown filter: {shown}"),
        })
    }

    /// Render the text form; `fields` collects `(key, json value)` pairs of
    /// non-transformer tokens when given.
    fn render(
        &self,
        ctx: &Ctx<'_, '_>,
        ts_ns: i64,
        out: &mut String,
        mut fields: Option<&mut Vec<(String, Option<Json>)>>,
    ) {
        for t in &self.toks {
            match t {
                Tok::Text(s) => out.push_str(s),
                Tok::Field {
                    operand,
                    width,
                    key,
                    json,
                } => {
                    let v = ctx.operand(operand);
                    let start = out.len();
                    match &v {
                        Some(v) => v.render(out),
                        None => out.push_str("<NA>"),
                    }
                    if let Some(w) = width {
                        apply_width(out, start, *w);
                    }
                    if let Some(f) = fields.as_deref_mut() {
                        match json {
                            JsonKind::Omit => {}
                            JsonKind::Timestamp => f.push((key.clone(), Some(Json::from(ts_ns)))),
                            JsonKind::Value => f.push((key.clone(), v.as_deref().map(to_json))),
                        }
                    }
                }
            }
        }
    }
}

/// Pad with spaces or truncate `out[start..]` to exactly `w` characters.
fn apply_width(out: &mut String, start: usize, w: usize) {
    let n = out[start..].chars().count();
    if n > w {
        let cut = out[start..]
            .char_indices()
            .nth(w)
            .map_or(out.len(), |(i, _)| start + i);
        out.truncate(cut);
    } else {
        out.extend(std::iter::repeat_n(' ', w - n));
    }
}

/// A field value as Falco puts it in `output_fields`.
pub fn to_json(v: &Value<'_>) -> Json {
    match v {
        Value::Str(s) => Json::String(s.to_string()),
        Value::Bytes(b) => Json::String(String::from_utf8_lossy(b).into_owned()),
        Value::U64(n) => Json::from(*n),
        Value::I64(n) => Json::from(*n),
        Value::Bool(b) => Json::Bool(*b),
        Value::Double(d) => Json::from(*d),
        Value::Ip(ip) => Json::String(ip.to_string()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
    }
}

/// How alerts are rendered.
#[derive(Debug, Clone, Default)]
pub struct OutputOptions {
    /// `hostname` of JSON alerts (Falco: `FALCO_HOSTNAME` or `gethostname()`;
    /// the caller decides).
    pub hostname: String,
    /// Falco `time_format_iso_8601`: prefix with `evt.time.iso8601`.
    pub time_format_iso_8601: bool,
}

/// Falco's JSON alert options (`json_include_*_property`).
#[derive(Debug, Clone, Copy)]
pub struct JsonOptions {
    pub include_output: bool,
    pub include_tags: bool,
    pub include_message: bool,
    pub include_output_fields: bool,
}

impl Default for JsonOptions {
    /// Falco's defaults: output, tags and output_fields on; message off.
    fn default() -> Self {
        JsonOptions {
            include_output: true,
            include_tags: true,
            include_message: false,
            include_output_fields: true,
        }
    }
}

/// One alert, ready for any sink.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    pub rule: String,
    pub priority: Priority,
    pub source: String,
    /// Sorted.
    pub tags: Vec<String>,
    /// Event time, ns since the Unix epoch.
    pub time_ns: i64,
    pub hostname: String,
    /// The full text line `"<evt.time>: <Priority> <message>"`, raw.
    pub output: String,
    /// The rendered rule output alone (Falco's JSON `message`).
    pub message: String,
    /// Token text → typed value (`None` = missing → `null`), sorted by key,
    /// keys unique; includes `evt.time` from the prefix.
    pub output_fields: Vec<(String, Option<Json>)>,
}

impl Alert {
    /// The text line; with `escape_terminal`, control characters (C0, DEL,
    /// C1 — hence ANSI escape sequences) and bidirectional-override
    /// characters are written as `\xNN` / `\u{NNNN}` so attacker-controlled
    /// field values cannot drive a terminal.
    pub fn text(&self, escape_terminal: bool) -> Cow<'_, str> {
        if escape_terminal {
            escape_for_terminal(&self.output)
        } else {
            Cow::Borrowed(&self.output)
        }
    }

    /// Falco's JSON alert, one line, keys sorted as nlohmann::json prints
    /// them.
    pub fn to_json(&self, opts: &JsonOptions) -> String {
        let mut s = String::with_capacity(self.output.len() * 2 + 128);
        let q = |s: &mut String, v: &str| {
            s.push_str(&serde_json::to_string(v).unwrap_or_else(|_| "\"\"".into()))
        };
        s.push_str("{\"hostname\":");
        q(&mut s, &self.hostname);
        if opts.include_message {
            s.push_str(",\"message\":");
            q(&mut s, &self.message);
        }
        if opts.include_output {
            s.push_str(",\"output\":");
            q(&mut s, &self.output);
        }
        if opts.include_output_fields {
            s.push_str(",\"output_fields\":{");
            for (i, (k, v)) in self.output_fields.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                q(&mut s, k);
                s.push(':');
                match v {
                    Some(v) => s.push_str(&v.to_string()),
                    None => s.push_str("null"),
                }
            }
            s.push('}');
        }
        s.push_str(",\"priority\":");
        q(&mut s, self.priority.as_str());
        s.push_str(",\"rule\":");
        q(&mut s, &self.rule);
        s.push_str(",\"source\":");
        q(&mut s, &self.source);
        if opts.include_tags {
            s.push_str(",\"tags\":[");
            for (i, t) in self.tags.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                q(&mut s, t);
            }
            s.push(']');
        }
        s.push_str(",\"time\":");
        q(&mut s, &format_rfc3339_nanos(self.time_ns));
        s.push('}');
        escape_json_for_terminal(s)
    }
}

/// JSON text with the characters a terminal may act on that JSON allows
/// raw (DEL, the C1 controls such as the one-byte CSI U+009B, and the
/// bidirectional overrides) written as `\uXXXX`: the same JSON value, safe
/// to `cat`. serde_json already escapes the C0 controls.
fn escape_json_for_terminal(s: String) -> String {
    let bad = |c: char| matches!(c, '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return s;
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(o, "\\u{:04x}", c as u32);
        } else {
            o.push(c);
        }
    }
    o
}

/// Escape control and bidi-override characters (see [`Alert::text`]).
pub fn escape_for_terminal(s: &str) -> Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut o = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if bad(c) {
            if (c as u32) < 0x100 {
                let _ = write!(o, "\\x{:02x}", c as u32);
            } else {
                let _ = write!(o, "\\u{{{:04x}}}", c as u32);
            }
        } else {
            o.push(c);
        }
    }
    Cow::Owned(o)
}

/// (year, month, day) of a day count since 1970-01-01 (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

struct Parts {
    y: i64,
    mo: u32,
    d: u32,
    h: i64,
    mi: i64,
    s: i64,
    ns: i64,
}

fn parts(ns: i64) -> Parts {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    Parts {
        y,
        mo,
        d,
        h: sod / 3600,
        mi: sod % 3600 / 60,
        s: sod % 60,
        ns: nanos,
    }
}

/// `HH:MM:SS.nnnnnnnnn` in UTC (Falco's `evt.time`, host in UTC).
pub fn format_evt_time(ns: i64) -> String {
    let p = parts(ns);
    format!("{:02}:{:02}:{:02}.{:09}", p.h, p.mi, p.s, p.ns)
}

/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` of `ns` as given (libsinsp's
/// `evt.datetime` layout; shift `ns` by a UTC offset for local time).
pub fn format_datetime(ns: i64) -> String {
    let p = parts(ns);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:09}",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ns
    )
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000` (Falco's `evt.time.iso8601`).
pub fn format_iso8601(ns: i64) -> String {
    let p = parts(ns);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}+0000",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ns
    )
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (the JSON alert's `time`).
pub fn format_rfc3339_nanos(ns: i64) -> String {
    let p = parts(ns);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
        p.y, p.mo, p.d, p.h, p.mi, p.s, p.ns
    )
}

impl Ruleset {
    /// Build the alert of match `m`, reading fields through the same cache
    /// the evaluation used.
    pub fn alert(&self, m: &Match, cache: &FieldCache<'_>, opts: &OutputOptions) -> Alert {
        let rule = &self.rules[m.rule];
        let ctx = Ctx {
            fields: &self.fields,
            cache,
        };
        let ts = cache.event().timestamp_ns();
        let mut fields = Vec::new();
        let mut message = String::new();
        rule.output
            .render(&ctx, ts, &mut message, Some(&mut fields));

        // Prefix: %evt.time (or %evt.time.iso8601) from the table if it has
        // it, else the event timestamp formatted in UTC.
        let (prefix_field, slot) = if opts.time_format_iso_8601 {
            ("evt.time.iso8601", self.time_iso_slot)
        } else {
            ("evt.time", self.time_slot)
        };
        let time_text = slot
            .and_then(|s| ctx.operand(&COperand::Field(s)))
            .map(|v| {
                let mut t = String::new();
                v.render(&mut t);
                t
            })
            .unwrap_or_else(|| {
                if opts.time_format_iso_8601 {
                    format_iso8601(ts)
                } else {
                    format_evt_time(ts)
                }
            });
        fields.push((prefix_field.to_string(), Some(Json::from(ts))));
        fields.sort_by(|a, b| a.0.cmp(&b.0));
        fields.dedup_by(|a, b| a.0 == b.0);

        let output = format!("{time_text}: {} {message}", rule.priority.as_str());
        Alert {
            rule: rule.name.clone(),
            priority: rule.priority,
            source: rule.source.clone(),
            tags: rule.tags.clone(),
            time_ns: ts,
            hostname: opts.hostname.clone(),
            output,
            message,
            output_fields: fields,
        }
    }

    /// Just the rendered rule output of match `m` (no prefix).
    pub fn render_output(&self, m: &Match, cache: &FieldCache<'_>) -> String {
        let ctx = Ctx {
            fields: &self.fields,
            cache,
        };
        let mut s = String::new();
        self.rules[m.rule]
            .output
            .render(&ctx, cache.event().timestamp_ns(), &mut s, None);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_alerts_escape_what_a_terminal_would_act_on() {
        let hostile = "ua\u{9b}2J\u{202e}txt\u{1b}[31m\u{7f}";
        let alert = Alert {
            rule: "r".into(),
            priority: Priority::Warning,
            source: "aws_cloudtrail".into(),
            tags: vec![],
            time_ns: 0,
            hostname: "h".into(),
            output: format!("x {hostile}"),
            message: hostile.into(),
            output_fields: vec![("ct.useragent".into(), Some(Json::from(hostile)))],
        };
        let line = alert.to_json(&JsonOptions::default());
        for raw in ['\u{9b}', '\u{202e}', '\u{1b}', '\u{7f}'] {
            assert!(!line.contains(raw), "{raw:?} raw in {line}");
        }
        assert!(
            line.contains("\\u009b2J\\u202etxt\\u001b[31m\\u007f"),
            "{line}"
        );
        // The same JSON value once parsed.
        let v: Json = serde_json::from_str(&line).unwrap();
        assert_eq!(v["output_fields"]["ct.useragent"], hostile);
        assert_eq!(v["output"], format!("x {hostile}"));
    }

    #[test]
    fn time_formats() {
        let ns = 1_394_140_974_000_000_000;
        assert_eq!(format_evt_time(ns), "21:22:54.000000000");
        assert_eq!(format_rfc3339_nanos(ns), "2014-03-06T21:22:54.000000000Z");
        assert_eq!(format_iso8601(ns + 5), "2014-03-06T21:22:54.000000005+0000");
        assert_eq!(format_rfc3339_nanos(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            format_rfc3339_nanos(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000000000Z"
        );
    }

    #[test]
    fn field_names_and_args() {
        assert_eq!(field_name_len(b"ct.user,"), 7);
        assert_eq!(field_name_len(b"ct"), 0);
        assert_eq!(field_name_len(b"a.b.c d"), 5);
        assert_eq!(bracket_arg("[/a/b] x"), Some(("/a/b", 6)));
        assert_eq!(bracket_arg("[]"), None);
    }

    #[test]
    fn terminal_escaping() {
        assert_eq!(escape_for_terminal("ok"), "ok");
        assert_eq!(escape_for_terminal("a\x1b[31mb\n"), "a\\x1b[31mb\\x0a");
        assert_eq!(escape_for_terminal("x\u{202e}y"), "x\\u{202e}y");
    }

    #[test]
    fn width() {
        let mut s = String::from("ab");
        apply_width(&mut s, 1, 3);
        assert_eq!(s, "ab  ");
        let mut s = String::from("abcdef");
        apply_width(&mut s, 0, 2);
        assert_eq!(s, "ab");
    }
}
