//! CloudWatch alarm state times on the bench's clock. moto stamps an alarm's
//! state change (`SetAlarmState`, and the OK a `PutMetricAlarm` starts with)
//! with its own wall clock. With a virtual clock the proxy records the
//! virtual time of each such call it forwards and answers `DescribeAlarms`
//! with it, so an alarm's `StateUpdatedTimestamp` is on the same clock as
//! everything else. With the wall clock nothing is changed.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::clock::{Clock, EpochMs};
use crate::request::AwsRequest;

/// The virtual state times of alarms, by (region, alarm name).
#[derive(Debug)]
pub struct AlarmTimes {
    clock: Clock,
    times: Mutex<HashMap<(String, String), EpochMs>>,
}

/// Decodes one `application/x-www-form-urlencoded` value.
fn form_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match u8::from_str_radix(&value[i + 1..i + 3], 16) {
                    Ok(byte) => out.push(byte),
                    Err(_) => out.extend_from_slice(&bytes[i..i + 3]),
                }
                i += 2;
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The value of `key` in a form body.
fn form_value(body: &[u8], key: &str) -> Option<String> {
    std::str::from_utf8(body)
        .ok()?
        .split('&')
        .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
        .map(form_decode)
}

/// RFC 3339 with milliseconds, as CloudWatch's query protocol writes times.
pub fn iso_ms(ms: EpochMs) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

/// The byte ranges of the outermost `<member>` elements (an alarm's own
/// lists, such as its dimensions and actions, are members too, nested).
fn top_level_members(xml: &str) -> Vec<(usize, usize)> {
    let mut members = Vec::new();
    let mut depth = 0usize;
    let mut start = 0;
    let mut at = 0;
    while let Some(i) = xml[at..].find("member>") {
        let tag = at + i;
        let closing = tag >= 2 && &xml[tag - 2..tag] == "</";
        let opening = !closing && tag >= 1 && &xml[tag - 1..tag] == "<";
        if opening {
            if depth == 0 {
                start = tag - 1;
            }
            depth += 1;
        } else if closing && depth > 0 {
            depth -= 1;
            if depth == 0 {
                members.push((start, tag + "member>".len()));
            }
        }
        at = tag + "member>".len();
    }
    members
}

impl AlarmTimes {
    /// Alarm times on `clock`.
    pub fn new(clock: Clock) -> Self {
        AlarmTimes {
            clock,
            times: Mutex::default(),
        }
    }

    /// Notes a forwarded call that changed an alarm's state in moto.
    pub fn forwarded(&self, aws: &AwsRequest, body: &[u8], status: u16) {
        if !self.clock.is_virtual()
            || aws.service != "monitoring"
            || !(200..300).contains(&status)
            || !matches!(aws.operation.as_str(), "SetAlarmState" | "PutMetricAlarm")
        {
            return;
        }
        if let Some(alarm) = form_value(body, "AlarmName") {
            self.times
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert((aws.region.clone(), alarm), self.clock.now_ms());
        }
    }

    /// moto's `DescribeAlarms` answer with the state times on the clock.
    pub fn rewrite(&self, aws: &AwsRequest, answer: &str) -> Option<String> {
        if !self.clock.is_virtual()
            || aws.service != "monitoring"
            || aws.operation != "DescribeAlarms"
        {
            return None;
        }
        let times = self.times.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::with_capacity(answer.len());
        let mut copied = 0;
        for (start, end) in top_level_members(answer) {
            out.push_str(&answer[copied..start]);
            let mut member = answer[start..end].to_owned();
            let name = member
                .split("<AlarmName>")
                .nth(1)
                .and_then(|r| r.split("</AlarmName>").next())
                .map(str::to_owned);
            if let Some(ms) = name.and_then(|n| times.get(&(aws.region.clone(), n))) {
                for tag in ["StateUpdatedTimestamp", "StateTransitionedTimestamp"] {
                    let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
                    if let Some(a) = member.find(&open)
                        && let Some(b) = member[a..].find(&close)
                    {
                        member.replace_range(a + open.len()..a + b, &iso_ms(*ms));
                    }
                }
            }
            out.push_str(&member);
            copied = end;
        }
        out.push_str(&answer[copied..]);
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(operation: &str) -> AwsRequest {
        AwsRequest {
            service: "monitoring".into(),
            region: "us-west-2".into(),
            access_key: "k".into(),
            operation: operation.into(),
        }
    }

    #[test]
    fn state_times_follow_the_virtual_clock() {
        assert_eq!(iso_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_ms(1_767_225_600_250), "2026-01-01T00:00:00.250Z");
        let clock = Clock::starting_at(1_767_225_600_000);
        let times = AlarmTimes::new(clock);
        times.forwarded(
            &request("SetAlarmState"),
            b"Action=SetAlarmState&AlarmName=mr-orders-active-unhealthy&StateValue=ALARM",
            200,
        );
        let moto = "<MetricAlarms><member><AlarmName>mr-orders-active-unhealthy</AlarmName><Dimensions><member><Name>FunctionName</Name></member></Dimensions><StateUpdatedTimestamp>2031-05-05T10:00:00.000000Z</StateUpdatedTimestamp></member><member><AlarmName>other</AlarmName><StateUpdatedTimestamp>x</StateUpdatedTimestamp></member></MetricAlarms>";
        let rewritten = times.rewrite(&request("DescribeAlarms"), moto).unwrap();
        assert!(
            rewritten.contains(
                "<StateUpdatedTimestamp>2026-01-01T00:00:00.000Z</StateUpdatedTimestamp>"
            )
        );
        assert!(
            rewritten.contains("<StateUpdatedTimestamp>x</StateUpdatedTimestamp>"),
            "another alarm keeps moto's time"
        );
        assert_eq!(form_decode("a%2Fb+c"), "a/b c");
        let wall = AlarmTimes::new(Clock::wall());
        assert_eq!(wall.rewrite(&request("DescribeAlarms"), moto), None);
    }
}
