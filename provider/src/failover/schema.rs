//! The schema of `multiregion_apigw_failover`. Every attribute has a
//! markdown description; the docs are generated from them.
//!
//! The schema version never changes (tf-provider 0.2.2 cannot upgrade
//! states): changes are additive only.

use std::collections::HashMap;

use tf_provider::map;
use tf_provider::schema::{
    Attribute, AttributeConstraint, AttributeType, Block, Description, NestedBlock, Schema,
};

use super::validate::{DEFAULT_HEALTH_PATH, DEFAULT_STAGE_NAME};

fn attr(kind: AttributeType, constraint: AttributeConstraint, description: String) -> Attribute {
    Attribute {
        attr_type: kind,
        description: Description::markdown(description),
        constraint,
        ..Default::default()
    }
}

fn string(constraint: AttributeConstraint, description: impl Into<String>) -> Attribute {
    attr(AttributeType::String, constraint, description.into())
}

use AttributeConstraint::{Computed, Optional, OptionalComputed, Required};

fn region_block(which: &str) -> Block {
    let attributes: HashMap<String, Attribute> = map! {
        "region" => string(Required, format!(
            "AWS region of the {which} copy of the API, for example `us-east-1`. Must differ from the other block's. Changing it replaces the resource.")),
        "certificate_arn" => string(Required, format!(
            "ARN of an ISSUED ACM certificate in this block's region that covers both `domain_name` and `standby_domain_name` (one certificate with both names, or a wildcard). \
             The {which} region's REGIONAL custom domains use it. Changing it updates the custom domains in place, one `UpdateDomainName` every 30 s \
             (API Gateway's quota per account and region), so the change takes at least 30 s.")),
        "stage_name" => string(OptionalComputed, format!(
            "Stage the custom domains map to. For a managed API (`openapi_body`) the resource deploys it; for an adopted API it must exist. Default: `{DEFAULT_STAGE_NAME}`.")),
        "openapi_body" => string(Optional,
            "OpenAPI (3.x) or Swagger (2.0) definition, as JSON, of an API the resource creates and manages in this region (a YAML file can be given as \
             `jsonencode(yamldecode(file(\"api.yaml\")))`). It is imported as a REGIONAL API with the health route `/<health_path>/ping` added. \
             A new body is imported in place and redeployed. Exactly one of `openapi_body` and `existing_rest_api_id` must be set."),
        "existing_rest_api_id" => string(Optional,
            "Id of an existing REGIONAL REST API in this region to adopt instead of creating one. The resource maps its custom domains to it and never deletes it; \
             on destroy the public name keeps pointing at the active region. Changing it replaces the resource. Exactly one of `openapi_body` and `existing_rest_api_id` must be set."),
        "rest_api_id" => string(Computed, "Id of the REST API serving in this region (created or adopted)."),
        "invoke_url" => string(Computed, "The stage's default invoke URL, `https://<rest_api_id>.execute-api.<region>.amazonaws.com/<stage_name>`."),
        "regional_domain_name" => string(Computed,
            "Regional domain name API Gateway gave this region's custom domain for `domain_name`: the alias target of the public name while this region is active."),
        "regional_hosted_zone_id" => string(Computed, "Hosted zone of `regional_domain_name`."),
        "standby_regional_domain_name" => string(Computed,
            "Regional domain name of this region's custom domain for `standby_domain_name`: the alias target of the standby name while this region is standby."),
        "standby_regional_hosted_zone_id" => string(Computed, "Hosted zone of `standby_regional_domain_name`."),
        "base_path" => string(Optional,
            "Base path the custom domains map an adopted API at (default: none, the empty base path). Only with `existing_rest_api_id` and `health_route = \"separate\"`: \
             a domain whose API is mapped at the empty base path accepts no other mapping, so the health API needs the adopted one under a base path."),
        "health_route" => string(OptionalComputed,
            "How the health route `/<health_path>/ping` reaches the ponger. `inject` (default): the route is part of the API the domains map at the empty base path \
             (added to a managed API's body; for an adopted API, merged into it with `PutRestApi` and redeployed, and removed again on destroy). \
             Redeploying an adopted API deploys its whole working copy: changes nobody deployed go live with it, and the plan warns of this. \
             The adopted API's resource policy and its stage's web ACL apply to the probes (an anonymous `GET /<health_path>/ping` from AWS Lambda in both regions); \
             the plan warns when either is set, with the statement to allow. \
             `separate`: only for an adopted API mapped at `base_path`; a small health API of the resource's own is mapped at the base path `<health_path>`. \
             Any other combination is refused at plan."),
        "notification_topic_arn" => string(OptionalComputed,
            "SNS topic this region's failover outcomes are published to (swapped, refused and why, failed and why). Default: a topic the resource creates, \
             `mr-<name>-notify`; subscribe to it (email, chat, paging) yourself. A topic of yours must be in this block's region. \
             If it is encrypted with KMS, its `KmsMasterKeyId` must be a customer managed key's ARN or key id, and the key's policy must allow the service principal \
             `cloudwatch.amazonaws.com` `kms:GenerateDataKey*` and `kms:Decrypt`, because the paging alarm publishes as CloudWatch; the notifier's role is granted the key, through SNS only. \
             The AWS managed key `alias/aws/sns` (CloudWatch cannot use it) and a key named by an alias are refused at plan."),
        "state_machine_arn" => string(Computed,
            "The failover state machine of this region. A manual failover starts it with the input `{\"reason\":\"manual\"}` in the region that should become active."),
    };
    Block {
        description: Description::markdown(format!(
            "The {which} region: where the API runs and how its custom domains are set up."
        )),
        attributes,
        ..Default::default()
    }
}

