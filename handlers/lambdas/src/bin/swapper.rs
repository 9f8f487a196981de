//! The swapper function: the state machine's steps.

use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use multiregion_core::statemachine::protocol::StepRequest;
use multiregion_handlers::{HandlerError, swapper, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let environment = wiring::Environment::load()?;
    let swapper = swapper::Swapper {
        // One attempt per Route 53 call: the state machine retries, visibly.
        route53: environment.route53(Some(1)).await,
        probe: environment.prober()?,
        deployment: environment.deployment.clone(),
        region: environment.region.clone(),
    };
    let swapper = &swapper;
    wiring::ready("swapper", started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let request: StepRequest = serde_json::from_value(event.payload)
                .map_err(|e| HandlerError::InvalidInput(format!("step payload: {e}")))?;
            swapper.run(request).await
        },
    ))
    .await
}
