//! Shell wildcard matching with glibc `fnmatch(pattern, s, 0)` semantics,
//! optionally with `FNM_CASEFOLD` — what Falco's `glob` / `iglob` operators
//! and `pmatch` glob components call (`sinsp_utils::glob_match`).
//!
//! Behaviour reproduced (glibc `fnmatch_loop.c`, flags 0):
//! * `*` matches any sequence, **including `/` and a leading `.`** (no
//!   `FNM_PATHNAME`, no `FNM_PERIOD`); `?` matches any one character.
//! * `[...]` / `[!...]` / `[^...]` bracket expressions with ranges (`a-z`),
//!   POSIX classes (`[:alpha:]`, …), a leading `]` taken literally, `\`
//!   escaping inside the brackets; an unterminated `[` is a literal `[`.
//! * `\c` matches `c` literally; a trailing lone `\` never matches.
//! * `FNM_CASEFOLD` folds ASCII case of the pattern characters, range
//!   bounds and the subject (glibc `tolower` in the C locale).
//!
//! Matching is on Unicode scalar values (glibc in a UTF-8 locale), so `?`
//! matches one multi-byte character.

/// A compiled wildcard pattern.
#[derive(Debug, Clone)]
pub struct Glob {
    tokens: Vec<Tok>,
    casefold: bool,
    /// The pattern can never match (trailing `\`, unknown `[:class:]`).
    never: bool,
}

#[derive(Debug, Clone)]
enum Tok {
    Lit(char),
    Any,
    Star,
    Class(Class),
}

#[derive(Debug, Clone)]
struct Class {
    negated: bool,
    items: Vec<ClassItem>,
}

#[derive(Debug, Clone)]
enum ClassItem {
    Char(char),
    Range(char, char),
    Named(NamedClass),
}

#[derive(Debug, Clone, Copy)]
enum NamedClass {
    Alnum,
    Alpha,
    Blank,
    Cntrl,
    Digit,
    Graph,
    Lower,
    Print,
    Punct,
    Space,
    Upper,
    Xdigit,
}

impl NamedClass {
    fn from_name(n: &str) -> Option<Self> {
        Some(match n {
            "alnum" => Self::Alnum,
            "alpha" => Self::Alpha,
            "blank" => Self::Blank,
            "cntrl" => Self::Cntrl,
            "digit" => Self::Digit,
            "graph" => Self::Graph,
            "lower" => Self::Lower,
            "print" => Self::Print,
            "punct" => Self::Punct,
            "space" => Self::Space,
            "upper" => Self::Upper,
            "xdigit" => Self::Xdigit,
            _ => return None,
        })
    }

    fn contains(self, c: char) -> bool {
        match self {
            Self::Alnum => c.is_alphanumeric(),
            Self::Alpha => c.is_alphabetic(),
            Self::Blank => c == ' ' || c == '\t',
            Self::Cntrl => c.is_control(),
            Self::Digit => c.is_ascii_digit(),
            Self::Graph => !c.is_control() && !c.is_whitespace(),
            Self::Lower => c.is_lowercase(),
            Self::Print => !c.is_control(),
            Self::Punct => c.is_ascii_punctuation(),
            Self::Space => c.is_whitespace(),
            Self::Upper => c.is_uppercase(),
            Self::Xdigit => c.is_ascii_hexdigit(),
        }
    }
}

fn fold(c: char, casefold: bool) -> char {
    if casefold {
        c.to_ascii_lowercase()
    } else {
        c
    }
}

