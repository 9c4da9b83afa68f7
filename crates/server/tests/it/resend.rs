//! Resend through the API (R2, R10): one line, before the RSD, the rate limit, concurrent
//! requests, `Idempotency-Key` and double clicks; the bulk resend is in `resend/bulk.rs`.

use std::collections::HashSet;

use serde_json::{Value, json};

use crate::helpers::*;

mod bulk;

/// The date `days` after today by the service clock.
pub fn days_ahead(t: &TestApp, days: i64) -> String {
    let today: jiff::civil::Date = t.today().parse().unwrap();
    (today + jiff::Span::new().days(days)).to_string()
}

/// `POST /api/v1/lines/{sub}/resend` without a body, with an optional `Idempotency-Key`.
pub async fn resend(t: &TestApp, user: &str, sub: &str, key: Option<&str>) -> Reply {
    let mut req = t
        .http
        .post(format!("{}/api/v1/lines/{sub}/resend", t.base))
        .bearer_auth(user);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    TestApp::reply(req).await
}

/// The line's emails of kind `resend`, newest first.
pub async fn resends(t: &TestApp, user: &str, sub: &str) -> Vec<Value> {
    let all = t.emails(user, sub).await;
    all.into_iter().filter(|e| e["kind"] == "resend").collect()
}

pub fn id(email: &Value) -> String {
    email["id"].as_str().unwrap().to_owned()
}

/// Waits until the marker line (a new order due today) has its first email sent: the
/// scheduler has then been through a whole round after the clock moved.
pub async fn scheduler_round(w: &World, web_id: &str) {
    let marker = w.line_due_today(web_id, "marker@kund.test").await;
    w.t.email_in_state(&w.agent, &marker, "sent").await;
}

#[tokio::test]
async fn a_resend_queues_an_email_to_the_contact_and_it_arrives() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let sub = w.line_due_today("W100", "kim@kund.test").await;
    t.email_in_state(&w.bo, &sub, "sent").await;
    peer.wait_for(1).await;

    let r = resend(t, &w.bo, &sub, None).await;
    let email = r.ok(202).clone();
    assert_eq!(email["kind"], "resend", "{email}");
    assert_eq!(email["to"], "kim@kund.test");
    assert!(
        ["queued", "sending", "sent"].contains(&email["state"].as_str().unwrap()),
        "{email}"
    );
    assert!(email["attempts"].is_u64(), "{email}");
    let queued_at = email["queued_at"].as_str().unwrap();
    assert!(queued_at.parse::<jiff::Timestamp>().is_ok(), "{queued_at}");

    let received = peer.wait_for(2).await;
    assert_eq!(received.len(), 2);
    assert_eq!(received[1].to, ["kim@kund.test"]);
    assert!(
        received[1].subject().contains(&sub),
        "{}",
        received[1].subject()
    );
    let sent = t.email_in_state(&w.bo, &sub, "sent").await;
    assert_eq!(sent["id"], email["id"]);
    assert_eq!(sent["attempts"], 1);

    let types = t.event_types(&w.bo, &sub).await;
    assert_eq!(
        types.iter().filter(|e| *e == "resend.requested").count(),
        1,
        "{types:?}"
    );
    assert_eq!(
        types.iter().filter(|e| *e == "email.queued").count(),
        2,
        "the first send and the resend: {types:?}"
    );
    // The resend neither moves the first send nor reopens anything.
    let line = t.line_json(&w.bo, &sub).await;
    assert_eq!(line["stage"], "awaiting_provisioning");
    assert_eq!(line["status"], "open");
}

#[tokio::test]
async fn resend_takes_no_body_an_empty_body_or_an_empty_object() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W101", "kim@kund.test").await;
    let path = format!("{}/api/v1/lines/{sub}/resend", t.base);
    let post = || t.http.post(&path).bearer_auth(&w.bo);
    let accepted = [
        post(),
        post().body(""),
        post().header("content-type", "application/json").body(""),
        post().json(&json!({})),
    ];
    for req in accepted {
        TestApp::reply(req).await.ok(202);
    }
    for bad in [json!({"x": 1}), json!([]), json!("resend")] {
        TestApp::reply(post().json(&bad))
            .await
            .problem(400, "invalid_request");
    }
    TestApp::reply(post().body("{not json"))
        .await
        .problem(400, "invalid_request");
    // Double clicks all: still one resend.
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 1);
}

