//! Every reading of a search finds what the others find: the lines and orders of the store
//! conformance story's orders chapter, searched newest first (`Many`), and through the index
//! by the whole term or by its plain trigrams (`Few`), whatever a sample would choose.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use provisio_domain::search::Search;
use provisio_store::conformance::{order_ids_of, refs_of, search_needles};
use provisio_store::{LineQuery, Maintenance, OrderQuery, PageRequest, Scope, Store};

use super::{Lookup, SearchSample, lookup};
use crate::PgStore;
use crate::testing::TestDatabase;

/// The three readings of `search`.
fn readings(search: &Search) -> [Lookup; 3] {
    let whole = crate::search::like(search);
    // A sample holding none of the term's trigrams: each is rare, the plain ones are asked.
    let rare = SearchSample::of(&["zzz".to_owned()]);
    let by_trigrams = match lookup(search, Some(&rare)) {
        few @ Lookup::Few { .. } => few,
        // A term too short for trigrams: asked for whole.
        Lookup::Many { .. } => Lookup::Few {
            patterns: [whole.clone(), whole.clone(), whole.clone()],
            term: search.folded().to_owned(),
        },
    };
    [
        Lookup::Many {
            pattern: whole.clone(),
        },
        Lookup::Few {
            patterns: [whole.clone(), whole.clone(), whole],
            term: search.folded().to_owned(),
        },
        by_trigrams,
    ]
}

#[tokio::test]
async fn every_reading_finds_the_same() {
    let db = TestDatabase::create().await;
    let store = PgStore::open(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    provisio_store::conformance::orders(shared).await;
    let page = |limit| PageRequest { after: None, limit };
    let refs = {
        let all = LineQuery::new(Scope::Everything, page(200));
        let mut conn = store.pool().acquire().await.unwrap();
        refs_of(&crate::lines::list(&mut conn, &all, None).await.unwrap())
    };
    assert!(refs.len() > 3);
    let mut found_any = 0;
    for needle in search_needles(&refs) {
        let search = Search::parse(&needle).unwrap();
        let mut lines_found = Vec::new();
        let mut orders_found = Vec::new();
        for reading in readings(&search) {
            let mut conn = store.pool().acquire().await.unwrap();
            let mut lines = LineQuery::new(Scope::Everything, page(200));
            lines.q = Some(search.clone());
            let found = crate::lines::list(&mut conn, &lines, Some(&reading));
            lines_found.push(refs_of(&found.await.unwrap()));
            let mut orders = OrderQuery::new(Scope::Everything, page(50));
            orders.q = Some(search.clone());
            let found = crate::order_reads::list(&mut conn, &orders, Some(&reading));
            orders_found.push(order_ids_of(&found.await.unwrap()));
        }
        assert_eq!(lines_found[0], lines_found[1], "lines, {needle:?}");
        assert_eq!(lines_found[0], lines_found[2], "lines, {needle:?}");
        assert_eq!(orders_found[0], orders_found[1], "orders, {needle:?}");
        assert_eq!(orders_found[0], orders_found[2], "orders, {needle:?}");
        found_any += usize::from(!lines_found[0].is_empty());
    }
    assert!(found_any > 5, "the needles find lines");
}

/// The first search of an instance takes a sample of what is stored, which tells a term every
/// line holds from one none does; the store answers through it.
#[tokio::test]
async fn a_store_searches_through_its_sample() {
    let db = TestDatabase::create().await;
    let store = PgStore::open(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    provisio_store::conformance::orders(Arc::clone(&shared)).await;
    let common = Search::parse("kund ab").unwrap();
    let rare = Search::parse("nobody@nowhere").unwrap();
    let reading = |search: Search| {
        let store = store.clone();
        async move {
            let lookup = store.search.lookup(store.pool(), &search).await.unwrap();
            lookup.reading()
        }
    };
    assert_eq!(
        reading(common.clone()).await,
        super::Reading::Many,
        "every line holds it"
    );
    assert_eq!(
        reading(rare.clone()).await,
        super::Reading::Few,
        "no line holds it"
    );
    for (search, found) in [(common, true), (rare, false)] {
        let query = LineQuery {
            q: Some(search),
            ..LineQuery::new(
                Scope::Everything,
                PageRequest {
                    after: None,
                    limit: 50,
                },
            )
        };
        let lines = shared.list_lines(&query).await.unwrap().items;
        assert_eq!(!lines.is_empty(), found);
    }
}
