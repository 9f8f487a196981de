//! The failover apparatus of one region: log groups, IAM roles, SNS topics,
//! the handler Lambdas with their permissions, the pinger's schedule, the
//! state machine and the failover alarm. Together with the other region's,
//! it is what makes the pair fail over by itself after `apply`.
//!
//! Like the API side, `ensure` is idempotent (it finds, creates, and repairs
//! what differs), `read` only reads, and `delete` removes what the resource
//! created, in the reverse order, treating not-found as done.

mod alarm;
mod functions;
pub mod iam;
mod logs;
mod roles;
pub mod settings;
mod states;

use multiregion_core::Region;
use multiregion_core::deployment::Deployment;
use multiregion_core::naming::{self, Component, Names};
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
    /// The alarm's actions are disabled while `failover.automatic` is true:
    /// automation was paused by hand.
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

    fn policy_context(&self) -> PolicyContext<'_> {
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
            metric_namespace: &self.deployment.metric_namespace,
            notification_topic_arn: self.notification_topic_arn(),
        }
    }

    /// Creates what is missing and updates what differs, in dependency
    /// order: logs, roles, topics, functions, permissions, schedule, state
    /// machine, alarm.
    pub async fn ensure(&self, paused_by_hand: bool) -> Result<ApparatusState, ApparatusError> {
        self.ensure_log_groups().await?;
        let roles = self.ensure_roles().await?;
        let topics = self.ensure_topics().await?;
        let functions = self.ensure_functions(&roles).await?;
        self.ensure_permissions(&functions, &topics).await?;
        self.ensure_schedule(&functions).await?;
        let state_machine_arn = self.ensure_state_machine(&roles).await?;
        // A pause is per region: only an alarm whose actions are disabled
        // right now stays paused; the other region's alarm is put armed.
        let keep_paused = paused_by_hand && self.read_alarm().await? == Some(false);
        self.ensure_alarm(&topics, keep_paused).await?;
        Ok(ApparatusState {
            state_machine_arn: Some(state_machine_arn),
            notification_topic_arn: Some(topics.notification),
            paused: keep_paused && self.settings.failover.automatic,
            problems: Vec::new(),
        })
    }

    /// Reads what exists; records what is missing or different.
    pub async fn read(&self) -> Result<ApparatusState, ApparatusError> {
        let mut state = ApparatusState {
            notification_topic_arn: Some(self.notification_topic_arn()),
            ..ApparatusState::default()
        };
        let (functions, machine, alarm) = tokio::join!(
            self.read_functions(),
            self.read_state_machine(),
            self.read_alarm(),
        );
        state.problems.extend(functions?);
        match machine? {
            Some(arn) => state.state_machine_arn = Some(arn),
            None => state.problems.push("the state machine is missing".into()),
        }
        match alarm? {
            Some(actions_enabled) => {
                state.paused = self.settings.failover.automatic && !actions_enabled;
            }
            None => state.problems.push("the failover alarm is missing".into()),
        }
        Ok(state)
    }

    /// Deletes what the resource created here, in reverse order.
    pub async fn delete(&self) -> Result<(), ApparatusError> {
        self.delete_alarm().await?;
        self.delete_schedule().await?;
        self.delete_state_machine().await?;
        self.delete_functions().await?;
        self.delete_topics().await?;
        self.delete_roles().await?;
        self.delete_log_groups().await
    }
}

/// Every component's function, in deployment order.
pub fn components() -> [Component; 5] {
    Component::ALL
}
