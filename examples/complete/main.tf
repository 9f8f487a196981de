# Complete: every setting of the module, each with what it does and its
# default. Apply as the quickstart (terraform init, then terraform apply
# with the zone, certificates and account).

terraform {
  required_providers {
    multiregion = {
      source = "multiregion/multiregion"
    }
  }
}

provider "multiregion" {
  # Credentials come from the standard AWS chain; the provider can also take
  # a profile, retries and endpoints (see the provider's docs).
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
  description = "The primary and the secondary region: the primary is active after the create."
  type        = list(string)
  default     = ["us-east-1", "us-west-2"]
}

variable "certificate_arns" {
  description = "An ISSUED ACM certificate per region covering orders.<zone> and orders-standby.<zone>."
  type        = map(string)
}

variable "notification_topic_arns" {
  description = "SNS topics of yours for the failover outcomes, keyed by region. A region left out gets a topic the resource creates."
  type        = map(string)
  default     = {}
}

variable "handler_package_path" {
  description = "Directory of the prebuilt handler package. Null: the module's default (target/package of this repository)."
  type        = string
  default     = null
}

locals {
  name = "shop"
  # A stage per region: here both deploy "live" (the default is "prod").
  stages = { for region in var.regions : region => "live" }
}

module "api" {
  source = "../../modules/apigw-failover"

  # Names: everything created is called mr-shop-...
  name        = local.name
  domain_name = "orders.${var.zone_name}"
  # The standby name always points at the standby region. The default would
  # be standby-orders.<zone>; the certificates must cover whichever is used.
  standby_domain_name = "orders-standby.${var.zone_name}"
  hosted_zone_id      = var.hosted_zone_id

  # [primary, secondary]: the primary is active after the create.
  regions          = var.regions
  certificate_arns = var.certificate_arns

  # Managed APIs: the resource imports each body as a REGIONAL API, adds the
  # health route /<health_path>/ping and deploys the stage.
  openapi_bodies = {
    for region in var.regions :
    region => templatefile("${path.module}/api.json.tftpl", { region = region, account_id = var.account_id, name = local.name, stage = local.stages[region] })
  }
  stage_names = local.stages
  # The probes call /status/ping on both names (default: /health/ping).
  health_path = "status"

  # Failover outcomes (swapped, refused and why, failed and why) go to these
  # topics; subscribe your paging or chat to them.
  notification_topic_arns = var.notification_topic_arns

  # Detection: each region's pinger runs every 2 minutes, and the standby's
  # starts the failover when its probe fails; the paging alarm pages when 3
  # of the last 5 runs failed; a probe gives up after 4 s. Slower
  # and more tolerant than the defaults (60, 2, 2, 2000): the outputs show
  # the worst-case detection time and the monthly cost of these settings.
  health_check = {
    interval_seconds    = 120
    evaluation_periods  = 5
    datapoints_to_alarm = 3
    timeout_ms          = 4000
  }

  failover = {
    # The runtime fails over by itself (default true). False tags both state
    # machines `off`: only active_region or a manual run moves traffic.
    automatic = true
    # No second runtime failover within 30 minutes of a swap (default 900 s).
    cooldown_seconds = 1800
    # The circuit breaker: after 3 automatic swaps in 24 hours the runtime
    # pauses itself in both regions and pages (default 2).
    max_automatic_swaps_per_day = 3
    # A planned switchover only goes to a region whose standby name answers
    # from it at 3 probes over 10 s, from where Terraform runs; true skips
    # that check. Last
    # resort; plans warn while it is set (default false).
    force_switchover = false
  }

  # Null normally. For a planned switchover set it to the standby region,
  # apply, then set it back to null (that changes nothing).
  active_region = null

  # The runtime's log groups keep 14 days (default 30).
  log_retention_days = 14

  # The runtime is deployed (default true) from the prebuilt package.
  deploy_runtime       = true
  handler_package_path = var.handler_package_path
}

output "active_region" {
  description = "The region the public name points at."
  value       = module.api.active_region
}

output "standby_region" {
  description = "The region the standby name points at."
  value       = module.api.standby_region
}

output "url" {
  description = "The public URL."
  value       = module.api.url
}

output "standby_url" {
  description = "The standby name's URL."
  value       = module.api.standby_url
}

output "invoke_urls" {
  description = "Each region's stage URL, bypassing the custom domains."
  value       = module.api.invoke_urls
}

output "rest_api_ids" {
  description = "The REST API the resource created in each region."
  value       = module.api.rest_api_ids
}

output "notification_topic_arns" {
  description = "Where each region publishes its failover outcomes."
  value       = module.api.notification_topic_arns
}

output "state_machine_arns" {
  description = "Each region's failover state machine (for a manual failover)."
  value       = module.api.state_machine_arns
}

output "last_failover" {
  description = "The ledger's latest entry."
  value       = module.api.last_failover
}

output "automatic_failover_paused" {
  description = "Whether automation is paused by hand."
  value       = module.api.automatic_failover_paused
}

output "detection_time_seconds" {
  description = "Worst-case seconds from an outage to the failover starting: (3 + 1) x 120 + 60 + 60 + 4 = 604."
  value       = module.api.detection_time_seconds
}

output "swap_budget_seconds" {
  description = "Worst-case seconds of the failover itself: 6 x 4 + 142 = 166."
  value       = module.api.swap_budget_seconds
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of the runtime, with and without the free tier."
  value       = module.api.monthly_cost_usd
}