#[tokio::test]
async fn a_resend_before_the_rsd_is_the_first_send_and_the_rsd_sends_nothing_more() {
    let w = World::new().await;
    let t = &w.t;
    let rsd = days_ahead(t, 3);
    let order = w
        .order_lines("W102", "en", vec![line("kim@kund.test", &rsd)])
        .await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    assert!(t.emails(&w.bo, sub).await.is_empty());

    let email = resend(t, &w.bo, sub, None).await.ok(202).clone();
    assert_eq!(email["kind"], "resend");
    t.email_in_state(&w.bo, sub, "sent").await;
    let line = t
        .until("the resend to count as the first send", || async {
            let l = t.line_json(&w.bo, sub).await;
            (l["stage"] == "awaiting_provisioning").then_some(l)
        })
        .await;
    assert!(line["first_sent_at"].is_string(), "{line}");
    assert!(line["closes_at"].is_string(), "{line}");

    t.advance(4 * 86_400).await;
    scheduler_round(&w, "W102-marker").await;
    let emails = t.emails(&w.bo, sub).await;
    assert_eq!(
        emails.len(),
        1,
        "no automatic first send after it: {emails:?}"
    );
    assert_eq!(emails[0]["id"], email["id"]);
    let after = t.line_json(&w.bo, sub).await;
    assert_eq!(after["first_sent_at"], line["first_sent_at"]);
}

#[tokio::test]
async fn five_resends_an_hour_then_429_with_retry_after() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W103", "kim@kund.test").await;
    // The automatic first send does not count.
    t.email_in_state(&w.bo, &sub, "sent").await;
    let mut ids = HashSet::new();
    for i in 0..5 {
        let r = resend(t, &w.bo, &sub, None).await;
        assert!(ids.insert(id(r.ok(202))), "resend {i} is a new email");
        t.advance(6).await;
    }
    let r = resend(t, &w.bo, &sub, None).await;
    let body = r.problem(429, "resend_rate_limited");
    let retry: u64 = r.headers["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .expect("Retry-After is integer seconds");
    assert!(retry > 0 && retry <= 3600, "Retry-After {retry}");
    // Five 6-second steps have passed since the oldest resend.
    assert!(
        retry <= 3600 - 30,
        "Retry-After {retry} counts from the oldest"
    );
    assert!(body["detail"].as_str().unwrap().contains('5'), "{body}");
    let types = t.event_types(&w.bo, &sub).await;
    assert_eq!(
        types.iter().filter(|e| *e == "resend.refused").count(),
        1,
        "{types:?}"
    );
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 5);
    // Another permitted user shares the line's limit.
    resend(t, &w.dana, &sub, None)
        .await
        .problem(429, "resend_rate_limited");

    // An hour later the window has rolled on.
    t.advance(3600).await;
    let again = resend(t, &w.bo, &sub, None).await;
    assert!(!ids.contains(&id(again.ok(202))));
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 6);
}

