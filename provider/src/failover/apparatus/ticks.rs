//! The tick relay of a sub-minute interval: an SQS queue in the region and
//! an event source mapping from it to the pinger.
//!
//! EventBridge runs a rule at most once a minute. At `interval_seconds` of
//! 10, 20 or 30 the schedule's tick runs the pinger, which sends the
//! minute's later ticks to this queue with per-message delays (`DelaySeconds`
//! 10, 20, ...); the event source mapping delivers each to the pinger when
//! its delay is over. Per message, SQS delivers no sooner than the delay, and
//! a message the pinger fails on comes back after the visibility timeout:
//! the pinger drops such a second delivery, since the next tick is the
//! retry.
//!
//! - **The queue** keeps a message 60 s (the least SQS allows): a tick older
//!   than that is of no use. Its visibility timeout is the pinger's timeout,
//!   the least Lambda accepts for an event source ("Your function's timeout
//!   must be less than or equal to the queue's visibility timeout",
//!   <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html>).
//! - **The mapping** delivers one message per invocation (`BatchSize` 1):
//!   one tick, one run, as with the schedule.
//!
//! At a minute or more neither exists, and `ensure` deletes them when the
//! interval grows back.

use aws_sdk_lambda::types::EventSourceMappingConfiguration;
use aws_sdk_sqs::types::QueueAttributeName;
use multiregion_core::naming::Component;
use multiregion_core::settings::PINGER_TIMEOUT_SECONDS;

use super::{ApparatusContext, ApparatusError, code, sdk_message};

/// Seconds the queue keeps a tick: SQS's least `MessageRetentionPeriod`.
pub const TICK_RETENTION_SECONDS: u32 = 60;

/// Messages per pinger invocation.
pub const TICK_BATCH_SIZE: i32 = 1;

/// SQS's not-found for a queue (the JSON protocol's code, or the Query
/// protocol's that some endpoints still answer).
fn queue_missing(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("QueueDoesNotExist" | "AWS.SimpleQueueService.NonExistentQueue")
    )
}

