//! The safety check of a planned switchover, made from where Terraform runs:
//! the target's standby name must answer from the target region at each of
//! [`PROBES`] probes spread over [`SPAN_SECONDS`]. The probe is the
//! runtime's own (DNS, the custom domain, API Gateway, the health route, the
//! ponger), along the path clients take once the records move. It needs no
//! report from the runtime, so it works at every `interval_seconds`, and
//! without a deployed runtime too (there is then no ponger, and only
//! `force_switchover` moves traffic).

use std::time::Duration;

use multiregion_core::Region;
use multiregion_core::probe::{ProbeSettings, Prober};

use crate::clock;

/// Probes a switchover needs, every one answered from the target.
pub const PROBES: i64 = 3;
/// Seconds from the first probe to the last.
pub const SPAN_SECONDS: i64 = 10;

/// The check's verdict on the probes: each is (seconds after the first,
/// the region that answered or why none did).
pub fn verdict(target: &Region, answers: &[(i64, Result<Region, String>)]) -> Result<(), String> {
    let problems: Vec<String> = answers
        .iter()
        .filter_map(|(at, answer)| match answer {
            Err(why) => Some(format!("at +{at} s: {why}")),
            Ok(region) if region != target => Some(format!("at +{at} s: {region} answered")),
            Ok(_) => None,
        })
        .collect();
    if answers.is_empty() {
        return Err("no probe was made".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} probes failed ({})",
            problems.len(),
            answers.len(),
            problems.join("; ")
        ))
    }
}

/// Probes `standby_name`, which points at `target` until the swap,
/// [`PROBES`] times over [`SPAN_SECONDS`] on the provider's clock.
pub async fn target_answers(
    standby_name: &str,
    target: &Region,
    health_path: &str,
    timeout: Duration,
) -> Result<(), String> {
    let settings = ProbeSettings::new(health_path, timeout).with_test_seams_from_env();
    let prober = Prober::new(settings).map_err(|e| format!("the probe could not start: {e}"))?;
    let step_ms = SPAN_SECONDS * 1000 / (PROBES - 1);
    let start = clock::now_epoch_ms().await;
    let mut answers = Vec::new();
    for i in 0..PROBES {
        if i > 0 {
            clock::sleep_until_ms(start + i * step_ms).await;
        }
        let at = (clock::now_epoch_ms().await - start) / 1000;
        let answer = prober
            .probe(standby_name)
            .await
            .map(|a| a.region)
            .map_err(|e| e.to_string());
        tracing::info!(%standby_name, %target, at, ?answer, "switchover health probe");
        answers.push((at, answer));
    }
    verdict(target, &answers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn region(code: &str) -> Region {
        Region::new(code).unwrap()
    }

    #[test]
    fn every_probe_must_answer_from_the_target() {
        let west = region("us-west-2");
        let ok = |at| (at, Ok(region("us-west-2")));
        assert_eq!(verdict(&west, &[ok(0), ok(5), ok(10)]), Ok(()));
        assert_eq!(
            verdict(
                &west,
                &[
                    ok(0),
                    (5, Err("HTTP 503".into())),
                    (10, Ok(region("us-east-1")))
                ]
            ),
            Err("2 of 3 probes failed (at +5 s: HTTP 503; at +10 s: us-east-1 answered)".into())
        );
        assert!(verdict(&west, &[]).is_err());
    }
}
