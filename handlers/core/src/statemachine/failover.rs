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
    /// Probes the active name: a blip ends the execution.
    pub const CONFIRM: &str = "Confirm";
    /// Whether the active name answered.
    pub const IS_BLIP: &str = "IsBlip";
    /// Waits before the second confirmation.
    pub const WAIT_TO_CONFIRM: &str = "WaitToConfirm";
    /// The active name answered: no swap, no notification.
    pub const ACTIVE_ANSWERED: &str = "ActiveAnswered";
    /// Probes the active name a second time and the standby name at once,
    /// and reads the records; the target must be the standby and answer,
    /// the cooldown must have passed, and automation must be on.
    pub const CHECK_TARGET: &str = "CheckTarget";
    /// A blip, a target already active, or a swap to make.
    pub const IS_SWAP_NEEDED: &str = "IsSwapNeeded";
    /// The target was active already: nothing to do, no notification.
    pub const ACTIVE_ALREADY: &str = "ActiveAlready";
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
    /// The failover cannot be made now: count it and choose the next wait.
    pub const HOLD: &str = "Hold";
    /// Whether to give up, to notify, or only to wait.
    pub const HOLD_NEXT: &str = "HoldNext";
    /// The one notice of an episode.
    pub const NOTIFY_HOLD: &str = "NotifyHold";
    /// Waits (capped backoff), then checks again from the start.
    pub const WAIT_TO_RETRY: &str = "WaitToRetry";
    /// Publishes the outcome.
    pub const NOTIFY: &str = "Notify";
    /// Ends the execution according to the outcome.
    pub const OUTCOME: &str = "Outcome";
    /// Swapped.
    pub const DONE: &str = "Done";
    /// Refused, failed or given up; the notification says why.
    pub const NOT_DONE: &str = "FailoverNotDone";
    /// The outcome could not be published.
    pub const NOTIFY_FAILED: &str = "NotifyFailed";
}

/// Timings of the definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Seconds between the two confirmation probes (the pinger's failed
    /// probe is the first of three; the second confirmation is part of the
    /// target check).
    pub confirm_wait_seconds: u32,
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
            confirm_wait_seconds: 10,
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

