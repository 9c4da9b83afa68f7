//! The rules around the point of no return through the API: resend and contact change after
//! onboarding (R3), who may act on a line (R5), provisioned (R8) and cancel (R9).

use serde_json::{Value, json};

use crate::helpers::*;
use crate::lifecycle::{day_after, line_when, refs};
use crate::smtp::Answer;

fn path(sub: &str, action: &str) -> String {
    format!("/api/v1/lines/{sub}/{action}")
}

fn org() -> Value {
    json!({"organization_name": "Kund AB Org"})
}

async fn refused_events(t: &TestApp, sub: &str) -> Vec<Value> {
    let events = t.get(&path(sub, "events"), &t.admin).await;
    events.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "resend.refused")
        .cloned()
        .collect()
}

#[tokio::test]
async fn r3_after_onboarding_resend_and_contact_change_point_to_the_admin_portal() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let sub = w.line_due_today("W-LC-10", "kim@kund.test").await;
    peer.wait_for(1).await;
    t.email_in_state(&w.pia, &sub, "sent").await;

    let l = t.post(&path(&sub, "onboarding"), &w.portal, org()).await;
    let l = l.ok(200);
    assert_eq!(l["stage"], "onboarded");
    assert_eq!(l["past_point_of_no_return"], true);
    assert_eq!(l["organization"]["name"], "Kund AB Org");
    assert!(
        l["organization"]["id"]
            .as_str()
            .is_some_and(|id| !id.is_empty()),
        "{l}"
    );

    let r = t.post(&path(&sub, "resend"), &w.bo, json!({})).await;
    let p = r.problem(409, "past_point_of_no_return");
    assert_eq!(p["admin_portal_url"], ADMIN_PORTAL);
    let detail = p["detail"].as_str().unwrap();
    assert!(
        detail.contains("admin portal") && detail.contains(ADMIN_PORTAL),
        "{detail}"
    );
    let change = json!({"email": "new@kund.test"});
    let r = t
        .send(
            reqwest::Method::PUT,
            &path(&sub, "provisioning-contact"),
            Some(&w.bo),
            Some(change),
        )
        .await;
    assert_eq!(
        r.problem(409, "past_point_of_no_return")["admin_portal_url"],
        ADMIN_PORTAL
    );
    assert_eq!(
        t.emails(&w.pia, &sub).await.len(),
        1,
        "nothing more was queued"
    );
    assert_eq!(
        t.line_json(&w.pia, &sub).await["provisioning_contact"]["email"],
        "kim@kund.test"
    );
    assert_eq!(refused_events(t, &sub).await.len(), 2);
    // Onboarded is not provisioned: the line is still in progress, on the Subscriptions page.
    let l = t.line_json(&w.pia, &sub).await;
    assert_eq!(l["provisioning_in_progress"], true);
    let page = t
        .get("/api/v1/subscriptions?provisioning=incomplete", &w.pia)
        .await;
    let items = page.ok(200)["items"].as_array().unwrap();
    assert!(
        items.iter().any(|i| i["subscription_ref"] == sub),
        "{}",
        page.text
    );

    // Without a configured admin portal the URL is null.
    let w = World::new().await;
    let sub = w.line_due_today("W-LC-11", "kim@kund.test").await;
    w.t.post(&path(&sub, "onboarding"), &w.portal, org())
        .await
        .ok(200);
    let r = w.t.post(&path(&sub, "resend"), &w.bo, json!({})).await;
    assert!(
        r.problem(409, "past_point_of_no_return")["admin_portal_url"].is_null(),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn r5_who_may_resend() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-LC-12", "kim@kund.test").await;
    t.email_in_state(&w.pia, &sub, "sent").await;

    let r = t.post(&path(&sub, "resend"), &w.cy, json!({})).await;
    let p = r.problem(403, "permission_denied");
    assert_eq!(
        p["ordering_contact"],
        json!({"name": "Pia Partner", "email": "pia@acme.test"})
    );
    let refused = refused_events(t, &sub).await;
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["actor"]["email"], "cy@acme.test");
    assert_eq!(refused[0]["data"]["code"], "permission_denied");

    let r = t.post(&path(&sub, "resend"), &w.olle, json!({})).await;
    assert!(
        r.problem(404, "not_found")
            .get("ordering_contact")
            .is_none()
    );
    assert_eq!(
        refused_events(t, &sub).await.len(),
        1,
        "not_found writes nothing"
    );

    let before = t.emails(&w.pia, &sub).await.len();
    for (who, key) in [
        ("ordering contact", &w.pia),
        ("distributor with can_resend", &w.dana),
        ("support agent", &w.agent),
        ("colleague with can_resend", &w.bo),
    ] {
        let r = t.post(&path(&sub, "resend"), key, json!({})).await;
        assert_eq!(r.status, 202, "{who}: {}", r.text);
        assert_eq!(r.body["kind"], "resend");
    }
    assert_eq!(t.emails(&w.pia, &sub).await.len(), before + 4);
    let requested = t.get(&path(&sub, "events"), &t.admin).await;
    let actors: Vec<&str> = requested.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "resend.requested")
        .map(|e| e["actor"]["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        actors,
        [
            "pia@acme.test",
            "dana@dist.test",
            "agent@op.test",
            "bo@acme.test"
        ]
    );
}

