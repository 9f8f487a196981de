//! The one bootstrap of every function. The function's handler setting
//! (`_HANDLER`: `ponger`, `pinger`, `swapper` or `notifier`)
//! chooses what it runs, the way a multi-call binary does; `main` only
//! wires.

use std::time::Instant;

use multiregion_handlers::{serve, wiring};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    let started = Instant::now();
    wiring::init_logs();
    let component = serve::component_from_env()?;
    serve::run(component, started).await
}
