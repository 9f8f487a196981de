//! The game-day harness (issue 7): the failover runtime proven end to end on
//! a virtual clock.
//!
//! Everything that can be real is: AWS state in moto behind the bench's
//! proxy, the handlers as the shipped binaries under the Lambda emulator, the
//! generated state machine in aws-local-stepfunctions. The harness plays only
//! what the emulator lacks, each piece in one module with the AWS-documented
//! figure it uses and its source:
//!
//! - [`schedule`]: the pinger's EventBridge schedule;
//! - [`lambda`]: asynchronous invocation and the metrics Lambda publishes;
//! - [`alarm`]: CloudWatch's evaluation of the paging alarms and their
//!   notifications;
//! - Route 53 propagation and the DNS TTL clients see are the bench's
//!   (`multiregion_bench::propagation`, `multiregion_bench::dns`), on its
//!   clock, with the figures of `multiregion_core::estimate::figures`.
//!
//! [`gameday`] runs them on the bench's virtual clock, [`outage`] injects
//! outages at the network edge; [`report`] and
//! [`timeline`] say what happened. [`runtime`] starts everything (it is also
//! the set-up of the handler crate's execution tests).
//!
//! A test crate: it uses `anyhow` like the bench.

pub mod alarm;
pub mod gameday;
pub mod health_check;
pub mod inventory;
pub mod lambda;
pub mod outage;
pub mod report;
pub mod runtime;
pub mod schedule;
pub mod terraform;
pub mod timeline;

pub use gameday::GameDay;
pub use outage::Outage;
pub use report::{Execution, Report};
