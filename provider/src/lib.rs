//! The `multiregion` Terraform provider: one resource,
//! `multiregion_apigw_failover`, built on the failover core.
//!
//! Nothing may be written to stdout (it carries the plugin handshake): logs
//! go through `tracing`, which tf-provider sends to `PLUGIN_LOG_FILE`.
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod clients;
pub mod clock;
pub mod docs;
pub mod failover;
pub mod number;
pub mod pacing;
pub mod provider;
pub mod route53_rate;

pub use provider::MultiregionProvider;

/// The provider's local name: resource types are `multiregion_<key>`.
pub const PROVIDER_NAME: &str = "multiregion";
