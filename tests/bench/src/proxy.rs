//! The loopback proxy in front of moto: Route 53, API Gateway, Step Functions
//! and CloudWatch fidelity, fault injection, a fixed added latency, and a
//! request log tests assert on.
//!
//! Its `/__bench/...` paths are a small control API for processes outside
//! the test ([`crate::control`]): the log, faults, latency, fronts, the
//! clock, and the resolvers the health probe's test seam asks.
//!
//! Lambda `Invoke` calls go to the region's Lambda emulator when one is set
//! ([`Fronts::set_lambda_endpoint`]), so faults and the log cover them too.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;

use crate::apigateway::headers as http_headers;
use crate::clock::Clock;
use crate::cloudwatch::{AlarmActions, AlarmTimes, account_of};
use crate::dns::Resolvers;
use crate::faults::{Fault, FaultKind, error_response, fault_response};
use crate::fronts::Fronts;
use crate::moto_client::MotoClient;
use crate::quotas::{QuotaSettings, Quotas};
use crate::request::{AwsRequest, identify};
use crate::route53::{
    Route53Fidelity, Verdict, invalid_change_batch, parse_changes, strip_alias_ttls,
};

/// One request the proxy handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    /// Order of arrival.
    pub seq: u64,
    /// Signing name (`route53`, `apigateway`, `monitoring`, ...).
    pub service: String,
    /// Region from the credential scope.
    pub region: String,
    /// Operation name.
    pub operation: String,
    /// Access key id of the caller.
    pub access_key: String,
    /// HTTP status answered.
    pub status: u16,
    /// `ok`, the AWS error code answered, or `fault:<kind>` when the bench
    /// injected it.
    pub outcome: String,
    /// For change batches, the changes (`DELETE A api.example.com`, ...).
    pub detail: Option<String>,
    /// Milliseconds from arrival to answer.
    pub millis: u64,
    /// Milliseconds from the proxy's start to the request's arrival.
    pub started_ms: u64,
}

impl std::fmt::Display for LogEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "#{:<4} {:<10} {:<10} {:<26} {:>3} {:<22} {:>5}ms",
            self.seq,
            self.service,
            self.region,
            self.operation,
            self.status,
            self.outcome,
            self.millis
        )?;
        if let Some(detail) = &self.detail {
            write!(f, "  [{detail}]")?;
        }
        Ok(())
    }
}

#[derive(Debug)]
pub(crate) struct State {
    moto: MotoClient,
    http: reqwest::Client,
    pub(crate) route53: Route53Fidelity,
    pub(crate) fronts: Fronts,
    pub(crate) faults: Mutex<Vec<Fault>>,
    /// Route 53 health checks on CloudWatch alarms, as AWS keeps them.
    pub(crate) alarm_checks: crate::alarm_checks::AlarmChecks,
    pub(crate) latency: Mutex<Duration>,
    pub(crate) log: Mutex<Vec<LogEntry>>,
    seq: AtomicU64,
    epoch: Instant,
    held: tokio::sync::watch::Sender<(usize, u64)>,
    pub(crate) clock: Clock,
    pub(crate) resolvers: Resolvers,
    alarms: AlarmTimes,
    alarm_actions: AlarmActions,
    quotas: Quotas,
    route53_rate: crate::route53_rate::Route53Rate,
    domain_updates: crate::apigateway::DomainUpdates,
    pub(crate) deleting_state_machines: crate::states::Lingering,
    sent_messages: crate::sqs::SentMessages,
    recorder: crate::recording::Recorder,
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The running proxy; stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    address: SocketAddr,
    state: Arc<State>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The connection is closed without an answer.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

pub(crate) type Answer = Response<Full<Bytes>>;

impl Proxy {
    /// Starts the proxy on a free loopback port in front of `moto`, on the
    /// wall clock.
    pub async fn start(moto: MotoClient, fronts: Fronts) -> Result<Proxy> {
        Proxy::start_with_clock(moto, fronts, Clock::wall()).await
    }

