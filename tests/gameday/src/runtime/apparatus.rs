//! The detection apparatus of one region, created through the AWS APIs
//! exactly as the provider creates it (so the harness reads the real
//! configuration back, never a copy):
//!
//! - the alarm `Names::alarm()`: `AWS/Lambda` `Errors` of the region's
//!   pinger, Sum per `interval_seconds`, `DatapointsToAlarm` of
//!   `EvaluationPeriods`, `>= 1`, missing data breaching (no invocation, no
//!   datapoint: a pinger that cannot run counts), `AlarmActions` the
//!   region's notification topic, `ActionsEnabled` false until the pinger's
//!   first good run arms it;
//! - the EventBridge rule `Names::schedule_rule()`,
//!   `rate(interval_seconds / 60 minutes)` (one minute below a minute),
//!   targeting the region's pinger;
//! - below a minute, the tick queue `Names::tick_queue()`;
//! - the notification topic, read here through an SQS queue subscribed to
//!   it (the test's own reader, not part of what is tested).

use anyhow::{Context, Result, bail};
use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use multiregion_bench::Bench;
use multiregion_core::naming::{Component, Names};
use multiregion_core::settings::HealthCheck;
use serde_json::Value;

use super::ACCOUNT;

/// The ARN of `component`'s function in `region`.
pub fn function_arn(names: &Names, component: Component, region: &str) -> String {
    format!(
        "arn:aws:lambda:{region}:{ACCOUNT}:function:{}",
        names.function(component)
    )
}

/// Puts the region's alarm as the provider does.
pub async fn put_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    names: &Names,
    health: &HealthCheck,
    notification_topic: &str,
) -> Result<()> {
    cloudwatch
        .put_metric_alarm()
        .alarm_name(names.alarm())
        .alarm_description(
            "pages a person: the standby saw the active name fail, the standby is unhealthy, \
             or this region's pinger did not run",
        )
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(names.function(Component::Pinger))
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(health.alarm_period_seconds() as i32)
        .evaluation_periods(health.evaluation_periods as i32)
        .datapoints_to_alarm(health.datapoints_to_alarm as i32)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("breaching")
        .alarm_actions(notification_topic)
        .actions_enabled(false)
        .send()
        .await?;
    Ok(())
}

/// One EventBridge call through the proxy, signed for `region` with
/// `access_key`.
pub async fn events(
    bench: &Bench,
    access_key: &str,
    region: &str,
    target: &str,
    body: Value,
) -> Result<Value> {
    json_call(
        bench.endpoint_url(),
        access_key,
        region,
        "events",
        format!("AWSEvents.{target}"),
        body,
    )
    .await
}

