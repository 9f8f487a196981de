//! Least-privilege IAM for the failover apparatus: one role per function and
//! one for the state machine, each allowed exactly what its code calls, on
//! exact ARNs. Route 53 changes are limited to the pair's own record names,
//! types and actions through the `route53:ChangeResourceRecordSets*`
//! condition keys. Only the state machine's log delivery, whose actions have
//! no resource type, takes `*`. Every permission policy passes the
//! `parliament` linter with no findings (a test runs it).

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
    /// The region's notification topic.
    pub notification_topic_arn: String,
    /// The KMS key that topic is encrypted with, by ARN, if any: SNS
    /// encrypts with the publisher's permissions ([`super::topic_key`]).
    pub notification_key_arn: Option<String>,
    /// The other region's state machine (the circuit breaker pauses both).
    pub other_state_machine_arn: String,
    /// The interval is below a minute: the pinger relays ticks through its
    /// region's tick queue.
    pub tick_relay: bool,
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

    /// The ARN of the paging alarm in this region.
    /// The region's tick queue (sub-minute intervals).
    pub fn tick_queue_arn(&self) -> String {
        self.arn("sqs", &self.names.tick_queue())
    }

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
        Component::Pinger => {
            // The standby's pinger starts its own region's failover: one
            // execution at a time (ListExecutions), named after the state
            // machine's incarnation (DescribeStateMachine), unless the
            // automation tag says paused (ListTagsForResource).
            statements.push(json!({
                "Sid": "StartFailover",
                "Effect": "Allow",
                "Action": [
                    "states:StartExecution",
                    "states:DescribeStateMachine",
                    "states:ListTagsForResource",
                ],
                "Resource": ctx.state_machine_arn(),
            }));
            // parliament's catalogue requires the map-run form next to the
            // state machine; the definition has no Map state, so it grants
            // nothing.
            statements.push(json!({
                "Sid": "FindRunningFailover",
                "Effect": "Allow",
                "Action": "states:ListExecutions",
                "Resource": [
                    ctx.state_machine_arn(),
                    ctx.arn("states", &format!("mapRun:{}/*:*", ctx.names.state_machine())),
                ],
            }));
            // It arms its region's paging alarm once the alarm is OK.
            statements.push(json!({
                "Sid": "ArmOwnAlarm",
                "Effect": "Allow",
                "Action": ["cloudwatch:DescribeAlarms", "cloudwatch:EnableAlarmActions"],
                "Resource": ctx.alarm_arn(),
            }));
            // The records are its fallback for its role (control plane).
            statements.push(ctx.read_records());
            if ctx.tick_relay {
                // Below a minute it sends the minute's later ticks to its
                // queue; its event source mapping, which runs as this role,
                // receives and deletes them.
                statements.push(json!({
                    "Sid": "RelayTicks",
                    "Effect": "Allow",
                    "Action": [
                        "sqs:SendMessage",
                        "sqs:ReceiveMessage",
                        "sqs:DeleteMessage",
                        "sqs:GetQueueAttributes",
                    ],
                    "Resource": ctx.tick_queue_arn(),
                }));
            }
        }
        Component::Swapper => {
            statements.push(ctx.read_records());
            // The target check reads the automation tag before every swap.
            statements.push(json!({
                "Sid": "ReadAutomationFlag",
                "Effect": "Allow",
                "Action": "states:ListTagsForResource",
                "Resource": ctx.state_machine_arn(),
            }));
            // The circuit breaker pauses automation in both regions.
            statements.push(json!({
                "Sid": "PauseAutomation",
                "Effect": "Allow",
                "Action": "states:TagResource",
                "Resource": [ctx.state_machine_arn(), &ctx.other_state_machine_arn],
            }));
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
        Component::Notifier => {
            statements.push(json!({
                "Sid": "PublishOutcome",
                "Effect": "Allow",
                "Action": "sns:Publish",
                "Resource": &ctx.notification_topic_arn,
            }));
            if let Some(key) = &ctx.notification_key_arn {
                // Only through SNS in this region: the role cannot use the
                // key for anything but publishing to an encrypted topic.
                statements.push(json!({
                    "Sid": "EncryptOutcome",
                    "Effect": "Allow",
                    "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
                    "Resource": key,
                    "Condition": {
                        "StringEquals": {
                            "kms:ViaService": format!(
                                "sns.{}.{}",
                                ctx.region,
                                ctx.region.partition().dns_suffix()
                            ),
                        }
                    },
                }));
            }
        }
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
            notification_topic_arn: "arn:aws:sns:us-west-2:123456789012:mr-orders-notify".into(),
            notification_key_arn: None,
            other_state_machine_arn:
                "arn:aws:states:us-east-1:123456789012:stateMachine:mr-orders-failover".into(),
            tick_relay: false,
        }
    }

    #[test]
    fn below_a_minute_the_pinger_relays_through_its_own_queue_only() {
        let names = Names::new("orders").unwrap();
        let region = Region::new("us-west-2").unwrap();
        let minute = context(&names, &region);
        let relayed = PolicyContext {
            tick_relay: true,
            ..context(&names, &region)
        };
        let before = grants(&function_policy(Component::Pinger, &minute));
        let after = grants(&function_policy(Component::Pinger, &relayed));
        let added: Vec<(String, String)> =
            after.into_iter().filter(|g| !before.contains(g)).collect();
        let queue = "arn:aws:sqs:us-west-2:123456789012:mr-orders-ticks";
        let expected: Vec<(String, String)> = [
            "sqs:DeleteMessage",
            "sqs:GetQueueAttributes",
            "sqs:ReceiveMessage",
            "sqs:SendMessage",
        ]
        .iter()
        .map(|a| (a.to_string(), queue.to_owned()))
        .collect();
        assert_eq!(added, expected);
        for component in [Component::Ponger, Component::Swapper, Component::Notifier] {
            assert_eq!(
                grants(&function_policy(component, &minute)),
                grants(&function_policy(component, &relayed)),
                "{component:?}"
            );
        }
    }

    #[test]
    fn an_encrypted_topic_gives_the_notifier_its_key_through_sns_only() {
        let names = Names::new("orders").unwrap();
        let region = Region::new("us-west-2").unwrap();
        let key = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
        let plain = context(&names, &region);
        let encrypted = PolicyContext {
            notification_key_arn: Some(key.into()),
            ..context(&names, &region)
        };
        let before = grants(&function_policy(Component::Notifier, &plain));
        let after = grants(&function_policy(Component::Notifier, &encrypted));
        let added: Vec<(String, String)> =
            after.into_iter().filter(|g| !before.contains(g)).collect();
        assert_eq!(
            added,
            [
                ("kms:Decrypt".to_owned(), key.to_owned()),
                ("kms:GenerateDataKey".to_owned(), key.to_owned()),
            ]
        );
        let policy = function_policy(Component::Notifier, &encrypted);
        let statement = policy["Statement"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|s| s["Sid"] == "EncryptOutcome")
            .expect("a key statement");
        assert_eq!(
            statement["Condition"]["StringEquals"]["kms:ViaService"],
            "sns.us-west-2.amazonaws.com"
        );
        for component in [Component::Ponger, Component::Pinger, Component::Swapper] {
            assert_eq!(
                grants(&function_policy(component, &plain)),
                grants(&function_policy(component, &encrypted)),
                "{component:?}"
            );
        }
    }

    /// Every (action, resource) pair a policy allows, sorted.
    fn grants(policy: &Value) -> Vec<(String, String)> {
        let list = |v: &Value| -> Vec<String> {
            match v {
                Value::String(s) => vec![s.clone()],
                Value::Array(a) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            }
        };
        let mut grants: Vec<(String, String)> = policy["Statement"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|s| {
                let resources = list(&s["Resource"]);
                list(&s["Action"])
                    .into_iter()
                    .flat_map(move |a| resources.clone().into_iter().map(move |r| (a.clone(), r)))
            })
            .collect();
        grants.sort();
        grants
    }

    #[test]
    fn every_resource_is_an_exact_arn_of_this_region() {
        let names = Names::new("orders").unwrap();
        let region = Region::new("us-west-2").unwrap();
        let ctx = context(&names, &region);
        for component in Component::ALL {
            for (action, resource) in grants(&function_policy(component, &ctx)) {
                // The one exception: the circuit breaker pauses the other
                // region's state machine too.
                let other = (component, action.as_str(), resource.as_str())
                    == (
                        Component::Swapper,
                        "states:TagResource",
                        ctx.other_state_machine_arn.as_str(),
                    );
                assert!(
                    resource.contains(":us-west-2:123456789012:")
                        || resource.contains(":route53:::")
                        || other,
                    "{component:?}: {action} on {resource}"
                );
                assert_ne!(action, "cloudwatch:PutMetricData", "{component:?}");
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
    fn the_pinger_starts_its_own_regions_failover_and_arms_its_own_alarm_only() {
        let names = Names::new("orders").unwrap();
        let region = Region::new("us-west-2").unwrap();
        let ctx = context(&names, &region);
        let machine = "arn:aws:states:us-west-2:123456789012:stateMachine:mr-orders-failover";
        let pair = |a: &str, r: &str| (a.to_owned(), r.to_owned());
        let mut expected = vec![
            pair(
                "cloudwatch:DescribeAlarms",
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:mr-orders-active-unhealthy",
            ),
            pair(
                "cloudwatch:EnableAlarmActions",
                "arn:aws:cloudwatch:us-west-2:123456789012:alarm:mr-orders-active-unhealthy",
            ),
            pair(
                "logs:CreateLogStream",
                "arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/mr-orders-pinger:*",
            ),
            pair(
                "logs:PutLogEvents",
                "arn:aws:logs:us-west-2:123456789012:log-group:/aws/lambda/mr-orders-pinger:*",
            ),
            pair(
                "route53:ListResourceRecordSets",
                "arn:aws:route53:::hostedzone/Z123",
            ),
            pair("states:DescribeStateMachine", machine),
            pair("states:ListExecutions", machine),
            pair(
                "states:ListExecutions",
                "arn:aws:states:us-west-2:123456789012:mapRun:mr-orders-failover/*:*",
            ),
            pair("states:ListTagsForResource", machine),
            pair("states:StartExecution", machine),
        ];
        expected.sort();
        assert_eq!(grants(&function_policy(Component::Pinger, &ctx)), expected);
        // The swapper reads the automation flag, and its circuit breaker
        // sets it on both regions' machines; nothing else of Step Functions.
        let states: Vec<(String, String)> = grants(&function_policy(Component::Swapper, &ctx))
            .into_iter()
            .filter(|(a, _)| a.starts_with("states:"))
            .collect();
        assert_eq!(
            states,
            [
                pair("states:ListTagsForResource", machine),
                pair(
                    "states:TagResource",
                    "arn:aws:states:us-east-1:123456789012:stateMachine:mr-orders-failover"
                ),
                pair("states:TagResource", machine),
            ]
        );
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
