//! The compare-and-swap against moto through the bench's proxy, whose Route
//! 53 fidelity layer checks change batches as AWS does.

mod support;

use std::time::Duration;

use anyhow::Result;
use multiregion_bench::{Bench, Fault, FaultKind, LogEntry};
use multiregion_core::dns::{LedgerState, read_active};
use multiregion_core::swap::{SwapPlan, plan_swap, submit, swap};
use multiregion_core::{
    DnsStatus, Pair, Reason, Region, RetryPolicy, SwapError, SwapOutcome, SwapRequest,
};
use support::*;

fn request(target: &str, reason: Reason, epoch: i64, execution: &str) -> SwapRequest {
    SwapRequest {
        target: Region::new(target).expect("known region"),
        reason,
        execution: Some(execution.to_owned()),
        epoch,
    }
}

/// A bench, a zone, and the pair with both records and the ledger created
/// (east active): what `terraform apply` leaves.
async fn created() -> Result<(Bench, aws_sdk_route53::Client, Pair)> {
    let bench = Bench::start().await?;
    let route53 = route53(&bench, "tester").await;
    let zone = create_zone(&route53).await?;
    let pair = pair_with_fake_endpoints(&zone);
    let outcome = swap(
        &route53,
        &pair,
        &request(EAST, Reason::Create, 1_000, "create"),
        RetryPolicy::ONCE,
    )
    .await?;
    assert!(matches!(outcome, SwapOutcome::Swapped { ref ledger, .. } if ledger.generation == 1));
    bench.proxy().clear_log();
    Ok((bench, route53, pair))
}

fn batches(log: &[LogEntry]) -> Vec<&LogEntry> {
    log.iter()
        .filter(|e| e.operation == "ChangeResourceRecordSets")
        .collect()
}

