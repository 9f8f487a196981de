//! The protocol between the generated state machine and the handlers: the
//! execution input, the payload of each step, what each step returns, and the
//! error names Retry and Catch match. The definition and the handlers both use
//! these types and constants, so they cannot drift apart; the package
//! manifest names [`PROTOCOL_VERSION`] so the provider can refuse a package
//! that speaks another one.

use serde::{Deserialize, Serialize};

use crate::ledger::Reason;
use crate::region::Region;

/// The version of this protocol (2: the pinger starts executions; they
/// confirm the outage, and hold instead of ending while a failover cannot be
/// made).
pub const PROTOCOL_VERSION: u32 = 2;

/// The first wait of a held execution, in seconds; each next one doubles.
pub const HOLD_FIRST_WAIT_SECONDS: u32 = 30;

/// The longest wait of a held execution, in seconds: a standby that recovers,
/// a cooldown that ends or a resumed pause is seen within this.
pub const HOLD_MAX_WAIT_SECONDS: u32 = 300;

/// How long a held execution keeps trying, in seconds (24 hours). It then
/// ends with a notification; the pinger starts a new one at its next failing
/// tick.
pub const HOLD_MAX_AGE_SECONDS: u64 = 24 * 3600;

/// INSYNC polls after which the state machine stops waiting and verifies
/// (Route 53 normally reports INSYNC within a minute).
pub const MAX_SYNC_POLLS: u32 = 30;

/// Error names the handlers raise (their Lambda `errorType`) and the
/// definition's Retry and Catch rules match.
pub mod errors {
    /// Route 53 throttled (`Throttling`, `PriorRequestNotComplete`): retry
    /// with backoff.
    pub const THROTTLED: &str = "Retryable.Throttled";
    /// An AWS call got no answer (timeout, connection): retry with backoff.
    pub const TRANSPORT: &str = "Retryable.Transport";
    /// The compare-and-swap lost: another swap changed the records.
    pub const CONFLICT: &str = "Conflict";
    /// The target region does not answer on its name: no swap yet.
    pub const STANDBY_UNHEALTHY: &str = "StandbyUnhealthy";
    /// The last swap was too recent: no swap yet.
    pub const COOLDOWN: &str = "Cooldown";
    /// Automation is paused or off in the target region: no swap yet.
    pub const PAUSED: &str = "Paused";
    /// The active region answers again: no swap.
    pub const ACTIVE_STILL_HEALTHY: &str = "ActiveStillHealthy";
    /// The records are not as a swap leaves them (missing, foreign): no
    /// runtime swap; `terraform apply` repairs them.
    pub const RECORDS_BROKEN: &str = "RecordsBroken";
    /// After the swap the public name does not (yet) answer from the target.
    pub const NOT_SERVING: &str = "NotServing";
    /// A held execution reached its maximum age without a failover.
    pub const HOLD_EXPIRED: &str = "HoldExpired";
    /// The execution input or the step payload cannot be used.
    pub const INVALID_INPUT: &str = "InvalidInput";
    /// Any other failure (a refused AWS call, a broken configuration).
    pub const FAILED: &str = "Failed";
    /// Errors Lambda itself raises around an invocation.
    pub const LAMBDA_SERVICE: [&str; 4] = [
        "Lambda.ServiceException",
        "Lambda.AWSLambdaException",
        "Lambda.SdkClientException",
        "Lambda.TooManyRequestsException",
    ];
    /// Every error name States itself matches.
    pub const ALL: &str = "States.ALL";
    /// Errors that mean "the checks said no", as opposed to "it broke".
    pub const REFUSALS: [&str; 6] = [
        STANDBY_UNHEALTHY,
        COOLDOWN,
        PAUSED,
        ACTIVE_STILL_HEALTHY,
        RECORDS_BROKEN,
        INVALID_INPUT,
    ];
}

/// The steps of the swapper function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Probe the active name once: does it still fail?
    Confirm,
    /// Probe the active name again (a blip ends here) and the standby name;
    /// read the records; check that the target is the standby and answers,
    /// that the cooldown has passed and that automation is on.
    CheckTarget,
    /// Re-probe the active name, then the compare-and-swap.
    Swap,
    /// One `GetChange` poll.
    CheckInsync,
    /// Check that the public name answers from the target.
    Verify,
    /// The failover cannot be made now: count the hold, choose the next
    /// wait, and say whether to notify (once per episode) or give up.
    Hold,
}

impl Step {
    /// The step as the payload names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Confirm => "confirm",
            Step::CheckTarget => "check_target",
            Step::Swap => "swap",
            Step::CheckInsync => "check_insync",
            Step::Verify => "verify",
            Step::Hold => "hold",
        }
    }
}

