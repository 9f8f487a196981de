//! From the resource's regions to the core's [`Pair`], and from what the
//! core reads back to state.

use multiregion_core::ledger::{Ledger, rfc3339};
use multiregion_core::{AliasTarget, Pair, Region, RegionEndpoints};
use tf_provider::value::Value;

use super::region::RegionDeployment;
use super::state::{LastFailover, RegionOwnership, RegionState, known, opt_string, string};

/// What a region block of the state says exists.
pub fn deployment_of(
    block: &Value<RegionState<'_>>,
    ownership: RegionOwnership,
) -> RegionDeployment {
    let Value::Value(block) = block else {
        return RegionDeployment {
            ownership,
            ..RegionDeployment::default()
        };
    };
    let target = |dns: &_, zone: &_| match (known(dns), known(zone)) {
        (Some(dns), Some(zone)) => Some(AliasTarget {
            dns_name: dns.to_owned(),
            hosted_zone_id: zone.to_owned(),
        }),
        _ => None,
    };
    RegionDeployment {
        rest_api_id: known(&block.rest_api_id).map(str::to_owned),
        stage_ready: known(&block.invoke_url).is_some(),
        active_target: target(&block.regional_domain_name, &block.regional_hosted_zone_id),
        standby_target: target(
            &block.standby_regional_domain_name,
            &block.standby_regional_hosted_zone_id,
        ),
        ownership,
        ..RegionDeployment::default()
    }
}

/// Writes what exists in a region into its block.
pub fn set_deployment(
    block: &mut RegionState<'_>,
    deployment: &RegionDeployment,
    invoke_url: Option<String>,
) {
    block.rest_api_id = opt_string(deployment.rest_api_id.clone());
    block.invoke_url = opt_string(invoke_url.filter(|_| deployment.stage_ready));
    let (dns, zone) = split(&deployment.active_target);
    block.regional_domain_name = dns;
    block.regional_hosted_zone_id = zone;
    let (dns, zone) = split(&deployment.standby_target);
    block.standby_regional_domain_name = dns;
    block.standby_regional_hosted_zone_id = zone;
}

fn split<'a>(
    target: &Option<AliasTarget>,
) -> (
    tf_provider::value::ValueString<'a>,
    tf_provider::value::ValueString<'a>,
) {
    match target {
        Some(t) => (string(t.dns_name.clone()), string(t.hosted_zone_id.clone())),
        None => (Value::Null, Value::Null),
    }
}

/// A target nobody resolves, for a region whose custom domain is missing:
/// records pointing there are then "foreign", which is what they are.
fn missing_target(region: &Region, which: &str) -> AliasTarget {
    AliasTarget {
        dns_name: format!("missing-{which}-domain.execute-api.{region}.invalid"),
        hosted_zone_id: "MISSING".into(),
    }
}

/// The core's view of the pair.
pub fn pair(
    hosted_zone_id: &str,
    active_name: &str,
    standby_name: &str,
    regions: [(&Region, &RegionDeployment); 2],
) -> Pair {
    let endpoints = |(region, deployment): (&Region, &RegionDeployment)| RegionEndpoints {
        region: region.clone(),
        active_target: deployment
            .active_target
            .clone()
            .unwrap_or_else(|| missing_target(region, "active")),
        standby_target: deployment
            .standby_target
            .clone()
            .unwrap_or_else(|| missing_target(region, "standby")),
    };
    Pair {
        hosted_zone_id: hosted_zone_id.to_owned(),
        active_name: active_name.to_owned(),
        standby_name: standby_name.to_owned(),
        regions: [endpoints(regions[0]), endpoints(regions[1])],
    }
}

/// The `last_failover` object of a ledger entry.
pub fn last_failover<'a>(ledger: &Ledger) -> Value<LastFailover<'a>> {
    Value::Value(LastFailover {
        generation: Value::Value(i64::try_from(ledger.generation).unwrap_or(i64::MAX)),
        active_region: string(ledger.active_region.to_string()),
        time: string(rfc3339(ledger.epoch)),
        reason: string(ledger.reason.as_str()),
        execution: opt_string(ledger.execution.clone()),
    })
}
