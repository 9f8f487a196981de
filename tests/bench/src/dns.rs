//! DNS as clients see it: named resolvers (a region's Lambda functions
//! share one, a client outside AWS has its own) that ask the zone's name
//! servers and cache the answer for the TTL on the bench's [`Clock`].
//!
//! The name servers answer from the live records in moto once every change
//! to the name is INSYNC, and from the records as they were before the
//! oldest pending change until then ([`Changes::served_before_insync`]). A
//! name resolves, through its alias target's region, to that region's front's
//! addresses; of failover records, the one the health checks choose
//! ([`crate::health`]).
//! With the TTL at zero (the default) nothing is cached and every lookup
//! sees the live records, as before.
//!
//! With caching on, a resolver also caches NXDOMAIN (RFC 2308) for the
//! zone's negative TTL: the lesser of the SOA record's TTL and its MINIMUM
//! field. Route 53's default SOA (TTL 900, minimum 86400) makes that 900 s,
//! so a name looked up before its record exists stays unknown to that
//! resolver for 15 minutes after the record is created.
//!
//! Every answer, cached or fresh, is the one its resolver's vantage sees
//! ([`Fronts::seen_from`]): while a link from that vantage to a region's
//! front is cut (a partition between regions), the front's addresses answer
//! as unreachable to it and to no one else.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::Result;

use crate::clock::{Clock, EpochMs};
use crate::fronts::{Fronts, region_of_regional_domain};
use crate::propagation::Changes;
use crate::route53::normalize;

/// The resolver a lookup without a name uses.
pub const DEFAULT_RESOLVER: &str = "default";

/// How long a resolver caches NXDOMAIN for a name in a Route 53 zone with
/// the default SOA record: min(SOA TTL 900 s, MINIMUM 86400 s).
pub const ROUTE53_NEGATIVE_TTL: Duration = Duration::from_secs(900);

/// A cached answer: the addresses (`None`: NXDOMAIN) and when it expires.
type Cached = (Option<Vec<SocketAddr>>, EpochMs);

/// The bench's resolvers.
#[derive(Debug)]
pub struct Resolvers {
    clock: Clock,
    ttl: Mutex<Duration>,
    cache: Mutex<HashMap<(String, String), Cached>>,
}

impl Resolvers {
    /// Resolvers on `clock`, caching nothing yet.
    pub fn new(clock: Clock) -> Self {
        Resolvers {
            clock,
            ttl: Mutex::default(),
            cache: Mutex::default(),
        }
    }

    /// How long resolvers cache an answer (zero: not at all).
    pub fn set_ttl(&self, ttl: Duration) {
        *self.ttl.lock().unwrap_or_else(|p| p.into_inner()) = ttl;
    }

    /// Forgets every cached answer.
    pub fn flush(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// Resolves `name` with `resolver`: from its cache while the answer is
    /// fresh, else from the name servers. An alias answer carries every
    /// address of the region's front, in order (API Gateway's regional
    /// domains answer with several).
    pub async fn resolve(
        &self,
        resolver: &str,
        name: &str,
        changes: &Changes,
        fronts: &Fronts,
    ) -> Result<Option<Vec<SocketAddr>>> {
        let key = (resolver.to_owned(), normalize(name));
        let now = self.clock.now_ms();
        let cached = self
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .filter(|(_, expires)| *expires > now)
            .map(|(answer, _)| answer.clone());
        if let Some(answer) = cached {
            return Ok(match answer {
                Some(addresses) => Some(fronts.seen_from(resolver, addresses).await),
                None => None,
            });
        }
        let answer = match changes.served_before_insync(name) {
            Some(sets) => {
                let region = fronts
                    .health()
                    .answering(&sets.iter().collect::<Vec<_>>())
                    .and_then(|set| region_of_regional_domain(&set.alias.as_ref()?.dns_name));
                match region {
                    Some(region) => Some(fronts.addresses(&region).await?),
                    None => None,
                }
            }
            None => fronts.resolve_all(name).await?,
        };
        let ttl = self
            .ttl
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_millis() as EpochMs;
        let keep = if answer.is_some() {
            ttl
        } else {
            ROUTE53_NEGATIVE_TTL.as_millis() as EpochMs
        };
        if ttl > 0 {
            self.cache
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(key, (answer.clone(), now + keep));
        }
        Ok(match answer {
            Some(addresses) => Some(fronts.seen_from(resolver, addresses).await),
            None => None,
        })
    }
}
