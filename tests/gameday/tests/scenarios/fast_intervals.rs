//! Sub-minute intervals on the virtual clock: the schedule's tick runs the
//! pinger once a minute and the pinger relays the minute's later ticks
//! through its region's SQS queue, which the harness delivers as SQS and the
//! event source mapping would ([`multiregion_gameday::gameday::relay`]).
//! The shipped handlers and the real state machine executor, as in every
//! scenario.

use crate::common::{START, minutes, outcomes, pages_after, report, swaps};
use anyhow::Result;
use multiregion_core::estimate::{detection_time_seconds, swap_budget_seconds};
use multiregion_core::statemachine::Timing;
use multiregion_gameday::GameDay;
use multiregion_gameday::lambda::Outcome;
use multiregion_gameday::runtime::{EAST, Options, WEST};
use multiregion_gameday::timeline::Kind;

fn every(seconds: u64) -> Options {
    let mut options = Options::virtual_at(START);
    options.health.interval_seconds = seconds;
    options
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_10_and_30_seconds_the_relayed_ticks_fail_over_within_the_computed_bounds() -> Result<()>
{
    for interval in [10, 30] {
        let options = every(interval);
        let health = options.health;
        let mut game = GameDay::settled(options).await?;
        let outage = game.active_region_down(EAST, minutes(6)).await?;
        let title = format!("the active region goes down, every {interval} s");
        let report = report(&game, outage, &title).await?;

        // The ticks in between came through the queue, as deployed.
        let relayed = game
            .lambda
            .invocations
            .iter()
            .filter(|i| i.caller == "sqs" && i.region == WEST)
            .count();
        assert!(relayed > 0, "{interval} s: no relayed tick ran");
        let started = game.started();
        assert_eq!(started.len(), 1, "{interval} s: {:#?}", game.starts);
        assert_eq!(started[0].region, WEST);
        // The outage begins just after a scheduled tick: the next tick is
        // a relayed one, one interval later.
        assert!(
            (started[0].at - outage) / 1000 < interval as i64,
            "{interval} s: started {} s after the outage",
            (started[0].at - outage) / 1000
        );
        let worst = (detection_time_seconds(&health)
            + swap_budget_seconds(&health, &Timing::default())) as i64;
        let answered = report
            .timeline
            .first(Kind::FirstAnswer, outage)
            .map(|e| e.at)
            .expect("a new client moved");
        let seconds = (answered - outage) / 1000;
        assert!(
            seconds <= worst,
            "{interval} s: first answer after {seconds} s, worst case {worst} s"
        );
        if interval == 10 {
            // Route 53's 60 s propagation is most of it.
            assert!(seconds <= 100, "first answer after {seconds} s");
        }
        assert_eq!(swaps(&game), 1, "{interval} s");
        assert_eq!(outcomes(&game, WEST).await?, ["swapped"], "{interval} s");
        assert_eq!(pages_after(&game, WEST, outage), 1, "{interval} s");
        assert_eq!(pages_after(&game, EAST, outage), 0, "{interval} s");
    }
    Ok(())
}

/// A relayed tick the pinger fails on (the standby sees the active down)
/// goes back to the queue and comes again after the visibility timeout; the
/// pinger drops that second delivery instead of probing again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_relayed_tick_comes_again_after_the_visibility_timeout_and_is_dropped()
-> Result<()> {
    let mut game = GameDay::settled(every(10)).await?;
    let outage = game.active_region_down(EAST, minutes(3)).await?;
    report(&game, outage, "redeliveries at 10 s").await?;
    let relayed: Vec<_> = game
        .lambda
        .invocations
        .iter()
        .filter(|i| i.caller == "sqs" && i.region == WEST && i.at > outage)
        .collect();
    let failed: Vec<i64> = relayed
        .iter()
        .filter(|i| matches!(i.outcome, Outcome::FunctionError { .. }))
        .map(|i| i.at)
        .collect();
    let dropped: Vec<i64> = relayed
        .iter()
        .filter(|i| matches!(&i.outcome, Outcome::Returned { value } if value.is_null()))
        .map(|i| i.at)
        .collect();
    assert!(!failed.is_empty(), "the standby failed relayed ticks");
    assert!(!dropped.is_empty(), "no second delivery came");
    // The queue's visibility timeout is the pinger's 30 s timeout; its
    // 60 s retention keeps a tick for one more delivery at most.
    for at in &dropped {
        assert!(
            failed.contains(&(at - 30_000)),
            "a drop at {at} has no failed delivery 30 s before it: {failed:?}"
        );
    }
    assert_eq!(game.started().len(), 1, "{:#?}", game.starts);
    assert_eq!(swaps(&game), 1);
    Ok(())
}
