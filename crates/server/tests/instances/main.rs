//! Several `provisio serve` processes on one PostgreSQL database (issue 21): every email sent
//! once across instances, an instance killed with SIGKILL mid-delivery, PostgreSQL itself
//! restarted during delivery, the rate limit and double-click rule across instances, and an
//! instance whose clock runs ahead of the database's (libfaketime) taking over no live lease.
//!
//! A test binary of its own (STYLE habit 9 has one integration binary; this one is apart on
//! purpose): it stops and starts the machine's PostgreSQL, which no other test may see, and
//! cargo runs test binaries one after another. Its tests take turns ([`ALONE`]).
// Test code: a failed unwrap is a failed test, with its location.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../it/smtp.rs"]
mod smtp;

mod fleet;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use serde_json::json;

use fleet::{Fleet, due_today_order};
use smtp::SmtpPeer;

/// One test at a time: one of them restarts PostgreSQL.
static ALONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `sends_in_flight` of each instance (the default): what one killed instance can have had in
/// flight, so what may arrive twice.
const IN_FLIGHT: usize = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_instances_send_every_email_once_through_a_kill_and_a_database_restart() {
    let _alone = ALONE.lock().await;
    let peer = SmtpPeer::start();
    let mut fleet = Fleet::start(3, &peer.url()).await;

    // 5,000 lines due at once (five orders of 1,000), placed through the first instance.
    for n in 0..5 {
        let order = due_today_order(&format!("W9{n}"), 1000, &format!("k{n}"));
        fleet.place(0, &order).await;
    }
    // Mid-delivery, one instance dies without a word.
    peer.wait_for_count(1000, Duration::from_secs(120)).await;
    fleet.kill(1);
    // The others take over its leases once they end, and deliver everything.
    let total: usize = 5000;
    fleet
        .until_nothing_waits(total as i64, Duration::from_secs(180))
        .await;
    let received = peer.received();
    let recipients: HashSet<_> = received.iter().flat_map(|r| r.to.clone()).collect();
    assert_eq!(
        recipients.len(),
        total,
        "every line's contact got its email"
    );
    let duplicates = duplicates(&received);
    assert!(
        duplicates <= IN_FLIGHT,
        "only what was in flight in the killed instance may arrive twice: {duplicates}"
    );
    let before_restart = received.len();
    drop(received);

    // PostgreSQL restarts during delivery: requests answer 503 meanwhile, nothing is lost.
    fleet.place(0, &due_today_order("W99", 1000, "r")).await;
    peer.wait_for_count(before_restart + 100, Duration::from_secs(60))
        .await;
    fleet::postgres("stop").await;
    fleet.expect_unavailable(0).await;
    fleet::postgres("start").await;
    fleet.expect_ready(0).await;
    fleet
        .until_nothing_waits(total as i64 + 1000, Duration::from_secs(180))
        .await;
    let received = peer.received();
    let recipients: HashSet<_> = received.iter().flat_map(|r| r.to.clone()).collect();
    assert_eq!(recipients.len(), total + 1000, "nothing was lost");
    fleet.stop().await;
}

