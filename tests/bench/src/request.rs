//! What an AWS request is: its service and region (from the SigV4 credential
//! scope), its operation, and the wire protocol its errors must use.

use http::{HeaderMap, Method};

/// The wire protocol of a service, which decides how errors look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// REST with XML bodies (Route 53).
    RestXml,
    /// REST with JSON bodies (API Gateway, Lambda, Scheduler).
    RestJson,
    /// `X-Amz-Target` JSON RPC (Step Functions, Logs, EventBridge, ACM).
    AwsJson,
    /// Form-encoded `Action=` queries (IAM, SNS, CloudWatch, STS).
    Query,
}

/// An identified AWS request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRequest {
    /// The signing name from the credential scope (`route53`, `apigateway`,
    /// `monitoring`, `states`, ...).
    pub service: String,
    /// The region from the credential scope.
    pub region: String,
    /// The access key id, which tests use to tell callers apart.
    pub access_key: String,
    /// The operation name (`ChangeResourceRecordSets`), or `METHOD /path`
    /// when it is not known.
    pub operation: String,
}

impl AwsRequest {
    /// The protocol of the service.
    pub fn protocol(&self) -> Protocol {
        protocol_of(&self.service)
    }
}

/// The protocol a signing name speaks.
pub fn protocol_of(service: &str) -> Protocol {
    match service {
        "route53" => Protocol::RestXml,
        "apigateway" | "lambda" | "scheduler" => Protocol::RestJson,
        "iam" | "sns" | "monitoring" | "sts" | "sqs" => Protocol::Query,
        _ => Protocol::AwsJson,
    }
}

/// Parses `Credential=AKID/20260101/us-east-1/route53/aws4_request` out of
/// a SigV4 `Authorization` header: (access key, region, service).
pub fn credential_scope(headers: &HeaderMap) -> Option<(String, String, String)> {
    let auth = headers.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let credential = credential.split([',', ' ']).next()?;
    let mut parts = credential.split('/');
    let key = parts.next()?.to_owned();
    let _date = parts.next()?;
    let region = parts.next()?.to_owned();
    let service = parts.next()?.to_owned();
    Some((key, region, service))
}

/// Identifies a request. `body` is needed for query-protocol operations.
pub fn identify(method: &Method, path: &str, headers: &HeaderMap, body: &[u8]) -> AwsRequest {
    let (access_key, region, service) = credential_scope(headers)
        .unwrap_or_else(|| (String::new(), "unknown".into(), "unknown".into()));
    let operation = operation(&service, method, path, headers, body)
        .unwrap_or_else(|| format!("{method} {path}"));
    AwsRequest {
        service,
        region,
        access_key,
        operation,
    }
}

fn operation(
    service: &str,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<String> {
    if let Some(target) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return target.rsplit('.').next().map(str::to_owned);
    }
    match protocol_of(service) {
        Protocol::Query => form_action(body).or_else(|| form_action(path.as_bytes())),
        Protocol::RestXml | Protocol::RestJson => rest_operation(service, method, path),
        Protocol::AwsJson => None,
    }
}

