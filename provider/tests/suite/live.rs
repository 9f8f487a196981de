//! Live AWS, for maintainers: the acceptance run against a real account
//! (`MULTIREGION_LIVE=1`, see `docs/live.md`). `live::against_aws` is the
//! run itself and is ignored unless asked for; the suite proves the switch
//! by running that very test, in a process of its own, with the variables a
//! maintainer sets pointed at the emulator as if it were AWS.
//!
//! The run reads nothing from the bench: only its environment, the default
//! credential chain and the account's own answers. It names everything
//! after one fresh `name`, and its sweep looks only for that name, so it
//! can share an account with other work.

use std::collections::BTreeSet;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::support::*;
use anyhow::{Context, Result, bail};
use multiregion_bench::terraform::Workdir;

/// The variables of a live run; see `docs/live.md`.
const LIVE: &str = "MULTIREGION_LIVE";
const ZONE_ID: &str = "MULTIREGION_LIVE_HOSTED_ZONE_ID";
const DOMAIN: &str = "MULTIREGION_LIVE_DOMAIN_NAME";
const PRIMARY_REGION: &str = "MULTIREGION_LIVE_PRIMARY_REGION";
const SECONDARY_REGION: &str = "MULTIREGION_LIVE_SECONDARY_REGION";
const PRIMARY_CERTIFICATE: &str = "MULTIREGION_LIVE_PRIMARY_CERTIFICATE_ARN";
const SECONDARY_CERTIFICATE: &str = "MULTIREGION_LIVE_SECONDARY_CERTIFICATE_ARN";

/// Where a live run deploys, read from its variables.
#[derive(Debug, Clone, PartialEq)]
struct Target {
    zone_id: String,
    domain_name: String,
    regions: [String; 2],
    certificates: [String; 2],
}

impl Target {
    /// The target from `var` (the process environment, in a run). Fails
    /// with every missing variable named.
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Target> {
        if var(LIVE).as_deref() != Some("1") {
            bail!("{LIVE}=1 is not set: this run deploys into a real AWS account (docs/live.md)");
        }
        let mut missing = Vec::new();
        let mut required = |name: &str| {
            var(name).filter(|v| !v.is_empty()).unwrap_or_else(|| {
                missing.push(name.to_owned());
                String::new()
            })
        };
        let target = Target {
            zone_id: required(ZONE_ID),
            domain_name: required(DOMAIN),
            certificates: [
                required(PRIMARY_CERTIFICATE),
                required(SECONDARY_CERTIFICATE),
            ],
            regions: [
                var(PRIMARY_REGION).unwrap_or_else(|| EAST.to_owned()),
                var(SECONDARY_REGION).unwrap_or_else(|| WEST.to_owned()),
            ],
        };
        if !missing.is_empty() {
            bail!("a live run needs {} (docs/live.md)", missing.join(", "));
        }
        Ok(target)
    }

    /// The account, from the primary certificate's ARN.
    fn account(&self) -> &str {
        self.certificates[0].split(':').nth(4).unwrap_or_default()
    }

    /// The resource: managed APIs in both regions and the runtime.
    fn config(&self, name: &str) -> Result<Config> {
        let body = |region: &str| {
            std::fs::read_to_string(root().join("examples/quickstart/api.json.tftpl"))
                .unwrap_or_default()
                .replace("${region}", region)
                .replace("${account_id}", self.account())
                .replace("${name}", name)
        };
        let block = |i: usize| Block {
            region: self.regions[i].clone(),
            certificate_arn: self.certificates[i].clone(),
            api: Api::Body(body(&self.regions[i])),
            stage_name: None,
        };
        Ok(Config {
            name: name.to_owned(),
            domain_name: self.domain_name.clone(),
            hosted_zone_id: self.zone_id.clone(),
            primary: block(0),
            secondary: block(1),
            active_region: None,
            extra: String::new(),
            package: Some(package_dir()?),
            extra_primary: String::new(),
            extra_secondary: String::new(),
            provider: String::new(),
        })
    }

    /// The SDK configuration the provider itself builds: the default
    /// credential chain, its HTTPS client, `AWS_ENDPOINT_URL` honoured.
    async fn sdk(&self, region: &str) -> Result<aws_config::SdkConfig> {
        let region = multiregion_core::Region::new(region)
            .map_err(|error| anyhow::anyhow!("{region}: {error}"))?;
        Ok(multiregion_core::aws::sdk_config(&region, &Default::default()).await)
    }

