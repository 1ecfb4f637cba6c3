//! Generic `evt.*` helpers: time rendering and the host name.

use super::table::Fid;
use chrono::{DateTime, Datelike, Local, TimeZone, Timelike, Utc};
use std::cell::Cell;
use std::sync::OnceLock;

/// Render the event time for the `evt.time*` / `evt.datetime*` fields as
/// libsinsp does: `evt.time` `HH:MM:SS.nnnnnnnnn` and `evt.datetime`
/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in the host's local time zone (`.s`
/// variants without the fraction); `evt.time.iso8601` in UTC as
/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`.
///
/// Rendered by hand (calendar from `chrono`, digits written directly, the
/// local offset cached per quarter hour): every alert's text line starts
/// with `evt.time`, and `chrono`'s `format` with a `Local` lookup cost
/// microseconds per alert.
pub fn time_text(fid: Fid, ns: i64) -> String {
    let iso = fid == Fid::EvtTimeIso8601;
    let shown = if iso {
        ns
    } else {
        ns.saturating_add(local_offset_secs(ns) * 1_000_000_000)
    };
    let secs = shown.div_euclid(1_000_000_000);
    let nanos = shown.rem_euclid(1_000_000_000) as u32;
    let Some(t) = DateTime::<Utc>::from_timestamp(secs, nanos) else {
        return String::new();
    };
    let mut out = String::with_capacity(36);
    let with_date = !matches!(fid, Fid::EvtTime | Fid::EvtTimeS);
    if with_date {
        push_digits(&mut out, t.year().max(0) as u32, 4);
        out.push('-');
        push_digits(&mut out, t.month(), 2);
        out.push('-');
        push_digits(&mut out, t.day(), 2);
        out.push(if iso { 'T' } else { ' ' });
    }
    push_digits(&mut out, t.hour(), 2);
    out.push(':');
    push_digits(&mut out, t.minute(), 2);
    out.push(':');
    push_digits(&mut out, t.second(), 2);
    if matches!(fid, Fid::EvtTime | Fid::EvtDatetime | Fid::EvtTimeIso8601) {
        out.push('.');
        push_digits(&mut out, nanos, 9);
    }
    if iso {
        out.push_str("+0000");
    }
    out
}

/// Append `v` in decimal, zero-padded to `width` digits (more if needed).
fn push_digits(out: &mut String, v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let mut n = v;
    let mut i = buf.len();
    while n > 0 {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = i.min(buf.len().saturating_sub(width));
    // Only ASCII digits were written.
    out.push_str(std::str::from_utf8(&buf[start..]).unwrap_or_default());
}

/// The host's UTC offset (seconds) at `ns`, from `chrono`'s `Local`, cached
/// per thread for the quarter hour containing `ns` (time-zone transitions
/// fall on quarter hours).
fn local_offset_secs(ns: i64) -> i64 {
    thread_local! {
        static CACHE: Cell<Option<(i64, i64)>> = const { Cell::new(None) };
    }
    let bucket = ns.div_euclid(900 * 1_000_000_000);
    CACHE.with(|c| match c.get() {
        Some((b, off)) if b == bucket => off,
        _ => {
            let off = i64::from(Local.timestamp_nanos(ns).offset().local_minus_utc());
            c.set(Some((bucket, off)));
            off
        }
    })
}

/// The machine's host name (`evt.hostname`), read once from
/// `/proc/sys/kernel/hostname`, `/etc/hostname` or `$HOSTNAME`; `""` if
/// none is available.
pub fn hostname() -> &'static str {
    static HOST: OnceLock<String> = OnceLock::new();
    HOST.get_or_init(|| {
        ["/proc/sys/kernel/hostname", "/etc/hostname"]
            .iter()
            .find_map(|p| std::fs::read_to_string(p).ok())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written rendering agrees with `chrono`'s `format` (the
    /// strftime layouts libsinsp uses) in the host's zone.
    #[test]
    fn time_text_matches_strftime() {
        let layouts = [
            (Fid::EvtTime, "%H:%M:%S%.9f"),
            (Fid::EvtTimeS, "%H:%M:%S"),
            (Fid::EvtDatetime, "%Y-%m-%d %H:%M:%S%.9f"),
            (Fid::EvtDatetimeS, "%Y-%m-%d %H:%M:%S"),
        ];
        let samples = [
            0,
            1,
            999_999_999,
            1_394_140_974_000_000_005,
            1_700_000_000_123_456_789,
            951_782_400_000_000_000,
            4_102_444_799_999_999_999,
        ];
        for ns in samples {
            for (fid, layout) in layouts {
                let want = Local.timestamp_nanos(ns).format(layout).to_string();
                assert_eq!(time_text(fid, ns), want, "{fid:?} at {ns}");
            }
            let want = Utc
                .timestamp_nanos(ns)
                .format("%Y-%m-%dT%H:%M:%S%.9f+0000")
                .to_string();
            assert_eq!(time_text(Fid::EvtTimeIso8601, ns), want);
        }
        assert_eq!(
            time_text(Fid::EvtTimeIso8601, 1_394_140_974_000_000_005),
            "2014-03-06T21:22:54.000000005+0000"
        );
    }
}
