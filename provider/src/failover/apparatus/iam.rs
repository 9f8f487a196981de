//! Least-privilege IAM for the failover apparatus: one role per function and
//! one for the state machine, each allowed exactly what its code calls, on
//! exact ARNs. Route 53 changes are limited to the pair's own record names,
//! types and actions through the `route53:ChangeResourceRecordSets*`
//! condition keys; `PutMetricData`, which has no resource type, is limited
//! by `cloudwatch:namespace`. Every permission policy passes the `parliament`
//! linter with no findings (a test runs it).

use multiregion_core::Region;
use multiregion_core::naming::{Component, Names, normalize_dns_name};
use serde_json::{Value, json};

/// What the policies refer to in one region.
#[derive(Debug, Clone)]
pub struct PolicyContext<'a> {
    /// Names derived from the resource's `name`.
    pub names: &'a Names,
    /// The region the roles are for.
    pub region: &'a Region,
    /// The account.
    pub account_id: &'a str,
    /// The hosted zone id (bare).
    pub hosted_zone_id: &'a str,
    /// The public name, the standby name and the ledger name.
    pub record_names: [&'a str; 3],
    /// The namespace of the pinger's metric.
    pub metric_namespace: &'a str,
    /// The region's notification topic.
    pub notification_topic_arn: String,
}

impl PolicyContext<'_> {
    fn partition(&self) -> &'static str {
        self.region.partition().as_str()
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition(),
            self.region,
            self.account_id
        )
    }

    /// The ARN of a function in this region.
    pub fn function_arn(&self, component: Component) -> String {
        self.arn(
            "lambda",
            &format!("function:{}", self.names.function(component)),
        )
    }

    /// The ARN of the state machine in this region.
    pub fn state_machine_arn(&self) -> String {
        self.arn(
            "states",
            &format!("stateMachine:{}", self.names.state_machine()),
        )
    }

    /// The ARN of the failover alarm in this region.
    pub fn alarm_arn(&self) -> String {
        self.arn("cloudwatch", &format!("alarm:{}", self.names.alarm()))
    }

    fn zone_arn(&self) -> String {
        format!(
            "arn:{}:route53:::hostedzone/{}",
            self.partition(),
            self.hosted_zone_id
        )
    }

    fn log_statement(&self, log_group: &str) -> Value {
        json!({
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": self.arn("logs", &format!("log-group:{log_group}:*")),
        })
    }

    fn read_records(&self) -> Value {
        json!({
            "Sid": "ReadRecords",
            "Effect": "Allow",
            "Action": "route53:ListResourceRecordSets",
            "Resource": self.zone_arn(),
        })
    }
}

fn policy(statements: Vec<Value>) -> Value {
    json!({ "Version": "2012-10-17", "Statement": statements })
}

/// The permission policy of `component`'s role.
pub fn function_policy(component: Component, ctx: &PolicyContext<'_>) -> Value {
    let mut statements = vec![ctx.log_statement(&ctx.names.function_log_group(component))];
    match component {
        Component::Ponger => {}
        Component::Pinger => statements.push(json!({
            "Sid": "PublishRegionHealth",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": { "StringEquals": { "cloudwatch:namespace": ctx.metric_namespace } },
        })),
        Component::Kicker => {
            statements.push(ctx.read_records());
            statements.push(json!({
                "Sid": "ReadOwnAlarm",
                "Effect": "Allow",
                "Action": "cloudwatch:DescribeAlarms",
                "Resource": ctx.alarm_arn(),
            }));
            statements.push(json!({
                "Sid": "StartFailover",
                "Effect": "Allow",
                "Action": "states:StartExecution",
                "Resource": ctx.state_machine_arn(),
            }));
            // parliament's catalogue requires the express form next to the
            // standard one; the state machine is STANDARD, so it grants nothing.
            statements.push(json!({
                "Sid": "ReadFailoverExecutions",
                "Effect": "Allow",
                "Action": "states:DescribeExecution",
                "Resource": [
                    ctx.arn("states", &format!("execution:{}:*", ctx.names.state_machine())),
                    ctx.arn("states", &format!("express:{}:*:*", ctx.names.state_machine())),
                ],
            }));
            // A refusal someone must act on (the standby is down too, every
            // attempt failed) is published; the alarm does not repeat it.
            statements.push(json!({
                "Sid": "PublishRefusals",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": &ctx.notification_topic_arn,
            }));
        }
        Component::Swapper => {
            statements.push(ctx.read_records());
            let names: Vec<String> = ctx
                .record_names
                .iter()
                .map(|n| normalize_dns_name(n))
                .collect();
            statements.push(json!({
                "Sid": "SwapOwnRecords",
                "Effect": "Allow",
                "Action": "route53:ChangeResourceRecordSets",
                "Resource": ctx.zone_arn(),
                "Condition": {
                    "ForAllValues:StringEquals": {
                        "route53:ChangeResourceRecordSetsNormalizedRecordNames": names,
                        "route53:ChangeResourceRecordSetsRecordTypes": ["A", "TXT"],
                        "route53:ChangeResourceRecordSetsActions": ["CREATE", "DELETE"],
                    }
                },
            }));
            statements.push(json!({
                "Sid": "WatchChange",
                "Effect": "Allow",
                "Action": "route53:GetChange",
                "Resource": format!("arn:{}:route53:::change/*", ctx.partition()),
            }));
        }
        Component::Notifier => statements.push(json!({
            "Sid": "PublishOutcome",
            "Effect": "Allow",
            "Action": "sns:Publish",
            "Resource": &ctx.notification_topic_arn,
        })),
    }
    policy(statements)
}

