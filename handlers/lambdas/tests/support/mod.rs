//! The runtime's set-up (the emulator, the shipped bootstrap under the
//! Lambda emulator, the Step Functions bridge, the apparatus) is shared with
//! the game-day scenarios and lives in `multiregion_gameday::runtime`.
#![allow(unused_imports)]

pub use multiregion_gameday::runtime::*;
