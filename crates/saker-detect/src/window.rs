//! The `--since` / `--until` time window.

use chrono::{DateTime, NaiveDate, Utc};

/// An inclusive window of event times, in ns since the Unix epoch; `None`
/// bounds are open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since_ns: Option<i64>,
    pub until_ns: Option<i64>,
}

impl TimeWindow {
    /// True when `ns` lies in the window.
    pub fn contains(&self, ns: i64) -> bool {
        self.since_ns.is_none_or(|s| ns >= s) && self.until_ns.is_none_or(|u| ns <= u)
    }

    /// The bounds in whole seconds, for file-name filtering.
    pub fn seconds(&self) -> (Option<i64>, Option<i64>) {
        (
            self.since_ns.map(|n| n.div_euclid(1_000_000_000)),
            self.until_ns.map(|n| n.div_euclid(1_000_000_000)),
        )
    }
}

/// Parse a `--since` / `--until` value into ns since the Unix epoch.
///
/// Accepted forms:
/// * RFC 3339: `2023-07-10T11:45:00Z`, `2023-07-10T13:45:00+02:00`;
/// * a UTC date: `2023-07-10` (midnight UTC);
/// * a duration before `now`: `90s`, `30m`, `6h`, `7d`, `2w`.
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_time_arg(value: &str, now: DateTime<Utc>) -> Result<i64, String> {
    let v = value.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(v) {
        return t
            .timestamp_nanos_opt()
            .ok_or_else(|| format!("'{value}' is out of range"));
    }
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let t = d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc();
        return t
            .timestamp_nanos_opt()
            .ok_or_else(|| format!("'{value}' is out of range"));
    }
    if let Some(unit) = v.chars().last() {
        let secs_per = match unit {
            's' => Some(1i64),
            'm' => Some(60),
            'h' => Some(3600),
            'd' => Some(86_400),
            'w' => Some(604_800),
            _ => None,
        };
        if let (Some(per), Ok(n)) = (secs_per, v[..v.len() - 1].parse::<i64>()) {
            if n >= 0 {
                let ago = n
                    .checked_mul(per)
                    .and_then(|s| s.checked_mul(1_000_000_000))
                    .ok_or_else(|| format!("'{value}' is too large"))?;
                let now_ns = now.timestamp_nanos_opt().unwrap_or(i64::MAX);
                return Ok(now_ns.saturating_sub(ago));
            }
        }
    }
    Err(format!(
        "invalid time '{value}': expected RFC 3339 (2023-07-10T11:45:00Z), a date (2023-07-10) or a duration ago (30m, 6h, 7d)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rfc3339_dates_and_durations() {
        let now = DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let ns = |s: &str| parse_time_arg(s, now).unwrap();
        assert_eq!(ns("2023-07-10T11:45:00Z"), 1_688_989_500_000_000_000);
        assert_eq!(ns("2023-07-10T13:45:00+02:00"), 1_688_989_500_000_000_000);
        assert_eq!(ns("2023-07-10"), 1_688_947_200_000_000_000);
        assert_eq!(ns("2h"), ns("2026-11-29T10:00:00Z"));
        assert_eq!(ns("1d"), ns("2026-11-28T12:00:00Z"));
        for bad in ["", "yesterday", "-3h", "h", "2023-13-01", "99999999999999w"] {
            assert!(parse_time_arg(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn window_bounds_are_inclusive() {
        let w = TimeWindow {
            since_ns: Some(10),
            until_ns: Some(20),
        };
        assert!(w.contains(10) && w.contains(20) && !w.contains(9) && !w.contains(21));
        assert!(TimeWindow::default().contains(i64::MIN));
    }
}
