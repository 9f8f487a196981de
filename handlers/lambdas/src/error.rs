//! The handlers' typed error, and the Lambda error type (`errorType`) each
//! variant becomes: the name the state machine's Retry and Catch rules match
//! (see `multiregion_core::statemachine::protocol::errors`).

use aws_sdk_route53::error::ProvideErrorMetadata;
use aws_smithy_types::error::display::DisplayErrorContext;
use multiregion_core::Route53Error;
use multiregion_core::dns::ReadError;
use multiregion_core::error::THROTTLING_CODES;
use multiregion_core::statemachine::protocol::errors;
use multiregion_core::swap::SwapError;

/// Why a handler failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandlerError {
    /// AWS throttled a call.
    #[error("throttled: {0}")]
    Throttled(String),
    /// An AWS call got no answer.
    #[error("no answer from AWS: {0}")]
    Transport(String),
    /// The compare-and-swap lost: the records changed since they were read.
    #[error("the compare-and-swap lost: {0}")]
    Conflict(String),
    /// The target region does not answer on its name.
    #[error("the standby is unhealthy: {0}")]
    StandbyUnhealthy(String),
    /// The last swap was too recent.
    #[error("the cooldown holds: {0}")]
    Cooldown(String),
    /// Automation is paused or off in this region.
    #[error("{0}")]
    Paused(String),
    /// The active region answers again.
    #[error("the active region answers again: {0}")]
    ActiveStillHealthy(String),
    /// The records are not as a swap leaves them.
    #[error("the records are not swappable: {0}")]
    RecordsBroken(String),
    /// The public name does not answer from the target (yet).
    #[error("the public name does not answer from the target: {0}")]
    NotServing(String),
    /// The standby's probe of the public name failed (the alarm counts
    /// these).
    #[error("the active name is unhealthy: {0}")]
    ActiveUnhealthy(String),
    /// The input cannot be used.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Anything else.
    #[error("{0}")]
    Failed(String),
}

impl HandlerError {
    /// The Lambda error type of this error.
    pub fn error_type(&self) -> &'static str {
        match self {
            HandlerError::Throttled(_) => errors::THROTTLED,
            HandlerError::Transport(_) => errors::TRANSPORT,
            HandlerError::Conflict(_) => errors::CONFLICT,
            HandlerError::StandbyUnhealthy(_) => errors::STANDBY_UNHEALTHY,
            HandlerError::Cooldown(_) => errors::COOLDOWN,
            HandlerError::Paused(_) => errors::PAUSED,
            HandlerError::ActiveStillHealthy(_) => errors::ACTIVE_STILL_HEALTHY,
            HandlerError::RecordsBroken(_) => errors::RECORDS_BROKEN,
            HandlerError::NotServing(_) => errors::NOT_SERVING,
            HandlerError::ActiveUnhealthy(_) => "ActiveUnhealthy",
            HandlerError::InvalidInput(_) => errors::INVALID_INPUT,
            HandlerError::Failed(_) => errors::FAILED,
        }
    }

    /// Classifies an error of any AWS SDK call.
    pub fn from_sdk<E, R>(operation: &str, error: aws_sdk_route53::error::SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
        R: std::fmt::Debug,
    {
        match error.as_service_error() {
            Some(service) => {
                let code = service.code().unwrap_or("Unknown");
                let text = format!(
                    "{operation}: {code}: {}",
                    service.message().unwrap_or_default()
                );
                if THROTTLING_CODES.contains(&code) {
                    HandlerError::Throttled(text)
                } else {
                    HandlerError::Failed(text)
                }
            }
            None => {
                HandlerError::Transport(format!("{operation}: {}", DisplayErrorContext(&error)))
            }
        }
    }
}

impl From<Route53Error> for HandlerError {
    fn from(error: Route53Error) -> Self {
        let text = error.to_string();
        match error {
            Route53Error::Conflict { .. } => HandlerError::Conflict(text),
            Route53Error::Throttled { .. } => HandlerError::Throttled(text),
            Route53Error::Transport { .. } => HandlerError::Transport(text),
            Route53Error::Rejected { .. } => HandlerError::Failed(text),
        }
    }
}

impl From<ReadError> for HandlerError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::Route53(e) => e.into(),
            other => HandlerError::Failed(other.to_string()),
        }
    }
}

