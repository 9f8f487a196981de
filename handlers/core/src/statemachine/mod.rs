//! The failover state machine: its definition, generated from typed Rust per
//! region, and the protocol its steps speak with the handlers.
//!
//! ```text
//!  CheckTarget ──▶ Swap ──▶ IsSwapped ──swapped──▶ WaitForSync ──▶ CheckSync ──▶ IsInSync
//!      │            │  ▲        │ already active        ▲                          │   │
//!      │            │  └ Retry  │                       └──────── not yet ─────────┘   │ done
//!      │            │  Conflict ▼                                                      ▼
//!      └── Catch ───┴────────▶ Notify ◀──────────────────── Catch ──────────────── Verify
//!                                │
//!                                ▼
//!                             Outcome ──▶ Done (Succeed) | FailoverNotDone | NotifyFailed (Fail)
//! ```
//!
//! Waiting happens in the `Wait` state, never inside a Lambda. Every Task
//! retries Lambda's own service errors and throttling with backoff; the swap
//! retries a lost compare-and-swap (`Conflict`), and each retry re-probes the
//! active name and re-reads the records; every Task's Catch leads to Notify.
//! A failed Notify is caught too: it never undoes a swap.

pub mod asl;
pub mod failover;
pub mod protocol;

pub use failover::{Timing, definition, definition_json, states};
pub use protocol::PROTOCOL_VERSION;