    /// Starts the proxy with `clock` driving Route 53 propagation, the
    /// resolvers' TTL and alarm state times.
    pub async fn start_with_clock(moto: MotoClient, fronts: Fronts, clock: Clock) -> Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            route53: Route53Fidelity::new(moto.clone(), clock.clone()),
            resolvers: Resolvers::new(clock.clone()),
            alarms: AlarmTimes::new(clock.clone()),
            alarm_actions: AlarmActions::default(),
            sent_messages: crate::sqs::SentMessages::new(clock.clone()),
            recorder: Default::default(),
            quotas: Quotas::default(),
            route53_rate: Default::default(),
            deleting_state_machines: Default::default(),
            domain_updates: Default::default(),
            clock,
            moto,
            http: reqwest::Client::new(),
            fronts,
            faults: Mutex::default(),
            alarm_checks: Default::default(),
            latency: Mutex::default(),
            log: Mutex::default(),
            seq: AtomicU64::new(0),
            epoch: Instant::now(),
            held: tokio::sync::watch::channel((0, 0)).0,
        });
        let serving = state.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let state = serving.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |request| {
                        let state = state.clone();
                        async move { handle(&state, request).await }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(tcp), service)
                        .await;
                });
            }
        });
        Ok(Proxy {
            address,
            state,
            task,
        })
    }

    /// Starts recording what clients ask ([`crate::recording`]): from now
    /// on the proxy handles one request at a time.
    pub fn start_recording(&self) {
        self.state.recorder.start();
    }

    /// Stops recording and returns what was recorded.
    pub fn take_recording(&self) -> Vec<crate::recording::Recorded> {
        self.state.recorder.take()
    }

    /// The URL to give the SDK (`AWS_ENDPOINT_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// Adds a fault rule; the first matching rule applies.
    pub fn add_fault(&self, fault: Fault) {
        lock(&self.state.faults).push(fault);
    }

    /// Removes every fault rule.
    pub fn clear_faults(&self) {
        lock(&self.state.faults).clear();
    }

    /// Removes the fault rules limited to `region`.
    pub fn clear_faults_in(&self, region: &str) {
        lock(&self.state.faults).retain(|f| f.region.as_deref() != Some(region));
    }

    /// Adds `latency` to every AWS call.
    pub fn set_latency(&self, latency: Duration) {
        *lock(&self.state.latency) = latency;
    }

    /// The request log so far.
    pub fn log(&self) -> Vec<LogEntry> {
        lock(&self.state.log).clone()
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        lock(&self.state.log).clear();
    }

    /// Waits until `count` requests are held by [`FaultKind::Hold`] faults.
    pub async fn wait_held(&self, count: usize) {
        let mut held = self.state.held.subscribe();
        let _ = held.wait_for(|(n, _)| *n >= count).await;
    }

    /// Releases every held request.
    pub fn release_held(&self) {
        self.state.held.send_modify(|(count, generation)| {
            *count = 0;
            *generation += 1;
        });
    }

    /// Enforces Route 53's five requests per second per account (see
    /// [`crate::route53_rate`]) for every caller or only `access_key`, or
    /// stops (`enforce` false).
    pub fn set_route53_rate(&self, enforce: bool, access_key: Option<&str>) {
        self.state.route53_rate.set(enforce, access_key);
    }

    /// Enforces API Gateway's fixed control-plane quotas at a scale of
    /// AWS's intervals (see [`crate::quotas`]), or stops (`None`).
    pub fn set_apigateway_quotas(&self, settings: Option<QuotaSettings>) {
        self.state.quotas.set(settings);
    }

    /// How long a deleted state machine stays `DELETING` (zero: it goes at
    /// once, as in moto). Step Functions keeps it until its executions stop.
    pub fn set_state_machine_linger(&self, linger: Duration) {
        self.state.deleting_state_machines.set_linger(linger);
    }

    /// Takes the messages SQS accepted through the proxy since the last
    /// take, with their delays and times on the bench's clock (see
    /// [`crate::sqs`]).
    pub fn take_sent_messages(&self) -> Vec<crate::sqs::SentMessage> {
        self.state.sent_messages.take()
    }

    /// Forgets what `EnableAlarmActions` and `DisableAlarmActions` set
    /// (after moto is reset, say: its alarms are gone).
    pub fn clear_alarm_actions(&self) {
        self.state.alarm_actions.clear();
    }

    /// How long Route 53 changes stay `PENDING` before `INSYNC`.
    pub fn set_route53_propagation(&self, propagation: Duration) {
        self.state.route53.changes.set_propagation(propagation);
    }

    /// How long the bench's resolvers cache an answer (zero: not at all).
    pub fn set_dns_ttl(&self, ttl: Duration) {
        self.state.resolvers.set_ttl(ttl);
    }

    /// Forgets every answer the resolvers cached.
    pub fn flush_dns(&self) {
        self.state.resolvers.flush();
    }

    /// The clock Route 53 propagation, the resolvers and alarm times follow.
    pub fn clock(&self) -> &Clock {
        &self.state.clock
    }

    /// The data-plane fronts.
    pub fn fronts(&self) -> &Fronts {
        &self.state.fronts
    }

    /// The health checks on CloudWatch alarms, with Route 53's copy of
    /// each alarm's definition.
    pub fn alarm_checks(&self) -> &crate::alarm_checks::AlarmChecks {
        &self.state.alarm_checks
    }
}

