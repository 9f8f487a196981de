//! Route 53 health checks that watch a CloudWatch alarm, as AWS keeps them.
//!
//! moto stores a `CLOUDWATCH_METRIC` health check without its
//! `AlarmIdentifier` and `InsufficientDataHealthStatus`, and never looks at
//! the alarm. AWS keeps both, and a copy of the alarm's definition
//! (`CloudWatchAlarmConfiguration`: metric, dimensions, statistic, period,
//! evaluation periods, threshold, comparison), which is what its health
//! checkers evaluate against the metric's data stream; the alarm's own
//! state does not count. The copy is taken when the health check is created
//! or updated, so an alarm changed later is not seen until the health check
//! is updated.
//!
//! Route 53 supports alarms on standard-resolution metrics with the
//! statistics Average, Minimum, Maximum, Sum and SampleCount
//! (<https://docs.aws.amazon.com/Route53/latest/APIReference/API_AlarmIdentifier.html>).
//! The proxy refuses a health check on an alarm that does not exist or that
//! it cannot evaluate (a period under 60 s, an extended statistic, metric
//! math): the bench's reading of that page, where AWS's answer is not
//! documented. It refuses `DeleteHealthCheck` of a health check a record
//! still names (`HealthCheckInUse`), and remembers the rest itself.

use std::collections::HashMap;
use std::sync::Mutex;

use crate::cloudwatch::form_encode;
use crate::faults::{Canned, error_response};
use crate::moto_client::MotoClient;
use crate::request::{AwsRequest, Protocol};
use crate::xml::{self, Element};

/// The alarm definition a health check evaluates, as Route 53 copied it.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmConfiguration {
    /// The metric's namespace.
    pub namespace: String,
    /// The metric's name.
    pub metric_name: String,
    /// The metric's dimensions, (name, value).
    pub dimensions: Vec<(String, String)>,
    /// `Sum`, `Average`, ...
    pub statistic: String,
    /// Seconds.
    pub period: u32,
    /// How many periods in a row must breach.
    pub evaluation_periods: u32,
    /// The threshold.
    pub threshold: f64,
    /// `GreaterThanOrEqualToThreshold`, ...
    pub comparison: String,
}

/// A health check on a CloudWatch alarm.
#[derive(Debug, Clone, PartialEq)]
pub struct AlarmCheck {
    /// The alarm's region.
    pub region: String,
    /// The alarm's name.
    pub alarm: String,
    /// `Healthy`, `Unhealthy` or `LastKnownStatus`.
    pub insufficient_data: String,
    /// The copy of the alarm's definition.
    pub configuration: AlarmConfiguration,
}

impl AlarmCheck {
    fn config_xml(&self) -> String {
        format!(
            "<AlarmIdentifier><Region>{}</Region><Name>{}</Name></AlarmIdentifier><InsufficientDataHealthStatus>{}</InsufficientDataHealthStatus>",
            xml::escape(&self.region),
            xml::escape(&self.alarm),
            xml::escape(&self.insufficient_data)
        )
    }

    fn alarm_configuration_xml(&self) -> String {
        let c = &self.configuration;
        let dimensions: String = c
            .dimensions
            .iter()
            .map(|(name, value)| {
                format!(
                    "<Dimension><Name>{}</Name><Value>{}</Value></Dimension>",
                    xml::escape(name),
                    xml::escape(value)
                )
            })
            .collect();
        format!(
            "<CloudWatchAlarmConfiguration><EvaluationPeriods>{}</EvaluationPeriods><Threshold>{}</Threshold><ComparisonOperator>{}</ComparisonOperator><Period>{}</Period><MetricName>{}</MetricName><Namespace>{}</Namespace><Statistic>{}</Statistic><Dimensions>{dimensions}</Dimensions></CloudWatchAlarmConfiguration>",
            c.evaluation_periods,
            c.threshold,
            xml::escape(&c.comparison),
            c.period,
            xml::escape(&c.metric_name),
            xml::escape(&c.namespace),
            xml::escape(&c.statistic)
        )
    }
}

