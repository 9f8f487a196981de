//! Computed timings and costs (DESIGN §3.7): the worst-case detection time,
//! the state machine's own time budget, and the monthly cost, from the
//! settings, the state machine's [`Timing`], the documented AWS figures in
//! [`figures`] and the prices in [`pricing`]. The provider exposes them as
//! computed attributes; the game-day scenarios hold the runtime to them.

pub mod figures;
pub mod pricing;

use serde::Serialize;

use crate::naming::Names;
use crate::region::Region;
use crate::settings::HealthCheck;
use crate::statemachine::asl::State;
use crate::statemachine::protocol::errors;
use crate::statemachine::{Timing, definition, states};
use figures::{
    ALARM_EVALUATION_INTERVAL_SECONDS, ALIAS_TTL_SECONDS, HOURS_PER_MONTH,
    LAMBDA_METRIC_DELAY_SECONDS, ROUTE53_PROPAGATION_SECONDS,
};
use pricing::{Item, price};

/// The worst case, in seconds, from the moment the active region stops
/// answering to the moment the standby's kicker starts the state machine:
///
/// ```text
/// detection = (datapoints_to_alarm + 1) × interval        the failing periods
///           + LAMBDA_METRIC_DELAY_SECONDS  (60)            the last one's metrics
///           + ALARM_EVALUATION_INTERVAL_SECONDS (60)       the next evaluation
///           + ceil(timeout_ms / 1000)                      the kicker's own probe
/// ```
///
/// Why: an outage that starts just after a successful ping leaves that
/// period healthy, so the alarm needs the `datapoints_to_alarm` periods
/// after it to fail (a failed ping, or none at all: missing data is
/// breaching); the last of them ends at most `(datapoints_to_alarm + 1) ×
/// interval` after the outage began. Lambda publishes that period's metrics
/// up to a minute after the ping ([`figures::LAMBDA_METRIC_DELAY_SECONDS`]),
/// CloudWatch evaluates the alarm once a minute
/// ([`figures::ALARM_EVALUATION_INTERVAL_SECONDS`]), and the kicker probes
/// the dead active name once more, which can take the whole probe timeout.
/// SNS's first delivery to Lambda and Lambda's asynchronous queue have no
/// documented latency and are counted as zero. The schedule's imprecision
/// ([`figures::SCHEDULE_PRECISION_SECONDS`]) moves a ping within its own
/// period only, so it does not add.
pub fn detection_time_seconds(health: &HealthCheck) -> u64 {
    (u64::from(health.datapoints_to_alarm) + 1) * health.interval_seconds
        + LAMBDA_METRIC_DELAY_SECONDS
        + ALARM_EVALUATION_INTERVAL_SECONDS
        + health.timeout_seconds()
}

/// The path a successful failover takes through the state machine, as the
/// estimates count it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FailoverPath {
    /// `CheckSync` polls until Route 53 reports INSYNC:
    /// `ceil(ROUTE53_PROPAGATION_SECONDS / sync_wait_seconds)`.
    pub insync_polls: u32,
    /// `Verify` retries until resolvers drop the old answer (the alias TTL
    /// after INSYNC), at most the definition's attempts.
    pub verify_retries: u32,
    /// Seconds the `Verify` retries wait in all.
    pub verify_wait_seconds: f64,
    /// State transitions, as Step Functions bills them (retries included):
    /// 7 + 3 per poll + 1 per verify retry.
    pub transitions: u32,
    /// Lambda invocations of one failover: both regions' kickers, the
    /// swapper's steps and the notifier.
    pub invocations: u32,
}

/// The failover path of the definition built with `timing`. The `Verify`
/// retry rule is read from the generated definition itself.
pub fn failover_path(timing: &Timing) -> FailoverPath {
    let insync_polls = ROUTE53_PROPAGATION_SECONDS
        .div_ceil(u64::from(timing.sync_wait_seconds.max(1)))
        .max(1) as u32;
    let (interval, attempts, backoff) = verify_retry(timing);
    let mut waited = 0.0;
    let mut retries = 0;
    while waited < ALIAS_TTL_SECONDS as f64 && retries < attempts {
        waited += interval * backoff.powi(retries as i32);
        retries += 1;
    }
    FailoverPath {
        insync_polls,
        verify_retries: retries,
        verify_wait_seconds: waited,
        // CheckTarget, Swap, IsSwapped; per poll WaitForSync, CheckSync,
        // IsInSync; Verify (+ its retries); Notify, Outcome, Done.
        transitions: 3 + 3 * insync_polls + 1 + retries + 3,
        // Two kickers; CheckTarget, Swap, the polls, every Verify; Notify.
        invocations: 2 + 2 + insync_polls + (1 + retries) + 1,
    }
}

/// The `Verify` state's retry on `NotServing`: (interval, attempts,
/// backoff), from the definition (the same in every region).
fn verify_retry(timing: &Timing) -> (f64, u32, f64) {
    let names = Names::new("estimate").expect("a valid name");
    let region = Region::new("us-east-1").expect("a known region");
    let machine = definition(&names, &region, "000000000000", timing);
    let Some(State::Task(verify)) = machine.states.get(states::VERIFY) else {
        unreachable!("the definition has a Verify task");
    };
    verify
        .retry
        .iter()
        .find(|r| r.error_equals.iter().any(|e| e == errors::NOT_SERVING))
        .map(|r| {
            (
                f64::from(r.interval_seconds),
                r.max_attempts,
                r.backoff_rate,
            )
        })
        .unwrap_or((0.0, 0, 1.0))
}

