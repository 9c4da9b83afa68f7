//! Bad requests that are not orders: ids in paths, list parameters, admin inputs, credentials.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, WWW_AUTHENTICATE};
use serde_json::json;

use crate::bad_input::*;
use crate::helpers::*;

#[tokio::test]
async fn bad_or_foreign_ids_in_paths_are_not_found() {
    let w = World::new().await;
    let t = &w.t;
    let order = w.order("W-ACME-1", &["kim@kund.test"]).await;
    let sub_ref = order["lines"][0]["subscription_ref"]
        .as_str()
        .expect("a sub ref")
        .to_owned();
    let long = "x".repeat(300);
    let sql = "%27%3B%20DROP%20TABLE%20orders%3B";
    for x in [
        "nope",
        "Sub",
        "sub1000001",
        "Sub999999999",
        "W%20X",
        sql,
        long.as_str(),
    ] {
        let routes = [
            format!("orders/{x}"),
            format!("lines/{x}"),
            format!("lines/{x}/events"),
        ];
        for path in routes.map(|r| format!("/api/v1/{r}")) {
            let r = t.get(&path, &w.pia).await;
            expect(&format!("GET {path}"), &r, 404, "not_found");
        }
    }
    assert_eq!(t.order_count().await, 1, "lookups store nothing");

    // Another partner's order looks exactly like one that does not exist.
    let unknown_line = "/api/v1/lines/Sub999999999";
    for (mine, unknown) in [
        (
            "/api/v1/orders/W-ACME-1".to_owned(),
            "/api/v1/orders/W-NONE-1".to_owned(),
        ),
        (format!("/api/v1/lines/{sub_ref}"), unknown_line.to_owned()),
        (
            format!("/api/v1/lines/{sub_ref}/events"),
            format!("{unknown_line}/events"),
        ),
    ] {
        t.get(&mine, &w.pia).await.ok(200);
        let foreign = t.get(&mine, &w.olle).await;
        expect(&format!("olle GET {mine}"), &foreign, 404, "not_found");
        let absent = t.get(&unknown, &w.olle).await;
        expect(&format!("olle GET {unknown}"), &absent, 404, "not_found");
        assert_eq!(
            foreign.body, absent.body,
            "{mine} must not reveal that it exists"
        );
    }
}

#[tokio::test]
async fn bad_list_query_parameters() {
    let w = World::new().await;
    let t = &w.t;
    w.order("W-LIST-1", &["kim@kund.test"]).await;
    let rows = [
        ("/api/v1/orders?limit=0", 422, Some("limit")),
        ("/api/v1/orders?limit=-5", 422, Some("limit")),
        ("/api/v1/orders?limit=abc", 400, None),
        ("/api/v1/orders?limit=100000", 200, None),
        ("/api/v1/orders?status=foo", 422, Some("status")),
        ("/api/v1/orders?stage=foo", 422, Some("stage")),
        ("/api/v1/orders?cursor=junk", 400, None),
        ("/api/v1/subscriptions?limit=0", 422, Some("limit")),
        ("/api/v1/subscriptions?limit=-5", 422, Some("limit")),
        ("/api/v1/subscriptions?limit=abc", 400, None),
        ("/api/v1/subscriptions?limit=100000", 200, None),
        ("/api/v1/subscriptions?cursor=junk", 400, None),
        (
            "/api/v1/subscriptions?provisioning=foo",
            422,
            Some("provisioning"),
        ),
    ];
    for (path, status, param) in rows {
        let r = t.get(path, &w.pia).await;
        if status == 200 {
            let items = r.ok(200)["items"].as_array().map(Vec::len);
            assert_eq!(
                items,
                Some(1),
                "{path}: a clamped limit still lists: {}",
                r.text
            );
            continue;
        }
        let problem = expect(path, &r, status, "invalid_request");
        if let Some(param) = param {
            assert_eq!(error_paths(problem), [param], "{path}: {}", r.text);
        }
    }
}

