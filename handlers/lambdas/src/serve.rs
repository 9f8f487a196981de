//! Each function's wiring: its clients, then the Lambda runtime loop with
//! its handler. One bootstrap serves every function; the function's
//! configured handler (`_HANDLER`, which Lambda sets for custom runtimes)
//! says which of these it runs.

use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use multiregion_core::naming::Component;
use multiregion_core::statemachine::protocol::{NotifyRequest, StepRequest};

use crate::ticks::{self, Ticks};
use crate::wiring::{self, Environment, StartError};
use crate::{HandlerError, notifier, pinger, ponger, swapper};

/// The variable Lambda sets to the function's configured handler, for a
/// custom runtime to read at init ("Building a custom runtime for AWS
/// Lambda", docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html). The
/// game day sets it the same way, from the deployed handler setting.
pub const ENV_HANDLER: &str = "_HANDLER";

/// The component named by the function's handler setting.
pub fn component_from_env() -> Result<Component, StartError> {
    let handler = std::env::var(ENV_HANDLER).unwrap_or_default();
    Component::from_handler(&handler).ok_or(StartError::Handler(handler))
}

/// Runs the function `component` until the runtime stops it.
pub async fn run(component: Component, started: Instant) -> Result<(), lambda_runtime::Error> {
    let environment = Environment::load()?;
    match component {
        Component::Ponger => run_ponger(environment, started).await,
        Component::Pinger => run_pinger(environment, started).await,
        Component::Swapper => run_swapper(environment, started).await,
        Component::Notifier => run_notifier(environment, started).await,
    }
}

/// The ponger: answers the health route with its region.
async fn run_ponger(environment: Environment, started: Instant) -> Result<(), lambda_http::Error> {
    let region = &environment.region;
    wiring::ready(Component::Ponger, started);
    lambda_http::run(lambda_http::service_fn(
        |request: lambda_http::Request| async move {
            Ok::<_, lambda_http::Error>(ponger::pong(region, &request))
        },
    ))
    .await
}

/// The pinger: watches at every tick of its schedule.
async fn run_pinger(
    environment: Environment,
    started: Instant,
) -> Result<(), lambda_runtime::Error> {
    let sdk = environment.sdk(None).await;
    let pinger = pinger::Pinger::new(
        aws_sdk_sfn::Client::new(&sdk),
        environment.route53(None).await,
        aws_sdk_cloudwatch::Client::new(&sdk),
        aws_sdk_sqs::Client::new(&sdk),
        environment.prober()?,
        environment.deployment.clone(),
        environment.region.clone(),
    );
    let pinger = &pinger;
    wiring::ready(Component::Pinger, started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let interval = pinger.deployment.interval_seconds;
            match ticks::ticks_of(&event.payload, interval)? {
                Ticks::Scheduled(tick) => pinger.scheduled(tick).await.map(Some),
                Ticks::Relayed { run, dropped } => {
                    for (tick, why) in dropped {
                        tracing::info!(tick, why, "dropped a relayed tick");
                    }
                    let mut report = None;
                    for tick in run {
                        report = Some(pinger.ping(tick).await?);
                    }
                    Ok(report)
                }
            }
        },
    ))
    .await
}

/// The swapper: the state machine's steps.
async fn run_swapper(
    environment: Environment,
    started: Instant,
) -> Result<(), lambda_runtime::Error> {
    let swapper = swapper::Swapper {
        // One attempt per Route 53 call: the state machine retries, visibly.
        route53: environment.route53(Some(1)).await,
        sfn: aws_sdk_sfn::Client::new(&environment.sdk(None).await),
        other_sfn: aws_sdk_sfn::Client::new(&environment.other_sdk().await?),
        probe: environment.prober()?,
        deployment: environment.deployment.clone(),
        region: environment.region.clone(),
    };
    let swapper = &swapper;
    wiring::ready(Component::Swapper, started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let request: StepRequest = serde_json::from_value(event.payload)
                .map_err(|e| HandlerError::InvalidInput(format!("step payload: {e}")))?;
            swapper.run(request).await
        },
    ))
    .await
}

/// The notifier: publishes a failover's outcome.
async fn run_notifier(
    environment: Environment,
    started: Instant,
) -> Result<(), lambda_runtime::Error> {
    let notifier = notifier::Notifier {
        sns: aws_sdk_sns::Client::new(&environment.sdk(None).await),
        deployment: environment.deployment.clone(),
        region: environment.region.clone(),
    };
    let notifier = &notifier;
    wiring::ready(Component::Notifier, started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let request: NotifyRequest = serde_json::from_value(event.payload)
                .map_err(|e| HandlerError::InvalidInput(format!("notify payload: {e}")))?;
            notifier.notify(request).await
        },
    ))
    .await
}