fn number(constraint: AttributeConstraint, description: impl Into<String>) -> Attribute {
    attr(AttributeType::Number, constraint, description.into())
}

fn boolean(constraint: AttributeConstraint, description: impl Into<String>) -> Attribute {
    attr(AttributeType::Bool, constraint, description.into())
}

fn health_check_block() -> Block {
    Block {
        description: Description::markdown(
            "How the runtime detects that the active name stopped answering. Absent: the defaults; `effective_health_check` shows the values in effect.",
        ),
        attributes: map! {
            "interval_seconds" => number(Optional, "Seconds between two runs of each region's pinger: 10, 20 or 30, or a multiple of 60 from 60 to 3600. Default: `60`. \
                The pinger runs on an EventBridge rate schedule, which runs at most once a minute; below a minute each scheduled run relays the minute's later ticks \
                to the pinger through an SQS queue of the region (`mr-<name>-ticks`, with per-message delays, mapped to the pinger), whose requests `monthly_cost_usd` prices. \
                The paging alarm's period is the interval, and at least 60 s (Lambda's metrics have one-minute resolution)."),
            "evaluation_periods" => number(Optional, "Periods the paging alarm looks at, 1 to 10. Default: `2`."),
            "datapoints_to_alarm" => number(Optional, "Failing periods among `evaluation_periods` that raise the paging alarm, 1 to `evaluation_periods`. Default: `2`."),
            "timeout_ms" => number(Optional, "Timeout of one health probe, 100 to 25000 ms (below the pinger's 30 s timeout, with 5 s left after its probes). Default: `2000` (each probe on the failover path can take the whole timeout, and the computed worst case counts it three times)."),
        },
        ..Default::default()
    }
}