    /// The record sets of the pair's two names.
    async fn records(&self, standby: &str) -> Result<Vec<(String, String, String)>> {
        let route53 = aws_sdk_route53::Client::new(&self.sdk(&self.regions[0]).await?);
        let mut found = Vec::new();
        for name in [self.domain_name.as_str(), standby] {
            let listing = route53
                .list_resource_record_sets()
                .hosted_zone_id(&self.zone_id)
                .start_record_name(name)
                .send()
                .await
                .context("ListResourceRecordSets")?;
            for set in listing.resource_record_sets() {
                if set.name().trim_end_matches('.') == name {
                    let target = set
                        .alias_target()
                        .map(|a| a.dns_name().trim_end_matches('.').to_lowercase())
                        .unwrap_or_default();
                    found.push((name.to_owned(), set.r#type().as_str().to_owned(), target));
                }
            }
        }
        Ok(found)
    }

    /// Everything named after `name` (or holding the pair's names) that is
    /// left in the account, in both regions.
    async fn sweep(&self, name: &str, standby: &str) -> Result<Vec<String>> {
        let tag = format!("mr-{name}");
        let ours = |s: &str| s.contains(&tag);
        let mut left = Vec::new();
        for region in &self.regions {
            let config = self.sdk(region).await?;
            let apigw = aws_sdk_apigateway::Client::new(&config);
            let apis = apigw.get_rest_apis().limit(500).send().await?;
            for api in apis.items() {
                if ours(api.name().unwrap_or_default()) {
                    left.push(format!(
                        "{region} REST API {}",
                        api.name().unwrap_or_default()
                    ));
                }
            }
            for domain in apigw.get_domain_names().limit(500).send().await?.items() {
                let domain = domain.domain_name().unwrap_or_default();
                if domain == self.domain_name || domain == standby {
                    left.push(format!("{region} custom domain {domain}"));
                }
            }
            let lambda = aws_sdk_lambda::Client::new(&config);
            let functions = lambda.list_functions().into_paginator().items().send();
            for function in functions.collect::<Result<Vec<_>, _>>().await? {
                if ours(function.function_name().unwrap_or_default()) {
                    left.push(format!("{region} function {:?}", function.function_name()));
                }
            }
            let sfn = aws_sdk_sfn::Client::new(&config);
            let machines = sfn.list_state_machines().into_paginator().items().send();
            for machine in machines.collect::<Result<Vec<_>, _>>().await? {
                if ours(machine.name()) {
                    left.push(format!("{region} state machine {}", machine.name()));
                }
            }
            let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
            let groups = logs.describe_log_groups().into_paginator().items().send();
            for group in groups.collect::<Result<Vec<_>, _>>().await? {
                if ours(group.log_group_name().unwrap_or_default()) {
                    left.push(format!("{region} log group {:?}", group.log_group_name()));
                }
            }
            let sns = aws_sdk_sns::Client::new(&config);
            let topics = sns.list_topics().into_paginator().items().send();
            for topic in topics.collect::<Result<Vec<_>, _>>().await? {
                if ours(topic.topic_arn().unwrap_or_default()) {
                    left.push(format!("{region} topic {:?}", topic.topic_arn()));
                }
            }
            let events = aws_sdk_eventbridge::Client::new(&config);
            let rules = events.list_rules().name_prefix(&tag).send().await?;
            for rule in rules.rules() {
                left.push(format!("{region} rule {:?}", rule.name()));
            }
            let cloudwatch = aws_sdk_cloudwatch::Client::new(&config);
            let alarms = cloudwatch.describe_alarms().alarm_name_prefix(&tag).send();
            for alarm in alarms.await?.metric_alarms() {
                left.push(format!("{region} alarm {:?}", alarm.alarm_name()));
            }
        }
        let iam = aws_sdk_iam::Client::new(&self.sdk(&self.regions[0]).await?);
        let roles = iam.list_roles().into_paginator().items().send();
        for role in roles.collect::<Result<Vec<_>, _>>().await? {
            if ours(role.role_name()) {
                left.push(format!("IAM role {}", role.role_name()));
            }
        }
        for (record, kind, _) in self.records(standby).await? {
            left.push(format!("Route 53 {kind} {record}"));
        }
        Ok(left)
    }
}

/// A fresh name for one run, short enough for every derived name.
fn run_name() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos() ^ d.as_secs() as u32);
    format!("live{:06x}", nanos & 0xff_ffff)
}

