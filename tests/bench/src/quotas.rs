//! API Gateway's fixed control-plane quotas, which moto does not have.
//!
//! Per account (the bench counts an access key as one) and region, API
//! Gateway accepts some management calls only at a fixed rate that no quota
//! increase changes, and answers a call that comes too early with 429
//! `TooManyRequestsException`. The figures are AWS's, from "Amazon API
//! Gateway quotas", section "API Gateway quotas for creating, deploying and
//! managing an API" (docs.aws.amazon.com/apigateway/latest/developerguide/limits.html);
//! each operation has its own row there, so each has its own bucket here.
//!
//! Tests do not wait 30 s: the provider paces at a *scale* of the real
//! intervals (`MULTIREGION_API_GATEWAY_PACING=<scale>`), and the bench
//! enforces the same intervals at the same scale, so unpaced code is
//! refused and paced code passes. Enforcement is off until a test turns it
//! on, optionally only for the access key of the code under test (test
//! set-up and inspection use other keys, as other accounts would).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::faults::{Canned, error_response};
use crate::request::AwsRequest;

/// How the bench enforces the quotas.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaSettings {
    /// The fraction of AWS's intervals enforced (1.0: AWS's own figures).
    pub scale: f64,
    /// Only calls signed with this access key, if set.
    pub access_key: Option<String>,
}

impl QuotaSettings {
    /// AWS's intervals times `scale`, for every caller.
    pub fn scaled(scale: f64) -> Self {
        QuotaSettings {
            scale,
            access_key: None,
        }
    }

    /// Only for callers signing with `access_key`.
    pub fn for_access_key(mut self, access_key: &str) -> Self {
        self.access_key = Some(access_key.to_owned());
        self
    }
}

/// The quota row of a call and its interval at AWS, if it has one.
pub fn quota_of(aws: &AwsRequest, path: &str, body: &[u8]) -> Option<(&'static str, Duration)> {
    if aws.service != "apigateway" {
        return None;
    }
    let secs = Duration::from_secs;
    let query = path.split_once('?').map(|(_, q)| q).unwrap_or_default();
    let regional_import = query.contains("REGIONAL") || query.contains("PRIVATE");
    let regional_create = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|b| b.pointer("/endpointConfiguration/types").cloned())
        .and_then(|t| t.as_array().cloned())
        .is_some_and(|types| {
            types
                .iter()
                .any(|t| matches!(t.as_str(), Some("REGIONAL" | "PRIVATE")))
        });
    Some(match aws.operation.as_str() {
        "CreateDomainName" => ("CreateDomainName", secs(30)),
        "UpdateDomainName" => ("UpdateDomainName", secs(30)),
        "DeleteDomainName" => ("DeleteDomainName", secs(30)),
        "DeleteRestApi" => ("DeleteRestApi", secs(30)),
        "CreateDeployment" => ("CreateDeployment", secs(5)),
        "PutRestApi" => ("PutRestApi", secs(1)),
        // Without an endpoint configuration both default to EDGE.
        "CreateRestApi" if regional_create => ("CreateRestApi (regional)", secs(3)),
        "CreateRestApi" => ("CreateRestApi (edge-optimized)", secs(30)),
        "ImportRestApi" if regional_import => ("ImportRestApi (regional)", secs(3)),
        "ImportRestApi" => ("ImportRestApi (edge-optimized)", secs(30)),
        _ => return None,
    })
}

