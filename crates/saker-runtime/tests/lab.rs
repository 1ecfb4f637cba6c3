//! The real capture `shared/data/audit/lab/audit-lab.log` (what `lab.sh`
//! did with `lab.rules` loaded) through the built-in host rules.

use saker_rules::output::OutputOptions;
use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::load_runtime_ruleset;

const LAB: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/audit/lab/audit-lab.log"
);

fn run() -> (
    Vec<(String, u64, String)>,
    saker_runtime::pipeline::RunSummary,
) {
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(true, &[], vec![], &opts).unwrap_or_else(|d| {
        panic!(
            "{}",
            d.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    for w in &loaded.warnings {
        eprintln!("{w}");
    }
    let text = std::fs::read(LAB).unwrap();
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
    let mut alerts = Vec::new();
    let mut cb = |a: &saker_rules::Alert, e: &saker_runtime::event::RuntimeEvent| {
        alerts.push((a.rule.clone(), e.sc.serial, a.output.clone()));
    };
    for (i, line) in text
        .strip_suffix(b"\n")
        .unwrap_or(&text)
        .split(|&b| b == b'\n')
        .enumerate()
    {
        rt.feed_line(i as u64 + 1, line, &mut cb);
    }
    let summary = rt.finish(&mut cb);
    (alerts, summary)
}

#[test]
fn lab_capture_raises_exactly_the_expected_alerts() {
    let (alerts, summary) = run();
    for a in &alerts {
        eprintln!("{} #{}: {}", a.0, a.1, a.2);
    }
    eprintln!("{summary}");
    let expected: &[(&str, u64, &[&str])] = &[
        // 1: `: > ~/.bash_history` (the first `>` created the file: not reported)
        (
            "Shell History Truncated",
            40,
            &[
                "file=/tmp/audit-lab/home/.bash_history",
                "syscall=openat",
                "user=ec2-user",
                "uid=1001",
                "process=bash",
            ],
        ),
        // 1: `truncate -s 0`: ftruncate(3) tied back to its openat
        (
            "Shell History Truncated",
            43,
            &[
                "file=/tmp/audit-lab/home/.bash_history",
                "syscall=ftruncate",
                "cmdline=truncate -s 0 /tmp/audit-lab/home/.bash_history",
                "parent=bash",
                "gparent=lab.sh",
            ],
        ),
        // 1: mv ~/.bash_history ~/.bash_history.old
        (
            "Shell History Deleted or Renamed",
            45,
            &[
                "old=/tmp/audit-lab/home/.bash_history",
                "new=/tmp/audit-lab/home/.bash_history.old",
                "cmdline=mv /tmp/audit-lab/home/.bash_history",
                "loginuser=ec2-user",
            ],
        ),
        // 1: rm -f ~/.bash_history.old
        (
            "Shell History Deleted or Renamed",
            47,
            &[
                "file=/tmp/audit-lab/home/.bash_history.old",
                "syscall=unlinkat",
                "cmdline=rm -f /tmp/audit-lab/home/.bash_history.old",
            ],
        ),
        // 2: ln -s /etc/shadow
        (
            "Symlink Created Over Sensitive File",
            72,
            &[
                "target=/etc/shadow",
                "link=/tmp/audit-lab/home/shadow-link",
                "cmdline=ln -s /etc/shadow /tmp/audit-lab/home/shadow-link",
                "user=ec2-user",
            ],
        ),
        // 3: searches (the hex-encoded argument decoded)
        (
            "Private Key or Password Search",
            95,
            &[
                "command=grep -r BEGIN RSA PRIVATE /tmp/audit-lab/home",
                "user=ec2-user",
            ],
        ),
        (
            "Private Key or Password Search",
            118,
            &["command=find /tmp/audit-lab/home -name id_rsa"],
        ),
        (
            "AWS Credentials Search",
            141,
            &["command=grep -ri aws_secret_access_key /tmp/audit-lab/home"],
        ),
        // 4: cat /etc/shadow as root, login user still ec2-user
        (
            "Sensitive File Read by Unexpected Program",
            144,
            &[
                "file=/etc/shadow",
                "user=root",
                "loginuser=ec2-user",
                "uid=0",
                "process=cat",
                "cmdline=cat /etc/shadow",
                "parent=lab.sh",
            ],
        ),
        // 6: python3 connect to 127.0.0.1:4444 (EINPROGRESS)
        (
            "Outbound Connection to Unusual Port",
            183,
            &[
                "connection=127.0.0.1:4444",
                "port=4444",
                "result=EINPROGRESS",
                "process=python3",
                "user=ec2-user",
            ],
        ),
    ];
    assert_eq!(
        alerts
            .iter()
            .map(|(r, s, _)| (r.as_str(), *s))
            .collect::<Vec<_>>(),
        expected
            .iter()
            .map(|(r, s, _)| (*r, *s))
            .collect::<Vec<_>>()
    );
    for ((_, _, out), (rule, serial, needles)) in alerts.iter().zip(expected) {
        for n in *needles {
            assert!(out.contains(n), "{rule} #{serial}: '{n}' not in {out}");
        }
        assert!(out.contains("host=lab"), "{out}");
    }
    assert_eq!(summary.lines, 815);
    assert_eq!(summary.group.records, 815);
    assert_eq!(summary.skipped_lines, 0);
    assert_eq!(summary.syscall_events, 180);
    assert_eq!(summary.non_syscall_events, 1); // DAEMON_END
    assert_eq!(summary.warning_count, 0);
}
