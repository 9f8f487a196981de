//! The swapper: the state machine's steps, one function dispatched on the
//! payload's `step`.
//!
//! - `check_target`: read the records; if the target is already active the
//!   swap will be a no-op; else the records must make the target the standby
//!   and the standby name must answer from the target (`StandbyUnhealthy`).
//! - `swap`: read again; if the target is already active, a no-op (the
//!   loser of a race ends here); else probe the active name and abort if it
//!   answers from the active region (`ActiveStillHealthy`); then the core's
//!   compare-and-swap with ONE attempt (a lost race is `Conflict`, throttling
//!   is `Retryable.Throttled`: the state machine retries, visibly).
//! - `check_insync`: one `GetChange` poll.
//! - `verify`: the public name answers from the target (`NotServing`).
//!
//! The ledger's time is the execution's start, from the context object.

use multiregion_core::deployment::Deployment;
use multiregion_core::dns::{DnsStatus, read_active};
use multiregion_core::region::Region;
use multiregion_core::statemachine::protocol::{
    MAX_SYNC_POLLS, PROTOCOL_VERSION, Step, StepRequest, SwapState, SwapStatus, TargetCheck,
    Verified,
};
use multiregion_core::swap::{
    RetryPolicy, SwapOutcome, SwapPlan, SwapRequest, change_status, plan_swap, swap,
};
use serde_json::Value;

use crate::error::HandlerError;
use crate::probe::{Probe, ProbeReport};
use crate::time::parse_event_time;

/// What the swapper needs.
#[derive(Debug)]
pub struct Swapper<P> {
    /// Route 53, making ONE attempt per call (SDK retries off), so every
    /// retry is the state machine's and shows in the execution history.
    pub route53: aws_sdk_route53::Client,
    /// The probe.
    pub probe: P,
    /// The deployment.
    pub deployment: Deployment,
    /// The swapper's region: the state machine's, the region taking over.
    pub region: Region,
}

fn to_value<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("step results serialize")
}

impl<P: Probe> Swapper<P> {
    /// Runs one step.
    pub async fn run(&self, request: StepRequest) -> Result<Value, HandlerError> {
        if request.protocol != PROTOCOL_VERSION {
            return Err(HandlerError::InvalidInput(format!(
                "the definition speaks protocol {}, this swapper {PROTOCOL_VERSION}",
                request.protocol
            )));
        }
        let target = request
            .input
            .target
            .clone()
            .unwrap_or_else(|| self.region.clone());
        if target != self.region {
            return Err(HandlerError::InvalidInput(format!(
                "this state machine fails over into {}, not {target}: start the one in {target}",
                self.region
            )));
        }
        tracing::info!(step = request.step.as_str(), execution = %request.execution, %target, "step");
        match request.step {
            Step::CheckTarget => self.check_target(&target).await.map(|r| to_value(&r)),
            Step::Swap => self.swap(&target, &request).await.map(|r| to_value(&r)),
            Step::CheckInsync => self.check_insync(&request).await.map(|r| to_value(&r)),
            Step::Verify => self.verify(&target).await.map(|r| to_value(&r)),
        }
    }

    async fn check_target(&self, target: &Region) -> Result<TargetCheck, HandlerError> {
        let pair = self.deployment.pair();
        let (_, view) = read_active(&self.route53, &pair).await?;
        let generation = view.last_swap().map_or(0, |l| l.generation);
        let already_active = view.status == DnsStatus::Ok
            && view.active_region.as_ref() == Some(target)
            && !view.split_brain();
        if !already_active {
            if view.status != DnsStatus::Ok || view.standby_region.as_ref() != Some(target) {
                return Err(HandlerError::RecordsBroken(format!(
                    "the records are {} with {:?} active and {:?} standby",
                    view.status, view.active_region, view.standby_region
                )));
            }
            let standby = self.probe.probe(&self.deployment.standby_name).await;
            let standby = ProbeReport::new(&self.deployment.standby_name, &standby);
            if !standby.answered_from(target) {
                return Err(HandlerError::StandbyUnhealthy(standby.describe()));
            }
        }
        Ok(TargetCheck {
            target: target.clone(),
            from: view.active_region,
            already_active,
            generation,
        })
    }

    async fn swap(
        &self,
        target: &Region,
        request: &StepRequest,
    ) -> Result<SwapState, HandlerError> {
        let reason = request.input.reason().ok_or_else(|| {
            HandlerError::InvalidInput(format!(
                "reason {:?}: a state machine runs only `runtime` or `manual` failovers",
                request.input.reason
            ))
        })?;
        let epoch = parse_event_time(&request.started).ok_or_else(|| {
            HandlerError::InvalidInput(format!("started {:?} is not a time", request.started))
        })?;
        let pair = self.deployment.pair();
        let swap_request = SwapRequest {
            target: target.clone(),
            reason,
            execution: Some(request.execution.clone()),
            epoch,
        };
        let (snapshot, view) = read_active(&self.route53, &pair).await?;
        let already = |view: &multiregion_core::ActiveView| SwapState {
            outcome: SwapStatus::AlreadyActive,
            target: target.clone(),
            from: view.active_region.clone(),
            change_id: None,
            generation: view.last_swap().map_or(0, |l| l.generation),
            polls: 0,
            insync: true,
            done: true,
        };
        if plan_swap(&pair, &snapshot, &view, &swap_request)? == SwapPlan::AlreadyActive {
            tracing::info!(%target, "already active: nothing to swap");
            return Ok(already(&view));
        }
        if view.status != DnsStatus::Ok {
            return Err(HandlerError::RecordsBroken(format!(
                "the records are {}",
                view.status
            )));
        }
        let active = self.probe.probe(&self.deployment.active_name).await;
        let active = ProbeReport::new(&self.deployment.active_name, &active);
        if let Some(region) = &active.region
            && Some(region) == view.active_region.as_ref()
        {
            return Err(HandlerError::ActiveStillHealthy(active.describe()));
        }
        match swap(&self.route53, &pair, &swap_request, RetryPolicy::ONCE).await? {
            SwapOutcome::AlreadyActive(view) => Ok(already(&view)),
            SwapOutcome::Swapped {
                change_id,
                ledger,
                from,
                ..
            } => Ok(SwapState {
                outcome: SwapStatus::Swapped,
                target: target.clone(),
                from,
                change_id: Some(change_id),
                generation: ledger.generation,
                polls: 0,
                insync: false,
                done: false,
            }),
        }
    }

    async fn check_insync(&self, request: &StepRequest) -> Result<SwapState, HandlerError> {
        let mut state = request
            .swap
            .clone()
            .ok_or_else(|| HandlerError::InvalidInput("check_insync needs `swap`".into()))?;
        if let Some(change_id) = &state.change_id {
            state.insync = change_status(&self.route53, change_id).await?;
            state.polls += 1;
        } else {
            state.insync = true;
        }
        state.done = state.insync || state.polls >= MAX_SYNC_POLLS;
        tracing::info!(polls = state.polls, insync = state.insync, "GetChange");
        Ok(state)
    }

    async fn verify(&self, target: &Region) -> Result<Verified, HandlerError> {
        let answer = self.probe.probe(&self.deployment.active_name).await;
        let report = ProbeReport::new(&self.deployment.active_name, &answer);
        match answer {
            Ok(answer) if &answer.region == target => Ok(Verified {
                region: answer.region,
                latency_ms: answer.latency.as_millis() as u64,
            }),
            _ => Err(HandlerError::NotServing(report.describe())),
        }
    }
}
