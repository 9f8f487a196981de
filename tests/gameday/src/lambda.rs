//! Lambda, where the emulator falls short: invocations as AWS services make
//! them, asynchronous invocation's rules, and the metrics Lambda publishes.
//!
//! - **Invoking.** Every invocation the harness plays (EventBridge's of the
//!   pinger) goes through the bench's proxy, signed for
//!   the function's region, to that region's emulator running the shipped
//!   bootstrap. A region whose Lambda endpoint is failed through the proxy
//!   refuses it: the caller sees a service error, not a function error.
//! - **Asynchronous invocation.** EventBridge invokes asynchronously:
//!   Lambda queues the event and retries a function error up to
//!   `MaximumRetryAttempts`, and drops an event older than
//!   `MaximumEventAgeInSeconds`. "By default, Lambda retries an asynchronous
//!   invocation twice if the function returns an error. It retains events in
//!   a queue for up to six hours." (AWS::Lambda::EventInvokeConfig,
//!   <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventinvokeconfig.html>).
//!   "If the function returns an error, by default Lambda attempts to run it
//!   two more times, with a one-minute wait between the first two attempts,
//!   and two minutes between the second and third attempts"
//!   (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>).
//!   The game day reads the pinger's deployed configuration (the provider
//!   sets [`PINGER`]: 60 s, no retry, since the next tick is the retry and
//!   Lambda's default of two retries would re-run a failed ping 1 and 3
//!   minutes later). Queueing adds no delay here (AWS documents none), so
//!   the age limit only cuts retries.
//! - **Metrics.** Each invocation adds one `Invocations` datapoint and one
//!   `Errors` datapoint (1 when the function failed, else 0) to `AWS/Lambda`
//!   with dimension `FunctionName`, timestamped with the invocation's start,
//!   published at the next whole minute after it ends
//!   (`LAMBDA_METRIC_DELAY_SECONDS`: "Lambda sends metric data to CloudWatch
//!   in 1-minute intervals", <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html>).
//!   They are written to CloudWatch in moto (signed as the Lambda service),
//!   where the alarm evaluation reads them back.

use std::time::Duration;

use anyhow::{Context, Result};
use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use multiregion_bench::clock::EpochMs;
use multiregion_core::naming::{Component, Names};
use serde::Serialize;
use serde_json::Value;

/// The access key the harness signs Lambda's own calls with (its metrics).
pub const LAMBDA_SERVICE_KEY: &str = "AKIDLAMBDASERVICE";

/// An asynchronous invocation configuration (`PutFunctionEventInvokeConfig`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncConfig {
    /// `MaximumEventAgeInSeconds`.
    pub max_event_age: Duration,
    /// `MaximumRetryAttempts`.
    pub max_retry_attempts: u32,
}

/// Lambda's defaults, with no event-invoke configuration: two retries, six
/// hours.
pub const DEFAULT_ASYNC: AsyncConfig = AsyncConfig {
    max_event_age: Duration::from_secs(21_600),
    max_retry_attempts: 2,
};

/// The pinger's: a tick older than a minute is dropped, a failure is not
/// retried.
pub const PINGER: AsyncConfig = AsyncConfig {
    max_event_age: Duration::from_secs(60),
    max_retry_attempts: 0,
};

/// How an invocation ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// The function returned this.
    Returned {
        /// Its answer.
        value: Value,
    },
    /// The function failed (Lambda's `X-Amz-Function-Error`).
    FunctionError {
        /// Its error type.
        kind: String,
        /// Its message.
        message: String,
    },
    /// Lambda itself refused or failed: no function ran.
    ServiceError {
        /// What the caller saw.
        detail: String,
    },
}

/// One invocation the harness made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Invocation {
    /// When (virtual ms).
    pub at: EpochMs,
    /// The function's region.
    pub region: String,
    /// Which function.
    pub component: &'static str,
    /// Who invoked it (`events`, `sns`).
    pub caller: &'static str,
    /// How it ended.
    pub outcome: Outcome,
}

#[derive(Debug, Clone)]
struct Pending {
    due: EpochMs,
    region: String,
    function: String,
    at: EpochMs,
    failed: bool,
}

