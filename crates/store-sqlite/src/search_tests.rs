//! A search finds the same lines and orders whatever the sample it asks the index by: the
//! store's own, one taken before any line was stored (every trigram "rare", so the index is
//! probed for the later ones), or none.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use provisio_domain::search::Search;
use provisio_store::conformance::{order_ids_of, refs_of, search_needles};
use provisio_store::search_sample::SearchSample;
use provisio_store::{LineQuery, Maintenance, OrderQuery, PageRequest, Scope, Store};

use crate::SqliteStore;

#[tokio::test]
async fn every_sample_finds_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("provisio.sqlite"))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let shared: Arc<dyn Store> = Arc::new(store.clone());
    provisio_store::conformance::orders(shared).await;
    let own = store.search.sample().unwrap();
    let samples = [
        own,
        Arc::new(SearchSample::default()),
        Arc::new(SearchSample::of(&["zzz".to_owned()])),
    ];
    let page = |limit| PageRequest { after: None, limit };
    let refs = {
        let all = LineQuery::new(Scope::Everything, page(200));
        refs_of(
            &store
                .readers
                .read(|c| crate::lines::list(c, &all, None))
                .unwrap(),
        )
    };
    let mut found_any = 0;
    for needle in search_needles(&refs) {
        let search = Search::parse(&needle).unwrap();
        let mut lines_found = Vec::new();
        let mut orders_found = Vec::new();
        for sample in &samples {
            let mut lines = LineQuery::new(Scope::Everything, page(200));
            lines.q = Some(search.clone());
            let found = store
                .readers
                .read(|c| crate::lines::list(c, &lines, Some(sample)));
            lines_found.push(refs_of(&found.unwrap()));
            let mut orders = OrderQuery::new(Scope::Everything, page(50));
            orders.q = Some(search.clone());
            let found = store
                .readers
                .read(|c| crate::orders::list(c, &orders, Some(sample)));
            orders_found.push(order_ids_of(&found.unwrap()));
        }
        for i in 1..samples.len() {
            assert_eq!(
                lines_found[0], lines_found[i],
                "lines, {needle:?}, sample {i}"
            );
            assert_eq!(
                orders_found[0], orders_found[i],
                "orders, {needle:?}, sample {i}"
            );
        }
        found_any += usize::from(!lines_found[0].is_empty());
    }
    assert!(found_any > 5, "the needles find lines");
}
