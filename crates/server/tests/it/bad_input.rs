//! Bad input, table by table: every wrong request gets the problem code and status of SPEC §6
//! and §9 ("Contract"), and none of them stores anything.

use reqwest::Method;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::helpers::*;

pub(crate) const ORDERS: &str = "/api/v1/orders";
pub(crate) const UNKNOWN_ID: &str = "00000000-0000-7000-8000-000000000000";

/// One row of a table: a valid body with the field at JSON pointer `at` set to `value`
/// (`None`: removed), and the answer expected.
pub(crate) struct Bad {
    name: &'static str,
    at: &'static str,
    value: Option<Value>,
    status: u16,
    code: &'static str,
}

/// Well-formed but breaking a rule: 422 invalid_request naming the field.
pub(crate) fn rule(name: &'static str, at: &'static str, value: Value) -> Bad {
    Bad {
        name,
        at,
        value: Some(value),
        status: 422,
        code: "invalid_request",
    }
}

/// A required field left out: 422 naming it.
pub(crate) fn gone(name: &'static str, at: &'static str) -> Bad {
    Bad {
        value: None,
        ..rule(name, at, Value::Null)
    }
}

/// A wrong JSON type or an unknown field: 400.
pub(crate) fn unreadable(name: &'static str, at: &'static str, value: Value) -> Bad {
    Bad {
        status: 400,
        ..rule(name, at, value)
    }
}

impl Bad {
    pub(crate) fn answer(self, status: u16, code: &'static str) -> Bad {
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
pub(crate) fn error_paths(problem: &Value) -> Vec<String> {
    let items = problem["errors"].as_array().cloned().unwrap_or_default();
    items
        .iter()
        .filter_map(|e| e["path"].as_str().map(str::to_owned))
        .collect()
}

/// Checks status and code first with the row's name, then the full problem+json shape.
#[track_caller]
pub(crate) fn expect<'r>(name: &str, r: &'r Reply, status: u16, code: &str) -> &'r Value {
    let got = (r.status.as_u16(), r.body["code"].as_str().unwrap_or(""));
    assert_eq!(got, (status, code), "{name}: body {}", r.text);
    r.problem(status, code)
}

pub(crate) async fn assert_nothing_stored(t: &TestApp, name: &str) {
    let counts = (t.order_count().await, t.line_count().await);
    assert_eq!(
        counts,
        (0, 0),
        "{name}: (orders, lines) stored after a rejected order"
    );
}

/// Sends every row (built on `base`) as `key`; checks the problem, for a 422 the field it
/// names, and for an order that nothing was stored.
pub(crate) async fn send_each(
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
pub(crate) async fn post_raw(
    t: &TestApp,
    key: &str,
    content_type: Option<&str>,
    body: String,
) -> Reply {
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
pub(crate) async fn every_field_of_a_new_order_broken_one_at_a_time_stores_nothing() {
    let w = World::new().await;
    let t = &w.t;
    let too_many = Value::Array(vec![line("kim@kund.test", "2030-01-15"); 1001]);
    #[rustfmt::skip]
    let rows = vec![
        rule("web_order_id with a space", "/web_order_id", json!("W 1")),
        rule("web_order_id of 65 chars", "/web_order_id", json!("W".repeat(65))),
        rule("web_order_id of one dot", "/web_order_id", json!(".")),
        rule("web_order_id of only dots", "/web_order_id", json!("..")),
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
pub(crate) async fn a_bad_second_line_stores_not_even_the_first() {
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
pub(crate) async fn several_bad_fields_are_all_named_at_once() {
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
pub(crate) async fn bodies_of_the_wrong_shape_or_type_store_nothing() {
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

pub(crate) async fn post_keyed(
    t: &TestApp,
    key: &str,
    idempotency_key: &str,
    body: &Value,
) -> Reply {
    let url = format!("{}{ORDERS}", t.base);
    let req = t
        .http
        .post(url)
        .bearer_auth(key)
        .header("Idempotency-Key", idempotency_key);
    TestApp::reply(req.json(body)).await
}

#[tokio::test]
pub(crate) async fn idempotency_keys_replay_or_conflict_but_never_store_twice() {
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
async fn names_with_control_or_bidi_characters_are_refused_everywhere() {
    let w = World::new().await;
    let t = &w.t;
    let evil = "Kund\u{202E}BA";
    let mut body = order_body();
    body["end_customer"]["name"] = json!(evil);
    let r = t.post(ORDERS, &w.pia, body).await;
    let p = r.problem(422, "invalid_request");
    assert!(
        p["detail"].as_str().unwrap().contains("end_customer.name"),
        "{p}"
    );
    assert!(p["detail"].as_str().unwrap().contains("U+202E"), "{p}");
    let mut body = order_body();
    body["lines"][0]["provisioning_contact"]["name"] = json!("Kim\u{2066}Lund");
    t.post(ORDERS, &w.pia, body)
        .await
        .problem(422, "invalid_request");
    assert_eq!(t.order_count().await, 0);
    let r = t
        .post(
            "/api/v1/companies",
            &t.admin,
            json!({"name": "Evil\u{202E}Co", "kind": "partner"}),
        )
        .await;
    r.problem(422, "invalid_request");
}
