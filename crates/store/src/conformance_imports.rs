//! Chapter "imports": many orders in one write (`Orders::import_orders`), each whole or not
//! at all, answered in the order given.

use provisio_domain::CompanyKind;
use provisio_domain::search::Search;
use provisio_domain::{CompanyId, WebOrderId};

use super::{company, new_order, page, partner_with, raw_line};
use crate::{Company, Entity, LineQuery, Scope, Store, StoreError, User};

pub(super) async fn story(store: &dyn Store) {
    let (acme, pia) = partner_with(store, "Acme", "pia@acme.test").await;
    company(store, "Other Partner", CompanyKind::Partner).await;
    let taken = new_order(&acme, &pia, Some("W7"), vec![raw_line("kim@kund.test")]);
    store.create_order(taken).await.unwrap();
    assert!(
        store.import_orders(&[]).await.unwrap().is_empty(),
        "nothing to import answers nothing"
    );

    // A partner removed after the order was authorized (its member ordering for it).
    let gone = Company {
        id: CompanyId::from_uuid(uuid::Uuid::now_v7()),
        ..acme.clone()
    };
    let gone_member = User {
        company: gone.clone(),
        ..pia.clone()
    };
    let two = vec![raw_line("ann@kund.test"), raw_line("bo@kund.test")];
    let batch = [
        new_order(&acme, &pia, Some("W500"), two),
        new_order(&acme, &pia, Some("W500"), vec![raw_line("dup@kund.test")]),
        new_order(
            &gone,
            &gone_member,
            Some("W501"),
            vec![raw_line("gone@kund.test")],
        ),
        new_order(&acme, &pia, None, vec![raw_line("cy@kund.test")]),
        new_order(&acme, &pia, Some("W7"), vec![raw_line("again@kund.test")]),
    ];
    let results = store.import_orders(&batch).await.unwrap();
    assert_eq!(results.len(), 5, "one answer per order: {results:?}");

    let first = results[0].as_ref().expect("the first order is imported");
    assert_eq!((first.web_order_id.as_str(), first.lines), ("W500", 2));
    let order = store.order(&first.web_order_id).await.unwrap().unwrap();
    let refs: Vec<_> = order.lines.iter().map(|l| l.sub_ref.clone()).collect();
    assert_eq!(
        (&refs[0], &refs[1]),
        (&first.first_ref, &first.last_ref),
        "the answer names the lines' first and last references"
    );
    assert!(
        matches!(
            results[1],
            Err(StoreError::AlreadyExists {
                what: Entity::Order
            })
        ),
        "an id taken earlier in the same batch is refused: {:?}",
        results[1]
    );
    assert!(
        matches!(
            results[2],
            Err(StoreError::NotFound {
                what: Entity::OrderParty
            })
        ),
        "a party that is gone: {:?}",
        results[2]
    );
    let generated = results[3].as_ref().expect("an order with a generated id");
    assert!(generated.web_order_id.as_str().starts_with('W'));
    assert_eq!(generated.first_ref, generated.last_ref);
    assert!(matches!(
        results[4],
        Err(StoreError::AlreadyExists {
            what: Entity::Order
        })
    ));

    // The refused left no trace: no order W501, no line of theirs, and W7 kept its one line.
    let w501 = WebOrderId::parse("W501").unwrap();
    assert!(store.order(&w501).await.unwrap().is_none());
    let w7 = store.order(&WebOrderId::parse("W7").unwrap()).await;
    assert_eq!(w7.unwrap().unwrap().lines.len(), 1);
    for (contact, found) in [
        ("dup@kund", 0),
        ("gone@kund", 0),
        ("again@kund", 0),
        ("bo@kund", 1),
        ("cy@kund", 1),
    ] {
        let query = LineQuery {
            q: Search::parse(contact),
            ..LineQuery::new(Scope::Everything, page(10))
        };
        let lines = store.list_lines(&query).await.unwrap().items;
        assert_eq!(lines.len(), found, "lines found by {contact}");
    }
    // A batch of good orders only: all of them, their references following each other's.
    let good = [
        new_order(&acme, &pia, Some("W600"), vec![raw_line("dag@kund.test")]),
        new_order(&acme, &pia, Some("W601"), vec![raw_line("eva@kund.test")]),
    ];
    let results = store.import_orders(&good).await.unwrap();
    let ids: Vec<_> = results
        .iter()
        .map(|r| r.as_ref().unwrap().web_order_id.as_str())
        .collect();
    assert_eq!(ids, ["W600", "W601"]);
    let found = LineQuery {
        q: Search::parse("eva@kund"),
        ..LineQuery::new(Scope::Everything, page(10))
    };
    assert_eq!(store.list_lines(&found).await.unwrap().items.len(), 1);

    // Each imported order has its `order.created` event, as a placed one has.
    let events = store.line_events(&first.first_ref).await.unwrap();
    assert!(!events.is_empty(), "the imported order's event is written");
}
