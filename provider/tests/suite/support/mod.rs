//! The acceptance harness: real Terraform driving the freshly built
//! provider, against moto behind the bench's proxy.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use multiregion_bench::Bench;
use multiregion_bench::seed::{Seeded, sdk_config, zone_and_certificates};
use multiregion_bench::terraform::Workdir;

mod runtime;
#[allow(unused_imports)]
pub use runtime::*;

pub const EAST: &str = "us-east-1";
pub const WEST: &str = "us-west-2";
pub const ZONE: &str = "example.com";
pub const ACTIVE_NAME: &str = "api.example.com";
pub const STANDBY_NAME: &str = "standby-api.example.com";
pub const SOURCE: &str = "multiregion/multiregion";

/// The directory holding the provider binary Cargo built for these tests.
pub fn provider_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_terraform-provider-multiregion"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The fraction of API Gateway's quota intervals the tests pace at: the
/// provider paces at it (`MULTIREGION_API_GATEWAY_PACING`) and the bench
/// enforces it on the provider's calls, so that an unpaced call is refused
/// with `TooManyRequestsException` while a 30 s quota costs 30 ms.
pub const PACING_SCALE: f64 = 0.001;

/// A bench with a public zone and a certificate per region for both names.
pub struct World {
    pub bench: Bench,
    pub seeded: Seeded,
    /// The pacing scale of the provider and the bench.
    pub pacing: f64,
}

impl World {
    pub async fn new() -> Result<World> {
        Self::with_regions(&[EAST, WEST]).await
    }

    /// A world with a certificate in each of `regions`.
    pub async fn with_regions(regions: &[&str]) -> Result<World> {
        let bench = Bench::start().await?;
        let seeded =
            zone_and_certificates(&bench, ZONE, &[ACTIVE_NAME, STANDBY_NAME], regions).await?;
        Ok(World::from_parts(bench, seeded))
    }

    /// A world of a started bench and its seed, with API Gateway's quotas
    /// enforced on the provider's calls at [`PACING_SCALE`].
    pub fn from_parts(bench: Bench, seeded: Seeded) -> World {
        let world = World {
            bench,
            seeded,
            pacing: PACING_SCALE,
        };
        world.set_pacing(PACING_SCALE);
        world
    }

    /// Paces the provider and enforces API Gateway's quotas on its calls at
    /// `scale` of AWS's intervals (for the workdirs made after this).
    pub fn with_pacing(mut self, scale: f64) -> World {
        self.pacing = scale;
        self.set_pacing(scale);
        self
    }

    fn set_pacing(&self, scale: f64) {
        self.bench.proxy().set_apigateway_quotas(Some(
            multiregion_bench::QuotaSettings::scaled(scale)
                .for_access_key(multiregion_bench::ACCESS_KEY),
        ));
    }

    /// The provider's API Gateway calls the bench refused with
    /// `TooManyRequestsException`, one line each.
    pub fn throttled(&self) -> Vec<String> {
        self.bench
            .proxy()
            .log()
            .iter()
            .filter(|e| {
                e.service == "apigateway"
                    && e.access_key == multiregion_bench::ACCESS_KEY
                    && e.outcome.ends_with("TooManyRequestsException")
            })
            .map(ToString::to_string)
            .collect()
    }

    /// Creates, outside Terraform, a REST API with a `prod` stage in
    /// `region`, as a user's existing API; returns its id.
    pub async fn existing_api(
        &self,
        region: &str,
        endpoint: aws_sdk_apigateway::types::EndpointType,
    ) -> Result<String> {
        let apigw = self.apigateway(region).await;
        let api = apigw
            .create_rest_api()
            .name("legacy-orders")
            .endpoint_configuration(
                aws_sdk_apigateway::types::EndpointConfiguration::builder()
                    .types(endpoint)
                    .build(),
            )
            .send()
            .await?;
        let id = api.id().context("no id")?.to_owned();
        apigw
            .put_rest_api()
            .rest_api_id(&id)
            .mode(aws_sdk_apigateway::types::PutMode::Overwrite)
            .body(aws_smithy_types::Blob::new(
                self.body(region, "legacy").into_bytes(),
            ))
            .send()
            .await?;
        apigw
            .create_deployment()
            .rest_api_id(&id)
            .stage_name("prod")
            .send()
            .await?;
        Ok(id)
    }

