//! The demo (`./scripts/demo`): `examples/quickstart` applied with the real
//! Terraform CLI and our provider against the AWS emulator on 127.0.0.1, the
//! runtime the provider deployed left to run on a virtual clock (the shipped
//! handler binaries under the Lambda emulator, the state machine in the real
//! executor), the active region taken down at the network edge, the
//! failover watched and timed, then `terraform plan` showing it, a failback
//! through `terraform apply`, and `terraform destroy`. Everything it starts
//! stops when it ends.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use multiregion_bench::Bench;
use multiregion_bench::clock::{EpochMs, wall_ms};
use multiregion_bench::terraform::Run;
use multiregion_core::estimate::{detection_time_seconds, swap_budget_seconds};
use multiregion_core::statemachine::Timing;
use multiregion_gameday::runtime::{EAST, NAME, Options, WEST};
use multiregion_gameday::terraform::{self, readable, set_var};
use multiregion_gameday::timeline::{Kind, Timeline};
use multiregion_gameday::{GameDay, Outage, inventory};

fn say(text: &str) {
    println!("{text}");
}

fn show(title: &str, run: &Run) {
    println!(
        "\n$ terraform {}    # {title} ({:.1} s real)",
        run.args.join(" "),
        run.elapsed.as_secs_f64()
    );
    for line in readable(run).lines() {
        println!("    {line}");
    }
}

/// The failover's part of the timeline: from the outage to the first answer
/// from the other region, without the pingers' routine.
fn failover_timeline(timeline: &Timeline, outage: EpochMs) -> Result<Timeline> {
    let answered = timeline
        .first(Kind::FirstAnswer, outage)
        .context("no client reached the other region")?
        .at;
    let first_failure = timeline
        .first(Kind::ProbeFailed, outage)
        .context("no failed probe")?
        .at;
    let mut seen = Vec::new();
    let entries = timeline
        .entries
        .iter()
        .filter(|e| e.at >= outage && e.at <= answered)
        .filter(|e| e.kind != Kind::ProbeFailed || e.at == first_failure)
        .filter(|e| {
            // The alarms' first ALARM per region only.
            let key = (e.kind, e.region.clone());
            let repeat = matches!(e.kind, Kind::Alarm | Kind::PingerRefused) && seen.contains(&key);
            seen.push(key);
            !repeat
        })
        .cloned()
        .collect();
    Ok(Timeline {
        origin: outage,
        entries,
    })
}

/// Prints what the emulator holds, per region and global; returns how many
/// things it found.
async fn print_inventory(bench: &Bench, zone_id: &str) -> Result<usize> {
    let mut found = 0;
    for region in [EAST, WEST] {
        let lines = inventory::region(bench, region).await?;
        found += lines.len();
        for line in lines {
            println!("    {region}  {line}");
        }
    }
    let lines = inventory::global(bench, zone_id).await?;
    found += lines.len();
    for line in lines {
        println!("    global     {line}");
    }
    Ok(found)
}

