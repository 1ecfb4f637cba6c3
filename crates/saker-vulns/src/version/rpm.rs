//! rpm version ordering, identical to rpm's `rpmvercmp()` (rpm ≥ 4.15,
//! `rpmio/rpmvercmp.c`) and `rpmVersionCompare()` for `[E:]V-R`.
//!
//! Rules (reference: vulns-and-runtime.md A1.3): versions are split into
//! maximal ASCII-alphanumeric segments, other characters only separate;
//! numeric segments beat alphabetic ones and compare numerically (leading
//! zeros stripped, then by length, then bytes); `~` sorts before anything,
//! even the end of the string; `^` sorts after the end but before any
//! further segment. Epoch is compared numerically first; a missing epoch is 0.

use std::cmp::Ordering;
use std::fmt;

/// Compares two rpm version (or release) strings exactly like `rpmvercmp`.
pub fn rpmvercmp(a: &str, b: &str) -> Ordering {
    if a == b {
        return Ordering::Equal;
    }
    let a = a.as_bytes();
    let b = b.as_bytes();
    let (mut i, mut j) = (0usize, 0usize);
    let at = |s: &[u8], k: usize| -> u8 { s.get(k).copied().unwrap_or(0) };
    let is_sep = |c: u8| c != 0 && !c.is_ascii_alphanumeric() && c != b'~' && c != b'^';
    while at(a, i) != 0 || at(b, j) != 0 {
        while is_sep(at(a, i)) {
            i += 1;
        }
        while is_sep(at(b, j)) {
            j += 1;
        }
        let (ca, cb) = (at(a, i), at(b, j));
        if ca == b'~' || cb == b'~' {
            if ca != b'~' {
                return Ordering::Greater;
            }
            if cb != b'~' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == b'^' || cb == b'^' {
            if ca == 0 {
                return Ordering::Less;
            }
            if cb == 0 {
                return Ordering::Greater;
            }
            if ca != b'^' {
                return Ordering::Greater;
            }
            if cb != b'^' {
                return Ordering::Less;
            }
            i += 1;
            j += 1;
            continue;
        }
        if ca == 0 || cb == 0 {
            break;
        }
        let numeric = ca.is_ascii_digit();
        let class = |c: u8| {
            if numeric {
                c.is_ascii_digit()
            } else {
                c.is_ascii_alphabetic()
            }
        };
        let (si, sj) = (i, j);
        while class(at(a, i)) {
            i += 1;
        }
        while class(at(b, j)) {
            j += 1;
        }
        if sj == j {
            // Segments of different types: numeric beats alphabetic.
            return if numeric {
                Ordering::Greater
            } else {
                Ordering::Less
            };
        }
        let mut sa = &a[si..i];
        let mut sb = &b[sj..j];
        if numeric {
            while sa.len() > 1 && sa[0] == b'0' {
                sa = &sa[1..];
            }
            while sb.len() > 1 && sb[0] == b'0' {
                sb = &sb[1..];
            }
            // rpm strips every leading zero; "0" vs "" compare the same
            // either way because both sides are stripped alike.
            if sa == b"0" {
                sa = b"";
            }
            if sb == b"0" {
                sb = b"";
            }
            match sa.len().cmp(&sb.len()) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        match sa.cmp(sb) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    let (ea, eb) = (at(a, i) == 0, at(b, j) == 0);
    match (ea, eb) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

/// An rpm `[epoch:]version[-release]`. `epoch` is `None` when absent
/// (compared as 0); `release` is empty when absent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Evr {
    /// Epoch; `None` when the source did not give one (rpm treats it as 0).
    pub epoch: Option<u64>,
    /// Upstream version.
    pub version: String,
    /// Package release; empty when unknown.
    pub release: String,
}

impl Evr {
    /// Builds an EVR from parts.
    pub fn new(epoch: Option<u64>, version: &str, release: &str) -> Self {
        Evr {
            epoch,
            version: version.to_string(),
            release: release.to_string(),
        }
    }

    /// Parses `[E:]V[-R]` (the release follows the last `-`). A non-numeric
    /// epoch is an error.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (epoch, rest) = match s.split_once(':') {
            Some((e, rest)) if !e.is_empty() => (
                Some(
                    e.parse::<u64>()
                        .map_err(|_| format!("bad epoch {e:?} in {s:?}"))?,
                ),
                rest,
            ),
            Some((_, rest)) => (None, rest),
            None => (None, s),
        };
        let (version, release) = match rest.rsplit_once('-') {
            Some((v, r)) => (v, r),
            None => (rest, ""),
        };
        if version.is_empty() {
            return Err(format!("empty version in {s:?}"));
        }
        Ok(Evr::new(epoch, version, release))
    }

    /// The epoch rpm uses for comparison (missing = 0).
    pub fn epoch_num(&self) -> u64 {
        self.epoch.unwrap_or(0)
    }

    /// Compares like `rpmVersionCompare`: epoch, version, then release;
    /// the release is skipped when either side has none (rpm's range rule).
    pub fn compare(&self, other: &Evr) -> Ordering {
        self.epoch_num()
            .cmp(&other.epoch_num())
            .then_with(|| rpmvercmp(&self.version, &other.version))
            .then_with(|| {
                if self.release.is_empty() || other.release.is_empty() {
                    Ordering::Equal
                } else {
                    rpmvercmp(&self.release, &other.release)
                }
            })
    }
}

impl fmt::Display for Evr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(e) = self.epoch {
            if e != 0 {
                write!(f, "{e}:")?;
            }
        }
        f.write_str(&self.version)?;
        if !self.release.is_empty() {
            write!(f, "-{}", self.release)?;
        }
        Ok(())
    }
}

/// Compares two `[E:]V-R` strings with [`Evr::compare`]; unparsable input
/// falls back to `rpmvercmp` over the whole string.
pub fn compare_evr_str(a: &str, b: &str) -> Ordering {
    match (Evr::parse(a), Evr::parse(b)) {
        (Ok(x), Ok(y)) => x.compare(&y),
        _ => rpmvercmp(a, b),
    }
}
