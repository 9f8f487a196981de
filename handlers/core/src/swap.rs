//! The swap: one compare-and-swap change batch that makes a region active.
//!
//! The batch DELETEs exactly the record sets it read at the active name, the
//! standby name and the ledger name, and CREATEs the new pair of alias records
//! and the new ledger entry. Route 53 applies a batch atomically and refuses a
//! DELETE that does not match the current records or a CREATE of a record that
//! exists, so two concurrent swaps cannot both succeed and a swap based on a
//! stale read fails cleanly with [`Route53Error::Conflict`]. No code path
//! UPSERTs these records.
//!
//! The swap is target-based: every attempt re-reads, and a swap to the region
//! that is already active (with agreeing records and ledger) is a no-op.

use std::time::Duration;

use aws_sdk_route53::Client;
use aws_sdk_route53::types::{
    AliasTarget as SdkAliasTarget, Change, ChangeAction, ChangeBatch, ChangeStatus, ResourceRecord,
    ResourceRecordSet, RrType,
};

use crate::dns::{
    ActiveView, AliasTarget, DnsSnapshot, DnsStatus, LedgerState, Pair, ReadError, read_active,
};
use crate::error::{Route53Error, classify};
use crate::ledger::{Ledger, LedgerError, Reason};
use crate::region::Region;

/// TTL of the ledger TXT record. Nothing resolves it through DNS; it is read
/// through the Route 53 API.
pub const LEDGER_TTL: i64 = 60;

/// What to swap to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapRequest {
    /// The region to make active.
    pub target: Region,
    /// Why, for the ledger.
    pub reason: Reason,
    /// What is doing it, for the ledger (a Step Functions execution ARN).
    pub execution: Option<String>,
    /// When, in seconds since the Unix epoch, taken from the event that
    /// caused the swap, not from the wall clock.
    pub epoch: i64,
}

/// How often to try when Route 53 throttles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (1 = no retry, as the state machine's swap step uses,
    /// so that retries are visible in the execution history).
    pub max_attempts: u32,
    /// Delay before the second attempt; doubled for each further one.
    pub base_delay: Duration,
}

impl RetryPolicy {
    /// One attempt only.
    pub const ONCE: RetryPolicy = RetryPolicy {
        max_attempts: 1,
        base_delay: Duration::ZERO,
    };
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
        }
    }
}

/// What a swap did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SwapOutcome {
    /// The target was already active with agreeing records and ledger:
    /// nothing was written.
    AlreadyActive(ActiveView),
    /// The batch was accepted.
    Swapped {
        /// Route 53's change id, to poll for INSYNC.
        change_id: String,
        /// The ledger entry written.
        ledger: Ledger,
        /// The region that was active before (from the records), if any.
        from: Option<Region>,
        /// Attempts it took.
        attempts: u32,
    },
}

