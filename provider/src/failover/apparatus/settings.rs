//! The `health_check {}` and `failover {}` settings: defaults in code (an
//! optional block absent from the configuration is not planned), checks with
//! attribute paths, and the effective values Terraform shows as computed
//! attributes.

use serde::{Deserialize, Serialize};
use tf_provider::value::{Value, ValueBool, ValueNumber};
use tf_provider::{AttributePath, Diagnostics};

/// Seconds the pinger may run: both probes (concurrently) and the metric.
pub const PINGER_TIMEOUT_SECONDS: i64 = 30;
/// Seconds left to the pinger after its probes, to publish its metric.
pub const METRIC_MARGIN_SECONDS: i64 = 5;

/// `health_check {}` as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthCheckBlock {
    pub interval_seconds: ValueNumber,
    pub evaluation_periods: ValueNumber,
    pub datapoints_to_alarm: ValueNumber,
    pub timeout_ms: ValueNumber,
}

/// `failover {}` as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailoverBlock {
    pub automatic: ValueBool,
    pub cooldown_seconds: ValueNumber,
    pub force_switchover: ValueBool,
}

/// The health check in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveHealthCheck {
    /// Seconds between two pinger runs (the alarm's period).
    pub interval_seconds: u32,
    /// Periods the alarm looks at.
    pub evaluation_periods: u32,
    /// Failing periods among them that raise the alarm.
    pub datapoints_to_alarm: u32,
    /// Timeout of one probe.
    pub timeout_ms: u32,
}

impl Default for EffectiveHealthCheck {
    fn default() -> Self {
        EffectiveHealthCheck {
            interval_seconds: 60,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            timeout_ms: 5000,
        }
    }
}

/// The failover settings in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveFailover {
    /// The runtime fails over by itself.
    pub automatic: bool,
    /// Seconds after a swap (or the create) before the runtime fails over.
    pub cooldown_seconds: u32,
    /// A planned switchover skips the target's health check.
    pub force_switchover: bool,
}

impl Default for EffectiveFailover {
    fn default() -> Self {
        EffectiveFailover {
            automatic: true,
            cooldown_seconds: 900,
            force_switchover: false,
        }
    }
}

/// Default retention of the apparatus's log groups, in days.
pub const DEFAULT_LOG_RETENTION_DAYS: i32 = 30;

/// The retention periods CloudWatch Logs accepts, in days.
pub const LOG_RETENTION_DAYS: &[i32] = &[
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// All settings, as the apparatus uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// The health check.
    pub health_check: EffectiveHealthCheck,
    /// Failover.
    pub failover: EffectiveFailover,
    /// Retention of the log groups, in days.
    pub log_retention_days: i32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            health_check: EffectiveHealthCheck::default(),
            failover: EffectiveFailover::default(),
            log_retention_days: DEFAULT_LOG_RETENTION_DAYS,
        }
    }
}

/// `effective_health_check`, as Terraform shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectiveHealthCheckValue {
    pub interval_seconds: ValueNumber,
    pub evaluation_periods: ValueNumber,
    pub datapoints_to_alarm: ValueNumber,
    pub timeout_ms: ValueNumber,
}

impl From<EffectiveHealthCheck> for EffectiveHealthCheckValue {
    fn from(h: EffectiveHealthCheck) -> Self {
        EffectiveHealthCheckValue {
            interval_seconds: Value::Value(i64::from(h.interval_seconds)),
            evaluation_periods: Value::Value(i64::from(h.evaluation_periods)),
            datapoints_to_alarm: Value::Value(i64::from(h.datapoints_to_alarm)),
            timeout_ms: Value::Value(i64::from(h.timeout_ms)),
        }
    }
}

/// `effective_failover`, as Terraform shows it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EffectiveFailoverValue {
    pub automatic: ValueBool,
    pub cooldown_seconds: ValueNumber,
    pub force_switchover: ValueBool,
}

impl From<EffectiveFailover> for EffectiveFailoverValue {
    fn from(f: EffectiveFailover) -> Self {
        EffectiveFailoverValue {
            automatic: Value::Value(f.automatic),
            cooldown_seconds: Value::Value(i64::from(f.cooldown_seconds)),
            force_switchover: Value::Value(f.force_switchover),
        }
    }
}

fn number(value: &ValueNumber, default: u32) -> Option<u32> {
    match value {
        Value::Value(n) => u32::try_from(*n).ok(),
        Value::Null => Some(default),
        Value::Unknown => None,
    }
}

