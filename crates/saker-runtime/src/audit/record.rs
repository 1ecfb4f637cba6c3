//! One Linux audit record (one line of `audit.log`, or one netlink message).
//!
//! Shape (`shared/reference/vulns-and-runtime.md` B1, auditd `audit.log(5)`):
//!
//! ```text
//! [node=HOST ]type=NAME msg=audit(SECONDS.MILLIS:SERIAL): k=v k="v" k=HEX … [0x1D K=v …]
//! ```
//!
//! * `node=` is present only with auditd's `name_format` other than `NONE`.
//! * A type auditd cannot name is written `type=UNKNOWN[1330]`.
//! * Values are bare (`pid=10637`, `a0=ffffff9c`, `key=(null)`), double-quoted
//!   (`comm="bash"`) or, for "untrusted" strings containing a byte that is `"`,
//!   ≤ 0x20 or ≥ 0x7f, upper-case hex without quotes
//!   (`a1=68656C6C6F20776F726C64`). User-space records nest their payload in
//!   `msg='k=v …'`, whose pairs are read as the record's own.
//! * `log_format=ENRICHED` appends a 0x1D byte and ALL-CAPS translated
//!   fields (`ARCH=x86_64 SYSCALL=openat AUID="ec2-user"`), kept apart in
//!   [`Record::enriched`].

use std::borrow::Cow;
use std::fmt;

/// Why a line is not an audit record. Carries no line number: the caller
/// knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordError {
    /// No `type=` at the start (after an optional `node=`).
    MissingType,
    /// No `msg=audit(SECONDS.MILLIS:SERIAL):` header, or a malformed one.
    BadHeader(String),
    /// The line is empty or only whitespace.
    Empty,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecordError::MissingType => write!(f, "not an audit record: no 'type='"),
            RecordError::BadHeader(s) => write!(f, "malformed audit header: {s}"),
            RecordError::Empty => write!(f, "empty line"),
        }
    }
}

impl std::error::Error for RecordError {}

/// The key that groups records into one event: all kernel records of one
/// syscall share `(node, timestamp, serial)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EventKey {
    /// Seconds since the epoch.
    pub sec: u64,
    /// Milliseconds within the second.
    pub msec: u32,
    /// Per-boot event serial.
    pub serial: u64,
    pub node: Option<String>,
}

impl EventKey {
    /// Event time in ns since the epoch.
    pub fn time_ns(&self) -> i64 {
        (self.sec as i64)
            .saturating_mul(1_000_000_000)
            .saturating_add(i64::from(self.msec) * 1_000_000)
    }

    /// Event time in ms since the epoch.
    pub fn time_ms(&self) -> u64 {
        self.sec.saturating_mul(1000) + u64::from(self.msec)
    }
}

impl fmt::Display for EventKey {
    /// `audit(SECONDS.MILLIS:SERIAL)`, prefixed by `node=` when known.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(n) = &self.node {
            write!(f, "node={n} ")?;
        }
        write!(f, "audit({}.{:03}:{})", self.sec, self.msec, self.serial)
    }
}

/// A raw field value as written in the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawValue {
    /// `k=value` (numbers, hex-encoded strings, `(null)`, `?`).
    Bare(String),
    /// `k="value"` (the quotes removed).
    Quoted(String),
}

impl RawValue {
    /// The text as written, quotes removed.
    pub fn as_str(&self) -> &str {
        match self {
            RawValue::Bare(s) | RawValue::Quoted(s) => s,
        }
    }
}

/// One parsed audit record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The type name (`SYSCALL`, `PATH`, `UNKNOWN[1330]` is normalised to
    /// the known name when the number is known, else kept).
    pub type_name: String,
    /// The numeric type (`AUDIT_*` from `linux/audit.h`), when known.
    pub type_num: Option<u32>,
    pub key: EventKey,
    /// The record's own fields, in order (`msg='…'` pairs flattened in).
    pub fields: Vec<(String, RawValue)>,
    /// The ENRICHED part after 0x1D (`AUID`, `UID`, `SYSCALL`, `ARCH`, `SADDR`…).
    pub enriched: Vec<(String, String)>,
}

