//! Administration in a real browser: an admin disables a user (whose sign-in is then refused
//! and whose API key answers 401) and enables them again, revokes a key (401) and creates one,
//! creates a user, and changes an offer policy after seeing the line it moves in the preview.
//! Someone who is not an admin sees no Administration.

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
    let b = Browser::start(&w.t.base).await;
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
    b.by_id("user-bo@acme.test").press("Disable").await;
    b.wait_for_text("bo@acme.test is disabled").await;
    w.t.get("/api/v1/orders", &w.bo)
        .await
        .problem(401, "unauthenticated");

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
        nea.contains("Acme") && nea.contains("Yes") && nea.contains("Active"),
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
