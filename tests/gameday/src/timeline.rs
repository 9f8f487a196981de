//! The timeline of a game day on the virtual clock, and the counts that go
//! with it.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use multiregion_bench::clock::EpochMs;
use serde::Serialize;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// An outage was injected.
    Outage,
    /// The injected outage ended.
    Recovery,
    /// A pinger failed: the active name did not answer it.
    ProbeFailed,
    /// A pinger could not run (its region's Lambda refused the tick).
    PingerRefused,
    /// An alarm went to ALARM.
    Alarm,
    /// An alarm went back to OK.
    AlarmOk,
    /// The alarm's notification reached its topic: a person is paged.
    Paged,
    /// A pinger started a state machine execution.
    ExecutionStarted,
    /// The compare-and-swap was accepted.
    Swap,
    /// Route 53 reported the change INSYNC.
    InSync,
    /// The public name answered from the target (the state machine's check).
    Verified,
    /// The outcome was published.
    Notified,
    /// An execution ended.
    ExecutionEnded,
    /// A new client outside AWS (nothing cached) got the first answer from
    /// the other region.
    FirstAnswer,
    /// A client whose resolver cached the old answer got one from the other
    /// region: every client has moved.
    CachedClientAnswer,
}

impl Kind {
    /// How the timeline prints it.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Outage => "outage",
            Kind::Recovery => "recovery",
            Kind::ProbeFailed => "failed probe",
            Kind::PingerRefused => "pinger refused",
            Kind::Alarm => "alarm",
            Kind::AlarmOk => "alarm OK",
            Kind::Paged => "page",
            Kind::ExecutionStarted => "state machine start",
            Kind::Swap => "swap",
            Kind::InSync => "INSYNC",
            Kind::Verified => "verified",
            Kind::Notified => "notified",
            Kind::ExecutionEnded => "state machine end",
            Kind::FirstAnswer => "first answer from new region",
            Kind::CachedClientAnswer => "answer to a cached client",
        }
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// When (virtual ms since the epoch).
    pub at: EpochMs,
    /// What.
    pub kind: Kind,
    /// Where.
    pub region: String,
    /// Details.
    pub detail: String,
}

/// The timeline.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timeline {
    /// Where `+0` is.
    pub origin: EpochMs,
    /// The entries, in the order they were added.
    pub entries: Vec<Entry>,
}

/// `YYYY-MM-DD HH:MM:SS UTC` of `at`.
pub fn utc(at: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(at)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| at.to_string())
}

/// `+m:ss.mmm` from `origin`.
pub fn offset(origin: EpochMs, at: EpochMs) -> String {
    let ms = at - origin;
    let sign = if ms < 0 { "-" } else { "+" };
    let ms = ms.abs();
    format!(
        "{sign}{}:{:02}.{:03}",
        ms / 60_000,
        ms / 1000 % 60,
        ms % 1000
    )
}

impl Timeline {
    /// Adds an entry.
    pub fn add(&mut self, at: EpochMs, kind: Kind, region: &str, detail: impl Into<String>) {
        self.entries.push(Entry {
            at,
            kind,
            region: region.to_owned(),
            detail: detail.into(),
        });
    }

    /// The entries of `kind`, in time order.
    pub fn all(&self, kind: Kind) -> Vec<&Entry> {
        let mut found: Vec<&Entry> = self.entries.iter().filter(|e| e.kind == kind).collect();
        found.sort_by_key(|e| e.at);
        found
    }

    /// The first entry of `kind` at or after `since`.
    pub fn first(&self, kind: Kind, since: EpochMs) -> Option<&Entry> {
        self.all(kind).into_iter().find(|e| e.at >= since)
    }

    /// The entries in time order, printed one a line from `origin`.
    pub fn render(&self) -> String {
        let mut sorted: Vec<&Entry> = self.entries.iter().collect();
        sorted.sort_by_key(|e| e.at);
        let mut out = String::new();
        for e in sorted {
            let _ = writeln!(
                out,
                "  {:>11}  {:<10} {:<29} {}",
                offset(self.origin, e.at),
                e.region,
                e.kind.label(),
                e.detail
            );
        }
        out
    }
}

/// Counts of a game day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// State transitions, as Step Functions bills them (states entered and
    /// retries), over every execution.
    pub state_transitions: usize,
    /// Executions started.
    pub executions: usize,
    /// Lambda invocations by function.
    pub lambda_invocations: BTreeMap<String, usize>,
    /// AWS calls the runtime's functions made, by service.
    pub aws_calls: BTreeMap<String, usize>,
}

impl Counts {
    /// All Lambda invocations.
    pub fn invocations(&self) -> usize {
        self.lambda_invocations.values().sum()
    }

    /// The counts, printed.
    pub fn render(&self) -> String {
        let list = |map: &BTreeMap<String, usize>| {
            map.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        format!(
            "  state transitions: {} in {} execution(s)\n  Lambda invocations: {} ({})\n  AWS calls by the runtime: {} ({})\n",
            self.state_transitions,
            self.executions,
            self.invocations(),
            list(&self.lambda_invocations),
            self.aws_calls.values().sum::<usize>(),
            list(&self.aws_calls),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_offsets_from_the_origin() {
        assert_eq!(offset(1000, 1000), "+0:00.000");
        assert_eq!(offset(0, 245_250), "+4:05.250");
        assert_eq!(offset(60_000, 0), "-1:00.000");
        let mut timeline = Timeline {
            origin: 0,
            ..Timeline::default()
        };
        timeline.add(2000, Kind::Alarm, "us-west-2", "ALARM");
        timeline.add(1000, Kind::Outage, "us-east-1", "front refuses");
        assert_eq!(timeline.first(Kind::Alarm, 0).map(|e| e.at), Some(2000));
        let text = timeline.render();
        assert!(text.find("outage").unwrap() < text.find("alarm").unwrap());
    }
}
