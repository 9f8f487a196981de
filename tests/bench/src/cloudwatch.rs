//! CloudWatch fidelity: what moto's CloudWatch does differently from AWS.
//!
//! - Alarm state times on the bench's clock ([`AlarmTimes`]). moto stamps an
//!   alarm's state change (`SetAlarmState`, and the state a `PutMetricAlarm`
//!   starts with) with its own wall clock. With a virtual clock the proxy
//!   records the virtual time of each such call it forwards and answers
//!   `DescribeAlarms` with it, so an alarm's `StateUpdatedTimestamp` is on
//!   the same clock as everything else. With the wall clock nothing is
//!   changed.
//! - Alarm actions switched on and off ([`AlarmActions`]). moto does not
//!   implement `EnableAlarmActions` and `DisableAlarmActions` (it answers
//!   500), so the proxy answers them itself, as AWS does, and remembers the
//!   value per account, region and alarm; `DescribeAlarms` (and
//!   `DescribeAlarmsForMetric`) answers show it as the alarm's
//!   `ActionsEnabled`. A `PutMetricAlarm` (or `PutCompositeAlarm`) sets
//!   `ActionsEnabled` itself (true when omitted, in AWS and in moto) and a
//!   `DeleteAlarms` removes the alarm, so both forget the remembered value.
//!   As in AWS, names of alarms that do not exist are accepted and ignored.
//! - A new alarm's state ([`alarm_is_new`], [`start_insufficient`]). AWS
//!   creates an alarm in INSUFFICIENT_DATA; moto in OK, which would make a
//!   new alarm look as if it had judged a good datapoint. The proxy sets a
//!   new alarm to INSUFFICIENT_DATA right after moto creates it; a put that
//!   updates an alarm leaves its state, as in AWS.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use crate::clock::{Clock, EpochMs};
use crate::faults::{Canned, error_response};
use crate::moto_client::MotoClient;
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

/// The values of the list `list` in a form body (`AlarmNames.member.1=a&
/// AlarmNames.member.2=b`), in member order.
fn form_members(body: &[u8], list: &str) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Vec::new();
    };
    let prefix = format!("{list}.member.");
    let mut members: Vec<(u32, String)> = text
        .split('&')
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            let index = key.strip_prefix(&prefix)?.parse().ok()?;
            Some((index, form_decode(value)))
        })
        .collect();
    members.sort_by_key(|(index, _)| *index);
    members.into_iter().map(|(_, value)| value).collect()
}

