//! Failover records through the bench's Route 53 fidelity layer, against
//! moto: the rules AWS applies to them, and the record sets moto would lose.

use anyhow::{Context, Result};
use aws_sdk_route53::error::ProvideErrorMetadata;
use aws_sdk_route53::types::{
    Change, ChangeAction, HealthCheckConfig, HealthCheckType, ResourceRecordSet,
    ResourceRecordSetFailover,
};
use multiregion_bench::Bench;

use crate::common::{alias, apply, change, zone};

const EAST: &str = "d-east.execute-api.us-east-1.amazonaws.com";
const WEST: &str = "d-west.execute-api.us-west-2.amazonaws.com";

async fn client(bench: &Bench) -> aws_sdk_route53::Client {
    aws_sdk_route53::Client::new(
        &multiregion_bench::seed::sdk_config(bench, "us-east-1", "AKIDTEST").await,
    )
}

/// The guard's alarm in us-west-2, on a pinger's Lambda errors.
async fn guard_alarm(bench: &Bench, name: &str, period: i32) -> Result<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
    let cloudwatch = aws_sdk_cloudwatch::Client::new(
        &multiregion_bench::seed::sdk_config(bench, "us-west-2", "AKIDTEST").await,
    );
    cloudwatch
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value("mr-guard")
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(period)
        .evaluation_periods(3)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .send()
        .await?;
    Ok(())
}

/// A health check on the alarm `guard` in us-west-2 (made if missing).
async fn health_check(bench: &Bench, client: &aws_sdk_route53::Client) -> Result<String> {
    use aws_sdk_route53::types::{AlarmIdentifier, CloudWatchRegion, InsufficientDataHealthStatus};
    guard_alarm(bench, "guard", 60).await?;
    let created = client
        .create_health_check()
        .caller_reference("guard-east")
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
        .await?;
    Ok(created
        .health_check()
        .context("health check")?
        .id()
        .to_owned())
}

/// A failover alias at `name`, identified by its kind in lower case.
fn failover(
    name: &str,
    kind: ResourceRecordSetFailover,
    target: &str,
    check: Option<&str>,
) -> ResourceRecordSet {
    let mut set = alias(name, target);
    set.set_identifier = Some(kind.as_str().to_ascii_lowercase());
    set.failover = Some(kind);
    set.health_check_id = check.map(str::to_owned);
    set
}

