//! An audit syscall event seen through Falco's `syscall` field table.
//!
//! [`RuntimeEvent`] implements [`saker_rules::fields::Event`]. Mapping
//! (`shared/reference/vulns-and-runtime.md` B2; Falco field semantics from
//! libsinsp's filterchecks):
//!
//! | Falco field | From audit |
//! |---|---|
//! | `evt.type` | `SYSCALL syscall=` via the `arch=` table (or ENRICHED `SYSCALL=`) |
//! | `evt.dir` | always `<`: audit reports syscall exits only |
//! | `evt.res`, `evt.rawres`, `evt.failed` | `exit=` (`SUCCESS` or the errno name), `success=` |
//! | `evt.num`, `evt.time`, `evt.rawtime`, `evt.hostname` | serial, timestamp, `node=` or the host |
//! | `evt.is_open_read/write/create` | open flags (`a2` for openat, `a1` for open) |
//! | `evt.arg.*`, `evt.rawarg.*`, `evt.arg[N]` | per syscall, from `a0..a3`, `exit` and `PATH` items by `nametype` (see [`RuntimeEvent::params`]) |
//! | `fd.num`, `fd.name`, `fd.directory`, `fd.filename`, `fd.typechar`, `fd.type` | opened path (`PATH` + `CWD`), or the fd table for fd syscalls (`ftruncate`, `fchmod`, `write`…); socket address for connect/bind/accept |
//! | `fd.sip`/`fd.rip`/`fd.ip`, `fd.sport`/`fd.rport`/`fd.port`, `fd.net`/`fd.snet` | `SOCKADDR` (inet/inet6) |
//! | `proc.*` | `SYSCALL` fields, `EXECVE` argv and `CWD`, carried by the process table; ancestors `proc.p*`/`proc.a*[N]` from the table |
//! | `user.uid/name`, `user.loginuid/loginname`, `group.gid/name` | `uid`, `auid` (`unset` → -1, no name), `gid`; names from ENRICHED fields or the host's user database |
//! | `container.id`, `container.name` | `host` (saker watches the host; audit has no container id) |
//!
//! Every other field of the table is absent: comparisons on it are false,
//! so rules that use it compile and never match.

use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

use saker_rules::fields::{Event, FieldArg, FieldTable, FieldType, ResolvedField, Value};

use crate::decode::{NameType, SockAddr, Syscall};
use crate::proctable::{ProcInfo, ProcTable};
use crate::syscall_fields::{event_param_type, SyscallFieldTable};

/// How many ancestors an event carries (`proc.aname[N]`, N ≤ this).
pub const MAX_ANCESTORS: usize = 16;

/// uid → name for records without ENRICHED names: this host's
/// `/etc/passwd` for live sources, empty for a log read after the fact
/// (a copied log's uids belong to the machine that wrote it). A uid with
/// no name from either renders as its number (`1000`).
pub type UserNames = HashMap<u32, String>;

/// Read `/etc/passwd`-format text into uid → name.
pub fn parse_passwd(text: &str) -> UserNames {
    text.lines()
        .filter_map(|l| {
            let mut it = l.split(':');
            let name = it.next()?;
            let uid = it.nth(1)?.parse().ok()?;
            Some((uid, name.to_string()))
        })
        .collect()
}

/// The fd an event acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FdInfo {
    /// `-1` when the open failed or the number is unknown.
    pub num: i64,
    /// File path or socket address (`ip:port`, unix path).
    pub name: Option<String>,
    /// Falco's `fd.typechar`: `f` file, `d` directory, `l` link, `c`/`b`
    /// devices, `p` pipe, `u` unix socket, `4`/`6` inet.
    pub typechar: char,
    pub sock: Option<(IpAddr, u16)>,
}

