//! The failover definition, per region.

use serde_json::{Value, json};

use super::asl::{
    Catcher, Choice, ChoiceRule, Fail, Retrier, StateMachine, States, Succeed, Task, Test,
    Transition, Wait,
};
use super::protocol::{PROTOCOL_VERSION, Step, errors};
use crate::naming::{Component, Names};
use crate::region::Region;

/// The state names, for tests and for reading an execution's history.
pub mod states {
    /// Reads the records; the target must be the standby and answer.
    pub const CHECK_TARGET: &str = "CheckTarget";
    /// Re-probes the active name, then the compare-and-swap.
    pub const SWAP: &str = "Swap";
    /// Whether the swap wrote anything.
    pub const IS_SWAPPED: &str = "IsSwapped";
    /// Waits between INSYNC polls.
    pub const WAIT_FOR_SYNC: &str = "WaitForSync";
    /// One INSYNC poll.
    pub const CHECK_SYNC: &str = "CheckSync";
    /// Whether to stop polling.
    pub const IS_IN_SYNC: &str = "IsInSync";
    /// The public name answers from the target.
    pub const VERIFY: &str = "Verify";
    /// Publishes the outcome.
    pub const NOTIFY: &str = "Notify";
    /// Ends the execution according to the outcome.
    pub const OUTCOME: &str = "Outcome";
    /// Swapped, or already active.
    pub const DONE: &str = "Done";
    /// Refused or failed; the notification says why.
    pub const NOT_DONE: &str = "FailoverNotDone";
    /// The outcome could not be published.
    pub const NOTIFY_FAILED: &str = "NotifyFailed";
}

/// Timings of the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Seconds between INSYNC polls.
    pub sync_wait_seconds: u32,
    /// Seconds before a Task times out.
    pub task_timeout_seconds: u32,
    /// Seconds before the first retry of `verify`.
    pub verify_interval_seconds: u32,
    /// Retries of `verify` (clients move after INSYNC plus the record's TTL).
    pub verify_attempts: u32,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            sync_wait_seconds: 10,
            task_timeout_seconds: 60,
            verify_interval_seconds: 10,
            verify_attempts: 6,
        }
    }
}

fn function_arn(names: &Names, component: Component, region: &Region, account_id: &str) -> String {
    format!(
        "arn:{}:lambda:{region}:{account_id}:function:{}",
        region.partition().as_str(),
        names.function(component)
    )
}

fn step_payload(step: Step, with_swap: bool) -> Value {
    let mut payload = json!({
        "protocol": PROTOCOL_VERSION,
        "step": step.as_str(),
        "input.$": "$$.Execution.Input",
        "execution.$": "$$.Execution.Id",
        "started.$": "$$.Execution.StartTime",
    });
    if with_swap {
        payload["swap.$"] = json!("$.swap");
    }
    payload
}

/// Retries every Task has: Lambda's own service errors, and throttling or
/// lost answers from AWS, with exponential backoff.
fn common_retries() -> Vec<Retrier> {
    vec![
        Retrier::new(&errors::LAMBDA_SERVICE, 2, 6, 2.0),
        Retrier::new(&[errors::THROTTLED, errors::TRANSPORT], 1, 5, 2.0),
    ]
}

fn to_notify() -> Vec<Catcher> {
    vec![Catcher::new(&[errors::ALL], "$.error", states::NOTIFY)]
}

