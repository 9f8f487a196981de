//! Read: both regions concurrently, each bounded by a timeout, then the
//! records in Route 53.
//!
//! A region that does not answer keeps its previous values, with a warning
//! naming it, so a plan works while a region is down; `active_region` still
//! comes from Route 53. When everything is gone the resource leaves state.

use multiregion_core::dns::{LedgerState, read_active};
use tf_provider::Diagnostics;
use tf_provider::value::Value;

use super::apply::refresh_block;
use super::context::{Resolved, ownership_of, prior_deployments};
use super::records::last_failover;
use super::region::RegionDeployment;
use super::state::{FailoverState, PrivateState, string};
use crate::provider::Shared;

/// Reads what exists. `None`: everything is gone.
pub async fn read<'a>(
    shared: &Shared,
    diags: &mut Diagnostics,
    state: FailoverState<'a>,
    private: PrivateState,
) -> Option<(FailoverState<'a>, PrivateState)> {
    let Some(resolved) = Resolved::from_state(&state) else {
        // An incomplete state (a create that failed before it was known):
        // nothing to read; the next plan replaces it.
        return Some((state, private));
    };
    let prior = prior_deployments(&state, &private);
    let [primary, secondary] = resolved.contexts(shared).await;
    let (p, s) = tokio::join!(
        tokio::time::timeout(shared.read_timeout, primary.read(&prior[0])),
        tokio::time::timeout(shared.read_timeout, secondary.read(&prior[1])),
    );
    let mut fresh = [None, None];
    for (i, (result, context)) in [(p, &primary), (s, &secondary)].into_iter().enumerate() {
        let region = &context.spec.region;
        match result {
            Ok(Ok(deployment)) => fresh[i] = Some(deployment),
            Ok(Err(error)) => diags.root_warning(
                format!("{region} could not be read; keeping its previous values"),
                format!("{error}. The plan uses what was known about {region} before; refresh again when it answers."),
            ),
            Err(_) => diags.root_warning(
                format!("{region} did not answer within {:?}; keeping its previous values", shared.read_timeout),
                format!("The plan uses what was known about {region} before; refresh again when it answers (read_timeout_seconds sets the bound)."),
            ),
        }
    }
    let both_read = fresh.iter().all(Option::is_some);
    let current: [RegionDeployment; 2] = [
        fresh[0].clone().unwrap_or_else(|| prior[0].clone()),
        fresh[1].clone().unwrap_or_else(|| prior[1].clone()),
    ];

    let pair = resolved.pair([&current[0], &current[1]]);
    let route53 = resolved.route53(shared).await;
    let view = match tokio::time::timeout(shared.read_timeout, read_active(&route53, &pair)).await {
        Ok(Ok((_, view))) => Some(view),
        Ok(Err(error)) => {
            diags.root_warning(
                "Route 53 could not be read; keeping the previous active region",
                format!("{error}."),
            );
            None
        }
        Err(_) => {
            diags.root_warning(
                "Route 53 did not answer; keeping the previous active region",
                format!("No answer within {:?}.", shared.read_timeout),
            );
            None
        }
    };

    let nothing_left = both_read
        && current.iter().all(|d| {
            d.rest_api_id.is_none() && d.active_target.is_none() && d.standby_target.is_none()
        })
        && view
            .as_ref()
            .is_some_and(|v| v.active_region.is_none() && v.last_swap().is_none());
    if nothing_left {
        tracing::info!(id = %resolved.id, "everything is gone: removing the resource from state");
        return None;
    }

    let mut state = state;
    for ((block, spec), deployment) in [&mut state.primary, &mut state.secondary]
        .into_iter()
        .zip(resolved.spec.regions())
        .zip(&current)
    {
        if let Value::Value(block) = block {
            refresh_block(block, &spec.region, &spec.stage_name, deployment);
        }
    }
    if let Some(view) = view {
        // Compared with the state as recorded, before it is refreshed.
        if let LedgerState::Agrees(ledger) = &view.ledger
            && let Some((summary, detail)) = super::plan::unrecorded_failover(&state, ledger)
        {
            diags.root_warning(summary, detail);
        }
        let active = view
            .active_region
            .clone()
            .or_else(|| view.last_swap().map(|l| l.active_region.clone()));
        if let Some(active) = active {
            state.active_region = string(active.to_string());
        }
        let other = super::state::known(&state.active_region)
            .and_then(|active| super::plan::other_region(&state, active));
        state.standby_region = match &view.standby_region {
            Some(standby) if Some(standby) != view.active_region.as_ref() => {
                string(standby.to_string())
            }
            _ => other.map_or(Value::Null, string),
        };
        state.last_failover = view.last_swap().map_or(Value::Null, last_failover);
        state.dns_status = string(view.status.as_str());
        if let LedgerState::Disagrees(ledger) = &view.ledger {
            diags.root_warning(
                "The ledger disagrees with the DNS records (split brain)",
                format!(
                    "The alias records make {} active, but the ledger says {ledger}. The records are the truth: active_region follows them, and the next swap rewrites the ledger.",
                    view.active_region.as_ref().map_or("no region", |r| r.as_str())
                ),
            );
        }
    }
    super::runtime::refresh(
        shared,
        diags,
        &resolved,
        &mut state,
        [&current[0], &current[1]],
    )
    .await;
    let private = ownership_of([&current[0], &current[1]]);
    Some((state, private))
}
