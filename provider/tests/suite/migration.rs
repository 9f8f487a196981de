//! Migration from the first runtime: a deployment made by the previous
//! provider had a kicker (a Lambda subscribed to the alarm's own SNS topic,
//! which started the state machine), its role and log group, and that alarm
//! topic. The pinger starts the state machine itself now. One apply deletes
//! them, and so does a destroy.
//!
//! Here the older objects are planted through the AWS APIs, as the previous
//! provider made them, on a deployment the new provider created, so that
//! each case (a pause by hand, a destroy with them still there) is cheap to
//! set up. [`previous`] starts from a real deployment of the previous
//! provider instead: its state file and its AWS objects.

#[path = "migration/previous.rs"]
mod previous;

use crate::support::*;
use anyhow::{Context, Result};

const ACCOUNT: &str = "123456789012";
const KICKER: &str = "mr-orders-kicker";
const KICKER_LOG_GROUP: &str = "/aws/lambda/mr-orders-kicker";
const ALARM_TOPIC: &str = "mr-orders-alarm";

fn kicker_role(region: &str) -> String {
    format!("mr-orders-kicker-{region}")
}

fn arn(service: &str, region: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{region}:{ACCOUNT}:{resource}")
}

/// Makes in `region` what the previous provider made there and this one no
/// longer uses, and points the paging alarm at the alarm topic, with its
/// actions `enabled` (disabled: the previous runtime's pause by hand).
async fn plant_older_runtime(world: &World, region: &str, enabled: bool) -> Result<()> {
    let config = world.sdk(region).await;
    let iam = aws_sdk_iam::Client::new(&world.sdk(EAST).await);
    let role = kicker_role(region);
    let trust = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "lambda.amazonaws.com" },
            "Action": "sts:AssumeRole",
        }],
    });
    let created = iam
        .create_role()
        .role_name(&role)
        .assume_role_policy_document(trust.to_string())
        .send()
        .await?;
    let role_arn = created.role().context("no role")?.arn().to_owned();
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Action": "states:StartExecution",
            "Resource": arn("states", region, "stateMachine:mr-orders-failover"),
        }],
    });
    iam.put_role_policy()
        .role_name(&role)
        .policy_name("multiregion")
        .policy_document(policy.to_string())
        .send()
        .await?;

    aws_sdk_cloudwatchlogs::Client::new(&config)
        .create_log_group()
        .log_group_name(KICKER_LOG_GROUP)
        .send()
        .await?;

    let lambda = aws_sdk_lambda::Client::new(&config);
    let zip = std::fs::read(package_dir()?.join(multiregion_core::package::ZIP))?;
    lambda
        .create_function()
        .function_name(KICKER)
        .runtime(aws_sdk_lambda::types::Runtime::Providedal2023)
        .handler("kicker")
        .role(&role_arn)
        .code(
            aws_sdk_lambda::types::FunctionCode::builder()
                .zip_file(aws_smithy_types::Blob::new(zip))
                .build(),
        )
        .send()
        .await?;
    lambda
        .put_function_event_invoke_config()
        .function_name(KICKER)
        .maximum_event_age_in_seconds(300)
        .maximum_retry_attempts(0)
        .send()
        .await?;

    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name(ALARM_TOPIC)
        .send()
        .await?
        .topic_arn()
        .context("no topic")?
        .to_owned();
    lambda
        .add_permission()
        .function_name(KICKER)
        .statement_id("multiregion-alarm-topic")
        .action("lambda:InvokeFunction")
        .principal("sns.amazonaws.com")
        .source_arn(&topic)
        .source_account(ACCOUNT)
        .send()
        .await?;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("lambda")
        .endpoint(arn("lambda", region, &format!("function:{KICKER}")))
        .send()
        .await?;

    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names("mr-orders-active-unhealthy")
        .send()
        .await?;
    let alarm = alarms.metric_alarms().first().context("no alarm")?;
    cloudwatch
        .put_metric_alarm()
        .alarm_name(alarm.alarm_name().unwrap_or_default())
        .namespace(alarm.namespace().unwrap_or_default())
        .metric_name(alarm.metric_name().unwrap_or_default())
        .set_dimensions(Some(alarm.dimensions().to_vec()))
        .set_statistic(alarm.statistic().cloned())
        .set_period(alarm.period())
        .set_evaluation_periods(alarm.evaluation_periods())
        .set_datapoints_to_alarm(alarm.datapoints_to_alarm())
        .set_threshold(alarm.threshold())
        .set_comparison_operator(alarm.comparison_operator().cloned())
        .set_treat_missing_data(alarm.treat_missing_data().map(str::to_owned))
        .alarm_actions(&topic)
        .actions_enabled(enabled)
        .send()
        .await?;
    Ok(())
}