#[tokio::test]
async fn swap_failback_and_swap_again_each_change_both_records_and_the_ledger_atomically()
-> Result<()> {
    let (bench, route53, pair) = created().await?;
    let mut previous_generation = 1;
    for (step, (target, other)) in [(WEST, EAST), (EAST, WEST), (WEST, EAST)]
        .into_iter()
        .enumerate()
    {
        bench.proxy().clear_log();
        let epoch = 2_000 + step as i64;
        let outcome = swap(
            &route53,
            &pair,
            &request(target, Reason::Runtime, epoch, &format!("exec-{step}")),
            RetryPolicy::ONCE,
        )
        .await?;
        let SwapOutcome::Swapped { ledger, from, .. } = outcome else {
            panic!("step {step}: expected a swap, got {outcome:?}");
        };
        assert_eq!(ledger.generation, previous_generation + 1, "step {step}");
        assert_eq!(from.as_ref().map(Region::as_str), Some(other));
        previous_generation = ledger.generation;

        // One change batch: DELETE the three record sets read, CREATE three.
        let log = bench.proxy().log();
        let writes = batches(&log);
        assert_eq!(writes.len(), 1, "{log:#?}");
        assert_eq!(writes[0].outcome, "ok");
        assert_eq!(
            writes[0].detail.as_deref(),
            Some(
                "DELETE A api.example.com, DELETE A standby-api.example.com, DELETE TXT _failover.api.example.com, \
                 CREATE A api.example.com, CREATE A standby-api.example.com, CREATE TXT _failover.api.example.com"
            )
        );

        let (_, view) = read_active(&route53, &pair).await?;
        assert_eq!(view.status, DnsStatus::Ok, "step {step}");
        assert_eq!(
            view.active_region.as_ref().map(Region::as_str),
            Some(target)
        );
        assert_eq!(
            view.standby_region.as_ref().map(Region::as_str),
            Some(other)
        );
        let LedgerState::Agrees(written) = &view.ledger else {
            panic!("step {step}: ledger {:?}", view.ledger);
        };
        assert_eq!(written.generation, ledger.generation);
        assert_eq!(written.epoch, epoch);
        assert_eq!(
            written.execution.as_deref(),
            Some(format!("exec-{step}").as_str())
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_swap_from_a_stale_read_is_refused_as_a_conflict_and_changes_nothing() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    let (stale_snapshot, stale_view) = read_active(&route53, &pair).await?;
    // Someone else swaps after our read.
    swap(
        &route53,
        &pair,
        &request(WEST, Reason::Runtime, 2_000, "winner"),
        RetryPolicy::ONCE,
    )
    .await?;
    let (after_winner, _) = read_active(&route53, &pair).await?;

    // Our batch, planned from the stale read, which still shows east active.
    let plan = plan_swap(
        &pair,
        &stale_snapshot,
        &stale_view,
        &request(WEST, Reason::Terraform, 2_001, "stale"),
    )?;
    let SwapPlan::Changes { changes, .. } = plan else {
        panic!("expected changes");
    };
    let error = submit(&route53, &pair, changes, "stale").await.unwrap_err();
    assert!(
        matches!(error, multiregion_core::Route53Error::Conflict { .. }),
        "{error:?}"
    );
    let (unchanged, view) = read_active(&route53, &pair).await?;
    assert_eq!(unchanged, after_winner, "a refused batch changes nothing");
    assert_eq!(
        view.last_swap().and_then(|l| l.execution.as_deref()),
        Some("winner")
    );
    let log = bench.proxy().log();
    assert_eq!(
        batches(&log).last().map(|e| e.outcome.as_str()),
        Some("InvalidChangeBatch")
    );
    Ok(())
}

#[tokio::test]
async fn two_swaps_from_the_same_read_exactly_one_wins() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    let (snapshot, view) = read_active(&route53, &pair).await?;
    let plan = |execution: &str| -> Result<_> {
        match plan_swap(
            &pair,
            &snapshot,
            &view,
            &request(WEST, Reason::Runtime, 3_000, execution),
        )? {
            SwapPlan::Changes { changes, .. } => Ok(changes),
            SwapPlan::AlreadyActive => anyhow::bail!("expected changes"),
        }
    };
    let (first, second) = (plan("exec-a")?, plan("exec-b")?);
    let (a, b) = tokio::join!(
        submit(&route53, &pair, first, "a"),
        submit(&route53, &pair, second, "b"),
    );
    let results = [&a, &b];
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{a:?} {b:?}"
    );
    assert!(
        results
            .iter()
            .any(|r| matches!(r, Err(multiregion_core::Route53Error::Conflict { .. }))),
        "{a:?} {b:?}"
    );
    let winner = if a.is_ok() { "exec-a" } else { "exec-b" };
    let (_, after) = read_active(&route53, &pair).await?;
    assert_eq!(after.status, DnsStatus::Ok);
    assert_eq!(after.active_region.as_ref().map(Region::as_str), Some(WEST));
    assert_eq!(
        after.last_swap().and_then(|l| l.execution.as_deref()),
        Some(winner)
    );
    assert_eq!(after.last_swap().map(|l| l.generation), Some(2));

    let log = bench.proxy().log();
    println!("request log of two swaps from one read:");
    for entry in &log {
        println!("  {entry}");
    }
    let writes = batches(&log);
    assert_eq!(writes.len(), 2);
    let mut outcomes: Vec<&str> = writes.iter().map(|e| e.outcome.as_str()).collect();
    outcomes.sort();
    assert_eq!(outcomes, ["InvalidChangeBatch", "ok"]);
    Ok(())
}

#[tokio::test]
async fn a_throttle_on_the_first_attempt_is_retried_with_a_fresh_read() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    bench.proxy().add_fault(
        Fault::new(FaultKind::Throttle)
            .service("route53")
            .operation("ChangeResourceRecordSets")
            .times(1),
    );
    let policy = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(20),
    };
    let outcome = swap(
        &route53,
        &pair,
        &request(WEST, Reason::Runtime, 4_000, "x"),
        policy,
    )
    .await?;
    assert!(
        matches!(outcome, SwapOutcome::Swapped { attempts: 2, ref ledger, .. } if ledger.generation == 2),
        "{outcome:?}"
    );
    let log = bench.proxy().log();
    let outcomes: Vec<&str> = batches(&log).iter().map(|e| e.outcome.as_str()).collect();
    assert_eq!(outcomes, ["fault:Throttling", "ok"]);
    // Each attempt re-read the records (two listings) before writing.
    let reads_before_second_write = log
        .iter()
        .take_while(|e| e.outcome != "ok" || e.operation != "ChangeResourceRecordSets")
        .filter(|e| e.operation == "ListResourceRecordSets")
        .count();
    assert_eq!(reads_before_second_write, 4, "{log:#?}");

    // With one attempt only (the state machine's setting) the throttle is
    // returned, typed, for Step Functions to retry.
    bench.proxy().add_fault(
        Fault::new(FaultKind::PriorRequestNotComplete)
            .service("route53")
            .times(1),
    );
    let error = swap(
        &route53,
        &pair,
        &request(EAST, Reason::Runtime, 4_001, "y"),
        RetryPolicy::ONCE,
    )
    .await
    .unwrap_err();
    assert!(error.is_throttled(), "{error:?}");
    Ok(())
}

