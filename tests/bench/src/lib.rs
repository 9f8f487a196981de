//! The test bench: it plays AWS faithfully enough for our tests.
//!
//! - [`moto`]: the AWS emulator on a free loopback port, configured before
//!   anything is created;
//! - [`proxy`]: a loopback proxy in front of it with the Route 53 fidelity
//!   layer ([`route53`]), fault injection by region, service and operation
//!   ([`faults`]), an added latency, and a request log;
//! - [`fronts`]: per-region data-plane fronts standing in for API Gateway's
//!   custom-domain routing, and a resolver over the alias records in moto;
//! - [`apigateway`] and [`quotas`]: what API Gateway refuses and moto
//!   accepts (deleting a mapped API, mappings beside the empty base path,
//!   calls beyond the fixed control-plane quotas);
//! - [`clock`]: the wall clock or a virtual clock a simulation drives, which
//!   Route 53 propagation ([`propagation`]), the resolvers' TTL cache
//!   ([`dns`]) and alarm state times ([`cloudwatch`]) follow;
//! - [`cloudwatch`]: also `EnableAlarmActions` and `DisableAlarmActions`,
//!   which moto lacks, answered by the proxy and shown by `DescribeAlarms`.
//!
//! - [`recording`]: what clients asked, recorded in one bench and played
//!   into another under the same identifiers (an older provider's
//!   deployment, as a fixture).
//!
//! The bench depends on nothing of ours; everyone's tests use it.

pub mod alarm_checks;
pub mod apigateway;
pub mod clock;
pub mod cloudwatch;
mod control;
pub mod dns;
pub mod faults;
pub mod fronts;
pub mod health;
pub mod moto;
pub mod moto_client;
pub mod pong;
pub mod propagation;
pub mod proxy;
pub mod quotas;
pub mod recording;
pub mod request;
pub mod route53;
pub mod route53_rate;
pub mod seed;
pub mod sqs;
mod states;
pub mod terraform;
pub mod xml;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

pub use clock::Clock;
pub use faults::{Fault, FaultKind};
pub use fronts::{FirstAddress, FrontState, Fronts};
pub use moto::Moto;
pub use moto_client::MotoClient;
pub use proxy::{LogEntry, Proxy};
pub use quotas::QuotaSettings;

/// Dummy credentials the emulator accepts.
pub const ACCESS_KEY: &str = "AKIDBENCHTESTING";
/// Dummy secret key.
pub const SECRET_KEY: &str = "bench-secret-key";

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A request id in the shape AWS uses.
pub fn request_id() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    format!("{nanos:08x}-bench-4000-8000-{n:012x}")
}

/// Everything running: moto, the proxy in front of it, and the fronts.
#[derive(Debug)]
pub struct Bench {
    moto: Moto,
    proxy: Proxy,
    dir: PathBuf,
    ca_path: PathBuf,
}

impl Bench {
    /// Starts moto, the proxy and the fronts' CA, on the wall clock. Logs
    /// and the CA file go to a fresh temporary directory, removed when the
    /// bench is dropped.
    pub async fn start() -> Result<Bench> {
        Bench::start_with_clock(Clock::wall()).await
    }

    /// [`Bench::start`] with `clock` driving Route 53 propagation, the
    /// resolvers' TTL and alarm state times.
    pub async fn start_with_clock(clock: Clock) -> Result<Bench> {
        let dir = std::env::temp_dir().join(format!(
            "multiregion-bench-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)?;
        let moto = Moto::start(&dir).await?;
        let client = MotoClient::new(moto.url());
        let fronts = Fronts::new(client.clone())?;
        let ca_path = dir.join("bench-ca.pem");
        std::fs::write(&ca_path, fronts.ca_pem())?;
        let proxy = Proxy::start_with_clock(client, fronts, clock).await?;
        Ok(Bench {
            moto,
            proxy,
            dir,
            ca_path,
        })
    }

    /// The endpoint every SDK client uses (`AWS_ENDPOINT_URL`): the proxy.
    pub fn endpoint_url(&self) -> String {
        self.proxy.url()
    }

    /// moto itself, bypassing the proxy (for test set-up and sweeps only).
    pub fn moto_url(&self) -> &str {
        self.moto.url()
    }

    /// The proxy: faults, latency, the request log.
    pub fn proxy(&self) -> &Proxy {
        &self.proxy
    }

    /// The data-plane fronts.
    pub fn fronts(&self) -> &Fronts {
        self.proxy.fronts()
    }

    /// The URL of the resolver service for the probe's test seam.
    pub fn resolver_url(&self) -> String {
        format!("{}/__bench", self.proxy.url())
    }

    /// The URL of the named resolver `resolver` (each has its own cache).
    pub fn resolver_url_for(&self, resolver: &str) -> String {
        format!("{}/__bench/resolvers/{resolver}", self.proxy.url())
    }

    /// The clock.
    pub fn clock(&self) -> &Clock {
        self.proxy.clock()
    }

    /// The PEM file of the fronts' CA, for the probe's test seam.
    pub fn ca_path(&self) -> &Path {
        &self.ca_path
    }

    /// The directory holding the bench's logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Seeds moto's identifiers with `seed` and starts recording what
    /// clients ask the proxy ([`recording`]).
    pub async fn start_recording(&self, seed: u64) -> Result<()> {
        self.moto.seed(seed).await?;
        self.proxy.start_recording();
        Ok(())
    }

    /// Seeds moto's identifiers with `seed`, then plays `entries` through
    /// the proxy: what was recorded after the same seed is made again,
    /// under the same identifiers.
    pub async fn replay(&self, seed: u64, entries: &[recording::Recorded]) -> Result<()> {
        self.moto.seed(seed).await?;
        recording::replay(&self.proxy.url(), entries).await
    }

    /// Clears moto's state, the faults, the latency, the log and the alarm
    /// actions switched on or off.
    pub async fn reset(&self) -> Result<()> {
        self.moto.reset().await?;
        self.proxy.clear_faults();
        self.proxy.set_latency(std::time::Duration::ZERO);
        self.proxy.flush_dns();
        self.proxy.clear_log();
        self.proxy.clear_alarm_actions();
        self.proxy.set_route53_rate(false, None);
        Ok(())
    }

    /// Environment for a process that should talk to the bench: the
    /// endpoint, dummy credentials, and the probe's test seams.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint_url()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
            ("MULTIREGION_TEST_RESOLVER", self.resolver_url()),
            ("MULTIREGION_TEST_CA", self.ca_path.display().to_string()),
        ]
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        if std::env::var_os("MULTIREGION_BENCH_KEEP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
