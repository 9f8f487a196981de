//! The failover apparatus of one region: log groups, IAM roles, the
//! notification topic, the handler Lambdas with their permissions and the
//! pinger's event-invoke configuration, the tick relay of a sub-minute
//! interval (an SQS queue mapped to the pinger), the pinger's schedule, the state
//! machine with its automation tag, and the paging alarm. Together with the
//! other region's, it is what makes the pair fail over by itself after
//! `apply`: the standby's pinger starts its own state machine.
//!
//! Like the API side, `ensure` is idempotent (it finds, creates, and repairs
//! what differs), `read` only reads, and `delete` removes what the resource
//! created, in the reverse order, treating not-found as done. Both `ensure`
//! and `delete` also remove what an older provider created and this runtime
//! no longer uses ([`retired`]).

mod alarm;
mod functions;
pub mod iam;
mod logs;
mod pause;
mod retired;
mod roles;
pub mod settings;
mod states;
mod ticks;
pub mod topic_key;

use multiregion_core::Region;
use multiregion_core::deployment::Deployment;
use multiregion_core::naming::{self, Names};
use multiregion_core::package::Package;

use crate::clients::{GlobalClients, RegionClients};
use iam::PolicyContext;
use settings::Settings;

pub use settings::{EffectiveFailover, EffectiveHealthCheck};

/// A failed apparatus step.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{region}: {step}: {message}")]
pub struct ApparatusError {
    /// The region.
    pub region: String,
    /// What was being done.
    pub step: String,
    /// What went wrong.
    pub message: String,
}

pub(crate) use super::sdk_error::{code, deleted, sdk_message};

/// What exists of the apparatus in a region.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApparatusState {
    /// The state machine's ARN, when it exists.
    pub state_machine_arn: Option<String>,
    /// The notification topic's ARN.
    pub notification_topic_arn: Option<String>,
    /// Automation was paused by a person (or the circuit breaker): the state
    /// machine's automation tag holds a value other than Terraform's (or an
    /// older provider's runtime here is paused its way, which apply carries
    /// over to the tag).
    pub paused: bool,
    /// Pieces found missing or different (empty: all there).
    pub problems: Vec<String>,
}

/// Everything a region's apparatus needs.
#[derive(Debug)]
pub struct ApparatusContext<'a> {
    /// The region.
    pub region: &'a Region,
    /// The account.
    pub account_id: &'a str,
    /// Names derived from `name`.
    pub names: &'a Names,
    /// The resource id (tag value).
    pub id: &'a str,
    /// `primary` or `secondary`.
    pub block: &'static str,
    /// The deployment contract every function gets.
    pub deployment: &'a Deployment,
    /// The ledger record's name.
    pub ledger_name: &'a str,
    /// The handler package.
    pub package: &'a Package,
    /// The settings in effect.
    pub settings: &'a Settings,
    /// The notification topic the user gave for this region, if any.
    pub notification_topic_arn: Option<&'a str>,
    /// The REST API whose health route invokes the ponger.
    pub health_api_id: &'a str,
    /// The health route's resource path within that API (`/health/ping`).
    pub health_resource_path: &'a str,
    /// The region's clients.
    pub clients: &'a RegionClients,
    /// IAM (global).
    pub global: &'a GlobalClients,
}

