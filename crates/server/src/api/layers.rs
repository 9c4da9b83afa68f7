//! The middleware every request passes (see `router` for their order): problem+json for bare
//! errors, an early `413` for a declared body over the limit, safe request ids, security
//! headers, and the request path as logs may show it.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use provisio_domain::values::mask_email;

use super::problem::{self, PROBLEM_JSON};
use crate::app::App;
use crate::error::AppError;

/// Request ids a client may choose: short, and only characters that cannot break a log line
/// or a header.
const MAX_REQUEST_ID: usize = 64;

/// The header carrying the request id.
pub const REQUEST_ID: &str = "x-request-id";

/// Any error response of the API that is not problem+json yet (from a layer or axum itself)
/// becomes one, keeping its status and headers (e.g. `Allow` on 405). On page paths every
/// error is a page in the visitor's language instead (also a 405, 413 or 503 from a layer).
pub async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let page = is_page_path(req.uri().path());
    let locale = crate::web::preferred_locale(req.headers());
    let response = next.run(req).await;
    let status = response.status();
    // Outside the API, a person is reading: an error is a page in their language.
    if page
        && (status.is_client_error() || status.is_server_error())
        && !response
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|ct| ct.as_bytes().starts_with(b"text/html"))
    {
        let (mut parts, _) = response.into_parts();
        let html = crate::web::error::status_page(locale, status);
        let (html_parts, body) = html.into_parts();
        parts.headers.remove(header::CONTENT_LENGTH);
        for (name, value) in &html_parts.headers {
            parts.headers.insert(name, value.clone());
        }
        return Response::from_parts(parts, body);
    }
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|ct| {
            ct.as_bytes().starts_with(PROBLEM_JSON.as_bytes())
                || ct.as_bytes().starts_with(b"text/html")
        });
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let body = problem::for_status(status);
    parts
        .headers
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, body.to_string().into())
}

/// Paths people open in a browser: everything but the API and the operations endpoints.
fn is_page_path(path: &str) -> bool {
    !(path.starts_with("/api/") || matches!(path, "/healthz" | "/readyz" | "/metrics"))
}

/// A body declared larger than the limit is refused before a byte of it is read (otherwise
/// the client would send it all, or stall, before hearing no).
pub async fn refuse_declared_oversize(
    State(app): State<App>,
    req: Request,
    next: Next,
) -> Response {
    let limit = app.config.body_limit_bytes;
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        let mut response = AppError::PayloadTooLarge { limit }.into_response();
        // The unread body stays on the connection: close it instead of reading it.
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return response;
    }
    next.run(req).await
}

/// A client's `x-request-id` is kept only when it is short and made of safe characters;
/// otherwise it is dropped, and the next layer makes a new one.
pub async fn sanitize_request_id(mut req: Request, next: Next) -> Response {
    let unsafe_id = req
        .headers()
        .get(REQUEST_ID)
        .is_some_and(|v| !is_safe_request_id(v.as_bytes()));
    if unsafe_id {
        req.headers_mut().remove(REQUEST_ID);
    }
    next.run(req).await
}

fn is_safe_request_id(id: &[u8]) -> bool {
    !id.is_empty()
        && id.len() <= MAX_REQUEST_ID
        && id
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// API answers are never cached (they carry personal data and change with every action),
/// and no answer is sniffed into another content type.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let api = req.uri().path().starts_with("/api/");
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if api && !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

/// The method as a metric label: the standard ones by name, anything a client invents as one
/// label (`other`), so clients cannot add label values.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "other",
    }
}

/// The request path as logs may show it: email addresses masked (personal data, e.g.
/// `/users/{email}/api-keys`), and a setup link's token replaced (whoever reads the log must
/// not be able to open or use the link).
pub fn masked_path(path: &str) -> String {
    let mut previous = "";
    path.split('/')
        .map(|segment| {
            let after_setup = std::mem::replace(&mut previous, segment) == "setup";
            let decoded = segment.replace("%40", "@");
            if after_setup && !segment.is_empty() {
                "[token]".to_owned()
            } else if decoded.contains('@') {
                mask_email(&decoded)
            } else {
                segment.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_in_paths_are_masked_for_logs() {
        assert_eq!(
            masked_path("/api/v1/users/pia@acme.test/api-keys"),
            "/api/v1/users/p***@acme.test/api-keys"
        );
        assert_eq!(
            masked_path("/api/v1/users/pia%40acme.test/api-keys"),
            "/api/v1/users/p***@acme.test/api-keys"
        );
        assert_eq!(
            masked_path("/api/v1/lines/Sub1000001"),
            "/api/v1/lines/Sub1000001"
        );
    }

    #[test]
    fn setup_tokens_never_reach_the_log() {
        let token = "q3ZkT0c5bWx1dGF0aW9uLXRva2VuLWV4YW1wbGUtMTIz";
        assert_eq!(masked_path(&format!("/setup/{token}")), "/setup/[token]");
        assert_eq!(masked_path("/setup/"), "/setup/");
    }

    #[test]
    fn request_ids_are_short_and_plain() {
        assert!(is_safe_request_id(b"0190f3c2-7b1e-7c1a-9b1e-3f2a1c0d9e8f"));
        assert!(is_safe_request_id(b"trace.abc_1:2"));
        assert!(!is_safe_request_id(b""));
        assert!(!is_safe_request_id(&[b'a'; 65]));
        assert!(!is_safe_request_id(b"abc def"));
        assert!(!is_safe_request_id(b"abc\" user=admin"));
        assert!(!is_safe_request_id("é".as_bytes()));
    }

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label(&Method::GET), "GET");
        let invented = Method::from_bytes(b"FROBNICATE").unwrap();
        assert_eq!(method_label(&invented), "other");
    }
}
