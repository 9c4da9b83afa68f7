//! No line is left where nothing will happen and nobody is shown why (issue 18, SPEC §11):
//! the outside probe's scenario through the API with a real SMTP peer that refuses an address
//! with `550`, and the lines that wait for a person say so.

use jiff::civil::Date;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::{Answer, Received};
use crate::web::{Visitor, with_passwords};

const DAY: i64 = 86_400;

fn days_from(today: &str, days: i64) -> String {
    let date: Date = today.parse().unwrap();
    date.checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

fn to(m: &Received) -> String {
    m.header("To").unwrap_or_default()
}

/// A line with its RSD in three days; a permitted user resends early to the contact and the
/// SMTP server answers 550; the ordering contact corrects the address; the RSD comes. The
/// corrected contact gets the first email on the RSD and the line's window starts.
#[tokio::test]
async fn an_early_resend_refused_with_550_then_a_corrected_contact_gets_the_first_email() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("typo@kund.test", Answer::PermFail);
    let rsd = days_from(&t.today(), 3);
    let order = w
        .order_lines("W-LIMBO", "en", vec![line("typo@kund.test", &rsd)])
        .await;
    let sub = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();

    // The early resend goes, and the SMTP server refuses it for good.
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.bo, json!({}))
        .await
        .ok(202);
    let failed = t.email_in_state(&w.pia, &sub, "failed").await;
    assert!(
        failed["last_reply"].as_str().unwrap().starts_with("550"),
        "{failed}"
    );
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "scheduled");
    assert_eq!(line["last_email"]["state"], "failed", "the line shows it");

    // The ordering contact corrects the address: before the RSD, nothing goes yet.
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{sub}/provisioning-contact"),
        Some(&w.pia),
        Some(json!({"email": "kim@kund.test", "name": "Kim"})),
    )
    .await
    .ok(200);
    assert_eq!(t.emails(&w.pia, &sub).await.len(), 1, "not before the RSD");

    // The RSD comes: the first email goes to the corrected contact, and the window starts.
    t.advance(3 * DAY).await;
    // (The refused resend never arrived: the peer counts what it accepted.)
    let mail = peer.wait_for(1).await;
    let first = mail.iter().find(|m| to(m).contains("kim@kund.test"));
    let first = first.expect("the corrected contact got the first email");
    assert!(
        !first.subject().starts_with("Resent"),
        "the words of a first email: {}",
        first.subject()
    );
    let sent = t.email_in_state(&w.pia, &sub, "sent").await;
    assert_eq!(
        (sent["kind"].as_str(), sent["to"].as_str()),
        (Some("initial"), Some("kim@kund.test"))
    );
    let line = t
        .until("the window to start", || async {
            let line = t.line_json(&w.pia, &sub).await;
            (line["stage"] == "awaiting_provisioning").then_some(line)
        })
        .await;
    assert!(line["first_sent_at"].is_string(), "{line}");
    assert!(line["closes_at"].is_string(), "the deadline runs: {line}");
    assert_eq!(line["status"], "open");

    // And the window runs its course: the line closes by policy (A-FLEX: 7 days).
    t.advance(8 * DAY).await;
    t.until("the line to close", || async {
        let line = t.line_json(&w.pia, &sub).await;
        (line["status"] == "closed").then_some(())
    })
    .await;
    let events = t.event_types(&w.pia, &sub).await;
    assert!(events.contains(&"line.closed".to_owned()), "{events:?}");
}

/// The first email on the RSD is refused with 550: the line stays scheduled, is not queued
/// again (a failed initial email waits for a person), and says what to do; a contact change
/// then sends at once.
#[tokio::test]
async fn a_first_email_refused_with_550_waits_for_a_person_and_says_so() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    peer.answer("gone@kund.test", Answer::PermFail);
    let sub = w.line_due_today("W-FAILED", "gone@kund.test").await;
    t.email_in_state(&w.pia, &sub, "failed").await;
    let line = t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "scheduled");
    assert_eq!(line["last_email"]["kind"], "initial");
    assert!(
        line["last_email"]["last_reply"]
            .as_str()
            .unwrap()
            .contains("No such user")
    );
    // Not queued again, however long one waits.
    t.advance(DAY).await;
    t.advance(DAY).await;
    assert_eq!(t.emails(&w.pia, &sub).await.len(), 1);
    assert_eq!(peer.rcpt_attempts("gone@kund.test"), 1);

    // The order page tells a person what to do, next to the reply.
    with_passwords(t, &["pia@acme.test"]).await;
    let mut pia = Visitor::new(t);
    pia.sign_in("pia@acme.test").await;
    let order_page = "/orders/W-FAILED";
    let page = pia.get(order_page).await;
    assert!(
        page.has("The last email could not be delivered: change the contact, or resend."),
        "{}",
        page.body
    );

    // A contact change sends at once (R4: the RSD has passed).
    t.send(
        reqwest::Method::PUT,
        &format!("/api/v1/lines/{sub}/provisioning-contact"),
        Some(&w.pia),
        Some(json!({"email": "here@kund.test"})),
    )
    .await
    .ok(200);
    let mail = peer.wait_for(1).await;
    assert!(to(&mail[0]).contains("here@kund.test"));
    t.email_in_state(&w.pia, &sub, "sent").await;
    let page = pia.get(order_page).await;
    // (The history still tells of the failed email; the row no longer waits.)
    assert!(
        !page.has("The last email could not be delivered"),
        "no longer waiting"
    );
}

/// SPEC §11: a resend before the RSD that the SMTP server accepts is the first send: it reads
/// as a first email (no "Resent:"), its dialog says the deadline starts now, and a later
/// resend reads as a resend.
#[tokio::test]
async fn a_resend_before_the_rsd_reads_as_the_first_email() {
    let (w, peer) = World::with_smtp().await;
    let t = &w.t;
    let rsd = days_from(&t.today(), 3);
    w.order_lines("W-EARLY", "en", vec![line("kim@kund.test", &rsd)])
        .await;
    with_passwords(t, &["pia@acme.test"]).await;
    let mut pia = Visitor::new(t);
    pia.sign_in("pia@acme.test").await;
    let page = pia.get("/orders/W-EARLY").await;
    assert!(
        page.has("It is the first email of this subscription: the deadline starts now"),
        "{}",
        page.body
    );
    let sub = t.get("/api/v1/orders/W-EARLY", &w.pia).await.ok(200)["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
        .await
        .ok(202);
    let first = peer.wait_for(1).await;
    assert!(
        first[0]
            .subject()
            .starts_with("Provisioning information required"),
        "{}",
        first[0].subject()
    );
    t.email_in_state(&w.pia, &sub, "sent").await;
    let page = pia.get("/orders/W-EARLY").await;
    assert!(page.has("The deadline stays as it is."), "{}", page.body);
    t.advance(6).await; // past the double-click window
    t.post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
        .await
        .ok(202);
    let both = peer.wait_for(2).await;
    assert!(
        both[1].subject().starts_with("Resent:"),
        "{}",
        both[1].subject()
    );
}
