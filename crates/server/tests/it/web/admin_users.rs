//! Issue 19 point 8 over plain HTTP: the users page says who may resend and why, and the
//! service does what it says; Disable asks first (the page without JavaScript) and Cancel
//! changes nothing; a user's status is a tag with words and the row is marked; the
//! administration forms say every problem at once, each at its field, the values kept.

use reqwest::StatusCode;

use super::{Page, Visitor, with_passwords};
use crate::helpers::World;

/// The id in `/admin/users/{id}/…` links of the row of `email` on the users page.
fn user_id(page: &Page, email: &str) -> String {
    let row = row(page, email);
    let at = row.find("/admin/users/").unwrap() + "/admin/users/".len();
    row[at..at + 36].to_owned()
}

/// The markup of the row of `email` on the users page.
fn row<'p>(page: &'p Page, email: &str) -> &'p str {
    let start = page
        .body
        .find(&format!("id=\"user-{email}\""))
        .unwrap_or_else(|| panic!("no row of {email}: {}", page.body));
    let rest = &page.body[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

async fn admin(w: &World) -> Visitor {
    with_passwords(&w.t, &["admin@op.test"]).await;
    let mut v = Visitor::new(&w.t);
    v.sign_in("admin@op.test").await;
    v
}

#[tokio::test]
async fn the_users_page_says_who_may_resend_and_why_and_the_service_agrees() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let page = a.get("/admin/users").await;
    assert!(
        page.has("<th scope=\"col\">May resend</th>"),
        "{}",
        page.body
    );
    for (email, words) in [
        ("admin@op.test", "Any order (admin)"),
        ("agent@op.test", "Any order (support agent)"),
        ("bo@acme.test", "Orders of Acme (granted)"),
        (
            "dana@dist.test",
            "Orders of the partners Dist serves (granted)",
        ),
        (
            "pia@acme.test",
            "Own orders only (as the one who placed them)",
        ),
        ("cy@acme.test", "Own orders only"),
        ("erp@acme.test", "Own orders only"),
        ("portal@op.test", "Own orders only"),
    ] {
        assert!(row(&page, email).contains(words), "{email}: {words}");
    }
    // The grant is offered only where it changes something.
    assert!(row(&page, "bo@acme.test").contains("Stop resending"));
    assert!(row(&page, "cy@acme.test").contains("Allow resending"));
    for email in ["admin@op.test", "agent@op.test", "portal@op.test"] {
        assert!(!row(&page, email).contains("resending"), "{email}");
    }

    // What the page says is what the service does: Pia placed the order; Cy (own orders
    // only) is refused and told to ask her; Pia herself and Bo (granted) may.
    let sub = w.line_due_today("W-ADM-ST", "kim@kund.test").await;
    let resend = format!("/api/v1/lines/{sub}/resend");
    let refused = w.t.post(&resend, &w.cy, serde_json::json!({})).await;
    let problem = refused.problem(403, "permission_denied");
    assert_eq!(problem["ordering_contact"]["email"], "pia@acme.test");
    for key in [&w.pia, &w.bo] {
        w.t.post(&resend, key, serde_json::json!({})).await.ok(202);
    }
    // Granted, Cy may; the page says so.
    let csrf = page.csrf();
    let cy = user_id(&page, "cy@acme.test");
    a.post(
        &format!("/admin/users/{cy}/can-resend"),
        &[("csrf_token", &csrf), ("can_resend", "yes")],
    )
    .await;
    let page = a.get("/admin/users").await;
    assert!(row(&page, "cy@acme.test").contains("Orders of Acme (granted)"));
    w.t.post(&resend, &w.cy, serde_json::json!({}))
        .await
        .ok(202);

    // In Swedish.
    let mut sv = Visitor::speaking(&w.t, "sv-SE");
    sv.sign_in("admin@op.test").await;
    let page = sv.get("/admin/users").await;
    assert!(page.has("Får skicka igen"), "{}", page.body);
    assert!(row(&page, "agent@op.test").contains("Alla beställningar (supportagent)"));
    assert!(row(&page, "pia@acme.test").contains("Bara egna beställningar"));
}

