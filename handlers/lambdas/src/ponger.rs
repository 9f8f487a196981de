//! The ponger: answers the health route `/<health_path>/ping` with its region
//! and the time of the request, so the probe learns which region served it.

use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use multiregion_core::ledger::rfc3339;
use multiregion_core::region::Region;
use serde::Serialize;

/// The health answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pong {
    /// The region of this function.
    pub region: Region,
    /// When API Gateway received the request (RFC 3339), if it says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
}

/// The request time API Gateway recorded, in seconds since the epoch.
fn request_time(request: &Request) -> Option<i64> {
    let millis = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(context) => context.request_time_epoch,
        #[allow(unreachable_patterns)]
        _ => return None,
    };
    (millis > 0).then_some(millis / 1000)
}

/// Answers one request.
pub fn pong(region: &Region, request: &Request) -> Response<Body> {
    let pong = Pong {
        region: region.clone(),
        time: request_time(request).map(rfc3339),
    };
    tracing::info!(path = %request.uri().path(), region = %pong.region, "pong");
    Response::builder()
        .status(200)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::from(
            serde_json::to_string(&pong).expect("a pong serializes"),
        ))
        .expect("a static response builds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_with_its_region_and_the_request_time() {
        let event = serde_json::json!({
            "resource": "/health/ping", "path": "/health/ping", "httpMethod": "GET",
            "headers": {"host": "api.example.com"}, "multiValueHeaders": {},
            "queryStringParameters": null, "pathParameters": null, "stageVariables": null,
            "requestContext": {
                "resourceId": "r1", "resourcePath": "/health/ping", "httpMethod": "GET",
                "path": "/health/ping", "stage": "prod", "domainName": "api.example.com",
                "apiId": "a1", "accountId": "123456789012", "requestId": "q1",
                "requestTimeEpoch": 60_000, "identity": {"sourceIp": "127.0.0.1"}
            },
            "body": null, "isBase64Encoded": false
        });
        let request = lambda_http::request::from_str(&event.to_string()).unwrap();
        let response = pong(&Region::new("us-west-2").unwrap(), &request);
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = serde_json::from_slice(response.body().as_ref()).unwrap();
        assert_eq!(body["region"], "us-west-2");
        assert_eq!(body["time"], "1970-01-01T00:01:00Z");
    }
}