#[tokio::test]
async fn r8_provisioned_follows_onboarding_and_closes_the_line() {
    let w = World::new().await;
    let t = &w.t;
    let today = t.today();
    let o = w
        .order_lines(
            "W-LC-13",
            "en",
            vec![line("a@kund.test", &today), line("b@kund.test", &today)],
        )
        .await;
    let r = refs(&o);
    let (a, b) = (&r[0], &r[1]);
    // The first email is out before the line moves on, so the answers compared below are
    // not overtaken by its acceptance (which sets first_sent_at) in between.
    t.email_in_state(&w.pia, a, "sent").await;

    let early = t.post(&path(a, "provisioned"), &w.portal, json!({})).await;
    early.problem(409, "invalid_transition");

    // Another partner's integration does not learn the line exists.
    let other_erp = t
        .user_key(
            &w.other,
            "erp@other.test",
            "Other ERP",
            "integration",
            false,
        )
        .await;
    t.post(&path(a, "onboarding"), &other_erp, org())
        .await
        .problem(404, "not_found");
    t.post(&path(a, "provisioned"), &other_erp, json!({}))
        .await
        .problem(404, "not_found");

    // Acme's own ERP may report onboarding for Acme's lines.
    let l = t.post(&path(a, "onboarding"), &w.erp, org()).await;
    assert_eq!(l.ok(200)["stage"], "onboarded");
    t.post(&path(a, "onboarding"), &w.portal, org())
        .await
        .problem(409, "invalid_transition");

    let l = t.post(&path(a, "provisioned"), &w.portal, json!({})).await;
    let l = l.ok(200);
    assert_eq!(l["stage"], "provisioned");
    assert_eq!(l["status"], "closed");
    assert_eq!(l["closed_reason"], "provisioned");
    assert_eq!(l["provisioning_in_progress"], false);
    assert_eq!(l["past_point_of_no_return"], true);
    assert!(l["closed_at"].is_string(), "{l}");
    // The line is the same for Pia, but for what she may do with it.
    let without_actions = |mut v: serde_json::Value| {
        v.as_object_mut().unwrap().remove("actions");
        v
    };
    assert_eq!(
        without_actions(t.line_json(&w.pia, a).await),
        without_actions(l.clone())
    );

    // Provisioned lines leave the Subscriptions page; the other line stays on it.
    let page = t
        .get("/api/v1/subscriptions?provisioning=incomplete", &w.pia)
        .await;
    let listed: Vec<&Value> = page.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["subscription_ref"])
        .collect();
    assert_eq!(listed, [&json!(b)], "{}", page.text);
    // A member may not report it.
    t.post(&path(b, "onboarding"), &w.bo, org())
        .await
        .problem(403, "permission_denied");
    // Nor may anyone cancel past the point of no return.
    t.post(&path(a, "cancel"), &w.pia, json!({}))
        .await
        .problem(409, "past_point_of_no_return");

    // Onboarded but not provisioned when the window lapses: closed, still in progress; then
    // provisioned relabels why it is closed and keeps when.
    t.email_in_state(&w.pia, b, "sent").await;
    let named = json!({"organization_id": "org-42", "organization_name": "Kund AB Org"});
    let l = t.post(&path(b, "onboarding"), &w.portal, named).await;
    assert_eq!(l.ok(200)["organization"]["id"], "org-42");
    t.advance(8 * 86_400).await;
    let lapsed = line_when(t, &w.pia, b, "closed", |l| l["status"] == "closed").await;
    assert_eq!(lapsed["closed_reason"], "provisioning_window_lapsed");
    assert_eq!(lapsed["stage"], "onboarded");
    assert_eq!(lapsed["provisioning_in_progress"], true);
    let l = t.post(&path(b, "provisioned"), &w.portal, json!({})).await;
    let l = l.ok(200);
    assert_eq!(l["closed_reason"], "provisioned");
    assert_eq!(l["closed_at"], lapsed["closed_at"]);
    let closed = t.event_types(&t.admin, b).await;
    let closed = closed.iter().filter(|e| *e == "line.closed").count();
    assert_eq!(closed, 1, "a line closes once");
}

