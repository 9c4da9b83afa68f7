//! Change of the provisioning contact through the API (R4): at once when already sent, on the
//! RSD otherwise; old links and unsent old emails die; validation and permission.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::resend::{days_ahead, scheduler_round};
use crate::smtp::Answer;

async fn change(t: &TestApp, user: &str, sub: &str, body: Value) -> Reply {
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    t.send(Method::PUT, &path, Some(user), Some(body)).await
}

fn new_contact() -> Value {
    json!({"email": "new@kund.test", "name": "Nya Kim"})
}

/// The data of the line's events of this type, oldest first.
async fn events_of(t: &TestApp, user: &str, sub: &str, kind: &str) -> Vec<Value> {
    let r = t.get(&format!("/api/v1/lines/{sub}/events"), user).await;
    r.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == kind)
        .cloned()
        .collect()
}

/// GET of a setup link (the full URL from an email), without credentials.
async fn open_link(t: &TestApp, url: &str) -> u16 {
    t.http.get(url).send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn a_sent_line_emails_the_new_contact_at_once_and_old_links_die() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let sub = w.line_due_today("W200", "kim@kund.test").await;
    t.email_in_state(&w.bo, &sub, "sent").await;
    let old_link = peer.wait_for(1).await[0].setup_link();
    assert_eq!(open_link(t, &old_link).await, 200);

    let line = change(t, &w.bo, &sub, new_contact()).await.ok(200).clone();
    assert_eq!(line["subscription_ref"], sub.as_str());
    assert_eq!(
        line["provisioning_contact"],
        json!({"email": "new@kund.test", "name": "Nya Kim"})
    );
    assert_eq!(line["stage"], "awaiting_provisioning");
    assert_eq!(
        t.line_json(&w.bo, &sub).await["provisioning_contact"],
        line["provisioning_contact"]
    );

    let received = peer.wait_for(2).await;
    assert_eq!(received[1].to, ["new@kund.test"]);
    let email = t.email_in_state(&w.bo, &sub, "sent").await;
    assert_eq!(email["kind"], "contact_changed");
    assert_eq!(email["to"], "new@kund.test");
    let new_link = received[1].setup_link();
    assert_eq!(open_link(t, &new_link).await, 200);
    assert_eq!(
        open_link(t, &old_link).await,
        410,
        "re-addressed: the old link is revoked"
    );

    let changed = events_of(t, &w.bo, &sub, "contact.changed").await;
    assert_eq!(changed.len(), 1);
    assert_eq!(changed[0]["data"]["from"], "kim@kund.test");
    assert_eq!(changed[0]["data"]["to"], "new@kund.test");
    assert_eq!(changed[0]["actor"]["email"], "bo@acme.test");
    assert_eq!(peer.rcpt_attempts("kim@kund.test"), 1);

    // Later resends go to the current contact.
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.bo, json!({}))
        .await
        .ok(202);
    assert_eq!(peer.wait_for(3).await[2].to, ["new@kund.test"]);
}

#[tokio::test]
async fn before_the_rsd_the_first_email_goes_to_the_new_contact_on_the_rsd() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let rsd = days_ahead(t, 2);
    let order = w
        .order_lines("W201", "en", vec![line("kim@kund.test", &rsd)])
        .await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();

    let line = change(t, &w.bo, sub, new_contact()).await.ok(200).clone();
    assert_eq!(line["provisioning_contact"]["email"], "new@kund.test");
    assert_eq!(line["stage"], "scheduled");
    assert!(
        t.emails(&w.bo, sub).await.is_empty(),
        "nothing before the RSD"
    );
    assert_eq!(events_of(t, &w.bo, sub, "contact.changed").await.len(), 1);

    t.advance(2 * 86_400).await;
    let email = t.email_in_state(&w.bo, sub, "sent").await;
    assert_eq!(email["kind"], "initial");
    assert_eq!(email["to"], "new@kund.test");
    scheduler_round(&w, "W201-marker").await;
    assert_eq!(t.emails(&w.bo, sub).await.len(), 1);
    let to: Vec<_> = peer.received().iter().map(|r| r.to.join(",")).collect();
    assert_eq!(to, ["new@kund.test", "marker@kund.test"]);
    assert_eq!(peer.rcpt_attempts("kim@kund.test"), 0);
}

