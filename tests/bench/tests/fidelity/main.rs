//! The bench's own tests: each place the bench plays AWS's behaviour where
//! moto does not, against moto behind the proxy. One test binary, so that it
//! is linked once, not once per file; nextest still runs every test in a
//! process of its own.

mod common;

mod apigateway;
mod clock;
mod cloudwatch;
mod failover_records;
mod proxy;
