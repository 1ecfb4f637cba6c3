//! Hostile input never panics the loader: random edits of a real rules
//! file and random text all give diagnostics, not crashes.

mod loader_common;

use proptest::prelude::*;
use saker_rules::loader::Loader;

const REAL: &str = include_str!("../../../../shared/data/falco/aws_cloudtrail_rules.yaml");

fn load(text: &str) -> saker_rules::loader::LoadResult {
    let mut loader = Loader::new(loader_common::tables(&[
        "aws_cloudtrail".to_string(),
        "syscall".to_string(),
    ]));
    loader.load_str("fuzz.yaml", text);
    loader.finish()
}

fn char_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn truncated_and_edited_rules_files_never_panic(
        cut in 0usize..REAL.len(),
        at in 0usize..REAL.len(),
        insert in "[-:\\[\\]{}()\"'&*!|>#%@` \n\ta-z0-9]{0,12}",
    ) {
        let cut = char_boundary(REAL, cut);
        let at = char_boundary(REAL, at);
        let mut edited = String::from(&REAL[..at]);
        edited.push_str(&insert);
        edited.push_str(&REAL[at..]);
        let _ = load(&REAL[..cut]);
        let r = load(&edited);
        for d in &r.diagnostics {
            prop_assert!(d.location.is_some() || d.code == "LOAD_ERR_VALIDATE", "{d}");
        }
    }

    #[test]
    fn random_text_never_panics(text in "\\PC{0,200}") {
        let _ = load(&text);
    }
}

#[test]
fn yaml_bombs_and_deep_nesting_are_bounded() {
    let mut bomb = String::from("- list: l0\n  items: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..10 {
        let p = i - 1;
        bomb.push_str(&format!(
            "- list: l{i}\n  items: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let r = load(&bomb);
    assert!(r.has_errors());
    let deep = format!("- rule: r\n  condition: {}\n", "[".repeat(100_000));
    assert!(load(&deep).has_errors());
    let deep_cond = format!(
        "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: {}evt.num > 0{}\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    let _ = load(&deep_cond);
}
