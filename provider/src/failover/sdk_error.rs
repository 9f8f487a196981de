//! What the resource's code reads from an AWS SDK error, in one place for
//! the regions' APIs and domains and for the runtime's apparatus: the
//! message a diagnostic shows, the service's error code, and a delete that
//! counts "not found" as done.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The SDK's message of an error, with its code when it has one.
pub(crate) fn sdk_message<E, R>(error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match error.as_service_error() {
        Some(service) => format!(
            "{}: {}",
            service.code().unwrap_or("error"),
            service.message().unwrap_or_default()
        ),
        None => format!(
            "{}",
            aws_smithy_types::error::display::DisplayErrorContext(error)
        ),
    }
}

/// The error code of an SDK error, if the service gave one.
pub(crate) fn code<E, R>(error: &SdkError<E, R>) -> Option<&str>
where
    E: ProvideErrorMetadata,
{
    error.as_service_error().and_then(|e| e.code())
}

/// The outcome of a delete: done, also when the service answers `missing`
/// (the code it gives for a thing that does not exist).
pub(crate) fn deleted<T, E, R>(
    result: Result<T, SdkError<E, R>>,
    missing: &str,
) -> Result<(), SdkError<E, R>>
where
    E: ProvideErrorMetadata,
{
    match result {
        Ok(_) => Ok(()),
        Err(e) if code(&e) == Some(missing) => Ok(()),
        Err(e) => Err(e),
    }
}
