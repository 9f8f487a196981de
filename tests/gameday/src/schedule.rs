//! EventBridge's schedule of the pinger, which moto does not fire.
//!
//! The harness reads the rule back from EventBridge in moto
//! (`DescribeRule`: its `rate(...)` expression; `ListTargetsByRule`: the
//! pinger and the target's retry policy) and fires it on the virtual clock.
//! A rate rule fires once per rate; "the minimum precision for schedules is
//! 1 minute" ([`SCHEDULE_PRECISION_SECONDS`],
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>),
//! so a tick lands somewhere within its minute: the harness fires at a fixed
//! offset into the minute (`phase`), zero unless a scenario moves it.
//!
//! EventBridge invokes Lambda asynchronously. When Lambda refuses (the
//! region's Lambda is down), EventBridge retries per the target's
//! `RetryPolicy`; the contract sets no retry and a 60 s event age (the next
//! tick is the retry), so a refused tick is dropped. EventBridge's own retry
//! schedule is not documented, and the harness refuses to run a target that
//! asks for retries rather than guess it.

use anyhow::{Context, Result, bail};
use multiregion_bench::Bench;
use multiregion_bench::clock::EpochMs;
use multiregion_core::estimate::figures::SCHEDULE_PRECISION_SECONDS;
use serde_json::{Value, json};

use crate::runtime::apparatus;

/// A rule's schedule, as EventBridge has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// The rule's ARN (the event's `resources`).
    pub rule_arn: String,
    /// The rate, in milliseconds.
    pub rate_ms: EpochMs,
    /// The target's ARN.
    pub target_arn: String,
    /// How far into its minute a tick fires, in milliseconds.
    pub phase_ms: EpochMs,
}

/// The rate of a `rate(N unit)` expression, in milliseconds.
pub fn parse_rate(expression: &str) -> Result<EpochMs> {
    let inner = expression
        .strip_prefix("rate(")
        .and_then(|r| r.strip_suffix(')'))
        .with_context(|| format!("{expression:?} is not a rate expression"))?;
    let (value, unit) = inner
        .split_once(' ')
        .with_context(|| format!("{expression:?} has no unit"))?;
    let value: i64 = value.parse()?;
    let unit_ms = match (value, unit) {
        (1, "minute") | (2.., "minutes") => 60_000,
        (1, "hour") | (2.., "hours") => 3_600_000,
        (1, "day") | (2.., "days") => 86_400_000,
        _ => bail!("{expression:?}: EventBridge wants `1 minute`, `5 minutes`, ..."),
    };
    Ok(value * unit_ms)
}

/// Reads the rule `rule` of `region` from EventBridge.
pub async fn read(bench: &Bench, region: &str, rule: &str, phase_ms: EpochMs) -> Result<Schedule> {
    let events = |target: &'static str, body: Value| {
        apparatus::events(bench, "gameday", region, target, body)
    };
    if !(0..(SCHEDULE_PRECISION_SECONDS as EpochMs * 1000)).contains(&phase_ms) {
        bail!("a tick fires within its minute: phase {phase_ms} ms");
    }
    let described = events("DescribeRule", json!({ "Name": rule })).await?;
    if described["State"] != "ENABLED" {
        bail!("the rule {rule} is {}", described["State"]);
    }
    let expression = described["ScheduleExpression"]
        .as_str()
        .context("the rule has no schedule")?;
    let targets = events("ListTargetsByRule", json!({ "Rule": rule })).await?;
    let target = targets["Targets"]
        .as_array()
        .and_then(|t| t.first())
        .context("the rule has no target")?;
    let retries = target["RetryPolicy"]["MaximumRetryAttempts"].as_i64();
    if retries != Some(0) {
        bail!(
            "the target retries {retries:?} times: EventBridge's retry schedule is not documented, so it is not simulated"
        );
    }
    Ok(Schedule {
        rule_arn: described["Arn"].as_str().unwrap_or_default().to_owned(),
        rate_ms: parse_rate(expression)?,
        target_arn: target["Arn"].as_str().unwrap_or_default().to_owned(),
        phase_ms,
    })
}

impl Schedule {
    /// The first tick after `now`.
    pub fn first_after(&self, now: EpochMs) -> EpochMs {
        (now.div_euclid(60_000) + 1) * 60_000 + self.phase_ms
    }

    /// The scheduled event of the tick at `at` in `region`.
    pub fn event(&self, at: EpochMs, region: &str, account: &str) -> Value {
        let time = chrono::DateTime::from_timestamp_millis(at - at.rem_euclid(1000))
            .map(|t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .unwrap_or_default();
        json!({
            "version": "0",
            "id": format!("tick-{region}-{at}"),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": time,
            "region": region,
            "resources": [self.rule_arn],
            "detail": {}
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_rate_expressions_as_eventbridge_writes_them() {
        assert_eq!(parse_rate("rate(1 minute)").unwrap(), 60_000);
        assert_eq!(parse_rate("rate(5 minutes)").unwrap(), 300_000);
        assert_eq!(parse_rate("rate(1 hour)").unwrap(), 3_600_000);
        assert!(parse_rate("rate(1 minutes)").is_err());
        assert!(parse_rate("cron(0 * * * ? *)").is_err());
        let schedule = Schedule {
            rule_arn: "arn".into(),
            rate_ms: 60_000,
            target_arn: "pinger".into(),
            phase_ms: 0,
        };
        assert_eq!(schedule.first_after(90_000), 120_000);
        assert_eq!(
            schedule.event(120_000, "us-west-2", "1")["time"],
            "1970-01-01T00:02:00Z"
        );
    }
}