#[tokio::test]
async fn a_swap_to_the_active_region_is_a_no_op_that_writes_nothing() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    let outcome = swap(
        &route53,
        &pair,
        &request(EAST, Reason::Runtime, 5_000, "again"),
        RetryPolicy::ONCE,
    )
    .await?;
    assert!(matches!(outcome, SwapOutcome::AlreadyActive(ref v) if v.status == DnsStatus::Ok));
    let log = bench.proxy().log();
    assert!(batches(&log).is_empty(), "{log:#?}");
    assert!(log.iter().all(|e| e.operation == "ListResourceRecordSets"));
    Ok(())
}

/// Plain TXT records at `names`, in batches of at most 100 changes.
async fn add_neighbours(
    route53: &aws_sdk_route53::Client,
    zone: &str,
    names: &[String],
) -> Result<()> {
    use aws_sdk_route53::types::{
        Change, ChangeAction, ChangeBatch, ResourceRecord, ResourceRecordSet, RrType,
    };
    for chunk in names.chunks(100) {
        let changes = chunk
            .iter()
            .map(|name| {
                let set = ResourceRecordSet::builder()
                    .name(name)
                    .r#type(RrType::Txt)
                    .ttl(60)
                    .resource_records(ResourceRecord::builder().value("\"neighbour\"").build()?)
                    .build()?;
                Ok(Change::builder()
                    .action(ChangeAction::Create)
                    .resource_record_set(set)
                    .build()?)
            })
            .collect::<Result<Vec<_>>>()?;
        route53
            .change_resource_record_sets()
            .hosted_zone_id(zone)
            .change_batch(ChangeBatch::builder().set_changes(Some(changes)).build()?)
            .send()
            .await?;
    }
    Ok(())
}

#[tokio::test]
async fn a_read_is_two_listings_whatever_lies_around_the_names() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    let reads = || {
        bench
            .proxy()
            .log()
            .iter()
            .filter(|e| e.operation == "ListResourceRecordSets")
            .count()
    };
    // Names that sort between the active name and its ledger in one order
    // or the other (a sibling with a `-`, a digit under the active name),
    // and after them.
    add_neighbours(
        &route53,
        pair.zone_id(),
        &[
            "api-x.example.com".into(),
            "0.api.example.com".into(),
            "zz.api.example.com".into(),
            "www.example.com".into(),
        ],
    )
    .await?;
    bench.proxy().clear_log();
    let (_, view) = read_active(&route53, &pair).await?;
    assert_eq!(view.status, DnsStatus::Ok);
    assert_eq!(view.active_region.as_ref().map(Region::as_str), Some(EAST));
    assert!(matches!(view.ledger, LedgerState::Agrees(ref l) if l.generation == 1));
    assert_eq!(reads(), 2, "{:#?}", bench.proxy().log());

    // More names under the active name than a page holds, all before the
    // ledger: the listing pages on to it.
    let many: Vec<String> = (0..150)
        .map(|i| format!("{i:03}.api.example.com"))
        .collect();
    add_neighbours(&route53, pair.zone_id(), &many).await?;
    bench.proxy().clear_log();
    let (_, view) = read_active(&route53, &pair).await?;
    assert!(matches!(view.ledger, LedgerState::Agrees(ref l) if l.generation == 1));
    assert_eq!(view.status, DnsStatus::Ok);
    assert_eq!(reads(), 3, "{:#?}", bench.proxy().log());
    Ok(())
}

#[tokio::test]
async fn a_split_brain_is_reported_and_the_next_swap_rewrites_the_ledger() -> Result<()> {
    let (_bench, route53, pair) = created().await?;
    // Hand-write a ledger that names west while the records say east.
    let (snapshot, _) = read_active(&route53, &pair).await?;
    let wrong = multiregion_core::Ledger::new(Region::new(WEST)?, 9, 7_000, Reason::Manual, None)?;
    let delete = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Delete)
        .resource_record_set(snapshot.ledger[0].clone())
        .build()?;
    let create = aws_sdk_route53::types::Change::builder()
        .action(aws_sdk_route53::types::ChangeAction::Create)
        .resource_record_set(
            aws_sdk_route53::types::ResourceRecordSet::builder()
                .name(pair.ledger_name())
                .r#type(aws_sdk_route53::types::RrType::Txt)
                .ttl(60)
                .resource_records(
                    aws_sdk_route53::types::ResourceRecord::builder()
                        .value(wrong.to_txt_value())
                        .build()?,
                )
                .build()?,
        )
        .build()?;
    submit(&route53, &pair, vec![delete, create], "hand-written").await?;

    let (_, view) = read_active(&route53, &pair).await?;
    assert!(view.split_brain(), "{view:?}");
    assert_eq!(
        view.active_region.as_ref().map(Region::as_str),
        Some(EAST),
        "records win"
    );

    // A swap to the region the records name is not a no-op while the ledger
    // disagrees: it rewrites the ledger, continuing its generation.
    let outcome = swap(
        &route53,
        &pair,
        &request(EAST, Reason::Repair, 7_001, "fix"),
        RetryPolicy::ONCE,
    )
    .await?;
    assert!(
        matches!(outcome, SwapOutcome::Swapped { ref ledger, .. } if ledger.generation == 10),
        "{outcome:?}"
    );
    let (_, view) = read_active(&route53, &pair).await?;
    assert!(!view.split_brain());
    Ok(())
}

