//! AWS access: configuration from the standard chain plus the command-line
//! overrides shared by every AWS-facing command.
//!
//! Credentials come from the AWS SDK's default chain (environment, shared
//! config and credentials files with profiles, SSO, web identity, ECS and
//! EC2 instance roles). `AWS_ENDPOINT_URL` (and the per-service
//! `AWS_ENDPOINT_URL_S3`, `AWS_ENDPOINT_URL_SQS`) are honoured by the SDK;
//! `--endpoint-url` overrides them.

use aws_config::{BehaviorVersion, Region, SdkConfig};

/// `--region`, `--profile`, `--endpoint-url`.
#[derive(Debug, Clone, Default)]
pub struct AwsOptions {
    /// Region of the API calls; otherwise the chain's (`AWS_REGION`,
    /// profile), otherwise [`DEFAULT_REGION`].
    pub region: Option<String>,
    /// Named profile of the shared config files (`AWS_PROFILE` otherwise).
    pub profile: Option<String>,
    /// Endpoint for every service, e.g. a local emulator
    /// (`http://127.0.0.1:5000`) or a VPC endpoint.
    pub endpoint_url: Option<String>,
}

/// Region used when none is configured anywhere (the SDK needs one to sign).
pub const DEFAULT_REGION: &str = "us-east-1";

/// Load the SDK configuration.
pub async fn sdk_config(opts: &AwsOptions) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(Region::new(r.clone()));
    }
    if let Some(e) = &opts.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    let config = loader.load().await;
    if config.region().is_some() {
        return config;
    }
    config
        .into_builder()
        .region(Region::from_static(DEFAULT_REGION))
        .build()
}

/// An S3 client. With a custom endpoint, path-style addressing is used
/// (`http://host/bucket/key`): emulators and most VPC endpoints need it.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let mut b = aws_sdk_s3::config::Builder::from(config);
    if config.endpoint_url().is_some() || custom_s3_endpoint_in_env() {
        b = b.force_path_style(true);
    }
    aws_sdk_s3::Client::from_conf(b.build())
}

fn custom_s3_endpoint_in_env() -> bool {
    ["AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|s| !s.is_empty()))
}

/// An SQS client.
pub fn sqs_client(config: &SdkConfig) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(config)
}

/// An SDK error with its whole chain of causes on one line (the SDK's own
/// `Display` says only "service error").
pub fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut s = err.to_string();
    let mut cur = err.source();
    while let Some(e) = cur {
        let m = e.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = e.source();
    }
    s
}

/// The loaded SDK configuration.
pub use aws_config::SdkConfig as AwsConfig;
/// The SDK crates, for callers that hold clients.
pub use aws_sdk_s3 as s3_sdk;
pub use aws_sdk_sqs as sqs_sdk;
