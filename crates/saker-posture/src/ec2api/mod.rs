//! A small AWS Query-protocol client for EC2, IAM and STS.
//!
//! Requests are form-encoded POSTs (`Action=…&Version=…`), signed with
//! SigV4 by `aws-sigv4` and sent with `reqwest`; responses are XML read
//! into a [`xml::Node`] tree. Credentials, region and profile come from
//! `aws-config` (the SDK's default chain; `sts:AssumeRole` through its
//! provider). `aws-sdk-ec2` is deliberately not used: it costs ~14 minutes
//! and ~8 GB of compiler memory on two cores (`DESIGN.md`), for the two
//! dozen read-only calls the collector needs.
//!
//! Every call goes through [`Client::call`]: the (account, region, API)
//! token bucket of [`retry::Limiter`], then up to
//! [`RetryConfig::max_attempts`] requests with full-jitter exponential
//! backoff on throttling, 5xx and transport errors. [`Client::pages`]
//! follows `NextToken` (EC2) or `IsTruncated`/`Marker` (IAM). Every request
//! is counted in [`ApiStats`].
//!
//! API versions: EC2 `2016-11-15`, IAM `2010-05-08`, STS `2011-06-15`.

pub mod creds;
pub mod error;
pub mod query;
pub mod retry;
pub mod stats;
pub mod xml;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;

pub use creds::CredentialSource;
pub use error::{ApiError, ErrorKind};
pub use query::Params;
pub use retry::{Limiter, RetryConfig};
pub use stats::{ApiCounts, ApiStats};
pub use xml::Node;

/// The services the collector calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Ec2,
    Iam,
    Sts,
}

impl Service {
    /// Signing name and the prefix of API names in stats (`ec2`, `iam`,
    /// `sts`).
    pub fn name(self) -> &'static str {
        match self {
            Service::Ec2 => "ec2",
            Service::Iam => "iam",
            Service::Sts => "sts",
        }
    }

    /// The Query API version sent in `Version=`.
    pub fn version(self) -> &'static str {
        match self {
            Service::Ec2 => "2016-11-15",
            Service::Iam => "2010-05-08",
            Service::Sts => "2011-06-15",
        }
    }

    /// `AWS_ENDPOINT_URL_<SERVICE>`.
    fn endpoint_env(self) -> &'static str {
        match self {
            Service::Ec2 => "AWS_ENDPOINT_URL_EC2",
            Service::Iam => "AWS_ENDPOINT_URL_IAM",
            Service::Sts => "AWS_ENDPOINT_URL_STS",
        }
    }
}

/// The partition of a region: `aws`, `aws-cn` or `aws-us-gov`.
pub fn partition_of(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The AWS endpoint and signing region of `service` for calls about
/// `region`: `https://ec2.{region}.amazonaws.com`,
/// `https://sts.{region}.amazonaws.com`, and IAM's global endpoint per
/// partition (`https://iam.amazonaws.com`, signed for `us-east-1`).
pub fn aws_endpoint(service: Service, region: &str) -> (String, String) {
    let partition = partition_of(region);
    let suffix = if partition == "aws-cn" {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    };
    match (service, partition) {
        (Service::Iam, "aws-cn") => (
            "https://iam.cn-north-1.amazonaws.com.cn/".into(),
            "cn-north-1".into(),
        ),
        (Service::Iam, "aws-us-gov") => (
            "https://iam.us-gov.amazonaws.com/".into(),
            "us-gov-west-1".into(),
        ),
        (Service::Iam, _) => ("https://iam.amazonaws.com/".into(), "us-east-1".into()),
        (s, _) => (
            format!("https://{}.{region}.{suffix}/", s.name()),
            region.to_string(),
        ),
    }
}

/// Settings of a [`Client`].
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// One endpoint for every service (an emulator such as moto, a proxy).
    /// `None`: `AWS_ENDPOINT_URL_EC2` / `_IAM` / `_STS` if set, else the
    /// AWS endpoint of [`aws_endpoint`].
    pub endpoint_url: Option<String>,
    pub retry: RetryConfig,
    /// Whole-request timeout; default 60 s.
    pub timeout: Option<Duration>,
}

