//! The deployment contract: what the provider tells every handler Lambda.
//!
//! The provider deploys the same handler package in both regions and passes
//! each function ONE environment variable, [`ENV_DEPLOYMENT`]
//! (`MULTIREGION_DEPLOYMENT`), holding a [`Deployment`] as JSON. Every handler
//! reads all it needs from it: the names, the zone, both regions' alias
//! targets (what [`Pair`] needs), the probe settings, the cooldown, each
//! region's state machine and notification topic, the pinger's interval and
//! the paging alarm. Its own region comes from Lambda's `AWS_REGION`.
//!
//! Example (both regions are listed, primary first; field names are the JSON
//! keys):
//!
//! ```json
//! {
//!   "contract": 2,
//!   "name": "orders",
//!   "resource_id": "api.example.com@Z0123456789",
//!   "hosted_zone_id": "Z0123456789",
//!   "active_name": "api.example.com",
//!   "standby_name": "standby-api.example.com",
//!   "health_path": "health",
//!   "probe_timeout_ms": 5000,
//!   "cooldown_seconds": 900,
//!   "interval_seconds": 60,
//!   "max_automatic_swaps_per_day": 2,
//!   "alarm_name": "mr-orders-active-unhealthy",
//!   "regions": [
//!     { "region": "us-east-1",
//!       "active_target":  { "dns_name": "d-a1.execute-api.us-east-1.amazonaws.com", "hosted_zone_id": "Z1UJRXOUMOOFQ8" },
//!       "standby_target": { "dns_name": "d-s1.execute-api.us-east-1.amazonaws.com", "hosted_zone_id": "Z1UJRXOUMOOFQ8" },
//!       "state_machine_arn": "arn:aws:states:us-east-1:123456789012:stateMachine:mr-orders-failover",
//!       "notification_topic_arn": "arn:aws:sns:us-east-1:123456789012:mr-orders-notify" },
//!     { "region": "us-west-2", "...": "the same fields" }
//!   ]
//! }
//! ```

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::dns::{AliasTarget, Pair, RegionEndpoints};
use crate::naming::{Names, normalize_dns_name};
use crate::region::Region;

/// The environment variable that carries the [`Deployment`] as JSON.
pub const ENV_DEPLOYMENT: &str = "MULTIREGION_DEPLOYMENT";

/// The version of this contract; raised only by incompatible changes (2:
/// the pinger starts the state machine; no kicker, no custom metric).
pub const CONTRACT_VERSION: u32 = 2;

/// The circuit breaker's default: after two automatic swaps in 24 hours
/// (a failover and a failback), a third waits for a person.
pub const DEFAULT_MAX_AUTOMATIC_SWAPS: u32 = 2;

fn default_max_automatic_swaps() -> u32 {
    DEFAULT_MAX_AUTOMATIC_SWAPS
}

/// An alias target as the contract carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The custom domain's regional domain name.
    pub dns_name: String,
    /// The custom domain's regional hosted zone id.
    pub hosted_zone_id: String,
}

/// One region of the deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployedRegion {
    /// The region.
    pub region: Region,
    /// The regional domain of this region's custom domain for the active name.
    pub active_target: Target,
    /// The regional domain of this region's custom domain for the standby name.
    pub standby_target: Target,
    /// The failover state machine in this region.
    pub state_machine_arn: String,
    /// The SNS topic failover outcomes are published to in this region.
    pub notification_topic_arn: String,
    /// The queue that relays a sub-minute interval's later ticks to this
    /// region's pinger; absent at intervals of a minute and more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick_queue_url: Option<String>,
}

