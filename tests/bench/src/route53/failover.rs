//! The rules of routed record sets (failover records, so far) and moto's
//! delete by identifier, for the fidelity layer ([`super`]).

use super::{Change, RecordSet};
use crate::xml;

impl RecordSet {
    /// The record set as the `ResourceRecordSet` of a change request.
    fn to_xml(&self) -> String {
        let mut out = format!(
            "<ResourceRecordSet><Name>{}.</Name><Type>{}</Type>",
            xml::escape(&self.name),
            xml::escape(&self.rtype)
        );
        if let Some(id) = &self.set_identifier {
            out += &format!("<SetIdentifier>{}</SetIdentifier>", xml::escape(id));
        }
        if let Some(failover) = &self.failover {
            out += &format!("<Failover>{}</Failover>", xml::escape(failover));
        }
        if let Some(ttl) = self.ttl {
            out += &format!("<TTL>{ttl}</TTL>");
        }
        if !self.values.is_empty() {
            out += "<ResourceRecords>";
            for value in &self.values {
                out += &format!(
                    "<ResourceRecord><Value>{}</Value></ResourceRecord>",
                    xml::escape(value)
                );
            }
            out += "</ResourceRecords>";
        }
        if let Some(alias) = &self.alias {
            out += &format!(
                "<AliasTarget><HostedZoneId>{}</HostedZoneId><DNSName>{}</DNSName><EvaluateTargetHealth>{}</EvaluateTargetHealth></AliasTarget>",
                xml::escape(&alias.hosted_zone_id),
                xml::escape(&alias.dns_name),
                alias.evaluate_target_health
            );
        }
        if let Some(id) = &self.health_check_id {
            out += &format!("<HealthCheckId>{}</HealthCheckId>", xml::escape(id));
        }
        out + "</ResourceRecordSet>"
    }
}

/// What is wrong with one change's routing fields on its own.
pub(super) fn routing_error(change: &Change, health_checks: &[String]) -> Option<String> {
    let set = &change.set;
    let described = || {
        format!(
            "[Action={}, Name={}., Type={}, SetIdentifier={}]",
            change.action,
            set.name,
            set.rtype,
            set.set_identifier.as_deref().unwrap_or("null")
        )
    };
    match (&set.failover, &set.set_identifier) {
        (Some(failover), _) if failover != "PRIMARY" && failover != "SECONDARY" => {
            return Some(format!(
                "Invalid request: Value '{failover}' at 'failover' failed to satisfy constraint: Member must satisfy enum value set: [PRIMARY, SECONDARY] in Change with {}",
                described()
            ));
        }
        (Some(_), None) => {
            return Some(format!(
                "Invalid request: Missing field 'SetIdentifier' in Change with {}",
                described()
            ));
        }
        (None, Some(_)) => {
            return Some(format!(
                "Invalid request: Missing field 'Weight', 'Region', 'GeoLocation', 'Failover' or 'MultiValueAnswer' in Change with {}",
                described()
            ));
        }
        _ => {}
    }
    match &set.health_check_id {
        Some(id) if change.action != "DELETE" && !health_checks.contains(id) => Some(format!(
            "Invalid request: The health check with id {id} does not exist in Change with {}",
            described()
        )),
        _ => None,
    }
}

/// The conflicts among the record sets a batch would leave: a simple
/// record set beside routed ones of the same name and type, two routing
/// policies, or two failover records of one kind.
pub(super) fn conflicts(state: &[RecordSet], zone: &str) -> Vec<String> {
    let mut errors = Vec::new();
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for set in state {
        let key = (set.name.as_str(), set.rtype.as_str());
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let same: Vec<&RecordSet> = state
            .iter()
            .filter(|s| s.name == set.name && s.rtype == set.rtype)
            .collect();
        let simple = same.iter().filter(|s| s.set_identifier.is_none()).count();
        let failover = same.iter().filter(|s| s.failover.is_some()).count();
        let routed = same.len() - simple;
        if (simple > 0 && routed > 0) || (failover > 0 && failover != routed) {
            errors.push(format!(
                "RRSet of type {} with DNS name {}. is not permitted because a conflicting RRSet of type {} with the same DNS name already exists in zone {zone}.",
                set.rtype, set.name, set.rtype
            ));
            continue;
        }
        for kind in ["PRIMARY", "SECONDARY"] {
            let of_kind: Vec<&&RecordSet> = same
                .iter()
                .filter(|s| s.failover.as_deref() == Some(kind))
                .collect();
            if of_kind.len() > 1 {
                errors.push(format!(
                    "Tried to create a failover record set {} of type {kind}, but the {kind} record set {} already exists",
                    of_kind[1].describe(),
                    of_kind[0].describe()
                ));
            }
        }
    }
    errors
}

