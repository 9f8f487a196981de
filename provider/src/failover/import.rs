//! Import, in two forms:
//!
//! - `<region>/<rest_api_id>,<region>/<rest_api_id>` adopts existing APIs
//!   (the first is the primary): what exists is read back (the custom
//!   domains mapped to them, their certificates, the zone), and the next
//!   apply adds only what is missing;
//! - `<domain_name>@<hosted_zone_id>` recovers the state of a pair this
//!   provider created, from its records and its `multiregion:*` tags.
//!
//! Arguments that cannot be read back (a managed API's `openapi_body`, and
//! `name` for adopted APIs) stay null: the configuration supplies them.

use aws_sdk_apigateway::error::ProvideErrorMetadata;
use multiregion_core::naming::{self, normalize_dns_name};
use multiregion_core::{AliasTarget, Region};
use tf_provider::Diagnostics;
use tf_provider::value::Value;

use super::records::last_failover;
use super::region::{TAG_BLOCK, invoke_url};
use super::state::{FailoverState, PrivateState, RegionState, opt_string, string};
use crate::provider::Shared;

const ADOPT_FORM: &str = "<region>/<rest_api_id>,<region>/<rest_api_id> (the primary first), for example us-east-1/a1b2c3d4e5,us-west-2/f6g7h8i9j0";
const RECOVER_FORM: &str =
    "<domain_name>@<hosted_zone_id>, for example api.example.com@Z0123456789ABCDEFGHIJ";

/// A custom domain found in a region.
#[derive(Debug, Clone)]
struct FoundDomain {
    name: String,
    target: AliasTarget,
    certificate_arn: Option<String>,
    /// The stage it is mapped to at the empty base path, if mapped to the API.
    stage: Option<String>,
}

/// What a region holds.
#[derive(Debug, Clone)]
struct FoundRegion {
    region: Region,
    api_id: String,
    /// The API carries this pair's tag: the provider created it.
    managed: bool,
    name_tag: Option<String>,
    domains: Vec<FoundDomain>,
}

fn bad(
    diags: &mut Diagnostics,
    summary: &str,
    detail: String,
) -> Option<(FailoverState<'static>, PrivateState)> {
    diags.root_error(summary.to_owned(), detail);
    None
}

/// Parses the adopt form.
pub fn parse_adopt(id: &str) -> Result<[(Region, String); 2], String> {
    let parts: Vec<&str> = id.split(',').map(str::trim).collect();
    let [first, second] = parts[..] else {
        return Err(format!("`{id}` is not of the form {ADOPT_FORM}"));
    };
    let parse = |part: &str| -> Result<(Region, String), String> {
        let (region, api) = part.split_once('/').ok_or_else(|| {
            format!("`{part}` is not <region>/<rest_api_id>; the id must be {ADOPT_FORM}")
        })?;
        let region =
            Region::new(region).map_err(|e| format!("{e}; the id must be {ADOPT_FORM}"))?;
        if api.is_empty()
            || !api
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        {
            return Err(format!(
                "`{api}` is not a REST API id; the id must be {ADOPT_FORM}"
            ));
        }
        Ok((region, api.to_owned()))
    };
    let (first, second) = (parse(first)?, parse(second)?);
    if first.0 == second.0 {
        return Err(format!(
            "both APIs are in {}; the pair needs two regions ({ADOPT_FORM})",
            first.0
        ));
    }
    Ok([first, second])
}

