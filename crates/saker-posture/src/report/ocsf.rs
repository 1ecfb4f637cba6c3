//! ocsf report (in progress).
