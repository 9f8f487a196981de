//! Step Functions fidelity: a deleted state machine lingers.
//!
//! `DeleteStateMachine` only marks the machine for deletion: Step Functions
//! deletes it once its executions have stopped, and until then
//! `DescribeStateMachine` answers with `"status": "DELETING"` and a
//! `CreateStateMachine` under its name fails with `StateMachineDeleting`.
//! moto deletes at once. With a linger set, the bench keeps a deleted
//! machine in that state for that long: its last description, with the
//! status DELETING, answers reads, and creates under its name are refused.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

use crate::clock::Clock;
use crate::faults::{Canned, error_response};
use crate::moto_client::MotoClient;
use crate::proxy::lock;
use crate::request::AwsRequest;

#[derive(Debug, Clone)]
struct Deleting {
    until_ms: i64,
    description: Value,
}

/// The state machines being deleted, by ARN.
#[derive(Debug, Default)]
pub(crate) struct Lingering {
    linger: Mutex<Duration>,
    machines: Mutex<HashMap<String, Deleting>>,
}

fn arn_of(body: &[u8]) -> Option<String> {
    let value: Value = serde_json::from_slice(body).ok()?;
    value["stateMachineArn"].as_str().map(str::to_owned)
}

impl Lingering {
    pub(crate) fn set_linger(&self, linger: Duration) {
        *lock(&self.linger) = linger;
        if linger.is_zero() {
            lock(&self.machines).clear();
        }
    }

    fn current(&self, clock: &Clock, arn: &str) -> Option<Deleting> {
        let now = clock.now_ms();
        let mut machines = lock(&self.machines);
        machines.retain(|_, d| d.until_ms > now);
        machines.get(arn).cloned()
    }

    /// The answer Step Functions gives instead of moto's while a machine is
    /// being deleted; remembers a machine that a delete is about to remove.
    pub(crate) async fn before_forward(
        &self,
        moto: &MotoClient,
        clock: &Clock,
        aws: &AwsRequest,
        body: &[u8],
    ) -> Option<Canned> {
        let linger = *lock(&self.linger);
        if linger.is_zero() || aws.service != "states" {
            return None;
        }
        match aws.operation.as_str() {
            "DeleteStateMachine" => {
                let arn = arn_of(body)?;
                let description = describe(moto, &aws.region, &arn).await?;
                let until_ms = clock.now_ms() + linger.as_millis() as i64;
                lock(&self.machines).insert(
                    arn,
                    Deleting {
                        until_ms,
                        description,
                    },
                );
                None
            }
            "DescribeStateMachine" => {
                let mut description = self.current(clock, &arn_of(body)?)?.description;
                description["status"] = Value::String("DELETING".into());
                Some((
                    200,
                    vec![("content-type".into(), "application/x-amz-json-1.0".into())],
                    description.to_string(),
                ))
            }
            "CreateStateMachine" => {
                let value: Value = serde_json::from_slice(body).ok()?;
                let name = value["name"].as_str()?;
                let now = clock.now_ms();
                let machines = lock(&self.machines);
                let (arn, _) = machines.iter().find(|(arn, d)| {
                    d.until_ms > now
                        && arn.rsplit(':').next() == Some(name)
                        && arn_region(arn) == Some(&aws.region)
                })?;
                Some(error_response(
                    aws.protocol(),
                    400,
                    "StateMachineDeleting",
                    &format!("State machine is being deleted: '{arn}'"),
                ))
            }
            _ => None,
        }
    }
}

fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3)
}

async fn describe(moto: &MotoClient, region: &str, arn: &str) -> Option<Value> {
    let body = serde_json::json!({ "stateMachineArn": arn }).to_string();
    let (status, text) = moto
        .call_target(
            "states",
            region,
            "AWSStepFunctions.DescribeStateMachine",
            body,
        )
        .await
        .ok()?;
    (status == 200).then(|| serde_json::from_str(&text).ok())?
}
