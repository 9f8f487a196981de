//! The failover runtime, running for real on 127.0.0.1:
//!
//! - AWS: moto behind the bench's proxy (Route 53 fidelity, faults, log);
//! - the data plane: the bench's per-region fronts;
//! - Lambda: one cargo-lambda emulator per region (`--only-lambda-apis`),
//!   with the SHIPPED bootstraps from the package's zips attached, each with
//!   its region's `AWS_REGION` and access key;
//! - Step Functions: `tests/sfn/bridge.mjs` (aws-local-stepfunctions), whose
//!   Tasks invoke the emulators;
//! - notifications: each region's topic in moto, subscribed by an SQS queue.
#![allow(dead_code, unused_imports)]

#[path = "../../../core/tests/support/mod.rs"]
pub mod core_support;
pub mod processes;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use aws_sdk_sfn::types::ExecutionStatus;
use multiregion_bench::{Bench, LogEntry};
use multiregion_core::aws::{AwsSettings, route53_client_from};
use multiregion_core::deployment::{CONTRACT_VERSION, DeployedRegion, Deployment, Target};
use multiregion_core::naming::{Component, Names};
use multiregion_core::statemachine::{Timing, definition_json};
use multiregion_core::{Ledger, Pair, Reason, Region, RetryPolicy, SwapRequest};
use serde_json::Value;

pub use core_support::{ACTIVE_NAME, EAST, STANDBY_NAME, WEST};
use processes::{Bridge, Emulator, Package};

pub const ACCOUNT: &str = "123456789012";
pub const NAME: &str = "orders";

/// The access key a region's functions sign with, so the proxy log and the
/// fault filters can tell the regions apart.
pub fn access_key(region: &str) -> String {
    format!("AKID{}", region.replace('-', "").to_uppercase())
}