async fn find_region(
    shared: &Shared,
    region: &Region,
    api_id: &str,
    pair_id: Option<&str>,
) -> Result<Option<FoundRegion>, String> {
    let apigw = shared.clients.region(region).await.apigateway;
    let api = match apigw.get_rest_api().rest_api_id(api_id).send().await {
        Ok(api) => api,
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NotFoundException") => {
            return Ok(None);
        }
        Err(e) => {
            return Err(format!(
                "reading REST API {api_id} in {region}: {}",
                super::sdk_error::sdk_message(&e)
            ));
        }
    };
    let tags = api.tags().cloned().unwrap_or_default();
    let managed =
        pair_id.is_some_and(|id| tags.get(naming::TAG_ID).map(String::as_str) == Some(id));
    let mut domains = Vec::new();
    let mut position = None;
    loop {
        let page = apigw
            .get_domain_names()
            .set_position(position)
            .limit(500)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "listing custom domains in {region}: {}",
                    super::sdk_error::sdk_message(&e)
                )
            })?;
        for domain in page.items() {
            let (Some(name), Some(dns), Some(zone)) = (
                domain.domain_name(),
                domain.regional_domain_name(),
                domain.regional_hosted_zone_id(),
            ) else {
                continue;
            };
            let mappings = match apigw
                .get_base_path_mappings()
                .domain_name(name)
                .send()
                .await
            {
                Ok(m) => m,
                Err(_) => continue,
            };
            let stage = mappings
                .items()
                .iter()
                .find(|m| {
                    matches!(m.base_path(), None | Some("") | Some("(none)"))
                        && m.rest_api_id() == Some(api_id)
                })
                .and_then(|m| m.stage().map(str::to_owned));
            let tagged = pair_id.is_some_and(|id| {
                domain
                    .tags()
                    .and_then(|t| t.get(naming::TAG_ID))
                    .map(String::as_str)
                    == Some(id)
            });
            if stage.is_some() || tagged {
                domains.push(FoundDomain {
                    name: normalize_dns_name(name),
                    target: AliasTarget {
                        dns_name: dns.to_owned(),
                        hosted_zone_id: zone.to_owned(),
                    },
                    certificate_arn: domain.regional_certificate_arn().map(str::to_owned),
                    stage,
                });
            }
        }
        match page.position() {
            Some(next) if !page.items().is_empty() => position = Some(next.to_owned()),
            _ => break,
        }
    }
    Ok(Some(FoundRegion {
        region: region.clone(),
        api_id: api_id.to_owned(),
        managed,
        name_tag: tags.get(naming::TAG_NAME).cloned(),
        domains,
    }))
}

/// The public zone holding `name` (the longest match): (id, name).
async fn public_zone(
    shared: &Shared,
    region: &Region,
    name: &str,
) -> Result<Option<(String, String)>, String> {
    let route53 = shared.clients.route53(region).await;
    let mut best: Option<(String, String)> = None;
    let mut marker = None;
    loop {
        let page = route53
            .list_hosted_zones()
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "listing hosted zones: {}",
                    super::sdk_error::sdk_message(&e)
                )
            })?;
        for zone in page.hosted_zones() {
            let zone_name = normalize_dns_name(zone.name());
            let private = zone.config().is_some_and(|c| c.private_zone());
            let inside = name == zone_name || name.ends_with(&format!(".{zone_name}"));
            if inside && !private && best.as_ref().is_none_or(|(_, b)| zone_name.len() > b.len()) {
                best = Some((
                    zone.id().trim_start_matches("/hostedzone/").to_owned(),
                    zone_name,
                ));
            }
        }
        match page.next_marker() {
            Some(next) if page.is_truncated() => marker = Some(next.to_owned()),
            _ => return Ok(best),
        }
    }
}

fn region_block<'a>(
    found: &FoundRegion,
    active_name: Option<&str>,
    standby_name: Option<&str>,
) -> RegionState<'a> {
    let domain = |name: Option<&str>| name.and_then(|n| found.domains.iter().find(|d| d.name == n));
    let active = domain(active_name);
    let standby = domain(standby_name);
    let stage = active.or(standby).and_then(|d| d.stage.clone());
    fn mapped(d: Option<&FoundDomain>) -> Option<&FoundDomain> {
        d.filter(|d| d.stage.is_some())
    }
    RegionState {
        region: string(found.region.to_string()),
        certificate_arn: opt_string(active.or(standby).and_then(|d| d.certificate_arn.clone())),
        stage_name: opt_string(stage.clone()),
        openapi_body: Value::Null,
        existing_rest_api_id: if found.managed {
            Value::Null
        } else {
            string(found.api_id.clone())
        },
        rest_api_id: string(found.api_id.clone()),
        invoke_url: opt_string(stage.map(|s| invoke_url(&found.region, &found.api_id, &s))),
        regional_domain_name: opt_string(mapped(active).map(|d| d.target.dns_name.clone())),
        regional_hosted_zone_id: opt_string(
            mapped(active).map(|d| d.target.hosted_zone_id.clone()),
        ),
        standby_regional_domain_name: opt_string(
            mapped(standby).map(|d| d.target.dns_name.clone()),
        ),
        standby_regional_hosted_zone_id: opt_string(
            mapped(standby).map(|d| d.target.hosted_zone_id.clone()),
        ),
        ..RegionState::default()
    }
}

/// The state of a pair found in two regions.
fn pair_state<'a>(
    found: [&FoundRegion; 2],
    domain: Option<String>,
    standby: Option<String>,
    zone: Option<(String, String)>,
    fallback_id: &str,
) -> FailoverState<'a> {
    let id = match (&domain, &zone) {
        (Some(d), Some((z, _))) => naming::resource_id(d, z),
        _ => fallback_id.to_owned(),
    };
    FailoverState {
        id: string(id),
        name: opt_string(found.iter().find_map(|f| f.name_tag.clone())),
        ledger_record_name: opt_string(domain.as_deref().map(naming::ledger_record_name)),
        primary: Value::Value(region_block(
            found[0],
            domain.as_deref(),
            standby.as_deref(),
        )),
        secondary: Value::Value(region_block(
            found[1],
            domain.as_deref(),
            standby.as_deref(),
        )),
        domain_name: opt_string(domain),
        standby_domain_name: opt_string(standby),
        hosted_zone_id: opt_string(zone.map(|(z, _)| z)),
        ..FailoverState::default()
    }
}

