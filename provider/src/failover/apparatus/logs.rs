//! Log groups: one per function (Lambda's own `/aws/lambda/<name>`) and one
//! for the state machine, created before what writes to them, with the
//! configured retention, and deleted on destroy.

use multiregion_core::naming::Component;

use super::{ApparatusContext, ApparatusError, code, deleted, sdk_message};

impl ApparatusContext<'_> {
    fn log_groups(&self) -> Vec<String> {
        let mut groups: Vec<String> = Component::ALL
            .iter()
            .map(|c| self.names.function_log_group(*c))
            .collect();
        groups.push(self.names.state_machine_log_group());
        groups
    }

    /// The state machine's log group ARN, as its logging configuration
    /// wants it.
    pub(super) fn state_machine_log_group_arn(&self) -> String {
        self.arn(
            "logs",
            &format!("log-group:{}:*", self.names.state_machine_log_group()),
        )
    }

    pub(super) async fn ensure_log_groups(&self) -> Result<(), ApparatusError> {
        let logs = &self.clients.logs;
        for group in self.log_groups() {
            match logs
                .create_log_group()
                .log_group_name(&group)
                .set_tags(Some(self.tags()))
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if code(&e) == Some("ResourceAlreadyExistsException") => {}
                Err(e) => {
                    return Err(self.failure(
                        "creating a log group",
                        format!("{group}: {}", sdk_message(&e)),
                    ));
                }
            }
            logs.put_retention_policy()
                .log_group_name(&group)
                .retention_in_days(self.settings.log_retention_days)
                .send()
                .await
                .map_err(|e| {
                    self.failure(
                        "setting a log group's retention",
                        format!("{group}: {}", sdk_message(&e)),
                    )
                })?;
        }
        Ok(())
    }

    pub(super) async fn delete_log_groups(&self) -> Result<(), ApparatusError> {
        for group in self.log_groups() {
            let removed = self
                .clients
                .logs
                .delete_log_group()
                .log_group_name(&group)
                .send()
                .await;
            deleted(removed, "ResourceNotFoundException").map_err(|e| {
                self.failure(
                    "deleting a log group",
                    format!("{group}: {}", sdk_message(&e)),
                )
            })?;
        }
        Ok(())
    }
}
