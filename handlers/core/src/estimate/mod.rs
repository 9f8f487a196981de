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
    ACTIVE_CHECK_SECONDS, ALIAS_TTL_SECONDS, HOURS_PER_MONTH, ROUTE53_PROPAGATION_SECONDS,
    SCHEDULE_PRECISION_SECONDS, SQS_IDLE_POLLERS, SQS_LONG_POLL_SECONDS,
};
use pricing::{Item, price};

/// The worst case, in seconds, from the moment the active region stops
/// answering to the moment the standby's pinger has seen its probe fail and
/// starts the state machine:
///
/// ```text
/// detection = interval_seconds                 the tick after the last good one
///           + SCHEDULE_PRECISION_SECONDS (60)  which may fire up to a minute late
///           + ceil(timeout_ms / 1000)          the pinger's failing probe
/// ```
///
/// Why: an outage that starts just after a good probe is seen at the next
/// tick. EventBridge runs a scheduled rule "within the minute", not on its
/// 0th second ([`figures::SCHEDULE_PRECISION_SECONDS`]), so the last good
/// tick may have fired early in its minute and the next one late in its
/// own: they can be up to `interval + 60` s apart. At a sub-minute interval
/// the scheduled tick relays the minute's later ticks, at `interval`,
/// `2 × interval`, ... after itself; the last of them and the next minute's
/// scheduled tick are then up to `interval + 60` s apart in the same way.
/// SQS delivers a delayed message no sooner than its delay, and the event
/// source mapping's long polls pick it up at once; neither documents a
/// latency, and both count as zero. The probe then fails by
/// its timeout at the latest. Lambda's asynchronous queue and
/// `StartExecution` have no documented latency and count as zero. A bound,
/// not a typical figure: with ticks on a steady second, the gap is the
/// interval.
pub fn detection_time_seconds(health: &HealthCheck) -> u64 {
    health.interval_seconds + SCHEDULE_PRECISION_SECONDS + health.timeout_seconds()
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
    /// 11 + 3 per poll + 1 per verify retry.
    pub transitions: u32,
    /// Lambda invocations of one failover beyond the pinger's own tick: the
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
        // Confirm, IsBlip, WaitToConfirm, CheckTarget, IsSwapNeeded, Swap,
        // IsSwapped; per poll WaitForSync, CheckSync, IsInSync; Verify (+ its
        // retries); Notify, Outcome, Done.
        transitions: 7 + 3 * insync_polls + 1 + retries + 3,
        // Confirm, CheckTarget, Swap, the polls, every Verify; Notify.
        invocations: 3 + insync_polls + (1 + retries) + 1,
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

/// The state machine's worst case, in seconds, from its start to the first
/// client answered by the new region:
///
/// ```text
/// budget = ceil(timeout_ms / 1000)       Confirm: the first confirmation probe
///        + confirm_wait_seconds (10)     the confirmations are 10 s apart
///        + ceil(timeout_ms / 1000)       CheckTarget: the second confirmation and
///                                          the standby's probe, at once
///        + ceil(timeout_ms / 1000)       Swap: the re-probe before the swap
///        + ROUTE53_PROPAGATION_SECONDS   "within 60 seconds" to every name server
/// ```
///
/// A client whose resolver holds no answer is answered by the new region as
/// soon as Route 53's name servers have the change. Every client is, at the
/// latest, [`figures::ALIAS_TTL_SECONDS`] later, when its resolver's cached
/// answer expires ([`every_client_seconds`]). The record reads, the
/// compare-and-swap and the state transitions have no documented latency
/// and count as zero; Route 53's 60 s is "under normal conditions", not a
/// guarantee.
pub fn swap_budget_seconds(health: &HealthCheck, timing: &Timing) -> u64 {
    let timeout = health.timeout_seconds();
    3 * timeout + u64::from(timing.confirm_wait_seconds) + ROUTE53_PROPAGATION_SECONDS
}

/// The worst case from the outage to every client on the new region:
/// detection, the swap budget, and the alias TTL that resolvers may still
/// hold the old answer for.
pub fn every_client_seconds(health: &HealthCheck, timing: &Timing) -> u64 {
    detection_time_seconds(health) + swap_budget_seconds(health, timing) + ALIAS_TTL_SECONDS
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
    /// Billed milliseconds of one pinger run that probes (the standby's, at
    /// every tick).
    pub pinger_ms: u64,
    /// Billed milliseconds of one pinger run that probes nothing (the
    /// active's, between its checks).
    pub idle_pinger_ms: u64,
    /// Billed milliseconds of one ponger run.
    pub ponger_ms: u64,
    /// Billed milliseconds of one failover function run (swapper step,
    /// notifier).
    pub step_ms: u64,
    /// Log bytes of one pinger run (its JSON line and Lambda's START, END and
    /// REPORT lines).
    pub pinger_log_bytes: u64,
    /// Log bytes of one ponger run.
    pub ponger_log_bytes: u64,
    /// Log bytes of one failover function run.
    pub step_log_bytes: u64,
    /// Bytes one probe moves between regions (the TLS handshake with its
    /// certificate chain, the request and the answer).
    pub probe_bytes: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            failovers_per_month: 1,
            memory_mb: 128,
            pinger_ms: 150,
            idle_pinger_ms: 5,
            ponger_ms: 10,
            step_ms: 200,
            pinger_log_bytes: 1100,
            ponger_log_bytes: 550,
            step_log_bytes: 1000,
            probe_bytes: 6000,
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
/// [`pricing::PRICES`]. Per interval the standby's pinger runs once and
/// probes the public name (one API Gateway request and one ponger run,
/// across regions). The active's runs at every scheduled tick (EventBridge,
/// free) and probes the standby name and the public name every
/// [`ACTIVE_CHECK_SECONDS`], nothing in between. Each region has one paging
/// alarm on one metric. Each failover costs its state transitions, its
/// invocations and two SNS publishes (the page and the outcome).
///
/// A sub-minute interval adds the tick relay's SQS requests. In each region
/// the event source mapping long-polls its queue all the time
/// ([`SQS_IDLE_POLLERS`] pollers, one request per [`SQS_LONG_POLL_SECONDS`]
/// each). The standby's pinger sends the minute's later ticks at each
/// scheduled tick (one batch request), and each relayed tick costs one more
/// receive and one delete. An active pinger that knows its role relays
/// nothing: it acts only at its checks.
pub fn monthly_cost(health: &HealthCheck, timing: &Timing, usage: &Usage) -> MonthlyCost {
    let seconds = HOURS_PER_MONTH * 3600;
    let ticks = seconds / health.interval_seconds.max(1);
    let scheduled = seconds / health.interval_seconds.max(60);
    let checks = seconds / ACTIVE_CHECK_SECONDS.max(health.interval_seconds);
    let standby_probes = ticks;
    let active_probes = 2 * checks;
    let probes = standby_probes + active_probes;
    let active_ticks = scheduled;
    let pings = ticks + active_ticks;
    let relayed = ticks - scheduled;
    let sqs_requests = if health.relayed() {
        let polls = 2 * SQS_IDLE_POLLERS * seconds / SQS_LONG_POLL_SECONDS;
        polls + scheduled + 2 * relayed
    } else {
        0
    };
    let path = failover_path(timing);
    let failover_runs = usage.failovers_per_month * u64::from(path.invocations);
    let quantities = [
        (Item::LambdaRequests, pings + probes + failover_runs),
        (
            Item::LambdaCompute,
            usage.memory_mb
                * (ticks * usage.pinger_ms
                    + (active_ticks - checks) * usage.idle_pinger_ms
                    + checks * usage.pinger_ms
                    + probes * usage.ponger_ms
                    + failover_runs * usage.step_ms),
        ),
        (Item::ApiGatewayRequests, probes),
        (Item::CloudWatchAlarms, 2),
        (
            Item::LogsIngestion,
            pings * usage.pinger_log_bytes
                + probes * usage.ponger_log_bytes
                + failover_runs * usage.step_log_bytes,
        ),
        (Item::DataTransfer, probes * usage.probe_bytes),
        (Item::ScheduledEvents, 2 * scheduled),
        (Item::SnsPublishes, 2 * usage.failovers_per_month),
        (
            Item::StateTransitions,
            usage.failovers_per_month * u64::from(path.transitions),
        ),
        (Item::SqsRequests, sqs_requests),
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
