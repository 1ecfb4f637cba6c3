//! Evaluation of compiled conditions against one event, with Falco's
//! semantics (`shared/reference/falco.md` §3.4, §4):
//!
//! * a check on an absent field is **false whatever the operator** (`!=`
//!   included); `not` of such a check is true;
//! * `and` / `or` short-circuit left to right;
//! * list fields: `in` = every value in the set, `intersects` = some value;
//!   an empty list counts as absent (no value was set);
//! * multi-valued scalar fields: a field declared without `is_list` whose
//!   event value is a [`Value::List`] (Falco's `proc.aname` and friends
//!   without an index, which libsinsp compares against every ancestor) holds
//!   a check when **any** of its values holds it, whatever the operator
//!   (`proc.aname != bash` is true when some ancestor is not `bash`);
//! * field-to-field: false if either side is absent.
//!
//! Every distinct resolved field is extracted at most once per event, lazily,
//! through a [`FieldCache`] shared by all rules of the event and by output
//! rendering.

use std::borrow::Cow;
use std::cell::{OnceCell, RefCell};
use std::collections::HashSet;
use std::net::IpAddr;

use regex::Regex;

use crate::ast::{Modifier, Op, Transformer};
use crate::fields::{Event, ResolvedField, Value};
use crate::glob::Glob;
use crate::pmatch::PathPrefixSearch;
use crate::transform;

/// Per-event cache of extracted field values, indexed by the ruleset's field
/// slots. Create one per event with [`crate::ruleset::Ruleset::cache`] and use
/// it only with that ruleset; [`FieldCache::recycle`] reuses its storage for
/// the next event.
pub struct FieldCache<'e> {
    event: &'e dyn Event,
    cells: Vec<OnceCell<Option<Value<'e>>>>,
    /// Slots filled so far, so that resetting the cache touches only them.
    filled: RefCell<Vec<u32>>,
}

/// The memory of a [`FieldCache`] between two events: one allocation
/// reused by every event of a stream instead of one allocation per event.
/// Holds no value (so no borrow of any event); `Default` is empty.
#[derive(Default)]
pub struct CacheStorage {
    cells: Vec<OnceCell<Option<Value<'static>>>>,
    filled: Vec<u32>,
}

/// Give the memory of `cells`, every one of them empty, the element type
/// of another lifetime, in O(1): a forgotten `drain(..)` leaves the vector
/// empty without visiting its elements (the leak amplification `Vec::drain`
/// documents; an empty cell owns nothing, so nothing leaks), and an
/// in-place collect of an empty vector keeps its buffer. Were a future
/// `Vec` to keep the elements, the collect below would still be correct,
/// only O(n).
fn retype<'a, 'b>(mut cells: Vec<OnceCell<Option<Value<'a>>>>) -> Vec<OnceCell<Option<Value<'b>>>> {
    debug_assert!(
        cells.iter().all(|c| c.get().is_none()),
        "retype of a filled cell"
    );
    std::mem::forget(cells.drain(..));
    cells.into_iter().map(|_| OnceCell::new()).collect()
}

impl<'e> FieldCache<'e> {
    pub(crate) fn new(event: &'e dyn Event, slots: usize) -> Self {
        Self::with_storage(event, slots, CacheStorage::default())
    }

    /// Reuse this cache's allocation for another event (same ruleset).
    pub fn recycle<'f>(self, event: &'f dyn Event) -> FieldCache<'f> {
        let n = self.cells.len();
        FieldCache::with_storage(event, n, self.into_storage())
    }

    /// A cache for `event` with `slots` empty cells in `storage`'s memory.
    pub(crate) fn with_storage(event: &'e dyn Event, slots: usize, storage: CacheStorage) -> Self {
        let mut cells = retype(storage.cells);
        cells.resize_with(slots, OnceCell::new);
        FieldCache {
            event,
            cells,
            filled: RefCell::new(storage.filled),
        }
    }

    /// Drop the cached values and keep the memory, free of the event's
    /// lifetime, for the next event's cache
    /// ([`crate::ruleset::Ruleset::cache_in`]).
    pub fn into_storage(mut self) -> CacheStorage {
        let mut filled = std::mem::take(self.filled.get_mut());
        for &slot in &filled {
            self.cells[slot as usize].take();
        }
        filled.clear();
        CacheStorage {
            cells: retype(self.cells),
            filled,
        }
    }

    /// The event this cache reads.
    pub fn event(&self) -> &'e dyn Event {
        self.event
    }

    /// The value of field slot `slot` (resolved as `field`), extracting it on
    /// first use. Empty lists count as absent.
    pub(crate) fn get(&self, slot: usize, field: &ResolvedField) -> Option<&Value<'e>> {
        self.cells[slot]
            .get_or_init(|| {
                self.filled.borrow_mut().push(slot as u32);
                match self.event.extract(field) {
                    Some(Value::List(l)) if l.is_empty() => None,
                    v => v,
                }
            })
            .as_ref()
    }
}

