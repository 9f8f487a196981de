//! The failover runtime, running for real on 127.0.0.1:
//!
//! - AWS: moto behind the bench's proxy (Route 53 fidelity, faults, log);
//! - the data plane: the bench's per-region fronts;
//! - Lambda: one cargo-lambda emulator per region (`--only-lambda-apis`),
//!   with the SHIPPED bootstrap from the package's zip attached as each
//!   handler (`_HANDLER`, as the deployed handler setting says), each with
//!   its region's `AWS_REGION` and access key;
//! - Step Functions: `tests/sfn/bridge.mjs` (aws-local-stepfunctions), whose
//!   Tasks invoke the emulators through the proxy;
//! - notifications: each region's topic in moto, subscribed by an SQS queue;
//! - the apparatus the runtime needs (the paging alarm, the schedule rule)
//!   as the provider creates it ([`apparatus`]);
//! - a destroy and create again under the same name
//!   ([`Runtime::destroy_and_recreate`]).
//!
//! [`Options`] chooses the clock: the wall clock with the state machine's
//! waits shortened (the handler crate's execution tests), or the bench's
//! virtual clock with AWS's documented propagation and TTL (the game-day
//! scenarios).

pub mod apparatus;
#[path = "../../../../handlers/core/tests/support/mod.rs"]
pub mod core_support;
pub mod processes;
mod recreate;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_sfn::types::ExecutionStatus;
use multiregion_bench::clock::EpochMs;
use multiregion_bench::{Bench, Clock, LogEntry};
use multiregion_core::aws::{AwsSettings, route53_client_from};
use multiregion_core::deployment::{CONTRACT_VERSION, DeployedRegion, Deployment, Target};
use multiregion_core::estimate::figures::{ALIAS_TTL_SECONDS, ROUTE53_PROPAGATION_SECONDS};
use multiregion_core::naming::{Component, Names};
use multiregion_core::settings::{FailoverSettings, HealthCheck};
use multiregion_core::statemachine::{Timing, definition_json};
use multiregion_core::{Ledger, Pair, Reason, Region, RetryPolicy, SwapRequest};
use serde_json::Value;

pub use core_support::{ACTIVE_NAME, EAST, STANDBY_NAME, WEST};
use processes::{Bridge, Emulator, Package};

/// The account of everything the runtime creates.
pub const ACCOUNT: &str = "123456789012";
/// The resource's `name`.
pub const NAME: &str = "orders";

/// How the runtime is started.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// `None`: the wall clock, the state machine's Wait states and Retry
    /// pauses shortened (to 200 ms and 20 ms). `Some(start)`: the bench's
    /// virtual clock from `start` (milliseconds since the epoch), waits as
    /// defined.
    pub virtual_start: Option<EpochMs>,
    /// The health check (the alarm, the schedule, the probe timeout).
    pub health: HealthCheck,
    /// The failover settings (the alarm's actions, the cooldown).
    pub failover: FailoverSettings,
    /// How long Route 53 changes stay PENDING.
    pub route53_propagation: Duration,
    /// How long resolvers cache an answer.
    pub dns_ttl: Duration,
    /// How long before the clock's start the deployment was created (the
    /// ledger's first entry, reason `create`).
    pub created_ago: Duration,
}

impl Options {
    /// The wall clock, waits shortened, Route 53 PENDING for 300 ms, no DNS
    /// caching: for tests of the state machine's steps.
    pub fn wall() -> Options {
        Options {
            virtual_start: None,
            health: HealthCheck {
                timeout_ms: 2000,
                ..HealthCheck::default()
            },
            failover: FailoverSettings::default(),
            route53_propagation: Duration::from_millis(300),
            dns_ttl: Duration::ZERO,
            created_ago: Duration::from_secs(7200),
        }
    }

    /// The virtual clock from `start`, with Route 53's documented propagation
    /// and the alias TTL (see `multiregion_core::estimate::figures`).
    pub fn virtual_at(start: EpochMs) -> Options {
        Options {
            virtual_start: Some(start),
            health: HealthCheck::default(),
            failover: FailoverSettings::default(),
            route53_propagation: Duration::from_secs(ROUTE53_PROPAGATION_SECONDS),
            dns_ttl: Duration::from_secs(ALIAS_TTL_SECONDS),
            created_ago: Duration::from_secs(7200),
        }
    }
}

/// The access key a region's functions sign with, so the proxy log and the
/// fault filters can tell the regions apart.
pub fn access_key(region: &str) -> String {
    format!("AKID{}", region.replace('-', "").to_uppercase())
}

