//! The checks of `health_check {}`, `failover {}` and `log_retention_days`:
//! every number is checked as Terraform gives it (an `i64`), before it is
//! narrowed, so that a negative or huge value is an error on its path at
//! plan, never a value that silently goes missing at apply. The ranges are
//! the core's (`multiregion_core::settings`), the cooldown's is the one the
//! schema documents.

use std::ops::RangeInclusive;

use multiregion_core::settings::{
    MAX_EVALUATION_PERIODS, MAX_INTERVAL_SECONDS, MAX_TIMEOUT_MS, METRIC_MARGIN_SECONDS,
    MIN_TIMEOUT_MS, PINGER_TIMEOUT_SECONDS, SUB_MINUTE_INTERVALS,
};
use tf_provider::value::{Value, ValueBool};

use crate::number::{ConfiguredNumber, Number};
use tf_provider::{AttributePath, Diagnostics};

use crate::failover::apparatus::settings::{
    DEFAULT_LOG_RETENTION_DAYS, EffectiveFailover, EffectiveHealthCheck, FailoverBlock,
    HealthCheckBlock, LOG_RETENTION_DAYS, Settings,
};

/// Longest cooldown, in seconds: the core's (a week, as the schema documents).
pub const MAX_COOLDOWN_SECONDS: i64 = multiregion_core::settings::MAX_COOLDOWN_SECONDS as i64;

/// Most automatic swaps in 24 hours the circuit breaker can allow.
pub const MAX_AUTOMATIC_SWAPS_PER_DAY: i64 = 10;

/// The path of `attribute` in the optional block `block`.
fn in_block(block: &'static str, attribute: &'static str) -> AttributePath {
    AttributePath::new(block).index(0).attribute(attribute)
}

/// One number: the default when null, `None` while unknown; a fraction, or
/// a value that fails `ok`, is an error at `path` (with `advice`) and gives
/// `None` too.
#[allow(clippy::too_many_arguments)]
fn checked(
    diags: &mut Diagnostics,
    path: AttributePath,
    name: &str,
    summary: &str,
    value: &ConfiguredNumber,
    default: i64,
    ok: impl Fn(i64) -> bool,
    advice: impl Fn(i64) -> String,
) -> Option<i64> {
    let n = match value {
        Value::Value(Number::Whole(n)) => *n,
        Value::Value(Number::Fraction(x)) => {
            diags.error(
                summary.to_owned(),
                format!("{name} is {x}; use a whole number."),
                path,
            );
            return None;
        }
        Value::Null => default,
        Value::Unknown => return None,
    };
    if ok(n) {
        Some(n)
    } else {
        diags.error(summary.to_owned(), advice(n), path);
        None
    }
}