impl Record {
    /// The raw value of field `k` (first occurrence).
    pub fn get(&self, k: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// The raw value of field `k`, with whether it was quoted.
    pub fn raw(&self, k: &str) -> Option<&RawValue> {
        self.fields.iter().find(|(n, _)| n == k).map(|(_, v)| v)
    }

    /// An ENRICHED translation (`AUID` → `ec2-user`).
    pub fn enriched(&self, k: &str) -> Option<&str> {
        self.enriched
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    /// A decimal field (`pid`, `uid`, `items`).
    pub fn dec(&self, k: &str) -> Option<u64> {
        self.get(k)?.parse().ok()
    }

    /// A signed decimal field (`exit`).
    pub fn sdec(&self, k: &str) -> Option<i64> {
        self.get(k)?.parse().ok()
    }

    /// A hex field without base marker (`a0`..`a3`, `arch`).
    pub fn hex(&self, k: &str) -> Option<u64> {
        u64::from_str_radix(self.get(k)?, 16).ok()
    }

    /// An "untrusted string" field (`comm exe cwd name key proctitle`,
    /// EXECVE args) as bytes: quoted text as is, bare upper-case hex decoded,
    /// `(null)` → `None`. Bare text that is not hex is returned as written.
    pub fn untrusted(&self, k: &str) -> Option<Cow<'_, [u8]>> {
        decode_untrusted(self.raw(k)?)
    }

    /// [`untrusted`](Record::untrusted) as text: non-UTF-8 bytes become
    /// U+FFFD (the raw bytes stay in the log).
    pub fn text(&self, k: &str) -> Option<String> {
        self.untrusted(k)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    }
}

/// Decode an untrusted-string value (see [`Record::untrusted`]).
pub fn decode_untrusted(v: &RawValue) -> Option<Cow<'_, [u8]>> {
    match v {
        RawValue::Quoted(s) => Some(Cow::Borrowed(s.as_bytes())),
        RawValue::Bare(s) if s == "(null)" => None,
        RawValue::Bare(s) => match decode_hex(s) {
            Some(b) => Some(Cow::Owned(b)),
            None => Some(Cow::Borrowed(s.as_bytes())),
        },
    }
}

/// Decode upper- or lower-case hex of even length; `None` otherwise.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() % 2 != 0 {
        return None;
    }
    let nib = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'A'..=b'F' => Some(c - b'A' + 10),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    };
    b.chunks_exact(2)
        .map(|p| Some(nib(p[0])? << 4 | nib(p[1])?))
        .collect()
}

