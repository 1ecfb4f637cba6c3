//! One audit event interpreted as a syscall: the `SYSCALL` record's
//! process and arguments, `EXECVE` argv (multi-record, split arguments
//! joined), `CWD`, `PATH` items (made absolute), `SOCKADDR`, `OBJ_PID`.
//!
//! Sources: `shared/reference/vulns-and-runtime.md` B1/B2 and the kernel's
//! `audit_log_exit` record order.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::audit::{Arch, AuditEvent, Record};

/// `AT_FDCWD` as audit writes a dirfd argument (`ffffff9c`, 32-bit) or the
/// sign-extended 64-bit form.
pub fn is_at_fdcwd(a: u64) -> bool {
    a == 0xffff_ff9c || a == 0xffff_ffff_ffff_ff9c
}

/// `PATH` record `nametype=` (older kernels: `objtype=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameType {
    Normal,
    Parent,
    Create,
    Delete,
    Unknown,
}

/// One `PATH` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathItem {
    pub item: u32,
    /// The name as the process passed it, decoded (may be relative).
    pub name: String,
    pub nametype: NameType,
    /// `mode=` (octal), file type bits included.
    pub mode: Option<u32>,
}

/// A decoded `struct sockaddr` (`SOCKADDR saddr=`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SockAddr {
    Inet {
        ip: IpAddr,
        port: u16,
    },
    Unix {
        path: String,
    },
    /// Another family (netlink, packet…), by number.
    Other {
        family: u16,
    },
}

impl SockAddr {
    /// Decode the hex `saddr=` value.
    pub fn parse(hex: &str) -> Option<SockAddr> {
        let b = crate::audit::record::decode_hex(hex)?;
        if b.len() < 2 {
            return None;
        }
        let family = u16::from_le_bytes([b[0], b[1]]);
        let port = |b: &[u8]| u16::from_be_bytes([b[2], b[3]]);
        match family {
            2 if b.len() >= 8 => Some(SockAddr::Inet {
                ip: IpAddr::V4(Ipv4Addr::new(b[4], b[5], b[6], b[7])),
                port: port(&b),
            }),
            10 if b.len() >= 24 => {
                let mut a = [0u8; 16];
                a.copy_from_slice(&b[8..24]);
                Some(SockAddr::Inet {
                    ip: IpAddr::V6(Ipv6Addr::from(a)),
                    port: port(&b),
                })
            }
            1 => {
                let p = &b[2..];
                let (abstract_ns, p) = match p.first() {
                    Some(0) => (true, &p[1..]),
                    _ => (false, p),
                };
                let end = p.iter().position(|&c| c == 0).unwrap_or(p.len());
                let s = String::from_utf8_lossy(&p[..end]);
                Some(SockAddr::Unix {
                    path: if abstract_ns {
                        format!("@{s}")
                    } else {
                        s.into_owned()
                    },
                })
            }
            f => Some(SockAddr::Other { family: f }),
        }
    }
}

/// The process fields of a `SYSCALL` record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProcFields {
    pub pid: i64,
    pub ppid: i64,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    pub euid: Option<u32>,
    /// Login uid; `None` when `unset` (4294967295).
    pub auid: Option<u32>,
    pub ses: Option<u32>,
    /// `tty=` (`pts1`, `(none)`).
    pub tty: Option<String>,
    pub comm: Option<String>,
    pub exe: Option<String>,
    /// ENRICHED user names (`UID`, `AUID`, `GID`).
    pub user_name: Option<String>,
    pub login_name: Option<String>,
    pub group_name: Option<String>,
}