#[tokio::test]
async fn an_unsent_email_to_the_old_address_is_cancelled() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("old@kund.test", Answer::TempFail);
    let sub = w.line_due_today("W202", "old@kund.test").await;
    let first = t.email_in_state(&w.bo, &sub, "retrying").await;
    assert_eq!(first["kind"], "initial");
    assert_eq!(peer.rcpt_attempts("old@kund.test"), 1);

    change(t, &w.bo, &sub, new_contact()).await.ok(200);
    assert_eq!(peer.wait_for(1).await[0].to, ["new@kund.test"]);
    let emails = t.email_in_state(&w.bo, &sub, "sent").await;
    assert_eq!(emails["kind"], "contact_changed");
    let line = t.line_json(&w.bo, &sub).await;
    assert_eq!(line["stage"], "awaiting_provisioning", "{line}");

    // Past the old email's retry time: it stays cancelled and is never tried again.
    t.advance(3 * 3600).await;
    scheduler_round(&w, "W202-marker").await;
    let emails = t.emails(&w.bo, &sub).await;
    assert_eq!(emails.len(), 2, "{emails:?}");
    assert_eq!(emails[1]["id"], first["id"]);
    assert_eq!(emails[1]["state"], "cancelled");
    assert_eq!(peer.rcpt_attempts("old@kund.test"), 1);
    assert!(peer.received().iter().all(|r| r.to != ["old@kund.test"]));
}

#[tokio::test]
async fn a_resend_right_after_a_contact_change_goes_to_the_new_contact() {
    let w = World::new().await;
    let t = &w.t;
    let sub = w.line_due_today("W203", "kim@kund.test").await;
    let resend = format!("/api/v1/lines/{sub}/resend");
    let old = t.post(&resend, &w.bo, json!({})).await.ok(202).clone();
    assert_eq!(old["to"], "kim@kund.test");
    change(t, &w.bo, &sub, new_contact()).await.ok(200);
    // Within 5 s of the first, but not a double click: it is another request.
    let new = t.post(&resend, &w.bo, json!({})).await.ok(202).clone();
    assert_ne!(new["id"], old["id"]);
    assert_eq!(new["to"], "new@kund.test");
    let again = t.post(&resend, &w.bo, json!({})).await.ok(202).clone();
    assert_eq!(again["id"], new["id"], "this one is a double click");
}

