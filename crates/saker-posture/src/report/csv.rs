//! csv report (in progress).
