//! What is active: the alias records of the two names and the ledger, read from
//! Route 53 and classified.
//!
//! The active name's alias record says which region is active; the standby
//! name's says which region is standby. The ledger is history: when it names
//! another region than the records, the records win and the disagreement is
//! reported as a split brain.

use aws_sdk_route53::Client;
use aws_sdk_route53::error::ProvideErrorMetadata;
use aws_sdk_route53::types::{ResourceRecordSet, RrType};

use crate::error::{Route53Error, classify};
use crate::ledger::{Ledger, LedgerError};
use crate::naming::{ledger_record_name, normalize_dns_name};
use crate::region::Region;

/// An alias target: the regional domain name API Gateway gave a custom domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasTarget {
    /// The regional domain name, e.g. `d-abc123.execute-api.us-east-1.amazonaws.com`.
    pub dns_name: String,
    /// The hosted zone of that regional domain name.
    pub hosted_zone_id: String,
}

impl AliasTarget {
    /// Whether a record's alias target points here: the DNS name compared
    /// case-insensitively without its trailing dot, and the same zone.
    pub fn matches(&self, target: &aws_sdk_route53::types::AliasTarget) -> bool {
        normalize_dns_name(target.dns_name()) == normalize_dns_name(&self.dns_name)
            && target.hosted_zone_id() == self.hosted_zone_id
    }
}

/// Where one region serves the two names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionEndpoints {
    /// The region.
    pub region: Region,
    /// The regional domain of this region's custom domain for the active name.
    pub active_target: AliasTarget,
    /// The regional domain of this region's custom domain for the standby name.
    pub standby_target: AliasTarget,
}

/// The two regions, their endpoints, and the names and zone they share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// The public hosted zone holding both names and the ledger.
    pub hosted_zone_id: String,
    /// The public, active name (`api.example.com`).
    pub active_name: String,
    /// The standby name (`standby-api.example.com`).
    pub standby_name: String,
    /// The primary and the secondary region.
    pub regions: [RegionEndpoints; 2],
}

impl Pair {
    /// The endpoints of `region`, if it is one of the pair.
    pub fn endpoints(&self, region: &Region) -> Option<&RegionEndpoints> {
        self.regions.iter().find(|e| &e.region == region)
    }

    /// The other region of the pair, if `region` is one of them.
    pub fn other(&self, region: &Region) -> Option<&RegionEndpoints> {
        match (&self.regions[0].region, &self.regions[1].region) {
            (a, _) if a == region => Some(&self.regions[1]),
            (_, b) if b == region => Some(&self.regions[0]),
            _ => None,
        }
    }

    /// The name of the ledger record.
    pub fn ledger_name(&self) -> String {
        ledger_record_name(&self.active_name)
    }

    /// The hosted zone id without a `/hostedzone/` prefix.
    pub fn zone_id(&self) -> &str {
        self.hosted_zone_id.trim_start_matches("/hostedzone/")
    }
}

/// The record sets read from Route 53 at the two names and the ledger name.
/// The swap deletes exactly these, so they are kept as Route 53 returned them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsSnapshot {
    /// A, AAAA and CNAME record sets at the active name.
    pub active: Vec<ResourceRecordSet>,
    /// A, AAAA and CNAME record sets at the standby name.
    pub standby: Vec<ResourceRecordSet>,
    /// TXT record sets at the ledger name.
    pub ledger: Vec<ResourceRecordSet>,
}

/// Whether the two names' records are as a swap leaves them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DnsStatus {
    /// The active name points at one region and the standby name at the other.
    Ok,
    /// The active name has no record.
    ActiveMissing,
    /// The standby name has no record.
    StandbyMissing,
    /// A name has a record that does not point at the pair's endpoints for it
    /// (another target, a CNAME, an AAAA, or more than one record).
    ForeignTarget,
    /// Both names point at the same region.
    BothOnOneRegion,
}

