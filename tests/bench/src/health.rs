//! Route 53's answer to a name with failover records, by health status.
//!
//! Route 53 answers a failover pair with the PRIMARY while it is healthy and
//! with the SECONDARY while the PRIMARY is not. A record without a health
//! check (and with `EvaluateTargetHealth` false) counts as healthy; a
//! disabled health check counts as healthy; and when no record of the
//! group is healthy Route 53 treats them all as healthy, so the PRIMARY
//! answers ("How Amazon Route 53 chooses records when health checking is
//! configured",
//! <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/health-checks-how-route-53-chooses-records.html>).
//!
//! The statuses live here, by health check id ([`HealthStatuses`]). What
//! sets them is the health checkers' part: the game day's evaluator, or a
//! test. A health check nobody has judged yet is healthy.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::route53::RecordSet;

/// The health checkers' current verdict on each health check.
#[derive(Debug, Default)]
pub struct HealthStatuses {
    healthy: Mutex<HashMap<String, bool>>,
}

impl HealthStatuses {
    /// Sets the status of health check `id`.
    pub fn set(&self, id: &str, healthy: bool) {
        self.healthy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_owned(), healthy);
    }

    /// Forgets health check `id` (it was deleted): healthy again if reused.
    pub fn forget(&self, id: &str) {
        self.healthy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }

    /// Whether health check `id` is healthy now (healthy until judged).
    pub fn is_healthy(&self, id: &str) -> bool {
        self.healthy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .copied()
            .unwrap_or(true)
    }

    /// Whether `set` counts as healthy: no health check, or a healthy one.
    fn record_is_healthy(&self, set: &RecordSet) -> bool {
        set.health_check_id
            .as_deref()
            .is_none_or(|id| self.is_healthy(id))
    }

    /// Of the A record sets of one name, the one Route 53 answers with: the
    /// simple record, or the failover record chosen by health.
    pub fn answering<'a>(&self, sets: &[&'a RecordSet]) -> Option<&'a RecordSet> {
        let a: Vec<&RecordSet> = sets.iter().copied().filter(|s| s.rtype == "A").collect();
        let of = |kind: &str| {
            a.iter()
                .copied()
                .find(|s| s.failover.as_deref() == Some(kind))
        };
        match (of("PRIMARY"), of("SECONDARY")) {
            (Some(primary), Some(secondary)) => {
                if !self.record_is_healthy(primary) && self.record_is_healthy(secondary) {
                    Some(secondary)
                } else {
                    Some(primary)
                }
            }
            // A lone failover record answers whatever its health.
            (Some(only), None) | (None, Some(only)) => Some(only),
            (None, None) => a.first().copied(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route53::Alias;

    fn failover(kind: &str, target: &str, check: Option<&str>) -> RecordSet {
        RecordSet {
            name: "api.example.com".into(),
            rtype: "A".into(),
            set_identifier: Some(kind.to_ascii_lowercase()),
            failover: Some(kind.into()),
            health_check_id: check.map(str::to_owned),
            ttl: None,
            values: vec![],
            alias: Some(Alias {
                dns_name: target.into(),
                hosted_zone_id: "Z".into(),
                evaluate_target_health: false,
            }),
        }
    }

    fn target(set: Option<&RecordSet>) -> &str {
        &set.and_then(|s| s.alias.as_ref())
            .expect("an answer")
            .dns_name
    }

    #[test]
    fn the_secondary_answers_only_while_the_primary_is_unhealthy() {
        let health = HealthStatuses::default();
        let primary = failover("PRIMARY", "east", Some("hc-east"));
        let secondary = failover("SECONDARY", "west", None);
        let pair = [&secondary, &primary];
        assert_eq!(target(health.answering(&pair)), "east", "unjudged: healthy");
        health.set("hc-east", false);
        assert_eq!(target(health.answering(&pair)), "west");
        health.set("hc-east", true);
        assert_eq!(target(health.answering(&pair)), "east");
        // Both unhealthy: all count as healthy, and the PRIMARY answers.
        let checked = failover("SECONDARY", "west", Some("hc-west"));
        health.set("hc-east", false);
        health.set("hc-west", false);
        assert_eq!(target(health.answering(&[&primary, &checked])), "east");
        health.forget("hc-east");
        assert!(health.is_healthy("hc-east"));
    }
}
