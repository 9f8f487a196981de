//! What an older provider deployed and this runtime no longer uses: the first
//! runtime's kicker (an SNS subscriber of the alarm that started the state
//! machine) with its role and its log group, and the alarm topic it listened
//! on. The standby's pinger starts the state machine itself now.
//!
//! A state written by the older provider converges in one apply: `ensure`
//! deletes them once the new runtime is in place (after the alarm points at
//! the notification topic, so no alarm notifies a topic being deleted), and
//! `delete` deletes them too, so a destroy of an old deployment leaves
//! nothing. Not-found is done. With the function go its event-invoke
//! configuration and its permission for SNS; with the topic its
//! subscriptions.

use super::{ApparatusContext, ApparatusError, code, deleted, sdk_message};

impl ApparatusContext<'_> {
    fn retired_log_group(&self) -> String {
        format!("/aws/lambda/{}", self.names.retired_kicker_function())
    }

    fn retired_alarm_topic_arn(&self) -> String {
        self.arn("sns", &self.names.retired_alarm_topic())
    }

    /// Deletes the retired pieces in this region (and the region's retired
    /// role), in the order they were built on: the topic first, so nothing
    /// is left to invoke the kicker, then the function, its role and its log
    /// group.
    pub(super) async fn delete_retired(&self) -> Result<(), ApparatusError> {
        self.delete_topic_of_ours(&self.retired_alarm_topic_arn())
            .await?;
        let function = self.names.retired_kicker_function();
        let removed = self
            .clients
            .lambda
            .delete_function()
            .function_name(&function)
            .send()
            .await;
        deleted(removed, "ResourceNotFoundException").map_err(|e| {
            self.failure(
                "deleting the retired kicker function",
                format!("{function}: {}", sdk_message(&e)),
            )
        })?;
        self.delete_role(&self.names.retired_kicker_role(self.region))
            .await?;
        let group = self.retired_log_group();
        let removed = self
            .clients
            .logs
            .delete_log_group()
            .log_group_name(&group)
            .send()
            .await;
        deleted(removed, "ResourceNotFoundException").map_err(|e| {
            self.failure(
                "deleting the retired kicker's log group",
                format!("{group}: {}", sdk_message(&e)),
            )
        })
    }

    /// What of the retired pieces is still there, as problems: the next
    /// apply deletes them.
    pub(super) async fn read_retired(&self) -> Result<Vec<String>, ApparatusError> {
        let mut left = Vec::new();
        let function = self.names.retired_kicker_function();
        match self
            .clients
            .lambda
            .get_function()
            .function_name(&function)
            .send()
            .await
        {
            Ok(_) => left.push(format!("the retired kicker function {function} is left")),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => {}
            Err(e) => {
                return Err(self.failure(
                    "reading the retired kicker function",
                    format!("{function}: {}", sdk_message(&e)),
                ));
            }
        }
        let role = self.names.retired_kicker_role(self.region);
        match self.global.iam.get_role().role_name(&role).send().await {
            Ok(_) => left.push(format!("the retired kicker role {role} is left")),
            Err(e) if code(&e) == Some("NoSuchEntity") => {}
            Err(e) => {
                return Err(self.failure(
                    "reading the retired kicker role",
                    format!("{role}: {}", sdk_message(&e)),
                ));
            }
        }
        let topic = self.retired_alarm_topic_arn();
        match self
            .clients
            .sns
            .get_topic_attributes()
            .topic_arn(&topic)
            .send()
            .await
        {
            Ok(_) => left.push(format!(
                "the retired alarm topic {} is left",
                self.names.retired_alarm_topic()
            )),
            Err(e) if code(&e) == Some("NotFound") => {}
            Err(e) => {
                return Err(self.failure(
                    "reading the retired alarm topic",
                    format!("{topic}: {}", sdk_message(&e)),
                ));
            }
        }
        Ok(left)
    }
}