/// Record type numbers (`linux/audit.h`, `libaudit.h`) for the names auditd
/// writes. Types not listed keep `type_num: None` unless written
/// `UNKNOWN[N]`.
const TYPES: &[(&str, u32)] = &[
    ("LOGIN", 1006),
    ("USER_AUTH", 1100),
    ("USER_ACCT", 1101),
    ("USER_MGMT", 1102),
    ("CRED_ACQ", 1103),
    ("CRED_DISP", 1104),
    ("USER_START", 1105),
    ("USER_END", 1106),
    ("USER_AVC", 1107),
    ("USER_CHAUTHTOK", 1108),
    ("USER_ERR", 1109),
    ("CRED_REFR", 1110),
    ("USYS_CONFIG", 1111),
    ("USER_LOGIN", 1112),
    ("USER_LOGOUT", 1113),
    ("ADD_USER", 1114),
    ("DEL_USER", 1115),
    ("ADD_GROUP", 1116),
    ("DEL_GROUP", 1117),
    ("DAC_CHECK", 1118),
    ("CHGRP_ID", 1119),
    ("TEST", 1120),
    ("TRUSTED_APP", 1121),
    ("USER_SELINUX_ERR", 1122),
    ("USER_CMD", 1123),
    ("USER_TTY", 1124),
    ("CHUSER_ID", 1125),
    ("GRP_AUTH", 1126),
    ("SYSTEM_BOOT", 1127),
    ("SYSTEM_SHUTDOWN", 1128),
    ("SYSTEM_RUNLEVEL", 1129),
    ("SERVICE_START", 1130),
    ("SERVICE_STOP", 1131),
    ("GRP_MGMT", 1132),
    ("GRP_CHAUTHTOK", 1133),
    ("MAC_CHECK", 1134),
    ("ACCT_LOCK", 1135),
    ("ACCT_UNLOCK", 1136),
    ("USER_DEVICE", 1137),
    ("SOFTWARE_UPDATE", 1138),
    ("DAEMON_START", 1200),
    ("DAEMON_END", 1201),
    ("DAEMON_ABORT", 1202),
    ("DAEMON_CONFIG", 1203),
    ("DAEMON_ROTATE", 1205),
    ("DAEMON_RESUME", 1206),
    ("DAEMON_ACCEPT", 1207),
    ("DAEMON_CLOSE", 1208),
    ("DAEMON_ERR", 1209),
    ("SYSCALL", 1300),
    ("PATH", 1302),
    ("IPC", 1303),
    ("SOCKETCALL", 1304),
    ("CONFIG_CHANGE", 1305),
    ("SOCKADDR", 1306),
    ("CWD", 1307),
    ("EXECVE", 1309),
    ("IPC_SET_PERM", 1311),
    ("MQ_OPEN", 1312),
    ("MQ_SENDRECV", 1313),
    ("MQ_NOTIFY", 1314),
    ("MQ_GETSETATTR", 1315),
    ("KERNEL_OTHER", 1316),
    ("FD_PAIR", 1317),
    ("OBJ_PID", 1318),
    ("TTY", 1319),
    ("EOE", 1320),
    ("BPRM_FCAPS", 1321),
    ("CAPSET", 1322),
    ("MMAP", 1323),
    ("NETFILTER_PKT", 1324),
    ("NETFILTER_CFG", 1325),
    ("SECCOMP", 1326),
    ("PROCTITLE", 1327),
    ("FEATURE_CHANGE", 1328),
    ("REPLACE", 1329),
    ("KERN_MODULE", 1330),
    ("FANOTIFY", 1331),
    ("TIME_INJOFFSET", 1332),
    ("TIME_ADJNTPVAL", 1333),
    ("BPF", 1334),
    ("EVENT_LISTENER", 1335),
    ("URINGOP", 1336),
    ("OPENAT2", 1337),
    ("DM_CTRL", 1338),
    ("DM_EVENT", 1339),
    ("AVC", 1400),
    ("SELINUX_ERR", 1401),
    ("AVC_PATH", 1402),
    ("MAC_POLICY_LOAD", 1403),
    ("MAC_STATUS", 1404),
    ("MAC_CONFIG_CHANGE", 1405),
    ("MAC_UNLBL_ALLOW", 1406),
    ("MAC_IPSEC_EVENT", 1415),
    ("APPARMOR_AUDIT", 1501),
    ("APPARMOR_ALLOWED", 1502),
    ("APPARMOR_DENIED", 1503),
    ("APPARMOR_HINT", 1504),
    ("APPARMOR_STATUS", 1505),
    ("APPARMOR_ERROR", 1506),
    ("ANOM_PROMISCUOUS", 1700),
    ("ANOM_ABEND", 1701),
    ("ANOM_LINK", 1702),
    ("ANOM_CREAT", 1703),
    ("INTEGRITY_DATA", 1800),
    ("INTEGRITY_METADATA", 1801),
    ("INTEGRITY_STATUS", 1802),
    ("INTEGRITY_HASH", 1803),
    ("INTEGRITY_PCR", 1804),
    ("INTEGRITY_RULE", 1805),
    ("INTEGRITY_EVM_XATTR", 1806),
    ("INTEGRITY_POLICY_RULE", 1807),
    ("ANOM_LOGIN_FAILURES", 2100),
    ("ANOM_LOGIN_TIME", 2101),
    ("ANOM_LOGIN_SESSIONS", 2102),
    ("ANOM_LOGIN_ACCT", 2103),
    ("ANOM_LOGIN_LOCATION", 2104),
    ("ANOM_MAX_DAC", 2105),
    ("ANOM_MAX_MAC", 2106),
    ("ANOM_AMTU_FAIL", 2107),
    ("ANOM_RBAC_FAIL", 2108),
    ("ANOM_RBAC_INTEGRITY_FAIL", 2109),
    ("ANOM_CRYPTO_FAIL", 2110),
    ("ANOM_ACCESS_FS", 2111),
    ("ANOM_EXEC", 2112),
    ("ANOM_MK_EXEC", 2113),
    ("ANOM_ADD_ACCT", 2114),
    ("ANOM_DEL_ACCT", 2115),
    ("ANOM_MOD_ACCT", 2116),
    ("ANOM_ROOT_TRANS", 2117),
    ("ANOM_LOGIN_SERVICE", 2118),
    ("ANOM_LOGIN_ROOT", 2119),
    ("ANOM_ORIGIN_FAILURES", 2120),
    ("ANOM_SESSION", 2121),
    ("RESP_ANOMALY", 2200),
    ("USER_ROLE_CHANGE", 2300),
    ("ROLE_ASSIGN", 2301),
    ("ROLE_REMOVE", 2302),
    ("LABEL_OVERRIDE", 2303),
    ("LABEL_LEVEL_CHANGE", 2304),
    ("USER_LABELED_EXPORT", 2305),
    ("USER_UNLABELED_EXPORT", 2306),
    ("DEV_ALLOC", 2307),
    ("DEV_DEALLOC", 2308),
    ("FS_RELABEL", 2309),
    ("USER_MAC_POLICY_LOAD", 2310),
    ("ROLE_MODIFY", 2311),
    ("USER_MAC_CONFIG_CHANGE", 2312),
    ("USER_MAC_STATUS", 2313),
    ("CRYPTO_TEST_USER", 2400),
    ("CRYPTO_PARAM_CHANGE_USER", 2401),
    ("CRYPTO_LOGIN", 2402),
    ("CRYPTO_LOGOUT", 2403),
    ("CRYPTO_KEY_USER", 2404),
    ("CRYPTO_FAILURE_USER", 2405),
    ("CRYPTO_REPLAY_USER", 2406),
    ("CRYPTO_SESSION", 2407),
    ("CRYPTO_IKE_SA", 2408),
    ("CRYPTO_IPSEC_SA", 2409),
    ("VIRT_CONTROL", 2500),
    ("VIRT_RESOURCE", 2501),
    ("VIRT_MACHINE_ID", 2502),
    ("VIRT_INTEGRITY_CHECK", 2503),
    ("VIRT_CREATE", 2504),
    ("VIRT_DESTROY", 2505),
    ("VIRT_MIGRATE_IN", 2506),
    ("VIRT_MIGRATE_OUT", 2507),
];

