//! Generic `evt.*` helpers: time rendering and the host name.

use super::table::Fid;
use chrono::{Local, TimeZone};
use std::cell::Cell;
use std::sync::OnceLock;

/// Render the event time for the `evt.time*` / `evt.datetime*` fields as
/// libsinsp does: `evt.time` `HH:MM:SS.nnnnnnnnn` and `evt.datetime`
/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in the host's local time zone (`.s`
/// variants without the fraction); `evt.time.iso8601` in UTC as
/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`.
///
/// Formatted by saker-rules' calendar helpers with the local offset cached
/// per quarter hour: every alert's text line starts with `evt.time`, and
/// `chrono`'s `Local` lookup plus `format` cost microseconds per alert.
pub fn time_text(fid: Fid, ns: i64) -> String {
    use saker_rules::output::{format_datetime, format_evt_time, format_iso8601};
    if fid == Fid::EvtTimeIso8601 {
        return format_iso8601(ns);
    }
    let local = ns.saturating_add(local_offset_secs(ns) * 1_000_000_000);
    // The `.s` variants drop the `.nnnnnnnnn` fraction (10 characters).
    let without_fraction = |mut t: String| {
        t.truncate(t.len().saturating_sub(10));
        t
    };
    match fid {
        Fid::EvtTime => format_evt_time(local),
        Fid::EvtTimeS => without_fraction(format_evt_time(local)),
        Fid::EvtDatetime => format_datetime(local),
        _ => without_fraction(format_datetime(local)),
    }
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
    use chrono::Utc;

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
