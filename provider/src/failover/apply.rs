//! Create, update and delete.
//!
//! A failed create returns what exists with an error (Terraform stores it
//! tainted and the next plan replaces it); a failed update returns what
//! exists too, untainted, and converges on the next apply. Nothing is
//! created before the configuration has passed every check.

use std::time::Duration;

use multiregion_core::dns::read_active;
use multiregion_core::swap::{self, RetryPolicy, SwapOutcome, SwapRequest};
use multiregion_core::{Ledger, Reason, Region};
use tf_provider::Diagnostics;
use tf_provider::value::Value;

use super::checks;
use super::context::{Resolved, ownership_of, prior_deployments};
use super::plan::{DNS_OK, other_region};
use super::records::{self, last_failover};
use super::region::{RegionDeployment, RegionError, invoke_url};
use super::runtime;
use super::state::{FailoverState, PrivateState, RegionState, known, owned, string};
use super::validate::{self, ApiSource};
use crate::clock::now_epoch;
use crate::provider::Shared;

/// The execution recorded in ledgers Terraform writes.
pub const TERRAFORM_EXECUTION: &str = "terraform";

/// How long an apply waits for a switchover to reach every name server.
const INSYNC_TIMEOUT: Duration = Duration::from_secs(300);

fn region_errors(diags: &mut Diagnostics, errors: Vec<RegionError>, what: &str) {
    for error in errors {
        diags.root_error(
            format!("{what} failed in {}", error.region),
            format!(
                "While {} in {}: {}. What was created so far is saved; the next apply continues from there.",
                error.step, error.region, error.message
            ),
        );
    }
}

/// Writes both regions' deployments into the state's blocks.
fn write_regions(
    state: &mut FailoverState<'_>,
    resolved: &Resolved,
    deployments: [&RegionDeployment; 2],
) {
    for ((block, spec), deployment) in [&mut state.primary, &mut state.secondary]
        .into_iter()
        .zip(resolved.spec.regions())
        .zip(deployments)
    {
        if let Value::Value(block) = block {
            let url = deployment
                .rest_api_id
                .as_deref()
                .map(|id| invoke_url(&spec.region, id, &spec.stage_name));
            records::set_deployment(block, deployment, url);
            block.stage_name = string(spec.stage_name.clone());
        }
    }
}

/// Ensures both regions concurrently.
async fn ensure_regions(
    shared: &Shared,
    resolved: &Resolved,
    prior: &[RegionDeployment; 2],
) -> ([RegionDeployment; 2], Vec<RegionError>) {
    let [primary, secondary] = resolved.contexts(shared).await;
    let (p, s) = tokio::join!(primary.ensure(&prior[0]), secondary.ensure(&prior[1]));
    let mut errors = Vec::new();
    let mut take = |result: Result<RegionDeployment, (RegionDeployment, RegionError)>| match result
    {
        Ok(d) => d,
        Err((d, e)) => {
            errors.push(e);
            d
        }
    };
    ([take(p), take(s)], errors)
}

fn records_state(state: &mut FailoverState<'_>, active: &Region, ledger: Option<&Ledger>) {
    state.active_region = string(active.to_string());
    state.standby_region = other_region(state, active.as_str()).map_or(Value::Null, string);
    state.last_failover = ledger.map_or(Value::Null, last_failover);
    state.dns_status = string(DNS_OK);
}

/// Clears what is unknown when the records could not be written.
fn no_records(state: &mut FailoverState<'_>) {
    if state.active_region.is_unknown() {
        state.active_region = Value::Null;
    }
    state.standby_region = Value::Null;
    state.last_failover = Value::Null;
    state.dns_status = Value::Null;
}

