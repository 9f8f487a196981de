//! The tick relay of a sub-minute interval, as SQS and Lambda's event source
//! mapping deliver it, on the virtual clock.
//!
//! The pinger's scheduled run sends the minute's later ticks to its
//! region's tick queue in moto, through the proxy, which records each
//! accepted message with its delay on the bench's clock
//! ([`multiregion_bench::sqs`]). The harness takes them after every step
//! and delivers each when its delay is over: SQS makes a delayed message
//! visible then, and the mapping's long poll receives it at once (neither
//! documents a latency). The delivery is a synchronous invocation with
//! Lambda's SQS event, one record per invocation (the provider's
//! `BatchSize` of 1), carrying SQS's attributes on the virtual clock.
//!
//! A failed invocation returns the message to the queue: SQS delivers it
//! again once the queue's visibility timeout is over, with its receive count
//! raised, for as long as the queue's retention keeps it. Both are read from
//! the queue in moto, as deployed.

use anyhow::{Context, Result, bail};
use multiregion_bench::clock::EpochMs;
use multiregion_bench::sqs::SentMessage;
use multiregion_core::naming::Component;
use serde_json::{Value, json};

use super::{Agenda, GameDay};
use crate::runtime::ACCOUNT;

/// The access key the event source mapping's invocations are signed with.
pub const EVENT_SOURCE_KEY: &str = "AKIDEVENTSOURCE";

/// A region's tick queue, as deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TickQueue {
    /// `VisibilityTimeout`, in milliseconds.
    pub visibility_ms: EpochMs,
    /// `MessageRetentionPeriod`, in milliseconds.
    pub retention_ms: EpochMs,
}

/// One delivery of a relayed tick.
#[derive(Debug, Clone)]
pub(crate) struct Delivery {
    message: SentMessage,
    receive_count: u32,
    first_receive_ms: EpochMs,
}

/// Reads the tick queue at `url` in `region`, or `None` when the deployment
/// has none.
pub async fn read(
    bench: &multiregion_bench::Bench,
    region: &str,
    url: Option<&str>,
) -> Result<Option<TickQueue>> {
    let Some(url) = url else {
        return Ok(None);
    };
    let attributes = crate::runtime::apparatus::sqs(
        &bench.endpoint_url(),
        region,
        "GetQueueAttributes",
        json!({ "QueueUrl": url, "AttributeNames": ["All"] }),
    )
    .await
    .with_context(|| format!("reading the tick queue {url}"))?;
    let seconds = |name: &str| -> Result<EpochMs> {
        attributes["Attributes"][name]
            .as_str()
            .and_then(|v| v.parse::<EpochMs>().ok())
            .map(|s| s * 1000)
            .with_context(|| format!("the tick queue has no {name}: {attributes}"))
    };
    if seconds("DelaySeconds")? != 0 {
        bail!("the harness plays per-message delays only; the queue has a default delay");
    }
    Ok(Some(TickQueue {
        visibility_ms: seconds("VisibilityTimeout")?,
        retention_ms: seconds("MessageRetentionPeriod")?,
    }))
}

/// Lambda's SQS event for one delivery.
fn event(delivery: &Delivery) -> Value {
    let message = &delivery.message;
    json!({
        "Records": [{
            "messageId": message.message_id,
            "receiptHandle": format!("{}-{}", message.message_id, delivery.receive_count),
            "body": message.body,
            "attributes": {
                "ApproximateReceiveCount": delivery.receive_count.to_string(),
                "SentTimestamp": message.sent_ms.to_string(),
                "ApproximateFirstReceiveTimestamp": delivery.first_receive_ms.to_string(),
            },
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": format!("arn:aws:sqs:{}:{ACCOUNT}:{}", message.region, message.queue),
            "awsRegion": message.region,
        }],
    })
}

impl GameDay {
    /// Plans the delivery of every tick the pingers relayed since the last
    /// call.
    pub(crate) fn take_relayed(&mut self) {
        let queue = self.runtime.names.tick_queue();
        for message in self.runtime.bench.proxy().take_sent_messages() {
            if message.queue != queue {
                continue;
            }
            let due = message.sent_ms + EpochMs::from(message.delay_seconds) * 1000;
            self.plan(
                due,
                Agenda::Relayed(Delivery {
                    message,
                    receive_count: 1,
                    first_receive_ms: due,
                }),
            );
        }
    }

    /// Delivers a relayed tick to the region's pinger; a failure comes back
    /// after the visibility timeout, while the queue keeps the message.
    pub(crate) async fn deliver(&mut self, delivery: Delivery) -> Result<()> {
        let now = self.now();
        let region = delivery.message.region.clone();
        let Some(queue) = self.tick_queues.get(&region).copied() else {
            bail!("a tick was relayed in {region}, which has no tick queue");
        };
        let outcome = self
            .lambda
            .invoke(
                &region,
                Component::Pinger,
                "sqs",
                EVENT_SOURCE_KEY,
                &event(&delivery),
                now,
            )
            .await?;
        if !matches!(outcome, crate::lambda::Outcome::Returned { .. }) {
            let again = now + queue.visibility_ms;
            if again < delivery.message.sent_ms + queue.retention_ms {
                self.plan(
                    again,
                    Agenda::Relayed(Delivery {
                        receive_count: delivery.receive_count + 1,
                        ..delivery
                    }),
                );
            }
        }
        self.pinged(&region, outcome, now);
        Ok(())
    }
}
