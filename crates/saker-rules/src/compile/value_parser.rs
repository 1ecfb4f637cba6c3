//! Right-hand-side constants parsed according to the LHS field type
//! (libsinsp `value_parser.cpp`, `sinsp_numparser`), once at compile time.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::eval::IpNet;
use crate::fields::{FieldType, Value};

/// C `isspace` (what `sscanf` skips before a number).
fn is_c_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0b' | '\x0c' | '\r')
}

/// `sscanf(s, "%lu%c")`-style: optional leading blanks, optional sign,
/// decimal digits, nothing after. Overflow saturates like `strtoull`;
/// a `-` negates with wrap-around.
///
/// # Errors
/// `<s> is not a valid number`.
pub fn parse_u64(s: &str) -> Result<u64, String> {
    let (neg, digits) = split_number(s)?;
    let mut v: u64 = 0;
    let mut overflow = false;
    for b in digits.bytes() {
        match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((b - b'0') as u64))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
    }
    if overflow {
        v = u64::MAX;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Signed variant of [`parse_u64`] (`%ld`, saturating like `strtoll`).
pub fn parse_i64(s: &str) -> Result<i64, String> {
    let (neg, digits) = split_number(s)?;
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = (v * 10 + (b - b'0') as i128).min(i64::MAX as i128 + 1);
    }
    if neg {
        v = -v;
    }
    Ok(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

fn split_number(s: &str) -> Result<(bool, &str), String> {
    let err = || format!("{s} is not a valid number");
    let t = s.trim_start_matches(is_c_space);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    Ok((neg, rest))
}

/// A few `/etc/services` names libsinsp resolves with `getservbyname`.
fn service_port(name: &str) -> Option<u16> {
    Some(match name {
        "ftp-data" => 20,
        "ftp" => 21,
        "ssh" => 22,
        "telnet" => 23,
        "smtp" => 25,
        "domain" => 53,
        "http" => 80,
        "pop3" => 110,
        "ntp" => 123,
        "imap" => 143,
        "snmp" => 161,
        "ldap" => 389,
        "https" => 443,
        "smtps" => 465,
        "submission" => 587,
        "ldaps" => 636,
        "imaps" => 993,
        "pop3s" => 995,
        "mysql" => 3306,
        "postgresql" => 5432,
        _ => return None,
    })
}

/// Parse an IPv4 (if the text contains `.`) or IPv6 address.
pub fn parse_ip(s: &str) -> Result<IpAddr, String> {
    if s.contains('.') {
        s.parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| format!("unrecognized IPv4 address {s}"))
    } else {
        s.parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| format!("unrecognized IPv6 address {s}"))
    }
}

/// Parse a CIDR network `a.b.c.d/len` or `v6/len`.
pub fn parse_net(s: &str) -> Result<IpNet, String> {
    let Some((ip, mask)) = s.split_once('/') else {
        return Err(format!("unrecognized IP network {s}"));
    };
    let v4 = s.contains('.');
    let addr: IpAddr = if v4 {
        ip.parse::<Ipv4Addr>()
            .map(IpAddr::V4)
            .map_err(|_| format!("unrecognized IP address {s}"))?
    } else {
        ip.parse::<Ipv6Addr>()
            .map(IpAddr::V6)
            .map_err(|_| format!("unrecognized IP network {s}"))?
    };
    let len = parse_u64(mask).map_err(|_| format!("invalid netmask {mask}"))?;
    if len > if v4 { 32 } else { 128 } {
        return Err(format!("invalid netmask {mask}"));
    }
    Ok(IpNet {
        addr,
        prefix: len as u8,
    })
}

/// Hex text (`48545450`) for `bcontains` / `bstartswith`.
///
/// # Errors
/// `bcontains and bstartswith operator support hex strings only`.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, String> {
    let err = || "bcontains and bstartswith operator support hex strings only".to_string();
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(err());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).map_err(|_| err()))
        .collect()
}

/// A constant of type `ty` (not `IpNet`, see [`parse_net`]).
///
/// # Errors
/// Falco's message for a value the type cannot hold.
pub fn parse_value(ty: FieldType, s: &str) -> Result<Value<'static>, String> {
    Ok(match ty {
        FieldType::String => Value::Str(Cow::Owned(s.to_string())),
        FieldType::Bytes => Value::Bytes(Cow::Owned(s.as_bytes().to_vec())),
        FieldType::Uint64 | FieldType::AbsTime | FieldType::RelTime => Value::U64(parse_u64(s)?),
        FieldType::Int64 => Value::I64(parse_i64(s)?),
        // libsinsp parses PT_DOUBLE constants as int32.
        FieldType::Double => Value::Double(parse_i64(s)? as i32 as f64),
        FieldType::Bool => match s {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => return Err(format!("filter error: unrecognized boolean value {s}")),
        },
        FieldType::Port => {
            if s.is_empty() {
                Value::U64(0)
            } else if s.bytes().all(|b| b.is_ascii_digit()) {
                Value::U64(parse_u64(s)? as u16 as u64)
            } else {
                Value::U64(
                    service_port(s).ok_or_else(|| format!("unrecognized protocol {s}"))? as u64,
                )
            }
        }
        FieldType::IpAddr => Value::Ip(parse_ip(s)?),
        FieldType::IpNet => return Err(format!("unrecognized IP network {s}")),
        FieldType::Opaque => return Err(format!("wrong parameter type for value {s}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_sscanf() {
        assert_eq!(parse_u64("10"), Ok(10));
        assert_eq!(parse_u64("+10"), Ok(10));
        assert_eq!(parse_u64(" 7"), Ok(7));
        assert_eq!(parse_u64("-1"), Ok(u64::MAX));
        assert_eq!(parse_u64("0x10").unwrap_err(), "0x10 is not a valid number");
        assert!(parse_u64("1.5").is_err());
        assert!(parse_u64("1e3").is_err());
        assert!(parse_u64("").is_err());
        assert!(parse_u64("7 ").is_err());
        assert_eq!(parse_i64("-5"), Ok(-5));
    }

    #[test]
    fn other_types() {
        assert_eq!(parse_value(FieldType::Bool, "true"), Ok(Value::Bool(true)));
        assert_eq!(
            parse_value(FieldType::Bool, "True").unwrap_err(),
            "filter error: unrecognized boolean value True"
        );
        assert_eq!(parse_value(FieldType::Port, "https"), Ok(Value::U64(443)));
        assert!(parse_value(FieldType::Port, "nope").is_err());
        assert_eq!(parse_hex("4854"), Ok(vec![0x48, 0x54]));
        assert!(parse_hex("zz").is_err());
        let n = parse_net("10.0.0.0/8").unwrap();
        assert_eq!(n.contains(&"10.1.2.3".parse().unwrap()), Some(true));
        assert_eq!(n.contains(&"11.1.2.3".parse().unwrap()), Some(false));
        assert!(parse_net("10.0.0.0/33").is_err());
        assert!(parse_net("10.0.0.0").is_err());
        assert!(parse_ip("::1").is_ok());
        assert!(parse_ip("1.2.3").is_err());
    }
}
