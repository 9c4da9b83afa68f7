//! The web chapter: sign-in sessions by the hash of their id, expiring; failed sign-ins by
//! account, newest first; a user's chosen language.

use jiff::SignedDuration;
use provisio_domain::{CompanyKind, Locale, Role, UserStatus};

use super::{company, now, user};
use crate::{Audit, Company, SessionRecord, Store, StoreError, User};

pub(super) async fn story(store: &dyn Store) {
    let hour = SignedDuration::from_hours(1);
    let session = SessionRecord {
        data: r#"{"user":"u1"}"#.into(),
        expires_at: now() + hour,
        user_id: None,
    };
    assert!(store.create_session("h1", &session).await.unwrap());
    let other = SessionRecord {
        data: "{}".into(),
        expires_at: now() + hour,
        user_id: None,
    };
    assert!(
        !store.create_session("h1", &other).await.unwrap(),
        "an existing id is never taken over"
    );
    assert_eq!(
        store.load_session("h1", now()).await.unwrap(),
        Some(session.clone())
    );
    assert_eq!(store.load_session("h2", now()).await.unwrap(), None);
    assert_eq!(
        store.load_session("h1", now() + hour).await.unwrap(),
        None,
        "an expired session is not loaded"
    );
    let renewed = SessionRecord {
        data: r#"{"user":"u1","csrf":"x"}"#.into(),
        expires_at: now() + hour * 2,
        user_id: None,
    };
    store.save_session("h1", &renewed).await.unwrap();
    assert_eq!(
        store.load_session("h1", now() + hour).await.unwrap(),
        Some(renewed)
    );
    store.delete_session("h1").await.unwrap();
    store.delete_session("h1").await.unwrap();
    assert_eq!(store.load_session("h1", now()).await.unwrap(), None);

    for minutes in [0, 1, 2, 20] {
        let at = now() + SignedDuration::from_mins(minutes);
        store
            .record_sign_in_failure("kim@x.test", at)
            .await
            .unwrap();
    }
    store
        .record_sign_in_failure("other@x.test", now())
        .await
        .unwrap();
    let since = now() + SignedDuration::from_mins(1);
    let found = store
        .sign_in_failures("kim@x.test", since, 10)
        .await
        .unwrap();
    assert_eq!(
        found,
        vec![
            now() + SignedDuration::from_mins(20),
            now() + SignedDuration::from_mins(2),
            now() + SignedDuration::from_mins(1)
        ],
        "newest first, since the instant given"
    );
    let limited = store
        .sign_in_failures("kim@x.test", now(), 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);

    store
        .save_session(
            "h3",
            &SessionRecord {
                data: "{}".into(),
                expires_at: now(),
                user_id: None,
            },
        )
        .await
        .unwrap();
    let purged = store.purge_web(now() + hour, since).await.unwrap();
    assert_eq!(purged, 3, "one expired session and two old failures");
    assert_eq!(
        store
            .sign_in_failures("kim@x.test", now(), 10)
            .await
            .unwrap()
            .len(),
        3
    );

    let acme = company(store, "Web Partner", CompanyKind::Partner).await;
    let pia = user(store, &acme, "pia@web.test", Role::Member).await;
    assert_eq!(pia.locale, None);
    store
        .set_user_locale(pia.id, Some(Locale::Sv))
        .await
        .unwrap();
    let again = store.user(pia.id).await.unwrap().unwrap();
    assert_eq!(again.locale, Some(Locale::Sv));
    assert_eq!(again.email, pia.email);
    store.set_user_locale(pia.id, None).await.unwrap();
    assert_eq!(store.user(pia.id).await.unwrap().unwrap().locale, None);
    let nobody = provisio_domain::UserId::from_uuid(uuid::Uuid::now_v7());
    assert!(store.user(nobody).await.unwrap().is_none());
    assert!(matches!(
        store.set_user_locale(nobody, Some(Locale::En)).await,
        Err(StoreError::NotFound { .. })
    ));

    disabling_ends_every_session(store, &acme).await;
}

/// SPEC §11: disabling a user ends all their sessions in the same transaction, and none is
/// stored for them while disabled (a page view under way saves its session after).
async fn disabling_ends_every_session(store: &dyn Store, acme: &Company) {
    let hour = SignedDuration::from_hours(1);
    let bo = user(store, acme, "bo@web.test", Role::Member).await;
    let cy = user(store, acme, "cy@web.test", Role::Member).await;
    let of = |u: &User| SessionRecord {
        data: format!(r#"{{"user":"{}"}}"#, u.id),
        expires_at: now() + hour,
        user_id: Some(u.id),
    };
    for h in ["bo-1", "bo-2"] {
        assert!(store.create_session(h, &of(&bo)).await.unwrap());
    }
    store.save_session("cy-1", &of(&cy)).await.unwrap();
    assert_eq!(
        store.load_session("bo-1", now()).await.unwrap(),
        Some(of(&bo)),
        "a session keeps its user"
    );
    store
        .set_user_status(bo.id, UserStatus::Disabled, Audit::none(now()))
        .await
        .unwrap();
    for h in ["bo-1", "bo-2"] {
        assert_eq!(store.load_session(h, now()).await.unwrap(), None, "{h}");
    }
    assert!(
        store.load_session("cy-1", now()).await.unwrap().is_some(),
        "another user's session stays"
    );
    // A request that loaded bo-1 before the disable saves it after: it stays gone.
    store.save_session("bo-1", &of(&bo)).await.unwrap();
    assert!(store.create_session("bo-3", &of(&bo)).await.unwrap());
    store
        .set_user_status(bo.id, UserStatus::Active, Audit::none(now()))
        .await
        .unwrap();
    for h in ["bo-1", "bo-2", "bo-3"] {
        assert_eq!(
            store.load_session(h, now()).await.unwrap(),
            None,
            "{h}: enabling brings no session back"
        );
    }
    assert!(store.create_session("bo-4", &of(&bo)).await.unwrap());
    assert!(store.load_session("bo-4", now()).await.unwrap().is_some());
}