/// The standby name the provider derives from the domain name.
fn standby_of(domain: &str) -> String {
    format!("standby-{domain}")
}

/// The run: apply with the runtime, converge, switch over to the secondary
/// and see the name follow, converge again, destroy, and find nothing left.
/// The sweep runs even when a step fails, so a broken run says what it
/// leaves to clean by hand.
async fn live_run(target: &Target) -> Result<()> {
    let name = run_name();
    let standby = standby_of(&target.domain_name);
    println!(
        "REPORT live run {name} into zone {} as {}",
        target.zone_id, target.domain_name
    );
    let workdir = Workdir::new(SOURCE, &provider_dir())?
        .with_env([("AWS_REGION", target.regions[0].as_str())]);
    let steps = live_steps(target, &workdir, &name, &standby).await;
    if steps.is_err() {
        let _ = workdir.destroy().await;
    }
    let left = target.sweep(&name, &standby).await?;
    steps?;
    anyhow::ensure!(
        left.is_empty(),
        "the live run {name} left {left:?}: delete them by hand"
    );
    Ok(())
}

async fn live_steps(target: &Target, workdir: &Workdir, name: &str, standby: &str) -> Result<()> {
    let mut config = target.config(name)?;
    config.write(workdir)?;
    let started = std::time::Instant::now();
    apply_converged(workdir).await?;
    println!(
        "REPORT live run: apply and converge {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let regional = |state: &serde_json::Value, block: &str, field: &str| {
        resource_values(state)[block][field]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
    };
    let state = workdir.state_json().await?;
    println!(
        "REPORT live run: the runtime's monthly_cost_usd {}",
        resource_values(&state)["monthly_cost_usd"]
    );
    let (active, _, target_name) = target
        .records(standby)
        .await?
        .into_iter()
        .find(|(record, kind, _)| record == &target.domain_name && kind == "A")
        .context("no A record for the public name after apply")?;
    assert_eq!(
        target_name,
        regional(&state, "primary", "regional_domain_name"),
        "{active} points at the primary after apply"
    );
    config.active_region = Some(target.regions[1].clone());
    config.write(workdir)?;
    let started = std::time::Instant::now();
    apply_converged(workdir).await?;
    println!(
        "REPORT live run: switchover and converge {:.0} s",
        started.elapsed().as_secs_f64()
    );
    let state = workdir.state_json().await?;
    let records = target.records(standby).await?;
    let public = records
        .iter()
        .find(|(record, kind, _)| record == &target.domain_name && kind == "A")
        .context("no A record for the public name after the switchover")?;
    assert_eq!(
        public.2,
        regional(&state, "secondary", "regional_domain_name"),
        "the public name points at the secondary after the switchover"
    );
    let started = std::time::Instant::now();
    workdir.destroy().await?;
    println!(
        "REPORT live run: destroy {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The live run itself: `MULTIREGION_LIVE=1` and the variables of
/// `docs/live.md`, then
/// `cargo test -p terraform-provider-multiregion --test suite -- --ignored --exact live::against_aws`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "deploys into a real AWS account: MULTIREGION_LIVE=1 and docs/live.md"]
async fn against_aws() -> Result<()> {
    let target = Target::from_vars(|name| std::env::var(name).ok())?;
    live_run(&target).await
}

/// The IAM actions behind the calls of the proxy's log: API Gateway's are
/// its HTTP verbs, the others the operation under the service's IAM prefix.
fn iam_actions(calls: &[(String, String)]) -> BTreeSet<String> {
    calls
        .iter()
        .map(|(service, operation)| match service.as_str() {
            "apigateway" => {
                let verb = match operation {
                    o if o.starts_with("Get") => "GET",
                    o if o.starts_with("Create") || o.starts_with("Import") => "POST",
                    o if o.starts_with("Put") || o.starts_with("Tag") => "PUT",
                    o if o.starts_with("Update") => "PATCH",
                    _ => "DELETE",
                };
                format!("apigateway:{verb}")
            }
            "monitoring" => format!("cloudwatch:{operation}"),
            other => format!("{other}:{operation}"),
        })
        .collect()
}

/// The `Action`s of the policy `docs/live-policy.json`.
fn policy_actions() -> Result<BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("docs/live-policy.json"))?;
    let policy: serde_json::Value = serde_json::from_str(&text)?;
    let mut actions = BTreeSet::new();
    for statement in policy["Statement"].as_array().context("no Statement")? {
        for action in statement["Action"].as_array().context("no Action list")? {
            actions.insert(action.as_str().context("an Action")?.to_owned());
        }
    }
    Ok(actions)
}