/// A signed-request client for one set of credentials (one account).
/// Cheap to clone; clones share credentials, limiter and stats.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    creds: CredentialSource,
    config: ClientConfig,
    limiter: Arc<Limiter>,
    stats: ApiStats,
    /// The account id, once known (limiter keys).
    account: OnceLock<String>,
}

impl Client {
    /// A client signing with `creds`. `limiter` and `stats` may be shared
    /// with other clients of the same run.
    ///
    /// # Errors
    /// The HTTP client cannot be built (TLS initialisation).
    pub fn new(
        creds: CredentialSource,
        config: ClientConfig,
        limiter: Arc<Limiter>,
        stats: ApiStats,
    ) -> Result<Client, ApiError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(config.timeout.unwrap_or(Duration::from_secs(60)))
            .build()
            .map_err(|e| ApiError::transport(creds::error_chain(&e)))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                creds,
                config,
                limiter,
                stats,
                account: OnceLock::new(),
            }),
        })
    }

    /// The request counts (shared with every client built with the same
    /// [`ApiStats`]).
    pub fn stats(&self) -> &ApiStats {
        &self.inner.stats
    }

    /// The role the client's credentials are assumed from.
    pub fn role_arn(&self) -> Option<&str> {
        self.inner.creds.role_arn()
    }

    /// Set the account id used in rate-limiter keys (after
    /// `GetCallerIdentity`). Only the first call has an effect.
    pub fn set_account(&self, account: &str) {
        let _ = self.inner.account.set(account.to_string());
    }

    /// The account id, once set.
    pub fn account(&self) -> Option<&str> {
        self.inner.account.get().map(String::as_str)
    }

    fn endpoint(&self, service: Service, region: &str) -> (String, String) {
        let (aws, signing_region) = aws_endpoint(service, region);
        let custom = self.inner.config.endpoint_url.clone().or_else(|| {
            std::env::var(service.endpoint_env())
                .ok()
                .filter(|s| !s.is_empty())
        });
        match custom {
            Some(mut url) => {
                if !url[url.find("://").map_or(0, |i| i + 3)..].contains('/') {
                    url.push('/');
                }
                (url, signing_region)
            }
            None => (aws, signing_region),
        }
    }

    /// One API call, with rate limiting and retries; the response's root
    /// element on success.
    ///
    /// # Errors
    /// The AWS error of the last attempt (see [`ApiError`]); `Parse` for a
    /// 2xx response that is not XML.
    pub async fn call(
        &self,
        service: Service,
        region: &str,
        action: &str,
        params: &Params,
    ) -> Result<Node, ApiError> {
        let api = format!("{}:{action}", service.name());
        let key = (
            self.account().unwrap_or("-").to_string(),
            region.to_string(),
            api.clone(),
        );
        let retry = self.inner.config.retry;
        let max = retry.max_attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            self.inner.limiter.acquire(&key).await;
            self.inner.stats.record_request(&api);
            if attempt > 1 {
                self.inner.stats.record_retry(&api);
            }
            let result = self.send_once(service, region, action, params).await;
            match result {
                Ok(node) => {
                    self.inner.limiter.on_success(&key);
                    return Ok(node);
                }
                Err(mut e) => {
                    let kind = e.kind();
                    if kind == ErrorKind::Throttling {
                        self.inner.stats.record_throttle(&api);
                        self.inner.limiter.on_throttle(&key);
                    }
                    if kind == ErrorKind::Permanent || attempt >= max {
                        e.attempts = attempt;
                        self.inner.stats.record_failure(&api);
                        return Err(e);
                    }
                    tokio::time::sleep(retry.backoff(attempt)).await;
                }
            }
        }
    }

    async fn send_once(
        &self,
        service: Service,
        region: &str,
        action: &str,
        params: &Params,
    ) -> Result<Node, ApiError> {
        let creds = self.inner.creds.get(&self.inner.stats).await?;
        let (url, signing_region) = self.endpoint(service, region);
        let body = params.body(action, service.version());
        let content_type = "application/x-www-form-urlencoded; charset=utf-8";
        let identity: Identity = creds.into();
        let signing_params = v4::SigningParams::builder()
            .identity(&identity)
            .region(&signing_region)
            .name(service.name())
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| ApiError::transport(format!("signing: {e}")))?
            .into();
        let signable = SignableRequest::new(
            "POST",
            url.as_str(),
            [("content-type", content_type)].into_iter(),
            SignableBody::Bytes(body.as_bytes()),
        )
        .map_err(|e| ApiError::transport(format!("signing {url}: {e}")))?;
        let (instructions, _signature) = sign(signable, &signing_params)
            .map_err(|e| ApiError::transport(format!("signing: {e}")))?
            .into_parts();
        let mut req = self
            .inner
            .http
            .post(&url)
            .header("content-type", content_type);
        for (name, value) in instructions.headers() {
            req = req.header(name, value);
        }
        let resp = req
            .body(body)
            .send()
            .await
            .map_err(|e| ApiError::transport(format!("{url}: {}", creds::error_chain(&e))))?;
        let status = resp.status().as_u16();
        let text = resp
            .text()
            .await
            .map_err(|e| ApiError::transport(format!("{url}: {}", creds::error_chain(&e))))?;
        if !(200..300).contains(&status) {
            return Err(ApiError::from_response(status, &text));
        }
        xml::parse(&text).map_err(|e| ApiError::parse(format!("{action} response: {e}")))
    }

    /// A paginated call: the items `extract` takes from every page.
    /// EC2 pages continue while the response has a `nextToken` (sent back as
    /// `NextToken`); IAM pages while `<…Result><IsTruncated>` is true (the
    /// `Marker` sent back).
    ///
    /// # Errors
    /// The first failed page's error; `Parse` when `extract` fails or a
    /// token repeats (a server that would loop forever).
    pub async fn pages<T>(
        &self,
        service: Service,
        region: &str,
        action: &str,
        params: &Params,
        mut extract: impl FnMut(&Node) -> Result<Vec<T>, String>,
    ) -> Result<Vec<T>, ApiError> {
        let mut out = Vec::new();
        let mut params = params.clone();
        let mut seen_tokens = std::collections::HashSet::new();
        loop {
            let root = self.call(service, region, action, &params).await?;
            out.extend(
                extract(&root).map_err(|e| ApiError::parse(format!("{action} response: {e}")))?,
            );
            let next = match service {
                Service::Ec2 => root.string("nextToken").map(|t| ("NextToken", t)),
                Service::Iam | Service::Sts => root
                    .children
                    .iter()
                    .find(|c| c.name.ends_with("Result"))
                    .filter(|r| r.text("IsTruncated") == Some("true"))
                    .and_then(|r| r.string("Marker"))
                    .map(|t| ("Marker", t)),
            };
            match next {
                None => return Ok(out),
                Some((name, token)) => {
                    if !seen_tokens.insert(token.clone()) {
                        return Err(ApiError::parse(format!(
                            "{action}: pagination token {token:?} repeated"
                        )));
                    }
                    params = params.replace(name, token);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_endpoints_by_partition() {
        assert_eq!(
            aws_endpoint(Service::Ec2, "eu-west-1"),
            (
                "https://ec2.eu-west-1.amazonaws.com/".into(),
                "eu-west-1".into()
            )
        );
        assert_eq!(
            aws_endpoint(Service::Iam, "eu-west-1"),
            ("https://iam.amazonaws.com/".into(), "us-east-1".into())
        );
        assert_eq!(
            aws_endpoint(Service::Sts, "cn-north-1").0,
            "https://sts.cn-north-1.amazonaws.com.cn/"
        );
        assert_eq!(
            aws_endpoint(Service::Iam, "us-gov-east-1").1,
            "us-gov-west-1"
        );
        assert_eq!(partition_of("cn-northwest-1"), "aws-cn");
    }
}
