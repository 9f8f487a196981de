//! What a game day did: its executions (from the Step Functions bridge's
//! history), the merged timeline, and the counts.

use std::collections::BTreeSet;

use anyhow::Result;
use multiregion_bench::clock::EpochMs;
use multiregion_core::naming::Component;
use multiregion_core::statemachine::states;
use serde_json::Value;

use crate::gameday::GameDay;
use crate::runtime::{EAST, WEST, access_key};
use crate::timeline::{Counts, Kind, Timeline};

/// One execution, as the bridge recorded it.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Its ARN.
    pub arn: String,
    /// Its region.
    pub region: String,
    /// `RUNNING`, `SUCCEEDED`, `FAILED`, ...
    pub status: String,
    /// Its error, if it failed.
    pub error: Option<String>,
    /// Its events (`type`, `at` in virtual ms, `state`, `output`, ...).
    pub events: Vec<Value>,
}

impl Execution {
    /// State transitions as Step Functions bills them: states entered and
    /// retries.
    pub fn transitions(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e["type"] == "StateEntered" || e["type"] == "StateRetried")
            .count()
    }

    /// Events of `kind` at `state`.
    pub fn events_at(&self, kind: &str, state: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["type"] == kind && e["state"] == state)
            .collect()
    }

    fn at(event: &Value) -> EpochMs {
        event["at"].as_i64().unwrap_or_default()
    }

    /// The timeline entries of this execution.
    fn entries(&self, timeline: &mut Timeline) {
        let name = self.arn.rsplit(':').next().unwrap_or_default();
        let region = &self.region;
        for event in &self.events {
            let at = Execution::at(event);
            let output = &event["output"];
            match (event["type"].as_str(), event["state"].as_str()) {
                (Some("ExecutionStarted"), _) => {
                    timeline.add(at, Kind::ExecutionStarted, region, name);
                }
                (Some("StateExited"), Some(states::SWAP))
                    if output["swap"]["outcome"] == "swapped" =>
                {
                    timeline.add(
                        at,
                        Kind::Swap,
                        region,
                        format!(
                            "{} -> {}, ledger generation {}",
                            output["swap"]["from"].as_str().unwrap_or("?"),
                            output["swap"]["target"].as_str().unwrap_or("?"),
                            output["swap"]["generation"]
                        ),
                    );
                }
                (Some("StateExited"), Some(states::CHECK_SYNC))
                    if output["swap"]["insync"] == true =>
                {
                    timeline.add(
                        at,
                        Kind::InSync,
                        region,
                        format!("after {} GetChange polls", output["swap"]["polls"]),
                    );
                }
                (Some("StateExited"), Some(states::VERIFY)) => {
                    timeline.add(
                        at,
                        Kind::Verified,
                        region,
                        format!(
                            "the public name answers from {}",
                            output["verify"]["region"].as_str().unwrap_or("?")
                        ),
                    );
                }
                (Some("StateExited"), Some(states::NOTIFY)) => {
                    let detail = match output["notification"]["outcome"].as_str() {
                        Some(outcome) => outcome.to_owned(),
                        None => format!(
                            "NOT published: {}",
                            output["notify_error"]["Error"].as_str().unwrap_or("?")
                        ),
                    };
                    timeline.add(at, Kind::Notified, region, detail);
                }
                (Some(kind @ ("ExecutionSucceeded" | "ExecutionFailed")), _) => {
                    let detail = match event["error"].as_str() {
                        Some(error) => format!(
                            "{name}: {kind} ({error}), {} transitions",
                            self.transitions()
                        ),
                        None => format!("{name}: {kind}, {} transitions", self.transitions()),
                    };
                    timeline.add(at, Kind::ExecutionEnded, region, detail);
                }
                _ => {}
            }
        }
    }
}

/// A game day's report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Everything, in time order.
    pub timeline: Timeline,
    /// The counts.
    pub counts: Counts,
    /// The executions.
    pub executions: Vec<Execution>,
}

impl Report {
    /// The timeline and the counts, printed.
    pub fn render(&self) -> String {
        format!("{}\n{}", self.timeline.render(), self.counts.render())
    }
}

impl GameDay {
    /// Every execution started so far, with its history.
    pub async fn executions(&self) -> Result<Vec<Execution>> {
        let calls = self.runtime.bridge_calls().await?;
        let arns: BTreeSet<String> = calls
            .iter()
            .filter(|c| c["operation"] == "StartExecution")
            .filter_map(|c| c["executionArn"].as_str().map(str::to_owned))
            .collect();
        let mut executions = Vec::new();
        for arn in arns {
            let history = self.runtime.history(&arn).await?;
            executions.push(Execution {
                region: arn.split(':').nth(3).unwrap_or_default().to_owned(),
                status: history["status"].as_str().unwrap_or_default().to_owned(),
                error: history["error"].as_str().map(str::to_owned),
                events: history["events"].as_array().cloned().unwrap_or_default(),
                arn,
            });
        }
        Ok(executions)
    }

    /// The timeline (the harness's and the executions'), and the counts.
    pub async fn report(&self) -> Result<Report> {
        let executions = self.executions().await?;
        let mut timeline = self.timeline.clone();
        for execution in &executions {
            execution.entries(&mut timeline);
        }
        let runtime_keys = [access_key(EAST), access_key(WEST)];
        let mut counts = Counts {
            state_transitions: executions.iter().map(Execution::transitions).sum(),
            executions: executions.len(),
            ..Counts::default()
        };
        for entry in self.runtime.aws_log() {
            if entry.service == "lambda"
                && entry.operation == "Invoke"
                && (entry.status == 200 || entry.status == 500)
            {
                let function = entry.detail.clone().unwrap_or_default();
                *counts.lambda_invocations.entry(function).or_default() += 1;
            } else if runtime_keys.contains(&entry.access_key) {
                *counts.aws_calls.entry(entry.service.clone()).or_default() += 1;
            }
        }
        let states_calls = self
            .runtime
            .bridge_calls()
            .await?
            .iter()
            .filter(|c| {
                c["service"] == "states" && runtime_keys.iter().any(|k| c["key"] == k.as_str())
            })
            .count();
        if states_calls > 0 {
            counts.aws_calls.insert("states".into(), states_calls);
        }
        // API Gateway invokes the pongers directly (the fronts); each logs a
        // pong. The client's are not the runtime's.
        let ponger = self.runtime.names.function(Component::Ponger);
        let pongs: usize = [EAST, WEST]
            .iter()
            .map(|r| {
                self.runtime
                    .function_logs(r, Component::Ponger)
                    .iter()
                    .filter(|l| l["message"] == "pong")
                    .count()
            })
            .sum();
        counts
            .lambda_invocations
            .insert(ponger, pongs.saturating_sub(self.client_answers));
        Ok(Report {
            timeline,
            counts,
            executions,
        })
    }
}