impl Glob {
    /// Compile `pattern`; `casefold` is `FNM_CASEFOLD` (`iglob`).
    /// Never fails: every byte string is an fnmatch pattern.
    pub fn new(pattern: &str, casefold: bool) -> Glob {
        let chars: Vec<char> = pattern.chars().collect();
        let mut tokens = Vec::new();
        let mut never = false;
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match c {
                '*' => {
                    if !matches!(tokens.last(), Some(Tok::Star)) {
                        tokens.push(Tok::Star);
                    }
                    i += 1;
                }
                '?' => {
                    tokens.push(Tok::Any);
                    i += 1;
                }
                '\\' => {
                    if i + 1 < chars.len() {
                        tokens.push(Tok::Lit(fold(chars[i + 1], casefold)));
                        i += 2;
                    } else {
                        // glibc: "Trailing \ loses."
                        never = true;
                        i += 1;
                    }
                }
                '[' => match parse_class(&chars, i + 1, casefold) {
                    Some((class, next, ok)) => {
                        if !ok {
                            never = true;
                        }
                        tokens.push(Tok::Class(class));
                        i = next;
                    }
                    None => {
                        tokens.push(Tok::Lit('['));
                        i += 1;
                    }
                },
                _ => {
                    tokens.push(Tok::Lit(fold(c, casefold)));
                    i += 1;
                }
            }
        }
        Glob {
            tokens,
            casefold,
            never,
        }
    }

    /// `fnmatch(pattern, s, flags) == 0`.
    pub fn is_match(&self, s: &str) -> bool {
        if self.never {
            return false;
        }
        if s.is_ascii() {
            let b = s.as_bytes();
            self.match_with(b.len(), |i| char::from(b[i]))
        } else {
            let chars: Vec<char> = s.chars().collect();
            self.match_with(chars.len(), |i| chars[i])
        }
    }

    /// Classic single-star backtracking, O(len(p) * len(s)), no allocation.
    fn match_with(&self, len: usize, at: impl Fn(usize) -> char) -> bool {
        let toks = &self.tokens;
        let (mut p, mut s) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while s < len {
            let c = at(s);
            let step = match toks.get(p) {
                Some(Tok::Star) => {
                    star = Some((p, s));
                    p += 1;
                    continue;
                }
                Some(Tok::Any) => true,
                Some(Tok::Lit(l)) => *l == fold(c, self.casefold),
                Some(Tok::Class(cl)) => class_matches(cl, c, self.casefold),
                None => false,
            };
            if step {
                p += 1;
                s += 1;
            } else if let Some((sp, ss)) = star {
                p = sp + 1;
                s = ss + 1;
                star = Some((sp, ss + 1));
            } else {
                return false;
            }
        }
        toks[p..].iter().all(|t| matches!(t, Tok::Star))
    }
}

/// Parse a bracket expression starting just after `[`. Returns the class,
/// the index after the closing `]` and whether every named class was known;
/// `None` when there is no closing `]` (the `[` is then literal).
fn parse_class(chars: &[char], start: usize, casefold: bool) -> Option<(Class, usize, bool)> {
    let mut i = start;
    let mut negated = false;
    if i < chars.len() && (chars[i] == '!' || chars[i] == '^') {
        negated = true;
        i += 1;
    }
    let mut items = Vec::new();
    let mut ok = true;
    let mut first = true;
    loop {
        if i >= chars.len() {
            return None;
        }
        let c = chars[i];
        if c == ']' && !first {
            i += 1;
            break;
        }
        first = false;
        // POSIX class [:name:]
        if c == '[' && i + 1 < chars.len() && chars[i + 1] == ':' {
            let rest = &chars[i + 2..];
            if let Some(end) = rest.windows(2).position(|w| w == [':', ']']) {
                let name: String = rest[..end].iter().collect();
                match NamedClass::from_name(&name) {
                    Some(nc) => items.push(ClassItem::Named(nc)),
                    None => ok = false,
                }
                i += 2 + end + 2;
                continue;
            }
        }
        let lo = if c == '\\' && i + 1 < chars.len() {
            i += 1;
            chars[i]
        } else {
            c
        };
        i += 1;
        // Range lo-hi (a '-' right before ']' is literal).
        if i + 1 < chars.len() && chars[i] == '-' && chars[i + 1] != ']' {
            let mut j = i + 1;
            let hi = if chars[j] == '\\' && j + 1 < chars.len() {
                j += 1;
                chars[j]
            } else {
                chars[j]
            };
            i = j + 1;
            items.push(ClassItem::Range(fold(lo, casefold), fold(hi, casefold)));
        } else {
            items.push(ClassItem::Char(fold(lo, casefold)));
        }
    }
    Some((Class { negated, items }, i, ok))
}

