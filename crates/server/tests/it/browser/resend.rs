//! Resend in the web workspace in a real browser: its dialog (Yes sends and says so, No sends
//! nothing and gives the focus back), without JavaScript (a confirmation page), without
//! permission (disabled, naming the ordering contact), after the point of no return (the admin
//! portal) and Resend selected (each row its own result). The setup is `workspace`'s.

use super::workspace::{
    PASSWORD, emailed_order, onboard, open_order, question, queued, resent, signed_in, world,
};
use super::*;
use crate::helpers::*;

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
    // A Yes/No question that says how many lines, then each row its own result.
    b.wait_for_heading("Resend the provisioning email of 2 lines?")
        .await;
    b.page().press("Yes").await;
    b.row(&subs[0])
        .wait_for_text_that("the first row to say it was resent", |t| {
            t.to_lowercase().contains("resent to kim@kund.test")
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
