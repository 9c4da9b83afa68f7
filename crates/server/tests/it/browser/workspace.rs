//! The web workspace (SPEC §5, the page words of §8) in a real browser, against a server that
//! sends through a real SMTP peer: signing in, the orders list with its search and its filters,
//! an order page's controls, the Swedish pages and the Provisioning help page. Here too is the
//! setup the workspace tests share (with `resend` and `contact`): Acme's users with sign-in
//! passwords, orders placed through the API as the other tests do and emailed, a browser signed
//! in, an order opened as a person does it; the people act through the pages.

use reqwest::redirect::Policy;
use serde_json::json;

use super::*;
use crate::helpers::*;
use crate::lifecycle::{DAY, line_when, refs};
use crate::smtp::SmtpPeer;

/// The sign-in password every user of these tests gets.
pub(super) const PASSWORD: &str = "browser tests' password 1";

/// A world with a real SMTP peer whose Acme users (Pia who orders, Bo who may resend, Cy who
/// may not) have sign-in passwords.
pub(super) async fn world() -> (World, SmtpPeer) {
    let (w, peer) = World::with_smtp().await;
    with_passwords(&w).await;
    (w, peer)
}

async fn with_passwords(w: &World) {
    for email in ["pia@acme.test", "bo@acme.test", "cy@acme.test"] {
        w.t.set_password(email, PASSWORD).await;
    }
}

/// Pia orders one line due today per contact; waits until each first email is sent; the refs.
pub(super) async fn emailed_order(
    w: &World,
    peer: &SmtpPeer,
    web_id: &str,
    locale: &str,
    contacts: &[&str],
) -> Vec<String> {
    let before = peer.received().len();
    let today = w.t.today();
    let lines = contacts.iter().map(|c| line(c, &today)).collect();
    let subs = refs(&w.order_lines(web_id, locale, lines).await);
    peer.wait_for(before + contacts.len()).await;
    for sub in &subs {
        w.t.email_in_state(&w.pia, sub, "sent").await;
    }
    subs
}

/// Onboards the line through the API as the admin portal's integration (past the PONR).
pub(super) async fn onboard(w: &World, sub: &str) {
    let path = format!("/api/v1/lines/{sub}/onboarding");
    w.t.post(
        &path,
        &w.portal,
        json!({"organization_name": "Kund AB Org"}),
    )
    .await
    .ok(200);
}

/// Advances the test clock past the 7-day window of the (A-FLEX) line; waits until it closed.
pub(super) async fn lapse(w: &World, sub: &str) {
    w.t.advance(7 * DAY + 60).await;
    line_when(&w.t, &w.pia, sub, "closed", |l| l["status"] == "closed").await;
}

/// An English browser with JavaScript, signed in as `email`.
pub(super) async fn signed_in(w: &World, email: &str) -> Browser {
    let b = Browser::start(&w.t.base).await;
    b.sign_in(email, PASSWORD).await;
    b
}

/// Opens an order as a person does: the orders list at `/orders`, its search, the link named
/// by the web order id; waits for the order page (its main heading names the id).
pub(super) async fn open_order(b: &Browser, web_id: &str) {
    b.goto("/orders").await;
    let page = b.page();
    page.fill_and_enter(b.words().search, web_id).await;
    page.follow(web_id).await;
    b.wait_for_heading(web_id).await;
}

pub(super) fn resent(to: &str) -> String {
    format!("The provisioning email was resent to {to}.")
}

pub(super) fn question(to: &str) -> String {
    format!("Resend the provisioning email to {to}?")
}

/// How many emails the service queued for the line (the API's list), as Bo sees it.
pub(super) async fn queued(w: &World, sub: &str) -> usize {
    w.t.emails(&w.bo, sub).await.len()
}

