//! The middleware every request passes (`router.rs` stacks them): problem+json
//! for bare errors, an early `413` for a declared body over the limit, safe request ids,
//! security headers, and the request path as logs may show it. (A bare error on a page path
//! becomes a page before it gets here, in the pages' own layer: `web/error.rs`.)

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
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

/// Any error response that is not problem+json yet (from a layer or axum itself) becomes
/// one, keeping its status and headers (e.g. `Allow` on 405). An HTML answer is left as it
/// is: on page paths every error is a page by the time it gets here.
pub async fn problem_for_bare_errors(req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    let status = response.status();
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

/// On a test clock (`serve --test-clock`), every request first reads the clock's stored offset,
/// so a clock moved through another instance holds here at once (SPEC §9). Without a test
/// clock this costs nothing.
/// Probes and metrics (`/healthz`, `/readyz`, `/metrics`) use no business time and skip it.
pub async fn follow_test_clock(State(app): State<App>, req: Request, next: Next) -> Response {
    let probe = matches!(req.uri().path(), "/healthz" | "/readyz" | "/metrics");
    if app.clock.is_test_clock()
        && !probe
        && let Err(e) = app.sync_test_clock().await
    {
        return e.into_response();
    }
    next.run(req).await
}

/// A body declared larger than the limit is refused before a byte of it is read (otherwise
/// the client would send it all, or stall, before hearing no).
pub async fn refuse_declared_oversize(
    State(app): State<App>,
    req: Request,
    next: Next,
) -> Response {
    let limit = body_limit_of(req.uri().path(), app.config.body_limit_bytes);
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

/// The paths that take a case's form (the API's and the page's) have their own body limit
/// (SPEC §10); every other one the general limit.
pub const CASE_FORM_PATHS: [&str; 2] = ["/api/v1/cases", "/cases"];

/// The body limit of a request to `path`.
pub fn body_limit_of(path: &str, general: usize) -> usize {
    if CASE_FORM_PATHS.contains(&path) {
        super::upload::CASE_BODY_LIMIT.max(general)
    } else {
        general
    }
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
}