/// Everything a handler needs to know about the deployment it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    /// [`CONTRACT_VERSION`] of the writer.
    pub contract: u32,
    /// The resource's `name`.
    pub name: String,
    /// The resource id, `<domain>@<zone>`.
    pub resource_id: String,
    /// The public hosted zone of both names and the ledger.
    pub hosted_zone_id: String,
    /// The public, active name.
    pub active_name: String,
    /// The standby name.
    pub standby_name: String,
    /// The health route's first path segment (`/<health_path>/ping`).
    pub health_path: String,
    /// Timeout of one health probe, in milliseconds.
    pub probe_timeout_ms: u64,
    /// Seconds after the ledger's last swap during which a runtime failover
    /// waits (the ledger written at create does not count: an outage in a
    /// new deployment's first minutes is answered).
    pub cooldown_seconds: u64,
    /// Seconds between two ticks of the pinger's schedule.
    pub interval_seconds: u32,
    /// Automatic swaps in 24 hours after which the circuit breaker pauses
    /// automation in both regions (one vantage point cannot tell a
    /// partition between the regions from an outage).
    #[serde(default = "default_max_automatic_swaps")]
    pub max_automatic_swaps_per_day: u32,
    /// The paging alarm on the pinger's own Lambda metrics (the same name in
    /// both regions). It is for people, not on the failover path.
    pub alarm_name: String,
    /// Both regions, primary first.
    pub regions: [DeployedRegion; 2],
}

/// Why a deployment contract was refused.
#[derive(Debug, thiserror::Error)]
pub enum DeploymentError {
    /// The environment variable is missing.
    #[error("the environment variable {ENV_DEPLOYMENT} is not set")]
    Missing,
    /// The JSON does not decode.
    #[error("{ENV_DEPLOYMENT} is not a valid deployment: {0}")]
    Json(#[from] serde_json::Error),
    /// The contract version is not this code's.
    #[error("{ENV_DEPLOYMENT} has contract version {0}, this code reads {CONTRACT_VERSION}")]
    Version(u32),
    /// A field holds a value that cannot work.
    #[error("{ENV_DEPLOYMENT} is not usable: {0}")]
    Invalid(String),
}

impl Deployment {
    /// Reads and checks the deployment from [`ENV_DEPLOYMENT`].
    pub fn from_env() -> Result<Self, DeploymentError> {
        let text = std::env::var(ENV_DEPLOYMENT).map_err(|_| DeploymentError::Missing)?;
        Self::from_json(&text)
    }

    /// Decodes and checks a deployment.
    pub fn from_json(text: &str) -> Result<Self, DeploymentError> {
        let deployment: Deployment = serde_json::from_str(text)?;
        deployment.check()?;
        Ok(deployment)
    }

    /// The JSON the provider puts into [`ENV_DEPLOYMENT`].
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("a deployment always serializes")
    }

    /// Checks what serde cannot.
    pub fn check(&self) -> Result<(), DeploymentError> {
        let invalid = |why: String| Err(DeploymentError::Invalid(why));
        if self.contract != CONTRACT_VERSION {
            return Err(DeploymentError::Version(self.contract));
        }
        if let Err(e) = Names::new(&self.name) {
            return invalid(format!("name: {e}"));
        }
        if self.regions[0].region == self.regions[1].region {
            return invalid(format!("both regions are {}", self.regions[0].region));
        }
        if normalize_dns_name(&self.active_name) == normalize_dns_name(&self.standby_name) {
            return invalid("the active and the standby name are the same".into());
        }
        if self.health_path.trim_matches('/').is_empty() {
            return invalid("health_path is empty".into());
        }
        if self.probe_timeout_ms == 0 {
            return invalid("probe_timeout_ms is 0".into());
        }
        if self.interval_seconds == 0 {
            return invalid("interval_seconds is 0".into());
        }
        if self.max_automatic_swaps_per_day == 0 {
            return invalid("max_automatic_swaps_per_day is 0".into());
        }
        for region in &self.regions {
            for (what, arn) in [
                ("state_machine_arn", &region.state_machine_arn),
                ("notification_topic_arn", &region.notification_topic_arn),
            ] {
                if arn_region(arn) != Some(region.region.as_str()) {
                    return invalid(format!(
                        "{what} of {} is not an ARN in that region: {arn}",
                        region.region
                    ));
                }
            }
        }
        Ok(())
    }

    /// The names derived from `name`.
    pub fn names(&self) -> Names {
        Names::new(&self.name).expect("checked when decoded")
    }

    /// The pair of regions, as the core's read and swap need it.
    pub fn pair(&self) -> Pair {
        let endpoints = |r: &DeployedRegion| RegionEndpoints {
            region: r.region.clone(),
            active_target: AliasTarget {
                dns_name: r.active_target.dns_name.clone(),
                hosted_zone_id: r.active_target.hosted_zone_id.clone(),
            },
            standby_target: AliasTarget {
                dns_name: r.standby_target.dns_name.clone(),
                hosted_zone_id: r.standby_target.hosted_zone_id.clone(),
            },
        };
        Pair {
            hosted_zone_id: self.hosted_zone_id.clone(),
            active_name: self.active_name.clone(),
            standby_name: self.standby_name.clone(),
            regions: [endpoints(&self.regions[0]), endpoints(&self.regions[1])],
        }
    }

