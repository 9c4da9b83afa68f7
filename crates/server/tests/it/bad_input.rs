//! Bad input, table by table: every wrong request gets the problem code and status of SPEC §6
//! and §9 ("Contract"), and none of them stores anything.

use reqwest::Method;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::{Value, json};

use crate::helpers::*;

const ORDERS: &str = "/api/v1/orders";
const UNKNOWN_ID: &str = "00000000-0000-7000-8000-000000000000";

/// One row of a table: a valid body with the field at JSON pointer `at` set to `value`
/// (`None`: removed), and the answer expected.
struct Bad {
    name: &'static str,
    at: &'static str,
    value: Option<Value>,
    status: u16,
    code: &'static str,
}

/// Well-formed but breaking a rule: 422 invalid_request naming the field.
fn rule(name: &'static str, at: &'static str, value: Value) -> Bad {
    Bad {
        name,
        at,
        value: Some(value),
        status: 422,
        code: "invalid_request",
    }
}

/// A required field left out: 422 naming it.
fn gone(name: &'static str, at: &'static str) -> Bad {
    Bad {
        value: None,
        ..rule(name, at, Value::Null)
    }
}

/// A wrong JSON type or an unknown field: 400.
fn unreadable(name: &'static str, at: &'static str, value: Value) -> Bad {
    Bad {
        status: 400,
        ..rule(name, at, value)
    }
}

impl Bad {
    fn answer(self, status: u16, code: &'static str) -> Bad {
        Bad {
            status,
            code,
            ..self
        }
    }

    fn body(&self, base: &Value) -> Value {
        let mut body = base.clone();
        let (parent, key) = self.at.rsplit_once('/').expect("a JSON pointer");
        let parent = body
            .pointer_mut(parent)
            .and_then(Value::as_object_mut)
            .expect("an object");
        match &self.value {
            Some(v) => parent.insert(key.to_owned(), v.clone()),
            None => parent.remove(key),
        };
        body
    }

    /// The path the problem's `errors` must name: `/lines/0/quantity` → `lines[0].quantity`.
    fn field_path(&self) -> String {
        let mut path = String::new();
        for segment in self.at.trim_start_matches('/').split('/') {
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                path.push_str(&format!("[{segment}]"));
            } else {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(segment);
            }
        }
        path
    }
}

/// The `path` of every item of a problem's `errors` list.
fn error_paths(problem: &Value) -> Vec<String> {
    let items = problem["errors"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|e| e["path"].as_str().map(str::to_owned))
        .collect()
}

/// Checks status and code first with the row's name, then the full problem+json shape.
#[track_caller]
fn expect<'r>(name: &str, r: &'r Reply, status: u16, code: &str) -> &'r Value {
    let got = (r.status.as_u16(), r.body["code"].as_str().unwrap_or(""));
    assert_eq!(got, (status, code), "{name}: body {}", r.text);
    r.problem(status, code)
}

async fn assert_nothing_stored(t: &TestApp, name: &str) {
    let counts = (t.order_count().await, t.line_count().await);
    assert_eq!(
        counts,
        (0, 0),
        "{name}: (orders, lines) stored after a rejected order"
    );
}

/// Sends every row (built on `base`) as `key`; checks the problem, for a 422 the field it
/// names, and for an order that nothing was stored.
async fn send_each(
    t: &TestApp,
    key: &str,
    method: Method,
    route: &str,
    base: &Value,
    rows: Vec<Bad>,
) {
    for row in rows {
        let r = t
            .send(method.clone(), route, Some(key), Some(row.body(base)))
            .await;
        let problem = expect(row.name, &r, row.status, row.code);
        if row.status == 422 {
            let path = row.field_path();
            assert!(
                error_paths(problem).contains(&path),
                "{}: errors name {path}: {}",
                row.name,
                r.text
            );
            let detail = problem["detail"].as_str().unwrap_or("");
            assert!(
                detail.contains(&path),
                "{}: detail names {path}: {detail}",
                row.name
            );
        }
        if route == ORDERS {
            assert_nothing_stored(t, row.name).await;
        }
    }
}

/// A POST to /api/v1/orders with a raw body and content type.
async fn post_raw(t: &TestApp, key: &str, content_type: Option<&str>, body: String) -> Reply {
    let mut req = t
        .http
        .post(format!("{}{ORDERS}", t.base))
        .bearer_auth(key)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    TestApp::reply(req).await
}

