//! The pinger's decisions, against mocked Step Functions and CloudWatch
//! clients and canned probe answers (the pinger in us-west-2).

use aws_sdk_cloudwatch::operation::describe_alarms::DescribeAlarmsOutput;
use aws_sdk_cloudwatch::operation::enable_alarm_actions::EnableAlarmActionsOutput;
use aws_sdk_cloudwatch::types::{MetricAlarm, StateValue};
use aws_sdk_sfn::operation::describe_state_machine::DescribeStateMachineOutput;
use aws_sdk_sfn::operation::list_executions::ListExecutionsOutput;
use aws_sdk_sfn::operation::list_tags_for_resource::ListTagsForResourceOutput;
use aws_sdk_sfn::operation::start_execution::{StartExecutionError, StartExecutionOutput};
use aws_sdk_sfn::types::error::ExecutionAlreadyExists;
use aws_sdk_sfn::types::{ExecutionListItem, StateMachineType, Tag};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use aws_smithy_types::DateTime;

use super::*;
use crate::probe::fake::FakeProbe;
use multiregion_core::automation;

const EAST: &str = "us-east-1";
const WEST: &str = "us-west-2";
const ACTIVE: &str = "api.example.com";
const STANDBY: &str = "standby-api.example.com";
const TICK: i64 = 1_800_000_060;
const CREATED: i64 = 1_799_000_000;
const MACHINE: &str = "arn:aws:states:us-west-2:123456789012:stateMachine:mr-orders-failover";

fn armed() -> Rule {
    mock!(aws_sdk_cloudwatch::Client::enable_alarm_actions)
        .match_requests(|r| r.alarm_names() == ["mr-orders-active-unhealthy"])
        .then_output(|| EnableAlarmActionsOutput::builder().build())
}

/// The alarm as DescribeAlarms shows it: actions off, in `state`.
fn alarm_in(state: StateValue) -> Rule {
    mock!(aws_sdk_cloudwatch::Client::describe_alarms).then_output(move || {
        DescribeAlarmsOutput::builder()
            .metric_alarms(
                MetricAlarm::builder()
                    .alarm_name("mr-orders-active-unhealthy")
                    .actions_enabled(false)
                    .state_value(state.clone())
                    .build(),
            )
            .build()
    })
}

fn none_running() -> Rule {
    mock!(aws_sdk_sfn::Client::list_executions)
        .match_requests(|r| {
            r.state_machine_arn() == Some(MACHINE)
                && r.status_filter() == Some(&ExecutionStatus::Running)
        })
        .then_output(|| {
            ListExecutionsOutput::builder()
                .set_executions(Some(vec![]))
                .build()
                .unwrap()
        })
}

fn running(name: &'static str) -> Rule {
    mock!(aws_sdk_sfn::Client::list_executions).then_output(move || {
        let item = ExecutionListItem::builder()
            .execution_arn(execution_arn(MACHINE, name))
            .state_machine_arn(MACHINE)
            .name(name)
            .status(ExecutionStatus::Running)
            .start_date(DateTime::from_secs(TICK - 60))
            .build()
            .unwrap();
        ListExecutionsOutput::builder()
            .executions(item)
            .build()
            .unwrap()
    })
}

fn tags(value: Option<&'static str>) -> Rule {
    mock!(aws_sdk_sfn::Client::list_tags_for_resource)
        .match_requests(|r| r.resource_arn() == Some(MACHINE))
        .then_output(move || {
            let mut out = ListTagsForResourceOutput::builder()
                .tags(Tag::builder().key("multiregion:id").value("x").build());
            if let Some(value) = value {
                out = out.tags(Tag::builder().key(automation::TAG).value(value).build());
            }
            out.build()
        })
}