impl ApparatusContext<'_> {
    fn relayed(&self) -> bool {
        self.settings.health_check.core().relayed()
    }

    fn tick_queue_arn(&self) -> String {
        self.arn("sqs", &self.names.tick_queue())
    }

    fn tick_queue_attributes(&self) -> [(QueueAttributeName, String); 2] {
        [
            (
                QueueAttributeName::MessageRetentionPeriod,
                TICK_RETENTION_SECONDS.to_string(),
            ),
            (
                QueueAttributeName::VisibilityTimeout,
                PINGER_TIMEOUT_SECONDS.to_string(),
            ),
        ]
    }

    /// The queue and the mapping when the interval is below a minute; their
    /// removal otherwise.
    pub(super) async fn ensure_tick_relay(&self) -> Result<(), ApparatusError> {
        if !self.relayed() {
            return self.delete_tick_relay().await;
        }
        self.ensure_tick_queue().await?;
        self.ensure_tick_mapping().await
    }

    async fn ensure_tick_queue(&self) -> Result<(), ApparatusError> {
        let sqs = &self.clients.sqs;
        let name = self.names.tick_queue();
        let created = sqs
            .create_queue()
            .queue_name(&name)
            .set_attributes(Some(self.tick_queue_attributes().into_iter().collect()))
            .set_tags(Some(self.tags()))
            .send()
            .await;
        match created {
            Ok(_) => Ok(()),
            // The queue exists with other attributes: set ours.
            Err(e) if code(&e) == Some("QueueAlreadyExists") => {
                let url = self.tick_queue_url().await?.unwrap_or_default();
                sqs.set_queue_attributes()
                    .queue_url(url)
                    .set_attributes(Some(self.tick_queue_attributes().into_iter().collect()))
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(|e| {
                        self.failure("setting the tick queue's attributes", sdk_message(&e))
                    })
            }
            Err(e) => Err(self.failure(
                "creating the tick queue",
                format!("{name}: {}", sdk_message(&e)),
            )),
        }
    }

    /// The tick queue's URL, or `None` when it does not exist.
    async fn tick_queue_url(&self) -> Result<Option<String>, ApparatusError> {
        match self
            .clients
            .sqs
            .get_queue_url()
            .queue_name(self.names.tick_queue())
            .send()
            .await
        {
            Ok(found) => Ok(found.queue_url().map(str::to_owned)),
            Err(e) if queue_missing(code(&e)) => Ok(None),
            Err(e) => Err(self.failure("reading the tick queue", sdk_message(&e))),
        }
    }

    /// The pinger's mappings from the tick queue.
    async fn tick_mappings(&self) -> Result<Vec<EventSourceMappingConfiguration>, ApparatusError> {
        match self
            .clients
            .lambda
            .list_event_source_mappings()
            .function_name(self.names.function(Component::Pinger))
            .event_source_arn(self.tick_queue_arn())
            .send()
            .await
        {
            Ok(listed) => Ok(listed.event_source_mappings().to_vec()),
            Err(e) if code(&e) == Some("ResourceNotFoundException") => Ok(Vec::new()),
            Err(e) => Err(self.failure("reading the tick relay's mapping", sdk_message(&e))),
        }
    }

    async fn ensure_tick_mapping(&self) -> Result<(), ApparatusError> {
        let lambda = &self.clients.lambda;
        if let Some(mapping) = self.tick_mappings().await?.into_iter().next() {
            let wanted = mapping.batch_size() == Some(TICK_BATCH_SIZE)
                && mapping.state() != Some("Disabled");
            if !wanted {
                lambda
                    .update_event_source_mapping()
                    .uuid(mapping.uuid().unwrap_or_default())
                    .batch_size(TICK_BATCH_SIZE)
                    .enabled(true)
                    .send()
                    .await
                    .map_err(|e| {
                        self.failure("repairing the tick relay's mapping", sdk_message(&e))
                    })?;
            }
            return Ok(());
        }
        // Lambda checks that the pinger's role may receive from the queue;
        // a policy just put may not have reached it yet.
        let deadline = tokio::time::Instant::now() + super::functions::ROLE_PROPAGATION;
        loop {
            let created = lambda
                .create_event_source_mapping()
                .function_name(self.names.function(Component::Pinger))
                .event_source_arn(self.tick_queue_arn())
                .batch_size(TICK_BATCH_SIZE)
                .enabled(true)
                .send()
                .await;
            match created {
                Ok(_) => return Ok(()),
                Err(e)
                    if code(&e) == Some("InvalidParameterValueException")
                        && sdk_message(&e).contains("permission")
                        && tokio::time::Instant::now() < deadline =>
                {
                    tracing::info!(
                        "the pinger's role cannot receive from the tick queue yet; retrying"
                    );
                    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
                }
                Err(e) => {
                    return Err(
                        self.failure("mapping the tick queue to the pinger", sdk_message(&e))
                    );
                }
            }
        }
    }

    /// What is missing of the relay (nothing at a minute or more).
    pub(super) async fn read_tick_relay(&self) -> Result<Vec<String>, ApparatusError> {
        if !self.relayed() {
            return Ok(Vec::new());
        }
        let mut problems = Vec::new();
        let (url, mappings) = tokio::join!(self.tick_queue_url(), self.tick_mappings());
        if url?.is_none() {
            problems.push("the tick queue is missing".to_owned());
        }
        match mappings?.first() {
            None => problems.push("the tick queue's mapping to the pinger is missing".to_owned()),
            Some(m) if m.state() == Some("Disabled") => {
                problems.push("the tick queue's mapping to the pinger is disabled".to_owned());
            }
            Some(_) => {}
        }
        Ok(problems)
    }

    /// Deletes the mapping and the queue; what does not exist is done.
    pub(super) async fn delete_tick_relay(&self) -> Result<(), ApparatusError> {
        for mapping in self.tick_mappings().await? {
            match self
                .clients
                .lambda
                .delete_event_source_mapping()
                .uuid(mapping.uuid().unwrap_or_default())
                .send()
                .await
            {
                Ok(_) => {}
                Err(e) if code(&e) == Some("ResourceNotFoundException") => {}
                Err(e) => {
                    return Err(self.failure("deleting the tick relay's mapping", sdk_message(&e)));
                }
            }
        }
        let Some(url) = self.tick_queue_url().await? else {
            return Ok(());
        };
        match self.clients.sqs.delete_queue().queue_url(url).send().await {
            Ok(_) => Ok(()),
            Err(e) if queue_missing(code(&e)) => Ok(()),
            Err(e) => Err(self.failure("deleting the tick queue", sdk_message(&e))),
        }
    }
}
