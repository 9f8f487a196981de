//! The bench on a virtual clock: Route 53 propagation, what name servers and
//! resolvers answer before and after INSYNC, alarm state times, and Lambda
//! invocations routed through the proxy.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_route53::types::{Change, ChangeAction, ChangeBatch, ChangeStatus};
use multiregion_bench::{Bench, Clock, Fault, FaultKind};

use crate::common::change;

fn alias(target: &str) -> aws_sdk_route53::types::ResourceRecordSet {
    crate::common::alias("api.example.com", target)
}

const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const EAST: &str = "d-east.execute-api.us-east-1.amazonaws.com";
const WEST: &str = "d-west.execute-api.us-west-2.amazonaws.com";

async fn resolve(bench: &Bench, resolver: &str) -> Result<String> {
    let url = format!(
        "{}/resolve?name=api.example.com",
        bench.resolver_url_for(resolver)
    );
    Ok(reqwest::get(url).await?.text().await?)
}

/// A bench on the virtual clock from START, with Route 53 changes PENDING
/// for 60 s, resolvers caching for 60 s, and the zone example.com.
async fn virtual_zone() -> Result<(Bench, aws_sdk_route53::Client, String)> {
    let bench = Bench::start_with_clock(Clock::starting_at(START)).await?;
    bench
        .proxy()
        .set_route53_propagation(Duration::from_secs(60));
    bench.proxy().set_dns_ttl(Duration::from_secs(60));
    let sdk = multiregion_bench::seed::sdk_config(&bench, "us-east-1", "AKIDTEST").await;
    let route53 = aws_sdk_route53::Client::new(&sdk);
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("clock")
        .send()
        .await?
        .hosted_zone()
        .context("zone")?
        .id()
        .to_owned();
    Ok((bench, route53, zone))
}

#[tokio::test]
async fn changes_propagate_and_resolvers_cache_on_the_virtual_clock() -> Result<()> {
    let (bench, route53, zone) = virtual_zone().await?;
    let actor = bench.clock().actor();
    let apply = |changes: Vec<Change>| {
        let route53 = route53.clone();
        let zone = zone.clone();
        async move {
            let out = route53
                .change_resource_record_sets()
                .hosted_zone_id(zone)
                .change_batch(ChangeBatch::builder().set_changes(Some(changes)).build()?)
                .send()
                .await?;
            anyhow::Ok(out.change_info().context("info")?.id().to_owned())
        }
    };
    let status = |id: String| {
        let route53 = route53.clone();
        async move {
            let out = route53.get_change().id(id).send().await?;
            anyhow::Ok(out.change_info().context("info")?.status().clone())
        }
    };
    let first = apply(vec![change(ChangeAction::Create, alias(EAST))]).await?;
    actor.sleep(Duration::from_secs(60)).await;
    assert_eq!(status(first).await?, ChangeStatus::Insync);
    let east = bench.fronts().ensure("us-east-1").await?.to_string();
    let west = bench.fronts().ensure("us-west-2").await?.to_string();

    // t = 60: a resolver caches east until t = 120.
    assert_eq!(resolve(&bench, "lambda").await?, east);
    actor.sleep(Duration::from_secs(10)).await;
    // t = 70: the swap; PENDING until t = 130.
    let swap = apply(vec![
        change(ChangeAction::Delete, alias(EAST)),
        change(ChangeAction::Create, alias(WEST)),
    ])
    .await?;
    assert_eq!(status(swap.clone()).await?, ChangeStatus::Pending);
    assert_eq!(
        resolve(&bench, "client").await?,
        east,
        "name servers still answer the old record before INSYNC"
    );
    actor.sleep(Duration::from_secs(59)).await;
    // t = 129: still PENDING; the lambda resolver's entry expired at 120, and
    // it cached the old answer again until 189.
    assert_eq!(status(swap.clone()).await?, ChangeStatus::Pending);
    assert_eq!(resolve(&bench, "lambda").await?, east);
    actor.sleep(Duration::from_secs(2)).await;
    // t = 131: INSYNC. A resolver without a cached answer gets west; the
    // client's entry (cached at 70) has expired too.
    assert_eq!(status(swap).await?, ChangeStatus::Insync);
    assert_eq!(resolve(&bench, "fresh").await?, west);
    assert_eq!(resolve(&bench, "client").await?, west);
    assert_eq!(resolve(&bench, "lambda").await?, east, "cached until 189");
    actor.sleep(Duration::from_secs(60)).await;
    assert_eq!(resolve(&bench, "lambda").await?, west);
    assert_eq!(bench.clock().now_ms(), START + 191_000);
    Ok(())
}

