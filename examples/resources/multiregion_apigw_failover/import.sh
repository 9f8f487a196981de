# Adopt existing REST APIs (primary first). The custom domains mapped to them,
# their certificates and the hosted zone are read back; set `name` and
# `existing_rest_api_id` in the configuration, and the next apply adds only
# what is missing (the other custom domains, the records and the ledger).
terraform import multiregion_apigw_failover.orders us-east-1/a1b2c3d4e5,us-west-2/f6g7h8i9j0

# Recover the state of a pair this provider created, from its records and its
# multiregion:* tags. A managed API's openapi_body cannot be read back: the
# configuration supplies it and the next apply re-imports it in place.
terraform import multiregion_apigw_failover.orders api.example.com@Z0123456789ABCDEFGHIJ

# With an import block, `terraform plan -generate-config-out=generated.tf`
# (Terraform >= 1.5) writes the configuration and reports what it cannot read:
# fill in each block's openapi_body, and DELETE the generated active_region
# line (set, it would pin the region and plan a failback after every runtime
# failover).
