//! The runtime the resource deploys in both regions: every piece checked by
//! name through the SDK, updated in place, linted, and gone after destroy.

use crate::support::*;
use anyhow::{Context, Result};
use multiregion_core::Deployment;

const FUNCTIONS: [&str; 4] = ["ponger", "pinger", "swapper", "notifier"];

/// The inventory of one region, by name, as the note lists it.
async fn inventory(world: &World, region: &str) -> Result<Vec<String>> {
    let config = world.sdk(region).await;
    let mut lines = Vec::new();
    let lambda = aws_sdk_lambda::Client::new(&config);
    for component in FUNCTIONS {
        let name = format!("mr-orders-{component}");
        let function = lambda
            .get_function()
            .function_name(&name)
            .send()
            .await
            .with_context(|| format!("{region} {name}"))?;
        let configuration = function.configuration().context("configuration")?;
        assert_eq!(
            configuration.runtime().map(|r| r.as_str()),
            Some("provided.al2023"),
            "{name}"
        );
        let env = configuration
            .environment()
            .and_then(|e| e.variables())
            .and_then(|v| v.get("MULTIREGION_DEPLOYMENT"))
            .context("no deployment contract")?;
        let deployment = Deployment::from_json(env)?;
        assert_eq!(deployment.pair().active_name, ACTIVE_NAME);
        // One zip for every function; the handler setting picks the component.
        assert_eq!(configuration.handler(), Some(component), "{name}");
        assert!(
            configuration
                .role()
                .is_some_and(|r| r.ends_with(&format!("mr-orders-{component}-{region}"))),
            "{name}"
        );
        lines.push(format!(
            "function {name} (provided.al2023, handler {component}, role mr-orders-{component}-{region})"
        ));
    }
    let invoke = lambda
        .get_function_event_invoke_config()
        .function_name("mr-orders-pinger")
        .send()
        .await?;
    lines.push(format!(
        "event-invoke config of mr-orders-pinger: max age {:?} s, {:?} retries",
        invoke.maximum_event_age_in_seconds(),
        invoke.maximum_retry_attempts()
    ));
    for (component, principal) in [
        ("pinger", "events.amazonaws.com"),
        ("ponger", "apigateway.amazonaws.com"),
    ] {
        let policy = lambda
            .get_policy()
            .function_name(format!("mr-orders-{component}"))
            .send()
            .await?;
        assert!(
            policy.policy().is_some_and(|p| p.contains(principal)),
            "{component}: {policy:?}"
        );
        lines.push(format!(
            "permission: {principal} may invoke mr-orders-{component}"
        ));
    }
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    for group in logs.describe_log_groups().send().await?.log_groups() {
        assert_eq!(group.retention_in_days(), Some(30), "{group:?}");
        lines.push(format!(
            "log group {} (30 days)",
            group.log_group_name().unwrap_or_default()
        ));
    }
    let sns = aws_sdk_sns::Client::new(&config);
    for topic in sns.list_topics().send().await?.topics() {
        lines.push(format!(
            "topic {}",
            topic
                .topic_arn()
                .unwrap_or_default()
                .rsplit(':')
                .next()
                .unwrap_or_default()
        ));
    }
    for subscription in sns.list_subscriptions().send().await?.subscriptions() {
        lines.push(format!(
            "subscription {} -> {}",
            subscription
                .topic_arn()
                .unwrap_or_default()
                .rsplit(':')
                .next()
                .unwrap_or_default(),
            subscription
                .endpoint()
                .unwrap_or_default()
                .rsplit(':')
                .next()
                .unwrap_or_default()
        ));
    }
    let events = aws_sdk_eventbridge::Client::new(&config);
    for rule in events.list_rules().send().await?.rules() {
        let targets = events
            .list_targets_by_rule()
            .rule(rule.name().unwrap_or_default())
            .send()
            .await?;
        lines.push(format!(
            "rule {} {} -> {}",
            rule.name().unwrap_or_default(),
            rule.schedule_expression().unwrap_or_default(),
            targets
                .targets()
                .iter()
                .map(|t| format!(
                    "{} retries={:?} max_age={:?}",
                    t.arn().rsplit(':').next().unwrap_or_default(),
                    t.retry_policy().and_then(|p| p.maximum_retry_attempts()),
                    t.retry_policy()
                        .and_then(|p| p.maximum_event_age_in_seconds())
                ))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
    for alarm in cloudwatch.describe_alarms().send().await?.metric_alarms() {
        lines.push(format!(
            "alarm {} on {}/{} {:?} period {} {}/{} missing={} actions={} -> {:?}",
            alarm.alarm_name().unwrap_or_default(),
            alarm.namespace().unwrap_or_default(),
            alarm.metric_name().unwrap_or_default(),
            alarm
                .dimensions()
                .iter()
                .map(|d| d.value().unwrap_or_default())
                .collect::<Vec<_>>(),
            alarm.period().unwrap_or_default(),
            alarm.datapoints_to_alarm().unwrap_or_default(),
            alarm.evaluation_periods().unwrap_or_default(),
            alarm.treat_missing_data().unwrap_or_default(),
            alarm.actions_enabled().unwrap_or_default(),
            alarm
                .alarm_actions()
                .iter()
                .map(|a| a.rsplit(':').next().unwrap_or_default())
                .collect::<Vec<_>>(),
        ));
    }
    let sfn = aws_sdk_sfn::Client::new(&config);
    for machine in sfn.list_state_machines().send().await?.state_machines() {
        let described = sfn
            .describe_state_machine()
            .state_machine_arn(machine.state_machine_arn())
            .send()
            .await?;
        let expected = multiregion_core::statemachine::definition_json(
            &multiregion_core::naming::Names::new("orders")?,
            &multiregion_core::Region::new(region)?,
            "123456789012",
            &multiregion_core::statemachine::Timing::default(),
        );
        assert_eq!(
            described.definition(),
            expected,
            "the definition is the generator's"
        );
        lines.push(format!(
            "state machine {} ({:?})",
            machine.name(),
            described.r#type()
        ));
    }
    let iam = aws_sdk_iam::Client::new(&world.sdk(EAST).await);
    for role in iam
        .list_roles()
        .send()
        .await?
        .roles()
        .iter()
        .filter(|r| r.role_name().ends_with(region))
    {
        lines.push(format!(
            "IAM role {} with inline policy multiregion",
            role.role_name()
        ));
    }
    Ok(lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_deploys_the_runtime_in_both_regions_updates_it_in_place_and_destroy_removes_it()
-> Result<()> {
    let package = package_dir()?;
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package.clone());
    config.write(&workdir)?;
    apply_converged(&workdir).await?;

    for region in [EAST, WEST] {
        let lines = inventory(&world, region).await?;
        println!("{region}:");
        for line in &lines {
            println!("  {line}");
        }
        // The paging alarm notifies the region's notification topic, and is
        // created with its actions disabled: the pinger has no datapoints
        // yet, and missing data counts as breaching.
        assert!(
            lines.iter().any(|l| l
                .starts_with("alarm mr-orders-active-unhealthy on AWS/Lambda/Errors")
                && l.ends_with(
                    "period 60 2/2 missing=breaching actions=false -> [\"mr-orders-notify\"]"
                )),
            "{lines:#?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l == "rule mr-orders-pinger rate(1 minute) -> mr-orders-pinger retries=Some(0) max_age=Some(60)"),
            "{lines:#?}"
        );
        // No asynchronous retries of a failed tick, and the shortest event
        // age Lambda allows.
        assert!(
            lines.iter().any(|l| l
                == "event-invoke config of mr-orders-pinger: max age Some(60) s, Some(0) retries"),
            "{lines:#?}"
        );
        // No alarm topic, no subscription, no kicker.
        let topics: Vec<&String> = lines.iter().filter(|l| l.starts_with("topic")).collect();
        assert_eq!(topics, ["topic mr-orders-notify"], "{lines:#?}");
        assert!(
            !lines
                .iter()
                .any(|l| l.starts_with("subscription") || l.contains("kicker")),
            "{lines:#?}"
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("log group")).count(),
            5
        );
        assert_eq!(
            lines.iter().filter(|l| l.starts_with("IAM role")).count(),
            5
        );
    }
    let values = resource_values(&workdir.state_json().await?);
    assert_eq!(values["apparatus_status"], "ok");
    assert_eq!(values["automatic_failover_paused"], false);
    assert_eq!(values["effective_health_check"]["interval_seconds"], 60);
    assert!(
        values["secondary"]["state_machine_arn"]
            .as_str()
            .is_some_and(|a| a.contains(":us-west-2:"))
    );

    // Every generated policy passes parliament with no findings.
    let policies = policies(&world).await?;
    assert_eq!(policies.len(), 10);
    for (role, policy) in &policies {
        let findings = parliament(policy)?;
        println!(
            "parliament {role}: {}",
            if findings.trim().is_empty() {
                "no findings"
            } else {
                findings.trim()
            }
        );
        assert!(findings.trim().is_empty(), "{role}: {findings}\n{policy}");
    }
    // Only the notifier publishes, to its own region's notification topic;
    // no role may put metric data.
    for region in [EAST, WEST] {
        let topic = format!("arn:aws:sns:{region}:123456789012:mr-orders-notify");
        let mut publishers = Vec::new();
        for (role, document) in policies.iter().filter(|(role, _)| role.ends_with(region)) {
            assert!(!document.contains("PutMetricData"), "{role}: {document}");
            let policy: serde_json::Value = serde_json::from_str(document)?;
            for statement in policy["Statement"].as_array().into_iter().flatten() {
                if statement["Action"] == "sns:Publish" {
                    assert_eq!(statement["Resource"], topic.as_str(), "{role}");
                    publishers.push(role.clone());
                }
            }
        }
        assert_eq!(publishers, [format!("mr-orders-notifier-{region}")]);
    }

    // A pinger without its event-invoke configuration (Lambda's defaults
    // would retry a failed tick twice) shows at refresh, and apply repairs
    // it.
    aws_sdk_lambda::Client::new(&world.sdk(WEST).await)
        .delete_function_event_invoke_config()
        .function_name("mr-orders-pinger")
        .send()
        .await?;
    let refresh = workdir
        .run(&["plan", "-refresh-only", "-no-color"])
        .await?
        .expect(0)?;
    assert!(
        refresh
            .text()
            .contains("us-west-2: mr-orders-pinger has no event-invoke configuration"),
        "{}",
        refresh.text()
    );
    apply_converged(&workdir).await?;
    assert!(inventory(&world, WEST).await?.iter().any(
        |l| l == "event-invoke config of mr-orders-pinger: max age Some(60) s, Some(0) retries"
    ));

    // The pinger arms its alarm after its first good tick (moto has no
    // EnableAlarmActions: the alarm is put again as it is, with its actions
    // enabled, which DescribeAlarms then answers the same). An apply that
    // puts the alarm again keeps them enabled.
    set_alarm_actions(&world, EAST, true).await?;
    // A health check change updates the alarms and the schedule in place.
    config.extra =
        "  health_check {\n    interval_seconds = 120\n    evaluation_periods = 3\n  }\n".into();
    config.write(&workdir)?;
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    for region in [EAST, WEST] {
        let lines = inventory(&world, region).await?;
        assert!(
            lines.iter().any(|l| l.contains("period 120 2/3")),
            "{lines:#?}"
        );
        assert_eq!(
            actions_enabled(&world, region).await?,
            region == EAST,
            "{region}: the apply kept the alarm's actions as it found them"
        );
        assert!(
            lines.iter().any(|l| l.contains("rate(2 minutes)")),
            "{lines:#?}"
        );
    }

    // A new package updates the code in place.
    let before = aws_sdk_lambda::Client::new(&world.sdk(WEST).await)
        .get_function()
        .function_name("mr-orders-ponger")
        .send()
        .await?
        .configuration()
        .and_then(|c| c.code_sha256().map(str::to_owned));
    let changed = changed_package(&package)?;
    config.package = Some(changed.clone());
    config.write(&workdir)?;
    let plan = workdir.plan(&[]).await?.expect(2)?;
    assert!(
        squash(&plan.stdout).contains("~ handler_package_sha256"),
        "{}",
        plan.stdout
    );
    assert_planned(&workdir, "update").await?;
    apply_converged(&workdir).await?;
    let after = aws_sdk_lambda::Client::new(&world.sdk(WEST).await)
        .get_function()
        .function_name("mr-orders-ponger")
        .send()
        .await?
        .configuration()
        .and_then(|c| c.code_sha256().map(str::to_owned));
    assert_ne!(before, after, "the ponger runs the new code");

    destroy_and_sweep(&world, &workdir).await?;
    let _ = std::fs::remove_dir_all(changed);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_package_that_does_not_fit_is_refused_at_plan() -> Result<()> {
    let package = package_dir()?;
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let copy = std::env::temp_dir().join(format!("mr-old-package-{}", std::process::id()));
    std::fs::create_dir_all(&copy)?;
    for entry in std::fs::read_dir(&package)? {
        let entry = entry?;
        std::fs::copy(entry.path(), copy.join(entry.file_name()))?;
    }
    let manifest = std::fs::read_to_string(copy.join("manifest.json"))?.replace(
        &format!(
            "\"state_machine_protocol\": {}",
            multiregion_core::statemachine::protocol::PROTOCOL_VERSION
        ),
        "\"state_machine_protocol\": 0",
    );
    std::fs::write(copy.join("manifest.json"), manifest)?;
    let mut config = Config::managed(&world);
    config.package = Some(copy.clone());
    config.write(&workdir)?;
    let run = workdir.run(&["plan", "-no-color"]).await?;
    assert_eq!(run.code, 1, "{}", run.text());
    assert!(
        run.text().contains("Unusable handler package"),
        "{}",
        run.text()
    );
    assert!(
        run.text().contains("state machine protocol 0"),
        "{}",
        run.text()
    );
    let _ = std::fs::remove_dir_all(copy);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopted_apis_get_the_health_route_injected_or_beside_them_and_lose_it_on_destroy()
-> Result<()> {
    use aws_sdk_apigateway::types::EndpointType;
    let world = World::new().await?;
    let east_api = world.existing_api(EAST, EndpointType::Regional).await?;
    let west_api = world.existing_api(WEST, EndpointType::Regional).await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.primary.api = Api::Existing(east_api.clone());
    config.secondary.api = Api::Existing(west_api.clone());
    config.extra_secondary = "    health_route = \"separate\"\n    base_path = \"v1\"\n".into();
    config.write(&workdir)?;
    apply_converged(&workdir).await?;

    // Injected into the primary's adopted API, and redeployed.
    let ping = "/health/ping".to_owned();
    assert!(paths(&world, EAST, &east_api).await?.contains(&ping));
    // Beside the secondary's: a health API of ours at base path `health`,
    // the adopted API at `v1`, on both names.
    for name in [ACTIVE_NAME, STANDBY_NAME] {
        let bases = mappings(&world, WEST, name).await?;
        assert_eq!(bases.len(), 2, "{bases:?}");
        assert_eq!(bases[0].0, "health");
        assert_ne!(bases[0].1, west_api);
        assert_eq!(bases[1], ("v1".to_owned(), west_api.clone()));
    }
    assert!(!paths(&world, WEST, &west_api).await?.contains(&ping));

    workdir.destroy().await?;
    assert!(
        !paths(&world, EAST, &east_api).await?.contains(&ping),
        "the injected route is removed"
    );
    let west = world.apigateway(WEST).await;
    let apis: Vec<String> = west
        .get_rest_apis()
        .send()
        .await?
        .items()
        .iter()
        .filter_map(|a| a.id().map(str::to_owned))
        .collect();
    assert_eq!(
        apis,
        [west_api],
        "the health API is gone, the adopted API stays"
    );
    assert!(
        world.sweep_runtime().await?.is_empty(),
        "{:?}",
        world.sweep_runtime().await?
    );
    Ok(())
}

/// Step Functions deletes a state machine only once its executions stop;
/// until then it answers as DELETING and refuses a create under its name
/// (DESIGN §6). A deployment destroyed and created again at once must wait
/// for it, and end with a state machine that exists. The bench keeps the
/// machines DELETING until the apply has been seen meeting one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deployment_created_again_while_its_state_machine_is_deleting_gets_a_new_one()
-> Result<()> {
    let (world, workdir, _config) = deployed_with_runtime().await?;
    let proxy = world.bench.proxy();
    proxy.set_state_machine_linger(std::time::Duration::from_secs(3600));
    workdir.destroy().await?;
    let sfn = aws_sdk_sfn::Client::new(&world.sdk(WEST).await);
    let arn = "arn:aws:states:us-west-2:123456789012:stateMachine:mr-orders-failover";
    let lingering = sfn
        .describe_state_machine()
        .state_machine_arn(arn)
        .send()
        .await?;
    assert_eq!(
        lingering.status().map(|s| s.as_str()),
        Some("DELETING"),
        "the bench keeps a deleted machine DELETING"
    );

    proxy.clear_log();
    let met = || -> Vec<String> {
        proxy
            .log()
            .iter()
            .filter(|e| e.detail.as_deref() == Some("being deleted"))
            .map(|e| format!("{} {} {}", e.region, e.operation, e.outcome))
            .collect()
    };
    // Once the apply has met a machine being deleted, the deletion ends
    // (after two minutes without, it ends anyway, and the test fails).
    let deletion_ends = async {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(120);
        while met().is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let seen = met();
        proxy.set_state_machine_linger(std::time::Duration::ZERO);
        seen
    };
    let (applied, seen) = tokio::join!(apply_converged(&workdir), deletion_ends);
    applied?;
    assert!(
        !seen.is_empty(),
        "the apply met the machines being deleted: {seen:?}"
    );
    for region in [EAST, WEST] {
        let sfn = aws_sdk_sfn::Client::new(&world.sdk(region).await);
        let machine = sfn
            .describe_state_machine()
            .state_machine_arn(arn.replace(WEST, region))
            .send()
            .await
            .with_context(|| format!("{region}: no state machine after the apply"))?;
        assert_eq!(
            machine.status().map(|s| s.as_str()),
            Some("ACTIVE"),
            "{region}"
        );
    }
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

/// The runtime starts only once the records exist (DESIGN §3.4): a probe of
/// a name without a record gets NXDOMAIN, which resolvers cache for the
/// zone's negative TTL (900 s; the bench's resolvers do too), so the
/// pinger's schedule must come after the change that creates the records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_records_exist_before_the_schedule_starts_the_probes() -> Result<()> {
    let (world, workdir, _config) = deployed_with_runtime().await?;
    let log = world.bench.proxy().log();
    let first = |service: &str, operation: &str| {
        log.iter()
            .find(|e| e.service == service && e.operation == operation && e.status == 200)
            .map(|e| e.seq)
    };
    let records = first("route53", "ChangeResourceRecordSets").context("no record change")?;
    let schedule = first("events", "PutRule").context("no schedule")?;
    assert!(
        records < schedule,
        "the schedule (#{schedule}) came before the records (#{records})"
    );
    destroy_and_sweep(&world, &workdir).await?;
    Ok(())
}

/// A notification topic of the user's, encrypted with a customer managed
/// KMS key: the plan says what the key's policy must allow CloudWatch (the
/// paging alarm publishes as CloudWatch), the notifier's role of that region
/// is granted the key through SNS only, and no other role gets it. Destroy
/// leaves the user's topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_under_a_customer_key_grants_the_key_to_its_notifier_only() -> Result<()> {
    let world = World::new().await?;
    let key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
    let topic = encrypted_topic(&world, WEST, "pager", key).await?;
    let sns = aws_sdk_sns::Client::new(&world.sdk(WEST).await);
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.extra_secondary = format!("    notification_topic_arn = \"{topic}\"\n");
    config.write(&workdir)?;
    // Exit code 2: a plan with changes (the resource is to be created).
    let plan = workdir.plan(&[]).await?.expect(2)?;
    let text = squash(&plan.text());
    assert!(
        text.contains("The notification topic is encrypted with a KMS key")
            && text.contains("cloudwatch.amazonaws.com"),
        "{text}"
    );
    apply_converged(&workdir).await?;

    let policies = policies(&world).await?;
    let granted: Vec<&String> = policies
        .iter()
        .filter(|(_, document)| document.contains("kms:"))
        .map(|(role, _)| role)
        .collect();
    assert_eq!(granted, ["mr-orders-notifier-us-west-2"], "{policies:#?}");
    let (_, document) = policies
        .iter()
        .find(|(role, _)| role == "mr-orders-notifier-us-west-2")
        .context("no notifier role in us-west-2")?;
    let policy: serde_json::Value = serde_json::from_str(document)?;
    let statement = policy["Statement"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["Sid"] == "EncryptOutcome")
        .context("no key statement")?;
    assert_eq!(statement["Resource"], key);
    assert_eq!(
        statement["Action"],
        serde_json::json!(["kms:GenerateDataKey", "kms:Decrypt"])
    );
    assert_eq!(
        statement["Condition"]["StringEquals"]["kms:ViaService"],
        "sns.us-west-2.amazonaws.com"
    );
    let findings = parliament(document)?;
    assert!(findings.trim().is_empty(), "{findings}\n{document}");

    workdir.destroy().await?;
    let kept = sns.get_topic_attributes().topic_arn(&topic).send().await;
    assert!(kept.is_ok(), "destroy deleted the user's topic: {kept:?}");
    sns.delete_topic().topic_arn(&topic).send().await?;
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}
