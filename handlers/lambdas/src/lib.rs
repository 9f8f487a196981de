//! The failover runtime's Lambda handlers.
//!
//! One bootstrap serves every function: its `main` reads the function's
//! handler setting, [`serve`] wires that function (logs, the deployment
//! contract, SDK clients, the probe) and hands each event to a plain async
//! function here, which is unit-tested with mocked AWS clients and canned
//! probe answers:
//!
//! - [`ponger`]: answers the health route with its region;
//! - [`pinger`]: watches at every tick; in the standby region it starts the
//!   state machine when the public name fails;
//! - [`swapper`]: the state machine's steps (confirm, checks, swap, INSYNC,
//!   verify, hold);
//! - [`notifier`]: publishes the outcome.
//!
//! Errors are typed ([`error::HandlerError`]) and become the Lambda error
//! types the state machine's Retry and Catch rules match.

pub mod error;
pub mod manifest;
pub mod notifier;
pub mod pause;
pub mod pinger;
pub mod ponger;
pub mod probe;
pub mod serve;
pub mod swapper;
pub mod ticks;
pub mod time;
pub mod wiring;

pub use error::HandlerError;