pub(crate) fn answer(
    status: u16,
    headers: Vec<(String, String)>,
    body: impl Into<Bytes>,
) -> Answer {
    let mut response = Response::builder().status(status);
    for (k, v) in headers {
        response = response.header(k, v);
    }
    response.body(Full::new(body.into())).unwrap_or_default()
}

pub(crate) fn json_answer(status: u16, value: &impl Serialize) -> Answer {
    answer(
        status,
        vec![("content-type".into(), "application/json".into())],
        serde_json::to_vec(value).unwrap_or_default(),
    )
}

/// The AWS error code of an answer, if it is an error.
fn error_code(status: u16, headers: &http::HeaderMap, body: &[u8]) -> String {
    if (200..300).contains(&status) {
        return "ok".into();
    }
    if let Some(kind) = headers
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
    {
        return kind.split(':').next().unwrap_or(kind).to_owned();
    }
    let text = String::from_utf8_lossy(body);
    if let Some(code) = text
        .split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
    {
        return code.to_owned();
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(kind) = value.get("__type").and_then(|t| t.as_str())
    {
        return kind.rsplit('#').next().unwrap_or(kind).to_owned();
    }
    format!("HTTP {status}")
}

async fn handle(state: &State, request: Request<Incoming>) -> Result<Answer, Dropped> {
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let path = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "/".into());
    if let Some(control_path) = path.strip_prefix("/__bench") {
        return Ok(crate::control::control(state, &parts.method, control_path, &body).await);
    }
    if !state.recorder.recording() {
        return serve(state, &parts, &path, body).await;
    }
    // One request at a time while recording, so that moto draws its
    // identifiers in the order the recording keeps.
    let _turn = state.recorder.turn().await;
    let answered = serve(state, &parts, &path, body.clone()).await;
    let status = answered.as_ref().map_or(0, |a| a.status().as_u16());
    state.recorder.push(crate::recording::Recorded::new(
        &parts, &path, &body, status,
    ));
    answered
}

