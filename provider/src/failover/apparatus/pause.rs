//! The automation flag: the tag [`automation::TAG`] on each region's state
//! machine, which the pinger reads before it starts a failover and the
//! swapper before every swap (see [`multiregion_core::automation`]).
//!
//! Apply writes and removes only Terraform's value ([`automation::OFF`], for
//! `failover { automatic = false }`). Any other value is a person's pause
//! (or the circuit breaker's): apply never removes it, and Terraform shows it
//! as `automatic_failover_paused`.
//!
//! The first runtime's pause was the alarm's actions, disabled by hand. Where
//! an older provider's runtime is found with its alarm's actions disabled
//! while `failover.automatic` is true, apply carries that pause over as
//! [`automation::PAUSED`] before it removes the older runtime.

use multiregion_core::automation::{self, Automation, TagChange};

use super::{ApparatusContext, ApparatusError, sdk_message};

impl ApparatusContext<'_> {
    /// The flag on the state machine `arn`.
    pub(super) async fn read_automation_tag(
        &self,
        arn: &str,
    ) -> Result<Automation, ApparatusError> {
        let tags = self
            .clients
            .sfn
            .list_tags_for_resource()
            .resource_arn(arn)
            .send()
            .await
            .map_err(|e| self.failure("reading the state machine's tags", sdk_message(&e)))?;
        let value = tags
            .tags()
            .iter()
            .find(|t| t.key() == Some(automation::TAG))
            .and_then(|t| t.value());
        Ok(Automation::from_tag(value))
    }

    /// Writes or removes Terraform's value of the flag on the state machine
    /// `arn` for `failover.automatic`, leaving a person's pause and every
    /// other tag as they are; returns the flag as it then is.
    /// `older_pause`: an older provider's runtime here was paused by hand
    /// (its alarm's actions disabled); a flag that is on becomes
    /// [`automation::PAUSED`].
    pub(super) async fn ensure_automation_tag(
        &self,
        arn: &str,
        older_pause: bool,
    ) -> Result<Automation, ApparatusError> {
        let sfn = &self.clients.sfn;
        let current = self.read_automation_tag(arn).await?;
        let value = match &current {
            Automation::On => None,
            Automation::Off => Some(automation::OFF),
            Automation::Paused(value) => Some(value.as_str()),
        };
        let change = match Automation::terraform_tag(self.settings.failover.automatic, value) {
            TagChange::Keep if older_pause && current.is_on() => TagChange::Set(automation::PAUSED),
            change => change,
        };
        match change {
            TagChange::Keep => Ok(current),
            TagChange::Set(value) => {
                sfn.tag_resource()
                    .resource_arn(arn)
                    .tags(
                        aws_sdk_sfn::types::Tag::builder()
                            .key(automation::TAG)
                            .value(value)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| {
                        self.failure(
                            "tagging the state machine's automation flag",
                            sdk_message(&e),
                        )
                    })?;
                Ok(Automation::from_tag(Some(value)))
            }
            TagChange::Remove => {
                sfn.untag_resource()
                    .resource_arn(arn)
                    .tag_keys(automation::TAG)
                    .send()
                    .await
                    .map_err(|e| self.failure("turning automatic failover on", sdk_message(&e)))?;
                Ok(Automation::On)
            }
        }
    }

    /// What differs from `failover.automatic` in the flag read, if anything
    /// apply would change. A person's pause is not a difference: apply
    /// keeps it.
    pub(super) fn automation_problem(&self, flag: &Automation) -> Option<String> {
        match (self.settings.failover.automatic, flag) {
            (false, Automation::On) => Some(format!(
                "automatic failover is on, but failover.automatic is false (the state machine has no tag {})",
                automation::TAG
            )),
            (true, Automation::Off) => Some(format!(
                "automatic failover is off, but failover.automatic is true (the state machine's tag {} is {:?})",
                automation::TAG,
                automation::OFF
            )),
            _ => None,
        }
    }
}
