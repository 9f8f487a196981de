//! The game day: the failover runtime on the bench's virtual clock.
//!
//! Everything real runs as it does in the runtime tests (AWS state in moto
//! behind the proxy, the shipped handler binaries under the Lambda emulator,
//! the generated state machine in aws-local-stepfunctions); the harness
//! plays only what the emulator lacks, one module each: the pinger's
//! schedule ([`crate::schedule`]) and, below a minute, its relay through
//! SQS ([`relay`]), Lambda's asynchronous invocation and
//! metrics ([`crate::lambda`]), the paging alarm's evaluation and its
//! notification ([`crate::alarm`]); Route 53 propagation and
//! the DNS TTL are the bench's, set from the documented figures
//! ([`crate::runtime::Options::virtual_at`]).
//!
//! The harness is one actor of the virtual clock: it keeps an agenda of what
//! AWS would do and when, sleeps on the clock until the next item, and does
//! it. Running executions are actors too; the clock moves only when all of
//! them wait, so times do not depend on the machine's speed.
//!
//! Outages are injected at the network edge only ([`crate::outage`]).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use multiregion_bench::clock::{Actor, EpochMs};
use multiregion_core::naming::Component;
use multiregion_core::probe::{ProbeSettings, Prober, Resolver, Trust};
use serde_json::Value;

use crate::alarm::{self, EVALUATION_INTERVAL_MS};
use crate::lambda::{self, LAMBDA_SERVICE_KEY, Lambda, Outcome};
use crate::outage::{Outage, Watch};
use crate::runtime::{ACCOUNT, Options, Runtime};
use crate::schedule::{self, Schedule};
use crate::timeline::{Kind, Timeline};

#[path = "relay.rs"]
pub mod relay;

/// The access key EventBridge's invocations are signed with.
pub const EVENTS_KEY: &str = "AKIDEVENTBRIDGE";
/// The access key CloudWatch's own calls (the evaluation) are signed with.
pub const CLOUDWATCH_KEY: &str = "AKIDCLOUDWATCH";
/// Real time the harness waits for the clock before calling an actor stuck.
const STUCK: Duration = Duration::from_secs(90);

#[derive(Debug, Clone)]
pub(crate) enum Agenda {
    Tick {
        region: String,
    },
    Evaluate {
        region: String,
    },
    /// Lambda's own retry of an asynchronous invocation whose function
    /// failed.
    Retry(Queued),
    /// A relayed tick, due from its queue ([`relay`]).
    Relayed(relay::Delivery),
    ClientProbe,
}

/// An event in Lambda's asynchronous queue.
#[derive(Debug, Clone)]
pub(crate) struct Queued {
    region: String,
    component: Component,
    event: Value,
    /// Retries so far.
    attempt: u32,
    /// When Lambda accepted the event.
    accepted: EpochMs,
}

/// A pinger's failed tick that named a failover: it started it (or found
/// the same tick's start), or found it running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    /// When.
    pub at: EpochMs,
    /// The pinger's region.
    pub region: String,
    /// The execution.
    pub execution: String,
    /// Started (or the same tick's); `false`: found running.
    pub started: bool,
}

/// A page: the paging alarm's notification, as CloudWatch publishes it to
/// the region's notification topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// When.
    pub at: EpochMs,
    /// The alarm's region.
    pub region: String,
    /// The topic.
    pub topic: String,
}

/// A game day in progress.
#[derive(Debug)]
pub struct GameDay {
    /// The runtime.
    pub runtime: Runtime,
    actor: Actor,
    /// Lambda as the harness plays it.
    pub lambda: Lambda,
    schedules: BTreeMap<String, Schedule>,
    agenda: BTreeMap<(EpochMs, u64), Agenda>,
    seq: u64,
    cloudwatch: HashMap<String, aws_sdk_cloudwatch::Client>,
    sns: HashMap<String, aws_sdk_sns::Client>,
    lambda_api: HashMap<String, aws_sdk_lambda::Client>,
    pub(crate) outages: HashMap<String, Outage>,
    pub(crate) client: Prober,
    pub(crate) watch: Option<Watch>,
    /// Answers the clients got (each ran a ponger).
    pub client_answers: usize,
    /// New clients made so far.
    pub(crate) new_clients: u64,
    pinging: HashMap<String, Option<Kind>>,
    /// What happened.
    pub timeline: Timeline,
    /// Every failed tick that named a failover.
    pub starts: Vec<Started>,
    /// Every page.
    pub pages: Vec<Page>,
    /// Deliver every tick twice (EventBridge delivers at least once).
    pub duplicate_ticks: bool,
    /// The pinger's asynchronous invocation configuration, per region, as
    /// deployed.
    pub pinger_async: HashMap<String, lambda::AsyncConfig>,
    /// The tick queue of each region that has one (sub-minute intervals).
    tick_queues: HashMap<String, relay::TickQueue>,
}