impl ApparatusContext<'_> {
    fn failure(&self, step: &str, message: impl Into<String>) -> ApparatusError {
        ApparatusError {
            region: self.region.to_string(),
            step: step.to_owned(),
            message: message.into(),
        }
    }

    fn tags(&self) -> std::collections::HashMap<String, String> {
        std::collections::HashMap::from([
            (naming::TAG_ID.to_owned(), self.id.to_owned()),
            (naming::TAG_NAME.to_owned(), self.names.name().to_owned()),
            (
                super::region::TAG_REGION.to_owned(),
                self.region.to_string(),
            ),
            (super::region::TAG_BLOCK.to_owned(), self.block.to_owned()),
        ])
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.region.partition().as_str(),
            self.region,
            self.account_id
        )
    }

    /// Our notification topic's ARN, or the user's.
    pub fn notification_topic_arn(&self) -> String {
        self.notification_topic_arn
            .map(str::to_owned)
            .unwrap_or_else(|| self.arn("sns", &self.names.notification_topic()))
    }

    /// The KMS key of the user's notification topic, by ARN, when the topic
    /// is encrypted with one the notifier's role can be granted (the plan
    /// refuses the others). Read at every apply, so a topic whose key
    /// changed gets the new grant.
    async fn notification_key_arn(&self) -> Result<Option<String>, ApparatusError> {
        let Some(topic) = self.notification_topic_arn else {
            return Ok(None);
        };
        let key = topic_key::read(&self.clients.sns, topic)
            .await
            .map_err(|e| {
                self.failure(
                    "reading the notification topic",
                    format!("{topic}: {}", sdk_message(&e)),
                )
            })?;
        Ok(key
            .as_ref()
            .and_then(topic_key::TopicKey::grantable_arn)
            .map(str::to_owned))
    }

    fn policy_context(&self, notification_key_arn: Option<String>) -> PolicyContext<'_> {
        PolicyContext {
            names: self.names,
            region: self.region,
            account_id: self.account_id,
            hosted_zone_id: &self.deployment.hosted_zone_id,
            record_names: [
                &self.deployment.active_name,
                &self.deployment.standby_name,
                self.ledger_name,
            ],
            notification_topic_arn: self.notification_topic_arn(),
            notification_key_arn,
            other_state_machine_arn: self
                .deployment
                .other(self.region)
                .map(|r| r.state_machine_arn.clone())
                .unwrap_or_default(),
            tick_relay: self.settings.health_check.core().relayed(),
        }
    }

    /// Creates what is missing and updates what differs, in dependency
    /// order: logs, roles, topic, functions, permissions, schedule, state
    /// machine and its automation tag, alarm; then removes what an older
    /// provider made that this runtime no longer uses, once the new runtime
    /// is in place.
    pub async fn ensure(&self) -> Result<ApparatusState, ApparatusError> {
        let older_runtime = !self.read_retired().await?.is_empty();
        let older_pause = self.older_pause(older_runtime, self.read_alarm().await?);
        self.ensure_log_groups().await?;
        let roles = self.ensure_roles().await?;
        let notification = self.ensure_topic().await?;
        let functions = self.ensure_functions(&roles).await?;
        self.ensure_permissions().await?;
        self.ensure_tick_relay().await?;
        self.ensure_schedule(&functions).await?;
        let state_machine_arn = self.ensure_state_machine(&roles).await?;
        let automation = self
            .ensure_automation_tag(&state_machine_arn, older_pause)
            .await?;
        self.ensure_alarm(&notification).await?;
        self.delete_retired().await?;
        Ok(ApparatusState {
            state_machine_arn: Some(state_machine_arn),
            notification_topic_arn: Some(notification),
            paused: automation.paused_by_hand(),
            problems: Vec::new(),
        })
    }

    /// Reads what exists; records what is missing or different.
    pub async fn read(&self) -> Result<ApparatusState, ApparatusError> {
        let mut state = ApparatusState {
            notification_topic_arn: Some(self.notification_topic_arn()),
            ..ApparatusState::default()
        };
        let (functions, relay, machine, alarm, retired) = tokio::join!(
            self.read_functions(),
            self.read_tick_relay(),
            self.read_state_machine(),
            self.read_alarm(),
            self.read_retired(),
        );
        let (alarm, retired) = (alarm?, retired?);
        state.problems.extend(functions?);
        state.problems.extend(relay?);
        match machine? {
            Some(arn) => {
                let automation = self.read_automation_tag(&arn).await?;
                state.paused = automation.paused_by_hand();
                state.problems.extend(self.automation_problem(&automation));
                state.state_machine_arn = Some(arn);
            }
            None => state.problems.push("the state machine is missing".into()),
        }
        state.paused |= self.older_pause(!retired.is_empty(), alarm);
        if alarm.is_none() {
            state.problems.push("the paging alarm is missing".into());
        }
        state.problems.extend(retired);
        Ok(state)
    }

    /// Whether an older provider's runtime found here (`older_runtime`) was
    /// paused by hand: its pause was the alarm's actions disabled while
    /// `failover.automatic` was true (`alarm`: whether they are enabled).
    /// Apply carries it over as the automation tag before it removes that
    /// runtime, so the migration resumes nothing someone paused; until then
    /// a refresh shows it as `automatic_failover_paused`, as the older
    /// provider did.
    fn older_pause(&self, older_runtime: bool, alarm: Option<bool>) -> bool {
        older_runtime && self.settings.failover.automatic && alarm == Some(false)
    }

    /// Deletes what the resource created here, in reverse order, and what an
    /// older provider created that this runtime no longer uses.
    pub async fn delete(&self) -> Result<(), ApparatusError> {
        self.delete_alarm().await?;
        self.delete_schedule().await?;
        self.delete_state_machine().await?;
        self.delete_tick_relay().await?;
        self.delete_functions().await?;
        self.delete_topic().await?;
        self.delete_roles().await?;
        self.delete_log_groups().await?;
        self.delete_retired().await
    }
}