fn step_payload(step: Step, with: &[(&str, &str)]) -> Value {
    let mut payload = json!({
        "protocol": PROTOCOL_VERSION,
        "step": step.as_str(),
        "input.$": "$$.Execution.Input",
        "execution.$": "$$.Execution.Id",
        "started.$": "$$.Execution.StartTime",
    });
    for (field, path) in with {
        payload[format!("{field}.$")] = json!(path);
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

/// Before the swap: a broken input ends with a notification; anything else
/// (a refusal, or AWS failing) holds, and the execution checks again later.
fn to_hold() -> Vec<Catcher> {
    vec![
        Catcher::new(&[errors::INVALID_INPUT], "$.error", states::NOTIFY),
        Catcher::new(&[errors::ALL], "$.error", states::HOLD),
    ]
}

fn wait(comment: &str, seconds: u32, next: &str) -> Wait {
    Wait {
        comment: Some(comment.to_owned()),
        seconds: Some(seconds),
        seconds_path: None,
        transition: Transition::to(next),
    }
}

fn blip(comment: &str, next: &str) -> Choice {
    Choice {
        comment: Some(comment.to_owned()),
        choices: vec![ChoiceRule::new(
            "$.confirm.active_answered",
            Test::BooleanEquals(true),
            states::ACTIVE_ANSWERED,
        )],
        default: next.into(),
    }
}

/// The failover state machine of `region`, whose Tasks invoke that region's
/// swapper and notifier functions in `account_id`.
///
/// ```text
///  Confirm ─▶ IsBlip ─▶ WaitToConfirm (10 s) ─▶ CheckTarget (probes active and standby)
///    ▲           └─ answered ─▶ ActiveAnswered ◀─ answered ─┐        │
///    │                                                      └─ IsSwapNeeded ─ active ─▶ ActiveAlready
///    │                                                                 │
///    │    refused / AWS failing (Catch) ◀──────────────────────────────────────── Swap
///    │        │                                                                    │ swapped
///    │        ▼                                                                    ▼
///    │      Hold ─▶ HoldNext ─ first ─▶ NotifyHold ─┐            WaitForSync ⇄ CheckSync
///    │                 │ give up                    │                              │
///    └─ WaitToRetry ◀──┴──────────── (capped) ◀─────┘                              ▼
///                      └──────────────▶ Notify ◀──────────────────────────────── Verify
///                                         ▼
///                                      Outcome ─▶ Done | FailoverNotDone | NotifyFailed
/// ```
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
        catch: to_hold(),
        transition: Transition::End(true),
    };
    let confirm = |next: &str| Task {
        transition: Transition::to(next),
        ..task(
            "Probe the active name once: an answer from a region other than this one is a blip.",
            &swapper,
            step_payload(Step::Confirm, &[]),
            "$.confirm",
        )
    };
    let mut s = States::default();

    s.add(states::CONFIRM, confirm(states::IS_BLIP));
    s.add(
        states::IS_BLIP,
        blip("The active name answered: a blip.", states::WAIT_TO_CONFIRM),
    );
    s.add(
        states::WAIT_TO_CONFIRM,
        wait(
            "Confirm over time, not in one instant; wait here, not in a Lambda.",
            timing.confirm_wait_seconds,
            states::CHECK_TARGET,
        ),
    );
    s.add(
        states::ACTIVE_ANSWERED,
        Succeed {
            comment: Some(
                "The active name answers: no swap and no notification; it uses no attempt.".into(),
            ),
        },
    );
    s.add(
        states::CHECK_TARGET,
        Task {
            transition: Transition::to(states::IS_SWAP_NEEDED),
            ..task(
                "Probe the active name (the second confirmation) and the standby name at once, \
                 and read the records; the target must be the standby and answer on the \
                 standby name, the cooldown must have passed, and automation must be on.",
                &swapper,
                step_payload(Step::CheckTarget, &[("state", "$")]),
                "$.check",
            )
        },
    );
    s.add(
        states::IS_SWAP_NEEDED,
        Choice {
            comment: Some(
                "A blip ends here. A swap already made this region active: a runtime start \
                 ends here too; a manual one goes on to the swap, a no-op that is reported."
                    .into(),
            ),
            choices: vec![
                ChoiceRule::new(
                    "$.check.active_answered",
                    Test::BooleanEquals(true),
                    states::ACTIVE_ANSWERED,
                ),
                ChoiceRule::new(
                    "$.check.quiet",
                    Test::BooleanEquals(true),
                    states::ACTIVE_ALREADY,
                ),
            ],
            default: states::SWAP.into(),
        },
    );
    s.add(
        states::ACTIVE_ALREADY,
        Succeed {
            comment: Some("The target is active already: nothing to do.".into()),
        },
    );
    let mut swap = Task {
        transition: Transition::to(states::IS_SWAPPED),
        catch: [
            vec![Catcher::new(
                &[errors::ACTIVE_STILL_HEALTHY],
                "$.error",
                states::ACTIVE_ANSWERED,
            )],
            to_hold(),
        ]
        .concat(),
        ..task(
            "Re-probe the active name (a blip if it answers), then one compare-and-swap \
             (a single ChangeResourceRecordSets attempt, so retries show here).",
            &swapper,
            step_payload(Step::Swap, &[]),
            "$.swap",
        )
    };
    // A lost compare-and-swap is retried: the step re-reads the records and
    // re-probes the active name before any write.
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
        wait(
            "Route 53 propagates the change; wait here, not in a Lambda.",
            timing.sync_wait_seconds,
            states::CHECK_SYNC,
        ),
    );
    s.add(
        states::CHECK_SYNC,
        Task {
            catch: to_notify(),
            transition: Transition::to(states::IS_IN_SYNC),
            ..task(
                "One GetChange poll.",
                &swapper,
                step_payload(Step::CheckInsync, &[("swap", "$.swap")]),
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
        catch: to_notify(),
        transition: Transition::to(states::NOTIFY),
        ..task(
            "The public name answers from the target (clients move after INSYNC plus the TTL).",
            &swapper,
            step_payload(Step::Verify, &[("swap", "$.swap")]),
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
        states::HOLD,
        Task {
            catch: to_notify(),
            // No ResultPath: the result replaces the data (ASL's default,
            // `$`; aws-local-stepfunctions writes an explicit `"$"` to a key
            // named `$` instead).
            result_path: None,
            transition: Transition::to(states::HOLD_NEXT),
            ..task(
                "Count the hold and choose the next wait (capped backoff); the result replaces \
                 the data, so the next round starts clean.",
                &swapper,
                step_payload(Step::Hold, &[("state", "$")]),
                "$",
            )
        },
    );
    s.add(
        states::HOLD_NEXT,
        Choice {
            comment: Some("Give up after the maximum age; notify once per episode.".into()),
            choices: vec![
                ChoiceRule::new("$.hold.give_up", Test::BooleanEquals(true), states::NOTIFY),
                ChoiceRule::new(
                    "$.hold.notify",
                    Test::BooleanEquals(true),
                    states::NOTIFY_HOLD,
                ),
            ],
            default: states::WAIT_TO_RETRY.into(),
        },
    );
    s.add(
        states::NOTIFY_HOLD,
        Task {
            catch: vec![Catcher::new(
                &[errors::ALL],
                "$.hold_notification_error",
                states::WAIT_TO_RETRY,
            )],
            transition: Transition::to(states::WAIT_TO_RETRY),
            ..task(
                "The one notice of this episode: the failover waits, and why.",
                &notifier,
                notify_payload(),
                "$.notification",
            )
        },
    );
    s.add(
        states::WAIT_TO_RETRY,
        Wait {
            comment: Some("Capped backoff, then check again from the start.".into()),
            seconds: None,
            seconds_path: Some("$.hold.wait_seconds".into()),
            transition: Transition::to(states::CONFIRM),
        },
    );
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
                notify_payload(),
                "$.notification",
            )
        },
    );
    s.add(
        states::OUTCOME,
        Choice {
            comment: Some("End as the failover went; the notification says why.".into()),
            choices: vec![
                // A hold that gave up carries its error too (`HoldExpired`):
                // a Choice on a path that may be missing fails the execution.
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
            comment: Some("Swapped.".into()),
        },
    );
    s.add(
        states::NOT_DONE,
        Fail {
            comment: Some("Refused, failed, or given up.".into()),
            error: "FailoverNotDone".into(),
            cause: "The failover was refused, failed or given up; the notification and the \
                    history say why."
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
        start_at: states::CONFIRM.into(),
        states: s,
    }
}

fn notify_payload() -> Value {
    json!({
        "protocol": PROTOCOL_VERSION,
        "state.$": "$",
        "execution.$": "$$.Execution.Id",
        "started.$": "$$.Execution.StartTime",
    })
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
        assert_eq!(json["StartAt"], "Confirm");
        assert_eq!(
            json["States"]["WaitToRetry"]["SecondsPath"],
            "$.hold.wait_seconds"
        );
        assert_eq!(json["States"]["WaitToConfirm"]["Seconds"], 10);
        assert!(
            json["States"]["Hold"].get("ResultPath").is_none(),
            "the hold's result replaces the data"
        );
    }

    #[test]
    fn before_the_swap_a_failure_holds_and_after_it_a_failure_notifies() {
        let machine = west();
        let catch_of = |name: &str| -> Vec<String> {
            let Some(State::Task(task)) = machine.states.get(name) else {
                panic!("{name} is not a task")
            };
            task.catch.iter().map(|c| c.next.clone()).collect()
        };
        for before in [states::CONFIRM, states::CHECK_TARGET] {
            assert_eq!(catch_of(before), [states::NOTIFY, states::HOLD], "{before}");
        }
        assert_eq!(
            catch_of(states::SWAP),
            [states::ACTIVE_ANSWERED, states::NOTIFY, states::HOLD],
            "a re-probe that answers is a blip"
        );
        for after in [states::CHECK_SYNC, states::VERIFY, states::HOLD] {
            assert_eq!(catch_of(after), [states::NOTIFY], "{after}");
        }
        // The one notice of an episode never stops the execution.
        assert_eq!(catch_of(states::NOTIFY_HOLD), [states::WAIT_TO_RETRY]);
    }
}
