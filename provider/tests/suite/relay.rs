//! A sub-minute interval: the tick relay the provider deploys, through the
//! real Terraform CLI against the emulator. At 10 s each region gets its
//! tick queue, mapped to its pinger, the pinger's role may use exactly that
//! queue, the deployment contract names it, the schedule stays at a minute
//! and the alarm's period at 60 s. Going back to a minute removes the relay;
//! destroy leaves nothing.

use crate::support::*;
use anyhow::{Context, Result};
use multiregion_core::Deployment;

const ACCOUNT: &str = "123456789012";

/// What the relay looks like in `region`: its queue's attributes, its
/// mappings, the pinger role's SQS grants, the contract's queue URL, the
/// schedule and the alarm's period.
async fn relay(world: &World, region: &str) -> Result<Vec<String>> {
    let config = world.sdk(region).await;
    let mut lines = Vec::new();
    let sqs = aws_sdk_sqs::Client::new(&config);
    for url in sqs.list_queues().send().await?.queue_urls() {
        let attributes = sqs
            .get_queue_attributes()
            .queue_url(url)
            .attribute_names(aws_sdk_sqs::types::QueueAttributeName::All)
            .send()
            .await?;
        let attribute = |name: &str| {
            attributes
                .attributes()
                .and_then(|a| {
                    a.get(&aws_sdk_sqs::types::QueueAttributeName::from(name))
                        .cloned()
                })
                .unwrap_or_default()
        };
        lines.push(format!(
            "queue {} retention {} visibility {}",
            url.rsplit('/').next().unwrap_or_default(),
            attribute("MessageRetentionPeriod"),
            attribute("VisibilityTimeout")
        ));
    }
    let lambda = aws_sdk_lambda::Client::new(&config);
    let mappings = lambda.list_event_source_mappings().send().await?;
    for mapping in mappings.event_source_mappings() {
        lines.push(format!(
            "mapping {} -> {} batch {}",
            mapping.event_source_arn().unwrap_or_default(),
            mapping.function_arn().unwrap_or_default(),
            mapping.batch_size().unwrap_or_default()
        ));
    }
    let role = format!("mr-orders-pinger-{region}");
    for (_, document) in policies(world)
        .await?
        .into_iter()
        .filter(|(r, _)| *r == role)
    {
        let policy: serde_json::Value = serde_json::from_str(&document)?;
        for statement in policy["Statement"].as_array().into_iter().flatten() {
            let actions: Vec<String> = match &statement["Action"] {
                serde_json::Value::String(a) => vec![a.clone()],
                serde_json::Value::Array(a) => a
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            for action in actions.iter().filter(|a| a.starts_with("sqs:")) {
                lines.push(format!("grant {action} on {}", statement["Resource"]));
            }
        }
    }
    let pinger = lambda
        .get_function_configuration()
        .function_name("mr-orders-pinger")
        .send()
        .await?;
    let contract = pinger
        .environment()
        .and_then(|e| e.variables())
        .and_then(|v| v.get("MULTIREGION_DEPLOYMENT"))
        .context("no deployment contract")?;
    let contract = Deployment::from_json(contract)?;
    for deployed in &contract.regions {
        if let Some(url) = &deployed.tick_queue_url {
            lines.push(format!("contract {} {url}", deployed.region));
        }
    }
    let events = aws_sdk_eventbridge::Client::new(&config);
    let rule = events
        .describe_rule()
        .name("mr-orders-pinger")
        .send()
        .await?;
    lines.push(format!(
        "schedule {}",
        rule.schedule_expression().unwrap_or_default()
    ));
    let alarms = aws_sdk_cloudwatch::Client::new(&config)
        .describe_alarms()
        .alarm_names("mr-orders-active-unhealthy")
        .send()
        .await?;
    for alarm in alarms.metric_alarms() {
        lines.push(format!(
            "alarm period {}",
            alarm.period().unwrap_or_default()
        ));
    }
    lines.sort();
    Ok(lines)
}

fn expected(region: &str) -> Vec<String> {
    let queue_arn = format!("arn:aws:sqs:{region}:{ACCOUNT}:mr-orders-ticks");
    let mut lines = vec![
        "queue mr-orders-ticks retention 60 visibility 30".to_owned(),
        format!(
            "mapping {queue_arn} -> arn:aws:lambda:{region}:{ACCOUNT}:function:mr-orders-pinger batch 1"
        ),
        "schedule rate(1 minute)".to_owned(),
        "alarm period 60".to_owned(),
    ];
    for action in [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
    ] {
        lines.push(format!("grant {action} on \"{queue_arn}\""));
    }
    for deployed in [EAST, WEST] {
        lines.push(format!(
            "contract {deployed} https://sqs.{deployed}.amazonaws.com/{ACCOUNT}/mr-orders-ticks"
        ));
    }
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_seconds_relays_through_a_queue_per_region_and_a_minute_removes_it() -> Result<()> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.extra = "  health_check {\n    interval_seconds = 10\n  }\n".into();
    config.write(&workdir)?;
    // The plan prices the relay: $2.319384 a month at list prices (the
    // core's estimate tests work it out by hand).
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(
        squash(&plan.stdout).contains("\"2.319384\""),
        "{}",
        plan.stdout
    );
    apply_converged(&workdir).await?;
    for region in [EAST, WEST] {
        assert_eq!(relay(&world, region).await?, expected(region), "{region}");
    }

    // Back to a minute: the relay goes, the rest stays as at 60 s.
    config.extra = String::new();
    config.write(&workdir)?;
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    for region in [EAST, WEST] {
        assert_eq!(
            relay(&world, region).await?,
            ["alarm period 60", "schedule rate(1 minute)"],
            "{region}"
        );
    }

    // Relayed again, then destroyed: nothing is left, the queues and the
    // mappings included.
    config.extra = "  health_check {\n    interval_seconds = 30\n  }\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    assert!(
        relay(&world, WEST)
            .await?
            .contains(&"queue mr-orders-ticks retention 60 visibility 30".to_owned())
    );
    destroy_and_sweep(&world, &workdir).await
}
