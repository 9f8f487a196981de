//! Game-day scenarios of issue 12 on the virtual clock, with the shipped
//! handler binaries and the real state machine executor:
//!
//! - a partition between the regions while clients reach both, which the
//!   circuit breaker stops after `max_automatic_swaps_per_day` swaps;
//! - a deployment destroyed and created again under the same name, whose
//!   next failover is not mistaken for one of its predecessor's executions
//!   (Step Functions keeps their names reserved).
//!
//! Each prints its timeline and figures (`--nocapture` shows them).

use crate::common::{START, minutes, outcomes, pages_after, report, swaps};
use anyhow::{Context, Result};
use multiregion_core::automation::{CIRCUIT_BREAKER, TAG};
use multiregion_core::deployment::DEFAULT_MAX_AUTOMATIC_SWAPS;
use multiregion_core::statemachine::states;
use multiregion_core::{Reason, Region};
use multiregion_gameday::runtime::{EAST, Options, WEST};
use multiregion_gameday::timeline::Kind;
use multiregion_gameday::{GameDay, Outage};

/// The value of the automation tag on `region`'s state machine.
async fn automation_tag(game: &GameDay, region: &str) -> Result<Option<String>> {
    let tags = game.runtime.sfn[region]
        .list_tags_for_resource()
        .resource_arn(game.runtime.state_machine_arn(region)?)
        .send()
        .await?;
    Ok(tags
        .tags()
        .iter()
        .find(|t| t.key() == Some(TAG))
        .and_then(|t| t.value().map(str::to_owned)))
}

/// The swaps the executions made, in order: (when, virtual ms; the region
/// that made it).
async fn swap_times(game: &GameDay) -> Result<Vec<(i64, String)>> {
    Ok(game
        .report()
        .await?
        .timeline
        .all(Kind::Swap)
        .iter()
        .map(|e| (e.at, e.region.clone()))
        .collect())
}

/// A partition from `at` (virtual ms, after the settled five minutes):
/// the pingers' and the swappers' probes from each region to the other's
/// endpoints fail, clients outside AWS reach both. Runs until the circuit
/// breaker has tripped and 90 minutes (six cooldowns) more, and asserts
/// everything but the breaker's own notice; returns the game, when the
/// partition began, and the execution that tripped the breaker.
///
/// Traced from the handlers (defaults: ticks every 60 s at second 0, the
/// active pinger's check every 900 s, the cooldown 900 s from the ledger's
/// time of the last swap, which is the start of the execution that made it,
/// the limit 2):
///
/// 1. west (standby) sees the public name fail at its next tick and swaps
///    to itself: swap 1;
/// 2. east, at its next 15-minute check, finds the public name (now west)
///    down, learns from the records that it is the standby, and starts its
///    failover, which swaps back once the cooldown allows: swap 2;
/// 3. west, at its next check, finds the public name (east again) down and
///    starts a third failover; past the cooldown, the circuit breaker counts
///    2 automatic swaps in 24 h, tags both state machines `circuit-breaker`
///    and holds with `Paused`. The execution keeps holding (it re-checks
///    with capped backoff), and the pingers, finding it running, start
///    nothing more.
///
/// Each region's paging alarm goes to ALARM once (its pinger fails at every
/// tick from its first failed probe on: the public name, then the standby
/// name, cannot be reached) and stays there.
async fn partitioned_until_the_breaker_trips(
    at: i64,
) -> Result<(GameDay, i64, multiregion_gameday::Execution)> {
    let options = Options::virtual_at(START);
    let limit = DEFAULT_MAX_AUTOMATIC_SWAPS as usize;
    assert_eq!(limit, 2, "the trace is for the default limit");
    let mut game = GameDay::settled(options).await?;
    game.run_until(at).await?;
    let partition = game.now();
    game.partition(EAST, WEST);
    assert_eq!(
        game.new_client_answer().await?.as_deref(),
        Some(EAST),
        "clients reach the active region"
    );
    // The breaker trips within (limit + 1) cooldowns and three of the
    // active pinger's checks.
    game.run_for(minutes(55)).await?;
    assert_eq!(swaps(&game), limit);
    let tripped = swap_times(&game).await?;
    assert_eq!(
        tripped.iter().map(|(_, r)| r.as_str()).collect::<Vec<_>>(),
        [WEST, EAST],
        "exactly {limit} automatic swaps, west then back to east"
    );
    for region in [EAST, WEST] {
        assert_eq!(
            automation_tag(&game, region).await?.as_deref(),
            Some(CIRCUIT_BREAKER),
            "the circuit breaker paused {region}"
        );
    }
    let paused_at = game.now();
    game.run_for(minutes(6 * 15)).await?;
    let report = report(&game, partition, "a partition between the regions").await?;

    assert_eq!(swaps(&game), limit, "no swap after the breaker tripped");
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(EAST)?));
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (3, Reason::Runtime));
    assert_eq!(ledger.automatic_swaps_before(game.now() / 1000), limit);
    for region in [EAST, WEST] {
        assert_eq!(
            automation_tag(&game, region).await?.as_deref(),
            Some(CIRCUIT_BREAKER),
            "{region} stays paused"
        );
    }
    assert_eq!(
        game.new_client_answer().await?.as_deref(),
        Some(EAST),
        "clients still reach the active region"
    );

    let started: Vec<&str> = game.started().iter().map(|s| s.region.as_str()).collect();
    assert_eq!(started, [WEST, EAST, WEST], "{:#?}", game.starts);
    let mut statuses: Vec<(&str, &str)> = report
        .executions
        .iter()
        .map(|e| (e.region.as_str(), e.status.as_str()))
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [(EAST, "SUCCEEDED"), (WEST, "RUNNING"), (WEST, "SUCCEEDED")]
    );
    let breaker = report
        .executions
        .iter()
        .find(|e| e.status == "RUNNING")
        .context("the execution that tripped the breaker")?
        .clone();
    assert!(breaker.events_at("StateEntered", states::SWAP).is_empty());
    let paused: Vec<i64> = breaker
        .events_at("StateFailed", states::CHECK_TARGET)
        .iter()
        .filter(|e| e["error"] == "Paused")
        .filter_map(|e| e["at"].as_i64())
        .collect();
    let trip = *paused.first().context("the breaker tripped")?;
    assert!(trip < paused_at);
    assert_eq!(pages_after(&game, WEST, partition), 1);
    assert_eq!(pages_after(&game, EAST, partition), 1);
    assert_eq!(
        game.pages.iter().filter(|p| p.at > trip).count(),
        0,
        "the alarms were in ALARM already: no page after the trip"
    );
    // Two swaps, each announced; east's failover may have waited first.
    assert_eq!(
        outcomes(&game, EAST)
            .await?
            .iter()
            .filter(|o| *o == "swapped")
            .count(),
        1
    );
    assert_eq!(outcomes(&game, WEST).await?[0], "swapped");

    println!(
        "REPORT partition swaps={} executions={} transitions={} breaker_transitions={} \
         breaker_holds={} first_swap_s={} second_swap_s={} tripped_s={} window_s={} pages={} \
         ledger_epoch_s={} pinger_invokes={} notices_east={:?} notices_west={:?}",
        swaps(&game),
        report.executions.len(),
        report.counts.state_transitions,
        breaker.transitions(),
        breaker.events_at("StateEntered", states::HOLD).len(),
        (tripped[0].0 - partition) / 1000,
        (tripped[1].0 - partition) / 1000,
        (trip - partition) / 1000,
        (game.now() - partition) / 1000,
        game.pages.len(),
        ledger.epoch - partition / 1000,
        game.lambda.invocations.len(),
        outcomes(&game, EAST).await?,
        outcomes(&game, WEST).await?,
    );
    Ok((game, partition, breaker))
}