/// The input of an execution. The pinger writes every field, as a function
/// of its deployment, the ledger generation and its tick only, so a second
/// start of the same tick is the same execution; an operator's manual start
/// may give only `{"reason":"manual"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverInput {
    /// `runtime` (the pinger) or `manual` (an operator); the default is
    /// `manual`.
    #[serde(default = "manual")]
    pub reason: String,
    /// The region to make active; the default is the state machine's own
    /// region (the region that takes over runs the failover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Region>,
    /// The ledger generation the pinger knew.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    /// The pinger's tick (the scheduled event's time, seconds since the
    /// epoch) whose probe failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tick: Option<i64>,
}

fn manual() -> String {
    Reason::Manual.as_str().to_owned()
}

impl FailoverInput {
    /// The ledger reason; only `runtime` and `manual` start a state machine.
    pub fn reason(&self) -> Option<Reason> {
        match self.reason.parse() {
            Ok(reason @ (Reason::Runtime | Reason::Manual)) => Some(reason),
            _ => None,
        }
    }
}

/// The payload of a swapper step, built by the definition's `Parameters`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepRequest {
    /// [`PROTOCOL_VERSION`] of the definition.
    pub protocol: u32,
    /// Which step.
    pub step: Step,
    /// The execution input (`$$.Execution.Input`).
    pub input: FailoverInput,
    /// The execution ARN (`$$.Execution.Id`): written to the ledger.
    pub execution: String,
    /// The execution's start (`$$.Execution.StartTime`, RFC 3339): the time
    /// of the swap in the ledger. Event time, not the wall clock.
    pub started: String,
    /// The swap's result, for the steps after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<SwapState>,
    /// The execution's data, for the hold step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<Box<FailoverState>>,
}

/// What `confirm` saw (at `$.confirm`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confirmation {
    /// The active name answered from the region the records make active:
    /// a blip, the execution ends as `active_answered`.
    pub active_answered: bool,
    /// The region that answered, if any.
    pub region: Option<Region>,
    /// What the probe saw.
    pub detail: String,
}

/// A held execution's count (at `$.hold`): the failover cannot be made now,
/// so the execution waits and checks again from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HoldState {
    /// Holds so far in this execution.
    pub holds: u32,
    /// Seconds held so far (the sum of the waits).
    pub held_seconds: u64,
    /// The next wait, in seconds.
    pub wait_seconds: u32,
    /// Publish a notice now: the first hold of the episode, or the first
    /// after automation was paused during it (the circuit breaker tripping
    /// at a re-check, or a person): a person must hear of a pause.
    pub notify: bool,
    /// Stop: held longer than [`HOLD_MAX_AGE_SECONDS`].
    pub give_up: bool,
    /// Why the failover cannot be made.
    pub reason: CaughtError,
}

impl HoldState {
    /// The hold after `previous` (none at the first), for `reason`.
    pub fn next(previous: Option<&HoldState>, reason: CaughtError) -> HoldState {
        let newly_paused = reason.error == errors::PAUSED
            && previous.is_some_and(|p| p.reason.error != errors::PAUSED);
        let (holds, held_seconds, last_wait) = previous.map_or((0, 0, 0), |p| {
            (
                p.holds,
                p.held_seconds + u64::from(p.wait_seconds),
                p.wait_seconds,
            )
        });
        let wait_seconds = if last_wait == 0 {
            HOLD_FIRST_WAIT_SECONDS
        } else {
            last_wait.saturating_mul(2).min(HOLD_MAX_WAIT_SECONDS)
        };
        HoldState {
            holds: holds + 1,
            held_seconds,
            wait_seconds,
            notify: holds == 0 || newly_paused,
            give_up: held_seconds >= HOLD_MAX_AGE_SECONDS,
            reason,
        }
    }
}

/// What `check_target` found (at `$.check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The region to make active.
    pub target: Region,
    /// The region active now, from the records.
    pub from: Option<Region>,
    /// The second confirmation: the active name answered from another
    /// region than the target, a blip (nothing else was checked).
    #[serde(default)]
    pub active_answered: bool,
    /// The target is already active: the swap step will be a no-op.
    pub already_active: bool,
    /// Already active, for a runtime failover: the execution ends without a
    /// notification (a pinger that had not yet seen the swap). A person's
    /// manual start is told instead.
    #[serde(default)]
    pub quiet: bool,
    /// The ledger generation read.
    pub generation: u64,
}

/// What the swap did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SwapStatus {
    /// The change batch was accepted.
    Swapped,
    /// The target was already active: nothing was written.
    AlreadyActive,
}

/// The swap's result (at `$.swap`), updated by every INSYNC poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwapState {
    /// What the swap did.
    pub outcome: SwapStatus,
    /// The region made active.
    pub target: Region,
    /// The region active before, if the records named one.
    pub from: Option<Region>,
    /// Route 53's change id, when something was written.
    pub change_id: Option<String>,
    /// The ledger generation now.
    pub generation: u64,
    /// INSYNC polls so far.
    pub polls: u32,
    /// Whether Route 53 reported INSYNC.
    pub insync: bool,
    /// Whether to stop polling (INSYNC, or [`MAX_SYNC_POLLS`] reached).
    pub done: bool,
}

