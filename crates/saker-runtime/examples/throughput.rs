//! Runtime throughput and process-table memory (docs/BENCHMARKS.md,
//! "Runtime").
//!
//! `cargo run --release -p saker-runtime --example throughput`
//!
//! Input: the real lab capture (`shared/data/audit/lab/audit-lab.log`,
//! 815 records, 181 events, ENRICHED) replicated 200 times with shifted
//! timestamps and serials (163 000 records, 36 200 events). Stages, best
//! of 5, one thread:
//! 1. parse every line into a record;
//! 2. parse + group into events;
//! 3. the full pipeline (decode, process table, fields, rules) with the
//!    built-in host rules;
//! 4. the same with Falco's falco_rules.yaml + incubating + sandbox rules;
//! 5. the netlink path: each record as the kernel's multicast datagram
//!    (raw, no ENRICHED part), split into messages and turned back into
//!    lines, then stage 3.
//!
//! Memory: the process table holding 10 000 processes (typical name, exe
//! path, 3 arguments, cwd): resident-set growth, and the bytes counted
//! from the table's own layout (hash-map slots + string capacities).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::audit::record::type_number;
use saker_runtime::audit::{parse_line, GroupOptions, Grouper};
use saker_runtime::netlink::{audit_line, split_messages, LineKind};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::proctable::{ProcInfo, ProcTable};
use saker_runtime::rulesets::load_runtime_ruleset;

/// Resident set size in bytes (`/proc/self/status` VmRSS).
fn rss() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        })
        .unwrap_or(0)
        * 1024
}

/// Heap bytes the table's strings and vectors hold, counted by capacity.
fn heap_of(p: &ProcInfo) -> usize {
    p.name.capacity()
        + p.exepath.capacity()
        + p.exe.capacity()
        + p.cwd.capacity()
        + p.tty.as_ref().map_or(0, String::capacity)
        + p.args.capacity() * std::mem::size_of::<String>()
        + p.args.iter().map(String::capacity).sum::<usize>()
}

const COPIES: u64 = 200;

fn build_input() -> Vec<Vec<u8>> {
    let lab = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/data/audit/lab/audit-lab.log"
    ))
    .unwrap();
    let lines: Vec<&[u8]> = lab
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut out = Vec::with_capacity(lines.len() * COPIES as usize);
    for k in 0..COPIES {
        for l in &lines {
            let s = String::from_utf8_lossy(l);
            let (Some(i), Some(j)) = (s.find("msg=audit("), s.find("):")) else {
                out.push(l.to_vec());
                continue;
            };
            let stamp = &s[i + 10..j];
            let (ts, serial) = stamp.split_once(':').unwrap();
            let (sec, ms) = ts.split_once('.').unwrap();
            let sec: u64 = sec.parse::<u64>().unwrap() + k * 10;
            let serial: u64 = serial.parse::<u64>().unwrap() + k * 1000;
            let line = format!("{}msg=audit({sec}.{ms}:{serial}{}", &s[..i], &s[j..]);
            out.push(line.into_bytes());
        }
    }
    out
}

/// A log line as the kernel's netlink message: `nlmsghdr` (type = record
/// type number) + the text after `msg=`, without the ENRICHED part.
fn to_datagram(line: &[u8]) -> Option<Vec<u8>> {
    let s = String::from_utf8_lossy(line);
    let s = s.split('\x1d').next()?;
    let t = s.find("type=")?;
    let rest = &s[t + 5..];
    let (name, rest) = rest.split_once(' ')?;
    let ty = type_number(name)?;
    let payload = rest.strip_prefix("msg=")?.as_bytes();
    let len = (16 + payload.len()) as u32;
    let mut d = Vec::with_capacity(len as usize);
    d.extend_from_slice(&len.to_ne_bytes());
    d.extend_from_slice(&(ty as u16).to_ne_bytes());
    d.extend_from_slice(&[0; 10]);
    d.extend_from_slice(payload);
    Some(d)
}

fn best<F: FnMut()>(mut f: F) -> Duration {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap()
}

fn report(name: &str, d: Duration, records: usize, bytes: usize) {
    let s = d.as_secs_f64();
    println!(
        "{name:<58} {:>8.1} ms {:>8.0} k records/s {:>6.0} MB/s",
        s * 1e3,
        records as f64 / s / 1e3,
        bytes as f64 / s / 1e6
    );
}