/// Everything running for one test.
#[derive(Debug)]
pub struct Runtime {
    pub options: Options,
    pub bench: Bench,
    pub pair: Pair,
    pub deployment: Deployment,
    pub names: Names,
    pub bridge: Bridge,
    emulators: HashMap<String, Emulator>,
    queues: HashMap<String, String>,
    pub sfn: HashMap<String, aws_sdk_sfn::Client>,
    pub cloudwatch: HashMap<String, aws_sdk_cloudwatch::Client>,
    pub route53: aws_sdk_route53::Client,
    pub http: reqwest::Client,
    dir: PathBuf,
}

/// A finished execution, with its history from the bridge.
#[derive(Debug)]
pub struct Finished {
    pub arn: String,
    pub status: ExecutionStatus,
    pub events: Vec<Value>,
    pub millis: f64,
}

impl Finished {
    /// Events of `kind` at `state`.
    pub fn events_at(&self, kind: &str, state: &str) -> Vec<&Value> {
        self.events
            .iter()
            .filter(|e| e["type"] == kind && e["state"] == state)
            .collect()
    }

    /// State transitions as Step Functions bills them: every state entered,
    /// and every retry.
    pub fn transitions(&self) -> usize {
        self.events
            .iter()
            .filter(|e| e["type"] == "StateEntered" || e["type"] == "StateRetried")
            .count()
    }

    /// The states entered, in order.
    pub fn path(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| e["type"] == "StateEntered")
            .filter_map(|e| e["state"].as_str().map(str::to_owned))
            .collect()
    }
}

impl Runtime {
    /// Starts everything on the wall clock ([`Options::wall`]).
    pub async fn start() -> Result<Runtime> {
        Runtime::start_with(Options::wall()).await
    }

    /// Starts everything, with `us-east-1` active (ledger generation 1,
    /// written `created_ago` before the clock's start, reason `create`).
    pub async fn start_with(options: Options) -> Result<Runtime> {
        core_support::init_logs();
        let bench = match options.virtual_start {
            Some(start) => Bench::start_with_clock(Clock::starting_at(start)).await?,
            None => Bench::start().await?,
        };
        let dir = bench.dir().join("runtime");
        std::fs::create_dir_all(&dir)?;
        let package = Package::open(&dir)?;
        let setup_route53 = core_support::route53(&bench, "setup").await;
        let zone = core_support::create_zone(&setup_route53).await?;
        let east = core_support::create_region(&bench, EAST).await?;
        let west = core_support::create_region(&bench, WEST).await?;
        let pair = Pair {
            hosted_zone_id: zone.clone(),
            active_name: ACTIVE_NAME.into(),
            standby_name: STANDBY_NAME.into(),
            regions: [east, west],
        };
        let created = bench.clock().now_ms() / 1000 - options.created_ago.as_secs() as i64;
        multiregion_core::swap::swap(
            &setup_route53,
            &pair,
            &SwapRequest {
                target: Region::new(EAST)?,
                reason: Reason::Create,
                execution: None,
                epoch: created,
            },
            RetryPolicy::default(),
        )
        .await?;

        let names = Names::new(NAME)?;
        let (emulators, bridge) = processes(&bench, &dir, &names).await?;

        let mut regions = Vec::new();
        let mut parts = Parts::default();
        for endpoints in &pair.regions {
            let region = endpoints.region.as_str();
            let sdk = core_support::sdk(&bench, region, "setup").await;
            let client = bridge_client(&sdk, &bridge);
            let machine = client
                .create_state_machine()
                .name(names.state_machine())
                .definition(definition_json(
                    &names,
                    &endpoints.region,
                    ACCOUNT,
                    &Timing::default(),
                ))
                .role_arn(format!(
                    "arn:aws:iam::{ACCOUNT}:role/{}",
                    names.state_machine_role(&endpoints.region)
                ))
                .send()
                .await?;
            let sns = aws_sdk_sns::Client::new(&sdk);
            let (topic, queue) =
                apparatus::notification_topic(&bench, &sns, region, &names).await?;
            parts.queues.insert(region.to_owned(), queue);
            let watch = aws_sdk_cloudwatch::Client::new(&sdk);
            apparatus::put_alarm(&watch, &names, &options.health, &topic).await?;
            apparatus::schedule(&bench, &names, &options.health, region).await?;
            let tick_queue_url = if options.health.relayed() {
                Some(apparatus::tick_queue(&bench, &names, region).await?)
            } else {
                None
            };
            parts.cloudwatch.insert(region.to_owned(), watch);
            parts.sfn.insert(region.to_owned(), client);
            let target = |t: &multiregion_core::AliasTarget| Target {
                dns_name: t.dns_name.clone(),
                hosted_zone_id: t.hosted_zone_id.clone(),
            };
            regions.push(DeployedRegion {
                region: endpoints.region.clone(),
                active_target: target(&endpoints.active_target),
                standby_target: target(&endpoints.standby_target),
                state_machine_arn: machine.state_machine_arn().to_owned(),
                notification_topic_arn: topic,
                tick_queue_url,
            });
        }
        let [first, second]: [DeployedRegion; 2] = regions
            .try_into()
            .map_err(|_| anyhow::anyhow!("two regions"))?;
        let deployment = Deployment {
            contract: CONTRACT_VERSION,
            name: NAME.into(),
            resource_id: multiregion_core::naming::resource_id(ACTIVE_NAME, &zone),
            hosted_zone_id: zone,
            active_name: ACTIVE_NAME.into(),
            standby_name: STANDBY_NAME.into(),
            health_path: "health".into(),
            probe_timeout_ms: options.health.timeout_ms,
            cooldown_seconds: options.failover.cooldown_seconds,
            interval_seconds: options.health.interval_seconds as u32,
            max_automatic_swaps_per_day: multiregion_core::deployment::DEFAULT_MAX_AUTOMATIC_SWAPS,
            alarm_name: names.alarm(),
            regions: [first, second],
        };
        deployment.check()?;
        Runtime::assemble(
            options, bench, dir, package, deployment, names, emulators, bridge, parts,
        )
        .await
    }

