//! The `health_check {}` and `failover {}` settings: defaults in code (an
//! optional block absent from the configuration is not planned) and the
//! effective values Terraform shows as computed attributes. Their checks,
//! with attribute paths, are in `validate::settings`.

use serde::{Deserialize, Serialize};
use tf_provider::value::{Value, ValueBool, ValueNumber};

use crate::number::ConfiguredNumber;

/// Seconds the pinger may run: both probes (concurrently) and the metric
/// (the core's figure, which its timeout check uses).
pub const PINGER_TIMEOUT_SECONDS: i64 = multiregion_core::settings::PINGER_TIMEOUT_SECONDS as i64;

/// `health_check {}` as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HealthCheckBlock {
    pub interval_seconds: ConfiguredNumber,
    pub evaluation_periods: ConfiguredNumber,
    pub datapoints_to_alarm: ConfiguredNumber,
    pub timeout_ms: ConfiguredNumber,
}

/// `failover {}` as configured.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FailoverBlock {
    pub automatic: ValueBool,
    pub cooldown_seconds: ConfiguredNumber,
    pub force_switchover: ValueBool,
    pub max_automatic_swaps_per_day: ConfiguredNumber,
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
            timeout_ms: 2000,
        }
    }
}

impl EffectiveHealthCheck {
    /// The same settings as the core's type, which derives the schedule, the
    /// relay of sub-minute ticks, the alarm's period and the estimates.
    pub fn core(&self) -> multiregion_core::settings::HealthCheck {
        multiregion_core::settings::HealthCheck {
            interval_seconds: u64::from(self.interval_seconds),
            evaluation_periods: self.evaluation_periods,
            datapoints_to_alarm: self.datapoints_to_alarm,
            timeout_ms: u64::from(self.timeout_ms),
        }
    }
}

/// The failover settings in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectiveFailover {
    /// The runtime fails over by itself.
    pub automatic: bool,
    /// Seconds after a swap that moved traffic before the runtime fails over
    /// (the ledger written at create does not count).
    pub cooldown_seconds: u32,
    /// A planned switchover skips the target's health check.
    pub force_switchover: bool,
    /// Automatic swaps in 24 hours after which the circuit breaker pauses
    /// automation in both regions.
    pub max_automatic_swaps_per_day: u32,
}

impl Default for EffectiveFailover {
    fn default() -> Self {
        EffectiveFailover {
            automatic: true,
            cooldown_seconds: 900,
            force_switchover: false,
            max_automatic_swaps_per_day: multiregion_core::deployment::DEFAULT_MAX_AUTOMATIC_SWAPS,
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
    pub max_automatic_swaps_per_day: ValueNumber,
}

impl From<EffectiveFailover> for EffectiveFailoverValue {
    fn from(f: EffectiveFailover) -> Self {
        EffectiveFailoverValue {
            automatic: Value::Value(f.automatic),
            cooldown_seconds: Value::Value(i64::from(f.cooldown_seconds)),
            force_switchover: Value::Value(f.force_switchover),
            max_automatic_swaps_per_day: Value::Value(i64::from(f.max_automatic_swaps_per_day)),
        }
    }
}
