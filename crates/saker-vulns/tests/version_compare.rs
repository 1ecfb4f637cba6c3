//! Version orderings against the reference cases: rpm's own
//! `tests/rpmvercmp.at` table and the reference document's checks (A1.3),
//! dpkg's ordering rules (Debian Policy 5.6.12 and dpkg's `t-version`), and
//! Maven/RubyGems/semver. Property tests check antisymmetry, reflexivity and
//! transitivity on generated version strings.

use std::cmp::Ordering::{self, Equal, Greater, Less};

use proptest::prelude::*;
use saker_vulns::version::{dpkg, lang, rpm, Scheme};

fn ord(n: i32) -> Ordering {
    n.cmp(&0)
}

/// rpm's `tests/rpmvercmp.at` (rpm ≥ 4.15, with caret).
const RPMVERCMP: &[(&str, &str, i32)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "2.0", -1),
    ("2.0", "1.0", 1),
    ("2.0.1", "2.0.1", 0),
    ("2.0", "2.0.1", -1),
    ("2.0.1", "2.0", 1),
    ("2.0.1a", "2.0.1a", 0),
    ("2.0.1a", "2.0.1", 1),
    ("2.0.1", "2.0.1a", -1),
    ("5.5p1", "5.5p1", 0),
    ("5.5p1", "5.5p2", -1),
    ("5.5p2", "5.5p1", 1),
    ("5.5p10", "5.5p10", 0),
    ("5.5p1", "5.5p10", -1),
    ("5.5p10", "5.5p1", 1),
    ("10xyz", "10.1xyz", -1),
    ("10.1xyz", "10xyz", 1),
    ("xyz10", "xyz10", 0),
    ("xyz10", "xyz10.1", -1),
    ("xyz10.1", "xyz10", 1),
    ("xyz.4", "xyz.4", 0),
    ("xyz.4", "8", -1),
    ("8", "xyz.4", 1),
    ("xyz.4", "2", -1),
    ("2", "xyz.4", 1),
    ("5.5p2", "5.6p1", -1),
    ("5.6p1", "5.5p2", 1),
    ("5.6p1", "6.5p1", -1),
    ("6.5p1", "5.6p1", 1),
    ("6.0.rc1", "6.0", 1),
    ("6.0", "6.0.rc1", -1),
    ("10b2", "10a1", 1),
    ("10a2", "10b2", -1),
    ("1.0aa", "1.0aa", 0),
    ("1.0a", "1.0aa", -1),
    ("1.0aa", "1.0a", 1),
    ("10.0001", "10.0001", 0),
    ("10.0001", "10.1", 0),
    ("10.1", "10.0001", 0),
    ("10.0001", "10.0039", -1),
    ("10.0039", "10.0001", 1),
    ("4.999.9", "5.0", -1),
    ("5.0", "4.999.9", 1),
    ("20101121", "20101121", 0),
    ("20101121", "20101122", -1),
    ("20101122", "20101121", 1),
    ("2_0", "2_0", 0),
    ("2.0", "2_0", 0),
    ("2_0", "2.0", 0),
    ("a", "a", 0),
    ("a+", "a+", 0),
    ("a+", "a_", 0),
    ("a_", "a+", 0),
    ("+a", "+a", 0),
    ("+a", "_a", 0),
    ("_a", "+a", 0),
    ("+_", "+_", 0),
    ("_+", "+_", 0),
    ("_+", "_+", 0),
    ("+", "_", 0),
    ("_", "+", 0),
    ("1.0~rc1", "1.0~rc1", 0),
    ("1.0~rc1", "1.0", -1),
    ("1.0", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~rc2", "1.0~rc1", 1),
    ("1.0~rc1~git123", "1.0~rc1~git123", 0),
    ("1.0~rc1~git123", "1.0~rc1", -1),
    ("1.0~rc1", "1.0~rc1~git123", 1),
    ("1.0^", "1.0^", 0),
    ("1.0^", "1.0", 1),
    ("1.0", "1.0^", -1),
    ("1.0^git1", "1.0^git1", 0),
    ("1.0^git1", "1.0", 1),
    ("1.0", "1.0^git1", -1),
    ("1.0^git1", "1.0^git2", -1),
    ("1.0^git2", "1.0^git1", 1),
    ("1.0^git1", "1.01", -1),
    ("1.01", "1.0^git1", 1),
    ("1.0^20160101", "1.0^20160101", 0),
    ("1.0^20160101", "1.0.1", -1),
    ("1.0.1", "1.0^20160101", 1),
    ("1.0^20160101^git1", "1.0^20160101^git1", 0),
    ("1.0^20160102", "1.0^20160101^git1", 1),
    ("1.0^20160101^git1", "1.0^20160102", -1),
    ("1.0~rc1^git1", "1.0~rc1^git1", 0),
    ("1.0~rc1^git1", "1.0~rc1", 1),
    ("1.0~rc1", "1.0~rc1^git1", -1),
    ("1.0^git1~pre", "1.0^git1~pre", 0),
    ("1.0^git1", "1.0^git1~pre", 1),
    ("1.0^git1~pre", "1.0^git1", -1),
];

