//! The bench's own tests: the Route 53 fidelity layer against moto, and the
//! proxy's faults and request log.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use aws_config::SdkConfig;
use aws_sdk_route53::types::{
    ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
};
use multiregion_bench::{Bench, Fault, FaultKind};

use crate::common::{alias, apply, change, zone};

async fn sdk(bench: &Bench, region: &str) -> SdkConfig {
    multiregion_bench::seed::sdk_config(bench, region, "AKIDTEST").await
}

async fn targets_at(
    client: &aws_sdk_route53::Client,
    zone: &str,
    name: &str,
) -> Result<Vec<String>> {
    let listing = client
        .list_resource_record_sets()
        .hosted_zone_id(zone)
        .start_record_name(name)
        .send()
        .await?;
    Ok(listing
        .resource_record_sets()
        .iter()
        .filter(|s| s.name().trim_end_matches('.') == name && s.r#type() == &RrType::A)
        .map(|s| {
            s.alias_target()
                .map(|a| a.dns_name().to_owned())
                .unwrap_or_default()
        })
        .collect())
}

const EAST: &str = "d-east.execute-api.us-east-1.amazonaws.com";
const WEST: &str = "d-west.execute-api.us-west-2.amazonaws.com";

#[tokio::test]
async fn a_stale_delete_is_refused_and_nothing_changes() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    let zone = zone(&client).await?;
    apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, alias("api.example.com", EAST))],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    // The DELETE names the wrong alias target (moto alone would accept it).
    let error = apply(
        &client,
        &zone,
        vec![
            change(ChangeAction::Delete, alias("api.example.com", WEST)),
            change(ChangeAction::Create, alias("api.example.com", WEST)),
        ],
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        "InvalidChangeBatch: [Tried to delete resource record set [name='api.example.com.', type='A'] but the values provided do not match the current values, \
         Tried to create resource record set [name='api.example.com.', type='A'] but it already exists]"
    );
    assert_eq!(targets_at(&client, &zone, "api.example.com").await?, [EAST]);
    // The alias DNS name compares case-insensitively, trailing dot ignored.
    apply(
        &client,
        &zone,
        vec![change(
            ChangeAction::Delete,
            alias("API.example.com.", &format!("{}.", EAST.to_uppercase())),
        )],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    assert!(
        targets_at(&client, &zone, "api.example.com")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn a_duplicate_create_is_refused() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    let zone = zone(&client).await?;
    apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, alias("api.example.com", EAST))],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let error = apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, alias("api.example.com", WEST))],
    )
    .await
    .unwrap_err();
    assert!(error.contains("but it already exists"), "{error}");
    assert_eq!(
        targets_at(&client, &zone, "api.example.com").await?,
        [EAST],
        "no duplicate"
    );
    Ok(())
}

#[tokio::test]
async fn a_batch_is_all_or_nothing() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    let zone = zone(&client).await?;
    let txt = ResourceRecordSet::builder()
        .name("_failover.api.example.com")
        .r#type(RrType::Txt)
        .ttl(60)
        .resource_records(ResourceRecord::builder().value("\"x\"").build()?)
        .build()?;
    // A valid CREATE, then a DELETE of something that does not exist.
    let error = apply(
        &client,
        &zone,
        vec![
            change(ChangeAction::Create, txt),
            change(ChangeAction::Delete, alias("api.example.com", EAST)),
        ],
    )
    .await
    .unwrap_err();
    assert!(error.contains("but it was not found"), "{error}");
    let listing = client
        .list_resource_record_sets()
        .hosted_zone_id(&zone)
        .send()
        .await?;
    assert!(
        listing
            .resource_record_sets()
            .iter()
            .all(|s| s.r#type() != &RrType::Txt),
        "the valid half was not applied"
    );
    // A name outside the zone is refused before moto could half-apply it.
    let error = apply(
        &client,
        &zone,
        vec![
            change(ChangeAction::Create, alias("api.example.com", EAST)),
            change(ChangeAction::Create, alias("api.example.org", EAST)),
        ],
    )
    .await
    .unwrap_err();
    assert!(error.contains("is not permitted in zone"), "{error}");
    assert!(
        targets_at(&client, &zone, "api.example.com")
            .await?
            .is_empty()
    );
    Ok(())
}

