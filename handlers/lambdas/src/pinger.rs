//! The pinger: runs in each region at every tick of its schedule, and in the
//! standby region starts the failover itself (DESIGN §3.4).
//!
//! - **Its role** comes from the data plane: the region that answers the
//!   public name (every pong says its region). When nothing answers it keeps
//!   the role it last saw, and only when it knows none it reads the records
//!   through Route 53's API, which is control plane and limited to 5
//!   requests per second per account.
//! - **Standby:** it probes the public name at every tick. When the probe
//!   fails, it starts its own region's state machine, unless automation is
//!   paused or an execution is running there already (one at a time). The
//!   execution's name and input are functions of the state machine's
//!   incarnation, the ledger generation and the tick only, so a second
//!   delivery of the same tick finds the same execution. It then fails, so
//!   its region's alarm can page.
//! - **Active:** every 15 minutes it probes the standby name, and the public
//!   name to learn whether it is still the active region. It fails while the
//!   standby is unhealthy, at every tick until a probe finds it healthy
//!   again, so the alarm pages once and stays in ALARM rather than flap.
//! - **The alarm's actions** are enabled by the pinger once the alarm is OK
//!   (it has judged a good datapoint): the provider creates the alarm with
//!   its actions off, so a new deployment, whose pinger has no datapoints
//!   yet, does not page.
//!
//! Times come from the event (the tick), never the wall clock.

use std::sync::Mutex;

use aws_sdk_cloudwatch::types::StateValue;
use aws_sdk_sfn::operation::start_execution::StartExecutionError;
use aws_sdk_sfn::types::ExecutionStatus;
use multiregion_core::deployment::Deployment;
use multiregion_core::dns::{DnsStatus, read_active};
use multiregion_core::naming::Names;
use multiregion_core::region::Region;
use multiregion_core::statemachine::protocol::FailoverInput;
use serde::Serialize;

use crate::error::HandlerError;
use crate::pause;
use crate::probe::{Probe, ProbeReport};
use crate::ticks;
use multiregion_core::settings::relay_delays;

/// How often the active region's pinger probes the standby name and checks
/// its own role, in seconds.
pub const ACTIVE_CHECK_SECONDS: i64 = 15 * 60;

/// What the pinger needs.
#[derive(Debug)]
pub struct Pinger<P> {
    /// Step Functions in the pinger's region.
    pub sfn: aws_sdk_sfn::Client,
    /// Route 53's API: only when the data plane cannot tell the role.
    pub route53: aws_sdk_route53::Client,
    /// CloudWatch in the pinger's region (the alarm's actions).
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// SQS in the pinger's region (the tick relay below a minute).
    pub sqs: aws_sdk_sqs::Client,
    /// The probe.
    pub probe: P,
    /// The deployment.
    pub deployment: Deployment,
    /// The pinger's region.
    pub region: Region,
    /// What the function instance remembers between ticks.
    pub memory: Mutex<Memory>,
}

/// What a function instance remembers between ticks; a new instance starts
/// with nothing and learns it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Memory {
    /// The role last seen.
    pub role: Option<Role>,
    /// The tick of the last check of the active region's (standby probe and
    /// role).
    pub active_checked_at: Option<i64>,
    /// Whether the standby answered at that check.
    pub standby_healthy: bool,
    /// The ledger generation last read.
    pub generation: Option<u64>,
    /// The state machine's creation time (seconds), once read.
    pub incarnation: Option<i64>,
    /// The alarm's actions were enabled by this instance.
    pub alarm_armed: bool,
}

/// The pinger's region's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The public name points here.
    Active,
    /// The public name points at the other region.
    Standby,
}

/// What the pinger did about a failed public name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// Nothing to do.
    None,
    /// It started the failover (or found the same tick's start).
    Started {
        /// The execution.
        execution: String,
    },
    /// An execution is running in this region already.
    Running {
        /// The execution.
        execution: String,
    },
    /// Automation is paused or off here.
    Paused {
        /// What the flag says.
        detail: String,
    },
}

/// One tick's report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PingReport {
    /// The role this tick acted on.
    pub role: Option<Role>,
    /// The public name's probe, when made.
    pub public: Option<ProbeReport>,
    /// The standby name's probe, when made.
    pub standby: Option<ProbeReport>,
    /// What the pinger did.
    pub action: Action,
}

