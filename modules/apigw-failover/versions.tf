terraform {
  # Terraform 1.0 is the oldest version the provider supports; the module
  # uses nothing newer.
  required_version = ">= 1.0"

  required_providers {
    multiregion = {
      source  = "multiregion/multiregion"
      version = ">= 0.1"
    }
  }
}
