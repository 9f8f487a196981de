//! Pacing of API Gateway's fixed control-plane quotas.
//!
//! API Gateway limits some management calls per account and region to a
//! fixed rate that no quota increase changes, and answers a call beyond it
//! with `TooManyRequestsException`. The figures below are AWS's: "Amazon
//! API Gateway quotas", section "API Gateway quotas for creating, deploying
//! and managing an API"
//! (<https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html>).
//! Each operation has its own row there, so each is paced on its own.
//!
//! Rather than lean on retries, the provider spaces these calls itself; the
//! SDK's backoff on `TooManyRequestsException` remains as the second line.
//! A call's slot is held until its answer arrives and the next one starts a
//! full interval later: API Gateway counts a call when it receives it, which
//! is before its answer, so spacing from the answer never comes too early.
//! Every wait is logged at INFO (the quota, the operation, the seconds), so
//! that a long first apply shows why it waits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use multiregion_core::Region;
use tokio::sync::{Mutex, OwnedMutexGuard};
use tokio::time::Instant;

/// An API Gateway operation with a fixed-rate quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// CreateDomainName: 1 request every 30 seconds.
    CreateDomainName,
    /// UpdateDomainName: 1 request every 30 seconds.
    UpdateDomainName,
    /// DeleteDomainName: 1 request every 30 seconds.
    DeleteDomainName,
    /// CreateRestApi of a REGIONAL or private API: 1 request every 3 seconds.
    CreateRestApi,
    /// ImportRestApi of a REGIONAL or private API: 1 request every 3 seconds.
    ImportRestApi,
    /// DeleteRestApi: 1 request every 30 seconds.
    DeleteRestApi,
    /// CreateDeployment: 1 request every 5 seconds.
    CreateDeployment,
    /// PutRestApi: 1 request per second.
    PutRestApi,
}

impl Quota {
    /// Every paced operation.
    pub const ALL: [Quota; 8] = [
        Quota::CreateDomainName,
        Quota::UpdateDomainName,
        Quota::DeleteDomainName,
        Quota::CreateRestApi,
        Quota::ImportRestApi,
        Quota::DeleteRestApi,
        Quota::CreateDeployment,
        Quota::PutRestApi,
    ];

    /// AWS's spacing between two calls, per account and region.
    pub fn interval(self) -> Duration {
        match self {
            Quota::CreateDomainName
            | Quota::UpdateDomainName
            | Quota::DeleteDomainName
            | Quota::DeleteRestApi => Duration::from_secs(30),
            Quota::CreateRestApi | Quota::ImportRestApi => Duration::from_secs(3),
            Quota::CreateDeployment => Duration::from_secs(5),
            Quota::PutRestApi => Duration::from_secs(1),
        }
    }

    /// The operation's API name.
    pub fn operation(self) -> &'static str {
        match self {
            Quota::CreateDomainName => "CreateDomainName",
            Quota::UpdateDomainName => "UpdateDomainName",
            Quota::DeleteDomainName => "DeleteDomainName",
            Quota::CreateRestApi => "CreateRestApi",
            Quota::ImportRestApi => "ImportRestApi",
            Quota::DeleteRestApi => "DeleteRestApi",
            Quota::CreateDeployment => "CreateDeployment",
            Quota::PutRestApi => "PutRestApi",
        }
    }

    /// The quota as AWS states it.
    pub fn describe(self) -> String {
        match self.interval().as_secs() {
            1 => format!("{}: 1 request per second", self.operation()),
            secs => format!("{}: 1 request every {secs} seconds", self.operation()),
        }
    }
}

/// The pacing scale from `MULTIREGION_API_GATEWAY_PACING`: `false` or `0`
/// is off, `true`, `1` or unset is AWS's intervals, and a number between 0
/// and 1 paces at that fraction of them (for tests against an emulator that
/// enforces the same fraction). Anything else keeps the full intervals.
pub fn scale_from_env(value: Option<&str>) -> f64 {
    match value.map(str::trim) {
        None | Some("" | "true" | "1") => 1.0,
        Some("false") => 0.0,
        Some(other) => match other.parse::<f64>() {
            Ok(scale) if (0.0..=1.0).contains(&scale) => scale,
            _ => 1.0,
        },
    }
}

type Slot = Arc<Mutex<Option<Instant>>>;

/// Spaces calls per region and quota. At scale 0 it never waits (for
/// emulators, which have no such quotas).
#[derive(Debug)]
pub struct Pacer {
    scale: f64,
    slots: std::sync::Mutex<HashMap<(Region, Quota), Slot>>,
}

/// A taken slot: hold it until the call has been answered. The next call of
/// the quota in the region waits a full interval from when it is dropped.
#[derive(Debug)]
#[must_use = "hold the slot until the call has been answered"]
pub struct Paced {
    slot: Option<(OwnedMutexGuard<Option<Instant>>, Duration)>,
}

impl Drop for Paced {
    fn drop(&mut self) {
        if let Some((next, spacing)) = &mut self.slot {
            **next = Some(Instant::now() + *spacing);
        }
    }
}

impl Pacer {
    /// A pacer at AWS's intervals, or one that never waits.
    pub fn new(enabled: bool) -> Self {
        Pacer::scaled(if enabled { 1.0 } else { 0.0 })
    }

