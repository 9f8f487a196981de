//! The timeline report: runs the default-settings failover on the virtual
//! clock (the active region's data plane goes down just after a ping) and
//! prints the measured timeline, the counts, and the computed detection
//! time, swap budget and monthly cost, as the README quotes them.
//! `scripts/timeline` runs it; `--interval <seconds>` changes the interval
//! (10, 20 or 30 relay the minute's ticks through SQS).

use std::time::Duration;

use anyhow::{Context, Result};
use multiregion_core::estimate::pricing;
use multiregion_core::estimate::{
    Usage, detection_time_seconds, monthly_cost, swap_budget_seconds, usd,
};
use multiregion_core::settings::HealthCheck;
use multiregion_core::statemachine::Timing;
use multiregion_gameday::GameDay;
use multiregion_gameday::runtime::{EAST, Options};
use multiregion_gameday::timeline::Kind;

/// 2026-11-24T03:00:00Z.
const START: i64 = 1_795_489_200_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let mut options = Options::virtual_at(START);
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [] => {}
        [flag, seconds] if flag == "--interval" => {
            options.health.interval_seconds = seconds
                .parse()
                .with_context(|| format!("--interval {seconds}: a number of seconds"))?;
            options.health.validate()?;
        }
        _ => anyhow::bail!("usage: multiregion-timeline [--interval <seconds>]"),
    }
    let health: HealthCheck = options.health;
    let timing = Timing::default();
    let real = std::time::Instant::now();
    let mut game = GameDay::settled(options).await?;
    let outage = game
        .active_region_down(EAST, Duration::from_secs(600))
        .await?;
    let mut report = game.report().await?;
    report.timeline.origin = outage;
    let at = |kind: Kind| {
        report
            .timeline
            .first(kind, outage)
            .map(|e| e.at)
            .with_context(|| format!("no {} in the timeline", kind.label()))
    };
    let seconds = |ms: i64| format!("{:.1} s", ms as f64 / 1000.0);
    let (kick, insync, answer) = (
        at(Kind::ExecutionStarted)?,
        at(Kind::InSync)?,
        at(Kind::FirstAnswer)?,
    );
    let detection = detection_time_seconds(&health);
    let budget = swap_budget_seconds(&health, &timing);
    let cost = monthly_cost(&health, &timing, &Usage::default());

    println!(
        "# A failover on the virtual clock, {}\n",
        if args.is_empty() {
            "default settings"
        } else {
            "default settings but the interval"
        }
    );
    println!(
        "settings: interval {} s, {} of {} periods, probe timeout {} ms, cooldown {} s; Route 53 propagation 60 s, alias TTL 60 s\n",
        health.interval_seconds,
        health.datapoints_to_alarm,
        health.evaluation_periods,
        health.timeout_ms,
        game.runtime.options.failover.cooldown_seconds,
    );
    println!("{}", report.timeline.render());
    println!("{}", report.counts.render());
    println!(
        "measured (virtual): outage -> state machine start {}, -> INSYNC {}, -> first answer from the other region {}",
        seconds(kick - outage),
        seconds(insync - outage),
        seconds(answer - outage)
    );
    println!(
        "computed worst case: detection {detection} s + the state machine's budget {budget} s = {} s",
        detection + budget
    );
    println!(
        "monthly cost (both regions, {} failover a month): ${} at list prices, ${} within the free tier",
        Usage::default().failovers_per_month,
        usd(cost.without_free_tier_micros),
        usd(cost.with_free_tier_micros)
    );
    for line in &cost.lines {
        println!(
            "  {:<24} {:>14} {:<20} ${}",
            format!("{:?}", line.item),
            line.quantity,
            pricing::price(line.item).unit,
            usd(line.without_free_tier_micros)
        );
    }
    println!(
        "  prices: {}, read {}; sources in multiregion_core::estimate::pricing",
        pricing::REGION,
        pricing::CHECKED
    );
    let ours = if args.is_empty() {
        "defaults".to_owned()
    } else {
        format!("every {} s", health.interval_seconds)
    };
    println!(
        "\n| | multiregion ({ours}) | the seed (reference design) | Route 53 health-check failover |"
    );
    println!("|---|---|---|---|");
    println!(
        "| outage to clients on the other region | {} measured; worst case {} s ({detection} s detection + {budget} s state machine) | about 30 minutes | about 90 s plus the TTL |",
        seconds(answer - outage),
        detection + budget
    );
    println!(
        "| monthly cost | ${:.2} at list prices; ${:.2} within the free tier | about $0.46 (by hand, counting its two alarms) | about $1.50-5 |",
        cost.without_free_tier_micros as f64 / 1e6,
        cost.with_free_tier_micros as f64 / 1e6
    );
    println!("\n(real time: {:.1} s)", real.elapsed().as_secs_f64());
    Ok(())
}
