//! Route 53's health checkers on the virtual clock, for health checks that
//! watch a CloudWatch alarm (the data-plane guard's).
//!
//! Route 53 evaluates the alarm's data stream itself, not the alarm's
//! state: `SetAlarmState` cannot force a health check. So the checkers here
//! re-evaluate Route 53's copy of the alarm's definition
//! ([`multiregion_bench::alarm_checks::AlarmConfiguration`]: metric,
//! dimensions, statistic, period, evaluation periods, threshold,
//! comparison) over the datapoints CloudWatch in moto holds, and set the
//! health check's status in the bench, where the resolvers read it
//! ([`multiregion_bench::health`]).
//!
//! - A window is the `EvaluationPeriods` most recent whole periods that
//!   ended at least [`LAMBDA_METRIC_DELAY_SECONDS`] ago, as for alarms.
//! - Every period has data and breaches: unhealthy. Every period has data
//!   and one does not breach: healthy. A period without data makes the
//!   window insufficient, and `InsufficientDataHealthStatus` decides
//!   (`Healthy`, `Unhealthy`, or `LastKnownStatus`: the last verdict,
//!   healthy when there is none). Route 53 copies neither
//!   `DatapointsToAlarm` nor `TreatMissingData`, so neither counts here.
//! - A disabled health check is healthy; an inverted one is flipped
//!   ("Disabled", "Inverted": Route 53 API Reference, HealthCheckConfig).
//! - AWS documents no delay between a window's verdict and the DNS answer
//!   it changes. The checkers apply a verdict [`reaction`](HealthCheckers::new)
//!   later; the default, [`DEFAULT_REACTION_SECONDS`], is one standard
//!   request interval of Route 53's endpoint checkers (30 s). It is a figure
//!   to measure on live AWS.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_smithy_types::DateTime;
use multiregion_bench::Bench;
use multiregion_bench::alarm_checks::{AlarmCheck, AlarmConfiguration};
use multiregion_bench::clock::EpochMs;
use multiregion_bench::moto_client::MotoClient;
use multiregion_core::estimate::figures::LAMBDA_METRIC_DELAY_SECONDS;

/// The default delay between a verdict and the answer it changes.
pub const DEFAULT_REACTION_SECONDS: u64 = 30;

/// Whether a value breaches per `comparison`.
fn breaches(config: &AlarmConfiguration, value: f64) -> bool {
    match config.comparison.as_str() {
        "GreaterThanOrEqualToThreshold" => value >= config.threshold,
        "GreaterThanThreshold" => value > config.threshold,
        "LessThanThreshold" => value < config.threshold,
        _ => value <= config.threshold,
    }
}

/// The verdict on a window of per-period values (`None`: no data):
/// healthy or not.
pub fn judge(check: &AlarmCheck, last: Option<bool>, window: &[Option<f64>]) -> bool {
    let values: Option<Vec<f64>> = window.iter().copied().collect();
    match values {
        Some(values) if !values.is_empty() => {
            !values.iter().all(|v| breaches(&check.configuration, *v))
        }
        _ => match check.insufficient_data.as_str() {
            "Healthy" => true,
            "Unhealthy" => false,
            _ => last.unwrap_or(true),
        },
    }
}

/// A status change the checkers applied.
#[derive(Debug, Clone, PartialEq)]
pub struct StatusChange {
    /// When it took effect (ms on the bench's clock).
    pub at: EpochMs,
    /// The health check.
    pub id: String,
    /// Its new status.
    pub healthy: bool,
    /// The window that decided it, per period.
    pub window: Vec<Option<f64>>,
}

/// The health checkers.
#[derive(Debug)]
pub struct HealthCheckers {
    reaction_ms: EpochMs,
    last: HashMap<String, bool>,
    pending: Vec<StatusChange>,
}

impl HealthCheckers {
    /// Checkers whose verdicts change answers `reaction` after the window.
    pub fn new(reaction: Duration) -> Self {
        HealthCheckers {
            reaction_ms: reaction.as_millis() as EpochMs,
            last: HashMap::new(),
            pending: Vec::new(),
        }
    }

