//! Orders and lines through the API: placing, tenancy, listing, searching, events.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

fn refs(order: &Value) -> Vec<String> {
    order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["subscription_ref"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_member_places_an_order_and_its_lines_wait_for_their_rsd() {
    let w = World::new().await;
    let o = w.order("W123", &["kim@kund.test", "lo@kund.test"]).await;
    assert_eq!(o["order_id"], "W123");
    assert_eq!(o["partner"]["name"], "Acme");
    assert_eq!(o["distributor"]["name"], "Dist");
    assert_eq!(
        o["placed_by"],
        json!({"name": "Pia Partner", "email": "pia@acme.test"})
    );
    assert_eq!(o["end_customer"]["name"], "Kund AB");
    let r = refs(&o);
    assert!(
        r.iter()
            .all(|s| s.starts_with("Sub") && s[3..].chars().all(|c| c.is_ascii_digit())),
        "{r:?}"
    );
    assert_ne!(r[0], r[1]);
    let line = &o["lines"][0];
    assert_eq!(line["order_id"], "W123");
    assert_eq!(line["line_number"], 1);
    assert_eq!(line["stage"], "scheduled");
    assert_eq!(line["status"], "open");
    assert_eq!(line["locale"], "sv", "lines inherit the order's locale");
    assert_eq!(
        line["provisioning_contact"],
        json!({"email": "kim@kund.test", "name": "Kim"})
    );
    assert_eq!(line["requested_start_date"], "2030-01-15");
    for key in [
        "closed_reason",
        "first_sent_at",
        "closes_at",
        "closed_at",
        "organization",
        "last_email",
    ] {
        assert!(line[key].is_null(), "{key} is null before the first send");
    }
    assert_eq!(line["past_point_of_no_return"], false);
    assert_eq!(line["provisioning_in_progress"], true);

    let again = w.t.get("/api/v1/orders/W123", &w.pia).await;
    assert_eq!(again.ok(200), &o);
    let one = w.t.get(&format!("/api/v1/lines/{}", r[1]), &w.pia).await;
    assert_eq!(one.ok(200), &o["lines"][1]);
}

#[tokio::test]
async fn web_order_ids_are_generated_and_unique() {
    let w = World::new().await;
    let a =
        w.t.post("/api/v1/orders", &w.pia, order_body())
            .await
            .ok(201)
            .clone();
    let b =
        w.t.post("/api/v1/orders", &w.pia, order_body())
            .await
            .ok(201)
            .clone();
    assert!(a["order_id"].as_str().unwrap().starts_with('W'));
    assert_ne!(a["order_id"], b["order_id"]);
    w.order("W1", &["kim@kund.test"]).await;
    let mut dup = order_body();
    dup["web_order_id"] = json!("W1");
    w.t.post("/api/v1/orders", &w.bo, dup)
        .await
        .problem(409, "already_exists");
    assert_eq!(w.t.order_count().await, 3);
}

#[tokio::test]
async fn who_places_orders_for_whom() {
    let w = World::new().await;
    let t = &w.t;
    // A distributor names the partner; it is the distributor itself.
    let mut body = order_body();
    body["partner_id"] = json!(w.acme);
    let o = t.post("/api/v1/orders", &w.dana, body.clone()).await;
    assert_eq!(o.ok(201)["distributor"]["name"], "Dist");
    assert_eq!(o.body["partner"]["name"], "Acme");
    // Without a partner a distributor cannot order.
    t.post("/api/v1/orders", &w.dana, order_body())
        .await
        .problem(422, "invalid_request");
    // A partner member may not order for another partner (whose id is as good as unknown:
    // `tenancy.rs`).
    let mut other = order_body();
    other["partner_id"] = json!(w.other);
    t.post("/api/v1/orders", &w.pia, other.clone())
        .await
        .problem(422, "invalid_request");
    // Support agents do not place orders.
    t.post("/api/v1/orders", &w.agent, body.clone())
        .await
        .problem(403, "permission_denied");
    // An admin places for a partner on behalf of its user, who becomes the ordering contact.
    let mut on_behalf = body.clone();
    on_behalf["placed_by"] = json!("cy@acme.test");
    let o = t.post("/api/v1/orders", &t.admin, on_behalf.clone()).await;
    assert_eq!(o.ok(201)["placed_by"]["email"], "cy@acme.test");
    // ... but not naming a user of another company.
    on_behalf["placed_by"] = json!("olle@other.test");
    t.post("/api/v1/orders", &t.admin, on_behalf)
        .await
        .problem(422, "invalid_request");
    // An admin must name the partner.
    t.post("/api/v1/orders", &t.admin, order_body())
        .await
        .problem(422, "invalid_request");
    // The partner's ERP integration orders for its own company.
    let o = t.post("/api/v1/orders", &w.erp, order_body()).await;
    assert_eq!(o.ok(201)["partner"]["name"], "Acme");
    // A member may name themselves as placed_by, but nobody else.
    let mut me = order_body();
    me["placed_by"] = json!("pia@acme.test");
    t.post("/api/v1/orders", &w.pia, me.clone()).await.ok(201);
    me["placed_by"] = json!("bo@acme.test");
    t.post("/api/v1/orders", &w.pia, me)
        .await
        .problem(403, "permission_denied");
    assert_eq!(t.order_count().await, 4);
}

#[tokio::test]
async fn tenancy_hides_other_companies_orders() {
    let w = World::new().await;
    let o = w.order("W7", &["kim@kund.test"]).await;
    let sub = refs(&o)[0].clone();
    for (who, key) in [
        ("ordering contact", &w.pia),
        ("colleague", &w.cy),
        ("distributor", &w.dana),
        ("agent", &w.agent),
        ("admin", &w.t.admin),
        ("portal", &w.portal),
    ] {
        assert_eq!(w.t.get("/api/v1/orders/W7", key).await.status, 200, "{who}");
        assert_eq!(
            w.t.get(&format!("/api/v1/lines/{sub}"), key).await.status,
            200,
            "{who}"
        );
    }
    let hidden = w.t.get("/api/v1/orders/W7", &w.olle).await;
    let unknown = w.t.get("/api/v1/orders/W8", &w.olle).await;
    hidden.problem(404, "not_found");
    assert_eq!(
        hidden.body["detail"], unknown.body["detail"],
        "existence is not revealed"
    );
    w.t.get(&format!("/api/v1/lines/{sub}"), &w.olle)
        .await
        .problem(404, "not_found");
    w.t.get(&format!("/api/v1/lines/{sub}/events"), &w.olle)
        .await
        .problem(404, "not_found");
    let list = w.t.get("/api/v1/orders", &w.olle).await;
    assert_eq!(list.ok(200)["items"], json!([]));
    let subs = w.t.get("/api/v1/subscriptions", &w.olle).await;
    assert_eq!(subs.ok(200)["items"], json!([]));
}

#[tokio::test]
async fn lists_are_newest_first_searchable_and_paginated() {
    let w = World::new().await;
    for i in 1..=5 {
        w.order(&format!("W{i}"), &[&format!("c{i}@kund.test")])
            .await;
    }
    let all = w.t.get("/api/v1/orders", &w.pia).await;
    let ids: Vec<_> = all.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["order_id"].clone())
        .collect();
    assert_eq!(ids, ["W5", "W4", "W3", "W2", "W1"]);
    assert!(all.body["next_cursor"].is_null());

    let mut seen = vec![];
    let mut path = "/api/v1/orders?limit=2".to_owned();
    loop {
        let page = w.t.get(&path, &w.pia).await;
        let body = page.ok(200).clone();
        assert!(body["items"].as_array().unwrap().len() <= 2);
        seen.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["order_id"].as_str().unwrap().to_owned()),
        );
        match body["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/orders?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, ["W5", "W4", "W3", "W2", "W1"], "every order once");

    let sub = refs(&w.t.get("/api/v1/orders/W2", &w.pia).await.body)[0].clone();
    for (q, expect) in [
        ("W3", vec!["W3"]),
        ("c4@KUND", vec!["W4"]),
        (sub.as_str(), vec!["W2"]),
        ("nobody", vec![]),
    ] {
        let r = w.t.get(&format!("/api/v1/orders?q={q}"), &w.pia).await;
        let ids: Vec<_> = r.ok(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["order_id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(ids, expect, "q={q}");
    }
    let r =
        w.t.get("/api/v1/orders?stage=scheduled&status=open", &w.pia)
            .await;
    assert_eq!(r.ok(200)["items"].as_array().unwrap().len(), 5);
    let r = w.t.get("/api/v1/orders?stage=onboarded", &w.pia).await;
    assert_eq!(r.ok(200)["items"], json!([]));
    let r = w.t.get("/api/v1/orders?status=closed", &w.pia).await;
    assert_eq!(r.ok(200)["items"], json!([]));
}

#[tokio::test]
async fn the_subscriptions_list_has_every_unprovisioned_line() {
    let w = World::new().await;
    w.order("W1", &["a@kund.test", "b@kund.test"]).await;
    w.order("W2", &["c@kund.test"]).await;
    let r =
        w.t.get("/api/v1/subscriptions?provisioning=incomplete", &w.dana)
            .await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 3);
    assert_eq!(items[0]["order_id"], "W2", "newest first");
    assert!(items.iter().all(|l| l["provisioning_in_progress"] == true));
    let r =
        w.t.get("/api/v1/subscriptions?q=b@kund&limit=1", &w.pia)
            .await;
    assert_eq!(
        r.ok(200)["items"][0]["provisioning_contact"]["email"],
        "b@kund.test"
    );
}

#[tokio::test]
async fn an_idempotent_retry_returns_the_first_order() {
    let w = World::new().await;
    let send = || {
        w.t.http
            .post(format!("{}/api/v1/orders", w.t.base))
            .bearer_auth(&w.pia)
            .header("Idempotency-Key", "order-42")
            .json(&order_body())
    };
    let first = TestApp::reply(send()).await;
    let second = TestApp::reply(send()).await;
    assert_eq!(first.ok(201), second.ok(201));
    assert_eq!(w.t.order_count().await, 1);
    // The same key from another user is their own key.
    let other = TestApp::reply(
        w.t.http
            .post(format!("{}/api/v1/orders", w.t.base))
            .bearer_auth(&w.bo)
            .header("Idempotency-Key", "order-42")
            .json(&order_body()),
    )
    .await;
    assert_ne!(other.ok(201)["order_id"], first.body["order_id"]);
}

#[tokio::test]
async fn events_record_the_order_with_its_actor() {
    let w = World::new().await;
    let o = w.order("W9", &["kim@kund.test"]).await;
    let sub = &refs(&o)[0];
    let r = w.t.get(&format!("/api/v1/lines/{sub}/events"), &w.bo).await;
    let items = r.ok(200)["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["type"], "order.created");
    assert_eq!(items[0]["actor"], json!({"email": "pia@acme.test"}));
    assert_eq!(items[0]["at"], o["placed_at"]);
    assert!(
        w.t.send(
            Method::GET,
            &format!("/api/v1/lines/{sub}/events"),
            None,
            None
        )
        .await
        .status
            == 401
    );
}

#[tokio::test]
async fn lists_carry_order_summaries_and_the_order_its_lines() {
    let w = World::new().await;
    let order = w
        .order("W-SUM-1", &["a@kund.test", "b@kund.test", "c@kund.test"])
        .await;
    let refs = refs(&order);
    w.t.post(
        &format!("/api/v1/lines/{}/cancel", refs[2]),
        &w.pia,
        json!({}),
    )
    .await
    .ok(200);
    let list = w.t.get("/api/v1/orders", &w.pia).await;
    let summary = &list.ok(200)["items"][0];
    assert_eq!(summary["order_id"], "W-SUM-1");
    assert!(summary.get("lines").is_none(), "{summary}");
    assert_eq!(summary["line_count"], 3);
    assert_eq!(
        summary["lines_by_stage"],
        json!({"scheduled": 2, "cancelled": 1})
    );
    assert_eq!(summary["lines_by_status"], json!({"open": 2, "closed": 1}));
    assert_eq!(summary["partner"]["id"], order["partner"]["id"]);
    let full = w.t.get("/api/v1/orders/W-SUM-1", &w.pia).await;
    assert_eq!(full.ok(200)["lines"].as_array().unwrap().len(), 3);
}
