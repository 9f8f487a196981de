//! The estimates against hand computations, for three setting profiles.
//! Every expected figure below is worked out by hand from the formulas in
//! the doc comments and the dollar prices on the pricing pages, not from
//! the code under test.

use super::*;

struct Profile {
    name: &'static str,
    health: HealthCheck,
    timing: Timing,
    usage: Usage,
    detection: u64,
    polls: u32,
    verify_retries: u32,
    transitions: u32,
    invocations: u32,
    budget: u64,
}

fn profiles() -> [Profile; 4] {
    [
        Profile {
            name: "defaults",
            health: HealthCheck::default(),
            timing: Timing::default(),
            usage: Usage::default(),
            // 60 + 60 + ceil(2000 / 1000)
            detection: 122,
            // ceil(60 / 10)
            polls: 6,
            // 10, 25, 47.5, 81.25 ≥ 60: four retries
            verify_retries: 4,
            // 7 + 3 × 6 + 1 + 4 + 3
            transitions: 33,
            // 3 + 6 + 5 + 1
            invocations: 15,
            // 3 × 2 + 10 + 60
            budget: 76,
        },
        Profile {
            name: "slow and cheap",
            health: HealthCheck {
                interval_seconds: 300,
                evaluation_periods: 3,
                datapoints_to_alarm: 2,
                timeout_ms: 10_000,
            },
            timing: Timing {
                confirm_wait_seconds: 10,
                sync_wait_seconds: 30,
                task_timeout_seconds: 60,
                verify_interval_seconds: 20,
                verify_attempts: 3,
            },
            usage: Usage::default(),
            // 300 + 60 + 10
            detection: 370,
            // ceil(60 / 30)
            polls: 2,
            // 20, 50, 95: all three attempts (95 ≥ 60 only at the third)
            verify_retries: 3,
            // 7 + 3 × 2 + 1 + 3 + 3
            transitions: 20,
            // 3 + 2 + 4 + 1
            invocations: 10,
            // 3 × 10 + 10 + 60
            budget: 100,
        },
        Profile {
            name: "fast, failing over often",
            health: HealthCheck {
                interval_seconds: 60,
                evaluation_periods: 1,
                datapoints_to_alarm: 1,
                timeout_ms: 2000,
            },
            timing: Timing {
                confirm_wait_seconds: 10,
                sync_wait_seconds: 5,
                task_timeout_seconds: 30,
                verify_interval_seconds: 5,
                verify_attempts: 8,
            },
            usage: Usage {
                failovers_per_month: 200,
                ..Usage::default()
            },
            // 60 + 60 + 2
            detection: 122,
            // ceil(60 / 5)
            polls: 12,
            // 5, 12.5, 23.75, 40.625, 65.9375 ≥ 60: five retries
            verify_retries: 5,
            // 7 + 3 × 12 + 1 + 5 + 3
            transitions: 52,
            // 3 + 12 + 6 + 1
            invocations: 22,
            // 3 × 2 + 10 + 60
            budget: 76,
        },
        Profile {
            name: "every ten seconds",
            health: HealthCheck {
                interval_seconds: 10,
                ..HealthCheck::default()
            },
            timing: Timing::default(),
            usage: Usage::default(),
            // 10 + 60 + 2: the last relayed tick of one minute and the
            // scheduled tick of the next are up to 10 + 60 s apart.
            detection: 72,
            polls: 6,
            verify_retries: 4,
            transitions: 33,
            invocations: 15,
            budget: 76,
        },
    ]
}

/// Dollars to micro-dollars, rounded half up.
fn micros_of(dollars: f64) -> u64 {
    (dollars * 1e6 + 0.5).floor() as u64
}

/// The cost lines worked out by hand, in dollars: (item, quantity, list
/// price cost, free units).
fn by_hand(p: &Profile) -> Vec<(Item, f64, f64, f64)> {
    let u = &p.usage;
    // Ticks of the standby; scheduled ticks (EventBridge's, at least a
    // minute apart), at which the active runs; checks of the active (every
    // 15 minutes).
    let ticks = 730.0 * 3600.0 / p.health.interval_seconds as f64;
    let scheduled = 730.0 * 3600.0 / (p.health.interval_seconds.max(60)) as f64;
    let checks = 730.0 * 3600.0 / (p.health.interval_seconds.max(900)) as f64;
    let pings = ticks + scheduled;
    // Below a minute: both regions' event source mappings long-poll (5
    // pollers, a request per 20 s each); the standby sends one batch per
    // scheduled tick; each relayed tick is one more receive and a delete.
    let sqs = if p.health.interval_seconds < 60 {
        2.0 * 5.0 * (730.0 * 3600.0 / 20.0) + scheduled + 2.0 * (ticks - scheduled)
    } else {
        0.0
    };
    // The standby probes the public name at every tick; the active probes
    // both names at every check.
    let probes = ticks + 2.0 * checks;
    let runs = u.failovers_per_month as f64 * f64::from(p.invocations);
    let requests = pings + probes + runs;
    let busy_ms = (ticks + checks) * u.pinger_ms as f64;
    let idle_ms = (scheduled - checks) * u.idle_pinger_ms as f64;
    let gb_seconds = (u.memory_mb as f64 / 1024.0)
        * (busy_ms + idle_ms + probes * u.ponger_ms as f64 + runs * u.step_ms as f64)
        / 1000.0;
    let log_gb = (pings * u.pinger_log_bytes as f64
        + probes * u.ponger_log_bytes as f64
        + runs * u.step_log_bytes as f64)
        / 1_073_741_824.0;
    let transfer_gb = probes * u.probe_bytes as f64 / 1_073_741_824.0;
    let transitions = u.failovers_per_month as f64 * f64::from(p.transitions);
    let publishes = 2.0 * u.failovers_per_month as f64;
    vec![
        (Item::LambdaRequests, requests, 0.20 / 1e6, 1e6),
        (Item::LambdaCompute, gb_seconds, 0.0000166667, 400_000.0),
        (Item::ApiGatewayRequests, probes, 3.50 / 1e6, 1e6),
        (Item::CloudWatchAlarms, 2.0, 0.10, 10.0),
        (Item::LogsIngestion, log_gb, 0.50, 5.0),
        (Item::DataTransfer, transfer_gb, 0.02, 0.0),
        (Item::ScheduledEvents, 2.0 * scheduled, 0.0, 0.0),
        (Item::SnsPublishes, publishes, 0.50 / 1e6, 1e6),
        (Item::StateTransitions, transitions, 0.025 / 1000.0, 4000.0),
        (Item::SqsRequests, sqs, 0.40 / 1e6, 1e6),
    ]
}

