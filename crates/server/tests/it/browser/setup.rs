//! The provisioning contact's setup page (R7, SPEC §10) in a real browser: onboarding a new
//! organization, picking one set up earlier, handing off to a colleague, asking for a fresh
//! link. The link of the email the SMTP peer received, the form filled and sent as a person
//! does it, in the line's language.

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

#[tokio::test]
async fn the_contact_picks_an_organization_set_up_earlier() {
    let (w, peer, first, link) = emailed("W-BS-3", "en").await;
    let b = Browser::start(&w.t.base).await;
    b.goto(&link).await;
    let page = b.page();
    // With no earlier organization, nothing speaks of picking one.
    page.wait_for_text(&first).await;
    page.absent(Role::Radio, "Use Kund AB Org, which you already administer")
        .await;
    page.fill("Organization name", "Kund AB Org").await;
    page.press("Set up your service").await;
    b.wait_for_text("Your service is set up").await;
    let org = w.t.line_json(&w.pia, &first).await["organization"].clone();

    let second = w.line_due_today("W-BS-3b", "kim@kund.test").await;
    let link = peer.wait_for(2).await[1].setup_link();
    w.t.email_in_state(&w.pia, &second, "sent").await;
    b.goto(&link).await;
    page.wait_for_text("Pick an organization you already administer")
        .await;
    page.pick("Use Kund AB Org, which you already administer")
        .await;
    page.press("Set up your service").await;
    b.wait_for_text("Your service is set up").await;
    let line = w.t.line_json(&w.pia, &second).await;
    assert_eq!(line["stage"], "onboarded");
    assert_eq!(line["organization"], org);
}

#[tokio::test]
async fn the_contact_hands_off_to_a_colleague_who_then_asks_for_a_fresh_link() {
    let (w, peer, sub, link) = emailed("W-BS-4", "en").await;
    let b = Browser::start(&w.t.base).await;
    b.goto(&link).await;
    let page = b.page();
    page.pick("Someone else in my company will set this up")
        .await;
    page.fill("Colleague's email", "lo@kund.test").await;
    page.press("Set up your service").await;
    let done = b.wait_for_text("Your colleague has the setup email").await;
    assert!(done.contains("lo@kund.test"), "{done}");

    // The colleague's email arrives, and the ordering contact is told who handed it off.
    let mail = peer.wait_for(3).await;
    let to = |who: &str| mail.iter().find(|m| m.to[0] == who).cloned();
    let colleague = to("lo@kund.test").expect("the colleague's email");
    let notice = to("pia@acme.test").expect("the ordering contact's notice");
    assert!(notice.text_body().contains("kim@kund.test"));
    assert_eq!(
        w.t.line_json(&w.pia, &sub).await["provisioning_contact"]["email"],
        "lo@kund.test"
    );

    // The old link shows the re-addressed page; a fresh link goes to the colleague.
    b.goto(&link).await;
    b.wait_for_text("This link no longer works").await;
    page.absent(Role::Button, "Set up your service").await;
    page.press("Send me a fresh link").await;
    b.wait_for_text("If the subscription can still be set up")
        .await;
    let fresh = peer.wait_for(4).await.remove(3);
    assert_eq!(fresh.to, ["lo@kund.test"]);
    assert_ne!(fresh.setup_link(), colleague.setup_link());

    // And the colleague sets the service up with it.
    b.goto(&fresh.setup_link()).await;
    page.fill("Organization name", "Lo Org").await;
    page.press("Set up your service").await;
    b.wait_for_text("Your service is set up").await;
    assert_eq!(w.t.line_json(&w.pia, &sub).await["stage"], "onboarded");
}