/// Lambda as the harness plays it.
#[derive(Debug)]
pub struct Lambda {
    proxy: String,
    names: Names,
    http: reqwest::Client,
    cloudwatch: std::collections::HashMap<String, aws_sdk_cloudwatch::Client>,
    pending: Vec<Pending>,
    /// Every invocation so far.
    pub invocations: Vec<Invocation>,
}

/// The next whole minute strictly after `ms`.
fn next_minute(ms: EpochMs) -> EpochMs {
    (ms / 60_000 + 1) * 60_000
}

impl Lambda {
    /// Lambda over the proxy at `proxy`; `cloudwatch` holds a client per
    /// region signed as the Lambda service.
    pub fn new(
        proxy: String,
        names: Names,
        cloudwatch: std::collections::HashMap<String, aws_sdk_cloudwatch::Client>,
    ) -> Lambda {
        Lambda {
            proxy,
            names,
            http: reqwest::Client::new(),
            cloudwatch,
            pending: Vec::new(),
            invocations: Vec::new(),
        }
    }

    /// Invokes `component` in `region` at `now` for `caller` (a synchronous
    /// call: the asynchronous queue is played by the callers).
    pub async fn invoke(
        &mut self,
        region: &str,
        component: Component,
        caller: &'static str,
        caller_key: &str,
        event: &Value,
        now: EpochMs,
    ) -> Result<Outcome> {
        let function = self.names.function(component);
        let response = self
            .http
            .post(format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.proxy
            ))
            .header(
                "authorization",
                format!("AWS4-HMAC-SHA256 Credential={caller_key}/20260101/{region}/lambda/aws4_request, SignedHeaders=host, Signature=0"),
            )
            .json(event)
            .timeout(Duration::from_secs(90))
            .send()
            .await
            .context("invoking through the proxy")?;
        let status = response.status();
        let fault = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let outcome = match (status.as_u16(), body["errorType"].as_str(), fault) {
            (200..=299, _, _) => Outcome::Returned { value: body },
            // The emulator answers a handler error with 500 and the error.
            (500, Some(kind), None) => Outcome::FunctionError {
                kind: kind.to_owned(),
                message: body["errorMessage"].as_str().unwrap_or_default().to_owned(),
            },
            (code, _, fault) => Outcome::ServiceError {
                detail: format!("HTTP {code} {}", fault.unwrap_or(text)),
            },
        };
        if !matches!(outcome, Outcome::ServiceError { .. }) {
            self.pending.push(Pending {
                due: next_minute(now),
                region: region.to_owned(),
                function,
                at: now,
                failed: matches!(outcome, Outcome::FunctionError { .. }),
            });
        }
        self.invocations.push(Invocation {
            at: now,
            region: region.to_owned(),
            component: component.as_str(),
            caller,
            outcome: outcome.clone(),
        });
        Ok(outcome)
    }

    /// Publishes the metrics due by `now`. A region whose CloudWatch refuses
    /// loses them, as a regional outage would.
    pub async fn publish_metrics(&mut self, now: EpochMs) -> Result<()> {
        let (due, later): (Vec<_>, Vec<_>) = self.pending.drain(..).partition(|p| p.due <= now);
        self.pending = later;
        for datum in due {
            let dimension = Dimension::builder()
                .name("FunctionName")
                .value(&datum.function)
                .build();
            let point = |name: &str, value: f64| {
                MetricDatum::builder()
                    .metric_name(name)
                    .dimensions(dimension.clone())
                    .timestamp(DateTime::from_millis(datum.at))
                    .value(value)
                    .unit(StandardUnit::Count)
                    .build()
            };
            let sent = self.cloudwatch[&datum.region]
                .put_metric_data()
                .namespace("AWS/Lambda")
                .metric_data(point("Invocations", 1.0))
                .metric_data(point("Errors", if datum.failed { 1.0 } else { 0.0 }))
                .send()
                .await;
            if let Err(error) = sent {
                tracing::warn!(region = %datum.region, error = %aws_sdk_cloudwatch::error::DisplayErrorContext(&error), "Lambda's metrics were lost");
            }
        }
        Ok(())
    }
}