fn failover_block() -> Block {
    Block {
        description: Description::markdown(
            "How the runtime fails over, and planned switchovers. Absent: the defaults; `effective_failover` shows the values in effect.",
        ),
        attributes: map! {
            "automatic" => boolean(Optional, "Whether the runtime fails over by itself. Default: `true`. `false` tags each region's state machine with \
                `multiregion:automatic-failover = off`: the standby's pinger then starts no failover, and a running one swaps nothing; `true` removes that tag. \
                The tag is the flag the pinger and the state machine read in their own region. A pause by hand (the same tag set to `paused`, see \
                `automatic_failover_paused`) is not Terraform's: apply never removes it, whatever `automatic` says."),
            "cooldown_seconds" => number(Optional, "Seconds after a swap before the runtime fails over again, 0 to 604800. Default: `900`."),
            "max_automatic_swaps_per_day" => number(Optional, "The circuit breaker: after this many automatic swaps in 24 hours, 1 to 10, the runtime's next swap pauses automation in both regions instead \
                (the tag `multiregion:automatic-failover = circuit-breaker` on each state machine, shown as `automatic_failover_paused`) and its notice pages a person, who resumes by removing the tag. \
                It stops a ping-pong when the two regions cannot reach each other while users reach both: each then sees the other as down, and one vantage point cannot tell that from an outage. \
                Manual and Terraform swaps do not count. Default: `2` (a failover and a failback)."),
            "force_switchover" => boolean(Optional, "Let a planned switchover (`active_region`) proceed even though the target region failed apply's health check: 3 probes of the standby name over 10 s, from where Terraform runs, each answered by the target region's ponger. \
                The only exception to \"never move traffic to a region not just seen healthy\"; plans warn while it is set, and changing it alone changes nothing in AWS. Default: `false`."),
        },
        ..Default::default()
    }
}

fn handler_package_block() -> Block {
    Block {
        description: Description::markdown(
            "The prebuilt handler package (`scripts/package`, or the one shipped with the provider's module) deployed as the runtime's Lambdas. \
             Absent: no runtime is deployed, and nothing fails over by itself (plans warn).",
        ),
        attributes: map! {
            "path" => string(Required, "Directory of the package: `manifest.json` and `handlers.zip`, the one zip every function deploys (its `bootstrap` runs the component the function's handler setting names). Its manifest must match this provider (state machine protocol and deployment contract); \
                a new package (a new `handler_package_sha256`) updates the functions' code in place."),
        },
        ..Default::default()
    }
}

fn effective_health_check_type() -> AttributeType {
    AttributeType::Object(map! {
        "interval_seconds" => AttributeType::Number,
        "evaluation_periods" => AttributeType::Number,
        "datapoints_to_alarm" => AttributeType::Number,
        "timeout_ms" => AttributeType::Number,
    })
}

fn effective_failover_type() -> AttributeType {
    AttributeType::Object(map! {
        "automatic" => AttributeType::Bool,
        "cooldown_seconds" => AttributeType::Number,
        "force_switchover" => AttributeType::Bool,
        "max_automatic_swaps_per_day" => AttributeType::Number,
    })
}

fn monthly_cost_type() -> AttributeType {
    AttributeType::Object(map! {
        "without_free_tier" => AttributeType::String,
        "with_free_tier" => AttributeType::String,
    })
}

/// `detection_time_seconds`. The formula and its terms are the core's
/// (`multiregion_core::estimate::detection_time_seconds`).
const DETECTION_TIME: &str = "Worst case, in seconds, from the moment the active name stops answering to the moment the standby region's pinger \
    has seen its probe fail and starts its state machine, from `effective_health_check`: `interval_seconds + 60 + ceil(timeout_ms / 1000)`. \
    The next tick comes `interval_seconds` after the last good one, and up to 60 s later, because EventBridge runs a scheduled rule \
    \"within the minute\", not on its 0th second; the probe then fails within its timeout. A bound, not a typical figure (with ticks on a steady \
    second the gap is the interval). No alarm is on that path: the paging alarm only pages a person. With the defaults: `60 + 60 + 2 = 122`. \
    Known at plan; with `failover.automatic = false` nothing acts on the failed probe.";