impl<P: Probe> Pinger<P> {
    /// A pinger with nothing remembered.
    pub fn new(
        sfn: aws_sdk_sfn::Client,
        route53: aws_sdk_route53::Client,
        cloudwatch: aws_sdk_cloudwatch::Client,
        sqs: aws_sdk_sqs::Client,
        probe: P,
        deployment: Deployment,
        region: Region,
    ) -> Self {
        Pinger {
            sfn,
            route53,
            cloudwatch,
            sqs,
            probe,
            deployment,
            region,
            memory: Mutex::new(Memory::default()),
        }
    }

    fn memory(&self) -> Memory {
        self.memory.lock().expect("memory lock").clone()
    }

    fn remember(&self, change: impl FnOnce(&mut Memory)) {
        change(&mut self.memory.lock().expect("memory lock"));
    }

    fn state_machine_arn(&self) -> Result<&str, HandlerError> {
        self.deployment
            .region(&self.region)
            .map(|r| r.state_machine_arn.as_str())
            .ok_or_else(|| {
                HandlerError::Failed(format!("{} is not in the deployment", self.region))
            })
    }

    /// The schedule's tick at `tick`. Below a minute it first relays the
    /// minute's later ticks through the region's tick queue ([`ticks`]),
    /// unless this instance knows its region is the active one, which acts
    /// only at its checks; then it runs the tick.
    pub async fn scheduled(&self, tick: i64) -> Result<PingReport, HandlerError> {
        let delays = relay_delays(u64::from(self.deployment.interval_seconds));
        let queue = self
            .deployment
            .region(&self.region)
            .and_then(|r| r.tick_queue_url.as_deref())
            .filter(|_| !delays.is_empty() && self.memory().role != Some(Role::Active));
        if let Some(queue) = queue {
            let relayed = ticks::relay(&self.sqs, queue, tick, &delays).await;
            tracing::info!(
                tick,
                relayed,
                wanted = delays.len(),
                "relayed the minute's ticks"
            );
        }
        self.ping(tick).await
    }

    /// One tick at `tick` (seconds since the epoch, the scheduled event's
    /// time, or a relayed tick's). Fails when its region's alarm should count the tick: the
    /// standby saw the public name fail, or the active saw the standby
    /// unhealthy.
    pub async fn ping(&self, tick: i64) -> Result<PingReport, HandlerError> {
        let memory = self.memory();
        let check_due = memory
            .active_checked_at
            .is_none_or(|at| tick - at >= ACTIVE_CHECK_SECONDS);
        let report = if memory.role == Some(Role::Active) && !check_due {
            PingReport {
                role: Some(Role::Active),
                public: None,
                standby: None,
                action: Action::None,
            }
        } else {
            // Boxed: the watch's future is deep, and the runtime's service
            // future holds it.
            Box::pin(self.watch(tick, &memory, check_due)).await?
        };
        let standby_healthy = self.memory().standby_healthy;
        let public_failed = report.public.as_ref().is_some_and(|p| p.region.is_none());
        tracing::info!(
            tick,
            role = ?report.role,
            public_region = report.public.as_ref().and_then(|p| p.region.as_ref()).map(Region::as_str),
            public_latency_ms = report.public.as_ref().and_then(|p| p.latency_ms),
            public_error = report.public.as_ref().and_then(|p| p.error.as_deref()),
            standby_region = report.standby.as_ref().and_then(|p| p.region.as_ref()).map(Region::as_str),
            standby_error = report.standby.as_ref().and_then(|p| p.error.as_deref()),
            action = ?report.action,
            "ping"
        );
        match report.role {
            Some(Role::Standby) | None if public_failed => {
                Err(HandlerError::ActiveUnhealthy(format!(
                    "{}; {}",
                    report
                        .public
                        .as_ref()
                        .map(ProbeReport::describe)
                        .unwrap_or_default(),
                    describe(&report.action)
                )))
            }
            Some(Role::Active) if !standby_healthy => Err(HandlerError::StandbyUnhealthy(
                report
                    .standby
                    .as_ref()
                    .map_or("at the last check".into(), ProbeReport::describe),
            )),
            _ => {
                self.arm_alarm().await;
                Ok(report)
            }
        }
    }

