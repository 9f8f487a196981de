//! Per-region data-plane fronts: a local stand-in for each region's API
//! Gateway custom-domain routing, which moto does not serve.
//!
//! A front is an HTTPS listener on 127.0.0.1 with a certificate for whatever
//! name the client asks for, signed by the bench's CA. A request's Host leads,
//! through the region's state in moto, to its custom domain, base path
//! mapping, REST API, stage, resource and method integration; an `AWS_PROXY`
//! integration becomes an API Gateway proxy event sent to the region's Lambda
//! Invoke endpoint (the Lambda emulator running the real handler binaries).
//! Names resolve through the alias records held by moto ([`Fronts::resolve`])
//! to a front's two addresses, the first of which a test can make
//! unreachable ([`FirstAddress`]).
//! Switching a front off is how a test takes a region's data plane down.
//!
//! A partition between regions is a per-vantage view of the fronts
//! ([`Fronts::cut_link`]): a vantage is a named resolver (a region's
//! functions share the one named after their region; each client outside
//! AWS has its own), and a link cut from a vantage to a region's front makes
//! every address of that front, as answered to that vantage, one where
//! nothing listens (connections are refused, as a front that is off
//! refuses them). Everyone else still reaches the front. The view applies
//! to every answer, cached or fresh, so a cut takes effect at once, as a
//! network path does, not when a cached answer expires. That is how the two
//! regions' runtimes can see each other down while users reach both: the
//! fault is at the network edge, and nothing of the handlers is touched.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::health::HealthStatuses;
use crate::moto_client::MotoClient;
use crate::route53::record_set;

mod ca;
mod policy;
mod routing;

use ca::Ca;
use routing::{Routing, gateway_error};

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

/// What the first of a front's addresses does. An alias answer for an API
/// Gateway regional domain carries several addresses (DESIGN §6), and a
/// client that tries only the first is down whenever that one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FirstAddress {
    /// It serves like the others.
    #[default]
    Up,
    /// Nothing listens there: the resolver answers an address of
    /// 127.0.0.0/8 that no socket is bound to (connections are refused).
    Refused,
    /// It accepts connections and never answers (a black hole).
    Silent,
}