/// Encodes one `application/x-www-form-urlencoded` value.
pub(crate) fn form_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The text of an XML element's content, unescaped.
fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The name of the alarm an answer's `<member>` describes (its first
/// `AlarmName`: nested lists hold no alarm names).
fn member_alarm_name(member: &str) -> Option<String> {
    member
        .split("<AlarmName>")
        .nth(1)
        .and_then(|r| r.split("</AlarmName>").next())
        .map(xml_unescape)
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
            let name = member_alarm_name(&member);
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

/// The name of the alarm `body` (a `PutMetricAlarm`) puts, when no alarm of
/// that name exists yet in the call's account and region.
pub async fn alarm_is_new(
    moto: &crate::moto_client::MotoClient,
    aws: &AwsRequest,
    account: &str,
    body: &[u8],
) -> Option<String> {
    let alarm = form_value(body, "AlarmName")?;
    let form = format!(
        "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1={}",
        form_encode(&alarm)
    );
    match moto
        .query("monitoring", &aws.region, Some(account), form)
        .await
    {
        Ok((200, text)) if !text.contains("<AlarmName>") => Some(alarm),
        _ => None,
    }
}

/// Sets the new alarm `alarm` to INSUFFICIENT_DATA in moto, as AWS creates
/// alarms; a failure is logged (the alarm then stays as moto made it).
pub async fn start_insufficient(
    moto: &crate::moto_client::MotoClient,
    aws: &AwsRequest,
    account: &str,
    alarm: &str,
) {
    let form = format!(
        "Action=SetAlarmState&Version=2010-08-01&AlarmName={}&StateValue=INSUFFICIENT_DATA&StateReason={}",
        form_encode(alarm),
        form_encode("Created: not evaluated yet")
    );
    match moto
        .query("monitoring", &aws.region, Some(account), form)
        .await
    {
        Ok((200, _)) => {}
        other => {
            tracing::warn!(?other, %alarm, "a new alarm could not be set to INSUFFICIENT_DATA")
        }
    }
}

/// moto's default account, which it files every call under unless the call
/// names another account (the bench's callers sign with made-up access
/// keys, which moto does not know).
pub const DEFAULT_ACCOUNT: &str = "123456789012";

/// The account moto files a call under: the one its `x-moto-account-id`
/// header names, or moto's default account.
pub fn account_of(headers: &http::HeaderMap) -> String {
    headers
        .get("x-moto-account-id")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or(DEFAULT_ACCOUNT)
        .to_owned()
}

/// An alarm: (account, region, alarm name).
type AlarmKey = (String, String, String);

/// The most alarm names one `EnableAlarmActions` or `DisableAlarmActions`
/// takes (the API reference: "Array Members: Maximum number of 100 items").
const MAX_ALARM_NAMES: usize = 100;

/// What `EnableAlarmActions` and `DisableAlarmActions` set, by alarm, until
/// a `PutMetricAlarm` or `DeleteAlarms` of that alarm goes through.
#[derive(Debug, Default)]
pub struct AlarmActions {
    enabled: Mutex<HashMap<AlarmKey, bool>>,
}

/// An answer the proxy gives itself, and the detail for its log entry.
pub type Intercepted = (Canned, Option<String>);

/// The XML answer AWS gives to an operation without output.
fn empty_answer(operation: &str) -> Canned {
    let id = crate::request_id();
    (
        200,
        vec![
            ("content-type".into(), "text/xml".into()),
            ("x-amzn-requestid".into(), id.clone()),
        ],
        format!(
            "<{operation}Response xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\"><ResponseMetadata><RequestId>{id}</RequestId></ResponseMetadata></{operation}Response>"
        ),
    )
}

/// The names of `names` that are alarms (metric or composite) in moto.
async fn existing_alarms(
    moto: &MotoClient,
    region: &str,
    account: &str,
    names: &[String],
) -> anyhow::Result<HashSet<String>> {
    let mut form = format!(
        "Action=DescribeAlarms&Version=2010-08-01&MaxRecords={MAX_ALARM_NAMES}&AlarmTypes.member.1=CompositeAlarm&AlarmTypes.member.2=MetricAlarm"
    );
    for (i, name) in names.iter().enumerate() {
        form.push_str(&format!(
            "&AlarmNames.member.{}={}",
            i + 1,
            form_encode(name)
        ));
    }
    let (status, text) = moto
        .query("monitoring", region, Some(account), form)
        .await?;
    if !(200..300).contains(&status) {
        anyhow::bail!("DescribeAlarms: HTTP {status}: {text}");
    }
    let root = crate::xml::parse(&text)?;
    let result = root
        .child("DescribeAlarmsResult")
        .ok_or_else(|| anyhow::anyhow!("DescribeAlarms answered no result: {text}"))?;
    Ok(["MetricAlarms", "CompositeAlarms"]
        .iter()
        .filter_map(|list| result.child(list))
        .flat_map(|list| list.children_named("member"))
        .filter_map(|alarm| alarm.child_text("AlarmName"))
        .map(str::to_owned)
        .collect())
}

impl AlarmActions {
    fn overrides(&self) -> std::sync::MutexGuard<'_, HashMap<AlarmKey, bool>> {
        self.enabled.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every value set.
    pub fn clear(&self) {
        self.overrides().clear();
    }

    /// The value `EnableAlarmActions` or `DisableAlarmActions` set for an
    /// alarm, if one is in force.
    pub fn get(&self, account: &str, region: &str, alarm: &str) -> Option<bool> {
        self.overrides()
            .get(&(account.to_owned(), region.to_owned(), alarm.to_owned()))
            .copied()
    }

    /// Records `enabled` for the alarms of `names` that exist (`existing`),
    /// in `account` and the request's region.
    fn set(
        &self,
        aws: &AwsRequest,
        account: &str,
        names: &[String],
        existing: &HashSet<String>,
        enabled: bool,
    ) {
        let mut overrides = self.overrides();
        for name in names.iter().filter(|n| existing.contains(*n)) {
            overrides.insert(
                (account.to_owned(), aws.region.clone(), name.clone()),
                enabled,
            );
        }
    }

    /// The answer to `EnableAlarmActions` and `DisableAlarmActions`, which
    /// the proxy gives itself (moto does not implement them), having
    /// recorded the value; `None` for every other call.
    pub async fn answer(
        &self,
        moto: &MotoClient,
        aws: &AwsRequest,
        account: &str,
        body: &[u8],
    ) -> Option<Intercepted> {
        if aws.service != "monitoring" {
            return None;
        }
        let enabled = match aws.operation.as_str() {
            "EnableAlarmActions" => true,
            "DisableAlarmActions" => false,
            _ => return None,
        };
        let names = form_members(body, "AlarmNames");
        let detail = (!names.is_empty()).then(|| names.join(", "));
        let invalid = |message: String| {
            Some((
                error_response(aws.protocol(), 400, "ValidationError", &message),
                detail.clone(),
            ))
        };
        if names.is_empty() {
            return invalid(
                "1 validation error detected: Value null at 'alarmNames' failed to satisfy constraint: Member must not be null".into(),
            );
        }
        if names.len() > MAX_ALARM_NAMES {
            return invalid(format!(
                "1 validation error detected: Value '[{}]' at 'alarmNames' failed to satisfy constraint: Member must have length less than or equal to {MAX_ALARM_NAMES}",
                names.join(", ")
            ));
        }
        if let Some(name) = names
            .iter()
            .find(|n| n.is_empty() || n.chars().count() > 255)
        {
            return invalid(format!(
                "1 validation error detected: Value '[{name}]' at 'alarmNames' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 255, Member must have length greater than or equal to 1]"
            ));
        }
        match existing_alarms(moto, &aws.region, account, &names).await {
            Ok(existing) => {
                self.set(aws, account, &names, &existing, enabled);
                Some((empty_answer(&aws.operation), detail))
            }
            Err(error) => Some((
                error_response(
                    aws.protocol(),
                    502,
                    "BenchUpstreamError",
                    &format!("moto did not list the alarms: {error:#}"),
                ),
                detail,
            )),
        }
    }

    /// Notes a call forwarded to moto and answered with `status`: a
    /// `PutMetricAlarm` or `PutCompositeAlarm` sets `ActionsEnabled` itself,
    /// and a `DeleteAlarms` removes its alarms, so the values set for them
    /// are forgotten.
    pub fn forwarded(&self, aws: &AwsRequest, account: &str, body: &[u8], status: u16) {
        if aws.service != "monitoring" || !(200..300).contains(&status) {
            return;
        }
        let names = match aws.operation.as_str() {
            "PutMetricAlarm" | "PutCompositeAlarm" => {
                form_value(body, "AlarmName").into_iter().collect()
            }
            "DeleteAlarms" => form_members(body, "AlarmNames"),
            _ => return,
        };
        let mut overrides = self.overrides();
        for name in names {
            overrides.remove(&(account.to_owned(), aws.region.clone(), name));
        }
    }

    /// moto's `DescribeAlarms` or `DescribeAlarmsForMetric` answer with the
    /// `ActionsEnabled` set for its alarms; `None` when nothing changes.
    pub fn rewrite(&self, aws: &AwsRequest, account: &str, answer: &str) -> Option<String> {
        if aws.service != "monitoring"
            || !matches!(
                aws.operation.as_str(),
                "DescribeAlarms" | "DescribeAlarmsForMetric"
            )
        {
            return None;
        }
        let overrides = self.overrides();
        if !overrides
            .keys()
            .any(|(a, r, _)| a == account && *r == aws.region)
        {
            return None;
        }
        let mut out = String::with_capacity(answer.len());
        let mut copied = 0;
        let mut changed = false;
        for (start, end) in top_level_members(answer) {
            let member = &answer[start..end];
            let enabled = member_alarm_name(member).and_then(|name| {
                overrides
                    .get(&(account.to_owned(), aws.region.clone(), name))
                    .copied()
            });
            let Some(enabled) = enabled else {
                continue;
            };
            let (open, close) = ("<ActionsEnabled>", "</ActionsEnabled>");
            let value = if enabled { "true" } else { "false" };
            out.push_str(&answer[copied..start]);
            if let Some(a) = member.find(open)
                && let Some(b) = member[a..].find(close)
            {
                out.push_str(&member[..a + open.len()]);
                out.push_str(value);
                out.push_str(&member[a + b..]);
            } else if let Some(a) = member.find("</AlarmName>") {
                let a = a + "</AlarmName>".len();
                out.push_str(&member[..a]);
                out.push_str(&format!("{open}{value}{close}"));
                out.push_str(&member[a..]);
            } else {
                out.push_str(member);
            }
            copied = end;
            changed = true;
        }
        out.push_str(&answer[copied..]);
        changed.then_some(out)
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

    fn in_region(operation: &str, region: &str) -> AwsRequest {
        AwsRequest {
            region: region.into(),
            ..request(operation)
        }
    }

    #[test]
    fn alarm_actions_show_per_account_region_and_alarm_until_a_put_or_delete() {
        let body = b"Action=EnableAlarmActions&AlarmNames.member.2=b%26c&AlarmNames.member.1=a&Version=2010-08-01";
        assert_eq!(form_members(body, "AlarmNames"), ["a", "b&c"]);
        assert_eq!(form_encode("b&c d/é"), "b%26c%20d%2F%C3%A9");
        assert_eq!(form_decode(&form_encode("b&c d/é")), "b&c d/é");

        let actions = AlarmActions::default();
        let enable = request("EnableAlarmActions");
        let names = ["a".to_owned(), "b&c".to_owned(), "ghost".to_owned()];
        let existing: HashSet<String> = ["a".to_owned(), "b&c".to_owned()].into();
        actions.set(&enable, DEFAULT_ACCOUNT, &names, &existing, true);
        assert_eq!(actions.get(DEFAULT_ACCOUNT, "us-west-2", "a"), Some(true));
        assert_eq!(
            actions.get(DEFAULT_ACCOUNT, "us-west-2", "ghost"),
            None,
            "a name that is no alarm is ignored"
        );

        let moto = "<DescribeAlarmsResponse><DescribeAlarmsResult><CompositeAlarms/><MetricAlarms><member><AlarmName>a</AlarmName><ActionsEnabled>false</ActionsEnabled><Dimensions><member><Name>F</Name></member></Dimensions></member><member><AlarmName>b&amp;c</AlarmName><ActionsEnabled>false</ActionsEnabled></member><member><AlarmName>other</AlarmName><ActionsEnabled>false</ActionsEnabled></member></MetricAlarms></DescribeAlarmsResult></DescribeAlarmsResponse>";
        let describe = request("DescribeAlarms");
        let rewritten = actions.rewrite(&describe, DEFAULT_ACCOUNT, moto).unwrap();
        assert_eq!(
            rewritten,
            moto.replacen("<ActionsEnabled>false", "<ActionsEnabled>true", 2)
        );
        assert!(
            rewritten
                .contains("<AlarmName>other</AlarmName><ActionsEnabled>false</ActionsEnabled>")
        );
        assert_eq!(
            actions.rewrite(
                &in_region("DescribeAlarms", "us-east-1"),
                DEFAULT_ACCOUNT,
                moto
            ),
            None,
            "another region's alarms of the same names are untouched"
        );
        assert_eq!(
            actions.rewrite(&describe, "210987654321", moto),
            None,
            "so are another account's"
        );
        assert_eq!(
            actions.rewrite(&request("ListMetrics"), DEFAULT_ACCOUNT, moto),
            None
        );

        actions.set(
            &request("DisableAlarmActions"),
            DEFAULT_ACCOUNT,
            &names[..1],
            &existing,
            false,
        );
        let rewritten = actions.rewrite(&describe, DEFAULT_ACCOUNT, moto).unwrap();
        assert!(rewritten.contains("<AlarmName>a</AlarmName><ActionsEnabled>false"));
        assert!(rewritten.contains("<AlarmName>b&amp;c</AlarmName><ActionsEnabled>true"));

        // A failed put changes nothing; a put sets the value itself.
        let put = b"Action=PutMetricAlarm&AlarmName=b%26c&ActionsEnabled=false";
        actions.forwarded(&request("PutMetricAlarm"), DEFAULT_ACCOUNT, put, 400);
        assert_eq!(actions.get(DEFAULT_ACCOUNT, "us-west-2", "b&c"), Some(true));
        actions.forwarded(
            &in_region("PutMetricAlarm", "us-east-1"),
            DEFAULT_ACCOUNT,
            put,
            200,
        );
        assert_eq!(actions.get(DEFAULT_ACCOUNT, "us-west-2", "b&c"), Some(true));
        actions.forwarded(&request("PutMetricAlarm"), DEFAULT_ACCOUNT, put, 200);
        assert_eq!(actions.get(DEFAULT_ACCOUNT, "us-west-2", "b&c"), None);
        actions.forwarded(
            &request("DeleteAlarms"),
            DEFAULT_ACCOUNT,
            b"Action=DeleteAlarms&AlarmNames.member.1=a",
            200,
        );
        assert_eq!(actions.get(DEFAULT_ACCOUNT, "us-west-2", "a"), None);
        assert_eq!(actions.rewrite(&describe, DEFAULT_ACCOUNT, moto), None);
    }

    #[test]
    fn the_account_is_the_one_moto_files_a_call_under() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(account_of(&headers), DEFAULT_ACCOUNT);
        headers.insert("x-moto-account-id", "210987654321".parse().unwrap());
        assert_eq!(account_of(&headers), "210987654321");
        let (status, headers, body) = empty_answer("EnableAlarmActions");
        assert_eq!(status, 200);
        assert!(headers.contains(&("content-type".into(), "text/xml".into())));
        let root = crate::xml::parse(&body).unwrap();
        assert_eq!(root.name, "EnableAlarmActionsResponse");
        assert!(root.path(&["ResponseMetadata", "RequestId"]).is_some());
        assert!(body.starts_with(
            "<EnableAlarmActionsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"
        ));
    }
}
