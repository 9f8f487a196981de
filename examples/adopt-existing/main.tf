# Adopt existing: put two REST APIs you already run (one per region, each
# REGIONAL, with a deployed stage) behind one public name with failover. The
# resource maps its custom domains to them and never deletes them; on
# destroy the public name keeps pointing at the active region.
#
#   terraform init && terraform apply \
#     -var hosted_zone_id=Z0123... -var zone_name=example.com \
#     -var 'certificate_arns={"us-east-1"="arn:...","us-west-2"="arn:..."}' \
#     -var 'rest_api_ids={"us-east-1"="a1b2c3d4e5","us-west-2"="f6g7h8i9j0"}'

terraform {
  required_providers {
    multiregion = {
      source = "multiregion/multiregion"
    }
  }
}

provider "multiregion" {}

variable "zone_name" {
  description = "The public hosted zone's name, for example example.com."
  type        = string
}

variable "hosted_zone_id" {
  description = "The public hosted zone's id."
  type        = string
}

variable "regions" {
  description = "The primary and the secondary region."
  type        = list(string)
  default     = ["us-east-1", "us-west-2"]
}

variable "certificate_arns" {
  description = "An ISSUED ACM certificate per region covering api.<zone> and standby-api.<zone>."
  type        = map(string)
}

variable "rest_api_ids" {
  description = "The existing REGIONAL REST API of each region, keyed by region."
  type        = map(string)
}

variable "stage_name" {
  description = "The existing stage both APIs are served from."
  type        = string
  default     = "prod"
}

variable "handler_package_path" {
  description = "Directory of the prebuilt handler package. Null: the module's default (target/package of this repository)."
  type        = string
  default     = null
}

module "api" {
  source = "../../modules/apigw-failover"

  name             = "legacy"
  domain_name      = "api.${var.zone_name}"
  hosted_zone_id   = var.hosted_zone_id
  regions          = var.regions
  certificate_arns = var.certificate_arns

  # No openapi_bodies: both APIs are adopted.
  existing_rest_api_ids = var.rest_api_ids
  stage_names           = { for region in var.regions : region => var.stage_name }

  # The probes need the health route /health/ping on each name. Two ways:
  #
  # - inject (the default, used in the primary region): the route is merged
  #   into the adopted API with PutRestApi and its stage redeployed; destroy
  #   removes it again. The API stays mapped at the empty base path, so its
  #   URLs do not change.
  # - separate (used in the secondary region): the adopted API is left as
  #   it is and mapped under a base path (here /v1), and a small health API
  #   of the resource's own is mapped at /health beside it. Use it when the
  #   API must not be redeployed by anyone but you; clients then call
  #   https://api.<zone>/v1/..., so both regions usually make the same
  #   choice. They differ here only to show both.
  health_routes = { (var.regions[1]) = "separate" }
  base_paths    = { (var.regions[1]) = "v1" }

  handler_package_path = var.handler_package_path
}

output "active_region" {
  description = "The region the public name points at."
  value       = module.api.active_region
}

output "url" {
  description = "The public URL."
  value       = module.api.url
}

output "standby_url" {
  description = "The standby name's URL."
  value       = module.api.standby_url
}

output "rest_api_ids" {
  description = "The adopted APIs, keyed by region."
  value       = module.api.rest_api_ids
}

output "invoke_urls" {
  description = "Each region's stage URL, bypassing the custom domains."
  value       = module.api.invoke_urls
}

output "notification_topic_arns" {
  description = "Where each region publishes its failover outcomes."
  value       = module.api.notification_topic_arns
}

output "last_failover" {
  description = "The ledger's latest entry."
  value       = module.api.last_failover
}

output "detection_time_seconds" {
  description = "Worst-case seconds from an outage to the failover starting."
  value       = module.api.detection_time_seconds
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of the runtime, with and without the free tier."
  value       = module.api.monthly_cost_usd
}
