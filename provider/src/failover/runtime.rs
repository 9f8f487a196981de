//! The runtime part of create, read, update and delete: the apparatus of
//! both regions, concurrently, and what Terraform shows of it.

use multiregion_core::Deployment;
use multiregion_core::package::Package;
use tf_provider::value::Value;

use super::apparatus::{ApparatusContext, ApparatusError, ApparatusState};
use super::context::Resolved;
use super::openapi::health_route;
use super::region::RegionDeployment;
use super::state::{FailoverState, opt_string, string};
use crate::provider::Shared;

/// `apparatus_status` when nothing is wrong.
pub const STATUS_OK: &str = "ok";
/// `apparatus_status` without a handler package.
pub const STATUS_NOT_DEPLOYED: &str = "not_deployed";

/// What the apparatus contexts of both regions borrow.
struct Inputs {
    deployment: Deployment,
    ledger_name: String,
    clients: [crate::clients::RegionClients; 2],
    global: crate::clients::GlobalClients,
    health_path: String,
}

impl Inputs {
    async fn new(
        shared: &Shared,
        resolved: &Resolved,
        deployments: [&RegionDeployment; 2],
    ) -> Inputs {
        let regions = resolved.spec.regions();
        let (p, s) = tokio::join!(
            shared.clients.region(&regions[0].region),
            shared.clients.region(&regions[1].region)
        );
        Inputs {
            deployment: resolved.deployment(deployments),
            ledger_name: resolved.ledger_name(),
            clients: [p, s],
            global: shared.clients.global(&regions[0].region).await,
            health_path: health_route(&resolved.spec.health_path),
        }
    }
}

/// Runs `work` on both regions' apparatus contexts concurrently.
async fn both<'a, T, F, Fut>(
    inputs: &'a Inputs,
    resolved: &'a Resolved,
    deployments: [&'a RegionDeployment; 2],
    package: &'a Package,
    work: F,
) -> [T; 2]
where
    F: Fn(ApparatusContext<'a>) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let regions = resolved.spec.regions();
    let context = |i: usize| {
        let spec = regions[i];
        let health = deployments[i].health.as_ref();
        ApparatusContext {
            region: &spec.region,
            account_id: &spec.account_id,
            names: &resolved.spec.names,
            id: &resolved.id,
            block: spec.block,
            deployment: &inputs.deployment,
            ledger_name: &inputs.ledger_name,
            package,
            settings: &resolved.spec.settings,
            notification_topic_arn: spec.notification_topic_arn.as_deref(),
            health_api_id: health
                .map(|h| h.api_id.as_str())
                .or(deployments[i].rest_api_id.as_deref())
                .unwrap_or_default(),
            health_resource_path: health
                .map_or(inputs.health_path.as_str(), |h| h.resource_path.as_str()),
            clients: &inputs.clients[i],
            global: &inputs.global,
        }
    };
    let (first, second) = tokio::join!(work(context(0)), work(context(1)));
    [first, second]
}

/// Ensures the apparatus of both regions.
pub async fn ensure(
    shared: &Shared,
    resolved: &Resolved,
    deployments: [&RegionDeployment; 2],
    package: &Package,
) -> ([Option<ApparatusState>; 2], Vec<ApparatusError>) {
    let inputs = Inputs::new(shared, resolved, deployments).await;
    let results = both(
        &inputs,
        resolved,
        deployments,
        package,
        |context| async move { context.ensure().await },
    )
    .await;
    split(results)
}

/// Reads the apparatus of both regions.
pub async fn read(
    shared: &Shared,
    resolved: &Resolved,
    deployments: [&RegionDeployment; 2],
    package: &Package,
) -> [Result<ApparatusState, ApparatusError>; 2] {
    let inputs = Inputs::new(shared, resolved, deployments).await;
    both(
        &inputs,
        resolved,
        deployments,
        package,
        |context| async move { context.read().await },
    )
    .await
}

/// Deletes the apparatus of both regions.
pub async fn delete(
    shared: &Shared,
    resolved: &Resolved,
    deployments: [&RegionDeployment; 2],
    package: &Package,
) -> Vec<ApparatusError> {
    let inputs = Inputs::new(shared, resolved, deployments).await;
    let results = both(
        &inputs,
        resolved,
        deployments,
        package,
        |context| async move { context.delete().await },
    )
    .await;
    results.into_iter().filter_map(Result::err).collect()
}

