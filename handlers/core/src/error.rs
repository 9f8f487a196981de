//! Route 53 errors, classified narrowly into what callers act on.

use aws_sdk_route53::error::{ProvideErrorMetadata, SdkError};

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
    #[error("Route 53 throttled {operation} ({code}): {message}")]
    Throttled {
        /// The operation that was throttled.
        operation: &'static str,
        /// Route 53's error code.
        code: String,
        /// Route 53's message.
        message: String,
    },
    /// Route 53 refused the call for another reason.
    #[error("Route 53 refused {operation} ({code}): {message}")]
    Rejected {
        /// The operation that was refused.
        operation: &'static str,
        /// Route 53's error code.
        code: String,
        /// Route 53's message.
        message: String,
    },
    /// The call did not get an answer: a timeout, a connection failure, or a
    /// response that could not be read.
    #[error("calling Route 53 {operation} failed: {message}")]
    Transport {
        /// The operation that failed.
        operation: &'static str,
        /// What went wrong.
        message: String,
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

/// Classifies a Route 53 SDK error from `operation`.
pub fn classify<E, R>(operation: &'static str, error: SdkError<E, R>) -> Route53Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &error {
        SdkError::ServiceError(context) => {
            let service = context.err();
            let code = service.code().unwrap_or("Unknown").to_owned();
            let message = service.message().unwrap_or_default().to_owned();
            if THROTTLING_CODES.contains(&code.as_str()) {
                Route53Error::Throttled {
                    operation,
                    code,
                    message,
                }
            } else if code == "InvalidChangeBatch" && is_conflict_message(&message) {
                Route53Error::Conflict { message }
            } else {
                Route53Error::Rejected {
                    operation,
                    code,
                    message,
                }
            }
        }
        other => Route53Error::Transport {
            operation,
            message: aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        },
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