    /// A working directory for the given Terraform binary.
    pub fn workdir_with(&self, terraform: &Path) -> Result<Workdir> {
        Ok(self.workdir()?.with_terraform(terraform))
    }

    /// A Terraform working directory talking to this world.
    pub fn workdir(&self) -> Result<Workdir> {
        Ok(Workdir::new(SOURCE, &provider_dir())?
            .with_env(self.bench.env())
            .with_env([("AWS_REGION", EAST), ("PLUGIN_LOG_FILE", "/dev/null")])
            .with_env([("MULTIREGION_API_GATEWAY_PACING", self.pacing.to_string())]))
    }

    pub fn certificate(&self, region: &str) -> &str {
        self.seeded
            .certificates
            .get(region)
            .map(String::as_str)
            .unwrap_or_default()
    }

    pub async fn apigateway(&self, region: &str) -> aws_sdk_apigateway::Client {
        aws_sdk_apigateway::Client::new(&sdk_config(&self.bench, region, "inspector").await)
    }

    pub async fn route53(&self) -> aws_sdk_route53::Client {
        aws_sdk_route53::Client::new(&sdk_config(&self.bench, EAST, "inspector").await)
    }

    /// The record sets of the zone other than its NS and SOA.
    pub async fn records(&self) -> Result<Vec<(String, String)>> {
        let listing = self
            .route53()
            .await
            .list_resource_record_sets()
            .hosted_zone_id(&self.seeded.zone_id)
            .send()
            .await?;
        Ok(listing
            .resource_record_sets()
            .iter()
            .filter(|s| !matches!(s.r#type().as_str(), "NS" | "SOA"))
            .map(|s| {
                (
                    s.name().trim_end_matches('.').to_owned(),
                    s.r#type().as_str().to_owned(),
                )
            })
            .collect())
    }

    /// Everything the resource could have left in AWS, by service and region:
    /// API Gateway, Route 53, and the runtime (Lambda with its permissions
    /// and event-invoke configs, Logs, IAM, SNS topics and subscriptions,
    /// EventBridge rules and targets, CloudWatch alarms, Step Functions).
    pub async fn sweep(&self) -> Result<Vec<String>> {
        let mut left = self.sweep_runtime().await?;
        for region in [EAST, WEST] {
            let apigw = self.apigateway(region).await;
            for api in apigw.get_rest_apis().send().await?.items() {
                left.push(format!(
                    "{region} REST API {} {}",
                    api.id().unwrap_or_default(),
                    api.name().unwrap_or_default()
                ));
            }
            for domain in apigw.get_domain_names().send().await?.items() {
                left.push(format!(
                    "{region} custom domain {}",
                    domain.domain_name().unwrap_or_default()
                ));
            }
        }
        for (name, kind) in self.records().await? {
            left.push(format!("Route 53 {kind} {name}"));
        }
        Ok(left)
    }

    /// An OpenAPI body for `region`, from the quickstart's template.
    pub fn body(&self, region: &str, version: &str) -> String {
        std::fs::read_to_string(root().join("examples/quickstart/api.json.tftpl"))
            .unwrap_or_default()
            .replace("${region}", region)
            .replace("${account_id}", "123456789012")
            .replace("${name}", "orders")
            .replace(
                "\"version\": \"1.0\"",
                &format!("\"version\": \"{version}\""),
            )
    }
}

/// Escapes a string for an HCL heredoc-free string literal.
pub fn hcl_string(s: &str) -> String {
    serde_json::to_string(s)
        .unwrap_or_default()
        .replace("${", "$${")
}

/// A region block.
#[derive(Debug, Clone)]
pub struct Block {
    pub region: String,
    pub certificate_arn: String,
    pub api: Api,
    pub stage_name: Option<String>,
}

#[derive(Debug, Clone)]
pub enum Api {
    Body(String),
    Existing(String),
}

/// The resource's configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub name: String,
    pub domain_name: String,
    pub hosted_zone_id: String,
    pub primary: Block,
    pub secondary: Block,
    pub active_region: Option<String>,
    pub extra: String,
    /// The handler package's directory, if the runtime is deployed.
    pub package: Option<PathBuf>,
    /// More HCL inside the primary block.
    pub extra_primary: String,
    /// More HCL inside the secondary block.
    pub extra_secondary: String,
    /// The body of the `provider "multiregion"` block.
    pub provider: String,
}

impl Config {
    /// Managed APIs in both regions, as the quickstart.
    pub fn managed(world: &World) -> Config {
        let block = |region: &str| Block {
            region: region.to_owned(),
            certificate_arn: world.certificate(region).to_owned(),
            api: Api::Body(world.body(region, "1.0")),
            stage_name: None,
        };
        Config {
            name: "orders".into(),
            domain_name: ACTIVE_NAME.into(),
            hosted_zone_id: world.seeded.zone_id.clone(),
            primary: block(EAST),
            secondary: block(WEST),
            active_region: None,
            extra: String::new(),
            provider: String::new(),
            package: None,
            extra_primary: String::new(),
            extra_secondary: String::new(),
        }
    }

