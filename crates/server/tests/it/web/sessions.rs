//! Sessions and sign-in at their limits (SPEC §11): disabling a user ends every session of
//! theirs at once, also one left idle meanwhile; a failed sign-in with anything typed as the
//! address stores a bounded key.

use jiff::SignedDuration;
use provisio::app::signin::NOT_AN_ADDRESS;
use reqwest::{Method, StatusCode};

use super::{Visitor, with_passwords};
use crate::helpers::{TestApp, World};

async fn set_status(t: &TestApp, email: &str, action: &str) {
    let path = format!("/api/v1/users/{email}/{action}");
    t.send(Method::POST, &path, Some(&t.admin), None)
        .await
        .ok(200);
}

#[tokio::test]
async fn a_session_idle_while_its_user_was_disabled_does_not_come_back_when_enabled() {
    let w = World::new().await;
    let t = &w.t;
    with_passwords(t, &["bo@acme.test", "pia@acme.test"]).await;
    w.order("W-SESS-1", &["kim@kund.test"]).await;
    // Bo in two browsers, and Pia.
    let mut desk = Visitor::new(t);
    let mut laptop = Visitor::new(t);
    let mut pia = Visitor::new(t);
    for (v, email) in [
        (&mut desk, "bo@acme.test"),
        (&mut laptop, "bo@acme.test"),
        (&mut pia, "pia@acme.test"),
    ] {
        v.sign_in(email).await;
        assert_eq!(v.get("/orders/W-SESS-1").await.status, StatusCode::OK);
    }

    // Neither of Bo's browsers shows a page while he is disabled.
    set_status(t, "bo@acme.test", "disable").await;
    set_status(t, "bo@acme.test", "enable").await;

    for v in [&mut desk, &mut laptop] {
        let page = v.get("/orders/W-SESS-1").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
        assert_eq!(
            page.location.as_deref(),
            Some("/?next=%2Forders%2FW-SESS-1"),
            "signed out: sent to sign in"
        );
    }
    assert_eq!(
        pia.get("/orders/W-SESS-1").await.status,
        StatusCode::OK,
        "another user's session stays"
    );
    // Bo signs in anew and works again.
    desk.sign_in("bo@acme.test").await;
    assert_eq!(desk.get("/orders/W-SESS-1").await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_huge_address_is_recorded_under_the_one_fixed_key_and_refused_as_usual() {
    let w = World::new().await;
    let t = &w.t;
    with_passwords(t, &["pia@acme.test"]).await;
    let since = t.app.clock.now() - SignedDuration::from_mins(1);
    let huge = format!("{}@acme.test", "p".repeat(1024 * 1024));
    let mut v = Visitor::new(t);
    let page = v.try_sign_in(&huge, "not the password").await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(
        page.has("The email address or the password is not right."),
        "{:.2000}",
        page.body
    );
    assert!(
        page.body.len() < 64 * 1024,
        "the address is not shown again: {} bytes",
        page.body.len()
    );
    let recorded = |key: String| async move {
        t.store
            .sign_in_failures(&key, since, 100)
            .await
            .unwrap()
            .len()
    };
    assert_eq!(recorded(NOT_AN_ADDRESS.to_owned()).await, 1);
    assert_eq!(recorded(huge.to_lowercase()).await, 0);
    // A real address is still its own key, so a guesser at it does not lock anybody else.
    v.try_sign_in("Pia@Acme.test", "not the password").await;
    assert_eq!(recorded("pia@acme.test".to_owned()).await, 1);
    assert_eq!(recorded(NOT_AN_ADDRESS.to_owned()).await, 1);
    v.sign_in("pia@acme.test").await;
}