#[tokio::test]
async fn signing_in_at_the_root_shows_the_orders_and_the_search_finds_one() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-1", "en", &["kim@kund.test"]).await;
    emailed_order(&w, &peer, "W-BR-2", "en", &["ann@kund.test"]).await;
    let b = Browser::start(&w.t.base).await;
    b.goto("/").await;
    let page = b.page();
    // Signed out, `/` is the sign-in form.
    page.field("Email").await;
    page.field("Password").await;
    page.button("Sign in").await;

    b.sign_in("bo@acme.test", PASSWORD).await;
    assert_eq!(b.path().await, "/");
    b.wait_for_heading("Needs attention").await;
    for nav in ["Needs attention", "Subscriptions", "Provisioning help"] {
        page.link(nav).await;
    }
    page.follow("Orders").await;
    b.wait_for_heading("Orders").await;
    page.link("W-BR-1").await;
    page.link("W-BR-2").await;

    page.fill_and_enter("Search", "W-BR-1").await;
    page.absent(Role::Link, "W-BR-2").await;
    assert!(b.path().await.contains("q=W-BR-1"), "{}", b.path().await);
    page.follow("W-BR-1").await;
    assert!(b.wait_for_heading("W-BR-1").await.contains("W-BR-1"));
    assert!(b.path().await.starts_with("/orders/"), "{}", b.path().await);
    let row = b.row(&subs[0]);
    row.wait_for_text("kim@kund.test").await;
    row.button("Resend provisioning email to kim@kund.test")
        .await;
    row.button("Edit contact").await;
    row.checkbox(&format!("Select {}", subs[0])).await;
    page.button("Resend selected").await;

    page.press("Sign out").await;
    page.field("Password").await;
}

#[tokio::test]
async fn every_filter_of_the_orders_list_is_found_by_its_label() {
    let (w, peer) = world().await;
    emailed_order(&w, &peer, "W-BR-12", "en", &["kim@kund.test"]).await;
    let b = signed_in(&w, "bo@acme.test").await;
    b.goto("/orders").await;
    b.wait_for_heading("Orders").await;
    let page = b.page();
    for label in ["Search", "Stage", "Status"] {
        page.field(label).await;
    }
}

#[tokio::test]
async fn a_swedish_browser_gets_the_swedish_pages() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-11", "sv", &["kim@kund.test"]).await;
    let sub = &subs[0];
    lapse(&w, sub).await;
    let b = Browser::start_with(&w.t.base, Options::swedish()).await;
    b.goto("/").await;
    let page = b.page();
    page.field("E-post").await;
    page.field("Lösenord").await;
    page.button("Logga in").await;
    b.sign_in("bo@acme.test", PASSWORD).await;
    // The lapsed line needs attention: closed, not set up.
    b.wait_for_heading("Behöver åtgärd").await;
    b.page().wait_for_text("Stängd, inte etablerad (1)").await;
    b.row(sub).button("Skicka igen").await;
    for nav in [
        "Behöver åtgärd",
        "Beställningar",
        "Moln/SaaS-prenumerationer",
        "Provisioneringshjälp",
    ] {
        page.link(nav).await;
    }

    open_order(&b, "W-BR-11").await;
    let row = b.row(sub);
    row.wait_for_text("Etableringen pågår fortfarande.").await;
    row.link("Klicka här").await;
    row.press("Skicka igen").await;
    let dialog = b.dialog().await;
    dialog.button("Ja").await;
    dialog.press("Nej").await;
    b.no_dialog().await;
    row.press("Skicka igen").await;
    b.dialog().await.press("Ja").await;
    b.wait_for_status("E-postmeddelandet skickades igen till kim@kund.test.")
        .await;
    let got = peer.wait_for(2).await;
    assert_eq!(got[1].to, ["kim@kund.test"]);

    b.row(sub).follow("Klicka här").await;
    b.wait_for_heading("Moln/SaaS-prenumerationer").await;
    b.row(sub).button("Skicka igen").await;
    page.follow("Provisioneringshjälp").await;
    b.wait_for_heading("Provisioneringshjälp").await;
    page.link("Öppna ett ärende").await;
}

#[tokio::test]
async fn provisioning_help_lists_the_sender_and_opens_a_case() {
    let (w, _peer) = World::with_smtp_and(|c| {
        c.mail_from =
            provisio::config::Sender::parse("Provisio <noreply@provisio.example>").unwrap();
    })
    .await;
    with_passwords(&w).await;
    let b = signed_in(&w, "bo@acme.test").await;

    b.page().follow("Provisioning help").await;
    b.wait_for_heading("Provisioning help").await;
    b.wait_for_text("noreply@provisio.example").await;
    let href = b.page().href("Open a case").await;
    assert!(href.contains("/cases/new"), "{href}");
    // What the link answers the signed-in user (not a redirect, not a 404).
    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let cookie = b.cookie_header().await;
    let answer = TestApp::reply(http.get(&href).header("cookie", cookie)).await;
    assert_eq!(answer.status.as_u16(), 200, "{href}: {}", answer.text);
    assert!(answer.content_type().starts_with("text/html"), "{href}");

    b.page().follow("Open a case").await;
    b.wait_for_path("/cases/new").await;
}