/// A number already checked to lie in a `u32` range.
fn narrow(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn within(range: RangeInclusive<i64>) -> impl Fn(i64) -> bool {
    move |n| range.contains(&n)
}

fn check_health(block: &HealthCheckBlock, diags: &mut Diagnostics) -> Option<EffectiveHealthCheck> {
    let defaults = EffectiveHealthCheck::default();
    let path = |attribute| in_block("health_check", attribute);
    let max_interval = MAX_INTERVAL_SECONDS as i64;
    let interval = checked(
        diags,
        path("interval_seconds"),
        "interval_seconds",
        "Invalid health check interval",
        &block.interval_seconds,
        i64::from(defaults.interval_seconds),
        |n| {
            SUB_MINUTE_INTERVALS.iter().any(|&s| s as i64 == n)
                || (60..=max_interval).contains(&n) && n % 60 == 0
        },
        |n| {
            format!(
                "interval_seconds is {n}; use 10, 20 or 30, or a multiple of 60 from 60 to {max_interval}. \
                 The pinger runs on an EventBridge rate schedule, in minutes; a shorter interval must divide the minute, \
                 and the schedule's tick relays the rest through an SQS queue (the plan's monthly_cost_usd shows its price)."
            )
        },
    );
    let max_periods = i64::from(MAX_EVALUATION_PERIODS);
    let periods = checked(
        diags,
        path("evaluation_periods"),
        "evaluation_periods",
        "Invalid evaluation periods",
        &block.evaluation_periods,
        i64::from(defaults.evaluation_periods),
        within(1..=max_periods),
        |n| format!("evaluation_periods is {n}; use 1 to {max_periods}."),
    );
    // Checked against the periods in effect; while they are unknown or
    // wrong, against the widest they can be.
    let bound = periods.unwrap_or(max_periods);
    let datapoints = checked(
        diags,
        path("datapoints_to_alarm"),
        "datapoints_to_alarm",
        "Invalid datapoints to alarm",
        &block.datapoints_to_alarm,
        i64::from(defaults.datapoints_to_alarm),
        within(1..=bound),
        |n| match periods {
            Some(p) => format!("datapoints_to_alarm is {n}; use 1 to evaluation_periods ({p})."),
            None => format!("datapoints_to_alarm is {n}; use 1 to evaluation_periods."),
        },
    );
    let (min, max) = (MIN_TIMEOUT_MS as i64, MAX_TIMEOUT_MS as i64);
    let timeout = checked(
        diags,
        path("timeout_ms"),
        "timeout_ms",
        "Invalid probe timeout",
        &block.timeout_ms,
        i64::from(defaults.timeout_ms),
        within(min..=max),
        |n| {
            format!(
                "timeout_ms is {n}; use {min} to {max}: the pinger's timeout is {PINGER_TIMEOUT_SECONDS} s and it keeps {METRIC_MARGIN_SECONDS} s after its probes to finish its tick."
            )
        },
    );
    Some(EffectiveHealthCheck {
        interval_seconds: narrow(interval?),
        evaluation_periods: narrow(periods?),
        datapoints_to_alarm: narrow(datapoints?),
        timeout_ms: narrow(timeout?),
    })
}

fn check_failover(block: &FailoverBlock, diags: &mut Diagnostics) -> Option<EffectiveFailover> {
    let defaults = EffectiveFailover::default();
    let cooldown = checked(
        diags,
        in_block("failover", "cooldown_seconds"),
        "cooldown_seconds",
        "Invalid cooldown",
        &block.cooldown_seconds,
        i64::from(defaults.cooldown_seconds),
        within(0..=MAX_COOLDOWN_SECONDS),
        |n| format!("cooldown_seconds is {n}; use 0 to {MAX_COOLDOWN_SECONDS} (a week)."),
    );
    let swaps = checked(
        diags,
        in_block("failover", "max_automatic_swaps_per_day"),
        "max_automatic_swaps_per_day",
        "Invalid circuit breaker",
        &block.max_automatic_swaps_per_day,
        i64::from(defaults.max_automatic_swaps_per_day),
        within(1..=MAX_AUTOMATIC_SWAPS_PER_DAY),
        |n| {
            format!(
                "max_automatic_swaps_per_day is {n}; use 1 to {MAX_AUTOMATIC_SWAPS_PER_DAY}. \
                 To stop automatic failover altogether, set `automatic = false`."
            )
        },
    );
    let flag = |v: &ValueBool, d: bool| match v {
        Value::Value(b) => Some(*b),
        Value::Null => Some(d),
        Value::Unknown => None,
    };
    Some(EffectiveFailover {
        automatic: flag(&block.automatic, defaults.automatic)?,
        cooldown_seconds: narrow(cooldown?),
        force_switchover: flag(&block.force_switchover, defaults.force_switchover)?,
        max_automatic_swaps_per_day: narrow(swaps?),
    })
}

fn check_retention(days: &ConfiguredNumber, diags: &mut Diagnostics) -> Option<i32> {
    checked(
        diags,
        AttributePath::new("log_retention_days"),
        "log_retention_days",
        "Invalid log retention",
        days,
        i64::from(DEFAULT_LOG_RETENTION_DAYS),
        |n| LOG_RETENTION_DAYS.iter().any(|&d| i64::from(d) == n),
        |n| format!("log_retention_days is {n}; CloudWatch Logs accepts {LOG_RETENTION_DAYS:?}."),
    )
    .map(|n| i32::try_from(n).unwrap_or(DEFAULT_LOG_RETENTION_DAYS))
}

/// The settings in effect, checking each value with its path: `None` while
/// a value is unknown, or when one is wrong (with the errors in `diags`).
/// Every value that gives `None` and is known has an error.
pub fn effective(
    health_check: &Value<HealthCheckBlock>,
    failover: &Value<FailoverBlock>,
    log_retention_days: &ConfiguredNumber,
    diags: &mut Diagnostics,
) -> Option<Settings> {
    let health = match health_check {
        Value::Value(block) => check_health(block, diags),
        Value::Null => Some(EffectiveHealthCheck::default()),
        Value::Unknown => None,
    };
    let failover = match failover {
        Value::Value(block) => check_failover(block, diags),
        Value::Null => Some(EffectiveFailover::default()),
        Value::Unknown => None,
    };
    let retention = check_retention(log_retention_days, diags);
    Some(Settings {
        health_check: health?,
        failover: failover?,
        log_retention_days: retention?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(
        health: Option<HealthCheckBlock>,
        failover: Option<FailoverBlock>,
        retention: ConfiguredNumber,
    ) -> (Option<Settings>, Vec<(String, String, String)>) {
        let health = health.map_or(Value::Null, Value::Value);
        let failover = failover.map_or(Value::Null, Value::Value);
        let mut diags = Diagnostics::default();
        let settings = effective(&health, &failover, &retention, &mut diags);
        let errors = diags
            .errors
            .iter()
            .map(|d| {
                (
                    d.attribute.to_string(),
                    d.summary.to_string(),
                    d.detail.to_string(),
                )
            })
            .collect();
        (settings, errors)
    }

    #[test]
    fn absent_blocks_take_the_defaults() {
        assert_eq!(
            errors(None, None, Value::Null),
            (Some(Settings::default()), vec![])
        );
        assert_eq!(
            errors(
                Some(HealthCheckBlock::default()),
                Some(FailoverBlock::default()),
                Value::Null
            ),
            (Some(Settings::default()), vec![])
        );
    }

    /// Every bad number, at its path, with the value as written and what
    /// to do; negative and larger-than-u32 values included.
    #[test]
    fn each_bad_number_is_an_error_at_its_path() {
        let health = |edit: fn(&mut HealthCheckBlock)| {
            let mut block = HealthCheckBlock::default();
            edit(&mut block);
            errors(Some(block), None, Value::Null)
        };
        let failover = |n: i64| {
            errors(
                None,
                Some(FailoverBlock {
                    cooldown_seconds: Value::Value(Number::Whole(n)),
                    ..FailoverBlock::default()
                }),
                Value::Null,
            )
        };
        let breaker = |n: i64| {
            errors(
                None,
                Some(FailoverBlock {
                    max_automatic_swaps_per_day: Value::Value(Number::Whole(n)),
                    ..FailoverBlock::default()
                }),
                Value::Null,
            )
        };
        let cases = [
            (
                breaker(0),
                "failover[0].max_automatic_swaps_per_day",
                "max_automatic_swaps_per_day is 0; use 1 to 10. To stop automatic failover altogether, set `automatic = false`.",
            ),
            (
                breaker(11),
                "failover[0].max_automatic_swaps_per_day",
                "max_automatic_swaps_per_day is 11; use 1 to 10",
            ),
            (
                breaker(-1),
                "failover[0].max_automatic_swaps_per_day",
                "max_automatic_swaps_per_day is -1",
            ),
            (
                health(|b| b.interval_seconds = Value::Value(Number::Whole(-60))),
                "health_check[0].interval_seconds",
                "interval_seconds is -60; use 10, 20 or 30, or a multiple of 60 from 60 to 3600",
            ),
            (
                health(|b| b.interval_seconds = Value::Value(Number::Whole(0))),
                "health_check[0].interval_seconds",
                "interval_seconds is 0",
            ),
            (
                health(|b| b.interval_seconds = Value::Value(Number::Whole(90))),
                "health_check[0].interval_seconds",
                "interval_seconds is 90",
            ),
            (
                health(|b| b.interval_seconds = Value::Value(Number::Whole((1 << 32) + 60))),
                "health_check[0].interval_seconds",
                "interval_seconds is 4294967356",
            ),
            (
                health(|b| b.evaluation_periods = Value::Value(Number::Whole(-1))),
                "health_check[0].evaluation_periods",
                "evaluation_periods is -1; use 1 to 10",
            ),
            (
                health(|b| b.evaluation_periods = Value::Value(Number::Whole(11))),
                "health_check[0].evaluation_periods",
                "evaluation_periods is 11; use 1 to 10",
            ),
            (
                health(|b| b.datapoints_to_alarm = Value::Value(Number::Whole(-2))),
                "health_check[0].datapoints_to_alarm",
                "datapoints_to_alarm is -2; use 1 to evaluation_periods (2)",
            ),
            (
                health(|b| b.datapoints_to_alarm = Value::Value(Number::Whole(3))),
                "health_check[0].datapoints_to_alarm",
                "datapoints_to_alarm is 3; use 1 to evaluation_periods (2)",
            ),
            (
                health(|b| b.timeout_ms = Value::Value(Number::Whole(-1))),
                "health_check[0].timeout_ms",
                "timeout_ms is -1; use 100 to 25000",
            ),
            (
                health(|b| b.timeout_ms = Value::Value(Number::Whole(30_000))),
                "health_check[0].timeout_ms",
                "timeout_ms is 30000; use 100 to 25000",
            ),
            (
                failover(-5),
                "failover[0].cooldown_seconds",
                "cooldown_seconds is -5; use 0 to 604800",
            ),
            (
                failover(604_801),
                "failover[0].cooldown_seconds",
                "cooldown_seconds is 604801",
            ),
            (
                failover(i64::MAX),
                "failover[0].cooldown_seconds",
                "cooldown_seconds is 9223372036854775807",
            ),
            (
                errors(None, None, Value::Value(Number::Whole(-30))),
                "log_retention_days",
                "log_retention_days is -30",
            ),
            (
                errors(None, None, Value::Value(Number::Whole(10))),
                "log_retention_days",
                "log_retention_days is 10",
            ),
            (
                errors(None, None, Value::Value(Number::Whole((1 << 32) + 30))),
                "log_retention_days",
                "log_retention_days is 4294967326",
            ),
        ];
        for ((settings, errors), path, detail) in cases {
            assert_eq!(settings, None, "{path}");
            assert_eq!(errors.len(), 1, "{path}: {errors:?}");
            assert_eq!(errors[0].0, path);
            assert!(errors[0].2.starts_with(detail), "{path}: {:?}", errors[0].2);
        }
    }

    #[test]
    fn the_edges_of_each_range_are_accepted() {
        let block = HealthCheckBlock {
            interval_seconds: Value::Value(Number::Whole(3600)),
            evaluation_periods: Value::Value(Number::Whole(10)),
            datapoints_to_alarm: Value::Value(Number::Whole(10)),
            timeout_ms: Value::Value(Number::Whole(100)),
        };
        let failover = FailoverBlock {
            cooldown_seconds: Value::Value(Number::Whole(0)),
            max_automatic_swaps_per_day: Value::Value(Number::Whole(10)),
            ..FailoverBlock::default()
        };
        let (settings, errors) = errors(
            Some(block),
            Some(failover),
            Value::Value(Number::Whole(3653)),
        );
        assert_eq!(errors, vec![]);
        let settings = settings.expect("settings");
        assert_eq!(settings.health_check.interval_seconds, 3600);
        assert_eq!(settings.failover.cooldown_seconds, 0);
        assert_eq!(settings.failover.max_automatic_swaps_per_day, 10);
        assert_eq!(settings.log_retention_days, 3653);
        let one = FailoverBlock {
            max_automatic_swaps_per_day: Value::Value(Number::Whole(1)),
            ..FailoverBlock::default()
        };
        let (settings, problems) = self::errors(None, Some(one), Value::Null);
        assert_eq!(problems, vec![]);
        assert_eq!(
            settings
                .expect("settings")
                .failover
                .max_automatic_swaps_per_day,
            1
        );
    }

    /// Wrong periods still check the datapoints (against the widest bound),
    /// and every problem is reported at once.
    #[test]
    fn every_problem_is_reported_at_once() {
        let block = HealthCheckBlock {
            interval_seconds: Value::Value(Number::Whole(61)),
            evaluation_periods: Value::Value(Number::Whole(0)),
            datapoints_to_alarm: Value::Value(Number::Whole(12)),
            timeout_ms: Value::Value(Number::Whole(1)),
        };
        let (settings, errors) = errors(Some(block), None, Value::Value(Number::Whole(-1)));
        assert_eq!(settings, None);
        let paths: Vec<&str> = errors.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            paths,
            [
                "health_check[0].interval_seconds",
                "health_check[0].evaluation_periods",
                "health_check[0].datapoints_to_alarm",
                "health_check[0].timeout_ms",
                "log_retention_days",
            ]
        );
    }

    #[test]
    fn unknown_values_give_no_error_and_no_settings() {
        let block = HealthCheckBlock {
            interval_seconds: Value::Unknown,
            ..HealthCheckBlock::default()
        };
        assert_eq!(errors(Some(block), None, Value::Null), (None, vec![]));
        assert_eq!(errors(None, None, Value::Unknown), (None, vec![]));
        let mut diags = Diagnostics::default();
        assert_eq!(
            effective(&Value::Unknown, &Value::Null, &Value::Null, &mut diags),
            None
        );
        assert!(diags.errors.is_empty());
    }
}