#[test]
fn rpmvercmp_matches_rpm_test_table() {
    for (a, b, want) in RPMVERCMP {
        assert_eq!(rpm::rpmvercmp(a, b), ord(*want), "rpmvercmp({a:?}, {b:?})");
    }
}

#[test]
fn rpm_evr_reference_checks() {
    // vulns-and-runtime.md A1.3, checked there with rpm-version 0.5.1.
    let c = rpm::compare_evr_str;
    assert_eq!(c("1.0~rc1-1", "1.0-1"), Less);
    assert_eq!(c("1.0^git1-1", "1.0-1"), Greater);
    assert_eq!(c("1:1.0-1", "2.0-1"), Greater);
    assert_eq!(c("0:1.2-3", "1.2-3"), Equal);
    assert_eq!(c("1.0_1", "1.0.1"), Equal);
    // Real ALAS NEVRAs.
    assert_eq!(c("10:1.5.3-141.amzn2.5.2", "10:1.5.3-141.amzn2.5.3"), Less);
    assert_eq!(c("1.5.3-141.amzn2.5.9", "10:1.5.3-141.amzn2.5.3"), Less);
    assert_eq!(
        c("8.2204.0-3.amzn2023.0.2", "8.2204.0-3.amzn2023.0.10"),
        Less
    );
    assert_eq!(c("8.2204.0-3.amzn2023", "8.2204.0-3.amzn2023.0.2"), Less);
    let e = rpm::Evr::parse("1:1.8.0.161-0.b14.amzn2").unwrap();
    assert_eq!(
        (e.epoch, e.version.as_str(), e.release.as_str()),
        (Some(1), "1.8.0.161", "0.b14.amzn2")
    );
    assert_eq!(e.to_string(), "1:1.8.0.161-0.b14.amzn2");
    assert!(rpm::Evr::parse("x:1.0-1").is_err());
}

#[test]
fn dpkg_matches_dpkg_rules() {
    let cases: &[(&str, &str, i32)] = &[
        ("1.0", "1.0", 0),
        ("0:1.0", "1.0", 0),
        ("1.0", "1.0-0", 0),
        ("1.0", "1.1", -1),
        ("1.0-1", "1.0-2", -1),
        ("1:0.1", "2.0", 1),
        ("1.0~rc1", "1.0", -1),
        ("1.0~~", "1.0~", -1),
        ("1.0~~", "1.0~~a", -1),
        ("1.0~~a", "1.0~", -1),
        ("1.0~", "1.0", -1),
        ("1.0", "1.0a", -1),
        ("1.0a", "1.0+", -1),
        ("1.0", "1.0+b1", -1),
        ("1.0+1", "1.0.1", -1),
        ("2.27-3ubuntu1", "2.27-3ubuntu1.2", -1),
        ("1.2.3-1", "1.2.3-1ubuntu1", -1),
        ("1.10", "1.9", 1),
        ("1.001", "1.1", 0),
        ("7.58.0-2ubuntu3.8", "7.58.0-2ubuntu3.16", -1),
        ("1:2.30-1", "2.31-1", 1),
        ("3.2.5-1+deb10u1", "3.2.5-1", 1),
        ("1.0-1~bpo1", "1.0-1", -1),
        ("a", "b", -1),
        ("1.0-a-1", "1.0-a-2", -1),
    ];
    for (a, b, want) in cases {
        assert_eq!(
            dpkg::compare_deb_str(a, b),
            ord(*want),
            "dpkg({a:?}, {b:?})"
        );
        assert_eq!(
            dpkg::compare_deb_str(b, a),
            ord(-want),
            "dpkg({b:?}, {a:?})"
        );
    }
    let v = dpkg::DebVersion::parse("1:2.30-1-2").unwrap();
    assert_eq!(
        (v.epoch, v.upstream.as_str(), v.revision.as_str()),
        (1, "2.30-1", "2")
    );
    assert!(dpkg::DebVersion::parse("x:1.0").is_err());
}