fn main() {
    let input = build_input();
    let records = input.len();
    let bytes: usize = input.iter().map(|l| l.len() + 1).sum();
    println!("input: {records} records, {:.1} MB", bytes as f64 / 1e6);

    let d = best(|| {
        let mut n = 0;
        for l in &input {
            n += parse_line(l).is_ok() as usize;
        }
        assert_eq!(n, records);
    });
    report("parse", d, records, bytes);

    let d = best(|| {
        let mut g = Grouper::new(GroupOptions::default());
        let mut out = Vec::new();
        let mut events = 0;
        for (i, l) in input.iter().enumerate() {
            g.push(parse_line(l).unwrap(), i as u64, &mut out);
            events += out.len();
            out.clear();
        }
        g.flush(&mut out);
        events += out.len();
        assert_eq!(events as u64, 181 * COPIES);
    });
    report("parse + group", d, records, bytes);

    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    let falco: Vec<PathBuf> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| {
        PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/data/falco"
        ))
        .join(f)
    })
    .collect();
    for (name, builtin, paths, per_copy) in [
        (
            "full pipeline, built-in host rules (14)",
            true,
            vec![],
            10u64,
        ),
        (
            "full pipeline, Falco stable+incubating+sandbox rules",
            false,
            falco,
            9u64,
        ),
    ] {
        let loaded = load_runtime_ruleset(builtin, &paths, vec![], &opts).unwrap();
        let d = best(|| {
            let mut rt = Runtime::new(&loaded.ruleset, RuntimeOptions::default());
            let mut alerts = 0u64;
            let mut cb =
                |_: &saker_rules::Alert, _: &saker_runtime::event::RuntimeEvent| alerts += 1;
            for (i, l) in input.iter().enumerate() {
                rt.feed_line(i as u64 + 1, l, &mut cb);
            }
            rt.finish(&mut cb);
            assert_eq!(alerts, per_copy * COPIES);
        });
        report(name, d, records, bytes);
    }

    // The netlink path: the same records as the kernel multicasts them
    // (one nlmsghdr datagram each, type number + raw text, no `node=`, no
    // ENRICHED part), split and turned back into lines, then the pipeline.
    let datagrams: Vec<Vec<u8>> = input.iter().filter_map(|l| to_datagram(l)).collect();
    let dbytes: usize = datagrams.iter().map(Vec::len).sum();
    let loaded = load_runtime_ruleset(true, &[], vec![], &opts).unwrap();
    let d = best(|| {
        let mut rt = Runtime::new(&loaded.ruleset, RuntimeOptions::default());
        let mut alerts = 0u64;
        let mut cb = |_: &saker_rules::Alert, _: &saker_runtime::event::RuntimeEvent| alerts += 1;
        let mut line = Vec::new();
        let mut n = 0;
        for dg in &datagrams {
            let mut msgs = Vec::with_capacity(1);
            split_messages(dg, &mut msgs).unwrap();
            for m in &msgs {
                if audit_line(m, &mut line) == LineKind::Record {
                    n += 1;
                    rt.feed_line(n, &line, &mut cb);
                }
            }
        }
        rt.finish(&mut cb);
        assert_eq!(alerts, 10 * COPIES);
    });
    report(
        "netlink datagrams → lines → pipeline, built-in rules",
        d,
        datagrams.len(),
        dbytes,
    );

    let before = rss();
    let mut t = ProcTable::new(65_536);
    let mut strings = 0;
    for pid in 1..=10_000i64 {
        let p = ProcInfo {
            pid,
            ppid: pid / 2,
            name: "python3".into(),
            exepath: "/usr/bin/python3.11".into(),
            exe: "python3".into(),
            args: vec!["-m".into(), "http.server".into(), format!("{}", 8000 + pid)],
            cwd: "/home/ec2-user".into(),
            uid: Some(1000),
            auid: Some(1000),
            tty: Some("pts0".into()),
            start_ns: pid,
            from_exec: true,
        };
        strings += heap_of(&p);
        t.insert(p);
    }
    let after = rss();
    // hashbrown: one slot (key + value) and one control byte per bucket,
    // buckets = next power of two ≥ 8/7 × len; plus the eviction queue
    let buckets = (10_000usize * 8 / 7).next_power_of_two();
    let slots = buckets * (std::mem::size_of::<(i64, ProcInfo)>() + 1)
        + 16_384 * std::mem::size_of::<i64>();
    println!(
        "process table, 10 000 processes: RSS +{:.2} MB; counted {:.2} MB (slots {:.2} MB + strings {:.2} MB, {} B per process)",
        after.saturating_sub(before) as f64 / 1e6,
        (slots + strings) as f64 / 1e6,
        slots as f64 / 1e6,
        strings as f64 / 1e6,
        (slots + strings) / 10_000
    );
    assert_eq!(t.ancestors(10_000, 16).len(), 13);
}
