//! Faults the proxy injects, matched by region, service, operation and
//! caller, and the error bodies each AWS protocol uses for them.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::clock::EpochMs;
use crate::request::{AwsRequest, Protocol};

/// The Route 53 operations that record changes and health checks go
/// through: the control plane in us-east-1. DNS answers (and the health
/// checkers' verdicts) are the data plane and go on being served while
/// these fail ([`Fault::route53_control_plane_down`]).
pub const ROUTE53_CONTROL_PLANE: &[&str] = &[
    "ChangeResourceRecordSets",
    "GetChange",
    "CreateHealthCheck",
    "UpdateHealthCheck",
    "DeleteHealthCheck",
    "GetHealthCheck",
    "ListHealthChecks",
    "GetHealthCheckStatus",
];

/// What an injected fault does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum FaultKind {
    /// Answer 503 `ServiceUnavailable` in the service's protocol.
    Unavailable,
    /// Answer the service's throttling error (`Throttling`,
    /// `TooManyRequestsException`, `ThrottlingException`).
    Throttle,
    /// Answer `PriorRequestNotComplete` (Route 53's other "slow down").
    PriorRequestNotComplete,
    /// Hold the request this long, then forward it.
    Delay {
        /// Milliseconds.
        millis: u64,
    },
    /// Close the connection without an answer.
    Drop,
    /// Answer `status` with an HTML page and no AWS error body, as a load
    /// balancer or an internal failure does (moto answers its own internal
    /// errors so): the SDK finds no error code or message in it. The answer
    /// carries `x-amzn-RequestId: `[`HTML_REQUEST_ID`] when `request_id`.
    Html {
        /// The HTTP status, for example 500 or 502.
        status: u16,
        /// Whether the answer carries a request id.
        #[serde(default)]
        request_id: bool,
    },
    /// Hold the request until the test releases it
    /// ([`crate::Proxy::release_held`]), then forward it: how a test makes
    /// two callers race deterministically.
    Hold,
}

/// A fault rule. Empty filters match everything; `times` limits how many
/// requests it hits (then it is spent).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Fault {
    /// Only requests signed for this region.
    #[serde(default)]
    pub region: Option<String>,
    /// Only requests for this signing name (`route53`, `apigateway`, ...).
    #[serde(default)]
    pub service: Option<String>,
    /// Only this operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// Only these operations (empty: any).
    #[serde(default)]
    pub operations: Vec<String>,
    /// Only from this time on the bench's clock (ms since the epoch).
    #[serde(default)]
    pub from_ms: Option<EpochMs>,
    /// Only before this time on the bench's clock.
    #[serde(default)]
    pub until_ms: Option<EpochMs>,
    /// Only requests signed with this access key id.
    #[serde(default)]
    pub access_key: Option<String>,
    /// What to do.
    pub kind: Option<FaultKind>,
    /// How many requests to hit; `None` is every one.
    #[serde(default)]
    pub times: Option<u32>,
}

impl Fault {
    /// A fault of `kind` on every request.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind: Some(kind),
            ..Fault::default()
        }
    }

    /// Only in `region`.
    pub fn region(mut self, region: &str) -> Self {
        self.region = Some(region.to_owned());
        self
    }

    /// Only for `service`.
    pub fn service(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }

    /// Only for `operation`.
    pub fn operation(mut self, operation: &str) -> Self {
        self.operation = Some(operation.to_owned());
        self
    }

    /// Only for these operations.
    pub fn operations(mut self, operations: &[&str]) -> Self {
        self.operations = operations.iter().map(|o| (*o).to_owned()).collect();
        self
    }

    /// Only between `from` (included) and `until` (excluded) on the bench's
    /// clock, in ms since the epoch.
    pub fn between(mut self, from: EpochMs, until: EpochMs) -> Self {
        self.from_ms = Some(from);
        self.until_ms = Some(until);
        self
    }

    /// Route 53's control plane down: record changes, change status and the
    /// health-check APIs answer with `kind` ([`FaultKind::Unavailable`], or
    /// [`FaultKind::Drop`] for a time-out), while resolvers keep answering.
    pub fn route53_control_plane_down(kind: FaultKind) -> Self {
        Fault::new(kind)
            .service("route53")
            .operations(ROUTE53_CONTROL_PLANE)
    }

    /// Only for callers signing with `access_key`.
    pub fn access_key(mut self, access_key: &str) -> Self {
        self.access_key = Some(access_key.to_owned());
        self
    }

    /// Only the next `times` matching requests.
    pub fn times(mut self, times: u32) -> Self {
        self.times = Some(times);
        self
    }

    /// Whether the rule applies to `request` at `now` on the bench's clock.
    pub fn matches(&self, request: &AwsRequest, now: EpochMs) -> bool {
        let is =
            |filter: &Option<String>, value: &str| filter.as_deref().is_none_or(|f| f == value);
        self.times != Some(0)
            && self.from_ms.is_none_or(|from| now >= from)
            && self.until_ms.is_none_or(|until| now < until)
            && (self.operations.is_empty() || self.operations.contains(&request.operation))
            && is(&self.region, &request.region)
            && is(&self.service, &request.service)
            && is(&self.operation, &request.operation)
            && is(&self.access_key, &request.access_key)
    }

    /// The delay of a `Delay` fault.
    pub fn delay(&self) -> Option<Duration> {
        match self.kind {
            Some(FaultKind::Delay { millis }) => Some(Duration::from_millis(millis)),
            _ => None,
        }
    }
}

