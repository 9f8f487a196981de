//! Route 53 propagation. moto answers every change batch with the same change
//! id and `INSYNC` at once, and its records change at once. AWS gives each
//! batch its own id and answers `PENDING` until the change has reached every
//! authoritative name server (typically within 60 seconds); until then a
//! name server may still answer with the records as they were.
//!
//! Here each accepted batch gets its own id and is `PENDING` until the set
//! propagation time has passed on the bench's [`Clock`]; until then the
//! bench's resolvers answer from the zone as it was before the batch (the
//! worst case: every name server still has the old records).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::clock::{Clock, EpochMs};
use crate::route53::{RecordSet, normalize};

#[derive(Debug)]
struct Submitted {
    at: EpochMs,
    submitted_at: String,
    before: Vec<RecordSet>,
}

/// Change ids and their propagation.
#[derive(Debug)]
pub struct Changes {
    clock: Clock,
    submitted: Mutex<HashMap<String, Submitted>>,
    propagation: Mutex<Duration>,
    counter: std::sync::atomic::AtomicU64,
}

impl Changes {
    /// Changes whose propagation follows `clock`.
    pub fn new(clock: Clock) -> Self {
        Changes {
            clock,
            submitted: Mutex::default(),
            propagation: Mutex::default(),
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How long a change stays `PENDING` (zero by default).
    pub fn set_propagation(&self, propagation: Duration) {
        *self.propagation.lock().unwrap_or_else(|p| p.into_inner()) = propagation;
    }

    fn propagation_ms(&self) -> EpochMs {
        self.propagation
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_millis() as EpochMs
    }

    /// Gives moto's answer to an accepted batch its own change id, `PENDING`.
    /// `before` is the zone as it was before the batch.
    pub fn record(&self, moto_answer: &str, before: Vec<RecordSet>) -> String {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let id = format!("CB{:012X}", n + 1);
        let submitted_at = moto_answer
            .split("<SubmittedAt>")
            .nth(1)
            .and_then(|r| r.split("</SubmittedAt>").next())
            .unwrap_or("1970-01-01T00:00:00Z")
            .to_owned();
        self.submitted
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(
                id.clone(),
                Submitted {
                    at: self.clock.now_ms(),
                    submitted_at,
                    before,
                },
            );
        let moto_id = moto_answer
            .split("<Id>")
            .nth(1)
            .and_then(|r| r.split("</Id>").next())
            .unwrap_or("/change/C2682N5HXP0BZ4")
            .to_owned();
        moto_answer
            .replace(&moto_id, &format!("/change/{id}"))
            .replace("<Status>INSYNC</Status>", "<Status>PENDING</Status>")
    }

    /// The answer to GetChange for an id this layer gave, if it gave it.
    pub fn get(&self, id: &str) -> Option<String> {
        let id = id.trim_start_matches("/change/");
        let now = self.clock.now_ms();
        let propagation = self.propagation_ms();
        let submitted = self.submitted.lock().unwrap_or_else(|p| p.into_inner());
        let change = submitted.get(id)?;
        let status = if now - change.at >= propagation {
            "INSYNC"
        } else {
            "PENDING"
        };
        Some(format!(
            "<?xml version=\"1.0\"?>\n<GetChangeResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeInfo><Id>/change/{id}</Id><Status>{status}</Status><SubmittedAt>{}</SubmittedAt></ChangeInfo></GetChangeResponse>",
            change.submitted_at
        ))
    }

    /// What name servers answer for `name` while a change to it is still
    /// `PENDING`: its record sets from before the oldest such change. `None`
    /// when every change to it is INSYNC (the live records hold).
    pub fn served_before_insync(&self, name: &str) -> Option<Vec<RecordSet>> {
        let name = normalize(name);
        let now = self.clock.now_ms();
        let propagation = self.propagation_ms();
        let submitted = self.submitted.lock().unwrap_or_else(|p| p.into_inner());
        submitted
            .values()
            .filter(|c| now - c.at < propagation)
            .filter(|c| c.before.iter().any(|set| set.name == name))
            .min_by_key(|c| c.at)
            .map(|c| {
                c.before
                    .iter()
                    .filter(|set| set.name == name)
                    .cloned()
                    .collect()
            })
    }
}