impl From<SwapError> for HandlerError {
    fn from(error: SwapError) -> Self {
        match error {
            SwapError::Route53(e) => e.into(),
            SwapError::Read(e) => e.into(),
            SwapError::UnknownTarget(_) | SwapError::Ledger(_) => {
                HandlerError::InvalidInput(error.to_string())
            }
        }
    }
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(error: HandlerError) -> Self {
        lambda_runtime::Diagnostic {
            error_type: error.error_type().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_route53::operation::change_resource_record_sets::ChangeResourceRecordSetsError;
    use aws_sdk_route53::types::error::{InvalidChangeBatch, PriorRequestNotComplete};
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    /// Runs one ChangeResourceRecordSets against a mocked Route 53 that
    /// answers `error`, and returns the Lambda error type it becomes.
    async fn error_type_of(
        error: impl Fn() -> ChangeResourceRecordSetsError + Send + Sync + 'static,
    ) -> String {
        let rule = mock!(aws_sdk_route53::Client::change_resource_record_sets).then_error(error);
        let client = mock_client!(aws_sdk_route53, RuleMode::Sequential, [&rule]);
        let pair = multiregion_core::Pair {
            hosted_zone_id: "Z1".into(),
            active_name: "api.example.com".into(),
            standby_name: "standby-api.example.com".into(),
            regions: [endpoints("us-east-1"), endpoints("us-west-2")],
        };
        let failure = multiregion_core::swap::submit(&client, &pair, vec![], "test")
            .await
            .expect_err("the mock fails");
        lambda_runtime::Diagnostic::from(HandlerError::from(failure)).error_type
    }

    /// Error metadata as Route 53's XML error carries it.
    fn meta(code: &str, message: &str) -> aws_smithy_types::error::ErrorMetadata {
        aws_smithy_types::error::ErrorMetadata::builder()
            .code(code)
            .message(message)
            .build()
    }

    fn endpoints(region: &str) -> multiregion_core::RegionEndpoints {
        let target = |d: &str| multiregion_core::AliasTarget {
            dns_name: format!("d-{d}.execute-api.{region}.amazonaws.com"),
            hosted_zone_id: "ZR".into(),
        };
        multiregion_core::RegionEndpoints {
            region: multiregion_core::Region::new(region).unwrap(),
            active_target: target("a"),
            standby_target: target("s"),
        }
    }

    #[tokio::test]
    async fn route53_errors_map_to_the_names_retry_and_catch_match() {
        let conflict = || {
            ChangeResourceRecordSetsError::InvalidChangeBatch(
                InvalidChangeBatch::builder()
                    .meta(meta("InvalidChangeBatch", "Tried to delete resource record set [name='api.example.com.', type='A'] but it was not found"))
                    .build(),
            )
        };
        let invalid = || {
            ChangeResourceRecordSetsError::InvalidChangeBatch(
                InvalidChangeBatch::builder()
                    .meta(meta(
                        "InvalidChangeBatch",
                        "RRSet with DNS name x. is not permitted in zone example.com.",
                    ))
                    .build(),
            )
        };
        let prior = || {
            ChangeResourceRecordSetsError::PriorRequestNotComplete(
                PriorRequestNotComplete::builder()
                    .meta(meta("PriorRequestNotComplete", "busy"))
                    .build(),
            )
        };
        assert_eq!(error_type_of(conflict).await, "Conflict");
        assert_eq!(error_type_of(prior).await, "Retryable.Throttled");
        assert_eq!(
            error_type_of(invalid).await,
            "Failed",
            "only a lost race is a Conflict"
        );
    }

    #[test]
    fn every_variant_has_the_protocol_name() {
        let cases = [
            (
                HandlerError::Throttled(String::new()),
                "Retryable.Throttled",
            ),
            (
                HandlerError::Transport(String::new()),
                "Retryable.Transport",
            ),
            (HandlerError::Conflict(String::new()), "Conflict"),
            (
                HandlerError::StandbyUnhealthy(String::new()),
                "StandbyUnhealthy",
            ),
            (
                HandlerError::ActiveStillHealthy(String::new()),
                "ActiveStillHealthy",
            ),
            (HandlerError::Cooldown(String::new()), "Cooldown"),
            (HandlerError::Paused(String::new()), "Paused"),
            (HandlerError::RecordsBroken(String::new()), "RecordsBroken"),
            (HandlerError::NotServing(String::new()), "NotServing"),
            (HandlerError::InvalidInput(String::new()), "InvalidInput"),
            (HandlerError::Failed(String::new()), "Failed"),
        ];
        for (error, name) in cases {
            let diagnostic = lambda_runtime::Diagnostic::from(error.clone());
            assert_eq!(diagnostic.error_type, name, "{error:?}");
            assert_eq!(diagnostic.error_message, error.to_string());
        }
    }
}
