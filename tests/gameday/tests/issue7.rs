//! The first game-day scenarios (issue 7), on the virtual clock, with the
//! shipped handler binaries and the real state machine executor. Each prints
//! its timeline and counts (`--no-capture` shows them).

mod common;

use anyhow::Result;
use common::{START, failed_over_and_recovered, kicks_by, minutes, report, swaps};
use multiregion_core::estimate::{detection_time_seconds, swap_budget_seconds};
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
    let alarmed = report.timeline.all(Kind::Alarm);
    assert!(
        [EAST, WEST]
            .iter()
            .all(|r| alarmed.iter().any(|e| e.at > outage && e.region == *r)),
        "both regions' alarms fire"
    );
    let started = game.started();
    assert_eq!(started.len(), 1, "{:#?}", game.kicks);
    assert_eq!(started[0].region, WEST);
    assert!(
        (started[0].at - outage) / 1000 <= detection,
        "kicked {} s after the outage; the computed worst case is {detection} s",
        (started[0].at - outage) / 1000
    );
    assert_eq!(kicks_by(&game, EAST), ["own_region_active"]);
    let verified = first(Kind::Verified).expect("verified");
    assert!((verified - outage) / 1000 <= detection + budget);
    let answered = first(Kind::FirstAnswer).expect("the client moved");
    assert!(answered >= first(Kind::InSync).expect("INSYNC"));
    assert!((answered - outage) / 1000 <= detection + budget);

    assert_eq!(swaps(&game), 1);
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (2, Reason::Runtime));
    assert_eq!(report.executions[0].status, "SUCCEEDED");
    let notes = game.runtime.notifications(WEST).await?;
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["outcome"], "swapped");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_shorter_than_the_alarm_window_does_not_fail_over() -> Result<()> {
    let options = Options::virtual_at(START);
    let health = options.health;
    let mut game = GameDay::settled(options).await?;
    // Down from just after a tick for less than `datapoints_to_alarm`
    // periods: only `datapoints_to_alarm - 1` ticks fail.
    let outage = game.next_tick(EAST).expect("a tick") + 500;
    let length = (u64::from(health.datapoints_to_alarm) - 1) * health.interval_seconds + 30;
    game.run_until(outage).await?;
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(std::time::Duration::from_secs(length)).await?;
    game.recover(EAST).await?;
    game.run_for(minutes(8)).await?;
    let report = report(&game, outage, "an outage shorter than the alarm window").await?;

    let failed = report.timeline.first(Kind::ProbeFailed, outage);
    assert!(failed.is_some(), "the outage was seen by the pingers");
    assert!(
        report.timeline.first(Kind::Alarm, outage).is_none(),
        "no alarm: {}",
        report.timeline.render()
    );
    assert!(game.kicks.iter().all(|k| k.at < outage), "no kick");
    assert_eq!(swaps(&game), 0);
    assert!(report.executions.is_empty());
    assert_eq!(game.runtime.ledger().await?.generation, 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flapping_within_the_cooldown_fails_over_exactly_once() -> Result<()> {
    let (mut game, outage, swapped, cooldown) = failed_over_and_recovered().await?;
    // The region that took over goes down inside the cooldown: the alarm
    // fires, the kicker refuses.
    game.run_for(minutes(2)).await?;
    game.outage(WEST, Outage::data_plane()).await?;
    game.run_until(swapped + cooldown - 1000).await?;
    let report = report(&game, outage, "flapping within the cooldown").await?;

    assert_eq!(swaps(&game), 1, "exactly one failover");
    assert_eq!(report.executions.len(), 1);
    let second = report
        .timeline
        .all(Kind::Alarm)
        .into_iter()
        .filter(|e| e.region == EAST && e.at > swapped)
        .count();
    assert!(second >= 1, "east's alarm fired for the second outage");
    assert!(
        kicks_by(&game, EAST).contains(&"cooldown".to_owned()),
        "{:#?}",
        game.kicks
    );
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    Ok(())
}
