//! The failover state machine: its definition, generated from typed Rust per
//! region, and the protocol its steps speak with the handlers.
//!
//! The pinger of the standby region starts it when the active name fails.
//! It confirms the outage (two more probes, 10 s apart), checks the target
//! (the standby answers, the cooldown has passed, automation is on), swaps
//! with the one compare-and-swap, waits for INSYNC, verifies and notifies.
//! A blip ends it quietly; while the failover cannot be made it holds, with
//! capped backoff and one notice per episode, rather than end and be started
//! again at every tick (see [`failover::definition`] for the graph).
//!
//! Waiting happens in the `Wait` state, never inside a Lambda. Every Task
//! retries Lambda's own service errors and throttling with backoff; the swap
//! retries a lost compare-and-swap (`Conflict`), and each retry re-probes the
//! active name and re-reads the records. A failed Notify is caught too: it
//! never undoes a swap.

pub mod asl;
pub mod failover;
pub mod protocol;

pub use failover::{Timing, definition, definition_json, states};
pub use protocol::PROTOCOL_VERSION;