/// The record sets moto's DELETE of a `SetIdentifier` takes with it (every
/// record set in the zone with that identifier), as UPSERTs appended to
/// `body` after the batch's own changes, so that moto keeps them. `body`
/// must be a valid batch over `current`.
pub fn restore_after_moto_deletes(body: &str, current: &[RecordSet], changes: &[Change]) -> String {
    let deleted: Vec<&str> = changes
        .iter()
        .filter(|c| c.action == "DELETE")
        .filter_map(|c| c.set.set_identifier.as_deref())
        .collect();
    // What the zone holds once the batch is applied.
    let mut after: Vec<RecordSet> = current.to_vec();
    for change in changes {
        after.retain(|set| set.key() != change.set.key());
        if change.action != "DELETE" {
            after.push(change.set.clone());
        }
    }
    let restores: String = after
        .iter()
        .filter(|set| {
            set.set_identifier
                .as_deref()
                .is_some_and(|id| deleted.contains(&id))
        })
        .map(|set| format!("<Change><Action>UPSERT</Action>{}</Change>", set.to_xml()))
        .collect();
    match body.rfind("</Changes>") {
        Some(end) if !restores.is_empty() => {
            format!("{}{restores}{}", &body[..end], &body[end..])
        }
        _ => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{alias, change};
    use super::super::{parse_changes, validate};
    use super::*;

    fn failover(name: &str, kind: &str, target: &str, check: Option<&str>) -> RecordSet {
        RecordSet {
            set_identifier: Some(kind.to_ascii_lowercase()),
            failover: Some(kind.into()),
            health_check_id: check.map(str::to_owned),
            ..alias(name, target)
        }
    }

    #[test]
    fn failover_records_follow_routes_53_rules() {
        let checks = ["hc-east".to_owned()];
        let pair = [
            change(
                "CREATE",
                failover("api.example.com", "PRIMARY", "east", Some("hc-east")),
            ),
            change(
                "CREATE",
                failover("api.example.com", "SECONDARY", "west", None),
            ),
        ];
        assert_eq!(validate(&[], "example.com", &pair, &checks), Ok(()));
        // A health check that does not exist is refused.
        assert!(validate(&[], "example.com", &pair, &[]).is_err());
        // Failover without a set identifier, and a set identifier alone.
        let mut bare = failover("api.example.com", "PRIMARY", "east", None);
        bare.set_identifier = None;
        assert!(validate(&[], "example.com", &[change("CREATE", bare)], &checks).is_err());
        let mut unrouted = alias("api.example.com", "east");
        unrouted.set_identifier = Some("east".into());
        assert!(validate(&[], "example.com", &[change("CREATE", unrouted)], &checks).is_err());
        // A simple record beside failover records of the same name and type.
        let mixed = validate(
            &[alias("api.example.com", "east")],
            "example.com",
            &pair,
            &checks,
        )
        .unwrap_err();
        assert!(
            mixed[0].contains("conflicting RRSet of type A"),
            "{mixed:?}"
        );
        // Two PRIMARYs under different identifiers.
        let mut second = failover("api.example.com", "PRIMARY", "west", None);
        second.set_identifier = Some("other".into());
        let current = [pair[0].set.clone(), pair[1].set.clone()];
        let two = validate(
            &current,
            "example.com",
            &[change("CREATE", second)],
            &checks,
        );
        assert!(two.unwrap_err()[0].contains("PRIMARY"));
        // The DELETE match includes the health check id.
        let without = failover("api.example.com", "PRIMARY", "east", None);
        assert!(
            validate(
                &current,
                "example.com",
                &[change("DELETE", without)],
                &checks
            )
            .is_err()
        );
        // The swap of the roles: both deleted and re-created in one batch.
        let swap = [
            change("DELETE", current[0].clone()),
            change("DELETE", current[1].clone()),
            change(
                "CREATE",
                failover("api.example.com", "PRIMARY", "west", Some("hc-east")),
            ),
            change(
                "CREATE",
                failover("api.example.com", "SECONDARY", "east", None),
            ),
        ];
        assert_eq!(validate(&current, "example.com", &swap, &checks), Ok(()));
    }

    #[test]
    fn puts_back_what_moto_deletes_by_set_identifier_alone() {
        let api = failover("api.example.com", "PRIMARY", "east", None);
        let other = failover("other.example.com", "PRIMARY", "east", None);
        let body = format!(
            "<ChangeResourceRecordSetsRequest><ChangeBatch><Changes><Change><Action>DELETE</Action>{}</Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
            api.to_xml()
        );
        let changes = parse_changes(&body).unwrap();
        let restored = restore_after_moto_deletes(&body, &[api.clone(), other.clone()], &changes);
        let forwarded = parse_changes(&restored).unwrap();
        assert_eq!(
            forwarded,
            [change("DELETE", api), change("UPSERT", other)],
            "{restored}"
        );
    }
}