    fn block(name: &str, block: &Block, extra: &str) -> String {
        let api = match &block.api {
            Api::Body(body) => format!("    openapi_body = {}\n", hcl_string(body)),
            Api::Existing(id) => format!("    existing_rest_api_id = {}\n", hcl_string(id)),
        };
        let stage = block
            .stage_name
            .as_ref()
            .map(|s| format!("    stage_name = {}\n", hcl_string(s)))
            .unwrap_or_default();
        format!(
            "  {name} {{\n    region = {}\n    certificate_arn = {}\n{api}{stage}{extra}  }}\n",
            hcl_string(&block.region),
            hcl_string(&block.certificate_arn)
        )
    }

    /// The HCL of the configuration: the provider and the resource
    /// `multiregion_apigw_failover.api`, with its active region as an output.
    pub fn hcl(&self) -> String {
        format!(
            "{}\n{}\noutput \"active_region\" {{\n  value = multiregion_apigw_failover.api.active_region\n}}\n",
            self.provider_hcl(),
            self.resource_hcl("api"),
        )
    }

    /// The `terraform` and `provider "multiregion"` blocks.
    pub fn provider_hcl(&self) -> String {
        format!(
            "terraform {{\n  required_providers {{\n    multiregion = {{ source = \"{SOURCE}\" }}\n  }}\n}}\n\nprovider \"multiregion\" {{\n{}}}\n",
            self.provider,
        )
    }

    /// This configuration as the resource `multiregion_apigw_failover.<label>`.
    pub fn resource_hcl(&self, label: &str) -> String {
        let mut active = self
            .active_region
            .as_ref()
            .map(|r| format!("  active_region = {}\n", hcl_string(r)))
            .unwrap_or_default();
        if let Some(package) = &self.package {
            active.push_str(&format!(
                "  handler_package {{\n    path = {}\n  }}\n",
                hcl_string(&package.display().to_string())
            ));
        }
        format!(
            "resource \"multiregion_apigw_failover\" \"{label}\" {{\n  name = {}\n  domain_name = {}\n  hosted_zone_id = {}\n{active}{}{}{}}}\n",
            hcl_string(&self.name),
            hcl_string(&self.domain_name),
            hcl_string(&self.hosted_zone_id),
            self.extra,
            Self::block("primary", &self.primary, &self.extra_primary),
            Self::block("secondary", &self.secondary, &self.extra_secondary),
        )
    }

