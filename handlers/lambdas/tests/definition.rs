//! Static check: the generated definition of each region passes the
//! standard Amazon States Language validator (npm `asl-validator`), and the
//! validator does reject a broken definition.

mod support;

use std::path::Path;

use anyhow::{Context, Result};
use multiregion_core::Region;
use multiregion_core::naming::Names;
use multiregion_core::statemachine::{Timing, definition_json};
use support::processes::sfn_dir;

/// Runs `asl-validator --json-path` (under the project's Node 22).
fn validate(path: &Path) -> Result<(bool, String)> {
    let bin = sfn_dir().join("node_modules/.bin");
    let output = std::process::Command::new(bin.join("asl-validator"))
        .arg("--json-path")
        .arg(path)
        .env(
            "PATH",
            format!(
                "{}:{}",
                bin.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .context("running asl-validator (./scripts/setup installs it)")?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok((output.status.success(), text))
}

#[test]
fn the_generated_definitions_pass_asl_validator() -> Result<()> {
    let dir = std::env::temp_dir().join(format!("multiregion-asl-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let names = Names::new("orders")?;
    for region in ["us-east-1", "us-west-2", "eu-central-1"] {
        let json = definition_json(
            &names,
            &Region::new(region)?,
            "123456789012",
            &Timing::default(),
        );
        let path = dir.join(format!("{region}.json"));
        std::fs::write(&path, &json)?;
        let (valid, text) = validate(&path)?;
        assert!(valid, "{region}: {text}");
    }

    // The same definition with a dangling transition must be refused.
    let mut broken: serde_json::Value = serde_json::from_str(&definition_json(
        &names,
        &Region::new("us-west-2")?,
        "123456789012",
        &Timing::default(),
    ))?;
    broken["States"]["Swap"]["Next"] = "Nowhere".into();
    let path = dir.join("broken.json");
    std::fs::write(&path, broken.to_string())?;
    let (valid, text) = validate(&path)?;
    assert!(!valid, "a dangling Next must be refused: {text}");
    assert!(text.contains("Nowhere"), "{text}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