/// Creates the APIs and domains, writes the records and the ledger in one
/// compare-and-swap, then deploys the runtime that probes them.
pub async fn create<'a>(
    shared: &Shared,
    diags: &mut Diagnostics,
    planned: FailoverState<'a>,
    config: &FailoverState<'_>,
) -> Option<(FailoverState<'a>, PrivateState)> {
    let spec = validate::spec(config, diags)?;
    let zone = checks::run(shared, &spec, diags).await?.zone;
    let standby = checks::standby_name(&spec, &zone);
    let resolved = Resolved::new(spec, standby);
    let mut state = planned;
    state.id = string(resolved.id.clone());
    state.standby_domain_name = string(resolved.standby_name.clone());

    let (deployments, errors) = ensure_regions(shared, &resolved, &Default::default()).await;
    write_regions(&mut state, &resolved, [&deployments[0], &deployments[1]]);
    let private = ownership_of([&deployments[0], &deployments[1]]);
    if !errors.is_empty() {
        region_errors(diags, errors, "Creating the API");
        no_records(&mut state);
        state.settle_unknowns();
        return Some((state, private));
    }
    // The records come first, the runtime second: a probe of a name that
    // does not exist yet gets NXDOMAIN, which resolvers cache for the zone's
    // negative TTL (900 s with Route 53's default SOA), and the runtime
    // would see its pair down for 15 minutes.
    let target = resolved
        .spec
        .active_region
        .clone()
        .unwrap_or_else(|| resolved.spec.primary.region.clone());
    let pair = resolved.pair([&deployments[0], &deployments[1]]);
    let route53 = resolved.route53(shared).await;
    let request = SwapRequest {
        target: target.clone(),
        reason: Reason::Create,
        execution: Some(TERRAFORM_EXECUTION.to_owned()),
        epoch: now_epoch().await,
    };
    match swap::swap(&route53, &pair, &request, RetryPolicy::default()).await {
        Ok(SwapOutcome::Swapped { ledger, .. }) => {
            records_state(&mut state, &target, Some(&ledger))
        }
        Ok(SwapOutcome::AlreadyActive(view)) => {
            records_state(&mut state, &target, view.last_swap())
        }
        Err(error) => {
            diags.root_error(
                "Writing the DNS records failed",
                format!("The APIs and custom domains exist, but the alias records and the ledger could not be written: {error}. The next apply replaces this resource."),
            );
            no_records(&mut state);
            state.settle_unknowns();
            return Some((state, private));
        }
    }
    // A runtime that fails to deploy leaves the records in state: the next
    // apply converges the runtime.
    let deployed = [&deployments[0], &deployments[1]];
    runtime::converge(shared, diags, &resolved, &mut state, deployed, None).await;
    state.settle_unknowns();
    Some((state, private))
}

/// The switchover's safety check: from here, the target's standby name
/// answers from the target at every probe, unless `force_switchover` is set.
async fn target_is_healthy(
    diags: &mut Diagnostics,
    resolved: &Resolved,
    target: &Region,
) -> Result<(), String> {
    let checked = super::switchover::target_answers(
        &resolved.standby_name,
        target,
        &resolved.spec.health_path,
        std::time::Duration::from_millis(u64::from(resolved.spec.settings.health_check.timeout_ms)),
    )
    .await;
    match checked {
        Ok(()) => Ok(()),
        Err(why) if resolved.spec.settings.failover.force_switchover => {
            diags.root_warning(
                format!("Switching over to {target} although it was not seen healthy"),
                format!("failover.force_switchover is set: {why}."),
            );
            Ok(())
        }
        Err(why) => Err(format!(
            "{} (the standby name, which {target} serves until the swap) did not answer from {target} at each of {} probes over {} s: {why}",
            resolved.standby_name,
            super::switchover::PROBES,
            super::switchover::SPAN_SECONDS,
        )),
    }
}

