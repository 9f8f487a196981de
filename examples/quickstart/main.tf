# Quickstart: one API in two regions behind api.<zone>, failing over by itself.
#
#   ./scripts/package                  # once, in the repository: the handler package
#   cd examples/quickstart
#   terraform init && terraform apply \
#     -var hosted_zone_id=Z0123... -var zone_name=example.com \
#     -var 'certificate_arns={"us-east-1"="arn:...","us-west-2"="arn:..."}' \
#     -var account_id=123456789012
#
# Each certificate must cover api.<zone> and standby-api.<zone>, in its region.

terraform {
  required_providers {
    multiregion = {
      source = "multiregion/multiregion"
    }
  }
}

provider "multiregion" {}

variable "name" {
  description = "Short name of the API (used in the names of everything created)."
  type        = string
  default     = "orders"
}

variable "zone_name" {
  description = "The public hosted zone's name, for example example.com."
  type        = string
}

variable "hosted_zone_id" {
  description = "The public hosted zone's id."
  type        = string
}

variable "account_id" {
  description = "The AWS account the API's Lambda functions live in."
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

variable "handler_package_path" {
  description = "Directory of the prebuilt handler package. Null: the module's default, target/package of this repository (./scripts/package builds it)."
  type        = string
  default     = null
}

variable "active_region" {
  description = "Null normally. Set it to the other region for a planned switchover or failback, apply, then set it back to null (that changes nothing)."
  type        = string
  default     = null
}

module "api" {
  source = "../../modules/apigw-failover"

  name             = var.name
  domain_name      = "api.${var.zone_name}"
  hosted_zone_id   = var.hosted_zone_id
  regions          = var.regions
  certificate_arns = var.certificate_arns
  openapi_bodies = {
    for region in var.regions :
    region => templatefile("${path.module}/api.json.tftpl", { region = region, account_id = var.account_id, name = var.name })
  }
  handler_package_path = var.handler_package_path
  active_region        = var.active_region
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
  description = "The standby region's URL."
  value       = module.api.standby_url
}

output "invoke_urls" {
  description = "Each region's stage URL, bypassing the custom domains."
  value       = module.api.invoke_urls
}

output "last_failover" {
  description = "The ledger's latest entry."
  value       = module.api.last_failover
}

output "notification_topic_arns" {
  description = "Where each region publishes its failover outcomes: subscribe to them."
  value       = module.api.notification_topic_arns
}

output "detection_time_seconds" {
  description = "Worst-case seconds from an outage to the failover starting."
  value       = module.api.detection_time_seconds
}

output "swap_budget_seconds" {
  description = "Worst-case seconds of the failover itself."
  value       = module.api.swap_budget_seconds
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of the runtime, with and without the free tier."
  value       = module.api.monthly_cost_usd
}
