# One multiregion_apigw_failover: the API in two regions behind one public
# name, the DNS records and ledger, and (unless deploy_runtime is false) the
# runtime that fails over by itself.

locals {
  # The package ./scripts/package builds, two levels up from this module in
  # a checkout of the repository.
  handler_package_path = var.handler_package_path != null ? var.handler_package_path : "${path.module}/../../target/package"

  blocks = {
    primary   = var.regions[0]
    secondary = var.regions[1]
  }
}

resource "multiregion_apigw_failover" "this" {
  name                = var.name
  domain_name         = var.domain_name
  standby_domain_name = var.standby_domain_name
  hosted_zone_id      = var.hosted_zone_id
  health_path         = var.health_path
  active_region       = var.active_region
  log_retention_days  = var.log_retention_days

  primary {
    region                 = local.blocks.primary
    certificate_arn        = var.certificate_arns[local.blocks.primary]
    openapi_body           = lookup(var.openapi_bodies, local.blocks.primary, null)
    existing_rest_api_id   = lookup(var.existing_rest_api_ids, local.blocks.primary, null)
    stage_name             = lookup(var.stage_names, local.blocks.primary, null)
    health_route           = lookup(var.health_routes, local.blocks.primary, null)
    base_path              = lookup(var.base_paths, local.blocks.primary, null)
    notification_topic_arn = lookup(var.notification_topic_arns, local.blocks.primary, null)
  }

  secondary {
    region                 = local.blocks.secondary
    certificate_arn        = var.certificate_arns[local.blocks.secondary]
    openapi_body           = lookup(var.openapi_bodies, local.blocks.secondary, null)
    existing_rest_api_id   = lookup(var.existing_rest_api_ids, local.blocks.secondary, null)
    stage_name             = lookup(var.stage_names, local.blocks.secondary, null)
    health_route           = lookup(var.health_routes, local.blocks.secondary, null)
    base_path              = lookup(var.base_paths, local.blocks.secondary, null)
    notification_topic_arn = lookup(var.notification_topic_arns, local.blocks.secondary, null)
  }

  dynamic "handler_package" {
    for_each = var.deploy_runtime ? [local.handler_package_path] : []
    content {
      path = handler_package.value
    }
  }

  dynamic "health_check" {
    for_each = length(var.health_check) > 0 ? [var.health_check] : []
    content {
      interval_seconds    = lookup(health_check.value, "interval_seconds", null)
      evaluation_periods  = lookup(health_check.value, "evaluation_periods", null)
      datapoints_to_alarm = lookup(health_check.value, "datapoints_to_alarm", null)
      timeout_ms          = lookup(health_check.value, "timeout_ms", null)
    }
  }

  dynamic "failover" {
    for_each = length(var.failover) > 0 ? [var.failover] : []
    content {
      automatic                   = lookup(failover.value, "automatic", null)
      cooldown_seconds            = lookup(failover.value, "cooldown_seconds", null)
      force_switchover            = lookup(failover.value, "force_switchover", null)
      max_automatic_swaps_per_day = lookup(failover.value, "max_automatic_swaps_per_day", null)
    }
  }
}
