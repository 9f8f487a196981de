//! The swapper: the state machine's steps, one function dispatched on the
//! payload's `step`.
//!
//! - `confirm`: one probe of the active name; an answer from another region
//!   than the target is a blip (`active_answered`).
//! - `check_target`: probe the active name again (an answer from another
//!   region is a blip) and the standby name, and read the records, at once;
//!   if the target is already active the execution ends; else the records must make the target the standby
//!   (`RecordsBroken`), the standby name must answer from the target
//!   (`StandbyUnhealthy`), and for a runtime failover the cooldown must have
//!   passed since the last swap that moved traffic (`Cooldown`) and
//!   automation must be on in this region (`Paused`). A person's manual
//!   start has decided both already.
//! - `swap`: read again (once: Route 53 allows five requests per second per
//!   account); if the target is already active, a no-op (the loser of a race
//!   ends here); else probe the active name and abort if it answers from the
//!   active region (`ActiveStillHealthy`); then the core's compare-and-swap
//!   on that read, ONE attempt (a change since the read or a lost race is
//!   `Conflict`, throttling is `Retryable.Throttled`: the state machine
//!   retries, visibly).
//! - `check_insync`: one `GetChange` poll.
//! - `verify`: the public name answers from the target (`NotServing`).
//! - `hold`: the failover cannot be made now: count the hold and choose the
//!   next wait ([`HoldState::next`]).
//!
//! The ledger's time is the execution's start, from the context object, and
//! "now" is that start plus the waits the execution has held for: never the
//! wall clock.

use multiregion_core::Reason;
use multiregion_core::automation;
use multiregion_core::deployment::Deployment;
use multiregion_core::dns::{DnsStatus, read_active};
use multiregion_core::region::Region;
use multiregion_core::statemachine::protocol::{
    CaughtError, Confirmation, FailoverState, HoldState, MAX_SYNC_POLLS, PROTOCOL_VERSION, Step,
    StepRequest, SwapState, SwapStatus, TargetCheck, Verified, errors,
};
use multiregion_core::swap::{
    SwapOutcome, SwapPlan, SwapRequest, change_status, plan_swap, swap_from,
};
use serde_json::Value;

use crate::error::HandlerError;
use crate::pause;
use crate::pinger::state_machine_arn;
use crate::probe::{Probe, ProbeReport};
use crate::time::parse_event_time;