fn calls_by_service(bench: &Bench) -> BTreeMap<String, usize> {
    let mut calls = BTreeMap::new();
    for entry in bench.proxy().log() {
        *calls.entry(entry.service).or_default() += 1;
    }
    calls
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<()> {
    let real = Instant::now();
    // The virtual clock starts on the minute after now.
    let start = (wall_ms() / 60_000 + 1) * 60_000;
    let options = Options::virtual_at(start);
    let health = options.health;

    say(
        "== multiregion demo: examples/quickstart on the AWS emulator (127.0.0.1), on a virtual clock ==",
    );
    let bench = terraform::virtual_bench(start).await?;
    say(&format!(
        "moto at {}, behind the bench's proxy at {}; the virtual clock starts at {}",
        bench.moto_url(),
        bench.endpoint_url(),
        chrono_like(start)
    ));
    let quickstart = terraform::example(&bench, "quickstart", serde_json::json!({})).await?;
    say(&format!(
        "Before: the public zone example.com ({}), an ISSUED certificate per region for api. and standby-api.example.com",
        quickstart.seeded.zone_id
    ));
    let workdir = &quickstart.workdir;

    // 3. Apply: both regions' APIs, domains and records, and the runtime.
    let apply = workdir.apply().await?;
    show(
        "create both regions, the DNS records and the failover runtime",
        &apply,
    );
    let plan = workdir.plan(&[]).await?.expect(0)?;
    say(&format!(
        "\n$ terraform plan    # {} (exit code 0)",
        readable(&plan).lines().last().unwrap_or_default()
    ));

    say("\nWhat the apply created, read back from the emulator by name:");
    print_inventory(&bench, &quickstart.seeded.zone_id).await?;

    // 4. The runtime runs; the active region goes down.
    let mut game = GameDay::attach(bench, options, NAME, EAST, 0).await?;
    say(
        "\nThe runtime Terraform deployed now runs: the shipped handler binaries under the Lambda emulator, each region's state machine in the executor.",
    );
    // Five minutes: the pingers learn their roles, and each alarm is OK and
    // armed (the cooldown does not count the create).
    let quiet = Duration::from_secs(300);
    game.run_for(quiet).await?;
    say(&format!(
        "{} virtual minutes pass healthy: the pingers learn their roles and arm their alarms once they are OK; a client outside AWS probes api.example.com every 5 s.",
        quiet.as_secs() / 60
    ));
    let outage = game.next_tick(EAST).context("no tick planned")? + 500;
    game.run_until(outage).await?;
    game.outage(EAST, Outage::data_plane()).await?;
    game.run_for(Duration::from_secs(10 * 60)).await?;
    let report = game.report().await?;
    let failover = failover_timeline(&report.timeline, outage)?;
    say(&format!(
        "\nus-east-1's data plane goes down at {} (just after a ping: the worst case for detection). The timeline, on the virtual clock:\n",
        chrono_like(outage)
    ));
    print!("{}", failover.render());
    let at = |kind| failover.first(kind, outage).map(|e| e.at);
    let (Some(kicked), Some(answered)) = (at(Kind::ExecutionStarted), at(Kind::FirstAnswer)) else {
        bail!("the runtime did not fail over");
    };
    let detection = detection_time_seconds(&health);
    let budget = swap_budget_seconds(&health, &Timing::default());
    say(&format!(
        "\n  outage -> state machine start {} s (computed worst case {detection} s); -> first answer from us-west-2 {} s (worst case {} s)",
        (kicked - outage) / 1000,
        (answered - outage) / 1000,
        detection + budget
    ));
    say(&format!(
        "\nCounts over the {} virtual minutes the runtime ran:\n{}",
        (game.now() - start) / 60_000,
        report.counts.render()
    ));

    // 5. Terraform sees it.
    let plan = workdir.plan(&[]).await?;
    show(
        "the runtime's failover: no resource action, a warning, the output changes",
        &plan,
    );

    // 6. Fail back through apply, once us-east-1 has been healthy again for
    // the switchover's health window.
    game.recover(EAST).await?;
    game.run_for(Duration::from_secs(5 * 60)).await?;
    say(
        "\nus-east-1 is back; five virtual minutes later it answers again, and the failback below probes its standby name three times over 10 s before the swap.",
    );
    set_var(workdir, "active_region", serde_json::json!(EAST))?;
    let failback = terraform::apply_alongside(&mut game, workdir).await?;
    show(
        "fail back: active_region = \"us-east-1\" (the virtual clock runs alongside)",
        &failback,
    );
    set_var(workdir, "active_region", serde_json::Value::Null)?;
    let apply = terraform::apply_alongside(&mut game, workdir).await?;
    say(&format!(
        "\n$ terraform apply    # unpin active_region again, so the runtime decides: {}",
        readable(&apply)
            .lines()
            .find(|l| l.starts_with("Apply complete"))
            .unwrap_or_default()
    ));

    // 7. Destroy, and stop everything.
    let ran = game.now() - start;
    let bench = game.stop();
    bench.proxy().set_route53_propagation(Duration::ZERO);
    let destroy = workdir.destroy().await?;
    show("remove both regions' APIs, records and runtime", &destroy);
    say("\nLeft in the emulator after destroy (the zone and the certificates were there before):");
    if print_inventory(&bench, &quickstart.seeded.zone_id).await? == 0 {
        say("    nothing");
    }
    let calls = calls_by_service(&bench);
    say(
        "\nAWS calls through the proxy over the whole demo (Terraform, the runtime and the harness), by service:",
    );
    for (service, count) in &calls {
        say(&format!("  {count:>6}  {service}"));
    }
    say(&format!(
        "\nDone: {} virtual minutes in {:.1} s real; moto, the emulators and the executor stop now.",
        ran / 60_000,
        real.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// `YYYY-MM-DD HH:MM:SS UTC` of ms since the epoch.
fn chrono_like(ms: EpochMs) -> String {
    multiregion_gameday::timeline::utc(ms)
}