/// Creates the region's schedule rule and its target, the pinger: no
/// retries and a 60 s event age (the next tick is the retry).
pub async fn schedule(
    bench: &Bench,
    names: &Names,
    health: &HealthCheck,
    region: &str,
) -> Result<()> {
    let events = |target: &'static str, body: Value| events(bench, "setup", region, target, body);
    events(
        "PutRule",
        serde_json::json!({
            "Name": names.schedule_rule(),
            "ScheduleExpression": health.schedule_expression(),
            "State": "ENABLED",
        }),
    )
    .await?;
    events(
        "PutTargets",
        serde_json::json!({
            "Rule": names.schedule_rule(),
            "Targets": [{
                "Id": "pinger",
                "Arn": function_arn(names, Component::Pinger, region),
                "RetryPolicy": { "MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60 },
            }],
        }),
    )
    .await?;
    Ok(())
}

/// Creates the region's tick queue, as the provider does below a minute (a
/// 60 s retention, the pinger's timeout as visibility timeout); returns its
/// URL in AWS's form, which the deployment contract carries. The mapping to
/// the pinger is not made: the runtime's own set-up deploys no function to
/// AWS, and the harness plays the mapping with the provider's settings.
pub async fn tick_queue(bench: &Bench, names: &Names, region: &str) -> Result<String> {
    json_call(
        bench.endpoint_url(),
        "setup",
        region,
        "sqs",
        "AmazonSQS.CreateQueue".into(),
        serde_json::json!({
            "QueueName": names.tick_queue(),
            "Attributes": {
                "MessageRetentionPeriod": "60",
                "VisibilityTimeout": multiregion_core::settings::PINGER_TIMEOUT_SECONDS.to_string(),
            },
        }),
    )
    .await?;
    let region = multiregion_core::Region::new(region)?;
    Ok(names.tick_queue_url(&region, ACCOUNT))
}

/// Creates the notification topic of `region` and an SQS queue subscribed
/// to it; returns (topic ARN, queue URL).
pub async fn notification_topic(
    bench: &Bench,
    sns: &aws_sdk_sns::Client,
    region: &str,
    names: &Names,
) -> Result<(String, String)> {
    let topic = sns
        .create_topic()
        .name(names.notification_topic())
        .send()
        .await?;
    let topic = topic.topic_arn().context("no topic ARN")?.to_owned();
    let queue = inbox(bench, sns, region, &topic, names).await?;
    Ok((topic, queue))
}

/// Creates an SQS queue subscribed to the notification `topic` (the test's
/// reader); returns its URL.
pub async fn inbox(
    bench: &Bench,
    sns: &aws_sdk_sns::Client,
    region: &str,
    topic: &str,
    names: &Names,
) -> Result<String> {
    let queue = format!("{}-inbox", names.notification_topic());
    let created = sqs(
        bench.moto_url(),
        region,
        "CreateQueue",
        serde_json::json!({ "QueueName": queue }),
    )
    .await?;
    let url = created["QueueUrl"]
        .as_str()
        .context("no queue URL")?
        .to_owned();
    sns.subscribe()
        .topic_arn(topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:{region}:{ACCOUNT}:{queue}"))
        .send()
        .await?;
    Ok(url)
}

/// The JSON messages received so far on an SQS queue subscribed to a topic.
pub async fn received(moto: &str, region: &str, queue_url: &str) -> Result<Vec<Value>> {
    let received = sqs(
        moto,
        region,
        "ReceiveMessage",
        serde_json::json!({
            "QueueUrl": queue_url,
            "MaxNumberOfMessages": 10,
            "VisibilityTimeout": 0,
        }),
    )
    .await?;
    let mut out = Vec::new();
    for message in received["Messages"].as_array().into_iter().flatten() {
        let envelope: Value = serde_json::from_str(message["Body"].as_str().unwrap_or_default())?;
        out.push(serde_json::from_str(
            envelope["Message"].as_str().unwrap_or_default(),
        )?);
    }
    Ok(out)
}

/// One SQS call straight to moto: the test's own reader of the notification
/// topic, not part of what is tested.
/// One SQS call at `moto` (the proxy's URL or moto's own), for `region`.
pub async fn sqs(moto: &str, region: &str, operation: &str, body: Value) -> Result<Value> {
    json_call(
        moto,
        "reader",
        region,
        "sqs",
        format!("AmazonSQS.{operation}"),
        body,
    )
    .await
}

/// One call of an `X-Amz-Target` JSON API, signed for `region` with
/// `access_key` (the emulator reads only the credential scope).
async fn json_call(
    base: impl AsRef<str>,
    access_key: &str,
    region: &str,
    service: &str,
    target: String,
    body: Value,
) -> Result<Value> {
    let response = reqwest::Client::new()
        .post(format!("{}/", base.as_ref()))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .header("x-amz-target", &target)
        // SQS speaks AWS JSON 1.0, EventBridge 1.1.
        .header(
            "content-type",
            if service == "sqs" {
                "application/x-amz-json-1.0"
            } else {
                "application/x-amz-json-1.1"
            },
        )
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("{target}: HTTP {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}
