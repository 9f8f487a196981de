//! The notifier function: publishes a failover's outcome.

use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use multiregion_core::statemachine::protocol::NotifyRequest;
use multiregion_handlers::{HandlerError, notifier, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let environment = wiring::Environment::load()?;
    let notifier = notifier::Notifier {
        sns: aws_sdk_sns::Client::new(&environment.sdk(None).await),
        deployment: environment.deployment.clone(),
        region: environment.region.clone(),
    };
    let notifier = &notifier;
    wiring::ready("notifier", started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            let request: NotifyRequest = serde_json::from_value(event.payload)
                .map_err(|e| HandlerError::InvalidInput(format!("notify payload: {e}")))?;
            notifier.notify(request).await
        },
    ))
    .await
}
