//! The ponger function: answers the health route with its region.

use std::time::Instant;

use lambda_http::{Request, service_fn};
use multiregion_handlers::{ponger, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let environment = wiring::Environment::load()?;
    let region = &environment.region;
    wiring::ready("ponger", started);
    lambda_http::run(service_fn(|request: Request| async move {
        Ok::<_, lambda_http::Error>(ponger::pong(region, &request))
    }))
    .await
}
