//! The health probe as the handlers see it: a small trait over the core's
//! [`Prober`], so a handler's decisions are unit-tested with canned answers.

use std::future::Future;

use multiregion_core::probe::{Answer, ProbeError, Prober};
use multiregion_core::region::Region;
use serde::Serialize;

/// Probes `https://<name>/<health_path>/ping`.
pub trait Probe: Send + Sync {
    /// One probe of `name`.
    fn probe(&self, name: &str) -> impl Future<Output = Result<Answer, ProbeError>> + Send;
}

impl Probe for Prober {
    fn probe(&self, name: &str) -> impl Future<Output = Result<Answer, ProbeError>> + Send {
        Prober::probe(self, name)
    }
}

/// A probe's result as logs and outputs show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProbeReport {
    /// The name probed.
    pub name: String,
    /// The region that answered, if any.
    pub region: Option<Region>,
    /// How long the answer took.
    pub latency_ms: Option<u64>,
    /// Why there was no answer.
    pub error: Option<String>,
}

impl ProbeReport {
    /// The report of `result` for `name`.
    pub fn new(name: &str, result: &Result<Answer, ProbeError>) -> Self {
        match result {
            Ok(answer) => ProbeReport {
                name: name.to_owned(),
                region: Some(answer.region.clone()),
                latency_ms: Some(answer.latency.as_millis() as u64),
                error: None,
            },
            Err(error) => ProbeReport {
                name: name.to_owned(),
                region: None,
                latency_ms: None,
                error: Some(error.to_string()),
            },
        }
    }

    /// Whether the name answered from `region`.
    pub fn answered_from(&self, region: &Region) -> bool {
        self.region.as_ref() == Some(region)
    }

    /// One line for messages: `answered from us-east-1 in 12 ms` or the error.
    pub fn describe(&self) -> String {
        match (&self.region, self.latency_ms, &self.error) {
            (Some(region), Some(ms), _) => {
                format!("{} answered from {region} in {ms} ms", self.name)
            }
            (_, _, Some(error)) => format!("{} did not answer: {error}", self.name),
            _ => format!("{} did not answer", self.name),
        }
    }
}

/// Canned probe answers for unit tests.
#[cfg(test)]
pub(crate) mod fake {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    /// Answers each name as configured; an unknown name does not resolve.
    #[derive(Debug, Default, Clone)]
    pub(crate) struct FakeProbe(pub HashMap<String, Result<Answer, ProbeError>>);

    impl FakeProbe {
        pub(crate) fn answers(mut self, name: &str, region: &str) -> Self {
            let answer = Answer {
                region: Region::new(region).unwrap(),
                latency: Duration::from_millis(7),
            };
            self.0.insert(name.to_owned(), Ok(answer));
            self
        }

        pub(crate) fn fails(mut self, name: &str) -> Self {
            self.0.insert(
                name.to_owned(),
                Err(ProbeError::Connect {
                    address: "192.0.2.1:443".into(),
                    reason: "connection refused".into(),
                }),
            );
            self
        }
    }

    impl Probe for FakeProbe {
        fn probe(&self, name: &str) -> impl Future<Output = Result<Answer, ProbeError>> + Send {
            let answer = self
                .0
                .get(name)
                .cloned()
                .unwrap_or(Err(ProbeError::Resolve {
                    name: name.to_owned(),
                    reason: "NXDOMAIN".into(),
                }));
            async move { answer }
        }
    }
}
