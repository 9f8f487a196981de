//! The computed attributes as a plan carries them, against hand
//! computations for three setting profiles. The expected figures are
//! worked out below from the formulas in the attributes' descriptions and
//! the list prices, not by calling the core library.

use tf_provider::value::Value;

use crate::number::Number;

use super::super::apparatus::settings::{FailoverBlock, HealthCheckBlock};
use super::super::plan::tests::config;
use super::super::plan::{plan_create, plan_update};
use super::super::state::{FailoverState, known};
use super::MonthlyCostValue;

/// The monthly list price, in dollars, worked out by hand for a pinger
/// every `interval` seconds in both regions and one failover a month (15
/// Lambda runs and 33 state transitions on the default state machine).
fn list_price_by_hand(interval: f64) -> f64 {
    let ticks = 730.0 * 3600.0 / interval; // one region's
    let checks = 730.0 * 3600.0 / interval.max(900.0); // the active's, every 15 min
    let pings = 2.0 * ticks;
    let probes = ticks + 2.0 * checks; // the standby's, and the active's two names
    let runs = 15.0; // one failover's Lambda runs
    let lambda_requests = (pings + probes + runs) * 0.20 / 1e6;
    // 128 MB = 0.125 GB; 150 ms a probing ping, 5 ms an idle one, 10 ms a
    // pong, 200 ms a step.
    let gb_seconds = 0.125
        * ((ticks + checks) * 0.150 + (ticks - checks) * 0.005 + probes * 0.010 + runs * 0.200);
    let lambda_compute = gb_seconds * 0.0000166667;
    let api_gateway = probes * 3.50 / 1e6;
    let alarms = 2.0 * 0.10;
    let log_bytes = pings * 1100.0 + probes * 550.0 + runs * 1000.0;
    let logs = log_bytes / 1_073_741_824.0 * 0.50;
    let transfer = probes * 6000.0 / 1_073_741_824.0 * 0.02;
    let sns = 2.0 * 0.50 / 1e6;
    let transitions = 33.0 * 0.025 / 1000.0;
    lambda_requests + lambda_compute + api_gateway + alarms + logs + transfer + sns + transitions
}

/// The data the probes move between regions a month, in dollars: 6 KB a
/// probe at $0.02 per GB.
fn transfer_by_hand(interval: f64) -> f64 {
    let probes = 730.0 * 3600.0 / interval + 2.0 * 730.0 * 3600.0 / interval.max(900.0);
    probes * 6000.0 / 1_073_741_824.0 * 0.02
}

fn dollars(value: &Value<MonthlyCostValue<'_>>) -> (f64, f64) {
    let Value::Value(cost) = value else {
        panic!("monthly_cost_usd is not known: {value:?}")
    };
    let parse = |s: &tf_provider::value::ValueString<'_>| -> f64 {
        let text = known(s).expect("a known cost");
        let (units, decimals) = text.split_once('.').expect("a decimal point");
        assert_eq!(decimals.len(), 6, "six decimal places: {text}");
        assert!(units.chars().all(|c| c.is_ascii_digit()), "{text}");
        text.parse().expect("a decimal")
    };
    (parse(&cost.without_free_tier), parse(&cost.with_free_tier))
}

struct Profile {
    name: &'static str,
    health_check: Value<HealthCheckBlock>,
    failover: Value<FailoverBlock>,
    detection: i64,
    budget: i64,
    list_price: f64,
    /// The data transfer between regions, which has no free tier.
    transfer: f64,
}

fn profiles() -> [Profile; 3] {
    let n = |v: i64| Value::Value(Number::Whole(v));
    [
        Profile {
            name: "defaults (no health_check block)",
            health_check: Value::Null,
            failover: Value::Null,
            // 60 + 60 + ceil(2000 / 1000)
            detection: 60 + 60 + 2,
            // 3 probes × 2 + 10 + 60
            budget: 3 * 2 + 10 + 60,
            // The two alarms ($0.20) and 49,640 probes × $3.50/M ($0.17).
            list_price: list_price_by_hand(60.0),
            transfer: transfer_by_hand(60.0),
        },
        Profile {
            name: "every 2 minutes, 3 of 5",
            health_check: Value::Value(HealthCheckBlock {
                interval_seconds: n(120),
                evaluation_periods: n(5),
                datapoints_to_alarm: n(3),
                timeout_ms: n(5000),
            }),
            failover: Value::Null,
            // 120 + 60 + 5
            detection: 120 + 60 + 5,
            // 3 × 5 + 10 + 60
            budget: 3 * 5 + 10 + 60,
            list_price: list_price_by_hand(120.0),
            transfer: transfer_by_hand(120.0),
        },
        Profile {
            name: "every 5 minutes, one failing period, 2 s probes, manual",
            health_check: Value::Value(HealthCheckBlock {
                interval_seconds: n(300),
                evaluation_periods: n(1),
                datapoints_to_alarm: n(1),
                timeout_ms: n(1500),
            }),
            failover: Value::Value(FailoverBlock {
                automatic: Value::Value(false),
                ..FailoverBlock::default()
            }),
            // 300 + 60 + ceil(1500 / 1000)
            detection: 300 + 60 + 2,
            // 3 × 2 + 10 + 60
            budget: 3 * 2 + 10 + 60,
            list_price: list_price_by_hand(300.0),
            transfer: transfer_by_hand(300.0),
        },
    ]
}

