//! Search by `q` (SPEC §7; issue 22): any part of a web order id, end customer, subscription
//! reference or contact email, whatever its case (Unicode: `Ä` finds `ä`, on either backend),
//! through the lines' search index, on the lists of subscriptions and of orders; a changed
//! contact is found by its new address only.

use provisio_domain::Scope;
use provisio_domain::search::Search;
use provisio_store::{LineQuery, PageRequest};
use reqwest::Method;
use serde_json::{Value, json};

use crate::backend::{database_of, store_of};
use crate::cases_api::sub_refs;
use crate::helpers::*;

/// Pia orders for Åsa Ström AB, one line per contact.
async fn order(w: &World, web_id: &str, contacts: &[&str]) -> Value {
    let lines: Vec<Value> = contacts.iter().map(|c| line(c, "2030-01-15")).collect();
    let body = json!({
        "web_order_id": web_id, "distributor_id": w.dist,
        "end_customer": {"name": "Åsa Ström AB"}, "locale": "sv", "lines": lines,
    });
    w.t.post("/api/v1/orders", &w.pia, body)
        .await
        .ok(201)
        .clone()
}

/// The subscription references and the web order ids a search finds, as Pia.
async fn found(w: &World, q: &str) -> (Vec<String>, Vec<String>) {
    let q = urlencoding(q);
    let lines =
        w.t.get(&format!("/api/v1/subscriptions?q={q}"), &w.pia)
            .await;
    let orders = w.t.get(&format!("/api/v1/orders?q={q}"), &w.pia).await;
    let field = |reply: &Reply, name: &str| -> Vec<String> {
        reply.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i[name].as_str().unwrap().to_owned())
            .collect()
    };
    (
        field(&lines, "subscription_ref"),
        field(&orders, "order_id"),
    )
}

fn urlencoding(q: &str) -> String {
    q.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' => (b as char).to_string(),
            b => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn any_part_of_any_field_is_found_whatever_its_case() {
    let w = World::new().await;
    let first = order(&w, "W-SOK-1", &["orjan@kärnkund.test", "kim@kund.test"]).await;
    w.order("W-OTHER-2", &["lo@annan.test"]).await;
    let refs = sub_refs(&first);

    let whole_order = (
        refs.iter().rev().cloned().collect::<Vec<_>>(),
        vec!["W-SOK-1".to_owned()],
    );
    for q in [
        "ÅSA STRÖM",
        "åsa ström ab",
        "w-sok",
        "Ström",
        "SOK-1",
        " sok ",
    ] {
        assert_eq!(found(&w, q).await, whole_order, "{q:?}");
    }
    let orjan = (vec![refs[0].clone()], vec!["W-SOK-1".to_owned()]);
    for q in [
        "ORJAN@KÄRN",
        "orjan@kärnkund.test",
        &refs[0].to_lowercase(),
        "rn",
    ] {
        assert_eq!(found(&w, q).await, orjan, "{q:?}");
    }
    // Wildcards are plain characters; a term never spans two fields; nothing else is found.
    for q in [
        "%",
        "_",
        "*",
        "?",
        "[ö]rjan",
        "kund.test\nw-sok",
        "Åsa Strom",
    ] {
        assert_eq!(found(&w, q).await, (vec![], vec![]), "{q:?}");
    }
    // Both orders have a contact at a .test domain: newest first.
    let (_, orders) = found(&w, ".TEST").await;
    assert_eq!(orders, ["W-OTHER-2", "W-SOK-1"]);
}

#[tokio::test]
async fn a_changed_contact_is_found_by_its_new_address_and_not_its_old() {
    let w = World::new().await;
    let placed = order(&w, "W-SOK-2", &["gammal@kund.test"]).await;
    let sub = &sub_refs(&placed)[0];
    let path = format!("/api/v1/lines/{sub}/provisioning-contact");
    let body = json!({"email": "Ny.Kontakt@Kund.test", "name": "Ny"});
    w.t.send(Method::PUT, &path, Some(&w.bo), Some(body))
        .await
        .ok(200);

    let line = (vec![sub.clone()], vec!["W-SOK-2".to_owned()]);
    assert_eq!(found(&w, "ny.kontakt@").await, line);
    assert_eq!(found(&w, "gammal").await, (vec![], vec![]));
    // The rest of the line's text stays as it was.
    assert_eq!(found(&w, "Åsa").await, line);
}

#[tokio::test]
async fn lines_stored_before_the_index_are_found_once_the_store_migrates() {
    let mut w = World::new().await;
    let placed = order(&w, "W-SOK-3", &["early@kund.test", "bird@kund.test"]).await;
    w.t.shut_down().await;
    w.t.app.close().await;
    // As a database of the version before the index: lines, no texts, the backfill to do.
    let dir = w.t.data_dir();
    let forget = "DELETE FROM line_search;
                  INSERT INTO search_backfill (after, upto) SELECT 0, max(seq) FROM lines";
    match database_of(&dir) {
        Some(url) => {
            let pool = sqlx::PgPool::connect(&url).await.unwrap();
            sqlx::raw_sql(forget).execute(&pool).await.unwrap();
            pool.close().await;
        }
        None => {
            use sqlx::Connection;
            let url = format!("sqlite:{}", dir.join("provisio.sqlite").display());
            let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(forget).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
        }
    }
    let store = store_of(&dir).await;
    let search = |q: &str| LineQuery {
        q: Search::parse(q),
        ..LineQuery::new(
            Scope::Everything,
            PageRequest {
                after: None,
                limit: 10,
            },
        )
    };
    let found = store.list_lines(&search("EARLY@")).await.unwrap().items;
    let refs: Vec<String> = found.iter().map(|l| l.line.sub_ref.to_string()).collect();
    assert_eq!(refs, [sub_refs(&placed)[0].clone()]);
    let found = store.list_lines(&search("åsa")).await.unwrap().items;
    assert_eq!(found.len(), 2);
}