/// The circuit breaker's notice: of the tripping execution's episode, the
/// first notice (its first hold) and, when that hold had another reason,
/// one more when the breaker paused automation; exactly one of them says
/// the breaker paused it.
async fn the_breaker_paged(game: &GameDay) -> Result<()> {
    let notes = game.runtime.notifications(WEST).await?;
    let held: Vec<&str> = notes
        .iter()
        .filter(|n| n["outcome"] == "held")
        .filter_map(|n| n["summary"].as_str())
        .collect();
    assert!(
        (1..=2).contains(&held.len()),
        "a notice per episode, and one for the pause: {held:?}"
    );
    let breaker: Vec<&&str> = held
        .iter()
        .filter(|h| h.contains("Paused") && h.contains("circuit breaker"))
        .collect();
    assert_eq!(
        breaker.len(),
        1,
        "the circuit breaker paused automation without telling anyone; the notices say: {held:?}"
    );
    Ok(())
}

/// The partition begins five minutes in: east's failover holds on the
/// cooldown before it swaps back, and west's third failover starts past
/// the cooldown, so its first check trips the breaker, and its one notice
/// of the episode is the breaker's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_between_the_regions_stops_after_the_circuit_breakers_swaps() -> Result<()> {
    let (game, _, breaker) = partitioned_until_the_breaker_trips(START + 300_000).await?;
    assert_eq!(outcomes(&game, EAST).await?, ["held", "swapped"]);
    assert_eq!(outcomes(&game, WEST).await?, ["swapped", "held"]);
    let refusals: Vec<&str> = breaker
        .events_at("StateFailed", states::CHECK_TARGET)
        .iter()
        .filter_map(|e| e["error"].as_str())
        .collect();
    assert!(refusals.iter().all(|e| *e == "Paused"), "{refusals:?}");
    the_breaker_paged(&game).await
}

