//! The safety check of a planned switchover: the target region is healthy
//! when its own pinger reported it healthy (`RegionHealthy` = 1) in each of
//! the last complete minutes; a minute without a report counts as unhealthy.

use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_smithy_types::DateTime;
use multiregion_core::deployment::{METRIC_DIMENSION, REGION_HEALTHY_METRIC};
use multiregion_core::ledger::rfc3339;

/// Minutes of reports a switchover needs.
pub const HEALTHY_MINUTES: i64 = 3;

/// What the pinger reported for each minute: `None` no report, else the
/// lowest value reported.
pub fn verdict(minutes: &[(i64, Option<f64>)]) -> Result<(), String> {
    let problems: Vec<String> = minutes
        .iter()
        .filter_map(|(minute, lowest)| match lowest {
            None => Some(format!("no report at {}", rfc3339(*minute))),
            Some(v) if *v < 1.0 => Some(format!("reported unhealthy at {}", rfc3339(*minute))),
            Some(_) => None,
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join(", "))
    }
}

/// Checks the last [`HEALTHY_MINUTES`] complete minutes before `now` of the
/// pinger of the region `cloudwatch` is in.
pub async fn target_recently_healthy(
    cloudwatch: &aws_sdk_cloudwatch::Client,
    namespace: &str,
    name: &str,
    now: i64,
) -> Result<(), String> {
    let end = now.div_euclid(60) * 60;
    let start = end - HEALTHY_MINUTES * 60;
    let statistics = cloudwatch
        .get_metric_statistics()
        .namespace(namespace)
        .metric_name(REGION_HEALTHY_METRIC)
        .dimensions(
            Dimension::builder()
                .name(METRIC_DIMENSION)
                .value(name)
                .build(),
        )
        .start_time(DateTime::from_secs(start))
        .end_time(DateTime::from_secs(end))
        .period(60)
        .statistics(Statistic::Minimum)
        .send()
        .await
        .map_err(|e| {
            format!(
                "reading the pinger's {REGION_HEALTHY_METRIC} metric failed: {}",
                super::sdk_error::sdk_message(&e)
            )
        })?;
    let mut minutes: Vec<(i64, Option<f64>)> = (0..HEALTHY_MINUTES)
        .map(|i| (start + i * 60, None))
        .collect();
    for point in statistics.datapoints() {
        let (Some(at), Some(minimum)) = (point.timestamp(), point.minimum()) else {
            continue;
        };
        let minute = at.secs().div_euclid(60) * 60;
        if let Some((_, lowest)) = minutes.iter_mut().find(|(m, _)| *m == minute) {
            *lowest = Some(lowest.map_or(minimum, |l: f64| l.min(minimum)));
        }
    }
    verdict(&minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minute_must_report_healthy() {
        assert_eq!(
            verdict(&[(0, Some(1.0)), (60, Some(1.0)), (120, Some(1.0))]),
            Ok(())
        );
        assert_eq!(
            verdict(&[(0, Some(1.0)), (60, None), (120, Some(0.0))]),
            Err(
                "no report at 1970-01-01T00:01:00Z, reported unhealthy at 1970-01-01T00:02:00Z"
                    .into()
            )
        );
    }
}