/// What a create or update asked for, checked, until moto has answered.
#[derive(Debug)]
pub struct Pending(Option<AlarmCheck>);

/// The health checks on alarms, by id.
#[derive(Debug, Default)]
pub struct AlarmChecks {
    checks: Mutex<HashMap<String, AlarmCheck>>,
}

fn invalid(message: &str) -> Canned {
    error_response(Protocol::RestXml, 400, "InvalidInput", message)
}

/// The alarm identifier and insufficient-data status a create or update
/// request names, if it names an alarm.
fn requested(body: &str) -> Option<(String, String, Option<String>)> {
    let root = xml::parse(body).ok()?;
    let config = root.child("HealthCheckConfig").unwrap_or(&root);
    let alarm = config.child("AlarmIdentifier")?;
    Some((
        alarm.child_text("Region")?.to_owned(),
        alarm.child_text("Name")?.to_owned(),
        config
            .child_text("InsufficientDataHealthStatus")
            .map(str::to_owned),
    ))
}

/// Route 53's copy of the alarm `name` in `region`, or why it cannot be
/// one.
async fn configuration(
    moto: &MotoClient,
    account: &str,
    region: &str,
    name: &str,
) -> Result<AlarmConfiguration, String> {
    let form = format!(
        "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1={}",
        form_encode(name)
    );
    let text = match moto.query("monitoring", region, Some(account), form).await {
        Ok((200, text)) => text,
        other => return Err(format!("CloudWatch did not answer: {other:?}")),
    };
    let root = xml::parse(&text).map_err(|e| e.to_string())?;
    let alarm = root
        .path(&["DescribeAlarmsResult", "MetricAlarms", "member"])
        .ok_or_else(|| format!("The CloudWatch alarm {name} does not exist in {region}"))?;
    let text_of = |field: &str| alarm.child_text(field).unwrap_or_default().to_owned();
    let statistic = text_of("Statistic");
    if statistic.is_empty()
        || alarm
            .child("Metrics")
            .is_some_and(|m| !m.children.is_empty())
    {
        return Err(format!(
            "Route 53 cannot evaluate the alarm {name}: only a single metric with the statistic Average, Minimum, Maximum, Sum or SampleCount"
        ));
    }
    let number = |field: &str| text_of(field).parse::<f64>().unwrap_or_default();
    let period = number("Period") as u32;
    if period < 60 {
        return Err(format!(
            "Route 53 cannot evaluate the alarm {name}: high-resolution metrics (a period of {period} s) are not supported"
        ));
    }
    Ok(AlarmConfiguration {
        namespace: text_of("Namespace"),
        metric_name: text_of("MetricName"),
        dimensions: alarm
            .child("Dimensions")
            .map(|d| {
                d.children_named("member")
                    .map(|m: &Element| {
                        (
                            m.child_text("Name").unwrap_or_default().to_owned(),
                            m.child_text("Value").unwrap_or_default().to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        statistic,
        period,
        evaluation_periods: number("EvaluationPeriods") as u32,
        threshold: number("Threshold"),
        comparison: text_of("ComparisonOperator"),
    })
}

/// The health check id in a path `/2013-04-01/healthcheck/<id>[/...]`.
pub fn id_in(path: &str) -> &str {
    path.split('?')
        .next()
        .unwrap_or_default()
        .split('/')
        .nth(3)
        .unwrap_or_default()
}

impl AlarmChecks {
    /// The health check on an alarm with this id, if there is one.
    pub fn get(&self, id: &str) -> Option<AlarmCheck> {
        self.checks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }

    /// Every health check on an alarm, by id.
    pub fn all(&self) -> Vec<(String, AlarmCheck)> {
        let checks = self.checks.lock().unwrap_or_else(|p| p.into_inner());
        let mut all: Vec<_> = checks.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }

    /// Before a health-check call goes to moto: an answer of the proxy's
    /// own (a refusal), or what to remember once moto has answered.
    /// `in_use` tells whether a record names a health check.
    pub async fn before(
        &self,
        moto: &MotoClient,
        aws: &AwsRequest,
        account: &str,
        path: &str,
        body: &[u8],
        in_use: impl std::future::Future<Output = bool>,
    ) -> Result<Pending, Canned> {
        let body = String::from_utf8_lossy(body);
        match aws.operation.as_str() {
            "CreateHealthCheck" | "UpdateHealthCheck" => {
                let creates_on_alarm = aws.operation == "CreateHealthCheck"
                    && body.contains("<Type>CLOUDWATCH_METRIC</Type>");
                let Some((region, alarm, insufficient)) = requested(&body) else {
                    if creates_on_alarm {
                        return Err(invalid(
                            "A health check of type CLOUDWATCH_METRIC needs an AlarmIdentifier",
                        ));
                    }
                    return Ok(Pending(None));
                };
                let previous = self.get(id_in(path));
                let configuration = configuration(moto, account, &region, &alarm)
                    .await
                    .map_err(|message| invalid(&message))?;
                let insufficient_data = insufficient
                    .or(previous.map(|p| p.insufficient_data))
                    .unwrap_or_else(|| "LastKnownStatus".into());
                Ok(Pending(Some(AlarmCheck {
                    region,
                    alarm,
                    insufficient_data,
                    configuration,
                })))
            }
            "DeleteHealthCheck" if in_use.await => Err(error_response(
                Protocol::RestXml,
                400,
                "HealthCheckInUse",
                &format!(
                    "The health check {} is still referenced from a resource record set",
                    id_in(path)
                ),
            )),
            _ => Ok(Pending(None)),
        }
    }

    /// After moto answered `status` and `text`: remembers or forgets, and
    /// returns the answer as AWS gives it.
    pub fn after(&self, aws: &AwsRequest, path: &str, pending: Pending, text: &str) -> String {
        let mut checks = self.checks.lock().unwrap_or_else(|p| p.into_inner());
        match (aws.operation.as_str(), pending.0) {
            ("CreateHealthCheck", Some(check)) => {
                if let Some(id) = xml::parse(text)
                    .ok()
                    .and_then(|root| root.path(&["HealthCheck", "Id"]).map(|i| i.text.clone()))
                {
                    checks.insert(id, check);
                }
            }
            ("UpdateHealthCheck", Some(check)) => {
                checks.insert(id_in(path).to_owned(), check);
            }
            ("DeleteHealthCheck", _) => {
                checks.remove(id_in(path));
            }
            _ => {}
        }
        with_alarms(text, &checks)
    }
}

/// `text` (health checks as moto lists them) with each alarm check's
/// identifier, insufficient-data status and alarm configuration.
fn with_alarms(text: &str, checks: &HashMap<String, AlarmCheck>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<HealthCheck>") {
        let (head, tail) = rest.split_at(start);
        out.push_str(head);
        let end = tail
            .find("</HealthCheck>")
            .map_or(tail.len(), |e| e + "</HealthCheck>".len());
        let (block, after) = tail.split_at(end);
        let id = block
            .split_once("<Id>")
            .and_then(|(_, r)| r.split_once("</Id>"))
            .map(|(id, _)| id);
        match id.and_then(|id| checks.get(id)) {
            Some(check) => out.push_str(
                &block
                    .replacen(
                        "</HealthCheckConfig>",
                        &format!("{}</HealthCheckConfig>", check.config_xml()),
                        1,
                    )
                    .replacen(
                        "</HealthCheck>",
                        &format!("{}</HealthCheck>", check.alarm_configuration_xml()),
                        1,
                    ),
            ),
            None => out.push_str(block),
        }
        rest = after;
    }
    out.push_str(rest);
    out
}