#[tokio::test]
async fn a_contact_change_is_validated_and_permitted() {
    let w = World::new().await;
    let t = &w.t;
    let order = w.order("W204", &["kim@kund.test", "lo@kund.test"]).await;
    let sub = order["lines"][0]["subscription_ref"].as_str().unwrap();
    let other = order["lines"][1]["subscription_ref"].as_str().unwrap();

    change(t, &w.bo, sub, json!({"email": "not-an-email"}))
        .await
        .problem(422, "invalid_email");
    change(t, &w.bo, sub, json!({"name": "Nya Kim"}))
        .await
        .problem(422, "invalid_request");
    change(
        t,
        &w.bo,
        sub,
        json!({"email": "new@kund.test", "phone": "1"}),
    )
    .await
    .problem(400, "invalid_request");
    change(t, &w.bo, sub, json!({"email": 7}))
        .await
        .problem(400, "invalid_request");
    change(
        t,
        &w.bo,
        sub,
        json!({"email": "new@kund.test", "locale": "de"}),
    )
    .await
    .problem(422, "invalid_request");
    change(t, &w.bo, "Sub999999999", new_contact())
        .await
        .problem(404, "not_found");
    change(t, &w.bo, "nonsense", new_contact())
        .await
        .problem(404, "not_found");

    let denied = change(t, &w.cy, sub, new_contact()).await;
    let body = denied.problem(403, "permission_denied");
    assert_eq!(
        body["ordering_contact"],
        json!({"name": "Pia Partner", "email": "pia@acme.test"})
    );
    // Another partner's user learns nothing, not even that the address is bad.
    change(t, &w.olle, sub, new_contact())
        .await
        .problem(404, "not_found");
    change(t, &w.olle, sub, json!({"email": "bad"}))
        .await
        .problem(404, "not_found");
    assert!(events_of(t, &w.bo, sub, "contact.changed").await.is_empty());
    assert_eq!(
        t.line_json(&w.bo, sub).await["provisioning_contact"]["email"],
        "kim@kund.test"
    );

    // Permitted: the ordering contact, the distributor with can_resend, an agent; locale too.
    let line = change(
        t,
        &w.pia,
        sub,
        json!({"email": "a@kund.test", "locale": "en"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(line["locale"], "en");
    change(t, &w.dana, sub, json!({"email": "b@kund.test"}))
        .await
        .ok(200);
    let line = change(
        t,
        &w.agent,
        sub,
        json!({"email": "c@kund.test", "locale": "sv"}),
    )
    .await
    .ok(200)
    .clone();
    assert_eq!(line["provisioning_contact"]["email"], "c@kund.test");
    assert_eq!(line["locale"], "sv");
    let changed = events_of(t, &w.bo, sub, "contact.changed").await;
    let hops: Vec<_> = changed
        .iter()
        .map(|e| {
            format!(
                "{} -> {}",
                e["data"]["from"].as_str().unwrap(),
                e["data"]["to"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        hops,
        [
            "kim@kund.test -> a@kund.test",
            "a@kund.test -> b@kund.test",
            "b@kund.test -> c@kund.test"
        ]
    );
    assert_eq!(
        t.line_json(&w.bo, other).await["provisioning_contact"]["email"],
        "lo@kund.test"
    );

    // Past the point of no return.
    t.post(
        &format!("/api/v1/lines/{sub}/onboarding"),
        &w.agent,
        json!({"organization_name": "X"}),
    )
    .await
    .ok(200);
    let late = change(t, &w.bo, sub, new_contact()).await;
    let body = late.problem(409, "past_point_of_no_return");
    assert!(body.get("admin_portal_url").is_some(), "{body}");
    assert_eq!(
        t.line_json(&w.bo, sub).await["provisioning_contact"]["email"],
        "c@kund.test"
    );
    let refused = events_of(t, &w.bo, sub, "resend.refused").await;
    let codes: Vec<_> = refused.iter().map(|e| e["data"]["code"].clone()).collect();
    assert_eq!(
        codes,
        [json!("permission_denied"), json!("past_point_of_no_return")]
    );
}

#[tokio::test]
async fn the_same_address_in_another_case_changes_nothing() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let sub = w.line_due_today("W209", "kim@kund.test").await;
    t.email_in_state(&w.bo, &sub, "sent").await;
    let link = peer.wait_for(1).await[0].setup_link();
    let events_before = t.event_types(&w.bo, &sub).await;

    let line = change(t, &w.bo, &sub, json!({"email": "Kim@KUND.test"}))
        .await
        .ok(200)
        .clone();
    assert_eq!(line["provisioning_contact"]["email"], "kim@kund.test");
    assert_eq!(open_link(t, &link).await, 200, "the link still works");
    assert_eq!(t.emails(&w.bo, &sub).await.len(), 1, "no email");
    assert_eq!(t.event_types(&w.bo, &sub).await, events_before);
    // A real change afterwards still works as before.
    change(t, &w.bo, &sub, new_contact()).await.ok(200);
    assert_eq!(open_link(t, &link).await, 410);
}
