//! The foundation demo: the failover core against the AWS emulator.
//!
//! It starts the test bench (moto, the faithful proxy, the data-plane
//! fronts), deploys two regions' APIs and custom domains, writes the records
//! and the ledger as `terraform apply` will, then takes the active region's
//! data plane down, swaps, fails back, and races two swaps from one read,
//! printing what happened and the AWS calls it took.
#![allow(clippy::print_stdout)]

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Result;
use multiregion_bench::{Bench, FrontState};
use multiregion_core::dns::read_active;
use multiregion_core::probe::{ProbeSettings, Prober, Resolver, Trust};
use multiregion_core::swap::{SwapPlan, plan_swap, submit, swap, wait_insync};
use multiregion_core::{Pair, Reason, Region, RetryPolicy, SwapOutcome, SwapRequest};
use support::*;

fn epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

async fn show(route53: &aws_sdk_route53::Client, pair: &Pair) -> Result<()> {
    let (_, view) = read_active(route53, pair).await?;
    println!(
        "    records: {} -> {}, {} -> {}  (dns_status {})",
        pair.active_name,
        view.active_region.as_ref().map_or("-", Region::as_str),
        pair.standby_name,
        view.standby_region.as_ref().map_or("-", Region::as_str),
        view.status,
    );
    match view.last_swap() {
        Some(ledger) => println!("    ledger:  {} ({})", ledger.encode(), ledger),
        None => println!("    ledger:  none"),
    }
    Ok(())
}

async fn probe_both(prober: &Prober) {
    for name in [ACTIVE_NAME, STANDBY_NAME] {
        match prober.probe(name).await {
            Ok(answer) => println!(
                "    probe https://{name}/health/ping -> answered by {} in {} ms",
                answer.region,
                answer.latency.as_millis()
            ),
            Err(error) => println!("    probe https://{name}/health/ping -> FAILED: {error}"),
        }
    }
}

async fn swap_to(
    route53: &aws_sdk_route53::Client,
    pair: &Pair,
    target: &str,
    reason: Reason,
    execution: &str,
) -> Result<()> {
    let request = SwapRequest {
        target: Region::new(target)?,
        reason,
        execution: Some(execution.to_owned()),
        epoch: epoch(),
    };
    let started = Instant::now();
    match swap(route53, pair, &request, RetryPolicy::default()).await? {
        SwapOutcome::Swapped {
            change_id, ledger, ..
        } => {
            let insync = wait_insync(
                route53,
                &change_id,
                Duration::from_millis(200),
                Duration::from_secs(30),
            )
            .await?;
            println!(
                "    swapped to {target} (generation {}) in one change batch {change_id}; INSYNC: {insync}; {} ms",
                ledger.generation,
                started.elapsed().as_millis()
            );
        }
        SwapOutcome::AlreadyActive(_) => {
            println!("    {target} is already active: nothing written")
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let started = Instant::now();
    println!("== multiregion foundation demo: the failover core against the AWS emulator ==");
    let bench = Bench::start().await?;
    println!(
        "  moto at {}, faithful proxy at {}",
        bench.moto_url(),
        bench.endpoint_url()
    );

    let route53 = route53(&bench, "demo").await;
    let zone = create_zone(&route53).await?;
    let east = create_region(&bench, EAST).await?;
    let west = create_region(&bench, WEST).await?;
    for region in [EAST, WEST] {
        let lambda = pong_endpoint(region).await?;
        bench
            .fronts()
            .set_lambda_endpoint(region, &format!("http://{lambda}"))
            .await?;
    }
    let pair = Pair {
        hosted_zone_id: zone.clone(),
        active_name: ACTIVE_NAME.into(),
        standby_name: STANDBY_NAME.into(),
        regions: [east, west],
    };
    println!(
        "\n1. Deployed REST APIs and REGIONAL custom domains for both names in {EAST} and {WEST}; zone {zone}."
    );
    let prober = Prober::new(ProbeSettings {
        resolver: Resolver::TestService {
            url: bench.resolver_url(),
        },
        trust: Trust::TestCa {
            pem: bench.ca_path().to_path_buf(),
        },
        ..ProbeSettings::new("health", Duration::from_secs(2))
    })?;

    println!("\n2. Create: the alias records and the ledger in one compare-and-swap.");
    swap_to(&route53, &pair, EAST, Reason::Create, "terraform-create").await?;
    show(&route53, &pair).await?;
    probe_both(&prober).await;

    println!("\n3. Outage: {EAST}'s data plane goes dark.");
    bench.fronts().set_state(EAST, FrontState::Refuse).await?;
    probe_both(&prober).await;
    println!("   Failover to {WEST}:");
    swap_to(&route53, &pair, WEST, Reason::Runtime, "failover-1-1").await?;
    show(&route53, &pair).await?;
    probe_both(&prober).await;

    println!("\n4. {EAST} recovers; a second failover request to {WEST} is a no-op.");
    bench.fronts().set_state(EAST, FrontState::Up).await?;
    swap_to(&route53, &pair, WEST, Reason::Runtime, "failover-1-2").await?;

    println!("\n5. Failback to {EAST}, as `terraform apply` will do it.");
    swap_to(
        &route53,
        &pair,
        EAST,
        Reason::Terraform,
        "terraform-failback",
    )
    .await?;
    show(&route53, &pair).await?;
    probe_both(&prober).await;

    println!("\n6. Two swaps planned from the same read race: exactly one wins.");
    let (snapshot, view) = read_active(&route53, &pair).await?;
    let mut batches = Vec::new();
    for execution in ["racer-a", "racer-b"] {
        let request = SwapRequest {
            target: Region::new(WEST)?,
            reason: Reason::Runtime,
            execution: Some(execution.into()),
            epoch: epoch(),
        };
        if let SwapPlan::Changes { changes, .. } = plan_swap(&pair, &snapshot, &view, &request)? {
            batches.push(changes);
        }
    }
    let second = batches.pop().unwrap_or_default();
    let first = batches.pop().unwrap_or_default();
    let (a, b) = tokio::join!(
        submit(&route53, &pair, first, "racer-a"),
        submit(&route53, &pair, second, "racer-b")
    );
    for (name, result) in [("racer-a", a), ("racer-b", b)] {
        match result {
            Ok(change) => println!("    {name}: won ({change})"),
            Err(error) => println!("    {name}: lost: {error}"),
        }
    }
    show(&route53, &pair).await?;

    println!("\nAWS calls through the proxy, by service and operation:");
    let mut counts: BTreeMap<(String, String, String), usize> = BTreeMap::new();
    for entry in bench.proxy().log() {
        *counts
            .entry((entry.service, entry.operation, entry.outcome))
            .or_default() += 1;
    }
    for ((service, operation, outcome), count) in counts {
        println!("    {count:>4}  {service:<10} {operation:<28} {outcome}");
    }
    println!(
        "\nDone in {:.1} s; moto and the bench stop now.",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