// Multi-threaded, so the concurrent requests really share group transactions (store-sqlite's
// group commit): each must still see the resends written before it in the same group.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_resends_of_one_line_send_exactly_five() {
    let w = World::new().await;
    let t = &w.t;
    // RSD ahead: the first of the five is the first send, and counts (SPEC §9).
    let order = w.order("W104", &["kim@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let keys: Vec<String> = (0..20).map(|i| format!("click-{i}")).collect();
    let replies =
        futures::future::join_all(keys.iter().map(|k| resend(t, &w.bo, sub, Some(k)))).await;
    let mut by_status = std::collections::BTreeMap::<u16, usize>::new();
    for r in &replies {
        *by_status.entry(r.status.as_u16()).or_default() += 1;
        match r.status.as_u16() {
            202 => assert_eq!(r.body["kind"], "resend"),
            429 => {
                r.problem(429, "resend_rate_limited");
                assert!(r.headers.contains_key("retry-after"));
            }
            other => panic!("unexpected {other}: {}", r.text),
        }
    }
    assert_eq!(
        by_status,
        [(202, 5), (429, 15)].into_iter().collect(),
        "statuses"
    );
    let accepted: HashSet<String> = replies
        .iter()
        .filter(|r| r.status == 202)
        .map(|r| id(&r.body))
        .collect();
    assert_eq!(accepted.len(), 5);
    let stored: HashSet<String> = resends(t, &w.bo, sub).await.iter().map(id).collect();
    assert_eq!(stored, accepted);
    assert_eq!(t.emails(&w.bo, sub).await.len(), 5, "no other email");
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_resend() {
    let w = World::new().await;
    let t = &w.t;
    let order = w.order("W105", &["kim@kund.test", "lo@kund.test"]).await;
    let a = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let b = order["lines"][1]["subscription_ref"].as_str().unwrap();

    let first = resend(t, &w.bo, a, Some("k-1")).await.ok(202).clone();
    // Out of the double-click window: only the key makes it the same request.
    t.advance(6).await;
    let second = resend(t, &w.bo, a, Some("k-1")).await.ok(202).clone();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(resends(t, &w.bo, a).await.len(), 1);

    // The key names the request: another line's resend with it conflicts.
    resend(t, &w.bo, b, Some("k-1"))
        .await
        .problem(409, "idempotency_conflict");
    assert!(resends(t, &w.bo, b).await.is_empty());

    // Different keys are different resends, even within the double-click window.
    let other = resend(t, &w.bo, a, Some("k-2")).await.ok(202).clone();
    let third = resend(t, &w.bo, a, Some("k-3")).await.ok(202).clone();
    assert_ne!(other["id"], first["id"]);
    assert_ne!(other["id"], third["id"]);
    assert_eq!(resends(t, &w.bo, a).await.len(), 3);
    // Keys are the user's own: dana's "k-1" is her own first request.
    let dana = resend(t, &w.dana, a, Some("k-1")).await.ok(202).clone();
    assert_ne!(dana["id"], first["id"]);
}

#[tokio::test]
async fn a_double_click_sends_once() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W106", "kim@kund.test").await;

    let first = resend(t, &w.bo, &sub, None).await.ok(202).clone();
    let again = resend(t, &w.bo, &sub, None).await.ok(202).clone();
    assert_eq!(first["id"], again["id"], "the same user within 5 s");
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 1);
    let types = t.event_types(&w.bo, &sub).await;
    assert_eq!(
        types.iter().filter(|e| *e == "resend.requested").count(),
        1,
        "{types:?}"
    );

    // Another user within the window is another resend.
    let dana = resend(t, &w.dana, &sub, None).await.ok(202).clone();
    assert_ne!(dana["id"], first["id"]);
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 2);

    // The same user after the window is another resend too.
    t.advance(6).await;
    let later = resend(t, &w.bo, &sub, None).await.ok(202).clone();
    assert_ne!(later["id"], first["id"]);
    assert_ne!(later["id"], dana["id"]);
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_clicks_without_a_key_send_once() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W109", "kim@kund.test").await;
    let replies = futures::future::join_all((0..20).map(|_| resend(t, &w.bo, &sub, None))).await;
    let ids: HashSet<String> = replies.iter().map(|r| id(r.ok(202))).collect();
    assert_eq!(ids.len(), 1, "every click answers with the first email");
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 1);
}

// The outside probe's case: on each of 20 lines the same user clicks twice at once, all 40
// requests together; each line must send exactly one email, however the requests' clocks
// and their turns in the store interleave.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_double_clicks_on_many_lines_send_one_email_each() {
    let w = World::new().await;
    let t = &w.t;
    let contacts: Vec<String> = (0..20).map(|i| format!("c{i}@kund.test")).collect();
    let order = w
        .order(
            "W110",
            &contacts.iter().map(String::as_str).collect::<Vec<_>>(),
        )
        .await;
    let subs: Vec<String> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["subscription_ref"].as_str().unwrap().to_owned())
        .collect();
    for round in 0..3 {
        let replies = futures::future::join_all(
            subs.iter()
                .flat_map(|s| [s, s])
                .map(|s| resend(t, &w.bo, s, None)),
        )
        .await;
        for pair in replies.chunks(2) {
            assert_eq!(id(pair[0].ok(202)), id(pair[1].ok(202)), "round {round}");
        }
        for s in &subs {
            assert_eq!(
                resends(t, &w.bo, s).await.len(),
                round + 1,
                "{s} in round {round}"
            );
        }
        t.advance(6).await;
    }
}

// The double click of point 8, made deterministic: the click that takes its turn in the store
// second read the clock a moment *before* the first one did (what simultaneous requests do).
#[tokio::test]
async fn a_click_that_read_the_clock_before_its_twin_is_still_a_double_click() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W111", "kim@kund.test").await;
    let bo = t.app.actor_by_email("bo@acme.test").await.unwrap();
    let ahead = t.app.with_clock(provisio::clock::Clock::test_at(
        t.app.clock.offset() + jiff::SignedDuration::from_millis(300),
    ));
    let first = ahead.resend(&bo, &sub, None).await.unwrap();
    let second = t.app.resend(&bo, &sub, None).await.unwrap();
    assert_eq!(first.email.id, second.email.id, "one email for both clicks");
    assert_eq!(resends(t, &w.bo, &sub).await.len(), 1);
}
