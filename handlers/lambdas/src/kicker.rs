//! The kicker: receives its region's alarm through SNS and starts its own
//! region's failover state machine, only when every condition holds:
//!
//! 1. the notification is this deployment's alarm going to ALARM;
//! 2. the alarm is in ALARM now, its actions are enabled (disabled actions
//!    are the documented pause), and the notification is fresh: its state
//!    change time is the alarm's current state time, within
//!    `notification_max_age_seconds` (SNS redelivers for a long time);
//! 3. its region is the standby (the records say so);
//! 4. the cooldown has passed since the ledger's last swap (the ledger
//!    written at create counts), measured at the alarm's state change;
//! 5. its own fresh probe of the standby name answers from its region;
//! 6. its own fresh probe of the active name fails.
//!
//! It then starts the STANDARD state machine of its region as
//! `failover-<generation>-<attempt>` with an input that is a function of those
//! two numbers and the target only, so a redelivered notification finds the
//! same execution. A running or succeeded attempt, a returned same
//! execution, or `ExecutionAlreadyExists` all count as already kicked; the
//! next attempt (at most 3) starts only when the previous one FAILED or was
//! ABORTED (or TIMED_OUT).
//!
//! When it refuses a failover that someone must act on (the standby does
//! not answer either, the cooldown holds, every attempt failed, the records
//! are not as a swap leaves them), it publishes a `refused` notice to its
//! region's notification topic: the alarm will not notify again while it
//! stays in ALARM, so nothing else would say it.
//!
//! Times come from the event and from AWS's answers, never the wall clock.

use aws_lambda_events::event::sns::SnsEvent;
use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sfn::operation::describe_execution::DescribeExecutionError;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use multiregion_core::deployment::Deployment;
use multiregion_core::dns::{DnsStatus, read_active};
use multiregion_core::naming::Names;
use multiregion_core::region::Region;
use multiregion_core::statemachine::protocol::FailoverInput;
use serde::{Deserialize, Serialize};

use crate::error::HandlerError;
use crate::notifier;
use crate::probe::{Probe, ProbeReport};
use crate::time::parse_event_time;

/// Attempts per ledger generation.
pub const MAX_ATTEMPTS: u32 = 3;

/// What the kicker needs.
#[derive(Debug)]
pub struct Kicker<P> {
    /// Route 53 (its control plane).
    pub route53: aws_sdk_route53::Client,
    /// CloudWatch in the kicker's region.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// Step Functions in the kicker's region.
    pub sfn: aws_sdk_sfn::Client,
    /// SNS in the kicker's region (the refusal notices).
    pub sns: aws_sdk_sns::Client,
    /// The probe.
    pub probe: P,
    /// The deployment.
    pub deployment: Deployment,
    /// The kicker's region.
    pub region: Region,
}

/// The CloudWatch alarm notification SNS delivers (the fields used).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AlarmNotification {
    /// The alarm.
    pub alarm_name: String,
    /// The state it went to.
    pub new_state_value: String,
    /// When (CloudWatch's format, `2026-11-24T03:07:55.123+0000`).
    pub state_change_time: String,
}

/// What the kicker decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// It started an execution.
    Started,
    /// An execution for this generation is running, succeeded, or was just
    /// started by someone else.
    AlreadyKicked,
    /// Every attempt for this generation failed.
    AttemptsExhausted,
    /// The notification is not about this deployment's alarm.
    NotOurAlarm,
    /// The notification is not a change to ALARM.
    NotAlarm,
    /// The alarm is not in ALARM now.
    AlarmNotInAlarm,
    /// The alarm's actions are disabled: automation is paused.
    Paused,
    /// The notification is about an earlier state of the alarm.
    StaleNotification,
    /// This region is the active one.
    OwnRegionActive,
    /// The records do not make this region the standby.
    NotStandby,
    /// The last swap was too recent.
    Cooldown,
    /// This region does not answer on the standby name.
    StandbyUnhealthy,
    /// The active name answers.
    ActiveHealthy,
}

impl Decision {
    /// Whether the refusal leaves the active name unanswered until someone
    /// acts: it is published as a notice.
    pub fn needs_operator(self) -> bool {
        matches!(
            self,
            Decision::StandbyUnhealthy
                | Decision::Cooldown
                | Decision::AttemptsExhausted
                | Decision::NotStandby
        )
    }