#[tokio::test]
async fn bad_admin_inputs_create_nothing() {
    let w = World::new().await;
    let t = &w.t;
    let admin = t.admin.as_str();

    let company = json!({"name": "Neu AB", "kind": "partner"});
    let rows = vec![
        rule("company kind vendor", "/kind", json!("vendor")),
        rule("company name empty", "/name", json!("")),
        unreadable("company name a number", "/name", json!(5)),
        unreadable("company unknown field", "/vat", json!("SE1")),
        rule("company name taken, other case", "/name", json!("acme"))
            .answer(409, "already_exists"),
    ];
    send_each(t, admin, Method::POST, "/api/v1/companies", &company, rows).await;
    let neu = t.post("/api/v1/companies", admin, company).await;
    assert_eq!(
        neu.ok(201)["name"],
        "Neu AB",
        "the rejected rows left the name free"
    );

    let user = json!({"company_id": w.acme, "email": "neu@acme.test", "name": "Neu", "role": "member",
                      "password": "long enough password"});
    #[rustfmt::skip]
    let rows = vec![
        rule("role root", "/role", json!("root")),
        rule("admin in a partner company", "/role", json!("admin")),
        rule("email x@", "/email", json!("x@")).answer(422, "invalid_email"),
        rule("company_id unknown", "/company_id", json!(UNKNOWN_ID)),
        rule("email taken", "/email", json!("pia@acme.test")).answer(409, "already_exists"),
        rule("password short", "/password", json!("short")),
        unreadable("can_resend yes", "/can_resend", json!("yes")),
    ];
    send_each(t, admin, Method::POST, "/api/v1/users", &user, rows).await;
    let created = t.post("/api/v1/users", admin, user).await;
    assert_eq!(
        created.ok(201)["email"],
        "neu@acme.test",
        "no rejected row created the user"
    );

    let before = t.get("/api/v1/offer-policies", admin).await.ok(200).clone();
    let policy = json!({"window_days": 10});
    let rows = vec![
        rule("window_days 0", "/window_days", json!(0)),
        rule("window_days 4000", "/window_days", json!(4000)),
        unreadable("window_days a string", "/window_days", json!("7")),
        unreadable("policy unknown field", "/days", json!(7)),
    ];
    send_each(
        t,
        admin,
        Method::PUT,
        "/api/v1/offer-policies/A-FLEX",
        &policy,
        rows,
    )
    .await;
    let r = t
        .send(
            Method::PUT,
            "/api/v1/offer-policies/A%20FLEX",
            Some(admin),
            Some(policy),
        )
        .await;
    let problem = expect("offer A FLEX in the path", &r, 422, "invalid_request");
    assert_eq!(error_paths(problem), ["offer"], "{}", r.text);
    let after = t.get("/api/v1/offer-policies", admin).await;
    assert_eq!(after.ok(200), &before, "no rejected policy was stored");

    let r = t
        .send(
            Method::POST,
            "/api/v1/users/nobody@x.test/api-keys",
            Some(admin),
            None,
        )
        .await;
    expect("api key for nobody", &r, 404, "not_found");
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_unauthenticated() {
    let w = World::new().await;
    let t = &w.t;
    let bare_key = Some(w.pia.as_str());
    for header in [
        None,
        Some("Bearer "),
        Some("Bearer wrong"),
        Some("Basic abc"),
        bare_key,
    ] {
        for (method, body) in [(Method::GET, None), (Method::POST, Some(order_body()))] {
            let name = format!("{method} {ORDERS} with Authorization {header:?}");
            let mut req = t.http.request(method, format!("{}{ORDERS}", t.base));
            if let Some(h) = header {
                req = req.header(AUTHORIZATION, h);
            }
            if let Some(b) = body {
                req = req.json(&b);
            }
            let r = TestApp::reply(req).await;
            expect(&name, &r, 401, "unauthenticated");
            let challenge = r
                .headers
                .get(WWW_AUTHENTICATE)
                .and_then(|v| v.to_str().ok());
            assert!(
                challenge.is_some_and(|c| c.starts_with("Bearer")),
                "{name}: {challenge:?}"
            );
            assert_nothing_stored(t, &name).await;
        }
    }

    // Signed in, but not an admin.
    let company = json!({"name": "Pias AB", "kind": "partner"});
    let r = t.post("/api/v1/companies", &w.pia, company.clone()).await;
    expect("a member creating a company", &r, 403, "permission_denied");
    let user =
        json!({"company_id": w.acme, "email": "new@acme.test", "name": "New", "role": "member"});
    let r = t.post("/api/v1/users", &w.pia, user).await;
    expect("a member creating a user", &r, 403, "permission_denied");
    t.post("/api/v1/companies", &t.admin, company).await.ok(201);
}