    /// Writes the configuration into `workdir` as main.tf.
    pub fn write(&self, workdir: &Workdir) -> Result<()> {
        workdir
            .write("main.tf", &self.hcl())
            .context("writing main.tf")
    }
}

/// Applies, then checks convergence: plan is empty, refresh, plan again empty.
pub async fn apply_converged(workdir: &Workdir) -> Result<()> {
    let apply = workdir.apply().await?;
    let plan = workdir.plan(&[]).await?.expect(0)?;
    let refresh = workdir
        .run(&["apply", "-refresh-only", "-auto-approve", "-no-color"])
        .await?
        .expect(0)?;
    let again = workdir.plan(&[]).await?.expect(0)?;
    println!(
        "apply {:.1} s, plan {:.1} s, refresh {:.1} s, plan {:.1} s",
        apply.elapsed.as_secs_f64(),
        plan.elapsed.as_secs_f64(),
        refresh.elapsed.as_secs_f64(),
        again.elapsed.as_secs_f64()
    );
    Ok(())
}

/// The resource's values in `terraform show -json` of the state.
pub fn resource_values(state: &serde_json::Value) -> serde_json::Value {
    state["values"]["root_module"]["resources"][0]["values"].clone()
}

/// The pair as the core sees it, from the resource's state values.
pub fn pair_of(values: &serde_json::Value) -> multiregion_core::Pair {
    let endpoints = |block: &serde_json::Value| multiregion_core::RegionEndpoints {
        region: multiregion_core::Region::new(block["region"].as_str().unwrap_or_default())
            .expect("a region"),
        active_target: multiregion_core::AliasTarget {
            dns_name: block["regional_domain_name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            hosted_zone_id: block["regional_hosted_zone_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
        standby_target: multiregion_core::AliasTarget {
            dns_name: block["standby_regional_domain_name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            hosted_zone_id: block["standby_regional_hosted_zone_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        },
    };
    multiregion_core::Pair {
        hosted_zone_id: values["hosted_zone_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        active_name: values["domain_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        standby_name: values["standby_domain_name"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        regions: [
            endpoints(&values["primary"]),
            endpoints(&values["secondary"]),
        ],
    }
}

/// Asserts that a saved plan's only resource action is `action`.
pub async fn assert_planned(workdir: &Workdir, action: &str) -> Result<()> {
    let plan = workdir.plan_json(&[]).await?;
    assert_eq!(
        multiregion_bench::terraform::planned_actions(&plan),
        [(
            "multiregion_apigw_failover.api".to_owned(),
            vec![action.to_owned()]
        )]
    );
    Ok(())
}

/// Destroys, then asserts that nothing the resource created is left.
pub async fn destroy_and_sweep(world: &World, workdir: &Workdir) -> Result<()> {
    workdir.destroy().await?;
    assert_eq!(world.sweep().await?, Vec::<String>::new());
    Ok(())
}

/// Text with every run of spaces folded into one, so that assertions on
/// plan output do not depend on Terraform's column alignment.
pub fn squash(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c == ' ' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

impl World {
    /// SDK configuration for `region`.
    pub async fn sdk(&self, region: &str) -> aws_config::SdkConfig {
        sdk_config(&self.bench, region, "inspector").await
    }
}

/// The handler package the tests deploy: `$MULTIREGION_PACKAGE_DIR`, else
/// `target/package` (built by `scripts/package`, which `scripts/test` runs).
pub fn package_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("MULTIREGION_PACKAGE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/package"));
    anyhow::ensure!(
        dir.join("manifest.json").exists(),
        "no handler package in {}: run ./scripts/package (./scripts/test does)",
        dir.display()
    );
    Ok(dir.canonicalize()?)
}

/// A copy of the package whose zip holds one more file: new code.
pub fn changed_package(package: &Path) -> Result<std::path::PathBuf> {
    let copy = std::env::temp_dir().join(format!("mr-package-{}", std::process::id()));
    std::fs::create_dir_all(&copy)?;
    for entry in std::fs::read_dir(package)? {
        let entry = entry?;
        std::fs::copy(entry.path(), copy.join(entry.file_name()))?;
    }
    std::fs::write(copy.join("RELEASE"), "a new build")?;
    let status = std::process::Command::new("zip")
        .args(["-q", multiregion_core::package::ZIP, "RELEASE"])
        .current_dir(&copy)
        .status()
        .context("running zip (./scripts/setup installs it)")?;
    anyhow::ensure!(status.success(), "zip failed");
    Ok(copy)
}

/// A world in which the managed quickstart-like configuration with the
/// handler package is applied and converged: (world, workdir, config).
pub async fn deployed_with_runtime() -> Result<(World, Workdir, Config)> {
    let world = World::new().await?;
    let workdir = world.workdir()?;
    let mut config = Config::managed(&world);
    config.package = Some(package_dir()?);
    config.write(&workdir)?;
    apply_converged(&workdir).await?;
    Ok((world, workdir, config))
}

pub const EXECUTION: &str =
    "arn:aws:states:us-west-2:123456789012:execution:mr-orders-failover:failover-1-1";

/// A failover as the runtime's swap step performs it: the core's
/// compare-and-swap with reason `runtime`.
pub async fn runtime_failover(world: &World, values: &serde_json::Value, to: &str) -> Result<()> {
    let pair = pair_of(values);
    let route53 = multiregion_core::aws::route53_client_from(
        &multiregion_bench::seed::sdk_config(&world.bench, EAST, "runtime").await,
        &Default::default(),
    );
    use multiregion_core::swap::{RetryPolicy, SwapOutcome, SwapRequest, swap};
    let request = SwapRequest {
        target: multiregion_core::Region::new(to)?,
        reason: multiregion_core::Reason::Runtime,
        execution: Some(EXECUTION.into()),
        epoch: 1_795_500_000,
    };
    let outcome = swap(&route53, &pair, &request, RetryPolicy::ONCE).await?;
    anyhow::ensure!(
        matches!(outcome, SwapOutcome::Swapped { .. }),
        "{outcome:?}"
    );
    Ok(())
}

/// The paths of a REST API's resources, sorted.
pub async fn paths(world: &World, region: &str, api: &str) -> Result<Vec<String>> {
    let resources = world
        .apigateway(region)
        .await
        .get_resources()
        .rest_api_id(api)
        .send()
        .await?;
    let mut paths: Vec<String> = resources
        .items()
        .iter()
        .filter_map(|r| r.path().map(str::to_owned))
        .collect();
    paths.sort();
    Ok(paths)
}

/// The base path mappings of a custom domain: (base path, API id), sorted.
pub async fn mappings(world: &World, region: &str, domain: &str) -> Result<Vec<(String, String)>> {
    let found = world
        .apigateway(region)
        .await
        .get_base_path_mappings()
        .domain_name(domain)
        .send()
        .await?;
    let mut mappings: Vec<(String, String)> = found
        .items()
        .iter()
        .map(|m| {
            (
                m.base_path().unwrap_or_default().to_owned(),
                m.rest_api_id().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    mappings.sort();
    Ok(mappings)
}

/// `region`'s ponger answers the probes that reach its front. (moto runs no
/// Lambda code: until then the front has no function to invoke and answers
/// the probes with an error.)
pub async fn ponger_answers(world: &World, region: &'static str) -> Result<()> {
    let ponger = multiregion_bench::pong::serve(region).await?;
    world
        .bench
        .fronts()
        .set_lambda_endpoint(region, &format!("http://{ponger}"))
        .await
}
