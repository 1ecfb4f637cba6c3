//! Token-level lexing of Falco conditions (libsinsp `filter/parser.cpp`).
//!
//! Every lexing primitive mirrors one of libsinsp's `lex_*` helpers: it tries
//! to match at the cursor and, on success, advances the cursor and records the
//! token in [`Lexer::last_token`] (used by the "unexpected token after" error).
//! The token regexes (RE2, POSIX syntax, leftmost-longest) are implemented by
//! hand; each function names the regex it reproduces.
//!
//! All delimiters are ASCII, so every position the cursor stops at is a UTF-8
//! char boundary: non-ASCII characters are only ever consumed whole, inside
//! bare strings, quoted strings or field arguments.

use crate::ast::Span;

use super::escaping;

/// Blanks skipped between tokens (`lex_blank`): space, `\t`, `\b`, `\r`, `\n`.
/// Form feed and vertical tab are *not* blanks.
pub(crate) fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | 0x08 | b'\r' | b'\n')
}

/// POSIX `[:space:]`: space, `\t`, `\n`, `\v`, `\f`, `\r` (used inside the
/// token regexes, which is not the same set as [`is_blank`]).
pub(crate) fn is_posix_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// A byte allowed in `BareStr` = `[^()"'[:space:]=,]+`.
pub(crate) fn is_bare_str_byte(b: u8) -> bool {
    !is_posix_space(b) && !matches!(b, b'(' | b')' | b'"' | b'\'' | b'=' | b',')
}

/// A byte allowed in `FieldArgBareStr` = `[^][\"'[:space:]]+`.
pub(crate) fn is_field_arg_byte(b: u8) -> bool {
    !is_posix_space(b) && !matches!(b, b'[' | b']' | b'"' | b'\'')
}

/// Length of the `Identifier` (`[a-zA-Z]+[a-zA-Z0-9_]*`) at the start of `s`.
pub(crate) fn identifier_len(s: &[u8]) -> usize {
    match s.first() {
        Some(b) if b.is_ascii_alphabetic() => {
            1 + s[1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count()
        }
        _ => 0,
    }
}

/// Length of the `FieldName`
/// (`[a-zA-Z]+[a-zA-Z0-9_]*(\.[a-zA-Z]+[a-zA-Z0-9_]*)+`) at the start of `s`.
pub(crate) fn field_name_len(s: &[u8]) -> usize {
    let mut len = identifier_len(s);
    if len == 0 {
        return 0;
    }
    let mut segments = 0;
    while s.get(len) == Some(&b'.') {
        let seg = identifier_len(&s[len + 1..]);
        if seg == 0 {
            break;
        }
        len += 1 + seg;
        segments += 1;
    }
    if segments == 0 {
        0
    } else {
        len
    }
}

/// Length of the `HexNumber` (`0[xX][0-9a-zA-Z]+`, as in libsinsp's
/// `RGX_HEXNUM`) at the start of `s`.
pub(crate) fn hex_number_len(s: &[u8]) -> usize {
    if s.len() >= 3 && s[0] == b'0' && (s[1] == b'x' || s[1] == b'X') {
        let digits = s[2..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if digits > 0 {
            return 2 + digits;
        }
    }
    0
}

/// Length of the `Number` (`[+\-]?[0-9]+[\.]?[0-9]*([eE][+\-][0-9]+)?`) at the
/// start of `s` (longest match).
pub(crate) fn number_len(s: &[u8]) -> usize {
    let digits = |from: usize| {
        s[from.min(s.len())..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    };
    let mut i = 0;
    if matches!(s.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    let int = digits(i);
    if int == 0 {
        return 0;
    }
    i += int;
    if s.get(i) == Some(&b'.') {
        i += 1;
    }
    i += digits(i);
    if matches!(s.get(i), Some(b'e' | b'E')) && matches!(s.get(i + 1), Some(b'+' | b'-')) {
        let exp = digits(i + 2);
        if exp > 0 {
            i += 2 + exp;
        }
    }
    i
}

/// Whether the whole of `s` is one `HexNumber` or `Number` token.
pub(crate) fn is_number_token(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty() && (hex_number_len(b) == b.len() || number_len(b) == b.len())
}

/// Whether the whole of `s` is one `BareStr` token.
pub(crate) fn is_bare_str_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_bare_str_byte)
}

/// Whether the whole of `s` is one `FieldArgBareStr` token.
pub(crate) fn is_field_arg_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_field_arg_byte)
}

/// Outcome of trying to lex a quoted string at the cursor.
pub(crate) enum Quoted {
    /// No quoted string starts here, or it never terminates.
    NoMatch,
    /// A token was lexed but its escapes are invalid; the cursor is unchanged.
    Invalid { message: String, span: Span },
    /// The unescaped value and the token's span (quotes included).
    Value { value: String, span: Span },
}

