//! The kicker function: the alarm's SNS subscriber.

use std::time::Instant;

use aws_lambda_events::event::sns::SnsEvent;
use lambda_runtime::{LambdaEvent, service_fn};
use multiregion_handlers::{kicker, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let environment = wiring::Environment::load()?;
    let sdk = environment.sdk(None).await;
    let kicker = kicker::Kicker {
        route53: environment.route53(None).await,
        cloudwatch: aws_sdk_cloudwatch::Client::new(&sdk),
        sfn: aws_sdk_sfn::Client::new(&sdk),
        sns: aws_sdk_sns::Client::new(&sdk),
        probe: environment.prober()?,
        deployment: environment.deployment.clone(),
        region: environment.region.clone(),
    };
    let kicker = &kicker;
    wiring::ready("kicker", started);
    lambda_runtime::run(service_fn(|event: LambdaEvent<SnsEvent>| async move {
        kicker.handle(event.payload).await
    }))
    .await
}
