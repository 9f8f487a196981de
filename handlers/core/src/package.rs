//! The handler package: one Lambda deployment zip that every function
//! shares, with a manifest, as `scripts/package` builds it and the provider
//! deploys it.
//!
//! A package directory holds [`ZIP`] (a `bootstrap` that serves every
//! handler, chosen by the function's handler setting, and `manifest.json`),
//! plus `manifest.json` and `SHA256SUMS` beside it:
//!
//! ```json
//! {
//!   "format": 2,
//!   "package": "multiregion-handlers",
//!   "version": "0.1.0",
//!   "state_machine_protocol": 2,
//!   "deployment_contract": 2,
//!   "runtime": "provided.al2023",
//!   "architecture": "x86_64",
//!   "zip": "handlers.zip",
//!   "build": "release",
//!   "handlers": ["ponger", "pinger", "swapper", "notifier"]
//! }
//! ```
//!
//! Format 1 had one zip per handler, each with its own bootstrap. A
//! `development` build (`scripts/package --dev`: unoptimized, linked for the
//! build machine's glibc) runs under the local emulator only; the provider
//! warns when a configuration deploys one.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::deployment::CONTRACT_VERSION;
use crate::naming::Component;
use crate::statemachine::PROTOCOL_VERSION;

/// The version of this manifest's format.
pub const FORMAT: u32 = 2;

/// The one zip every function deploys.
pub const ZIP: &str = "handlers.zip";

/// The package's name.
pub const PACKAGE: &str = "multiregion-handlers";

/// The Lambda runtime the bootstraps are built for (glibc 2.34; they need
/// at most 2.30).
pub const RUNTIME: &str = "provided.al2023";

/// The architecture the bootstraps are built for.
pub const ARCHITECTURE: &str = "x86_64";

