//! Does this host's audit configuration let the enabled rules see what
//! they need?
//!
//! Inputs are the texts of `auditctl -s` (status) and `auditctl -l` (loaded
//! rules), and `/etc/audit/auditd.conf`; [`check`] is pure so it is tested
//! on text, and [`gather`] runs the commands on a live host (root needed).
//!
//! Findings, from `shared/reference/vulns-and-runtime.md` B1:
//! * a `-a never,task` / `-a task,never` rule (Amazon Linux and Fedora
//!   stock rules) stops every syscall event;
//! * audit disabled (`enabled 0`), events lost (`lost > 0`), a small
//!   backlog;
//! * `log_format` other than `ENRICHED` (user and syscall names missing);
//! * per needed syscall: is some `-a always,exit` rule for this
//!   architecture selecting it (by name, `-S all`, or a watch for opens)?

use std::collections::BTreeSet;
use std::fmt;

use crate::audit::Arch;
use crate::audit_rules::Needs;

/// Severity of a finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub message: String,
}

/// The outcome of a check.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    /// The worst level found (`Ok` when empty).
    pub fn worst(&self) -> Level {
        self.findings
            .iter()
            .map(|f| f.level)
            .max()
            .unwrap_or(Level::Ok)
    }

    fn push(&mut self, level: Level, message: impl Into<String>) {
        self.findings.push(Finding {
            level,
            message: message.into(),
        });
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for x in &self.findings {
            let tag = match x.level {
                Level::Ok => "ok  ",
                Level::Warn => "WARN",
                Level::Fail => "FAIL",
            };
            writeln!(f, "{tag} {}", x.message)?;
        }
        Ok(())
    }
}

/// What was read from the host.
#[derive(Debug, Clone)]
pub struct HostAudit {
    /// `auditctl -s` output, or why it could not be run.
    pub status: Result<String, String>,
    /// `auditctl -l` output, or why it could not be run.
    pub rules: Result<String, String>,
    /// `/etc/audit/auditd.conf`, if readable.
    pub auditd_conf: Option<String>,
}

/// Run `auditctl -s`, `auditctl -l` and read `auditd.conf`.
pub fn gather() -> HostAudit {
    let run = |arg: &str| -> Result<String, String> {
        match std::process::Command::new("auditctl").arg(arg).output() {
            Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).into_owned()),
            Ok(o) => Err(format!(
                "auditctl {arg}: {}",
                String::from_utf8_lossy(&o.stderr).trim()
            )),
            Err(e) => Err(format!("auditctl {arg}: {e}")),
        }
    };
    HostAudit {
        status: run("-s"),
        rules: run("-l"),
        auditd_conf: std::fs::read_to_string("/etc/audit/auditd.conf").ok(),
    }
}

fn status_value<'a>(status: &'a str, key: &str) -> Option<&'a str> {
    status.lines().find_map(|l| {
        let mut it = l.split_whitespace();
        (it.next() == Some(key)).then(|| it.next()).flatten()
    })
}