/// Adopts existing APIs.
async fn adopt(
    shared: &Shared,
    diags: &mut Diagnostics,
    id: &str,
) -> Option<(FailoverState<'static>, PrivateState)> {
    let pairs = match parse_adopt(id) {
        Ok(p) => p,
        Err(e) => return bad(diags, "Invalid import id", e),
    };
    let mut found = Vec::new();
    for (i, (region, api_id)) in pairs.iter().enumerate() {
        match find_region(shared, region, api_id, None).await {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {
                let other = &pairs[1 - i].0;
                let elsewhere =
                    matches!(find_region(shared, other, api_id, None).await, Ok(Some(_)));
                let hint = if elsewhere {
                    format!(" (it is in {other}: the regions are swapped)")
                } else {
                    String::new()
                };
                return bad(
                    diags,
                    "REST API not found",
                    format!(
                        "There is no REST API {api_id} in {region}{hint}. The id must be {ADOPT_FORM}."
                    ),
                );
            }
            Err(e) => return bad(diags, "Import failed", e),
        }
    }
    // The public name: a domain mapped to the APIs whose name is not the
    // standby form; the standby name: the other one.
    let mut names: Vec<String> = found
        .iter()
        .flat_map(|f| {
            f.domains
                .iter()
                .filter(|d| d.stage.is_some())
                .map(|d| d.name.clone())
        })
        .collect();
    names.sort();
    names.dedup();
    let domain = names
        .iter()
        .find(|n| !n.starts_with("standby"))
        .or(names.first())
        .cloned();
    let standby = names.iter().find(|n| Some(*n) != domain.as_ref()).cloned();
    let zone = match &domain {
        Some(d) => public_zone(shared, &found[0].region, d)
            .await
            .unwrap_or(None),
        None => None,
    };
    let standby = standby.or_else(|| {
        Some(naming::default_standby_domain(
            domain.as_deref()?,
            &zone.as_ref()?.1,
        ))
    });
    let mut state = pair_state([&found[0], &found[1]], domain, standby, zone, id);
    state.name = Value::Null;
    Some((state, Value::Null))
}

/// Recovers a pair this provider created, from its records and tags.
async fn recover(
    shared: &Shared,
    diags: &mut Diagnostics,
    domain: &str,
    zone_id: &str,
) -> Option<(FailoverState<'static>, PrivateState)> {
    let domain = normalize_dns_name(domain);
    let pair_id = naming::resource_id(&domain, zone_id);
    let east = Region::new("us-east-1").ok()?;
    let route53 = shared.clients.route53(&east).await;
    let zone_name = match route53.get_hosted_zone().id(zone_id).send().await {
        Ok(z) => normalize_dns_name(z.hosted_zone().map(|h| h.name()).unwrap_or_default()),
        Err(_) => {
            return bad(
                diags,
                "Hosted zone not found",
                format!("There is no hosted zone {zone_id}. The id must be {RECOVER_FORM}."),
            );
        }
    };
    // The regions, from the alias targets of the records and the ledger.
    let mut regions: Vec<Region> = Vec::new();
    let standby_default = naming::default_standby_domain(&domain, &zone_name);
    let mut ledger = None;
    for name in [
        domain.clone(),
        standby_default.clone(),
        naming::ledger_record_name(&domain),
    ] {
        let listing = route53
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .start_record_name(&name)
            .max_items(5)
            .send()
            .await;
        let Ok(listing) = listing else { continue };
        for set in listing
            .resource_record_sets()
            .iter()
            .filter(|s| normalize_dns_name(s.name()) == name)
        {
            if let Some(alias) = set.alias_target()
                && let Some(region) = region_of_target(alias.dns_name())
                && !regions.contains(&region)
            {
                regions.push(region);
            }
            for record in set.resource_records() {
                if let Ok(l) = multiregion_core::Ledger::from_txt_value(record.value()) {
                    ledger = Some(l);
                }
            }
        }
    }
    if regions.len() != 2 {
        return bad(
            diags,
            "The pair's records were not found",
            format!(
                "{domain} and {standby_default} in {zone_id} do not point at two regions, so the pair cannot be recovered from its records. Import the APIs instead: {ADOPT_FORM}."
            ),
        );
    }
    let mut found = Vec::new();
    for region in &regions {
        let apigw = shared.clients.region(region).await.apigateway;
        let api_id = match tagged_api(&apigw, &pair_id).await {
            Some(id) => Some(id),
            None => mapped_api(&apigw, &domain).await,
        };
        let Some(api_id) = api_id else {
            return bad(
                diags,
                "API not found",
                format!(
                    "No API in {region} is tagged multiregion:id={pair_id} or mapped from {domain}."
                ),
            );
        };
        match find_region(shared, region, &api_id, Some(&pair_id)).await {
            Ok(Some(f)) => found.push(f),
            Ok(None) => {
                return bad(
                    diags,
                    "API not found",
                    format!("REST API {api_id} vanished from {region}."),
                );
            }
            Err(e) => return bad(diags, "Import failed", e),
        }
    }
    // Primary first: by the block tag, else the region the create ledger made active.
    let primary_first = block_tag_is_primary(shared, &found[0]).await;
    if !primary_first {
        found.swap(0, 1);
    }
    let standby = found
        .iter()
        .flat_map(|f| f.domains.iter().map(|d| d.name.clone()))
        .find(|n| *n != domain)
        .unwrap_or(standby_default);
    let mut state = pair_state(
        [&found[0], &found[1]],
        Some(domain),
        Some(standby),
        Some((zone_id.to_owned(), zone_name)),
        &pair_id,
    );
    state.last_failover = ledger.as_ref().map_or(Value::Null, last_failover);
    Some((state, Value::Null))
}

