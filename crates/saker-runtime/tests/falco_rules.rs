//! Falco's own syscall rules (`shared/data/falco/`: falco_rules.yaml,
//! incubating, sandbox) load against the runtime field table, and the ones
//! feasible from audit data fire on the real lab capture exactly where
//! Falco's conditions say they should.

use std::path::PathBuf;

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::load_runtime_ruleset;

const FALCO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/falco");
const LAB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/audit/lab/audit-lab.log"
);

fn falco_files() -> Vec<PathBuf> {
    [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| PathBuf::from(FALCO).join(f))
    .collect()
}

#[test]
fn falco_rule_files_load_against_the_runtime_table() {
    for f in falco_files() {
        let loaded = load_runtime_ruleset(
            false,
            std::slice::from_ref(&f),
            vec![],
            &RulesetOptions::default(),
        )
        .unwrap_or_else(|d| {
            panic!(
                "{}: {}",
                f.display(),
                d.iter()
                    .filter(|d| d.is_error())
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("\n")
            )
        });
        assert!(!loaded.ruleset.rules().is_empty(), "{}", f.display());
    }
}

#[test]
fn feasible_falco_rules_fire_on_the_lab_capture() {
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(false, &falco_files(), vec![], &opts).unwrap();
    let mut rt = Runtime::new(
        &loaded.ruleset,
        RuntimeOptions {
            output: OutputOptions {
                hostname: "lab".into(),
                time_format_iso_8601: false,
            },
            ..RuntimeOptions::default()
        },
    );
    let text = std::fs::read(LAB).unwrap();
    let mut got: Vec<(String, u64)> = Vec::new();
    let mut cb = |a: &saker_rules::Alert, e: &saker_runtime::event::RuntimeEvent| {
        got.push((a.rule.clone(), e.sc.serial));
    };
    for (i, l) in text.split(|&b| b == b'\n').enumerate() {
        rt.feed_line(i as u64 + 1, l, &mut cb);
    }
    rt.finish(&mut cb);
    let got: Vec<(&str, u64)> = got.iter().map(|(r, s)| (r.as_str(), *s)).collect();
    assert_eq!(
        got,
        [
            // incubating: truncate_shell_history = open_write + O_TRUNC on a
            // name ending ash_history (Falco fires on the creating `>` too)
            ("Delete or rename shell history", 39),
            ("Delete or rename shell history", 40),
            // incubating: open_write of ~/.bash_history (truncate(1)'s openat)
            ("Modify Shell Configuration File", 42),
            // incubating: renameat2 of .bash_history (the later rm of
            // .bash_history.old does not end in ash_history: no alert, as in Falco)
            ("Delete or rename shell history", 45),
            // stable: symlinkat target in sensitive_file_names
            ("Create Symlink Over Sensitive Files", 72),
            // stable: grep "BEGIN RSA PRIVATE", find -name id_rsa
            ("Search Private Keys or Passwords", 95),
            ("Search Private Keys or Passwords", 118),
            // stable: grep aws_secret_access_key
            ("Find AWS Credentials", 141),
            // stable: cat /etc/shadow, not a trusted program
            ("Read sensitive file untrusted", 144),
        ]
    );
}

/// Falco rules on the synthetic records of `rules/host.tests.yaml`: each
/// case's `audit:` text through Falco's own rules.
#[test]
fn feasible_falco_rules_fire_on_synthetic_records() {
    use saker_runtime::rule_tests::Case;
    let tests = concat!(env!("CARGO_MANIFEST_DIR"), "/../../rules/host.tests.yaml");
    let cases: Vec<Case> =
        serde_saphyr::from_str(&std::fs::read_to_string(tests).unwrap()).unwrap();
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(false, &falco_files(), vec![], &opts).unwrap();
    let fired = |note_part: &str| -> Vec<String> {
        let case = cases
            .iter()
            .find(|c| c.note.contains(note_part) && c.audit.is_some())
            .unwrap_or_else(|| panic!("no case '{note_part}'"));
        let mut rt = Runtime::new(&loaded.ruleset, RuntimeOptions::default());
        let mut got = Vec::new();
        let mut cb = |a: &saker_rules::Alert, _: &saker_runtime::event::RuntimeEvent| {
            got.push(a.rule.clone())
        };
        for (i, l) in case.audit.as_ref().unwrap().lines().enumerate() {
            rt.feed_line(i as u64 + 1, l.as_bytes(), &mut cb);
        }
        rt.finish(&mut cb);
        got
    };
    assert_eq!(
        fired("`> /var/log/secure` from a root shell"),
        ["Clear Log Activities"]
    );
    assert_eq!(fired("logrotate truncating"), ["Clear Log Activities"]); // Falco has no logrotate exception
    assert_eq!(
        fired("a binary dropped in /dev/shm runs"),
        ["Execution from /dev/shm"]
    );
    assert_eq!(
        fired("fexecve of a memfd"),
        ["Fileless execution via memfd_create"]
    );
    assert_eq!(
        fired("PTRACE_ATTACH (a0=0x10)"),
        ["PTRACE attached to process"]
    );
    assert_eq!(fired("PTRACE_TRACEME"), ["PTRACE anti-debug attempt"]);
    assert_eq!(
        fired("ln /etc/shadow /tmp/s"),
        ["Create Hardlink Over Sensitive Files"]
    );
    // needs `container` and thread.cap_effective: never on a host
    assert!(fired("insmod rootkit.ko").is_empty());
    assert!(fired("curl to 93.184.216.34:443").is_empty());
}
