//! Route 53's API rate, kept by the provider itself.
//!
//! "All requests – Five requests per second per AWS account. If you submit
//! more than five requests per second, Amazon Route 53 returns an HTTP 400
//! error (Bad request)" with the code `Throttling` (Route 53 Developer
//! Guide, "Quotas", section "Quotas on API requests",
//! <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html>).
//!
//! The rate is the account's, not a resource's: Terraform works on ten
//! resources at once, so a configuration of several pairs would send their
//! reads in one burst (three pairs measured 8 to 13 calls within a second).
//! Every Route 53 request of this provider process, of every pair and every
//! SDK attempt, therefore goes through one gate that starts a request at
//! most every [`SPACING`]: at most four starts in any one second, with
//! 100 ms to spare for the network's jitter (at 250 ms, five arrived within
//! a second at the bench). That leaves at least one a second of the
//! account's five to the runtime's handlers, whose swap is the one call
//! that must not wait. The SDK's retry of `Throttling` stays the second
//! line (other tools may share the account). The cost: a refresh of 50
//! pairs, two reads each, spends at least 30 s on Route 53.

use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// The least time between the starts of two Route 53 requests.
pub const SPACING: Duration = Duration::from_millis(300);

/// When the next request may start; shared by every connector of the client.
#[derive(Debug, Default, Clone)]
struct Gate {
    next: Arc<Mutex<Option<Instant>>>,
}

impl Gate {
    /// Waits for this request's turn (in arrival order: tokio's mutex is
    /// fair) and books the next one [`SPACING`] later.
    async fn turn(&self) {
        let mut next = self.next.lock().await;
        if let Some(at) = *next
            && at > Instant::now()
        {
            tracing::debug!(
                wait_ms = at.saturating_duration_since(Instant::now()).as_millis() as u64,
                "waiting for Route 53's rate (5 requests per second per account)"
            );
            tokio::time::sleep_until(at).await;
        }
        *next = Some(Instant::now() + SPACING);
    }
}

/// An HTTP client whose requests start at most every [`SPACING`].
#[derive(Debug, Clone)]
pub struct Paced {
    inner: SharedHttpClient,
    gate: Gate,
}

/// `inner`, paced to Route 53's rate.
pub fn paced(inner: SharedHttpClient) -> SharedHttpClient {
    SharedHttpClient::new(Paced {
        inner,
        gate: Gate::default(),
    })
}

impl HttpClient for Paced {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(PacedConnector {
            inner: self.inner.http_connector(settings, components),
            gate: self.gate.clone(),
        })
    }
}

#[derive(Debug)]
struct PacedConnector {
    inner: SharedHttpConnector,
    gate: Gate,
}

impl HttpConnector for PacedConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let (inner, gate) = (self.inner.clone(), self.gate.clone());
        HttpConnectorFuture::new(async move {
            gate.turn().await;
            inner.call(request).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn turns_are_spaced_and_taken_in_order() {
        let gate = Gate::default();
        let start = Instant::now();
        let mut turns = Vec::new();
        for _ in 0..5 {
            gate.turn().await;
            turns.push(Instant::now() - start);
        }
        assert_eq!(
            turns,
            (0..5).map(|i| SPACING * i).collect::<Vec<_>>(),
            "the first goes at once, each next one a spacing later"
        );
        // A request after a quiet spell goes at once.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = Instant::now();
        gate.turn().await;
        assert_eq!(Instant::now(), before);
    }
}
