//! The kernel's audit netlink multicast group: audit records straight from
//! the kernel, read-only, while auditd keeps running.
//!
//! Source of truth: `netlink(7)`; the kernel's `kernel/audit.c`
//! (`audit_multicast_bind`, `kauditd_send_multicast_skb`) and
//! `include/uapi/linux/audit.h` (`AUDIT_NLGRP_READLOG` = 1). Spec:
//! `shared/reference/vulns-and-runtime.md` B1, "Reading the stream" (2).
//!
//! * A socket of family `AF_NETLINK`, protocol `NETLINK_AUDIT` (9), bound to
//!   multicast group 1 (`AUDIT_NLGRP_READLOG`). Linux ≥ 3.16; binding needs
//!   `CAP_AUDIT_READ` in the initial user namespace (root has it).
//! * Each datagram holds netlink messages: a 16-byte `nlmsghdr`
//!   (`nlmsg_len` u32, `nlmsg_type` u16, flags u16, seq u32, pid u32, host
//!   byte order) then the payload. For audit, `nlmsg_type` is the record
//!   type (1300 = `SYSCALL`, 1320 = `EOE`, …) and the payload is the
//!   record text `audit(1700000000.123:456): arch=c000003e …`, raw (no
//!   `node=`, no ENRICHED part).
//! * [`audit_line`] turns one message into the line auditd would have
//!   written (`type=SYSCALL msg=audit(…): …`), so the log parser reads it.
//! * The group is best-effort: when saker reads too slowly the kernel drops
//!   datagrams and the next receive fails with `ENOBUFS`
//!   ([`Received::Overrun`]); the run counts it and goes on.
//! * Records of processes in other network namespaces are still sent to
//!   the initial namespace only: run saker in the host's network namespace.

use std::fmt;
use std::io;

use crate::audit::record::type_name;

/// `AUDIT_NLGRP_READLOG`: the read-only multicast group of audit records.
pub const AUDIT_NLGRP_READLOG: u32 = 1;
/// `NETLINK_AUDIT`: the audit netlink protocol number.
pub const NETLINK_AUDIT: i32 = 9;
/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Netlink control message types (`NLMSG_NOOP`, `NLMSG_ERROR`,
/// `NLMSG_DONE`, `NLMSG_OVERRUN`) are below this.
const NLMSG_MIN_TYPE: u16 = 0x10;
/// Audit record types start at `AUDIT_FIRST_USER_MSG` (1100); 1000–1099
/// are audit control commands (`AUDIT_GET`, `AUDIT_SET`, …), not records.
const FIRST_RECORD_TYPE: u16 = 1100;

/// One netlink message of a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NlMessage<'a> {
    /// `nlmsg_type`: the audit record type for audit messages.
    pub ty: u16,
    /// The payload, trailing NUL bytes and newlines removed.
    pub payload: &'a [u8],
}

/// A datagram that does not hold whole netlink messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MalformedDatagram {
    /// Byte offset of the bad header in the datagram.
    pub offset: usize,
    pub len: usize,
}

impl fmt::Display for MalformedDatagram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "malformed netlink message at byte {} of a {}-byte datagram",
            self.offset, self.len
        )
    }
}

fn trim_payload(mut p: &[u8]) -> &[u8] {
    while let Some((&last, rest)) = p.split_last() {
        if last == 0 || last == b'\n' {
            p = rest;
        } else {
            break;
        }
    }
    p
}

/// Split a received datagram into its netlink messages.
///
/// `nlmsg_len` counts the header (netlink's rule, which the multicast copy
/// follows). The kernel's unicast path to auditd sets it to the payload
/// length alone; such a length, or one that does not fit, is read as "the
/// rest of the datagram" (the kernel sends one audit record per datagram),
/// as go-libaudit does.
///
/// # Errors
/// [`MalformedDatagram`] when a header is cut short; the messages before it
/// are in `out`.
pub fn split_messages<'a>(
    buf: &'a [u8],
    out: &mut Vec<NlMessage<'a>>,
) -> Result<(), MalformedDatagram> {
    let mut off = 0;
    while off < buf.len() {
        let rest = &buf[off..];
        if rest.len() < NLMSG_HDRLEN {
            return Err(MalformedDatagram {
                offset: off,
                len: buf.len(),
            });
        }
        let len = u32::from_ne_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let ty = u16::from_ne_bytes([rest[4], rest[5]]);
        // The unicast quirk: a length that leaves exactly the header (plus
        // alignment) unaccounted at the end of the datagram. A length that
        // does not fit: the message runs to the end of the datagram.
        let quirk = (rest.len().saturating_sub(3)..=rest.len()).contains(&(len + NLMSG_HDRLEN));
        let end = if !quirk && (NLMSG_HDRLEN..=rest.len()).contains(&len) {
            len
        } else {
            rest.len()
        };
        out.push(NlMessage {
            ty,
            payload: trim_payload(&rest[NLMSG_HDRLEN..end]),
        });
        // messages are aligned to 4 bytes (NLMSG_ALIGN)
        off += (end + 3) & !3;
    }
    Ok(())
}