#[tokio::test]
async fn every_field_of_a_new_order_broken_one_at_a_time_stores_nothing() {
    let w = World::new().await;
    let t = &w.t;
    let too_many = Value::Array(vec![line("kim@kund.test", "2030-01-15"); 1001]);
    #[rustfmt::skip]
    let rows = vec![
        rule("web_order_id with a space", "/web_order_id", json!("W 1")),
        rule("web_order_id of 65 chars", "/web_order_id", json!("W".repeat(65))),
        unreadable("web_order_id a number", "/web_order_id", json!(123)),
        gone("end_customer missing", "/end_customer"),
        rule("end_customer.name empty", "/end_customer/name", json!("")),
        rule("end_customer.name blank", "/end_customer/name", json!("   ")),
        unreadable("end_customer.name a number", "/end_customer/name", json!(42)),
        unreadable("unknown field in end_customer", "/end_customer/vat", json!("SE1")),
        rule("locale de", "/locale", json!("de")),
        gone("lines missing", "/lines"),
        rule("lines empty", "/lines", json!([])),
        unreadable("lines a string", "/lines", json!("A-FLEX")),
        unreadable("lines an object", "/lines", json!({})),
        rule("1,001 valid lines", "/lines", too_many),
        rule("partner_id malformed", "/partner_id", json!("acme")),
        rule("partner_id unknown", "/partner_id", json!(UNKNOWN_ID)),
        rule("partner_id of a distributor", "/partner_id", json!(w.dist)),
        rule("distributor_id of the partner itself", "/distributor_id", json!(w.acme)),
        rule("distributor_id of another partner", "/distributor_id", json!(w.other)),
        rule("placed_by someone else, by a member", "/placed_by", json!("bo@acme.test")).answer(403, "permission_denied"),
        rule("offer with a space", "/lines/0/offer", json!("A FLEX")),
        rule("quantity 0", "/lines/0/quantity", json!(0)),
        rule("quantity -1", "/lines/0/quantity", json!(-1)),
        unreadable("quantity 1.5", "/lines/0/quantity", json!(1.5)),
        unreadable("quantity a string", "/lines/0/quantity", json!("5")),
        unreadable("quantity 1e30", "/lines/0/quantity", json!(1e30)),
        rule("date 2026-02-30", "/lines/0/requested_start_date", json!("2026-02-30")),
        rule("date 2026-5-4", "/lines/0/requested_start_date", json!("2026-5-4")),
        rule("date tomorrow", "/lines/0/requested_start_date", json!("tomorrow")),
        unreadable("date a number", "/lines/0/requested_start_date", json!(20260504)),
        rule("contact email kim", "/lines/0/provisioning_contact/email", json!("kim")).answer(422, "invalid_email"),
        rule("contact email with a display name", "/lines/0/provisioning_contact/email", json!("Kim <kim@kund.test>"))
            .answer(422, "invalid_email"),
        gone("provisioning_contact missing", "/lines/0/provisioning_contact"),
        rule("provisioning_contact.name empty", "/lines/0/provisioning_contact/name", json!("")),
        unreadable("unknown field in a line", "/lines/0/discount", json!(5)),
        unreadable("unknown field in provisioning_contact", "/lines/0/provisioning_contact/phone", json!("1")),
        rule("line locale fr", "/lines/0/locale", json!("fr")),
    ];
    send_each(t, &w.pia, Method::POST, ORDERS, &order_body(), rows).await;

    // An admin may name the ordering contact, but only an existing one.
    let mut for_acme = order_body();
    for_acme["partner_id"] = json!(w.acme);
    let ghost = vec![rule(
        "placed_by unknown, by an admin",
        "/placed_by",
        json!("ghost@acme.test"),
    )];
    send_each(t, &t.admin, Method::POST, ORDERS, &for_acme, ghost).await;

    // The tables' base bodies are valid: with nothing broken they are accepted.
    t.post(ORDERS, &w.pia, order_body()).await.ok(201);
    t.post(ORDERS, &t.admin, for_acme).await.ok(201);
}

#[tokio::test]
async fn a_bad_second_line_stores_not_even_the_first() {
    let w = World::new().await;
    let mut bad = line("kim@kund.test", "2030-01-15");
    bad["quantity"] = json!(0);
    let mut body = order_body();
    body["lines"] = json!([line("kim@kund.test", "2030-01-15"), bad]);
    let r = w.t.post(ORDERS, &w.pia, body).await;
    let problem = expect("bad second line", &r, 422, "invalid_request");
    assert_eq!(error_paths(problem), ["lines[1].quantity"], "{}", r.text);
    let item = &problem["errors"][0];
    assert!(
        item["message"].is_string() && item["code"].is_string(),
        "an error item: {item}"
    );
    assert_nothing_stored(&w.t, "bad second line").await;
}

