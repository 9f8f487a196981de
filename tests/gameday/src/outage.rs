//! Outages, injected at the network edge only: a region's data-plane front
//! stops answering, and optionally its regional AWS endpoints answer 503
//! through the proxy. Nothing inside our code is touched. Route 53 is
//! global (its control plane lives in us-east-1) and no regional outage
//! fails it (DESIGN §3.4).
//!
//! When the active region's data plane goes, two clients outside AWS probe
//! the public name every five seconds until each answers from the other
//! region. A new client (a resolver with nothing cached, a new one each
//! probe) gives the timeline's "first answer from the new region": the first
//! client answered once Route 53 serves the change. A client whose resolver
//! keeps what it resolved for the TTL gives "answer to a cached client":
//! every client has moved by then.
//!
//! A partition ([`GameDay::partition`]) cuts the network between the two
//! regions and nothing else: the probes a region's functions make (the
//! pinger's and the swapper's, through the resolver their region shares)
//! cannot reach the other region's front, while clients outside AWS reach
//! both, and every AWS API (Route 53, Step Functions, ...) still answers.
//! It is the bench's per-vantage view of the fronts
//! (`multiregion_bench::Fronts::cut_link`), injected at the edge like any
//! other outage.

use anyhow::Result;
use multiregion_bench::clock::EpochMs;
use multiregion_bench::{Fault, FaultKind, FrontState};

use crate::gameday::{Agenda, GameDay};
use crate::timeline::Kind;

/// How often the client probes the public name while it waits.
const CLIENT_PROBE_MS: EpochMs = 5_000;

/// The regional services an [`Outage`] with `aws` fails. Route 53 is global.
const REGIONAL_SERVICES: [&str; 6] = [
    "lambda",
    "monitoring",
    "sns",
    "events",
    "apigateway",
    "logs",
];

/// An outage injected at a region's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outage {
    /// What the region's data-plane front does.
    pub front: FrontState,
    /// The region's Lambda endpoint answers 5xx.
    pub lambda: bool,
    /// Every regional AWS endpoint answers 5xx (Lambda included).
    pub aws: bool,
}

impl Outage {
    /// The data plane refuses connections; AWS's APIs still answer.
    pub fn data_plane() -> Outage {
        Outage {
            front: FrontState::Refuse,
            lambda: false,
            aws: false,
        }
    }

    /// The data plane and Lambda are down.
    pub fn lambda() -> Outage {
        Outage {
            lambda: true,
            ..Outage::data_plane()
        }
    }

    /// The data plane and every regional AWS endpoint are down.
    pub fn region() -> Outage {
        Outage {
            lambda: true,
            aws: true,
            ..Outage::data_plane()
        }
    }
}

