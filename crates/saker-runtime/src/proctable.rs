//! The process table and fd table, learned from audit events.
//!
//! Audit has no enter events and no thread table: this table is rebuilt
//! from what the audit rules let through (laurel and go-libaudit do the
//! same):
//!
//! * `execve`/`execveat` (success): the process's name, executable, argv,
//!   cwd and identity are replaced;
//! * `clone`/`fork`/`vfork`/`clone3` (success, `exit` = child pid): the
//!   child inherits the parent's entry (threads, `CLONE_THREAD` in `a0`,
//!   are not processes and are skipped);
//! * `exit_group`: the entry goes;
//! * any other syscall creates a minimal entry from its `SYSCALL` record
//!   (comm, exe, ppid), so a parent chain exists even without exec events;
//! * `open`/`openat`/`openat2`/`creat` (success) record `(pid, fd) → path`
//!   so `ftruncate`, `write` or `*at` dirfds resolve back to a path;
//!   `close` removes it, `dup2`/`dup3` copy it.
//!
//! Processes that started before saker are unknown unless the table is
//! seeded from `/proc` ([`ProcTable::seed_from_proc`]). The table is
//! bounded: beyond [`ProcTable::capacity`] entries the oldest go.

use std::collections::{HashMap, VecDeque};

use crate::decode::{is_at_fdcwd, Syscall};

/// What the table knows of one process.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i64,
    pub ppid: i64,
    /// `comm` (≤ 15 bytes): Falco's `proc.name`.
    pub name: String,
    /// The executable's path (`exe=`): Falco's `proc.exepath`.
    pub exepath: String,
    /// `argv[0]`: Falco's `proc.exe`; empty until an exec is seen.
    pub exe: String,
    /// `argv[1..]`.
    pub args: Vec<String>,
    pub cwd: String,
    pub uid: Option<u32>,
    pub auid: Option<u32>,
    pub tty: Option<String>,
    /// When the process (or its current image) was first seen, ns.
    pub start_ns: i64,
    /// Whether argv comes from an exec event (else from `/proc` or unknown).
    pub from_exec: bool,
}

impl ProcInfo {
    /// Falco's `proc.cmdline`: name, then the arguments, space-separated.
    pub fn cmdline(&self) -> String {
        let mut s = self.name.clone();
        for a in &self.args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }
}

/// Process and fd tables.
#[derive(Debug)]
pub struct ProcTable {
    procs: HashMap<i64, ProcInfo>,
    /// Insertion order for eviction (may hold stale pids).
    order: VecDeque<i64>,
    fds: HashMap<(i64, i64), String>,
    capacity: usize,
}

impl Default for ProcTable {
    fn default() -> Self {
        ProcTable::new(65_536)
    }
}

const CLONE_THREAD: u64 = 0x10000;

