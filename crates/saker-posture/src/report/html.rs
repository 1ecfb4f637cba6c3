//! html report (in progress).