    /// Attaches the runtime to what `terraform apply` deployed on `bench`
    /// for the resource named `name` (any `region` of it): the deployment
    /// contract is read from the functions' environment as the provider set
    /// it, each region's state machine runs the definition the provider
    /// deployed, and the alarms, topics and schedules are the provider's,
    /// read back by the harness. Only the notification topics get a test
    /// reader (an SQS queue subscribed to them).
    pub async fn attach(
        bench: Bench,
        options: Options,
        name: &str,
        region: &str,
    ) -> Result<Runtime> {
        core_support::init_logs();
        let dir = bench.dir().join("runtime");
        std::fs::create_dir_all(&dir)?;
        let package = Package::open(&dir)?;
        let names = Names::new(name)?;
        let sdk = core_support::sdk(&bench, region, "setup").await;
        let function = aws_sdk_lambda::Client::new(&sdk)
            .get_function_configuration()
            .function_name(names.function(Component::Pinger))
            .send()
            .await
            .with_context(|| {
                format!("reading the pinger of {name} in {region}: was it applied?")
            })?;
        let contract = function
            .environment()
            .and_then(|e| e.variables())
            .and_then(|v| v.get(multiregion_core::deployment::ENV_DEPLOYMENT))
            .context("the pinger has no deployment contract in its environment")?;
        let deployment = Deployment::from_json(contract)?;
        deployed_handlers(&bench, &deployment, &names).await?;
        let (emulators, bridge) = processes(&bench, &dir, &names).await?;
        let mut parts = Parts::default();
        for deployed in &deployment.regions {
            let region = deployed.region.as_str();
            let sdk = core_support::sdk(&bench, region, "setup").await;
            let deployed_machine = aws_sdk_sfn::Client::new(&sdk)
                .describe_state_machine()
                .state_machine_arn(&deployed.state_machine_arn)
                .send()
                .await?;
            let deployed_tags = aws_sdk_sfn::Client::new(&sdk)
                .list_tags_for_resource()
                .resource_arn(&deployed.state_machine_arn)
                .send()
                .await?;
            let client = bridge_client(&sdk, &bridge);
            let machine = client
                .create_state_machine()
                .name(deployed_machine.name())
                .definition(deployed_machine.definition())
                .role_arn(deployed_machine.role_arn())
                .set_tags(Some(deployed_tags.tags().to_vec()))
                .send()
                .await?;
            if machine.state_machine_arn() != deployed.state_machine_arn {
                bail!(
                    "the executor named the state machine {}, the deployment {}",
                    machine.state_machine_arn(),
                    deployed.state_machine_arn
                );
            }
            let sns = aws_sdk_sns::Client::new(&sdk);
            let queue = apparatus::inbox(
                &bench,
                &sns,
                region,
                &deployed.notification_topic_arn,
                &names,
            )
            .await?;
            parts.queues.insert(region.to_owned(), queue);
            parts
                .cloudwatch
                .insert(region.to_owned(), aws_sdk_cloudwatch::Client::new(&sdk));
            parts.sfn.insert(region.to_owned(), client);
        }
        Runtime::assemble(
            options, bench, dir, package, deployment, names, emulators, bridge, parts,
        )
        .await
    }