/// A cursor over the condition text.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    /// Byte offset of the cursor (always a char boundary).
    pub pos: usize,
    /// The last token lexed (libsinsp `m_last_token`); blanks do not count.
    pub last_token: String,
}

impl<'a> Lexer<'a> {
    pub fn new(text: &'a str, pos: usize) -> Self {
        Lexer {
            text,
            pos,
            last_token: String::new(),
        }
    }

    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The bytes from the cursor on.
    pub fn rest(&self) -> &'a [u8] {
        &self.text.as_bytes()[self.pos.min(self.text.len())..]
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.text.len()
    }

    fn take(&mut self, len: usize) -> Span {
        let start = self.pos;
        self.pos += len;
        self.last_token = self.text[start..self.pos].to_string();
        Span::new(start, self.pos)
    }

    /// `lex_blank`: skip blanks; true if at least one was skipped.
    pub fn blank(&mut self) -> bool {
        let n = self.rest().iter().take_while(|b| is_blank(**b)).count();
        self.pos += n;
        n > 0
    }

    /// `lex_helper_str`: the exact (ASCII) string `s` at the cursor.
    pub fn str(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s.as_bytes()) {
            self.take(s.len());
            true
        } else {
            false
        }
    }

    /// `lex_helper_str_list`: the first of `list` found at the cursor.
    pub fn str_list(&mut self, list: &[&'static str]) -> Option<&'static str> {
        list.iter().copied().find(|s| self.str(s))
    }

    fn by_len(&mut self, len: usize) -> Option<Span> {
        (len > 0).then(|| self.take(len))
    }

    /// `Identifier`.
    pub fn identifier(&mut self) -> Option<Span> {
        self.by_len(identifier_len(self.rest()))
    }

    /// `FieldName`.
    pub fn field_name(&mut self) -> Option<Span> {
        self.by_len(field_name_len(self.rest()))
    }

    /// `FieldArgBareStr`.
    pub fn field_arg_bare_str(&mut self) -> Option<Span> {
        self.by_len(
            self.rest()
                .iter()
                .take_while(|b| is_field_arg_byte(**b))
                .count(),
        )
    }

    /// `BareStr`.
    pub fn bare_str(&mut self) -> Option<Span> {
        self.by_len(
            self.rest()
                .iter()
                .take_while(|b| is_bare_str_byte(**b))
                .count(),
        )
    }

    /// `HexNumber`.
    pub fn hex_number(&mut self) -> Option<Span> {
        self.by_len(hex_number_len(self.rest()))
    }

    /// `Number`.
    pub fn number(&mut self) -> Option<Span> {
        self.by_len(number_len(self.rest()))
    }

    /// `not[[:space:]]+` (the blank set here is POSIX `[:space:]`).
    pub fn not_blank(&mut self) -> bool {
        let rest = self.rest();
        if rest.starts_with(b"not") {
            let n = rest[3..].iter().take_while(|b| is_posix_space(**b)).count();
            if n > 0 {
                self.take(3 + n);
                return true;
            }
        }
        false
    }

    /// `lex_quoted_str`: a `"…"` or `'…'` token ending at the first delimiter
    /// not preceded by `\` (so `"c:\\"` never ends), stopping at a NUL byte;
    /// then unescaped with [`escaping::unescape_str`].
    pub fn quoted_str(&mut self) -> Quoted {
        let rest = self.rest();
        let delimiter = match rest.first() {
            Some(&d @ (b'"' | b'\'')) => d,
            _ => return Quoted::NoMatch,
        };
        let mut prev = b'\\';
        for (i, &b) in rest.iter().enumerate() {
            if b == 0 {
                return Quoted::NoMatch;
            }
            if b == delimiter && prev != b'\\' {
                let span = Span::new(self.pos, self.pos + i + 1);
                let token = &self.text[span.start..span.end];
                return match escaping::unescape_str(token) {
                    Ok(value) => {
                        self.pos = span.end;
                        self.last_token = value.clone();
                        Quoted::Value { value, span }
                    }
                    Err(message) => Quoted::Invalid { message, span },
                };
            }
            prev = b;
        }
        Quoted::NoMatch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_regex_is_longest_match() {
        assert_eq!(number_len(b"-0.1222e+10x"), 11);
        assert_eq!(number_len(b"1e5"), 1);
        assert_eq!(number_len(b"1."), 2);
        assert_eq!(number_len(b"+"), 0);
        assert_eq!(hex_number_len(b"0XaB00AB"), 8);
        assert_eq!(hex_number_len(b"0x"), 0);
    }

    #[test]
    fn field_names_need_a_dot_and_letter_segments() {
        assert_eq!(field_name_len(b"proc.name=x"), 9);
        assert_eq!(field_name_len(b"a.b.c"), 5);
        assert_eq!(field_name_len(b"a.1b"), 0);
        assert_eq!(field_name_len(b"a.b."), 3);
        assert_eq!(field_name_len(b"macro"), 0);
    }
}
