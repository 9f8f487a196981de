//! The AWS-documented figures the estimates use (and the game-day harness
//! simulates), each with its source. One place: when AWS changes one, the
//! estimate and the simulation change together.

/// EventBridge schedules are precise to the minute: a `rate(1 minute)` rule
/// fires somewhere within its minute, not on its 0th second. "All scheduled
/// events use UTC time zone and the minimum precision for schedules is 1
/// minute." Source: Amazon EventBridge User Guide, "Creating a rule that
/// runs on a schedule" /
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html>.
pub const SCHEDULE_PRECISION_SECONDS: u64 = 60;

/// How often the active region's pinger probes the standby name and checks
/// its own role: every 15 minutes (DESIGN §3.4). Between checks it probes
/// nothing.
pub const ACTIVE_CHECK_SECONDS: u64 = 15 * 60;

/// CloudWatch evaluates a standard alarm every minute. "For any period of one
/// minute or longer, an alarm is evaluated every minute and the evaluation
/// is based on the window of time defined by the Period and Evaluation
/// Periods." Source: Amazon CloudWatch User Guide, "Using Amazon CloudWatch
/// alarms" /
/// <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html>.
pub const ALARM_EVALUATION_INTERVAL_SECONDS: u64 = 60;

/// Lambda publishes an invocation's metrics (timestamped with the
/// invocation's start) at the next 1-minute boundary after it ends. "Lambda
/// sends metric data to CloudWatch in 1-minute intervals." "The timestamp on
/// a metric reflects when the function was invoked." Source: AWS Lambda
/// Developer Guide, "Working with Lambda function metrics" /
/// <https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics.html>.
pub const LAMBDA_METRIC_DELAY_SECONDS: u64 = 60;

/// Route 53 reports a change `INSYNC` once every authoritative name server
/// has it. "Changes generally propagate to all Route 53 name servers within
/// 60 seconds." Source: Amazon Route 53 Developer Guide, "Editing records" /
/// <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-editing.html>.
pub const ROUTE53_PROPAGATION_SECONDS: u64 = 60;

/// The TTL resolvers cache our alias answers for. An alias record has no TTL
/// of its own: "Route 53 uses the default TTL for the resource" it points at
/// (Route 53 Developer Guide, "Choosing between alias and non-alias records",
/// <https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html>).
/// API Gateway does not document the TTL of its regional domain names; 60 s
/// is the figure Route 53 gives for the other AWS alias targets it documents
/// (the fixed 60 s TTL of ELB and S3 website endpoints, Route 53 FAQ,
/// <https://aws.amazon.com/route53/faqs/>). An assumption, named here.
pub const ALIAS_TTL_SECONDS: u64 = 60;

/// The month the estimates bill: 730 hours, as the AWS Pricing Calculator
/// counts it (<https://calculator.aws/>).
pub const HOURS_PER_MONTH: u64 = 730;

/// Pollers an idle SQS event source mapping keeps on its queue. "When
/// traffic is low, Lambda scales back the processing to five concurrent
/// batches, and can optimize to as few as 2 concurrent batches to reduce the
/// SQS calls and corresponding costs." Source: AWS Lambda Developer Guide,
/// "Configuring scaling behavior for SQS event source mappings" /
/// <https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html>.
/// The estimate counts five, the documented figure before that
/// optimization.
pub const SQS_IDLE_POLLERS: u64 = 5;

/// Seconds one long poll of those pollers waits for a message: SQS's
/// longest `WaitTimeSeconds`, 20 ("the maximum long polling wait time is 20
/// seconds", Amazon SQS Developer Guide, "Amazon SQS short and long
/// polling" /
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-short-and-long-polling.html>).
/// Lambda does not document its pollers' wait; the longest is the fewest
/// requests, so an assumption named here.
pub const SQS_LONG_POLL_SECONDS: u64 = 20;