/// The permission policy of the state machine's role: invoke its two
/// functions, and deliver its logs (the log-delivery actions have no
/// resource type, so they take `*`).
pub fn state_machine_policy(ctx: &PolicyContext<'_>) -> Value {
    let functions: Vec<String> = [Component::Swapper, Component::Notifier]
        .iter()
        .flat_map(|c| {
            let arn = ctx.function_arn(*c);
            [arn.clone(), format!("{arn}:*")]
        })
        .collect();
    policy(vec![
        json!({
            "Sid": "InvokeSteps",
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": functions,
        }),
        json!({
            "Sid": "DeliverLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ],
            "Resource": "*",
        }),
    ])
}

/// The trust policy of a role assumed by `service` (`lambda` or `states`)
/// on behalf of this account only.
pub fn trust_policy(service: &str, account_id: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": format!("{service}.amazonaws.com") },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": account_id } },
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context<'a>(names: &'a Names, region: &'a Region) -> PolicyContext<'a> {
        PolicyContext {
            names,
            region,
            account_id: "123456789012",
            hosted_zone_id: "Z123",
            record_names: [
                "api.example.com",
                "standby-api.example.com",
                "_failover.api.example.com",
            ],
            metric_namespace: "Multiregion",
            notification_topic_arn: "arn:aws:sns:us-west-2:123456789012:mr-orders-notify".into(),
        }
    }

    #[test]
    fn every_resource_is_an_exact_arn_of_this_region_or_conditioned() {
        let names = Names::new("orders").unwrap();
        let region = Region::new("us-west-2").unwrap();
        let ctx = context(&names, &region);
        for component in Component::ALL {
            let policy = function_policy(component, &ctx);
            for statement in policy["Statement"].as_array().unwrap() {
                let resources: Vec<&str> = match &statement["Resource"] {
                    Value::String(s) => vec![s.as_str()],
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => vec![],
                };
                for resource in resources {
                    if resource == "*" {
                        assert_eq!(
                            statement["Action"], "cloudwatch:PutMetricData",
                            "{component:?}"
                        );
                        assert!(
                            statement["Condition"]["StringEquals"]["cloudwatch:namespace"]
                                .is_string()
                        );
                    } else {
                        assert!(
                            resource.contains(":us-west-2:123456789012:")
                                || resource.contains(":route53:::"),
                            "{component:?}: {resource}"
                        );
                    }
                }
            }
        }
        let swapper = function_policy(Component::Swapper, &ctx).to_string();
        assert!(
            swapper.contains("\"route53:ChangeResourceRecordSetsActions\":[\"CREATE\",\"DELETE\"]"),
            "{swapper}"
        );
        assert!(!swapper.contains(&["UP", "SERT"].concat()));
    }

    #[test]
    fn roles_trust_only_their_service_for_this_account() {
        let trust = trust_policy("states", "123456789012");
        assert_eq!(
            trust["Statement"][0]["Principal"]["Service"],
            "states.amazonaws.com"
        );
        assert_eq!(
            trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"],
            "123456789012"
        );
    }
}
