//! Bad input: interleaved events, a missing EOE/PROCTITLE, truncated lines,
//! unknown record types, non-UTF-8 bytes and hex paths, records from other
//! architectures. Each is handled or reported with its line; nothing
//! panics and no event is dropped.

use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::load_runtime_ruleset;

fn run(
    lines: &[&[u8]],
) -> (
    Vec<(String, u64, String)>,
    saker_runtime::pipeline::RunSummary,
) {
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let loaded = load_runtime_ruleset(true, &[], vec![], &opts).unwrap();
    let mut rt = Runtime::new(&loaded.ruleset, RuntimeOptions::default());
    let mut alerts = Vec::new();
    let mut cb = |a: &saker_rules::Alert, e: &saker_runtime::event::RuntimeEvent| {
        alerts.push((a.rule.clone(), e.sc.serial, a.output.clone()));
    };
    for (i, l) in lines.iter().enumerate() {
        rt.feed_line(i as u64 + 1, l, &mut cb);
    }
    let s = rt.finish(&mut cb);
    (alerts, s)
}

const TRUNC_A: &[u8] = b"type=SYSCALL msg=audit(1700000000.100:10): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c a1=1 a2=241 a3=1b6 items=2 ppid=1 pid=100 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"bash\" exe=\"/usr/bin/bash\" key=(null)";
const UNLINK_B: &[u8] = b"type=SYSCALL msg=audit(1700000000.100:11): arch=c000003e syscall=263 success=yes exit=0 a0=ffffff9c a1=1 a2=0 a3=0 items=2 ppid=1 pid=101 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"rm\" exe=\"/usr/bin/rm\" key=(null)";

#[test]
fn interleaved_truncated_unknown_and_foreign_records() {
    let lines: Vec<&[u8]> = vec![
        TRUNC_A,
        UNLINK_B,
        b"type=CWD msg=audit(1700000000.100:11): cwd=\"/home/u\"",
        b"type=CWD msg=audit(1700000000.100:10): cwd=\"/home/u\"",
        b"type=PATH msg=audit(1700000000.100:10): item=0 name=\"/home/u/\" nametype=PARENT",
        b"type=PATH msg=audit(1700000000.100:11): item=0 name=\"/home/u/\" nametype=PARENT",
        // hex-encoded relative name (a space in it), joined with CWD
        b"type=PATH msg=audit(1700000000.100:11): item=1 name=2E626173685F686973746F7279206F6C64 mode=0100600 nametype=DELETE",
        b"type=PATH msg=audit(1700000000.100:10): item=1 name=\".bash_history\" mode=0100600 nametype=NORMAL",
        // truncated line: no header
        b"type=SYSCALL msg=audit(17000",
        // not audit at all, with non-UTF-8 bytes
        b"\xff\xfe garbage \x1b[31m",
        // unknown record types are kept in their event
        b"type=UNKNOWN[1999] msg=audit(1700000000.100:10): foo=bar",
        b"type=FUTURE_THING msg=audit(1700000000.100:11): x=1",
        b"type=PROCTITLE msg=audit(1700000000.100:11): proctitle=726D",
        // event 10 never gets PROCTITLE nor EOE: closed at end of input
        // aarch64: openat is 56, unlinkat 35
        b"type=SYSCALL msg=audit(1700000000.200:12): arch=c00000b7 syscall=56 success=yes exit=3 a0=ffffffffffffff9c a1=1 a2=241 a3=1b6 items=1 ppid=1 pid=200 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"sh\" exe=\"/bin/sh\" key=(null)",
        b"type=CWD msg=audit(1700000000.200:12): cwd=\"/root\"",
        b"type=PATH msg=audit(1700000000.200:12): item=0 name=\".zsh_history\" mode=0100600 nametype=NORMAL",
        b"type=EOE msg=audit(1700000000.200:12):",
        // i386 compat syscall: no table, reported, still evaluated
        b"type=SYSCALL msg=audit(1700000000.300:13): arch=40000003 syscall=5 success=yes exit=3 a0=1 a1=2 a2=3 a3=4 items=0 ppid=1 pid=300 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"old\" exe=\"/old\" key=(null)",
        b"type=EOE msg=audit(1700000000.300:13):",
        // non-UTF-8 bytes in a hex-encoded path
        b"type=SYSCALL msg=audit(1700000000.400:14): arch=c000003e syscall=87 success=yes exit=0 a0=1 a1=0 a2=0 a3=0 items=2 ppid=1 pid=400 auid=1000 uid=1000 gid=1000 euid=1000 suid=1000 fsuid=1000 egid=1000 sgid=1000 fsgid=1000 tty=pts0 ses=1 comm=\"rm\" exe=\"/usr/bin/rm\" key=(null)",
        b"type=PATH msg=audit(1700000000.400:14): item=1 name=2F686F6D652F752FFF2E626173685F686973746F7279 nametype=DELETE",
        // a stray EOE
        b"type=EOE msg=audit(1700000000.500:99):",
    ];
    let (alerts, s) = run(&lines);
    for a in &alerts {
        eprintln!("{a:?}");
    }
    eprintln!("{s}");
    assert_eq!(s.lines, lines.len() as u64);
    assert_eq!(s.skipped_lines, 2);
    assert_eq!(s.skipped.iter().map(|x| x.0).collect::<Vec<_>>(), [9, 10]);
    assert_eq!(s.group.records, lines.len() as u64 - 2);
    assert_eq!(s.syscall_events, 5);
    assert_eq!(s.unknown_arch_events, 1);
    assert_eq!(
        s.group.at_end, 2,
        "event 10 (no PROCTITLE) and 14 closed at end"
    );
    assert_eq!(s.group.stray_eoe, 1);
    let got: Vec<(&str, u64)> = alerts.iter().map(|(r, n, _)| (r.as_str(), *n)).collect();
    assert_eq!(
        got,
        [
            ("Shell History Deleted or Renamed", 11),
            ("Shell History Truncated", 12),
            ("Shell History Truncated", 10),
            ("Shell History Deleted or Renamed", 14),
        ]
    );
    assert!(
        alerts[0].2.contains("/home/u/.bash_history old"),
        "{}",
        alerts[0].2
    );
    assert!(
        alerts[1].2.contains("file=/root/.zsh_history"),
        "{}",
        alerts[1].2
    );
    assert!(
        alerts[3].2.contains("/home/u/\u{fffd}.bash_history"),
        "{}",
        alerts[3].2
    );
}
