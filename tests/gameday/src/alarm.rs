//! CloudWatch alarm evaluation, which moto does not do.
//!
//! Every minute ([`ALARM_EVALUATION_INTERVAL_SECONDS`]: "For any period of
//! one minute or longer, an alarm is evaluated every minute and the
//! evaluation is based on the window of time defined by the Period and
//! Evaluation Periods",
//! <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html>)
//! the harness evaluates each region's alarm from what CloudWatch in moto
//! holds: the alarm as `DescribeAlarms` returns it (metric, dimensions,
//! statistic, period, `EvaluationPeriods`, `DatapointsToAlarm`, threshold,
//! comparison, `TreatMissingData`, actions) and the datapoints as
//! `GetMetricStatistics` returns them.
//!
//! The window is the `EvaluationPeriods` most recent whole periods that
//! ended at least [`LAMBDA_METRIC_DELAY_SECONDS`] ago (a period is judged
//! once Lambda can have published its datapoints). A period without a
//! datapoint counts as `TreatMissingData` says ("breaching: missing data
//! points are treated as breaching the threshold", "notBreaching", "missing"
//! and "ignore": <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/alarms-and-missing-data.html>).
//! At least `DatapointsToAlarm` breaching periods make ALARM, fewer make OK
//! ("M out of N"). A change of state is written with `SetAlarmState`, so the
//! state, its reason and its time (on the bench's clock) live in CloudWatch.
//! When the alarm goes to ALARM with its actions enabled, CloudWatch
//! publishes [`notification`] to each `AlarmActions` topic: the page.

use anyhow::{Context, Result, bail};
use aws_sdk_cloudwatch::types::{ComparisonOperator, MetricAlarm, StateValue, Statistic};
use aws_smithy_types::DateTime;
use multiregion_bench::clock::EpochMs;
use multiregion_core::estimate::figures::{
    ALARM_EVALUATION_INTERVAL_SECONDS, LAMBDA_METRIC_DELAY_SECONDS,
};
use serde_json::{Value, json};

/// How often an alarm is evaluated, in milliseconds.
pub const EVALUATION_INTERVAL_MS: EpochMs = (ALARM_EVALUATION_INTERVAL_SECONDS * 1000) as EpochMs;

/// How long after a period ends it is judged, in milliseconds.
const JUDGED_AFTER_MS: EpochMs = (LAMBDA_METRIC_DELAY_SECONDS * 1000) as EpochMs;

/// One period of the window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Period {
    /// Its start (ms since the epoch).
    pub start: EpochMs,
    /// The statistic's value, if there was data.
    pub value: Option<f64>,
    /// Whether it counts as breaching.
    pub breaching: bool,
}

/// A change of the alarm's state.
#[derive(Debug, Clone)]
pub struct Transition {
    /// The state before.
    pub from: Option<StateValue>,
    /// The new state.
    pub to: StateValue,
    /// Its reason, as CloudWatch words it.
    pub reason: String,
    /// The alarm after the change, as `DescribeAlarms` returns it.
    pub alarm: MetricAlarm,
    /// The window that decided it.
    pub window: Vec<Period>,
}

/// Whether `value` breaches per the alarm's comparison.
fn breaches(alarm: &MetricAlarm, value: f64) -> Result<bool> {
    let threshold = alarm.threshold().context("the alarm has no threshold")?;
    Ok(match alarm.comparison_operator() {
        Some(ComparisonOperator::GreaterThanOrEqualToThreshold) => value >= threshold,
        Some(ComparisonOperator::GreaterThanThreshold) => value > threshold,
        Some(ComparisonOperator::LessThanThreshold) => value < threshold,
        Some(ComparisonOperator::LessThanOrEqualToThreshold) => value <= threshold,
        other => bail!("comparison {other:?} is not simulated"),
    })
}

/// The statistic of a `GetMetricStatistics` datapoint.
pub(crate) fn statistic(
    point: &aws_sdk_cloudwatch::types::Datapoint,
    statistic: &Statistic,
) -> Option<f64> {
    match statistic {
        Statistic::Sum => point.sum(),
        Statistic::Average => point.average(),
        Statistic::Maximum => point.maximum(),
        Statistic::Minimum => point.minimum(),
        Statistic::SampleCount => point.sample_count(),
        _ => None,
    }
}