/// A compiled operand: a field slot or a transformer over operands.
#[derive(Debug, Clone)]
pub(crate) enum COperand {
    Field(usize),
    Transform(Transformer, Vec<CArg>),
    /// `getopt(argv, optstring)` with an optional `[c]` selector.
    Getopt {
        args: Vec<CArg>,
        selector: Option<u8>,
    },
}

/// An argument of a compiled transformer.
#[derive(Debug, Clone)]
pub(crate) enum CArg {
    Operand(COperand),
    Literal(String),
    List(Vec<CArg>),
}

/// A compiled boolean expression.
#[derive(Debug)]
pub(crate) enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Check(Box<CheckNode>),
}

#[derive(Debug)]
pub(crate) enum CheckNode {
    Exists(COperand),
    /// LHS compared with constants.
    Const {
        lhs: COperand,
        lhs_is_list: bool,
        test: ConstTest,
    },
    /// LHS compared with another operand (`val()` / transformer RHS).
    Field {
        lhs: COperand,
        lhs_is_list: bool,
        op: Op,
        rhs: COperand,
    },
}

/// A right-hand-side constant, parsed for the LHS type at compile time.
#[derive(Debug)]
pub(crate) enum Const {
    Val(Value<'static>),
    /// `icontains` needle, ASCII-lower-cased.
    ILower(Box<[u8]>),
    Glob(Glob),
    Regex(Regex),
    Net(IpNet),
}

/// An IPv4/IPv6 network (`10.0.0.0/8`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IpNet {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl IpNet {
    /// libsinsp `in_cidr`; `None` when the address family differs.
    pub fn contains(&self, ip: &IpAddr) -> Option<bool> {
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix as u32)
                };
                Some(u32::from(n) & mask == u32::from(*a) & mask)
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix as u32)
                };
                Some(u128::from(n) & mask == u128::from(*a) & mask)
            }
            _ => None,
        }
    }
}

/// How constants are tested.
#[derive(Debug)]
pub(crate) enum ConstTest {
    /// `op` against one constant (`=`, `!=`, `<`, `contains`, `glob`, …).
    One(Op, Const),
    /// `in` / `intersects` (and `=`/`==` with a list): set membership.
    In {
        op: Op,
        set: ConstSet,
    },
    /// `<op> oneof|anyof|allof (…)`.
    Modifier(Modifier, Op, Vec<Const>),
    PMatch(PathPrefixSearch),
}

/// A set of constants with hashed lookup for large string/number lists.
#[derive(Debug, Default)]
pub(crate) struct ConstSet {
    pub items: Vec<Const>,
    pub strs: Option<HashSet<Box<str>>>,
    pub nums: Option<HashSet<u64>>,
}

/// Lists at least this long get a hash set.
const HASH_THRESHOLD: usize = 8;

impl ConstSet {
    pub fn new(items: Vec<Const>) -> Self {
        let mut set = ConstSet {
            items,
            strs: None,
            nums: None,
        };
        if set.items.len() >= HASH_THRESHOLD {
            let strs: Option<HashSet<Box<str>>> = set
                .items
                .iter()
                .map(|c| match c {
                    Const::Val(Value::Str(s)) => Some(Box::<str>::from(s.as_ref())),
                    _ => None,
                })
                .collect();
            if strs.is_some() {
                set.strs = strs;
            } else {
                set.nums = set
                    .items
                    .iter()
                    .map(|c| match c {
                        Const::Val(Value::U64(n)) => Some(*n),
                        _ => None,
                    })
                    .collect();
            }
        }
        set
    }