impl ProcTable {
    /// A table holding at most `capacity` processes (and 16 × that many fds).
    pub fn new(capacity: usize) -> Self {
        ProcTable {
            procs: HashMap::new(),
            order: VecDeque::new(),
            fds: HashMap::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn len(&self) -> usize {
        self.procs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.procs.is_empty()
    }

    pub fn fd_count(&self) -> usize {
        self.fds.len()
    }

    pub fn get(&self, pid: i64) -> Option<&ProcInfo> {
        self.procs.get(&pid)
    }

    /// The path of `(pid, fd)`, learned from an earlier open.
    pub fn fd_path(&self, pid: i64, fd: i64) -> Option<&str> {
        self.fds.get(&(pid, fd)).map(String::as_str)
    }

    /// Ancestors of `pid`, parent first, at most `max` (stops at unknown
    /// pids and at loops).
    pub fn ancestors(&self, pid: i64, max: usize) -> Vec<&ProcInfo> {
        let mut out: Vec<&ProcInfo> = Vec::new();
        let mut cur = self.procs.get(&pid).map(|p| p.ppid);
        while let Some(pp) = cur {
            if out.len() >= max || pp <= 0 || pp == pid || out.iter().any(|p| p.pid == pp) {
                break;
            }
            match self.procs.get(&pp) {
                Some(p) => {
                    out.push(p);
                    cur = Some(p.ppid);
                }
                None => break,
            }
        }
        out
    }

    /// Insert or replace an entry.
    pub fn insert(&mut self, p: ProcInfo) {
        if self.procs.insert(p.pid, p.clone()).is_none() {
            self.order.push_back(p.pid);
        }
        while self.procs.len() > self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.procs.remove(&old);
                }
                None => break,
            }
        }
        if self.order.len() > self.capacity * 2 {
            let procs = &self.procs;
            self.order.retain(|p| procs.contains_key(p));
        }
    }

    /// A path made absolute: relative names are joined to the dirfd's
    /// path (when `dirfd` is a real fd the table knows) or to `cwd`.
    pub fn absolute(&self, pid: i64, name: &str, dirfd: Option<u64>, cwd: Option<&str>) -> String {
        if name.starts_with('/') || name.is_empty() {
            return name.to_string();
        }
        let base = match dirfd {
            Some(d) if !is_at_fdcwd(d) => self.fd_path(pid, d as i64).map(str::to_string),
            _ => cwd.map(str::to_string),
        };
        match base {
            Some(b) => join(&b, name),
            None => name.to_string(),
        }
    }

    /// Learn from one syscall event (call before evaluating it, so an exec
    /// event shows the new image).
    pub fn observe(&mut self, s: &Syscall) {
        let pid = s.proc.pid;
        if pid <= 0 {
            return;
        }
        let ok = s.success != Some(false);
        let name = s.name();
        let is_exec = matches!(name, "execve" | "execveat") && ok;
        let cwd = s.cwd.clone();
        let existing = self.procs.get(&pid).cloned();
        let mut p = existing.clone().unwrap_or_else(|| ProcInfo {
            pid,
            start_ns: s.time_ns,
            ..ProcInfo::default()
        });
        p.ppid = s.proc.ppid;
        if let Some(c) = &s.proc.comm {
            p.name.clone_from(c);
        }
        if let Some(e) = &s.proc.exe {
            p.exepath.clone_from(e);
        }
        p.uid = s.proc.uid;
        p.auid = s.proc.auid;
        p.tty.clone_from(&s.proc.tty);
        if let Some(c) = &cwd {
            p.cwd.clone_from(c);
        }
        if is_exec {
            if let Some(argv) = &s.argv {
                p.exe = argv.first().cloned().unwrap_or_default();
                p.args = argv.iter().skip(1).cloned().collect();
                p.from_exec = true;
            }
            p.start_ns = s.time_ns;
            // close-on-exec is not visible: forget nothing, it is only a cache.
        }
        let changed = existing.as_ref() != Some(&p);
        if changed {
            self.insert(p.clone());
        }

        match name {
            "clone" | "fork" | "vfork" | "clone3" if ok => {
                let thread = name == "clone" && s.arg(0).is_some_and(|f| f & CLONE_THREAD != 0);
                if let (Some(child), false) = (s.exit, thread) {
                    if child > 0 {
                        let mut c = p.clone();
                        c.pid = child;
                        c.ppid = pid;
                        c.start_ns = s.time_ns;
                        self.insert(c);
                        let inherited: Vec<(i64, String)> = self
                            .fds
                            .iter()
                            .filter(|((p, _), _)| *p == pid)
                            .map(|((_, fd), path)| (*fd, path.clone()))
                            .collect();
                        for (fd, path) in inherited {
                            self.put_fd(child, fd, path);
                        }
                    }
                }
            }
            "exit_group" => {
                self.procs.remove(&pid);
                self.fds.retain(|(p, _), _| *p != pid);
            }
            "open" | "openat" | "openat2" | "creat" if ok => {
                if let (Some(fd), Some(item)) = (s.exit, s.object_path()) {
                    let dirfd = match name {
                        "openat" | "openat2" => s.arg(0),
                        _ => None,
                    };
                    let path = self.absolute(pid, &item.name, dirfd, cwd.as_deref());
                    self.put_fd(pid, fd, path);
                }
            }
            "close" if ok => {
                if let Some(fd) = s.arg(0) {
                    self.fds.remove(&(pid, fd as i64));
                }
            }
            "dup2" | "dup3" if ok => {
                if let (Some(old), Some(new)) = (s.arg(0), s.arg(1)) {
                    if let Some(path) = self.fd_path(pid, old as i64).map(str::to_string) {
                        self.put_fd(pid, new as i64, path);
                    }
                }
            }
            _ => {}
        }
    }

    fn put_fd(&mut self, pid: i64, fd: i64, path: String) {
        if self.fds.len() >= self.capacity * 16 {
            // bounded: drop everything rather than grow without limit
            self.fds.clear();
        }
        self.fds.insert((pid, fd), path);
    }

    /// Seed the table from `/proc` (live use): every readable process's
    /// ppid, comm, exe, argv, cwd, uids and login uid. Returns how many
    /// processes were read.
    pub fn seed_from_proc(&mut self) -> usize {
        let Ok(rd) = std::fs::read_dir("/proc") else {
            return 0;
        };
        let mut n = 0;
        for e in rd.flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<i64>().ok()) else {
                continue;
            };
            let dir = e.path();
            let Ok(stat) = std::fs::read_to_string(dir.join("stat")) else {
                continue;
            };
            // pid (comm) state ppid …; comm may contain ')' and spaces
            let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
                continue;
            };
            let comm = stat[open + 1..close].to_string();
            let ppid = stat[close + 1..]
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let argv: Vec<String> = std::fs::read(dir.join("cmdline"))
                .map(|b| {
                    b.split(|&c| c == 0)
                        .filter(|a| !a.is_empty())
                        .map(|a| String::from_utf8_lossy(a).into_owned())
                        .collect()
                })
                .unwrap_or_default();
            let link = |f: &str| {
                std::fs::read_link(dir.join(f))
                    .map(|p| p.to_string_lossy().into_owned())
                    .unwrap_or_default()
            };
            let uid = std::fs::read_to_string(dir.join("status"))
                .ok()
                .and_then(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("Uid:"))
                        .and_then(|l| l.split_whitespace().next().and_then(|v| v.parse().ok()))
                });
            let auid = std::fs::read_to_string(dir.join("loginuid"))
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|v| *v != 4_294_967_295)
                .and_then(|v| u32::try_from(v).ok());
            self.insert(ProcInfo {
                pid,
                ppid,
                name: comm,
                exepath: link("exe"),
                exe: argv.first().cloned().unwrap_or_default(),
                args: argv.iter().skip(1).cloned().collect(),
                cwd: link("cwd"),
                uid,
                auid,
                tty: None,
                start_ns: 0,
                from_exec: false,
            });
            n += 1;
        }
        n
    }
}

