//! Rule priorities, as Falco defines them (`falco_common.cpp`).

use std::fmt;
use std::str::FromStr;

/// A rule's priority. Ordered from most severe (`Emergency`) to least
/// severe (`Debug`), so `a < b` means `a` is **more** severe than `b`,
/// exactly like Falco's numeric values (Emergency = 0 … Debug = 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Informational = 6,
    Debug = 7,
}

impl Priority {
    /// All eight levels, most severe first.
    pub const ALL: [Priority; 8] = [
        Priority::Emergency,
        Priority::Alert,
        Priority::Critical,
        Priority::Error,
        Priority::Warning,
        Priority::Notice,
        Priority::Informational,
        Priority::Debug,
    ];

    /// The long name Falco prints in text and JSON alerts (`"Informational"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Emergency => "Emergency",
            Priority::Alert => "Alert",
            Priority::Critical => "Critical",
            Priority::Error => "Error",
            Priority::Warning => "Warning",
            Priority::Notice => "Notice",
            Priority::Informational => "Informational",
            Priority::Debug => "Debug",
        }
    }

    /// True when `self` is at least as severe as `min` (Falco's
    /// `priority <= min_priority` on the numeric values).
    pub fn at_least(self, min: Priority) -> bool {
        self <= min
    }
}

impl fmt::Display for Priority {
    /// The long name; honours width and alignment (`{:<13}`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Error for a priority name Falco does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid priority")]
pub struct InvalidPriority;

impl FromStr for Priority {
    type Err = InvalidPriority;

    /// Case-insensitive long names, plus `info` for `Informational`,
    /// as `falco_common::parse_priority` accepts.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.to_ascii_lowercase();
        if lower == "info" {
            return Ok(Priority::Informational);
        }
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(&lower))
            .ok_or(InvalidPriority)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_spelling_falco_accepts() {
        assert_eq!("WARNING".parse(), Ok(Priority::Warning));
        assert_eq!("info".parse(), Ok(Priority::Informational));
        assert_eq!("Info".parse(), Ok(Priority::Informational));
        assert_eq!("informational".parse(), Ok(Priority::Informational));
        assert_eq!("emergency".parse(), Ok(Priority::Emergency));
        assert!("warn".parse::<Priority>().is_err());
        assert!("".parse::<Priority>().is_err());
    }

    #[test]
    fn display_pads_like_a_string() {
        assert_eq!(format!("[{:<8}]", Priority::Error), "[Error   ]");
        assert_eq!(Priority::Notice.to_string(), "Notice");
    }

    #[test]
    fn order_is_most_severe_first() {
        assert!(Priority::Critical.at_least(Priority::Warning));
        assert!(Priority::Warning.at_least(Priority::Warning));
        assert!(!Priority::Notice.at_least(Priority::Warning));
    }
}
