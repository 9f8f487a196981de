//! The computed figures (DESIGN §3.7): the worst-case detection time, the
//! state machine's time budget and the monthly cost, from the health check
//! in effect. Pure functions of the configuration: plan computes them, and
//! apply and read write the same values.

use multiregion_core::estimate::{
    Usage, detection_time_seconds, monthly_cost, swap_budget_seconds, usd,
};
use multiregion_core::statemachine::Timing;
use serde::{Deserialize, Serialize};
use tf_provider::value::{Value, ValueNumber, ValueString};

use super::apparatus::EffectiveHealthCheck;
use super::state::{FailoverState, string};

/// `monthly_cost_usd`, as Terraform shows it: decimal dollar strings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MonthlyCostValue<'a> {
    pub without_free_tier: ValueString<'a>,
    pub with_free_tier: ValueString<'a>,
}

/// The figures of one health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// `detection_time_seconds`.
    pub detection_time_seconds: u64,
    /// `swap_budget_seconds`.
    pub swap_budget_seconds: u64,
    /// `monthly_cost_usd.without_free_tier`.
    pub without_free_tier_usd: String,
    /// `monthly_cost_usd.with_free_tier`.
    pub with_free_tier_usd: String,
}

/// The figures of `health`, with the state machine the provider deploys
/// (the default [`Timing`]) and the default usage assumptions.
pub fn figures(health: &EffectiveHealthCheck) -> Figures {
    let health = health.core();
    let timing = Timing::default();
    let cost = monthly_cost(&health, &timing, &Usage::default());
    Figures {
        detection_time_seconds: detection_time_seconds(&health),
        swap_budget_seconds: swap_budget_seconds(&health, &timing),
        without_free_tier_usd: usd(cost.without_free_tier_micros),
        with_free_tier_usd: usd(cost.with_free_tier_micros),
    }
}

fn number(n: u64) -> ValueNumber {
    Value::Value(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Writes the figures of `health` into `state`; `None` (a setting still
/// unknown or invalid) leaves them unknown.
pub fn write(state: &mut FailoverState<'_>, health: Option<&EffectiveHealthCheck>) {
    match health.map(figures) {
        Some(f) => {
            state.detection_time_seconds = number(f.detection_time_seconds);
            state.swap_budget_seconds = number(f.swap_budget_seconds);
            state.monthly_cost_usd = Value::Value(MonthlyCostValue {
                without_free_tier: string(f.without_free_tier_usd),
                with_free_tier: string(f.with_free_tier_usd),
            });
        }
        None => {
            state.detection_time_seconds = Value::Unknown;
            state.swap_budget_seconds = Value::Unknown;
            state.monthly_cost_usd = Value::Unknown;
        }
    }
}

/// Plans the figures from the configuration's `health_check {}` alone:
/// unknown while one of its values is unknown (or invalid: the validation
/// says why).
pub fn plan(planned: &mut FailoverState<'_>, config: &FailoverState<'_>) {
    let mut scratch = tf_provider::Diagnostics::default();
    let health = super::validate::settings::effective(
        &config.health_check,
        &Value::Null,
        &Value::Null,
        &mut scratch,
    )
    .map(|settings| settings.health_check);
    write(planned, health.as_ref());
}

#[cfg(test)]
mod tests;
