//! AWS error responses and how the client classifies them.

use crate::ec2api::xml;
use crate::inventory::CollectError;

/// A failed API call: the AWS error code and message, or a transport /
/// parse failure (`code` = `Transport` / `Parse`).
///
/// Codes come from the error body: EC2 answers
/// `<Response><Errors><Error><Code>…</Code><Message>…</Message>`, IAM and
/// STS `<ErrorResponse><Error><Code>…`. A body that is not an AWS error
/// (an HTML page from a proxy, moto's 500 for an unimplemented action)
/// gives `HTTP<status>` and the start of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub code: String,
    pub message: String,
    /// HTTP status, when a response was received.
    pub status: Option<u16>,
    /// How many HTTP requests were made before giving up.
    pub attempts: u32,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if self.attempts > 1 {
            write!(f, " (after {} attempts)", self.attempts)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

impl From<ApiError> for CollectError {
    fn from(e: ApiError) -> Self {
        let message = if e.attempts > 1 {
            format!("{} (after {} attempts)", e.message, e.attempts)
        } else {
            e.message
        };
        CollectError {
            code: e.code,
            message,
        }
    }
}

/// Error codes that mean "slow down" (EC2 `RequestLimitExceeded`, IAM/STS
/// `Throttling`, the SDKs' list of throttling codes).
const THROTTLING_CODES: &[&str] = &[
    "RequestLimitExceeded",
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "RequestThrottled",
    "TooManyRequestsException",
    "SlowDown",
    "EC2ThrottledException",
    "PriorRequestNotComplete",
    "BandwidthLimitExceeded",
];

/// Error codes of transient server-side failures.
const TRANSIENT_CODES: &[&str] = &[
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "Unavailable",
    "RequestTimeout",
    "RequestTimeoutException",
    "IDPCommunicationError",
];

/// What the retry loop does with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Throttled: back off, and tell the rate limiter.
    Throttling,
    /// A 5xx, a transport failure: back off and try again.
    Transient,
    /// Access denied, bad parameter, not found, parse error: give up.
    Permanent,
}

impl ApiError {
    /// Build an error from a non-2xx response.
    pub fn from_response(status: u16, body: &str) -> ApiError {
        let (code, message) = match xml::parse(body) {
            Ok(root) => {
                let error = root
                    .path(&["Errors", "Error"])
                    .or_else(|| root.child("Error"))
                    .filter(|e| e.text("Code").is_some());
                match error {
                    Some(e) => (
                        e.text("Code").unwrap_or_default().to_string(),
                        e.text("Message").unwrap_or_default().to_string(),
                    ),
                    None => (format!("HTTP{status}"), snippet(body)),
                }
            }
            Err(_) => (format!("HTTP{status}"), snippet(body)),
        };
        ApiError {
            code,
            message,
            status: Some(status),
            attempts: 1,
        }
    }

    /// A failure to send the request or read the response.
    pub fn transport(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "Transport".into(),
            message: message.into(),
            status: None,
            attempts: 1,
        }
    }

    /// A response that is not the expected XML shape.
    pub fn parse(message: impl Into<String>) -> ApiError {
        ApiError {
            code: "Parse".into(),
            message: message.into(),
            status: None,
            attempts: 1,
        }
    }

    /// Classify for the retry loop.
    pub fn kind(&self) -> ErrorKind {
        if THROTTLING_CODES.contains(&self.code.as_str()) || self.status == Some(429) {
            ErrorKind::Throttling
        } else if self.code == "Transport"
            || TRANSIENT_CODES.contains(&self.code.as_str())
            || self.status.is_some_and(|s| s >= 500)
        {
            ErrorKind::Transient
        } else {
            ErrorKind::Permanent
        }
    }

    /// A "does not exist" answer to a describe by id
    /// (`InvalidGroup.NotFound`, `InvalidInstanceID.NotFound`,
    /// `InvalidAMIID.NotFound`, `NoSuchEntity`, …).
    pub fn is_not_found(&self) -> bool {
        self.code.ends_with(".NotFound")
            || self.code.ends_with("NotFound")
            || self.code == "NoSuchEntity"
    }
}

/// The first 200 characters of a body, on one line, for messages.
fn snippet(body: &str) -> String {
    let one_line: String = body
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(200)
        .collect();
    if one_line.is_empty() {
        "empty response body".into()
    } else {
        one_line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec2_error_body() {
        let e = ApiError::from_response(
            403,
            "<?xml version=\"1.0\"?><Response><Errors><Error><Code>UnauthorizedOperation</Code>\
             <Message>You are not authorized to perform this operation.</Message></Error></Errors>\
             <RequestID>x</RequestID></Response>",
        );
        assert_eq!(e.code, "UnauthorizedOperation");
        assert!(e.message.starts_with("You are not authorized"));
        assert_eq!(e.kind(), ErrorKind::Permanent);
    }

    #[test]
    fn iam_sts_error_body_and_throttling() {
        let e = ApiError::from_response(
            400,
            "<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error><Type>Sender</Type>\
             <Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>r</RequestId></ErrorResponse>",
        );
        assert_eq!(
            (e.code.as_str(), e.message.as_str()),
            ("Throttling", "Rate exceeded")
        );
        assert_eq!(e.kind(), ErrorKind::Throttling);
        let ec2 = ApiError::from_response(
            503,
            "<Response><Errors><Error><Code>RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors></Response>",
        );
        assert_eq!(ec2.kind(), ErrorKind::Throttling);
    }

    #[test]
    fn non_xml_bodies_and_transport_errors() {
        let e = ApiError::from_response(
            500,
            "<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>",
        );
        assert_eq!(e.code, "HTTP500");
        assert!(
            e.message.contains("500 Internal Server Error"),
            "{}",
            e.message
        );
        assert_eq!(e.kind(), ErrorKind::Transient);
        assert_eq!(
            ApiError::transport("connection refused").kind(),
            ErrorKind::Transient
        );
        assert_eq!(ApiError::parse("bad").kind(), ErrorKind::Permanent);
        let nf = ApiError::from_response(
            400,
            "<Response><Errors><Error><Code>InvalidAMIID.NotFound</Code><Message>m</Message></Error></Errors></Response>",
        );
        assert!(nf.is_not_found());
        assert_eq!(nf.kind(), ErrorKind::Permanent);
    }

    #[test]
    fn converts_to_collect_error_with_attempts() {
        let mut e = ApiError::transport("timed out");
        e.attempts = 4;
        let c: CollectError = e.into();
        assert_eq!(c.code, "Transport");
        assert_eq!(c.message, "timed out (after 4 attempts)");
    }
}
