//! What create, read, update and delete share: the validated spec with its
//! resolved names, the region contexts, and the Route 53 client.

use multiregion_core::Pair;
use tf_provider::Diagnostics;
use tf_provider::value::Value;

use super::records;
use super::region::{RegionContext, RegionDeployment};
use super::state::{FailoverState, Ownership, PrivateState, known};
use super::validate::{self, Spec};
use crate::provider::Shared;

/// A spec whose standby name is resolved.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The validated configuration.
    pub spec: Spec,
    /// The resource id.
    pub id: String,
    /// The standby name.
    pub standby_name: String,
}

impl Resolved {
    /// Resolves `spec` with the standby name.
    pub fn new(spec: Spec, standby_name: String) -> Self {
        Resolved {
            id: spec.id(),
            spec,
            standby_name,
        }
    }

    /// Resolves a state that was written by this provider (its values were
    /// validated when it was written).
    pub fn from_state(state: &FailoverState<'_>) -> Option<Self> {
        let mut scratch = Diagnostics::default();
        let spec = validate::spec(state, &mut scratch)?;
        let standby = known(&state.standby_domain_name)?.to_owned();
        Some(Resolved::new(spec, standby))
    }

    /// The two region contexts.
    pub async fn contexts<'s>(&'s self, shared: &'s Shared) -> [RegionContext<'s>; 2] {
        let (primary, secondary) = tokio::join!(
            shared.clients.region(&self.spec.primary.region),
            shared.clients.region(&self.spec.secondary.region),
        );
        let context = |spec, clients| RegionContext {
            spec,
            names: &self.spec.names,
            id: &self.id,
            domain_name: &self.spec.domain_name,
            standby_domain_name: &self.standby_name,
            health_path: &self.spec.health_path,
            clients,
            pacer: &shared.pacer,
        };
        [
            context(&self.spec.primary, primary),
            context(&self.spec.secondary, secondary),
        ]
    }

    /// The core's pair for these deployments.
    pub fn pair(&self, deployments: [&RegionDeployment; 2]) -> Pair {
        records::pair(
            &self.spec.hosted_zone_id,
            &self.spec.domain_name,
            &self.standby_name,
            [
                (&self.spec.primary.region, deployments[0]),
                (&self.spec.secondary.region, deployments[1]),
            ],
        )
    }

    /// The Route 53 client.
    pub async fn route53(&self, shared: &Shared) -> aws_sdk_route53::Client {
        shared.clients.route53(&self.spec.primary.region).await
    }
}

/// The deployments a state and its private ownership describe.
pub fn prior_deployments(
    state: &FailoverState<'_>,
    private: &PrivateState,
) -> [RegionDeployment; 2] {
    let ownership = match private {
        Value::Value(o) => o.clone(),
        _ => Ownership::default(),
    };
    [
        records::deployment_of(&state.primary, ownership.primary),
        records::deployment_of(&state.secondary, ownership.secondary),
    ]
}

/// The private state of two deployments.
pub fn ownership_of(deployments: [&RegionDeployment; 2]) -> PrivateState {
    Value::Value(Ownership {
        primary: deployments[0].ownership.clone(),
        secondary: deployments[1].ownership.clone(),
    })
}

impl Resolved {
    /// The ledger record's name.
    pub fn ledger_name(&self) -> String {
        multiregion_core::naming::ledger_record_name(&self.spec.domain_name)
    }

    /// The deployment contract every function of both regions gets.
    pub fn deployment(&self, deployments: [&RegionDeployment; 2]) -> multiregion_core::Deployment {
        use multiregion_core::deployment::{CONTRACT_VERSION, DeployedRegion, Target};
        let names = &self.spec.names;
        let relayed = self.spec.settings.health_check.core().relayed();
        let region = |spec: &super::validate::RegionSpec, deployment: &RegionDeployment| {
            let target = |t: &Option<multiregion_core::AliasTarget>| Target {
                dns_name: t.as_ref().map(|t| t.dns_name.clone()).unwrap_or_default(),
                hosted_zone_id: t
                    .as_ref()
                    .map(|t| t.hosted_zone_id.clone())
                    .unwrap_or_default(),
            };
            let arn = |service: &str, resource: String| {
                format!(
                    "arn:{}:{service}:{}:{}:{resource}",
                    spec.region.partition().as_str(),
                    spec.region,
                    spec.account_id
                )
            };
            DeployedRegion {
                region: spec.region.clone(),
                active_target: target(&deployment.active_target),
                standby_target: target(&deployment.standby_target),
                state_machine_arn: arn("states", format!("stateMachine:{}", names.state_machine())),
                notification_topic_arn: spec
                    .notification_topic_arn
                    .clone()
                    .unwrap_or_else(|| arn("sns", names.notification_topic())),
                tick_queue_url: relayed
                    .then(|| names.tick_queue_url(&spec.region, &spec.account_id)),
            }
        };
        multiregion_core::Deployment {
            contract: CONTRACT_VERSION,
            name: names.name().to_owned(),
            resource_id: self.id.clone(),
            hosted_zone_id: self.spec.hosted_zone_id.clone(),
            active_name: self.spec.domain_name.clone(),
            standby_name: self.standby_name.clone(),
            health_path: self.spec.health_path.clone(),
            probe_timeout_ms: u64::from(self.spec.settings.health_check.timeout_ms),
            cooldown_seconds: u64::from(self.spec.settings.failover.cooldown_seconds),
            interval_seconds: self.spec.settings.health_check.interval_seconds,
            max_automatic_swaps_per_day: self.spec.settings.failover.max_automatic_swaps_per_day,
            alarm_name: names.alarm(),
            regions: [
                region(&self.spec.primary, deployments[0]),
                region(&self.spec.secondary, deployments[1]),
            ],
        }
    }
}

/// The handler package of a spec, opened and checked, if the runtime is
/// deployed; errors go to `diags`.
pub fn open_package(
    resolved: &Resolved,
    diags: &mut Diagnostics,
) -> Result<Option<multiregion_core::package::Package>, ()> {
    let Some(path) = &resolved.spec.handler_package else {
        return Ok(None);
    };
    multiregion_core::package::Package::open(path).map(Some).map_err(|e| {
        diags.error(
            "Unusable handler package",
            format!("{e}. Build it with scripts/package, or use the package shipped with this provider's release."),
            tf_provider::AttributePath::new("handler_package").index(0).attribute("path"),
        );
    })
}
