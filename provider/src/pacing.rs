//! Pacing of API Gateway's fixed control-plane quotas.
//!
//! API Gateway limits some management calls per account and region to a
//! fixed rate that no quota increase changes (AWS documentation, "Amazon API
//! Gateway quotas", section "API Gateway quotas for creating, deploying and
//! managing an API"). Calls beyond it fail with `TooManyRequestsException`.
//! Rather than lean on retries, the provider spaces these calls itself; the
//! SDK's backoff on `TooManyRequestsException` remains as the second line.

use std::collections::HashMap;
use std::time::Duration;

use multiregion_core::Region;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A fixed-rate API Gateway quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Quota {
    /// CreateDomainName and DeleteDomainName: 1 request every 30 seconds.
    DomainName,
    /// DeleteRestApi: 1 request every 30 seconds.
    DeleteRestApi,
    /// CreateDeployment: 1 request every 5 seconds.
    Deployment,
    /// PutRestApi and ImportRestApi: 1 request per second.
    PutRestApi,
}

impl Quota {
    /// The spacing between two calls.
    pub fn interval(self) -> Duration {
        match self {
            Quota::DomainName | Quota::DeleteRestApi => Duration::from_secs(30),
            Quota::Deployment => Duration::from_secs(5),
            Quota::PutRestApi => Duration::from_secs(1),
        }
    }
}

/// Spaces calls per region and quota. Disabled, it never waits (for
/// emulators, which have no such quotas).
#[derive(Debug)]
pub struct Pacer {
    enabled: bool,
    next: Mutex<HashMap<(Region, Quota), Instant>>,
}

impl Pacer {
    /// A pacer; `enabled: false` makes [`Pacer::wait`] return at once.
    pub fn new(enabled: bool) -> Self {
        Pacer {
            enabled,
            next: Mutex::default(),
        }
    }

    /// Waits for the next free slot of `quota` in `region` and takes it.
    pub async fn wait(&self, region: &Region, quota: Quota) {
        if !self.enabled {
            return;
        }
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let entry = next.entry((region.clone(), quota)).or_insert(now);
            let slot = (*entry).max(now);
            *entry = slot + quota.interval();
            slot
        };
        if slot > Instant::now() {
            tracing::info!(%region, ?quota, wait = ?(slot - Instant::now()), "pacing an API Gateway call");
            tokio::time::sleep_until(slot).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn calls_are_spaced_per_region_and_quota() {
        let pacer = Pacer::new(true);
        let east = Region::new("us-east-1").unwrap();
        let west = Region::new("us-west-2").unwrap();
        let start = Instant::now();
        pacer.wait(&east, Quota::DomainName).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "the first call goes at once"
        );
        pacer.wait(&west, Quota::DomainName).await;
        assert_eq!(
            start.elapsed(),
            Duration::ZERO,
            "regions have their own quota"
        );
        pacer.wait(&east, Quota::Deployment).await;
        assert_eq!(start.elapsed(), Duration::ZERO, "quotas are separate");
        pacer.wait(&east, Quota::DomainName).await;
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }

    #[tokio::test(start_paused = true)]
    async fn a_disabled_pacer_never_waits() {
        let pacer = Pacer::new(false);
        let east = Region::new("us-east-1").unwrap();
        let start = Instant::now();
        for _ in 0..3 {
            pacer.wait(&east, Quota::DomainName).await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
