//! Administration pages over plain HTTP, as a browser without JavaScript posts them: only
//! admins see them (others get the not-found page), each form's validation errors, banners
//! after success, the revoke confirmation, the key shown once and the policy preview.

use reqwest::StatusCode;
use serde_json::Value;

use super::{Page, Visitor, with_passwords};
use crate::helpers::{World, line};
use crate::lifecycle::DAY;

/// The id in `/admin/users/{id}/…` links of the row of `email` on the users page.
fn user_id(page: &Page, email: &str) -> String {
    let row = &page.body[page.body.find(&format!("id=\"user-{email}\"")).unwrap()..];
    let at = row.find("/admin/users/").unwrap() + "/admin/users/".len();
    row[at..at + 36].to_owned()
}

async fn admin(w: &World) -> Visitor {
    with_passwords(&w.t, &["admin@op.test"]).await;
    let mut v = Visitor::new(&w.t);
    v.sign_in("admin@op.test").await;
    v
}

#[tokio::test]
async fn only_admins_see_administration_and_others_get_not_found() {
    let w = World::new().await;
    with_passwords(&w.t, &["bo@acme.test", "agent@op.test"]).await;
    for who in ["bo@acme.test", "agent@op.test"] {
        let mut v = Visitor::new(&w.t);
        v.sign_in(who).await;
        let orders = v.get("/").await;
        assert!(!orders.has("href=\"/admin\""), "no link for {who}");
        for path in [
            "/admin",
            "/admin/users",
            "/admin/companies",
            "/admin/policies",
            "/admin/senders",
            "/admin/audit",
        ] {
            let page = v.get(path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
        let csrf = v.csrf().await;
        let post = v
            .post(
                "/admin/companies",
                &[("csrf_token", &csrf), ("name", "X"), ("kind", "partner")],
            )
            .await;
        assert_eq!(post.status, StatusCode::NOT_FOUND);
    }
    assert!(w.t.app.find_company("X", true).await.unwrap().is_none());
    // Signed out: sent to sign in first.
    let mut anon = Visitor::new(&w.t);
    let page = anon.get("/admin/users").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);

    let mut a = admin(&w).await;
    let home = a.get("/").await;
    assert!(
        home.has("<a href=\"/admin\">Administration</a>"),
        "{}",
        home.body
    );
    let overview = a.get("/admin").await;
    for link in [
        "/admin/companies",
        "/admin/users",
        "/admin/policies",
        "/admin/senders",
    ] {
        assert!(overview.has(&format!("href=\"{link}\"")), "{link}");
    }
    let senders = a.get("/admin/senders").await;
    assert!(senders.has("provisio@localhost") && senders.has("PROVISIO_MAIL_FROM"));
    // In Swedish too.
    let mut sv = Visitor::speaking(&w.t, "sv-SE");
    sv.sign_in("admin@op.test").await;
    let users = sv.get("/admin/users").await;
    assert!(
        users.has("<h1>Användare</h1>") && users.has("Inaktivera"),
        "{}",
        users.body
    );
}

#[tokio::test]
async fn companies_are_listed_and_created_with_errors_shown_at_the_field() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let page = a.get("/admin/companies").await;
    assert!(page.has("<th scope=\"row\">Acme</th>") && page.has("Distributor"));
    let csrf = page.csrf();
    let taken = a
        .post(
            "/admin/companies",
            &[("csrf_token", &csrf), ("name", "acme"), ("kind", "partner")],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        taken.has("There is a problem")
            && taken.has("aria-invalid=\"true\" aria-describedby=\"name-error\"")
    );
    assert!(
        taken.has("a company with this name already exists"),
        "{}",
        taken.body
    );
    let empty = a
        .post(
            "/admin/companies",
            &[("csrf_token", &csrf), ("name", ""), ("kind", "partner")],
        )
        .await;
    assert!(empty.has("the name is empty"), "{}", empty.body);
    let done = a
        .post(
            "/admin/companies",
            &[
                ("csrf_token", &csrf),
                ("name", "Nordic"),
                ("kind", "distributor"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = a.get("/admin/companies").await;
    assert!(
        after.has("The company Nordic was created."),
        "{}",
        after.body
    );
    let stale = a
        .post(
            "/admin/companies",
            &[
                ("csrf_token", "forged"),
                ("name", "Evil"),
                ("kind", "partner"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn users_are_filtered_created_disabled_and_changed_from_their_rows() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let all = a.get("/admin/users").await;
    assert!(all.has("olle@other.test") && all.has("bo@acme.test"));
    let acme = a.get(&format!("/admin/users?company={}", w.acme)).await;
    assert!(
        acme.has("bo@acme.test") && !acme.has("olle@other.test"),
        "filtered"
    );
    let csrf = all.csrf();
    let cy = user_id(&all, "cy@acme.test");
    let back = format!("/admin/users?company={}", w.acme);

    let off = a
        .post(
            &format!("/admin/users/{cy}/disable"),
            &[("csrf_token", &csrf), ("back", &back), ("answer", "yes")],
        )
        .await;
    assert_eq!(off.location.as_deref(), Some(back.as_str()));
    let page = a.get(&back).await;
    assert!(page.has("cy@acme.test is disabled"), "{}", page.body);
    w.t.get("/api/v1/orders", &w.cy)
        .await
        .problem(401, "unauthenticated");
    a.post(
        &format!("/admin/users/{cy}/enable"),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(w.t.get("/api/v1/orders", &w.cy).await.status, 200);
    a.post(
        &format!("/admin/users/{cy}/can-resend"),
        &[("csrf_token", &csrf), ("can_resend", "yes")],
    )
    .await;
    let page = a.get("/admin/users").await;
    assert!(page.has("cy@acme.test may now resend"), "{}", page.body);
    let stored = w.t.app.find_company("Acme", true).await.unwrap().unwrap();
    let users =
        w.t.app
            .all_users(&provisio::app::Caller::Operator, Some(stored.id))
            .await
            .unwrap();
    assert!(
        users
            .iter()
            .any(|u| u.email.as_str() == "cy@acme.test" && u.can_resend)
    );

    // An admin cannot disable themselves: said in the banner, nothing changes.
    let me = user_id(&page, "admin@op.test");
    a.post(
        &format!("/admin/users/{me}/disable"),
        &[("csrf_token", &csrf), ("answer", "yes")],
    )
    .await;
    let page = a.get("/admin/users").await;
    assert!(
        page.has("you cannot disable your own account"),
        "{}",
        page.body
    );

    // Create: errors at their fields, then the user.
    let bad = a
        .post(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("company_id", &w.acme),
                ("email", "not-an-address"),
                ("name", "Nea"),
                ("role", "member"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.has("aria-describedby=\"email-error\"") && bad.has("value=\"Nea\""),
        "{}",
        bad.body
    );
    let no_company = a
        .post(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("company_id", ""),
                ("email", "nea@acme.test"),
                ("name", "Nea"),
                ("role", "member"),
            ],
        )
        .await;
    assert!(
        no_company.has("no company was chosen"),
        "{}",
        no_company.body
    );
    let done = a
        .post(
            "/admin/users",
            &[
                ("csrf_token", &csrf),
                ("company_id", &w.acme),
                ("email", "nea@acme.test"),
                ("name", "Nea"),
                ("role", "member"),
                ("can_resend", "yes"),
                ("password", "a long enough password"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let mut nea = Visitor::new(&w.t);
    let signed = nea
        .try_sign_in("nea@acme.test", "a long enough password")
        .await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn keys_are_listed_created_once_and_revoked_after_a_confirmation() {
    let w = World::new().await;
    let mut a = admin(&w).await;
    let users = a.get("/admin/users").await;
    let bo = user_id(&users, "bo@acme.test");
    let keys = a.get(&format!("/admin/users/{bo}/keys")).await;
    assert!(
        keys.has("API keys of Bo") && keys.has("Never") && keys.has("In use"),
        "{}",
        keys.body
    );
    let csrf = keys.csrf();
    let created = a
        .post(&format!("/admin/users/{bo}/keys"), &[("csrf_token", &csrf)])
        .await;
    assert_eq!(created.status, StatusCode::OK);
    let at = created.body.find("id=\"new-key\">").unwrap() + "id=\"new-key\">".len();
    let key = created.body[at..at + 47].to_owned();
    assert!(key.starts_with("pvk_"), "{key}");
    assert_eq!(w.t.get("/api/v1/orders", &key).await.status, 200);
    let again = a.get(&format!("/admin/users/{bo}/keys")).await;
    assert!(!again.has(&key), "shown only once");

    // The older key (World's): Revoke asks first; No changes nothing; Yes revokes it.
    let listed =
        w.t.get("/api/v1/users/bo@acme.test/api-keys", &w.t.admin)
            .await;
    let old = listed.body["items"][1]["id"].as_str().unwrap().to_owned();
    let confirm = a.get(&format!("/admin/users/{bo}/keys/{old}/revoke")).await;
    assert!(
        confirm.has(&format!("Revoke the API key {old}?")),
        "{}",
        confirm.body
    );
    let path = format!("/admin/users/{bo}/keys/{old}/revoke");
    a.post(&path, &[("csrf_token", &csrf), ("answer", "no")])
        .await;
    assert_eq!(w.t.get("/api/v1/orders", &w.bo).await.status, 200);
    let yes = a
        .post(&path, &[("csrf_token", &csrf), ("answer", "yes")])
        .await;
    assert_eq!(yes.location, Some(format!("/admin/users/{bo}/keys")));
    w.t.get("/api/v1/orders", &w.bo)
        .await
        .problem(401, "unauthenticated");
    assert_eq!(w.t.get("/api/v1/orders", &key).await.status, 200);
    let page = a.get(&format!("/admin/users/{bo}/keys")).await;
    assert!(
        page.has(&format!("The API key {old} was revoked.")),
        "{}",
        page.body
    );
    // Another user's key through this user's path is not found.
    let cy = user_id(&users, "cy@acme.test");
    let wrong = a.get(&format!("/admin/users/{cy}/keys/{old}/revoke")).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_policy_change_is_previewed_with_the_lines_it_moves_then_saved() {
    let w = World::new().await;
    let t = &w.t;
    let sent = w.line_due_today("W-ADM-P1", "kim@kund.test").await;
    t.email_in_state(&w.pia, &sent, "sent").await;
    let later = w
        .order_lines("W-ADM-P2", "en", vec![line("ann@kund.test", "2030-01-15")])
        .await;
    let scheduled = later["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = t.line_json(&w.pia, &sent).await["closes_at"].clone();

    let mut a = admin(&w).await;
    let list = a.get("/admin/policies").await;
    assert!(
        list.has("Window of A-FLEX (days)") && list.has("Every other offer: 30 days."),
        "{}",
        list.body
    );
    let bad = a
        .get("/admin/policies/preview?offer=A-FLEX&window_days=0")
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.has("aria-describedby=\"window-A-FLEX-error\""),
        "{}",
        bad.body
    );
    let none = a
        .get("/admin/policies/preview?offer=A-WX-CALL&window_days=14&new=yes")
        .await;
    assert!(none.has("No line&#39;s deadline moves."), "{}", none.body);

    let preview = a
        .get("/admin/policies/preview?offer=A-FLEX&window_days=10")
        .await;
    assert!(
        preview.has("Change A-FLEX from 7 to 10 days?"),
        "{}",
        preview.body
    );
    assert!(
        preview.has(&format!("id=\"move-{sent}\"")) && !preview.has(&scheduled),
        "{}",
        preview.body
    );
    assert_eq!(
        t.line_json(&w.pia, &sent).await["closes_at"],
        before,
        "nothing saved yet"
    );
    let csrf = preview.csrf();
    let saved = a
        .post(
            "/admin/policies",
            &[
                ("csrf_token", &csrf),
                ("offer", "A-FLEX"),
                ("window_days", "10"),
                ("answer", "yes"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let page = a.get("/admin/policies").await;
    assert!(
        page.has("The window of A-FLEX is now 10 days."),
        "{}",
        page.body
    );
    let after = t.line_json(&w.pia, &sent).await["closes_at"].clone();
    let (b, n): (jiff::Timestamp, jiff::Timestamp) = (
        before.as_str().unwrap().parse().unwrap(),
        after.as_str().unwrap().parse().unwrap(),
    );
    assert_eq!(n.duration_since(b).as_secs(), 3 * DAY, "three more days");
}

// Several workers: on PostgreSQL the preview's parts then run on threads of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_preview_of_many_lines_counts_them_and_lists_the_first_hundred() {
    let w = World::new().await;
    let t = &w.t;
    let today = t.today();
    let lines: Vec<Value> = (0..101)
        .map(|i| line(&format!("c{i}@kund.test"), &today))
        .collect();
    w.order_lines("W-ADM-MANY", "en", lines).await;
    // Every line's window runs once its first email is sent.
    t.until("101 first emails sent", || async {
        let order = t.get("/api/v1/orders/W-ADM-MANY", &w.pia).await;
        let lines = order.ok(200)["lines"].as_array().unwrap().clone();
        lines
            .iter()
            .all(|l| !l["first_sent_at"].is_null())
            .then_some(())
    })
    .await;
    let mut a = admin(&w).await;
    let preview = a
        .get("/admin/policies/preview?offer=A-FLEX&window_days=10")
        .await;
    assert!(
        preview.has("The deadlines of 101 lines move; the first 100 are listed."),
        "{}",
        preview.body
    );
    assert_eq!(preview.body.matches("id=\"move-").count(), 100);
}
