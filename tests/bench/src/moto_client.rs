//! Plain calls to moto's AWS APIs from the bench itself (the bench depends on
//! nothing of ours and on no AWS SDK). moto does not check signatures; it only
//! reads the service and region from the credential scope.

use anyhow::{Context, Result, bail};
use http::Method;

use crate::xml::{self, Element};

/// A client for moto's AWS APIs.
#[derive(Debug, Clone)]
pub struct MotoClient {
    base: String,
    http: reqwest::Client,
}

impl MotoClient {
    /// A client for the moto server at `base` (`http://127.0.0.1:<port>`).
    pub fn new(base: &str) -> Self {
        MotoClient {
            base: base.trim_end_matches('/').to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn authorization(service: &str, region: &str) -> String {
        format!(
            "AWS4-HMAC-SHA256 Credential=bench/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"
        )
    }

    /// Sends a request and returns the status and body.
    pub async fn call(
        &self,
        service: &str,
        region: &str,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
    ) -> Result<(u16, String)> {
        self.send(service, region, method, path_and_query, body, None)
            .await
    }

    /// Calls an operation of a JSON protocol: a POST to `/` whose operation
    /// is the `X-Amz-Target` header (`AWSStepFunctions.DescribeStateMachine`).
    pub async fn call_target(
        &self,
        service: &str,
        region: &str,
        target: &str,
        body: String,
    ) -> Result<(u16, String)> {
        self.send(service, region, Method::POST, "/", Some(body), Some(target))
            .await
    }

    /// Calls an operation of the query protocol (IAM, SNS, CloudWatch): a
    /// form POST to `/`, in `account` when given (moto's
    /// `x-moto-account-id`), else in moto's default account.
    pub async fn query(
        &self,
        service: &str,
        region: &str,
        account: Option<&str>,
        form: String,
    ) -> Result<(u16, String)> {
        let mut request = self
            .http
            .post(format!("{}/", self.base))
            .header("authorization", Self::authorization(service, region))
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(form);
        if let Some(account) = account {
            request = request.header("x-moto-account-id", account);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("moto {service} query"))?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, text))
    }

    async fn send(
        &self,
        service: &str,
        region: &str,
        method: Method,
        path_and_query: &str,
        body: Option<String>,
        target: Option<&str>,
    ) -> Result<(u16, String)> {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path_and_query}", self.base))
            .header("authorization", Self::authorization(service, region));
        if let Some(target) = target {
            request = request
                .header("x-amz-target", target)
                .header("content-type", "application/x-amz-json-1.0");
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("moto {service} {method} {path_and_query}"))?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        Ok((status, text))
    }

    /// A GET of a REST-JSON API (API Gateway): `None` on 404.
    pub async fn get_json(
        &self,
        service: &str,
        region: &str,
        path: &str,
    ) -> Result<Option<serde_json::Value>> {
        let (status, text) = self.call(service, region, Method::GET, path, None).await?;
        match status {
            200..=299 => Ok(Some(serde_json::from_str(&text).with_context(|| {
                format!("moto {service} GET {path} answered no JSON: {text}")
            })?)),
            404 => Ok(None),
            _ => bail!("moto {service} GET {path}: HTTP {status}: {text}"),
        }
    }

    /// A GET of Route 53 (REST-XML).
    pub async fn route53_get(&self, path: &str) -> Result<Element> {
        let (status, text) = self
            .call("route53", "us-east-1", Method::GET, path, None)
            .await?;
        if !(200..300).contains(&status) {
            bail!("moto route53 GET {path}: HTTP {status}: {text}");
        }
        xml::parse(&text)
    }
}