/// Updates in place: converges both regions, re-imports changed bodies,
/// and performs a planned switchover or a repair of the records.
pub async fn update<'a>(
    shared: &Shared,
    diags: &mut Diagnostics,
    prior: &FailoverState<'_>,
    planned: FailoverState<'a>,
    config: &FailoverState<'_>,
    prior_private: &PrivateState,
) -> Option<(FailoverState<'a>, PrivateState)> {
    if only_the_override_changed(prior, &planned) {
        // force_switchover only matters to a switchover: nothing to do in AWS.
        return Some((planned, prior_private.clone()));
    }
    let spec = validate::spec(config, diags)?;
    checks::run(shared, &spec, diags).await?;
    let standby = known(&prior.standby_domain_name)?.to_owned();
    let resolved = Resolved::new(spec, standby);
    let mut state = planned;

    let prior_regions = prior_deployments(prior, prior_private);
    let (deployments, mut errors) = ensure_regions(shared, &resolved, &prior_regions).await;
    // Re-import bodies that changed (the health route is re-added).
    let contexts = resolved.contexts(shared).await;
    for (i, context) in contexts.iter().enumerate() {
        let (ApiSource::Managed { openapi_body }, Some(api_id)) =
            (&context.spec.api, &deployments[i].rest_api_id)
        else {
            continue;
        };
        let prior_block = if i == 0 {
            &prior.primary
        } else {
            &prior.secondary
        };
        let body_changed = match prior_block {
            Value::Value(b) => known(&b.openapi_body) != Some(openapi_body.as_str()),
            _ => true,
        };
        let health_changed = known(&prior.health_path) != Some(resolved.spec.health_path.as_str());
        let existed = prior_regions[i].rest_api_id.as_ref() == Some(api_id);
        if existed
            && (body_changed || health_changed)
            && let Err(e) = context.update_body(api_id, openapi_body).await
        {
            errors.push(e);
        }
    }
    write_regions(&mut state, &resolved, [&deployments[0], &deployments[1]]);
    let private = ownership_of([&deployments[0], &deployments[1]]);
    if !errors.is_empty() {
        region_errors(diags, errors, "Updating the API");
        restore_records_state(&mut state, prior);
        state.settle_unknowns();
        return Some((state, private));
    }
    let deployed = [&deployments[0], &deployments[1]];
    if !runtime::converge(shared, diags, &resolved, &mut state, deployed, Some(prior)).await {
        restore_records_state(&mut state, prior);
        state.settle_unknowns();
        return Some((state, private));
    }

    let pair = resolved.pair([&deployments[0], &deployments[1]]);
    let route53 = resolved.route53(shared).await;
    let wanted = known(&state.active_region).and_then(|r| Region::new(r).ok());
    // After an import, nothing may have written the records: write them as a
    // create does (no health gate: no traffic moves away from a pair member).
    let first = prior.active_region.is_null();
    let switchover = !first
        && wanted
            .as_ref()
            .is_some_and(|w| known(&prior.active_region) != Some(w.as_str()));
    let repair = known(&prior.dns_status).is_some_and(|s| s != DNS_OK);
    let Some(target) = wanted.filter(|_| first || switchover || repair) else {
        // No swap: return the planned values, even if the runtime swapped
        // meanwhile (the next refresh reports it).
        state.settle_unknowns();
        return Some((state, private));
    };
    if switchover && let Err(why) = target_is_healthy(diags, &resolved, &target).await {
        diags.root_error(
            format!("Switchover to {target} refused: the target is not healthy"),
            format!("Traffic stays where it is: {why}. Fix {target}, remove active_region to keep the current region, or set failover.force_switchover = true to move anyway."),
        );
        restore_records_state(&mut state, prior);
        state.settle_unknowns();
        return Some((state, private));
    }
    let request = SwapRequest {
        target: target.clone(),
        reason: if first {
            Reason::Create
        } else if switchover {
            Reason::Terraform
        } else {
            Reason::Repair
        },
        execution: Some(TERRAFORM_EXECUTION.to_owned()),
        epoch: now_epoch().await,
    };
    match swap::swap(&route53, &pair, &request, RetryPolicy::default()).await {
        Ok(SwapOutcome::Swapped {
            ledger, change_id, ..
        }) => {
            records_state(&mut state, &target, Some(&ledger));
            match swap::wait_insync(&route53, &change_id, Duration::from_secs(2), INSYNC_TIMEOUT).await {
                Ok(true) => {}
                Ok(false) => diags.root_warning(
                    "The switchover is not INSYNC yet",
                    format!("Route 53 accepted change {change_id} but it had not reached every name server after {INSYNC_TIMEOUT:?}."),
                ),
                Err(e) => diags.root_warning("Could not check the switchover's propagation", e.to_string()),
            }
        }
        Ok(SwapOutcome::AlreadyActive(view)) => {
            records_state(&mut state, &target, view.last_swap())
        }
        Err(error) => {
            let live = match read_active(&route53, &pair).await {
                Ok((_, view)) => format!(
                    "Live state: {} is active (dns_status {}){}.",
                    view.active_region
                        .as_ref()
                        .map_or("no region", Region::as_str),
                    view.status,
                    view.last_swap()
                        .map(|l| format!(", last swap: {l}"))
                        .unwrap_or_default()
                ),
                Err(e) => format!("Reading the live state failed too: {e}."),
            };
            let summary = if error.is_conflict() {
                "The switchover lost the compare-and-swap"
            } else {
                "The switchover failed"
            };
            diags.root_error(summary, format!("{error}. {live} Nothing was retried; run terraform plan to see the current state."));
            restore_records_state(&mut state, prior);
        }
    }
    state.settle_unknowns();
    Some((state, private))
}