    fn contains(&self, v: &Value<'_>) -> bool {
        match (v, &self.strs, &self.nums) {
            (Value::Str(s), Some(set), _) => set.contains(s.as_ref()),
            (Value::U64(n), _, Some(set)) => set.contains(n),
            _ => self.items.iter().any(|c| test_const(Op::Eq, v, c)),
        }
    }
}

/// Evaluation context: the ruleset's fields plus the event's cache.
pub(crate) struct Ctx<'a, 'e> {
    pub fields: &'a [ResolvedField],
    pub cache: &'a FieldCache<'e>,
}

impl<'e> Ctx<'_, 'e> {
    pub fn eval(&self, node: &Node) -> bool {
        match node {
            Node::And(xs) => xs.iter().all(|n| self.eval(n)),
            Node::Or(xs) => xs.iter().any(|n| self.eval(n)),
            Node::Not(x) => !self.eval(x),
            Node::Check(c) => self.check(c),
        }
    }

    /// The operand's value (absent → `None`).
    pub fn operand(&self, op: &COperand) -> Option<Cow<'_, Value<'e>>> {
        match op {
            COperand::Field(slot) => self
                .cache
                .get(*slot, &self.fields[*slot])
                .map(Cow::Borrowed),
            COperand::Transform(kind, args) => self.transform(*kind, args).map(Cow::Owned),
            COperand::Getopt { args, selector } => {
                let argv = self.arg_strings(args.first()?)?;
                let optstring = self.arg_strings(args.get(1)?)?.into_iter().next()?;
                transform::getopt(&argv, &optstring, *selector).map(Cow::Owned)
            }
        }
    }

    fn transform(&self, kind: Transformer, args: &[CArg]) -> Option<Value<'e>> {
        match kind {
            Transformer::Join => {
                let sep = self.arg_strings(args.first()?)?.into_iter().next()?;
                let items = self.arg_strings(args.get(1)?)?;
                Some(Value::Str(Cow::Owned(items.join(&sep))))
            }
            Transformer::Concat => {
                let mut out = String::new();
                for a in args {
                    out.push_str(self.arg_strings(a)?.first()?);
                }
                Some(Value::Str(Cow::Owned(out)))
            }
            _ => {
                let inner = match args.first()? {
                    CArg::Operand(o) => self.operand(o)?.into_owned(),
                    _ => return None,
                };
                transform::apply(kind, inner)
            }
        }
    }

    /// The text values of a transformer argument (a list yields each
    /// element); `None` when a field in it is absent.
    fn arg_strings(&self, a: &CArg) -> Option<Vec<String>> {
        let mut out = Vec::new();
        self.collect_strings(a, &mut out)?;
        Some(out)
    }

    fn collect_strings(&self, a: &CArg, out: &mut Vec<String>) -> Option<()> {
        match a {
            CArg::Literal(s) => out.push(s.clone()),
            CArg::List(xs) => {
                for x in xs {
                    self.collect_strings(x, out)?;
                }
            }
            CArg::Operand(o) => match self.operand(o)?.as_ref() {
                Value::List(items) => {
                    for it in items {
                        let mut s = String::new();
                        it.render(&mut s);
                        out.push(s);
                    }
                }
                v => {
                    let mut s = String::new();
                    v.render(&mut s);
                    out.push(s);
                }
            },
        }
        Some(())
    }

    fn check(&self, c: &CheckNode) -> bool {
        match c {
            CheckNode::Exists(lhs) => self.operand(lhs).is_some(),
            CheckNode::Const {
                lhs,
                lhs_is_list,
                test,
            } => {
                let Some(v) = self.operand(lhs) else {
                    return false;
                };
                match (v.as_ref(), lhs_is_list) {
                    (Value::List(items), true) => match test {
                        ConstTest::In { op, set } => {
                            if *op == Op::Intersects {
                                items.iter().any(|x| set.contains(x))
                            } else {
                                items.iter().all(|x| set.contains(x))
                            }
                        }
                        _ => false,
                    },
                    // multi-valued scalar field: any value (module docs)
                    (Value::List(items), false) => items.iter().any(|x| test_one(test, x)),
                    (v, _) => test_one(test, v),
                }
            }
            CheckNode::Field {
                lhs,
                lhs_is_list,
                op,
                rhs,
            } => {
                let Some(l) = self.operand(lhs) else {
                    return false;
                };
                let Some(r) = self.operand(rhs) else {
                    return false;
                };
                let rvals: &[Value<'_>] = match r.as_ref() {
                    Value::List(xs) => xs,
                    other => std::slice::from_ref(other),
                };
                let member = |x: &Value<'_>| rvals.iter().any(|y| test_values(Op::Eq, x, y));
                let one = |x: &Value<'_>| match op {
                    Op::In | Op::Intersects => member(x),
                    op => rvals.first().is_some_and(|y| test_values(*op, x, y)),
                };
                match (l.as_ref(), lhs_is_list, op) {
                    (Value::List(items), true, Op::Intersects) => items.iter().any(member),
                    (Value::List(items), true, _) => items.iter().all(member),
                    // multi-valued scalar field: any value (module docs)
                    (Value::List(items), false, _) => items.iter().any(one),
                    (x, _, _) => one(x),
                }
            }
        }
    }
}

