//! The protocol between the generated state machine and the handlers: the
//! execution input, the payload of each step, what each step returns, and the
//! error names Retry and Catch match. The definition and the handlers both use
//! these types and constants, so they cannot drift apart; the package
//! manifest names [`PROTOCOL_VERSION`] so the provider can refuse a package
//! that speaks another one.

use serde::{Deserialize, Serialize};

use crate::ledger::Reason;
use crate::region::Region;

/// The version of this protocol.
pub const PROTOCOL_VERSION: u32 = 1;

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
    /// The target region does not answer on its name: no swap.
    pub const STANDBY_UNHEALTHY: &str = "StandbyUnhealthy";
    /// The active region answers again: no swap.
    pub const ACTIVE_STILL_HEALTHY: &str = "ActiveStillHealthy";
    /// The records are not as a swap leaves them (missing, foreign): no
    /// runtime swap; `terraform apply` repairs them.
    pub const RECORDS_BROKEN: &str = "RecordsBroken";
    /// After the swap the public name does not (yet) answer from the target.
    pub const NOT_SERVING: &str = "NotServing";
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
    pub const REFUSALS: [&str; 4] = [
        STANDBY_UNHEALTHY,
        ACTIVE_STILL_HEALTHY,
        RECORDS_BROKEN,
        INVALID_INPUT,
    ];
}

/// The steps of the swapper function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Read the records; check that the target is the standby and answers.
    CheckTarget,
    /// Re-probe the active name, then the compare-and-swap.
    Swap,
    /// One `GetChange` poll.
    CheckInsync,
    /// Check that the public name answers from the target.
    Verify,
}

impl Step {
    /// The step as the payload names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::CheckTarget => "check_target",
            Step::Swap => "swap",
            Step::CheckInsync => "check_insync",
            Step::Verify => "verify",
        }
    }
}

/// The input of an execution. The kicker writes every field; an operator's
/// manual start may give only `{"reason":"manual"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailoverInput {
    /// `runtime` (the kicker) or `manual` (an operator); the default is
    /// `manual`.
    #[serde(default = "manual")]
    pub reason: String,
    /// The region to make active; the default is the state machine's own
    /// region (the region that takes over runs the failover).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Region>,
    /// The ledger generation the kicker saw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    /// The kicker's attempt for that generation (1 to 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
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
}

/// What `check_target` found (at `$.check`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetCheck {
    /// The region to make active.
    pub target: Region,
    /// The region active now, from the records.
    pub from: Option<Region>,
    /// The target is already active: the swap step will be a no-op.
    pub already_active: bool,
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

/// The execution's data when it reaches the notifier (`$`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailoverState {
    /// The execution input, at the root of the data.
    #[serde(flatten)]
    pub input: FailoverInput,
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
            r#"{"reason":"runtime","target":"us-west-2","generation":4,"attempt":1}"#,
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
}