/// An audit event that has a `SYSCALL` record.
#[derive(Debug, Clone, Default)]
pub struct Syscall {
    pub time_ns: i64,
    pub serial: u64,
    pub node: Option<String>,
    /// 1-based line of the event's first record.
    pub line: u64,
    pub arch: Option<Arch>,
    /// The raw `arch=` value.
    pub arch_raw: Option<u64>,
    pub nr: Option<u32>,
    /// Syscall name: the arch table, else the ENRICHED `SYSCALL=`.
    pub name: Option<String>,
    pub success: Option<bool>,
    pub exit: Option<i64>,
    pub a: [Option<u64>; 4],
    /// Audit rule key (`key="exec"`), if any.
    pub key: Option<String>,
    pub proc: ProcFields,
    pub cwd: Option<String>,
    /// EXECVE argv, when the event is an exec.
    pub argv: Option<Vec<String>>,
    pub paths: Vec<PathItem>,
    pub sockaddr: Option<SockAddr>,
    /// `OBJ_PID opid=` (ptrace/kill target).
    pub target_pid: Option<i64>,
    /// `PROCTITLE` decoded, NULs as spaces (truncated to 128 bytes by the kernel).
    pub proctitle: Option<String>,
    /// Problems decoding this event (bad argv, missing records).
    pub warnings: Vec<String>,
}

fn id(r: &Record, k: &str) -> Option<u32> {
    match r.dec(k)? {
        4_294_967_295 => None,
        n => u32::try_from(n).ok(),
    }
}

impl Syscall {
    /// Interpret `ev`, or `None` when it has no `SYSCALL` record.
    pub fn decode(ev: &AuditEvent) -> Option<Syscall> {
        let sc = ev.record("SYSCALL")?;
        let arch_raw = sc.hex("arch");
        let arch = arch_raw.and_then(Arch::from_audit);
        let nr = sc.dec("syscall").and_then(|n| u32::try_from(n).ok());
        let name = match (arch, nr) {
            (Some(a), Some(n)) => a.syscall_name(n).map(str::to_string),
            _ => None,
        }
        .or_else(|| sc.enriched("SYSCALL").map(str::to_string));
        let mut s = Syscall {
            time_ns: ev.key.time_ns(),
            serial: ev.key.serial,
            node: ev.key.node.clone(),
            line: ev.first_line,
            arch,
            arch_raw,
            nr,
            name,
            success: sc.get("success").map(|v| v == "yes"),
            exit: sc.sdec("exit"),
            a: [sc.hex("a0"), sc.hex("a1"), sc.hex("a2"), sc.hex("a3")],
            key: sc.text("key"),
            proc: ProcFields {
                pid: sc.sdec("pid").unwrap_or(-1),
                ppid: sc.sdec("ppid").unwrap_or(-1),
                uid: id(sc, "uid"),
                gid: id(sc, "gid"),
                euid: id(sc, "euid"),
                auid: id(sc, "auid"),
                ses: id(sc, "ses"),
                tty: sc.get("tty").map(str::to_string),
                comm: sc.text("comm"),
                exe: sc.text("exe"),
                user_name: sc.enriched("UID").map(str::to_string),
                login_name: sc
                    .enriched("AUID")
                    .filter(|v| *v != "unset")
                    .map(str::to_string),
                group_name: sc.enriched("GID").map(str::to_string),
            },
            ..Syscall::default()
        };
        if arch.is_none() {
            s.warnings.push(format!(
                "unknown audit arch {}",
                sc.get("arch").unwrap_or("(none)")
            ));
        }
        s.cwd = ev.record("CWD").and_then(|r| r.text("cwd"));
        if ev.record("EXECVE").is_some() {
            s.argv = Some(decode_argv(ev, &mut s.warnings));
        }
        for p in ev.records_of("PATH") {
            let nametype = match p.get("nametype").or_else(|| p.get("objtype")) {
                Some("NORMAL") => NameType::Normal,
                Some("PARENT") => NameType::Parent,
                Some("CREATE") => NameType::Create,
                Some("DELETE") => NameType::Delete,
                _ => NameType::Unknown,
            };
            s.paths.push(PathItem {
                item: p
                    .dec("item")
                    .and_then(|n| u32::try_from(n).ok())
                    .unwrap_or(0),
                name: p.text("name").unwrap_or_default(),
                nametype,
                mode: p.get("mode").and_then(|m| u32::from_str_radix(m, 8).ok()),
            });
        }
        s.sockaddr = ev
            .record("SOCKADDR")
            .and_then(|r| r.get("saddr"))
            .and_then(SockAddr::parse);
        s.target_pid = ev.record("OBJ_PID").and_then(|r| r.sdec("opid"));
        s.proctitle = ev.record("PROCTITLE").and_then(|r| {
            r.untrusted("proctitle").map(|b| {
                let t: Vec<u8> = b.iter().map(|&c| if c == 0 { b' ' } else { c }).collect();
                String::from_utf8_lossy(&t).trim_end().to_string()
            })
        });
        Some(s)
    }

