//! API Gateway's fixed control-plane quotas: the bench enforces them on the
//! provider's calls at the tests' pacing scale, so a call the provider does
//! not pace is refused with `TooManyRequestsException` (and retried by the
//! SDK, which hides it from Terraform but not from the proxy's log).

use crate::support::*;
use anyhow::{Context, Result};

/// A scale at which two unpaced calls in a row are always too early (a 30 s
/// quota becomes 600 ms; moto answers in milliseconds), while the test adds
/// only a few seconds of waiting.
const SCALE: f64 = 0.02;

/// A new ISSUED certificate for both names in `region`.
async fn new_certificate(world: &World, region: &str) -> Result<String> {
    let acm = aws_sdk_acm::Client::new(&world.sdk(region).await);
    let requested = acm
        .request_certificate()
        .domain_name(ACTIVE_NAME)
        .subject_alternative_names(ACTIVE_NAME)
        .subject_alternative_names(STANDBY_NAME)
        .validation_method(aws_sdk_acm::types::ValidationMethod::Dns)
        .send()
        .await?;
    Ok(requested
        .certificate_arn()
        .context("no certificate ARN")?
        .to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_change_updates_both_domains_of_a_region_within_the_quota() -> Result<()> {
    let world = World::new().await?.with_pacing(SCALE);
    let workdir = world.workdir()?;
    let log = workdir.path().join("provider.log");
    let workdir = workdir.with_env([("PLUGIN_LOG_FILE", log.display().to_string())]);
    let mut config = Config::managed(&world);
    config.write(&workdir)?;
    workdir.apply().await?;
    assert_eq!(world.throttled(), Vec::<String>::new(), "first apply");

    config.primary.certificate_arn = new_certificate(&world, EAST).await?;
    config.secondary.certificate_arn = new_certificate(&world, WEST).await?;
    config.write(&workdir)?;
    world.bench.proxy().clear_log();
    workdir.apply().await?;

    // Both domains of each region took the new certificate, one
    // UpdateDomainName each, none of them too early.
    let updates: Vec<(String, String)> = world
        .bench
        .proxy()
        .log()
        .iter()
        .filter(|e| {
            e.operation == "UpdateDomainName" && e.access_key == multiregion_bench::ACCESS_KEY
        })
        .map(|e| (e.region.clone(), e.outcome.clone()))
        .collect();
    assert_eq!(world.throttled(), Vec::<String>::new(), "{updates:?}");
    let mut regions: Vec<&str> = updates.iter().map(|(r, _)| r.as_str()).collect();
    regions.sort();
    assert_eq!(regions, [EAST, EAST, WEST, WEST], "{updates:?}");
    for (region, certificate) in [
        (EAST, &config.primary.certificate_arn),
        (WEST, &config.secondary.certificate_arn),
    ] {
        for name in [ACTIVE_NAME, STANDBY_NAME] {
            let domain = world
                .apigateway(region)
                .await
                .get_domain_name()
                .domain_name(name)
                .send()
                .await?;
            assert_eq!(
                domain.regional_certificate_arn(),
                Some(certificate.as_str()),
                "{region} {name}"
            );
        }
    }
    // The wait for the second domain of a region is in the provider's log.
    let text = std::fs::read_to_string(&log)?;
    assert!(
        text.lines().any(|line| line.contains(" INFO ")
            && line.contains("UpdateDomainName: 1 request every 30 seconds")
            && line.contains("wait_seconds")),
        "no INFO line about the wait in the provider's log"
    );
    destroy_and_sweep(&world, &workdir).await?;
    assert_eq!(world.throttled(), Vec::<String>::new(), "destroy");
    Ok(())
}

/// Route 53 allows five requests per second per account, shared by every
/// pair in it. A plan of one pair (its refresh), with the rate enforced on
/// the provider's calls, succeeds, and the proxy counts what it asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_of_a_pair_succeeds_under_route53s_rate() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    Config::managed(&world).write(&workdir)?;
    workdir.apply().await?;
    world
        .bench
        .proxy()
        .set_route53_rate(true, Some(multiregion_bench::ACCESS_KEY));
    world.bench.proxy().clear_log();
    // A plan refreshes first; it finds nothing to change.
    workdir.plan(&[]).await?.expect(0)?;
    let route53: Vec<String> = world
        .bench
        .proxy()
        .log()
        .iter()
        .filter(|e| e.service == "route53" && e.access_key == multiregion_bench::ACCESS_KEY)
        .map(|e| format!("{} {}", e.operation, e.outcome))
        .collect();
    let throttled = route53.iter().filter(|c| c.ends_with("Throttling")).count();
    println!(
        "REPORT route53 refresh_calls={} throttled={throttled}: {route53:?}",
        route53.len()
    );
    assert!(!route53.is_empty(), "a refresh reads the records");
    workdir.destroy().await?;
    Ok(())
}

/// The provider's Route 53 calls in the proxy's log, in order of arrival.
fn provider_route53_calls(world: &World) -> Vec<multiregion_bench::proxy::LogEntry> {
    world
        .bench
        .proxy()
        .log()
        .into_iter()
        .filter(|e| e.service == "route53" && e.access_key == multiregion_bench::ACCESS_KEY)
        .collect()
}

/// The most calls that arrived within any one second.
fn peak_per_second(calls: &[multiregion_bench::proxy::LogEntry]) -> usize {
    let arrivals: Vec<u64> = calls.iter().map(|e| e.started_ms).collect();
    (0..arrivals.len())
        .map(|i| {
            arrivals[i..]
                .iter()
                .take_while(|t| **t < arrivals[i] + 1000)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// Route 53's five requests a second are per account, and Terraform works
/// on ten resources at once: several pairs in one configuration would send
/// their reads in one burst. The provider spaces its own Route 53 calls, so
/// the bench, enforcing the rate on them, refuses none through an apply,
/// a refresh and a destroy of three pairs, and no second sees more than
/// four of them. (Before, the refresh's six reads
/// arrived within a second and the SDK's retries hid the refusals from
/// Terraform but not from the proxy: issue 14, item 10.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_pairs_in_one_configuration_stay_under_route53s_rate() -> Result<()> {
    const PAIRS: usize = 3;
    let domains: Vec<(String, String)> = (0..PAIRS)
        .map(|i| (format!("api{i}.{ZONE}"), format!("standby-api{i}.{ZONE}")))
        .collect();
    let names: Vec<&str> = domains
        .iter()
        .flat_map(|(active, standby)| [active.as_str(), standby.as_str()])
        .collect();
    let bench = multiregion_bench::Bench::start().await?;
    let seeded =
        multiregion_bench::seed::zone_and_certificates(&bench, ZONE, &names, &[EAST, WEST]).await?;
    let world = World::from_parts(bench, seeded);
    let workdir = world.workdir()?;
    let base = Config::managed(&world);
    let mut hcl = base.provider_hcl();
    for (i, (active, _)) in domains.iter().enumerate() {
        let pair = Config {
            name: format!("orders{i}"),
            domain_name: active.clone(),
            ..base.clone()
        };
        hcl.push('\n');
        hcl.push_str(&pair.resource_hcl(&format!("pair{i}")));
    }
    workdir.write("main.tf", &hcl)?;
    world
        .bench
        .proxy()
        .set_route53_rate(true, Some(multiregion_bench::ACCESS_KEY));

    let mut report = Vec::new();
    let mut refused = Vec::new();
    let mut peaks = Vec::new();
    for phase in ["apply", "refresh", "destroy"] {
        world.bench.proxy().clear_log();
        match phase {
            "apply" => drop(workdir.apply().await?),
            // A plan refreshes every pair first; it finds nothing to change.
            "refresh" => drop(workdir.plan(&[]).await?.expect(0)?),
            _ => drop(workdir.destroy().await?),
        }
        let calls = provider_route53_calls(&world);
        refused.extend(
            calls
                .iter()
                .filter(|e| e.outcome == "Throttling")
                .map(|e| format!("{phase}: {e}")),
        );
        peaks.push(peak_per_second(&calls));
        report.push(format!(
            "{phase}_calls={} per_pair={:.1} peak_per_second={}",
            calls.len(),
            calls.len() as f64 / PAIRS as f64,
            peak_per_second(&calls)
        ));
        if phase == "refresh" {
            assert!(
                calls.len() >= PAIRS,
                "a refresh reads every pair's records: {calls:?}"
            );
        }
    }
    println!("REPORT route53 pairs={PAIRS} {}", report.join(" "));
    assert_eq!(refused, Vec::<String>::new(), "no call is refused");
    assert!(
        peaks.iter().all(|peak| *peak <= 4),
        "at most four calls in any second, one left for the runtime: {report:?}"
    );
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}
