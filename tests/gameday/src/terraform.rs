//! The game day on what Terraform deployed: `examples/quickstart` applied
//! with the real Terraform CLI and our provider against the bench, on the
//! bench's virtual clock, so the runtime the provider deployed can then run
//! on the same time line ([`crate::GameDay::attach`]).
//!
//! The provider reads its clock (the ledger epochs it writes, the window of
//! the switchover's health check) through its test seam
//! `MULTIREGION_TEST_CLOCK`, set here to the bench's clock. While Terraform
//! runs alongside the game day ([`crate::GameDay::alongside`]) the virtual
//! clock moves faster than the wall clock, so a Route 53 change Terraform
//! waits on turns INSYNC after its documented propagation.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use multiregion_bench::clock::EpochMs;
use multiregion_bench::seed::{Seeded, zone_and_certificates};
use multiregion_bench::terraform::{Run, Workdir};
use multiregion_bench::{Bench, Clock};

use crate::runtime::processes::{package_dir, workspace_root};
use crate::runtime::{ACCOUNT, ACTIVE_NAME, EAST, NAME, STANDBY_NAME, WEST};

/// The provider's test seam for its clock (`multiregion_provider::clock`).
pub const ENV_TEST_CLOCK: &str = "MULTIREGION_TEST_CLOCK";
/// How much faster than the wall clock the virtual clock runs while
/// Terraform waits on the runtime's world.
pub const TERRAFORM_SPEED: u32 = 20;

/// Where the provider binary is: `$MULTIREGION_PROVIDER_DIR`, or the
/// workspace's `target/debug`.
pub fn provider_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("MULTIREGION_PROVIDER_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| workspace_root().join("target"))
                .join("debug")
        });
    if !dir.join("terraform-provider-multiregion").exists() {
        bail!(
            "no terraform-provider-multiregion in {}: build it (cargo build -p terraform-provider-multiregion)",
            dir.display()
        );
    }
    Ok(dir)
}

/// An example of `examples/`, applied or about to be.
#[derive(Debug)]
pub struct Example {
    /// Terraform's working directory (a copy of the example).
    pub workdir: Workdir,
    /// The zone and the certificates it uses.
    pub seeded: Seeded,
}

/// A bench on a virtual clock starting at `start`, with Route 53 changes
/// INSYNC at once until a runtime is attached (the clock stands still
/// while nothing runs on it).
pub async fn virtual_bench(start: EpochMs) -> Result<Bench> {
    let bench = Bench::start_with_clock(Clock::starting_at(start)).await?;
    bench.proxy().set_route53_propagation(Duration::ZERO);
    Ok(bench)
}

/// Copies `examples/<example>` into a fresh working directory wired to the
/// provider under test, with the repository's modules beside it when the
/// example uses them, and writes its variables: the seeded zone and
/// certificates, the account, the handler package and `vars`.
pub async fn example(bench: &Bench, example: &str, vars: serde_json::Value) -> Result<Example> {
    let seeded = zone_and_certificates(
        bench,
        "example.com",
        &[ACTIVE_NAME, STANDBY_NAME],
        &[EAST, WEST],
    )
    .await?;
    let workdir = Workdir::new("multiregion/multiregion", &provider_dir()?)?
        .with_env(bench.env())
        .with_env([
            ("MULTIREGION_API_GATEWAY_PACING", "false".to_owned()),
            ("AWS_REGION", EAST.to_owned()),
            (ENV_TEST_CLOCK, format!("{}/__bench", bench.endpoint_url())),
        ]);
    copy_example(&workdir, &workspace_root().join("examples").join(example))?;
    let mut all = serde_json::json!({
        "name": NAME,
        "zone_name": "example.com",
        "hosted_zone_id": seeded.zone_id,
        "account_id": ACCOUNT,
        "certificate_arns": seeded.certificates,
        "handler_package_path": package_dir().display().to_string(),
    });
    if let (Some(all), Some(vars)) = (all.as_object_mut(), vars.as_object()) {
        all.extend(vars.clone());
    }
    workdir.write("terraform.tfvars.json", &all.to_string())?;
    if workdir.path().join("modules").exists() {
        workdir.run(&["get", "-no-color"]).await?.expect(0)?;
    }
    Ok(Example { workdir, seeded })
}

/// Copies an example's files; a module it sources from the repository
/// (`../../modules/...`) is copied beside them and the source rewritten.
fn copy_example(workdir: &Workdir, source: &Path) -> Result<()> {
    workdir.copy_from(source)?;
    for entry in std::fs::read_dir(workdir.path())? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "tf") {
            let text = std::fs::read_to_string(&path)?;
            if text.contains("\"../../modules/") {
                std::fs::write(&path, text.replace("\"../../modules/", "\"./modules/"))?;
                copy_tree(
                    &workspace_root().join("modules"),
                    &workdir.path().join("modules"),
                )?;
            }
        }
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Sets one variable of the working directory's `terraform.tfvars.json`
/// (`null` removes it).
pub fn set_var(workdir: &Workdir, name: &str, value: serde_json::Value) -> Result<()> {
    let path = workdir.path().join("terraform.tfvars.json");
    let mut vars: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path)?)?;
    let vars_map = vars.as_object_mut().context("tfvars is an object")?;
    if value.is_null() {
        vars_map.remove(name);
    } else {
        vars_map.insert(name.to_owned(), value);
    }
    workdir.write("terraform.tfvars.json", &vars.to_string())
}

/// The lines of a Terraform run worth reading (its output, then its
/// errors): without the notice about development overrides that Terraform
/// prints on every command.
pub fn readable(run: &Run) -> String {
    let mut out = Vec::new();
    let mut skipping = false;
    for line in run.stdout.lines().chain(run.stderr.lines()) {
        if line.contains("Warning: Provider development overrides") {
            skipping = true;
        }
        if skipping {
            if line.trim_end().ends_with("releases.") {
                skipping = false;
            }
            continue;
        }
        out.push(line);
    }
    let text = out.join("\n");
    text.trim_matches('\n').to_owned()
}

/// `terraform apply -auto-approve` with the game day running alongside
/// ([`crate::GameDay::alongside`]); it must succeed.
pub async fn apply_alongside(game: &mut crate::GameDay, workdir: &Workdir) -> Result<Run> {
    game.alongside(
        workdir.run(&["apply", "-auto-approve", "-no-color"]),
        TERRAFORM_SPEED,
    )
    .await??
    .expect(0)
}
