//! Zero-copy navigation of raw JSON text.
//!
//! CloudTrail records are validated once by `serde_json` (see
//! [`crate::record`]); everything here then walks the *original bytes* of a
//! valid JSON value: object member lookup (first duplicate wins, like
//! fastjson), array indexing, string unescaping, and the two re-encodings the
//! Falco plugins expose:
//!
//! * [`minify_into`]: compact JSON with original key order, original number
//!   text and original string escapes — what fastjson's `MarshalTo` prints
//!   for a freshly parsed value (Falco's ⟨m⟩ "marshal" fields, `json.value`
//!   of non-strings);
//! * [`indent_into`]: Go `encoding/json.Indent(dst, src, "", "  ")`
//!   (`json.obj`).
//!
//! The scanning functions ([`skip_value`], [`skip_ws`]) are tolerant: they
//! find the end of a value by bracket depth, string- and escape-aware, and
//! report truncation; they do not validate.

use std::borrow::Cow;

/// Why a raw scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanError {
    /// The input ended inside the value (at this byte offset).
    Truncated(usize),
    /// An unexpected byte at this offset.
    Unexpected(usize),
}

/// Index of the first non-whitespace byte at or after `i` (JSON whitespace).
#[inline]
pub fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\n' | b'\r' | b'\t') {
        i += 1;
    }
    i
}

/// `i` is just after an opening quote; returns the index just after the
/// closing quote.
#[inline]
fn skip_string_body(b: &[u8], mut i: usize) -> Result<usize, ScanError> {
    loop {
        match memchr::memchr2(b'"', b'\\', &b[i.min(b.len())..]) {
            None => return Err(ScanError::Truncated(b.len())),
            Some(off) => {
                let j = i + off;
                if b[j] == b'"' {
                    return Ok(j + 1);
                }
                // backslash: skip it and the escaped byte
                i = j + 2;
                if i > b.len() {
                    return Err(ScanError::Truncated(b.len()));
                }
            }
        }
    }
}

/// `i` is at the first byte of a value; returns the index just after it.
/// Objects and arrays are matched by depth (strings skipped), scalars end at
/// the next delimiter.
pub fn skip_value(b: &[u8], i: usize) -> Result<usize, ScanError> {
    match b.get(i) {
        None => Err(ScanError::Truncated(i)),
        Some(b'"') => skip_string_body(b, i + 1),
        Some(b'{' | b'[') => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                j = next_structural(b, j);
                if j >= b.len() {
                    break;
                }
                match b[j] {
                    b'"' => {
                        j = skip_string_body(b, j + 1)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            Err(ScanError::Truncated(b.len()))
        }
        Some(c) if c.is_ascii_alphanumeric() || *c == b'-' || *c == b'+' || *c == b'.' => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t')
            {
                j += 1;
            }
            Ok(j)
        }
        Some(_) => Err(ScanError::Unexpected(i)),
    }
}

/// 0x01 in every byte of a word (SWAR scans).
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;

/// The high bit of every byte of the word whose byte is zero; exact for
/// the lowest such byte (higher flags may be false positives).
#[inline]
pub(crate) fn zero_byte(v: u64) -> u64 {
    v.wrapping_sub(ONES) & !v & 0x8080_8080_8080_8080
}

/// Index of the first byte at or after `i` that `flags` (over an 8-byte
/// little-endian word, exact for the lowest flagged byte) or, in the last
/// few bytes, `is_special` picks out; `b.len()` if none.
#[inline]
pub(crate) fn find_byte(
    b: &[u8],
    mut i: usize,
    flags: impl Fn(u64) -> u64,
    is_special: impl Fn(u8) -> bool,
) -> usize {
    while i + 8 <= b.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i..i + 8]);
        let mask = flags(u64::from_le_bytes(w));
        if mask != 0 {
            return i + (mask.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < b.len() && !is_special(b[i]) {
        i += 1;
    }
    i
}

/// Index of the first `"`, `{`, `[`, `}` or `]` at or after `i` (`b.len()`
/// if none), eight bytes at a time: `{`/`[` and `}`/`]` differ only in bit
/// 0x20, so OR-ing it in leaves two bytes to look for, plus the quote.
#[inline]
fn next_structural(b: &[u8], i: usize) -> usize {
    find_byte(
        b,
        i,
        |v| {
            let folded = v | (ONES * 0x20);
            zero_byte(v ^ (ONES * u64::from(b'"')))
                | zero_byte(folded ^ (ONES * u64::from(b'{')))
                | zero_byte(folded ^ (ONES * u64::from(b'}')))
        },
        |c| matches!(c, b'"' | b'{' | b'[' | b'}' | b']'),
    )
}

/// The kind of a raw JSON value, from its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Object,
    Array,
    Null,
    Bool,
    Number,
}

