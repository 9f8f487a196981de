//! A front's routing of one request, as API Gateway's custom domains do it:
//! Host -> custom domain -> base path mapping -> REST API, stage, resource
//! and method -> an `AWS_PROXY` event to the region's Lambda endpoint.

use std::net::Ipv4Addr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};

use super::policy::{self, Call};
use crate::moto_client::MotoClient;

/// The account moto serves.
const ACCOUNT: &str = "123456789012";

#[derive(Debug, Clone)]
pub(super) struct Routing {
    pub(super) region: String,
    pub(super) moto: MotoClient,
    pub(super) http: reqwest::Client,
    pub(super) lambda: Arc<Mutex<Option<String>>>,
}

pub(super) fn gateway_error(status: u16, message: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header(
            "x-amzn-errortype",
            if status == 403 {
                "ForbiddenException"
            } else {
                "InternalServerErrorException"
            },
        )
        .body(Full::new(Bytes::from(
            json!({ "message": message }).to_string(),
        )))
        .unwrap_or_default()
}

fn items(value: &Value) -> Vec<Value> {
    value
        .get("item")
        .or_else(|| value.get("items"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// Whether a resource path template (`/health/{proxy+}`) matches `path`.
fn path_matches(template: &str, path: &str) -> bool {
    let want: Vec<&str> = template.trim_matches('/').split('/').collect();
    let got: Vec<&str> = path.trim_matches('/').split('/').collect();
    for (i, segment) in want.iter().enumerate() {
        if segment.starts_with('{') && segment.ends_with("+}") {
            return got.len() > i;
        }
        match got.get(i) {
            Some(g) if segment.starts_with('{') || segment == g => {}
            _ => return false,
        }
    }
    want.len() == got.len()
}

impl Routing {
    pub(super) async fn route(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        match self.try_route(request).await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(region = %self.region, "front: {error:#}");
                gateway_error(500, "Internal server error")
            }
        }
    }

    async fn try_route(&self, request: Request<Incoming>) -> Result<Response<Full<Bytes>>> {
        let host = request
            .headers()
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let method = request.method().as_str().to_owned();
        let path = request.uri().path().to_owned();
        let query = request.uri().query().unwrap_or_default().to_owned();
        let headers: serde_json::Map<String, Value> = request
            .headers()
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.as_str().to_owned(),
                    Value::String(v.to_str().ok()?.to_owned()),
                ))
            })
            .collect();
        let body = request.into_body().collect().await?.to_bytes();
        let region = &self.region;
        let api = |p: String| async move { self.moto.get_json("apigateway", region, &p).await };

        // Custom domain and base path mapping.
        if api(format!("/domainnames/{host}")).await?.is_none() {
            return Ok(gateway_error(403, "Forbidden"));
        }
        let mappings = api(format!("/domainnames/{host}/basepathmappings"))
            .await?
            .map(|m| items(&m))
            .unwrap_or_default();
        let mut best: Option<(String, String, String)> = None;
        for mapping in &mappings {
            let base = mapping["basePath"].as_str().unwrap_or("(none)");
            let base = if base == "(none)" { "" } else { base };
            let inside = base.is_empty()
                || path == format!("/{base}")
                || path.starts_with(&format!("/{base}/"));
            if inside && best.as_ref().is_none_or(|(b, _, _)| base.len() > b.len()) {
                best = Some((
                    base.to_owned(),
                    mapping["restApiId"].as_str().unwrap_or_default().to_owned(),
                    mapping["stage"].as_str().unwrap_or_default().to_owned(),
                ));
            }
        }
        let Some((base, api_id, stage)) = best else {
            return Ok(gateway_error(403, "Forbidden"));
        };
        let resource_path = if base.is_empty() {
            path.clone()
        } else {
            path[base.len() + 1..].to_owned()
        };
        let resource_path = if resource_path.is_empty() {
            "/".to_owned()
        } else {
            resource_path
        };
        if api(format!("/restapis/{api_id}/stages/{stage}"))
            .await?
            .is_none()
        {
            return Ok(gateway_error(403, "Forbidden"));
        }

        // Resource and method.
        let resources = api(format!("/restapis/{api_id}/resources?limit=500"))
            .await?
            .map(|r| items(&r))
            .unwrap_or_default();
        let Some(resource) = resources.iter().find(|r| {
            r["path"]
                .as_str()
                .is_some_and(|t| path_matches(t, &resource_path))
        }) else {
            return Ok(gateway_error(403, "Missing Authentication Token"));
        };
        let resource_id = resource["id"].as_str().unwrap_or_default();
        let methods = resource["resourceMethods"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let http_method = if methods.contains_key(&method) {
            method.clone()
        } else if methods.contains_key("ANY") {
            "ANY".to_owned()
        } else {
            return Ok(gateway_error(403, "Missing Authentication Token"));
        };
        if let Some(denied) = self
            .resource_policy_denies(&api_id, &stage, &method, &resource_path)
            .await?
        {
            return Ok(denied);
        }
        let integration = api(format!(
            "/restapis/{api_id}/resources/{resource_id}/methods/{http_method}/integration"
        ))
        .await?
        .context("the method has no integration")?;
        let uri = integration["uri"].as_str().unwrap_or_default();
        let kind = integration["type"].as_str().unwrap_or_default();
        if !kind.eq_ignore_ascii_case("AWS_PROXY") {
            tracing::warn!(region = %self.region, %kind, "front: only AWS_PROXY integrations are routed");
            return Ok(gateway_error(500, "Internal server error"));
        }
        let function = uri
            .split(":function:")
            .nth(1)
            .and_then(|f| f.split('/').next())
            .map(|f| f.split(':').next().unwrap_or(f).to_owned())
            .context("the integration URI names no Lambda function")?;

        // The proxy event, as API Gateway sends it (payload format 1.0).
        let query_parameters: serde_json::Map<String, Value> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (k.to_owned(), Value::String(v.to_owned()))
            })
            .collect();
        let event = json!({
            "resource": resource["path"],
            "path": resource_path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {},
            "queryStringParameters": if query_parameters.is_empty() { Value::Null } else { Value::Object(query_parameters) },
            "pathParameters": Value::Null,
            "stageVariables": Value::Null,
            "requestContext": {
                "resourceId": resource_id,
                "resourcePath": resource["path"],
                "httpMethod": method,
                "path": path,
                "stage": stage,
                "domainName": host,
                "apiId": api_id,
                "accountId": ACCOUNT,
                "requestId": crate::request_id(),
                "requestTimeEpoch": 0,
                "identity": { "sourceIp": "127.0.0.1" },
            },
            "body": if body.is_empty() { Value::Null } else { Value::String(String::from_utf8_lossy(&body).into_owned()) },
            "isBase64Encoded": false,
        });
        let endpoint = self
            .lambda
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let Some(endpoint) = endpoint else {
            tracing::warn!(region = %self.region, %function, "front: no Lambda endpoint for this region");
            return Ok(gateway_error(502, "Internal server error"));
        };
        let invoked = self
            .http
            .post(format!(
                "{endpoint}/2015-03-31/functions/{function}/invocations"
            ))
            .json(&event)
            .send()
            .await;
        let Ok(invoked) = invoked else {
            return Ok(gateway_error(502, "Internal server error"));
        };
        let failed = !invoked.status().is_success()
            || invoked.headers().contains_key("x-amz-function-error");
        let reply: Value = invoked.json().await.unwrap_or(Value::Null);
        if failed || reply.get("statusCode").is_none() {
            return Ok(gateway_error(502, "Internal server error"));
        }
        let mut response =
            Response::builder().status(reply["statusCode"].as_u64().unwrap_or(200) as u16);
        if let Some(headers) = reply["headers"].as_object() {
            for (k, v) in headers {
                if let Some(v) = v.as_str() {
                    response = response.header(k, v);
                }
            }
        }
        let body = reply["body"].as_str().unwrap_or_default().to_owned();
        Ok(response.body(Full::new(Bytes::from(body)))?)
    }

    /// The 403 API Gateway answers when the API's resource policy does not
    /// let this anonymous call through; `None` when it does, or when the API
    /// has no policy.
    async fn resource_policy_denies(
        &self,
        api_id: &str,
        stage: &str,
        method: &str,
        path: &str,
    ) -> Result<Option<Response<Full<Bytes>>>> {
        let rest_api = self
            .moto
            .get_json("apigateway", &self.region, &format!("/restapis/{api_id}"))
            .await?;
        let Some(policy) = rest_api
            .as_ref()
            .and_then(|a| a["policy"].as_str())
            .filter(|p| !p.trim().is_empty())
        else {
            return Ok(None);
        };
        let call = Call {
            region: &self.region,
            account: ACCOUNT,
            api_id,
            stage,
            method,
            path,
            source_ip: Ipv4Addr::LOCALHOST,
        };
        if policy::allows(policy, &call) {
            return Ok(None);
        }
        let message = format!(
            "User: anonymous is not authorized to perform: execute-api:Invoke on resource: {}",
            call.arn()
        );
        let response = Response::builder()
            .status(403)
            .header("content-type", "application/json")
            .header("x-amzn-errortype", "AccessDeniedException")
            .body(Full::new(Bytes::from(
                json!({ "Message": message }).to_string(),
            )))?;
        Ok(Some(response))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_resource_templates() {
        assert!(path_matches("/health/ping", "/health/ping"));
        assert!(path_matches("/items/{id}", "/items/7"));
        assert!(path_matches("/{proxy+}", "/a/b/c"));
        assert!(!path_matches("/health/ping", "/health"));
        assert!(!path_matches("/health/ping", "/health/ping/x"));
        assert!(path_matches("/", "/"));
    }
}