/// The number of a record type name, if known.
pub fn type_number(name: &str) -> Option<u32> {
    TYPES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The name of a record type number, if known.
pub fn type_name(num: u32) -> Option<&'static str> {
    TYPES.iter().find(|(_, v)| *v == num).map(|(n, _)| *n)
}

/// Record types that form an event on their own (auparse's notion):
/// user-space messages (1100–1299, 2100–2999) and events whose key has
/// no other record. Kernel records 1300–2099 and `LOGIN` (1006) are parts
/// of a multi-record event closed by `EOE`.
pub fn is_single_record_type(num: Option<u32>) -> bool {
    match num {
        Some(1006) => false,
        Some(n) => !(1300..2100).contains(&n) || (1700..1800).contains(&n),
        None => false,
    }
}

const ENRICHED_SEP: u8 = 0x1d;

/// Parse one line (without its newline; a trailing `\r` or `\n` is
/// ignored). Non-UTF-8 bytes are replaced by U+FFFD: the kernel hex-encodes
/// every untrusted byte, so only a corrupted line carries them.
///
/// # Errors
/// [`RecordError`] when the line is not an audit record.
pub fn parse_line(line: &[u8]) -> Result<Record, RecordError> {
    let line = trim_newline(line);
    let (raw, enriched) = match memchr(ENRICHED_SEP, line) {
        Some(i) => (&line[..i], Some(&line[i + 1..])),
        None => (line, None),
    };
    let raw = String::from_utf8_lossy(raw);
    let s = raw.trim_start();
    if s.trim().is_empty() {
        return Err(RecordError::Empty);
    }
    let (node, s) = match s.strip_prefix("node=") {
        Some(rest) => {
            let end = rest.find(' ').unwrap_or(rest.len());
            (Some(rest[..end].to_string()), rest[end..].trim_start())
        }
        None => (None, s),
    };
    let s = s.strip_prefix("type=").ok_or(RecordError::MissingType)?;
    let end = s.find(' ').unwrap_or(s.len());
    let tname = &s[..end];
    let s = s[end..].trim_start();
    let (type_name, type_num) = match tname
        .strip_prefix("UNKNOWN[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|n| n.parse::<u32>().ok())
    {
        Some(n) => (
            type_name(n).map_or_else(|| tname.to_string(), str::to_string),
            Some(n),
        ),
        None => (tname.to_string(), type_number(tname)),
    };
    let s = s
        .strip_prefix("msg=audit(")
        .ok_or_else(|| RecordError::BadHeader("expected 'msg=audit('".into()))?;
    // `msg=audit(T:S): body`; old auditd DAEMON_* records omit the colon
    let close = s
        .find(')')
        .ok_or_else(|| RecordError::BadHeader("unterminated 'msg=audit(…)'".into()))?;
    let stamp = &s[..close];
    let body = s[close + 1..].strip_prefix(':').unwrap_or(&s[close + 1..]);
    let (ts, serial) = stamp
        .split_once(':')
        .ok_or_else(|| RecordError::BadHeader(format!("no serial in '{stamp}'")))?;
    let (sec, ms) = ts.split_once('.').unwrap_or((ts, "0"));
    let bad = || RecordError::BadHeader(format!("bad timestamp '{stamp}'"));
    let key = EventKey {
        sec: sec.parse().map_err(|_| bad())?,
        msec: ms.parse().map_err(|_| bad())?,
        serial: serial.parse().map_err(|_| bad())?,
        node,
    };
    let mut fields = Vec::with_capacity(24);
    parse_pairs(body, &mut fields);
    let mut enr = Vec::new();
    if let Some(e) = enriched {
        let e = String::from_utf8_lossy(e);
        let mut tmp = Vec::new();
        parse_pairs(&e, &mut tmp);
        enr = tmp
            .into_iter()
            .map(|(k, v)| match v {
                RawValue::Bare(s) | RawValue::Quoted(s) => (k, s),
            })
            .collect();
    }
    Ok(Record {
        type_name,
        type_num,
        key,
        fields,
        enriched: enr,
    })
}

fn trim_newline(mut b: &[u8]) -> &[u8] {
    while let [rest @ .., b'\n' | b'\r'] = b {
        b = rest;
    }
    b
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// Parse `k=v` pairs separated by spaces. Tokens without `=` (AVC's
/// `avc:  denied  { read } for`) are skipped. `msg='…'` is parsed
/// recursively; `{ … }` values (ENRICHED `SADDR={ … }`) run to the `}`.
fn parse_pairs(mut s: &str, out: &mut Vec<(String, RawValue)>) {
    loop {
        s = s.trim_start_matches([' ', '\t']);
        if s.is_empty() {
            return;
        }
        let tok_end = s.find([' ', '\t']).unwrap_or(s.len());
        let Some(eq) = s[..tok_end].find('=') else {
            s = &s[tok_end..];
            continue;
        };
        let k = &s[..eq];
        let rest = &s[eq + 1..];
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            out.push((k.to_string(), RawValue::Quoted(q[..end].to_string())));
            s = q.get(end + 1..).unwrap_or("");
        } else if let Some(q) = rest.strip_prefix('\'') {
            let end = q.find('\'').unwrap_or(q.len());
            if k == "msg" {
                parse_pairs(&q[..end], out);
            } else {
                out.push((k.to_string(), RawValue::Quoted(q[..end].to_string())));
            }
            s = q.get(end + 1..).unwrap_or("");
        } else if let Some(q) = rest.strip_prefix('{') {
            let end = q.find('}').unwrap_or(q.len());
            out.push((k.to_string(), RawValue::Bare(q[..end].trim().to_string())));
            s = q.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find([' ', '\t']).unwrap_or(rest.len());
            out.push((k.to_string(), RawValue::Bare(rest[..end].to_string())));
            s = &rest[end..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syscall_record_with_enrichment() {
        let line = b"type=SYSCALL msg=audit(1795952828.372:39): arch=c000003e syscall=257 success=yes exit=3 a0=ffffff9c comm=\"bash\" key=(null)\x1dARCH=x86_64 SYSCALL=openat AUID=\"ec2-user\"\n";
        let r = parse_line(line).unwrap();
        assert_eq!(r.type_name, "SYSCALL");
        assert_eq!(r.type_num, Some(1300));
        assert_eq!(r.key.sec, 1795952828);
        assert_eq!(r.key.msec, 372);
        assert_eq!(r.key.serial, 39);
        assert_eq!(r.hex("arch"), Some(0xc000003e));
        assert_eq!(r.sdec("exit"), Some(3));
        assert_eq!(r.text("comm").as_deref(), Some("bash"));
        assert_eq!(r.untrusted("key"), None);
        assert_eq!(r.enriched("SYSCALL"), Some("openat"));
        assert_eq!(r.enriched("AUID"), Some("ec2-user"));
    }

    #[test]
    fn hex_strings_decode_and_quoted_stay() {
        let r = parse_line(b"type=EXECVE msg=audit(1.002:3): argc=3 a0=\"echo\" a1=68656C6C6F20776F726C64 a2=71756F74652264").unwrap();
        assert_eq!(r.text("a1").as_deref(), Some("hello world"));
        assert_eq!(r.text("a2").as_deref(), Some("quote\"d"));
        assert_eq!(r.text("a0").as_deref(), Some("echo"));
    }

    #[test]
    fn node_unknown_type_and_user_msg() {
        let r = parse_line(b"node=ip-10-0-0-1 type=UNKNOWN[1330] msg=audit(1.5:9): name=\"x\"")
            .unwrap();
        assert_eq!(r.key.node.as_deref(), Some("ip-10-0-0-1"));
        assert_eq!(r.type_name, "KERN_MODULE");
        let r = parse_line(b"type=USER_LOGIN msg=audit(1492896301.818:19955): pid=12635 uid=0 msg='op=login acct=28696E76616C6964207573657229 exe=\"/usr/sbin/sshd\" res=failed'").unwrap();
        assert_eq!(r.text("acct").as_deref(), Some("(invalid user)"));
        assert_eq!(r.get("res"), Some("failed"));
        assert!(is_single_record_type(r.type_num));
    }

    #[test]
    fn bad_lines_are_errors_not_panics() {
        for l in [
            &b""[..],
            b"garbage",
            b"type=SYSCALL",
            b"type=SYSCALL msg=audit(",
            b"type=SYSCALL msg=audit(12:): a=1",
            b"type=SYSCALL msg=audit(x.1:2): a=1",
            b"type=PATH msg=audit(1.1:2): name=\"unterminated",
            b"type=PATH msg=audit(1.1:2): name={ open",
            b"\xff\xfe type=X",
        ] {
            let _ = parse_line(l);
        }
        assert!(parse_line(b"type=PATH msg=audit(1.1:2): name=\"unterminated").is_ok());
        assert_eq!(parse_line(b"  \n"), Err(RecordError::Empty));
    }
}
