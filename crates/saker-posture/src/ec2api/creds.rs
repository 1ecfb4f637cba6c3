//! Credentials for signing: the AWS SDK's default chain or an assumed role,
//! cached until shortly before they expire.

use std::time::{Duration, SystemTime};

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use aws_credential_types::Credentials;

use crate::ec2api::error::ApiError;
use crate::ec2api::stats::ApiStats;

/// Credentials are refreshed this long before they expire.
const REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// Where a client's credentials come from.
#[derive(Debug)]
pub struct CredentialSource {
    provider: SharedCredentialsProvider,
    /// The role assumed, when the provider is an `sts:AssumeRole` one.
    role_arn: Option<String>,
    cache: tokio::sync::Mutex<Option<Credentials>>,
}

impl CredentialSource {
    /// The credentials of an SDK configuration (the default chain:
    /// environment, profiles, SSO, web identity, container and instance
    /// roles).
    ///
    /// # Errors
    /// The configuration has no credentials provider.
    pub fn from_config(config: &SdkConfig) -> Result<CredentialSource, ApiError> {
        let provider = config.credentials_provider().ok_or_else(|| ApiError {
            code: "NoCredentials".into(),
            message: "no AWS credentials provider is configured".into(),
            status: None,
            attempts: 0,
        })?;
        Ok(CredentialSource {
            provider,
            role_arn: None,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// Credentials of `role_arn`, assumed with `sts:AssumeRole` from the
    /// configuration's credentials (session name `saker-posture`, optional
    /// external id). The STS endpoint and region are the configuration's.
    pub async fn assume_role(
        config: &SdkConfig,
        role_arn: &str,
        external_id: Option<&str>,
    ) -> CredentialSource {
        let mut b = AssumeRoleProvider::builder(role_arn)
            .session_name("saker-posture")
            .configure(config);
        if let Some(id) = external_id {
            b = b.external_id(id);
        }
        let provider = b.build().await;
        CredentialSource {
            provider: SharedCredentialsProvider::new(provider),
            role_arn: Some(role_arn.to_string()),
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// Fixed credentials (tests, embedding).
    pub fn fixed(credentials: Credentials) -> CredentialSource {
        CredentialSource {
            provider: SharedCredentialsProvider::new(credentials),
            role_arn: None,
            cache: tokio::sync::Mutex::new(None),
        }
    }

    /// The role these credentials are assumed from, if any.
    pub fn role_arn(&self) -> Option<&str> {
        self.role_arn.as_deref()
    }

    /// Current credentials, from the cache or freshly provided. An
    /// `sts:AssumeRole` refresh is counted in `stats` as `sts:AssumeRole`.
    ///
    /// # Errors
    /// The provider failed (no credentials, role not assumable): code
    /// `NoCredentials` or `AssumeRoleFailed`, with the SDK's cause chain.
    pub async fn get(&self, stats: &ApiStats) -> Result<Credentials, ApiError> {
        let mut cache = self.cache.lock().await;
        if let Some(c) = cache.as_ref() {
            let fresh = c
                .expiry()
                .is_none_or(|exp| exp > SystemTime::now() + REFRESH_MARGIN);
            if fresh {
                return Ok(c.clone());
            }
        }
        if self.role_arn.is_some() {
            stats.record_request("sts:AssumeRole");
        }
        match self.provider.provide_credentials().await {
            Ok(c) => {
                *cache = Some(c.clone());
                Ok(c)
            }
            Err(e) => {
                let code = if self.role_arn.is_some() {
                    "AssumeRoleFailed"
                } else {
                    "NoCredentials"
                };
                if self.role_arn.is_some() {
                    stats.record_failure("sts:AssumeRole");
                }
                Err(ApiError {
                    code: code.into(),
                    message: error_chain(&e),
                    status: None,
                    attempts: 1,
                })
            }
        }
    }
}

/// An error with its causes on one line.
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
