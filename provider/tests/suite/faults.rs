//! The provider under faults: a region failing mid-create, a region down
//! during a refresh, and what a converged plan and a slow refresh cost.

use std::time::Duration;

use crate::support::*;
use anyhow::Result;
use multiregion_bench::request::is_read_only;
use multiregion_bench::{Fault, FaultKind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_create_that_fails_in_one_region_is_saved_and_the_next_apply_converges() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.provider = "  max_retries = 0\n".into();
    config.write(&workdir)?;
    world.bench.proxy().add_fault(
        Fault::new(FaultKind::Unavailable)
            .region(WEST)
            .service("apigateway")
            .operation("CreateDomainName"),
    );
    let failed = workdir
        .run(&["apply", "-auto-approve", "-no-color"])
        .await?;
    assert_eq!(failed.code, 1, "{}", failed.text());
    assert!(
        failed
            .text()
            .contains("Creating the API failed in us-west-2"),
        "{}",
        failed.text()
    );
    // What exists is in state, tainted, with what was created so far.
    let state = workdir.state_json().await?;
    let resource = &state["values"]["root_module"]["resources"][0];
    assert_eq!(resource["tainted"], true, "{state:#}");
    assert!(resource["values"]["primary"]["regional_domain_name"].is_string());
    assert!(resource["values"]["secondary"]["rest_api_id"].is_string());

    world.bench.proxy().clear_faults();
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(
        plan.stdout.contains("is tainted, so must be replaced"),
        "{}",
        plan.stdout
    );
    apply_converged(&workdir).await?;
    // Nothing from the failed attempt is orphaned: one API per region.
    for region in [EAST, WEST] {
        let apis = world
            .apigateway(region)
            .await
            .get_rest_apis()
            .send()
            .await?;
        assert_eq!(
            apis.items().len(),
            1,
            "{region}: {:?}",
            world.sweep().await?
        );
    }
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_with_one_region_down_warns_and_keeps_working() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.provider = "  max_retries = 0\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    world
        .bench
        .proxy()
        .add_fault(Fault::new(FaultKind::Unavailable).region(WEST));
    let plan = workdir.plan(&[]).await?.expect(0)?;
    let text = plan.text();
    assert!(
        text.contains("us-west-2 could not be read; keeping its previous values"),
        "{text}"
    );
    assert!(!text.contains("us-east-1 could not be read"), "{text}");
    let outputs = workdir.outputs().await?;
    assert_eq!(outputs["active_region"]["value"], EAST);
    world.bench.proxy().clear_faults();
    workdir.destroy().await?;
    Ok(())
}

/// Figures for the record: what a converged plan calls, and how the two
/// regions' refresh overlaps when every call takes 200 ms more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_converged_plan_only_reads_and_both_regions_refresh_concurrently() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    Config::managed(&world).write(&workdir)?;
    apply_converged(&workdir).await?;

    world.bench.proxy().clear_log();
    workdir.plan(&[]).await?.expect(0)?;
    let log = world.bench.proxy().log();
    let writes: Vec<_> = log.iter().filter(|e| !is_read_only(&e.operation)).collect();
    assert!(writes.is_empty(), "a converged plan wrote: {writes:#?}");
    println!(
        "converged terraform plan: {} AWS calls, all Get/List",
        log.len()
    );
    for entry in &log {
        println!("  {entry}");
    }

    world.bench.proxy().set_latency(Duration::from_millis(200));
    world.bench.proxy().clear_log();
    let refresh = workdir
        .run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .await?
        .expect(0)?;
    world.bench.proxy().set_latency(Duration::ZERO);
    let log = world.bench.proxy().log();
    let span = |region: &str| {
        let calls: Vec<_> = log
            .iter()
            .filter(|e| e.service == "apigateway" && e.region == region)
            .collect();
        let start = calls.iter().map(|e| e.started_ms).min().unwrap_or(0);
        let end = calls
            .iter()
            .map(|e| e.started_ms + e.millis)
            .max()
            .unwrap_or(0);
        (start, end)
    };
    let (east, west) = (span(EAST), span(WEST));
    let one = (east.1 - east.0).max(west.1 - west.0);
    let both = east.1.max(west.1) - east.0.min(west.0);
    let ratio = both as f64 / one as f64;
    println!(
        "refresh with +200 ms per call: one region {one} ms, both regions {both} ms (x{ratio:.2}); terraform apply -refresh-only {} ms",
        refresh.elapsed.as_millis()
    );
    assert!(
        ratio < 1.3,
        "the regions are read one after the other: x{ratio:.2}"
    );
    workdir.destroy().await?;
    Ok(())
}

/// An AWS answer with no AWS error in its body (an HTML 500 from a load
/// balancer, or moto's own internal error) still names, in the diagnostic,
/// the service, the operation, the HTTP status and the request id, or says
/// that there was none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_without_an_aws_body_names_service_operation_status_and_request_id() -> Result<()>
{
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.provider = "  max_retries = 0\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    let cases = [
        (
            true,
            format!("request id {}", multiregion_bench::faults::HTML_REQUEST_ID),
        ),
        (false, "no request id".to_owned()),
    ];
    for (request_id, words) in cases {
        world.bench.proxy().clear_faults();
        world.bench.proxy().add_fault(
            Fault::new(FaultKind::Html {
                status: 500,
                request_id,
            })
            .region(EAST)
            .service("apigateway")
            .operation("GetBasePathMappings"),
        );
        let plan = workdir.run(&["plan", "-no-color"]).await?;
        // Terraform wraps long details: compare with the lines joined.
        let text = plan.text().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            text.contains("us-east-1 could not be read"),
            "request id {request_id}: {text}"
        );
        for expected in [
            "API Gateway",
            "GetBasePathMappings",
            "HTTP 500",
            words.as_str(),
        ] {
            assert!(
                text.contains(expected),
                "request id {request_id}: expected {expected:?} in:\n{text}"
            );
        }
        assert!(!text.contains("error: ."), "{text}");
    }
    // Route 53, read by the failover core the runtime shares: the same
    // four facts, in the plan's warning.
    for (request_id, words) in [
        (
            true,
            format!("request id {}", multiregion_bench::faults::HTML_REQUEST_ID),
        ),
        (false, "no request id".to_owned()),
    ] {
        world.bench.proxy().clear_faults();
        world.bench.proxy().add_fault(
            Fault::new(FaultKind::Html {
                status: 500,
                request_id,
            })
            .service("route53")
            .operation("ListResourceRecordSets"),
        );
        let plan = workdir.run(&["plan", "-no-color"]).await?;
        let text = plan.text().split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(text.contains("Route 53 could not be read"), "{text}");
        for expected in [
            "Route 53 ListResourceRecordSets",
            "HTTP 500",
            words.as_str(),
            "text/html",
        ] {
            assert!(
                text.contains(expected),
                "Route 53, request id {request_id}: expected {expected:?} in:\n{text}"
            );
        }
    }
    world.bench.proxy().clear_faults();
    workdir.destroy().await?;
    Ok(())
}
