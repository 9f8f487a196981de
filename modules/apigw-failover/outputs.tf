locals {
  r = multiregion_apigw_failover.this
}

output "id" {
  description = "The resource's id, <domain_name>@<hosted_zone_id>: also the multiregion:id tag on everything it created."
  value       = local.r.id
}

output "active_region" {
  description = "The region the public name points at. A failover the runtime made shows here after a refresh (apply -refresh-only)."
  value       = local.r.active_region
}

output "standby_region" {
  description = "The region the standby name points at."
  value       = local.r.standby_region
}

output "url" {
  description = "The public URL, served by the active region."
  value       = "https://${local.r.domain_name}/"
}

output "standby_url" {
  description = "The standby name's URL, served by the standby region."
  value       = "https://${local.r.standby_domain_name}/"
}

output "invoke_urls" {
  description = "Each region's stage URL, bypassing the custom domains, keyed by region."
  value = {
    (local.r.primary.region)   = local.r.primary.invoke_url
    (local.r.secondary.region) = local.r.secondary.invoke_url
  }
}

output "rest_api_ids" {
  description = "The REST API serving in each region (created or adopted), keyed by region."
  value = {
    (local.r.primary.region)   = local.r.primary.rest_api_id
    (local.r.secondary.region) = local.r.secondary.rest_api_id
  }
}

output "notification_topic_arns" {
  description = "The SNS topic each region publishes its failover outcomes to, keyed by region: subscribe to them. Null without the runtime."
  value = {
    (local.r.primary.region)   = local.r.primary.notification_topic_arn
    (local.r.secondary.region) = local.r.secondary.notification_topic_arn
  }
}

output "state_machine_arns" {
  description = "Each region's failover state machine, keyed by region. A manual failover starts the one of the region that should become active with the input {\"reason\":\"manual\"}."
  value = {
    (local.r.primary.region)   = local.r.primary.state_machine_arn
    (local.r.secondary.region) = local.r.secondary.state_machine_arn
  }
}

output "last_failover" {
  description = "The ledger's latest entry: generation, active_region, time, reason and execution."
  value       = local.r.last_failover
}

output "ledger_record_name" {
  description = "The ledger TXT record, _failover.<domain_name>."
  value       = local.r.ledger_record_name
}

output "automatic_failover_paused" {
  description = "Whether automation is paused by hand (a region's state machine has the tag multiregion:automatic-failover = paused)."
  value       = local.r.automatic_failover_paused
}

output "detection_time_seconds" {
  description = "Worst-case seconds from the active name failing to the standby's state machine starting, from the health check in effect."
  value       = local.r.detection_time_seconds
}

output "swap_budget_seconds" {
  description = "Worst-case seconds the state machine takes from its start to the public name answering from the new region."
  value       = local.r.swap_budget_seconds
}

output "monthly_cost_usd" {
  description = "Estimated monthly cost of the runtime in both regions, in US dollars: without_free_tier and with_free_tier."
  value       = local.r.monthly_cost_usd
}

output "handler_package_path" {
  description = "The handler package deployed, or null without the runtime."
  value       = var.deploy_runtime ? local.handler_package_path : null
}
