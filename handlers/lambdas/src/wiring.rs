//! What every `main` shares: JSON logs, the deployment contract, the
//! function's region, SDK clients and the probe. Only `main` calls these.

use std::time::Instant;

use multiregion_core::aws::{AwsSettings, route53_client, sdk_config};
use multiregion_core::deployment::{Deployment, DeploymentError};
use multiregion_core::naming::Component;
use multiregion_core::probe::{ProbeSettings, Prober, SetupError};
use multiregion_core::region::{Region, UnknownRegion};

/// Why a function could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The deployment contract is missing or broken.
    #[error(transparent)]
    Deployment(#[from] DeploymentError),
    /// `AWS_REGION` is missing or not a region.
    #[error("AWS_REGION: {0}")]
    Region(String),
    /// The function's region is not one of the deployment's.
    #[error("this function runs in {0}, which is not one of the deployment's regions")]
    ForeignRegion(Region),
    /// The probe cannot be set up.
    #[error(transparent)]
    Probe(#[from] SetupError),
    /// The function's handler setting names no component.
    #[error(
        "the function's handler is {0:?}: set it to one of ponger, pinger, swapper or notifier"
    )]
    Handler(String),
}

impl From<UnknownRegion> for StartError {
    fn from(error: UnknownRegion) -> Self {
        StartError::Region(error.to_string())
    }
}

/// Structured JSON logs on stdout (Lambda sends them to CloudWatch Logs);
/// `RUST_LOG` filters, `info` by default.
pub fn init_logs() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_target(false)
        .with_env_filter(filter)
        .try_init();
}

/// The deployment and the function's own region.
#[derive(Debug, Clone)]
pub struct Environment {
    /// The deployment contract.
    pub deployment: Deployment,
    /// The function's region (`AWS_REGION`).
    pub region: Region,
}

impl Environment {
    /// Reads `MULTIREGION_DEPLOYMENT` and `AWS_REGION`.
    pub fn load() -> Result<Self, StartError> {
        let deployment = Deployment::from_env()?;
        let code = std::env::var("AWS_REGION").map_err(|_| StartError::Region("not set".into()))?;
        let region = Region::new(&code)?;
        if deployment.region(&region).is_none() {
            return Err(StartError::ForeignRegion(region));
        }
        Ok(Environment { deployment, region })
    }

    /// The SDK configuration of the function's region; `attempts` 1 turns
    /// the SDK's own retries off.
    pub async fn sdk(&self, attempts: Option<u32>) -> aws_config::SdkConfig {
        sdk_config(&self.region, &settings(attempts)).await
    }

    /// The SDK configuration of the deployment's other region.
    pub async fn other_sdk(&self) -> Result<aws_config::SdkConfig, StartError> {
        let other = self
            .deployment
            .other(&self.region)
            .ok_or_else(|| StartError::ForeignRegion(self.region.clone()))?;
        Ok(sdk_config(&other.region, &settings(None)).await)
    }

    /// A Route 53 client (signed for its control plane's region).
    pub async fn route53(&self, attempts: Option<u32>) -> aws_sdk_route53::Client {
        route53_client(&self.region, &settings(attempts)).await
    }

    /// The health probe, with the test seams only if their variables are set.
    pub fn prober(&self) -> Result<Prober, StartError> {
        let settings = ProbeSettings::new(
            &self.deployment.health_path,
            self.deployment.probe_timeout(),
        )
        .with_test_seams_from_env();
        Ok(Prober::new(settings)?)
    }
}

fn settings(attempts: Option<u32>) -> AwsSettings {
    AwsSettings {
        max_attempts: attempts,
        ..AwsSettings::default()
    }
}

/// Logs that the function is ready, with its init time (from the start of
/// `main` to the first poll of the runtime API).
pub fn ready(handler: Component, started: Instant) {
    tracing::info!(
        handler = handler.as_str(),
        init_ms = started.elapsed().as_secs_f64() * 1000.0,
        version = env!("CARGO_PKG_VERSION"),
        "ready"
    );
}