/// Join a directory and a relative name, resolving `.` and `..` textually
/// (the kernel resolved them already; this only tidies the display).
pub fn join(dir: &str, name: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for c in dir.split('/').chain(name.split('/')) {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut s = String::with_capacity(dir.len() + name.len() + 1);
    for p in parts {
        s.push('/');
        s.push_str(p);
    }
    if s.is_empty() {
        s.push('/');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn join_paths() {
        assert_eq!(join("/tmp/a", "b"), "/tmp/a/b");
        assert_eq!(join("/tmp/a/", "../b/./c"), "/tmp/b/c");
        assert_eq!(join("/", ".."), "/");
    }

    #[test]
    fn ancestors_stop_at_loops_and_unknown() {
        let mut t = ProcTable::new(10);
        for (pid, ppid, name) in [
            (1, 0, "init"),
            (10, 1, "sshd"),
            (20, 10, "bash"),
            (30, 30, "x"),
        ] {
            t.insert(ProcInfo {
                pid,
                ppid,
                name: name.into(),
                ..ProcInfo::default()
            });
        }
        let a: Vec<&str> = t.ancestors(20, 8).iter().map(|p| p.name.as_str()).collect();
        assert_eq!(a, ["sshd", "init"]);
        assert!(t.ancestors(30, 8).is_empty());
        assert!(t.ancestors(99, 8).is_empty());
    }

    #[test]
    fn capacity_bounds_the_table() {
        let mut t = ProcTable::new(3);
        for pid in 1..=10 {
            t.insert(ProcInfo {
                pid,
                ..ProcInfo::default()
            });
        }
        assert_eq!(t.len(), 3);
        assert!(t.get(10).is_some());
        assert!(t.get(1).is_none());
    }
}
