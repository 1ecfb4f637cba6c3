//! The audit rules the enabled `syscall` rules need.
//!
//! Audit only reports what its rules select. From each enabled rule's
//! `evt.type` values (the ruleset's event-type index) this module derives
//! `auditctl` rules per architecture, grouped as in
//! `shared/reference/vulns-and-runtime.md` B1 ("Rules needed"): exec and
//! fork for the process table, O_TRUNC opens, deletes and renames, links,
//! modules, ptrace requests, connects, and path watches for the sensitive
//! files and `/var/log` (cheap, and survive re-creation).
//!
//! Architecture matters: syscall numbers differ and aarch64 has no `open`,
//! `unlink`, `rename`, `link`, `symlink`, `rmdir`, `creat`, `fork` or
//! `vfork` — `auditctl` rejects them there, so they are left out.

use std::collections::BTreeSet;
use std::fmt::Write;

use saker_rules::ruleset::Ruleset;

use crate::audit::Arch;

/// The audit key prefix of generated rules (`-k saker_exec`, …).
pub const KEY_PREFIX: &str = "saker_";

/// What the enabled rules need.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// `evt.type` values some enabled rule requires.
    pub syscalls: BTreeSet<String>,
    /// Enabled rules not pinned to event types (they would need every
    /// syscall audited; the generated rules do not cover them).
    pub unpinned_rules: Vec<String>,
}

impl Needs {
    /// The needs of a compiled ruleset's enabled rules.
    pub fn of(ruleset: &Ruleset) -> Needs {
        let mut n = Needs::default();
        for r in ruleset.rules().iter().filter(|r| r.enabled) {
            match &r.index_values {
                Some(v) => n.syscalls.extend(v.iter().cloned()),
                None => n.unpinned_rules.push(r.name.clone()),
            }
        }
        n
    }

    fn any(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.syscalls.contains(*n))
    }
}

/// One group of generated rules.
struct Group {
    /// Syscalls of the group (those the arch lacks are dropped).
    syscalls: &'static [&'static str],
    comment: &'static str,
    /// Filters appended to `-S …` (`-F a2&0x200`), one rule per entry.
    filters: &'static [&'static str],
    key: &'static str,
}

const LOGIN_USERS: &str = "-F auid>=1000 -F auid!=unset";

const GROUPS: &[Group] = &[
    Group {
        syscalls: &["execve", "execveat"],
        comment:
            "exec: the process tree and every exec rule (all users: service-spawned shells matter)",
        filters: &[""],
        key: "exec",
    },
    Group {
        syscalls: &[
            "unlink",
            "unlinkat",
            "rename",
            "renameat",
            "renameat2",
            "rmdir",
        ],
        comment: "deletes and renames by logged-in users (shell history, logs)",
        filters: &[LOGIN_USERS],
        key: "delete",
    },
    Group {
        syscalls: &["truncate", "ftruncate"],
        comment: "truncation",
        filters: &[""],
        key: "trunc",
    },
    Group {
        syscalls: &["symlink", "symlinkat", "link", "linkat"],
        comment: "symlinks and hardlinks",
        filters: &[""],
        key: "link",
    },
    Group {
        syscalls: &["init_module", "finit_module", "delete_module"],
        comment: "kernel modules",
        filters: &[""],
        key: "module",
    },
    Group {
        syscalls: &["ptrace"],
        comment: "ptrace attach, seize and memory writes",
        filters: &["-F a0=0x10", "-F a0=0x4206", "-F a0>=4 -F a0<=6"],
        key: "ptrace",
    },
    Group {
        syscalls: &["connect"],
        comment:
            "outbound connections by logged-in users (drop the auid filter to see daemons too)",
        filters: &[LOGIN_USERS],
        key: "connect",
    },
    Group {
        syscalls: &["memfd_create"],
        comment: "anonymous memory files",
        filters: &[""],
        key: "memfd",
    },
    Group {
        syscalls: &["bpf"],
        comment: "BPF program loads",
        filters: &["-F a0=5"],
        key: "bpf",
    },
    Group {
        syscalls: &["chmod", "fchmod"],
        comment: "setuid/setgid bits (the mode is a1)",
        filters: &["-F a1&0xc00"],
        key: "setid",
    },
    Group {
        syscalls: &["fchmodat"],
        comment: "setuid/setgid bits (fchmodat: the mode is a2)",
        filters: &["-F a2&0xc00"],
        key: "setid",
    },
];