#[tokio::test]
async fn several_bad_fields_are_all_named_at_once() {
    let w = World::new().await;
    let body = json!({
        "web_order_id": "W 1", "end_customer": {"name": ""}, "locale": "fr",
        "lines": [line("kim@kund.test", "2030-01-15"), {
            "offer": "A FLEX", "quantity": 0, "requested_start_date": "2026-02-30",
            "provisioning_contact": {"email": "kim", "name": " "}, "locale": "de",
        }],
    });
    let r = w.t.post(ORDERS, &w.pia, body).await;
    let mut paths = error_paths(expect("several bad fields", &r, 422, "invalid_request"));
    paths.sort();
    let mut expected = [
        "web_order_id",
        "end_customer.name",
        "locale",
        "lines[1].offer",
        "lines[1].quantity",
        "lines[1].requested_start_date",
        "lines[1].provisioning_contact.email",
        "lines[1].provisioning_contact.name",
        "lines[1].locale",
    ];
    expected.sort();
    assert_eq!(paths, expected, "{}", r.text);
    assert_nothing_stored(&w.t, "several bad fields").await;
}

#[tokio::test]
async fn bodies_of_the_wrong_shape_or_type_store_nothing() {
    let w = World::new().await;
    let t = &w.t;
    let json = Some("application/json");
    let valid = order_body().to_string();
    let mut unknown = order_body();
    unknown["colour"] = json!("red");
    let mut nested = order_body();
    nested["lines"][0]["provisioning_contact"]["x"] = json!(1);
    let form = Some("application/x-www-form-urlencoded");
    #[rustfmt::skip]
    let rows: Vec<(&str, Option<&str>, String, u16, &str)> = vec![
        ("a JSON array", json, "[]".into(), 400, "invalid_request"),
        ("a JSON string", json, "\"order\"".into(), 400, "invalid_request"),
        ("JSON null", json, "null".into(), 400, "invalid_request"),
        ("malformed JSON", json, "{broken".into(), 400, "invalid_request"),
        ("an empty body", json, String::new(), 400, "invalid_request"),
        ("an unknown top-level field", json, unknown.to_string(), 400, "invalid_request"),
        ("a nested unknown field", json, nested.to_string(), 400, "invalid_request"),
        ("Content-Type text/plain", Some("text/plain"), valid.clone(), 415, "unsupported_media_type"),
        ("Content-Type form", form, valid, 415, "unsupported_media_type"),
    ];
    for (name, content_type, body, status, code) in rows {
        let r = post_raw(t, &w.pia, content_type, body).await;
        expect(name, &r, status, code);
        assert_nothing_stored(t, name).await;
    }

    // Over the 2 MiB body limit, though otherwise well-formed JSON.
    let name = "x".repeat(2 * 1024 * 1024);
    let huge = json!({"end_customer": {"name": name}, "lines": []}).to_string();
    let r = post_raw(t, &w.pia, json, huge).await;
    expect("a body over 2 MiB", &r, 413, "payload_too_large");
    assert_nothing_stored(t, "a body over 2 MiB").await;
}

async fn post_keyed(t: &TestApp, key: &str, idempotency_key: &str, body: &Value) -> Reply {
    let url = format!("{}{ORDERS}", t.base);
    let req = t
        .http
        .post(url)
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key);
    TestApp::reply(req.json(body)).await
}

#[tokio::test]
async fn idempotency_keys_replay_or_conflict_but_never_store_twice() {
    let w = World::new().await;
    let t = &w.t;
    let stored = || async { (t.order_count().await, t.line_count().await) };
    let first = post_keyed(t, &w.pia, "key-1", &order_body()).await;
    let first_id = first.ok(201)["order_id"].clone();
    assert!(first_id.is_string(), "{}", first.text);

    let mut other = order_body();
    other["end_customer"]["name"] = json!("Annan AB");
    let r = post_keyed(t, &w.pia, "key-1", &other).await;
    expect("same key, other body", &r, 409, "idempotency_conflict");
    assert_eq!(stored().await, (1, 1), "the conflict stored nothing");

    let r = post_keyed(t, &w.pia, &"k".repeat(300), &other).await;
    expect("a 300-char key", &r, 400, "invalid_request");
    assert_eq!(stored().await, (1, 1), "the bad key stored nothing");

    let again = post_keyed(t, &w.pia, "key-1", &order_body()).await;
    assert_eq!(
        again.ok(201)["order_id"],
        first_id,
        "a replay answers with the first order"
    );
    assert_eq!(stored().await, (1, 1), "a replay stores nothing");
}

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
