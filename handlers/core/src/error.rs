//! Route 53 errors, classified narrowly into what callers act on.

use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_route53::operation::RequestId;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_types::error::display::DisplayErrorContext;

/// Error codes that mean "slow down and try again" (any AWS service).
pub const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "PriorRequestNotComplete",
];

/// The phrases with which Route 53's `InvalidChangeBatch` says that a DELETE
/// did not match the current records or a CREATE found one already there.
/// Only these make a `Conflict`: any other `InvalidChangeBatch` (a name
/// outside the zone, a malformed record) is a bug or bad input, not a race.
const CONFLICT_PHRASES: &[&str] = &[
    "but it was not found",
    "but the values provided do not match the current values",
    "but it already exists",
];

/// What answered a failed call: its HTTP status and request id (from the
/// error's body, else the `x-amzn-RequestId` header every AWS answer
/// carries), or nothing when no answer came.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status, when an answer came.
    pub status: Option<u16>,
    /// AWS's request id, when the answer had one.
    pub request_id: Option<String>,
}

impl std::fmt::Display for Answer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.status, &self.request_id) {
            (Some(status), Some(id)) => write!(f, "HTTP {status}, request id {id}"),
            (Some(status), None) => write!(f, "HTTP {status}, no request id"),
            (None, _) => f.write_str("no answer"),
        }
    }
}

/// A failed Route 53 call, classified.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Route53Error {
    /// The change batch was based on records that have changed since they
    /// were read: another swap won. Re-read before deciding again.
    #[error("the records changed since they were read (another swap won): {message}")]
    Conflict {
        /// Route 53's message.
        message: String,
    },
    /// Route 53 asked us to slow down (`Throttling`, `PriorRequestNotComplete`).
    #[error("Route 53 throttled {operation} ({answer}): {code}: {message}")]
    Throttled {
        /// The operation that was throttled.
        operation: &'static str,
        /// Route 53's error code.
        code: String,
        /// Route 53's message.
        message: String,
        /// The status and request id of the answer.
        answer: Answer,
    },
    /// Route 53 refused the call for another reason.
    #[error("Route 53 refused {operation} ({answer}): {code}: {message}")]
    Rejected {
        /// The operation that was refused.
        operation: &'static str,
        /// Route 53's error code.
        code: String,
        /// Route 53's message.
        message: String,
        /// The status and request id of the answer.
        answer: Answer,
    },
    /// The call did not get a usable answer: a timeout, a connection
    /// failure, a failure on AWS's side (HTTP 5xx), or a response that could
    /// not be read.
    #[error("calling Route 53 {operation} failed ({answer}): {message}")]
    Transport {
        /// The operation that failed.
        operation: &'static str,
        /// What went wrong.
        message: String,
        /// The status and request id of the answer, if one came.
        answer: Answer,
    },
}

impl Route53Error {
    /// Whether trying the same thing again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            Route53Error::Throttled { .. } | Route53Error::Transport { .. }
        )
    }
}

/// Whether an `InvalidChangeBatch` message is a lost compare-and-swap.
/// Route 53 lists every failed change in one message (`[a, b]`); each must
/// be a conflict for the whole to be one.
pub fn is_conflict_message(message: &str) -> bool {
    let inner = message.trim().trim_start_matches('[').trim_end_matches(']');
    let mut parts = inner.split(", Tried ").peekable();
    parts.peek().is_some()
        && parts.all(|part| CONFLICT_PHRASES.iter().any(|phrase| part.contains(phrase)))
}

/// Classifies a Route 53 SDK error from `operation`. A 5xx, or an answer
/// whose body is not an AWS error (an HTML page from a load balancer), is a
/// [`Route53Error::Transport`]: retryable, and named by its status and
/// request id since it has no code.
pub fn classify<E>(operation: &'static str, error: SdkError<E, HttpResponse>) -> Route53Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let response = error.raw_response();
    let service = error.as_service_error();
    let answer = Answer {
        status: response.map(|r| r.status().as_u16()),
        request_id: service
            .and_then(|e| e.meta().request_id())
            .or_else(|| response.and_then(|r| r.request_id()))
            .map(str::to_owned),
    };
    let code = service.and_then(|e| e.code()).map(str::to_owned);
    let message = service
        .and_then(|e| e.message())
        .unwrap_or_default()
        .to_owned();
    match code {
        Some(code) if THROTTLING_CODES.contains(&code.as_str()) => Route53Error::Throttled {
            operation,
            code,
            message,
            answer,
        },
        Some(code) if code == "InvalidChangeBatch" && is_conflict_message(&message) => {
            Route53Error::Conflict { message }
        }
        Some(code) if answer.status.is_none_or(|status| status < 500) => Route53Error::Rejected {
            operation,
            code,
            message,
            answer,
        },
        Some(code) => Route53Error::Transport {
            operation,
            message: format!("{code}: {message} (a failure on AWS's side)"),
            answer,
        },
        None => {
            let message = match (&error, response) {
                (SdkError::ServiceError(_) | SdkError::ResponseError(_), Some(response)) => {
                    let kind = response
                        .headers()
                        .get("content-type")
                        .unwrap_or("no content type");
                    format!("the answer ({kind}) is not an AWS error the SDK can read")
                }
                _ => DisplayErrorContext(&error).to_string(),
            };
            Route53Error::Transport {
                operation,
                message,
                answer,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_lost_races_are_conflicts() {
        let yes = [
            "Tried to delete resource record set [name='api.example.com.', type='A'] but it was not found",
            "[Tried to delete resource record set [name='a.', type='A'] but the values provided do not match the current values, Tried to create resource record set [name='a.', type='A'] but it already exists]",
            "Tried to create resource record set [name='a.', type='TXT'] but it already exists",
        ];
        let no = [
            "",
            "RRSet with DNS name x. is not permitted in zone example.com.",
            "[Tried to create resource record set [name='a.', type='A'] but it already exists, Tried to create resource record set [name='b.', type='A'] but the record is invalid]",
            "Number of records limit of 1000 exceeded.",
        ];
        for message in yes {
            assert!(is_conflict_message(message), "{message}");
        }
        for message in no {
            assert!(!is_conflict_message(message), "{message}");
        }
    }
}
