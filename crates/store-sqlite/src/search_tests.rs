//! A search finds the same lines and orders whatever the sample it asks the index by: the
//! store's own, one taken before any line was stored (every trigram "rare", so the index is
//! probed for the later ones), or none.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use provisio_domain::search::Search;
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
    let refs: Vec<String> = {
        let all = LineQuery::new(
            Scope::Everything,
            PageRequest {
                after: None,
                limit: 200,
            },
        );
        let lines = store
            .readers
            .read(|c| crate::lines::list(c, &all, None))
            .unwrap();
        lines
            .items
            .iter()
            .map(|l| l.line.sub_ref.to_string())
            .collect()
    };
    let mut needles = vec![
        "w12",
        "kim@KUND",
        "kund ab",
        "ab",
        "%",
        "[k]und",
        "example",
        "sub",
        "@kund.example",
        "nobody@nowhere",
        "ÅÄÖ",
    ];
    needles.extend(refs.iter().map(String::as_str));
    let mut found_any = 0;
    for needle in needles {
        let search = Search::parse(needle).unwrap();
        let mut lines_found = Vec::new();
        let mut orders_found = Vec::new();
        for sample in &samples {
            let query = LineQuery {
                q: Some(search.clone()),
                ..LineQuery::new(
                    Scope::Everything,
                    PageRequest {
                        after: None,
                        limit: 200,
                    },
                )
            };
            let lines = store
                .readers
                .read(|c| crate::lines::list(c, &query, Some(sample)))
                .unwrap();
            lines_found.push(
                lines
                    .items
                    .iter()
                    .map(|l| l.line.sub_ref.to_string())
                    .collect::<Vec<_>>(),
            );
            let mut query = OrderQuery::new(
                Scope::Everything,
                PageRequest {
                    after: None,
                    limit: 50,
                },
            );
            query.q = Some(search.clone());
            let orders = store
                .readers
                .read(|c| crate::orders::list(c, &query, Some(sample)))
                .unwrap();
            orders_found.push(
                orders
                    .items
                    .iter()
                    .map(|o| o.order.web_order_id.to_string())
                    .collect::<Vec<_>>(),
            );
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