/// One evaluated event: the decoded syscall plus its process context.
#[derive(Debug, Clone)]
pub struct RuntimeEvent {
    pub sc: Syscall,
    pub proc: ProcInfo,
    /// Parent first.
    pub ancestors: Vec<ProcInfo>,
    pub fd: Option<FdInfo>,
    /// (Falco parameter name, rendered value), in Falco's order for the syscall.
    pub params: Vec<(&'static str, String)>,
    pub hostname: String,
    pub user_name: Option<String>,
    pub login_name: Option<String>,
    pub group_name: Option<String>,
}

const O_ACCMODE: u64 = 3;
const O_CREAT: u64 = 0o100;

fn open_flags_arg(name: &str) -> Option<usize> {
    match name {
        "openat" => Some(2),
        "open" => Some(1),
        _ => None,
    }
}

/// `dirfd` argument index for the object path of `*at` syscalls.
fn dirfd_arg(name: &str) -> Option<usize> {
    match name {
        "openat" | "openat2" | "unlinkat" | "mkdirat" | "fchmodat" | "fchmodat2" | "fchownat"
        | "mknodat" | "execveat" | "newfstatat" | "faccessat" | "faccessat2" | "renameat"
        | "renameat2" | "linkat" | "utimensat" => Some(0),
        "symlinkat" => Some(1),
        _ => None,
    }
}

/// Syscalls whose `a0` is an fd Falco resolves `fd.*` through.
fn fd_arg_syscall(name: &str) -> bool {
    matches!(
        name,
        "ftruncate"
            | "fchmod"
            | "fchown"
            | "write"
            | "writev"
            | "pwrite64"
            | "read"
            | "readv"
            | "pread64"
            | "fsync"
            | "fdatasync"
            | "close"
            | "fstat"
            | "fsetxattr"
            | "fremovexattr"
            | "flock"
            | "sendfile"
            | "mmap"
            | "finit_module"
            | "fchdir"
    )
}

fn typechar_of_mode(mode: u32) -> char {
    match mode & 0o170000 {
        0o040000 => 'd',
        0o120000 => 'l',
        0o020000 => 'c',
        0o060000 => 'b',
        0o010000 => 'p',
        0o140000 => 'u',
        _ => 'f',
    }
}

/// Render open(2) flags Falco-style (`O_WRONLY|O_CREAT|O_TRUNC`); bit
/// values differ between x86_64 and aarch64 for the last four.
pub fn render_open_flags(flags: u64, aarch64: bool) -> String {
    let mut v = vec![match flags & O_ACCMODE {
        0 => "O_RDONLY",
        1 => "O_WRONLY",
        _ => "O_RDWR",
    }];
    let (direct, largefile, directory, nofollow) = if aarch64 {
        (0o200000, 0o400000, 0o40000, 0o100000)
    } else {
        (0o40000, 0o100000, 0o200000, 0o400000)
    };
    for (bit, n) in [
        (O_CREAT, "O_CREAT"),
        (0o200, "O_EXCL"),
        (0o400, "O_NOCTTY"),
        (0o1000, "O_TRUNC"),
        (0o2000, "O_APPEND"),
        (0o4000, "O_NONBLOCK"),
        (0o10000, "O_DSYNC"),
        (direct, "O_DIRECT"),
        (largefile, "O_LARGEFILE"),
        (directory, "O_DIRECTORY"),
        (nofollow, "O_NOFOLLOW"),
        (0o1000000, "O_NOATIME"),
        (0o2000000, "O_CLOEXEC"),
        (0o20000000, "O_TMPFILE"),
    ] {
        if flags & bit == bit && !(n == "O_DIRECTORY" && flags & 0o20000000 != 0) {
            v.push(n);
        }
    }
    v.join("|")
}

/// Falco's `ptrace` request names.
fn ptrace_request(r: u64) -> String {
    match r {
        0 => "PTRACE_TRACEME".into(),
        1 => "PTRACE_PEEKTEXT".into(),
        2 => "PTRACE_PEEKDATA".into(),
        3 => "PTRACE_PEEKUSR".into(),
        4 => "PTRACE_POKETEXT".into(),
        5 => "PTRACE_POKEDATA".into(),
        6 => "PTRACE_POKEUSR".into(),
        7 => "PTRACE_CONT".into(),
        8 => "PTRACE_KILL".into(),
        9 => "PTRACE_SINGLESTEP".into(),
        12 => "PTRACE_GETREGS".into(),
        13 => "PTRACE_SETREGS".into(),
        16 => "PTRACE_ATTACH".into(),
        17 => "PTRACE_DETACH".into(),
        24 => "PTRACE_SYSCALL".into(),
        0x4200 => "PTRACE_SETOPTIONS".into(),
        0x4206 => "PTRACE_SEIZE".into(),
        0x4207 => "PTRACE_INTERRUPT".into(),
        n => format!("{n}"),
    }
}

/// errno names for `evt.res` (the common ones; others render as `E<n>`).
fn errno_name(e: i64) -> String {
    let n = match -e {
        1 => "EPERM",
        2 => "ENOENT",
        3 => "ESRCH",
        4 => "EINTR",
        5 => "EIO",
        9 => "EBADF",
        11 => "EAGAIN",
        12 => "ENOMEM",
        13 => "EACCES",
        14 => "EFAULT",
        16 => "EBUSY",
        17 => "EEXIST",
        18 => "EXDEV",
        20 => "ENOTDIR",
        21 => "EISDIR",
        22 => "EINVAL",
        24 => "EMFILE",
        28 => "ENOSPC",
        30 => "EROFS",
        36 => "ENAMETOOLONG",
        38 => "ENOSYS",
        39 => "ENOTEMPTY",
        40 => "ELOOP",
        61 => "ENODATA",
        95 => "EOPNOTSUPP",
        97 => "EAFNOSUPPORT",
        98 => "EADDRINUSE",
        99 => "EADDRNOTAVAIL",
        101 => "ENETUNREACH",
        104 => "ECONNRESET",
        110 => "ETIMEDOUT",
        111 => "ECONNREFUSED",
        113 => "EHOSTUNREACH",
        114 => "EALREADY",
        115 => "EINPROGRESS",
        _ => return format!("E{}", -e),
    };
    n.to_string()
}

/// Falco's tty number (`tty_nr` encoding) from audit's `tty=` name.
fn tty_number(tty: Option<&str>) -> u64 {
    let Some(t) = tty else { return 0 };
    let num = |s: &str| s.parse::<u64>().ok();
    if let Some(n) = t.strip_prefix("pts").and_then(num) {
        (136 << 8) + n
    } else if let Some(n) = t.strip_prefix("ttyS").and_then(num) {
        (4 << 8) + 64 + n
    } else if let Some(n) = t.strip_prefix("tty").and_then(num) {
        (4 << 8) + n
    } else {
        0
    }
}

impl RuntimeEvent {
    /// Build the event for `sc` after `table` observed it.
    pub fn build(sc: Syscall, table: &ProcTable, hostname: &str, users: &UserNames) -> Self {
        let pid = sc.proc.pid;
        let proc = table.get(pid).cloned().unwrap_or_else(|| ProcInfo {
            pid,
            ppid: sc.proc.ppid,
            name: sc.proc.comm.clone().unwrap_or_default(),
            exepath: sc.proc.exe.clone().unwrap_or_default(),
            cwd: sc.cwd.clone().unwrap_or_default(),
            uid: sc.proc.uid,
            auid: sc.proc.auid,
            tty: sc.proc.tty.clone(),
            start_ns: sc.time_ns,
            ..ProcInfo::default()
        });
        let ancestors = table
            .ancestors(pid, MAX_ANCESTORS)
            .into_iter()
            .cloned()
            .collect();
        let name = sc.name().to_string();
        let cwd = sc
            .cwd
            .clone()
            .or_else(|| Some(proc.cwd.clone()).filter(|c| !c.is_empty()));
        let abs = |item: Option<&crate::decode::PathItem>, dirfd: Option<usize>| {
            item.map(|p| {
                table.absolute(pid, &p.name, dirfd.and_then(|i| sc.arg(i)), cwd.as_deref())
            })
        };
        let ok = sc.success != Some(false);
        let exit = sc.exit.unwrap_or(0);
        let res = exit.to_string();
        let a = |i: usize| sc.arg(i).unwrap_or(0);
        let fdnum = |i: usize| (a(i) as u32 as i32).to_string();
        let mut params: Vec<(&'static str, String)> = Vec::new();
        let mut fd = None;
        let aarch64 = sc.arch == Some(crate::audit::Arch::Aarch64);
        match name.as_str() {
            "open" | "openat" | "openat2" | "creat" => {
                let path = abs(sc.object_path(), dirfd_arg(&name));
                let flags = match (name.as_str(), open_flags_arg(&name)) {
                    ("creat", _) => Some(O_CREAT | 1 | 0o1000),
                    (_, Some(i)) => sc.arg(i),
                    _ => None,
                };
                params.push(("fd", res.clone()));
                if name == "openat" || name == "openat2" {
                    params.push(("dirfd", fdnum(0)));
                }
                if let Some(p) = &path {
                    params.push(("name", p.clone()));
                }
                let created = sc.object_path().map(|p| p.nametype) == Some(NameType::Create);
                if let Some(f) = flags {
                    let mut r = render_open_flags(f, aarch64);
                    if created && ok {
                        // libsinsp's PPM_O_F_CREATED: the call created the file
                        r.push_str("|O_F_CREATED");
                    }
                    params.push(("flags", r));
                }
                let mode_arg = match name.as_str() {
                    "openat" => Some(3),
                    "open" => Some(2),
                    "creat" => Some(1),
                    _ => None,
                };
                if let Some(m) = mode_arg.and_then(|i| sc.arg(i)) {
                    params.push(("mode", format!("0{m:o}")));
                }
                let typechar = sc
                    .object_path()
                    .and_then(|p| p.mode)
                    .map_or('f', typechar_of_mode);
                fd = Some(FdInfo {
                    num: if ok { exit } else { -1 },
                    name: path,
                    typechar,
                    sock: None,
                });
            }
            "unlink" | "rmdir" => {
                let p = abs(sc.path_of(NameType::Delete).or(sc.object_path()), None);
                params.push(("res", res.clone()));
                params.push(("path", p.unwrap_or_default()));
            }
            "unlinkat" => {
                let p = abs(sc.path_of(NameType::Delete).or(sc.object_path()), Some(0));
                params.push(("res", res.clone()));
                params.push(("dirfd", fdnum(0)));
                params.push(("name", p.unwrap_or_default()));
                params.push(("flags", a(2).to_string()));
            }
            "rename" | "renameat" | "renameat2" => {
                let old = sc.path_of(NameType::Delete);
                let new = sc.last_path_of(NameType::Create).or_else(|| {
                    sc.paths
                        .iter()
                        .filter(|p| p.nametype == NameType::Delete)
                        .nth(1)
                });
                let at = name != "rename";
                params.push(("res", res.clone()));
                if at {
                    params.push(("olddirfd", fdnum(0)));
                }
                params.push(("oldpath", abs(old, at.then_some(0)).unwrap_or_default()));
                if at {
                    params.push(("newdirfd", fdnum(2)));
                }
                params.push(("newpath", abs(new, at.then_some(2)).unwrap_or_default()));
            }
            "symlink" | "symlinkat" => {
                // the target is stored as written: never made absolute
                let target = sc
                    .path_of(NameType::Unknown)
                    .map(|p| p.name.clone())
                    .unwrap_or_default();
                let link = abs(sc.last_path_of(NameType::Create), dirfd_arg(&name));
                params.push(("res", res.clone()));
                params.push(("target", target));
                if name == "symlinkat" {
                    params.push(("linkdirfd", fdnum(1)));
                }
                params.push(("linkpath", link.unwrap_or_default()));
            }
            "link" | "linkat" => {
                let old = sc
                    .paths
                    .iter()
                    .find(|p| matches!(p.nametype, NameType::Normal | NameType::Unknown));
                let new = sc.last_path_of(NameType::Create);
                let at = name == "linkat";
                params.push(("res", res.clone()));
                if at {
                    params.push(("olddir", fdnum(0)));
                }
                params.push(("oldpath", abs(old, at.then_some(0)).unwrap_or_default()));
                if at {
                    params.push(("newdir", fdnum(2)));
                }
                params.push(("newpath", abs(new, at.then_some(2)).unwrap_or_default()));
                if at {
                    params.push(("flags", a(4).to_string()));
                }
            }
            "execve" | "execveat" => {
                params.push(("res", res.clone()));
                params.push(("exe", proc.exe.clone()));
                params.push(("args", proc.args.join(" ")));
                params.push(("pid", pid.to_string()));
                params.push(("ptid", sc.proc.ppid.to_string()));
                params.push(("cwd", cwd.clone().unwrap_or_default()));
                params.push(("comm", proc.name.clone()));
                params.push((
                    "filename",
                    abs(sc.path_of(NameType::Normal), dirfd_arg(&name)).unwrap_or_default(),
                ));
                params.push((
                    "uid",
                    sc.proc.uid.map(|u| u.to_string()).unwrap_or_default(),
                ));
                params.push(("loginuid", sc.proc.auid.map_or(-1, i64::from).to_string()));
            }
            "truncate" => {
                params.push(("res", res.clone()));
                params.push(("path", abs(sc.object_path(), None).unwrap_or_default()));
                params.push(("length", a(1).to_string()));
            }
            "chmod" | "fchmodat" | "fchmodat2" | "fchmod" => {
                params.push(("res", res.clone()));
                let (mode, path) = match name.as_str() {
                    "chmod" => (a(1), abs(sc.object_path(), None)),
                    "fchmod" => (a(1), None),
                    _ => (a(2), abs(sc.object_path(), Some(0))),
                };
                if name == "fchmod" {
                    params.push(("fd", fdnum(0)));
                } else {
                    if name != "chmod" {
                        params.push(("dirfd", fdnum(0)));
                    }
                    params.push(("filename", path.unwrap_or_default()));
                }
                params.push(("mode", render_chmod_mode(mode)));
            }
            "mkdir" | "mkdirat" => {
                params.push(("res", res.clone()));
                if name == "mkdirat" {
                    params.push(("dirfd", fdnum(0)));
                }
                params.push((
                    "path",
                    abs(sc.object_path(), dirfd_arg(&name)).unwrap_or_default(),
                ));
            }
            "ptrace" => {
                params.push(("res", res.clone()));
                params.push(("request", ptrace_request(a(0))));
                params.push(("pid", a(1).to_string()));
            }
            "init_module" | "finit_module" | "delete_module" => {
                params.push(("res", res.clone()));
                if name == "finit_module" {
                    params.push(("fd", fdnum(0)));
                    params.push(("flags", a(2).to_string()));
                }
            }
            "connect" | "bind" | "accept" | "accept4" | "sendto" | "sendmsg" => {
                params.push(("res", res.clone()));
                params.push(("fd", fdnum(0)));
                if let Some(sa) = &sc.sockaddr {
                    let (tuple, tc, sock) = match sa {
                        SockAddr::Inet { ip, port } => (
                            format!("{ip}:{port}"),
                            if ip.is_ipv4() { '4' } else { '6' },
                            Some((*ip, *port)),
                        ),
                        SockAddr::Unix { path } => (path.clone(), 'u', None),
                        SockAddr::Other { family } => (format!("family {family}"), 'o', None),
                    };
                    params.push(("addr", tuple.clone()));
                    params.push(("tuple", tuple.clone()));
                    fd = Some(FdInfo {
                        num: a(0) as u32 as i32 as i64,
                        name: Some(tuple),
                        typechar: tc,
                        sock,
                    });
                }
            }
            "socket" => {
                params.push(("fd", res.clone()));
                params.push(("domain", a(0).to_string()));
                params.push(("type", a(1).to_string()));
                params.push(("proto", a(2).to_string()));
            }
            "setuid" | "setgid" => {
                params.push(("res", res.clone()));
                params.push((
                    if name == "setuid" { "uid" } else { "gid" },
                    a(0).to_string(),
                ));
            }
            "kill" | "tkill" | "tgkill" => {
                params.push(("res", res.clone()));
                params.push(("pid", (a(0) as u32 as i32).to_string()));
                params.push(("sig", a(1).to_string()));
            }
            "bpf" => {
                params.push(("res", res.clone()));
                params.push(("cmd", a(0).to_string()));
            }
            "memfd_create" => {
                params.push(("fd", res.clone()));
                params.push(("flags", a(1).to_string()));
            }
            "setns" => {
                params.push(("res", res.clone()));
                params.push(("fd", fdnum(0)));
                params.push(("nstype", a(1).to_string()));
            }
            "unshare" => {
                params.push(("res", res.clone()));
                params.push(("flags", a(0).to_string()));
            }
            "dup2" | "dup3" => {
                params.push(("res", res.clone()));
                params.push(("oldfd", fdnum(0)));
                params.push(("newfd", fdnum(1)));
            }
            _ => params.push(("res", res.clone())),
        }
        if fd.is_none() && fd_arg_syscall(&name) {
            let num = a(0) as u32 as i32 as i64;
            if !params.iter().any(|(n, _)| *n == "fd") {
                params.push(("fd", num.to_string()));
            }
            fd = Some(FdInfo {
                num,
                name: table.fd_path(pid, num).map(str::to_string),
                typechar: 'f',
                sock: None,
            });
        }
        let uname = |u: Option<u32>, enriched: &Option<String>| {
            enriched
                .clone()
                .or_else(|| u.map(|u| users.get(&u).cloned().unwrap_or_else(|| u.to_string())))
        };
        RuntimeEvent {
            user_name: uname(sc.proc.uid, &sc.proc.user_name),
            login_name: if sc.proc.auid.is_some() {
                uname(sc.proc.auid, &sc.proc.login_name)
            } else {
                None
            },
            group_name: sc.proc.group_name.clone(),
            hostname: sc.node.clone().unwrap_or_else(|| hostname.to_string()),
            sc,
            proc,
            ancestors,
            fd,
            params,
        }
    }

    /// The value of Falco parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    fn open_flags(&self) -> Option<u64> {
        match self.sc.name() {
            "creat" => Some(O_CREAT | 1),
            n => open_flags_arg(n).and_then(|i| self.sc.arg(i)),
        }
    }