/// What [`audit_line`] made of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// An audit record, written to the line buffer.
    Record,
    /// A netlink control message or an audit command reply: not a record.
    Control,
}

/// Write the log line auditd would have written for message `m` into
/// `line` (cleared first): `type=NAME msg=` and the payload; a type
/// without a name is written `type=UNKNOWN[N]` as auditd does.
pub fn audit_line(m: &NlMessage<'_>, line: &mut Vec<u8>) -> LineKind {
    line.clear();
    if m.ty < NLMSG_MIN_TYPE || m.ty < FIRST_RECORD_TYPE {
        return LineKind::Control;
    }
    line.extend_from_slice(b"type=");
    match type_name(u32::from(m.ty)) {
        Some(n) => line.extend_from_slice(n.as_bytes()),
        None => line.extend_from_slice(format!("UNKNOWN[{}]", m.ty).as_bytes()),
    }
    line.extend_from_slice(b" msg=");
    line.extend_from_slice(m.payload);
    LineKind::Record
}

/// Why the multicast group cannot be read.
#[derive(Debug)]
pub enum OpenError {
    /// The kernel has no audit netlink protocol (built without
    /// `CONFIG_AUDIT`), or this is not Linux.
    NoAudit(io::Error),
    /// Binding to the group was refused: needs root with `CAP_AUDIT_READ`.
    Permission(io::Error),
    /// The kernel knows no audit multicast group (Linux older than 3.16).
    NoMulticast(io::Error),
    /// Any other error of `socket`, `bind` or `setsockopt`.
    Other(&'static str, io::Error),
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OpenError::NoAudit(e) => write!(
                f,
                "this kernel has no audit netlink socket ({e}): it was built without audit support, or this is not Linux"
            ),
            OpenError::Permission(e) => write!(
                f,
                "joining the audit multicast group was refused ({e}): run as root, with the CAP_AUDIT_READ capability (in the host's user namespace, not in a container)"
            ),
            OpenError::NoMulticast(e) => write!(
                f,
                "this kernel has no audit multicast group ({e}); Linux 3.16 or later is needed — read the log instead (--audit-log /var/log/audit/audit.log --follow)"
            ),
            OpenError::Other(what, e) => write!(f, "{what}: {e}"),
        }
    }
}

impl std::error::Error for OpenError {}

/// The result of one [`AuditMulticast::recv`].
#[derive(Debug, PartialEq, Eq)]
pub enum Received<'a> {
    /// A datagram (one or more netlink messages; see [`split_messages`]).
    Datagram(&'a [u8]),
    /// Nothing arrived within the receive timeout.
    Idle,
    /// The kernel dropped records because saker read too slowly (`ENOBUFS`).
    Overrun,
}

/// What a multicast reader saw (see [`AuditMulticast::pump`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MulticastStats {
    /// Audit records fed to the runtime (their "line" numbers).
    pub records: u64,
    /// Netlink control messages and audit command replies passed over.
    pub control: u64,
    /// Receive-buffer overruns (`ENOBUFS`): records the kernel dropped.
    pub overruns: u64,
    /// Datagrams with a cut-short message header.
    pub malformed: u64,
    /// Wall-clock ms of the last [`crate::pipeline::Runtime::tick`].
    pub last_tick_ms: u64,
}

#[cfg(target_os = "linux")]
pub use linux::AuditMulticast;

