//! The pinger: every minute (an EventBridge schedule), probes the active and
//! the standby name through the core probe.
//!
//! - It FAILS when the active name does not answer, so the region's alarm
//!   watches the free `AWS/Lambda` `Errors` and `Invocations` metrics of this
//!   function.
//! - It publishes one custom metric, `RegionHealthy` (dimension `Name`): 1
//!   when the name that points at its own region answered from its own
//!   region, else 0. (The two names point at different regions, so at most
//!   one can answer from here; no Route 53 read is needed.) A planned
//!   switchover uses it: "the target's pinger reported healthy in each of the
//!   last 3 minutes".
//! - It logs one structured line: answering region, latency and outcome.

use aws_sdk_cloudwatch::types::{Dimension, MetricDatum, StandardUnit};
use aws_smithy_types::DateTime;
use multiregion_core::deployment::{METRIC_DIMENSION, REGION_HEALTHY_METRIC};
use multiregion_core::region::Region;
use serde::Serialize;

use crate::error::HandlerError;
use crate::probe::{Probe, ProbeReport};

/// What the pinger needs.
#[derive(Debug)]
pub struct Pinger<P> {
    /// CloudWatch in the pinger's region.
    pub cloudwatch: aws_sdk_cloudwatch::Client,
    /// The probe.
    pub probe: P,
    /// The pinger's region.
    pub region: Region,
    /// The resource's `name` (the metric's dimension).
    pub name: String,
    /// The public, active name.
    pub active_name: String,
    /// The standby name.
    pub standby_name: String,
    /// The metric's namespace.
    pub namespace: String,
}

/// One round of probes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PingReport {
    /// The active name's probe.
    pub active: ProbeReport,
    /// The standby name's probe.
    pub standby: ProbeReport,
    /// The metric value: a name answered from this region.
    pub region_healthy: bool,
    /// Whether the metric was published.
    pub metric_published: bool,
}

impl<P: Probe> Pinger<P> {
    /// Probes both names at the schedule's tick `scheduled_at` (seconds since
    /// the epoch, from the event), publishes the metric, and fails when the
    /// active name is unhealthy.
    pub async fn ping(&self, scheduled_at: Option<i64>) -> Result<PingReport, HandlerError> {
        let (active, standby) = tokio::join!(
            self.probe.probe(&self.active_name),
            self.probe.probe(&self.standby_name)
        );
        let active = ProbeReport::new(&self.active_name, &active);
        let standby = ProbeReport::new(&self.standby_name, &standby);
        let region_healthy =
            active.answered_from(&self.region) || standby.answered_from(&self.region);
        let metric_published = match self.publish(region_healthy, scheduled_at).await {
            Ok(()) => true,
            Err(error) => {
                // The alarm must mean "the active name is unhealthy" only, so
                // a failed metric is logged, never raised.
                tracing::warn!(%error, "publishing the RegionHealthy metric failed");
                false
            }
        };
        let report = PingReport {
            active,
            standby,
            region_healthy,
            metric_published,
        };
        let healthy = report.active.error.is_none();
        tracing::info!(
            outcome = if healthy {
                "active_healthy"
            } else {
                "active_unhealthy"
            },
            active_region = report.active.region.as_ref().map(Region::as_str),
            active_latency_ms = report.active.latency_ms,
            active_error = report.active.error.as_deref(),
            standby_region = report.standby.region.as_ref().map(Region::as_str),
            standby_latency_ms = report.standby.latency_ms,
            standby_error = report.standby.error.as_deref(),
            region_healthy,
            "ping"
        );
        if healthy {
            Ok(report)
        } else {
            Err(HandlerError::ActiveUnhealthy(report.active.describe()))
        }
    }

