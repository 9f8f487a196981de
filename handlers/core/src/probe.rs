//! The health probe: an HTTPS GET of `https://<name>/<health_path>/ping`
//! along the real path (DNS, custom domain, API Gateway, Lambda), answered
//! by the ponger with its region.
//!
//! Production resolves names with the system resolver and trusts the public
//! web PKI. Two seams exist for tests, each enabled only by an explicit
//! setting and logged whenever it is used:
//! - a resolver service ([`Resolver::TestService`], `MULTIREGION_TEST_RESOLVER`)
//!   that maps a name to a loopback address, as the test bench's fronts do;
//! - an extra trusted CA ([`Trust::TestCa`], `MULTIREGION_TEST_CA`) for the
//!   bench's certificates.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use serde::Deserialize;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::region::Region;

/// Environment variable naming the test resolver service (a URL).
pub const ENV_TEST_RESOLVER: &str = "MULTIREGION_TEST_RESOLVER";
/// Environment variable naming a PEM file of an extra CA to trust in tests.
pub const ENV_TEST_CA: &str = "MULTIREGION_TEST_CA";

/// Largest health answer read.
const MAX_BODY: usize = 16 * 1024;

/// How names are resolved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Resolver {
    /// The system resolver (production).
    #[default]
    System,
    /// A test service: `GET <url>/resolve?name=<name>&all=1` answers the
    /// name's addresses, one `host:port` a line.
    TestService {
        /// Base URL of the service (plain HTTP on loopback).
        url: String,
    },
}

/// Which certificates are trusted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trust {
    /// The public web PKI (production).
    #[default]
    WebPki,
    /// The web PKI plus the CA in this PEM file (tests).
    TestCa {
        /// Path of the PEM file.
        pem: PathBuf,
    },
}

/// What the probe does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeSettings {
    /// The health route's first path segment: the probe GETs
    /// `/<health_path>/ping`.
    pub health_path: String,
    /// Timeout of the whole probe, from resolution to the last byte, across
    /// every address tried.
    pub timeout: Duration,
    /// How names are resolved.
    pub resolver: Resolver,
    /// Which certificates are trusted.
    pub trust: Trust,
}

impl ProbeSettings {
    /// Production settings: system DNS and the web PKI.
    pub fn new(health_path: &str, timeout: Duration) -> Self {
        ProbeSettings {
            health_path: health_path.trim_matches('/').to_owned(),
            timeout,
            resolver: Resolver::System,
            trust: Trust::WebPki,
        }
    }

    /// Enables the test seams named by the environment, if any, and logs it.
    pub fn with_test_seams_from_env(mut self) -> Self {
        if let Ok(url) = std::env::var(ENV_TEST_RESOLVER)
            && !url.is_empty()
        {
            tracing::warn!(%url, "TEST SEAM: names are resolved by a test service, not by DNS");
            self.resolver = Resolver::TestService { url };
        }
        if let Ok(pem) = std::env::var(ENV_TEST_CA)
            && !pem.is_empty()
        {
            tracing::warn!(%pem, "TEST SEAM: an extra CA is trusted for the health probe");
            self.trust = Trust::TestCa { pem: pem.into() };
        }
        self
    }

    /// The path the probe requests.
    pub fn path(&self) -> String {
        format!("/{}/ping", self.health_path)
    }
}

/// A healthy answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The region of the ponger that answered.
    pub region: Region,
    /// The time from the start of the probe to the end of the answer.
    pub latency: Duration,
}

/// Why a probe failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The name did not resolve.
    #[error("resolving {name} failed: {reason}")]
    Resolve {
        /// The name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// No TCP connection could be made.
    #[error("connecting to {address} failed: {reason}")]
    Connect {
        /// Where.
        address: String,
        /// What went wrong.
        reason: String,
    },
    /// The TLS handshake failed.
    #[error("TLS with {name} failed: {reason}")]
    Tls {
        /// The name.
        name: String,
        /// What went wrong.
        reason: String,
    },
    /// The HTTP exchange failed.
    #[error("the HTTP exchange failed: {0}")]
    Http(String),
    /// The probe took longer than its timeout.
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// The answer was not 200.
    #[error("the health route answered HTTP {0}")]
    Status(u16),
    /// The answer was 200 but did not name a region.
    #[error("the health route's answer does not name a known region: {0}")]
    Body(String),
}