impl std::fmt::Display for Outage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.front {
            FrontState::Up => f.write_str("the data plane answers")?,
            FrontState::Refuse => f.write_str("the data plane refuses connections")?,
            FrontState::Hang => f.write_str("the data plane hangs")?,
            FrontState::Status(code) => write!(f, "the data plane answers {code}")?,
        }
        if self.aws {
            f.write_str("; every regional AWS endpoint answers 503")
        } else if self.lambda {
            f.write_str("; Lambda answers 503")
        } else {
            Ok(())
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Watch {
    /// The region the clients wait to leave.
    pub(crate) leaving: String,
    /// The new client was answered from the other region.
    pub(crate) new_client_moved: bool,
    /// The cached client was.
    pub(crate) cached_client_moved: bool,
}

impl GameDay {
    /// Injects `outage` in `region` now.
    pub async fn outage(&mut self, region: &str, outage: Outage) -> Result<()> {
        let now = self.now();
        let bench = &self.runtime.bench;
        bench.fronts().set_state(region, outage.front).await?;
        let services: &[&str] = match (outage.aws, outage.lambda) {
            (true, _) => &REGIONAL_SERVICES,
            (false, true) => &["lambda"],
            (false, false) => &[],
        };
        for service in services {
            bench.proxy().add_fault(
                Fault::new(FaultKind::Unavailable)
                    .region(region)
                    .service(service),
            );
        }
        self.outages.insert(region.to_owned(), outage);
        // When the active region's data plane goes, a client outside AWS
        // starts waiting for an answer from the other region.
        let active = self.runtime.active_view().await?.active_region;
        if outage.front != FrontState::Up && active.as_ref().map(|r| r.as_str()) == Some(region) {
            if self.watch.is_none() {
                self.plan(now + CLIENT_PROBE_MS, Agenda::ClientProbe);
            }
            self.watch = Some(Watch {
                leaving: region.to_owned(),
                new_client_moved: false,
                cached_client_moved: false,
            });
        }
        self.timeline
            .add(now, Kind::Outage, region, outage.to_string());
        Ok(())
    }

    /// Ends the outage of `region` now.
    pub async fn recover(&mut self, region: &str) -> Result<()> {
        let bench = &self.runtime.bench;
        bench.fronts().set_state(region, FrontState::Up).await?;
        bench.proxy().clear_faults_in(region);
        self.outages.remove(region);
        self.timeline.add(self.now(), Kind::Recovery, region, "");
        Ok(())
    }

    /// Cuts the network between `a` and `b` now, both ways: the functions
    /// of each region (the resolver named after the region) cannot reach
    /// the other's front; clients outside AWS reach both.
    pub fn partition(&mut self, a: &str, b: &str) {
        let fronts = self.runtime.bench.fronts();
        fronts.cut_link(a, b);
        fronts.cut_link(b, a);
        let now = self.now();
        self.timeline.add(
            now,
            Kind::Outage,
            a,
            format!("partition: {a} and {b} cannot reach each other; clients reach both"),
        );
    }

    /// Ends every partition now.
    pub fn heal_partition(&mut self) {
        self.runtime.bench.fronts().heal_links();
        let now = self.now();
        self.timeline
            .add(now, Kind::Recovery, "", "the partition healed");
    }

    /// The region a new client outside AWS (a resolver of its own, nothing
    /// cached) gets its answer from now; `None`: no answer.
    pub async fn new_client_answer(&mut self) -> Result<Option<String>> {
        self.new_clients += 1;
        let client = self.client_with(&format!("new-client-{}", self.new_clients))?;
        let name = self.runtime.deployment.active_name.clone();
        let answer = client.probe(&name).await.ok();
        if answer.is_some() {
            self.client_answers += 1;
        }
        Ok(answer.map(|a| a.region.as_str().to_owned()))
    }

    pub(crate) async fn client_probe(&mut self, now: EpochMs) {
        let Some(mut watch) = self.watch.clone() else {
            return;
        };
        let name = self.runtime.deployment.active_name.clone();
        if !watch.new_client_moved {
            self.new_clients += 1;
            let resolver = format!("new-client-{}", self.new_clients);
            let answer = match self.client_with(&resolver) {
                Ok(client) => client.probe(&name).await.ok(),
                Err(error) => {
                    tracing::warn!(%error, "no new client");
                    None
                }
            };
            if let Some(answer) = answer {
                self.client_answers += 1;
                if answer.region.as_str() != watch.leaving {
                    watch.new_client_moved = true;
                    self.timeline.add(
                        now,
                        Kind::FirstAnswer,
                        answer.region.as_str(),
                        format!("{name} answered a new client from {}", answer.region),
                    );
                }
            }
        }
        if !watch.cached_client_moved
            && let Ok(answer) = self.client.probe(&name).await
        {
            self.client_answers += 1;
            if answer.region.as_str() != watch.leaving {
                watch.cached_client_moved = true;
                self.timeline.add(
                    now,
                    Kind::CachedClientAnswer,
                    answer.region.as_str(),
                    format!(
                        "{name} answered a client with a cached answer from {}",
                        answer.region
                    ),
                );
            }
        }
        if watch.new_client_moved && watch.cached_client_moved {
            self.watch = None;
        } else {
            self.watch = Some(watch);
            self.plan(now + CLIENT_PROBE_MS, Agenda::ClientProbe);
        }
    }
}