    /// The syscall name, or `""`.
    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }

    /// Argument `i` (`a0`..`a3`).
    pub fn arg(&self, i: usize) -> Option<u64> {
        self.a.get(i).copied().flatten()
    }

    /// The first item of type `t`.
    pub fn path_of(&self, t: NameType) -> Option<&PathItem> {
        self.paths.iter().find(|p| p.nametype == t)
    }

    /// The last item of type `t`.
    pub fn last_path_of(&self, t: NameType) -> Option<&PathItem> {
        self.paths.iter().rev().find(|p| p.nametype == t)
    }

    /// The object of the syscall: the first non-`PARENT` item.
    pub fn object_path(&self) -> Option<&PathItem> {
        self.paths.iter().find(|p| p.nametype != NameType::Parent)
    }
}

/// EXECVE argv: `argc`, then `aN="…"`/hex, or split long arguments
/// `aN_len=` + `aN[i]=` chunks, possibly over several `EXECVE` records.
fn decode_argv(ev: &AuditEvent, warnings: &mut Vec<String>) -> Vec<String> {
    let mut argc = None;
    let mut whole: Vec<Option<Vec<u8>>> = Vec::new();
    let mut chunks: Vec<Vec<(u32, Vec<u8>)>> = Vec::new();
    let grow = |v: &mut Vec<Option<Vec<u8>>>, c: &mut Vec<Vec<(u32, Vec<u8>)>>, n: usize| {
        if v.len() <= n && n < 1 << 16 {
            v.resize(n + 1, None);
            c.resize(n + 1, Vec::new());
        }
    };
    for r in ev.records_of("EXECVE") {
        for (k, v) in &r.fields {
            if k == "argc" {
                argc = v.as_str().parse::<usize>().ok();
                continue;
            }
            let Some(rest) = k.strip_prefix('a') else {
                continue;
            };
            if let Some((n, idx)) = rest.split_once('[') {
                let (Ok(n), Some(Ok(i))) = (
                    n.parse::<usize>(),
                    idx.strip_suffix(']').map(str::parse::<u32>),
                ) else {
                    continue;
                };
                grow(&mut whole, &mut chunks, n);
                if let (Some(slot), Some(b)) =
                    (chunks.get_mut(n), crate::audit::record::decode_untrusted(v))
                {
                    slot.push((i, b.into_owned()));
                }
            } else if rest.ends_with("_len") {
                continue;
            } else if let Ok(n) = rest.parse::<usize>() {
                grow(&mut whole, &mut chunks, n);
                if let Some(slot) = whole.get_mut(n) {
                    *slot = crate::audit::record::decode_untrusted(v).map(|b| b.into_owned());
                }
            }
        }
    }
    let n = argc.unwrap_or(whole.len());
    let mut argv = Vec::with_capacity(n);
    for i in 0..n {
        let bytes = match (whole.get(i).cloned().flatten(), chunks.get_mut(i)) {
            (Some(b), _) => b,
            (None, Some(c)) if !c.is_empty() => {
                c.sort_by_key(|(i, _)| *i);
                c.iter().flat_map(|(_, b)| b.iter().copied()).collect()
            }
            _ => {
                warnings.push(format!("EXECVE argument a{i} missing (argc={n})"));
                Vec::new()
            }
        };
        argv.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockaddr_families() {
        assert_eq!(
            SockAddr::parse("0200115C7F0000010000000000000000"),
            Some(SockAddr::Inet {
                ip: "127.0.0.1".parse().unwrap(),
                port: 4444
            })
        );
        assert_eq!(
            SockAddr::parse("01002F7661722F72756E2F6E7363642F736F636B6574000071F8"),
            Some(SockAddr::Unix {
                path: "/var/run/nscd/socket".into()
            })
        );
        assert_eq!(
            SockAddr::parse("100000000000000000000000"),
            Some(SockAddr::Other { family: 16 })
        );
        assert_eq!(SockAddr::parse("0A"), None);
        assert_eq!(SockAddr::parse("zz"), None);
    }
}