fn class_matches(class: &Class, c: char, casefold: bool) -> bool {
    let fc = fold(c, casefold);
    let hit = class.items.iter().any(|it| match it {
        ClassItem::Char(x) => *x == fc,
        ClassItem::Range(lo, hi) => *lo <= fc && fc <= *hi,
        ClassItem::Named(n) => n.contains(c),
    });
    hit != class.negated
}

/// One-shot `fnmatch(pattern, s, casefold ? FNM_CASEFOLD : 0) == 0`.
pub fn glob_match(pattern: &str, s: &str, casefold: bool) -> bool {
    Glob::new(pattern, casefold).is_match(s)
}

#[cfg(test)]
mod tests {
    fn m(p: &str, s: &str) -> bool {
        super::glob_match(p, s, false)
    }

    #[test]
    fn star_and_question_cross_slashes() {
        assert!(m("*", ""));
        assert!(m("/var/*", "/var/log/messages"));
        assert!(m("*.log", "/a/b/.c.log"));
        assert!(m("a?c", "a/c"));
        assert!(!m("a?c", "ac"));
        assert!(m("*a*b*", "xxaxxbxx"));
        assert!(!m("*a*b", "xxaxxbxx"));
        assert!(m("?", "é"));
    }

    #[test]
    fn brackets() {
        assert!(m("[abc]x", "bx"));
        assert!(!m("[!abc]x", "bx"));
        assert!(m("[^abc]x", "dx"));
        assert!(m("[]]", "]"));
        assert!(m("[!]]", "a"));
        assert!(m("[a-c]", "b"));
        assert!(m("[a-]", "-"));
        assert!(m("[[:digit:]][[:upper:]]", "7Q"));
        assert!(!m("[[:digit:]]", "x"));
        assert!(!m("[[:nope:]]", "x"));
        assert!(m("[", "["));
        assert!(m("a[b", "a[b"));
        assert!(m("[\\]]", "]"));
    }

    #[test]
    fn escapes_and_casefold() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(!m("abc\\", "abc\\"));
        assert!(!m("ABC", "abc"));
        assert!(super::glob_match("ABC", "abc", true));
        assert!(super::glob_match("[A-C]x", "bX", true));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    /// Reference: the same wildcard language translated to an anchored regex
    /// (`*` → `.*`, `?` → `.`, everything else literal, `.` matching `\n`).
    fn reference(pattern: &str, s: &str) -> bool {
        let mut re = String::from("(?s)\\A");
        for c in pattern.chars() {
            match c {
                '*' => re.push_str(".*"),
                '?' => re.push('.'),
                c => re.push_str(&regex::escape(&c.to_string())),
            }
        }
        re.push_str("\\z");
        regex::Regex::new(&re).unwrap().is_match(s)
    }

    proptest! {
        #[test]
        fn star_and_question_agree_with_a_regex_oracle(
            pattern in "[ab/*?.]{0,8}",
            s in "[ab/.\n]{0,10}",
        ) {
            prop_assert_eq!(super::glob_match(&pattern, &s, false), reference(&pattern, &s));
        }

        #[test]
        fn casefold_equals_matching_lowercased_inputs(
            pattern in "[aAbB*?]{0,6}",
            s in "[aAbB]{0,8}",
        ) {
            prop_assert_eq!(
                super::glob_match(&pattern, &s, true),
                super::glob_match(&pattern.to_ascii_lowercase(), &s.to_ascii_lowercase(), false)
            );
        }
    }
}
