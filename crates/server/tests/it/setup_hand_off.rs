//! The setup page's hand-off and fresh link (SPEC §10), over plain HTTP as a browser without
//! JavaScript posts them: "Someone else in my company will set this up" re-addresses the line
//! to a colleague under R4 (old links die, the colleague is emailed, the ordering contact gets
//! a notice saying by whom); "Send me a fresh link" from a used or re-addressed link resends
//! to the line's current contact only, counts towards the hourly limit, is audited when it
//! goes, and answers the same whatever happened.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::smtp::{Received, SmtpPeer};
use crate::web::{Visitor, with_passwords};

/// A world with SMTP and one English line for kim@kund.test, emailed; its ref and link.
async fn emailed(web_id: &str) -> (World, SmtpPeer, String, String) {
    let (w, peer) = World::with_smtp().await;
    let sub = w.line_due_today(web_id, "kim@kund.test").await;
    let link = peer.wait_for(1).await[0].setup_link();
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    (w, peer, sub, link)
}

async fn post(t: &TestApp, url: &str, form: &[(&str, &str)]) -> Reply {
    TestApp::reply(t.http.post(url).form(form)).await
}

#[track_caller]
fn page(reply: &Reply, status: u16) -> &str {
    assert_eq!(reply.status.as_u16(), status, "{}", reply.text);
    assert!(
        reply.content_type().starts_with("text/html"),
        "{}",
        reply.text
    );
    &reply.text
}

fn to(m: &Received) -> &str {
    m.to[0].as_str()
}

async fn events_of(w: &World, sub: &str) -> Vec<Value> {
    let events =
        w.t.get(&format!("/api/v1/lines/{sub}/events"), &w.pia)
            .await
            .ok(200)
            .clone();
    events["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn the_contact_hands_the_setup_off_to_a_colleague() {
    let (w, peer, sub, link) = emailed("W-HO1").await;
    let t = &w.t;
    let form = [
        ("choice", "colleague"),
        ("organization_name", ""),
        ("colleague_email", "Lo@Kund.test"),
    ];
    let done = post(t, &link, &form).await;
    let text = page(&done, 200);
    assert!(
        text.contains("Your colleague has the setup email"),
        "{text}"
    );
    assert!(text.contains("lo@kund.test"), "{text}");

    // The colleague gets a setup email with a live link; the ordering contact a notice.
    let mail = peer.wait_for(3).await;
    let colleague = mail.iter().find(|m| to(m) == "lo@kund.test").unwrap();
    let notice = mail.iter().find(|m| to(m) == "pia@acme.test").unwrap();
    assert!(
        colleague
            .subject()
            .contains("You are now the provisioning contact")
    );
    assert!(
        notice.subject().contains("Setup handed off to a colleague"),
        "{}",
        notice.subject()
    );
    let body = notice.text_body().replace("\r\n", "\n");
    assert!(
        body.contains("kim@kund.test") && body.contains("lo@kund.test"),
        "{body}"
    );
    assert!(body.contains(&sub), "{body}");
    assert!(
        !body.contains("/setup/"),
        "a notice carries no setup link: {body}"
    );
    // The colleague learns whose request it is (issue 19, point 7).
    let asked = colleague.text_body();
    assert!(
        asked.contains("kim@kund.test asked you to set up the service"),
        "{asked}"
    );
    // The notice links the line in the workspace and has the provisioning emails' footer.
    let line_url = format!("{}/orders/W-HO1?line={sub}#line-{sub}", t.base);
    assert!(body.lines().any(|l| l == line_url), "{line_url} in {body}");
    assert!(
        body.contains("\n-- \nSent by provisio on behalf of Acme"),
        "{body}"
    );

    // The line is re-addressed; its last email is the colleague's, not the notice.
    t.until("both emails sent", || async {
        let items = t.emails(&w.pia, &sub).await;
        (items.len() == 3 && items.iter().all(|e| e["state"] == "sent")).then_some(items)
    })
    .await;
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["provisioning_contact"]["email"], "lo@kund.test");
    assert_eq!(line["last_email"]["kind"], "contact_changed");
    assert_eq!(line["stage"], "awaiting_provisioning");

    // The audit says it was the contact, from the setup page.
    let events = events_of(&w, &sub).await;
    let changed = events
        .iter()
        .find(|e| e["type"] == "contact.changed")
        .unwrap();
    assert_eq!(changed["data"]["from"], "kim@kund.test");
    assert_eq!(changed["data"]["to"], "lo@kund.test");
    assert_eq!(changed["data"]["via"], "setup_link");
    assert!(changed["actor"].is_null());

    // The notice's link opens the order page at the line, for the ordering contact.
    with_passwords(t, &["pia@acme.test"]).await;
    let mut pia = Visitor::new(t);
    pia.sign_in("pia@acme.test").await;
    let order = pia.get(line_url.trim_start_matches(&t.base)).await;
    assert_eq!(order.status.as_u16(), 200, "{}", order.body);
    assert!(order.has(&format!("id=\"line-{sub}\"")), "{}", order.body);

    // Kim's link is dead and says so; the colleague's works.
    let old = TestApp::reply(t.http.get(&link)).await;
    assert!(page(&old, 410).contains("Send me a fresh link"));
    let new = TestApp::reply(t.http.get(colleague.setup_link())).await;
    assert!(page(&new, 200).contains("Organization name"));
}

