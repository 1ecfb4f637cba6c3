//! # saker-ingest — where CloudTrail data comes from
//!
//! A *source unit* is the smallest piece of input that is read, decoded and
//! acknowledged as a whole: a file, standard input, an S3 object or the
//! body of an SQS message. This crate turns what the user named on the
//! command line into source units and reads them:
//!
//! * [`inputs`]: files, directories, stdin;
//! * [`aws`]: AWS SDK configuration (`--region`, `--profile`, `--endpoint-url`);
//! * [`s3`]: CloudTrail deliveries in S3 (layout discovery, listing, download);
//! * [`sqs`]: notifications in SQS (message shapes, receive/extend/delete).

pub mod aws;
pub mod inputs;
pub mod s3;
pub mod sqs;

pub use inputs::{expand_inputs, InputError, SourceUnit};
