//! The served OpenAPI document as a contract (issue 10, point 19), checked without external
//! tools (`.ci/contract-check` runs Redocly and Schemathesis against a built server): every
//! response is described, every status the server answers is documented, and every problem
//! `type` is a page that explains its code.

use provisio::error::Code;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

/// The operations anyone may call without an API key.
const PUBLIC: &[&str] = &[
    "GET /healthz",
    "GET /readyz",
    "GET /metrics",
    "GET /api/v1/sender-addresses",
    "GET /api/openapi.json",
];

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch"];

async fn document(t: &TestApp) -> Value {
    let r = t.send(Method::GET, "/api/openapi.json", None, None).await;
    r.ok(200).clone()
}

/// Every operation of the document: (method, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                all.push((method.to_string(), path.clone(), op.clone()));
            }
        }
    }
    assert!(all.len() > 20, "{all:?}");
    all
}

#[tokio::test]
async fn every_operation_documents_its_responses_and_security() {
    let t = TestApp::spawn().await;
    let doc = document(&t).await;
    assert_eq!(doc["security"], serde_json::json!([{ "api_key": [] }]));
    assert!(
        doc["servers"][0]["url"].is_string(),
        "servers: {}",
        doc["servers"]
    );
    assert_eq!(doc["info"]["license"]["identifier"], "Apache-2.0");
    let mut ids = std::collections::BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let name = format!("{} {path}", method.to_uppercase());
        let id = op["operationId"].as_str().unwrap_or("");
        assert!(
            !id.is_empty() && ids.insert(id.to_owned()),
            "{name}: operationId {id:?}"
        );
        let responses = op["responses"].as_object().unwrap();
        for (status, response) in responses {
            let described = response["description"].as_str().unwrap_or("");
            assert!(!described.is_empty(), "{name} {status} has no description");
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{name} {status}"
                );
            }
        }
        let public = PUBLIC.contains(&name.as_str());
        if public {
            assert_eq!(op["security"], serde_json::json!([]), "{name} is public");
        } else {
            assert!(
                op.get("security")
                    .is_none_or(|s| s[0]["api_key"].is_array()),
                "{name} needs the api_key"
            );
            assert!(responses.contains_key("401"), "{name} documents 401");
        }
        for status in ["500", "503"] {
            assert!(responses.contains_key(status), "{name} documents {status}");
        }
        if path.contains('{') {
            assert!(responses.contains_key("404"), "{name} documents 404");
        }
        if method != "get" {
            assert!(
                responses.contains_key("400") && responses.contains_key("413"),
                "{name} reads a body: 400 and 413"
            );
        }
    }
    let tags = doc["tags"].as_array().unwrap();
    assert!(
        tags.iter().all(|t| t["description"].is_string()),
        "{tags:?}"
    );
    let codes = &doc["components"]["schemas"]["Problem"]["properties"]["code"]["enum"];
    assert_eq!(
        codes.as_array().unwrap().len(),
        Code::wires().len(),
        "{codes}"
    );
}

/// What a client would find first: the statuses of a request without a key, with an
/// unreadable body, and with wrong ids are all in the document, for every operation.
#[tokio::test]
async fn the_statuses_the_server_answers_are_documented() {
    let t = TestApp::spawn().await;
    let doc = document(&t).await;
    for (method, path, op) in operations(&doc) {
        let url = path
            .split('/')
            .map(|s| if s.starts_with('{') { "nothing" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let has_body = method != Method::GET;
        let tries = [(None, None), (Some(t.admin.as_str()), Some("{"))];
        for (key, body) in tries {
            let mut req = t.http.request(method.clone(), format!("{}{url}", t.base));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            if let (true, Some(b)) = (has_body, body) {
                req = req.header("content-type", "application/json").body(b);
            }
            let r = TestApp::reply(req).await;
            let status = r.status.as_str().to_owned();
            assert!(
                op["responses"].get(&status).is_some(),
                "{method} {path} answered {status} (key: {}), undocumented: {}",
                key.is_some(),
                r.text
            );
        }
    }
}

#[tokio::test]
async fn every_problem_type_is_a_page_explaining_its_code() {
    let t = TestApp::spawn().await;
    // A problem as a client gets it: its `type` resolves against the API's own address.
    let r = t.send(Method::GET, "/api/v1/orders", None, None).await;
    let kind = r.problem(401, "unauthenticated")["type"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(kind, "/problems/unauthenticated");
    for wire in Code::wires() {
        let path = format!("/problems/{wire}");
        let en = t.send(Method::GET, &path, None, None).await;
        assert_eq!(en.status, 200, "{path}: {}", en.text);
        assert!(en.content_type().starts_with("text/html"), "{path}");
        assert!(
            en.text.contains("lang=\"en\"") && en.text.contains(&format!("<code>{wire}</code>")),
            "{path}: {}",
            en.text
        );
        let statuses = Code::with_wire(wire).map(|c| c.status().as_u16().to_string());
        for status in statuses {
            assert!(en.text.contains(&status), "{path} names status {status}");
        }
        // Each page has its own words, in both languages (a missing key would show the key,
        // or the English text on the Swedish page).
        assert!(!en.text.contains("problem-"), "{path}: {}", en.text);
        let req = t
            .http
            .get(format!("{}{path}", t.base))
            .header("accept-language", "sv-SE,sv;q=0.9,en;q=0.5");
        let sv = TestApp::reply(req).await;
        assert_eq!(sv.status, 200, "{path} in Swedish");
        assert!(
            sv.text.contains("lang=\"sv\"") && !sv.text.contains("problem-"),
            "{path}: {}",
            sv.text
        );
        let h1 = |page: &str| page.split("<h1>").nth(1).unwrap_or("").to_owned();
        assert_ne!(
            h1(&en.text),
            h1(&sv.text),
            "{path}: the Swedish page is Swedish"
        );
    }
    let unknown = t
        .send(Method::GET, "/problems/no_such_code", None, None)
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.content_type().starts_with("text/html"));
}
