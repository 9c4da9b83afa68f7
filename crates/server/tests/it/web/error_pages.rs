//! Error pages send the security headers of every other page (SPEC §11): the same CSP, with
//! `frame-ancestors 'none'`, `nosniff` and `no-store`. Each is fetched over HTTP: an unknown
//! path, a wrong method, a body too large (made pages by the service's layers), the 4xx pages
//! handlers draw (signed in and out), a setup link that is none, and `/problems/{code}`. The
//! API's answers to the same mistakes stay problem+json, `nosniff` and `no-store`, and the
//! page their `type` names is a page like any other.

use reqwest::{Method, StatusCode};

use super::resend::pia;
use super::{Page, Visitor};
use crate::edges::raw;
use crate::helpers::*;

/// What every page sends: HTML, the CSP of `normal` (never framed), `nosniff`, `no-store`.
fn assert_headers_of_a_page(what: &str, page: &Page, normal: &Page) {
    let csp = normal.header("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(
        page.header("content-type").starts_with("text/html"),
        "{what}: {} {}",
        page.status,
        page.body
    );
    assert_eq!(page.header("content-security-policy"), csp, "{what}");
    assert_eq!(page.header("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(page.header("cache-control"), "no-store", "{what}");
}

/// The value of `name` in a raw HTTP answer's head.
fn raw_header<'a>(answer: &'a str, name: &str) -> &'a str {
    let head = answer.split("\r\n\r\n").next().unwrap_or("");
    head.lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.trim())
}

#[tokio::test]
async fn error_pages_for_visitors_not_signed_in_send_the_headers_of_every_page() {
    let w = World::new().await;
    let mut v = Visitor::new(&w.t);
    let normal = v.get("/").await;
    assert_eq!(normal.status, StatusCode::OK);
    assert_headers_of_a_page("the sign-in page", &normal, &normal);
    for (path, status) in [
        ("/nothing-here", StatusCode::NOT_FOUND),
        ("/static/nothing.css", StatusCode::NOT_FOUND),
        ("/problems/not_found", StatusCode::OK),
        ("/problems/no-such-code", StatusCode::NOT_FOUND),
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert_headers_of_a_page(path, &page, &normal);
    }
    // A setup link that is none: the setup page's own 404, under its own (stricter) policy.
    let setup = v.get("/setup/not-a-link").await;
    assert_eq!(setup.status, StatusCode::NOT_FOUND);
    assert!(
        setup
            .header("content-security-policy")
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(setup.header("x-content-type-options"), "nosniff");
    assert_eq!(setup.header("cache-control"), "no-store");
    // A wrong method: a page that still says what is allowed.
    for (method, path) in [(Method::DELETE, "/help"), (Method::PUT, "/")] {
        let page = v.send(method.clone(), path).await;
        assert_eq!(
            page.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_headers_of_a_page(&format!("{method} {path}"), &page, &normal);
        assert!(page.header("allow").contains("GET"), "{method} {path}");
    }
    // A body declared too large is refused before it is read, with a page.
    let answer = raw(
        &w.t,
        "POST /sign-in HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n\
         Content-Length: 3145728\r\n\r\n",
        b"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(raw_header(&answer, "content-type").starts_with("text/html"));
    assert_eq!(
        raw_header(&answer, "content-security-policy"),
        normal.header("content-security-policy")
    );
    assert_eq!(raw_header(&answer, "x-content-type-options"), "nosniff");
    assert_eq!(raw_header(&answer, "cache-control"), "no-store");
}

#[tokio::test]
async fn error_pages_for_signed_in_users_send_the_headers_of_every_page() {
    let w = World::new().await;
    let mut v = pia(&w).await;
    let normal = v.get("/orders").await;
    assert!(normal.has("<h1>Orders</h1>"), "{}", normal.body);
    assert_eq!(normal.status, StatusCode::OK, "{}", normal.body);
    assert_headers_of_a_page("the orders list", &normal, &normal);
    for (path, status) in [
        ("/nothing-here", StatusCode::NOT_FOUND),
        ("/orders/W-NONE", StatusCode::NOT_FOUND),
        // Administration is hidden from a member.
        ("/admin", StatusCode::NOT_FOUND),
        ("/orders?stage=nonsense", StatusCode::UNPROCESSABLE_ENTITY),
        ("/problems/permission_denied", StatusCode::OK),
    ] {
        let page = v.get(path).await;
        assert_eq!(page.status, status, "{path}: {}", page.body);
        assert_headers_of_a_page(path, &page, &normal);
    }
    let page = v.send(Method::DELETE, "/").await;
    assert_eq!(page.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_headers_of_a_page("DELETE /", &page, &normal);
    // A form without this session's token.
    let page = v
        .post("/sign-out", &[("csrf_token", "not-this-sessions")])
        .await;
    assert!(page.status.is_client_error(), "{}", page.status);
    assert_headers_of_a_page("a forged form", &page, &normal);
}

#[tokio::test]
async fn api_errors_stay_problems_and_the_page_their_type_names_is_a_page_like_any_other() {
    let t = TestApp::spawn().await;
    let normal = Visitor::new(&t).get("/").await;
    let unknown = t
        .send(Method::GET, "/api/v1/nothing-here", Some(&t.admin), None)
        .await;
    unknown.problem(404, "not_found");
    let wrong_method = t
        .send(Method::DELETE, "/api/v1/orders", Some(&t.admin), None)
        .await;
    wrong_method.problem(405, "method_not_allowed");
    for (what, r) in [("unknown path", &unknown), ("wrong method", &wrong_method)] {
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{what}");
        assert_eq!(r.headers["cache-control"], "no-store", "{what}");
    }
    let answer = raw(
        &t,
        &format!(
            "POST /api/v1/orders HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 3145728\r\n\r\n",
            t.admin
        ),
        b"",
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(raw_header(&answer, "content-type").starts_with("application/problem+json"));
    assert_eq!(raw_header(&answer, "x-content-type-options"), "nosniff");
    assert_eq!(raw_header(&answer, "cache-control"), "no-store");
    for r in [&unknown, &wrong_method] {
        let about = r.body["type"].as_str().unwrap();
        let page = Visitor::new(&t).get(about).await;
        assert_eq!(page.status, StatusCode::OK, "{about}");
        assert_headers_of_a_page(about, &page, &normal);
    }
}
