//! The game-day harness: the failover runtime proven end to end on a
//! virtual clock (issue 7). [`runtime`] starts everything; it is also the
//! set-up of the handler crate's execution tests.
//!
//! A test crate: it uses `anyhow` like the bench.

pub mod runtime;