fn form_action(form: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(form).ok()?;
    let query = text.split_once('?').map_or(text, |(_, q)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
        .map(str::to_owned)
}

/// REST operations we call, by method and path shape (`{}` is one segment,
/// `*` the rest of the path).
const REST_OPERATIONS: &[(&str, &str, &str, &str)] = &[
    (
        "route53",
        "POST",
        "/2013-04-01/hostedzone/{}/rrset",
        "ChangeResourceRecordSets",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/hostedzone/{}/rrset",
        "ListResourceRecordSets",
    ),
    ("route53", "GET", "/2013-04-01/change/{}", "GetChange"),
    (
        "route53",
        "POST",
        "/2013-04-01/healthcheck",
        "CreateHealthCheck",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/healthcheck",
        "ListHealthChecks",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/healthcheck/{}/status",
        "GetHealthCheckStatus",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/healthcheck/{}",
        "GetHealthCheck",
    ),
    (
        "route53",
        "POST",
        "/2013-04-01/healthcheck/{}",
        "UpdateHealthCheck",
    ),
    (
        "route53",
        "DELETE",
        "/2013-04-01/healthcheck/{}",
        "DeleteHealthCheck",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/hostedzone/{}",
        "GetHostedZone",
    ),
    (
        "route53",
        "DELETE",
        "/2013-04-01/hostedzone/{}",
        "DeleteHostedZone",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/hostedzone",
        "ListHostedZones",
    ),
    (
        "route53",
        "POST",
        "/2013-04-01/hostedzone",
        "CreateHostedZone",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/hostedzonesbyname",
        "ListHostedZonesByName",
    ),
    (
        "route53",
        "GET",
        "/2013-04-01/tags/hostedzone/{}",
        "ListTagsForResource",
    ),
    ("apigateway", "GET", "/restapis", "GetRestApis"),
    ("apigateway", "POST", "/restapis", "CreateRestApi"),
    ("apigateway", "GET", "/restapis/{}", "GetRestApi"),
    ("apigateway", "PUT", "/restapis/{}", "PutRestApi"),
    ("apigateway", "PATCH", "/restapis/{}", "UpdateRestApi"),
    ("apigateway", "DELETE", "/restapis/{}", "DeleteRestApi"),
    (
        "apigateway",
        "GET",
        "/restapis/{}/resources",
        "GetResources",
    ),
    (
        "apigateway",
        "GET",
        "/restapis/{}/resources/{}",
        "GetResource",
    ),
    (
        "apigateway",
        "GET",
        "/restapis/{}/resources/{}/methods/{}",
        "GetMethod",
    ),
    (
        "apigateway",
        "GET",
        "/restapis/{}/resources/{}/methods/{}/integration",
        "GetIntegration",
    ),
    (
        "apigateway",
        "POST",
        "/restapis/{}/deployments",
        "CreateDeployment",
    ),
    (
        "apigateway",
        "GET",
        "/restapis/{}/deployments",
        "GetDeployments",
    ),
    ("apigateway", "GET", "/restapis/{}/stages", "GetStages"),
    ("apigateway", "POST", "/restapis/{}/stages", "CreateStage"),
    ("apigateway", "GET", "/restapis/{}/stages/{}", "GetStage"),
    (
        "apigateway",
        "PATCH",
        "/restapis/{}/stages/{}",
        "UpdateStage",
    ),
    (
        "apigateway",
        "DELETE",
        "/restapis/{}/stages/{}",
        "DeleteStage",
    ),
    ("apigateway", "GET", "/domainnames", "GetDomainNames"),
    ("apigateway", "POST", "/domainnames", "CreateDomainName"),
    ("apigateway", "GET", "/domainnames/{}", "GetDomainName"),
    (
        "apigateway",
        "DELETE",
        "/domainnames/{}",
        "DeleteDomainName",
    ),
    ("apigateway", "PATCH", "/domainnames/{}", "UpdateDomainName"),
    (
        "apigateway",
        "PATCH",
        "/domainnames/{}/basepathmappings/{}",
        "UpdateBasePathMapping",
    ),
    (
        "apigateway",
        "DELETE",
        "/restapis/{}/resources/{}",
        "DeleteResource",
    ),
    (
        "apigateway",
        "GET",
        "/domainnames/{}/basepathmappings",
        "GetBasePathMappings",
    ),
    (
        "apigateway",
        "POST",
        "/domainnames/{}/basepathmappings",
        "CreateBasePathMapping",
    ),
    (
        "apigateway",
        "GET",
        "/domainnames/{}/basepathmappings/{}",
        "GetBasePathMapping",
    ),
    (
        "apigateway",
        "DELETE",
        "/domainnames/{}/basepathmappings/{}",
        "DeleteBasePathMapping",
    ),
    ("apigateway", "GET", "/tags/*", "GetTags"),
    ("apigateway", "PUT", "/tags/*", "TagResource"),
    (
        "lambda",
        "POST",
        "/2015-03-31/functions/{}/invocations",
        "Invoke",
    ),
    ("lambda", "POST", "/2015-03-31/functions", "CreateFunction"),
    ("lambda", "GET", "/2015-03-31/functions", "ListFunctions"),
    ("lambda", "GET", "/2015-03-31/functions/{}", "GetFunction"),
    (
        "lambda",
        "DELETE",
        "/2015-03-31/functions/{}",
        "DeleteFunction",
    ),
    (
        "lambda",
        "GET",
        "/2015-03-31/functions/{}/configuration",
        "GetFunctionConfiguration",
    ),
    (
        "lambda",
        "PUT",
        "/2015-03-31/functions/{}/configuration",
        "UpdateFunctionConfiguration",
    ),
    (
        "lambda",
        "PUT",
        "/2015-03-31/functions/{}/code",
        "UpdateFunctionCode",
    ),
    (
        "lambda",
        "GET",
        "/2015-03-31/functions/{}/policy",
        "GetPolicy",
    ),
    (
        "lambda",
        "POST",
        "/2015-03-31/functions/{}/policy",
        "AddPermission",
    ),
    (
        "lambda",
        "DELETE",
        "/2015-03-31/functions/{}/policy/{}",
        "RemovePermission",
    ),
    (
        "lambda",
        "GET",
        "/2019-09-25/functions/{}/event-invoke-config",
        "GetFunctionEventInvokeConfig",
    ),
    (
        "lambda",
        "PUT",
        "/2019-09-25/functions/{}/event-invoke-config",
        "PutFunctionEventInvokeConfig",
    ),
    (
        "lambda",
        "DELETE",
        "/2019-09-25/functions/{}/event-invoke-config",
        "DeleteFunctionEventInvokeConfig",
    ),
    (
        "lambda",
        "GET",
        "/2015-03-31/event-source-mappings",
        "ListEventSourceMappings",
    ),
    (
        "lambda",
        "POST",
        "/2015-03-31/event-source-mappings",
        "CreateEventSourceMapping",
    ),
    (
        "lambda",
        "GET",
        "/2015-03-31/event-source-mappings/{}",
        "GetEventSourceMapping",
    ),
    (
        "lambda",
        "PUT",
        "/2015-03-31/event-source-mappings/{}",
        "UpdateEventSourceMapping",
    ),
    (
        "lambda",
        "DELETE",
        "/2015-03-31/event-source-mappings/{}",
        "DeleteEventSourceMapping",
    ),
];

fn rest_operation(service: &str, method: &Method, path: &str) -> Option<String> {
    if service == "apigateway"
        && method == Method::POST
        && path.starts_with("/restapis?")
        && path.contains("mode=import")
    {
        return Some("ImportRestApi".into());
    }
    let path = path.split('?').next().unwrap_or(path).trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    REST_OPERATIONS
        .iter()
        .find(|(s, m, pattern, _)| {
            *s == service && *m == method.as_str() && {
                let want: Vec<&str> = pattern.split('/').collect();
                if want.last() == Some(&"*") {
                    segments.len() >= want.len()
                        && want[..want.len() - 1]
                            .iter()
                            .zip(&segments)
                            .all(|(w, s)| *w == "{}" || w == s)
                } else {
                    want.len() == segments.len()
                        && want
                            .iter()
                            .zip(&segments)
                            .all(|(w, s)| *w == "{}" || w == s)
                }
            }
        })
        .map(|(_, _, _, op)| (*op).to_owned())
}

/// Whether an operation only reads (Get, List, Describe, and GETs of
/// unknown REST operations).
pub fn is_read_only(operation: &str) -> bool {
    ["Get", "List", "Describe", "GET "]
        .iter()
        .any(|prefix| operation.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str, target: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(http::header::AUTHORIZATION, auth.parse().unwrap());
        if let Some(t) = target {
            h.insert("x-amz-target", t.parse().unwrap());
        }
        h
    }

    #[test]
    fn identifies_every_protocol() {
        let auth = |svc: &str| {
            format!(
                "AWS4-HMAC-SHA256 Credential=AKIDEAST/20261124/us-west-2/{svc}/aws4_request, SignedHeaders=host, Signature=00"
            )
        };
        let r = identify(
            &Method::POST,
            "/2013-04-01/hostedzone/Z1/rrset/",
            &headers(&auth("route53"), None),
            b"",
        );
        assert_eq!(
            (
                r.service.as_str(),
                r.region.as_str(),
                r.operation.as_str(),
                r.access_key.as_str()
            ),
            (
                "route53",
                "us-west-2",
                "ChangeResourceRecordSets",
                "AKIDEAST"
            )
        );
        let r = identify(
            &Method::POST,
            "/",
            &headers(&auth("states"), Some("AWSStepFunctions.StartExecution")),
            b"{}",
        );
        assert_eq!(r.operation, "StartExecution");
        let r = identify(
            &Method::POST,
            "/",
            &headers(&auth("monitoring"), None),
            b"Action=DescribeAlarms&Version=2010-08-01",
        );
        assert_eq!(r.operation, "DescribeAlarms");
        assert_eq!(r.protocol(), Protocol::Query);
        let r = identify(
            &Method::GET,
            "/domainnames/api.example.com/basepathmappings",
            &headers(&auth("apigateway"), None),
            b"",
        );
        assert_eq!(r.operation, "GetBasePathMappings");
        let r = identify(
            &Method::PUT,
            "/odd/path",
            &headers(&auth("apigateway"), None),
            b"",
        );
        assert_eq!(r.operation, "PUT /odd/path");
        let r = identify(
            &Method::GET,
            "/2015-03-31/event-source-mappings?EventSourceArn=arn%3Aaws%3Asqs%3Aus-east-1%3A1%3Aq&FunctionName=f",
            &headers(&auth("lambda"), None),
            b"",
        );
        assert_eq!(r.operation, "ListEventSourceMappings");
        assert!(is_read_only("DescribeAlarms") && !is_read_only("PutMetricAlarm"));
    }
}