#[tokio::test]
async fn a_bad_or_own_colleague_address_is_refused_and_nothing_changes() {
    let (w, peer, sub, link) = emailed("W-HO2").await;
    let t = &w.t;
    for (address, says) in [
        ("", "Enter your colleague&#39;s email address."),
        ("not-an-address", "not a valid email address"),
        (
            "KIM@kund.test",
            "that is the address this email was sent to",
        ),
    ] {
        let form = [("choice", "colleague"), ("colleague_email", address)];
        let refused = post(t, &link, &form).await;
        let text = page(&refused, 422);
        assert!(text.contains(says), "{says:?} in {text}");
        assert!(text.contains("aria-invalid=\"true\""), "{text}");
        // The choice stays made, so the contact corrects the address only.
        assert!(text.contains("value=\"colleague\" checked"), "{text}");
    }
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["provisioning_contact"]["email"], "kim@kund.test");
    assert_eq!(peer.received().len(), 1);
    // Only a colleague's address filled in (no radio chosen) hands off too.
    let form = [
        ("organization_name", ""),
        ("colleague_email", "lo@kund.test"),
    ];
    page(&post(t, &link, &form).await, 200);
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["provisioning_contact"]["email"], "lo@kund.test");
}

#[tokio::test]
async fn a_fresh_link_goes_to_the_current_contact_only_and_says_the_same_every_time() {
    let (w, peer, sub, link) = emailed("W-FL1").await;
    let t = &w.t;
    // Re-addressed by the partner: Kim's link no longer opens the form.
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    let body = serde_json::json!({"email": "lo@kund.test"});
    t.send(Method::PUT, &path, Some(&w.pia), Some(body))
        .await
        .ok(200);
    peer.wait_for(2).await;
    let gone = TestApp::reply(t.http.get(&link)).await;
    let text = page(&gone, 410);
    assert!(text.contains("Send me a fresh link"), "{text}");
    assert!(
        text.contains(&format!(
            "action=\"{}/fresh-link\"",
            link.trim_start_matches(&t.base)
        )),
        "{text}"
    );

    let asked = post(t, &format!("{link}/fresh-link"), &[]).await;
    let answer = page(&asked, 200).to_owned();
    assert!(
        answer.contains("If the subscription can still be set up"),
        "{answer}"
    );
    assert!(!answer.contains("lo@kund.test"), "names nobody: {answer}");
    let mail = peer.wait_for(3).await;
    assert_eq!(to(&mail[2]), "lo@kund.test", "never to the old address");
    assert!(
        mail.iter()
            .all(|m| to(m) != "kim@kund.test" || m.subject().starts_with("Provisioning"))
    );
    let events = events_of(&w, &sub).await;
    let asked_event = events
        .iter()
        .find(|e| e["type"] == "resend.requested")
        .unwrap();
    assert_eq!(asked_event["data"]["via"], "setup_link");
    assert_eq!(asked_event["data"]["to"], "lo@kund.test");
    assert!(asked_event["actor"].is_null());

    // It has its own hourly limit (SPEC §11): after 3 fresh links no more go out, and the
    // page answers the same.
    for _ in 0..6 {
        t.advance(6).await; // past the 5-second double-click window
        let again = post(t, &format!("{link}/fresh-link"), &[]).await;
        assert_eq!(page(&again, 200), answer);
    }
    t.until("the limited resends sent", || async {
        let resends = t
            .emails(&w.pia, &sub)
            .await
            .iter()
            .filter(|e| e["kind"] == "resend")
            .count();
        (resends == 3).then_some(())
    })
    .await;
    // Each resend that went is audited; a refusal nobody learns of writes nothing (SPEC §9),
    // so posting an old link in a loop adds no events.
    let events = events_of(&w, &sub).await;
    let requested = events
        .iter()
        .filter(|e| e["type"] == "resend.requested" && e["data"]["via"] == "setup_link")
        .count();
    assert_eq!(requested, 3);
    assert!(events.iter().all(|e| e["type"] != "resend.refused"));
    // The partner's own five resends of the hour are untouched by the setup page's three.
    let resent = t
        .post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
        .await;
    resent.ok(202);
}

#[tokio::test]
async fn after_onboarding_a_fresh_link_sends_nothing_and_unknown_links_are_404() {
    let (w, peer, sub, link) = emailed("W-FL2").await;
    let t = &w.t;
    page(
        &post(t, &link, &[("organization_name", "Kund AB Org")]).await,
        200,
    );
    let spent = TestApp::reply(t.http.get(&link)).await;
    // Onboarded: a fresh link could send nothing, so none is offered.
    assert!(!page(&spent, 410).contains("Send me a fresh link"));
    let asked = post(t, &format!("{link}/fresh-link"), &[]).await;
    assert!(page(&asked, 200).contains("If the subscription can still be set up"));
    assert_eq!(t.line_json(&w.pia, &sub).await["stage"], "onboarded");
    let types = w.t.event_types(&w.pia, &sub).await;
    assert!(!types.contains(&"resend.requested".to_owned()), "{types:?}");
    assert!(!types.contains(&"resend.refused".to_owned()), "{types:?}");
    assert_eq!(peer.received().len(), 1);

    let unknown = format!("{}/setup/{}/fresh-link", t.base, "A".repeat(43));
    page(&post(t, &unknown, &[]).await, 404);
    // GET only shows; it never asks.
    let get = TestApp::reply(t.http.get(format!("{link}/fresh-link"))).await;
    assert_eq!(get.status.as_u16(), 405);
}
