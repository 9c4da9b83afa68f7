//! Administration in a real browser: an admin disables a user after the dialog's question
//! (Cancel changes nothing; then sign-in is refused and the API key answers 401; the row says
//! Disabled) and enables them again; without JavaScript (in Swedish) the same question is a
//! page. An admin revokes a key (401) and creates one, creates a user (after a form that said
//! every problem at once) and reads who may resend and why, and changes an offer policy after
//! seeing the line it moves in the preview. Someone who is not an admin sees no Administration.

use super::*;
use crate::helpers::*;

const PASSWORD: &str = "browser admin password";

async fn world() -> World {
    let w = World::new().await;
    for email in ["admin@op.test", "bo@acme.test"] {
        w.t.set_password(email, PASSWORD).await;
    }
    w
}

/// A browser signed in as the admin, on the users page reached from the navigation.
async fn admin_on_users(w: &World) -> Browser {
    admin_on_users_with(w, Options::default()).await
}

async fn admin_on_users_with(w: &World, options: Options) -> Browser {
    let b = Browser::start_with(&w.t.base, options).await;
    b.sign_in("admin@op.test", PASSWORD).await;
    let page = b.page();
    page.follow("Administration").await;
    b.wait_for_heading("Administration").await;
    page.follow("Users").await;
    b.wait_for_heading("Users").await;
    b
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_their_key_answers_401_until_enabled_again() {
    let w = world().await;
    let b = admin_on_users(&w).await;
    let row = b.by_id("user-bo@acme.test");
    assert!(row.text().await.contains("Active"));
    // Disable asks first, saying whose sessions end and that the keys stop working.
    row.press("Disable").await;
    let dialog = b.dialog().await;
    dialog.wait_for_text("Disable Bo (bo@acme.test)?").await;
    dialog
        .wait_for_text("every API key of bo@acme.test stops working")
        .await;
    dialog.press("Cancel").await;
    b.no_dialog().await;
    assert_eq!(w.t.get("/api/v1/orders", &w.bo).await.status, 200);
    b.by_id("user-bo@acme.test").press("Disable").await;
    b.dialog().await.press("Disable").await;
    b.wait_for_text("bo@acme.test is disabled").await;
    w.t.get("/api/v1/orders", &w.bo)
        .await
        .problem(401, "unauthenticated");
    let row = b.by_id("user-bo@acme.test").text().await;
    assert!(
        row.contains("Disabled") && row.contains("Nothing while disabled."),
        "{row}"
    );

    let bo = Browser::start(&w.t.base).await;
    bo.goto("/").await;
    let page = bo.page();
    page.fill("Email", "bo@acme.test").await;
    page.fill("Password", PASSWORD).await;
    page.press("Sign in").await;
    bo.wait_for_text("This account is disabled. Ask your administrator.")
        .await;

    b.by_id("user-bo@acme.test").press("Enable").await;
    b.wait_for_text("bo@acme.test is enabled again").await;
    assert_eq!(w.t.get("/api/v1/orders", &w.bo).await.status, 200);
    bo.sign_in("bo@acme.test", PASSWORD).await;
    // Bo is no admin: no Administration for him.
    bo.page().absent(Role::Link, "Administration").await;
}

#[tokio::test]
async fn without_javascript_disable_asks_on_a_page_in_swedish() {
    let w = world().await;
    let options = Options {
        javascript: false,
        ..Options::swedish()
    };
    let b = Browser::start_with(&w.t.base, options).await;
    b.sign_in("admin@op.test", PASSWORD).await;
    b.goto("/admin/users").await;
    b.wait_for_heading("Användare").await;
    let row = b.by_id("user-cy@acme.test").text().await;
    assert!(
        row.contains("Aktiv") && row.contains("Bara egna beställningar"),
        "{row}"
    );
    b.by_id("user-cy@acme.test").press("Inaktivera").await;
    b.wait_for_heading("Inaktivera Cy (cy@acme.test)?").await;
    let page = b.page();
    page.press("Avbryt").await;
    b.wait_for_heading("Användare").await;
    assert_eq!(w.t.get("/api/v1/orders", &w.cy).await.status, 200);
    b.by_id("user-cy@acme.test").press("Inaktivera").await;
    b.wait_for_heading("Inaktivera Cy (cy@acme.test)?").await;
    page.press("Inaktivera").await;
    b.wait_for_text("cy@acme.test är inaktiverad").await;
    w.t.get("/api/v1/orders", &w.cy)
        .await
        .problem(401, "unauthenticated");
    let row = b.by_id("user-cy@acme.test").text().await;
    assert!(row.contains("Inaktiverad"), "{row}");
    b.by_id("user-cy@acme.test").press("Aktivera").await;
    b.wait_for_text("cy@acme.test är aktiverad igen").await;
}

#[tokio::test]
async fn a_revoked_key_answers_401_and_a_created_one_works() {
    let w = world().await;
    let b = admin_on_users(&w).await;
    b.by_id("user-bo@acme.test").follow("API keys").await;
    b.wait_for_heading("API keys of Bo").await;
    let page = b.page();
    page.press("Revoke").await;
    b.wait_for_heading("Revoke the API key").await;
    page.press("Revoke").await;
    b.wait_for_text("was revoked").await;
    w.t.get("/api/v1/orders", &w.bo)
        .await
        .problem(401, "unauthenticated");

    page.press("Create API key").await;
    let text = b.wait_for_text("shown only now").await;
    let key = text
        .split_whitespace()
        .find(|w| w.starts_with("pvk_"))
        .unwrap_or_else(|| panic!("no key shown: {text}"))
        .to_owned();
    assert_eq!(w.t.get("/api/v1/orders", &key).await.status, 200);
}

#[tokio::test]
async fn an_admin_creates_a_user_and_changes_a_policy_after_seeing_the_line_it_moves() {
    let w = world().await;
    let sub = w.line_due_today("W-BR-ADM", "kim@kund.test").await;
    w.t.email_in_state(&w.pia, &sub, "sent").await;
    let b = admin_on_users(&w).await;
    let page = b.page();
    // Who may resend, and why, in words.
    let agent = b.by_id("user-agent@op.test").text().await;
    assert!(agent.contains("Any order (support agent)"), "{agent}");
    let pia = b.by_id("user-pia@acme.test").text().await;
    assert!(pia.contains("Own orders only"), "{pia}");
    // Sent empty, the form says every problem at once (the browser's own checks off).
    let off = "document.querySelectorAll('form').forEach(f => f.noValidate = true)";
    b.client().execute(off, vec![]).await.unwrap();
    page.press("Create user").await;
    let summary = b.wait_for_text("There is a problem").await;
    assert!(
        summary.contains("no company was chosen")
            && summary.contains("the email address is empty")
            && summary.contains("the name is empty"),
        "{summary}"
    );
    page.choose("Company", "Acme").await;
    page.fill("Email", "nea@acme.test").await;
    page.fill("Name", "Nea").await;
    page.choose("Role", "Member").await;
    page.tick("May resend provisioning emails and change provisioning contacts")
        .await;
    page.fill("Password (optional)", PASSWORD).await;
    page.press("Create user").await;
    b.wait_for_text("The user nea@acme.test was created.").await;
    let nea = b.by_id("user-nea@acme.test").text().await;
    assert!(
        nea.contains("Orders of Acme (granted)") && nea.contains("Active"),
        "{nea}"
    );

    page.follow("Administration").await;
    page.follow("Offer policies").await;
    b.wait_for_heading("Offer policies").await;
    let row = b.by_id("policy-A-FLEX");
    row.fill("Window of A-FLEX (days)", "10").await;
    row.press("Preview").await;
    b.wait_for_heading("Change A-FLEX from 7 to 10 days?").await;
    let moved = b.by_id(&format!("move-{sub}")).text().await;
    assert!(moved.contains("W-BR-ADM"), "{moved}");
    page.press("Save").await;
    b.wait_for_text("The window of A-FLEX is now 10 days.")
        .await;
}
