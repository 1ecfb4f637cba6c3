//! CVSS base scores: v3.x computed by `advisory::cvss` per the FIRST
//! specification, checked on known vectors (scores as FIRST's and NVD's
//! calculators give them) and against the rustsec `cvss` crate over every
//! one of the 2,592 base vectors; v4.0 and v2.0 through the crate; the
//! OSV severity order (ecosystem word, Ubuntu priority, CVSS).

use saker_vulns::advisory::cvss::{base_score_v3, best, roundup_v31, score};
use saker_vulns::advisory::osv::parse_osv;
use saker_vulns::advisory::Severity;

#[test]
fn roundup_follows_appendix_a() {
    assert_eq!(roundup_v31(4.02), 4.1);
    assert_eq!(roundup_v31(4.00), 4.0);
    assert_eq!(roundup_v31(4.000_000_1), 4.0, "float noise is not a tenth");
    assert_eq!(roundup_v31(5.299_995_971_715_123_5), 5.3);
}

#[test]
fn known_v3_vectors() {
    let cases = [
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            9.8,
            Severity::Critical,
        ),
        // Log4Shell (CVE-2021-44228)
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H",
            10.0,
            Severity::Critical,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N",
            6.1,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H",
            7.8,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H",
            7.5,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N",
            5.9,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N",
            4.3,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N",
            1.6,
            Severity::Low,
        ),
        (
            "CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:H/I:L/A:N",
            6.2,
            Severity::Medium,
        ),
        (
            "CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:H",
            8.2,
            Severity::High,
        ),
        (
            "CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:N",
            5.3,
            Severity::Medium,
        ),
        (
            "CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:L/I:L/A:N",
            5.5,
            Severity::Medium,
        ),
        (
            "CVSS:3.0/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:L",
            5.0,
            Severity::Medium,
        ),
        // Temporal metrics do not change the base score.
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
            9.8,
            Severity::Critical,
        ),
        // No impact: 0.0, rated "None", reported as unknown.
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N",
            0.0,
            Severity::Unknown,
        ),
    ];
    for (v, want, sev) in cases {
        assert_eq!(base_score_v3(v), Ok(want), "{v}");
        let s = score("CVSS_V3", v);
        assert_eq!((s.score, s.severity), (Some(want), sev), "{v}");
    }
}

#[test]
fn bad_v3_vectors_are_errors() {
    for v in [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", // A missing
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X", // bad value
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
        "CVSS:2.9/AV:N",
        "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    ] {
        assert!(base_score_v3(v).is_err(), "{v}");
        assert_eq!(score("CVSS_V3", v).severity, Severity::Unknown, "{v}");
    }
}

#[test]
fn every_v3_base_vector_agrees_with_the_cvss_crate() {
    let mut n = 0;
    for av in ["N", "A", "L", "P"] {
        for ac in ["L", "H"] {
            for pr in ["N", "L", "H"] {
                for ui in ["N", "R"] {
                    for s in ["U", "C"] {
                        for c in ["H", "L", "N"] {
                            for i in ["H", "L", "N"] {
                                for a in ["H", "L", "N"] {
                                    for ver in ["3.0", "3.1"] {
                                        let v = format!("CVSS:{ver}/AV:{av}/AC:{ac}/PR:{pr}/UI:{ui}/S:{s}/C:{c}/I:{i}/A:{a}");
                                        let ours = base_score_v3(&v).unwrap();
                                        let theirs: cvss::v3::Vector = v.parse().unwrap();
                                        assert_eq!(ours, theirs.base_score().value(), "{v}");
                                        n += 1;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    assert_eq!(n, 2 * 2592);
}

#[test]
fn v4_and_v2_vectors() {
    for (v, want, sev) in [
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
            Severity::Critical,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
            Severity::High,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:P/VC:L/VI:L/VA:N/SC:L/SI:L/SA:N",
            5.3,
            Severity::Medium,
        ),
    ] {
        let s = score("CVSS_V4", v);
        assert_eq!(
            (s.version.as_str(), s.score, s.severity),
            ("4.0", Some(want), sev),
            "{v}"
        );
    }
    // CVSS 2.0 has no prefix and no Critical (NVD v2 ranges).
    let s = score("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    assert_eq!(
        (s.version.as_str(), s.score, s.severity),
        ("2.0", Some(7.5), Severity::High)
    );
    let s = score("CVSS_V2", "AV:N/AC:M/Au:N/C:N/I:P/A:N");
    assert_eq!((s.score, s.severity), (Some(4.3), Severity::Medium));
    let s = score("CVSS_V4", "CVSS:4.0/AV:N");
    assert_eq!((s.score, s.severity), (None, Severity::Unknown));
    assert!(s.error.is_some());
}

#[test]
fn v3_is_preferred_then_v4_then_v2() {
    let v3 = ("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N");
    let v4 = (
        "CVSS_V4",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    );
    let v2 = ("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");
    assert_eq!(best(&[v4, v3, v2]).unwrap().version, "3.1");
    assert_eq!(best(&[v2, v4]).unwrap().version, "4.0");
    assert_eq!(best(&[v2]).unwrap().version, "2.0");
    // An unscorable v3 loses to a scorable v4.
    let bad3 = ("CVSS_V3", "CVSS:3.1/AV:N");
    assert_eq!(best(&[bad3, v4]).unwrap().version, "4.0");
    assert!(best(&[]).is_none());
}

fn osv(severity: &str, db_specific: &str) -> String {
    format!(
        r#"{{"id":"OSV-1","severity":[{severity}],{db_specific}
        "affected":[{{"package":{{"ecosystem":"Debian:12","name":"x"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"2"}}]}}]}}]}}"#
    )
}

#[test]
fn osv_severity_order() {
    let v3 = r#"{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}"#;
    // Ecosystem word first (GHSA "MODERATE" = medium), vector kept.
    let a = parse_osv(&osv(v3, r#""database_specific":{"severity":"MODERATE"},"#))
        .unwrap()
        .unwrap();
    assert_eq!(a.severity, Severity::Medium);
    assert_eq!(a.cvss.unwrap().score, Some(7.5));
    // Ubuntu priority next.
    let ub = format!(r#"{v3},{{"type":"Ubuntu","score":"low"}}"#);
    let a = parse_osv(&osv(&ub, "")).unwrap().unwrap();
    assert_eq!(a.severity, Severity::Low);
    // Then the vector's base score: 7.5 → high.
    let a = parse_osv(&osv(v3, "")).unwrap().unwrap();
    assert_eq!(a.severity, Severity::High);
    // v4 only.
    let v4 = r#"{"type":"CVSS_V4","score":"CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"}"#;
    let a = parse_osv(&osv(v4, "")).unwrap().unwrap();
    assert_eq!(
        (a.severity, a.cvss.unwrap().score),
        (Severity::High, Some(8.5))
    );
    // Nothing usable: unknown.
    let a = parse_osv(&osv("", "")).unwrap().unwrap();
    assert_eq!((a.severity, a.cvss), (Severity::Unknown, None));
}