    /// Probes the public name (and, for the active, the standby name), and
    /// acts on a failure.
    async fn watch(
        &self,
        tick: i64,
        memory: &Memory,
        check_due: bool,
    ) -> Result<PingReport, HandlerError> {
        let deployment = &self.deployment;
        let public = self.probe.probe(&deployment.active_name).await;
        let public = ProbeReport::new(&deployment.active_name, &public);
        let seen = public.region.as_ref().map(|answered| {
            if answered == &self.region {
                Role::Active
            } else {
                Role::Standby
            }
        });
        // A standby that sees no answer stays the standby (its state machine
        // reads the records before any swap). An active, or an instance that
        // knows nothing, asks the records: after a swap it made no probe
        // could tell it that it became the standby.
        let role = match (seen, memory.role) {
            (Some(role), _) => Some(role),
            (None, Some(Role::Standby)) => Some(Role::Standby),
            (None, known) => self.role_from_records().await.or(known),
        };
        self.remember(|m| m.role = role);
        let mut report = PingReport {
            role,
            public: Some(public),
            standby: None,
            action: Action::None,
        };
        if role == Some(Role::Active) {
            if check_due || memory.role != Some(Role::Active) {
                let standby = self.probe.probe(&deployment.standby_name).await;
                let standby = ProbeReport::new(&deployment.standby_name, &standby);
                let healthy = standby.region.as_ref().is_some_and(|r| r != &self.region);
                self.remember(|m| {
                    m.active_checked_at = Some(tick);
                    m.standby_healthy = healthy;
                });
                report.standby = Some(standby);
            }
            return Ok(report);
        }
        self.remember(|m| {
            m.active_checked_at = None;
            m.standby_healthy = true;
        });
        if report.public.as_ref().is_some_and(|p| p.region.is_none()) {
            report.action = Box::pin(self.start_failover(tick)).await?;
        }
        Ok(report)
    }

    /// The role by the records (Route 53's API); `None` when they cannot be
    /// read or name neither region.
    async fn role_from_records(&self) -> Option<Role> {
        match read_active(&self.route53, &self.deployment.pair()).await {
            Ok((_, view)) => {
                let generation = view.last_swap().map(|l| l.generation);
                self.remember(|m| m.generation = generation.or(m.generation));
                match (view.status, view.active_region) {
                    (DnsStatus::Ok, Some(active)) if active == self.region => Some(Role::Active),
                    (DnsStatus::Ok, Some(_)) => Some(Role::Standby),
                    _ => None,
                }
            }
            Err(error) => {
                tracing::warn!(%error, "the records could not be read; the role stays unknown");
                None
            }
        }
    }

    /// Starts this region's state machine for the failed tick `tick`,
    /// unless automation is paused or an execution runs already.
    async fn start_failover(&self, tick: i64) -> Result<Action, HandlerError> {
        let arn = self.state_machine_arn()?;
        // Both are regional reads of this region's state machine.
        let (running, flag) =
            tokio::join!(self.running_execution(arn), pause::read(&self.sfn, arn));
        if let Some(running) = running? {
            return Ok(Action::Running { execution: running });
        }
        let flag = flag?;
        if !flag.is_on() {
            return Ok(Action::Paused {
                detail: flag.describe(),
            });
        }
        if self.memory().generation.is_none() {
            // Read once per instance, and only on a failure: the Route 53 API
            // is control plane.
            let _ = self.role_from_records().await;
        }
        let generation = self.memory().generation.unwrap_or(0);
        let incarnation = self.incarnation(arn).await?;
        let name = Names::execution(incarnation, generation, tick);
        let input = FailoverInput {
            reason: multiregion_core::Reason::Runtime.as_str().to_owned(),
            target: Some(self.region.clone()),
            generation: Some(generation),
            tick: Some(tick),
        };
        let input = serde_json::to_string(&input).expect("an input serializes");
        let started = self
            .sfn
            .start_execution()
            .state_machine_arn(arn)
            .name(&name)
            .input(input)
            .send()
            .await;
        match started {
            Ok(out) => Ok(Action::Started {
                execution: out.execution_arn().to_owned(),
            }),
            // The same tick was started already (a second delivery): that
            // execution is this one, whatever became of it.
            Err(e)
                if matches!(
                    e.as_service_error(),
                    Some(StartExecutionError::ExecutionAlreadyExists(_))
                ) =>
            {
                Ok(Action::Started {
                    execution: execution_arn(arn, &name),
                })
            }
            Err(e) => Err(HandlerError::from_sdk("StartExecution", e)),
        }
    }

