//! Route 53's health checkers on the virtual clock: a health check on the
//! guard's alarm follows the metric's data stream, not the alarm's state,
//! and moves the public name's failover answer after the reaction delay.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{
    ComparisonOperator, Dimension, MetricDatum, StandardUnit, StateValue, Statistic,
};
use aws_sdk_route53::types::{
    AlarmIdentifier, AliasTarget, Change, ChangeAction, ChangeBatch, CloudWatchRegion,
    HealthCheckConfig, HealthCheckType, InsufficientDataHealthStatus, ResourceRecordSet,
    ResourceRecordSetFailover, RrType,
};
use aws_smithy_types::DateTime;
use multiregion_bench::{Bench, Clock};
use multiregion_gameday::health_check::HealthCheckers;

const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const MINUTE: i64 = 60_000;
const EAST: &str = "d-east.execute-api.us-east-1.amazonaws.com";
const WEST: &str = "d-west.execute-api.us-west-2.amazonaws.com";

fn failover(kind: ResourceRecordSetFailover, target: &str, check: Option<&str>) -> Change {
    let set = ResourceRecordSet::builder()
        .name("api.example.com")
        .r#type(RrType::A)
        .set_identifier(kind.as_str().to_ascii_lowercase())
        .failover(kind)
        .set_health_check_id(check.map(str::to_owned))
        .alias_target(
            AliasTarget::builder()
                .dns_name(target)
                .hosted_zone_id("Z2FDTNDATAQYW2")
                .evaluate_target_health(false)
                .build()
                .expect("alias"),
        )
        .build()
        .expect("record");
    Change::builder()
        .action(ChangeAction::Create)
        .resource_record_set(set)
        .build()
        .expect("change")
}

async fn resolve(bench: &Bench) -> Result<String> {
    let url = format!(
        "{}/resolve?name=api.example.com",
        bench.resolver_url_for("client")
    );
    Ok(reqwest::get(url).await?.text().await?)
}

/// The guard's Lambda metrics for the minute starting at `minute`.
async fn errors(cloudwatch: &aws_sdk_cloudwatch::Client, minute: i64, value: f64) -> Result<()> {
    cloudwatch
        .put_metric_data()
        .namespace("AWS/Lambda")
        .metric_data(
            MetricDatum::builder()
                .metric_name("Errors")
                .dimensions(
                    Dimension::builder()
                        .name("FunctionName")
                        .value("mr-guard")
                        .build(),
                )
                .timestamp(DateTime::from_millis(minute))
                .value(value)
                .unit(StandardUnit::Count)
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn the_guards_health_check_follows_the_data_stream_after_its_reaction() -> Result<()> {
    let bench = Bench::start_with_clock(Clock::starting_at(START)).await?;
    let sdk =
        |region: &'static str| multiregion_bench::seed::sdk_config(&bench, region, "AKIDTEST");
    let route53 = aws_sdk_route53::Client::new(&sdk("us-east-1").await);
    let west_cloudwatch = aws_sdk_cloudwatch::Client::new(&sdk("us-west-2").await);
    let cloudwatch: HashMap<String, aws_sdk_cloudwatch::Client> =
        [("us-west-2".to_owned(), west_cloudwatch.clone())].into();
    west_cloudwatch
        .put_metric_alarm()
        .alarm_name("guard")
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value("mr-guard")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(3)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await?;
    let zone = route53
        .create_hosted_zone()
        .name("example.com")
        .caller_reference("checkers")
        .send()
        .await?
        .hosted_zone()
        .context("zone")?
        .id()
        .to_owned();
    let check = route53
        .create_health_check()
        .caller_reference("guard")
        .health_check_config(
            HealthCheckConfig::builder()
                .r#type(HealthCheckType::CloudwatchMetric)
                .alarm_identifier(
                    AlarmIdentifier::builder()
                        .region(CloudWatchRegion::UsWest2)
                        .name("guard")
                        .build()?,
                )
                .insufficient_data_health_status(InsufficientDataHealthStatus::Healthy)
                .build()?,
        )
        .send()
        .await?
        .health_check()
        .context("check")?
        .id()
        .to_owned();
    route53
        .change_resource_record_sets()
        .hosted_zone_id(&zone)
        .change_batch(
            ChangeBatch::builder()
                .changes(failover(
                    ResourceRecordSetFailover::Primary,
                    EAST,
                    Some(&check),
                ))
                .changes(failover(ResourceRecordSetFailover::Secondary, WEST, None))
                .build()?,
        )
        .send()
        .await?;
    let east = bench.fronts().ensure("us-east-1").await?.to_string();
    let west = bench.fronts().ensure("us-west-2").await?.to_string();
    let mut checkers = HealthCheckers::new(Duration::from_secs(30));
    let actor = bench.clock().actor();
    // Each minute m (0..): the guard's errors in minute m, then an
    // evaluation at the minute's end. Minutes 2, 3, 4 fail.
    let mut answers = Vec::new();
    for m in 0..10 {
        let failing = (2..=4).contains(&m);
        errors(
            &west_cloudwatch,
            START + m * MINUTE,
            f64::from(u8::from(failing)),
        )
        .await?;
        if m == 4 {
            // The alarm's state does not count: Route 53 reads the data.
            west_cloudwatch
                .set_alarm_state()
                .alarm_name("guard")
                .state_value(StateValue::Ok)
                .state_reason("forced")
                .send()
                .await?;
        }
        for _ in 0..2 {
            actor.sleep(Duration::from_secs(30)).await;
            checkers
                .evaluate(&bench, &cloudwatch, bench.clock().now_ms())
                .await?;
            let answer = resolve(&bench).await?;
            let seconds = (bench.clock().now_ms() - START) / 1000;
            answers.push((
                seconds,
                if answer == east {
                    "east"
                } else if answer == west {
                    "west"
                } else {
                    "?"
                },
            ));
        }
    }
    // Minute 4's datapoint is judged once it is a minute old (t = 360 s):
    // unhealthy then, and the answer moves 30 s later. Minute 5 is good and
    // judged at t = 420: healthy, and the answer is back at t = 450.
    let west_at: Vec<i64> = answers
        .iter()
        .filter(|(_, a)| *a == "west")
        .map(|(t, _)| *t)
        .collect();
    assert_eq!(west_at, [390, 420], "{answers:?}");
    assert!(answers.iter().all(|(_, a)| *a != "?"), "{answers:?}");
    Ok(())
}