/// Whether `planned` differs from `prior` in `failover.force_switchover`
/// and nothing else.
fn only_the_override_changed(prior: &FailoverState<'_>, planned: &FailoverState<'_>) -> bool {
    fn neutral<'s>(state: &FailoverState<'s>) -> FailoverState<'s> {
        let mut state = state.clone();
        if let Value::Value(failover) = &mut state.failover {
            failover.force_switchover = Value::Null;
            if failover.automatic.is_null()
                && failover.cooldown_seconds.is_null()
                && failover.max_automatic_swaps_per_day.is_null()
            {
                // A block left with nothing in it is the same as no block.
                state.failover = Value::Null;
            }
        }
        if let Value::Value(effective) = &mut state.effective_failover {
            effective.force_switchover = Value::Null;
        }
        state
    }
    prior != planned && neutral(prior) == neutral(planned)
}

fn restore_records_state(state: &mut FailoverState<'_>, prior: &FailoverState<'_>) {
    state.active_region = owned(&prior.active_region);
    state.standby_region = owned(&prior.standby_region);
    state.dns_status = owned(&prior.dns_status);
    state.last_failover = match &prior.last_failover {
        Value::Value(l) => Value::Value(l.to_owned_value()),
        Value::Null => Value::Null,
        Value::Unknown => Value::Unknown,
    };
}

/// Deletes what the resource created. With an adopted API, the public name
/// keeps pointing at the active region (its record and custom domain stay).
pub async fn delete(
    shared: &Shared,
    diags: &mut Diagnostics,
    prior: &FailoverState<'_>,
    private: &PrivateState,
) -> Option<()> {
    let Some(resolved) = Resolved::from_state(prior) else {
        diags.root_warning(
            "Nothing to delete",
            "The state does not describe a complete resource; it is removed from state without AWS calls.",
        );
        return Some(());
    };
    let deployments = prior_deployments(prior, private);
    if !runtime::remove(shared, diags, &resolved, [&deployments[0], &deployments[1]]).await {
        return None;
    }
    let adopted = resolved
        .spec
        .regions()
        .iter()
        .any(|r| matches!(r.api, ApiSource::Adopted { .. }));
    let pair = resolved.pair([&deployments[0], &deployments[1]]);
    let route53 = resolved.route53(shared).await;
    let active = match read_active(&route53, &pair).await {
        Ok((_, view)) => view.active_region,
        Err(e) => {
            diags.root_error(
                "Reading the DNS records failed",
                format!("{e}. Nothing was deleted; try again."),
            );
            return None;
        }
    };
    if let Err(e) = swap::retire(&route53, &pair, adopted, RetryPolicy::default()).await {
        diags.root_error(
            "Removing the DNS records failed",
            format!("{e}. Nothing else was deleted; try again."),
        );
        return None;
    }
    let [primary, secondary] = resolved.contexts(shared).await;
    let keep = |region: &Region| adopted && active.as_ref() == Some(region);
    let (p, s) = tokio::join!(
        primary.remove(&deployments[0], keep(&resolved.spec.primary.region)),
        secondary.remove(&deployments[1], keep(&resolved.spec.secondary.region)),
    );
    let errors: Vec<RegionError> = [p, s].into_iter().filter_map(Result::err).collect();
    if errors.is_empty() {
        Some(())
    } else {
        region_errors(diags, errors, "Deleting");
        None
    }
}

/// Fills a region block's computed values for a fresh read. (Used by read.)
pub fn refresh_block(
    block: &mut RegionState<'_>,
    region: &Region,
    stage: &str,
    deployment: &RegionDeployment,
) {
    let url = deployment
        .rest_api_id
        .as_deref()
        .map(|id| invoke_url(region, id, stage));
    records::set_deployment(block, deployment, url);
}
