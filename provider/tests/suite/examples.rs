//! The runnable examples as a user runs them: each example and the module
//! copied into a fresh directory with the repository's layout, `terraform
//! get`, apply against the emulator with the handler package deployed, an
//! empty plan, checks through the SDK, then destroy and nothing left.

use std::path::Path;
use std::time::Duration;

use crate::support::*;
use anyhow::{Context, Result};
use multiregion_bench::seed::zone_and_certificates;
use multiregion_bench::terraform::{Run, Workdir};
use serde_json::{Value, json};

/// Copies the files of `from` into `to`, recursively, leaving out what a
/// previous run by hand may have left (`.terraform`, state, tfvars).
fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(".terraform")
            || name.contains(".tfstate")
            || name.ends_with(".tfvars")
            || name.ends_with(".tfvars.json")
        {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &to.join(&name))?;
        } else {
            std::fs::copy(entry.path(), to.join(&name))?;
        }
    }
    Ok(())
}

/// One example in its own copy of `examples/` and `modules/`, run with
/// `terraform -chdir=examples/<name>` so that the module's relative source
/// resolves as in the repository.
struct Example {
    workdir: Workdir,
    chdir: String,
}

impl Example {
    fn new(world: &World, name: &str, vars: Value) -> Result<Example> {
        Self::in_workdir(world.workdir()?, name, vars)
    }

    fn in_workdir(workdir: Workdir, name: &str, vars: Value) -> Result<Example> {
        copy_tree(
            &root().join("modules/apigw-failover"),
            &workdir.path().join("modules/apigw-failover"),
        )?;
        copy_tree(
            &root().join("examples").join(name),
            &workdir.path().join("examples").join(name),
        )?;
        workdir.write(
            &format!("examples/{name}/terraform.tfvars.json"),
            &vars.to_string(),
        )?;
        Ok(Example {
            workdir,
            chdir: format!("-chdir=examples/{name}"),
        })
    }

    async fn run(&self, args: &[&str]) -> Result<Run> {
        let mut all = vec![self.chdir.as_str()];
        all.extend_from_slice(args);
        self.workdir.run(&all).await
    }

    /// `terraform get`, apply, then an empty plan, a refresh and an empty
    /// plan again; returns the apply's wall time.
    async fn apply_converged(&self) -> Result<Duration> {
        self.run(&["get", "-no-color"]).await?.expect(0)?;
        let apply = self
            .run(&["apply", "-auto-approve", "-no-color"])
            .await?
            .expect(0)?;
        self.run(&["plan", "-detailed-exitcode", "-no-color"])
            .await?
            .expect(0)?;
        self.run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
            .await?
            .expect(0)?;
        self.run(&["plan", "-detailed-exitcode", "-no-color"])
            .await?
            .expect(0)?;
        Ok(apply.elapsed)
    }

    async fn destroy(&self) -> Result<Duration> {
        let run = self
            .run(&["destroy", "-auto-approve", "-no-color"])
            .await?
            .expect(0)?;
        Ok(run.elapsed)
    }

    /// The root module's outputs, name to value.
    async fn outputs(&self) -> Result<Value> {
        let run = self.run(&["output", "-json"]).await?.expect(0)?;
        let outputs: Value = serde_json::from_str(&run.stdout)?;
        let mut values = serde_json::Map::new();
        for (name, output) in outputs.as_object().context("outputs")? {
            values.insert(name.clone(), output["value"].clone());
        }
        Ok(Value::Object(values))
    }

    /// The resource's values in the module, from `terraform show -json`.
    async fn resource(&self) -> Result<Value> {
        let run = self.run(&["show", "-json"]).await?.expect(0)?;
        let state: Value = serde_json::from_str(&run.stdout)?;
        let module = &state["values"]["root_module"]["child_modules"][0];
        assert_eq!(module["address"], "module.api");
        assert_eq!(
            module["resources"][0]["address"],
            "module.api.multiregion_apigw_failover.this"
        );
        Ok(module["resources"][0]["values"].clone())
    }
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or_default()
}

