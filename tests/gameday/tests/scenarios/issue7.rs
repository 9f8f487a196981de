//! The first game-day scenarios (issue 7), on the virtual clock, with the
//! shipped handler binaries and the real state machine executor. Each prints
//! its timeline and counts (`--no-capture` shows them).

use crate::common::{
    START, failed_over_and_recovered, minutes, outcomes, pages_after, report, swaps,
};
use anyhow::Result;
use multiregion_core::estimate::{
    detection_time_seconds, every_client_seconds, swap_budget_seconds,
};
use multiregion_core::statemachine::Timing;
use multiregion_core::{Reason, Region};
use multiregion_gameday::runtime::{EAST, Options, WEST};
use multiregion_gameday::timeline::Kind;
use multiregion_gameday::{GameDay, Outage};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_active_region_going_down_fails_over_within_the_computed_bounds() -> Result<()> {
    let options = Options::virtual_at(START);
    let health = options.health;
    let mut game = GameDay::settled(options).await?;
    let outage = game.active_region_down(EAST, minutes(10)).await?;
    let report = report(&game, outage, "the active region goes down").await?;

    let detection = detection_time_seconds(&health) as i64;
    let budget = swap_budget_seconds(&health, &Timing::default()) as i64;
    let first = |kind| report.timeline.first(kind, outage).map(|e| e.at);
    assert_eq!(
        pages_after(&game, WEST, outage),
        1,
        "the standby's alarm pages once"
    );
    assert_eq!(
        pages_after(&game, EAST, outage),
        0,
        "the active's pinger is fine"
    );
    let started = game.started();
    assert_eq!(started.len(), 1, "{:#?}", game.starts);
    assert_eq!(started[0].region, WEST);
    assert!(
        (started[0].at - outage) / 1000 <= detection,
        "started {} s after the outage; the computed worst case is {detection} s",
        (started[0].at - outage) / 1000
    );
    let every = every_client_seconds(&health, &Timing::default()) as i64;
    let answered = first(Kind::FirstAnswer).expect("a new client moved");
    assert!(answered >= first(Kind::InSync).expect("INSYNC"));
    assert!(
        (answered - outage) / 1000 <= detection + budget,
        "the first client on the new region after {} s; the computed worst case is {} s",
        (answered - outage) / 1000,
        detection + budget
    );
    let cached = first(Kind::CachedClientAnswer).expect("a cached client moved");
    assert!(
        (cached - outage) / 1000 <= every,
        "every client within {every} s"
    );
    let verified = first(Kind::Verified).expect("verified");
    assert!((verified - outage) / 1000 <= every);

    assert_eq!(swaps(&game), 1);
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (2, Reason::Runtime));
    assert_eq!(report.executions[0].status, "SUCCEEDED");
    assert_eq!(outcomes(&game, WEST).await?, ["swapped"]);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_20_second_blip_over_one_probe_ends_quietly_without_a_swap_or_a_page() -> Result<()> {
    let options = Options::virtual_at(START);
    let mut game = GameDay::settled(options).await?;
    // Down for 20 s, ending just after a tick of the standby's pinger: that
    // probe fails, and the execution it starts sees the active answer.
    let tick = game.next_tick(WEST).expect("a tick");
    let outage = tick - 19_000;
    game.run_until(outage).await?;
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_until(tick + 1_000).await?;
    game.recover(EAST).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "a 20 s blip").await?;

    assert!(
        report.timeline.first(Kind::ProbeFailed, outage).is_some(),
        "the blip was seen"
    );
    assert_eq!(report.executions.len(), 1, "one start");
    let execution = &report.executions[0];
    assert_eq!(execution.status, "SUCCEEDED");
    assert!(
        !execution
            .events_at(
                "StateEntered",
                multiregion_core::statemachine::states::ACTIVE_ANSWERED
            )
            .is_empty(),
        "ended as active_answered"
    );
    assert_eq!(swaps(&game), 0);
    assert_eq!(pages_after(&game, WEST, outage), 0, "no page");
    assert!(outcomes(&game, WEST).await?.is_empty(), "no notification");
    assert_eq!(game.runtime.ledger().await?.generation, 1);
    println!("REPORT blip transitions={}", execution.transitions());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_within_the_cooldown_fails_over_exactly_once() -> Result<()> {
    let (mut game, outage, swapped, cooldown) = failed_over_and_recovered().await?;
    // The region that took over goes down inside the cooldown: east's
    // pinger starts a failover, which holds on the cooldown.
    game.run_for(minutes(2)).await?;
    game.outage(WEST, Outage::data_plane()).await?;
    game.run_until(swapped + cooldown - 1000).await?;
    let report = report(&game, outage, "flapping within the cooldown").await?;

    assert_eq!(swaps(&game), 1, "exactly one failover");
    let held: Vec<_> = report
        .executions
        .iter()
        .filter(|e| e.region == EAST)
        .collect();
    assert!(
        held.iter().all(|e| e.status == "RUNNING"),
        "east's failover holds on the cooldown: {held:#?}"
    );
    if let Some(east) = held.first() {
        assert!(
            east.events_at(
                "StateFailed",
                multiregion_core::statemachine::states::CHECK_TARGET
            )
            .iter()
            .any(|e| e["error"] == "Cooldown"),
            "{east:#?}"
        );
    }
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_in_the_first_minutes_of_a_new_deployment_fails_over() -> Result<()> {
    // Decided: the ledger written at create is not a swap, and the cooldown
    // does not count it. A deployment made two minutes before the clock
    // starts, settled for five, is still inside a 15-minute cooldown.
    let options = Options {
        created_ago: std::time::Duration::from_secs(120),
        ..Options::virtual_at(START)
    };
    let cooldown = options.failover.cooldown_seconds as i64 * 1000;
    let mut game = GameDay::settled(options).await?;
    let created = START - 120_000;
    let outage = game.active_region_down(EAST, minutes(5)).await?;
    report(&game, outage, "an outage right after create").await?;

    assert!(
        outage - created < cooldown,
        "inside what a cooldown would hold"
    );
    assert_eq!(swaps(&game), 1, "answered, not held");
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (2, Reason::Runtime));
    assert_eq!(outcomes(&game, WEST).await?, ["swapped"]);
    Ok(())
}
