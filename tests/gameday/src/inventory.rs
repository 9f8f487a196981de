//! What the emulator holds, read back through the AWS APIs by name: the
//! demo prints it after `terraform apply` and after `terraform destroy`.

use anyhow::Result;
use multiregion_bench::Bench;
use multiregion_bench::seed::sdk_config;

/// The access key the inventory reads with (so the proxy log tells its
/// calls apart).
const KEY: &str = "inventory";

fn last(arn: &str) -> &str {
    arn.rsplit(':').next().unwrap_or_default()
}

/// Everything in `region`: APIs and stages, custom domains and their
/// mappings, functions, log groups, topics and subscriptions, schedule
/// rules and their targets, alarms, state machines.
pub async fn region(bench: &Bench, region: &str) -> Result<Vec<String>> {
    let config = sdk_config(bench, region, KEY).await;
    let mut lines = Vec::new();
    let apigw = aws_sdk_apigateway::Client::new(&config);
    for api in apigw.get_rest_apis().send().await?.items() {
        let id = api.id().unwrap_or_default();
        let stages = apigw.get_stages().rest_api_id(id).send().await?;
        let stages: Vec<&str> = stages
            .item()
            .iter()
            .filter_map(|s| s.stage_name())
            .collect();
        lines.push(format!(
            "REST API {id} {:?}, stages {stages:?}",
            api.name().unwrap_or_default()
        ));
    }
    for domain in apigw.get_domain_names().send().await?.items() {
        let name = domain.domain_name().unwrap_or_default();
        let mappings = apigw
            .get_base_path_mappings()
            .domain_name(name)
            .send()
            .await?;
        let to: Vec<String> = mappings
            .items()
            .iter()
            .map(|m| {
                format!(
                    "{}/{}",
                    m.rest_api_id().unwrap_or_default(),
                    m.stage().unwrap_or_default()
                )
            })
            .collect();
        lines.push(format!(
            "custom domain {name} (REGIONAL {}) -> {}",
            domain.regional_domain_name().unwrap_or_default(),
            to.join(", ")
        ));
    }
    let lambda = aws_sdk_lambda::Client::new(&config);
    for function in lambda.list_functions().send().await?.functions() {
        lines.push(format!(
            "function {} ({}, role {})",
            function.function_name().unwrap_or_default(),
            function.runtime().map(|r| r.as_str()).unwrap_or_default(),
            function
                .role()
                .map(|r| r.rsplit('/').next().unwrap_or_default())
                .unwrap_or_default()
        ));
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in logs.describe_log_groups().send().await?.log_groups() {
        lines.push(format!(
            "log group {} ({} days)",
            group.log_group_name().unwrap_or_default(),
            group.retention_in_days().unwrap_or_default()
        ));
    }
    let sns = aws_sdk_sns::Client::new(&config);
    for topic in sns.list_topics().send().await?.topics() {
        lines.push(format!(
            "topic {}",
            last(topic.topic_arn().unwrap_or_default())
        ));
    }
    for subscription in sns.list_subscriptions().send().await?.subscriptions() {
        lines.push(format!(
            "subscription {} -> {} {}",
            last(subscription.topic_arn().unwrap_or_default()),
            subscription.protocol().unwrap_or_default(),
            last(subscription.endpoint().unwrap_or_default())
        ));
    }
    let events = aws_sdk_eventbridge::Client::new(&config);
    for rule in events.list_rules().send().await?.rules() {
        let name = rule.name().unwrap_or_default();
        let targets = events.list_targets_by_rule().rule(name).send().await?;
        let targets: Vec<&str> = targets.targets().iter().map(|t| last(t.arn())).collect();
        lines.push(format!(
            "schedule rule {name} {} -> {}",
            rule.schedule_expression().unwrap_or_default(),
            targets.join(", ")
        ));
    }
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    for alarm in cloudwatch.describe_alarms().send().await?.metric_alarms() {
        lines.push(format!(
            "alarm {} on {}/{} of {}, {}/{} periods of {} s, actions {}",
            alarm.alarm_name().unwrap_or_default(),
            alarm.namespace().unwrap_or_default(),
            alarm.metric_name().unwrap_or_default(),
            alarm
                .dimensions()
                .first()
                .and_then(|d| d.value())
                .unwrap_or_default(),
            alarm.datapoints_to_alarm().unwrap_or_default(),
            alarm.evaluation_periods().unwrap_or_default(),
            alarm.period().unwrap_or_default(),
            if alarm.actions_enabled().unwrap_or_default() {
                "enabled"
            } else {
                "disabled"
            }
        ));
    }
    let sfn = aws_sdk_sfn::Client::new(&config);
    for machine in sfn.list_state_machines().send().await?.state_machines() {
        let described = sfn
            .describe_state_machine()
            .state_machine_arn(machine.state_machine_arn())
            .send()
            .await?;
        lines.push(format!(
            "state machine {} ({:?}, role {})",
            machine.name(),
            described.r#type(),
            described.role_arn().rsplit('/').next().unwrap_or_default()
        ));
    }
    Ok(lines)
}

/// What is global: IAM roles, and the records of the zone `zone_id`.
pub async fn global(bench: &Bench, zone_id: &str) -> Result<Vec<String>> {
    let config = sdk_config(bench, "us-east-1", KEY).await;
    let mut lines = Vec::new();
    let iam = aws_sdk_iam::Client::new(&config);
    for role in iam.list_roles().send().await?.roles() {
        lines.push(format!("IAM role {}", role.role_name()));
    }
    let route53 = aws_sdk_route53::Client::new(&config);
    let sets = route53
        .list_resource_record_sets()
        .hosted_zone_id(zone_id)
        .send()
        .await?;
    for set in sets.resource_record_sets() {
        if matches!(set.r#type().as_str(), "NS" | "SOA") {
            continue;
        }
        let value = match (set.alias_target(), set.resource_records().first()) {
            (Some(alias), _) => format!("alias {}", alias.dns_name()),
            (None, Some(record)) => record.value().to_owned(),
            _ => String::new(),
        };
        lines.push(format!(
            "Route 53 {} {} {value}",
            set.r#type().as_str(),
            set.name()
        ));
    }
    Ok(lines)
}