/// Kind of a (valid) raw value.
#[inline]
pub fn kind(raw: &str) -> Kind {
    match raw.as_bytes().first() {
        Some(b'"') => Kind::String,
        Some(b'{') => Kind::Object,
        Some(b'[') => Kind::Array,
        Some(b'n') => Kind::Null,
        Some(b't' | b'f') => Kind::Bool,
        _ => Kind::Number,
    }
}

/// Iterator over the members of a valid raw JSON object: `(raw key without
/// quotes, still escaped; raw value)`.
pub struct Members<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Iterator for Members<'a> {
    type Item = (&'a str, &'a str);
    fn next(&mut self) -> Option<Self::Item> {
        let b = self.s.as_bytes();
        let i = skip_ws(b, self.i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let kend = skip_string_body(b, i + 1).ok()?;
        let key = &self.s[i + 1..kend - 1];
        let mut j = skip_ws(b, kend);
        if b.get(j) != Some(&b':') {
            return None;
        }
        j = skip_ws(b, j + 1);
        let vend = skip_value(b, j).ok()?;
        let val = &self.s[j..vend];
        let mut k = skip_ws(b, vend);
        if b.get(k) == Some(&b',') {
            k += 1;
        }
        self.i = k;
        Some((key, val))
    }
}

/// Members of `raw` if it is an object (empty iterator otherwise).
pub fn members(raw: &str) -> Members<'_> {
    let b = raw.as_bytes();
    let start = skip_ws(b, 0);
    if b.get(start) == Some(&b'{') {
        Members {
            s: raw,
            i: start + 1,
        }
    } else {
        Members {
            s: raw,
            i: raw.len(),
        }
    }
}

/// Iterator over the elements of a valid raw JSON array.
pub struct Elements<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        let b = self.s.as_bytes();
        let i = skip_ws(b, self.i);
        if i >= b.len() || b[i] == b']' {
            return None;
        }
        let end = skip_value(b, i).ok()?;
        let mut k = skip_ws(b, end);
        if b.get(k) == Some(&b',') {
            k += 1;
        }
        self.i = k;
        Some(&self.s[i..end])
    }
}

/// Elements of `raw` if it is an array (empty iterator otherwise).
pub fn elements(raw: &str) -> Elements<'_> {
    let b = raw.as_bytes();
    let start = skip_ws(b, 0);
    if b.get(start) == Some(&b'[') {
        Elements {
            s: raw,
            i: start + 1,
        }
    } else {
        Elements {
            s: raw,
            i: raw.len(),
        }
    }
}

/// Compare a raw (escaped) key with an unescaped name.
#[inline]
pub fn key_eq(raw_key: &str, name: &str) -> bool {
    if raw_key.len() == name.len() && raw_key == name {
        return !raw_key.contains('\\') || unescape_body(raw_key) == name;
    }
    raw_key.contains('\\') && unescape_body(raw_key) == name
}

/// First member named `name` of object `raw` (fastjson: first duplicate wins).
pub fn get<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
    members(raw).find(|(k, _)| key_eq(k, name)).map(|(_, v)| v)
}

/// Element `n` of array `raw`.
pub fn index(raw: &str, n: usize) -> Option<&str> {
    elements(raw).nth(n)
}

/// Follow object keys from `raw`; `None` if a key is missing or a step is
/// not an object.
pub fn path<'a>(raw: &'a str, keys: &[&str]) -> Option<&'a str> {
    let mut v = raw;
    for k in keys {
        v = get(v, k)?;
    }
    Some(v)
}