    /// The name a notice gives it.
    pub fn name(self) -> String {
        format!("{self:?}")
    }
}

/// The kicker's answer for one notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Kick {
    /// What it decided.
    pub decision: Decision,
    /// Why, for people.
    pub detail: String,
    /// The execution started or found, as an ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
}

fn skip(decision: Decision, detail: impl Into<String>) -> Kick {
    Kick {
        decision,
        detail: detail.into(),
        execution: None,
    }
}

/// The ARN of execution `name` of the state machine `state_machine_arn`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

impl<P: Probe> Kicker<P> {
    /// Handles an SNS event: one decision per record.
    pub async fn handle(&self, event: SnsEvent) -> Result<Vec<Kick>, HandlerError> {
        let mut kicks = Vec::new();
        for record in event.records {
            let kick = self.kick(&record.sns.message).await?;
            tracing::info!(
                decision = ?kick.decision,
                detail = %kick.detail,
                execution = kick.execution.as_deref(),
                message_id = %record.sns.message_id,
                "kick"
            );
            if kick.decision.needs_operator() {
                self.notify_refusal(&kick, &record.sns.message).await;
            }
            kicks.push(kick);
        }
        Ok(kicks)
    }

    /// Publishes a refusal. A failure to publish is logged: the decision
    /// stands either way.
    async fn notify_refusal(&self, kick: &Kick, message: &str) {
        let at = serde_json::from_str::<AlarmNotification>(message)
            .map(|n| n.state_change_time)
            .unwrap_or_default();
        let notice = notifier::refusal(
            &self.deployment,
            &self.region,
            &kick.decision.name(),
            &kick.detail,
            &at,
        );
        if let Err(error) =
            notifier::publish(&self.sns, &self.deployment, &self.region, &notice).await
        {
            tracing::warn!(%error, "the refusal could not be published");
        }
    }

    /// Decides on one alarm notification (the SNS message text).
    pub async fn kick(&self, message: &str) -> Result<Kick, HandlerError> {
        let notification: AlarmNotification = serde_json::from_str(message)
            .map_err(|e| HandlerError::InvalidInput(format!("not an alarm notification: {e}")))?;
        let deployment = &self.deployment;
        if notification.alarm_name != deployment.alarm_name {
            return Ok(skip(Decision::NotOurAlarm, notification.alarm_name));
        }
        if notification.new_state_value != "ALARM" {
            return Ok(skip(Decision::NotAlarm, notification.new_state_value));
        }
        let changed_at = parse_event_time(&notification.state_change_time).ok_or_else(|| {
            HandlerError::InvalidInput(format!(
                "StateChangeTime {:?} is not a time",
                notification.state_change_time
            ))
        })?;
        if let Some(kick) = self.check_alarm(changed_at).await? {
            return Ok(kick);
        }

        let pair = deployment.pair();
        let (_, view) = read_active(&self.route53, &pair).await?;
        if view.active_region.as_ref() == Some(&self.region) {
            return Ok(skip(
                Decision::OwnRegionActive,
                format!("{} is active", self.region),
            ));
        }
        if view.status != DnsStatus::Ok || view.standby_region.as_ref() != Some(&self.region) {
            return Ok(skip(
                Decision::NotStandby,
                format!(
                    "the records are {} with standby {:?}",
                    view.status, view.standby_region
                ),
            ));
        }
        let generation = view.last_swap().map_or(0, |l| l.generation);
        if let Some(last) = view.last_swap() {
            let since = changed_at - last.epoch;
            if since < deployment.cooldown_seconds as i64 {
                return Ok(skip(
                    Decision::Cooldown,
                    format!(
                        "the last swap (generation {}) was {since} s before the alarm; the cooldown is {} s",
                        last.generation, deployment.cooldown_seconds
                    ),
                ));
            }
        }

        let (standby, active) = tokio::join!(
            self.probe.probe(&deployment.standby_name),
            self.probe.probe(&deployment.active_name)
        );
        let standby = ProbeReport::new(&deployment.standby_name, &standby);
        let active = ProbeReport::new(&deployment.active_name, &active);
        if !standby.answered_from(&self.region) {
            return Ok(skip(Decision::StandbyUnhealthy, standby.describe()));
        }
        if active.error.is_none() {
            return Ok(skip(Decision::ActiveHealthy, active.describe()));
        }
        self.start(generation, &active).await
    }