/// The failover state machine of `region`, whose Tasks invoke that region's
/// swapper and notifier functions in `account_id`.
pub fn definition(
    names: &Names,
    region: &Region,
    account_id: &str,
    timing: &Timing,
) -> StateMachine {
    let swapper = function_arn(names, Component::Swapper, region, account_id);
    let notifier = function_arn(names, Component::Notifier, region, account_id);
    let task = |comment: &str, resource: &str, parameters: Value, result_path: &str| Task {
        comment: Some(comment.to_owned()),
        resource: resource.to_owned(),
        parameters: Some(parameters),
        result_path: Some(result_path.to_owned()),
        timeout_seconds: timing.task_timeout_seconds,
        retry: common_retries(),
        catch: to_notify(),
        transition: Transition::End(true),
    };
    let mut s = States::default();

    s.add(
        states::CHECK_TARGET,
        Task {
            transition: Transition::to(states::SWAP),
            ..task(
                "Read the records; the target must be the standby and answer on the standby name.",
                &swapper,
                step_payload(Step::CheckTarget, false),
                "$.check",
            )
        },
    );
    let mut swap = Task {
        transition: Transition::to(states::IS_SWAPPED),
        ..task(
            "Re-probe the active name (abort if it answers), then one compare-and-swap \
             (a single ChangeResourceRecordSets attempt, so retries show here).",
            &swapper,
            step_payload(Step::Swap, false),
            "$.swap",
        )
    };
    // A lost compare-and-swap goes back to the health check: the retried step
    // re-reads the records and re-probes the active name before any write.
    swap.retry
        .push(Retrier::new(&[errors::CONFLICT], 1, 2, 2.0));
    s.add(states::SWAP, swap);
    s.add(
        states::IS_SWAPPED,
        Choice {
            comment: Some("Nothing to wait for when the target was already active.".into()),
            choices: vec![ChoiceRule::new(
                "$.swap.outcome",
                Test::StringEquals("swapped".into()),
                states::WAIT_FOR_SYNC,
            )],
            default: states::NOTIFY.into(),
        },
    );
    s.add(
        states::WAIT_FOR_SYNC,
        Wait {
            comment: Some("Route 53 propagates the change; wait here, not in a Lambda.".into()),
            seconds: timing.sync_wait_seconds,
            transition: Transition::to(states::CHECK_SYNC),
        },
    );
    s.add(
        states::CHECK_SYNC,
        Task {
            transition: Transition::to(states::IS_IN_SYNC),
            ..task(
                "One GetChange poll.",
                &swapper,
                step_payload(Step::CheckInsync, true),
                "$.swap",
            )
        },
    );
    s.add(
        states::IS_IN_SYNC,
        Choice {
            comment: Some("INSYNC, or enough polls: verify.".into()),
            choices: vec![ChoiceRule::new(
                "$.swap.done",
                Test::BooleanEquals(true),
                states::VERIFY,
            )],
            default: states::WAIT_FOR_SYNC.into(),
        },
    );
    let mut verify = Task {
        transition: Transition::to(states::NOTIFY),
        ..task(
            "The public name answers from the target (clients move after INSYNC plus the TTL).",
            &swapper,
            step_payload(Step::Verify, true),
            "$.verify",
        )
    };
    verify.retry.push(Retrier::new(
        &[errors::NOT_SERVING],
        timing.verify_interval_seconds,
        timing.verify_attempts,
        1.5,
    ));
    s.add(states::VERIFY, verify);
    s.add(
        states::NOTIFY,
        Task {
            catch: vec![Catcher::new(
                &[errors::ALL],
                "$.notify_error",
                states::OUTCOME,
            )],
            transition: Transition::to(states::OUTCOME),
            ..task(
                "Publish the outcome to this region's notification topic. A failure here never \
                 undoes a swap.",
                &notifier,
                json!({
                    "protocol": PROTOCOL_VERSION,
                    "state.$": "$",
                    "execution.$": "$$.Execution.Id",
                    "started.$": "$$.Execution.StartTime",
                }),
                "$.notification",
            )
        },
    );
    s.add(
        states::OUTCOME,
        Choice {
            comment: Some("End as the failover went; the notification says why.".into()),
            choices: vec![
                ChoiceRule::new("$.error", Test::IsPresent(true), states::NOT_DONE),
                ChoiceRule::new(
                    "$.notify_error",
                    Test::IsPresent(true),
                    states::NOTIFY_FAILED,
                ),
            ],
            default: states::DONE.into(),
        },
    );
    s.add(
        states::DONE,
        Succeed {
            comment: Some("Swapped, or the target was already active.".into()),
        },
    );
    s.add(
        states::NOT_DONE,
        Fail {
            comment: Some("Refused by a check, or failed.".into()),
            error: "FailoverNotDone".into(),
            cause: "The failover was refused or failed; the notification and the history say why."
                .into(),
        },
    );
    s.add(
        states::NOTIFY_FAILED,
        Fail {
            comment: Some("The outcome could not be published (any swap stands).".into()),
            error: "NotifyFailed".into(),
            cause: "Publishing the outcome failed; the history has the outcome.".into(),
        },
    );
    StateMachine {
        comment: format!(
            "multiregion failover of {} into {region} (protocol {PROTOCOL_VERSION})",
            names.name()
        ),
        start_at: states::CHECK_TARGET.into(),
        states: s,
    }
}

