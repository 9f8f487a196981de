//! The CloudWatch fidelity layer against moto, through the proxy with the
//! AWS SDK: `EnableAlarmActions` and `DisableAlarmActions`, which moto does
//! not implement, and what `DescribeAlarms` shows afterwards.

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::Client;
use aws_sdk_cloudwatch::types::{ComparisonOperator, Statistic};
use multiregion_bench::{Bench, MotoClient};

const ALARM: &str = "mr-orders-pinger-unhealthy";

async fn cloudwatch(bench: &Bench, region: &str) -> Client {
    Client::new(&multiregion_bench::seed::sdk_config(bench, region, "AKIDTEST").await)
}

/// A `PutMetricAlarm` of `name`, with `ActionsEnabled` when given.
async fn put_alarm(client: &Client, name: &str, actions_enabled: Option<bool>) -> Result<()> {
    client
        .put_metric_alarm()
        .alarm_name(name)
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(1)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .set_actions_enabled(actions_enabled)
        .alarm_actions("arn:aws:sns:us-west-2:123456789012:paging")
        .send()
        .await?;
    Ok(())
}

/// The alarm's `ActionsEnabled` as `DescribeAlarms` answers it.
async fn actions_enabled(client: &Client, name: &str) -> Result<Option<bool>> {
    let alarms = client.describe_alarms().alarm_names(name).send().await?;
    let alarm = alarms.metric_alarms().first().context("no such alarm")?;
    Ok(alarm.actions_enabled())
}

async fn enable(client: &Client, name: &str) -> Result<()> {
    client
        .enable_alarm_actions()
        .alarm_names(name)
        .send()
        .await?;
    Ok(())
}

async fn disable(client: &Client, name: &str) -> Result<()> {
    client
        .disable_alarm_actions()
        .alarm_names(name)
        .send()
        .await?;
    Ok(())
}

#[tokio::test]
async fn alarm_actions_are_enabled_and_disabled_per_region_until_the_alarm_is_put_again()
-> Result<()> {
    let bench = Bench::start().await?;
    let west = cloudwatch(&bench, "us-west-2").await;
    let east = cloudwatch(&bench, "us-east-1").await;
    put_alarm(&west, ALARM, Some(false)).await?;
    put_alarm(&east, ALARM, Some(false)).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(false));

    enable(&west, ALARM).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(true));
    assert_eq!(
        actions_enabled(&east, ALARM).await?,
        Some(false),
        "another region's alarm of the same name is untouched"
    );
    let for_metric = west
        .describe_alarms_for_metric()
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .send()
        .await?;
    assert_eq!(
        for_metric
            .metric_alarms()
            .iter()
            .map(|a| a.actions_enabled())
            .collect::<Vec<_>>(),
        [Some(true)]
    );

    disable(&west, ALARM).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(false));

    // A PutMetricAlarm sets ActionsEnabled itself.
    enable(&west, ALARM).await?;
    put_alarm(&west, ALARM, Some(false)).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(false));
    // Omitted, it is true (AWS's default, and moto's).
    disable(&west, ALARM).await?;
    put_alarm(&west, ALARM, None).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(true));
    assert_eq!(actions_enabled(&east, ALARM).await?, Some(false));

    let log: Vec<String> = bench
        .proxy()
        .log()
        .iter()
        .filter(|e| e.operation.ends_with("AlarmActions"))
        .map(|e| {
            format!(
                "{} {} {} {} {}",
                e.region,
                e.operation,
                e.status,
                e.outcome,
                e.detail.as_deref().unwrap_or("-")
            )
        })
        .collect();
    assert_eq!(
        log,
        [
            format!("us-west-2 EnableAlarmActions 200 ok {ALARM}"),
            format!("us-west-2 DisableAlarmActions 200 ok {ALARM}"),
            format!("us-west-2 EnableAlarmActions 200 ok {ALARM}"),
            format!("us-west-2 DisableAlarmActions 200 ok {ALARM}"),
        ]
    );
    Ok(())
}

/// What a caller outside the proxy (test set-up) puts straight into moto.
async fn put_in_moto(bench: &Bench, region: &str, name: &str) -> Result<()> {
    let form = format!(
        "Action=PutMetricAlarm&Version=2010-08-01&AlarmName={name}&Namespace=AWS%2FLambda&MetricName=Errors&Statistic=Sum&Period=60&EvaluationPeriods=1&Threshold=1&ComparisonOperator=GreaterThanOrEqualToThreshold&ActionsEnabled=false"
    );
    let (status, text) = MotoClient::new(bench.moto_url())
        .query("monitoring", region, None, form)
        .await?;
    anyhow::ensure!(status == 200, "moto PutMetricAlarm: HTTP {status}: {text}");
    Ok(())
}

#[tokio::test]
async fn names_of_no_alarm_are_ignored_and_a_deleted_alarm_forgets_its_actions() -> Result<()> {
    let bench = Bench::start().await?;
    let west = cloudwatch(&bench, "us-west-2").await;

    // No alarm of that name yet: accepted, and nothing is remembered.
    enable(&west, "later").await?;
    put_in_moto(&bench, "us-west-2", "later").await?;
    assert_eq!(actions_enabled(&west, "later").await?, Some(false));

    // Enabled, deleted, and created again without the proxy seeing the put.
    put_alarm(&west, ALARM, Some(false)).await?;
    enable(&west, ALARM).await?;
    west.delete_alarms().alarm_names(ALARM).send().await?;
    put_in_moto(&bench, "us-west-2", ALARM).await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(false));

    // Several names at once, one of them no alarm.
    west.enable_alarm_actions()
        .alarm_names(ALARM)
        .alarm_names("later")
        .alarm_names("ghost")
        .send()
        .await?;
    assert_eq!(actions_enabled(&west, ALARM).await?, Some(true));
    assert_eq!(actions_enabled(&west, "later").await?, Some(true));
    assert_eq!(
        bench
            .proxy()
            .log()
            .iter()
            .rev()
            .find(|e| e.operation == "EnableAlarmActions")
            .and_then(|e| e.detail.clone()),
        Some(format!("{ALARM}, later, ghost"))
    );
    Ok(())
}

#[tokio::test]
async fn a_new_alarm_starts_in_insufficient_data_and_an_update_keeps_its_state() -> Result<()> {
    use aws_sdk_cloudwatch::types::StateValue;
    let bench = Bench::start().await?;
    let west = cloudwatch(&bench, "us-west-2").await;
    let state = |client: Client| async move {
        let alarms = client.describe_alarms().alarm_names(ALARM).send().await?;
        let alarm = alarms.metric_alarms().first().context("no such alarm")?;
        anyhow::Ok(alarm.state_value().cloned())
    };
    put_alarm(&west, ALARM, Some(false)).await?;
    assert_eq!(
        state(west.clone()).await?,
        Some(StateValue::InsufficientData),
        "as AWS creates it (moto alone answers OK)"
    );
    west.set_alarm_state()
        .alarm_name(ALARM)
        .state_value(StateValue::Ok)
        .state_reason("judged")
        .send()
        .await?;
    put_alarm(&west, ALARM, Some(false)).await?;
    assert_eq!(
        state(west.clone()).await?,
        Some(StateValue::Ok),
        "an update leaves the state"
    );
    Ok(())
}