/// What of the older runtime is left in `region`, one line each.
async fn older_left(world: &World, region: &str) -> Result<Vec<String>> {
    let config = world.sdk(region).await;
    let mut left = Vec::new();
    let lambda = aws_sdk_lambda::Client::new(&config);
    if lambda
        .get_function()
        .function_name(KICKER)
        .send()
        .await
        .is_ok()
    {
        left.push(format!("{region} function {KICKER}"));
    }
    let iam = aws_sdk_iam::Client::new(&world.sdk(EAST).await);
    if iam
        .get_role()
        .role_name(kicker_role(region))
        .send()
        .await
        .is_ok()
    {
        left.push(format!("role {}", kicker_role(region)));
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in logs
        .describe_log_groups()
        .log_group_name_prefix(KICKER_LOG_GROUP)
        .send()
        .await?
        .log_groups()
    {
        left.push(format!(
            "{region} log group {}",
            group.log_group_name().unwrap_or_default()
        ));
    }
    let sns = aws_sdk_sns::Client::new(&config);
    for topic in sns.list_topics().send().await?.topics() {
        let topic = topic.topic_arn().unwrap_or_default();
        if topic.ends_with(&format!(":{ALARM_TOPIC}")) {
            left.push(format!("{region} topic {topic}"));
        }
    }
    for subscription in sns.list_subscriptions().send().await?.subscriptions() {
        left.push(format!(
            "{region} subscription {} -> {}",
            subscription.topic_arn().unwrap_or_default(),
            subscription.endpoint().unwrap_or_default()
        ));
    }
    Ok(left)
}

/// The paging alarm's actions in `region`.
async fn alarm_actions(world: &World, region: &str) -> Result<Vec<String>> {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&world.sdk(region).await);
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names("mr-orders-active-unhealthy")
        .send()
        .await?;
    let alarm = alarms.metric_alarms().first().context("no alarm")?;
    Ok(alarm.alarm_actions().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_apply_deletes_what_the_older_runtime_left_and_destroy_leaves_nothing() -> Result<()> {
    let (world, workdir, _config) = deployed_with_runtime().await?;
    // us-east-1 was paused by hand the older way (its alarm's actions
    // disabled); us-west-2 was armed.
    plant_older_runtime(&world, EAST, false).await?;
    plant_older_runtime(&world, WEST, true).await?;
    for region in [EAST, WEST] {
        let left = older_left(&world, region).await?;
        assert_eq!(left.len(), 5, "{region}: planted {left:#?}");
    }

    // A refresh shows what is left, so the plan has an update to make.
    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    assert!(
        refresh
            .text()
            .contains("the retired kicker function mr-orders-kicker is left"),
        "{}",
        refresh.text()
    );

    // One apply converges (apply_converged: the next plan is empty), and
    // deletes every piece of the older runtime.
    apply_converged(&workdir).await?;
    assert_only_the_new_runtime(&world).await?;
    // The older pause is carried over as the automation tag, and the
    // armed region stays armed.
    assert_eq!(
        automation_tag(&world, EAST).await?.as_deref(),
        Some(multiregion_core::automation::PAUSED)
    );
    assert_eq!(automation_tag(&world, WEST).await?, None);
    assert!(!actions_enabled(&world, EAST).await?);
    assert!(actions_enabled(&world, WEST).await?);
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["apparatus_status"], "ok");
    assert_eq!(values["automatic_failover_paused"], true);

    // A destroy of a deployment that still has the older runtime leaves
    // nothing either.
    plant_older_runtime(&world, EAST, true).await?;
    plant_older_runtime(&world, WEST, true).await?;
    destroy_and_sweep(&world, &workdir).await
}

/// In both regions nothing of the older runtime is left, and the alarm
/// notifies the region's notification topic.
async fn assert_only_the_new_runtime(world: &World) -> Result<()> {
    for region in [EAST, WEST] {
        assert_eq!(
            older_left(world, region).await?,
            Vec::<String>::new(),
            "{region}"
        );
        assert_eq!(
            alarm_actions(world, region).await?,
            [arn("sns", region, "mr-orders-notify")],
            "{region}: the alarm notifies the region's notification topic"
        );
    }
    Ok(())
}
