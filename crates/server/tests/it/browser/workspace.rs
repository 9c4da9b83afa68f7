//! The web workspace (SPEC §5, the page words of §8) in a real browser, against a server that
//! sends through a real SMTP peer: signing in, the orders list and its search, the order page,
//! Resend with its dialog (Yes, No, without JavaScript, without permission, after the point of
//! no return), a closed line that leads to Subscriptions, Edit contact for all lines, the bulk
//! resend, the Swedish pages and the Provisioning help page. Orders are placed through the API
//! as the other tests do; the people act through the pages.

use reqwest::redirect::Policy;
use serde_json::json;

use super::*;
use crate::helpers::*;
use crate::lifecycle::{DAY, line_when, refs};
use crate::smtp::SmtpPeer;

/// The sign-in password every user of these tests gets.
const PASSWORD: &str = "browser tests' password 1";

/// A world with a real SMTP peer whose Acme users (Pia who orders, Bo who may resend, Cy who
/// may not) have sign-in passwords.
async fn world() -> (World, SmtpPeer) {
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
async fn emailed_order(
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
async fn onboard(w: &World, sub: &str) {
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
async fn lapse(w: &World, sub: &str) {
    w.t.advance(7 * DAY + 60).await;
    line_when(&w.t, &w.pia, sub, "closed", |l| l["status"] == "closed").await;
}

/// An English browser with JavaScript, signed in as `email`.
async fn signed_in(w: &World, email: &str) -> Browser {
    let b = Browser::start(&w.t.base).await;
    b.sign_in(email, PASSWORD).await;
    b
}

/// Opens an order as a person does: the orders list at `/`, its search, the link named by the
/// web order id; waits for the order page (its main heading names the id).
async fn open_order(b: &Browser, web_id: &str) {
    b.goto("/").await;
    let page = b.page();
    page.fill_and_enter(b.words().search, web_id).await;
    page.follow(web_id).await;
    b.wait_for_heading(web_id).await;
}

fn resent(to: &str) -> String {
    format!("The provisioning email was resent to {to}.")
}

fn question(to: &str) -> String {
    format!("Resend the provisioning email to {to}?")
}

/// How many emails the service queued for the line (the API's list), as Bo sees it.
async fn queued(w: &World, sub: &str) -> usize {
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
    b.wait_for_heading("Orders").await;
    for nav in ["Orders", "Subscriptions", "Provisioning help"] {
        page.link(nav).await;
    }
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
async fn resend_then_yes_sends_a_new_email_and_says_so() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-3", "en", &["kim@kund.test"]).await;
    let sub = &subs[0];
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-3").await;

    b.row(sub).press("Resend").await;
    let dialog = b.dialog().await;
    dialog.wait_for_text(&question("kim@kund.test")).await;
    dialog.press("Yes").await;
    b.body().wait_for_text(&resent("kim@kund.test")).await;
    b.wait_for_status(&resent("kim@kund.test")).await;

    let got = peer.wait_for(2).await;
    assert_eq!(got[1].to, ["kim@kund.test"]);
    assert!(
        got[1].subject().contains(sub.as_str()),
        "{}",
        got[1].subject()
    );
    let email = w.t.email_in_state(&w.bo, sub, "sent").await;
    assert_eq!(email["kind"], "resend", "{email}");
    assert_eq!(queued(&w, sub).await, 2);
}

#[tokio::test]
async fn resend_then_no_sends_nothing_and_gives_the_focus_back() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-4", "en", &["kim@kund.test"]).await;
    let sub = &subs[0];
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-4").await;

    let row = b.row(sub);
    row.press("Resend").await;
    let dialog = b.dialog().await;
    dialog.wait_for_text(&question("kim@kund.test")).await;
    dialog.press("No").await;
    b.no_dialog().await;
    let resend = row.button("Resend").await;
    b.wait_for_focus_on(&resend, "the row's Resend button")
        .await;
    assert_eq!(queued(&w, sub).await, 1, "No queued an email");

    // A following action that does send: exactly its one email comes after the first.
    row.press("Resend").await;
    b.dialog().await.press("Yes").await;
    b.wait_for_status(&resent("kim@kund.test")).await;
    let email = w.t.email_in_state(&w.bo, sub, "sent").await;
    assert_eq!(email["kind"], "resend", "{email}");
    assert_eq!(queued(&w, sub).await, 2);
    peer.wait_for(2).await;
    assert_eq!(peer.received().len(), 2, "one email besides the first");
}

#[tokio::test]
async fn without_javascript_resend_is_a_confirmation_page() {
    let (w, peer) = world().await;
    let subs = emailed_order(
        &w,
        &peer,
        "W-BR-5",
        "en",
        &["kim@kund.test", "ann@kund.test"],
    )
    .await;
    let b = Browser::start_with(&w.t.base, Options::without_javascript()).await;
    b.sign_in("bo@acme.test", PASSWORD).await;
    open_order(&b, "W-BR-5").await;
    let order_page = b.path().await;

    // Yes: sent, and back on the order page with the message.
    b.row(&subs[0]).press("Resend").await;
    b.wait_for_path(&format!("/lines/{}/resend", subs[0])).await;
    let page = b.page();
    page.wait_for_text(&question("kim@kund.test")).await;
    page.button("No").await;
    page.press("Yes").await;
    b.wait_for_path(&order_page).await;
    b.body().wait_for_text(&resent("kim@kund.test")).await;
    let got = peer.wait_for(3).await;
    assert_eq!(got[2].to, ["kim@kund.test"]);

    // No: back on the order page, nothing sent.
    b.row(&subs[1]).press("Resend").await;
    b.wait_for_path(&format!("/lines/{}/resend", subs[1])).await;
    page.wait_for_text(&question("ann@kund.test")).await;
    page.press("No").await;
    b.wait_for_path(&order_page).await;
    b.row(&subs[1]).button("Resend").await;
    assert_eq!(queued(&w, &subs[1]).await, 1, "No queued an email");
    assert_eq!(peer.received().len(), 3);
}

#[tokio::test]
async fn without_permission_resend_is_disabled_and_names_the_ordering_contact() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-6", "en", &["kim@kund.test"]).await;
    let b = signed_in(&w, "cy@acme.test").await;
    open_order(&b, "W-BR-6").await;

    let row = b.row(&subs[0]);
    let resend = row.button("Resend").await;
    assert!(
        !resend.is_enabled().await.unwrap(),
        "Cy's Resend button is disabled"
    );
    let text = row.wait_for_text("Pia Partner").await;
    assert!(text.contains("pia@acme.test"), "{text}");
    assert_eq!(queued(&w, &subs[0]).await, 1);
}

#[tokio::test]
async fn after_the_point_of_no_return_resend_points_to_the_admin_portal() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-7", "en", &["kim@kund.test"]).await;
    onboard(&w, &subs[0]).await;
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-7").await;

    b.row(&subs[0]).press("Resend").await;
    let dialog = b.dialog().await;
    let hrefs = dialog.hrefs().await;
    assert!(
        hrefs.iter().any(|h| h.starts_with(ADMIN_PORTAL)),
        "a link to {ADMIN_PORTAL} in the dialog: {hrefs:?}\n{}",
        dialog.text().await
    );
    assert_eq!(queued(&w, &subs[0]).await, 1, "nothing queued after PONR");
    assert_eq!(peer.received().len(), 1);
}