#[tokio::test]
async fn create_replaces_an_existing_record_at_the_active_name_in_the_same_batch() -> Result<()> {
    let bench = Bench::start().await?;
    let route53 = route53(&bench, "tester").await;
    let zone = create_zone(&route53).await?;
    let pair = pair_with_fake_endpoints(&zone);
    // The name already serves something else (a plain A record).
    let existing = aws_sdk_route53::types::ResourceRecordSet::builder()
        .name(ACTIVE_NAME)
        .r#type(aws_sdk_route53::types::RrType::A)
        .ttl(300)
        .resource_records(
            aws_sdk_route53::types::ResourceRecord::builder()
                .value("192.0.2.10")
                .build()?,
        )
        .build()?;
    submit(
        &route53,
        &pair,
        vec![
            aws_sdk_route53::types::Change::builder()
                .action(aws_sdk_route53::types::ChangeAction::Create)
                .resource_record_set(existing)
                .build()?,
        ],
        "legacy",
    )
    .await?;
    let (_, before) = read_active(&route53, &pair).await?;
    assert_eq!(before.status, DnsStatus::ForeignTarget);
    bench.proxy().clear_log();

    swap(
        &route53,
        &pair,
        &request(EAST, Reason::Create, 1, "create"),
        RetryPolicy::ONCE,
    )
    .await?;
    let log = bench.proxy().log();
    let writes = batches(&log);
    assert_eq!(
        writes.len(),
        1,
        "one batch, so the name is never without a record"
    );
    assert!(
        writes[0]
            .detail
            .as_deref()
            .is_some_and(|d| d.starts_with("DELETE A api.example.com"))
    );
    let (_, after) = read_active(&route53, &pair).await?;
    assert_eq!(after.status, DnsStatus::Ok);
    Ok(())
}

#[tokio::test]
async fn a_target_outside_the_pair_is_refused_and_nothing_is_written() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    let error = swap(
        &route53,
        &pair,
        &request("eu-west-1", Reason::Manual, 1, "x"),
        RetryPolicy::ONCE,
    )
    .await
    .unwrap_err();
    assert!(matches!(error, SwapError::UnknownTarget(_)), "{error:?}");
    assert!(batches(&bench.proxy().log()).is_empty());
    Ok(())
}

#[tokio::test]
async fn waiting_for_insync_polls_until_the_change_has_propagated() -> Result<()> {
    let (bench, route53, pair) = created().await?;
    bench
        .proxy()
        .set_route53_propagation(Duration::from_millis(600));
    let outcome = swap(
        &route53,
        &pair,
        &request(WEST, Reason::Terraform, 8_000, "planned"),
        RetryPolicy::ONCE,
    )
    .await?;
    let SwapOutcome::Swapped { change_id, .. } = outcome else {
        panic!("expected a swap, got {outcome:?}");
    };
    assert!(!multiregion_core::swap::change_status(&route53, &change_id).await?);
    let gave_up = multiregion_core::swap::wait_insync(
        &route53,
        &change_id,
        Duration::from_millis(50),
        Duration::from_millis(100),
    )
    .await?;
    assert!(!gave_up, "not INSYNC within 100 ms of a 600 ms propagation");
    let insync = multiregion_core::swap::wait_insync(
        &route53,
        &change_id,
        Duration::from_millis(100),
        Duration::from_secs(5),
    )
    .await?;
    assert!(insync);
    let polls = bench
        .proxy()
        .log()
        .iter()
        .filter(|e| e.operation == "GetChange")
        .count();
    assert!(polls >= 3, "polled {polls} times");
    Ok(())
}
