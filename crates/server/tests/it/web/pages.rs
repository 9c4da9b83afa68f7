//! The other pages as a browser without JavaScript uses them: Edit contact with Apply to all
//! lines, a closed line leading to Subscriptions, the orders list, help, an email as sent.

use reqwest::StatusCode;
use serde_json::json;

use super::Visitor;
use super::resend::pia;
use crate::helpers::*;

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
async fn the_help_page_lists_the_senders_and_opening_a_case_is_a_form_after_sign_in() {
    let w = World::new().await;
    let mut v = Visitor::new(&w.t);
    let help = v.get("/help").await;
    assert_eq!(help.status, StatusCode::OK);
    assert!(help.has("<h1>Provisioning help</h1>"));
    assert!(help.has("<code>provisio@localhost</code>"), "{}", help.body);
    assert!(help.has(">Open a case</a>"));
    // A case is opened by a signed-in user: others sign in first and come back to it.
    let case = v
        .get("/cases/new?request_type=resend_provisioning_email")
        .await;
    assert_eq!(case.status, StatusCode::SEE_OTHER);
    assert!(
        case.location
            .as_deref()
            .is_some_and(|l| l.starts_with("/?next=%2Fcases%2Fnew")),
        "{:?}",
        case.location
    );
    super::with_passwords(&w.t, &["pia@acme.test"]).await;
    v.sign_in("pia@acme.test").await;
    let case = v
        .get("/cases/new?request_type=resend_provisioning_email")
        .await;
    assert_eq!(case.status, StatusCode::OK);
    assert!(
        case.has("<option value=\"resend_provisioning_email\" selected>Resend provisioning email")
    );
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
    let order_page = v.get(&format!("/lines/{sub}/history")).await;
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
    let first = v.get("/orders").await;
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

    let found = v.get("/orders?q=c7%40kund.test").await;
    assert_eq!(count(&found), 1);
    assert!(found.has("<a href=\"/orders/W-LIST-07\">"));
    let by_stage = v.get("/orders?stage=awaiting_provisioning").await;
    assert_eq!(count(&by_stage), 1, "{}", by_stage.body);
    assert!(by_stage.has("<a href=\"/orders/W-DUE\">"));
    assert!(by_stage.has("<option value=\"awaiting_provisioning\" selected>"));
    let none = v.get("/orders?q=nothing-like-this").await;
    assert!(none.has("No orders match."));
    let bad = v.get("/orders?stage=nonsense").await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.starts_with("<!doctype html>"));
}
