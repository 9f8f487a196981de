//! The health route in a managed API's OpenAPI body.
//!
//! The probes call `/<health_path>/ping` on each name; the route must be in
//! the API the name is mapped to (a domain mapped at the empty base path
//! accepts no other mapping). For a managed API it is added to the body, as a
//! Lambda proxy integration with the region's ponger.

use serde_json::{Map, Value, json};

use multiregion_core::Region;

/// Why a body cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenApiError {
    /// Not JSON.
    #[error(
        "the body is not JSON ({0}); give JSON, or convert YAML with jsonencode(yamldecode(file(\"api.yaml\")))"
    )]
    NotJson(String),
    /// JSON, but not an object with `openapi: 3.x` or `swagger: 2.0`.
    #[error(
        "the body is not an OpenAPI 3.x or Swagger 2.0 document: it needs a top-level \"openapi\": \"3.0.1\" (or \"swagger\": \"2.0\") and \"paths\""
    )]
    NotOpenApi,
    /// The body already has the health route.
    #[error(
        "the body already defines {0}, which the resource adds as the health route; remove it from the body or choose another health_path"
    )]
    HealthRouteTaken(String),
}

fn parse(body: &str) -> Result<Map<String, Value>, OpenApiError> {
    let value: Value =
        serde_json::from_str(body).map_err(|e| OpenApiError::NotJson(e.to_string()))?;
    let Value::Object(doc) = value else {
        return Err(OpenApiError::NotOpenApi);
    };
    let openapi3 = doc
        .get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3."));
    let swagger2 = doc.get("swagger").and_then(Value::as_str) == Some("2.0");
    if !(openapi3 || swagger2) || doc.get("paths").is_some_and(|p| !p.is_object()) {
        return Err(OpenApiError::NotOpenApi);
    }
    Ok(doc)
}

/// The route the probes call.
pub fn health_route(health_path: &str) -> String {
    format!("/{health_path}/ping")
}

/// Checks that `body` can carry the health route.
pub fn check(body: &str, health_path: &str) -> Result<(), OpenApiError> {
    let doc = parse(body)?;
    let route = health_route(health_path);
    if doc
        .get("paths")
        .and_then(Value::as_object)
        .is_some_and(|paths| paths.contains_key(&route))
    {
        return Err(OpenApiError::HealthRouteTaken(route));
    }
    Ok(())
}

/// The Lambda integration URI of `function_arn` in `region`.
pub fn lambda_integration_uri(region: &Region, function_arn: &str) -> String {
    format!(
        "arn:{}:apigateway:{region}:lambda:path/2015-03-31/functions/{function_arn}/invocations",
        region.partition().as_str()
    )
}

/// The GET operation of the health route: a Lambda proxy integration with
/// the region's ponger.
fn health_operation(region: &Region, ponger_arn: &str) -> Value {
    json!({
        "operationId": "multiregionHealthPing",
        "summary": "Health route of the multiregion failover probes; answered by the ponger with its region.",
        "responses": { "200": { "description": "The region that answered." } },
        "x-amazon-apigateway-integration": {
            "type": "aws_proxy",
            "httpMethod": "POST",
            "uri": lambda_integration_uri(region, ponger_arn),
            "passthroughBehavior": "when_no_match",
            "timeoutInMillis": 5000,
        },
    })
}

/// `body` with the health route added, integrated with the ponger.
pub fn with_health_route(
    body: &str,
    health_path: &str,
    region: &Region,
    ponger_arn: &str,
) -> Result<String, OpenApiError> {
    check(body, health_path)?;
    let mut doc = parse(body)?;
    let paths = doc
        .entry("paths")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(paths) = paths {
        paths.insert(
            health_route(health_path),
            json!({ "get": health_operation(region, ponger_arn) }),
        );
    }
    Ok(Value::Object(doc).to_string())
}

/// A document holding only the health route at `route` (`/health/ping` to
/// merge into an adopted API, `/ping` for a separate health API).
pub fn health_document(route: &str, region: &Region, ponger_arn: &str) -> String {
    json!({
        "openapi": "3.0.1",
        "info": {
            "title": "multiregion health",
            "version": "1",
            "description": "The health route of the multiregion failover probes.",
        },
        "paths": { route: { "get": health_operation(region, ponger_arn) } },
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"openapi":"3.0.1","info":{"title":"orders","version":"1"},"paths":{"/orders":{"get":{}}}}"#;

    #[test]
    fn adds_the_health_route_and_keeps_the_rest() {
        let region = Region::new("us-west-2").unwrap();
        let arn = "arn:aws:lambda:us-west-2:123456789012:function:mr-orders-ponger";
        let out: Value =
            serde_json::from_str(&with_health_route(BODY, "health", &region, arn).unwrap())
                .unwrap();
        assert!(out["paths"]["/orders"].is_object());
        let integration = &out["paths"]["/health/ping"]["get"]["x-amazon-apigateway-integration"];
        assert_eq!(integration["type"], "aws_proxy");
        assert_eq!(
            integration["uri"],
            "arn:aws:apigateway:us-west-2:lambda:path/2015-03-31/functions/arn:aws:lambda:us-west-2:123456789012:function:mr-orders-ponger/invocations"
        );
    }

    #[test]
    fn refuses_what_it_cannot_use() {
        assert!(matches!(
            check("openapi: 3.0.1", "health"),
            Err(OpenApiError::NotJson(_))
        ));
        assert_eq!(check("[1]", "health"), Err(OpenApiError::NotOpenApi));
        assert_eq!(
            check(r#"{"paths":{}}"#, "health"),
            Err(OpenApiError::NotOpenApi)
        );
        assert_eq!(
            check(r#"{"swagger":"2.0","paths":{"/health/ping":{}}}"#, "health"),
            Err(OpenApiError::HealthRouteTaken("/health/ping".into()))
        );
        assert_eq!(check(r#"{"swagger":"2.0","paths":{}}"#, "status"), Ok(()));
    }
}