/// The partition begins just before west's tick at 16:00, which is also
/// east's 15-minute check: west swaps at once, east's check 15 minutes
/// later is exactly one cooldown after, so east swaps back without waiting,
/// and west's next check, three minutes after that, is inside the cooldown.
/// West's third failover then holds on the cooldown first (the episode's
/// first notice), and trips the breaker at a later re-check, which is told
/// too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partition_whose_breaker_trips_after_a_cooldown_hold_still_pages() -> Result<()> {
    let (game, _, breaker) = partitioned_until_the_breaker_trips(START + 930_000).await?;
    assert_eq!(outcomes(&game, EAST).await?, ["swapped"]);
    let first = breaker.events_at("StateFailed", states::CHECK_TARGET)[0]["error"].clone();
    assert_eq!(
        first, "Cooldown",
        "the third failover held on the cooldown first"
    );
    the_breaker_paged(&game).await
}

/// A failover, then the deployment destroyed and created again under the
/// same name (same domain, same regions): its ledger starts at generation 1
/// again, and Step Functions still holds the first execution's name. A new
/// outage must make a new execution that swaps, not find the old name taken
/// and take it for its own start ("already started").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_created_again_under_the_same_name_fails_over_again() -> Result<()> {
    let mut game = GameDay::settled(Options::virtual_at(START)).await?;
    let first_outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(7)).await?;
    game.recover(EAST).await?;
    game.run_for(minutes(2)).await?;
    assert_eq!(swaps(&game), 1, "the first deployment failed over");
    let old = game.started()[0].execution.clone();
    let old_incarnation = game.runtime.incarnation(WEST).await?;
    assert_eq!(game.runtime.ledger().await?.generation, 2);

    game.runtime.destroy_and_recreate().await?;
    let recreated = game.now();
    let new_incarnation = game.runtime.incarnation(WEST).await?;
    assert!(
        new_incarnation > old_incarnation,
        "the state machine created again has a new creationDate: {old_incarnation} then \
         {new_incarnation}"
    );
    let ledger = game.runtime.ledger().await?;
    assert_eq!((ledger.generation, ledger.reason), (1, Reason::Create));
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(EAST)?));

    // The new deployment settles, then east goes down again.
    game.run_for(minutes(5)).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(7)).await?;
    let report = report(&game, first_outage, "a deployment created again").await?;

    let started = game.started();
    assert_eq!(started.len(), 2, "{:#?}", game.starts);
    let new = started[1].execution.clone();
    assert_eq!(started[1].region, WEST);
    assert!(started[1].at > outage);
    assert_ne!(new, old);
    let name = |arn: &str| arn.rsplit(':').next().unwrap_or_default().to_owned();
    assert!(
        name(&old).starts_with(&format!("i{old_incarnation}-g1-"))
            && name(&new).starts_with(&format!("i{new_incarnation}-g1-")),
        "both first failovers at generation 1, told apart: {old} {new}"
    );
    assert!(
        game.starts
            .iter()
            .filter(|s| s.at > recreated)
            .all(|s| s.execution == new),
        "no tick of the new deployment named the old execution: {:#?}",
        game.starts
    );
    let execution = report
        .executions
        .iter()
        .find(|e| e.arn == new)
        .context("the new execution ran")?;
    assert_eq!(execution.status, "SUCCEEDED");
    assert_eq!(
        execution.events_at("StateExited", states::SWAP)[0]["output"]["swap"]["outcome"],
        "swapped"
    );
    assert_eq!(swaps(&game), 2, "one swap per deployment");
    let ledger = game.runtime.ledger().await?;
    assert_eq!(
        (
            ledger.generation,
            ledger.reason,
            ledger.execution.as_deref()
        ),
        (2, Reason::Runtime, Some(new.as_str()))
    );
    let view = game.runtime.active_view().await?;
    assert_eq!(view.active_region, Some(Region::new(WEST)?));
    assert_eq!(outcomes(&game, WEST).await?, ["swapped", "swapped"]);
    let answered = report
        .timeline
        .first(Kind::FirstAnswer, outage)
        .context("a new client moved")?;
    assert_eq!(answered.region, WEST);
    // The premise: Step Functions (the bridge) still holds the first
    // deployment's name for the machine created again, so a naming scheme
    // that repeated it would be refused, and the pinger would take the
    // refusal for "this tick was started already".
    let reused = game
        .runtime
        .start_execution(WEST, &name(&old), &serde_json::json!({"reason": "runtime"}))
        .await;
    let refusal = format!("{:?}", reused.expect_err("the old name is reserved"));
    assert!(refusal.contains("ExecutionAlreadyExists"), "{refusal}");
    println!(
        "REPORT recreated old={} new={} incarnations={old_incarnation},{new_incarnation} \
         started_after_s={} first_answer_after_s={} transitions={}",
        name(&old),
        name(&new),
        (started[1].at - outage) / 1000,
        (answered.at - outage) / 1000,
        execution.transitions(),
    );
    Ok(())
}