async fn topics(world: &World, region: &str) -> Result<Vec<String>> {
    let sns = aws_sdk_sns::Client::new(&world.sdk(region).await);
    Ok(sns
        .list_topics()
        .send()
        .await?
        .topics()
        .iter()
        .filter_map(|t| t.topic_arn().map(str::to_owned))
        .collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quickstart_applies_converges_and_destroys_through_the_module() -> Result<()> {
    let world = World::new().await?;
    let example = Example::new(
        &world,
        "quickstart",
        json!({
            "zone_name": ZONE,
            "hosted_zone_id": world.seeded.zone_id,
            "account_id": "123456789012",
            "certificate_arns": world.seeded.certificates,
            "handler_package_path": package_dir()?.display().to_string(),
        }),
    )?;
    let applied = example.apply_converged().await?;

    let outputs = example.outputs().await?;
    assert_eq!(outputs["active_region"], EAST);
    assert_eq!(outputs["url"], format!("https://{ACTIVE_NAME}/"));
    assert_eq!(outputs["standby_url"], format!("https://{STANDBY_NAME}/"));
    assert_eq!(outputs["last_failover"]["generation"], 1);
    assert_eq!(outputs["last_failover"]["reason"], "create");
    for region in [EAST, WEST] {
        // Each invoke URL is the stage URL of the one API in its region.
        let apis = world
            .apigateway(region)
            .await
            .get_rest_apis()
            .send()
            .await?;
        assert_eq!(apis.items().len(), 1, "{region}");
        let id = apis.items()[0].id().unwrap_or_default();
        assert_eq!(
            outputs["invoke_urls"][region],
            format!("https://{id}.execute-api.{region}.amazonaws.com/prod"),
        );
        // The topic the output names is the one the region has.
        let topic = text(&outputs["notification_topic_arns"][region]);
        assert!(topic.ends_with(":mr-orders-notify"), "{topic}");
        assert!(topics(&world, region).await?.iter().any(|t| t == topic));
    }
    // The computed figures of the defaults: 60 + 60 + 2, 3 × 2 + 10 + 60,
    // and $0.481223 at list prices (only the data transfer, $0.005548, is
    // past the free tier).
    assert_eq!(outputs["detection_time_seconds"], 122);
    assert_eq!(outputs["swap_budget_seconds"], 76);
    let list: f64 = text(&outputs["monthly_cost_usd"]["without_free_tier"]).parse()?;
    assert!((list - 0.481223).abs() <= 2e-6, "{list}");
    assert_eq!(outputs["monthly_cost_usd"]["with_free_tier"], "0.005548");
    let resource = example.resource().await?;
    assert_eq!(resource["apparatus_status"], "ok");
    assert_eq!(resource["dns_status"], "ok");

    // A planned switchover through the quickstart's variable reaches the
    // resource through the module: the plan shows it, and set back to null
    // the plan is empty again.
    example.workdir.write(
        "examples/quickstart/switchover.auto.tfvars.json",
        &json!({ "active_region": WEST }).to_string(),
    )?;
    let plan = example
        .run(&["plan", "-detailed-exitcode", "-no-color"])
        .await?
        .expect(2)?;
    assert!(
        squash(&plan.stdout).contains("~ active_region = \"us-east-1\" -> \"us-west-2\""),
        "{}",
        plan.stdout
    );
    example.workdir.write(
        "examples/quickstart/switchover.auto.tfvars.json",
        &json!({ "active_region": null }).to_string(),
    )?;
    example
        .run(&["plan", "-detailed-exitcode", "-no-color"])
        .await?
        .expect(0)?;

    let destroyed = example.destroy().await?;
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    println!(
        "quickstart: apply {:.1} s, destroy {:.1} s",
        applied.as_secs_f64(),
        destroyed.as_secs_f64()
    );
    Ok(())
}

const COMPLETE_NAME: &str = "orders.example.com";
const COMPLETE_STANDBY: &str = "orders-standby.example.com";

/// A world whose certificates cover the complete example's names.
async fn complete_world() -> Result<World> {
    let bench = multiregion_bench::Bench::start().await?;
    let seeded = zone_and_certificates(
        &bench,
        ZONE,
        &[COMPLETE_NAME, COMPLETE_STANDBY],
        &[EAST, WEST],
    )
    .await?;
    Ok(World::from_parts(bench, seeded))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_module_works_with_the_oldest_terraform() -> Result<()> {
    // Terraform 1.0, the oldest the provider supports, with every dynamic
    // block and the loosely typed failover setting of the complete example.
    let world = complete_world().await?;
    let workdir = world.workdir_with(&multiregion_bench::terraform::oldest_terraform_binary())?;
    let example = Example::in_workdir(
        workdir,
        "complete",
        json!({
            "zone_name": ZONE,
            "hosted_zone_id": world.seeded.zone_id,
            "account_id": "123456789012",
            "certificate_arns": world.seeded.certificates,
            "handler_package_path": package_dir()?.display().to_string(),
        }),
    )?;
    let version = example.run(&["version"]).await?.expect(0)?;
    assert!(version.stdout.contains("v1.0."), "{}", version.stdout);
    example.apply_converged().await?;
    let outputs = example.outputs().await?;
    assert_eq!(outputs["active_region"], EAST);
    // health_check 120 / 4000: 120 + 60 + 4.
    assert_eq!(outputs["detection_time_seconds"], 184);
    example.destroy().await?;
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn complete_applies_every_setting_and_leaves_only_the_users_topic() -> Result<()> {
    const NAME: &str = COMPLETE_NAME;
    const STANDBY: &str = COMPLETE_STANDBY;
    let world = complete_world().await?;
    // The user's own topic for the secondary region's outcomes.
    let pager = aws_sdk_sns::Client::new(&world.sdk(WEST).await)
        .create_topic()
        .name("pager")
        .send()
        .await?
        .topic_arn()
        .context("no topic arn")?
        .to_owned();
    let example = Example::new(
        &world,
        "complete",
        json!({
            "zone_name": ZONE,
            "hosted_zone_id": world.seeded.zone_id,
            "account_id": "123456789012",
            "certificate_arns": world.seeded.certificates,
            "notification_topic_arns": { WEST: pager },
            "handler_package_path": package_dir()?.display().to_string(),
        }),
    )?;
    let applied = example.apply_converged().await?;

    let outputs = example.outputs().await?;
    assert_eq!(outputs["active_region"], EAST);
    assert_eq!(outputs["standby_region"], WEST);
    assert_eq!(outputs["url"], format!("https://{NAME}/"));
    assert_eq!(outputs["standby_url"], format!("https://{STANDBY}/"));
    assert_eq!(outputs["notification_topic_arns"][WEST], pager.as_str());
    assert!(text(&outputs["notification_topic_arns"][EAST]).ends_with(":mr-shop-notify"));
    assert_eq!(outputs["automatic_failover_paused"], false);
    // health_check 120 / 5 / 3 / 4000: 120 + 60 + 4, and 3 × 4 + 10 + 60.
    assert_eq!(outputs["detection_time_seconds"], 120 + 60 + 4);
    assert_eq!(outputs["swap_budget_seconds"], 3 * 4 + 10 + 60);
    let resource = example.resource().await?;
    assert_eq!(resource["health_path"], "status");
    assert_eq!(resource["log_retention_days"], 14);
    assert_eq!(resource["effective_failover"]["cooldown_seconds"], 1800);
    assert_eq!(
        resource["effective_failover"]["max_automatic_swaps_per_day"],
        3
    );
    assert_eq!(resource["apparatus_status"], "ok");

    for region in [EAST, WEST] {
        let config = world.sdk(region).await;
        let api = text(&outputs["rest_api_ids"][region]).to_owned();
        assert!(
            paths(&world, region, &api)
                .await?
                .contains(&"/status/ping".to_owned()),
            "{region}"
        );
        // The circuit breaker's setting reaches the swapper that applies it.
        let swapper = aws_sdk_lambda::Client::new(&config)
            .get_function_configuration()
            .function_name("mr-shop-swapper")
            .send()
            .await?;
        let contract = swapper
            .environment()
            .and_then(|e| e.variables())
            .and_then(|v| v.get("MULTIREGION_DEPLOYMENT"))
            .context("the swapper has no deployment contract")?;
        let contract = multiregion_core::Deployment::from_json(contract)?;
        assert_eq!(contract.max_automatic_swaps_per_day, 3, "{region}");
        assert_eq!(contract.cooldown_seconds, 1800, "{region}");
        let stages = world
            .apigateway(region)
            .await
            .get_stages()
            .rest_api_id(&api)
            .send()
            .await?;
        let names: Vec<&str> = stages
            .item()
            .iter()
            .filter_map(|s| s.stage_name())
            .collect();
        assert_eq!(names, ["live"], "{region}");
        assert!(text(&outputs["invoke_urls"][region]).ends_with("/live"));
        // The paging alarm carries the health check, and its actions stay
        // disabled until the pinger's first good tick.
        let alarms = aws_sdk_cloudwatch::Client::new(&config)
            .describe_alarms()
            .send()
            .await?;
        let [alarm] = alarms.metric_alarms() else {
            panic!("one alarm in {region}: {alarms:?}")
        };
        assert_eq!(
            (
                alarm.period(),
                alarm.evaluation_periods(),
                alarm.datapoints_to_alarm(),
                alarm.actions_enabled()
            ),
            (Some(120), Some(5), Some(3), Some(false)),
            "{region}"
        );
        // Every log group keeps 14 days.
        let groups = aws_sdk_cloudwatchlogs::Client::new(&config)
            .describe_log_groups()
            .send()
            .await?;
        assert!(!groups.log_groups().is_empty());
        for group in groups.log_groups() {
            assert_eq!(group.retention_in_days(), Some(14), "{group:?}");
        }
        let machine = text(&outputs["state_machine_arns"][region]);
        aws_sdk_sfn::Client::new(&config)
            .describe_state_machine()
            .state_machine_arn(machine)
            .send()
            .await
            .with_context(|| format!("{region} {machine}"))?;
    }

    let destroyed = example.destroy().await?;
    assert_eq!(world.sweep().await?, [format!("{WEST} topic {pager}")]);
    println!(
        "complete: apply {:.1} s, destroy {:.1} s",
        applied.as_secs_f64(),
        destroyed.as_secs_f64()
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adopt_existing_injects_in_one_region_maps_beside_in_the_other_and_keeps_the_apis()
-> Result<()> {
    use aws_sdk_apigateway::types::EndpointType;
    let world = World::new().await?;
    let east_api = world.existing_api(EAST, EndpointType::Regional).await?;
    let west_api = world.existing_api(WEST, EndpointType::Regional).await?;
    let example = Example::new(
        &world,
        "adopt-existing",
        json!({
            "zone_name": ZONE,
            "hosted_zone_id": world.seeded.zone_id,
            "certificate_arns": world.seeded.certificates,
            "rest_api_ids": { EAST: east_api, WEST: west_api },
            "handler_package_path": package_dir()?.display().to_string(),
        }),
    )?;
    let applied = example.apply_converged().await?;

    let outputs = example.outputs().await?;
    assert_eq!(outputs["active_region"], EAST);
    assert_eq!(
        outputs["rest_api_ids"],
        json!({ EAST: east_api, WEST: west_api })
    );
    // inject in the primary: the route is merged into the adopted API,
    // which stays at the empty base path.
    assert_eq!(
        paths(&world, EAST, &east_api).await?,
        ["/", "/health", "/health/ping", "/orders"]
    );
    assert_eq!(
        mappings(&world, EAST, ACTIVE_NAME).await?,
        [("(none)".to_owned(), east_api.clone())]
    );
    // separate in the secondary: the adopted API is untouched under /v1,
    // and a health API of the resource's own is mapped at /health.
    assert_eq!(paths(&world, WEST, &west_api).await?, ["/", "/orders"]);
    let west = mappings(&world, WEST, ACTIVE_NAME).await?;
    assert_eq!(west.len(), 2, "{west:?}");
    assert_eq!(west[1], ("v1".to_owned(), west_api.clone()));
    assert_eq!(west[0].0, "health");
    assert_ne!(west[0].1, west_api);
    assert_eq!(example.resource().await?["apparatus_status"], "ok");

    let destroyed = example.destroy().await?;
    // The adopted APIs stay, without the injected route; the public name
    // still points at the active region's custom domain; the runtime and
    // the health API are gone.
    assert_eq!(
        paths(&world, EAST, &east_api).await?,
        ["/", "/orders"],
        "the injected route is removed"
    );
    let mut left = world.sweep().await?;
    left.sort();
    let mut expected = vec![
        format!("{EAST} REST API {east_api} legacy-orders"),
        format!("{WEST} REST API {west_api} legacy-orders"),
        format!("{EAST} custom domain {ACTIVE_NAME}"),
        format!("Route 53 A {ACTIVE_NAME}"),
    ];
    expected.sort();
    assert_eq!(left, expected);
    println!(
        "adopt-existing: apply {:.1} s, destroy {:.1} s",
        applied.as_secs_f64(),
        destroyed.as_secs_f64()
    );
    Ok(())
}