const OPEN_FAMILY: &[&str] = &["open", "openat", "openat2", "creat"];

/// Paths watched when a rule needs opens: the sensitive files of the
/// built-in host rules (read, write, attribute change) and `/var/log`
/// (write, attribute change).
const WATCHES: &[(&str, &str, &str)] = &[
    ("/etc/shadow", "rwa", "sensitive"),
    ("/etc/gshadow", "rwa", "sensitive"),
    ("/etc/sudoers", "rwa", "sensitive"),
    ("/etc/sudoers.d", "rwa", "sensitive"),
    ("/etc/pam.conf", "rwa", "sensitive"),
    ("/etc/pam.d", "wa", "sensitive"),
    ("/etc/security/pwquality.conf", "rwa", "sensitive"),
    ("/var/log", "wa", "logs"),
];

/// The audit rules file (`/etc/audit/rules.d/50-saker.rules`) for `arch`.
pub fn generate(needs: &Needs, arch: Arch) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## saker runtime audit rules for {} — install as /etc/audit/rules.d/50-saker.rules,\n\
         ## then `augenrules --load`.\n\
         ## Remove the distribution's kill switch first: a `-a never,task` (or `-a task,never`)\n\
         ## rule stops every syscall event; tasks started while it was loaded stay unaudited\n\
         ## until they restart (reboot for full coverage).\n\
         ## Keep log_format = ENRICHED in /etc/audit/auditd.conf.\n\
         -b 8192\n\
         --backlog_wait_time 60000",
        arch.name()
    );
    // both architectures are 64-bit: `-F arch=b64` selects the native table
    let a = "b64";
    let has = |s: &str| arch.syscall_number(s).is_some();
    let mut wrote_any = false;

    // exec and fork always: the process table needs them for parent chains
    let proc_tree = needs.any(&["execve", "execveat"]) || !needs.syscalls.is_empty();
    if proc_tree {
        let _ = writeln!(out, "\n## process tree: fork/clone (threads excluded)");
        let _ = writeln!(out, "-a never,exit -F arch={a} -S clone -F a0&0x10000");
        let forks: Vec<&str> = ["fork", "vfork", "clone", "clone3"]
            .into_iter()
            .filter(|s| has(s))
            .collect();
        let _ = writeln!(
            out,
            "-a always,exit -F arch={a} -S {} -k {KEY_PREFIX}fork",
            forks.join(",")
        );
    }
    for g in GROUPS {
        let is_exec = g.key == "exec";
        if !(needs.any(g.syscalls) || (is_exec && proc_tree)) {
            continue;
        }
        let present: Vec<&str> = g.syscalls.iter().copied().filter(|s| has(s)).collect();
        let missing: Vec<&str> = g.syscalls.iter().copied().filter(|s| !has(s)).collect();
        let _ = writeln!(out, "\n## {}", g.comment);
        if !missing.is_empty() {
            let _ = writeln!(out, "## ({} has no {})", arch.name(), missing.join(", "));
        }
        if present.is_empty() {
            continue;
        }
        for f in g.filters {
            let f = if f.is_empty() {
                String::new()
            } else {
                format!(" {f}")
            };
            let _ = writeln!(
                out,
                "-a always,exit -F arch={a} -S {}{f} -k {KEY_PREFIX}{}",
                present.join(","),
                g.key
            );
        }
        if is_exec && arch == Arch::X86_64 {
            let _ = writeln!(
                out,
                "-a always,exit -F arch=b32 -S execve,execveat -k {KEY_PREFIX}exec"
            );
        }
        wrote_any = true;
    }
    if needs.any(OPEN_FAMILY) {
        let _ = writeln!(
            out,
            "\n## opens: O_TRUNC (flags are a2 for openat, a1 for open; openat2 flags sit in a struct\n\
             ## and cannot be filtered), write opens by logged-in users (so ftruncate resolves\n\
             ## its fd to a path), and watches on the sensitive files and /var/log"
        );
        if has("open") {
            let _ = writeln!(
                out,
                "-a always,exit -F arch={a} -S open -F a1&0x200 -k {KEY_PREFIX}trunc"
            );
        }
        let _ = writeln!(
            out,
            "-a always,exit -F arch={a} -S openat -F a2&0x200 -k {KEY_PREFIX}trunc"
        );
        for mode in ["0x1", "0x2"] {
            let _ = writeln!(
                out,
                "-a always,exit -F arch={a} -S openat -F a2&{mode} {LOGIN_USERS} -k {KEY_PREFIX}open_write"
            );
        }
        for (path, perm, key) in WATCHES {
            let _ = writeln!(out, "-w {path} -p {perm} -k {KEY_PREFIX}{key}");
        }
        wrote_any = true;
    }
    let covered: BTreeSet<&str> = GROUPS
        .iter()
        .flat_map(|g| g.syscalls.iter().copied())
        .chain(OPEN_FAMILY.iter().copied())
        .chain(["fork", "vfork", "clone", "clone3"])
        .collect();
    let other: Vec<&str> = needs
        .syscalls
        .iter()
        .map(String::as_str)
        .filter(|s| !covered.contains(s) && has(s))
        .collect();
    if !other.is_empty() {
        let _ = writeln!(out, "\n## other syscalls the enabled rules name");
        let _ = writeln!(
            out,
            "-a always,exit -F arch={a} -S {} -k {KEY_PREFIX}other",
            other.join(",")
        );
        wrote_any = true;
    }
    let unknown: Vec<&str> = needs
        .syscalls
        .iter()
        .map(String::as_str)
        .filter(|s| !covered.contains(s) && !has(s))
        .collect();
    if !unknown.is_empty() {
        let _ = writeln!(
            out,
            "\n## not auditable on {} (no such syscall, or not a syscall): {}",
            arch.name(),
            unknown.join(", ")
        );
    }
    if !needs.unpinned_rules.is_empty() {
        let _ = writeln!(
            out,
            "\n## rules that can match any syscall (no evt.type in their condition) see only\n\
             ## what the rules above select: {}",
            needs.unpinned_rules.join(", ")
        );
    }
    if !wrote_any {
        let _ = writeln!(out, "\n## no enabled syscall rule needs audit rules");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needs(s: &[&str]) -> Needs {
        Needs {
            syscalls: s.iter().map(|s| s.to_string()).collect(),
            unpinned_rules: vec![],
        }
    }

    #[test]
    fn aarch64_has_no_legacy_syscalls() {
        let n = needs(&[
            "unlink",
            "unlinkat",
            "rename",
            "renameat2",
            "open",
            "openat",
            "execve",
        ]);
        let x = generate(&n, Arch::X86_64);
        let a = generate(&n, Arch::Aarch64);
        assert!(x.contains("-S unlink,unlinkat,rename,renameat,renameat2,rmdir -F auid>=1000"));
        assert!(
            a.contains("-S unlinkat,renameat,renameat2 -F auid>=1000"),
            "{a}"
        );
        assert!(x.contains("-S open -F a1&0x200"));
        assert!(!a.contains("-S open "));
        assert!(a.contains("(aarch64 has no unlink, rename, rmdir)"));
        assert!(x.contains("-F arch=b32 -S execve,execveat"));
        assert!(!a.contains("b32"));
        assert!(a.contains("-S clone,clone3 -k saker_fork"));
        assert!(x.contains("-w /etc/shadow -p rwa"));
    }

    #[test]
    fn setid_filters_test_the_mode_argument_of_each_syscall() {
        let n = needs(&["chmod", "fchmod", "fchmodat"]);
        let x = generate(&n, Arch::X86_64);
        assert!(
            x.contains("-S chmod,fchmod -F a1&0xc00 -k saker_setid"),
            "{x}"
        );
        assert!(x.contains("-S fchmodat -F a2&0xc00 -k saker_setid"), "{x}");
        // aarch64 has fchmod and fchmodat only
        let a = generate(&n, Arch::Aarch64);
        assert!(a.contains("-S fchmod -F a1&0xc00"), "{a}");
        assert!(a.contains("-S fchmodat -F a2&0xc00"), "{a}");
        assert!(!a.contains("chmod,"), "{a}");
    }
}
