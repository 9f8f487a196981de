//! What the runtime asks Route 53's API (five requests per second per
//! account, shared by every pair in it), with the rate enforced and
//! measured through the proxy: nothing in a steady hour, and a failover
//! that completes without one refused call. (Before the swap step read the
//! records once, one Swap attempt made 7 calls in about 130 ms, and with
//! the rate on the failover never completed: issue 14, item 10.)

use crate::common::{START, minutes, swaps};
use anyhow::Result;
use multiregion_bench::proxy::LogEntry;
use multiregion_gameday::runtime::{EAST, Options, WEST};
use multiregion_gameday::{GameDay, Outage};

/// The runtime's Route 53 API calls in the log (not the harness's).
fn route53_calls(game: &GameDay) -> Vec<LogEntry> {
    let keys = [
        multiregion_gameday::runtime::access_key(EAST),
        multiregion_gameday::runtime::access_key(WEST),
    ];
    game.runtime
        .aws_log()
        .into_iter()
        .filter(|e| e.service == "route53" && keys.contains(&e.access_key))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steady_pair_asks_route53_nothing_and_a_failover_stays_under_its_rate() -> Result<()> {
    let options = Options::virtual_at(START);
    let mut game = GameDay::settled(options).await?;
    game.runtime.bench.proxy().set_route53_rate(true, None);
    game.runtime.bench.proxy().clear_log();
    // An hour with both regions up: four of the active's standby probes
    // and sixty of the standby's probes of the public name.
    game.run_for(minutes(60)).await?;
    let steady = route53_calls(&game);
    println!("REPORT route53 steady calls_per_hour={}", steady.len());
    assert_eq!(
        steady
            .iter()
            .map(|e| e.operation.as_str())
            .collect::<Vec<_>>(),
        Vec::<&str>::new(),
        "roles come from the data plane, not from Route 53's API"
    );

    game.runtime.bench.proxy().clear_log();
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(minutes(10)).await?;
    let failover = route53_calls(&game);
    let refused: Vec<String> = failover
        .iter()
        .filter(|e| e.outcome == "Throttling")
        .map(ToString::to_string)
        .collect();
    let count = |operation: &str| failover.iter().filter(|e| e.operation == operation).count();
    println!(
        "REPORT route53 failover calls={} ListResourceRecordSets={} ChangeResourceRecordSets={} \
         GetChange={} throttled={}",
        failover.len(),
        count("ListResourceRecordSets"),
        count("ChangeResourceRecordSets"),
        count("GetChange"),
        refused.len()
    );
    assert_eq!(
        refused,
        Vec::<String>::new(),
        "no call of one failover is refused"
    );
    assert_eq!(swaps(&game), 1, "the failover completes under the rate");
    Ok(())
}
