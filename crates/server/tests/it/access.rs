//! User access (SPEC §10): disabling and enabling users (sign-in and API keys), the resend
//! permission changed at once, API keys listed with their times and revoked.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;
use crate::web::{PASSWORD, Visitor, with_passwords};

/// An order of Pia's with one line (for resend checks).
async fn one_line(w: &World, web_id: &str) -> String {
    let order = w.order(web_id, &["kim@kund.test"]).await;
    order["lines"][0]["subscription_ref"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn post_empty(t: &TestApp, path: &str, key: &str) -> Reply {
    t.send(Method::POST, path, Some(key), None).await
}

async fn keys_of(t: &TestApp, email: &str) -> Vec<Value> {
    t.get(&format!("/api/v1/users/{email}/api-keys"), &t.admin)
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn a_disabled_user_cannot_sign_in_and_their_key_answers_401_until_enabled() {
    let w = World::new().await;
    let t = &w.t;
    with_passwords(t, &["bo@acme.test"]).await;
    let mut bo = Visitor::new(t);
    bo.sign_in("bo@acme.test").await;
    assert_eq!(t.get("/api/v1/orders", &w.bo).await.status, 200);

    let off = post_empty(t, "/api/v1/users/bo@acme.test/disable", &t.admin).await;
    let user = off.ok(200);
    assert_eq!(
        (user["email"].as_str(), user["status"].as_str()),
        (Some("bo@acme.test"), Some("disabled"))
    );
    t.get("/api/v1/orders", &w.bo)
        .await
        .problem(401, "unauthenticated");
    // The open session ends at the next page: sent to sign in.
    let page = bo.get("/subscriptions").await;
    assert_eq!(page.status, reqwest::StatusCode::SEE_OTHER, "{}", page.body);
    // The right password is told the account is disabled; a wrong one hears the usual words.
    let mut again = Visitor::new(t);
    let refused = again.try_sign_in("bo@acme.test", PASSWORD).await;
    assert_eq!(refused.status, reqwest::StatusCode::FORBIDDEN);
    assert!(
        refused.has("This account is disabled. Ask your administrator."),
        "{}",
        refused.body
    );
    let wrong = again.try_sign_in("bo@acme.test", "not the password").await;
    assert_eq!(wrong.status, reqwest::StatusCode::UNAUTHORIZED);
    assert!(wrong.has("The email address or the password is not right."));
    assert!(!wrong.has("disabled"));
    // Listed as disabled.
    let users = t
        .get(&format!("/api/v1/users?company_id={}", w.acme), &t.admin)
        .await;
    let bo_row = users.ok(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["email"] == "bo@acme.test")
        .cloned()
        .unwrap();
    assert_eq!(bo_row["status"], "disabled");

    let on = t
        .send(
            Method::POST,
            "/api/v1/users/bo@acme.test/enable",
            Some(&t.admin),
            Some(json!({})),
        )
        .await;
    assert_eq!(on.ok(200)["status"], "active");
    assert_eq!(t.get("/api/v1/orders", &w.bo).await.status, 200);
    again.sign_in("bo@acme.test").await;
}

#[tokio::test]
async fn an_admin_cannot_disable_themselves_and_others_may_not_administer_access() {
    let w = World::new().await;
    let t = &w.t;
    let me = post_empty(t, "/api/v1/users/admin@op.test/disable", &t.admin).await;
    let p = me.problem(422, "invalid_request");
    assert!(
        p["detail"].as_str().unwrap().contains("your own account"),
        "{p}"
    );
    assert_eq!(t.get("/api/v1/orders", &t.admin).await.status, 200);

    let key_id = keys_of(t, "pia@acme.test").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for key in [&w.bo, &w.agent, &w.portal, &w.dana] {
        for path in [
            "/api/v1/users/pia@acme.test/disable",
            "/api/v1/users/pia@acme.test/enable",
            &format!("/api/v1/api-keys/{key_id}/revoke"),
        ] {
            post_empty(t, path, key)
                .await
                .problem(403, "permission_denied");
        }
        t.get("/api/v1/users/pia@acme.test/api-keys", key)
            .await
            .problem(403, "permission_denied");
        t.send(
            Method::PATCH,
            "/api/v1/users/pia@acme.test",
            Some(key),
            Some(json!({"can_resend": true})),
        )
        .await
        .problem(403, "permission_denied");
    }
    assert_eq!(t.get("/api/v1/orders", &w.pia).await.status, 200);
    for path in [
        "/api/v1/users/nobody@acme.test/disable",
        "/api/v1/users/not-an-address/enable",
        "/api/v1/api-keys/not-a-uuid/revoke",
        "/api/v1/api-keys/01900000-0000-7000-8000-000000000000/revoke",
    ] {
        post_empty(t, path, &t.admin)
            .await
            .problem(404, "not_found");
    }
    t.get("/api/v1/users/nobody@acme.test/api-keys", &t.admin)
        .await
        .problem(404, "not_found");
}

#[tokio::test]
async fn a_revoked_key_answers_401_and_the_others_keep_working() {
    let w = World::new().await;
    let t = &w.t;
    let second = t
        .app
        .create_api_key(&provisio::app::Caller::Operator, "pia@acme.test")
        .await
        .unwrap();
    // Used once: its last use is recorded (in the background, to a minute).
    assert_eq!(t.get("/api/v1/orders", &w.pia).await.status, 200);
    let first_id = t
        .until("the key's last use", || async {
            let keys = keys_of(t, "pia@acme.test").await;
            let first = keys.last().cloned().unwrap();
            first["last_used_at"].is_string().then_some(first)
        })
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let keys = keys_of(t, "pia@acme.test").await;
    assert_eq!(keys.len(), 2);
    assert_eq!(keys[0]["id"], second.id.to_string(), "newest first");
    assert!(keys[0]["last_used_at"].is_null() && keys[0]["revoked_at"].is_null());
    assert!(keys[0]["created_at"].as_str().unwrap().ends_with('Z'));
    let text = t
        .get("/api/v1/users/pia@acme.test/api-keys", &t.admin)
        .await
        .text;
    assert!(
        !text.contains("pvk_") && !text.contains("hash"),
        "never the key: {text}"
    );

    let revoked = post_empty(t, &format!("/api/v1/api-keys/{first_id}/revoke"), &t.admin).await;
    let item = revoked.ok(200).clone();
    assert_eq!(item["id"], first_id.as_str());
    let at = item["revoked_at"].as_str().unwrap().to_owned();
    t.get("/api/v1/orders", &w.pia)
        .await
        .problem(401, "unauthenticated");
    assert_eq!(t.get("/api/v1/orders", &second.key).await.status, 200);
    assert_eq!(t.get("/api/v1/orders", &w.bo).await.status, 200);
    // Revoking again keeps the first time.
    let again = post_empty(t, &format!("/api/v1/api-keys/{first_id}/revoke"), &t.admin).await;
    assert_eq!(again.ok(200)["revoked_at"], at.as_str());
}

#[tokio::test]
async fn a_changed_resend_permission_applies_to_the_next_request() {
    let w = World::new().await;
    let t = &w.t;
    let sub = one_line(&w, "W-ACC-1").await;
    let resend = format!("/api/v1/lines/{sub}/resend");
    post_empty(t, &resend, &w.cy)
        .await
        .problem(403, "permission_denied");
    let patch = |can: Value| {
        t.send(
            Method::PATCH,
            "/api/v1/users/cy@acme.test",
            Some(&t.admin),
            Some(json!({ "can_resend": can })),
        )
    };
    assert_eq!(patch(json!(true)).await.ok(200)["can_resend"], true);
    assert_eq!(post_empty(t, &resend, &w.cy).await.status, 202);
    assert_eq!(patch(json!(false)).await.ok(200)["can_resend"], false);
    post_empty(t, &resend, &w.cy)
        .await
        .problem(403, "permission_denied");
    // Strict bodies, as everywhere.
    patch(json!("yes")).await.problem(400, "invalid_request");
    t.send(
        Method::PATCH,
        "/api/v1/users/cy@acme.test",
        Some(&t.admin),
        Some(json!({"can_resend": true, "role": "admin"})),
    )
    .await
    .problem(400, "invalid_request");
}

#[tokio::test]
async fn every_access_change_is_in_the_audit_log_with_who_and_when() {
    let w = World::new().await;
    let t = &w.t;
    post_empty(t, "/api/v1/users/bo@acme.test/disable", &t.admin)
        .await
        .ok(200);
    post_empty(t, "/api/v1/users/bo@acme.test/enable", &t.admin)
        .await
        .ok(200);
    let patch = json!({"can_resend": false});
    t.send(
        Method::PATCH,
        "/api/v1/users/bo@acme.test",
        Some(&t.admin),
        Some(patch),
    )
    .await
    .ok(200);
    let key = post_empty(t, "/api/v1/users/bo@acme.test/api-keys", &t.admin).await;
    let key_id = key.ok(201)["id"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        post_empty(t, &format!("/api/v1/api-keys/{key_id}/revoke"), &t.admin)
            .await
            .ok(200);
    }
    let policy = json!({"window_days": 10});
    t.send(
        Method::PUT,
        "/api/v1/offer-policies/A-FLEX",
        Some(&t.admin),
        Some(policy),
    )
    .await
    .ok(200);
    // The operator at the command line (its commands call the app as the operator): no actor.
    t.app
        .disable_user(&provisio::app::Caller::Operator, "cy@acme.test")
        .await
        .unwrap();

    let log = t.get("/api/v1/admin-events?limit=200", &t.admin).await;
    let items = log.ok(200)["items"].as_array().unwrap().clone();
    let kinds: Vec<&str> = items.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds[..7],
        [
            "user.disabled",
            "policy.changed",
            "api_key.revoked",
            "api_key.created",
            "user.changed",
            "user.enabled",
            "user.disabled",
        ],
        "newest first, one revocation: {kinds:?}"
    );
    assert!(items[0]["actor"].is_null(), "{}", items[0]);
    assert_eq!(items[0]["data"]["user"], "cy@acme.test");
    let by_admin = &items[1..7];
    assert!(
        by_admin
            .iter()
            .all(|e| e["actor"]["email"] == "admin@op.test")
    );
    assert_eq!(items[2]["data"]["key_id"], key_id.as_str());
    assert_eq!(items[4]["data"]["can_resend"], false);
    // The world's companies and users were created at the command line (no actor).
    let created = items
        .iter()
        .find(|e| e["type"] == "user.created" && e["data"]["user"] == "bo@acme.test")
        .unwrap();
    assert!(created["actor"].is_null());
    assert_eq!(created["data"]["role"], "member");
    assert!(kinds.contains(&"company.created"), "{kinds:?}");
    // Paged like every list; admins only.
    let first = t.get("/api/v1/admin-events?limit=2", &t.admin).await;
    let cursor = first.ok(200)["next_cursor"].as_str().unwrap().to_owned();
    let next = t
        .get(
            &format!("/api/v1/admin-events?limit=2&cursor={cursor}"),
            &t.admin,
        )
        .await;
    assert_eq!(next.ok(200)["items"][0]["type"], "api_key.revoked");
    t.get("/api/v1/admin-events", &w.bo)
        .await
        .problem(403, "permission_denied");

    // The same on the admin's page.
    with_passwords(t, &["admin@op.test"]).await;
    let mut admin = Visitor::new(t);
    admin.sign_in("admin@op.test").await;
    let page = admin.get("/admin/audit").await;
    assert!(page.has("<h1>Audit log</h1>"), "{}", page.body);
    for text in [
        "User disabled",
        "API key revoked",
        "the command line",
        "<td>cy@acme.test</td>",
        "bo@acme.test may not resend",
    ] {
        assert!(page.has(text), "{text:?} in {}", page.body);
    }
    // The details are words, never the event's field names.
    for code in ["can_resend", "user:", "key_id"] {
        assert!(!page.has(code), "{code:?} in {}", page.body);
    }
}
