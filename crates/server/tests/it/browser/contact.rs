//! Edit contact in the web workspace in a real browser (for all lines, sent to the new address),
//! and a closed line still in progress, which leads to Subscriptions with the same Resend. The
//! setup is `workspace`'s.

use super::workspace::{emailed_order, lapse, open_order, question, resent, signed_in, world};

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
    // How many lines "Apply to all lines" changes, read when the dialog opens.
    dialog
        .wait_for_text("Changes 2 lines of order W-BR-9: every line not yet set up.")
        .await;
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
