//! The handler package: what `scripts/package` built is what the code says
//! (manifest), its one zip holds exactly `bootstrap` and `manifest.json`,
//! and (in `scripts/test`'s reproducibility phase) a clean clone at another
//! path, with its own target directory, builds a byte-identical package.

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
    let listing = zip_listing(&dir.join(&manifest.zip))?;
    let entries: Vec<&str> = listing
        .lines()
        .filter(|l| l.starts_with('-'))
        .map(|l| l.split_whitespace().last().unwrap_or_default())
        .collect();
    assert_eq!(entries, ["bootstrap", "manifest.json"], "{listing}");
    assert!(
        listing.contains("-rwxr-xr-x") && listing.contains("80-Jan-01 00:00"),
        "{listing}"
    );
    let only: Vec<String> = std::fs::read_dir(&dir)?
        .map(|e| e.map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.as_ref().is_ok_and(|n| n.ends_with(".zip")))
        .collect::<std::io::Result<_>>()?;
    assert_eq!(
        only,
        std::slice::from_ref(&manifest.zip),
        "one zip for every function"
    );
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
    // A clean build: none of the variables cargo (or the suite's lint pass)
    // set for this test.
    for (key, _) in std::env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME"
            || ["RUSTFLAGS", "RUSTC_WORKSPACE_WRAPPER", "CLIPPY_ARGS"].contains(&key.as_str())
        {
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
#[ignore = "a cold release build: run by scripts/test's reproducibility phase"]
fn a_clean_clone_at_another_path_builds_the_same_package() -> Result<()> {
    // The suite's own package, built in this checkout and target directory,
    // against one clean build at a deeper path with a target directory of
    // its own: nothing of the first build is reused by the second.
    let ours = package_dir();
    let base = std::env::temp_dir().join(format!("multiregion-repro-{}", std::process::id()));
    let theirs = clone_and_package(&base.join("a/much/deeper/path/clone"))?;
    for file in [
        "SHA256SUMS",
        "manifest.json",
        multiregion_core::package::ZIP,
    ] {
        let (a, b) = (
            std::fs::read(ours.join(file))
                .with_context(|| format!("no {file} in {}", ours.display()))?,
            std::fs::read(theirs.join(file))?,
        );
        assert!(
            a == b,
            "{file} differs between {} and the clean clone",
            ours.display()
        );
        println!("REPORT {file} {} bytes, identical", a.len());
    }
    std::fs::remove_dir_all(&base)?;
    Ok(())
}
