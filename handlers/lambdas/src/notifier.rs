//! The notifier: publishes a failover's outcome (swapped, already active,
//! refused and why, failed and why, given up) to the notification topic of
//! the region running the state machine, and the one notice of an episode
//! that a held execution sends (the failover waits, and why).

use multiregion_core::deployment::Deployment;
use multiregion_core::region::Region;
use multiregion_core::statemachine::protocol::{
    HOLD_MAX_AGE_SECONDS, HOLD_MAX_WAIT_SECONDS, NotifyRequest, PROTOCOL_VERSION, SwapStatus,
    errors,
};
use serde::Serialize;

use crate::error::HandlerError;

/// What the notifier needs.
#[derive(Debug)]
pub struct Notifier {
    /// SNS in the notifier's region.
    pub sns: aws_sdk_sns::Client,
    /// The deployment.
    pub deployment: Deployment,
    /// The notifier's region.
    pub region: Region,
}

/// How a failover ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Both records and the ledger changed.
    Swapped,
    /// Swapped, but INSYNC or the check of the public name failed.
    SwappedUnverified,
    /// The target was already active: nothing was written.
    AlreadyActive,
    /// A check said no: nothing was written.
    Refused,
    /// Something broke before the swap: nothing was written.
    Failed,
    /// The failover cannot be made now; the execution waits and checks
    /// again (the one notice of an episode).
    Held,
    /// The execution held for its maximum age without a failover.
    GaveUp,
}

impl Outcome {
    /// The outcome as the message's first word.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Swapped => "swapped",
            Outcome::SwappedUnverified => "swapped, not verified",
            Outcome::AlreadyActive => "no swap needed",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::Held => "waiting",
            Outcome::GaveUp => "given up",
        }
    }
}

/// The published message (its JSON is the SNS message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// How it ended.
    pub outcome: Outcome,
    /// One sentence for people.
    pub summary: String,
    /// The resource's `name`.
    pub name: String,
    /// The resource id.
    pub resource_id: String,
    /// The public name.
    pub domain_name: String,
    /// The region whose state machine ran.
    pub region: Region,
    /// The region that was to become active.
    pub target: Region,
    /// The region active before, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<Region>,
    /// `runtime` or `manual`.
    pub reason: String,
    /// The ledger generation after the execution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
    /// The execution ARN.
    pub execution: String,
    /// When the execution started.
    pub started: String,
    /// The error that ended it, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Composes the message for an execution's data. Pure.
pub fn compose(deployment: &Deployment, region: &Region, request: &NotifyRequest) -> Notification {
    let state = &request.state;
    let target = state.input.target.clone().unwrap_or_else(|| region.clone());
    let swapped = state
        .swap
        .as_ref()
        .is_some_and(|s| s.outcome == SwapStatus::Swapped);
    let held = state.hold.as_ref();
    let outcome = match (&state.error, &state.swap) {
        (None, _) if swapped => Outcome::Swapped,
        (Some(e), _) if e.error == errors::HOLD_EXPIRED => Outcome::GaveUp,
        (None, None) if held.is_some() => Outcome::Held,
        (Some(_), _) if swapped => Outcome::SwappedUnverified,
        (None, Some(s)) if s.outcome == SwapStatus::AlreadyActive => Outcome::AlreadyActive,
        (Some(error), _) if error.is_refusal() => Outcome::Refused,
        _ => Outcome::Failed,
    };
    let from = state
        .swap
        .as_ref()
        .and_then(|s| s.from.clone())
        .or_else(|| state.check.as_ref().and_then(|c| c.from.clone()));
    let generation = state
        .swap
        .as_ref()
        .map(|s| s.generation)
        .or_else(|| state.check.as_ref().map(|c| c.generation));
    let error = state
        .error
        .as_ref()
        .or(held.map(|h| &h.reason))
        .map(|e| format!("{}: {}", e.error, e.message()));
    let name = &deployment.active_name;
    let was = from
        .as_ref()
        .map(|f| format!(" (was {f})"))
        .unwrap_or_default();
    let summary = match outcome {
        Outcome::Swapped => format!("swapped: {name} now points at {target}{was}"),
        Outcome::SwappedUnverified => format!(
            "swapped: {name} now points at {target}{was}, but it was not verified: {}",
            error.as_deref().unwrap_or("unknown")
        ),
        Outcome::AlreadyActive => {
            format!("no swap needed: {target} was already active for {name}")
        }
        Outcome::Held => format!(
            "waiting: no swap of {name} to {target} yet: {}; the failover checks again at most \
             every {HOLD_MAX_WAIT_SECONDS} s for up to {} h, and swaps once it can",
            error.as_deref().unwrap_or("unknown"),
            HOLD_MAX_AGE_SECONDS / 3600
        ),
        Outcome::Refused | Outcome::Failed | Outcome::GaveUp => format!(
            "{}: no swap of {name} to {target}: {}",
            outcome.as_str(),
            error.as_deref().unwrap_or("unknown")
        ),
    };
    Notification {
        outcome,
        summary,
        name: deployment.name.clone(),
        resource_id: deployment.resource_id.clone(),
        domain_name: deployment.active_name.clone(),
        region: region.clone(),
        target,
        from,
        reason: state.input.reason.clone(),
        generation,
        execution: request.execution.clone(),
        started: request.started.clone(),
        error,
    }
}

/// What was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    /// SNS's message id.
    pub message_id: String,
    /// The outcome published.
    pub outcome: Outcome,
}

/// Publishes `notification` to the notification topic of `region`: the one
/// way outcomes reach people.
pub async fn publish(
    sns: &aws_sdk_sns::Client,
    deployment: &Deployment,
    region: &Region,
    notification: &Notification,
) -> Result<Published, HandlerError> {
    let topic = &deployment
        .region(region)
        .ok_or_else(|| HandlerError::Failed(format!("{region} is not in the deployment")))?
        .notification_topic_arn;
    let subject: String = format!(
        "multiregion {}: {} ({})",
        deployment.name,
        notification.outcome.as_str(),
        notification.target
    )
    .chars()
    .take(100)
    .collect();
    let output = sns
        .publish()
        .topic_arn(topic)
        .subject(subject)
        .message(serde_json::to_string_pretty(notification).expect("serializes"))
        .send()
        .await
        .map_err(|e| HandlerError::from_sdk("Publish", e))?;
    tracing::info!(outcome = ?notification.outcome, summary = %notification.summary, "notified");
    Ok(Published {
        message_id: output.message_id().unwrap_or_default().to_owned(),
        outcome: notification.outcome,
    })
}

impl Notifier {
    /// Publishes the outcome of an execution.
    pub async fn notify(&self, request: NotifyRequest) -> Result<Published, HandlerError> {
        if request.protocol != PROTOCOL_VERSION {
            return Err(HandlerError::InvalidInput(format!(
                "the definition speaks protocol {}, this notifier {PROTOCOL_VERSION}",
                request.protocol
            )));
        }
        let notification = compose(&self.deployment, &self.region, &request);
        publish(&self.sns, &self.deployment, &self.region, &notification).await
    }
}