/// Messages that arrived more than once (by Message-ID).
fn duplicates(received: &[smtp::Received]) -> usize {
    let mut seen: HashMap<String, usize> = HashMap::new();
    for r in received {
        *seen
            .entry(r.header("Message-ID").unwrap_or_default())
            .or_default() += 1;
    }
    seen.values().map(|n| n - 1).sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn resends_spread_over_three_instances_keep_the_limit_and_a_double_click_sends_once() {
    let _alone = ALONE.lock().await;
    let peer = SmtpPeer::start();
    let fleet = Fleet::start(3, &peer.url()).await;
    // A line before its start date: every resend counts (the first is the first send).
    let order = json!({
        "web_order_id": "W1", "end_customer": {"name": "Kund AB"},
        "lines": [{"offer": "A-FLEX", "quantity": 1, "requested_start_date": "2099-01-01",
                   "provisioning_contact": {"email": "kim@kund.test"}}]});
    let sub = fleet.place(0, &order).await["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();

    // Twenty resends at once, with their own Idempotency-Keys, round-robin over the instances.
    let replies = futures::future::join_all((0..20).map(|i| {
        let key = format!("click-{i}");
        fleet.resend(i % 3, &sub, Some(key))
    }))
    .await;
    let mut statuses: HashMap<u16, usize> = HashMap::new();
    for (status, _) in &replies {
        *statuses.entry(*status).or_default() += 1;
    }
    let limit = provisio_domain::rate_limit::DEFAULT_PER_HOUR as usize;
    assert_eq!(
        statuses,
        [(202, limit), (429, 20 - limit)].into_iter().collect(),
        "exactly the limit's number of resends succeed across instances: {replies:?}"
    );

    // A double click of another user on two instances at once: one email.
    let other = json!({
        "web_order_id": "W2", "end_customer": {"name": "Kund AB"},
        "lines": [{"offer": "A-FLEX", "quantity": 1, "requested_start_date": "2099-01-01",
                   "provisioning_contact": {"email": "ola@kund.test"}}]});
    let sub = fleet.place(0, &other).await["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let (a, b) = tokio::join!(fleet.resend(1, &sub, None), fleet.resend(2, &sub, None));
    assert_eq!((a.0, b.0), (202, 202), "{a:?} {b:?}");
    assert_eq!(
        a.1["id"], b.1["id"],
        "both clicks answer with the one email"
    );
    let emails = fleet.emails(0, &sub).await;
    assert_eq!(emails.len(), 1, "{emails:?}");
    peer.wait_for_count(limit + 1, Duration::from_secs(30))
        .await;
    fleet.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_test_clock_moved_through_one_instance_holds_on_the_others_at_once() {
    let _alone = ALONE.lock().await;
    let peer = SmtpPeer::start();
    let fleet = Fleet::start_with(3, &peer.url(), &["--test-clock"]).await;
    let admin = fleet.admin_key().await;
    let now = |i| {
        let (fleet, admin) = (&fleet, admin.clone());
        async move {
            let (status, body) = fleet
                .call(i, reqwest::Method::GET, "/api/v1/clock", &admin, None)
                .await;
            assert_eq!(status, 200, "{body}");
            body["now"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
        }
    };
    let before = now(2).await;
    let advance = json!({"seconds": 30 * 86_400});
    let (status, moved) = fleet
        .call(
            0,
            reqwest::Method::POST,
            "/api/v1/clock/advance",
            &admin,
            Some(advance),
        )
        .await;
    assert_eq!(status, 200, "{moved}");
    // The very next request on another instance is on the moved clock.
    for i in [1, 2] {
        let there = now(i).await;
        assert!(
            there >= before + jiff::SignedDuration::from_hours(30 * 24),
            "instance {i}: {there} is not 30 days after {before}"
        );
    }
    fleet.stop().await;
}

/// libfaketime (Debian's `faketime`, installed by .ci/run): a process's clock set apart.
const FAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_instance_whose_clock_runs_ahead_takes_over_no_live_lease() {
    let _alone = ALONE.lock().await;
    assert!(
        std::path::Path::new(FAKETIME).exists(),
        "this test needs libfaketime at {FAKETIME}: apt-get install -y faketime (.ci/run does)"
    );
    let peer = SmtpPeer::start();
    let mut fleet = Fleet::start(1, &peer.url()).await;
    // The first instance's sends hang in flight after 100 messages: it holds their leases
    // (5 s, renewed while they last).
    peer.stall_after(100);
    fleet.place(0, &due_today_order("W80", 1000, "a")).await;
    peer.wait_for_count(100, Duration::from_secs(60)).await;
    let first = peer.connections();
    // A second instance starts whose clock is ten minutes ahead of the database's and the
    // first's. By its own clock every lease of the first ended long ago; by the database's,
    // which leases are read against, none has. It starts (take-over of ended leases) and
    // claims due mail (its own sends connect to the peer) without taking the first's.
    let ahead = [
        ("LD_PRELOAD", FAKETIME),
        ("FAKETIME", "+10m"),
        ("FAKETIME_DONT_FAKE_MONOTONIC", "1"),
    ];
    let second = fleet.add_instance(&ahead).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while peer.connections() <= first {
        assert!(
            tokio::time::Instant::now() < deadline,
            "instance {second} sent nothing within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    peer.resume();
    fleet
        .until_nothing_waits(1000, Duration::from_secs(120))
        .await;
    let received = peer.received();
    let recipients: HashSet<_> = received.iter().flat_map(|r| r.to.clone()).collect();
    assert_eq!(recipients.len(), 1000, "every line's contact got its email");
    assert_eq!(
        duplicates(&received),
        0,
        "no lease of a live instance was taken over (instance {second} runs ten minutes ahead)"
    );
    fleet.stop().await;
}
