//! Helpers on the runtime's pieces: the paging alarm's actions and the
//! state machines' automation tag, read and set as the pinger or a person
//! does.

use anyhow::{Context, Result};

use super::{EAST, WEST, World, root};

/// Sets the paging alarm's actions in `region` as EnableAlarmActions and
/// DisableAlarmActions do. moto has neither, so the alarm is put again as it
/// is, with its actions set: what DescribeAlarms then answers is the same.
pub async fn set_alarm_actions(world: &World, region: &str, enabled: bool) -> Result<()> {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&world.sdk(region).await);
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names("mr-orders-active-unhealthy")
        .send()
        .await?;
    let alarm = alarms.metric_alarms().first().context("no alarm")?;
    cloudwatch
        .put_metric_alarm()
        .alarm_name(alarm.alarm_name().unwrap_or_default())
        .set_alarm_description(alarm.alarm_description().map(str::to_owned))
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
        .set_alarm_actions(Some(alarm.alarm_actions().to_vec()))
        .actions_enabled(enabled)
        .send()
        .await?;
    Ok(())
}

pub async fn actions_enabled(world: &World, region: &str) -> Result<bool> {
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&world.sdk(region).await);
    let alarms = cloudwatch
        .describe_alarms()
        .alarm_names("mr-orders-active-unhealthy")
        .send()
        .await?;
    Ok(alarms
        .metric_alarms()
        .first()
        .and_then(|a| a.actions_enabled())
        .unwrap_or(false))
}

/// The state machine of us-west-2 (`.replace(WEST, region)` for another).
pub const MACHINE: &str = "arn:aws:states:us-west-2:123456789012:stateMachine:mr-orders-failover";

/// The automation tag on the state machine of `region`, if any.
pub async fn automation_tag(world: &World, region: &str) -> Result<Option<String>> {
    let sfn = aws_sdk_sfn::Client::new(&world.sdk(region).await);
    let tags = sfn
        .list_tags_for_resource()
        .resource_arn(MACHINE.replace(WEST, region))
        .send()
        .await?;
    Ok(tags
        .tags()
        .iter()
        .find(|t| t.key() == Some(multiregion_core::automation::TAG))
        .and_then(|t| t.value().map(str::to_owned)))
}

/// Pauses automation in `region` as the runbook does (`aws stepfunctions
/// tag-resource ... key=multiregion:automatic-failover,value=paused`).
pub async fn pause_by_hand(world: &World, region: &str) -> Result<()> {
    let sfn = aws_sdk_sfn::Client::new(&world.sdk(region).await);
    sfn.tag_resource()
        .resource_arn(MACHINE.replace(WEST, region))
        .tags(
            aws_sdk_sfn::types::Tag::builder()
                .key(multiregion_core::automation::TAG)
                .value(multiregion_core::automation::PAUSED)
                .build(),
        )
        .send()
        .await?;
    Ok(())
}

/// A notification topic of the user's in `region`, encrypted with the KMS
/// key `key` (an ARN, a key id or an alias, as `KmsMasterKeyId` takes);
/// returns its ARN.
pub async fn encrypted_topic(world: &World, region: &str, name: &str, key: &str) -> Result<String> {
    let topic = aws_sdk_sns::Client::new(&world.sdk(region).await)
        .create_topic()
        .name(name)
        .attributes("KmsMasterKeyId", key)
        .send()
        .await?;
    Ok(topic.topic_arn().unwrap_or_default().to_owned())
}

/// Every inline policy of the runtime's roles.
pub async fn policies(world: &World) -> Result<Vec<(String, String)>> {
    let iam = aws_sdk_iam::Client::new(&world.sdk(EAST).await);
    let mut policies = Vec::new();
    for role in iam.list_roles().send().await?.roles() {
        let policy = iam
            .get_role_policy()
            .role_name(role.role_name())
            .policy_name("multiregion")
            .send()
            .await?;
        let document = policy.policy_document();
        let decoded = percent_decode(document);
        policies.push((role.role_name().to_owned(), decoded));
    }
    Ok(policies)
}

pub fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_owned();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&text[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Runs parliament (PyPI) on a policy and returns its findings.
pub fn parliament(policy: &str) -> Result<String> {
    let binary = root().join(".venv/bin/parliament");
    let output = std::process::Command::new(&binary)
        .args(["--minimum_severity", "INFO", "--string", policy])
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running {} (./scripts/setup installs it)", binary.display()))?;
    Ok(format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

impl World {
    /// The runtime's leftovers.
    pub async fn sweep_runtime(&self) -> Result<Vec<String>> {
        let mut left = Vec::new();
        for region in [EAST, WEST] {
            let config = self.sdk(region).await;
            let lambda = aws_sdk_lambda::Client::new(&config);
            for function in lambda.list_functions().send().await?.functions() {
                left.push(format!(
                    "{region} function {}",
                    function.function_name().unwrap_or_default()
                ));
            }
            // The kicker is the first runtime's, which apply and destroy
            // delete where they find it.
            for component in ["kicker", "pinger", "ponger"] {
                let name = format!("mr-orders-{component}");
                if lambda
                    .get_policy()
                    .function_name(&name)
                    .send()
                    .await
                    .is_ok()
                {
                    left.push(format!("{region} permissions of {name}"));
                }
                if lambda
                    .get_function_event_invoke_config()
                    .function_name(&name)
                    .send()
                    .await
                    .is_ok()
                {
                    left.push(format!("{region} event-invoke config of {name}"));
                }
            }
            let mappings = lambda.list_event_source_mappings().send().await?;
            for mapping in mappings.event_source_mappings() {
                left.push(format!(
                    "{region} event source mapping {} -> {}",
                    mapping.event_source_arn().unwrap_or_default(),
                    mapping.function_arn().unwrap_or_default()
                ));
            }
            let sqs = aws_sdk_sqs::Client::new(&config);
            for url in sqs.list_queues().send().await?.queue_urls() {
                left.push(format!("{region} queue {url}"));
            }
            let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
            for group in logs.describe_log_groups().send().await?.log_groups() {
                left.push(format!(
                    "{region} log group {}",
                    group.log_group_name().unwrap_or_default()
                ));
            }
            let sns = aws_sdk_sns::Client::new(&config);
            for topic in sns.list_topics().send().await?.topics() {
                left.push(format!(
                    "{region} topic {}",
                    topic.topic_arn().unwrap_or_default()
                ));
            }
            for subscription in sns.list_subscriptions().send().await?.subscriptions() {
                left.push(format!(
                    "{region} subscription {}",
                    subscription.endpoint().unwrap_or_default()
                ));
            }
            let events = aws_sdk_eventbridge::Client::new(&config);
            for rule in events.list_rules().send().await?.rules() {
                left.push(format!("{region} rule {}", rule.name().unwrap_or_default()));
            }
            let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
            for alarm in cloudwatch.describe_alarms().send().await?.metric_alarms() {
                left.push(format!(
                    "{region} alarm {}",
                    alarm.alarm_name().unwrap_or_default()
                ));
            }
            let sfn = aws_sdk_sfn::Client::new(&config);
            for machine in sfn.list_state_machines().send().await?.state_machines() {
                left.push(format!("{region} state machine {}", machine.name()));
            }
        }
        let iam = aws_sdk_iam::Client::new(&self.sdk(EAST).await);
        for role in iam.list_roles().send().await?.roles() {
            left.push(format!("IAM role {}", role.role_name()));
        }
        Ok(left)
    }
}
