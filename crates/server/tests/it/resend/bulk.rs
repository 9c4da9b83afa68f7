//! The bulk resend of several lines of one order: one result per line, and
//! `Idempotency-Key` per line.

use reqwest::Method;
use serde_json::{Value, json};

use super::resends;
use crate::helpers::*;

fn results(reply: &Reply) -> Vec<Value> {
    reply.ok(200)["results"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_bulk_resend_answers_per_line() {
    let w = World::new().await;
    let t = &w.t;
    let order = w
        .order("W107", &["a@kund.test", "b@kund.test", "c@kund.test"])
        .await;
    let refs: Vec<&str> = (0..3)
        .map(|i| order["lines"][i]["subscription_ref"].as_str().unwrap())
        .collect();
    let foreign = w.order("W108", &["x@kund.test"]).await["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let bulk = "/api/v1/orders/W107/resend";

    let r = t
        .post(
            bulk,
            &w.bo,
            json!({"lines": [refs[0], refs[1], "Sub999999999", foreign]}),
        )
        .await;
    let res = results(&r);
    assert_eq!(res.len(), 4, "{}", r.text);
    for (i, sub) in refs[..2].iter().enumerate() {
        assert_eq!(res[i]["subscription_ref"], *sub);
        assert_eq!(res[i]["status"], 202, "{}", res[i]);
        assert_eq!(res[i]["email"]["kind"], "resend");
        assert_eq!(res[i]["email"]["to"], ["a@kund.test", "b@kund.test"][i]);
        assert!(res[i].get("error").is_none(), "{}", res[i]);
        assert_eq!(resends(t, &w.bo, sub).await.len(), 1);
    }
    for (r, sub) in res[2..].iter().zip(["Sub999999999", foreign.as_str()]) {
        assert_eq!(r["subscription_ref"], sub);
        assert_eq!(r["status"], 404, "{r}");
        assert_eq!(r["error"]["code"], "not_found", "{r}");
        assert_eq!(r["error"]["status"], 404, "{r}");
        assert!(r.get("email").is_none(), "{r}");
    }
    assert!(resends(t, &w.bo, &foreign).await.is_empty());

    // Past PONR in the middle: refused alone, the others still go out.
    t.post(
        &format!("/api/v1/lines/{}/onboarding", refs[1]),
        &w.agent,
        json!({"organization_name": "X"}),
    )
    .await
    .ok(200);
    t.advance(6).await;
    let res = results(&t.post(bulk, &w.bo, json!({"lines": refs})).await);
    let statuses: Vec<_> = res.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!(202), json!(409), json!(202)]);
    assert_eq!(res[1]["error"]["code"], "past_point_of_no_return");
    assert!(res[1]["error"]["detail"].is_string(), "{}", res[1]);
    assert_eq!(resends(t, &w.bo, refs[0]).await.len(), 2);
    assert_eq!(resends(t, &w.bo, refs[2]).await.len(), 1);

    // A member without can_resend: 403 per line, naming whom to ask.
    let res = results(
        &t.post(bulk, &w.cy, json!({"lines": [refs[0], refs[2]]}))
            .await,
    );
    for r in &res {
        assert_eq!(r["status"], 403, "{r}");
        assert_eq!(r["error"]["code"], "permission_denied");
        assert_eq!(
            r["error"]["ordering_contact"],
            json!({"name": "Pia Partner", "email": "pia@acme.test"})
        );
    }
    assert_eq!(resends(t, &w.bo, refs[0]).await.len(), 2);

    t.post(bulk, &w.bo, json!({"lines": []}))
        .await
        .problem(422, "invalid_request");
    t.post(bulk, &w.bo, json!({"lines": [refs[0]], "x": 1}))
        .await
        .problem(400, "invalid_request");
    t.post(
        "/api/v1/orders/W999/resend",
        &w.bo,
        json!({"lines": [refs[0]]}),
    )
    .await
    .problem(404, "not_found");
    // Another partner's user learns nothing about the order.
    t.post(bulk, &w.olle, json!({"lines": [refs[0]]}))
        .await
        .problem(404, "not_found");
    let unauth = t
        .send(Method::POST, bulk, None, Some(json!({"lines": [refs[0]]})))
        .await;
    unauth.problem(401, "unauthenticated");
}

#[tokio::test]
async fn a_bulk_resend_with_an_idempotency_key_applies_per_line() {
    let w = World::new().await;
    let t = &w.t;
    let order = w.order("W110", &["a@kund.test", "b@kund.test"]).await;
    let refs: Vec<&str> = (0..2)
        .map(|i| order["lines"][i]["subscription_ref"].as_str().unwrap())
        .collect();
    let bulk = |key: &str| {
        t.http
            .post(format!("{}/api/v1/orders/W110/resend", t.base))
            .bearer_auth(&w.bo)
            .header("Idempotency-Key", key)
            .json(&json!({ "lines": refs }))
    };
    let first = results(&TestApp::reply(bulk("bulk-1")).await);
    let statuses: Vec<_> = first.iter().map(|r| r["status"].clone()).collect();
    assert_eq!(statuses, [json!(202), json!(202)], "{first:?}");
    t.advance(6).await;
    let again = results(&TestApp::reply(bulk("bulk-1")).await);
    for (a, b) in first.iter().zip(&again) {
        assert_eq!(b["status"], 202, "{b}");
        assert_eq!(a["email"]["id"], b["email"]["id"], "the same key replays");
    }
    for sub in &refs {
        assert_eq!(resends(t, &w.bo, sub).await.len(), 1);
    }
    let other = results(&TestApp::reply(bulk("bulk-2")).await);
    assert!(other.iter().all(|r| r["status"] == 202), "{other:?}");
    assert_eq!(resends(t, &w.bo, refs[1]).await.len(), 2);
}
