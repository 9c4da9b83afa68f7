//! The test clock's routes (SPEC §6, §9): business time moves only on a server started with the
//! test clock, and only an admin moves it. And when the first send happens (R1, R2): at the start
//! of the RSD in the business time zone, or earlier by a resend.

use jiff::{SignedDuration, tz::TimeZone};
use provisio::clock::Clock;
use serde_json::json;

use crate::helpers::*;
use crate::lifecycle::{DAY, at, day_after, line_when, refs};

const DAY_SPAN: SignedDuration = SignedDuration::from_hours(24);

#[tokio::test]
async fn the_test_clock_is_for_admins_only() {
    let w = World::new().await;
    let t = &w.t;
    // Not moved yet: real time (as the service reads it).
    let before = t.app.clock.real_now();
    let now = at(&t.get("/api/v1/clock", &t.admin).await.ok(200)["now"]);
    let after = t.app.clock.real_now();
    assert!(before <= now && now <= after, "{before} {now} {after}");
    t.advance(DAY).await;
    let later = at(&t.get("/api/v1/clock", &t.admin).await.ok(200)["now"]);
    assert!(
        later >= now + SignedDuration::from_hours(24),
        "{now} → {later}"
    );
    t.post("/api/v1/clock/advance", &t.admin, json!({"seconds": -60}))
        .await
        .problem(422, "invalid_request");
    t.post(
        "/api/v1/clock/advance",
        &t.admin,
        json!({"seconds": "soon"}),
    )
    .await
    .problem(400, "invalid_request");
    // Fractions of a second are fine.
    let moved = at(&t
        .post("/api/v1/clock/advance", &t.admin, json!({"seconds": 1.5}))
        .await
        .ok(200)["now"]);
    assert!(
        moved >= later + SignedDuration::from_millis(1500),
        "{later} → {moved}"
    );
    t.get("/api/v1/clock", &w.bo)
        .await
        .problem(403, "permission_denied");
    t.post("/api/v1/clock/advance", &w.bo, json!({"seconds": 60}))
        .await
        .problem(403, "permission_denied");
}

