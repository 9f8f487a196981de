//! The runtime's settings: how failure is detected (`health_check {}`) and
//! how the runtime acts on it (`failover {}`), with their defaults and
//! checks. The provider plans from these, the alarm and the schedule are
//! derived from them, and [`crate::estimate`] computes the detection time
//! and the monthly cost from them.
//!
//! Every check names the field and says what to do. Terraform numbers are
//! `i64`; [`non_negative`] turns one into the unsigned value these types
//! hold, with the same kind of error.

use serde::{Deserialize, Serialize};

/// Seconds the pinger function may run: both probes (concurrently) and the
/// metric it publishes afterwards. The provider gives the pinger this
/// timeout.
pub const PINGER_TIMEOUT_SECONDS: u64 = 30;

/// Seconds the pinger keeps after its probes to publish its metric.
pub const METRIC_MARGIN_SECONDS: u64 = 5;

/// Shortest probe timeout, in milliseconds.
pub const MIN_TIMEOUT_MS: u64 = 100;

/// Longest probe timeout, in milliseconds: the pinger's timeout less the
/// margin for its metric.
pub const MAX_TIMEOUT_MS: u64 = (PINGER_TIMEOUT_SECONDS - METRIC_MARGIN_SECONDS) * 1000;

/// Longest interval: CloudWatch periods are multiples of 60 s; an hour keeps
/// detection within reason.
pub const MAX_INTERVAL_SECONDS: u64 = 3600;

/// The intervals shorter than EventBridge's one minute. Each divides the
/// minute: the schedule's tick runs the pinger at once and relays the
/// minute's later ticks to it through an SQS queue with per-message delays
/// (see [`HealthCheck::relay_delays`]).
pub const SUB_MINUTE_INTERVALS: [u64; 3] = [10, 20, 30];

/// Most evaluation periods.
pub const MAX_EVALUATION_PERIODS: u32 = 10;

/// Longest cooldown: a week, the range the provider's schema documents and
/// its plan enforces (`failover.cooldown_seconds`). One limit, here.
pub const MAX_COOLDOWN_SECONDS: u64 = 7 * 86_400;

/// The delays, in seconds after a scheduled tick, of the ticks it relays at
/// `interval_seconds` (see [`HealthCheck::relay_delays`]).
pub fn relay_delays(interval_seconds: u64) -> Vec<u64> {
    if interval_seconds == 0 || interval_seconds >= 60 {
        return Vec::new();
    }
    (1..60 / interval_seconds)
        .map(|k| k * interval_seconds)
        .collect()
}

/// How the runtime detects that the active name stopped answering: each
/// region's pinger runs every `interval_seconds` and probes with
/// `timeout_ms`; the region's alarm fires when `datapoints_to_alarm` of the
/// last `evaluation_periods` periods (of `interval_seconds` each) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthCheck {
    /// Seconds between two runs of each pinger, and the alarm's period.
    pub interval_seconds: u64,
    /// Periods the alarm looks at (its `EvaluationPeriods`).
    pub evaluation_periods: u32,
    /// Failing periods among them that raise the alarm (`DatapointsToAlarm`).
    pub datapoints_to_alarm: u32,
    /// Timeout of one probe, in milliseconds.
    pub timeout_ms: u64,
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            interval_seconds: 60,
            evaluation_periods: 2,
            datapoints_to_alarm: 2,
            timeout_ms: 2000,
        }
    }
}

/// How the runtime acts on a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverSettings {
    /// The runtime fails over by itself (false: the state machines' tag
    /// `multiregion:automatic-failover` is `off`).
    pub automatic: bool,
    /// Seconds after a swap that moved traffic before the runtime fails over
    /// again (the ledger written at create does not count).
    pub cooldown_seconds: u64,
}

impl Default for FailoverSettings {
    fn default() -> Self {
        FailoverSettings {
            automatic: true,
            cooldown_seconds: 900,
        }
    }
}

