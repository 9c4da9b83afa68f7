//! The directory chapter: companies and users listed newest first, keyset-paginated and
//! scoped; the partners a distributor serves.

use jiff::SignedDuration;
use provisio_domain::{CompanyKind, ContactEmail, Organization, Role, UserStatus};

use super::outbox::{applying, request};
use super::{company, new_order, now, raw_line, user};
use crate::{Audit, Decide, Entity, PageRequest, Store, StoreError};
use provisio_domain::Effects;

fn page(limit: u32) -> PageRequest {
    PageRequest { after: None, limit }
}

pub(super) async fn story(store: &dyn Store) {
    let dist = company(store, "Dir Distribution", CompanyKind::Distributor).await;
    let one = company(store, "Dir Partner One", CompanyKind::Partner).await;
    let two = company(store, "Dir Partner Two", CompanyKind::Partner).await;

    let all = store.list_companies(None, None, page(200)).await.unwrap();
    let at = |id| all.items.iter().position(|c| c.id == id).unwrap();
    assert!(
        at(two.id) < at(one.id) && at(one.id) < at(dist.id),
        "newest first"
    );
    assert_eq!(all.next, None);
    let only = store
        .list_companies(Some(one.id), None, page(200))
        .await
        .unwrap();
    assert_eq!(only.items, vec![one.clone()]);
    let partners = store
        .list_companies(None, Some(CompanyKind::Partner), page(200))
        .await
        .unwrap();
    assert!(
        partners
            .items
            .iter()
            .all(|c| c.kind == CompanyKind::Partner)
    );
    assert!(partners.items.contains(&one) && !partners.items.contains(&dist));
    // Keyset pagination visits every company once.
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let p = store
            .list_companies(None, None, PageRequest { after, limit: 2 })
            .await
            .unwrap();
        seen.extend(p.items.into_iter().map(|c| c.id));
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(seen, all.items.iter().map(|c| c.id).collect::<Vec<_>>());

    let u = user(store, &one, "dir-user@one.test", Role::Member).await;
    let users = store.list_users(Some(one.id), page(200)).await.unwrap();
    assert_eq!(users.items, vec![u.clone()]);
    let everyone = store.list_users(None, page(200)).await.unwrap();
    assert_eq!(everyone.items.first(), Some(&u), "newest first");
    assert!(
        store
            .list_users(Some(two.id), page(200))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    assert!(!store.serves(dist.id, one.id).await.unwrap());
    for _ in 0..2 {
        store
            .set_distributor_link(dist.id, one.id, true, super::now())
            .await
            .unwrap();
    }
    assert!(store.serves(dist.id, one.id).await.unwrap());
    assert!(!store.serves(dist.id, two.id).await.unwrap());
    assert_eq!(store.partners_of(dist.id).await.unwrap(), vec![one.clone()]);
    for _ in 0..2 {
        store
            .set_distributor_link(dist.id, one.id, false, super::now())
            .await
            .unwrap();
    }
    assert!(!store.serves(dist.id, one.id).await.unwrap());
    assert!(store.partners_of(dist.id).await.unwrap().is_empty());

    organizations(store, &one, &two).await;
    keys_and_status(store, &two).await;
    audited(store, &two).await;
}

/// An administration change writes its events in its own transaction, about no order, with
/// its actor; they are listed newest first, paged; revoking a revoked key writes nothing; a
/// change that fails writes nothing.
async fn audited(store: &dyn Store, company: &crate::Company) {
    use provisio_domain::event::Event;
    let admin = user(store, company, "audit-admin@two.test", Role::Member).await;
    let u = user(store, company, "audited@two.test", Role::Member).await;
    let by = |events: Vec<Event>| Audit {
        actor: Some(admin.id),
        now: now(),
        events,
    };
    let before = store
        .admin_events(PageRequest {
            after: None,
            limit: 200,
        })
        .await
        .unwrap()
        .items
        .len();
    let key = store
        .create_api_key(
            u.id,
            "audited-hash",
            by(vec![Event::ApiKeyCreated {
                user: u.email.clone(),
            }]),
        )
        .await
        .unwrap();
    let disabled = Event::UserDisabled {
        user: u.email.clone(),
    };
    store
        .set_user_status(u.id, UserStatus::Disabled, by(vec![disabled]))
        .await
        .unwrap();
    let revoked = || {
        by(vec![Event::ApiKeyRevoked {
            user: u.email.clone(),
            key_id: key,
        }])
    };
    store.revoke_api_key(key, revoked()).await.unwrap();
    store.revoke_api_key(key, revoked()).await.unwrap();
    let nobody = provisio_domain::UserId::from_uuid(uuid::Uuid::now_v7());
    let failed = store
        .set_can_resend(
            nobody,
            true,
            by(vec![Event::UserChanged {
                user: u.email.clone(),
                can_resend: true,
            }]),
        )
        .await;
    assert!(failed.is_err());

    let page = store
        .admin_events(PageRequest {
            after: None,
            limit: 2,
        })
        .await
        .unwrap();
    let kinds: Vec<&str> = page.items.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["api_key.revoked", "user.disabled"], "newest first");
    assert_eq!(
        page.items[0].actor_email.as_deref(),
        Some(admin.email.as_str())
    );
    assert_eq!(page.items[1].data["user"], "audited@two.test");
    let rest = store
        .admin_events(PageRequest {
            after: page.next,
            limit: 200,
        })
        .await
        .unwrap();
    assert_eq!(rest.items[0].kind, "api_key.created");
    assert_eq!(
        2 + rest.items.len(),
        before + 3,
        "one revocation written, the failed change not"
    );
}

