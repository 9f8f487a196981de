//! The kicker's decision table, against mocked Route 53, CloudWatch and Step
//! Functions clients and canned probe answers.

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_route53::operation::list_resource_record_sets::ListResourceRecordSetsOutput;
use aws_sdk_route53::types::{AliasTarget, ResourceRecord, ResourceRecordSet, RrType};
use aws_sdk_sfn::operation::describe_execution::{DescribeExecutionError, DescribeExecutionOutput};
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::ExecutionStatus;
use aws_sdk_sfn::types::error::{ExecutionAlreadyExists, ExecutionDoesNotExist};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;
use multiregion_core::deployment::{Deployment, Target};
use multiregion_core::ledger::{Ledger, Reason};

use super::*;
use crate::probe::fake::FakeProbe;

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";
const ACTIVE: &str = "api.example.com";
const STANDBY: &str = "standby-api.example.com";
/// The alarm's state change: the event time every decision is measured at.
const ALARM_AT: i64 = 1_800_000_000;

/// The alias target of `region`'s custom domain for the active (`a`) or
/// the standby (`s`) name, as the sample deployment has them.
fn target(region: &str, which: &str) -> Target {
    let deployed = deployment();
    let region = deployed.region(&Region::new(region).unwrap()).unwrap();
    match which {
        "a" => region.active_target.clone(),
        _ => region.standby_target.clone(),
    }
}

fn deployment() -> Deployment {
    Deployment::example()
}

/// One row of the table: the world as the kicker in us-west-2 finds it.
struct World {
    active: &'static str,
    ledger_epoch: i64,
    alarm: StateValue,
    alarm_updated_at: i64,
    actions_enabled: bool,
    probe: FakeProbe,
    /// Status of attempts 1, 2, 3 of generation 7 (`None`: does not exist).
    attempts: [Option<ExecutionStatus>; 3],
    start_conflicts: bool,
}

impl World {
    /// Everything says: fail over into us-west-2.
    fn failing_over() -> Self {
        World {
            active: EAST,
            ledger_epoch: ALARM_AT - 7200,
            alarm: StateValue::Alarm,
            alarm_updated_at: ALARM_AT,
            actions_enabled: true,
            probe: FakeProbe::default().fails(ACTIVE).answers(STANDBY, WEST),
            attempts: [None, None, None],
            start_conflicts: false,
        }
    }

    /// The standby name does not answer either.
    fn standby_unhealthy() -> Self {
        World {
            probe: FakeProbe::default().fails(ACTIVE).fails(STANDBY),
            ..World::failing_over()
        }
    }

    /// The last swap was 100 s before the alarm.
    fn in_cooldown() -> Self {
        World {
            ledger_epoch: ALARM_AT - 100,
            ..World::failing_over()
        }
    }

    /// The active name answers the kicker's own probe.
    fn active_answers() -> Self {
        World {
            probe: FakeProbe::default()
                .answers(ACTIVE, EAST)
                .answers(STANDBY, WEST),
            ..World::failing_over()
        }
    }
}

