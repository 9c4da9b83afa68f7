//! Sessions and sign-in at their limits (SPEC §11): a failed sign-in with anything typed as
//! the address stores a bounded key.

use jiff::SignedDuration;
use provisio::app::signin::NOT_AN_ADDRESS;
use reqwest::StatusCode;

use super::{Visitor, with_passwords};
use crate::helpers::World;

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
