//! The handler package: what `scripts/package` built is what the code says
//! (manifest), each zip holds exactly `bootstrap` and `manifest.json`, and
//! (in `scripts/test`'s reproducibility phase) two clean clones at different
//! paths build byte-identical zips.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use multiregion_handlers::manifest::Manifest;
use support::processes::{package_dir, workspace_root};

fn zip_listing(zip: &Path) -> Result<String> {
    let output = Command::new("unzip")
        .arg("-Z")
        .arg("-l")
        .arg(zip)
        .output()?;
    if !output.status.success() {
        bail!("unzip -Z {}", zip.display());
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[test]
fn the_package_matches_the_code() -> Result<()> {
    let dir = package_dir();
    let text = std::fs::read_to_string(dir.join("manifest.json"))
        .with_context(|| format!("no package in {}: run ./scripts/package", dir.display()))?;
    let manifest: Manifest = serde_json::from_str(&text)?;
    assert_eq!(
        manifest,
        Manifest::current(),
        "scripts/package and the code disagree"
    );
    for handler in &manifest.handlers {
        let listing = zip_listing(&dir.join(format!("{handler}.zip")))?;
        let entries: Vec<&str> = listing
            .lines()
            .filter(|l| l.starts_with('-'))
            .map(|l| l.split_whitespace().last().unwrap_or_default())
            .collect();
        assert_eq!(
            entries,
            ["bootstrap", "manifest.json"],
            "{handler}: {listing}"
        );
        assert!(
            listing.contains("-rwxr-xr-x") && listing.contains("80-Jan-01 00:00"),
            "{listing}"
        );
    }
    Ok(())
}

fn git(args: &[&str], dir: &Path) -> Result<()> {
    let status = Command::new("git").args(args).current_dir(dir).status()?;
    if !status.success() {
        bail!("git {args:?} failed");
    }
    Ok(())
}

/// Clones HEAD to `into` and builds its package there, with its own target
/// directory; returns the package directory.
fn clone_and_package(into: &Path) -> Result<PathBuf> {
    let root = workspace_root();
    std::fs::create_dir_all(into.parent().context("a parent")?)?;
    git(
        &[
            "clone",
            "-q",
            "--no-local",
            &root.display().to_string(),
            &into.display().to_string(),
        ],
        &root,
    )?;
    let out = into.join("target/package");
    let mut command = Command::new(into.join("scripts/package"));
    // A clean build: none of the variables cargo set for this test.
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME" || key == "RUSTFLAGS" {
            command.env_remove(key);
        }
    }
    let status = command
        .env(
            "PATH",
            format!(
                "{}:{}",
                root.join(".venv/bin").display(),
                std::env::var("PATH")?
            ),
        )
        .env("MULTIREGION_PACKAGE_DIR", &out)
        .status()?;
    if !status.success() {
        bail!("scripts/package in {} failed", into.display());
    }
    Ok(out)
}

#[test]
#[ignore = "two cold release builds: run by scripts/test's reproducibility phase"]
fn two_clean_clones_at_different_paths_build_identical_zips() -> Result<()> {
    let base = std::env::temp_dir().join(format!("multiregion-repro-{}", std::process::id()));
    // Both builds at once: each is mostly serial (one codegen unit, LTO).
    let (one, two) = std::thread::scope(|s| {
        let one = s.spawn(|| clone_and_package(&base.join("one")));
        let two = s.spawn(|| clone_and_package(&base.join("a/much/deeper/path/two")));
        (one.join(), two.join())
    });
    let one = one.map_err(|_| anyhow::anyhow!("the first build panicked"))??;
    let two = two.map_err(|_| anyhow::anyhow!("the second build panicked"))??;
    let manifest: Manifest =
        serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json"))?)?;
    for handler in manifest.handlers {
        let name = format!("{handler}.zip");
        let (a, b) = (
            std::fs::read(one.join(&name))?,
            std::fs::read(two.join(&name))?,
        );
        assert!(a == b, "{name} differs between the two clones");
        println!("REPORT {name} {} bytes, identical", a.len());
    }
    assert_eq!(
        std::fs::read(one.join("SHA256SUMS"))?,
        std::fs::read(two.join("SHA256SUMS"))?
    );
    std::fs::remove_dir_all(&base)?;
    Ok(())
}
