//! # saker-ingest — where CloudTrail data comes from
//!
//! A *source unit* is the smallest piece of input that is read, decoded and
//! acknowledged as a whole: a file, standard input, (later) an S3 object or
//! an SQS message. This crate turns what the user named on the command line
//! into source units and reads them.

pub mod inputs;

pub use inputs::{expand_inputs, InputError, SourceUnit};