#[derive(Debug)]
struct Front {
    /// The addresses the front listens on, in the order DNS answers them.
    addresses: [SocketAddr; 2],
    state: Arc<Mutex<FrontState>>,
    first: Arc<Mutex<FirstAddress>>,
    lambda: Arc<Mutex<Option<String>>>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Front {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Front {
    /// The addresses a resolver answers for the front.
    fn answer(&self) -> Vec<SocketAddr> {
        let [first, second] = self.addresses;
        let first = match *self.first.lock().unwrap_or_else(|p| p.into_inner()) {
            // Same port, another loopback address: the listener is bound to
            // 127.0.0.1 only, so nothing accepts there.
            FirstAddress::Refused => SocketAddr::from(([127, 0, 0, 2], first.port())),
            FirstAddress::Up | FirstAddress::Silent => first,
        };
        vec![first, second]
    }
}

/// The fronts of every region, and the resolver over moto's records.
#[derive(Clone)]
pub struct Fronts {
    moto: MotoClient,
    ca: Arc<Ca>,
    acceptor: TlsAcceptor,
    fronts: Arc<tokio::sync::Mutex<HashMap<String, Front>>>,
    /// The cut links: (vantage, region whose front it cannot reach).
    cut: Arc<Mutex<BTreeSet<(String, String)>>>,
    http: reqwest::Client,
    health: Arc<HealthStatuses>,
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
            cut: Arc::default(),
            http: reqwest::Client::new(),
            health: Arc::default(),
        })
    }

    /// The health checkers' statuses, by which failover records answer.
    pub fn health(&self) -> &HealthStatuses {
        &self.health
    }

    /// The CA certificate, PEM, for clients to trust.
    pub fn ca_pem(&self) -> String {
        self.ca.pem()
    }

    /// The first address of `region`'s front, starting it if needed.
    pub async fn ensure(&self, region: &str) -> Result<SocketAddr> {
        Ok(self.ensure_all(region).await?[0])
    }

    /// Every address of `region`'s front as DNS answers them, starting it
    /// if needed.
    pub async fn addresses(&self, region: &str) -> Result<Vec<SocketAddr>> {
        self.ensure_all(region).await?;
        let fronts = self.fronts.lock().await;
        Ok(fronts.get(region).map(Front::answer).unwrap_or_default())
    }

    async fn ensure_all(&self, region: &str) -> Result<[SocketAddr; 2]> {
        let mut fronts = self.fronts.lock().await;
        if let Some(front) = fronts.get(region) {
            return Ok(front.addresses);
        }
        let state = Arc::new(Mutex::new(FrontState::Up));
        let first = Arc::new(Mutex::new(FirstAddress::Up));
        let lambda = Arc::new(Mutex::new(None));
        let routing = Routing {
            region: region.to_owned(),
            moto: self.moto.clone(),
            http: self.http.clone(),
            lambda: lambda.clone(),
        };
        let mut addresses = Vec::new();
        let mut tasks = Vec::new();
        for index in 0..2 {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            addresses.push(listener.local_addr()?);
            tasks.push(tokio::spawn(serve(
                listener,
                self.acceptor.clone(),
                routing.clone(),
                state.clone(),
                (index == 0).then(|| first.clone()),
            )));
        }
        let addresses = [addresses[0], addresses[1]];
        fronts.insert(
            region.to_owned(),
            Front {
                addresses,
                state,
                first,
                lambda,
                tasks,
            },
        );
        tracing::info!(%region, ?addresses, "front started");
        Ok(addresses)
    }

    /// Cuts the link from `vantage` (a resolver's name) to `region`'s
    /// front: connections from there to any of its addresses are refused
    /// until [`Fronts::heal_links`].
    pub fn cut_link(&self, vantage: &str, region: &str) {
        self.cut
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((vantage.to_owned(), region.to_owned()));
        tracing::info!(%vantage, %region, "link cut");
    }

    /// Restores every cut link.
    pub fn heal_links(&self) {
        self.cut.lock().unwrap_or_else(|p| p.into_inner()).clear();
        tracing::info!("links healed");
    }

    /// The links cut now, as (vantage, region).
    pub fn cut_links(&self) -> Vec<(String, String)> {
        self.cut
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// `answer` as `vantage` sees it: an address of a front whose link from
    /// `vantage` is cut becomes the same port on 127.0.0.3, where nothing
    /// listens (the fronts are bound to 127.0.0.1 only).
    pub async fn seen_from(&self, vantage: &str, answer: Vec<SocketAddr>) -> Vec<SocketAddr> {
        let unreachable: Vec<String> = self
            .cut
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(from, _)| from == vantage)
            .map(|(_, region)| region.clone())
            .collect();
        if unreachable.is_empty() {
            return answer;
        }
        let fronts = self.fronts.lock().await;
        let cut_ports: Vec<u16> = unreachable
            .iter()
            .filter_map(|region| fronts.get(region))
            .flat_map(|front| front.addresses.iter().map(SocketAddr::port))
            .collect();
        answer
            .into_iter()
            .map(|address| {
                if cut_ports.contains(&address.port()) {
                    SocketAddr::from(([127, 0, 0, 3], address.port()))
                } else {
                    address
                }
            })
            .collect()
    }

    /// Sets what the first of `region`'s front addresses does.
    pub async fn set_first_address(&self, region: &str, first: FirstAddress) -> Result<()> {
        self.ensure(region).await?;
        let fronts = self.fronts.lock().await;
        if let Some(front) = fronts.get(region) {
            *front.first.lock().unwrap_or_else(|p| p.into_inner()) = first;
            tracing::info!(%region, ?first, "front's first address");
        }
        Ok(())
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
        Ok(self
            .resolve_all(name)
            .await?
            .and_then(|all| all.first().copied()))
    }

    /// [`Fronts::resolve`] with every address of the answer, in order.
    pub async fn resolve_all(&self, name: &str) -> Result<Option<Vec<SocketAddr>>> {
        let Some(target) = alias_target(&self.moto, &self.health, name).await? else {
            return Ok(None);
        };
        match region_of_regional_domain(&target) {
            Some(region) => Ok(Some(self.addresses(&region).await?)),
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
/// the hosted zones: the alias target DNS name. Of failover records, the one
/// Route 53 answers with by health ([`HealthStatuses::answering`]).
async fn alias_target(
    moto: &MotoClient,
    health: &HealthStatuses,
    name: &str,
) -> Result<Option<String>> {
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
        let sets = sets
            .into_iter()
            .map(record_set)
            .collect::<Result<Vec<_>>>()?;
        let answer = health.answering(&sets.iter().collect::<Vec<_>>());
        let next = match answer {
            Some(a) => a
                .alias
                .as_ref()
                .map(|alias| alias.dns_name.clone())
                .or_else(|| a.values.first().cloned()),
            None => sets
                .iter()
                .find(|s| s.rtype == "CNAME")
                .and_then(|s| s.values.first().cloned()),
        };
        match next {
            None => return Ok(None),
            Some(next) => current = next.trim_end_matches('.').to_ascii_lowercase(),
        }
    }
    Ok(None)
}

async fn serve(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    routing: Routing,
    state: Arc<Mutex<FrontState>>,
    first: Option<Arc<Mutex<FirstAddress>>>,
) {
    loop {
        let Ok((tcp, _)) = listener.accept().await else {
            continue;
        };
        let silent = first
            .as_ref()
            .is_some_and(|f| *f.lock().unwrap_or_else(|p| p.into_inner()) == FirstAddress::Silent);
        let current = match *state.lock().unwrap_or_else(|p| p.into_inner()) {
            _ if silent => FrontState::Hang,
            current => current,
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_cut_link_hides_a_front_from_one_vantage_only() {
        let fronts = Fronts::new(MotoClient::new("http://127.0.0.1:9")).unwrap();
        let west = fronts.addresses("us-west-2").await.unwrap();
        let east = fronts.addresses("us-east-1").await.unwrap();
        let both: Vec<SocketAddr> = west.iter().chain(&east).copied().collect();
        fronts.cut_link("us-east-1", "us-west-2");
        let seen = fronts.seen_from("us-east-1", both.clone()).await;
        assert!(seen[..2].iter().all(|a| a.ip().to_string() == "127.0.0.3"));
        assert_eq!(seen[2..], east[..], "its own front stays reachable");
        assert_eq!(fronts.seen_from("client", both.clone()).await, both);
        assert_eq!(fronts.seen_from("us-west-2", both.clone()).await, both);
        fronts.heal_links();
        assert_eq!(fronts.seen_from("us-east-1", both.clone()).await, both);
    }

    #[test]
    fn reads_the_region_of_a_regional_domain() {
        assert_eq!(
            region_of_regional_domain("d-abc.execute-api.us-west-2.amazonaws.com."),
            Some("us-west-2".into())
        );
        assert_eq!(region_of_regional_domain("example.com"), None);
    }
}