impl GameDay {
    /// Starts the runtime with `options` (a virtual clock) and the harness;
    /// ticks fire `phase_ms` into their minute.
    pub async fn start(options: Options, phase_ms: EpochMs) -> Result<GameDay> {
        if options.virtual_start.is_none() {
            bail!("a game day runs on the virtual clock");
        }
        GameDay::on(Runtime::start_with(options).await?, phase_ms).await
    }

    /// A game day on what `terraform apply` deployed on `bench` (a virtual
    /// clock) for the resource named `name`, a region of which is `region`
    /// ([`Runtime::attach`]); ticks fire `phase_ms` into their minute.
    pub async fn attach(
        bench: multiregion_bench::Bench,
        options: Options,
        name: &str,
        region: &str,
        phase_ms: EpochMs,
    ) -> Result<GameDay> {
        if !bench.clock().is_virtual() {
            bail!("a game day runs on the virtual clock");
        }
        GameDay::on(
            Runtime::attach(bench, options, name, region).await?,
            phase_ms,
        )
        .await
    }

    /// Runs the harness on `runtime`.
    async fn on(runtime: Runtime, phase_ms: EpochMs) -> Result<GameDay> {
        let bench = &runtime.bench;
        let actor = bench.clock().actor();
        let now = bench.clock().now_ms();
        let mut cloudwatch = HashMap::new();
        let mut metrics = HashMap::new();
        let mut sns = HashMap::new();
        let mut lambda_api = HashMap::new();
        let mut schedules = BTreeMap::new();
        for endpoints in &runtime.pair.regions {
            let region = endpoints.region.as_str().to_owned();
            let sdk = |key: &'static str| multiregion_bench::seed::sdk_config(bench, &region, key);
            cloudwatch.insert(
                region.clone(),
                aws_sdk_cloudwatch::Client::new(&sdk(CLOUDWATCH_KEY).await),
            );
            metrics.insert(
                region.clone(),
                aws_sdk_cloudwatch::Client::new(&sdk(LAMBDA_SERVICE_KEY).await),
            );
            sns.insert(
                region.clone(),
                aws_sdk_sns::Client::new(&sdk(CLOUDWATCH_KEY).await),
            );
            lambda_api.insert(
                region.clone(),
                aws_sdk_lambda::Client::new(&sdk("setup").await),
            );
            let rule = runtime.names.schedule_rule();
            schedules.insert(
                region.clone(),
                schedule::read(bench, &region, &rule, phase_ms).await?,
            );
        }
        let client = client(&runtime, "client")?;
        let lambda = Lambda::new(bench.endpoint_url(), runtime.names.clone(), metrics);
        let mut game = GameDay {
            actor,
            lambda,
            schedules,
            agenda: BTreeMap::new(),
            seq: 0,
            cloudwatch,
            sns,
            lambda_api,
            outages: HashMap::new(),
            client,
            watch: None,
            client_answers: 0,
            new_clients: 0,
            pinging: HashMap::new(),
            timeline: Timeline {
                origin: now,
                ..Timeline::default()
            },
            starts: Vec::new(),
            pages: Vec::new(),
            duplicate_ticks: false,
            pinger_async: HashMap::new(),
            tick_queues: HashMap::new(),
            runtime,
        };
        for deployed in game.runtime.deployment.regions.clone() {
            let region = deployed.region.as_str();
            let url = deployed.tick_queue_url.as_deref();
            if let Some(queue) = relay::read(&game.runtime.bench, region, url).await? {
                game.tick_queues.insert(region.to_owned(), queue);
            }
        }
        for region in game.schedules.keys().cloned().collect::<Vec<_>>() {
            let config = game.deployed_async_config(&region).await?;
            game.pinger_async.insert(region, config);
        }
        let first_evaluation = (now / EVALUATION_INTERVAL_MS + 1) * EVALUATION_INTERVAL_MS;
        for (region, schedule) in game.schedules.clone() {
            game.plan(
                schedule.first_after(now),
                Agenda::Tick {
                    region: region.clone(),
                },
            );
            game.plan(first_evaluation, Agenda::Evaluate { region });
        }
        Ok(game)
    }

