//! The one pricing table: every price the monthly cost uses, its unit, its
//! free tier, and where it comes from.
//!
//! Prices are AWS's public list prices for US East (N. Virginia), as the
//! pricing pages named in [`Price::source`] showed them on [`CHECKED`].
//! Amounts are in pico-dollars (10^-12 USD) per `per` units, so that prices
//! such as $0.0000166667 per GB-second stay exact integers.
//!
//! Not in the table: the Route 53 hosted zone ($0.50 a month) is the user's
//! and exists before this resource, so it costs this resource nothing;
//! queries to alias records that point at AWS resources such as API Gateway
//! domains are free, and so are record changes
//! (<https://aws.amazon.com/route53/pricing/>).

/// The day the prices were read from the pages below.
pub const CHECKED: &str = "2026-11-24";

/// The region the prices are for.
pub const REGION: &str = "US East (N. Virginia)";

/// What is priced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// Lambda requests (all functions: pinger, ponger and the failover's).
    LambdaRequests,
    /// Lambda compute, x86_64, in MB-milliseconds.
    LambdaCompute,
    /// API Gateway REST API calls received (the health probes).
    ApiGatewayRequests,
    /// CloudWatch standard-resolution alarm metrics (one paging alarm per
    /// region, on one metric).
    CloudWatchAlarms,
    /// CloudWatch Logs ingestion (standard log class), in bytes.
    LogsIngestion,
    /// Data moved between regions by the probes, in bytes.
    DataTransfer,
    /// EventBridge events of the pinger's scheduled rule.
    ScheduledEvents,
    /// SNS publishes (the alarm's page, failover outcomes).
    SnsPublishes,
    /// Step Functions standard-workflow state transitions.
    StateTransitions,
    /// SQS standard-queue requests of the tick relay (sub-minute intervals
    /// only): the sends, the event source mapping's polls and its deletes.
    SqsRequests,
}

/// Whether and for how long a free tier applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FreeTier {
    /// Every month, for every account.
    Always,
    /// Only in the first 12 months of a new account.
    FirstYear,
}

/// One price.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Price {
    /// What is priced.
    pub item: Item,
    /// The unit the quantity is counted in.
    pub unit: &'static str,
    /// Pico-dollars per `per` units.
    pub pico_dollars: u128,
    /// How many units the price is for.
    pub per: u128,
    /// Units free each month.
    pub free_units: u64,
    /// When the free units apply.
    pub free_tier: FreeTier,
    /// The pricing page.
    pub source: &'static str,
}

const PICO: u128 = 1_000_000_000_000;
/// Bytes in the GB that CloudWatch Logs bills.
const GB_BYTES: u128 = 1 << 30;
/// MB-milliseconds in a GB-second (Lambda counts 1 GB as 1024 MB).
const GB_SECOND_MB_MS: u128 = 1024 * 1000;

/// The table.
pub const PRICES: &[Price] = &[
    Price {
        item: Item::LambdaRequests,
        unit: "requests",
        pico_dollars: PICO / 5, // $0.20
        per: 1_000_000,
        free_units: 1_000_000,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/lambda/pricing/ ($0.20 per 1M requests; 1M free per month)",
    },
    Price {
        item: Item::LambdaCompute,
        unit: "MB-ms",
        pico_dollars: 16_666_700, // $0.0000166667 per GB-second, x86_64
        per: GB_SECOND_MB_MS,
        free_units: 400_000 * 1024 * 1000,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/lambda/pricing/ ($0.0000166667 per GB-second x86_64; 400,000 GB-seconds free per month)",
    },
    Price {
        item: Item::ApiGatewayRequests,
        unit: "requests",
        pico_dollars: 3 * PICO + PICO / 2, // $3.50
        per: 1_000_000,
        free_units: 1_000_000,
        free_tier: FreeTier::FirstYear,
        source: "https://aws.amazon.com/api-gateway/pricing/ (REST APIs: $3.50 per million for the first 333 million; 1M calls free per month for 12 months)",
    },
    Price {
        item: Item::CloudWatchAlarms,
        unit: "alarm metric-months",
        pico_dollars: PICO / 10, // $0.10
        per: 1,
        free_units: 10,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/cloudwatch/pricing/ ($0.10 per standard-resolution alarm metric; 10 alarm metrics free)",
    },
    Price {
        item: Item::LogsIngestion,
        unit: "bytes",
        pico_dollars: PICO / 2, // $0.50
        per: GB_BYTES,
        free_units: 5 * (1 << 30),
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/cloudwatch/pricing/ (Logs, standard class: $0.50 per GB ingested; 5 GB free)",
    },
    Price {
        item: Item::DataTransfer,
        unit: "bytes",
        pico_dollars: PICO / 50, // $0.02
        per: GB_BYTES,
        free_units: 0,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/ec2/pricing/on-demand/ (data transfer from US East to another AWS region: $0.02 per GB; Lambda data transfer is billed at EC2 rates, https://aws.amazon.com/lambda/pricing/)",
    },
    Price {
        item: Item::ScheduledEvents,
        unit: "events",
        pico_dollars: 0,
        per: 1,
        free_units: 0,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/eventbridge/pricing/ (events from AWS services, scheduled rules included, are free; only custom events are charged)",
    },
    Price {
        item: Item::SnsPublishes,
        unit: "requests",
        pico_dollars: PICO / 2, // $0.50
        per: 1_000_000,
        free_units: 1_000_000,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/sns/pricing/ (standard topics: $0.50 per 1M requests, 1M free; deliveries to Lambda are free)",
    },
    Price {
        item: Item::StateTransitions,
        unit: "transitions",
        pico_dollars: PICO / 40, // $0.025
        per: 1_000,
        free_units: 4_000,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/step-functions/pricing/ (standard workflows: $0.025 per 1,000 state transitions, retries included; 4,000 free per month)",
    },
    Price {
        item: Item::SqsRequests,
        unit: "requests",
        pico_dollars: PICO * 2 / 5, // $0.40
        per: 1_000_000,
        free_units: 1_000_000,
        free_tier: FreeTier::Always,
        source: "https://aws.amazon.com/sqs/pricing/ (standard queues: $0.40 per million requests, the first 1M each month free; a batch of up to 10 messages is one request per 64 KB)",
    },
];

/// The price of `item`.
pub fn price(item: Item) -> &'static Price {
    PRICES
        .iter()
        .find(|p| p.item == item)
        .expect("every item has a price")
}

impl Price {
    /// What `units` cost, in pico-dollars, before any free tier.
    pub fn cost_pico(&self, units: u64) -> u128 {
        u128::from(units) * self.pico_dollars / self.per
    }

    /// What `units` cost, in pico-dollars, after this item's free units.
    pub fn cost_after_free_tier_pico(&self, units: u64) -> u128 {
        self.cost_pico(units.saturating_sub(self.free_units))
    }
}
