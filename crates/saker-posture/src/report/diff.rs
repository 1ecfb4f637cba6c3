//! diff report (in progress).