/// Everything running for one test.
pub struct Runtime {
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
    /// Starts everything, with `us-east-1` active (ledger generation 1,
    /// written two hours ago, reason `create`).
    pub async fn start() -> Result<Runtime> {
        core_support::init_logs();
        let bench = Bench::start().await?;
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
        let two_hours_ago = epoch_now() - 7200;
        multiregion_core::swap::swap(
            &setup_route53,
            &pair,
            &SwapRequest {
                target: Region::new(EAST)?,
                reason: Reason::Create,
                execution: None,
                epoch: two_hours_ago,
            },
            RetryPolicy::default(),
        )
        .await?;

        let names = Names::new(NAME)?;
        let mut emulators = HashMap::from([
            (EAST.to_owned(), Emulator::start(&dir, EAST, &names).await?),
            (WEST.to_owned(), Emulator::start(&dir, WEST, &names).await?),
        ]);
        let lambda: HashMap<&str, String> = emulators
            .iter()
            .map(|(r, e)| (r.as_str(), e.url()))
            .collect();
        let bridge = Bridge::start(
            &dir,
            &serde_json::json!({ "lambda": lambda, "account": ACCOUNT }),
        )
        .await?;

        let mut regions = Vec::new();
        let mut queues = HashMap::new();
        let mut sfn = HashMap::new();
        let mut cloudwatch = HashMap::new();
        for endpoints in &pair.regions {
            let region = endpoints.region.as_str();
            let sdk = core_support::sdk(&bench, region, "setup").await;
            let client = aws_sdk_sfn::Client::from_conf(
                aws_sdk_sfn::config::Builder::from(&sdk)
                    .endpoint_url(bridge.url())
                    .build(),
            );
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
            let (topic, queue) = notification_topic(&bench, &sdk, region, &names).await?;
            queues.insert(region.to_owned(), queue);
            let watch = aws_sdk_cloudwatch::Client::new(&sdk);
            create_alarm(&watch, &names, true).await?;
            cloudwatch.insert(region.to_owned(), watch);
            sfn.insert(region.to_owned(), client);
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
            probe_timeout_ms: 2000,
            cooldown_seconds: 900,
            notification_max_age_seconds: 600,
            alarm_name: names.alarm(),
            metric_namespace: "Multiregion".into(),
            regions: [first, second],
        };
        deployment.check()?;
        for (region, emulator) in &mut emulators {
            emulator
                .attach_all(&package, &bench, &bridge, &deployment, &names)
                .await?;
            bench
                .fronts()
                .set_lambda_endpoint(region, &emulator.url())
                .await?;
        }
        // Wait states and Retry pauses shortened; Route 53 stays PENDING a while.
        bench
            .proxy()
            .set_route53_propagation(Duration::from_millis(300));
        bridge.shorten_waits().await?;
        bench.proxy().clear_log();
        let route53 = route53_client_from(
            &core_support::sdk(&bench, EAST, "test").await,
            &AwsSettings::default(),
        );
        Ok(Runtime {
            bench,
            pair,
            deployment,
            names,
            bridge,
            emulators,
            queues,
            sfn,
            cloudwatch,
            route53,
            http: reqwest::Client::new(),
            dir,
        })
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

    /// Puts the alarm of `region` into ALARM (as CloudWatch would when the
    /// pinger fails) and returns the SNS event CloudWatch would deliver.
    pub async fn alarm_fires(&self, region: &str) -> Result<Value> {
        let watch = &self.cloudwatch[region];
        watch
            .set_alarm_state()
            .alarm_name(self.names.alarm())
            .state_value(aws_sdk_cloudwatch::types::StateValue::Alarm)
            .state_reason("Threshold Crossed: the pinger failed")
            .send()
            .await?;
        let alarms = watch
            .describe_alarms()
            .alarm_names(self.names.alarm())
            .send()
            .await?;
        let alarm = alarms.metric_alarms().first().context("no alarm")?;
        let changed = alarm.state_updated_timestamp().context("no state time")?;
        let changed = chrono::DateTime::from_timestamp(changed.secs(), changed.subsec_nanos())
            .context("time")?
            .format("%Y-%m-%dT%H:%M:%S%.3f%z")
            .to_string();
        Ok(sns_alarm_event(region, &self.names.alarm(), &changed))
    }

    /// The documented pause, in `region`: the alarm's actions disabled. (moto
    /// lacks DisableAlarmActions, so the alarm is put again with
    /// `ActionsEnabled` false: DescribeAlarms, which the kicker reads,
    /// answers the same.)
    pub async fn pause(&self, region: &str) -> Result<()> {
        create_alarm(&self.cloudwatch[region], &self.names, false).await
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

    /// Waits until the execution `arn` ends (polling DescribeExecution).
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
                let history: Value = self
                    .http
                    .get(format!("{}/__bridge/history", self.bridge.url()))
                    .query(&[("executionArn", arn)])
                    .send()
                    .await?
                    .json()
                    .await?;
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
        let received = sqs(
            self.bench.moto_url(),
            region,
            "ReceiveMessage",
            &serde_json::json!({
                "QueueUrl": self.queues[region],
                "MaxNumberOfMessages": 10,
                "VisibilityTimeout": 0,
            }),
        )
        .await?;
        let mut out = Vec::new();
        for message in received["Messages"].as_array().into_iter().flatten() {
            let envelope: Value =
                serde_json::from_str(message["Body"].as_str().unwrap_or_default())?;
            out.push(serde_json::from_str(
                envelope["Message"].as_str().unwrap_or_default(),
            )?);
        }
        Ok(out)
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

/// The state names every test refers to.
pub use multiregion_core::statemachine::states as state;

fn epoch_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// An SNS event as Lambda receives it, carrying a CloudWatch alarm
/// notification.
pub fn sns_alarm_event(region: &str, alarm: &str, state_change_time: &str) -> Value {
    let message = serde_json::json!({
        "AlarmName": alarm,
        "AlarmDescription": "the active name stopped answering",
        "AWSAccountId": ACCOUNT,
        "NewStateValue": "ALARM",
        "NewStateReason": "Threshold Crossed",
        "StateChangeTime": state_change_time,
        "Region": region,
        "AlarmArn": format!("arn:aws:cloudwatch:{region}:{ACCOUNT}:alarm:{alarm}"),
        "OldStateValue": "OK",
    });
    serde_json::json!({
        "Records": [{
            "EventSource": "aws:sns",
            "EventVersion": "1.0",
            "EventSubscriptionArn": format!("arn:aws:sns:{region}:{ACCOUNT}:mr-orders-alarm:sub"),
            "Sns": {
                "Type": "Notification",
                "MessageId": "95df01b4-ee98-5cb9-9903-4c221d41eb5e",
                "TopicArn": format!("arn:aws:sns:{region}:{ACCOUNT}:mr-orders-alarm"),
                "Subject": format!("ALARM: \"{alarm}\" in {region}"),
                "Message": message.to_string(),
                "Timestamp": "2026-01-01T00:00:00.000Z",
                "SignatureVersion": "1",
                "Signature": "EXAMPLE",
                "SigningCertUrl": "https://sns.example/cert.pem",
                "UnsubscribeUrl": "https://sns.example/unsubscribe",
                "MessageAttributes": {}
            }
        }]
    })
}

/// Creates the notification topic of `region` and an SQS queue subscribed
/// to it; returns (topic ARN, queue URL).
async fn notification_topic(
    bench: &Bench,
    sdk: &aws_config::SdkConfig,
    region: &str,
    names: &Names,
) -> Result<(String, String)> {
    let sns = aws_sdk_sns::Client::new(sdk);
    let topic = sns
        .create_topic()
        .name(names.notification_topic())
        .send()
        .await?;
    let topic = topic.topic_arn().context("no topic ARN")?.to_owned();
    let queue = format!("{}-inbox", names.notification_topic());
    let created = sqs(
        bench.moto_url(),
        region,
        "CreateQueue",
        &serde_json::json!({ "QueueName": queue }),
    )
    .await?;
    let url = created["QueueUrl"]
        .as_str()
        .context("no queue URL")?
        .to_owned();
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(format!("arn:aws:sqs:{region}:{ACCOUNT}:{queue}"))
        .send()
        .await?;
    Ok((topic, url))
}

/// One SQS call (JSON protocol) straight to moto: the test's own reader of
/// the notification topic, not part of what is tested.
async fn sqs(moto: &str, region: &str, operation: &str, body: &Value) -> Result<Value> {
    let response = reqwest::Client::new()
        .post(format!("{moto}/"))
        .header(
            "authorization",
            format!("AWS4-HMAC-SHA256 Credential=reader/20260101/{region}/sqs/aws4_request, SignedHeaders=host, Signature=0"),
        )
        .header("x-amz-target", format!("AmazonSQS.{operation}"))
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .send()
        .await?;
    let status = response.status();
    let text = response.text().await?;
    if !status.is_success() {
        bail!("SQS {operation}: HTTP {status}: {text}");
    }
    Ok(serde_json::from_str(&text)?)
}

/// The alarm on the pinger's errors, as the provider will create it.
async fn create_alarm(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    names: &Names,
    actions_enabled: bool,
) -> Result<()> {
    use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
    cloudwatch
        .put_metric_alarm()
        .alarm_name(names.alarm())
        .namespace("AWS/Lambda")
        .metric_name("Errors")
        .dimensions(
            Dimension::builder()
                .name("FunctionName")
                .value(names.function(Component::Pinger))
                .build(),
        )
        .statistic(Statistic::Sum)
        .period(60)
        .evaluation_periods(2)
        .threshold(1.0)
        .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold)
        .treat_missing_data("breaching")
        .actions_enabled(actions_enabled)
        .send()
        .await?;
    Ok(())
}