/// `swap_budget_seconds`, with its formula.
const SWAP_BUDGET: &str = "Worst case, in seconds, of the failover state machine from its start to the first client answered by the new region, \
    without faults: `3 × ceil(timeout_ms / 1000) + 10 + 60`. That is the first confirmation probe, the 10 s between the two confirmations, \
    the second confirmation with the standby's probe (made at once), the re-probe just before the compare-and-swap, and Route 53's \
    \"within 60 seconds\" to every name server, which is its figure under normal conditions, not a guarantee. Record reads, the swap and state \
    transitions have no documented latency and count as zero. With the defaults: `3 × 2 + 10 + 60 = 76`. The first client is answered by the \
    new region within `detection_time_seconds + swap_budget_seconds` (198 s with the defaults); a client whose resolver cached the old answer \
    moves up to the alias record's 60 s TTL later.";

/// `monthly_cost_usd`, with what it counts.
const MONTHLY_COST: &str = "Estimated monthly cost of the failover runtime in both regions, in US dollars, as decimal strings with six places \
    (`\"0.481223\"`; Terraform numbers are integers here): `without_free_tier` at list prices, `with_free_tier` after each service's monthly free tier \
    (the API Gateway one only lasts an account's first 12 months; the others are permanent). It counts, for a 730-hour month: one pinger run per region \
    every `interval_seconds` (a free EventBridge scheduled event); the standby's probe of the public name at every tick and the active's probes of both \
    names every 15 minutes (API Gateway requests, ponger runs, and the data they move between regions at $0.02 per GB, 6 KB a probe); Lambda requests \
    and compute at 128 MB (150 ms a probing pinger run, 5 ms an idle one, 10 ms a ponger run, 200 ms a failover step); the log lines they ingest; one \
    paging alarm per region on one metric; and one failover a month (its Step Functions state transitions, Lambda runs and two SNS publishes). Prices \
    are the US East (N. Virginia) list prices of the core library's pricing table, which names the source of each \
    (`handlers/core/src/estimate/pricing.rs`). Not counted: your API's own traffic and the hosted zone (it exists before this resource). \
    With the defaults: `0.481223` and `0.005548`.";

fn last_failover_type() -> AttributeType {
    AttributeType::Object(map! {
        "generation" => AttributeType::Number,
        "active_region" => AttributeType::String,
        "time" => AttributeType::String,
        "reason" => AttributeType::String,
        "execution" => AttributeType::String,
    })
}

