resource "multiregion_apigw_failover" "orders" {
  name           = "orders"
  domain_name    = "api.example.com" # the public, active name
  hosted_zone_id = "Z0123456789ABCDEFGHIJ"

  primary {
    region          = "us-east-1"
    certificate_arn = "arn:aws:acm:us-east-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    openapi_body    = templatefile("${path.module}/api.json.tftpl", { region = "us-east-1", account_id = "123456789012" })
  }

  secondary {
    region          = "us-west-2"
    certificate_arn = "arn:aws:acm:us-west-2:123456789012:certificate/66666666-7777-8888-9999-000000000000"
    # Or adopt an API that already exists in this region:
    # existing_rest_api_id = "a1b2c3d4e5"
    # stage_name           = "prod"
    openapi_body = templatefile("${path.module}/api.json.tftpl", { region = "us-west-2", account_id = "123456789012" })
  }
}

# The active region, visible in plans after a runtime failover.
output "active_region" {
  value = multiregion_apigw_failover.orders.active_region
}