/// A setting that cannot be used. Each names the field (as it is written in
/// the `health_check {}` or `failover {}` block) and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A number below zero.
    #[error("{field} is {value}; use a number of 0 or more")]
    Negative {
        /// The field.
        field: &'static str,
        /// The value given.
        value: i64,
    },
    /// The interval is neither a sub-minute interval nor a whole number of
    /// minutes in range.
    #[error(
        "interval_seconds is {0}; use 10, 20 or 30, or a multiple of 60 from 60 to {MAX_INTERVAL_SECONDS} \
         (EventBridge rates are whole minutes; a shorter interval must divide the minute)"
    )]
    Interval(u64),
    /// Evaluation periods out of range.
    #[error("evaluation_periods is {0}; use 1 to {MAX_EVALUATION_PERIODS}")]
    EvaluationPeriods(u32),
    /// Datapoints to alarm out of range.
    #[error(
        "datapoints_to_alarm is {datapoints}; use 1 to evaluation_periods ({evaluation_periods})"
    )]
    DatapointsToAlarm {
        /// The value given.
        datapoints: u32,
        /// The evaluation periods it must not exceed.
        evaluation_periods: u32,
    },
    /// The probe timeout does not fit the pinger.
    #[error(
        "timeout_ms is {0}; use {MIN_TIMEOUT_MS} to {MAX_TIMEOUT_MS}: the pinger's timeout is \
         {PINGER_TIMEOUT_SECONDS} s and it needs {METRIC_MARGIN_SECONDS} s after its probes to \
         publish its metric"
    )]
    Timeout(u64),
    /// The cooldown is too long.
    #[error("cooldown_seconds is {0}; use 0 to {MAX_COOLDOWN_SECONDS}")]
    Cooldown(u64),
}

impl SettingsError {
    /// The field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            SettingsError::Negative { field, .. } => field,
            SettingsError::Interval(_) => "interval_seconds",
            SettingsError::EvaluationPeriods(_) => "evaluation_periods",
            SettingsError::DatapointsToAlarm { .. } => "datapoints_to_alarm",
            SettingsError::Timeout(_) => "timeout_ms",
            SettingsError::Cooldown(_) => "cooldown_seconds",
        }
    }
}

/// A Terraform number (`i64`) as the unsigned value the settings hold.
pub fn non_negative(field: &'static str, value: i64) -> Result<u64, SettingsError> {
    u64::try_from(value).map_err(|_| SettingsError::Negative { field, value })
}

impl HealthCheck {
    /// Every problem with these settings (empty when they can be used).
    pub fn problems(&self) -> Vec<SettingsError> {
        let mut problems = Vec::new();
        let interval = self.interval_seconds;
        let minutes = interval >= 60 && interval.is_multiple_of(60);
        if !(SUB_MINUTE_INTERVALS.contains(&interval)
            || minutes && interval <= MAX_INTERVAL_SECONDS)
        {
            problems.push(SettingsError::Interval(interval));
        }
        let periods = self.evaluation_periods;
        if !(1..=MAX_EVALUATION_PERIODS).contains(&periods) {
            problems.push(SettingsError::EvaluationPeriods(periods));
        }
        if self.datapoints_to_alarm < 1 || self.datapoints_to_alarm > periods {
            problems.push(SettingsError::DatapointsToAlarm {
                datapoints: self.datapoints_to_alarm,
                evaluation_periods: periods,
            });
        }
        if !(MIN_TIMEOUT_MS..=MAX_TIMEOUT_MS).contains(&self.timeout_ms) {
            problems.push(SettingsError::Timeout(self.timeout_ms));
        }
        problems
    }

    /// The first problem with these settings, if any.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.problems().into_iter().next().map_or(Ok(()), Err)
    }

    /// The EventBridge schedule of the pinger: `rate(1 minute)`,
    /// `rate(5 minutes)` (EventBridge wants the singular for one). A
    /// sub-minute interval runs on the one-minute rate, and relays the rest.
    pub fn schedule_expression(&self) -> String {
        match self.interval_seconds / 60 {
            0 | 1 => "rate(1 minute)".to_owned(),
            minutes => format!("rate({minutes} minutes)"),
        }
    }

    /// Whether the interval is shorter than the schedule's minute, so that
    /// the minute's later ticks are relayed through the region's tick queue.
    pub fn relayed(&self) -> bool {
        self.interval_seconds < 60
    }

    /// The delays, in seconds after a scheduled tick, of the ticks it relays
    /// (`[10, 20, 30, 40, 50]` at 10 s; none at 60 s and up). SQS delivers a
    /// message no sooner than its `DelaySeconds` (0 to 900).
    pub fn relay_delays(&self) -> Vec<u64> {
        relay_delays(self.interval_seconds)
    }

    /// The paging alarm's period: the interval, and at least a minute, the
    /// shortest period of a standard-resolution metric such as Lambda's
    /// `Errors`.
    pub fn alarm_period_seconds(&self) -> u64 {
        self.interval_seconds.max(60)
    }

    /// The probe timeout, in whole seconds rounded up.
    pub fn timeout_seconds(&self) -> u64 {
        self.timeout_ms.div_ceil(1000)
    }
}