#[tokio::test]
async fn disable_asks_first_and_cancel_changes_nothing_while_enable_acts_at_once() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let back = format!("/admin/users?company={}", w.acme);
    let page = a.get(&back).await;
    let cy = user_id(&page, "cy@acme.test");
    let cy_row = row(&page, "cy@acme.test");
    // Active: a tag with its word; Disable is a question first (a GET form to the
    // confirmation, which script turns into the dialog with the same words).
    assert!(
        cy_row.contains("<span class=\"tag user-active\">Active</span>"),
        "{cy_row}"
    );
    assert!(
        cy_row.contains(&format!(
            "<form method=\"get\" action=\"/admin/users/{cy}/disable\""
        )) && cy_row.contains("data-dialog=\"disable\"")
            && cy_row.contains("data-question=\"Disable Cy (cy@acme.test)?\""),
        "{cy_row}"
    );
    assert!(page.has("<dialog id=\"dialog-disable\""), "{}", page.body);
    // No Disable on the admin's own row.
    let all = a.get("/admin/users").await;
    let me = row(&all, "admin@op.test");
    assert!(
        !me.contains("/disable") && me.contains("Your own account"),
        "{me}"
    );

    let path = format!("/admin/users/{cy}/disable");
    let confirm = a.get(&format!("{path}?back={back}")).await;
    assert_eq!(confirm.status, StatusCode::OK);
    assert!(
        confirm.has("<h1>Disable Cy (cy@acme.test)?</h1>")
            && confirm.has("signed out of every open session")
            && confirm.has("every API key of cy@acme.test stops working"),
        "{}",
        confirm.body
    );
    assert!(confirm.has(&format!("name=\"back\" value=\"{back}\"")));
    let csrf = confirm.csrf();
    let no = a
        .post(
            &path,
            &[("csrf_token", &csrf), ("back", &back), ("answer", "no")],
        )
        .await;
    assert_eq!(no.location.as_deref(), Some(back.as_str()));
    assert_eq!(w.t.get("/api/v1/orders", &w.cy).await.status, 200);
    // A post without the answer (a forged or stale form) does nothing either.
    a.post(&path, &[("csrf_token", &csrf)]).await;
    assert_eq!(w.t.get("/api/v1/orders", &w.cy).await.status, 200);

    let yes = a
        .post(
            &path,
            &[("csrf_token", &csrf), ("back", &back), ("answer", "yes")],
        )
        .await;
    assert_eq!(yes.location.as_deref(), Some(back.as_str()));
    w.t.get("/api/v1/orders", &w.cy)
        .await
        .problem(401, "unauthenticated");
    let page = a.get(&back).await;
    let cy_row = row(&page, "cy@acme.test");
    assert!(
        cy_row.contains("class=\"user-disabled\"")
            && cy_row.contains("<span class=\"tag user-disabled\">Disabled</span>")
            && cy_row.contains("Nothing while disabled."),
        "{cy_row}"
    );
    // Disabled: no question to ask any more; Enable acts at once.
    let again = a.get(&path).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(
        cy_row.contains(&format!(
            "<form method=\"post\" action=\"/admin/users/{cy}/enable\""
        )),
        "{cy_row}"
    );
    a.post(
        &format!("/admin/users/{cy}/enable"),
        &[("csrf_token", &csrf), ("back", &back)],
    )
    .await;
    assert_eq!(w.t.get("/api/v1/orders", &w.cy).await.status, 200);

    // In Swedish: the tag's words and the question.
    let mut sv = Visitor::speaking(&w.t, "sv-SE");
    sv.sign_in("admin@op.test").await;
    let page = sv.get("/admin/users").await;
    assert!(row(&page, "cy@acme.test").contains(">Aktiv</span>"));
    let confirm = sv.get(&path).await;
    assert!(
        confirm.has("<h1>Inaktivera Cy (cy@acme.test)?</h1>") && confirm.has("API-nycklar"),
        "{}",
        confirm.body
    );
}

/// Each problem in the summary, linked to its field, and the field marked with its message.
fn says_at_field(page: &Page, field: &str, message: &str) {
    assert!(
        page.has(&format!("<li><a href=\"#{field}\">{message}</a></li>")),
        "summary for {field}: {}",
        page.body
    );
    assert!(
        page.has(&format!(
            "<p id=\"{field}-error\" class=\"field-error\">{message}</p>"
        )),
        "message at {field}: {}",
        page.body
    );
    let id = format!("id=\"{field}\"");
    let at = page.body.find(&id).unwrap();
    let tag = &page.body[at..at + page.body[at..].find('>').unwrap()];
    assert!(
        tag.contains("aria-invalid=\"true\"") && tag.contains(&format!("{field}-error")),
        "{tag}"
    );
}

#[tokio::test]
async fn the_admin_forms_say_every_problem_at_once_and_keep_the_values() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let csrf = a.get("/admin/users").await.csrf();
    let bad = a
        .post(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("company_id", ""),
                ("email", "not-an-address"),
                ("name", ""),
                ("role", "member"),
                ("can_resend", "yes"),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.has("There is a problem"), "{}", bad.body);
    says_at_field(&bad, "company_id", "no company was chosen");
    says_at_field(&bad, "name", "the name is empty");
    for (field, described) in [
        ("email", "email-error"),
        ("password", "password-hint password-error"),
    ] {
        assert!(bad.has(&format!("<li><a href=\"#{field}\">")), "{field}");
        assert!(
            bad.has(&format!("aria-describedby=\"{described}\"")),
            "{field}"
        );
    }
    assert!(
        bad.has("value=\"not-an-address\"")
            && bad.has("id=\"can_resend\" name=\"can_resend\" value=\"yes\" checked")
            && !bad.has("value=\"short\""),
        "typed values kept, never the password: {}",
        bad.body
    );
    // In the order of the form.
    let order: Vec<usize> = ["#company_id", "#email", "#name", "#password"]
        .iter()
        .map(|f| bad.body.find(&format!("href=\"{f}\"")).unwrap())
        .collect();
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{order:?}");
    assert!(w.t.app.find_company("Nea", true).await.unwrap().is_none());

    // Companies: the name and the kind.
    let bad = a
        .post(
            "/admin/companies",
            &[("csrf_token", &csrf), ("name", ""), ("kind", "reseller")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    says_at_field(&bad, "name", "the name is empty");
    assert!(bad.has("<li><a href=\"#kind\">"), "{}", bad.body);
    assert!(bad.has("aria-describedby=\"kind-error\""), "{}", bad.body);

    // A new offer's policy: the offer and the window.
    let bad = a
        .get("/admin/policies/preview?offer=&window_days=0&new=yes")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    for field in ["offer", "new-window"] {
        assert!(
            bad.has(&format!("<li><a href=\"#{field}\">")),
            "{field}: {}",
            bad.body
        );
        assert!(
            bad.has(&format!("aria-describedby=\"{field}-error\"")),
            "{field}"
        );
    }
    assert!(bad.has("value=\"0\""), "{}", bad.body);
}
