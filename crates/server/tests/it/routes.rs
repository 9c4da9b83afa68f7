//! Routing errors, operations endpoints and the OpenAPI document.

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

#[tokio::test]
async fn healthz_readyz_and_request_ids() {
    let t = TestApp::spawn().await;
    let r = t.send(Method::GET, "/healthz", None, None).await;
    assert_eq!(r.ok(200)["status"], "ok");
    assert!(
        r.headers.get("x-request-id").is_some(),
        "every response carries a request id"
    );
    let r = t.send(Method::GET, "/readyz", None, None).await;
    assert_eq!(r.ok(200)["status"], "ready");
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let t = TestApp::spawn().await;
    t.get("/api/v1/offer-policies", &t.admin).await.ok(200);
    let r = t.send(Method::GET, "/metrics", None, None).await;
    assert_eq!(r.status, 200);
    assert!(
        r.text.contains("http_requests_total")
            && r.text.contains("route=\"/api/v1/offer-policies\""),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn unknown_routes_and_methods_are_problems() {
    let t = TestApp::spawn().await;
    let r = t
        .send(Method::GET, "/api/v1/nothing-here", Some(&t.admin), None)
        .await;
    r.problem(404, "not_found");
    // Outside the API, an unknown path is a page (`/` is the sign-in page).
    let r = t.send(Method::GET, "/nothing-here", None, None).await;
    assert_eq!(r.status, 404);
    assert!(r.content_type().starts_with("text/html"), "{}", r.text);
    let r = t.send(Method::GET, "/", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains(">Sign in</button>"), "{}", r.text);
    let r = t
        .send(Method::DELETE, "/api/v1/orders", Some(&t.admin), None)
        .await;
    r.problem(405, "method_not_allowed");
    let allow = r
        .headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        allow.contains("GET") && allow.contains("POST"),
        "Allow: {allow}"
    );
    let r = t
        .send(
            Method::PATCH,
            "/api/v1/lines/Sub1000001",
            Some(&t.admin),
            None,
        )
        .await;
    r.problem(405, "method_not_allowed");
}

#[tokio::test]
async fn sender_addresses_are_published_without_sign_in() {
    let t = TestApp::spawn_with(|c| {
        c.mail_from =
            provisio::config::Sender::parse("Provisioning <provisioning@sender.test>").unwrap();
    })
    .await;
    let r = t
        .send(Method::GET, "/api/v1/sender-addresses", None, None)
        .await;
    assert_eq!(
        r.ok(200)["addresses"],
        serde_json::json!(["provisioning@sender.test"])
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let t = TestApp::spawn().await;
    let r = t.send(Method::GET, "/api/openapi.json", None, None).await;
    let doc = r.ok(200);
    assert!(
        doc["openapi"].as_str().unwrap_or("").starts_with("3."),
        "{}",
        doc["openapi"]
    );
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/api/v1/companies", "post"),
        ("/api/v1/users", "post"),
        ("/api/v1/users/{email}/api-keys", "post"),
        ("/api/v1/orders", "post"),
        ("/api/v1/orders", "get"),
        ("/api/v1/orders/{order_id}", "get"),
        ("/api/v1/lines/{sub_ref}", "get"),
        ("/api/v1/lines/{sub_ref}/events", "get"),
        ("/api/v1/subscriptions", "get"),
        ("/api/v1/offer-policies", "get"),
        ("/api/v1/offer-policies/{offer}", "put"),
        ("/api/v1/sender-addresses", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/metrics", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} is documented"
        );
    }
    let schemas = &doc["components"]["schemas"];
    for schema in ["NewOrderBody", "OrderDto", "LineDto", "Problem", "EmailDto"] {
        assert!(schemas.get(schema).is_some(), "schema {schema}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        Value::from("bearer")
    );
}
