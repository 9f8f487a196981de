//! Per-region data-plane fronts: a local stand-in for each region's API
//! Gateway custom-domain routing, which moto does not serve.
//!
//! A front is an HTTPS listener on 127.0.0.1 with a certificate for whatever
//! name the client asks for, signed by the bench's CA. A request's Host leads,
//! through the region's state in moto, to its custom domain, base path
//! mapping, REST API, stage, resource and method integration; an `AWS_PROXY`
//! integration becomes an API Gateway proxy event sent to the region's Lambda
//! Invoke endpoint (the Lambda emulator running the real handler binaries).
//! Names resolve through the alias records held by moto ([`Fronts::resolve`]).
//! Switching a front off is how a test takes a region's data plane down.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::moto_client::MotoClient;

/// The bench's certificate authority, which signs a certificate for every
/// name a front is asked for.
struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
    minted: Mutex<HashMap<String, Arc<CertifiedKey>>>,
}

impl std::fmt::Debug for Ca {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ca").finish_non_exhaustive()
    }
}

impl Ca {
    fn new() -> Result<Ca> {
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, "multiregion test bench CA");
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        Ok(Ca {
            issuer: CertifiedIssuer::self_signed(params, KeyPair::generate()?)?,
            minted: Mutex::default(),
        })
    }

    fn pem(&self) -> String {
        self.issuer.pem()
    }

    fn certificate_for(&self, name: &str) -> Result<Arc<CertifiedKey>> {
        let mut minted = self.minted.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(key) = minted.get(name) {
            return Ok(key.clone());
        }
        let key_pair = KeyPair::generate()?;
        let mut params = CertificateParams::new(vec![name.to_owned()])?;
        params.distinguished_name.push(DnType::CommonName, name);
        let cert = params.signed_by(&key_pair, &self.issuer)?;
        let private = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key_pair.serialize_der()));
        let signing = rustls::crypto::ring::sign::any_supported_type(&private)?;
        let certified = Arc::new(CertifiedKey::new(
            vec![
                cert.der().clone(),
                CertificateDer::from(self.issuer.der().to_vec()),
            ],
            signing,
        ));
        minted.insert(name.to_owned(), certified.clone());
        Ok(certified)
    }
}

impl ResolvesServerCert for Ca {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().unwrap_or("localhost");
        self.certificate_for(name).ok()
    }
}

/// What a front does with a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FrontState {
    /// Routes requests to the region's API and handler.
    Up,
    /// Closes every connection at once (the region's edge is gone).
    Refuse,
    /// Accepts connections and never answers (a black hole).
    Hang,
    /// Answers every request with this HTTP status (a broken service).
    Status(u16),
}

#[derive(Debug)]
struct Front {
    address: SocketAddr,
    state: Arc<Mutex<FrontState>>,
    lambda: Arc<Mutex<Option<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Front {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The fronts of every region, and the resolver over moto's records.
#[derive(Clone)]
pub struct Fronts {
    moto: MotoClient,
    ca: Arc<Ca>,
    acceptor: TlsAcceptor,
    fronts: Arc<tokio::sync::Mutex<HashMap<String, Front>>>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Fronts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fronts")
            .field("moto", &self.moto)
            .finish_non_exhaustive()
    }
}

impl Fronts {
    /// Fronts over the moto at `moto`, with a new CA.
    pub fn new(moto: MotoClient) -> Result<Fronts> {
        let ca = Arc::new(Ca::new()?);
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(ca.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Fronts {
            moto,
            ca,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            fronts: Arc::default(),
            http: reqwest::Client::new(),
        })
    }

    /// The CA certificate, PEM, for clients to trust.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The address of `region`'s front, starting it if needed.
    pub async fn ensure(&self, region: &str) -> Result<SocketAddr> {
        let mut fronts = self.fronts.lock().await;
        if let Some(front) = fronts.get(region) {
            return Ok(front.address);
        }
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(Mutex::new(FrontState::Up));
        let lambda = Arc::new(Mutex::new(None));
        let task = tokio::spawn(serve(
            listener,
            self.acceptor.clone(),
            Routing {
                region: region.to_owned(),
                moto: self.moto.clone(),
                http: self.http.clone(),
                lambda: lambda.clone(),
            },
            state.clone(),
        ));
        fronts.insert(
            region.to_owned(),
            Front {
                address,
                state,
                lambda,
                task,
            },
        );
        tracing::info!(%region, %address, "front started");
        Ok(address)
    }

    /// Sets what `region`'s front does with connections.
    pub async fn set_state(&self, region: &str, state: FrontState) -> Result<()> {
        self.ensure(region).await?;
        let fronts = self.fronts.lock().await;
        if let Some(front) = fronts.get(region) {
            *front.state.lock().unwrap_or_else(|p| p.into_inner()) = state;
            tracing::info!(%region, ?state, "front state");
        }
        Ok(())
    }

