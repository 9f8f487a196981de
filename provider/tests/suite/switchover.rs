//! Planned switchover and failback through `active_region`: the same
//! compare-and-swap the runtime performs, after a check made from where
//! Terraform runs (the target's standby name answers from the target at each
//! of 3 probes over 10 s), with `failover.force_switchover` as the only
//! override, and a clean loss when it races a runtime failover.

use crate::support::*;
use anyhow::Result;
use multiregion_bench::{ACCESS_KEY, Fault, FaultKind};
use multiregion_core::dns::read_active;
use multiregion_core::swap::{RetryPolicy, SwapRequest, swap};
use multiregion_core::{Reason, Region};

async fn live_active(
    world: &World,
    workdir: &multiregion_bench::terraform::Workdir,
) -> Result<(String, Option<Reason>)> {
    let pair = pair_of(&resource_values(&workdir.state_json().await?));
    let route53 =
        multiregion_core::aws::route53_client_from(&world.sdk(EAST).await, &Default::default());
    let (_, view) = read_active(&route53, &pair).await?;
    Ok((
        view.active_region
            .as_ref()
            .map(|r| r.to_string())
            .unwrap_or_default(),
        view.last_swap().map(|l| l.reason),
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switchover_checks_the_target_and_force_is_the_only_override() -> Result<()> {
    let (world, workdir, mut config) = deployed_with_runtime().await?;

    // Asked for the secondary, whose ponger does not answer.
    config.active_region = Some(WEST.into());
    config.write(&workdir)?;
    let plan = workdir.plan(&[]).await?.expect(2)?;
    let text = squash(&plan.text());
    assert!(text.contains("update in-place"), "{text}");
    assert!(
        text.contains("This plan moves traffic to us-west-2"),
        "{text}"
    );
    let refused = workdir
        .run(&["apply", "-auto-approve", "-no-color"])
        .await?;
    assert_eq!(refused.code, 1, "{}", refused.text());
    let text = squash(&refused.text().replace('\n', " "));
    assert!(
        text.contains("Switchover to us-west-2 refused: the target is not healthy"),
        "{text}"
    );
    assert!(
        text.contains(
            "standby-api.example.com (the standby name, which us-west-2 serves until the swap) did not answer from us-west-2 at each of 3 probes over 10 s: 3 of 3 probes failed"
        ),
        "{text}"
    );
    assert_eq!(
        live_active(&world, &workdir).await?.0,
        EAST,
        "traffic stays"
    );

    // Once it answers, apply swaps.
    ponger_answers(&world, WEST).await?;
    let applied = workdir.apply().await?;
    println!(
        "planned switchover: terraform apply {:.1} s",
        applied.elapsed.as_secs_f64()
    );
    assert_eq!(
        live_active(&world, &workdir).await?,
        (WEST.to_owned(), Some(Reason::Terraform))
    );
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["active_region"], WEST);
    assert_eq!(values["last_failover"]["reason"], "terraform");
    // While set, it pins: every plan says so.
    let pinned = workdir.plan(&[]).await?.expect(0)?;
    assert!(
        squash(&pinned.text()).contains("active_region pins the active region to us-west-2"),
        "{}",
        pinned.text()
    );

    // A failback to a region whose ponger does not answer, forced.
    config.active_region = Some(EAST.into());
    config.extra = "  failover {\n    force_switchover = true\n  }\n".into();
    config.write(&workdir)?;
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(
        squash(&plan.text()).contains("failover.force_switchover is set"),
        "{}",
        plan.text()
    );
    let forced = workdir.apply().await?;
    assert!(
        squash(&forced.text())
            .contains("Switching over to us-east-1 although it was not seen healthy"),
        "{}",
        forced.text()
    );
    assert_eq!(live_active(&world, &workdir).await?.0, EAST);

    // Changing the override alone changes nothing in AWS.
    config.extra = String::new();
    config.write(&workdir)?;
    world.bench.proxy().clear_log();
    workdir.apply().await?;
    let writes: Vec<_> = world
        .bench
        .proxy()
        .log()
        .into_iter()
        .filter(|e| !multiregion_bench::request::is_read_only(&e.operation))
        .collect();
    assert!(writes.is_empty(), "{writes:#?}");
    destroy_and_sweep(&world, &workdir).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_that_races_a_runtime_failover_loses_cleanly_with_the_live_state() -> Result<()> {
    let (world, workdir, mut config) = deployed_with_runtime().await?;
    ponger_answers(&world, WEST).await?;

    // Terraform's change batch is held in the proxy while the runtime's
    // lands first.
    world.bench.proxy().add_fault(
        Fault::new(FaultKind::Hold)
            .service("route53")
            .operation("ChangeResourceRecordSets")
            .access_key(ACCESS_KEY)
            .times(1),
    );
    config.active_region = Some(WEST.into());
    config.write(&workdir)?;
    let pair = pair_of(&resource_values(&workdir.state_json().await?));
    let runtime = multiregion_core::aws::route53_client_from(
        &multiregion_bench::seed::sdk_config(&world.bench, EAST, "runtime").await,
        &Default::default(),
    );
    let request = SwapRequest {
        target: Region::new(WEST)?,
        reason: Reason::Runtime,
        execution: Some(
            "arn:aws:states:us-west-2:123456789012:execution:mr-orders-failover:failover-1-1"
                .into(),
        ),
        epoch: 1_795_500_000,
    };
    let runtime_failover = async {
        world.bench.proxy().wait_held(1).await;
        let outcome = swap(&runtime, &pair, &request, RetryPolicy::ONCE).await;
        world.bench.proxy().release_held();
        outcome
    };
    let (lost, runtime_outcome) = tokio::join!(
        workdir.run(&["apply", "-auto-approve", "-no-color"]),
        runtime_failover
    );
    runtime_outcome?;
    let lost = lost?;
    assert_eq!(lost.code, 1, "{}", lost.text());
    let text = squash(&lost.text().replace('\n', " "));
    assert!(
        text.contains("The switchover lost the compare-and-swap"),
        "{text}"
    );
    assert!(text.contains("Live state: us-west-2 is active"), "{text}");
    assert!(text.contains("Nothing was retried"), "{text}");
    // The runtime's swap stands; the ledger is the runtime's.
    assert_eq!(
        live_active(&world, &workdir).await?,
        (WEST.to_owned(), Some(Reason::Runtime))
    );
    let log = world.bench.proxy().log();
    let batches: Vec<(String, String)> = log
        .iter()
        .filter(|e| e.operation == "ChangeResourceRecordSets")
        .map(|e| (e.access_key.clone(), e.outcome.clone()))
        .collect();
    assert!(
        batches.contains(&("runtime".to_owned(), "ok".to_owned())),
        "{batches:?}"
    );
    assert!(
        batches.contains(&(ACCESS_KEY.to_owned(), "held:InvalidChangeBatch".to_owned())),
        "{batches:?}"
    );
    destroy_and_sweep(&world, &workdir).await
}

/// The check needs no report from the runtime, so a pinger that runs only
/// every 5 minutes does not block a switchover. (The first design's check
/// wanted a `RegionHealthy` datapoint in each of the last 3 minutes, which an
/// interval of 120 s or more can never give.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_switchover_is_checked_the_same_at_a_slow_interval() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.extra = "  health_check {\n    interval_seconds = 300\n  }\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    ponger_answers(&world, WEST).await?;
    config.active_region = Some(WEST.into());
    config.write(&workdir)?;
    workdir.apply().await?;
    assert_eq!(
        live_active(&world, &workdir).await?,
        (WEST.to_owned(), Some(Reason::Terraform))
    );
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["effective_health_check"]["interval_seconds"], 300);
    destroy_and_sweep(&world, &workdir).await
}