/// Syscalls an `-a always,exit` rule line selects for `arch`; `None` for
/// lines that are not such rules; `Some(["*"])` for `-S all` or a rule
/// without `-S`.
fn rule_syscalls(line: &str, arch: Arch) -> Option<BTreeSet<String>> {
    let toks: Vec<&str> = line.split_whitespace().collect();
    let action = toks.iter().position(|t| *t == "-a")?;
    let al = toks.get(action + 1)?;
    if !(al.contains("always") && al.contains("exit")) {
        return None;
    }
    let mut out = BTreeSet::new();
    let mut arch_ok = true;
    let mut i = 0;
    while i < toks.len() {
        match toks[i] {
            "-S" => {
                if let Some(v) = toks.get(i + 1) {
                    out.extend(v.split(',').map(str::to_string));
                }
                i += 1;
            }
            "-F" => {
                if let Some(v) = toks.get(i + 1) {
                    if let Some(a) = v.strip_prefix("arch=") {
                        arch_ok = matches!(a, "b64")
                            || Arch::parse(a) == Some(arch)
                            || (a == "x86_64" && arch == Arch::X86_64);
                    }
                }
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    if !arch_ok {
        return Some(BTreeSet::new());
    }
    if out.is_empty() || out.contains("all") {
        out.insert("*".into());
    }
    Some(out)
}

/// Check the host's audit configuration against `needs`.
pub fn check(host: &HostAudit, needs: &Needs, arch: Arch) -> Report {
    let mut r = Report::default();
    match &host.status {
        Ok(s) => {
            match status_value(s, "enabled") {
                Some("0") => r.push(
                    Level::Fail,
                    "audit is disabled (enabled 0): `auditctl -e 1`",
                ),
                Some("2") => r.push(
                    Level::Ok,
                    "audit is enabled and locked (enabled 2): rule changes need a reboot",
                ),
                Some(_) => r.push(Level::Ok, "audit is enabled"),
                None => r.push(
                    Level::Warn,
                    "`auditctl -s` did not say whether audit is enabled",
                ),
            }
            match status_value(s, "lost").and_then(|v| v.parse::<u64>().ok()) {
                Some(0) => r.push(Level::Ok, "no audit events lost"),
                Some(n) => r.push(
                    Level::Warn,
                    format!("{n} audit events lost since boot: raise the backlog (-b 8192, --backlog_wait_time)"),
                ),
                None => {}
            }
            if let Some(b) = status_value(s, "backlog_limit").and_then(|v| v.parse::<u64>().ok()) {
                if b < 8192 {
                    r.push(Level::Warn, format!("backlog_limit {b} is small: -b 8192"));
                }
            }
        }
        Err(e) => r.push(
            Level::Fail,
            format!("cannot read audit status ({e}); run as root"),
        ),
    }
    match &host.auditd_conf {
        Some(c) => {
            let fmt = c.lines().find_map(|l| {
                let (k, v) = l.split_once('=')?;
                (k.trim() == "log_format").then(|| v.trim().to_string())
            });
            match fmt.as_deref() {
                Some(f) if f.eq_ignore_ascii_case("ENRICHED") => {
                    r.push(Level::Ok, "auditd log_format = ENRICHED")
                }
                Some(f) => r.push(
                    Level::Warn,
                    format!("auditd log_format = {f}: user names need ENRICHED (or /etc/passwd on this host)"),
                ),
                None => r.push(Level::Ok, "auditd log_format not set (ENRICHED is the default)"),
            }
        }
        None => r.push(Level::Warn, "/etc/audit/auditd.conf not readable"),
    }
    let Ok(rules) = &host.rules else {
        if let Err(e) = &host.rules {
            r.push(Level::Fail, format!("cannot list audit rules ({e})"));
        }
        return r;
    };
    let lines: Vec<&str> = rules.lines().map(str::trim).collect();
    let kill = lines.iter().find(|l| {
        let t: Vec<&str> = l.split_whitespace().collect();
        t.windows(2)
            .any(|w| w[0] == "-a" && (w[1] == "never,task" || w[1] == "task,never"))
    });
    if let Some(k) = kill {
        r.push(
            Level::Fail,
            format!("`{k}` is loaded: no syscall events at all. Remove it from /etc/audit/rules.d/, `augenrules --load`, then restart services (or reboot): tasks started under it stay unaudited"),
        );
    }
    let mut selected: BTreeSet<String> = BTreeSet::new();
    for l in &lines {
        if let Some(s) = rule_syscalls(l, arch) {
            selected.extend(s);
        }
    }
    let watches: Vec<&str> = lines
        .iter()
        .filter(|l| l.starts_with("-w ") || l.contains("-F path=") || l.contains("-F dir="))
        .copied()
        .collect();
    let all = selected.contains("*");
    let mut missing = Vec::new();
    for s in &needs.syscalls {
        if arch.syscall_number(s).is_none() {
            continue;
        }
        let open_family = matches!(s.as_str(), "open" | "openat" | "openat2" | "creat");
        if all || selected.contains(s) || (open_family && !watches.is_empty()) {
            continue;
        }
        missing.push(s.as_str());
    }
    if missing.is_empty() {
        r.push(
            Level::Ok,
            format!(
                "every syscall the enabled rules need is audited ({})",
                needs
                    .syscalls
                    .iter()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    } else {
        r.push(
            Level::Fail,
            format!(
                "not audited on {}: {} (see `saker runtime audit-rules`)",
                arch.name(),
                missing.join(", ")
            ),
        );
    }
    if needs.syscalls.iter().any(|s| s == "execve") && !(all || selected.contains("execve")) {
        r.push(Level::Warn, "execve is not audited: no process tree, proc.* fields come from the SYSCALL record only");
    }
    for w in ["/etc/shadow", "/var/log"] {
        if needs.syscalls.contains("openat") && !watches.iter().any(|l| l.contains(w)) {
            r.push(Level::Warn, format!("no watch on {w}: reads/truncations there are seen only through the O_TRUNC open rules"));
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs() -> Needs {
        Needs {
            syscalls: ["execve", "unlinkat", "openat", "connect"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
            unpinned_rules: vec![],
        }
    }

    #[test]
    fn kill_switch_and_missing_syscalls_fail() {
        let host = HostAudit {
            status: Ok("enabled 1\nfailure 1\npid 812\nrate_limit 0\nbacklog_limit 8192\nlost 0\nbacklog 0\n".into()),
            rules: Ok("-a never,task\n-a always,exit -F arch=b64 -S execve -F key=exec\n".into()),
            auditd_conf: Some("log_format = ENRICHED\n".into()),
        };
        let r = check(&host, &needs(), Arch::X86_64);
        assert_eq!(r.worst(), Level::Fail);
        let text = r.to_string();
        assert!(text.contains("`-a never,task` is loaded"), "{text}");
        assert!(
            text.contains("not audited on x86_64: connect, openat, unlinkat"),
            "{text}"
        );
    }

    #[test]
    fn generated_rules_satisfy_the_check() {
        let n = needs();
        let generated = crate::audit_rules::generate(&n, Arch::X86_64);
        let host = HostAudit {
            status: Ok("enabled 1\nlost 0\nbacklog_limit 8192\n".into()),
            rules: Ok(generated),
            auditd_conf: Some("log_format = ENRICHED\n".into()),
        };
        let r = check(&host, &n, Arch::X86_64);
        assert_eq!(r.worst(), Level::Ok, "{r}");
    }

    #[test]
    fn other_arch_rules_do_not_count() {
        let host = HostAudit {
            status: Ok("enabled 1\nlost 3\n".into()),
            rules: Ok("-a always,exit -F arch=b32 -S execve,unlinkat,connect,openat\n".into()),
            auditd_conf: None,
        };
        let r = check(&host, &needs(), Arch::X86_64);
        assert!(r.to_string().contains("3 audit events lost"));
        assert_eq!(r.worst(), Level::Fail);
    }
}