async fn serve(
    state: &State,
    parts: &http::request::Parts,
    path: &str,
    body: Bytes,
) -> Result<Answer, Dropped> {
    let started = Instant::now();
    let path = path.to_owned();
    let aws = identify(&parts.method, &path, &parts.headers, &body);
    // Invocations are logged with the function's name.
    let mut detail = (aws.service == "lambda" && aws.operation == "Invoke")
        .then(|| path.split('/').nth(3).unwrap_or_default().to_owned());

    let latency = *lock(&state.latency);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let fault = {
        let now = state.clock.now_ms();
        let mut faults = lock(&state.faults);
        faults.iter_mut().find(|f| f.matches(&aws, now)).map(|f| {
            if let Some(times) = f.times.as_mut() {
                *times -= 1;
            }
            f.clone()
        })
    };
    let mut outcome_prefix = "";
    if let Some(fault) = fault {
        if let Some(delay) = fault.delay() {
            tokio::time::sleep(delay).await;
            outcome_prefix = "delayed:";
        } else if fault.kind == Some(FaultKind::Hold) {
            // Count in, wait for the next release generation, forward.
            let mut release = state.held.subscribe();
            let generation = release.borrow().1;
            state.held.send_modify(|(count, _)| *count += 1);
            let _ = release.wait_for(|(_, g)| *g > generation).await;
            outcome_prefix = "held:";
        } else if fault.kind == Some(FaultKind::Drop) {
            record(state, &aws, 0, "fault:drop".into(), None, started);
            return Err(Dropped);
        } else if let Some((status, headers, text)) =
            fault.kind.and_then(|k| fault_response(k, &aws))
        {
            let code = error_code(status, &http_headers(&headers), text.as_bytes());
            record(state, &aws, status, format!("fault:{code}"), None, started);
            return Ok(answer(status, headers, text));
        }
    }

    let rate_now = match state.clock.is_virtual() {
        true => state.clock.now_ms() + state.epoch.elapsed().as_millis() as i64,
        false => state.clock.now_ms(),
    };
    if let Some((status, headers, text)) = state.route53_rate.check(&aws, rate_now) {
        let code = error_code(status, &http_headers(&headers), text.as_bytes());
        let detail = Some(format!(
            "{} requests per second per account",
            crate::route53_rate::REQUESTS_PER_SECOND
        ));
        record(state, &aws, status, code, detail, started);
        return Ok(answer(status, headers, text));
    }

    if aws.service == "apigateway" {
        let refused = match state.quotas.check(&aws, &path, &body) {
            Some((canned, quota)) => Some((canned, Some(quota))),
            None => crate::apigateway::refusal(&state.moto, &aws, &path, &body)
                .await
                .map(|canned| (canned, None)),
        };
        if let Some(((status, headers, text), quota)) = refused {
            let code = error_code(status, &http_headers(&headers), text.as_bytes());
            record(state, &aws, status, code, quota.or(detail), started);
            return Ok(answer(status, headers, text));
        }
        if aws.operation == "UpdateDomainName" {
            let (status, headers, text) = state
                .domain_updates
                .update(&state.moto, &aws, &path, &body)
                .await;
            let code = error_code(status, &http_headers(&headers), text.as_bytes());
            record(state, &aws, status, code, detail, started);
            return Ok(answer(status, headers, text));
        }
        crate::apigateway::before_forward(&state.moto, &aws, &path).await;
    }

    if let Some((status, headers, text)) = state
        .deleting_state_machines
        .before_forward(&state.moto, &state.clock, &aws, &body)
        .await
    {
        let code = error_code(status, &http_headers(&headers), text.as_bytes());
        record(
            state,
            &aws,
            status,
            code,
            Some("being deleted".into()),
            started,
        );
        return Ok(answer(status, headers, text));
    }

    if let Some(((status, headers, text), detail)) = state
        .alarm_actions
        .answer(&state.moto, &aws, &account_of(&parts.headers), &body)
        .await
    {
        let code = error_code(status, &http_headers(&headers), text.as_bytes());
        record(
            state,
            &aws,
            status,
            format!("{outcome_prefix}{code}"),
            detail,
            started,
        );
        return Ok(answer(status, headers, text));
    }

    if aws.service == "route53" && aws.operation == "GetChange" {
        let id = path
            .split('?')
            .next()
            .unwrap_or_default()
            .rsplit('/')
            .next()
            .unwrap_or_default();
        if let Some(text) = state.route53.changes.get(id) {
            record(state, &aws, 200, "ok".into(), None, started);
            return Ok(answer(
                200,
                vec![("content-type".into(), "text/xml".into())],
                text,
            ));
        }
    }

    let mut alarm_check = None;
    if aws.service == "route53" && aws.operation.contains("HealthCheck") {
        let in_use = state
            .route53
            .health_check_in_use(crate::alarm_checks::id_in(&path));
        match state
            .alarm_checks
            .before(
                &state.moto,
                &aws,
                &account_of(&parts.headers),
                &path,
                &body,
                in_use,
            )
            .await
        {
            Ok(pending) => alarm_check = Some(pending),
            Err((status, headers, text)) => {
                let code = error_code(status, &http_headers(&headers), text.as_bytes());
                record(state, &aws, status, code, detail, started);
                return Ok(answer(status, headers, text));
            }
        }
    }

    let mut forward_body = body.clone();
    let mut _zone_guard = None;
    let mut before = Vec::new();
    if aws.service == "route53" && aws.operation == "ChangeResourceRecordSets" {
        let text = String::from_utf8_lossy(&body).into_owned();
        detail = parse_changes(&text).ok().map(|changes| {
            changes
                .iter()
                .map(|c| format!("{} {} {}", c.action, c.set.rtype, c.set.name))
                .collect::<Vec<_>>()
                .join(", ")
        });
        let zone = path.split('/').nth(3).unwrap_or_default().to_owned();
        match state.route53.check(&zone, &text).await {
            Ok(Verdict::Refuse(messages)) => {
                record(
                    state,
                    &aws,
                    400,
                    format!("{outcome_prefix}InvalidChangeBatch"),
                    detail,
                    started,
                );
                return Ok(answer(
                    400,
                    vec![("content-type".into(), "text/xml".into())],
                    invalid_change_batch(&messages),
                ));
            }
            Ok(Verdict::Forward(accepted)) => {
                forward_body = Bytes::from(accepted.body);
                before = accepted.before;
                _zone_guard = Some(accepted.guard);
            }
            Err(error) => {
                let (status, headers, text) =
                    error_response(aws.protocol(), 400, "InvalidInput", &format!("{error:#}"));
                record(state, &aws, status, "InvalidInput".into(), detail, started);
                return Ok(answer(status, headers, text));
            }
        }
    }

    // "When this operation creates an alarm, the alarm state is immediately
    // set to INSUFFICIENT_DATA" (PutMetricAlarm, CloudWatch API Reference);
    // moto starts it OK. Whether this put creates the alarm is read first.
    let creates_alarm = if aws.service == "monitoring" && aws.operation == "PutMetricAlarm" {
        crate::cloudwatch::alarm_is_new(&state.moto, &aws, &account_of(&parts.headers), &body).await
    } else {
        None
    };

    let upstream = match (aws.service.as_str(), aws.operation.as_str()) {
        ("lambda", "Invoke") => state.fronts.lambda_endpoint(&aws.region).await,
        _ => None,
    }
    .unwrap_or_else(|| state.moto.base().to_owned());
    let (status, headers, bytes) = match forward(state, &upstream, parts, &path, forward_body).await
    {
        Ok(reply) => reply,
        Err(error) => {
            let (status, headers, text) = error_response(
                aws.protocol(),
                502,
                "BenchUpstreamError",
                &format!("moto did not answer: {error:#}"),
            );
            (status, http_headers(&headers), Bytes::from(text))
        }
    };
    drop(_zone_guard);
    let (status, headers, bytes) = crate::apigateway::corrected(
        &state.moto,
        &state.domain_updates,
        &aws,
        &path,
        &body,
        (status, headers, bytes),
    )
    .await;
    let bytes = match (aws.service.as_str(), aws.operation.as_str(), status) {
        ("route53", "ListResourceRecordSets", 200) => {
            Bytes::from(strip_alias_ttls(&String::from_utf8_lossy(&bytes)))
        }
        ("route53", "ChangeResourceRecordSets", 200) => Bytes::from(
            state
                .route53
                .changes
                .record(&String::from_utf8_lossy(&bytes), before),
        ),
        ("route53", _, 200 | 201) if alarm_check.is_some() => {
            let pending = alarm_check.take().expect("checked");
            if aws.operation == "DeleteHealthCheck" {
                state
                    .fronts
                    .health()
                    .forget(crate::alarm_checks::id_in(&path));
            }
            Bytes::from(state.alarm_checks.after(
                &aws,
                &path,
                pending,
                &String::from_utf8_lossy(&bytes),
            ))
        }
        ("sqs", "SendMessage" | "SendMessageBatch", 200) => {
            state.sent_messages.forwarded(&aws, &body, &bytes);
            bytes
        }
        ("monitoring", _, 200) => {
            let account = account_of(&parts.headers);
            if let Some(alarm) = &creates_alarm {
                crate::cloudwatch::start_insufficient(&state.moto, &aws, &account, alarm).await;
            }
            state.alarms.forwarded(&aws, &body, status);
            state.alarm_actions.forwarded(&aws, &account, &body, status);
            let rewritten = {
                let text = String::from_utf8_lossy(&bytes);
                let timed = state.alarms.rewrite(&aws, &text);
                let armed =
                    state
                        .alarm_actions
                        .rewrite(&aws, &account, timed.as_deref().unwrap_or(&text));
                armed.or(timed)
            };
            match rewritten {
                Some(text) => Bytes::from(text),
                None => bytes,
            }
        }
        _ => bytes,
    };
    let outcome = format!("{outcome_prefix}{}", error_code(status, &headers, &bytes));
    record(state, &aws, status, outcome, detail, started);
    let mut response = Response::builder().status(status);
    for (k, v) in &headers {
        if !matches!(
            k.as_str(),
            "content-length" | "transfer-encoding" | "connection"
        ) {
            response = response.header(k, v);
        }
    }
    Ok(response.body(Full::new(bytes)).unwrap_or_default())
}

async fn forward(
    state: &State,
    upstream: &str,
    parts: &http::request::Parts,
    path: &str,
    body: Bytes,
) -> Result<(u16, http::HeaderMap, Bytes)> {
    let mut request = state
        .http
        .request(parts.method.clone(), format!("{upstream}{path}"));
    for (k, v) in &parts.headers {
        if !matches!(
            k.as_str(),
            "host" | "content-length" | "connection" | "transfer-encoding"
        ) {
            request = request.header(k, v);
        }
    }
    let response = request.body(body).send().await?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await?;
    Ok((status, headers, bytes))
}

fn record(
    state: &State,
    aws: &AwsRequest,
    status: u16,
    outcome: String,
    detail: Option<String>,
    started: Instant,
) {
    let entry = LogEntry {
        seq: state.seq.fetch_add(1, Ordering::SeqCst) + 1,
        service: aws.service.clone(),
        region: aws.region.clone(),
        operation: aws.operation.clone(),
        access_key: aws.access_key.clone(),
        status,
        outcome,
        detail,
        millis: started.elapsed().as_millis() as u64,
        started_ms: started.duration_since(state.epoch).as_millis() as u64,
    };
    tracing::debug!(%entry, "proxy");
    lock(&state.log).push(entry);
}
