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