#[tokio::test]
async fn a_line_onboarded_before_its_rsd_is_never_emailed() {
    let w = World::new().await;
    let t = &w.t;
    let rsd = day_after(t, 3);
    let lines = vec![line("early@kund.test", &rsd), line("kept@kund.test", &rsd)];
    let r = refs(&w.order_lines("W-LC-15", "en", lines).await);
    let (early, kept) = (&r[0], &r[1]);
    let l = t.post(&path(early, "onboarding"), &w.portal, org()).await;
    assert_eq!(l.ok(200)["stage"], "onboarded");
    t.advance(4 * 86_400).await;
    t.email_in_state(&w.pia, kept, "sent").await;
    assert!(t.emails(&w.pia, early).await.is_empty());
    let l = t.line_json(&w.pia, early).await;
    assert_eq!(l["stage"], "onboarded");
    assert!(
        l["first_sent_at"].is_null() && l["closes_at"].is_null(),
        "{l}"
    );
}

#[tokio::test]
async fn cancelling_a_lapsed_line_ends_its_provisioning() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-LC-16", "kim@kund.test").await;
    t.email_in_state(&w.pia, &sub, "sent").await;
    t.advance(8 * 86_400).await;
    let lapsed = line_when(t, &w.pia, &sub, "closed", |l| l["status"] == "closed").await;
    // An admin may cancel too.
    let l = t.post(&path(&sub, "cancel"), &t.admin, json!({})).await;
    let l = l.ok(200);
    assert_eq!(l["stage"], "cancelled");
    assert_eq!(l["closed_reason"], "cancelled");
    assert_eq!(l["closed_at"], lapsed["closed_at"]);
    assert_eq!(l["provisioning_in_progress"], false);
    let page = t
        .get("/api/v1/subscriptions?provisioning=incomplete", &w.pia)
        .await;
    assert_eq!(page.ok(200)["items"], json!([]), "{}", page.text);
    t.post(&path(&sub, "resend"), &w.pia, json!({}))
        .await
        .problem(409, "line_cancelled");
}