/// What the swapper needs.
#[derive(Debug)]
pub struct Swapper<P> {
    /// Route 53, making ONE attempt per call (SDK retries off), so every
    /// retry is the state machine's and shows in the execution history.
    pub route53: aws_sdk_route53::Client,
    /// Step Functions in the swapper's region (the automation flag).
    pub sfn: aws_sdk_sfn::Client,
    /// Step Functions in the other region (the circuit breaker pauses both).
    pub other_sfn: aws_sdk_sfn::Client,
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
            Step::Confirm => Ok(to_value(&self.confirm(&target).await)),
            Step::CheckTarget => self
                .check_target(&target, &request)
                .await
                .map(|r| to_value(&r)),
            Step::Swap => self.swap(&target, &request).await.map(|r| to_value(&r)),
            Step::CheckInsync => self.check_insync(&request).await.map(|r| to_value(&r)),
            Step::Verify => self.verify(&target).await.map(|r| to_value(&r)),
            Step::Hold => hold(&request).map(|r| to_value(&r)),
        }
    }

    async fn confirm(&self, target: &Region) -> Confirmation {
        let name = &self.deployment.active_name;
        let answer = self.probe.probe(name).await;
        let report = ProbeReport::new(name, &answer);
        Confirmation {
            active_answered: report.region.as_ref().is_some_and(|r| r != target),
            region: report.region.clone(),
            detail: report.describe(),
        }
    }

    async fn check_target(
        &self,
        target: &Region,
        request: &StepRequest,
    ) -> Result<TargetCheck, HandlerError> {
        let pair = self.deployment.pair();
        // The second confirmation, the standby's probe and the read at once:
        // each probe is bounded by the timeout, and the worst case adds one.
        let deployment = &self.deployment;
        let (view, active, standby) = tokio::join!(
            read_active(&self.route53, &pair),
            self.probe.probe(&deployment.active_name),
            self.probe.probe(&deployment.standby_name)
        );
        let active = ProbeReport::new(&deployment.active_name, &active);
        let (_, view) = view?;
        let generation = view.last_swap().map_or(0, |l| l.generation);
        if active.region.as_ref().is_some_and(|r| r != target) {
            tracing::info!(active = %active.describe(), "a blip: the active name answered");
            return Ok(TargetCheck {
                target: target.clone(),
                from: view.active_region,
                active_answered: true,
                already_active: false,
                quiet: false,
                generation,
            });
        }
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
            let standby = ProbeReport::new(&deployment.standby_name, &standby);
            if !standby.answered_from(target) {
                return Err(HandlerError::StandbyUnhealthy(standby.describe()));
            }
            if request.input.reason() == Some(Reason::Runtime) {
                self.check_cooldown(&view, request)?;
                let own = state_machine_arn(&self.deployment, &self.region)?;
                let flag = pause::read(&self.sfn, own).await?;
                if !flag.is_on() {
                    return Err(HandlerError::Paused(flag.describe()));
                }
                self.circuit_breaker(&view, request).await?;
            }
        }
        Ok(TargetCheck {
            target: target.clone(),
            from: view.active_region,
            active_answered: false,
            already_active,
            quiet: already_active && request.input.reason() == Some(Reason::Runtime),
            generation,
        })
    }

    /// The cooldown, from the last swap that moved traffic to "now": the
    /// execution's start plus the waits it has held for.
    fn check_cooldown(
        &self,
        view: &multiregion_core::ActiveView,
        request: &StepRequest,
    ) -> Result<(), HandlerError> {
        let Some(last) = view.last_swap().filter(|l| l.reason.moved_traffic()) else {
            return Ok(());
        };
        let now = now(request)?;
        let since = now - last.epoch;
        let cooldown = self.deployment.cooldown_seconds as i64;
        if since < cooldown {
            return Err(HandlerError::Cooldown(format!(
                "the last swap (generation {}, {}) was {since} s ago; the cooldown is {cooldown} s",
                last.generation,
                last.reason.as_str()
            )));
        }
        Ok(())
    }

    /// The circuit breaker: after `max_automatic_swaps_per_day` automatic
    /// swaps in 24 hours, automation pauses itself in both regions (the
    /// state machines' tag, [`automation::CIRCUIT_BREAKER`]), and the
    /// execution holds with `Paused`: its notice pages a person, who
    /// resumes by removing the tag. When the two regions cannot reach each
    /// other while users reach both, each sees the other down and would
    /// swap back after every cooldown.
    async fn circuit_breaker(
        &self,
        view: &multiregion_core::ActiveView,
        request: &StepRequest,
    ) -> Result<(), HandlerError> {
        let limit = self.deployment.max_automatic_swaps_per_day as usize;
        let now = now(request)?;
        let recent = view
            .last_swap()
            .map_or(0, |l| l.automatic_swaps_before(now));
        if recent < limit {
            return Ok(());
        }
        let own = state_machine_arn(&self.deployment, &self.region)?;
        pause::set(&self.sfn, own, automation::CIRCUIT_BREAKER).await?;
        if let Some(other) = self.deployment.other(&self.region) {
            // The other region may be the one that is down: the pause of
            // this region is the one that stops this swap.
            let set = pause::set(
                &self.other_sfn,
                &other.state_machine_arn,
                automation::CIRCUIT_BREAKER,
            );
            if let Err(error) = set.await {
                tracing::warn!(%error, region = %other.region, "the circuit breaker could not pause the other region");
            }
        }
        Err(HandlerError::Paused(format!(
            "the circuit breaker paused automatic failover in both regions after {recent} \
             automatic swaps in 24 hours (at most {limit}): the regions may not reach each \
             other while users reach both. Check both regions, then remove the tag {} from \
             both state machines to resume",
            automation::TAG
        )))
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
        // On the read above: the batch deletes exactly what it read, so a
        // change since (during the probe) makes it a `Conflict`.
        match swap_from(&self.route53, &pair, &swap_request, &snapshot, &view).await? {
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

/// "Now" for a step: the execution's start plus the seconds it has held for
/// (the waits it made), from the data the step got.
fn now(request: &StepRequest) -> Result<i64, HandlerError> {
    let started = parse_event_time(&request.started).ok_or_else(|| {
        HandlerError::InvalidInput(format!("started {:?} is not a time", request.started))
    })?;
    let held = request
        .state
        .as_ref()
        .and_then(|s| s.hold.as_ref())
        .map_or(0, |h| h.held_seconds + u64::from(h.wait_seconds));
    Ok(started + held as i64)
}

/// The hold step: the failover cannot be made now. The result replaces the
/// execution's data, so the next round of checks starts clean; once the
/// execution has held for the maximum age it carries `HoldExpired`, and the
/// execution ends with a notification.
pub fn hold(request: &StepRequest) -> Result<FailoverState, HandlerError> {
    let state = request
        .state
        .as_deref()
        .ok_or_else(|| HandlerError::InvalidInput("hold needs `state`".into()))?;
    let reason = state.error.clone().unwrap_or_else(|| CaughtError {
        error: errors::FAILED.into(),
        cause: "no error was recorded".into(),
    });
    let next = HoldState::next(state.hold.as_ref(), reason);
    tracing::info!(
        holds = next.holds,
        held_seconds = next.held_seconds,
        wait_seconds = next.wait_seconds,
        reason = %next.reason.error,
        give_up = next.give_up,
        "hold"
    );
    let error = next.give_up.then(|| CaughtError {
        error: errors::HOLD_EXPIRED.into(),
        cause: format!(
            "held {} s ({} checks) without a failover; the last reason: {}: {}",
            next.held_seconds,
            next.holds,
            next.reason.error,
            next.reason.message()
        ),
    });
    Ok(FailoverState {
        input: state.input.clone(),
        confirm: None,
        check: None,
        swap: None,
        verify: None,
        error,
        hold: Some(next),
    })
}