impl DnsStatus {
    /// The status as Terraform shows it in `dns_status`.
    pub fn as_str(self) -> &'static str {
        match self {
            DnsStatus::Ok => "ok",
            DnsStatus::ActiveMissing => "active_missing",
            DnsStatus::StandbyMissing => "standby_missing",
            DnsStatus::ForeignTarget => "foreign_target",
            DnsStatus::BothOnOneRegion => "both_on_one_region",
        }
    }
}

impl std::fmt::Display for DnsStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the ledger says, compared with the records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerState {
    /// There is no ledger record.
    Missing,
    /// The ledger cannot be decoded, or there is more than one TXT value.
    Undecodable(LedgerError),
    /// The ledger names the region the records make active (or the records
    /// name no region).
    Agrees(Ledger),
    /// Split brain: the ledger names another region than the records.
    Disagrees(Ledger),
}

/// What is active, as far as Route 53 says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveView {
    /// The region the active name points at, from the records.
    pub active_region: Option<Region>,
    /// The region the standby name points at, from the records.
    pub standby_region: Option<Region>,
    /// Whether the records are as a swap leaves them.
    pub status: DnsStatus,
    /// The ledger, compared with the records.
    pub ledger: LedgerState,
}

impl ActiveView {
    /// Whether the ledger names another region than the records.
    pub fn split_brain(&self) -> bool {
        matches!(self.ledger, LedgerState::Disagrees(_))
    }

    /// The last swap the ledger records, whether or not it agrees.
    pub fn last_swap(&self) -> Option<&Ledger> {
        match &self.ledger {
            LedgerState::Agrees(l) | LedgerState::Disagrees(l) => Some(l),
            LedgerState::Missing | LedgerState::Undecodable(_) => None,
        }
    }
}

/// Which region's endpoint a single record at a name points at, if the
/// record is a lone A alias to one of the pair's endpoints for that name.
fn region_of(
    records: &[ResourceRecordSet],
    pair: &Pair,
    target_of: impl Fn(&RegionEndpoints) -> &AliasTarget,
) -> Result<Option<Region>, ()> {
    match records {
        [] => Ok(None),
        [record] if record.r#type() == &RrType::A && record.set_identifier().is_none() => {
            let alias = record.alias_target().ok_or(())?;
            pair.regions
                .iter()
                .find(|e| target_of(e).matches(alias))
                .map(|e| Some(e.region.clone()))
                .ok_or(())
        }
        _ => Err(()),
    }
}

/// Classifies a snapshot: a pure function, so every case is unit-tested.
pub fn classify_snapshot(pair: &Pair, snapshot: &DnsSnapshot) -> ActiveView {
    let active = region_of(&snapshot.active, pair, |e| &e.active_target);
    let standby = region_of(&snapshot.standby, pair, |e| &e.standby_target);
    let status = match (&active, &standby) {
        (Ok(None), _) => DnsStatus::ActiveMissing,
        (Err(()), _) => DnsStatus::ForeignTarget,
        (_, Ok(None)) => DnsStatus::StandbyMissing,
        (_, Err(())) => DnsStatus::ForeignTarget,
        (Ok(Some(a)), Ok(Some(s))) if a == s => DnsStatus::BothOnOneRegion,
        (Ok(Some(_)), Ok(Some(_))) => DnsStatus::Ok,
    };
    let active_region = active.ok().flatten();
    let standby_region = standby.ok().flatten();
    let ledger = match snapshot.ledger.as_slice() {
        [] => LedgerState::Missing,
        [record] => match record.resource_records() {
            [value] => match Ledger::from_txt_value(value.value()) {
                Ok(ledger) => match &active_region {
                    Some(region) if region != &ledger.active_region => {
                        LedgerState::Disagrees(ledger)
                    }
                    _ => LedgerState::Agrees(ledger),
                },
                Err(e) => LedgerState::Undecodable(e),
            },
            [] => LedgerState::Undecodable(LedgerError::Empty),
            _ => LedgerState::Undecodable(LedgerError::BadQuoting(
                "the ledger record holds more than one value".into(),
            )),
        },
        _ => LedgerState::Undecodable(LedgerError::BadQuoting(
            "there is more than one ledger record".into(),
        )),
    };
    ActiveView {
        active_region,
        standby_region,
        status,
        ledger,
    }
}