/// The resource schema.
pub fn schema() -> Schema {
    let attributes: HashMap<String, Attribute> = map! {
        "id" => string(Computed, "`<domain_name>@<hosted_zone_id>`. Also the value of the `multiregion:id` tag on everything the resource creates."),
        "name" => string(Required,
            "Short name of this failover pair, used in the names of everything it creates (`mr-<name>-...`). 1 to 24 characters of `a-z`, `0-9` and `-`, starting with a letter. Changing it replaces the resource."),
        "domain_name" => string(Required,
            "The public, active name clients use, for example `api.example.com`. It must be inside the public hosted zone. Each region gets a REGIONAL custom domain for it; the alias record points it at the active region. Changing it replaces the resource."),
        "standby_domain_name" => string(OptionalComputed,
            "The standby name, which always points at the standby region (used to check the standby is healthy before moving traffic to it). \
             Default: `standby-` before the first label of `domain_name` (`standby-api.example.com`), or `standby.<domain_name>` at the zone apex. Changing it replaces the resource."),
        "hosted_zone_id" => string(Required, "Id of the public Route 53 hosted zone that holds both names and the ledger. Changing it replaces the resource."),
        "health_path" => string(OptionalComputed, format!(
            "First path segment of the health route `/<health_path>/ping` the probes call on each name (API Gateway reserves `/ping` itself). Default: `{DEFAULT_HEALTH_PATH}`.")),
        "active_region" => string(OptionalComputed,
            "The region the public name points at. Read from the alias records on every refresh, so it shows a failover the runtime made. \
             Leave it unset normally: at create the primary region becomes active, and later the refreshed value is kept (Terraform never fails back on its own). \
             Set it to the other region to ask for a planned switchover or failback: apply performs the same compare-and-swap the runtime does. While set it pins \
             the region, so after a runtime failover every plan proposes the failback; remove it once the switchover is done (removing it changes nothing)."),
        "standby_region" => string(Computed, "The region the standby name points at: the other one."),
        "last_failover" => attr(last_failover_type(), Computed,
            "The latest entry of the ledger (the TXT record next to `domain_name`): `generation` (raised by one by every swap; 1 at create), `active_region`, \
             `time` (RFC 3339), `reason` (`create`, `runtime`, `terraform`, `manual` or `repair`) and `execution` (what performed it).".to_owned()),
        "ledger_record_name" => string(Computed, "Name of the ledger TXT record, `_failover.<domain_name>`."),
        "log_retention_days" => number(OptionalComputed, "Retention of the runtime's log groups (one per function and one for the state machine), in days CloudWatch Logs accepts. Default: `30`."),
        "handler_package_sha256" => string(Computed, "SHA-256 over the handler package's zips; a change updates the functions' code in place."),
        "effective_health_check" => attr(effective_health_check_type(), Computed, "The `health_check` settings in effect, defaults included.".to_owned()),
        "effective_failover" => attr(effective_failover_type(), Computed, "The `failover` settings in effect, defaults included.".to_owned()),
        "automatic_failover_paused" => boolean(Computed, "Whether automatic failover is paused by a person (or by the runtime's circuit breaker): the tag \
            `multiregion:automatic-failover` is set to `paused` (any value but Terraform's `off` counts) on a region's state machine. The pinger and the state machine \
            of that region then start and complete no failover. Apply never removes the pause. Pause both regions with \
            `for r in <primary region> <secondary region>; do aws stepfunctions tag-resource --region $r --resource-arn arn:aws:states:$r:<account>:stateMachine:mr-<name>-failover --tags key=multiregion:automatic-failover,value=paused; done`, \
            and resume by removing the tag in both regions: \
            `for r in <primary region> <secondary region>; do aws stepfunctions untag-resource --region $r --resource-arn arn:aws:states:$r:<account>:stateMachine:mr-<name>-failover --tag-keys multiregion:automatic-failover; done` \
            (the state machines' ARNs are the blocks' `state_machine_arn`). The next refresh shows the change."),
        "apparatus_status" => string(Computed, "Whether the runtime's pieces in both regions are all there and run the handler package's code: `ok`, or what is missing or different (the next apply repairs it)."),
        "detection_time_seconds" => number(Computed, DETECTION_TIME),
        "swap_budget_seconds" => number(Computed, SWAP_BUDGET),
        "monthly_cost_usd" => attr(monthly_cost_type(), Computed, MONTHLY_COST.to_owned()),
        "dns_status" => string(Computed,
            "Whether the two names' alias records are as a swap leaves them: `ok`, `active_missing`, `standby_missing`, `foreign_target` (a record points elsewhere) or `both_on_one_region`."),
    };
    Schema {
        version: 1,
        block: Block {
            description: Description::markdown(
                "An API Gateway REST API in two AWS regions behind one public name, with automatic failover between them.\n\n\
                 Each region serves the public name (`domain_name`) and a standby name on REGIONAL custom domains. Route 53 alias records point the public \
                 name at the active region and the standby name at the other. A failover or a planned switchover is one atomic compare-and-swap change batch \
                 that rewrites both records and the ledger TXT record.\n\n\
                 Creating the custom domains is paced by API Gateway's fixed quota of one `CreateDomainName` every 30 s per account and region (see the \
                 provider's `api_gateway_pacing`): a first apply of many of these resources in one account takes about a minute per resource.",
            ),
            attributes,
            blocks: map! {
                "primary" => NestedBlock::Single(region_block("primary")),
                "secondary" => NestedBlock::Single(region_block("secondary")),
                "handler_package" => NestedBlock::Optional(handler_package_block()),
                "health_check" => NestedBlock::Optional(health_check_block()),
                "failover" => NestedBlock::Optional(failover_block()),
            },
            ..Default::default()
        },
    }
}