    async fn running_execution(&self, arn: &str) -> Result<Option<String>, HandlerError> {
        let listed = self
            .sfn
            .list_executions()
            .state_machine_arn(arn)
            .status_filter(ExecutionStatus::Running)
            .max_results(1)
            .send()
            .await
            .map_err(|e| HandlerError::from_sdk("ListExecutions", e))?;
        Ok(listed
            .executions()
            .first()
            .map(|e| e.execution_arn().to_owned()))
    }

    async fn incarnation(&self, arn: &str) -> Result<i64, HandlerError> {
        if let Some(known) = self.memory().incarnation {
            return Ok(known);
        }
        let machine = self
            .sfn
            .describe_state_machine()
            .state_machine_arn(arn)
            .send()
            .await
            .map_err(|e| HandlerError::from_sdk("DescribeStateMachine", e))?;
        let created = machine.creation_date().secs();
        self.remember(|m| m.incarnation = Some(created));
        Ok(created)
    }

    /// Enables the alarm's actions once the alarm has judged a good
    /// datapoint (its state is OK): the provider creates it with its actions
    /// off, and a new pinger's first periods have no data, which counts as
    /// breaching. Read once per instance after the actions are on. A failure
    /// is logged, never raised: the alarm is for people.
    async fn arm_alarm(&self) {
        if self.memory().alarm_armed {
            return;
        }
        let name = &self.deployment.alarm_name;
        let described = self
            .cloudwatch
            .describe_alarms()
            .alarm_names(name)
            .send()
            .await;
        let alarm = match described {
            Ok(out) => out.metric_alarms().first().cloned(),
            Err(error) => {
                tracing::warn!(error = %HandlerError::from_sdk("DescribeAlarms", error), "the alarm could not be read");
                return;
            }
        };
        let Some(alarm) = alarm else {
            tracing::warn!(%name, "the alarm does not exist");
            return;
        };
        if alarm.actions_enabled() == Some(true) {
            self.remember(|m| m.alarm_armed = true);
            return;
        }
        if alarm.state_value() != Some(&StateValue::Ok) {
            tracing::info!(state = ?alarm.state_value(), "the alarm has not judged a good datapoint yet: its actions stay off");
            return;
        }
        match self
            .cloudwatch
            .enable_alarm_actions()
            .alarm_names(name)
            .send()
            .await
        {
            Ok(_) => {
                tracing::info!(%name, "the alarm's actions are on");
                self.remember(|m| m.alarm_armed = true);
            }
            Err(error) => tracing::warn!(
                error = %HandlerError::from_sdk("EnableAlarmActions", error),
                "the alarm's actions could not be enabled"
            ),
        }
    }
}

fn describe(action: &Action) -> String {
    match action {
        Action::None => "no failover started".into(),
        Action::Started { execution } => format!("started the failover {execution}"),
        Action::Running { execution } => format!("the failover {execution} is running"),
        Action::Paused { detail } => format!("no failover: {detail}"),
    }
}

/// The state machine of `region` in `deployment`.
pub fn state_machine_arn<'a>(
    deployment: &'a Deployment,
    region: &Region,
) -> Result<&'a str, HandlerError> {
    deployment
        .region(region)
        .map(|r| r.state_machine_arn.as_str())
        .ok_or_else(|| HandlerError::Failed(format!("{region} is not in the deployment")))
}

/// The ARN of the execution `name` of `state_machine_arn`.
pub fn execution_arn(state_machine_arn: &str, name: &str) -> String {
    format!(
        "{}:{name}",
        state_machine_arn.replacen(":stateMachine:", ":execution:", 1)
    )
}

#[cfg(test)]
#[path = "pinger_tests.rs"]
mod tests;