#[tokio::test]
async fn a_failback_recreates_an_earlier_record() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    let zone = zone(&client).await?;
    let swap = |from: &str, to: &str| {
        vec![
            change(ChangeAction::Delete, alias("api.example.com", from)),
            change(ChangeAction::Create, alias("api.example.com", to)),
        ]
    };
    apply(
        &client,
        &zone,
        vec![change(ChangeAction::Create, alias("api.example.com", EAST))],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    apply(&client, &zone, swap(EAST, WEST))
        .await
        .map_err(anyhow::Error::msg)?;
    // Re-creating the east record (moto alone says "already exists").
    apply(&client, &zone, swap(WEST, EAST))
        .await
        .map_err(anyhow::Error::msg)?;
    apply(&client, &zone, swap(EAST, WEST))
        .await
        .map_err(anyhow::Error::msg)?;
    assert_eq!(targets_at(&client, &zone, "api.example.com").await?, [WEST]);
    Ok(())
}

#[tokio::test]
async fn faults_hit_only_their_region_and_service_and_the_log_shows_them() -> Result<()> {
    let bench = Bench::start().await?;
    let east = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    zone(&east).await?;
    // Route 53 signs in us-east-1: a us-west-2 fault must not touch it.
    bench
        .proxy()
        .add_fault(Fault::new(FaultKind::Unavailable).region("us-west-2"));
    east.list_hosted_zones().send().await?;
    bench.proxy().add_fault(
        Fault::new(FaultKind::Unavailable)
            .service("route53")
            .times(1),
    );
    let failed = east.list_hosted_zones().send().await;
    assert_eq!(
        failed
            .map_err(|e| e.raw_response().map(|r| r.status().as_u16()))
            .err(),
        Some(Some(503))
    );
    east.list_hosted_zones().send().await?;

    bench.proxy().add_fault(
        Fault::new(FaultKind::Drop)
            .operation("GetHostedZone")
            .times(1),
    );
    assert!(east.get_hosted_zone().id("Z1").send().await.is_err());

    let log = bench.proxy().log();
    let outcomes: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.operation.as_str(), e.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("CreateHostedZone", "ok"),
            ("ListHostedZones", "ok"),
            ("ListHostedZones", "fault:ServiceUnavailable"),
            ("ListHostedZones", "ok"),
            ("GetHostedZone", "fault:drop"),
        ]
    );
    assert!(
        log.iter()
            .all(|e| e.region == "us-east-1" && e.access_key == "AKIDTEST")
    );
    Ok(())
}

#[tokio::test]
async fn latency_and_delay_faults_slow_calls_down() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    bench.proxy().set_latency(Duration::from_millis(200));
    let started = Instant::now();
    client.list_hosted_zones().send().await?;
    assert!(started.elapsed() >= Duration::from_millis(200));
    bench.proxy().set_latency(Duration::ZERO);
    bench
        .proxy()
        .add_fault(Fault::new(FaultKind::Delay { millis: 300 }).times(1));
    let started = Instant::now();
    client.list_hosted_zones().send().await?;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(
        bench.proxy().log().last().map(|e| e.outcome.as_str()),
        Some("delayed:ok")
    );
    Ok(())
}