    /// The state of `region`'s front.
    pub async fn state(&self, region: &str) -> Option<FrontState> {
        let fronts = self.fronts.lock().await;
        fronts
            .get(region)
            .map(|f| *f.state.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Sets the Lambda Invoke endpoint (`http://127.0.0.1:<port>`) that
    /// `region`'s front sends proxy events to.
    pub async fn set_lambda_endpoint(&self, region: &str, url: &str) -> Result<()> {
        self.ensure(region).await?;
        let fronts = self.fronts.lock().await;
        if let Some(front) = fronts.get(region) {
            *front.lambda.lock().unwrap_or_else(|p| p.into_inner()) = Some(url.to_owned());
        }
        Ok(())
    }

    /// The Lambda Invoke endpoint set for `region`, if any.
    pub async fn lambda_endpoint(&self, region: &str) -> Option<String> {
        let fronts = self.fronts.lock().await;
        let front = fronts.get(region)?;
        front
            .lambda
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Resolves `name` as DNS would: through the alias records in moto to a
    /// regional API Gateway domain, and from its region to that region's
    /// front. `None` when the name does not resolve (NXDOMAIN).
    pub async fn resolve(&self, name: &str) -> Result<Option<SocketAddr>> {
        let Some(target) = alias_target(&self.moto, name).await? else {
            return Ok(None);
        };
        match region_of_regional_domain(&target) {
            Some(region) => Ok(Some(self.ensure(&region).await?)),
            None => Ok(None),
        }
    }
}

/// The region in a regional API Gateway domain name
/// (`d-abc.execute-api.us-east-1.amazonaws.com`).
pub fn region_of_regional_domain(dns_name: &str) -> Option<String> {
    let name = dns_name.trim_end_matches('.').to_ascii_lowercase();
    let rest = name.split(".execute-api.").nth(1)?;
    let region = rest.strip_suffix(".amazonaws.com")?;
    (!region.is_empty() && !region.contains('.')).then(|| region.to_owned())
}

/// Follows A alias records (and CNAMEs) in moto from `name` to a name outside
/// the hosted zones: the alias target DNS name.
async fn alias_target(moto: &MotoClient, name: &str) -> Result<Option<String>> {
    let mut current = name.trim_end_matches('.').to_ascii_lowercase();
    for _ in 0..8 {
        let zones = moto.route53_get("/2013-04-01/hostedzone").await?;
        let zone = zones
            .child("HostedZones")
            .into_iter()
            .flat_map(|z| z.children_named("HostedZone"))
            .filter_map(|z| {
                let zone_name = z
                    .child_text("Name")?
                    .trim_end_matches('.')
                    .to_ascii_lowercase();
                let inside = current == zone_name || current.ends_with(&format!(".{zone_name}"));
                let private =
                    z.path(&["Config", "PrivateZone"]).map(|p| p.text.as_str()) == Some("true");
                (inside && !private).then(|| {
                    (
                        zone_name.len(),
                        z.child_text("Id").unwrap_or_default().to_owned(),
                    )
                })
            })
            .max();
        let Some((_, zone_id)) = zone else {
            let outside = current != name.trim_end_matches('.').to_ascii_lowercase();
            return Ok(outside.then_some(current));
        };
        let zone_id = zone_id.trim_start_matches("/hostedzone/");
        let listing = moto
            .route53_get(&format!(
                "/2013-04-01/hostedzone/{zone_id}/rrset?name={current}.&maxitems=10"
            ))
            .await?;
        let sets: Vec<_> = listing
            .child("ResourceRecordSets")
            .into_iter()
            .flat_map(|s| s.children_named("ResourceRecordSet"))
            .filter(|s| {
                s.child_text("Name")
                    .is_some_and(|n| n.trim_end_matches('.').eq_ignore_ascii_case(&current))
            })
            .collect();
        let next = sets.iter().find_map(|s| match s.child_text("Type") {
            Some("A") => s
                .path(&["AliasTarget", "DNSName"])
                .map(|d| d.text.clone())
                .or_else(|| {
                    s.path(&["ResourceRecords", "ResourceRecord", "Value"])
                        .map(|v| v.text.clone())
                }),
            Some("CNAME") => s
                .path(&["ResourceRecords", "ResourceRecord", "Value"])
                .map(|v| v.text.clone()),
            _ => None,
        });
        match next {
            None => return Ok(None),
            Some(next) => current = next.trim_end_matches('.').to_ascii_lowercase(),
        }
    }
    Ok(None)
}

#[derive(Debug, Clone)]
struct Routing {
    region: String,
    moto: MotoClient,
    http: reqwest::Client,
    lambda: Arc<Mutex<Option<String>>>,
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    routing: Routing,
    state: Arc<Mutex<FrontState>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let current = *state.lock().unwrap_or_else(|p| p.into_inner());
        let acceptor = acceptor.clone();
        let routing = routing.clone();
        tokio::spawn(async move {
            match current {
                FrontState::Refuse => drop(tcp),
                FrontState::Hang => {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    drop(tcp);
                }
                FrontState::Up | FrontState::Status(_) => {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let service = service_fn(move |request| {
                        let routing = routing.clone();
                        async move {
                            Ok::<_, std::convert::Infallible>(match current {
                                FrontState::Status(code) => {
                                    gateway_error(code, "Service Unavailable")
                                }
                                _ => routing.route(request).await,
                            })
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tls), service)
                        .await;
                }
            }
        });
    }
}

fn gateway_error(status: u16, message: &str) -> Response<Full<Bytes>> {
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
    async fn route(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
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
                "accountId": "123456789012",
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_region_of_a_regional_domain() {
        assert_eq!(
            region_of_regional_domain("d-abc.execute-api.us-west-2.amazonaws.com."),
            Some("us-west-2".into())
        );
        assert_eq!(region_of_regional_domain("example.com"), None);
    }

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
