//! Terraform and the runtime on one time line: `examples/quickstart` applied
//! with the real Terraform CLI and our provider, then the runtime the
//! provider deployed runs on the virtual clock (the shipped handlers under
//! the Lambda emulator, the state machine in the executor). Issue 6's drift
//! after a failover executed by the state machine, and issue 8's planned
//! failback through `apply` racing a runtime failover.

use std::time::Duration;

use crate::common::{minutes, swaps};
use anyhow::{Context, Result};
use multiregion_bench::ACCESS_KEY;
use multiregion_bench::faults::{Fault, FaultKind};
use multiregion_bench::terraform::planned_actions;
use multiregion_core::{DnsStatus, Reason, Region};
use multiregion_gameday::runtime::{EAST, NAME, Options, WEST};
use multiregion_gameday::terraform::{self, Example, TERRAFORM_SPEED, set_var};
use multiregion_gameday::{GameDay, Outage};

/// 2026-11-24T03:00:00Z.
const START: i64 = 1_795_489_200_000;

/// The quickstart applied on a virtual clock and its runtime attached, past
/// the cooldown after creation; then us-east-1's data plane goes down and
/// the runtime fails over to us-west-2.
async fn applied_and_failed_over() -> Result<(GameDay, Example)> {
    let options = Options::virtual_at(START);
    let cooldown = options.failover.cooldown_seconds;
    let bench = terraform::virtual_bench(START).await?;
    let quickstart = terraform::example(&bench, "quickstart", serde_json::json!({})).await?;
    quickstart.workdir.apply().await?;
    let mut game = GameDay::attach(bench, options, NAME, EAST, 0).await?;
    game.run_for(Duration::from_secs(cooldown + 60)).await?;
    assert_eq!(
        swaps(&game),
        0,
        "nothing fails over while both regions answer"
    );
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(7)).await?;
    assert_eq!(swaps(&game), 1, "the runtime failed over");
    assert_eq!(
        game.runtime.active_view().await?.active_region,
        Some(Region::new(WEST)?)
    );
    Ok((game, quickstart))
}