impl FailoverSettings {
    /// The first problem with these settings, if any.
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.cooldown_seconds > MAX_COOLDOWN_SECONDS {
            return Err(SettingsError::Cooldown(self.cooldown_seconds));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_and_schedule_every_minute() {
        let health = HealthCheck::default();
        assert_eq!(health.validate(), Ok(()));
        assert_eq!(FailoverSettings::default().validate(), Ok(()));
        assert_eq!(health.schedule_expression(), "rate(1 minute)");
        let five = HealthCheck {
            interval_seconds: 300,
            ..health
        };
        assert_eq!(five.schedule_expression(), "rate(5 minutes)");
        assert_eq!(health.timeout_seconds(), 2);
        assert!(!health.relayed());
        assert_eq!(health.relay_delays(), Vec::<u64>::new());
        assert_eq!(five.alarm_period_seconds(), 300);
    }

    #[test]
    fn a_sub_minute_interval_runs_every_minute_and_relays_the_rest() {
        let at = |interval_seconds| HealthCheck {
            interval_seconds,
            ..HealthCheck::default()
        };
        assert_eq!(at(10).validate(), Ok(()));
        assert_eq!(at(20).validate(), Ok(()));
        assert_eq!(at(30).validate(), Ok(()));
        assert_eq!(at(10).schedule_expression(), "rate(1 minute)");
        assert_eq!(at(10).relay_delays(), [10, 20, 30, 40, 50]);
        assert_eq!(at(20).relay_delays(), [20, 40]);
        assert_eq!(at(30).relay_delays(), [30]);
        assert!(at(30).relayed());
        assert_eq!(at(10).alarm_period_seconds(), 60);
    }

    #[test]
    fn each_problem_names_its_field_and_what_to_do() {
        let ok = HealthCheck::default();
        let cases = [
            (
                HealthCheck {
                    interval_seconds: 90,
                    ..ok
                },
                "interval_seconds",
                "multiple of 60",
            ),
            (
                HealthCheck {
                    interval_seconds: 15,
                    ..ok
                },
                "interval_seconds",
                "use 10, 20 or 30, or a multiple of 60 from 60",
            ),
            (
                HealthCheck {
                    interval_seconds: 0,
                    ..ok
                },
                "interval_seconds",
                "use 10, 20 or 30",
            ),
            (
                HealthCheck {
                    interval_seconds: 40,
                    ..ok
                },
                "interval_seconds",
                "must divide the minute",
            ),
            (
                HealthCheck {
                    evaluation_periods: 0,
                    datapoints_to_alarm: 0,
                    ..ok
                },
                "evaluation_periods",
                "1 to 10",
            ),
            (
                HealthCheck {
                    datapoints_to_alarm: 3,
                    ..ok
                },
                "datapoints_to_alarm",
                "1 to evaluation_periods (2)",
            ),
            (
                HealthCheck {
                    timeout_ms: 30_000,
                    ..ok
                },
                "timeout_ms",
                "100 to 25000",
            ),
        ];
        for (settings, field, advice) in cases {
            let error = settings.validate().expect_err(field);
            assert_eq!(error.field(), field, "{error}");
            assert!(error.to_string().contains(advice), "{error}");
        }
        let cooldown = FailoverSettings {
            cooldown_seconds: MAX_COOLDOWN_SECONDS + 1,
            ..FailoverSettings::default()
        };
        assert_eq!(
            cooldown.validate().map_err(|e| e.field()),
            Err("cooldown_seconds")
        );
        assert_eq!(
            non_negative("cooldown_seconds", -1).map_err(|e| e.to_string()),
            Err("cooldown_seconds is -1; use a number of 0 or more".to_owned())
        );
        assert_eq!(non_negative("timeout_ms", 7), Ok(7));
    }

    #[test]
    fn problems_lists_every_problem_at_once() {
        let bad = HealthCheck {
            interval_seconds: 61,
            evaluation_periods: 11,
            datapoints_to_alarm: 12,
            timeout_ms: 1,
        };
        let fields: Vec<&str> = bad.problems().iter().map(SettingsError::field).collect();
        assert_eq!(
            fields,
            [
                "interval_seconds",
                "evaluation_periods",
                "datapoints_to_alarm",
                "timeout_ms"
            ]
        );
    }
}
