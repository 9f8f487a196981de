//! SNS's delivery of an alarm's notification to the kicker, which moto does
//! not do (it would invoke its own canned Lambda, which the kicker is not).
//!
//! When an alarm goes to ALARM with its actions enabled, CloudWatch
//! publishes the notification to each `AlarmActions` topic; SNS delivers it
//! to every subscription of the topic. The harness reads the subscriptions
//! from SNS in moto (`ListSubscriptionsByTopic`) and, for each `lambda`
//! one, invokes the function asynchronously with the SNS event Lambda gets.
//!
//! A delivery fails only when Lambda refuses it (the region's Lambda is
//! down); a function error is Lambda's to retry (the kicker's
//! `MaximumRetryAttempts` is 0). SNS retries a failed delivery to an AWS
//! managed endpoint (Lambda, SQS) by its fixed delivery policy: "3 times,
//! without delay; 2 times, 1 second apart; 10 times, with exponential
//! backoff, from 1 second to 20 seconds; 100,000 times, 20 seconds apart;
//! 100,015 times, over 23 days" (Amazon SNS Developer Guide, "Amazon SNS
//! message delivery retries",
//! <https://docs.aws.amazon.com/sns/latest/dg/sns-message-delivery-retries.html>).
//! SNS adds jitter to those delays; the harness does not. So a region whose
//! Lambda was down for hours receives an hours-old notification as soon as
//! it recovers. Standard topics deliver "at least once"
//! (<https://docs.aws.amazon.com/sns/latest/dg/sns-standard-and-fifo-topics.html>):
//! a scenario can have every notification delivered twice.

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::MetricAlarm;
use multiregion_bench::clock::EpochMs;
use serde_json::{Value, json};

/// The delay before retry `n` (1-based) of a failed delivery, in
/// milliseconds; `None` once the policy is exhausted.
pub fn retry_delay_ms(n: u32) -> Option<EpochMs> {
    const IMMEDIATE: u32 = 3;
    const PRE_BACKOFF: u32 = 2;
    const BACKOFF: u32 = 10;
    const POST_BACKOFF: u32 = 100_000;
    const MIN_DELAY_S: f64 = 1.0;
    const MAX_DELAY_S: f64 = 20.0;
    let seconds = match n {
        0 => return None,
        n if n <= IMMEDIATE => 0.0,
        n if n <= IMMEDIATE + PRE_BACKOFF => MIN_DELAY_S,
        n if n <= IMMEDIATE + PRE_BACKOFF + BACKOFF => {
            let i = f64::from(n - IMMEDIATE - PRE_BACKOFF - 1);
            MIN_DELAY_S * (MAX_DELAY_S / MIN_DELAY_S).powf(i / f64::from(BACKOFF - 1))
        }
        n if n <= IMMEDIATE + PRE_BACKOFF + BACKOFF + POST_BACKOFF => MAX_DELAY_S,
        _ => return None,
    };
    Some((seconds * 1000.0).round() as EpochMs)
}

/// A CloudWatch time as alarm notifications write it
/// (`2026-11-24T03:07:55.123+0000`).
pub fn notification_time(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
        .unwrap_or_default()
}

/// The notification CloudWatch publishes for `alarm` (after its change to
/// its current state, from `old_state`), with the fields AWS writes.
pub fn alarm_message(alarm: &MetricAlarm, region: &str, account: &str, old_state: &str) -> Value {
    let changed = alarm
        .state_updated_timestamp()
        .and_then(|t| t.to_millis().ok())
        .unwrap_or_default();
    json!({
        "AlarmName": alarm.alarm_name(),
        "AlarmDescription": alarm.alarm_description(),
        "AWSAccountId": account,
        "AlarmConfigurationUpdatedTimestamp": alarm
            .alarm_configuration_updated_timestamp()
            .and_then(|t| t.to_millis().ok())
            .map(notification_time),
        "NewStateValue": alarm.state_value().map(|s| s.as_str()),
        "NewStateReason": alarm.state_reason(),
        "StateChangeTime": notification_time(changed),
        "Region": region,
        "AlarmArn": alarm.alarm_arn(),
        "OldStateValue": old_state,
        "Trigger": {
            "MetricName": alarm.metric_name(),
            "Namespace": alarm.namespace(),
            "Statistic": alarm.statistic().map(|s| s.as_str().to_uppercase()),
            "Dimensions": alarm.dimensions().iter().map(|d| json!({"name": d.name(), "value": d.value()})).collect::<Vec<_>>(),
            "Period": alarm.period(),
            "EvaluationPeriods": alarm.evaluation_periods(),
            "DatapointsToAlarm": alarm.datapoints_to_alarm(),
            "ComparisonOperator": alarm.comparison_operator().map(|c| c.as_str()),
            "Threshold": alarm.threshold(),
            "TreatMissingData": alarm.treat_missing_data(),
        },
    })
}

/// The event Lambda receives for one SNS message.
pub fn lambda_event(
    topic_arn: &str,
    subscription_arn: &str,
    message_id: &str,
    subject: &str,
    message: &Value,
    published: EpochMs,
) -> Value {
    let timestamp = chrono::DateTime::from_timestamp_millis(published)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default();
    json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": subscription_arn,
            "Sns": {
                "Type": "Notification",
                "MessageId": message_id,
                "TopicArn": topic_arn,
                "Subject": subject,
                "Message": message.to_string(),
                "Timestamp": timestamp,
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.example/cert.pem",
                "UnsubscribeUrl": "https://sns.example/unsubscribe",
                "MessageAttributes": {}
            }
        }]
    })
}

/// A Lambda subscription of a topic: (subscription ARN, function ARN).
pub type LambdaSubscription = (String, String);

/// The `lambda` subscriptions of `topic`, as SNS has them.
pub async fn lambda_subscriptions(
    sns: &aws_sdk_sns::Client,
    topic: &str,
) -> Result<Vec<LambdaSubscription>> {
    let listed = sns
        .list_subscriptions_by_topic()
        .topic_arn(topic)
        .send()
        .await
        .context("ListSubscriptionsByTopic")?;
    Ok(listed
        .subscriptions()
        .iter()
        .filter(|s| s.protocol() == Some("lambda"))
        .filter_map(|s| Some((s.subscription_arn()?.to_owned(), s.endpoint()?.to_owned())))
        .collect())
}

/// One delivery of one message to one Lambda subscription.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The function's region (from its ARN).
    pub region: String,
    /// The function's ARN.
    pub function_arn: String,
    /// The event.
    pub event: Value,
    /// When the message was published.
    pub published: EpochMs,
    /// Failed attempts so far.
    pub failures: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_policy_for_lambda_endpoints_spans_23_days() {
        let delays: Vec<EpochMs> = (1..=16).filter_map(retry_delay_ms).collect();
        assert_eq!(&delays[..5], &[0, 0, 0, 1000, 1000]);
        assert_eq!(delays[5], 1000, "the backoff starts at 1 s");
        assert_eq!(delays[14], 20_000, "and ends at 20 s");
        assert!(delays.windows(2).all(|w| w[0] <= w[1]));
        let total: EpochMs = (1..=100_015).filter_map(retry_delay_ms).sum();
        let days = total as f64 / 86_400_000.0;
        assert!((23.0..23.3).contains(&days), "{days} days");
        assert_eq!(retry_delay_ms(100_016), None);
        assert_eq!(
            notification_time(1_767_225_600_123),
            "2026-01-01T00:00:00.123+0000"
        );
    }
}