fn count(text: &str, needle: &str) -> usize {
    text.matches(needle).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failover_by_the_state_machine_is_drift_that_terraform_shows_and_never_undoes()
-> Result<()> {
    let (game, quickstart) = applied_and_failed_over().await?;
    let workdir = &quickstart.workdir;
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (2, Reason::Runtime));
    let execution = ledger
        .execution
        .clone()
        .context("the ledger names the execution")?;
    assert!(
        execution.contains(":execution:mr-orders-failover:i"),
        "{execution}"
    );

    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    let text = refresh.text();
    println!("{}", terraform::readable(&refresh));
    assert!(
        text.contains(r#"~ active_region = "us-east-1" -> "us-west-2""#),
        "{text}"
    );
    assert!(text.contains("~ generation    = 1 -> 2"), "{text}");
    assert!(
        text.contains(r#"~ reason        = "create" -> "runtime""#),
        "{text}"
    );
    assert_eq!(
        count(
            &text,
            "Warning: The runtime failed over: us-east-1 -> us-west-2"
        ),
        1,
        "one warning, naming the failover: {text}"
    );

    // A normal plan: the same warning, the outputs change, no resource
    // action (read from the saved plan, not the exit code).
    let plan = workdir.run(&["plan", "-no-color"]).await?.expect(0)?;
    let text = plan.text();
    println!("{}", terraform::readable(&plan));
    assert_eq!(
        count(
            &text,
            "Warning: The runtime failed over: us-east-1 -> us-west-2"
        ),
        1,
        "{text}"
    );
    let outputs = &text[text.find("Changes to Outputs:").context("output changes")?..];
    assert!(
        outputs.contains(r#"~ active_region = "us-east-1" -> "us-west-2""#),
        "{text}"
    );
    let saved = workdir.plan_json(&[]).await?;
    assert_eq!(
        planned_actions(&saved),
        [(
            "module.api.multiregion_apigw_failover.this".to_owned(),
            vec!["no-op".to_owned()]
        )]
    );
    assert_eq!(saved["output_changes"]["active_region"]["after"], WEST);

    // Recorded by an apply -refresh-only: the warning goes, nothing fails
    // back.
    workdir
        .run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .await?
        .expect(0)?;
    let after = workdir.plan(&[]).await?.expect(0)?;
    assert!(!after.text().contains("failed over"), "{}", after.text());
    assert_eq!(workdir.outputs().await?["active_region"]["value"], WEST);
    assert_eq!(swaps(&game), 1, "Terraform never swapped back");

    let bench = game.stop();
    bench.proxy().set_route53_propagation(Duration::ZERO);
    workdir.destroy().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failback_through_apply_racing_a_runtime_failback_loses_the_swap_cleanly() -> Result<()> {
    let (mut game, quickstart) = applied_and_failed_over().await?;
    let workdir = &quickstart.workdir;
    // us-east-1 comes back and stays healthy past the cooldown of the
    // first failover.
    game.recover(EAST).await?;
    game.run_for(minutes(16)).await?;
    assert_eq!(swaps(&game), 1);

    // The operator fails back to us-east-1 through apply; Terraform's
    // change batch is held in the proxy. Meanwhile us-west-2 goes down and
    // the runtime fails back to us-east-1 by itself.
    set_var(workdir, "active_region", serde_json::json!(EAST))?;
    game.runtime.bench.proxy().add_fault(
        Fault::new(FaultKind::Hold)
            .service("route53")
            .operation("ChangeResourceRecordSets")
            .access_key(ACCESS_KEY)
            .times(1),
    );
    let apply = workdir.run(&["apply", "-auto-approve", "-no-color"]);
    tokio::pin!(apply);
    let step = Duration::from_secs(1);
    loop {
        game.run_for(step).await?;
        tokio::select! {
            () = game.runtime.bench.proxy().wait_held(1) => break,
            finished = &mut apply => anyhow::bail!("apply ended before its swap: {}", finished?.text()),
            () = tokio::time::sleep(step / TERRAFORM_SPEED) => {}
        }
    }
    game.outage(WEST, Outage::data_plane()).await?;
    game.run_for(minutes(7)).await?;
    assert_eq!(
        swaps(&game),
        2,
        "the runtime failed back while Terraform's batch was held"
    );
    let runtime_ledger = game.runtime.ledger().await?;
    assert_eq!(
        (
            runtime_ledger.generation,
            runtime_ledger.reason,
            runtime_ledger.active_region.as_str()
        ),
        (3, Reason::Runtime, EAST)
    );
    game.runtime.bench.proxy().release_held();
    let lost = game.alongside(&mut apply, TERRAFORM_SPEED).await??;
    println!("{}", terraform::readable(&lost));
    let text = lost.text().replace('\n', " ");
    assert_eq!(lost.code, 1, "{text}");
    assert!(text.contains("lost the compare-and-swap"), "{text}");
    assert!(text.contains("Nothing was retried"), "{text}");

    // Consistent: one name per region, the runtime's ledger stands, and
    // Terraform's batch was refused as a whole.
    let view = game.runtime.active_view().await?;
    assert_eq!(view.status, DnsStatus::Ok);
    assert_eq!(view.active_region, Some(Region::new(EAST)?));
    assert_eq!(game.runtime.ledger().await?, runtime_ledger);
    let batches: Vec<(String, String)> = game
        .runtime
        .aws_log()
        .iter()
        .filter(|e| e.operation == "ChangeResourceRecordSets" && e.access_key == ACCESS_KEY)
        .map(|e| (e.access_key.clone(), e.outcome.clone()))
        .collect();
    assert_eq!(
        batches.last().map(|b| b.1.as_str()),
        Some("held:InvalidChangeBatch"),
        "{batches:?}"
    );
    // The next apply converges without a swap: us-east-1 is active.
    let converged = terraform::apply_alongside(&mut game, workdir).await?;
    assert_eq!(swaps(&game), 2, "{}", converged.text());
    assert_eq!(workdir.outputs().await?["active_region"]["value"], EAST);

    let bench = game.stop();
    bench.proxy().set_route53_propagation(Duration::ZERO);
    workdir.destroy().await?;
    Ok(())
}