fn described() -> Rule {
    mock!(aws_sdk_sfn::Client::describe_state_machine).then_output(|| {
        DescribeStateMachineOutput::builder()
            .state_machine_arn(MACHINE)
            .name("mr-orders-failover")
            .definition("{}")
            .role_arn("arn:aws:iam::123456789012:role/r")
            .r#type(StateMachineType::Standard)
            .creation_date(DateTime::from_secs(CREATED))
            .build()
            .unwrap()
    })
}

/// The start the pinger must make for `tick` after generation 4.
fn started(tick: i64) -> Rule {
    let name = format!("i{CREATED}-g4-t{tick}");
    let input =
        format!(r#"{{"reason":"runtime","target":"us-west-2","generation":4,"tick":{tick}}}"#);
    mock!(aws_sdk_sfn::Client::start_execution)
        .match_requests(move |r| {
            r.state_machine_arn() == Some(MACHINE)
                && r.name() == Some(name.as_str())
                && r.input() == Some(input.as_str())
        })
        .then_output(move || {
            StartExecutionOutput::builder()
                .execution_arn(execution_arn(MACHINE, &format!("i{CREATED}-g4-t{tick}")))
                .start_date(DateTime::from_secs(tick))
                .build()
                .unwrap()
        })
}

fn pinger(
    probe: FakeProbe,
    sfn: &[&Rule],
    cloudwatch: &[&Rule],
    memory: Memory,
) -> Pinger<FakeProbe> {
    relaying_pinger(probe, sfn, cloudwatch, &[], Deployment::example(), memory)
}

fn relaying_pinger(
    probe: FakeProbe,
    sfn: &[&Rule],
    cloudwatch: &[&Rule],
    sqs: &[&Rule],
    deployment: Deployment,
    memory: Memory,
) -> Pinger<FakeProbe> {
    let sfn = mock_client!(aws_sdk_sfn, RuleMode::MatchAny, sfn);
    let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::MatchAny, cloudwatch);
    // No Route 53 rule: a test that reaches the API fails on it.
    let route53 = mock_client!(aws_sdk_route53, RuleMode::MatchAny, &[]);
    let sqs = mock_client!(aws_sdk_sqs, RuleMode::MatchAny, sqs);
    let pinger = Pinger::new(
        sfn,
        route53,
        cloudwatch,
        sqs,
        probe,
        deployment,
        Region::new(WEST).unwrap(),
    );
    *pinger.memory.lock().unwrap() = memory;
    pinger
}

/// A warm standby instance that knows generation 4.
fn warm_standby() -> Memory {
    Memory {
        role: Some(Role::Standby),
        generation: Some(4),
        ..Memory::default()
    }
}

#[tokio::test]
async fn a_standby_whose_probe_answers_from_the_active_does_nothing_and_arms_the_alarm() {
    let (arm, ok) = (armed(), alarm_in(StateValue::Ok));
    let probe = FakeProbe::default().answers(ACTIVE, EAST);
    let pinger = pinger(probe, &[], &[&arm, &ok], Memory::default());
    let report = pinger.ping(TICK).await.unwrap();
    assert_eq!(report.role, Some(Role::Standby));
    assert_eq!(report.action, Action::None);
    assert!(
        report.standby.is_none(),
        "the standby does not probe itself"
    );
    pinger.ping(TICK + 60).await.unwrap();
    assert_eq!(arm.num_calls(), 1, "armed once per instance");
}

#[tokio::test]
async fn the_alarm_stays_unarmed_until_it_has_judged_a_good_datapoint() {
    let (arm, breaching) = (armed(), alarm_in(StateValue::Alarm));
    let probe = FakeProbe::default().answers(ACTIVE, EAST);
    let pinger = pinger(probe, &[], &[&arm, &breaching], Memory::default());
    pinger.ping(TICK).await.unwrap();
    pinger.ping(TICK + 60).await.unwrap();
    assert_eq!(breaching.num_calls(), 2, "read again at each good tick");
    assert_eq!(
        arm.num_calls(),
        0,
        "a new deployment's first periods do not page"
    );
}