/// The definition as JSON, as `CreateStateMachine` takes it.
pub fn definition_json(
    names: &Names,
    region: &Region,
    account_id: &str,
    timing: &Timing,
) -> String {
    serde_json::to_string_pretty(&definition(names, region, account_id, timing))
        .expect("a definition always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::statemachine::asl::State;

    fn west() -> StateMachine {
        definition(
            &Names::new("orders").unwrap(),
            &Region::new("us-west-2").unwrap(),
            "123456789012",
            &Timing::default(),
        )
    }

    #[test]
    fn every_transition_names_a_state_and_every_state_is_reached() {
        let machine = west();
        let names: Vec<&str> = machine.states.names().collect();
        let mut targets = vec![machine.start_at.clone()];
        for (_, state) in &machine.states.0 {
            match state {
                State::Task(t) => {
                    if let Transition::Next(n) = &t.transition {
                        targets.push(n.clone());
                    }
                    targets.extend(t.catch.iter().map(|c| c.next.clone()));
                }
                State::Choice(c) => {
                    targets.push(c.default.clone());
                    targets.extend(c.choices.iter().map(|r| r.next.clone()));
                }
                State::Wait(w) => {
                    if let Transition::Next(n) = &w.transition {
                        targets.push(n.clone());
                    }
                }
                State::Succeed(_) | State::Fail(_) => {}
            }
        }
        for target in &targets {
            assert!(names.contains(&target.as_str()), "{target} is not a state");
        }
        for name in names {
            assert!(targets.iter().any(|t| t == name), "{name} is unreachable");
        }
    }

    #[test]
    fn tasks_retry_throttling_and_lambda_errors_and_catch_into_notify() {
        let machine = west();
        for (name, state) in &machine.states.0 {
            let State::Task(task) = state else { continue };
            let retried: Vec<&str> = task
                .retry
                .iter()
                .flat_map(|r| r.error_equals.iter().map(String::as_str))
                .collect();
            for error in errors::LAMBDA_SERVICE.iter().chain(&[errors::THROTTLED]) {
                assert!(retried.contains(error), "{name} does not retry {error}");
            }
            assert_eq!(
                task.catch.last().map(|c| c.error_equals.clone()),
                Some(vec![errors::ALL.to_owned()])
            );
            assert!(
                task.resource
                    .starts_with("arn:aws:lambda:us-west-2:123456789012:function:mr-orders-")
            );
        }
        let Some(State::Task(swap)) = machine.states.get(states::SWAP) else {
            panic!("no swap")
        };
        assert!(
            swap.retry
                .iter()
                .any(|r| r.error_equals == [errors::CONFLICT]),
            "a lost compare-and-swap is retried, which re-reads"
        );
        let json: Value = serde_json::from_str(&definition_json(
            &Names::new("orders").unwrap(),
            &Region::new("us-west-2").unwrap(),
            "123456789012",
            &Timing::default(),
        ))
        .unwrap();
        assert_eq!(json["States"]["WaitForSync"]["Type"], "Wait");
        assert_eq!(json["States"]["Swap"]["Next"], "IsSwapped");
        assert_eq!(
            json["States"]["CheckSync"]["Parameters"]["swap.$"],
            "$.swap"
        );
    }
}