/// The request id of [`FaultKind::Html`] answers that carry one.
pub const HTML_REQUEST_ID: &str = "bench-html-500-request-id";

/// An answer the proxy makes itself: status, headers and body.
pub type Canned = (u16, Vec<(String, String)>, String);

/// An error answer in `protocol`'s shape.
pub fn error_response(protocol: Protocol, status: u16, code: &str, message: &str) -> Canned {
    let id = crate::request_id();
    match protocol {
        Protocol::RestXml | Protocol::Query => {
            let ns = if protocol == Protocol::RestXml {
                " xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\""
            } else {
                ""
            };
            let kind = if status >= 500 { "Receiver" } else { "Sender" };
            (
                status,
                vec![
                    ("content-type".into(), "text/xml".into()),
                    ("x-amzn-requestid".into(), id.clone()),
                ],
                format!(
                    "<?xml version=\"1.0\"?>\n<ErrorResponse{ns}><Error><Type>{kind}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{id}</RequestId></ErrorResponse>",
                    crate::xml::escape(message)
                ),
            )
        }
        Protocol::RestJson => (
            status,
            vec![
                ("content-type".into(), "application/json".into()),
                ("x-amzn-errortype".into(), code.into()),
                ("x-amzn-requestid".into(), id),
            ],
            serde_json::json!({ "message": message }).to_string(),
        ),
        Protocol::AwsJson => (
            status,
            vec![
                ("content-type".into(), "application/x-amz-json-1.0".into()),
                ("x-amzn-requestid".into(), id),
            ],
            serde_json::json!({ "__type": code, "message": message }).to_string(),
        ),
    }
}

/// The answer a fault gives instead of forwarding, if it gives one.
pub fn fault_response(kind: FaultKind, request: &AwsRequest) -> Option<Canned> {
    let protocol = request.protocol();
    match kind {
        FaultKind::Unavailable => Some(error_response(
            protocol,
            503,
            "ServiceUnavailable",
            "Service Unavailable (injected by the bench)",
        )),
        FaultKind::Throttle => Some(match protocol {
            Protocol::RestXml | Protocol::Query => {
                error_response(protocol, 400, "Throttling", "Rate exceeded")
            }
            Protocol::RestJson => error_response(
                protocol,
                429,
                "TooManyRequestsException",
                "Too Many Requests",
            ),
            Protocol::AwsJson => {
                error_response(protocol, 400, "ThrottlingException", "Rate exceeded")
            }
        }),
        FaultKind::PriorRequestNotComplete => Some(error_response(
            protocol,
            400,
            "PriorRequestNotComplete",
            "The request was rejected because Route 53 was still processing a prior request.",
        )),
        FaultKind::Html { status, request_id } => {
            Some(html_response(status, request_id.then_some(HTML_REQUEST_ID)))
        }
        FaultKind::Delay { .. } | FaultKind::Drop | FaultKind::Hold => None,
    }
}

/// An HTML error page, with `x-amzn-RequestId` when `request_id` is given.
pub fn html_response(status: u16, request_id: Option<&str>) -> Canned {
    let mut headers = vec![("content-type".to_owned(), "text/html".to_owned())];
    if let Some(id) = request_id {
        headers.push(("x-amzn-RequestId".to_owned(), id.to_owned()));
    }
    let page = format!(
        "<!DOCTYPE html>\n<html><head><title>{status} Internal Server Error</title></head>\n\
         <body><h1>Internal Server Error</h1><p>The server could not complete the request.</p></body></html>\n"
    );
    (status, headers, page)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_html_fault_has_no_aws_error_in_it() {
        let (status, headers, body) = html_response(500, Some(HTML_REQUEST_ID));
        assert_eq!(status, 500);
        assert!(body.starts_with("<!DOCTYPE html>"), "{body}");
        assert!(
            !body.contains("<Code>") && !body.contains("__type"),
            "{body}"
        );
        let names: Vec<&str> = headers.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["content-type", "x-amzn-RequestId"]);
        let (_, headers, _) = html_response(502, None);
        assert_eq!(headers.len(), 1);
    }
}