fn test_one(test: &ConstTest, v: &Value<'_>) -> bool {
    match test {
        ConstTest::One(op, c) => test_const(*op, v, c),
        ConstTest::In { set, .. } => set.contains(v),
        ConstTest::Modifier(m, op, consts) => {
            if consts.is_empty() {
                return false;
            }
            match m {
                Modifier::AnyOf => consts.iter().any(|c| test_const(*op, v, c)),
                Modifier::AllOf => consts.iter().all(|c| test_const(*op, v, c)),
                Modifier::OneOf => consts.iter().filter(|c| test_const(*op, v, c)).count() == 1,
            }
        }
        ConstTest::PMatch(p) => match v {
            Value::Str(s) => p.matches(s),
            _ => false,
        },
    }
}

/// One comparison of a value with a constant.
pub(crate) fn test_const(op: Op, v: &Value<'_>, c: &Const) -> bool {
    match c {
        Const::Val(k) => test_values(op, v, k),
        Const::ILower(needle) => match v {
            Value::Str(s) => icontains(s.as_bytes(), needle),
            Value::Bytes(b) => icontains(b, needle),
            _ => false,
        },
        Const::Glob(g) => match v {
            Value::Str(s) => g.is_match(s),
            _ => false,
        },
        Const::Regex(r) => match v {
            Value::Str(s) => r.is_match(s),
            Value::Bytes(b) => r.is_match(&String::from_utf8_lossy(b)),
            _ => false,
        },
        Const::Net(net) => match v {
            Value::Ip(ip) => match net.contains(ip) {
                Some(inside) => match op {
                    Op::Ne => !inside,
                    _ => inside,
                },
                None => op == Op::Ne,
            },
            _ => false,
        },
    }
}

fn as_bytes<'a>(v: &'a Value<'_>) -> Option<&'a [u8]> {
    match v {
        Value::Str(s) => Some(s.as_bytes()),
        Value::Bytes(b) => Some(b),
        _ => None,
    }
}

fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(hay, needle).is_some()
}

/// ASCII case-insensitive substring search (`strcasestr`); `lower_needle`
/// is already lower-cased.
fn icontains(hay: &[u8], lower_needle: &[u8]) -> bool {
    let Some((&first, rest)) = lower_needle.split_first() else {
        return true;
    };
    if hay.len() < lower_needle.len() {
        return false;
    }
    let last_start = hay.len() - lower_needle.len();
    let upper = first.to_ascii_uppercase();
    let mut from = 0;
    while from <= last_start {
        let window = &hay[from..=last_start];
        let Some(i) = memchr::memchr2(first, upper, window) else {
            return false;
        };
        let at = from + i;
        if hay[at + 1..at + lower_needle.len()].eq_ignore_ascii_case(rest) {
            return true;
        }
        from = at + 1;
    }
    false
}

