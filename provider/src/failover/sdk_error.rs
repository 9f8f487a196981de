//! What the resource's code reads from an AWS SDK error, in one place for
//! the regions' APIs and domains and for the runtime's apparatus: the
//! message a diagnostic shows, the service's error code, and a delete that
//! counts "not found" as done.
//!
//! Every message names the service, the operation, the HTTP status and the
//! request id (or says there was none), also when the body is not an AWS
//! error the SDK can read (an HTML 500 from a load balancer). The SDK knows
//! the operation (the `Metadata` in the operation's config bag) but an
//! `SdkError` does not carry it, so [`NameTheOperation`], an interceptor on
//! every client the provider builds, copies it onto the raw response as an
//! extension, where [`sdk_message`] finds it. An error without a response
//! (a timeout, a connection failure) names the operation from its error
//! type instead.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextMut;
use aws_smithy_runtime_api::client::orchestrator::{HttpResponse, Metadata};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use aws_types::request_id::RequestId;

/// Puts the operation's [`Metadata`] (service and operation name) on every
/// response, for [`sdk_message`].
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct NameTheOperation;

impl Intercept for NameTheOperation {
    fn name(&self) -> &'static str {
        "NameTheOperation"
    }

    fn modify_before_deserialization(
        &self,
        context: &mut BeforeDeserializationInterceptorContextMut<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            let metadata = metadata.clone();
            context.response_mut().add_extension(metadata);
        }
        Ok(())
    }
}

/// `API Gateway GetBasePathMappings`: from the response's [`Metadata`], else
/// from the operation's error type (`aws_sdk_apigateway::operation::
/// get_base_path_mappings::GetBasePathMappingsError`).
fn operation<E>(response: Option<&HttpResponse>) -> String {
    if let Some(metadata) = response.and_then(|r| r.extension::<Metadata>()) {
        return format!("{} {}", metadata.service(), metadata.name());
    }
    operation_of_type(std::any::type_name::<E>())
}

fn operation_of_type(type_name: &str) -> String {
    let mut segments = type_name.split("::");
    let service = segments
        .next()
        .and_then(|krate| krate.strip_prefix("aws_sdk_"))
        .unwrap_or("AWS");
    match type_name
        .rsplit("::")
        .next()
        .and_then(|e| e.strip_suffix("Error"))
    {
        Some(op) if !op.is_empty() && type_name.contains("::operation::") => {
            format!("{service} {op}")
        }
        _ => format!("{service} request"),
    }
}

/// The message of an SDK error: `<service> <operation> answered HTTP
/// <status> (request id <id> | no request id): <code>: <message>`, or what
/// kept the request from an answer.
///
/// The request id comes from the error's body, else from the
/// `x-amzn-RequestId` / `x-amz-request-id` header every AWS response
/// carries (Route 53's API reference, "RPC Responses":
/// <https://docs.amazonaws.cn/en_us/Route53/latest/APIReference/requests-rpc-responses.html>).
pub(crate) fn sdk_message<E>(error: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let response = error.raw_response();
    let operation = operation::<E>(response);
    let Some(response) = response else {
        return format!("{operation} got no answer: {}", DisplayErrorContext(error));
    };
    let status = response.status().as_u16();
    let service = error.as_service_error();
    let request_id = service
        .and_then(|e| e.meta().request_id())
        .or_else(|| response.request_id())
        .map_or_else(
            || "no request id".to_owned(),
            |id| format!("request id {id}"),
        );
    let what = match service.and_then(|e| e.code()) {
        Some(code) => match service.and_then(|e| e.message()) {
            Some(message) if !message.is_empty() => format!("{code}: {message}"),
            _ => code.to_owned(),
        },
        None => {
            let kind = response
                .headers()
                .get("content-type")
                .unwrap_or("no content type");
            format!("the answer ({kind}) is not an AWS error the SDK can read")
        }
    };
    let advice = if status >= 500 {
        " (a failure on AWS's side: try again later)"
    } else {
        ""
    };
    format!("{operation} answered HTTP {status} ({request_id}): {what}{advice}")
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

#[cfg(test)]
mod tests {
    use super::*;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;

    type Error = aws_sdk_apigateway::operation::get_base_path_mappings::GetBasePathMappingsError;

    fn response(status: u16, headers: &[(&'static str, &'static str)]) -> HttpResponse {
        let mut response = HttpResponse::new(
            StatusCode::try_from(status).expect("status"),
            SdkBody::from("<html>oops</html>"),
        );
        for (name, value) in headers {
            response.headers_mut().insert(*name, *value);
        }
        response
    }

    fn unparsed(response: HttpResponse) -> SdkError<Error, HttpResponse> {
        let error = Error::generic(aws_smithy_types::error::ErrorMetadata::builder().build());
        SdkError::service_error(error, response)
    }

    #[test]
    fn an_unreadable_answer_names_operation_status_and_request_id() {
        let mut with_id = response(
            500,
            &[
                ("content-type", "text/html"),
                ("x-amzn-RequestId", "abc-123"),
            ],
        );
        with_id.add_extension(Metadata::new("GetBasePathMappings", "API Gateway"));
        assert_eq!(
            sdk_message(&unparsed(with_id)),
            "API Gateway GetBasePathMappings answered HTTP 500 (request id abc-123): the answer (text/html) \
             is not an AWS error the SDK can read (a failure on AWS's side: try again later)"
        );
        // Without the interceptor's metadata: the operation from the type.
        let message = sdk_message(&unparsed(response(502, &[])));
        assert!(
            message.starts_with("apigateway GetBasePathMappings answered HTTP 502 (no request id)"),
            "{message}"
        );
    }

    #[test]
    fn a_service_error_keeps_its_code_and_message() {
        let meta = aws_smithy_types::error::ErrorMetadata::builder()
            .code("NotFoundException")
            .message("Invalid domain name identifier specified")
            .build();
        let error = SdkError::service_error(
            Error::generic(meta),
            response(404, &[("x-amzn-RequestId", "r-1")]),
        );
        let message = sdk_message(&error);
        assert!(
            message.ends_with(
                "answered HTTP 404 (request id r-1): NotFoundException: Invalid domain name identifier specified"
            ),
            "{message}"
        );
    }

    #[test]
    fn operations_are_named_from_error_types() {
        assert_eq!(
            operation_of_type("aws_sdk_lambda::operation::get_function::GetFunctionError"),
            "lambda GetFunction"
        );
        assert_eq!(operation_of_type("some::Other"), "AWS request");
    }
}