    async fn publish(&self, healthy: bool, at: Option<i64>) -> Result<(), HandlerError> {
        let datum = MetricDatum::builder()
            .metric_name(REGION_HEALTHY_METRIC)
            .dimensions(
                Dimension::builder()
                    .name(METRIC_DIMENSION)
                    .value(&self.name)
                    .build(),
            )
            .value(if healthy { 1.0 } else { 0.0 })
            .unit(StandardUnit::Count)
            .set_timestamp(at.map(DateTime::from_secs))
            .build();
        self.cloudwatch
            .put_metric_data()
            .namespace(&self.namespace)
            .metric_data(datum)
            .send()
            .await
            .map_err(|e| HandlerError::from_sdk("PutMetricData", e))?;
        Ok(())
    }
}

/// The schedule's tick from an EventBridge scheduled event (`time`).
pub fn scheduled_at(event: &serde_json::Value) -> Option<i64> {
    event
        .get("time")
        .and_then(serde_json::Value::as_str)
        .and_then(crate::time::parse_event_time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::fake::FakeProbe;
    use aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataOutput;
    use aws_smithy_mocks::{RuleMode, mock, mock_client};

    fn pinger(probe: FakeProbe, cloudwatch: aws_sdk_cloudwatch::Client) -> Pinger<FakeProbe> {
        Pinger {
            cloudwatch,
            probe,
            region: Region::new("us-west-2").unwrap(),
            name: "orders".into(),
            active_name: "api.example.com".into(),
            standby_name: "standby-api.example.com".into(),
            namespace: "Multiregion".into(),
        }
    }

    fn value_published(healthy: f64) -> aws_smithy_mocks::Rule {
        mock!(aws_sdk_cloudwatch::Client::put_metric_data)
            .match_requests(move |r| {
                let datum = &r.metric_data()[0];
                r.namespace() == Some("Multiregion")
                    && datum.metric_name() == Some("RegionHealthy")
                    && datum.value() == Some(healthy)
                    && datum.timestamp() == Some(&DateTime::from_secs(120))
                    && datum.dimensions()[0].value() == Some("orders")
            })
            .then_output(|| PutMetricDataOutput::builder().build())
    }

    #[tokio::test]
    async fn fails_when_the_active_name_is_down_and_reports_its_own_region() {
        let published = value_published(1.0);
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&published]);
        let probe = FakeProbe::default()
            .fails("api.example.com")
            .answers("standby-api.example.com", "us-west-2");
        let error = pinger(probe, cloudwatch)
            .ping(Some(120))
            .await
            .expect_err("the active name is down");
        assert_eq!(error.error_type(), "ActiveUnhealthy");
        assert_eq!(published.num_calls(), 1, "exactly one metric, value 1");
    }

    #[tokio::test]
    async fn succeeds_when_the_active_name_answers_and_reports_an_unhealthy_region() {
        let published = value_published(0.0);
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&published]);
        let probe = FakeProbe::default()
            .answers("api.example.com", "us-east-1")
            .fails("standby-api.example.com");
        let report = pinger(probe, cloudwatch).ping(Some(120)).await.unwrap();
        assert!(!report.region_healthy);
        assert!(report.metric_published);
        assert_eq!(published.num_calls(), 1);
    }

    #[tokio::test]
    async fn a_failed_metric_does_not_fail_the_ping() {
        let refused = mock!(aws_sdk_cloudwatch::Client::put_metric_data).then_error(|| {
            aws_sdk_cloudwatch::operation::put_metric_data::PutMetricDataError::unhandled("refused")
        });
        let cloudwatch = mock_client!(aws_sdk_cloudwatch, RuleMode::Sequential, [&refused]);
        let probe = FakeProbe::default()
            .answers("api.example.com", "us-west-2")
            .answers("standby-api.example.com", "us-east-1");
        let report = pinger(probe, cloudwatch).ping(None).await.unwrap();
        assert!(report.region_healthy && !report.metric_published);
    }

    #[test]
    fn reads_the_schedule_tick() {
        let event =
            serde_json::json!({"detail-type": "Scheduled Event", "time": "1970-01-01T00:02:00Z"});
        assert_eq!(scheduled_at(&event), Some(120));
        assert_eq!(scheduled_at(&serde_json::json!({})), None);
    }
}