/// A resolver that asked for a name before its record existed keeps the
/// NXDOMAIN for the zone's negative TTL (RFC 2308; 900 s with Route 53's
/// default SOA), while one that never asked sees the record at once.
#[tokio::test]
async fn resolvers_cache_nxdomain_for_the_negative_ttl() -> Result<()> {
    let (bench, route53, zone) = virtual_zone().await?;
    let actor = bench.clock().actor();
    let east = bench.fronts().ensure("us-east-1").await?.to_string();

    // t = 0: too early; the early resolver caches NXDOMAIN until t = 900.
    assert_eq!(resolve(&bench, "early").await?, "NXDOMAIN api.example.com");
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(change(ChangeAction::Create, alias(EAST)))
                .build()?,
        )
        .send()
        .await?;
    actor.sleep(Duration::from_secs(61)).await;
    // t = 61: INSYNC.
    assert_eq!(resolve(&bench, "late").await?, east);
    assert_eq!(
        resolve(&bench, "early").await?,
        "NXDOMAIN api.example.com",
        "the NXDOMAIN is cached"
    );
    actor.sleep(Duration::from_secs(838)).await;
    // t = 899: still cached.
    assert_eq!(resolve(&bench, "early").await?, "NXDOMAIN api.example.com");
    actor.sleep(Duration::from_secs(1)).await;
    assert_eq!(resolve(&bench, "early").await?, east, "expired at t = 900");
    Ok(())
}

#[tokio::test]
async fn alarm_state_times_are_virtual() -> Result<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, StateValue, Statistic};
    let bench = Bench::start_with_clock(Clock::starting_at(START)).await?;
    let actor = bench.clock().actor();
    let sdk = multiregion_bench::seed::sdk_config(&bench, "us-west-2", "AKIDTEST").await;
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk);
    cloudwatch
        .put_metric_alarm()
        .alarm_name("a")
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await?;
    actor.sleep(Duration::from_secs(3600)).await;
    cloudwatch
        .set_alarm_state()
        .alarm_name("a")
        .state_value(StateValue::Alarm)
        .state_reason("test")
        .send()
        .await?;
    let alarms = cloudwatch.describe_alarms().alarm_names("a").send().await?;
    let alarm = alarms.metric_alarms().first().context("alarm")?;
    assert_eq!(alarm.state_value(), Some(&StateValue::Alarm));
    assert_eq!(
        alarm.state_updated_timestamp().map(|t| t.to_millis().ok()),
        Some(Some(START + 3_600_000)),
        "the state time is the virtual time of SetAlarmState, not moto's wall clock"
    );
    Ok(())
}

#[tokio::test]
async fn lambda_invocations_reach_the_regions_endpoint_through_the_proxy() -> Result<()> {
    let bench = Bench::start().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut tcp, _)) = listener.accept().await {
            let mut buffer = [0u8; 4096];
            let _ = tcp.read(&mut buffer).await;
            let body = r#"{"pong":true}"#;
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tcp.write_all(reply.as_bytes()).await;
        }
    });
    bench
        .fronts()
        .set_lambda_endpoint("us-west-2", &endpoint)
        .await?;
    let invoke = || async {
        let response = reqwest::Client::new()
            .post(format!(
                "{}/2015-03-31/functions/mr-orders-ponger/invocations",
                bench.endpoint_url()
            ))
            .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIDX/20260101/us-west-2/lambda/aws4_request, SignedHeaders=host, Signature=0")
            .body("{}")
            .send()
            .await?;
        anyhow::Ok((response.status().as_u16(), response.text().await?))
    };
    assert_eq!(invoke().await?, (200, r#"{"pong":true}"#.to_owned()));
    bench.proxy().add_fault(
        Fault::new(FaultKind::Unavailable)
            .region("us-west-2")
            .service("lambda"),
    );
    assert_eq!(invoke().await?.0, 503);
    bench.proxy().clear_faults_in("us-west-2");
    assert_eq!(invoke().await?.0, 200);
    let log = bench.proxy().log();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.operation == "Invoke"));
    assert_eq!(log[0].detail.as_deref(), Some("mr-orders-ponger"));
    Ok(())
}