    /// Starts a game day ([`GameDay::start`]) and lets it settle for five
    /// minutes: every pinger has run and armed its alarm.
    pub async fn settled(options: Options) -> Result<GameDay> {
        let mut game = GameDay::start(options, 0).await?;
        game.run_for(Duration::from_secs(300)).await?;
        Ok(game)
    }

    /// The default failover: a settled game day, then `region`'s data plane
    /// goes down just after a tick of its pinger (the worst case for
    /// detection), and the game runs `for_` more. Returns when the outage
    /// began.
    pub async fn active_region_down(&mut self, region: &str, for_: Duration) -> Result<EpochMs> {
        let outage = self.next_tick(region).context("no tick planned")? + 500;
        self.run_until(outage).await?;
        self.outage(region, Outage::data_plane()).await?;
        self.run_for(for_).await?;
        Ok(outage)
    }

    /// The next tick of `region`'s pinger after now.
    pub fn next_tick(&self, region: &str) -> Option<EpochMs> {
        self.agenda.iter().find_map(|((at, _), item)| match item {
            Agenda::Tick { region: r } if r == region => Some(*at),
            _ => None,
        })
    }

    /// Ends the game day: the harness leaves the clock and the runtime's
    /// processes stop; the bench (and what AWS holds) stays.
    pub fn stop(self) -> multiregion_bench::Bench {
        self.runtime.stop()
    }

    /// Now, on the virtual clock.
    pub fn now(&self) -> EpochMs {
        self.runtime.bench.clock().now_ms()
    }

    pub(crate) fn plan(&mut self, at: EpochMs, item: Agenda) {
        self.seq += 1;
        self.agenda.insert((at, self.seq), item);
    }

    async fn sleep_until(&self, at: EpochMs) -> Result<()> {
        tokio::time::timeout(STUCK, self.actor.sleep_until(at))
            .await
            .with_context(|| {
                format!("the clock did not reach {at} within {STUCK:?}: an execution is stuck")
            })?;
        Ok(())
    }

    /// Runs everything until `until` (virtual ms since the epoch).
    pub async fn run_until(&mut self, until: EpochMs) -> Result<()> {
        while let Some(entry) = self.agenda.first_entry() {
            if entry.key().0 > until {
                break;
            }
            let ((at, _), item) = entry.remove_entry();
            self.sleep_until(at).await?;
            self.handle(item).await?;
        }
        self.sleep_until(until).await
    }

    /// Runs the game alongside `work` (a Terraform command, say) until it
    /// ends: the virtual clock moves `speed` times as fast as the wall clock
    /// meanwhile, one virtual second at a time, so the runtime keeps running
    /// while `work` waits on it (Route 53's INSYNC, for one).
    pub async fn alongside<T>(
        &mut self,
        work: impl std::future::Future<Output = T>,
        speed: u32,
    ) -> Result<T> {
        let step = Duration::from_secs(1);
        let real = step / speed.max(1);
        tokio::pin!(work);
        loop {
            // A step is never cut short: an item of the agenda is done whole.
            self.run_for(step).await?;
            tokio::select! {
                done = &mut work => return Ok(done),
                () = tokio::time::sleep(real) => {}
            }
        }
    }

    /// Runs everything for `duration` of virtual time.
    pub async fn run_for(&mut self, duration: Duration) -> Result<()> {
        let until = self.now() + duration.as_millis() as EpochMs;
        self.run_until(until).await
    }