/// API keys are listed newest first without their hash, revoked once and for good, and
/// remember their last use; a disabled user's keys find nobody until they are enabled.
async fn keys_and_status(store: &dyn Store, company: &crate::Company) {
    let u = user(store, company, "keys@two.test", Role::Member).await;
    assert_eq!(u.status, UserStatus::Active, "a new user is active");
    let later = now() + SignedDuration::from_mins(5);
    let first = store
        .create_api_key(u.id, "keys-hash-1", Audit::none(now()))
        .await
        .unwrap();
    let second = store
        .create_api_key(u.id, "keys-hash-2", Audit::none(later))
        .await
        .unwrap();
    let keys = store.api_keys(u.id).await.unwrap();
    assert_eq!(
        keys.iter().map(|k| k.id).collect::<Vec<_>>(),
        vec![second, first],
        "newest first"
    );
    assert_eq!((keys[1].created_at, keys[1].user_id), (now(), u.id));
    assert!(
        keys.iter()
            .all(|k| k.last_used_at.is_none() && k.revoked_at.is_none())
    );

    // Last use moves forward only.
    store.record_api_key_use(first, later).await.unwrap();
    store.record_api_key_use(first, now()).await.unwrap();
    let keys = store.api_keys(u.id).await.unwrap();
    assert_eq!(keys[1].last_used_at, Some(later));

    // Revoking twice keeps the first time; only that key stops working.
    let revoked = store
        .revoke_api_key(first, Audit::none(later))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(later));
    let again = store
        .revoke_api_key(first, Audit::none(later + SignedDuration::from_mins(1)))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(later), "the first revocation stays");
    assert!(
        store
            .actor_by_api_key("keys-hash-1")
            .await
            .unwrap()
            .is_none()
    );
    let live = store
        .actor_by_api_key("keys-hash-2")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((live.key_id, live.actor.user_id), (second, u.id));
    assert!(
        store
            .revoke_api_key(uuid::Uuid::now_v7(), Audit::none(now()))
            .await
            .unwrap()
            .is_none(),
        "an unknown key is None"
    );

    // Disabled: the user stays, with their keys; no key finds them.
    store
        .set_user_status(u.id, UserStatus::Disabled, Audit::none(now()))
        .await
        .unwrap();
    let stored = store.user(u.id).await.unwrap().unwrap();
    assert_eq!(stored.status, UserStatus::Disabled);
    assert!(
        store
            .actor_by_api_key("keys-hash-2")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.api_keys(u.id).await.unwrap().len(), 2);
    store
        .set_user_status(u.id, UserStatus::Active, Audit::none(now()))
        .await
        .unwrap();
    assert!(
        store
            .actor_by_api_key("keys-hash-2")
            .await
            .unwrap()
            .is_some()
    );

    store
        .set_can_resend(u.id, false, Audit::none(now()))
        .await
        .unwrap();
    let stored = store.user(u.id).await.unwrap().unwrap();
    assert!(!stored.can_resend);
    let actor = store
        .actor_by_api_key("keys-hash-2")
        .await
        .unwrap()
        .unwrap();
    assert!(!actor.actor.can_resend, "the key sees the change at once");

    let nobody = provisio_domain::UserId::from_uuid(uuid::Uuid::now_v7());
    assert!(matches!(
        store
            .set_user_status(nobody, UserStatus::Disabled, Audit::none(now()))
            .await,
        Err(StoreError::NotFound { what: Entity::User })
    ));
    assert!(matches!(
        store.set_can_resend(nobody, true, Audit::none(now())).await,
        Err(StoreError::NotFound { what: Entity::User })
    ));
}

/// An organization id belongs to the partner whose line it was first reported for: another
/// partner's line cannot take it; the same partner's can. Only the same partner's are offered
/// to a contact.
async fn organizations(store: &dyn Store, one: &crate::Company, two: &crate::Company) {
    let by_one = user(store, one, "org-one@one.test", Role::Member).await;
    let by_two = user(store, two, "org-two@two.test", Role::Member).await;
    let contact = "kim@org.test";
    let mut lines = Vec::new();
    for (partner, by, web_id) in [
        (one, &by_one, "W-ORG-1"),
        (one, &by_one, "W-ORG-2"),
        (two, &by_two, "W-ORG-3"),
    ] {
        let order = new_order(partner, by, Some(web_id), vec![raw_line(contact)]);
        let order = store.create_order(order).await.unwrap().into_inner();
        lines.push(order.lines[0].sub_ref.clone());
    }
    let org = Organization {
        id: "org-shared-1".into(),
        name: "Kund AB".into(),
    };
    let onboard = |org: Organization| -> Decide {
        applying(move |facts| {
            let mut effects = Effects::new(facts.state.clone());
            effects.organization = Some(org.clone());
            effects
        })
    };
    store
        .update_line(&lines[0], request(now()), onboard(org.clone()))
        .await
        .unwrap();
    match store
        .update_line(&lines[2], request(now()), onboard(org.clone()))
        .await
    {
        Err(StoreError::NotFound {
            what: Entity::Organization,
        }) => {}
        other => panic!("another partner's line took the organization id: {other:?}"),
    }
    let line = store.line(&lines[2]).await.unwrap().unwrap();
    assert_eq!(line.line.organization, None, "nothing written");
    store
        .update_line(&lines[1], request(now()), onboard(org.clone()))
        .await
        .unwrap();
    let email = ContactEmail::parse(contact).unwrap();
    assert_eq!(
        store.organizations_of(&email, one.id).await.unwrap(),
        vec![org]
    );
    assert!(
        store
            .organizations_of(&email, two.id)
            .await
            .unwrap()
            .is_empty()
    );
}