    /// The entry of `region`, if it is one of the two.
    pub fn region(&self, region: &Region) -> Option<&DeployedRegion> {
        self.regions.iter().find(|r| &r.region == region)
    }

    /// The other region of the pair.
    pub fn other(&self, region: &Region) -> Option<&DeployedRegion> {
        self.regions.iter().find(|r| &r.region != region)
    }

    /// The timeout of one health probe.
    pub fn probe_timeout(&self) -> Duration {
        Duration::from_millis(self.probe_timeout_ms)
    }
}

#[cfg(any(test, feature = "fixtures"))]
impl Deployment {
    /// A deployment of `orders` in us-east-1 and us-west-2, for tests.
    pub fn example() -> Deployment {
        let region = |code: &str| DeployedRegion {
            region: Region::new(code).unwrap(),
            active_target: Target {
                dns_name: format!("d-a.execute-api.{code}.amazonaws.com"),
                hosted_zone_id: "ZR".into(),
            },
            standby_target: Target {
                dns_name: format!("d-s.execute-api.{code}.amazonaws.com"),
                hosted_zone_id: "ZR".into(),
            },
            state_machine_arn: format!(
                "arn:aws:states:{code}:123456789012:stateMachine:mr-orders-failover"
            ),
            notification_topic_arn: format!("arn:aws:sns:{code}:123456789012:mr-orders-notify"),
            tick_queue_url: None,
        };
        Deployment {
            contract: CONTRACT_VERSION,
            name: "orders".into(),
            resource_id: "api.example.com@Z1".into(),
            hosted_zone_id: "Z1".into(),
            active_name: "api.example.com".into(),
            standby_name: "standby-api.example.com".into(),
            health_path: "health".into(),
            probe_timeout_ms: 5000,
            cooldown_seconds: 900,
            interval_seconds: 60,
            max_automatic_swaps_per_day: DEFAULT_MAX_AUTOMATIC_SWAPS,
            alarm_name: "mr-orders-active-unhealthy".into(),
            regions: [region("us-east-1"), region("us-west-2")],
        }
    }
}

/// The region field of an ARN (`arn:aws:states:us-east-1:...`).
pub fn arn_region(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    (fields.next() == Some("arn")).then_some(())?;
    fields.nth(2).filter(|r| !r.is_empty())
}

/// The account field of an ARN.
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut fields = arn.split(':');
    (fields.next() == Some("arn")).then_some(())?;
    fields.nth(3).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_builds_the_pair() {
        let deployment = Deployment::example();
        let back = Deployment::from_json(&deployment.to_json()).unwrap();
        assert_eq!(back, deployment);
        let pair = back.pair();
        assert_eq!(pair.regions[1].region.as_str(), "us-west-2");
        assert_eq!(
            pair.regions[0].standby_target.dns_name,
            "d-s.execute-api.us-east-1.amazonaws.com"
        );
        assert_eq!(
            back.other(&Region::new("us-east-1").unwrap())
                .map(|r| r.region.as_str()),
            Some("us-west-2")
        );
    }

    #[test]
    fn refuses_what_cannot_work() {
        let mut one_region = Deployment::example();
        one_region.regions[1].region = one_region.regions[0].region.clone();
        let mut wrong_arn = Deployment::example();
        wrong_arn.regions[1].state_machine_arn = wrong_arn.regions[0].state_machine_arn.clone();
        let mut old = Deployment::example();
        old.contract = 99;
        for (what, bad) in [
            ("regions", one_region),
            ("arn", wrong_arn),
            ("version", old),
        ] {
            assert!(
                Deployment::from_json(&bad.to_json()).is_err(),
                "{what} should be refused"
            );
        }
        assert!(matches!(
            Deployment::from_json("{\"contract\":1}"),
            Err(DeploymentError::Json(_))
        ));
        assert_eq!(arn_account("arn:aws:sns:us-east-1:123:t"), Some("123"));
        assert_eq!(arn_region("not-an-arn"), None);
    }
}