fn region_of_target(dns_name: &str) -> Option<Region> {
    let name = normalize_dns_name(dns_name);
    let rest = name.split(".execute-api.").nth(1)?;
    Region::new(rest.split('.').next()?).ok()
}

async fn tagged_api(apigw: &aws_sdk_apigateway::Client, pair_id: &str) -> Option<String> {
    let apis = apigw.get_rest_apis().limit(500).send().await.ok()?;
    apis.items()
        .iter()
        .find(|a| {
            a.tags()
                .and_then(|t| t.get(naming::TAG_ID))
                .map(String::as_str)
                == Some(pair_id)
        })
        .and_then(|a| a.id().map(str::to_owned))
}

async fn mapped_api(apigw: &aws_sdk_apigateway::Client, domain: &str) -> Option<String> {
    let mappings = apigw
        .get_base_path_mappings()
        .domain_name(domain)
        .send()
        .await
        .ok()?;
    mappings
        .items()
        .iter()
        .find(|m| matches!(m.base_path(), None | Some("") | Some("(none)")))
        .and_then(|m| m.rest_api_id().map(str::to_owned))
}

/// Whether the region's resources carry `multiregion:block = primary`
/// (absent: keep the order found).
async fn block_tag_is_primary(shared: &Shared, found: &FoundRegion) -> bool {
    let apigw = shared.clients.region(&found.region).await.apigateway;
    for domain in &found.domains {
        if let Ok(d) = apigw
            .get_domain_name()
            .domain_name(&domain.name)
            .send()
            .await
            && let Some(block) = d.tags().and_then(|t| t.get(TAG_BLOCK))
        {
            return block == "primary";
        }
    }
    true
}

/// Imports by either form.
pub async fn import(
    shared: &Shared,
    diags: &mut Diagnostics,
    id: &str,
) -> Option<(FailoverState<'static>, PrivateState)> {
    match id.split_once('@') {
        Some((domain, zone)) if !domain.is_empty() && !zone.is_empty() => {
            recover(
                shared,
                diags,
                domain,
                zone.trim_start_matches("/hostedzone/"),
            )
            .await
        }
        Some(_) => bad(
            diags,
            "Invalid import id",
            format!("`{id}` is not of the form {RECOVER_FORM}."),
        ),
        None => adopt(shared, diags, id).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_adopt_form_is_parsed_and_bad_ids_name_the_form() {
        let [a, b] = parse_adopt("us-east-1/abc123,us-west-2/def456").unwrap();
        assert_eq!(
            (a.0.as_str(), a.1.as_str(), b.0.as_str()),
            ("us-east-1", "abc123", "us-west-2")
        );
        for bad in [
            "abc",
            "us-east-1/abc",
            "us-east-1/abc,us-east-1/def",
            "us-east1/abc,us-west-2/def",
            "us-east-1/ABC,us-west-2/def",
            "a,b,c",
        ] {
            let error = parse_adopt(bad).unwrap_err();
            assert!(
                error.contains("us-east-1/a1b2c3d4e5,us-west-2/f6g7h8i9j0")
                    || error.contains("two regions"),
                "{bad}: {error}"
            );
        }
    }
}
