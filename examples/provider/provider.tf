terraform {
  required_providers {
    multiregion = {
      source  = "multiregion/multiregion"
      version = "~> 0.1"
    }
  }
}

# Credentials and the default profile come from the standard AWS chain
# (environment, shared config and credentials files, SSO, roles).
provider "multiregion" {
  # profile     = "production"
  # max_retries = 5
}
