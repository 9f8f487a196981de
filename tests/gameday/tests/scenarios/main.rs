//! The game days: the failover runtime executed with the shipped bootstrap
//! under the Lambda emulator and the real state machine executor, on the
//! bench's virtual clock. One test binary, so that it is linked once, not
//! once per file; nextest still runs every test in a process of its own.

mod common;

mod bridge;
mod fast_intervals;
mod health_checkers;
mod issue12;
mod issue7;
mod issue8;
mod route53_rate;
mod terraform;
