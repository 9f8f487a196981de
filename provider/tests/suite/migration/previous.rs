//! An upgrade from a real deployment of the previous provider: its state
//! file and its objects in AWS, as that provider and its handler package
//! made them (the last commit before the standby's pinger started the
//! failover itself, with its kicker and alarm topic).
//!
//! `scripts/record-previous-deployment` builds that commit's provider and
//! package, and runs [`record_the_previous_providers_deployment`], which
//! applies them against a bench that records what they asked, and keeps the
//! state file and the recording in `tests/fixtures/previous-deployment`.
//! Each run plays the recording into a fresh bench under the same
//! identifiers ([`multiregion_bench::recording`]), puts the state file in a
//! working directory, and applies this provider and package to it.
//!
//! The recording holds every request but the functions' code: a zip of a
//! few bytes stands in for the previous package's 9 MB, so that the
//! fixture stays small. The state file keeps the real package's digests.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use multiregion_bench::Bench;
use multiregion_bench::recording::{self, Recorded};
use multiregion_bench::seed::{Seeded, zone_and_certificates};
use multiregion_bench::terraform::Workdir;

use super::*;

/// What moto's identifiers are seeded with, recording and replaying.
const SEED: u64 = 20_261_124;

fn fixture_dir() -> PathBuf {
    root().join("provider/tests/fixtures/previous-deployment")
}

/// The recording, and the state file as Terraform wrote it.
fn fixture() -> Result<(Vec<Recorded>, String)> {
    let dir = fixture_dir();
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name)).with_context(|| {
            format!(
                "reading {} (scripts/record-previous-deployment makes it)",
                dir.join(name).display()
            )
        })
    };
    Ok((
        recording::parse(&read("recording.jsonl")?)?,
        read("terraform.tfstate")?,
    ))
}

/// The zone and certificates the recorded deployment used, from its state.
fn seeded_from(state: &str) -> Result<Seeded> {
    let state: serde_json::Value = serde_json::from_str(state)?;
    let attributes = &state["resources"][0]["instances"][0]["attributes"];
    let certificate = |block: &str| -> Result<(String, String)> {
        // A block is an object, or a list of one in some schema versions.
        let block = match &attributes[block] {
            serde_json::Value::Array(blocks) => blocks.first().context("a block")?,
            block => block,
        };
        Ok((
            block["region"].as_str().context("a region")?.to_owned(),
            block["certificate_arn"]
                .as_str()
                .context("a certificate")?
                .to_owned(),
        ))
    };
    Ok(Seeded {
        zone_id: attributes["hosted_zone_id"]
            .as_str()
            .context("a zone")?
            .to_owned(),
        zone_name: ZONE.to_owned(),
        certificates: [certificate("primary")?, certificate("secondary")?]
            .into_iter()
            .collect(),
    })
}

/// A bench into which the previous provider's deployment is played, and
/// a working directory of this provider holding its state file.
async fn previous_deployment() -> Result<(World, Workdir)> {
    let (entries, state) = fixture()?;
    let bench = Bench::start().await?;
    bench
        .replay(SEED, &entries)
        .await
        .context("playing the previous provider's deployment into moto")?;
    let world = World::from_parts(bench, seeded_from(&state)?);
    let workdir = world.workdir()?;
    workdir.write("terraform.tfstate", &state)?;
    Ok((world, workdir))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_apply_upgrades_a_deployment_of_the_previous_provider() -> Result<()> {
    let (world, workdir) = previous_deployment().await?;
    // What the previous runtime has and this one does not is there.
    for region in [EAST, WEST] {
        let left = older_left(&world, region).await?;
        assert!(
            left.contains(&format!("{region} function {KICKER}")),
            "{region}: {left:#?}"
        );
    }

    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.write(&workdir)?;
    // The previous state reads, and the plan is an update in place.
    assert_planned(&workdir, "update").await?;
    // One apply converges: the next plan, a refresh and the plan after it
    // are empty.
    apply_converged(&workdir).await?;
    assert_only_the_new_runtime(&world).await?;
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["apparatus_status"], "ok");
    assert_eq!(values["automatic_failover_paused"], false);
    destroy_and_sweep(&world, &workdir).await
}

