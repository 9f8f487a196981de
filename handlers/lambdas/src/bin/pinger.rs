//! The pinger function: probes both names every minute (EventBridge schedule).

use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use multiregion_handlers::{pinger, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let environment = wiring::Environment::load()?;
    let deployment = &environment.deployment;
    let pinger = pinger::Pinger {
        cloudwatch: aws_sdk_cloudwatch::Client::new(&environment.sdk(None).await),
        probe: environment.prober()?,
        region: environment.region.clone(),
        name: deployment.name.clone(),
        active_name: deployment.active_name.clone(),
        standby_name: deployment.standby_name.clone(),
        namespace: deployment.metric_namespace.clone(),
    };
    let pinger = &pinger;
    wiring::ready("pinger", started);
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<serde_json::Value>| async move {
            pinger.ping(pinger::scheduled_at(&event.payload)).await
        },
    ))
    .await
}