/// Settings that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The test CA could not be read.
    #[error("reading the test CA {path}: {reason}")]
    TestCa {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("configuring TLS: {0}")]
    Tls(#[from] rustls::Error),
}

#[derive(Deserialize)]
struct PongBody {
    region: String,
}

/// Probes health routes. Build it once and reuse it.
#[derive(Clone)]
pub struct Prober {
    settings: ProbeSettings,
    tls: TlsConnector,
}

impl std::fmt::Debug for Prober {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prober")
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Prober {
    /// A prober with `settings`.
    pub fn new(settings: ProbeSettings) -> Result<Self, SetupError> {
        let mut roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        if let Trust::TestCa { pem } = &settings.trust {
            let setup = |reason: String| SetupError::TestCa {
                path: pem.clone(),
                reason,
            };
            let file = std::fs::read(pem).map_err(|e| setup(e.to_string()))?;
            for cert in rustls_pemfile::certs(&mut file.as_slice()) {
                roots
                    .add(cert.map_err(|e| setup(e.to_string()))?)
                    .map_err(|e| setup(e.to_string()))?;
            }
        }
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Prober {
            settings,
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &ProbeSettings {
        &self.settings
    }

    /// Probes `https://<name>/<health_path>/ping`.
    pub async fn probe(&self, name: &str) -> Result<Answer, ProbeError> {
        self.probe_with_address(name)
            .await
            .map(|(answer, _)| answer)
    }

    /// [`Prober::probe`], also returning the address that answered.
    ///
    /// The name resolves to several addresses (an alias record for an API
    /// Gateway regional domain answers with more than one), any of which
    /// can be unreachable. They are tried in the order resolution gave
    /// them, each reached (TCP and TLS) within an equal share of what is
    /// left of the probe's timeout, so that a dead first address leaves
    /// time for the others; the first that completes a TLS handshake is
    /// asked, and its answer, good or bad, is the probe's.
    pub async fn probe_with_address(&self, name: &str) -> Result<(Answer, SocketAddr), ProbeError> {
        let started = Instant::now();
        let timeout = self.settings.timeout;
        let deadline = tokio::time::Instant::from_std(started) + timeout;
        match tokio::time::timeout_at(deadline, self.exchange(name, deadline)).await {
            Ok(Ok((region, address))) => {
                let latency = started.elapsed();
                tracing::debug!(%name, %address, %region, ?latency, "probe answered");
                Ok((Answer { region, latency }, address))
            }
            Ok(Err(error)) => Err(error),
            Err(_) => Err(ProbeError::Timeout(timeout)),
        }
    }

    async fn resolve(&self, name: &str) -> Result<Vec<SocketAddr>, ProbeError> {
        let fail = |reason: String| ProbeError::Resolve {
            name: name.to_owned(),
            reason,
        };
        let addresses: Vec<SocketAddr> = match &self.settings.resolver {
            Resolver::System => tokio::net::lookup_host((name, 443))
                .await
                .map(|addrs| addrs.collect())
                .map_err(|e| fail(e.to_string()))?,
            Resolver::TestService { url } => {
                tracing::debug!(%name, %url, "TEST SEAM: resolving through the test service");
                let answer = http_get_text(url, &format!("/resolve?name={name}&all=1"))
                    .await
                    .map_err(fail)?;
                answer
                    .lines()
                    .map(str::trim)
                    .filter(|line| !line.is_empty())
                    .map(|line| {
                        line.parse::<SocketAddr>()
                            .map_err(|e| fail(format!("{line:?}: {e}")))
                    })
                    .collect::<Result<_, _>>()?
            }
        };
        if addresses.is_empty() {
            return Err(fail("no addresses".into()));
        }
        Ok(addresses)
    }

    /// TCP and TLS with `address` for `name`.
    async fn reach(
        &self,
        name: &str,
        address: SocketAddr,
    ) -> Result<tokio_rustls::client::TlsStream<TcpStream>, ProbeError> {
        let tcp = TcpStream::connect(address)
            .await
            .map_err(|e| ProbeError::Connect {
                address: address.to_string(),
                reason: e.to_string(),
            })?;
        let server_name = ServerName::try_from(name.to_owned()).map_err(|e| ProbeError::Tls {
            name: name.to_owned(),
            reason: e.to_string(),
        })?;
        self.tls
            .connect(server_name, tcp)
            .await
            .map_err(|e| ProbeError::Tls {
                name: name.to_owned(),
                reason: e.to_string(),
            })
    }

    /// Tries the addresses of `name` in order until one is reached, then
    /// asks it; returns the region that answered and from where.
    async fn exchange(
        &self,
        name: &str,
        deadline: tokio::time::Instant,
    ) -> Result<(Region, SocketAddr), ProbeError> {
        let addresses = self.resolve(name).await?;
        let mut last_error = ProbeError::Timeout(self.settings.timeout);
        for (index, &address) in addresses.iter().enumerate() {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                break;
            }
            let share = left / u32::try_from(addresses.len() - index).unwrap_or(u32::MAX);
            match tokio::time::timeout(share, self.reach(name, address)).await {
                Ok(Ok(tls)) => return Ok((self.ask(name, tls).await?, address)),
                Ok(Err(error)) => {
                    tracing::info!(%name, %address, %error, "an address of the name did not answer");
                    last_error = error;
                }
                Err(_) => {
                    tracing::info!(%name, %address, ?share, "an address of the name did not answer in time");
                    last_error = ProbeError::Timeout(self.settings.timeout);
                }
            }
        }
        Err(last_error)
    }

    /// The health request over an established connection.
    async fn ask(
        &self,
        name: &str,
        tls: tokio_rustls::client::TlsStream<TcpStream>,
    ) -> Result<Region, ProbeError> {
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
            .await
            .map_err(|e| ProbeError::Http(e.to_string()))?;
        let driver = tokio::spawn(connection);
        let request = http::Request::get(self.settings.path())
            .header(http::header::HOST, name)
            .header(http::header::USER_AGENT, "multiregion-probe")
            .body(Empty::<Bytes>::new())
            .map_err(|e| ProbeError::Http(e.to_string()))?;
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| ProbeError::Http(e.to_string()))?;
        let status = response.status().as_u16();
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| ProbeError::Http(e.to_string()))?
            .to_bytes();
        driver.abort();
        if status != 200 {
            return Err(ProbeError::Status(status));
        }
        let text = String::from_utf8_lossy(&body);
        let pong: PongBody = serde_json::from_slice(&body).map_err(|e| {
            ProbeError::Body(format!(
                "{e}: {}",
                text.chars().take(120).collect::<String>()
            ))
        })?;
        Region::new(&pong.region).map_err(|e| ProbeError::Body(e.to_string()))
    }
}

/// A plain-HTTP GET on loopback, for the test resolver service. `base` is
/// `http://host:port[/base/path]`.
async fn http_get_text(base: &str, path_and_query: &str) -> Result<String, String> {
    let rest = base.trim_start_matches("http://").trim_end_matches('/');
    let (authority, base_path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let path_and_query = format!("{base_path}{path_and_query}");
    let tcp = TcpStream::connect(authority)
        .await
        .map_err(|e| format!("test resolver at {authority}: {e}"))?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .map_err(|e| e.to_string())?;
    let driver = tokio::spawn(connection);
    let request = http::Request::get(path_and_query)
        .header(http::header::HOST, authority)
        .body(Empty::<Bytes>::new())
        .map_err(|e| e.to_string())?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let body = Limited::new(response.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    driver.abort();
    let text = String::from_utf8_lossy(&body).into_owned();
    if status.is_success() {
        Ok(text)
    } else {
        Err(format!("test resolver answered {status}: {}", text.trim()))
    }
}
