//! Generic `evt.*` helpers: time rendering and the host name.

use super::table::Fid;
use chrono::{Local, TimeZone, Utc};
use std::sync::OnceLock;

/// Render the event time for the `evt.time*` / `evt.datetime*` fields as
/// libsinsp does: `evt.time` `HH:MM:SS.nnnnnnnnn` and `evt.datetime`
/// `YYYY-MM-DD HH:MM:SS.nnnnnnnnn` in the host's local time zone (`.s`
/// variants without the fraction); `evt.time.iso8601` in UTC as
/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnn+0000`.
pub fn time_text(fid: Fid, ns: i64) -> String {
    if fid == Fid::EvtTimeIso8601 {
        let t = Utc.timestamp_nanos(ns);
        return t.format("%Y-%m-%dT%H:%M:%S%.9f+0000").to_string();
    }
    let t = Local.timestamp_nanos(ns);
    let fmt = match fid {
        Fid::EvtTime => "%H:%M:%S%.9f",
        Fid::EvtTimeS => "%H:%M:%S",
        Fid::EvtDatetime => "%Y-%m-%d %H:%M:%S%.9f",
        _ => "%Y-%m-%d %H:%M:%S",
    };
    t.format(fmt).to_string()
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
