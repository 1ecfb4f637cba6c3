//! Version orderings: rpm, dpkg and the language-package schemes.

pub mod dpkg;
pub mod lang;
pub mod rpm;

use std::cmp::Ordering;

/// Which ordering a version string follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// rpm `rpmvercmp` over `[E:]V-R` (Amazon Linux, Alma, Rocky, SUSE, Red Hat).
    Rpm,
    /// dpkg ordering (Debian, Ubuntu).
    Dpkg,
    /// Alpine apk; approximated with the dpkg ordering (documented gap).
    Apk,
    /// Maven `ComparableVersion`.
    Maven,
    /// RubyGems `Gem::Version`.
    Gem,
    /// Semantic Versioning (npm, Go, crates.io and OSV `SEMVER` ranges).
    Semver,
}

impl Scheme {
    /// Compares `a` with `b` under this scheme.
    pub fn compare(self, a: &str, b: &str) -> Ordering {
        match self {
            Scheme::Rpm => rpm::compare_evr_str(a, b),
            Scheme::Dpkg | Scheme::Apk => dpkg::compare_deb_str(a, b),
            Scheme::Maven => lang::compare_maven(a, b),
            Scheme::Gem => lang::compare_gem(a, b),
            Scheme::Semver => lang::compare_semver(a, b),
        }
    }
}