    async fn handle(&mut self, item: Agenda) -> Result<()> {
        let now = self.now();
        match item {
            Agenda::Tick { region } => {
                let schedule = self.schedules[&region].clone();
                self.plan(
                    now + schedule.rate_ms,
                    Agenda::Tick {
                        region: region.clone(),
                    },
                );
                let event = schedule.event(now, &region, ACCOUNT);
                let queued = Queued {
                    region,
                    component: Component::Pinger,
                    event,
                    attempt: 0,
                    accepted: now,
                };
                if self.duplicate_ticks {
                    self.run_queued(queued.clone()).await?;
                }
                self.run_queued(queued).await?;
            }
            Agenda::Evaluate { region } => {
                self.plan(
                    now + EVALUATION_INTERVAL_MS,
                    Agenda::Evaluate {
                        region: region.clone(),
                    },
                );
                self.lambda.publish_metrics(now).await?;
                self.evaluate(&region, now).await?;
            }
            Agenda::Retry(queued) => self.run_queued(queued).await?,
            Agenda::Relayed(delivery) => self.deliver(delivery).await?,
            Agenda::ClientProbe => self.client_probe(now).await,
        }
        self.take_relayed();
        Ok(())
    }

    /// The pinger's event-invoke configuration in `region`, read from what
    /// was deployed (Lambda's defaults when there is none: two retries, six
    /// hours).
    async fn deployed_async_config(&self, region: &str) -> Result<lambda::AsyncConfig> {
        let function = self.runtime.names.function(Component::Pinger);
        let client = &self.lambda_api[region];
        if client
            .get_function()
            .function_name(&function)
            .send()
            .await
            .is_err()
        {
            // The runtime's own set-up (not an apply) deploys no function
            // to AWS; it stands for the provider, whose setting this is.
            return Ok(lambda::PINGER);
        }
        let found = client
            .get_function_event_invoke_config()
            .function_name(&function)
            .send()
            .await;
        match found {
            Ok(config) => Ok(lambda::AsyncConfig {
                max_event_age: Duration::from_secs(
                    config.maximum_event_age_in_seconds().unwrap_or(21_600) as u64,
                ),
                max_retry_attempts: config.maximum_retry_attempts().unwrap_or(2) as u32,
            }),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_resource_not_found_exception()) =>
            {
                Ok(lambda::DEFAULT_ASYNC)
            }
            Err(e) => Err(e).with_context(|| format!("reading {function}'s event invoke config")),
        }
    }

    /// Runs an event from Lambda's asynchronous queue: EventBridge's tick of
    /// the pinger, or Lambda's retry of it. A function error is retried per
    /// the function's deployed [`lambda::AsyncConfig`]: one minute before the
    /// first retry, two before the second (as Lambda documents), and never
    /// once the event is older than `MaximumEventAgeInSeconds`.
    async fn run_queued(&mut self, queued: Queued) -> Result<()> {
        let now = self.now();
        let (caller, key, config) = ("events", EVENTS_KEY, self.pinger_async[&queued.region]);
        let outcome = self
            .lambda
            .invoke(
                &queued.region,
                queued.component,
                caller,
                key,
                &queued.event,
                now,
            )
            .await?;
        if let Outcome::FunctionError { .. } = &outcome {
            let delay = 60_000 * EpochMs::from(queued.attempt + 1);
            let age = now + delay - queued.accepted;
            if queued.attempt < config.max_retry_attempts
                && age <= config.max_event_age.as_millis() as EpochMs
            {
                let retry = Queued {
                    attempt: queued.attempt + 1,
                    ..queued.clone()
                };
                self.plan(now + delay, Agenda::Retry(retry));
            }
        }
        self.pinged(&queued.region, outcome, now);
        Ok(())
    }

    /// The timeline notes when a region's pinger starts failing or cannot
    /// run (EventBridge's target does not retry a refused tick), not every
    /// failed minute.
    fn pinged(&mut self, region: &str, outcome: Outcome, now: EpochMs) {
        if let Outcome::FunctionError { message, .. } = &outcome
            && let Some(execution) = named_execution(message)
        {
            self.starts.push(Started {
                at: now,
                region: region.to_owned(),
                execution,
                started: message.contains("started the failover "),
            });
        }
        let (kind, detail) = match outcome {
            Outcome::ServiceError { detail } => (Some(Kind::PingerRefused), detail),
            Outcome::FunctionError { kind, message } => {
                (Some(Kind::ProbeFailed), format!("{kind}: {message}"))
            }
            Outcome::Returned { .. } => (None, String::new()),
        };
        if self.pinging.get(region) != Some(&kind) {
            if let Some(kind) = kind {
                self.timeline.add(now, kind, region, detail);
            }
            self.pinging.insert(region.to_owned(), kind);
        }
    }

    async fn evaluate(&mut self, region: &str, now: EpochMs) -> Result<()> {
        let name = self.runtime.names.alarm();
        let transition = match alarm::evaluate(&self.cloudwatch[region], &name, now).await {
            Ok(transition) => transition,
            // A region whose CloudWatch is down evaluates nothing.
            Err(error) if self.outages.get(region).is_some_and(|o| o.aws) => {
                tracing::info!(%region, %error, "CloudWatch is down: no evaluation");
                None
            }
            Err(error) => return Err(error),
        };
        let Some(transition) = transition else {
            return Ok(());
        };
        let to = transition.to.as_str().to_owned();
        let window: Vec<String> = transition
            .window
            .iter()
            .map(|p| p.value.map_or("missing".to_owned(), |v| v.to_string()))
            .collect();
        let kind = if to == "ALARM" {
            Kind::Alarm
        } else {
            Kind::AlarmOk
        };
        self.timeline.add(
            now,
            kind,
            region,
            format!("{to} (Errors per period: {})", window.join(", ")),
        );
        let alarm = &transition.alarm;
        if to != "ALARM" || alarm.actions_enabled() != Some(true) {
            return Ok(());
        }
        // CloudWatch's action: the notification to each AlarmActions topic
        // (the region's notification topic), signed as CloudWatch.
        for topic in alarm.alarm_actions() {
            let from = transition
                .from
                .as_ref()
                .map_or("INSUFFICIENT_DATA", |s| s.as_str());
            let message = alarm::notification(alarm, region, ACCOUNT, from);
            self.sns[region]
                .publish()
                .topic_arn(topic)
                .subject(format!("ALARM: \"{name}\" in {region}"))
                .message(message.to_string())
                .send()
                .await
                .with_context(|| format!("CloudWatch publishing to {topic}"))?;
            self.timeline.add(now, Kind::Paged, region, topic.clone());
            self.pages.push(Page {
                at: now,
                region: region.to_owned(),
                topic: topic.clone(),
            });
        }
        Ok(())
    }

    /// A client through the resolver `resolver`.
    pub(crate) fn client_with(&self, resolver: &str) -> Result<Prober> {
        client(&self.runtime, resolver)
    }

    /// Runs one virtual second at a time until a pinger starts an
    /// execution, for at most `within`; returns when it did.
    pub async fn run_until_started(&mut self, within: Duration) -> Result<EpochMs> {
        let before = self.started().len();
        let deadline = self.now() + within.as_millis() as EpochMs;
        while self.now() < deadline {
            self.run_for(Duration::from_secs(1)).await?;
            if let Some(start) = self.started().get(before) {
                return Ok(start.at);
            }
        }
        bail!("no start within {within:?}")
    }

    /// The distinct executions the pingers started, first start each.
    pub fn started(&self) -> Vec<&Started> {
        let mut seen = std::collections::HashSet::new();
        self.starts
            .iter()
            .filter(|s| s.started && seen.insert(s.execution.clone()))
            .collect()
    }
}

/// A client outside AWS probing through the bench's resolver `resolver`
/// (each resolver has its own cache).
fn client(runtime: &Runtime, resolver: &str) -> Result<Prober> {
    Ok(Prober::new(ProbeSettings {
        health_path: runtime.deployment.health_path.clone(),
        timeout: Duration::from_secs(2),
        resolver: Resolver::TestService {
            url: runtime.bench.resolver_url_for(resolver),
        },
        trust: Trust::TestCa {
            pem: runtime.bench.ca_path().to_owned(),
        },
    })?)
}

/// The execution a failed pinger names ("started the failover <arn>", "the
/// failover <arn> is running").
fn named_execution(message: &str) -> Option<String> {
    let rest = message.split("the failover ").nth(1)?;
    Some(
        rest.split_whitespace()
            .next()?
            .trim_end_matches([';', ','])
            .to_owned(),
    )
}
