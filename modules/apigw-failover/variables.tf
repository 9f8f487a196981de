variable "name" {
  description = "Short name of the failover pair, used in the names of everything it creates (mr-<name>-...): 1 to 24 characters of a-z, 0-9 and -, starting with a letter."
  type        = string
}

variable "domain_name" {
  description = "The public, active name clients use, for example api.example.com, inside the hosted zone."
  type        = string
}

variable "standby_domain_name" {
  description = "The standby name, which always points at the standby region. Null: standby- before the first label of domain_name."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Id of the public Route 53 hosted zone that holds both names and the ledger."
  type        = string
}

variable "regions" {
  description = "The primary and the secondary region, in that order. At create the primary is active."
  type        = list(string)

  validation {
    condition     = length(var.regions) == 2 && length(distinct(var.regions)) == 2
    error_message = "The regions must be a list of two different regions: [primary, secondary]."
  }
}

variable "certificate_arns" {
  description = "An ISSUED ACM certificate per region (keyed by region), in that region, covering domain_name and standby_domain_name."
  type        = map(string)
}

variable "openapi_bodies" {
  description = "OpenAPI definitions, as JSON, of the APIs the resource creates, keyed by region. Give each region either a body here or an id in existing_rest_api_ids."
  type        = map(string)
  default     = {}
}

variable "existing_rest_api_ids" {
  description = "Ids of existing REGIONAL REST APIs to adopt instead of creating them, keyed by region. Adopted APIs are never deleted."
  type        = map(string)
  default     = {}
}

variable "stage_names" {
  description = "Stage the custom domains map to, keyed by region (default: prod). An adopted API's stage must exist."
  type        = map(string)
  default     = {}
}

variable "health_routes" {
  description = "How the health route reaches the ponger, keyed by region: inject (default) or separate (only for an adopted API with a base path)."
  type        = map(string)
  default     = {}
}

variable "base_paths" {
  description = "Base path an adopted API is mapped at, keyed by region; only with health_routes = separate."
  type        = map(string)
  default     = {}
}

variable "notification_topic_arns" {
  description = "SNS topics of yours for the failover outcomes, keyed by region (each in its region). Absent: the resource creates mr-<name>-notify in that region."
  type        = map(string)
  default     = {}
}

variable "health_path" {
  description = "First path segment of the health route /<health_path>/ping. Null: the provider's default (health)."
  type        = string
  default     = null
}

variable "health_check" {
  description = "health_check settings: interval_seconds, evaluation_periods, datapoints_to_alarm, timeout_ms. Absent keys take the provider's defaults (60, 2, 2, 2000)."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.health_check) : contains(["interval_seconds", "evaluation_periods", "datapoints_to_alarm", "timeout_ms"], key)])
    error_message = "The health_check keys are interval_seconds, evaluation_periods, datapoints_to_alarm and timeout_ms."
  }
}

variable "failover" {
  description = "failover settings: automatic (bool), cooldown_seconds (number), force_switchover (bool), max_automatic_swaps_per_day (number). Absent keys take the provider's defaults (true, 900, false, 2)."
  type        = any
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.failover) : contains(["automatic", "cooldown_seconds", "force_switchover", "max_automatic_swaps_per_day"], key)])
    error_message = "The failover keys are automatic, cooldown_seconds, force_switchover and max_automatic_swaps_per_day."
  }
}

variable "active_region" {
  description = "Null normally. Set it to the other region for a planned switchover or failback, apply, then set it back to null (that changes nothing)."
  type        = string
  default     = null
}

variable "log_retention_days" {
  description = "Retention of the runtime's log groups, in days CloudWatch Logs accepts. Null: 30."
  type        = number
  default     = null
}

variable "deploy_runtime" {
  description = "Whether to deploy the failover runtime (pingers, paging alarms, state machines). Without it nothing fails over by itself; only active_region moves traffic."
  type        = bool
  default     = true
}

variable "handler_package_path" {
  description = "Directory of the prebuilt handler package (manifest.json, SHA256SUMS and handlers.zip, which every function deploys). Null: target/package of the repository this module is part of, as ./scripts/package builds it."
  type        = string
  default     = null
}