fn alias(name: &str, t: &Target) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(format!("{name}."))
        .r#type(RrType::A)
        .alias_target(
            AliasTarget::builder()
                .dns_name(format!("{}.", t.dns_name))
                .hosted_zone_id(&t.hosted_zone_id)
                .evaluate_target_health(false)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

fn listing(set: ResourceRecordSet) -> ListResourceRecordSetsOutput {
    ListResourceRecordSetsOutput::builder()
        .resource_record_sets(set)
        .is_truncated(false)
        .max_items(20)
        .build()
        .unwrap()
}

fn route53_rules(world: &World) -> Vec<Rule> {
    let standby = if world.active == EAST { WEST } else { EAST };
    let active_set = alias(ACTIVE, &target(world.active, "a"));
    let standby_set = alias(STANDBY, &target(standby, "s"));
    let ledger = Ledger::new(
        Region::new(world.active).unwrap(),
        7,
        world.ledger_epoch,
        Reason::Create,
        None,
    )
    .unwrap();
    let ledger_set = ResourceRecordSet::builder()
        .name("_failover.api.example.com.")
        .r#type(RrType::Txt)
        .ttl(60)
        .resource_records(
            ResourceRecord::builder()
                .value(ledger.to_txt_value())
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    [
        (ACTIVE, active_set),
        (STANDBY, standby_set),
        ("_failover.api.example.com", ledger_set),
    ]
    .into_iter()
    .map(|(name, set)| {
        let start = format!("{name}.");
        mock!(aws_sdk_route53::Client::list_resource_record_sets)
            .match_requests(move |r| r.start_record_name() == Some(start.as_str()))
            .then_output(move || listing(set.clone()))
    })
    .collect()
}

struct Run {
    kick: Kick,
    describes: usize,
    starts: Rule,
}

/// A kicker in us-west-2 facing `world`, its SNS client `sns`; with the
/// rules that count DescribeExecution and StartExecution calls.
struct Built {
    kicker: Kicker<FakeProbe>,
    describes: Vec<Rule>,
    starts: Rule,
}

const MESSAGE: &str = r#"{"AlarmName":"mr-orders-active-unhealthy","NewStateValue":"ALARM","OldStateValue":"OK","StateChangeTime":"2027-01-15T08:00:00.000+0000"}"#;

async fn decide(world: World) -> Run {
    let no_sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, Vec::<&Rule>::new());
    let built = build(world, no_sns);
    assert_eq!(
        parse_event_time("2027-01-15T08:00:00.000+0000"),
        Some(ALARM_AT)
    );
    let kick = built.kicker.kick(MESSAGE).await.expect("a decision");
    Run {
        kick,
        describes: built.describes.iter().map(Rule::num_calls).sum(),
        starts: built.starts,
    }
}

fn build(world: World, sns: aws_sdk_sns::Client) -> Built {
    let route53_rules = route53_rules(&world);
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, &route53_rules);
    let (state, updated, enabled) = (
        world.alarm.clone(),
        world.alarm_updated_at,
        world.actions_enabled,
    );
    let alarms = mock!(aws_sdk_cloudwatch::Client::describe_alarms)
        .match_requests(|r| r.alarm_names() == ["mr-orders-active-unhealthy"])
        .then_output(move || {
            DescribeAlarmsOutput::builder()
                .metric_alarms(
                    MetricAlarm::builder()
                        .alarm_name("mr-orders-active-unhealthy")
                        .state_value(state.clone())
                        .state_updated_timestamp(DateTime::from_secs(updated))
                        .actions_enabled(enabled)
                        .build(),
                )
                .build()
        });
    let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&alarms]);
    let describes: Vec<Rule> = world
        .attempts
        .iter()
        .enumerate()
        .map(|(i, status)| {
            let suffix = format!(":failover-7-{}", i + 1);
            let rule = mock!(aws_sdk_sfn::Client::describe_execution)
                .match_requests(move |r| r.execution_arn().is_some_and(|a| a.ends_with(&suffix)));
            match status.clone() {
                Some(status) => rule.then_output(move || {
                    DescribeExecutionOutput::builder()
                        .execution_arn("arn")
                        .state_machine_arn("sm")
                        .status(status.clone())
                        .start_date(DateTime::from_secs(ALARM_AT))
                        .build()
                        .unwrap()
                }),
                None => rule.then_error(|| {
                    DescribeExecutionError::ExecutionDoesNotExist(
                        ExecutionDoesNotExist::builder().build(),
                    )
                }),
            }
        })
        .collect();
    let starts = if world.start_conflicts {
        mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
            StartExecutionError::ExecutionAlreadyExists(ExecutionAlreadyExists::builder().build())
        })
    } else {
        mock!(aws_sdk_sfn::Client::start_execution).then_output(|| {
            StartExecutionOutput::builder()
                .execution_arn(
                    "arn:aws:states:us-west-2:123456789012:execution:mr-orders-failover:started",
                )
                .start_date(DateTime::from_secs(ALARM_AT))
                .build()
                .unwrap()
        })
    };
    let mut sfn_rules: Vec<&Rule> = describes.iter().collect();
    sfn_rules.push(&starts);
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, sfn_rules);
    let kicker = Kicker {
        route53,
        cloudwatch,
        sfn,
        sns,
        probe: world.probe,
        deployment: deployment(),
        region: Region::new(WEST).unwrap(),
    };
    Built {
        kicker,
        describes,
        starts,
    }
}

