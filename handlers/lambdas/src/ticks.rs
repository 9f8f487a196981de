//! The pinger's ticks: the schedule's, and below a minute the ones each
//! scheduled tick relays through its region's tick queue (DESIGN §3.4).
//!
//! EventBridge runs a rule at most once a minute. At an interval of 10, 20 or
//! 30 s the scheduled tick sends the minute's later ticks to the region's SQS
//! queue, one message each with `DelaySeconds` = its offset, in one batch
//! request; the queue's event source mapping delivers each to the pinger
//! when its delay is over. The message says which tick it is, so a run is
//! decided by the tick and never by the clock.
//!
//! A relayed tick is dropped, not run:
//! - when it comes a second time (`ApproximateReceiveCount` above 1): the
//!   pinger failed it or timed out, and the next tick is the retry, as with
//!   the schedule's ticks, which EventBridge and Lambda do not retry;
//! - when it came later than one interval after its due time, as SQS's own
//!   timestamps tell (`ApproximateFirstReceiveTimestamp` against
//!   `SentTimestamp` plus the delay): a later tick has taken its place.
//!
//! Lambda's `MaximumEventAgeInSeconds` (at least 60 s) bounds the scheduled
//! ticks the same way at intervals of a minute and more.

use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::HandlerError;

/// A relayed tick's message body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelayedTick {
    /// The tick (seconds since the epoch).
    pub tick: i64,
    /// The scheduled tick that relayed it.
    pub scheduled: i64,
}

/// What an event asks the pinger to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ticks {
    /// EventBridge's scheduled tick: relay the minute's later ticks, then
    /// run this one.
    Scheduled(i64),
    /// Ticks from the queue, to run in order (normally one), and the ones
    /// dropped, with why.
    Relayed {
        /// The ticks to run.
        run: Vec<i64>,
        /// The ticks dropped, and why.
        dropped: Vec<(i64, String)>,
    },
}

/// The ticks of `event`: an EventBridge scheduled event (`time`) or an SQS
/// event (`Records`) from the tick queue. `interval_seconds` judges a late
/// relayed tick.
pub fn ticks_of(event: &Value, interval_seconds: u32) -> Result<Ticks, HandlerError> {
    if let Some(records) = event.get("Records").and_then(Value::as_array) {
        let mut run = Vec::new();
        let mut dropped = Vec::new();
        for record in records {
            let body = record
                .get("body")
                .and_then(Value::as_str)
                .ok_or_else(|| HandlerError::InvalidInput("an SQS record has no body".into()))?;
            let relayed: RelayedTick = serde_json::from_str(body).map_err(|e| {
                HandlerError::InvalidInput(format!("not a relayed tick: {e}: {body}"))
            })?;
            match late(record, &relayed, interval_seconds) {
                Some(why) => dropped.push((relayed.tick, why)),
                None => run.push(relayed.tick),
            }
        }
        return Ok(Ticks::Relayed { run, dropped });
    }
    event
        .get("time")
        .and_then(Value::as_str)
        .and_then(crate::time::parse_event_time)
        .map(Ticks::Scheduled)
        .ok_or_else(|| {
            HandlerError::InvalidInput(
                "neither a scheduled event (`time`) nor a relayed tick (`Records`)".into(),
            )
        })
}

/// Why the record of `relayed` comes too late to run, if it does.
fn late(record: &Value, relayed: &RelayedTick, interval_seconds: u32) -> Option<String> {
    let attribute = |name: &str| {
        record
            .get("attributes")
            .and_then(|a| a.get(name))
            .and_then(Value::as_str)
            .and_then(|v| v.parse::<i64>().ok())
    };
    if let Some(count) = attribute("ApproximateReceiveCount").filter(|&c| c > 1) {
        return Some(format!(
            "delivered {count} times: the next tick is the retry"
        ));
    }
    let (sent, received) = (
        attribute("SentTimestamp")?,
        attribute("ApproximateFirstReceiveTimestamp")?,
    );
    let due = sent + 1000 * (relayed.tick - relayed.scheduled);
    let lateness = received - due;
    (lateness > 1000 * i64::from(interval_seconds))
        .then(|| format!("{lateness} ms after its time, more than an interval"))
}

/// The batch that relays `delays` after the scheduled tick `scheduled`.
pub fn relay_entries(scheduled: i64, delays: &[u64]) -> Vec<SendMessageBatchRequestEntry> {
    delays
        .iter()
        .filter_map(|&delay| {
            let body = RelayedTick {
                tick: scheduled + delay as i64,
                scheduled,
            };
            SendMessageBatchRequestEntry::builder()
                .id(format!("t{delay}"))
                .message_body(serde_json::to_string(&body).ok()?)
                .delay_seconds(delay as i32)
                .build()
                .ok()
        })
        .collect()
}