    /// The alarm as CloudWatch has it now; `Some` when it says no.
    async fn check_alarm(&self, changed_at: i64) -> Result<Option<Kick>, HandlerError> {
        let alarms = self
            .cloudwatch
            .describe_alarms()
            .alarm_names(&self.deployment.alarm_name)
            .send()
            .await
            .map_err(|e| HandlerError::from_sdk("DescribeAlarms", e))?;
        let Some(alarm) = alarms.metric_alarms().first() else {
            return Err(HandlerError::Failed(format!(
                "the alarm {} does not exist in {}",
                self.deployment.alarm_name, self.region
            )));
        };
        if alarm.state_value() != Some(&StateValue::Alarm) {
            return Ok(Some(skip(
                Decision::AlarmNotInAlarm,
                format!("the alarm is {:?} now", alarm.state_value()),
            )));
        }
        if alarm.actions_enabled() == Some(false) {
            return Ok(Some(skip(
                Decision::Paused,
                "the alarm's actions are disabled: automation is paused",
            )));
        }
        let current = alarm.state_updated_timestamp().map(|t| t.secs());
        let fresh = current.is_some_and(|current| {
            (current - changed_at).abs() <= self.deployment.notification_max_age_seconds as i64
        });
        if !fresh {
            return Ok(Some(skip(
                Decision::StaleNotification,
                format!(
                    "the notification's state change ({changed_at}) is not the alarm's current state ({current:?})"
                ),
            )));
        }
        Ok(None)
    }

    /// Starts attempt 1, 2 or 3 of `generation`, or finds it kicked.
    async fn start(&self, generation: u64, active: &ProbeReport) -> Result<Kick, HandlerError> {
        let state_machine = &self
            .deployment
            .region(&self.region)
            .ok_or_else(|| {
                HandlerError::Failed(format!("{} is not in the deployment", self.region))
            })?
            .state_machine_arn;
        for attempt in 1..=MAX_ATTEMPTS {
            let name = Names::execution(generation, attempt);
            let arn = execution_arn(state_machine, &name);
            let found = self
                .sfn
                .describe_execution()
                .execution_arn(&arn)
                .send()
                .await;
            match found {
                Ok(execution) => match execution.status() {
                    ExecutionStatus::Failed
                    | ExecutionStatus::Aborted
                    | ExecutionStatus::TimedOut => {
                        tracing::info!(%arn, status = %execution.status(), "previous attempt did not succeed");
                        continue;
                    }
                    status => {
                        return Ok(Kick {
                            decision: Decision::AlreadyKicked,
                            detail: format!("{name} is {status}"),
                            execution: Some(arn),
                        });
                    }
                },
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(DescribeExecutionError::ExecutionDoesNotExist(_))
                    ) => {}
                Err(e) => return Err(HandlerError::from_sdk("DescribeExecution", e)),
            }
            let input = FailoverInput {
                reason: multiregion_core::Reason::Runtime.as_str().to_owned(),
                target: Some(self.region.clone()),
                generation: Some(generation),
                attempt: Some(attempt),
            };
            let started = self
                .sfn
                .start_execution()
                .state_machine_arn(state_machine)
                .name(&name)
                .input(serde_json::to_string(&input).expect("the input serializes"))
                .send()
                .await;
            return match started {
                Ok(output) => Ok(Kick {
                    decision: Decision::Started,
                    detail: format!("attempt {attempt}: {}", active.describe()),
                    execution: Some(output.execution_arn().to_owned()),
                }),
                Err(e)
                    if matches!(
                        e.as_service_error(),
                        Some(StartExecutionError::ExecutionAlreadyExists(_))
                    ) =>
                {
                    Ok(Kick {
                        decision: Decision::AlreadyKicked,
                        detail: format!("{name} already exists"),
                        execution: Some(arn),
                    })
                }
                Err(e) => Err(HandlerError::from_sdk("StartExecution", e)),
            };
        }
        Ok(skip(
            Decision::AttemptsExhausted,
            format!("all {MAX_ATTEMPTS} attempts of generation {generation} failed"),
        ))
    }
}

#[cfg(test)]
#[path = "kicker_tests.rs"]
mod tests;
