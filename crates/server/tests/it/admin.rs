//! Admin routes: companies, users, API keys, offer policies — and who may use them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn an_admin_creates_a_company_a_user_and_a_working_key() {
    let t = TestApp::spawn().await;
    let c = t
        .post(
            "/api/v1/companies",
            &t.admin,
            json!({"name": "Acme", "kind": "partner"}),
        )
        .await;
    let company = c.ok(201).clone();
    assert_eq!(
        (company["name"].as_str(), company["kind"].as_str()),
        (Some("Acme"), Some("partner"))
    );
    let id = company["id"].as_str().unwrap();

    let body = json!({"company_id": id, "email": "Pia@Acme.test", "name": "Pia", "role": "member",
                      "can_resend": true, "password": "correct horse battery"});
    let u = t.post("/api/v1/users", &t.admin, body).await;
    let user = u.ok(201);
    assert_eq!(
        user["email"], "pia@acme.test",
        "addresses are stored lower-case"
    );
    assert_eq!(user["company_id"], id);
    assert_eq!(user["can_resend"], true);
    assert!(
        user.get("password").is_none() && !u.text.contains("argon2"),
        "no password in responses: {}",
        u.text
    );

    let k = t
        .send(
            Method::POST,
            "/api/v1/users/pia@acme.test/api-keys",
            Some(&t.admin),
            None,
        )
        .await;
    let key = k.ok(201)["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("pvk_") && key.len() >= 43, "{key}");
    assert!(k.body["id"].is_string());
    // The key works at once, as Pia.
    let order = t.post("/api/v1/orders", &key, order_body()).await;
    assert_eq!(order.ok(201)["placed_by"]["email"], "pia@acme.test");
}

#[tokio::test]
async fn users_default_to_no_resend_permission() {
    let t = TestApp::spawn().await;
    let acme = t.company("Acme", "partner").await;
    let u = t
        .post(
            "/api/v1/users",
            &t.admin,
            json!({"company_id": acme, "email": "a@acme.test", "name": "A", "role": "member"}),
        )
        .await;
    assert_eq!(u.ok(201)["can_resend"], false);
}

#[tokio::test]
async fn only_admins_administer() {
    let w = World::new().await;
    let t = &w.t;
    for (who, key) in [
        ("member", &w.bo),
        ("support agent", &w.agent),
        ("integration", &w.portal),
        ("distributor", &w.dana),
    ] {
        let c = t
            .post(
                "/api/v1/companies",
                key,
                json!({"name": format!("X {who}"), "kind": "partner"}),
            )
            .await;
        c.problem(403, "permission_denied");
        let u = t.post("/api/v1/users", key, json!({"company_id": w.acme, "email": "new@acme.test", "name": "N", "role": "member"})).await;
        u.problem(403, "permission_denied");
        let k = t
            .send(
                Method::POST,
                "/api/v1/users/pia@acme.test/api-keys",
                Some(key),
                None,
            )
            .await;
        k.problem(403, "permission_denied");
        let p = t
            .send(
                Method::PUT,
                "/api/v1/offer-policies/A-FLEX",
                Some(key),
                Some(json!({"window_days": 3})),
            )
            .await;
        p.problem(403, "permission_denied");
    }
    assert!(
        t.app
            .find_company("X member", true)
            .await
            .unwrap()
            .is_none(),
        "nothing was created"
    );
}

#[tokio::test]
async fn offer_policies_default_and_edit() {
    let w = World::new().await;
    let t = &w.t;
    let list = t.get("/api/v1/offer-policies", &w.pia).await;
    let body = list.ok(200);
    assert_eq!(body["default_window_days"], 30);
    assert_eq!(
        body["items"],
        json!([{"offer": "A-FLEX", "window_days": 7}, {"offer": "A-FLEX-3", "window_days": 7}])
    );

    let put = t
        .send(
            Method::PUT,
            "/api/v1/offer-policies/a-wx-call",
            Some(&t.admin),
            Some(json!({"window_days": 14})),
        )
        .await;
    assert_eq!(
        put.ok(200),
        &json!({"offer": "A-WX-CALL", "window_days": 14})
    );
    let put = t
        .send(
            Method::PUT,
            "/api/v1/offer-policies/A-FLEX",
            Some(&t.admin),
            Some(json!({"window_days": 10})),
        )
        .await;
    put.ok(200);
    let items = t.get("/api/v1/offer-policies", &w.agent).await.body["items"].clone();
    assert_eq!(
        items,
        json!([{"offer": "A-FLEX", "window_days": 10}, {"offer": "A-FLEX-3", "window_days": 7}, {"offer": "A-WX-CALL", "window_days": 14}])
    );
}

#[tokio::test]
async fn staff_roles_exist_only_in_operator_companies() {
    let w = World::new().await;
    let t = &w.t;
    for role in ["admin", "support_agent"] {
        let r = t.post("/api/v1/users", &t.admin, json!({"company_id": w.acme, "email": format!("{role}@acme.test"), "name": "X", "role": role})).await;
        let p = r.problem(422, "invalid_request");
        assert_eq!(p["errors"][0]["path"], "role");
    }
    let op = &w.operator;
    let r = t.post("/api/v1/users", &t.admin, json!({"company_id": op, "email": "agent2@op.test", "name": "X", "role": "support_agent"})).await;
    assert_eq!(r.ok(201)["role"], "support_agent");
}