#[tokio::test]
async fn a_closed_line_in_progress_leads_to_subscriptions_with_the_same_resend() {
    let (w, peer) = world().await;
    let subs = emailed_order(&w, &peer, "W-BR-8", "en", &["kim@kund.test"]).await;
    let sub = &subs[0];
    lapse(&w, sub).await;
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-8").await;

    let row = b.row(sub);
    row.wait_for_text("Provisioning is still in progress.")
        .await;
    row.follow("Click here").await;
    b.wait_for_heading("Subscriptions").await;
    assert_eq!(b.path().await, format!("/subscriptions?q={sub}"));

    let row = b.row(sub);
    row.press("Resend").await;
    let dialog = b.dialog().await;
    dialog.wait_for_text(&question("kim@kund.test")).await;
    dialog.press("Yes").await;
    b.wait_for_status(&resent("kim@kund.test")).await;
    let got = peer.wait_for(2).await;
    assert_eq!(got[1].to, ["kim@kund.test"]);
    let l = w.t.line_json(&w.bo, sub).await;
    assert_eq!(l["status"], "closed", "a resend does not reopen: {l}");
}

#[tokio::test]
async fn edit_contact_for_all_lines_sends_to_the_new_address() {
    let (w, peer) = world().await;
    let subs = emailed_order(
        &w,
        &peer,
        "W-BR-9",
        "en",
        &["kim@kund.test", "ann@kund.test"],
    )
    .await;
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-9").await;

    b.row(&subs[0]).press("Edit contact").await;
    let dialog = b.dialog().await;
    dialog.field("Name").await;
    dialog.button("Cancel").await;
    dialog.fill("Email", "new@kund.test").await;
    dialog.tick("Apply to all lines").await;
    dialog.press("Save and send").await;
    // The page says so (for several lines: "The provisioning contact of 2 lines was updated to
    // …"), and so does each row, which shows the new address.
    b.body()
        .wait_for_text_that("that the contact was updated to new@kund.test", |t| {
            t.contains("The provisioning contact") && t.contains("updated to new@kund.test")
        })
        .await;
    for sub in &subs {
        let row = b.row(sub);
        row.wait_for_text("The provisioning contact was updated to new@kund.test")
            .await;
        row.button("Resend provisioning email to new@kund.test")
            .await;
    }

    let got = peer.wait_for(4).await;
    let mut to: Vec<&str> = got[2..].iter().map(|r| r.to[0].as_str()).collect();
    to.sort_unstable();
    assert_eq!(to, ["new@kund.test", "new@kund.test"]);
    for sub in &subs {
        let email = w.t.email_in_state(&w.bo, sub, "sent").await;
        assert_eq!(email["kind"], "contact_changed", "{email}");
        assert_eq!(email["to"], "new@kund.test", "{email}");
    }
}

