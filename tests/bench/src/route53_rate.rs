//! Route 53's API rate: five requests per second per AWS account, which
//! moto does not have.
//!
//! "All requests – Five requests per second per AWS account. If you submit
//! more than five requests per second, Amazon Route 53 returns an HTTP 400
//! error (Bad request). The response header also includes a Code element
//! with a value of Throttling and a Message element with a value of Rate
//! exceeded." (Route 53 Developer Guide, "Quotas", section "Quotas on API
//! requests", <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html>).
//!
//! The bench counts an access key as an account, over a sliding second of
//! the rate's own time ([`Route53Rate::check`]). On the wall clock that is
//! wall time. On a virtual clock it is virtual time plus the wall time since
//! the proxy started: a Wait state takes no real time, so wall time alone
//! would see a minute's polls as one burst, while an SDK's retry backoff
//! takes real time and no virtual time, so virtual time alone would never
//! let a throttled caller's window slide. A refused request does not count. Enforcement
//! is off until a test turns it on, optionally only for one access key.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use crate::clock::EpochMs;

use crate::faults::{Canned, error_response};
use crate::request::AwsRequest;

/// AWS's figure: requests per second per account.
pub const REQUESTS_PER_SECOND: usize = 5;

/// Route 53's rate, enforced when on.
#[derive(Debug, Default)]
pub struct Route53Rate {
    /// `None`: off; `Some(None)`: every caller; `Some(Some(key))`: one.
    enforced: Mutex<Option<Option<String>>>,
    calls: Mutex<HashMap<String, VecDeque<EpochMs>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Route53Rate {
    /// Enforces the rate for every caller, or only for `access_key`, or
    /// stops (`enforce` false). Forgets earlier calls.
    pub fn set(&self, enforce: bool, access_key: Option<&str>) {
        *lock(&self.enforced) = enforce.then(|| access_key.map(str::to_owned));
        lock(&self.calls).clear();
    }

    /// The `Throttling` answer if `aws`, at `now` on the bench's clock, is
    /// a sixth request within a second of its account; else counts it and
    /// returns `None`.
    pub fn check(&self, aws: &AwsRequest, now: EpochMs) -> Option<Canned> {
        let only = lock(&self.enforced).clone()?;
        if aws.service != "route53" || only.is_some_and(|key| key != aws.access_key) {
            return None;
        }
        let mut calls = lock(&self.calls);
        let recent = calls.entry(aws.access_key.clone()).or_default();
        while recent.front().is_some_and(|t| now - *t >= 1000) {
            recent.pop_front();
        }
        if recent.len() >= REQUESTS_PER_SECOND {
            return Some(error_response(
                aws.protocol(),
                400,
                "Throttling",
                "Rate exceeded",
            ));
        }
        recent.push_back(now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(key: &str) -> AwsRequest {
        AwsRequest {
            service: "route53".into(),
            region: "us-east-1".into(),
            operation: "ListResourceRecordSets".into(),
            access_key: key.into(),
        }
    }

    #[test]
    fn a_sixth_request_within_a_second_is_throttled_per_account() {
        let rate = Route53Rate::default();
        let t0: EpochMs = 1_767_225_600_000;
        assert!(rate.check(&request("A"), t0).is_none(), "off by default");
        rate.set(true, None);
        for i in 0..5 {
            assert!(rate.check(&request("A"), t0 + i * 100).is_none());
        }
        let refused = rate.check(&request("A"), t0 + 900);
        assert_eq!(
            refused.map(|(status, _, text)| (status, text.contains("<Code>Throttling</Code>"))),
            Some((400, true))
        );
        assert!(rate.check(&request("B"), t0 + 900).is_none());
        // The first call leaves the window a second after it.
        assert!(rate.check(&request("A"), t0 + 1000).is_none());
        rate.set(true, Some("B"));
        for _ in 0..10 {
            assert!(rate.check(&request("A"), t0).is_none(), "only B is limited");
        }
    }
}
