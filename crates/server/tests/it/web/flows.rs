//! The row actions as a browser without JavaScript posts them: Resend (confirm page, Yes /
//! No), Resend selected, Edit contact with Apply to all lines; what a row says without
//! permission, after PONR, when closed, and the pages around them.

use reqwest::StatusCode;
use serde_json::json;

use super::{Visitor, with_passwords};
use crate::helpers::*;

async fn pia(w: &World) -> Visitor {
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
    assert_eq!(
        yes.location.as_deref(),
        Some(format!("/orders/W-RS#line-{sub}").as_str())
    );
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
async fn a_closed_line_still_in_progress_leads_to_the_subscriptions_page() {
    let w = World::new().await;
    let sub = w.line_due_today("W-CLOSED", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    w.t.advance(8 * 86_400).await;
    w.t.until("the line closes", || async {
        (w.t.line_json(&w.pia, &sub).await["status"] == "closed").then_some(())
    })
    .await;
    let mut v = pia(&w).await;
    let order = v.get("/orders/W-CLOSED").await;
    let link = format!(
        "Provisioning is still in progress. <a href=\"/subscriptions?q={sub}\">Click here</a> to resend or edit the contact."
    );
    assert!(order.has(&link), "{}", order.body);
    let subs = v.get(&format!("/subscriptions?q={sub}")).await;
    assert!(subs.has("<h1>Subscriptions</h1>"), "{}", subs.body);
    assert!(subs.has(&format!("<tr id=\"line-{sub}\">")));
    assert!(subs.has("<span class=\"tag status-closed\">Closed</span>"));
    assert!(subs.has(&format!("action=\"/lines/{sub}/resend\"")));
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
            &[("csrf_token", &csrf), ("lines", &a), ("lines", &b)],
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
async fn edit_contact_validates_and_applies_to_every_line_before_its_ponr() {
    let w = World::new().await;
    let today = w.t.today();
    let order = w
        .order_lines(
            "W-EDIT",
            "en",
            vec![
                line("a@kund.test", &today),
                line("b@kund.test", &today),
                line("c@kund.test", &today),
            ],
        )
        .await;
    let refs: Vec<String> = (0..3)
        .map(|i| {
            order["lines"][i]["subscription_ref"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    w.t.email_in_state(&w.pia, &refs[2], "sent").await;
    w.t.post(
        &format!("/api/v1/lines/{}/onboarding", refs[2]),
        &w.portal,
        json!({"organization_name": "Org"}),
    )
    .await
    .ok(200);
    let mut v = pia(&w).await;
    let form = v
        .get(&format!("/lines/{}/contact?back=/orders/W-EDIT", refs[0]))
        .await;
    assert!(
        form.has("Apply to all lines") && form.has("value=\"a@kund.test\""),
        "{}",
        form.body
    );
    let csrf = form.csrf();
    let path = format!("/lines/{}/contact", refs[0]);
    let bad = v
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "not an address"),
                ("back", "/orders/W-EDIT"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.has("There is a problem") && bad.has("aria-invalid=\"true\""),
        "{}",
        bad.body
    );
    assert!(bad.has("<title>Error: "));
    assert_eq!(
        w.t.line_json(&w.pia, &refs[0]).await["provisioning_contact"]["email"],
        "a@kund.test"
    );

    let done = v
        .post(
            &path,
            &[
                ("csrf_token", &csrf),
                ("email", "it@kund.test"),
                ("name", "Ines IT"),
                ("apply_all", "yes"),
                ("back", "/orders/W-EDIT"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = v.get("/orders/W-EDIT").await;
    assert!(
        page.has("The provisioning contact of 2 lines was updated to it@kund.test"),
        "{}",
        page.body
    );
    for sub in &refs[..2] {
        assert_eq!(
            w.t.line_json(&w.pia, sub).await["provisioning_contact"]["email"],
            "it@kund.test"
        );
        let emails = w.t.emails(&w.pia, sub).await;
        assert_eq!(emails[0]["kind"], "contact_changed");
        assert_eq!(emails[0]["to"], "it@kund.test");
    }
    assert_eq!(
        w.t.line_json(&w.pia, &refs[2]).await["provisioning_contact"]["email"],
        "c@kund.test",
        "the onboarded line keeps its contact"
    );
}

#[tokio::test]
async fn the_help_page_lists_the_senders_and_opening_a_case_is_a_page() {
    let w = World::new().await;
    let mut v = Visitor::new(&w.t);
    let help = v.get("/help").await;
    assert_eq!(help.status, StatusCode::OK);
    assert!(help.has("<h1>Provisioning help</h1>"));
    assert!(help.has("<code>provisio@localhost</code>"), "{}", help.body);
    assert!(help.has(">Open a case</a>"));
    let case = v
        .get("/cases/new?request_type=resend_provisioning_email")
        .await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(case.has("Resend provisioning email"));
}

#[tokio::test]
async fn an_email_is_shown_as_sent_in_its_language_with_the_link_masked() {
    let w = World::new().await;
    let order = w
        .order_lines("W-VIEW", "sv", vec![line("kim@kund.test", &w.t.today())])
        .await;
    let sub = order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let email = w.t.email_in_state(&w.pia, &sub, "sent").await;
    let id = email["id"].as_str().unwrap();
    let mut v = pia(&w).await;
    let order_page = v.get("/orders/W-VIEW").await;
    let path = format!("/lines/{sub}/emails/{id}");
    assert!(
        order_page.has(&format!("href=\"{path}\"")),
        "{}",
        order_page.body
    );
    let page = v.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("(Sub") && page.has("W-VIEW"), "{}", page.body);
    assert!(page.has("/setup/••••••••"), "masked: {}", page.body);
    let html = v.get(&format!("{path}/html")).await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(
        html.has("lang=\"sv\"") || html.has("Konfigurera"),
        "{}",
        html.body
    );
    assert!(!html.body.contains("/setup/") || html.has("/setup/••••••••"));
    assert_eq!(
        v.get(&format!("/lines/{sub}/emails/not-an-id"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_orders_list_searches_filters_and_pages_by_keyset() {
    let w = World::new().await;
    for i in 0..30 {
        w.order(&format!("W-LIST-{i:02}"), &[&format!("c{i}@kund.test")])
            .await;
    }
    let due = w.line_due_today("W-DUE", "due@kund.test").await;
    w.t.email_in_state(&w.pia, &due, "sent").await;
    let mut v = pia(&w).await;
    let first = v.get("/").await;
    let count = |p: &super::Page| p.body.matches("<a href=\"/orders/W-").count();
    assert_eq!(count(&first), 25, "{}", first.body);
    assert!(first.has("<a href=\"/orders/W-DUE\">"), "newest first");
    assert!(first.has("<nav aria-label=\"Pages\""));
    let at = first.body.find("rel=\"next\"").unwrap();
    let href_start = first.body[..at].rfind("href=\"").unwrap() + 6;
    let next = first.body[href_start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = v.get(&next).await;
    assert_eq!(count(&second), 6, "{}", second.body);
    assert!(second.has("<a href=\"/orders/W-LIST-00\">"));
    assert!(second.has(">First page</a>") && !second.has("rel=\"next\""));

    let found = v.get("/?q=c7%40kund.test").await;
    assert_eq!(count(&found), 1);
    assert!(found.has("<a href=\"/orders/W-LIST-07\">"));
    let by_stage = v.get("/?stage=awaiting_provisioning").await;
    assert_eq!(count(&by_stage), 1, "{}", by_stage.body);
    assert!(by_stage.has("<a href=\"/orders/W-DUE\">"));
    assert!(by_stage.has("<option value=\"awaiting_provisioning\" selected>"));
    let none = v.get("/?q=nothing-like-this").await;
    assert!(none.has("No orders match."));
    let bad = v.get("/?stage=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.starts_with("<!doctype html>"));
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
            Some(format!("/orders/W-BACK#line-{sub}").as_str())
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