#[test]
fn the_live_variables_are_read_and_every_missing_one_named() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let off = Target::from_vars(vars(&[(ZONE_ID, "Z1")])).unwrap_err();
    assert!(
        off.to_string().contains("MULTIREGION_LIVE=1 is not set"),
        "{off}"
    );
    let missing = Target::from_vars(vars(&[(LIVE, "1"), (ZONE_ID, "Z1")])).unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!(
            "a live run needs {DOMAIN}, {PRIMARY_CERTIFICATE}, {SECONDARY_CERTIFICATE} (docs/live.md)"
        )
    );
    let target = Target::from_vars(vars(&[
        (LIVE, "1"),
        (ZONE_ID, "Z1"),
        (DOMAIN, "api.example.org"),
        (
            PRIMARY_CERTIFICATE,
            "arn:aws:acm:eu-west-1:111122223333:certificate/a",
        ),
        (
            SECONDARY_CERTIFICATE,
            "arn:aws:acm:eu-central-1:111122223333:certificate/b",
        ),
        (PRIMARY_REGION, "eu-west-1"),
        (SECONDARY_REGION, "eu-central-1"),
    ]))
    .unwrap();
    assert_eq!(
        target.regions,
        ["eu-west-1".to_owned(), "eu-central-1".to_owned()]
    );
    assert_eq!(target.account(), "111122223333");
}

/// The switch: `live::against_aws`, run as a maintainer runs it, in a
/// process of its own with only the documented variables (and the
/// emulator's endpoint and keys where AWS's would be), deploys, switches
/// over and cleans up; every IAM action it used is in the policy the
/// runbook gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_run_passes_against_the_emulator_as_if_it_were_aws() -> Result<()> {
    let world = World::new().await?;
    // On AWS, Lambda runs the deployed pongers, and the switchover's check
    // reaches them; moto runs no Lambda code, so the bench answers for them.
    for region in [EAST, WEST] {
        ponger_answers(&world, region).await?;
    }
    let exe = std::env::current_exe()?;
    let mut command = tokio::process::Command::new(exe);
    command
        .args(["--exact", "live::against_aws", "--ignored", "--nocapture"])
        .env(LIVE, "1")
        .env(ZONE_ID, &world.seeded.zone_id)
        .env(DOMAIN, ACTIVE_NAME)
        .env(PRIMARY_CERTIFICATE, world.certificate(EAST))
        .env(SECONDARY_CERTIFICATE, world.certificate(WEST))
        .env("MULTIREGION_PACKAGE_DIR", package_dir()?)
        .env("MULTIREGION_API_GATEWAY_PACING", world.pacing.to_string())
        .envs(world.bench.env())
        .stdin(std::process::Stdio::null());
    for name in [
        PRIMARY_REGION,
        SECONDARY_REGION,
        "AWS_PROFILE",
        "AWS_REGION",
    ] {
        command.env_remove(name);
    }
    let output = command.output().await?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    anyhow::ensure!(
        output.status.success(),
        "the live run failed: {}",
        output.status
    );
    anyhow::ensure!(
        stdout.contains("1 passed"),
        "the live run did not run: {stdout}"
    );
    let calls: Vec<(String, String)> = world
        .bench
        .proxy()
        .log()
        .iter()
        .filter(|e| e.access_key == multiregion_bench::ACCESS_KEY)
        .map(|e| (e.service.clone(), e.operation.clone()))
        .collect();
    let used = iam_actions(&calls);
    let granted = policy_actions()?;
    let missing: Vec<&String> = used.difference(&granted).collect();
    println!(
        "REPORT live run: {} calls, {} IAM actions",
        calls.len(),
        used.len()
    );
    assert!(
        missing.is_empty(),
        "docs/live-policy.json lacks {missing:?}; the run used {used:?}"
    );
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}