#[tokio::test]
async fn resend_selected_gives_each_row_its_own_result() {
    let (w, peer) = world().await;
    let subs = emailed_order(
        &w,
        &peer,
        "W-BR-10",
        "en",
        &["kim@kund.test", "ann@kund.test"],
    )
    .await;
    let b = signed_in(&w, "bo@acme.test").await;
    open_order(&b, "W-BR-10").await;
    // While the page is open, the customer onboards the second line (past the PONR). (A line
    // already past it when the page was made cannot be selected.)
    onboard(&w, &subs[1]).await;

    for sub in &subs {
        b.row(sub).tick(&format!("Select {sub}")).await;
    }
    b.page().press("Resend selected").await;
    // Each row its own result (after a confirmation, should the page ask for one).
    let first = b.row(&subs[0]);
    b.wait("the first row to say it was resent", || async {
        let text = first.try_text().await?;
        if text.to_lowercase().contains("resent to kim@kund.test") {
            return Ok(());
        }
        if let Ok(yes) = b.any_dialog().try_find(Role::Button, "Yes").await {
            yes.click().await.map_err(|e| e.to_string())?;
        }
        Err(format!("it says {text:?}"))
    })
    .await;
    let second = b
        .row(&subs[1])
        .wait_for_text_that("a refusal that names the admin portal", |t| {
            t.to_lowercase().contains("admin portal") || t.contains(ADMIN_PORTAL)
        })
        .await;
    assert!(
        !second.to_lowercase().contains("resent to"),
        "the line past PONR was not resent: {second}"
    );

    let email = w.t.email_in_state(&w.bo, &subs[0], "sent").await;
    assert_eq!(email["kind"], "resend", "{email}");
    assert_eq!(
        queued(&w, &subs[1]).await,
        1,
        "nothing for the line past PONR"
    );
    let got = peer.wait_for(3).await;
    assert_eq!(got[2].to, ["kim@kund.test"]);
    assert_eq!(peer.received().len(), 3);
}

#[tokio::test]
async fn every_filter_of_the_orders_list_is_found_by_its_label() {
    let (w, peer) = world().await;
    emailed_order(&w, &peer, "W-BR-12", "en", &["kim@kund.test"]).await;
    let b = signed_in(&w, "bo@acme.test").await;
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
    b.wait_for_heading("Beställningar").await;
    for nav in [
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