/// The state machine's own worst case, in seconds, from its start to the
/// public name answering from the new region (no faults injected):
///
/// ```text
/// budget = 2 × timeout                       CheckTarget's probe, Swap's re-probe
///        + ceil(60 / sync_wait) × sync_wait  INSYNC (ROUTE53_PROPAGATION_SECONDS)
///        + verify waits until ≥ 60           ALIAS_TTL_SECONDS after INSYNC
///        + verify retries × timeout          each stale probe may time out
/// ```
///
/// rounded up to whole seconds.
pub fn swap_budget_seconds(health: &HealthCheck, timing: &Timing) -> u64 {
    let path = failover_path(timing);
    let timeout = health.timeout_seconds();
    2 * timeout
        + u64::from(path.insync_polls) * u64::from(timing.sync_wait_seconds)
        + path.verify_wait_seconds.ceil() as u64
        + u64::from(path.verify_retries) * timeout
}

/// What the usage assumptions are. The defaults are estimates of a Rust
/// function at 128 MB (the provider's size) doing what ours do; they are not
/// AWS figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Failovers a month (each costs its transitions, invocations and
    /// notifications).
    pub failovers_per_month: u64,
    /// Memory of every function, in MB.
    pub memory_mb: u64,
    /// Billed milliseconds of one pinger run (two concurrent probes and one
    /// PutMetricData).
    pub pinger_ms: u64,
    /// Billed milliseconds of one ponger run.
    pub ponger_ms: u64,
    /// Billed milliseconds of one failover function run (kicker, swapper
    /// step, notifier).
    pub step_ms: u64,
    /// Log bytes of one pinger run (its JSON line and Lambda's START, END and
    /// REPORT lines).
    pub pinger_log_bytes: u64,
    /// Log bytes of one ponger run.
    pub ponger_log_bytes: u64,
    /// Log bytes of one failover function run.
    pub step_log_bytes: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            failovers_per_month: 1,
            memory_mb: 128,
            pinger_ms: 150,
            ponger_ms: 10,
            step_ms: 200,
            pinger_log_bytes: 1100,
            ponger_log_bytes: 550,
            step_log_bytes: 1000,
        }
    }
}

/// One line of the monthly cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CostLine {
    /// What.
    #[serde(skip)]
    pub item: Item,
    /// How many units a month.
    pub quantity: u64,
    /// Cost without the free tier, in micro-dollars.
    pub without_free_tier_micros: u64,
    /// Cost after the item's free tier, in micro-dollars.
    pub with_free_tier_micros: u64,
}

/// The monthly cost, in micro-dollars (10^-6 USD): Terraform numbers are
/// integers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MonthlyCost {
    /// Every priced item.
    pub lines: Vec<CostLine>,
    /// The total at list prices.
    pub without_free_tier_micros: u64,
    /// The total when the account's free tier covers nothing else (the API
    /// Gateway free tier only applies to accounts in their first year).
    pub with_free_tier_micros: u64,
}

fn micros(pico: u128) -> u64 {
    ((pico + 500_000) / 1_000_000) as u64
}

/// `micros` as a decimal dollar string, `"2.416437"`.
pub fn usd(micros: u64) -> String {
    format!("{}.{:06}", micros / 1_000_000, micros % 1_000_000)
}

/// The monthly cost of the runtime in both regions, at the prices of
/// [`pricing::PRICES`]: per interval each region's pinger runs once
/// (EventBridge), probes both names (two API Gateway requests, two ponger
/// runs) and publishes one metric (PutMetricData); each region has one
/// alarm and one custom metric; each failover costs its state transitions,
/// invocations and three SNS publishes (both alarms, the outcome).
pub fn monthly_cost(health: &HealthCheck, timing: &Timing, usage: &Usage) -> MonthlyCost {
    let regions = 2;
    let pings = regions * HOURS_PER_MONTH * 3600 / health.interval_seconds.max(60);
    let probes = 2 * pings;
    let path = failover_path(timing);
    let failover_runs = usage.failovers_per_month * u64::from(path.invocations);
    let quantities = [
        (Item::LambdaRequests, pings + probes + failover_runs),
        (
            Item::LambdaCompute,
            usage.memory_mb
                * (pings * usage.pinger_ms
                    + probes * usage.ponger_ms
                    + failover_runs * usage.step_ms),
        ),
        (Item::ApiGatewayRequests, probes),
        (Item::CloudWatchAlarms, regions),
        (Item::CloudWatchMetrics, regions),
        (Item::CloudWatchApiRequests, pings),
        (
            Item::LogsIngestion,
            pings * usage.pinger_log_bytes
                + probes * usage.ponger_log_bytes
                + failover_runs * usage.step_log_bytes,
        ),
        (Item::ScheduledEvents, pings),
        (Item::SnsPublishes, 3 * usage.failovers_per_month),
        (
            Item::StateTransitions,
            usage.failovers_per_month * u64::from(path.transitions),
        ),
    ];
    let lines: Vec<CostLine> = quantities
        .into_iter()
        .map(|(item, quantity)| {
            let price = price(item);
            CostLine {
                item,
                quantity,
                without_free_tier_micros: micros(price.cost_pico(quantity)),
                with_free_tier_micros: micros(price.cost_after_free_tier_pico(quantity)),
            }
        })
        .collect();
    MonthlyCost {
        without_free_tier_micros: lines.iter().map(|l| l.without_free_tier_micros).sum(),
        with_free_tier_micros: lines.iter().map(|l| l.with_free_tier_micros).sum(),
        lines,
    }
}

#[cfg(test)]
mod tests;