#[tokio::test]
async fn a_standby_whose_probe_fails_starts_its_state_machine_and_fails() {
    let (list, flag, describe, start) = (none_running(), tags(None), described(), started(TICK));
    let probe = FakeProbe::default().fails(ACTIVE);
    let pinger = pinger(
        probe,
        &[&list, &flag, &describe, &start],
        &[],
        warm_standby(),
    );
    let error = pinger
        .ping(TICK)
        .await
        .expect_err("the alarm counts this tick");
    assert_eq!(error.error_type(), "ActiveUnhealthy");
    assert!(
        error.to_string().contains("started the failover"),
        "{error}"
    );
    assert_eq!(start.num_calls(), 1, "the name and input are the tick's");
    // The next tick finds the running execution instead: one at a time.
    let pinger2 = {
        let (busy, flag) = (running("i1799000000-g4-t1800000060"), tags(None));
        let p = self::pinger(
            FakeProbe::default().fails(ACTIVE),
            &[&busy, &flag],
            &[],
            warm_standby(),
        );
        let error = p.ping(TICK + 60).await.expect_err("still failing");
        assert!(error.to_string().contains("is running"), "{error}");
        assert_eq!(busy.num_calls(), 1);
        p
    };
    drop(pinger2);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test]
async fn a_second_delivery_of_the_same_tick_is_the_same_execution() {
    let (list, flag, describe) = (none_running(), tags(None), described());
    let exists = mock!(aws_sdk_sfn::Client::start_execution).then_error(|| {
        StartExecutionError::ExecutionAlreadyExists(
            ExecutionAlreadyExists::builder().message("exists").build(),
        )
    });
    let probe = FakeProbe::default().fails(ACTIVE);
    let pinger = pinger(
        probe,
        &[&list, &flag, &describe, &exists],
        &[],
        warm_standby(),
    );
    let error = pinger.ping(TICK).await.expect_err("failing");
    assert!(
        error
            .to_string()
            .contains(&execution_arn(MACHINE, "i1799000000-g4-t1800000060")),
        "{error}"
    );
    assert_eq!(exists.num_calls(), 1);
}

#[tokio::test]
async fn a_paused_region_starts_nothing_but_still_fails_so_a_person_hears() {
    for value in ["paused", "off"] {
        let (list, flag) = (none_running(), tags(Some(value)));
        let probe = FakeProbe::default().fails(ACTIVE);
        let pinger = pinger(probe, &[&list, &flag], &[], warm_standby());
        let error = pinger.ping(TICK).await.expect_err("failing");
        assert!(
            error.to_string().contains("no failover"),
            "{value}: {error}"
        );
        assert_eq!(flag.num_calls(), 1);
    }
}

#[tokio::test]
async fn the_active_checks_the_standby_every_15_minutes_and_fails_until_it_recovers() {
    let (arm, ok) = (armed(), alarm_in(StateValue::Ok));
    let probe = FakeProbe::default().answers(ACTIVE, WEST).fails(STANDBY);
    let pinger = pinger(probe, &[], &[&arm, &ok], Memory::default());
    let error = pinger.ping(TICK).await.expect_err("the standby is down");
    assert_eq!(error.error_type(), "StandbyUnhealthy");
    assert_eq!(pinger.memory().role, Some(Role::Active));
    // Between checks it probes nothing, and keeps failing: one page, no flap.
    let error = pinger.ping(TICK + 60).await.expect_err("still down");
    assert_eq!(error.error_type(), "StandbyUnhealthy");
    assert_eq!(arm.num_calls(), 0, "never armed by a failing tick");
    // At the next check the standby answers from the other region.
    let pinger = Pinger {
        probe: FakeProbe::default()
            .answers(ACTIVE, WEST)
            .answers(STANDBY, EAST),
        ..pinger
    };
    let report = pinger.ping(TICK + 60).await.expect_err("not due yet");
    assert_eq!(report.error_type(), "StandbyUnhealthy");
    let report = pinger.ping(TICK + ACTIVE_CHECK_SECONDS).await.unwrap();
    assert!(report.standby.is_some() && report.public.is_some());
    let quiet = pinger.ping(TICK + ACTIVE_CHECK_SECONDS + 60).await.unwrap();
    assert!(quiet.public.is_none() && quiet.standby.is_none());
    assert_eq!(arm.num_calls(), 1);
}

