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

fn profiles() -> [Profile; 3] {
    [
        Profile {
            name: "defaults",
            health: HealthCheck::default(),
            timing: Timing::default(),
            usage: Usage::default(),
            // (2 + 1) × 60 + 60 + 60 + 5
            detection: 305,
            // ceil(60 / 10)
            polls: 6,
            // 10, 25, 47.5, 81.25 ≥ 60: four retries
            verify_retries: 4,
            // 3 + 3 × 6 + 1 + 4 + 3
            transitions: 29,
            // 2 + 2 + 6 + 5 + 1
            invocations: 16,
            // 2 × 5 + 6 × 10 + ceil(81.25) + 4 × 5
            budget: 172,
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
                sync_wait_seconds: 30,
                task_timeout_seconds: 60,
                verify_interval_seconds: 20,
                verify_attempts: 3,
            },
            usage: Usage::default(),
            // (2 + 1) × 300 + 60 + 60 + 10
            detection: 1030,
            // ceil(60 / 30)
            polls: 2,
            // 20, 50, 95: all three attempts (95 ≥ 60 only at the third)
            verify_retries: 3,
            // 3 + 3 × 2 + 1 + 3 + 3
            transitions: 16,
            // 2 + 2 + 2 + 4 + 1
            invocations: 11,
            // 2 × 10 + 2 × 30 + 95 + 3 × 10
            budget: 205,
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
                sync_wait_seconds: 5,
                task_timeout_seconds: 30,
                verify_interval_seconds: 5,
                verify_attempts: 8,
            },
            usage: Usage {
                failovers_per_month: 200,
                ..Usage::default()
            },
            // (1 + 1) × 60 + 60 + 60 + 2
            detection: 242,
            // ceil(60 / 5)
            polls: 12,
            // 5, 12.5, 23.75, 40.625, 65.9375 ≥ 60: five retries
            verify_retries: 5,
            // 3 + 3 × 12 + 1 + 5 + 3
            transitions: 48,
            // 2 + 2 + 12 + 6 + 1
            invocations: 23,
            // 2 × 2 + 12 × 5 + ceil(65.9375) + 5 × 2
            budget: 140,
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
    let pings = 2.0 * 730.0 * 3600.0 / p.health.interval_seconds as f64;
    let probes = 2.0 * pings;
    let runs = u.failovers_per_month as f64 * f64::from(p.invocations);
    let requests = pings + probes + runs;
    let gb_seconds = (u.memory_mb as f64 / 1024.0)
        * (pings * u.pinger_ms as f64 + probes * u.ponger_ms as f64 + runs * u.step_ms as f64)
        / 1000.0;
    let log_gb = (pings * u.pinger_log_bytes as f64
        + probes * u.ponger_log_bytes as f64
        + runs * u.step_log_bytes as f64)
        / 1_073_741_824.0;
    let transitions = u.failovers_per_month as f64 * f64::from(p.transitions);
    let publishes = 3.0 * u.failovers_per_month as f64;
    vec![
        (Item::LambdaRequests, requests, 0.20 / 1e6, 1e6),
        (Item::LambdaCompute, gb_seconds, 0.0000166667, 400_000.0),
        (Item::ApiGatewayRequests, probes, 3.50 / 1e6, 1e6),
        (Item::CloudWatchAlarms, 2.0, 0.10, 10.0),
        (Item::CloudWatchMetrics, 2.0, 0.30, 10.0),
        (Item::CloudWatchApiRequests, pings, 0.01 / 1000.0, 1e6),
        (Item::LogsIngestion, log_gb, 0.50, 5.0),
        (Item::ScheduledEvents, pings, 0.0, 0.0),
        (Item::SnsPublishes, publishes, 0.50 / 1e6, 1e6),
        (Item::StateTransitions, transitions, 0.025 / 1000.0, 4000.0),
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
    let [defaults, slow, fast] = profiles();
    let cost = |p: &Profile| monthly_cost(&p.health, &p.timing, &p.usage);
    // Defaults, list prices: 262,816 Lambda requests $0.052563, 1,861.90
    // GB-s $0.031032, 175,200 REST calls $0.613200, 2 alarms $0.20, 2
    // metrics $0.60, 87,600 PutMetricData $0.876000, 0.1795 GB of logs
    // $0.089750, 3 publishes $0.000002, 29 transitions $0.000725:
    // $2.463272. Everything fits the free tier.
    let d = cost(&defaults);
    assert!(d.without_free_tier_micros.abs_diff(2_463_272) <= 1, "{d:?}");
    assert_eq!(d.with_free_tier_micros, 0);
    assert_eq!(usd(d.without_free_tier_micros).len(), "2.463271".len());
    // Every five minutes: a fifth of the pings and probes, the same alarms
    // and metrics.
    let s = cost(&slow);
    assert!(s.without_free_tier_micros < d.without_free_tier_micros / 2);
    assert!(s.without_free_tier_micros > 800_000, "{s:?}");
    // 200 failovers: 9,600 transitions, 5,600 past the free 4,000:
    // 5,600 × $0.000025 = $0.14 after the free tier.
    let f = cost(&fast);
    assert_eq!(f.with_free_tier_micros, 140_000, "{f:?}");
}
