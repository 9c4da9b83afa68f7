//! The directory chapter: companies and users listed newest first, keyset-paginated and
//! scoped; the partners a distributor serves.

use provisio_domain::{CompanyKind, Role};

use super::{company, user};
use crate::{PageRequest, Store};

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
}