    /// `proc.a*[N]`: `[0]` is the process itself, `[1]` the parent, …
    /// Without an index, every ancestor from the parent up, as a
    /// multi-valued value: libsinsp compares `proc.aname = x` (and `in`,
    /// `!=`, …) against each ancestor and holds when any does
    /// (`shared/reference/falco.md`, per-field comparison quirks). Ancestors
    /// whose value is empty (not learned) are left out.
    fn ancestors_value<'a>(
        &'a self,
        field: &ResolvedField,
        get: impl Fn(&'a ProcInfo) -> Option<Value<'a>>,
    ) -> Option<Value<'a>> {
        match field.arg {
            FieldArg::Index(0) => get(&self.proc),
            FieldArg::Index(n) => self.ancestors.get(n as usize - 1).and_then(get),
            _ => Some(Value::List(self.ancestors.iter().filter_map(get).collect())),
        }
    }
}

fn s(v: &str) -> Option<Value<'_>> {
    Some(Value::Str(Cow::Borrowed(v)))
}

fn owned<'a>(v: String) -> Option<Value<'a>> {
    Some(Value::Str(Cow::Owned(v)))
}

fn nonempty(v: &str) -> Option<Value<'_>> {
    if v.is_empty() {
        None
    } else {
        s(v)
    }
}

