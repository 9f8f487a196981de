//! Event times. Decisions use the time carried by the event (the alarm's
//! state change, the schedule's tick, the execution's start), never the wall
//! clock, so that a virtual clock can drive them.

use chrono::{DateTime, FixedOffset};

/// Parses a timestamp as AWS writes them in events: RFC 3339
/// (`2026-11-24T03:07:55Z`, Step Functions, EventBridge) or CloudWatch's
/// alarm notifications (`2026-11-24T03:07:55.123+0000`). Returns seconds since
/// the Unix epoch.
pub fn parse_event_time(text: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::<FixedOffset>::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_shape_aws_writes() {
        assert_eq!(parse_event_time("1970-01-01T00:01:00Z"), Some(60));
        assert_eq!(parse_event_time("1970-01-01T00:01:00.250Z"), Some(60));
        assert_eq!(parse_event_time("1970-01-01T00:01:00.123+0000"), Some(60));
        assert_eq!(parse_event_time("1970-01-01T01:01:00+01:00"), Some(60));
        assert_eq!(parse_event_time("yesterday"), None);
    }
}