/// The settings in effect, checking each value with its path; `None` while
/// a value is unknown or wrong (errors in `diags`).
pub fn effective(
    health_check: &Value<HealthCheckBlock>,
    failover: &Value<FailoverBlock>,
    log_retention_days: &ValueNumber,
    diags: &mut Diagnostics,
) -> Option<Settings> {
    let errors_before = diags.errors.len();
    let defaults = Settings::default();
    let path = |attribute: &'static str| {
        AttributePath::new("health_check")
            .index(0)
            .attribute(attribute)
    };
    let health = match health_check {
        Value::Value(block) => {
            let interval = number(
                &block.interval_seconds,
                defaults.health_check.interval_seconds,
            );
            let periods = number(
                &block.evaluation_periods,
                defaults.health_check.evaluation_periods,
            );
            let datapoints = number(
                &block.datapoints_to_alarm,
                defaults.health_check.datapoints_to_alarm,
            );
            let timeout = number(&block.timeout_ms, defaults.health_check.timeout_ms);
            if let Some(interval) = interval
                && (interval < 60 || interval % 60 != 0 || interval > 3600)
            {
                diags.error(
                    "Invalid health check interval",
                    format!("interval_seconds is {interval}; use a multiple of 60 from 60 to 3600 (the pinger runs on an EventBridge rate schedule, in minutes)."),
                    path("interval_seconds"),
                );
            }
            if let Some(periods) = periods
                && !(1..=10).contains(&periods)
            {
                diags.error(
                    "Invalid evaluation periods",
                    format!("evaluation_periods is {periods}; use 1 to 10."),
                    path("evaluation_periods"),
                );
            }
            if let (Some(datapoints), Some(periods)) = (datapoints, periods)
                && (datapoints == 0 || datapoints > periods)
            {
                diags.error(
                    "Invalid datapoints to alarm",
                    format!("datapoints_to_alarm is {datapoints}; use 1 to evaluation_periods ({periods})."),
                    path("datapoints_to_alarm"),
                );
            }
            let limit = (PINGER_TIMEOUT_SECONDS - METRIC_MARGIN_SECONDS) * 1000;
            if let Some(timeout) = timeout
                && (timeout < 100 || i64::from(timeout) > limit)
            {
                diags.error(
                    "Invalid probe timeout",
                    format!(
                        "timeout_ms is {timeout}; use 100 to {limit}: the pinger's timeout is {PINGER_TIMEOUT_SECONDS} s and it needs {METRIC_MARGIN_SECONDS} s after its probes to publish its metric."
                    ),
                    path("timeout_ms"),
                );
            }
            Some(EffectiveHealthCheck {
                interval_seconds: interval?,
                evaluation_periods: periods?,
                datapoints_to_alarm: datapoints?,
                timeout_ms: timeout?,
            })
        }
        Value::Null => Some(defaults.health_check),
        Value::Unknown => None,
    };
    let failover = match failover {
        Value::Value(block) => {
            let cooldown = number(&block.cooldown_seconds, defaults.failover.cooldown_seconds);
            if let Some(cooldown) = cooldown
                && cooldown > 7 * 86_400
            {
                diags.error(
                    "Invalid cooldown",
                    format!("cooldown_seconds is {cooldown}; use 0 to 604800 (a week)."),
                    AttributePath::new("failover")
                        .index(0)
                        .attribute("cooldown_seconds"),
                );
            }
            let flag = |v: &ValueBool, d: bool| match v {
                Value::Value(b) => Some(*b),
                Value::Null => Some(d),
                Value::Unknown => None,
            };
            Some(EffectiveFailover {
                automatic: flag(&block.automatic, defaults.failover.automatic)?,
                cooldown_seconds: cooldown?,
                force_switchover: flag(
                    &block.force_switchover,
                    defaults.failover.force_switchover,
                )?,
            })
        }
        Value::Null => Some(defaults.failover),
        Value::Unknown => None,
    };
    let retention = match log_retention_days {
        Value::Value(days) => {
            let days = i32::try_from(*days).unwrap_or(-1);
            if !LOG_RETENTION_DAYS.contains(&days) {
                diags.error(
                    "Invalid log retention",
                    format!("log_retention_days is {days}; CloudWatch Logs accepts {LOG_RETENTION_DAYS:?}."),
                    AttributePath::new("log_retention_days"),
                );
            }
            Some(days)
        }
        Value::Null => Some(DEFAULT_LOG_RETENTION_DAYS),
        Value::Unknown => None,
    };
    if diags.errors.len() > errors_before {
        return None;
    }
    Some(Settings {
        health_check: health?,
        failover: failover?,
        log_retention_days: retention?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(block: HealthCheckBlock) -> Vec<String> {
        let mut diags = Diagnostics::default();
        effective(&Value::Value(block), &Value::Null, &Value::Null, &mut diags);
        diags
            .errors
            .iter()
            .map(|d| d.attribute.to_string())
            .collect()
    }

    #[test]
    fn absent_blocks_take_the_defaults() {
        let mut diags = Diagnostics::default();
        assert_eq!(
            effective(&Value::Null, &Value::Null, &Value::Null, &mut diags),
            Some(Settings::default())
        );
        effective(&Value::Null, &Value::Null, &Value::Value(10), &mut diags);
        assert_eq!(diags.errors[0].attribute.to_string(), "log_retention_days");
    }

    #[test]
    fn each_rule_is_checked_at_its_path() {
        let cases = [
            (
                HealthCheckBlock {
                    interval_seconds: Value::Value(90),
                    ..Default::default()
                },
                "health_check[0].interval_seconds",
            ),
            (
                HealthCheckBlock {
                    interval_seconds: Value::Value(30),
                    ..Default::default()
                },
                "health_check[0].interval_seconds",
            ),
            (
                HealthCheckBlock {
                    evaluation_periods: Value::Value(2),
                    datapoints_to_alarm: Value::Value(3),
                    ..Default::default()
                },
                "health_check[0].datapoints_to_alarm",
            ),
            (
                HealthCheckBlock {
                    timeout_ms: Value::Value(30_000),
                    ..Default::default()
                },
                "health_check[0].timeout_ms",
            ),
        ];
        for (block, path) in cases {
            assert_eq!(errors(block), [path]);
        }
        assert!(
            errors(HealthCheckBlock {
                interval_seconds: Value::Value(120),
                timeout_ms: Value::Value(25_000),
                ..Default::default()
            })
            .is_empty()
        );
    }
}
