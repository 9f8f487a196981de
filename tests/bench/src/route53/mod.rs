//! The Route 53 fidelity layer.
//!
//! moto checks a change batch's DELETEs against its history of changes, not
//! against the current records; it lets a CREATE add a duplicate of an
//! existing name and type; and it refuses to re-create a record it once had
//! (a failback). AWS checks the whole batch against the current records, all
//! or nothing. This layer does what AWS does, under one lock per zone:
//! - every DELETE must match a current record exactly: TTL and values, or the
//!   alias target (DNS name case-insensitive, trailing dot ignored, zone id,
//!   EvaluateTargetHealth);
//! - every CREATE must find no record of that name and type;
//! - a CNAME may not share its name with another record;
//! - failover records: a `Failover` record needs a `SetIdentifier`, a
//!   `SetIdentifier` needs a routing policy, a name and type holds either
//!   one simple record set or record sets of one routing policy, at most
//!   one PRIMARY and one SECONDARY, and a `HealthCheckId` must name a health
//!   check that exists (the DELETE match includes it, as the rest);
//! - every name must be inside the zone;
//! - any failure refuses the whole batch with `InvalidChangeBatch`, listing
//!   every failed change as AWS does.
//!
//! Each accepted batch gets its own change id and is `PENDING` until a set
//! propagation time has passed on the bench's clock ([`Changes`]).
//!
//! A valid batch is then forwarded to moto in a form moto applies faithfully:
//! CREATEs become UPSERTs (the check above already proved there is nothing to
//! overwrite), and names are lower-cased without their trailing dot (moto's
//! own DELETE check compares names exactly, without it). moto's listings are
//! rewritten too: alias records lose the `<TTL>0</TTL>` AWS never shows.
//!
//! moto deletes a record set with a `SetIdentifier` by that identifier
//! alone, so a DELETE of `api.example.com`'s PRIMARY would also delete every
//! other record in the zone with the same identifier. The forwarded batch
//! ends with UPSERTs that put those back ([`restore_after_moto_deletes`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};

use crate::clock::Clock;
use crate::moto_client::MotoClient;
pub use crate::propagation::Changes;
pub use failover::restore_after_moto_deletes;
use failover::{conflicts, routing_error};

mod failover;
use crate::xml::{self, Element};

/// An alias target, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alias {
    /// DNS name, lower case, no trailing dot.
    pub dns_name: String,
    /// Hosted zone id of the target.
    pub hosted_zone_id: String,
    /// EvaluateTargetHealth.
    pub evaluate_target_health: bool,
}

/// A resource record set, normalized for comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSet {
    /// Name, lower case, no trailing dot.
    pub name: String,
    /// Record type (`A`, `TXT`, ...).
    pub rtype: String,
    /// SetIdentifier of weighted, latency or failover records.
    pub set_identifier: Option<String>,
    /// `PRIMARY` or `SECONDARY` of a failover record.
    pub failover: Option<String>,
    /// The health check of the record, if any.
    pub health_check_id: Option<String>,
    /// TTL of a plain record.
    pub ttl: Option<i64>,
    /// Values of a plain record, sorted.
    pub values: Vec<String>,
    /// Alias target of an alias record.
    pub alias: Option<Alias>,
}

impl RecordSet {
    pub(crate) fn key(&self) -> (&str, &str, Option<&str>) {
        (&self.name, &self.rtype, self.set_identifier.as_deref())
    }

    pub(crate) fn describe(&self) -> String {
        match &self.set_identifier {
            Some(id) => format!(
                "[name='{}.', type='{}', set-identifier='{id}']",
                self.name, self.rtype
            ),
            None => format!("[name='{}.', type='{}']", self.name, self.rtype),
        }
    }
}

/// One change of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// CREATE, DELETE or UPSERT.
    pub action: String,
    /// The record set.
    pub set: RecordSet,
}

