//! # saker-cloudtrail — CloudTrail records for the rule engine
//!
//! Container decoding (S3 delivery files, arrays, JSON lines, CloudWatch Logs
//! and EventBridge envelopes, gzip) and the `aws_cloudtrail` field table
//! (`ct.*`, `s3.*`, `ec2.*`, `ecr.*`, `iam.*`, `json.*`, `evt.*`) with the
//! semantics of Falco's CloudTrail and json plugins
//! (`shared/reference/falco.md` §6).