/// The unescaped content of a raw JSON string value, or `None` if `raw` is
/// not a string.
pub fn as_str(raw: &str) -> Option<Cow<'_, str>> {
    let body = raw.strip_prefix('"')?.strip_suffix('"')?;
    Some(unescape_body(body))
}

/// Unescape the body of a JSON string (between the quotes).
pub fn unescape_body(body: &str) -> Cow<'_, str> {
    if !body.contains('\\') {
        return Cow::Borrowed(body);
    }
    let mut quoted = String::with_capacity(body.len() + 2);
    quoted.push('"');
    quoted.push_str(body);
    quoted.push('"');
    match serde_json::from_str::<String>(&quoted) {
        Ok(s) => Cow::Owned(s),
        // Lone surrogates and the like: keep the raw text rather than fail.
        Err(_) => Cow::Owned(lossy_unescape(body)),
    }
}

fn lossy_unescape(body: &str) -> String {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('u') => {
                let hex: String = chars.by_ref().take(4).collect();
                let ch = u32::from_str_radix(&hex, 16)
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or('\u{fffd}');
                out.push(ch);
            }
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

/// Append the compact form of raw JSON `raw` to `out`: whitespace outside
/// strings removed, everything else (key order, number text, escapes) kept.
pub fn minify_into(raw: &str, out: &mut String) {
    let b = raw.as_bytes();
    let mut i = 0;
    let mut run = 0;
    while i < b.len() {
        match b[i] {
            b'"' => {
                let end = skip_string_body(b, i + 1).unwrap_or(b.len());
                i = end;
            }
            b' ' | b'\n' | b'\r' | b'\t' => {
                out.push_str(&raw[run..i]);
                i = skip_ws(b, i);
                run = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&raw[run..]);
}

/// Compact form of `raw`, borrowed when it has no whitespace to remove.
pub fn minify(raw: &str) -> Cow<'_, str> {
    // Fast check: any whitespace outside strings?
    let b = raw.as_bytes();
    let mut i = 0;
    let mut has_ws = false;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string_body(b, i + 1).unwrap_or(b.len()),
            b' ' | b'\n' | b'\r' | b'\t' => {
                has_ws = true;
                break;
            }
            _ => i += 1,
        }
    }
    if !has_ws {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    minify_into(raw, &mut out);
    Cow::Owned(out)
}

/// Go `json.Indent(dst, src, "", "  ")` of valid JSON `raw`: a newline and
/// indentation after `{`, `[` and `,`, `": "` after keys, empty objects and
/// arrays kept as `{}`/`[]`, tokens copied verbatim. Leading whitespace is
/// dropped, trailing whitespace kept (as Go does).
pub fn indent_into(raw: &str, out: &mut String) {
    let b = raw.as_bytes();
    let mut depth = 0usize;
    let mut i = skip_ws(b, 0);
    // Go defers the newline after an opening bracket until it sees the next
    // token, so that `{}` and `[]` stay compact.
    let mut need_indent = false;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str("  ");
        }
    };
    let trailing_start = {
        let mut e = b.len();
        while e > 0 && matches!(b[e - 1], b' ' | b'\n' | b'\r' | b'\t') {
            e -= 1;
        }
        e
    };
    while i < trailing_start {
        let c = b[i];
        if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
            i += 1;
            continue;
        }
        if need_indent && c != b']' && c != b'}' {
            need_indent = false;
            depth += 1;
            newline(out, depth);
        }
        match c {
            b'"' => {
                let end = skip_string_body(b, i + 1).unwrap_or(b.len());
                out.push_str(&raw[i..end]);
                i = end;
                continue;
            }
            b'{' | b'[' => {
                out.push(c as char);
                need_indent = true;
            }
            b',' => {
                out.push(',');
                newline(out, depth);
            }
            b':' => out.push_str(": "),
            b'}' | b']' => {
                if need_indent {
                    need_indent = false;
                } else {
                    depth = depth.saturating_sub(1);
                    newline(out, depth);
                }
                out.push(c as char);
            }
            _ => {
                let start = i;
                while i < trailing_start
                    && !matches!(
                        b[i],
                        b',' | b'}' | b']' | b':' | b' ' | b'\n' | b'\r' | b'\t' | b'"'
                    )
                {
                    i += 1;
                }
                out.push_str(&raw[start..i]);
                continue;
            }
        }
        i += 1;
    }
    out.push_str(&raw[trailing_start..]);
}

