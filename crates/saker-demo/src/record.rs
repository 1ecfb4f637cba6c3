//! CloudTrail record shapes: who made a call (`userIdentity`) and the record
//! around a call, with keys in CloudTrail's order. The shapes follow the AWS
//! CloudTrail record contents reference (event version 1.09); every value
//! is made up for the fictional account.

use crate::json::{s, J};
use crate::rng::Rng;
use crate::time::Utc;

/// The fictional AWS account of the demo.
pub const ACCOUNT_ID: &str = "111122223333";
/// Its name, for messages.
pub const ACCOUNT_NAME: &str = "ExampleCorp";

/// Who makes a call.
#[derive(Debug, Clone)]
pub enum Actor {
    /// An IAM user with long-term access keys.
    IamUser {
        name: String,
        principal_id: String,
        access_key: String,
    },
    /// A role session (console federation, CI, instance profile, service-linked role).
    Role {
        role: String,
        role_id: String,
        session: String,
        access_key: String,
        mfa: bool,
        created: String,
        /// `userIdentity.invokedBy` when an AWS service calls with this role.
        invoked_by: Option<String>,
    },
    /// An AWS service acting in the account.
    Service { invoked_by: String },
    /// An OIDC (e.g. CI) identity calling `AssumeRoleWithWebIdentity`.
    WebIdentity { provider: String, subject: String },
}

impl Actor {
    pub fn iam_user(rng: &mut Rng, name: &str) -> Actor {
        Actor::IamUser {
            name: name.to_string(),
            principal_id: format!("AIDA{}", rng.upper_b32(17)),
            access_key: format!("AKIA{}", rng.upper_b32(16)),
        }
    }

    /// The `userIdentity` object.
    pub fn identity(&self) -> J {
        match self {
            Actor::IamUser {
                name,
                principal_id,
                access_key,
            } => J::obj([
                ("type", s("IAMUser")),
                ("principalId", s(principal_id)),
                ("arn", s(format!("arn:aws:iam::{ACCOUNT_ID}:user/{name}"))),
                ("accountId", s(ACCOUNT_ID)),
                ("accessKeyId", s(access_key)),
                ("userName", s(name)),
            ]),
            Actor::Role {
                role,
                role_id,
                session,
                access_key,
                mfa,
                created,
                invoked_by,
            } => {
                let mut id = J::obj([
                    ("type", s("AssumedRole")),
                    ("principalId", s(format!("{role_id}:{session}"))),
                    (
                        "arn",
                        s(format!(
                            "arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session}"
                        )),
                    ),
                    ("accountId", s(ACCOUNT_ID)),
                    ("accessKeyId", s(access_key)),
                    (
                        "sessionContext",
                        J::obj([
                            (
                                "sessionIssuer",
                                J::obj([
                                    ("type", s("Role")),
                                    ("principalId", s(role_id)),
                                    ("arn", s(role_arn(role))),
                                    ("accountId", s(ACCOUNT_ID)),
                                    ("userName", s(role)),
                                ]),
                            ),
                            ("webIdFederationData", J::obj::<&str>([])),
                            (
                                "attributes",
                                J::obj([
                                    ("creationDate", s(created)),
                                    ("mfaAuthenticated", s(if *mfa { "true" } else { "false" })),
                                ]),
                            ),
                        ]),
                    ),
                ]);
                if let Some(by) = invoked_by {
                    id.set("invokedBy", s(by));
                }
                id
            }
            Actor::Service { invoked_by } => {
                J::obj([("type", s("AWSService")), ("invokedBy", s(invoked_by))])
            }
            Actor::WebIdentity { provider, subject } => J::obj([
                ("type", s("WebIdentityUser")),
                (
                    "principalId",
                    s(format!("{provider}:sts.amazonaws.com:{subject}")),
                ),
                ("userName", s(subject)),
                ("identityProvider", s(provider)),
            ]),
        }
    }

    /// The ARN shown in alerts, if the identity has one.
    pub fn arn(&self) -> Option<String> {
        self.identity()
            .get("arn")
            .and_then(J::as_str)
            .map(String::from)
    }
}

/// `arn:aws:iam::ACCOUNT:role/NAME`.
pub fn role_arn(role: &str) -> String {
    if role.starts_with("AWSServiceRoleFor") {
        let svc = match role {
            "AWSServiceRoleForConfig" => "config.amazonaws.com",
            "AWSServiceRoleForAutoScaling" => "autoscaling.amazonaws.com",
            _ => "amazonaws.com",
        };
        format!("arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{svc}/{role}")
    } else {
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{role}")
    }
}

