//! The rest of the failover scenarios (issue 8), on the virtual clock, with
//! the shipped handler binaries and the real state machine executor. (The
//! planned failback through `terraform apply` racing a runtime failover is
//! not here: it needs the provider.)

use crate::common::{
    START, failed_over_and_recovered, minutes, outcomes, pages_after, report, swaps,
};
use anyhow::Result;
use multiregion_bench::{Fault, FaultKind, FrontState};
use multiregion_core::estimate::every_client_seconds;
use multiregion_core::statemachine::{Timing, states};
use multiregion_core::{Reason, Region};
use multiregion_gameday::runtime::{EAST, Options, WEST, access_key};
use multiregion_gameday::timeline::Kind;
use multiregion_gameday::{GameDay, Outage};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tick_delivered_twice_still_swaps_exactly_once() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    // EventBridge delivers at least once: every tick arrives twice.
    game.duplicate_ticks = true;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "every tick delivered twice").await?;

    let started = game.started();
    assert_eq!(started.len(), 1, "one execution: {:#?}", game.starts);
    let same_tick: Vec<_> = game
        .starts
        .iter()
        .filter(|s| s.at == started[0].at)
        .collect();
    assert_eq!(same_tick.len(), 2, "{same_tick:#?}");
    assert!(
        same_tick
            .iter()
            .all(|s| s.execution == started[0].execution),
        "the duplicate found the same execution: {same_tick:#?}"
    );
    assert_eq!(swaps(&game), 1, "exactly one swap");
    assert_eq!(report.executions.len(), 1);
    assert_eq!(game.runtime.ledger().await?.generation, 2);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_hours_with_the_standby_down_too_are_one_execution_and_one_notice() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.outage(WEST, Outage::data_plane()).await?;
    game.run_for(minutes(8 * 60)).await?;
    game.recover(EAST).await?;
    game.recover(WEST).await?;
    game.run_for(minutes(10)).await?;
    let report = report(&game, outage, "eight hours with the standby down too").await?;

    assert_eq!(swaps(&game), 0, "no swap to a standby that is down");
    assert_eq!(
        report.executions.len(),
        1,
        "one execution, not one per tick"
    );
    let execution = &report.executions[0];
    assert_eq!(
        execution.status, "SUCCEEDED",
        "it ended once the active answered"
    );
    assert_eq!(
        outcomes(&game, WEST).await?,
        ["held"],
        "one notice per episode"
    );
    let notes = game.runtime.notifications(WEST).await?;
    let summary = notes
        .iter()
        .find(|n| n["outcome"] == "held")
        .and_then(|n| n["summary"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        summary.contains("StandbyUnhealthy") && summary.contains("standby-api.example.com"),
        "{summary}"
    );
    assert_eq!(
        pages_after(&game, WEST, outage),
        1,
        "one page, the alarm stays in ALARM"
    );
    let holds = execution.events_at("StateEntered", states::HOLD).len();
    println!(
        "REPORT eight_hours transitions={} holds={holds} lambda_invokes={}",
        execution.transitions(),
        game.lambda.invocations.len()
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
    // The confirmation waited 10 s, the retries 1 s and 2 s, on the virtual
    // clock.
    let started = report
        .timeline
        .first(Kind::ExecutionStarted, outage)
        .expect("start")
        .at;
    let swapped = report.timeline.first(Kind::Swap, outage).expect("swap").at;
    let confirm = i64::from(Timing::default().confirm_wait_seconds) * 1000;
    assert_eq!(swapped - started, confirm + 3_000);
    let verified = report
        .timeline
        .first(Kind::Verified, outage)
        .expect("verified")
        .at;
    // Every client has moved within the computed bound, plus the 3 s of
    // retries.
    let bound = every_client_seconds(&health, &Timing::default()) + 3;
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
async fn the_standbys_pinger_stopping_pages_within_a_few_minutes() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    // West's Lambda refuses every invocation: its pinger cannot run, so the
    // alarm's metric has no datapoints, and missing data is breaching.
    game.outage(WEST, Outage::lambda()).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "the standby's pinger stops").await?;

    let page = game
        .pages
        .iter()
        .find(|p| p.region == WEST && p.at > outage)
        .expect("west's alarm paged");
    assert!(
        (page.at - outage) / 1000 <= 5 * 60,
        "paged {} s after the pinger stopped",
        (page.at - outage) / 1000
    );
    assert_eq!(pages_after(&game, WEST, outage), 1);
    assert_eq!(pages_after(&game, EAST, outage), 0);
    assert_eq!(swaps(&game), 0);
    assert!(report.executions.is_empty());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_between_the_swap_and_the_notification_leaves_the_swap_and_a_later_run_reports_it()
-> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    let kicked = game.run_until_started(minutes(6)).await?;
    // Swapped about 12 s after the start (two confirmations 10 s apart);
    // the first INSYNC poll is 10 s later. West's
    // Lambda goes down in between, for longer than the state machine's
    // retries last: no step after the swap runs.
    game.run_until(kicked + 17_000).await?;
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
        outcomes(&game, WEST).await?.is_empty(),
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
    let notes: Vec<_> = game
        .runtime
        .notifications(WEST)
        .await?
        .into_iter()
        .filter(|n| n.get("outcome").is_some())
        .collect();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["outcome"], "already_active");
    assert_eq!(notes[0]["generation"], 2);
    assert_eq!(report.executions.len(), 2);
    assert_eq!(swaps(&game), 1, "one swap in all");
    Ok(())
}