/// The quota state: settings, and the last accepted call per bucket.
#[derive(Debug, Default)]
pub struct Quotas {
    settings: Mutex<Option<QuotaSettings>>,
    last: Mutex<HashMap<(String, String, &'static str), Instant>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Quotas {
    /// Enforces the quotas with `settings`, or stops (`None`). Forgets
    /// earlier calls.
    pub fn set(&self, settings: Option<QuotaSettings>) {
        *lock(&self.settings) = settings;
        lock(&self.last).clear();
    }

    /// The 429 API Gateway answers if `aws` comes too early, with the
    /// quota's name for the log; else counts the call and returns `None`.
    pub fn check(&self, aws: &AwsRequest, path: &str, body: &[u8]) -> Option<(Canned, String)> {
        let settings = lock(&self.settings).clone()?;
        if settings
            .access_key
            .as_deref()
            .is_some_and(|key| key != aws.access_key)
        {
            return None;
        }
        let (row, interval) = quota_of(aws, path, body)?;
        let spacing = interval.mul_f64(settings.scale);
        let now = Instant::now();
        let mut last = lock(&self.last);
        let key = (aws.access_key.clone(), aws.region.clone(), row);
        if let Some(previous) = last.get(&key)
            && now < *previous + spacing
        {
            let wait = *previous + spacing - now;
            let (status, mut headers, text) = error_response(
                aws.protocol(),
                429,
                "TooManyRequestsException",
                "Too Many Requests",
            );
            headers.push((
                "retry-after".into(),
                wait.as_secs_f64().ceil().max(1.0).to_string(),
            ));
            let detail = format!(
                "quota {row}: 1 per {} s (scaled x{})",
                interval.as_secs(),
                settings.scale
            );
            return Some(((status, headers, text), detail));
        }
        last.insert(key, now);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(operation: &str, key: &str, region: &str) -> AwsRequest {
        AwsRequest {
            service: "apigateway".into(),
            region: region.into(),
            access_key: key.into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn the_rows_are_awss() {
        let row = |op: &str, path: &str, body: &str| {
            quota_of(&request(op, "k", "us-east-1"), path, body.as_bytes())
        };
        assert_eq!(
            row("UpdateDomainName", "/domainnames/a", ""),
            Some(("UpdateDomainName", Duration::from_secs(30)))
        );
        assert_eq!(
            row(
                "CreateRestApi",
                "/restapis",
                r#"{"name":"a","endpointConfiguration":{"types":["REGIONAL"]}}"#
            ),
            Some(("CreateRestApi (regional)", Duration::from_secs(3)))
        );
        assert_eq!(
            row("CreateRestApi", "/restapis", r#"{"name":"a"}"#).map(|r| r.1),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            row(
                "ImportRestApi",
                "/restapis?endpointConfigurationTypes=REGIONAL&mode=import",
                ""
            ),
            Some(("ImportRestApi (regional)", Duration::from_secs(3)))
        );
        assert_eq!(row("GetRestApis", "/restapis", ""), None);
    }

    #[test]
    fn a_burst_is_refused_per_account_and_region_and_only_when_enabled() {
        let quotas = Quotas::default();
        let create = request("CreateDomainName", "a", "us-east-1");
        assert!(quotas.check(&create, "/domainnames", b"").is_none());
        assert!(quotas.check(&create, "/domainnames", b"").is_none(), "off");
        quotas.set(Some(QuotaSettings::scaled(1.0)));
        assert!(quotas.check(&create, "/domainnames", b"").is_none());
        let ((status, headers, _), detail) =
            quotas.check(&create, "/domainnames", b"").expect("refused");
        assert_eq!(status, 429);
        assert!(headers.iter().any(|(k, v)| k == "retry-after" && v == "30"));
        assert!(detail.contains("CreateDomainName"), "{detail}");
        for other in [
            request("CreateDomainName", "b", "us-east-1"),
            request("CreateDomainName", "a", "us-west-2"),
            request("DeleteDomainName", "a", "us-east-1"),
        ] {
            assert!(quotas.check(&other, "/domainnames/x", b"").is_none());
        }
        quotas.set(Some(QuotaSettings::scaled(1.0).for_access_key("b")));
        assert!(quotas.check(&create, "/domainnames", b"").is_none());
        assert!(quotas.check(&create, "/domainnames", b"").is_none());
    }
}