#[tokio::test]
async fn an_active_that_finds_the_public_name_answering_elsewhere_becomes_the_standby() {
    let (arm, ok) = (armed(), alarm_in(StateValue::Ok));
    let probe = FakeProbe::default().answers(ACTIVE, EAST);
    let memory = Memory {
        role: Some(Role::Active),
        active_checked_at: Some(TICK - ACTIVE_CHECK_SECONDS),
        standby_healthy: true,
        ..Memory::default()
    };
    let pinger = pinger(probe, &[], &[&arm, &ok], memory);
    let report = pinger.ping(TICK).await.unwrap();
    assert_eq!(report.role, Some(Role::Standby));
    assert_eq!(pinger.memory().role, Some(Role::Standby));
}

/// A deployment every 10 s, with a tick queue in the pinger's region.
fn every_ten_seconds() -> Deployment {
    let mut deployment = Deployment::example();
    deployment.interval_seconds = 10;
    for region in &mut deployment.regions {
        region.tick_queue_url = Some(format!(
            "https://sqs.{}.amazonaws.com/123456789012/mr-orders-ticks",
            region.region
        ));
    }
    deployment
}

#[tokio::test]
async fn below_a_minute_the_standbys_scheduled_tick_relays_the_minutes_later_ticks() {
    let (arm, ok) = (armed(), alarm_in(StateValue::Ok));
    let sent = mock!(aws_sdk_sqs::Client::send_message_batch)
        .match_requests(|r| {
            r.queue_url()
                == Some("https://sqs.us-west-2.amazonaws.com/123456789012/mr-orders-ticks")
                && r.entries()
                    .iter()
                    .map(|e| e.delay_seconds().unwrap_or(0))
                    .collect::<Vec<_>>()
                    == [10, 20, 30, 40, 50]
        })
        .then_output(|| {
            aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput::builder()
                .set_successful(Some(Vec::new()))
                .set_failed(Some(Vec::new()))
                .build()
                .unwrap()
        });
    let probe = FakeProbe::default().answers(ACTIVE, EAST);
    let standby = relaying_pinger(
        probe,
        &[],
        &[&arm, &ok],
        &[&sent],
        every_ten_seconds(),
        warm_standby(),
    );
    let report = standby.scheduled(TICK).await.unwrap();
    assert_eq!(report.role, Some(Role::Standby));
    assert_eq!(sent.num_calls(), 1);
    // A relayed tick runs without relaying again.
    standby.ping(TICK + 10).await.unwrap();
    assert_eq!(sent.num_calls(), 1);
}

#[tokio::test]
async fn an_active_that_knows_it_and_a_minute_interval_relay_nothing() {
    let (arm, ok) = (armed(), alarm_in(StateValue::Ok));
    // Any SQS call fails the test: no rule matches.
    let active = relaying_pinger(
        FakeProbe::default(),
        &[],
        &[&arm, &ok],
        &[],
        every_ten_seconds(),
        Memory {
            role: Some(Role::Active),
            active_checked_at: Some(TICK),
            standby_healthy: true,
            ..Memory::default()
        },
    );
    let report = active.scheduled(TICK + 10).await.unwrap();
    assert!(
        report.public.is_none(),
        "between its checks the active probes nothing"
    );
    let minute = pinger(
        FakeProbe::default().answers(ACTIVE, EAST),
        &[],
        &[&arm, &ok],
        warm_standby(),
    );
    minute.scheduled(TICK).await.unwrap();
}
