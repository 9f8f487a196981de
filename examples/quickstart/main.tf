# Quickstart: one API in two regions behind api.<zone>, failing over by itself.
#
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
  description = "The handler package's directory (./scripts/package builds it into target/package)."
  type        = string
}

variable "active_region" {
  description = "Pins the active region (a planned switchover or failback); null lets the runtime decide."
  type        = string
  default     = null
}

resource "multiregion_apigw_failover" "api" {
  name           = var.name
  domain_name    = "api.${var.zone_name}"
  hosted_zone_id = var.hosted_zone_id
  active_region  = var.active_region

  handler_package {
    path = var.handler_package_path
  }

  primary {
    region          = var.regions[0]
    certificate_arn = var.certificate_arns[var.regions[0]]
    openapi_body    = templatefile("${path.module}/api.json.tftpl", { region = var.regions[0], account_id = var.account_id, name = var.name })
  }

  secondary {
    region          = var.regions[1]
    certificate_arn = var.certificate_arns[var.regions[1]]
    openapi_body    = templatefile("${path.module}/api.json.tftpl", { region = var.regions[1], account_id = var.account_id, name = var.name })
  }
}

output "active_region" {
  description = "The region the public name points at."
  value       = multiregion_apigw_failover.api.active_region
}

output "url" {
  description = "The public URL."
  value       = "https://${multiregion_apigw_failover.api.domain_name}/"
}

output "standby_url" {
  description = "The standby region's URL."
  value       = "https://${multiregion_apigw_failover.api.standby_domain_name}/"
}

output "invoke_urls" {
  description = "Each region's stage URL, bypassing the custom domains."
  value = {
    (multiregion_apigw_failover.api.primary.region)   = multiregion_apigw_failover.api.primary.invoke_url
    (multiregion_apigw_failover.api.secondary.region) = multiregion_apigw_failover.api.secondary.invoke_url
  }
}

output "last_failover" {
  description = "The ledger's latest entry."
  value       = multiregion_apigw_failover.api.last_failover
}