/// Reading the records failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The hosted zone does not exist (a typed not-found, for finders).
    #[error("hosted zone {0} does not exist")]
    NoSuchHostedZone(String),
    /// Route 53 refused the read.
    #[error(transparent)]
    Route53(#[from] Route53Error),
}

/// Where a name sorts in a ListResourceRecordSets listing: "in ASCII order",
/// "first by DNS name with the labels reversed, for example: com.example.www.",
/// the trailing dot included (Route 53 API Reference, ListResourceRecordSets,
/// <https://docs.aws.amazon.com/Route53/latest/APIReference/API_ListResourceRecordSets.html>).
/// So `api-x.example.com` sorts before `api.example.com`, and every name
/// under `api.example.com` right after it. (moto compares without the
/// trailing dot and lists `api-x` between them; a listing bounded by this key
/// reads correctly in either order.)
fn listing_key(name: &str) -> String {
    let name = normalize_dns_name(name);
    let mut key = name.rsplit('.').collect::<Vec<_>>().join(".");
    key.push('.');
    key
}

/// Lists the zone from `start` in Route 53's order and hands each record set
/// to `keep` until the listing passes the name `last`: one call when
/// everything from `start` to `last` fits in a page.
async fn list_through(
    client: &Client,
    zone_id: &str,
    start: &str,
    last: &str,
    mut keep: impl FnMut(&ResourceRecordSet),
) -> Result<(), ReadError> {
    let last = listing_key(last);
    let mut from: Option<(String, Option<RrType>, Option<String>)> = None;
    loop {
        let mut request = client
            .list_resource_record_sets()
            .hosted_zone_id(zone_id)
            .max_items(100);
        request = match &from {
            None => request.start_record_name(format!("{}.", normalize_dns_name(start))),
            Some((name, rr_type, identifier)) => request
                .start_record_name(name)
                .set_start_record_type(rr_type.clone())
                .set_start_record_identifier(identifier.clone()),
        };
        let page = request.send().await.map_err(|e| {
            if e.as_service_error().map(|s| s.code()) == Some(Some("NoSuchHostedZone")) {
                ReadError::NoSuchHostedZone(zone_id.to_owned())
            } else {
                ReadError::Route53(classify("ListResourceRecordSets", e))
            }
        })?;
        for set in page.resource_record_sets() {
            if listing_key(set.name()) > last {
                return Ok(());
            }
            keep(set);
        }
        if !page.is_truncated() {
            return Ok(());
        }
        from = Some((
            page.next_record_name().unwrap_or_default().to_owned(),
            page.next_record_type().cloned(),
            page.next_record_identifier().map(str::to_owned),
        ));
    }
}

const ADDRESS_TYPES: [RrType; 3] = [RrType::A, RrType::Aaaa, RrType::Cname];

/// The record sets of the given types at exactly `name`.
async fn list_at(
    client: &Client,
    zone_id: &str,
    name: &str,
    types: &[RrType],
) -> Result<Vec<ResourceRecordSet>, ReadError> {
    let wanted = normalize_dns_name(name);
    let mut found = Vec::new();
    list_through(client, zone_id, name, name, |set| {
        if normalize_dns_name(set.name()) == wanted && types.contains(set.r#type()) {
            found.push(set.clone());
        }
    })
    .await?;
    Ok(found)
}