fn ordering(op: Op, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Op::Eq | Op::EqEq | Op::In | Op::Intersects => o == Equal,
        Op::Ne => o != Equal,
        Op::Lt => o == Less,
        Op::Le => o != Greater,
        Op::Gt => o == Greater,
        Op::Ge => o != Less,
        _ => false,
    }
}

/// One comparison of two values (libsinsp `flt_compare`).
pub(crate) fn test_values(op: Op, a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Str(x), Value::Str(y)) => match op {
            Op::Eq | Op::EqEq | Op::In | Op::Intersects => x == y,
            Op::Ne => x != y,
            Op::Contains | Op::BContains => contains_bytes(x.as_bytes(), y.as_bytes()),
            Op::StartsWith | Op::BStartsWith => x.starts_with(y.as_ref()),
            Op::EndsWith => x.ends_with(y.as_ref()),
            Op::IContains => icontains(x.as_bytes(), y.to_ascii_lowercase().as_bytes()),
            Op::Glob => crate::glob::glob_match(y, x, false),
            Op::IGlob => crate::glob::glob_match(y, x, true),
            _ => ordering(op, x.as_bytes().cmp(y.as_bytes())),
        },
        (Value::Str(_) | Value::Bytes(_), Value::Str(_) | Value::Bytes(_)) => {
            let (x, y) = (as_bytes(a).unwrap_or(&[]), as_bytes(b).unwrap_or(&[]));
            match op {
                Op::Contains | Op::BContains => contains_bytes(x, y),
                Op::StartsWith | Op::BStartsWith => x.starts_with(y),
                Op::EndsWith => x.ends_with(y),
                Op::IContains => icontains(x, &y.to_ascii_lowercase()),
                _ => ordering(op, x.cmp(y)),
            }
        }
        (Value::U64(x), Value::U64(y)) => ordering(op, x.cmp(y)),
        (Value::I64(x), Value::I64(y)) => ordering(op, x.cmp(y)),
        (Value::I64(x), Value::U64(y)) => ordering(op, x.cmp(&(*y as i64))),
        (Value::U64(x), Value::I64(y)) => ordering(op, x.cmp(&(*y as u64))),
        (Value::Double(x), Value::Double(y)) => x.partial_cmp(y).is_some_and(|o| ordering(op, o)),
        (Value::Double(x), Value::I64(y)) => {
            x.partial_cmp(&(*y as f64)).is_some_and(|o| ordering(op, o))
        }
        (Value::Double(x), Value::U64(y)) => {
            x.partial_cmp(&(*y as f64)).is_some_and(|o| ordering(op, o))
        }
        (Value::Bool(x), Value::Bool(y)) => ordering(op, x.cmp(y)),
        (Value::Ip(x), Value::Ip(y)) => {
            if x.is_ipv4() != y.is_ipv4() {
                op == Op::Ne
            } else {
                ordering(op, x.cmp(y))
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icontains_is_ascii_case_insensitive() {
        assert!(icontains(b"Hello ROOT user", b"root"));
        assert!(icontains(b"xRoOt", b"root"));
        assert!(icontains(b"abc", b""));
        assert!(!icontains(b"roo", b"root"));
        assert!(!icontains(b"r-o-o-t", b"root"));
        assert!(icontains(b"aaab", b"aab"));
        assert!(icontains("ÉCOLE".as_bytes(), "Éc".as_bytes()));
        assert!(contains_bytes(b"abc", b""));
        assert!(contains_bytes(b"abc", b"bc"));
    }

    #[test]
    fn ip_families_never_compare_equal() {
        let v4 = Value::Ip("10.0.0.1".parse().unwrap());
        let v6 = Value::Ip("::1".parse().unwrap());
        assert!(!test_values(Op::Eq, &v4, &v6));
        assert!(test_values(Op::Ne, &v4, &v6));
    }
}
