//! The package manifest. It lives in the core (`multiregion_core::package`)
//! because the provider reads it too; re-exported here for the handlers'
//! tests and tools.

pub use multiregion_core::package::{ARCHITECTURE, FORMAT, Manifest, PACKAGE, RUNTIME};
