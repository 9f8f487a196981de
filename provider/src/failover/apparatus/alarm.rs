//! Detection and paging: the pinger's schedule, the region's paging alarm on
//! the pinger's own Lambda metrics, and the notification topic users
//! subscribe to.
//!
//! The alarm is on `AWS/Lambda` `Errors` (free) of the region's pinger, Sum
//! per `interval_seconds` (per minute below a minute: Lambda's metrics have
//! standard resolution), at least 1 in `datapoints_to_alarm` of
//! `evaluation_periods`, with missing data breaching: a pinger that cannot
//! run at all (no invocation, no datapoint) counts as failing. The pinger
//! fails when, in the standby region, the active name fails, and, in the
//! active region, when the standby is unhealthy. The alarm notifies the
//! region's notification topic: it pages a person and is not on the failover
//! path (the standby's pinger starts the state machine itself).
//!
//! Its actions are disabled when it is created: a new pinger has no
//! datapoints yet, and missing data breaching would page at every create.
//! The pinger enables them after its first good tick; apply keeps whatever
//! it finds.

use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
use multiregion_core::naming::Component;

use super::{ApparatusContext, ApparatusError, code, deleted, sdk_message};

impl ApparatusContext<'_> {
    pub(super) fn schedule_rule_arn(&self) -> String {
        self.arn("events", &format!("rule/{}", self.names.schedule_rule()))
    }

    fn schedule_expression(&self) -> String {
        self.settings.health_check.core().schedule_expression()
    }

    async fn create_topic(&self, name: &str) -> Result<String, ApparatusError> {
        let tags: Vec<aws_sdk_sns::types::Tag> = self
            .tags()
            .into_iter()
            .filter_map(|(k, v)| {
                aws_sdk_sns::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect();
        let created = self
            .clients
            .sns
            .create_topic()
            .name(name)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| {
                self.failure("creating a topic", format!("{name}: {}", sdk_message(&e)))
            })?;
        Ok(created.topic_arn().unwrap_or_default().to_owned())
    }

    /// The notification topic: ours, created, or the user's, as it is.
    pub(super) async fn ensure_topic(&self) -> Result<String, ApparatusError> {
        match self.notification_topic_arn {
            Some(arn) => Ok(arn.to_owned()),
            None => self.create_topic(&self.names.notification_topic()).await,
        }
    }

    pub(super) async fn ensure_schedule(
        &self,
        functions: &super::functions::Functions,
    ) -> Result<(), ApparatusError> {
        let events = &self.clients.events;
        let rule = self.names.schedule_rule();
        let tags: Vec<aws_sdk_eventbridge::types::Tag> = self
            .tags()
            .into_iter()
            .filter_map(|(k, v)| {
                aws_sdk_eventbridge::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
                    .ok()
            })
            .collect();
        events
            .put_rule()
            .name(&rule)
            .schedule_expression(self.schedule_expression())
            .state(aws_sdk_eventbridge::types::RuleState::Enabled)
            .description(format!(
                "Runs the multiregion pinger of {}",
                self.names.name()
            ))
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| self.failure("putting the pinger's schedule", sdk_message(&e)))?;
        let pinger = functions
            .get(Component::Pinger.as_str())
            .cloned()
            .unwrap_or_default();
        events
            .put_targets()
            .rule(&rule)
            .targets(
                aws_sdk_eventbridge::types::Target::builder()
                    .id("pinger")
                    .arn(pinger)
                    // A missed tick is not retried: the next tick is the
                    // retry, and a late ping would land in the wrong period.
                    .retry_policy(
                        aws_sdk_eventbridge::types::RetryPolicy::builder()
                            .maximum_retry_attempts(0)
                            .maximum_event_age_in_seconds(60)
                            .build(),
                    )
                    .build()
                    .map_err(|e| self.failure("building the schedule's target", e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| self.failure("targeting the pinger", sdk_message(&e)))?;
        Ok(())
    }

    /// Puts the paging alarm, notifying `notification_topic`. Its actions
    /// are disabled when it is created; an alarm that exists keeps its
    /// actions as they are (PutMetricAlarm would enable them when the field
    /// is omitted), so an apply neither pages at create nor silences an
    /// alarm the pinger has armed.
    pub(super) async fn ensure_alarm(
        &self,
        notification_topic: &str,
    ) -> Result<(), ApparatusError> {
        let actions_enabled = self.read_alarm().await?.unwrap_or(false);
        let health = self.settings.health_check;
        let tags: Vec<aws_sdk_cloudwatch::types::Tag> = self
            .tags()
            .into_iter()
            .map(|(k, v)| {
                aws_sdk_cloudwatch::types::Tag::builder()
                    .key(k)
                    .value(v)
                    .build()
            })
            .collect();
        self.clients
            .cloudwatch
            .put_metric_alarm()
            .alarm_name(self.names.alarm())
            .alarm_description(format!(
                "multiregion {}: pages a person when this region's pinger fails: from the standby, the active name fails; \
                 from the active, the standby is unhealthy; or the pinger is not running. Not on the failover path: \
                 the standby's pinger starts the failover itself.",
                self.names.name()
            ))
            .namespace("AWS/Lambda")
            .metric_name("Errors")
            .dimensions(Dimension::builder().name("FunctionName").value(self.names.function(Component::Pinger)).build())
            .statistic(Statistic::Sum)
            .period(health.core().alarm_period_seconds() as i32)
            .evaluation_periods(health.evaluation_periods as i32)
            .datapoints_to_alarm(health.datapoints_to_alarm as i32)
            .threshold(1.0)
            .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
            .treat_missing_data("breaching")
            .alarm_actions(notification_topic)
            .actions_enabled(actions_enabled)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|e| self.failure("putting the paging alarm", sdk_message(&e)))?;
        Ok(())
    }

    /// Whether the alarm exists, and if so whether its actions are enabled.
    pub(super) async fn read_alarm(&self) -> Result<Option<bool>, ApparatusError> {
        let alarms = self
            .clients
            .cloudwatch
            .describe_alarms()
            .alarm_names(self.names.alarm())
            .send()
            .await
            .map_err(|e| self.failure("reading the paging alarm", sdk_message(&e)))?;
        Ok(alarms
            .metric_alarms()
            .first()
            .map(|a| a.actions_enabled().unwrap_or(true)))
    }

    pub(super) async fn delete_alarm(&self) -> Result<(), ApparatusError> {
        self.clients
            .cloudwatch
            .delete_alarms()
            .alarm_names(self.names.alarm())
            .send()
            .await
            .map_err(|e| self.failure("deleting the paging alarm", sdk_message(&e)))?;
        Ok(())
    }

    pub(super) async fn delete_schedule(&self) -> Result<(), ApparatusError> {
        let events = &self.clients.events;
        let rule = self.names.schedule_rule();
        match events
            .remove_targets()
            .rule(&rule)
            .ids("pinger")
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if code(&e) == Some("ResourceNotFoundException") => return Ok(()),
            Err(e) => return Err(self.failure("removing the schedule's target", sdk_message(&e))),
        }
        deleted(
            events.delete_rule().name(&rule).send().await,
            "ResourceNotFoundException",
        )
        .map_err(|e| self.failure("deleting the pinger's schedule", sdk_message(&e)))
    }

    /// Deletes our notification topic (a topic the user gave has another
    /// name and is never deleted), and the subscriptions to it.
    pub(super) async fn delete_topic(&self) -> Result<(), ApparatusError> {
        self.delete_topic_of_ours(&self.arn("sns", &self.names.notification_topic()))
            .await
    }

    /// Deletes a topic of ours with its subscriptions; not-found is done.
    pub(super) async fn delete_topic_of_ours(&self, topic: &str) -> Result<(), ApparatusError> {
        let sns = &self.clients.sns;
        if let Ok(subscriptions) = sns
            .list_subscriptions_by_topic()
            .topic_arn(topic)
            .send()
            .await
        {
            for subscription in subscriptions.subscriptions() {
                if let Some(arn) = subscription
                    .subscription_arn()
                    .filter(|a| a.starts_with("arn:"))
                {
                    let _ = sns.unsubscribe().subscription_arn(arn).send().await;
                }
            }
        }
        deleted(sns.delete_topic().topic_arn(topic).send().await, "NotFound")
            .map_err(|e| self.failure("deleting a topic", format!("{topic}: {}", sdk_message(&e))))
    }
}
