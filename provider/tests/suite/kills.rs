//! Crashes: Terraform and the provider killed together (SIGKILL) in the
//! middle of an apply or a destroy, so that state is never written, then
//! run again. DESIGN §3.8: what the killed run created is adopted by the
//! next apply, which succeeds; the plan after it is empty; destroy leaves
//! nothing in either region (issue 14, "Crashes and kills").
//!
//! Each kill point is a call the proxy holds: the first request of one
//! operation. Everything the provider did before it is in AWS, the held
//! call never reaches AWS, and the kill lands while the provider waits on
//! it, so the point is the same on every run. The other region's work may
//! have gone further by then: the next run must cope with that too.

use std::time::Duration;

use crate::support::*;
use anyhow::{Context, Result};
use multiregion_bench::terraform::Workdir;
use multiregion_bench::{Fault, FaultKind};

/// How long a run may take to reach its kill point.
const REACH: Duration = Duration::from_secs(180);

/// The resources in the working directory's local state (none when
/// Terraform never wrote it: no file, or the empty one it creates when it
/// takes the state lock).
fn resources_in_state(workdir: &Workdir) -> Result<usize> {
    let path = workdir.path().join("terraform.tfstate");
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e.into()),
    };
    if text.trim().is_empty() {
        return Ok(0);
    }
    let state: serde_json::Value = serde_json::from_str(&text)?;
    Ok(state["resources"].as_array().map_or(0, Vec::len))
}

/// Runs `terraform <args>` until it holds the first `operation` call of the
/// provider, then kills Terraform and the provider together.
async fn kill_at(world: &World, workdir: &Workdir, args: &[&str], operation: &str) -> Result<()> {
    let proxy = world.bench.proxy();
    proxy.add_fault(
        Fault::new(FaultKind::Hold)
            .operation(operation)
            .access_key(multiregion_bench::ACCESS_KEY)
            .times(1),
    );
    let running = workdir.spawn(args)?;
    tokio::time::timeout(REACH, proxy.wait_held(1))
        .await
        .with_context(|| {
            format!(
                "terraform {} never called {operation}: {}",
                args.join(" "),
                std::fs::read_to_string(workdir.path().join(format!("{}.log", args[0])))
                    .unwrap_or_default()
            )
        })?;
    let killed = running.kill().await?;
    println!("REPORT kill {} at {operation}: {killed} processes", args[0]);
    Ok(())
}

/// A first apply of the pair with its runtime, killed at `operation`:
/// nothing is in state, and the next apply adopts what the killed one made.
async fn a_first_apply_killed_at(operation: &str) -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.write(&workdir)?;
    kill_at(
        &world,
        &workdir,
        &["apply", "-auto-approve", "-no-color"],
        operation,
    )
    .await?;
    assert_eq!(
        resources_in_state(&workdir)?,
        0,
        "a killed first apply writes no state"
    );
    // What the killed run made, which the next apply must adopt: an
    // orphan it made again instead would be left by the destroy and fail
    // the sweep.
    let made = world.sweep().await?;
    println!("REPORT left in AWS by the kill at {operation}: {made:?}");
    anyhow::ensure!(
        !made.is_empty(),
        "the apply killed at {operation} had made nothing: no adoption to test"
    );
    apply_converged(&workdir).await?;
    destroy_and_sweep(&world, &workdir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_apply_killed_before_its_custom_domains_converges() -> Result<()> {
    a_first_apply_killed_at("CreateDomainName").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_apply_killed_before_its_functions_converges() -> Result<()> {
    a_first_apply_killed_at("CreateFunction").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_apply_killed_before_its_state_machines_converges() -> Result<()> {
    a_first_apply_killed_at("CreateStateMachine").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_apply_killed_before_its_records_converges() -> Result<()> {
    a_first_apply_killed_at("ChangeResourceRecordSets").await
}

/// An update of the API and the handler package at once, killed at
/// `operation`: state keeps the values before it, and the next apply
/// finishes the update.
async fn an_update_killed_at(operation: &str) -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.write(&workdir)?;
    workdir.apply().await?;
    let before = std::fs::read_to_string(workdir.path().join("terraform.tfstate"))?;
    config.primary.api = Api::Body(world.body(EAST, "2.0"));
    config.secondary.api = Api::Body(world.body(WEST, "2.0"));
    config.package = Some(changed_package(&package_dir()?)?);
    config.write(&workdir)?;
    kill_at(
        &world,
        &workdir,
        &["apply", "-auto-approve", "-no-color"],
        operation,
    )
    .await?;
    assert_eq!(
        std::fs::read_to_string(workdir.path().join("terraform.tfstate"))?,
        before,
        "a killed update leaves the state as it was"
    );
    workdir.plan(&[]).await?.expect(2)?;
    apply_converged(&workdir).await?;
    destroy_and_sweep(&world, &workdir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_killed_while_it_puts_the_api_converges() -> Result<()> {
    an_update_killed_at("PutRestApi").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_killed_while_it_updates_the_code_converges() -> Result<()> {
    an_update_killed_at("UpdateFunctionCode").await
}

/// A destroy killed at `operation`: the resource stays in state, and the
/// next destroy removes everything.
async fn a_destroy_killed_at(operation: &str) -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.write(&workdir)?;
    workdir.apply().await?;
    kill_at(
        &world,
        &workdir,
        &["destroy", "-auto-approve", "-no-color"],
        operation,
    )
    .await?;
    assert_eq!(
        resources_in_state(&workdir)?,
        1,
        "a killed destroy keeps the resource in state"
    );
    destroy_and_sweep(&world, &workdir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destroy_killed_while_it_deletes_the_functions_finishes() -> Result<()> {
    a_destroy_killed_at("DeleteFunction").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_destroy_killed_while_it_deletes_the_custom_domains_finishes() -> Result<()> {
    a_destroy_killed_at("DeleteDomainName").await
}
