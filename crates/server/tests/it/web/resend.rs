//! The resend actions as a browser without JavaScript posts them: Resend (confirm page, Yes /
//! No), the budget, Resend selected; what a row says without permission and after PONR.

use reqwest::StatusCode;
use serde_json::json;

use super::{Visitor, with_passwords};
use crate::helpers::*;

pub(super) async fn pia(w: &World) -> Visitor {
    with_passwords(&w.t, &["pia@acme.test", "cy@acme.test"]).await;
    let mut v = Visitor::new(&w.t);
    v.sign_in("pia@acme.test").await;
    v
}

#[tokio::test]
async fn resend_asks_first_then_sends_and_says_so_and_no_sends_nothing() {
    let (w, peer) = World::with_smtp().await;
    let sub = w.line_due_today("W-RS", "kim@kund.test").await;
    peer.wait_for(1).await;
    let mut v = pia(&w).await;
    let order = v.get("/orders/W-RS").await;
    assert!(order.has("<h1>Order W-RS</h1>"), "{}", order.body);
    assert!(order.has("0 of 5 resends this hour"));
    let confirm = v
        .get(&format!("/lines/{sub}/resend?back=/orders/W-RS"))
        .await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.has("Resend the provisioning email to kim@kund.test?"),
        "{}",
        confirm.body
    );
    let csrf = confirm.csrf();

    let no = v
        .post(
            &format!("/lines/{sub}/resend"),
            &[
                ("csrf_token", &csrf),
                ("answer", "no"),
                ("back", "/orders/W-RS"),
            ],
        )
        .await;
    assert_eq!(no.status, StatusCode::SEE_OTHER);
    // Nothing happened: back at the row.
    assert_eq!(
        no.location.as_deref(),
        Some(format!("/orders/W-RS#line-{sub}").as_str())
    );
    assert_eq!(w.t.emails(&w.pia, &sub).await.len(), 1, "No sends nothing");

    let yes = v
        .post(
            &format!("/lines/{sub}/resend"),
            &[
                ("csrf_token", &csrf),
                ("answer", "yes"),
                ("back", "/orders/W-RS"),
            ],
        )
        .await;
    assert_eq!(yes.status, StatusCode::SEE_OTHER);
    // Back at the page's message, which takes the focus (the row says it too).
    assert_eq!(yes.location.as_deref(), Some("/orders/W-RS#message"));
    let after = v.get("/orders/W-RS").await;
    assert!(
        after.has("The provisioning email was resent to kim@kund.test."),
        "{}",
        after.body
    );
    assert!(after.has("1 of 5 resends this hour"));
    let got = peer.wait_for(2).await;
    assert_eq!(got[1].to, vec!["kim@kund.test".to_owned()]);
    // The banner is shown once; the row keeps the last email.
    let again = v.get("/orders/W-RS").await;
    assert!(!again.has("The provisioning email was resent"));
    assert!(
        again.has("Resend: <span class=\"tag email-"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn a_used_up_budget_says_when_the_next_resend_is_possible() {
    let w = World::new().await;
    let sub = w.line_due_today("W-BUDGET", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    for _ in 0..5 {
        w.t.post(&format!("/api/v1/lines/{sub}/resend"), &w.pia, json!({}))
            .await
            .ok(202);
        w.t.advance(6).await;
    }
    let mut v = pia(&w).await;
    let page = v.get("/orders/W-BUDGET").await;
    assert!(
        page.has("All 5 resends of this hour are used; the next is possible at"),
        "{}",
        page.body
    );
    assert!(
        page.has("disabled aria-describedby=\"why-"),
        "the button is not usable"
    );
}

#[tokio::test]
async fn without_permission_the_row_names_whom_to_ask_and_the_buttons_are_disabled() {
    let w = World::new().await;
    w.line_due_today("W-DENY", "kim@kund.test").await;
    with_passwords(&w.t, &["cy@acme.test"]).await;
    let mut cy = Visitor::new(&w.t);
    cy.sign_in("cy@acme.test").await;
    let page = cy.get("/orders/W-DENY").await;
    assert!(
        page.has("You cannot resend this email or change the contact. Ask the person who placed the order: Pia Partner (pia@acme.test)."),
        "{}",
        page.body
    );
    assert!(page.has("class=\"small\" disabled"), "{}", page.body);
}

#[tokio::test]
async fn after_the_point_of_no_return_resend_explains_the_admin_portal() {
    let (w, peer) = World::with_smtp().await;
    let sub = w.line_due_today("W-PONR", "kim@kund.test").await;
    peer.wait_for(1).await;
    w.t.post(
        &format!("/api/v1/lines/{sub}/onboarding"),
        &w.portal,
        json!({"organization_name": "Kund AB Org"}),
    )
    .await
    .ok(200);
    let mut v = pia(&w).await;
    let order = v.get("/orders/W-PONR").await;
    assert!(order.has("data-dialog=\"ponr\""), "{}", order.body);
    assert!(order.has(&format!("href=\"{ADMIN_PORTAL}\"")));
    let page = v.get(&format!("/lines/{sub}/resend")).await;
    assert!(
        page.has("<h1>Finish setup at the admin portal</h1>"),
        "{}",
        page.body
    );
    assert!(page.has(&format!("<a href=\"{ADMIN_PORTAL}\">")));
    assert!(!page.has(">Yes</button>"));
}

#[tokio::test]
async fn resend_selected_gives_each_row_its_result() {
    let w = World::new().await;
    let order = w
        .order_lines(
            "W-BULK",
            "en",
            vec![
                line("a@kund.test", &w.t.today()),
                line("b@kund.test", &w.t.today()),
            ],
        )
        .await;
    let a = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = order["lines"][1]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    w.t.email_in_state(&w.pia, &b, "sent").await;
    w.t.post(
        &format!("/api/v1/lines/{b}/onboarding"),
        &w.portal,
        json!({"organization_name": "Org"}),
    )
    .await
    .ok(200);
    let mut v = pia(&w).await;
    let csrf = v.csrf().await;
    let done = v
        .post(
            "/orders/W-BULK/resend",
            &[
                ("csrf_token", &csrf),
                ("lines", &a),
                ("lines", &b),
                ("answer", "yes"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = v.get("/orders/W-BULK").await;
    assert!(
        page.has("1 of 2 selected lines were resent; each line shows its result."),
        "{}",
        page.body
    );
    assert!(
        page.has("<p class=\"row-note ok\">Resent to a@kund.test.</p>"),
        "{}",
        page.body
    );
    assert!(page.has("<p class=\"row-note bad\">Not resent: The customer&#39;s organization is already onboarded"), "{}", page.body);
    let none = v
        .post("/orders/W-BULK/resend", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(none.status, StatusCode::SEE_OTHER);
    assert!(
        v.get("/orders/W-BULK")
            .await
            .has("Select at least one line to resend.")
    );
}

#[tokio::test]
async fn a_user_who_may_not_act_is_sent_back_to_the_row_that_says_why() {
    let w = World::new().await;
    let sub = w.line_due_today("W-BACK", "kim@kund.test").await;
    with_passwords(&w.t, &["cy@acme.test"]).await;
    let mut cy = Visitor::new(&w.t);
    cy.sign_in("cy@acme.test").await;
    for action in ["resend", "contact"] {
        let page = cy.get(&format!("/lines/{sub}/{action}")).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{action}");
        assert_eq!(
            page.location.as_deref(),
            Some(format!("/orders/W-BACK?line={sub}#line-{sub}").as_str())
        );
    }
    // Posting anyway is refused by the same rule, in words.
    let csrf = cy.csrf().await;
    let done = cy
        .post(
            &format!("/lines/{sub}/contact"),
            &[("csrf_token", &csrf), ("email", "x@kund.test")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = cy.get("/orders/W-BACK").await;
    assert!(
        page.has("Pia Partner &lt;pia@acme.test&gt;") || page.has("pia@acme.test"),
        "{}",
        page.body
    );
    assert_eq!(
        w.t.line_json(&w.pia, &sub).await["provisioning_contact"]["email"],
        "kim@kund.test"
    );
}