#[tokio::test]
async fn refusals_someone_must_act_on_are_published_and_the_others_are_not() {
    let rows = [
        (
            "standby unhealthy",
            World::standby_unhealthy(),
            Some("StandbyUnhealthy"),
        ),
        ("cooldown", World::in_cooldown(), Some("Cooldown")),
        ("started", World::failing_over(), None),
        ("active answers", World::active_answers(), None),
    ];
    for (what, world, notice) in rows {
        let published = mock!(aws_sdk_sns::Client::publish)
            .match_requests(|r| {
                r.topic_arn() == Some("arn:aws:sns:us-west-2:123456789012:mr-orders-notify")
            })
            .then_output(|| {
                aws_sdk_sns::operation::publish::PublishOutput::builder()
                    .message_id("m")
                    .build()
            });
        let sns = mock_client!(aws_sdk_sns, RuleMode::MatchAny, [&published]);
        let built = build(world, sns);
        let event: SnsEvent = serde_json::from_value(serde_json::json!({
            "Records": [{
                "EventSource": "aws:sns", "EventVersion": "1.0",
                "EventSubscriptionArn": "arn:aws:sns:us-west-2:123456789012:mr-orders-alarm:s",
                "Sns": {
                    "Type": "Notification", "MessageId": "m1",
                    "TopicArn": "arn:aws:sns:us-west-2:123456789012:mr-orders-alarm",
                    "Subject": "ALARM", "Message": MESSAGE,
                    "Timestamp": "2027-01-15T08:00:01.000Z", "SignatureVersion": "1",
                    "Signature": "x", "SigningCertUrl": "https://sns.example/c",
                    "UnsubscribeUrl": "https://sns.example/u", "MessageAttributes": {}
                }
            }]
        }))
        .expect("an SNS event");
        let kicks = built.kicker.handle(event).await.expect("decisions");
        assert_eq!(
            kicks[0].decision.needs_operator(),
            notice.is_some(),
            "{what}"
        );
        assert_eq!(
            published.num_calls(),
            usize::from(notice.is_some()),
            "{what}"
        );
        if let Some(error) = notice {
            let notification = notifier::refusal(
                &deployment(),
                &Region::new(WEST).unwrap(),
                error,
                &kicks[0].detail,
                "2027-01-15T08:00:00.000+0000",
            );
            assert!(
                notification.summary.starts_with(&format!(
                    "refused: no failover of api.example.com to us-west-2: {error}: "
                )),
                "{}",
                notification.summary
            );
        }
    }
}

#[tokio::test]
async fn starts_attempt_1_when_every_condition_holds() {
    let run = decide(World::failing_over()).await;
    assert_eq!(run.kick.decision, Decision::Started, "{:?}", run.kick);
    assert_eq!(run.starts.num_calls(), 1);
    assert!(run.kick.execution.is_some());
}

#[tokio::test]
async fn each_failed_condition_stops_it_before_any_execution() {
    let rows: Vec<(&str, World, Decision)> = vec![
        (
            "own region active",
            World {
                active: WEST,
                ..World::failing_over()
            },
            Decision::OwnRegionActive,
        ),
        (
            "standby unhealthy",
            World::standby_unhealthy(),
            Decision::StandbyUnhealthy,
        ),
        (
            "standby name answered by the other region",
            World {
                probe: FakeProbe::default().fails(ACTIVE).answers(STANDBY, EAST),
                ..World::failing_over()
            },
            Decision::StandbyUnhealthy,
        ),
        ("cooldown", World::in_cooldown(), Decision::Cooldown),
        (
            "stale alarm",
            World {
                alarm_updated_at: ALARM_AT + 3600,
                ..World::failing_over()
            },
            Decision::StaleNotification,
        ),
        (
            "alarm not in ALARM now",
            World {
                alarm: StateValue::Ok,
                ..World::failing_over()
            },
            Decision::AlarmNotInAlarm,
        ),
        (
            "paused",
            World {
                actions_enabled: false,
                ..World::failing_over()
            },
            Decision::Paused,
        ),
        (
            "active answers",
            World::active_answers(),
            Decision::ActiveHealthy,
        ),
    ];
    for (what, world, want) in rows {
        let run = decide(world).await;
        assert_eq!(run.kick.decision, want, "{what}: {:?}", run.kick);
        assert_eq!(
            (run.describes, run.starts.num_calls()),
            (0, 0),
            "{what}: no execution is looked at"
        );
    }
}

