//! What the scenarios share.
#![allow(dead_code)]

use std::time::Duration;

use anyhow::Result;
use multiregion_bench::clock::EpochMs;
use multiregion_gameday::runtime::{EAST, Options};
use multiregion_gameday::{GameDay, Outage, Report};

/// 2026-11-24T03:00:00Z.
pub const START: EpochMs = 1_795_489_200_000;

/// `n` minutes.
pub fn minutes(n: u64) -> Duration {
    Duration::from_secs(60 * n)
}

/// The game day's report, printed with its timeline from `origin`.
pub async fn report(game: &GameDay, origin: EpochMs, title: &str) -> Result<Report> {
    let mut report = game.report().await?;
    report.timeline.origin = origin;
    println!(
        "\n== {title} (virtual {} s) ==\n{}",
        (game.now() - origin) / 1000,
        report.render()
    );
    Ok(report)
}

/// Accepted compare-and-swaps by the runtime (the proxy's log).
pub fn swaps(game: &GameDay) -> usize {
    game.runtime
        .aws_log()
        .iter()
        .filter(|e| e.operation == "ChangeResourceRecordSets" && e.status == 200)
        .filter(|e| e.access_key != "setup")
        .count()
}

/// The outcomes the failover published in `region` (its topic also
/// carries the paging alarm's messages, which have no `outcome`).
pub async fn outcomes(game: &GameDay, region: &str) -> Result<Vec<String>> {
    Ok(game
        .runtime
        .notifications(region)
        .await?
        .iter()
        .filter_map(|n| n["outcome"].as_str().map(str::to_owned))
        .collect())
}

/// The pages of `region` after `after`.
pub fn pages_after(game: &GameDay, region: &str, after: EpochMs) -> usize {
    game.pages
        .iter()
        .filter(|p| p.region == region && p.at > after)
        .count()
}

/// A settled game day in which east's data plane went down, the runtime
/// failed over to west, and east came back: (the game, the outage's start,
/// the start that swapped, the cooldown in ms).
pub async fn failed_over_and_recovered() -> Result<(GameDay, EpochMs, EpochMs, EpochMs)> {
    let options = Options::virtual_at(START);
    let cooldown = options.failover.cooldown_seconds as EpochMs * 1000;
    let mut game = GameDay::settled(options).await?;
    let outage = game.now();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(7)).await?;
    assert_eq!(swaps(&game), 1, "the first outage fails over");
    let swapped = game.started()[0].at;
    game.recover(EAST).await?;
    Ok((game, outage, swapped, cooldown))
}