    /// Attaches the bootstrap with `deployment` and sets the bench up as
    /// `options` say.
    #[allow(clippy::too_many_arguments)]
    async fn assemble(
        options: Options,
        bench: Bench,
        dir: PathBuf,
        package: Package,
        deployment: Deployment,
        names: Names,
        mut emulators: HashMap<String, Emulator>,
        bridge: Bridge,
        parts: Parts,
    ) -> Result<Runtime> {
        for (region, emulator) in &mut emulators {
            emulator
                .attach_all(&package, &bench, &bridge, &deployment, &names)
                .await?;
            bench
                .fronts()
                .set_lambda_endpoint(region, &emulator.url())
                .await?;
        }
        bench
            .proxy()
            .set_route53_propagation(options.route53_propagation);
        bench.proxy().set_dns_ttl(options.dns_ttl);
        if !bench.clock().is_virtual() {
            bridge.shorten_waits().await?;
        }
        bench.proxy().clear_log();
        let route53 = route53_client_from(
            &core_support::sdk(&bench, EAST, "test").await,
            &AwsSettings::default(),
        );
        Ok(Runtime {
            options,
            bench,
            pair: deployment.pair(),
            deployment,
            names,
            bridge,
            emulators,
            queues: parts.queues,
            sfn: parts.sfn,
            cloudwatch: parts.cloudwatch,
            route53,
            http: reqwest::Client::new(),
            dir,
        })
    }

    /// Stops the emulators, the bootstraps and the bridge; the bench (and
    /// what AWS holds) stays.
    pub fn stop(self) -> Bench {
        self.bench
    }

    /// The emulator URL of `region`.
    pub fn lambda_url(&self, region: &str) -> String {
        self.emulators[region].url()
    }

    /// Invokes `component`'s function in `region` with `event`; `Err` holds
    /// the Lambda error type and message.
    pub async fn invoke(
        &self,
        region: &str,
        component: Component,
        event: &Value,
    ) -> Result<Result<Value, (String, String)>> {
        let url = format!(
            "{}/2015-03-31/functions/{}/invocations",
            self.lambda_url(region),
            self.names.function(component)
        );
        let response = self
            .http
            .post(url)
            .json(event)
            .timeout(Duration::from_secs(60))
            .send()
            .await?;
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        if status.is_success() {
            Ok(Ok(body))
        } else if let Some(kind) = body["errorType"].as_str() {
            Ok(Err((
                kind.to_owned(),
                body["errorMessage"].as_str().unwrap_or_default().to_owned(),
            )))
        } else {
            bail!("invoking {component:?} in {region}: HTTP {status}: {body}")
        }
    }

