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
             The {which} region's REGIONAL custom domains use it. Changing it updates the custom domains in place.")),
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
    };
    Block {
        description: Description::markdown(format!(
            "The {which} region: where the API runs and how its custom domains are set up."
        )),
        attributes,
        ..Default::default()
    }
}

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
                 that rewrites both records and the ledger TXT record.",
            ),
            attributes,
            blocks: map! {
                "primary" => NestedBlock::Single(region_block("primary")),
                "secondary" => NestedBlock::Single(region_block("secondary")),
            },
            ..Default::default()
        },
    }
}
