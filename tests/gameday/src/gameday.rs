//! The game day: the failover runtime on the bench's virtual clock.
//!
//! Everything real runs as it does in the runtime tests (AWS state in moto
//! behind the proxy, the shipped handler binaries under the Lambda emulator,
//! the generated state machine in aws-local-stepfunctions); the harness
//! plays only what the emulator lacks, one module each: the pinger's
//! schedule ([`crate::schedule`]), Lambda's asynchronous invocation and
//! metrics ([`crate::lambda`]), the alarm's evaluation ([`crate::alarm`]),
//! SNS's delivery to the kicker ([`crate::sns`]); Route 53 propagation and
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
use crate::sns::{self, Delivery};
use crate::timeline::{Kind, Timeline};

/// The access key EventBridge's invocations are signed with.
pub const EVENTS_KEY: &str = "AKIDEVENTBRIDGE";
/// The access key SNS's deliveries are signed with.
pub const SNS_KEY: &str = "AKIDSNS";
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
    Deliver(Delivery),
    /// Lambda's own retry of an asynchronous invocation whose function
    /// failed.
    Retry(Queued),
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
    /// For the kicker: when SNS published the message, and its failed
    /// deliveries before Lambda accepted it.
    published: EpochMs,
    failures: u32,
}

/// A kicker's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kicked {
    /// When.
    pub at: EpochMs,
    /// The kicker's region.
    pub region: String,
    /// Its decision (`started`, `own_region_active`, `cooldown`, ...).
    pub decision: String,
    /// Why.
    pub detail: String,
    /// The execution started or found.
    pub execution: Option<String>,
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
    pub(crate) outages: HashMap<String, Outage>,
    pub(crate) client: Prober,
    pub(crate) watch: Option<Watch>,
    /// Answers the client got (each ran a ponger).
    pub client_answers: usize,
    pinging: HashMap<String, Option<Kind>>,
    /// What happened.
    pub timeline: Timeline,
    /// Every kicker decision.
    pub kicks: Vec<Kicked>,
    /// Deliver every notification twice ([`sns`]: standard topics deliver
    /// at least once).
    pub duplicate_deliveries: bool,
    /// The pinger's asynchronous invocation configuration.
    pub pinger_async: lambda::AsyncConfig,
    /// The kicker's asynchronous invocation configuration.
    pub kicker_async: lambda::AsyncConfig,
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
                aws_sdk_sns::Client::new(&sdk(SNS_KEY).await),
            );
            let rule = runtime.names.schedule_rule();
            schedules.insert(
                region.clone(),
                schedule::read(bench, &region, &rule, phase_ms).await?,
            );
        }
        let client = Prober::new(ProbeSettings {
            health_path: runtime.deployment.health_path.clone(),
            timeout: Duration::from_secs(2),
            resolver: Resolver::TestService {
                url: bench.resolver_url_for("client"),
            },
            trust: Trust::TestCa {
                pem: bench.ca_path().to_owned(),
            },
        })?;
        let lambda = Lambda::new(bench.endpoint_url(), runtime.names.clone(), metrics);
        let mut game = GameDay {
            actor,
            lambda,
            schedules,
            agenda: BTreeMap::new(),
            seq: 0,
            cloudwatch,
            sns,
            outages: HashMap::new(),
            client,
            watch: None,
            client_answers: 0,
            pinging: HashMap::new(),
            timeline: Timeline {
                origin: now,
                ..Timeline::default()
            },
            kicks: Vec::new(),
            duplicate_deliveries: false,
            pinger_async: lambda::PINGER,
            kicker_async: lambda::KICKER,
            runtime,
        };
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

    /// Starts a game day ([`GameDay::start`]) and lets it settle: a fresh
    /// deployment's alarms fire once on missing data (no pinger has run yet)
    /// and the kickers refuse (the active region answers); after five
    /// minutes both alarms are OK again.
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
                self.run_queued(Queued {
                    region,
                    component: Component::Pinger,
                    event,
                    attempt: 0,
                    accepted: now,
                    published: now,
                    failures: 0,
                })
                .await?;
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
            Agenda::Deliver(delivery) => self.deliver(delivery, now).await?,
            Agenda::Retry(queued) => self.run_queued(queued).await?,
            Agenda::ClientProbe => self.client_probe(now).await,
        }
        Ok(())
    }

    /// Runs an event from Lambda's asynchronous queue: EventBridge's tick of
    /// the pinger, SNS's notification to the kicker, or Lambda's retry of
    /// either. A function error is retried per the function's
    /// [`lambda::AsyncConfig`]: one minute before the first retry, two
    /// before the second (as Lambda documents), and never once the event is
    /// older than `MaximumEventAgeInSeconds`.
    async fn run_queued(&mut self, queued: Queued) -> Result<()> {
        let now = self.now();
        let (caller, key, config) = match queued.component {
            Component::Kicker => ("sns", SNS_KEY, self.kicker_async),
            _ => ("events", EVENTS_KEY, self.pinger_async),
        };
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
        match queued.component {
            Component::Kicker => self.kicked(&queued, outcome, now),
            _ => self.pinged(&queued.region, outcome, now),
        }
        Ok(())
    }

    /// The timeline notes when a region's pinger starts failing or cannot
    /// run (EventBridge's target does not retry a refused tick), not every
    /// failed minute.
    fn pinged(&mut self, region: &str, outcome: Outcome, now: EpochMs) {
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
        // CloudWatch's action: the notification to each AlarmActions topic.
        let from = transition
            .from
            .as_ref()
            .map_or("INSUFFICIENT_DATA", |s| s.as_str());
        let message = sns::alarm_message(alarm, region, ACCOUNT, from);
        let subject = format!("ALARM: \"{name}\" in {region}");
        for topic in alarm.alarm_actions() {
            let message_id = format!("{:08x}-alarm-{region}-{now}", self.seq);
            for (subscription, function_arn) in
                sns::lambda_subscriptions(&self.sns[region], topic).await?
            {
                let delivery = Delivery {
                    region: function_arn.split(':').nth(3).unwrap_or(region).to_owned(),
                    event: sns::lambda_event(
                        topic,
                        &subscription,
                        &message_id,
                        &subject,
                        &message,
                        now,
                    ),
                    function_arn,
                    published: now,
                    failures: 0,
                };
                if self.duplicate_deliveries {
                    self.plan(now, Agenda::Deliver(delivery.clone()));
                }
                self.plan(now, Agenda::Deliver(delivery));
            }
        }
        Ok(())
    }

    /// One SNS delivery attempt to the kicker: Lambda accepts the event
    /// unless the region's Lambda refuses, and SNS then retries per its
    /// delivery policy.
    async fn deliver(&mut self, mut delivery: Delivery, now: EpochMs) -> Result<()> {
        let kicker = self.runtime.names.function(Component::Kicker);
        if !delivery
            .function_arn
            .ends_with(&format!(":function:{kicker}"))
        {
            bail!(
                "SNS delivers to {}, which is not the kicker",
                delivery.function_arn
            );
        }
        let queued = Queued {
            region: delivery.region.clone(),
            component: Component::Kicker,
            event: delivery.event.clone(),
            attempt: 0,
            accepted: now,
            published: delivery.published,
            failures: delivery.failures,
        };
        let before = self.lambda.invocations.len();
        self.run_queued(queued).await?;
        let refused = self.lambda.invocations[before..]
            .iter()
            .find_map(|i| match &i.outcome {
                Outcome::ServiceError { detail } => Some(detail.clone()),
                _ => None,
            });
        let Some(detail) = refused else {
            return Ok(());
        };
        delivery.failures += 1;
        let retry = sns::retry_delay_ms(delivery.failures);
        if delivery.failures == 1 || retry.is_none() {
            let next = match retry {
                Some(_) => {
                    "SNS retries (3 at once, 2 at 1 s, 10 backing off to 20 s, then every 20 s for 23 days)"
                }
                None => "SNS gives up",
            };
            self.timeline.add(
                now,
                Kind::DeliveryFailed,
                &delivery.region,
                format!("{detail}; {next}"),
            );
        }
        if let Some(ms) = retry {
            self.plan(now + ms, Agenda::Deliver(delivery));
        }
        Ok(())
    }

    /// Notes what the kicker decided.
    fn kicked(&mut self, queued: &Queued, outcome: Outcome, now: EpochMs) {
        let region = &queued.region;
        match outcome {
            Outcome::ServiceError { .. } => {}
            Outcome::FunctionError { kind, message } => {
                self.timeline.add(
                    now,
                    Kind::Kick,
                    region,
                    format!("kicker failed: {kind}: {message}"),
                );
            }
            Outcome::Returned { value } => {
                for kick in value.as_array().into_iter().flatten() {
                    let kicked = Kicked {
                        at: now,
                        region: region.clone(),
                        decision: kick["decision"].as_str().unwrap_or_default().to_owned(),
                        detail: kick["detail"].as_str().unwrap_or_default().to_owned(),
                        execution: kick["execution"].as_str().map(str::to_owned),
                    };
                    let age = (now - queued.published) / 1000;
                    self.timeline.add(
                        now,
                        Kind::Kick,
                        region,
                        format!(
                            "{}: {} (notification {age} s old, {} failed deliveries before)",
                            kicked.decision, kicked.detail, queued.failures
                        ),
                    );
                    self.kicks.push(kicked);
                }
            }
        }
    }

    /// Runs one virtual second at a time until a kicker starts an execution,
    /// for at most `within`; returns when it did.
    pub async fn run_until_kicked(&mut self, within: Duration) -> Result<EpochMs> {
        let before = self.started().len();
        let deadline = self.now() + within.as_millis() as EpochMs;
        while self.now() < deadline {
            self.run_for(Duration::from_secs(1)).await?;
            if let Some(kick) = self.started().get(before) {
                return Ok(kick.at);
            }
        }
        bail!("no kick within {within:?}")
    }

    /// The decisions of the kickers so far that started an execution.
    pub fn started(&self) -> Vec<&Kicked> {
        self.kicks
            .iter()
            .filter(|k| k.decision == "started")
            .collect()
    }
}
