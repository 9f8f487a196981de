//! The failover core: one implementation of each thing both the Lambdas (the
//! runtime failover) and the Terraform provider (planned switchover, reading
//! the active region) need.
//!
//! - [`naming`]: deterministic names, length limits, tags;
//! - [`automation`]: the per-region pause flag;
//! - [`ledger`]: the versioned ledger codec;
//! - [`dns`]: reading what is active from the alias records and the ledger;
//! - [`swap`]: the compare-and-swap;
//! - [`probe`]: the health probe;
//! - [`aws`]: SDK configuration;
//! - [`deployment`]: the contract the provider passes to every handler;
//! - [`statemachine`]: the failover state machine, generated from typed Rust;
//! - [`settings`]: the health check and failover settings, defaults and checks;
//! - [`estimate`]: the computed detection time, swap budget and monthly cost.
//!
//! It knows neither Terraform nor the Lambda runtime. It never prints: it
//! logs through `tracing`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod automation;
pub mod aws;
pub mod deployment;
pub mod dns;
pub mod error;
pub mod estimate;
pub mod ledger;
pub mod naming;
pub mod package;
pub mod probe;
pub mod region;
pub mod settings;
pub mod statemachine;
pub mod swap;

pub use deployment::Deployment;
pub use dns::{
    ActiveView, AliasTarget, DnsSnapshot, DnsStatus, LedgerState, Pair, RegionEndpoints,
};
pub use error::Route53Error;
pub use ledger::{Ledger, Reason};
pub use region::Region;
pub use swap::{RetryPolicy, SwapError, SwapOutcome, SwapRequest};