#[test]
fn maven_ordering() {
    let seq = [
        "1-alpha-1",
        "1-alpha-2",
        "1-beta",
        "1-milestone-1",
        "1-rc",
        "1-snapshot",
        "1",
        "1-sp",
        "1-abc",
        "1-1",
        "1.1",
        "1.2-SNAPSHOT",
        "1.2",
        "29.0-android",
        "29.0-jre",
        "30.0-jre",
        "32.0.0-jre",
    ];
    for w in seq.windows(2) {
        assert_eq!(lang::compare_maven(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        assert_eq!(lang::compare_maven(w[1], w[0]), Greater);
    }
    for (a, b) in [
        ("1", "1.0.0"),
        ("1.0", "1-ga"),
        ("2.0.0.RELEASE", "2.0.0"),
        ("1.0-final", "1"),
    ] {
        assert_eq!(lang::compare_maven(a, b), Equal, "{a} == {b}");
    }
}

#[test]
fn gem_ordering() {
    let seq = [
        "1.0.a", "1.0.b1", "1.0", "1.0.1", "1.1", "13.0.3", "13.0.10",
    ];
    for w in seq.windows(2) {
        assert_eq!(lang::compare_gem(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
    }
    assert_eq!(lang::compare_gem("1.0.0", "1"), Equal);
}

#[test]
fn semver_ordering() {
    // semver.org §11 example chain.
    let seq = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "v2.0.0",
    ];
    for w in seq.windows(2) {
        assert_eq!(
            lang::compare_semver(w[0], w[1]),
            Less,
            "{} < {}",
            w[0],
            w[1]
        );
    }
    assert_eq!(lang::compare_semver("1.0.0+build", "1.0.0"), Equal);
}

fn rpm_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[0-9a-c.~^_+]{0,8}").unwrap()
}

fn rpm_evr() -> impl Strategy<Value = String> {
    (0u8..3, "[0-9a-c.~^]{1,6}", "[0-9a-c.~^]{1,6}").prop_map(|(e, v, r)| format!("{e}:{v}-{r}"))
}

fn deb_like() -> impl Strategy<Value = String> {
    (
        0u8..3,
        "[0-9][0-9a-c.~+]{0,6}",
        proptest::option::of("[0-9a-c.~+]{1,5}"),
    )
        .prop_map(|(e, u, r)| match r {
            Some(r) => format!("{e}:{u}-{r}"),
            None => format!("{e}:{u}"),
        })
}

fn lang_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex(
        "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-(alpha|beta|rc|sp|jre|[0-9])){0,2}",
    )
    .unwrap()
}

fn check_order(
    f: impl Fn(&str, &str) -> Ordering,
    a: &str,
    b: &str,
    c: &str,
) -> Result<(), TestCaseError> {
    prop_assert_eq!(f(a, a), Equal);
    prop_assert_eq!(f(a, b), f(b, a).reverse(), "antisymmetry {} {}", a, b);
    if f(a, b) != Greater && f(b, c) != Greater {
        prop_assert_ne!(f(a, c), Greater, "transitivity {} <= {} <= {}", a, b, c);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn rpmvercmp_is_a_total_preorder(a in rpm_like(), b in rpm_like(), c in rpm_like()) {
        check_order(rpm::rpmvercmp, &a, &b, &c)?;
    }

    #[test]
    fn rpm_evr_is_a_total_preorder(a in rpm_evr(), b in rpm_evr(), c in rpm_evr()) {
        check_order(|x, y| Scheme::Rpm.compare(x, y), &a, &b, &c)?;
    }

    #[test]
    fn dpkg_is_a_total_preorder(a in deb_like(), b in deb_like(), c in deb_like()) {
        check_order(|x, y| Scheme::Dpkg.compare(x, y), &a, &b, &c)?;
    }

    #[test]
    fn maven_gem_semver_are_total_preorders(a in lang_like(), b in lang_like(), c in lang_like()) {
        check_order(lang::compare_maven, &a, &b, &c)?;
        check_order(lang::compare_gem, &a, &b, &c)?;
        check_order(lang::compare_semver, &a, &b, &c)?;
    }
}