/// Reads the alarm `name` in the region of `cloudwatch`.
pub async fn describe(cloudwatch: &aws_sdk_cloudwatch::Client, name: &str) -> Result<MetricAlarm> {
    cloudwatch
        .describe_alarms()
        .alarm_names(name)
        .send()
        .await?
        .metric_alarms()
        .first()
        .cloned()
        .with_context(|| format!("no alarm {name}"))
}

/// Evaluates the alarm `name` at `now`; returns the change of state, if any.
pub async fn evaluate(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    name: &str,
    now: EpochMs,
) -> Result<Option<Transition>> {
    let alarm = describe(cloudwatch, name).await?;
    let period_ms = i64::from(alarm.period().context("the alarm has no period")?) * 1000;
    let periods = alarm
        .evaluation_periods()
        .context("no evaluation periods")?;
    let needed = alarm.datapoints_to_alarm().unwrap_or(periods);
    let stat = alarm
        .statistic()
        .context("the alarm has no statistic")?
        .clone();
    let end = (now - JUDGED_AFTER_MS).div_euclid(period_ms) * period_ms;
    let start = end - i64::from(periods) * period_ms;
    let points = cloudwatch
        .get_metric_statistics()
        .namespace(alarm.namespace().context("no namespace")?)
        .metric_name(alarm.metric_name().context("no metric")?)
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .start_time(DateTime::from_millis(start))
        .end_time(DateTime::from_millis(end))
        .period(alarm.period().unwrap_or(60))
        .statistics(stat.clone())
        .send()
        .await?;
    let missing = alarm.treat_missing_data().unwrap_or("missing");
    let mut window = Vec::new();
    for i in 0..i64::from(periods) {
        let period_start = start + i * period_ms;
        let value = points
            .datapoints()
            .iter()
            .filter(|p| {
                p.timestamp()
                    .is_some_and(|t| t.to_millis().ok() == Some(period_start))
            })
            .find_map(|p| statistic(p, &stat));
        let breaching = match value {
            Some(v) => breaches(&alarm, v)?,
            None => missing == "breaching",
        };
        window.push(Period {
            start: period_start,
            value,
            breaching,
        });
    }
    let breaching = window.iter().filter(|p| p.breaching).count() as i32;
    let all_missing = window.iter().all(|p| p.value.is_none());
    let state = match (missing, all_missing) {
        ("ignore", true) => return Ok(None),
        ("missing", true) => StateValue::InsufficientData,
        _ if breaching >= needed => StateValue::Alarm,
        _ => StateValue::Ok,
    };
    if alarm.state_value() == Some(&state) {
        return Ok(None);
    }
    let reason = format!(
        "Threshold Crossed: {breaching} out of the last {periods} datapoints were {} the threshold ({}) (minimum {needed} datapoints for OK -> ALARM transition).",
        if state == StateValue::Alarm {
            "breaching"
        } else {
            "not all breaching"
        },
        alarm.threshold().unwrap_or_default()
    );
    let data = serde_json::json!({
        "version": "1.0",
        "queryDate": multiregion_bench::cloudwatch::iso_ms(now),
        "startDate": multiregion_bench::cloudwatch::iso_ms(start),
        "statistic": stat.as_str(),
        "period": period_ms / 1000,
        "recentDatapoints": window.iter().map(|p| p.value).collect::<Vec<_>>(),
        "threshold": alarm.threshold(),
    });
    cloudwatch
        .set_alarm_state()
        .alarm_name(name)
        .state_value(state.clone())
        .state_reason(&reason)
        .state_reason_data(data.to_string())
        .send()
        .await?;
    Ok(Some(Transition {
        from: alarm.state_value().cloned(),
        to: state,
        reason,
        alarm: describe(cloudwatch, name).await?,
        window,
    }))
}

/// The message CloudWatch publishes to an alarm action topic (the fields
/// of "Amazon SNS notification" in the CloudWatch alarm docs).
pub fn notification(alarm: &MetricAlarm, region: &str, account: &str, old_state: &str) -> Value {
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

/// (`2026-11-24T03:07:55.123+0000`).
pub fn notification_time(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3f+0000").to_string())
        .unwrap_or_default()
}