/// One API call, before it becomes a record.
#[derive(Debug, Clone)]
pub struct Call {
    /// Seconds since the Unix epoch.
    pub time: i64,
    pub source: &'static str,
    pub name: &'static str,
    pub region: String,
    pub actor: Actor,
    pub source_ip: String,
    pub user_agent: String,
    pub request: J,
    pub response: J,
    /// `(errorCode, errorMessage)` of a failed call.
    pub error: Option<(String, String)>,
    pub read_only: bool,
    /// `resources` array entries (`accountId`, `type`, `ARN`).
    pub resources: Vec<(String, String)>,
    /// `AwsApiCall` or `AwsConsoleSignIn`.
    pub event_type: &'static str,
    /// Extra top-level keys placed after `responseElements`
    /// (`additionalEventData`, …).
    pub additional: Option<J>,
    /// Whether the client connected over TLS itself (`tlsDetails`); AWS
    /// services calling internally have none.
    pub tls: bool,
    /// `sessionCredentialFromConsole: "true"`.
    pub console: bool,
}

impl Call {
    pub fn new(
        time: i64,
        source: &'static str,
        name: &'static str,
        region: &str,
        actor: &Actor,
    ) -> Call {
        Call {
            time,
            source,
            name,
            region: region.to_string(),
            actor: actor.clone(),
            source_ip: String::new(),
            user_agent: String::new(),
            request: J::Null,
            response: J::Null,
            error: None,
            read_only: name.starts_with("Describe")
                || name.starts_with("Get")
                || name.starts_with("List")
                || name.starts_with("Lookup")
                || name.starts_with("BatchCheck"),
            resources: Vec::new(),
            event_type: "AwsApiCall",
            additional: None,
            tls: true,
            console: false,
        }
    }

    pub fn from(mut self, ip: &str, user_agent: &str) -> Call {
        self.source_ip = ip.to_string();
        self.user_agent = user_agent.to_string();
        self
    }

    pub fn req(mut self, request: J) -> Call {
        self.request = request;
        self
    }

    pub fn resp(mut self, response: J) -> Call {
        self.response = response;
        self
    }

    pub fn failed(mut self, code: &str, message: &str) -> Call {
        self.error = Some((code.to_string(), message.to_string()));
        self.response = J::Null;
        self
    }

    pub fn internal(mut self) -> Call {
        self.tls = false;
        self
    }

    /// The CloudTrail record for this call, with fresh request and event ids.
    pub fn record(&self, rng: &mut Rng) -> J {
        let mut r = vec![
            ("eventVersion".to_string(), s("1.09")),
            ("userIdentity".to_string(), self.actor.identity()),
            (
                "eventTime".to_string(),
                s(Utc::from_unix(self.time).event_time()),
            ),
            ("eventSource".to_string(), s(self.source)),
            ("eventName".to_string(), s(self.name)),
            ("awsRegion".to_string(), s(&self.region)),
            ("sourceIPAddress".to_string(), s(&self.source_ip)),
            ("userAgent".to_string(), s(&self.user_agent)),
        ];
        if let Some((code, msg)) = &self.error {
            r.push(("errorCode".to_string(), s(code)));
            r.push(("errorMessage".to_string(), s(msg)));
        }
        r.push(("requestParameters".to_string(), self.request.clone()));
        r.push(("responseElements".to_string(), self.response.clone()));
        if let Some(J::Obj(extra)) = &self.additional {
            r.extend(extra.iter().cloned());
        }
        if self.event_type == "AwsApiCall" {
            r.push(("requestID".to_string(), s(rng.uuid())));
        }
        r.push(("eventID".to_string(), s(rng.uuid())));
        r.push(("readOnly".to_string(), J::Bool(self.read_only)));
        if !self.resources.is_empty() {
            let list = self
                .resources
                .iter()
                .map(|(ty, arn)| {
                    J::obj([
                        ("accountId", s(ACCOUNT_ID)),
                        ("type", s(ty)),
                        ("ARN", s(arn)),
                    ])
                })
                .collect();
            r.push(("resources".to_string(), J::Arr(list)));
        }
        r.push(("eventType".to_string(), s(self.event_type)));
        r.push(("managementEvent".to_string(), J::Bool(true)));
        r.push(("recipientAccountId".to_string(), s(ACCOUNT_ID)));
        r.push(("eventCategory".to_string(), s("Management")));
        if self.tls {
            let host = match self.source {
                "signin.amazonaws.com" => "signin.aws.amazon.com".to_string(),
                "iam.amazonaws.com" => "iam.amazonaws.com".to_string(),
                src => format!(
                    "{}.{}.amazonaws.com",
                    src.trim_end_matches(".amazonaws.com"),
                    self.region
                ),
            };
            r.push((
                "tlsDetails".to_string(),
                J::obj([
                    ("tlsVersion", s("TLSv1.3")),
                    ("cipherSuite", s("TLS_AES_128_GCM_SHA256")),
                    ("clientProvidedHostHeader", s(host)),
                ]),
            ));
        }
        if self.console {
            r.push(("sessionCredentialFromConsole".to_string(), s("true")));
        }
        J::Obj(r)
    }
}