/// How a package's bootstrap was built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Build {
    /// Optimized, for `provided.al2023` (glibc at most 2.30): what ships.
    #[default]
    Release,
    /// Unoptimized and linked for the build machine: for the local emulator.
    Development,
}

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
    /// The zip every function deploys ([`ZIP`]).
    pub zip: String,
    /// How the bootstrap was built.
    #[serde(default)]
    pub build: Build,
    /// The handlers its `bootstrap` serves: the values of a function's
    /// handler setting.
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
            zip: ZIP.into(),
            build: Build::Release,
            handlers: Component::ALL
                .iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        }
    }

    /// Why a package with this manifest cannot run with this code, if it
    /// cannot: the format, the state machine protocol, the deployment
    /// contract, the runtime, the architecture and the handlers must match
    /// (the build may be either).
    pub fn mismatch(&self) -> Option<String> {
        let expected = Manifest::current();
        let mut problems = Vec::new();
        if self.format != expected.format || self.zip != expected.zip {
            problems.push(format!(
                "manifest format {} (expected {}, one {} for every function)",
                self.format, expected.format, expected.zip
            ));
        }
        if self.package != expected.package {
            problems.push(format!(
                "package {} (expected {})",
                self.package, expected.package
            ));
        }
        if self.state_machine_protocol != expected.state_machine_protocol {
            problems.push(format!(
                "state machine protocol {} (this provider speaks {})",
                self.state_machine_protocol, expected.state_machine_protocol
            ));
        }
        if self.deployment_contract != expected.deployment_contract {
            problems.push(format!(
                "deployment contract {} (this provider writes {})",
                self.deployment_contract, expected.deployment_contract
            ));
        }
        if self.runtime != expected.runtime || self.architecture != expected.architecture {
            problems.push(format!(
                "{} on {} (expected {} on {})",
                self.runtime, self.architecture, expected.runtime, expected.architecture
            ));
        }
        let missing: Vec<&String> = expected
            .handlers
            .iter()
            .filter(|h| !self.handlers.contains(h))
            .collect();
        if !missing.is_empty() {
            problems.push(format!(
                "no handler {}",
                missing
                    .iter()
                    .map(|h| h.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        (!problems.is_empty()).then(|| problems.join("; "))
    }
}

/// Why a package directory cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PackageError {
    /// A file could not be read.
    #[error("reading {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The manifest does not decode.
    #[error("{path} is not a handler package manifest: {reason}")]
    Manifest {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// The package does not fit this code.
    #[error("the handler package does not fit this provider: {0}")]
    Mismatch(String),
}

/// A handler package on disk, checked and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// The directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The hex SHA-256 of the zip: changes when any handler's code does.
    pub sha256: String,
}

fn read(path: &Path) -> Result<Vec<u8>, PackageError> {
    std::fs::read(path).map_err(|e| PackageError::Read {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What identifies the files of a package without reading them: each
/// file's size and modification time.
fn fingerprint(dir: &Path) -> Option<Vec<(u64, std::time::SystemTime)>> {
    [dir.join("manifest.json"), dir.join(ZIP)]
        .iter()
        .map(|f| {
            let meta = std::fs::metadata(f).ok()?;
            Some((meta.len(), meta.modified().ok()?))
        })
        .collect()
}

type Cache = std::sync::Mutex<Vec<(PathBuf, Vec<(u64, std::time::SystemTime)>, Package)>>;

/// Packages opened by this process, so that a provider that opens the same
/// package at validate, plan and read hashes it once.
static OPENED: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();

impl Package {
    /// Opens, checks and hashes the package in `dir` (once per process for
    /// unchanged files).
    pub fn open(dir: &Path) -> Result<Package, PackageError> {
        let cache = OPENED.get_or_init(Cache::default);
        let print = fingerprint(dir);
        if let Some(print) = &print
            && let Some((_, _, package)) = cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .find(|(d, p, _)| d == dir && p == print)
        {
            return Ok(package.clone());
        }
        let package = Package::read(dir)?;
        if let Some(print) = print {
            cache.lock().unwrap_or_else(|p| p.into_inner()).push((
                dir.to_path_buf(),
                print,
                package.clone(),
            ));
        }
        Ok(package)
    }

    fn read(dir: &Path) -> Result<Package, PackageError> {
        let manifest_path = dir.join("manifest.json");
        let manifest: Manifest =
            serde_json::from_slice(&read(&manifest_path)?).map_err(|e| PackageError::Manifest {
                path: manifest_path.clone(),
                reason: e.to_string(),
            })?;
        if let Some(why) = manifest.mismatch() {
            return Err(PackageError::Mismatch(why));
        }
        Ok(Package {
            dir: dir.to_path_buf(),
            manifest,
            sha256: hex(&Sha256::digest(read(&dir.join(ZIP))?)),
        })
    }

    /// The zip every function deploys.
    pub fn zip_path(&self) -> PathBuf {
        self.dir.join(ZIP)
    }

    /// The zip's bytes.
    pub fn zip(&self) -> Result<Vec<u8>, PackageError> {
        read(&self.zip_path())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_from_another_protocol_or_contract_is_refused() {
        assert_eq!(Manifest::current().mismatch(), None);
        let mut old = Manifest::current();
        old.state_machine_protocol += 1;
        old.handlers.retain(|h| h != "swapper");
        let why = old.mismatch().unwrap();
        assert!(why.contains("state machine protocol"), "{why}");
        assert!(why.contains("no handler swapper"), "{why}");
    }

    #[test]
    fn a_development_build_fits_and_says_so() {
        let mut dev = Manifest::current();
        dev.build = Build::Development;
        assert_eq!(dev.mismatch(), None);
        let text = serde_json::to_string(&dev).unwrap();
        assert!(text.contains("\"build\":\"development\""), "{text}");
        let without: Manifest =
            serde_json::from_str(&text.replace(",\"build\":\"development\"", "")).unwrap();
        assert_eq!(without.build, Build::Release);
    }

    #[test]
    fn a_format_1_package_is_refused_with_what_changed() {
        let mut old = Manifest::current();
        old.format = 1;
        old.zip = String::new();
        let why = old.mismatch().unwrap();
        assert!(why.contains("manifest format 1 (expected 2"), "{why}");
    }

    #[test]
    fn a_package_is_hashed_over_its_zip() {
        let dir = std::env::temp_dir().join(format!("mr-package-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_vec(&Manifest::current()).unwrap(),
        )
        .unwrap();
        std::fs::write(dir.join(ZIP), "code").unwrap();
        let first = Package::open(&dir).unwrap();
        assert_eq!(first.zip().unwrap(), b"code");
        std::fs::write(dir.join(ZIP), "new code").unwrap();
        let second = Package::open(&dir).unwrap();
        assert_ne!(first.sha256, second.sha256);
        std::fs::remove_file(dir.join(ZIP)).unwrap();
        assert!(matches!(
            Package::open(&dir),
            Err(PackageError::Read { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
