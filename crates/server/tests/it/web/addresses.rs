//! Addresses whose domain mixes scripts (SPEC §11) are accepted, and shown to people in
//! their A-label form with a warning: on the order page (the line's contact and its email
//! history), on the page of an email as sent, and on the setup page's hand-off answer.

use reqwest::StatusCode;

use super::{Visitor, with_passwords};
use crate::helpers::*;

/// `kim@еvil.example` with a Cyrillic `е` (U+0435), and how pages show it.
const EVIL: &str = "kim@\u{0435}vil.example";
const EVIL_SHOWN: &str = "kim@xn--vil-qdd.example";
const WARNING_EN: &str = "Check this address: its domain mixes letters of different alphabets";
const WARNING_SV: &str = "Kontrollera adressen: domänen blandar bokstäver från olika alfabet";

#[tokio::test]
async fn a_look_alike_contact_address_is_shown_as_a_labels_with_a_warning() {
    let w = World::new().await;
    let t = &w.t;
    with_passwords(t, &["pia@acme.test"]).await;
    // Accepted as it is, and emailed.
    let sub = w.line_due_today("W-MIX-1", EVIL).await;
    let line = t.get(&format!("/api/v1/lines/{sub}"), &w.pia).await;
    assert_eq!(line.ok(200)["provisioning_contact"]["email"], EVIL);
    let sent = t.email_in_state(&w.pia, &sub, "sent").await;
    let plain = w.line_due_today("W-MIX-2", "kim@kund.test").await;
    t.email_in_state(&w.pia, &plain, "sent").await;

    let mut pia = Visitor::new(t);
    pia.sign_in("pia@acme.test").await;
    let page = pia.get("/orders/W-MIX-1").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has(&format!(
            "<span class=\"address\">{EVIL_SHOWN}</span><p class=\"notice\">{WARNING_EN}"
        )),
        "{}",
        page.body
    );
    // The line's history says the same of the email sent there.
    let page = pia.get(&format!("/lines/{sub}/history")).await;
    let history = &page.body[page.body.find("<div class=\"history-block\">").unwrap()..];
    assert!(
        history.contains(&format!("<td>The first email to {EVIL_SHOWN}.")),
        "{history}"
    );
    assert!(
        history.contains(&format!("<p class=\"notice\">{WARNING_EN}")),
        "{history}"
    );
    assert!(!history.contains(EVIL), "{history}");
    assert!(
        !page.has(&format!(">{EVIL}")),
        "never shown as text in its look-alike form: {}",
        page.body
    );
    // An ordinary address has no warning.
    let other = pia.get("/orders/W-MIX-2").await;
    assert!(other.has("<span class=\"address\">kim@kund.test</span>"));
    assert!(!other.has(WARNING_EN), "{}", other.body);

    // The email as sent.
    let id = sent["id"].as_str().unwrap();
    let email = pia.get(&format!("/lines/{sub}/emails/{id}")).await;
    assert_eq!(email.status, StatusCode::OK, "{}", email.body);
    assert!(
        email.has(EVIL_SHOWN) && email.has(WARNING_EN),
        "{}",
        email.body
    );
    assert!(!email.has(EVIL), "{}", email.body);

    // In Swedish too.
    let mut sv = Visitor::speaking(t, "sv-SE,sv;q=0.9");
    sv.sign_in("pia@acme.test").await;
    let page = sv.get("/orders/W-MIX-1").await;
    assert!(page.has(WARNING_SV), "{}", page.body);
}

#[tokio::test]
async fn the_setup_page_shows_a_look_alike_colleague_address_as_a_labels_with_a_warning() {
    let (w, peer) = World::with_smtp().await;
    let sub = w.line_due_today("W-MIX-3", "kim@kund.test").await;
    let link = peer.wait_for(1).await[0].setup_link();
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    let colleague = "lo@\u{0435}vil.example";
    let form = [
        ("choice", "colleague"),
        ("organization_name", ""),
        ("colleague_email", colleague),
    ];
    let done = TestApp::reply(w.t.http.post(&link).form(&form)).await;
    assert_eq!(done.status.as_u16(), 200, "{}", done.text);
    assert!(
        done.text.contains("Your colleague has the setup email"),
        "{}",
        done.text
    );
    assert!(
        done.text.contains("lo@xn--vil-qdd.example"),
        "{}",
        done.text
    );
    assert!(done.text.contains(WARNING_EN), "{}", done.text);
    assert!(!done.text.contains(colleague), "{}", done.text);
}