/// (name, set identifier, failover, target, health check) of every A record.
async fn records(
    client: &aws_sdk_route53::Client,
    zone: &str,
) -> Result<Vec<(String, String, String, String, String)>> {
    let listing = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .send()
        .await?;
    Ok(listing
        .resource_record_sets()
        .iter()
        .filter(|s| s.r#type().as_str() == "A")
        .map(|s| {
            (
                s.name().to_owned(),
                s.set_identifier().unwrap_or_default().to_owned(),
                s.failover()
                    .map(|f| f.as_str().to_owned())
                    .unwrap_or_default(),
                s.alias_target()
                    .map(|a| a.dns_name().to_owned())
                    .unwrap_or_default(),
                s.health_check_id().unwrap_or_default().to_owned(),
            )
        })
        .collect())
}

#[tokio::test]
async fn a_swap_of_failover_roles_keeps_other_names_with_the_same_identifiers() -> Result<()> {
    use ResourceRecordSetFailover::{Primary, Secondary};
    let bench = Bench::start().await?;
    let client = client(&bench).await;
    let zone = zone(&client).await?;
    let check = health_check(&bench, &client).await?;
    let pair = |name: &str, primary: &str, secondary: &str| {
        vec![
            change(
                ChangeAction::Create,
                failover(name, Primary, primary, Some(&check)),
            ),
            change(
                ChangeAction::Create,
                failover(name, Secondary, secondary, None),
            ),
        ]
    };
    let mut both = pair("api.example.com", EAST, WEST);
    both.extend(pair("other.example.com", EAST, WEST));
    apply(&client, &zone, both)
        .await
        .map_err(anyhow::Error::msg)?;

    // The roles of api.example.com swap in one batch. moto alone deletes a
    // record set by its identifier only, and other.example.com's records,
    // which share "primary" and "secondary", would go with it.
    let mut swap: Vec<Change> = pair("api.example.com", EAST, WEST)
        .into_iter()
        .map(|c| change(ChangeAction::Delete, c.resource_record_set.expect("set")))
        .collect();
    swap.extend(pair("api.example.com", WEST, EAST));
    apply(&client, &zone, swap)
        .await
        .map_err(anyhow::Error::msg)?;
    let f = |name: &str, id: &str, kind: &str, target: &str, check: &str| {
        (
            format!("{name}."),
            id.to_owned(),
            kind.to_owned(),
            target.to_owned(),
            check.to_owned(),
        )
    };
    let mut listed = records(&client, &zone).await?;
    listed.sort();
    assert_eq!(
        listed,
        [
            f("api.example.com", "primary", "PRIMARY", WEST, &check),
            f("api.example.com", "secondary", "SECONDARY", EAST, ""),
            f("other.example.com", "primary", "PRIMARY", EAST, &check),
            f("other.example.com", "secondary", "SECONDARY", WEST, ""),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn failover_records_are_refused_where_aws_refuses_them() -> Result<()> {
    use ResourceRecordSetFailover::{Primary, Secondary};
    let bench = Bench::start().await?;
    let client = client(&bench).await;
    let zone = zone(&client).await?;
    let check = health_check(&bench, &client).await?;
    apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, alias("api.example.com", EAST))],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    // Failover records beside the simple record of the same name and type.
    let beside = apply(
        &client,
        &zone,
        vec![change(
            ChangeAction::Create,
            failover("api.example.com", Secondary, WEST, None),
        )],
    )
    .await
    .unwrap_err();
    assert!(beside.contains("conflicting RRSet of type A"), "{beside}");
    // A health check that does not exist.
    let unknown = apply(
        &client,
        &zone,
        vec![change(
            ChangeAction::Create,
            failover("b.example.com", Primary, EAST, Some("no-such-check")),
        )],
    )
    .await
    .unwrap_err();
    assert!(unknown.contains("no-such-check"), "{unknown}");
    // The simple record becomes a failover pair in one atomic batch; a
    // DELETE that leaves out the health check id does not match.
    apply(
        &client,
        &zone,
        vec![
            change(ChangeAction::Delete, alias("api.example.com", EAST)),
            change(
                ChangeAction::Create,
                failover("api.example.com", Primary, EAST, Some(&check)),
            ),
            change(
                ChangeAction::Create,
                failover("api.example.com", Secondary, WEST, None),
            ),
        ],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let unmatched = apply(
        &client,
        &zone,
        vec![change(
            ChangeAction::Delete,
            failover("api.example.com", Primary, EAST, None),
        )],
    )
    .await
    .unwrap_err();
    assert!(unmatched.contains("do not match"), "{unmatched}");
    assert_eq!(records(&client, &zone).await?.len(), 2);
    Ok(())
}

async fn resolve(bench: &Bench, resolver: &str) -> Result<String> {
    let url = format!(
        "{}/resolve?name=api.example.com",
        bench.resolver_url_for(resolver)
    );
    Ok(reqwest::get(url).await?.text().await?)
}

/// Resolvers answer a failover pair as Route 53 does: the PRIMARY while
/// its health check is healthy, the SECONDARY while it is not, with no
/// record changed (moto alone answers with the first record it lists).
#[tokio::test]
async fn the_public_name_answers_from_the_secondary_while_the_primary_is_unhealthy() -> Result<()> {
    use ResourceRecordSetFailover::{Primary, Secondary};
    let bench = Bench::start().await?;
    let client = client(&bench).await;
    let zone = zone(&client).await?;
    let check = health_check(&bench, &client).await?;
    let east = bench.fronts().ensure("us-east-1").await?.to_string();
    let west = bench.fronts().ensure("us-west-2").await?.to_string();
    // The SECONDARY first, so that the first listed is not the answer.
    apply(
        &client,
        &zone,
        vec![
            change(
                ChangeAction::Create,
                failover("api.example.com", Secondary, WEST, None),
            ),
            change(
                ChangeAction::Create,
                failover("api.example.com", Primary, EAST, Some(&check)),
            ),
        ],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    assert_eq!(
        resolve(&bench, "client").await?,
        east,
        "a new check is healthy"
    );
    bench.fronts().health().set(&check, false);
    assert_eq!(resolve(&bench, "client").await?, west);
    bench.fronts().health().set(&check, true);
    assert_eq!(resolve(&bench, "client").await?, east);
    Ok(())
}

/// Route 53's control plane down for a window of the virtual clock: record
/// changes, change status and the health-check APIs fail, while resolvers
/// keep answering and the failover pair still moves by health alone; after
/// the window the same change goes through.
#[tokio::test]
async fn with_the_control_plane_down_only_the_data_plane_answers() -> Result<()> {
    use ResourceRecordSetFailover::{Primary, Secondary};
    use multiregion_bench::{Clock, Fault, FaultKind};
    const START: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
    let bench = Bench::start_with_clock(Clock::starting_at(START)).await?;
    let actor = bench.clock().actor();
    let client = client(&bench).await;
    let zone = zone(&client).await?;
    let check = health_check(&bench, &client).await?;
    let east = bench.fronts().ensure("us-east-1").await?.to_string();
    let west = bench.fronts().ensure("us-west-2").await?.to_string();
    let pair = vec![
        change(
            ChangeAction::Create,
            failover("api.example.com", Primary, EAST, Some(&check)),
        ),
        change(
            ChangeAction::Create,
            failover("api.example.com", Secondary, WEST, None),
        ),
    ];
    apply(&client, &zone, pair)
        .await
        .map_err(anyhow::Error::msg)?;
    bench.proxy().add_fault(
        Fault::route53_control_plane_down(FaultKind::Unavailable)
            .between(START + 10_000, START + 70_000),
    );
    let other = || {
        vec![change(
            ChangeAction::Create,
            alias("other.example.com", EAST),
        )]
    };
    // Before the window the control plane answers.
    client
        .get_health_check()
        .health_check_id(&check)
        .send()
        .await?;
    actor.sleep(std::time::Duration::from_secs(10)).await;
    let refused = apply(&client, &zone, other()).await.unwrap_err();
    assert!(refused.starts_with("ServiceUnavailable"), "{refused}");
    let status = client
        .get_health_check()
        .health_check_id(&check)
        .send()
        .await;
    assert!(status.is_err(), "the health-check API is control plane too");
    // DNS answers, and health moves the answer.
    assert_eq!(resolve(&bench, "client").await?, east);
    bench.fronts().health().set(&check, false);
    assert_eq!(resolve(&bench, "client").await?, west);
    // Reads of the records are not in the window's operations.
    assert_eq!(records(&client, &zone).await?.len(), 2);
    actor.sleep(std::time::Duration::from_secs(60)).await;
    apply(&client, &zone, other())
        .await
        .map_err(anyhow::Error::msg)?;
    // The SDK retries a 503; each failed call is there once or more.
    let mut failed: Vec<String> = bench
        .proxy()
        .log()
        .iter()
        .filter(|entry| entry.status >= 500)
        .map(|entry| entry.operation.clone())
        .collect();
    failed.dedup();
    assert_eq!(failed, ["ChangeResourceRecordSets", "GetHealthCheck"]);
    Ok(())
}

/// A health check on an alarm keeps what moto drops (the alarm, the
/// insufficient-data status) and Route 53's copy of the alarm's definition;
/// an alarm Route 53 cannot evaluate is refused, and so is the delete of a
/// health check a record still names.
#[tokio::test]
async fn a_health_check_on_an_alarm_keeps_its_alarm_and_its_copy_of_it() -> Result<()> {
    use aws_sdk_route53::types::{
        AlarmIdentifier, CloudWatchRegion, InsufficientDataHealthStatus, Statistic,
    };
    let bench = Bench::start().await?;
    let client = client(&bench).await;
    let zone = zone(&client).await?;
    let check = health_check(&bench, &client).await?;
    let read = client
        .get_health_check()
        .health_check_id(&check)
        .send()
        .await?;
    let read = read.health_check().context("health check")?;
    let config = read.health_check_config().context("config")?;
    let alarm = config.alarm_identifier().context("the alarm is kept")?;
    assert_eq!(
        (alarm.region().as_str(), alarm.name()),
        ("us-west-2", "guard")
    );
    assert_eq!(
        config.insufficient_data_health_status(),
        Some(&InsufficientDataHealthStatus::Healthy)
    );
    let copy = read
        .cloud_watch_alarm_configuration()
        .context("Route 53's copy of the alarm")?;
    assert_eq!(
        (copy.evaluation_periods(), copy.period(), copy.threshold()),
        (3, 60, 1.0)
    );
    assert_eq!(copy.statistic(), &Statistic::Sum);
    assert_eq!(copy.dimensions()[0].value(), "mr-guard");
    let listed = client.list_health_checks().send().await?;
    assert!(
        listed.health_checks()[0]
            .cloud_watch_alarm_configuration()
            .is_some()
    );

    // No such alarm, and a high-resolution one.
    let on = |name: &str| {
        HealthCheckConfig::builder()
            .r#type(HealthCheckType::CloudwatchMetric)
            .alarm_identifier(
                AlarmIdentifier::builder()
                    .region(CloudWatchRegion::UsWest2)
                    .name(name)
                    .build()
                    .expect("alarm"),
            )
            .build()
            .expect("config")
    };
    let missing = client
        .create_health_check()
        .caller_reference("missing")
        .health_check_config(on("no-such-alarm"))
        .send()
        .await;
    assert!(missing.is_err());
    guard_alarm(&bench, "fast", 10).await?;
    let fast = client
        .create_health_check()
        .caller_reference("fast")
        .health_check_config(on("fast"))
        .send()
        .await
        .unwrap_err();
    assert!(
        fast.into_service_error()
            .message()
            .unwrap_or_default()
            .contains("high-resolution")
    );

    // A record names it: the delete is refused until the record is gone.
    let primary = failover(
        "api.example.com",
        ResourceRecordSetFailover::Primary,
        EAST,
        Some(&check),
    );
    apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, primary.clone())],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let in_use = client
        .delete_health_check()
        .health_check_id(&check)
        .send()
        .await
        .unwrap_err();
    assert_eq!(in_use.into_service_error().code(), Some("HealthCheckInUse"));
    apply(&client, &zone, vec![change(ChangeAction::Delete, primary)])
        .await
        .map_err(anyhow::Error::msg)?;
    client
        .delete_health_check()
        .health_check_id(&check)
        .send()
        .await?;
    assert!(bench.proxy().alarm_checks().get(&check).is_none());
    Ok(())
}
