//! The provisioning contact's setup page (R7) in a real browser: the link of the email the SMTP
//! peer received, the form filled and sent as a person does it, in the line's language.

use super::*;
use crate::helpers::*;

/// A world with SMTP and one line due today for `contact`, emailed; its ref and setup link.
async fn emailed(web_id: &str, locale: &str) -> (World, crate::smtp::SmtpPeer, String, String) {
    let (w, peer) = World::with_smtp().await;
    let order = w
        .order_lines(web_id, locale, vec![line("kim@kund.test", &w.t.today())])
        .await;
    let sub = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let link = peer.wait_for(1).await[0].setup_link();
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    (w, peer, sub, link)
}

#[tokio::test]
async fn the_contact_sets_up_the_service_from_the_emailed_link() {
    let (w, _peer, sub, link) = emailed("W-BS-1", "en").await;
    let b = Browser::start(&w.t.base).await;
    b.goto(&link).await;
    let page = b.page();
    page.wait_for_text(&sub).await;
    page.fill("Organization name", "Kund AB Org").await;
    page.press("Set up your service").await;
    let done = b.wait_for_text("Your service is set up").await;
    assert!(done.contains("Kund AB Org"), "{done}");

    let line = w.t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "onboarded");
    assert_eq!(line["organization"]["name"], "Kund AB Org");
    // The spent link now says so.
    b.goto(&link).await;
    b.wait_for_text("already been used").await;
    page.absent(Role::Button, "Set up your service").await;
}

#[tokio::test]
async fn a_swedish_line_is_set_up_in_swedish() {
    let (w, _peer, sub, link) = emailed("W-BS-2", "sv").await;
    let b = Browser::start_with(&w.t.base, Options::swedish()).await;
    b.goto(&link).await;
    let page = b.page();
    page.fill("Organisationens namn", "Kund AB Org").await;
    page.press("Konfigurera din tjänst").await;
    let done = b.wait_for_text("Din tjänst är konfigurerad").await;
    assert!(done.contains("Kund AB Org"), "{done}");
    let line = w.t.line_json(&w.pia, &sub).await;
    assert_eq!(line["stage"], "onboarded");
}