fn split(
    results: [Result<ApparatusState, ApparatusError>; 2],
) -> ([Option<ApparatusState>; 2], Vec<ApparatusError>) {
    let mut errors = Vec::new();
    let [a, b] = results;
    let mut keep = |r: Result<ApparatusState, ApparatusError>| match r {
        Ok(s) => Some(s),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    let states = [keep(a), keep(b)];
    (states, errors)
}

/// Writes what Terraform shows of the runtime: settings in effect, the
/// package hash, each region's state machine and topic, pause and status.
pub fn write_state(
    state: &mut FailoverState<'_>,
    resolved: &Resolved,
    package: Option<&Package>,
    apparatus: [Option<&ApparatusState>; 2],
    region_problems: &[String],
) {
    let settings = resolved.spec.settings;
    state.effective_health_check = Value::Value(settings.health_check.into());
    state.effective_failover = Value::Value(settings.failover.into());
    state.log_retention_days = Value::Value(i64::from(settings.log_retention_days).into());
    super::estimate::write(state, Some(&settings.health_check));
    state.handler_package_sha256 = opt_string(package.map(|p| p.sha256.clone()));
    let mut problems: Vec<String> = region_problems.to_vec();
    let mut paused = false;
    for (block, (spec, apparatus)) in [&mut state.primary, &mut state.secondary]
        .into_iter()
        .zip(resolved.spec.regions().into_iter().zip(apparatus))
    {
        let Value::Value(block) = block else { continue };
        block.health_route = string(spec.health_route.as_str());
        match (package, apparatus) {
            (None, _) => {
                block.state_machine_arn = Value::Null;
                block.notification_topic_arn = opt_string(spec.notification_topic_arn.clone());
            }
            (Some(_), Some(found)) => {
                block.state_machine_arn = opt_string(found.state_machine_arn.clone());
                block.notification_topic_arn = opt_string(found.notification_topic_arn.clone());
                paused |= found.paused;
                problems.extend(
                    found
                        .problems
                        .iter()
                        .map(|p| format!("{}: {p}", spec.region)),
                );
            }
            (Some(_), None) => {
                problems.push(format!("{}: the runtime could not be read", spec.region))
            }
        }
    }
    state.automatic_failover_paused = Value::Value(paused);
    state.apparatus_status = string(match (package, problems.is_empty()) {
        (None, true) => STATUS_NOT_DEPLOYED.to_owned(),
        (_, true) => STATUS_OK.to_owned(),
        (_, false) => problems.join("; "),
    });
}

/// A package value for deleting or reading without the package's files
/// (only the names matter then).
fn names_only_package(resolved: &Resolved) -> Package {
    Package {
        dir: resolved.spec.handler_package.clone().unwrap_or_default(),
        manifest: multiregion_core::package::Manifest::current(),
        sha256: String::new(),
    }
}

/// Deploys the runtime of both regions (after their APIs), or, without a
/// handler package, removes one deployed before; writes what Terraform
/// shows. Errors go to `diags`; returns whether it converged.
pub async fn converge(
    shared: &Shared,
    diags: &mut tf_provider::Diagnostics,
    resolved: &Resolved,
    state: &mut FailoverState<'_>,
    deployments: [&RegionDeployment; 2],
    prior: Option<&FailoverState<'_>>,
) -> bool {
    let package = match super::context::open_package(resolved, diags) {
        Ok(package) => package,
        Err(()) => return false,
    };
    let Some(package) = package else {
        let had_runtime = prior.is_some_and(|p| !p.handler_package.is_null());
        if had_runtime {
            let errors = delete(shared, resolved, deployments, &names_only_package(resolved)).await;
            if !report(diags, errors, "Removing the runtime") {
                return false;
            }
        }
        write_state(state, resolved, None, [None, None], &[]);
        return true;
    };
    let (found, errors) = ensure(shared, resolved, deployments, &package).await;
    write_state(
        state,
        resolved,
        Some(&package),
        [found[0].as_ref(), found[1].as_ref()],
        &[],
    );
    report(diags, errors, "Deploying the runtime")
}

/// Reads the runtime for a refresh and writes what Terraform shows.
pub async fn refresh(
    shared: &Shared,
    diags: &mut tf_provider::Diagnostics,
    resolved: &Resolved,
    state: &mut FailoverState<'_>,
    deployments: [&RegionDeployment; 2],
) {
    let region_problems: Vec<String> = deployments
        .iter()
        .flat_map(|d| d.problems.clone())
        .collect();
    let Some(path) = &resolved.spec.handler_package else {
        write_state(state, resolved, None, [None, None], &region_problems);
        return;
    };
    let package = match Package::open(path) {
        Ok(package) => package,
        Err(e) => {
            diags.root_warning(
                "The handler package cannot be read",
                format!("{e}. The runtime was not checked."),
            );
            return;
        }
    };
    let [a, b] = read(shared, resolved, deployments, &package).await;
    for error in [&a, &b].into_iter().filter_map(|r| r.as_ref().err()) {
        diags.root_warning(
            format!("The runtime in {} could not be read", error.region),
            format!("While {}: {}.", error.step, error.message),
        );
    }
    // The hash in state stays the one deployed: a new package on disk is a
    // change the plan shows.
    let deployed = state.handler_package_sha256.clone();
    write_state(
        state,
        resolved,
        Some(&package),
        [a.as_ref().ok(), b.as_ref().ok()],
        &region_problems,
    );
    state.handler_package_sha256 = deployed;
}

/// Removes the runtime of both regions before the rest of a destroy.
pub async fn remove(
    shared: &Shared,
    diags: &mut tf_provider::Diagnostics,
    resolved: &Resolved,
    deployments: [&RegionDeployment; 2],
) -> bool {
    if resolved.spec.handler_package.is_none() {
        return true;
    }
    let errors = delete(shared, resolved, deployments, &names_only_package(resolved)).await;
    report(diags, errors, "Removing the runtime")
}

fn report(diags: &mut tf_provider::Diagnostics, errors: Vec<ApparatusError>, what: &str) -> bool {
    for error in &errors {
        diags.root_error(
            format!("{what} failed in {}", error.region),
            format!(
                "While {} in {}: {}. The next apply continues from there.",
                error.step, error.region, error.message
            ),
        );
    }
    errors.is_empty()
}