/// Sends the relay of `scheduled` to `queue_url`; returns how many ticks SQS
/// took. A failed relay is logged, not fatal: the next scheduled tick comes
/// within two minutes whatever happens, and this one still runs.
pub async fn relay(
    sqs: &aws_sdk_sqs::Client,
    queue_url: &str,
    scheduled: i64,
    delays: &[u64],
) -> usize {
    let entries = relay_entries(scheduled, delays);
    if entries.is_empty() {
        return 0;
    }
    match sqs
        .send_message_batch()
        .queue_url(queue_url)
        .set_entries(Some(entries))
        .send()
        .await
    {
        Ok(sent) => {
            for failed in sent.failed() {
                tracing::warn!(
                    id = failed.id(),
                    code = failed.code(),
                    message = failed.message(),
                    "a tick was not relayed"
                );
            }
            sent.successful().len()
        }
        Err(error) => {
            tracing::warn!(
                error = %HandlerError::from_sdk("SendMessageBatch", error),
                "the minute's ticks were not relayed"
            );
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(relayed: RelayedTick, count: u32, sent_ms: i64, received_ms: i64) -> Value {
        json!({
            "messageId": "m-1",
            "body": serde_json::to_string(&relayed).unwrap(),
            "attributes": {
                "ApproximateReceiveCount": count.to_string(),
                "SentTimestamp": sent_ms.to_string(),
                "ApproximateFirstReceiveTimestamp": received_ms.to_string(),
            },
            "eventSource": "aws:sqs",
        })
    }

    #[test]
    fn a_scheduled_event_is_a_scheduled_tick() {
        let event = json!({ "time": "1970-01-01T00:10:00Z", "detail-type": "Scheduled Event" });
        assert_eq!(ticks_of(&event, 10), Ok(Ticks::Scheduled(600)));
        assert!(matches!(
            ticks_of(&json!({ "hello": 1 }), 10),
            Err(HandlerError::InvalidInput(_))
        ));
    }

    #[test]
    fn a_relayed_tick_runs_once_and_only_in_time() {
        let tick = RelayedTick {
            tick: 620,
            scheduled: 600,
        };
        // Sent at 600.2 s, due 20 s later; received 300 ms after that.
        let on_time = record(tick, 1, 600_200, 620_500);
        assert_eq!(
            ticks_of(&json!({ "Records": [on_time] }), 10),
            Ok(Ticks::Relayed {
                run: vec![620],
                dropped: vec![]
            })
        );
        let again = record(tick, 2, 600_200, 620_500);
        let Ok(Ticks::Relayed { run, dropped }) = ticks_of(&json!({ "Records": [again] }), 10)
        else {
            panic!("relayed");
        };
        assert!(run.is_empty());
        assert!(dropped[0].1.contains("delivered 2 times"), "{dropped:?}");
        // 10.3 s late at a 10 s interval.
        let late = record(tick, 1, 600_200, 630_500);
        let Ok(Ticks::Relayed { run, dropped }) = ticks_of(&json!({ "Records": [late] }), 10)
        else {
            panic!("relayed");
        };
        assert!(run.is_empty());
        assert!(
            dropped[0].1.contains("more than an interval"),
            "{dropped:?}"
        );
        // The same lateness is within a 30 s interval.
        assert_eq!(
            ticks_of(
                &json!({ "Records": [record(tick, 1, 600_200, 630_500)] }),
                30
            ),
            Ok(Ticks::Relayed {
                run: vec![620],
                dropped: vec![]
            })
        );
        assert!(matches!(
            ticks_of(&json!({ "Records": [{ "body": "{}" }] }), 10),
            Err(HandlerError::InvalidInput(_))
        ));
    }

    #[test]
    fn the_relay_is_one_message_per_later_tick_of_the_minute() {
        let entries = relay_entries(600, &[10, 20, 30, 40, 50]);
        let got: Vec<(String, i32, RelayedTick)> = entries
            .iter()
            .map(|e| {
                (
                    e.id().to_owned(),
                    e.delay_seconds().unwrap_or_default(),
                    serde_json::from_str(e.message_body()).unwrap(),
                )
            })
            .collect();
        assert_eq!(got.len(), 5);
        assert_eq!(
            got[0],
            (
                "t10".to_owned(),
                10,
                RelayedTick {
                    tick: 610,
                    scheduled: 600
                }
            )
        );
        assert_eq!(got[4].1, 50);
        assert_eq!(got[4].2.tick, 650);
        assert!(relay_entries(600, &[]).is_empty());
    }
}