#[test]
fn the_plan_carries_the_figures_of_the_settings_in_effect() {
    // The numbers themselves, once, so that a mistake in the helper above
    // cannot hide one in the code.
    assert_eq!([profiles()[0].detection, profiles()[0].budget], [122, 76]);
    assert!((profiles()[0].list_price - 0.481223).abs() < 2e-6);
    for p in profiles() {
        let mut config = config();
        config.health_check = p.health_check.clone();
        config.failover = p.failover.clone();
        let planned = plan_create(config.clone(), &config, Some("example.com"));
        assert_eq!(
            planned.detection_time_seconds,
            Value::Value(p.detection),
            "{}",
            p.name
        );
        assert_eq!(
            planned.swap_budget_seconds,
            Value::Value(p.budget),
            "{}",
            p.name
        );
        let (without, with) = dollars(&planned.monthly_cost_usd);
        // One micro-dollar of rounding per line, ten lines.
        assert!(
            (without - p.list_price).abs() <= 10e-6,
            "{}: {without} by the plan, {} by hand",
            p.name,
            p.list_price
        );
        // Every item but the data between regions (no free tier) fits its
        // free tier at these rates: 49,640 probes at most against 1M free
        // calls, 2 alarms against 10 free, well under 1M Lambda requests
        // and 400,000 GB-s.
        assert!((with - p.transfer).abs() <= 2e-6, "{}: {with}", p.name);

        // An update plans the same figures (they follow the settings, not
        // the prior state).
        let (updated, _) = plan_update(&FailoverState::default(), config.clone(), &config);
        assert_eq!(
            (
                &updated.detection_time_seconds,
                &updated.swap_budget_seconds,
                &updated.monthly_cost_usd
            ),
            (
                &planned.detection_time_seconds,
                &planned.swap_budget_seconds,
                &planned.monthly_cost_usd
            ),
            "{}",
            p.name
        );
    }
}

#[test]
fn a_slower_health_check_detects_later_and_costs_less() {
    let [defaults, every_two, every_five] = profiles();
    assert!(defaults.detection < every_two.detection && every_two.detection < every_five.detection);
    assert!(
        defaults.list_price > every_two.list_price && every_two.list_price > every_five.list_price
    );
    // The paging alarm's periods are not on the failover path: they do not
    // move the detection.
    let mut config = config();
    config.health_check = Value::Value(HealthCheckBlock {
        datapoints_to_alarm: Value::Value(Number::Whole(1)),
        ..HealthCheckBlock::default()
    });
    let planned = plan_create(config.clone(), &config, None);
    assert_eq!(planned.detection_time_seconds, Value::Value(122));
}

#[test]
fn unknown_settings_leave_the_figures_unknown_and_bad_ones_too() {
    let mut config = config();
    config.health_check = Value::Value(HealthCheckBlock {
        interval_seconds: Value::Unknown,
        ..HealthCheckBlock::default()
    });
    let planned = plan_create(config.clone(), &config, None);
    assert!(planned.detection_time_seconds.is_unknown());
    assert!(planned.swap_budget_seconds.is_unknown());
    assert!(planned.monthly_cost_usd.is_unknown());

    // An interval the validation refuses gives no figures either.
    config.health_check = Value::Value(HealthCheckBlock {
        interval_seconds: Value::Value(Number::Whole(90)),
        ..HealthCheckBlock::default()
    });
    let planned = plan_create(config.clone(), &config, None);
    assert!(planned.detection_time_seconds.is_unknown());

    // The failover settings change none of them, known or not.
    config.health_check = Value::Null;
    config.failover = Value::Unknown;
    let planned = plan_create(config.clone(), &config, None);
    assert_eq!(planned.detection_time_seconds, Value::Value(122));
    assert_eq!(planned.swap_budget_seconds, Value::Value(76));
    assert!(planned.monthly_cost_usd.is_value());
}