#[tokio::test]
async fn each_change_gets_its_own_id_and_is_pending_until_it_propagates() -> Result<()> {
    use aws_sdk_route53::types::ChangeStatus;
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    let zone = zone(&client).await?;
    bench
        .proxy()
        .set_route53_propagation(Duration::from_millis(400));
    let mut ids = Vec::new();
    for (name, target) in [("a.example.com", EAST), ("b.example.com", WEST)] {
        let out = client
            .change_resource_record_sets()
            .hosted_zone_id(&zone)
            .change_batch(
                ChangeBatch::builder()
                    .changes(change(ChangeAction::Create, alias(name, target)))
                    .build()?,
            )
            .send()
            .await?;
        let info = out.change_info().context("change info")?;
        assert_eq!(info.status(), &ChangeStatus::Pending);
        ids.push(info.id().to_owned());
    }
    assert_ne!(ids[0], ids[1]);
    let status = |id: String| {
        let client = client.clone();
        async move {
            let out = client.get_change().id(id).send().await?;
            anyhow::Ok(out.change_info().context("info")?.status().clone())
        }
    };
    assert_eq!(status(ids[0].clone()).await?, ChangeStatus::Pending);
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(status(ids[0].clone()).await?, ChangeStatus::Insync);
    Ok(())
}

#[tokio::test]
async fn a_held_request_waits_until_released_while_others_pass() -> Result<()> {
    let bench = Bench::start().await?;
    let client = aws_sdk_route53::Client::new(&sdk(&bench, "us-east-1").await);
    bench.proxy().add_fault(
        Fault::new(FaultKind::Hold)
            .operation("ListHostedZones")
            .times(1),
    );
    let held = tokio::spawn({
        let client = client.clone();
        async move { client.list_hosted_zones().send().await }
    });
    bench.proxy().wait_held(1).await;
    // Another call goes through while the first is held.
    zone(&client).await?;
    assert!(!held.is_finished());
    bench.proxy().release_held();
    held.await??;
    let outcomes: Vec<String> = bench
        .proxy()
        .log()
        .iter()
        .map(|e| format!("{} {}", e.operation, e.outcome))
        .collect();
    assert_eq!(outcomes, ["CreateHostedZone ok", "ListHostedZones held:ok"]);
    Ok(())
}

#[tokio::test]
async fn a_recording_makes_the_same_objects_under_the_same_identifiers() -> Result<()> {
    let recorded = Bench::start().await?;
    recorded.start_recording(7).await?;
    let client = aws_sdk_route53::Client::new(&sdk(&recorded, "us-east-1").await);
    let id = zone(&client).await?;
    apply(
        &client,
        &id,
        vec![change(
            ChangeAction::Create,
            ResourceRecordSet::builder()
                .name("api.example.com")
                .r#type(RrType::Txt)
                .ttl(60)
                .resource_records(ResourceRecord::builder().value("\"recorded\"").build()?)
                .build()?,
        )],
    )
    .await
    .map_err(anyhow::Error::msg)?;
    let entries = recorded.proxy().take_recording();
    // Creating the zone, and the change: what the proxy answered itself
    // (the change's id) is recorded as the client sent it too.
    assert_eq!(entries.len(), 2, "{entries:#?}");
    let text = multiregion_bench::recording::render(&entries)?;
    let entries = multiregion_bench::recording::parse(&text)?;

    // The same seed: the zone comes back under its id, with its record.
    let replayed = Bench::start().await?;
    replayed.replay(7, &entries).await?;
    let client = aws_sdk_route53::Client::new(&sdk(&replayed, "us-east-1").await);
    let sets = client
        .list_resource_record_sets()
        .hosted_zone_id(&id)
        .send()
        .await?;
    assert!(
        sets.resource_record_sets()
            .iter()
            .any(|set| set.name() == "api.example.com."),
        "{sets:#?}"
    );

    // Another seed draws another zone id, so the change to the recorded id
    // is refused, and the replay names the request that went astray.
    let astray = Bench::start().await?;
    let error = astray.replay(8, &entries).await.unwrap_err();
    assert!(
        format!("{error:#}").contains("replaying request 1 (POST /2013-04-01/hostedzone/"),
        "{error:#}"
    );
    Ok(())
}
