//! SQS on the bench's clock: what moto's SQS cannot do for a virtual clock.
//!
//! moto keeps a message's `DelaySeconds` on its own wall clock, and moto
//! runs no event source mapping on any clock the harness controls. A game
//! day on the virtual clock therefore plays SQS's delivery itself, as it
//! plays EventBridge's schedule: the proxy forwards every `SendMessage` and
//! `SendMessageBatch` to moto as usual (so a missing queue, a refused call or
//! a fault answers as it would), and for each message moto accepted it
//! records what was sent, to which queue, with which delay, at which time of
//! the bench's clock ([`SentMessage`]). The harness takes them
//! ([`crate::proxy::Proxy::take_sent_messages`]) and delivers each when its
//! delay is over, as a mapping's long poll would. moto's own copies stay
//! delayed in moto and are never received.
//!
//! Only the JSON protocol (`x-amz-target: AmazonSQS.*`), which the SDK
//! speaks, is read.

use std::collections::HashMap;
use std::sync::Mutex;

use serde_json::Value;

use crate::clock::{Clock, EpochMs};
use crate::proxy::lock;
use crate::request::AwsRequest;

/// One message SQS accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The region of the queue.
    pub region: String,
    /// The queue's name (the last segment of its URL).
    pub queue: String,
    /// The id SQS gave the message.
    pub message_id: String,
    /// The body.
    pub body: String,
    /// The message's delay, in seconds (the queue's default delay is not
    /// read: ours is 0).
    pub delay_seconds: u32,
    /// When SQS accepted it, on the bench's clock.
    pub sent_ms: EpochMs,
}

/// The messages sent through the proxy, not yet taken.
#[derive(Debug)]
pub struct SentMessages {
    clock: Clock,
    sent: Mutex<Vec<SentMessage>>,
}

impl SentMessages {
    /// An empty journal on `clock`.
    pub fn new(clock: Clock) -> SentMessages {
        SentMessages {
            clock,
            sent: Mutex::new(Vec::new()),
        }
    }

    /// Records what moto accepted of a send: `request` is the call's JSON
    /// body, `response` moto's answer (status 200).
    pub fn forwarded(&self, aws: &AwsRequest, request: &[u8], response: &[u8]) {
        if aws.service != "sqs" {
            return;
        }
        let (Ok(request), Ok(response)) = (
            serde_json::from_slice::<Value>(request),
            serde_json::from_slice::<Value>(response),
        ) else {
            return;
        };
        let queue = request["QueueUrl"]
            .as_str()
            .and_then(|u| u.rsplit('/').next())
            .unwrap_or_default()
            .to_owned();
        let now = self.clock.now_ms();
        let message = |body: &Value, delay: &Value, id: &Value| SentMessage {
            region: aws.region.clone(),
            queue: queue.clone(),
            message_id: id.as_str().unwrap_or_default().to_owned(),
            body: body.as_str().unwrap_or_default().to_owned(),
            delay_seconds: delay.as_u64().unwrap_or(0) as u32,
            sent_ms: now,
        };
        let mut sent = lock(&self.sent);
        match aws.operation.as_str() {
            "SendMessage" => sent.push(message(
                &request["MessageBody"],
                &request["DelaySeconds"],
                &response["MessageId"],
            )),
            "SendMessageBatch" => {
                let entries: HashMap<&str, &Value> = request["Entries"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .filter_map(|e| Some((e["Id"].as_str()?, e)))
                            .collect()
                    })
                    .unwrap_or_default();
                for ok in response["Successful"].as_array().into_iter().flatten() {
                    if let Some(entry) = ok["Id"].as_str().and_then(|id| entries.get(id)) {
                        sent.push(message(
                            &entry["MessageBody"],
                            &entry["DelaySeconds"],
                            &ok["MessageId"],
                        ));
                    }
                }
            }
            _ => {}
        }
    }

    /// Takes every message recorded so far, oldest first.
    pub fn take(&self) -> Vec<SentMessage> {
        std::mem::take(&mut *lock(&self.sent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(operation: &str) -> AwsRequest {
        AwsRequest {
            service: "sqs".into(),
            region: "us-west-2".into(),
            access_key: "AKIDWEST".into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn records_each_accepted_message_with_its_delay_on_the_bench_clock() {
        let clock = Clock::starting_at(1_000_000);
        let journal = SentMessages::new(clock);
        let request = serde_json::json!({
            "QueueUrl": "https://sqs.us-west-2.amazonaws.com/123456789012/mr-orders-ticks",
            "Entries": [
                { "Id": "t10", "MessageBody": "{\"tick\":610}", "DelaySeconds": 10 },
                { "Id": "t20", "MessageBody": "{\"tick\":620}", "DelaySeconds": 20 },
            ],
        });
        // SQS refused the second entry.
        let response = serde_json::json!({
            "Successful": [{ "Id": "t10", "MessageId": "m-1" }],
            "Failed": [{ "Id": "t20", "Code": "InternalError", "SenderFault": false }],
        });
        journal.forwarded(
            &aws("SendMessageBatch"),
            request.to_string().as_bytes(),
            response.to_string().as_bytes(),
        );
        let sent = journal.take();
        assert_eq!(
            sent,
            vec![SentMessage {
                region: "us-west-2".into(),
                queue: "mr-orders-ticks".into(),
                message_id: "m-1".into(),
                body: "{\"tick\":610}".into(),
                delay_seconds: 10,
                sent_ms: 1_000_000,
            }]
        );
        assert!(journal.take().is_empty(), "taken once");
    }
}
