//! Writes `docs/` from the schema: `multiregion-docs [--check] [ROOT]`.
//! With `--check` it writes nothing and fails when the docs are stale.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use multiregion_provider::PROVIDER_NAME;
use multiregion_provider::docs::{index_page, resource_page};
use multiregion_provider::failover::schema::schema;
use multiregion_provider::provider::provider_schema;

fn main() -> Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let check = args.iter().any(|a| a == "--check");
    args.retain(|a| a != "--check");
    let root = PathBuf::from(args.first().cloned().unwrap_or_else(|| ".".into()));
    let read = |path: &str| {
        std::fs::read_to_string(root.join(path)).with_context(|| format!("reading {path}"))
    };
    let pages = [
        (
            "docs/index.md",
            index_page(
                PROVIDER_NAME,
                &provider_schema(),
                &read("examples/provider/provider.tf")?,
                &read("docs-src/index-extra.md")?,
            ),
        ),
        (
            "docs/resources/apigw_failover.md",
            resource_page(
                PROVIDER_NAME,
                "apigw_failover",
                &schema(),
                &read("examples/resources/multiregion_apigw_failover/resource.tf")?,
                &read("examples/resources/multiregion_apigw_failover/import.sh")
                    .unwrap_or_default(),
            ),
        ),
    ];
    let mut stale = Vec::new();
    for (path, text) in pages {
        let target = root.join(path);
        let current = std::fs::read_to_string(&target).unwrap_or_default();
        if current == text {
            continue;
        }
        if check {
            stale.push(path);
        } else {
            std::fs::create_dir_all(target.parent().context("a parent")?)?;
            std::fs::write(&target, text)?;
            eprintln!("wrote {path}");
        }
    }
    if !stale.is_empty() {
        bail!(
            "stale docs: {}; run `cargo run -p terraform-provider-multiregion --bin multiregion-docs` and commit",
            stale.join(", ")
        );
    }
    Ok(())
}