#[tokio::test]
async fn without_the_test_clock_there_are_no_clock_routes() {
    // A server as `provisio serve` without `--test-clock` builds it: a system clock.
    let t = TestApp::spawn_on(Clock::system(), |_| {}).await;
    t.get("/api/v1/clock", &t.admin)
        .await
        .problem(404, "not_found");
    t.post("/api/v1/clock/advance", &t.admin, json!({"seconds": 60}))
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn r1_the_rsd_starts_at_midnight_in_the_business_time_zone() {
    // Tokyo is 9 hours ahead of UTC (no daylight saving): an RSD starts at 15:00 UTC the day before.
    let t = TestApp::spawn_with(|c| {
        c.time_zone = TimeZone::get("Asia/Tokyo").unwrap();
        c.time_zone_name = "Asia/Tokyo".into();
    })
    .await;
    let acme = t.company("Acme", "partner").await;
    let pia = t
        .user_key(&acme, "pia@acme.test", "Pia Partner", "member", false)
        .await;
    let order = |id: &str, contact: &str, rsd: &str| {
        let body = json!({"web_order_id": id, "end_customer": {"name": "Kund AB"},
                          "lines": [line(contact, rsd)]});
        let t = &t;
        let pia = &pia;
        async move { refs(t.post("/api/v1/orders", pia, body).await.ok(201))[0].clone() }
    };
    let rsd = day_after(&t, 2);
    let sub = &order("W-LC-20", "tokyo@kund.test", &rsd).await;
    let start = at(&json!(format!("{rsd}T00:00:00+09:00")));
    // Five minutes before the start: a line due earlier goes out, this one waits.
    let to_go = t.app.clock.now().duration_until(start);
    assert!(to_go > SignedDuration::from_mins(10), "{start}");
    t.advance(to_go.as_secs() - 300).await;
    let witness = order("W-LC-21", "now@kund.test", &day_after(&t, -1)).await;
    t.email_in_state(&pia, &witness, "sent").await;
    assert!(t.emails(&pia, sub).await.is_empty());
    // Past the start in Tokyo, still the day before in UTC: sent.
    t.advance(360).await;
    let l = line_when(&t, &pia, sub, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    let first = at(&l["first_sent_at"]);
    assert!(
        first >= start && first < start + SignedDuration::from_hours(9),
        "{l}"
    );
}

#[tokio::test]
async fn r2_a_resend_before_the_rsd_is_the_first_send() {
    let w = World::new().await;
    let t = &w.t;
    let rsd = day_after(t, 3);
    let lines = vec![line("early@kund.test", &rsd), line("kept@kund.test", &rsd)];
    let r = refs(&w.order_lines("W-LC-22", "en", lines).await);
    let (early, kept) = (&r[0], &r[1]);
    let e = t
        .post(&format!("/api/v1/lines/{early}/resend"), &w.bo, json!({}))
        .await;
    assert_eq!(e.ok(202)["kind"], "resend");
    let l = line_when(t, &w.pia, early, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    assert_eq!(l["stage"], "awaiting_provisioning");
    let first = at(&l["first_sent_at"]);
    assert_eq!(
        at(&l["closes_at"]),
        first + SignedDuration::from_hours(7 * 24)
    );
    assert!(t.emails(&w.pia, kept).await.is_empty());

    // On the RSD the other line gets its first email; this one gets no second one.
    t.advance(4 * DAY).await;
    t.email_in_state(&w.pia, kept, "sent").await;
    let emails = t.emails(&w.pia, early).await;
    assert_eq!(emails.len(), 1, "{emails:#?}");
    let after = t.line_json(&w.pia, early).await;
    assert_eq!(after["first_sent_at"], l["first_sent_at"]);
    assert_eq!(after["closes_at"], l["closes_at"]);
}

/// Business time ends where its time type does: an advance that would pass that point is
/// refused on `seconds`, saying how far the clock may still go, and moves nothing (it used to
/// stop there silently, answering 200 with a clock that no longer moved).
#[tokio::test]
async fn the_test_clock_refuses_to_move_past_the_latest_time_it_keeps() {
    let latest: jiff::Timestamp = "9999-12-30T22:00:00.999999Z".parse().unwrap();

    let t = TestApp::spawn().await;
    // Another instance (or the CLI) moved the stored clock to five days before the end.
    let five_days_before = t.app.clock.real_now().duration_until(latest) - 5 * DAY_SPAN;
    let micros = i64::try_from(five_days_before.as_micros()).unwrap();
    t.store.advance_clock_offset(micros).await.unwrap();
    t.advance(0).await;
    let now = at(&t.get("/api/v1/clock", &t.admin).await.ok(200)["now"]);
    assert!(now < latest - 4 * DAY_SPAN, "{now}");

    let ten_days = t
        .post(
            "/api/v1/clock/advance",
            &t.admin,
            json!({"seconds": 10 * DAY}),
        )
        .await;
    let problem = ten_days.problem(422, "invalid_request");
    assert_eq!(problem["errors"][0]["path"], "seconds", "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    for words in [
        "past 9999-12-30T22:00:00.999999Z",
        "the latest time the service keeps",
        "at most",
    ] {
        assert!(detail.contains(words), "{words:?}: {detail}");
    }
    let after = at(&t.get("/api/v1/clock", &t.admin).await.ok(200)["now"]);
    assert!(
        after < now + SignedDuration::from_mins(1),
        "the clock did not move: {now} → {after}"
    );

    // Within what is left, it moves as always.
    let moved = at(&t
        .post("/api/v1/clock/advance", &t.admin, json!({"seconds": DAY}))
        .await
        .ok(200)["now"]);
    assert!(moved >= now + DAY_SPAN && moved < latest, "{now} → {moved}");
}