/// The active name's address records and the ledger's TXT record, in one
/// listing: the ledger's name is under the active name, so it sorts right
/// after it, and only the names under the active name lie between them.
async fn list_active_and_ledger(
    client: &Client,
    pair: &Pair,
) -> Result<(Vec<ResourceRecordSet>, Vec<ResourceRecordSet>), ReadError> {
    let active_name = normalize_dns_name(&pair.active_name);
    let ledger_name = pair.ledger_name();
    let (mut active, mut ledger) = (Vec::new(), Vec::new());
    list_through(client, pair.zone_id(), &active_name, &ledger_name, |set| {
        let name = normalize_dns_name(set.name());
        if name == active_name && ADDRESS_TYPES.contains(set.r#type()) {
            active.push(set.clone());
        } else if name == ledger_name && set.r#type() == &RrType::Txt {
            ledger.push(set.clone());
        }
    })
    .await?;
    Ok((active, ledger))
}

/// Reads the two names and the ledger: two listings, at once. Route 53
/// allows five requests per second per account, shared by every pair in it,
/// so each read counts.
pub async fn read_snapshot(client: &Client, pair: &Pair) -> Result<DnsSnapshot, ReadError> {
    let (active, standby) = tokio::join!(
        list_active_and_ledger(client, pair),
        list_at(client, pair.zone_id(), &pair.standby_name, &ADDRESS_TYPES),
    );
    let (active, ledger) = active?;
    Ok(DnsSnapshot {
        active,
        standby: standby?,
        ledger,
    })
}

