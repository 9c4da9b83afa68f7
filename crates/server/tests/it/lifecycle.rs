//! The lifecycle of a line as a user sees it through the API (SPEC §3): the first send on the
//! RSD (R1), closure by offer policy and the policy moving a running deadline (R6), the audit
//! trail of a whole lifecycle (R11). The rules around the point of no return, permissions and
//! cancelling are in `lifecycle_ponr.rs`; the test clock and the business time zone in
//! `lifecycle_clock.rs`.

use jiff::{SignedDuration, Timestamp, ToSpan};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

pub const DAY: i64 = 86_400;

/// A line for `offer` (the helpers' `line` is A-FLEX).
pub fn offer_line(contact: &str, rsd: &str, offer: &str) -> Value {
    let mut l = line(contact, rsd);
    l["offer"] = json!(offer);
    l
}

/// An RFC 3339 member of a JSON value.
#[track_caller]
pub fn at(v: &Value) -> Timestamp {
    v.as_str()
        .unwrap_or_else(|| panic!("not a time: {v}"))
        .parse()
        .unwrap()
}

/// The service's today plus `days`, as `YYYY-MM-DD`.
pub fn day_after(t: &TestApp, days: i64) -> String {
    let today: jiff::civil::Date = t.today().parse().unwrap();
    today.checked_add(days.days()).unwrap().to_string()
}

/// Waits until the line, as `key` sees it, satisfies `ok`; returns it.
pub async fn line_when(
    t: &TestApp,
    key: &str,
    sub: &str,
    what: &str,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    t.until(&format!("{sub}: {what}"), || async {
        let l = t.line_json(key, sub).await;
        ok(&l).then_some(l)
    })
    .await
}