/// Parse a raw JSON number as fastjson's `GetUint64`-then-`Float64`
/// fallback does for `s3.bytes`: an unsigned integer, else a float truncated
/// toward zero, else 0 (non-numbers included).
pub fn number_as_u64(raw: &str) -> u64 {
    if kind(raw) != Kind::Number {
        return 0;
    }
    if let Ok(n) = raw.parse::<u64>() {
        return n;
    }
    match raw.parse::<f64>() {
        Ok(f) if f.is_finite() && f > 0.0 => f as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_structural_agrees_with_a_byte_scan() {
        let naive = |b: &[u8], i: usize| {
            (i..b.len())
                .find(|&k| matches!(b[k], b'"' | b'{' | b'[' | b'}' | b']'))
                .unwrap_or(b.len())
        };
        let alphabet = [
            b'a',
            b'"',
            b'{',
            b'[',
            b'}',
            b']',
            b';',
            b'{' ^ 0x20,
            0x7f,
            0xc3,
            0xa9,
            0x00,
            b' ',
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for len in 0..40 {
            for _ in 0..40 {
                let b: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        alphabet[(seed % alphabet.len() as u64) as usize]
                    })
                    .collect();
                for start in 0..=len {
                    assert_eq!(
                        next_structural(&b, start),
                        naive(&b, start),
                        "{b:?} from {start}"
                    );
                }
            }
        }
    }

    #[test]
    fn skip_and_members() {
        let s = r#"{"a": "x\"}", "b" : [1, {"c": "]"}], "a": 2, "d":null}"#;
        assert_eq!(skip_value(s.as_bytes(), 0), Ok(s.len()));
        let m: Vec<_> = members(s).collect();
        assert_eq!(m.len(), 4);
        assert_eq!(get(s, "a"), Some(r#""x\"}""#));
        assert_eq!(as_str(get(s, "a").unwrap()).unwrap(), "x\"}");
        assert_eq!(index(get(s, "b").unwrap(), 1), Some(r#"{"c": "]"}"#));
        assert_eq!(get(s, "d"), Some("null"));
        assert_eq!(skip_value(br#"{"a":"#, 0), Err(ScanError::Truncated(5)));
    }

    #[test]
    fn escaped_keys_match_unescaped_names() {
        let s = r#"{"a\/b": 1, "c": 2}"#;
        assert_eq!(get(s, "a/b"), Some("1"));
        assert_eq!(get(s, "a\\/b"), None);
    }

    #[test]
    fn minify_keeps_escapes_and_numbers() {
        let s = "{ \"a\" : [ 1.50 , \"x y\\u0041\" ],\n \"b\": {} }";
        assert_eq!(minify(s), "{\"a\":[1.50,\"x y\\u0041\"],\"b\":{}}");
        assert!(matches!(minify("{\"a\":1}"), Cow::Borrowed(_)));
    }

    #[test]
    fn indent_matches_go() {
        let mut out = String::new();
        indent_into(r#"{"value":"hello"}"#, &mut out);
        assert_eq!(out, "{\n  \"value\": \"hello\"\n}");
        out.clear();
        indent_into(r#"{"a":[1,{"b":[]},{}],"c":null}"#, &mut out);
        assert_eq!(
            out,
            "{\n  \"a\": [\n    1,\n    {\n      \"b\": []\n    },\n    {}\n  ],\n  \"c\": null\n}"
        );
    }

    #[test]
    fn numbers_for_s3_bytes() {
        assert_eq!(number_as_u64("12"), 12);
        assert_eq!(number_as_u64("12.9"), 12);
        assert_eq!(number_as_u64("-3"), 0);
        assert_eq!(number_as_u64("\"12\""), 0);
    }
}