    /// The documented pause by hand, in `region`: the state machine's tag
    /// [`multiregion_core::automation::TAG`] set to `paused`.
    pub async fn pause(&self, region: &str) -> Result<()> {
        self.sfn[region]
            .tag_resource()
            .resource_arn(self.state_machine_arn(region)?)
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

    /// The documented resume, in `region`: the tag removed.
    pub async fn resume(&self, region: &str) -> Result<()> {
        self.sfn[region]
            .untag_resource()
            .resource_arn(self.state_machine_arn(region)?)
            .tag_keys(multiregion_core::automation::TAG)
            .send()
            .await?;
        Ok(())
    }

    /// The state machine of `region`.
    pub fn state_machine_arn(&self, region: &str) -> Result<String> {
        Ok(self
            .deployment
            .region(&Region::new(region)?)
            .context("not a region of the deployment")?
            .state_machine_arn
            .clone())
    }

    /// Starts an execution in `region` directly (as an operator would).
    pub async fn start_execution(&self, region: &str, name: &str, input: &Value) -> Result<String> {
        let started = self.sfn[region]
            .start_execution()
            .state_machine_arn(
                &self
                    .deployment
                    .region(&Region::new(region)?)
                    .context("region")?
                    .state_machine_arn,
            )
            .name(name)
            .input(input.to_string())
            .send()
            .await?;
        Ok(started.execution_arn().to_owned())
    }

    /// The bridge's history of the execution `arn`: `status`, `error`,
    /// `cause`, `millis` and `events`.
    pub async fn history(&self, arn: &str) -> Result<Value> {
        Ok(self
            .http
            .get(format!("{}/__bridge/history", self.bridge.url()))
            .query(&[("executionArn", arn)])
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?)
    }

    /// Waits until the execution `arn` ends (polling DescribeExecution, on
    /// the wall clock).
    pub async fn finished(&self, arn: &str) -> Result<Finished> {
        let region = arn.split(':').nth(3).context("an execution ARN")?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let described = self.sfn[region]
                .describe_execution()
                .execution_arn(arn)
                .send()
                .await?;
            if described.status() != &ExecutionStatus::Running {
                let history = self.history(arn).await?;
                return Ok(Finished {
                    arn: arn.to_owned(),
                    status: described.status().clone(),
                    events: history["events"].as_array().cloned().unwrap_or_default(),
                    millis: history["millis"].as_f64().unwrap_or_default(),
                });
            }
            if tokio::time::Instant::now() > deadline {
                bail!("{arn} did not finish within 90 s");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What Route 53 says now.
    pub async fn active_view(&self) -> Result<multiregion_core::ActiveView> {
        Ok(
            multiregion_core::dns::read_active(&self.route53, &self.pair)
                .await?
                .1,
        )
    }

    /// The ledger now.
    pub async fn ledger(&self) -> Result<Ledger> {
        self.active_view()
            .await?
            .last_swap()
            .cloned()
            .context("no ledger")
    }

    /// The notifications published to `region`'s topic so far (the JSON
    /// messages, read through the topic's SQS subscriber).
    pub async fn notifications(&self, region: &str) -> Result<Vec<Value>> {
        apparatus::received(self.bench.moto_url(), region, &self.queues[region]).await
    }

    /// The proxy's log.
    pub fn aws_log(&self) -> Vec<LogEntry> {
        self.bench.proxy().log()
    }

    /// The bridge's log of Step Functions calls and Lambda invocations.
    pub async fn bridge_calls(&self) -> Result<Vec<Value>> {
        Ok(self
            .http
            .get(format!("{}/__bridge/calls", self.bridge.url()))
            .send()
            .await?
            .json()
            .await?)
    }

    /// Lines a function's bootstrap logged (JSON), for timings.
    pub fn function_logs(&self, region: &str, component: Component) -> Vec<Value> {
        std::fs::read_to_string(
            self.dir
                .join(format!("{region}-{}.log", component.as_str())),
        )
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
    }

    /// The directory of this run's logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// What each region contributes to a [`Runtime`].
#[derive(Default)]
struct Parts {
    queues: HashMap<String, String>,
    sfn: HashMap<String, aws_sdk_sfn::Client>,
    cloudwatch: HashMap<String, aws_sdk_cloudwatch::Client>,
}

/// Starts one Lambda emulator per region and the Step Functions bridge.
async fn processes(
    bench: &Bench,
    dir: &Path,
    names: &Names,
) -> Result<(HashMap<String, Emulator>, Bridge)> {
    let emulators = HashMap::from([
        (EAST.to_owned(), Emulator::start(dir, EAST, names).await?),
        (WEST.to_owned(), Emulator::start(dir, WEST, names).await?),
    ]);
    // Step Functions invokes through the proxy, which sends each call to
    // its region's emulator: regional faults and the log cover it.
    let lambda: HashMap<&str, String> = emulators
        .keys()
        .map(|r| (r.as_str(), bench.endpoint_url()))
        .collect();
    let mut config = serde_json::json!({ "lambda": lambda, "account": ACCOUNT });
    if bench.clock().is_virtual() {
        config["clock"] = format!("{}/__bench", bench.endpoint_url()).into();
    }
    let bridge = Bridge::start(dir, &config).await?;
    Ok((emulators, bridge))
}

/// A Step Functions client of the bridge, signed as `sdk` says.
fn bridge_client(sdk: &aws_config::SdkConfig, bridge: &Bridge) -> aws_sdk_sfn::Client {
    aws_sdk_sfn::Client::from_conf(
        aws_sdk_sfn::config::Builder::from(sdk)
            .endpoint_url(bridge.url())
            .build(),
    )
}

/// The state names every test refers to.
pub use multiregion_core::statemachine::states as state;

/// Checks that every deployed function runs the package's bootstrap as the
/// handler the harness attaches it as (its handler setting names its
/// component), in every region of `deployment`.
async fn deployed_handlers(bench: &Bench, deployment: &Deployment, names: &Names) -> Result<()> {
    for deployed in &deployment.regions {
        let region = deployed.region.as_str();
        let lambda = aws_sdk_lambda::Client::new(&core_support::sdk(bench, region, "setup").await);
        for component in Component::ALL {
            let function = names.function(component);
            let configuration = lambda
                .get_function_configuration()
                .function_name(&function)
                .send()
                .await
                .with_context(|| format!("reading {function} in {region}"))?;
            if configuration.handler() != Some(component.as_str()) {
                bail!(
                    "{function} in {region} has the handler {:?}; the bootstrap would not run the {} there",
                    configuration.handler(),
                    component.as_str()
                );
            }
        }
    }
    Ok(())
}
