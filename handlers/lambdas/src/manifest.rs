//! The package manifest: what a deployment zip holds, so the provider (or
//! its Terraform module) can refuse a package that does not fit it.
//!
//! Written as `manifest.json` next to the zips and inside each zip:
//!
//! ```json
//! {
//!   "format": 1,
//!   "package": "multiregion-handlers",
//!   "version": "0.1.0",
//!   "state_machine_protocol": 1,
//!   "deployment_contract": 1,
//!   "runtime": "provided.al2023",
//!   "architecture": "x86_64",
//!   "handlers": ["ponger", "pinger", "kicker", "swapper", "notifier"]
//! }
//! ```

use multiregion_core::deployment::CONTRACT_VERSION;
use multiregion_core::naming::Component;
use multiregion_core::statemachine::PROTOCOL_VERSION;
use serde::{Deserialize, Serialize};

/// The version of this manifest's format.
pub const FORMAT: u32 = 1;

/// The package's name.
pub const PACKAGE: &str = "multiregion-handlers";

/// The Lambda runtime the bootstraps are built for (glibc 2.34; they need
/// at most 2.30).
pub const RUNTIME: &str = "provided.al2023";

/// The architecture the bootstraps are built for.
pub const ARCHITECTURE: &str = "x86_64";

/// What a handler package holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`FORMAT`].
    pub format: u32,
    /// [`PACKAGE`].
    pub package: String,
    /// The handlers' version (the workspace version).
    pub version: String,
    /// The state machine protocol the handlers speak.
    pub state_machine_protocol: u32,
    /// The deployment contract the handlers read.
    pub deployment_contract: u32,
    /// The Lambda runtime.
    pub runtime: String,
    /// The architecture.
    pub architecture: String,
    /// The handlers, each in `<handler>.zip` with a `bootstrap`.
    pub handlers: Vec<String>,
}

impl Manifest {
    /// The manifest of this build.
    pub fn current() -> Self {
        Manifest {
            format: FORMAT,
            package: PACKAGE.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            state_machine_protocol: PROTOCOL_VERSION,
            deployment_contract: CONTRACT_VERSION,
            runtime: RUNTIME.into(),
            architecture: ARCHITECTURE.into(),
            handlers: Component::ALL
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_every_handler_binary() {
        let manifest = Manifest::current();
        assert_eq!(
            manifest.handlers,
            ["ponger", "pinger", "kicker", "swapper", "notifier"]
        );
        let back: Manifest =
            serde_json::from_str(&serde_json::to_string(&manifest).unwrap()).unwrap();
        assert_eq!(back, manifest);
    }
}