#[cfg(target_os = "linux")]
mod linux {
    use super::{
        audit_line, split_messages, LineKind, MulticastStats, OpenError, Received,
        AUDIT_NLGRP_READLOG,
    };
    use crate::event::RuntimeEvent;
    use crate::pipeline::Runtime;
    use rustix::io::Errno;
    use rustix::net::netlink::{SocketAddrNetlink, AUDIT};
    use rustix::net::sockopt::{self, Timeout};
    use rustix::net::{AddressFamily, RecvFlags, SocketFlags, SocketType};
    use saker_rules::Alert;
    use std::os::fd::OwnedFd;
    use std::time::Duration;

    /// Largest audit record the kernel sends (`MAX_AUDIT_MESSAGE_LENGTH`
    /// is 8970) plus header, rounded up generously.
    const BUF_LEN: usize = 64 * 1024;
    /// Socket receive buffer asked for, so bursts (a `make -j`) fit.
    const RCVBUF: usize = 8 * 1024 * 1024;

    /// A socket joined to the audit multicast group (see the module docs).
    pub struct AuditMulticast {
        fd: OwnedFd,
        buf: Vec<u8>,
    }

    impl AuditMulticast {
        /// Open the socket and join `AUDIT_NLGRP_READLOG`; a receive waits at
        /// most `idle` before returning [`Received::Idle`].
        ///
        /// # Errors
        /// [`OpenError`], naming the cause (no audit in the kernel, no
        /// permission, kernel too old).
        pub fn open(idle: Duration) -> Result<AuditMulticast, OpenError> {
            let fd = rustix::net::socket_with(
                AddressFamily::NETLINK,
                SocketType::RAW,
                SocketFlags::CLOEXEC,
                Some(AUDIT),
            )
            .map_err(|e| match e {
                Errno::PROTONOSUPPORT | Errno::AFNOSUPPORT => OpenError::NoAudit(e.into()),
                Errno::PERM | Errno::ACCESS => OpenError::Permission(e.into()),
                e => OpenError::Other("socket(AF_NETLINK, NETLINK_AUDIT)", e.into()),
            })?;
            // As root the limit can be raised past rmem_max; otherwise the
            // ordinary request (capped by the kernel) is the best we get.
            if sockopt::set_socket_recv_buffer_size_force(&fd, RCVBUF).is_err() {
                let _ = sockopt::set_socket_recv_buffer_size(&fd, RCVBUF);
            }
            let addr = SocketAddrNetlink::new(0, 1 << (AUDIT_NLGRP_READLOG - 1));
            rustix::net::bind(&fd, &addr).map_err(|e| match e {
                Errno::PERM | Errno::ACCESS => OpenError::Permission(e.into()),
                Errno::INVAL | Errno::NOENT => OpenError::NoMulticast(e.into()),
                e => OpenError::Other("bind to the audit multicast group", e.into()),
            })?;
            sockopt::set_socket_timeout(&fd, Timeout::Recv, Some(idle))
                .map_err(|e| OpenError::Other("setsockopt(SO_RCVTIMEO)", e.into()))?;
            Ok(AuditMulticast {
                fd,
                buf: vec![0; BUF_LEN],
            })
        }

        /// Wait for the next datagram (at most the `idle` time given to
        /// [`AuditMulticast::open`]).
        ///
        /// # Errors
        /// The socket's I/O error (other than a timeout, an interrupted
        /// call or an overrun, which are [`Received`] values).
        pub fn recv(&mut self) -> std::io::Result<Received<'_>> {
            match rustix::net::recv(&self.fd, &mut self.buf[..], RecvFlags::empty()) {
                Ok((n, _)) => Ok(Received::Datagram(&self.buf[..n])),
                Err(Errno::AGAIN | Errno::INTR) => Ok(Received::Idle),
                Err(Errno::NOBUFS) => Ok(Received::Overrun),
                Err(e) => Err(e.into()),
            }
        }