/// Reads Route 53 and says what is active. The one implementation of "what
/// is active", used by the Lambdas and by the provider.
pub async fn read_active(
    client: &Client,
    pair: &Pair,
) -> Result<(DnsSnapshot, ActiveView), ReadError> {
    let snapshot = read_snapshot(client, pair).await?;
    let view = classify_snapshot(pair, &snapshot);
    Ok((snapshot, view))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aws_sdk_route53::types::ResourceRecord;

    pub(crate) fn pair() -> Pair {
        let endpoints = |region: &str, a: &str, s: &str| RegionEndpoints {
            region: Region::new(region).unwrap(),
            active_target: AliasTarget {
                dns_name: format!("d-{a}.execute-api.{region}.amazonaws.com"),
                hosted_zone_id: "ZREGIONAL".into(),
            },
            standby_target: AliasTarget {
                dns_name: format!("d-{s}.execute-api.{region}.amazonaws.com"),
                hosted_zone_id: "ZREGIONAL".into(),
            },
        };
        Pair {
            hosted_zone_id: "Z1".into(),
            active_name: "api.example.com".into(),
            standby_name: "standby-api.example.com".into(),
            regions: [
                endpoints("us-east-1", "east-a", "east-s"),
                endpoints("us-west-2", "west-a", "west-s"),
            ],
        }
    }

    pub(crate) fn alias(name: &str, target: &AliasTarget) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name(format!("{name}."))
            .r#type(RrType::A)
            .alias_target(
                aws_sdk_route53::types::AliasTarget::builder()
                    .dns_name(format!("{}.", target.dns_name.to_uppercase()))
                    .hosted_zone_id(&target.hosted_zone_id)
                    .evaluate_target_health(false)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap()
    }

    pub(crate) fn txt(name: &str, value: &str) -> ResourceRecordSet {
        ResourceRecordSet::builder()
            .name(format!("{name}."))
            .r#type(RrType::Txt)
            .ttl(60)
            .resource_records(ResourceRecord::builder().value(value).build().unwrap())
            .build()
            .unwrap()
    }

    fn ledger(region: &str) -> ResourceRecordSet {
        let l = Ledger::new(
            Region::new(region).unwrap(),
            3,
            100,
            crate::ledger::Reason::Runtime,
            None,
        )
        .unwrap();
        txt("_failover.api.example.com", &l.to_txt_value())
    }

    #[test]
    fn classifies_every_shape_of_records() {
        let p = pair();
        let [east, west] = &p.regions;
        let healthy = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![alias(&p.standby_name, &west.standby_target)],
            ledger: vec![ledger("us-east-1")],
        };
        let view = classify_snapshot(&p, &healthy);
        assert_eq!(view.status, DnsStatus::Ok);
        assert_eq!(view.active_region, Some(east.region.clone()));
        assert_eq!(view.standby_region, Some(west.region.clone()));
        assert!(matches!(view.ledger, LedgerState::Agrees(_)));
        assert!(!view.split_brain());

        let cases: Vec<(&str, DnsSnapshot, DnsStatus)> = vec![
            (
                "active missing",
                DnsSnapshot {
                    active: vec![],
                    ..healthy.clone()
                },
                DnsStatus::ActiveMissing,
            ),
            (
                "standby missing",
                DnsSnapshot {
                    standby: vec![],
                    ..healthy.clone()
                },
                DnsStatus::StandbyMissing,
            ),
            (
                "both on one region",
                DnsSnapshot {
                    standby: vec![alias(&p.standby_name, &east.standby_target)],
                    ..healthy.clone()
                },
                DnsStatus::BothOnOneRegion,
            ),
            (
                "active name at a standby endpoint",
                DnsSnapshot {
                    active: vec![alias(&p.active_name, &west.standby_target)],
                    ..healthy.clone()
                },
                DnsStatus::ForeignTarget,
            ),
            (
                "foreign target",
                DnsSnapshot {
                    active: vec![alias(
                        &p.active_name,
                        &AliasTarget {
                            dns_name: "elsewhere.example.net".into(),
                            hosted_zone_id: "ZX".into(),
                        },
                    )],
                    ..healthy.clone()
                },
                DnsStatus::ForeignTarget,
            ),
            (
                "a plain A record",
                DnsSnapshot {
                    active: vec![
                        ResourceRecordSet::builder()
                            .name("api.example.com.")
                            .r#type(RrType::A)
                            .ttl(300)
                            .resource_records(
                                ResourceRecord::builder()
                                    .value("192.0.2.1")
                                    .build()
                                    .unwrap(),
                            )
                            .build()
                            .unwrap(),
                    ],
                    ..healthy.clone()
                },
                DnsStatus::ForeignTarget,
            ),
            (
                "an extra CNAME on the standby name",
                DnsSnapshot {
                    standby: vec![
                        alias(&p.standby_name, &west.standby_target),
                        txt(&p.standby_name, "\"x\""),
                    ],
                    ..healthy.clone()
                },
                DnsStatus::ForeignTarget,
            ),
        ];
        for (what, snapshot, want) in cases {
            assert_eq!(classify_snapshot(&p, &snapshot).status, want, "{what}");
        }
    }

    #[test]
    fn a_ledger_naming_another_region_is_a_split_brain() {
        let p = pair();
        let [east, west] = &p.regions;
        let snapshot = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![alias(&p.standby_name, &west.standby_target)],
            ledger: vec![ledger("us-west-2")],
        };
        let view = classify_snapshot(&p, &snapshot);
        assert!(view.split_brain());
        assert_eq!(view.active_region, Some(east.region.clone()), "records win");
        assert_eq!(
            view.last_swap().map(|l| l.active_region.as_str()),
            Some("us-west-2")
        );
    }

    #[test]
    fn a_garbage_ledger_is_reported_not_fatal() {
        let p = pair();
        let [east, west] = &p.regions;
        let snapshot = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![alias(&p.standby_name, &west.standby_target)],
            ledger: vec![txt("_failover.api.example.com", "\"v=spf1 -all\"")],
        };
        let view = classify_snapshot(&p, &snapshot);
        assert_eq!(view.status, DnsStatus::Ok);
        assert!(matches!(
            view.ledger,
            LedgerState::Undecodable(LedgerError::UnknownVersion(_))
        ));
    }
}