/// Makes the fixture: run by `scripts/record-previous-deployment`, which
/// gives the previous provider's directory and package.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "makes the fixture; scripts/record-previous-deployment runs it"]
async fn record_the_previous_providers_deployment() -> Result<()> {
    let from_env = |name: &str| -> Result<PathBuf> {
        Ok(PathBuf::from(
            std::env::var_os(name).with_context(|| format!("{name} is not set"))?,
        ))
    };
    let provider = from_env("MULTIREGION_PREVIOUS_PROVIDER_DIR")?;
    let package = from_env("MULTIREGION_PREVIOUS_PACKAGE_DIR")?;

    let bench = Bench::start().await?;
    bench.start_recording(SEED).await?;
    let seeded =
        zone_and_certificates(&bench, ZONE, &[ACTIVE_NAME, STANDBY_NAME], &[EAST, WEST]).await?;
    let world = World::from_parts(bench, seeded);
    // The previous provider is not paced by the bench's scale; a refusal
    // would not reach moto, and its replay would.
    world.bench.proxy().set_apigateway_quotas(None);
    let workdir = previous_workdir(&world, &provider)?;
    let mut config = Config::managed(&world);
    config.package = Some(package.canonicalize()?);
    config.write(&workdir)?;
    workdir.apply().await?;
    workdir.plan(&[]).await?.expect(0)?;
    let entries = stand_in_code(world.bench.proxy().take_recording())?;
    let state = std::fs::read_to_string(workdir.path().join("terraform.tfstate"))?;

    // The recording makes the same deployment again: the previous provider
    // plans nothing over a fresh bench it was played into.
    let again = Bench::start().await?;
    again.replay(SEED, &entries).await?;
    let world = World::from_parts(again, seeded_from(&state)?);
    world.bench.proxy().set_apigateway_quotas(None);
    let check = previous_workdir(&world, &provider)?;
    config.write(&check)?;
    check.write("terraform.tfstate", &state)?;
    let plan = check.plan_json(&[]).await?;
    only_the_stand_in_differs(&plan)?;

    let dir = fixture_dir();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("recording.jsonl"), recording::render(&entries)?)?;
    std::fs::write(dir.join("terraform.tfstate"), state)?;
    println!("{} requests recorded into {}", entries.len(), dir.display());
    Ok(())
}

/// The previous provider sees the same deployment, but for the functions'
/// code, which the stand-in replaced: its plan changes `apparatus_status`
/// alone, and the refresh says why.
fn only_the_stand_in_differs(plan: &serde_json::Value) -> Result<()> {
    let changes: Vec<&serde_json::Value> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|change| change["change"]["actions"] != serde_json::json!(["no-op"]))
        .collect();
    let [change] = changes.as_slice() else {
        bail!(
            "the replayed deployment plans {} changes: {plan:#}",
            changes.len()
        );
    };
    let (before, after) = (&change["change"]["before"], &change["change"]["after"]);
    let differing: Vec<&String> = after
        .as_object()
        .context("planned values")?
        .iter()
        .filter(|(name, value)| before.get(name.as_str()) != Some(*value))
        .map(|(name, _)| name)
        .collect();
    // The refresh found the stand-in; the plan puts the package back.
    let status = before["apparatus_status"].as_str().unwrap_or_default();
    if differing != ["apparatus_status"]
        || !status.contains("runs other code than the handler package")
    {
        bail!("the replay differs in {differing:?}, not in the functions' code alone: {status}");
    }
    Ok(())
}

/// A working directory of the previous provider in `provider`.
fn previous_workdir(world: &World, provider: &Path) -> Result<Workdir> {
    Ok(Workdir::new(SOURCE, provider)?
        .with_env(world.bench.env())
        .with_env([("AWS_REGION", EAST), ("PLUGIN_LOG_FILE", "/dev/null")])
        .with_env([("MULTIREGION_API_GATEWAY_PACING", PACING_SCALE.to_string())]))
}

/// `entries` with each function's code replaced by a small zip.
fn stand_in_code(entries: Vec<Recorded>) -> Result<Vec<Recorded>> {
    let zip = stand_in_zip()?;
    entries
        .into_iter()
        .map(|mut entry| {
            let lambda_code = entry.path.starts_with("/2015-03-31/functions")
                && matches!(entry.method.as_str(), "POST" | "PUT")
                && entry.body.contains("\"ZipFile\"");
            if lambda_code {
                let mut body: serde_json::Value = serde_json::from_str(&entry.body)?;
                for pointer in ["/Code/ZipFile", "/ZipFile"] {
                    if let Some(code) = body.pointer_mut(pointer) {
                        *code = serde_json::Value::String(zip.clone());
                    }
                }
                entry.body = body.to_string();
            }
            Ok(entry)
        })
        .collect()
}

/// The base64 of a zip holding a `bootstrap` that says what it is.
fn stand_in_zip() -> Result<String> {
    let dir = tempdir()?;
    std::fs::write(
        dir.join("bootstrap"),
        "#!/bin/sh\necho 'stands in for the previous handler package' >&2\nexit 1\n",
    )?;
    let status = std::process::Command::new("zip")
        .args(["-X", "-q", "code.zip", "bootstrap"])
        .current_dir(&dir)
        .status()
        .context("running zip (./scripts/setup installs it)")?;
    if !status.success() {
        bail!("zip failed: {status}");
    }
    use base64::Engine;
    let bytes = std::fs::read(dir.join("code.zip"))?;
    std::fs::remove_dir_all(&dir)?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

fn tempdir() -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("multiregion-stand-in-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
