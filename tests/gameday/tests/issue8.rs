//! The rest of the failover scenarios (issue 8), on the virtual clock, with
//! the shipped handler binaries and the real state machine executor. (The
//! planned failback through `terraform apply` racing a runtime failover is
//! not here: it needs the provider.)

mod common;

use anyhow::Result;
use common::{START, failed_over_and_recovered, kicks_by, minutes, report, swaps};
use multiregion_bench::{Fault, FaultKind, FrontState};
use multiregion_core::estimate::{detection_time_seconds, swap_budget_seconds};
use multiregion_core::statemachine::{Timing, states};
use multiregion_core::{Reason, Region};
use multiregion_gameday::runtime::{EAST, Options, WEST, access_key};
use multiregion_gameday::timeline::Kind;
use multiregion_gameday::{GameDay, Outage};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_alarms_firing_at_once_swap_exactly_once() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    // SNS delivers at least once: every notification arrives twice.
    game.duplicate_deliveries = true;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "both regions' alarms fire at once").await?;

    let alarms = report.timeline.all(Kind::Alarm);
    let east = alarms.iter().find(|e| e.region == EAST && e.at > outage);
    let west = alarms.iter().find(|e| e.region == WEST && e.at > outage);
    assert_eq!(
        east.map(|e| e.at),
        west.map(|e| e.at),
        "the same evaluation puts both alarms in ALARM"
    );
    assert_eq!(
        kicks_by(&game, WEST),
        ["started", "already_kicked"],
        "the duplicate finds the running execution"
    );
    assert_eq!(
        kicks_by(&game, EAST),
        ["own_region_active", "own_region_active"]
    );
    assert_eq!(swaps(&game), 1, "exactly one swap");
    assert_eq!(report.executions.len(), 1);
    assert_eq!(game.runtime.ledger().await?.generation, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_that_is_down_too_is_not_swapped_to_and_the_notification_says_why() -> Result<()>
{
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.outage(WEST, Outage::data_plane()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "the standby is also down").await?;

    assert!(
        kicks_by(&game, WEST).contains(&"standby_unhealthy".to_owned()),
        "{:#?}",
        game.kicks
    );
    assert_eq!(swaps(&game), 0, "no swap");
    assert!(report.executions.is_empty());
    let notes = game.runtime.notifications(WEST).await?;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["outcome"], "refused");
    let summary = notes[0]["summary"].as_str().unwrap_or_default();
    assert!(
        summary.contains("StandbyUnhealthy") && summary.contains("standby-api.example.com"),
        "{summary}"
    );
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(EAST)?));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route53_throttling_during_the_swap_is_retried_then_succeeds() -> Result<()> {
    let options = Options::virtual_at(START);
    let health = options.health;
    let mut game = GameDay::settled(options).await?;
    game.runtime.bench.proxy().add_fault(
        Fault::new(FaultKind::Throttle)
            .service("route53")
            .operation("ChangeResourceRecordSets")
            .access_key(&access_key(WEST))
            .times(2),
    );
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "Route 53 throttles during the swap").await?;

    let execution = &report.executions[0];
    assert_eq!(execution.status, "SUCCEEDED");
    let failed = execution.events_at("StateFailed", states::SWAP);
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|e| e["error"] == "Retryable.Throttled"));
    assert_eq!(execution.events_at("StateRetried", states::SWAP).len(), 2);
    let batches: Vec<(u16, String)> = game
        .runtime
        .aws_log()
        .into_iter()
        .filter(|e| e.operation == "ChangeResourceRecordSets" && e.access_key == access_key(WEST))
        .map(|e| (e.status, e.outcome))
        .collect();
    assert_eq!(
        batches,
        [
            (400, "fault:Throttling".to_owned()),
            (400, "fault:Throttling".to_owned()),
            (200, "ok".to_owned())
        ]
    );
    // The retries waited 1 s and 2 s on the virtual clock.
    let started = report
        .timeline
        .first(Kind::ExecutionStarted, outage)
        .expect("start")
        .at;
    let swapped = report.timeline.first(Kind::Swap, outage).expect("swap").at;
    assert_eq!(swapped - started, 3_000);
    let verified = report
        .timeline
        .first(Kind::Verified, outage)
        .expect("verified")
        .at;
    let bound =
        detection_time_seconds(&health) + swap_budget_seconds(&health, &Timing::default()) + 3;
    assert!((verified - outage) / 1000 <= bound as i64);
    assert_eq!(game.runtime.ledger().await?.generation, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_region_that_took_over_going_down_after_the_cooldown_fails_back() -> Result<()> {
    let (mut game, outage, swapped, cooldown) = failed_over_and_recovered().await?;
    game.run_until(swapped + cooldown + 60_000).await?;
    // This time the whole region goes: its data plane and every regional
    // AWS endpoint (its pinger cannot run, its CloudWatch evaluates nothing).
    game.outage(WEST, Outage::region()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(
        &game,
        outage,
        "the region that took over goes down after the cooldown",
    )
    .await?;

    assert_eq!(swaps(&game), 2, "a failover and a failback");
    let late_alarms: Vec<&str> = report
        .timeline
        .all(Kind::Alarm)
        .iter()
        .filter(|e| e.at > swapped + cooldown)
        .map(|e| e.region.as_str())
        .collect();
    assert_eq!(late_alarms, [EAST], "west's CloudWatch is down too");
    let started: Vec<&str> = game.started().iter().map(|k| k.region.as_str()).collect();
    assert_eq!(started, [WEST, EAST]);
    assert!(report.executions.iter().all(|e| e.status == "SUCCEEDED"));
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(EAST)?));
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (3, Reason::Runtime));
    let answers: Vec<&str> = report
        .timeline
        .all(Kind::FirstAnswer)
        .iter()
        .map(|e| e.region.as_str())
        .collect();
    assert_eq!(answers, [WEST, EAST], "clients followed both swaps");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hours_old_alarm_redelivered_to_a_recovered_region_is_ignored() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    // East's data plane and Lambda go down; its CloudWatch and SNS work: its
    // alarm fires (its pinger cannot run: missing data is breaching) and SNS
    // cannot deliver to its kicker, so it retries every 20 s for hours.
    game.outage(EAST, Outage::lambda()).await?;
    game.run_for(minutes(120)).await?;
    assert_eq!(swaps(&game), 1, "west took over");
    game.recover(EAST).await?;
    game.run_for(minutes(6)).await?;
    let report = report(
        &game,
        outage,
        "SNS redelivers an hours-old alarm to a recovered region",
    )
    .await?;

    let late: Vec<_> = game
        .kicks
        .iter()
        .filter(|k| k.region == EAST && k.at > outage)
        .collect();
    assert_eq!(late.len(), 1, "{late:#?}");
    let delivered = report
        .timeline
        .all(Kind::Kick)
        .into_iter()
        .find(|e| e.region == EAST && e.at > outage)
        .expect("the old notification reached east's kicker");
    let alarm = report
        .timeline
        .all(Kind::Alarm)
        .into_iter()
        .find(|e| e.region == EAST && e.at > outage)
        .expect("east's alarm fired");
    assert!(
        delivered.at - alarm.at >= 110 * 60_000,
        "the notification was hours old"
    );
    assert_ne!(late[0].decision, "started", "ignored: {}", late[0].detail);
    assert_eq!(swaps(&game), 1, "no second swap");
    assert_eq!(report.executions.len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_swap_and_the_notification_leaves_the_swap_and_a_later_run_reports_it()
-> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    let kicked = game.run_until_kicked(minutes(6)).await?;
    // Swapped at the kick; the first INSYNC poll is 10 s later. West's
    // Lambda goes down in between, for longer than the state machine's
    // retries last: no step after the swap runs.
    game.run_until(kicked + 5_000).await?;
    let crash = Outage {
        front: FrontState::Up,
        lambda: true,
        aws: false,
    };
    game.outage(WEST, crash).await?;
    game.run_for(minutes(10)).await?;
    game.recover(WEST).await?;
    game.run_for(minutes(3)).await?;
    let crashed = game.executions().await?;
    assert_eq!(crashed.len(), 1);
    assert_eq!(crashed[0].status, "FAILED");
    assert_eq!(crashed[0].error.as_deref(), Some("FailoverNotDone"));
    assert!(
        !crashed[0]
            .events_at("StateCaught", states::NOTIFY)
            .is_empty(),
        "the notification could not be published"
    );
    assert!(
        game.runtime.notifications(WEST).await?.is_empty(),
        "nothing was published"
    );
    // The swap stands, and the ledger names the execution that made it.
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    let ledger = game.runtime.ledger().await?;
    assert_eq!(ledger.generation, 2);
    assert_eq!(ledger.execution.as_deref(), Some(crashed[0].arn.as_str()));

    // A later run (the manual runbook) finds the swap done and reports it.
    game.runtime
        .start_execution(WEST, "manual-after-crash", &json!({"reason": "manual"}))
        .await?;
    game.run_for(minutes(1)).await?;
    let report = report(
        &game,
        outage,
        "a crash between the swap and the notification",
    )
    .await?;
    let notes = game.runtime.notifications(WEST).await?;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["outcome"], "already_active");
    assert_eq!(notes[0]["generation"], 2);
    assert_eq!(report.executions.len(), 2);
    assert_eq!(swaps(&game), 1, "one swap in all");
    Ok(())
}