    /// A pacer at `scale` times AWS's intervals (0: never waits).
    pub fn scaled(scale: f64) -> Self {
        Pacer {
            scale: scale.clamp(0.0, 1.0),
            slots: std::sync::Mutex::default(),
        }
    }

    /// The scale in use.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The spacing this pacer keeps between two calls of `quota`.
    pub fn spacing(&self, quota: Quota) -> Duration {
        quota.interval().mul_f64(self.scale)
    }

    /// Waits for the next free slot of `quota` in `region` and takes it;
    /// the call goes while the returned slot is held.
    pub async fn wait(&self, region: &Region, quota: Quota) -> Paced {
        if self.scale == 0.0 {
            return Paced { slot: None };
        }
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry((region.clone(), quota))
            .or_default()
            .clone();
        let next = slot.lock_owned().await;
        if let Some(at) = *next {
            let wait = at.saturating_duration_since(Instant::now());
            if !wait.is_zero() {
                tracing::info!(
                    %region,
                    operation = quota.operation(),
                    quota = %quota.describe(),
                    wait_seconds = wait.as_secs_f64(),
                    "waiting {:.1} s for API Gateway's quota ({}, per account and region) before {} in {region}",
                    wait.as_secs_f64(),
                    quota.describe(),
                    quota.operation(),
                );
                tokio::time::sleep_until(at).await;
            }
        }
        Paced {
            slot: Some((next, self.spacing(quota))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// AWS's figures, as "Amazon API Gateway quotas" states them
    /// (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html,
    /// "API Gateway quotas for creating, deploying and managing an API"):
    /// per account and region, and not adjustable.
    #[test]
    fn the_table_is_awss() {
        let table: Vec<(&str, u64)> = Quota::ALL
            .iter()
            .map(|q| (q.operation(), q.interval().as_secs()))
            .collect();
        assert_eq!(
            table,
            [
                ("CreateDomainName", 30),
                ("UpdateDomainName", 30),
                ("DeleteDomainName", 30),
                ("CreateRestApi", 3),
                ("ImportRestApi", 3),
                ("DeleteRestApi", 30),
                ("CreateDeployment", 5),
                ("PutRestApi", 1),
            ]
        );
        assert_eq!(
            Quota::UpdateDomainName.describe(),
            "UpdateDomainName: 1 request every 30 seconds"
        );
        assert_eq!(
            Quota::PutRestApi.describe(),
            "PutRestApi: 1 request per second"
        );
    }

    /// A first apply of 12 pairs creates 2 domains per pair in each of the
    /// two regions: 24 CreateDomainName calls per region, the regions in
    /// parallel, 30 s apart: about 12 minutes, as the docs say.
    #[test]
    fn twelve_pairs_take_minutes_of_domain_creation() {
        let per_region = 12 * 2;
        let least = Quota::CreateDomainName.interval() * (per_region - 1);
        assert_eq!(least, Duration::from_secs(690));
    }

    #[test]
    fn the_environment_sets_the_scale() {
        assert_eq!(scale_from_env(None), 1.0);
        assert_eq!(scale_from_env(Some("true")), 1.0);
        assert_eq!(scale_from_env(Some("false")), 0.0);
        assert_eq!(scale_from_env(Some("0")), 0.0);
        assert_eq!(scale_from_env(Some("0.001")), 0.001);
        assert_eq!(scale_from_env(Some("7")), 1.0);
        assert_eq!(scale_from_env(Some("soon")), 1.0);
    }

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_per_region_and_quota_from_their_answer() {
        let pacer = Pacer::new(true);
        let east = Region::new("us-east-1").unwrap();
        let west = Region::new("us-west-2").unwrap();
        let start = Instant::now();
        drop(pacer.wait(&east, Quota::CreateDomainName).await);
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first call goes at once"
        );
        drop(pacer.wait(&west, Quota::CreateDomainName).await);
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "regions have their own quota"
        );
        drop(pacer.wait(&east, Quota::DeleteDomainName).await);
        assert_eq!(start.elapsed(), Duration::ZERO, "operations are separate");
        let slot = pacer.wait(&east, Quota::CreateDomainName).await;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        // The call takes 2 s to answer: the next waits 30 s from the answer.
        tokio::time::sleep(Duration::from_secs(2)).await;
        drop(slot);
        drop(pacer.wait(&east, Quota::CreateDomainName).await);
        assert_eq!(start.elapsed(), Duration::from_secs(62));
        drop(pacer.wait(&east, Quota::CreateRestApi).await);
        drop(pacer.wait(&east, Quota::CreateRestApi).await);
        assert_eq!(start.elapsed(), Duration::from_secs(65));
    }

    #[tokio::test(start_paused = true)]
    async fn a_scaled_pacer_waits_the_same_fraction_and_a_disabled_one_never() {
        let east = Region::new("us-east-1").unwrap();
        let scaled = Pacer::scaled(0.5);
        assert_eq!(
            scaled.spacing(Quota::PutRestApi),
            Duration::from_millis(500)
        );
        let start = Instant::now();
        for _ in 0..3 {
            drop(scaled.wait(&east, Quota::UpdateDomainName).await);
        }
        assert_eq!(start.elapsed(), Duration::from_secs(30));
        let off = Pacer::new(false);
        let start = Instant::now();
        for _ in 0..3 {
            drop(off.wait(&east, Quota::CreateDomainName).await);
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