#[test]
fn detection_time_and_swap_budget_match_the_hand_computations() {
    for p in profiles() {
        assert_eq!(p.health.validate(), Ok(()), "{}", p.name);
        assert_eq!(detection_time_seconds(&p.health), p.detection, "{}", p.name);
        let path = failover_path(&p.timing);
        assert_eq!(
            (
                path.insync_polls,
                path.verify_retries,
                path.transitions,
                path.invocations
            ),
            (p.polls, p.verify_retries, p.transitions, p.invocations),
            "{}",
            p.name
        );
        assert_eq!(
            swap_budget_seconds(&p.health, &p.timing),
            p.budget,
            "{}",
            p.name
        );
    }
}

#[test]
fn the_monthly_cost_matches_the_hand_computations_line_by_line() {
    for p in profiles() {
        let cost = monthly_cost(&p.health, &p.timing, &p.usage);
        let hand = by_hand(&p);
        assert_eq!(cost.lines.len(), hand.len(), "{}", p.name);
        let (mut without, mut with) = (0, 0);
        for (line, (item, quantity, unit_price, free)) in cost.lines.iter().zip(hand) {
            assert_eq!(line.item, item, "{}", p.name);
            let list = micros_of(quantity * unit_price);
            let after_free = micros_of((quantity - free).max(0.0) * unit_price);
            // One micro-dollar of rounding either way.
            assert!(
                line.without_free_tier_micros.abs_diff(list) <= 1,
                "{} {item:?}: {} by the code, {list} by hand",
                p.name,
                line.without_free_tier_micros
            );
            assert!(
                line.with_free_tier_micros.abs_diff(after_free) <= 1,
                "{} {item:?}: {} by the code, {after_free} by hand",
                p.name,
                line.with_free_tier_micros
            );
            without += line.without_free_tier_micros;
            with += line.with_free_tier_micros;
        }
        assert_eq!(cost.without_free_tier_micros, without, "{}", p.name);
        assert_eq!(cost.with_free_tier_micros, with, "{}", p.name);
    }
}

#[test]
fn the_totals_by_hand() {
    let [defaults, slow, fast, ten] = profiles();
    let cost = |p: &Profile| monthly_cost(&p.health, &p.timing, &p.usage);
    // Defaults, list prices: 137,255 Lambda requests $0.027451, 963.98 GB-s
    // $0.016066, 49,640 REST calls $0.173740, 2 alarm metrics $0.20, 0.1152
    // GB of logs $0.057592, 0.2774 GB between regions $0.005548, 2
    // publishes $0.000001, 33 transitions $0.000825: $0.481223. Only the
    // data transfer is past the free tier.
    let d = cost(&defaults);
    assert!(d.without_free_tier_micros.abs_diff(481_223) <= 2, "{d:?}");
    assert!(
        d.without_free_tier_micros <= 500_000,
        "under $0.50 on defaults"
    );
    assert!(d.with_free_tier_micros.abs_diff(5_548) <= 1, "{d:?}");
    // Every five minutes: a fifth of the standby's probes, the same checks
    // and alarms: $0.276396.
    let s = cost(&slow);
    assert!(s.without_free_tier_micros.abs_diff(276_396) <= 2, "{s:?}");
    // 200 failovers: 10,400 transitions, 6,400 past the free 4,000: $0.16,
    // and the data transfer.
    let f = cost(&fast);
    assert!(f.with_free_tier_micros.abs_diff(165_548) <= 1, "{f:?}");
    // Every 10 s: 306,600 pinger runs and 268,640 probes. 575,255 Lambda
    // requests $0.115051, 5,343.98 GB-s $0.089066, 268,640 REST calls
    // $0.940240, alarms $0.20, 0.4517 GB of logs $0.225858, 1.5012 GB
    // between regions $0.030023, publishes $0.000001, transitions $0.000825,
    // and 1,795,800 SQS requests $0.718320 (1,314,000 of them the idle long
    // polls): $2.319385. Past the free tiers: the transfer and 795,800 SQS
    // requests, $0.348343.
    let t = cost(&ten);
    assert!(t.without_free_tier_micros.abs_diff(2_319_385) <= 2, "{t:?}");
    assert!(t.with_free_tier_micros.abs_diff(348_343) <= 2, "{t:?}");
}

#[test]
fn on_defaults_the_computed_worst_case_is_within_200_seconds() {
    let health = HealthCheck::default();
    let timing = Timing::default();
    let worst = detection_time_seconds(&health) + swap_budget_seconds(&health, &timing);
    assert_eq!(worst, 198);
    assert_eq!(
        every_client_seconds(&health, &timing),
        258,
        "plus the 60 s TTL"
    );
}