    /// Evaluates every health check on an alarm at `now`, and applies the
    /// verdicts that are due. `cloudwatch` has a client per region.
    pub async fn evaluate(
        &mut self,
        bench: &Bench,
        cloudwatch: &HashMap<String, aws_sdk_cloudwatch::Client>,
        now: EpochMs,
    ) -> Result<Vec<StatusChange>> {
        let flags = flags(&MotoClient::new(bench.moto_url())).await?;
        for (id, check) in bench.proxy().alarm_checks().all() {
            let client = cloudwatch
                .get(&check.region)
                .with_context(|| format!("no CloudWatch client for {}", check.region))?;
            let window = window(client, &check.configuration, now).await?;
            let last = self.last.get(&id).copied();
            let (disabled, inverted) = flags.get(&id).copied().unwrap_or_default();
            let judged = judge(&check, last, &window);
            let healthy = disabled || (judged != inverted);
            if last != Some(healthy) {
                self.last.insert(id.clone(), healthy);
                self.pending.push(StatusChange {
                    at: now + self.reaction_ms,
                    id,
                    healthy,
                    window,
                });
            }
        }
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|c| c.at <= now);
        self.pending = later;
        for change in &due {
            bench.fronts().health().set(&change.id, change.healthy);
        }
        Ok(due)
    }
}

/// (disabled, inverted) of every health check, as moto keeps them.
async fn flags(moto: &MotoClient) -> Result<HashMap<String, (bool, bool)>> {
    let listing = moto.route53_get("/2013-04-01/healthcheck").await?;
    Ok(listing
        .child("HealthChecks")
        .into_iter()
        .flat_map(|l| l.children_named("HealthCheck"))
        .filter_map(|check| {
            let config = check.child("HealthCheckConfig")?;
            let flag = |name: &str| config.child_text(name) == Some("true");
            Some((
                check.child_text("Id")?.to_owned(),
                (flag("Disabled"), flag("Inverted")),
            ))
        })
        .collect())
}

/// The statistic of each period of the window that ends at `now`.
async fn window(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    config: &AlarmConfiguration,
    now: EpochMs,
) -> Result<Vec<Option<f64>>> {
    let period_ms = i64::from(config.period) * 1000;
    let judged_after = (LAMBDA_METRIC_DELAY_SECONDS * 1000) as EpochMs;
    let end = (now - judged_after).div_euclid(period_ms) * period_ms;
    let start = end - i64::from(config.evaluation_periods) * period_ms;
    let statistic = Statistic::from(config.statistic.as_str());
    let points = cloudwatch
        .get_metric_statistics()
        .namespace(&config.namespace)
        .metric_name(&config.metric_name)
        .set_dimensions(Some(
            config
                .dimensions
                .iter()
                .map(|(name, value)| Dimension::builder().name(name).value(value).build())
                .collect(),
        ))
        .start_time(DateTime::from_millis(start))
        .end_time(DateTime::from_millis(end))
        .period(config.period as i32)
        .statistics(statistic.clone())
        .send()
        .await?;
    Ok((0..i64::from(config.evaluation_periods))
        .map(|i| {
            let period_start = start + i * period_ms;
            points
                .datapoints()
                .iter()
                .filter(|p| {
                    p.timestamp()
                        .is_some_and(|t| t.to_millis().ok() == Some(period_start))
                })
                .find_map(|p| crate::alarm::statistic(p, &statistic))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(insufficient: &str) -> AlarmCheck {
        AlarmCheck {
            region: "us-west-2".into(),
            alarm: "guard".into(),
            insufficient_data: insufficient.into(),
            configuration: AlarmConfiguration {
                namespace: "AWS/Lambda".into(),
                metric_name: "Errors".into(),
                dimensions: vec![("FunctionName".into(), "mr-guard".into())],
                statistic: "Sum".into(),
                period: 60,
                evaluation_periods: 3,
                threshold: 1.0,
                comparison: "GreaterThanOrEqualToThreshold".into(),
            },
        }
    }

    #[test]
    fn every_period_must_breach_and_missing_data_is_the_settings_call() {
        let healthy_when_unknown = check("Healthy");
        assert!(!judge(
            &healthy_when_unknown,
            None,
            &[Some(1.0), Some(2.0), Some(1.0)]
        ));
        // One good period in the window: healthy (no M of N in Route 53).
        assert!(judge(
            &healthy_when_unknown,
            None,
            &[Some(1.0), Some(0.0), Some(1.0)]
        ));
        // A period without data: the insufficient-data status decides.
        assert!(judge(
            &healthy_when_unknown,
            Some(false),
            &[Some(1.0), None, Some(1.0)]
        ));
        assert!(!judge(&check("Unhealthy"), Some(true), &[None, None, None]));
        let last_known = check("LastKnownStatus");
        assert!(!judge(&last_known, Some(false), &[None, None, None]));
        assert!(judge(&last_known, None, &[None, None, None]));
    }
}