        /// Receive once and feed every record to `rt` (alerts go to
        /// `on_alert`); at least every `tick_ms` of wall clock `now_ms`,
        /// close events whose `EOE` was lost ([`Runtime::tick`]). Overruns
        /// and malformed datagrams are counted in `stats` and reported
        /// through `warn`, naming the record number they came after.
        ///
        /// # Errors
        /// The socket's receive error (the caller decides whether to go on).
        pub fn pump(
            &mut self,
            rt: &mut Runtime<'_>,
            on_alert: &mut dyn FnMut(&Alert, &RuntimeEvent),
            stats: &mut MulticastStats,
            now_ms: &dyn Fn() -> u64,
            tick_ms: u64,
            warn: &mut dyn FnMut(String),
        ) -> std::io::Result<()> {
            let mut line = Vec::new();
            match self.recv()? {
                Received::Datagram(d) => {
                    let mut msgs = Vec::with_capacity(1);
                    if let Err(e) = split_messages(d, &mut msgs) {
                        stats.malformed += 1;
                        warn(format!(
                            "after record {}: {e} (skipped; {} so far)",
                            stats.records, stats.malformed
                        ));
                    }
                    for m in &msgs {
                        match audit_line(m, &mut line) {
                            LineKind::Record => {
                                stats.records += 1;
                                rt.feed_line(stats.records, &line, on_alert);
                            }
                            LineKind::Control => stats.control += 1,
                        }
                    }
                }
                Received::Idle => {}
                Received::Overrun => {
                    stats.overruns += 1;
                    warn(format!(
                        "the kernel dropped records after record {} (receive buffer overrun #{}); events may be incomplete",
                        stats.records, stats.overruns
                    ));
                }
            }
            let now = now_ms();
            if now >= stats.last_tick_ms.saturating_add(tick_ms) {
                rt.tick(now, on_alert);
                stats.last_tick_ms = now;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(ty: u16, payload: &[u8], len_override: Option<u32>) -> Vec<u8> {
        let len = len_override.unwrap_or((NLMSG_HDRLEN + payload.len()) as u32);
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(&0u16.to_ne_bytes());
        v.extend_from_slice(&7u32.to_ne_bytes());
        v.extend_from_slice(&0u32.to_ne_bytes());
        v.extend_from_slice(payload);
        while v.len() % 4 != 0 {
            v.push(0);
        }
        v
    }

    #[test]
    fn datagrams_split_into_records_with_their_type_names() {
        let mut d = msg(
            1300,
            b"audit(1700000000.123:42): arch=c000003e syscall=87\0",
            None,
        );
        d.extend(msg(1320, b"audit(1700000000.123:42): ", None));
        d.extend(msg(1337, b"audit(1700000000.123:43): oflag=0", None));
        let mut out = Vec::new();
        split_messages(&d, &mut out).unwrap();
        assert_eq!(out.len(), 3);
        let mut line = Vec::new();
        let lines: Vec<String> = out
            .iter()
            .map(|m| {
                assert_eq!(audit_line(m, &mut line), LineKind::Record);
                String::from_utf8(line.clone()).unwrap()
            })
            .collect();
        assert_eq!(
            lines[0],
            "type=SYSCALL msg=audit(1700000000.123:42): arch=c000003e syscall=87"
        );
        assert_eq!(lines[1], "type=EOE msg=audit(1700000000.123:42): ");
        assert_eq!(
            lines[2],
            "type=OPENAT2 msg=audit(1700000000.123:43): oflag=0"
        );
        // the lines are what the log parser reads
        let r = crate::audit::parse_line(lines[0].as_bytes()).unwrap();
        assert_eq!(r.get("syscall"), Some("87"));
    }

    #[test]
    fn unicast_length_quirk_and_control_messages() {
        // nlmsg_len without the header (auditd's unicast quirk)
        let payload = b"audit(1.000:1): op=x";
        let d = msg(1305, payload, Some(payload.len() as u32));
        let mut out = Vec::new();
        split_messages(&d, &mut out).unwrap();
        assert_eq!(out[0].payload, payload);
        let mut line = Vec::new();
        let noop = NlMessage {
            ty: 1,
            payload: b"",
        };
        assert_eq!(audit_line(&noop, &mut line), LineKind::Control);
        let get = NlMessage {
            ty: 1000,
            payload: b"x",
        };
        assert_eq!(audit_line(&get, &mut line), LineKind::Control);
        let unknown = NlMessage {
            ty: 2999,
            payload: b"audit(1.0:2): x=1",
        };
        assert_eq!(audit_line(&unknown, &mut line), LineKind::Record);
        assert_eq!(line, b"type=UNKNOWN[2999] msg=audit(1.0:2): x=1");
    }

    #[test]
    fn a_cut_header_is_an_error_after_the_good_messages() {
        let mut d = msg(1300, b"audit(1.0:1): a=1", None);
        d.extend_from_slice(&[1, 2, 3]);
        let mut out = Vec::new();
        let e = split_messages(&d, &mut out).unwrap_err();
        assert_eq!(out.len(), 1);
        assert_eq!(e.offset, 36);
        assert!(e.to_string().contains("byte 36"));
    }
}