/// Why a swap failed.
#[derive(Debug, thiserror::Error)]
pub enum SwapError {
    /// The target is not one of the pair's regions.
    #[error("region {0} is not one of the pair's regions")]
    UnknownTarget(Region),
    /// Reading the records failed.
    #[error("reading the records failed: {0}")]
    Read(#[from] ReadError),
    /// The change batch failed: a conflict (another swap won), throttling
    /// after every attempt, or another refusal.
    #[error(transparent)]
    Route53(#[from] Route53Error),
    /// The new ledger entry could not be encoded.
    #[error("the ledger entry cannot be written: {0}")]
    Ledger(#[from] LedgerError),
}

impl SwapError {
    /// Whether another swap won the compare-and-swap.
    pub fn is_conflict(&self) -> bool {
        matches!(self, SwapError::Route53(Route53Error::Conflict { .. }))
    }

    /// Whether Route 53 throttled the call.
    pub fn is_throttled(&self) -> bool {
        matches!(
            self,
            SwapError::Route53(Route53Error::Throttled { .. })
                | SwapError::Read(ReadError::Route53(Route53Error::Throttled { .. }))
        )
    }
}

/// The change batch a swap submits, or nothing to do.
#[derive(Debug, Clone, PartialEq)]
pub enum SwapPlan {
    /// The target is already active and everything agrees.
    AlreadyActive,
    /// Submit these changes, writing this ledger entry.
    Changes {
        /// DELETEs of what was read, then CREATEs of the new records.
        changes: Vec<Change>,
        /// The ledger entry the batch writes.
        ledger: Ledger,
    },
}

fn alias_record(name: &str, target: &AliasTarget) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::A)
        .alias_target(
            SdkAliasTarget::builder()
                .dns_name(&target.dns_name)
                .hosted_zone_id(&target.hosted_zone_id)
                .evaluate_target_health(false)
                .build()
                .expect("dns_name, hosted_zone_id and evaluate_target_health are set"),
        )
        .build()
        .expect("name and type are set")
}

fn ledger_record(name: &str, ledger: &Ledger) -> ResourceRecordSet {
    ResourceRecordSet::builder()
        .name(name)
        .r#type(RrType::Txt)
        .ttl(LEDGER_TTL)
        .resource_records(
            ResourceRecord::builder()
                .value(ledger.to_txt_value())
                .build()
                .expect("value is set"),
        )
        .build()
        .expect("name and type are set")
}

fn change(action: ChangeAction, set: ResourceRecordSet) -> Change {
    Change::builder()
        .action(action)
        .resource_record_set(set)
        .build()
        .expect("action and record set are set")
}

/// Decides the change batch for a swap to `request.target` from what was
/// read. Pure, so the decision is unit-tested without Route 53.
pub fn plan_swap(
    pair: &Pair,
    snapshot: &DnsSnapshot,
    view: &ActiveView,
    request: &SwapRequest,
) -> Result<SwapPlan, SwapError> {
    let target = pair
        .endpoints(&request.target)
        .ok_or_else(|| SwapError::UnknownTarget(request.target.clone()))?;
    let other = pair
        .other(&request.target)
        .ok_or_else(|| SwapError::UnknownTarget(request.target.clone()))?;
    let ledger_agrees = matches!(&view.ledger,
        LedgerState::Agrees(l) if l.active_region == request.target);
    if view.status == DnsStatus::Ok
        && view.active_region.as_ref() == Some(&request.target)
        && ledger_agrees
    {
        return Ok(SwapPlan::AlreadyActive);
    }
    let ledger = Ledger::next(
        view.last_swap(),
        request.target.clone(),
        request.epoch,
        request.reason,
        request.execution.clone(),
    )?;
    let deletes = snapshot
        .active
        .iter()
        .chain(&snapshot.standby)
        .chain(&snapshot.ledger)
        .map(|set| change(ChangeAction::Delete, set.clone()));
    let creates = [
        alias_record(&pair.active_name, &target.active_target),
        alias_record(&pair.standby_name, &other.standby_target),
        ledger_record(&pair.ledger_name(), &ledger),
    ]
    .into_iter()
    .map(|set| change(ChangeAction::Create, set));
    Ok(SwapPlan::Changes {
        changes: deletes.chain(creates).collect(),
        ledger,
    })
}

/// Submits a planned batch as one ChangeResourceRecordSets call and returns
/// Route 53's change id. A batch planned from a stale read fails with
/// [`Route53Error::Conflict`].
pub async fn submit(
    client: &Client,
    pair: &Pair,
    changes: Vec<Change>,
    comment: &str,
) -> Result<String, Route53Error> {
    let batch = ChangeBatch::builder()
        .set_changes(Some(changes))
        .comment(comment.chars().take(256).collect::<String>())
        .build()
        .expect("changes are set");
    let output = client
        .change_resource_record_sets()
        .hosted_zone_id(pair.zone_id())
        .change_batch(batch)
        .send()
        .await
        .map_err(|e| classify("ChangeResourceRecordSets", e))?;
    Ok(output
        .change_info()
        .map(|info| info.id().trim_start_matches("/change/").to_owned())
        .unwrap_or_default())
}

/// Makes `request.target` active from a read the caller has just made: one
/// attempt, without reading again. The batch DELETEs exactly what `snapshot`
/// holds, so if the records changed since the read (another swap, a person,
/// Terraform), Route 53 refuses the whole batch and this returns
/// [`Route53Error::Conflict`]: a stale read can lose, never overwrite. Route
/// 53 allows five requests per second per account, so a caller that has
/// read the records to decide (the state machine's swap step) saves the
/// second read.
pub async fn swap_from(
    client: &Client,
    pair: &Pair,
    request: &SwapRequest,
    snapshot: &DnsSnapshot,
    view: &ActiveView,
) -> Result<SwapOutcome, SwapError> {
    match plan_swap(pair, snapshot, view, request)? {
        SwapPlan::AlreadyActive => Ok(SwapOutcome::AlreadyActive(view.clone())),
        SwapPlan::Changes { changes, ledger } => {
            let comment = format!("multiregion swap to {}: {}", request.target, ledger);
            let change_id = submit(client, pair, changes, &comment).await?;
            tracing::info!(target = %request.target, %change_id, %ledger, "swapped");
            Ok(SwapOutcome::Swapped {
                change_id,
                ledger,
                from: view.active_region.clone(),
                attempts: 1,
            })
        }
    }
}

/// Makes `request.target` active with one compare-and-swap. The one
/// implementation of "swap", used by the state machine (through
/// [`swap_from`], on the read it decided with) and by Terraform.
///
/// Each attempt re-reads. Throttling is retried per `policy`; a conflict is
/// returned at once: the caller decides whether to re-check health and try
/// again (the state machine) or to report the live state (Terraform).
pub async fn swap(
    client: &Client,
    pair: &Pair,
    request: &SwapRequest,
    policy: RetryPolicy,
) -> Result<SwapOutcome, SwapError> {
    let mut delay = policy.base_delay;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let outcome = match read_active(client, pair).await {
            Ok((snapshot, view)) => swap_from(client, pair, request, &snapshot, &view).await,
            Err(error) => Err(error.into()),
        };
        match outcome {
            Ok(SwapOutcome::Swapped {
                change_id,
                ledger,
                from,
                ..
            }) => {
                return Ok(SwapOutcome::Swapped {
                    change_id,
                    ledger,
                    from,
                    attempts,
                });
            }
            Ok(already) => return Ok(already),
            Err(error) if error.is_throttled() && attempts < policy.max_attempts => {
                tracing::warn!(%error, attempts, ?delay, "throttled, retrying the swap");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            Err(error) => return Err(error),
        }
    }
}

/// The DELETEs that remove the pair's records: the standby name's alias,
/// the ledger, and (unless `keep_active`) the active name's alias. Only
/// records that point at the pair's own endpoints, and a ledger that
/// decodes, are removed: a record someone else put there is left alone.
pub fn plan_retire(pair: &Pair, snapshot: &DnsSnapshot, keep_active: bool) -> Vec<Change> {
    let ours = |set: &ResourceRecordSet,
                target_of: fn(&crate::dns::RegionEndpoints) -> &AliasTarget| {
        set.r#type() == &RrType::A
            && set
                .alias_target()
                .is_some_and(|alias| pair.regions.iter().any(|e| target_of(e).matches(alias)))
    };
    let active = snapshot
        .active
        .iter()
        .filter(|set| !keep_active && ours(set, |e| &e.active_target));
    let standby = snapshot
        .standby
        .iter()
        .filter(|set| ours(set, |e| &e.standby_target));
    let ledger = snapshot.ledger.iter().filter(|set| {
        set.resource_records()
            .iter()
            .all(|r| Ledger::from_txt_value(r.value()).is_ok())
    });
    active
        .chain(standby)
        .chain(ledger)
        .map(|set| change(ChangeAction::Delete, set.clone()))
        .collect()
}

/// Removes the pair's records (see [`plan_retire`]) in one batch of DELETEs
/// of exactly what was read. A conflict (the records changed meanwhile)
/// re-reads and tries again, up to `policy.max_attempts`. Returns whether
/// anything was deleted.
pub async fn retire(
    client: &Client,
    pair: &Pair,
    keep_active: bool,
    policy: RetryPolicy,
) -> Result<bool, SwapError> {
    let mut attempts = 0;
    let mut delay = policy.base_delay;
    loop {
        attempts += 1;
        let (snapshot, _) = read_active(client, pair).await?;
        let changes = plan_retire(pair, &snapshot, keep_active);
        if changes.is_empty() {
            return Ok(false);
        }
        match submit(
            client,
            pair,
            changes,
            "multiregion: removing the failover records",
        )
        .await
        {
            Ok(_) => return Ok(true),
            Err(error)
                if error.is_retryable() || matches!(error, Route53Error::Conflict { .. }) =>
            {
                if attempts >= policy.max_attempts {
                    return Err(error.into());
                }
                tracing::warn!(%error, attempts, "removing the records failed, reading again");
                tokio::time::sleep(delay).await;
                delay = delay.saturating_mul(2);
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// Whether a change has propagated to all Route 53 name servers.
pub async fn change_status(client: &Client, change_id: &str) -> Result<bool, Route53Error> {
    let output = client
        .get_change()
        .id(change_id)
        .send()
        .await
        .map_err(|e| classify("GetChange", e))?;
    Ok(output
        .change_info()
        .is_some_and(|info| info.status() == &ChangeStatus::Insync))
}

/// Polls a change until it is INSYNC or `timeout` passes; for Terraform.
/// (The state machine waits in `Wait` states instead.)
pub async fn wait_insync(
    client: &Client,
    change_id: &str,
    poll: Duration,
    timeout: Duration,
) -> Result<bool, Route53Error> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match change_status(client, change_id).await {
            Ok(true) => return Ok(true),
            Ok(false) => {}
            Err(error) if error.is_retryable() => {
                tracing::warn!(%error, "GetChange failed, polling again");
            }
            Err(error) => return Err(error),
        }
        if tokio::time::Instant::now() + poll > deadline {
            return Ok(false);
        }
        tokio::time::sleep(poll).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dns::classify_snapshot;
    use crate::dns::tests::{alias, pair, txt};

    fn request(target: &str) -> SwapRequest {
        SwapRequest {
            target: Region::new(target).unwrap(),
            reason: Reason::Runtime,
            execution: Some("exec-1".into()),
            epoch: 1000,
        }
    }

    fn actions(plan: &SwapPlan) -> Vec<(ChangeAction, String, RrType)> {
        match plan {
            SwapPlan::AlreadyActive => vec![],
            SwapPlan::Changes { changes, .. } => changes
                .iter()
                .map(|c| {
                    let set = c.resource_record_set().unwrap();
                    (
                        c.action().clone(),
                        set.name().to_owned(),
                        set.r#type().clone(),
                    )
                })
                .collect(),
        }
    }

    #[test]
    fn a_swap_deletes_what_it_read_and_creates_the_new_pair_and_ledger() {
        let p = pair();
        let [east, west] = &p.regions;
        let old = Ledger::new(east.region.clone(), 4, 10, Reason::Create, None).unwrap();
        let snapshot = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![alias(&p.standby_name, &west.standby_target)],
            ledger: vec![txt(&p.ledger_name(), &old.to_txt_value())],
        };
        let view = classify_snapshot(&p, &snapshot);
        let plan = plan_swap(&p, &snapshot, &view, &request("us-west-2")).unwrap();
        let SwapPlan::Changes { changes, ledger } = &plan else {
            panic!("expected changes, got {plan:?}")
        };
        assert_eq!(ledger.generation, 5);
        assert_eq!(ledger.active_region, west.region);
        assert_eq!(
            actions(&plan),
            vec![
                (ChangeAction::Delete, "api.example.com.".into(), RrType::A),
                (
                    ChangeAction::Delete,
                    "standby-api.example.com.".into(),
                    RrType::A
                ),
                (
                    ChangeAction::Delete,
                    "_failover.api.example.com.".into(),
                    RrType::Txt
                ),
                (ChangeAction::Create, "api.example.com".into(), RrType::A),
                (
                    ChangeAction::Create,
                    "standby-api.example.com".into(),
                    RrType::A
                ),
                (
                    ChangeAction::Create,
                    "_failover.api.example.com".into(),
                    RrType::Txt
                ),
            ]
        );
        // The DELETEs carry exactly what was read.
        assert_eq!(changes[0].resource_record_set(), Some(&snapshot.active[0]));
        // The new active name points at the target's endpoint for it, and the
        // standby name at the other region's endpoint for the standby name.
        let target_of = |i: usize| {
            changes[i]
                .resource_record_set()
                .and_then(|s| s.alias_target())
                .map(|a| a.dns_name().to_owned())
        };
        assert_eq!(target_of(3), Some(west.active_target.dns_name.clone()));
        assert_eq!(target_of(4), Some(east.standby_target.dns_name.clone()));
    }

    #[test]
    fn swapping_to_the_active_region_is_a_no_op_only_when_everything_agrees() {
        let p = pair();
        let [east, west] = &p.regions;
        let agreeing = Ledger::new(east.region.clone(), 1, 10, Reason::Create, None).unwrap();
        let snapshot = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![alias(&p.standby_name, &west.standby_target)],
            ledger: vec![txt(&p.ledger_name(), &agreeing.to_txt_value())],
        };
        let view = classify_snapshot(&p, &snapshot);
        assert_eq!(
            plan_swap(&p, &snapshot, &view, &request("us-east-1")).unwrap(),
            SwapPlan::AlreadyActive
        );

        // Same records, but both names on one region: the swap repairs it.
        let broken = DnsSnapshot {
            standby: vec![alias(&p.standby_name, &east.standby_target)],
            ..snapshot.clone()
        };
        let view = classify_snapshot(&p, &broken);
        assert_ne!(
            plan_swap(&p, &broken, &view, &request("us-east-1")).unwrap(),
            SwapPlan::AlreadyActive
        );

        // Nothing there yet (create): CREATEs only, generation 1.
        let empty = DnsSnapshot::default();
        let view = classify_snapshot(&p, &empty);
        let plan = plan_swap(&p, &empty, &view, &request("us-east-1")).unwrap();
        assert!(
            actions(&plan)
                .iter()
                .all(|(a, _, _)| a == &ChangeAction::Create)
        );
        assert!(matches!(plan, SwapPlan::Changes { ledger, .. } if ledger.generation == 1));
    }

    #[test]
    fn retiring_deletes_only_our_records() {
        let p = pair();
        let [east, west] = &p.regions;
        let ledger = Ledger::new(east.region.clone(), 2, 10, Reason::Create, None).unwrap();
        let foreign = alias(
            &p.standby_name,
            &AliasTarget {
                dns_name: "elsewhere.example.net".into(),
                hosted_zone_id: "ZX".into(),
            },
        );
        let snapshot = DnsSnapshot {
            active: vec![alias(&p.active_name, &east.active_target)],
            standby: vec![foreign],
            ledger: vec![txt(&p.ledger_name(), &ledger.to_txt_value())],
        };
        let names = |changes: Vec<Change>| -> Vec<String> {
            changes
                .iter()
                .map(|c| {
                    c.resource_record_set()
                        .map(|s| s.name().to_owned())
                        .unwrap_or_default()
                })
                .collect()
        };
        assert_eq!(
            names(plan_retire(&p, &snapshot, false)),
            ["api.example.com.", "_failover.api.example.com."]
        );
        assert_eq!(
            names(plan_retire(&p, &snapshot, true)),
            ["_failover.api.example.com."]
        );
        let _ = west;
    }

    #[test]
    fn a_target_outside_the_pair_is_refused() {
        let p = pair();
        let view = classify_snapshot(&p, &DnsSnapshot::default());
        assert!(matches!(
            plan_swap(&p, &DnsSnapshot::default(), &view, &request("eu-west-1")),
            Err(SwapError::UnknownTarget(_))
        ));
    }
}