#[tokio::test]
async fn a_duplicate_finds_the_running_execution_and_starts_nothing() {
    let run = decide(World {
        attempts: [Some(ExecutionStatus::Running), None, None],
        ..World::failing_over()
    })
    .await;
    assert_eq!(run.kick.decision, Decision::AlreadyKicked);
    assert_eq!(run.starts.num_calls(), 0);
    let succeeded = decide(World {
        attempts: [Some(ExecutionStatus::Succeeded), None, None],
        ..World::failing_over()
    })
    .await;
    assert_eq!(succeeded.kick.decision, Decision::AlreadyKicked);
    let raced = decide(World {
        start_conflicts: true,
        ..World::failing_over()
    })
    .await;
    assert_eq!(
        raced.kick.decision,
        Decision::AlreadyKicked,
        "ExecutionAlreadyExists counts as kicked"
    );
    assert_eq!(raced.starts.num_calls(), 1);
}

#[tokio::test]
async fn a_failed_previous_attempt_moves_to_the_next_and_three_is_the_limit() {
    let run = decide(World {
        attempts: [Some(ExecutionStatus::Failed), None, None],
        ..World::failing_over()
    })
    .await;
    assert_eq!(run.kick.decision, Decision::Started);
    assert_eq!(run.kick.detail.split(':').next(), Some("attempt 2"));
    assert_eq!(run.describes, 2);
    let aborted = decide(World {
        attempts: [
            Some(ExecutionStatus::Failed),
            Some(ExecutionStatus::Aborted),
            None,
        ],
        ..World::failing_over()
    })
    .await;
    assert_eq!(aborted.kick.detail.split(':').next(), Some("attempt 3"));
    let exhausted = decide(World {
        attempts: [
            Some(ExecutionStatus::Failed),
            Some(ExecutionStatus::Failed),
            Some(ExecutionStatus::Failed),
        ],
        ..World::failing_over()
    })
    .await;
    assert_eq!(exhausted.kick.decision, Decision::AttemptsExhausted);
    assert_eq!(exhausted.starts.num_calls(), 0);
}

#[tokio::test]
async fn notifications_that_are_not_this_alarm_going_to_alarm_make_no_call() {
    let kicker = Kicker {
        route53: mock_client!(aws_sdk_route53, RuleMode::MatchAny, Vec::<&Rule>::new()),
        cloudwatch: mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, Vec::<&Rule>::new()),
        sfn: mock_client!(aws_sdk_sfn, RuleMode::MatchAny, Vec::<&Rule>::new()),
        sns: mock_client!(aws_sdk_sns, RuleMode::MatchAny, Vec::<&Rule>::new()),
        probe: FakeProbe::default(),
        deployment: deployment(),
        region: Region::new(WEST).unwrap(),
    };
    let ok = r#"{"AlarmName":"mr-orders-active-unhealthy","NewStateValue":"OK","StateChangeTime":"2027-01-15T08:00:00.000+0000"}"#;
    assert_eq!(kicker.kick(ok).await.unwrap().decision, Decision::NotAlarm);
    let other = r#"{"AlarmName":"someone-else","NewStateValue":"ALARM","StateChangeTime":"2027-01-15T08:00:00.000+0000"}"#;
    assert_eq!(
        kicker.kick(other).await.unwrap().decision,
        Decision::NotOurAlarm
    );
    assert_eq!(
        kicker.kick("not json").await.unwrap_err().error_type(),
        "InvalidInput"
    );
}

#[test]
fn the_input_is_a_function_of_generation_attempt_and_target_only() {
    let input = FailoverInput {
        reason: "runtime".into(),
        target: Some(Region::new(WEST).unwrap()),
        generation: Some(7),
        attempt: Some(2),
    };
    assert_eq!(
        serde_json::to_string(&input).unwrap(),
        r#"{"reason":"runtime","target":"us-west-2","generation":7,"attempt":2}"#
    );
    assert_eq!(
        execution_arn(
            "arn:aws:states:us-west-2:1:stateMachine:mr-orders-failover",
            "failover-7-2"
        ),
        "arn:aws:states:us-west-2:1:execution:mr-orders-failover:failover-7-2"
    );
}