pub fn refs(order: &Value) -> Vec<String> {
    let lines = order["lines"].as_array().unwrap();
    lines
        .iter()
        .map(|l| l["subscription_ref"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn r1_a_line_due_today_is_emailed_at_once_and_one_ahead_on_its_rsd() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let today = t.today();
    let o = w
        .order_lines(
            "W-LC-1",
            "en",
            vec![
                line("flex@kund.test", &today),
                offer_line("call@kund.test", &today, "A-WX-CALL"),
                line("late@kund.test", &day_after(t, -2)),
            ],
        )
        .await;
    let (flex, call, late) = (&refs(&o)[0], &refs(&o)[1], &refs(&o)[2]);
    let got = peer.wait_for(3).await;
    let mut to: Vec<&str> = got.iter().map(|r| r.to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["call@kund.test", "flex@kund.test", "late@kund.test"]);
    // An RSD in the past is sent at once too; the window counts from the send.
    let l = line_when(t, &w.pia, late, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    let first = at(&l["first_sent_at"]);
    assert_eq!(
        at(&l["closes_at"]),
        first + SignedDuration::from_hours(7 * 24)
    );

    for (sub, days) in [(flex, 7), (call, 30)] {
        let l = line_when(t, &w.pia, sub, "sent", |l| {
            l["last_email"]["state"] == "sent"
        })
        .await;
        assert_eq!(l["stage"], "awaiting_provisioning", "{l}");
        assert_eq!(l["status"], "open");
        assert_eq!(l["last_email"]["kind"], "initial");
        assert_eq!(l["last_email"]["to"], l["provisioning_contact"]["email"]);
        let first = at(&l["first_sent_at"]);
        assert!(first <= t.app.clock.now());
        assert_eq!(
            at(&l["closes_at"]).duration_since(first),
            SignedDuration::from_hours(24 * days),
            "{} closes {days} days after the first send: {l}",
            l["offer"]
        );
    }

    // RSD three days ahead: nothing goes out until then, while a line due today (ordered
    // after it) is sent, so the scheduler has looked at both.
    let o = w
        .order_lines(
            "W-LC-1b",
            "en",
            vec![line("ahead@kund.test", &day_after(t, 3))],
        )
        .await;
    let ahead = &refs(&o)[0];
    w.line_due_today("W-LC-1c", "now@kund.test").await;
    assert_eq!(peer.wait_for(4).await[3].to, ["now@kund.test"]);
    let l = t.line_json(&w.pia, ahead).await;
    assert_eq!(l["stage"], "scheduled");
    assert!(
        l["first_sent_at"].is_null() && l["last_email"].is_null(),
        "{l}"
    );
    assert!(t.emails(&w.pia, ahead).await.is_empty());
    assert_eq!(peer.rcpt_attempts("ahead@kund.test"), 0);

    t.advance(3 * DAY).await;
    assert_eq!(peer.wait_for(5).await[4].to, ["ahead@kund.test"]);
    let l = line_when(t, &w.pia, ahead, "sent on its RSD", |l| {
        l["stage"] == "awaiting_provisioning"
    })
    .await;
    assert_eq!(l["last_email"]["state"], "sent");
    assert_eq!(l["last_email"]["kind"], "initial");
    let rsd_start = at(&json!(format!(
        "{}T00:00:00Z",
        l["requested_start_date"].as_str().unwrap()
    )));
    assert!(at(&l["first_sent_at"]) >= rsd_start, "{l}");
}

#[tokio::test]
async fn r6_a_lapsed_line_closes_but_stays_actionable() {
    let w = World::new().await;
    let t = &w.t;
    let today = t.today();
    let lines = vec![
        line("flex@kund.test", &today),
        offer_line("call@kund.test", &today, "A-WX-CALL"),
    ];
    let r = refs(&w.order_lines("W-LC-2", "en", lines).await);
    let (flex, call) = (&r[0], &r[1]);
    let mut sent = vec![];
    for sub in [flex, call] {
        sent.push(
            line_when(t, &w.pia, sub, "sent", |l| {
                l["last_email"]["state"] == "sent"
            })
            .await,
        );
    }

    t.advance(7 * DAY + 60).await;
    let l = line_when(t, &w.pia, flex, "closed", |l| l["status"] == "closed").await;
    assert_eq!(l["closed_reason"], "provisioning_window_lapsed", "{l}");
    assert_eq!(l["stage"], "awaiting_provisioning");
    assert_eq!(l["provisioning_in_progress"], true);
    assert_eq!(l["past_point_of_no_return"], false);
    assert_eq!(l["closes_at"], sent[0]["closes_at"]);
    assert!(at(&l["closed_at"]) >= at(&l["closes_at"]), "{l}");
    // The 30-day offer, sent at the same moment, was looked at in the same round.
    let c = t.line_json(&w.pia, call).await;
    assert_eq!(c["status"], "open", "{c}");
    assert!(c["closed_reason"].is_null() && c["closed_at"].is_null());

    // Still actionable: a resend goes out, the line stays closed and its deadline stays put.
    let e = t
        .post(&format!("/api/v1/lines/{flex}/resend"), &w.bo, json!({}))
        .await;
    assert_eq!(e.ok(202)["kind"], "resend");
    assert_eq!(e.body["to"], "flex@kund.test");
    t.email_in_state(&w.bo, flex, "sent").await;
    let after = t.line_json(&w.pia, flex).await;
    for key in [
        "status",
        "closed_reason",
        "closes_at",
        "closed_at",
        "first_sent_at",
        "stage",
    ] {
        assert_eq!(after[key], l[key], "{key} after the resend: {after}");
    }
    assert_eq!(after["last_email"]["kind"], "resend");
    let types = t.event_types(&t.admin, flex).await;
    let closed = types.iter().position(|e| e == "line.closed");
    let resent = types.iter().rposition(|e| e == "resend.requested");
    assert!(closed.is_some() && closed < resent, "{types:?}");
    assert_eq!(types.last().unwrap(), "email.sent", "{types:?}");

    // The Subscriptions page lists both, the closed one included.
    let page = t
        .get("/api/v1/subscriptions?provisioning=incomplete", &w.pia)
        .await;
    let items = page.ok(200)["items"].as_array().unwrap();
    let listed = |sub: &str| items.iter().find(|i| i["subscription_ref"] == sub).cloned();
    assert_eq!(
        listed(flex).expect("the lapsed line is listed")["status"],
        "closed"
    );
    assert!(listed(call).is_some(), "{}", page.text);

    // The 30-day window runs out too.
    t.advance(23 * DAY).await;
    let c = line_when(t, &w.pia, call, "closed", |l| l["status"] == "closed").await;
    assert_eq!(c["closed_reason"], "provisioning_window_lapsed");
    assert_eq!(c["closes_at"], sent[1]["closes_at"]);
}

async fn put_policy(t: &TestApp, offer: &str, days: u32) {
    let body = json!({"window_days": days});
    let path = format!("/api/v1/offer-policies/{offer}");
    let put = t.send(Method::PUT, &path, Some(&t.admin), Some(body)).await;
    assert_eq!(put.ok(200), &json!({"offer": offer, "window_days": days}));
}

#[tokio::test]
async fn an_offer_policy_change_moves_a_running_deadline() {
    let w = World::new().await;
    let t = &w.t;
    let today = t.today();
    let lines = vec![
        line("flex@kund.test", &today),
        offer_line("flex3@kund.test", &today, "A-FLEX-3"),
        offer_line("call@kund.test", &today, "A-WX-CALL"),
    ];
    let r = refs(&w.order_lines("W-LC-3", "en", lines).await);
    let (flex, witness, call) = (&r[0], &r[1], &r[2]);
    let l = line_when(t, &w.pia, flex, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    for sub in [witness, call] {
        line_when(t, &w.pia, sub, "sent", |l| {
            l["last_email"]["state"] == "sent"
        })
        .await;
    }
    let first = at(&l["first_sent_at"]);
    assert_eq!(
        at(&l["closes_at"]),
        first + SignedDuration::from_hours(7 * 24)
    );

    put_policy(t, "A-FLEX", 14).await;
    let policies = t.get("/api/v1/offer-policies", &w.pia).await;
    let flex_policy = policies.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["offer"] == "A-FLEX")
        .cloned();
    assert_eq!(flex_policy.unwrap()["window_days"], 14);
    let moved = t.line_json(&w.pia, flex).await;
    assert_eq!(
        at(&moved["closes_at"]),
        first + SignedDuration::from_hours(14 * 24)
    );
    assert_eq!(moved["first_sent_at"], l["first_sent_at"]);

    // Past the old deadline: the A-FLEX-3 line (still 7 days) closes, the A-FLEX one does not.
    t.advance(8 * DAY).await;
    let lapsed = line_when(t, &w.pia, witness, "closed", |l| l["status"] == "closed").await;
    let open = t.line_json(&w.pia, flex).await;
    assert_eq!(open["status"], "open", "{open}");

    // A closed line's window is over: a later policy change neither moves it nor reopens it.
    put_policy(t, "A-FLEX-3", 30).await;
    assert_eq!(t.line_json(&w.pia, witness).await, lapsed);

    // Shortening a running window to a deadline already past closes the line within seconds.
    put_policy(t, "A-WX-CALL", 5).await;
    let c = line_when(t, &w.pia, call, "closed", |l| l["status"] == "closed").await;
    assert_eq!(c["closed_reason"], "provisioning_window_lapsed");
    let first = at(&c["first_sent_at"]);
    assert_eq!(
        at(&c["closes_at"]),
        first + SignedDuration::from_hours(5 * 24)
    );

    // Past the new one it closes.
    t.advance(6 * DAY + 60).await;
    let closed = line_when(t, &w.pia, flex, "closed", |l| l["status"] == "closed").await;
    assert_eq!(closed["closed_reason"], "provisioning_window_lapsed");
    assert_eq!(closed["closes_at"], moved["closes_at"]);
}

#[tokio::test]
async fn r11_a_whole_lifecycle_is_audited_in_order() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-LC-4", "kim@kund.test").await;
    t.email_in_state(&w.pia, &sub, "sent").await;
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.bo, json!({}))
        .await
        .ok(202);
    t.email_in_state(&w.pia, &sub, "sent").await;
    let onboarding = json!({"organization_name": "Kund AB Org"});
    t.post(
        &format!("/api/v1/lines/{sub}/onboarding"),
        &w.portal,
        onboarding,
    )
    .await
    .ok(200);
    t.post(
        &format!("/api/v1/lines/{sub}/provisioned"),
        &w.portal,
        json!({}),
    )
    .await
    .ok(200);

    let events = t
        .get(&format!("/api/v1/lines/{sub}/events"), &t.admin)
        .await;
    let events = events.ok(200)["items"].as_array().unwrap().clone();
    let expected = [
        ("order.created", Some("pia@acme.test")),
        ("email.queued", None),
        ("email.sent", None),
        ("resend.requested", Some("bo@acme.test")),
        ("line.onboarded", Some("portal@op.test")),
        ("line.provisioned", Some("portal@op.test")),
        ("line.closed", None),
    ];
    let mut rest = events.iter();
    for (kind, actor) in expected {
        let e = rest
            .find(|e| e["type"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in order among {events:#?}"));
        if let Some(email) = actor {
            assert_eq!(e["actor"]["email"], email, "actor of {kind}: {e}");
        }
    }
    let times: Vec<Timestamp> = events.iter().map(|e| at(&e["at"])).collect();
    assert!(times.is_sorted(), "oldest first: {events:#?}");
    let sent = events.iter().find(|e| e["type"] == "email.sent").unwrap();
    assert!(sent["actor"].is_null(), "the scheduler sends: {sent}");
    // The first acceptance: the recipient, the SMTP reply, and how the stage moved.
    assert!(sent["data"]["to"].as_str().unwrap().contains('@'), "{sent}");
    // Mail written to a file has no SMTP reply (its file name is not one).
    assert_eq!(sent["data"]["reply"], "", "{sent}");
    assert_eq!(sent["data"]["stage"]["from"], "scheduled", "{sent}");
    assert_eq!(
        sent["data"]["stage"]["to"], "awaiting_provisioning",
        "{sent}"
    );
}