/// Lower-cases a DNS name and drops its trailing dot.
pub fn normalize(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// A `ResourceRecordSet` element of a listing or a change, normalized.
pub(crate) fn record_set(element: &Element) -> Result<RecordSet> {
    let name = element
        .child_text("Name")
        .context("a record set without Name")?;
    let rtype = element
        .child_text("Type")
        .context("a record set without Type")?;
    let mut values: Vec<String> = element
        .child("ResourceRecords")
        .map(|records| {
            records
                .children_named("ResourceRecord")
                .filter_map(|r| r.child_text("Value").map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    values.sort();
    let alias = element.child("AliasTarget").map(|alias| Alias {
        dns_name: normalize(alias.child_text("DNSName").unwrap_or_default()),
        hosted_zone_id: alias
            .child_text("HostedZoneId")
            .unwrap_or_default()
            .to_owned(),
        evaluate_target_health: alias.child_text("EvaluateTargetHealth") == Some("true"),
    });
    // Alias records have no TTL (moto lists them with `<TTL>0</TTL>`).
    let ttl = match alias {
        Some(_) => None,
        None => element
            .child_text("TTL")
            .and_then(|t| t.trim().parse().ok()),
    };
    Ok(RecordSet {
        name: normalize(name),
        rtype: rtype.to_owned(),
        set_identifier: element.child_text("SetIdentifier").map(str::to_owned),
        failover: element.child_text("Failover").map(str::to_owned),
        health_check_id: element.child_text("HealthCheckId").map(str::to_owned),
        ttl,
        values,
        alias,
    })
}

/// Parses a `ChangeResourceRecordSetsRequest` body.
pub fn parse_changes(body: &str) -> Result<Vec<Change>> {
    let root = xml::parse(body)?;
    let changes = root
        .path(&["ChangeBatch", "Changes"])
        .context("no ChangeBatch/Changes in the request")?;
    changes
        .children_named("Change")
        .map(|change| {
            Ok(Change {
                action: change
                    .child_text("Action")
                    .context("a change without Action")?
                    .to_owned(),
                set: record_set(
                    change
                        .child("ResourceRecordSet")
                        .context("a change without ResourceRecordSet")?,
                )?,
            })
        })
        .collect()
}

/// Checks a batch against the current records as AWS does. Pure: the
/// messages are AWS's.
pub fn validate(
    current: &[RecordSet],
    zone_name: &str,
    changes: &[Change],
    health_checks: &[String],
) -> Result<(), Vec<String>> {
    let zone = normalize(zone_name);
    let mut state: Vec<RecordSet> = current.to_vec();
    let mut errors = Vec::new();
    if changes.is_empty() {
        errors.push("ChangeBatch must contain at least one change".to_owned());
    }
    for change in changes {
        let set = &change.set;
        if set.name != zone && !set.name.ends_with(&format!(".{zone}")) {
            errors.push(format!(
                "RRSet with DNS name {}. is not permitted in zone {zone}.",
                set.name
            ));
            continue;
        }
        if let Some(message) = routing_error(change, health_checks) {
            errors.push(message);
            continue;
        }
        let existing = state.iter().position(|s| s.key() == set.key());
        match (change.action.as_str(), existing) {
            ("CREATE", Some(_)) => errors.push(format!(
                "Tried to create resource record set {} but it already exists",
                set.describe()
            )),
            ("CREATE", None) => state.push(set.clone()),
            ("DELETE", None) => errors.push(format!(
                "Tried to delete resource record set {} but it was not found",
                set.describe()
            )),
            ("DELETE", Some(i)) if state[i] != *set => errors.push(format!(
                "Tried to delete resource record set {} but the values provided do not match the current values",
                set.describe()
            )),
            ("DELETE", Some(i)) => {
                state.remove(i);
            }
            ("UPSERT", Some(i)) => state[i] = set.clone(),
            ("UPSERT", None) => state.push(set.clone()),
            (other, _) => errors.push(format!("Invalid action {other}")),
        }
    }
    for cname in state.iter().filter(|s| s.rtype == "CNAME") {
        if state
            .iter()
            .any(|s| s.name == cname.name && s.rtype != "CNAME")
        {
            errors.push(format!(
                "RRSet of type CNAME with DNS name {}. is not permitted as it conflicts with other records with the same DNS name in zone {zone}.",
                cname.name
            ));
        }
    }
    errors.extend(conflicts(&state, &zone));
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Rewrites a valid batch for moto: CREATE -> UPSERT, names in lower case
/// without the trailing dot (moto matches DELETEs by exact name).
pub fn rewrite_for_moto(body: &str) -> String {
    let body = body.replace("<Action>CREATE</Action>", "<Action>UPSERT</Action>");
    let mut out = String::with_capacity(body.len());
    let mut rest = body.as_str();
    while let Some(start) = rest.find("<Name>") {
        let (head, tail) = rest.split_at(start + "<Name>".len());
        out.push_str(head);
        match tail.find("</Name>") {
            Some(end) => {
                out.push_str(&tail[..end].trim_end_matches('.').to_ascii_lowercase());
                rest = &tail[end..];
            }
            None => {
                rest = tail;
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Rewrites moto's ListResourceRecordSets answer as AWS gives it: alias
/// records carry no TTL.
pub fn strip_alias_ttls(body: &str) -> String {
    body.replace("<TTL>0</TTL><AliasTarget>", "<AliasTarget>")
}

/// The error body AWS returns for a refused batch.
pub fn invalid_change_batch(messages: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><Error><Type>Sender</Type><Code>InvalidChangeBatch</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml::escape(&format!("[{}]", messages.join(", "))),
        crate::request_id()
    )
}

/// Per-zone locks and the calls to moto the layer needs.
#[derive(Debug, Clone)]
pub struct Route53Fidelity {
    moto: MotoClient,
    locks: Arc<Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    /// Change ids and their propagation.
    pub changes: Arc<Changes>,
}

/// A batch that passed the check, ready for moto.
#[derive(Debug)]
pub struct Accepted {
    /// The body to forward (CREATEs as UPSERTs, names normalized).
    pub body: String,
    /// The zone's records before the batch: what name servers keep serving
    /// until the change is INSYNC.
    pub before: Vec<RecordSet>,
    /// The zone stays locked until this is dropped.
    pub guard: tokio::sync::OwnedMutexGuard<()>,
}

/// What to do with a change batch.
#[derive(Debug)]
pub enum Verdict {
    /// Forward the batch to moto.
    Forward(Accepted),
    /// Refuse with these messages.
    Refuse(Vec<String>),
}

impl Route53Fidelity {
    /// The layer over the moto at `moto`, its propagation on `clock`.
    pub fn new(moto: MotoClient, clock: Clock) -> Self {
        Route53Fidelity {
            moto,
            locks: Arc::default(),
            changes: Arc::new(Changes::new(clock)),
        }
    }

    fn lock_of(&self, zone: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
        locks.entry(zone.to_owned()).or_default().clone()
    }

    /// The current record sets of a zone, from moto.
    pub async fn current_records(&self, zone: &str) -> Result<Vec<RecordSet>> {
        let mut sets = Vec::new();
        let mut query = String::from("maxitems=300");
        loop {
            let page = self
                .moto
                .route53_get(&format!("/2013-04-01/hostedzone/{zone}/rrset?{query}"))
                .await?;
            if let Some(list) = page.child("ResourceRecordSets") {
                for set in list.children_named("ResourceRecordSet") {
                    sets.push(record_set(set)?);
                }
            }
            if page.child_text("IsTruncated") != Some("true") {
                return Ok(sets);
            }
            let name = page.child_text("NextRecordName").unwrap_or_default();
            let rtype = page.child_text("NextRecordType").unwrap_or_default();
            query = format!("maxitems=300&name={name}&type={rtype}");
        }
    }

    /// Whether a record set in any zone names health check `id`.
    pub async fn health_check_in_use(&self, id: &str) -> bool {
        let Ok(zones) = self.moto.route53_get("/2013-04-01/hostedzone").await else {
            return false;
        };
        let ids: Vec<String> = zones
            .child("HostedZones")
            .into_iter()
            .flat_map(|z| z.children_named("HostedZone"))
            .filter_map(|z| z.child_text("Id"))
            .map(|i| i.trim_start_matches("/hostedzone/").to_owned())
            .collect();
        for zone in ids {
            if let Ok(sets) = self.current_records(&zone).await
                && sets
                    .iter()
                    .any(|s| s.health_check_id.as_deref() == Some(id))
            {
                return true;
            }
        }
        false
    }

    /// The ids of the account's health checks, from moto.
    async fn health_check_ids(&self) -> Result<Vec<String>> {
        let mut ids = Vec::new();
        let mut query = String::from("maxitems=1000");
        loop {
            let page = self
                .moto
                .route53_get(&format!("/2013-04-01/healthcheck?{query}"))
                .await?;
            if let Some(list) = page.child("HealthChecks") {
                ids.extend(
                    list.children_named("HealthCheck")
                        .filter_map(|check| check.child_text("Id").map(str::to_owned)),
                );
            }
            match page.child_text("NextMarker") {
                Some(marker) if page.child_text("IsTruncated") == Some("true") => {
                    query = format!("maxitems=1000&marker={marker}");
                }
                _ => return Ok(ids),
            }
        }
    }

    async fn zone_name(&self, zone: &str) -> Result<String> {
        let zone_doc = self
            .moto
            .route53_get(&format!("/2013-04-01/hostedzone/{zone}"))
            .await?;
        match zone_doc.path(&["HostedZone", "Name"]) {
            Some(name) => Ok(name.text.clone()),
            None => bail!("moto returned no name for zone {zone}"),
        }
    }

    /// Checks a batch for `zone`; on success the zone stays locked until the
    /// returned guard is dropped, so the forward to moto is part of the check.
    pub async fn check(&self, zone: &str, body: &str) -> Result<Verdict> {
        let guard = self.lock_of(zone).lock_owned().await;
        let changes = parse_changes(body)?;
        let zone_name = self.zone_name(zone).await?;
        let current = self.current_records(zone).await?;
        // Only a batch that names a health check needs the list of them.
        let health_checks = match changes.iter().any(|c| c.set.health_check_id.is_some()) {
            true => self.health_check_ids().await?,
            false => Vec::new(),
        };
        Ok(
            match validate(&current, &zone_name, &changes, &health_checks) {
                Ok(()) => Verdict::Forward(Accepted {
                    body: rewrite_for_moto(&restore_after_moto_deletes(body, &current, &changes)),
                    before: current,
                    guard,
                }),
                Err(messages) => Verdict::Refuse(messages),
            },
        )
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(super) fn alias(name: &str, target: &str) -> RecordSet {
        RecordSet {
            name: name.into(),
            rtype: "A".into(),
            set_identifier: None,
            failover: None,
            health_check_id: None,
            ttl: None,
            values: vec![],
            alias: Some(Alias {
                dns_name: target.into(),
                hosted_zone_id: "ZR".into(),
                evaluate_target_health: false,
            }),
        }
    }

    pub(super) fn change(action: &str, set: RecordSet) -> Change {
        Change {
            action: action.into(),
            set,
        }
    }

    #[test]
    fn checks_against_current_records_all_or_nothing() {
        let current = vec![alias("api.example.com", "east")];
        // A stale DELETE (wrong target) is refused.
        let stale = validate(
            &current,
            "example.com.",
            &[change("DELETE", alias("api.example.com", "west"))],
            &[],
        );
        assert_eq!(
            stale,
            Err(vec!["Tried to delete resource record set [name='api.example.com.', type='A'] but the values provided do not match the current values".to_owned()])
        );
        // A duplicate CREATE is refused.
        assert!(
            validate(
                &current,
                "example.com",
                &[change("CREATE", alias("api.example.com", "east"))],
                &[]
            )
            .is_err()
        );
        // DELETE then CREATE of the same name is one valid swap.
        assert_eq!(
            validate(
                &current,
                "example.com",
                &[
                    change("DELETE", alias("api.example.com", "east")),
                    change("CREATE", alias("api.example.com", "west")),
                ],
                &[]
            ),
            Ok(())
        );
        // One bad change fails the batch, and every failure is listed.
        let both = validate(
            &current,
            "example.com",
            &[
                change("DELETE", alias("gone.example.com", "x")),
                change("CREATE", alias("api.example.com", "x")),
                change("CREATE", alias("api.other.org", "x")),
            ],
            &[],
        )
        .unwrap_err();
        assert_eq!(both.len(), 3, "{both:?}");
    }

    #[test]
    fn rewrites_creates_and_names_for_moto() {
        let body = "<Change><Action>CREATE</Action><ResourceRecordSet><Name>api.example.com.</Name></ResourceRecordSet></Change><Change><Action>DELETE</Action><ResourceRecordSet><Name>b.example.com</Name>";
        assert_eq!(
            strip_alias_ttls("<Type>A</Type><TTL>0</TTL><AliasTarget><DNSName>x</DNSName>"),
            "<Type>A</Type><AliasTarget><DNSName>x</DNSName>"
        );
        assert_eq!(
            rewrite_for_moto(body),
            "<Change><Action>UPSERT</Action><ResourceRecordSet><Name>api.example.com</Name></ResourceRecordSet></Change><Change><Action>DELETE</Action><ResourceRecordSet><Name>b.example.com</Name>"
        );
    }
}