/// What `verify` saw (at `$.verify`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verified {
    /// The region that answered on the public name.
    pub region: Region,
    /// How long the probe took.
    pub latency_ms: u64,
}

/// An error a Catch rule put into the data (`{Error, Cause}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaughtError {
    /// The error name.
    #[serde(rename = "Error")]
    pub error: String,
    /// The cause: for Lambda errors, JSON with `errorMessage`.
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

impl CaughtError {
    /// The human part of the cause: the Lambda `errorMessage` when the
    /// cause is Lambda's JSON, else the cause as it is.
    pub fn message(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.cause)
            .ok()
            .and_then(|v| v.get("errorMessage")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| self.cause.clone())
    }

    /// Whether the checks refused the failover (as opposed to a failure).
    pub fn is_refusal(&self) -> bool {
        errors::REFUSALS.contains(&self.error.as_str())
    }
}

/// The execution's data (`$`), as the notifier and the hold step get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverState {
    /// The execution input, at the root of the data.
    #[serde(flatten)]
    pub input: FailoverInput,
    /// What the last confirmation probe saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm: Option<Confirmation>,
    /// What `check_target` found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub check: Option<TargetCheck>,
    /// The swap's result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<SwapState>,
    /// What `verify` saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<Verified>,
    /// The error that ended the checks or the swap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<CaughtError>,
    /// The hold count, once the execution has held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold: Option<HoldState>,
}

/// The payload of the notifier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyRequest {
    /// [`PROTOCOL_VERSION`] of the definition.
    pub protocol: u32,
    /// The execution ARN.
    pub execution: String,
    /// The execution's start (RFC 3339).
    pub started: String,
    /// The execution's data.
    pub state: FailoverState,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_start_needs_only_a_reason_and_other_reasons_are_refused() {
        let input: FailoverInput = serde_json::from_str("{}").unwrap();
        assert_eq!(input.reason(), Some(Reason::Manual));
        assert_eq!(input.target, None);
        let runtime: FailoverInput = serde_json::from_str(
            r#"{"reason":"runtime","target":"us-west-2","generation":4,"tick":1764637260}"#,
        )
        .unwrap();
        assert_eq!(runtime.reason(), Some(Reason::Runtime));
        for bad in ["terraform", "create", "repair", "whatever"] {
            let input = FailoverInput {
                reason: bad.into(),
                ..input.clone()
            };
            assert_eq!(input.reason(), None, "{bad}");
        }
    }

    #[test]
    fn a_caught_lambda_error_reads_its_message() {
        let caught = CaughtError {
            error: errors::STANDBY_UNHEALTHY.into(),
            cause: r#"{"errorType":"StandbyUnhealthy","errorMessage":"no answer"}"#.into(),
        };
        assert_eq!(caught.message(), "no answer");
        assert!(caught.is_refusal());
        let plain = CaughtError {
            error: "States.Timeout".into(),
            cause: "timed out".into(),
        };
        assert_eq!(plain.message(), "timed out");
        assert!(!plain.is_refusal());
    }

    #[test]
    fn a_hold_notifies_once_backs_off_to_a_cap_and_gives_up_after_a_day() {
        let why = CaughtError {
            error: errors::STANDBY_UNHEALTHY.into(),
            cause: String::new(),
        };
        let mut hold = HoldState::next(None, why.clone());
        assert!(hold.notify && !hold.give_up);
        assert_eq!(
            (hold.holds, hold.wait_seconds),
            (1, HOLD_FIRST_WAIT_SECONDS)
        );
        let mut waits = vec![hold.wait_seconds];
        while !hold.give_up {
            hold = HoldState::next(Some(&hold), why.clone());
            assert!(!hold.notify, "one notice per episode");
            waits.push(hold.wait_seconds);
        }
        assert_eq!(&waits[..5], &[30, 60, 120, 240, 300]);
        assert!(waits.iter().all(|w| *w <= HOLD_MAX_WAIT_SECONDS));
        assert!(hold.held_seconds >= HOLD_MAX_AGE_SECONDS);
        assert!(hold.held_seconds < HOLD_MAX_AGE_SECONDS + u64::from(HOLD_MAX_WAIT_SECONDS));
        // A day at the cap: about 290 holds, not one start per tick.
        assert!((280..300).contains(&hold.holds), "{}", hold.holds);
    }

    #[test]
    fn a_pause_during_a_held_episode_is_told_once() {
        let because = |error: &str| CaughtError {
            error: error.into(),
            cause: String::new(),
        };
        let first = HoldState::next(None, because(errors::COOLDOWN));
        assert!(first.notify);
        let paused = HoldState::next(Some(&first), because(errors::PAUSED));
        assert!(paused.notify, "the circuit breaker tripped at a re-check");
        let still = HoldState::next(Some(&paused), because(errors::PAUSED));
        assert!(!still.notify);
        let other = HoldState::next(Some(&still), because(errors::STANDBY_UNHEALTHY));
        assert!(!other.notify, "only a pause is told again");
    }
}