#[tokio::test]
async fn r9_a_cancelled_line_is_never_emailed() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let rsd = day_after(t, 3);
    let o = w
        .order_lines(
            "W-LC-14",
            "en",
            vec![line("gone@kund.test", &rsd), line("kept@kund.test", &rsd)],
        )
        .await;
    let r = refs(&o);
    let (gone, kept) = (&r[0], &r[1]);

    t.post(&path(gone, "cancel"), &w.cy, json!({}))
        .await
        .problem(403, "permission_denied");
    t.post(&path(gone, "cancel"), &w.bo, json!({}))
        .await
        .problem(403, "permission_denied");
    let l = t.post(&path(gone, "cancel"), &w.pia, json!({})).await;
    let l = l.ok(200);
    assert_eq!(l["stage"], "cancelled");
    assert_eq!(l["status"], "closed");
    assert_eq!(l["closed_reason"], "cancelled");
    assert_eq!(l["provisioning_in_progress"], false);
    t.post(&path(gone, "cancel"), &w.pia, json!({}))
        .await
        .problem(409, "invalid_transition");
    t.post(&path(gone, "resend"), &w.bo, json!({}))
        .await
        .problem(409, "line_cancelled");
    let change = json!({"email": "new@kund.test"});
    t.send(
        reqwest::Method::PUT,
        &path(gone, "provisioning-contact"),
        Some(&w.bo),
        Some(change),
    )
    .await
    .problem(409, "line_cancelled");

    // Past the RSD the other line of the order goes out; the cancelled one does not.
    t.advance(4 * 86_400).await;
    assert_eq!(peer.wait_for(1).await[0].to, ["kept@kund.test"]);
    line_when(t, &w.pia, kept, "sent", |l| {
        l["last_email"]["state"] == "sent"
    })
    .await;
    assert!(t.emails(&w.pia, gone).await.is_empty());
    assert_eq!(peer.rcpt_attempts("gone@kund.test"), 0);
    let l = t.line_json(&w.pia, gone).await;
    assert_eq!(l["stage"], "cancelled");
    assert!(
        l["first_sent_at"].is_null() && l["last_email"].is_null(),
        "{l}"
    );
    let types = t.event_types(&t.admin, gone).await;
    assert!(types.contains(&"line.cancelled".to_owned()), "{types:?}");
    assert!(!types.iter().any(|e| e.starts_with("email.")), "{types:?}");
}

#[tokio::test]
async fn r9_cancelling_stops_an_email_that_is_being_retried() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("busy@kund.test", Answer::TempFail);
    let sub = w.line_due_today("W-LC-17", "busy@kund.test").await;
    t.email_in_state(&w.pia, &sub, "retrying").await;
    t.post(&path(&sub, "cancel"), &w.pia, json!({}))
        .await
        .ok(200);
    assert_eq!(t.emails(&w.pia, &sub).await[0]["state"], "cancelled");
    // Well past the retry: a line ordered now is sent in the same round; the cancelled is not.
    t.advance(3600).await;
    let witness = w.line_due_today("W-LC-18", "now@kund.test").await;
    t.email_in_state(&w.pia, &witness, "sent").await;
    assert_eq!(peer.rcpt_attempts("busy@kund.test"), 1);
    assert!(peer.received().iter().all(|r| r.to != ["busy@kund.test"]));
    assert_eq!(t.emails(&w.pia, &sub).await[0]["state"], "cancelled");
}

#[tokio::test]
async fn refusals_say_what_happened_in_words_that_fit_the_action() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W-MSG-1", "kim@kund.test").await;
    // Pia placed the order: she is not told to ask herself, and reports are not for members.
    let r = t
        .post(
            &format!("/api/v1/lines/{sub}/provisioned"),
            &w.pia,
            json!({}),
        )
        .await;
    let p = r.problem(403, "permission_denied");
    assert!(p.get("ordering_contact").is_none(), "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(!detail.contains("pia@acme.test"), "{detail}");
    assert!(detail.contains("integration"), "{detail}");

    let body = json!({"organization_name": "Kund AB"});
    t.post(&format!("/api/v1/lines/{sub}/onboarding"), &w.erp, body)
        .await
        .ok(200);
    let r = t
        .post(&format!("/api/v1/lines/{sub}/cancel"), &w.pia, json!({}))
        .await;
    let detail = r.problem(409, "past_point_of_no_return")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(detail.contains("cancelled"), "{detail}");
    assert!(!detail.contains("resent"), "{detail}");
    assert_eq!(t.line_json(&w.pia, &sub).await["stage"], "onboarded");
}