/// A rendered parameter as the field's type.
fn typed(v: &str, ty: FieldType) -> Option<Value<'_>> {
    match ty {
        FieldType::Uint64 | FieldType::AbsTime | FieldType::RelTime | FieldType::Port => {
            let v = v.trim_start_matches('0');
            if v.is_empty() {
                return Some(Value::U64(0));
            }
            v.parse().ok().map(Value::U64)
        }
        FieldType::Int64 => v.parse().ok().map(Value::I64),
        FieldType::Bool => Some(Value::Bool(v == "true")),
        FieldType::IpAddr | FieldType::IpNet => v.parse().ok().map(Value::Ip),
        _ => s(v),
    }
}

/// libsinsp's `chmod_mode` flag names (PPM_S_* = the Linux mode bits), in
/// its table order, joined with `|` as `evt.arg.mode` of chmod, fchmod and
/// fchmodat renders them (Falco's "Set Setuid or Setgid bit" tests
/// `evt.arg.mode contains S_ISUID`). A mode of 0 renders `0`.
pub fn render_chmod_mode(mode: u64) -> String {
    const NAMES: [(&str, u64); 12] = [
        ("S_IXOTH", 0o1),
        ("S_IWOTH", 0o2),
        ("S_IROTH", 0o4),
        ("S_IXGRP", 0o10),
        ("S_IWGRP", 0o20),
        ("S_IRGRP", 0o40),
        ("S_IXUSR", 0o100),
        ("S_IWUSR", 0o200),
        ("S_IRUSR", 0o400),
        ("S_ISVTX", 0o1000),
        ("S_ISGID", 0o2000),
        ("S_ISUID", 0o4000),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(_, bit)| mode & bit != 0)
        .map(|(n, _)| *n)
        .collect();
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

fn directory(path: &str) -> Option<&str> {
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

fn filename(path: &str) -> Option<&str> {
    path.rfind('/').map(|i| &path[i + 1..])
}

impl Event for RuntimeEvent {
    fn extract(&self, field: &ResolvedField) -> Option<Value<'_>> {
        let name = SyscallFieldTable.fields().get(field.id as usize)?.name;
        let sc = &self.sc;
        let p = &self.proc;
        let fd = self.fd.as_ref();
        match name {
            "evt.type" => sc.name.as_deref().map(|n| Value::Str(Cow::Borrowed(n))),
            "evt.dir" => s("<"),
            "evt.num" => Some(Value::U64(sc.serial)),
            "evt.source" => s("syscall"),
            "evt.hostname" => s(&self.hostname),
            "evt.time" => owned(saker_rules::output::format_evt_time(sc.time_ns)),
            "evt.time.iso8601" => owned(saker_rules::output::format_iso8601(sc.time_ns)),
            "evt.rawtime" => Some(Value::U64(sc.time_ns as u64)),
            "evt.rawtime.s" => Some(Value::U64(sc.time_ns as u64 / 1_000_000_000)),
            "evt.res" => sc.exit.map(|e| {
                if sc.success == Some(false) && e < 0 {
                    Value::Str(Cow::Owned(errno_name(e)))
                } else {
                    Value::Str(Cow::Borrowed("SUCCESS"))
                }
            }),
            "evt.rawres" => sc.exit.map(Value::I64),
            "evt.failed" => sc.success.map(|ok| Value::Bool(!ok)),
            "evt.is_open_read" | "evt.is_open_write" | "evt.is_open_create"
            | "evt.is_open_exec" => {
                let f = self.open_flags()?;
                Some(Value::Bool(match name {
                    "evt.is_open_read" => f & O_ACCMODE != 1,
                    "evt.is_open_write" => f & O_ACCMODE != 0,
                    // libsinsp: PPM_O_F_CREATED, the file did not exist
                    "evt.is_open_create" => {
                        self.sc.success != Some(false)
                            && self.sc.object_path().map(|p| p.nametype) == Some(NameType::Create)
                    }
                    _ => false,
                }))
            }
            "evt.args" => {
                let mut out = String::new();
                for (k, v) in &self.params {
                    if !out.is_empty() {
                        out.push(' ');
                    }
                    out.push_str(k);
                    out.push('=');
                    out.push_str(v);
                }
                owned(out)
            }
            "evt.arg" => match &field.arg {
                FieldArg::Key(k) => self.param(k).and_then(|v| typed(v, field.ty)),
                FieldArg::Index(i) => self.params.get(*i as usize).and_then(|(_, v)| s(v)),
                FieldArg::None => None,
            },
            "evt.rawarg" => match &field.arg {
                FieldArg::Key(k) => {
                    let v = match k.as_str() {
                        "flags" if self.open_flags().is_some() => {
                            return self.open_flags().map(Value::U64)
                        }
                        "request" if sc.name() == "ptrace" => return sc.arg(0).map(Value::U64),
                        "mode" => {
                            return match sc.name() {
                                "chmod" | "fchmod" => sc.arg(1).map(|m| Value::U64(m & 0o7777)),
                                "fchmodat" | "fchmodat2" => {
                                    sc.arg(2).map(|m| Value::U64(m & 0o7777))
                                }
                                _ => {
                                    let m = self.param("mode")?;
                                    u64::from_str_radix(m, 8).ok().map(Value::U64)
                                }
                            };
                        }
                        _ => self.param(k)?,
                    };
                    typed(v, event_param_type(k).unwrap_or(field.ty))
                }
                _ => None,
            },
            "evt.abspath" => {
                let key = match &field.arg {
                    FieldArg::Key(k) => Some(k.as_str()),
                    _ => None,
                };
                match key {
                    Some("src") => self
                        .param("oldpath")
                        .or(self.param("target"))
                        .and_then(nonempty),
                    Some("dst") => self
                        .param("newpath")
                        .or(self.param("linkpath"))
                        .and_then(nonempty),
                    _ => self
                        .param("name")
                        .or(self.param("path"))
                        .or(self.param("filename"))
                        .and_then(nonempty),
                }
            }

            "fd.num" => fd.map(|f| Value::I64(f.num)),
            "fd.name" | "fd.nameraw" => fd.and_then(|f| f.name.as_deref()).and_then(nonempty),
            "fd.directory" => fd
                .filter(|f| matches!(f.typechar, 'f' | 'd' | 'l'))
                .and_then(|f| f.name.as_deref())
                .and_then(directory)
                .and_then(s),
            "fd.filename" => fd
                .filter(|f| matches!(f.typechar, 'f' | 'd' | 'l'))
                .and_then(|f| f.name.as_deref())
                .and_then(filename)
                .and_then(s),
            "fd.typechar" => fd.map(|f| Value::Str(Cow::Owned(f.typechar.to_string()))),
            "fd.type" => fd.map(|f| {
                Value::Str(Cow::Borrowed(match f.typechar {
                    'f' | 'l' => "file",
                    'd' => "directory",
                    '4' => "ipv4",
                    '6' => "ipv6",
                    'u' => "unix",
                    'p' => "pipe",
                    'c' | 'b' => "file",
                    _ => "unknown",
                }))
            }),
            "fd.sip" | "fd.rip" | "fd.ip" | "fd.net" | "fd.snet" | "fd.rnet" => fd
                .and_then(|f| f.sock)
                .filter(|_| {
                    matches!(sc.name(), "connect" | "sendto" | "sendmsg")
                        || name == "fd.ip"
                        || name == "fd.net"
                })
                .map(|(ip, _)| Value::Ip(ip)),
            "fd.sport" | "fd.rport" | "fd.port" => fd
                .and_then(|f| f.sock)
                .filter(|_| {
                    matches!(sc.name(), "connect" | "sendto" | "sendmsg") || name == "fd.port"
                })
                .map(|(_, port)| Value::U64(u64::from(port))),
            "fd.lip" | "fd.lport" | "fd.cip" | "fd.cport" => fd
                .and_then(|f| f.sock)
                .filter(|_| matches!(sc.name(), "bind" | "accept" | "accept4"))
                .map(|(ip, port)| {
                    if name.ends_with("ip") {
                        Value::Ip(ip)
                    } else {
                        Value::U64(u64::from(port))
                    }
                }),

            "proc.pid" | "proc.vpid" => Some(Value::I64(p.pid)),
            "proc.ppid" | "proc.pvpid" => Some(Value::I64(p.ppid)),
            "proc.name" => nonempty(&p.name),
            "proc.exe" => nonempty(&p.exe),
            "proc.exepath" => nonempty(&p.exepath),
            "proc.args" => owned(p.args.join(" ")),
            "proc.cmdline" => owned(p.cmdline()),
            "proc.exeline" => {
                let mut l = p.exe.clone();
                for a in &p.args {
                    l.push(' ');
                    l.push_str(a);
                }
                owned(l)
            }
            "proc.cmdnargs" => Some(Value::U64(p.args.len() as u64)),
            "proc.cmdlenargs" => Some(Value::U64(
                p.args.iter().map(String::len).sum::<usize>() as u64
                    + p.args.len().saturating_sub(1) as u64,
            )),
            "proc.cwd" => nonempty(&p.cwd).map(|_| {
                let mut c = p.cwd.clone();
                if !c.ends_with('/') {
                    c.push('/');
                }
                Value::Str(Cow::Owned(c))
            }),
            "proc.tty" => Some(Value::U64(tty_number(p.tty.as_deref()))),
            "proc.duration" => Some(Value::U64((sc.time_ns - p.start_ns).max(0) as u64)),
            "proc.is_exe_from_memfd" => Some(Value::Bool(p.exepath.starts_with("/memfd:"))),
            "proc.pname" => self.ancestors.first().and_then(|a| nonempty(&a.name)),
            "proc.pexe" => self.ancestors.first().and_then(|a| nonempty(&a.exe)),
            "proc.pexepath" => self.ancestors.first().and_then(|a| nonempty(&a.exepath)),
            "proc.pcmdline" => self
                .ancestors
                .first()
                .map(|a| Value::Str(Cow::Owned(a.cmdline()))),
            "proc.aname" => self.ancestors_value(field, |a| nonempty(&a.name)),
            "proc.aexe" => self.ancestors_value(field, |a| nonempty(&a.exe)),
            "proc.aexepath" => self.ancestors_value(field, |a| nonempty(&a.exepath)),
            "proc.acmdline" => {
                self.ancestors_value(field, |a| Some(Value::Str(Cow::Owned(a.cmdline()))))
            }
            "proc.apid" => self.ancestors_value(field, |a| Some(Value::I64(a.pid))),

            "user.uid" => sc.proc.uid.map(|u| Value::U64(u64::from(u))),
            "user.name" => self.user_name.as_deref().and_then(nonempty),
            "user.loginuid" => Some(Value::I64(sc.proc.auid.map_or(-1, i64::from))),
            "user.loginname" => self.login_name.as_deref().and_then(nonempty),
            "group.gid" => sc.proc.gid.map(|g| Value::U64(u64::from(g))),
            "group.name" => self.group_name.as_deref().and_then(nonempty),

            "container.id" | "container.name" => s("host"),
            _ => None,
        }
    }

    fn index_key(&self) -> Option<&str> {
        self.sc.name.as_deref()
    }

    fn timestamp_ns(&self) -> i64 {
        self.sc.time_ns
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_flags_render_like_falco() {
        assert_eq!(render_open_flags(0x241, false), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(render_open_flags(0, false), "O_RDONLY");
        assert_eq!(render_open_flags(0x80000, false), "O_RDONLY|O_CLOEXEC");
    }

    #[test]
    fn chmod_modes_render_like_libsinsp() {
        assert_eq!(
            render_chmod_mode(0o4755),
            "S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR|S_ISUID"
        );
        assert_eq!(render_chmod_mode(0o2070), "S_IXGRP|S_IWGRP|S_IRGRP|S_ISGID");
        assert_eq!(render_chmod_mode(0), "0");
    }

    #[test]
    fn passwd_parsing() {
        let u = parse_passwd("root:x:0:0:root:/root:/bin/bash\nec2-user:x:1000:1000::/home/ec2-user:/bin/bash\nbad\n");
        assert_eq!(u.get(&1000).map(String::as_str), Some("ec2-user"));
        assert_eq!(u.len(), 2);
    }

    #[test]
    fn tty_numbers() {
        assert_eq!(tty_number(Some("(none)")), 0);
        assert_eq!(tty_number(Some("pts1")), 34817);
    }
}
